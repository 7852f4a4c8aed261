/* test_series.c - dated series in the price store (issue 17, "Series as data" and "Pool
 * depth over time"): import with the validation, atomicity and idempotence of prices, the
 * listing, the migration of a store of schema version 1 (gas series read as before), and
 * --amm-depth-series worked by hand, its refusals, and its sweep key. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebal.h"
#include "run_result.h"
#include "store.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(series, .init = setup, .fini = teardown, .timeout = 120);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static rb_store *open_store(const char *name)
{
    char *path = rbt_path(dir, name);
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, 0, &s, &err), RB_OK, "%s", err.msg);
    free(path);
    return s;
}

static rb_status import_text(rb_store *s, const char *name, const char *text, int replace, rb_series_stats *stats,
                             rb_error *err)
{
    char *path = rbt_write_file(dir, "series.csv", text);
    rb_status rc = rb_series_import_file(s, name, path, replace, stats, err);
    free(path);
    return rc;
}

/* ---------------------------------------------------------------- import and listing */

Test(series, imports_lists_and_reads_back)
{
    rb_store *s = open_store("s.db");
    rb_series_stats st = {0};
    rb_error err = {0};
    cr_assert_eq(import_text(s, "gas", "date,gwei\n2020-01-01,1.5\n2020-01-03,-2\n2020-01-10,0.25\n", 0, &st, &err),
                 RB_OK, "%s", err.msg);
    cr_assert_eq(st.rows, 3);
    cr_assert_eq(st.added, 3);
    cr_assert_eq(st.created, 1);
    /* no header is fine too; a second series */
    cr_assert_eq(import_text(s, "depth-X", "2020-01-02,5e6\n", 0, &st, &err), RB_OK, "%s", err.msg);

    rb_series_info *list = NULL;
    size_t n = 0;
    cr_assert_eq(rb_store_list_series(s, &list, &n, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(list[0].name, "depth-X");
    cr_assert_str_eq(list[1].name, "gas");
    cr_assert_eq(list[1].points, 3);
    cr_assert_eq(list[1].first, 1577836800);
    cr_assert_eq(list[1].last, 1577836800 + 9 * 86400);
    free(list);

    rb_time *t = NULL;
    double *v = NULL;
    cr_assert_eq(rb_series_get(s, "gas", &t, &v, &n, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_assert_eq(v[0], 1.5);
    cr_assert_eq(v[1], -2);
    cr_assert_eq(v[2], 0.25);
    free(t);
    free(v);
    cr_assert_eq(rb_series_get(s, "nope", &t, &v, &n, &err), RB_ERR_NOT_FOUND);
    cr_assert_not_null(strstr(err.msg, "nope"), "%s", err.msg);
    rb_store_free(s);
}

Test(series, the_same_file_twice_changes_nothing_and_a_conflict_changes_nothing)
{
    rb_store *s = open_store("s.db");
    rb_series_stats st = {0};
    rb_error err = {0};
    const char *text = "date,value\n2020-01-01,1\n2020-01-02,2\n";
    cr_assert_eq(import_text(s, "g", text, 0, &st, &err), RB_OK, "%s", err.msg);
    rb_store_free(s);
    char *path = rbt_path(dir, "s.db"), *copy = rbt_path(dir, "copy.db");
    rbt_copy_file(path, copy);

    s = open_store("s.db");
    cr_assert_eq(import_text(s, "g", text, 0, &st, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(st.added + st.replaced, 0);
    cr_assert_eq(st.unchanged, 2);
    cr_assert_eq(st.created, 0);
    /* another value for a stored date: refused, naming FILE:LINE, the series, the date */
    rb_status rc = import_text(s, "g", "date,value\n2020-01-03,7\n", 0, &st, &err);
    cr_assert_eq(rc, RB_OK, "%s", err.msg);
    rc = import_text(s, "g", "date,value\n2020-01-02,3\n2020-01-04,9\n", 0, &st, &err);
    cr_assert_eq(rc, RB_ERR_CONFLICT);
    cr_assert_not_null(strstr(err.msg, "series.csv:2: g on 2020-01-02 is stored as 2, not 3"), "%s", err.msg);
    rb_time *t = NULL;
    double *v = NULL;
    size_t n = 0;
    cr_assert_eq(rb_series_get(s, "g", &t, &v, &n, &err), RB_OK);
    cr_assert_eq(n, 3, "the refused file stored a point: %zu", n);
    free(t);
    free(v);
    /* --replace overwrites it */
    cr_assert_eq(import_text(s, "g", "date,value\n2020-01-02,3\n", 1, &st, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(st.replaced, 1);
    rb_store_free(s);
    cr_assert(rbt_sqlite_int(path, "SELECT value = 3 FROM series_points WHERE ts = 1577923200") == 1);
    free(path);
    free(copy);
}

/* Every refusal names FILE:LINE and leaves the store without the series. */
Test(series, refuses_bad_files_naming_the_line_and_writes_nothing)
{
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"date,value\n2020-01-01,1\n2020-01-02,abc\n", "series.csv:3: value 'abc' is not a finite number"},
        {"date,value\n2020-01-01,1\n2020-01-02,5%\n", "series.csv:3: value '5%' is not a plain number"},
        {"date,value\n2020-01-01,1,2\n", "series.csv:2: 3 columns"},
        {"date,value,other\n2020-01-01,1\n", "series.csv:1: 3 columns"},
        {"date,value\n2020-01-02,1\n2020-01-01,2\n", "series.csv:3:"},
        {"date,value\n2020-13-45,1\n", "series.csv:2:"},
        {"date,value\n2020-01-01,1e999\n", "series.csv:2: value '1e999' is not a finite number"},
        {"date,value\n", "no data rows"},
    };
    rb_store *s = open_store("s.db");
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        rb_error err = {0};
        rb_series_stats st = {0};
        cr_assert_neq(import_text(s, "g", cases[k].text, 0, &st, &err), RB_OK, "case %zu accepted", k);
        cr_assert_not_null(strstr(err.msg, cases[k].needle), "case %zu: '%s' lacks '%s'", k, err.msg, cases[k].needle);
        cr_assert_null(strchr(err.msg, '\n'));
    }
    rb_series_info *list = NULL;
    size_t n = 9;
    rb_error err = {0};
    cr_assert_eq(rb_store_list_series(s, &list, &n, &err), RB_OK);
    cr_assert_eq(n, 0, "a refused file left a series");
    free(list);
    /* names follow the rules of symbols */
    cr_assert_eq(import_text(s, "a b", "2020-01-01,1\n", 0, NULL, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "blank"), "%s", err.msg);
    cr_assert_eq(import_text(s, "CASH", "2020-01-01,1\n", 0, NULL, &err), RB_ERR_USAGE);
    rb_store_free(s);
}

Test(series, arrays_are_checked_like_files)
{
    rb_store *s = open_store("s.db");
    rb_error err = {0};
    rb_time t[] = {1577836800, 1577923200};
    double bad[] = {1, NAN}, good[] = {1, 2};
    cr_assert_eq(rb_series_import_arrays(s, "g", t, bad, 2, 0, NULL, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "series g: the value on 2020-01-02 is not a finite number"), "%s", err.msg);
    rb_time back[] = {1577923200, 1577836800};
    cr_assert_eq(rb_series_import_arrays(s, "g", back, good, 2, 0, NULL, &err), RB_ERR_USAGE);
    rb_series_stats st = {0};
    cr_assert_eq(rb_series_import_arrays(s, "g", t, good, 2, 0, &st, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(st.added, 2);
    rb_store_free(s);
}

/* ---------------------------------------------------------------- migration */

/* A price store exactly as the build before series wrote it: schema version 1 (the SQL of
 * its migration 0 -> 1), with prices of X and, as such stores held them, a gas price
 * imported as the asset GAS. */
static char *version_1_store(const char *name)
{
    char *path = rbt_path(dir, name);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    const char *sql =
        "CREATE TABLE assets (id INTEGER PRIMARY KEY, symbol TEXT NOT NULL UNIQUE, name TEXT, kind TEXT, "
        "quote TEXT NOT NULL DEFAULT 'USD');"
        "CREATE TABLE bars (asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE, ts INTEGER NOT NULL, "
        "open REAL, high REAL, low REAL, close REAL NOT NULL, volume REAL, PRIMARY KEY (asset_id, ts)) WITHOUT ROWID;"
        "CREATE TABLE imports (id INTEGER PRIMARY KEY, source TEXT NOT NULL, format TEXT NOT NULL, rows INTEGER NOT "
        "NULL, bars_added INTEGER NOT NULL, bars_replaced INTEGER NOT NULL, imported_at TEXT NOT NULL);"
        "PRAGMA application_id = 1919246956; PRAGMA user_version = 1;"
        "INSERT INTO assets(id, symbol) VALUES (1, 'X'), (2, 'GAS');";
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s", msg ? msg : "");
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "INSERT INTO bars(asset_id, ts, close) VALUES (?1, ?2, ?3)", -1, &st, NULL),
                 SQLITE_OK);
    double p = 100;
    for (int t = 0; t < 60; t++) {
        p *= 1 + 0.03 * sin(t * 1.7);
        sqlite3_bind_int64(st, 1, 1);
        sqlite3_bind_int64(st, 2, 1577836800 + (int64_t)t * 86400);
        sqlite3_bind_double(st, 3, p);
        cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
        if (t % 5 == 0) {
            sqlite3_bind_int64(st, 1, 2);
            sqlite3_bind_int64(st, 2, 1577836800 + (int64_t)t * 86400);
            sqlite3_bind_double(st, 3, 1 + t / 10.0);
            cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
            sqlite3_reset(st);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return path;
}

static rb_metrics gas_run(rb_store *s, const char *series)
{
    rb_run_result *r = rbt_run_store(s,
                                     RBT_KV("assets", "X=0.6,CASH=0.4", "strategy", "calendar", "every", "week",
                                            "fee-bps", "5", "gas-series", series),
                                     0);
    rb_metrics m = *rb_run_metrics(r);
    cr_assert(m.gas_paid > 0, "no gas was paid");
    rb_run_result_free(r);
    return m;
}

static void same_metrics(const rb_metrics *a, const rb_metrics *b)
{
    cr_assert_eq(memcmp(&a->final_value, &b->final_value, sizeof a->final_value), 0, "final value %.17g vs %.17g",
                 a->final_value, b->final_value);
    cr_assert_eq(a->gas_paid, b->gas_paid, "gas %.17g vs %.17g", a->gas_paid, b->gas_paid);
    cr_assert_eq(a->fees_paid, b->fees_paid);
}

Test(series, a_version_1_store_is_read_as_it_is_and_migrates_with_the_same_gas_results)
{
    char *path = version_1_store("old.db");
    rb_error err = {0};
    rb_store *s = NULL;
    /* read-only: opened as it is (nothing written), no series, the gas asset read as before */
    cr_assert_eq(rb_store_open(path, RB_STORE_READONLY, &s, &err), RB_OK, "%s", err.msg);
    rb_series_info *list = NULL;
    size_t n = 9;
    cr_assert_eq(rb_store_list_series(s, &list, &n, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(n, 0);
    free(list);
    rb_metrics before = gas_run(s, "GAS");
    rb_store_free(s);
    cr_assert_eq(rbt_sqlite_int(path, "PRAGMA user_version"), 1, "a reader migrated the store");

    /* a writer migrates it: version 2, the series tables, the prices and gas as they were */
    cr_assert_eq(rb_store_open(path, 0, &s, &err), RB_OK, "%s", err.msg);
    rb_store_free(s);
    cr_assert_eq(rbt_sqlite_int(path, "PRAGMA user_version"), rb_store_schema_version());
    cr_assert_eq(rb_store_schema_version(), 2);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM sqlite_schema WHERE name IN ('series', 'series_points')"),
                 2);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM bars"), 72);
    cr_assert_eq(rb_store_open(path, RB_STORE_READONLY, &s, &err), RB_OK, "%s", err.msg);
    rb_metrics after = gas_run(s, "GAS");
    same_metrics(&before, &after);
    rb_store_free(s);

    /* the same gas as a series gives the same results */
    cr_assert_eq(rb_store_open(path, 0, &s, &err), RB_OK, "%s", err.msg);
    rb_time t[12];
    double v[12];
    for (int k = 0; k < 12; k++) t[k] = 1577836800 + (int64_t)k * 5 * 86400, v[k] = 1 + k * 5 / 10.0;
    cr_assert_eq(rb_series_import_arrays(s, "gas", t, v, 12, 0, NULL, &err), RB_OK, "%s", err.msg);
    rb_metrics series = gas_run(s, "gas");
    same_metrics(&before, &series);
    /* a name that is both a series and an asset reads the series */
    for (int k = 0; k < 12; k++) v[k] = 2 * v[k];
    cr_assert_eq(rb_series_import_arrays(s, "GAS", t, v, 12, 0, NULL, &err), RB_OK, "%s", err.msg);
    rb_metrics doubled = gas_run(s, "GAS");
    cr_assert_float_eq(doubled.gas_paid, 2 * before.gas_paid, 1e-9);
    rb_store_free(s);
    free(path);
}

/* ---------------------------------------------------------------- pool depth over time */

/* Three daily bars of X (CASH beside it), every bar rebalanced, no cost but the pool (fee 0):
 *
 *   bar   date        price   depth series point   depth R on the bar
 *   0     2020-01-01  100     1e6                  1e6
 *   1     2020-01-02  125     -                    1e6   (forward-filled)
 *   2     2020-01-03  80      4e6                  4e6
 *
 * With the pool re-centred at the price p with R quote and Q = R / p units, an order of u
 * units worth v = u p (a = u / Q = v / R) pays, docs/engine.md "AMM pool" with f = 0:
 *     buy:  slippage s(v) = v a / (1 - a) = v^2 / (R - v)
 *     sell: slippage s(v) = v a / (1 + a) = v^2 / (R + v)
 * and each rebalance leaves X at half of the value after its cost.
 *   bar 0, first allocation of C = 100000: v = (C - v^2 / (1e6 - v)) / 2, solved by
 *     bisection: v = 48750.7802750, s = 2498.4394501, units 487.50780275, cash
 *     C - v - s = 48750.7802750.
 *   bar 1, X worth 487.5078 x 125 = 60938.475344, total W = 109689.255619; sell v with
 *     60938.475344 - v = (W - v^2 / (1e6 + v)) / 2: v = 6112.4148509, s = 37.1346330
 *     (at the bar-2 depth 4e6 the same sale would pay 9.33).
 *   bar 2, X worth 35088.678715 at 80, total 89914.739208; buy v with
 *     35088.678715 + v = (89914.739208 - v^2 / (4e6 - v)) / 2: v = 9856.5170248,
 *     s = 24.3477279; the final value is 89890.3914803.
 * Each order's recorded slippage must be the formula at its own bar's depth (to rounding),
 * the three match the numbers above, and against the constant pool --amm-depth X=1e6 the
 * run is identical to the bit through bar 1 and differs on bar 2. */

static rb_run_result *three_bar_run(rb_store *s, const char *key, const char *value)
{
    return rbt_run_store(s,
                         RBT_KV("assets", "X=0.5,CASH=0.5", "strategy", "calendar", "every", "1", "amm-fee-bps", "0",
                                key, value),
                         RBT_KEEP_ALL);
}

Test(series, a_depth_series_sets_the_pool_of_each_bar_as_worked_by_hand)
{
    rb_store *s = rbt_three_bar_depth_store(dir);
    rb_run_result *r = three_bar_run(s, "amm-depth-series", "X=depth-X");
    rb_run_result *flat = three_bar_run(s, "amm-depth", "X=1e6");
    const rb_portfolio *p = &r->sim.portfolio, *q = &flat->sim.portfolio;
    static const double depth_on_bar[] = {1e6, 1e6, 4e6};
    static const int sign_on_bar[] = {1, -1, 1};
    double slippage[3], flat_slippage[3];
    size_t k = 0;
    for (size_t j = 0; j < p->ntrades; j++) {
        const rb_trade *tr = &p->trades[j];
        if (tr->asset != 0) continue; /* CASH's side of each order */
        cr_assert_eq(tr->bar, k, "one order of X a bar");
        cr_assert(tr->units * sign_on_bar[k] > 0, "bar %zu: the order's side", k);
        double v = fabs(tr->units) * tr->price, R = depth_on_bar[k];
        double want = tr->units > 0 ? v * v / (R - v) : v * v / (R + v);
        rbt_assert_close(tr->slippage, want, 1e-12, "slippage at the bar's depth");
        cr_assert_eq(tr->fee, 0);
        slippage[k] = tr->slippage;
        flat_slippage[k++] = q->trades[j].slippage;
    }
    cr_assert_eq(k, 3, "X traded on %zu bars", k);
    rbt_assert_close(slippage[0], 2498.4394501, 1e-9, "bar 0's purchase, as worked above");
    rbt_assert_close(slippage[1], 37.1346330, 1e-8, "bar 1's sale, as worked above");
    rbt_assert_close(slippage[2], 24.3477279, 1e-8, "bar 2's purchase, as worked above");
    rbt_assert_close(r->sim.value[2], 89890.3914803, 1e-11, "the final value, as worked above");
    /* the constant pool of the same depth: the same to the bit until the series moves */
    for (size_t t = 0; t < 2; t++)
        cr_assert_eq(memcmp(&r->sim.value[t], &flat->sim.value[t], sizeof(double)), 0, "bar %zu differs", t);
    cr_assert(r->sim.value[2] != flat->sim.value[2], "the bar-2 depth changed nothing");
    cr_assert(slippage[2] < flat_slippage[2] * 0.5, "a pool 4x deeper costs as much");
    rb_run_result_free(r);
    rb_run_result_free(flat);
    rb_store_free(s);
}

Test(series, a_depth_series_is_refused_before_its_first_date_and_where_not_positive)
{
    rb_store *s = rbt_store_from_csv(dir, rbt_three_bars, NULL);
    rb_error err = {0};
    rb_time late[] = {1577836800 + 86400};
    double one[] = {1e6}, neg[] = {-5};
    cr_assert_eq(rb_series_import_arrays(s, "late", late, one, 1, 0, NULL, &err), RB_OK, "%s", err.msg);
    rb_time first[] = {1577836800};
    cr_assert_eq(rb_series_import_arrays(s, "neg", first, neg, 1, 0, NULL, &err), RB_OK, "%s", err.msg);
    static const struct {
        const char *value, *needle;
    } cases[] = {
        {"X=late", "--amm-depth-series: X=late: the series has no value on or before the first bar 2020-01-01; its "
                   "first value is for bar 2020-01-02"},
        {"X=neg", "--amm-depth-series: X=neg: the depth on 2020-01-01 is -5: a pool's depth must be a positive"},
        {"X=missing", "no series or asset named missing"},
        {"Y=late", "--amm-depth-series: Y is not one of the --assets"},
        {"CASH=late", "CASH has no pool"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        rb_run_spec *spec = rbt_spec(RBT_KV("assets", "X=0.5,CASH=0.5"));
        rb_status rc = rb_run_spec_set(spec, "amm-depth-series", cases[k].value, &err);
        rb_run_result *r = NULL;
        if (rc == RB_OK) rc = rb_run(s, spec, 0, &r, &err);
        cr_assert_neq(rc, RB_OK, "%s accepted", cases[k].value);
        cr_assert_not_null(strstr(err.msg, cases[k].needle), "'%s' lacks '%s'", err.msg, cases[k].needle);
        rb_run_spec_free(spec);
    }
    /* the text itself */
    rb_run_spec *spec = rbt_spec(RBT_KV("assets", "X=0.5,CASH=0.5"));
    cr_assert_eq(rb_run_spec_set(spec, "amm-depth-series", "X", &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "SYM=SERIES"), "%s", err.msg);
    cr_assert_eq(rb_run_spec_set(spec, "amm-depth-series", "X=a,X=b", &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "X is given twice"), "%s", err.msg);
    cr_assert_eq(rb_run_spec_set(spec, "amm-depth-series", "X=a", &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_run_spec_set(spec, "amm-depth-series", "", &err), RB_OK, "an empty value clears it");
    rb_run_spec_free(spec);
    rb_store_free(s);
}

/* ---------------------------------------------------------------- the command line */

Test(series, import_series_and_the_series_command)
{
    char *csv = rbt_write_file(dir, "gas.csv", "date,gwei\n2020-01-01,1.5\n2020-01-03,0.1\n");
    rbt_run_result r = rbt_run(dir, NULL, ARGS("import", "--db", "s.db", "--series", "gas", "gas.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "2 points added"), "%s", r.out);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, ARGS("series", "--db", "s.db"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "gas     2020-01-01  2020-01-03        2"), "%s", r.out);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, ARGS("series", "--db", "s.db", "gas"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "date,value\n2020-01-01,1.5\n2020-01-03,0.10000000000000001\n");
    /* what it prints imports back to the same series */
    char *back = rbt_write_file(dir, "back.csv", r.out);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, ARGS("import", "--db", "s.db", "--series", "gas", "back.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "0 points added, 2 unchanged"), "%s", r.out);
    rbt_run_result_free(&r);
    /* usage errors: exit 2 */
    r = rbt_run(dir, NULL, ARGS("import", "--db", "s.db", "--series", "gas", "--symbol", "X", "gas.csv"));
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "--symbol applies to prices, not to --series"), "%s", r.err);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, ARGS("import", "--db", "s.db", "--series", "gas", "gas.csv", "back.csv"));
    cr_assert_eq(r.status, 2);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, ARGS("series", "--db", "s.db", "nope"));
    cr_assert_eq(r.status, 1);
    cr_assert_not_null(strstr(r.err, "no series 'nope'"), "%s", r.err);
    rbt_run_result_free(&r);
    free(csv);
    free(back);
}

/* amm-depth-series in a sweep file: a [costs] key, sweepable (a quoted list), recorded in
 * the results' own column; the batch gives what `rebal run` gives. */
Test(series, depth_series_is_a_sweep_key)
{
    char *prices = rbt_write_file(dir, "p.csv", rbt_three_bars);
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "s.db", "p.csv"));
    char *d1 = rbt_write_file(dir, "d1.csv", "2020-01-01,1e6\n2020-01-03,4e6\n");
    char *d2 = rbt_write_file(dir, "d2.csv", "2020-01-01,2e5\n");
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "s.db", "--series", "d1", "d1.csv"));
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "s.db", "--series", "d2", "d2.csv"));
    char *ini = rbt_write_file(dir, "grid.ini",
                               "[data]\nassets = X=0.5,CASH=0.5\n[costs]\namm-fee-bps = 0\n"
                               "amm-depth-series = \"X=d1\", \"X=d2\"\n[calendar]\nevery = 1\n");
    rbt_run_ok(dir, ARGS("sweep", "-q", "--db", "s.db", "--results", "res.db", "grid.ini"));
    char *res = rbt_path(dir, "res.db");
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM runs"), 2);
    rbt_run_result r = rbt_run(dir, NULL, ARGS("runs", "res.db", "--csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "X=d1"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "X=d2"), "%s", r.out);
    rbt_run_result_free(&r);
    /* the sweep's final value of X=d1 is rebal run's */
    r = rbt_run(dir, NULL,
                ARGS("run", "--db", "s.db", "--assets", "X=0.5,CASH=0.5", "--strategy", "calendar", "--every", "1",
                     "--amm-fee-bps", "0", "--amm-depth-series", "X=d1", "--json"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *fv = strstr(r.out, "\"final_value\": ");
    cr_assert_not_null(fv, "%s", r.out);
    double want = strtod(fv + strlen("\"final_value\": "), NULL);
    rbt_run_result_free(&r);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(res, &db), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT final_value FROM runs WHERE amm_depth_series = 'X=d1'",
                                    -1, &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    rbt_assert_close(sqlite3_column_double(st, 0), want, 1e-12, "the sweep's final value");
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(res);
    free(ini);
    free(d1);
    free(d2);
    free(prices);
}

/* ---------------------------------------------------------------- synthetic series */

/* rb_synth_write's text for series (NULL: the prices) of the default options with seed. */
static char *synth_text(const char *series, uint64_t seed)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    rb_synth_options o;
    rb_synth_options_init(&o);
    o.series = series;
    o.seed = seed;
    rb_error err = {0};
    cr_assert_eq(rb_synth_write(&o, f, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(fclose(f), 0);
    return buf;
}

/* The values of a date,value text (its header skipped), n of them. */
static double *series_values(const char *text, size_t *n)
{
    double *v = malloc(4096 * sizeof *v);
    *n = 0;
    for (const char *line = strchr(text, '\n') + 1; *line && *n < 4096; line = strchr(line, '\n') + 1)
        v[(*n)++] = strtod(strchr(line, ',') + 1, NULL);
    return v;
}

Test(series, synth_series_are_deterministic_and_bundled)
{
    static const char *const names[] = {"gas",         "depth-BTC",   "depth-ETH",  "depth-SOL",
                                        "depth-USDS",  "funding-BTC", "funding-ETH", "funding-SOL"};
    static const char *const files[] = {"crypto_gas.csv",         "crypto_depth_BTC.csv",   "crypto_depth_ETH.csv",
                                        "crypto_depth_SOL.csv",   "crypto_depth_USDS.csv",  "crypto_funding_BTC.csv",
                                        "crypto_funding_ETH.csv", "crypto_funding_SOL.csv"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char *a = synth_text(names[k], 1), *b = synth_text(names[k], 1), *other = synth_text(names[k], 2);
        cr_assert_str_eq(a, b, "%s: two runs differ", names[k]);
        cr_assert_str_neq(a, other, "%s: the seed changes nothing", names[k]);
        cr_assert_eq(strncmp(a, "date,value\n2019-01-01,", 22), 0, "%s", names[k]);
        char rel[128];
        snprintf(rel, sizeof rel, "data/bundled/%s", files[k]);
        char *path = rbt_source_path(rel);
        size_t n = 0;
        char *bundled = rbt_read_file(path, &n);
        cr_assert_not_null(bundled, "cannot read %s", path);
        cr_assert_str_eq(bundled, a, "%s is not 'rebal synth --seed 1 --series %s'", rel, names[k]);
        free(bundled);
        free(path);
        free(a);
        free(b);
        free(other);
    }
    rbt_run_result r = rbt_run(dir, NULL, ARGS("synth", "--series", "gas", "--days", "3"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *want = synth_text("gas", 1);
    /* three days are the first three of the four years (the de-peg comes later) */
    cr_assert_eq(strncmp(r.out, want, strlen(r.out)), 0, "rebal synth --series gas: %s", r.out);
    int lines = 0;
    for (const char *c = r.out; *c; c++) lines += *c == '\n';
    cr_assert_eq(lines, 4, "a header and three days: %s", r.out);
    free(want);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, ARGS("synth", "--series", "depth-DOGE"));
    cr_assert_eq(r.status, 2, "%s", r.err);
    rbt_run_result_free(&r);
    rb_synth_options o;
    rb_synth_options_init(&o);
    o.series = "depth-DOGE";
    rb_error err = {0};
    cr_assert_eq(rb_synth_write(&o, stdout, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "unknown series \"depth-DOGE\" (the crypto preset writes gas, depth-BTC"), "%s",
                       err.msg);
}

/* Weeks ranked by BTC's realized volatility: in the most volatile quarter gas costs well
 * more and the BTC pool is well shallower than in the calmest quarter. */
Test(series, synth_gas_spikes_and_pools_shrink_when_volatility_rises)
{
    char *prices = synth_text(NULL, 1), *gas_text = synth_text("gas", 1), *depth_text = synth_text("depth-BTC", 1);
    double btc[4096];
    size_t T = 0;
    for (const char *line = strchr(prices, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        if (strncmp(line, "BTC,", 4) != 0) continue;
        const char *c = line;
        for (int k = 0; k < 5; k++) c = strchr(c, ',') + 1; /* symbol,date,open,high,low,close */
        btc[T++] = strtod(c, NULL);
    }
    size_t ng, nd;
    double *gas = series_values(gas_text, &ng), *depth = series_values(depth_text, &nd);
    cr_assert_eq(ng, T);
    cr_assert_eq(nd, T);
    size_t W = T / 7;
    double (*week)[3] = calloc(W, sizeof *week); /* realized vol, mean gas, mean depth */
    for (size_t w = 0; w < W; w++) {
        for (size_t t = w * 7; t < w * 7 + 7; t++) {
            double r = t ? log(btc[t] / btc[t - 1]) : 0;
            week[w][0] += r * r;
            week[w][1] += gas[t] / 7;
            week[w][2] += depth[t] / 7;
        }
    }
    for (size_t i = 1; i < W; i++) /* insertion sort by volatility */
        for (size_t j = i; j > 0 && week[j][0] < week[j - 1][0]; j--)
            for (int k = 0; k < 3; k++) {
                double x = week[j][k];
                week[j][k] = week[j - 1][k];
                week[j - 1][k] = x;
            }
    size_t q = W / 4;
    double calm[2] = {0, 0}, stormy[2] = {0, 0};
    for (size_t w = 0; w < q; w++)
        for (int k = 0; k < 2; k++) calm[k] += week[w][1 + k] / q, stormy[k] += week[W - 1 - w][1 + k] / q;
    cr_assert_gt(stormy[0], 1.5 * calm[0], "gas: %g in volatile weeks, %g in calm ones", stormy[0], calm[0]);
    cr_assert_lt(stormy[1], 0.75 * calm[1], "depth: %g in volatile weeks, %g in calm ones", stormy[1], calm[1]);
    free(week);
    free(gas);
    free(depth);
    free(prices);
    free(gas_text);
    free(depth_text);
}
