/* test_results.c - the results store of sweeps: schema and columns, round trips (NaN as
 * NULL), parameter columns added per sweep, resume, survival of kill -9 at many moments,
 * concurrent writers, duplicate ids, the `rebal runs` query and refusal of foreign files. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rebal.h"
#include "results/reader.h"
#include "results/writer.h"
#include "store.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(results, .init = setup, .fini = teardown, .timeout = 60);

/* ---------------------------------------------------------------- helpers */

static sqlite3 *db_open(const char *path)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK, "%s", path);
    return db;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The first column of the first row as text (malloc'ed; NULL for SQL NULL). */
static char *query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    const unsigned char *s = sqlite3_column_text(st, 0);
    char *v = s ? strdup((const char *)s) : NULL;
    sqlite3_finalize(st);
    return v;
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

static void assert_integrity(const char *path)
{
    sqlite3 *db = db_open(path);
    char *ok = query_text(db, "PRAGMA integrity_check");
    cr_assert_str_eq(ok, "ok", "%s: integrity_check says %s", path, ok);
    free(ok);
    sqlite3_close(db);
}

static rb_results *open_ok(const char *path)
{
    rb_results *r = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_results_open(path, &r, &err), RB_OK, "%s", err.msg);
    cr_assert_not_null(r);
    return r;
}

static void begin_ok(rb_results *r, const char *spec, const char *hash, uint64_t n, const char *const *keys,
                     size_t nkeys, int resume, int *resumed, int64_t **done, size_t *ndone)
{
    rb_error err = {0};
    cr_assert_eq(rb_results_begin(r, spec, hash, n, keys, nkeys, resume, resumed, done, ndone, &err), RB_OK, "%s",
                 err.msg);
}

static void end_ok(rb_results *r, const char *status)
{
    rb_error err = {0};
    cr_assert_eq(rb_results_end(r, status, &err), RB_OK, "%s", err.msg);
}

static void set_metric(rb_metrics *m, const char *name, double v)
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

static double get_metric(const rb_metrics *m, size_t i)
{
    size_t n;
    const rb_metric_info *t = rb_metric_table(&n);
    double v;
    memcpy(&v, (const char *)m + t[i].offset, sizeof v);
    return v;
}

/* ---- generated rows: row i of a synthetic sweep, its id and everything stored */

static const char *const gen_keys[] = {"band", "every", "fee-bps"};
#define NGEN_KEYS 3

typedef struct gen_row {
    char section[32], strategy[16], band[16], every[16], fee[16];
    rb_sweep_kv kv[NGEN_KEYS];
    rb_result_row row;
} gen_row;

/* splitmix64: distinct, well spread 63-bit ids like rb_sweep_config_id's. */
static int64_t gen_id(size_t i)
{
    uint64_t z = (uint64_t)i + 0x9E3779B97F4A7C15ull * (i + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (int64_t)(z >> 1);
}

static void gen(size_t i, gen_row *g)
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
    size_t nm;
    const rb_metric_info *t = rb_metric_table(&nm);
    for (size_t m = 0; m < nm; m++) {
        double v = 1000.0 + (double)i * 0.37 - (double)m * 1.25 + (double)((i * 7919 + m * 104729) % 1000) / 3.0;
        if (i % 7 == 0 && (m % 4 == 1)) v = NAN; /* undefined ratios */
        memcpy((char *)&g->row.metrics + t[m].offset, &v, sizeof v);
    }
}

static void put_ok(rb_results *r, const rb_result_row *row)
{
    rb_error err = {0};
    cr_assert_eq(rb_results_put(r, row, &err), RB_OK, "config %lld: %s", (long long)row->config_id, err.msg);
}

static void put_gen(rb_results *r, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        gen_row g;
        gen(i, &g);
        put_ok(r, &g.row);
    }
}

/* Checks sweep's row of generated configuration i column by column. */
static void check_gen_row(sqlite3_stmt *st, int64_t sweep, size_t i)
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
        double v = get_metric(&g.row.metrics, m);
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
static sqlite3_stmt *prepare_row_query(sqlite3 *db)
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

static void check_gen_rows(const char *path, int64_t sweep, size_t n)
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
static void assert_same_runs(const char *a, int64_t sa, const char *b, int64_t sb)
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

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* ---------------------------------------------------------------- schema */

Test(results, creates_the_schema_with_flag_named_parameter_columns)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    const char *keys[] = {"band", "every", "fee-bps", "only-breached", "on", "to"};
    int resumed = -1;
    int64_t sentinel = 0, *done = &sentinel;
    size_t ndone = 99;
    begin_ok(r, "[calendar]\nevery = month\n", "abc123", 42, keys, 6, 1, &resumed, &done, &ndone);
    cr_assert_eq(resumed, 0);
    cr_assert_null(done);
    cr_assert_eq(ndone, 0);

    sqlite3 *db = db_open(path);
    cr_assert_eq(query_int(db, "PRAGMA application_id"), 0x72627273);
    cr_assert_eq(query_int(db, "PRAGMA user_version"), 2);
    char *mode = query_text(db, "PRAGMA journal_mode");
    cr_assert_str_eq(mode, "wal");
    free(mode);

    /* runs: base columns, the metrics in report order, depleted_on, then the parameters:
     * REAL for numbers, TEXT for words, SQL keywords renamed (on -> on_bar, to -> to_mode). */
    const char *want[64], *want_type[64];
    size_t n = 0, nm;
    const rb_metric_info *t = rb_metric_table(&nm);
    const char *base[] = {"sweep_id", "config_id", "section", "strategy", "status", "error"};
    const char *base_type[] = {"INTEGER", "INTEGER", "TEXT", "TEXT", "TEXT", "TEXT"};
    for (size_t i = 0; i < 6; i++) want[n] = base[i], want_type[n++] = base_type[i];
    for (size_t m = 0; m < nm; m++) want[n] = t[m].name, want_type[n++] = "REAL";
    want[n] = "depleted_on", want_type[n++] = "TEXT";
    const char *params[] = {"band", "every", "fee_bps", "only_breached", "on_bar", "to_mode"};
    const char *param_type[] = {"REAL", "TEXT", "REAL", "REAL", "TEXT", "TEXT"};
    for (size_t i = 0; i < 6; i++) want[n] = params[i], want_type[n++] = param_type[i];
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT name, type, pk FROM pragma_table_info('runs') ORDER BY cid", -1, &st,
                                    NULL),
                 SQLITE_OK);
    size_t i = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        cr_assert_lt(i, n, "extra column %s", sqlite3_column_text(st, 0));
        const char *name = (const char *)sqlite3_column_text(st, 0), *type = (const char *)sqlite3_column_text(st, 1);
        cr_assert_str_eq(name, want[i], "column %zu", i);
        cr_assert_str_eq(type, want_type[i], "column %s", name);
        cr_assert_eq(sqlite3_column_int(st, 2), i == 0 ? 1 : i == 1 ? 2 : 0, "primary key (sweep_id, config_id)");
        i++;
    }
    cr_assert_eq(i, n);
    sqlite3_finalize(st);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'runs' AND sql LIKE '%WITHOUT ROWID%'"),
                 1);

    /* The sweep row while running. */
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sweeps"), 1);
    char *s = query_text(db, "SELECT status FROM sweeps");
    cr_assert_str_eq(s, "running");
    free(s);
    s = query_text(db, "SELECT spec || '|' || dataset_hash || '|' || code_version || '|' || configurations "
                       "FROM sweeps");
    cr_assert_str_eq(s, "[calendar]\nevery = month\n|abc123|" RB_VERSION "|42");
    free(s);
    cr_assert_null(query_text(db, "SELECT finished_at FROM sweeps"));
    cr_assert_eq(query_int(db, "SELECT started_at GLOB "
                               "'[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z' "
                               "FROM sweeps"),
                 1);
    end_ok(r, "done");
    s = query_text(db, "SELECT status FROM sweeps");
    cr_assert_str_eq(s, "done");
    free(s);
    cr_assert_eq(query_int(db, "SELECT finished_at GLOB '[0-9][0-9][0-9][0-9]-*Z' AND finished_at >= started_at "
                               "FROM sweeps"),
                 1);
    sqlite3_close(db);
    rb_results_free(r);
    free(path);
}

/* The metric columns carry the names and values `rebal run --json` prints. */
Test(results, metric_columns_match_the_json_of_a_run)
{
    char *csv = rbt_write_file(dir, "p.csv",
                               "date,A,B\n2020-01-01,100,50\n2020-01-02,110,50\n2020-01-03,121,40\n"
                               "2020-01-04,100,60\n2020-01-05,105,55\n");
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(":memory:", 0, &s, &err), RB_OK, "%s", err.msg);
    rb_import_options opt;
    rb_import_options_init(&opt);
    rb_import_stats stats;
    cr_assert_eq(rb_import_files(s, (const char *const[]){csv}, 1, &opt, &stats, &err), RB_OK, "%s", err.msg);
    rb_run_spec *spec = NULL;
    cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
    const char *kv[] = {"assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar", "every", "day",
                        "fee-bps", "10"};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i += 2)
        cr_assert_eq(rb_run_spec_set(spec, kv[i], kv[i + 1], &err), RB_OK, "%s", err.msg);
    rb_run_result *res = NULL;
    cr_assert_eq(rb_run(s, spec, 0, &res, &err), RB_OK, "%s", err.msg);
    char *json = NULL;
    size_t jlen = 0;
    FILE *f = open_memstream(&json, &jlen);
    cr_assert_eq(rb_run_write_json(res, f, &err), RB_OK, "%s", err.msg);
    fclose(f);

    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    const char *keys[] = {"every", "fee-bps"};
    begin_ok(r, "spec", "h", 1, keys, 2, 0, NULL, NULL, NULL);
    rb_sweep_kv params[] = {{"every", "day"}, {"fee-bps", "10"}};
    rb_result_row row = {.config_id = 7, .section = "calendar", .strategy = "calendar", .params = params, .nparams = 2,
                         .metrics = *rb_run_metrics(res)};
    put_ok(r, &row);
    end_ok(r, "done");
    rb_results_free(r);

    sqlite3 *db = db_open(path);
    size_t nm;
    const rb_metric_info *t = rb_metric_table(&nm);
    for (size_t m = 0; m < nm; m++) {
        char key[80];
        snprintf(key, sizeof key, "\"%s\": ", t[m].name);
        const char *at = strstr(json, key);
        cr_assert_not_null(at, "JSON lacks %s: %s", key, json);
        at += strlen(key);
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT \"%s\" FROM runs", t[m].name);
        char *stored = query_text(db, sql);
        if (strncmp(at, "null", 4) == 0) {
            cr_assert_null(stored, "%s: JSON null but stored %s", t[m].name, stored);
        } else {
            cr_assert_not_null(stored, "%s: stored NULL but JSON %.20s", t[m].name, at);
            snprintf(sql, sizeof sql, "SELECT \"%s\" = %.17g FROM runs", t[m].name, strtod(at, NULL));
            cr_assert_eq(query_int(db, sql), 1, "%s: stored %s, JSON %.25s", t[m].name, stored, at);
        }
        free(stored);
    }
    sqlite3_close(db);
    free(json);
    rb_run_result_free(res);
    rb_run_spec_free(spec);
    rb_store_free(s);
    free(csv);
    free(path);
}

Test(results, round_trip_with_nan_metrics_as_null)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    begin_ok(r, "spec", "h", 60, gen_keys, NGEN_KEYS, 0, NULL, NULL, NULL);
    put_gen(r, 0, 60);
    end_ok(r, "done");
    rb_results_free(r);
    check_gen_rows(path, 1, 60);

    sqlite3 *db = db_open(path);
    /* gen() makes metric 1 (total_return) NaN for i = 0, 7, ..., 56: 9 rows. */
    size_t nm;
    const rb_metric_info *t = rb_metric_table(&nm);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE \"%s\" IS NULL", t[1].name);
    cr_assert_eq(query_int(db, sql), 9);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE band IS NULL"), 20);
    /* Foreign keys hold: every run belongs to a sweep. */
    cr_assert_eq(query_int(db, "SELECT count(*) FROM pragma_foreign_key_check('runs')"), 0);
    sqlite3_close(db);
    assert_integrity(path);
    free(path);
}

Test(results, a_later_sweep_adds_its_new_parameter_columns)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    const char *k1[] = {"band"};
    begin_ok(r, "one", "h", 1, k1, 1, 0, NULL, NULL, NULL);
    rb_sweep_kv p1[] = {{"band", "0.05"}};
    put_ok(r, &(rb_result_row){.config_id = 1, .section = "threshold", .strategy = "threshold", .params = p1,
                               .nparams = 1});
    end_ok(r, "done");
    rb_results_free(r);

    r = open_ok(path);
    const char *k2[] = {"vol-window", "band", "targets"};
    begin_ok(r, "two", "h", 1, k2, 3, 0, NULL, NULL, NULL);
    rb_sweep_kv p2[] = {{"band", "0.1"}, {"targets", "inverse-vol"}, {"vol-window", "30"}};
    put_ok(r, &(rb_result_row){.config_id = 1, .section = "vol-band", .strategy = "vol-band", .params = p2,
                               .nparams = 3});
    end_ok(r, "done");
    rb_results_free(r);

    sqlite3 *db = db_open(path);
    /* numbers (a fraction, a whole number) REAL, a word TEXT */
    cr_assert_eq(query_int(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE name IN ('band', 'vol_window') "
                               "AND type = 'REAL'"),
                 2);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'targets' AND type = 'TEXT'"),
                 1);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'band'"), 1);
    char *s = query_text(db, "SELECT typeof(band) || '|' || band || '|' || coalesce(vol_window, 'NULL') || '|' || "
                             "coalesce(targets, 'NULL') FROM runs WHERE sweep_id = 1");
    cr_assert_str_eq(s, "real|0.05|NULL|NULL");
    free(s);
    s = query_text(db, "SELECT band || '|' || typeof(vol_window) || '|' || vol_window || '|' || targets || '|' || "
                       "section FROM runs WHERE sweep_id = 2");
    cr_assert_str_eq(s, "0.1|real|30.0|inverse-vol|vol-band");
    free(s);
    sqlite3_close(db);
    free(path);
}

Test(results, refuses_keys_that_cannot_name_a_column)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    const char *bad[][2] = {{"Band", NULL}, {"fee bps", NULL}, {"x\";DROP TABLE runs;--", NULL}, {"", NULL},
                            {"cagr", NULL}, {"config-id", NULL}, {"fee-bps", "fee_bps"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *keys[2] = {bad[i][0], bad[i][1] ? bad[i][1] : "every"};
        rb_error err = {0};
        int64_t *done = NULL;
        rb_status rc = rb_results_begin(r, "spec", "h", 1, keys, 2, 0, NULL, &done, NULL, &err);
        cr_assert_eq(rc, RB_ERR_DATA, "key '%s': %d %s", keys[0], rc, err.msg);
        cr_assert_not_null(strstr(err.msg, "parameter key"), "%s", err.msg);
        cr_assert_null(strchr(err.msg, '\n'));
    }
    /* Nothing was recorded, and the store still works. */
    sqlite3 *db = db_open(path);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sweeps"), 0);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE name IN ('every', 'fee_bps')"), 0);
    sqlite3_close(db);
    const char *keys[] = {"every"};
    begin_ok(r, "spec", "h", 1, keys, 1, 0, NULL, NULL, NULL);

    /* A setting that is not a key of the sweep, or given twice, is refused at put. */
    rb_error err = {0};
    rb_sweep_kv p[] = {{"band", "0.1"}};
    cr_assert_eq(rb_results_put(r, &(rb_result_row){.config_id = 1, .params = p, .nparams = 1}, &err), RB_ERR_DATA);
    cr_assert_not_null(strstr(err.msg, "'band'"), "%s", err.msg);
    rb_sweep_kv twice[] = {{"every", "week"}, {"every", "month"}};
    cr_assert_eq(rb_results_put(r, &(rb_result_row){.config_id = 2, .params = twice, .nparams = 2}, &err), RB_ERR_DATA);
    cr_assert_not_null(strstr(err.msg, "twice"), "%s", err.msg);
    end_ok(r, "done");
    rb_results_free(r);
    free(path);
}

Test(results, misuse_is_reported)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    rb_error err = {0};
    rb_result_row row = {.config_id = 1};
    cr_assert_eq(rb_results_put(r, &row, &err), RB_ERR_USAGE);
    cr_assert_eq(rb_results_end(r, "done", &err), RB_ERR_USAGE);
    begin_ok(r, "spec", "h", 1, NULL, 0, 0, NULL, NULL, NULL);
    cr_assert_eq(rb_results_begin(r, "spec", "h", 1, NULL, 0, 0, NULL, NULL, NULL, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "still being recorded"), "%s", err.msg);
    cr_assert_eq(rb_results_end(r, "finished", &err), RB_ERR_USAGE);
    put_ok(r, &row);
    end_ok(r, "interrupted");
    cr_assert_eq(rb_results_put(r, &row, &err), RB_ERR_USAGE);
    rb_results_free(r);

    sqlite3 *db = db_open(path);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs"), 1);
    char *s = query_text(db, "SELECT status FROM sweeps");
    cr_assert_str_eq(s, "interrupted");
    free(s);
    sqlite3_close(db);
    free(path);
}

/* Freeing without rb_results_end keeps every queued row, status 'running' as after a crash. */
Test(results, free_without_end_commits_the_queue)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    begin_ok(r, "spec", "h", 500, gen_keys, NGEN_KEYS, 0, NULL, NULL, NULL);
    put_gen(r, 0, 500);
    rb_results_free(r);
    check_gen_rows(path, 1, 500);
    sqlite3 *db = db_open(path);
    char *s = query_text(db, "SELECT status FROM sweeps");
    cr_assert_str_eq(s, "running");
    free(s);
    sqlite3_close(db);
    free(path);
}

/* ---------------------------------------------------------------- resume */

static void put_ids(rb_results *r, const int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_ok(r, &(rb_result_row){.config_id = ids[i], .section = "s", .strategy = "calendar"});
}

Test(results, resume_continues_the_latest_sweep_of_the_same_spec_and_data)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    int resumed = -1;
    int64_t *done = NULL;
    size_t ndone = 0;

    begin_ok(r, "A", "h", 5, NULL, 0, 1, &resumed, &done, &ndone); /* sweep 1: done */
    cr_assert_eq(resumed, 0);
    put_ids(r, (const int64_t[]){1, 2, 3, 4, 5}, 5);
    end_ok(r, "done");

    begin_ok(r, "A", "h", 5, NULL, 0, 0, NULL, NULL, NULL); /* sweep 2: interrupted */
    put_ids(r, (const int64_t[]){INT64_MAX, 12, 0, 11, 4000000000000000000}, 5);
    end_ok(r, "interrupted");

    begin_ok(r, "A", "other", 5, NULL, 0, 0, NULL, NULL, NULL); /* sweep 3: other data */
    put_ids(r, (const int64_t[]){20}, 1);
    end_ok(r, "failed");

    begin_ok(r, "B", "h", 5, NULL, 0, 0, NULL, NULL, NULL); /* sweep 4: other spec */
    put_ids(r, (const int64_t[]){30}, 1);
    end_ok(r, "interrupted");
    rb_results_free(r);

    r = open_ok(path);
    begin_ok(r, "A", "h", 5, NULL, 0, 1, &resumed, &done, &ndone);
    cr_assert_eq(resumed, 1);
    cr_assert_eq(ndone, 5);
    const int64_t want[] = {0, 11, 12, 4000000000000000000, INT64_MAX};
    for (size_t i = 0; i < 5; i++) cr_assert_eq(done[i], want[i], "done[%zu] = %lld", i, (long long)done[i]);
    free(done);
    sqlite3 *db = db_open(path);
    char *s = query_text(db, "SELECT group_concat(id || ':' || status || ':' || (finished_at IS NULL), ',') FROM "
                             "(SELECT * FROM sweeps ORDER BY id)");
    cr_assert_str_eq(s, "1:done:0,2:running:1,3:failed:0,4:interrupted:0");
    free(s);
    put_ids(r, (const int64_t[]){13}, 1);
    end_ok(r, "done");
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE sweep_id = 2"), 6);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sweeps"), 4);

    /* The latest sweep of A on h is complete: resuming it finds everything stored (nothing
     * left to run) and makes no new sweep. */
    begin_ok(r, "A", "h", 5, NULL, 0, 1, &resumed, &done, &ndone);
    cr_assert_eq(resumed, 1);
    cr_assert_eq(ndone, 6);
    free(done);
    end_ok(r, "done");
    cr_assert_eq(query_int(db, "SELECT max(id) FROM sweeps"), 4);

    /* Without resume a new sweep is made even when an unfinished one exists; with resume the
     * most recent one is taken (5, not 4's spec B, not 3's other data). */
    begin_ok(r, "A", "h", 5, NULL, 0, 0, &resumed, &done, &ndone);
    cr_assert_eq(resumed, 0);
    end_ok(r, "failed");
    begin_ok(r, "A", "h", 5, NULL, 0, 1, &resumed, &done, &ndone);
    cr_assert_eq(resumed, 1);
    cr_assert_eq(ndone, 0);
    cr_assert_eq(query_int(db, "SELECT id FROM sweeps WHERE status = 'running'"), 5);
    end_ok(r, "done");

    /* A NULL dataset hash matches only NULL. */
    begin_ok(r, "C", NULL, 1, NULL, 0, 1, &resumed, &done, &ndone);
    put_ids(r, (const int64_t[]){99}, 1);
    end_ok(r, "interrupted");
    begin_ok(r, "C", "h", 1, NULL, 0, 1, &resumed, &done, &ndone);
    cr_assert_eq(resumed, 0);
    end_ok(r, "done");
    begin_ok(r, "C", NULL, 1, NULL, 0, 1, &resumed, &done, &ndone);
    cr_assert_eq(resumed, 1);
    cr_assert_eq(ndone, 1);
    cr_assert_eq(done[0], 99);
    free(done);
    end_ok(r, "done");
    sqlite3_close(db);
    rb_results_free(r);
    free(path);
}

/* ---------------------------------------------------------------- kill -9 */

#define KILL_ROWS 4000
static const char kill_spec[] = "[threshold]\nband = 0.01:0.05:0.01\n";

/* The child records rows when told to: it reports 'o' once the store is open and 'b' once
 * the sweep has begun, then reads a count from cmd and hands that many rows over (one 'x'
 * on fd per row); a count of 0 ends the sweep. So the parent knows how far it got. */
static void kill_child(const char *path, int cmd, int fd)
{
    rb_results *r = NULL;
    rb_error err = {0};
    if (rb_results_open(path, &r, &err) != RB_OK) _exit(3);
    if (write(fd, "o", 1) != 1) _exit(6);
    if (rb_results_begin(r, kill_spec, "data", KILL_ROWS, gen_keys, NGEN_KEYS, 1, NULL, NULL, NULL, &err) != RB_OK)
        _exit(4);
    if (write(fd, "b", 1) != 1) _exit(6);
    size_t next = 0;
    unsigned count;
    while (read(cmd, &count, sizeof count) == (ssize_t)sizeof count && count > 0)
        for (unsigned i = 0; i < count && next < KILL_ROWS; i++, next++) {
            gen_row g;
            gen(next, &g);
            if (rb_results_put(r, &g.row, &err) != RB_OK) _exit(5);
            if (write(fd, "x", 1) != 1) _exit(6);
        }
    if (rb_results_end(r, "done", &err) != RB_OK) _exit(7);
    rb_results_free(r);
    _exit(0);
}

/* Reads n bytes of the child's reports; returns how many of them were rows ('x'). */
static size_t await_reports(int fd, size_t n)
{
    size_t rows = 0;
    char c;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(read(fd, &c, 1), 1, "the child stopped reporting");
        rows += c == 'x';
    }
    return rows;
}

typedef struct committed_wait {
    const char *path;
    long long rows;
} committed_wait;

static int rows_committed(void *ctx)
{
    const committed_wait *w = ctx;
    return rbt_sqlite_int(w->path, "SELECT count(*) FROM runs") >= w->rows;
}

Test(results, survives_kill_9_at_any_moment_and_resume_completes_the_set, .timeout = 240)
{
    /* The uninterrupted reference. */
    char *ref = rbt_path(dir, "ref.db");
    rb_results *r = open_ok(ref);
    begin_ok(r, kill_spec, "data", KILL_ROWS, gen_keys, NGEN_KEYS, 1, NULL, NULL, NULL);
    put_gen(r, 0, KILL_ROWS);
    end_ok(r, "done");
    rb_results_free(r);

    int64_t *sorted = malloc(KILL_ROWS * sizeof *sorted);
    cr_assert_not_null(sorted);
    /* Each kill point is a stage of the child's progress, never a time: the reports it has
     * sent (-1: kill at once, while it opens the store; 0: once open; 1: once begun), the
     * rows it has handed over, and the rows the parent has seen committed. The writer
     * commits 2000 rows at once, or a transaction 200 ms after its first row, so "2500
     * handed, 2000 committed" kills mid-way with a transaction open, and "2500 handed, 2500
     * committed" between transactions. end: ask the child to end the sweep, then kill. */
    static const struct {
        int reports;
        unsigned handed, committed;
        int end;
    } kills[] = {
        {-1, 0, 0, 0},  {0, 0, 0, 0},       {1, 0, 0, 0},       {1, 1, 0, 0},
        {1, 1500, 0, 0}, {1, 2500, 2000, 0}, {1, 2500, 2500, 0}, {1, KILL_ROWS, 0, 0},
        {1, KILL_ROWS, KILL_ROWS, 0}, {1, KILL_ROWS, 0, 1},
    };
    size_t midway = 0;
    for (size_t d = 0; d < sizeof kills / sizeof kills[0]; d++) {
        char name[32];
        snprintf(name, sizeof name, "killed-%zu.db", d);
        char *path = rbt_path(dir, name);
        int fds[2], cmd[2];
        cr_assert_eq(pipe(fds), 0);
        cr_assert_eq(pipe(cmd), 0);
        fflush(NULL);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            close(fds[0]);
            close(cmd[1]);
            kill_child(path, cmd[0], fds[1]);
        }
        close(fds[1]);
        close(cmd[0]);
        size_t puts = 0;
        if (kills[d].reports >= 0) await_reports(fds[0], (size_t)kills[d].reports + 1);
        if (kills[d].handed) {
            unsigned count = kills[d].handed;
            cr_assert_eq(write(cmd[1], &count, sizeof count), (ssize_t)sizeof count);
            puts = await_reports(fds[0], count);
        }
        if (kills[d].committed) {
            committed_wait w = {path, kills[d].committed};
            cr_assert(rbt_wait_until(rows_committed, &w, 60), "kill %zu: %u rows were not committed in 60 s", d,
                      kills[d].committed);
        }
        if (kills[d].end) {
            unsigned zero = 0;
            cr_assert_eq(write(cmd[1], &zero, sizeof zero), (ssize_t)sizeof zero);
        }
        kill(pid, SIGKILL);
        int wstatus = 0;
        cr_assert_eq(waitpid(pid, &wstatus, 0), pid);
        close(cmd[1]);
        int finished = WIFEXITED(wstatus);
        if (finished) cr_assert_eq(WEXITSTATUS(wstatus), 0, "the child failed with %d", WEXITSTATUS(wstatus));
        else cr_assert(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);
        char buf[4096];
        ssize_t got;
        while ((got = read(fds[0], buf, sizeof buf)) > 0)
            for (ssize_t i = 0; i < got; i++) puts += buf[i] == 'x';
        close(fds[0]);

        /* What the child left: whole transactions only. */
        int64_t sweeps = 0;
        int unfinished = 0;
        if (access(path, F_OK) == 0) {
            assert_integrity(path);
            sqlite3 *db = db_open(path);
            if (query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'sweeps'")) {
                sweeps = query_int(db, "SELECT count(*) FROM sweeps");
                unfinished = (int)query_int(db, "SELECT count(*) FROM sweeps WHERE status <> 'done'");
            }
            sqlite3_close(db);
        }
        cr_assert_leq(sweeps, 1);

        r = open_ok(path);
        int resumed = -1;
        int64_t *done = NULL;
        size_t ndone = 0;
        begin_ok(r, kill_spec, "data", KILL_ROWS, gen_keys, NGEN_KEYS, 1, &resumed, &done, &ndone);
        cr_assert_eq(resumed, unfinished, "kill %d: resumed %d with %d unfinished sweeps", (int)d, resumed,
                     unfinished);
        cr_assert_leq(ndone, puts, "kill %d: %zu stored but only %zu handed over", (int)d, ndone, puts);
        /* One FIFO writer: the stored rows are exactly the first ndone handed over. */
        for (size_t i = 0; i < ndone; i++) sorted[i] = gen_id(i);
        qsort(sorted, ndone, sizeof *sorted, cmp_id);
        for (size_t i = 0; i < ndone; i++)
            cr_assert_eq(done[i], sorted[i], "kill %d: stored id %zu is %lld, expected %lld", (int)d, i,
                         (long long)done[i], (long long)sorted[i]);
        if (ndone > 0 && ndone < KILL_ROWS) midway++;

        for (size_t i = 0; i < KILL_ROWS; i++) {
            gen_row g;
            gen(i, &g);
            if (ndone && bsearch(&g.row.config_id, done, ndone, sizeof *done, cmp_id)) continue;
            put_ok(r, &g.row);
        }
        end_ok(r, "done");
        rb_results_free(r);
        free(done);

        assert_integrity(path);
        sqlite3 *db = db_open(path);
        int64_t last = query_int(db, "SELECT max(id) FROM sweeps");
        cr_assert_eq(query_int(db, "SELECT count(*) FROM sweeps WHERE status = 'running'"), 0);
        cr_assert_eq(query_int(db, "SELECT count(*) FROM sweeps"), finished ? 2 : 1);
        sqlite3_close(db);
        assert_same_runs(ref, 1, path, last);
        free(path);
    }
    /* The kills after 2000 committed rows of 2500 handed land mid-sweep by construction. */
    cr_assert_geq(midway, 2, "only %zu kills landed mid-sweep", midway);
    free(sorted);
    free(ref);
}

/* ---------------------------------------------------------------- concurrency */

typedef struct producer {
    rb_results *r;
    size_t from, to;
    rb_status rc;
    rb_error err;
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    p->rc = RB_OK;
    for (size_t i = p->from; i < p->to && p->rc == RB_OK; i++) {
        gen_row g;
        gen(i, &g);
        p->rc = rb_results_put(p->r, &g.row, &p->err);
    }
    return NULL;
}

Test(results, four_threads_putting_at_once_store_every_row)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    enum { THREADS = 4, PER = 3000 };
    begin_ok(r, "spec", "h", THREADS * PER, gen_keys, NGEN_KEYS, 0, NULL, NULL, NULL);
    pthread_t th[THREADS];
    producer p[THREADS];
    for (size_t t = 0; t < THREADS; t++) {
        p[t] = (producer){.r = r, .from = t * PER, .to = (t + 1) * PER};
        cr_assert_eq(pthread_create(&th[t], NULL, produce, &p[t]), 0);
    }
    for (size_t t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        cr_assert_eq(p[t].rc, RB_OK, "thread %zu: %s", t, p[t].err.msg);
    }
    end_ok(r, "done");
    rb_results_free(r);
    check_gen_rows(path, 1, THREADS * PER);
    free(path);
}

Test(results, a_duplicate_config_id_is_an_error_not_hidden)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    begin_ok(r, "spec", "h", 100, gen_keys, NGEN_KEYS, 0, NULL, NULL, NULL);
    put_gen(r, 0, 10);
    gen_row g;
    gen(3, &g);
    put_ok(r, &g.row);

    /* The writer finds it; the next puts report it. No pause is needed: the queue holds
     * 4096 rows and the writer takes at most 2000 at a time, so the puts cannot run more
     * than about 6100 rows ahead of the row the writer is storing before they wait for it. */
    rb_error err = {0};
    rb_status rc = RB_OK;
    for (size_t i = 10; i < 100000 && rc == RB_OK; i++) {
        gen(i, &g);
        rc = rb_results_put(r, &g.row, &err);
    }
    cr_assert_eq(rc, RB_ERR_DATA, "%d: %s", rc, err.msg);
    char want[64];
    snprintf(want, sizeof want, "configuration %lld", (long long)gen_id(3));
    cr_assert_not_null(strstr(err.msg, want), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "twice"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);

    rb_error end_err = {0};
    cr_assert_eq(rb_results_end(r, "done", &end_err), RB_ERR_DATA);
    cr_assert_str_eq(end_err.msg, err.msg);
    rb_results_free(r);

    sqlite3 *db = db_open(path);
    char *s = query_text(db, "SELECT status FROM sweeps");
    cr_assert_str_eq(s, "failed", "a sweep with a lost row must not be 'done'");
    free(s);
    /* The rows before the duplicate were kept, once each. */
    cr_assert_geq(query_int(db, "SELECT count(*) FROM runs"), 10);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE config_id = %lld", (long long)gen_id(3));
    cr_assert_eq(query_int(db, sql), 1);
    sqlite3_close(db);
    free(path);
}

Test(results, a_duplicate_reported_at_end)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    begin_ok(r, "spec", "h", 2, NULL, 0, 0, NULL, NULL, NULL);
    put_ids(r, (const int64_t[]){5, 6, 5}, 3);
    rb_error err = {0};
    cr_assert_eq(rb_results_end(r, "done", &err), RB_ERR_DATA);
    cr_assert_not_null(strstr(err.msg, "configuration 5 "), "%s", err.msg);
    rb_results_free(r);
    free(path);
}

/* ---------------------------------------------------------------- rebal runs */

/* Six hand-made runs with known rankings (see the expectations in each test). */
static char *make_query_store(void)
{
    char *path = rbt_path(dir, "q.db");
    rb_results *r = open_ok(path);
    const char *keys[] = {"band", "every", "fee-bps", "targets"};
    begin_ok(r, "spec", "h", 6, keys, 4, 0, NULL, NULL, NULL);
    struct {
        int64_t id;
        const char *section, *strategy, *band, *every, *fee, *targets;
        double cagr, mdd, atv, sharpe, fees, slip, gas;
    } rows[] = {
        {101, "calendar.monthly", "calendar", NULL, "month", "10", NULL, 0.05, 0.30, 1500, 0.5, 10, 2, 0},
        {102, "calendar.weekly", "calendar", NULL, "week", "10", NULL, 0.07, 0.25, 1700, 0.7, 40, 8, 1},
        {103, "threshold.tight", "threshold", "0.02", NULL, "10", NULL, 0.06, 0.20, 1650, NAN, 20, 4, 0},
        {104, "threshold.wide", "threshold", "0.1", NULL, "5", NULL, 0.09, 0.35, 1900, 0.9, 3, 1, 0},
        {105, "threshold.mid", "threshold", "0.05", NULL, "5", NULL, 0.04, 0.15, 1400, 0.4, 6, 1, 0},
        {106, "hybrid", "hybrid", "0.25", "quarter", "20", "A=0.5,B=0.5", 0.08, 0.28, 1800, 0.8, 12, 3, 0.5},
    };
    for (size_t i = 0; i < 6; i++) {
        rb_sweep_kv p[4];
        size_t n = 0;
        if (rows[i].band) p[n++] = (rb_sweep_kv){"band", rows[i].band};
        if (rows[i].every) p[n++] = (rb_sweep_kv){"every", rows[i].every};
        p[n++] = (rb_sweep_kv){"fee-bps", rows[i].fee};
        if (rows[i].targets) p[n++] = (rb_sweep_kv){"targets", rows[i].targets};
        rb_result_row row = {.config_id = rows[i].id, .section = rows[i].section, .strategy = rows[i].strategy,
                             .params = p, .nparams = n};
        size_t nm;
        const rb_metric_info *t = rb_metric_table(&nm);
        for (size_t m = 0; m < nm; m++) set_metric(&row.metrics, t[m].name, 0.0);
        set_metric(&row.metrics, "cagr", rows[i].cagr);
        set_metric(&row.metrics, "max_drawdown", rows[i].mdd);
        set_metric(&row.metrics, "after_tax_value", rows[i].atv);
        set_metric(&row.metrics, "final_value", rows[i].atv + 100);
        set_metric(&row.metrics, "sharpe", rows[i].sharpe);
        set_metric(&row.metrics, "fees_paid", rows[i].fees);
        set_metric(&row.metrics, "slippage_paid", rows[i].slip);
        set_metric(&row.metrics, "gas_paid", rows[i].gas);
        put_ok(r, &row);
    }
    end_ok(r, "done");
    rb_results_free(r);
    return path;
}

/* Runs the query; returns the output (malloc'ed) and the status. */
static rb_status print_query(const char *path, const rb_runs_query *q, char **text, rb_error *err)
{
    size_t len = 0;
    *text = NULL;
    FILE *f = open_memstream(text, &len);
    cr_assert_not_null(f);
    rb_status rc = rb_runs_print(path, q, f, err);
    fclose(f);
    return rc;
}

/* The config ids of the table's rows, in order (the lines after the header). */
static size_t table_ids(const char *text, int64_t *ids, size_t cap)
{
    const char *line = strstr(text, "\n");
    cr_assert_not_null(line, "no title line: %s", text);
    line = strchr(line + 1, '\n'); /* skip the header row */
    cr_assert_not_null(line, "no header row: %s", text);
    size_t n = 0, rank;
    long long id;
    while (line && line[1] && n < cap && sscanf(line + 1, " %zu %lld", &rank, &id) == 2) {
        cr_assert_eq(rank, n + 1, "rank %zu on row %zu: %s", rank, n + 1, text);
        ids[n++] = id;
        line = strchr(line + 1, '\n');
    }
    return n;
}

static void expect_ids(const char *path, const rb_runs_query *q, const int64_t *want, size_t n)
{
    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, q, &text, &err), RB_OK, "%s", err.msg);
    int64_t got[16];
    size_t m = table_ids(text, got, 16);
    cr_assert_eq(m, n, "%zu rows instead of %zu:\n%s", m, n, text);
    for (size_t i = 0; i < n; i++) cr_assert_eq(got[i], want[i], "row %zu: %lld instead of %lld:\n%s", i + 1,
                                                (long long)got[i], (long long)want[i], text);
    free(text);
}

#define IDS(...) (const int64_t[]){__VA_ARGS__}, sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)
#define WHERE(...) .where = (const char *const[]){__VA_ARGS__}, \
                   .nwhere = sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

Test(results, print_ranks_by_a_metric_in_its_better_direction)
{
    char *path = make_query_store();
    /* Default: after_tax_value, highest first. */
    expect_ids(path, &(rb_runs_query){.top = 3}, IDS(104, 106, 102));
    expect_ids(path, &(rb_runs_query){.top = 3, .by = "cagr"}, IDS(104, 106, 102));
    /* Drawdown: lowest first. */
    expect_ids(path, &(rb_runs_query){.top = 2, .by = "max_drawdown"}, IDS(105, 103));
    /* Fees: lowest first. */
    expect_ids(path, &(rb_runs_query){.top = 6, .by = "fees_paid"}, IDS(104, 105, 101, 106, 103, 102));
    /* NaN (stored NULL) last whatever the direction; top 0 = all. */
    expect_ids(path, &(rb_runs_query){.top = 0, .by = "sharpe"}, IDS(104, 106, 102, 101, 105, 103));
    /* Ties broken by config_id. */
    expect_ids(path, &(rb_runs_query){.top = 3, .by = "total_return"}, IDS(101, 102, 103));

    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 6, .by = "max_drawdown"}, &text, &err), RB_OK);
    cr_assert_not_null(
        strstr(text, "sweep 1 (done): 6 of 6 configurations stored; top 6 by max_drawdown (lowest first)"), "%s",
        text);
    /* The header: rank, id, section, strategy, the 4 parameters, the key metrics. */
    const char *header = strchr(text, '\n') + 1;
    const char *want_cols[] = {"rank", "config_id", "section", "strategy", "band", "every", "fee_bps", "targets",
                               "final_value", "cagr", "ann_vol", "max_drawdown", "sharpe", "turnover", "costs",
                               "taxes_paid", "after_tax_value"};
    const char *p = header;
    for (size_t i = 0; i < sizeof want_cols / sizeof want_cols[0]; i++) {
        while (*p == ' ') p++;
        cr_assert_eq(strncmp(p, want_cols[i], strlen(want_cols[i])), 0, "column %zu is not %s: %s", i, want_cols[i],
                     header);
        p += strlen(want_cols[i]);
    }
    /* 105: costs 6 + 1 + 0 = 7.00, drawdown 15.00 %, cagr 4.00 %. */
    const char *row = strstr(text, "105");
    cr_assert_not_null(row);
    cr_assert_not_null(strstr(row, "threshold.mid"));
    cr_assert_not_null(strstr(row, "15.00%"));
    cr_assert_not_null(strstr(row, "4.00%"));
    cr_assert_not_null(strstr(row, " 7.00 "), "%s", row);
    cr_assert_not_null(strstr(row, "1400.00"));
    free(text);

    /* A --by metric outside the key ones gets a column. */
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 1, .by = "gas_paid"}, &text, &err), RB_OK);
    cr_assert_not_null(strstr(strchr(text, '\n'), "gas_paid"), "%s", text);
    free(text);
    free(path);
}

Test(results, print_filters_numbers_as_numbers_and_text_as_text)
{
    char *path = make_query_store();
    /* fee_bps is text ("10", "5", "20"): as text "10" < "8", as a number it is not. */
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("fee-bps < 8")}, IDS(104, 105));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("fee_bps>=10")}, IDS(106, 102, 103, 101));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("fee_bps = 10.0")}, IDS(102, 103, 101));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("every = month")}, IDS(101));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("strategy != threshold")}, IDS(106, 102, 101));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("targets = 'A=0.5,B=0.5'")}, IDS(106));
    expect_ids(path, &(rb_runs_query){.top = 10, .by = "cagr", WHERE("strategy = threshold", "cagr >= 0.06")},
               IDS(104, 103));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("band > 0.05")}, IDS(104, 106));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("config_id <= 102")}, IDS(102, 101));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("max_drawdown < -1")}, IDS());

    /* Parameters NULL in every row shown are left out; the title counts the matches. */
    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 1, WHERE("strategy = threshold")}, &text, &err), RB_OK,
                 "%s", err.msg);
    cr_assert_not_null(strstr(text, "; 3 where strategy = threshold; top 1"), "%s", text);
    const char *header = strchr(text, '\n') + 1;
    cr_assert_not_null(strstr(header, "band"));
    cr_assert_null(strstr(header, "every"), "%s", text);
    cr_assert_null(strstr(header, "targets"), "%s", text);
    free(text);
    free(path);
}

static void expect_print_error(const char *path, const rb_runs_query *q, rb_status code, const char *const *needles)
{
    char *text = NULL;
    rb_error err = {0};
    rb_status rc = print_query(path, q, &text, &err);
    cr_assert_eq(rc, code, "by %s, where %s: status %d instead of %d: %s", q->by ? q->by : "-",
                 q->nwhere ? q->where[0] : "-", rc, code, err.msg);
    for (size_t i = 0; needles[i]; i++)
        cr_assert_not_null(strstr(err.msg, needles[i]), "message '%s' lacks '%s'", err.msg, needles[i]);
    cr_assert_null(strchr(err.msg, '\n'), "not one line: %s", err.msg);
    cr_assert_eq(text ? strlen(text) : 0, 0, "output on error: %s", text);
    free(text);
}

#define NEEDLES(...) ((const char *const[]){__VA_ARGS__, NULL})

Test(results, print_reports_bad_metrics_columns_operators_and_sweeps)
{
    char *path = make_query_store();
    expect_print_error(path, &(rb_runs_query){.by = "profit"}, RB_ERR_USAGE,
                       NEEDLES("unknown metric 'profit'", "final_value", "after_tax_value", "max_drawdown",
                               "rebalancing_bonus"));
    expect_print_error(path, &(rb_runs_query){.by = "band"}, RB_ERR_USAGE, NEEDLES("unknown metric 'band'"));
    expect_print_error(path, &(rb_runs_query){WHERE("bnd > 0.1")}, RB_ERR_USAGE,
                       NEEDLES("no column 'bnd'", "band", "fee_bps", "cagr", path));
    expect_print_error(path, &(rb_runs_query){WHERE("band ~ 0.1")}, RB_ERR_USAGE,
                       NEEDLES("unknown operator '~'", "= != < <= > >="));
    expect_print_error(path, &(rb_runs_query){WHERE("band == 0.1")}, RB_ERR_USAGE, NEEDLES("unknown operator '=='"));
    expect_print_error(path, &(rb_runs_query){WHERE("band 0.1")}, RB_ERR_USAGE, NEEDLES("unknown operator"));
    expect_print_error(path, &(rb_runs_query){WHERE("band >")}, RB_ERR_USAGE, NEEDLES("no value"));
    expect_print_error(path, &(rb_runs_query){WHERE("> 3")}, RB_ERR_USAGE, NEEDLES("KEY OP VALUE"));
    expect_print_error(path, &(rb_runs_query){WHERE("cagr > high")}, RB_ERR_USAGE,
                       NEEDLES("'cagr' holds numbers", "'high'"));
    expect_print_error(path, &(rb_runs_query){.sweep_id = 7}, RB_ERR_NOT_FOUND,
                       NEEDLES("no sweep 7", "latest is sweep 1"));

    /* A value that looks like SQL is just a value. */
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("section = x' OR '1'='1")}, IDS());
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("band = 0.1'; DROP TABLE runs; --")}, IDS());
    sqlite3 *db = db_open(path);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs"), 6);
    sqlite3_close(db);

    /* An empty store, a missing file (not created). */
    char *empty = rbt_path(dir, "empty.db");
    rb_results *r = open_ok(empty);
    rb_results_free(r);
    expect_print_error(empty, &(rb_runs_query){.top = 1}, RB_ERR_NOT_FOUND, NEEDLES("empty results store", empty));
    char *missing = rbt_path(dir, "missing.db");
    expect_print_error(missing, &(rb_runs_query){.top = 1}, RB_ERR_NOT_FOUND,
                       NEEDLES("no such results store", missing));
    cr_assert_neq(access(missing, F_OK), 0, "a query created %s", missing);
    free(missing);
    free(empty);
    free(path);
}

/* A withdrawal plan that empties the portfolio: its run stores the date the money ran out
 * in depleted_on (NULL for the others); rebal runs shows it; a store written before the
 * column existed gets it at the next sweep. */
Test(results, a_depleted_run_stores_the_date_its_money_ran_out)
{
    char *path = rbt_path(dir, "d.db");
    rb_error err = {0};
    rb_time when;
    cr_assert_eq(rb_time_parse("2005-01-03", NULL, &when, &err), RB_OK, "%s", err.msg);
    for (int sweep = 0; sweep < 2; sweep++) {
        rb_results *r = open_ok(path);
        const char *keys[] = {"contribution"};
        begin_ok(r, sweep ? "spec 2" : "spec 1", "h", 2, keys, 1, 0, NULL, NULL, NULL);
        for (int k = 0; k < 2; k++) {
            rb_sweep_kv p[1] = {{"contribution", k ? "-30000" : "-1000"}};
            rb_result_row row = {.config_id = k, .section = "calendar", .strategy = "calendar", .params = p,
                                 .nparams = 1};
            size_t nm;
            const rb_metric_info *t = rb_metric_table(&nm);
            for (size_t m = 0; m < nm; m++) set_metric(&row.metrics, t[m].name, 1.0);
            set_metric(&row.metrics, "after_tax_value", k ? 0 : 5000);
            row.metrics.depleted = k;
            row.metrics.depleted_on = k ? when : 0;
            put_ok(r, &row);
        }
        end_ok(r, "done");
        rb_results_free(r);
        sqlite3 *db = db_open(path);
        char *on = query_text(db, "SELECT depleted_on FROM runs WHERE config_id = 1 ORDER BY sweep_id DESC");
        cr_assert_str_eq(on, "2005-01-03");
        free(on);
        cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE config_id = 0 AND depleted_on IS NULL"), sweep + 1);
        /* As a store of an older build: no depleted_on column (added back by the next sweep). */
        if (!sweep) exec_sql(db, "ALTER TABLE runs DROP COLUMN depleted_on");
        sqlite3_close(db);
    }
    char *text = NULL;
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 2}, &text, &err), RB_OK, "%s", err.msg);
    cr_assert_not_null(strstr(text, "depleted_on"), "%s", text);
    cr_assert_not_null(strstr(text, "2005-01-03"), "%s", text);
    free(text);
    free(path);
}

Test(results, print_csv_has_every_column)
{
    char *path = make_query_store();
    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 2, .csv = 1, WHERE("band >= 0.1")}, &text, &err), RB_OK,
                 "%s", err.msg);
    char want[2048];
    size_t nm, o = 0;
    const rb_metric_info *t = rb_metric_table(&nm);
    o += (size_t)snprintf(want, sizeof want, "sweep_id,config_id,section,strategy,status,error,band,every,fee_bps,targets");
    for (size_t m = 0; m < nm; m++) o += (size_t)snprintf(want + o, sizeof want - o, ",%s", t[m].name);
    snprintf(want + o, sizeof want - o, ",depleted_on\n");
    cr_assert_eq(strncmp(text, want, strlen(want)), 0, "header:\n%s\nwant:\n%s", text, want);

    /* 104 then 106 (after_tax_value 1900, 1800); NULL is an empty field, a comma is quoted. */
    const char *line = text + strlen(want);
    const char *row1 = "1,104,threshold.wide,threshold,ok,,0.1,,5,,2000,0,0.09,0,0.9,";
    const char *row2 = "1,106,hybrid,hybrid,ok,,0.25,quarter,20,\"A=0.5,B=0.5\",1900,0,0.08,0,0.8,";
    cr_assert_eq(strncmp(line, row1, strlen(row1)), 0, "%s", line);
    line = strchr(line, '\n') + 1;
    cr_assert_eq(strncmp(line, row2, strlen(row2)), 0, "%s", line);
    line = strchr(line, '\n') + 1;
    cr_assert_str_eq(line, "");
    free(text);

    /* sharpe NULL for 103: an empty field. */
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 1, .csv = 1, WHERE("config_id = 103")}, &text, &err), RB_OK);
    cr_assert_not_null(strstr(text, "\n1,103,threshold.tight,threshold,ok,,0.02,,10,,1750,0,0.06,0,,"), "%s", text);
    free(text);
    free(path);
}

Test(results, print_defaults_to_the_latest_sweep)
{
    char *path = make_query_store();
    rb_results *r = open_ok(path);
    begin_ok(r, "spec 2", "h", 1, NULL, 0, 0, NULL, NULL, NULL);
    put_ids(r, (const int64_t[]){777}, 1);
    end_ok(r, "interrupted");
    rb_results_free(r);
    expect_ids(path, &(rb_runs_query){.top = 10}, IDS(777));
    expect_ids(path, &(rb_runs_query){.top = 10, .sweep_id = 2}, IDS(777));
    expect_ids(path, &(rb_runs_query){.top = 1, .sweep_id = 1}, IDS(104));
    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 10}, &text, &err), RB_OK);
    cr_assert_not_null(strstr(text, "sweep 2 (interrupted): 1 of 1 configurations stored"), "%s", text);
    free(text);
    free(path);
}

/* Many parameters: only those that vary among the rows shown get a column. */
Test(results, print_shows_the_parameters_that_vary)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    const char *keys[] = {"a", "b", "c", "d", "e"};
    begin_ok(r, "spec", "h", 3, keys, 5, 0, NULL, NULL, NULL);
    for (int64_t i = 0; i < 3; i++) {
        char v[8];
        snprintf(v, sizeof v, "%lld", (long long)i);
        rb_sweep_kv p[] = {{"a", "1"}, {"b", v}, {"c", "x"}, {"d", "y"}, {"e", "z"}};
        rb_result_row row = {.config_id = i, .section = "s", .strategy = "calendar", .params = p, .nparams = 5};
        set_metric(&row.metrics, "after_tax_value", (double)i);
        put_ok(r, &row);
    }
    end_ok(r, "done");
    rb_results_free(r);
    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 10}, &text, &err), RB_OK, "%s", err.msg);
    const char *header = strchr(text, '\n') + 1;
    cr_assert_not_null(strstr(header, "strategy  b  final_value"), "%s", text);
    cr_assert_not_null(strstr(text, "same in every row shown: a=1, c=x, d=y, e=z"), "%s", text);
    free(text);
    free(path);
}

/* ---------------------------------------------------------------- refusing other files */

static void expect_refused(const char *path, const char *needle)
{
    char *before = rbt_path(dir, "before.copy");
    rbt_copy_file(path, before);
    rb_results *r = NULL;
    rb_error err = {0};
    rb_status rc = rb_results_open(path, &r, &err);
    cr_assert_eq(rc, RB_ERR_SCHEMA, "%s: status %d: %s", path, rc, err.msg);
    cr_assert_null(r);
    cr_assert_not_null(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
    cr_assert_not_null(strstr(err.msg, path), "message '%s' does not name the file", err.msg);
    cr_assert_null(strchr(err.msg, '\n'));
    char *text = NULL;
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 1}, &text, &err), RB_ERR_SCHEMA, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
    free(text);
    cr_assert(rbt_same_bytes(path, before), "%s was modified", path);
    unlink(before);
    free(before);
}

/* The price store opened on a results store says what the file is and what reads it, for a
 * writable and a read-only open, and leaves it untouched. */
Test(results, a_price_store_open_names_a_results_store_for_what_it_is)
{
    char *path = rbt_path(dir, "results.db");
    rb_results *r = open_ok(path);
    rb_results_free(r);
    char *before = rbt_path(dir, "results.copy");
    rbt_copy_file(path, before);
    const unsigned flags[2] = {0, RB_STORE_READONLY};
    for (int i = 0; i < 2; i++) {
        rb_store *s = NULL;
        rb_error err = {0};
        cr_assert_eq(rb_store_open(path, flags[i], &s, &err), RB_ERR_SCHEMA, "%s", err.msg);
        cr_assert_null(s);
        cr_assert_not_null(strstr(err.msg, "a rebal results store, not a price store"), "%s", err.msg);
        cr_assert_not_null(strstr(err.msg, "'rebal runs' and 'rebal report'"), "%s", err.msg);
        cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
        cr_assert_null(strchr(err.msg, '\n'));
    }
    cr_assert(rbt_same_bytes(path, before), "%s was modified", path);
    free(before);
    free(path);
}

Test(results, refuses_a_price_store_and_other_files_untouched)
{
    /* A price store with data. */
    char *prices = rbt_path(dir, "prices.db");
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(prices, 0, &s, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_store_begin(s, &err), RB_OK);
    exec_sql(s->db, "INSERT INTO assets(symbol) VALUES ('AAA');"
                    "INSERT INTO bars(asset_id, ts, close) VALUES (1, 0, 1)");
    cr_assert_eq(rb_store_commit(s, &err), RB_OK);
    rb_store_free(s);
    expect_refused(prices, "a rebal price store, not a results store");
    expect_refused(prices, "read by 'rebal assets', 'rebal run' and 'rebal sweep' as --db");

    char *text = rbt_write_file(dir, "notes.txt", "date,close\n2020-01-01,1\n");
    expect_refused(text, "not a SQLite database");
    char *shortf = rbt_write_file(dir, "short.db", "SQLite");
    expect_refused(shortf, "not a SQLite database");

    char *other = rbt_path(dir, "other.db");
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(other, &db), SQLITE_OK);
    exec_sql(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
    sqlite3_close(db);
    expect_refused(other, "another application");

    /* A results store from a newer rebal. */
    char *newer = rbt_path(dir, "newer.db");
    rb_results *r = open_ok(newer);
    rb_results_free(r);
    db = db_open(newer);
    exec_sql(db, "PRAGMA user_version = 3");
    sqlite3_close(db);
    expect_refused(newer, "newer rebal");

    /* Corrupt: a valid header, garbage after it. */
    char *corrupt = rbt_path(dir, "corrupt.db");
    FILE *f = fopen(corrupt, "wb");
    cr_assert_not_null(f);
    char page[8192];
    memset(page, 0x5a, sizeof page);
    memcpy(page, "SQLite format 3", 16);
    fwrite(page, 1, sizeof page, f);
    fclose(f);
    expect_refused(corrupt, "corrupt");

    free(prices);
    free(text);
    free(shortf);
    free(other);
    free(newer);
    free(corrupt);
}

Test(results, adopts_an_empty_file_and_reopens_its_own)
{
    char *path = rbt_write_file(dir, "empty.db", "");
    rb_results *r = open_ok(path);
    begin_ok(r, "spec", "h", 1, NULL, 0, 0, NULL, NULL, NULL);
    put_ids(r, (const int64_t[]){1}, 1);
    end_ok(r, "done");
    rb_results_free(r);
    r = open_ok(path);
    rb_results_free(r);
    sqlite3 *db = db_open(path);
    cr_assert_eq(query_int(db, "PRAGMA application_id"), 0x72627273);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs"), 1);
    sqlite3_close(db);
    free(path);
}
