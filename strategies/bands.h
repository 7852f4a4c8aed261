/* bands.h - drift bands shared by every threshold-driven rule (threshold, hybrid,
 * vol-band): absolute, relative and portfolio-level bands, each a scalar or per asset; the
 * breach test; the weights of full and partial rebalancing (--to target|edge|halfway|
 * inner:F, --only-breached); the cooldown. Internal. */
#ifndef RB_BANDS_H
#define RB_BANDS_H

#include <math.h>

#include "strategy.h"

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

/* The bytes of the band arrays of N assets (abs and rel), which the caller provides to
 * rb_bands_setup: a rule's state holds them after its own struct (strategy.h: state_size). */
static inline size_t rb_bands_size(size_t N) { return 2 * N * sizeof(double); }

/* The bands of --band, --band-rel, --band-total, --to, --only-breached and --cooldown, from
 * the parsed parameters (params.h; symbols matched against the matrix columns), their
 * arrays laid out in `room` (rb_bands_size(m->N) bytes, aligned for a double). Errors name
 * the parameter. (Every band rule needs a band: the sweep file and rb_resolve check that.) */
rb_status rb_bands_setup(rb_bands *b, const rb_strategy_params *p, const rb_matrix *m, void *room, rb_error *err);

/* 1 when p gives at least one band (--band, --band-rel or --band-total). */
int rb_bands_given(const rb_strategy_params *p);

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

/* A parsed per-asset value laid out over the matrix columns: out[N], assets not named get
 * the scalar or `fallback`. Errors name the option and a symbol that is not a column. */
rb_status rb_per_asset_values(const char *option, const rb_asset_values *v, const rb_matrix *m, double fallback,
                              double *out, rb_error *err);

#endif /* RB_BANDS_H */
