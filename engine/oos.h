/* oos.h - the out-of-sample test of a sweep (rebal.h: rb_oos_options, rb_oos_result;
 * docs/sweeps.md, "Out of sample"): its windows over the sweep's bars (oos/plan.c), the
 * sweeps of every window's parts through the batch simulator, the winners, their ranks and
 * the stitched curve (oos/walk.c, oos/stitch.c). Internal. */
#ifndef RB_OOS_H
#define RB_OOS_H

#include <stddef.h>
#include <stdint.h>

#include "rebal.h"
#include "results/writer.h"
#include "spec.h"

/* The most windows a test may have (each runs the sweep twice). */
#define RB_OOS_MAX_WINDOWS 1000

/* One window as bar indices of the sweep's matrix: the training part's first and last bar,
 * then the test part's last bar (it starts on train_last). */
typedef struct rb_oos_span {
    size_t train_first, train_last, test_last;
} rb_oos_span;

typedef struct rb_oos_plan {
    size_t n;
    rb_oos_span *w;     /* n windows, malloc'ed */
    char scheme[96];    /* as rb_oos_result.scheme */
    char by[64];        /* the metric */
} rb_oos_plan;

/* rb_oos_check (rebal.h): the options that need no data. */

/* The windows of o over the bars time[0..T): refused (naming the option and the data's
 * dates) when none fits, when a part would hold fewer than 2 bars, or past RB_OOS_MAX_WINDOWS. */
rb_status rb_oos_plan_make(const rb_oos_options *o, const rb_time *time, size_t T, rb_oos_plan *out, rb_error *err);
void rb_oos_plan_free(rb_oos_plan *p);

/* What a test needs of the sweep being run (sweep_run.c). */
typedef struct rb_oos_job {
    rb_store *prices;
    const rb_sweep *sweep;
    const rb_run_spec *data_spec; /* the [data] settings (borrowed from the sweep) */
    const rb_matrix *m;           /* the whole period's bars */
    int threads;
    volatile int *stop;
    int64_t is_id;                /* the in-sample winner: the whole period's best */
} rb_oos_job;

/* Runs the test (plan over job->m) into out: every part a sweep of every configuration with
 * the part's start and end, the winners, ranks and the stitched curve. Stopped (RB_ERR_USAGE
 * "interrupted") when *job->stop becomes non-zero. out's arrays are malloc'ed (rb_oos_result_clear). */
rb_status rb_oos_run(const rb_oos_job *job, const rb_oos_plan *plan, rb_oos_result *out, rb_error *err);
void rb_oos_result_clear(rb_oos_result *r);

/* The test of sweep `sweep_id` (rebal.h: rb_sweep_options.oos) once the sweep is complete:
 * found in the store (the same scheme and metric: *found = 1, nothing run) or run and stored.
 * *id gets its id. */
rb_status rb_oos_sweep(const rb_oos_job *job, const rb_oos_options *o, rb_results *results, int64_t sweep_id,
                       int64_t *id, int *found, rb_error *err);

/* The stitched statistics of a curve of n + 1 values starting at capital (oos/stitch.c). */
void rb_oos_stats_of(const double *value, size_t count, double capital, double periods_per_year, rb_oos_stats *out);

#endif /* RB_OOS_H */
