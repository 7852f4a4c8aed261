/* kernel.c - the bar loop of a block (batch_internal.h has the steps in order): the passes
 * over the configuration axis that the compiler vectorizes (value, distance, action codes,
 * metric statistics), around the steps configurations take one by one (actions.c,
 * trades.c). batch_run_block is compiled once per vector width (kernel_clones.h); every
 * step with a vectorized loop is inlined into it (BAR_STEP), so each clone runs that loop
 * at its own width. The loops keep every per-configuration sum in the same order at every
 * width: results do not depend on the machine. */
#include <math.h>
#include <string.h>

#include "batch_internal.h"
#include "kernel_clones.h"
#include "trade.h"

/* A step of the bar loop, inlined into each of batch_run_block's clones. */
#define BAR_STEP static inline __attribute__((always_inline))

/* Bar 0: the first allocation of every configuration, by the reference step, and the
 * columns and statistics it starts from. */
static rb_status start_block(const rb_matrix *m, block *b, size_t *bad, rb_error *err)
{
    const size_t N = b->N, n = b->n;
    for (size_t j = 0; j < n; j++) {
        config *c = &b->cfg[j];
        rb_status rc = rb_sim_start(m, &c->c, &c->st, err);
        if (rc != RB_OK) {
            *bad = j;
            return rc;
        }
        batch_scatter(b, j);
        batch_band_thresholds(b, j, c);
        batch_exact_state(b, j, m->close);
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
    return RB_OK;
}

/* 2a. value = cash + sum units * close, in asset order (as rb_portfolio_value). */
BAR_STEP void value_pass(block *b, const double *close)
{
    const size_t N = b->N, n = b->n, cap = b->cap;
    double *total = b->total;
    const double *cash = b->cash, *u0 = b->u;
    const double p0 = close[0];
#pragma omp simd
    for (size_t j = 0; j < n; j++) total[j] = rb_value_add(cash[j], u0[j], p0);
    /* Two assets per pass (added in order, so the value is the same to the bit): half the
     * loads and stores of the running sums. */
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

/* 2b. The distance from the targets: dsum = sum |w - t|, and ex = the largest excess of
 * |w - t| over its band (the approximate weights w = units * close / value). */
BAR_STEP void distance_pass(block *b, const double *close)
{
    const size_t N = b->N, n = b->n, cap = b->cap;
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
        const double p = close[i], q = close[i + 1], *u = b->u + i * cap, *tg = b->tg + i * cap, *e = b->e + i * cap,
                     *u2 = u + cap, *tg2 = tg + cap, *e2 = e + cap;
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

/* 3a. Who acts: an action code per configuration (ACT_*), computed over the configuration
 * axis from the bar's calendar flags and the distances. Returns how many act: on most bars
 * of most blocks none, and the rare path is skipped. */
BAR_STEP int64_t action_pass(block *b, uint64_t flags)
{
    const size_t n = b->n;
    int64_t acting = 0;
    /* Local pointers: the compiler cannot prove stores through b's arrays leave b's own
     * fields alone, and would reload them every iteration. */
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
        int64_t band = sure ? ACT_BAND : near ? ACT_DECIDE : ACT_NONE;
        int64_t a = rule == RB_TRIGGER_DATES ? date : ACT_NONE;
        a = rule == RB_TRIGGER_BANDS ? band : a;
        a = rule == RB_TRIGGER_DATES_AND_BANDS ? (date ? band : ACT_NONE) : a;
        a = rule == RB_TRIGGER_DATES_OR_BANDS ? (date ? ACT_FULL : band) : a;
        a = rule == ASK_DECIDE ? ACT_TRIGGER : a;    /* the trigger decides (actions.c) */
        a = cbars[j] != 0 ? ACT_EVERY_BARS : a;       /* every N bars: the rare path checks the date */
        act[j] = a;
        cand[j] = near;
        acting += a != 0;
    }
    return acting;
}

/* The configurations whose action code is not 0, into b->list; returns how many. */
BAR_STEP size_t list_actors(block *b, int64_t acting)
{
    size_t nact = 0;
    for (size_t j = 0; acting && j < b->n; j++) {
        b->list[nact] = j;
        nact += b->act[j] != 0;
    }
    return nact;
}

/* Value and drift taken afresh, exactly, for every configuration a step touched; an emptied
 * portfolio has no weights: its last bar adds no drift (nor 0 / 0). */
static void refresh_touched(block *b, const double *close, size_t nact, int events, size_t depleted)
{
    const size_t n = b->n;
    for (size_t k = 0; k < nact; k++)
        if (b->touched[b->list[k]]) batch_exact_state(b, b->list[k], close);
    if (events)
        for (size_t j = 0; j < n; j++)
            if (b->touched[j]) batch_exact_state(b, j, close);
    for (size_t j = 0; depleted && j < n; j++)
        if (b->cfg[j].st.depleted && !b->cfg[j].end_T) b->dsum[j] = b->inv[j] = 0;
}

/* 4a. The constant mix's return, which depends on the policy targets: once per bar when
 * the block shares them (returned), else per configuration (into b->mix). */
BAR_STEP double mix_return(block *b, const double *growth)
{
    const size_t N = b->N, n = b->n;
    if (!b->same_targets) {
        for (size_t j = 0; j < n; j++) {
            const double *target = b->cfg[j].res.target;
            double mix = 0;
            for (size_t i = 0; i < N; i++) mix += target[i] * growth[i];
            b->mix[j] = mix - 1.0;
        }
    }
    double mix_all = 0;
    if (b->same_targets) {
        const double *target = b->cfg[0].res.target;
        for (size_t i = 0; i < N; i++) mix_all += target[i] * growth[i];
        mix_all -= 1.0;
    }
    return mix_all;
}

/* 4b. One pass over the configuration axis: the return statistics, then a new high or
 * possibly a deeper fall (marked in b->act, checked exactly by deeper_falls). Returns how
 * many may have a deeper fall. */
BAR_STEP int64_t statistics_pass(block *b, double mix_all, rb_time now)
{
    const size_t n = b->n;
    int64_t deeper = 0;
    const double *total = b->total, *flow = b->flow, *mixr = b->mix, *dsum = b->dsum, *cash = b->cash,
                 *inv = b->inv, *maxdd = b->maxdd;
    double *inv_prev = b->inv_prev, *mean_r = b->mean_r, *m2_r = b->m2_r, *mean_e = b->mean_e, *m2_e = b->m2_e,
           *down2 = b->down2, *index = b->index, *sum_v = b->sum_v, *sum_drift = b->sum_drift, *prev = b->prev,
           *peak = b->peak;
    rb_time *peak_time = b->peak_time;
    int64_t *act = b->act;
    const int same = b->same_targets;
#pragma omp simd reduction(+ : deeper)
    for (size_t j = 0; j < n; j++) {
        /* The reciprocal of last bar's value: no division per configuration here. */
        double g = (total[j] - flow[j]) * inv_prev[j], r = g - 1.0;
        double e = r - (same ? mix_all : mixr[j]);
        /* Sums of r, r^2, e, e^2: independent updates (no chain through a running mean);
         * for returns this small the variance keeps ~13 significant digits. */
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
    return deeper;
}

/* 4c. The falls statistics_pass marked, checked exactly: a deeper drawdown is recorded. */
static void deeper_falls(block *b, rb_time now)
{
    for (size_t j = 0; j < b->n; j++) {
        if (!b->act[j]) continue;
        double dd = 1.0 - b->index[j] / b->peak[j];
        if (dd > b->maxdd[j] && dd > RB_METRIC_NOISE) {
            b->maxdd[j] = dd;
            b->dd_peak[j] = b->peak_time[j];
            b->dd_trough[j] = now;
        }
    }
}

/* A run depleted on bar t ends there: its sums are kept as they are now (the columns go on
 * with an empty portfolio, unread). */
static void end_depleted_runs(block *b, size_t t, size_t *depleted)
{
    for (size_t j = 0; *depleted && j < b->n; j++) {
        config *c = &b->cfg[j];
        if (!c->st.depleted || c->end_T) continue;
        c->end_T = t + 1;
        c->ended = batch_sums_of(b, j, t + 1, 1);
        (*depleted)--;
    }
}

/* Bar t, steps 1 to 4. *pending: configurations with a next-open order waiting; *depleted:
 * configurations whose run ends on this bar. */
BAR_STEP rb_status run_bar(const rb_matrix *m, block *b, size_t t, size_t *pending, size_t *depleted, size_t *bad,
                           rb_error *err)
{
    const size_t N = b->N, n = b->n;
    const double *close = m->close + t * N, *growth = m->growth + t * N;
    const rb_time now = m->time[t];
    const uint64_t flags = m->flags[t];

    /* 1. Scheduled work, by the reference steps (only on bars that can have any). */
    memset(b->touched, 0, n);
    memset(b->flow, 0, n * sizeof *b->flow);
    int events = *pending || b->any_flows || (flags & RB_NEW_YEAR);
    rb_status rc = events ? batch_scheduled_work(m, b, t, depleted, bad, err) : RB_OK;
    if (rc != RB_OK) return rc;
    *pending = 0;

    /* 2. Value and distance from the targets, over the configuration axis. */
    value_pass(b, close);
    distance_pass(b, close);

    /* 3. Who acts, then only the acting configurations are visited; the kernel's own
     * rebalances are traded together. */
    size_t nact = list_actors(b, action_pass(b, flags)), nq = 0;
    if (nact) rc = batch_act(m, b, t, nact, &nq, pending, bad, err);
    if (rc == RB_OK && nq) rc = batch_lane_trades(b, nq, m, t, bad, err);
    if (rc != RB_OK) return rc;
    refresh_touched(b, close, nact, events, *depleted);

    /* 4. Metric statistics, over the configuration axis. */
    double mix_all = mix_return(b, growth);
    if (statistics_pass(b, mix_all, now)) deeper_falls(b, now);
    end_depleted_runs(b, t, depleted);
    return RB_OK;
}

RB_KERNEL_CLONES
rb_status batch_run_block(const rb_matrix *m, block *b, size_t *bad, rb_error *err)
{
    rb_status rc = start_block(m, b, bad, err);
    size_t pending = 0;  /* configurations with a next-open order waiting */
    size_t depleted = 0; /* configurations whose run ends on this bar */
    for (size_t t = 1; t < m->T && rc == RB_OK; t++) rc = run_bar(m, b, t, &pending, &depleted, bad, err);
    return rc;
}
