/* test_gas_tx.c - one transaction per rebalance (issue 17): --gas-tx G paid once by each
 * batch of orders that trades, --gas-swap g per order in it, beside --gas (docs/engine.md,
 * "Gas"), worked by hand; in the trade records, with CASH (no swap), added to --gas, in a
 * sweep (the batch simulator gives what `rebal run` gives) and refused when negative. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
TestSuite(gas_tx, .init = setup, .fini = teardown, .timeout = 120);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Two daily bars of X, Y and Z:
 *
 *   bar   X     Y    Z
 *   0     100   50   20
 *   1     120   40   25
 *
 * targets X 0.5, Y 0.3, Z 0.2, rebalanced every bar, no cost but --gas-tx 10 --gas-swap 2.
 *   bar 0, the first allocation: three buys, one transaction: 10 + 3 x 2 = 16 of gas, so
 *     B' = 100000 - 16 = 99984 is invested: X 499.92 units, Y 599.904, Z 999.84, cash 0.
 *     The transaction's 10 is charged to its first order (buys in column order: X), so the
 *     orders record gas 12, 2, 2.
 *   bar 1: X worth 59990.4, Y 23996.16, Z 24996, W = 108982.56. All three trade (a sale of
 *     X and of Z, a purchase of Y: three swaps), 16 of gas again: B' = 108966.56, so X holds
 *     54483.28 (sells 5507.12), Y 32689.968 (buys 8693.808) and Z 21793.312 (sells
 *     3202.688); the sales bring 8709.808, the purchase takes 8693.808, the gas 16: cash 0.
 *     Sales execute first: X's sale pays the 10 (gas 12), Z's and Y's orders 2 each.
 *   The run ends worth 108966.56 with gas_paid 32. */
static const char three_assets[] = "symbol,date,close\n"
                                   "X,2020-01-01,100\nY,2020-01-01,50\nZ,2020-01-01,20\n"
                                   "X,2020-01-02,120\nY,2020-01-02,40\nZ,2020-01-02,25\n";

static rb_run_result *run_gas(const char *const *gas_kv)
{
    const char *kv[16] = {"assets", "X=0.5,Y=0.3,Z=0.2", "strategy", "calendar", "every", "1"};
    size_t n = 6;
    for (size_t i = 0; gas_kv[i]; i++) kv[n++] = gas_kv[i];
    kv[n] = NULL;
    return rbt_run_csv(dir, three_assets, kv, RBT_KEEP_ALL);
}

Test(gas_tx, one_transaction_per_rebalance_as_worked_by_hand)
{
    rb_run_result *r = run_gas(ARGS("gas-tx", "10", "gas-swap", "2"));
    const rb_portfolio *p = &r->sim.portfolio;
    cr_assert_eq(p->ntrades, 6, "three orders a bar, got %zu", p->ntrades);
    /* bar 0: X, Y, Z bought in column order; bar 1: X and Z sold, then Y bought */
    static const size_t asset[] = {0, 1, 2, 0, 2, 1};
    static const double units[] = {499.92, 599.904, 999.84, -5507.12 / 120, -3202.688 / 25, 8693.808 / 40};
    static const double gas[] = {12, 2, 2, 12, 2, 2};
    for (size_t k = 0; k < 6; k++) {
        const rb_trade *tr = &p->trades[k];
        cr_assert_eq(tr->asset, asset[k], "order %zu: asset %zu", k, tr->asset);
        rbt_assert_close(tr->units, units[k], 1e-12, "units, as worked above");
        cr_assert_eq(tr->gas, gas[k], "order %zu: gas %g, worked %g", k, tr->gas, gas[k]);
        cr_assert_eq(tr->fee, 0);
        cr_assert_eq(tr->slippage, 0);
    }
    rbt_assert_close(r->sim.value[0], 99984, 1e-14, "bar 0's value: the capital less 16 of gas");
    rbt_assert_close(r->sim.value[1], 108966.56, 1e-14, "the final value, as worked above");
    cr_assert(fabs(r->sim.cash[1]) <= 1e-9, "cash %g after the rebalance", r->sim.cash[1]);
    cr_assert_eq(rb_run_metrics(r)->gas_paid, 32);
    cr_assert_eq(rb_run_metrics(r)->rebalances, 1);
    rb_run_result_free(r);
}

/* Per order or per transaction: when every asset trades, --gas 6 (three transactions of 6)
 * and --gas-tx 12 --gas-swap 2 (one of 12 + 3 x 2) both cost 18 a bar, and the runs end
 * worth the same to the bit; the records differ (6, 6, 6 against 14, 2, 2). They add:
 * --gas 1 --gas-tx 10 --gas-swap 2 costs 10 + 3 x (1 + 2) = 19 a bar. */
Test(gas_tx, per_order_and_per_transaction_gas_compared_and_added)
{
    rb_run_result *per_order = run_gas(ARGS("gas", "6"));
    rb_run_result *vault = run_gas(ARGS("gas-tx", "12", "gas-swap", "2"));
    rb_run_result *both = run_gas(ARGS("gas", "1", "gas-tx", "10", "gas-swap", "2"));
    for (size_t t = 0; t < 2; t++)
        cr_assert_eq(memcmp(&per_order->sim.value[t], &vault->sim.value[t], sizeof(double)), 0,
                     "bar %zu: %.17g against %.17g", t, per_order->sim.value[t], vault->sim.value[t]);
    cr_assert_eq(per_order->sim.portfolio.trades[0].gas, 6);
    cr_assert_eq(vault->sim.portfolio.trades[0].gas, 14);
    cr_assert_eq(vault->sim.portfolio.trades[1].gas, 2);
    rbt_assert_close(both->sim.value[0], 100000 - 19, 1e-14, "bar 0: 10 + 3 x (1 + 2)");
    cr_assert_eq(rb_run_metrics(both)->gas_paid, 38);
    cr_assert_eq(both->sim.portfolio.trades[0].gas, 13);
    cr_assert_eq(both->sim.portfolio.trades[2].gas, 3);
    rb_run_result_free(per_order);
    rb_run_result_free(vault);
    rb_run_result_free(both);
}

/* CASH is no swap: X=0.5,CASH=0.5 trades one swap a bar and pays 10 + 2; a bar on which
 * nothing trades (the price unchanged) pays nothing, not even the transaction. */
Test(gas_tx, cash_is_no_swap_and_a_bar_without_orders_pays_nothing)
{
    static const char csv[] = "symbol,date,close\nX,2020-01-01,100\nX,2020-01-02,100\nX,2020-01-03,125\n";
    rb_run_result *r = rbt_run_csv(dir, csv,
                                   RBT_KV("assets", "X=0.5,CASH=0.5", "strategy", "calendar", "every", "1", "gas-tx",
                                          "10", "gas-swap", "2"),
                                   RBT_KEEP_ALL);
    const rb_metrics *mx = rb_run_metrics(r);
    /* bar 0: one swap (12); bar 1: on target, no order; bar 2: one swap (12) */
    cr_assert_eq(mx->gas_paid, 24, "gas %g", mx->gas_paid);
    cr_assert_eq(mx->rebalances, 1);
    rbt_assert_close(r->sim.value[0], 100000 - 12, 1e-14, "bar 0");
    /* bar 2: X worth 49994 x 1.25 = 62492.5, W = 112486.5; the swap pays 12: 112474.5 */
    rbt_assert_close(r->sim.value[2], 112474.5, 1e-14, "bar 2");
    rb_run_result_free(r);
}

Test(gas_tx, negative_gas_is_refused_naming_the_option)
{
    rb_run_spec *spec = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
    cr_assert_eq(rb_run_spec_set(spec, "gas-tx", "-1", &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "--gas-tx"), "%s", err.msg);
    cr_assert_eq(rb_run_spec_set(spec, "gas-swap", "x", &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "--gas-swap"), "%s", err.msg);
    rb_run_spec_free(spec);
}

/* gas-tx and gas-swap are [costs] keys of a sweep file, swept like any other; each row is
 * what `rebal run` gives. */
Test(gas_tx, gas_tx_and_gas_swap_are_sweep_keys)
{
    char *prices = rbt_write_file(dir, "p.csv", three_assets);
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "s.db", "p.csv"));
    char *ini = rbt_write_file(dir, "grid.ini",
                               "[data]\nassets = X=0.5,Y=0.3,Z=0.2\n[costs]\ngas-tx = 0, 10\ngas-swap = 0, 2\n"
                               "[calendar]\nevery = 1\n");
    rbt_run_ok(dir, ARGS("sweep", "-q", "--db", "s.db", "--results", "res.db", "grid.ini"));
    char *res = rbt_path(dir, "res.db");
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM runs"), 4);
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM runs WHERE gas_tx = 10 AND gas_swap = 2 AND "
                                     "abs(final_value - 108966.56) < 1e-8"),
                 1, "as worked by hand");
    rbt_run_result r = rbt_run(dir, NULL,
                ARGS("run", "--db", "s.db", "--assets", "X=0.5,Y=0.3,Z=0.2", "--strategy", "calendar", "--every", "1",
                     "--gas-tx", "10", "--gas-swap", "0", "--json"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *fv = strstr(r.out, "\"final_value\": ");
    cr_assert_not_null(fv, "%s", r.out);
    cr_assert_not_null(strstr(r.out, "\"gas-tx\": 10"), "%s", r.out);
    /* rebal run's value as printed (SQLite's reading of its digits may be an ulp off; the
     * batch's differential test in test_batch.c holds the two to the bit) */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE gas_tx = 10 AND gas_swap = 0 AND abs(final_value - %.*s) <= "
             "1e-12 * final_value", (int)strcspn(fv + strlen("\"final_value\": "), ","), fv + strlen("\"final_value\": "));
    rbt_run_result_free(&r);
    cr_assert_eq(rbt_sqlite_int(res, sql), 1, "%s", sql);
    free(res);
    free(ini);
    free(prices);
}
