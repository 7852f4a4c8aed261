/* batch.h - the batch simulator: many configurations over one price matrix. Blocks of
 * configurations are advanced bar by bar with structure-of-arrays state (units[asset][config])
 * so the valuation, drift, band pre-filter and metric updates vectorize over configurations;
 * a configuration with something to do at a bar (a calendar date, a weight near its band, a
 * pending order, a tax year end, a contribution) takes the reference simulator's own steps
 * (simulate.h). Each block runs through all bars on one OpenMP thread: results are bitwise
 * identical for any thread count and block size. Internal. */
#ifndef RB_BATCH_H
#define RB_BATCH_H

#include <signal.h>
#include <stdint.h>

#include "rebal.h"
#include "spec.h"

/* Fills spec completely with configuration `index`'s settings (rb_sweep_fill: typed values,
 * nothing parsed). The batch borrows what spec points to and never releases it: it must
 * stay valid, and unchanged, for the whole run (two specs that point to the same memory
 * hold the same values there: a configuration that differs from the one before it only in
 * its strategy's parameters is resolved like it, rb_resolve_like). Called from simulation
 * threads: must be thread-safe. */
typedef rb_status (*rb_batch_spec_fn)(void *ctx, uint64_t index, rb_run_spec *spec, rb_error *err);

/* Receives configuration `index`'s metrics, from simulation threads (concurrently). */
typedef rb_status (*rb_batch_result_fn)(void *ctx, uint64_t index, const rb_metrics *m, rb_error *err);

/* Receives configuration `index`'s failure (why: its one-line message, not prefixed), from
 * simulation threads (concurrently). */
typedef rb_status (*rb_batch_failure_fn)(void *ctx, uint64_t index, const rb_error *why, rb_error *err);

typedef struct rb_batch_options {
    int threads;                       /* 0: OpenMP's default */
    /* configurations per block, at most RB_BATCH_CAP; 0: RB_BATCH_FIRST in a thread's first
     * block (RB_BATCH_BLOCK with taxes), then RB_BATCH_BLOCK, or more on a thread whose
     * blocks share their states well (driver.c, first_block_size, next_block_size) */
    size_t block;
    volatile sig_atomic_t *stop;       /* when it becomes non-zero no new block starts */
    volatile uint64_t *done;           /* configurations finished so far (atomic adds) */
    /* When set, a configuration that fails (an invalid setting, an order larger than its AMM
     * pool, ...: any error but running out of memory, I/O or the database) is delivered here
     * instead of stopping the batch, and the others go on. */
    rb_batch_failure_fn failed;
    /* The rebalancing bonus of one target vector over m (rb_metrics_bonus), when the caller
     * has it already (a sweep computes it on a spare thread while the results store opens);
     * NULL: the batch computes it when a configuration first needs it. */
    const double *bonus_target;
    double bonus;
    /* When set (with bonus_target), the bonus of bonus_target is not `bonus` but what this
     * returns, asked once, with the batch's ctx, when a configuration first needs it (after
     * the first block's bars): a sweep's spare thread may still be computing it as the
     * first block starts. */
    double (*bonus_of)(void *ctx);
    size_t *largest_block; /* when set: gets the most configurations a block took */
} rb_batch_options;

#define RB_BATCH_BLOCK 96 /* configurations per block by default */
#define RB_BATCH_FIRST 192 /* in a thread's first block, without taxes (driver.c) */
#define RB_BATCH_CAP 384  /* and at most */

/* Runs the configurations indices[0..n) over m (store: for --gas-series only). Stops at the
 * first error (its message names the configuration) unless opt->failed takes the failures
 * of configurations. *completed gets the number of configurations whose results (or
 * failures) were delivered. */
rb_status rb_batch_run(rb_store *store, const rb_matrix *m, const uint64_t *indices, size_t n,
                       rb_batch_spec_fn spec_fn, rb_batch_result_fn result_fn, void *ctx,
                       const rb_batch_options *opt, uint64_t *completed, rb_error *err);

#endif /* RB_BATCH_H */
