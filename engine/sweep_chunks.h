/* sweep_chunks.h - a sweep's queue cut into chunks of about equal estimated cost, for
 * running them on several processes (the CLI's MPI build): the cut depends only on the queue
 * and the number of workers, never on timing, so the chunks are the same on every run;
 * which worker runs which chunk is decided as they ask (a worker that finishes early takes
 * the next). Internal. */
#ifndef RB_SWEEP_CHUNKS_H
#define RB_SWEEP_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

#include "rebal.h"

/* The estimated cost of configuration k in seconds on one thread, the model of the sweep's
 * time estimate (sweep_run.c): 3 ns per asset x bar and 20 us per configuration (its setup
 * and results row), the asset x bar part doubled for a taxed configuration (its tax-lot
 * ledger is kept on every trade). A longer calendar costs more through its bars. */
double rb_sweep_config_cost(const rb_sweep *sweep, const rb_matrix *m, uint64_t k);

/* Chunks of at least RB_CHUNK_MIN configurations (where that many are left) and at most
 * RB_CHUNK_MAX (the size of a results message). Between, a chunk's estimated cost is the
 * cost left over twice the workers ("guided"): large chunks first, smaller ones at the end
 * so the workers finish together. */
#define RB_CHUNK_MIN 192
#define RB_CHUNK_MAX 6144

typedef struct rb_chunker {
    const rb_sweep *sweep;
    const rb_matrix *m;
    const uint64_t *queue;
    size_t n, next; /* queue[next..n) not handed out yet */
    double left;    /* their estimated cost */
    int workers;
} rb_chunker;

/* Sums the queue's cost (one pass over it). */
void rb_chunker_init(rb_chunker *c, const rb_sweep *sweep, const rb_matrix *m, const uint64_t *queue, size_t n,
                     int workers);

/* The next chunk, queue[*first .. *first + returned): 0 when every configuration is handed
 * out. */
size_t rb_chunker_next(rb_chunker *c, size_t *first);

#endif /* RB_SWEEP_CHUNKS_H */
