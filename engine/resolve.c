/* resolve.c - from a run spec and a loaded matrix to the simulator's configuration
 * (resolve.h): the checks that need no data (strategy parameters, symbols), the matrix the
 * spec names, the gas series, per-asset costs, impact and volatility inputs, the strategy's
 * state; and the hash of the data a sweep ran on. One implementation for the reference run
 * and the batch. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "costs.h"
#include "dated_tables.h"
#include "error.h"
#include "resolve.h"
#include "spec.h"
#include "store.h"
#include "strategy.h"
#include "trade.h"
#include "alloc.h"

/* Every strategy parameter given must belong to the chosen strategy. */
static rb_status check_params(const rb_run_spec *spec, const rb_strategy *s, rb_error *err)
{
    for (size_t k = 0; k < spec->ngiven; k++) {
        size_t j = 0;
        while (j < s->info.nparams && strcmp(s->info.params[j].key, spec->given[k]) != 0) j++;
        if (j == s->info.nparams)
            return rb_fail(err, RB_ERR_USAGE, "--%s does not apply to strategy '%s' (see 'rebal help strategies')",
                           spec->given[k], s->info.name);
    }
    return s->check ? s->check(&spec->sp, err) : RB_OK;
}

rb_status rb_resolve_matrix(rb_store *store, const rb_run_spec *spec, rb_matrix **m, rb_error *err)
{
    rb_load_options opt;
    rb_load_options_init(&opt);
    opt.symbols = (const char *const *)spec->symbols;
    opt.nsymbols = spec->nassets;
    opt.has_start = spec->has_start;
    opt.start = spec->start;
    opt.has_end = spec->has_end;
    opt.end = spec->end;
    opt.align = spec->align;
    opt.max_gap = spec->max_gap;
    opt.cash_rate = spec->cash_rate;
    opt.periods_per_year = spec->periods_per_year;
    return rb_matrix_load(store, &opt, m, err);
}

/* Impact needs volume: every asset with --impact must have it on its real bars. */
static rb_status check_volume(const rb_matrix *m, const rb_asset_costs *costs, int cash_col, rb_error *err)
{
    for (size_t i = 0; i < m->N; i++) {
        if ((int)i == cash_col || costs[i].impact_k == 0) continue;
        for (size_t t = 0; t < m->T; t++)
            if (!m->filled[t * m->N + i] && isnan(m->volume[t * m->N + i])) {
                char when[32];
                return rb_fail(err, RB_ERR_DATA, "--impact needs volume data: %s has none on %s", m->symbols[i],
                               rb_time_format(m->time[t], when));
            }
    }
    return RB_OK;
}

void rb_resolved_release(rb_resolved *r)
{
    for (size_t k = 0; k < sizeof r->owned / sizeof r->owned[0]; k++) free(r->owned[k]);
    free(r->owned_depth);
    free(r->owned_routes);
    free(r->owned_overlay);
    free(r->owned_bench);
    memset(r, 0, sizeof *r);
}

void rb_resolve_room_free(rb_resolve_room *room)
{
    if (!room->lent) free(room->p);
    *room = (rb_resolve_room){0};
}

void rb_resolve_room_lend(rb_resolve_room *room, void *memory, size_t bytes)
{
    *room = (rb_resolve_room){.p = memory, .cap = bytes, .lent = 1};
}

rb_status rb_resolve_check(const rb_run_spec *spec, const rb_strategy **strategy, rb_error *err)
{
    if (spec->nassets == 0) return rb_fail(err, RB_ERR_USAGE, "--assets is required, e.g. --assets SPX=0.6,CASH=0.4");
    const rb_strategy *s = rb_strategy_find(spec->strategy);
    if (!s) return rb_fail(err, RB_ERR_USAGE, "--strategy: unknown strategy '%s'", spec->strategy);
    rb_status rc = check_params(spec, s, err);
    if (rc == RB_OK) rc = rb_spec_check_symbols(spec, err);
    if (rc == RB_OK) rc = rb_spec_check_targets(spec, err);
    if (rc == RB_OK) *strategy = s;
    return rc;
}

/* Rolling stdev and ADV of window `w` into new arrays (the caller owns them either way). */
static rb_status own_inputs(const rb_matrix *m, int w, double **sigma, double **adv, rb_error *err)
{
    size_t cells = m->T * m->N;
    *sigma = rb_malloc(cells * sizeof **sigma);
    *adv = rb_malloc(cells * sizeof **adv);
    if (!*sigma || !*adv) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    return rb_impact_inputs(m, w, *sigma, *adv, err);
}

/* Offsets in a room: every part starts aligned for any type. */
static size_t room_aligned(size_t n)
{
    size_t a = _Alignof(max_align_t);
    return (n + a - 1) / a * a;
}

/* Where the costs, the column map and the state start in a room for N assets. */
static void room_offsets(size_t N, size_t *at_costs, size_t *at_col, size_t *at_state)
{
    *at_costs = room_aligned(N * sizeof(double));
    *at_col = room_aligned(*at_costs + N * sizeof(rb_asset_costs));
    *at_state = room_aligned(*at_col + N * sizeof(size_t));
}

size_t rb_resolve_room_bytes(size_t N, size_t state)
{
    size_t at_costs, at_col, at_state;
    room_offsets(N, &at_costs, &at_col, &at_state);
    return at_state + state;
}

/* Lays out the targets, costs (zeroed), a targets table's column map and the strategy's
 * state in room, growing it only when this configuration needs more than it holds. */
static rb_status lay_out(rb_resolve_room *room, const rb_strategy_params *sp, size_t N, rb_resolved *r, rb_error *err)
{
    size_t state = r->strategy->state_size ? r->strategy->state_size(sp, N) : 0;
    size_t at_costs, at_col, at_state;
    room_offsets(N, &at_costs, &at_col, &at_state);
    size_t need = at_state + state;
    if (need > room->cap) {
        if (!room->lent) free(room->p); /* nothing in it is kept: no copy */
        room->p = NULL;
        room->cap = 0;
        room->lent = 0;
        if (!(room->p = rb_malloc(need))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        room->cap = need;
    }
    char *p = room->p;
    r->target = (double *)p;
    r->costs = (rb_asset_costs *)(p + at_costs);
    r->table_col = (size_t *)(p + at_col);
    r->strategy_state = state ? p + at_state : NULL;
    memset(r->costs, 0, N * sizeof *r->costs);
    return RB_OK;
}

/* The gas per transaction at each bar: shared, or computed into an array of r's own. */
static rb_status resolve_gas(rb_store *store, const rb_run_spec *spec, const rb_matrix *m,
                             const rb_resolve_inputs *shared, rb_resolved *r, rb_error *err)
{
    size_t T = m->T;
    if (spec->gas_series && shared && shared->gas && shared->gas_series &&
        strcmp(shared->gas_series, spec->gas_series) == 0) {
        r->gas = shared->gas;
        return RB_OK;
    }
    if (!spec->gas_series && shared && shared->gas_flat && shared->gas_value == spec->gas) {
        r->gas = shared->gas_flat;
        return RB_OK;
    }
    double *gas = rb_malloc(T * sizeof *gas);
    if (!gas) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    r->owned[0] = gas;
    r->gas = gas;
    if (spec->gas_series) return rb_resolve_gas_series(store, spec->gas_series, m, gas, err);
    for (size_t t = 0; t < T; t++) gas[t] = spec->gas;
    return RB_OK;
}

rb_status rb_vol_model_sigma(const rb_matrix *m, const rb_strategy_params *sp, double *sigma, rb_error *err)
{
    if (sp->vol_lambda > 0) return rb_vol_ewma(m, sp->vol_lambda, sigma, err);
    double *unused = rb_malloc(m->T * m->N * sizeof *unused);
    rb_status rc = unused ? rb_impact_inputs(m, sp->vol_window, sigma, unused, err)
                          : rb_fail(err, RB_ERR_NOMEM, "out of memory");
    free(unused);
    return rc;
}

void rb_vol_model_text(const rb_strategy_params *sp, char *buf, size_t len)
{
    if (sp->vol_lambda > 0) snprintf(buf, len, "--vol-model ewma:%.17g", sp->vol_lambda);
    else snprintf(buf, len, "--vol-window %d", sp->vol_window);
}

/* The volatility of --vol-model (or --vol-window), for inverse-vol targets and the
 * strategies that read it (RB_NEEDS_VOL); the expanding one for RB_NEEDS_VOL_TO_DATE.
 * Shared, or r's own. */
static rb_status resolve_vol(const rb_run_spec *spec, const rb_matrix *m, const rb_resolve_inputs *shared,
                             rb_resolved *r, rb_error *err)
{
    unsigned needs = r->strategy->needs;
    rb_status rc = RB_OK;
    if (spec->targets == 1 || (needs & RB_NEEDS_VOL)) {
        if (shared && shared->vol && shared->vol_window == spec->sp.vol_window &&
            shared->vol_lambda == spec->sp.vol_lambda) {
            r->vol = shared->vol;
        } else {
            r->owned[3] = rb_malloc(m->T * m->N * sizeof *r->owned[3]);
            rc = r->owned[3] ? rb_vol_model_sigma(m, &spec->sp, r->owned[3], err)
                             : rb_fail(err, RB_ERR_NOMEM, "out of memory");
            r->vol = r->owned[3];
            char model[48];
            rb_vol_model_text(&spec->sp, model, sizeof model);
            if (rc != RB_OK && spec->targets == 1) rb_error_prefix(err, "--targets inverse-vol");
            else if (rc != RB_OK) rb_error_prefix(err, "%s: %s", r->strategy->info.name, model);
        }
    }
    if (rc == RB_OK && (needs & RB_NEEDS_VOL_TO_DATE)) {
        if (shared && shared->vol_to_date) {
            r->vol_to_date = shared->vol_to_date;
        } else {
            if (!(r->owned[4] = rb_malloc(m->T * m->N * sizeof *r->owned[4])))
                return rb_fail(err, RB_ERR_NOMEM, "out of memory");
            rb_vol_to_date(m, r->owned[4]);
            r->vol_to_date = r->owned[4];
        }
    }
    return rc;
}

/* Each asset's costs from the per-asset settings (CASH: none); *impact: some asset has
 * market impact. A setting that names no symbol is one value for every asset: no lookup. */
static void resolve_costs(const rb_run_spec *spec, const rb_matrix *m, int cash_col, rb_asset_costs *costs,
                          int *impact)
{
    for (size_t k = 0; k < RB_COST_SETTINGS; k++) {
        const rb_cost_setting *cs = &rb_cost_settings[k];
        const rb_asset_values *v = (const void *)((const char *)spec + cs->spec_offset);
        for (size_t i = 0; i < m->N; i++)
            if ((int)i != cash_col)
                *(double *)((char *)&costs[i] + cs->offset) = v->n ? rb_asset_value(v, m->symbols[i]) : v->all;
    }
    *impact = 0;
    for (size_t i = 0; i < m->N; i++) *impact |= costs[i].impact_k > 0;
}

/* 1 when every asset's order costs are its rates' and per-order fees' (rb_trade_order_fees):
 * its settings valid and proportional, no depth series in place of its pool's depth and no
 * venues (the CASH column's orders cost nothing). */
static int plain_costs(const rb_asset_costs *costs, size_t N, int cash_col, const double *const *depth,
                       const struct rb_routes *routes)
{
    int plain = !routes;
    for (size_t i = 0; i < N; i++)
        if ((int)i != cash_col)
            plain &= rb_costs_valid(&costs[i]) & rb_costs_proportional(&costs[i]) & !(depth && depth[i]);
    return plain;
}

/* The strategy's state in r's room, set up from spec's parameters, r's targets and volatility. */
static rb_status setup_strategy(const rb_run_spec *spec, const rb_matrix *m, rb_resolved *r, rb_error *err)
{
    rb_strategy_inputs in = {.m = m, .target = r->target, .vol = r->vol, .vol_to_date = r->vol_to_date};
    return r->strategy->setup(&spec->sp, &in, r->strategy_state, err);
}

rb_status rb_resolve(rb_store *store, const rb_run_spec *spec, const rb_matrix *m, unsigned keep,
                     const rb_resolve_inputs *shared, rb_resolve_room *room, rb_resolved *r, rb_sim_config *c,
                     rb_error *err)
{
    memset(r, 0, sizeof *r);
    rb_status rc = rb_resolve_check(spec, &r->strategy, err);
    if (rc == RB_OK) rc = lay_out(room, &spec->sp, m->N, r, err);
    if (rc != RB_OK) return rc;
    size_t N = m->N;
    int cash_col = -1, impact;
    for (size_t i = 0; i < N; i++)
        if (strcmp(m->symbols[i], RB_CASH) == 0) cash_col = (int)i;
    if (spec->target_table) rc = rb_resolve_target_table(spec->target_table, m, r->table_col, r->target, err);
    else memcpy(r->target, spec->weights, N * sizeof *r->target); /* the matrix keeps --assets order */
    resolve_costs(spec, m, cash_col, r->costs, &impact);
    if (rc == RB_OK) rc = resolve_gas(store, spec, m, shared, r, err);
    if (rc == RB_OK) rc = rb_resolve_depth_series(store, spec, m, shared, r, err);
    if (rc == RB_OK && spec->venues) rc = rb_resolve_venues(store, spec, m, shared, r, err);
    if (rc == RB_OK && spec->overlay) rc = rb_resolve_overlay(store, spec, m, cash_col, shared, r, err);
    if (rc == RB_OK) rc = rb_resolve_benchmark(store, spec, m, shared, r, err);
    if (rc == RB_OK && impact) {
        rc = check_volume(m, r->costs, cash_col, err);
        if (rc == RB_OK && shared && shared->sigma && shared->impact_window == spec->impact_window) {
            r->sigma = shared->sigma;
            r->adv = shared->adv;
        } else if (rc == RB_OK) {
            rc = own_inputs(m, spec->impact_window, &r->owned[1], &r->owned[2], err);
            r->sigma = r->owned[1];
            r->adv = r->owned[2];
        }
    }
    if (rc == RB_OK) rc = resolve_vol(spec, m, shared, r, err);
    if (rc == RB_OK) rc = setup_strategy(spec, m, r, err);
    if (rc != RB_OK) return rc;

    *c = (rb_sim_config){
        .target = r->target,
        .capital = spec->capital,
        .exec = spec->exec,
        .min_trade = spec->min_trade,
        .lot_size = spec->lot_size,
        .costs = r->costs,
        .plain_costs = plain_costs(r->costs, N, cash_col, r->depth, r->routes),
        .gas = r->gas,
        .gas_tx = spec->gas_tx,
        .gas_swap = spec->gas_swap,
        .depth = r->depth,
        .routes = r->routes,
        .sigma = r->sigma,
        .adv = r->adv,
        .vol = spec->targets == 1 ? r->vol : NULL, /* dynamic targets only */
        .table = spec->target_table,
        .table_col = spec->target_table ? r->table_col : NULL,
        .cash_col = cash_col,
        .portfolio = {.N = N,
                      .lots = spec->lots,
                      .long_term_days = spec->long_term_days,
                      .wash_sale_days = spec->wash_sale_days,
                      .tax_short = spec->tax_short,
                      .tax_long = spec->tax_long,
                      .keep_trades = (keep & RB_KEEP_TRADES) != 0,
                      .keep_lots = (keep & RB_KEEP_LOTS) != 0},
        .contribution = spec->contribution,
        .contribution_every = spec->contribution_every,
        .flows = spec->flows,
        .strategy = r->strategy,
        .strategy_state = r->strategy_state,
        .rf = spec->rf,
        .overlay = r->overlay,
        .bench = r->bench,
    };
    return RB_OK;
}

int rb_resolve_reuses(const rb_run_spec *spec, const rb_run_spec *like_spec, const rb_resolved *like)
{
    /* everything after the strategy parameters: the given list, the data, costs, tax, flows,
     * strategy name and every pointer (the same memory, unchanged for the run: batch.h) */
    const size_t from = offsetof(rb_run_spec, given);
    _Static_assert(offsetof(rb_run_spec, sp) == 0, "the strategy parameters come first");
    if (memcmp((const char *)spec + from, (const char *)like_spec + from, sizeof *spec - from) != 0) return 0;
    for (size_t k = 0; k < sizeof like->owned / sizeof like->owned[0]; k++)
        if (like->owned[k]) return 0;
    if (like->owned_depth || like->owned_routes || like->owned_overlay || like->owned_bench) return 0;
    /* a volatility read (resolve_vol) is the one of the strategy parameters' model */
    return (!like->vol && !like->vol_to_date) ||
           (spec->sp.vol_window == like_spec->sp.vol_window &&
            memcmp(&spec->sp.vol_lambda, &like_spec->sp.vol_lambda, sizeof spec->sp.vol_lambda) == 0);
}

rb_status rb_resolve_like(const rb_run_spec *spec, const rb_matrix *m, const rb_resolved *like,
                          const rb_sim_config *like_c, rb_resolve_room *room, rb_resolved *r, rb_sim_config *c,
                          rb_error *err)
{
    /* like's strategy and inputs (it owns none: rb_resolve_reuses), and this room's parts */
    *r = *like;
    /* rb_resolve_check's checks that read the strategy parameters, in its order */
    rb_status rc = check_params(spec, r->strategy, err);
    if (rc == RB_OK) rc = rb_spec_check_strategy_symbols(spec, err);
    if (rc == RB_OK) rc = lay_out(room, &spec->sp, m->N, r, err);
    if (rc != RB_OK) return rc;
    const size_t N = m->N;
    memcpy(r->target, like->target, N * sizeof *r->target);
    memcpy(r->costs, like->costs, N * sizeof *r->costs);
    if (spec->target_table) memcpy(r->table_col, like->table_col, N * sizeof *r->table_col);
    rc = setup_strategy(spec, m, r, err);
    if (rc != RB_OK) return rc;
    /* rb_resolve's configuration is the same but for what lies in this room */
    *c = *like_c;
    c->target = r->target;
    c->costs = r->costs;
    c->table_col = spec->target_table ? r->table_col : NULL;
    c->strategy_state = r->strategy_state;
    return RB_OK;
}
