/* resolve_series.c - the stored series a run reads, laid onto its bars (resolve.h): the gas
 * per transaction (--gas-series) and each pool's depth (--amm-depth-series). A name is a
 * series of the store (data/series.h), or, for stores made before series existed (where a
 * gas price was imported as an asset), an asset's closes. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "resolve.h"
#include "series.h"
#include "store.h"

rb_status rb_resolve_asset_closes(rb_store *store, const char *name, const rb_matrix *m, double *out, rb_error *err)
{
    int64_t id;
    rb_status rc = rb_store_asset_id(store, name, &id, err);
    if (rc != RB_OK) return rc;
    sqlite3_stmt *st;
    rc = rb_store_prepare(store, "SELECT ts, close FROM bars WHERE asset_id = ?1 AND ts <= ?2 ORDER BY ts", &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, m->time[m->T - 1]);
    size_t t = 0;
    double current = NAN;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        rb_time ts = sqlite3_column_int64(st, 0);
        while (t < m->T && m->time[t] < ts) out[t++] = current;
        current = sqlite3_column_double(st, 1);
    }
    while (t < m->T) out[t++] = current;
    if (step != SQLITE_DONE) rc = rb_store_sql_error(store, err, "reading a series");
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_resolve_dated(rb_store *store, const char *name, const rb_matrix *m, double *out, rb_error *err)
{
    if (!store) return rb_fail(err, RB_ERR_USAGE, "series %s: no price store to read it from", name);
    rb_status rc = rb_series_fill(store, name, m->time, m->T, out, err);
    if (rc != RB_ERR_NOT_FOUND) return rc;
    rc = rb_resolve_asset_closes(store, name, m, out, err);
    if (rc == RB_ERR_NOT_FOUND)
        rc = rb_fail(err, RB_ERR_NOT_FOUND, "%s: no series or asset named %s (see 'rebal series')", store->path, name);
    return rc;
}

/* The gas per transaction at each bar: a stored series forward-filled onto the run's bar
 * times. The series must have a value at or before the first bar. */
rb_status rb_resolve_gas_series(rb_store *store, const char *name, const rb_matrix *m, double *gas, rb_error *err)
{
    rb_status rc = rb_resolve_dated(store, name, m, gas, err);
    if (rc != RB_OK) return rb_error_prefix(err, "--gas-series");
    if (isnan(gas[0])) {
        char when[32];
        rc = rb_fail(err, RB_ERR_DATA, "--gas-series: %s has no value on or before the first bar %s", name,
                     rb_time_format(m->time[0], when));
    }
    return rc;
}

/* Every bar of asset `sym`'s depth series holds a positive finite depth: refused before the
 * series' first date (naming the series, the asset and the first bar), and where it is not
 * a positive number. */
rb_status rb_check_depth_series(const char *what, const char *sym, const char *name, const rb_matrix *m,
                                const double *d, rb_error *err)
{
    char when[32], first[32] = "";
    if (isnan(d[0])) {
        size_t t = 0;
        while (t < m->T && isnan(d[t])) t++;
        if (t < m->T) rb_time_format(m->time[t], first);
        return rb_fail(err, RB_ERR_DATA,
                       "%s: %s=%s: the series has no value on or before the first bar %s%s%s "
                       "(start the run later with --start, or extend the series)",
                       what, sym, name, rb_time_format(m->time[0], when), first[0] ? "; its first value is for bar " : "",
                       first);
    }
    for (size_t t = 0; t < m->T; t++)
        if (!(d[t] > 0 && d[t] <= DBL_MAX))
            return rb_fail(err, RB_ERR_DATA,
                           "%s: %s=%s: the depth on %s is %g: a pool's depth must be a positive "
                           "finite number",
                           what, sym, name, rb_time_format(m->time[t], when), d[t]);
    return RB_OK;
}

rb_status rb_resolve_depth_series(rb_store *store, const rb_run_spec *spec, const rb_matrix *m,
                                  const rb_resolve_inputs *shared, rb_resolved *r, rb_error *err)
{
    const rb_asset_names *names = &spec->amm_depth_series;
    if (names->n == 0) return RB_OK;
    size_t N = m->N, T = m->T, own = shared && shared->series ? 0 : names->n;
    /* N pointers, then (reading the store itself) a T-bar array per named asset. */
    char *block = rb_calloc(1, N * sizeof(double *) + own * T * sizeof(double));
    if (!block) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    r->owned_depth = block;
    const double **depth = (const double **)block;
    double *next = (double *)(block + N * sizeof(double *));
    rb_status rc = RB_OK;
    for (size_t i = 0; rc == RB_OK && i < N; i++) {
        const char *name = rb_asset_name_of(names, m->symbols[i]);
        if (!name) continue;
        if (own) {
            rc = rb_resolve_dated(store, name, m, next, err);
            depth[i] = next;
            next += T;
        } else {
            rc = shared->series(shared->series_ctx, name, &depth[i], err);
        }
        if (rc != RB_OK) rb_error_prefix(err, "--amm-depth-series: %s=%s", m->symbols[i], name);
        if (rc == RB_OK) rc = rb_check_depth_series("--amm-depth-series", m->symbols[i], name, m, depth[i], err);
        /* The pool is there from the first bar: every check of whether the asset's costs
         * are proportional sees it (the order's depth is the series' on its bar). */
        if (rc == RB_OK) r->costs[i].amm_depth = depth[i][0];
    }
    if (rc == RB_OK) r->depth = depth;
    return rc;
}
