/* stats.c - the distribution of one configuration's final values over the resampled
 * histories: mean, median, 5 % and 95 % quantiles, of the values and of their excess over
 * buy-and-hold on the same history, and how often they beat it. */
#include <math.h>
#include <stdlib.h>

#include "resample.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double rb_quantile_sorted(const double *x, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo >= n - 1) return x[n - 1];
    double f = pos - (double)lo;
    return f == 0 ? x[lo] : x[lo] + f * (x[lo + 1] - x[lo]);
}

/* Mean, median, p05 and p95 of x[0..n) (sorted here); NaN for n = 0. The sum runs in the
 * sorted order, so the mean does not depend on the histories' order. */
static void describe(double *x, size_t n, double *mean, double *median, double *p05, double *p95)
{
    if (n == 0) {
        *mean = *median = *p05 = *p95 = NAN;
        return;
    }
    qsort(x, n, sizeof *x, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += x[i];
    *mean = sum / (double)n;
    *median = rb_quantile_sorted(x, n, 0.5);
    *p05 = rb_quantile_sorted(x, n, 0.05);
    *p95 = rb_quantile_sorted(x, n, 0.95);
}

void rb_resample_summarize(double *v, const double *b, size_t n, double *scratch, rb_resample_stat *out)
{
    size_t ok = 0, beat = 0;
    for (size_t h = 0; h < n; h++) {
        if (isnan(v[h]) || (b && isnan(b[h]))) continue;
        if (b) {
            scratch[ok] = v[h] - b[h];
            beat += v[h] > b[h];
        }
        v[ok++] = v[h];
    }
    out->histories = ok;
    describe(v, ok, &out->mean, &out->median, &out->p05, &out->p95);
    if (b) describe(scratch, ok, &out->excess_mean, &out->excess_median, &out->excess_p05, &out->excess_p95);
    else out->excess_mean = out->excess_median = out->excess_p05 = out->excess_p95 = NAN;
    out->p_beat = b && ok ? (double)beat / (double)ok : NAN;
}
