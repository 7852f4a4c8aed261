/* run_result.h - what a run keeps: the matrix it replayed, the targets and the simulation
 * (values, weights, orders, lots, metrics). Internal: shared by run.c and the writers. */
#ifndef RB_RUN_RESULT_H
#define RB_RUN_RESULT_H

#include "simulate.h"

struct rb_run_result {
    rb_matrix *m;
    int borrowed;  /* m belongs to the caller of rb_run_matrix */
    double *target;
    unsigned keep; /* RB_KEEP_ flags */
    int venues;    /* the run routed orders across venues (--venues): its trades say which */
    char **given;  /* rb_run_describe: 2 * ngiven texts, KEY, VALUE, ...; NULL when not told */
    size_t ngiven;
    rb_sim_result sim;
};

/* rb_run on a matrix already loaded for the spec's data settings (assets, dates, alignment,
 * cash rate, periods per year): the result borrows m, which must outlive it. store is read
 * only for --gas-series. For callers that replay many runs of one dataset. */
rb_status rb_run_matrix(rb_store *store, const rb_matrix *m, const rb_run_spec *spec, unsigned keep,
                        rb_run_result **out, rb_error *err);

#endif /* RB_RUN_RESULT_H */
