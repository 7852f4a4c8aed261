/* test_sweep_run.c - whole sweeps into a results store: a configuration that fails is a row
 * (status, error, no metrics) and the others are exactly what a sweep without it stores;
 * `rebal runs` and the report show the failures; a store written by rebal before issue 12
 * (tests/fixtures/results-v1.db, schema version 1) reads, reports and resumes to the numbers a
 * fresh sweep gives. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rebal.h"
#include "results_check.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(sweep_run, .init = setup, .fini = teardown, .timeout = 120);

/* The bundled monthly closes of five stocks, the data of every sweep here. */
static rb_store *stocks_store(void) { return rbt_bundled_store(dir, "stocks_monthly.csv"); }

static rb_sweep_summary sweep_ok(rb_store *store, const char *spec_text, const char *name, const char *results,
                                 int resume, int threads)
{
    char *spec = rbt_write_file(dir, name, spec_text);
    rb_sweep_options so = {.results = results, .threads = threads, .resume = resume};
    rb_sweep_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run(store, spec, &so, &sum, &err), RB_OK, "%s", err.msg);
    free(spec);
    return sum;
}

/* rb_runs_print's output (malloc'ed). */
static char *runs_text(const char *path, const rb_runs_query *q)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    rb_error err = {0};
    cr_assert_eq(rb_runs_print(path, q, f, &err), RB_OK, "%s", err.msg);
    fclose(f);
    return text;
}

/* ---------------------------------------------------------------- failed configurations */

/* A pool of 1,000 USD per asset cannot take the first allocation of 100,000 USD: every
 * configuration with it fails on its first bar; the others run. */
#define FAILING_SPEC(depths)                                                                                           \
    "[data]\nassets = AAPL=0.25, AMZN=0.25, IBM=0.25, MSFT=0.25\n"                                                   \
    "[costs]\nfee-bps = 0, 10\namm-depth = " depths "\n"                                                             \
    "[buy-and-hold]\n[calendar]\nevery = quarter, year\n[threshold]\nband = 0.05, 0.1\n"

Test(sweep_run, a_failed_configuration_is_a_row_and_the_others_are_unchanged)
{
    rb_store *store = stocks_store();
    char *mixed = rbt_path(dir, "mixed.db"), *clean = rbt_path(dir, "clean.db");
    /* Two threads and the default blocks: the failures are met inside blocks of others. */
    rb_sweep_summary m = sweep_ok(store, FAILING_SPEC("0, 1000, 1e9"), "mixed.ini", mixed, 0, 2);
    rb_sweep_summary c = sweep_ok(store, FAILING_SPEC("0, 1e9"), "clean.ini", clean, 0, 2);
    cr_assert_eq(m.configurations, 30);
    cr_assert_eq(m.ran, 30, "every configuration is delivered, failed or not");
    cr_assert_eq(m.failed, 10);
    cr_assert_eq(c.failed, 0);
    cr_assert_eq(c.failure[0], '\0');
    cr_assert_not_null(strstr(m.failure, "exceeds the AMM pool"), "%s", m.failure);
    cr_assert_eq(strncmp(m.failure, "config ", 7), 0, "%s", m.failure);

    sqlite3 *db = db_open(mixed);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs"), 30, "every configuration is a row");
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE status = 'failed'"), 10);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE status = 'failed' AND amm_depth = 1000 AND "
                               "error LIKE '% on %: a buy of % exceeds the AMM pool''s % units (depth 1000)'"),
                 10, "each failure with its one-line message");
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE status = 'failed' AND (final_value IS NOT NULL OR "
                               "after_tax_value IS NOT NULL OR sharpe IS NOT NULL OR depleted_on IS NOT NULL)"),
                 0, "a failed configuration has no metrics");
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE status = 'ok' AND error IS NULL AND final_value > 0"),
                 20);
    char *status = query_text(db, "SELECT status FROM sweeps");
    cr_assert_str_eq(status, "done", "a sweep with failures is complete");
    free(status);
    sqlite3_close(db);

    /* The runs that ran: exactly those of the sweep without the failing pool, to the bit. */
    assert_same_runs_by_name(mixed, 1, clean, 1, "status = 'ok'", NULL);

    /* Resuming runs nothing again: the failures are stored too, and still counted. */
    rb_sweep_summary again = sweep_ok(store, FAILING_SPEC("0, 1000, 1e9"), "mixed.ini", mixed, 1, 1);
    cr_assert_eq(again.ran, 0);
    cr_assert_eq(again.skipped, 30);
    cr_assert_eq(again.failed, 10);
    free(mixed);
    free(clean);
    rb_store_free(store);
}

Test(sweep_run, rebal_runs_and_the_report_show_the_failures)
{
    rb_store *store = stocks_store();
    char *path = rbt_path(dir, "r.db");
    sweep_ok(store, FAILING_SPEC("0, 1000"), "s.ini", path, 0, 1);

    /* The table ranks the runs that ran, says how many failed and lists them with their message. */
    char *text = runs_text(path, &(rb_runs_query){.top = 30});
    cr_assert_not_null(strstr(text, "20 of 20 configurations stored, 10 failed"), "%s", text);
    cr_assert_not_null(strstr(text, "10 configurations failed (listed with --where \"status = failed\"); the first:"),
                       "%s", text);
    cr_assert_not_null(strstr(text, "exceeds the AMM pool"), "%s", text);
    cr_assert_not_null(strstr(text, "\n  10  "), "ten ranked runs: %s", text);
    cr_assert_null(strstr(text, "\n  11  "), "a failed run is not ranked: %s", text);
    free(text);
    /* status = failed selects them like any condition, with an error column. */
    text = runs_text(path, &(rb_runs_query){.top = 0, .where = (const char *const[]){"status = failed"}, .nwhere = 1});
    cr_assert_not_null(strstr(text, "; 10 where status = failed"), "%s", text);
    cr_assert_not_null(strstr(text, "  error\n"), "%s", text);
    free(text);
    /* CSV: every row, a failed one with its status and error and empty metrics. */
    text = runs_text(path, &(rb_runs_query){.csv = 1, .by = "final_value"});
    size_t lines = 0;
    for (const char *p = text; *p; p++) lines += *p == '\n';
    cr_assert_eq(lines, 21, "a header and 20 rows: %s", text);
    cr_assert_not_null(strstr(text, ",failed,"), "%s", text);
    free(text);

    /* The report ranks the runs that ran, says how many failed and lists them in failed.csv. */
    char *rep = rbt_path(dir, "rep");
    rb_report_options opt = {.out_dir = rep, .no_charts = 1};
    rb_report_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_report_sweep(store, path, &opt, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(sum.configurations, 10, "summary.csv: the runs that ran");
    cr_assert_eq(sum.failed_configurations, 10);
    char *failed_path = rbt_path(dir, "rep/failed.csv"), *failed = rbt_read_file(failed_path, NULL);
    cr_assert_not_null(failed, "failed.csv is missing");
    cr_assert_eq(strncmp(failed, "config_id,section,strategy,amm_depth,", 37), 0, "%s", failed);
    cr_assert_not_null(strstr(failed, ",error\r\n"), "%s", failed);
    lines = 0;
    for (const char *p = failed; *p; p++) lines += *p == '\n';
    cr_assert_eq(lines, 11, "%s", failed);
    cr_assert_not_null(strstr(failed, "exceeds the AMM pool"), "%s", failed);
    char *conv_path = rbt_path(dir, "rep/conventions.txt"), *conv = rbt_read_file(conv_path, NULL);
    cr_assert_not_null(strstr(conv, ", 10 failed"), "the subtitle says it: %s", conv);
    cr_assert_not_null(strstr(conv, "10 configurations failed (failed.csv"), "%s", conv);
    free(conv);
    free(conv_path);
    free(failed);
    free(failed_path);
    free(rep);
    free(path);
    rb_store_free(store);
}

/* ---------------------------------------------------------------- a store of schema version 1 */

/* tests/fixtures/results-v1.db: results-v1.ini swept over the bundled stocks_monthly.csv by
 * rebal at ff83617 (the last build writing schema version 1), then its 9 runs at
 * fee-bps = "10.0" deleted and the sweep marked interrupted, as a kill leaves it. It holds
 * numbers as written ("0.10", "10.0"), a per-asset value ("5,AAPL=20") and the columns to and
 * on. A copy is used: the file in the tree is never written. */
static char *fixture_copy(const char *name)
{
    char *from = rbt_source_path("tests/fixtures/results-v1.db"), *to = rbt_path(dir, name);
    rbt_copy_file(from, to);
    free(from);
    return to;
}

static char *fixture_spec(void)
{
    char *path = rbt_source_path("tests/fixtures/results-v1.ini"), *text = rbt_read_file(path, NULL);
    cr_assert_not_null(text);
    free(path);
    return text;
}

/* A fresh sweep of the fixture's specification by this build. */
static char *fresh_sweep(rb_store *store)
{
    char *spec = fixture_spec(), *path = rbt_path(dir, "fresh.db");
    rb_sweep_summary s = sweep_ok(store, spec, "fresh.ini", path, 0, 1);
    cr_assert_eq(s.configurations, 27);
    free(spec);
    return path;
}

/* The metrics added after the fixture was made: its runs have none (NULL once migrated). */
#define ADDED_METRICS                                                                                          \
    "funding_paid", "perp_fees_paid", "liquidations", "liquidation_cost", "overlay_notional_avg",                \
        "overlay_notional_peak", "tax_deferred", "beta", "alpha", "information_ratio", "up_capture",               \
        "down_capture", "skewness", "kurtosis", "ulcer_index", "dd_longest_bars", "dd_longest_days", "dd_current_bars", "dd_current_days", "recovery_bars",            \
        "recovery_days", "var_95", "cvar_95", "var_99", "cvar_99", "after_tax_cagr", "irr"

/* 1 when name (n bytes) is one of the metrics added since the fixture was made. */
static int added_metric(const char *name, size_t n)
{
    static const char *const added[] = {ADDED_METRICS};
    for (size_t k = 0; k < sizeof added / sizeof added[0]; k++)
        if (strlen(added[k]) == n && strncmp(name, added[k], n) == 0) return 1;
    return 0;
}

/* The metric fields of a CSV with a config_id column (rebal runs --csv, summary.csv), one
 * line "ID:v1,v2,..." per row in the file's order (malloc'ed), but the metrics the
 * fixture's runs do not have. Quoted fields may hold commas. */
static char *metric_fields(const char *csv)
{
    size_t nm, ncols = 0, found = 0;
    const rb_metric_info *table = rb_metric_table(&nm);
    int is_metric[256] = {0}, id_col = -1;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    const char *p = csv;
    for (int row = 0; *p; row++) {
        int col = 0;
        for (;;) { /* one field */
            const char *start = p;
            if (*p == '"')
                for (p++; *p && !(*p == '"' && p[1] != '"'); p++) p += *p == '"';
            while (*p && *p != ',' && *p != '\n' && *p != '\r') p++;
            size_t n = (size_t)(p - start);
            if (row == 0) {
                cr_assert_lt(col, 256);
                for (size_t m = 0; m < nm; m++)
                    if (strlen(table[m].name) == n && strncmp(start, table[m].name, n) == 0 && !added_metric(start, n))
                        is_metric[col] = 1, found++;
                if (n == 9 && strncmp(start, "config_id", 9) == 0) id_col = col;
            } else if (col == id_col) {
                fprintf(f, "%.*s:", (int)n, start);
            } else if (is_metric[col]) {
                fprintf(f, "%.*s,", (int)n, start);
            }
            col++;
            if (*p != ',') break;
            p++;
        }
        if (row == 0) ncols = (size_t)col;
        else fputc('\n', f);
        while (*p == '\r' || *p == '\n') p++;
    }
    fclose(f);
    cr_assert_geq(id_col, 0, "no config_id column");
    cr_assert_gt(ncols, found);
    cr_assert_geq(found, 19, "the metrics of the fixture's build");
    return out;
}

/* Every line of part is a line of whole. */
static void assert_lines_within(const char *part, const char *whole, const char *what)
{
    size_t n = 0;
    for (const char *line = part; *line; line = strchr(line, '\n') + 1, n++) {
        size_t len = (size_t)(strchr(line, '\n') - line);
        char *needle = malloc(len + 3);
        snprintf(needle, len + 3, "\n%.*s\n", (int)len, line);
        char *hay = malloc(strlen(whole) + 2);
        snprintf(hay, strlen(whole) + 2, "\n%s", whole);
        cr_assert_not_null(strstr(hay, needle), "%s: %.*s not among\n%s", what, (int)len, line, whole);
        free(needle);
        free(hay);
    }
    cr_assert_gt(n, 0, "%s: nothing to compare", what);
}

static char *csv_of_runs(const char *path)
{
    return runs_text(path, &(rb_runs_query){.top = 0, .csv = 1});
}

/* The fixture's runs have every column of a fresh sweep's runs (the parameters as stored,
 * typed or not, aside) to the bit. */
static void assert_fixture_numbers(const char *old, const char *fresh)
{
    static const char *const params[] = {"band", "every", "fee_bps", "to", "on", "to_mode", "on_bar", "status",
                                         "error", ADDED_METRICS, NULL};
    /* "fee_bps != 10": the fixture's runs (its "10.0" ones were deleted) */
    assert_same_runs_by_name(old, 1, fresh, 1, "fee_bps != 10", params);
}

Test(sweep_run, a_version_1_store_is_read_as_it_is)
{
    rb_store *store = stocks_store();
    char *old = fixture_copy("old.db"), *before = fixture_copy("before.db"), *fresh = fresh_sweep(store);
    sqlite3 *db = db_open(old);
    cr_assert_eq(query_int(db, "PRAGMA user_version"), 1);
    char *spec = fixture_spec(), *stored = query_text(db, "SELECT spec FROM sweeps");
    cr_assert_str_eq(stored, spec, "results-v1.ini is the specification the fixture ran");
    free(stored);
    free(spec);
    sqlite3_close(db);
    assert_fixture_numbers(old, fresh);

    /* rebal runs: its 18 runs with the numbers of the fresh sweep; conditions on numbers
     * written "0.10" and "10.0", on per-asset text, and on the old columns by either name. */
    char *text = runs_text(old, &(rb_runs_query){.top = 0});
    cr_assert_not_null(strstr(text, "sweep 1 (interrupted): 18 of 27 configurations stored; all by"), "%s", text);
    free(text);
    char *a = csv_of_runs(old), *b = csv_of_runs(fresh), *ma = metric_fields(a), *mb = metric_fields(b);
    assert_lines_within(ma, mb, "rebal runs --csv of the version 1 store");
    free(a), free(b), free(ma), free(mb);
    const char *const conds[][2] = {{"band = 0.1", "4"},      {"fee_bps = 5", "9"},     {"fee_bps <= 10", "9"},
                                    {"to = edge", "4"},       {"to_mode = edge", "4"},  {"on_bar = last", "4"},
                                    {"on = last", "4"},       {"fee-bps = 5,AAPL=20", "9"}};
    for (size_t k = 0; k < sizeof conds / sizeof conds[0]; k++) {
        text = runs_text(old, &(rb_runs_query){.top = 1, .where = &conds[k][0], .nwhere = 1});
        char expect[64];
        snprintf(expect, sizeof expect, "; %s where", conds[k][1]);
        cr_assert_not_null(strstr(text, expect), "%s: %s", conds[k][0], text);
        free(text);
    }

    /* rebal report: the same numbers in summary.csv. */
    char *rep = rbt_path(dir, "rep"), *rep2 = rbt_path(dir, "rep2");
    rb_report_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_report_sweep(store, old, &(rb_report_options){.out_dir = rep, .no_charts = 1}, &sum, &err),
                 RB_OK, "%s", err.msg);
    cr_assert_eq(sum.configurations, 18);
    cr_assert_eq(sum.failed_configurations, 0);
    cr_assert_eq(rb_report_sweep(store, fresh, &(rb_report_options){.out_dir = rep2, .no_charts = 1}, &sum, &err),
                 RB_OK, "%s", err.msg);
    char *p1 = rbt_path(dir, "rep/summary.csv"), *p2 = rbt_path(dir, "rep2/summary.csv");
    a = rbt_read_file(p1, NULL), b = rbt_read_file(p2, NULL), ma = metric_fields(a), mb = metric_fields(b);
    assert_lines_within(ma, mb, "summary.csv of the version 1 store");
    free(a), free(b), free(ma), free(mb), free(p1), free(p2), free(rep), free(rep2);

    cr_assert(rbt_same_bytes(old, before), "reading a version 1 store changed it");
    free(old);
    free(before);
    free(fresh);
    rb_store_free(store);
}

Test(sweep_run, a_version_1_store_resumes_migrated_to_the_numbers_of_a_fresh_sweep)
{
    rb_store *store = stocks_store();
    char *old = fixture_copy("old.db"), *fresh = fresh_sweep(store), *spec = fixture_spec();
    rb_sweep_summary sum = sweep_ok(store, spec, "old.ini", old, 1, 1);
    cr_assert_eq(sum.skipped, 18, "the stored runs are kept");
    cr_assert_eq(sum.ran, 9, "the rest runs");
    sqlite3 *db = db_open(old);
    cr_assert_eq(query_int(db, "PRAGMA user_version"), 3);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sweeps"), 1, "the same sweep, continued");
    cr_assert_eq(query_int(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE name IN ('to', 'on')"), 0);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE (name IN ('band', 'fee_bps') "
                               "AND type = 'REAL') OR (name IN ('to_mode', 'on_bar', 'every') AND type = 'TEXT')"),
                 5);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE status = 'ok' AND error IS NULL"), 27);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE band = 0.1"), 6, "written 0.10, now the number");
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE typeof(fee_bps) = 'text'"), 9,
                 "a per-asset value stays text");
    sqlite3_close(db);
    assert_integrity(old);
    /* Every column of every run, the migrated ones too, equals the fresh sweep's (but the
     * metrics added since the fixture was made, which its runs do not have). */
    assert_same_runs_by_name(old, 1, fresh, 1, NULL, (const char *const[]){ADDED_METRICS, NULL});
    free(spec);
    free(old);
    free(fresh);
    rb_store_free(store);
}

/* ---------------------------------------------------------------- dataset hashes of earlier builds */

/* Builds before "v2-" dataset hashes recorded a 16-digit FNV-1a hash (the fixture's sweep
 * holds the one of the bundled stocks): a complete sweep recorded under it is still found,
 * and shown instead of run again; a different old hash is another dataset. */
static int64_t already_after_rehash(rb_store *store, const char *legacy)
{
    char *spec = fixture_spec(), *path = rbt_path(dir, "rehash.db");
    unlink(path);
    rb_sweep_summary first = sweep_ok(store, spec, "rehash.ini", path, 0, 1);
    cr_assert_eq(first.already, 0);
    sqlite3 *db = db_open(path);
    char *v2 = query_text(db, "SELECT dataset_hash FROM sweeps");
    cr_assert(strncmp(v2, "v2-", 3) == 0 && strlen(v2) == 19, "this build writes v2- hashes: %s", v2);
    char *sql = sqlite3_mprintf("UPDATE sweeps SET dataset_hash = %Q", legacy);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_free(sql);
    sqlite3_close(db);
    rb_sweep_summary again = sweep_ok(store, spec, "rehash.ini", path, 0, 1);
    free(v2);
    free(spec);
    free(path);
    return again.already;
}

Test(sweep_run, a_sweep_recorded_under_an_earlier_builds_hash_is_found)
{
    rb_store *store = stocks_store();
    char *old = fixture_copy("old.db");
    sqlite3 *db = db_open(old);
    char *legacy = query_text(db, "SELECT dataset_hash FROM sweeps");
    sqlite3_close(db);
    cr_assert_eq(strlen(legacy), 16, "the fixture holds an FNV-1a hash: %s", legacy);
    cr_expect_eq(already_after_rehash(store, legacy), 1, "the done sweep under the old hash is shown, not run");
    char other[17];
    snprintf(other, sizeof other, "%016llx", strtoull(legacy, NULL, 16) ^ 1);
    cr_expect_eq(already_after_rehash(store, other), 0, "another old hash is another dataset: the sweep runs");
    free(legacy);
    free(old);
    rb_store_free(store);
}
