/* routes.h - the venues of each asset of a run, resolved against its matrix (resolve.h:
 * rb_resolve_venues) for the orders of the portfolio to be routed across (route.h). Internal. */
#ifndef RB_ROUTES_H
#define RB_ROUTES_H

#include <stddef.h>

#include "portfolio.h"
#include "rebal.h"
#include "route.h"

/* One venue of one asset. */
typedef struct rb_route_slot {
    rb_asset_costs costs; /* an exchange's rates, or the pool (amm_depth: its constant depth) */
    const double *depth;  /* T: the pool's depth per bar from a series, or NULL */
    double gas;           /* the venue's own gas per swap (pools) */
    int pool;
    int chain;            /* the venue file's chain index, or -1: none named */
    const char *name;     /* the venue's name (the venue file's, which outlives the run) */
    rb_route_form form;   /* rb_route_form_of(costs) */
} rb_route_slot;

typedef struct rb_routes {
    size_t N;
    const size_t *first, *count; /* N each: an asset's slots (count 0: not routed) */
    const rb_route_slot *slot;
} rb_routes;

/* An order routed on its bar: its legs (route.h) and the chains they touch, as bits: bit 0
 * the chain of venues that name none (and of every order not routed), bit k + 1 the venue
 * file's chain k; an exchange's leg touches none. */
typedef struct rb_routed {
    rb_route_result r;
    unsigned chain[RB_ROUTE_MAX]; /* per leg */
    unsigned chains;              /* of the legs that trade */
} rb_routed;

/* 1 when asset i's orders are routed across venues. */
static inline int rb_routes_asset(const rb_trade_env *env, size_t i)
{
    return env->routes && env->routes->count[i] > 0;
}

/* What rb_route_order keeps from one order to the next for one portfolio: per routed asset
 * and side, its venues made ready (route.h, rb_route_book) for the last bar, routes and gas
 * it routed on, so that a rebalance's fixed point, which routes each asset's order five or
 * six times on one bar, makes them ready once and finds each order's segment where the last
 * one was. Only a cache: every order is routed to the same bits with it as without. */
typedef struct rb_route_memo rb_route_memo;

/* A memo for a portfolio of N assets, or NULL when out of memory (orders are then routed
 * without one). */
rb_route_memo *rb_route_memo_new(size_t N);
/* Forgets what the memo holds (a portfolio reset for another configuration). */
void rb_route_memo_forget(rb_route_memo *memo);
void rb_route_memo_free(rb_route_memo *memo);

/* Routes asset i's order of `units` (!= 0) at env's bar: each venue as it is on the bar (a
 * series' depth), a pool's leg paying the venue's gas plus the bar's --gas and --gas-swap.
 * memo: the portfolio's (or NULL). Errors name the asset and the date. */
rb_status rb_route_order(const rb_trade_env *env, rb_route_memo *memo, size_t i, double units, rb_routed *out,
                         rb_error *err);

/* The chains an order of asset i touches (rb_routed's bits): an order not routed, chain 0. */
static inline unsigned rb_routes_unrouted_chain(void) { return 1u; }

#endif /* RB_ROUTES_H */
