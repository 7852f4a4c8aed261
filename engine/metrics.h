/* metrics.h - the metrics of a run from its value series and its recorded totals
 * (docs/engine.md, "Metrics"). Internal: the simulators fill rb_metric_input. */
#ifndef RB_METRICS_H
#define RB_METRICS_H

#include "rebal.h"

typedef struct rb_metric_input {
    size_t T;              /* bars, >= 2 */
    const rb_time *time;   /* T bar times */
    const double *value;   /* T portfolio values V_t at the close, after the bar's trades */
    const double *flow;    /* T external flows added at bar t (contributions > 0), or NULL */
    size_t N;              /* assets */
    const double *close;   /* T*N closes, row-major (the matrix) */
    const double *growth;  /* T*N close[t][i] / close[t-1][i] (the matrix's), or NULL: from close */
    const double *target;  /* N target weights */
    const double *target_path; /* T*N targets in force at each bar (dynamic targets), or NULL:
                                  avg_drift is measured against them when given */
    const double *weights; /* T*N end-of-bar weights w_t[i] */
    const double *dsum;    /* T sums over the assets of |w_t[i] - target_t[i]| with the weights as
                              the simulators take them (metric_acc.h: rb_metric_drift_term, from
                              units, close and the value's reciprocal), or NULL: avg_drift from
                              the weights and targets */
    const double *cash;    /* with dsum: T uninvested cash at the close (its weight: cash / V_t) */
    double periods_per_year;
    const char *periods_source;
    int periods_inferred;  /* 1: inferred from the bar times, so absurd calendars are refused */
    const char *exec_note; /* copied into rb_metrics.exec_note (may be NULL) */
    double rf;             /* risk-free rate per year, a fraction */
    double rebalances;     /* rebalances that traded, first allocation excluded */
    double traded_value;   /* sum of |order value| of rebalances (not the first allocation or flows) */
    double fees, slippage, gas, taxes;
    double after_tax_value;
    int depleted;          /* a withdrawal emptied the portfolio on bar T - 1: its value may be
                              0 there (not before its flow), and it has no weights */
    const double *bench;   /* T returns b_t of the benchmark (--benchmark; b_0 unused), or NULL */
} rb_metric_input;

/* Computes every metric of rb_metrics from in. Fails (RB_ERR_USAGE) for a missing input,
 * T < 2 or periods_per_year <= 0, and (RB_ERR_DATA) for a value, flow, close or weight that
 * is not finite or a value that is not positive (what the run made of its data), and where
 * rb_metrics_check_periods does, naming what is wrong. */
rb_status rb_metrics_compute(const rb_metric_input *in, rb_metrics *out, rb_error *err);

/* What every overflow message ends with: the likely cause, and the switch that let it in. */
#define RB_OVERFLOW_HINT \
    "prices outside " RB_PRICE_RANGE_TEXT ", which import refuses unless --allow-extreme-prices, can do that"

/* The failure of a run whose value at bar t (time `when`) is v, not a finite number: its
 * arithmetic overflowed. RB_ERR_DATA, a runtime failure (exit 1) that a sweep records as the
 * configuration's; the same message from both simulators. */
rb_status rb_metrics_overflow(size_t t, rb_time when, double v, rb_error *err);

/* What the metrics of a run are computed from: both simulators accumulate it bar by bar
 * through one accumulator (metric_acc.h: the reference over its value series in
 * rb_metrics_compute, the batch over its configurations' columns), then call
 * rb_metrics_finish, so the arithmetic and the formulas exist once. */
typedef struct rb_metric_sums {
    double final_value;
    double index;      /* prod(1 + r_t) */
    double mean_r;     /* mean of r_t, t = 1..n */
    double sd_r;       /* sample stdev of r_t (NaN when n < 2) */
    double sd_e;       /* sample stdev of r_t - c_t */
    double mean_down2; /* mean of min(r_t, 0)^2 over all n returns */
    double mean_value; /* mean of V_t over all T bars */
    double mean_drift; /* mean over all T bars of the drift (T - 1 when depleted) */
    double max_dd;
    rb_time dd_peak, dd_trough;
    /* the risk and benchmark statistics (metric_acc.h, metric_risk.c) */
    size_t n;                 /* returns */
    double sum_r, sum_r2, sum_r3, sum_r4;
    double mean_dd2;          /* mean over the n returns' bars of the squared fall below the high */
    double long_bars, long_secs, cur_bars, cur_secs;
    int recovered;            /* the deepest drawdown was made up by the last bar */
    double rec_bars, rec_secs;
    double sum_b, sum_b2, sum_rb, sum_a, sum_a2, up_r, up_b, down_r, down_b, b_index;
} rb_metric_sums;

/* RB_OK when the sums are finite numbers; else the run's arithmetic overflowed (values
 * each finite, their sum not): RB_ERR_DATA, from both simulators alike. */
rb_status rb_metrics_check_sums(const rb_metric_sums *s, rb_error *err);

/* Fills out from the sums and the run's totals and conventions in `in` (T, time,
 * periods_per_year, periods_source, rf, rebalances, traded_value, costs, taxes,
 * after_tax_value, depleted; the series are not read). */
void rb_metrics_finish(const rb_metric_sums *s, const rb_metric_input *in, double bonus, rb_metrics *out);

/* metric_risk.c: the metrics from the risk and benchmark sums of s (beta to recovery_days,
 * after_tax_cagr), into out, whose cagr, final_value and after_tax_value are set; the
 * series-only ones (var_*, cvar_*, irr) NaN. Both simulators. */
void rb_metrics_finish_risk(const rb_metric_sums *s, const rb_metric_input *in, rb_metrics *out);

/* metric_tail.c: the metrics that need the whole series (var_95 to cvar_99, irr) from in's
 * values and flows, into out: the reference simulator's (`rebal run`, kept runs). Fails only
 * when out of memory. */
rb_status rb_metrics_tail(const rb_metric_input *in, rb_metrics *out, rb_error *err);

/* The rebalancing bonus of the targets over the closes (needs T, N, close, target,
 * periods_per_year): the same for every configuration sharing them. NaN when n < 2. */
double rb_metrics_bonus(const rb_metric_input *in);

/* The most periods per year the metrics accept from inference (24/7 minute bars are 525,960;
 * a trading day's 390 minutes, 98,280): finer bars must say P with --periods-per-year. */
#define RB_MAX_INFERRED_PERIODS 400000.0

/* Refuses (RB_ERR_DATA, one line saying why and what to pass) an inferred periods per year
 * that cannot annualize: bars spanning under one day, or more than RB_MAX_INFERRED_PERIODS.
 * A figure set by the caller (inferred 0) always passes. Both simulators call it before they
 * compute metrics. */
rb_status rb_metrics_check_periods(const rb_time *time, size_t T, double periods_per_year, int inferred,
                                   const char *source, rb_error *err);

/* The metric noise floor: stdevs and drawdowns at or below it count as zero. */
#define RB_METRIC_NOISE 1e-12

#endif /* RB_METRICS_H */
