/* sweep_exec.h - a sweep whose configurations are run somewhere other than this process's
 * batch simulator: rb_sweep_run's steps (the specification, the dataset, the results store,
 * resume, --keep) with the queue of configurations left to run handed to a function of the
 * caller's. The CLI's MPI build (cli/mpi_sweep.c) hands it to other ranks; nothing here
 * knows of MPI. Internal. */
#ifndef RB_SWEEP_EXEC_H
#define RB_SWEEP_EXEC_H

#include <stdint.h>

#include "batch.h"
#include "rebal.h"

/* What is left to run, and where its results go: the arguments rb_batch_run would get. */
typedef struct rb_sweep_work {
    const rb_sweep *sweep;
    rb_store *prices;
    const rb_matrix *m;
    const uint64_t *queue; /* configuration indices, ascending */
    size_t n;
    rb_batch_spec_fn spec_fn;
    rb_batch_result_fn result_fn; /* each configuration's metrics, once, on any thread */
    void *ctx;                    /* of spec_fn, result_fn and bo->failed */
    const rb_batch_options *bo;   /* threads, stop, done (add to it), failed, the bonus */
} rb_sweep_work;

/* Runs w's configurations: every result to w->result_fn (or failure to w->bo->failed) as
 * rb_batch_run delivers them; *completed gets how many were delivered (fewer than w->n: the
 * sweep was interrupted, and is recorded so). */
typedef rb_status (*rb_sweep_exec_fn)(void *exec_ctx, const rb_sweep_work *w, uint64_t *completed, rb_error *err);

/* rb_sweep_run with the batch replaced by exec (NULL: rb_batch_run, as rb_sweep_run). */
rb_status rb_sweep_run_exec(rb_store *prices, const char *spec_path, const rb_sweep_options *opt, rb_sweep_exec_fn exec,
                            void *exec_ctx, rb_sweep_summary *out, rb_error *err);

#endif /* RB_SWEEP_EXEC_H */
