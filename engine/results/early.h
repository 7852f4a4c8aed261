/* early.h - a results store opened on a thread of its own while the sweep's prices load
 * (early.c). Internal to the engine. */
#ifndef RB_RESULTS_EARLY_H
#define RB_RESULTS_EARLY_H

#include <pthread.h>

#include "writer.h"

typedef struct rb_results_early {
    const char *path; /* NULL: no store to open */
    int existed;      /* the file held something before this command opened it */
    int threaded;     /* the thread runs (else the store opens in rb_results_early_take) */
    pthread_t thread;
    rb_results *results;
    rb_status rc;
    rb_error err;
} rb_results_early;

/* Starts opening the results store at path (NULL: nothing to open) with rb_results_open,
 * on a thread when one can be had. e->existed says whether the file held anything before. */
void rb_results_early_start(rb_results_early *e, const char *path);

/* Waits for the open and hands the store over (*out; the caller frees it), or its error. */
rb_status rb_results_early_take(rb_results_early *e, rb_results **out, rb_error *err);

/* The command stops before recording anything: waits for the open and closes the store
 * (rb_results_free: a file this open created is removed again). */
void rb_results_early_drop(rb_results_early *e);

#endif /* RB_RESULTS_EARLY_H */
