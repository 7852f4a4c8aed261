/* series.c - dated numeric series in the price store (rebal.h, "dated series"): imported
 * from a date,value CSV file or from arrays in one transaction, listed, read whole, and
 * forward-filled onto a run's bars (series.h). The store's tables: store.h. */
#include "series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "dated_csv.h"
#include "error.h"
#include "import/symbols.h"
#include "number.h"
#include "store.h"
#include "text.h"

/* The first schema version with the series tables (store.c). */
#define SERIES_SCHEMA 2

/* The points to write: from a file (source and line set) or from arrays. */
typedef struct points {
    const char *name;
    const char *source; /* the file, or NULL */
    size_t n, cap;
    rb_time *time;
    double *value;
    size_t *line; /* n lines of the file, or NULL */
} points;

static void points_free(points *p)
{
    free(p->time);
    free(p->value);
    free(p->line);
}

/* Room for one more point (and its line when p has lines). 0 when out of memory. */
static int points_grow(points *p, int lines)
{
    if (p->n < p->cap) return 1;
    size_t cap = p->cap ? 2 * p->cap : 256;
    rb_time *t = rb_realloc(p->time, cap * sizeof *t);
    if (t) p->time = t;
    double *v = t ? rb_realloc(p->value, cap * sizeof *v) : NULL;
    if (v) p->value = v;
    size_t *line = v && lines ? rb_realloc(p->line, cap * sizeof *line) : NULL;
    if (line) p->line = line;
    if (!v || (lines && !line)) return 0;
    p->cap = cap;
    return 1;
}

/* The refusal of a series the store does not hold. */
static rb_status no_series(rb_store *store, const char *name, rb_error *err)
{
    char shown[RB_QUOTE_BUF(RB_SYMBOL_MAX)];
    return rb_fail(err, RB_ERR_NOT_FOUND, "%s: no series '%s' (see 'rebal series')", store->path,
                   rb_text_quote(name, strlen(name), RB_SYMBOL_MAX, shown, sizeof shown));
}

/* "FILE:LINE" or "series NAME" for a message about point k. */
static void where(const points *p, size_t k, char *buf, size_t len)
{
    if (p->source) snprintf(buf, len, "%s:%zu", p->source, p->line[k]);
    else snprintf(buf, len, "series %s", p->name);
}

static rb_status check_name(const char *name, rb_error *err)
{
    if (!name) return rb_fail(err, RB_ERR_USAGE, "series: no name given");
    char why[256];
    if (rb_symbol_problem(name, strlen(name), why, sizeof why))
        return rb_fail(err, RB_ERR_USAGE, "series name: %s", why);
    return RB_OK;
}

/* ---------------------------------------------------------------- reading a file */

static rb_status file_columns(const rb_dated_row *row, rb_error *err)
{
    if (row->n == 2) return RB_OK;
    return rb_fail(err, RB_ERR_DATA, "%s:%zu: %zu column%s: a series file has two, date,value", row->path, row->line,
                   row->n, row->n == 1 ? "" : "s");
}

static rb_status file_header(void *ctx, const rb_dated_row *row, rb_error *err)
{
    (void)ctx;
    return file_columns(row, err);
}

static rb_status file_row(void *ctx, const rb_dated_row *row, rb_error *err)
{
    points *p = ctx;
    rb_status rc = file_columns(row, err);
    if (rc != RB_OK) return rc;
    const char *text = row->cell[1];
    double v;
    rb_number_read_status got = rb_number_read(text, strlen(text), 0, &v);
    if (got != RB_NUMBER_OK) {
        char shown[RB_QUOTE_BUF(40)];
        return rb_fail(err, RB_ERR_DATA, "%s:%zu: value '%s' is not a %s", row->path, row->line,
                       rb_text_quote(text, strlen(text), 40, shown, sizeof shown),
                       got == RB_NUMBER_PERCENT ? "plain number (write 5% as 0.05)" : "finite number");
    }
    if (!points_grow(p, 1)) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    p->time[p->n] = row->time;
    p->value[p->n] = v;
    p->line[p->n++] = row->line;
    return RB_OK;
}

/* ---------------------------------------------------------------- writing */

static rb_status series_id(rb_store *store, const char *name, int create, int64_t *id, int *created, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store, "SELECT id FROM series WHERE name = ?1", &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (step == SQLITE_ROW) return RB_OK;
    if (step != SQLITE_DONE) return rb_store_sql_error(store, err, "looking up a series");
    if (!create) return no_series(store, name, err);
    rc = rb_store_prepare(store, "INSERT INTO series(name) VALUES (?1)", &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) return rb_store_sql_error(store, err, "creating a series");
    *id = sqlite3_last_insert_rowid(store->db);
    *created = 1;
    return RB_OK;
}

/* Stores each point: new, the same as stored, or (with replace) overwriting another value;
 * another value without replace is refused, naming where the point came from. */
static rb_status write_points(rb_store *store, const points *p, int64_t id, int replace, rb_series_stats *stats,
                              rb_error *err)
{
    sqlite3_stmt *get = NULL, *put = NULL;
    rb_status rc = rb_store_prepare(store, "SELECT value FROM series_points WHERE series_id = ?1 AND ts = ?2", &get,
                                    err);
    if (rc == RB_OK)
        rc = rb_store_prepare(store, "INSERT OR REPLACE INTO series_points(series_id, ts, value) VALUES (?1, ?2, ?3)",
                              &put, err);
    for (size_t k = 0; rc == RB_OK && k < p->n; k++) {
        sqlite3_bind_int64(get, 1, id);
        sqlite3_bind_int64(get, 2, p->time[k]);
        int step = sqlite3_step(get);
        int stored = step == SQLITE_ROW;
        double old = stored ? sqlite3_column_double(get, 0) : 0;
        sqlite3_reset(get);
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            rc = rb_store_sql_error(store, err, "reading a series");
            break;
        }
        if (stored && old == p->value[k]) {
            stats->unchanged++;
            continue;
        }
        if (stored && !replace) {
            char at[4200], when[32];
            where(p, k, at, sizeof at);
            rc = rb_fail(err, RB_ERR_CONFLICT, "%s: %s on %s is stored as %.17g, not %.17g (--replace overwrites it)",
                         at, p->name, rb_time_format(p->time[k], when), old, p->value[k]);
            break;
        }
        sqlite3_bind_int64(put, 1, id);
        sqlite3_bind_int64(put, 2, p->time[k]);
        sqlite3_bind_double(put, 3, p->value[k]);
        if (sqlite3_step(put) != SQLITE_DONE) rc = rb_store_sql_error(store, err, "writing a series");
        sqlite3_reset(put);
        if (stored) stats->replaced++;
        else stats->added++;
    }
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    return rc;
}

/* One row of the imports table for what changed (format "series NAME"). */
static rb_status record_import(rb_store *store, const points *p, const rb_series_stats *stats, rb_error *err)
{
    if (stats->added == 0 && stats->replaced == 0) return RB_OK;
    char now[32], format[RB_SYMBOL_MAX + 8];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(format, sizeof format, "series %s", p->name);
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store,
                                    "INSERT INTO imports(source, format, rows, bars_added, bars_replaced, imported_at) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                    &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_text(st, 1, p->source ? p->source : "(arrays)", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, format, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)p->n);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)stats->added);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)stats->replaced);
    sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = rb_store_sql_error(store, err, "recording the import");
    sqlite3_finalize(st);
    return rc;
}

/* The points of p into the store in one transaction; stats only on success. */
static rb_status store_points(rb_store *store, const points *p, int replace, rb_series_stats *stats, rb_error *err)
{
    if (store->readonly) return rb_fail(err, RB_ERR_USAGE, "%s: opened read-only: cannot import a series", store->path);
    rb_series_stats s = {.rows = p->n};
    int64_t id = 0;
    rb_status rc = rb_store_begin(store, err);
    if (rc != RB_OK) return rc;
    rc = series_id(store, p->name, 1, &id, &s.created, err);
    if (rc == RB_OK) rc = write_points(store, p, id, replace, &s, err);
    if (rc == RB_OK) rc = record_import(store, p, &s, err);
    if (rc == RB_OK) rc = rb_store_commit(store, err);
    if (rc != RB_OK) {
        rb_store_rollback(store);
        return rc;
    }
    if (stats) *stats = s;
    return RB_OK;
}

rb_status rb_series_import_file(rb_store *store, const char *name, const char *path, int replace,
                                rb_series_stats *stats, rb_error *err)
{
    if (!store || !path) return rb_fail(err, RB_ERR_USAGE, "rb_series_import_file: no %s", store ? "path" : "store");
    rb_status rc = check_name(name, err);
    if (rc != RB_OK) return rc;
    points p = {.name = name, .source = path};
    rc = rb_dated_csv_read(path, file_header, file_row, &p, err);
    if (rc == RB_OK && p.n == 0)
        rc = rb_fail(err, RB_ERR_DATA, "%s: no data rows: a series file holds date,value rows", path);
    if (rc == RB_OK) rc = store_points(store, &p, replace, stats, err);
    points_free(&p);
    return rc;
}

rb_status rb_series_import_arrays(rb_store *store, const char *name, const rb_time *time, const double *value,
                                  size_t n, int replace, rb_series_stats *stats, rb_error *err)
{
    if (!store) return rb_fail(err, RB_ERR_USAGE, "rb_series_import_arrays: no store");
    rb_status rc = check_name(name, err);
    if (rc != RB_OK) return rc;
    if (n == 0 || !time || !value) return rb_fail(err, RB_ERR_USAGE, "series %s: no points given", name);
    for (size_t k = 0; k < n; k++) {
        char a[32], b[32];
        if (k > 0 && time[k] <= time[k - 1])
            return rb_fail(err, RB_ERR_USAGE, "series %s: the times must increase: %s (at %zu) is not after %s", name,
                           rb_time_format(time[k], a), k, rb_time_format(time[k - 1], b));
        if (!isfinite(value[k]))
            return rb_fail(err, RB_ERR_USAGE, "series %s: the value on %s is not a finite number", name,
                           rb_time_format(time[k], a));
    }
    points p = {.name = name, .n = n, .time = (rb_time *)time, .value = (double *)value};
    return store_points(store, &p, replace, stats, err);
}

/* ---------------------------------------------------------------- reading */

rb_status rb_store_list_series(rb_store *store, rb_series_info **out, size_t *n, rb_error *err)
{
    *out = NULL;
    *n = 0;
    if (store->version < SERIES_SCHEMA) return RB_OK;
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store,
                                    "SELECT s.name, min(p.ts), max(p.ts), count(p.ts) FROM series s LEFT JOIN "
                                    "series_points p ON p.series_id = s.id GROUP BY s.id ORDER BY s.name",
                                    &st, err);
    if (rc != RB_OK) return rc;
    rb_series_info *list = NULL;
    size_t count = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            rb_series_info *grown = rb_realloc(list, ncap * sizeof *grown);
            if (!grown) {
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory listing series");
                break;
            }
            list = grown;
            cap = ncap;
        }
        rb_series_info *s = &list[count++];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", (const char *)sqlite3_column_text(st, 0));
        s->first = sqlite3_column_int64(st, 1);
        s->last = sqlite3_column_int64(st, 2);
        s->points = sqlite3_column_int64(st, 3);
    }
    if (rc == RB_OK && step != SQLITE_DONE) rc = rb_store_sql_error(store, err, "listing series");
    sqlite3_finalize(st);
    if (rc != RB_OK) {
        free(list);
        return rc;
    }
    *out = list;
    *n = count;
    return RB_OK;
}

/* Calls fn(ctx, time, value) for each point of series `name` up to `until`, in time order. */
typedef void (*point_fn)(void *ctx, rb_time t, double v);

static rb_status each_point(rb_store *store, const char *name, rb_time until, point_fn fn, void *ctx, rb_error *err)
{
    if (store->version < SERIES_SCHEMA) return no_series(store, name, err);
    int64_t id = 0;
    int created = 0;
    rb_status rc = series_id(store, name, 0, &id, &created, err);
    if (rc != RB_OK) return rc;
    sqlite3_stmt *st;
    rc = rb_store_prepare(store, "SELECT ts, value FROM series_points WHERE series_id = ?1 AND ts <= ?2 ORDER BY ts",
                          &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, until);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_double(st, 1));
    if (step != SQLITE_DONE) rc = rb_store_sql_error(store, err, "reading a series");
    sqlite3_finalize(st);
    return rc;
}

typedef struct collect {
    points p;
    int nomem;
} collect;

static void collect_point(void *ctx, rb_time t, double v)
{
    collect *c = ctx;
    if (c->nomem || !points_grow(&c->p, 0)) {
        c->nomem = 1;
        return;
    }
    c->p.time[c->p.n] = t;
    c->p.value[c->p.n++] = v;
}

rb_status rb_series_get(rb_store *store, const char *name, rb_time **time, double **value, size_t *n, rb_error *err)
{
    collect c = {0};
    rb_status rc = each_point(store, name, INT64_MAX, collect_point, &c, err);
    if (rc == RB_OK && c.nomem) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory reading series %s", name);
    if (rc == RB_OK && c.p.n == 0) rc = rb_fail(err, RB_ERR_NOT_FOUND, "%s: series %s holds no points", store->path, name);
    if (rc != RB_OK) {
        points_free(&c.p);
        return rc;
    }
    *time = c.p.time;
    *value = c.p.value;
    *n = c.p.n;
    return RB_OK;
}

typedef struct fill {
    const rb_time *bar;
    size_t T, t;
    double *out;
    double current;
} fill;

static void fill_point(void *ctx, rb_time ts, double v)
{
    fill *f = ctx;
    while (f->t < f->T && f->bar[f->t] < ts) f->out[f->t++] = f->current;
    f->current = v;
}

rb_status rb_series_fill(rb_store *store, const char *name, const rb_time *bar, size_t T, double *out, rb_error *err)
{
    if (T == 0) return RB_OK;
    fill f = {.bar = bar, .T = T, .out = out, .current = NAN};
    rb_status rc = each_point(store, name, bar[T - 1], fill_point, &f, err);
    while (rc == RB_OK && f.t < T) out[f.t++] = f.current;
    return rc;
}
