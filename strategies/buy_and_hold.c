/* buy_and_hold.c - never rebalance: the first allocation drifts with prices. */
#include "strategy.h"

static rb_status setup(const rb_strategy_params *p, const rb_strategy_inputs *in, void *state, rb_error *err)
{
    (void)p, (void)in, (void)state, (void)err;
    return RB_OK;
}

static int decide(const void *state, const rb_decide_ctx *ctx, double *to)
{
    (void)state, (void)ctx, (void)to;
    return 0;
}

static void trigger(const void *state, rb_trigger *out)
{
    (void)state;
    *out = (rb_trigger){.kind = RB_TRIGGER_NEVER, .full = 1};
}

const rb_strategy rb_strategy_buy_and_hold = {
    .info = {.name = "buy-and-hold", .summary = "never rebalance: the first allocation drifts with prices"},
    .setup = setup,
    .decide = decide,
    .trigger = trigger,
};
