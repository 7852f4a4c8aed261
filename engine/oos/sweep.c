/* sweep.c - the out-of-sample test of a sweep just recorded (oos.h: rb_oos_sweep), and
 * reading one back (rebal.h: rb_oos_read). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "metric_table.h"
#include "oos.h"
#include "results/oos_store.h"
#include "results/reader.h"

typedef struct best_run {
    const char *by;
    int64_t id;
    double metric;
} best_run;

static rb_status take_best(void *ctx, const rb_results_run *run, rb_error *err)
{
    (void)err;
    best_run *b = ctx;
    b->id = run->config_id;
    b->metric = rb_metric_value(&run->metrics, b->by);
    return RB_OK;
}

/* The in-sample winner: the sweep's best run by the metric, as rebal runs ranks them. */
static rb_status in_sample_best(const rb_rconn *c, int64_t sweep_id, best_run *b, rb_error *err)
{
    rb_results_reader *rd = NULL;
    rb_status rc = rb_results_reader_borrow(c, &rd, err);
    if (rc != RB_OK) return rc;
    rb_results_query q = {.sweep_id = sweep_id, .status = RB_RUNS_OK, .by = b->by, .limit = 1};
    rc = rb_results_reader_each(rd, &q, take_best, b, err);
    rb_results_reader_close(rd);
    return rc;
}

rb_status rb_oos_sweep(const rb_oos_job *job, const rb_oos_options *o, rb_results *results, int64_t sweep_id,
                       int64_t *id, int *found, rb_error *err)
{
    *id = 0, *found = 0;
    const rb_rconn *c = rb_results_connection(results);
    rb_oos_plan plan;
    rb_status rc = rb_oos_plan_make(o, job->m->time, job->m->T, &plan, err);
    if (rc != RB_OK) return rc;
    rc = rb_results_oos_find(c, sweep_id, plan.scheme, plan.by, id, err);
    if (rc == RB_OK && *id) {
        *found = 1;
        rb_oos_plan_free(&plan);
        return RB_OK;
    }
    best_run b = {.by = plan.by};
    if (rc == RB_OK) rc = in_sample_best(c, sweep_id, &b, err);
    rb_oos_job j = *job;
    j.is_id = b.id;
    rb_oos_result r;
    if (rc == RB_OK) rc = rb_oos_run(&j, &plan, &r, err);
    if (rc == RB_OK) {
        r.sweep_id = sweep_id;
        r.is_metric = r.is_id ? b.metric : NAN;
        rc = rb_results_oos_write(c, &r, id, err);
        rb_oos_result_clear(&r);
    }
    if (rc != RB_OK && err && strcmp(err->msg, "interrupted") != 0) rb_error_prefix(err, "out of sample (%s)", plan.scheme);
    rb_oos_plan_free(&plan);
    return rc;
}

rb_status rb_oos_read(const char *results_path, int64_t sweep_id, rb_oos_result **out, rb_error *err)
{
    *out = NULL;
    rb_results_reader *rd = NULL;
    rb_status rc = rb_results_reader_open(results_path, &rd, err);
    if (rc == RB_OK) rc = rb_results_reader_oos(rd, sweep_id, out, err);
    rb_results_reader_close(rd);
    return rc;
}
