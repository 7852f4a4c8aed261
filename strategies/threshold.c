/* threshold.c - rebalance when the weights drift outside their bands: absolute, relative
 * (both: the 5/25 rule) or portfolio-level, checked on every bar; full or partial
 * (--to, --only-breached), with an optional cooldown. Semantics: docs/strategies.md. */
#include "bands.h"
#include "error.h"

static const rb_setting_info params[] = {RB_BAND_PARAMS};

static rb_status check(const rb_strategy_params *p, rb_error *err)
{
    if (!rb_bands_given(p)) return rb_fail(err, RB_ERR_USAGE, "threshold needs --band, --band-rel or --band-total");
    return RB_OK;
}

/* The state: the bands, their arrays after them. */
static size_t state_size(const rb_strategy_params *p, size_t N)
{
    (void)p;
    return sizeof(rb_bands) + rb_bands_size(N);
}

static rb_status setup(const rb_strategy_params *p, const rb_strategy_inputs *in, void *state, rb_error *err)
{
    rb_status rc = check(p, err);
    rb_bands *b = state;
    if (rc == RB_OK) rc = rb_bands_setup(b, p, in->m, b + 1, err);
    return rc;
}

static int decide(const void *state, const rb_decide_ctx *ctx, double *to)
{
    const rb_bands *b = state;
    if (!rb_bands_cooled(b, ctx->t, ctx->last_rebalance)) return 0;
    if (!rb_bands_breached(b, ctx->weights, ctx->target, NULL, NULL)) return 0;
    rb_bands_to(b, ctx->weights, ctx->target, ctx->next_target, NULL, NULL, to);
    return 1;
}

static void trigger(const void *state, rb_trigger *out) { rb_bands_trigger(state, RB_TRIGGER_BANDS, out); }

const rb_strategy rb_strategy_threshold = {
    .info = {.name = "threshold",
             .summary = "rebalance when a weight drifts outside its band (--band, --band-rel, --band-total), "
                        "checked every bar",
             .params = params,
             .nparams = sizeof params / sizeof params[0]},
    .state_size = state_size,
    .setup = setup,
    .decide = decide,
    .check = check,
    .trigger = trigger,
};
