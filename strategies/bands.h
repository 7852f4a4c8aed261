/* bands.h - drift bands shared by every threshold-driven rule (threshold, hybrid,
 * vol-band): absolute, relative and portfolio-level bands, each a scalar or per asset; the
 * breach test; the weights of full and partial rebalancing (--to target|edge|halfway|
 * inner:F, --only-breached); the cooldown. Internal. */
#ifndef RB_BANDS_H
#define RB_BANDS_H

#include <math.h>

#include "strategy.h"

typedef enum rb_to_mode { RB_TO_TARGET = 0, RB_TO_EDGE, RB_TO_HALFWAY, RB_TO_INNER } rb_to_mode;

typedef struct rb_bands {
    size_t N;
    double *abs;       /* N absolute bands, |w - target| > abs (fraction: 0.05 = 5 pp); INFINITY: none */
    double *rel;       /* N relative bands, |w - target| / target > rel; INFINITY: none */
    double total;      /* portfolio band on sum |w - target| / 2; INFINITY: none */
    rb_to_mode to;
    double inner;      /* RB_TO_INNER: the fraction F of the band to trade back to */
    int only_breached; /* trade only the breaching assets; the others absorb the cash */
    long cooldown;     /* at least this many bars between two rebalances */
} rb_bands;

/* The parameter rows every band rule accepts (inside a rule's params array). */
#define RB_BAND_PARAMS                                                                                       \
    {"band", "B|SYM=B,...", "", "strategy", "absolute band: rebalance when |w - target| > B (0.05 = 5 pp)", 1},   \
        {"band-rel", "R|SYM=R,...", "", "strategy",                                                           \
         "relative band: |w - target| / target > R (with --band: either one)", 1},                            \
        {"band-total", "X", "", "strategy", "portfolio band: sum |w - target| / 2 > X", 1},                    \
        {"to", "target|edge|halfway|inner:F", "target", "strategy",                                           \
         "trade to the targets, to the band edge, halfway, or to F of the band", 1},                          \
        {"only-breached", "", "", "strategy", "trade only the assets outside their bands", 0},                \
        {"cooldown", "BARS", "0", "strategy", "at least this many bars between two rebalances", 0}

/* Reads --band, --band-rel, --band-total, --to, --only-breached and --cooldown from the
 * spec (rb_spec_param; symbols matched against the matrix columns). With require_band, at
 * least one of the three bands must be given. Errors name the parameter. */
rb_status rb_bands_setup(rb_bands *b, const rb_run_spec *spec, const rb_matrix *m, int require_band, rb_error *err);
void rb_bands_release(rb_bands *b);

/* 1 when the weights w breach a band around target. scale (N, or NULL for 1) multiplies
 * every band of asset i (the total band by the target-weighted mean scale). breached (N,
 * may be NULL) gets 1 for each asset outside its own band. Must not allocate. */
int rb_bands_breached(const rb_bands *b, const double *w, const double *target, const double *scale,
                      unsigned char *breached);

/* The weights to trade to (N, summing to 1) when the bands triggered: by b->to and
 * b->only_breached, around next_target (see docs/strategies.md). Must not allocate. */
void rb_bands_to(const rb_bands *b, const double *w, const double *target, const double *next_target,
                 const double *scale, const unsigned char *breached, double *to);

/* The trigger description (trigger.h) of a rule of `kind` over these bands: its band
 * arrays, and full when a breach always trades back to the targets with no cooldown
 * (--to target, no --only-breached, --cooldown 0 or 1). The dates are the caller's. */
void rb_bands_trigger(const rb_bands *b, rb_trigger_kind kind, rb_trigger *out);

/* 1 when the cooldown since the last rebalance has passed at bar t. */
static inline int rb_bands_cooled(const rb_bands *b, size_t t, size_t last_rebalance)
{
    return t >= last_rebalance + (size_t)b->cooldown;
}

/* Parses a per-asset value ("0.05", "BTC=0.1,USDS=0.01" or "0.05,BTC=0.1"; fractions, so
 * also "5%", "BTC=10%") into out[N] against the matrix symbols (through
 * rb_asset_values_parse, engine/spec.h); assets not named get the scalar or `fallback`.
 * Values must lie in [lo, hi]. Errors name the option and the symbol. */
rb_status rb_parse_per_asset(const char *option, const char *text, const rb_matrix *m, double lo, double hi,
                             double fallback, double *out, rb_error *err);

#endif /* RB_BANDS_H */
