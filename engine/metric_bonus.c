/* metric_bonus.c - the rebalancing bonus of a target vector over the closes (metrics.h,
 * rb_metrics_bonus; its definition is in docs/metrics.md). It depends on the closes and the
 * targets only, so a sweep computes it once per target vector, but it is part of every
 * command's fixed cost: N + 1 rolling variances over every bar. */
#include <math.h>
#include <stddef.h>

#include "csum.h"
#include "metrics.h"

/* Series computed side by side, each with its own sums: the same additions in the same
 * order as one series alone, so every result is the same to the bit, but a loop over the
 * series vectorizes and the compensated sums' choice costs no mispredicted branch. */
#define LANES 16

typedef struct lane_sums {
    double s[LANES], c[LANES];
} lane_sums;

static void lanes_add(lane_sums *a, const double *x, size_t m)
{
#pragma omp simd
    for (size_t j = 0; j < m; j++) {
        double t = a->s[j] + x[j];
        a->c[j] += csum_correction(a->s[j], x[j], t);
        a->s[j] = t;
    }
}

static double lane_value(const lane_sums *a, size_t j) { return a->s[j] + a->c[j]; }

/* Series k0..k0+m-1 at bar s >= 1 into y: series k < N is asset k's simple return, series
 * N the target mix sum_i target[i] * (return of asset i), summed in asset order. A return is
 * the bar's growth factor less 1: the matrix's when the input has it (the same quotient, not
 * taken again three times a bar), else close / previous close. */
static void series_at(const rb_metric_input *in, size_t k0, size_t m, size_t s, double *y)
{
    const size_t N = in->N;
    const double *now = in->close + s * N, *before = now - N, *g = in->growth ? in->growth + s * N : NULL;
    for (size_t j = 0; j < m; j++) {
        size_t k = k0 + j;
        if (k < N) y[j] = (g ? g[k] : now[k] / before[k]) - 1.0;
    }
    if (k0 + m <= N) return;
    double q = 0.0;
    if (k0 == 0) { /* every asset's return is at hand */
        for (size_t i = 0; i < N; i++) q += in->target[i] * y[i];
    } else {
        for (size_t i = 0; i < N; i++) q += in->target[i] * ((g ? g[i] : now[i] / before[i]) - 1.0);
    }
    y[N - k0] = q;
}

/* out[j]: the mean over t = 2..n of the sample variance (denominator w - 1) of series k0 + j
 * over the w bars max(1, t - W + 1)..t (W >= 2, so every such window holds at least 2
 * returns), for m <= LANES series. The sums are of values shifted by the series' overall
 * mean, so that a window's sum of squares does not cancel against its squared sum (the
 * shifted-data algorithm), and compensated, so that adding and removing terms for thousands
 * of bars does not drift. No storage: removed terms are recomputed from the closes. Needs
 * n >= 2. */
static void mean_window_variances(const rb_metric_input *in, size_t k0, size_t m, size_t W, double *out)
{
    const size_t n = in->T - 1;
    double y[LANES], z[LANES], shift[LANES];
    lane_sums all = {{0}, {0}}, s1 = all, s2 = all, acc = all;
    for (size_t s = 1; s <= n; s++) {
        series_at(in, k0, m, s, y);
        lanes_add(&all, y, m);
    }
    for (size_t j = 0; j < m; j++) shift[j] = lane_value(&all, j) / (double)n;

    for (size_t t = 1; t <= n; t++) {
        series_at(in, k0, m, t, y);
        for (size_t j = 0; j < m; j++) {
            y[j] -= shift[j];
            z[j] = y[j] * y[j];
        }
        lanes_add(&s1, y, m);
        lanes_add(&s2, z, m);
        if (t > W) {
            series_at(in, k0, m, t - W, y);
            for (size_t j = 0; j < m; j++) {
                double old = y[j] - shift[j];
                y[j] = -old;
                z[j] = -old * old;
            }
            lanes_add(&s1, y, m);
            lanes_add(&s2, z, m);
        }
        size_t w = t < W ? t : W;
        if (w < 2) continue;
        for (size_t j = 0; j < m; j++) {
            double sum = lane_value(&s1, j);
            double var = (lane_value(&s2, j) - sum * sum / (double)w) / (double)(w - 1);
            z[j] = var > 0.0 ? var : 0.0; /* a variance is never negative */
        }
        lanes_add(&acc, z, m);
    }
    for (size_t j = 0; j < m; j++) out[j] = lane_value(&acc, j) / (double)(n - 1);
}

double rb_metrics_bonus(const rb_metric_input *in)
{
    /* The mean over t of (sum_i target[i] S_ii - target' S target) / 2 is linear in the
     * window variances, and target' S target is the sample variance of the series
     * sum_i target[i] x_i, so it is (sum_i target[i] mean_t S_ii - mean_t Var_t(mix)) / 2:
     * N + 1 rolling variances, O(T * N) time and no memory beyond LANES series' sums. */
    size_t n = in->T - 1;
    if (n < 2) return NAN;
    double P = in->periods_per_year, dn = (double)n, wr = round(P);
    size_t W = wr >= dn ? n : wr <= 2.0 ? 2 : (size_t)wr; /* W = round(P), 2..n */
    csum spread = {0, 0};
    double v[LANES];
    for (size_t k0 = 0; k0 <= in->N; k0 += LANES) {
        size_t m = in->N + 1 - k0 < LANES ? in->N + 1 - k0 : LANES;
        mean_window_variances(in, k0, m, W, v);
        for (size_t j = 0; j < m; j++) {
            size_t k = k0 + j;
            if (k == in->N) csum_add(&spread, -v[j]);
            else if (in->target[k] != 0.0) csum_add(&spread, in->target[k] * v[j]);
        }
    }
    return P * csum_value(&spread) / 2.0;
}
