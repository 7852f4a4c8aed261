/* stitch.c - the figures of a stitched out-of-sample curve and of the in-sample winner's over
 * the same bars (rebal.h: rb_oos_stats; docs/sweeps.md, "Out of sample"). */
#include <math.h>

#include "oos.h"

void rb_oos_stats_of(const double *value, size_t count, double capital, double periods_per_year, rb_oos_stats *out)
{
    *out = (rb_oos_stats){NAN, NAN, NAN, NAN, NAN, NAN};
    if (count < 2 || !(capital > 0) || isnan(value[count - 1])) return;
    size_t n = count - 1;
    double P = periods_per_year, sum = 0, peak = capital, dd = 0;
    for (size_t t = 1; t < count; t++) {
        sum += value[t] / value[t - 1] - 1;
        if (value[t] > peak) peak = value[t];
        double fall = 1 - value[t] / peak;
        if (fall > dd) dd = fall;
    }
    double mean = sum / (double)n, ss = 0;
    for (size_t t = 1; t < count; t++) {
        double d = value[t] / value[t - 1] - 1 - mean;
        ss += d * d;
    }
    double sd = n >= 2 ? sqrt(ss / (double)(n - 1)) : NAN;
    out->final_value = value[count - 1];
    out->total_return = value[count - 1] / capital - 1;
    out->cagr = pow(value[count - 1] / capital, P / (double)n) - 1;
    out->ann_vol = sd * sqrt(P);
    out->sharpe = sd > 1e-12 ? sqrt(P) * mean / sd : NAN;
    out->max_drawdown = dd;
}
