/* test_metrics.c - every metric of rb_metrics_compute against answers worked out by hand on
 * 2-6 bar series (the arithmetic is in the comments): flows, drawdowns and their dates, the
 * undefined ratios, turnover, drift, tracking error, the rebalancing bonus, the refused
 * inputs, and the metric table's agreement with struct rb_metrics. */
#include <criterion/criterion.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "metrics.h"
#include "rebal.h"

#define DAY INT64_C(86400)
#define T0 INT64_C(1577836800) /* 2020-01-01 00:00:00 UTC */
#define EPS 1e-12

/* Bar times: one a day from 2020-01-01. */
static const rb_time days[8] = {T0,           T0 + 1 * DAY, T0 + 2 * DAY, T0 + 3 * DAY,
                                T0 + 4 * DAY, T0 + 5 * DAY, T0 + 6 * DAY, T0 + 7 * DAY};

/* A run of T bars over N assets; the caller fills the arrays it needs. Defaults: no flows,
 * rf 0, nothing traded, every weight at target. */
typedef struct run {
    size_t T, N;
    double value[8], flow[8];
    double close[8 * 2], weights[8 * 2], target[2];
    int has_flow;
} run;

static rb_metric_input input_of(const run *r, double P)
{
    rb_metric_input in;
    memset(&in, 0, sizeof in);
    in.T = r->T;
    in.time = days;
    in.value = r->value;
    in.flow = r->has_flow ? r->flow : NULL;
    in.N = r->N;
    in.close = r->close;
    in.target = r->target;
    in.weights = r->weights;
    in.periods_per_year = P;
    in.periods_source = "set by the test";
    return in;
}

/* One asset that is the whole portfolio: its close is the value, weight 1 throughout. */
static run single(size_t T, const double *value)
{
    run r;
    memset(&r, 0, sizeof r);
    r.T = T;
    r.N = 1;
    r.target[0] = 1.0;
    for (size_t t = 0; t < T; t++) {
        r.value[t] = value[t];
        r.close[t] = value[t];
        r.weights[t] = 1.0;
    }
    return r;
}

/* Two assets with the given closes (a and b per bar), targets and portfolio values; weights
 * at target unless set afterwards. */
static run pair(size_t T, const double *a, const double *b, double wa, double wb, const double *value)
{
    run r;
    memset(&r, 0, sizeof r);
    r.T = T;
    r.N = 2;
    r.target[0] = wa;
    r.target[1] = wb;
    for (size_t t = 0; t < T; t++) {
        r.value[t] = value ? value[t] : 100.0;
        r.close[2 * t] = a[t];
        r.close[2 * t + 1] = b[t];
        r.weights[2 * t] = wa;
        r.weights[2 * t + 1] = wb;
    }
    return r;
}

static rb_metrics compute_ok(const rb_metric_input *in)
{
    rb_metrics m;
    rb_error err = {0};
    rb_status st = rb_metrics_compute(in, &m, &err);
    cr_assert_eq(st, RB_OK, "rb_metrics_compute failed: %s", err.msg);
    return m;
}

#define expect_near(got, want, what) \
    cr_expect(fabs((got) - (want)) <= EPS * (1.0 + fabs(want)), "%s: got %.17g, want %.17g", what, \
              (double)(got), (double)(want))
#define expect_nan(got, what) cr_expect(isnan(got), "%s: got %.17g, want NaN (null)", what, (double)(got))

/* ---------------------------------------------------------------- returns and ratios */

Test(metrics, returns_volatility_and_ratios)
{
    /* V = 100, 110, 99, 108.9: r = +0.1, -0.1, +0.1, n = 3, P = 6, rf = 6 % a year. */
    const double v[] = {100, 110, 99, 108.9};
    run r = single(4, v);
    rb_metric_input in = input_of(&r, 6);
    in.rf = 0.06;
    rb_metrics m = compute_ok(&in);

    expect_near(m.final_value, 108.9, "final_value");
    /* 1.1 * 0.9 * 1.1 - 1 = 1.089 - 1 */
    expect_near(m.total_return, 0.089, "total_return");
    /* 1.089^(6 / 3) - 1 = 1.185921 - 1 */
    expect_near(m.cagr, 0.185921, "cagr");
    /* mean 1/30; deviations 1/15, -2/15, 1/15; squares sum 6/225; / (n-1) = 1/75.
     * ann_vol = sqrt(1/75) * sqrt(6) = sqrt(0.08) */
    expect_near(m.ann_vol, sqrt(0.08), "ann_vol");
    /* (mean - rf/P) = 1/30 - 0.01 = 7/300; sharpe = sqrt(6) * (7/300) / sqrt(1/75)
     * = 7 * sqrt(450) / 300 = 7 * sqrt(2) / 20 = 0.49497474683... */
    expect_near(m.sharpe, 7.0 * sqrt(2.0) / 20.0, "sharpe");
    /* downside: mean(min(r,0)^2) = 0.01 / 3; sortino = sqrt(6) * (1/30) / (0.1 / sqrt(3))
     * = sqrt(18) / 3 = sqrt(2) */
    expect_near(m.sortino, sqrt(2.0), "sortino");
    /* index 1, 1.1, 0.99, 1.089: from the peak 1.1 (bar 1) down to 0.99 (bar 2) = 10 % */
    expect_near(m.max_drawdown, 0.1, "max_drawdown");
    cr_expect_eq(m.max_drawdown_peak, days[1]);
    cr_expect_eq(m.max_drawdown_trough, days[2]);
    /* 0.185921 / 0.1 */
    expect_near(m.calmar, 1.85921, "calmar");

    /* the single asset is the portfolio: c_t = r_t, no drift, no bonus */
    expect_near(m.tracking_error, 0.0, "tracking_error");
    expect_near(m.avg_drift, 0.0, "avg_drift");
    cr_expect_eq(m.rebalancing_bonus, 0.0, "one asset has no bonus: got %.17g", m.rebalancing_bonus);

    cr_expect_eq(m.bars, 4);
    cr_expect_eq(m.start, days[0]);
    cr_expect_eq(m.end, days[3]);
    cr_expect_eq(m.periods_per_year, 6.0);
    cr_expect_eq(m.rf, 0.06);
    cr_expect_str_eq(m.periods_source, "set by the test");
}

Test(metrics, rf_is_per_year_and_only_in_sharpe)
{
    /* Same returns with rf = 0: sharpe = sqrt(6) * (1/30) / sqrt(1/75) = sqrt(450) / 30
     * = sqrt(2) / 2; sortino does not depend on rf. */
    const double v[] = {100, 110, 99, 108.9};
    run r = single(4, v);
    rb_metric_input in = input_of(&r, 6);
    rb_metrics m = compute_ok(&in);
    expect_near(m.sharpe, sqrt(2.0) / 2.0, "sharpe at rf 0");
    expect_near(m.sortino, sqrt(2.0), "sortino");
    cr_expect_eq(m.rf, 0.0);
}

Test(metrics, flows_are_not_return)
{
    /* A contribution of 100 at bar 1 and a withdrawal of 50 at bar 3:
     * V = 100, 210, 231, 157.9; F = (ignored), +100, 0, -50
     * r1 = (210 - 100) / 100 - 1 = 0.1; r2 = 231 / 210 - 1 = 0.1;
     * r3 = (157.9 + 50) / 231 - 1 = 207.9 / 231 - 1 = -0.1.
     * Without the flows the value would have gained 110 % at bar 1. */
    run r = single(4, (const double[]){100, 210, 231, 157.9});
    r.has_flow = 1;
    r.flow[0] = 100; /* bar 0 starts the index: its flow is the initial capital, not a return */
    r.flow[1] = 100;
    r.flow[3] = -50;
    /* the asset rose 10 %, 10 % and fell 10 %: the portfolio tracked it exactly */
    const double close[] = {10, 11, 12.1, 10.89};
    memcpy(r.close, close, sizeof close);
    rb_metric_input in = input_of(&r, 12);
    in.traded_value = 30;
    rb_metrics m = compute_ok(&in);

    /* 1.1 * 1.1 * 0.9 - 1 */
    expect_near(m.total_return, 0.089, "total_return");
    /* 1.089^(12 / 3) - 1 = 1.406408... */
    expect_near(m.cagr, pow(1.089, 4.0) - 1.0, "cagr");
    /* index 1, 1.1, 1.21, 1.089: peak bar 2, trough bar 3, 1 - 1.089 / 1.21 = 0.1 */
    expect_near(m.max_drawdown, 0.1, "max_drawdown");
    cr_expect_eq(m.max_drawdown_peak, days[2]);
    cr_expect_eq(m.max_drawdown_trough, days[3]);
    expect_near(m.final_value, 157.9, "final_value is V_{T-1}, flows included");
    /* mean V = (100 + 210 + 231 + 157.9) / 4 = 174.725 over all 4 bars, n / P = 3 / 12:
     * one-way 30 / 2 / 174.725 / 0.25 = 0.34339676634711689... */
    expect_near(m.turnover, 0.34339676634711689, "turnover");
    expect_near(m.turnover_2way, 2 * 0.34339676634711689, "turnover_2way");
    /* portfolio return equals the asset's: no tracking error */
    expect_near(m.tracking_error, 0.0, "tracking_error");
}

Test(metrics, constant_returns_leave_sharpe_undefined)
{
    /* V = 100, 210, 231 with +100 at bar 1: r = 0.1, 0.1 exactly (the same double):
     * stdev 0 -> sharpe null; no negative return -> sortino null; no drawdown -> calmar null. */
    run r = single(3, (const double[]){100, 210, 231});
    r.has_flow = 1;
    r.flow[1] = 100;
    rb_metric_input in = input_of(&r, 2);
    rb_metrics m = compute_ok(&in);
    expect_near(m.total_return, 0.21, "total_return");
    /* n = 2, P = 2: cagr = total return */
    expect_near(m.cagr, 0.21, "cagr");
    cr_expect_eq(m.ann_vol, 0.0, "ann_vol %.17g", m.ann_vol);
    expect_nan(m.sharpe, "sharpe");
    expect_nan(m.sortino, "sortino");
    cr_expect_eq(m.max_drawdown, 0.0);
    expect_nan(m.calmar, "calmar");
}

Test(metrics, flat_series)
{
    /* V constant: every return 0. total 0, cagr 0, vol 0, every ratio null. */
    run r = single(3, (const double[]){100, 100, 100});
    rb_metric_input in = input_of(&r, 252);
    rb_metrics m = compute_ok(&in);
    cr_expect_eq(m.total_return, 0.0);
    cr_expect_eq(m.cagr, 0.0);
    cr_expect_eq(m.ann_vol, 0.0);
    expect_nan(m.sharpe, "sharpe");
    expect_nan(m.sortino, "sortino");
    expect_nan(m.calmar, "calmar");
    cr_expect_eq(m.max_drawdown, 0.0);
    cr_expect_eq(m.max_drawdown_peak, days[0]);
    cr_expect_eq(m.max_drawdown_trough, days[0]);
}

Test(metrics, one_return)
{
    /* T = 2: r = -0.1, n = 1, P = 4. No sample stdev with one return: ann_vol, sharpe and
     * tracking error are null, and there is no window of 2 returns for the bonus. Sortino
     * is defined: sqrt(4) * (-0.1) / sqrt(0.01) = -2. */
    run r = single(2, (const double[]){100, 90});
    rb_metric_input in = input_of(&r, 4);
    rb_metrics m = compute_ok(&in);
    expect_near(m.total_return, -0.1, "total_return");
    /* 0.9^4 - 1 = 0.6561 - 1 */
    expect_near(m.cagr, -0.3439, "cagr");
    expect_nan(m.ann_vol, "ann_vol");
    expect_nan(m.sharpe, "sharpe");
    expect_near(m.sortino, -2.0, "sortino");
    expect_nan(m.tracking_error, "tracking_error");
    expect_nan(m.rebalancing_bonus, "rebalancing_bonus");
    /* the start is a peak: 1 -> 0.9 is a 10 % drawdown from bar 0 to bar 1 */
    expect_near(m.max_drawdown, 0.1, "max_drawdown");
    cr_expect_eq(m.max_drawdown_peak, days[0]);
    cr_expect_eq(m.max_drawdown_trough, days[1]);
    /* -0.3439 / 0.1 */
    expect_near(m.calmar, -3.439, "calmar");
}

/* ---------------------------------------------------------------- drawdowns */

Test(metrics, no_drawdown)
{
    /* V = 100, 100, 105, 110: never below the running high (a flat bar is not a fall). */
    run r = single(4, (const double[]){100, 100, 105, 110});
    rb_metric_input in = input_of(&r, 3);
    rb_metrics m = compute_ok(&in);
    cr_expect_eq(m.max_drawdown, 0.0);
    cr_expect_eq(m.max_drawdown_peak, days[0]);
    cr_expect_eq(m.max_drawdown_trough, days[0]);
    expect_nan(m.calmar, "calmar");
    /* r = 0, 0.05, 1/21: no negative return */
    expect_nan(m.sortino, "sortino");
    /* total 0.1 over n = 3 at P = 3: cagr = 0.1; the stdev is positive so sharpe exists */
    expect_near(m.cagr, 0.1, "cagr");
    cr_expect(isfinite(m.sharpe) && m.sharpe > 0);
}

Test(metrics, deepest_drawdown_and_its_dates)
{
    /* V = 100, 120, 90, 60, 130, 104:
     * from 120 (bar 1): 90 -> 25 %, 60 -> 50 %; new high 130 (bar 4); 104 -> 20 %.
     * The deepest is 50 %, peak bar 1, trough bar 3. */
    run r = single(6, (const double[]){100, 120, 90, 60, 130, 104});
    rb_metric_input in = input_of(&r, 5);
    rb_metrics m = compute_ok(&in);
    expect_near(m.max_drawdown, 0.5, "max_drawdown");
    cr_expect_eq(m.max_drawdown_peak, days[1]);
    cr_expect_eq(m.max_drawdown_trough, days[3]);
    /* total 1.04 over n = 5 at P = 5: cagr 0.04; calmar 0.04 / 0.5 = 0.08 */
    expect_near(m.calmar, 0.08, "calmar");
}

Test(metrics, first_bar_loss_is_a_drawdown_from_the_start)
{
    /* V = 100, 80, 90: the start is the peak; 1 -> 0.8 = 20 % at bar 1. */
    run r = single(3, (const double[]){100, 80, 90});
    rb_metric_input in = input_of(&r, 12);
    rb_metrics m = compute_ok(&in);
    expect_near(m.max_drawdown, 0.2, "max_drawdown");
    cr_expect_eq(m.max_drawdown_peak, days[0]);
    cr_expect_eq(m.max_drawdown_trough, days[1]);
}

Test(metrics, repeated_high_dates_the_fall_from_its_last_bar)
{
    /* V = 100, 120, 120, 90: the high is held on bars 1 and 2; the fall of 25 % starts at
     * bar 2. */
    run r = single(4, (const double[]){100, 120, 120, 90});
    rb_metric_input in = input_of(&r, 12);
    rb_metrics m = compute_ok(&in);
    expect_near(m.max_drawdown, 0.25, "max_drawdown");
    cr_expect_eq(m.max_drawdown_peak, days[2]);
    cr_expect_eq(m.max_drawdown_trough, days[3]);
}

/* ---------------------------------------------------------------- trading and costs */

Test(metrics, turnover_counts_and_costs)
{
    /* V = 100, 110, 99, 108.9 (mean 417.9 / 4 = 104.475), n = 3, P = 6 (half a year),
     * traded 50: one-way 50 / 2 / 104.475 / 0.5 = 0.47858339315625753, two-way twice that. */
    const double v[] = {100, 110, 99, 108.9};
    run r = single(4, v);
    rb_metric_input in = input_of(&r, 6);
    in.rebalances = 3;
    in.traded_value = 50;
    in.fees = 1.25;
    in.slippage = 0.5;
    in.gas = 2;
    in.taxes = 7.5;
    in.after_tax_value = 101.25;
    rb_metrics m = compute_ok(&in);
    expect_near(m.turnover, 0.47858339315625753, "turnover");
    expect_near(m.turnover_2way, 0.95716678631251506, "turnover_2way");
    cr_expect_eq(m.rebalances, 3.0);
    cr_expect_eq(m.fees_paid, 1.25);
    cr_expect_eq(m.slippage_paid, 0.5);
    cr_expect_eq(m.gas_paid, 2.0);
    cr_expect_eq(m.taxes_paid, 7.5);
    cr_expect_eq(m.after_tax_value, 101.25);
}

Test(metrics, nothing_traded_is_zero_turnover)
{
    const double v[] = {100, 110, 99};
    run r = single(3, v);
    rb_metric_input in = input_of(&r, 252);
    rb_metrics m = compute_ok(&in);
    cr_expect_eq(m.turnover, 0.0);
    cr_expect_eq(m.turnover_2way, 0.0);
    cr_expect_eq(m.rebalances, 0.0);
}

Test(metrics, drift_with_known_weights)
{
    /* Targets 0.6 / 0.4. Weights: bar 0 at target (0); bar 1 0.7 / 0.3 -> (0.1 + 0.1) / 2
     * = 0.1; bar 2 0.5 / 0.45 with 0.05 uninvested cash -> (0.1 + 0.05 + 0.05) / 2 = 0.1.
     * Mean over the 3 bars: 0.2 / 3. */
    const double a[] = {10, 10, 10}, b[] = {5, 5, 5};
    run r = pair(3, a, b, 0.6, 0.4, NULL);
    r.weights[2] = 0.7;
    r.weights[3] = 0.3;
    r.weights[4] = 0.5;
    r.weights[5] = 0.45;
    rb_metric_input in = input_of(&r, 12);
    rb_metrics m = compute_ok(&in);
    expect_near(m.avg_drift, 0.2 / 3.0, "avg_drift");
}

/* ---------------------------------------------------------------- tracking error */

Test(metrics, tracking_error_zero_for_the_constant_mix)
{
    /* A: 10, 11, 9.9, 10.89 (+10 %, -10 %, +10 %); B: 20, 20, 22, 22 (0, +10 %, 0).
     * 50 / 50 rebalanced every bar: c = 0.05, 0, 0.05, so V = 100, 105, 105, 110.25. */
    const double a[] = {10, 11, 9.9, 10.89}, b[] = {20, 20, 22, 22};
    const double v[] = {100, 105, 105, 110.25};
    run r = pair(4, a, b, 0.5, 0.5, v);
    rb_metric_input in = input_of(&r, 12);
    rb_metrics m = compute_ok(&in);
    expect_near(m.tracking_error, 0.0, "tracking_error");
    expect_near(m.avg_drift, 0.0, "avg_drift");
    /* 1.05 * 1.0 * 1.05 - 1 */
    expect_near(m.total_return, 0.1025, "total_return");
}

Test(metrics, tracking_error_of_buy_and_hold)
{
    /* The same assets held without rebalancing: 5 units of A, 2.5 of B.
     * V = 100, 55 + 50 = 105, 49.5 + 55 = 104.5, 54.45 + 55 = 109.45.
     * r = 0.05, -1/210, 9/190; c = 0.05, 0, 0.05; e = r - c = 0, -1/210, -1/380.
     * Sample variance of e = 1087/191041200; TE = sqrt(12 * that) = sqrt(1087/15920100)
     * = 0.0082630784570599... */
    const double a[] = {10, 11, 9.9, 10.89}, b[] = {20, 20, 22, 22};
    const double v[] = {100, 105, 104.5, 109.45};
    run r = pair(4, a, b, 0.5, 0.5, v);
    /* weights 55/105 50/105; 49.5/104.5 55/104.5; 54.45/109.45 55/109.45 */
    const double w[] = {0.5,         0.5,         55 / 105.0,     50 / 105.0,
                        49.5 / 104.5, 55 / 104.5, 54.45 / 109.45, 55 / 109.45};
    memcpy(r.weights, w, sizeof w);
    rb_metric_input in = input_of(&r, 12);
    rb_metrics m = compute_ok(&in);
    expect_near(m.tracking_error, sqrt(1087.0 / 15920100.0), "tracking_error");
    /* drift: 0; 5/105 / 2 = 1/42; 5.5/104.5 / 2 = 1/38; 0.55/109.45 / 2 = 1/398 */
    expect_near(m.avg_drift, (0 + 1 / 42.0 + 1 / 38.0 + 1 / 398.0) / 4, "avg_drift");
}

/* ---------------------------------------------------------------- rebalancing bonus */

/* With two assets and targets w1 + w2 = 1, sum_i w_i S_ii - w'Sw = w1 w2 Var(x - y): the
 * expected values below are w1 w2 Var_t(d) / 2 averaged over t, times P, with d = x - y. */

Test(metrics, rebalancing_bonus_two_assets_window_2)
{
    /* P = 2 -> window W = 2. x (A) = +0.1, -0.1, +0.1; y (B) = 0, +0.1, 0; d = 0.1, -0.2, 0.1.
     * t = 2: {0.1, -0.2}: Var = 0.3^2 / 2 = 0.045; t = 3: {-0.2, 0.1}: 0.045.
     * 50/50: w1 w2 = 0.25; per bar 0.25 * 0.045 / 2 = 0.005625; times P = 2: 0.01125. */
    const double a[] = {10, 11, 9.9, 10.89}, b[] = {20, 20, 22, 22};
    run r = pair(4, a, b, 0.5, 0.5, (const double[]){100, 105, 105, 110.25});
    rb_metric_input in = input_of(&r, 2);
    rb_metrics m = compute_ok(&in);
    expect_near(m.rebalancing_bonus, 0.01125, "rebalancing_bonus");
}

Test(metrics, rebalancing_bonus_growing_then_sliding_window)
{
    /* A: 10, 11, 9.9, 10.89, 11.979: x = 0.1, -0.1, 0.1, 0.1. B: 20, 20, 22, 22, 22:
     * y = 0, 0.1, 0, 0. d = 0.1, -0.2, 0.1, 0.1. Targets 0.75 / 0.25: w1 w2 = 0.1875. */
    const double a[] = {10, 11, 9.9, 10.89, 11.979}, b[] = {20, 20, 22, 22, 22};
    run r = pair(5, a, b, 0.75, 0.25, NULL); /* the bonus reads only closes and targets */

    /* P = 3 -> W = 3. t = 2: {0.1, -0.2} 0.045; t = 3: {0.1, -0.2, 0.1} mean 0, squares
     * 0.06 / 2 = 0.03; t = 4: {-0.2, 0.1, 0.1} 0.03. Mean 0.105 / 3 = 0.035.
     * 3 * 0.1875 * 0.035 / 2 = 0.00984375 */
    rb_metric_input in = input_of(&r, 3);
    expect_near(compute_ok(&in).rebalancing_bonus, 0.00984375, "bonus, W = 3");

    /* P = 2.6 rounds to W = 3: 2.6 * 0.1875 * 0.035 / 2 = 0.00853125 */
    in = input_of(&r, 2.6);
    expect_near(compute_ok(&in).rebalancing_bonus, 0.00853125, "bonus, P = 2.6");

    /* P = 2.4 rounds to W = 2: t = 2 0.045; t = 3 {-0.2, 0.1} 0.045; t = 4 {0.1, 0.1} 0.
     * Mean 0.03; 2.4 * 0.1875 * 0.03 / 2 = 0.00675 */
    in = input_of(&r, 2.4);
    expect_near(compute_ok(&in).rebalancing_bonus, 0.00675, "bonus, P = 2.4");

    /* P = 1000: the window never fills, every window starts at bar 1. t = 4: mean 0.025,
     * deviations 0.075, -0.225, 0.075, 0.075, squares 0.0675 / 3 = 0.0225.
     * Mean (0.045 + 0.03 + 0.0225) / 3 = 0.0325; 1000 * 0.1875 * 0.0325 / 2 = 3.046875 */
    in = input_of(&r, 1000);
    expect_near(compute_ok(&in).rebalancing_bonus, 3.046875, "bonus, P = 1000");

    /* P = 1 still uses a window of 2 returns (the least that has a covariance): 0.00675 / 2.4 */
    in = input_of(&r, 1);
    expect_near(compute_ok(&in).rebalancing_bonus, 0.00675 / 2.4, "bonus, P = 1");
}

Test(metrics, rebalancing_bonus_matches_the_covariance_form)
{
    /* The same series computed straight from the definition, with the full 2 x 2 sample
     * covariance of each window (not the two-asset shortcut of the other tests):
     * (sum_i w_i S_ii - w'Sw) / 2 per bar, averaged over t = 2..4, times P = 3 (W = 3). */
    const double a[] = {10, 11, 9.9, 10.89, 11.979}, b[] = {20, 20, 22, 22, 22};
    const double w1 = 0.75, w2 = 0.25, P = 3;
    double x[5], y[5];
    for (int s = 1; s < 5; s++) {
        x[s] = a[s] / a[s - 1] - 1;
        y[s] = b[s] / b[s - 1] - 1;
    }
    double sum = 0;
    for (int t = 2; t <= 4; t++) {
        int from = t - 3 + 1 < 1 ? 1 : t - 3 + 1, m = t - from + 1;
        double mx = 0, my = 0;
        for (int s = from; s <= t; s++) mx += x[s] / m, my += y[s] / m;
        double sxx = 0, syy = 0, sxy = 0;
        for (int s = from; s <= t; s++) {
            sxx += (x[s] - mx) * (x[s] - mx) / (m - 1);
            syy += (y[s] - my) * (y[s] - my) / (m - 1);
            sxy += (x[s] - mx) * (y[s] - my) / (m - 1);
        }
        sum += (w1 * sxx + w2 * syy - (w1 * w1 * sxx + 2 * w1 * w2 * sxy + w2 * w2 * syy)) / 2;
    }
    run r = pair(5, a, b, w1, w2, NULL);
    rb_metric_input in = input_of(&r, P);
    expect_near(compute_ok(&in).rebalancing_bonus, P * sum / 3, "bonus vs covariance form");
}

Test(metrics, rebalancing_bonus_zero_for_identical_assets)
{
    /* Two assets with the same prices: Var(x - y) = 0, nothing to harvest. */
    const double a[] = {10, 11, 9.9, 10.89, 12}, b[] = {10, 11, 9.9, 10.89, 12};
    run r = pair(5, a, b, 0.5, 0.5, (const double[]){100, 110, 99, 108.9, 120});
    rb_metric_input in = input_of(&r, 3);
    rb_metrics m = compute_ok(&in);
    cr_expect(fabs(m.rebalancing_bonus) < 1e-15, "identical assets: %.17g", m.rebalancing_bonus);
}

Test(metrics, rebalancing_bonus_on_a_long_series_is_stable)
{
    /* The rolling sums must not drift over thousands of bars: an asset alternating +10 %
     * and -1/11 (back to its price) against a flat one, P = 4 (window 4), 50/50. Every full
     * window holds two returns of each sign, so every bar from t = 4 on adds the same term;
     * differencing two lengths isolates it. */
    enum { T1 = 2001, T2 = 4001 };
    static double close1[T2 * 2], w[T2 * 2], v[T2];
    double price = 100;
    for (size_t t = 0; t < T2; t++) {
        if (t > 0) price *= (t % 2) ? 1.1 : 1 / 1.1;
        close1[2 * t] = price;
        close1[2 * t + 1] = 1.0;
        w[2 * t] = w[2 * t + 1] = 0.5;
        v[t] = 100;
    }
    const double target[] = {0.5, 0.5};
    rb_metric_input in = {0};
    static rb_time tt[T2];
    for (size_t t = 0; t < T2; t++) tt[t] = T0 + (rb_time)t * DAY;
    in.time = tt;
    in.value = v;
    in.N = 2;
    in.close = close1;
    in.target = target;
    in.weights = w;
    in.periods_per_year = 4;
    in.T = T1;
    double b1 = compute_ok(&in).rebalancing_bonus;
    in.T = T2;
    double b2 = compute_ok(&in).rebalancing_bonus;
    /* Returns alternate +0.1 and 1/1.1 - 1 = -1/11. A full window holds two of each: mean
     * (0.1 - 1/11) / 2 = 1/220, deviations +-(0.1 + 1/11) / 2 = +-21/220, Var = 4 * (21/220)^2
     * / 3 = 0.012148760330578512. Per bar w1 w2 Var / 2 = 0.25 * Var / 2. The bonus is P times
     * the mean over the n - 1 bars t >= 2, of which t = 2, 3 have partial windows: with
     * sums S(n) = 2 partial terms + (n - 3) full ones, (n - 1) * bonus / P = S. So the
     * difference of S between n2 = 4000 and n1 = 2000 is 2000 full terms. */
    double full = 0.25 * (4.0 * (21.0 / 220) * (21.0 / 220) / 3.0) / 2.0;
    double s1 = b1 / 4 * (T1 - 2), s2 = b2 / 4 * (T2 - 2);
    cr_expect(fabs((s2 - s1) / 2000 - full) < 1e-13, "full-window term %.17g, want %.17g",
              (s2 - s1) / 2000, full);
}

/* ---------------------------------------------------------------- refused inputs */

/* rb_metrics_compute refuses in with status want and a one-line message holding needle. */
static void expect_refused_as(const rb_metric_input *in, const char *needle, rb_status want)
{
    rb_metrics m;
    memset(&m, 0xA5, sizeof m);
    rb_metrics before = m;
    rb_error err = {0};
    rb_status st = rb_metrics_compute(in, &m, &err);
    cr_expect_eq(st, want, "want status %d, got %d (%s)", want, st, err.msg);
    cr_expect_eq(err.code, want);
    cr_expect(strstr(err.msg, needle) != NULL, "message '%s' should mention '%s'", err.msg, needle);
    cr_expect(strchr(err.msg, '\n') == NULL, "one line: '%s'", err.msg);
    cr_expect(memcmp(&m, &before, sizeof m) == 0, "out must be untouched on failure");
}

/* A caller's mistake (a missing series, too few bars, no periods per year). */
static void expect_refused(const rb_metric_input *in, const char *needle) { expect_refused_as(in, needle, RB_ERR_USAGE); }

/* What a run made of its data (a value that is not positive or not finite, a close that is
 * not positive): a runtime failure, exit 1, that a sweep records as the configuration's. */
static void expect_data_refused(const rb_metric_input *in, const char *needle)
{
    expect_refused_as(in, needle, RB_ERR_DATA);
}

Test(metrics, refuses_fewer_than_two_bars)
{
    run r = single(2, (const double[]){100, 110});
    rb_metric_input in = input_of(&r, 12);
    in.T = 1;
    expect_refused(&in, "at least 2 bars");
    in.T = 0;
    expect_refused(&in, "at least 2 bars");
}

Test(metrics, refuses_non_positive_values)
{
    run r = single(3, (const double[]){100, 0, 110});
    rb_metric_input in = input_of(&r, 12);
    expect_data_refused(&in, "bar 1 (2020-01-02)");

    r = single(3, (const double[]){100, 110, -5});
    in = input_of(&r, 12);
    expect_data_refused(&in, "is -5");

    r = single(3, (const double[]){NAN, 110, 120});
    in = input_of(&r, 12);
    expect_data_refused(&in, "bar 0 (2020-01-01) is not a number: the arithmetic overflowed");

    r = single(3, (const double[]){100, INFINITY, 120});
    in = input_of(&r, 12);
    expect_data_refused(&in, "bar 1 (2020-01-02) is inf: the arithmetic overflowed");

    /* V_1 = 60 after a contribution of 70: the portfolio was worth -10 before it. */
    r = single(3, (const double[]){100, 60, 66});
    r.has_flow = 1;
    r.flow[1] = 70;
    in = input_of(&r, 12);
    expect_data_refused(&in, "before the flow at bar 1");
}

Test(metrics, refuses_bad_periods_per_year)
{
    run r = single(3, (const double[]){100, 110, 120});
    const double bad[] = {0, -12, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rb_metric_input in = input_of(&r, bad[i]);
        expect_refused(&in, "periods per year");
    }
}

Test(metrics, refuses_bad_closes_and_missing_series)
{
    run r = single(3, (const double[]){100, 110, 120});
    r.close[2] = 0;
    rb_metric_input in = input_of(&r, 12);
    expect_data_refused(&in, "close of asset 0 at bar 2");

    r = single(3, (const double[]){100, 110, 120});
    in = input_of(&r, 12);
    in.weights = NULL;
    expect_refused(&in, "weight");
    in = input_of(&r, 12);
    in.N = 0;
    expect_refused(&in, "no assets");

    rb_error err = {0};
    rb_metrics m;
    cr_expect_eq(rb_metrics_compute(NULL, &m, &err), RB_ERR_USAGE);
    in = input_of(&r, 12);
    cr_expect_eq(rb_metrics_compute(&in, NULL, &err), RB_ERR_USAGE);
    cr_expect_eq(rb_metrics_compute(&in, NULL, NULL), RB_ERR_USAGE, "err may be NULL");
}

Test(metrics, refuses_an_inferred_calendar_under_a_day_or_over_400000_a_year)
{
    run r = single(3, (const double[]){100, 110, 120});
    const rb_time seconds[3] = {0, 1, 2}; /* bar numbers read as epoch seconds */
    rb_metric_input in = input_of(&r, 31557600);
    in.time = seconds;
    in.periods_inferred = 1;
    in.periods_source = "under a year of bars: median spacing 1 s -> 31557600.0 bars per year";
    rb_metrics m;
    rb_error err = {0};
    cr_expect_eq(rb_metrics_compute(&in, &m, &err), RB_ERR_DATA);
    cr_expect_str_eq(err.msg, "metrics: the 3 bars span only 2 seconds (1970-01-01 to 1970-01-01T00:00:02Z), under "
                              "one day, too little to infer periods per year; pass --periods-per-year with the "
                              "number of bars in a year of this data");
    /* Set by the caller, the same bars are measured. */
    in.periods_inferred = 0;
    cr_expect_eq(rb_metrics_compute(&in, &m, &err), RB_OK, "%s", err.msg);
    cr_expect_eq(m.periods_per_year, 31557600);

    /* Over a day, but 400,000.01 bars a year inferred: refused; 400,000 passes. */
    in = input_of(&r, 400000.01);
    in.periods_inferred = 1;
    in.periods_source = "what the test says";
    cr_expect_eq(rb_metrics_compute(&in, &m, &err), RB_ERR_DATA);
    cr_expect_str_eq(err.msg, "metrics: 400000.01 periods per year inferred (what the test says), over 400000: bars "
                              "this fine are annualized only with an explicit --periods-per-year (e.g. 525960 for "
                              "24/7 minute bars, 98280 for 390-minute trading days)");
    in.periods_inferred = 0;
    cr_expect_eq(rb_metrics_compute(&in, &m, &err), RB_OK, "%s", err.msg);
    in = input_of(&r, 400000);
    in.periods_inferred = 1;
    cr_expect_eq(rb_metrics_compute(&in, &m, &err), RB_OK, "%s", err.msg);
}

/* ---------------------------------------------------------------- periods source */

Test(metrics, periods_source_is_copied_and_truncated)
{
    run r = single(3, (const double[]){100, 110, 120});
    rb_metric_input in = input_of(&r, 12);
    char longtext[400];
    memset(longtext, 'x', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    in.periods_source = longtext;
    rb_metrics m = compute_ok(&in);
    cr_expect_eq(strlen(m.periods_source), sizeof m.periods_source - 1);
    in.periods_source = NULL;
    m = compute_ok(&in);
    cr_expect_str_eq(m.periods_source, "");
}

/* ---------------------------------------------------------------- the table */

/* The double-valued members of rb_metrics, in report order, written out independently of
 * engine/metrics.c. */
static const struct {
    const char *name;
    size_t offset;
} fields[] = {
    {"final_value", offsetof(rb_metrics, final_value)},
    {"total_return", offsetof(rb_metrics, total_return)},
    {"cagr", offsetof(rb_metrics, cagr)},
    {"ann_vol", offsetof(rb_metrics, ann_vol)},
    {"sharpe", offsetof(rb_metrics, sharpe)},
    {"sortino", offsetof(rb_metrics, sortino)},
    {"max_drawdown", offsetof(rb_metrics, max_drawdown)},
    {"calmar", offsetof(rb_metrics, calmar)},
    {"rebalances", offsetof(rb_metrics, rebalances)},
    {"turnover", offsetof(rb_metrics, turnover)},
    {"turnover_2way", offsetof(rb_metrics, turnover_2way)},
    {"fees_paid", offsetof(rb_metrics, fees_paid)},
    {"slippage_paid", offsetof(rb_metrics, slippage_paid)},
    {"gas_paid", offsetof(rb_metrics, gas_paid)},
    {"taxes_paid", offsetof(rb_metrics, taxes_paid)},
    {"after_tax_value", offsetof(rb_metrics, after_tax_value)},
    {"avg_drift", offsetof(rb_metrics, avg_drift)},
    {"tracking_error", offsetof(rb_metrics, tracking_error)},
    {"rebalancing_bonus", offsetof(rb_metrics, rebalancing_bonus)},
    {"funding_paid", offsetof(rb_metrics, funding_paid)},
    {"perp_fees_paid", offsetof(rb_metrics, perp_fees_paid)},
    {"liquidations", offsetof(rb_metrics, liquidations)},
    {"liquidation_cost", offsetof(rb_metrics, liquidation_cost)},
    {"overlay_notional_avg", offsetof(rb_metrics, overlay_notional_avg)},
    {"overlay_notional_peak", offsetof(rb_metrics, overlay_notional_peak)},
    {"tax_deferred", offsetof(rb_metrics, tax_deferred)},
    {"beta", offsetof(rb_metrics, beta)},
    {"alpha", offsetof(rb_metrics, alpha)},
    {"information_ratio", offsetof(rb_metrics, information_ratio)},
    {"up_capture", offsetof(rb_metrics, up_capture)},
    {"down_capture", offsetof(rb_metrics, down_capture)},
    {"skewness", offsetof(rb_metrics, skewness)},
    {"kurtosis", offsetof(rb_metrics, kurtosis)},
    {"ulcer_index", offsetof(rb_metrics, ulcer_index)},
    {"dd_longest_bars", offsetof(rb_metrics, dd_longest_bars)},
    {"dd_longest_days", offsetof(rb_metrics, dd_longest_days)},
    {"dd_current_bars", offsetof(rb_metrics, dd_current_bars)},
    {"dd_current_days", offsetof(rb_metrics, dd_current_days)},
    {"recovery_bars", offsetof(rb_metrics, recovery_bars)},
    {"recovery_days", offsetof(rb_metrics, recovery_days)},
    {"var_95", offsetof(rb_metrics, var_95)},
    {"cvar_95", offsetof(rb_metrics, cvar_95)},
    {"var_99", offsetof(rb_metrics, var_99)},
    {"cvar_99", offsetof(rb_metrics, cvar_99)},
    {"after_tax_cagr", offsetof(rb_metrics, after_tax_cagr)},
    {"irr", offsetof(rb_metrics, irr)},
};

Test(metrics, table_matches_the_struct)
{
    size_t n = 0;
    const rb_metric_info *t = rb_metric_table(&n);
    cr_assert_not_null(t);
    cr_assert_eq(n, sizeof fields / sizeof fields[0], "rows %zu", n);
    cr_expect_eq(rb_metric_table(NULL), t, "n may be NULL");
    const char *const units[] = {"USD", "fraction", "ratio", "count", "per year", "bars", "days"};
    for (size_t i = 0; i < n; i++) {
        cr_expect_str_eq(t[i].name, fields[i].name, "row %zu", i);
        cr_expect_eq(t[i].offset, fields[i].offset, "%s offset", t[i].name);
        cr_expect_eq(t[i].offset % sizeof(double), 0);
        int known = 0;
        for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) known |= !strcmp(t[i].unit, units[u]);
        cr_expect(known, "%s has unit '%s'", t[i].name, t[i].unit);
        cr_expect(t[i].definition && t[i].definition[0], "%s has a definition", t[i].name);
        cr_expect(!strchr(t[i].definition, '\n'), "%s: one line", t[i].name);
        for (size_t j = 0; j < i; j++) cr_expect_neq(t[i].offset, t[j].offset, "%s", t[i].name);
    }
    /* Every double member of rb_metrics before the time fields has a row. */
    cr_expect_eq(n * sizeof(double), offsetof(rb_metrics, max_drawdown_peak));
}

Test(metrics, table_reads_computed_values)
{
    const double v[] = {100, 110, 99, 108.9};
    run r = single(4, v);
    rb_metric_input in = input_of(&r, 6);
    in.traded_value = 50;
    in.fees = 1.25;
    rb_metrics m = compute_ok(&in);
    size_t n;
    const rb_metric_info *t = rb_metric_table(&n);
    for (size_t i = 0; i < n; i++) {
        double got;
        memcpy(&got, (const char *)&m + t[i].offset, sizeof got);
        if (!strcmp(t[i].name, "final_value")) cr_expect_eq(got, m.final_value);
        if (!strcmp(t[i].name, "turnover")) cr_expect_eq(got, m.turnover);
        if (!strcmp(t[i].name, "fees_paid")) cr_expect_eq(got, 1.25);
        if (!strcmp(t[i].name, "max_drawdown")) expect_near(got, 0.1, "max_drawdown via table");
    }
}

/* The bonus of many assets (more than the 16 series computed side by side), some with no
 * target, against its definition computed plainly: for each t the sample covariance matrix S
 * of the window's returns, (sum_i w_i S_ii - w'Sw) / 2, averaged over t, times P. */
Test(metrics, rebalancing_bonus_of_many_assets_against_its_definition)
{
    enum { T = 80, N = 21 };
    static double close[T * N];
    double w[N], sum = 0;
    unsigned long long x = 88172645463325252ULL;
    for (size_t i = 0; i < N; i++) {
        close[i] = 10.0 + (double)i;
        w[i] = i % 5 == 3 ? 0.0 : 1.0 + (double)(i % 4);
        sum += w[i];
    }
    for (size_t i = 0; i < N; i++) w[i] /= sum;
    for (size_t t = 1; t < T; t++)
        for (size_t i = 0; i < N; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            close[t * N + i] = close[(t - 1) * N + i] * (1.0 + ((double)(x % 2001) - 1000.0) / 20000.0);
        }
    rb_metric_input in = {.T = T, .N = N, .close = close, .target = w, .periods_per_year = 12};
    size_t W = 12, n = T - 1;
    double total = 0;
    for (size_t t = 2; t <= n; t++) {
        size_t lo = t > W ? t - W + 1 : 1, m = t - lo + 1;
        double mean[N] = {0}, S[N][N] = {{0}};
        for (size_t s = lo; s <= t; s++)
            for (size_t i = 0; i < N; i++) mean[i] += (close[s * N + i] / close[(s - 1) * N + i] - 1) / (double)m;
        for (size_t s = lo; s <= t; s++)
            for (size_t i = 0; i < N; i++)
                for (size_t j = 0; j < N; j++)
                    S[i][j] += (close[s * N + i] / close[(s - 1) * N + i] - 1 - mean[i]) *
                               (close[s * N + j] / close[(s - 1) * N + j] - 1 - mean[j]) / (double)(m - 1);
        double diag = 0, quad = 0;
        for (size_t i = 0; i < N; i++) {
            diag += w[i] * S[i][i];
            for (size_t j = 0; j < N; j++) quad += w[i] * S[i][j] * w[j];
        }
        total += (diag - quad) / 2;
    }
    double want = 12 * total / (double)(n - 1);
    double got = rb_metrics_bonus(&in);
    cr_expect(fabs(got - want) <= 1e-12 * fabs(want), "bonus %.17g, by its definition %.17g", got, want);
    /* from the matrix's growth factors (close over previous close): the same, to the bit */
    static double growth[T * N];
    for (size_t i = 0; i < N; i++) growth[i] = 1.0;
    for (size_t k = N; k < T * N; k++) growth[k] = close[k] / close[k - N];
    in.growth = growth;
    double from_growth = rb_metrics_bonus(&in);
    cr_expect_eq(memcmp(&from_growth, &got, sizeof got), 0, "bonus %.17g from the growth factors, %.17g from the closes",
                 from_growth, got);
    growth[5 * N + 7] *= 1.5; /* and it does read them */
    cr_expect_neq(rb_metrics_bonus(&in), got);
}
