/* metric_risk.c - the metrics from the risk and benchmark sums of the one accumulator
 * (metric_acc.h): skewness, kurtosis, ulcer index, the drawdowns' durations, the recovery
 * of the deepest, after-tax CAGR, and beta, alpha, information ratio and capture against a
 * benchmark (docs/metrics.md). Both simulators call it from rb_metrics_finish, so a sweep's
 * figures equal `rebal run`'s to the bit. */
#include <math.h>

#include "metric_acc.h"
#include "metrics.h"

#define NOISE RB_METRIC_NOISE
#define DAY 86400.0

/* Skewness and excess kurtosis from the power sums: population central moments
 * m_k = mean((r - mean r)^k), expanded from the raw moments. */
static void moments(const rb_metric_sums *s, rb_metrics *m)
{
    m->skewness = m->kurtosis = NAN;
    if (!(s->sd_r > NOISE)) return;
    double n = (double)s->n, mu = s->sum_r / n, e2 = s->sum_r2 / n, e3 = s->sum_r3 / n, e4 = s->sum_r4 / n;
    double mu2 = mu * mu;
    double m2 = e2 - mu2;
    double m3 = e3 - 3.0 * mu * e2 + 2.0 * mu2 * mu;
    double m4 = e4 - 4.0 * mu * e3 + 6.0 * mu2 * e2 - 3.0 * mu2 * mu2;
    if (!(m2 > 0)) return;
    m->skewness = m3 / (m2 * sqrt(m2));
    m->kurtosis = m4 / (m2 * m2) - 3.0;
}

/* Against the benchmark's returns b_t: beta and Jensen's alpha from the per-bar regression
 * of r - rf/P on b - rf/P, the information ratio as PerformanceAnalytics' (active premium
 * of the geometric annual rates over the tracking error), up and down capture. */
static void against_benchmark(const rb_metric_sums *s, const rb_metric_input *in, rb_metrics *m)
{
    m->beta = m->alpha = m->information_ratio = m->up_capture = m->down_capture = NAN;
    if (!in->bench) return;
    const double P = in->periods_per_year, n = (double)s->n, rf = in->rf / P;
    if (s->n >= 2) {
        double var_b = (s->sum_b2 - s->sum_b * s->sum_b / n) / (n - 1.0);
        double cov = (s->sum_rb - s->sum_r * s->sum_b / n) / (n - 1.0);
        if (var_b > NOISE * NOISE) {
            m->beta = cov / var_b;
            double a = (s->sum_r / n - rf) - m->beta * (s->sum_b / n - rf);
            m->alpha = expm1(log1p(a) * P);
        }
        double sd_a = rb_metric_sample_sd(s->sum_a, s->sum_a2, s->n);
        double bench_cagr = expm1(log(s->b_index) * P / n);
        if (sd_a > NOISE) m->information_ratio = (m->cagr - bench_cagr) / (sd_a * sqrt(P));
    }
    if (s->up_b != 0) m->up_capture = s->up_r / s->up_b;
    if (s->down_b != 0) m->down_capture = s->down_r / s->down_b;
}

void rb_metrics_finish_risk(const rb_metric_sums *s, const rb_metric_input *in, rb_metrics *m)
{
    const double P = in->periods_per_year, n = (double)s->n;
    moments(s, m);
    m->ulcer_index = sqrt(s->mean_dd2);
    m->dd_longest_bars = s->long_bars;
    m->dd_longest_days = s->long_secs / DAY;
    m->dd_current_bars = s->cur_bars;
    m->dd_current_days = s->cur_secs / DAY;
    m->recovery_bars = s->recovered ? s->rec_bars : NAN;
    m->recovery_days = s->recovered ? s->rec_secs / DAY : NAN;
    m->var_95 = m->cvar_95 = m->var_99 = m->cvar_99 = m->irr = NAN;
    m->after_tax_cagr = s->final_value > 0 && m->after_tax_value > 0
                            ? expm1(log(s->index * (m->after_tax_value / s->final_value)) * P / n)
                            : NAN;
    against_benchmark(s, in, m);
}
