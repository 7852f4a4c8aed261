/* inputs.c - the run-wide cache of shared inputs (batch_internal.h: cached): computed once
 * per dataset on first use, under a lock, and read freely afterwards. */
#include <stdlib.h>
#include <string.h>

#include "batch_internal.h"
#include "costs.h"
#include "error.h"
#include "strategy.h"

/* The cache entry for (kind, window, value), computed on first use. */
static rb_status cache_get(job *jb, int kind, int window, double value, const cached **out, rb_error *err)
{
    rb_status rc = RB_OK;
    const cached *found = NULL;
#pragma omp critical(rb_batch_inputs)
    {
        for (cached *e = jb->inputs; e && !found; e = e->next)
            if (e->kind == kind && (kind == CACHED_ROLLING   ? e->window == window
                                    : kind == CACHED_GAS_FLAT ? e->value == value
                                                              : 1))
                found = e;
        if (!found) {
            const rb_matrix *m = jb->m;
            size_t cells = m->T * m->N;
            cached *e = calloc(1, sizeof *e);
            if (e) {
                e->kind = kind;
                e->window = window;
                e->value = value;
                e->a = malloc((kind == CACHED_GAS_FLAT ? m->T : cells) * sizeof *e->a);
                e->b = kind == CACHED_ROLLING ? malloc(cells * sizeof *e->b) : NULL;
            }
            if (!e || !e->a || (kind == CACHED_ROLLING && !e->b)) {
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
            } else if (kind == CACHED_GAS_FLAT) {
                for (size_t t = 0; t < m->T; t++) e->a[t] = value;
            } else if (kind == CACHED_VOL_TO_DATE) {
                rb_vol_to_date(m, e->a);
            } else {
                rc = rb_impact_inputs(m, window, e->a, e->b, err);
            }
            if (rc == RB_OK) {
                e->next = jb->inputs;
                jb->inputs = e;
                found = e;
            } else if (e) {
                free(e->a), free(e->b), free(e);
            }
        }
    }
    if (rc == RB_OK) *out = found;
    return rc;
}

void batch_inputs_free(cached *e)
{
    while (e) {
        cached *next = e->next;
        free(e->a), free(e->b), free(e);
        e = next;
    }
}

rb_status batch_shared_inputs(job *jb, const rb_run_spec *spec, rb_resolve_inputs *in, rb_error *err)
{
    memset(in, 0, sizeof *in);
    const cached *e;
    rb_status rc = RB_OK;
    const rb_strategy *s = rb_strategy_find(spec->strategy); /* NULL: rb_resolve refuses it */
    unsigned needs = s ? s->needs : 0;
    if (spec->impact.all > 0 || spec->impact.n > 0) {
        rc = cache_get(jb, CACHED_ROLLING, spec->impact_window, 0, &e, err);
        if (rc == RB_OK) *in = (rb_resolve_inputs){.impact_window = spec->impact_window, .sigma = e->a, .adv = e->b};
    }
    if (rc == RB_OK && (spec->targets == 1 || (needs & RB_NEEDS_VOL))) {
        rc = cache_get(jb, CACHED_ROLLING, spec->sp.vol_window, 0, &e, err);
        if (rc == RB_OK) {
            in->vol_window = spec->sp.vol_window;
            in->vol = e->a;
        } else if (spec->targets != 1) {
            rb_error_prefix(err, "%s: --vol-window %d", s->info.name, spec->sp.vol_window);
        }
    }
    if (rc == RB_OK && (needs & RB_NEEDS_VOL_TO_DATE)) {
        rc = cache_get(jb, CACHED_VOL_TO_DATE, 0, 0, &e, err);
        if (rc == RB_OK) in->vol_to_date = e->a;
    }
    if (rc == RB_OK && !spec->gas_series) {
        rc = cache_get(jb, CACHED_GAS_FLAT, 0, spec->gas, &e, err);
        if (rc == RB_OK) {
            in->gas_value = spec->gas;
            in->gas_flat = e->a;
        }
    }
    return rc;
}
