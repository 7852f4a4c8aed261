/* costs.c - the cost of one order (commission, fixed slippage, half spread, square-root
 * impact, an exact constant-product AMM pool, gas) and the rolling volatility and average
 * volume the impact model reads (docs/engine.md, "Costs of one order"). */
#include "costs.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "metrics.h"
#include "trade.h"

#define BPS RB_BPS

/* ---------------------------------------------------------------- one order */

/* 1 when x is a finite number >= 0 (NaN and infinities fail). Bitwise & keeps the checks of
 * the hot path free of branches. */
static inline int nonneg(double x) { return (x >= 0.0) & (x <= DBL_MAX); }

/* 1 when a pool's range is none (both 0) or 0 < low < 1 < high. */
static inline int range_valid(const rb_asset_costs *c)
{
    double lo = c->amm_range_low, hi = c->amm_range_high;
    return ((lo == 0.0) & (hi == 0.0)) | ((lo > 0.0) & (lo < 1.0) & (hi > 1.0));
}

/* 1 when every setting of c is one an order accepts (bad_input names the first that is not). */
static inline int settings_valid(const rb_asset_costs *c)
{
    int ok = (c->amm_fee_bps < BPS) & range_valid(c);
    for (size_t k = 0; k < RB_COST_SETTINGS; k++) ok &= nonneg(rb_cost_value(c, k));
    return ok;
}

int rb_costs_valid(const rb_asset_costs *c) { return settings_valid(c); }

/* The error path of rb_order_cost_of's input checks, kept out of the hot path: names the
 * first setting (in the order of rb_asset_costs' fields) or market value that is wrong.
 * Called only when one is, and makes the same checks. */
__attribute__((cold, noinline)) static rb_status bad_input(const rb_asset_costs *c, const rb_order_market *mk,
                                                          rb_error *err)
{
    for (size_t offset = 0; offset < sizeof *c; offset += sizeof(double))
        for (size_t k = 0; k < RB_COST_SETTINGS; k++) {
            const rb_cost_setting *s = &rb_cost_settings[k];
            double x = rb_cost_value(c, k);
            if (s->offset == offset && !nonneg(x))
                return rb_fail(err, RB_ERR_USAGE, "cost setting %s (%s) is %g: it must be a finite number, 0 or more",
                               s->name, s->flag, x);
        }
    if (!(c->amm_fee_bps < BPS))
        return rb_fail(err, RB_ERR_USAGE,
                       "cost setting amm_fee_bps (--amm-fee-bps) is %g: a pool fee must be below 10000 bps (100 %%)",
                       c->amm_fee_bps);
    if (!range_valid(c))
        return rb_fail(err, RB_ERR_USAGE,
                       "cost setting amm_range (--amm-range) is %g:%g: it must be 0 < LOW < 1 < HIGH, or 0:0 for none",
                       c->amm_range_low, c->amm_range_high);
    if (!nonneg(mk->price) || mk->price == 0.0)
        return rb_fail(err, RB_ERR_DATA, "price %g is not positive and finite: an order needs a market price",
                       mk->price);
    /* The one check of rb_order_cost_of left: the gas. */
    return rb_fail(err, RB_ERR_DATA, "gas %g at this bar is not a finite number, 0 or more", mk->gas);
}

/* The impact model's inputs are missing at this bar (no volume, or no volatility). */
__attribute__((cold, noinline)) static rb_status bad_impact(const rb_order_market *mk, rb_error *err)
{
    if (!(mk->adv > 0.0 && mk->adv <= DBL_MAX))
        return rb_fail(err, RB_ERR_DATA, "impact needs volume: no average volume at this bar (ADV %g)", mk->adv);
    return rb_fail(err, RB_ERR_DATA, "impact needs volatility: sigma %g at this bar is not a finite number, 0 or more",
                   mk->sigma);
}

__attribute__((cold, noinline)) static rb_status pool_exhausted(double units, double pool_units, double depth,
                                                               rb_error *err)
{
    return rb_fail(err, RB_ERR_DATA, "a buy of %g units exceeds the AMM pool's %g units (depth %g)", units, pool_units,
                   depth);
}

/* A concentrated-liquidity position (docs/engine.md, "Concentrated liquidity") centred on
 * the price p over [low p, high p], holding the capital 2R of a full-range pool of depth R,
 * trades as a constant-product pool on its virtual reserves, Y = amplify * R quote and
 * Y / p units, with
 *     1 - sqrt(low)    = (1 - low) / (1 + sqrt(low))                     (below)
 *     1 - 1/sqrt(high) = (high - 1) / (sqrt(high) (1 + sqrt(high)))      (above)
 *     amplify = 2 / (below + above)
 * (forms without the cancellation of 1 - sqrt(low) for a narrow range). Its real units are
 * `above` of the virtual ones: a buy may take at most that share (a = u / (Y/p) <= above);
 * a sale may put in (after the fee) at most 1/sqrt(low) - 1 = below / sqrt(low) of them. */
typedef struct pool_range {
    double amplify, buy_max, sell_max;
} pool_range;

static pool_range range_of(double low, double high)
{
    double sl = sqrt(low), sh = sqrt(high);
    double below = (1.0 - low) / (1.0 + sl), above = (high - 1.0) / (sh * (1.0 + sh));
    return (pool_range){.amplify = 2.0 / (below + above), .buy_max = above, .sell_max = below / sl};
}

rb_pool_shape rb_pool_shape_of(double low, double high)
{
    if (!(high > 0.0)) return (rb_pool_shape){1.0, 1.0, INFINITY};
    pool_range r = range_of(low, high);
    return (rb_pool_shape){r.amplify, r.buy_max, r.sell_max};
}

/* An order that would move the price past the range's edge. */
__attribute__((cold, noinline)) static rb_status range_crossed(const rb_asset_costs *c, double units, double most,
                                                              double price, rb_error *err)
{
    int buy = units > 0;
    return rb_fail(err, RB_ERR_DATA,
                   "a %s of %g units crosses the AMM range's %s edge (%g x the price %g, --amm-range %g:%g, depth %g): "
                   "the position takes a %s of at most %g units (%g in value)",
                   buy ? "buy" : "sale", fabs(units), buy ? "upper" : "lower",
                   buy ? c->amm_range_high : c->amm_range_low, price, c->amm_range_low, c->amm_range_high,
                   c->amm_depth, buy ? "buy" : "sale", most, most * price);
}

/* Called in the inner loop of the rebalance solver: no allocation, no formatting unless it
 * fails, and the input checks fold into one branch.
 *
 * AMM closed forms. With the pool re-centred at p it holds R quote and Q = R/p units; let
 * v = u p (the order's market value), a = u / Q (its share of the pool's units) and
 * f the fee. The spec's buy price x = R u / ((Q - u)(1 - f)) is x = v / ((1 - a)(1 - f)), so
 *     fee      = x f                  = v f / ((1 - a)(1 - f))
 *     slippage = x - v - x f = x(1-f) - v = v a / (1 - a)
 * and for a sell, y = R u (1 - f) / (Q + u (1 - f)) = v g / (1 + a g) with g = 1 - f:
 *     fee      = u f p                = v f
 *     slippage = v - y - v f = v g - y = v a g^2 / (1 + a g).
 * Neither subtracts two nearly equal amounts, so a tiny order in a deep pool (a -> 0) gets
 * its small curve impact (~ v a) to full relative precision, where x - u p would lose it. */
rb_status rb_order_cost_of(const rb_asset_costs *c, double units, const rb_order_market *mk, rb_order_cost *out,
                           rb_error *err)
{
    if (!out) return rb_fail(err, RB_ERR_USAGE, "rb_order_cost_of: out is required");
    /* Units that are not finite come from a run whose arithmetic overflowed: its data. */
    if (!isfinite(units))
        return rb_fail(err, RB_ERR_DATA,
                       "an order of %g units: units must be finite; the arithmetic overflowed (" RB_OVERFLOW_HINT ")",
                       units);
    if (units == 0.0 || !c) {
        *out = (rb_order_cost){0.0, 0.0, 0.0};
        return RB_OK;
    }
    if (!mk) return rb_fail(err, RB_ERR_USAGE, "rb_order_cost_of: an order of %g units needs its market", units);

    int ok = settings_valid(c) & rb_market_valid(mk->price, mk->gas);
    if (!ok) return bad_input(c, mk, err);

    double u = fabs(units), p = mk->price;
    double v = u * p; /* traded value, quote currency */
    rb_fee_slippage base = rb_trade_order_fees(c, v); /* the rates and per-order fees: trade.h */
    double fee = base.fee, slippage = base.slippage;

    if (c->impact_k > 0.0) {
        double adv = mk->adv, sigma = mk->sigma;
        if (!((adv > 0.0) & (adv <= DBL_MAX) & nonneg(sigma))) return bad_impact(mk, err);
        slippage += v * c->impact_k * sigma * sqrt(u / adv);
    }

    if (c->amm_depth > 0.0) {
        double f = c->amm_fee_bps / BPS, g = 1.0 - f;
        int ranged = c->amm_range_high > 0.0;
        pool_range range = ranged ? range_of(c->amm_range_low, c->amm_range_high) : (pool_range){1.0, 1.0, INFINITY};
        double depth = ranged ? c->amm_depth * range.amplify : c->amm_depth; /* R, or the virtual Y */
        double pool_units = depth / p;        /* Q */
        double a = u / pool_units;            /* the order's share of the pool's units */
        if (units > 0.0) {
            if (ranged && !(a <= range.buy_max)) return range_crossed(c, units, range.buy_max * pool_units, p, err);
            if (!(a < 1.0)) return pool_exhausted(units, pool_units, c->amm_depth, err);
            double rest = 1.0 - a; /* exact for a >= 1/2 (Sterbenz), one rounding below */
            fee += v * f / (rest * g);
            slippage += v * a / rest;
        } else {
            if (ranged && !(a * g <= range.sell_max))
                return range_crossed(c, units, range.sell_max / g * pool_units, p, err);
            fee += v * f;
            slippage += v * a * g * g / (1.0 + a * g);
        }
    }

    out->fee = fee;
    out->slippage = slippage;
    out->gas = mk->gas;
    return RB_OK;
}
