/* driver.c - the batch simulator's entry point (batch.h): the configurations cut into
 * blocks, the blocks spread over OpenMP threads, each block set up, run (kernel.c) and its
 * results handed to the caller, failures delivered or recorded. */
#include <omp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "batch_internal.h"
#include "error.h"
#include "alloc.h"
#include "thread.h"

static void record_error(job *jb, const rb_error *err, uint64_t index)
{
#pragma omp critical(rb_batch_error)
    {
        if (!jb->failed) {
            jb->err = *err;
            if (index != UINT64_MAX) rb_error_prefix(&jb->err, "configuration %llu", (unsigned long long)index);
            jb->failed = 1;
        }
    }
}

/* A block of n configurations that memory could not hold, recorded. */
static void record_no_room(job *jb, size_t n)
{
    rb_error e;
    rb_fail(&e, RB_ERR_NOMEM, "out of memory for a block of %zu configurations", n);
    record_error(jb, &e, UINT64_MAX);
}

static void count_done(job *jb, size_t n)
{
#pragma omp atomic
    jb->completed += n;
    if (jb->opt && jb->opt->done) {
#pragma omp atomic
        *jb->opt->done += n;
    }
}

/* Sets up, runs and delivers configurations idx[0..n) as one block. On an error of one
 * configuration *bad gets its position; on any other (a result not taken) *bad = n. */
static rb_status run_configs(job *jb, block *b, const uint64_t *idx, size_t n, size_t *bad, rb_error *err)
{
    b->n = 0;
    *bad = n;
    rb_status rc = RB_OK;
    for (size_t j = 0; j < n && rc == RB_OK; j++) {
        rc = batch_setup_config(jb, b, j, idx[j], err);
        b->n = j + 1;
        if (rc != RB_OK) *bad = j;
    }
    /* A configuration whose arithmetic overflowed fails as the reference fails it (the batch
     * may have gone on past that bar, or met the overflow elsewhere); every configuration is
     * checked before any result is taken: the block runs again without one that failed, and
     * the others must not be delivered twice. */
    if (rc == RB_OK) {
        rc = batch_run_block(jb->m, b, bad, err);
        if (rc != RB_OK && *bad < n && batch_overflowed(b, *bad)) rc = batch_overflow_error(jb->m, batch_cfg(b, *bad), err);
    }
    for (size_t j = 0; rc == RB_OK && j < n; j++)
        if (batch_overflowed(b, j)) {
            *bad = j;
            rc = batch_overflow_error(jb->m, batch_cfg(b, j), err);
        }
    for (size_t j = 0; rc == RB_OK && j < n; j++) {
        rb_metrics mx;
        batch_finish(jb, b, j, &mx);
        rc = jb->result_fn(jb->ctx, batch_cfg(b, j)->index, &mx, err);
    }
    if (rc == RB_OK) count_done(jb, n);
    for (size_t j = 0; j < b->n; j++) batch_config_release(batch_cfg(b, j));
    b->n = 0;
    return rc;
}

/* The block of configurations indices[first, first + n). With opt->failed, a
 * configuration's failure is delivered there and the block runs again without it:
 * configurations are independent, so the others' results are the same to the bit (as for
 * any block size). */
static void do_block(job *jb, block *b, size_t first, size_t n)
{
    const uint64_t *idx = jb->indices + first;
    uint64_t *rest = NULL; /* the block less its failed configurations, once one failed */
    /* Configurations with an overlay run through the reference (overlay_path.c). */
    size_t ndone;
    uint64_t bad_index = UINT64_MAX;
    rb_error oerr = {0};
    rb_status orc = batch_overlay_configs(jb, idx, n, &rest, &n, &ndone, &bad_index, &oerr);
    if (ndone) count_done(jb, ndone);
    if (orc != RB_OK) {
        record_error(jb, &oerr, bad_index);
        n = 0;
    }
    if (rest) idx = rest;
    while (n > 0 && !jb->failed) {
        size_t bad;
        rb_error err = {0}, ferr = {0};
        rb_status rc = run_configs(jb, b, idx, n, &bad, &err);
        if (rc == RB_OK) break;
        int own = bad < n && rc != RB_ERR_NOMEM && rc != RB_ERR_IO && rc != RB_ERR_DB;
        if (!own || !jb->opt || !jb->opt->failed) {
            record_error(jb, &err, bad < n ? idx[bad] : UINT64_MAX);
            break;
        }
        rc = jb->opt->failed(jb->ctx, idx[bad], &err, &ferr);
        if (rc == RB_OK && !rest && !(rest = rb_malloc(n * sizeof *rest)))
            rc = rb_fail(&ferr, RB_ERR_NOMEM, "out of memory");
        if (rc != RB_OK) {
            record_error(jb, &ferr, UINT64_MAX);
            break;
        }
        count_done(jb, 1);
        if (idx != rest) memcpy(rest, idx, bad * sizeof *rest);
        memmove(rest + bad, idx + bad + 1, (n - bad - 1) * sizeof *rest);
        idx = rest;
        n--;
    }
    free(rest);
}

/* How many configurations a thread's next block takes after one of `size` (b: as it ran).
 * RB_BATCH_BLOCK, or twice the last up to RB_BATCH_CAP while the blocks run at most half of
 * their configuration-bars (the others follow a shared state, share.c): a sweep of bands
 * shares more in larger blocks (fewer groups of neighbors cut at a block's edge), and each
 * bar's fixed work is spread over more configurations. Blocks with tax lots grow only while
 * they run at most a quarter: the lots of a block's leaders (only they trade) must stay in
 * the caches, which 384 configurations of which many lead outgrow (benchmark 2 ran 1.3 ns
 * per cell in fixed blocks of 384, 1.02 in blocks of 96, 0.99 growing while at most half
 * ran, 0.985 while at most a quarter). Blocks sharing less stay at RB_BATCH_BLOCK; no block
 * takes more than its share of what is left when threads run side by side (they stay
 * busy to the end); and a block leaves at least RB_BATCH_BLOCK configurations for the
 * last: a block's results go to the caller when it ends, and what the caller does with
 * them (a results store writes them on a thread of its own) overlaps the next block, but
 * not the last one's. Ending the 1,000-band command's sweep with 328 configurations left
 * its store some 2.5 ms of rows to write after the simulation. */
/* A block's size within what is left, `left` configurations on jb's threads: no more than
 * a thread's share when threads run side by side, and leaving at least RB_BATCH_BLOCK for the
 * last block (next_block_size says why). */
static size_t within_what_is_left(const job *jb, size_t size, size_t left)
{
    size_t share = left / (2 * (size_t)jb->threads);
    if (jb->threads > 1 && size > share) size = share > RB_BATCH_BLOCK ? share : RB_BATCH_BLOCK;
    if (left > RB_BATCH_BLOCK && size > left - RB_BATCH_BLOCK) size = left - RB_BATCH_BLOCK;
    return size;
}

static size_t next_block_size(const job *jb, const block *b, size_t size)
{
    if (jb->block_size) return jb->block_size;
    size_t next = RB_BATCH_BLOCK;
    /* the next grows when this one ran at most one in `one_in` of its configuration-bars:
     * a half, or a quarter with tax lots (whose leaders' books must stay in cache) */
    const size_t one_in = b->any_lots ? 4 : 2;
    if (b->ran_of >= size * (jb->m->T - 1) && one_in * b->ran <= b->ran_of) next = 2 * size;
    if (next > RB_BATCH_CAP) next = RB_BATCH_CAP;
    size_t start;
#pragma omp atomic read
    start = jb->next;
    return within_what_is_left(jb, next, start < jb->n ? jb->n - start : 0);
}

/* How many configurations a thread's first block takes, of jb's n on its threads:
 * RB_BATCH_FIRST when the first configuration pays no tax (a sweep's first configurations
 * are usually its narrowest bands, which rebalance on most bars, and the rebalances of a
 * bar are traded 8 lanes a vector: one block of 192 fills the vectors that two of 96 leave
 * part empty, and spreads each bar's fixed work further: the 1,000-band sweep's batch 0.5
 * ms faster, bench/README.md), RB_BATCH_BLOCK with taxes (the leaders' lots must stay in
 * the caches: next_block_size), within a thread's share and leaving a last block as
 * next_block_size does. */
static size_t first_block_size(const job *jb)
{
    rb_run_spec spec;
    rb_error ignored;
    size_t first = RB_BATCH_BLOCK;
    if (jb->n && jb->spec_fn(jb->ctx, jb->indices[0], &spec, &ignored) == RB_OK && spec.tax_short == 0 &&
        spec.tax_long == 0)
        first = RB_BATCH_FIRST;
    first = within_what_is_left(jb, first, jb->n);
    return first > RB_BATCH_BLOCK ? first : RB_BATCH_BLOCK;
}

/* The start of each thread of rb_batch_run's team. OpenMP's runtime creates a process's
 * first team's threads, and Linux may start one on its creator's processor: there it waits
 * for the scheduler's next tick (up to 4 ms on the 2-core development VM) and then takes
 * turns with the master until a later tick moves one of them, some 6 ms of the two
 * threads' start in most 2-thread runs of benchmark 1 (bench/README.md, thirtieth session).
 * So the master records the processor it runs on as it enters the region (*master_cpu holds
 * the one it ran on before the team started until then: the scheduler may have moved it
 * since), each other thread that finds itself on that processor moves to another
 * (rb_thread_leave_cpu), and the master, when some have not settled yet (*settled counts
 * them), yields its processor once, so that one waiting behind it moves now rather than at a
 * tick. A team of more threads than processors shares them anyway: left to the scheduler. */
static void settle_team(int *master_cpu, int *settled)
{
    const int team = omp_get_num_threads();
    if (team < 2 || team > omp_get_num_procs()) return;
    if (omp_get_thread_num() == 0) {
        __atomic_store_n(master_cpu, rb_thread_cpu(), __ATOMIC_RELAXED);
        if (__atomic_load_n(settled, __ATOMIC_RELAXED) < team - 1) sched_yield();
        return;
    }
    rb_thread_leave_cpu(__atomic_load_n(master_cpu, __ATOMIC_RELAXED));
    __atomic_add_fetch(settled, 1, __ATOMIC_RELAXED);
}

rb_status rb_batch_run(rb_store *store, const rb_matrix *m, const uint64_t *indices, size_t n,
                       rb_batch_spec_fn spec_fn, rb_batch_result_fn result_fn, void *ctx,
                       const rb_batch_options *opt, uint64_t *completed, rb_error *err)
{
    job jb = {.store = store,
              .m = m,
              .indices = indices,
              .n = n,
              .spec_fn = spec_fn,
              .result_fn = result_fn,
              .ctx = ctx,
              .opt = opt,
              .block_size = opt && opt->block ? (opt->block < RB_BATCH_CAP ? opt->block : RB_BATCH_CAP) : 0};
    *completed = 0;
    if (opt && opt->largest_block) *opt->largest_block = 0;
    if (m->T < 2) return rb_fail(err, RB_ERR_DATA, "a run needs at least 2 bars (got %zu)", m->T);
    /* What the metrics would refuse, refused before any configuration runs. */
    rb_status rc = rb_metrics_check_periods(m->time, m->T, m->periods_per_year, m->periods_inferred,
                                            m->periods_source, err);
    if (rc != RB_OK) return rc;
    rb_sim_exec_note(m, RB_EXEC_NEXT_OPEN, jb.next_open_note, sizeof jb.next_open_note);
    jb.bonus_target = rb_malloc(m->N * sizeof *jb.bonus_target);
    if (!jb.bonus_target) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (opt && opt->bonus_target) {
        memcpy(jb.bonus_target, opt->bonus_target, m->N * sizeof *jb.bonus_target);
        jb.bonus = opt->bonus;
        jb.bonus_of = opt->bonus_of;
        jb.has_bonus = 1;
    }
    size_t first_size = jb.block_size ? jb.block_size : RB_BATCH_BLOCK, nblocks = (n + first_size - 1) / first_size;
    int threads = opt && opt->threads > 0 ? opt->threads : omp_get_max_threads();
    if ((size_t)threads > nblocks) threads = nblocks ? (int)nblocks : 1;
    jb.threads = threads;
    size_t first_block = jb.block_size ? jb.block_size : first_block_size(&jb);
    /* the most configurations a block takes in this run: what a thread's block has room for */
    size_t most = jb.block_size ? jb.block_size : RB_BATCH_CAP;
    if (most > n) most = n;

    int master_cpu = rb_thread_cpu(), settled = 0;
#pragma omp parallel num_threads(threads)
    {
        settle_team(&master_cpu, &settled);
        block b;
        if (!batch_block_alloc(&b, m->N, m->T, most, first_block)) record_no_room(&jb, most);
        /* Blocks are independent: any thread may take any configurations, in blocks of any
         * size, without changing a result. Each takes the next ones as it is free. */
        size_t size = first_block, largest = 0;
        while (!jb.failed && !(opt && opt->stop && *opt->stop)) {
            size_t first;
#pragma omp atomic capture
            {
                first = jb.next;
                jb.next += size;
            }
            if (first >= n) break;
            size_t took = n - first < size ? n - first : size;
            if (!batch_block_room(&b, took)) {
                record_no_room(&jb, took);
                break;
            }
            do_block(&jb, &b, first, took);
            largest = took > largest ? took : largest;
            size = next_block_size(&jb, &b, size);
        }
        if (opt && opt->largest_block) {
#pragma omp critical(rb_batch_largest)
            if (largest > *opt->largest_block) *opt->largest_block = largest;
        }
        batch_block_free(&b);
    }
    free(jb.bonus_target);
    batch_inputs_free(jb.inputs);
    *completed = jb.completed;
    if (jb.failed) {
        if (err) *err = jb.err;
        return jb.err.code;
    }
    return RB_OK;
}
