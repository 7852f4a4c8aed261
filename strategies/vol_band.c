/* vol_band.c - the volatility-aware band rule: drift bands (bands.h) that widen when an
 * asset's recent volatility is above its reference and narrow when it is below, so the rule
 * trades less in storms of noise and more in calm drift.
 *
 * vol-band --band B [--band-rel R] [--band-total X] [--vol-ref V] [--to ...]
 *          [--only-breached] [--cooldown N]; sigma is the run setting --vol-model
 *          (window:W, also --vol-window W, or ewma:LAMBDA).
 *
 * At bar t every band of asset i (absolute, relative; the total band by the target-weighted
 * mean scale, as rb_bands_breached defines) is multiplied by
 *
 *     s[i,t] = sigma[i,t] / V[i,t]
 *
 *   sigma[i,t]  the annualized volatility of --vol-model at t times sqrt(periods per year):
 *               under window:W the sample (n - 1) stdev of ln(close[u] / close[u-1]) for
 *               u = max(1, t - W + 1) .. t (rb_impact_inputs, data/impact_inputs.h), under
 *               ewma:LAMBDA the RiskMetrics estimate from the returns up to t (rb_vol_ewma);
 *   V[i,t]      --vol-ref: an annualized fraction (0.6 = 60 %/yr), one for every asset
 *               ("0.6"), per asset ("BTC=0.8,ETH=0.9"; assets not named take the scalar, or
 *               the default when there is none) or both ("0.6,BTC=0.8"); default ("" or
 *               "auto"): the asset's own annualized sample stdev of all its log returns from
 *               bar 1 to t (expanding, so known at t: no look-ahead).
 *
 *               Given values lie in (0, 10] (10 = 1000 %/yr).
 *
 * s = 1 while either estimate has fewer than 2 returns (bars 0 and 1, under either model), where V
 * is 0 (a column that never moved, e.g. a stablecoin quoted at exactly 1) and always for
 * CASH (it has no risk to scale by; --vol-ref values given for CASH are ignored). A window
 * with no movement at all under a positive V gives s = 0: the band closes and any drift of
 * that asset triggers; likewise a near-flat asset (a stablecoin column) under one scalar
 * --vol-ref meant for risky assets gets a band near 0, so give it its own (USDC=0.01) or
 * use the default. A forward-filled bar adds its zero return to both estimates, as for the
 * impact model. Trigger: the cooldown has passed (rb_bands_cooled) and rb_bands_breached(weights,
 * targets in force, s[., t]); the weights traded to: rb_bands_to with the same s[., t]
 * around the targets a rebalance would set (next_target). At least one band is required.
 * sigma and the default V are run-wide inputs (strategy.h: RB_NEEDS_VOL, RB_NEEDS_VOL_TO_DATE),
 * computed once per run and shared by every configuration; decide() forms s[., t] from
 * them on the stack, so a configuration's state is a few N-sized arrays. */
#include <math.h>
#include <string.h>

#include "bands.h"
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
    double ann;                /* sqrt(periods per year), 1 without */
    const double *vol;         /* T*N: sigma of --vol-model, not annualized (RB_NEEDS_VOL) */
    const double *vol_to_date; /* T*N: the default V (RB_NEEDS_VOL_TO_DATE) */
    double *ref;               /* N: V given per asset; NaN: the default; 0 for CASH (s = 1) */
} vol_band_state;

/* The state: vol_band_state, then ref, then the bands' arrays. */
static size_t state_size(const rb_strategy_params *p, size_t N)
{
    (void)p;
    return sizeof(vol_band_state) + N * sizeof(double) + rb_bands_size(N);
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

static double annualizer(const rb_matrix *m) { return sqrt(m->periods_per_year > 0 ? m->periods_per_year : 1); }

void rb_vol_to_date(const rb_matrix *m, double *out)
{
    size_t T = m->T, N = m->N;
    double ann = annualizer(m);
    for (size_t i = 0; i < N; i++) {
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
            out[k] = n >= 2 ? sqrt(m2 / (n - 1)) * ann : 0;
        }
    }
}

/* s[i, t] of every asset at bar t into scale (N). */
static void scales_at(const vol_band_state *s, size_t t, double *scale)
{
    for (size_t i = 0; i < s->N; i++) {
        size_t k = t * s->N + i;
        double sigma = s->vol[k] * s->ann; /* annualized */
        double v = isnan(s->ref[i]) ? s->vol_to_date[k] : s->ref[i];
        scale[i] = t < 2 || !(v > 0) ? 1 : sigma / v;
    }
}

static rb_status check(const rb_strategy_params *p, rb_error *err)
{
    if (!rb_bands_given(p)) return rb_fail(err, RB_ERR_USAGE, "vol-band needs --band, --band-rel or --band-total");
    return RB_OK;
}

static rb_status setup(const rb_strategy_params *p, const rb_strategy_inputs *in, void *state, rb_error *err)
{
    rb_status rc = check(p, err);
    if (rc != RB_OK) return rc;
    const rb_matrix *m = in->m;
    vol_band_state *s = state;
    *s = (vol_band_state){
        .N = m->N, .ann = annualizer(m), .vol = in->vol, .vol_to_date = in->vol_to_date, .ref = (double *)(s + 1)};
    rc = rb_bands_setup(&s->bands, p, m, s->ref + m->N, err);
    if (rc == RB_OK) rc = vol_refs(&p->vol_ref, m, s->ref, err);
    if (rc != RB_OK) return rc;
    for (size_t i = 0; i < m->N; i++)
        if (strcmp(m->symbols[i], RB_CASH) == 0) s->ref[i] = 0; /* CASH has no risk to scale by */
    return RB_OK;
}

static int decide(const void *state, const rb_decide_ctx *ctx, double *to)
{
    const vol_band_state *s = state;
    if (!rb_bands_cooled(&s->bands, ctx->t, ctx->last_rebalance)) return 0;
    double scale[s->N];           /* on the stack: decide must not allocate */
    unsigned char breached[s->N];
    scales_at(s, ctx->t, scale);
    if (!rb_bands_breached(&s->bands, ctx->weights, ctx->target, scale, breached)) return 0;
    rb_bands_to(&s->bands, ctx->weights, ctx->target, ctx->next_target, scale, breached, to);
    return 1;
}

const rb_strategy rb_strategy_vol_band = {
    .info = {.name = "vol-band",
             .summary = "drift bands scaled by recent / reference volatility (--band B, --vol-ref V, --vol-model M)",
             .params = params,
             .nparams = sizeof params / sizeof params[0]},
    .needs = RB_NEEDS_VOL | RB_NEEDS_VOL_TO_DATE,
    .state_size = state_size,
    .setup = setup,
    .decide = decide,
    .check = check,
};
