/* test_overlay_props.c - the perpetual-futures overlay's invariants over random configurations
 * (rule, fees, funding series and period, margin, liquidation, what follows one): the
 * collateral is never negative, exposure is at the targets after every overlay rebalance, and
 * value is conserved up to the recorded PnL, funding, fees, liquidations, spot costs and tax;
 * and the batch simulator (sweeps) agrees with the reference on every configuration with or
 * without an overlay (differential, to 1e-9). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "overlay.h"
#include "rebal.h"
#include "resolve.h"
#include "run_result.h"
#include "spec.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(overlay_props, .init = setup, .fini = teardown, .timeout = 300);

enum { T = 420, CONFIGS = 40 }; /* 420 days: across a year end (taxes paid) */

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double uniform(uint64_t *s) { return (double)(next(s) >> 11) / 9007199254740992.0; }

/* X and Y over T daily bars (rbt_random_walk) with funding series fx and fy: rates in
 * +-0.003 that follow each asset's last return (positive in rallies, negative in falls). */
static rb_store *market(uint64_t seed)
{
    double px[2 * T];
    rbt_random_walk(T, px, seed);
    size_t cap = 64 + T * 64;
    char *csv = malloc(cap);
    size_t len = (size_t)snprintf(csv, cap, "symbol,date,close\n");
    rb_time t0 = 1577836800;
    for (size_t t = 0; t < T; t++) {
        char date[32];
        rb_time_format(t0 + (rb_time)t * 86400, date);
        len += (size_t)snprintf(csv + len, cap - len, "X,%s,%.6f\nY,%s,%.6f\n", date, px[2 * t], date, px[2 * t + 1]);
    }
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    free(csv);
    rb_time time[T];
    double rate[T];
    rb_error err = {0};
    for (int a = 0; a < 2; a++) {
        for (size_t t = 0; t < T; t++) {
            time[t] = t0 + (rb_time)t * 86400;
            double r = t ? px[2 * t + a] / px[2 * (t - 1) + a] - 1 : 0;
            rate[t] = fmax(-0.003, fmin(0.003, 0.05 * r + 0.0001));
        }
        cr_assert_eq(rb_series_import_arrays(s, a ? "fy" : "fx", time, rate, T, 0, NULL, &err), RB_OK, "%s", err.msg);
    }
    return s;
}

/* Configuration k's settings, drawn from the stream; every value a string kept in buf. */
typedef struct drawn {
    const char *kv[48];
    char buf[8][32];
    int reopen, taxed, capped;
} drawn;

static void draw(uint64_t *s, drawn *d, int overlay)
{
    const char *const *rules[] = {
        RBT_KV("strategy", "calendar", "every", "week"),
        RBT_KV("strategy", "threshold", "band", "0.03"),
        RBT_KV("strategy", "hybrid", "every", "month", "band", "0.02", "mode", "either"),
        RBT_KV("strategy", "vol-band", "band", "0.04", "vol-window", "10"),
        RBT_KV("strategy", "calendar", "every", "1"),
    };
    size_t n = 0, b = 0;
    d->kv[n++] = "assets", d->kv[n++] = "X=0.45,Y=0.3,CASH=0.25";
    const char *const *rule = rules[next(s) % (sizeof rules / sizeof rules[0])];
    for (size_t i = 0; rule[i]; i++) d->kv[n++] = rule[i];
    d->reopen = next(s) % 2;
    d->taxed = next(s) % 3 == 0;
    d->capped = next(s) % 4 == 0;
    if (overlay) d->kv[n++] = "overlay", d->kv[n++] = "perp";
    snprintf(d->buf[b], sizeof d->buf[b], "%.3f", 20 * uniform(s));
    d->kv[n++] = "perp-fee-bps", d->kv[n++] = d->buf[b++];
    /* mostly a margin the collateral (a quarter of the value) meets, sometimes one it cannot */
    snprintf(d->buf[b], sizeof d->buf[b], "%.4f", next(s) % 3 ? 0.3 * uniform(s) : 2 + 10 * uniform(s));
    d->kv[n++] = "maintenance-margin", d->kv[n++] = d->buf[b++];
    snprintf(d->buf[b], sizeof d->buf[b], "%.2f", 100 * uniform(s));
    d->kv[n++] = "liquidation-fee-bps", d->kv[n++] = d->buf[b++];
    d->kv[n++] = "after-liquidation", d->kv[n++] = d->reopen ? "reopen" : "spot";
    if (next(s) % 3) d->kv[n++] = "funding-series", d->kv[n++] = next(s) % 2 ? "X=fx,Y=fy" : "X=fx";
    d->kv[n++] = "funding-period", d->kv[n++] = next(s) % 2 ? "bar" : "8h";
    if (d->taxed) {
        d->kv[n++] = "tax-short", d->kv[n++] = "0.35", d->kv[n++] = "tax-long", d->kv[n++] = "0.15";
        d->kv[n++] = "perp-tax", d->kv[n++] = next(s) % 2 ? "60-40" : "long";
    }
    if (d->capped) {
        snprintf(d->buf[b], sizeof d->buf[b], "%.3f", 0.02 + 0.2 * uniform(s));
        d->kv[n++] = "overlay-max", d->kv[n++] = d->buf[b++];
    }
    if (next(s) % 4 == 0) d->kv[n++] = "fee-bps", d->kv[n++] = "5";
    d->kv[n] = NULL;
}

/* The invariants of one overlay run. */
static void check_invariants(const rb_run_result *r, size_t k)
{
    const rb_overlay *ov = r->sim.overlay;
    cr_assert_not_null(ov);
    size_t N = r->sim.N;
    for (size_t t = 0; t < r->sim.T; t++) {
        cr_assert(ov->collateral[t] >= 0, "config %zu bar %zu: collateral %g", k, t, ov->collateral[t]);
        int liquidated = 0;
        for (size_t j = 0; j < ov->nliq; j++) liquidated |= ov->liq[j].bar == t;
        if (!ov->rebalanced[t] || liquidated) continue;
        for (size_t i = 0; i < N; i++)
            cr_assert(fabs(ov->exposure[t * N + i] - r->sim.targets[t * N + i]) < 1e-9,
                      "config %zu bar %zu asset %zu: exposure %.17g, target %.17g", k, t, i, ov->exposure[t * N + i],
                      r->sim.targets[t * N + i]);
    }
    /* Value conserved: from bar 0 (after the first allocation) to the end the value moved by the
     * spot holdings' price moves (units from the order records: only orders change X and Y),
     * the perps' marked PnL, less funding, perp fees, liquidation fees, the spot orders' costs
     * and the tax paid, plus what the venue absorbed (a liquidation's unpaid fee is already out
     * of liquidation_cost). */
    const rb_portfolio *p = &r->sim.portfolio;
    const rb_matrix *m = r->m;
    double units[8] = {0}, moved = 0, costs = 0, absorbed_liq = 0;
    size_t next = 0;
    for (size_t t = 0; t < r->sim.T; t++) {
        if (t > 0)
            for (size_t i = 0; i < N; i++) moved += units[i] * (m->close[t * N + i] - m->close[(t - 1) * N + i]);
        for (; next < p->ntrades && p->trades[next].bar == t; next++) {
            const rb_trade *tr = &p->trades[next];
            if (tr->skipped) continue;
            units[tr->asset] += tr->units;
            if (t > 0) costs += tr->fee + tr->slippage + tr->gas;
        }
    }
    cr_assert_eq(next, p->ntrades, "config %zu: the orders are in bar order", k);
    for (size_t j = 0; j < ov->nliq; j++) absorbed_liq += ov->liq[j].shortfall;
    double want = r->sim.value[0] + moved + ov->pnl - ov->funding - ov->fees - ov->liq_cost - costs - p->taxes +
                  (ov->shortfall - absorbed_liq);
    rbt_assert_close(r->sim.value[r->sim.T - 1], want, 1e-9, "value conserved up to the recorded flows");
}

Test(overlay_props, invariants_over_random_configurations)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    rb_store *s = market(11);
    size_t liquidations = 0, taxed = 0, spot = 0;
    for (size_t k = 0; k < CONFIGS; k++) {
        drawn d;
        draw(&seed, &d, 1);
        rb_run_result *r = rbt_run_store(s, d.kv, RB_KEEP_TRADES);
        check_invariants(r, k);
        liquidations += r->sim.overlay->nliq;
        taxed += r->sim.portfolio.taxes > 0;
        spot += r->sim.overlay->spot_rebalances > 0;
        rb_run_result_free(r);
    }
    cr_assert_gt(liquidations, 0, "some configuration was liquidated: the margin was exercised");
    cr_assert_gt(taxed, 0, "some configuration paid tax: conservation held through it");
    cr_assert_gt(spot, 0, "some configuration traded spot (cap or liquidation): conservation held through it");
    rb_store_free(s);
}

/* ---------------------------------------------------------------- batch against reference */

static rb_run_spec *specs[CONFIGS];

static rb_status spec_of(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    (void)ctx, (void)err;
    *spec = *specs[k];
    return RB_OK;
}

static rb_status collect(void *ctx, uint64_t k, const rb_metrics *m, rb_error *err)
{
    (void)err;
    ((rb_metrics *)ctx)[k] = *m;
    return RB_OK;
}

Test(overlay_props, the_batch_agrees_with_the_reference)
{
    uint64_t seed = 0x2545f4914f6cdd1dULL;
    rb_store *s = market(5);
    drawn d[CONFIGS];
    for (size_t k = 0; k < CONFIGS; k++) {
        draw(&seed, &d[k], k % 3 != 2); /* every third without the overlay: the kernel's */
        specs[k] = rbt_spec(d[k].kv);
    }
    rb_matrix *m = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_resolve_matrix(s, specs[0], &m, &err), RB_OK, "%s", err.msg);
    uint64_t idx[CONFIGS], completed = 0;
    for (size_t k = 0; k < CONFIGS; k++) idx[k] = k;
    static rb_metrics got[CONFIGS];
    rb_batch_options opt = {.threads = 2, .block = 7};
    cr_assert_eq(rb_batch_run(s, m, idx, CONFIGS, spec_of, collect, got, &opt, &completed, &err), RB_OK, "%s",
                 err.msg);
    cr_assert_eq(completed, CONFIGS);
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    for (size_t k = 0; k < CONFIGS; k++) {
        rb_run_result *r = rbt_run_store(s, d[k].kv, 0);
        const rb_metrics *want = rb_run_metrics(r);
        for (size_t j = 0; j < n; j++) {
            if (table[j].whole_series) continue; /* the batch keeps no series: NaN (docs/metrics.md) */
            double a = *(const double *)((const char *)&got[k] + table[j].offset);
            double b = *(const double *)((const char *)want + table[j].offset);
            if (isnan(a) && isnan(b)) continue;
            cr_assert(fabs(a - b) <= 1e-9 * fmax(1, fabs(b)), "config %zu %s: batch %.17g, reference %.17g", k,
                      table[j].name, a, b);
        }
        rb_run_result_free(r);
        rb_run_spec_free(specs[k]);
    }
    rb_matrix_free(m);
    rb_store_free(s);
}
