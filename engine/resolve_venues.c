/* resolve_venues.c - a run's venue file (--venues) laid over its matrix (resolve.h,
 * rb_resolve_venues): each asset's venues as route slots (routes.h), with the depth series
 * of its pools read and checked on every bar. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "params.h"
#include "resolve.h"
#include "routes.h"
#include "venues.h"

/* Asset sym's slot of venue v (a pool's depth series, when it has one, still to read). */
static rb_route_slot slot_of(const rb_venue *v, const char *sym)
{
    rb_route_slot s = {.pool = v->pool, .chain = v->chain, .name = v->name, .gas = v->pool ? v->gas : 0};
    if (v->pool) {
        s.costs.amm_depth = v->depth.n || v->depth.has_all ? rb_asset_value(&v->depth, sym) : 0;
        s.costs.amm_fee_bps = v->pool_fee_bps;
        s.costs.amm_range_low = v->range_low;
        s.costs.amm_range_high = v->range_high;
    } else {
        s.costs.fee_bps = v->fee_bps;
        s.costs.slippage_bps = v->slippage_bps;
        s.costs.spread_bps = v->spread_bps;
        s.costs.fee_min = v->fee_min;
    }
    rb_route_form_of(&s.costs, &s.form);
    return s;
}

/* The series `name` of asset sym on venue v into *out (own: T doubles to fill from the
 * store; else from shared), checked positive on every bar. */
static rb_status read_depth(rb_store *store, const rb_venue_set *set, const rb_venue *v, const char *sym,
                            const char *name, const rb_matrix *m, const rb_resolve_inputs *shared, double *own,
                            const double **out, rb_error *err)
{
    rb_status rc;
    if (own) {
        rc = rb_resolve_dated(store, name, m, own, err);
        *out = own;
    } else {
        rc = shared->series(shared->series_ctx, name, out, err);
    }
    char what[RB_VENUE_NAME_MAX + 256];
    snprintf(what, sizeof what, "--venues %s: [%s] depth-series", set->path, v->name);
    if (rc != RB_OK) return rb_error_prefix(err, "%s: %s=%s", what, sym, name);
    return rb_check_depth_series(what, sym, name, m, *out, err);
}

rb_status rb_resolve_venues(rb_store *store, const rb_run_spec *spec, const rb_matrix *m,
                            const rb_resolve_inputs *shared, rb_resolved *r, rb_error *err)
{
    const rb_venue_set *set = spec->venues;
    size_t N = m->N, T = m->T, slots = 0, series = 0;
    rb_status rc = rb_venue_set_check_symbols(set, m->symbols, N, err);
    if (rc != RB_OK) return rb_error_prefix(err, "--venues");
    for (size_t i = 0; i < N; i++) {
        const rb_venue_list *l = rb_venue_list_of(set, m->symbols[i]);
        for (size_t k = 0; l && k < l->n; k++) {
            slots++;
            series += rb_asset_name_of(&set->venue[l->venue[k]].depth_series, m->symbols[i]) != NULL;
        }
    }
    int own = !(shared && shared->series);
    /* one block: the routes, first and count (N each), the slots, the series read here */
    size_t bytes = sizeof(rb_routes) + 2 * N * sizeof(size_t) + slots * sizeof(rb_route_slot) +
                   (own ? series * T * sizeof(double) : 0);
    char *block = rb_calloc(1, bytes);
    if (!block) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    r->owned_routes = block;
    rb_routes *ro = (rb_routes *)block;
    size_t *first = (size_t *)(block + sizeof *ro), *count = first + N;
    rb_route_slot *slot = (rb_route_slot *)(count + N);
    double *next = (double *)(slot + slots);
    size_t at = 0;
    for (size_t i = 0; rc == RB_OK && i < N; i++) {
        const rb_venue_list *l = rb_venue_list_of(set, m->symbols[i]);
        first[i] = at;
        count[i] = l ? l->n : 0;
        for (size_t k = 0; rc == RB_OK && l && k < l->n; k++, at++) {
            const rb_venue *v = &set->venue[l->venue[k]];
            slot[at] = slot_of(v, m->symbols[i]);
            const char *name = rb_asset_name_of(&v->depth_series, m->symbols[i]);
            if (!name) continue;
            rc = read_depth(store, set, v, m->symbols[i], name, m, shared, own ? next : NULL, &slot[at].depth, err);
            if (own) next += T;
            /* the pool is there from the first bar, like --amm-depth-series' */
            if (rc == RB_OK) slot[at].costs.amm_depth = slot[at].depth[0];
        }
    }
    *ro = (rb_routes){.N = N, .first = first, .count = count, .slot = slot};
    if (rc == RB_OK) r->routes = ro;
    return rc;
}
