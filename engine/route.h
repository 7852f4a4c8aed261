/* route.h - an order split across the venues its asset trades on so that its total cost
 * (fees + slippage + gas) is least (docs/engine.md, "Venues and routing"). Pure functions:
 * no state, no allocation. Internal. */
#ifndef RB_ROUTE_H
#define RB_ROUTE_H

#include <stddef.h>

#include "costs.h"
#include "rebal.h"

/* The most venues one asset may trade on (the subsets of those with gas are enumerated). */
#define RB_ROUTE_MAX 8

/* One venue as an order meets it at its bar. An exchange: costs' fee_bps, fee_min,
 * slippage_bps and spread_bps (amm_depth 0). A pool: amm_depth > 0 (the depth on the bar),
 * amm_fee_bps and amm_range_low/high (0:0 for the full range), no other cost. gas: what each
 * leg on it pays (a pool's swap), >= 0. */
typedef struct rb_route_venue {
    rb_asset_costs costs;
    double gas;
} rb_route_venue;

/* An order as routed: per venue (in the order given) its leg in units, signed like the
 * order (0: no leg), and the leg's cost (rb_order_cost_of on the venue); their sum. */
typedef struct rb_route_result {
    size_t n;
    double units[RB_ROUTE_MAX];
    rb_order_cost cost[RB_ROUTE_MAX];
    rb_order_cost total;
} rb_route_result;

/* Splits the order of `units` (> 0 buy, < 0 sell) at market price `price` across the n
 * venues (1 <= n <= RB_ROUTE_MAX) at least total cost: for each subset of the venues with a
 * per-leg cost (gas, a minimum fee), the marginal costs of the venues in it are equalized
 * (bisection over the marginal costs where a venue starts, fills or steps, then exactly on
 * the segment found), and the cheapest subset wins (the first in enumeration order, all
 * venues first, among equals). A ranged pool takes at most what its range
 * allows. Fails with RB_ERR_DATA when no split can fill the order, naming the largest trade
 * the venues take together (rb_route_capacity). */
rb_status rb_route(const rb_route_venue *v, size_t n, double units, double price, rb_route_result *out,
                   rb_error *err);

/* The most units the venues take together on one side (buy > 0, else sell): the sum of each
 * venue's; INFINITY when one has no limit (an exchange, a full-range pool's sale). A
 * full-range pool's buy takes less than its units, R / price, however large. */
double rb_route_capacity(const rb_route_venue *v, size_t n, int buy, double price);

/* The total of a route's costs (fee + slippage + gas). */
double rb_route_cost_total(const rb_route_result *r);

#endif /* RB_ROUTE_H */
