/* vol_band.c - the volatility-aware band rule: drift bands (bands.h) that widen when an
 * asset's recent volatility is above its reference and narrow when it is below, so the rule
 * trades less in storms of noise and more in calm drift.
 *
 * vol-band --band B [--band-rel R] [--band-total X] [--vol-ref V] [--to ...]
 *          [--only-breached] [--cooldown N]; the window is the run setting --vol-window W.
 *
 * At bar t every band of asset i (absolute, relative; the total band by the target-weighted
 * mean scale, as rb_bands_breached defines) is multiplied by
 *
 *     s[i,t] = sigma[i,t] / V[i,t]
 *
 *   sigma[i,t]  the annualized volatility of the last W log returns up to t: the sample
 *               (n - 1) stdev of ln(close[u] / close[u-1]) for u = max(1, t - W + 1) .. t
 *               (rb_impact_inputs, data/impact_inputs.h) times sqrt(periods per year);
 *   V[i,t]      --vol-ref: an annualized fraction (0.6 = 60 %/yr), one for every asset
 *               ("0.6"), per asset ("BTC=0.8,ETH=0.9"; assets not named take the scalar, or
 *               the default when there is none) or both ("0.6,BTC=0.8"); default ("" or
 *               "auto"): the asset's own annualized sample stdev of all its log returns from
 *               bar 1 to t (expanding, so known at t: no look-ahead).
 *
 *               Given values lie in (0, 10] (10 = 1000 %/yr).
 *
 * s = 1 while either estimate has fewer than 2 returns (bars 0 and 1, since W >= 2), where V
 * is 0 (a column that never moved, e.g. a stablecoin quoted at exactly 1) and always for
 * CASH (it has no risk to scale by; --vol-ref values given for CASH are ignored). A window
 * with no movement at all under a positive V gives s = 0: the band closes and any drift of
 * that asset triggers; likewise a near-flat asset (a stablecoin column) under one scalar
 * --vol-ref meant for risky assets gets a band near 0, so give it its own (USDC=0.01) or
 * use the default. A forward-filled bar adds its zero return to both estimates, as for the
 * impact model. Trigger: the cooldown has passed (rb_bands_cooled) and rb_bands_breached(weights,
 * targets in force, s[., t]); the weights traded to: rb_bands_to with the same s[., t]
 * around the targets a rebalance would set (next_target). At least one band is required.
 * Every s is computed in setup (T * N doubles); decide() only reads it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bands.h"
#include "impact_inputs.h"
#include "error.h"
#include "strategy.h"

/* Largest --vol-ref accepted: 10 = 1000 %/yr. A value like 60 is a percentage typed
 * without its '%' and is refused rather than read as 6000 %/yr. */
#define VOL_REF_MAX 10.0

/* --vol-ref: "auto" (or "") is the default, each asset's own volatility; else a per-asset
 * value in [0, VOL_REF_MAX]. */
static rb_status read_vol_ref(const char *key, const char *text, void *field, rb_error *err)
{
    rb_asset_values *v = field;
    if (text[0] == '\0' || strcmp(text, "auto") == 0) {
        rb_asset_values_clear(v);
        return RB_OK;
    }
    return rb_asset_values_parse(key, NULL, text, 1, 0, VOL_REF_MAX, v, err);
}

static const rb_setting_info params[] = {
    RB_BAND_PARAMS,
    {.key = "vol-ref", .arg = "VOL|SYM=VOL,...", .def = "", .group = "strategy",
     .help = "reference volatility per year (0.6 = 60 %/yr) the bands are scaled against; "
             "default: each asset's own volatility to date",
     .fraction = 1, .type = RB_VALUE_PER_ASSET, .lo = 0, .hi = VOL_REF_MAX, .read = read_vol_ref,
     RB_PARAM_FIELD(vol_ref)},
};

typedef struct vol_band_state {
    rb_bands bands;
    size_t N;
    double *scale; /* T*N: s[t * N + i], the factor on asset i's bands at bar t */
} vol_band_state;

static void free_state(void *state)
{
    vol_band_state *s = state;
    if (!s) return;
    rb_bands_release(&s->bands);
    free(s->scale);
    free(s);
}

/* The reference volatility of each asset from --vol-ref: ref[i] > 0 given, NaN for "use the
 * asset's own expanding volatility". */
static rb_status vol_refs(const rb_asset_values *given, const rb_matrix *m, double *ref, rb_error *err)
{
    if (given->n == 0 && !given->has_all) {
        for (size_t i = 0; i < m->N; i++) ref[i] = NAN;
        return RB_OK;
    }
    rb_status rc = rb_per_asset_values("vol-ref", given, m, NAN, ref, err);
    if (rc != RB_OK) return rc;
    for (size_t i = 0; i < m->N; i++)
        if (ref[i] == 0 && strcmp(m->symbols[i], RB_CASH) != 0)
            return rb_fail(err, RB_ERR_USAGE,
                           "--vol-ref: the reference volatility of %s is 0; it must be above 0 (0.6 = 60 %%/yr)",
                           m->symbols[i]);
    if (!(m->periods_per_year > 0))
        return rb_fail(err, RB_ERR_DATA, "--vol-ref: the data has no periods per year to annualize by (set "
                                         "--periods-per-year)");
    return RB_OK;
}

/* Turns scale (T*N holding sigma per bar from rb_impact_inputs) into s[i,t] in place:
 * column by column, an expanding Welford pass over the log returns gives V when no
 * reference is given. */
static void scale_from_sigma(const rb_matrix *m, const double *ref, double *scale)
{
    size_t T = m->T, N = m->N;
    double ann = sqrt(m->periods_per_year > 0 ? m->periods_per_year : 1);
    for (size_t i = 0; i < N; i++) {
        int cash = strcmp(m->symbols[i], RB_CASH) == 0;
        double n = 0, mean = 0, m2 = 0; /* Welford: count, mean and sum of squared deviations */
        for (size_t t = 0; t < T; t++) {
            size_t k = t * N + i;
            if (t > 0) {
                double x = log(m->close[k] / m->close[k - N]);
                n += 1;
                double d = x - mean;
                mean += d / n;
                m2 += d * (x - mean);
            }
            double sigma = scale[k] * ann; /* annualized, over the window */
            double v = isnan(ref[i]) ? (n >= 2 ? sqrt(m2 / (n - 1)) * ann : 0) : ref[i];
            scale[k] = cash || t < 2 || !(v > 0) ? 1 : sigma / v;
        }
    }
}

static rb_status check(const rb_strategy_params *p, rb_error *err)
{
    if (!rb_bands_given(p)) return rb_fail(err, RB_ERR_USAGE, "vol-band needs --band, --band-rel or --band-total");
    return RB_OK;
}

static rb_status setup(const rb_strategy_params *p, const rb_matrix *m, const double *target, void **state,
                       rb_error *err)
{
    (void)target;
    rb_status rc = check(p, err);
    if (rc != RB_OK) return rc;
    size_t T = m->T, N = m->N;
    vol_band_state *s = calloc(1, sizeof *s);
    double *ref = malloc(N * sizeof *ref), *adv = malloc(T * N * sizeof *adv);
    if (!s || !ref || !adv || !(s->scale = malloc(T * N * sizeof *s->scale)))
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory for the vol-band scales (%zu bars x %zu assets)", T, N);
    if (rc == RB_OK) {
        s->N = N;
        rc = rb_bands_setup(&s->bands, p, m, err); /* leaves the zeroed bands alone on failure */
    }
    if (rc == RB_OK) rc = vol_refs(&p->vol_ref, m, ref, err);
    if (rc == RB_OK) {
        /* The window's sigma per bar; the volume half (adv) is not used here. */
        rc = rb_impact_inputs(m, p->vol_window, s->scale, adv, err);
        if (rc != RB_OK) rb_error_prefix(err, "vol-band: --vol-window %d", p->vol_window);
    }
    if (rc == RB_OK) scale_from_sigma(m, ref, s->scale);
    free(ref);
    free(adv);
    if (rc != RB_OK) {
        free_state(s);
        return rc;
    }
    *state = s;
    return RB_OK;
}

static int decide(const void *state, const rb_decide_ctx *ctx, double *to)
{
    const vol_band_state *s = state;
    const double *scale = s->scale + ctx->t * s->N;
    if (!rb_bands_cooled(&s->bands, ctx->t, ctx->last_rebalance)) return 0;
    unsigned char breached[s->N]; /* N flags on the stack: decide must not allocate */
    if (!rb_bands_breached(&s->bands, ctx->weights, ctx->target, scale, breached)) return 0;
    rb_bands_to(&s->bands, ctx->weights, ctx->target, ctx->next_target, scale, breached, to);
    return 1;
}

const rb_strategy rb_strategy_vol_band = {
    .info = {.name = "vol-band",
             .summary = "drift bands scaled by recent / reference volatility (--band B, --vol-ref V, --vol-window W)",
             .params = params,
             .nparams = sizeof params / sizeof params[0]},
    .setup = setup,
    .decide = decide,
    .check = check,
    .free_state = free_state,
};
