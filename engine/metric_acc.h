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

#include "bit_select.h"
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
    /* the risk statistics (metric_risk.h): sums of r_t^3, r_t^4 and of the squared fall
     * below the running high; the drawdown clock: the bar of the last bar at the high
     * (within the noise floor), the longest drawdown so far in bars and seconds, and the
     * recovery of the deepest drawdown (its time and bars from the trough). These change
     * only on the bar that ends a drawdown (rb_metric_acc_back); the current drawdown, and
     * a longest one still running, are read off the clock at the end (rb_metric_acc_sums) */
    RB_ACC_SUM_R3,
    RB_ACC_SUM_R4,
    RB_ACC_SUM_DD2,
    RB_ACC_HIGH_BAR,
    RB_ACC_LONG_BARS,
    RB_ACC_LONG_SECS,
    RB_ACC_REC_AT,
    RB_ACC_REC_BARS,
    /* against a benchmark (rb_metric_acc_bench; zero without one): sums of b_t, b_t^2,
     * r_t b_t, a_t = r_t - b_t, a_t^2, of r_t and b_t over the bars with b_t > 0 and with
     * b_t < 0, and the benchmark's growth index prod(1 + b_t) */
    RB_ACC_SUM_B,
    RB_ACC_SUM_B2,
    RB_ACC_SUM_RB,
    RB_ACC_SUM_A,
    RB_ACC_SUM_A2,
    RB_ACC_UP_R,
    RB_ACC_UP_B,
    RB_ACC_DOWN_R,
    RB_ACC_DOWN_B,
    RB_ACC_B_INDEX,
    RB_ACC_FIELDS
};

typedef struct rb_metric_acc {
    double f[RB_ACC_FIELDS]; /* enum rb_metric_acc_field */
    rb_time peak_time;       /* when the running high was set (bar 0's time at first) */
} rb_metric_acc;

/* The deepest drawdown so far: recorded by rb_metric_acc_step on the bars that fall deeper. */
typedef struct rb_metric_dd {
    double max_dd;
    rb_time peak, trough;
    double trough_at, trough_bar; /* the trough's time (seconds, as a double) and bar number */
} rb_metric_dd;

/* Where rb_metric_acc_step records the deepest drawdown: each field of a rb_metric_dd at an
 * address of its own, those of one run (rb_metric_dd_fields) or a block's columns at a
 * configuration (engine/batch/kernel.c). (Pointers: a loop over lanes reads and writes
 * each where it is used, as it does the statistics.) */
typedef struct rb_metric_dd_at {
    double *max_dd;
    rb_time *peak, *trough;
    double *trough_at, *trough_bar;
} rb_metric_dd_at;

static inline rb_metric_dd_at rb_metric_dd_fields(rb_metric_dd *dd)
{
    return (rb_metric_dd_at){&dd->max_dd, &dd->peak, &dd->trough, &dd->trough_at, &dd->trough_bar};
}

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
    RB_ACC_FIELD(a, stride, RB_ACC_B_INDEX) = 1;
    *peak_time = t0;
}

/* r_t, the return of the bar whose value is v after the flow f, from the fields at a: the
 * one expression of both steps below. */
static inline double rb_metric_acc_return(const double *a, size_t stride, double v, double f)
{
    return (v - f) * RB_ACC_FIELD(a, stride, RB_ACC_INV_PREV) - 1.0;
}

/* The benchmark's part of bar t >= 1 (before rb_metric_acc_step, which moves the value's
 * reciprocal on): the run's return r_t (of value v after the flow f) against the benchmark's
 * return b_t. */
static inline void rb_metric_acc_bench(double *a, size_t stride, double v, double f, double b)
{
#define ACC(i) RB_ACC_FIELD(a, stride, RB_ACC_##i)
    double r = rb_metric_acc_return(a, stride, v, f), x = r - b;
    ACC(SUM_B) += b;
    ACC(SUM_B2) += b * b;
    ACC(SUM_RB) += r * b;
    ACC(SUM_A) += x;
    ACC(SUM_A2) += x * x;
    ACC(UP_R) += b > 0 ? r : 0;
    ACC(UP_B) += b > 0 ? b : 0;
    ACC(DOWN_R) += b < 0 ? r : 0;
    ACC(DOWN_B) += b < 0 ? b : 0;
    ACC(B_INDEX) *= 1.0 + b;
#undef ACC
}

/* What rb_metric_acc_step asks of its caller after a bar (its result). */
enum {
    RB_ACC_BACK = 2 /* back at the high after bars under it: rb_metric_acc_back settles the drawdown */
};

/* Bar t >= 1 (`bar`, a double) at time now, into the fields at a (`stride` apart) and
 * *peak_time: its value v after the bar's flow and trades, the flow f added on it,
 * inv = 1 / v, the drift's dsum and cash (rb_metric_drift; a bar with no drift: dsum and
 * inv 0), the constant mix's return c_t; and into dd, the deepest drawdown so far, a fall
 * deeper than it and above the noise floor (its size, its high's and trough's times, the
 * trough's bar). Returns RB_ACC_BACK or 0, most bars 0: the work of the rare bars is left
 * to rb_metric_acc_back, which the caller then calls. (A deeper fall is recorded here, where
 * it was flagged and left to the caller: in a crash every bar is one, and the 1,000-band
 * sweep's blocks had some 90,000 of them.)
 *
 * The drawdown clock: a bar whose fall below the running high is within the noise floor
 * is at the high, and moves HIGH_BAR to itself; a drawdown lasts from the last bar at the
 * high to the bar back at it (or to the end). Its length only grows while it lasts (bar
 * times are strictly increasing), so the longest one is settled on the bar that ends it
 * (RB_ACC_BACK: HIGH_BAR is left for rb_metric_acc_back) or at the end (rb_metric_acc_sums). */
static inline int64_t rb_metric_acc_step(double *a, size_t stride, rb_time *peak_time, double v, double f,
                                         double inv, double dsum, double cash, double mix, rb_metric_dd_at dd,
                                         double bar, rb_time now)
{
#define ACC(i) RB_ACC_FIELD(a, stride, RB_ACC_##i)
    double g = (v - f) * ACC(INV_PREV), r = g - 1.0, e = r - mix, r2 = r * r;
    /* Independent updates: no chain through a running mean. */
    ACC(SUM_R) += r;
    ACC(SUM_R2) += r2;
    ACC(SUM_R3) += r2 * r;
    ACC(SUM_R4) += r2 * r2;
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
    rb_time at_high = rb_pick_bits(high, now, *peak_time);
    *peak_time = at_high;
    double pk = high ? x : ACC(PEAK);
    ACC(PEAK) = pk;
    /* the fall below the high (0 at it: x / x is 1), the clock */
    double fall = 1.0 - x / pk, hb = ACC(HIGH_BAR);
    ACC(SUM_DD2) += fall * fall;
    int64_t under = fall > RB_METRIC_NOISE, back = !under & (bar - hb > 1.0);
    ACC(HIGH_BAR) = rb_pick_real(under | back, hb, bar);
    /* the deepest fall so far: its size by a selection on the bits (bit_select.h), read and
     * written every bar; its times and bar written only on a deeper fall (in a loop over
     * configurations, stores under a mask, which GCC puts behind a branch taken when no
     * configuration of the vector falls deeper). The four selections they were before read
     * and wrote four columns every bar for nothing on most bars: without them, benchmark 1
     * 0.292 -> 0.285 ns per cell, the unshared sweep 0.725 -> 0.700, a sweep of 5,000 bands
     * of the bundled crypto histories (their falls of 2021-2022) 10.29 -> 10.13 ms; the
     * 1,000-band sweep no different (bench/README.md, twenty-fifth session). */
    double deepest = *dd.max_dd;
    int64_t deeper = under & (fall > deepest);
    *dd.max_dd = rb_pick_real(deeper, fall, deepest);
    if (deeper) {
        *dd.peak = at_high;
        *dd.trough = now;
        *dd.trough_at = (double)now;
        *dd.trough_bar = bar;
    }
    return back << 1;
#undef ACC
}

/* A longest drawdown of `bars` bars and `secs` seconds, if it is longer. */
static inline void rb_metric_acc_long(double *a, size_t stride, double bars, double secs)
{
    double *lb = &RB_ACC_FIELD(a, stride, RB_ACC_LONG_BARS), *ls = &RB_ACC_FIELD(a, stride, RB_ACC_LONG_SECS);
    *lb = bars > *lb ? bars : *lb;
    *ls = secs > *ls ? secs : *ls;
}

/* Bar t (time[t], the run's bar times), back at the high after bars under it (rb_metric_acc_step
 * returned RB_ACC_BACK): the drawdown from the last bar at the high to t is over. It may be
 * the longest so far, and it is the recovery of the deepest fall when that fall's trough (at
 * time trough_at, bar trough_bar) lies in it. The clock moves to t. */
static inline void rb_metric_acc_back(double *a, size_t stride, size_t t, const rb_time *time, double trough_at,
                                      double trough_bar)
{
#define ACC(i) RB_ACC_FIELD(a, stride, RB_ACC_##i)
    double hb = ACC(HIGH_BAR), bar = (double)t, now = (double)time[t], high_time = (double)time[(size_t)hb];
    rb_metric_acc_long(a, stride, bar - hb, now - high_time);
    if (trough_at > high_time) {
        ACC(REC_AT) = now;
        ACC(REC_BARS) = bar - trough_bar;
    }
    ACC(HIGH_BAR) = bar;
#undef ACC
}

/* Sample standard deviation from the sum and the sum of squares of n values. */
static inline double rb_metric_sample_sd(double sum, double sum2, size_t n)
{
    if (n < 2) return NAN;
    double var = (sum2 - sum * sum / (double)n) / (double)(n - 1);
    return sqrt(var > 0 ? var : 0);
}

/* The sums of a run of T bars (at times time[0..T), strictly increasing) whose statistics
 * a and dd hold after bar T - 1. depleted: the last bar emptied the portfolio and has no
 * drift (it added 0): the drift's mean is over the T - 1 bars before. A drawdown still
 * running at the last bar is the current one, and may be the longest. */
static inline rb_metric_sums rb_metric_acc_sums(const rb_metric_acc *a, const rb_metric_dd *dd, size_t T,
                                                const rb_time *time, int depleted)
{
    size_t n = T - 1;
    rb_metric_acc c = *a;
    double *f = c.f, hb = f[RB_ACC_HIGH_BAR], last = (double)n, cur_bars = 0, cur_secs = 0;
    if (hb != last) {
        cur_bars = last - hb;
        cur_secs = (double)time[n] - (double)time[(size_t)hb];
        rb_metric_acc_long(f, 1, cur_bars, cur_secs);
    }
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
        .n = n,
        .sum_r = f[RB_ACC_SUM_R],
        .sum_r2 = f[RB_ACC_SUM_R2],
        .sum_r3 = f[RB_ACC_SUM_R3],
        .sum_r4 = f[RB_ACC_SUM_R4],
        .mean_dd2 = f[RB_ACC_SUM_DD2] / (double)n,
        .long_bars = f[RB_ACC_LONG_BARS],
        .long_secs = f[RB_ACC_LONG_SECS],
        .cur_bars = cur_bars,
        .cur_secs = cur_secs,
        .recovered = dd->max_dd > 0 && f[RB_ACC_REC_AT] > dd->trough_at,
        .rec_bars = f[RB_ACC_REC_BARS],
        .rec_secs = f[RB_ACC_REC_AT] - dd->trough_at,
        .sum_b = f[RB_ACC_SUM_B],
        .sum_b2 = f[RB_ACC_SUM_B2],
        .sum_rb = f[RB_ACC_SUM_RB],
        .sum_a = f[RB_ACC_SUM_A],
        .sum_a2 = f[RB_ACC_SUM_A2],
        .up_r = f[RB_ACC_UP_R],
        .up_b = f[RB_ACC_UP_B],
        .down_r = f[RB_ACC_DOWN_R],
        .down_b = f[RB_ACC_DOWN_B],
        .b_index = f[RB_ACC_B_INDEX],
    };
}

#endif /* RB_METRIC_ACC_H */
