/* rows.c - the flat arrays of the bars read (rows.h). */
#include "rows.h"
#include "alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rb_rows_free(rb_rows *r)
{
    free(r->asset);
    free(r->ts);
    free(r->close);
    free(r->line);
    free(r->open);
    free(r->high);
    free(r->low);
    free(r->volume);
    memset(r, 0, sizeof *r);
}

static int grow(void **p, size_t cap, size_t size)
{
    if (!*p) return 1;
    void *q = rb_realloc(*p, cap * size);
    if (!q) return 0;
    *p = q;
    return 1;
}

/* Doubles the capacity of every array; 0 when out of memory (the arrays stay valid). */
int rb_rows_grow(rb_rows *r)
{
    size_t cap = r->cap ? r->cap * 2 : 4096;
    if (!r->asset) {
        r->asset = rb_malloc(cap * sizeof *r->asset);
        r->ts = rb_malloc(cap * sizeof *r->ts);
        r->close = rb_malloc(cap * sizeof *r->close);
        r->line = rb_malloc(cap * sizeof *r->line);
        if (!r->asset || !r->ts || !r->close || !r->line) return 0;
    } else if (!grow((void **)&r->asset, cap, sizeof *r->asset) ||
               !grow((void **)&r->ts, cap, sizeof *r->ts) ||
               !grow((void **)&r->close, cap, sizeof *r->close) ||
               !grow((void **)&r->line, cap, sizeof *r->line)) {
        return 0;
    }
    if (!grow((void **)&r->open, cap, sizeof(double)) || !grow((void **)&r->high, cap, sizeof(double)) ||
        !grow((void **)&r->low, cap, sizeof(double)) || !grow((void **)&r->volume, cap, sizeof(double)))
        return 0;
    r->cap = cap;
    return 1;
}

/* Adds the open/high/low/volume arrays, NaN for the rows already read; 0 when out of memory. */
int rb_rows_add_ohlv(rb_rows *r)
{
    if (r->open) return 1;
    size_t cap = r->cap ? r->cap : 4096;
    double **arr[4] = {&r->open, &r->high, &r->low, &r->volume};
    for (int k = 0; k < 4; k++) {
        *arr[k] = rb_malloc(cap * sizeof(double));
        if (!*arr[k]) return 0;
        for (size_t i = 0; i < r->n; i++) (*arr[k])[i] = NAN;
    }
    if (!r->cap) {
        /* keep the invariant that every array has r->cap entries */
        r->asset = rb_malloc(cap * sizeof *r->asset);
        r->ts = rb_malloc(cap * sizeof *r->ts);
        r->close = rb_malloc(cap * sizeof *r->close);
        r->line = rb_malloc(cap * sizeof *r->line);
        if (!r->asset || !r->ts || !r->close || !r->line) return 0;
        r->cap = cap;
    }
    return 1;
}
