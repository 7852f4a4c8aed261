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
    config *c = &b->cfg[j];
    for (size_t i = 0; i < b->N; i++) c->port.units[i] = b->u[i * b->cap + j];
    c->port.cash = b->cash[j];
}

void batch_scatter(block *b, size_t j)
{
    config *c = &b->cfg[j];
    for (size_t i = 0; i < b->N; i++) {
        b->u[i * b->cap + j] = c->port.units[i];
        b->tg[i * b->cap + j] = c->st.current[i];
    }
    b->cash[j] = c->port.cash;
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
}

/* Value (exactly as the reference computes it: cash + sum units * close in asset order)
 * and drift (sum |w - t|, the metric accumulator's terms: metric_acc.h) of configuration j
 * from its columns; and of the lanes after a rebalance, the same arithmetic lane by lane
 * (batch_lane_exact_states). */
RB_KERNEL_CLONES
void batch_lane_exact_states(block *b, size_t width, const double *close)
{
    const rb_lanes *l = &b->lanes;
    const size_t N = b->N, cap = b->cap;
    const double *cash = l->cash;
    double *v = b->lane_value, *d = b->lane_drift, *inv = b->lane_inv;
#pragma omp simd
    for (size_t q = 0; q < width; q++) {
        v[q] = cash[q];
        d[q] = 0;
    }
    for (size_t i = 0; i < N; i++) {
        const double p = close[i], *u = l->units + i * cap;
#pragma omp simd
        for (size_t q = 0; q < width; q++) v[q] = rb_value_add(v[q], u[q], p);
    }
#pragma omp simd
    for (size_t q = 0; q < width; q++) inv[q] = 1 / v[q];
    for (size_t i = 0; i < N; i++) {
        const double p = close[i], *u = l->units + i * cap, *tg = b->lane_tg + i * cap;
#pragma omp simd
        for (size_t q = 0; q < width; q++) d[q] += rb_metric_drift_term(v[q], inv[q], u[q], p, tg[q]);
    }
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
