/* resolve.h - turning a run spec and a loaded matrix into the simulator's configuration:
 * per-asset costs, gas per bar, impact and volatility inputs, targets, the strategy's
 * state. One implementation for the reference run and the batch. Internal. */
#ifndef RB_RESOLVE_H
#define RB_RESOLVE_H

#include "simulate.h"
#include "spec.h"

typedef struct rb_resolved {
    const rb_strategy *strategy;
    double *target;          /* N targets (the --assets weights), in the caller's room */
    rb_asset_costs *costs;   /* N, in the caller's room */
    size_t *table_col;       /* N, in the caller's room: the targets table's column of each asset */
    const double *gas;       /* T gas per transaction */
    const double *sigma, *adv; /* T*N, or NULL when not needed */
    const double *vol;       /* T*N (inverse-vol targets, RB_NEEDS_VOL), or NULL */
    const double *vol_to_date; /* T*N (RB_NEEDS_VOL_TO_DATE), or NULL */
    double *owned[5];        /* what this resolution allocated (gas, sigma, adv, vol, vol_to_date) */
    const double *const *depth; /* N: each pool's depth per bar (T) from --amm-depth-series, or a
                                   NULL entry; NULL: no depth series */
    void *owned_depth;       /* the allocation behind depth (and its arrays when not shared) */
    const struct rb_routes *routes; /* --venues: each asset's venues, or NULL */
    void *owned_routes;      /* the allocation behind routes (and its depth arrays when not shared) */
    void *strategy_state;    /* in the caller's room; NULL when the strategy keeps none */
    const struct rb_overlay_cfg *overlay; /* --overlay perp's settings, or NULL (none) */
    void *owned_overlay;     /* the allocation behind overlay (and its funding series) */
    const double *bench;     /* T returns of --benchmark, or NULL */
    double *owned_bench;     /* bench when this resolution read it itself */
} rb_resolved;

/* The memory a caller lends rb_resolve for one configuration's targets, costs and strategy
 * state, kept from one configuration to the next: grown only when a configuration needs
 * more than it holds, so a sweep's block slot stops allocating once it has grown. Starts
 * zeroed ({0}); rb_resolve_room_free releases it. What rb_resolve laid out in it lives
 * until the next rb_resolve with the same room. */
typedef struct rb_resolve_room {
    void *p;
    size_t cap;
    int lent; /* p is the caller's memory (rb_resolve_room_lend): never freed here */
} rb_resolve_room;

void rb_resolve_room_free(rb_resolve_room *room);

/* A room in `bytes` of the caller's memory (aligned for any type), used until a
 * configuration needs more (rb_resolve then allocates a room of its own); freeing the memory
 * is the caller's, after rb_resolve_room_free. rb_resolve_room_bytes: what a configuration
 * of N assets needs, with a strategy state of `state` bytes. */
void rb_resolve_room_lend(rb_resolve_room *room, void *memory, size_t bytes);
size_t rb_resolve_room_bytes(size_t N, size_t state);

/* Inputs a caller computes once and shares among configurations; a NULL pointer (or a
 * window or name that does not match the spec's) makes rb_resolve compute its own. */
typedef struct rb_resolve_inputs {
    int impact_window;
    const double *sigma, *adv; /* rb_impact_inputs(m, impact_window) */
    int vol_window;            /* the volatility model of vol (rb_vol_model_sigma) */
    double vol_lambda;
    const double *vol;
    const double *vol_to_date; /* rb_vol_to_date(m) */
    const char *gas_series;
    const double *gas;         /* T values of that series, forward-filled */
    double gas_value;
    const double *gas_flat;    /* T copies of gas_value (a constant --gas) */
    /* The stored series `name` forward-filled onto the bars, NaN before its first point
     * (rb_resolve_dated), for --amm-depth-series; NULL: rb_resolve reads the store. */
    rb_status (*series)(void *ctx, const char *name, const double **out, rb_error *err);
    void *series_ctx;
    const char *bench_name;    /* --benchmark, and its T returns (rb_benchmark_returns) */
    const double *bench;
} rb_resolve_inputs;

/* The strategy and spec checks that need no data (strategy parameters, symbols). */
rb_status rb_resolve_check(const rb_run_spec *spec, const rb_strategy **strategy, rb_error *err);

/* Loads the matrix a spec names. */
rb_status rb_resolve_matrix(rb_store *store, const rb_run_spec *spec, rb_matrix **m, rb_error *err);

/* Resolves spec against m, its targets, costs and strategy state laid out in room (grown
 * when too small). store is read only for --gas-series (not thread-safe: callers running in
 * parallel pass the series in `shared`). Allocates nothing when room is large enough and
 * `shared` holds every input the spec needs. */
rb_status rb_resolve(rb_store *store, const rb_run_spec *spec, const rb_matrix *m, unsigned keep,
                     const rb_resolve_inputs *shared, rb_resolve_room *room, rb_resolved *r, rb_sim_config *c,
                     rb_error *err);
/* Whether spec resolves as like_spec did (into like) but for its strategy's parameters: the
 * two specs are the same after them, to the bit, pointers included (whose memory stays the
 * same for the run, as a batch's does: batch.h), with the same volatility model where like
 * read a volatility; and like owns none of its inputs (each is shared for the run, and
 * outlives it). A sweep over a strategy's parameters makes such neighbors. */
int rb_resolve_reuses(const rb_run_spec *spec, const rb_run_spec *like_spec, const rb_resolved *like);

/* rb_resolve of a spec that rb_resolve_reuses like (resolved with its configuration like_c),
 * with the same result: like's targets, costs and inputs, and a strategy state of its own
 * in room, without again the checks and lookups of what the two share (the symbols, the
 * targets, every asset's costs, the shared inputs). */
rb_status rb_resolve_like(const rb_run_spec *spec, const rb_matrix *m, const rb_resolved *like,
                          const rb_sim_config *like_c, rb_resolve_room *room, rb_resolved *r, rb_sim_config *c,
                          rb_error *err);

/* Releases what the resolution allocated itself (inputs not shared); the room stays. */
void rb_resolved_release(rb_resolved *r);

/* A targets table laid over m: col[i] its column of asset i, and target (N) its row in force
 * at the first bar, the initial allocation. Fails (naming both dates) when its first row is
 * dated after the first bar. */
rb_status rb_resolve_target_table(const struct rb_target_table *t, const rb_matrix *m, size_t *col, double *target,
                                  rb_error *err);

/* The per-bar volatility (T*N, not annualized) of sp's --vol-model into sigma: the window
 * model's rb_impact_inputs sigma, or rb_vol_ewma. */
rb_status rb_vol_model_sigma(const rb_matrix *m, const rb_strategy_params *sp, double *sigma, rb_error *err);

/* The option that chose sp's volatility model, for messages: "--vol-window 63" or
 * "--vol-model ewma:0.94". */
void rb_vol_model_text(const rb_strategy_params *sp, char *buf, size_t len);

/* resolve_series.c: the stored series `name` forward-filled onto m's bars (T values into
 * out, NaN before its first point): a series of the store, or (stores made before series
 * existed) an asset's closes; RB_ERR_NOT_FOUND when neither exists. */
rb_status rb_resolve_dated(rb_store *store, const char *name, const rb_matrix *m, double *out, rb_error *err);

/* resolve_series.c: the closes of asset `name` forward-filled onto m's bars (NaN before its
 * first bar); RB_ERR_NOT_FOUND when the store has no such asset. */
rb_status rb_resolve_asset_closes(rb_store *store, const char *name, const rb_matrix *m, double *out, rb_error *err);

/* benchmark.c: the per-bar returns b_t = B_t / B_{t-1} - 1 (b_0 = 0) of --benchmark `name`
 * on m's bars (T values into out): a stored asset's closes (SYM) or a stored dated series
 * (series:NAME), forward-filled; refused when it has no value on or before the first bar or
 * a value that is not a positive number. */
rb_status rb_benchmark_returns(rb_store *store, const char *name, const rb_matrix *m, double *out, rb_error *err);

/* benchmark.c: r->bench from spec's --benchmark (shared->bench when it is the same name,
 * else read from the store into an array of r's own); nothing without one. */
rb_status rb_resolve_benchmark(rb_store *store, const rb_run_spec *spec, const rb_matrix *m,
                               const rb_resolve_inputs *shared, rb_resolved *r, rb_error *err);

/* The gas series `name` forward-filled onto m's bars (T values into gas); refused when it
 * has no value on or before the first bar. */
rb_status rb_resolve_gas_series(rb_store *store, const char *name, const rb_matrix *m, double *gas, rb_error *err);

/* r->depth from spec's --amm-depth-series (from shared->series when given, else the store),
 * each checked positive and finite on every bar (refused before the series' first date,
 * naming the series, the asset and the bar); the asset's amm_depth in r->costs becomes the
 * first bar's depth, so the pool is seen from the first bar. Needs r->costs laid out. */
rb_status rb_resolve_depth_series(rb_store *store, const rb_run_spec *spec, const rb_matrix *m,
                                  const rb_resolve_inputs *shared, rb_resolved *r, rb_error *err);

/* Every bar of asset sym's depth series d (T values, NaN before its first point) holds a
 * positive finite depth; errors start with `what` ("--amm-depth-series", a venue). */
rb_status rb_check_depth_series(const char *what, const char *sym, const char *name, const rb_matrix *m,
                                const double *d, rb_error *err);

/* resolve_venues.c: r->routes from spec's venue file (--venues), NULL without one: each
 * asset's venues with their costs, a pool's depth series read from shared->series when
 * given, else the store (checked on every bar as --amm-depth-series is). */
rb_status rb_resolve_venues(rb_store *store, const rb_run_spec *spec, const rb_matrix *m,
                            const rb_resolve_inputs *shared, rb_resolved *r, rb_error *err);
/* resolve_overlay.c: r->overlay from spec's --overlay perp and its settings (NULL with
 * --overlay none): the collateral's column (--margin-asset, refused when not one of the
 * assets), each perp's funding series (from shared->series when given, else the store;
 * refused before its first date or where a rate is not finite). */
rb_status rb_resolve_overlay(rb_store *store, const rb_run_spec *spec, const rb_matrix *m, int cash_col,
                             const rb_resolve_inputs *shared, rb_resolved *r, rb_error *err);

#endif /* RB_RESOLVE_H */
