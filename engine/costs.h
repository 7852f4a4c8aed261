/* costs.h - the cost of one order under the cost models of docs/engine.md: commission,
 * fixed slippage, half spread, square-root impact, an exact constant-product AMM pool and
 * gas (the rolling volatility and volume the impact model reads: data/impact_inputs.h).
 * Internal. */
#ifndef RB_COSTS_H
#define RB_COSTS_H

#include <float.h>

#include "impact_inputs.h"
#include "rebal.h"

/* What an order pays, each part recorded separately (quote currency, >= 0). */
typedef struct rb_order_cost {
    double fee;      /* commission, plus the AMM pool fee */
    double slippage; /* fixed slippage + half spread + impact + AMM curve impact */
    double gas;
} rb_order_cost;

/* The market an order meets at its bar. */
typedef struct rb_order_market {
    double price; /* market (execution reference) price per unit, > 0 */
    double sigma; /* impact: stdev of log returns per bar over the window; 0 if unknown */
    double adv;   /* impact: mean volume in units per bar over the window; > 0 when impact is on */
    double gas;   /* gas per transaction at this bar */
} rb_order_market;

/* Cost of an order of `units` (> 0 buy, < 0 sell, 0 = no order: all zero). c may be NULL
 * (no costs, no gas). Fails with RB_ERR_DATA, naming the units and the pool, only when an
 * AMM buy would take all of the pool's units (or more). Pure: no state. */
rb_status rb_order_cost_of(const rb_asset_costs *c, double units, const rb_order_market *mk,
                           rb_order_cost *out, rb_error *err);

/* 1 when an order can be traded at this market: a price above 0 and a gas of 0 or more,
 * both finite (rb_order_cost_of refuses an order at any other, naming what is wrong). */
static inline int rb_market_valid(double price, double gas)
{
    return (price > 0.0) & (price <= DBL_MAX) & (gas >= 0.0) & (gas <= DBL_MAX);
}

/* 1 when every setting of c is one rb_order_cost_of accepts: each a finite number, 0 or
 * more, a pool fee below 10000 bps and a pool range that is none (0:0) or 0 < LOW < 1 < HIGH.
 * A run checks its settings once with it (rb_sim_config.plain_costs). */
int rb_costs_valid(const rb_asset_costs *c);

/* A concentrated-liquidity position over [low p, high p] (docs/engine.md, "Concentrated
 * liquidity"): its virtual reserves are amplify times the depth, a buy may take at most
 * buy_max of the virtual units and a sale put in (after the fee) at most sell_max of them.
 * The full range (low = high = 0): {1, 1, INFINITY}. */
typedef struct rb_pool_shape {
    double amplify, buy_max, sell_max;
} rb_pool_shape;

rb_pool_shape rb_pool_shape_of(double low, double high);

static inline double rb_order_cost_total(const rb_order_cost *c) { return c->fee + c->slippage + c->gas; }


#endif /* RB_COSTS_H */
