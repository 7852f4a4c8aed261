/* test_schedule.c - the rule `schedule` (--when) and targets tables (--targets-csv): a
 * schedule listing the bars a monthly calendar rebalances on, under a constant table of the
 * --assets weights, is the calendar rule to the bit, in the reference simulator and in a
 * sweep; a changing table lands the trades on its rows, on the right bars, checked by hand;
 * the arrays of the library API are the files; and the batch simulator equals the
 * reference on random rules under random tables. (Errors and the CLI: test_schedule_cli.c.) */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "resolve.h"
#include "rule_samples.h"
#include "run_result.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(schedule, .init = setup, .fini = teardown, .timeout = 120);

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1.0p-53;
}
static int pick(int n) { return (int)(uniform() * n); }

#define DAY 86400
#define START 1575158400 /* 2019-12-01 */
#define BARS 420

/* X, Y, Z with opens and volume over BARS daily bars from START (two year ends). */
static rb_store *daily_store(void)
{
    size_t cap = 1 << 20, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv + len, cap - len, "symbol,date,open,close,volume\n");
    double p[3] = {100, 50, 20};
    for (int t = 0; t < BARS; t++) {
        char date[32];
        rb_time_format(START + (rb_time)t * DAY, date);
        for (int i = 0; i < 3; i++) {
            double open = p[i] * exp(0.004 * (uniform() - 0.5));
            p[i] = open * exp(0.03 * (i + 1) * (uniform() - 0.5));
            len += (size_t)snprintf(csv + len, cap - len, "%c,%s,%.6f,%.6f,%.0f\n", "XYZ"[i], date, open, p[i],
                                    1e5 * (1 + uniform()));
        }
    }
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    free(csv);
    return s;
}

/* The bars a calendar rule with --every month rebalances on (bar 0 aside), as a schedule
 * file the way pandas writes a boolean Series: every day, True or False, from before the
 * data to after it (days outside the run are ignored). */
static char *month_schedule(rb_store *s, const char *name)
{
    rb_run_spec *spec = rbt_spec(RBT_KV("assets", "X=0.5,Y=0.3,Z=0.2"));
    rb_matrix *m = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_resolve_matrix(s, spec, &m, &err), RB_OK, "%s", err.msg);
    size_t cap = 64 * 1024, len = 0, t = 1;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv + len, cap - len, ",0\n");
    for (rb_time day = START - 40 * DAY; day < START + (BARS + 40) * (rb_time)DAY; day += DAY) {
        while (t < m->T && m->time[t] < day) t++;
        int on = t < m->T && m->time[t] == day && (m->flags[t] & RB_NEW_MONTH);
        char date[32];
        len += (size_t)snprintf(csv + len, cap - len, "%s,%s\n", rb_time_format(day, date), on ? "True" : "False");
    }
    char *path = rbt_write_file(dir, name, csv);
    free(csv);
    rb_matrix_free(m);
    rb_run_spec_free(spec);
    return path;
}

/* Every metric and date of two runs, to the bit. */
static void assert_same_metrics(const rb_metrics *a, const rb_metrics *b, const char *what)
{
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    for (size_t k = 0; k < n; k++) {
        double x = *(const double *)((const char *)a + table[k].offset);
        double y = *(const double *)((const char *)b + table[k].offset);
        cr_assert((isnan(x) && isnan(y)) || memcmp(&x, &y, sizeof x) == 0, "%s: %s %.17g vs %.17g", what,
                  table[k].name, x, y);
    }
    cr_assert_eq(a->bars, b->bars, "%s", what);
    cr_assert_eq(a->max_drawdown_peak, b->max_drawdown_peak, "%s", what);
    cr_assert_eq(a->max_drawdown_trough, b->max_drawdown_trough, "%s", what);
    cr_assert_eq(a->depleted_on, b->depleted_on, "%s", what);
    cr_assert_str_eq(a->exec_note, b->exec_note, "%s", what);
}

/* The settings every comparison runs under, one scenario each. */
static const char *const scenarios[][12] = {
    {NULL},
    {"fee-bps", "10", "slippage-bps", "5", "tax-lots", "hifo", "tax-short", "0.3", "tax-long", "0.15", NULL},
    {"exec", "next-open", "fee-bps", "7", "fee-min", "1", NULL},
    {"contribution", "500", "flows", "rebalance", "lot-size", "1", "min-trade", "100", NULL},
    {"gas", "2", "spread-bps", "4", "contribution", "-300", "contribution-every", "quarter", NULL},
};
#define NSCENARIOS (sizeof scenarios / sizeof scenarios[0])

/* settings (key, value, ..., NULL) followed by a scenario's, as one NULL-terminated list. */
static void with_scenario(const char *const *settings, size_t k, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; settings[i]; i++) out[n++] = settings[i];
    for (size_t i = 0; scenarios[k][i]; i++) out[n++] = scenarios[k][i];
    out[n] = NULL;
}

Test(schedule, listing_the_calendar_bars_equals_the_calendar_rule_to_the_bit)
{
    rb_store *s = daily_store();
    char *when = month_schedule(s, "when.csv");
    char *table = rbt_write_file(dir, "targets.csv", "date,Z,X,Y\n2019-01-01,0.2,0.5,0.3\n");
    for (size_t k = 0; k < NSCENARIOS; k++) {
        const char *kv[40];
        with_scenario(RBT_KV("assets", "X=0.5,Y=0.3,Z=0.2", "strategy", "calendar", "every", "month"), k, kv);
        rb_run_result *cal = rbt_run_store(s, kv, RBT_KEEP_ALL);
        with_scenario(RBT_KV("assets", "X=0.5,Y=0.3,Z=0.2", "strategy", "schedule", "when", when), k, kv);
        rb_run_result *sch = rbt_run_store(s, kv, RBT_KEEP_ALL);
        with_scenario(RBT_KV("assets", "X,Y,Z", "targets-csv", table, "strategy", "schedule", "when", when), k, kv);
        rb_run_result *tab = rbt_run_store(s, kv, RBT_KEEP_ALL);
        char what[64];
        snprintf(what, sizeof what, "scenario %zu", k);
        cr_assert_gt(rb_run_metrics(cal)->rebalances, 5, "%s", what);
        assert_same_metrics(rb_run_metrics(cal), rb_run_metrics(sch), what);
        assert_same_metrics(rb_run_metrics(cal), rb_run_metrics(tab), what);
        for (size_t t = 0; t < cal->sim.T; t++) {
            cr_assert(memcmp(&cal->sim.value[t], &tab->sim.value[t], sizeof(double)) == 0, "%s: bar %zu", what, t);
            cr_assert(memcmp(&cal->sim.value[t], &sch->sim.value[t], sizeof(double)) == 0, "%s: bar %zu", what, t);
        }
        cr_assert_eq(cal->sim.portfolio.ntrades, tab->sim.portfolio.ntrades, "%s", what);
        rb_run_result_free(cal);
        rb_run_result_free(sch);
        rb_run_result_free(tab);
    }
    free(when);
    free(table);
    rb_store_free(s);
}

/* The metric columns of the sweep's runs of section a and b, matched on fee_bps: the number
 * of pairs that differ in some metric. */
static long long differing_rows(const char *results, const char *a, const char *b)
{
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    char sql[8192];
    int len = snprintf(sql, sizeof sql,
                       "SELECT count(*) FROM runs x JOIN runs y ON x.fee_bps IS y.fee_bps AND x.tax_lots IS "
                       "y.tax_lots WHERE x.section = '%s' AND y.section = '%s' AND (0",
                       a, b);
    for (size_t k = 0; k < n; k++)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " OR x.%s IS NOT y.%s", table[k].name, table[k].name);
    snprintf(sql + len, sizeof sql - (size_t)len, ")");
    return rbt_sqlite_int(results, sql);
}

static void sweep_file(const char *name, const char *data, const char *when, char **path, char **results)
{
    char ini[2048];
    snprintf(ini, sizeof ini,
             "[data]\n%s\n\n[costs]\nfee-bps = 0, 10\nslippage-bps = 3\n\n[tax]\ntax-lots = fifo, hifo\n"
             "tax-short = 0.3\n\n[calendar]\nevery = month\n\n[schedule]\nwhen = %s\n",
             data, when);
    *path = rbt_write_file(dir, name, ini);
    char db[64];
    snprintf(db, sizeof db, "%s.db", name);
    *results = rbt_path(dir, db);
}

static void run_sweep(rb_store *s, const char *path, const char *results)
{
    rb_sweep_options opt = {.results = results, .threads = 2};
    rb_sweep_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run(s, path, &opt, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(sum.ran, 8);
    cr_assert_eq(sum.failed, 0, "%s", sum.failure);
}

Test(schedule, in_a_sweep_the_schedule_equals_the_calendar_rule_to_the_bit)
{
    rb_store *s = daily_store();
    char *when = month_schedule(s, "when.csv");
    char *table = rbt_write_file(dir, "targets.csv", "date,X,Y,Z\n2019-01-01,50%,30%,20%\n");
    char data[512], *path, *results;
    /* static weights: the calendar rule is the kernel's own, the schedule asks decide() */
    sweep_file("static.ini", "assets = X=0.5,Y=0.3,Z=0.2", when, &path, &results);
    run_sweep(s, path, results);
    cr_assert_eq(rbt_sqlite_int(results, "SELECT count(*) FROM runs WHERE rebalances > 5"), 8);
    cr_assert_eq(differing_rows(results, "calendar", "schedule"), 0);
    free(path);
    free(results);
    /* a constant table of the same weights: both through decide() */
    snprintf(data, sizeof data, "assets = X,Y,Z\ntargets-csv = %s", table);
    sweep_file("table.ini", data, when, &path, &results);
    run_sweep(s, path, results);
    cr_assert_eq(differing_rows(results, "calendar", "schedule"), 0);
    /* and the reference's: the sweep's (batch) metrics within 1e-9 of rb_run's */
    rb_run_result *r = rbt_run_store(s, RBT_KV("assets", "X,Y,Z", "targets-csv", table, "strategy", "schedule",
                                               "when", when, "fee-bps", "10", "slippage-bps", "3", "tax-lots", "hifo",
                                               "tax-short", "0.3"), 0);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE section = 'schedule' AND fee_bps = 10 AND tax_lots = "
                              "'hifo' AND abs(final_value - %.17g) <= 1e-9 * %.17g",
             rb_run_metrics(r)->final_value, rb_run_metrics(r)->final_value);
    cr_assert_eq(rbt_sqlite_int(results, sql), 1);
    rb_run_result_free(r);
    free(path);
    free(results);
    free(when);
    free(table);
    rb_store_free(s);
}

/* ---------------------------------------------------------------- a changing table, by hand */

/* A and B over seven monthly bars (2000-01-01 .. 2000-07-01). */
static const double price_a[] = {100, 110, 120, 100, 90, 100, 105};
static const double price_b[] = {50, 50, 50, 55, 50, 60, 50};
#define MONTHS 7

static rb_store *monthly_store(void)
{
    char csv[1024] = "date,A,B\n";
    for (int t = 0; t < MONTHS; t++) {
        size_t len = strlen(csv);
        snprintf(csv + len, sizeof csv - len, "2000-%02d-01,%g,%g\n", t + 1, price_a[t], price_b[t]);
    }
    return rbt_store_from_csv(dir, csv, NULL);
}

/* Rows before the data (the later one in force at bar 0), one on a bar, one between two
 * bars (in force from the next), one after the data (never in force). */
static const char changing_table[] = "date,B,A\n"
                                     "1999-06-01,0.1,0.9\n"
                                     "1999-12-15,0,1\n"
                                     "2000-03-01,0.5,0.5\n"
                                     "2000-04-15,80%,20%\n"
                                     "2000-09-01,1,0\n";
/* The weight of A in force at each bar. */
static const double row_a[MONTHS] = {1, 1, 0.5, 0.5, 0.2, 0.2, 0.2};

Test(schedule, a_changing_table_lands_the_trades_on_its_rows)
{
    rb_store *s = monthly_store();
    char *table = rbt_write_file(dir, "t.csv", changing_table);
    rb_run_result *r = rbt_run_store(
        s, RBT_KV("assets", "A,B", "targets-csv", table, "strategy", "calendar", "every", "month", "capital", "1000"),
        RBT_KEEP_ALL);
    /* By hand: all in A at bar 0, then every bar back to the row in force, at no cost. */
    double ua = 1000 / price_a[0], ub = 0;
    for (int t = 0; t < MONTHS; t++) {
        double v = ua * price_a[t] + ub * price_b[t];
        ua = v * row_a[t] / price_a[t];
        ub = v * (1 - row_a[t]) / price_b[t];
        rbt_assert_close(r->sim.value[t], v, 1e-12, "value");
        rbt_assert_close(r->sim.weights[t * 2], row_a[t], 1e-12, "the weight of A at the close");
        cr_assert_eq(r->sim.targets[t * 2], row_a[t], "bar %d: target of A %g", t, r->sim.targets[t * 2]);
        cr_assert_eq(r->sim.targets[t * 2 + 1], 1 - row_a[t]);
    }
    cr_assert_eq(r->target[0], 1, "the initial allocation is the row in force at bar 0");
    /* Orders only where the row changed or prices moved the weights of a mixed row. */
    for (size_t k = 0; k < r->sim.portfolio.ntrades; k++)
        cr_assert(r->sim.portfolio.trades[k].bar != 1, "a trade on bar 1, where all is still in A");
    rb_run_result_free(r);

    /* buy-and-hold: the row in force at bar 0, never traded again */
    r = rbt_run_store(s, RBT_KV("assets", "A,B", "targets-csv", table, "capital", "1000"), 0);
    rbt_assert_close(rb_run_metrics(r)->final_value, 1000 / price_a[0] * price_a[MONTHS - 1], 1e-12, "buy-and-hold");
    rb_run_result_free(r);

    /* threshold: drift is measured against the row in force, so a new row is a breach */
    r = rbt_run_store(s, RBT_KV("assets", "A,B", "targets-csv", table, "strategy", "threshold", "band", "0.2"),
                      RB_KEEP_TRADES);
    size_t on[MONTHS] = {0};
    for (size_t k = 0; k < r->sim.portfolio.ntrades; k++)
        if (r->sim.portfolio.trades[k].kind == RB_TRADE_REBALANCE) on[r->sim.portfolio.trades[k].bar]++;
    cr_assert(on[2] && on[4] && !on[1] && !on[3] && !on[5] && !on[6], "rebalances on bars 2 and 4 only");
    cr_assert_eq(rb_run_metrics(r)->rebalances, 2);
    rb_run_result_free(r);

    /* next-open: decided on bar 2 (the new row), traded at bar 3's open */
    r = rbt_run_store(s, RBT_KV("assets", "A,B", "targets-csv", table, "strategy", "threshold", "band", "0.2",
                                "exec", "next-open"),
                      RB_KEEP_TRADES);
    for (size_t k = 0; k < r->sim.portfolio.ntrades; k++)
        if (r->sim.portfolio.trades[k].kind == RB_TRADE_REBALANCE)
            cr_assert(r->sim.portfolio.trades[k].bar == 3 || r->sim.portfolio.trades[k].bar == 5, "bar %zu",
                      r->sim.portfolio.trades[k].bar);
    rb_run_result_free(r);
    free(table);
    rb_store_free(s);
}

/* ---------------------------------------------------------------- the library's arrays */

Test(schedule, arrays_of_the_library_api_equal_the_files)
{
    rb_store *s = monthly_store();
    char *table = rbt_write_file(dir, "t.csv", changing_table);
    char *when = rbt_write_file(dir, "w.csv", "date\n2000-03-01\n2000-05-01\n2000-06-01\n2001-01-01\n");
    rb_run_result *want = rbt_run_store(
        s, RBT_KV("assets", "A,B", "targets-csv", table, "strategy", "schedule", "when", when, "fee-bps", "20"), 0);

    rb_run_spec *spec = rbt_spec(RBT_KV("assets", "A,B", "strategy", "schedule", "fee-bps", "20"));
    rb_error err = {0};
    const rb_time day = 86400, jan2000 = 946684800;
    const rb_time bars[] = {jan2000 - 200 * day, jan2000 + 60 * day, jan2000 + 121 * day, jan2000 + 152 * day};
    cr_assert_eq(rb_run_spec_set_schedule(spec, bars, 1, &err), RB_OK, "%s", err.msg); /* replaced below */
    cr_assert_eq(rb_run_spec_set_schedule(spec, bars, 4, &err), RB_OK, "%s", err.msg);
    const char *const symbols[] = {"B", "A"};
    const rb_time times[] = {jan2000 - 200 * day, jan2000 - 17 * day, jan2000 + 60 * day, jan2000 + 105 * day,
                             jan2000 + 244 * day};
    const double weights[] = {0.1, 0.9, 0, 1, 0.5, 0.5, 0.8, 0.2, 1, 0};
    cr_assert_eq(rb_run_spec_set_target_table(spec, symbols, 2, times, 5, weights, &err), RB_OK, "%s", err.msg);
    rb_run_result *got = NULL;
    cr_assert_eq(rb_run(s, spec, 0, &got, &err), RB_OK, "%s", err.msg);
    assert_same_metrics(rb_run_metrics(want), rb_run_metrics(got), "arrays");
    cr_assert_eq(rb_run_metrics(got)->rebalances, 3);
    rb_run_result_free(got);
    /* a file given later replaces the arrays, and arrays given later the file */
    cr_assert_eq(rb_run_spec_set(spec, "targets-csv", table, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_run_spec_set_target_table(spec, symbols, 2, times, 5, weights, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_run(s, spec, 0, &got, &err), RB_OK, "%s", err.msg);
    assert_same_metrics(rb_run_metrics(want), rb_run_metrics(got), "arrays again");
    rb_run_result_free(got);
    rb_run_spec_free(spec);
    rb_run_result_free(want);
    free(table);
    free(when);
    rb_store_free(s);
}

/* ---------------------------------------------------------------- batch against reference */

#define CONFIGS 90

/* One configuration's settings as text, key, value, ..., NULL. */
typedef struct config {
    const char *kv[65];
    char text[64][256];
    size_t n;
    rb_run_spec *spec;
} config;

typedef struct fixture {
    config cfg[CONFIGS];
    rb_metrics got[CONFIGS];
    int seen[CONFIGS];
} fixture;

static void put(void *ctx, const char *key, const char *value)
{
    config *c = ctx;
    cr_assert_lt(c->n + 2, 64);
    snprintf(c->text[c->n], sizeof c->text[0], "%s", key);
    snprintf(c->text[c->n + 1], sizeof c->text[0], "%s", value);
    c->kv[c->n] = c->text[c->n];
    c->kv[c->n + 1] = c->text[c->n + 1];
    c->n += 2;
    c->kv[c->n] = NULL;
}

/* A random table over X, Y and Z (and CASH with cash): rows at random days, the first before
 * the data. */
static void random_table(const char *path, int with_cash)
{
    char csv[16384] = "date,Z,X,Y";
    if (with_cash) strcat(csv, ",CASH");
    strcat(csv, "\n");
    rb_time day = START - (rb_time)(1 + pick(30)) * DAY;
    while (day < START + (BARS + 10) * (rb_time)DAY && strlen(csv) < sizeof csv - 256) {
        double w[4], sum = 0;
        int n = with_cash ? 4 : 3;
        for (int i = 0; i < n; i++) sum += w[i] = pick(4) == 0 ? 0 : uniform();
        if (sum == 0) w[0] = sum = 1;
        char date[32], row[160];
        snprintf(row, sizeof row, "%s", rb_time_format(day, date));
        double left = 1;
        for (int i = 0; i < n; i++) {
            double x = i + 1 < n ? round(w[i] / sum * 1e6) / 1e6 : left;
            if (x > left) x = left;
            left -= x;
            size_t len = strlen(row);
            snprintf(row + len, sizeof row - len, ",%.17g", x);
        }
        strcat(csv, row);
        strcat(csv, "\n");
        day += (rb_time)(1 + pick(60)) * DAY;
    }
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(csv, f);
    fclose(f);
}

static void random_config(config *kv, size_t k, const rb_strategy_info *rule, int with_cash)
{
    kv->n = 0;
    kv->kv[0] = NULL;
    char path[256], name[32];
    snprintf(name, sizeof name, "table-%zu.csv", k);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    random_table(path, with_cash);
    put(kv, "assets", with_cash ? "X,Y,Z,CASH" : "X,Y,Z");
    put(kv, "targets-csv", path);
    rbt_rule_sample(rule, uniform, 0, put, kv);
    char v[32];
    snprintf(v, sizeof v, "%.2f", 30 * uniform());
    put(kv, "fee-bps", v);
    if (pick(3) == 0) put(kv, "fee-min", "1.5");
    if (pick(3) == 0) put(kv, "gas", "0.7");
    if (pick(2)) {
        put(kv, "tax-lots", pick(2) ? "fifo" : "avg");
        put(kv, "tax-short", "0.3");
    }
    if (pick(4) == 0) put(kv, "exec", "next-open");
    if (pick(4) == 0) {
        put(kv, "contribution", pick(2) ? "800" : "-400");
        if (pick(2)) put(kv, "flows", "rebalance");
    }
    if (pick(5) == 0) put(kv, "lot-size", "1");
}

static rb_status spec_of(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    (void)err;
    const fixture *f = ctx;
    *spec = *f->cfg[k].spec;
    return RB_OK;
}

static rb_status collect(void *ctx, uint64_t k, const rb_metrics *m, rb_error *err)
{
    (void)err;
    fixture *f = ctx;
    f->got[k] = *m;
    f->seen[k]++;
    return RB_OK;
}

/* Draws until the reference accepts (a rule refuses some combinations, e.g. no band). */
static void draw(rb_store *s, config *c, size_t k, const rb_strategy_info *rule, int with_cash)
{
    for (int tries = 0;; tries++) {
        cr_assert_lt(tries, 200, "rule %s: no random setting accepted", rule->name);
        random_config(c, k, rule, with_cash);
        rb_error err = {0};
        rb_run_spec *spec = NULL;
        rb_status rc = rb_run_spec_new(&spec, &err);
        for (size_t i = 0; rc == RB_OK && c->kv[i]; i += 2) rc = rb_run_spec_set(spec, c->kv[i], c->kv[i + 1], &err);
        rb_run_result *r = NULL;
        if (rc == RB_OK) rc = rb_run(s, spec, 0, &r, &err);
        cr_assert(rc == RB_OK || rc == RB_ERR_USAGE, "%s", err.msg);
        rb_run_result_free(r);
        if (rc == RB_OK) {
            c->spec = spec;
            return;
        }
        rb_run_spec_free(spec);
    }
}

static void compare(const rb_metrics *want, const rb_metrics *got, const char *const *kv)
{
    char what[2048] = "";
    for (size_t i = 0, off = 0; kv[i] && off < sizeof what; i += 2)
        off += (size_t)snprintf(what + off, sizeof what - off, " --%s %s", kv[i], kv[i + 1]);
    cr_assert_eq(want->bars, got->bars, "%s", what);
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    for (size_t j = 0; j < n; j++) {
        double a = *(const double *)((const char *)want + table[j].offset);
        double b = *(const double *)((const char *)got + table[j].offset);
        if (table[j].whole_series) { /* the batch keeps no series: NaN */
            cr_assert(isnan(b), "%s: batch %.17g, not NaN for%s", table[j].name, b, what);
            continue;
        }
        /* to the bit: both simulators take every sum by the same code (metric_acc.h) */
        cr_assert(a == b || (isnan(a) && isnan(b)), "%s: reference %.17g, batch %.17g for%s", table[j].name, a, b,
                  what);
    }
}

static void batch_against_reference(int with_cash)
{
    rb_store *s = daily_store();
    fixture *f = calloc(1, sizeof *f);
    size_t rules = rb_strategy_count();
    for (size_t k = 0; k < CONFIGS; k++) draw(s, &f->cfg[k], k, rb_strategy_at(k % rules), with_cash);
    rb_matrix *m = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_resolve_matrix(s, f->cfg[0].spec, &m, &err), RB_OK, "%s", err.msg);
    uint64_t idx[CONFIGS], completed = 0;
    for (size_t k = 0; k < CONFIGS; k++) idx[k] = k;
    rb_batch_options opt = {.threads = 2, .block = 16};
    cr_assert_eq(rb_batch_run(s, m, idx, CONFIGS, spec_of, collect, f, &opt, &completed, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(completed, CONFIGS);
    for (size_t k = 0; k < CONFIGS; k++) {
        cr_assert_eq(f->seen[k], 1);
        rb_run_result *r = NULL;
        cr_assert_eq(rb_run(s, f->cfg[k].spec, 0, &r, &err), RB_OK, "%s", err.msg);
        compare(rb_run_metrics(r), &f->got[k], f->cfg[k].kv);
        rb_run_result_free(r);
        rb_run_spec_free(f->cfg[k].spec);
    }
    rb_matrix_free(m);
    free(f);
    rb_store_free(s);
}

Test(schedule, the_batch_equals_the_reference_under_random_tables) { batch_against_reference(0); }
Test(schedule, the_batch_equals_the_reference_under_random_tables_with_cash) { batch_against_reference(1); }
