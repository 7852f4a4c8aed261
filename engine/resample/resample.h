/* resample.h - resampled histories (rebal.h, "resampled histories"): a counter-based random
 * stream per history, the stationary block bootstrap's rows, the geometric Brownian motion's
 * fit, the histories built from them, and the distributions a sweep over them stores.
 * Internal. */
#ifndef RB_RESAMPLE_H
#define RB_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "rebal.h"

#define RB_RESAMPLE_MAX_HISTORIES 1000000

/* The canonical text of a spec ("block-bootstrap:1000:20", "gbm:500"), as the results store
 * keeps it (len >= 64). */
void rb_resample_text(const rb_resample_spec *spec, char *buf, size_t len);

/* A stream of random numbers keyed by (seed, history) alone: splitmix64 over a counter, so
 * history h's numbers do not depend on which thread draws it or on the histories before. */
typedef struct rb_rstream {
    uint64_t key, counter;
    double spare; /* the second normal of the last Box-Muller pair */
    int has_spare;
} rb_rstream;

void rb_rstream_init(rb_rstream *s, uint64_t seed, uint64_t history);
uint64_t rb_rstream_u64(rb_rstream *s);
double rb_rstream_uniform(rb_rstream *s);  /* in [0, 1), 53 bits */
double rb_rstream_normal(rb_rstream *s);   /* standard normal (Box-Muller) */

/* The stationary bootstrap's return rows for one history of T bars: row[0] = 0 (bar 0 keeps
 * its real prices) and, for t >= 1, row[t] in [1, T) the real bar whose returns bar t takes:
 * row[t - 1] + 1 (wrapping from T - 1 to 1) with probability 1 - 1/L, else a row drawn
 * uniformly (a new block; bar 1 always starts one). T >= 2. */
void rb_bootstrap_rows(rb_rstream *s, size_t T, double block_length, size_t *row);

/* The fit of a multivariate geometric Brownian motion to the log returns of assets cols[0..n)
 * of m over bars 1..T-1: mean mu (n), covariance (n x n, divided by T - 2) and its lower
 * Cholesky factor chol (n x n; a constant asset gets a zero row and column). */
typedef struct rb_gbm_fit {
    size_t n;
    size_t *cols;
    double *mu, *cov, *chol;
} rb_gbm_fit;

rb_status rb_gbm_fit_matrix(const rb_matrix *m, rb_gbm_fit *fit, rb_error *err);
void rb_gbm_fit_free(rb_gbm_fit *fit);

/* History h of m into out, a matrix laid out by rb_history_alloc for m (its arrays reused
 * from one history to the next); fit: the GBM fit of m (NULL for the bootstrap); rows (T)
 * and z (N) are scratch. */
rb_status rb_history_alloc(const rb_matrix *m, rb_matrix *out, rb_error *err);
void rb_history_release(rb_matrix *out);
void rb_history_fill(const rb_matrix *m, const rb_resample_spec *spec, const rb_gbm_fit *fit, uint64_t h,
                     rb_matrix *out, size_t *rows, double *z);

/* The distribution of values v[0..n) (NaN entries skipped; v is reordered) against the
 * benchmark b[0..n) (NULL: no excess and p_beat, set to NaN). Quantiles interpolate linearly
 * between order statistics (q (n - 1), numpy's default). */
void rb_resample_summarize(double *v, const double *b, size_t n, double *scratch, rb_resample_stat *out);

/* The q-quantile (0..1) of sorted x[0..n), n >= 1. */
double rb_quantile_sorted(const double *x, size_t n, double q);

#endif /* RB_RESAMPLE_H */

/* ---------------------------------------------------------------- a sweep over histories */

#include <signal.h>

#include "batch.h"
#include "results/sql.h"

/* What rb_resample_run runs: configurations 0..n-1 of a sweep (spec_fn fills each, as for
 * rb_batch_run), with ids[k] their config ids, on every history of spec; the distributions go
 * to the results store conn under sweep sweep_id. */
typedef struct rb_resample_job {
    rb_store *prices;
    const rb_matrix *m;
    uint64_t n;
    const int64_t *ids;
    rb_batch_spec_fn spec_fn;
    void *spec_ctx;
    const rb_run_spec *benchmark; /* buy-and-hold of the [data] assets and weights */
    const rb_resample_spec *spec;
    int threads;
    volatile sig_atomic_t *stop;
    const rb_rconn *conn;
    int64_t sweep_id;
    size_t chunk_bytes; /* the most memory the final values of a chunk of configurations take
                           (8 bytes x histories each); 0: RB_RESAMPLE_CHUNK_BYTES */
} rb_resample_job;

#define RB_RESAMPLE_CHUNK_BYTES ((size_t)256 << 20)

/* Runs the job: histories in parallel (each on one thread, the configurations of a chunk by
 * the batch simulator there), every final value kept until its chunk is summarized. The
 * stored rows are the same to the bit for any number of threads. *interrupted = 1 (nothing
 * stored) when stop was set. */
rb_status rb_resample_run(const rb_resample_job *job, rb_resample_info *info, int *interrupted, rb_error *err);
