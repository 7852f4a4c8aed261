/* batch.c - the batch simulator (batch.h). Per block of configurations, per bar:
 *   1. configurations with scheduled work (pending order, tax year end, contribution) take
 *      the reference steps (rb_sim_events);
 *   2. every configuration is valued, and its distance from its targets measured, in loops
 *      over the configuration axis (units[asset][config]) that the compiler vectorizes;
 *   3. the strategy's trigger (trigger.h: its own description of when it can act, as
 *      plain data) picks the configurations whose strategy must decide; those call
 *      rb_sim_decide, the reference decision and trade, on weights computed exactly as the
 *      reference computes them (or, for a rule whose every rebalance is full, the kernel
 *      decides itself on the vectorized distances, away from the margin);
 *   4. the metric statistics of every configuration are updated, again vectorized.
 * The approximate weights of step 2 only choose who decides; a margin far above their
 * rounding error keeps every decision identical to the reference's. */
#include "batch.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "costs.h"
#include "error.h"
#include "kernel_clones.h"
#include "metrics.h"
#include "rebalance_lanes.h"
#include "resolve.h"
#include "simulate.h"
#include "trade.h"
#include "trigger.h"

/* The margin of the kernel's band tests: far above the ~1e-16 error of the approximate
 * weights. */
#define MARGIN 1e-9

typedef struct config {
    uint64_t index;
    rb_run_spec spec; /* borrowed from the caller (rb_batch_spec_fn): never released here */
    rb_resolved res;
    rb_sim_config c;
    rb_portfolio port;
    rb_sim_state st;
    double *scratch; /* 6N: current, to, next, w, band_to, rate */
    rb_trigger trig; /* when its strategy can act (EVERY_BAR under dynamic targets) */
    int rule;        /* who decides for it (kernel_rule) */
    double *band_to; /* N: the weights a band-triggered rebalance trades to */
    int ready;       /* resolved and initialized */
    size_t end_T;    /* a depleted run: its bars (up to the depletion), else 0 */
    rb_metric_sums ended; /* and its metric sums, taken on that bar */
} config;

/* Who decides for a configuration: the kernel itself, when its trigger is full (every
 * rebalance a full one: see trigger.h) and its accounting is the simple one
 * (rb_rebalance_proportional: closing prices, proportional costs, no lots, static targets);
 * its rule code is then its trigger's kind, and the kernel takes decide()'s decisions on
 * the vectorized distances whenever they are farther than MARGIN from a band, leaving them
 * to decide() on exact weights otherwise. Any other configuration: ASK_DECIDE, decide() on
 * the bars its trigger admits. */
#define ASK_DECIDE (-1)

/* Inputs shared by every configuration of a run and computed once per dataset: the rolling
 * stdev and volume of each window some configuration asks for (impact, inverse-vol
 * targets), and the flat gas array of each constant --gas. Entries are added under a lock
 * and never change afterwards, so simulation threads read them freely. */
typedef struct cached {
    int kind;     /* 0: rolling inputs of `window`; 1: flat gas of `value` */
    int window;
    double value;
    double *a, *b; /* sigma and adv, or the gas array */
    struct cached *next;
} cached;

typedef struct block {
    size_t cap, n, N, T;
    config *cfg;
    /* structure of arrays: [asset * cap + j] or [j] */
    double *u, *tg, *e;
    double *cash, *total, *inv, *dsum, *ex, *tband, *flow, *mix;
    unsigned char *touched;
    /* 64-bit like the doubles beside them, so the loops over configurations vectorize */
    int64_t *cand;     /* 1: near or past a band */
    int64_t *act;      /* action code of this bar */
    uint64_t *cmask;   /* calendar flags (enum rb_bar_flag) that are this rule's dates */
    int64_t *cbars;    /* or: every cbars bars */
    int64_t *rule;     /* a trigger kind the kernel decides, or ASK_DECIDE, per configuration */
    size_t *list;      /* indices of the configurations that act this bar */
    /* this bar's kernel-decided rebalances, traded together in lanes */
    rb_lanes lanes;
    size_t *queued;        /* their configurations */
    const double **queued_to; /* and the weights each trades to */
    int same_targets;  /* every configuration has the same policy targets */
    int any_flows;     /* some configuration has contributions */
    /* metric statistics */
    double *prev, *inv_prev, *index, *peak, *maxdd;
    double *mean_r, *m2_r, *mean_e, *m2_e; /* sums of r, r^2, e, e^2 (names kept from their use) */
    double *down2, *sum_v, *sum_drift;
    rb_time *peak_time, *dd_peak, *dd_trough;
} block;

typedef struct job {
    rb_store *store;
    const rb_matrix *m;
    const uint64_t *indices;
    size_t n;
    rb_batch_spec_fn spec_fn;
    rb_batch_result_fn result_fn;
    void *ctx;
    const rb_batch_options *opt;
    size_t block_size;
    /* the first error wins; the others stop at their next block */
    volatile int failed;
    rb_error err;
    uint64_t completed;
    /* the bonus depends only on the targets: computed once per distinct target vector */
    double *bonus_target;
    double bonus;
    int has_bonus;
    cached *inputs; /* the run-wide input cache */
    char next_open_note[sizeof ((rb_metrics *)0)->exec_note]; /* the exec note of next-open runs */
} job;

/* ---------------------------------------------------------------- block memory */

static void block_free(block *b)
{
    double **d[] = {&b->u,     &b->tg,   &b->e,     &b->cash,   &b->total,  &b->inv,  &b->dsum,   &b->ex,
                    &b->tband, &b->flow, &b->mix,   &b->prev,   &b->inv_prev, &b->index,  &b->peak, &b->maxdd,  &b->mean_r,
                    &b->m2_r,  &b->mean_e, &b->m2_e, &b->down2, &b->sum_v,  &b->sum_drift};
    for (size_t k = 0; k < sizeof d / sizeof d[0]; k++) free(*d[k]);
    free(b->cand);
    free(b->touched);
    free(b->act);
    free(b->cmask);
    free(b->cbars);
    free(b->rule);
    free(b->list);
    rb_lanes_release(&b->lanes);
    free(b->queued);
    free(b->queued_to);
    free(b->peak_time);
    free(b->dd_peak);
    free(b->dd_trough);
    free(b->cfg);
    memset(b, 0, sizeof *b);
}

static int block_alloc(block *b, size_t cap, size_t N, size_t T)
{
    memset(b, 0, sizeof *b);
    b->cap = cap;
    b->N = N;
    b->T = T;
    double **per_asset[] = {&b->u, &b->tg, &b->e};
    for (size_t k = 0; k < 3; k++)
        if (!(*per_asset[k] = malloc(cap * N * sizeof(double)))) return 0;
    double **per_cfg[] = {&b->cash,  &b->total, &b->inv,    &b->dsum, &b->ex,     &b->tband, &b->flow,
                          &b->mix,   &b->prev,  &b->inv_prev, &b->index,  &b->peak, &b->maxdd,  &b->mean_r, &b->m2_r,
                          &b->mean_e, &b->m2_e, &b->down2, &b->sum_v, &b->sum_drift};
    for (size_t k = 0; k < sizeof per_cfg / sizeof per_cfg[0]; k++)
        if (!(*per_cfg[k] = malloc(cap * sizeof(double)))) return 0;
    b->cand = malloc(cap * sizeof *b->cand);
    b->touched = malloc(cap);
    b->act = malloc(cap * sizeof *b->act);
    b->cmask = malloc(cap * sizeof *b->cmask);
    b->cbars = malloc(cap * sizeof *b->cbars);
    b->rule = malloc(cap * sizeof *b->rule);
    b->list = malloc(cap * sizeof *b->list);
    b->queued = malloc(cap * sizeof *b->queued);
    b->queued_to = malloc(cap * sizeof *b->queued_to);
    if (rb_lanes_init(&b->lanes, N, cap, NULL) != RB_OK) return 0;
    b->peak_time = malloc(cap * sizeof(rb_time));
    b->dd_peak = malloc(cap * sizeof(rb_time));
    b->dd_trough = malloc(cap * sizeof(rb_time));
    b->cfg = calloc(cap, sizeof *b->cfg);
    return b->cand && b->touched && b->act && b->cmask && b->cbars && b->rule && b->list && b->queued &&
           b->queued_to && b->peak_time && b->dd_peak && b->dd_trough && b->cfg;
}

static void config_release(config *c)
{
    if (c->ready) rb_portfolio_release(&c->port);
    rb_resolved_release(&c->res);
    free(c->scratch);
    memset(c, 0, sizeof *c);
}

/* ---------------------------------------------------------------- setup */

/* The cache entry for (kind, window, value), computed on first use. */
static rb_status cache_get(job *jb, int kind, int window, double value, const cached **out, rb_error *err)
{
    rb_status rc = RB_OK;
    const cached *found = NULL;
#pragma omp critical(rb_batch_inputs)
    {
        for (cached *e = jb->inputs; e && !found; e = e->next)
            if (e->kind == kind && (kind ? e->value == value : e->window == window)) found = e;
        if (!found) {
            const rb_matrix *m = jb->m;
            size_t cells = m->T * m->N;
            cached *e = calloc(1, sizeof *e);
            if (e) {
                e->kind = kind;
                e->window = window;
                e->value = value;
                e->a = malloc((kind ? m->T : cells) * sizeof *e->a);
                e->b = kind ? NULL : malloc(cells * sizeof *e->b);
            }
            if (!e || !e->a || (!kind && !e->b)) {
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
            } else if (kind) {
                for (size_t t = 0; t < m->T; t++) e->a[t] = value;
            } else {
                rc = rb_impact_inputs(m, window, e->a, e->b, err);
            }
            if (rc == RB_OK) {
                e->next = jb->inputs;
                jb->inputs = e;
                found = e;
            } else if (e) {
                free(e->a), free(e->b), free(e);
            }
        }
    }
    if (rc == RB_OK) *out = found;
    return rc;
}

static void cache_free(cached *e)
{
    while (e) {
        cached *next = e->next;
        free(e->a), free(e->b), free(e);
        e = next;
    }
}

/* The shared inputs one configuration needs, from the run-wide cache. */
static rb_status shared_inputs_for(job *jb, const rb_run_spec *spec, rb_resolve_inputs *in, rb_error *err)
{
    memset(in, 0, sizeof *in);
    const cached *e;
    rb_status rc = RB_OK;
    if (spec->impact.all > 0 || spec->impact.n > 0) {
        rc = cache_get(jb, 0, spec->impact_window, 0, &e, err);
        if (rc == RB_OK) *in = (rb_resolve_inputs){.impact_window = spec->impact_window, .sigma = e->a, .adv = e->b};
    }
    if (rc == RB_OK && spec->targets == 1) {
        rc = cache_get(jb, 0, spec->sp.vol_window, 0, &e, err);
        if (rc == RB_OK) {
            in->vol_window = spec->sp.vol_window;
            in->vol = e->a;
        }
    }
    if (rc == RB_OK && !spec->gas_series) {
        rc = cache_get(jb, 1, 0, spec->gas, &e, err);
        if (rc == RB_OK) {
            in->gas_value = spec->gas;
            in->gas_flat = e->a;
        }
    }
    return rc;
}

static void band_thresholds(block *b, size_t j, const config *c)
{
    size_t N = b->N, cap = b->cap;
    const rb_trigger *tr = &c->trig;
    int use = tr->band_abs != NULL; /* gated hybrids too: the kernel checks their bands on dates */
    for (size_t i = 0; i < N; i++) {
        double e = INFINITY;
        if (use) {
            double t = c->st.current[i], rel = tr->band_rel[i] * t;
            e = tr->band_abs[i];
            if (t > 0 && rel < e) e = rel;
        }
        b->e[i * cap + j] = e;
    }
    b->tband[j] = use ? 2 * tr->band_total : INFINITY; /* compared with sum |w - t| */
}

/* The configuration's rule code (ASK_DECIDE above). */
static int kernel_rule(const rb_matrix *m, config *c)
{
    rb_trade_env env = rb_sim_env(m, &c->c, 0, m->close, 0);
    if (c->c.exec != RB_EXEC_CLOSE || c->c.vol || c->spec.gas_series || c->spec.gas != 0 ||
        !rb_rebalance_proportional_applies(&c->port, &env) || !c->trig.full)
        return ASK_DECIDE;
    switch (c->trig.kind) {
    case RB_TRIGGER_NEVER:
    case RB_TRIGGER_DATES:
    case RB_TRIGGER_BANDS:
    case RB_TRIGGER_DATES_AND_BANDS:
    case RB_TRIGGER_DATES_OR_BANDS: break;
    default: return ASK_DECIDE;
    }
    /* What decide() trades to when the bands trigger: the targets, scaled to sum to 1. */
    if (c->trig.band_abs) rb_full_weights(m->N, c->st.current, c->band_to);
    return (int)c->trig.kind;
}

static rb_status setup_config(job *jb, block *b, size_t j, uint64_t index, rb_error *err)
{
    const rb_matrix *m = jb->m;
    size_t N = m->N;
    config *c = &b->cfg[j];
    c->index = index;
    rb_status rc = jb->spec_fn(jb->ctx, index, &c->spec, err);
    rb_resolve_inputs shared;
    if (rc == RB_OK) rc = shared_inputs_for(jb, &c->spec, &shared, err);
    if (rc == RB_OK) {
        if (c->spec.gas_series) {
            /* The price store is one SQLite connection: one reader at a time. */
#pragma omp critical(rb_batch_store)
            rc = rb_resolve(jb->store, &c->spec, m, 0, &shared, &c->res, &c->c, err);
        } else {
            rc = rb_resolve(NULL, &c->spec, m, 0, &shared, &c->res, &c->c, err);
        }
    }
    if (rc == RB_OK && !(c->scratch = malloc(6 * N * sizeof *c->scratch)))
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (rc == RB_OK) rc = rb_portfolio_init(&c->port, &c->c.portfolio, err);
    if (rc != RB_OK) return rc;
    c->ready = 1;
    c->st = (rb_sim_state){.port = &c->port,
                           .current = c->scratch,
                           .to = c->scratch + N,
                           .next = c->scratch + 2 * N,
                           .w = c->scratch + 3 * N};
    /* Dynamic targets move the bands every bar: no trigger, decide() every bar. */
    c->trig = (rb_trigger){.kind = RB_TRIGGER_EVERY_BAR};
    if (!c->c.vol && c->res.strategy->trigger) c->res.strategy->trigger(c->res.strategy_state, &c->trig);
    c->band_to = c->scratch + 4 * N;
    for (size_t i = 0; i < N; i++) c->scratch[5 * N + i] = rb_cost_rate(&c->c.costs[i]);
    memcpy(c->st.current, c->c.target, N * sizeof *c->st.current);
    c->rule = kernel_rule(m, c);
    return RB_OK;
}

/* ---------------------------------------------------------------- SoA <-> portfolio */

static void gather(block *b, size_t j)
{
    config *c = &b->cfg[j];
    for (size_t i = 0; i < b->N; i++) c->port.units[i] = b->u[i * b->cap + j];
    c->port.cash = b->cash[j];
}

static void scatter(block *b, size_t j)
{
    config *c = &b->cfg[j];
    for (size_t i = 0; i < b->N; i++) {
        b->u[i * b->cap + j] = c->port.units[i];
        b->tg[i * b->cap + j] = c->st.current[i];
    }
    b->cash[j] = c->port.cash;
}

/* Value (exactly as the reference computes it: cash + sum units * close in asset order)
 * and drift of configuration j from its columns. */
static void exact_state(block *b, size_t j, const double *close)
{
    size_t cap = b->cap;
    double v = b->cash[j], d = 0;
    for (size_t i = 0; i < b->N; i++) v = rb_value_add(v, b->u[i * cap + j], close[i]);
    /* The drift feeds only avg_drift (a mean of many bars): one reciprocal is enough. */
    double inv = 1 / v;
    for (size_t i = 0; i < b->N; i++)
        d += fabs((v > 0 ? b->u[i * cap + j] * close[i] * inv : 0) - b->tg[i * cap + j]);
    b->total[j] = v;
    b->dsum[j] = d;
    b->inv[j] = inv;
}

/* A rebalance decided by the kernel (kernel_rule) whose closed form does not apply this time
 * (its lane fell back): the reference's general path. rb_portfolio_rebalance tries the
 * closed form first, as the reference does, and takes the general path when it fails. */
static rb_status general_trade(block *b, size_t j, const rb_matrix *m, size_t t, const double *to, rb_error *err)
{
    config *c = &b->cfg[j];
    rb_trade_env env = rb_sim_env(m, &c->c, t, m->close + t * m->N, t);
    env.rate = c->scratch + 5 * m->N; /* costs are proportional here (kernel_rule) */
    int traded = 0;
    gather(b, j);
    rb_status rc = rb_portfolio_rebalance(&c->port, &env, to, RB_TRADE_REBALANCE, &traded, err);
    if (rc != RB_OK) return rc;
    scatter(b, j);
    if (traded) {
        c->st.last_rebalance = t;
        b->touched[j] = 1;
    }
    return RB_OK;
}

/* The rebalances queued this bar, traded together by rb_lanes_rebalance (the arithmetic of
 * rb_rebalance_proportional, lane by lane), then their tax lots by rb_lanes_lots; a lane
 * whose closed form does not apply takes general_trade. *bad gets the configuration of an
 * error. */
static rb_status lane_trades(block *b, size_t nq, const rb_matrix *m, size_t t, size_t *bad, rb_error *err)
{
    rb_lanes *l = &b->lanes;
    const size_t N = b->N, cap = b->cap;
    for (size_t q = 0; q < nq; q++) {
        size_t j = b->queued[q];
        const config *c = &b->cfg[j];
        const double *to = b->queued_to[q], *rate = c->scratch + 5 * N;
        for (size_t i = 0; i < N; i++) {
            l->units[i * cap + q] = b->u[i * cap + j];
            l->to[i * cap + q] = to[i];
            l->rate[i * cap + q] = rate[i];
            rb_rates rates = rb_cost_rates(&c->c.costs[i]);
            for (size_t r = 0; r < RB_COST_RATES; r++) l->bps[r][i * cap + q] = rates.bps[r];
        }
        l->cash[q] = b->cash[j];
        l->cash_col[q] = c->c.cash_col;
        l->fees[q] = c->port.fees;
        l->slippage[q] = c->port.slippage;
        l->gas[q] = c->port.gas;
        l->traded_value[q] = c->port.traded_value;
        l->rebalances[q] = c->port.rebalances;
    }
    rb_lanes_rebalance(l, nq, m->close + t * N, 1);
    for (size_t q = 0; q < nq; q++) {
        size_t j = b->queued[q];
        config *c = &b->cfg[j];
        if (l->fallback[q]) {
            rb_status rc = general_trade(b, j, m, t, b->queued_to[q], err);
            if (rc != RB_OK) {
                *bad = j;
                return rc;
            }
            continue;
        }
        for (size_t i = 0; i < N; i++) b->u[i * cap + j] = l->units[i * cap + q];
        b->cash[j] = l->cash[q];
        c->port.fees = l->fees[q];
        c->port.slippage = l->slippage[q];
        c->port.gas = l->gas[q];
        c->port.traded_value = l->traded_value[q];
        c->port.rebalances = l->rebalances[q];
        rb_status rc = rb_lanes_lots(l, q, c->port.lots, &c->port.year_realized, m->time[t], err);
        if (rc != RB_OK) {
            *bad = j;
            return rc;
        }
        if (l->traded[q]) {
            c->st.last_rebalance = t;
            b->touched[j] = 1;
        }
    }
    return RB_OK;
}

/* Sample standard deviation from the sum and the sum of squares of n values. */
static double sample_sd(double sum, double sum2, size_t n)
{
    if (n < 2) return NAN;
    double var = (sum2 - sum * sum / (double)n) / (double)(n - 1);
    return sqrt(var > 0 ? var : 0);
}

/* The metric sums of configuration j over its first T bars (the statistics as they stand
 * after bar T - 1). A depleted run's last bar has no drift. */
static rb_metric_sums sums_of(const block *b, size_t j, size_t T, int depleted)
{
    size_t n = T - 1;
    return (rb_metric_sums){
        .final_value = b->prev[j],
        .index = b->index[j],
        .mean_r = b->mean_r[j] / (double)n,
        .sd_r = sample_sd(b->mean_r[j], b->m2_r[j], n),
        .sd_e = sample_sd(b->mean_e[j], b->m2_e[j], n),
        .mean_down2 = b->down2[j] / (double)n,
        .mean_value = b->sum_v[j] / (double)T,
        .mean_drift = b->sum_drift[j] / (double)(depleted ? T - 1 : T),
        .max_dd = b->maxdd[j],
        .dd_peak = b->dd_peak[j],
        .dd_trough = b->dd_trough[j],
    };
}

/* ---------------------------------------------------------------- the bar loop */

/* 1 when bar t is one of the trigger's dates. The vectorized pass below tests the same as
 * one AND of the bar's flags with cmask (or, with cbars, sends the configuration here). */
static int is_date(const rb_trigger *tr, const rb_matrix *m, size_t t)
{
    return tr->every_bars > 0 ? t % (size_t)tr->every_bars == 0 : (m->flags[t] & tr->date_flags) != 0;
}


RB_KERNEL_CLONES
static rb_status run_block(job *jb, block *b, size_t *bad, rb_error *err)
{
    const rb_matrix *m = jb->m;
    const size_t N = b->N, T = m->T, n = b->n, cap = b->cap;
    rb_status rc = RB_OK;

    /* Bar 0: the first allocation, by the reference step. */
    for (size_t j = 0; j < n && rc == RB_OK; j++) {
        config *c = &b->cfg[j];
        rc = rb_sim_start(m, &c->c, &c->st, err);
        if (rc != RB_OK) {
            *bad = j;
            break;
        }
        scatter(b, j);
        band_thresholds(b, j, c);
        exact_state(b, j, m->close);
        b->prev[j] = b->total[j];
        b->inv_prev[j] = b->inv[j];
        b->rule[j] = c->rule;
        b->cmask[j] = c->trig.date_flags;
        b->cbars[j] = c->trig.every_bars;
        b->index[j] = 1;
        b->peak[j] = 1;
        b->maxdd[j] = 0;
        b->peak_time[j] = b->dd_peak[j] = b->dd_trough[j] = m->time[0];
        b->mean_r[j] = b->m2_r[j] = b->mean_e[j] = b->m2_e[j] = b->down2[j] = 0;
        b->sum_v[j] = b->total[j];
        b->sum_drift[j] = (b->dsum[j] + b->cash[j] * b->inv[j]) / 2;
    }

    b->same_targets = 1;
    b->any_flows = 0;
    for (size_t j = 0; j < n; j++) {
        if (memcmp(b->cfg[j].res.target, b->cfg[0].res.target, N * sizeof(double)) != 0) b->same_targets = 0;
        if (b->cfg[j].c.contribution != 0) b->any_flows = 1;
    }
    size_t pending = 0;  /* configurations with a next-open order waiting */
    size_t depleted = 0; /* configurations whose run ends on this bar */

    for (size_t t = 1; t < T && rc == RB_OK; t++) {
        const double *close = m->close + t * N, *growth = m->growth + t * N;
        const rb_time now = m->time[t];

        /* 1. Scheduled work, by the reference steps (only on bars that can have any). */
        memset(b->touched, 0, n);
        memset(b->flow, 0, n * sizeof *b->flow);
        int events = pending || b->any_flows || (m->flags[t] & RB_NEW_YEAR);
        for (size_t j = 0; events && j < n; j++) {
            config *c = &b->cfg[j];
            if (!rb_sim_has_events(m, &c->c, &c->st, t)) continue;
            gather(b, j);
            rc = rb_sim_events(m, &c->c, &c->st, t, err);
            if (rc != RB_OK) {
                *bad = j;
                break;
            }
            scatter(b, j);
            b->flow[j] = c->st.flow;
            b->touched[j] = 1;
            if (c->st.depleted) { /* the money ran out: the run ends on this bar, nothing acts */
                b->rule[j] = RB_TRIGGER_NEVER;
                b->cbars[j] = 0;
                depleted++;
            }
        }
        if (rc != RB_OK) break;
        pending = 0;

        /* 2. Value and distance from the targets, over the configuration axis. */
        {
            /* value = cash + sum units * close, in asset order (as rb_portfolio_value) */
            double *total = b->total;
            const double *cash = b->cash, *u0 = b->u;
            const double p0 = close[0];
#pragma omp simd
            for (size_t j = 0; j < n; j++) total[j] = rb_value_add(cash[j], u0[j], p0);
            /* Two assets per pass (added in order, so the value is the same to the bit):
             * half the loads and stores of the running sums. */
            size_t i = 1;
            for (; i + 1 < N; i += 2) {
                const double p = close[i], q = close[i + 1], *u = b->u + i * cap, *w = u + cap;
#pragma omp simd
                for (size_t j = 0; j < n; j++) total[j] = rb_value_add(rb_value_add(total[j], u[j], p), w[j], q);
            }
            for (; i < N; i++) {
                const double p = close[i], *u = b->u + i * cap;
#pragma omp simd
                for (size_t j = 0; j < n; j++) total[j] = rb_value_add(total[j], u[j], p);
            }
        }
        {
            double *inv = b->inv, *dsum = b->dsum, *ex = b->ex;
            const double *total = b->total;
            {
                const double p = close[0], *u = b->u, *tg = b->tg, *e = b->e;
#pragma omp simd
                for (size_t j = 0; j < n; j++) {
                    inv[j] = 1 / total[j];
                    double d = fabs(u[j] * p * inv[j] - tg[j]);
                    dsum[j] = d;
                    ex[j] = d - e[j];
                }
            }
            size_t i = 1;
            for (; i + 1 < N; i += 2) {
                const double p = close[i], q = close[i + 1], *u = b->u + i * cap, *tg = b->tg + i * cap,
                             *e = b->e + i * cap, *u2 = u + cap, *tg2 = tg + cap, *e2 = e + cap;
#pragma omp simd
                for (size_t j = 0; j < n; j++) {
                    double d = fabs(u[j] * p * inv[j] - tg[j]), d2 = fabs(u2[j] * q * inv[j] - tg2[j]);
                    dsum[j] = (dsum[j] + d) + d2;
                    double x = d - e[j], x2 = d2 - e2[j], m = x > x2 ? x : x2;
                    ex[j] = m > ex[j] ? m : ex[j];
                }
            }
            for (; i < N; i++) {
                const double p = close[i], *u = b->u + i * cap, *tg = b->tg + i * cap, *e = b->e + i * cap;
#pragma omp simd
                for (size_t j = 0; j < n; j++) {
                    double d = fabs(u[j] * p * inv[j] - tg[j]);
                    dsum[j] += d;
                    double x = d - e[j];
                    ex[j] = x > ex[j] ? x : ex[j];
                }
            }
        }

        /* 3. Who acts. An action code per configuration, computed over the configuration
         * axis: 0 nothing, 1 a full rebalance to the targets, 2 a rebalance to band_to,
         * 3 decide() on exact weights. Then only the acting configurations are visited. */
        const uint64_t flags = m->flags[t];
        int64_t acting = 0; /* how many act: on most bars of most blocks none, and the list is skipped */
        {
            /* Local pointers: the compiler cannot prove stores through b's arrays leave
             * b's own fields alone, and would reload them every iteration. */
            const double *ex = b->ex, *dsum = b->dsum, *tband = b->tband;
            const uint64_t *cmask = b->cmask;
            const int64_t *rules = b->rule, *cbars = b->cbars;
            int64_t *act = b->act, *cand = b->cand;
#pragma omp simd reduction(+ : acting)
            for (size_t j = 0; j < n; j++) {
                int64_t near = (ex[j] > -MARGIN) | (dsum[j] > tband[j] - MARGIN);
                int64_t sure = (ex[j] > MARGIN) | (dsum[j] > tband[j] + MARGIN);
                int64_t date = (flags & cmask[j]) != 0;
                int64_t rule = rules[j];
                int64_t band = sure ? 2 : near ? 3 : 0;
                int64_t a = rule == RB_TRIGGER_DATES ? date : 0;
                a = rule == RB_TRIGGER_BANDS ? band : a;
                a = rule == RB_TRIGGER_DATES_AND_BANDS ? (date ? band : 0) : a;
                a = rule == RB_TRIGGER_DATES_OR_BANDS ? (date ? 1 : band) : a;
                a = rule == ASK_DECIDE ? 4 : a; /* the trigger decides below */
                a = cbars[j] != 0 ? 5 : a;       /* every N bars: the rare path checks the date */
                act[j] = a;
                cand[j] = near;
                acting += a != 0;
            }
        }
        size_t nact = 0, nq = 0;
        for (size_t j = 0; acting && j < n; j++) {
            b->list[nact] = j;
            nact += b->act[j] != 0;
        }
        for (size_t k = 0; k < nact && rc == RB_OK; k++) {
            size_t j = b->list[k];
            config *c = &b->cfg[j];
            const rb_trigger *tr = &c->trig;
            int a = (int)b->act[j], decide = 0;
            if (a == 5) { /* every N bars: its dates are not flags */
                int date = is_date(tr, m, t), sure = (b->ex[j] > MARGIN) | (b->dsum[j] > b->tband[j] + MARGIN);
                int band = sure ? 2 : b->cand[j] ? 3 : 0;
                switch (c->rule) {
                case RB_TRIGGER_DATES: a = date; break;
                case RB_TRIGGER_BANDS: a = band; break;
                case RB_TRIGGER_DATES_AND_BANDS: a = date ? band : 0; break;
                case RB_TRIGGER_DATES_OR_BANDS: a = date ? 1 : band; break;
                case ASK_DECIDE: a = 4; break;
                default: a = 0; break;
                }
            }
            if (a == 1 || a == 2) { /* traded below, with the others */
                b->queued[nq] = j;
                b->queued_to[nq++] = a == 1 ? c->st.current : c->band_to;
                continue;
            }
            switch (a) {
            case 3: decide = 1; break;
            case 4:
                switch (tr->kind) {
                case RB_TRIGGER_NEVER: break;
                /* gated: decide() looks at the bands on every date */
                case RB_TRIGGER_DATES:
                case RB_TRIGGER_DATES_AND_BANDS: decide = is_date(tr, m, t); break;
                case RB_TRIGGER_BANDS: decide = b->cand[j]; break;
                case RB_TRIGGER_DATES_OR_BANDS: decide = b->cand[j] || is_date(tr, m, t); break;
                default: decide = 1; break;
                }
                break;
            default: break;
            }
            if (rc != RB_OK) {
                *bad = j;
                break;
            }
            if (!decide) continue;
            /* decide() on exact weights: the reference's step. */
            gather(b, j);
            int acted;
            rc = rb_sim_decide(m, &c->c, &c->st, t, &acted, err);
            if (rc != RB_OK) {
                *bad = j;
                break;
            }
            scatter(b, j);
            /* The targets in force may have changed even without a trade (a next-open
             * decision adopts them now): value and drift are taken afresh. */
            b->touched[j] = 1;
            if (acted || c->c.vol) band_thresholds(b, j, c);
            pending += (size_t)c->st.pending;
        }
        if (rc == RB_OK && nq) rc = lane_trades(b, nq, m, t, bad, err);
        if (rc != RB_OK) break;
        for (size_t k = 0; k < nact; k++)
            if (b->touched[b->list[k]]) exact_state(b, b->list[k], close);
        if (events)
            for (size_t j = 0; j < n; j++)
                if (b->touched[j]) exact_state(b, j, close);
        /* An emptied portfolio has no weights: its last bar adds no drift (nor 0 / 0). */
        for (size_t j = 0; depleted && j < n; j++)
            if (b->cfg[j].st.depleted && !b->cfg[j].end_T) b->dsum[j] = b->inv[j] = 0;

        /* 4. Metric statistics, over the configuration axis. The constant mix's return
         * depends on the policy targets: once per bar when the block shares them. */
        if (!b->same_targets) {
            for (size_t j = 0; j < n; j++) {
                const double *target = b->cfg[j].res.target;
                double mix = 0;
                for (size_t i = 0; i < N; i++) mix += target[i] * growth[i];
                b->mix[j] = mix - 1.0;
            }
        }
        double mix_all = 0; /* the shared constant mix's return, when the block shares targets */
        if (b->same_targets) {
            const double *target = b->cfg[0].res.target;
            for (size_t i = 0; i < N; i++) mix_all += target[i] * growth[i];
            mix_all -= 1.0;
        }
        /* One pass: the return statistics, then a new high or possibly a deeper fall
         * (checked exactly below, on the bars where some configuration may have one). */
        int64_t deeper = 0;
        {
            const double *total = b->total, *flow = b->flow, *mixr = b->mix, *dsum = b->dsum, *cash = b->cash,
                         *inv = b->inv, *maxdd = b->maxdd;
            double *inv_prev = b->inv_prev, *mean_r = b->mean_r, *m2_r = b->m2_r, *mean_e = b->mean_e,
                   *m2_e = b->m2_e, *down2 = b->down2, *index = b->index, *sum_v = b->sum_v,
                   *sum_drift = b->sum_drift, *prev = b->prev, *peak = b->peak;
            rb_time *peak_time = b->peak_time;
            int64_t *act = b->act;
            const int same = b->same_targets;
#pragma omp simd reduction(+ : deeper)
            for (size_t j = 0; j < n; j++) {
                /* The reciprocal of last bar's value: no division per configuration here. */
                double g = (total[j] - flow[j]) * inv_prev[j], r = g - 1.0;
                double e = r - (same ? mix_all : mixr[j]);
                /* Sums of r, r^2, e, e^2: independent updates (no chain through a running
                 * mean); for returns this small the variance keeps ~13 significant digits. */
                mean_r[j] += r;
                m2_r[j] += r * r;
                mean_e[j] += e;
                m2_e[j] += e * e;
                down2[j] += r < 0 ? r * r : 0;
                double x = index[j] * g;
                index[j] = x;
                sum_v[j] += total[j];
                sum_drift[j] += (dsum[j] + cash[j] * inv[j]) / 2;
                prev[j] = total[j];
                inv_prev[j] = inv[j];
                int64_t high = x >= peak[j];
                peak_time[j] = high ? now : peak_time[j];
                double pk = high ? x : peak[j];
                peak[j] = pk;
                act[j] = !high & (x < pk * (1.0 - maxdd[j]) * (1.0 + 1e-12));
                deeper += act[j];
            }
        }
        for (size_t j = 0; deeper && j < n; j++) {
            if (!b->act[j]) continue;
            double dd = 1.0 - b->index[j] / b->peak[j];
            if (dd > b->maxdd[j] && dd > RB_METRIC_NOISE) {
                b->maxdd[j] = dd;
                b->dd_peak[j] = b->peak_time[j];
                b->dd_trough[j] = now;
            }
        }
        /* A run depleted on this bar ends here: its sums are kept as they are now (the
         * columns go on with an empty portfolio, unread). */
        for (size_t j = 0; depleted && j < n; j++) {
            config *c = &b->cfg[j];
            if (!c->st.depleted || c->end_T) continue;
            c->end_T = t + 1;
            c->ended = sums_of(b, j, t + 1, 1);
            depleted--;
        }
    }
    return rc;
}

/* The metrics of configuration j once the bars are done. */
static void finish(job *jb, block *b, size_t j, rb_metrics *out)
{
    const rb_matrix *m = jb->m;
    config *c = &b->cfg[j];
    size_t T = c->end_T ? c->end_T : m->T; /* a depleted run ends on its depletion bar */
    rb_metric_sums s = c->end_T ? c->ended : sums_of(b, j, T, 0);
    gather(b, j);
    const double *last = m->close + (T - 1) * m->N;
    double pending = rb_portfolio_pending_tax(&c->port, last, m->time[T - 1]);
    rb_metric_input in = {
        .T = T,
        .time = m->time,
        .close = m->close,
        .N = m->N,
        .target = c->res.target,
        .periods_per_year = m->periods_per_year,
        .periods_source = m->periods_source,
        .periods_inferred = m->periods_inferred,
        .exec_note = c->c.exec == RB_EXEC_NEXT_OPEN ? jb->next_open_note : NULL,
        .rf = c->c.rf,
        .rebalances = c->port.rebalances,
        .traded_value = c->port.traded_value,
        .fees = c->port.fees,
        .slippage = c->port.slippage,
        .gas = c->port.gas,
        .taxes = c->port.taxes,
        .after_tax_value = s.final_value - pending,
        .depleted = c->end_T != 0,
    };
    /* The bonus depends on the targets (and the bars) only; most sweeps share one target
     * vector and run over every bar. */
    double bonus = c->end_T ? rb_metrics_bonus(&in) : NAN;
#pragma omp critical(rb_batch_bonus)
    if (!c->end_T) {
        if (!jb->has_bonus || memcmp(jb->bonus_target, c->res.target, m->N * sizeof(double)) != 0) {
            bonus = rb_metrics_bonus(&in);
            if (!jb->has_bonus && jb->bonus_target) {
                memcpy(jb->bonus_target, c->res.target, m->N * sizeof(double));
                jb->bonus = bonus;
                jb->has_bonus = 1;
            }
        } else {
            bonus = jb->bonus;
        }
    }
    rb_metrics_finish(&s, &in, bonus, out);
}

static void record_error(job *jb, const rb_error *err, uint64_t index)
{
#pragma omp critical(rb_batch_error)
    {
        if (!jb->failed) {
            jb->err = *err;
            if (index != UINT64_MAX) rb_error_prefix(&jb->err, "configuration %llu", (unsigned long long)index);
            jb->failed = 1;
        }
    }
}

static void count_done(job *jb, size_t n)
{
#pragma omp atomic
    jb->completed += n;
    if (jb->opt && jb->opt->done) {
#pragma omp atomic
        *jb->opt->done += n;
    }
}

/* Sets up, runs and delivers configurations idx[0..n) as one block. On an error of one
 * configuration *bad gets its position; on any other (a result not taken) *bad = n. */
static rb_status run_configs(job *jb, block *b, const uint64_t *idx, size_t n, size_t *bad, rb_error *err)
{
    b->n = 0;
    *bad = n;
    rb_status rc = RB_OK;
    for (size_t j = 0; j < n && rc == RB_OK; j++) {
        rc = setup_config(jb, b, j, idx[j], err);
        b->n = j + 1;
        if (rc != RB_OK) *bad = j;
    }
    if (rc == RB_OK) rc = run_block(jb, b, bad, err);
    for (size_t j = 0; rc == RB_OK && j < n; j++) {
        rb_metrics mx;
        finish(jb, b, j, &mx);
        rc = jb->result_fn(jb->ctx, b->cfg[j].index, &mx, err);
    }
    if (rc == RB_OK) count_done(jb, n);
    for (size_t j = 0; j < b->n; j++) config_release(&b->cfg[j]);
    b->n = 0;
    return rc;
}

/* A block of configurations. With opt->failed, a configuration's failure is delivered there
 * and the block runs again without it: configurations are independent, so the others'
 * results are the same to the bit (as for any block size). */
static void do_block(job *jb, block *b, size_t first)
{
    size_t n = jb->n - first < jb->block_size ? jb->n - first : jb->block_size;
    const uint64_t *idx = jb->indices + first;
    uint64_t *rest = NULL; /* the block less its failed configurations, once one failed */
    while (n > 0 && !jb->failed) {
        size_t bad;
        rb_error err = {0}, ferr = {0};
        rb_status rc = run_configs(jb, b, idx, n, &bad, &err);
        if (rc == RB_OK) break;
        int own = bad < n && rc != RB_ERR_NOMEM && rc != RB_ERR_IO && rc != RB_ERR_DB;
        if (!own || !jb->opt || !jb->opt->failed) {
            record_error(jb, &err, bad < n ? idx[bad] : UINT64_MAX);
            break;
        }
        rc = jb->opt->failed(jb->ctx, idx[bad], &err, &ferr);
        if (rc == RB_OK && !rest && !(rest = malloc(n * sizeof *rest)))
            rc = rb_fail(&ferr, RB_ERR_NOMEM, "out of memory");
        if (rc != RB_OK) {
            record_error(jb, &ferr, UINT64_MAX);
            break;
        }
        count_done(jb, 1);
        if (idx != rest) memcpy(rest, idx, bad * sizeof *rest);
        memmove(rest + bad, idx + bad + 1, (n - bad - 1) * sizeof *rest);
        idx = rest;
        n--;
    }
    free(rest);
}

rb_status rb_batch_run(rb_store *store, const rb_matrix *m, const uint64_t *indices, size_t n,
                       rb_batch_spec_fn spec_fn, rb_batch_result_fn result_fn, void *ctx,
                       const rb_batch_options *opt, uint64_t *completed, rb_error *err)
{
    job jb = {.store = store,
              .m = m,
              .indices = indices,
              .n = n,
              .spec_fn = spec_fn,
              .result_fn = result_fn,
              .ctx = ctx,
              .opt = opt,
              .block_size = opt && opt->block ? opt->block : RB_BATCH_BLOCK};
    *completed = 0;
    if (m->T < 2) return rb_fail(err, RB_ERR_DATA, "a run needs at least 2 bars (got %zu)", m->T);
    /* What the metrics would refuse, refused before any configuration runs. */
    rb_status rc = rb_metrics_check_periods(m->time, m->T, m->periods_per_year, m->periods_inferred,
                                            m->periods_source, err);
    if (rc != RB_OK) return rc;
    rb_sim_exec_note(m, RB_EXEC_NEXT_OPEN, jb.next_open_note, sizeof jb.next_open_note);
    jb.bonus_target = malloc(m->N * sizeof *jb.bonus_target);
    if (!jb.bonus_target) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    size_t nblocks = (n + jb.block_size - 1) / jb.block_size;
    int threads = opt && opt->threads > 0 ? opt->threads : omp_get_max_threads();
    if ((size_t)threads > nblocks) threads = nblocks ? (int)nblocks : 1;

#pragma omp parallel num_threads(threads)
    {
        block b;
        if (!block_alloc(&b, jb.block_size, m->N, m->T)) {
            rb_error e;
            rb_fail(&e, RB_ERR_NOMEM, "out of memory for a block of %zu configurations", jb.block_size);
            record_error(&jb, &e, UINT64_MAX);
        }
        /* Blocks are independent: any thread may take any block without changing a result. */
#pragma omp for schedule(dynamic, 1)
        for (size_t k = 0; k < nblocks; k++) {
            if (jb.failed || (opt && opt->stop && *opt->stop)) continue;
            do_block(&jb, &b, k * jb.block_size);
        }
        block_free(&b);
    }
    free(jb.bonus_target);
    cache_free(jb.inputs);
    *completed = jb.completed;
    if (jb.failed) {
        if (err) *err = jb.err;
        return jb.err.code;
    }
    return RB_OK;
}
