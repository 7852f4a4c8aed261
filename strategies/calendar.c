/* calendar.c - rebalance to the targets on a schedule: the first (or last) bar of every
 * day, week, month, quarter, half-year or year, or every N bars. */
#include <stdlib.h>

#include "error.h"
#include "strategy.h"

static const rb_setting_info params[] = {RB_PERIOD_PARAMS};

typedef struct calendar_state {
    rb_period period;
    long bars;
    int on_last;
} calendar_state;

static rb_status setup(const rb_strategy_params *p, const rb_matrix *m, const double *target, void **state,
                       rb_error *err)
{
    (void)m, (void)target;
    rb_status rc = rb_period_check(p, err);
    if (rc != RB_OK) return rc;
    calendar_state *out = malloc(sizeof *out);
    if (!out) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    *out = (calendar_state){.period = p->every.period, .bars = p->every.bars, .on_last = p->on_last};
    *state = out;
    return RB_OK;
}

static int decide(const void *state, const rb_decide_ctx *ctx, double *to)
{
    (void)to; /* full rebalance: `to` already holds the targets */
    const calendar_state *s = state;
    return rb_period_hit(ctx->m, ctx->t, s->period, s->bars, s->on_last);
}

static void trigger(const void *state, rb_trigger *out)
{
    const calendar_state *s = state;
    /* Every date is a full rebalance to the targets. */
    *out = (rb_trigger){.kind = RB_TRIGGER_DATES, .full = 1};
    rb_period_dates(s->period, s->bars, s->on_last, &out->date_flags, &out->every_bars);
}

const rb_strategy rb_strategy_calendar = {
    .info = {.name = "calendar",
             .summary = "rebalance to the targets on a schedule (--every PERIOD, --on first|last)",
             .params = params,
             .nparams = sizeof params / sizeof params[0]},
    .setup = setup,
    .decide = decide,
    .check = rb_period_check,
    .free_state = free,
    .trigger = trigger,
};
