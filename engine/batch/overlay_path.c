/* overlay_path.c - configurations with a perpetual-futures overlay (--overlay perp) in the
 * batch simulator: the kernel's lanes trade spot, so each of them runs through the reference
 * simulator (simulate.c) on the run's matrix and shared inputs, and its result is that of
 * `rebal run` to the bit. */
#include <stdlib.h>

#include "batch_internal.h"
#include "alloc.h"
#include "error.h"

/* Configuration `index` (spec filled) through the reference simulator, its result delivered. */
static rb_status run_reference(job *jb, uint64_t index, const rb_run_spec *spec, rb_error *err)
{
    rb_resolve_inputs shared;
    rb_resolve_room room = {0};
    rb_resolved res = {0};
    rb_sim_config c;
    rb_sim_result r;
    rb_status rc = batch_shared_inputs(jb, spec, &shared, err);
    if (rc == RB_OK) rc = rb_resolve(NULL, spec, jb->m, 0, &shared, &room, &res, &c, err);
    if (rc == RB_OK) rc = rb_simulate(jb->m, &c, &r, err);
    rb_resolved_release(&res);
    rb_resolve_room_free(&room);
    if (rc != RB_OK) return rc;
    rc = jb->result_fn(jb->ctx, index, &r.metrics, err);
    rb_sim_result_release(&r);
    return rc;
}

rb_status batch_overlay_configs(job *jb, const uint64_t *idx, size_t n, uint64_t **keep, size_t *nkeep,
                                size_t *ndone, uint64_t *bad, rb_error *err)
{
    *nkeep = n;
    *ndone = 0;
    size_t kept = 0;
    for (size_t j = 0; j < n; j++) {
        rb_run_spec spec;
        rb_status rc = jb->spec_fn(jb->ctx, idx[j], &spec, err);
        if (rc == RB_OK && !spec.overlay) {
            if (*keep) (*keep)[kept] = idx[j];
            kept++;
            continue;
        }
        if (!*keep) { /* the first configuration with an overlay: the others kept from here on */
            if (!(*keep = rb_malloc(n * sizeof **keep))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
            for (size_t k = 0; k < kept; k++) (*keep)[k] = idx[k];
        }
        if (rc == RB_OK) rc = run_reference(jb, idx[j], &spec, err);
        int own = rc != RB_ERR_NOMEM && rc != RB_ERR_IO && rc != RB_ERR_DB;
        if (rc != RB_OK && own && jb->opt && jb->opt->failed) {
            rb_error ferr = {0};
            rc = jb->opt->failed(jb->ctx, idx[j], err, &ferr);
            if (rc != RB_OK) *err = ferr;
        }
        if (rc != RB_OK) {
            *bad = own ? idx[j] : UINT64_MAX;
            return rc;
        }
        (*ndone)++;
    }
    *nkeep = kept;
    return RB_OK;
}
