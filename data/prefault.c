/* prefault.c - buffers mapped in bulk (prefault.h). */
#include "prefault.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* Below this, the allocator's own memory is usually already mapped. */
#define PREFAULT_MIN (64 * 1024)

/* Maps the whole pages inside [p, p + bytes) writable; failure (an older kernel) is harmless:
 * the pages then fault in one by one as before. */
static void populate(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    if (!p || bytes < PREFAULT_MIN) return;
    const uintptr_t page = 4096;
    uintptr_t from = ((uintptr_t)p + page - 1) & ~(page - 1), to = ((uintptr_t)p + bytes) & ~(page - 1);
    if (to > from) (void)madvise((void *)from, to - from, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

void *rb_malloc_prefaulted(size_t bytes)
{
    void *p = malloc(bytes);
    populate(p, bytes);
    return p;
}

void *rb_calloc_prefaulted(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    /* calloc of a large block is fresh zeroed pages: populating maps them zeroed. */
    void *p = calloc(n, size);
    populate(p, n * size);
    return p;
}

void *rb_realloc_prefaulted(void *p, size_t bytes)
{
    void *q = realloc(p, bytes);
    populate(q, bytes);
    return q;
}
