/* run.c - rb_run: turns a run spec into a replay. It loads the aligned prices (or borrows
 * them), resolves the spec against them (resolve.c) and runs the reference simulator. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "resolve.h"
#include "run_result.h"
#include "simulate.h"
#include "strategy.h"
#include "alloc.h"

void rb_run_result_free(rb_run_result *r)
{
    if (!r) return;
    rb_sim_result_release(&r->sim);
    if (!r->borrowed) rb_matrix_free(r->m);
    free(r->target);
    for (size_t i = 0; i < 2 * r->ngiven; i++) free(r->given[i]);
    free(r->given);
    free(r);
}

const rb_metrics *rb_run_metrics(const rb_run_result *r) { return &r->sim.metrics; }

rb_status rb_run_describe(rb_run_result *r, const char *const *settings, size_t n, rb_error *err)
{
    if (!r || (n && !settings)) return rb_fail(err, RB_ERR_USAGE, "rb_run_describe: no result or no settings");
    char **given = rb_calloc(2 * n + 1, sizeof *given);
    if (!given) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < 2 * n; i++)
        if (!settings[i] || !(given[i] = rb_strdup(settings[i]))) {
            for (size_t j = 0; j < i; j++) free(given[j]);
            free(given);
            return settings[i] ? rb_fail(err, RB_ERR_NOMEM, "out of memory")
                               : rb_fail(err, RB_ERR_USAGE, "rb_run_describe: setting %zu is NULL", i / 2);
        }
    for (size_t i = 0; i < 2 * r->ngiven; i++) free(r->given[i]);
    free(r->given);
    r->given = given;
    r->ngiven = n;
    return RB_OK;
}

/* Runs spec on res->m (loaded already, or loaded here when m is NULL). */
static rb_status run_on(rb_store *store, rb_matrix *m, const rb_run_spec *spec, unsigned keep, rb_run_result **out,
                        rb_error *err)
{
    const rb_strategy *s;
    rb_status rc = rb_resolve_check(spec, &s, err);
    if (rc != RB_OK) return rc;
    rb_run_result *res = rb_calloc(1, sizeof *res);
    if (!res) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    res->keep = keep;
    res->venues = spec->venues != NULL;
    res->m = m;
    res->borrowed = m != NULL;
    if (!m) rc = rb_resolve_matrix(store, spec, &res->m, err);
    rb_resolved r = {0};
    rb_resolve_room room = {0};
    rb_sim_config c;
    if (rc == RB_OK) rc = rb_resolve(store, spec, res->m, keep, NULL, &room, &r, &c, err);
    if (rc == RB_OK) rc = rb_simulate(res->m, &c, &res->sim, err);
    if (rc == RB_OK) {
        /* The result keeps the targets; the room goes. */
        res->target = rb_malloc(res->m->N * sizeof *res->target);
        if (res->target) memcpy(res->target, r.target, res->m->N * sizeof *res->target);
        else rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    rb_resolved_release(&r);
    rb_resolve_room_free(&room);
    if (rc != RB_OK) {
        rb_run_result_free(res);
        return rc;
    }
    *out = res;
    return RB_OK;
}

rb_status rb_run(rb_store *store, const rb_run_spec *spec, unsigned keep, rb_run_result **out, rb_error *err)
{
    return run_on(store, NULL, spec, keep, out, err);
}

rb_status rb_run_matrix(rb_store *store, const rb_matrix *m, const rb_run_spec *spec, unsigned keep,
                        rb_run_result **out, rb_error *err)
{
    /* The result only reads the matrix; it is not freed (borrowed). */
    return run_on(store, (rb_matrix *)m, spec, keep, out, err);
}
