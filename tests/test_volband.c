/* test_volband.c - the volatility-aware band rule (strategies/vol_band.c) and
 * inverse-volatility targets (--targets inverse-vol): scales and weights recomputed here
 * from the prices by independent arithmetic, hand-built calm and stormy series, and the
 * no-look-ahead property. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebal.h"
#include "resolve.h"
#include "run_result.h"
#include "spec.h"
#include "strategy.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(volband, .init = setup, .fini = teardown, .timeout = 60);

#define KV RBT_KV
#define ALL RBT_KEEP_ALL
/* The shared run helpers (tests/support.c), bound to this suite's scratch directory. */
#define assert_close rbt_assert_close
#define run_store rbt_run_store
#define run_csv(csv, kv, keep) rbt_run_csv(dir, csv, kv, keep)
#define run_expect_error(csv, kv, needle) rbt_run_expect_error(dir, csv, kv, needle)
#define store_from_csv(csv) rbt_store_from_csv(dir, csv, NULL)
#define spec_from rbt_spec

/* ---------------------------------------------------------------- run helpers (as in test_engine.c) */






/* A wide CSV of bars from 2020-01-01: header "date,SYM,...", then prices[t * n + i]
 * printed with 17 digits (they read back as the same doubles). Bar t falls on day t, or with
 * gaps on day t + t / 3 (a day skipped after every third bar). Malloc'ed. */
static char *dated_csv(const char *const *syms, size_t n, size_t T, const double *prices, int gaps)
{
    size_t cap = 64 + T * (16 + 26 * n), len = 0;
    char *csv = malloc(cap);
    cr_assert_not_null(csv);
    len += (size_t)snprintf(csv + len, cap - len, "date");
    for (size_t i = 0; i < n; i++) len += (size_t)snprintf(csv + len, cap - len, ",%s", syms[i]);
    len += (size_t)snprintf(csv + len, cap - len, "\n");
    for (size_t t = 0; t < T; t++) {
        char date[32];
        rb_time_format(1577836800 + (rb_time)(t + (gaps ? t / 3 : 0)) * 86400, date);
        len += (size_t)snprintf(csv + len, cap - len, "%s", date);
        for (size_t i = 0; i < n; i++) len += (size_t)snprintf(csv + len, cap - len, ",%.17g", prices[t * n + i]);
        len += (size_t)snprintf(csv + len, cap - len, "\n");
    }
    cr_assert_lt(len, cap);
    return csv;
}

static char *wide_csv(const char *const *syms, size_t n, size_t T, const double *prices)
{
    return dated_csv(syms, n, T, prices, 0);
}

/* Prices from 100 following the log returns ret[t * n + i] (row 0 unused). */
static void prices_from_returns(size_t n, size_t T, const double *ret, double *prices)
{
    for (size_t i = 0; i < n; i++) {
        double cum = 0;
        prices[i] = 100;
        for (size_t t = 1; t < T; t++) {
            cum += ret[t * n + i];
            prices[t * n + i] = 100 * exp(cum);
        }
    }
}

/* The bars at which rebalance orders executed (ascending, distinct); returns their count. */
static size_t rebalance_bars(const rb_run_result *r, size_t *bars, size_t cap)
{
    size_t n = 0;
    const rb_portfolio *p = &r->sim.portfolio;
    for (size_t k = 0; k < p->ntrades; k++) {
        const rb_trade *tr = &p->trades[k];
        if (tr->kind != RB_TRADE_REBALANCE || tr->skipped) continue;
        if (n > 0 && bars[n - 1] == tr->bar) continue;
        cr_assert_lt(n, cap);
        bars[n++] = tr->bar;
    }
    cr_assert_eq((double)n, p->rebalances, "rebalance bars vs the rebalance count");
    return n;
}

/* ---------------------------------------------------------------- independent statistics */

/* Sample (n - 1) stdev of x[0..n-1], two passes; 0 with fewer than 2 values. */
static double sample_sd(const double *x, size_t n)
{
    if (n < 2) return 0;
    double mean = 0, ss = 0;
    for (size_t k = 0; k < n; k++) mean += x[k];
    mean /= (double)n;
    for (size_t k = 0; k < n; k++) ss += (x[k] - mean) * (x[k] - mean);
    return sqrt(ss / (double)(n - 1));
}

/* Log return of column i at bar t >= 1 in a T x n price table. */
static double log_ret(const double *prices, size_t n, size_t t, size_t i)
{
    return log(prices[t * n + i] / prices[(t - 1) * n + i]);
}

/* Stdev of column i's log returns over bars from..t (from >= 1). */
static double sd_returns(const double *prices, size_t n, size_t from, size_t t, size_t i)
{
    double x[512];
    size_t k = 0;
    cr_assert_lt(t - from + 1, sizeof x / sizeof x[0]);
    for (size_t u = from; u <= t; u++) x[k++] = log_ret(prices, n, u, i);
    return sample_sd(x, k);
}

/* Stdev of the last W log returns up to bar t (fewer at the start). */
static double sd_window(const double *prices, size_t n, size_t W, size_t t, size_t i)
{
    return sd_returns(prices, n, t >= W ? t - W + 1 : 1, t, i);
}

/* The vol-band scale of column i at bar t, written from its definition: annualized window
 * stdev over the reference (ref > 0 given; NaN: the annualized stdev of every return from
 * bar 1 to t), 1 for CASH, before 2 returns, or with a zero reference. */
static double expected_scale(const double *prices, size_t n, size_t W, double P, size_t t, size_t i, double ref,
                             int cash)
{
    if (cash || t < 2) return 1;
    double sigma = sd_window(prices, n, W, t, i) * sqrt(P);
    double V = isnan(ref) ? sd_returns(prices, n, 1, t, i) * sqrt(P) : ref;
    return V > 0 ? sigma / V : 1;
}

/* ---------------------------------------------------------------- probing the rule directly */

/* A vol-band state set up on the matrix a run of the same settings loaded. */
typedef struct probe {
    rb_run_result *r;
    const rb_strategy *s;
    rb_resolve_room room;
    rb_resolved res;
    void *state;
} probe;

static probe probe_new(const char *csv, const char *const *kv)
{
    rb_store *st = store_from_csv(csv);
    rb_run_spec *spec = spec_from(kv);
    probe p = {.s = rb_strategy_find("vol-band")};
    cr_assert_not_null(p.s, "vol-band is not registered");
    rb_error err = {0};
    cr_assert_eq(rb_run(st, spec, 0, &p.r, &err), RB_OK, "%s", err.msg);
    rb_sim_config c;
    cr_assert_eq(rb_resolve(st, spec, p.r->m, 0, NULL, &p.room, &p.res, &c, &err), RB_OK, "%s", err.msg);
    p.state = p.res.strategy_state;
    rb_run_spec_free(spec);
    rb_store_free(st);
    return p;
}

static void probe_free(probe *p)
{
    rb_resolved_release(&p->res);
    rb_resolve_room_free(&p->room);
    rb_run_result_free(p->r);
}

/* Whether vol-band rebalances at bar t when asset i sits d away from its target and asset
 * j (when j < N) -d away, the others on target (cooldown passed); the weights it would
 * trade to go to `to` (may be NULL). */
static int probe_move(const probe *p, size_t t, size_t i, double d, size_t j, double *to)
{
    size_t N = p->r->m->N;
    double w[16], scratch[16];
    cr_assert_leq(N, 16);
    if (!to) to = scratch;
    memcpy(w, p->r->target, N * sizeof *w);
    memcpy(to, p->r->target, N * sizeof *to);
    w[i] += d;
    if (j < N) w[j] -= d;
    rb_decide_ctx ctx = {.m = p->r->m,
                         .t = t,
                         .weights = w,
                         .target = p->r->target,
                         .next_target = p->r->target,
                         .last_rebalance = 0};
    return p->s->decide(p->state, &ctx, to);
}

static int probe_decide(const probe *p, size_t t, size_t i, double d) { return probe_move(p, t, i, d, SIZE_MAX, NULL); }

/* Asserts that asset i's absolute band at bar t is band * want: a drift just beyond
 * triggers, one just inside does not (either side of the target). */
static void assert_band(const probe *p, size_t t, size_t i, double band, double want, const char *what)
{
    double edge = band * want;
    if (edge == 0) {
        cr_assert(probe_decide(p, t, i, 1e-12), "%s: bar %zu asset %zu: a zero band must trigger on any drift", what, t,
                  i);
        return;
    }
    for (int side = -1; side <= 1; side += 2) {
        cr_assert(probe_decide(p, t, i, side * edge * (1 + 1e-9)), "%s: bar %zu asset %zu: drift %g beyond %g*%g kept",
                  what, t, i, side * edge * (1 + 1e-9), band, want);
        cr_assert(!probe_decide(p, t, i, side * edge * (1 - 1e-9)),
                  "%s: bar %zu asset %zu: drift %g inside %g*%g traded", what, t, i, side * edge * (1 - 1e-9), band,
                  want);
    }
}

/* ---------------------------------------------------------------- calm and storm */

/* Two assets, 50/50, P = 1 (so annualized = per bar), window 3, --vol-ref 0.05, band 0.05,
 * cooldown 3 (decisions on bars 3 and 6 only). Log returns per bar:
 *   calm  (bars 1-3)  A 0.08 0.06 0.08   B 0.01 -0.01 0.01: both stdevs 0.011547, s = 0.2309
 *   storm (bars 4-6)  A 0.30 -0.30 0.21  B -0.20 0.20 0.00: stdevs 0.3236 and 0.2, s = 6.47, 4
 * Over each stretch A gains 0.21 in log terms on B, so from 50/50 the drift is
 * e^0.21 / (1 + e^0.21) - 1/2 = 0.0523 both times: beyond a plain 5 pp band, inside the
 * storm's widened bands (>= 0.2), outside the calm's narrowed ones (0.0115). */
Test(volband, vol_band_widens_in_storms_and_narrows_in_calm)
{
    enum { T = 7, n = 2 };
    const double ret[T * n] = {0, 0, 0.08, 0.01, 0.06, -0.01, 0.08, 0.01, 0.30, -0.20, -0.30, 0.20, 0.21, 0.00};
    double px[T * n];
    prices_from_returns(n, T, ret, px);
    char *csv = wide_csv((const char *const[]){"A", "B"}, n, T, px);

    /* The scales and drifts by hand, from the printed prices. */
    double s3[2], s6[2];
    for (size_t i = 0; i < n; i++) {
        s3[i] = expected_scale(px, n, 3, 1, 3, i, 0.05, 0);
        s6[i] = expected_scale(px, n, 3, 1, 6, i, 0.05, 0);
        assert_close(s3[i], sqrt(0.02 * 0.02 / 3) / 0.05, 1e-9, "calm scale"); /* sd of {x, x-0.02, x} */
    }
    assert_close(s6[0], sqrt((0.23 * 0.23 + 0.37 * 0.37 + 0.14 * 0.14) / 2) / 0.05, 1e-9, "storm scale A");
    assert_close(s6[1], 0.2 / 0.05, 1e-9, "storm scale B");
    double x3 = px[3 * n] / px[0], y3 = px[3 * n + 1] / px[1];
    double d3 = x3 / (x3 + y3) - 0.5;
    double x6 = px[6 * n] / px[3 * n], y6 = px[6 * n + 1] / px[3 * n + 1];
    double d6 = x6 / (x6 + y6) - 0.5;
    assert_close(d3, exp(0.21) / (1 + exp(0.21)) - 0.5, 1e-9, "calm drift");
    assert_close(d6, d3, 1e-9, "storm drift");
    cr_assert_gt(d3, 0.05, "a plain 5 pp band must see the calm drift");
    cr_assert_gt(d3, 0.05 * fmin(s3[0], s3[1]), "the calm bands must be narrower than the drift");
    cr_assert_lt(d6, 0.05 * fmin(s6[0], s6[1]), "the storm bands must be wider than the drift");

    size_t bars[8];
    rb_run_result *r = run_csv(csv,
                               KV("assets", "A=0.5,B=0.5", "capital", "1000", "periods-per-year", "1", "vol-window",
                                  "3", "strategy", "vol-band", "band", "0.05", "vol-ref", "0.05", "cooldown", "3"),
                               ALL);
    cr_assert_eq(rebalance_bars(r, bars, 8), 1, "vol-band: the calm drift alone is traded");
    cr_assert_eq(bars[0], 3);
    assert_close(r->sim.weights[3 * n], 0.5, 1e-12, "back on target after the calm");
    assert_close(r->sim.weights[6 * n], 0.5 + d6, 1e-12, "the storm drift is left alone");
    rb_run_result_free(r);

    /* A plain threshold with the same band and cooldown trades both drifts. */
    r = run_csv(csv,
                KV("assets", "A=0.5,B=0.5", "capital", "1000", "periods-per-year", "1", "strategy", "threshold",
                   "band", "0.05", "cooldown", "3"),
                ALL);
    cr_assert_eq(rebalance_bars(r, bars, 8), 2, "threshold trades the calm and the storm drift");
    cr_assert_eq(bars[0], 3);
    cr_assert_eq(bars[1], 6);
    rb_run_result_free(r);
    free(csv);

    /* Narrows in calm: a calm drift of 0.015 (A gains 0.06 on B), inside a plain 5 pp band
     * but outside the calm band 0.05 * 0.2309 = 0.0115, is traded by vol-band only. */
    const double calm[4 * n] = {0, 0, 0.03, 0.01, 0.01, -0.01, 0.03, 0.01};
    double pc[4 * n];
    prices_from_returns(n, 4, calm, pc);
    csv = wide_csv((const char *const[]){"A", "B"}, n, 4, pc);
    double xc = pc[3 * n] / pc[0], yc = pc[3 * n + 1] / pc[1], dc = xc / (xc + yc) - 0.5;
    double sc = fmin(expected_scale(pc, n, 3, 1, 3, 0, 0.05, 0), expected_scale(pc, n, 3, 1, 3, 1, 0.05, 0));
    cr_assert(dc < 0.05 && dc > 0.05 * sc, "drift %g against bands 0.05 and %g", dc, 0.05 * sc);
    r = run_csv(csv,
                KV("assets", "A=0.5,B=0.5", "periods-per-year", "1", "vol-window", "3", "strategy", "vol-band", "band",
                   "0.05", "vol-ref", "0.05", "cooldown", "3"),
                ALL);
    cr_assert_eq(rebalance_bars(r, bars, 8), 1, "vol-band trades a small drift in calm");
    cr_assert_eq(bars[0], 3);
    rb_run_result_free(r);
    r = run_csv(csv,
                KV("assets", "A=0.5,B=0.5", "periods-per-year", "1", "strategy", "threshold", "band", "0.05",
                   "cooldown", "3"),
                ALL);
    cr_assert_eq(rebalance_bars(r, bars, 8), 0, "a plain band leaves the small drift");
    rb_run_result_free(r);
    free(csv);
}

/* ---------------------------------------------------------------- the scale, probed bar by bar */

/* A, B and CASH over 10 bars with a day skipped after every third, so a cash rate grows
 * CASH unevenly (its own volatility is not 0). B is flat over its last four bars: with a
 * positive reference its window stdev, hence its band, is then exactly 0. */
enum { PT = 10, PN = 2 };
static const double probe_px[PT * PN] = {
    100, 50, 103, 51, 99, 49.5, 104, 50.5, 101, 52, 108, 52, 97, 52, 100, 52, 96, 52, 99, 52,
};

static char *probe_csv(void) { return dated_csv((const char *const[]){"A", "B"}, PN, PT, probe_px, 1); }

/* Probes every bar >= 1 and every asset (A, B, then CASH) against expected_scale. */
static void check_scales(const char *vol_ref, const double ref[2], const char *cash_rate, const char *what)
{
    char *csv = probe_csv();
    const char *const kv_ref[] = {"assets", "A=0.4,B=0.4,CASH=0.2", "periods-per-year", "252", "cash-rate", cash_rate,
                                  "vol-window", "3", "strategy", "vol-band", "band", "0.04", "vol-ref", vol_ref, NULL};
    const char *const kv_auto[] = {"assets", "A=0.4,B=0.4,CASH=0.2", "periods-per-year", "252", "cash-rate",
                                   cash_rate, "vol-window", "3", "strategy", "vol-band", "band", "0.04", NULL};
    probe p = probe_new(csv, vol_ref ? kv_ref : kv_auto);
    cr_assert_eq(p.r->m->N, 3);
    cr_assert_str_eq(p.r->m->symbols[2], "CASH");
    int moved = 0;
    for (size_t t = 1; t < PT; t++) {
        for (size_t i = 0; i < 2; i++) {
            double want = expected_scale(probe_px, PN, 3, 252, t, i, ref[i], 0);
            moved |= fabs(want - 1) > 0.1;
            assert_band(&p, t, i, 0.04, want, what);
        }
        assert_band(&p, t, 2, 0.04, 1, what); /* CASH: never scaled */
    }
    cr_assert(moved, "%s: no scale differs from 1: the probe proves nothing", what);
    probe_free(&p);
    free(csv);
}

Test(volband, vol_band_scale_with_auto_reference_is_window_over_expanding_volatility)
{
    check_scales(NULL, (const double[]){NAN, NAN}, "0", "auto");
    check_scales("auto", (const double[]){NAN, NAN}, "0", "auto (spelled out)");
    /* The zero band of B's flat window under its own (positive) expanding reference. */
    cr_assert_eq(expected_scale(probe_px, PN, 3, 252, 8, 1, NAN, 0), 0);
}

Test(volband, vol_band_scale_with_a_fixed_reference)
{
    check_scales("0.3", (const double[]){0.3, 0.3}, "0", "--vol-ref 0.3");
    check_scales("1.5", (const double[]){1.5, 1.5}, "0", "--vol-ref 1.5");
}

Test(volband, vol_band_reference_per_asset)
{
    check_scales("0.3,B=0.5", (const double[]){0.3, 0.5}, "0", "--vol-ref 0.3,B=0.5");
    /* Assets not named, with no scalar, keep their own expanding reference. */
    check_scales("A=0.25", (const double[]){0.25, NAN}, "0", "--vol-ref A=0.25");
    check_scales("B=0.8,A=2", (const double[]){2, 0.8}, "0", "--vol-ref B=0.8,A=2");
}

Test(volband, vol_band_never_scales_cash)
{
    /* With a cash rate CASH moves a little each bar (unevenly across the skipped days, so
     * its own stdev is not 0); its band stays the plain one under any reference, including
     * one given for CASH itself. */
    check_scales(NULL, (const double[]){NAN, NAN}, "0.05", "auto, cash rate");
    check_scales("0.3", (const double[]){0.3, 0.3}, "0.05", "--vol-ref 0.3, cash rate");
    check_scales("0.3,CASH=0.0001", (const double[]){0.3, 0.3}, "0.05", "--vol-ref with CASH named");
    /* Not vacuous: CASH's own window-over-expanding ratio is far from 1 on some bar. */
    char *csv = probe_csv();
    probe p = probe_new(csv, KV("assets", "A=0.4,B=0.4,CASH=0.2", "cash-rate", "0.05", "vol-window", "3", "strategy",
                                "vol-band", "band", "0.04"));
    double cash_px[PT];
    for (size_t t = 0; t < PT; t++) cash_px[t] = p.r->m->close[t * 3 + 2];
    cr_assert_gt(cash_px[PT - 1], cash_px[0], "the cash rate did not grow CASH");
    double far = 0;
    for (size_t t = 2; t < PT; t++) far = fmax(far, fabs(expected_scale(cash_px, 1, 3, 252, t, 0, NAN, 0) - 1));
    cr_assert_gt(far, 0.1, "CASH's own ratio stays near 1: the CASH probes prove nothing");
    probe_free(&p);
    free(csv);
}

/* A column that never moves (a stablecoin quoted at exactly 1): under its own expanding
 * reference V = 0 and s = 1; under any fixed reference its window stdev is 0, so s = 0 and
 * its band closes (any drift of it triggers). */
Test(volband, vol_band_flat_column_keeps_its_band_under_auto_reference)
{
    enum { T = 8 };
    double px[T * 2];
    for (size_t t = 0; t < T; t++) {
        px[t * 2] = probe_px[t * PN];
        px[t * 2 + 1] = 1;
    }
    char *csv = wide_csv((const char *const[]){"A", "S"}, 2, T, px);
    probe p = probe_new(csv, KV("assets", "A=0.6,S=0.4", "periods-per-year", "252", "vol-window", "3", "strategy",
                                "vol-band", "band", "0.04"));
    for (size_t t = 1; t < T; t++) {
        assert_band(&p, t, 1, 0.04, 1, "flat column, auto");
        assert_band(&p, t, 0, 0.04, expected_scale(px, 2, 3, 252, t, 0, NAN, 0), "A beside a flat column");
    }
    probe_free(&p);
    p = probe_new(csv, KV("assets", "A=0.6,S=0.4", "periods-per-year", "252", "vol-window", "3", "strategy",
                          "vol-band", "band", "0.04", "vol-ref", "0.3"));
    assert_band(&p, 1, 1, 0.04, 1, "flat column, bar 1");
    for (size_t t = 2; t < T; t++) assert_band(&p, t, 1, 0.04, 0, "flat column, fixed reference");
    probe_free(&p);
    p = probe_new(csv, KV("assets", "A=0.6,S=0.4", "periods-per-year", "252", "vol-window", "3", "strategy",
                          "vol-band", "band", "0.04", "vol-ref", "0.3,S=0.01"));
    for (size_t t = 2; t < T; t++) assert_band(&p, t, 1, 0.04, 0, "flat column, a reference of its own");
    probe_free(&p);
    free(csv);
}

/* --to edge and --to inner:F trade a breached asset back to its scaled band edge: with A d
 * beyond its band (and CASH, whose band is 1, giving up d), A goes to 0.4 + 0.04 s and B
 * and CASH share the rest in proportion to their targets. */
Test(volband, vol_band_trades_to_the_scaled_edge)
{
    char *csv = probe_csv();
    const char *tos[] = {"edge", "inner:0.5"};
    const double frac[] = {1, 0.5};
    for (size_t k = 0; k < 2; k++) {
        probe p = probe_new(csv, KV("assets", "A=0.4,B=0.4,CASH=0.2", "periods-per-year", "252", "vol-window", "3",
                                    "strategy", "vol-band", "band", "0.04,CASH=1", "vol-ref", "0.3", "to", tos[k]));
        for (size_t t = 2; t < PT; t++) {
            double s = expected_scale(probe_px, PN, 3, 252, t, 0, 0.3, 0), to[3];
            double d = 0.04 * s + 0.01;
            cr_assert(probe_move(&p, t, 0, d, 2, to), "bar %zu: A %g beyond its band did not trigger", t, d);
            double a = 0.4 + frac[k] * 0.04 * s;
            assert_close(to[0], a, 1e-12, tos[k]);
            assert_close(to[1], 0.4 / 0.6 * (1 - a), 1e-12, "B absorbs");
            assert_close(to[2], 0.2 / 0.6 * (1 - a), 1e-12, "CASH absorbs");
            /* The same on the other side: A below its band. */
            cr_assert(probe_move(&p, t, 0, -d, 2, to));
            assert_close(to[0], 0.4 - frac[k] * 0.04 * s, 1e-12, tos[k]);
        }
        probe_free(&p);
    }
    free(csv);
}

Test(volband, vol_band_scales_relative_and_total_bands)
{
    /* --band-rel R: |w - t| / t > R * s; --band-total X: drift > X * sum(t * s) / sum(t). */
    char *csv = probe_csv();
    probe p = probe_new(csv, KV("assets", "A=0.4,B=0.4,CASH=0.2", "periods-per-year", "252", "vol-window", "3",
                                "strategy", "vol-band", "band-rel", "0.25", "vol-ref", "0.3"));
    for (size_t t = 1; t < PT; t++)
        for (size_t i = 0; i < 2; i++)
            assert_band(&p, t, i, 0.25 * 0.4, expected_scale(probe_px, PN, 3, 252, t, i, 0.3, 0), "band-rel");
    probe_free(&p);
    p = probe_new(csv, KV("assets", "A=0.4,B=0.4,CASH=0.2", "periods-per-year", "252", "vol-window", "3", "strategy",
                          "vol-band", "band-total", "0.1", "vol-ref", "0.3"));
    for (size_t t = 1; t < PT; t++) {
        double mean = 0.4 * expected_scale(probe_px, PN, 3, 252, t, 0, 0.3, 0) +
                      0.4 * expected_scale(probe_px, PN, 3, 252, t, 1, 0.3, 0) + 0.2 * 1;
        /* One asset d away: the total drift is d / 2. */
        assert_band(&p, t, 0, 2 * 0.1, mean, "band-total");
    }
    probe_free(&p);
    free(csv);
}

/* ---------------------------------------------------------------- errors */

Test(volband, vol_band_errors_name_the_parameter)
{
    char *csv = probe_csv();
    const char *a = "A=0.4,B=0.4,CASH=0.2";
    run_expect_error(csv, KV("assets", a, "strategy", "vol-band"), "vol-band needs --band, --band-rel or --band-total");
    run_expect_error(csv, KV("assets", a, "strategy", "vol-band", "vol-ref", "0.5"), "needs --band");
    run_expect_error(csv, KV("assets", a, "strategy", "vol-band", "band", "0.05", "vol-ref", "high"),
                     "--vol-ref: 'high' is not a number");
    run_expect_error(csv, KV("assets", a, "strategy", "vol-band", "band", "0.05", "vol-ref", "0"),
                     "--vol-ref: the reference volatility of A is 0");
    run_expect_error(csv, KV("assets", a, "strategy", "vol-band", "band", "0.05", "vol-ref", "0.5,B=0"),
                     "reference volatility of B is 0");
    run_expect_error(csv, KV("assets", a, "strategy", "vol-band", "band", "0.05", "vol-ref", "-0.2"), "--vol-ref");
    run_expect_error(csv, KV("assets", a, "strategy", "vol-band", "band", "0.05", "vol-ref", "60"), "--vol-ref");
    run_expect_error(csv, KV("assets", a, "strategy", "vol-band", "band", "0.05", "vol-ref", "Z=0.5"),
                     "--vol-ref: Z is not one of the --assets");
    run_expect_error(csv, KV("assets", a, "strategy", "vol-band", "band", "2"), "--band");
    run_expect_error(csv, KV("assets", a, "strategy", "threshold", "band", "0.05", "vol-ref", "0.5"),
                     "--vol-ref does not apply to strategy 'threshold'");
    free(csv);
}

/* ---------------------------------------------------------------- no look-ahead */

Test(volband, vol_band_uses_no_future_data)
{
    enum { T = 120, K = 61 };
    double px[T * 2], alt[T * 2];
    rbt_random_walk(T, px, 0x2545F4914F6CDD1Dull);
    memcpy(alt, px, sizeof px);
    for (size_t t = K + 1; t < T; t++) /* a different future: a crash and a rally */
        for (size_t i = 0; i < 2; i++) alt[t * 2 + i] = px[t * 2 + i] * (i == 0 ? 0.5 + 0.01 * (double)(t - K) : 1.3);
    char *csv = wide_csv((const char *const[]){"X", "Y"}, 2, T, px);
    char *csv_alt = wide_csv((const char *const[]){"X", "Y"}, 2, T, alt);

    const char *const configs[][24] = {
        {"assets", "X=0.5,Y=0.3,CASH=0.2", "strategy", "vol-band", "band", "0.02", "vol-window", "10", NULL},
        {"assets", "X=0.5,Y=0.3,CASH=0.2", "strategy", "vol-band", "band", "0.03", "band-rel", "0.2", "band-total",
         "0.04", "vol-ref", "0.3,Y=0.2", "vol-window", "5", "to", "halfway", "targets", "inverse-vol", "exec",
         "next-open", "fee-bps", "10", NULL},
        {"assets", "X=0.5,Y=0.3,CASH=0.2", "strategy", "vol-band", "band", "0.01", "only-breached", "1", "to", "edge",
         "cooldown", "2", "vol-window", "7", "targets", "inverse-vol", NULL},
    };
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        char what[32];
        snprintf(what, sizeof what, "config %zu", c);
        rb_run_result *a = run_csv(csv, configs[c], ALL), *b = run_csv(csv_alt, configs[c], ALL);
        rbt_same_up_to(a, b, K, what);
        size_t bars[T];
        size_t nbars = rebalance_bars(a, bars, T);
        cr_assert_geq(nbars, 2, "%s: too few rebalances to prove anything", what);
        cr_assert_leq(bars[0], (size_t)K, "%s: no rebalance before bar %d", what, K);
        cr_assert(a->sim.value[T - 1] != b->sim.value[T - 1], "%s: the changed future changed nothing", what);
        rb_run_result_free(a);
        rb_run_result_free(b);
    }
    free(csv);
    free(csv_alt);
}

/* ---------------------------------------------------------------- inverse-volatility targets */

/* A, B and CASH (--assets A=0.3,B=0.5,CASH=0.2): A swings widely, B a little. */
enum { IT = 10, IN = 2 };
static const double iv_px[IT * IN] = {
    100, 40, 104, 40.4, 98, 40.1, 106, 40.6, 101, 40.2, 95, 40.9, 103, 40.5, 110, 41.2, 104, 40.7, 108, 41.5,
};

/* The inverse-vol weights at bar t: (1 - 0.2) * (1 / sigma_i) / sum_j (1 / sigma_j) for A
 * and B over the last W returns, 0.2 for CASH. */
static void inverse_vol_weights(const double *px, size_t W, size_t t, double out[3])
{
    double inv[2], sum = 0;
    for (size_t i = 0; i < 2; i++) sum += inv[i] = 1 / sd_window(px, IN, W, t, i);
    for (size_t i = 0; i < 2; i++) out[i] = 0.8 * inv[i] / sum;
    out[2] = 0.2;
}

Test(volband, inverse_vol_targets_weight_risky_assets_by_inverse_volatility)
{
    char *csv = wide_csv((const char *const[]){"A", "B"}, IN, IT, iv_px);
    rb_run_result *r = run_csv(csv,
                               KV("assets", "A=0.3,B=0.5,CASH=0.2", "capital", "1000", "strategy", "calendar", "every",
                                  "3", "targets", "inverse-vol", "vol-window", "3"),
                               ALL);
    cr_assert_eq(r->m->N, 3);
    cr_assert_str_eq(r->m->symbols[2], "CASH");
    size_t bars[8];
    cr_assert_eq(rebalance_bars(r, bars, 8), 3);
    for (size_t k = 0; k < 3; k++) {
        size_t t = 3 * (k + 1);
        cr_assert_eq(bars[k], t);
        double want[3];
        inverse_vol_weights(iv_px, 3, t, want);
        cr_assert_gt(want[1], 2 * want[0], "B, the quieter, must weigh more");
        for (size_t i = 0; i < 3; i++) {
            assert_close(r->sim.weights[t * 3 + i], want[i], 1e-12, "weight after the rebalance");
            assert_close(r->sim.targets[t * 3 + i], want[i], 1e-12, "targets in force");
            /* The targets stay until the next rebalance. */
            if (t + 1 < IT) cr_assert_eq(r->sim.targets[(t + 1) * 3 + i], r->sim.targets[t * 3 + i]);
        }
    }
    /* Before the first rebalance the --assets weights are in force. */
    for (size_t t = 0; t < 3; t++) {
        cr_assert_eq(r->sim.targets[t * 3 + 0], 0.3);
        cr_assert_eq(r->sim.targets[t * 3 + 1], 0.5);
        cr_assert_eq(r->sim.targets[t * 3 + 2], 0.2);
    }
    /* Zero cost: the value is buy-and-hold between rebalances from the traded weights. */
    double v = 1000, w[3] = {0.3, 0.5, 0.2};
    for (size_t t = 1; t < IT; t++) {
        double grown[3] = {w[0] * iv_px[t * IN] / iv_px[(t - 1) * IN],
                           w[1] * iv_px[t * IN + 1] / iv_px[(t - 1) * IN + 1], w[2]};
        double g = grown[0] + grown[1] + grown[2];
        v *= g;
        for (size_t i = 0; i < 3; i++) w[i] = grown[i] / g;
        if (t % 3 == 0) inverse_vol_weights(iv_px, 3, t, w);
        assert_close(r->sim.value[t], v, 1e-12, "value");
    }
    rb_run_result_free(r);
    free(csv);
}

Test(volband, inverse_vol_targets_use_the_assets_weights_until_volatility_is_known)
{
    /* Daily rebalancing, window 4: bar 1 has one return (no stdev) and rebalances to the
     * --assets weights; bar 2 on two returns, bar 3 on three, then four. */
    char *csv = wide_csv((const char *const[]){"A", "B"}, IN, IT, iv_px);
    rb_run_result *r = run_csv(csv,
                               KV("assets", "A=0.3,B=0.5,CASH=0.2", "strategy", "calendar", "every", "day", "targets",
                                  "inverse-vol", "vol-window", "4"),
                               ALL);
    const double stat[3] = {0.3, 0.5, 0.2};
    for (size_t i = 0; i < 3; i++) assert_close(r->sim.weights[1 * 3 + i], stat[i], 1e-12, "bar 1: --assets weights");
    for (size_t t = 2; t < IT; t++) {
        double want[3];
        inverse_vol_weights(iv_px, 4, t, want);
        for (size_t i = 0; i < 3; i++) assert_close(r->sim.weights[t * 3 + i], want[i], 1e-12, "inverse-vol weight");
    }
    rb_run_result_free(r);
    free(csv);
}

/* A swings +-2 % each bar, B +-0.1 %: inverse-vol targets near 5/95 from bar 2 on, while
 * the drift from the 50/50 targets in force stays under 0.5 pp. Bar 6: A jumps 40 %: the
 * drift from 50/50 is 1.4 / 2.4 - 0.5 = 0.083 and the rule rebalances, adopting the
 * inverse-vol targets of bar 6. A band rule measured against the next targets instead
 * would have traded on bar 2. */
enum { DT = 9 };
static const double drift_px[DT * 2] = {
    100, 100, 102, 100.1, 100, 100, 102, 100.1, 100, 100, 102, 100.1, 140, 100, 141.4, 100.1, 140, 100,
};

static void check_targets_in_force(const char *const *kv, const char *what)
{
    char *csv = wide_csv((const char *const[]){"A", "B"}, 2, DT, drift_px);
    rb_run_result *r = run_csv(csv, kv, ALL);
    size_t bars[DT];
    size_t n = rebalance_bars(r, bars, DT);
    cr_assert_geq(n, 1, "%s: no rebalance", what);
    cr_assert_eq(bars[0], 6, "%s: first rebalance on bar %zu, not 6", what, bars[0]);
    for (size_t t = 1; t < 6; t++) {
        cr_assert_eq(r->sim.targets[t * 2], 0.5, "%s: targets in force changed on bar %zu", what, t);
        double next_a = 1 / sd_window(drift_px, 2, 4, t, 0) /
                        (1 / sd_window(drift_px, 2, 4, t, 0) + 1 / sd_window(drift_px, 2, 4, t, 1));
        if (t >= 2) cr_assert_gt(fabs(r->sim.weights[t * 2] - next_a), 0.3, "%s: bar %zu proves nothing", what, t);
    }
    double a = 1 / sd_window(drift_px, 2, 4, 6, 0), b = 1 / sd_window(drift_px, 2, 4, 6, 1);
    assert_close(r->sim.targets[6 * 2], a / (a + b), 1e-12, "adopted target A");
    assert_close(r->sim.weights[6 * 2], a / (a + b), 1e-12, "weight A after the rebalance");
    assert_close(r->sim.weights[6 * 2 + 1], b / (a + b), 1e-12, "weight B after the rebalance");
    /* Afterwards the drift is measured from the adopted targets: bar 7 moves A by 1 %. */
    cr_assert(n == 1 || bars[1] > 7, "%s: traded on bar 7", what);
    rb_run_result_free(r);
    free(csv);
}

Test(volband, band_rules_measure_drift_against_the_targets_in_force)
{
    check_targets_in_force(KV("assets", "A=0.5,B=0.5", "strategy", "threshold", "band", "0.05", "targets",
                              "inverse-vol", "vol-window", "4"),
                           "threshold");
    /* vol-band, auto reference: its scales here stay near 1 (about 1.2 for A and 1.05 for B
     * on bar 6), so the same bars decide. */
    check_targets_in_force(KV("assets", "A=0.5,B=0.5", "strategy", "vol-band", "band", "0.05", "targets",
                              "inverse-vol", "vol-window", "4"),
                           "vol-band (auto reference)");
}
