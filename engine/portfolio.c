/* portfolio.c - the accounting of one portfolio: every trade goes through execute(), which
 * rounds to lots, keeps cash non-negative, sells before it buys, charges the cost models,
 * relieves or opens tax lots and records the order. Rebalances, flows and tax payments
 * differ only in how they size their orders, each by a small fixed point over costs. */
#include "portfolio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "costs.h"
#include "error.h"
#include "rebalance_lanes.h"
#include "routes.h"
#include "alloc.h"

#define MAX_ITERATIONS 200
#define TOLERANCE 1e-14 /* relative to the portfolio value */

/* The N-sized inputs and outputs of the closed form's one lane (see one_lane) in p->lane. */
enum { LANE_TO, LANE_RATE, LANE_HELD, LANE_AMOUNT, LANE_GROSS, LANE_FEE, LANE_SLIP, LANE_SHARE, LANE_BPS, LANE_ARRAYS = LANE_BPS + RB_COST_RATES };

/* The scratch doubles of N assets: value, order, the lane's arrays and in. */
static size_t scratch_size(size_t N) { return (3 + LANE_ARRAYS) * (N ? N : 1); }

/* The settings of opt, and the lots ledger when taxes or the ledger need one: `spare`
 * cleared when there is one, else a new one; an unused spare is kept for the next reset. */
static rb_status take_options(rb_portfolio *p, const rb_portfolio_options *opt, rb_lots *spare, rb_error *err)
{
    p->N = opt->N;
    p->tax_short = opt->tax_short;
    p->tax_long = opt->tax_long;
    p->keep_trades = opt->keep_trades;
    /* Lots matter only to taxes and to the ledger: without either, sales realize nothing
     * anyone reads, and sweeps run without the bookkeeping. */
    if (opt->tax_short == 0 && opt->tax_long == 0 && !opt->keep_lots) {
        p->spare_lots = spare;
        return RB_OK;
    }
    if (!spare)
        return rb_lots_new(opt->N, opt->lots, opt->long_term_days, opt->wash_sale_days, opt->keep_lots, &p->lots,
                           err);
    p->lots = spare;
    rb_status rc = rb_lots_clear(spare, opt->lots, opt->long_term_days, opt->wash_sale_days, opt->keep_lots, err);
    if (rc != RB_OK) {
        p->lots = NULL;
        p->spare_lots = spare;
    }
    return rc;
}

/* The scratch's arrays: value, order, the lane's arrays and in. */
static void carve_scratch(rb_portfolio *p, double *scratch, size_t N)
{
    p->value = scratch;
    p->order = scratch + N;
    p->lane = scratch + 2 * N;
    p->in = (int64_t *)(scratch + (2 + LANE_ARRAYS) * N);
}

size_t rb_portfolio_bytes(size_t N) { return ((N ? N : 1) + scratch_size(N)) * sizeof(double); }

void rb_portfolio_lend(rb_portfolio *p, size_t N, void *memory)
{
    memset(p, 0, sizeof *p);
    p->N = N;
    p->units = memory;
    carve_scratch(p, p->units + (N ? N : 1), N);
    p->lent = 1;
}

rb_status rb_portfolio_init(rb_portfolio *p, const rb_portfolio_options *opt, rb_error *err)
{
    memset(p, 0, sizeof *p);
    size_t N = opt->N;
    p->units = rb_calloc(N ? N : 1, sizeof *p->units);
    /* value, order, the lane's arrays and in: 64 bits each, one allocation */
    _Static_assert(sizeof(int64_t) == sizeof(double), "in shares the scratch allocation");
    double *scratch = rb_calloc(scratch_size(N), sizeof *scratch);
    if (!p->units || !scratch) {
        free(scratch);
        rb_portfolio_release(p);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    carve_scratch(p, scratch, N);
    rb_status rc = take_options(p, opt, NULL, err);
    if (rc != RB_OK) rb_portfolio_release(p);
    return rc;
}

rb_status rb_portfolio_reset(rb_portfolio *p, const rb_portfolio_options *opt, rb_error *err)
{
    if (!p->units || p->N != opt->N) {
        rb_portfolio_release(p);
        return rb_portfolio_init(p, opt, err);
    }
    rb_portfolio kept = *p;
    size_t N = p->N;
    memset(p, 0, sizeof *p);
    p->units = kept.units;
    p->value = kept.value;
    p->order = kept.order;
    p->lane = kept.lane;
    p->in = kept.in;
    p->trades = kept.trades;
    p->trades_cap = kept.trades_cap;
    p->route_memo = kept.route_memo;
    p->lent = kept.lent;
    rb_route_memo_forget(p->route_memo);
    memset(p->units, 0, (N ? N : 1) * sizeof *p->units);
    memset(p->value, 0, scratch_size(N) * sizeof *p->value);
    rb_status rc = take_options(p, opt, kept.lots ? kept.lots : kept.spare_lots, err);
    if (rc != RB_OK) rb_portfolio_release(p);
    return rc;
}

void rb_portfolio_release(rb_portfolio *p)
{
    rb_lots_free(p->lots);
    rb_lots_free(p->spare_lots);
    if (!p->lent) {
        free(p->units);
        free(p->value); /* the start of the scratch allocation */
    }
    free(p->trades);
    rb_route_memo_free(p->route_memo);
    memset(p, 0, sizeof *p);
}

double rb_portfolio_value(const rb_portfolio *p, const double *price)
{
    double v = p->cash;
    for (size_t i = 0; i < p->N; i++) v = rb_value_add(v, p->units[i], price[i]);
    return v;
}

static double holdings(rb_portfolio *p, const rb_trade_env *env)
{
    double w = p->cash;
    for (size_t i = 0; i < p->N; i++) {
        p->value[i] = p->units[i] * env->price[i];
        w = rb_value_add(w, p->units[i], env->price[i]);
    }
    return w;
}

/* An order's cost when the run's settings were checked once (env->plain_costs), at an
 * order's gas of `gas` (rb_order_gas): what rb_order_cost_of returns, by the same
 * expressions, when the order and the market are valid too; 0 when they are not (then
 * rb_order_cost_of names what is wrong). */
static inline int plain_order_cost(const rb_trade_env *env, size_t i, double units, double gas, rb_order_cost *c)
{
    double p = env->price[i];
    if (!(isfinite(units) & rb_market_valid(p, gas))) return 0;
    rb_fee_slippage f = rb_trade_order_fees(&env->costs[i], fabs(units) * p);
    *c = (rb_order_cost){f.fee, f.slippage, gas};
    return 1;
}

static rb_status order_cost(const rb_trade_env *env, size_t i, double units, rb_order_cost *c, rb_error *err)
{
    if (units == 0 || (int)i == env->cash_col) {
        c->fee = c->slippage = c->gas = 0;
        return RB_OK;
    }
    if (env->plain_costs && plain_order_cost(env, i, units, rb_order_gas(env), c)) return RB_OK;
    if (rb_routes_asset(env, i)) { /* --venues: the order split across them */
        rb_routed routed;
        rb_status rc = rb_route_order(env, NULL, i, units, &routed, err);
        if (rc == RB_OK) *c = routed.r.total;
        return rc;
    }
    rb_order_market mk = {
        .price = env->price[i],
        .sigma = env->sigma ? env->sigma[i] : 0,
        .adv = env->adv ? env->adv[i] : NAN,
        .gas = rb_order_gas(env),
    };
    const rb_asset_costs *costs = env->costs ? &env->costs[i] : NULL;
    rb_asset_costs pool; /* a depth series: the pool as it is on this bar */
    if (costs && env->depth && env->depth[i]) {
        pool = *costs;
        pool.amm_depth = env->depth[i][env->bar];
        costs = &pool;
    }
    rb_status rc = rb_order_cost_of(costs, units, &mk, c, err);
    if (rc != RB_OK) {
        char when[32];
        rb_error_prefix(err, "%s on %s", env->symbols ? env->symbols[i] : "?", rb_time_format(env->time, when));
    }
    return rc;
}

/* 1 when the environment charges gas of some kind: per order, per transaction or per swap. */
static int charges_gas(const rb_trade_env *env) { return env->gas != 0 || env->gas_tx != 0 || env->gas_swap != 0; }

/* Whether asset i's order of `units` is a swap: a non-zero order of an asset other than
 * CASH (which trades with no costs). A batch with one pays --gas-tx. */
static int is_swap(const rb_trade_env *env, size_t i, double units) { return units != 0 && (int)i != env->cash_col; }

/* The portfolio's routing memo, made when first needed (NULL when it cannot be: orders are
 * routed without it, to the same bits). */
static struct rb_route_memo *route_memo(rb_portfolio *p)
{
    if (!p->route_memo) p->route_memo = rb_route_memo_new(p->N);
    return p->route_memo;
}

/* orders_cost where every asset's costs were checked once for the run (plain_costs: no
 * venues either): plain_order_cost for each order, summed in the same order, an order's gas
 * (rb_order_gas) taken once for all. The CASH column's orders are left out, where
 * orders_cost adds their zero cost: the sum starts at +0 and adds no negative number, so it
 * is never -0 and adding +-0 leaves its bits. Returns 0, having set nothing, at an order or
 * a market that rb_order_cost_of refuses: orders_cost's loop then names what is wrong. A
 * tax payment's fixed point prices its orders some five times (benchmark 2). A loop of its
 * own, beside orders_cost's: that loop with plain_order_cost in it, its checks for venues
 * and swaps kept, took 9 % more of benchmark 2's tax payments' instructions (59.6 million
 * against 54.6, callgrind, 2,000 configurations). */
static int plain_orders_cost(const rb_trade_env *env, size_t N, const double *order, double *total)
{
    const double gas = rb_order_gas(env);
    double sum = 0;
    int swaps = 0;
    for (size_t i = 0; i < N; i++) {
        rb_order_cost c;
        if (order[i] == 0 || (int)i == env->cash_col) continue;
        if (!plain_order_cost(env, i, order[i], gas, &c)) return 0;
        sum += rb_order_cost_total(&c);
        swaps = 1;
    }
    *total = swaps && env->gas_tx != 0 ? sum + env->gas_tx : sum;
    return 1;
}

/* Total cost of the orders (units) in order[], with the vault transaction's --gas-tx once
 * when one of them is a swap (execute charges it to the first). */
static rb_status orders_cost(rb_portfolio *p, const rb_trade_env *env, const double *order, double *total,
                             rb_error *err)
{
    if (env->plain_costs && !env->routes && plain_orders_cost(env, p->N, order, total)) return RB_OK;
    double sum = 0;
    int swaps = 0;
    unsigned chains = 0; /* --venues: the chains the orders touch (routes.h) */
    for (size_t i = 0; i < p->N; i++) {
        if (order[i] == 0) continue;
        rb_order_cost c;
        if (env->routes && rb_routes_asset(env, i) && (int)i != env->cash_col) {
            rb_routed routed;
            rb_status rc = rb_route_order(env, route_memo(p), i, order[i], &routed, err);
            if (rc != RB_OK) return rc;
            sum += rb_order_cost_total(&routed.r.total);
            chains |= routed.chains;
            continue;
        }
        rb_status rc = order_cost(env, i, order[i], &c, err);
        if (rc != RB_OK) return rc;
        sum += rb_order_cost_total(&c);
        swaps |= is_swap(env, i, order[i]);
    }
    if (env->routes) { /* --gas-tx once per chain touched */
        if (swaps) chains |= rb_routes_unrouted_chain();
        *total = env->gas_tx != 0 ? sum + env->gas_tx * __builtin_popcount(chains) : sum;
        return RB_OK;
    }
    *total = swaps && env->gas_tx != 0 ? sum + env->gas_tx : sum;
    return RB_OK;
}

static rb_status record(rb_portfolio *p, const rb_trade_env *env, size_t i, rb_trade_kind kind, double units,
                        const rb_order_cost *c, int skipped, rb_error *err)
{
    if (!p->keep_trades) return RB_OK;
    if (p->ntrades == p->trades_cap) {
        size_t cap = p->trades_cap ? p->trades_cap * 2 : 256;
        rb_trade *grown = rb_realloc(p->trades, cap * sizeof *grown);
        if (!grown) return rb_fail(err, RB_ERR_NOMEM, "out of memory recording trades");
        p->trades = grown;
        p->trades_cap = cap;
    }
    p->trades[p->ntrades++] = (rb_trade){
        .time = env->time,
        .bar = env->bar,
        .asset = i,
        .kind = kind,
        .units = units,
        .price = env->price[i],
        .fee = c ? c->fee : 0,
        .slippage = c ? c->slippage : 0,
        .gas = c ? c->gas : 0,
        .skipped = skipped,
        .order_units = units,
    };
    return RB_OK;
}

/* --venues: asset i's order routed (its legs in *routed, r.n 0 when it is not routed), its
 * total cost in *c. */
static rb_status route_or_cost(rb_portfolio *p, const rb_trade_env *env, size_t i, double u, rb_routed *routed,
                               rb_order_cost *c, rb_error *err)
{
    routed->r.n = 0;
    if (!rb_routes_asset(env, i) || (int)i == env->cash_col) {
        routed->chains = is_swap(env, i, u) ? rb_routes_unrouted_chain() : 0;
        return order_cost(env, i, u, c, err);
    }
    rb_status rc = rb_route_order(env, route_memo(p), i, u, routed, err);
    if (rc == RB_OK) *c = routed->r.total;
    return rc;
}

/* --gas-tx once per chain a batch touches: the order that touches a chain first pays it
 * (recorded on its first leg on that chain). */
static void charge_chains(const rb_trade_env *env, rb_routed *routed, rb_order_cost *c, unsigned *paid)
{
    unsigned fresh = routed->chains & ~*paid;
    if (env->gas_tx == 0 || !fresh) return;
    *paid |= fresh;
    c->gas += env->gas_tx * __builtin_popcount(fresh);
    for (size_t k = 0; k < routed->r.n; k++)
        if (routed->r.units[k] != 0 && (routed->chain[k] & fresh)) {
            routed->r.cost[k].gas += env->gas_tx;
            fresh &= ~routed->chain[k];
        }
}

/* An order routed across venues: one record per leg that trades. */
static rb_status record_legs(rb_portfolio *p, const rb_trade_env *env, size_t i, rb_trade_kind kind, double u,
                             const rb_routed *routed, rb_error *err)
{
    const rb_route_slot *slot = env->routes->slot + env->routes->first[i];
    for (size_t k = 0; k < routed->r.n; k++) {
        if (routed->r.units[k] == 0) continue;
        rb_status rc = record(p, env, i, kind, routed->r.units[k], &routed->r.cost[k], 0, err);
        if (rc != RB_OK) return rc;
        if (!p->keep_trades) return RB_OK;
        rb_trade *t = &p->trades[p->ntrades - 1];
        snprintf(t->venue, sizeof t->venue, "%s", slot[k].name);
        t->order_units = u;
    }
    return RB_OK;
}

/* Rounds post-trade units down to lots and reduces buys (largest first, a lot at a time)
 * while the orders would leave cash negative. */
static rb_status fit_lots(rb_portfolio *p, const rb_trade_env *env, double *order, double w, rb_error *err)
{
    double lot = env->lot_size;
    for (size_t i = 0; i < p->N; i++) {
        if (order[i] == 0 || (int)i == env->cash_col) continue;
        /* The 1e-9 keeps 2.9999999999 lots (target arithmetic) from becoming 2. */
        double post = floor((p->units[i] + order[i]) / lot + 1e-9) * lot;
        if (post < 0) post = 0;
        order[i] = post - p->units[i];
        if (fabs(order[i]) * env->price[i] < RB_ORDER_DUST * w) order[i] = 0;
    }
    for (;;) {
        double cost, flow = 0;
        rb_status rc = orders_cost(p, env, order, &cost, err);
        if (rc != RB_OK) return rc;
        for (size_t i = 0; i < p->N; i++) flow += order[i] * env->price[i];
        if (p->cash - flow - cost >= -RB_ORDER_DUST * w) return RB_OK;
        size_t big = p->N;
        for (size_t i = 0; i < p->N; i++)
            if ((int)i != env->cash_col && order[i] > 0 && (big == p->N || order[i] * env->price[i] > order[big] * env->price[big]))
                big = i;
        if (big == p->N)
            return rb_fail(err, RB_ERR_DATA, "bar %zu: the orders cannot be paid for with whole lots of %g", env->bar, lot);
        order[big] = order[big] > lot ? order[big] - lot : 0;
    }
}

/* Places the orders (units, signed): sells first, then buys. */
static rb_status execute(rb_portfolio *p, const rb_trade_env *env, double *order, rb_trade_kind kind, int *traded,
                         rb_error *err)
{
    double w = holdings(p, env);
    *traded = 0;
    if (env->lot_size > 0) {
        rb_status rc = fit_lots(p, env, order, w, err);
        if (rc != RB_OK) return rc;
    }
    int tx_paid = 0; /* the batch is one vault transaction: its first swap pays --gas-tx */
    unsigned chains_paid = 0; /* --venues: one transaction per chain, each paying --gas-tx */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < p->N; i++) {
            double u = order[i];
            if (u == 0 || (pass == 0) != (u < 0)) continue;
            rb_order_cost c;
            rb_routed routed;
            routed.r.n = 0; /* (not routed: no legs; the rest is set only when it is) */
            rb_status rc = env->routes ? route_or_cost(p, env, i, u, &routed, &c, err) : order_cost(env, i, u, &c, err);
            if (rc != RB_OK) return rc;
            if (env->routes) {
                charge_chains(env, &routed, &c, &chains_paid);
            } else if (env->gas_tx != 0 && !tx_paid && is_swap(env, i, u)) {
                c.gas += env->gas_tx;
                tx_paid = 1;
            }
            double gross = fabs(u) * env->price[i], held = p->units[i];
            rb_fill fill = rb_trade_fill(u, gross, rb_order_cost_total(&c), held, p->cash);
            p->cash = fill.cash;
            p->units[i] = fill.units;
            if (p->lots && (int)i != env->cash_col) {
                /* A buy's realized "gain" is a loss it disallows (a wash sale): this year's. */
                rb_realized r;
                rc = u < 0 ? rb_lots_sell(p->lots, i, env->time, -u > held ? held : -u, fill.amount, &r, err)
                           : rb_lots_buy(p->lots, i, env->time, u, fill.amount, &r, err);
                if (rc != RB_OK) return rc;
                p->year_realized.short_term += r.short_term;
                p->year_realized.long_term += r.long_term;
            }
            p->fees += c.fee;
            p->slippage += c.slippage;
            p->gas += c.gas;
            if (kind == RB_TRADE_REBALANCE) p->traded_value += gross;
            *traded = 1;
            rc = routed.r.n ? record_legs(p, env, i, kind, u, &routed, err) : record(p, env, i, kind, u, &c, 0, err);
            if (rc != RB_OK) return rc;
        }
    }
    /* The fixed point leaves cash within rounding of zero; it is never negative. */
    p->cash = rb_trade_settle(p->cash, w);
    if (kind == RB_TRADE_REBALANCE && *traded) p->rebalances += 1;
    return RB_OK;
}

/* ---------------------------------------------------------------- sizing by fixed point */

/* Fills order[] (units) for a planned amount x. */
typedef rb_status (*plan_fn)(rb_portfolio *p, const rb_trade_env *env, const void *ctx, double x, double *order,
                             rb_error *err);

/* Solves x = base + sign * cost(plan(x)) by iteration from x = base, leaving the orders of
 * the solution in p->order. Costs below 100 % of the traded value make this a contraction.
 * Per-order costs (fixed fees, gas) make cost() jump where an order appears or vanishes,
 * and the iteration can then alternate between two values; it settles on the safe one:
 * the smaller budget when buying (sign -1: cash stays >= 0), the larger gross amount when
 * raising cash (sign +1: at least the amount needed is raised). */
static rb_status solve(rb_portfolio *p, const rb_trade_env *env, plan_fn plan, const void *ctx, double base, int sign,
                       double scale, rb_error *err)
{
    double x = base, before = NAN;
    for (int it = 0; it < MAX_ITERATIONS; it++) {
        double cost;
        rb_status rc = plan(p, env, ctx, x, p->order, err);
        if (rc == RB_OK) rc = orders_cost(p, env, p->order, &cost, err);
        if (rc != RB_OK) return rc;
        double next = base + sign * cost;
        if (!(next > 0)) return plan(p, env, ctx, 0, p->order, err);
        if (fabs(next - x) <= TOLERANCE * scale) return plan(p, env, ctx, next, p->order, err);
        if (fabs(next - before) <= TOLERANCE * scale) { /* a two-cycle between x and next */
            double safe = sign < 0 ? (x < next ? x : next) : (x > next ? x : next);
            return plan(p, env, ctx, safe, p->order, err);
        }
        before = x;
        x = next;
    }
    return rb_fail(err, RB_ERR_DATA,
                   "bar %zu: trade costs do not converge (are they close to 100%% of the traded value?)", env->bar);
}

/* Rebalance: the assets in p->in share x, share[i] of it each (take_shares: to[i] / wsum,
 * taken once for all the iterations). */
typedef struct rebalance_ctx {
    const double *share;
} rebalance_ctx;

static rb_status plan_rebalance(rb_portfolio *p, const rb_trade_env *env, const void *ctx, double x, double *order,
                                rb_error *err)
{
    (void)err;
    const rebalance_ctx *c = ctx;
    for (size_t i = 0; i < p->N; i++) order[i] = p->in[i] ? c->share[i] * x / env->price[i] - p->units[i] : 0;
    return RB_OK;
}

/* With only proportional costs (commission in bps, fixed slippage, spread) the fixed point
 * x = base - sum_i r_i |a_i x - V_i| is piecewise linear: on the sign pattern of the orders
 * at x = base it is one linear equation (trade.h). Its solution is taken when it keeps that
 * sign pattern (an asset within a cost's width of its target can flip it: then the
 * iteration decides). Returns 1 with the orders in p->order. */
static int solve_proportional(rb_portfolio *p, const rb_trade_env *env, const double *share, double base)
{
    if (charges_gas(env) || !env->costs || env->routes) return 0;
    rb_solve acc = {base, 1};
    for (size_t i = 0; i < p->N; i++) {
        if (!p->in[i] || (int)i == env->cash_col) continue;
        const rb_asset_costs *c = &env->costs[i];
        if (!env->rate && !rb_costs_proportional(c)) return 0;
        double r = env->rate ? env->rate[i] : rb_cost_rate(c); /* the caller's: the same rate */
        acc = rb_trade_solve_term(acc, r, share[i], base, p->value[i]);
    }
    double x = acc.num / acc.den;
    if (!(x > 0)) return 0;
    for (size_t i = 0; i < p->N; i++) {
        if (!p->in[i]) {
            p->order[i] = 0;
            continue;
        }
        double a = share[i];
        if ((int)i != env->cash_col && rb_trade_flips(a, base, x, p->value[i])) return 0;
        p->order[i] = rb_trade_order(a, x, env->price[i], p->units[i]);
    }
    return 1;
}

int rb_rebalance_proportional_applies(const rb_portfolio *p, const rb_trade_env *env)
{
    if (p->keep_trades || charges_gas(env) || !env->costs || env->routes || env->min_trade != 0 || env->lot_size != 0)
        return 0;
    for (size_t i = 0; i < p->N; i++)
        if ((int)i != env->cash_col && !rb_costs_proportional(&env->costs[i])) return 0;
    return 1;
}

/* share[i]: asset i's share of the traded assets' value, rb_trade_share(to[i], wsum), for
 * each asset in p->in (0 for the others). Taken once for a set of assets: its dust test, the
 * closed form and every iteration of the fixed point read the same quotients. */
static void take_shares(const rb_portfolio *p, const double *to, double wsum, double *share)
{
    for (size_t i = 0; i < p->N; i++) share[i] = p->in[i] ? rb_trade_share(to[i], wsum) : 0;
}

/* Takes out of p->in every asset whose trade before costs, its share of base less what it
 * holds, is under the dust floor (the assets left out took its gap with them: a lone traded
 * asset's share is exactly what it holds); returns how many it took out. The set must shrink
 * before costs are solved: a rounding remainder is no order. */
static size_t drop_dust(rb_portfolio *p, const double *share, double base, double dust)
{
    size_t dropped = 0;
    for (size_t i = 0; i < p->N; i++)
        if (p->in[i] && rb_trade_is_dust(share[i], base, p->value[i], dust)) {
            p->in[i] = 0;
            dropped++;
        }
    return dropped;
}

/* The closed form's lane for this one portfolio: its units, cash and totals in place, the
 * lane's other arrays in p->lane and p's scratch, its per-lane values in *one. */
typedef struct one_lane {
    int64_t cash_col, fallback, traded;
} one_lane;

static rb_lanes lane_of(rb_portfolio *p, one_lane *one)
{
    size_t N = p->N;
    rb_lanes l = {
        .N = N, .cap = 1,
        .units = p->units, .to = p->lane + LANE_TO * N, .rate = p->lane + LANE_RATE * N,
        .cash = &p->cash, .fees = &p->fees, .slippage = &p->slippage, .gas = &p->gas,
        .traded_value = &p->traded_value, .rebalances = &p->rebalances,
        .cash_col = &one->cash_col, .fallback = &one->fallback, .traded = &one->traded,
        .order = p->order, .held = p->lane + LANE_HELD * N, .amount = p->lane + LANE_AMOUNT * N,
        .gross = p->lane + LANE_GROSS * N, .fee = p->lane + LANE_FEE * N, .slip = p->lane + LANE_SLIP * N,
        .share = p->lane + LANE_SHARE * N,
        .value = p->value, .in = p->in,
    };
    for (size_t r = 0; r < RB_COST_RATES; r++) l.bps[r] = p->lane + (LANE_BPS + r) * N;
    return l;
}

int rb_rebalance_proportional(rb_portfolio *p, const rb_trade_env *env, const double *to, rb_trade_kind kind, int *traded,
                              rb_error *err)
{
    one_lane one = {.cash_col = env->cash_col};
    rb_lanes l = lane_of(p, &one);
    for (size_t i = 0; i < p->N; i++) {
        rb_rates rates = rb_cost_rates(&env->costs[i]);
        for (size_t r = 0; r < RB_COST_RATES; r++) l.bps[r][i] = rates.bps[r];
        l.rate[i] = env->rate ? env->rate[i] : rb_trade_rate(rates);
        l.to[i] = to[i];
    }
    rb_lanes_rebalance(&l, 1, env->price, kind == RB_TRADE_REBALANCE);
    *traded = 0;
    if (one.fallback) return 0;
    *traded = (int)one.traded;
    return rb_lanes_lots(&l, 0, p->lots, &p->year_realized, env->time, err) == RB_OK ? 1 : -1;
}

rb_status rb_portfolio_rebalance(rb_portfolio *p, const rb_trade_env *env, const double *to, rb_trade_kind kind,
                                 int *traded, rb_error *err)
{
    *traded = 0;
    if (rb_rebalance_proportional_applies(p, env)) {
        int done = rb_rebalance_proportional(p, env, to, kind, traded, err);
        if (done < 0) return err ? err->code : RB_ERR_DATA;
        if (done) return RB_OK;
    }
    return rb_portfolio_rebalance_general(p, env, to, kind, traded, err);
}

rb_status rb_portfolio_rebalance_general(rb_portfolio *p, const rb_trade_env *env, const double *to,
                                         rb_trade_kind kind, int *traded, rb_error *err)
{
    *traded = 0;
    double w = holdings(p, env);
    if (!(w > 0)) return RB_OK;
    double dust = RB_ORDER_DUST * w, floor_value = env->min_trade > dust ? env->min_trade : dust, fixed = 0, wsum = 0;
    for (size_t i = 0; i < p->N; i++) {
        double gap = to[i] * w - p->value[i];
        p->in[i] = rb_trade_in_play(to[i], w, p->value[i], floor_value);
        if (p->in[i]) {
            wsum += to[i];
            continue;
        }
        fixed += p->value[i];
        /* Orders under --min-trade are skipped and recorded; dust is not an order at all. */
        if (fabs(gap) >= dust) {
            rb_status rc = record(p, env, i, kind, gap / env->price[i], NULL, 1, err);
            if (rc != RB_OK) return rc;
        }
    }
    /* The traded assets share w - fixed; one whose share is within dust of what it holds
     * has no order and leaves the set (its value joins the fixed part), until none has. */
    double *share = p->lane + LANE_SHARE * p->N; /* the closed form's, done with */
    while (wsum != 0) {
        take_shares(p, to, wsum, share);
        if (!drop_dust(p, share, w - fixed, dust)) break;
        fixed = wsum = 0;
        for (size_t i = 0; i < p->N; i++) {
            if (p->in[i]) wsum += to[i];
            else fixed += p->value[i];
        }
    }
    if (wsum == 0) return RB_OK;
    if (!solve_proportional(p, env, share, w - fixed)) {
        rebalance_ctx ctx = {share};
        rb_status rc = solve(p, env, plan_rebalance, &ctx, w - fixed, -1, w, err);
        if (rc != RB_OK) return rc;
    }
    return execute(p, env, p->order, kind, traded, err);
}

/* Flows and taxes: buy (sign +1) or sell (sign -1) a value x split over the assets. */
typedef struct flow_ctx {
    const double *target; /* NULL: pro rata to current values */
    int greedy;           /* most off-target first */
    int sign;
    double total;         /* value of the positions */
    double dust;          /* orders below this value are not placed (RB_ORDER_DUST of the portfolio) */
} flow_ctx;

/* Asset i's share of the positions' value in a pro-rata flow (0 when they are worth nothing). */
static double pro_rata_share(const rb_portfolio *p, const flow_ctx *c, size_t i)
{
    return c->total > 0 ? p->value[i] / c->total : 0;
}

/* Asset order for greedy flows: by target - weight, descending (buys) or ascending (sells). */
static void off_target_order(const rb_portfolio *p, const flow_ctx *c, size_t *idx)
{
    for (size_t i = 0; i < p->N; i++) idx[i] = i;
    for (size_t a = 1; a < p->N; a++) {
        size_t k = idx[a], b = a;
        double gk = c->sign * (c->target[k] - p->value[k] / c->total);
        while (b > 0) {
            size_t j = idx[b - 1];
            double gj = c->sign * (c->target[j] - p->value[j] / c->total);
            if (gj >= gk) break;
            idx[b] = j;
            b--;
        }
        idx[b] = k;
    }
}

static rb_status plan_flow(rb_portfolio *p, const rb_trade_env *env, const void *ctxp, double x, double *order,
                           rb_error *err)
{
    const flow_ctx *c = ctxp;
    for (size_t i = 0; i < p->N; i++) order[i] = 0;
    if (!(x > 0)) return RB_OK;
    if (!c->greedy) {
        for (size_t i = 0; i < p->N; i++) {
            double share = c->target ? c->target[i] : pro_rata_share(p, c, i);
            double v = share * x;
            if (c->sign < 0 && v > p->value[i]) v = p->value[i];
            if (v < c->dust) continue; /* dust is no order */
            order[i] = c->sign * v / env->price[i];
        }
        return RB_OK;
    }
    /* Fill the most underweight (or drain the most overweight) first, each up to its
     * target at the portfolio's value after the flow. */
    size_t stack[64], *idx = p->N <= 64 ? stack : rb_malloc(p->N * sizeof *idx);
    if (!idx) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    off_target_order(p, c, idx);
    double after = c->total + c->sign * x, left = x;
    for (size_t k = 0; k < p->N && left > 0; k++) {
        size_t i = idx[k];
        double room = c->sign > 0 ? c->target[i] * after - p->value[i] : p->value[i] - c->target[i] * after;
        if (room <= 0) continue;
        double v = room < left ? room : left;
        if (v < c->dust) continue; /* dust is no order */
        order[i] = c->sign * v / env->price[i];
        left -= v;
    }
    if (idx != stack) free(idx);
    return RB_OK;
}

/* Sells value (pro rata, or most overweight first) until `need` is raised net of costs,
 * then takes it from cash. *raised gets what was taken (less when the portfolio is worth
 * less). */
static rb_status raise_cash(rb_portfolio *p, const rb_trade_env *env, double need, const flow_ctx *shape,
                            rb_trade_kind kind, double *raised, rb_error *err)
{
    double w = holdings(p, env);
    if (need > w) need = w > 0 ? w : 0;
    if (p->cash < need) {
        flow_ctx c = *shape;
        c.sign = -1;
        c.total = w - p->cash;
        c.dust = RB_ORDER_DUST * w;
        /* Pro rata: the shares plan_flow would divide out on each of the fixed point's
         * iterations, taken once (the same bits; a tax payment iterates some five times). */
        double shares[64];
        if (!c.target && !c.greedy && p->N <= 64) {
            for (size_t i = 0; i < p->N; i++) shares[i] = pro_rata_share(p, &c, i);
            c.target = shares;
        }
        int traded;
        rb_status rc = solve(p, env, plan_flow, &c, need - p->cash, +1, w, err);
        if (rc == RB_OK) rc = execute(p, env, p->order, kind, &traded, err);
        if (rc != RB_OK) return rc;
    }
    if (need > p->cash) need = p->cash; /* selling everything raised less than asked */
    p->cash -= need;
    *raised = need;
    return RB_OK;
}

rb_status rb_portfolio_flow(rb_portfolio *p, const rb_trade_env *env, double amount, const double *target,
                            rb_flow_mode mode, double *applied, rb_error *err)
{
    *applied = 0;
    flow_ctx c = {.target = target, .greedy = mode == RB_FLOWS_REBALANCE, .sign = 1};
    if (amount < 0) {
        if (!c.greedy) c.target = NULL; /* withdrawals sell pro rata to current values */
        double raised;
        rb_status rc = raise_cash(p, env, -amount, &c, RB_TRADE_FLOW, &raised, err);
        if (rc == RB_OK) *applied = -raised;
        return rc;
    }
    p->cash += amount;
    *applied = amount;
    double w = holdings(p, env);
    c.total = w - p->cash;
    c.dust = RB_ORDER_DUST * w;
    int traded;
    rb_status rc = solve(p, env, plan_flow, &c, p->cash, -1, w, err);
    if (rc == RB_OK) rc = execute(p, env, p->order, RB_TRADE_FLOW, &traded, err);
    return rc;
}

double rb_portfolio_close_year(rb_portfolio *p)
{
    rb_realized carry;
    double due = rb_tax_due(p->year_realized, p->carry, p->tax_short, p->tax_long, &carry);
    p->carry = carry;
    /* Whatever is realized from now on (the sales that pay this tax too) is the new year's. */
    p->year_realized.short_term = p->year_realized.long_term = 0;
    return due;
}

rb_status rb_portfolio_pay_tax(rb_portfolio *p, const rb_trade_env *env, double due, rb_error *err)
{
    if (!(due > 0)) return RB_OK;
    flow_ctx pro_rata = {.target = NULL, .greedy = 0, .sign = -1};
    double paid;
    rb_status rc = raise_cash(p, env, due, &pro_rata, RB_TRADE_TAX, &paid, err);
    if (rc == RB_OK) p->taxes += paid;
    return rc;
}

double rb_portfolio_pending_tax(const rb_portfolio *p, const double *price, rb_time t)
{
    rb_realized open = p->lots ? rb_lots_unrealized(p->lots, price, t) : (rb_realized){0, 0};
    rb_realized year = {p->year_realized.short_term + open.short_term, p->year_realized.long_term + open.long_term};
    rb_realized carry;
    return rb_tax_due(year, p->carry, p->tax_short, p->tax_long, &carry);
}
