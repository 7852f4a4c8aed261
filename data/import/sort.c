/* sort.c - the rows of an import ordered by (asset, time, file order) (importer.h), and the
 * refusal of a symbol and time given twice with different values. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "importer.h"
#include "alloc.h"
#include "columns.h"

size_t rb_import_file_of(const rb_importer *im, size_t row)
{
    size_t lo = 0, hi = im->npaths; /* file_start[lo] <= row < file_start[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (im->file_start[mid] <= row) lo = mid;
        else hi = mid;
    }
    return lo;
}

void rb_sorted_free(rb_sorted *s)
{
    double *values[5] = {s->close, s->open, s->high, s->low, s->volume};
    for (int c = 0; c < 5; c++) rb_column_free(values[c], s->n * sizeof(double));
    rb_column_free(s->ts, s->n * sizeof *s->ts);
    rb_column_free(s->orig, s->n * sizeof *s->orig);
    free(s->start);
    memset(s, 0, sizeof *s);
}

typedef struct tsrow {
    int64_t ts;
    uint32_t orig;
    uint32_t pos;
} tsrow;

static int cmp_tsrow(const void *a, const void *b)
{
    const tsrow *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return x->orig < y->orig ? -1 : x->orig > y->orig;
}

/* Orders the first n rows by asset (a stable counting sort that gathers every column into
 * its place, so later passes read memory sequentially), then by time within each asset
 * (already true for most files; otherwise a sort of that asset's rows only). */
rb_status rb_import_sort(rb_importer *im, size_t n, rb_sorted *s)
{
    rb_rows *r = &im->r;
    size_t nsym = im->syms.n;
    memset(s, 0, sizeof *s);
    s->n = n;
    s->start = rb_calloc(nsym + 1, sizeof *s->start);
    s->ts = rb_column_alloc(n * sizeof *s->ts);
    s->close = rb_column_alloc(n * sizeof *s->close);
    s->orig = rb_column_alloc(n * sizeof *s->orig);
    int ohlv = r->open != NULL;
    if (ohlv) {
        s->open = rb_column_alloc(n * sizeof(double));
        s->high = rb_column_alloc(n * sizeof(double));
        s->low = rb_column_alloc(n * sizeof(double));
        s->volume = rb_column_alloc(n * sizeof(double));
    }
    if (!s->start || !s->ts || !s->close || !s->orig ||
        (ohlv && (!s->open || !s->high || !s->low || !s->volume)))
        return rb_fail(&im->e, RB_ERR_NOMEM, "out of memory sorting %zu rows", n);
    for (size_t i = 0; i < n; i++) s->start[r->asset[i] + 1]++;
    for (size_t a = 0; a < nsym; a++) s->start[a + 1] += s->start[a];
    size_t *next = rb_malloc((nsym ? nsym : 1) * sizeof *next);
    if (!next) return rb_fail(&im->e, RB_ERR_NOMEM, "out of memory sorting %zu rows", n);
    memcpy(next, s->start, nsym * sizeof *next);
    for (size_t i = 0; i < n; i++) {
        size_t k = next[r->asset[i]]++;
        s->ts[k] = r->ts[i];
        s->close[k] = r->close[i];
        s->orig[k] = (uint32_t)i;
        if (ohlv) {
            s->open[k] = r->open[i];
            s->high[k] = r->high[i];
            s->low[k] = r->low[i];
            s->volume[k] = r->volume[i];
        }
    }
    free(next);
    /* The unordered values are not needed again (messages use asset, ts and line only). */
    rb_rows_free_values(r);

    tsrow *tmp = NULL;
    size_t tmpcap = 0;
    for (size_t a = 0; a < nsym; a++) {
        size_t lo = s->start[a], hi = s->start[a + 1];
        size_t k = lo + 1;
        while (k < hi && s->ts[k - 1] <= s->ts[k]) k++;
        if (k >= hi) continue;
        size_t m = hi - lo;
        if (m > tmpcap) {
            tsrow *t = rb_realloc(tmp, m * sizeof *t);
            if (!t) {
                free(tmp);
                return rb_fail(&im->e, RB_ERR_NOMEM, "out of memory sorting %zu rows", n);
            }
            tmp = t;
            tmpcap = m;
        }
        for (size_t j = 0; j < m; j++) tmp[j] = (tsrow){s->ts[lo + j], s->orig[lo + j], (uint32_t)(lo + j)};
        qsort(tmp, m, sizeof *tmp, cmp_tsrow);
        /* Apply the permutation column by column through a scratch array of doubles. */
        double *col = rb_malloc(m * sizeof *col);
        if (!col) {
            free(tmp);
            return rb_fail(&im->e, RB_ERR_NOMEM, "out of memory sorting %zu rows", n);
        }
        double *cols[5] = {s->close, s->open, s->high, s->low, s->volume};
        for (int c = 0; c < 5; c++) {
            if (!cols[c]) continue;
            for (size_t j = 0; j < m; j++) col[j] = cols[c][tmp[j].pos];
            memcpy(cols[c] + lo, col, m * sizeof *col);
        }
        free(col);
        for (size_t j = 0; j < m; j++) {
            s->ts[lo + j] = tmp[j].ts;
            s->orig[lo + j] = tmp[j].orig;
        }
    }
    free(tmp);
    return RB_OK;
}

/* 1 when bars k and j of s hold the same values (NaN == NaN: both empty). */
static int same_values(const rb_sorted *s, size_t k, size_t j)
{
#define SAME(x, y) ((x) == (y) || (isnan(x) && isnan(y)))
    if (!SAME(s->close[k], s->close[j])) return 0;
    if (s->open &&
        (!SAME(s->open[k], s->open[j]) || !SAME(s->high[k], s->high[j]) || !SAME(s->low[k], s->low[j]) ||
         !SAME(s->volume[k], s->volume[j])))
        return 0;
    return 1;
#undef SAME
}

/* Refuses a symbol + time given twice with different values, naming the earliest such row
 * in file order. Identical repeats are fine (stored once). */
rb_status rb_import_check_duplicates(rb_importer *im, const rb_sorted *s)
{
    size_t bad = SIZE_MAX, first = 0;
    for (size_t a = 0; a < im->syms.n; a++) {
        size_t g = s->start[a];
        for (size_t k = s->start[a] + 1; k < s->start[a + 1]; k++) {
            if (s->ts[k] != s->ts[k - 1]) {
                g = k;
                continue;
            }
            if (!same_values(s, g, k) && s->orig[k] < bad) {
                bad = s->orig[k];
                first = s->orig[g];
            }
        }
    }
    if (bad == SIZE_MAX) return RB_OK;
    char date[32];
    size_t fb = rb_import_file_of(im, bad), ff = rb_import_file_of(im, first);
    return rb_fail(&im->e, RB_ERR_DATA, "%s:%u: %s %s appears twice with different values (first at %s:%u)",
                   im->paths[fb], im->r.line[bad], im->syms.name[im->r.asset[bad]],
                   rb_time_format(im->r.ts[bad], date), im->paths[ff], im->r.line[first]);
}
