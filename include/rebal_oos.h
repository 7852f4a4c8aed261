/* rebal_oos.h - out-of-sample tests of a sweep, part of the library's public API (rebal.h
 * includes it): the options of rb_sweep_options.oos, and the test as the results store keeps
 * it (docs/sweeps.md, "Out of sample"). */
#ifndef RB_REBAL_OOS_H
#define RB_REBAL_OOS_H

#include <stdint.h>
#include <stdio.h>

#include "rebal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An out-of-sample test of a sweep (docs/sweeps.md, "Out of sample"): in each window the
 * configuration best by `by` on the training part is chosen and scored on the test part that
 * follows; the test parts' equity curves are stitched into one. Zeroed: none. */
typedef struct rb_oos_options {
    const char *walk_forward; /* "TRAIN:TEST" windows: "3y:1y", "18m:6m", "8w:2w", "90d:30d" (years,
                                 months, weeks, days) or "500b:100b" (bars); NULL: none */
    const char *split;        /* "DATE": one window, trained up to DATE, tested after it; NULL: none */
    int anchored;             /* walk_forward: every training part starts at the first bar */
    const char *by;           /* the metric choosing each window's winner; NULL: after_tax_value */
} rb_oos_options;

/* Checks what needs no data: walk_forward or split given (not both), their syntax, anchored
 * only with walk_forward, the metric. Errors name the option ("--walk-forward '3x:1y': ...").
 * The windows themselves are checked against the data when the sweep starts. */
rb_status rb_oos_check(const rb_oos_options *o, rb_error *err);

/* The figures of an equity curve the out-of-sample test compares (docs/sweeps.md): from its
 * time-weighted returns r_t, with P the sweep's periods per year and n the returns. */
typedef struct rb_oos_stats {
    double final_value;  /* the curve's last value (it starts at the capital) */
    double total_return; /* final_value / capital - 1 */
    double cagr;         /* (final_value / capital)^(P / n) - 1 */
    double ann_vol;      /* stdev(r) * sqrt(P) */
    double sharpe;       /* sqrt(P) * mean(r) / stdev(r) (no risk-free rate); NaN when undefined */
    double max_drawdown; /* the largest fall from a running peak, a positive fraction */
} rb_oos_stats;

/* One window: its training and test parts (bar times; the test part starts on the training
 * part's last bar) and the configuration chosen on the first, scored on the second. */
typedef struct rb_oos_window {
    rb_time train_start, train_end, test_start, test_end;
    size_t train_bars, test_bars;
    int64_t winner_id;         /* the best configuration of the training part */
    char winner_section[64];
    double train_metric;       /* its metric on the training part */
    double test_metric;        /* and on the test part */
    uint64_t test_rank;        /* its rank on the test part among the configurations ranked there (1: best) */
    uint64_t ranked;           /* configurations ranked on the test part (those that ran, the metric defined) */
    uint64_t is_test_rank;     /* the in-sample winner's rank on the test part (0: not ranked) */
    double start_value, end_value; /* the stitched curve at the test part's first and last bar */
} rb_oos_window;

/* One bar of the stitched out-of-sample curve and of the in-sample winner's over the same bars. */
typedef struct rb_oos_point {
    rb_time time;
    size_t window;   /* the window whose test part the bar is in */
    double oos_value, is_value;
} rb_oos_point;

/* An out-of-sample test as the results store keeps it. */
typedef struct rb_oos_result {
    int64_t id, sweep_id;
    char scheme[96];          /* "walk-forward 3y:1y", "walk-forward 3y:1y anchored", "split 2020-01-01" */
    char by[64];              /* the metric that chose the winners */
    uint64_t configurations;
    char created_at[32];
    int64_t is_id;            /* the in-sample winner: the best of the whole period by `by` */
    char is_section[64];
    double is_metric;         /* its metric over the whole period */
    rb_oos_stats oos;         /* the stitched curve */
    rb_oos_stats is;          /* the in-sample winner's curve over the same bars (one run) */
    double top_decile;        /* share of windows whose winner ranks in the test part's top 10 % */
    double is_top_decile;     /* the same for the in-sample winner */
    size_t nwindows;
    rb_oos_window *windows;
    size_t npoints;
    rb_oos_point *curve;
} rb_oos_result;

/* The latest out-of-sample test of sweep sweep_id (0: the latest sweep) in the results store
 * at path: *out (free with rb_oos_free) or NULL when the sweep has none (a store written
 * before them included). */
rb_status rb_oos_read(const char *results_path, int64_t sweep_id, rb_oos_result **out, rb_error *err);
void rb_oos_free(rb_oos_result *r);

/* Writes a test as `rebal runs` shows it under the sweep's runs: the stitched curve against
 * the in-sample winner's, then one line per window. */
void rb_oos_print(const rb_oos_result *r, FILE *out);

#ifdef __cplusplus
}
#endif

#endif /* RB_REBAL_OOS_H */
