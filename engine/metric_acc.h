/* metric_acc.h - the metric statistics of a run, accumulated bar by bar: the one
 * accumulator of both simulators. The reference (metrics.c, rb_metrics_compute) feeds it
 * its one run bar by bar; the batch simulator (engine/batch/kernel.c, stats_step) feeds the
 * configurations of a block side by side, in a loop over its columns that the compiler
 * vectorizes. Each is a static inline function of one lane, so the two agree by
 * construction: every sum is taken by the same expressions, in the same order, from the
 * same inputs (the value, the flow, the value's reciprocal, the drift, the constant mix's
 * return), and a sweep's metrics equal `rebal run`'s to the bit.
 *
 * The sums are plain running sums (of r, r^2, r - c, (r - c)^2, ...), taken in one pass
 * with no stored series: for per-bar returns (|r| well under 1) the sample variance from
 * them keeps about 13 significant digits over tens of thousands of bars, far more than any
 * metric is printed with. Branch-free where a loop over lanes calls it (a branch there is
 * a selection). Internal. */
#ifndef RB_METRIC_ACC_H
#define RB_METRIC_ACC_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

/* One run's running statistics, updated on every bar. */
typedef struct rb_metric_acc {
    double value;    /* V_t, the last bar's value */
    double inv_prev; /* 1 / V_t: the next bar's growth is a product with it, not a division */
    double sum_r, sum_r2, sum_e, sum_e2; /* of r_t, r_t^2, e_t = r_t - c_t, e_t^2 */
    double sum_down2; /* of min(r_t, 0)^2 */
    double index, peak; /* the growth index prod(1 + r_t) and its running high */
    double sum_v, sum_drift; /* of V_t and of the drift, over the bars so far (bar 0 too) */
    rb_time peak_time; /* when the running high was set (bar 0's time at first) */
} rb_metric_acc;

/* The deepest drawdown so far: changed only on the bars whose fall rb_metric_acc_bar
 * flags, and settled by rb_metric_deeper. */
typedef struct rb_metric_dd {
    double max_dd;
    rb_time peak, trough;
} rb_metric_dd;

/* One asset's term of the drift: |w - t| with its weight w = units * price / value (0 in a
 * portfolio of no value), inv the value's reciprocal. */
static inline double rb_metric_drift_term(double v, double inv, double units, double price, double target)
{
    return fabs((v > 0 ? units * price * inv : 0) - target);
}

/* The drift of a bar: half the L1 distance from the targets, dsum = sum_i |w_i - t_i| (its
 * terms rb_metric_drift_term, added in asset order) plus the uninvested cash's weight
 * cash * inv (target 0). */
static inline double rb_metric_drift(double dsum, double cash, double inv) { return (dsum + cash * inv) / 2; }

/* Bar 0: value v (inv = 1 / v), its drift, at time t0. */
static inline rb_metric_acc rb_metric_acc_start(double v, double inv, double drift, rb_time t0)
{
    return (rb_metric_acc){.value = v, .inv_prev = inv, .index = 1, .peak = 1, .sum_v = v, .sum_drift = drift,
                           .peak_time = t0};
}

/* Bar t >= 1 at time now: its value v after the bar's flow and trades, the flow f added on
 * it, inv = 1 / v, its drift and the constant mix's return c_t. max_dd: the deepest
 * drawdown so far. Returns 1 when the index fell and may be deeper than max_dd (with a
 * margin far above rounding): rb_metric_deeper then settles it exactly. */
static inline int64_t rb_metric_acc_bar(rb_metric_acc *a, double v, double f, double inv, double drift, double mix,
                                        double max_dd, rb_time now)
{
    double g = (v - f) * a->inv_prev, r = g - 1.0, e = r - mix;
    /* Independent updates: no chain through a running mean. */
    a->sum_r += r;
    a->sum_r2 += r * r;
    a->sum_e += e;
    a->sum_e2 += e * e;
    a->sum_down2 += r < 0 ? r * r : 0;
    double x = a->index * g;
    a->index = x;
    a->sum_v += v;
    a->sum_drift += drift;
    a->value = v;
    a->inv_prev = inv;
    int64_t high = x >= a->peak;
    a->peak_time = high ? now : a->peak_time;
    double pk = high ? x : a->peak;
    a->peak = pk;
    return !high & (x < pk * (1.0 - max_dd) * (1.0 + 1e-12));
}

/* A fall rb_metric_acc_bar flagged at time now, checked exactly: a deeper drawdown than
 * dd's (and above the noise floor) is recorded. */
static inline void rb_metric_deeper(double index, double peak, rb_time peak_time, rb_time now, rb_metric_dd *dd)
{
    double fall = 1.0 - index / peak;
    if (fall > dd->max_dd && fall > RB_METRIC_NOISE) {
        dd->max_dd = fall;
        dd->peak = peak_time;
        dd->trough = now;
    }
}

/* Sample standard deviation from the sum and the sum of squares of n values. */
static inline double rb_metric_sample_sd(double sum, double sum2, size_t n)
{
    if (n < 2) return NAN;
    double var = (sum2 - sum * sum / (double)n) / (double)(n - 1);
    return sqrt(var > 0 ? var : 0);
}

/* The sums of a run of T bars whose statistics a and dd hold after bar T - 1. depleted: the
 * last bar emptied the portfolio and has no drift (it added 0): the drift's mean is over
 * the T - 1 bars before. */
static inline rb_metric_sums rb_metric_acc_sums(const rb_metric_acc *a, const rb_metric_dd *dd, size_t T, int depleted)
{
    size_t n = T - 1;
    return (rb_metric_sums){
        .final_value = a->value,
        .index = a->index,
        .mean_r = a->sum_r / (double)n,
        .sd_r = rb_metric_sample_sd(a->sum_r, a->sum_r2, n),
        .sd_e = rb_metric_sample_sd(a->sum_e, a->sum_e2, n),
        .mean_down2 = a->sum_down2 / (double)n,
        .mean_value = a->sum_v / (double)T,
        .mean_drift = a->sum_drift / (double)(depleted ? T - 1 : T),
        .max_dd = dd->max_dd,
        .dd_peak = dd->peak,
        .dd_trough = dd->trough,
    };
}

#endif /* RB_METRIC_ACC_H */
