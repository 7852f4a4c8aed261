/* threshold.c - rebalance when the weights drift outside their bands: absolute, relative
 * (both: the 5/25 rule) or portfolio-level, checked on every bar; full or partial
 * (--to, --only-breached), with an optional cooldown. Semantics: docs/strategies.md. */
#include <stdlib.h>

#include "bands.h"
#include "error.h"

static const rb_setting_info params[] = {RB_BAND_PARAMS};

static rb_status check(const rb_strategy_params *p, rb_error *err)
{
    if (!rb_bands_given(p)) return rb_fail(err, RB_ERR_USAGE, "threshold needs --band, --band-rel or --band-total");
    return RB_OK;
}

static rb_status setup(const rb_strategy_params *p, const rb_matrix *m, const double *target, void **state,
                       rb_error *err)
{
    (void)target;
    rb_status rc = check(p, err);
    if (rc != RB_OK) return rc;
    rb_bands *b = malloc(sizeof *b);
    if (!b) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    rc = rb_bands_setup(b, p, m, err);
    if (rc != RB_OK) {
        free(b);
        return rc;
    }
    *state = b;
    return RB_OK;
}

static int decide(const void *state, const rb_decide_ctx *ctx, double *to)
{
    const rb_bands *b = state;
    if (!rb_bands_cooled(b, ctx->t, ctx->last_rebalance)) return 0;
    if (!rb_bands_breached(b, ctx->weights, ctx->target, NULL, NULL)) return 0;
    rb_bands_to(b, ctx->weights, ctx->target, ctx->next_target, NULL, NULL, to);
    return 1;
}

static void free_state(void *state)
{
    if (state) rb_bands_release(state);
    free(state);
}

static void trigger(const void *state, rb_trigger *out) { rb_bands_trigger(state, RB_TRIGGER_BANDS, out); }

const rb_strategy rb_strategy_threshold = {
    .info = {.name = "threshold",
             .summary = "rebalance when a weight drifts outside its band (--band, --band-rel, --band-total), "
                        "checked every bar",
             .params = params,
             .nparams = sizeof params / sizeof params[0]},
    .setup = setup,
    .decide = decide,
    .check = check,
    .free_state = free_state,
    .trigger = trigger,
};
