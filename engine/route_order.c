/* route_order.c - an order of the portfolio routed across its asset's venues at its bar
 * (routes.h): the venues as they are on the bar, the legs, the chains they touch. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "routes.h"

rb_status rb_route_order(const rb_trade_env *env, size_t i, double units, rb_routed *out, rb_error *err)
{
    const rb_routes *ro = env->routes;
    size_t n = ro->count[i];
    const rb_route_slot *slot = ro->slot + ro->first[i];
    /* each swap of a pool is a transaction (--gas) and a swap of the vault's (--gas-swap) */
    double swap_gas = env->gas_swap != 0 ? env->gas + env->gas_swap : env->gas;
    rb_route_venue v[RB_ROUTE_MAX];
    v[0] = (rb_route_venue){.gas = 0.0}; /* (n >= 1: every one of the n is set below) */
    for (size_t k = 0; k < n && k < RB_ROUTE_MAX; k++) {
        v[k].costs = slot[k].costs;
        if (slot[k].depth) v[k].costs.amm_depth = slot[k].depth[env->bar];
        v[k].gas = slot[k].pool ? slot[k].gas + swap_gas : 0.0;
    }
    rb_status rc = rb_route(v, n, units, env->price[i], &out->r, err);
    if (rc != RB_OK) {
        char when[32];
        return rb_error_prefix(err, "%s on %s", env->symbols ? env->symbols[i] : "?", rb_time_format(env->time, when));
    }
    out->chains = 0;
    for (size_t k = 0; k < n; k++) {
        out->chain[k] = slot[k].pool ? 1u << (slot[k].chain + 1) : 0u;
        if (out->r.units[k] != 0) out->chains |= out->chain[k];
    }
    return RB_OK;
}
