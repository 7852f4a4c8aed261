/* dated_tables.c - schedules and targets tables (dated_tables.h): read from a dated CSV file
 * or built from arrays, with the checks that need no prices. */
#include "dated_tables.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "dated_csv.h"
#include "error.h"
#include "number.h"

/* Room for one more entry of each of the parallel arrays (each `size` bytes an entry). */
static int grow(size_t n, size_t *cap, void **a, size_t asize, void **b, size_t bsize)
{
    if (n < *cap) return 1;
    size_t ncap = *cap ? 2 * *cap : 64;
    void *na = rb_realloc(*a, ncap * asize);
    if (!na) return 0;
    *a = na;
    if (b) {
        void *nb = rb_realloc(*b, ncap * bsize);
        if (!nb) return 0;
        *b = nb;
    }
    *cap = ncap;
    return 1;
}

/* ---------------------------------------------------------------- schedules */

void rb_schedule_free(rb_schedule *s)
{
    if (!s) return;
    free(s->source);
    free(s->time);
    free(s->line);
    free(s);
}

void rb_schedule_where(const rb_schedule *s, size_t k, char *buf, size_t len)
{
    char when[32];
    if (s->source && s->line) snprintf(buf, len, "%s:%zu", s->source, s->line[k]);
    else snprintf(buf, len, "%s", rb_time_format(s->time[k], when));
}

typedef struct schedule_build {
    rb_schedule *s;
    size_t cap;
} schedule_build;

static rb_status schedule_columns(const rb_dated_row *row, rb_error *err)
{
    if (row->n <= 2) return RB_OK;
    return rb_fail(err, RB_ERR_DATA, "%s:%zu: %zu columns: a schedule has a date column and at most one of flags "
                                     "(1, 0, true or false)",
                   row->path, row->line, row->n);
}

static rb_status schedule_header(void *ctx, const rb_dated_row *row, rb_error *err)
{
    (void)ctx;
    return schedule_columns(row, err);
}

static rb_status schedule_row(void *ctx, const rb_dated_row *row, rb_error *err)
{
    schedule_build *b = ctx;
    rb_status rc = schedule_columns(row, err);
    if (rc != RB_OK) return rc;
    int on = 1;
    if (row->n == 2) {
        const char *flag = row->cell[1];
        if (strcmp(flag, "1") == 0 || strcasecmp(flag, "true") == 0) on = 1;
        else if (strcmp(flag, "0") == 0 || strcasecmp(flag, "false") == 0) on = 0;
        else
            return rb_fail(err, RB_ERR_DATA, "%s:%zu: the flag '%.40s' is not 1, 0, true or false", row->path,
                           row->line, flag);
    }
    if (!on) return RB_OK;
    rb_schedule *s = b->s;
    if (!grow(s->n, &b->cap, (void **)&s->time, sizeof *s->time, (void **)&s->line, sizeof *s->line))
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    s->time[s->n] = row->time;
    s->line[s->n++] = row->line;
    return RB_OK;
}

rb_status rb_schedule_read(const char *path, rb_schedule **out, rb_error *err)
{
    rb_schedule *s = rb_calloc(1, sizeof *s);
    if (!s || !(s->source = rb_strdup(path))) {
        rb_schedule_free(s);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    schedule_build b = {.s = s};
    rb_status rc = rb_dated_csv_read(path, schedule_header, schedule_row, &b, err);
    if (rc != RB_OK) {
        rb_schedule_free(s);
        return rc;
    }
    *out = s;
    return RB_OK;
}

rb_status rb_schedule_from_times(const rb_time *times, size_t n, rb_schedule **out, rb_error *err)
{
    if (n && !times) return rb_fail(err, RB_ERR_USAGE, "schedule: %zu times but no array", n);
    for (size_t k = 1; k < n; k++)
        if (times[k] <= times[k - 1]) {
            char a[32], b[32];
            return rb_fail(err, RB_ERR_USAGE, "schedule: the times must increase: %s (at %zu) is not after %s",
                           rb_time_format(times[k], a), k, rb_time_format(times[k - 1], b));
        }
    rb_schedule *s = rb_calloc(1, sizeof *s);
    if (s && n) s->time = rb_malloc(n * sizeof *s->time);
    if (!s || (n && !s->time)) {
        rb_schedule_free(s);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    if (n) memcpy(s->time, times, n * sizeof *s->time);
    s->n = n;
    *out = s;
    return RB_OK;
}

/* ---------------------------------------------------------------- targets tables */

void rb_target_table_free(rb_target_table *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nsymbols; i++) free(t->symbol[i]);
    free(t->symbol);
    free(t->source);
    free(t->time);
    free(t->line);
    free(t->weight);
    free(t);
}

void rb_target_table_where(const rb_target_table *t, size_t r, char *buf, size_t len)
{
    char when[32];
    if (r == SIZE_MAX) {
        if (t->source) snprintf(buf, len, "%s:%zu", t->source, t->header_line);
        else snprintf(buf, len, "the table's columns");
    } else if (t->source && t->line) {
        snprintf(buf, len, "%s:%zu", t->source, t->line[r]);
    } else {
        snprintf(buf, len, "%s", rb_time_format(t->time[r], when));
    }
}

size_t rb_target_table_row(const rb_target_table *t, rb_time at)
{
    size_t lo = 0, hi = t->nrows; /* the answer is lo - 1 once lo == hi */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->time[mid] <= at) lo = mid + 1;
        else hi = mid;
    }
    return lo ? lo - 1 : SIZE_MAX;
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The column names: each named, short enough to be a symbol, and no two the same. where: how
 * to name the place in messages ("FILE:LINE" or "targets table"). */
static rb_status check_symbols(const char *where, rb_status code, const char *const *symbols, size_t n,
                               rb_error *err)
{
    if (n == 0) return rb_fail(err, code, "%s: no asset columns (date,SYM1,SYM2,...)", where);
    for (size_t i = 0; i < n; i++) {
        if (!symbols[i] || !symbols[i][0]) return rb_fail(err, code, "%s: column %zu has no symbol", where, i + 2);
        if (strlen(symbols[i]) >= RB_SYMBOL_MAX)
            return rb_fail(err, code, "%s: the symbol '%.40s...' is longer than %d bytes", where, symbols[i],
                           RB_SYMBOL_MAX - 1);
    }
    const char **sorted = rb_malloc(n * sizeof *sorted);
    if (!sorted) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    memcpy(sorted, symbols, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_name);
    rb_status rc = RB_OK;
    for (size_t i = 1; i < n && rc == RB_OK; i++)
        if (strcmp(sorted[i], sorted[i - 1]) == 0)
            rc = rb_fail(err, code, "%s: the column %s comes twice", where, sorted[i]);
    free(sorted);
    return rc;
}

/* One row of weights: each in [0, 1], summing to 1. */
static rb_status check_weights(const char *where, rb_status code, const rb_target_table *t, const double *w,
                               rb_error *err)
{
    double sum = 0;
    for (size_t i = 0; i < t->nsymbols; i++) {
        if (!(w[i] >= 0 && w[i] <= 1))
            return rb_fail(err, code, "%s: %s: the weight %g is out of range (0 to 1)", where, t->symbol[i], w[i]);
        sum += w[i];
    }
    if (fabs(sum - 1) > RB_WEIGHT_SUM_TOLERANCE)
        return rb_fail(err, code, "%s: the weights sum to %.12g, not 1", where, sum);
    return RB_OK;
}

typedef struct table_build {
    rb_target_table *t;
    size_t cap;
    int has_header;
} table_build;

static rb_status table_header(void *ctx, const rb_dated_row *row, rb_error *err)
{
    table_build *b = ctx;
    rb_target_table *t = b->t;
    char where[512];
    snprintf(where, sizeof where, "%s:%zu", row->path, row->line);
    rb_status rc = check_symbols(where, RB_ERR_DATA, row->cell + 1, row->n - 1, err);
    if (rc != RB_OK) return rc;
    if (!(t->symbol = rb_calloc(row->n - 1, sizeof *t->symbol))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (size_t i = 1; i < row->n; i++) {
        if (!(t->symbol[i - 1] = rb_strdup(row->cell[i]))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        t->nsymbols++;
    }
    t->header_line = row->line;
    b->has_header = 1;
    return RB_OK;
}

static rb_status table_row(void *ctx, const rb_dated_row *row, rb_error *err)
{
    table_build *b = ctx;
    rb_target_table *t = b->t;
    char where[512];
    snprintf(where, sizeof where, "%s:%zu", row->path, row->line);
    if (!b->has_header)
        return rb_fail(err, RB_ERR_DATA, "%s: a targets table starts with its header row, date,SYM1,SYM2,... (got a date "
                                         "first)", where);
    if (row->n != t->nsymbols + 1)
        return rb_fail(err, RB_ERR_DATA, "%s: %zu cells, but the header (line %zu) has %zu columns", where, row->n,
                       t->header_line, t->nsymbols + 1);
    size_t old_cap = b->cap;
    if (!grow(t->nrows, &b->cap, (void **)&t->time, sizeof *t->time, (void **)&t->line, sizeof *t->line))
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (b->cap != old_cap) {
        double *w = rb_realloc(t->weight, b->cap * t->nsymbols * sizeof *w);
        if (!w) {
            b->cap = old_cap; /* the weights still have room for old_cap rows only */
            return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        }
        t->weight = w;
    }
    double *w = t->weight + t->nrows * t->nsymbols;
    for (size_t i = 0; i < t->nsymbols; i++) {
        const char *cell = row->cell[i + 1];
        if (!cell[0]) return rb_fail(err, RB_ERR_DATA, "%s: %s: no weight (an empty cell)", where, t->symbol[i]);
        if (rb_number_read(cell, strlen(cell), 1, &w[i]) != RB_NUMBER_OK)
            return rb_fail(err, RB_ERR_DATA, "%s: %s: '%.40s' is not a number (a fraction, or a percentage: 25%%)",
                           where, t->symbol[i], cell);
    }
    rb_status rc = check_weights(where, RB_ERR_DATA, t, w, err);
    if (rc != RB_OK) return rc;
    t->time[t->nrows] = row->time;
    t->line[t->nrows++] = row->line;
    return RB_OK;
}

rb_status rb_target_table_read(const char *path, rb_target_table **out, rb_error *err)
{
    rb_target_table *t = rb_calloc(1, sizeof *t);
    if (!t || !(t->source = rb_strdup(path))) {
        rb_target_table_free(t);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    table_build b = {.t = t};
    rb_status rc = rb_dated_csv_read(path, table_header, table_row, &b, err);
    if (rc == RB_OK && !b.has_header)
        rc = rb_fail(err, RB_ERR_DATA, "%s: empty: a targets table has a header row, date,SYM1,SYM2,..., and a row of "
                                       "weights per date", path);
    else if (rc == RB_OK && t->nrows == 0)
        rc = rb_fail(err, RB_ERR_DATA, "%s: no rows of weights after the header (line %zu)", path, t->header_line);
    if (rc != RB_OK) {
        rb_target_table_free(t);
        return rc;
    }
    *out = t;
    return RB_OK;
}

/* The arrays' checks that the copy cannot make: counts, order, symbols. */
static rb_status check_arrays(const char *const *symbols, size_t nsymbols, const rb_time *times, size_t nrows,
                              const double *weights, rb_error *err)
{
    if (nrows == 0 || !times || !weights || (nsymbols && !symbols))
        return rb_fail(err, RB_ERR_USAGE, "targets table: no rows (give at least one date and its weights)");
    for (size_t r = 1; r < nrows; r++)
        if (times[r] <= times[r - 1]) {
            char a[32], b[32];
            return rb_fail(err, RB_ERR_USAGE, "targets table: the dates must increase: %s (row %zu) is not after %s",
                           rb_time_format(times[r], a), r, rb_time_format(times[r - 1], b));
        }
    return check_symbols("targets table", RB_ERR_USAGE, symbols, nsymbols, err);
}

rb_status rb_target_table_from_arrays(const char *const *symbols, size_t nsymbols, const rb_time *times,
                                      size_t nrows, const double *weights, rb_target_table **out, rb_error *err)
{
    rb_status rc = check_arrays(symbols, nsymbols, times, nrows, weights, err);
    if (rc != RB_OK) return rc;
    if (nrows > SIZE_MAX / sizeof(double) / nsymbols) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    rb_target_table *t = rb_calloc(1, sizeof *t);
    if (t) {
        t->symbol = rb_calloc(nsymbols, sizeof *t->symbol);
        t->time = rb_malloc(nrows * sizeof *t->time);
        t->weight = rb_malloc(nrows * nsymbols * sizeof *t->weight);
    }
    for (size_t i = 0; t && t->symbol && i < nsymbols && (t->symbol[i] = rb_strdup(symbols[i])); i++) t->nsymbols++;
    if (!t || !t->time || !t->weight || t->nsymbols < nsymbols) {
        rb_target_table_free(t);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    memcpy(t->time, times, nrows * sizeof *t->time);
    memcpy(t->weight, weights, nrows * nsymbols * sizeof *t->weight);
    t->nrows = nrows;
    for (size_t r = 0; r < nrows && rc == RB_OK; r++) {
        char where[64], when[32];
        snprintf(where, sizeof where, "targets table: %s", rb_time_format(times[r], when));
        rc = check_weights(where, RB_ERR_USAGE, t, t->weight + r * nsymbols, err);
    }
    if (rc != RB_OK) {
        rb_target_table_free(t);
        return rc;
    }
    *out = t;
    return RB_OK;
}
