/* calendar.c - rebalance to the targets on a schedule: the first (or last) bar of every
 * day, week, month, quarter, half-year or year, or every N bars. */
#include "error.h"
#include "strategy.h"

static const rb_setting_info params[] = {RB_PERIOD_PARAMS};

typedef struct calendar_state {
    rb_period period;
    long bars;
    int on_last;
} calendar_state;

static size_t state_size(const rb_strategy_params *p, size_t N)
{
    (void)p, (void)N;
    return sizeof(calendar_state);
}

static rb_status setup(const rb_strategy_params *p, const rb_strategy_inputs *in, void *state, rb_error *err)
{
    (void)in;
    rb_status rc = rb_period_check(p, err);
    if (rc == RB_OK)
        *(calendar_state *)state =
            (calendar_state){.period = p->every.period, .bars = p->every.bars, .on_last = p->on_last};
    return rc;
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
    .state_size = state_size,
    .setup = setup,
    .decide = decide,
    .check = rb_period_check,
    .trigger = trigger,
};
