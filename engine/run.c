/* run.c - rb_run: turns a run spec into a replay. It loads the aligned prices, checks the
 * spec against them (symbols, strategy parameters, volume for impact, the gas series),
 * resolves per-asset settings into arrays and runs the reference simulator. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "costs.h"
#include "error.h"
#include "run_result.h"
#include "simulate.h"
#include "spec.h"
#include "store.h"
#include "strategy.h"

void rb_run_result_free(rb_run_result *r)
{
    if (!r) return;
    rb_sim_result_release(&r->sim);
    rb_matrix_free(r->m);
    free(r->target);
    free(r);
}

const rb_metrics *rb_run_metrics(const rb_run_result *r) { return &r->sim.metrics; }

/* Every strategy parameter given must belong to the chosen strategy. */
static rb_status check_params(const rb_run_spec *spec, const rb_strategy *s, rb_error *err)
{
    for (size_t k = 0; k < spec->nparams; k++) {
        size_t j = 0;
        while (j < s->info.nparams && strcmp(s->info.params[j].key, spec->params[k].key) != 0) j++;
        if (j == s->info.nparams)
            return rb_fail(err, RB_ERR_USAGE, "--%s does not apply to strategy '%s' (see 'rebal help strategies')",
                           spec->params[k].key, s->info.name);
    }
    return RB_OK;
}

static rb_status load_matrix(rb_store *store, const rb_run_spec *spec, rb_matrix **m, rb_error *err)
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

/* The gas per transaction at each bar: a stored series' closes, forward-filled onto the
 * run's bar times. The series must have a value at or before the first bar. */
static rb_status load_gas_series(rb_store *store, const char *name, const rb_matrix *m, double *gas, rb_error *err)
{
    int64_t id;
    rb_status rc = rb_store_asset_id(store, name, &id, err);
    if (rc != RB_OK) return rb_error_prefix(err, "--gas-series");
    sqlite3_stmt *st;
    rc = rb_store_prepare(store, "SELECT ts, close FROM bars WHERE asset_id = ?1 AND ts <= ?2 ORDER BY ts", &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, m->time[m->T - 1]);
    size_t t = 0;
    double current = NAN;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        rb_time ts = sqlite3_column_int64(st, 0);
        while (t < m->T && m->time[t] < ts) gas[t++] = current;
        current = sqlite3_column_double(st, 1);
    }
    while (t < m->T) gas[t++] = current;
    if (step != SQLITE_DONE) rc = rb_store_sql_error(store, err, "reading the gas series");
    sqlite3_finalize(st);
    if (rc == RB_OK && isnan(gas[0])) {
        char when[32];
        rc = rb_fail(err, RB_ERR_DATA, "--gas-series: %s has no value on or before the first bar %s", name,
                     rb_time_format(m->time[0], when));
    }
    return rc;
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

typedef struct resolved {
    rb_asset_costs *costs;
    double *gas, *sigma, *adv, *vol;
    void *strategy_state;
} resolved;

static void release(resolved *r, const rb_strategy *s)
{
    free(r->costs);
    free(r->gas);
    free(r->sigma);
    free(r->adv);
    free(r->vol);
    if (s && r->strategy_state) s->free_state(r->strategy_state);
}

static rb_status resolve(rb_store *store, const rb_run_spec *spec, rb_run_result *res, const rb_strategy *s,
                         resolved *r, rb_sim_config *c, rb_error *err)
{
    const rb_matrix *m = res->m;
    size_t N = m->N, T = m->T;
    int cash_col = -1;
    for (size_t i = 0; i < N; i++)
        if (strcmp(m->symbols[i], RB_CASH) == 0) cash_col = (int)i;

    r->costs = calloc(N, sizeof *r->costs);
    r->gas = malloc(T * sizeof *r->gas);
    res->target = malloc(N * sizeof *res->target);
    if (!r->costs || !r->gas || !res->target) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    int impact = 0;
    for (size_t i = 0; i < N; i++) {
        res->target[i] = spec->weights[i]; /* the matrix keeps --assets order */
        if ((int)i == cash_col) continue;
        const char *sym = m->symbols[i];
        r->costs[i] = (rb_asset_costs){
            .fee_bps = rb_asset_value(&spec->fee_bps, sym),
            .fee_min = rb_asset_value(&spec->fee_min, sym),
            .fee_fixed = rb_asset_value(&spec->fee_fixed, sym),
            .slippage_bps = rb_asset_value(&spec->slippage_bps, sym),
            .spread_bps = rb_asset_value(&spec->spread_bps, sym),
            .impact_k = rb_asset_value(&spec->impact, sym),
            .amm_depth = rb_asset_value(&spec->amm_depth, sym),
            .amm_fee_bps = rb_asset_value(&spec->amm_fee_bps, sym),
        };
        impact |= r->costs[i].impact_k > 0;
    }
    rb_status rc = RB_OK;
    if (spec->gas_series) {
        rc = load_gas_series(store, spec->gas_series, m, r->gas, err);
    } else {
        for (size_t t = 0; t < T; t++) r->gas[t] = spec->gas;
    }
    if (rc == RB_OK && impact) {
        rc = check_volume(m, r->costs, cash_col, err);
        if (rc == RB_OK) {
            r->sigma = malloc(T * N * sizeof *r->sigma);
            r->adv = malloc(T * N * sizeof *r->adv);
            if (!r->sigma || !r->adv) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        }
        if (rc == RB_OK) rc = rb_impact_inputs(m, spec->impact_window, r->sigma, r->adv, err);
    }
    if (rc == RB_OK && spec->targets == 1) {
        /* Inverse-vol targets read the rolling volatility; the volume half is unused. */
        double *unused = malloc(T * N * sizeof *unused);
        r->vol = malloc(T * N * sizeof *r->vol);
        if (!unused || !r->vol) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        if (rc == RB_OK) rc = rb_impact_inputs(m, spec->vol_window, r->vol, unused, err);
        free(unused);
        if (rc != RB_OK) rb_error_prefix(err, "--targets inverse-vol");
    }
    if (rc == RB_OK) rc = s->setup(spec, m, res->target, &r->strategy_state, err);
    if (rc != RB_OK) return rc;

    *c = (rb_sim_config){
        .target = res->target,
        .capital = spec->capital,
        .exec = spec->exec,
        .min_trade = spec->min_trade,
        .lot_size = spec->lot_size,
        .costs = r->costs,
        .gas = r->gas,
        .sigma = r->sigma,
        .adv = r->adv,
        .vol = r->vol,
        .cash_col = cash_col,
        .portfolio = {.N = N,
                      .lots = spec->lots,
                      .long_term_days = spec->long_term_days,
                      .wash_sale_days = spec->wash_sale_days,
                      .tax_short = spec->tax_short,
                      .tax_long = spec->tax_long,
                      .keep_trades = (res->keep & RB_KEEP_TRADES) != 0,
                      .keep_lots = (res->keep & RB_KEEP_LOTS) != 0},
        .contribution = spec->contribution,
        .contribution_every = spec->contribution_every,
        .flows = spec->flows,
        .strategy = s,
        .strategy_state = r->strategy_state,
        .rf = spec->rf,
    };
    return RB_OK;
}

rb_status rb_run(rb_store *store, const rb_run_spec *spec, unsigned keep, rb_run_result **out, rb_error *err)
{
    if (spec->nassets == 0) return rb_fail(err, RB_ERR_USAGE, "--assets is required, e.g. --assets SPX=0.6,CASH=0.4");
    const rb_strategy *s = rb_strategy_find(spec->strategy);
    if (!s) return rb_fail(err, RB_ERR_USAGE, "--strategy: unknown strategy '%s'", spec->strategy);
    rb_status rc = check_params(spec, s, err);
    if (rc == RB_OK) rc = rb_spec_check_symbols(spec, err);
    if (rc != RB_OK) return rc;

    rb_run_result *res = calloc(1, sizeof *res);
    if (!res) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    res->keep = keep;
    rc = load_matrix(store, spec, &res->m, err);
    resolved r = {0};
    rb_sim_config c;
    if (rc == RB_OK) rc = resolve(store, spec, res, s, &r, &c, err);
    if (rc == RB_OK) rc = rb_simulate(res->m, &c, &res->sim, err);
    release(&r, s);
    if (rc != RB_OK) {
        rb_run_result_free(res);
        return rc;
    }
    *out = res;
    return RB_OK;
}
