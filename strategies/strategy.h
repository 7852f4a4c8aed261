/* strategy.h - the interface every rebalancing rule implements: a strategy decides *when*
 * to rebalance and *to what* weights; the engine decides *how* (orders, costs, lots).
 * One file per strategy, NAME.c, exports one descriptor, rb_strategy_NAME; the line
 * RB_STRATEGY(NAME) in strategies/strategy_list.h registers it (the registry and the build
 * both read that list). Adding a strategy is one new file plus that one line. */
#ifndef RB_STRATEGY_H
#define RB_STRATEGY_H

#include "rebal.h"
#include "params.h"
#include "trigger.h"

/* What a strategy may look at when deciding on bar t: prices up to t only. */
typedef struct rb_decide_ctx {
    const rb_matrix *m;
    size_t t;               /* the bar deciding, >= 1 */
    const double *weights;  /* N current weights at close[t] (before any trade at t) */
    const double *target;   /* N targets in force (bands are measured against these) */
    const double *next_target; /* N targets a rebalance at t would set: the same as target
                                  unless targets are dynamic (--targets inverse-vol) */
    size_t last_rebalance;  /* bar of the last rebalance (0: the first allocation) */
} rb_decide_ctx;

/* Run-wide inputs a strategy may ask for (rb_strategy.needs): computed by the engine once
 * per run (in a sweep, once per dataset, shared by every configuration), never per
 * configuration. */
enum {
    RB_NEEDS_VOL = 1,        /* vol: T*N, the volatility of --vol-model per bar: the rolling
                                stdev of the log returns over p->vol_window bars
                                (rb_impact_inputs' sigma), or rb_vol_ewma's with p->vol_lambda */
    RB_NEEDS_VOL_TO_DATE = 2 /* vol_to_date: T*N, rb_vol_to_date */
};

/* What setup reads besides its parameters. */
typedef struct rb_strategy_inputs {
    const rb_matrix *m;
    const double *target;      /* N targets */
    const double *vol;         /* RB_NEEDS_VOL, else NULL */
    const double *vol_to_date; /* RB_NEEDS_VOL_TO_DATE, else NULL */
} rb_strategy_inputs;

typedef struct rb_strategy {
    rb_strategy_info info; /* name, summary, parameter rows (params.h: type, range, default, field) */
    /* The run-wide inputs setup reads (RB_NEEDS_*; 0: none). */
    unsigned needs;
    /* The bytes of state setup writes for these parameters over N assets (NULL or 0: none).
     * The caller owns that memory (aligned for any type) and reuses it from one
     * configuration to the next: a state holds no allocation and needs no release. */
    size_t (*state_size)(const rb_strategy_params *p, size_t N);
    /* Takes the strategy's own parameters, already parsed and checked against their rows
     * (params.h; a parameter not given holds its default), precomputes what it needs over
     * the matrix, and writes its state into `state` (state_size bytes; NULL when that is
     * 0). Reads no text and allocates nothing. Errors name the parameter ("--band: ..."). */
    rb_status (*setup)(const rb_strategy_params *p, const rb_strategy_inputs *in, void *state, rb_error *err);
    /* 1: rebalance at bar t to the weights written in `to` (N, summing to 1; `to` holds a
     * copy of next_target on entry). 0: do nothing. Must not fail or allocate. */
    int (*decide)(const void *state, const rb_decide_ctx *ctx, double *to);
    /* Optional: the checks that involve several parameters ("needs a band"; "--on last" not
     * with every N bars), made before any run (a sweep file's at parse) and again by setup.
     * Must look only at which parameters are given and at their words and periods. */
    rb_status (*check)(const rb_strategy_params *p, rb_error *err);
    /* Optional (NULL: RB_TRIGGER_EVERY_BAR): describes, as plain data for the batch kernel,
     * when decide() can return 1 (trigger.h). Called after setup, for static targets only. */
    void (*trigger)(const void *state, rb_trigger *out);
} rb_strategy;

/* The registry (registry.c, from the one list in strategies/strategy_list.h). */
const rb_strategy *rb_strategy_find(const char *name);
const rb_strategy *const *rb_strategy_all(size_t *n);


/* Parses a calendar period: day|week|month|quarter|half|year, or a whole number of bars
 * (>= 1, into *bars). Shared by every rule with a period (params.h: rb_read_every). */
rb_status rb_parse_period(const char *option, const char *text, rb_period *period, long *bars, rb_error *err);

/* The calendar rules' check: --on last applies to calendar periods only. */
rb_status rb_period_check(const rb_strategy_params *p, rb_error *err);

/* 1 when bar t is the first (on_last = 0) or last (on_last = 1) bar of a `period` period;
 * with RB_PERIOD_BARS, every `bars` bars counted from bar 0. */
int rb_period_hit(const rb_matrix *m, size_t t, rb_period period, long bars, int on_last);

/* The same dates as a trigger's calendar code (trigger.h): the bar flags that mark them, or
 * every `*every_bars` bars (day: every bar). rb_period_hit(m, t, ...) is 1 exactly where
 * the code says so. */
void rb_period_dates(rb_period period, long bars, int on_last, uint64_t *date_flags, long *every_bars);

/* RB_NEEDS_VOL_TO_DATE (vol_band.c): out[t * N + i] = the annualized sample stdev of asset
 * i's log returns from bar 1 to bar t (expanding: known at t), 0 while it has fewer than 2. */
void rb_vol_to_date(const rb_matrix *m, double *out);

#endif /* RB_STRATEGY_H */
