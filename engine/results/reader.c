/* reader.c - reading a results store (reader.h): its sweeps, its columns, conditions on
 * them, and the runs of a sweep handed over one at a time. */
#include "reader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv_write.h"
#include "error.h"
#include "text.h"
#include "alloc.h"
#include "results/oos_store.h"

struct rb_results_reader {
    rb_rconn conn;
    int borrowed; /* conn is the writer's (rb_results_reader_borrow): not closed here */
    rb_results_columns cols;
    /* One run being handed over: per column its text, number and formatted number. */
    const char **text;
    double *number;
    char (*buf)[40];
};

void rb_results_reader_close(rb_results_reader *r)
{
    if (!r) return;
    rb_results_columns_free(&r->cols);
    if (!r->borrowed) rb_results_schema_close(&r->conn);
    free(r->text);
    free(r->number);
    free(r->buf);
    free(r);
}

/* The columns and the buffers of a reader whose connection is open. */
static rb_status reader_ready(rb_results_reader *r, rb_results_reader **out, rb_error *err)
{
    rb_status rc = rb_results_columns_read(&r->conn, &r->cols, err);
    if (rc == RB_OK) {
        size_t n = r->cols.n;
        r->text = rb_calloc(n, sizeof *r->text);
        r->number = rb_calloc(n, sizeof *r->number);
        r->buf = rb_calloc(n, sizeof *r->buf);
        if (!r->text || !r->number || !r->buf)
            rc = rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", r->conn.path);
    }
    if (rc != RB_OK) {
        rb_results_reader_close(r);
        return rc;
    }
    *out = r;
    return RB_OK;
}

rb_status rb_results_reader_open(const char *path, rb_results_reader **out, rb_error *err)
{
    rb_results_reader *r = rb_calloc(1, sizeof *r);
    if (!r) return rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", path ? path : "a results store");
    rb_status rc = rb_results_schema_open(path, 1, &r->conn, err);
    if (rc != RB_OK) {
        rb_results_reader_close(r);
        return rc;
    }
    return reader_ready(r, out, err);
}

rb_status rb_results_reader_borrow(const rb_rconn *c, rb_results_reader **out, rb_error *err)
{
    rb_results_reader *r = rb_calloc(1, sizeof *r);
    if (!r) return rb_fail(err, RB_ERR_NOMEM, "out of memory reading %s", c->path);
    r->conn = *c;
    r->borrowed = 1;
    return reader_ready(r, out, err);
}

const char *rb_results_reader_path(const rb_results_reader *r) { return r->conn.path; }

const rb_rconn *rb_results_reader_connection(const rb_results_reader *r) { return &r->conn; }

const rb_results_columns *rb_results_reader_columns(const rb_results_reader *r) { return &r->cols; }

/* ---------------------------------------------------------------- sweeps */

rb_status rb_results_reader_sweeps(rb_results_reader *r, rb_results_sweep **list, size_t *n, rb_error *err)
{
    return rb_results_sweep_list(&r->conn, 0, list, n, NULL, err);
}

void rb_results_sweep_clear(rb_results_sweep *s)
{
    free(s->spec);
    free(s->spec_path);
    s->spec = NULL;
    s->spec_path = NULL;
}

rb_status rb_results_reader_sweep(rb_results_reader *r, int64_t id, rb_results_sweep *out, rb_error *err)
{
    int64_t latest = 0;
    rb_results_sweep *list = NULL;
    size_t n = 0;
    /* A sweep named by its id is listed at once (the listing says which is the latest); the
     * latest is asked first. */
    rb_status rc = id ? RB_OK : rb_rsql_int(&r->conn, "SELECT coalesce(max(id), 0) FROM sweeps", &latest, err);
    if (rc == RB_OK && (id || latest)) rc = rb_results_sweep_list(&r->conn, id ? id : latest, &list, &n, &latest, err);
    if (rc != RB_OK) return rc;
    if (latest == 0) {
        rb_results_sweeps_free(list, n);
        return rb_fail(err, RB_ERR_NOT_FOUND, "%s: empty results store (no sweep recorded yet)", r->conn.path);
    }
    if (n == 0)
        return rb_fail(err, RB_ERR_NOT_FOUND, "%s: no sweep %lld (the latest is sweep %lld)", r->conn.path,
                       (long long)id, (long long)latest);
    *out = list[0];
    free(list);
    return RB_OK;
}

/* ---------------------------------------------------------------- runs */

/* The current row of a RB_RSELECT_ROWS statement as a run. */
static void decode(rb_results_reader *r, sqlite3_stmt *st, rb_results_run *run)
{
    const rb_results_columns *cols = &r->cols;
    memset(run, 0, sizeof *run);
    for (size_t i = 0; i < cols->n; i++) {
        const rb_results_column *col = &cols->col[i];
        const char *t = NULL;
        double v = NAN;
        switch (sqlite3_column_type(st, (int)i)) {
        case SQLITE_NULL: break;
        case SQLITE_INTEGER:
            v = (double)sqlite3_column_int64(st, (int)i);
            snprintf(r->buf[i], sizeof r->buf[i], "%lld", (long long)sqlite3_column_int64(st, (int)i));
            t = r->buf[i];
            break;
        case SQLITE_FLOAT:
            v = sqlite3_column_double(st, (int)i);
            if (col->kind != RB_RCOL_METRIC) rb_format_number(v, r->buf[i]);
            t = r->buf[i];
            break;
        default:
            t = (const char *)sqlite3_column_text(st, (int)i);
            if (col->kind == RB_RCOL_PARAM && !rb_results_number_text(t, col->fraction, &v)) v = NAN;
            break;
        }
        if (col->kind == RB_RCOL_METRIC) {
            memcpy((char *)&run->metrics + col->metric->offset, &v, sizeof v);
            t = NULL;
        }
        r->text[i] = t;
        r->number[i] = v;
    }
    const int *base = cols->base;
    run->config_id = sqlite3_column_int64(st, base[RB_RCOL_CONFIG_ID]);
    run->section = r->text[base[RB_RCOL_SECTION]];
    run->strategy = r->text[base[RB_RCOL_STRATEGY]];
    run->error = base[RB_RCOL_ERROR] >= 0 ? r->text[base[RB_RCOL_ERROR]] : NULL;
    run->text = r->text;
    run->number = r->number;
}

rb_status rb_results_reader_each(rb_results_reader *r, const rb_results_query *q, rb_results_run_fn fn, void *ctx,
                                 rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_results_schema_select(&r->conn, &r->cols, q, RB_RSELECT_ROWS, 0, &st, err);
    if (rc != RB_OK) return rc;
    int step = SQLITE_DONE;
    while (rc == RB_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rb_results_run run;
        decode(r, st, &run);
        rc = fn(ctx, &run, err);
    }
    if (rc == RB_OK && step != SQLITE_DONE) rc = rb_rsql_fail(&r->conn, err, "reading the runs");
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_results_reader_count(rb_results_reader *r, const rb_results_query *q, uint64_t *n, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_results_schema_select(&r->conn, &r->cols, q, RB_RSELECT_COUNT, 0, &st, err);
    if (rc != RB_OK) return rc;
    if (sqlite3_step(st) == SQLITE_ROW) *n = (uint64_t)sqlite3_column_int64(st, 0);
    else rc = rb_rsql_fail(&r->conn, err, "counting the runs");
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_results_reader_distinct(rb_results_reader *r, const rb_results_query *q, size_t column,
                                     rb_status (*fn)(void *ctx, const char *text, double number, rb_error *err),
                                     void *ctx, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_results_schema_select(&r->conn, &r->cols, q, RB_RSELECT_DISTINCT, column, &st, err);
    if (rc != RB_OK) return rc;
    const rb_results_column *col = &r->cols.col[column];
    int step = SQLITE_DONE;
    while (rc == RB_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        char buf[40];
        const char *t = NULL;
        double v = NAN;
        if (sqlite3_column_type(st, 0) == SQLITE_TEXT) {
            t = (const char *)sqlite3_column_text(st, 0);
            if (!rb_results_number_text(t, col->fraction, &v)) v = NAN;
        } else if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
            v = sqlite3_column_double(st, 0);
            rb_format_number(v, buf);
            t = buf;
        }
        rc = fn(ctx, t, v, err);
    }
    if (rc == RB_OK && step != SQLITE_DONE) rc = rb_rsql_fail(&r->conn, err, "reading the values of a column");
    sqlite3_finalize(st);
    return rc;
}

/* ---------------------------------------------------------------- metrics */

const char *rb_results_metric_hint(const char *name, char *buf, size_t len)
{
    rb_nearest near;
    rb_nearest_init(&near, name);
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    for (size_t k = 0; k < n; k++) rb_nearest_offer(&near, table[k].name);
    snprintf(buf, len, "%s", rb_nearest_hint(&near));
    return buf;
}

typedef struct id_list {
    int64_t *ids;
    size_t n;
} id_list;

static rb_status collect_id(void *ctx, const rb_results_run *run, rb_error *err)
{
    (void)err;
    id_list *l = ctx;
    l->ids[l->n++] = run->config_id;
    return RB_OK;
}

rb_status rb_results_best(const char *path, int64_t sweep_id, const char *by, size_t n, int64_t **ids, size_t *count,
                          rb_error *err)
{
    size_t nm;
    const rb_metric_info *table = rb_metric_table(&nm);
    size_t k = 0;
    while (k < nm && strcmp(table[k].name, by) != 0) k++;
    char hint[96];
    if (k == nm)
        return rb_fail(err, RB_ERR_USAGE, "--keep: '%s' is not a metric%s (see 'rebal help metrics')", by,
                       rb_results_metric_hint(by, hint, sizeof hint));
    rb_results_reader *r = NULL;
    rb_results_sweep sweep = {0};
    id_list l = {rb_malloc((n ? n : 1) * sizeof *l.ids), 0};
    rb_status rc = l.ids ? rb_results_reader_open(path, &r, err) : rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (rc == RB_OK) rc = rb_results_reader_sweep(r, sweep_id, &sweep, err);
    if (rc == RB_OK && rb_results_columns_find(&r->cols, by) < 0)
        rc = rb_fail(err, RB_ERR_SCHEMA, "%s: the runs have no column '%s'", path, by);
    if (rc == RB_OK) {
        rb_results_query q = {.sweep_id = sweep.id, .status = RB_RUNS_OK, .by = by, .limit = n};
        rc = n ? rb_results_reader_each(r, &q, collect_id, &l, err) : RB_OK;
    }
    rb_results_sweep_clear(&sweep);
    rb_results_reader_close(r);
    if (rc != RB_OK) {
        free(l.ids);
        return rc;
    }
    *ids = l.ids;
    *count = l.n;
    return RB_OK;
}

rb_status rb_results_reader_oos(rb_results_reader *r, int64_t sweep_id, rb_oos_result **out, rb_error *err)
{
    *out = NULL;
    if (sweep_id == 0) {
        rb_results_sweep s;
        rb_status rc = rb_results_reader_sweep(r, 0, &s, err);
        if (rc != RB_OK) return rc;
        sweep_id = s.id;
        rb_results_sweep_clear(&s);
    }
    return rb_results_oos_load(&r->conn, sweep_id, out, err);
}
