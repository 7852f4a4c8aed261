/* simulate.h - the reference simulator: one configuration replayed bar by bar over an
 * aligned price matrix, written to be read (docs/engine.md is its specification). Internal:
 * rb_run (run.c) builds the configuration from a run spec. */
#ifndef RB_SIMULATE_H
#define RB_SIMULATE_H

#include "portfolio.h"
#include "rebal.h"
#include "strategy.h"

typedef struct rb_sim_config {
    const double *target;        /* N target weights */
    double capital;
    rb_exec exec;
    double min_trade, lot_size;
    const rb_asset_costs *costs; /* N */
    const double *gas;           /* T gas per transaction at each bar */
    const double *sigma, *adv;   /* T*N impact inputs, or NULL when impact is off */
    const double *vol;           /* T*N volatility per bar (stdev of log returns over the
                                    vol window) for inverse-vol targets; NULL: static targets */
    int cash_col;                /* the CASH column, or -1 */
    rb_portfolio_options portfolio;
    double contribution;
    rb_period contribution_every;
    rb_flow_mode flows;
    const rb_strategy *strategy;
    const void *strategy_state;
    double rf;
} rb_sim_config;

typedef struct rb_sim_result {
    size_t T, N;
    double *value;   /* T portfolio values at the close */
    double *cash;    /* T */
    double *flow;    /* T external flows */
    double *weights; /* T*N end-of-bar weights */
    double *targets; /* T*N targets in force at each bar's close */
    rb_portfolio portfolio; /* final state: totals, orders, lots */
    rb_metrics metrics;
} rb_sim_result;

rb_status rb_simulate(const rb_matrix *m, const rb_sim_config *c, rb_sim_result *out, rb_error *err);
void rb_sim_result_release(rb_sim_result *r);

#endif /* RB_SIMULATE_H */
