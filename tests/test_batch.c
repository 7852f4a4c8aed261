/* test_batch.c - the batch simulator against the reference: random configurations over
 * every strategy, cost model, tax and flow setting must give every metric of rb_run's to
 * the bit (one trade arithmetic, trade.h, and one metric accumulator, metric_acc.h, serve
 * both); results must be bitwise identical for any thread count and block size. (OpenMP
 * runs only inside Criterion's per-test child processes.) */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "lots.h"
#include "portfolio.h"
#include "rebalance_lanes.h"
#include "rebal.h"
#include "resolve.h"
#include "rule_samples.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(batch, .init = setup, .fini = teardown, .timeout = 120);

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1.0p-53;
}
static int pick(int n) { return (int)(uniform() * n); }

/* Three assets with volume and a gas series over ~420 daily bars crossing two year ends;
 * with opens, or close-only (where next-open orders fill at the next close). */
static rb_store *random_store_of(int close_only)
{
    size_t cap = 1 << 20, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv + len, cap - len, "symbol,date,open,close,volume\n");
    double p[3] = {100, 50, 20};
    for (int t = 0; t < 420; t++) {
        char date[32];
        rb_time_format(1575158400 + (rb_time)t * 86400, date); /* from 2019-12-01 */
        for (int i = 0; i < 3; i++) {
            double open = p[i] * exp(0.004 * (uniform() - 0.5));
            p[i] = open * exp(0.03 * (i + 1) * (uniform() - 0.5));
            char opened[32] = "";
            if (!close_only) snprintf(opened, sizeof opened, "%.6f", open);
            len += (size_t)snprintf(csv + len, cap - len, "%c,%s,%s,%.6f,%.0f\n", "XYZ"[i], date, opened, p[i],
                                    1e5 * (1 + uniform()));
        }
        if (t % 7 == 0) {
            double gas = 1 + uniform();
            len += (size_t)snprintf(csv + len, cap - len, "GAS,%s,%.3f,%.3f,\n", date, gas, gas);
        }
    }
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    free(csv);
    /* Pool depths of X and Y that move every week (--amm-depth-series). */
    rb_time when[60];
    double depth[2][60];
    for (int k = 0; k < 60; k++) {
        when[k] = 1575158400 + (rb_time)k * 7 * 86400;
        depth[0][k] = 5e6 + 5e7 * uniform();
        depth[1][k] = 2e6 + 2e7 * uniform();
    }
    rb_error err = {0};
    cr_assert_eq(rb_series_import_arrays(s, "DX", when, depth[0], 60, 0, NULL, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_series_import_arrays(s, "DY", when, depth[1], 60, 0, NULL, &err), RB_OK, "%s", err.msg);
    return s;
}

static rb_store *random_store(void) { return random_store_of(0); }

#define MAXKV 48
typedef struct cfgtext {
    char key[MAXKV][24];
    char value[MAXKV][80];
    int n;
    rb_run_spec *spec; /* read from the text by spec_of, for the batch to borrow; NULL until then */
} cfgtext;

static void put(cfgtext *c, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(cfgtext *c, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    snprintf(c->key[c->n], sizeof c->key[0], "%s", key);
    vsnprintf(c->value[c->n], sizeof c->value[0], fmt, ap);
    va_end(ap);
    c->n++;
}

#define RISKY "X=0.4,Y=0.35,Z=0.25"
#define WITH_CASH "X=0.5,Y=0.3,CASH=0.2"

static void put_setting(void *ctx, const char *key, const char *value) { put(ctx, key, "%s", value); }

/* A volatility model: a window as --vol-window or as --vol-model, or an EWMA. */
static void random_vol_model(cfgtext *c)
{
    int kind = pick(3);
    if (kind == 0) put(c, "vol-window", "%d", 5 + pick(30));
    else if (kind == 1) put(c, "vol-model", "window:%d", 5 + pick(30));
    else put(c, "vol-model", "ewma:%.3f", 0.8 + 0.19 * uniform());
}

/* A random configuration of `rule` touching every feature now and then. */
static void random_config(cfgtext *c, int with_cash, const rb_strategy_info *rule)
{
    c->n = 0;
    put(c, "assets", "%s", with_cash ? WITH_CASH : RISKY);
    rbt_rule_sample(rule, uniform, 0, put_setting, c);
    if (pick(5) == 0) {
        put(c, "targets", "inverse-vol");
        random_vol_model(c);
    } else if (strcmp(rule->name, "vol-band") == 0) {
        random_vol_model(c);
    }
    put(c, "fee-bps", "%.2f", 30 * uniform());
    if (pick(3) == 0) put(c, "fee-min", "%.2f", 2 * uniform());
    if (pick(3) == 0) put(c, "fee-fixed", "%.2f", uniform());
    if (pick(2)) put(c, "slippage-bps", "%.2f", 20 * uniform());
    if (pick(3) == 0) put(c, "spread-bps", "%.2f", 10 * uniform());
    if (pick(4) == 0) {
        put(c, "impact", "%.3f", 0.5 * uniform());
        put(c, "impact-window", "%d", 5 + pick(20));
    }
    if (pick(4) == 0) put(c, "amm-depth", "X=%.0f", 5e6 + 5e7 * uniform());
    if (pick(3) == 0) put(c, "gas-series", "GAS");
    else if (pick(2)) put(c, "gas", "%.2f", 3 * uniform());
    if (pick(2)) {
        static const char *const lots[] = {"fifo", "lifo", "hifo", "avg"};
        put(c, "tax-lots", "%s", lots[pick(4)]);
        put(c, "tax-short", "%.2f", 0.4 * uniform());
        put(c, "tax-long", "%.2f", 0.2 * uniform());
        if (pick(3) == 0) put(c, "wash-sale-days", "30");
        if (pick(3) == 0) put(c, "long-term-days", "%d", 30 + pick(300));
    }
    if (pick(4) == 0) {
        put(c, "contribution", "%.0f", pick(3) ? 2000 * uniform() : -1500 * uniform());
        put(c, "contribution-every", "%s", pick(2) ? "month" : "quarter");
        if (pick(2)) put(c, "flows", "rebalance");
    }
    if (pick(4) == 0) put(c, "exec", "next-open");
    if (pick(5) == 0) put(c, "min-trade", "%.0f", 200 * uniform());
    if (pick(6) == 0) put(c, "lot-size", "%s", pick(2) ? "1" : "0.1");
    if (pick(5) == 0) put(c, "rf", "0.02");
    if (pick(5) == 0) put(c, "amm-depth-series", "%s", pick(2) ? "X=DX" : "X=DX,Y=DY");
    /* a vault's one transaction per batch of orders (issue 17), beside or instead of --gas */
    if (pick(5) == 0) put(c, "gas-tx", "%.2f", 20 * uniform());
    if (pick(5) == 0) put(c, "gas-swap", "%.2f", 2 * uniform());
    /* concentrated liquidity for the pools drawn above (issue 17); wide enough that no trade
     * of these portfolios crosses an edge (the largest is above 0.17 of the depth) */
    if (pick(4) == 0) put(c, "amm-range", "%.3f:%.3f", 0.8 + 0.18 * uniform(), 1.02 + 0.23 * uniform());
}

typedef struct fixture {
    cfgtext *cfg;
    rb_metrics *got;
    int *seen;
} fixture;

/* The text of configuration k read into a spec that lives until release_specs (the batch
 * borrows it); each k is asked for once per run, so threads never share one. */
static rb_status spec_of(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    const fixture *f = ctx;
    cfgtext *c = &f->cfg[k];
    if (!c->spec) {
        rb_status rc = rb_run_spec_new(&c->spec, err);
        for (int i = 0; rc == RB_OK && i < c->n; i++) rc = rb_run_spec_set(c->spec, c->key[i], c->value[i], err);
        if (rc != RB_OK) return rc;
    }
    *spec = *c->spec;
    return RB_OK;
}

static void release_specs(fixture *f, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        rb_run_spec_free(f->cfg[k].spec);
        f->cfg[k].spec = NULL;
    }
}

static rb_status collect(void *ctx, uint64_t k, const rb_metrics *m, rb_error *err)
{
    (void)err;
    fixture *f = ctx;
    f->got[k] = *m;
    f->seen[k]++;
    return RB_OK;
}

static rb_run_spec *spec_from(const cfgtext *c)
{
    rb_run_spec *spec;
    rb_error err = {0};
    cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
    for (int i = 0; i < c->n; i++)
        cr_assert_eq(rb_run_spec_set(spec, c->key[i], c->value[i], &err), RB_OK, "%s", err.msg);
    return spec;
}

static void describe(const cfgtext *c, char *buf, size_t len)
{
    size_t off = 0;
    for (int i = 0; i < c->n && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, " --%s %s", c->key[i], c->value[i]);
}

static void run_batch(rb_store *s, const rb_matrix *m, fixture *f, size_t n, int threads, size_t block)
{
    uint64_t *idx = calloc(n, sizeof *idx);
    for (size_t k = 0; k < n; k++) idx[k] = k;
    memset(f->seen, 0, n * sizeof *f->seen);
    rb_batch_options opt = {.threads = threads, .block = block};
    uint64_t completed = 0;
    rb_error err = {0};
    rb_status brc = rb_batch_run(s, m, idx, n, spec_of, collect, f, &opt, &completed, &err);
    release_specs(f, n);
    if (brc != RB_OK) {
        char what[2048] = "";
        unsigned long long bad = 0;
        if (sscanf(err.msg, "configuration %llu", &bad) == 1 && bad < n) describe(&f->cfg[bad], what, sizeof what);
        cr_assert_fail("%s (settings:%s)", err.msg, what);
    }
    cr_assert_eq(completed, n);
    for (size_t k = 0; k < n; k++) cr_assert_eq(f->seen[k], 1, "configuration %zu delivered %d times", k, f->seen[k]);
    free(idx);
}

/* Where the run ended (a withdrawal plan can empty the portfolio before the last bar). */
static void compare_extent(const rb_metrics *want, const rb_metrics *got, const cfgtext *c)
{
    char what[2048];
    describe(c, what, sizeof what);
    cr_assert_eq(want->depleted, got->depleted, "depleted: reference %lld, batch %lld for%s", (long long)want->depleted,
                 (long long)got->depleted, what);
    cr_assert_eq(want->depleted_on, got->depleted_on, "depleted_on for%s", what);
    cr_assert_eq(want->bars, got->bars, "bars: reference %zu, batch %zu for%s", want->bars, got->bars, what);
    cr_assert_eq(want->end, got->end, "end for%s", what);
}

/* Every metric the same number (NaN as NaN), the drawdown's dates the same bars: no
 * tolerance, since both simulators take every sum by the same code. */
static void compare(const rb_metrics *want, const rb_metrics *got, const cfgtext *c)
{
    compare_extent(want, got, c);
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    char what[2048];
    for (size_t k = 0; k < n; k++) {
        double a = *(const double *)((const char *)want + table[k].offset);
        double b = *(const double *)((const char *)got + table[k].offset);
        if (a == b || (isnan(a) && isnan(b))) continue;
        describe(c, what, sizeof what);
        cr_assert_fail("%s: reference %.17g, batch %.17g (relative difference %.3g) for%s", table[k].name, a, b,
                       fabs(a - b) / fmax(fabs(a), fabs(b)), what);
    }
    cr_assert_eq(want->max_drawdown_peak, got->max_drawdown_peak);
    cr_assert_eq(want->max_drawdown_trough, got->max_drawdown_trough);
    cr_assert_str_eq(want->periods_source, got->periods_source);
    cr_assert_str_eq(want->exec_note, got->exec_note);
}

/* Runs f's count configurations (one dataset: the first one's) through the batch
 * simulator into f->got and holds every one against rb_run's metrics. */
static void batch_against_reference(rb_store *s, fixture *f, int count)
{
    rb_matrix *m = NULL;
    rb_error err = {0};
    rb_run_spec *first = spec_from(&f->cfg[0]);
    cr_assert_eq(rb_resolve_matrix(s, first, &m, &err), RB_OK, "%s", err.msg);
    rb_run_spec_free(first);
    run_batch(s, m, f, (size_t)count, 2, 16);
    for (int k = 0; k < count; k++) {
        rb_run_spec *spec = spec_from(&f->cfg[k]);
        rb_run_result *r = NULL;
        cr_assert_eq(rb_run(s, spec, 0, &r, &err), RB_OK, "configuration %d: %s", k, err.msg);
        compare(rb_run_metrics(r), &f->got[k], &f->cfg[k]);
        rb_run_result_free(r);
        rb_run_spec_free(spec);
    }
    rb_matrix_free(m);
}

/* The matrix of an asset set (RISKY or WITH_CASH) over s. */
static rb_matrix *matrix_of(rb_store *s, int with_cash)
{
    cfgtext c = {0};
    put(&c, "assets", "%s", with_cash ? WITH_CASH : RISKY);
    rb_run_spec *spec = spec_from(&c);
    rb_matrix *m = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_resolve_matrix(s, spec, &m, &err), RB_OK, "%s", err.msg);
    rb_run_spec_free(spec);
    return m;
}

/* 1 when the reference accepts configuration c on m; 0 when it refuses it as a usage
 * error (a combination its rule does not take, e.g. no band at all). */
static int accepted(rb_store *s, const rb_matrix *m, const cfgtext *c)
{
    rb_run_spec *spec = spec_from(c);
    rb_resolved res;
    rb_resolve_room room = {0};
    rb_sim_config sc;
    rb_error err = {0};
    rb_status rc = rb_resolve(s, spec, m, 0, NULL, &room, &res, &sc, &err);
    rb_resolved_release(&res);
    rb_resolve_room_free(&room);
    rb_run_spec_free(spec);
    char what[2048] = "";
    if (rc != RB_OK && rc != RB_ERR_USAGE) describe(c, what, sizeof what);
    cr_assert(rc == RB_OK || rc == RB_ERR_USAGE, "%s (settings:%s)", err.msg, what);
    return rc == RB_OK;
}

typedef void (*config_fn)(cfgtext *c, int with_cash, const rb_strategy_info *rule);

/* count configurations drawn by gen, walking the registry: configuration k is of
 * registered rule k % rules, so every rule has its share, whatever the registry holds. A
 * draw the reference refuses is drawn again. */
static void draw_configs(rb_store *s, int with_cash, config_fn gen, cfgtext *cfg, int count)
{
    rb_matrix *m = matrix_of(s, with_cash);
    size_t rules = rb_strategy_count();
    cr_assert_gt(rules, 0);
    for (int k = 0; k < count; k++) {
        const rb_strategy_info *rule = rb_strategy_at((size_t)k % rules);
        int tries = 0;
        do {
            cr_assert_lt(tries++, 200, "rule %s: 200 random settings and none accepted", rule->name);
            gen(&cfg[k], with_cash, rule);
        } while (!accepted(s, m, &cfg[k]));
    }
    rb_matrix_free(m);
}

/* count random configurations of every rule in turn (draw_configs) against the reference. */
static void differential_on(rb_store *s, int with_cash, int count)
{
    fixture f = {.cfg = calloc((size_t)count, sizeof *f.cfg),
                 .got = calloc((size_t)count, sizeof *f.got),
                 .seen = calloc((size_t)count, sizeof *f.seen)};
    draw_configs(s, with_cash, random_config, f.cfg, count);
    /* configurations whose pools move (--amm-depth-series); with --gas-tx; with a ranged pool */
    int depth_series = 0, gas_tx = 0, ranged = 0;
    for (int k = 0; k < count; k++) {
        int pool = 0, range = 0;
        for (int i = 0; i < f.cfg[k].n; i++) {
            depth_series += strcmp(f.cfg[k].key[i], "amm-depth-series") == 0;
            gas_tx += strcmp(f.cfg[k].key[i], "gas-tx") == 0;
            pool |= strncmp(f.cfg[k].key[i], "amm-depth", 9) == 0;
            range |= strcmp(f.cfg[k].key[i], "amm-range") == 0;
        }
        ranged += pool && range;
    }
    cr_assert_gt(depth_series, count / 20, "only %d of %d configurations with a depth series", depth_series, count);
    cr_assert_gt(gas_tx, count / 20, "only %d of %d configurations with --gas-tx", gas_tx, count);
    cr_assert_gt(ranged, count / 50, "only %d of %d configurations with a ranged pool", ranged, count);
    batch_against_reference(s, &f, count);
    free(f.cfg), free(f.got), free(f.seen);
    rb_store_free(s);
}

static void differential(int with_cash, int count) { differential_on(random_store(), with_cash, count); }

Test(batch, equals_the_reference_on_random_risky_portfolios) { differential(0, 300); }

/* Close-only data: next-open orders fill at the next close, and both simulators say so
 * alike in the run's conventions. */
Test(batch, equals_the_reference_on_close_only_data) { differential_on(random_store_of(1), 1, 120); }

/* An inferred calendar the metrics would refuse is refused before any configuration runs. */
Test(batch, refuses_an_absurd_inferred_calendar_up_front)
{
    char csv[8192] = "date,X\n";
    for (int k = 0; k < 100; k++) {
        char date[32];
        size_t len = strlen(csv);
        snprintf(csv + len, sizeof csv - len, "%s,%d\n", rb_time_format(k, date), 100 + k % 3);
    }
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    fixture f = {.cfg = calloc(1, sizeof *f.cfg), .got = calloc(1, sizeof *f.got), .seen = calloc(1, sizeof *f.seen)};
    put(&f.cfg[0], "assets", "X=0.5,CASH=0.5");
    rb_run_spec *spec = spec_from(&f.cfg[0]);
    rb_matrix *m = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_resolve_matrix(s, spec, &m, &err), RB_OK, "%s", err.msg);
    uint64_t idx = 0, completed = 7;
    rb_batch_options opt = {.threads = 1};
    cr_expect_eq(rb_batch_run(s, m, &idx, 1, spec_of, collect, &f, &opt, &completed, &err), RB_ERR_DATA);
    release_specs(&f, 1);
    cr_expect_not_null(strstr(err.msg, "under one day"), "%s", err.msg);
    cr_expect_eq(completed, 0);
    cr_expect_eq(f.seen[0], 0);
    rb_matrix_free(m);
    rb_run_spec_free(spec);

    /* With --periods-per-year it runs, as rb_run does. */
    put(&f.cfg[0], "periods-per-year", "1000");
    spec = spec_from(&f.cfg[0]);
    cr_assert_eq(rb_resolve_matrix(s, spec, &m, &err), RB_OK, "%s", err.msg);
    run_batch(s, m, &f, 1, 1, 16);
    cr_expect_eq(f.got[0].periods_per_year, 1000);
    rb_matrix_free(m);
    rb_run_spec_free(spec);
    free(f.cfg), free(f.got), free(f.seen);
    rb_store_free(s);
}

Test(batch, equals_the_reference_on_random_portfolios_with_cash) { differential(1, 300); }

/* Every lot method under both executions, with and without wash sales, on taxed data that
 * crosses two year ends (the monthly rule's next-open orders decided on 31 December execute
 * on 1 January, with the old year's tax). */
Test(batch, equals_the_reference_on_every_lot_method_across_year_ends)
{
    rb_store *s = random_store();
    enum { COUNT = 32 };
    fixture f = {.cfg = calloc(COUNT, sizeof *f.cfg), .got = calloc(COUNT, sizeof *f.got),
                 .seen = calloc(COUNT, sizeof *f.seen)};
    static const char *const lots[] = {"fifo", "lifo", "hifo", "avg"};
    for (int k = 0; k < COUNT; k++) {
        cfgtext *c = &f.cfg[k];
        put(c, "assets", "X=0.4,Y=0.35,Z=0.25");
        if (k & 1) {
            put(c, "strategy", "calendar"); /* decides on 31 December: next-open trades on 1 January */
            put(c, "every", "month");
            put(c, "on", "last");
        } else {
            put(c, "strategy", "threshold");
            put(c, "band", "0.03");
        }
        put(c, "exec", "%s", k & 2 ? "next-open" : "close");
        if (k & 4) put(c, "wash-sale-days", "30");
        put(c, "tax-lots", "%s", lots[k / 8]);
        put(c, "tax-short", "0.35");
        put(c, "tax-long", "0.15");
        put(c, "long-term-days", "100");
        put(c, "fee-bps", "10");
    }
    batch_against_reference(s, &f, COUNT);
    free(f.cfg), free(f.got), free(f.seen);
    rb_store_free(s);
}

/* The batch simulator on the hand cases of test_engine (issue 11): average-cost lots at the
 * end (after tax 131250 - 36562.5/7), and a next-open sale on January's first bar taxed in
 * the new year (no tax paid, final 150000, after tax 135000). */
Test(batch, average_cost_and_a_january_next_open_sale_as_worked_by_hand)
{
    static const char avg_csv[] = "date,X\n2020-01-01,100\n2021-06-01,200\n2021-07-01,150\n";
    static const char year_csv[] = "date,A,B\n2020-11-02,100,100\n2020-12-01,150,100\n2021-01-04,200,100\n"
                                   "2021-02-01,200,100\n";
    cfgtext c = {0};
    fixture f = {.cfg = &c, .got = &(rb_metrics){0}, .seen = &(int){0}};
    rb_store *s = rbt_store_from_csv(dir, avg_csv, NULL);
    put(&c, "assets", "X=0.5,CASH=0.5");
    put(&c, "strategy", "calendar");
    put(&c, "every", "month");
    put(&c, "tax-lots", "avg");
    put(&c, "tax-short", "0.35");
    put(&c, "tax-long", "0.15");
    batch_against_reference(s, &f, 1);
    rbt_assert_close(f.got->after_tax_value, 131250 - 36562.5 / 7, 1e-12, "after-tax value at the average cost");
    rb_store_free(s);

    c.n = 0;
    s = rbt_store_from_csv(dir, year_csv, NULL);
    put(&c, "assets", "A=0.5,B=0.5");
    put(&c, "strategy", "calendar");
    put(&c, "every", "month");
    put(&c, "exec", "next-open");
    put(&c, "tax-short", "0.3");
    batch_against_reference(s, &f, 1);
    cr_assert_eq(f.got->taxes_paid, 0, "taxes paid %.17g", f.got->taxes_paid);
    rbt_assert_close(f.got->final_value, 150000, 1e-12, "final value");
    rbt_assert_close(f.got->after_tax_value, 135000, 1e-12, "after-tax value");
    rb_store_free(s);
}

/* Configurations the kernel decides and trades itself (kernel_rule in engine/batch/setup.c):
 * proportional costs only, closing prices, static targets; every rule with every calendar
 * variant, and only the parameter values under which its rebalances are full ones (trigger.h). */
static void fast_config(cfgtext *c, int with_cash, const rb_strategy_info *rule)
{
    c->n = 0;
    put(c, "assets", "%s", with_cash ? WITH_CASH : RISKY);
    rbt_rule_sample(rule, uniform, 1, put_setting, c);
    put(c, "fee-bps", "%.2f", 30 * uniform());
    if (pick(2)) put(c, "slippage-bps", "%.2f", 20 * uniform());
    if (pick(3) == 0) put(c, "spread-bps", "%.2f", 10 * uniform());
    if (pick(4) == 0) {
        put(c, "contribution", "%.0f", 1000 * uniform());
        put(c, "contribution-every", "month");
    }
    if (pick(2)) { /* taxed: the kernel's trades open and relieve lots */
        static const char *const lots[] = {"fifo", "lifo", "hifo", "avg"};
        put(c, "tax-lots", "%s", lots[pick(4)]);
        put(c, "tax-short", "%.2f", 0.4 * uniform());
        put(c, "tax-long", "%.2f", 0.2 * uniform());
        if (pick(3) == 0) put(c, "wash-sale-days", "30");
    }
}

Test(batch, equals_the_reference_where_the_kernel_decides)
{
    rb_store *s = random_store();
    enum { COUNT = 400 };
    fixture f = {.cfg = calloc(COUNT, sizeof *f.cfg), .got = calloc(COUNT, sizeof *f.got),
                 .seen = calloc(COUNT, sizeof *f.seen)};
    /* One dataset per asset set: the risky one first, then the one with cash. */
    for (int with_cash = 0; with_cash < 2; with_cash++) {
        draw_configs(s, with_cash, fast_config, f.cfg, COUNT);
        rb_matrix *m = matrix_of(s, with_cash);
        rb_error err = {0};
        run_batch(s, m, &f, COUNT, 2, 32);
        for (int k = 0; k < COUNT; k++) {
            rb_run_spec *spec = spec_from(&f.cfg[k]);
            rb_run_result *r = NULL;
            cr_assert_eq(rb_run(s, spec, 0, &r, &err), RB_OK, "configuration %d: %s", k, err.msg);
            compare(rb_run_metrics(r), &f.got[k], &f.cfg[k]);
            rb_run_result_free(r);
            rb_run_spec_free(spec);
        }
        rb_matrix_free(m);
    }
    free(f.cfg), free(f.got), free(f.seen);
    rb_store_free(s);
}

/* Prices that hold a band rule on its band: A and B swing between 110/90 and 100/100, C
 * stays at 100. A portfolio at its targets at one of the two points is, at the other,
 * exactly its band away in exact arithmetic (with targets a, a, 1 - 2a: |w_A - a| = a / 10,
 * at either point, whether it last traded at the other), so every bar that can trade puts
 * the weights on the band, within rounding. */
static rb_store *on_the_band_store(void)
{
    size_t cap = 1 << 16, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv + len, cap - len, "symbol,date,open,close,volume\n");
    for (int t = 0; t < 120; t++) {
        char date[32];
        rb_time_format(1262563200 + (rb_time)t * 86400, date); /* from 2010-01-04 */
        double p[3] = {t % 2 ? 110 : 100, t % 2 ? 90 : 100, 100};
        for (int i = 0; i < 3; i++)
            len += (size_t)snprintf(csv + len, cap - len, "%c,%s,%g,%g,1000000\n", "ABC"[i], date, p[i], p[i]);
    }
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    free(csv);
    return s;
}

/* The kernel decides a band rule on approximate weights away from the band and leaves
 * decide() the configurations within MARGIN of it. Bands sitting on the weights' distance
 * (from 1e-17 to 1e-6 either side of it, across MARGIN's own edge) must give the
 * reference's decisions: the same number of rebalances, the same values. */
Test(batch, decides_as_the_reference_with_the_weights_on_the_band)
{
    rb_store *s = on_the_band_store();
    static const double offsets[] = {0,      1e-17,  -1e-17, 1e-16,  -1e-16, 1e-15,  -1e-15, 1e-12,
                                     -1e-12, 1e-10,  -1e-10, 9.999e-10, -9.999e-10, 1e-9, -1e-9,
                                     1.0001e-9, -1.0001e-9, 2e-9, -2e-9, 1e-6, -1e-6};
    enum { OFFSETS = sizeof offsets / sizeof offsets[0], COUNT = 2 * 2 * OFFSETS };
    fixture f = {.cfg = calloc(COUNT, sizeof *f.cfg), .got = calloc(COUNT, sizeof *f.got),
                 .seen = calloc(COUNT, sizeof *f.seen)};
    for (int three = 0; three < 2; three++) {
        /* |w_A - a| at either point: a / 10 */
        double at = three ? 0.025 : 0.05;
        for (int k = 0; k < 2 * OFFSETS; k++) {
            cfgtext *c = &f.cfg[k];
            c->n = 0;
            put(c, "assets", "%s", three ? "A=0.25,B=0.25,C=0.5" : "A=0.5,B=0.5");
            put(c, "strategy", "threshold");
            put(c, "band", "%.17g", at + offsets[k % OFFSETS]);
            put(c, "fee-bps", "%d", k < OFFSETS ? 0 : 10);
        }
        batch_against_reference(s, &f, 2 * OFFSETS);
        /* On the band indeed: some of these bands trade on every bar, others never. */
        int always = 0, never = 0;
        for (int k = 0; k < 2 * OFFSETS; k++) {
            always += f.got[k].rebalances >= 119;
            never += f.got[k].rebalances == 0;
        }
        cr_assert_gt(always, 0, "no band below the weights' distance traded on every bar");
        cr_assert_gt(never, 0, "no band above the weights' distance stayed put");
    }
    free(f.cfg), free(f.got), free(f.seen);
    rb_store_free(s);
}

Test(batch, is_bitwise_identical_for_any_thread_count_and_block_size)
{
    rb_store *s = random_store();
    enum { COUNT = 200 };
    fixture f = {.cfg = calloc(COUNT, sizeof *f.cfg), .got = calloc(COUNT, sizeof *f.got),
                 .seen = calloc(COUNT, sizeof *f.seen)};
    draw_configs(s, 0, random_config, f.cfg, COUNT);
    rb_matrix *m = matrix_of(s, 0);
    run_batch(s, m, &f, COUNT, 1, 256);
    rb_metrics *first_run = malloc(COUNT * sizeof *first_run);
    memcpy(first_run, f.got, COUNT * sizeof *first_run);
    const int threads[] = {2, 4, 3};
    const size_t blocks[] = {7, 1, 64};
    for (size_t v = 0; v < 3; v++) {
        memset(f.got, 0, COUNT * sizeof *f.got);
        run_batch(s, m, &f, COUNT, threads[v], blocks[v]);
        for (int k = 0; k < COUNT; k++)
            cr_assert(memcmp(&first_run[k], &f.got[k], sizeof f.got[k]) == 0,
                      "configuration %d differs with %d threads and blocks of %zu", k, threads[v], blocks[v]);
    }
    free(first_run);
    rb_matrix_free(m);
    free(f.cfg), free(f.got), free(f.seen);
    rb_store_free(s);
}

/* A sweep over bands alone: configurations of one state until their bands part them
 * share it (engine/batch/share.c). Every one must come out as it does alone (blocks of one
 * configuration share nothing) and as the reference has it, whichever leads its group,
 * for relative and absolute bands, a portfolio band, with and without cash, with tax lots
 * (copied when a follower parts) and without, for hybrids of bands and dates (gated
 * and either), and in blocks that mix fees or rules (those alike share among themselves). */
Test(batch, configurations_that_share_a_state_come_out_as_they_do_alone)
{
    rb_store *s = random_store();
    enum { COUNT = 240 };
    fixture f = {.cfg = calloc(COUNT, sizeof *f.cfg), .got = calloc(COUNT, sizeof *f.got),
                 .seen = calloc(COUNT, sizeof *f.seen)};
    for (int v = 0; v < 6; v++) {
        /* v 4: fees interleaved, as a grid of bands x fees numbers them; v 5: gated and
         * either hybrids on the same dates interleaved */
        int with_cash = v == 1, taxed = v == 2;
        for (int k = 0; k < COUNT; k++) {
            cfgtext *c = &f.cfg[k];
            int hybrid = v == 3 || v == 5;
            c->n = 0;
            put(c, "assets", "%s", with_cash ? WITH_CASH : RISKY);
            put(c, "strategy", "%s", hybrid ? "hybrid" : "threshold");
            if (hybrid) { /* v 3: a block of each, gated monthly and either weekly */
                int either = v == 5 ? k % 2 : k / 96 % 2;
                put(c, "every", "%s", either && v == 3 ? "week" : "month");
                put(c, "mode", "%s", either ? "either" : "gated");
            }
            /* bands from 0.2 % to 12 % in a shuffled order, some repeated; a third of the
             * blocks with a portfolio band too, one with relative bands (not shared) */
            put(c, "band", "%.4f", 0.002 + 0.118 * (double)((k * 37) % 97) / 96.0);
            if (k / 80 == 1) put(c, "band-total", "%.3f", 0.05 + 0.1 * (double)(k % 7) / 6.0);
            if (k / 80 == 2 && k % 16 == 3) put(c, "band-rel", "0.3");
            put(c, "fee-bps", "%d", v == 4 ? 5 << (k % 3) : 10);
            put(c, "slippage-bps", "5");
            if (taxed) {
                put(c, "tax-lots", "%s", k < 120 ? "fifo" : "hifo");
                put(c, "tax-short", "0.3");
                put(c, "tax-long", "0.15");
                put(c, "wash-sale-days", "30");
            }
        }
        rb_matrix *m = matrix_of(s, with_cash);
        run_batch(s, m, &f, COUNT, 2, 0); /* blocks of RB_BATCH_BLOCK: shared */
        rb_metrics *shared = malloc(COUNT * sizeof *shared);
        memcpy(shared, f.got, COUNT * sizeof *shared);
        run_batch(s, m, &f, COUNT, 2, 1); /* alone */
        for (int k = 0; k < COUNT; k++) {
            char what[2048];
            describe(&f.cfg[k], what, sizeof what);
            cr_assert(memcmp(&shared[k], &f.got[k], sizeof f.got[k]) == 0, "configuration %d differs shared:%s", k,
                      what);
        }
        /* some configurations shared, some parted: not every one rebalanced alike */
        double least = INFINITY, most = 0;
        for (int k = 0; k < COUNT; k++) {
            least = fmin(least, shared[k].rebalances);
            most = fmax(most, shared[k].rebalances);
        }
        cr_assert_lt(least, most);
        free(shared);
        rb_matrix_free(m);
        batch_against_reference(s, &f, COUNT);
    }
    free(f.cfg), free(f.got), free(f.seen);
    rb_store_free(s);
}

Test(batch, an_invalid_configuration_stops_the_batch_naming_it)
{
    rb_store *s = random_store();
    fixture f = {.cfg = calloc(3, sizeof *f.cfg), .got = calloc(3, sizeof *f.got), .seen = calloc(3, sizeof *f.seen)};
    draw_configs(s, 0, random_config, f.cfg, 3);
    put(&f.cfg[2], "fee-bps", "Q=5"); /* Q is not one of the assets */
    rb_matrix *m = matrix_of(s, 0);
    rb_error err = {0};
    uint64_t idx[3] = {0, 1, 2}, completed = 0;
    rb_batch_options opt = {.threads = 1, .block = 1};
    rb_status brc = rb_batch_run(s, m, idx, 3, spec_of, collect, &f, &opt, &completed, &err);
    release_specs(&f, 3);
    cr_assert_eq(brc, RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "configuration 2"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "Q is not one of the --assets"), "%s", err.msg);
    rb_matrix_free(m);
    free(f.cfg), free(f.got), free(f.seen);
    rb_store_free(s);
}

/* The lanes' rebalance against rb_rebalance_proportional, lane by lane, to the bit: random
 * holdings (zeros, dust, far off and on target, an empty portfolio, negative cash), targets
 * summing to 1 or not, a CASH column or none, costs from 0 to 500 bps, and widths of
 * cost where the closed form does not apply (the lane must then be left untouched). With
 * lots, every lane holds two lots per asset (bought 400 and 50 days ago at random prices,
 * so sales realize gains and losses) and sold some at a loss five days ago (so buys now are
 * wash sales), and the lots rb_lanes_lots leaves must equal the scalar function's. */
static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

enum { LANES_CAP = 67 };
static const rb_time LANES_T0 = 1262304000; /* 2010-01-01 */

/* A portfolio of lane k's starting state: units and cash, totals, and (with_lots) its lots. */
static void lane_portfolio(rb_portfolio *p, size_t N, int with_lots, const double *units, double cash,
                           const double *price, uint64_t seed)
{
    rb_error err = {0};
    rb_portfolio_options opt = {.N = N, .lots = RB_LOTS_FIFO, .long_term_days = 365, .wash_sale_days = 30,
                                .tax_short = with_lots ? 0.3 : 0, .tax_long = with_lots ? 0.15 : 0};
    cr_assert_eq(rb_portfolio_init(p, &opt, &err), RB_OK);
    memcpy(p->units, units, N * sizeof *units);
    p->cash = cash;
    p->fees = 1.5, p->slippage = 0.25, p->gas = 0, p->traded_value = 7, p->rebalances = 3;
    p->year_realized = (rb_realized){2.5, -1.25};
    for (size_t i = 0; with_lots && i < N; i++) {
        if (units[i] == 0) continue;
        /* the same random bases for the lane and the scalar portfolio */
        uint64_t r = seed * 6364136223846793005ull + i * 1442695040888963407ull;
        double f1 = 0.5 + (double)(r >> 40) / (double)(1ull << 24), f2 = 0.7 + (double)((r >> 16) & 0xffffff) / (double)(1ull << 24);
        /* lots of u / 0.9 bought, then u / 9 sold at a loss five days ago (a buy now
         * replaces it: a wash sale), leaving the u units held */
        double b = units[i] / 0.9;
        rb_realized late, sold;
        cr_assert_eq(rb_lots_buy(p->lots, i, LANES_T0 - 400 * 86400, b * 0.6, b * 0.6 * price[i] * f1, &late, &err), RB_OK);
        cr_assert_eq(rb_lots_buy(p->lots, i, LANES_T0 - 50 * 86400, b * 0.4, b * 0.4 * price[i] * f2, &late, &err), RB_OK);
        cr_assert_eq(rb_lots_sell(p->lots, i, LANES_T0 - 5 * 86400, b * 0.1, b * 0.1 * price[i] * 0.4, &sold, &err), RB_OK);
    }
}

static void lanes_against_scalar(int with_lots)
{
    enum { CAP = LANES_CAP, ROUNDS = 60 };
    size_t counts[3] = {0}; /* traded, nothing to do, fallback */
    for (int round = 0; round < ROUNDS; round++) {
        size_t N = 1 + (size_t)pick(6), n = 1 + (size_t)pick(CAP);
        rb_lanes l;
        rb_error err = {0};
        cr_assert_eq(rb_lanes_init(&l, N, CAP, &err), RB_OK);
        double price[8];
        for (size_t i = 0; i < N; i++) price[i] = pick(4) == 0 ? 1 : exp(6 * uniform() - 2);
        int col = N > 1 && pick(2) ? pick((int)N) : -1;
        if (col >= 0) price[col] = 1;
        rb_asset_costs costs[CAP][8];
        double to[CAP][8], units[CAP][8], cash[CAP];
        for (size_t k = 0; k < n; k++) {
            double sum = 0;
            for (size_t i = 0; i < N; i++) sum += to[k][i] = pick(5) == 0 ? 0 : uniform();
            int normalize = pick(3) != 0;
            for (size_t i = 0; i < N; i++) {
                if (sum == 0) to[k][i] = 1.0 / (double)N;
                else if (normalize) to[k][i] /= sum;
                costs[k][i] = (rb_asset_costs){.fee_bps = pick(3) ? 500 * uniform() : 0,
                                               .slippage_bps = pick(2) ? 50 * uniform() : 0,
                                               .spread_bps = pick(2) ? 20 * uniform() : 0};
            }
            /* holdings: near the targets (often within a cost's width), far, or degenerate */
            int kind = pick(6);
            double v = 1000 * exp(4 * uniform());
            cash[k] = kind == 4 ? -2 * v : pick(2) ? v * uniform() * 0.1 : 0;
            for (size_t i = 0; i < N; i++) {
                double near = to[k][i] * v * (1 + (uniform() - 0.5) * (kind == 0 ? 1e-4 : kind == 1 ? 0.02 : 1));
                units[k][i] = kind == 5 ? 0 : pick(8) == 0 ? 0 : near / price[i];
                if (kind == 3 && i == 0) units[k][i] = v / price[i] * 1e-12;
                if ((int)i == col) units[k][i] = near; /* CASH has no lots: its units are not relieved */
            }
        }
        /* the lanes, and their portfolios (for the totals and the lots) */
        rb_portfolio lane_port[CAP];
        for (size_t k = 0; k < n; k++) {
            lane_portfolio(&lane_port[k], N, with_lots, units[k], cash[k], price, (uint64_t)round * 1000 + k);
            l.cash[k] = cash[k];
            l.fees[k] = 1.5, l.slippage[k] = 0.25, l.gas[k] = 0, l.traded_value[k] = 7, l.rebalances[k] = 3;
            l.cash_col[k] = col;
            for (size_t i = 0; i < N; i++) {
                l.units[i * CAP + k] = units[k][i];
                l.to[i * CAP + k] = to[k][i];
                l.rate[i * CAP + k] = rb_cost_rate(&costs[k][i]);
                rb_rates rates = rb_cost_rates(&costs[k][i]);
                for (size_t r = 0; r < RB_COST_RATES; r++) l.bps[r][i * CAP + k] = rates.bps[r];
            }
        }
        rb_lanes_rebalance(&l, n, price, 1);
        /* the scalar function, lane by lane */
        for (size_t k = 0; k < n; k++) {
            rb_portfolio p;
            lane_portfolio(&p, N, with_lots, units[k], cash[k], price, (uint64_t)round * 1000 + k);
            double rate[8];
            for (size_t i = 0; i < N; i++) rate[i] = rb_cost_rate(&costs[k][i]);
            rb_trade_env env = {.N = N, .time = LANES_T0, .price = price, .costs = costs[k], .cash_col = col, .rate = rate};
            int traded = 0;
            int done = rb_rebalance_proportional(&p, &env, to[k], RB_TRADE_REBALANCE, &traded, &err);
            cr_assert_geq(done, 0, "round %d lane %zu: %s", round, k, err.msg);
            cr_assert_eq(l.fallback[k], !done, "round %d lane %zu: fallback %lld, scalar %d", round, k,
                         (long long)l.fallback[k], done);
            counts[!done ? 2 : traded ? 0 : 1]++;
            if (done) cr_assert_eq(l.traded[k], traded, "round %d lane %zu", round, k);
            for (size_t i = 0; i < N; i++)
                cr_assert(same_bits(l.units[i * CAP + k], p.units[i]), "round %d lane %zu asset %zu: units %.17g vs %.17g",
                          round, k, i, l.units[i * CAP + k], p.units[i]);
            cr_assert(same_bits(l.cash[k], p.cash), "round %d lane %zu: cash %.17g vs %.17g", round, k, l.cash[k], p.cash);
            cr_assert(same_bits(l.fees[k], p.fees));
            cr_assert(same_bits(l.slippage[k], p.slippage));
            cr_assert(same_bits(l.gas[k], p.gas));
            cr_assert(same_bits(l.traded_value[k], p.traded_value));
            cr_assert(same_bits(l.rebalances[k], p.rebalances));
            /* the lots: the same sales and buys, in the same order */
            rb_portfolio *q = &lane_port[k];
            if (done)
                cr_assert_eq(rb_lanes_lots(&l, k, q->lots, &q->year_realized, LANES_T0, &err), RB_OK, "%s", err.msg);
            cr_assert(same_bits(q->year_realized.short_term, p.year_realized.short_term), "round %d lane %zu: %.17g vs %.17g",
                      round, k, q->year_realized.short_term, p.year_realized.short_term);
            cr_assert(same_bits(q->year_realized.long_term, p.year_realized.long_term));
            for (size_t i = 0; with_lots && i < N; i++) {
                cr_assert(same_bits(rb_lots_units(q->lots, i), rb_lots_units(p.lots, i)), "round %d lane %zu asset %zu", round, k, i);
                cr_assert(same_bits(rb_lots_basis(q->lots, i), rb_lots_basis(p.lots, i)), "round %d lane %zu asset %zu", round, k, i);
            }
            rb_portfolio_release(&p);
            rb_portfolio_release(q);
        }
        rb_lanes_release(&l);
    }
    /* the random cases reach every outcome */
    cr_assert_gt(counts[0], 100, "traded lanes: %zu", counts[0]);
    cr_assert_gt(counts[1], 10, "lanes with nothing to do: %zu", counts[1]);
    cr_assert_gt(counts[2], 0, "fallback lanes: %zu", counts[2]);
}

Test(batch, rebalance_lanes_equal_the_scalar_rebalance_to_the_bit) { lanes_against_scalar(0); }

Test(batch, rebalance_lanes_relieve_and_open_the_same_tax_lots) { lanes_against_scalar(1); }

/* A lone traded asset after the dust is left out: A's gap (-0.9e-9 of the value) and C's
 * (+0.3e-9) are under the dust floor (1e-9), B's (+1.2e-9) is not; B alone then shares
 * what A and C do not hold, which is what it holds: no order. Neither the lane nor the
 * scalar closed form trades it (the set shrinks: the general path's case), and the general
 * path trades nothing and counts no rebalance. */
Test(batch, a_lone_asset_whose_share_is_dust_trades_nothing)
{
    const size_t N = 3;
    double price[3] = {1, 1, 1}, to[3] = {0.25, 0.25, 0.5};
    double units[3] = {250000 + 9e-4, 250000 - 1.2e-3, 500000 + 3e-4};
    rb_asset_costs costs[3] = {{.fee_bps = 10}, {.fee_bps = 10}, {.fee_bps = 10}};
    double rate[3];
    for (size_t i = 0; i < N; i++) rate[i] = rb_cost_rate(&costs[i]);
    rb_lanes l;
    rb_error err = {0};
    cr_assert_eq(rb_lanes_init(&l, N, 1, &err), RB_OK);
    l.cash[0] = 0, l.fees[0] = 0, l.slippage[0] = 0, l.gas[0] = 0, l.traded_value[0] = 0, l.rebalances[0] = 0;
    l.cash_col[0] = -1;
    for (size_t i = 0; i < N; i++) {
        l.units[i] = units[i], l.to[i] = to[i], l.rate[i] = rate[i];
        for (size_t r = 0; r < RB_COST_RATES; r++) l.bps[r][i] = rb_cost_value(&costs[i], r);
    }
    rb_lanes_rebalance(&l, 1, price, 1);
    cr_assert_eq(l.fallback[0], 1, "the lane must leave a shrinking set to the general path");
    cr_assert_eq(l.traded[0], 0);
    for (size_t i = 0; i < N; i++) cr_assert(same_bits(l.units[i], units[i]), "asset %zu changed", i);
    rb_lanes_release(&l);

    rb_portfolio p;
    rb_portfolio_options opt = {.N = N};
    cr_assert_eq(rb_portfolio_init(&p, &opt, &err), RB_OK);
    memcpy(p.units, units, sizeof units);
    rb_trade_env env = {.N = N, .time = LANES_T0, .price = price, .costs = costs, .cash_col = -1, .rate = rate};
    int traded = -1;
    cr_assert_eq(rb_rebalance_proportional(&p, &env, to, RB_TRADE_REBALANCE, &traded, &err), 0);
    cr_assert_eq(rb_portfolio_rebalance(&p, &env, to, RB_TRADE_REBALANCE, &traded, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(traded, 0, "a dust order traded");
    cr_assert_eq(p.rebalances, 0);
    cr_assert_eq(p.fees, 0);
    for (size_t i = 0; i < N; i++) cr_assert(same_bits(p.units[i], units[i]), "asset %zu changed", i);
    rb_portfolio_release(&p);
}

/* Three assets over 300 daily bars crossing a year end: bar 1 is the zero-trade case (A
 * +10 %, B -10 %, C flat: with targets 25/25/50, C's trade before costs is exactly zero),
 * then flat stretches (every order is dust) between random moves. */
static rb_store *edge_store(void)
{
    size_t cap = 1 << 18, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv + len, cap - len, "symbol,date,open,close,volume\n");
    double p[3] = {100, 100, 100};
    for (int t = 0; t < 300; t++) {
        char date[32];
        rb_time_format(1575158400 + (rb_time)t * 86400, date); /* from 2019-12-01 */
        if (t == 1) p[0] = 110, p[1] = 90;
        else if (t >= 10 && t % 20 >= 5) /* moves on 15 bars of every 20, flat on the others */
            for (int i = 0; i < 3; i++) p[i] *= exp(0.04 * (i + 1) * (uniform() - 0.5));
        for (int i = 0; i < 3; i++)
            len += (size_t)snprintf(csv + len, cap - len, "%c,%s,%.6f,%.6f,%.0f\n", "ABC"[i], date, p[i], p[i],
                                    1e5 * (1 + uniform()));
    }
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    free(csv);
    return s;
}

/* The edge cases of the trade arithmetic in both simulators: --min-trade with per-order
 * fees (a lone traded asset has no order; the first allocation is never skipped), assets
 * with no trade before costs (left out), flat prices (dust), and withdrawals that empty
 * the portfolio (the run ends there). */
static void edge_config(cfgtext *c, int kind)
{
    c->n = 0;
    switch (kind) {
    case 0: /* --min-trade with fixed fees */
        put(c, "assets", "A=0.3333333333333333,B=0.3333333333333333,C=0.3333333333333334");
        put(c, "strategy", "calendar");
        put(c, "every", "%s", pick(2) ? "day" : "week");
        /* now and then above the first allocation's orders, which trade all the same */
        put(c, "min-trade", "%d", pick(4) ? 200 + pick(4000) : 20000 + pick(30000));
        put(c, "fee-fixed", "%d", 1 + pick(5));
        if (pick(2)) put(c, "fee-bps", "%.1f", 10 * uniform());
        break;
    case 1: /* zero-trade assets, kernel-decided (proportional costs) or not */
        put(c, "assets", "A=0.25,B=0.25,C=0.5");
        put(c, "strategy", pick(2) ? "calendar" : "threshold");
        if (!strcmp(c->value[1], "calendar")) put(c, "every", "day");
        else put(c, "band", "%.3f", 0.001 + 0.02 * uniform());
        put(c, "fee-bps", "%.1f", 1 + 20 * uniform());
        if (pick(3) == 0) put(c, "fee-fixed", "%.2f", uniform());
        if (pick(3) == 0) put(c, "exec", "next-open");
        break;
    default: /* withdrawals, most of which empty the portfolio */
        put(c, "assets", "%s", pick(2) ? "A=0.25,B=0.25,C=0.5" : "A=0.5,B=0.3,CASH=0.2");
        put(c, "strategy", pick(2) ? "calendar" : "buy-and-hold");
        if (!strcmp(c->value[1], "calendar")) put(c, "every", "%s", pick(2) ? "day" : "month");
        put(c, "contribution", "-%d", 2000 + pick(40000));
        put(c, "contribution-every", "%s", pick(3) ? "month" : "quarter");
        if (pick(2)) put(c, "flows", "rebalance");
        put(c, "fee-bps", "%.1f", 20 * uniform());
        if (pick(3) == 0) put(c, "fee-fixed", "%.2f", uniform());
        if (pick(2)) {
            put(c, "tax-short", "0.3");
            put(c, "tax-long", "0.15");
        }
        if (pick(4) == 0) put(c, "exec", "next-open");
        if (pick(4) == 0) put(c, "lot-size", "0.1");
        if (pick(4) == 0) put(c, "min-trade", "%d", pick(500));
        break;
    }
}

Test(batch, equals_the_reference_on_the_edges_of_the_trade_arithmetic)
{
    rb_store *s = edge_store();
    enum { COUNT = 240 };
    fixture f = {.cfg = calloc(COUNT, sizeof *f.cfg), .got = calloc(COUNT, sizeof *f.got),
                 .seen = calloc(COUNT, sizeof *f.seen)};
    /* One dataset per asset set (A, B, C; then A, B, CASH): depletion with CASH last. */
    int n = 0;
    while (n < COUNT) {
        edge_config(&f.cfg[n], n % 3);
        if (!strstr(f.cfg[n].value[0], "CASH")) n++;
    }
    batch_against_reference(s, &f, COUNT);
    size_t depleted = 0;
    for (int k = 0; k < COUNT; k++) depleted += f.got[k].depleted != 0;
    cr_assert_gt(depleted, 20, "runs that ran out of money: %zu", depleted);
    cr_assert_lt(depleted, COUNT / 3, "every withdrawal plan ran out of money");
    for (n = 0; n < COUNT;) {
        edge_config(&f.cfg[n], 2);
        if (strstr(f.cfg[n].value[0], "CASH")) n++;
    }
    batch_against_reference(s, &f, COUNT);
    free(f.cfg), free(f.got), free(f.seen);
    rb_store_free(s);
}

/* A few bars of trading on p: a first allocation, rebalances as prices move, a tax year
 * closed and paid. */
static void trade_a_while(rb_portfolio *p)
{
    static const double target[3] = {0.5, 0.3, 0.2};
    double price[3] = {100, 40, 7};
    rb_asset_costs costs[3] = {{.fee_bps = 10, .fee_min = 1}, {.fee_bps = 5, .slippage_bps = 3}, {.spread_bps = 8}};
    rb_error err = {0};
    p->cash = 100000;
    for (size_t t = 0; t < 40; t++) {
        rb_trade_env env = {.N = 3, .bar = t, .time = LANES_T0 + (rb_time)t * 20 * 86400, .price = price,
                            .costs = costs, .cash_col = -1};
        int traded;
        rb_trade_kind kind = t ? RB_TRADE_REBALANCE : RB_TRADE_INITIAL;
        cr_assert_eq(rb_portfolio_rebalance(p, &env, target, kind, &traded, &err), RB_OK, "%s", err.msg);
        if (t == 20) {
            double due = rb_portfolio_close_year(p);
            cr_assert_eq(rb_portfolio_pay_tax(p, &env, due, &err), RB_OK, "%s", err.msg);
        }
        for (size_t i = 0; i < 3; i++) price[i] *= 1 + 0.1 * sin((double)(t * (i + 2)));
    }
}

static void assert_same_portfolio(const rb_portfolio *a, const rb_portfolio *b, const char *what)
{
    double x[] = {a->cash, a->fees, a->slippage, a->gas, a->taxes, a->traded_value, a->rebalances,
                  a->year_realized.short_term, a->year_realized.long_term, a->carry.short_term, a->carry.long_term};
    double y[] = {b->cash, b->fees, b->slippage, b->gas, b->taxes, b->traded_value, b->rebalances,
                  b->year_realized.short_term, b->year_realized.long_term, b->carry.short_term, b->carry.long_term};
    for (size_t k = 0; k < sizeof x / sizeof x[0]; k++)
        cr_assert(same_bits(x[k], y[k]), "%s: total %zu is %.17g, not %.17g", what, k, x[k], y[k]);
    cr_assert_eq(a->N, b->N, "%s", what);
    cr_assert_eq(!a->lots, !b->lots, "%s: lots", what);
    for (size_t i = 0; i < a->N; i++) {
        cr_assert(same_bits(a->units[i], b->units[i]), "%s: units of %zu", what, i);
        if (a->lots) cr_assert(same_bits(rb_lots_basis(a->lots, i), rb_lots_basis(b->lots, i)), "%s: basis", what);
    }
}

Test(batch, a_reset_portfolio_trades_as_a_new_one)
{
    const rb_portfolio_options taxed = {.N = 3, .lots = RB_LOTS_HIFO, .long_term_days = 365, .wash_sale_days = 30,
                                        .tax_short = 0.3, .tax_long = 0.15};
    const rb_portfolio_options plain = {.N = 3};
    const rb_portfolio_options ledger = {.N = 3, .lots = RB_LOTS_FIFO, .long_term_days = 100, .keep_lots = 1};
    const rb_portfolio_options *in_turn[] = {&plain, &taxed, &taxed, &plain, &ledger};
    rb_error err = {0};
    rb_portfolio used;
    cr_assert_eq(rb_portfolio_init(&used, &taxed, &err), RB_OK);
    trade_a_while(&used);
    for (size_t k = 0; k < sizeof in_turn / sizeof in_turn[0]; k++) {
        rb_portfolio fresh;
        cr_assert_eq(rb_portfolio_reset(&used, in_turn[k], &err), RB_OK, "%s", err.msg);
        cr_assert_eq(rb_portfolio_init(&fresh, in_turn[k], &err), RB_OK, "%s", err.msg);
        char what[32];
        snprintf(what, sizeof what, "reset %zu", k);
        assert_same_portfolio(&used, &fresh, what); /* as new */
        trade_a_while(&used);
        trade_a_while(&fresh);
        assert_same_portfolio(&used, &fresh, what);
        rb_portfolio_release(&fresh);
    }
    /* Another number of assets: a new portfolio of that size. */
    rb_portfolio_options wider = plain;
    wider.N = 5;
    cr_assert_eq(rb_portfolio_reset(&used, &wider, &err), RB_OK);
    cr_assert_eq(used.N, 5);
    for (size_t i = 0; i < 5; i++) cr_assert_eq(used.units[i], 0);
    rb_portfolio_release(&used);
}
