/* results_check.c - helpers of the results store suites (results_check.h). */
#include "results_check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sqlite3 *db_open(const char *path)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK, "%s", path);
    return db;
}

int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The first column of the first row as text (malloc'ed; NULL for SQL NULL). */
char *query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    const unsigned char *s = sqlite3_column_text(st, 0);
    char *v = s ? strdup((const char *)s) : NULL;
    sqlite3_finalize(st);
    return v;
}

void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

void assert_integrity(const char *path)
{
    sqlite3 *db = db_open(path);
    char *ok = query_text(db, "PRAGMA integrity_check");
    cr_assert_str_eq(ok, "ok", "%s: integrity_check says %s", path, ok);
    free(ok);
    sqlite3_close(db);
}

rb_results *open_ok(const char *path)
{
    rb_results *r = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_results_open(path, &r, &err), RB_OK, "%s", err.msg);
    cr_assert_not_null(r);
    return r;
}

void begin_ok(rb_results *r, const char *spec, const char *hash, uint64_t n, const char *const *keys,
                     size_t nkeys, int resume, int *resumed, int64_t **done, size_t *ndone)
{
    rb_error err = {0};
    cr_assert_eq(rb_results_begin(r, spec, hash, n, keys, nkeys, resume, resumed, done, ndone, &err), RB_OK, "%s",
                 err.msg);
}

void end_ok(rb_results *r, const char *status)
{
    rb_error err = {0};
    cr_assert_eq(rb_results_end(r, status, &err), RB_OK, "%s", err.msg);
}

void set_metric(rb_metrics *m, const char *name, double v)
{
    size_t n;
    const rb_metric_info *t = rb_metric_table(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0) {
            memcpy((char *)m + t[i].offset, &v, sizeof v);
            return;
        }
    cr_assert_fail("no metric %s", name);
}

double get_metric(const rb_metrics *m, size_t i)
{
    size_t n;
    const rb_metric_info *t = rb_metric_table(&n);
    double v;
    memcpy(&v, (const char *)m + t[i].offset, sizeof v);
    return v;
}

/* ---- generated rows: row i of a synthetic sweep, its id and everything stored */

const char *const gen_keys[] = {"band", "every", "fee-bps"};


/* splitmix64: distinct, well spread 63-bit ids like rb_sweep_config_id's. */
int64_t gen_id(size_t i)
{
    uint64_t z = (uint64_t)i + 0x9E3779B97F4A7C15ull * (i + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (int64_t)(z >> 1);
}

void gen(size_t i, gen_row *g)
{
    static const char *const every[] = {"week", "month", "quarter"};
    memset(g, 0, sizeof *g);
    size_t family = i % 3, n = 0;
    snprintf(g->band, sizeof g->band, "0.0%zu", 1 + i % 5);
    snprintf(g->every, sizeof g->every, "%s", every[(i / 3) % 3]);
    snprintf(g->fee, sizeof g->fee, "%zu", (i % 4) * 5);
    if (family == 0) {
        snprintf(g->section, sizeof g->section, "calendar.%s", g->every);
        snprintf(g->strategy, sizeof g->strategy, "calendar");
        g->kv[n++] = (rb_sweep_kv){"every", g->every};
    } else if (family == 1) {
        snprintf(g->section, sizeof g->section, "threshold");
        snprintf(g->strategy, sizeof g->strategy, "threshold");
        g->kv[n++] = (rb_sweep_kv){"band", g->band};
    } else {
        snprintf(g->section, sizeof g->section, "hybrid.b%zu", i % 5);
        snprintf(g->strategy, sizeof g->strategy, "hybrid");
        g->kv[n++] = (rb_sweep_kv){"band", g->band};
        g->kv[n++] = (rb_sweep_kv){"every", g->every};
    }
    g->kv[n++] = (rb_sweep_kv){"fee-bps", g->fee};
    g->row.config_id = gen_id(i);
    g->row.section = g->section;
    g->row.strategy = g->strategy;
    g->row.params = g->kv;
    g->row.nparams = n;
    g->row.metrics = &g->metrics;
    size_t nm;
    const rb_metric_info *t = rb_metric_table(&nm);
    for (size_t m = 0; m < nm; m++) {
        double v = 1000.0 + (double)i * 0.37 - (double)m * 1.25 + (double)((i * 7919 + m * 104729) % 1000) / 3.0;
        if (i % 7 == 0 && (m % 4 == 1)) v = NAN; /* undefined ratios */
        memcpy((char *)&g->metrics + t[m].offset, &v, sizeof v);
    }
}

void put_ok(rb_results *r, const rb_result_row *row)
{
    rb_error err = {0};
    cr_assert_eq(rb_results_put(r, row, &err), RB_OK, "config %lld: %s", (long long)row->config_id, err.msg);
}

void put_ids(rb_results *r, const int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_ok(r, &(rb_result_row){.config_id = ids[i], .section = "s", .strategy = "calendar"});
}

void put_gen(rb_results *r, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        gen_row g;
        gen(i, &g);
        put_ok(r, &g.row);
    }
}

/* Checks sweep's row of generated configuration i column by column. */
void check_gen_row(sqlite3_stmt *st, int64_t sweep, size_t i)
{
    gen_row g;
    gen(i, &g);
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, sweep);
    sqlite3_bind_int64(st, 2, g.row.config_id);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "row %zu (config %lld) missing", i, (long long)g.row.config_id);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), g.section);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 1), g.strategy);
    const char *want[NGEN_KEYS] = {NULL, NULL, NULL};
    for (size_t k = 0; k < g.row.nparams; k++)
        for (size_t j = 0; j < NGEN_KEYS; j++)
            if (strcmp(g.kv[k].key, gen_keys[j]) == 0) want[j] = g.kv[k].value;
    for (size_t j = 0; j < NGEN_KEYS; j++) {
        int col = 2 + (int)j;
        if (!want[j]) {
            cr_assert_eq(sqlite3_column_type(st, col), SQLITE_NULL, "row %zu: %s should be NULL", i, gen_keys[j]);
        } else if (strcmp(gen_keys[j], "every") == 0) { /* a word: TEXT as written */
            cr_assert_eq(sqlite3_column_type(st, col), SQLITE_TEXT, "row %zu: %s", i, gen_keys[j]);
            cr_assert_str_eq((const char *)sqlite3_column_text(st, col), want[j], "row %zu: %s", i, gen_keys[j]);
        } else { /* a number: REAL, the double the text names */
            cr_assert_eq(sqlite3_column_type(st, col), SQLITE_FLOAT, "row %zu: %s is not REAL", i, gen_keys[j]);
            cr_assert_eq(sqlite3_column_double(st, col), strtod(want[j], NULL), "row %zu: %s", i, gen_keys[j]);
        }
    }
    size_t nm;
    rb_metric_table(&nm);
    for (size_t m = 0; m < nm; m++) {
        double v = get_metric(&g.metrics, m);
        int col = 2 + NGEN_KEYS + (int)m;
        if (isnan(v)) {
            cr_assert_eq(sqlite3_column_type(st, col), SQLITE_NULL, "row %zu metric %zu: NaN not stored as NULL", i, m);
        } else {
            cr_assert_eq(sqlite3_column_type(st, col), SQLITE_FLOAT, "row %zu metric %zu", i, m);
            cr_assert_eq(sqlite3_column_double(st, col), v, "row %zu metric %zu: %.17g vs %.17g", i, m,
                         sqlite3_column_double(st, col), v);
        }
    }
    cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
}

/* SELECT section, strategy, band, every, fee_bps, <metrics> by (sweep, config). */
sqlite3_stmt *prepare_row_query(sqlite3 *db)
{
    char sql[4096];
    size_t nm, o = 0;
    const rb_metric_info *t = rb_metric_table(&nm);
    o += (size_t)snprintf(sql + o, sizeof sql - o, "SELECT section, strategy, band, every, fee_bps");
    for (size_t m = 0; m < nm; m++) o += (size_t)snprintf(sql + o, sizeof sql - o, ", \"%s\"", t[m].name);
    snprintf(sql + o, sizeof sql - o, " FROM runs WHERE sweep_id = ?1 AND config_id = ?2");
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    return st;
}

void check_gen_rows(const char *path, int64_t sweep, size_t n)
{
    sqlite3 *db = db_open(path);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE sweep_id = %lld", (long long)sweep);
    cr_assert_eq(query_int(db, sql), (int64_t)n);
    sqlite3_stmt *st = prepare_row_query(db);
    for (size_t i = 0; i < n; i++) check_gen_row(st, sweep, i);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Every stored column of two sweeps, row by row (sweep_id aside): identical. */
void assert_same_runs(const char *a, int64_t sa, const char *b, int64_t sb)
{
    sqlite3 *da = db_open(a), *db = db_open(b);
    sqlite3_stmt *x, *y;
    const char *sql = "SELECT * FROM runs WHERE sweep_id = ?1 ORDER BY config_id";
    cr_assert_eq(sqlite3_prepare_v2(da, sql, -1, &x, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &y, NULL), SQLITE_OK);
    sqlite3_bind_int64(x, 1, sa);
    sqlite3_bind_int64(y, 1, sb);
    int ncol = sqlite3_column_count(x);
    cr_assert_eq(ncol, sqlite3_column_count(y));
    for (int c = 0; c < ncol; c++) cr_assert_str_eq(sqlite3_column_name(x, c), sqlite3_column_name(y, c));
    size_t rows = 0;
    for (;;) {
        int s1 = sqlite3_step(x), s2 = sqlite3_step(y);
        cr_assert_eq(s1, s2, "row %zu: one store has more rows", rows);
        if (s1 != SQLITE_ROW) break;
        for (int c = 1; c < ncol; c++) {
            int t1 = sqlite3_column_type(x, c), t2 = sqlite3_column_type(y, c);
            cr_assert_eq(t1, t2, "row %zu column %s: types differ", rows, sqlite3_column_name(x, c));
            if (t1 == SQLITE_FLOAT)
                cr_assert_eq(sqlite3_column_double(x, c), sqlite3_column_double(y, c), "row %zu column %s", rows,
                             sqlite3_column_name(x, c));
            else if (t1 == SQLITE_INTEGER)
                cr_assert_eq(sqlite3_column_int64(x, c), sqlite3_column_int64(y, c), "row %zu column %s", rows,
                             sqlite3_column_name(x, c));
            else if (t1 == SQLITE_TEXT)
                cr_assert_str_eq((const char *)sqlite3_column_text(x, c), (const char *)sqlite3_column_text(y, c),
                                 "row %zu column %s", rows, sqlite3_column_name(x, c));
        }
        rows++;
    }
    sqlite3_finalize(x);
    sqlite3_finalize(y);
    sqlite3_close(da);
    sqlite3_close(db);
}

int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The column names of a statement, sorted, minus those skipped. */
static size_t named_columns(sqlite3_stmt *st, const char *const *skip, int *out)
{
    size_t n = 0;
    for (int c = 0; c < sqlite3_column_count(st); c++) {
        const char *name = sqlite3_column_name(st, c);
        int skipped = strcmp(name, "sweep_id") == 0;
        for (const char *const *s = skip; s && *s && !skipped; s++) skipped = strcmp(*s, name) == 0;
        if (!skipped) out[n++] = c;
    }
    return n;
}

static int column_named(sqlite3_stmt *st, const char *name)
{
    for (int c = 0; c < sqlite3_column_count(st); c++)
        if (strcmp(sqlite3_column_name(st, c), name) == 0) return c;
    return -1;
}

void assert_same_runs_by_name(const char *a, int64_t sa, const char *b, int64_t sb, const char *where,
                              const char *const *skip)
{
    sqlite3 *da = db_open(a), *db = db_open(b);
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT * FROM runs WHERE sweep_id = ?1 AND (%s) ORDER BY config_id",
             where ? where : "1");
    sqlite3_stmt *x, *y;
    cr_assert_eq(sqlite3_prepare_v2(da, sql, -1, &x, NULL), SQLITE_OK, "%s: %s", a, sqlite3_errmsg(da));
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &y, NULL), SQLITE_OK, "%s: %s", b, sqlite3_errmsg(db));
    sqlite3_bind_int64(x, 1, sa);
    sqlite3_bind_int64(y, 1, sb);
    int cols[256];
    size_t n = named_columns(x, skip, cols);
    cr_assert_eq(n, named_columns(y, skip, (int[256]){0}), "%s and %s have different columns", a, b);
    size_t rows = 0;
    for (;;) {
        int s1 = sqlite3_step(x), s2 = sqlite3_step(y);
        cr_assert_eq(s1, s2, "row %zu: one store has more rows", rows);
        if (s1 != SQLITE_ROW) break;
        for (size_t k = 0; k < n; k++) {
            const char *name = sqlite3_column_name(x, cols[k]);
            int c1 = cols[k], c2 = column_named(y, name);
            cr_assert_geq(c2, 0, "%s has no column %s", b, name);
            int t1 = sqlite3_column_type(x, c1), t2 = sqlite3_column_type(y, c2);
            cr_assert_eq(t1, t2, "row %zu column %s: types differ", rows, name);
            if (t1 == SQLITE_FLOAT) {
                double v1 = sqlite3_column_double(x, c1), v2 = sqlite3_column_double(y, c2);
                cr_assert(memcmp(&v1, &v2, sizeof v1) == 0, "row %zu column %s: %.17g vs %.17g", rows, name, v1, v2);
            } else if (t1 == SQLITE_INTEGER) {
                cr_assert_eq(sqlite3_column_int64(x, c1), sqlite3_column_int64(y, c2), "row %zu column %s", rows, name);
            } else if (t1 == SQLITE_TEXT) {
                cr_assert_str_eq((const char *)sqlite3_column_text(x, c1), (const char *)sqlite3_column_text(y, c2),
                                 "row %zu column %s", rows, name);
            }
        }
        rows++;
    }
    cr_assert_gt(rows, 0, "no runs to compare");
    sqlite3_finalize(x);
    sqlite3_finalize(y);
    sqlite3_close(da);
    sqlite3_close(db);
}
