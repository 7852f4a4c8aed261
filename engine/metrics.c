/* metrics.c - the metrics of one run (docs/engine.md, "Metrics"; user-facing definitions in
 * docs/metrics.md) from its value series, flows, weights and recorded totals, and the table
 * of double-valued metrics that reports, JSON and 'rebal help metrics' walk. */
#include "metrics.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "metric_acc.h"

/* Per-period return units. A denominator (stdev, downside deviation, drawdown) at or below
 * this is floating-point noise, not risk: values computed in double carry relative errors
 * of about 1e-16 per bar, so a series that is constant in exact arithmetic (a cash-only
 * portfolio, a flat price) shows a stdev of ~1e-17, and dividing by it would report a
 * ratio of ~1e15. No traded asset has a per-bar stdev near 1e-12 (1.6e-11 a year daily). */
#define NOISE RB_METRIC_NOISE

/* ---------------------------------------------------------------- the metric table */

#define ROW(field, unit, definition) {#field, unit, definition, offsetof(rb_metrics, field), 0}
#define ROW_SERIES(field, unit, definition) {#field, unit, definition, offsetof(rb_metrics, field), 1}

static const rb_metric_info metric_table[] = {
    ROW(final_value, "USD", "V_{T-1}, the portfolio value at the last close"),
    ROW(total_return, "fraction",
        "prod(1 + r_t) - 1, r_t = (V_t - F_t) / V_{t-1} - 1 (flows F_t are not return)"),
    ROW(cagr, "fraction", "prod(1 + r_t)^(P / n) - 1"),
    ROW(ann_vol, "fraction", "stdev(r) * sqrt(P), sample stdev (n - 1)"),
    ROW(sharpe, "ratio", "sqrt(P) * mean(r - rf / P) / stdev(r)"),
    ROW(sortino, "ratio", "sqrt(P) * mean(r) / sqrt(mean(min(r, 0)^2)), downside over all n returns"),
    ROW(max_drawdown, "fraction",
        "largest fall of the growth index prod(1 + r) from a running peak, a positive fraction; "
        "the start counts as a peak"),
    ROW(calmar, "ratio", "cagr / max_drawdown"),
    ROW(rebalances, "count", "rebalances that traded (the first allocation excluded)"),
    ROW(turnover, "per year",
        "one-way: sum of traded value / 2 / mean(V) / (n / P), first allocation and flows excluded"),
    ROW(turnover_2way, "per year",
        "two-way: sum of traded value / mean(V) / (n / P), first allocation and flows excluded"),
    ROW(fees_paid, "USD", "commissions (and AMM pool fees) paid over the run"),
    ROW(slippage_paid, "USD", "fixed slippage, half spreads and price impact paid over the run"),
    ROW(gas_paid, "USD", "gas paid over the run"),
    ROW(taxes_paid, "USD", "capital-gains tax paid over the run"),
    ROW(after_tax_value, "USD",
        "V_end - pending tax - tax that selling everything at the last close would add"),
    ROW(avg_drift, "fraction",
        "mean over bars of sum_i |w_t[i] - target[i]| / 2 (uninvested cash counts with target 0)"),
    ROW(tracking_error, "fraction",
        "stdev(r_t - c_t) * sqrt(P), c_t = sum_i target[i] * close[t][i] / close[t-1][i] - 1 "
        "(the targets rebalanced every bar at no cost)"),
    ROW(rebalancing_bonus, "fraction",
        "P * mean_t (sum_i target[i] s_i^2 - target' S target) / 2, S the sample covariance of "
        "the simple returns over the last P bars up to t (at least 2 returns)"),
    /* the perpetual-futures overlay (engine/overlay.h): 0 on a run without one */
    ROW(funding_paid, "USD", "perp funding paid over the run (negative: received); longs pay a positive rate"),
    ROW(perp_fees_paid, "USD", "perp trading fees (--perp-fee-bps of traded notional) paid over the run"),
    ROW(liquidations, "count", "liquidations of the overlay (collateral below --maintenance-margin)"),
    ROW(liquidation_cost, "USD", "liquidation fees paid (--liquidation-fee-bps of the notional liquidated)"),
    ROW(overlay_notional_avg, "fraction", "mean over bars of the gross perp notional sum_i |q_i| p_i / V at the close"),
    ROW(overlay_notional_peak, "fraction", "largest gross perp notional / V at a close"),
    ROW(tax_deferred, "USD",
        "tax by the end (paid + due on the year's realized gains) of the same rule trading spot, less the "
        "overlay's"),
    ROW(beta, "ratio", "cov(r, b) / var(b), b_t the benchmark's return (--benchmark)"),
    ROW(alpha, "fraction",
        "(1 + a)^P - 1, a = mean(r - rf / P) - beta * mean(b - rf / P), the regression's intercept per bar"),
    ROW(information_ratio, "ratio",
        "(cagr - the benchmark's cagr) / (stdev(r - b) * sqrt(P)), as PerformanceAnalytics"),
    ROW(up_capture, "ratio", "sum of r_t over the bars with b_t > 0 / sum of b_t over them"),
    ROW(down_capture, "ratio", "sum of r_t over the bars with b_t < 0 / sum of b_t over them"),
    ROW(skewness, "ratio", "m3 / m2^1.5, m_k = mean((r - mean(r))^k) (population moments)"),
    ROW(kurtosis, "ratio", "m4 / m2^2 - 3, excess kurtosis from population moments"),
    ROW(ulcer_index, "fraction", "sqrt(mean over the n returns' bars of (1 - G_t / max_{s <= t} G_s)^2)"),
    ROW(dd_longest_bars, "bars",
        "longest drawdown: bars from the last bar at a high to the bar back at it (or the last bar)"),
    ROW(dd_longest_days, "days", "longest drawdown in calendar days, from the high to the recovery (or the last bar)"),
    ROW(dd_current_bars, "bars", "the drawdown the run ends in: bars since the last high (0 at a high)"),
    ROW(dd_current_days, "days", "the drawdown the run ends in: days since the last high (0 at a high)"),
    ROW(recovery_bars, "bars", "bars from the trough of max_drawdown back to its high (null: not recovered)"),
    ROW(recovery_days, "days", "days from the trough of max_drawdown back to its high (null: not recovered)"),
    ROW_SERIES(var_95, "fraction", "historical VaR: -quantile(r, 0.05), R's type 7 (linear); run and kept runs only"),
    ROW_SERIES(cvar_95, "fraction", "historical CVaR: -mean(r_t <= quantile(r, 0.05)); run and kept runs only"),
    ROW_SERIES(var_99, "fraction", "historical VaR: -quantile(r, 0.01), R's type 7 (linear); run and kept runs only"),
    ROW_SERIES(cvar_99, "fraction", "historical CVaR: -mean(r_t <= quantile(r, 0.01)); run and kept runs only"),
    ROW(after_tax_cagr, "fraction", "(G_{T-1} * after_tax_value / final_value)^(P / n) - 1"),
    ROW_SERIES(irr, "fraction",
        "money-weighted return: the rate x with sum_k CF_k (1 + x)^(-k / P) = 0 over the bars' flows "
        "(-V_0, -F_t, +V_{T-1}); runs with contributions or withdrawals, run and kept runs only"),
};

#undef ROW
#undef ROW_SERIES

#define METRIC_COUNT (sizeof metric_table / sizeof metric_table[0])

/* The double-valued metrics are exactly the leading members of rb_metrics, up to
 * max_drawdown_peak; tests/test_metrics.c checks each row's offset against its field. */
_Static_assert(METRIC_COUNT == offsetof(rb_metrics, max_drawdown_peak) / sizeof(double),
               "one table row per double-valued metric");
_Static_assert(offsetof(rb_metrics, final_value) == 0 &&
                   offsetof(rb_metrics, irr) == (METRIC_COUNT - 1) * sizeof(double),
               "the double-valued metrics lead rb_metrics, first final_value, last irr");

const rb_metric_info *rb_metric_table(size_t *n)
{
    if (n) *n = METRIC_COUNT;
    return metric_table;
}

/* ---------------------------------------------------------------- the series */

/* c_t: the return of the targets rebalanced every bar at no cost: from the matrix's growth
 * factors, as the batch simulator takes it (metric_acc.h), when the caller gave them. */
static double mix_return(const rb_metric_input *in, size_t t)
{
    if (in->growth) return rb_metric_mix_return(in->target, in->growth + t * in->N, in->N);
    double c = 0.0;
    for (size_t i = 0; i < in->N; i++)
        c += in->target[i] * (in->close[t * in->N + i] / in->close[(t - 1) * in->N + i]);
    return c - 1.0;
}

/* ---------------------------------------------------------------- validation */

/* "40 seconds", "16.7 minutes", "23.5 hours": a span under a day, for a message. */
static void describe_span(double seconds, char *buf, size_t len)
{
    if (seconds < 120) snprintf(buf, len, "%g second%s", seconds, seconds == 1 ? "" : "s");
    else if (seconds < 7200) snprintf(buf, len, "%.1f minutes", seconds / 60);
    else snprintf(buf, len, "%.1f hours", seconds / 3600);
}

rb_status rb_metrics_check_periods(const rb_time *time, size_t T, double periods_per_year, int inferred,
                                   const char *source, rb_error *err)
{
    if (!inferred || T < 2) return RB_OK;
    double span = (double)time[T - 1] - (double)time[0];
    if (span < 86400) {
        char len[48], a[32], b[32];
        describe_span(span, len, sizeof len);
        return rb_fail(err, RB_ERR_DATA,
                       "metrics: the %zu bars span only %s (%s to %s), under one day, too little to infer "
                       "periods per year; pass --periods-per-year with the number of bars in a year of this data",
                       T, len, rb_time_format(time[0], a), rb_time_format(time[T - 1], b));
    }
    if (periods_per_year > RB_MAX_INFERRED_PERIODS)
        return rb_fail(err, RB_ERR_DATA,
                       "metrics: %.10g periods per year inferred (%s), over %.0f: bars this fine are annualized "
                       "only with an explicit --periods-per-year (e.g. 525960 for 24/7 minute bars, 98280 for "
                       "390-minute trading days)",
                       periods_per_year, source && *source ? source : "from the bar times", RB_MAX_INFERRED_PERIODS);
    return RB_OK;
}

/* The run's series, bar by bar: what the simulation produced from the data (RB_ERR_DATA),
 * not a caller's mistake. */
static rb_status check_series(const rb_metric_input *in, rb_error *err)
{
    char when[32];
    for (size_t t = 0; t < in->T; t++) {
        double v = in->value[t];
        /* A withdrawal that empties the portfolio leaves nothing on the last bar of a
         * depleted run; its return is measured before the flow, below. */
        int emptied = in->depleted && t == in->T - 1 && v >= 0;
        if (!isfinite(v)) return rb_metrics_overflow(t, in->time[t], v, err);
        if (v <= 0 && !emptied)
            return rb_fail(err, RB_ERR_DATA, "metrics: portfolio value at bar %zu (%s) is %g; values must be positive",
                           t, rb_time_format(in->time[t], when), v);
        if (in->flow && !isfinite(in->flow[t]))
            return rb_fail(err, RB_ERR_DATA, "metrics: flow at bar %zu (%s) is %g", t,
                           rb_time_format(in->time[t], when), in->flow[t]);
        /* The value before the bar's flow: a flow cannot hide a wipe-out, whose return
         * (-100 % or worse) would make every compounded metric meaningless. */
        if (t > 0 && in->flow && !(v - in->flow[t] > 0))
            return rb_fail(err, RB_ERR_DATA,
                           "metrics: portfolio value before the flow at bar %zu (%s) is %g "
                           "(value %g, flow %g); values must be positive",
                           t, rb_time_format(in->time[t], when), v - in->flow[t], v, in->flow[t]);
        for (size_t i = 0; i < in->N; i++) {
            double c = in->close[t * in->N + i], w = in->weights[t * in->N + i];
            if (!isfinite(c) || c <= 0)
                return rb_fail(err, RB_ERR_DATA,
                               "metrics: close of asset %zu at bar %zu (%s) is %g; closes must be "
                               "positive",
                               i, t, rb_time_format(in->time[t], when), c);
            if (!isfinite(w))
                return rb_fail(err, RB_ERR_DATA, "metrics: weight of asset %zu at bar %zu (%s) is %g",
                               i, t, rb_time_format(in->time[t], when), w);
        }
    }
    return RB_OK;
}

rb_status rb_metrics_overflow(size_t t, rb_time when, double v, rb_error *err)
{
    char date[32], value[32];
    if (isnan(v)) snprintf(value, sizeof value, "not a number");
    else snprintf(value, sizeof value, "%g", v);
    return rb_fail(err, RB_ERR_DATA,
                   "portfolio value at bar %zu (%s) is %s: the arithmetic overflowed (" RB_OVERFLOW_HINT ")",
                   t, rb_time_format(when, date), value);
}

rb_status rb_metrics_check_sums(const rb_metric_sums *s, rb_error *err)
{
    if (isfinite(s->final_value) && isfinite(s->mean_value) && isfinite(s->index)) return RB_OK;
    const char *what = !isfinite(s->final_value) ? "final value"
                       : !isfinite(s->mean_value) ? "mean value over the bars"
                                                  : "growth index";
    return rb_fail(err, RB_ERR_DATA,
                   "the arithmetic overflowed: the portfolio's %s is not a finite number (" RB_OVERFLOW_HINT ")",
                   what);
}

static rb_status check_input(const rb_metric_input *in, rb_error *err)
{
    if (!in) return rb_fail(err, RB_ERR_USAGE, "metrics: no input");
    if (in->T < 2)
        return rb_fail(err, RB_ERR_USAGE, "metrics: need at least 2 bars to have a return, got %zu",
                       in->T);
    if (!in->time || !in->value || !in->close || !in->target || !in->weights)
        return rb_fail(err, RB_ERR_USAGE, "metrics: %s series is missing",
                       !in->time ? "the bar time" : !in->value ? "the value" : !in->close ? "the close"
                       : !in->target ? "the target weight" : "the weight");
    if (in->dsum && !in->cash) return rb_fail(err, RB_ERR_USAGE, "metrics: the cash series is missing");
    if (in->N == 0) return rb_fail(err, RB_ERR_USAGE, "metrics: the run has no assets");
    if (!isfinite(in->periods_per_year) || in->periods_per_year <= 0)
        return rb_fail(err, RB_ERR_USAGE,
                       "metrics: periods per year must be a positive number, got %g",
                       in->periods_per_year);
    rb_status rc = rb_metrics_check_periods(in->time, in->T, in->periods_per_year, in->periods_inferred,
                                            in->periods_source, err);
    if (rc != RB_OK) return rc;
    for (size_t i = 0; i < in->N; i++)
        if (!isfinite(in->target[i]))
            return rb_fail(err, RB_ERR_USAGE, "metrics: target weight of asset %zu is %g", i,
                           in->target[i]);
    return check_series(in, err);
}

/* ---------------------------------------------------------------- shared finishing */

void rb_metrics_finish(const rb_metric_sums *s, const rb_metric_input *in, double bonus, rb_metrics *out)
{
    const size_t T = in->T, n = T - 1;
    const double P = in->periods_per_year, dn = (double)n;
    rb_metrics m = {0};
    m.final_value = s->final_value;
    m.total_return = s->index - 1.0;
    m.cagr = expm1(log(s->index) * P / dn);
    m.ann_vol = s->sd_r * sqrt(P);
    m.sharpe = s->sd_r > NOISE ? sqrt(P) * (s->mean_r - in->rf / P) / s->sd_r : NAN;
    double downside = sqrt(s->mean_down2);
    m.sortino = downside > NOISE ? sqrt(P) * s->mean_r / downside : NAN;
    m.max_drawdown = s->max_dd;
    m.max_drawdown_peak = s->dd_peak;
    m.max_drawdown_trough = s->dd_trough;
    m.depleted = in->depleted != 0;
    m.depleted_on = in->depleted ? in->time[T - 1] : 0;
    m.calmar = s->max_dd > 0.0 ? m.cagr / s->max_dd : NAN;

    m.rebalances = in->rebalances;
    double years = dn / P;
    m.turnover = in->traded_value / 2.0 / s->mean_value / years;
    m.turnover_2way = in->traded_value / s->mean_value / years;
    m.fees_paid = in->fees;
    m.slippage_paid = in->slippage;
    m.gas_paid = in->gas;
    m.taxes_paid = in->taxes;
    m.after_tax_value = in->after_tax_value;

    m.avg_drift = s->mean_drift;
    m.tracking_error = s->sd_e * sqrt(P);
    m.rebalancing_bonus = bonus;
    rb_metrics_finish_risk(s, in, &m);

    m.bars = T;
    m.start = in->time[0];
    m.end = in->time[T - 1];
    m.periods_per_year = P;
    snprintf(m.periods_source, sizeof m.periods_source, "%s", in->periods_source ? in->periods_source : "");
    m.rf = in->rf;
    snprintf(m.exec_note, sizeof m.exec_note, "%s", in->exec_note ? in->exec_note : "");
    *out = m;
}

/* ---------------------------------------------------------------- the metrics */

/* The drift of bar t from the recorded weights, when the simulator gave no dsum series:
 * the L1 distance to the targets in force over every position, the uninvested cash
 * (weight 1 - sum w, target 0) included (twice the fraction of the portfolio a rebalance
 * must move: rb_metric_drift halves it). */
static double distance_of_weights(const rb_metric_input *in, size_t t)
{
    const size_t N = in->N;
    double dist = 0.0, invested = 0.0;
    const double *target = in->target_path ? in->target_path + t * N : in->target;
    for (size_t i = 0; i < N; i++) {
        double w = in->weights[t * N + i];
        dist += fabs(w - target[i]);
        invested += w;
    }
    return dist + fabs(1.0 - invested);
}

/* The parts of bar t's drift (rb_metric_drift): the simulator's sum of |w - t| and its
 * cash when it gave them, else the distance from the weights and no cash. */
static void drift_parts(const rb_metric_input *in, size_t t, double *dsum, double *cash)
{
    *dsum = in->dsum ? in->dsum[t] : distance_of_weights(in, t);
    *cash = in->dsum ? in->cash[t] : 0.0;
}

rb_status rb_metrics_compute(const rb_metric_input *in, rb_metrics *out, rb_error *err)
{
    if (!out) return rb_fail(err, RB_ERR_USAGE, "metrics: no output");
    rb_status st = check_input(in, err);
    if (st != RB_OK) return st;

    /* One pass through the accumulator the batch simulator runs for every configuration
     * (metric_acc.h), with the same inputs: each bar's value, flow, reciprocal of the
     * value, the drift's parts and the constant mix's return. */
    const size_t T = in->T;
    rb_metric_acc acc;
    rb_metric_dd dd = {0, in->time[0], in->time[0], (double)in->time[0], 0};
    double dsum, cash;
    drift_parts(in, 0, &dsum, &cash);
    rb_metric_acc_start(acc.f, 1, &acc.peak_time, in->value[0], 1 / in->value[0], dsum, cash, in->time[0]);
    for (size_t t = 1; t < T; t++) {
        double v = in->value[t], inv = 1 / v, flow = in->flow ? in->flow[t] : 0.0;
        drift_parts(in, t, &dsum, &cash);
        /* The bar that emptied a depleted run has no weights: it adds no drift (as the batch
         * simulator takes it: dsum and inv 0). */
        if (in->depleted && t == T - 1) dsum = inv = 0.0;
        if (in->bench) rb_metric_acc_bench(acc.f, 1, v, flow, in->bench[t]);
        int64_t rare = rb_metric_acc_step(acc.f, 1, &acc.peak_time, v, flow, inv, dsum, cash, mix_return(in, t),
                                          rb_metric_dd_fields(&dd), (double)t, in->time[t]);
        if (rare & RB_ACC_BACK) rb_metric_acc_back(acc.f, 1, t, in->time, dd.trough_at, dd.trough_bar);
    }
    rb_metric_sums sums = rb_metric_acc_sums(&acc, &dd, T, in->time, in->depleted);
    st = rb_metrics_check_sums(&sums, err);
    if (st != RB_OK) return st;
    rb_metrics m;
    rb_metrics_finish(&sums, in, rb_metrics_bonus(in), &m);
    st = rb_metrics_tail(in, &m, err);
    if (st != RB_OK) return st;
    *out = m;
    return RB_OK;
}
