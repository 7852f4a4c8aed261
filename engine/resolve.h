/* resolve.h - turning a run spec and a loaded matrix into the simulator's configuration:
 * per-asset costs, gas per bar, impact and volatility inputs, targets, the strategy's
 * state. One implementation for the reference run and the batch. Internal. */
#ifndef RB_RESOLVE_H
#define RB_RESOLVE_H

#include "simulate.h"
#include "spec.h"

typedef struct rb_resolved {
    const rb_strategy *strategy;
    double *target;          /* N targets (the --assets weights) */
    rb_asset_costs *costs;   /* N */
    const double *gas;       /* T gas per transaction */
    const double *sigma, *adv, *vol; /* T*N, or NULL when not needed */
    double *owned[4];        /* what this resolution allocated (gas, sigma, adv, vol) */
    void *strategy_state;
} rb_resolved;

/* Inputs a caller computes once and shares among configurations; a NULL pointer (or a
 * window or name that does not match the spec's) makes rb_resolve compute its own. */
typedef struct rb_resolve_inputs {
    int impact_window;
    const double *sigma, *adv; /* rb_impact_inputs(m, impact_window) */
    int vol_window;
    const double *vol;         /* the sigma half of rb_impact_inputs(m, vol_window) */
    const char *gas_series;
    const double *gas;         /* T values of that series, forward-filled */
    double gas_value;
    const double *gas_flat;    /* T copies of gas_value (a constant --gas) */
} rb_resolve_inputs;

/* The strategy and spec checks that need no data (strategy parameters, symbols). */
rb_status rb_resolve_check(const rb_run_spec *spec, const rb_strategy **strategy, rb_error *err);

/* A hash of an aligned matrix (symbols, times, closes, opens; FNV-1a 64) as 16 hex digits:
 * the dataset a sweep ran on, so a resume or a report can tell it has the same data. */
void rb_dataset_hash(const rb_matrix *m, char out[17]);

/* Loads the matrix a spec names. */
rb_status rb_resolve_matrix(rb_store *store, const rb_run_spec *spec, rb_matrix **m, rb_error *err);

/* Resolves spec against m. store is read only for --gas-series (not thread-safe: callers
 * running in parallel pass the series in `shared`). */
rb_status rb_resolve(rb_store *store, const rb_run_spec *spec, const rb_matrix *m, unsigned keep,
                     const rb_resolve_inputs *shared, rb_resolved *r, rb_sim_config *c, rb_error *err);
void rb_resolved_release(rb_resolved *r);

/* The gas series `name` forward-filled onto m's bars (T values into gas). */
rb_status rb_resolve_gas_series(rb_store *store, const char *name, const rb_matrix *m, double *gas, rb_error *err);

#endif /* RB_RESOLVE_H */
