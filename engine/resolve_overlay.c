/* resolve_overlay.c - the perpetual-futures overlay's settings laid over a run's matrix
 * (resolve.h: rb_resolve_overlay): the collateral's column and each perp's funding rates. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "overlay.h"
#include "resolve.h"

/* Every bar of a funding series holds a finite rate: refused before the series' first date
 * (naming the series, the asset and the first bar) and where a rate is not finite. */
static rb_status check_funding(const char *sym, const char *name, const rb_matrix *m, const double *r, rb_error *err)
{
    char when[32];
    for (size_t t = 0; t < m->T; t++)
        if (!isfinite(r[t]))
            return rb_fail(err, RB_ERR_DATA,
                           isnan(r[t]) && t == 0
                               ? "--funding-series: %s=%s: the series has no value on or before the first bar %s "
                                 "(start the run later with --start, or extend the series)"
                               : "--funding-series: %s=%s: the rate on %s is not a finite number",
                           sym, name, rb_time_format(m->time[t], when));
    return RB_OK;
}

/* The collateral's column: --margin-asset (CASH: the CASH column, or -1 without one). */
static rb_status margin_column(const rb_run_spec *spec, const rb_matrix *m, int cash_col, int *col, rb_error *err)
{
    const char *sym = spec->margin_asset ? spec->margin_asset : RB_CASH;
    *col = cash_col;
    if (strcmp(sym, RB_CASH) == 0) return RB_OK;
    for (size_t i = 0; i < m->N; i++)
        if (strcmp(m->symbols[i], sym) == 0) {
            *col = (int)i;
            return RB_OK;
        }
    return rb_fail(err, RB_ERR_USAGE, "--margin-asset: %s is not one of the --assets (the collateral must be held)",
                   sym);
}

rb_status rb_resolve_overlay(rb_store *store, const rb_run_spec *spec, const rb_matrix *m, int cash_col,
                             const rb_resolve_inputs *shared, rb_resolved *r, rb_error *err)
{
    const rb_asset_names *names = &spec->funding_series;
    size_t N = m->N, T = m->T, own = shared && shared->series ? 0 : names->n;
    /* the settings, N pointers, then (reading the store itself) a T-bar array per series */
    size_t head = (sizeof(rb_overlay_cfg) + sizeof(double *) - 1) / sizeof(double *) * sizeof(double *);
    char *block = rb_calloc(1, head + N * sizeof(double *) + own * T * sizeof(double));
    if (!block) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    r->owned_overlay = block;
    rb_overlay_cfg *cfg = (rb_overlay_cfg *)block;
    const double **funding = (const double **)(block + head);
    double *next = (double *)(block + head + N * sizeof(double *));
    *cfg = (rb_overlay_cfg){.per_bar = spec->funding_period == 1,
                            .fee = spec->perp_fee_bps / 1e4,
                            .maint = spec->maintenance_margin,
                            .liq_fee = spec->liquidation_fee_bps / 1e4,
                            .reopen = spec->after_liquidation == 1,
                            .max = spec->overlay_max,
                            .tax = spec->perp_tax};
    rb_status rc = margin_column(spec, m, cash_col, &cfg->margin_col, err);
    for (size_t i = 0; rc == RB_OK && i < N; i++) {
        const char *name = rb_asset_name_of(names, m->symbols[i]);
        if (!name) continue;
        if ((int)i == cfg->margin_col) {
            rc = rb_fail(err, RB_ERR_USAGE, "--funding-series: %s is the --margin-asset, which holds no perp",
                         m->symbols[i]);
            break;
        }
        if (own) {
            rc = rb_resolve_dated(store, name, m, next, err);
            funding[i] = next;
            next += T;
        } else {
            rc = shared->series(shared->series_ctx, name, &funding[i], err);
        }
        if (rc != RB_OK) rb_error_prefix(err, "--funding-series: %s=%s", m->symbols[i], name);
        if (rc == RB_OK) rc = check_funding(m->symbols[i], name, m, funding[i], err);
    }
    if (names->n) cfg->funding = funding;
    if (rc == RB_OK) r->overlay = cfg;
    return rc;
}
