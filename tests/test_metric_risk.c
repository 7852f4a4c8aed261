/* test_metric_risk.c - the risk, benchmark, tail, after-tax and money-weighted metrics
 * (engine/metric_risk.c, engine/metric_tail.c, docs/metrics.md) against answers worked out
 * by hand on 6-7 bar series (the arithmetic is in the comments); --benchmark as an asset and
 * as a stored series through `rebal run`, and a one-configuration sweep's row equal to
 * `rebal run --json` to the bit for every metric both have. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "rebal.h"
#include "support.h"

#define DAY INT64_C(86400)
#define T0 INT64_C(1577836800) /* 2020-01-01 00:00:00 UTC */
#define EPS 1e-12
#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static char *dir;
static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(metric_risk, .init = setup, .fini = teardown, .timeout = 120);

/* Bar times with gaps, so that days and bars differ: days 0, 1, 2, 5, 6, 9, 10. */
static const rb_time when[7] = {T0, T0 + DAY, T0 + 2 * DAY, T0 + 5 * DAY, T0 + 6 * DAY, T0 + 9 * DAY, T0 + 10 * DAY};

/* V: 100, 110, 99, 99, 108.9, 103.455 (and 114 on bar 6): r = +10 %, -10 %, 0, +10 %, -5 %
 * (and 114 / 103.455 - 1). One asset that is the whole portfolio. */
static double value[7] = {100, 110, 99, 99, 108.9, 103.455, 114};
static double weight[7] = {1, 1, 1, 1, 1, 1, 1};
static double target[1] = {1};
/* The benchmark's returns b = +5 %, -5 %, +2 %, +5 %, -2 % (bar 0's unused). */
static double bench[7] = {0, 0.05, -0.05, 0.02, 0.05, -0.02, 0};

static rb_metric_input input(size_t T, double P)
{
    return (rb_metric_input){.T = T,
                             .time = when,
                             .value = value,
                             .N = 1,
                             .close = value,
                             .target = target,
                             .weights = weight,
                             .periods_per_year = P,
                             .periods_source = "set by the test",
                             .after_tax_value = value[T - 1]};
}

static rb_metrics compute(const rb_metric_input *in)
{
    rb_metrics m;
    rb_error err = {0};
    cr_assert_eq(rb_metrics_compute(in, &m, &err), RB_OK, "%s", err.msg);
    return m;
}

static void near(double got, double want, const char *what)
{
    cr_assert(fabs(got - want) <= EPS * fmax(1, fabs(want)), "%s: %.17g, want %.17g", what, got, want);
}

/* r = 0.1, -0.1, 0, 0.1, -0.05: mean 0.01, deviations 0.09, -0.11, -0.01, 0.09, -0.06.
 * m2 = (0.0081 + 0.0121 + 0.0001 + 0.0081 + 0.0036) / 5 = 0.0064;
 * m3 = (0.000729 - 0.001331 - 0.000001 + 0.000729 - 0.000216) / 5 = -0.000018;
 * m4 = (0.00006561 + 0.00014641 + 0.00000001 + 0.00006561 + 0.00001296) / 5 = 0.00005812.
 * skewness = -0.000018 / 0.0064^1.5 = -0.000018 / 0.000512 = -0.03515625;
 * kurtosis = 0.00005812 / 0.00004096 - 3 = -1.5810546875. */
Test(metric_risk, skewness_and_excess_kurtosis_from_population_moments)
{
    rb_metric_input in = input(6, 12);
    rb_metrics m = compute(&in);
    near(m.skewness, -0.03515625, "skewness");
    near(m.kurtosis, -1.5810546875, "kurtosis");
}

/* G = 1, 1.1, 0.99, 0.99, 1.089, 1.03455; the high 1.1 from bar 1 on. Falls: 0, 0.1, 0.1,
 * 0.01, 0.0595: ulcer = sqrt((0.01 + 0.01 + 0.0001 + 0.00354025) / 5) = sqrt(0.00472805).
 * Under water from bar 2 (day 2) to the last, bar 5 (day 9), the high on bar 1 (day 1):
 * longest and current 4 bars, 8 days; the deepest fall (bar 2) not made up: no recovery. */
Test(metric_risk, ulcer_index_and_drawdown_durations_as_worked_by_hand)
{
    rb_metric_input in = input(6, 12);
    rb_metrics m = compute(&in);
    near(m.ulcer_index, sqrt(0.00472805), "ulcer_index");
    cr_assert_eq(m.dd_longest_bars, 4);
    cr_assert_eq(m.dd_longest_days, 8);
    cr_assert_eq(m.dd_current_bars, 4);
    cr_assert_eq(m.dd_current_days, 8);
    cr_assert(isnan(m.recovery_bars) && isnan(m.recovery_days), "not recovered: %g %g", m.recovery_bars,
              m.recovery_days);
    /* Bar 6 (day 10) at 114 is above the high (1.14 > 1.1): the drawdown lasted 5 bars, 9
     * days; the trough of max_drawdown (bar 2, day 2) recovered 4 bars, 8 days later; the
     * run ends at a high. */
    in = input(7, 12);
    m = compute(&in);
    cr_assert_eq(m.dd_longest_bars, 5);
    cr_assert_eq(m.dd_longest_days, 9);
    cr_assert_eq(m.dd_current_bars, 0);
    cr_assert_eq(m.dd_current_days, 0);
    cr_assert_eq(m.recovery_bars, 4);
    cr_assert_eq(m.recovery_days, 8);
    near(m.max_drawdown, 0.1, "max_drawdown");
}

/* Sorted r: -0.1, -0.05, 0, 0.1, 0.1. Type 7 at p = 0.05: h = 4 * 0.05 = 0.2, q = -0.1 +
 * 0.2 * 0.05 = -0.09; at 0.01: h = 0.04, q = -0.098. Only -0.1 is at or below either. */
Test(metric_risk, historical_var_and_cvar_with_the_type_7_quantile)
{
    rb_metric_input in = input(6, 12);
    rb_metrics m = compute(&in);
    near(m.var_95, 0.09, "var_95");
    near(m.cvar_95, 0.1, "cvar_95");
    near(m.var_99, 0.098, "var_99");
    near(m.cvar_99, 0.1, "cvar_99");
}

/* b = 0.05, -0.05, 0.02, 0.05, -0.02: mean 0.01, deviations 0.04, -0.06, 0.01, 0.04, -0.03.
 * cov * 4 = 0.0036 + 0.0066 - 0.0001 + 0.0036 + 0.0018 = 0.0155, var * 4 = 0.0078:
 * beta = 155 / 78. a = 0.01 - beta * 0.01 = -0.01 * 77 / 78 a bar; alpha = (1 + a)^12 - 1.
 * r - b = 0.05, -0.05, -0.02, 0.05, -0.03: mean 0, stdev sqrt(0.0088 / 4) = sqrt(0.0022).
 * The run's index 1.03455, the benchmark's 1.05 * 0.95 * 1.02 * 1.05 * 0.98, each to the
 * power 12 / 5. Up bars 1, 3, 4: (0.1 + 0 + 0.1) / 0.12 = 5 / 3; down bars 2, 5:
 * -0.15 / -0.07 = 15 / 7. */
Test(metric_risk, beta_alpha_information_ratio_and_capture_as_worked_by_hand)
{
    rb_metric_input in = input(6, 12);
    in.bench = bench;
    rb_metrics m = compute(&in);
    near(m.beta, 155.0 / 78.0, "beta");
    near(m.alpha, pow(1 - 0.01 * 77 / 78, 12) - 1, "alpha");
    double cagr = pow(1.03455, 12.0 / 5) - 1, bcagr = pow(1.05 * 0.95 * 1.02 * 1.05 * 0.98, 12.0 / 5) - 1;
    near(m.information_ratio, (cagr - bcagr) / (sqrt(0.0022) * sqrt(12)), "information_ratio");
    near(m.up_capture, 5.0 / 3, "up_capture");
    near(m.down_capture, 15.0 / 7, "down_capture");
    /* rf 6 % a year is 0.5 % a bar off both sides: alpha = (1 + a)^12 - 1 with
     * a = (0.01 - 0.005) - beta * (0.01 - 0.005); beta unchanged. */
    in.rf = 0.06;
    m = compute(&in);
    near(m.beta, 155.0 / 78.0, "beta with rf");
    near(m.alpha, pow(1 + 0.005 * (1 - 155.0 / 78), 12) - 1, "alpha with rf");
    /* Without a benchmark they are undefined. */
    in.bench = NULL;
    m = compute(&in);
    cr_assert(isnan(m.beta) && isnan(m.alpha) && isnan(m.information_ratio) && isnan(m.up_capture) &&
              isnan(m.down_capture));
}

/* After tax: the index with the last value replaced by the after-tax value:
 * (1.03455 * 0.9)^(12 / 5) - 1 when the tax would take 10 %; without tax it is the CAGR. */
Test(metric_risk, after_tax_cagr_beside_cagr)
{
    rb_metric_input in = input(6, 12);
    rb_metrics m = compute(&in);
    cr_assert_eq(m.after_tax_cagr, m.cagr, "no tax: %.17g vs %.17g", m.after_tax_cagr, m.cagr);
    in.after_tax_value = value[5] * 0.9;
    m = compute(&in);
    near(m.after_tax_cagr, pow(1.03455 * 0.9, 12.0 / 5) - 1, "after_tax_cagr");
}

/* A contribution of 100 on bar 1, one bar a year: V = 100, 110 + 100 = 210, then 210 * 0.9
 * = 189. The flows -100, -100, +189 at years 0, 1, 2: with u = 1 / (1 + x),
 * 189 u^2 - 100 u - 100 = 0, u = (100 + sqrt(10000 + 75600)) / 378. The time-weighted rate
 * is (1.1 * 0.9)^(1/2) - 1 = -0.5 %; the money-weighted one is lower: more money was in for
 * the loss. With the same +10 % both years the two agree: x = 10 %. No flows: no IRR. */
Test(metric_risk, money_weighted_return_by_a_bracketing_root_finder)
{
    static const rb_time years[3] = {T0, T0 + 365 * DAY, T0 + 730 * DAY};
    double v[3] = {100, 210, 189}, f[3] = {100, 100, 0}, c[3] = {100, 110, 99}, w[3] = {1, 1, 1};
    rb_metric_input in = {.T = 3,
                          .time = years,
                          .value = v,
                          .flow = f,
                          .N = 1,
                          .close = c,
                          .target = target,
                          .weights = w,
                          .periods_per_year = 1,
                          .after_tax_value = 189};
    rb_metrics m = compute(&in);
    double u = (100 + sqrt(85600)) / 378;
    near(m.irr, 1 / u - 1, "irr");
    near(m.cagr, sqrt(1.1 * 0.9) - 1, "cagr");
    v[2] = 231;
    c[2] = 121;
    m = compute(&in);
    near(m.irr, 0.1, "irr of equal returns");
    f[1] = 0;
    v[1] = 110;
    m = compute(&in);
    cr_assert(isnan(m.irr), "no flows, irr %g", m.irr);
}

/* ---------------------------------------------------------------- through rebal */

static double json_number(const char *json, const char *key, int *null)
{
    char k[80];
    snprintf(k, sizeof k, "\"%s\": ", key);
    const char *at = strstr(json, k);
    cr_assert_not_null(at, "JSON lacks %s", key);
    at += strlen(k);
    *null = strncmp(at, "null", 4) == 0;
    return *null ? NAN : strtod(at, NULL);
}

/* A store with the bundled monthly stocks and MSFT's closes again as the series msft. */
static void stocks_store_with_series(void)
{
    char *stocks = rbt_source_path("data/bundled/stocks_monthly.csv");
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "s.db", stocks));
    free(stocks);
    rbt_run_result r = rbt_run(dir, NULL, ARGS("export", "--db", "s.db", "--symbols", "MSFT", "--format", "wide"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *nl = strchr(r.out, '\n');
    cr_assert_not_null(nl);
    free(rbt_write_file(dir, "msft.csv", nl + 1));
    rbt_run_result_free(&r);
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "s.db", "--series", "msft", "msft.csv"));
}

/* The benchmark named as an asset and as a series of the same closes gives the same numbers
 * to the bit; a portfolio of the benchmark alone has beta 1 and captures 1. */
Test(metric_risk, benchmark_as_an_asset_or_a_series)
{
    stocks_store_with_series();
    rbt_run_result a = rbt_run(dir, NULL,
                               ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,MSFT=0.5", "--strategy", "calendar",
                                    "--every", "quarter", "--benchmark", "MSFT", "--json"));
    rbt_run_result b = rbt_run(dir, NULL,
                               ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,MSFT=0.5", "--strategy", "calendar",
                                    "--every", "quarter", "--benchmark", "series:msft", "--json"));
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_eq(b.status, 0, "%s", b.err);
    const char *keys[] = {"beta", "alpha", "information_ratio", "up_capture", "down_capture"};
    for (size_t k = 0; k < 5; k++) {
        int na, nb;
        double x = json_number(a.out, keys[k], &na), y = json_number(b.out, keys[k], &nb);
        cr_assert(!na && !nb && x == y, "%s: %.17g as an asset, %.17g as a series", keys[k], x, y);
    }
    rbt_run_result_free(&a);
    rbt_run_result_free(&b);
    a = rbt_run(dir, NULL, ARGS("run", "--db", "s.db", "--assets", "MSFT=1", "--benchmark", "MSFT", "--json"));
    cr_assert_eq(a.status, 0, "%s", a.err);
    int null;
    rbt_assert_close(json_number(a.out, "beta", &null), 1, 1e-9, "beta of the benchmark itself");
    rbt_assert_close(json_number(a.out, "up_capture", &null), 1, 1e-9, "its up capture");
    rbt_assert_close(json_number(a.out, "down_capture", &null), 1, 1e-9, "its down capture");
    cr_assert(fabs(json_number(a.out, "alpha", &null)) < 1e-9, "its alpha");
    rbt_run_result_free(&a);
}

Test(metric_risk, a_benchmark_that_is_not_there_is_one_line_naming_it)
{
    stocks_store_with_series();
    const char *bad[][2] = {{"NOPE", "no asset named NOPE"},
                            {"series:nope", "no series named nope"},
                            {"series:", "'series:' names no series"}};
    for (size_t k = 0; k < 3; k++) {
        rbt_run_result r = rbt_run(dir, NULL,
                                   ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,MSFT=0.5", "--benchmark", bad[k][0]));
        cr_assert_neq(r.status, 0);
        cr_assert_not_null(strstr(r.err, bad[k][1]), "%s: %s", bad[k][0], r.err);
        cr_assert_not_null(strstr(r.err, "--benchmark"), "%s", r.err);
        cr_assert_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1, "one line: %s", r.err);
        rbt_run_result_free(&r);
    }
}

/* A sweep of one configuration stores what `rebal run --json` prints, to the bit, for every
 * metric both have; those of the whole series are NULL in the sweep's row. */
Test(metric_risk, a_one_configuration_sweep_row_is_rebal_run)
{
    stocks_store_with_series();
    free(rbt_write_file(dir, "one.ini",
                        "[data]\nassets = AAPL=0.3, MSFT=0.3, CASH=0.4\n[flows]\ncontribution = 100\n"
                        "[tax]\ntax-short = 0.3\ntax-long = 0.15\n[calendar]\nevery = quarter\nbenchmark = MSFT\n"));
    rbt_run_ok(dir, ARGS("sweep", "-q", "--db", "s.db", "--results", "one.db", "one.ini"));
    rbt_run_result r = rbt_run(dir, NULL,
                               ARGS("run", "--db", "s.db", "--assets", "AAPL=0.3,MSFT=0.3,CASH=0.4", "--benchmark",
                                    "MSFT", "--contribution", "100", "--tax-short", "0.3", "--tax-long", "0.15",
                                    "--strategy", "calendar", "--every", "quarter", "--json"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *db = rbt_path(dir, "one.db");
    cr_assert_eq(rbt_sqlite_int(db, "SELECT count(*) FROM runs"), 1);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    size_t n;
    const rb_metric_info *t = rb_metric_table(&n);
    for (size_t k = 0; k < n; k++) {
        int null;
        double want = json_number(r.out, t[k].name, &null);
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT \"%s\" FROM runs", t[k].name);
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
        int stored_null = sqlite3_column_type(st, 0) == SQLITE_NULL;
        double got = sqlite3_column_double(st, 0);
        sqlite3_finalize(st);
        if (t[k].whole_series) {
            cr_assert(stored_null, "%s: the sweep's row holds %.17g", t[k].name, got);
            cr_assert(!null || strcmp(t[k].name, "irr") != 0, "rebal run has an irr with flows");
            continue;
        }
        cr_assert_eq(stored_null, null, "%s: stored %s, JSON %s", t[k].name, stored_null ? "NULL" : "a number",
                     null ? "null" : "a number");
        /* JSON prints the shortest digits that read back to the same double. */
        if (!null) cr_assert(memcmp(&got, &want, sizeof got) == 0, "%s: stored %.17g, run %.17g", t[k].name, got, want);
    }
    int null;
    cr_assert(!isnan(json_number(r.out, "beta", &null)), "a beta against MSFT");
    sqlite3_close(h);
    free(db);
    rbt_run_result_free(&r);
}

/* ---------------------------------------------------------------- period tables */

/* The n numbers of CSV line `row` (0: the header) of text, from field 1 on; empty fields NaN. */
static void csv_row(const char *text, int row, double *out, int n)
{
    const char *p = text;
    for (int k = 0; k < row; k++) p = strchr(p, '\n') + 1;
    p = strchr(p, ',');
    for (int k = 0; k < n; k++) {
        cr_assert_not_null(p, "row %d has %d fields", row, k);
        p++;
        out[k] = (*p == ',' || *p == '\r' || *p == '\n') ? NAN : strtod(p, NULL);
        p = strpbrk(p, ",\n");
        if (p && *p == '\n') p = NULL;
    }
}

/* X: 100 (Jan 30), 110 (Jan 31), 99 (Feb 3), 108.9 (Feb 4), 104.544 (Mar 2): returns +10 %,
 * -10 %, +10 %, -4 %. January +10 %; February 108.9 / 110 - 1 = -1 %; March -4 %; the year
 * 104.544 / 100 - 1 = 4.544 %. With P = 4 a year is 4 returns: one rolling row, on Mar 2:
 * mean 0.015, deviations 0.085, -0.115, 0.085, -0.055, sum of squares 0.0307: volatility
 * sqrt(0.0307 / 3) * 2, Sharpe 2 * 0.015 / sqrt(0.0307 / 3). */
Test(metric_risk, monthly_table_and_rolling_year_as_worked_by_hand)
{
    free(rbt_write_file(dir, "p.csv",
                        "date,X\n2020-01-30,100\n2020-01-31,110\n2020-02-03,99\n2020-02-04,108.9\n2020-03-02,104.544\n"));
    rbt_run_ok(dir, ARGS("run", "--csv", "p.csv", "--assets", "X=1", "--periods-per-year", "4", "--monthly", "m.csv",
                         "--rolling", "r.csv"));
    char *mp = rbt_path(dir, "m.csv"), *rp = rbt_path(dir, "r.csv");
    char *m = rbt_read_file(mp, NULL), *r = rbt_read_file(rp, NULL);
    const char *head = "year,Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec,Year\r\n2020,";
    cr_assert(strncmp(m, head, strlen(head)) == 0, "%s", m);
    double cell[13];
    csv_row(m, 1, cell, 13);
    near(cell[0], 0.1, "January");
    near(cell[1], -0.01, "February");
    near(cell[2], -0.04, "March");
    for (int k = 3; k < 12; k++) cr_assert(isnan(cell[k]), "month %d has no return: %g", k + 1, cell[k]);
    near(cell[12], 0.04544, "the year");
    cr_assert_null(strstr(m, "\n2021"), "one year: %s", m);
    head = "date,return_1y,vol_1y,sharpe_1y\r\n2020-03-02,";
    cr_assert(strncmp(r, head, strlen(head)) == 0, "%s", r);
    double row[3];
    csv_row(r, 1, row, 3);
    double sd = sqrt(0.0307 / 3);
    near(row[0], 0.04544, "return_1y");
    near(row[1], sd * 2, "vol_1y");
    near(row[2], 2 * 0.015 / sd, "sharpe_1y");
    cr_assert_eq(strchr(strchr(r, '\n') + 1, '\n')[1], '\0', "one row: %s", r);
    free(m), free(r), free(mp), free(rp);
}

/* The report's period tables are rebal run's: the run's rows of monthly_returns.csv are
 * --monthly's rows after the series' label and id, and so for rolling_1y.csv; the report
 * draws charts 8 and 9 from them (their data files are written with or without gnuplot). */
Test(metric_risk, the_report_writes_the_runs_period_tables)
{
    stocks_store_with_series();
    rbt_run_ok(dir, ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,MSFT=0.5", "--strategy", "calendar", "--every",
                         "quarter", "--monthly", "m.csv", "--rolling", "r.csv", "--report", "rep"));
    const char *pairs[][2] = {{"m.csv", "rep/monthly_returns.csv"}, {"r.csv", "rep/rolling_1y.csv"}};
    for (size_t k = 0; k < 2; k++) {
        char *pa = rbt_path(dir, pairs[k][0]), *pb = rbt_path(dir, pairs[k][1]);
        char *own = rbt_read_file(pa, NULL), *rep = rbt_read_file(pb, NULL);
        cr_assert_not_null(rep, "%s was not written", pairs[k][1]);
        /* every row of the run's own file (the header aside) is a row of the report's, after
         * "calendar every=quarter,," (the series' label, no config id) */
        size_t rows = 0;
        for (const char *line = strchr(own, '\n') + 1; *line; line = strchr(line, '\n') + 1, rows++) {
            char want[512];
            size_t len = (size_t)(strchr(line, '\n') - line);
            snprintf(want, sizeof want, "\ncalendar every=quarter,,%.*s\n", (int)len, line);
            cr_assert_not_null(strstr(rep, want), "%s lacks%s", pairs[k][1], want);
        }
        cr_assert_gt(rows, 5, "%s: %s", pairs[k][0], own);
        free(pa), free(pb), free(own), free(rep);
    }
    char *gp = rbt_path(dir, "rep/charts/monthly.gp"), *dat = rbt_path(dir, "rep/charts/rolling.dat");
    cr_assert_eq(access(gp, F_OK), 0, "chart 8's script");
    cr_assert_eq(access(dat, F_OK), 0, "chart 9's data");
    free(gp), free(dat);
}
