/* periods.h - a run's period tables (periods.c): the monthly returns table and the rolling
 * one-year statistics, for the CSV writers (rebal.h) and the report's charts. Internal. */
#ifndef RB_PERIODS_H
#define RB_PERIODS_H

#include "rebal.h"

/* Years first_year .. first_year + years - 1, 13 cells each: the time-weighted return of
 * each month (Jan..Dec) and of the year, NaN where the run has no return in it. */
typedef struct rb_month_table {
    int first_year;
    size_t years;
    double *cell; /* years * 13, malloc'ed: free(cell) */
} rb_month_table;

rb_status rb_periods_monthly(const rb_run_result *r, rb_month_table *out, rb_error *err);

/* The rolling statistics over windows of `window` = round(P) returns (a year of bars, at
 * least 2), one row per bar that ends a whole window: its time (seconds, as a double), the
 * compounded return, the annualized volatility and the Sharpe ratio (NaN at zero spread).
 * No rows when the run has fewer returns than a window. */
typedef struct rb_rolling {
    size_t window, rows;
    double *ret, *vol, *sharpe, *when;
    void *owned; /* free(owned) releases them */
} rb_rolling;

rb_status rb_periods_rolling(const rb_run_result *r, rb_rolling *out, rb_error *err);

#endif /* RB_PERIODS_H */
