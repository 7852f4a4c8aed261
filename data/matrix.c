/* matrix.c - the loader that turns stored bars into the dense, aligned T x N price matrix the
 * engine replays: symbol and range validation, union (bounded forward fill) or intersect
 * alignment, the cash column, growth factors, calendar flags and periods per year. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bar_calendar.h"
#include "error.h"
#include "store.h"
#include "text.h"

/* Seconds in the year the cash rate compounds over (a Julian year: 365.25 days). */
#define CASH_YEAR_SECONDS (365.25 * 86400.0)

/* One stored bar as the loader uses it. */
typedef struct bar {
    rb_time ts;
    double open;   /* NaN when the stored open is NULL (the matrix then holds the close) */
    double close;
    double volume; /* NaN when the stored volume is NULL */
} bar;

/* What the loader knows about one column while it builds the matrix. */
typedef struct column {
    const char *symbol;
    int cash;            /* the RB_CASH position: never stored, never looked up */
    int64_t id;          /* assets.id */
    rb_time first, last; /* the asset's first and last stored bar */
    size_t begin, count; /* its rows in the shared bar buffer: the latest bar at or before start,
                          * then every later bar up to end, in time order */
    size_t lo;           /* index (into the buffer) of its first bar at or after start */
    int has_volume;      /* every bar from start to end has a volume */
} column;

void rb_load_options_init(rb_load_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->align = RB_ALIGN_UNION;
    opt->max_gap = 5;
    opt->cash_rate = 0.0;
    opt->periods_per_year = 0.0;
}

/* Frees each array on its own, so a matrix assembled by hand from separately malloc'ed
 * arrays (engine fixtures, tests) is released the same way; NULL fields are fine. */
void rb_matrix_free(rb_matrix *m)
{
    if (!m) return;
    if (m->symbols)
        for (size_t i = 0; i < m->N; i++) free(m->symbols[i]);
    free(m->symbols);
    free(m->time);
    free(m->close);
    free(m->open);
    free(m->volume);
    free(m->growth);
    free(m->filled);
    free(m->has_open);
    free(m->flags);
    free(m);
}

static int is_cash(const char *symbol) { return strcmp(symbol, RB_CASH) == 0; }

/* Option values and the symbol list, before anything touches the store. */
static rb_status check_options(const rb_load_options *opt, rb_error *err)
{
    if (opt->nsymbols == 0 || !opt->symbols)
        return rb_fail(err, RB_ERR_USAGE, "no symbols given: name at least one stored asset");
    if (opt->max_gap < 0)
        return rb_fail(err, RB_ERR_USAGE, "--max-gap must be 0 or more bars (got %d)", opt->max_gap);
    if (!isfinite(opt->cash_rate) || opt->cash_rate <= -1.0)
        return rb_fail(err, RB_ERR_USAGE,
                       "--cash-rate must be a yearly fraction greater than -1, e.g. 0.02 for 2 %% (got %g)",
                       opt->cash_rate);
    if (!isfinite(opt->periods_per_year) || opt->periods_per_year < 0.0)
        return rb_fail(err, RB_ERR_USAGE,
                       "--periods-per-year must be a positive number, or 0 to infer it (got %g)",
                       opt->periods_per_year);
    if (opt->has_start && opt->has_end && opt->start > opt->end) {
        char a[32], b[32];
        return rb_fail(err, RB_ERR_USAGE, "--start %s is after --end %s", rb_time_format(opt->start, a),
                       rb_time_format(opt->end, b));
    }
    if (opt->align != RB_ALIGN_UNION && opt->align != RB_ALIGN_INTERSECT)
        return rb_fail(err, RB_ERR_USAGE, "--align must be union or intersect (got value %d)", (int)opt->align);

    size_t stored = 0;
    for (size_t i = 0; i < opt->nsymbols; i++) {
        const char *s = opt->symbols[i];
        if (!s || !*s) return rb_fail(err, RB_ERR_USAGE, "symbol %zu of %zu is empty", i + 1, opt->nsymbols);
        for (size_t j = 0; j < i; j++)
            if (strcmp(opt->symbols[j], s) == 0)
                return rb_fail(err, RB_ERR_USAGE, "symbol '%s' is given twice (columns %zu and %zu)", s, j + 1,
                               i + 1);
        if (!is_cash(s)) stored++;
    }
    if (stored == 0)
        return rb_fail(err, RB_ERR_USAGE, "%s alone has no dates: name at least one stored asset besides it",
                       RB_CASH);
    return RB_OK;
}

/* Adds the nearest stored symbol to rb_store_asset_id's "unknown symbol" message
 * (symbols are case-sensitive: 'dax' is not DAX). */
static rb_status hint_unknown_symbol(rb_store *store, const char *symbol, rb_error *err)
{
    rb_nearest near;
    rb_nearest_init(&near, symbol);
    sqlite3_stmt *st;
    rb_error ignored = {0};
    if (rb_store_prepare(store, "SELECT symbol FROM assets ORDER BY symbol", &st, &ignored) == RB_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) rb_nearest_offer(&near, (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    return rb_fail(err, RB_ERR_NOT_FOUND, "%s: unknown symbol '%s'%s (see 'rebal assets')", store->path, symbol,
                   rb_nearest_hint(&near));
}

/* Looks every stored symbol up with its first and last bar. */
static rb_status describe_assets(rb_store *store, column *cols, size_t n, rb_error *err)
{
    /* Two scalar subqueries, so each is a single seek on the (asset_id, ts) primary key. */
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store,
                                    "SELECT (SELECT min(ts) FROM bars WHERE asset_id = ?1), "
                                    "(SELECT max(ts) FROM bars WHERE asset_id = ?1)",
                                    &st, err);
    if (rc != RB_OK) return rc;
    for (size_t i = 0; i < n && rc == RB_OK; i++) {
        column *c = &cols[i];
        if (c->cash) continue;
        rc = rb_store_asset_id(store, c->symbol, &c->id, err);
        if (rc == RB_ERR_NOT_FOUND) rc = hint_unknown_symbol(store, c->symbol, err);
        if (rc != RB_OK) break;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, c->id);
        if (sqlite3_step(st) != SQLITE_ROW) {
            rc = rb_store_sql_error(store, err, "reading an asset's first and last bar");
        } else if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
            rc = rb_fail(err, RB_ERR_DATA, "%s has no bars in the store (import some with 'rebal import')",
                         c->symbol);
        } else {
            c->first = sqlite3_column_int64(st, 0);
            c->last = sqlite3_column_int64(st, 1);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Resolves [start, end] from the options and the assets' first and last bars. */
static rb_status resolve_range(const rb_load_options *opt, const column *cols, size_t n, rb_time *start,
                               rb_time *end, rb_error *err)
{
    const column *latest_first = NULL, *earliest_last = NULL;
    for (size_t i = 0; i < n; i++) {
        if (cols[i].cash) continue;
        if (!latest_first || cols[i].first > latest_first->first) latest_first = &cols[i];
        if (!earliest_last || cols[i].last < earliest_last->last) earliest_last = &cols[i];
    }
    char a[32], b[32];
    for (size_t i = 0; opt->has_start && i < n; i++)
        if (!cols[i].cash && cols[i].first > opt->start)
            return rb_fail(err, RB_ERR_DATA, "%s starts on %s, after --start %s (use --start auto or a later --start)",
                           cols[i].symbol, rb_time_format(cols[i].first, a), rb_time_format(opt->start, b));
    for (size_t i = 0; opt->has_end && i < n; i++)
        if (!cols[i].cash && cols[i].last < opt->end)
            return rb_fail(err, RB_ERR_DATA, "%s ends on %s, before --end %s (use --end auto or an earlier --end)",
                           cols[i].symbol, rb_time_format(cols[i].last, a), rb_time_format(opt->end, b));

    rb_time s = opt->has_start ? opt->start : latest_first->first;
    rb_time e = opt->has_end ? opt->end : earliest_last->last;
    if (s > e) { /* both set and reversed was refused by check_options */
        if (opt->has_start)
            return rb_fail(err, RB_ERR_DATA, "--start %s is after the common data ends: %s ends on %s",
                           rb_time_format(s, a), earliest_last->symbol, rb_time_format(e, b));
        if (opt->has_end)
            return rb_fail(err, RB_ERR_DATA, "--end %s is before the common data starts: %s starts on %s",
                           rb_time_format(e, b), latest_first->symbol, rb_time_format(s, a));
        return rb_fail(err, RB_ERR_DATA, "the assets share no dates: %s starts on %s, after %s ends on %s",
                       latest_first->symbol, rb_time_format(s, a), earliest_last->symbol, rb_time_format(e, b));
    }
    *start = s;
    *end = e;
    return RB_OK;
}

/* Checks one bar's values; a missing open or volume is NaN. */
static rb_status check_bar(const column *c, const bar *b, rb_error *err)
{
    char d[32];
    if (!isfinite(b->close) || b->close <= 0.0)
        return rb_fail(err, RB_ERR_DATA, "%s has close %g on %s: prices must be positive", c->symbol, b->close,
                       rb_time_format(b->ts, d));
    if (!isnan(b->open) && (!isfinite(b->open) || b->open <= 0.0))
        return rb_fail(err, RB_ERR_DATA, "%s has open %g on %s: prices must be positive", c->symbol, b->open,
                       rb_time_format(b->ts, d));
    if (!isnan(b->volume) && (!isfinite(b->volume) || b->volume < 0.0))
        return rb_fail(err, RB_ERR_DATA, "%s has volume %g on %s: volumes must be 0 or more", c->symbol,
                       b->volume, rb_time_format(b->ts, d));
    return RB_OK;
}

/* Reads, for every stored column, its latest bar at or before start and all later bars up to
 * end into one growing buffer (*rows, *nrows); one prepared statement serves every asset. */
static rb_status read_bars(rb_store *store, column *cols, size_t n, rb_time start, rb_time end, bar **rows,
                           size_t *nrows, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store,
                                    "SELECT ts, open, close, volume FROM bars WHERE asset_id = ?1 "
                                    "AND ts >= (SELECT max(ts) FROM bars WHERE asset_id = ?1 AND ts <= ?2) "
                                    "AND ts <= ?3 ORDER BY ts",
                                    &st, err);
    if (rc != RB_OK) return rc;
    bar *buf = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < n && rc == RB_OK; i++) {
        column *c = &cols[i];
        if (c->cash) continue;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, c->id);
        sqlite3_bind_int64(st, 2, start);
        sqlite3_bind_int64(st, 3, end);
        c->begin = len;
        c->has_volume = 1;
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            if (len == cap) {
                size_t ncap = cap ? cap * 2 : 4096;
                bar *grown = realloc(buf, ncap * sizeof *grown);
                if (!grown) {
                    rc = rb_fail(err, RB_ERR_NOMEM, "out of memory reading the bars of %s", c->symbol);
                    break;
                }
                buf = grown;
                cap = ncap;
            }
            bar *b = &buf[len++];
            b->ts = sqlite3_column_int64(st, 0);
            b->close = sqlite3_column_double(st, 2);
            b->open = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
            b->volume = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3);
            rc = check_bar(c, b, err);
            if (rc != RB_OK) break;
            if (b->ts >= start && isnan(b->volume)) c->has_volume = 0;
        }
        if (rc == RB_OK && step != SQLITE_DONE) rc = rb_store_sql_error(store, err, "reading bars");
        if (rc != RB_OK) break;
        c->count = len - c->begin;
        /* The range check guarantees a bar at or before start, so the anchor row exists. */
        c->lo = c->begin + (c->count > 0 && buf[c->begin].ts < start ? 1 : 0);
        if (c->count == 0 || c->lo == c->begin + c->count) {
            char a[32], b[32];
            rc = rb_fail(err, RB_ERR_DATA, "%s has no bars from %s to %s", c->symbol, rb_time_format(start, a),
                         rb_time_format(end, b));
        }
    }
    sqlite3_finalize(st);
    if (rc != RB_OK) {
        free(buf);
        return rc;
    }
    *rows = buf;
    *nrows = len;
    return RB_OK;
}

/* Union: every time at which some stored column has a bar in range. A k-way merge over the
 * columns' sorted rows; head[i] walks column i. out holds at least the sum of in-range rows. */
static size_t union_times(const column *cols, size_t n, const bar *rows, size_t *head, rb_time *out)
{
    size_t T = 0;
    for (size_t i = 0; i < n; i++) head[i] = cols[i].lo;
    for (;;) {
        int any = 0;
        rb_time next = 0;
        for (size_t i = 0; i < n; i++) {
            if (cols[i].cash || head[i] == cols[i].begin + cols[i].count) continue;
            if (!any || rows[head[i]].ts < next) next = rows[head[i]].ts;
            any = 1;
        }
        if (!any) return T;
        out[T++] = next;
        for (size_t i = 0; i < n; i++)
            if (!cols[i].cash && head[i] < cols[i].begin + cols[i].count && rows[head[i]].ts == next) head[i]++;
    }
}

/* Intersect: the times at which every stored column has a bar in range. */
static size_t intersect_times(const column *cols, size_t n, const bar *rows, size_t *head, rb_time *out)
{
    size_t T = 0;
    for (size_t i = 0; i < n; i++) head[i] = cols[i].lo;
    for (;;) {
        /* The candidate is the largest head; every column skips ahead to it. */
        rb_time want = INT64_MIN;
        for (size_t i = 0; i < n; i++) {
            if (cols[i].cash) continue;
            if (head[i] == cols[i].begin + cols[i].count) return T;
            if (rows[head[i]].ts > want) want = rows[head[i]].ts;
        }
        int all = 1;
        for (size_t i = 0; i < n; i++) {
            if (cols[i].cash) continue;
            size_t stop = cols[i].begin + cols[i].count;
            while (head[i] < stop && rows[head[i]].ts < want) head[i]++;
            if (head[i] == stop) return T;
            if (rows[head[i]].ts != want) all = 0;
        }
        if (!all) continue;
        out[T++] = want;
        for (size_t i = 0; i < n; i++)
            if (!cols[i].cash) head[i]++;
    }
}

/* Allocates an empty matrix of T bars by N columns; every array is allocated here, once. */
static rb_matrix *matrix_new(size_t T, size_t N)
{
    if (T > SIZE_MAX / N / sizeof(double)) return NULL;
    size_t cells = T * N;
    rb_matrix *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->T = T;
    m->N = N;
    m->symbols = calloc(N, sizeof *m->symbols);
    m->time = malloc(T * sizeof *m->time);
    m->close = malloc(cells * sizeof *m->close);
    m->open = malloc(cells * sizeof *m->open);
    m->volume = malloc(cells * sizeof *m->volume);
    m->growth = malloc(cells * sizeof *m->growth);
    m->filled = calloc(cells, sizeof *m->filled);
    m->has_open = malloc(N * sizeof *m->has_open);
    m->flags = malloc(T * sizeof *m->flags);
    if (!m->symbols || !m->time || !m->close || !m->open || !m->volume || !m->growth || !m->filled ||
        !m->has_open || !m->flags) {
        rb_matrix_free(m);
        return NULL;
    }
    return m;
}

/* Reports a run of forward-filled bars of column c, rows from..to of m, longer than max_gap. */
static rb_status gap_error(const column *c, const rb_matrix *m, size_t from, size_t to, int max_gap,
                           rb_error *err)
{
    char a[32], b[32];
    size_t len = to - from + 1;
    if (len == 1)
        return rb_fail(err, RB_ERR_DATA,
                       "%s has no bar on %s (over --max-gap %d; raise --max-gap or use --align intersect)",
                       c->symbol, rb_time_format(m->time[from], a), max_gap);
    return rb_fail(err, RB_ERR_DATA,
                   "%s has no bar for %zu consecutive bars from %s to %s (over --max-gap %d; raise --max-gap or "
                   "use --align intersect)",
                   c->symbol, len, rb_time_format(m->time[from], a), rb_time_format(m->time[to], b), max_gap);
}

/* Fills column i of m from its rows: at each bar time the latest bar at or before it, marked
 * filled (open = close = that close) where it is older. A real bar without a stored open gets
 * its close as open, and has_open[i] says whether every real bar had one. Fails on a fill run
 * over max_gap. *volume_ok is cleared when a real bar lacks a volume. */
static rb_status fill_column(const column *c, size_t i, const bar *rows, rb_matrix *m, int max_gap,
                             int *volume_ok, rb_error *err)
{
    size_t N = m->N, p = c->begin, stop = c->begin + c->count;
    double fill_volume = c->has_volume ? 0.0 : NAN;
    size_t run = 0; /* length of the current run of filled bars */
    m->has_open[i] = 1;
    for (size_t t = 0; t < m->T; t++) {
        while (p + 1 < stop && rows[p + 1].ts <= m->time[t]) p++;
        const bar *b = &rows[p];
        size_t k = t * N + i;
        if (b->ts == m->time[t]) {
            if (run > (size_t)max_gap) return gap_error(c, m, t - run, t - 1, max_gap, err);
            run = 0;
            m->open[k] = isnan(b->open) ? b->close : b->open;
            if (isnan(b->open)) m->has_open[i] = 0;
            m->close[k] = b->close;
            m->volume[k] = b->volume;
            if (isnan(b->volume)) *volume_ok = 0;
        } else {
            run++;
            m->open[k] = b->close;
            m->close[k] = b->close;
            m->volume[k] = fill_volume;
            m->filled[k] = 1;
        }
    }
    if (run > (size_t)max_gap) return gap_error(c, m, m->T - run, m->T - 1, max_gap, err);
    return RB_OK;
}

/* The cash position: 1 at the first bar, compounding cash_rate per 365.25 days of elapsed time. */
static void fill_cash(size_t i, double rate, rb_matrix *m)
{
    for (size_t t = 0; t < m->T; t++) {
        size_t k = t * m->N + i;
        double years = (double)(m->time[t] - m->time[0]) / CASH_YEAR_SECONDS;
        m->close[k] = m->open[k] = pow(1.0 + rate, years);
        m->volume[k] = NAN;
    }
}

rb_status rb_matrix_load(rb_store *store, const rb_load_options *opt, rb_matrix **out, rb_error *err)
{
    if (!store || !opt || !out)
        return rb_fail(err, RB_ERR_USAGE, "rb_matrix_load: store, options and out are required");
    rb_status rc = check_options(opt, err);
    if (rc != RB_OK) return rc;

    size_t N = opt->nsymbols;
    column *cols = calloc(N, sizeof *cols);
    size_t *head = calloc(N, sizeof *head);
    bar *rows = NULL;
    rb_time *times = NULL;
    rb_matrix *m = NULL;
    if (!cols || !head) {
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory loading the price matrix");
        goto done;
    }
    for (size_t i = 0; i < N; i++) {
        cols[i].symbol = opt->symbols[i];
        cols[i].cash = is_cash(opt->symbols[i]);
    }

    /* One read transaction (unless the caller holds one): every query sees the same snapshot,
     * even while an import commits next to us. */
    int own_txn = sqlite3_get_autocommit(store->db);
    if (own_txn && sqlite3_exec(store->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = rb_store_sql_error(store, err, "starting a read transaction");
        goto done;
    }
    rb_time start = 0, end = 0;
    size_t nrows = 0;
    rc = describe_assets(store, cols, N, err);
    if (rc == RB_OK) rc = resolve_range(opt, cols, N, &start, &end, err);
    if (rc == RB_OK) rc = read_bars(store, cols, N, start, end, &rows, &nrows, err);
    if (own_txn) rb_store_rollback(store); /* it wrote nothing: ending it only releases the snapshot */
    if (rc != RB_OK) goto done;

    /* Every in-range row is at most one bar time, so nrows bounds T for both alignments. */
    times = malloc(nrows * sizeof *times);
    if (!times) {
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory loading the price matrix");
        goto done;
    }
    size_t T = opt->align == RB_ALIGN_UNION ? union_times(cols, N, rows, head, times)
                                            : intersect_times(cols, N, rows, head, times);
    char a[32], b[32], c[32];
    if (T == 0) {
        rc = rb_fail(err, RB_ERR_DATA,
                     "no bar time from %s to %s at which every asset has a bar (try --align union)",
                     rb_time_format(start, a), rb_time_format(end, b));
        goto done;
    }
    if (T == 1) {
        rc = rb_fail(err, RB_ERR_DATA, "only one bar time (%s) from %s to %s: the matrix needs at least 2 bars",
                     rb_time_format(times[0], c), rb_time_format(start, a), rb_time_format(end, b));
        goto done;
    }

    m = matrix_new(T, N);
    if (!m) {
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory allocating a %zu x %zu price matrix", T, N);
        goto done;
    }
    memcpy(m->time, times, T * sizeof *times);
    m->has_volume = 1;
    for (size_t i = 0; i < N && rc == RB_OK; i++) {
        if (!(m->symbols[i] = strdup(cols[i].symbol))) {
            rc = rb_fail(err, RB_ERR_NOMEM, "out of memory loading the price matrix");
        } else if (cols[i].cash) {
            fill_cash(i, opt->cash_rate, m);
            m->has_open[i] = 1; /* cash is worth its value at any moment */
        } else {
            rc = fill_column(&cols[i], i, rows, m, opt->max_gap, &m->has_volume, err);
        }
    }
    if (rc != RB_OK) goto done;

    for (size_t i = 0; i < N; i++) m->growth[i] = 1.0;
    for (size_t k = N; k < T * N; k++) m->growth[k] = m->close[k] / m->close[k - N];
    rb_calendar_flags(m->time, T, m->flags);
    if (opt->periods_per_year > 0.0) {
        m->periods_per_year = opt->periods_per_year;
        snprintf(m->periods_source, sizeof m->periods_source, "set by --periods-per-year");
    } else {
        m->periods_per_year = rb_infer_periods_per_year(m->time, T, m->periods_source, sizeof m->periods_source);
        m->periods_inferred = 1;
    }
    *out = m;
    m = NULL;

done:
    rb_matrix_free(m);
    free(times);
    free(rows);
    free(head);
    free(cols);
    return rc;
}
