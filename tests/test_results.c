/* test_results.c - writing the results store of sweeps: schema and columns (typed, keyword
 * names renamed), round trips (NaN as NULL), parameter columns added per sweep, resume,
 * survival of kill -9 at many moments, concurrent writers and duplicate ids. The `rebal runs`
 * query and the refusal of foreign files are test_runs.c's; whole sweeps test_sweep_run.c's. */
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
#include "results/schema.h"
#include "results/writer.h"
#include "store.h"
#include "results_check.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(results, .init = setup, .fini = teardown, .timeout = 60);

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
    cr_assert_eq(query_int(db, "PRAGMA user_version"), 3);
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
/* The columns a reader reads (rb_results_columns_read, by a statement over the table) are the
 * table's as its pragma lists them: every name, numbers where the type is REAL or INTEGER. A
 * store whose runs table is gone is refused as it was. */
Test(results, the_columns_read_are_the_table_s_as_its_pragma_lists_them)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    const char *keys[] = {"band", "every", "fee-bps", "only-breached", "on", "to"};
    begin_ok(r, "[calendar]\nevery = month\n", "abc123", 1, keys, 6, 0, NULL, NULL, NULL);
    end_ok(r, "done");
    rb_results_columns cols;
    rb_error err = {0};
    cr_assert_eq(rb_results_columns_read(rb_results_connection(r), &cols, &err), RB_OK, "%s", err.msg);
    sqlite3 *db = db_open(path);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT name, type FROM pragma_table_info('runs')", -1, &st, NULL), SQLITE_OK);
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0), *type = (const char *)sqlite3_column_text(st, 1);
        int at = rb_results_columns_find(&cols, name);
        cr_assert_geq(at, 0, "column %s not read", name);
        cr_assert_str_eq(cols.col[at].name, name);
        cr_assert_eq(cols.col[at].real, strcmp(type, "REAL") == 0 || strcmp(type, "INTEGER") == 0, "%s %s", name, type);
        n++;
    }
    sqlite3_finalize(st);
    cr_assert_eq(cols.n, n);
    cr_assert_gt(n, 12);
    rb_results_columns_free(&cols);
    cr_assert_eq(sqlite3_exec(db, "DROP TABLE runs", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    rb_results_free(r);
    r = NULL;
    rb_rconn c;
    cr_assert_eq(rb_results_schema_open(path, 1, &c, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_results_columns_read(&c, &cols, &err), RB_ERR_SCHEMA);
    cr_assert_not_null(strstr(err.msg, "has no runs table"), "%s", err.msg);
    rb_results_schema_close(&c);
    free(path);
}

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
                         .metrics = rb_run_metrics(res)};
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
    /* Nothing was recorded (a new store gets its tables with its first sweep), and the store
     * still works. */
    sqlite3 *db = db_open(path);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_schema"), 0);
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

typedef struct committed_wait {
    const char *path;
    long long rows;
} committed_wait;

static int rows_committed(void *ctx)
{
    const committed_wait *w = ctx;
    return rbt_sqlite_int(w->path, "SELECT count(*) FROM runs") >= w->rows;
}

/* The status of a sweep's end is committed with its last rows when the writer still has
 * rows to commit (writer.c), else on its own: with no row at all, and after every row was
 * committed by the writer's clock. Each way the sweep ends with its status, its time and
 * every row. */
Test(results, the_end_is_recorded_with_the_last_rows_or_on_its_own)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    begin_ok(r, "no rows", "h", 0, NULL, 0, 0, NULL, NULL, NULL);
    end_ok(r, "done");
    begin_ok(r, "rows left", "h", 3, NULL, 0, 0, NULL, NULL, NULL);
    put_ids(r, (const int64_t[]){1, 2, 3}, 3);
    end_ok(r, "interrupted");
    begin_ok(r, "rows committed", "h", 2, NULL, 0, 0, NULL, NULL, NULL);
    put_ids(r, (const int64_t[]){4, 5}, 2);
    committed_wait w = {path, 5}; /* the writer commits 0.2 s after a transaction's first row */
    cr_assert(rbt_wait_until(rows_committed, &w, 60), "the rows were not committed in 60 s");
    end_ok(r, "done");
    rb_results_free(r);
    sqlite3 *db = db_open(path);
    char *s = query_text(db, "SELECT group_concat(spec || ':' || status || ':' || (finished_at IS NOT NULL) || ':' || "
                             "(SELECT count(*) FROM runs WHERE sweep_id = sweeps.id), ',') FROM "
                             "(SELECT * FROM sweeps ORDER BY id) AS sweeps");
    cr_assert_str_eq(s, "no rows:done:1:0,rows left:interrupted:1:3,rows committed:done:1:2");
    free(s);
    sqlite3_close(db);
    free(path);
}

/* ---------------------------------------------------------------- resume */

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
     * rows it has handed over, the rows the parent has seen committed, and then more rows
     * handed over. The writer commits a transaction 200 ms after its first row, so "2500
     * handed, 2500 committed" kills between transactions, and "2500 committed, then 500
     * more handed" mid-way, as a rule with a transaction open (had the writer committed
     * those too, the kill is between transactions again: either must resume alike). end:
     * ask the child to end the sweep, then kill. */
    static const struct {
        int reports;
        unsigned handed, committed;
        int end;
        unsigned more;
    } kills[] = {
        {-1, 0, 0, 0, 0},   {0, 0, 0, 0, 0},    {1, 0, 0, 0, 0},         {1, 1, 0, 0, 0},
        {1, 1500, 0, 0, 0}, {1, 2500, 2500, 0, 500}, {1, 2500, 2500, 0, 0}, {1, KILL_ROWS, 0, 0, 0},
        {1, KILL_ROWS, KILL_ROWS, 0, 0}, {1, KILL_ROWS, 0, 1, 0},
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
        if (kills[d].more) {
            unsigned count = kills[d].more;
            cr_assert_eq(write(cmd[1], &count, sizeof count), (ssize_t)sizeof count);
            puts += await_reports(fds[0], count);
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
    /* The kills after 2500 committed rows land mid-sweep by construction. */
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
