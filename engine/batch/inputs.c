/* inputs.c - the run-wide cache of shared inputs (batch_internal.h: cached): computed once
 * per dataset on first use, under a lock, and read freely afterwards. */
#include <stdlib.h>
#include <string.h>

#include "batch_internal.h"
#include "costs.h"
#include "error.h"
#include "strategy.h"
#include "alloc.h"

/* Whether entry e is the input (kind, window, value, name). */
static int is_entry(const cached *e, int kind, int window, double value, const char *name)
{
    if (e->kind != kind) return 0;
    switch (kind) {
    case CACHED_ROLLING: return e->window == window;
    case CACHED_GAS_FLAT:
    case CACHED_EWMA: return e->value == value;
    case CACHED_GAS_SERIES:
    case CACHED_SERIES:
    case CACHED_BENCH: return strcmp(e->name, name) == 0;
    default: return 1;
    }
}

/* Computes entry e's arrays (allocated) over jb's matrix. */
static rb_status compute(job *jb, cached *e, rb_error *err)
{
    const rb_matrix *m = jb->m;
    rb_status rc = RB_OK;
    switch (e->kind) {
    case CACHED_GAS_FLAT:
        for (size_t t = 0; t < m->T; t++) e->a[t] = e->value;
        return RB_OK;
    case CACHED_GAS_SERIES:
        /* The price store is one SQLite connection: one reader at a time. */
#pragma omp critical(rb_batch_store)
        rc = rb_resolve_gas_series(jb->store, e->name, m, e->a, err);
        return rc;
    case CACHED_SERIES:
#pragma omp critical(rb_batch_store)
        rc = rb_resolve_dated(jb->store, e->name, m, e->a, err);
        return rc;
    case CACHED_BENCH:
#pragma omp critical(rb_batch_store)
        rc = rb_benchmark_returns(jb->store, e->name, m, e->a, err);
        return rc;
    case CACHED_VOL_TO_DATE:
        rb_vol_to_date(m, e->a);
        return RB_OK;
    case CACHED_EWMA:
        return rb_vol_ewma(m, e->value, e->a, err);
    default:
        return rb_impact_inputs(m, e->window, e->a, e->b, err);
    }
}

static void entry_free(cached *e)
{
    free(e->a), free(e->b), free(e->name), free(e);
}

/* A new entry for (kind, window, value, name), computed. */
static rb_status entry_new(job *jb, int kind, int window, double value, const char *name, cached **out,
                           rb_error *err)
{
    const rb_matrix *m = jb->m;
    int per_bar = kind == CACHED_GAS_FLAT || kind == CACHED_GAS_SERIES || kind == CACHED_SERIES || kind == CACHED_BENCH;
    size_t cells = m->T * m->N, bars = per_bar ? m->T : cells;
    cached *e = rb_calloc(1, sizeof *e);
    if (e) {
        *e = (cached){.kind = kind, .window = window, .value = value};
        e->a = rb_malloc(bars * sizeof *e->a);
        e->b = kind == CACHED_ROLLING ? rb_malloc(cells * sizeof *e->b) : NULL;
        e->name = name ? rb_malloc(strlen(name) + 1) : NULL;
        if (e->name) strcpy(e->name, name);
    }
    rb_status rc = RB_OK;
    if (!e || !e->a || (kind == CACHED_ROLLING && !e->b) || (name && !e->name))
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    else
        rc = compute(jb, e, err);
    if (rc == RB_OK) *out = e;
    else if (e) entry_free(e);
    return rc;
}

/* The cache entry for (kind, window, value, name), computed on first use. */
static rb_status cache_get(job *jb, int kind, int window, double value, const char *name, const cached **out,
                           rb_error *err)
{
    rb_status rc = RB_OK;
    const cached *found = NULL;
#pragma omp critical(rb_batch_inputs)
    {
        for (cached *e = jb->inputs; e && !found; e = e->next)
            if (is_entry(e, kind, window, value, name)) found = e;
        cached *e;
        if (!found && (rc = entry_new(jb, kind, window, value, name, &e, err)) == RB_OK) {
            e->next = jb->inputs;
            jb->inputs = e;
            found = e;
        }
    }
    if (rc == RB_OK) *out = found;
    return rc;
}

void batch_inputs_free(cached *e)
{
    while (e) {
        cached *next = e->next;
        entry_free(e);
        e = next;
    }
}

/* rb_resolve_inputs.series: a stored series from the cache, read once per run. */
static rb_status cached_series(void *ctx, const char *name, const double **out, rb_error *err)
{
    const cached *e;
    rb_status rc = cache_get(ctx, CACHED_SERIES, 0, 0, name, &e, err);
    if (rc == RB_OK) *out = e->a;
    return rc;
}

rb_status batch_shared_inputs(job *jb, const rb_run_spec *spec, rb_resolve_inputs *in, rb_error *err)
{
    memset(in, 0, sizeof *in);
    const cached *e;
    rb_status rc = RB_OK;
    const rb_strategy *s = rb_strategy_find(spec->strategy); /* NULL: rb_resolve refuses it */
    unsigned needs = s ? s->needs : 0;
    if (spec->impact.all > 0 || spec->impact.n > 0) {
        rc = cache_get(jb, CACHED_ROLLING, spec->impact_window, 0, NULL, &e, err);
        if (rc == RB_OK) *in = (rb_resolve_inputs){.impact_window = spec->impact_window, .sigma = e->a, .adv = e->b};
    }
    if (rc == RB_OK && (spec->targets == 1 || (needs & RB_NEEDS_VOL))) {
        double lambda = spec->sp.vol_lambda;
        rc = lambda > 0 ? cache_get(jb, CACHED_EWMA, 0, lambda, NULL, &e, err)
                        : cache_get(jb, CACHED_ROLLING, spec->sp.vol_window, 0, NULL, &e, err);
        if (rc == RB_OK) {
            in->vol_window = spec->sp.vol_window;
            in->vol_lambda = lambda;
            in->vol = e->a;
        } else if (spec->targets != 1) {
            char model[48];
            rb_vol_model_text(&spec->sp, model, sizeof model);
            rb_error_prefix(err, "%s: %s", s->info.name, model);
        }
    }
    if (rc == RB_OK && (needs & RB_NEEDS_VOL_TO_DATE)) {
        rc = cache_get(jb, CACHED_VOL_TO_DATE, 0, 0, NULL, &e, err);
        if (rc == RB_OK) in->vol_to_date = e->a;
    }
    if (rc == RB_OK && spec->gas_series) {
        rc = cache_get(jb, CACHED_GAS_SERIES, 0, 0, spec->gas_series, &e, err);
        if (rc == RB_OK) {
            in->gas_series = spec->gas_series;
            in->gas = e->a;
        }
    } else if (rc == RB_OK) {
        rc = cache_get(jb, CACHED_GAS_FLAT, 0, spec->gas, NULL, &e, err);
        if (rc == RB_OK) {
            in->gas_value = spec->gas;
            in->gas_flat = e->a;
        }
    }
    if (rc == RB_OK && spec->benchmark) {
        rc = cache_get(jb, CACHED_BENCH, 0, 0, spec->benchmark, &e, err);
        if (rc == RB_OK) {
            in->bench_name = spec->benchmark;
            in->bench = e->a;
        }
    }
    in->series = cached_series;
    in->series_ctx = jb;
    return rc;
}
