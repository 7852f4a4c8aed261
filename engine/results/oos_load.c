/* oos_load.c - reading an out-of-sample test back from a results store (oos_store.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "results/oos_store.h"

static double col_num(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static uint64_t col_rank(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : (uint64_t)sqlite3_column_int64(st, i);
}

static void col_text(sqlite3_stmt *st, int i, char *buf, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(buf, len, "%s", t ? (const char *)t : "");
}

static rb_status col_time(const rb_rconn *c, sqlite3_stmt *st, int i, rb_time *out, rb_error *err)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (t && rb_time_parse((const char *)t, NULL, out, err) == RB_OK) return RB_OK;
    return rb_fail(err, RB_ERR_SCHEMA, "%s: oos tables: '%s' is not a date", c->path, t ? (const char *)t : "NULL");
}

static void col_stats(sqlite3_stmt *st, int i, rb_oos_stats *s)
{
    *s = (rb_oos_stats){col_num(st, i), col_num(st, i + 1), col_num(st, i + 2),
                        col_num(st, i + 3), col_num(st, i + 4), col_num(st, i + 5)};
}

static rb_status load_test(const rb_rconn *c, int64_t sweep_id, rb_oos_result *r, int *found, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_rsql_prepare(c,
                                   "SELECT id, sweep_id, scheme, by_metric, configurations, windows, created_at, "
                                   "is_config_id, is_section, is_metric, oos_final_value, oos_total_return, oos_cagr, "
                                   "oos_ann_vol, oos_sharpe, oos_max_drawdown, is_final_value, is_total_return, "
                                   "is_cagr, is_ann_vol, is_sharpe, is_max_drawdown, top_decile, is_top_decile "
                                   "FROM oos_tests WHERE sweep_id = ? ORDER BY id DESC LIMIT 1",
                                   &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, sweep_id);
    int s = sqlite3_step(st);
    *found = s == SQLITE_ROW;
    if (s == SQLITE_ROW) {
        r->id = sqlite3_column_int64(st, 0);
        r->sweep_id = sqlite3_column_int64(st, 1);
        col_text(st, 2, r->scheme, sizeof r->scheme);
        col_text(st, 3, r->by, sizeof r->by);
        r->configurations = (uint64_t)sqlite3_column_int64(st, 4);
        r->nwindows = (size_t)sqlite3_column_int64(st, 5);
        col_text(st, 6, r->created_at, sizeof r->created_at);
        r->is_id = sqlite3_column_int64(st, 7);
        col_text(st, 8, r->is_section, sizeof r->is_section);
        r->is_metric = col_num(st, 9);
        col_stats(st, 10, &r->oos);
        col_stats(st, 16, &r->is);
        r->top_decile = col_num(st, 22);
        r->is_top_decile = col_num(st, 23);
    } else if (s != SQLITE_DONE) {
        rc = rb_rsql_fail(c, err, "reading the out-of-sample tests");
    }
    sqlite3_finalize(st);
    return rc;
}

static rb_status load_windows(const rb_rconn *c, rb_oos_result *r, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_rsql_prepare(c,
                                   "SELECT train_start, train_end, test_start, test_end, train_bars, test_bars, "
                                   "winner_config_id, winner_section, train_metric, test_metric, test_rank, ranked, "
                                   "is_test_rank, start_value, end_value FROM oos_windows WHERE oos_id = ? "
                                   "ORDER BY window_no",
                                   &st, err);
    if (rc != RB_OK) return rc;
    size_t want = r->nwindows;
    r->nwindows = 0;
    if (!(r->windows = rb_calloc(want ? want : 1, sizeof *r->windows))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    sqlite3_bind_int64(st, 1, r->id);
    while (rc == RB_OK && r->nwindows < want && sqlite3_step(st) == SQLITE_ROW) {
        rb_oos_window *w = &r->windows[r->nwindows];
        rc = col_time(c, st, 0, &w->train_start, err);
        if (rc == RB_OK) rc = col_time(c, st, 1, &w->train_end, err);
        if (rc == RB_OK) rc = col_time(c, st, 2, &w->test_start, err);
        if (rc == RB_OK) rc = col_time(c, st, 3, &w->test_end, err);
        w->train_bars = (size_t)sqlite3_column_int64(st, 4);
        w->test_bars = (size_t)sqlite3_column_int64(st, 5);
        w->winner_id = sqlite3_column_int64(st, 6);
        col_text(st, 7, w->winner_section, sizeof w->winner_section);
        w->train_metric = col_num(st, 8);
        w->test_metric = col_num(st, 9);
        w->test_rank = col_rank(st, 10);
        w->ranked = col_rank(st, 11);
        w->is_test_rank = col_rank(st, 12);
        w->start_value = col_num(st, 13);
        w->end_value = col_num(st, 14);
        if (rc == RB_OK) r->nwindows++;
    }
    sqlite3_finalize(st);
    if (rc == RB_OK && r->nwindows != want)
        rc = rb_fail(err, RB_ERR_SCHEMA, "%s: out-of-sample test %lld: %zu of its %zu windows stored", c->path,
                     (long long)r->id, r->nwindows, want);
    return rc;
}

static rb_status load_curve(const rb_rconn *c, rb_oos_result *r, rb_error *err)
{
    sqlite3_stmt *st;
    int64_t n = 0;
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM oos_curve WHERE oos_id = %lld", (long long)r->id);
    rb_status rc = rb_rsql_int(c, sql, &n, err);
    if (rc == RB_OK) rc = rb_rsql_prepare(c, "SELECT time, window_no, oos_value, is_value FROM oos_curve "
                                             "WHERE oos_id = ? ORDER BY bar", &st, err);
    if (rc != RB_OK) return rc;
    if (!(r->curve = rb_calloc(n ? (size_t)n : 1, sizeof *r->curve))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    sqlite3_bind_int64(st, 1, r->id);
    while (rc == RB_OK && r->npoints < (size_t)n && sqlite3_step(st) == SQLITE_ROW) {
        rb_oos_point *p = &r->curve[r->npoints];
        rc = col_time(c, st, 0, &p->time, err);
        p->window = (size_t)(sqlite3_column_int64(st, 1) - 1);
        p->oos_value = col_num(st, 2);
        p->is_value = col_num(st, 3);
        if (rc == RB_OK) r->npoints++;
    }
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_results_oos_load(const rb_rconn *c, int64_t sweep_id, rb_oos_result **out, rb_error *err)
{
    *out = NULL;
    if (c->version < RB_RESULTS_OOS_VERSION) return RB_OK;
    rb_oos_result *r = rb_calloc(1, sizeof *r);
    if (!r) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    int found = 0;
    rb_status rc = load_test(c, sweep_id, r, &found, err);
    if (rc == RB_OK && found) rc = load_windows(c, r, err);
    if (rc == RB_OK && found) rc = load_curve(c, r, err);
    if (rc == RB_OK && found) *out = r;
    else rb_oos_free(r);
    return rc;
}

void rb_oos_free(rb_oos_result *r)
{
    if (!r) return;
    free(r->windows);
    free(r->curve);
    free(r);
}
