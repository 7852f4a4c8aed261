/* sweep_chunks.c - a sweep's queue cut into chunks of about equal estimated cost
 * (sweep_chunks.h). */
#include "sweep_chunks.h"

#include "spec.h"
#include "sweep.h"

#define ASSET_BAR_SECONDS 3e-9 /* per asset x bar on one thread (sweep_run.c's estimate) */
#define CONFIG_SECONDS 20e-6   /* per configuration: its setup and its results row */

double rb_sweep_config_cost(const rb_sweep *sweep, const rb_matrix *m, uint64_t k)
{
    rb_run_spec spec; /* borrowed from the sweep */
    rb_sweep_fill(sweep, k, &spec);
    int taxed = spec.tax_short > 0 || spec.tax_long > 0;
    return (double)m->T * (double)m->N * ASSET_BAR_SECONDS * (taxed ? 2 : 1) + CONFIG_SECONDS;
}

void rb_chunker_init(rb_chunker *c, const rb_sweep *sweep, const rb_matrix *m, const uint64_t *queue, size_t n,
                     int workers)
{
    *c = (rb_chunker){.sweep = sweep, .m = m, .queue = queue, .n = n, .workers = workers > 0 ? workers : 1};
    for (size_t i = 0; i < n; i++) c->left += rb_sweep_config_cost(sweep, m, queue[i]);
}

size_t rb_chunker_next(rb_chunker *c, size_t *first)
{
    *first = c->next;
    double target = c->left / (2.0 * c->workers), cost = 0;
    size_t count = 0;
    while (c->next < c->n && count < RB_CHUNK_MAX && (count < RB_CHUNK_MIN || cost < target)) {
        cost += rb_sweep_config_cost(c->sweep, c->m, c->queue[c->next]);
        c->next++;
        count++;
    }
    c->left = c->next < c->n ? c->left - cost : 0;
    return count;
}
