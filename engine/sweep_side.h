/* sweep_side.h - the work a sweep does beside its main thread's preparation (sweep_run.c):
 * a new results store opened, the dataset's hash of earlier builds and the rebalancing bonus
 * computed, on a thread of their own. Internal. */
#ifndef RB_SWEEP_SIDE_H
#define RB_SWEEP_SIDE_H

#include <pthread.h>

#include "rebal.h"
#include "results/writer.h"

/* What the job does ahead of the main thread for a sweep parsed before the call (the
 * command parses it on a helper): the work that thread would otherwise do on its way to the
 * batch. Zeros: nothing ahead. */
typedef struct side_ahead {
    size_t heap;           /* bytes of the heap to fault in ahead (heap_ahead.h; 0: none) */
    const rb_sweep *sweep; /* its configurations' ids listed (rb_sweep_list_ids) into: */
    int64_t *ids, *sorted;
} side_ahead;

/* The work beside the main thread's preparation, on a thread of its own (side_main):
 *   1. a new results store (none yet at its path, or an empty file) is opened while the
 *      main thread reads the sweep and loads its prices (sweep_side_results hands it over;
 *      an existing store is opened by the main thread, after every check, as ever), then
 *      the configurations' ids listed (sweep_side_ids);
 *   2. once the matrix is there (sweep_side_give), for a results store that exists already,
 *      the hash earlier builds gave the dataset, under which it may hold this sweep
 *      (sweep_side_legacy waits for it),
 *   3. then the rebalancing bonus of the first configuration's static targets, which every
 *      configuration with those targets reports (the batch asks for it when a
 *      configuration first needs it: sweep_run.c's side_bonus_of; an executor of the
 *      caller's gets it before anything runs).
 * Between 1. and 2., until the matrix is given, it faults in the heap the main thread will
 * first write once the batch begins (heap_ahead.h), a step at a time, so that 2. waits for
 * one step at most; between 2. and 3., what is left of it.
 * Without a thread (pthread_create failed) each step is taken where its result is asked
 * for. */
typedef struct side_job {
    side_ahead ahead;
    /* 1. */
    const char *results_path; /* a new store's path: opened here; NULL: not by this job */
    rb_results *results;
    rb_status open_rc;
    rb_error open_err;
    int opened;
    int64_t repeated; /* rb_sweep_list_ids's answer */
    int listed;
    /* 2., 3.: given by sweep_side_give (given 1) or never (given -1: the preparation failed) */
    int given;
    const rb_matrix *m;
    const double *target; /* NULL: no bonus computed ahead (targets from a table, or dynamic) */
    int want_legacy;
    char legacy[17];
    int legacy_done;
    double bonus;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* opened, listed, given and legacy_done change under mu */
    int threaded;
} side_job;

/* Starts the job, before the sweep is prepared; results: the results store's path, or
 * NULL; ahead: what it does ahead (NULL: nothing). */
void sweep_side_start(side_job *job, const char *results, const side_ahead *ahead);
/* The prepared sweep's matrix and first configuration (m NULL: the preparation failed, and
 * the job ends). */
void sweep_side_give(side_job *job, const rb_matrix *m, const rb_run_spec *first);
/* The new results store the job opened (NULL with RB_OK: none was its to open; the caller
 * opens the store). */
rb_status sweep_side_results(side_job *job, rb_results **out, rb_error *err);
/* 1 when the job listed the configurations' ids into ahead.ids and ahead.sorted (waiting
 * for it), *repeated set as rb_sweep_list_ids returns it; 0 when it lists none (no sweep
 * ahead, or no thread): the caller lists them. */
int sweep_side_ids(side_job *job, int64_t *repeated);
/* The earlier builds' hash of the dataset, or NULL when the results store is new. */
const char *sweep_side_legacy(side_job *job);
/* Ends the job (it is given no matrix now if it had none): a store it opened and nobody
 * took is closed (and, never used, removed). Its bonus is final then. */
void sweep_side_join(side_job *job);

#endif /* RB_SWEEP_SIDE_H */
