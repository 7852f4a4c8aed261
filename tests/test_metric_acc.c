/* test_metric_acc.c - the one metric accumulator of both simulators (engine/metric_acc.h):
 * lanes side by side (the batch's columns) take the same sums as one lane alone (the
 * reference), to the bit; rb_metrics_compute takes the drift from the simulator's parts
 * (sum |w - t| and cash) and the constant mix from the matrix's growth factors as the batch
 * does; a depleted run's last bar adds no drift; what the running sums resolve near the
 * noise floor. (The simulators against each other: test_batch.c, test_schedule.c.) */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "metric_acc.h"
#include "metrics.h"
#include "rebal.h"

#define DAY INT64_C(86400)
#define T0 INT64_C(1577836800) /* 2020-01-01 00:00:00 UTC */
#define BARS 6

static const rb_time days[BARS] = {T0, T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY, T0 + 4 * DAY, T0 + 5 * DAY};

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1.0p-53;
}

/* One asset that is the whole portfolio over T bars: its close is the value, weight 1. */
typedef struct run {
    size_t T;
    double value[BARS], flow[BARS], close[BARS], weights[BARS], target[1];
} run;

static rb_metric_input input_of(run *r)
{
    r->target[0] = 1.0;
    for (size_t t = 0; t < r->T; t++) {
        r->close[t] = r->value[t];
        r->weights[t] = 1.0;
    }
    return (rb_metric_input){.T = r->T, .time = days, .value = r->value, .flow = r->flow, .N = 1,
                             .close = r->close, .target = r->target, .weights = r->weights,
                             .periods_per_year = 12, .periods_source = "set by the test"};
}

static rb_metrics compute_ok(const rb_metric_input *in)
{
    rb_metrics m;
    rb_error err = {0};
    cr_assert_eq(rb_metrics_compute(in, &m, &err), RB_OK, "%s", err.msg);
    return m;
}

/* The batch's layout: lane k's field i at a[i * stride + k], peak times side by side. Three
 * lanes of random bars (flows, drift parts, mix returns, a drawdown bound) stepped together
 * end with the fields, peak times and fall flags of each lane stepped alone. */
Test(metric_acc, lanes_side_by_side_take_the_sums_of_one_lane_alone)
{
    enum { LANES = 3, STRIDE = 4, STEPS = 200 };
    double side[RB_ACC_FIELDS * STRIDE], alone[LANES][RB_ACC_FIELDS];
    rb_metric_dd side_dd[LANES] = {{.max_dd = 0}, {.max_dd = 0.1}, {.max_dd = 0.3}}, alone_dd[LANES];
    memcpy(alone_dd, side_dd, sizeof side_dd);
    rb_time side_time[STRIDE], alone_time[LANES];
    double v[LANES];
    for (size_t k = 0; k < LANES; k++) {
        v[k] = 100 * (k + 1);
        rb_metric_acc_start(side + k, STRIDE, side_time + k, v[k], 1 / v[k], 0.01 * k, k, T0);
        rb_metric_acc_start(alone[k], 1, alone_time + k, v[k], 1 / v[k], 0.01 * k, k, T0);
    }
    rb_time times[STEPS + 1];
    for (int s = 0; s <= STEPS; s++) times[s] = T0 + s * DAY;
    for (int s = 1; s <= STEPS; s++) {
        for (size_t k = 0; k < LANES; k++) {
            double f = s % 7 == 0 ? 10 * uniform() : 0, prev = v[k];
            v[k] = prev * (1 + 0.05 * (uniform() - 0.5)) + f;
            double dsum = 0.2 * uniform(), cash = prev * 0.01 * uniform(), mix = 0.04 * (uniform() - 0.5);
            rb_time now = T0 + s * DAY;
            double trough_at = (double)(T0 + DAY * (s / 3)), trough_bar = (double)(s / 3);
            rb_metric_acc_bench(side + k, STRIDE, v[k], f, mix);
            rb_metric_acc_bench(alone[k], 1, v[k], f, mix);
            int64_t a = rb_metric_acc_step(side + k, STRIDE, side_time + k, v[k], f, 1 / v[k], dsum, cash, mix,
                                           rb_metric_dd_fields(side_dd + k), (double)s, now);
            int64_t b = rb_metric_acc_step(alone[k], 1, alone_time + k, v[k], f, 1 / v[k], dsum, cash, mix,
                                           rb_metric_dd_fields(alone_dd + k), (double)s, now);
            cr_assert_eq(a, b, "lane %zu, step %d: rare work %lld side by side, %lld alone", k, s, (long long)a,
                         (long long)b);
            if (a & RB_ACC_BACK) {
                rb_metric_acc_back(side + k, STRIDE, (size_t)s, times, trough_at, trough_bar);
                rb_metric_acc_back(alone[k], 1, (size_t)s, times, trough_at, trough_bar);
            }
        }
    }
    for (size_t k = 0; k < LANES; k++) {
        for (size_t i = 0; i < RB_ACC_FIELDS; i++)
            cr_assert(memcmp(&side[i * STRIDE + k], &alone[k][i], sizeof(double)) == 0,
                      "lane %zu field %zu: %.17g side by side, %.17g alone", k, i, side[i * STRIDE + k], alone[k][i]);
        cr_assert_eq(side_time[k], alone_time[k]);
        cr_assert(memcmp(&side_dd[k], &alone_dd[k], sizeof side_dd[k]) == 0, "lane %zu: deepest fall %.17g, %.17g alone",
                  k, side_dd[k].max_dd, alone_dd[k].max_dd);
    }
}

/* avg_drift from the simulator's parts: the mean over the bars of (dsum + cash / V) / 2.
 * V = 100, 200, 250; cash 10, 20, 0; dsum 0.2, 0.1, 0.3: (0.2 + 0.1) / 2, (0.1 + 0.1) / 2,
 * 0.3 / 2, mean 0.4 / 3. The weights (all 1, at target) are not read for it. */
Test(metric_acc, avg_drift_from_the_simulators_sum_and_cash)
{
    run r = {.T = 3, .value = {100, 200, 250}};
    rb_metric_input in = input_of(&r);
    const double dsum[] = {0.2, 0.1, 0.3}, cash[] = {10, 20, 0};
    cr_expect_eq(compute_ok(&in).avg_drift, 0.0, "at target by the weights");
    in.dsum = dsum;
    in.cash = cash;
    rb_metrics m = compute_ok(&in);
    cr_expect(fabs(m.avg_drift - 0.4 / 3) <= 1e-15, "avg_drift %.17g", m.avg_drift);
}

Test(metric_acc, a_sum_without_its_cash_is_refused)
{
    run r = {.T = 3, .value = {100, 200, 250}};
    rb_metric_input in = input_of(&r);
    const double dsum[] = {0.2, 0.1, 0.3};
    in.dsum = dsum;
    rb_metrics m;
    rb_error err = {0};
    cr_expect_eq(rb_metrics_compute(&in, &m, &err), RB_ERR_USAGE);
    cr_expect(strstr(err.msg, "cash series is missing") != NULL, "%s", err.msg);
}

/* A withdrawal empties the portfolio on the last bar (value 0, its reciprocal infinite):
 * that bar adds no drift, and the mean is over the bars before it. Drift 0.1 and 0.3 on
 * bars 0 and 1, whatever the last bar's parts say: 0.2. */
Test(metric_acc, the_bar_that_emptied_a_run_adds_no_drift)
{
    run r = {.T = 3, .value = {100, 110, 0}, .flow = {0, 0, -115}};
    rb_metric_input in = input_of(&r);
    r.close[2] = 100;
    in.depleted = 1;
    const double dsum[] = {0.2, 0.6, 0.9}, cash[] = {0, 0, 5};
    in.dsum = dsum;
    in.cash = cash;
    rb_metrics m = compute_ok(&in);
    cr_expect(fabs(m.avg_drift - 0.2) <= 1e-15, "avg_drift %.17g", m.avg_drift);
    /* r_2 = (0 + 115) / 110 - 1, before the withdrawal */
    cr_expect(fabs(m.total_return - (1.1 * (115.0 / 110) - 1)) <= 1e-15, "total_return %.17g", m.total_return);
}

/* The constant mix from the matrix's growth factors (as the batch takes it) is the mix from
 * the closes, to the bit: the same division. */
Test(metric_acc, the_mix_from_growth_factors_is_the_mix_from_the_closes)
{
    run r = {.T = 5, .value = {100, 103, 99, 104, 101}};
    rb_metric_input in = input_of(&r);
    r.close[2] = 98; /* the asset apart from the portfolio: a tracking error */
    double growth[BARS] = {1};
    for (size_t t = 1; t < r.T; t++) growth[t] = r.close[t] / r.close[t - 1];
    rb_metrics from_closes = compute_ok(&in);
    in.growth = growth;
    rb_metrics from_growth = compute_ok(&in);
    cr_expect_gt(from_closes.tracking_error, 0);
    cr_expect(memcmp(&from_closes.tracking_error, &from_growth.tracking_error, sizeof(double)) == 0,
              "%.17g from the closes, %.17g from the growth factors", from_closes.tracking_error,
              from_growth.tracking_error);
}

/* r1 = 0.01, r2 = 1.01 * (1 + 1e-14) - 1 = 0.01 + 1.01e-14: equal but for noise at the level
 * of rounding. The stdev (~7e-15, which the running sums do not resolve: they give 0) is
 * below the 1e-12 floor: sharpe is null, not the ~1e12 that dividing by noise would give. A
 * dip of 1e-14 below the running high is not a drawdown. */
Test(metric_acc, noise_is_not_risk)
{
    run r = {.T = 3, .value = {1.0, 1.01, 1.01 * 1.01 * (1 + 1e-14)}};
    rb_metric_input in = input_of(&r);
    in.periods_per_year = 365;
    rb_metrics m = compute_ok(&in);
    cr_expect(m.ann_vol >= 0.0 && m.ann_vol < 1e-12, "ann_vol %.17g is the noise itself", m.ann_vol);
    cr_expect(isnan(m.sharpe), "sharpe over noise: %.17g", m.sharpe);

    run d = {.T = 4, .value = {1.0, 1.01, 1.01 * (1 - 1e-14), 1.02}};
    in = input_of(&d);
    in.periods_per_year = 365;
    m = compute_ok(&in);
    cr_expect_eq(m.max_drawdown, 0.0, "noise drawdown %.17g", m.max_drawdown);
    cr_expect_eq(m.max_drawdown_peak, days[0]);
    cr_expect_eq(m.max_drawdown_trough, days[0]);
    cr_expect(isnan(m.calmar), "calmar %.17g", m.calmar);
}

/* The limit docs/engine.md states: equal returns leave a standard deviation of at most about
 * 1e-6 of the return (here 1,000 to 20,000 bars of +0.5 % and +4 %), not 0. */
Test(metric_acc, equal_returns_leave_at_most_a_millionth_of_the_return)
{
    const double rates[] = {0.005, 0.04};
    const size_t lengths[] = {1000, 20000};
    for (size_t a = 0; a < 2; a++)
        for (size_t b = 0; b < 2; b++) {
            double acc[RB_ACC_FIELDS], v = 100;
            rb_metric_dd dd = {.max_dd = 0};
            rb_time peak_time;
            rb_metric_acc_start(acc, 1, &peak_time, v, 1 / v, 0, 0, T0);
            for (size_t t = 1; t <= lengths[b] && v < 1e200; t++) {
                v *= 1 + rates[a];
                rb_metric_acc_step(acc, 1, &peak_time, v, 0, 1 / v, 0, 0, 0, rb_metric_dd_fields(&dd), (double)t, T0);
            }
            if (!(v < 1e200)) continue; /* 20,000 bars of +4 % overflow: no run has them */
            double sd = rb_metric_sample_sd(acc[RB_ACC_SUM_R], acc[RB_ACC_SUM_R2], lengths[b]);
            cr_expect(sd <= 2e-6 * rates[a], "%zu bars of %g: stdev %.3g", lengths[b], rates[a], sd);
        }
}

/* The drawdown clock as it was taken before it was settled only on the bars that end a
 * drawdown (issue 16): every field on every bar, from the index x at its running high pk.
 * The test's yardstick for rb_metric_acc_step, rb_metric_acc_back and rb_metric_acc_sums. */
typedef struct every_bar_clock {
    double high_bar, high_time, long_bars, long_secs, cur_bars, cur_secs, rec_at, rec_bars;
} every_bar_clock;

static void every_bar_step(every_bar_clock *c, double x, double pk, double bar, double now, double trough_time,
                           double trough_bar)
{
    double fall = 1.0 - x / pk;
    int under = fall > RB_METRIC_NOISE;
    double since = bar - c->high_bar, secs = now - c->high_time;
    int counts = under || since > 1.0;
    double lb = counts ? since : 0, ls = counts ? secs : 0;
    c->long_bars = lb > c->long_bars ? lb : c->long_bars;
    c->long_secs = ls > c->long_secs ? ls : c->long_secs;
    c->cur_bars = under ? since : 0;
    c->cur_secs = under ? secs : 0;
    if (!under && since > 1.0 && trough_time > c->high_time) {
        c->rec_at = now;
        c->rec_bars = bar - trough_bar;
    }
    if (!under) {
        c->high_bar = bar;
        c->high_time = now;
    }
}

/* The deepest fall as it was recorded before rb_metric_acc_step recorded it itself: the
 * index x at its running high pk (set at peak_time) on bar `bar` at time now, checked
 * exactly against dd. */
static void deeper_as_before(double x, double pk, rb_time peak_time, rb_time now, double bar, rb_metric_dd *dd)
{
    double fall = 1.0 - x / pk;
    if (!(fall > dd->max_dd && fall > RB_METRIC_NOISE)) return;
    *dd = (rb_metric_dd){fall, peak_time, now, (double)now, bar};
}

/* Random walks with long drawdowns, recoveries, dips within the noise floor, flows and
 * irregular bar times, some ending under water and some at a high: the durations, the
 * recovery and the deepest fall are those of the clock taken on every bar, to the bit. */
Test(metric_acc, the_clock_settled_at_recoveries_is_the_clock_of_every_bar)
{
    enum { PATHS = 400, MAXT = 300 };
    rb_time times[MAXT];
    for (int p = 0; p < PATHS; p++) {
        size_t T = 2 + (size_t)(uniform() * (MAXT - 2));
        times[0] = T0;
        for (size_t t = 1; t < T; t++) times[t] = times[t - 1] + DAY * (1 + (rb_time)(uniform() * 3));
        double vol = p % 4 == 0 ? 1e-15 : 0.002 + 0.05 * uniform(), drift = 0.02 * (uniform() - 0.5) * vol;
        double acc[RB_ACC_FIELDS], v = 1000;
        rb_time peak_time;
        rb_metric_dd dd = {0, T0, T0, (double)T0, 0}, old_dd = dd;
        every_bar_clock c = {0, (double)T0, 0, 0, 0, 0, 0, 0};
        rb_metric_acc_start(acc, 1, &peak_time, v, 1 / v, 0, 0, T0);
        int backs = 0;
        for (size_t t = 1; t < T; t++) {
            double f = t % 11 == 0 ? 50 * (uniform() - 0.3) : 0;
            /* a repeat of the last value now and then: a bar exactly at the high */
            v = uniform() < 0.05 ? v + f : v * (1 + drift + vol * (uniform() - 0.5)) + f;
            int64_t rare =
                rb_metric_acc_step(acc, 1, &peak_time, v, f, 1 / v, 0, 0, 0, rb_metric_dd_fields(&dd), (double)t, times[t]);
            every_bar_step(&c, acc[RB_ACC_INDEX], acc[RB_ACC_PEAK], (double)t, (double)times[t], dd.trough_at,
                           dd.trough_bar);
            /* the deepest fall as it was found before: a flag with a margin, then the exact test */
            double x = acc[RB_ACC_INDEX], pk = acc[RB_ACC_PEAK];
            if (x < pk && x < pk * (1.0 - old_dd.max_dd) * (1.0 + 1e-12))
                deeper_as_before(x, pk, peak_time, times[t], (double)t, &old_dd);
            if (rare & RB_ACC_BACK) {
                rb_metric_acc_back(acc, 1, t, times, dd.trough_at, dd.trough_bar);
                backs++;
            }
        }
        cr_assert(memcmp(&dd, &old_dd, sizeof dd) == 0, "path %d: deepest fall %.17g, %.17g as found before", p,
                  dd.max_dd, old_dd.max_dd);
        rb_metric_acc a = {.peak_time = peak_time};
        memcpy(a.f, acc, sizeof acc);
        rb_metric_sums s = rb_metric_acc_sums(&a, &dd, T, times, 0);
        const double got[] = {s.long_bars, s.long_secs, s.cur_bars, s.cur_secs, s.rec_bars,
                              s.recovered ? s.rec_secs : -1};
        const double want[] = {c.long_bars, c.long_secs, c.cur_bars, c.cur_secs, c.rec_bars,
                               dd.max_dd > 0 && c.rec_at > dd.trough_at ? c.rec_at - dd.trough_at : -1};
        const char *names[] = {"long_bars", "long_secs", "cur_bars", "cur_secs", "rec_bars", "rec_secs"};
        for (size_t i = 0; i < sizeof got / sizeof *got; i++)
            cr_assert(memcmp(&got[i], &want[i], sizeof(double)) == 0, "path %d (%zu bars, %d ends): %s %.17g, %.17g on every bar",
                      p, T, backs, names[i], got[i], want[i]);
    }
}
