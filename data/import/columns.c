/* columns.c - the memory of an import's large per-row arrays (columns.h). */
#include "columns.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "big_alloc.h"

/* From this size on an array is mapped on huge pages. A huge page is 2 MiB, and a mapping
 * is whole huge pages: below 1 MiB the rounding would waste more than half of it. */
#define COLUMN_BIG_MIN ((size_t)1 << 20)

static int is_big(size_t bytes) { return bytes >= COLUMN_BIG_MIN; }

int rb_column_on_heap(size_t bytes) { return !is_big(bytes ? bytes : 1); }

void *rb_column_alloc(size_t bytes)
{
    if (bytes == 0) bytes = 1;
    return is_big(bytes) ? rb_big_alloc(bytes) : rb_malloc(bytes);
}

void rb_column_free(void *p, size_t bytes)
{
    if (bytes == 0) bytes = 1;
    if (is_big(bytes)) rb_big_free(p, bytes);
    else free(p);
}
