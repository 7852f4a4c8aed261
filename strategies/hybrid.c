/* hybrid.c - calendar and bands together: gated (on calendar dates, rebalance only when a
 * band is breached) or either (every calendar date, plus any breach in between).
 * Semantics: docs/strategies.md. */
#include <stdlib.h>
#include <string.h>

#include "bands.h"
#include "error.h"

static const rb_setting_info params[] = {
    RB_PERIOD_PARAMS,
    {"mode", "gated|either", "gated", "strategy",
     "gated: on calendar dates, only if a band is breached; either: every calendar date and any breach", 0},
    RB_BAND_PARAMS,
};

typedef struct hybrid_state {
    rb_bands bands;
    rb_period period;
    long bars;
    int on_last;
    int either; /* 0: gated */
} hybrid_state;

static rb_status read_params(const rb_run_spec *spec, hybrid_state *s, rb_error *err)
{
    const char *every = rb_spec_param(spec, "every"), *on = rb_spec_param(spec, "on"),
               *mode = rb_spec_param(spec, "mode");
    rb_status rc = rb_parse_period("every", every ? every : "month", &s->period, &s->bars, err);
    if (rc != RB_OK) return rc;
    if (on && strcmp(on, "first") != 0 && strcmp(on, "last") != 0)
        return rb_fail(err, RB_ERR_USAGE, "--on: '%s' is not first or last", on);
    s->on_last = on && strcmp(on, "last") == 0;
    if (s->on_last && s->period == RB_PERIOD_BARS)
        return rb_fail(err, RB_ERR_USAGE, "--on last applies to calendar periods, not to every %ld bars", s->bars);
    if (mode && strcmp(mode, "gated") != 0 && strcmp(mode, "either") != 0)
        return rb_fail(err, RB_ERR_USAGE, "--mode: '%s' is not gated or either", mode);
    s->either = mode && strcmp(mode, "either") == 0;
    return RB_OK;
}

static rb_status setup(const rb_run_spec *spec, const rb_matrix *m, const double *target, void **state, rb_error *err)
{
    (void)target;
    hybrid_state s = {0};
    rb_status rc = read_params(spec, &s, err);
    if (rc != RB_OK) return rc;
    hybrid_state *out = malloc(sizeof *out);
    if (!out) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    rc = rb_bands_setup(&s.bands, spec, m, 1, err);
    if (rc != RB_OK) {
        free(out);
        return rc;
    }
    *out = s;
    *state = out;
    return RB_OK;
}

static int decide(const void *state, const rb_decide_ctx *ctx, double *to)
{
    const hybrid_state *s = state;
    const rb_bands *b = &s->bands;
    int date = rb_period_hit(ctx->m, ctx->t, s->period, s->bars, s->on_last);
    /* either: a calendar date is a full rebalance to the next targets (`to` holds them). */
    if (s->either && date) return 1;
    if (!s->either && !date) return 0;
    if (!rb_bands_cooled(b, ctx->t, ctx->last_rebalance)) return 0;
    if (!rb_bands_breached(b, ctx->weights, ctx->target, NULL, NULL)) return 0;
    rb_bands_to(b, ctx->weights, ctx->target, ctx->next_target, NULL, NULL, to);
    return 1;
}

static void free_state(void *state)
{
    hybrid_state *s = state;
    if (s) rb_bands_release(&s->bands);
    free(s);
}

static void trigger(const void *state, rb_trigger *out)
{
    const hybrid_state *s = state;
    /* gated: bands looked at on calendar dates only; either: every date, and bands between. */
    rb_bands_trigger(&s->bands, s->either ? RB_TRIGGER_DATES_OR_BANDS : RB_TRIGGER_DATES_AND_BANDS, out);
    rb_period_dates(s->period, s->bars, s->on_last, &out->date_flags, &out->every_bars);
}

const rb_strategy rb_strategy_hybrid = {
    .info = {.name = "hybrid",
             .summary = "calendar dates and bands: --mode gated (check the bands on calendar dates only) or "
                        "either (every calendar date and any breach)",
             .params = params,
             .nparams = sizeof params / sizeof params[0]},
    .setup = setup,
    .decide = decide,
    .free_state = free_state,
    .trigger = trigger,
};
