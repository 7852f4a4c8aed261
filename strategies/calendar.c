/* calendar.c - rebalance to the targets on a schedule: the first (or last) bar of every
 * day, week, month, quarter, half-year or year, or every N bars. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strategy.h"

static const rb_setting_info params[] = {RB_PERIOD_PARAMS};

typedef struct calendar_state {
    rb_period period;
    long bars;
    int on_last;
} calendar_state;

static rb_status setup(const rb_run_spec *spec, const rb_matrix *m, const double *target, void **state, rb_error *err)
{
    (void)m, (void)target;
    calendar_state s = {0};
    const char *every = rb_spec_param(spec, "every"), *on = rb_spec_param(spec, "on");
    rb_status rc = rb_parse_period("every", every ? every : "month", &s.period, &s.bars, err);
    if (rc != RB_OK) return rc;
    if (on && strcmp(on, "first") != 0 && strcmp(on, "last") != 0)
        return rb_fail(err, RB_ERR_USAGE, "--on: '%s' is not first or last", on);
    s.on_last = on && strcmp(on, "last") == 0;
    if (s.on_last && s.period == RB_PERIOD_BARS)
        return rb_fail(err, RB_ERR_USAGE, "--on last applies to calendar periods, not to every %ld bars", s.bars);
    calendar_state *out = malloc(sizeof *out);
    if (!out) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    *out = s;
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
    .free_state = free,
    .trigger = trigger,
};
