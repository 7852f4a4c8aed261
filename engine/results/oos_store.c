/* oos_store.c - the out-of-sample tables of a results store (oos_store.h). */
#include "results/oos_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "error.h"

#define STATS_COLS(p) p "final_value, " p "total_return, " p "cagr, " p "ann_vol, " p "sharpe, " p "max_drawdown"

rb_status rb_results_oos_tables(const rb_rconn *c, rb_error *err)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS oos_tests (\n"
             "  id INTEGER PRIMARY KEY, sweep_id INTEGER NOT NULL REFERENCES sweeps(id),\n"
             "  scheme TEXT NOT NULL, by_metric TEXT NOT NULL, configurations INTEGER NOT NULL,\n"
             "  windows INTEGER NOT NULL, created_at TEXT NOT NULL,\n"
             "  is_config_id INTEGER, is_section TEXT, is_metric REAL,\n"
             "  oos_final_value REAL, oos_total_return REAL, oos_cagr REAL, oos_ann_vol REAL, oos_sharpe REAL,\n"
             "  oos_max_drawdown REAL, is_final_value REAL, is_total_return REAL, is_cagr REAL, is_ann_vol REAL,\n"
             "  is_sharpe REAL, is_max_drawdown REAL, top_decile REAL, is_top_decile REAL);\n"
             "CREATE TABLE IF NOT EXISTS oos_windows (\n"
             "  oos_id INTEGER NOT NULL REFERENCES oos_tests(id), window_no INTEGER NOT NULL,\n"
             "  train_start TEXT NOT NULL, train_end TEXT NOT NULL, test_start TEXT NOT NULL, test_end TEXT NOT NULL,\n"
             "  train_bars INTEGER NOT NULL, test_bars INTEGER NOT NULL, winner_config_id INTEGER NOT NULL,\n"
             "  winner_section TEXT NOT NULL, train_metric REAL, test_metric REAL, test_rank INTEGER,\n"
             "  ranked INTEGER NOT NULL, is_test_rank INTEGER, start_value REAL, end_value REAL,\n"
             "  PRIMARY KEY (oos_id, window_no)) WITHOUT ROWID;\n"
             "CREATE TABLE IF NOT EXISTS oos_curve (\n"
             "  oos_id INTEGER NOT NULL REFERENCES oos_tests(id), bar INTEGER NOT NULL, time TEXT NOT NULL,\n"
             "  window_no INTEGER NOT NULL, oos_value REAL, is_value REAL,\n"
             "  PRIMARY KEY (oos_id, bar)) WITHOUT ROWID;\n");
    return rb_rsql_exec(c, sql, "creating the out-of-sample tables", err);
}

rb_status rb_results_oos_find(const rb_rconn *c, int64_t sweep_id, const char *scheme, const char *by, int64_t *id,
                              rb_error *err)
{
    *id = 0;
    if (c->version < RB_RESULTS_OOS_VERSION) return RB_OK;
    sqlite3_stmt *st;
    rb_status rc = rb_rsql_prepare(
        c, "SELECT max(id) FROM oos_tests WHERE sweep_id = ? AND scheme = ? AND by_metric = ?", &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, sweep_id);
    sqlite3_bind_text(st, 2, scheme, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    else rc = rb_rsql_fail(c, err, "reading the out-of-sample tests");
    sqlite3_finalize(st);
    return rc;
}

static void bind_num(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v)) sqlite3_bind_null(st, i);
    else sqlite3_bind_double(st, i, v);
}

static void bind_rank(sqlite3_stmt *st, int i, uint64_t v)
{
    if (v == 0) sqlite3_bind_null(st, i);
    else sqlite3_bind_int64(st, i, (int64_t)v);
}

static void bind_time(sqlite3_stmt *st, int i, rb_time t)
{
    char buf[32];
    sqlite3_bind_text(st, i, rb_time_format(t, buf), -1, SQLITE_TRANSIENT);
}

static void bind_stats(sqlite3_stmt *st, int i, const rb_oos_stats *s)
{
    bind_num(st, i, s->final_value);
    bind_num(st, i + 1, s->total_return);
    bind_num(st, i + 2, s->cagr);
    bind_num(st, i + 3, s->ann_vol);
    bind_num(st, i + 4, s->sharpe);
    bind_num(st, i + 5, s->max_drawdown);
}

/* Steps a statement that returns no row, then resets it for the next bindings. */
static rb_status step_done(const rb_rconn *c, sqlite3_stmt *st, rb_error *err)
{
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return s == SQLITE_DONE ? RB_OK : rb_rsql_fail(c, err, "writing the out-of-sample test");
}

static rb_status write_test(const rb_rconn *c, const rb_oos_result *r, int64_t *id, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_rsql_prepare(c,
                                   "INSERT INTO oos_tests (sweep_id, scheme, by_metric, configurations, windows, "
                                   "created_at, is_config_id, is_section, is_metric, " STATS_COLS("oos_") ", "
                                   STATS_COLS("is_") ", top_decile, is_top_decile) VALUES "
                                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   &st, err);
    if (rc != RB_OK) return rc;
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    sqlite3_bind_int64(st, 1, r->sweep_id);
    sqlite3_bind_text(st, 2, r->scheme, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (int64_t)r->configurations);
    sqlite3_bind_int64(st, 5, (int64_t)r->nwindows);
    sqlite3_bind_text(st, 6, now, -1, SQLITE_TRANSIENT);
    if (r->is_id) {
        sqlite3_bind_int64(st, 7, r->is_id);
        sqlite3_bind_text(st, 8, r->is_section, -1, SQLITE_STATIC);
    }
    bind_num(st, 9, r->is_metric);
    bind_stats(st, 10, &r->oos);
    bind_stats(st, 16, &r->is);
    bind_num(st, 22, r->top_decile);
    bind_num(st, 23, r->is_top_decile);
    rc = step_done(c, st, err);
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static rb_status write_windows(const rb_rconn *c, const rb_oos_result *r, int64_t id, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_rsql_prepare(c,
                                   "INSERT INTO oos_windows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   &st, err);
    for (size_t i = 0; rc == RB_OK && i < r->nwindows; i++) {
        const rb_oos_window *w = &r->windows[i];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (int64_t)i + 1);
        bind_time(st, 3, w->train_start);
        bind_time(st, 4, w->train_end);
        bind_time(st, 5, w->test_start);
        bind_time(st, 6, w->test_end);
        sqlite3_bind_int64(st, 7, (int64_t)w->train_bars);
        sqlite3_bind_int64(st, 8, (int64_t)w->test_bars);
        sqlite3_bind_int64(st, 9, w->winner_id);
        sqlite3_bind_text(st, 10, w->winner_section, -1, SQLITE_STATIC);
        bind_num(st, 11, w->train_metric);
        bind_num(st, 12, w->test_metric);
        bind_rank(st, 13, w->test_rank);
        sqlite3_bind_int64(st, 14, (int64_t)w->ranked);
        bind_rank(st, 15, w->is_test_rank);
        bind_num(st, 16, w->start_value);
        bind_num(st, 17, w->end_value);
        rc = step_done(c, st, err);
    }
    sqlite3_finalize(st);
    return rc;
}

static rb_status write_curve(const rb_rconn *c, const rb_oos_result *r, int64_t id, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_rsql_prepare(c, "INSERT INTO oos_curve VALUES (?, ?, ?, ?, ?, ?)", &st, err);
    for (size_t t = 0; rc == RB_OK && t < r->npoints; t++) {
        const rb_oos_point *p = &r->curve[t];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (int64_t)t);
        bind_time(st, 3, p->time);
        sqlite3_bind_int64(st, 4, (int64_t)p->window + 1);
        bind_num(st, 5, p->oos_value);
        bind_num(st, 6, p->is_value);
        rc = step_done(c, st, err);
    }
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_results_oos_write(const rb_rconn *c, const rb_oos_result *r, int64_t *id, rb_error *err)
{
    if (c->version < RB_RESULTS_OOS_VERSION)
        return rb_fail(err, RB_ERR_SCHEMA, "%s: results schema version %d has no out-of-sample tables", c->path,
                       c->version);
    rb_status rc = rb_rsql_exec(c, "BEGIN IMMEDIATE", "writing the out-of-sample test", err);
    if (rc != RB_OK) return rc;
    rc = write_test(c, r, id, err);
    if (rc == RB_OK) rc = write_windows(c, r, *id, err);
    if (rc == RB_OK) rc = write_curve(c, r, *id, err);
    if (rc == RB_OK) rc = rb_rsql_exec(c, "COMMIT", "writing the out-of-sample test", err);
    if (rc != RB_OK) rb_rsql_rollback(c);
    return rc;
}
