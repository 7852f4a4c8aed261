/* bands.c - drift bands shared by the threshold-driven rules (bands.h): reading --band,
 * --band-rel, --band-total, --to, --only-breached and --cooldown; the breach test; the
 * weights of full and partial rebalancing. docs/strategies.md is the specification. */
#include "bands.h"

#include <string.h>

#include "error.h"
#include "number.h"
#include "text.h"

/* ---------------------------------------------------------------- parsing */

rb_status rb_per_asset_values(const char *option, const rb_asset_values *v, const rb_matrix *m, double fallback,
                              double *out, rb_error *err)
{
    for (size_t k = 0; k < v->n; k++) {
        rb_status rc = rb_check_among_assets(option, v->symbol[k], m->symbols, m->N, err);
        if (rc != RB_OK) return rc;
    }
    for (size_t i = 0; i < m->N; i++) {
        double x = v->has_all ? v->all : fallback;
        for (size_t k = 0; k < v->n; k++)
            if (strcmp(m->symbols[i], v->symbol[k]) == 0) x = v->value[k];
        out[i] = x;
    }
    return RB_OK;
}

/* ---------------------------------------------------------------- the parameters' readers */

rb_status rb_read_to(const char *key, const char *text, void *field, rb_error *err)
{
    rb_to *to = field;
    double f;
    if (strcmp(text, "target") == 0) *to = (rb_to){RB_TO_TARGET, 0};
    else if (strcmp(text, "edge") == 0) *to = (rb_to){RB_TO_EDGE, 0};
    else if (strcmp(text, "halfway") == 0) *to = (rb_to){RB_TO_HALFWAY, 0};
    else if (strncmp(text, "inner:", 6) == 0 && rb_number_read(text + 6, strlen(text + 6), 1, &f) == RB_NUMBER_OK &&
             f >= 0 && f <= 1)
        *to = (rb_to){RB_TO_INNER, f};
    else
        return rb_fail(err, RB_ERR_USAGE, "--%s: '%s' is not target, edge, halfway or inner:F with 0 <= F <= 1",
                       key, text);
    return RB_OK;
}

/* The portfolio band: one number in [0, 1], not per asset. */
rb_status rb_read_optional_fraction(const char *key, const char *text, void *field, rb_error *err)
{
    rb_asset_values v = {0};
    rb_status rc = rb_asset_values_parse(key, NULL, text, 1, 0, 1, &v, err);
    if (rc == RB_OK && (v.n > 0 || !v.has_all))
        rc = rb_fail(err, RB_ERR_USAGE, "--%s: give one number for the whole portfolio, not per asset (got '%s')",
                     key, text);
    if (rc == RB_OK) *(rb_optional *)field = (rb_optional){1, v.all};
    rb_asset_values_clear(&v);
    return rc;
}

static int has_value(const rb_asset_values *v) { return v->n > 0 || v->has_all; }

int rb_bands_given(const rb_strategy_params *p)
{
    return has_value(&p->band) || has_value(&p->band_rel) || p->band_total.given;
}

rb_status rb_bands_setup(rb_bands *b, const rb_strategy_params *p, const rb_matrix *m, void *room, rb_error *err)
{
    rb_bands s = {.N = m->N,
                  .abs = room,
                  .rel = (double *)room + m->N,
                  .total = p->band_total.given ? p->band_total.value : INFINITY,
                  .to = p->to.mode,
                  .inner = p->to.inner,
                  .only_breached = p->only_breached,
                  .cooldown = p->cooldown};
    rb_status rc = rb_per_asset_values("band", &p->band, m, INFINITY, s.abs, err);
    if (rc == RB_OK) rc = rb_per_asset_values("band-rel", &p->band_rel, m, INFINITY, s.rel, err);
    if (rc == RB_OK) *b = s;
    return rc;
}

/* ---------------------------------------------------------------- the breach test */

/* A band times its scale; a missing band stays missing whatever the scale (INFINITY * 0
 * would be NaN). */
static double scaled(double band, const double *scale, size_t i)
{
    if (isinf(band)) return INFINITY;
    return scale ? band * scale[i] : band;
}

/* 1 when asset i lies outside its own bands: |d| > abs * s, or |d| / t > rel * s for a
 * positive target (a relative band says nothing about an asset with target 0). */
static int asset_breached(const rb_bands *b, const double *w, const double *target, const double *scale, size_t i)
{
    double d = fabs(w[i] - target[i]);
    if (d > scaled(b->abs[i], scale, i)) return 1;
    return target[i] > 0 && d / target[i] > scaled(b->rel[i], scale, i);
}

/* The total band in weight units: total * the target-weighted mean scale (1 without a
 * scale, exactly). */
static double total_band(const rb_bands *b, const double *target, const double *scale)
{
    if (isinf(b->total)) return INFINITY;
    if (!scale) return b->total;
    double ts = 0, tsum = 0;
    for (size_t i = 0; i < b->N; i++) {
        ts += target[i] * scale[i];
        tsum += target[i];
    }
    return tsum > 0 ? b->total * (ts / tsum) : b->total;
}

/* Half the total absolute drift: the share of the portfolio that sits away from target. */
static double drift(size_t N, const double *w, const double *target)
{
    double d = 0;
    for (size_t i = 0; i < N; i++) d += fabs(w[i] - target[i]);
    return d / 2;
}

int rb_bands_breached(const rb_bands *b, const double *w, const double *target, const double *scale,
                      unsigned char *breached)
{
    int any = 0;
    for (size_t i = 0; i < b->N; i++) {
        int hit = asset_breached(b, w, target, scale, i);
        if (breached) breached[i] = (unsigned char)hit;
        any |= hit;
    }
    return any || drift(b->N, w, target) > total_band(b, target, scale);
}

/* ---------------------------------------------------------------- the weights to trade to */

/* The effective band of asset i: the tighter of its scaled bands (the one that breaches
 * first). */
static double effective_band(const rb_bands *b, const double *target, const double *scale, size_t i)
{
    double e = scaled(b->abs[i], scale, i);
    if (target[i] > 0) e = fmin(e, scaled(b->rel[i], scale, i) * target[i]);
    return e;
}

/* Where a breached asset goes: its next target, the band edge on the side it drifted to,
 * halfway back, or F of the band. */
static double breached_to(const rb_bands *b, double w, double t, double n, double e)
{
    double side = w > t ? 1 : -1;
    switch (b->to) {
    case RB_TO_EDGE: return n + side * e;
    case RB_TO_HALFWAY: return (w + n) / 2;
    case RB_TO_INNER: return n + side * b->inner * e;
    case RB_TO_TARGET: break;
    }
    return n;
}

static int is_breached(const rb_bands *b, const double *w, const double *target, const double *scale,
                       const unsigned char *breached, size_t i)
{
    return breached ? breached[i] != 0 : asset_breached(b, w, target, scale, i);
}

/* Shares the remainder 1 - sum(to) among the absorbing assets (absorbs[i] != 0, or every
 * asset when absorbs is NULL) in proportion to their next targets, then, when dynamic
 * targets or rounding pushed a weight out of [0, 1], clamps and renormalizes. */
static void settle(size_t N, const double *next_target, const unsigned char *absorbs, double *to)
{
    double sum = 0, share = 0;
    for (size_t i = 0; i < N; i++) {
        sum += to[i];
        if (!absorbs || absorbs[i]) share += next_target[i];
    }
    double rest = 1 - sum;
    if (rest != 0 && share > 0)
        for (size_t i = 0; i < N; i++)
            if (!absorbs || absorbs[i]) to[i] += rest * next_target[i] / share;
    int out = 0;
    for (size_t i = 0; i < N; i++) out |= !(to[i] >= 0 && to[i] <= 1);
    if (out) {
        sum = 0;
        for (size_t i = 0; i < N; i++) {
            to[i] = to[i] > 1 ? 1 : to[i] >= 0 ? to[i] : 0;
            sum += to[i];
        }
        if (sum > 0)
            for (size_t i = 0; i < N; i++) to[i] /= sum;
        else
            for (size_t i = 0; i < N; i++) to[i] = next_target[i];
    }
}

void rb_full_weights(size_t N, const double *target, double *to)
{
    memcpy(to, target, N * sizeof *to);
    settle(N, target, NULL, to);
}

void rb_bands_to(const rb_bands *b, const double *w, const double *target, const double *next_target,
                 const double *scale, const unsigned char *breached, double *to)
{
    size_t N = b->N, nbreached = 0;
    unsigned char out[N]; /* N flags on the stack: must not allocate */
    for (size_t i = 0; i < N; i++) {
        out[i] = (unsigned char)is_breached(b, w, target, scale, breached, i);
        nbreached += out[i];
    }
    /* Called without a breach (nothing out, total inside), every branch below gives n.
     * The assets inside their bands absorb the remainder when some, not all, are out;
     * otherwise every asset does. */
    int absorb_inside = nbreached > 0 && nbreached < N;
    if (b->to == RB_TO_TARGET && !(b->only_breached && absorb_inside)) {
        /* A full rebalance to the next targets, scaled to sum to 1. */
        rb_full_weights(N, next_target, to);
        return;
    }
    if (nbreached == 0) {
        /* Only the portfolio band can have triggered: move every asset by the same fraction
         * k of its drift, so the total drift becomes k * D (edge: exactly the band). */
        double D = drift(N, w, target), band = total_band(b, target, scale), k = 0;
        if (D > band) {
            if (b->to == RB_TO_EDGE) k = band / D;
            else if (b->to == RB_TO_HALFWAY) k = 0.5;
            else if (b->to == RB_TO_INNER) k = b->inner * band / D;
        }
        for (size_t i = 0; i < N; i++) to[i] = next_target[i] + k * (w[i] - target[i]);
    } else {
        for (size_t i = 0; i < N; i++) {
            if (out[i])
                to[i] = breached_to(b, w[i], target[i], next_target[i], effective_band(b, target, scale, i));
            else /* --only-breached: the others keep their weights; else they are re-set below */
                to[i] = b->only_breached && absorb_inside ? w[i] : 0;
        }
    }
    /* The remainder: what the breached assets gave up (or, with --only-breached, their net
     * sales plus any uninvested cash), shared in proportion to the next targets. */
    for (size_t i = 0; i < N; i++) out[i] = !out[i]; /* now: absorbs the remainder */
    settle(N, next_target, absorb_inside ? out : NULL, to);
}

void rb_bands_trigger(const rb_bands *b, rb_trigger_kind kind, rb_trigger *out)
{
    *out = (rb_trigger){.kind = kind,
                        .band_abs = b->abs,
                        .band_rel = b->rel,
                        .band_total = b->total,
                        .full = b->to == RB_TO_TARGET && !b->only_breached && b->cooldown <= 1};
}
