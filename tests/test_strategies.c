/* test_strategies.c - the rebalancing rules through rb_run: threshold and hybrid bands
 * worked by hand on few-bar series (when they trigger, and the exact weights of partial
 * rebalancing), calendar dates, closed forms, the band weights unit by unit, a registry
 * walk, the bundled monthly stocks against independent arithmetic, and the errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bands.h"
#include "rebal.h"
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
TestSuite(strategies, .init = setup, .fini = teardown, .timeout = 60);

#define KV RBT_KV
#define ALL RBT_KEEP_ALL
/* The shared run helpers (tests/support.c), bound to this suite's scratch directory. */
#define assert_close rbt_assert_close
#define run_store rbt_run_store
#define run_csv(csv, kv, keep) rbt_run_csv(dir, csv, kv, keep)
#define run_expect_error(csv, kv, needle) rbt_run_expect_error(dir, csv, kv, needle)
#define store_from_csv(csv, symbol) rbt_store_from_csv(dir, csv, symbol)
#define BIT(t) (UINT64_C(1) << (t))

/* ---------------------------------------------------------------- helpers (as in test_engine.c) */






static const rb_metrics *M(const rb_run_result *r) { return rb_run_metrics(r); }

/* The bars (below 64) at which rebalance orders executed, as a bit mask; checked against
 * the rebalances metric. */
static uint64_t rebalanced(const rb_run_result *r)
{
    uint64_t mask = 0;
    const rb_portfolio *p = &r->sim.portfolio;
    for (size_t k = 0; k < p->ntrades; k++)
        if (p->trades[k].kind == RB_TRADE_REBALANCE && !p->trades[k].skipped && p->trades[k].bar < 64)
            mask |= BIT(p->trades[k].bar);
    cr_assert_eq(M(r)->rebalances, (double)__builtin_popcountll(mask), "rebalances %g, bars %#llx", M(r)->rebalances,
                 (unsigned long long)mask);
    return mask;
}

static double W(const rb_run_result *r, size_t t, size_t i) { return r->sim.weights[t * r->m->N + i]; }

/* Zero-cost replay by plain arithmetic: units bought at the targets on bar 0 and on every
 * bar in the mask; the value at each bar into value[T]. price is T*N, row by bar. */
static void replay(size_t T, size_t N, const double *price, const double *target, uint64_t mask, double *value)
{
    double units[8] = {0};
    for (size_t t = 0; t < T; t++) {
        double v = 0;
        for (size_t i = 0; i < N; i++) v += t == 0 ? target[i] * 1000 : units[i] * price[t * N + i];
        if (t == 0 || (mask & BIT(t)))
            for (size_t i = 0; i < N; i++) units[i] = target[i] * v / price[t * N + i];
        value[t] = v;
    }
}

/* ---------------------------------------------------------------- threshold: when */

/* A 300 then 301, B flat; 50/50 of 1000 = 5 A + 5 B. Bar 1: 1500 / 2000 = 0.75 exactly,
 * drift 0.25 = the band: no trade. Bar 2: 1505 / 2005 = 0.7506: beyond, rebalance. */
static const char edge_csv[] = "date,A,B\n"
                               "2020-01-01,100,100\n"
                               "2020-01-02,300,100\n"
                               "2020-01-03,301,100\n"
                               "2020-01-04,301,100\n";

Test(strategies, threshold_triggers_only_when_drift_exceeds_the_band)
{
    rb_run_result *r = run_csv(edge_csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "threshold", "band",
                                            "0.25"),
                               ALL);
    cr_assert_eq(W(r, 1, 0), 0.75, "bar 1 must sit exactly on the band");
    cr_assert_eq(rebalanced(r), BIT(2));
    assert_close(W(r, 2, 0), 0.5, 1e-12, "back to target");
    assert_close(M(r)->final_value, 2005, 1e-12, "zero cost keeps the value");
    rb_run_result_free(r);
    /* A hair narrower and bar 1 is beyond it; after that trade (3.33 A + 10 B) bar 2 is
     * 1003.3 / 2003.3 = 0.5008: inside. */
    r = run_csv(edge_csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "threshold", "band", "0.2499"),
                ALL);
    cr_assert_eq(rebalanced(r), BIT(1));
    rb_run_result_free(r);
}

/* A 5 % target: A 100 120 130 200, B flat; 50 in A (0.5 units), 950 in B.
 * Bar 1: 60 / 1010 = 0.0594, drift 0.0094 = 18.8 % of the target: inside 25 %.
 * Bar 2: 65 / 1015 = 0.0640, drift 28.1 % of the target: beyond 25 % -> rebalance (V 1015).
 * Bar 3: 0.05 * 200 / 130 = 0.0769 of 1015 * (0.0769 + 0.95) = 1042.33: w 0.0749, 49.8 %.
 * A 5 pp absolute band never sees it: at bar 3 without trades, 100 / 1050 = 0.095. */
Test(strategies, relative_band_sees_drift_on_a_small_target)
{
    static const char csv[] = "date,A,B\n2020-01-01,100,100\n2020-01-02,120,100\n2020-01-03,130,100\n"
                              "2020-01-04,200,100\n";
    rb_run_result *rel = run_csv(csv, KV("assets", "A=0.05,B=0.95", "capital", "1000", "strategy", "threshold",
                                         "band-rel", "0.25"),
                                 ALL);
    cr_assert_eq(rebalanced(rel), BIT(2) | BIT(3));
    assert_close(M(rel)->final_value, 1015 * (0.05 * 200 / 130 + 0.95), 1e-12, "relative");
    assert_close(W(rel, 3, 0), 0.05, 1e-12, "back to 5 %");
    rb_run_result *abs = run_csv(csv, KV("assets", "A=0.05,B=0.95", "capital", "1000", "strategy", "threshold", "band",
                                         "0.05"),
                                 ALL);
    cr_assert_eq(rebalanced(abs), 0);
    assert_close(M(abs)->final_value, 0.5 * 200 + 9.5 * 100, 1e-12, "absolute: held");
    rb_run_result_free(rel);
    rb_run_result_free(abs);
}

/* The 5/25 rule on A 60 %, B 35 %, C 5 %: effective bands 5 pp, 5 pp and 1.25 pp.
 * Bar 1 (C 130): w = 600, 350, 65 of 1015 = .5911 .3448 .0640: C is 28 % off (> 25 %),
 *   no asset 5 pp off -> the relative band triggers.
 * Bar 2 (A 125): after bar 1, w = .75 .35 .05 over 1.15 = .6522 .3043 .0435: A is 5.2 pp
 *   off (> 5) but only 8.7 % of its target -> the absolute band triggers.
 *   Without the bar-1 trade: 750 350 65 of 1165 = .6438 .3004 .0558: inside 5 pp. */
Test(strategies, five_twenty_five_rule_triggers_on_either_band)
{
    static const char csv[] = "date,A,B,C\n2020-01-01,100,100,100\n2020-01-02,100,100,130\n"
                              "2020-01-03,125,100,130\n";
    const char *assets = "A=0.6,B=0.35,C=0.05";
    rb_run_result *both =
        run_csv(csv, KV("assets", assets, "strategy", "threshold", "band", "0.05", "band-rel", "0.25"), ALL);
    rb_run_result *abs = run_csv(csv, KV("assets", assets, "strategy", "threshold", "band", "0.05"), ALL);
    rb_run_result *rel = run_csv(csv, KV("assets", assets, "strategy", "threshold", "band-rel", "0.25"), ALL);
    cr_assert_eq(rebalanced(both), BIT(1) | BIT(2));
    cr_assert_eq(rebalanced(abs), 0);
    cr_assert_eq(rebalanced(rel), BIT(1));
    rb_run_result_free(both);
    rb_run_result_free(abs);
    rb_run_result_free(rel);
}

/* Four assets at 25 %: A, B up and C, D down by the same amount x, so D = 2x while no
 * single asset drifts more than x. Bar 1 (110 110 90 90): x = 0.025, D = 0.05. Bar 2
 * (125 125 75 75): w = 312.5 / 1000 = 0.3125 exactly, x = 0.0625, D = 0.125 > 0.1. */
static const char spread_csv[] = "date,A,B,C,D\n"
                                 "2020-01-01,100,100,100,100\n"
                                 "2020-01-02,110,110,90,90\n"
                                 "2020-01-03,125,125,75,75\n";
#define QUARTERS "A=0.25,B=0.25,C=0.25,D=0.25"

Test(strategies, total_band_sums_the_drift_of_every_asset)
{
    rb_run_result *total = run_csv(spread_csv, KV("assets", QUARTERS, "capital", "1000", "strategy", "threshold",
                                                  "band-total", "0.1"),
                                   ALL);
    cr_assert_eq(rebalanced(total), BIT(2));
    for (size_t i = 0; i < 4; i++) assert_close(W(total, 2, i), 0.25, 1e-12, "full rebalance");
    rb_run_result *per = run_csv(spread_csv, KV("assets", QUARTERS, "capital", "1000", "strategy", "threshold", "band",
                                                "0.1"),
                                 ALL);
    cr_assert_eq(rebalanced(per), 0, "no single asset is 10 pp off");
    cr_assert_eq(W(per, 2, 0) - 0.25, 0.0625, "bar 2 drift");
    cr_assert_eq(W(per, 2, 2) - 0.25, -0.0625, "bar 2 drift");
    rb_run_result_free(total);
    rb_run_result_free(per);
}

/* A 50 %, B 25 %, C 25 %; B doubles: w = 500 500 250 of 1250 = .4 .4 .2, drifts -.1 +.15
 * -.05. Only the named assets carry a band unless a scalar is given. */
Test(strategies, per_asset_bands_by_symbol)
{
    static const char csv[] = "date,A,B,C\n2020-01-01,100,100,100\n2020-01-02,100,200,100\n";
    static const struct {
        const char *band;
        uint64_t want;
    } cases[] = {
        {"C=0.04", BIT(1)},      /* C 5 pp off > 4 */
        {"A=0.12", 0},           /* A 10 pp off < 12; B and C have no band */
        {"0.12,C=0.3", BIT(1)},  /* B takes the scalar 0.12 and is 15 pp off */
        {"0.16,A=0.05", BIT(1)}, /* A's own 5 pp */
        {"0.16,A=0.11", 0},      /* A 10 < 11, B 15 < 16, C 5 < 16 */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,B=0.25,C=0.25", "strategy", "threshold", "band",
                                           cases[k].band),
                                   ALL);
        cr_assert_eq(rebalanced(r), cases[k].want, "--band %s", cases[k].band);
        rb_run_result_free(r);
    }
}

/* ---------------------------------------------------------------- threshold: to what */

/* A 50 %, B 25 %, C 25 % of 1000; bar 1: A 120, B 180, C 100 -> 600 450 250 of 1300:
 * w = 6/13 4.5/13 2.5/13 (.4615 .3462 .1923); drifts -1/26 (.038), +5/52 (.096), -3/52
 * (.058). With --band 0.09 only B is out (5/52 > 0.09). */
static const char one_out_csv[] = "date,A,B,C\n2020-01-01,100,100,100\n2020-01-02,120,180,100\n";

/* Runs kv on csv and checks the weights right after the rebalance on the final bar. */
static void check_weights(const char *csv, const char *const *kv, const double *want, size_t N, const char *what)
{
    rb_run_result *r = run_csv(csv, kv, ALL);
    cr_assert_eq(r->m->N, N);
    cr_assert_neq(rebalanced(r), 0, "%s: no rebalance", what);
    double sum = 0;
    for (size_t i = 0; i < N; i++) {
        assert_close(W(r, r->m->T - 1, i), want[i], 1e-12, what);
        sum += W(r, r->m->T - 1, i);
    }
    assert_close(sum, 1, 1e-12, "weights sum to 1");
    rb_run_result_free(r);
}

#define ONE_OUT(...) KV("assets", "A=0.5,B=0.25,C=0.25", "strategy", "threshold", "band", "0.09", __VA_ARGS__)

Test(strategies, partial_rebalancing_of_one_breached_asset)
{
    /* edge: B to 0.25 + 0.09 = 0.34; A and C share 0.66 as 2:1 -> 0.44, 0.22. */
    check_weights(one_out_csv, ONE_OUT("to", "edge"), (const double[]){0.44, 0.34, 0.22}, 3, "edge");
    /* halfway: B to (18/52 + 13/52) / 2 = 31/104; A and C share 73/104 -> 73/156, 73/312. */
    check_weights(one_out_csv, ONE_OUT("to", "halfway"), (const double[]){73.0 / 156, 31.0 / 104, 73.0 / 312}, 3,
                  "halfway");
    /* inner:0.5: B to 0.25 + 0.045 = 0.295; A and C share 0.705 -> 0.47, 0.235. */
    check_weights(one_out_csv, ONE_OUT("to", "inner:0.5"), (const double[]){0.47, 0.295, 0.235}, 3, "inner");
    /* target (and inner:0): the targets. */
    check_weights(one_out_csv, ONE_OUT("to", "target"), (const double[]){0.5, 0.25, 0.25}, 3, "target");
    check_weights(one_out_csv, ONE_OUT("to", "inner:0"), (const double[]){0.5, 0.25, 0.25}, 3, "inner:0");
}

Test(strategies, only_breached_keeps_the_other_weights)
{
    /* target: B sells 5/52 down to 0.25; A and C keep 6/13 and 2.5/13 and take 2/3 and 1/3 of
     * it: A = 24/52 + 10/156 = 82/156 = 41/78, C = 30/156 + 5/156 = 35/156. */
    check_weights(one_out_csv, ONE_OUT("to", "target", "only-breached", "1"),
                  (const double[]){41.0 / 78, 0.25, 35.0 / 156}, 3, "only-breached target");
    /* edge: B to 0.34, delta = 4.5/13 - 0.34 = 0.0061538; A = 6/13 + 2/3 delta = 0.4656410,
     * C = 2.5/13 + 1/3 delta = 0.1943590. */
    double delta = 4.5 / 13 - 0.34;
    check_weights(one_out_csv, ONE_OUT("to", "edge", "only-breached", "1"),
                  (const double[]){6.0 / 13 + delta * 2 / 3, 0.34, 2.5 / 13 + delta / 3}, 3, "only-breached edge");
}

#define SPREAD(...) KV("assets", QUARTERS, "capital", "1000", "strategy", "threshold", "band-total", "0.1", __VA_ARGS__)

Test(strategies, partial_rebalancing_on_the_total_band_alone)
{
    /* Bar 2 of the spread series: w = .3125 .3125 .1875 .1875, D = 0.125, no asset band.
     * edge: k = 0.1 / 0.125 = 0.8 -> 0.25 +- 0.05: the drift becomes exactly 0.1. */
    const double edge[] = {0.3, 0.3, 0.2, 0.2};
    check_weights(spread_csv, SPREAD("to", "edge"), edge, 4, "total edge");
    /* halfway: k = 1/2 -> 0.25 +- 0.03125. */
    const double half[] = {0.28125, 0.28125, 0.21875, 0.21875};
    check_weights(spread_csv, SPREAD("to", "halfway"), half, 4, "total halfway");
    /* inner:0.5: k = 0.5 * 0.1 / 0.125 = 0.4 -> 0.25 +- 0.025. */
    const double inner[] = {0.275, 0.275, 0.225, 0.225};
    check_weights(spread_csv, SPREAD("to", "inner:0.5"), inner, 4, "total inner");
    /* --only-breached changes nothing when no single asset is out. */
    check_weights(spread_csv, SPREAD("to", "edge", "only-breached", "1"), edge, 4, "total edge, only breached");
    check_weights(spread_csv, SPREAD("to", "halfway", "only-breached", "1"), half, 4, "total halfway, only breached");
}

/* A 100 200 100 200 100 200 100, B flat, 50/50 of 1000, band 0.1: after any rebalance the
 * next bar is 1/3 or 2/3 A, so without a cooldown every bar 1..6 trades. With --cooldown
 * 3: bars 1, 2 are held back (< 0 + 3; bar 2 is back at 50/50 anyway), bar 3 trades at
 * V 1500 (3.75 A, 7.5 B), bars 4, 5 are held back, bar 6: 375 + 750 = 1125, A at 1/3. */
Test(strategies, cooldown_spaces_band_rebalances)
{
    static const char csv[] = "date,A,B\n2020-01-01,100,100\n2020-01-02,200,100\n2020-01-03,100,100\n"
                              "2020-01-04,200,100\n2020-01-05,100,100\n2020-01-06,200,100\n2020-01-07,100,100\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "threshold", "band",
                                       "0.1"),
                               ALL);
    cr_assert_eq(rebalanced(r), 0x7E);
    rb_run_result_free(r);
    r = run_csv(csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "threshold", "band", "0.1", "cooldown",
                        "3"),
                ALL);
    cr_assert_eq(rebalanced(r), BIT(3) | BIT(6));
    assert_close(r->sim.value[3], 1500, 1e-12, "bar 3");
    assert_close(M(r)->final_value, 1125, 1e-12, "bar 6");
    rb_run_result_free(r);
}

/* ---------------------------------------------------------------- hybrid and calendar dates */

/* Monthly dates on daily bars: Thu 30 Jan, Fri 31 Jan, Mon 3 Feb (month), Tue 4 Feb,
 * Mon 2 Mar (month), Tue 3 Mar. A 100 200 210 105 110 100, B flat, 50/50, band 0.1.
 * gated: bar 1 (2/3 A) is no date; bar 2 (date): 1050 / 1550 = .677 -> trade; bar 3 (1/3
 *   A) is no date; bar 4 (date): 3.6905 A * 110 of 1180.95 = .344 -> trade.
 * either: bar 1 out of band -> trade (1500: 3.75 A, 7.5 B); bar 2 date (w .512) -> trade;
 *   bar 3: 384.4 / 1153.1 = 1/3 -> trade; bar 4 date -> trade; bar 5: .476, inside. */
static const char hybrid_csv[] = "date,A,B\n"
                                 "2020-01-30,100,100\n"
                                 "2020-01-31,200,100\n"
                                 "2020-02-03,210,100\n"
                                 "2020-02-04,105,100\n"
                                 "2020-03-02,110,100\n"
                                 "2020-03-03,100,100\n";
static const double hybrid_prices[] = {100, 100, 200, 100, 210, 100, 105, 100, 110, 100, 100, 100};

static void check_replay(const rb_run_result *r, const double *prices, const double *target, uint64_t mask)
{
    double value[16];
    replay(r->m->T, r->m->N, prices, target, mask, value);
    for (size_t t = 0; t < r->m->T; t++) assert_close(r->sim.value[t], value[t], 1e-12, "replay");
}

Test(strategies, hybrid_gated_and_either_on_the_same_series)
{
    const double half[] = {0.5, 0.5};
    rb_run_result *gated = run_csv(hybrid_csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "hybrid",
                                                  "every", "month", "band", "0.1"),
                                   ALL);
    cr_assert_eq(rebalanced(gated), BIT(2) | BIT(4));
    check_replay(gated, hybrid_prices, half, BIT(2) | BIT(4));
    rb_run_result *either = run_csv(hybrid_csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "hybrid",
                                                   "every", "month", "band", "0.1", "mode", "either"),
                                    ALL);
    cr_assert_eq(rebalanced(either), BIT(1) | BIT(2) | BIT(3) | BIT(4));
    check_replay(either, hybrid_prices, half, BIT(1) | BIT(2) | BIT(3) | BIT(4));
    /* either with a band no drift can cross is the calendar rule, bit for bit; gated is
     * then buy-and-hold. */
    rb_run_result *cal = run_csv(hybrid_csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar",
                                                "every", "month"),
                                 ALL);
    rb_run_result *wide = run_csv(hybrid_csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "hybrid",
                                                 "every", "month", "band", "1", "mode", "either"),
                                  ALL);
    rb_run_result *held = run_csv(hybrid_csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "hybrid",
                                                 "every", "month", "band", "1"),
                                  ALL);
    for (size_t t = 0; t < cal->m->T; t++) cr_assert_eq(wide->sim.value[t], cal->sim.value[t], "bar %zu", t);
    cr_assert_eq(rebalanced(held), 0);
    /* --cooldown 3. gated: the date at bar 2 is held back (2 < 0 + 3) and at bar 4 the
     * untouched 5 A + 5 B are inside (550 / 1050 = .524): no trade at all. either: the
     * dates 2 and 4 trade regardless; the breaches at bar 1 (< 3) and bar 3 (< 2 + 3) are
     * held back. */
    rb_run_result *cool = run_csv(hybrid_csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "hybrid",
                                                 "every", "month", "band", "0.1", "cooldown", "3"),
                                  ALL);
    cr_assert_eq(rebalanced(cool), 0);
    rb_run_result_free(cool);
    cool = run_csv(hybrid_csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "hybrid", "every", "month",
                                  "band", "0.1", "cooldown", "3", "mode", "either"),
                   ALL);
    cr_assert_eq(rebalanced(cool), BIT(2) | BIT(4));
    check_replay(cool, hybrid_prices, half, BIT(2) | BIT(4));
    rb_run_result_free(gated);
    rb_run_result_free(either);
    rb_run_result_free(cal);
    rb_run_result_free(wide);
    rb_run_result_free(held);
    rb_run_result_free(cool);
}

/* Thu 30 Jan, Fri 31 Jan, Mon 3 Feb, Fri 28 Feb, Mon 2 Mar, Tue 3 Mar; A rises every bar so
 * every date trades. First bars of a month: 2 and 4. Last bars: 1 (31 Jan) and 3 (28 Feb);
 * the final bar is never a last bar. */
Test(strategies, calendar_first_and_last_bar_of_the_month)
{
    static const char csv[] = "date,A,B\n2020-01-30,100,100\n2020-01-31,110,100\n2020-02-03,120,100\n"
                              "2020-02-28,130,100\n2020-03-02,140,100\n2020-03-03,150,100\n";
    const double prices[] = {100, 100, 110, 100, 120, 100, 130, 100, 140, 100, 150, 100}, half[] = {0.5, 0.5};
    rb_run_result *first = run_csv(csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar", "every",
                                           "month"),
                                   ALL);
    rb_run_result *last = run_csv(csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar", "every",
                                          "month", "on", "last"),
                                  ALL);
    cr_assert_eq(rebalanced(first), BIT(2) | BIT(4));
    cr_assert_eq(rebalanced(last), BIT(1) | BIT(3));
    check_replay(first, prices, half, BIT(2) | BIT(4));
    check_replay(last, prices, half, BIT(1) | BIT(3));
    rb_run_result_free(first);
    rb_run_result_free(last);
}

/* Thu 2007-12-27, Fri 12-28, Mon 12-31, Wed 2008-01-02, Thu 01-03, Mon 01-07, Tue 01-08.
 * ISO week 1 of 2008 runs Mon 2007-12-31 to Sun 2008-01-06, so the new year opens no
 * week: weekly trades on bars 2 and 5 (first) or 1 and 4 (last); yearly on bar 3. */
Test(strategies, weekly_calendar_across_a_year_end)
{
    static const char csv[] = "date,A,B\n2007-12-27,100,100\n2007-12-28,110,100\n2007-12-31,120,100\n"
                              "2008-01-02,130,100\n2008-01-03,140,100\n2008-01-07,150,100\n2008-01-08,160,100\n";
    const double prices[] = {100, 100, 110, 100, 120, 100, 130, 100, 140, 100, 150, 100, 160, 100};
    const double half[] = {0.5, 0.5};
    static const struct {
        const char *every, *on;
        uint64_t want;
    } cases[] = {
        {"week", "first", BIT(2) | BIT(5)},
        {"week", "last", BIT(1) | BIT(4)},
        {"year", "first", BIT(3)},
        {"year", "last", BIT(2)},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar", "every",
                                           cases[k].every, "on", cases[k].on),
                                   ALL);
        cr_assert_eq(rebalanced(r), cases[k].want, "%s/%s", cases[k].every, cases[k].on);
        check_replay(r, prices, half, cases[k].want);
        rb_run_result_free(r);
    }
    /* hybrid gated with band 0 on the same dates: the same trades. */
    rb_run_result *h = run_csv(csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "hybrid", "every",
                                       "week", "band", "0"),
                               ALL);
    cr_assert_eq(rebalanced(h), BIT(2) | BIT(5));
    rb_run_result_free(h);
}

/* ---------------------------------------------------------------- closed forms */

static uint64_t rng_state;
static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

/* 3 assets, T daily bars of random walks; prices into price[T*3]. */
static char *random_prices(size_t T, double *price)
{
    size_t cap = 64 + T * 64, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv + len, cap - len, "date,X,Y,Z\n");
    double p[3] = {100, 50, 10};
    for (size_t t = 0; t < T; t++) {
        char date[32];
        rb_time_format(1577836800 + (rb_time)t * 86400, date);
        len += (size_t)snprintf(csv + len, cap - len, "%s", date);
        for (int i = 0; i < 3; i++) {
            p[i] *= exp(0.06 * (uniform() - 0.5) * (i + 1));
            char num[32];
            snprintf(num, sizeof num, "%.6f", p[i]);
            price[t * 3 + (size_t)i] = strtod(num, NULL); /* what the CSV says */
            len += (size_t)snprintf(csv + len, cap - len, ",%s", num);
        }
        len += (size_t)snprintf(csv + len, cap - len, "\n");
    }
    return csv;
}

#define TRIPLE "X=0.2,Y=0.3,Z=0.5"

Test(strategies, every_bar_calendar_and_zero_band_are_the_constant_mix)
{
    rng_state = 7;
    double price[60 * 3];
    char *csv = random_prices(60, price);
    const double w[] = {0.2, 0.3, 0.5};
    rb_run_result *cal = run_csv(csv, KV("assets", TRIPLE, "strategy", "calendar", "every", "day"), ALL);
    rb_run_result *band = run_csv(csv, KV("assets", TRIPLE, "strategy", "threshold", "band", "0"), ALL);
    rb_run_result *total = run_csv(csv, KV("assets", TRIPLE, "strategy", "threshold", "band-total", "0"), ALL);
    double v = 100000;
    for (size_t t = 1; t < 60; t++) {
        double g = 0;
        for (size_t i = 0; i < 3; i++) g += w[i] * price[t * 3 + i] / price[(t - 1) * 3 + i];
        v *= g;
        assert_close(cal->sim.value[t], v, 1e-12, "calendar every day");
        assert_close(band->sim.value[t], v, 1e-12, "band 0");
        assert_close(total->sim.value[t], v, 1e-12, "total band 0");
    }
    cr_assert_eq(M(cal)->rebalances, 59);
    cr_assert_eq(M(band)->rebalances, 59);
    cr_assert_eq(M(total)->rebalances, 59);
    free(csv);
    rb_run_result_free(cal);
    rb_run_result_free(band);
    rb_run_result_free(total);
}

Test(strategies, a_band_wider_than_any_drift_is_buy_and_hold)
{
    rng_state = 11;
    double price[80 * 3];
    char *csv = random_prices(80, price);
    rb_run_result *hold = run_csv(csv, KV("assets", TRIPLE, "fee-bps", "10"), ALL);
    const char *const *wide[] = {
        KV("assets", TRIPLE, "fee-bps", "10", "strategy", "threshold", "band", "1"),
        KV("assets", TRIPLE, "fee-bps", "10", "strategy", "threshold", "band-total", "1"),
        KV("assets", TRIPLE, "fee-bps", "10", "strategy", "threshold", "band-rel", "100"),
        KV("assets", TRIPLE, "fee-bps", "10", "strategy", "threshold", "band", "1", "to", "edge", "only-breached", "1"),
        KV("assets", TRIPLE, "fee-bps", "10", "strategy", "hybrid", "every", "week", "band", "1"),
    };
    for (size_t k = 0; k < sizeof wide / sizeof wide[0]; k++) {
        rb_run_result *r = run_csv(csv, wide[k], ALL);
        for (size_t t = 0; t < 80; t++) cr_assert_eq(r->sim.value[t], hold->sim.value[t], "case %zu bar %zu", k, t);
        cr_assert_eq(M(r)->rebalances, 0);
        rb_run_result_free(r);
    }
    free(csv);
    rb_run_result_free(hold);
}

/* ---------------------------------------------------------------- the band weights, unit by unit */

static void assert_weights(const double *got, const double *want, size_t N, const char *what)
{
    double sum = 0;
    for (size_t i = 0; i < N; i++) {
        assert_close(got[i], want[i], 1e-12, what);
        sum += got[i];
    }
    assert_close(sum, 1, 1e-12, what);
}

Test(strategies, band_weights_with_dynamic_targets_cash_and_unequal_bands)
{
    double abs[3], rel[3] = {INFINITY, INFINITY, INFINITY}, to[3];
    unsigned char hit[3];
    rb_bands b = {.N = 2, .abs = abs, .rel = rel, .total = INFINITY, .to = RB_TO_EDGE};
    /* Dynamic targets: measured from t = .5 .5, traded around n = .6 .4; w = .7 .3, both
     * 0.2 off a 0.1 band -> n + 0.1, n - 0.1 = .7 .3; halfway: (.7 + .6)/2, (.3 + .4)/2. */
    abs[0] = abs[1] = 0.1;
    const double t2[] = {0.5, 0.5}, n2[] = {0.6, 0.4}, w2[] = {0.7, 0.3};
    cr_assert_eq(rb_bands_breached(&b, w2, t2, NULL, hit), 1);
    cr_assert(hit[0] && hit[1]);
    rb_bands_to(&b, w2, t2, n2, NULL, NULL, to);
    assert_weights(to, (const double[]){0.7, 0.3}, 2, "dynamic edge");
    b.to = RB_TO_HALFWAY;
    rb_bands_to(&b, w2, t2, n2, NULL, hit, to);
    assert_weights(to, (const double[]){0.65, 0.35}, 2, "dynamic halfway");
    /* Unequal bands, both out: .6 and .35 leave 0.05, shared 1:1 -> .625 .375. */
    b.to = RB_TO_EDGE;
    abs[1] = 0.15;
    rb_bands_to(&b, w2, t2, t2, NULL, NULL, to);
    assert_weights(to, (const double[]){0.625, 0.375}, 2, "every asset out");
    /* Clamped: n = .9 .1 far from t; edge would be 1.1 and -0.1 -> 1 and 0. */
    abs[1] = 0.2;
    abs[0] = 0.2;
    const double n_far[] = {0.9, 0.1}, w_far[] = {0.8, 0.2};
    rb_bands_to(&b, w_far, t2, n_far, NULL, NULL, to);
    assert_weights(to, (const double[]){1, 0}, 2, "clamped");
    /* The effective band is the tighter one: t = .8 .2 with --band 0.1 --band-rel 0.25
     * gives B 0.05; w = .74 .26 puts B 0.06 off (30 %), A inside -> B to 0.25, A 0.75. */
    b.to = RB_TO_EDGE;
    abs[0] = abs[1] = 0.1;
    rel[0] = rel[1] = 0.25;
    const double t_small[] = {0.8, 0.2}, w_small[] = {0.74, 0.26};
    cr_assert_eq(rb_bands_breached(&b, w_small, t_small, NULL, hit), 1);
    cr_assert(!hit[0] && hit[1]);
    rb_bands_to(&b, w_small, t_small, t_small, NULL, NULL, to);
    assert_weights(to, (const double[]){0.75, 0.25}, 2, "tighter band");
    rel[0] = rel[1] = INFINITY;
    /* Uninvested cash (5 %): w = .55 .3 .1 against .5 .3 .2, band 0.08: C is out.
     * edge: C to 0.12, A and B share 0.88 as 5:3 -> .55 .33.
     * --only-breached: A and B keep .55 .3 and share 1 - .12 - .85 = 0.03 as 5:3. */
    b.N = 3;
    abs[0] = abs[1] = abs[2] = 0.08;
    const double t3[] = {0.5, 0.3, 0.2}, w3[] = {0.55, 0.3, 0.1};
    cr_assert_eq(rb_bands_breached(&b, w3, t3, NULL, hit), 1);
    cr_assert(!hit[0] && !hit[1] && hit[2]);
    rb_bands_to(&b, w3, t3, t3, NULL, NULL, to);
    assert_weights(to, (const double[]){0.55, 0.33, 0.12}, 3, "cash, edge");
    b.only_breached = 1;
    rb_bands_to(&b, w3, t3, t3, NULL, hit, to);
    assert_weights(to, (const double[]){0.56875, 0.31125, 0.12}, 3, "cash, only breached");
    /* With --to target, --only-breached: C to .2, A and B share 1 - .2 - .85 = -0.05. */
    b.to = RB_TO_TARGET;
    rb_bands_to(&b, w3, t3, t3, NULL, NULL, to);
    assert_weights(to, (const double[]){0.51875, 0.28125, 0.2}, 3, "cash, only breached, target");
}

Test(strategies, band_scales_and_strict_comparisons)
{
    double abs[2] = {0.1, 0.1}, rel[2] = {INFINITY, INFINITY}, to[2];
    unsigned char hit[2];
    rb_bands b = {.N = 2, .abs = abs, .rel = rel, .total = INFINITY, .to = RB_TO_EDGE};
    const double t[] = {0.5, 0.5}, w[] = {0.625, 0.375};
    /* Scale 2 and 1: bands 0.2 and 0.1; 0.125 off each -> only B is out; e_B = 0.1. */
    const double scale[] = {2, 1};
    cr_assert_eq(rb_bands_breached(&b, w, t, scale, hit), 1);
    cr_assert(!hit[0] && hit[1]);
    rb_bands_to(&b, w, t, t, scale, NULL, to);
    assert_weights(to, (const double[]){0.6, 0.4}, 2, "scaled edge");
    /* Scale 0 on a missing band is still no band (not NaN). */
    const double zero[] = {0, 0};
    abs[0] = abs[1] = INFINITY;
    cr_assert_eq(rb_bands_breached(&b, w, t, zero, hit), 0);
    /* A total band 0.1 scaled by the target-weighted mean of 3 and 1 (= 2): 0.2 > D. */
    b.total = 0.1;
    const double s31[] = {3, 1};
    cr_assert_eq(rb_bands_breached(&b, w, t, s31, NULL), 0);
    cr_assert_eq(rb_bands_breached(&b, w, t, NULL, NULL), 1);
    /* edge on the total band alone: k = 0.1 / 0.125 -> 0.6 0.4. */
    rb_bands_to(&b, w, t, t, NULL, NULL, to);
    assert_weights(to, (const double[]){0.6, 0.4}, 2, "total edge");
    /* Band 0: strictly greater. */
    b.total = INFINITY;
    abs[0] = abs[1] = 0;
    cr_assert_eq(rb_bands_breached(&b, t, t, NULL, NULL), 0);
    cr_assert_eq(rb_bands_breached(&b, w, t, NULL, NULL), 1);
    /* Relative: 0.125 / 0.5 = 0.25, not beyond 0.25; beyond 0.2499. */
    abs[0] = abs[1] = INFINITY;
    rel[0] = rel[1] = 0.25;
    cr_assert_eq(rb_bands_breached(&b, w, t, NULL, NULL), 0);
    rel[1] = 0.2499;
    cr_assert_eq(rb_bands_breached(&b, w, t, NULL, hit), 1);
    cr_assert(!hit[0] && hit[1]);
}

/* ---------------------------------------------------------------- the registry */

/* What the batch kernel relies on, for every registered rule: its trigger (trigger.h)
 * admits every bar on which decide() acts, and a full trigger says exactly where decide()
 * acts and what it trades to (the kernel then decides in its place). decide() runs over a
 * drifting zero-cost portfolio on random prices, with random settings of the rule drawn
 * from its parameter rows. */

/* A rule's settings as "--key value" lines (line 0: --assets). */
typedef struct settings {
    char key[32][32], value[32][64];
    size_t n;
} settings;

static void put_setting(void *ctx, const char *key, const char *value)
{
    settings *st = ctx;
    cr_assert_lt(st->n, 32);
    snprintf(st->key[st->n], sizeof st->key[0], "%s", key);
    snprintf(st->value[st->n], sizeof st->value[0], "%s", value);
    st->n++;
}

/* A random draw of the rule's settings (full_only: only values that make it full). */
static rb_run_spec *rule_spec(const rb_strategy_info *rule, int full_only, settings *st)
{
    st->n = 0;
    put_setting(st, "assets", TRIPLE);
    rbt_rule_sample(rule, uniform, full_only, put_setting, st);
    rb_run_spec *spec;
    rb_error err = {0};
    cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
    for (size_t k = 0; k < st->n; k++)
        cr_assert_eq(rb_run_spec_set(spec, st->key[k], st->value[k], &err), RB_OK, "%s", err.msg);
    return spec;
}

static int is_date(const rb_trigger *tr, const rb_matrix *m, size_t t)
{
    return tr->every_bars > 0 ? t % (size_t)tr->every_bars == 0 : (m->flags[t] & tr->date_flags) != 0;
}

/* 1 when weights w are past a band of the trigger around target (no margin). */
static int past_band(const rb_trigger *tr, size_t N, const double *w, const double *target)
{
    double total = 0;
    int out = 0;
    for (size_t i = 0; i < N; i++) {
        double d = fabs(w[i] - target[i]);
        total += d;
        out |= d > tr->band_abs[i] || (target[i] > 0 && d / target[i] > tr->band_rel[i]);
    }
    return out || total / 2 > tr->band_total;
}

/* decide() over every bar of m from the targets, drifting with prices between rebalances;
 * each decision held against the trigger. Returns how many rebalances it made. */
static size_t decide_against_trigger(const rb_strategy *s, const void *state, const rb_trigger *tr,
                                     const rb_matrix *m, const double *target, const char *what)
{
    size_t N = m->N, last = 0, acted = 0;
    double w[8], to[8], full[8];
    cr_assert_leq(N, 8);
    memcpy(w, target, N * sizeof *w);
    rb_full_weights(N, target, full);
    for (size_t t = 1; t < m->T; t++) {
        double sum = 0;
        for (size_t i = 0; i < N; i++) sum += w[i] *= m->growth[t * N + i];
        for (size_t i = 0; i < N; i++) w[i] /= sum;
        memcpy(to, target, N * sizeof *to);
        rb_decide_ctx ctx = {.m = m, .t = t, .weights = w, .target = target, .next_target = target,
                             .last_rebalance = last};
        int act = s->decide(state, &ctx, to);
        int date = is_date(tr, m, t), band = tr->band_abs && past_band(tr, N, w, target), admitted = 1;
        switch (tr->kind) {
        case RB_TRIGGER_NEVER: admitted = 0; break;
        case RB_TRIGGER_DATES: admitted = date; break;
        case RB_TRIGGER_BANDS: admitted = band; break;
        case RB_TRIGGER_DATES_AND_BANDS: admitted = date && band; break;
        case RB_TRIGGER_DATES_OR_BANDS: admitted = date || band; break;
        case RB_TRIGGER_EVERY_BAR: break;
        }
        cr_assert(!act || admitted, "%s: decide() acted on bar %zu, which its trigger rules out", what, t);
        if (tr->full && tr->kind != RB_TRIGGER_EVERY_BAR) {
            cr_assert_eq(act, admitted, "%s: full trigger, but decide() %s on bar %zu", what,
                         act ? "acted" : "did not act", t);
            /* on a date (either kind), to the targets; past a band, to the full weights */
            const double *want = date && tr->kind != RB_TRIGGER_DATES_AND_BANDS ? target : full;
            for (size_t i = 0; act && i < N; i++)
                cr_assert(memcmp(&to[i], &want[i], sizeof to[i]) == 0, "%s: bar %zu, asset %zu: %.17g, not %.17g",
                          what, t, i, to[i], want[i]);
        }
        if (act) {
            memcpy(w, to, N * sizeof *w);
            last = t;
            acted++;
        }
    }
    return acted;
}

Test(strategies, every_rule_acts_only_where_its_trigger_says)
{
    rng_state = 23;
    double price[400 * 3];
    char *csv = random_prices(400, price);
    rb_store *store = store_from_csv(csv, NULL);
    const double target[] = {0.2, 0.3, 0.5};
    size_t n = rb_strategy_count();
    cr_assert_gt(n, 0);
    for (size_t k = 0; k < n; k++) {
        const rb_strategy_info *rule = rb_strategy_at(k);
        const rb_strategy *s = rb_strategy_find(rule->name);
        cr_assert_not_null(s, "%s", rule->name);
        size_t runs = 0, acted = 0, full = 0;
        /* one for every run, as a sweep's slot: reused; for two rules in three it is lent
         * memory, as a sweep block lends it: room for every run, or too small for any (64
         * bytes), which rb_resolve then replaces with a room of its own (no release frees the
         * lent array: under AddressSanitizer that would abort) */
        static _Alignas(max_align_t) char lent[4096];
        rb_resolve_room room = {0};
        if (k % 3) rb_resolve_room_lend(&room, lent, k % 3 == 1 ? 64 : sizeof lent);
        for (int tries = 0; runs < 120; tries++) {
            cr_assert_lt(tries, 1200, "rule %s: too few random settings accepted", rule->name);
            settings st;
            rb_run_spec *spec = rule_spec(rule, tries % 2, &st);
            rb_matrix *m = NULL;
            rb_resolved res;
            rb_sim_config c;
            rb_error err = {0};
            cr_assert_eq(rb_resolve_matrix(store, spec, &m, &err), RB_OK, "%s", err.msg);
            rb_status rc = rb_resolve(store, spec, m, 0, NULL, &room, &res, &c, &err);
            cr_assert(rc == RB_OK || rc == RB_ERR_USAGE, "%s: %s", rule->name, err.msg);
            if (rc == RB_OK) {
                char what[1024] = "";
                for (size_t j = 0, off = 0; j < st.n && off < sizeof what; j++)
                    off += (size_t)snprintf(what + off, sizeof what - off, " --%s %s", st.key[j], st.value[j]);
                rb_trigger tr = {.kind = RB_TRIGGER_EVERY_BAR};
                if (s->trigger) s->trigger(res.strategy_state, &tr);
                acted += decide_against_trigger(s, res.strategy_state, &tr, m, target, what);
                full += tr.full && tr.kind != RB_TRIGGER_EVERY_BAR;
                runs++;
            }
            rb_resolved_release(&res);
            rb_matrix_free(m);
            rb_run_spec_free(spec);
        }
        rb_resolve_room_free(&room);
        /* Held on both sides: some runs rebalance (or the rule never does), some are full. */
        cr_assert(acted > 0 || (s->trigger && full == runs), "rule %s never rebalanced in %zu runs", rule->name, runs);
        cr_assert(!s->trigger || full > 0, "rule %s: no random setting made its trigger full", rule->name);
    }
    rb_store_free(store);
    free(csv);
}

/* ---------------------------------------------------------------- real data, checked independently */

static int month_index(const char *date)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int m = -1, year = atoi(strrchr(date, ' ') + 1);
    for (int i = 0; i < 12; i++)
        if (strncmp(date, months[i], 3) == 0) m = i;
    return (year - 2000) * 12 + m;
}

#define MONTHS 123

/* 25 % in each of four stocks, zero cost, by plain arithmetic: a calendar rule rebalances
 * when the month number (0 = Jan 2000) is a multiple of `every`; a band rule when some
 * |w - 0.25| > band. Returns the final value; *count gets the rebalances. */
static double four_stocks(double price[4][MONTHS], int every, double band, int *count)
{
    double units[4];
    for (int i = 0; i < 4; i++) units[i] = 25000 / price[i][0];
    *count = 0;
    double v = 100000;
    for (int t = 1; t < MONTHS; t++) {
        v = 0;
        for (int i = 0; i < 4; i++) v += units[i] * price[i][t];
        int go = every > 0 ? t % every == 0 : 0;
        for (int i = 0; i < 4 && band >= 0; i++) go |= fabs(units[i] * price[i][t] / v - 0.25) > band;
        if (go) {
            for (int i = 0; i < 4; i++) units[i] = 0.25 * v / price[i][t];
            (*count)++;
        }
    }
    return v;
}

Test(strategies, four_stocks_quarterly_annual_and_a_band_match_independent_arithmetic)
{
    char *path = rbt_source_path("data/bundled/stocks_monthly.csv");
    char *text = rbt_read_file(path, NULL);
    cr_assert_not_null(text);
    static const char *const syms[] = {"AAPL", "AMZN", "IBM", "MSFT"};
    double price[4][MONTHS] = {{0}};
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char sym[8], date[16];
        double p;
        if (sscanf(line, "%7[^,],%15[^,],%lf", sym, date, &p) != 3) continue;
        int t = month_index(date);
        for (int i = 0; i < 4; i++)
            if (strcmp(sym, syms[i]) == 0 && t >= 0 && t < MONTHS) price[i][t] = p;
    }
    for (int i = 0; i < 4; i++)
        for (int t = 0; t < MONTHS; t++) cr_assert_gt(price[i][t], 0, "%s month %d missing", syms[i], t);
    int nq, ny, nb;
    double q = four_stocks(price, 3, -1, &nq), y = four_stocks(price, 12, -1, &ny);
    double b = four_stocks(price, 0, 0.05, &nb);

    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(":memory:", 0, &s, &err), RB_OK);
    rb_import_options opt;
    rb_import_options_init(&opt);
    rb_import_stats stats;
    cr_assert_eq(rb_import_files(s, (const char *const[]){path}, 1, &opt, &stats, &err), RB_OK, "%s", err.msg);
    const char *assets = "AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25";
    rb_run_result *rq = run_store(s, KV("assets", assets, "strategy", "calendar", "every", "quarter"), 0);
    rb_run_result *ry = run_store(s, KV("assets", assets, "strategy", "calendar", "every", "year"), 0);
    rb_run_result *rb = run_store(s, KV("assets", assets, "strategy", "threshold", "band", "0.05"), 0);
    cr_assert_eq(rq->m->T, MONTHS);
    cr_assert_eq(M(rq)->rebalances, nq, "quarterly: %g vs %d", M(rq)->rebalances, nq);
    cr_assert_eq(M(ry)->rebalances, ny, "annual: %g vs %d", M(ry)->rebalances, ny);
    cr_assert_eq(M(rb)->rebalances, nb, "5 pp band: %g vs %d", M(rb)->rebalances, nb);
    assert_close(M(rq)->final_value, q, 1e-9, "quarterly");
    assert_close(M(ry)->final_value, y, 1e-9, "annual");
    assert_close(M(rb)->final_value, b, 1e-9, "5 pp band");
    cr_assert_eq(nq, 40, "quarters after Jan 2000 up to Mar 2010");
    cr_assert_eq(ny, 10, "years 2001..2010");
    /* Monthly data: the monthly calendar is the every-bar calendar, bit for bit. */
    rb_run_result *mo = run_store(s, KV("assets", assets, "strategy", "calendar", "every", "month"), ALL);
    rb_run_result *day = run_store(s, KV("assets", assets, "strategy", "calendar", "every", "day"), ALL);
    for (size_t t = 0; t < MONTHS; t++) cr_assert_eq(mo->sim.value[t], day->sim.value[t], "bar %zu", t);
    cr_assert_eq(M(mo)->rebalances, MONTHS - 1);
    cr_log_info("quarterly %d rebalances, final %.6f; annual %d, %.6f; 5 pp band %d, %.6f", nq, q, ny, y, nb, b);
    rb_run_result_free(rq);
    rb_run_result_free(ry);
    rb_run_result_free(rb);
    rb_run_result_free(mo);
    rb_run_result_free(day);
    rb_store_free(s);
    free(text);
    free(path);
}

/* ---------------------------------------------------------------- errors */

static const char two_assets[] = "date,A,B\n2020-01-01,100,50\n2020-01-02,110,50\n2020-01-03,121,40\n";

Test(strategies, band_errors_name_the_option)
{
    static const struct {
        const char *strategy, *key, *value, *needle;
    } bad[] = {
        {"threshold", "cooldown", "2", "threshold needs --band, --band-rel or --band-total"},
        {"hybrid", "every", "week", "hybrid needs --band, --band-rel or --band-total"},
        {"threshold", "band", "1.5", "--band: 1.5 is out of range (0 to 1)"},
        {"threshold", "band", "-0.1", "--band: -0.1 is out of range (0 to 1)"},
        {"threshold", "band-rel", "101", "--band-rel: 101 is out of range (0 to 100)"},
        {"threshold", "band-total", "2", "--band-total: 2 is out of range (0 to 1)"},
        {"threshold", "band-total", "A=0.1", "--band-total: give one number for the whole portfolio"},
        {"threshold", "band", "XYZ=0.1", "--band: XYZ is not one of the --assets"},
        {"threshold", "band-rel", "0.2,XYZ=0.1", "--band-rel: XYZ is not one of the --assets"},
        {"threshold", "band", "five", "--band: 'five' is not a number"},
        {"hybrid", "mode", "bad", "--mode: 'bad' is not one of gated|either"},
        {"hybrid", "on", "middle", "--on: 'middle' is not one of first|last"},
        {"hybrid", "every", "fortnight", "--every: 'fortnight' is not a period"},
        {"threshold", "every", "month", "--every does not apply to strategy 'threshold'"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int needs_band = strcmp(bad[k].key, "cooldown") != 0 && strcmp(bad[k].key, "every") != 0 &&
                         strncmp(bad[k].key, "band", 4) != 0;
        if (needs_band)
            run_expect_error(two_assets, KV("assets", "A=0.5,B=0.5", "strategy", bad[k].strategy, "band", "0.1",
                                            bad[k].key, bad[k].value),
                             bad[k].needle);
        else
            run_expect_error(two_assets, KV("assets", "A=0.5,B=0.5", "strategy", bad[k].strategy, bad[k].key,
                                            bad[k].value),
                             bad[k].needle);
    }
    static const char *const to[] = {"middle", "inner:1.5", "inner:", "inner:-0.1", "inner:nan", "edge "};
    for (size_t k = 0; k < sizeof to / sizeof to[0]; k++)
        run_expect_error(two_assets, KV("assets", "A=0.5,B=0.5", "strategy", "threshold", "band", "0.1", "to", to[k]),
                         "--to: ");
    run_expect_error(two_assets, KV("assets", "A=0.5,B=0.5", "strategy", "threshold", "band", "0.1", "to", "middle"),
                     "--to: 'middle' is not target, edge, halfway or inner:F with 0 <= F <= 1");
    run_expect_error(two_assets, KV("assets", "A=0.5,B=0.5", "strategy", "threshold", "band", "0.1", "cooldown", "-1"),
                     "--cooldown: -1 is out of range (0 to 1e+09)");
    run_expect_error(two_assets, KV("assets", "A=0.5,B=0.5", "strategy", "threshold", "band", "0.1", "cooldown", "1.5"),
                     "--cooldown: '1.5'");
    run_expect_error(two_assets, KV("assets", "A=0.5,B=0.5", "strategy", "threshold", "band", "0.1", "only-breached",
                                    "yes"),
                     "--only-breached is a flag");
    run_expect_error(two_assets, KV("assets", "A=0.5,B=0.5", "strategy", "hybrid", "band", "0.1", "every", "5", "on",
                                    "last"),
                     "--on last applies to calendar periods");
}
