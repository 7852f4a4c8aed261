/* benchmark.c - the benchmark of a run (--benchmark SYM|series:NAME, resolve.h): a stored
 * asset's closes or a stored dated series, forward-filled onto the run's bars, as per-bar
 * returns for the benchmark-relative metrics (metric_acc.h, rb_metric_acc_bench). It is
 * read beside the run's matrix, never aligned into it, so the run's bars are the same with
 * a benchmark and without. */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "resolve.h"
#include "series.h"
#include "store.h"

#define SERIES_PREFIX "series:"

/* The benchmark's levels onto m's bars into out (NaN before its first point). */
static rb_status levels(rb_store *store, const char *name, const rb_matrix *m, double *out, rb_error *err)
{
    if (!store)
        return rb_fail(err, RB_ERR_USAGE,
                       "--benchmark %s: no price store to read it from (a run on --csv files takes no benchmark)", name);
    size_t plen = strlen(SERIES_PREFIX);
    rb_status rc;
    if (strncmp(name, SERIES_PREFIX, plen) == 0) {
        rc = rb_series_fill(store, name + plen, m->time, m->T, out, err);
        if (rc == RB_ERR_NOT_FOUND)
            rc = rb_fail(err, RB_ERR_NOT_FOUND, "%s: no series named %s (see 'rebal series')", store->path, name + plen);
    } else {
        rc = rb_resolve_asset_closes(store, name, m, out, err);
        if (rc == RB_ERR_NOT_FOUND)
            rc = rb_fail(err, RB_ERR_NOT_FOUND,
                         "%s: no asset named %s (see 'rebal assets'; a dated series is series:NAME)", store->path, name);
    }
    return rc;
}

rb_status rb_benchmark_returns(rb_store *store, const char *name, const rb_matrix *m, double *out, rb_error *err)
{
    rb_status rc = levels(store, name, m, out, err);
    if (rc != RB_OK) return rb_error_prefix(err, "--benchmark");
    char when[32], first[32] = "";
    if (isnan(out[0])) {
        size_t t = 0;
        while (t < m->T && isnan(out[t])) t++;
        if (t < m->T) rb_time_format(m->time[t], first);
        return rb_fail(err, RB_ERR_DATA,
                       "--benchmark %s: no value on or before the first bar %s%s%s (start the run later with --start)",
                       name, rb_time_format(m->time[0], when), first[0] ? "; its first value is for bar " : "", first);
    }
    for (size_t t = 0; t < m->T; t++)
        if (!(out[t] > 0 && isfinite(out[t])))
            return rb_fail(err, RB_ERR_DATA, "--benchmark %s: the value on %s is %g: it must be a positive number",
                           name, rb_time_format(m->time[t], when), out[t]);
    for (size_t t = m->T - 1; t > 0; t--) out[t] = out[t] / out[t - 1] - 1.0;
    out[0] = 0;
    return RB_OK;
}

rb_status rb_resolve_benchmark(rb_store *store, const rb_run_spec *spec, const rb_matrix *m,
                               const rb_resolve_inputs *shared, rb_resolved *r, rb_error *err)
{
    if (!spec->benchmark) return RB_OK;
    if (shared && shared->bench && shared->bench_name && strcmp(shared->bench_name, spec->benchmark) == 0) {
        r->bench = shared->bench;
        return RB_OK;
    }
    double *b = rb_malloc(m->T * sizeof *b);
    if (!b) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    r->owned_bench = b;
    rb_status rc = rb_benchmark_returns(store, spec->benchmark, m, b, err);
    if (rc == RB_OK) r->bench = b;
    return rc;
}
