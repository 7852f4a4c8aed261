/* test_sweep_inputs.c - a sweep's identity in a results store covers what it reads beside
 * its file and the prices (engine/sweep_inputs.c): a stored series it names (--gas-series,
 * --amm-depth-series) or a CSV (--when, --targets-csv) with other content makes it another
 * sweep, run again rather than shown as complete (a [venues] file too, found beside the sweep
 * file); unchanged inputs are recognized; a sweep
 * that names none keeps the prices' "v2-" hash of earlier builds. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
TestSuite(sweep_inputs, .init = setup, .fini = teardown, .timeout = 120);

/* The bundled monthly closes of five stocks. */
static rb_store *stocks_store(void)
{
    char *csv = rbt_source_path("data/bundled/stocks_monthly.csv");
    char *text = rbt_read_file(csv, NULL);
    cr_assert_not_null(text);
    rb_store *s = rbt_store_from_csv(dir, text, NULL);
    free(text);
    free(csv);
    return s;
}

/* A series of two points, the first before every stored bar (1995-01-01, 2005-01-03). */
static void put_series(rb_store *s, const char *name, double first, double second)
{
    const rb_time t[2] = {788918400, 1104710400};
    const double v[2] = {first, second};
    rb_error err = {0};
    cr_assert_eq(rb_series_import_arrays(s, name, t, v, 2, 1, NULL, &err), RB_OK, "%s", err.msg);
}

static rb_sweep_summary sweep(rb_store *store, const char *spec_path, const char *results)
{
    rb_sweep_options so = {.results = results, .threads = 1};
    rb_sweep_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run(store, spec_path, &so, &sum, &err), RB_OK, "%s", err.msg);
    return sum;
}

/* The dataset hash recorded for sweep id (malloc'ed). */
static char *hash_of(const char *results, int64_t id)
{
    sqlite3 *db = db_open(results);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT dataset_hash FROM sweeps WHERE id = %lld", (long long)id);
    char *h = query_text(db, sql);
    sqlite3_close(db);
    return h;
}

Test(sweep_inputs, a_series_with_other_values_makes_the_same_file_another_sweep)
{
    rb_store *store = stocks_store();
    put_series(store, "GAS", 5, 6);
    char *spec = rbt_write_file(dir, "gas.ini",
                                "[data]\nassets = AAPL=0.5, MSFT=0.5\n[costs]\ngas-series = GAS\n"
                                "[calendar]\nevery = quarter, year\n");
    char *results = rbt_path(dir, "results.db");
    rb_sweep_summary first = sweep(store, spec, results);
    cr_assert_eq(first.already, 0);
    cr_assert_eq(first.ran, 2);
    char *h1 = hash_of(results, first.sweep_id);
    cr_expect(strncmp(h1, "v3-", 3) == 0 && strlen(h1) == 36, "%s", h1);

    rb_sweep_summary again = sweep(store, spec, results);
    cr_expect_eq(again.already, first.sweep_id, "the same inputs: the complete sweep is shown, not run");

    put_series(store, "GAS", 5, 9); /* the gas from 2005 on changes */
    rb_sweep_summary changed = sweep(store, spec, results);
    cr_expect_eq(changed.already, 0, "other gas prices: the sweep runs again");
    cr_expect_eq(changed.ran, 2);
    char *h2 = hash_of(results, changed.sweep_id);
    cr_expect(strncmp(h1, h2, 19) == 0, "the same prices: %s and %s", h1, h2);
    cr_expect_str_neq(h1, h2);
    free(h1);
    free(h2);
    free(results);
    free(spec);
    rb_store_free(store);
}

Test(sweep_inputs, a_depth_series_of_one_asset_counts_too)
{
    rb_store *store = stocks_store();
    put_series(store, "DEPTH", 5e9, 5e9);
    char *spec = rbt_write_file(dir, "depth.ini",
                                "[data]\nassets = AAPL=0.5, MSFT=0.5\n[costs]\namm-depth-series = \"AAPL=DEPTH\"\n"
                                "[threshold]\nband = 0.05\n");
    char *results = rbt_path(dir, "results.db");
    rb_sweep_summary first = sweep(store, spec, results);
    cr_assert_eq(first.ran, 1);
    cr_expect_eq(sweep(store, spec, results).already, first.sweep_id);
    put_series(store, "DEPTH", 5e9, 4e9);
    cr_expect_eq(sweep(store, spec, results).already, 0, "another depth: run again");
    free(results);
    free(spec);
    rb_store_free(store);
}

Test(sweep_inputs, a_schedule_file_with_other_dates_makes_another_sweep)
{
    rb_store *store = stocks_store();
    char *days = rbt_write_file(dir, "days.csv", "date\n2003-01-02\n2006-01-03\n");
    char ini[512];
    snprintf(ini, sizeof ini, "[data]\nassets = AAPL=0.5, MSFT=0.5\n[schedule]\nwhen = %s\n", days);
    char *spec = rbt_write_file(dir, "when.ini", ini);
    char *results = rbt_path(dir, "results.db");
    rb_sweep_summary first = sweep(store, spec, results);
    cr_assert_eq(first.ran, 1);
    cr_expect_eq(sweep(store, spec, results).already, first.sweep_id);
    free(rbt_write_file(dir, "days.csv", "date\n2003-01-02\n2007-01-03\n"));
    rb_sweep_summary changed = sweep(store, spec, results);
    cr_expect_eq(changed.already, 0, "other dates to rebalance on: run again");
    cr_expect_eq(changed.ran, 1);
    free(results);
    free(spec);
    free(days);
    rb_store_free(store);
}

Test(sweep_inputs, a_sweep_naming_no_input_keeps_the_prices_hash)
{
    rb_store *store = stocks_store();
    char *spec = rbt_write_file(dir, "plain.ini", "[data]\nassets = AAPL=0.5, MSFT=0.5\n[threshold]\nband = 0.05\n");
    char *results = rbt_path(dir, "results.db");
    rb_sweep_summary first = sweep(store, spec, results);
    char *h = hash_of(results, first.sweep_id);
    cr_expect(strncmp(h, "v2-", 3) == 0 && strlen(h) == 19, "%s", h);
    free(h);
    free(results);
    free(spec);
    rb_store_free(store);
}

/* A venue file named relative to the sweep file (read from the sweep file's directory, not
 * the working one): other pools there make another sweep. */
Test(sweep_inputs, a_venue_file_beside_the_sweep_file_counts_by_its_content)
{
    rb_store *store = stocks_store();
    char *sub = rbt_subdir(dir, "grid");
    free(rbt_write_file(sub, "v.ini", "[a]\nkind = pool\ndepth = 1e9\n[assets]\nAAPL = a\n"));
    char *spec = rbt_write_file(sub, "grid.ini",
                                "[data]\nassets = AAPL=0.5, MSFT=0.5\n[venues]\nvenues = v.ini\n"
                                "[calendar]\nevery = year\n");
    char *results = rbt_path(dir, "results.db");
    rb_sweep_summary first = sweep(store, spec, results);
    cr_assert_eq(first.ran, 1);
    char *h = hash_of(results, first.sweep_id);
    cr_expect(strncmp(h, "v3-", 3) == 0, "%s", h);
    free(h);
    cr_expect_eq(sweep(store, spec, results).already, first.sweep_id);
    free(rbt_write_file(sub, "v.ini", "[a]\nkind = pool\ndepth = 2e9\n[assets]\nAAPL = a\n"));
    cr_expect_eq(sweep(store, spec, results).already, 0, "a deeper pool: run again");
    free(results);
    free(spec);
    free(sub);
    rb_store_free(store);
}
