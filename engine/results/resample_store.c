/* resample_store.c - writing and reading the results store's tables of resampled histories
 * (resample_store.h): the only code that knows them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "results/reader.h"
#include "results/resample_store.h"
#include "results/schema.h"

struct rb_resample_writer {
    const rb_rconn *c;
    sqlite3_stmt *insert;
    int64_t set_id;
};

static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS resample_sets (\n"
    "  id             INTEGER PRIMARY KEY,\n"
    "  sweep_id       INTEGER NOT NULL REFERENCES sweeps(id),\n"
    "  method         TEXT NOT NULL,\n"
    "  histories      INTEGER NOT NULL,\n"
    "  block_length   REAL,\n"
    "  seed           INTEGER NOT NULL,\n"
    "  configurations INTEGER NOT NULL,\n"
    "  seconds        REAL,\n"
    "  created_at     TEXT NOT NULL,\n"
    "  bh_histories   INTEGER NOT NULL,\n"
    "  bh_mean REAL, bh_median REAL, bh_p05 REAL, bh_p95 REAL\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS resamples (\n"
    "  set_id        INTEGER NOT NULL REFERENCES resample_sets(id),\n"
    "  config_id     INTEGER NOT NULL,\n"
    "  histories     INTEGER NOT NULL,\n"
    "  mean REAL, median REAL, p05 REAL, p95 REAL,\n"
    "  excess_mean REAL, excess_median REAL, excess_p05 REAL, excess_p95 REAL,\n"
    "  p_beat REAL,\n"
    "  PRIMARY KEY (set_id, config_id)\n"
    ") WITHOUT ROWID;\n";

static void bind_real(sqlite3_stmt *st, int i, double x)
{
    if (isnan(x)) sqlite3_bind_null(st, i);
    else sqlite3_bind_double(st, i, x);
}

static double column_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* The tables, the version mark, the earlier set of this sweep, method and seed gone. */
static rb_status prepare_set(const rb_rconn *c, int64_t sweep_id, const rb_resample_info *info, rb_error *err)
{
    rb_status rc = rb_rsql_exec(c, create_sql, "creating the resample tables", err);
    char mark[64];
    snprintf(mark, sizeof mark, "PRAGMA user_version = %d", RB_RESULTS_SCHEMA_RESAMPLE);
    if (rc == RB_OK) rc = rb_rsql_exec(c, mark, "marking the results store's schema version", err);
    sqlite3_stmt *st = NULL;
    if (rc == RB_OK)
        rc = rb_rsql_prepare(c,
                             "DELETE FROM resamples WHERE set_id IN (SELECT id FROM resample_sets WHERE sweep_id = ?1 "
                             "AND method = ?2 AND seed = ?3)",
                             &st, err);
    for (int pass = 0; pass < 2 && rc == RB_OK; pass++) {
        sqlite3_bind_int64(st, 1, sweep_id);
        sqlite3_bind_text(st, 2, info->method, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, (int64_t)info->spec.seed);
        if (sqlite3_step(st) != SQLITE_DONE) rc = rb_rsql_fail(c, err, "replacing an earlier resample");
        sqlite3_finalize(st);
        st = NULL;
        if (rc == RB_OK && pass == 0)
            rc = rb_rsql_prepare(c, "DELETE FROM resample_sets WHERE sweep_id = ?1 AND method = ?2 AND seed = ?3", &st,
                                 err);
    }
    return rc;
}

static rb_status insert_set(rb_resample_writer *w, int64_t sweep_id, const rb_resample_info *info, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_rsql_prepare(w->c,
                                   "INSERT INTO resample_sets (sweep_id, method, histories, block_length, seed, "
                                   "configurations, created_at, bh_histories, bh_mean, bh_median, bh_p05, bh_p95) "
                                   "VALUES (?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?, ?, ?, ?, ?)",
                                   &st, err);
    if (rc != RB_OK) return rc;
    const rb_resample_stat *b = &info->benchmark;
    sqlite3_bind_int64(st, 1, sweep_id);
    sqlite3_bind_text(st, 2, info->method, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (int64_t)info->spec.histories);
    if (info->spec.method == RB_RESAMPLE_BOOTSTRAP) sqlite3_bind_double(st, 4, info->spec.block_length);
    else sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, (int64_t)info->spec.seed);
    sqlite3_bind_int64(st, 6, (int64_t)info->configurations);
    sqlite3_bind_int64(st, 7, (int64_t)b->histories);
    bind_real(st, 8, b->mean);
    bind_real(st, 9, b->median);
    bind_real(st, 10, b->p05);
    bind_real(st, 11, b->p95);
    if (sqlite3_step(st) != SQLITE_DONE) rc = rb_rsql_fail(w->c, err, "recording a resample");
    sqlite3_finalize(st);
    w->set_id = sqlite3_last_insert_rowid(w->c->db);
    return rc;
}

rb_status rb_resample_store_begin(const rb_rconn *c, int64_t sweep_id, const rb_resample_info *info,
                                  rb_resample_writer **out, rb_error *err)
{
    rb_resample_writer *w = rb_calloc(1, sizeof *w);
    if (!w) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    w->c = c;
    rb_status rc = rb_rsql_exec(c, "BEGIN IMMEDIATE", "recording a resample", err);
    if (rc != RB_OK) {
        free(w);
        return rc;
    }
    rc = prepare_set(c, sweep_id, info, err);
    if (rc == RB_OK) rc = insert_set(w, sweep_id, info, err);
    if (rc == RB_OK)
        rc = rb_rsql_prepare(c,
                             "INSERT INTO resamples (set_id, config_id, histories, mean, median, p05, p95, "
                             "excess_mean, excess_median, excess_p05, excess_p95, p_beat) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             &w->insert, err);
    if (rc != RB_OK) {
        rb_resample_store_abort(w);
        return rc;
    }
    *out = w;
    return RB_OK;
}

rb_status rb_resample_store_put(rb_resample_writer *w, const rb_resample_stat *row, rb_error *err)
{
    sqlite3_stmt *st = w->insert;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, w->set_id);
    sqlite3_bind_int64(st, 2, row->config_id);
    sqlite3_bind_int64(st, 3, (int64_t)row->histories);
    const double x[] = {row->mean,          row->median,        row->p05,        row->p95,
                        row->excess_mean,   row->excess_median, row->excess_p05, row->excess_p95,
                        row->p_beat};
    for (int i = 0; i < 9; i++) bind_real(st, 4 + i, x[i]);
    if (sqlite3_step(st) != SQLITE_DONE) return rb_rsql_fail(w->c, err, "storing a resampled distribution");
    return RB_OK;
}

rb_status rb_resample_store_end(rb_resample_writer *w, double seconds, rb_error *err)
{
    sqlite3_finalize(w->insert);
    w->insert = NULL;
    sqlite3_stmt *st;
    rb_status rc = rb_rsql_prepare(w->c, "UPDATE resample_sets SET seconds = ? WHERE id = ?", &st, err);
    if (rc == RB_OK) {
        sqlite3_bind_double(st, 1, seconds);
        sqlite3_bind_int64(st, 2, w->set_id);
        if (sqlite3_step(st) != SQLITE_DONE) rc = rb_rsql_fail(w->c, err, "recording a resample");
        sqlite3_finalize(st);
    }
    if (rc == RB_OK) rc = rb_rsql_exec(w->c, "COMMIT", "recording a resample", err);
    if (rc != RB_OK) rb_rsql_rollback(w->c);
    free(w);
    return rc;
}

void rb_resample_store_abort(rb_resample_writer *w)
{
    if (!w) return;
    sqlite3_finalize(w->insert);
    rb_rsql_rollback(w->c);
    free(w);
}

/* The set's row into info; *set_id its id. */
static rb_status read_set(const rb_rconn *c, int64_t sweep_id, rb_resample_info *info, int64_t *set_id,
                          rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_rsql_prepare(c,
                                   "SELECT id, method, histories, block_length, seed, configurations, seconds, "
                                   "bh_histories, bh_mean, bh_median, bh_p05, bh_p95 FROM resample_sets "
                                   "WHERE sweep_id = ? ORDER BY id DESC LIMIT 1",
                                   &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, sweep_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        memset(info, 0, sizeof *info);
        *set_id = sqlite3_column_int64(st, 0);
        const char *method = (const char *)sqlite3_column_text(st, 1);
        snprintf(info->method, sizeof info->method, "%s", method ? method : "");
        info->spec.method = strncmp(info->method, "gbm", 3) == 0 ? RB_RESAMPLE_GBM : RB_RESAMPLE_BOOTSTRAP;
        info->spec.histories = (uint64_t)sqlite3_column_int64(st, 2);
        info->spec.block_length = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 3);
        info->spec.seed = (uint64_t)sqlite3_column_int64(st, 4);
        info->configurations = (uint64_t)sqlite3_column_int64(st, 5);
        info->seconds = column_real(st, 6);
        rb_resample_stat *b = &info->benchmark;
        b->histories = (uint64_t)sqlite3_column_int64(st, 7);
        b->mean = column_real(st, 8), b->median = column_real(st, 9);
        b->p05 = column_real(st, 10), b->p95 = column_real(st, 11);
        b->excess_mean = b->excess_median = b->excess_p05 = b->excess_p95 = b->p_beat = NAN;
    } else if (step == SQLITE_DONE) {
        rc = rb_fail(err, RB_ERR_NOT_FOUND, "%s: sweep %lld has no resampled histories (rebal sweep --resample)",
                     c->path, (long long)sweep_id);
    } else {
        rc = rb_rsql_fail(c, err, "reading the resamples");
    }
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_resample_store_read(const rb_rconn *c, int64_t sweep_id, rb_resample_info *info,
                                 rb_resample_stat **rows, size_t *n, rb_error *err)
{
    if (c->version < RB_RESULTS_SCHEMA_RESAMPLE)
        return rb_fail(err, RB_ERR_NOT_FOUND, "%s: sweep %lld has no resampled histories (rebal sweep --resample)",
                       c->path, (long long)sweep_id);
    int64_t set_id = 0, count = 0;
    rb_resample_info got;
    rb_status rc = read_set(c, sweep_id, &got, &set_id, err);
    sqlite3_stmt *st = NULL;
    if (rc == RB_OK) rc = rb_rsql_prepare(c, "SELECT count(*) FROM resamples WHERE set_id = ?", &st, err);
    if (rc == RB_OK) {
        sqlite3_bind_int64(st, 1, set_id);
        if (sqlite3_step(st) == SQLITE_ROW) count = sqlite3_column_int64(st, 0);
        else rc = rb_rsql_fail(c, err, "reading the resamples");
        sqlite3_finalize(st);
    }
    rb_resample_stat *out = rc == RB_OK ? rb_malloc((count ? (size_t)count : 1) * sizeof *out) : NULL;
    if (rc == RB_OK && !out) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory reading the resamples");
    if (rc == RB_OK)
        rc = rb_rsql_prepare(c,
                             "SELECT config_id, histories, mean, median, p05, p95, excess_mean, excess_median, "
                             "excess_p05, excess_p95, p_beat FROM resamples WHERE set_id = ? ORDER BY config_id",
                             &st, err);
    size_t got_rows = 0;
    if (rc == RB_OK) {
        sqlite3_bind_int64(st, 1, set_id);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW && got_rows < (size_t)count) {
            rb_resample_stat *r = &out[got_rows++];
            r->config_id = sqlite3_column_int64(st, 0);
            r->histories = (uint64_t)sqlite3_column_int64(st, 1);
            double *x[] = {&r->mean, &r->median, &r->p05, &r->p95, &r->excess_mean, &r->excess_median,
                           &r->excess_p05, &r->excess_p95, &r->p_beat};
            for (int i = 0; i < 9; i++) *x[i] = column_real(st, 2 + i);
        }
        if (step != SQLITE_ROW && step != SQLITE_DONE) rc = rb_rsql_fail(c, err, "reading the resamples");
        sqlite3_finalize(st);
    }
    if (rc != RB_OK) {
        free(out);
        return rc;
    }
    *info = got;
    *rows = out;
    *n = got_rows;
    return RB_OK;
}

/* ---------------------------------------------------------------- rebal.h */

rb_status rb_resample_read(const char *results_path, int64_t sweep_id, rb_resample_info *info,
                           rb_resample_stat **rows, size_t *n, rb_error *err)
{
    if (!results_path || !info || !rows || !n) return rb_fail(err, RB_ERR_USAGE, "rb_resample_read: missing argument");
    rb_results_reader *r = NULL;
    rb_results_sweep sweep = {0};
    rb_status rc = rb_results_reader_open(results_path, &r, err);
    if (rc == RB_OK) rc = rb_results_reader_sweep(r, sweep_id, &sweep, err);
    if (rc == RB_OK) rc = rb_resample_store_read(rb_results_reader_connection(r), sweep.id, info, rows, n, err);
    rb_results_sweep_clear(&sweep);
    rb_results_reader_close(r);
    return rc;
}
