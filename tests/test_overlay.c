/* test_overlay.c - the perpetual-futures overlay (issue 18; docs/engine.md, "Perpetual-futures
 * overlay") worked by hand: five bars with fees and funding, a margin call and its
 * liquidation, a gap past the collateral, a year-end 60/40 mark, a huge maintenance margin,
 * an overlay without funding or fees whose exposures are spot rebalancing's weights bar by
 * bar, and the settings' errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lots.h"
#include "overlay.h"
#include "rebal.h"
#include "run_result.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(overlay, .init = setup, .fini = teardown, .timeout = 120);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* A store of csv with the series `name` = value on every one of the csv's first `n` days from
 * 2020-01-01 (NULL name: none). */
static rb_store *store_with(const char *csv, const char *name, double value, size_t n, const char *name2,
                            double value2)
{
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    rb_error err = {0};
    for (int k = 0; k < 2; k++) {
        const char *nm = k ? name2 : name;
        if (!nm) continue;
        rb_time t[8];
        double v[8];
        for (size_t i = 0; i < n; i++) {
            t[i] = 1577836800 + (rb_time)i * 86400; /* 2020-01-01 + i days */
            v[i] = k ? value2 : value;
        }
        cr_assert_eq(rb_series_import_arrays(s, nm, t, v, n, 0, NULL, &err), RB_OK, "%s", err.msg);
    }
    return s;
}

static const rb_overlay *overlay_of(const rb_run_result *r)
{
    cr_assert_not_null(r->sim.overlay, "the run has an overlay");
    return r->sim.overlay;
}

/* Five daily bars of X and Y, held at X 0.5, Y 0.3, CASH 0.2 (CASH the collateral),
 * rebalanced every bar through the overlay, --perp-fee-bps 10 (f = 0.001), funding per bar
 * (--funding-period bar) X +0.001 (longs pay), Y -0.002 (shorts pay):
 *
 *   bar   X     Y
 *   0     100   50     spot: X 500 units, Y 600, CASH 20000 (never traded again)
 *   1     120   45
 *   2     110   50
 *   3     130   40
 *   4     125   48
 *
 * bar 1: no position yet: no mark, no funding. V = 60000 + 27000 + 20000 = 107000. The
 *   changes of exposure at F = 0: X 0.5 x 107000 - 60000 = -6500, Y 0.3 x 107000 - 27000 =
 *   5100; both keep their sign, so F = 0.001 x (6500 + 0.5 F + 5100 - 0.3 F) gives
 *   F = 11.6 / 0.9998 = 11.602320464092818. The collateral pays it: CASH 19988.397679535907,
 *   V = 106988.39767953591, and
 *   q_X = (0.5 x 106988.39767953591 - 60000) / 120 = -54.2150096686004 (short),
 *   q_Y = (0.3 x 106988.39767953591 - 27000) / 45 = 113.2559845302393 (long);
 *   exposures (500 - 54.215...) x 120 = 53494.198... = 0.5 V and (600 + 113.256) x 45 = 0.3 V.
 * bar 2: marked: -54.2150 x (110 - 120) + 113.2560 x (50 - 45) = 542.150 + 566.280 = 1108.430
 *   into CASH. Funding: X -54.2150 x 110 x 0.001 = -5.96365 (a short receives), Y 113.2560 x
 *   50 x -0.002 = -11.32560 (a long receives): -17.28925 paid, so received. The rebalance
 *   (the same fixed point) ends at V = 106106.26924425077, CASH 21106.26924425077,
 *   q_X = -17.698776162496507, q_Y = 36.63761546550457.
 * bars 3 and 4 likewise: V = 109375.79092018794 and 113856.46177315686, CASH
 *   20375.79092018794 and 22556.461773156858; at the end q_X = -44.57415290737263,
 *   q_Y = 111.60288608223027.
 * Totals: fees 44.37058311964272 (11.602 on bar 1 and the rest), funding -53.58715425199523
 *   (received), no liquidation; spot units never change. */
static const char five_bars[] = "symbol,date,close\n"
                                "X,2020-01-01,100\nY,2020-01-01,50\nX,2020-01-02,120\nY,2020-01-02,45\n"
                                "X,2020-01-03,110\nY,2020-01-03,50\nX,2020-01-04,130\nY,2020-01-04,40\n"
                                "X,2020-01-05,125\nY,2020-01-05,48\n";

Test(overlay, five_bars_with_fees_and_funding_as_worked_by_hand)
{
    rb_store *s = store_with(five_bars, "fx", 0.001, 5, "fy", -0.002);
    rb_run_result *r = rbt_run_store(s,
                                     ARGS("assets", "X=0.5,Y=0.3,CASH=0.2", "strategy", "calendar", "every", "1",
                                          "overlay", "perp", "perp-fee-bps", "10", "funding-series", "X=fx,Y=fy",
                                          "funding-period", "bar"),
                                     RBT_KEEP_ALL);
    const rb_overlay *ov = overlay_of(r);
    static const double value[] = {100000, 106988.39767953591, 106106.26924425077, 109375.79092018794,
                                   113856.46177315686};
    static const double cash[] = {20000, 19988.397679535907, 21106.26924425077, 20375.79092018794,
                                  22556.461773156858};
    for (size_t t = 0; t < 5; t++) {
        rbt_assert_close(r->sim.value[t], value[t], 1e-12, "the bar's value, as worked above");
        rbt_assert_close(ov->collateral[t], cash[t], 1e-12, "the collateral (CASH), as worked above");
        /* every rebalance puts exposure exactly at the targets */
        rbt_assert_close(ov->exposure[t * 3 + 0], 0.5, 1e-12, "X's exposure");
        rbt_assert_close(ov->exposure[t * 3 + 1], 0.3, 1e-12, "Y's exposure");
        rbt_assert_close(r->sim.weights[t * 3 + 0], 0.5, 1e-12, "the run's weights are exposures");
        cr_assert_eq(ov->rebalanced[t], t > 0, "bar %zu rebalanced through the overlay", t);
    }
    rbt_assert_close(ov->q[0], -44.57415290737263, 1e-12, "X's perp at the end");
    rbt_assert_close(ov->q[1], 111.60288608223027, 1e-12, "Y's perp at the end");
    const rb_portfolio *p = &r->sim.portfolio;
    cr_assert_eq(p->units[0], 500, "spot X untouched");
    cr_assert_eq(p->units[1], 600, "spot Y untouched");
    cr_assert_eq(p->ntrades, 3, "the first allocation's orders only (X, Y, CASH), got %zu", p->ntrades);
    const rb_metrics *mx = rb_run_metrics(r);
    rbt_assert_close(mx->perp_fees_paid, 44.37058311964272, 1e-12, "fees");
    rbt_assert_close(mx->funding_paid, -53.58715425199523, 1e-12, "funding (received)");
    cr_assert_eq(mx->liquidations, 0);
    cr_assert_eq(mx->rebalances, 4);
    cr_assert_eq(mx->taxes_paid, 0);
    cr_assert_eq(mx->tax_deferred, 0, "no tax rate: nothing deferred");
    rb_run_result_free(r);
    rb_store_free(s);
}

/* X 0.9, CASH 0.1 (the collateral), --maintenance-margin 0.2, the default
 * --liquidation-fee-bps 50, rebalanced every bar:
 *   bar 0, X 100: 900 units, CASH 10000.
 *   bar 1, X 200: V = 190000; q = (0.9 x 190000 - 180000) / 200 = -45 (a short of 9000),
 *     margin 0.2 x 9000 = 1800 <= 10000.
 *   bar 2, X 400: marked -45 x 200 = -9000: CASH 1000 < 0.2 x 45 x 400 = 3600: liquidated at
 *     400, fee 0.005 x 18000 = 90, CASH 910. --after-liquidation spot: the bar's rebalance
 *     trades spot: V = 900 x 400 + 910 = 360910, X sold to 0.9 x 360910 / 400 = 812.0475
 *     units, CASH 36091.
 *   bar 3, X 300: spot again, V = 812.0475 x 300 + 36091 = 279705.25. */
Test(overlay, a_margin_call_liquidates_and_the_rule_then_trades_spot)
{
    rb_run_result *r = rbt_run_csv(dir,
                                   "symbol,date,close\nX,2020-01-01,100\nX,2020-01-02,200\nX,2020-01-03,400\n"
                                   "X,2020-01-04,300\n",
                                   ARGS("assets", "X=0.9,CASH=0.1", "strategy", "calendar", "every", "1", "overlay",
                                        "perp", "maintenance-margin", "0.2"),
                                   RBT_KEEP_ALL);
    const rb_overlay *ov = overlay_of(r);
    cr_assert_eq(ov->nliq, 1);
    cr_assert_eq(ov->liq[0].bar, 2);
    rbt_assert_close(ov->liq[0].gross, 18000, 1e-14, "notional liquidated");
    rbt_assert_close(ov->liq[0].collateral, 1000, 1e-14, "the collateral that fell below 3600");
    rbt_assert_close(ov->liq[0].fee, 90, 1e-14, "the liquidation fee");
    cr_assert_eq(ov->liq[0].shortfall, 0);
    rbt_assert_close(r->sim.value[2], 360910, 1e-14, "bar 2's value");
    rbt_assert_close(r->sim.portfolio.units[0], 0.9 * 279705.25 / 300, 1e-12, "spot X after bar 3's spot rebalance");
    rbt_assert_close(r->sim.value[3], 279705.25, 1e-14, "bar 3's value");
    const rb_metrics *mx = rb_run_metrics(r);
    cr_assert_eq(mx->liquidations, 1);
    rbt_assert_close(mx->liquidation_cost, 90, 1e-14, "liquidation cost");
    rbt_assert_close(mx->overlay_notional_peak, 9000.0 / 190000, 1e-12, "the peak notional, bar 1");
    cr_assert_eq(ov->spot_rebalances, 2, "bars 2 and 3 traded spot");
    rb_run_result_free(r);
}

/* The same book through a gap, X 200 -> 500, with --after-liquidation reopen:
 *   bar 2: marked -45 x 300 = -13500 against 10000 of collateral: CASH 0, 3500 absorbed by the
 *     venue; liquidated (fee 0.005 x 22500 = 112.5, all of it unpaid: shortfall). The rule
 *     reopens at once: V = 900 x 500 = 450000, q = (0.9 x 450000 - 450000) / 500 = -90, with 0
 *     of collateral: liquidated on the spot (fee 225, unpaid). The collateral never goes below
 *     0; the perps' taxable loss is the cash that moved, -10000. */
Test(overlay, a_gap_past_the_collateral_leaves_it_at_zero_never_below)
{
    rb_run_result *r = rbt_run_csv(dir,
                                   "symbol,date,close\nX,2020-01-01,100\nX,2020-01-02,200\nX,2020-01-03,500\n",
                                   ARGS("assets", "X=0.9,CASH=0.1", "strategy", "calendar", "every", "1", "overlay",
                                        "perp", "maintenance-margin", "0.2", "after-liquidation", "reopen"),
                                   RBT_KEEP_ALL);
    const rb_overlay *ov = overlay_of(r);
    cr_assert_eq(ov->nliq, 2);
    rbt_assert_close(ov->liq[0].shortfall, 112.5, 1e-14, "the first fee, unpaid");
    rbt_assert_close(ov->liq[1].gross, 45000, 1e-14, "the reopened overlay");
    rbt_assert_close(ov->shortfall, 3500 + 112.5 + 225, 1e-14, "all the venue absorbed");
    cr_assert_eq(ov->collateral[2], 0, "collateral exactly 0, not %g", ov->collateral[2]);
    rbt_assert_close(r->sim.value[2], 450000, 1e-14, "spot alone");
    rbt_assert_close(ov->gains, -10000, 1e-12, "taxable perp loss = the cash lost");
    cr_assert_eq(rb_run_metrics(r)->liquidation_cost, 0, "no fee could be paid");
    rb_run_result_free(r);
}

/* X 0.5, CASH 0.5 over a year end, rebalanced every bar, --tax-short 0.4 --tax-long 0.2:
 *   bar 0 (2020-12-29) X 100: 500 units, CASH 50000.
 *   bar 1 (12-30) X 120: V = 110000, q = (55000 - 60000) / 120 = -41.6667, entry 120.
 *   bar 2 (12-31) X 110: marked +416.667; V = 105416.667, q = (52708.333 - 55000) / 110 =
 *     -20.8333: 20.8333 closed at 110 realize 20.8333 x (120 - 110) = +208.333.
 *   bar 3 (2021-01-01): the year ends. With 60-40 the open short is marked at the year's last
 *     close, 110: -20.8333 x (110 - 120) = +208.333 realized and its entry reset to 110. 2020's
 *     perp gains 416.667, 60 % long, 40 % short: tax 250 x 0.2 + 166.667 x 0.4 = 116.667. With
 *     short, only the 208.333 realized: 83.333.
 *   On bar 3 (X 100) the rule flips the short to a long: the 20.8333 closed realize
 *     20.8333 x (entry - 100), a 2021 gain: 60-40 (entry 110): +208.333, 125 long and 83.333
 *     short, due 25 + 33.333 = 58.333; short (entry 120): +416.667 short-term, due 166.667.
 * The spot twin sells X at 120 on bar 1 (41.6667 units bought at 100: +833.333), pays 333.333
 * for 2020 and realizes nothing on bar 3 (its tax sale relieves lots bought at 100, at 100;
 * its rebalance buys). tax_deferred = 333.333 - (116.667 + 58.333) = 158.333 with 60-40, and
 * 333.333 - (83.333 + 166.667) = 83.333 with short. */
static const char year_end[] = "symbol,date,close\nX,2020-12-29,100\nX,2020-12-30,120\nX,2020-12-31,110\n"
                               "X,2021-01-01,100\n";

static rb_run_result *run_year_end(const char *perp_tax)
{
    return rbt_run_csv(dir, year_end,
                       ARGS("assets", "X=0.5,CASH=0.5", "strategy", "calendar", "every", "1", "overlay", "perp",
                            "tax-short", "0.4", "tax-long", "0.2", "perp-tax", perp_tax),
                       RBT_KEEP_ALL);
}

Test(overlay, a_year_end_60_40_mark_as_worked_by_hand)
{
    rb_run_result *r = run_year_end("60-40"), *s = run_year_end("short");
    rbt_assert_close(rb_run_metrics(r)->taxes_paid, 116.66666666666667, 1e-12, "60/40 tax for 2020");
    rbt_assert_close(rb_run_metrics(s)->taxes_paid, 83.33333333333333, 1e-12, "short-term tax for 2020");
    rbt_assert_close(rb_run_metrics(r)->tax_deferred, 158.33333333333333, 1e-12, "60-40: deferred");
    rbt_assert_close(rb_run_metrics(s)->tax_deferred, 83.33333333333333, 1e-12, "short: deferred");
    rbt_assert_close(r->sim.overlay->entry[0], 100, 1e-14, "the long opened on bar 3 at 100");
    rb_run_result_free(r);
    rb_run_result_free(s);
}

/* --maintenance-margin 100: the first overlay (bar 1: X 0.5 of 110000 short 5000 of notional)
 * needs 500000 of collateral against CASH's 50000: liquidated on the bar it opens (fee 0.005
 * x 5000 = 25), after which the rule trades spot. */
Test(overlay, a_huge_maintenance_margin_liquidates_at_once)
{
    rb_run_result *r = rbt_run_csv(dir,
                                   "symbol,date,close\nX,2020-01-01,100\nX,2020-01-02,120\nX,2020-01-03,110\n",
                                   ARGS("assets", "X=0.5,CASH=0.5", "strategy", "calendar", "every", "1", "overlay",
                                        "perp", "maintenance-margin", "100"),
                                   RBT_KEEP_ALL);
    const rb_overlay *ov = overlay_of(r);
    cr_assert_eq(ov->nliq, 1);
    cr_assert_eq(ov->liq[0].bar, 1, "liquidated on the bar it opened");
    rbt_assert_close(ov->liq[0].gross, 5000, 1e-12, "the notional opened");
    rbt_assert_close(ov->liq[0].fee, 25, 1e-12, "its fee");
    rbt_assert_close(r->sim.value[1], 109975, 1e-14, "bar 1: 110000 less the fee");
    cr_assert_eq(ov->gross[1], 0, "no position left");
    cr_assert_eq(ov->spot_rebalances, 1, "bar 2 traded spot");
    rb_run_result_free(r);
}

/* Without funding or fees, an overlay holds spot rebalancing's exposure in other clothes:
 * after a rebalance the spot run holds u' = w V / p units and the overlay u + q = w V / p, and
 * over a bar both values move by sum (units) dp. So every bar's exposures are the spot run's
 * weights and the values are the same, for every rule (schedule, calendar, threshold, hybrid,
 * vol-band). */
Test(overlay, zero_funding_zero_fee_exposure_equals_spot_rebalancing_bar_by_bar)
{
    enum { T = 260 };
    double px[2 * T];
    rbt_random_walk(T, px, 7);
    size_t cap = 64 + T * 64;
    char *csv = malloc(cap);
    size_t len = (size_t)snprintf(csv, cap, "symbol,date,close\n");
    for (size_t t = 0; t < T; t++) {
        char date[32];
        rb_time_format(1577836800 + (rb_time)t * 86400, date);
        len += (size_t)snprintf(csv + len, cap - len, "X,%s,%.6f\nY,%s,%.6f\n", date, px[2 * t], date, px[2 * t + 1]);
    }
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    free(csv);
    char *when = rbt_write_file(dir, "when.csv", "date\n2020-02-03\n2020-04-01\n2020-06-15\n2020-08-03\n");
    const char *const *rules[] = {
        RBT_KV("strategy", "schedule", "when", when),
        RBT_KV("strategy", "calendar", "every", "week"),
        RBT_KV("strategy", "threshold", "band", "0.03"),
        RBT_KV("strategy", "hybrid", "every", "month", "band", "0.02", "mode", "either"),
        RBT_KV("strategy", "vol-band", "band", "0.03", "vol-window", "10"),
    };
    for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
        const char *kv[24] = {"assets", "X=0.5,Y=0.3,CASH=0.2"};
        size_t n = 2;
        for (size_t i = 0; rules[k][i]; i++) kv[n++] = rules[k][i];
        kv[n] = NULL;
        rb_run_result *spot = rbt_run_store(s, kv, RBT_KEEP_ALL);
        kv[n++] = "overlay", kv[n++] = "perp", kv[n++] = "maintenance-margin", kv[n++] = "0", kv[n] = NULL;
        rb_run_result *ov = rbt_run_store(s, kv, RBT_KEEP_ALL);
        cr_assert_eq(spot->sim.T, ov->sim.T);
        for (size_t t = 0; t < spot->sim.T; t++) {
            rbt_assert_close(ov->sim.value[t], spot->sim.value[t], 1e-9, "the same value");
            for (size_t i = 0; i < 3; i++)
                cr_assert(fabs(ov->sim.weights[t * 3 + i] - spot->sim.weights[t * 3 + i]) < 1e-9,
                          "%s: bar %zu asset %zu: exposure %.17g, spot weight %.17g", rules[k][1], t, i,
                          ov->sim.weights[t * 3 + i], spot->sim.weights[t * 3 + i]);
        }
        cr_assert_gt(rb_run_metrics(spot)->rebalances, 0, "%s rebalanced", rules[k][1]);
        cr_assert_eq(rb_run_metrics(ov)->rebalances, rb_run_metrics(spot)->rebalances, "%s: the same decisions",
                     rules[k][1]);
        cr_assert_eq(ov->sim.portfolio.ntrades, 3, "the overlay never traded spot after the first allocation");
        rb_run_result_free(spot);
        rb_run_result_free(ov);
    }
    free(when);
    rb_store_free(s);
}

Test(overlay, settings_are_checked_naming_the_option)
{
    const char *csv = "symbol,date,close\nX,2020-01-01,100\nX,2020-01-02,120\n";
    rbt_run_expect_error(dir, csv, ARGS("assets", "X=0.5,CASH=0.5", "overlay", "futures"), "--overlay");
    rbt_run_expect_error(dir, csv, ARGS("assets", "X=0.5,CASH=0.5", "overlay", "perp", "margin-asset", "USDT"),
                         "--margin-asset: USDT is not one of the --assets");
    rbt_run_expect_error(dir, csv, ARGS("assets", "X=0.5,CASH=0.5", "overlay", "perp", "funding-series", "Z=f"),
                         "--funding-series");
    rbt_run_expect_error(dir, csv, ARGS("assets", "X=0.5,CASH=0.5", "overlay", "perp", "funding-series", "X=nope"),
                         "--funding-series: X=nope");
    rbt_run_expect_error(dir, csv, ARGS("assets", "X=0.5,CASH=0.5", "perp-tax", "1256"), "--perp-tax");
    rbt_run_expect_error(dir, csv, ARGS("assets", "X=0.5,CASH=0.5", "perp-fee-bps", "-1"), "--perp-fee-bps");
}

/* The crypto preset's funding series go with its market: each day's rate per 8 hours is
 * 0.0001 + 0.05 x the EWMA (0.9) of the coin's daily log returns, within +-0.003 (data/synth.c),
 * so positive through rallies and negative through crashes. Checked on the bundled files
 * against the bundled closes (the EWMA seeded from the first day's rate). */
Test(overlay, synth_funding_follows_its_market)
{
    char *prices_path = rbt_source_path("data/bundled/crypto_daily.csv");
    char *funding_path = rbt_source_path("data/bundled/crypto_funding_BTC.csv");
    size_t n = 0;
    char *prices = rbt_read_file(prices_path, &n), *funding = rbt_read_file(funding_path, &n);
    cr_assert(prices && funding, "the bundled files");
    enum { DAYS = 1461 };
    static double close[DAYS], rate[DAYS];
    size_t nc = 0, nr = 0;
    for (char *line = strchr(prices, '\n') + 1; *line && nc < DAYS; line = strchr(line, '\n') + 1) {
        if (strncmp(line, "BTC,", 4) == 0) {
            char *field = line;
            for (int k = 0; k < 5; k++) field = strchr(field, ',') + 1; /* symbol,date,open,high,low,close */
            close[nc++] = strtod(field, NULL);
        }
    }
    for (char *line = strchr(funding, '\n') + 1; *line && nr < DAYS; line = strchr(line, '\n') + 1)
        rate[nr++] = strtod(strchr(line, ',') + 1, NULL);
    cr_assert_eq(nc, DAYS);
    cr_assert_eq(nr, DAYS);
    double trend = (rate[0] - 0.0001) / 0.05;
    size_t positive = 0, negative = 0, rallies = 0, crashes = 0;
    for (size_t t = 1; t < DAYS; t++) {
        trend = 0.9 * trend + 0.1 * log(close[t] / close[t - 1]);
        double want = fmax(-0.003, fmin(0.003, 0.0001 + 0.05 * trend));
        cr_assert(fabs(rate[t] - want) < 1e-9, "day %zu: rate %.10g, from the closes %.10g", t, rate[t], want);
        positive += rate[t] > 0;
        negative += rate[t] < 0;
        /* every day that ends a 10-day rally of 20 % pays longs' funding, every day that ends a
         * 10-day crash of 20 % pays shorts' (the market has about thirty of each) */
        if (t >= 10) {
            double move = close[t] / close[t - 10] - 1;
            if (move > 0.2) {
                rallies++;
                cr_assert_gt(rate[t], 0, "day %zu after a rally of %.0f %%", t, 100 * move);
            }
            if (move < -0.2) {
                crashes++;
                cr_assert_lt(rate[t], 0, "day %zu after a crash of %.0f %%", t, 100 * move);
            }
        }
    }
    cr_assert_gt(rallies, 10, "rallies checked: %zu", rallies);
    cr_assert_gt(crashes, 10, "crashes checked: %zu", crashes);
    cr_assert(positive > 0 && negative > 0, "both signs: %zu positive, %zu negative", positive, negative);
    free(prices);
    free(funding);
    free(prices_path);
    free(funding_path);
}

/* The report of a sweep with an overlay splits its excess with a fifth part, the funding and
 * derivative fees (docs/reports.md, chart 7): the parts still add up to the excess, and a
 * sweep without an overlay keeps its four; its page sets each overlay rule beside the same
 * rule trading spot. */
static void split_parts(const char *csv_path, int *columns, double *worst)
{
    size_t n = 0;
    char *text = rbt_read_file(csv_path, &n);
    cr_assert_not_null(text, "%s", csv_path);
    *columns = 1;
    for (const char *c = text; *c != '\r' && *c != '\n'; c++) *columns += *c == ',';
    *worst = 0;
    int rows = 0;
    for (char *line = strchr(text, '\n') + 1; *line; rows++) {
        char *end = strchr(line, '\n');
        *end = '\0';
        /* the parts are the last columns - 2 fields (a label may hold commas): read from the right */
        double v[8];
        int k = *columns - 2;
        char *at = end;
        for (int i = k - 1; i >= 0; i--) {
            while (at > line && at[-1] != ',') at--;
            v[i] = strtod(at, NULL);
            at--;
        }
        double sum = 0;
        for (int i = 0; i < k - 1; i++) sum += v[i]; /* every part; the last column is the excess */
        if (fabs(sum - v[k - 1]) > *worst) *worst = fabs(sum - v[k - 1]);
        line = end + 1;
    }
    cr_assert_gt(rows, 0, "%s has rows", csv_path);
    free(text);
}

Test(overlay, the_report_splits_out_funding_and_derivative_fees)
{
    char *prices = rbt_source_path("data/bundled/crypto_daily.csv");
    char *funding = rbt_source_path("data/bundled/crypto_funding_BTC.csv");
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "p.db", prices));
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "p.db", "--series", "fb", funding));
    for (int overlay = 0; overlay < 2; overlay++) {
        char ini[512], name[32], results[32], out[32];
        snprintf(ini, sizeof ini,
                 "[data]\nassets = BTC=0.5,ETH=0.3,USDS=0.2\nend = 2020-12-31\n\n[costs]\noverlay = %s\n"
                 "margin-asset = USDS\nfunding-series = BTC=fb\nperp-fee-bps = 5\nfee-bps = 10\n\n[tax]\n"
                 "tax-short = 0.35\n\n[calendar]\nevery = month\n\n[threshold]\nband = 0.05\n",
                 overlay ? "perp" : "none");
        snprintf(name, sizeof name, "g%d.ini", overlay);
        snprintf(results, sizeof results, "r%d.db", overlay);
        snprintf(out, sizeof out, "rep%d", overlay);
        free(rbt_write_file(dir, name, ini));
        rbt_run_ok(dir, ARGS("sweep", "-q", "--db", "p.db", "--results", results, name));
        rbt_run_ok(dir, ARGS("report", results, "--db", "p.db", "--out", out));
        char rel[64];
        snprintf(rel, sizeof rel, "%s/excess_split.csv", out);
        char *path = rbt_path(dir, rel);
        int columns;
        double worst;
        split_parts(path, &columns, &worst);
        cr_assert_eq(columns, overlay ? 8 : 7, "%s: %d columns", rel, columns);
        cr_assert_lt(worst, 1e-12, "%s: the parts add up to the excess (off by %g)", rel, worst);
        free(path);
        /* the page sets the overlay beside spot only when there is one */
        snprintf(rel, sizeof rel, "%s/index.html", out);
        path = rbt_path(dir, rel);
        char *page = rbt_read_file(path, NULL);
        cr_assert_not_null(page, "%s", rel);
        cr_assert_eq(strstr(page, "<h2>Spot or overlay</h2>") != NULL, overlay, "%s: the side by side", rel);
        if (overlay) cr_assert_not_null(strstr(page, "after tax, spot"), "%s", rel);
        free(page);
        free(path);
    }
    free(prices);
    free(funding);
}

/* The collateral in a stablecoin S (--margin-asset S) with taxes: the perps' PnL buys or sells
 * units of S at its price, through its tax lots. X 0.5, S 0.5 (S at 1 throughout), rebalanced
 * every bar:
 *   bar 0, X 100: X 500 units, S 50000.
 *   bar 1, X 120: V = 110000; q = (55000 - 60000) / 120 = -41.6667.
 *   bar 2, X 90: marked -41.6667 x (90 - 120) = +1250: S buys 1250 units (a lot at cost 1250);
 *     V = 45000 + 51250 = 96250; q = (48125 - 45000) / 90 = +34.7222: the short closes at 90
 *     (a perp gain of 41.6667 x 30 = 1250) and a long opens.
 *   bar 3, X 80: marked 34.7222 x (80 - 90) = -347.222: S sells 347.222 units (at their cost:
 *     no gain on S). S ends with 50902.778 units; its lots hold exactly that. */
Test(overlay, a_stablecoin_margin_asset_settles_through_its_lots)
{
    rb_run_result *r = rbt_run_csv(dir,
                                   "symbol,date,close\nX,2020-01-01,100\nS,2020-01-01,1\nX,2020-01-02,120\n"
                                   "S,2020-01-02,1\nX,2020-01-03,90\nS,2020-01-03,1\nX,2020-01-04,80\nS,2020-01-04,1\n",
                                   ARGS("assets", "X=0.5,S=0.5", "strategy", "calendar", "every", "1", "overlay", "perp",
                                        "margin-asset", "S", "tax-short", "0.3"),
                                   RBT_KEEP_ALL);
    const rb_portfolio *p = &r->sim.portfolio;
    cr_assert_not_null(p->lots, "taxes keep lots");
    rbt_assert_close(p->units[1], 50000 + 1250 - 1250.0 / 3.6, 1e-12, "S's units: the collateral");
    rbt_assert_close(rb_lots_units(p->lots, 1), p->units[1], 1e-12, "S's lots hold its units");
    cr_assert_eq(p->units[0], 500, "spot X untouched");
    rbt_assert_close(r->sim.overlay->gains, 1250, 1e-12, "the short's gain (S's own sale realized none)");
    rbt_assert_close(p->year_realized.short_term, 1250, 1e-9, "the year's gains: the perp's");
    rb_run_result_free(r);
}
