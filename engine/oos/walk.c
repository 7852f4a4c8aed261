/* walk.c - running an out-of-sample test (oos.h): each window's training and test parts are
 * sweeps of every configuration through the batch simulator over the part's dates (the
 * sweep's specification with the part's first and last bar as its start and end, so each
 * equals a sweep run with those settings, to the bit); the training part's best is chosen and
 * ranked on the test part, and its test run, replayed by the reference simulator, is stitched
 * onto the curve. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "batch.h"
#include "error.h"
#include "metric_table.h"
#include "metrics.h"
#include "oos.h"
#include "resolve.h"
#include "results/schema.h"
#include "run_result.h"
#include "sweep.h"

/* One part's sweep: every configuration's metric and final value (NaN when it failed). */
typedef struct part_run {
    const rb_sweep *sweep;
    rb_time start, end;
    const char *by;
    double *metric, *final_value;
} part_run;

/* Configuration k with the part's start and end: what a sweep with those [data] settings fills. */
static rb_status part_spec(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    (void)err;
    const part_run *pr = ctx;
    rb_sweep_fill(pr->sweep, k, spec);
    spec->has_start = 1, spec->start = pr->start;
    spec->has_end = 1, spec->end = pr->end;
    return RB_OK;
}

static rb_status part_result(void *ctx, uint64_t k, const rb_metrics *m, rb_error *err)
{
    (void)err;
    part_run *pr = ctx;
    pr->metric[k] = rb_metric_value(m, pr->by);
    pr->final_value[k] = m->final_value;
    return RB_OK;
}

static rb_status part_failed(void *ctx, uint64_t k, const rb_error *why, rb_error *err)
{
    (void)why, (void)err;
    part_run *pr = ctx;
    pr->metric[k] = pr->final_value[k] = NAN;
    return RB_OK;
}

/* The data spec moved to [start, end]. */
static rb_run_spec part_data(const rb_oos_job *job, rb_time start, rb_time end)
{
    rb_run_spec s = *job->data_spec;
    s.has_start = 1, s.start = start;
    s.has_end = 1, s.end = end;
    return s;
}

/* Runs every configuration over [start, end] into pr's arrays; *m gets the part's matrix. */
static rb_status run_part(const rb_oos_job *job, part_run *pr, const uint64_t *queue, uint64_t K, rb_matrix **m,
                          rb_error *err)
{
    rb_run_spec ds = part_data(job, pr->start, pr->end);
    rb_status rc = rb_resolve_matrix(job->prices, &ds, m, err);
    if (rc == RB_OK)
        rc = rb_metrics_check_periods((*m)->time, (*m)->T, (*m)->periods_per_year, (*m)->periods_inferred,
                                      (*m)->periods_source, err);
    for (uint64_t k = 0; k < K; k++) pr->metric[k] = pr->final_value[k] = NAN;
    rb_batch_options bo = {.threads = job->threads, .stop = (volatile sig_atomic_t *)job->stop, .failed = part_failed};
    uint64_t completed = 0;
    if (rc == RB_OK) rc = rb_batch_run(job->prices, *m, queue, (size_t)K, part_spec, part_result, pr, &bo, &completed, err);
    if (rc == RB_OK && completed < K) rc = rb_fail(err, RB_ERR_USAGE, "interrupted");
    return rc;
}

/* 1 when configuration a ranks before b: the better metric (asc: lower), a defined one before
 * NaN, then the lower config id (the order of rebal runs). */
static int before(const double *v, const int64_t *ids, int asc, uint64_t a, uint64_t b)
{
    double x = v[a], y = v[b];
    if (isnan(x) != isnan(y)) return !isnan(x);
    if (!isnan(x) && x != y) return asc ? x < y : x > y;
    return ids[a] < ids[b];
}

static uint64_t best_of(const double *v, const int64_t *ids, int asc, uint64_t K)
{
    uint64_t best = 0;
    for (uint64_t k = 1; k < K; k++)
        if (before(v, ids, asc, k, best)) best = k;
    return best;
}

/* k's rank among the configurations whose metric is defined (0 when k's is not). */
static uint64_t rank_of(const double *v, const int64_t *ids, int asc, uint64_t K, uint64_t k, uint64_t *ranked)
{
    uint64_t r = 1, n = 0;
    for (uint64_t j = 0; j < K; j++) {
        if (isnan(v[j])) continue;
        n++;
        if (j != k && before(v, ids, asc, j, k)) r++;
    }
    *ranked = n;
    return isnan(v[k]) ? 0 : r;
}

/* Replays configuration k over m (a part's matrix) with the reference simulator: g[t] (m->T
 * values, malloc'ed) its time-weighted curve from g0, the first bar's value after the entry
 * (the first allocation's costs: g0 * V_0 / capital), then g[t] = g[t-1] * (V_t - F_t) / V_{t-1},
 * so contributions and withdrawals are not counted as gains. */
static rb_status replay(const rb_oos_job *job, const rb_matrix *m, uint64_t k, double g0, double **g, rb_error *err)
{
    part_run pr = {.sweep = job->sweep, .start = m->time[0], .end = m->time[m->T - 1]};
    rb_run_spec spec;
    part_spec(&pr, k, &spec, err);
    rb_run_result *r = NULL;
    rb_status rc = rb_run_matrix(job->prices, m, &spec, RB_KEEP_CURVE, &r, err);
    if (rc != RB_OK) return rc;
    const rb_sim_result *s = &r->sim;
    if (s->T != m->T) rc = rb_fail(err, RB_ERR_DATA, "the portfolio ran out (a withdrawal emptied it)");
    else if (!(*g = rb_malloc(m->T * sizeof **g))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (size_t t = 0; rc == RB_OK && t < s->T; t++)
        (*g)[t] = t == 0 ? g0 * s->value[0] / spec.capital
                         : (*g)[t - 1] * (s->value[t] - (s->flow ? s->flow[t] : 0)) / s->value[t - 1];
    rb_run_result_free(r);
    return rc;
}

/* What the windows share while they run. */
typedef struct walk {
    const rb_oos_job *job;
    const rb_oos_plan *plan;
    uint64_t K;
    uint64_t *queue;
    int64_t *ids;
    int asc;
    part_run train, test;
    uint64_t is_k;        /* the in-sample winner's index (K: not among them) */
    rb_oos_point *curve;
    size_t npoints, cap;
} walk;

static rb_status grow(walk *w, size_t more, rb_error *err)
{
    if (w->npoints + more <= w->cap) return RB_OK;
    size_t cap = (w->npoints + more) * 2;
    rb_oos_point *p = rb_realloc(w->curve, cap * sizeof *p);
    if (!p) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    w->curve = p, w->cap = cap;
    return RB_OK;
}

/* Window i: its training sweep, the winner, its test sweep and ranks, and its stretch of the
 * stitched curve. */
static rb_status run_window(walk *w, size_t i, rb_oos_window *out, rb_error *err)
{
    const rb_oos_job *job = w->job;
    const rb_oos_span *sp = &w->plan->w[i];
    const rb_time *time = job->m->time;
    rb_matrix *mtrain = NULL, *mtest = NULL;
    double *g = NULL;
    w->train.start = time[sp->train_first], w->train.end = time[sp->train_last];
    w->test.start = time[sp->train_last], w->test.end = time[sp->test_last];
    rb_status rc = run_part(job, &w->train, w->queue, w->K, &mtrain, err);
    uint64_t win = best_of(w->train.metric, w->ids, w->asc, w->K);
    if (rc == RB_OK && isnan(w->train.metric[win]))
        rc = rb_fail(err, RB_ERR_DATA, "no configuration has a defined %s on the training part", w->plan->by);
    if (rc == RB_OK) rc = run_part(job, &w->test, w->queue, w->K, &mtest, err);
    if (rc == RB_OK && isnan(w->test.final_value[win]))
        rc = rb_fail(err, RB_ERR_DATA, "its winner, config %lld, failed on the test part", (long long)w->ids[win]);
    double start = w->npoints ? w->curve[w->npoints - 1].oos_value : job->data_spec->capital;
    if (rc == RB_OK) rc = replay(job, mtest, win, start, &g, err);
    if (rc == RB_OK) rc = grow(w, mtest->T, err);
    if (rc == RB_OK) {
        if (!w->npoints) w->curve[w->npoints++] = (rb_oos_point){.time = mtest->time[0], .window = i, .oos_value = start};
        for (size_t t = 1; t < mtest->T; t++)
            w->curve[w->npoints++] = (rb_oos_point){.time = mtest->time[t], .window = i, .oos_value = g[t], .is_value = NAN};
        const char *section;
        rb_sweep_config(job->sweep, win, &section, NULL, NULL, 0);
        *out = (rb_oos_window){.train_start = w->train.start, .train_end = w->train.end, .test_start = w->test.start,
                               .test_end = w->test.end, .train_bars = mtrain->T, .test_bars = mtest->T,
                               .winner_id = w->ids[win], .train_metric = w->train.metric[win],
                               .test_metric = w->test.metric[win], .start_value = start, .end_value = g[mtest->T - 1]};
        snprintf(out->winner_section, sizeof out->winner_section, "%s", section);
        out->test_rank = rank_of(w->test.metric, w->ids, w->asc, w->K, win, &out->ranked);
        uint64_t n;
        out->is_test_rank = w->is_k < w->K ? rank_of(w->test.metric, w->ids, w->asc, w->K, w->is_k, &n) : 0;
    }
    if (rc != RB_OK && err && strcmp(err->msg, "interrupted") != 0) {
        char a[32], b[32];
        rb_error_prefix(err, "window %zu (training %s to %s)", i + 1, rb_time_format(w->train.start, a),
                        rb_time_format(w->train.end, b));
    }
    free(g);
    rb_matrix_free(mtrain);
    rb_matrix_free(mtest);
    return rc;
}

/* The in-sample winner over the test parts' bars, in one run: the is_value of the curve's points. */
static rb_status is_curve(walk *w, rb_error *err)
{
    if (w->is_k >= w->K) {
        for (size_t t = 0; t < w->npoints; t++) w->curve[t].is_value = NAN;
        return RB_OK;
    }
    const rb_oos_job *job = w->job;
    rb_run_spec ds = part_data(job, w->curve[0].time, w->curve[w->npoints - 1].time);
    rb_matrix *m = NULL;
    double *g = NULL;
    rb_status rc = rb_resolve_matrix(job->prices, &ds, &m, err);
    if (rc == RB_OK) rc = replay(job, m, w->is_k, job->data_spec->capital, &g, err);
    if (rc == RB_ERR_DATA) { /* it fails over these bars (an AMM pool too small): no curve to compare */
        for (size_t t = 0; t < w->npoints; t++) w->curve[t].is_value = NAN;
        rb_matrix_free(m);
        return RB_OK;
    }
    /* Matched by time: the part sweeps and this run load the same bars. */
    size_t j = 0;
    for (size_t t = 0; rc == RB_OK && t < w->npoints; t++) {
        while (j < m->T && m->time[j] < w->curve[t].time) j++;
        w->curve[t].is_value = j < m->T && m->time[j] == w->curve[t].time ? (t == 0 ? job->data_spec->capital : g[j]) : NAN;
    }
    if (rc != RB_OK) rb_error_prefix(err, "the in-sample winner over the test parts");
    free(g);
    rb_matrix_free(m);
    return rc;
}

static void share_top_decile(rb_oos_result *out)
{
    size_t hits = 0, is_hits = 0;
    for (size_t i = 0; i < out->nwindows; i++) {
        const rb_oos_window *x = &out->windows[i];
        uint64_t decile = (x->ranked + 9) / 10; /* the top 10 %, at least one */
        hits += x->test_rank >= 1 && x->test_rank <= decile;
        is_hits += x->is_test_rank >= 1 && x->is_test_rank <= decile;
    }
    out->top_decile = (double)hits / (double)out->nwindows;
    out->is_top_decile = out->is_id ? (double)is_hits / (double)out->nwindows : NAN;
}

static void stats_of_curve(rb_oos_result *out, double capital, double P)
{
    double *v = rb_malloc((out->npoints ? out->npoints : 1) * sizeof *v);
    if (!v) return; /* left NaN */
    for (size_t t = 0; t < out->npoints; t++) v[t] = out->curve[t].oos_value;
    rb_oos_stats_of(v, out->npoints, capital, P, &out->oos);
    for (size_t t = 0; t < out->npoints; t++) v[t] = out->curve[t].is_value;
    rb_oos_stats_of(v, out->npoints, capital, P, &out->is);
    free(v);
}

rb_status rb_oos_run(const rb_oos_job *job, const rb_oos_plan *plan, rb_oos_result *out, rb_error *err)
{
    memset(out, 0, sizeof *out);
    uint64_t K = rb_sweep_count(job->sweep);
    walk w = {.job = job, .plan = plan, .K = K, .asc = rb_results_ascending(plan->by), .is_k = K};
    w.train = w.test = (part_run){.sweep = job->sweep, .by = plan->by};
    size_t n = K ? K : 1;
    w.queue = rb_malloc(n * sizeof *w.queue), w.ids = rb_malloc(n * sizeof *w.ids);
    w.train.metric = rb_malloc(n * sizeof(double)), w.train.final_value = rb_malloc(n * sizeof(double));
    w.test.metric = rb_malloc(n * sizeof(double)), w.test.final_value = rb_malloc(n * sizeof(double));
    out->windows = rb_calloc(plan->n, sizeof *out->windows);
    rb_status rc = RB_OK;
    if (!w.queue || !w.ids || !w.train.metric || !w.train.final_value || !w.test.metric || !w.test.final_value ||
        !out->windows)
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (uint64_t k = 0; rc == RB_OK && k < K; k++) {
        w.queue[k] = k, w.ids[k] = rb_sweep_config_id(job->sweep, k);
        if (w.ids[k] == job->is_id) w.is_k = k;
    }
    for (size_t i = 0; rc == RB_OK && i < plan->n; i++) {
        rc = run_window(&w, i, &out->windows[i], err);
        if (rc == RB_OK) out->nwindows++;
    }
    if (rc == RB_OK) rc = is_curve(&w, err);
    out->curve = w.curve, out->npoints = w.npoints;
    if (rc == RB_OK) {
        snprintf(out->scheme, sizeof out->scheme, "%s", plan->scheme);
        snprintf(out->by, sizeof out->by, "%s", plan->by);
        out->configurations = K;
        out->is_id = w.is_k < K ? job->is_id : 0;
        if (w.is_k < K) {
            const char *section;
            rb_sweep_config(job->sweep, w.is_k, &section, NULL, NULL, 0);
            snprintf(out->is_section, sizeof out->is_section, "%s", section);
        }
        share_top_decile(out);
        stats_of_curve(out, job->data_spec->capital, job->m->periods_per_year);
    }
    free(w.queue), free(w.ids);
    free(w.train.metric), free(w.train.final_value), free(w.test.metric), free(w.test.final_value);
    if (rc != RB_OK) rb_oos_result_clear(out);
    return rc;
}

void rb_oos_result_clear(rb_oos_result *r)
{
    free(r->windows);
    free(r->curve);
    memset(r, 0, sizeof *r);
}
