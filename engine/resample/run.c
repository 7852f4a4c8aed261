/* run.c - every configuration of a sweep on every resampled history (resample.h): buy-and-
 * hold first (the reference simulator, one run per history), then the configurations in
 * chunks whose final values fit the memory bound, histories spread over OpenMP threads, each
 * history's configurations run by the batch simulator on that thread. What a history holds
 * depends on (seed, history) alone and every value has its own slot, so the distributions are
 * the same for any number of threads. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "error.h"
#include "resample.h"
#include "results/resample_store.h"
#include "run_result.h"

/* One thread's history and scratch. */
typedef struct worker {
    rb_matrix hist;
    size_t *rows;
    double *z;
    int ready;
} worker;

static rb_status worker_init(worker *w, const rb_matrix *m, rb_error *err)
{
    memset(w, 0, sizeof *w);
    rb_status rc = rb_history_alloc(m, &w->hist, err);
    if (rc != RB_OK) return rc;
    w->ready = 1;
    w->rows = rb_malloc(m->T * sizeof *w->rows);
    w->z = rb_malloc((m->N ? m->N : 1) * sizeof *w->z);
    if (!w->rows || !w->z) return rb_fail(err, RB_ERR_NOMEM, "out of memory for a resampled history");
    return RB_OK;
}

static void worker_free(worker *w)
{
    if (w->ready) rb_history_release(&w->hist);
    free(w->rows);
    free(w->z);
}

/* The first error of any thread (by history, the lowest: the same message on every run). */
typedef struct shared {
    const rb_resample_job *job;
    const rb_gbm_fit *fit;
    int failed;
    uint64_t failed_at;
    rb_error err;
} shared;

static void record(shared *sh, uint64_t h, const rb_error *e)
{
#pragma omp critical(rb_resample_error)
    if (!sh->failed || h < sh->failed_at) {
        sh->failed = 1;
        sh->failed_at = h;
        sh->err = *e;
    }
}

static int stopped(const shared *sh) { return sh->failed || (sh->job->stop && *sh->job->stop); }

/* Buy-and-hold's final value on history h (NaN when the run fails on it, an overflow). */
static rb_status benchmark_on(shared *sh, worker *w, uint64_t h, double *out, rb_error *err)
{
    const rb_resample_job *job = sh->job;
    rb_history_fill(job->m, job->spec, sh->fit, h, &w->hist, w->rows, w->z);
    rb_run_result *r = NULL;
    rb_status rc = rb_run_matrix(job->prices, &w->hist, job->benchmark, 0, &r, err);
    *out = rc == RB_OK ? rb_run_metrics(r)->final_value : NAN;
    rb_run_result_free(r);
    return rc == RB_ERR_DATA ? RB_OK : rc; /* a history the arithmetic cannot carry: left out */
}

/* Final values of one chunk of configurations on one history: vals[(k - first) * H + h]. */
typedef struct chunk_ctx {
    const rb_resample_job *job;
    double *vals;
    uint64_t first, H, h;
} chunk_ctx;

static rb_status spec_of(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    const rb_resample_job *job = ((chunk_ctx *)ctx)->job;
    return job->spec_fn(job->spec_ctx, k, spec, err);
}

static rb_status put_value(void *ctx, uint64_t k, const rb_metrics *m, rb_error *err)
{
    (void)err;
    chunk_ctx *c = ctx;
    c->vals[(k - c->first) * c->H + c->h] = m->final_value;
    return RB_OK;
}

static rb_status put_failure(void *ctx, uint64_t k, const rb_error *why, rb_error *err)
{
    (void)ctx, (void)k, (void)why, (void)err;
    return RB_OK; /* its slot stays NaN: a history it did not run on */
}

/* What one history does with the worker it runs on (its errors recorded by the caller). */
typedef rb_status (*history_fn)(shared *sh, worker *w, uint64_t h, void *ctx, rb_error *err);

/* fn on every history, spread over the job's threads, each with a worker of its own. */
static void each_history(shared *sh, history_fn fn, void *ctx, const char *what)
{
    const rb_resample_job *job = sh->job;
    const uint64_t H = job->spec->histories;
#pragma omp parallel num_threads(job->threads)
    {
        worker w;
        rb_error e = {0};
        int ok = worker_init(&w, job->m, &e) == RB_OK;
        if (!ok) record(sh, 0, &e);
#pragma omp for schedule(dynamic, 1)
        for (uint64_t h = 0; h < H; h++) {
            if (!ok || stopped(sh)) continue;
            rb_error he = {0};
            if (fn(sh, &w, h, ctx, &he) != RB_OK) {
                rb_error_prefix(&he, "--resample: %s %llu", what, (unsigned long long)h);
                record(sh, h, &he);
            }
        }
        worker_free(&w);
    }
}

/* A chunk of configurations, queue[0..n), on one history. */
typedef struct chunk_job {
    const uint64_t *queue;
    size_t n;
    double *vals;
} chunk_job;

static rb_status chunk_on(shared *sh, worker *w, uint64_t h, void *ctx, rb_error *err)
{
    const rb_resample_job *job = sh->job;
    const chunk_job *cj = ctx;
    rb_history_fill(job->m, job->spec, sh->fit, h, &w->hist, w->rows, w->z);
    chunk_ctx sc = {.job = job, .vals = cj->vals, .first = cj->queue[0], .H = job->spec->histories, .h = h};
    rb_batch_options bo = {.threads = 1, .stop = job->stop, .failed = put_failure};
    uint64_t completed = 0;
    return rb_batch_run(job->prices, &w->hist, cj->queue, cj->n, spec_of, put_value, &sc, &bo, &completed, err);
}

static rb_status benchmark_at(shared *sh, worker *w, uint64_t h, void *ctx, rb_error *err)
{
    return benchmark_on(sh, w, h, &((double *)ctx)[h], err);
}

/* Summarizes and stores the chunk's configurations. */
static rb_status store_chunk(const rb_resample_job *job, rb_resample_writer *wr, uint64_t first, size_t n,
                             double *vals, const double *bh, double *scratch, rb_error *err)
{
    const uint64_t H = job->spec->histories;
    rb_status rc = RB_OK;
    for (size_t j = 0; j < n && rc == RB_OK; j++) {
        rb_resample_stat st = {.config_id = job->ids[first + j]};
        rb_resample_summarize(vals + j * H, bh, H, scratch, &st);
        rc = rb_resample_store_put(wr, &st, err);
    }
    return rc;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The chunks, one after the other, into the open writer. */
static rb_status run_chunks(shared *sh, rb_resample_writer *wr, const double *bh, double *scratch, rb_error *err)
{
    const rb_resample_job *job = sh->job;
    const uint64_t H = job->spec->histories;
    size_t bytes = job->chunk_bytes ? job->chunk_bytes : RB_RESAMPLE_CHUNK_BYTES;
    uint64_t per = bytes / (8 * H);
    if (per < 1) per = 1;
    if (per > job->n) per = job->n;
    double *vals = rb_malloc((size_t)(per * H) * sizeof *vals);
    uint64_t *queue = rb_malloc((size_t)(per ? per : 1) * sizeof *queue);
    rb_status rc = vals && queue ? RB_OK : rb_fail(err, RB_ERR_NOMEM, "--resample: out of memory for %llu x %llu values",
                                                  (unsigned long long)per, (unsigned long long)H);
    for (uint64_t first = 0; first < job->n && rc == RB_OK && !stopped(sh); first += per) {
        size_t n = (size_t)(job->n - first < per ? job->n - first : per);
        for (size_t j = 0; j < n; j++) queue[j] = first + j;
        for (size_t i = 0; i < n * H; i++) vals[i] = NAN;
        chunk_job cj = {.queue = queue, .n = n, .vals = vals};
        each_history(sh, chunk_on, &cj, "history");
        if (!stopped(sh)) rc = store_chunk(job, wr, first, n, vals, bh, scratch, err);
    }
    free(vals);
    free(queue);
    return rc;
}

rb_status rb_resample_run(const rb_resample_job *job, rb_resample_info *info, int *interrupted, rb_error *err)
{
    *interrupted = 0;
    const uint64_t H = job->spec->histories;
    double t0 = now_seconds();
    rb_gbm_fit fit = {0};
    shared sh = {.job = job};
    rb_status rc = RB_OK;
    if (job->m->T < 2) return rb_fail(err, RB_ERR_DATA, "--resample: a history needs at least 2 bars (got %zu)", job->m->T);
    if (job->spec->method == RB_RESAMPLE_GBM) {
        rc = rb_gbm_fit_matrix(job->m, &fit, err);
        sh.fit = &fit;
    }
    double *bh = rc == RB_OK ? rb_malloc((size_t)H * sizeof *bh) : NULL;
    double *scratch = rc == RB_OK ? rb_malloc((size_t)H * sizeof *scratch) : NULL;
    double *copy = rc == RB_OK ? rb_malloc((size_t)H * sizeof *copy) : NULL;
    if (rc == RB_OK && (!bh || !scratch || !copy)) rc = rb_fail(err, RB_ERR_NOMEM, "--resample: out of memory");
    rb_resample_info got = {.spec = *job->spec, .configurations = job->n};
    rb_resample_text(job->spec, got.method, sizeof got.method);
    if (rc == RB_OK) {
        for (uint64_t h = 0; h < H; h++) bh[h] = NAN;
        each_history(&sh, benchmark_at, bh, "buy-and-hold on history");
        memcpy(copy, bh, (size_t)H * sizeof *copy);
        rb_resample_summarize(copy, NULL, H, scratch, &got.benchmark);
    }
    rb_resample_writer *wr = NULL;
    if (rc == RB_OK && !stopped(&sh)) rc = rb_resample_store_begin(job->conn, job->sweep_id, &got, &wr, err);
    if (rc == RB_OK && wr) rc = run_chunks(&sh, wr, bh, scratch, err);
    if (rc == RB_OK && sh.failed) {
        rc = sh.err.code;
        if (err) *err = sh.err;
    }
    got.seconds = now_seconds() - t0;
    if (rc == RB_OK && job->stop && *job->stop) *interrupted = 1;
    if (wr && (rc != RB_OK || *interrupted)) rb_resample_store_abort(wr);
    else if (wr) rc = rb_resample_store_end(wr, got.seconds, err);
    free(bh);
    free(scratch);
    free(copy);
    rb_gbm_fit_free(&fit);
    if (rc == RB_OK && info) *info = got;
    return rc;
}
