/* trigger.h - what the batch kernel may know of a rule: a conservative description of the
 * bars on which it can rebalance, as plain data (a kind, calendar flags, band arrays), so
 * that the kernel asks decide() only there, or, for a rule whose every rebalance is a full
 * one, takes the decision itself. No strategy internals: a new rule describes itself with
 * these fields and the kernel needs no edit. decide() stays the definition of every
 * decision; the description only says where it can be 1. */
#ifndef RB_TRIGGER_H
#define RB_TRIGGER_H

#include <stddef.h>
#include <stdint.h>

typedef enum rb_trigger_kind {
    RB_TRIGGER_EVERY_BAR = 0,   /* no description: decide() runs on every bar */
    RB_TRIGGER_NEVER,           /* never rebalances */
    RB_TRIGGER_DATES,           /* only on its dates */
    RB_TRIGGER_BANDS,           /* only when some weight is near or past its band */
    RB_TRIGGER_DATES_AND_BANDS, /* only on its dates, and there only past a band */
    RB_TRIGGER_DATES_OR_BANDS   /* on its dates, and past a band between them */
} rb_trigger_kind;

typedef struct rb_trigger {
    rb_trigger_kind kind;
    /* The dates (kinds with DATES): bar t is a date when every_bars > 0 and t % every_bars
     * == 0 (bar 0 counts), else when m->flags[t] & date_flags (enum rb_bar_flag). */
    uint64_t date_flags;
    long every_bars;
    /* The bands (kinds with BANDS), unscaled, around the targets in force: asset i is out
     * when |w - t| > band_abs[i], or |w - t| / t > band_rel[i] for t > 0; the portfolio
     * when sum |w - t| / 2 > band_total. INFINITY: no such band. N entries each. */
    const double *band_abs, *band_rel;
    double band_total;
    /* 1: every rebalance the rule makes is a full one, whenever its kind admits it: on a
     * date to the targets in force, past a band to rb_full_weights(targets) (no partial
     * weights, no cooldown). The kernel may then decide by itself, on distances measured
     * with a safe margin. 0: decide() makes every decision. */
    int full;
} rb_trigger;

/* The weights a full band rebalance trades to: the targets (N), scaled to sum to 1 and
 * kept within [0, 1], exactly as the band rules' decide() computes them. */
void rb_full_weights(size_t N, const double *target, double *to);

#endif /* RB_TRIGGER_H */
