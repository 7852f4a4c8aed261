/* test_lanes.c - the rebalance lanes (rebalance_lanes.h, the batch simulator's closed-form
 * rebalance over many portfolios) against the scalar rebalance to the bit, lots included;
 * the dust case; and a reset portfolio trading as a new one. On a machine with AVX-512 the
 * chunks of 8 to 24 lanes select by the bits (rebalance_lanes.c, lane_select), elsewhere
 * and in the sanitizers' build as the scalar code does: either is held to the scalar rebalance. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_configs.h"
#include "lots.h"
#include "portfolio.h"
#include "rebalance_lanes.h"
#include "rebal.h"
#include "support.h"

/* The lanes' rebalance against rb_rebalance_proportional, lane by lane, to the bit: random
 * holdings (zeros, dust, far off and on target, an empty portfolio, negative cash), targets
 * summing to 1 or not, a CASH column or none, costs from 0 to 500 bps, and widths of
 * cost where the closed form does not apply (the lane must then be left untouched). With
 * lots, every lane holds two lots per asset (bought 400 and 50 days ago at random prices,
 * so sales realize gains and losses) and sold some at a loss five days ago (so buys now are
 * wash sales), and the lots rb_lanes_lots leaves must equal the scalar function's. */
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

/* Lane k's targets, costs, holdings and cash. shared: the targets and costs of lane 0 in
 * every lane, rates of 0 often (whole subsets of them), targets sometimes powers of 2 that
 * sum to 1 exactly, and a kind of holdings whose assets but two are on target to the last
 * bit (out of play: the lane's sum of the targets in play is not its neighbours'). */
static void lanes_case(size_t k, size_t N, int col, int shared, const double *price, rb_asset_costs (*costs)[8],
                       double (*to)[8], double (*units)[8], double *cash)
{
    if (shared && k > 0) {
        memcpy(to[k], to[0], sizeof to[0]);
        memcpy(costs[k], costs[0], sizeof costs[0]);
    } else {
        double sum = 0;
        for (size_t i = 0; i < N; i++) sum += to[k][i] = rbt_pick(5) == 0 ? 0 : rbt_uniform();
        int normalize = rbt_pick(3) != 0, dyadic = shared && rbt_pick(3) == 0;
        for (size_t i = 0; i < N; i++) {
            if (dyadic) to[k][i] = ldexp(1, -(int)(i + 1 < N ? i + 1 : i));
            else if (sum == 0) to[k][i] = 1.0 / (double)N;
            else if (normalize) to[k][i] /= sum;
            costs[k][i] = (rb_asset_costs){.fee_bps = rbt_pick(3) ? 500 * rbt_uniform() : 0,
                                           .slippage_bps = rbt_pick(2) ? 50 * rbt_uniform() : 0,
                                           .spread_bps = rbt_pick(2) ? 20 * rbt_uniform() : 0};
        }
    }
    /* holdings: near the targets (often within a cost's width), far, or degenerate */
    int kind = rbt_pick(shared ? 8 : 6);
    double v = 1000 * exp(4 * rbt_uniform());
    cash[k] = kind == 4 ? -2 * v : rbt_pick(2) ? v * rbt_uniform() * 0.1 : 0;
    for (size_t i = 0; i < N; i++) {
        double near = to[k][i] * v * (1 + (rbt_uniform() - 0.5) * (kind == 0 ? 1e-4 : kind == 1 ? 0.02 : 1));
        units[k][i] = kind == 5 ? 0 : rbt_pick(8) == 0 ? 0 : near / price[i];
        if (kind == 3 && i == 0) units[k][i] = v / price[i] * 1e-12;
        if ((int)i == col) units[k][i] = near; /* CASH has no lots: its units are not relieved */
    }
    if (kind >= 6 && N >= 3 && to[k][0] > 0 && to[k][1] > 0) {
        /* assets 0 and 1 off target by as much in opposite directions, the others on it */
        double d = 0.01 * (to[k][0] < to[k][1] ? to[k][0] : to[k][1]) * v;
        cash[k] = 0;
        for (size_t i = 0; i < N; i++) units[k][i] = to[k][i] * v / price[i];
        units[k][0] = (to[k][0] * v + d) / price[0];
        units[k][1] = (to[k][1] * v - d) / price[1];
    }
}

/* Lane k of l holds what portfolio p holds after the same trade, to the bit: units, cash and
 * the totals. */
static void assert_lane_is_portfolio(const rb_lanes *l, size_t k, const rb_portfolio *p, const char *what)
{
    for (size_t i = 0; i < l->N; i++)
        cr_assert(rbt_same_bits(l->units[i * l->cap + k], p->units[i]), "%s asset %zu: units %.17g vs %.17g", what, i,
                  l->units[i * l->cap + k], p->units[i]);
    cr_assert(rbt_same_bits(l->cash[k], p->cash), "%s: cash %.17g vs %.17g", what, l->cash[k], p->cash);
    double x[] = {l->fees[k], l->slippage[k], l->gas[k], l->traded_value[k], l->rebalances[k]},
           y[] = {p->fees, p->slippage, p->gas, p->traded_value, p->rebalances};
    for (size_t t = 0; t < sizeof x / sizeof x[0]; t++)
        cr_assert(rbt_same_bits(x[t], y[t]), "%s: total %zu is %.17g, not %.17g", what, t, x[t], y[t]);
}

/* a and b hold the same, to the bit: units, totals, realized gains, lots' bases. */
static void assert_same_portfolio(const rb_portfolio *a, const rb_portfolio *b, const char *what)
{
    double x[] = {a->cash, a->fees, a->slippage, a->gas, a->taxes, a->traded_value, a->rebalances,
                  a->year_realized.short_term, a->year_realized.long_term, a->carry.short_term, a->carry.long_term};
    double y[] = {b->cash, b->fees, b->slippage, b->gas, b->taxes, b->traded_value, b->rebalances,
                  b->year_realized.short_term, b->year_realized.long_term, b->carry.short_term, b->carry.long_term};
    for (size_t k = 0; k < sizeof x / sizeof x[0]; k++)
        cr_assert(rbt_same_bits(x[k], y[k]), "%s: total %zu is %.17g, not %.17g", what, k, x[k], y[k]);
    cr_assert_eq(a->N, b->N, "%s", what);
    cr_assert_eq(!a->lots, !b->lots, "%s: lots", what);
    for (size_t i = 0; i < a->N; i++) {
        cr_assert(rbt_same_bits(a->units[i], b->units[i]), "%s: units of %zu", what, i);
        if (a->lots) cr_assert(rbt_same_bits(rb_lots_basis(a->lots, i), rb_lots_basis(b->lots, i)), "%s: basis", what);
    }
}

/* shared: every lane has the same targets and costs, and the lanes are told so (same_rates,
 * and same_to in most rounds): rb_lanes_rebalance's paths for a block of one cost model. */
static void lanes_against_scalar(int with_lots, int shared)
{
    enum { CAP = LANES_CAP, ROUNDS = 60 };
    size_t counts[3] = {0}; /* traded, nothing to do, fallback */
    for (int round = 0; round < ROUNDS; round++) {
        size_t N = 1 + (size_t)rbt_pick(6), n = 1 + (size_t)rbt_pick(CAP);
        rb_lanes l;
        rb_error err = {0};
        cr_assert_eq(rb_lanes_init(&l, N, CAP, &err), RB_OK);
        double price[8];
        for (size_t i = 0; i < N; i++) price[i] = rbt_pick(4) == 0 ? 1 : exp(6 * rbt_uniform() - 2);
        int col = N > 1 && rbt_pick(2) ? rbt_pick((int)N) : -1;
        if (col >= 0) price[col] = 1;
        rb_asset_costs costs[CAP][8];
        double to[CAP][8], units[CAP][8], cash[CAP];
        for (size_t k = 0; k < n; k++) lanes_case(k, N, col, shared, price, costs, to, units, cash);
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
                if (shared) continue;
                l.rate[i * CAP + k] = rb_cost_rate(&costs[k][i]);
                rb_rates rates = rb_cost_rates(&costs[k][i]);
                for (size_t r = 0; r < RB_COST_RATES; r++) l.bps[r][i * CAP + k] = rates.bps[r];
            }
        }
        /* one rate per asset, read by every lane */
        l.same_rates = shared;
        l.same_to = shared && rbt_pick(4) != 0;
        for (size_t i = 0; shared && i < N; i++) {
            l.rate[i] = rb_cost_rate(&costs[0][i]);
            rb_rates rates = rb_cost_rates(&costs[0][i]);
            for (size_t r = 0; r < RB_COST_RATES; r++) l.bps[r][i] = rates.bps[r];
        }
        /* a first allocation now and then (no turnover, no rebalance counted) */
        rb_trade_kind kind = rbt_pick(4) == 0 ? RB_TRADE_INITIAL : RB_TRADE_REBALANCE;
        rb_lanes_rebalance(&l, n, price, kind == RB_TRADE_REBALANCE);
        /* the scalar function, lane by lane */
        for (size_t k = 0; k < n; k++) {
            rb_portfolio p;
            lane_portfolio(&p, N, with_lots, units[k], cash[k], price, (uint64_t)round * 1000 + k);
            double rate[8];
            for (size_t i = 0; i < N; i++) rate[i] = rb_cost_rate(&costs[k][i]);
            rb_trade_env env = {.N = N, .time = LANES_T0, .price = price, .costs = costs[k], .cash_col = col, .rate = rate};
            int traded = 0;
            int done = rb_rebalance_proportional(&p, &env, to[k], kind, &traded, &err);
            cr_assert_geq(done, 0, "round %d lane %zu: %s", round, k, err.msg);
            cr_assert_eq(l.fallback[k], !done, "round %d lane %zu: fallback %lld, scalar %d", round, k,
                         (long long)l.fallback[k], done);
            counts[!done ? 2 : traded ? 0 : 1]++;
            if (done) cr_assert_eq(l.traded[k], traded, "round %d lane %zu", round, k);
            char what[64];
            snprintf(what, sizeof what, "round %d lane %zu", round, k);
            assert_lane_is_portfolio(&l, k, &p, what);
            /* the lots: the same sales and buys, in the same order */
            rb_portfolio *q = &lane_port[k];
            if (done)
                cr_assert_eq(rb_lanes_lots(&l, k, q->lots, &q->year_realized, LANES_T0, &err), RB_OK, "%s", err.msg);
            cr_assert(rbt_same_bits(q->year_realized.short_term, p.year_realized.short_term), "round %d lane %zu: %.17g vs %.17g",
                      round, k, q->year_realized.short_term, p.year_realized.short_term);
            cr_assert(rbt_same_bits(q->year_realized.long_term, p.year_realized.long_term));
            for (size_t i = 0; with_lots && i < N; i++) {
                cr_assert(rbt_same_bits(rb_lots_units(q->lots, i), rb_lots_units(p.lots, i)), "round %d lane %zu asset %zu", round, k, i);
                cr_assert(rbt_same_bits(rb_lots_basis(q->lots, i), rb_lots_basis(p.lots, i)), "round %d lane %zu asset %zu", round, k, i);
            }
            if (!done) {
                /* what the batch does with a fallen lane (trades.c): the general path alone,
                 * on the portfolio the closed form left, trades as rb_portfolio_rebalance
                 * does from the start */
                rb_portfolio whole;
                lane_portfolio(&whole, N, with_lots, units[k], cash[k], price, (uint64_t)round * 1000 + k);
                rb_error e1 = {0}, e2 = {0};
                int t1 = -1, t2 = -1;
                rb_status r1 = rb_portfolio_rebalance_general(&p, &env, to[k], kind, &t1, &e1);
                rb_status r2 = rb_portfolio_rebalance(&whole, &env, to[k], kind, &t2, &e2);
                cr_assert_eq(r1, r2, "%s: %s / %s", what, e1.msg, e2.msg);
                if (r1 == RB_OK) {
                    cr_assert_eq(t1, t2, "%s: traded", what);
                    assert_same_portfolio(&p, &whole, what);
                }
                rb_portfolio_release(&whole);
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

Test(lanes, rebalance_lanes_equal_the_scalar_rebalance_to_the_bit) { lanes_against_scalar(0, 0); }

Test(lanes, rebalance_lanes_relieve_and_open_the_same_tax_lots) { lanes_against_scalar(1, 0); }

/* The lanes of a block of one cost model and one set of targets (trades.c): zero rates
 * without their divisions, one division per asset for lanes of the same sum, none for sums
 * of 1, each against the scalar rebalance to the bit. */
Test(lanes, lanes_of_one_cost_model_and_targets_equal_the_scalar_rebalance_to_the_bit) { lanes_against_scalar(0, 1); }

/* Lanes whose assets sit exactly on the edges of the closed form's tests: a gap to target
 * equal to the dust floor (in play: >=), and an order equal to it (not dust: <). In a lane
 * of value 1e9 * 2^m the floor 1e-9 * value is 2^m exactly, and every value below is a
 * multiple of a quarter of 2^m under 2^(31 + m), so each sum and gap is exact. Lanes 0-23
 * take both cases at eight scales, as chunks of 24, 16 and 8 and one by one, each against
 * the scalar rebalance to the bit; each lane must trade (a test off by its edge would
 * leave the lane untouched or send it to the general path). */
Test(lanes, lanes_on_the_edges_of_their_tests_trade_as_the_scalar_rebalance)
{
    enum { N = 3, CAP = 24 };
    const double price[N] = {1, 1, 1};
    /* 0: asset 0 off target by the floor exactly (in play), the others on target. 1: asset 2
     * within the floor (out of play), asset 0's order the floor exactly (not dust). */
    const double to[2][N] = {{0.5, 0.5, 0}, {0.25, 0.25, 0.5}};
    const double units[2][N] = {{499999999, 500000001, 0}, {249999998.75, 250000003, 500000000.5}}, cash[2] = {0, -2.25};
    rb_asset_costs costs[N] = {{.fee_bps = 10}, {.fee_bps = 10}, {.fee_bps = 10}};
    double rate[N];
    for (size_t i = 0; i < N; i++) rate[i] = rb_cost_rate(&costs[i]);
    rb_error err = {0};
    const size_t widths[] = {24, 16, 8, 1};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        size_t n = widths[w];
        rb_lanes l;
        cr_assert_eq(rb_lanes_init(&l, N, CAP, &err), RB_OK);
        for (size_t k = 0; k < n; k++) {
            size_t c = k % 2;
            double scale = ldexp(1, (int)(k / 2 % 8));
            l.cash[k] = cash[c] * scale;
            l.fees[k] = 0, l.slippage[k] = 0, l.gas[k] = 0, l.traded_value[k] = 0, l.rebalances[k] = 0;
            l.cash_col[k] = -1;
            for (size_t i = 0; i < N; i++) {
                l.units[i * CAP + k] = units[c][i] * scale;
                l.to[i * CAP + k] = to[c][i];
                l.rate[i * CAP + k] = rate[i];
                for (size_t r = 0; r < RB_COST_RATES; r++) l.bps[r][i * CAP + k] = rb_cost_value(&costs[i], r);
            }
        }
        rb_lanes_rebalance(&l, n, price, 1);
        for (size_t k = 0; k < n; k++) {
            size_t c = k % 2;
            double scale = ldexp(1, (int)(k / 2 % 8));
            rb_portfolio p;
            rb_portfolio_options opt = {.N = N};
            cr_assert_eq(rb_portfolio_init(&p, &opt, &err), RB_OK);
            for (size_t i = 0; i < N; i++) p.units[i] = units[c][i] * scale;
            p.cash = cash[c] * scale;
            rb_trade_env env = {.N = N, .time = LANES_T0, .price = price, .costs = costs, .cash_col = -1, .rate = rate};
            int traded = 0;
            cr_assert_eq(rb_rebalance_proportional(&p, &env, to[c], RB_TRADE_REBALANCE, &traded, &err), 1,
                         "%zu lanes, lane %zu: the scalar closed form falls back", n, k);
            cr_assert_eq(traded, 1, "%zu lanes, lane %zu: the scalar rebalance trades nothing", n, k);
            cr_assert_eq(l.fallback[k], 0, "%zu lanes, lane %zu falls back", n, k);
            cr_assert_eq(l.traded[k], 1, "%zu lanes, lane %zu trades nothing", n, k);
            char what[64];
            snprintf(what, sizeof what, "%zu lanes, lane %zu", n, k);
            assert_lane_is_portfolio(&l, k, &p, what);
            rb_portfolio_release(&p);
        }
        rb_lanes_release(&l);
    }
}

/* A lone traded asset after the dust is left out: A's gap (-0.9e-9 of the value) and C's
 * (+0.3e-9) are under the dust floor (1e-9), B's (+1.2e-9) is not; B alone then shares
 * what A and C do not hold, which is what it holds: no order. Neither the lane nor the
 * scalar closed form trades it (the set shrinks: the general path's case), and the general
 * path trades nothing and counts no rebalance. */
Test(lanes, a_lone_asset_whose_share_is_dust_trades_nothing)
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
    for (size_t i = 0; i < N; i++) cr_assert(rbt_same_bits(l.units[i], units[i]), "asset %zu changed", i);
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
    for (size_t i = 0; i < N; i++) cr_assert(rbt_same_bits(p.units[i], units[i]), "asset %zu changed", i);
    rb_portfolio_release(&p);
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

/* p reset to opt is as a new portfolio of opt, and trades as one: both trade a while. */
static void reset_trades_as_new(rb_portfolio *p, const rb_portfolio_options *opt, const char *what)
{
    rb_error err = {0};
    rb_portfolio fresh;
    cr_assert_eq(rb_portfolio_reset(p, opt, &err), RB_OK, "%s: %s", what, err.msg);
    cr_assert_eq(rb_portfolio_init(&fresh, opt, &err), RB_OK, "%s: %s", what, err.msg);
    assert_same_portfolio(p, &fresh, what); /* as new */
    trade_a_while(p);
    trade_a_while(&fresh);
    assert_same_portfolio(p, &fresh, what);
    rb_portfolio_release(&fresh);
}

Test(lanes, a_reset_portfolio_trades_as_a_new_one)
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
        char what[32];
        snprintf(what, sizeof what, "reset %zu", k);
        reset_trades_as_new(&used, in_turn[k], what);
    }
    /* Another number of assets: a new portfolio of that size. */
    rb_portfolio_options wider = plain;
    wider.N = 5;
    cr_assert_eq(rb_portfolio_reset(&used, &wider, &err), RB_OK);
    cr_assert_eq(used.N, 5);
    for (size_t i = 0; i < 5; i++) cr_assert_eq(used.units[i], 0);
    rb_portfolio_release(&used);
}

/* A portfolio whose units and scratch are the caller's memory (a sweep block's slot) trades
 * as one that allocated them, through resets of every kind; a reset to another number of
 * assets gives it arrays of its own, and neither release frees what was lent (under
 * AddressSanitizer, freeing a pointer into this array would abort). */
Test(lanes, a_portfolio_in_lent_memory_trades_as_its_own)
{
    const rb_portfolio_options taxed = {.N = 3, .lots = RB_LOTS_HIFO, .long_term_days = 365, .wash_sale_days = 30,
                                        .tax_short = 0.3, .tax_long = 0.15};
    const rb_portfolio_options plain = {.N = 3};
    const rb_portfolio_options *in_turn[] = {&taxed, &plain, &taxed};
    static double lent[64];
    cr_assert_leq(rb_portfolio_bytes(3), sizeof lent);
    rb_error err = {0};
    rb_portfolio slot;
    memset(&slot, 0, sizeof slot);
    rb_portfolio_lend(&slot, 3, lent);
    for (size_t k = 0; k < sizeof in_turn / sizeof in_turn[0]; k++) {
        char what[32];
        snprintf(what, sizeof what, "lent, reset %zu", k);
        reset_trades_as_new(&slot, in_turn[k], what);
        cr_assert(slot.units == lent, "%s: the lent memory is used", what);
    }
    rb_portfolio_options wider = plain;
    wider.N = 5;
    cr_assert_eq(rb_portfolio_reset(&slot, &wider, &err), RB_OK);
    cr_assert(slot.units != lent && slot.N == 5, "5 assets: arrays of its own");
    rb_portfolio_release(&slot);
}
