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

/* What the router makes of a venue's costs that does not change from bar to bar (only a
 * pool's depth does): a pool's fee and range, an exchange's marginal costs on each side
 * (index 0 a sale, 1 a buy); whether the venue is a pool is its depth's to say. Made once per venue (rb_route_form_of) by whoever routes many
 * orders across the same venues (routes.h keeps one per slot), so that no order works them
 * out again; every value is the one rb_route would compute itself. */
typedef struct rb_route_form {
    int plain;           /* a pool with no cost but its own (fee, range) and valid settings:
                            its legs are priced by rb_order_cost_of's formulas without its checks */
    int ranged;          /* a pool with a range */
    double g, f;         /* 1 - fee (the fee amm_fee_bps / 1e4) and 1 - g */
    double fee;          /* amm_fee_bps / 1e4, as rb_order_cost_of takes it */
    double sg;           /* sqrt(g) */
    double start[2];     /* where the pool starts to take an order in u: 1 / sg, -sg */
    double amplify;      /* the range's virtual depth per unit of depth (rb_pool_shape), 1: none */
    double buy_max, sell_max; /* rb_pool_shape's */
    double cap[2];       /* the cap per unit of (virtual) depth, before CAP_INSIDE: a sale's
                            sell_max / g (INFINITY: none), a buy's buy_max (1: none) */
    double u0[2], u1[2], kink; /* an exchange */
} rb_route_form;

/* One venue as an order meets it at its bar. An exchange: costs' fee_bps, fee_min,
 * slippage_bps and spread_bps (amm_depth 0). A pool: amm_depth > 0 (the depth on the bar),
 * amm_fee_bps and amm_range_low/high (0:0 for the full range), no other cost. gas: what each
 * leg on it pays (a pool's swap), >= 0. form: rb_route_form_of of costs (any depth), or NULL:
 * rb_route makes it. */
typedef struct rb_route_venue {
    rb_asset_costs costs;
    double gas;
    const rb_route_form *form;
} rb_route_venue;

/* The form of a venue of costs c (its depth aside). */
void rb_route_form_of(const rb_asset_costs *c, rb_route_form *out);

/* An order as routed: per venue (in the order given) its leg in units, signed like the
 * order (0: no leg), and the leg's cost (rb_order_cost_of on the venue); their sum. */
typedef struct rb_route_result {
    size_t n;
    double units[RB_ROUTE_MAX];
    rb_order_cost cost[RB_ROUTE_MAX];
    rb_order_cost total;
} rb_route_result;

/* A venue as the router models it on one side at one bar (route.c): a pool takes
 * clip(beta (u - start), 0, cap) at u (its depth Y, fee f, g = 1 - f), an exchange nothing
 * below u0, its minimum fee's kink up to u1 and without limit above. */
typedef struct rb_route_model {
    int pool;
    double beta, cap, start, Y, f, g;
    double u0, u1, kink;
} rb_route_model;

/* An asset's venues made ready for its orders on one side at one bar (rb_route_book_open):
 * the venues (their forms by pointer, which must outlive the book), their models and jumps,
 * the breakpoints of all of them sorted, and the segment the last order that all of them
 * took was found on (checked first by the next: orders of a rebalance's fixed point land on
 * the same one). rb_route_booked routes on it exactly as rb_route does, to the bit. */
typedef struct rb_route_book {
    size_t n;
    int buy;
    int hints;         /* the breakpoints are finite and the models' amounts too: the segment
                          found last may be checked first */
    int lined;         /* hints, and all the venues pools: tot and line_a/b are set */
    unsigned jumps;    /* the venues with a jump (gas, a minimum or fixed fee) */
    unsigned pools;    /* the venues that are pools on the bar */
    size_t np, hint;   /* breakpoints of all the venues; the segment found last */
    rb_route_venue v[RB_ROUTE_MAX];
    const rb_route_form *form[RB_ROUTE_MAX];
    rb_route_model m[RB_ROUTE_MAX];
    double jump[RB_ROUTE_MAX];
    double price;                      /* the price units_of_pool are for (NaN: none yet) */
    double units_of_pool[RB_ROUTE_MAX]; /* a pool's Y / price (an exchange's 0 / price) */
    double pts[4 * RB_ROUTE_MAX + 1];
    double tot[4 * RB_ROUTE_MAX + 1];    /* the total of all of them at each point */
    double line_a[4 * RB_ROUTE_MAX + 2]; /* segment i (from pts[i - 1]): the total of all of */
    double line_b[4 * RB_ROUTE_MAX + 2]; /* them at pts[i - 1] + d is line_a + line_b d */
} rb_route_book;

/* Opens book on venues v (1 <= n <= RB_ROUTE_MAX) with forms form (form[k] for v[k]; v's
 * own form pointers are not read) for orders on side buy (1: buys, 0: sales). */
void rb_route_book_open(rb_route_book *book, const rb_route_venue *v, const rb_route_form *const *form, size_t n,
                        int buy);

/* rb_route of an order of `units` on the book's venues (units 0 or on the book's side). */
rb_status rb_route_booked(rb_route_book *book, double units, double price, rb_route_result *out, rb_error *err);

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
