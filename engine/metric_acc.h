/* metric_acc.h - the metric statistics of a run, accumulated bar by bar: the one
 * accumulator of both simulators. The reference (metrics.c, rb_metrics_compute) feeds it
 * its one run; the batch simulator (engine/batch/kernel.c, stats_step) feeds the
 * configurations of a block side by side, in a loop over its columns that the compiler
 * vectorizes. Its functions are static inline functions of one lane, so the two agree by
 * construction: every sum is taken by the same expressions, in the same order, from the
 * same inputs (the value, the flow, the value's reciprocal, the drift's parts, the
 * constant mix's return), and a sweep's metrics equal `rebal run`'s to the bit.
 *
 * The sums are plain running sums (of r, r^2, r - c, (r - c)^2, ...), taken in one pass
 * with no stored series: for per-bar returns of market data the sample variance from them
 * keeps about 13 significant digits over tens of thousands of bars. Their limit: returns
 * all equal but for rounding leave a standard deviation of up to about 1e-6 of the return
 * (docs/engine.md, "How the statistics are accumulated"). Branch-free where a loop over
 * lanes calls it (a branch there is a selection). Internal. */
#ifndef RB_METRIC_ACC_H
#define RB_METRIC_ACC_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

/* The running statistics of one run, updated on every bar: the fields, in this order, of
 * a rb_metric_acc (the reference's one run), or consecutive columns of a block of the
 * batch simulator (engine/batch/batch_internal.h, COL_ACC + field). The update functions
 * take the first field's address and the distance between fields: 1 in a rb_metric_acc,
 * a block's column stride in the batch, so that its loop over configurations addresses
 * every field from one base at a constant offset, as it addresses its other columns. (A
 * struct of the fields as a local would not do there: a local whose address is taken in an
 * `omp simd` loop becomes an array per lane, in memory.) */
enum rb_metric_acc_field {
    RB_ACC_VALUE,    /* V_t, the last bar's value */
    RB_ACC_INV_PREV, /* 1 / V_t: the next bar's growth is a product with it, not a division */
    RB_ACC_SUM_R,    /* sums of r_t, r_t^2, e_t = r_t - c_t, e_t^2 and min(r_t, 0)^2 */
    RB_ACC_SUM_R2,
    RB_ACC_SUM_E,
    RB_ACC_SUM_E2,
    RB_ACC_SUM_DOWN2,
    RB_ACC_INDEX,     /* the growth index prod(1 + r_t) */
    RB_ACC_PEAK,      /* its running high */
    RB_ACC_SUM_V,     /* sums of V_t and of the drift over the bars so far, bar 0's too */
    RB_ACC_SUM_DRIFT,
    RB_ACC_FIELDS
};

typedef struct rb_metric_acc {
    double f[RB_ACC_FIELDS]; /* enum rb_metric_acc_field */
    rb_time peak_time;       /* when the running high was set (bar 0's time at first) */
} rb_metric_acc;

/* The deepest drawdown so far: changed only on the bars whose fall rb_metric_acc_step
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

/* c_t: the return of the targets rebalanced every bar at no cost, from the N assets'
 * growth factors close[t][i] / close[t-1][i] over the bar (a row of rb_matrix.growth). */
static inline double rb_metric_mix_return(const double *target, const double *growth, size_t N)
{
    double mix = 0;
    for (size_t i = 0; i < N; i++) mix += target[i] * growth[i];
    return mix - 1.0;
}

/* Field i of the statistics at a, their fields `stride` apart. */
#define RB_ACC_FIELD(a, stride, i) ((a)[(size_t)(i) * (stride)])

/* The drift of a bar: half the L1 distance from the targets, dsum = sum_i |w_i - t_i| (its
 * terms rb_metric_drift_term, added in asset order) plus the uninvested cash's weight
 * cash * inv (target 0). */
static inline double rb_metric_drift(double dsum, double cash, double inv) { return (dsum + cash * inv) / 2; }

/* Bar 0 at time t0, into the fields at a (`stride` apart) and *peak_time: its value v,
 * inv = 1 / v, and the drift's dsum and cash (rb_metric_drift). */
static inline void rb_metric_acc_start(double *a, size_t stride, rb_time *peak_time, double v, double inv, double dsum,
                                       double cash, rb_time t0)
{
    for (size_t i = 0; i < RB_ACC_FIELDS; i++) RB_ACC_FIELD(a, stride, i) = 0;
    RB_ACC_FIELD(a, stride, RB_ACC_VALUE) = v;
    RB_ACC_FIELD(a, stride, RB_ACC_INV_PREV) = inv;
    RB_ACC_FIELD(a, stride, RB_ACC_INDEX) = 1;
    RB_ACC_FIELD(a, stride, RB_ACC_PEAK) = 1;
    RB_ACC_FIELD(a, stride, RB_ACC_SUM_V) = v;
    RB_ACC_FIELD(a, stride, RB_ACC_SUM_DRIFT) = rb_metric_drift(dsum, cash, inv);
    *peak_time = t0;
}

/* Bar t >= 1 at time now, into the fields at a (`stride` apart) and *peak_time: its value
 * v after the bar's flow and trades, the flow f added on it, inv = 1 / v, the drift's dsum
 * and cash (rb_metric_drift; a bar with no drift: dsum and inv 0), the constant mix's
 * return c_t, and *max_dd, the deepest drawdown so far. Returns 1 when the index fell and
 * may be deeper than *max_dd (with a margin far above rounding): rb_metric_deeper then
 * settles it exactly. (*max_dd through a pointer: read where it is used, a loop over lanes
 * takes it as an operand from memory rather than holding it in a register.) */
static inline int64_t rb_metric_acc_step(double *a, size_t stride, rb_time *peak_time, double v, double f,
                                         double inv, double dsum, double cash, double mix, const double *max_dd,
                                         rb_time now)
{
#define ACC(i) RB_ACC_FIELD(a, stride, RB_ACC_##i)
    double g = (v - f) * ACC(INV_PREV), r = g - 1.0, e = r - mix;
    /* Independent updates: no chain through a running mean. */
    ACC(SUM_R) += r;
    ACC(SUM_R2) += r * r;
    ACC(SUM_E) += e;
    ACC(SUM_E2) += e * e;
    ACC(SUM_DOWN2) += r < 0 ? r * r : 0;
    double x = ACC(INDEX) * g;
    ACC(INDEX) = x;
    ACC(SUM_V) += v;
    ACC(SUM_DRIFT) += rb_metric_drift(dsum, cash, inv);
    ACC(VALUE) = v;
    ACC(INV_PREV) = inv;
    int64_t high = x >= ACC(PEAK); /* a new running high (or a repeat of it): a later fall starts here */
    *peak_time = high ? now : *peak_time;
    double pk = high ? x : ACC(PEAK);
    ACC(PEAK) = pk;
    return !high & (x < pk * (1.0 - *max_dd) * (1.0 + 1e-12));
#undef ACC
}

/* A fall rb_metric_acc_step flagged at time now (index, its running high and when that was
 * set), checked exactly: a deeper drawdown than dd's (and above the noise floor) is
 * recorded. Returns 1 when it was. */
static inline int rb_metric_deeper(double index, double peak, rb_time peak_time, rb_time now, rb_metric_dd *dd)
{
    double fall = 1.0 - index / peak;
    if (!(fall > dd->max_dd && fall > RB_METRIC_NOISE)) return 0;
    dd->max_dd = fall;
    dd->peak = peak_time;
    dd->trough = now;
    return 1;
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
    const double *f = a->f;
    return (rb_metric_sums){
        .final_value = f[RB_ACC_VALUE],
        .index = f[RB_ACC_INDEX],
        .mean_r = f[RB_ACC_SUM_R] / (double)n,
        .sd_r = rb_metric_sample_sd(f[RB_ACC_SUM_R], f[RB_ACC_SUM_R2], n),
        .sd_e = rb_metric_sample_sd(f[RB_ACC_SUM_E], f[RB_ACC_SUM_E2], n),
        .mean_down2 = f[RB_ACC_SUM_DOWN2] / (double)n,
        .mean_value = f[RB_ACC_SUM_V] / (double)T,
        .mean_drift = f[RB_ACC_SUM_DRIFT] / (double)(depleted ? T - 1 : T),
        .max_dd = dd->max_dd,
        .dd_peak = dd->peak,
        .dd_trough = dd->trough,
    };
}

#endif /* RB_METRIC_ACC_H */
