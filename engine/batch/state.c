/* state.c - the exact state of one configuration of a block (batch_internal.h): its
 * columns moved into its portfolio for a reference step and back, its band thresholds,
 * and its value and drift computed exactly as the reference computes them. */
#include <math.h>

#include "batch_internal.h"
#include "kernel_clones.h"
#include "metric_acc.h"
#include "trade.h"

void batch_gather(block *b, size_t j)
{
    config *c = batch_cfg(b, j);
    for (size_t i = 0; i < b->N; i++) c->port.units[i] = b->u[i * b->cap + j];
    c->port.cash = b->cash[j];
    const double *cols = b->cols;
    c->port.fees = BLOCK_COL(cols, COL_FEES)[j];
    c->port.slippage = BLOCK_COL(cols, COL_SLIPPAGE)[j];
    c->port.gas = BLOCK_COL(cols, COL_GAS)[j];
    c->port.traded_value = BLOCK_COL(cols, COL_TRADED)[j];
    c->port.rebalances = BLOCK_COL(cols, COL_REBALANCES)[j];
    c->st.last_rebalance = (size_t)((const int64_t *)BLOCK_COL(cols, COL_LAST_REBALANCE))[j];
}

void batch_scatter(block *b, size_t j)
{
    config *c = batch_cfg(b, j);
    for (size_t i = 0; i < b->N; i++) {
        b->u[i * b->cap + j] = c->port.units[i];
        b->tg[i * b->cap + j] = c->st.current[i];
    }
    b->cash[j] = c->port.cash;
    double *cols = b->cols;
    BLOCK_COL(cols, COL_FEES)[j] = c->port.fees;
    BLOCK_COL(cols, COL_SLIPPAGE)[j] = c->port.slippage;
    BLOCK_COL(cols, COL_GAS)[j] = c->port.gas;
    BLOCK_COL(cols, COL_TRADED)[j] = c->port.traded_value;
    BLOCK_COL(cols, COL_REBALANCES)[j] = c->port.rebalances;
    ((int64_t *)BLOCK_COL(cols, COL_LAST_REBALANCE))[j] = (int64_t)c->st.last_rebalance;
}

void batch_band_thresholds(block *b, size_t j, const config *c)
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
        /* the kernel's shortcut (kernel.c, distance_pass) holds only while every
         * configuration has one threshold for all its assets (INFINITY for a rule with no
         * band) */
        if (!(e == b->e[j] && !isnan(e))) b->one_band = 0;
    }
    b->tband[j] = use ? 2 * tr->band_total : INFINITY; /* compared with sum |w - t| */
    if (!(b->tband[j] == INFINITY)) b->any_tband = 1; /* (the kernel's shortcut: distance_pass) */
}

/* Value (exactly as the reference computes it: cash + sum units * close in asset order)
 * and drift (sum |w - t|, the metric accumulator's terms: metric_acc.h) of configuration j
 * from its columns; and of the lanes after a rebalance, the same arithmetic lane by lane
 * (batch_lane_exact_states), a group's lanes (at most STATE_CHUNK) in chunks of 24, 16, 8
 * and 1, each chunk's sums in arrays of its own from the first asset to the last
 * (rebalance_lanes.c does the same). */
#define STATE_CHUNK BATCH_LANE_GROUP

static inline __attribute__((always_inline)) void lane_states(block *b, size_t k0, const size_t W, const double *close)
{
    const rb_lanes *l = &b->lanes;
    const size_t N = b->N, lcap = BATCH_LANE_GROUP; /* the lanes' stride */
    double v[STATE_CHUNK], d[STATE_CHUNK], inv[STATE_CHUNK];
    for (size_t k = 0; k < W; k++) {
        v[k] = l->cash[k0 + k];
        d[k] = 0;
    }
    for (size_t i = 0; i < N; i++) {
        const double p = close[i], *restrict u = l->units + i * lcap + k0;
#pragma omp simd
        for (size_t k = 0; k < W; k++) v[k] = rb_value_add(v[k], u[k], p);
    }
    for (size_t k = 0; k < W; k++) inv[k] = 1 / v[k];
    for (size_t i = 0; i < N; i++) {
        const double p = close[i], *restrict u = l->units + i * lcap + k0, *restrict tg = b->lane_tg + i * lcap + k0;
#pragma omp simd
        for (size_t k = 0; k < W; k++) d[k] += rb_metric_drift_term(v[k], inv[k], u[k], p, tg[k]);
    }
    double *restrict value = b->lane_value + k0, *restrict drift = b->lane_drift + k0, *restrict lane_inv = b->lane_inv + k0;
    for (size_t k = 0; k < W; k++) {
        value[k] = v[k];
        drift[k] = d[k];
        lane_inv[k] = inv[k];
    }
}

RB_KERNEL_CLONES
void batch_lane_exact_states(block *b, size_t width, const double *close)
{
    _Static_assert(STATE_CHUNK == 24, "the chunks below");
    size_t k0 = 0;
    for (; k0 + 24 <= width; k0 += 24) lane_states(b, k0, 24, close);
    for (; k0 + 16 <= width; k0 += 16) lane_states(b, k0, 16, close);
    for (; k0 + 8 <= width; k0 += 8) lane_states(b, k0, 8, close);
    for (; k0 < width; k0++) lane_states(b, k0, 1, close);
}

void batch_exact_state(block *b, size_t j, const double *close)
{
    size_t cap = b->cap;
    double v = b->cash[j], d = 0;
    for (size_t i = 0; i < b->N; i++) v = rb_value_add(v, b->u[i * cap + j], close[i]);
    /* The drift feeds only avg_drift (a mean of many bars): one reciprocal is enough. */
    double inv = 1 / v;
    for (size_t i = 0; i < b->N; i++)
        d += rb_metric_drift_term(v, inv, b->u[i * cap + j], close[i], b->tg[i * cap + j]);
    b->total[j] = v;
    b->dsum[j] = d;
    b->inv[j] = inv;
}
