/* strategy.h - the interface every rebalancing rule implements: a strategy decides *when*
 * to rebalance and *to what* weights; the engine decides *how* (orders, costs, lots).
 * One file per strategy, NAME.c, exports one descriptor, rb_strategy_NAME; the line
 * RB_STRATEGY(NAME) in strategies/strategy_list.h registers it (the registry and the build
 * both read that list). Adding a strategy is one new file plus that one line. */
#ifndef RB_STRATEGY_H
#define RB_STRATEGY_H

#include "rebal.h"
#include "spec.h"
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

typedef struct rb_strategy {
    rb_strategy_info info; /* name, summary, parameters (key, arg, default, help) */
    /* Reads and checks the strategy's parameters from the spec (rb_spec_param; a missing
     * key takes the default), precomputes what it needs over the matrix, and returns its
     * state (may be NULL when it needs none). Errors name the parameter ("--every: ..."). */
    rb_status (*setup)(const rb_run_spec *spec, const rb_matrix *m, const double *target, void **state,
                       rb_error *err);
    /* 1: rebalance at bar t to the weights written in `to` (N, summing to 1; `to` holds a
     * copy of next_target on entry). 0: do nothing. Must not fail or allocate. */
    int (*decide)(const void *state, const rb_decide_ctx *ctx, double *to);
    void (*free_state)(void *state);
    /* Optional (NULL: RB_TRIGGER_EVERY_BAR): describes, as plain data for the batch kernel,
     * when decide() can return 1 (trigger.h). Called after setup, for static targets only. */
    void (*trigger)(const void *state, rb_trigger *out);
} rb_strategy;

/* The registry (registry.c, from the one list in strategies/strategy_list.h). */
const rb_strategy *rb_strategy_find(const char *name);
const rb_strategy *const *rb_strategy_all(size_t *n);

/* The parameter rows of every rule with a calendar (calendar, hybrid), inside its params
 * array: described once, so each option reads the same wherever it is offered. */
#define RB_PERIOD_PARAMS                                                                                     \
    {"every", "PERIOD", "month", "strategy",                                                                 \
     "the calendar dates: every day|week|month|quarter|half|year, or every N bars", 0},                     \
        {"on", "first|last", "first", "strategy", "on the first bar of each period or on its last", 0}

/* Parses a calendar period: day|week|month|quarter|half|year, or a whole number of bars
 * (>= 1, into *bars). Shared by every rule with a period. */
rb_status rb_parse_period(const char *option, const char *text, rb_period *period, long *bars, rb_error *err);

/* 1 when bar t is the first (on_last = 0) or last (on_last = 1) bar of a `period` period;
 * with RB_PERIOD_BARS, every `bars` bars counted from bar 0. */
int rb_period_hit(const rb_matrix *m, size_t t, rb_period period, long bars, int on_last);

/* The same dates as a trigger's calendar code (trigger.h): the bar flags that mark them, or
 * every `*every_bars` bars (day: every bar). rb_period_hit(m, t, ...) is 1 exactly where
 * the code says so. */
void rb_period_dates(rb_period period, long bars, int on_last, uint64_t *date_flags, long *every_bars);

#endif /* RB_STRATEGY_H */
