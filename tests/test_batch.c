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
#include "batch_configs.h"
#include "lots.h"
#include "portfolio.h"
#include "rebalance_lanes.h"
#include "rebal.h"
#include "resolve.h"
#include "rule_samples.h"
#include "support.h"
#include "sweep.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(batch, .init = setup, .fini = teardown, .timeout = 120);

static rb_store *random_store(void) { return rbt_random_store_of(dir, 0); }

typedef struct fixture {
    rbt_cfgtext *cfg;
    rb_metrics *got;
    int *seen;
    double bonus_given; /* what later_bonus answers */
    int bonus_asks;     /* how many times it was asked */
} fixture;

/* A fixture of n configurations: their texts, metrics and delivery counts zeroed. */
static fixture fixture_of(size_t n)
{
    return (fixture){.cfg = calloc(n, sizeof(rbt_cfgtext)), .got = calloc(n, sizeof(rb_metrics)),
                     .seen = calloc(n, sizeof(int))};
}

static void fixture_free(fixture *f)
{
    free(f->cfg), free(f->got), free(f->seen);
}

/* The text of configuration k read into a spec that lives until release_specs (the batch
 * borrows it); each k is asked for once per run, so threads never share one. */
static rb_status spec_of(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    const fixture *f = ctx;
    rbt_cfgtext *c = &f->cfg[k];
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

static rb_run_spec *spec_from(const rbt_cfgtext *c)
{
    rb_run_spec *spec;
    rb_error err = {0};
    cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
    for (int i = 0; i < c->n; i++)
        cr_assert_eq(rb_run_spec_set(spec, c->key[i], c->value[i], &err), RB_OK, "%s", err.msg);
    return spec;
}

static void describe(const rbt_cfgtext *c, char *buf, size_t len)
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
static void compare_extent(const rb_metrics *want, const rb_metrics *got, const rbt_cfgtext *c)
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
static void compare(const rb_metrics *want, const rb_metrics *got, const rbt_cfgtext *c)
{
    compare_extent(want, got, c);
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    char what[2048];
    for (size_t k = 0; k < n; k++) {
        double a = *(const double *)((const char *)want + table[k].offset);
        double b = *(const double *)((const char *)got + table[k].offset);
        if (table[k].whole_series) { /* the batch keeps no series: NaN */
            cr_assert(isnan(b), "%s: batch %.17g, not NaN", table[k].name, b);
            continue;
        }
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

/* Holds the batch's metrics of f's count configurations (f->got) against rb_run's. */
static void hold_to_reference(rb_store *s, fixture *f, int count)
{
    rb_error err = {0};
    for (int k = 0; k < count; k++) {
        rb_run_spec *spec = spec_from(&f->cfg[k]);
        rb_run_result *r = NULL;
        cr_assert_eq(rb_run(s, spec, 0, &r, &err), RB_OK, "configuration %d: %s", k, err.msg);
        compare(rb_run_metrics(r), &f->got[k], &f->cfg[k]);
        rb_run_result_free(r);
        rb_run_spec_free(spec);
    }
}

/* A copy of the metrics of f's first count configurations, to hold a later run to. */
static rb_metrics *kept_metrics(const fixture *f, int count)
{
    rb_metrics *kept = malloc((size_t)count * sizeof *kept);
    cr_assert_not_null(kept);
    memcpy(kept, f->got, (size_t)count * sizeof *kept);
    return kept;
}

/* Every one of f's first count configurations has, to the bit, the metrics kept from an
 * earlier run of them (kept_metrics); how: what differs in this run, for the message. */
static void hold_to_kept(const rb_metrics *kept, const fixture *f, int count, const char *how)
{
    for (int k = 0; k < count; k++) {
        if (memcmp(&kept[k], &f->got[k], sizeof kept[k]) == 0) continue;
        char what[2048];
        describe(&f->cfg[k], what, sizeof what);
        cr_assert_fail("configuration %d differs %s:%s", k, how, what);
    }
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
    hold_to_reference(s, f, count);
    rb_matrix_free(m);
}

/* The matrix of an --assets setting over s. */
static rb_matrix *matrix_of_assets(rb_store *s, const char *assets)
{
    rbt_cfgtext c = {0};
    rbt_put(&c, "assets", "%s", assets);
    rb_run_spec *spec = spec_from(&c);
    rb_matrix *m = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_resolve_matrix(s, spec, &m, &err), RB_OK, "%s", err.msg);
    rb_run_spec_free(spec);
    return m;
}

/* The matrix of RBT_RISKY, or RBT_WITH_CASH. */
static rb_matrix *matrix_of(rb_store *s, int with_cash)
{
    return matrix_of_assets(s, with_cash ? RBT_WITH_CASH : RBT_RISKY);
}

/* 1 when the reference accepts configuration c on m; 0 when it refuses it as a usage
 * error (a combination its rule does not take, e.g. no band at all). */
static int accepted(rb_store *s, const rb_matrix *m, const rbt_cfgtext *c)
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

typedef void (*config_fn)(rbt_cfgtext *c, int with_cash, const rb_strategy_info *rule);

/* count configurations drawn by gen, walking the registry: configuration k is of
 * registered rule k % rules, so every rule has its share, whatever the registry holds. A
 * draw the reference refuses is drawn again. */
static void draw_configs(rb_store *s, int with_cash, config_fn gen, rbt_cfgtext *cfg, int count)
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
    fixture f = fixture_of((size_t)count);
    draw_configs(s, with_cash, rbt_random_config, f.cfg, count);
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
    fixture_free(&f);
    rb_store_free(s);
}

static void differential(int with_cash, int count) { differential_on(random_store(), with_cash, count); }

Test(batch, equals_the_reference_on_random_risky_portfolios) { differential(0, 300); }

/* Against a benchmark (an asset of the store, or a stored series), with and without cash:
 * beta, alpha, information ratio and capture from the batch's sums, to the bit, and every
 * other metric as without one. */
Test(batch, equals_the_reference_with_a_benchmark)
{
    static const char *const bench[] = {"Y", "GAS", "series:DX"};
    for (int with_cash = 0; with_cash < 2; with_cash++) {
        rb_store *s = random_store();
        const int count = 60;
        fixture f = fixture_of((size_t)count);
        draw_configs(s, with_cash, rbt_random_config, f.cfg, count);
        for (int k = 0; k < count; k++) rbt_put(&f.cfg[k], "benchmark", "%s", bench[k % 3]);
        batch_against_reference(s, &f, count);
        for (int k = 0; k < count; k++) cr_assert(!isnan(f.got[k].beta), "configuration %d has no beta", k);
        fixture_free(&f);
        rb_store_free(s);
    }
}

/* Close-only data: next-open orders fill at the next close, and both simulators say so
 * alike in the run's conventions. */
Test(batch, equals_the_reference_on_close_only_data) { differential_on(rbt_random_store_of(dir, 1), 1, 120); }

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
    fixture f = fixture_of(1);
    rbt_put(&f.cfg[0], "assets", "X=0.5,CASH=0.5");
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
    rbt_put(&f.cfg[0], "periods-per-year", "1000");
    spec = spec_from(&f.cfg[0]);
    cr_assert_eq(rb_resolve_matrix(s, spec, &m, &err), RB_OK, "%s", err.msg);
    run_batch(s, m, &f, 1, 1, 16);
    cr_expect_eq(f.got[0].periods_per_year, 1000);
    rb_matrix_free(m);
    rb_run_spec_free(spec);
    fixture_free(&f);
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
    fixture f = fixture_of(COUNT);
    static const char *const lots[] = {"fifo", "lifo", "hifo", "avg"};
    for (int k = 0; k < COUNT; k++) {
        rbt_cfgtext *c = &f.cfg[k];
        rbt_put(c, "assets", "X=0.4,Y=0.35,Z=0.25");
        if (k & 1) {
            rbt_put(c, "strategy", "calendar"); /* decides on 31 December: next-open trades on 1 January */
            rbt_put(c, "every", "month");
            rbt_put(c, "on", "last");
        } else {
            rbt_put(c, "strategy", "threshold");
            rbt_put(c, "band", "0.03");
        }
        rbt_put(c, "exec", "%s", k & 2 ? "next-open" : "close");
        if (k & 4) rbt_put(c, "wash-sale-days", "30");
        rbt_put(c, "tax-lots", "%s", lots[k / 8]);
        rbt_put(c, "tax-short", "0.35");
        rbt_put(c, "tax-long", "0.15");
        rbt_put(c, "long-term-days", "100");
        rbt_put(c, "fee-bps", "10");
    }
    batch_against_reference(s, &f, COUNT);
    fixture_free(&f);
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
    rbt_cfgtext c = {0};
    fixture f = {.cfg = &c, .got = &(rb_metrics){0}, .seen = &(int){0}};
    rb_store *s = rbt_store_from_csv(dir, avg_csv, NULL);
    rbt_put(&c, "assets", "X=0.5,CASH=0.5");
    rbt_put(&c, "strategy", "calendar");
    rbt_put(&c, "every", "month");
    rbt_put(&c, "tax-lots", "avg");
    rbt_put(&c, "tax-short", "0.35");
    rbt_put(&c, "tax-long", "0.15");
    batch_against_reference(s, &f, 1);
    rbt_assert_close(f.got->after_tax_value, 131250 - 36562.5 / 7, 1e-12, "after-tax value at the average cost");
    rb_store_free(s);

    c.n = 0;
    s = rbt_store_from_csv(dir, year_csv, NULL);
    rbt_put(&c, "assets", "A=0.5,B=0.5");
    rbt_put(&c, "strategy", "calendar");
    rbt_put(&c, "every", "month");
    rbt_put(&c, "exec", "next-open");
    rbt_put(&c, "tax-short", "0.3");
    batch_against_reference(s, &f, 1);
    cr_assert_eq(f.got->taxes_paid, 0, "taxes paid %.17g", f.got->taxes_paid);
    rbt_assert_close(f.got->final_value, 150000, 1e-12, "final value");
    rbt_assert_close(f.got->after_tax_value, 135000, 1e-12, "after-tax value");
    rb_store_free(s);
}

/* Configurations the kernel decides and trades itself (kernel_rule in engine/batch/setup.c):
 * proportional costs only, closing prices, static targets; every rule with every calendar
 * variant, and only the parameter values under which its rebalances are full ones (trigger.h). */
static void fast_config(rbt_cfgtext *c, int with_cash, const rb_strategy_info *rule)
{
    c->n = 0;
    rbt_put(c, "assets", "%s", with_cash ? RBT_WITH_CASH : RBT_RISKY);
    rbt_rule_sample(rule, rbt_uniform, 1, rbt_put_setting, c);
    rbt_put(c, "fee-bps", "%.2f", 30 * rbt_uniform());
    if (rbt_pick(2)) rbt_put(c, "slippage-bps", "%.2f", 20 * rbt_uniform());
    if (rbt_pick(3) == 0) rbt_put(c, "spread-bps", "%.2f", 10 * rbt_uniform());
    if (rbt_pick(4) == 0) {
        rbt_put(c, "contribution", "%.0f", 1000 * rbt_uniform());
        rbt_put(c, "contribution-every", "month");
    }
    if (rbt_pick(2)) { /* taxed: the kernel's trades open and relieve lots */
        static const char *const lots[] = {"fifo", "lifo", "hifo", "avg"};
        rbt_put(c, "tax-lots", "%s", lots[rbt_pick(4)]);
        rbt_put(c, "tax-short", "%.2f", 0.4 * rbt_uniform());
        rbt_put(c, "tax-long", "%.2f", 0.2 * rbt_uniform());
        if (rbt_pick(3) == 0) rbt_put(c, "wash-sale-days", "30");
    }
}

Test(batch, equals_the_reference_where_the_kernel_decides)
{
    rb_store *s = random_store();
    enum { COUNT = 400 };
    fixture f = fixture_of(COUNT);
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
    fixture_free(&f);
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
    fixture f = fixture_of(COUNT);
    for (int three = 0; three < 2; three++) {
        /* |w_A - a| at either point: a / 10 */
        double at = three ? 0.025 : 0.05;
        for (int k = 0; k < 2 * OFFSETS; k++) {
            rbt_cfgtext *c = &f.cfg[k];
            c->n = 0;
            rbt_put(c, "assets", "%s", three ? "A=0.25,B=0.25,C=0.5" : "A=0.5,B=0.5");
            rbt_put(c, "strategy", "threshold");
            rbt_put(c, "band", "%.17g", at + offsets[k % OFFSETS]);
            rbt_put(c, "fee-bps", "%d", k < OFFSETS ? 0 : 10);
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
    fixture_free(&f);
    rb_store_free(s);
}

enum { MANY_ASSETS = 18 };

/* Eighteen assets A..R of unequal volatility over 300 daily bars crossing a year end: the
 * first thirteen drawn (as when the store had no more), each of the others moving against
 * the one thirteen before it, four times as far. */
static rb_store *many_assets_store(void)
{
    size_t cap = 1 << 20, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv + len, cap - len, "symbol,date,open,close,volume\n");
    double p[MANY_ASSETS], shock[MANY_ASSETS];
    for (int i = 0; i < MANY_ASSETS; i++) p[i] = 20 + 10 * i;
    for (int t = 0; t < 300; t++) {
        char date[32];
        rb_time_format(1575158400 + (rb_time)t * 86400, date); /* from 2019-12-01 */
        for (int i = 0; i < MANY_ASSETS; i++) {
            shock[i] = i < 13 ? rbt_uniform() - 0.5 : -shock[i - 13];
            p[i] *= exp((i < 13 ? 0.01 : 0.04) * (1 + i % 4) * shock[i]);
            len += (size_t)snprintf(csv + len, cap - len, "%c,%s,%.6f,%.6f,1000000\n", 'A' + i, date, p[i], p[i]);
        }
    }
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    free(csv);
    return s;
}

/* The kernel's passes take the assets several to a loop (engine/batch/kernel.c,
 * PASS_ASSETS), with loops of their own for what is left, and a block of absolute bands
 * (one threshold: the pass's shortcut) takes its value and drift in one loop of its own for
 * each number of assets up to FUSED_ASSETS (16), in the two passes above that: every number
 * of assets from 1 to 18 must give the reference's metrics, for absolute bands, relative
 * bands (a threshold per asset), trades to the band's edge, hybrids of bands and dates, and
 * a calendar rule, on unequal targets. */
/* Rule k of equals_the_reference_for_every_number_of_assets on `assets`. */
static void many_assets_rule(rbt_cfgtext *c, const char *assets, int k)
{
    c->n = 0;
    rbt_put(c, "assets", "%s", assets);
    rbt_put(c, "fee-bps", "%d", 5 + k);
    switch (k) {
    case 0:
    case 1:
    case 2:
        rbt_put(c, "strategy", "threshold");
        rbt_put(c, "band", "%g", 0.002 * (1 + 4 * k));
        break;
    case 3:
        rbt_put(c, "strategy", "threshold");
        rbt_put(c, "band-rel", "0.05");
        break;
    case 4:
        rbt_put(c, "strategy", "threshold");
        rbt_put(c, "band", "0.004");
        rbt_put(c, "to", "edge");
        break;
    case 5:
    case 6:
        rbt_put(c, "strategy", "hybrid");
        rbt_put(c, "every", "week");
        rbt_put(c, "band", "0.003");
        rbt_put(c, "mode", "%s", k == 5 ? "gated" : "either");
        break;
    default:
        rbt_put(c, "strategy", "calendar");
        rbt_put(c, "every", "month");
    }
}

Test(batch, equals_the_reference_for_every_number_of_assets)
{
    rb_store *s = many_assets_store();
    enum { RULES = 8 };
    /* Blocks of one threshold per configuration and the targets in common (kernel.c's
     * value_distance, the band sweep's own loop): bands alone (every rule a band: the
     * actions taken in the distance pass), and with the hybrids and the calendar rule
     * (each decided by the kernel, a full rebalance: the actions in a pass of their own).
     * Relative bands (a threshold per asset) and trades to the band's edge (decide()) are
     * left out of both. */
    static const int bands[] = {0, 1, 2}, kernel_rules[] = {0, 1, 2, 5, 6, 7};
    static const struct {
        const int *rules;
        int n;
    } one_band[] = {{bands, 3}, {kernel_rules, 6}};
    fixture f = fixture_of(RULES);
    for (int N = 1; N <= MANY_ASSETS; N++) {
        char assets[256];
        size_t at = 0;
        /* weights 1, 2, ..., N over their sum, in thousandths (in hundredths past 13 assets,
         * for the setting's length); the last the rest */
        int sum = N * (N + 1) / 2, given = 0, whole = N > 13 ? 100 : 1000;
        for (int i = 0; i < N; i++) {
            int w = i + 1 < N ? (int)lround((double)whole * (i + 1) / sum) : whole - given;
            given += w;
            at += (size_t)snprintf(assets + at, sizeof assets - at, "%s%c=%.*f", i ? "," : "", 'A' + i,
                                   N > 13 ? 2 : 3, (double)w / whole);
        }
        for (int k = 0; k < RULES; k++) many_assets_rule(&f.cfg[k], assets, k);
        batch_against_reference(s, &f, RULES);
        int traded = 0;
        for (int k = 0; k < RULES; k++) traded += f.got[k].rebalances > 0;
        cr_assert(N == 1 || traded == RULES, "%d assets: %d of %d rules traded", N, traded, RULES);
        for (size_t g = 0; g < sizeof one_band / sizeof one_band[0]; g++) {
            for (int k = 0; k < one_band[g].n; k++) many_assets_rule(&f.cfg[k], assets, one_band[g].rules[k]);
            batch_against_reference(s, &f, one_band[g].n);
            for (int k = 0; k < one_band[g].n; k++)
                cr_assert(N == 1 || f.got[k].rebalances > 0, "%d assets, one threshold each: rule %d never traded", N,
                          one_band[g].rules[k]);
        }
    }
    fixture_free(&f);
    rb_store_free(s);
}

/* A block of absolute bands on the common targets takes each bar's statistics in the next
 * bar's first pass (kernel.c, statistics_may_wait), unless something happens in between: a
 * contribution (a flow) on the next bar, a new year's tax, or statistics of a kind that
 * pass does not take (against a benchmark). Bands that share their states, and bands that
 * do not (a flow parts every group), across year ends, against the reference. */
Test(batch, statistics_left_to_the_next_bar_come_out_as_the_reference)
{
    rb_store *s = random_store();
    enum { BANDS = 12 };
    fixture f = fixture_of(BANDS);
    for (int kind = 0; kind < 4; kind++) {
        for (int k = 0; k < BANDS; k++) {
            rbt_cfgtext *c = &f.cfg[k];
            c->n = 0;
            rbt_put(c, "assets", "%s", RBT_RISKY);
            rbt_put(c, "strategy", "threshold");
            rbt_put(c, "band", "%g", 0.002 * (k + 1));
            rbt_put(c, "fee-bps", "10");
            if (kind == 1) { /* flows */
                rbt_put(c, "contribution", "%d", k % 2 ? 500 : -300);
                rbt_put(c, "contribution-every", "month");
            } else if (kind == 2) { /* a benchmark's statistics */
                rbt_put(c, "benchmark", "Y");
            } else if (kind == 3) { /* a tax paid on every new year */
                rbt_put(c, "tax-lots", "fifo");
                rbt_put(c, "tax-short", "0.3");
                rbt_put(c, "tax-long", "0.15");
            }
        }
        batch_against_reference(s, &f, BANDS);
        int traded = 0;
        for (int k = 0; k < BANDS; k++) traded += f.got[k].rebalances > 0;
        cr_assert_gt(traded, BANDS / 2, "kind %d: only %d of %d bands traded", kind, traded, BANDS);
    }
    fixture_free(&f);
    rb_store_free(s);
}

Test(batch, is_bitwise_identical_for_any_thread_count_and_block_size)
{
    rb_store *s = random_store();
    enum { COUNT = 200 };
    fixture f = fixture_of(COUNT);
    draw_configs(s, 0, rbt_random_config, f.cfg, COUNT);
    rb_matrix *m = matrix_of(s, 0);
    run_batch(s, m, &f, COUNT, 1, 256);
    rb_metrics *first_run = kept_metrics(&f, COUNT);
    const int threads[] = {2, 4, 3, 1};
    const size_t blocks[] = {7, 1, 64, RB_BATCH_CAP};
    for (size_t v = 0; v < 4; v++) {
        memset(f.got, 0, COUNT * sizeof *f.got);
        run_batch(s, m, &f, COUNT, threads[v], blocks[v]);
        char how[64];
        snprintf(how, sizeof how, "with %d threads and blocks of %zu", threads[v], blocks[v]);
        hold_to_kept(first_run, &f, COUNT, how);
    }
    free(first_run);
    rb_matrix_free(m);
    fixture_free(&f);
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
    fixture f = fixture_of(COUNT);
    for (int v = 0; v < 6; v++) {
        /* v 4: fees interleaved, as a grid of bands x fees numbers them; v 5: gated and
         * either hybrids on the same dates interleaved */
        int with_cash = v == 1, taxed = v == 2;
        for (int k = 0; k < COUNT; k++) {
            rbt_cfgtext *c = &f.cfg[k];
            int hybrid = v == 3 || v == 5;
            c->n = 0;
            rbt_put(c, "assets", "%s", with_cash ? RBT_WITH_CASH : RBT_RISKY);
            rbt_put(c, "strategy", "%s", hybrid ? "hybrid" : "threshold");
            if (hybrid) { /* v 3: a block of each, gated monthly and either weekly */
                int either = v == 5 ? k % 2 : k / 96 % 2;
                rbt_put(c, "every", "%s", either && v == 3 ? "week" : "month");
                rbt_put(c, "mode", "%s", either ? "either" : "gated");
            }
            /* bands from 0.2 % to 12 % in a shuffled order, some repeated; a third of the
             * blocks with a portfolio band too, one with relative bands (not shared) */
            rbt_put(c, "band", "%.4f", 0.002 + 0.118 * (double)((k * 37) % 97) / 96.0);
            if (k / 80 == 1) rbt_put(c, "band-total", "%.3f", 0.05 + 0.1 * (double)(k % 7) / 6.0);
            if (k / 80 == 2 && k % 16 == 3) rbt_put(c, "band-rel", "0.3");
            rbt_put(c, "fee-bps", "%d", v == 4 ? 5 << (k % 3) : 10);
            rbt_put(c, "slippage-bps", "5");
            if (taxed) {
                rbt_put(c, "tax-lots", "%s", k < 120 ? "fifo" : "hifo");
                rbt_put(c, "tax-short", "0.3");
                rbt_put(c, "tax-long", "0.15");
                rbt_put(c, "wash-sale-days", "30");
            }
        }
        rb_matrix *m = matrix_of(s, with_cash);
        run_batch(s, m, &f, COUNT, 2, 0); /* blocks of RB_BATCH_BLOCK and more (driver.c): shared */
        rb_metrics *shared = kept_metrics(&f, COUNT);
        for (int alone = 0; alone < 2; alone++) {
            /* every configuration in one block of its own, then in one block of them all */
            run_batch(s, m, &f, COUNT, alone ? 2 : 1, alone ? 1 : RB_BATCH_CAP);
            hold_to_kept(shared, &f, COUNT, alone ? "alone" : "in one block");
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
    fixture_free(&f);
    rb_store_free(s);
}

/* Configuration k of count in a sweep of threshold bands over RBT_RISKY, in order from 0.2 %
 * to 0.2 % + span (its earlier settings dropped); the caller adds its costs. */
static void band_config(rbt_cfgtext *c, int k, int count, double span)
{
    c->n = 0;
    rbt_put(c, "assets", "%s", RBT_RISKY);
    rbt_put(c, "strategy", "threshold");
    rbt_put(c, "band", "%.5f", 0.002 + span * (double)k / count);
}

/* The largest block a run of n configurations of the fixture took on `threads` threads. */
static size_t largest_block_of(rb_store *s, const rb_matrix *m, fixture *f, size_t n, int threads)
{
    size_t largest = 0;
    uint64_t *idx = calloc(n, sizeof *idx), completed = 0;
    for (size_t k = 0; k < n; k++) idx[k] = k;
    rb_batch_options opt = {.threads = threads, .largest_block = &largest};
    rb_error err = {0};
    cr_assert_eq(rb_batch_run(s, m, idx, n, spec_of, collect, f, &opt, &completed, &err), RB_OK, "%s", err.msg);
    release_specs(f, n);
    free(idx);
    cr_assert_eq(completed, n);
    return largest;
}

/* A sweep of bands in order on one thread: its blocks share their states well, and the
 * batch takes more configurations per block after the first (driver.c, next_block_size),
 * which changes no result, with tax lots too. With every third configuration of a fee of
 * its own (sharing nothing) the blocks run about a third of their configuration-bars: they
 * still grow, but not with tax lots (at most a quarter). */
Test(batch, a_sweep_of_bands_grows_its_blocks_and_keeps_every_result)
{
    rb_store *s = random_store();
    enum { COUNT = 900 };
    fixture f = fixture_of(COUNT);
    rb_matrix *m = matrix_of(s, 0);
    for (int variant = 0; variant < 4; variant++) {
        int taxed = variant & 1, third_alone = variant & 2;
        for (int k = 0; k < COUNT; k++) {
            rbt_cfgtext *c = &f.cfg[k];
            band_config(c, k, COUNT, 0.3);
            if (third_alone && k % 3 == 0) rbt_put(c, "fee-bps", "%.4f", 10 + 0.001 * k);
            else rbt_put(c, "fee-bps", "10");
            if (taxed) rbt_put(c, "tax-lots", "fifo"), rbt_put(c, "tax-short", "0.3");
        }
        size_t largest = largest_block_of(s, m, &f, COUNT, 1);
        if (taxed && third_alone)
            cr_assert_eq(largest, RB_BATCH_BLOCK, "blocks with tax lots sharing less grew to %zu", largest);
        else
            cr_assert_gt(largest, RB_BATCH_BLOCK, "the blocks of a sweep of bands did not grow (tax lots %d, a third "
                         "alone %d)", taxed, third_alone != 0);
        rb_metrics *grown = kept_metrics(&f, COUNT);
        run_batch(s, m, &f, COUNT, 1, RB_BATCH_BLOCK); /* checks each is delivered once */
        hold_to_kept(grown, &f, COUNT, "in blocks of RB_BATCH_BLOCK");
        free(grown);
    }
    rb_matrix_free(m);
    fixture_free(&f);
    rb_store_free(s);
}

/* The slots of a thread's block (engine/batch/block.c) have room for its first block's
 * configurations and as many more as fill the huge pages those take; a later block of more
 * gets new slots between blocks (batch_block_room). With 18 assets a slot takes some 5 KB:
 * the first block's 192 are on huge pages with room for fewer than the 384 the blocks of a
 * sweep of bands grow to, so the slots are made anew once or twice mid-run (a 2,000-band
 * sweep of 18 assets, on one thread). Every configuration comes out as it does in blocks of
 * RB_BATCH_BLOCK, whose slots never grow, to the bit, on one thread and on two. On two the
 * blocks' sizes depend on which thread takes which configurations (driver.c,
 * within_what_is_left), so only the results are held there. */
Test(batch, blocks_that_outgrow_their_slots_keep_every_result)
{
    rb_store *s = many_assets_store();
    enum { COUNT = 2000 };
    char assets[256];
    size_t at = 0;
    for (int i = 0; i < MANY_ASSETS; i++)
        at += (size_t)snprintf(assets + at, sizeof assets - at, "%s%c=%s", i ? "," : "", 'A' + i,
                               i + 1 < MANY_ASSETS ? "0.05" : "0.15");
    fixture f = fixture_of(COUNT);
    for (int k = 0; k < COUNT; k++) {
        rbt_cfgtext *c = &f.cfg[k];
        rbt_put(c, "assets", "%s", assets);
        rbt_put(c, "strategy", "threshold");
        rbt_put(c, "band", "%.5f", 0.001 + 0.2 * (double)k / COUNT);
        rbt_put(c, "fee-bps", "10");
    }
    rb_matrix *m = matrix_of_assets(s, assets);
    for (int threads = 1; threads <= 2; threads++) {
        size_t largest = largest_block_of(s, m, &f, COUNT, threads);
        if (threads == 1) cr_assert_eq(largest, RB_BATCH_CAP, "the blocks grew to %zu, not RB_BATCH_CAP", largest);
        rb_metrics *grown = kept_metrics(&f, COUNT);
        run_batch(s, m, &f, COUNT, threads, RB_BATCH_BLOCK);
        hold_to_kept(grown, &f, COUNT, "in blocks of RB_BATCH_BLOCK");
        free(grown);
    }
    rb_matrix_free(m);
    fixture_free(&f);
    rb_store_free(s);
}

/* A sweep's configurations as the batch gets them in a sweep (rb_sweep_fill: each spec
 * points to the sweep's memory), with the fixture that collects their metrics first. */
typedef struct swept {
    fixture f;
    const rb_sweep *sw;
} swept;

static rb_status swept_spec(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    (void)err;
    rb_sweep_fill(((const swept *)ctx)->sw, k, spec);
    return RB_OK;
}

/* Neighbors of a sweep that differ only in their strategy's parameters are resolved alike
 * (rb_resolve_like, setup.c): the bands, `to`, the calendar's schedule, the hybrid's mode,
 * but not a fee, an rf or a volatility model (vol-band's bands, inverse-vol targets), which
 * differ from one configuration to the next in some of their neighbors. Every one comes out
 * as rb_run's of its settings read alone, on one thread and on two (other neighbors). */
Test(batch, neighbors_that_differ_in_their_strategy_alone_come_out_as_they_do_alone)
{
    const char *text = "[data]\nassets = " RBT_RISKY "\n"
                       "[costs]\nfee-bps = 5\nslippage-bps = 3\n"
                       "[threshold]\nband = 0.005:0.06:0.005\nto = target, edge, inner:0.5\n"
                       "[threshold.rf]\nband = 0.02, 0.05\nrf = 0, 0.03\nto = target, edge\n"
                       "[threshold.inverse]\ntargets = inverse-vol\nvol-window = 20, 40\nband = 0.03, 0.06\n"
                       "[vol-band]\nband = 0.02, 0.04\nvol-model = window:20, window:60, ewma:0.94\n"
                       "[calendar]\nevery = month, quarter, 10\n"
                       "[hybrid]\nband = 0.02, 0.05\nmode = gated, either\n";
    rb_sweep *sw = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_sweep_parse_text(text, "neighbors.ini", &sw, &err), RB_OK, "%s", err.msg);
    const size_t n = (size_t)rb_sweep_count(sw);
    swept ctx = {.f = fixture_of(n), .sw = sw};
    /* each configuration's settings as text, for rb_run (hold_to_reference) */
    const rb_sweep_kv *data;
    size_t ndata = rb_sweep_data(sw, &data), cap = rb_sweep_max_keys(sw);
    rb_sweep_kv *kv = calloc(cap, sizeof *kv);
    for (size_t k = 0; k < n; k++) {
        const char *section, *strategy;
        size_t nkv = rb_sweep_config(sw, k, &section, &strategy, kv, cap);
        rbt_cfgtext *c = &ctx.f.cfg[k];
        for (size_t i = 0; i < ndata; i++) rbt_put(c, data[i].key, "%s", data[i].value);
        rbt_put(c, "strategy", "%s", strategy);
        for (size_t i = 0; i < nkv; i++) rbt_put(c, kv[i].key, "%s", kv[i].value);
    }
    free(kv);
    rb_store *s = random_store();
    rb_matrix *m = matrix_of(s, 0);
    uint64_t *idx = calloc(n, sizeof *idx);
    for (size_t k = 0; k < n; k++) idx[k] = k;
    for (int threads = 1; threads <= 2; threads++) {
        memset(ctx.f.seen, 0, n * sizeof *ctx.f.seen);
        rb_batch_options opt = {.threads = threads};
        uint64_t completed = 0;
        cr_assert_eq(rb_batch_run(s, m, idx, n, swept_spec, collect, &ctx, &opt, &completed, &err), RB_OK, "%s",
                     err.msg);
        cr_assert_eq(completed, n);
        for (size_t k = 0; k < n; k++) cr_assert_eq(ctx.f.seen[k], 1, "configuration %zu delivered %d times", k,
                                                    ctx.f.seen[k]);
        hold_to_reference(s, &ctx.f, (int)n);
    }
    free(idx);
    rb_matrix_free(m);
    rb_store_free(s);
    fixture_free(&ctx.f);
    rb_sweep_free(sw);
}

/* rb_resolve_reuses and rb_resolve_like on specs made by hand: a neighbor that differs in
 * its strategy's parameters alone is resolved like its neighbor, with the same targets and
 * costs, and is checked as alone (a per-asset band of an unknown symbol, a threshold with
 * no band: rb_resolve's message); one that differs in rf, or a neighbor that owns an input
 * (here its gas, not shared), is not resolved alike. */
Test(batch, a_neighbor_resolved_alike_is_checked_as_alone)
{
    rb_store *s = random_store();
    rb_matrix *m = matrix_of(s, 0);
    rb_run_spec *a = rbt_spec((const char *const[]){"assets", RBT_RISKY, "strategy", "threshold", "band", "0.05",
                                                    "fee-bps", "10", NULL});
    double *no_gas = calloc(m->T, sizeof *no_gas);
    rb_resolve_inputs shared = {.gas_flat = no_gas};
    rb_resolve_room room_a = {0}, room_b = {0}, room_c = {0};
    rb_resolved ra, rb, rc_;
    rb_sim_config ca, cb, cc;
    rb_error err = {0}, err_full = {0};
    cr_assert_eq(rb_resolve(s, a, m, 0, &shared, &room_a, &ra, &ca, &err), RB_OK, "%s", err.msg);

    rb_run_spec b = *a; /* the same memory but for its band */
    b.sp.band = (rb_asset_values){.all = 0.1, .has_all = 1};
    cr_assert(rb_resolve_reuses(&b, a, &ra));
    cr_assert_eq(rb_resolve_like(&b, m, &ra, &ca, &room_b, &rb, &cb, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_resolve(s, &b, m, 0, &shared, &room_c, &rc_, &cc, &err_full), RB_OK, "%s", err_full.msg);
    cr_assert(memcmp(rb.target, rc_.target, m->N * sizeof *rb.target) == 0);
    cr_assert(memcmp(rb.costs, rc_.costs, m->N * sizeof *rb.costs) == 0);
    cr_assert(rb.target != ra.target && rb.costs != ra.costs, "in a room of its own");
    cr_assert_eq(cb.plain_costs, cc.plain_costs);
    cr_assert_eq(cb.cash_col, cc.cash_col);
    cr_assert_eq(cb.gas, cc.gas);
    cr_assert_eq(cb.strategy_state, rb.strategy_state);
    rb_resolved_release(&rb), rb_resolved_release(&rc_);

    char *symbol[] = {"W"};
    double value[] = {0.02};
    b.sp.band = (rb_asset_values){.n = 1, .symbol = symbol, .value = value};
    cr_assert(rb_resolve_reuses(&b, a, &ra));
    cr_assert_neq(rb_resolve_like(&b, m, &ra, &ca, &room_b, &rb, &cb, &err), RB_OK);
    cr_assert_neq(rb_resolve(s, &b, m, 0, &shared, &room_c, &rc_, &cc, &err_full), RB_OK);
    cr_assert_str_eq(err.msg, err_full.msg);
    cr_assert(strstr(err.msg, "W"), "%s", err.msg);
    rb_resolved_release(&rb), rb_resolved_release(&rc_);

    b.sp.band = (rb_asset_values){0};
    cr_assert_neq(rb_resolve_like(&b, m, &ra, &ca, &room_b, &rb, &cb, &err), RB_OK);
    cr_assert_neq(rb_resolve(s, &b, m, 0, &shared, &room_c, &rc_, &cc, &err_full), RB_OK);
    cr_assert_str_eq(err.msg, err_full.msg);
    rb_resolved_release(&rb), rb_resolved_release(&rc_);

    b = *a;
    b.rf = 0.01;
    cr_assert_not(rb_resolve_reuses(&b, a, &ra), "rf differs");
    rb_resolved owner;
    rb_sim_config co;
    cr_assert_eq(rb_resolve(s, a, m, 0, NULL, &room_c, &owner, &co, &err), RB_OK, "%s", err.msg);
    cr_assert_not_null(owner.owned[0], "its gas its own");
    cr_assert_not(rb_resolve_reuses(a, a, &owner), "a neighbor that owns an input");
    rb_resolved_release(&owner);

    rb_resolved_release(&ra);
    rb_resolve_room_free(&room_a), rb_resolve_room_free(&room_b), rb_resolve_room_free(&room_c);
    free(no_gas);
    rb_run_spec_free(a);
    rb_matrix_free(m);
    rb_store_free(s);
}

/* A thread's first block takes RB_BATCH_FIRST configurations without taxes and RB_BATCH_BLOCK
 * with them (driver.c, first_block_size): each configuration with a fee of its own, so that
 * no block shares enough to grow; a run of fewer leaves RB_BATCH_BLOCK for the last block,
 * two threads take no more than their share; and every result is the one of blocks of
 * RB_BATCH_BLOCK. */
Test(batch, a_first_block_without_taxes_takes_more_configurations)
{
    rb_store *s = random_store();
    enum { COUNT = 600 };
    fixture f = fixture_of(COUNT);
    rb_matrix *m = matrix_of(s, 0);
    for (int taxed = 0; taxed < 2; taxed++) {
        for (int k = 0; k < COUNT; k++) {
            band_config(&f.cfg[k], k, COUNT, 0.05);
            rbt_put(&f.cfg[k], "fee-bps", "%.3f", 5 + 0.01 * k);
            if (taxed) rbt_put(&f.cfg[k], "tax-lots", "fifo"), rbt_put(&f.cfg[k], "tax-short", "0.3");
        }
        const size_t fewer = RB_BATCH_FIRST + 40;
        _Static_assert(COUNT / 4 > RB_BATCH_BLOCK && COUNT / 4 < RB_BATCH_FIRST, "two threads' share of COUNT");
        cr_assert_eq(largest_block_of(s, m, &f, COUNT, 1), taxed ? RB_BATCH_BLOCK : RB_BATCH_FIRST);
        cr_assert_eq(largest_block_of(s, m, &f, fewer, 1), taxed ? RB_BATCH_BLOCK : fewer - RB_BATCH_BLOCK);
        cr_assert_eq(largest_block_of(s, m, &f, COUNT, 2), taxed ? RB_BATCH_BLOCK : COUNT / 4);
        largest_block_of(s, m, &f, COUNT, 1);
        rb_metrics *first = kept_metrics(&f, COUNT);
        run_batch(s, m, &f, COUNT, 1, RB_BATCH_BLOCK);
        hold_to_kept(first, &f, COUNT, "in blocks of RB_BATCH_BLOCK");
        free(first);
    }
    rb_matrix_free(m);
    fixture_free(&f);
    rb_store_free(s);
}

/* Bands so narrow that every configuration rebalances on almost every bar, each with a fee
 * of its own (no state shared): a block of 200 trades them in lane groups of 24 and the
 * chunks of what is left of a bar's queue (trades.c, lane_group); each must come out as it
 * does in a block of its own, one lane a bar, and as the reference has it (each). */
Test(batch, a_bar_of_more_rebalances_than_a_lane_group_keeps_every_result)
{
    rb_store *s = random_store();
    enum { COUNT = 200 };
    fixture f = fixture_of(COUNT);
    rb_matrix *m = matrix_of(s, 0);
    for (int k = 0; k < COUNT; k++) {
        band_config(&f.cfg[k], k, COUNT, 0.0005);
        rbt_put(&f.cfg[k], "fee-bps", "%.3f", 5 + 0.01 * k);
    }
    run_batch(s, m, &f, COUNT, 1, 200);
    rb_metrics *wide = kept_metrics(&f, COUNT);
    run_batch(s, m, &f, COUNT, 1, 1);
    hold_to_kept(wide, &f, COUNT, "in a block of its own (against one of 200)");
    for (int k = 0; k < COUNT; k++)
        cr_assert_gt(wide[k].rebalances, (double)m->T / 2, "configuration %d rebalanced %g times in %zu bars", k,
                     wide[k].rebalances, m->T);
    hold_to_reference(s, &f, COUNT);
    free(wide);
    rb_matrix_free(m);
    fixture_free(&f);
    rb_store_free(s);
}

/* One thread's blocks of other policy targets in turn, each block's configurations alike:
 * each block takes its own targets' constant mix (the return the metrics against the mix
 * are taken from), though a thread keeps that series from one block to the next while the
 * targets stay the same (kernel.c, mix_series). */
Test(batch, blocks_of_other_targets_in_turn_each_take_their_own_constant_mix)
{
    rb_store *s = random_store();
    enum { BLOCK = 16, COUNT = 4 * BLOCK };
    fixture f = fixture_of(COUNT);
    for (int k = 0; k < COUNT; k++) {
        rbt_cfgtext *c = &f.cfg[k];
        /* blocks 0 and 1 of the first targets, 2 of others, 3 of the first again */
        rbt_put(c, "assets", "%s", k / BLOCK == 2 ? "X=0.1,Y=0.3,Z=0.6" : RBT_RISKY);
        rbt_put(c, "strategy", "threshold");
        rbt_put(c, "band", "%.4f", 0.01 + 0.002 * k);
        rbt_put(c, "fee-bps", "10");
    }
    rb_matrix *m = matrix_of(s, 0);
    run_batch(s, m, &f, COUNT, 1, BLOCK);
    hold_to_reference(s, &f, COUNT);
    rb_matrix_free(m);
    fixture_free(&f);
    rb_store_free(s);
}

/* A bonus the caller gives later (rb_batch_options.bonus_of): a sweep's spare thread may
 * still be computing it as the first block starts. */
static double later_bonus(void *ctx)
{
    fixture *f = ctx;
#pragma omp atomic
    f->bonus_asks++;
    return f->bonus_given;
}

/* A bonus given later is asked once, whatever the threads and blocks, when a configuration
 * first needs it; it is then every configuration's of those targets: the one the batch
 * computes itself gives the same results to the bit, and another value shows in every
 * configuration. */
Test(batch, a_bonus_given_later_is_asked_once_and_used)
{
    rb_store *s = random_store();
    enum { COUNT = 300 };
    fixture f = fixture_of(COUNT);
    rb_matrix *m = matrix_of(s, 0);
    for (int k = 0; k < COUNT; k++) {
        band_config(&f.cfg[k], k, COUNT, 0.2);
        rbt_put(&f.cfg[k], "fee-bps", "10");
    }
    /* the targets in the matrix's order, as the batch compares them */
    rb_run_spec *spec = spec_from(&f.cfg[0]);
    rb_resolved res;
    rb_resolve_room room = {0};
    rb_sim_config sc;
    rb_error err = {0};
    cr_assert_eq(rb_resolve(s, spec, m, 0, NULL, &room, &res, &sc, &err), RB_OK, "%s", err.msg);
    double target[3];
    memcpy(target, sc.target, sizeof target);
    rb_resolved_release(&res);
    rb_resolve_room_free(&room);
    rb_run_spec_free(spec);

    run_batch(s, m, &f, COUNT, 2, 32); /* the batch's own bonus */
    rb_metrics *own = kept_metrics(&f, COUNT);
    uint64_t *idx = calloc(COUNT, sizeof *idx);
    for (size_t k = 0; k < COUNT; k++) idx[k] = k;
    for (int given = 0; given < 2; given++) {
        f.bonus_given = given ? 0.125 : own[0].rebalancing_bonus;
        f.bonus_asks = 0;
        rb_batch_options opt = {.threads = 2, .block = 32, .bonus_target = target, .bonus = -1, .bonus_of = later_bonus};
        uint64_t completed = 0;
        cr_assert_eq(rb_batch_run(s, m, idx, COUNT, spec_of, collect, &f, &opt, &completed, &err), RB_OK, "%s",
                     err.msg);
        release_specs(&f, COUNT);
        cr_assert_eq(completed, COUNT);
        cr_assert_eq(f.bonus_asks, 1, "the bonus was asked %d times", f.bonus_asks);
        if (!given) hold_to_kept(own, &f, COUNT, "with the batch's own bonus given later");
        for (int k = 0; given && k < COUNT; k++)
            cr_assert_eq(f.got[k].rebalancing_bonus, 0.125, "configuration %d: bonus %.17g", k,
                         f.got[k].rebalancing_bonus);
    }
    free(idx);
    free(own);
    rb_matrix_free(m);
    fixture_free(&f);
    rb_store_free(s);
}

Test(batch, an_invalid_configuration_stops_the_batch_naming_it)
{
    rb_store *s = random_store();
    fixture f = fixture_of(3);
    draw_configs(s, 0, rbt_random_config, f.cfg, 3);
    rbt_put(&f.cfg[2], "fee-bps", "Q=5"); /* Q is not one of the assets */
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
    fixture_free(&f);
    rb_store_free(s);
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
            for (int i = 0; i < 3; i++) p[i] *= exp(0.04 * (i + 1) * (rbt_uniform() - 0.5));
        for (int i = 0; i < 3; i++)
            len += (size_t)snprintf(csv + len, cap - len, "%c,%s,%.6f,%.6f,%.0f\n", "ABC"[i], date, p[i], p[i],
                                    1e5 * (1 + rbt_uniform()));
    }
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    free(csv);
    return s;
}

/* The edge cases of the trade arithmetic in both simulators: --min-trade with per-order
 * fees (a lone traded asset has no order; the first allocation is never skipped), assets
 * with no trade before costs (left out), flat prices (dust), and withdrawals that empty
 * the portfolio (the run ends there). */
static void edge_config(rbt_cfgtext *c, int kind)
{
    c->n = 0;
    switch (kind) {
    case 0: /* --min-trade with fixed fees */
        rbt_put(c, "assets", "A=0.3333333333333333,B=0.3333333333333333,C=0.3333333333333334");
        rbt_put(c, "strategy", "calendar");
        rbt_put(c, "every", "%s", rbt_pick(2) ? "day" : "week");
        /* now and then above the first allocation's orders, which trade all the same */
        rbt_put(c, "min-trade", "%d", rbt_pick(4) ? 200 + rbt_pick(4000) : 20000 + rbt_pick(30000));
        rbt_put(c, "fee-fixed", "%d", 1 + rbt_pick(5));
        if (rbt_pick(2)) rbt_put(c, "fee-bps", "%.1f", 10 * rbt_uniform());
        break;
    case 1: /* zero-trade assets, kernel-decided (proportional costs) or not */
        rbt_put(c, "assets", "A=0.25,B=0.25,C=0.5");
        rbt_put(c, "strategy", rbt_pick(2) ? "calendar" : "threshold");
        if (!strcmp(c->value[1], "calendar")) rbt_put(c, "every", "day");
        else rbt_put(c, "band", "%.3f", 0.001 + 0.02 * rbt_uniform());
        rbt_put(c, "fee-bps", "%.1f", 1 + 20 * rbt_uniform());
        if (rbt_pick(3) == 0) rbt_put(c, "fee-fixed", "%.2f", rbt_uniform());
        if (rbt_pick(3) == 0) rbt_put(c, "exec", "next-open");
        break;
    default: /* withdrawals, most of which empty the portfolio */
        rbt_put(c, "assets", "%s", rbt_pick(2) ? "A=0.25,B=0.25,C=0.5" : "A=0.5,B=0.3,CASH=0.2");
        rbt_put(c, "strategy", rbt_pick(2) ? "calendar" : "buy-and-hold");
        if (!strcmp(c->value[1], "calendar")) rbt_put(c, "every", "%s", rbt_pick(2) ? "day" : "month");
        rbt_put(c, "contribution", "-%d", 2000 + rbt_pick(40000));
        rbt_put(c, "contribution-every", "%s", rbt_pick(3) ? "month" : "quarter");
        if (rbt_pick(2)) rbt_put(c, "flows", "rebalance");
        rbt_put(c, "fee-bps", "%.1f", 20 * rbt_uniform());
        if (rbt_pick(3) == 0) rbt_put(c, "fee-fixed", "%.2f", rbt_uniform());
        if (rbt_pick(2)) {
            rbt_put(c, "tax-short", "0.3");
            rbt_put(c, "tax-long", "0.15");
        }
        if (rbt_pick(4) == 0) rbt_put(c, "exec", "next-open");
        if (rbt_pick(4) == 0) rbt_put(c, "lot-size", "0.1");
        if (rbt_pick(4) == 0) rbt_put(c, "min-trade", "%d", rbt_pick(500));
        break;
    }
}

Test(batch, equals_the_reference_on_the_edges_of_the_trade_arithmetic)
{
    rb_store *s = edge_store();
    enum { COUNT = 240 };
    fixture f = fixture_of(COUNT);
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
    fixture_free(&f);
    rb_store_free(s);
}
