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
    const double *target;  /* N target weights */
    const double *target_path; /* T*N targets in force at each bar (dynamic targets), or NULL:
                                  avg_drift is measured against them when given */
    const double *weights; /* T*N end-of-bar weights w_t[i] */
    double periods_per_year;
    const char *periods_source;
    double rf;             /* risk-free rate per year, a fraction */
    double rebalances;     /* rebalances that traded, first allocation excluded */
    double traded_value;   /* sum of |order value| of rebalances (not the first allocation or flows) */
    double fees, slippage, gas, taxes;
    double after_tax_value;
} rb_metric_input;

/* Computes every metric of rb_metrics from in. Fails (RB_ERR_USAGE) only for T < 2,
 * non-positive values or periods_per_year <= 0, naming what is wrong. */
rb_status rb_metrics_compute(const rb_metric_input *in, rb_metrics *out, rb_error *err);

#endif /* RB_METRICS_H */
