/* sweep_side.c - the work beside a sweep's preparation (sweep_side.h). */
#include "sweep_side.h"

#include <string.h>

#include "dataset_hash.h"
#include "heap_ahead.h"
#include "metrics.h"
#include "store.h"
#include "sweep.h"
#include "thread.h"

static void side_bonus(side_job *job)
{
    const rb_matrix *m = job->m;
    rb_metric_input in = {
        .T = m->T, .close = m->close, .growth = m->growth, .N = m->N, .target = job->target,
        .periods_per_year = m->periods_per_year};
    if (job->target) job->bonus = rb_metrics_bonus(&in);
}

/* Sets *flag to value under the job's lock, and wakes whoever waits on one. Stored
 * atomically: the job's own thread reads `given` without the lock (side_main). */
static void side_say(side_job *job, int *flag, int value)
{
    pthread_mutex_lock(&job->mu);
    __atomic_store_n(flag, value, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&job->cv);
    pthread_mutex_unlock(&job->mu);
}

/* Waits under the job's lock until *flag is not 0; returns it. */
static int side_wait(side_job *job, const int *flag)
{
    pthread_mutex_lock(&job->mu);
    while (!*flag) pthread_cond_wait(&job->cv, &job->mu);
    int value = *flag;
    pthread_mutex_unlock(&job->mu);
    return value;
}

static void side_open(side_job *job, int ahead)
{
    job->open_rc = rb_results_open(job->results_path, &job->results, &job->open_err);
    /* the writer's thread started here, beside the caller's work: rb_results_begin wakes it */
    if (ahead && job->open_rc == RB_OK) rb_results_prestart(job->results);
}

static void *side_main(void *arg)
{
    side_job *job = arg;
    if (job->results_path) {
        side_open(job, 1);
        side_say(job, &job->opened, 1);
    }
    if (job->ahead.sweep) {
        job->repeated = rb_sweep_list_ids(job->ahead.sweep, job->ahead.ids, job->ahead.sorted);
        side_say(job, &job->listed, 1);
    }
    /* The heap ahead (heap_ahead.h): as far as it gets while the main thread still prepares,
     * then the rest of it before the bonus, which the batch asks for once a block ends
     * (the legacy hash, which the main thread may wait for before the batch, comes first). */
    rb_heap_ahead(job->ahead.heap, &job->given);
    if (side_wait(job, &job->given) < 0) return NULL;
    if (job->want_legacy) rb_dataset_hash_legacy(job->m, job->legacy);
    side_say(job, &job->legacy_done, 1);
    rb_heap_ahead(job->ahead.heap, NULL);
    side_bonus(job);
    return NULL;
}

void sweep_side_start(side_job *job, const char *results, const side_ahead *ahead)
{
    memset(job, 0, sizeof *job);
    if (ahead) job->ahead = *ahead;
    if (!job->ahead.ids || !job->ahead.sorted) job->ahead.sweep = NULL;
    int exists = 0;
    int content = results ? rb_file_has_content(results, &exists) : -1;
    job->want_legacy = content > 0;
    job->results_path = results && content == 0 ? results : NULL;
    job->threaded = pthread_mutex_init(&job->mu, NULL) == 0;
    if (job->threaded && pthread_cond_init(&job->cv, NULL) != 0) {
        pthread_mutex_destroy(&job->mu);
        job->threaded = 0;
    }
    if (job->threaded && rb_thread_start_beside(&job->thread, side_main, job) != 0) {
        pthread_cond_destroy(&job->cv);
        pthread_mutex_destroy(&job->mu);
        job->threaded = 0;
    }
}

void sweep_side_give(side_job *job, const rb_matrix *m, const rb_run_spec *first)
{
    if (m) {
        job->m = m;
        job->target = first->weights && !first->target_table && first->targets == 0 ? first->weights : NULL;
    }
    if (job->threaded) {
        side_say(job, &job->given, m ? 1 : -1);
        return;
    }
    job->given = m ? 1 : -1;
    if (!m) return;
    if (job->want_legacy) rb_dataset_hash_legacy(m, job->legacy); /* no thread to spare: here and now */
    side_bonus(job);
}

rb_status sweep_side_results(side_job *job, rb_results **out, rb_error *err)
{
    *out = NULL;
    if (!job->results_path) return RB_OK;
    if (job->threaded) side_wait(job, &job->opened);
    else side_open(job, 0);
    job->results_path = NULL; /* handed over: the caller frees it */
    *out = job->results;
    job->results = NULL;
    if (job->open_rc != RB_OK && err) *err = job->open_err;
    return job->open_rc;
}

int sweep_side_ids(side_job *job, int64_t *repeated)
{
    if (!job->threaded || !job->ahead.sweep) return 0; /* without a thread: listed where asked for */
    side_wait(job, &job->listed);
    *repeated = job->repeated;
    return 1;
}

const char *sweep_side_legacy(side_job *job)
{
    if (!job->want_legacy) return NULL;
    if (job->threaded) side_wait(job, &job->legacy_done);
    return job->legacy;
}

void sweep_side_join(side_job *job)
{
    if (!job->given) sweep_side_give(job, NULL, NULL);
    if (job->threaded) {
        pthread_join(job->thread, NULL);
        pthread_cond_destroy(&job->cv);
        pthread_mutex_destroy(&job->mu);
        job->threaded = 0;
    }
    rb_results_free(job->results);
    job->results = NULL;
}
