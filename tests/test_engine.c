/* test_engine.c - the reference simulator through rb_run: hand-worked few-bar examples of
 * every cost model, taxes, flows and execution settings; invariants on random
 * configurations; and the bundled real data cross-checked by independent arithmetic on
 * the raw CSV files. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
TestSuite(engine, .init = setup, .fini = teardown, .timeout = 60);

#define KV RBT_KV
#define ALL RBT_KEEP_ALL
/* The shared run helpers (tests/support.c), bound to this suite's scratch directory. */
#define assert_close rbt_assert_close
#define run_store rbt_run_store
#define run_csv(csv, kv, keep) rbt_run_csv(dir, csv, kv, keep)
#define run_expect_error(csv, kv, needle) rbt_run_expect_error(dir, csv, kv, needle)
#define store_from_csv(csv, symbol) rbt_store_from_csv(dir, csv, symbol)






/* Two assets over four days: A 100 110 121 100, B 50 50 40 60. */
static const char two_assets[] = "date,A,B\n"
                                 "2020-01-01,100,50\n"
                                 "2020-01-02,110,50\n"
                                 "2020-01-03,121,40\n"
                                 "2020-01-04,100,60\n";

static const rb_metrics *M(const rb_run_result *r) { return rb_run_metrics(r); }

Test(engine, buy_and_hold_holds_the_first_allocation)
{
    rb_run_result *r = run_csv(two_assets, KV("assets", "A=0.5,B=0.5", "capital", "1000"), ALL);
    /* 5 A and 10 B: 1000, 1050, 1005, 1100. */
    const double want[] = {1000, 1050, 1005, 1100};
    for (int t = 0; t < 4; t++) assert_close(r->sim.value[t], want[t], 1e-12, "value");
    assert_close(M(r)->final_value, 1100, 1e-12, "final");
    cr_assert_eq(M(r)->rebalances, 0);
    cr_assert_eq(r->sim.portfolio.ntrades, 2, "the first allocation is two orders");
    rb_run_result_free(r);
}

Test(engine, daily_rebalancing_at_zero_cost_is_the_constant_mix)
{
    rb_run_result *r = run_csv(two_assets, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar",
                                              "every", "day"),
                               ALL);
    double v = 1000;
    const double a[] = {100, 110, 121, 100}, b[] = {50, 50, 40, 60};
    for (int t = 1; t < 4; t++) {
        v *= 0.5 * a[t] / a[t - 1] + 0.5 * b[t] / b[t - 1];
        assert_close(r->sim.value[t], v, 1e-12, "constant mix");
    }
    cr_assert_eq(M(r)->rebalances, 3);
    rb_run_result_free(r);
}

/* Daily rebalancing paying a proportional cost c on traded value: closed forms. At bar 0,
 * W' = 1000 - c W' -> W' = 1000 / (1 + c). Later, one asset is sold and the other bought,
 * so the traded value is |V_A - V_B| whatever W': W' = V - c |V_A - V_B|. */
static void check_proportional(const char *key, const char *value, double c, size_t field)
{
    rb_run_result *r = run_csv(two_assets, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar",
                                              "every", "day", key, value),
                               ALL);
    const double a[] = {100, 110, 121, 100}, b[] = {50, 50, 40, 60};
    double w = 1000 / (1 + c), paid = 1000 - w;
    assert_close(r->sim.value[0], w, 1e-12, "bar 0");
    for (int t = 1; t < 4; t++) {
        double va = w / 2 * a[t] / a[t - 1], vb = w / 2 * b[t] / b[t - 1];
        double cost = c * fabs(va - vb);
        w = va + vb - cost;
        paid += cost;
        assert_close(r->sim.value[t], w, 1e-12, key);
        /* Exact targeting: the weights are the targets after every rebalance. */
        assert_close(r->sim.weights[t * 2], 0.5, 1e-12, "weight");
    }
    const double *totals = (const double *)((const char *)M(r) + field);
    assert_close(*totals, paid, 1e-10, "recorded cost");
    rb_run_result_free(r);
}

Test(engine, commission_in_bps)
{
    check_proportional("fee-bps", "100", 0.01, offsetof(rb_metrics, fees_paid));
}

Test(engine, fixed_slippage)
{
    check_proportional("slippage-bps", "50", 0.005, offsetof(rb_metrics, slippage_paid));
}

Test(engine, half_the_spread)
{
    check_proportional("spread-bps", "40", 0.002, offsetof(rb_metrics, slippage_paid));
}

Test(engine, per_order_fees_minimums_and_gas)
{
    /* Two orders per rebalance. fee-min 5 with 10 bps: orders under 5,000 pay 5. Plus
     * fee-fixed 1 and gas 2: 8 per order, 16 per rebalance, 4 rebalances (bar 0 included). */
    rb_run_result *r = run_csv(two_assets, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar",
                                              "every", "day", "fee-bps", "10", "fee-min", "5", "fee-fixed", "1", "gas",
                                              "2"),
                               ALL);
    assert_close(M(r)->fees_paid, 4 * 2 * 6, 1e-12, "fees");
    assert_close(M(r)->gas_paid, 4 * 2 * 2, 1e-12, "gas");
    const double a[] = {100, 110, 121, 100}, b[] = {50, 50, 40, 60};
    double w = 1000 - 16;
    for (int t = 1; t < 4; t++) w = w / 2 * (a[t] / a[t - 1] + b[t] / b[t - 1]) - 16;
    assert_close(M(r)->final_value, w, 1e-12, "final value");
    rb_run_result_free(r);
}

Test(engine, per_asset_costs)
{
    /* Only B pays 1 %: at bar 0, W' = 1000 - 0.01 * W' / 2 -> W' = 1000 / 1.005. */
    rb_run_result *r = run_csv(two_assets, KV("assets", "A=0.5,B=0.5", "capital", "1000", "fee-bps", "B=100"), ALL);
    assert_close(r->sim.value[0], 1000 / 1.005, 1e-12, "bar 0");
    cr_assert_eq(r->sim.portfolio.trades[0].fee, 0, "A paid a fee");
    rb_run_result_free(r);
}

/* The constant-product pool, solved independently by bisection: 50 % A through a pool of
 * R quote (R / 100 units at the price 100), the rest in CASH. */
static double amm_value(double R, double f)
{
    double lo = 0, hi = 1000;
    for (int it = 0; it < 200; it++) {
        double w = (lo + hi) / 2, u = w / 2 / 100;
        double x = R * u / ((R / 100 - u) * (1 - f));
        double cost = x - u * 100;
        if (1000 - cost > w) lo = w;
        else hi = w;
    }
    return (lo + hi) / 2;
}

Test(engine, amm_pool_prices_by_constant_product)
{
    static const char csv[] = "date,A\n2020-01-01,100\n2020-01-02,100\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,CASH=0.5", "capital", "1000", "amm-depth", "A=2000",
                                       "amm-fee-bps", "30"),
                               ALL);
    double w = amm_value(2000, 0.003);
    assert_close(r->sim.value[0], w, 1e-9, "value after the pool");
    double u = w / 2 / 100, x = 2000 * u / ((20 - u) * 0.997);
    assert_close(M(r)->fees_paid, x * 0.003, 1e-9, "pool fee");
    assert_close(M(r)->slippage_paid, x * 0.997 - u * 100, 1e-9, "curve impact");
    /* A shallow pool is visibly expensive: more than 10 % of the order here. */
    cr_assert_gt(M(r)->slippage_paid, 0.1 * u * 100);
    rb_run_result_free(r);
}

Test(engine, amm_pool_too_shallow_is_refused)
{
    static const char csv[] = "date,A\n2020-01-01,100\n2020-01-02,100\n";
    run_expect_error(csv, KV("assets", "A=1", "capital", "1000", "amm-depth", "A=500"), "AMM pool");
}

Test(engine, square_root_impact)
{
    /* Volume 1000 units a bar; a window of 3 bars. The first allocation (bar 0) sees no
     * returns: sigma 0, no impact. The rebalance at bar 3 (every 3 bars) sees
     * sigma = stdev(ln 1.1, ln 1.1, ln(90/121)) and ADV = 1000. */
    static const char csv[] = "symbol,date,close,volume\n"
                              "A,2020-01-01,100,1000\nA,2020-01-02,110,1000\nA,2020-01-03,121,1000\n"
                              "A,2020-01-04,90,1000\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,CASH=0.5", "capital", "1000", "strategy", "calendar", "every",
                                       "3", "impact", "0.5", "impact-window", "3"),
                               ALL);
    double l1 = log(1.1), l3 = log(90.0 / 121), mean = (2 * l1 + l3) / 3;
    double sigma = sqrt((2 * (l1 - mean) * (l1 - mean) + (l3 - mean) * (l3 - mean)) / 2);
    /* Bar 3: 5 A worth 450 and CASH 500: W = 950; buy A up to W'/2. */
    double lo = 900, hi = 950; /* A is bought: W' lies above 2 * 5 * 90 */
    for (int it = 0; it < 200; it++) {
        double w = (lo + hi) / 2, units = w / 2 / 90 - 5, v = units * 90;
        double cost = v * 0.5 * sigma * sqrt(units / 1000);
        if (950 - cost > w) lo = w;
        else hi = w;
    }
    assert_close(M(r)->final_value, (lo + hi) / 2, 1e-9, "value after impact");
    assert_close(M(r)->slippage_paid, 950 - (lo + hi) / 2, 1e-6, "impact paid");
    cr_assert_gt(M(r)->slippage_paid, 0);
    rb_run_result_free(r);
}

Test(engine, impact_without_volume_is_refused)
{
    run_expect_error(two_assets, KV("assets", "A=0.5,B=0.5", "impact", "0.1"), "needs volume");
}

Test(engine, gas_follows_a_stored_series)
{
    /* GAS is stored like a price (USD per swap) and forward-filled onto the run's bars:
     * 3 on bar 0 (from 2019-12-31), 3 on bar 1, 5 on bar 2. A's price moves every bar, so
     * A trades on each of the three bars and pays 3 + 3 + 5; the CASH column pays none. */
    static const char csv[] = "symbol,date,close\n"
                              "A,2020-01-01,100\nA,2020-01-02,110\nA,2020-01-03,121\n"
                              "GAS,2019-12-31,3\nGAS,2020-01-03,5\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,CASH=0.5", "capital", "1000", "strategy", "calendar", "every",
                                       "day", "gas-series", "GAS"),
                               ALL);
    assert_close(M(r)->gas_paid, 3 + 3 + 5, 1e-12, "gas from the series");
    const rb_portfolio *p = &r->sim.portfolio;
    for (size_t k = 0; k < p->ntrades; k++)
        if (p->trades[k].asset == 1) cr_assert_eq(p->trades[k].gas, 0, "the CASH column paid gas");
    rb_run_result_free(r);
    static const char late[] = "symbol,date,close\nA,2020-01-01,100\nA,2020-01-02,110\nGAS,2020-01-02,3\n";
    run_expect_error(late, KV("assets", "A=1", "gas-series", "GAS"), "GAS has no value on or before the first bar");
    run_expect_error(late, KV("assets", "A=1", "gas-series", "NOPE"), "--gas-series");
}

Test(engine, next_open_executes_at_the_following_open)
{
    static const char csv[] = "symbol,date,open,close\n"
                              "A,2020-01-01,100,100\nA,2020-01-02,105,110\nA,2020-01-03,120,121\n"
                              "A,2020-01-04,90,100\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,CASH=0.5", "capital", "1000", "strategy", "calendar", "every",
                                       "day", "exec", "next-open"),
                               ALL);
    /* Decisions at bars 1, 2, 3; the one at bar 3 has no next open. Orders (A and the
     * CASH column, sells first) at bar 0, then at the opens of bars 2 and 3. */
    const rb_portfolio *p = &r->sim.portfolio;
    cr_assert_eq(p->ntrades, 6, "orders: %zu", p->ntrades);
    /* Bar 2 opens at 120: 5 A are worth 600 > 550, so A is sold first, at the open. */
    cr_assert_eq(p->trades[2].bar, 2);
    cr_assert_eq(p->trades[2].asset, 0);
    cr_assert_eq(p->trades[2].price, 120, "bar 2's order did not trade at its open");
    /* Bar 3 opens at 90: A is now under its target and bought at 90. */
    cr_assert_eq(p->trades[5].bar, 3);
    cr_assert_eq(p->trades[5].asset, 0);
    cr_assert_eq(p->trades[5].price, 90);
    cr_assert_gt(p->trades[5].units, 0);
    /* Bar 2 open: 5 A worth 600 + CASH 500 -> 550 each. Close 121: 550/120*121 + 550. */
    double v2 = 550.0 / 120 * 121 + 550;
    assert_close(r->sim.value[2], v2, 1e-12, "bar 2");
    rb_run_result_free(r);
}

Test(engine, min_trade_skips_small_orders_and_records_them)
{
    /* Bar 1: A 110, B 50 with 5 A, 10 B: V 1050, A is 25 over target, B 25 under. */
    rb_run_result *r = run_csv(two_assets, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar",
                                              "every", "day", "min-trade", "30"),
                               ALL);
    const rb_portfolio *p = &r->sim.portfolio;
    size_t skipped = 0;
    for (size_t k = 0; k < p->ntrades; k++) skipped += p->trades[k].skipped && p->trades[k].bar == 1;
    cr_assert_eq(skipped, 2, "both orders of bar 1 are under 30 and skipped");
    assert_close(r->sim.value[1], 1050, 1e-12, "nothing traded at bar 1");
    rb_run_result_free(r);
}

/* A rises 6 %: with --min-trade 1000 only A's order (-1333) is placed, B's and C's (+667
 * each) are skipped, so A alone shares what B and C do not hold: exactly what it holds.
 * That is no order (the rounding remainder of ~1e-12 is dust), not a rebalance, and pays
 * no --fee-fixed; the three orders of the first allocation pay 5 each. */
static const char min_trade_csv[] = "date,A,B,C\n2020-01-01,100,100,100\n2020-01-02,106,100,100\n"
                                    "2020-01-03,106,100,100\n";

Test(engine, min_trade_leaves_no_dust_order_to_pay_a_fixed_fee)
{
    rb_run_result *r = run_csv(min_trade_csv,
                               KV("assets", "A=0.3333333333333333,B=0.3333333333333333,C=0.3333333333333334", "strategy",
                                  "calendar", "every", "day", "min-trade", "1000", "fee-fixed", "5"),
                               ALL);
    cr_assert_eq(M(r)->rebalances, 0);
    assert_close(M(r)->fees_paid, 15, 1e-12, "fees: the first allocation's three orders");
    assert_close(M(r)->final_value, 101984.70, 1e-9, "final value");
    const rb_portfolio *p = &r->sim.portfolio;
    for (size_t k = 0; k < p->ntrades; k++)
        cr_assert(p->trades[k].bar == 0 || p->trades[k].skipped, "an order at bar %zu of asset %zu executed",
                  p->trades[k].bar, p->trades[k].asset);
    rb_run_result_free(r);
}

Test(engine, min_trade_never_skips_the_first_allocation)
{
    /* Four orders of 25,000 at bar 0, all under --min-trade 30000: the capital is invested
     * all the same (min-trade applies to rebalances), and bar 1's orders are skipped. */
    static const char csv[] = "date,A,B,C,D\n2020-01-01,100,100,100,100\n2020-01-02,110,90,100,105\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.25,B=0.25,C=0.25,D=0.25", "strategy", "calendar", "every", "day",
                                       "min-trade", "30000"),
                               ALL);
    for (size_t i = 0; i < 4; i++) assert_close(r->sim.portfolio.units[i], 250, 1e-12, "units");
    cr_assert_eq(r->sim.portfolio.cash, 0);
    assert_close(M(r)->final_value, 101250, 1e-12, "final value");
    cr_assert_eq(M(r)->rebalances, 0);
    rb_run_result_free(r);
}

/* A 110, B 90, C 100 with targets 25/25/50: C's trade before costs is exactly zero (A's
 * gain is B's loss). C is left out of the rebalance, as an order under --min-trade would
 * be: it pays no share of the costs and keeps its units, while A and B share what C does
 * not hold (docs/engine.md, "Rebalancing"). */
Test(engine, an_asset_with_no_trade_before_costs_is_left_out)
{
    static const char csv[] = "date,A,B,C\n2020-01-01,100,100,100\n2020-01-02,110,90,100\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.25,B=0.25,C=0.5", "strategy", "calendar", "every", "day",
                                       "fee-bps", "10"),
                               ALL);
    const rb_portfolio *p = &r->sim.portfolio;
    double c0 = 0;
    size_t orders_at_1 = 0;
    for (size_t k = 0; k < p->ntrades; k++) {
        if (p->trades[k].bar == 0 && p->trades[k].asset == 2) c0 = p->trades[k].units;
        if (p->trades[k].bar == 1) {
            cr_assert_neq(p->trades[k].asset, 2, "C traded at bar 1");
            orders_at_1++;
        }
    }
    cr_assert_eq(orders_at_1, 2, "A and B trade");
    cr_assert_eq(p->units[2], c0, "C keeps the units of the first allocation");
    /* A and B end at equal values (their targets' ratio), C above half the portfolio by its
     * untaken share of the costs. */
    assert_close(p->units[0] * 110, p->units[1] * 90, 1e-12, "A and B share alike");
    double v = M(r)->final_value, c = p->units[2] * 100;
    assert_close(p->units[0] * 110, (v - c) / 2, 1e-12, "A holds half of what C does not");
    cr_assert_gt(c / v, 0.5, "C is above its target by its untaken share of the costs");
    cr_assert_lt(c / v, 0.5 + M(r)->fees_paid / v, "C is above its target by its untaken share of the costs");
    cr_assert_eq(M(r)->rebalances, 1);
    rb_run_result_free(r);
}

Test(engine, lot_size_buys_whole_units_and_keeps_the_rest_in_cash)
{
    static const char csv[] = "date,A,B\n2020-01-01,30,70\n2020-01-02,31,69\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "lot-size", "1"), ALL);
    const rb_portfolio *p = &r->sim.portfolio;
    /* 500 / 30 = 16.67 -> 16 A; 500 / 70 = 7.14 -> 7 B; cash 1000 - 480 - 490 = 30. */
    cr_assert_eq(p->units[0], 16);
    cr_assert_eq(p->units[1], 7);
    assert_close(p->cash, 30, 1e-12, "cash");
    assert_close(r->sim.value[1], 16 * 31 + 7 * 69 + 30, 1e-12, "value");
    rb_run_result_free(r);
}

/* One asset and CASH around a year end, rebalanced daily, zero cost:
 *   2020-12-30 A 100: buy 5 A (lot 1, basis 500), CASH 500
 *   2020-12-31 A 200: V 1500, hold 3.75 A: sell 1.25 A for 250, gain 125 (short)
 *   2021-01-04 A 200: the 2020 tax 0.4 * 125 = 50 is paid by selling pro rata
 *   2021-01-05 A 200. */
static const char year_end[] = "date,A\n2020-12-30,100\n2020-12-31,200\n2021-01-04,200\n2021-01-05,200\n";

Test(engine, the_year_tax_is_paid_on_the_first_bar_of_the_next_year)
{
    rb_run_result *r = run_csv(year_end, KV("assets", "A=0.5,CASH=0.5", "capital", "1000", "strategy", "calendar",
                                            "every", "day", "tax-short", "0.4"),
                               ALL);
    assert_close(M(r)->taxes_paid, 50, 1e-12, "tax paid");
    assert_close(r->sim.value[2], 1450, 1e-12, "value after the tax");
    /* The tax sale of 2021 realizes no gain (bought at 100... the FIFO lot is at 100): the
     * 25 A-value sold is 0.125 A with gain 12.5, taxed in 2021: pending at the end. */
    double pending_2021 = M(r)->final_value - M(r)->after_tax_value;
    cr_assert_gt(pending_2021, 0);
    rb_run_result_free(r);
}

/* A loss in 2020 carried into 2021. A and B at 50/50, rebalanced daily, no costs:
 *   2020-12-30 A 100 B 100: 5 A (lot @100), 5 B (lot @100)
 *   2020-12-31 A 80 B 50: V 650, 325 each: sell 0.9375 A at 80 -> short loss -18.75;
 *              buy 1.5 B at 50 (lot @50)
 *   2021-01-04 flat: the 2020 tax is 0; -18.75 carries into 2021
 *   2021-01-05 A 80 B 100: V 975, 487.5 each: sell 1.625 B at 100. LIFO relieves the
 *              lot @50 first (1.5 units, gain 75) then 0.125 of the lot @100 (gain 0);
 *              FIFO relieves the lot @100 only (gain 0)
 *   2022-01-03 flat: the 2021 tax is 0.4 * (75 - 18.75) = 22.5 with LIFO, 0 with FIFO. */
static const char carry_csv[] = "date,A,B\n2020-12-30,100,100\n2020-12-31,80,50\n2021-01-04,80,50\n"
                                "2021-01-05,80,100\n2022-01-03,80,100\n";

Test(engine, losses_carry_forward_to_the_next_year)
{
    rb_run_result *lifo = run_csv(carry_csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar",
                                                "every", "day", "tax-short", "0.4", "tax-lots", "lifo"),
                                  ALL);
    assert_close(M(lifo)->taxes_paid, 22.5, 1e-12, "LIFO: tax on 75 less the carried 18.75");
    rb_run_result *fifo = run_csv(carry_csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar",
                                                "every", "day", "tax-short", "0.4", "tax-lots", "fifo"),
                                  ALL);
    cr_assert_eq(M(fifo)->taxes_paid, 0, "FIFO realizes no 2021 gain: nothing to tax");
    rb_run_result_free(lifo);
    rb_run_result_free(fifo);
}

/* Average cost at the end (issue 11). X and CASH at 50/50, monthly, capital 100000:
 *   2020-01-01 X 100: lot 1, 500 X for 50000.
 *   2021-06-01 X 200: V 150000; sell 125 X for 25000, basis 125 * 100 = 12500: +12500
 *              long-term (held 517 days).
 *   2021-07-01 X 150: V 56250 + 75000 = 131250; buy 62.5 X for 9375 (lot 2). The asset's
 *              basis is 37500 + 9375 = 46875 over 437.5 units: 750/7 = 107.142857 a unit,
 *              carried by both lots: 375 * 750/7 = 40178.571 and 62.5 * 750/7 = 6696.429.
 * Liquidation at 150: lot 1 (546 days) 375 * (150 - 750/7) = 112500/7 = 16071.43 long,
 * lot 2 (0 days) 62.5 * 300/7 = 18750/7 = 2678.57 short. 2021's tax: 0.15 * (12500 +
 * 112500/7) + 0.35 * 18750/7 = 36562.5/7 = 5223.21; after tax 131250 - 36562.5/7 =
 * 126026.79. (Lot 2 at its own cost of 150 would give 126562.50.) */
Test(engine, average_cost_lots_carry_the_average_to_the_end)
{
    static const char csv[] = "date,X\n2020-01-01,100\n2021-06-01,200\n2021-07-01,150\n";
    rb_run_result *r = run_csv(csv, KV("assets", "X=0.5,CASH=0.5", "strategy", "calendar", "every", "month",
                                       "tax-lots", "avg", "tax-short", "0.35", "tax-long", "0.15"),
                               ALL);
    assert_close(M(r)->final_value, 131250, 1e-12, "final value");
    assert_close(M(r)->taxes_paid, 0, 1e-12, "no tax paid: 2021 is still open");
    assert_close(M(r)->after_tax_value, 131250 - 36562.5 / 7, 1e-12, "after-tax value at the average cost");
    /* The ledger (--lots): the closed piece at lot 1's own cost, both open lots at 750/7. */
    size_t n;
    const rb_lot_piece *p = rb_lots_ledger(r->sim.portfolio.lots, &n);
    cr_assert_eq(n, 3, "ledger rows: %zu", n);
    assert_close(p[0].cost, 12500, 1e-12, "closed piece");
    cr_assert_eq(p[1].closed, RB_TIME_OPEN);
    assert_close(p[1].units, 375, 1e-12, "lot 1 units");
    assert_close(p[1].cost, 375 * 750.0 / 7, 1e-12, "lot 1 at the average cost");
    assert_close(p[2].units, 62.5, 1e-12, "lot 2 units");
    assert_close(p[2].cost, 62.5 * 750.0 / 7, 1e-12, "lot 2 at the average cost");
    rb_run_result_free(r);
}

/* A gain belongs to the year it is realized in (issue 11). A and B at 50/50, monthly,
 * next-open (no opens in the file: they are the closes), capital 100000:
 *   2020-11-02 A 100 B 100: 500 A, 500 B.
 *   2020-12-01 A 150: the decision executes at the next bar's open.
 *   2021-01-04 A 200: 2020 realized nothing, so its tax is 0. Then the December order
 *              executes: V 150000, sell 125 A for 25000, basis 12500: +12500 short-term,
 *              a gain of 2021 (the sale is dated 2021-01-04); buy 250 B at 100.
 *   2021-02-01 flat; the January decision trades nothing.
 * taxes_paid 0, final 150000. 2021's gains: 12500 realized + liquidation (375 A at 200,
 * basis 100: +37500; B at cost: 0) = 50000 short: 15000 tax, after tax 135000. Taxed with
 * 2020 the sale would have paid 3750 in January (final 146250). */
Test(engine, a_next_open_sale_in_january_is_taxed_in_the_new_year)
{
    static const char csv[] = "date,A,B\n2020-11-02,100,100\n2020-12-01,150,100\n2021-01-04,200,100\n"
                              "2021-02-01,200,100\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,B=0.5", "strategy", "calendar", "every", "month", "exec",
                                       "next-open", "tax-short", "0.3"),
                               ALL);
    cr_assert_eq(M(r)->taxes_paid, 0, "taxes paid %.17g", M(r)->taxes_paid);
    assert_close(M(r)->final_value, 150000, 1e-12, "final value");
    assert_close(M(r)->after_tax_value, 135000, 1e-12, "after-tax value");
    rb_run_result_free(r);
}

/* The previous year's tax and a next-open sale on the same January bar. A and B at 50/50,
 * monthly, next-open, capital 100000, tax-short 0.3:
 *   2020-10-30 A 100 B 100: 500 A, 500 B.
 *   2020-11-02 A 150: decision; 2020-11-03 (open 150): V 125000, sell 250/3 A for 12500,
 *              basis 25000/3: +12500/3 short (2020); buy 125 B at 100.
 *   2020-12-01 A 180: decision.
 *   2021-01-04 A 240: 2020's tax 0.3 * 12500/3 = 1250 is due. The December order executes
 *              first: V 1250/3 * 240 + 62500 = 162500, sell 78.125 A for 18750, basis
 *              7812.5: +10937.5 (2021); buy 187.5 B. Then the 1250 is paid by selling pro
 *              rata: 625 of A (625/240 units, +625 * 140/240 = 364.583, 2021) and 625 of B
 *              (at cost: 0).
 *   2021-02-01 flat: at the targets, nothing trades.
 * taxes_paid 1250 (with the January sale taxed as 2020's: 0.3 * (12500/3 + 10937.5) =
 * 4531.25), final 162500 - 1250 = 161250. The 1250/3 A units left after November, bought at
 * 100, are all sold or valued at 240 in 2021: +175000/3 short; B is at cost. 2021's tax
 * 0.3 * 175000/3 = 17500: after tax 143750. */
Test(engine, the_old_years_tax_and_a_next_open_sale_on_the_same_january_bar)
{
    static const char csv[] = "date,A,B\n2020-10-30,100,100\n2020-11-02,150,100\n2020-11-03,150,100\n"
                              "2020-12-01,180,100\n2021-01-04,240,100\n2021-02-01,240,100\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,B=0.5", "strategy", "calendar", "every", "month", "exec",
                                       "next-open", "tax-short", "0.3"),
                               ALL);
    assert_close(M(r)->taxes_paid, 1250, 1e-12, "2020's tax only");
    assert_close(M(r)->final_value, 161250, 1e-12, "final value");
    assert_close(M(r)->after_tax_value, 143750, 1e-12, "after-tax value");
    /* The January rebalance's orders come before the tax sale's, all dated 2021-01-04. */
    const rb_portfolio *p = &r->sim.portfolio;
    size_t rebalance = 0, tax = 0;
    for (size_t k = 0; k < p->ntrades; k++) {
        if (p->trades[k].bar != 4) continue;
        if (p->trades[k].kind == RB_TRADE_REBALANCE) cr_assert_eq(tax, 0, "a tax order before the rebalance");
        rebalance += p->trades[k].kind == RB_TRADE_REBALANCE;
        tax += p->trades[k].kind == RB_TRADE_TAX;
    }
    cr_assert_eq(rebalance, 2);
    cr_assert_eq(tax, 2);
    rb_run_result_free(r);
}

/* The tax sale with --lot-size. A and B at 50/50, daily, capital 1000, lot-size 1,
 * tax-short 0.4:
 *   2020-12-30 A 100 B 100: 5 A, 5 B.
 *   2020-12-31 A 500: V 3000, 1500 each: sell 2 A for 1000 (basis 200: +800 short), buy
 *              10 B; cash 0.
 *   2021-01-04 flat: 2020's tax 0.4 * 800 = 320, sold pro rata from A 1500 and B 1500:
 *              160 each, 0.32 A and 1.6 B, rounded up to whole lots (the units after the
 *              sale down): 1 A (500, +400 short, 2021) and 2 B (200, +0). Cash 700 - 320
 *              = 380 stays uninvested: the day's rebalance to 1340 each would need 0.68 A
 *              and 0.4 B, which round to no lot.
 *   2021-01-05 flat: V 2 * 500 + 13 * 100 + 380 = 2680.
 * After tax: 2021's 400 realized + 2 A at 500 over 100 (+800) = 1200 short: 480. */
Test(engine, the_tax_sale_is_rounded_up_to_whole_lots)
{
    static const char csv[] = "date,A,B\n2020-12-30,100,100\n2020-12-31,500,100\n2021-01-04,500,100\n"
                              "2021-01-05,500,100\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar", "every",
                                       "day", "lot-size", "1", "tax-short", "0.4"),
                               ALL);
    const rb_portfolio *p = &r->sim.portfolio;
    double sold[2] = {0, 0};
    for (size_t k = 0; k < p->ntrades; k++)
        if (p->trades[k].kind == RB_TRADE_TAX) sold[p->trades[k].asset] += p->trades[k].units;
    cr_assert_eq(sold[0], -1, "A sold for the tax: %.17g", sold[0]);
    cr_assert_eq(sold[1], -2, "B sold for the tax: %.17g", sold[1]);
    assert_close(M(r)->taxes_paid, 320, 1e-12, "tax paid");
    assert_close(r->sim.cash[2], 380, 1e-12, "the rounding's excess stays in cash");
    assert_close(M(r)->final_value, 2680, 1e-12, "final value");
    assert_close(M(r)->after_tax_value, 2680 - 480, 1e-12, "after-tax value");
    rb_run_result_free(r);
}

/* The after-tax liquidation applies the wash-sale rule and disallows nothing: it sells
 * every lot in one order. A and B at 50/50, capital 1000, a 10 pp band, tax-short 0.5,
 * 30-day wash sales:
 *   2020-01-01 A 100 B 100: 5 A (lot 1), 5 B.
 *   2020-01-02 A 50 B 200: A at 20 %: rebalance to 625 each: sell 1.875 B (+187.5), buy
 *              7.5 A at 50 (lot 3, the day after lot 1's purchase).
 *   2020-01-03 A 40: A at 44.4 %, inside the band; V 500 + 625 = 1125.
 * Liquidation: lot 1 -300, lot 3 -75, B +312.5: 2020's short gain 187.5 + 312.5 - 375 = 125,
 * tax 62.5, after tax 1062.5, with or without the rule (were lot 3 a replacement for lot 1,
 * 300 of loss would be disallowed: 912.5). */
Test(engine, the_after_tax_liquidation_disallows_no_loss)
{
    static const char csv[] = "date,A,B\n2020-01-01,100,100\n2020-01-02,50,200\n2020-01-03,40,200\n";
    for (int wash = 0; wash < 2; wash++) {
        rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "threshold", "band",
                                           "0.1", "tax-short", "0.5", "wash-sale-days", wash ? "30" : "0"),
                                   ALL);
        assert_close(M(r)->final_value, 1125, 1e-12, "final value");
        assert_close(M(r)->after_tax_value, 1062.5, 1e-12, "after-tax value");
        rb_run_result_free(r);
    }
}

Test(engine, contributions_are_flows_not_returns)
{
    static const char csv[] = "date,A\n2020-01-30,100\n2020-01-31,100\n2020-02-03,100\n2020-03-02,100\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,CASH=0.5", "capital", "1000", "contribution", "100"), ALL);
    /* Flat prices: two contributions (February, March) raise the value, not the return. */
    assert_close(M(r)->final_value, 1200, 1e-12, "value");
    assert_close(M(r)->total_return, 0, 1e-12, "return");
    assert_close(r->sim.flow[2], 100, 0, "flow");
    assert_close(r->sim.portfolio.units[0], 6, 1e-12, "A units");
    rb_run_result_free(r);
}

Test(engine, rebalance_flows_buy_the_most_underweight_first)
{
    /* A doubles: 5 A worth 1000 vs CASH 500 (targets 0.5/0.5). A 300 contribution goes to
     * CASH, the underweight asset, up to its target at the new total 1800 (900): all 300. */
    static const char csv[] = "date,A\n2020-01-30,100\n2020-01-31,200\n2020-02-03,200\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,CASH=0.5", "capital", "1000", "contribution", "300",
                                       "flows", "rebalance"),
                               ALL);
    assert_close(r->sim.portfolio.units[0], 5, 1e-12, "A untouched");
    assert_close(r->sim.portfolio.units[1], 800, 1e-12, "CASH received the contribution");
    rb_run_result_free(r);
}

Test(engine, rebalance_flows_rank_the_underweight_by_weight_gap)
{
    /* 6 A, 2 B, 2 C (targets 0.6 / 0.2 / 0.2) at 80, 35, 225: values 480, 70, 450 of 1000.
     * Weight gaps: A 0.12, B 0.13 (B is the most underweight); value missing at the new
     * total 1100: A 180, B 150 (A would come first). The 100 contribution fills B first, all
     * of it (B's room is 150). */
    static const char csv[] = "date,A,B,C\n2020-01-30,100,100,100\n2020-01-31,80,35,225\n2020-02-03,80,35,225\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.6,B=0.2,C=0.2", "capital", "1000", "contribution", "100",
                                       "flows", "rebalance"),
                               ALL);
    assert_close(r->sim.portfolio.units[0], 6, 1e-12, "A untouched");
    assert_close(r->sim.portfolio.units[1], 2 + 100.0 / 35, 1e-12, "B received the contribution");
    assert_close(r->sim.portfolio.units[2], 2, 1e-12, "C untouched");
    rb_run_result_free(r);
}

Test(engine, contributions_spend_the_cash_left_by_lot_rounding)
{
    /* Whole units at 30 and 70: 16 A and 7 B, 30 left in cash. The February contribution of
     * 100 invests all 130 uninvested at the targets: 65 each, 2 A (60) and no B (65 < 70),
     * so A ends at 18 units and 70 stays in cash. (Investing the 100 alone would buy 1 A.) */
    static const char csv[] = "date,A,B\n2020-01-30,30,70\n2020-01-31,30,70\n2020-02-03,30,70\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "lot-size", "1", "contribution",
                                       "100"),
                               ALL);
    cr_assert_eq(r->sim.cash[1], 30, "cash left by the first allocation");
    cr_assert_eq(r->sim.portfolio.units[0], 18);
    cr_assert_eq(r->sim.portfolio.units[1], 7);
    assert_close(r->sim.portfolio.cash, 70, 1e-12, "cash left by the contribution");
    rb_run_result_free(r);
}

Test(engine, a_flow_whose_cost_jumps_with_an_order_settles_on_the_safe_budget)
{
    /* 1002 at 1 per order buys 5 A and 5 B at 100. A falls to 80, B rises to 120: 400 / 600.
     * A contribution of 201.2 (--flows rebalance) fills A first, up to half the new total:
     * A's room is 0.5 (1000 + x) - 400 = 100 + x / 2. With x = 201.2 - costs: two orders (A and
     * a sliver of B) cost 2 -> x = 199.2 fits in A's room (one order), which costs 1 -> x =
     * 200.2 overflows into B again: the budget alternates 199.2 / 200.2. The safe budget is
     * 199.2: A buys 199.2 / 80 = 2.49 units, 1 of fee, and 1.0 stays in cash. */
    static const char csv[] = "date,A,B\n2020-01-30,100,100\n2020-01-31,80,120\n2020-02-03,80,120\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,B=0.5", "capital", "1002", "fee-fixed", "1", "contribution",
                                       "201.2", "flows", "rebalance"),
                               ALL);
    assert_close(r->sim.portfolio.units[0], 7.49, 1e-12, "A units");
    assert_close(r->sim.portfolio.units[1], 5, 0, "B untouched");
    assert_close(r->sim.portfolio.cash, 1.0, 1e-9, "cash left");
    assert_close(M(r)->final_value, 1200.2, 1e-12, "value");
    rb_run_result_free(r);
}

Test(engine, withdrawals_sell_pro_rata)
{
    static const char csv[] = "date,A\n2020-01-30,100\n2020-01-31,100\n2020-02-03,100\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,CASH=0.5", "capital", "1000", "contribution", "-200"), ALL);
    assert_close(M(r)->final_value, 800, 1e-12, "value");
    assert_close(r->sim.portfolio.units[0], 4, 1e-12, "A units");
    assert_close(r->sim.flow[2], -200, 0, "flow");
    rb_run_result_free(r);
}

/* A flat A and CASH, 1000 invested, 300 withdrawn at each new month: 700, 400, 100; the
 * May withdrawal takes the last 100 and the run ends there (depleted on 2020-05-01): its
 * metrics are over the five bars up to it, its curve stops there. */
Test(engine, a_withdrawal_plan_that_empties_the_portfolio_ends_the_run_there)
{
    static const char csv[] = "date,A\n2020-01-02,100\n2020-02-03,100\n2020-03-02,100\n2020-04-01,100\n"
                              "2020-05-01,100\n2020-06-01,100\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,CASH=0.5", "capital", "1000", "contribution", "-300",
                                       "strategy", "calendar", "every", "month", "tax-short", "0.3"),
                               ALL);
    const rb_metrics *mx = M(r);
    cr_assert_eq(mx->depleted, 1);
    char date[32];
    cr_assert_str_eq(rb_time_format(mx->depleted_on, date), "2020-05-01");
    cr_assert_eq(mx->end, mx->depleted_on);
    cr_assert_eq(mx->bars, 5);
    cr_assert_eq(r->sim.T, 5);
    cr_assert_eq(mx->final_value, 0);
    cr_assert_eq(mx->after_tax_value, 0, "flat prices: no gain, no tax");
    assert_close(r->sim.flow[4], -100, 1e-12, "the last withdrawal takes what there is");
    assert_close(mx->total_return, 0, 1e-12, "flat prices: the withdrawals are flows, not returns");
    cr_assert_eq(mx->avg_drift, 0, "on target before the depletion bar, which has no weights");
    /* JSON: the date; the curve: four rows. */
    char *json = NULL, *curve = NULL;
    size_t len = 0, clen = 0;
    FILE *f = open_memstream(&json, &len);
    rb_error err = {0};
    cr_assert_eq(rb_run_write_json(r, f, &err), RB_OK, "%s", err.msg);
    fclose(f);
    cr_assert_not_null(strstr(json, "\"depleted_on\": \"2020-05-01\""), "%s", json);
    f = open_memstream(&curve, &clen);
    cr_assert_eq(rb_run_write_curve(r, f, &err), RB_OK, "%s", err.msg);
    fclose(f);
    size_t rows = 0;
    for (const char *c = curve; *c; c++) rows += *c == '\n';
    cr_assert_eq(rows, 6, "a header and five bars:\n%s", curve);
    free(json);
    free(curve);
    rb_run_result_free(r);

    /* A plan the portfolio bears runs to the end and says so with null. */
    r = run_csv(csv, KV("assets", "A=0.5,CASH=0.5", "capital", "1000", "contribution", "-100"), ALL);
    cr_assert_eq(M(r)->depleted, 0);
    cr_assert_eq(M(r)->bars, 6);
    assert_close(M(r)->final_value, 500, 1e-12, "five withdrawals of 100");
    f = open_memstream(&json, &len);
    cr_assert_eq(rb_run_write_json(r, f, &err), RB_OK, "%s", err.msg);
    fclose(f);
    cr_assert_not_null(strstr(json, "\"depleted_on\": null"), "%s", json);
    free(json);
    rb_run_result_free(r);
}

/* The last withdrawal of a taxed run sells at a gain: the tax of those sales is still owed
 * when the money runs out, so the after-tax value is negative by that much. A 100 -> 200:
 * 5 A (basis 500) and 500 CASH; withdrawals of 800 then take everything in February. */
Test(engine, a_depleted_run_still_owes_the_tax_of_its_last_sales)
{
    static const char csv[] = "date,A\n2020-01-02,100\n2020-01-31,200\n2020-02-03,200\n2020-03-02,200\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,CASH=0.5", "capital", "1000", "contribution", "-2000",
                                       "tax-short", "0.3"),
                               ALL);
    cr_assert_eq(M(r)->depleted, 1);
    cr_assert_eq(M(r)->bars, 3);
    assert_close(r->sim.flow[2], -1500, 1e-12, "everything: 1000 of A and 500 of CASH");
    assert_close(M(r)->after_tax_value, -0.3 * 500, 1e-12, "the tax on the 500 gain, still owed");
    rb_run_result_free(r);
}

Test(engine, contributions_follow_the_targets_in_force)
{
    /* Inverse-vol targets adopted at the rebalances (every 3 bars) differ from the
     * --assets weights; the February contribution must be spent in proportion to the
     * targets in force on its bar, not to the static weights. */
    static const char csv[] = "date,A,B\n2020-01-27,100,100\n2020-01-28,104,101\n2020-01-29,99,100\n"
                              "2020-01-30,103,101\n2020-01-31,98,100\n2020-02-03,102,101\n2020-02-04,97,100\n";
    rb_run_result *r = run_csv(csv, KV("assets", "A=0.5,B=0.5", "capital", "1000", "strategy", "calendar", "every",
                                       "3", "targets", "inverse-vol", "vol-window", "2", "contribution", "300"),
                               ALL);
    const rb_portfolio *p = &r->sim.portfolio;
    double bought[2] = {0, 0};
    size_t bar = 0;
    for (size_t k = 0; k < p->ntrades; k++)
        if (p->trades[k].kind == RB_TRADE_FLOW) {
            bought[p->trades[k].asset] += p->trades[k].units * p->trades[k].price;
            bar = p->trades[k].bar;
        }
    cr_assert_eq(bar, 5, "the contribution arrives on 2020-02-03 (bar 5)");
    const double *in_force = r->sim.targets + bar * 2;
    cr_assert(fabs(in_force[0] - 0.5) > 0.05, "the targets in force should differ from 50/50: %g", in_force[0]);
    assert_close(bought[0] / (bought[0] + bought[1]), in_force[0], 1e-12, "share of A in the contribution");
    rb_run_result_free(r);
}

Test(engine, spec_errors_name_the_setting)
{
    rb_run_spec *spec;
    rb_error err = {0};
    cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
    static const char *const bad[][3] = {
        {"assets", "A=0.5,B=0.6", "sum to 1.1"},
        {"assets", "A=0.5,B=-0.5", "out of range"},
        {"assets", "A=1,B", "SYM=WEIGHT"}, /* "A" alone: the symbols of a targets table */
        {"fee-bps", "ten", "'ten' is not a number"},
        {"fee-bps", "-1", "out of range"},
        {"tax-lots", "random", "'random' is not one of fifo|lifo|hifo|avg"},
        {"exec", "later", "not one of close|next-open"},
        {"strategy", "magic", "unknown strategy 'magic'"},
        {"frobnicate", "1", "unknown setting '--frobnicate'"},
        {"start", "01/02/2000", "--start: ambiguous date"},
        {"long-term-days", "1.5", "not a whole number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(rb_run_spec_set(spec, bad[i][0], bad[i][1], &err), RB_ERR_USAGE, "%s=%s accepted", bad[i][0],
                     bad[i][1]);
        cr_assert_not_null(strstr(err.msg, bad[i][2]), "'%s' lacks '%s'", err.msg, bad[i][2]);
    }
    cr_assert_eq(rb_run_spec_set(spec, "tax-short", "30%", &err), RB_OK, "%s", err.msg);
    rb_run_spec_free(spec);
    run_expect_error(two_assets, KV("assets", "A=0.5,B=0.5", "every", "month"), "--every does not apply");
    run_expect_error(two_assets, KV("assets", "A=0.5,B=0.5", "fee-bps", "C=10"), "C is not one of the --assets");
    run_expect_error(two_assets, KV("assets", "A=0.5,Z=0.5"), "unknown symbol 'Z'");
}

/* ---------------------------------------------------------------- invariants */

static uint64_t rng_state;
static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

/* A random wide CSV: 3 assets, 60 daily bars with volume-free random walks. */
static char *random_prices(void)
{
    size_t cap = 1 << 16, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv + len, cap - len, "date,X,Y,Z\n");
    double p[3] = {100, 50, 10};
    for (int t = 0; t < 60; t++) {
        char date[32];
        rb_time_format(1577836800 + (rb_time)t * 86400, date);
        len += (size_t)snprintf(csv + len, cap - len, "%s", date);
        for (int i = 0; i < 3; i++) {
            p[i] *= exp(0.04 * (uniform() - 0.5) * (i + 1));
            len += (size_t)snprintf(csv + len, cap - len, ",%.6f", p[i]);
        }
        len += (size_t)snprintf(csv + len, cap - len, "\n");
    }
    return csv;
}

Test(engine, random_configurations_conserve_value_and_stay_non_negative)
{
    rng_state = 0x9E3779B97F4A7C15ull;
    for (int trial = 0; trial < 40; trial++) {
        char *csv = random_prices();
        double w1 = 0.1 + 0.5 * uniform(), w2 = (1 - w1) * (0.2 + 0.6 * uniform());
        char assets[128], every[16], fee[32], slip[32], fixed[32], gas[32];
        snprintf(assets, sizeof assets, "X=%.17g,Y=%.17g,Z=%.17g", w1, w2, 1 - w1 - w2);
        snprintf(every, sizeof every, "%d", 1 + (int)(uniform() * 7));
        snprintf(fee, sizeof fee, "%.3f", 50 * uniform());
        snprintf(slip, sizeof slip, "%.3f", 30 * uniform());
        snprintf(fixed, sizeof fixed, "%.3f", 2 * uniform());
        snprintf(gas, sizeof gas, "%.3f", uniform());
        const char *lots[] = {"fifo", "lifo", "hifo", "avg"};
        rb_run_result *r = run_csv(csv, KV("assets", assets, "strategy", "calendar", "every", every, "fee-bps", fee,
                                           "slippage-bps", slip, "fee-fixed", fixed, "gas", gas, "tax-lots",
                                           lots[trial % 4]),
                                   ALL);
        const rb_sim_result *s = &r->sim;
        const rb_matrix *m = r->m;
        /* Costs of each bar, from the orders. */
        double *cost = calloc(m->T, sizeof *cost), total = 0;
        for (size_t k = 0; k < s->portfolio.ntrades; k++) {
            const rb_trade *tr = &s->portfolio.trades[k];
            cost[tr->bar] += tr->fee + tr->slippage + tr->gas;
            total += tr->fee + tr->slippage + tr->gas;
        }
        assert_close(total, M(r)->fees_paid + M(r)->slippage_paid + M(r)->gas_paid, 1e-9, "cost totals");
        assert_close(s->value[0], 1e5 - cost[0], 1e-9, "bar 0 conservation");
        for (size_t t = 1; t < m->T; t++) {
            /* Pre-trade value: last bar's units at this bar's closes, plus cash. */
            double pre = s->cash[t - 1];
            for (size_t i = 0; i < m->N; i++)
                pre += s->weights[(t - 1) * m->N + i] * s->value[t - 1] / m->close[(t - 1) * m->N + i] *
                       m->close[t * m->N + i];
            assert_close(pre - s->value[t], cost[t], 1e-9, "value conserved up to costs");
            cr_assert_geq(s->cash[t], 0, "negative cash");
            for (size_t i = 0; i < m->N; i++) cr_assert_geq(s->weights[t * m->N + i], 0, "negative units");
        }
        /* Lots: the proceeds of closed pieces are the sales' proceeds net of their costs. */
        size_t n;
        const rb_lot_piece *pieces = rb_lots_ledger(s->portfolio.lots, &n);
        double lot_proceeds = 0, sold = 0;
        for (size_t k = 0; k < n; k++)
            if (pieces[k].closed != RB_TIME_OPEN) lot_proceeds += pieces[k].proceeds;
        for (size_t k = 0; k < s->portfolio.ntrades; k++) {
            const rb_trade *tr = &s->portfolio.trades[k];
            if (tr->units < 0 && !tr->skipped) sold += -tr->units * tr->price - tr->fee - tr->slippage - tr->gas;
        }
        assert_close(lot_proceeds, sold, 1e-9, "lot proceeds");
        free(cost);
        free(csv);
        rb_run_result_free(r);
    }
}

Test(engine, an_infinite_calendar_period_equals_buy_and_hold)
{
    rng_state = 42;
    char *csv = random_prices();
    rb_run_result *a = run_csv(csv, KV("assets", "X=0.2,Y=0.3,Z=0.5", "fee-bps", "10"), ALL);
    rb_run_result *b = run_csv(csv, KV("assets", "X=0.2,Y=0.3,Z=0.5", "fee-bps", "10", "strategy", "calendar", "every",
                                       "1000"),
                               ALL);
    for (size_t t = 0; t < a->m->T; t++) cr_assert_eq(a->sim.value[t], b->sim.value[t]);
    free(csv);
    rb_run_result_free(a);
    rb_run_result_free(b);
}

/* ---------------------------------------------------------------- real data, checked independently */

/* Reads the monthly stocks file into prices[symbol][month] by plain string handling. */
static int month_index(const char *date)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int m = -1, year = atoi(strrchr(date, ' ') + 1);
    for (int i = 0; i < 12; i++)
        if (strncmp(date, months[i], 3) == 0) m = i;
    return (year - 2000) * 12 + m;
}

Test(engine, four_stocks_buy_and_hold_and_monthly_match_a_spreadsheet)
{
    char *path = rbt_source_path("data/bundled/stocks_monthly.csv");
    char *text = rbt_read_file(path, NULL);
    static const char *const syms[] = {"AAPL", "AMZN", "IBM", "MSFT"};
    double price[4][123] = {{0}};
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char sym[8], date[16];
        double p;
        if (sscanf(line, "%7[^,],%15[^,],%lf", sym, date, &p) != 3) continue;
        for (int i = 0; i < 4; i++)
            if (strcmp(sym, syms[i]) == 0) price[i][month_index(date)] = p;
    }
    double hold = 0, mix = 100000;
    for (int i = 0; i < 4; i++) hold += 25000 / price[i][0] * price[i][122];
    for (int t = 1; t < 123; t++) {
        double g = 0;
        for (int i = 0; i < 4; i++) g += 0.25 * price[i][t] / price[i][t - 1];
        mix *= g;
    }
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(":memory:", 0, &s, &err), RB_OK);
    rb_import_options opt;
    rb_import_options_init(&opt);
    rb_import_stats stats;
    cr_assert_eq(rb_import_files(s, (const char *const[]){path}, 1, &opt, &stats, &err), RB_OK, "%s", err.msg);
    const char *assets = "AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25";
    rb_run_result *bh = run_store(s, KV("assets", assets), 0);
    rb_run_result *mo = run_store(s, KV("assets", assets, "strategy", "calendar", "every", "month"), 0);
    assert_close(M(bh)->final_value, hold, 1e-9, "buy and hold");
    assert_close(M(mo)->final_value, mix, 1e-9, "monthly");
    cr_assert_eq(M(mo)->rebalances, 122);
    rb_run_result_free(bh);
    rb_run_result_free(mo);
    rb_store_free(s);
    free(text);
    free(path);
}

Test(engine, sixty_forty_spx_cash_monthly_matches_a_spreadsheet)
{
    char *path = rbt_source_path("data/bundled/sp500_daily.csv");
    char *text = rbt_read_file(path, NULL);
    /* A spreadsheet: hold 60 % SPX / 40 % cash, rebalanced on the first trading day of
     * each month (the month in the date string changes), no costs. */
    double units = 0, cash = 0, prev_close = 0;
    char prev_month[8] = "";
    int first = 1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char date[16];
        double o, h, l, c, a, v;
        if (sscanf(line, "%15[^,],%lf,%lf,%lf,%lf,%lf,%lf", date, &o, &h, &l, &c, &a, &v) != 7) continue;
        char month[8];
        memcpy(month, date, 7);
        month[7] = '\0';
        if (first) {
            units = 60000 / c;
            cash = 40000;
            first = 0;
        } else if (strcmp(month, prev_month) != 0) {
            double value = units * c + cash;
            units = 0.6 * value / c;
            cash = 0.4 * value;
        }
        memcpy(prev_month, month, 8);
        prev_close = c;
    }
    double want = units * prev_close + cash;
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(":memory:", 0, &s, &err), RB_OK);
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.symbol = "SPX";
    rb_import_stats stats;
    cr_assert_eq(rb_import_files(s, (const char *const[]){path}, 1, &opt, &stats, &err), RB_OK, "%s", err.msg);
    rb_run_result *r = run_store(s, KV("assets", "SPX=0.6,CASH=0.4", "strategy", "calendar", "every", "month"), 0);
    assert_close(M(r)->final_value, want, 1e-9, "60/40 monthly");
    cr_assert_eq(M(r)->periods_per_year, 252);
    rb_run_result_free(r);
    rb_store_free(s);
    free(text);
    free(path);
}

/* ---------------------------------------------------------------- annualization on real calendars */

/* A wide CSV "date,X" over the given days (days since 1970), X at price(k, years since the
 * first day) for the k-th bar. malloc'ed. */
static char *dated_csv(const int64_t *days, size_t n, double (*price)(size_t k, double years))
{
    size_t cap = 32 + n * 48, len = 0;
    char *csv = malloc(cap);
    cr_assert_not_null(csv);
    len += (size_t)snprintf(csv, cap, "date,X\n");
    for (size_t k = 0; k < n; k++) {
        char date[32];
        rb_time_format(days[k] * 86400, date);
        len += (size_t)snprintf(csv + len, cap - len, "%s,%.10g\n", date, price(k, (double)(days[k] - days[0]) / 365.25));
    }
    return csv;
}

static double flat(size_t k, double years) { (void)k, (void)years; return 100; }

/* 17.25 % a year in calendar time, with wiggles that cancel at the ends. */
static double seventeen(size_t k, double years)
{
    (void)k;
    return 100 * exp(log(1.1725) * years) * (1 + 0.05 * sin(2 * M_PI * years));
}

/* Days since 1970 of y-m-d (proleptic Gregorian). */
static int64_t civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400, doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* The calendars of the issue: every weekday from..to (a holiday-free business-day file),
 * every day (24/7), the 1st of every month. Returns the count; days holds them. */
static size_t business_days(int y0, int y1, int64_t *days)
{
    size_t n = 0;
    for (int64_t d = civil(y0, 1, 1); d <= civil(y1, 12, 31); d++)
        if ((d + 3) % 7 < 5) days[n++] = d; /* day 0 was a Thursday: (d + 3) % 7 is 0 on Mondays */
    return n;
}

static size_t every_day(int y0, int y1, int64_t *days)
{
    size_t n = 0;
    for (int64_t d = civil(y0, 1, 1); d <= civil(y1, 12, 31); d++) days[n++] = d;
    return n;
}

static size_t month_starts(int y0, int y1, int64_t *days)
{
    size_t n = 0;
    for (int y = y0; y <= y1; y++)
        for (int m = 1; m <= 12; m++) days[n++] = civil(y, m, 1);
    return n;
}

static void expect_cash_cagr(rb_store *s, const char *assets, const char *calendar)
{
    rb_run_result *r = run_store(s, KV("assets", assets, "cash-rate", "0.02"), 0);
    const rb_metrics *m = M(r);
    cr_expect(fabs(m->cagr - 0.02) <= 1e-4, "%s: a 2 %% cash rate reads cagr %.4f %% (P %g: %s)", calendar,
              100 * m->cagr, m->periods_per_year, m->periods_source);
    rb_run_result_free(r);
}

Test(engine, a_two_percent_cash_rate_reads_two_percent_on_every_calendar)
{
    static int64_t days[11000];
    const struct {
        const char *name;
        size_t (*make)(int, int, int64_t *);
        int y0, y1;
    } calendars[] = {
        {"holiday-free business days 1991-2020", business_days, 1991, 2020},
        {"24/7 days 2019-2022", every_day, 2019, 2022},
        {"the 1st of each month 2000-2009", month_starts, 2000, 2009},
    };
    for (size_t c = 0; c < sizeof calendars / sizeof calendars[0]; c++) {
        size_t n = calendars[c].make(calendars[c].y0, calendars[c].y1, days);
        char *csv = dated_csv(days, n, flat);
        rb_store *s = store_from_csv(csv, NULL);
        expect_cash_cagr(s, "X=0.000001,CASH=0.999999", calendars[c].name);
        rb_store_free(s);
        free(csv);
    }
    /* Exchange trading days: the bundled S&P 500 file's dates (2000-01-03 to 2020-04-17). */
    char *path = rbt_source_path("data/bundled/sp500_daily.csv");
    char *text = rbt_read_file(path, NULL);
    cr_assert_not_null(text, "%s", path);
    rb_store *s = store_from_csv(text, "SPX");
    expect_cash_cagr(s, "SPX=0.000001,CASH=0.999999", "S&P 500 trading days");
    rb_store_free(s);
    free(text);
    free(path);
}

Test(engine, business_day_cagr_agrees_with_calendar_time)
{
    static int64_t days[8000];
    size_t n = business_days(1991, 2020, days);
    char *csv = dated_csv(days, n, seventeen);
    rb_run_result *r = run_csv(csv, KV("assets", "X=1"), 0);
    const rb_metrics *m = M(r);
    double years = (double)(days[n - 1] - days[0]) / 365.25;
    double calendar = pow(m->final_value / 100000, 1 / years) - 1;
    cr_expect(fabs(m->cagr - calendar) <= 0.0005, "cagr %.4f %%, calendar time %.4f %% (P %g: %s)", 100 * m->cagr,
              100 * calendar, m->periods_per_year, m->periods_source);
    cr_expect_str_eq(m->periods_source, "260.9 bars per year observed, 1991-2020");
    rb_run_result_free(r);
    free(csv);
}

/* The bundled files keep their standard figures (so their metrics do not change), now
 * measured: the S&P 500's trading days, the monthly stocks, the 24/7 synthetic market. */
Test(engine, bundled_data_keeps_252_12_and_365)
{
    const struct {
        const char *file, *symbol, *assets, *source;
        double P;
    } cases[] = {
        {"data/bundled/sp500_daily.csv", "SPX", "SPX=0.6,CASH=0.4", "251.6 bars per year observed, 2000-2019 -> 252",
         252},
        {"data/bundled/stocks_monthly.csv", NULL, "AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25",
         "12.0 bars per year observed, 2000-2009 -> 12", 12},
        {"data/bundled/stocks_monthly.csv", NULL, "GOOG=0.5,MSFT=0.5", "12.0 bars per year observed, 2005-2009 -> 12",
         12},
        {"data/bundled/crypto_daily.csv", NULL, "BTC=0.5,ETH=0.3,USDS=0.2",
         "365.2 bars per year observed, 2019-2022 -> 365", 365},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *path = rbt_source_path(cases[c].file);
        char *text = rbt_read_file(path, NULL);
        cr_assert_not_null(text, "%s", path);
        rb_store *s = store_from_csv(text, cases[c].symbol);
        rb_run_result *r = run_store(s, KV("assets", cases[c].assets), 0);
        cr_expect_eq(M(r)->periods_per_year, cases[c].P, "%s: %g", cases[c].assets, M(r)->periods_per_year);
        cr_expect_str_eq(M(r)->periods_source, cases[c].source);
        rb_run_result_free(r);
        rb_store_free(s);
        free(text);
        free(path);
    }
}

/* ---------------------------------------------------------------- calendars the metrics refuse */

Test(engine, an_inferred_calendar_under_a_day_or_over_400000_a_year_is_refused)
{
    /* Bar numbers imported as epoch seconds: 200 one-second bars in 1970. */
    size_t cap = 1 << 18, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv, cap, "date,X\n");
    for (int k = 0; k < 200; k++) {
        char date[32];
        rb_time_format(k, date);
        len += (size_t)snprintf(csv + len, cap - len, "%s,%d\n", date, 100 + k % 7);
    }
    run_expect_error(csv, KV("assets", "X=0.5,CASH=0.5"), "under one day");
    run_expect_error(csv, KV("assets", "X=0.5,CASH=0.5"), "--periods-per-year");
    /* Said explicitly, it runs. */
    rb_run_result *r = run_csv(csv, KV("assets", "X=0.5,CASH=0.5", "periods-per-year", "98280"), 0);
    cr_expect_eq(M(r)->periods_per_year, 98280);
    rb_run_result_free(r);

    /* Minute bars of a 24/7 market over two days: 525,960 a year inferred. */
    len = (size_t)snprintf(csv, cap, "date,X\n");
    for (int k = 0; k < 2 * 1440 + 1; k++) {
        char date[32];
        rb_time_format(1577836800 + (rb_time)k * 60, date); /* from 2020-01-01 */
        len += (size_t)snprintf(csv + len, cap - len, "%s,%d\n", date, 100 + k % 7);
    }
    cr_assert_lt(len, cap);
    run_expect_error(csv, KV("assets", "X=0.5,CASH=0.5"), "525960 periods per year inferred");
    run_expect_error(csv, KV("assets", "X=0.5,CASH=0.5"), "over 400000");
    r = run_csv(csv, KV("assets", "X=0.5,CASH=0.5", "periods-per-year", "525960"), 0);
    cr_expect_eq(M(r)->periods_per_year, 525960);
    rb_run_result_free(r);
    free(csv);
}

/* ---------------------------------------------------------------- next-open on close-only data */

Test(engine, next_open_on_close_only_data_is_stated_in_the_conventions)
{
    static const char closes[] = "date,A,B\n2020-01-01,100,50\n2020-01-02,110,50\n2020-01-03,121,40\n";
    rb_run_result *r = run_csv(closes, KV("assets", "A=0.5,B=0.5", "strategy", "calendar", "every", "day", "exec",
                                          "next-open"), ALL);
    cr_expect_str_eq(M(r)->exec_note,
                     "next-open on close-only data: A, B have no open price, so their orders fill at the next bar's "
                     "close");
    /* It does: bar 1's order filled at bar 2's close. */
    const rb_portfolio *p = &r->sim.portfolio;
    cr_assert_gt(p->ntrades, 2);
    cr_expect_eq(p->trades[2].bar, 2);
    cr_expect_eq(p->trades[2].price, p->trades[2].asset == 0 ? 121 : 40);
    rb_run_result_free(r);

    /* One asset with opens, one without: only the second is named; CASH never is. */
    static const char mixed[] = "symbol,date,open,close\nA,2020-01-01,99,100\nA,2020-01-02,105,110\n"
                                "A,2020-01-03,120,121\nB,2020-01-01,,50\nB,2020-01-02,,50\nB,2020-01-03,,40\n";
    r = run_csv(mixed, KV("assets", "A=0.4,B=0.4,CASH=0.2", "exec", "next-open"), 0);
    cr_expect_str_eq(M(r)->exec_note,
                     "next-open on close-only data: B has no open price, so its orders fill at the next bar's close");
    rb_run_result_free(r);

    /* Data with opens, or execution at the close, has nothing to say. */
    r = run_csv(mixed, KV("assets", "A=0.8,CASH=0.2", "exec", "next-open"), 0);
    cr_expect_str_eq(M(r)->exec_note, "");
    rb_run_result_free(r);
    r = run_csv(closes, KV("assets", "A=0.5,B=0.5"), 0);
    cr_expect_str_eq(M(r)->exec_note, "");
    rb_run_result_free(r);
}
