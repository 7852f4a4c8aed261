/* run_result.h - what a run keeps: the matrix it replayed, the targets and the simulation
 * (values, weights, orders, lots, metrics). Internal: shared by run.c and the writers. */
#ifndef RB_RUN_RESULT_H
#define RB_RUN_RESULT_H

#include "simulate.h"

struct rb_run_result {
    rb_matrix *m;
    double *target;
    unsigned keep; /* RB_KEEP_ flags */
    rb_sim_result sim;
};

#endif /* RB_RUN_RESULT_H */
