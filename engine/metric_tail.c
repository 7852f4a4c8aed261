/* metric_tail.c - the metrics of a run that need its whole series, which the batch
 * simulator does not keep: historical VaR and CVaR of the per-bar returns, and the
 * money-weighted return (IRR) of a run with flows (metrics.h, rb_metrics_tail;
 * docs/metrics.md). The reference simulator's: `rebal run` and a sweep's kept runs. */
#include <math.h>
#include <stdlib.h>

#include "alloc.h"
#include "error.h"
#include "metrics.h"

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The p-quantile of the n sorted values x as R's quantile type 7 (numpy's 'linear'):
 * x[h] interpolated at h = (n - 1) p, counted from 0. */
static double quantile_sorted(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p, lo = floor(h);
    size_t k = (size_t)lo;
    if (k + 1 >= n) return x[n - 1];
    return x[k] + (h - lo) * (x[k + 1] - x[k]);
}

/* VaR and CVaR at tail probability p of the n sorted returns x, as positive losses:
 * -q and -mean(x_i <= q), q their p-quantile. */
static void tail_loss(const double *x, size_t n, double p, double *var, double *cvar)
{
    double q = quantile_sorted(x, n, p), sum = 0;
    size_t k = 0;
    while (k < n && x[k] <= q) sum += x[k++];
    *var = -q;
    *cvar = -(sum / (double)k);
}

/* The net present value of the run's cash flows at log rate y per year: bar k's flow CF_k
 * discounted by exp(-y k / P). */
static double npv(const double *cf, size_t T, double P, double y)
{
    double sum = 0;
    for (size_t k = 0; k < T; k++)
        if (cf[k] != 0) sum += cf[k] * exp(-y * (double)k / P);
    return sum;
}

/* One side of the bracket search: from the rate *y (npv *fy) a step further out to y1.
 * Returns 1 when the sign changed between them (the root lies in [*y, y1]), else moves
 * *y on (0 once the value stops being finite: that side is searched no further). */
static int bracket_side(const double *cf, size_t T, double P, double y1, double *y, double *fy, int *open)
{
    if (!*open) return 0;
    double f1 = npv(cf, T, P, y1);
    if (!isfinite(f1)) {
        *open = 0;
        return 0;
    }
    if ((f1 < 0) != (*fy < 0) || f1 == 0) return 1;
    *y = y1;
    *fy = f1;
    return 0;
}

/* The root of npv in y, bracketed from 0 outwards (the sign change nearest 0, the familiar
 * rate where several exist), then halved to the last bit. NaN when no log rate within
 * +-64 a year brackets one. */
static double irr_log_rate(const double *cf, size_t T, double P)
{
    double f0 = npv(cf, T, P, 0);
    if (f0 == 0) return 0;
    double up = 0, fup = f0, down = 0, fdown = f0, a = NAN, b = NAN, fa = 0;
    int open_up = 1, open_down = 1;
    for (double step = 1e-3; step <= 64 && isnan(a); step *= 2) {
        double y0 = up, f = fup;
        if (bracket_side(cf, T, P, step, &up, &fup, &open_up)) a = y0, fa = f, b = step;
        else if ((y0 = down, f = fdown, bracket_side(cf, T, P, -step, &down, &fdown, &open_down)))
            a = y0, fa = f, b = -step;
    }
    if (isnan(a)) return NAN;
    for (int i = 0; i < 200; i++) {
        double mid = a + (b - a) / 2;
        if (mid == a || mid == b) break;
        double fm = npv(cf, T, P, mid);
        if (fm == 0) return mid;
        if ((fm < 0) == (fa < 0)) a = mid, fa = fm;
        else b = mid;
    }
    return a + (b - a) / 2;
}

rb_status rb_metrics_tail(const rb_metric_input *in, rb_metrics *out, rb_error *err)
{
    const size_t T = in->T, n = T - 1;
    double *x = rb_malloc(T * sizeof *x);
    if (!x) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    /* r_t by the accumulator's expression (metric_acc.h, rb_metric_acc_return). */
    for (size_t t = 1; t < T; t++) {
        double inv = 1 / in->value[t - 1], f = in->flow ? in->flow[t] : 0.0;
        x[t - 1] = (in->value[t] - f) * inv - 1.0;
    }
    qsort(x, n, sizeof *x, by_value);
    tail_loss(x, n, 0.05, &out->var_95, &out->cvar_95);
    tail_loss(x, n, 0.01, &out->var_99, &out->cvar_99);

    /* The investor's flows: V_0 in at bar 0, each contribution in (withdrawals out), the
     * last value out at the end. */
    int flows = 0;
    for (size_t t = 1; in->flow && t < T; t++) flows |= in->flow[t] != 0;
    out->irr = NAN;
    if (flows) {
        x[0] = -in->value[0];
        for (size_t t = 1; t < T; t++) x[t] = -in->flow[t];
        x[T - 1] += in->value[T - 1];
        out->irr = expm1(irr_log_rate(x, T, in->periods_per_year));
    }
    free(x);
    return RB_OK;
}
