/* periods.h - a run's period tables (periods.c): the monthly returns table and the rolling
 * one-year statistics, for the CSV writers (rebal.h) and the report's charts. Internal. */
#ifndef RB_PERIODS_H
#define RB_PERIODS_H

#include "rebal.h"
#include "simulate.h"

/* The bar returns r_t of a simulation into r (T values; r[0] = 0), by the accumulator's
 * expression (metric_acc.h): the returns of every metric. */
void rb_periods_returns(const rb_sim_result *s, double *r);

/* Years first_year .. first_year + years - 1, 13 cells each: the time-weighted return of
 * each month (Jan..Dec) and of the year, NaN where the run has no return in it. */
typedef struct rb_month_table {
    int first_year;
    size_t years;
    double *cell; /* years * 13, malloc'ed: free(cell) */
} rb_month_table;

/* The table of T bars at `time` with returns r (r[0] unused). */
rb_status rb_periods_monthly_of(const rb_time *time, const double *r, size_t T, rb_month_table *out, rb_error *err);

/* The rolling statistics over windows of `window` = round(P) returns (a year of bars, at
 * least 2), one row per bar that ends a whole window: its time (seconds, as a double), the
 * compounded return, the annualized volatility and the Sharpe ratio (NaN at zero spread).
 * No rows when the run has fewer returns than a window. */
typedef struct rb_rolling {
    size_t window, rows;
    double *ret, *vol, *sharpe, *when;
    void *owned; /* free(owned) releases them */
} rb_rolling;

/* Over T bars at `time` with returns r (r[0] unused), P periods a year, rf a year. */
rb_status rb_periods_rolling_of(const rb_time *time, const double *r, size_t T, double P, double rf, rb_rolling *out,
                                rb_error *err);

#endif /* RB_PERIODS_H */
