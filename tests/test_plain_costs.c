/* test_plain_costs.c - the cost of an order once a run has checked its settings
 * (rb_sim_config.plain_costs, rb_trade_env.plain_costs): the same bits as rb_order_cost_of's
 * on every trade a portfolio makes, the same errors for a bad market, and the runs that take
 * it. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "costs.h"
#include "portfolio.h"
#include "resolve.h"
#include "simulate.h"
#include "support.h"

static char *dir;
static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(plain_costs, .init = setup, .fini = teardown, .timeout = 60);

static uint64_t state = 0x9e3779b97f4a7c15ull;
static double uniform(void) /* xorshift64, in [0, 1) */
{
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return (double)(state >> 11) / 9007199254740992.0;
}
static int pick(int n) { return (int)(uniform() * n); }

enum { MAXN = 6 };

/* A portfolio of N assets holding units and cash, with tax lots (bought at 80 % of cost,
 * per unit), keeping its trades. */
static void portfolio(rb_portfolio *p, size_t N, const double *units, double cash, const double *cost)
{
    rb_error err = {0};
    rb_portfolio_options opt = {.N = N, .lots = RB_LOTS_FIFO, .long_term_days = 365, .tax_short = 0.3,
                                .tax_long = 0.15, .keep_trades = 1};
    cr_assert_eq(rb_portfolio_init(p, &opt, &err), RB_OK, "%s", err.msg);
    memcpy(p->units, units, N * sizeof *units);
    p->cash = cash;
    for (size_t i = 0; i < N; i++) {
        rb_realized late;
        if (units[i] > 0) cr_assert_eq(rb_lots_buy(p->lots, i, 0, units[i], units[i] * cost[i] * 0.8, &late, &err), RB_OK);
    }
}

/* Everything a trade changes, to the bit. */
static void same_portfolio(const rb_portfolio *a, const rb_portfolio *b, const char *what)
{
    for (size_t i = 0; i < a->N; i++)
        cr_assert(rbt_same_bits(a->units[i], b->units[i]), "%s: asset %zu units %.17g vs %.17g", what, i, a->units[i],
                  b->units[i]);
    cr_assert(rbt_same_bits(a->cash, b->cash), "%s: cash %.17g vs %.17g", what, a->cash, b->cash);
    cr_assert(rbt_same_bits(a->fees, b->fees), "%s: fees %.17g vs %.17g", what, a->fees, b->fees);
    cr_assert(rbt_same_bits(a->slippage, b->slippage), "%s: slippage", what);
    cr_assert(rbt_same_bits(a->gas, b->gas), "%s: gas %.17g vs %.17g", what, a->gas, b->gas);
    cr_assert(rbt_same_bits(a->taxes, b->taxes), "%s: taxes", what);
    cr_assert(rbt_same_bits(a->traded_value, b->traded_value), "%s: traded value", what);
    cr_assert(rbt_same_bits(a->rebalances, b->rebalances), "%s: rebalances", what);
    cr_assert(rbt_same_bits(a->year_realized.short_term, b->year_realized.short_term), "%s: realized", what);
    cr_assert_eq(a->ntrades, b->ntrades, "%s: %zu trades vs %zu", what, a->ntrades, b->ntrades);
    for (size_t k = 0; k < a->ntrades; k++)
        cr_assert(rbt_same_bits(a->trades[k].fee, b->trades[k].fee) && rbt_same_bits(a->trades[k].slippage, b->trades[k].slippage) &&
                      rbt_same_bits(a->trades[k].gas, b->trades[k].gas) && rbt_same_bits(a->trades[k].units, b->trades[k].units),
                  "%s: trade %zu", what, k);
}

/* Rebalances (the general path: the closed form does not apply with gas), flows in and out
 * and tax payments of random portfolios with random proportional costs and gas, each made
 * with the settings checked on every order and with them checked once: the same bits. */
Test(plain_costs, a_portfolio_trades_to_the_same_bits_either_way)
{
    size_t trades = 0;
    for (int round = 0; round < 1000; round++) {
        size_t N = 1 + (size_t)pick(MAXN);
        double price[MAXN], units[MAXN], to[MAXN], sum = 0, cash = pick(3) ? 1000 * uniform() : 0;
        rb_asset_costs costs[MAXN];
        int col = N > 1 && pick(3) == 0 ? pick((int)N) : -1;
        for (size_t i = 0; i < N; i++) {
            price[i] = (int)i == col ? 1 : exp(6 * uniform() - 2);
            units[i] = pick(6) == 0 ? 0 : 1000 * uniform() / price[i];
            sum += to[i] = uniform();
            costs[i] = (rb_asset_costs){.fee_bps = pick(3) ? 300 * uniform() : 0,
                                        .slippage_bps = pick(2) ? 40 * uniform() : 0,
                                        .spread_bps = pick(2) ? 20 * uniform() : 0};
        }
        for (size_t i = 0; i < N; i++) to[i] /= sum;
        rb_trade_env env = {.N = N, .bar = 1, .time = 86400 * 400, .price = price, .costs = costs, .cash_col = col,
                            .gas = pick(2) ? 2 * uniform() : 0, .gas_swap = pick(3) == 0 ? uniform() : 0,
                            .gas_tx = pick(3) == 0 ? uniform() : 0};
        rb_portfolio p[2];
        rb_error err[2] = {{0}, {0}};
        rb_status rc[2];
        int op = pick(4);
        double amount = 500 * uniform();
        rb_flow_mode mode = pick(2) ? RB_FLOWS_REBALANCE : RB_FLOWS_TARGET;
        for (int plain = 0; plain < 2; plain++) {
            portfolio(&p[plain], N, units, cash, price);
            env.plain_costs = plain;
            int traded = 0;
            double applied = 0;
            if (op == 0) rc[plain] = rb_portfolio_rebalance(&p[plain], &env, to, RB_TRADE_REBALANCE, &traded, &err[plain]);
            else if (op == 1) rc[plain] = rb_portfolio_pay_tax(&p[plain], &env, amount, &err[plain]);
            else rc[plain] = rb_portfolio_flow(&p[plain], &env, op == 2 ? amount : -amount, to, mode, &applied,
                                               &err[plain]);
        }
        char what[64];
        snprintf(what, sizeof what, "round %d (operation %d)", round, op);
        cr_assert_eq(rc[0], rc[1], "%s: %s / %s", what, err[0].msg, err[1].msg);
        cr_assert_str_eq(err[0].msg, err[1].msg, "%s", what);
        same_portfolio(&p[0], &p[1], what);
        trades += p[0].ntrades;
        rb_portfolio_release(&p[0]);
        rb_portfolio_release(&p[1]);
    }
    cr_assert_gt(trades, 1500, "only %zu trades", trades);
}

/* A price that is no price (0, NaN, infinite) or a gas that is no gas fails the order with
 * the message it had, with the settings checked once or not. */
Test(plain_costs, a_bad_market_is_named_either_way)
{
    const double bad[] = {0, NAN, INFINITY, -1};
    int failed = 0;
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
        for (int gas_bad = 0; gas_bad < 1 + (bad[b] != 0); gas_bad++) { /* a gas of 0 is a gas */
            double price[2] = {gas_bad ? 50 : bad[b], 20}, units[2] = {10, 30}, to[2] = {0.2, 0.8}, cost[2] = {50, 20};
            rb_asset_costs costs[2] = {{.fee_bps = 10}, {.fee_bps = 10}};
            rb_trade_env env = {.N = 2, .bar = 1, .price = price, .costs = costs, .cash_col = -1,
                                .gas = gas_bad ? bad[b] : 0};
            rb_error err[2] = {{0}, {0}};
            rb_status rc[2];
            for (int plain = 0; plain < 2; plain++) {
                rb_portfolio p;
                portfolio(&p, 2, units, 0, cost);
                env.plain_costs = plain;
                int traded;
                rc[plain] = rb_portfolio_rebalance(&p, &env, to, RB_TRADE_REBALANCE, &traded, &err[plain]);
                rb_portfolio_release(&p);
            }
            cr_assert_eq(rc[1], rc[0], "price %g, gas %g: %s / %s", price[0], env.gas, err[0].msg, err[1].msg);
            cr_assert_str_eq(err[1].msg, err[0].msg);
            failed += rc[0] == RB_ERR_DATA;
        }
    /* a NaN price leaves no order to cost (nothing compares with NaN); the others fail */
    cr_assert_geq(failed, 5, "only %d of the bad markets failed", failed);
}

/* Whether a run resolves to costs checked once: with rates only, yes; with a per-order fee,
 * an impact, a pool, or a pool's depth from a series, no (rb_order_cost_of prices them). */
Test(plain_costs, a_run_checks_its_settings_once_when_its_costs_are_proportional)
{
    rb_store *s = rbt_store_from_csv(dir, "symbol,date,close,volume\nX,2020-01-01,100,5000\nX,2020-01-02,125,6000\n"
                                          "X,2020-01-03,80,7000\n", NULL);
    rb_error serr = {0};
    rb_time t[] = {1577836800, 1577836800 + 2 * 86400};
    double depth[] = {1e6, 4e6};
    cr_assert_eq(rb_series_import_arrays(s, "depth-X", t, depth, 2, 0, NULL, &serr), RB_OK, "%s", serr.msg);
    static const struct {
        const char *key, *value;
        int plain;
    } cases[] = {
        {"fee-bps", "10", 1},          {"slippage-bps", "5", 1},        {"spread-bps", "4", 1},
        {"gas", "2", 1},               {"fee-min", "1", 0},            {"fee-fixed", "0.5", 0},
        {"impact", "0.1", 0},          {"amm-depth", "1e6", 0},        {"amm-depth-series", "X=depth-X", 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        rb_run_spec *spec = rbt_spec(RBT_KV("assets", "X=1", "strategy", "buy-and-hold", cases[k].key, cases[k].value));
        rb_matrix *m = NULL;
        rb_error err = {0};
        cr_assert_eq(rb_resolve_matrix(s, spec, &m, &err), RB_OK, "%s", err.msg);
        rb_resolve_room room = {0};
        rb_resolved res;
        rb_sim_config c;
        cr_assert_eq(rb_resolve(s, spec, m, 0, NULL, &room, &res, &c, &err), RB_OK, "%s: %s", cases[k].key, err.msg);
        cr_assert_eq(c.plain_costs, cases[k].plain, "--%s %s", cases[k].key, cases[k].value);
        rb_resolved_release(&res);
        rb_resolve_room_free(&room);
        rb_matrix_free(m);
        rb_run_spec_free(spec);
    }
    rb_store_free(s);
}
