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
        b->flow[j] = 0;
        b->sum_drift[j] = (b->dsum[j] + b->cash[j] * b->inv[j]) / 2;
    }
    b->same_targets = 1;
    b->any_flows = 0;
    b->all_bands = 1;
    for (size_t j = 0; j < n; j++) {
        if (b->rule[j] != RB_TRIGGER_BANDS || b->cbars[j] != 0) b->all_bands = 0;
        if (memcmp(b->cfg[j].res.target, b->cfg[0].res.target, N * sizeof(double)) != 0) b->same_targets = 0;
        if (b->cfg[j].c.contribution != 0) b->any_flows = 1;
    }
    return RB_OK;
}

/* The passes over the configuration axis go chunk by chunk: CHUNK configurations (one
 * AVX-512 vector) through value, distance and action code (and the previous bar's metric
 * statistics, when they were left for this bar: run_bar), their intermediate values in
 * registers rather than in the block's columns. Each configuration's arithmetic is the
 * same, in the same order, whatever the chunk or the vector width. */
#define CHUNK 32

/* Column c of a block (batch_internal.h): from the one base, at a constant offset. */
#define COL(b, c) ((b)->cols + (size_t)(c) * RB_BATCH_BLOCK)
#define ICOL(b, c) ((int64_t *)COL(b, c))

/* 2. Configurations [c0, c0 + W): value = cash + sum units * close, in asset order (as
 * rb_portfolio_value); then the distance from the targets: dsum = sum |w - t|, and ex = the
 * largest excess of |w - t| over its band (the approximate weights w = units * close /
 * value). 3a. Who acts: an action code per configuration (ACT_*), from the bar's calendar
 * flags and the distances. Returns how many act. */
BAR_STEP int64_t bar_step(block *b, size_t c0, size_t W, const double *close, uint64_t flags, int all_bands)
{
    const size_t N = b->N, cap = RB_BATCH_BLOCK;
    double total[CHUNK], inv[CHUNK], dsum[CHUNK], ex[CHUNK];
    {
        const double p0 = close[0], *cash = COL(b, COL_CASH) + c0, *u0 = b->u + c0;
#pragma omp simd
        for (size_t k = 0; k < W; k++) total[k] = rb_value_add(cash[k], u0[k], p0);
    }
    /* Two assets per step (added in order, so the value is the same to the bit). */
    size_t i = 1;
    for (; i + 1 < N; i += 2) {
        const double p = close[i], q = close[i + 1], *u = b->u + i * cap + c0, *w = u + cap;
#pragma omp simd
        for (size_t k = 0; k < W; k++) total[k] = rb_value_add(rb_value_add(total[k], u[k], p), w[k], q);
    }
    for (; i < N; i++) {
        const double p = close[i], *u = b->u + i * cap + c0;
#pragma omp simd
        for (size_t k = 0; k < W; k++) total[k] = rb_value_add(total[k], u[k], p);
    }
    {
        const double p = close[0], *u = b->u + c0, *tg = b->tg + c0, *e = b->e + c0;
#pragma omp simd
        for (size_t k = 0; k < W; k++) {
            inv[k] = 1 / total[k];
            double d = fabs(u[k] * p * inv[k] - tg[k]);
            dsum[k] = d;
            ex[k] = d - e[k];
        }
    }
    for (i = 1; i + 1 < N; i += 2) {
        const double p = close[i], q = close[i + 1], *u = b->u + i * cap + c0, *tg = b->tg + i * cap + c0,
                     *e = b->e + i * cap + c0, *u2 = u + cap, *tg2 = tg + cap, *e2 = e + cap;
#pragma omp simd
        for (size_t k = 0; k < W; k++) {
            double d = fabs(u[k] * p * inv[k] - tg[k]), d2 = fabs(u2[k] * q * inv[k] - tg2[k]);
            dsum[k] = (dsum[k] + d) + d2;
            double x = d - e[k], x2 = d2 - e2[k], m = x > x2 ? x : x2;
            ex[k] = m > ex[k] ? m : ex[k];
        }
    }
    for (; i < N; i++) {
        const double p = close[i], *u = b->u + i * cap + c0, *tg = b->tg + i * cap + c0, *e = b->e + i * cap + c0;
#pragma omp simd
        for (size_t k = 0; k < W; k++) {
            double d = fabs(u[k] * p * inv[k] - tg[k]);
            dsum[k] += d;
            double x = d - e[k];
            ex[k] = x > ex[k] ? x : ex[k];
        }
    }
    int64_t acting = 0;
    double *total_out = COL(b, COL_TOTAL) + c0, *inv_out = COL(b, COL_INV) + c0, *dsum_out = COL(b, COL_DSUM) + c0,
           *ex_out = COL(b, COL_EX) + c0;
    const double *tband = COL(b, COL_TBAND) + c0;
    const uint64_t *cmask = (const uint64_t *)COL(b, COL_CMASK) + c0;
    const int64_t *rules = ICOL(b, COL_RULE) + c0, *cbars = ICOL(b, COL_CBARS) + c0;
    int64_t *act = ICOL(b, COL_ACT) + c0, *cand = ICOL(b, COL_CAND) + c0;
#pragma omp simd reduction(+ : acting)
    for (size_t k = 0; k < W; k++) {
        int64_t near = (ex[k] > -MARGIN) | (dsum[k] > tband[k] - MARGIN);
        int64_t sure = (ex[k] > MARGIN) | (dsum[k] > tband[k] + MARGIN);
        int64_t date = (flags & cmask[k]) != 0;
        int64_t rule = rules[k];
        int64_t band = sure ? ACT_BAND : near ? ACT_DECIDE : ACT_NONE;
        if (all_bands) { /* the common case, without the selections below */
            act[k] = band;
            cand[k] = near;
            acting += band != 0;
            total_out[k] = total[k];
            inv_out[k] = inv[k];
            dsum_out[k] = dsum[k];
            ex_out[k] = ex[k];
            continue;
        }
        int64_t a = rule == RB_TRIGGER_DATES ? date : ACT_NONE;
        a = rule == RB_TRIGGER_BANDS ? band : a;
        a = rule == RB_TRIGGER_DATES_AND_BANDS ? (date ? band : ACT_NONE) : a;
        a = rule == RB_TRIGGER_DATES_OR_BANDS ? (date ? ACT_FULL : band) : a;
        a = rule == ASK_DECIDE ? ACT_TRIGGER : a;    /* the trigger decides (actions.c) */
        a = cbars[k] != 0 ? ACT_EVERY_BARS : a;       /* every N bars: the rare path checks the date */
        act[k] = a;
        cand[k] = near;
        acting += a != 0;
        total_out[k] = total[k];
        inv_out[k] = inv[k];
        dsum_out[k] = dsum[k];
        ex_out[k] = ex[k];
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

/* 4b. Configurations [c0, c0 + W): the return statistics, then a new high or possibly a
 * deeper fall (marked in b->fall, checked exactly by deeper_falls). Returns how many may
 * have a deeper fall. */
BAR_STEP int64_t stats_step(block *b, size_t c0, size_t W, double mix_all, rb_time now)
{
    int64_t deeper = 0;
    const double *total = COL(b, COL_TOTAL) + c0, *mixr = COL(b, COL_MIX) + c0, *dsum = COL(b, COL_DSUM) + c0,
                 *cash = COL(b, COL_CASH) + c0, *inv = COL(b, COL_INV) + c0, *maxdd = COL(b, COL_MAXDD) + c0;
    double *flow = COL(b, COL_FLOW) + c0, *inv_prev = COL(b, COL_INV_PREV) + c0, *mean_r = COL(b, COL_MEAN_R) + c0,
           *m2_r = COL(b, COL_M2_R) + c0, *mean_e = COL(b, COL_MEAN_E) + c0, *m2_e = COL(b, COL_M2_E) + c0,
           *down2 = COL(b, COL_DOWN2) + c0, *index = COL(b, COL_INDEX) + c0, *sum_v = COL(b, COL_SUM_V) + c0,
           *sum_drift = COL(b, COL_SUM_DRIFT) + c0, *prev = COL(b, COL_PREV) + c0, *peak = COL(b, COL_PEAK) + c0;
    rb_time *peak_time = (rb_time *)COL(b, COL_PEAK_TIME) + c0;
    int64_t *fall = ICOL(b, COL_FALL) + c0;
    const int same = b->same_targets;
#pragma omp simd reduction(+ : deeper)
    for (size_t k = 0; k < W; k++) {
        /* The reciprocal of last bar's value: no division per configuration here. */
        double g = (total[k] - flow[k]) * inv_prev[k], r = g - 1.0;
        double e = r - (same ? mix_all : mixr[k]);
        /* Sums of r, r^2, e, e^2: independent updates (no chain through a running mean);
         * for returns this small the variance keeps ~13 significant digits. */
        mean_r[k] += r;
        m2_r[k] += r * r;
        mean_e[k] += e;
        m2_e[k] += e * e;
        down2[k] += r < 0 ? r * r : 0;
        double x = index[k] * g;
        index[k] = x;
        sum_v[k] += total[k];
        sum_drift[k] += (dsum[k] + cash[k] * inv[k]) / 2;
        prev[k] = total[k];
        inv_prev[k] = inv[k];
        flow[k] = 0; /* the bar's contributions are counted: the next bar starts without */
        int64_t high = x >= peak[k];
        peak_time[k] = high ? now : peak_time[k];
        double pk = high ? x : peak[k];
        peak[k] = pk;
        fall[k] = !high & (x < pk * (1.0 - maxdd[k]) * (1.0 + 1e-12));
        deeper += fall[k];
    }
    return deeper;
}

/* 4c. The falls stats_step marked, checked exactly: a deeper drawdown is recorded. */
static void deeper_falls(block *b, rb_time now)
{
    for (size_t j = 0; j < b->n; j++) {
        if (!b->fall[j]) continue;
        double dd = 1.0 - b->index[j] / b->peak[j];
        if (dd > b->maxdd[j] && dd > RB_METRIC_NOISE) {
            b->maxdd[j] = dd;
            b->dd_peak[j] = b->peak_time[j];
            b->dd_trough[j] = now;
        }
    }
}

/* Step 4 of bar t, over every configuration of the block. */
BAR_STEP void statistics(const rb_matrix *m, block *b, size_t t)
{
    const rb_time now = m->time[t];
    double mix_all = mix_return(b, m->growth + t * b->N);
    int64_t deeper = 0;
    for (size_t c0 = 0; c0 < b->n; c0 += CHUNK) {
        size_t W = b->n - c0;
        deeper += W >= CHUNK ? stats_step(b, c0, CHUNK, mix_all, now) : stats_step(b, c0, W, mix_all, now);
    }
    if (deeper) deeper_falls(b, now);
}

/* Steps 2 and 3a of bar t over every configuration of the block, with step 4 of bar t - 1
 * first when it was left for this bar (stats_due): one pass over the columns instead of
 * two. Returns how many act. */
BAR_STEP int64_t value_and_actions(const rb_matrix *m, block *b, size_t t, int stats_due)
{
    const double *close = m->close + t * b->N;
    const uint64_t flags = m->flags[t];
    const rb_time then = m->time[t - 1];
    double mix_all = stats_due ? mix_return(b, m->growth + (t - 1) * b->N) : 0;
    int64_t acting = 0, deeper = 0;
    for (size_t c0 = 0; c0 < b->n; c0 += CHUNK) {
        size_t W = b->n - c0;
        if (W >= CHUNK) {
            if (stats_due) deeper += stats_step(b, c0, CHUNK, mix_all, then);
            acting += b->all_bands ? bar_step(b, c0, CHUNK, close, flags, 1) : bar_step(b, c0, CHUNK, close, flags, 0);
        } else {
            if (stats_due) deeper += stats_step(b, c0, W, mix_all, then);
            acting += bar_step(b, c0, W, close, flags, b->all_bands);
        }
    }
    if (deeper) deeper_falls(b, then);
    return acting;
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
 * configurations whose run ends on this bar. *stats_due: step 4 of bar t - 1 is still to
 * be taken (on entry), of bar t (on return). Step 4 of a bar is left for the next bar's
 * pass over the columns when nothing comes between them: no scheduled work on the next
 * bar (it would change the columns the statistics read), no run ending on this one, and a
 * next bar. */
BAR_STEP rb_status run_bar(const rb_matrix *m, block *b, size_t t, size_t *pending, size_t *depleted,
                           int *stats_due, size_t *bad, rb_error *err)
{
    const size_t n = b->n;
    const double *close = m->close + t * b->N;

    /* 1. Scheduled work, by the reference steps (only on bars that can have any). */
    memset(b->touched, 0, n);
    int events = *pending || b->any_flows || (m->flags[t] & RB_NEW_YEAR);
    if (events && *stats_due) statistics(m, b, t - 1);
    if (events) *stats_due = 0;
    rb_status rc = events ? batch_scheduled_work(m, b, t, depleted, bad, err) : RB_OK;
    if (rc != RB_OK) return rc;
    *pending = 0;

    /* 2, 3a. Value, distance and who acts, over the configuration axis (with the last
     * bar's statistics, when they are due). */
    size_t nact = list_actors(b, value_and_actions(m, b, t, *stats_due)), nq = 0;

    /* 3. Only the acting configurations are visited; the kernel's own rebalances are
     * traded together. */
    if (nact) rc = batch_act(m, b, t, nact, &nq, pending, bad, err);
    if (rc == RB_OK && nq) rc = batch_lane_trades(b, nq, m, t, bad, err);
    if (rc != RB_OK) return rc;
    refresh_touched(b, close, nact, events, *depleted);

    /* 4. Metric statistics: now, or in the next bar's pass. */
    *stats_due = !*depleted && t + 1 < m->T;
    if (!*stats_due) statistics(m, b, t);
    end_depleted_runs(b, t, depleted);
    return RB_OK;
}

RB_KERNEL_CLONES
rb_status batch_run_block(const rb_matrix *m, block *b, size_t *bad, rb_error *err)
{
    rb_status rc = start_block(m, b, bad, err);
    size_t pending = 0;  /* configurations with a next-open order waiting */
    size_t depleted = 0; /* configurations whose run ends on this bar */
    int stats_due = 0;   /* step 4 of the last bar is left for this one */
    for (size_t t = 1; t < m->T && rc == RB_OK; t++)
        rc = run_bar(m, b, t, &pending, &depleted, &stats_due, bad, err);
    return rc;
}
