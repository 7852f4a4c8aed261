/* trade.h - the trade arithmetic, once, for both simulators: the cost settings of an order,
 * and static inline functions of one lane (one portfolio) for valuation, the closed-form
 * post-cost rebalance and the fill of an order. The reference simulator calls them for its
 * one portfolio; the batch simulator calls them in loops over its lanes (portfolios side by
 * side, x[asset * cap + lane]) that the compiler vectorizes. So the two agree by
 * construction: each value a trade produces is computed by the same expression, in the same
 * order. Branch-free where a lane loop calls it (a branch there is a selection). The batch's
 * lanes on a machine with AVX-512 take the closed form's and the fill's functions written
 * again with its intrinsics (rebalance_lanes_avx512.c, each step naming the functions it
 * follows): a change here is made there too, and tests/test_lanes.c, which holds those lanes
 * to the scalar rebalance (these functions) to the bit, fails until it is. Internal. */
#ifndef RB_TRADE_H
#define RB_TRADE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "rebal.h"
#include "spec.h"

/* Orders below this fraction of the portfolio's value are not placed. */
#define RB_ORDER_DUST 1e-9

#define RB_BPS 1e4 /* basis points per unit fraction */

/* ---------------------------------------------------------------- the cost model */

/* How a setting of rb_asset_costs enters an order's cost. */
typedef enum rb_cost_role {
    RB_COST_RATE_FEE,      /* bps of the traded value (over `divisor`), paid as a fee */
    RB_COST_RATE_SLIPPAGE, /* bps of the traded value (over `divisor`), paid as slippage */
    RB_COST_NONLINEAR,     /* a per-order, impact or pool cost: non-zero, costs are not proportional */
    RB_COST_POOL_FEE,      /* the pool's fee: acts only with a pool (amm_depth) */
    RB_COST_POOL_RANGE,    /* the pool's range (concentrated liquidity): acts only with a pool */
} rb_cost_role;

typedef struct rb_cost_setting {
    const char *name; /* the field of rb_asset_costs */
    const char *flag; /* the CLI option that sets it, for messages */
    size_t offset;      /* of the field in rb_asset_costs */
    size_t spec_offset; /* of its per-asset values (rb_asset_values) in rb_run_spec */
    rb_cost_role role;
    double divisor; /* rates only: the share of the quoted rate an order pays is 1 / divisor */
} rb_cost_setting;

/* Every cost setting, the only list of them: validation and its messages (costs.c), the cost
 * of an order, the closed form's cost rate, the batch's lanes and the test of each walk it.
 * The rates come first (RB_COST_RATES of them), in the order their terms are added. A new
 * proportional cost is a field of rb_asset_costs, one row here, and its setting (spec.h
 * field, spec.c row): the resolver fills every field from the row's spec_offset. */
#define RB_COST_RATES 3
static const rb_cost_setting rb_cost_settings[] = {
    {"fee_bps", "--fee-bps", offsetof(rb_asset_costs, fee_bps),
     offsetof(rb_run_spec, fee_bps), RB_COST_RATE_FEE, 1.0},
    {"slippage_bps", "--slippage-bps", offsetof(rb_asset_costs, slippage_bps),
     offsetof(rb_run_spec, slippage_bps), RB_COST_RATE_SLIPPAGE, 1.0},
    {"spread_bps", "--spread-bps", offsetof(rb_asset_costs, spread_bps),
     offsetof(rb_run_spec, spread_bps), RB_COST_RATE_SLIPPAGE, 2.0}, /* half */
    {"fee_min", "--fee-min", offsetof(rb_asset_costs, fee_min),
     offsetof(rb_run_spec, fee_min), RB_COST_NONLINEAR, 0},
    {"fee_fixed", "--fee-fixed", offsetof(rb_asset_costs, fee_fixed),
     offsetof(rb_run_spec, fee_fixed), RB_COST_NONLINEAR, 0},
    {"impact_k", "--impact", offsetof(rb_asset_costs, impact_k),
     offsetof(rb_run_spec, impact), RB_COST_NONLINEAR, 0},
    {"amm_depth", "--amm-depth", offsetof(rb_asset_costs, amm_depth),
     offsetof(rb_run_spec, amm_depth), RB_COST_NONLINEAR, 0},
    {"amm_fee_bps", "--amm-fee-bps", offsetof(rb_asset_costs, amm_fee_bps),
     offsetof(rb_run_spec, amm_fee_bps), RB_COST_POOL_FEE, 0},
    /* one setting, --amm-range LOW:HIGH, fills both */
    {"amm_range_low", "--amm-range", offsetof(rb_asset_costs, amm_range_low),
     offsetof(rb_run_spec, amm_range_low), RB_COST_POOL_RANGE, 0},
    {"amm_range_high", "--amm-range", offsetof(rb_asset_costs, amm_range_high),
     offsetof(rb_run_spec, amm_range_high), RB_COST_POOL_RANGE, 0},
};
#define RB_COST_SETTINGS (sizeof rb_cost_settings / sizeof rb_cost_settings[0])
_Static_assert(RB_COST_SETTINGS == sizeof(rb_asset_costs) / sizeof(double), "one row per field of rb_asset_costs");

static inline double rb_cost_value(const rb_asset_costs *c, size_t k)
{
    return *(const double *)((const char *)c + rb_cost_settings[k].offset);
}

/* 1 when every cost of c is proportional (the rates alone: nothing per order, no impact,
 * no pool), so that the closed form can solve a rebalance. */
static inline int rb_costs_proportional(const rb_asset_costs *c)
{
    int nonlinear = 0;
    for (size_t k = RB_COST_RATES; k < RB_COST_SETTINGS; k++)
        nonlinear |= (rb_cost_settings[k].role == RB_COST_NONLINEAR) & (rb_cost_value(c, k) != 0);
    return !nonlinear;
}

/* The rates of the cost model (the first RB_COST_RATES settings), in table order. Passed
 * by value: in a lane loop (omp simd) a local whose address is taken becomes an array per
 * lane, and the loop would not vectorize; for the same reason the functions below return
 * their results rather than store them through pointers. */
typedef struct rb_rates {
    double bps[RB_COST_RATES];
} rb_rates;

static inline rb_rates rb_cost_rates(const rb_asset_costs *c)
{
    rb_rates r;
    for (size_t k = 0; k < RB_COST_RATES; k++) r.bps[k] = rb_cost_value(c, k);
    return r;
}

/* What an order pays, split as the cost model records it (quote currency). */
typedef struct rb_fee_slippage {
    double fee, slippage;
} rb_fee_slippage;

/* The proportional part of an order's cost at the rates r on its traded value gross (quote
 * currency, >= 0): gross * bps / divisor / 1e4 each, added in table order to the fee or the
 * slippage. (-0 is the identity of addition: the first term of each is taken as it is.) */
static inline rb_fee_slippage rb_trade_rate_costs(double gross, rb_rates r);

/* The proportional costs at rates r, each rate's term skipped in its two divisions where the
 * rate is 0: bit k of zero for rate k, or, with test_each, each rate tested here. The term
 * of a zero rate is gross * 0, which equals gross * 0 / divisor / 1e4 to the bit (+-0 for a
 * finite gross, the same NaN otherwise). */
static inline rb_fee_slippage rb_rate_costs_by(double gross, rb_rates r, unsigned zero, int test_each)
{
    rb_fee_slippage c = {-0.0, -0.0};
    for (size_t k = 0; k < RB_COST_RATES; k++) {
        int is_zero = test_each ? r.bps[k] == 0 : (int)(zero >> k & 1);
        double x = gross * r.bps[k];
        if (!is_zero) x = x / rb_cost_settings[k].divisor / RB_BPS;
        if (rb_cost_settings[k].role == RB_COST_RATE_FEE) c.fee += x;
        else c.slippage += x;
    }
    return c;
}

/* rb_trade_rate_costs knowing which rates are 0: bit k of zero for rate k (a rate of +-0
 * may have its bit or not; a bit set for any other rate is wrong): for a loop over lanes
 * that all have that rate 0. */
static inline rb_fee_slippage rb_trade_rate_costs_known(double gross, rb_rates r, unsigned zero)
{
    return rb_rate_costs_by(gross, r, zero, 0);
}

/* (The rates that are 0 found here, each as its term comes: their terms skip their two
 * divisions, the same bits. A tax payment's fixed point prices its orders some five times,
 * benchmark 2's without a spread: one division in three an order left out. A mask of the
 * zero rates built first and then read, as rb_trade_rate_costs_known takes it, cost some 16
 * instructions an order.) */
static inline rb_fee_slippage rb_trade_rate_costs(double gross, rb_rates r) { return rb_rate_costs_by(gross, r, 0, 1); }

/* The fee an order pays under --fee-min: fmax(fee, fee_min), the larger of two numbers and
 * the number of a NaN and a number, and of two equal ones (+0 and -0) the fee itself. fmax
 * leaves that last choice open, and GCC passes fmax's arguments in either order (it takes
 * them as interchangeable; x86-64's libm returns the second of two equal ones), so a call
 * gave +0 or -0 by the call site and the build; this gives the same in every build, and
 * without a call (the compiler does not inline fmax: a tax payment's fixed point made one
 * for every order it priced). */
static inline double rb_fee_at_least(double fee, double fee_min)
{
    if (fee > fee_min) return fee; /* the usual order first: a fee above its minimum */
    return fee < fee_min || (fee != fee && fee_min == fee_min) ? fee_min : fee;
}

/* The fee and slippage of an order of traded value v (>= 0) by c's rates and its per-order
 * fee settings (--fee-min, --fee-fixed): the whole of an order's cost when c's costs are
 * proportional, the part before an impact and a pool add theirs otherwise (costs.c). */
static inline rb_fee_slippage rb_trade_order_fees(const rb_asset_costs *c, double v)
{
    rb_fee_slippage rate = rb_trade_rate_costs(v, rb_cost_rates(c));
    return (rb_fee_slippage){rb_fee_at_least(rate.fee, c->fee_min) + c->fee_fixed, rate.slippage};
}

/* The cost rate of an order whose costs are proportional, per unit of traded value: the sum
 * of the rates (each over its divisor) / 1e4. */
static inline double rb_trade_rate(rb_rates r)
{
    double rate = -0.0;
    for (size_t k = 0; k < RB_COST_RATES; k++) rate += r.bps[k] / rb_cost_settings[k].divisor;
    return rate / RB_BPS;
}

/* The cost rate of an asset whose costs are all proportional. */
static inline double rb_cost_rate(const rb_asset_costs *c) { return rb_trade_rate(rb_cost_rates(c)); }

/* ---------------------------------------------------------------- valuation */

/* A portfolio's value is its cash plus units * price of each asset, added in asset order:
 * v = rb_value_add(v, units[i], price[i]) from v = cash. */
static inline double rb_value_add(double v, double units, double price) { return v + units * price; }

/* An asset's weight in a portfolio worth v (0 when v is not positive). */
static inline double rb_weight(double units, double price, double v) { return v > 0 ? units * price / v : 0; }

/* ---------------------------------------------------------------- the closed-form rebalance */

/* An asset's share of the traded assets' value: its target over the targets in play. */
static inline double rb_trade_share(double to, double wsum) { return wsum == 1 ? to : to / wsum; }

/* Whether an asset worth value in a portfolio worth w is in play: its gap to its target
 * (to * w) is at least floor. */
static inline int64_t rb_trade_in_play(double to, double w, double value, double floor)
{
    return fabs(to * w - value) >= floor;
}

/* Whether an asset in play has no order: its share a of base is within dust of its value. */
static inline int64_t rb_trade_is_dust(double a, double base, double value, double dust)
{
    return fabs(a * base - value) < dust;
}

/* With proportional costs the amount x the traded assets share after costs solves
 * x = base - sum_i r_i |a_i x - V_i| (r the cost rate, a the share, V the value held), which
 * is linear on the sign pattern s_i of the orders at x = base: x = num / den, num = base +
 * sum r s V, den = 1 + sum r s a, accumulated asset by asset from {base, 1} (the CASH column
 * and the assets out of play add no term). */
typedef struct rb_solve {
    double num, den;
} rb_solve;

static inline rb_solve rb_trade_solve_term(rb_solve acc, double rate, double a, double base, double value)
{
    double q = a * base - value;
    double s = q > 0 ? 1 : q < 0 ? -1 : 0;
    double rs = rate * s;
    return (rb_solve){acc.num + rs * value, acc.den + rs * a};
}

/* Whether the order's sign at the solution x differs from its sign at base: the sign
 * pattern the solve assumed does not hold (an asset within a cost's width of its target). */
static inline int64_t rb_trade_flips(double a, double base, double x, double value)
{
    double before = a * base - value, after = a * x - value;
    return ((before > 0) & (after < 0)) | ((before < 0) & (after > 0));
}

/* The order, in units, that brings an asset holding units to its share a of x at price. */
static inline double rb_trade_order(double a, double x, double price, double units) { return a * x / price - units; }

/* ---------------------------------------------------------------- the fill */

/* An executed order: the units held and the cash after it, and the amount it brought (a
 * sale: proceeds net of costs) or cost (a buy: costs included). */
typedef struct rb_fill {
    double units, cash, amount;
} rb_fill;

/* The order of u units (u != 0; u < 0 sells) from held units and cash, trading gross (= |u|
 * times the price) and paying costs. A sale that leaves less than 1e-12 of the units held
 * (or a rounding remainder below zero) leaves none. */
static inline rb_fill rb_trade_fill(double u, double gross, double costs, double held, double cash)
{
    int64_t sell = u < 0;
    double got = gross - costs, paid = gross + costs, now = held + u;
    double kept = ((now < 0) | (now < 1e-12 * held)) ? 0 : now;
    return (rb_fill){.units = sell ? kept : now, .cash = sell ? cash + got : cash - paid, .amount = sell ? got : paid};
}

/* Cash a rebalance left within rounding of zero (below zero by less than dust of the
 * portfolio's value w before it) is zero: it is never negative. */
static inline double rb_trade_settle(double cash, double w)
{
    return ((cash < 0) & (cash > -RB_ORDER_DUST * (w > 0 ? w : 1))) ? 0 : cash;
}

#endif /* RB_TRADE_H */
