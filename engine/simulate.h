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
    int plain_costs;             /* every asset's costs valid (rb_costs_valid) and proportional,
                                    none priced by a pool depth series or venues: an order's
                                    cost needs no check of the settings (rb_trade_env) */
    const double *gas;           /* T gas per transaction at each bar */
    double gas_tx, gas_swap;     /* a vault's one transaction per batch of orders: once, and per
                                    order (--gas-tx, --gas-swap) */
    const double *const *depth;  /* N: an asset's pool depth per bar (T, --amm-depth-series) in
                                    place of its costs' amm_depth, or a NULL entry; NULL: none */
    const struct rb_routes *routes; /* --venues: each asset's venues (routes.h), or NULL */
    const double *sigma, *adv;   /* T*N impact inputs, or NULL when impact is off */
    const double *vol;           /* T*N volatility per bar (stdev of log returns over the
                                    vol window) for inverse-vol targets; NULL: static targets */
    const struct rb_target_table *table; /* --targets-csv: the targets in force at each bar are
                                    its row in force (data/dated_tables.h); NULL: none */
    const size_t *table_col;     /* N: the table's column of each asset */
    int cash_col;                /* the CASH column, or -1 */
    rb_portfolio_options portfolio;
    double contribution;
    rb_period contribution_every;
    rb_flow_mode flows;
    const rb_strategy *strategy;
    const void *strategy_state;
    double rf;
    const struct rb_overlay_cfg *overlay; /* --overlay perp (overlay.h), or NULL: rebalances trade spot */
    const double *bench;         /* T returns of the benchmark (--benchmark; bar 0's is 0), or NULL */
} rb_sim_config;

typedef struct rb_sim_result {
    size_t T, N;     /* T: the bars simulated, up to the depletion bar of a depleted run */
    int depleted;    /* a withdrawal emptied the portfolio on bar T - 1: the run ended there */
    double *value;   /* T portfolio values at the close */
    double *cash;    /* T */
    double *flow;    /* T external flows */
    double *weights; /* T*N end-of-bar weights */
    double *dsum;    /* T sums of |w - t| from the targets in force (metric_acc.h, rb_metric_drift) */
    double *targets; /* T*N targets in force at each bar's close */
    rb_portfolio portfolio; /* final state: totals, orders, lots */
    rb_metrics metrics;
    struct rb_overlay *overlay; /* the overlay's state and records, or NULL without one; with
                                   one, weights and dsum are of exposures (spot + perp) */
} rb_sim_result;

rb_status rb_simulate(const rb_matrix *m, const rb_sim_config *c, rb_sim_result *out, rb_error *err);

/* The run's execution convention for rb_metrics.exec_note: "" unless exec is next-open and
 * some asset of m has no stored open (m->has_open), whose orders then fill at the next close;
 * then a sentence naming those assets. Both simulators state it the same way. */
void rb_sim_exec_note(const rb_matrix *m, rb_exec exec, char *buf, size_t len);

/* The per-bar steps of the reference simulator, shared with the batch simulator so that
 * both trade by the same code. st holds one configuration's moving parts. */
typedef struct rb_sim_state {
    rb_portfolio *port;
    double *current;      /* N targets in force */
    double *to, *next, *w; /* N each: scratch, and `to` holds a pending order's weights */
    int pending;          /* an order decided at the previous bar waits for this bar's open */
    size_t last_rebalance;
    double flow;          /* the external flow of the last bar stepped */
    int depleted;         /* the last bar's withdrawal emptied the portfolio: the run ends */
    size_t table_row;     /* a targets table's row in force at the last bar stepped */
    struct rb_overlay *ov; /* the overlay (overlay.h) when the configuration has one, else NULL */
} rb_sim_state;

/* The trading environment of bar t at the given prices, with impact inputs from bar `seen`
 * (the deciding bar). */
rb_trade_env rb_sim_env(const rb_matrix *m, const rb_sim_config *c, size_t t, const double *price, size_t seen);

/* Bar 0: the first allocation. */
rb_status rb_sim_start(const rb_matrix *m, const rb_sim_config *c, rb_sim_state *st, rb_error *err);
/* rb_sim_start's state before its trade: the targets in force, the clock, the capital as
 * cash. What then trades the capital to c->target (RB_TRADE_INITIAL, no --min-trade) is
 * the first allocation (the batch makes many at once: engine/batch/trades.c). */
void rb_sim_start_state(const rb_matrix *m, const rb_sim_config *c, rb_sim_state *st);

/* 1 when bar t has scheduled work for this configuration: a pending order, a tax year end
 * with something to settle or a contribution date. Without any, rb_sim_events would change
 * nothing. */
int rb_sim_has_events(const rb_matrix *m, const rb_sim_config *c, const rb_sim_state *st, size_t t);

/* Steps 1-3 of a bar: a pending next-open order, the year's tax, a contribution. A
 * withdrawal that leaves the portfolio worth at most RB_ORDER_DUST of what it held sets
 * st->depleted: the run ends on this bar, without step 4. */
rb_status rb_sim_events(const rb_matrix *m, const rb_sim_config *c, rb_sim_state *st, size_t t, rb_error *err);

/* Step 4: the strategy decides on the closes of bar t; with --exec close the rebalance is
 * made here (*acted = 1 when it traded), with next-open it is left pending. */
rb_status rb_sim_decide(const rb_matrix *m, const rb_sim_config *c, rb_sim_state *st, size_t t, int *acted,
                        rb_error *err);
void rb_sim_result_release(rb_sim_result *r);

#endif /* RB_SIMULATE_H */
