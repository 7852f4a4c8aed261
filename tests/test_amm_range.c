/* test_amm_range.c - concentrated liquidity, --amm-range SYM=LOW:HIGH (issue 17, docs/engine.md
 * "Concentrated liquidity"): the order's cost against Uniswap v3's own formulas, a run worked
 * by hand, a trade past the range's edge refused naming the asset, the date and the largest
 * trade, with --amm-depth-series, in a sweep (a failed row; the batch gives what `rebal run`
 * gives) and the setting's refusals. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "costs.h"
#include "portfolio.h"
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
TestSuite(amm_range, .init = setup, .fini = teardown, .timeout = 120);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---------------------------------------------------------------- one order */

/* Uniswap v3 within a tick range, from its own formulas: liquidity L at the price P over
 * [Pa, Pb] holds x = L (1/sqrt(P) - 1/sqrt(Pb)) units and y = L (sqrt(P) - sqrt(Pa)) quote;
 * a buy of u units (price up to P') pays dy = L (sqrt(P') - sqrt(P)) after the fee, with
 * 1/sqrt(P') = 1/sqrt(P) - u / L; a sale of u units (u (1 - f) entering) returns
 * dy = L (sqrt(P) - sqrt(P')), 1/sqrt(P') = 1/sqrt(P) + u (1 - f) / L. The position holds
 * 2R at the centre: x P + y = 2R gives L. Returns the slippage (what the order pays beyond
 * u P and the fee). */
static double v3_slippage(double R, double P, double low, double high, double f, double units)
{
    double sp = sqrt(P), sa = sqrt(low * P), sb = sqrt(high * P);
    double L = 2 * R / ((1 / sp - 1 / sb) * P + (sp - sa));
    double u = fabs(units);
    if (units > 0) {
        double sq = 1 / (1 / sp - u / L), dy = L * (sq - sp); /* enters the pool after the fee */
        double paid = dy / (1 - f);
        return paid - u * P - paid * f;
    }
    double sq = 1 / (1 / sp + u * (1 - f) / L), got = L * (sp - sq);
    return u * P - got - u * P * f;
}

Test(amm_range, an_order_costs_what_uniswap_v3_formulas_give)
{
    const double ranges[][2] = {{0.9, 1.1}, {0.5, 2}, {0.99, 1.02}, {0.2, 1.05}, {0.999, 1.001}};
    const double fees[] = {0, 30, 100};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
        for (size_t k = 0; k < sizeof fees / sizeof fees[0]; k++)
            for (double units = -500; units <= 500; units += 125) {
                rb_asset_costs c = {.amm_depth = 1e6, .amm_fee_bps = fees[k], .amm_range_low = ranges[r][0],
                                    .amm_range_high = ranges[r][1]};
                rb_order_market mk = {.price = 100};
                rb_order_cost o;
                rb_error err = {0};
                rb_status rc = rb_order_cost_of(&c, units, &mk, &o, &err);
                if (units == 0) continue;
                cr_assert_eq(rc, RB_OK, "%g:%g, %g units: %s", ranges[r][0], ranges[r][1], units, err.msg);
                double want = v3_slippage(1e6, 100, ranges[r][0], ranges[r][1], fees[k] / 1e4, units);
                /* v3's route subtracts nearly equal amounts: its own error is ~1e-16 of L */
                cr_assert(fabs(o.slippage - want) <= 1e-9 * fabs(units) * 100, "%g:%g fee %g, %g units: %.12g vs %.12g",
                          ranges[r][0], ranges[r][1], fees[k], units, o.slippage, want);
            }
}

/* The same depth in a narrower range is more liquidity at the price: a cheaper order; the
 * full range 0:0 is the constant-product pool itself, and a range tending to it costs
 * what the pool does. */
Test(amm_range, a_narrower_range_is_deeper_and_the_full_range_is_the_pool)
{
    rb_order_market mk = {.price = 100};
    rb_order_cost pool, wide, mid, narrow;
    rb_asset_costs c = {.amm_depth = 1e6, .amm_fee_bps = 30};
    cr_assert_eq(rb_order_cost_of(&c, 100, &mk, &pool, NULL), RB_OK);
    c.amm_range_low = 1e-12, c.amm_range_high = 1e12;
    cr_assert_eq(rb_order_cost_of(&c, 100, &mk, &wide, NULL), RB_OK);
    c.amm_range_low = 0.5, c.amm_range_high = 2;
    cr_assert_eq(rb_order_cost_of(&c, 100, &mk, &mid, NULL), RB_OK);
    c.amm_range_low = 0.9, c.amm_range_high = 1.1;
    cr_assert_eq(rb_order_cost_of(&c, 100, &mk, &narrow, NULL), RB_OK);
    rbt_assert_close(wide.slippage, pool.slippage, 1e-5, "a range of 1e-12 to 1e12 is the full pool");
    cr_assert(narrow.slippage < mid.slippage && mid.slippage < pool.slippage, "%g %g %g", narrow.slippage,
              mid.slippage, pool.slippage);
    /* 0.9:1.1 concentrates the same capital 20.4385890867 times (docs/engine.md) */
    rbt_assert_close(pool.slippage / narrow.slippage, 20.4385890867151513, 2e-2, "about the amplification (a small order)");
    /* a sale's fee is the fee on what it puts in, whatever the liquidity */
    c.amm_range_low = c.amm_range_high = 0;
    cr_assert_eq(rb_order_cost_of(&c, -100, &mk, &pool, NULL), RB_OK);
    c.amm_range_low = 0.9, c.amm_range_high = 1.1;
    cr_assert_eq(rb_order_cost_of(&c, -100, &mk, &narrow, NULL), RB_OK);
    cr_assert_eq(narrow.fee, pool.fee);
    cr_assert(narrow.slippage < pool.slippage / 20);
}

/* At the range's edges: a buy of all the position's real units (docs: 951,159.02 of value at
 * depth 1e6, 0.9:1.1, no fee) is the largest it takes; a hair more is refused, naming the
 * largest; a sale likewise at the lower edge (1,048,840.98 paid out). */
Test(amm_range, a_trade_past_the_edge_is_refused_naming_the_largest)
{
    rb_asset_costs c = {.amm_depth = 1e6, .amm_range_low = 0.9, .amm_range_high = 1.1};
    rb_order_market mk = {.price = 100};
    rb_order_cost o;
    rb_error err = {0};
    double most_buy = 9511.59015569017216 * (1 - 1e-12);
    cr_assert_eq(rb_order_cost_of(&c, most_buy, &mk, &o, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_order_cost_of(&c, 9511.6, &mk, &o, &err), RB_ERR_DATA);
    cr_assert_not_null(strstr(err.msg, "a buy of 9511.6 units crosses the AMM range's upper edge"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "at most 9511.59 units"), "%s", err.msg);
    /* a sale's largest: (1/sqrt(0.9) - 1) of the virtual 204385.89 units */
    double most_sale = 204385.890867151513 * (1 / sqrt(0.9) - 1);
    cr_assert_eq(rb_order_cost_of(&c, -most_sale * (1 - 1e-12), &mk, &o, &err), RB_OK, "%s", err.msg);
    rbt_assert_close(most_sale * 100 - o.slippage, 1048840.98443098278, 1e-9, "the sale pays out the real quote");
    cr_assert_eq(rb_order_cost_of(&c, -most_sale * 1.001, &mk, &o, &err), RB_ERR_DATA);
    cr_assert_not_null(strstr(err.msg, "crosses the AMM range's lower edge (0.9 x the price 100"), "%s", err.msg);
    /* settings out of their domain, from the library: named */
    c.amm_range_low = 1.2;
    cr_assert_eq(rb_order_cost_of(&c, 1, &mk, &o, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "--amm-range"), "%s", err.msg);
}

/* ---------------------------------------------------------------- runs */

/* Three daily bars of X (CASH beside it), every bar rebalanced, no cost but the pool (fee 0),
 * depth R = 1e6 in the range 0.9:1.1 (tests/test_series.c works the same run in the full
 * pool: 2498.44, 37.13 and 9.33 ... paid):
 *   amplify = 2 / ((1 - 0.9) / (1 + sqrt 0.9) + (1.1 - 1) / (sqrt 1.1 (1 + sqrt 1.1)))
 *           = 20.4385890867, so the virtual reserve is Y = 20,438,589.09 quote;
 *   a buy of value v pays v^2 / (Y - v), a sale v^2 / (Y + v).
 *   bar 0 (price 100): v = (100000 - v^2 / (Y - v)) / 2: v = 49938.8412711, s = 122.3174579.
 *   bar 1 (price 125): X worth 62423.551589, W = 112362.392860: sells v = 6243.3084291,
 *     s = 1.9065405; the value is 112360.4863194.
 *   bar 2 (price 80): buys v = 10109.9420914, s = 5.0033548; the final value 92130.5954271. */

static rb_run_result *ranged_run(rb_store *s, const char *depth_key, const char *depth, const char *range)
{
    return rbt_run_store(s,
                         RBT_KV("assets", "X=0.5,CASH=0.5", "strategy", "calendar", "every", "1", "amm-fee-bps", "0",
                                depth_key, depth, "amm-range", range),
                         RBT_KEEP_ALL);
}

Test(amm_range, a_ranged_pool_run_as_worked_by_hand)
{
    rb_store *s = rbt_three_bar_depth_store(dir);
    rb_run_result *r = ranged_run(s, "amm-depth", "X=1e6", "X=0.9:1.1");
    const rb_portfolio *p = &r->sim.portfolio;
    static const double slippage[] = {122.3174579, 1.9065405, 5.0033548};
    size_t k = 0;
    for (size_t j = 0; j < p->ntrades; j++)
        if (p->trades[j].asset == 0) {
            cr_assert_lt(k, 3);
            rbt_assert_close(p->trades[j].slippage, slippage[k], 1e-7, "the slippage, as worked above");
            k++;
        }
    cr_assert_eq(k, 3);
    rbt_assert_close(r->sim.value[1], 112360.4863194, 1e-11, "bar 1, as worked above");
    rbt_assert_close(r->sim.value[2], 92130.5954271, 1e-11, "the final value, as worked above");
    rb_run_result_free(r);

    /* with the depth series (1e6, 1e6, 4e6): bar 2's purchase meets Y = amplify x 4e6 */
    r = ranged_run(s, "amm-depth-series", "X=depth-X", "0.9:1.1");
    p = &r->sim.portfolio;
    const rb_trade *last = NULL;
    for (size_t j = 0; j < p->ntrades; j++)
        if (p->trades[j].asset == 0) last = &p->trades[j];
    cr_assert_not_null(last);
    double v = fabs(last->units) * last->price, Y = 20.4385890867151513 * 4e6;
    cr_assert_eq(last->bar, 2);
    rbt_assert_close(last->slippage, v * v / (Y - v), 1e-12, "bar 2 at its own depth in the range");
    rb_run_result_free(r);
    rb_store_free(s);
}

/* A range mostly below the price holds few units: 0.5:1.01 at depth 1e6 sells at most
 * 333.24 units (33,323.55 of value) into buys, and the first allocation's 50,000 is
 * refused, naming the asset, the date and that largest trade. */
Test(amm_range, a_run_whose_trade_crosses_the_edge_fails_naming_asset_date_and_largest)
{
    rb_status rc = rbt_run_expect_error(dir, rbt_three_bars,
                                        RBT_KV("assets", "X=0.5,CASH=0.5", "amm-depth", "1e6", "amm-range", "0.5:1.01"),
                                        "X on 2020-01-01: a buy of");
    cr_assert_eq(rc, RB_ERR_DATA);
    rc = rbt_run_expect_error(dir, rbt_three_bars,
                              RBT_KV("assets", "X=0.5,CASH=0.5", "amm-depth", "1e6", "amm-range", "0.5:1.01"),
                              "at most 333.235 units (33323.5 in value)");
    cr_assert_eq(rc, RB_ERR_DATA);
}

Test(amm_range, the_setting_is_read_and_refused_naming_the_option)
{
    static const struct {
        const char *value, *needle;
    } bad[] = {
        {"0.9", "--amm-range: '0.9' is not LOW:HIGH"},
        {"0.9:1.1:1.2", "is not LOW:HIGH"},
        {"1.2:1.5", "--amm-range: 1.2:1.5: LOW must be above 0 and below 1 and HIGH above 1"},
        {"X=0.9:0.95", "--amm-range: X=0.9:0.95: LOW must be above 0"},
        {"0:1.1", "LOW must be above 0"},
        {"0.9:x", "--amm-range"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        rb_run_spec *spec = NULL;
        rb_error err = {0};
        cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
        cr_assert_eq(rb_run_spec_set(spec, "amm-range", bad[k].value, &err), RB_ERR_USAGE, "%s", bad[k].value);
        cr_assert_not_null(strstr(err.msg, bad[k].needle), "%s: %s", bad[k].value, err.msg);
        rb_run_spec_free(spec);
    }
    /* an unknown symbol, at the run */
    rb_status rc = rbt_run_expect_error(dir, rbt_three_bars,
                                        RBT_KV("assets", "X=0.5,CASH=0.5", "amm-depth", "1e6", "amm-range", "Y=0.9:1.1"),
                                        "--amm-range: Y is not one of the --assets");
    cr_assert_eq(rc, RB_ERR_USAGE);
    /* per asset with a default; an empty value clears it */
    rb_run_spec *spec = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
    cr_assert_eq(rb_run_spec_set(spec, "amm-range", "0.8:1.25,X=0.5:2", &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_run_spec_set(spec, "amm-range", "", &err), RB_OK, "%s", err.msg);
    rb_run_spec_free(spec);
}

/* amm-range is a [costs] key: a list of ranges runs each; a range the trades cross is a
 * failed row with the message, the others run, and each row is `rebal run`'s. */
Test(amm_range, amm_range_is_a_sweep_key_and_a_crossed_range_a_failed_row)
{
    char *prices = rbt_write_file(dir, "p.csv", rbt_three_bars);
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "s.db", "p.csv"));
    char *ini = rbt_write_file(dir, "grid.ini",
                               "[data]\nassets = X=0.5,CASH=0.5\n[costs]\namm-depth = 1e6\namm-fee-bps = 0\n"
                               "amm-range = \"0.9:1.1\", \"0.5:1.01\", \"X=0.8:1.25\"\n[calendar]\nevery = 1\n");
    rbt_run_result r = rbt_run(dir, NULL, ARGS("sweep", "-q", "--db", "s.db", "--results", "res.db", "grid.ini"));
    cr_assert_eq(r.status, 1, "one configuration fails: %s", r.err);
    cr_assert_not_null(strstr(r.err, "crosses the AMM range's upper edge"), "%s", r.err);
    rbt_run_result_free(&r);
    char *res = rbt_path(dir, "res.db");
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM runs"), 3);
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM runs WHERE status = 'failed' AND amm_range = '0.5:1.01' "
                                     "AND error LIKE '%X on 2020-01-01: a buy of%at most%'"),
                 1);
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM runs WHERE amm_range = '0.9:1.1' AND "
                                     "abs(final_value - 92130.5954271) < 1e-6"),
                 1, "as worked by hand");
    r = rbt_run(dir, NULL,
                ARGS("run", "--db", "s.db", "--assets", "X=0.5,CASH=0.5", "--strategy", "calendar", "--every", "1",
                     "--amm-depth", "1e6", "--amm-fee-bps", "0", "--amm-range", "X=0.8:1.25", "--json"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "\"amm-range\": \"X=0.8:1.25\""), "%s", r.out);
    const char *fv = strstr(r.out, "\"final_value\": ");
    cr_assert_not_null(fv, "%s", r.out);
    /* rebal run's value as printed (SQLite's reading of its digits may be an ulp off; the
     * batch's differential test in test_batch.c holds the two to the bit) */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE amm_range = 'X=0.8:1.25' AND abs(final_value - %.*s) <= "
             "1e-12 * final_value", (int)strcspn(fv + strlen("\"final_value\": "), ","), fv + strlen("\"final_value\": "));
    rbt_run_result_free(&r);
    cr_assert_eq(rbt_sqlite_int(res, sql), 1, "%s", sql);
    free(res);
    free(ini);
    free(prices);
}

/* ---------------------------------------------------------------- the demo */

/* The demo prints, for its crypto mix, the bonus less the drag under each pool model and the
 * fee from which rebalancing turns net-negative; the depth series (shallower pools in
 * storms) turns it earlier than the constant pools, and the range later. */
Test(amm_range, the_demo_prints_where_each_pool_model_turns_rebalancing_net_negative, .timeout = 240)
{
    rbt_run_result r = rbt_run(dir, NULL, ARGS("demo", "--out", "demo-out"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *table = strstr(r.out, "Where rebalancing turns net-negative on the DEX");
    cr_assert_not_null(table, "%s", r.out);
    const char *rows[] = {"constant pools", "depth series", "pools in 0.9:1.1"};
    int from[3];
    for (int k = 0; k < 3; k++) {
        const char *row = strstr(table, rows[k]), *at = row ? strstr(row, "net-negative from ") : NULL;
        cr_assert_not_null(at, "%s:\n%s", rows[k], table);
        from[k] = atoi(at + strlen("net-negative from "));
    }
    cr_assert(from[1] < from[0] && from[0] <= from[2], "constant %d, series %d, range %d bps", from[0], from[1],
              from[2]);
    rbt_run_result_free(&r);
}
