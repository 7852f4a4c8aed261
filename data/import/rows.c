/* rows.c - the flat arrays of the bars read (rows.h), in columns.h's memory: every array
 * has r->cap entries, which is what columns.h needs to free it. */
#include "rows.h"
#include "alloc.h"
#include "columns.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One array of rb_rows: where its pointer is, its element size, whether every rb_rows with
 * a capacity has it (the open/high/low/volume arrays come only with such columns). */
typedef struct rows_array {
    void **p;
    size_t size;
    int required;
} rows_array;

enum { ROWS_ARRAYS = 8 };

static void arrays_of(rb_rows *r, rows_array a[ROWS_ARRAYS])
{
    a[0] = (rows_array){(void **)&r->asset, sizeof *r->asset, 1};
    a[1] = (rows_array){(void **)&r->ts, sizeof *r->ts, 1};
    a[2] = (rows_array){(void **)&r->close, sizeof *r->close, 1};
    a[3] = (rows_array){(void **)&r->line, sizeof *r->line, 1};
    a[4] = (rows_array){(void **)&r->open, sizeof *r->open, 0};
    a[5] = (rows_array){(void **)&r->high, sizeof *r->high, 0};
    a[6] = (rows_array){(void **)&r->low, sizeof *r->low, 0};
    a[7] = (rows_array){(void **)&r->volume, sizeof *r->volume, 0};
}

void rb_rows_free(rb_rows *r)
{
    rows_array a[ROWS_ARRAYS];
    arrays_of(r, a);
    for (int k = 0; k < ROWS_ARRAYS; k++) rb_column_free(*a[k].p, r->cap * a[k].size);
    memset(r, 0, sizeof *r);
}

void rb_rows_free_values(rb_rows *r)
{
    double **values[5] = {&r->close, &r->open, &r->high, &r->low, &r->volume};
    for (int c = 0; c < 5; c++) {
        rb_column_free(*values[c], r->cap * sizeof(double));
        *values[c] = NULL;
    }
}

/* Gives every array that `wanted` selects cap entries, keeping the first r->n; 0 when out of
 * memory. Arrays that stay on the heap grow in place (realloc: a large heap block moves by
 * remapping, without copying or touching new pages); the others move to fresh memory, all
 * or none, so that each array has room for r->cap entries in the memory its size says. */
static int resize(rb_rows *r, size_t cap, const int wanted[ROWS_ARRAYS])
{
    rows_array a[ROWS_ARRAYS];
    arrays_of(r, a);
    void *fresh[ROWS_ARRAYS] = {0};
    int k;
    for (k = 0; k < ROWS_ARRAYS; k++) {
        if (!wanted[k]) continue;
        if (!rb_column_on_heap(cap * a[k].size)) {
            if (!(fresh[k] = rb_column_alloc(cap * a[k].size))) break;
            continue;
        }
        void *grown = rb_realloc(*a[k].p, cap * a[k].size);
        if (!grown) break;
        *a[k].p = grown;
    }
    if (k < ROWS_ARRAYS) {
        /* The heap arrays grown so far merely have more room than r->cap says. */
        for (int j = 0; j < k; j++) rb_column_free(fresh[j], cap * a[j].size);
        return 0;
    }
    for (k = 0; k < ROWS_ARRAYS; k++) {
        if (!fresh[k]) continue;
        if (*a[k].p) memcpy(fresh[k], *a[k].p, r->n * a[k].size);
        rb_column_free(*a[k].p, r->cap * a[k].size);
        *a[k].p = fresh[k];
    }
    r->cap = cap;
    return 1;
}

/* Doubles the capacity of every array; 0 when out of memory (the arrays stay valid). */
int rb_rows_grow(rb_rows *r)
{
    rows_array a[ROWS_ARRAYS];
    arrays_of(r, a);
    int wanted[ROWS_ARRAYS];
    for (int k = 0; k < ROWS_ARRAYS; k++) wanted[k] = a[k].required || *a[k].p;
    return resize(r, r->cap ? r->cap * 2 : 4096, wanted);
}

/* Adds the open/high/low/volume arrays, NaN for the rows already read; 0 when out of memory. */
int rb_rows_add_ohlv(rb_rows *r)
{
    if (r->open) return 1;
    size_t cap = r->cap ? r->cap : 4096;
    /* Without a capacity yet, the required arrays come too (every array has r->cap entries). */
    int none = r->cap == 0, wanted[ROWS_ARRAYS] = {none, none, none, none, 1, 1, 1, 1};
    if (!resize(r, cap, wanted)) return 0;
    double *arr[4] = {r->open, r->high, r->low, r->volume};
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < r->n; i++) arr[k][i] = NAN;
    return 1;
}
