/* hybrid.c - calendar and bands together: gated (on calendar dates, rebalance only when a
 * band is breached) or either (every calendar date, plus any breach in between).
 * Semantics: docs/strategies.md. */
#include "bands.h"
#include "error.h"

static const rb_setting_info params[] = {
    RB_PERIOD_PARAMS,
    {.key = "mode", .arg = "gated|either", .def = "gated", .group = "strategy",
     .help = "gated: on calendar dates, only if a band is breached; either: every calendar date and any breach",
     .type = RB_VALUE_WORD, .words = rb_mode_words, RB_PARAM_FIELD(either)},
    RB_BAND_PARAMS,
};

typedef struct hybrid_state {
    rb_bands bands;
    rb_period period;
    long bars;
    int on_last;
    int either; /* 0: gated */
} hybrid_state;

static rb_status check(const rb_strategy_params *p, rb_error *err)
{
    rb_status rc = rb_period_check(p, err);
    if (rc == RB_OK && !rb_bands_given(p))
        rc = rb_fail(err, RB_ERR_USAGE, "hybrid needs --band, --band-rel or --band-total");
    return rc;
}

/* The state: hybrid_state, the bands' arrays after it. */
static size_t state_size(const rb_strategy_params *p, size_t N)
{
    (void)p;
    return sizeof(hybrid_state) + rb_bands_size(N);
}

static rb_status setup(const rb_strategy_params *p, const rb_strategy_inputs *in, void *state, rb_error *err)
{
    rb_status rc = check(p, err);
    if (rc != RB_OK) return rc;
    hybrid_state *s = state;
    *s = (hybrid_state){.period = p->every.period, .bars = p->every.bars, .on_last = p->on_last, .either = p->either};
    return rb_bands_setup(&s->bands, p, in->m, s + 1, err);
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
    .state_size = state_size,
    .setup = setup,
    .decide = decide,
    .check = check,
    .trigger = trigger,
};
