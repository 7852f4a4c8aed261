/* writer.c - recording sweeps (writer.h): the store opened and closed, a sweep begun and
 * ended (its start in the store: writer_sweep.c), the queue of rows and the writer thread
 * that batches them into transactions. */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "date.h"
#include "error.h"
#include "schema.h"
#include "store.h"
#include "alloc.h"
#include "thread.h"
#include "writer_internal.h"

/* ---------------------------------------------------------------- opening */

/* Frees a list of rows (rb_results.spent). */
static void free_rows(queued_row *q)
{
    while (q) {
        queued_row *next = q->next;
        free(q);
        q = next;
    }
}

/* How long join_writer polls before it sleeps: the writer's last step, the fdatasync of a
 * new store, takes 1-2 ms on the development VM. */
#define JOIN_POLL_NS 5000000L

/* Joins the writer's thread: waits until writer_main has returned (r->ended), or for its
 * exit. When another processor runs it (r->spin: rb_thread_may_poll), polls r->ended first,
 * for up to JOIN_POLL_NS, and once it is set detaches the thread rather than waiting for
 * its exit: writer_main's last access to r is that flag, and glibc's exit of a thread gives
 * back its stack (MADV_DONTNEED, a TLB flush on every processor of the process) before a
 * join can return. Where the 1,000-band command ends waiting for the writer's sync, a caller asleep
 * in pthread_join returned 0.25-0.27 ms after the sync on the 2-core VM, one polling the
 * join 0.15-0.19, one polling the flag some 0.02 (clock marks). The exit goes on beside the
 * caller. */
static void join_writer(rb_results *r)
{
    if (!r->thread_live) return;
    if (r->spin && rb_thread_poll_set(&r->ended, JOIN_POLL_NS)) pthread_detach(r->thread);
    else pthread_join(r->thread, NULL);
    r->thread_live = 0;
    r->ended = 0;
}

/* Lets a parked writer thread (rb_results_prestart) go (quit) or work (go), under mu. */
static void unpark(rb_results *r, int *flag)
{
    pthread_mutex_lock(&r->mu);
    *flag = 1;
    pthread_cond_broadcast(&r->said_cv);
    pthread_mutex_unlock(&r->mu);
    r->parked = 0;
}

static void results_close(rb_results *r)
{
    if (r->parked) { /* never given a sweep */
        unpark(r, &r->quit);
        pthread_join(r->thread, NULL);
    }
    if (r->thread_live && r->whole) {
        /* A fresh store whose WAL the writer copied whole into the file, which it syncs now:
         * the close leaves WAL mode meanwhile (rb_rconn.settled), where it waited for the
         * sync before. The switch writes the file's first page and removes the WAL, both
         * after the copy; the data the sync makes durable was all written before it began,
         * as when the switch followed it. A sync that failed is tried once more. */
        r->conn.settled = 1;
        rb_results_schema_close(&r->conn);
        join_writer(r);
        if (r->synced < 0) (void)fdatasync(r->sync_fd);
    } else {
        join_writer(r);
        r->conn.settled = r->synced;
        rb_results_schema_close(&r->conn);
    }
    free_rows(r->spent);
    /* after the connection: closing a descriptor of the file drops every POSIX lock this
     * process holds on it, SQLite's included */
    if (r->sync_fd >= 0) close(r->sync_fd);
    free(r->spec_path);
    pthread_cond_destroy(&r->said_cv);
    pthread_cond_destroy(&r->not_full);
    pthread_cond_destroy(&r->not_empty);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

rb_status rb_results_open(const char *path, rb_results **out, rb_error *err)
{
    if (!out) return rb_fail(err, RB_ERR_USAGE, "rb_results_open: no output pointer");
    rb_results *r = rb_calloc(1, sizeof *r);
    if (!r) return rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", path ? path : "a results store");
    /* Deadlines of the writer are on the monotonic clock: a wall-clock step must not stall
     * or hurry the commits. */
    pthread_condattr_t attr;
    int ok = pthread_condattr_init(&attr) == 0;
    if (ok) {
        ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 && pthread_mutex_init(&r->mu, NULL) == 0;
        if (ok && pthread_cond_init(&r->not_empty, &attr) != 0) {
            pthread_mutex_destroy(&r->mu);
            ok = 0;
        }
        if (ok && pthread_cond_init(&r->not_full, &attr) != 0) {
            pthread_cond_destroy(&r->not_empty);
            pthread_mutex_destroy(&r->mu);
            ok = 0;
        }
        if (ok && pthread_cond_init(&r->said_cv, &attr) != 0) {
            pthread_cond_destroy(&r->not_full);
            pthread_cond_destroy(&r->not_empty);
            pthread_mutex_destroy(&r->mu);
            ok = 0;
        }
        pthread_condattr_destroy(&attr);
    }
    if (!ok) {
        free(r);
        return rb_fail(err, RB_ERR_NOMEM, "%s: cannot create the writer's lock", path ? path : "results store");
    }
    r->metric = rb_metric_table(&r->nmetric);
    r->sync_fd = -1;
    rb_status rc = rb_results_schema_open(path, 0, &r->conn, err);
    if (rc != RB_OK) {
        results_close(r);
        return rc;
    }
    *out = r;
    return RB_OK;
}

/* ---------------------------------------------------------------- sweeps */

static void *writer_main(void *arg);

/* A thread started ahead (rb_results_prestart): waits for its sweep, then writes it. */
static void *writer_parked(void *arg)
{
    rb_results *r = arg;
    pthread_mutex_lock(&r->mu);
    while (!r->go && !r->quit) pthread_cond_wait(&r->said_cv, &r->mu);
    int go = r->go;
    pthread_mutex_unlock(&r->mu);
    return go ? writer_main(r) : NULL;
}

void rb_results_prestart(rb_results *r)
{
    if (r->parked || r->thread_live) return;
    r->go = r->quit = 0;
    /* on any processor for now: rb_results_begin moves it beside its own caller */
    r->parked = rb_thread_start_away(&r->thread, writer_parked, r, -1) == 0;
}

/* The parked thread given the sweep rb_results_begin has set up, beside the caller (as
 * rb_thread_start_beside would have started it). */
static int wake_parked(rb_results *r)
{
    rb_thread_move_beside(r->thread);
    unpark(r, &r->go);
    return 0;
}

void rb_results_defer_start(rb_results *r) { r->defer = 1; }

void rb_results_settle(rb_results *r) { r->settle = 1; }

void rb_results_brief(rb_results *r) { r->brief = 1; }

static void clear_sweep(rb_results *r)
{
    sqlite3_finalize(r->insert);
    r->insert = NULL;
    sqlite3_finalize(r->finish);
    r->finish = NULL;
    for (size_t i = 0; i < r->ncols; i++) free(r->keys[i]);
    free(r->keys);
    free(r->index);
    free(r->by_column);
    r->keys = NULL;
    r->index = r->by_column = NULL;
    r->ncols = 0;
    r->active = 0;
    r->sweep_id = 0;
    r->failed_before = 0;
    rb_wr_clear_later(&r->later);
    r->deferred = 0;
}

rb_status rb_results_begin(rb_results *r, const char *spec, const char *dataset_hash, uint64_t configurations,
                           const char *const *keys, size_t nkeys, int resume, int *resumed, int64_t **done,
                           size_t *ndone, rb_error *err)
{
    if (!r || !spec) return rb_fail(err, RB_ERR_USAGE, "rb_results_begin: no results store or no spec");
    if (r->active)
        return rb_fail(err, RB_ERR_USAGE, "%s: sweep %lld is still being recorded (rb_results_end first)",
                       r->conn.path, (long long)r->sweep_id);
    if (nkeys && !keys) return rb_fail(err, RB_ERR_USAGE, "rb_results_begin: %zu keys but no key array", nkeys);
    if (configurations > (uint64_t)INT64_MAX)
        return rb_fail(err, RB_ERR_USAGE, "%s: %llu configurations is more than a sweep can hold", r->conn.path,
                       (unsigned long long)configurations);

    /* the last sweep's writer, settling its store, is done first: then this one's commits
     * are under NORMAL again */
    join_writer(r);
    r->whole = 0;
    rb_status rc = RB_OK;
    if (r->synced) {
        rc = rb_rsql_exec(&r->conn, "PRAGMA synchronous = NORMAL", "setting synchronous", err);
        if (r->sync_fd >= 0) close(r->sync_fd);
        r->sync_fd = -1;
        r->synced = 0;
        if (rc != RB_OK) return rc;
    }
    /* brief or not, this sweep: a store that left WAL mode for a brief one goes back to it */
    r->brief_sweep = r->brief;
    r->brief = 0;
    if (!r->brief_sweep && (rc = rb_results_schema_unbrief(&r->conn, err)) != RB_OK) return rc;
    char(*names)[RB_RESULTS_KEY_MAX] = nkeys ? rb_calloc(nkeys, sizeof *names) : NULL;
    rc = nkeys && !names ? rb_fail(err, RB_ERR_NOMEM, "out of memory starting a sweep")
                         : rb_wr_set_keys(r, keys, nkeys, names, err);
    int64_t *ids = NULL;
    size_t nids = 0;
    int found = 0;
    /* A new store holds no sweep to resume: what the caller waits for is only the keys'
     * check, and the writer records the rest before its first row. */
    r->deferred = r->defer && r->conn.version == 0;
    if (rc == RB_OK && r->deferred) {
        rc = rb_wr_keep_later(r, spec, dataset_hash, configurations, names, err);
        names = NULL; /* the writer's now (rb_wr_clear_later frees it) */
    } else if (rc == RB_OK) {
        rc = rb_wr_record_start(r, spec, dataset_hash, configurations, names, resume, &found, &ids, &nids, err);
    }
    free(names);
    if (rc == RB_OK) {
        r->expected = configurations > nids ? configurations - nids : 0;
        /* here: the writer itself runs on fewer processors (rb_thread_start_beside) */
        r->spin = rb_thread_may_poll();
        r->head = r->count = 0;
        r->stop = r->failed = r->finished = 0;
        r->begun = !r->deferred;
        r->released = 0;
        r->end_status = NULL;
        rb_error_clear(&r->werr);
        int e = r->parked ? wake_parked(r) : rb_thread_start_beside(&r->thread, writer_main, r);
        if (e != 0)
            rc = rb_fail(err, RB_ERR_NOMEM, "%s: cannot start the writer thread: %s", r->conn.path, strerror(e));
        r->thread_live = e == 0;
    }
    if (rc != RB_OK) {
        free(ids);
        clear_sweep(r);
        return rc;
    }
    r->active = 1;
    if (resumed) *resumed = found;
    if (done) *done = ids;
    else free(ids);
    if (ndone) *ndone = nids;
    return RB_OK;
}

uint64_t rb_results_failed_before(const rb_results *r) { return r ? r->failed_before : 0; }

rb_status rb_results_spec_path(rb_results *r, const char *path, rb_error *err)
{
    free(r->spec_path);
    r->spec_path = NULL;
    if (path && !(r->spec_path = realpath(path, NULL)))
        return rb_fail(err, RB_ERR_IO, "%s: cannot resolve the sweep file's path: %s", path, strerror(errno));
    return RB_OK;
}

void rb_results_legacy_hash(rb_results *r, const char *hash)
{
    snprintf(r->legacy_hash, sizeof r->legacy_hash, "%s", hash && strlen(hash) < sizeof r->legacy_hash ? hash : "");
}

rb_status rb_results_find_done(rb_results *r, const char *spec, const char *dataset_hash, int64_t *id,
                               char finished_at[32], rb_error *err)
{
    *id = 0;
    finished_at[0] = '\0';
    if (!r || !spec) return rb_fail(err, RB_ERR_USAGE, "rb_results_find_done: no results store or no spec");
    if (r->conn.version == 0) return RB_OK; /* a new store: no sweep yet */
    int64_t found = 0;
    rb_status rc =
        rb_results_sweep_find(&r->conn, spec, dataset_hash, r->legacy_hash[0] ? r->legacy_hash : NULL, &found, err);
    rb_results_sweep *s = NULL;
    size_t ns = 0;
    if (rc == RB_OK && found) rc = rb_results_sweep_list(&r->conn, found, &s, &ns, NULL, err);
    if (rc == RB_OK && ns == 1 && strcmp(s[0].status, "done") == 0 && strcmp(s[0].code_version, RB_VERSION) == 0) {
        *id = found;
        snprintf(finished_at, 32, "%s", s[0].finished_at);
    }
    rb_results_sweeps_free(s, ns);
    return rc;
}

/* ---------------------------------------------------------------- the writer */

static void deadline_after(struct timespec *t, long ns)
{
    clock_gettime(CLOCK_MONOTONIC, t);
    t->tv_nsec += ns;
    while (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
}

static int is_past(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* A parameter value: a number in a REAL column (read as the engine reads it, so the stored
 * double is the one the run used), else the text. */
static void bind_param(sqlite3_stmt *st, int k, const key_column *kc, const char *text)
{
    double v;
    if (!text) sqlite3_bind_null(st, k);
    else if (kc->real && rb_results_number_text(text, kc->fraction, &v)) sqlite3_bind_double(st, k, v);
    else sqlite3_bind_text(st, k, text, -1, SQLITE_STATIC);
}

/* depleted_on: a buffer that outlives the statement's step (bound SQLITE_STATIC: a bind that
 * copied could fail out of memory unnoticed). */
static void bind_metrics(const rb_results *r, sqlite3_stmt *st, int k, const queued_row *row, char depleted_on[32])
{
    const char *error = row->text[SLOT_ERROR];
    for (size_t m = 0; m < r->nmetric; m++, k++) {
        double v;
        memcpy(&v, (const char *)&row->metrics + r->metric[m].offset, sizeof v);
        if (error || isnan(v)) sqlite3_bind_null(st, k); /* failed, or an undefined ratio: SQL NULL */
        else sqlite3_bind_double(st, k, v);
    }
    if (!error && row->metrics.depleted)
        sqlite3_bind_text(st, k, rb_time_format(row->metrics.depleted_on, depleted_on), -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, k);
}

static rb_status insert_row(rb_results *r, const queued_row *row, rb_error *err)
{
    sqlite3_stmt *st = r->insert;
    int k = 1;
    sqlite3_bind_int64(st, k++, r->sweep_id);
    sqlite3_bind_int64(st, k++, row->config_id);
    for (int j = SLOT_SECTION; j <= SLOT_STRATEGY; j++, k++) {
        if (row->text[j]) sqlite3_bind_text(st, k, row->text[j], -1, SQLITE_STATIC);
        else sqlite3_bind_null(st, k);
    }
    sqlite3_bind_text(st, k++, row->text[SLOT_ERROR] ? RB_RUN_FAILED : RB_RUN_OK, -1, SQLITE_STATIC);
    if (row->text[SLOT_ERROR]) sqlite3_bind_text(st, k, row->text[SLOT_ERROR], -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, k);
    k++;
    for (size_t j = 0; j < r->ncols; j++, k++) bind_param(st, k, &r->by_column[j], row->text[NFIXED + j]);
    char depleted_on[32];
    bind_metrics(r, st, k, row, depleted_on);
    rb_status rc = RB_OK;
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (sqlite3_extended_errcode(r->conn.db) == SQLITE_CONSTRAINT_PRIMARYKEY)
            rc = rb_fail(err, RB_ERR_DATA,
                         "%s: sweep %lld: configuration %lld was stored twice (a duplicate config_id; "
                         "resumed sweeps must skip the stored ids)",
                         r->conn.path, (long long)r->sweep_id, (long long)row->config_id);
        else rc = rb_rsql_fail(&r->conn, err, "storing a run");
    }
    sqlite3_reset(st);
    return rc;
}

/* The writer stops on e (mu held): the rows still queued are dropped, and put and end
 * report e. */
static void writer_failed(rb_results *r, const rb_error *e)
{
    r->failed = 1;
    r->werr = *e;
    while (r->count > 0) {
        free(r->queue[r->head]);
        r->head = (r->head + 1) % QUEUE_ROWS;
        r->count--;
    }
    pthread_cond_broadcast(&r->not_full);
}

/* A thread that sleeps lets its processor halt, and on the 2-core development VM waking it
 * again took 0.1-0.4 ms (bench/README.md, tenth session): as long as the writer's last
 * commit. So a wait that is short spins first, for up to SPIN_NS: the caller's for the
 * writer to leave the connection (wait_released), and the writer's for the sweep's end once
 * it has written every row the sweep was to give (the end follows them at once; before, it
 * sleeps between blocks, which would otherwise lose a core to it). Only where another
 * processor can run the thread waited for (rb_thread_may_poll). */
#define SPIN_NS 500000L

/* Spins (mu held, released meanwhile) while *word, set atomically, still reads was, for up
 * to ns. */
static void spin_while(rb_results *r, const unsigned *word, unsigned was, long ns)
{
    pthread_mutex_unlock(&r->mu);
    struct timespec until;
    deadline_after(&until, ns);
    for (unsigned k = 1; __atomic_load_n(word, __ATOMIC_ACQUIRE) == was; k++)
        if (k % 256 == 0 && is_past(&until)) break;
    pthread_mutex_lock(&r->mu);
}

/* Records the sweep first when its start was deferred (rb_wr_record_later). Then takes rows off
 * the queue and writes them in transactions committed TXN_NS after their first row, or when
 * the queue is drained at the sweep's end. On an error it commits what was written before
 * it, records the error and stops; put and end report it. */
static void *writer_main(void *arg)
{
    rb_results *r = arg;
    queued_row *batch[QUEUE_ROWS];
    int in_txn = 0;
    struct timespec deadline = {0, 0};
    rb_error e = {0};
    rb_status rc = r->deferred ? rb_wr_record_later(r, &e) : RB_OK;

    const int spin = r->spin;
    uint64_t written_rows = 0; /* rows this writer has inserted */
    pthread_mutex_lock(&r->mu);
    /* the caller learns the sweep's id, or the failure, both at once */
    if (rc != RB_OK) writer_failed(r, &e);
    r->begun = 1;
    pthread_cond_broadcast(&r->said_cv);
    for (; rc == RB_OK;) {
        int spun = 0;
        while (r->count == 0 && !r->stop) {
            if (in_txn && !spun && spin && written_rows >= r->expected) {
                spun = 1; /* until a row is queued or the sweep ends */
                spin_while(r, &r->pokes, r->pokes, SPIN_NS);
            } else if (!in_txn) {
                pthread_cond_wait(&r->not_empty, &r->mu);
            } else if (pthread_cond_timedwait(&r->not_empty, &r->mu, &deadline) == ETIMEDOUT) {
                break;
            }
        }
        size_t n = 0;
        while (r->count > 0) {
            batch[n++] = r->queue[r->head];
            r->head = (r->head + 1) % QUEUE_ROWS;
            r->count--;
        }
        int drained = r->stop && r->count == 0;
        if (n) pthread_cond_broadcast(&r->not_full);
        pthread_mutex_unlock(&r->mu);

        if (n && !in_txn) {
            rc = rb_rsql_exec(&r->conn, "BEGIN IMMEDIATE", "starting a transaction of runs", &e);
            if (rc == RB_OK) {
                in_txn = 1;
                deadline_after(&deadline, TXN_NS);
            }
        }
        queued_row *written = NULL; /* handed back below, newest first */
        for (size_t i = 0; i < n; i++) {
            if (rc == RB_OK) rc = insert_row(r, batch[i], &e);
            written_rows++;
            batch[i]->next = written;
            written = batch[i];
        }
        /* The last rows and the sweep's status, committed together: one commit, not two, and
         * no moment at which a reader sees every row of a sweep still 'running'; the status
         * alone when every row is committed already (or there was none). */
        int with_status = 0;
        if (rc == RB_OK && drained && r->end_status) {
            if (!in_txn && (rc = rb_rsql_exec(&r->conn, "BEGIN IMMEDIATE", "ending the sweep", &e)) == RB_OK)
                in_txn = 1;
            if (rc == RB_OK)
                rc = rb_results_status_set(&r->conn, r->finish, r->sweep_id, r->end_status, "finishing the sweep", &e);
            with_status = rc == RB_OK;
        }
        if (in_txn && (rc != RB_OK || drained || is_past(&deadline))) {
            /* After a failed row the rows before it are still good: keep them. */
            rb_status c = rb_rsql_exec(&r->conn, "COMMIT", "committing runs", rc == RB_OK ? &e : NULL);
            if (c != RB_OK) {
                rb_rsql_rollback(&r->conn);
                if (rc == RB_OK) rc = c;
            }
            r->finished = with_status && c == RB_OK; /* read once the writer is done (released) */
            in_txn = 0;
        }

        pthread_mutex_lock(&r->mu);
        if (n) {
            batch[0]->next = r->spent; /* the oldest of this batch, last on its list */
            r->spent = written;
        }
        if (rc != RB_OK) {
            writer_failed(r, &e);
            break;
        }
        if (drained) break;
    }
    /* The last checkpoint of a fresh store whose status went with the last rows: nothing
     * is written after them. */
    int settle = r->settle && r->finished && r->conn.fresh;
    pthread_mutex_unlock(&r->mu);
    int whole = settle && rb_results_schema_checkpoint(&r->conn);
    /* The sync goes on beside the caller, through a descriptor of its own, opened while the
     * connection (and SQLite's name of the file, absolute) is still this thread's: the caller
     * reads through the connection meanwhile, and may close it (results_close). */
    const char *file = whole ? sqlite3_db_filename(r->conn.db, "main") : NULL;
    int fd = file && *file ? open(file, O_RDONLY | O_CLOEXEC) : -1;
    pthread_mutex_lock(&r->mu);
    r->sync_fd = fd;
    r->whole = whole && fd >= 0;
    __atomic_store_n(&r->released, 1, __ATOMIC_RELEASE); /* wait_released may spin on it */
    pthread_cond_broadcast(&r->said_cv);
    pthread_mutex_unlock(&r->mu);
    if (whole) {
        r->synced = fd >= 0 && fdatasync(fd) == 0 ? 1 : -1;
    } else if (settle) {
        r->synced = 0; /* not whole: the close checkpoints under NORMAL */
    }
    __atomic_store_n(&r->ended, 1, __ATOMIC_RELEASE); /* the last access to r (join_writer) */
    return NULL;
}

/* Waits (mu held) until the writer has left the connection: spinning first
 * (rb_thread_may_poll), for up to 10 SPIN_NS (the writer's last commit and checkpoint take about 1.5 ms). */
static void wait_released(rb_results *r)
{
    if (!r->released && r->spin) spin_while(r, &r->released, 0, 10 * SPIN_NS);
    while (!r->released) pthread_cond_wait(&r->said_cv, &r->mu);
}

/* Tells the writer to drain the queue and commit, with the sweep's status when it ends
 * (else NULL), and waits until it leaves the connection: its end when it settles nothing,
 * else the copy of the last checkpoint (the sync goes on: results_close joins it). */
static void stop_writer(rb_results *r, const char *end_status)
{
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    __atomic_add_fetch(&r->pokes, 1, __ATOMIC_RELEASE);
    r->end_status = end_status;
    pthread_cond_broadcast(&r->not_empty);
    pthread_cond_broadcast(&r->not_full);
    wait_released(r);
    pthread_mutex_unlock(&r->mu);
    if (!r->settle || !end_status) join_writer(r);
    free_rows(r->spent);
    r->spent = NULL;
}

static const key_column *lookup_key(const rb_results *r, const char *key)
{
    key_column probe = {.key = key};
    return r->ncols ? bsearch(&probe, r->index, r->ncols, sizeof *r->index, rb_wr_key_cmp) : NULL;
}

rb_status rb_results_put(rb_results *r, const rb_result_row *row, rb_error *err)
{
    if (!r || !row) return rb_fail(err, RB_ERR_USAGE, "rb_results_put: no results store or no row");
    if (row->nparams && !row->params)
        return rb_fail(err, RB_ERR_USAGE, "rb_results_put: %zu settings but no settings array", row->nparams);

    /* Size the copy: the text pointers, then the strings. */
    size_t slots = NFIXED + r->ncols;
    size_t bytes = sizeof(queued_row) + slots * sizeof(char *);
    const char *fixed[NFIXED] = {row->section, row->strategy, row->error};
    for (size_t j = 0; j < NFIXED; j++) bytes += fixed[j] ? strlen(fixed[j]) + 1 : 0;
    for (size_t i = 0; i < row->nparams; i++) {
        const rb_sweep_kv *kv = &row->params[i];
        if (!kv->key || !lookup_key(r, kv->key))
            return rb_fail(err, RB_ERR_DATA, "%s: configuration %lld: setting '%s' is not a parameter key of the sweep",
                           r->conn.path, (long long)row->config_id, kv->key ? kv->key : "(null)");
        bytes += kv->value ? strlen(kv->value) + 1 : 0;
    }
    queued_row *q = rb_malloc(bytes);
    if (!q) return rb_fail(err, RB_ERR_NOMEM, "out of memory queueing configuration %lld", (long long)row->config_id);
    q->config_id = row->config_id;
    if (row->metrics) q->metrics = *row->metrics;
    else memset(&q->metrics, 0, sizeof q->metrics);
    char *p = (char *)&q->text[slots];
    for (size_t j = 0; j < slots; j++) q->text[j] = NULL;
    for (size_t j = 0; j < NFIXED; j++)
        if (fixed[j]) {
            size_t n = strlen(fixed[j]) + 1;
            q->text[j] = memcpy(p, fixed[j], n);
            p += n;
        }
    for (size_t i = 0; i < row->nparams; i++) {
        const rb_sweep_kv *kv = &row->params[i];
        size_t slot = NFIXED + lookup_key(r, kv->key)->column;
        if (q->text[slot]) {
            free(q);
            return rb_fail(err, RB_ERR_DATA, "%s: configuration %lld: setting '%s' given twice", r->conn.path,
                           (long long)row->config_id, kv->key);
        }
        if (kv->value) {
            size_t n = strlen(kv->value) + 1;
            q->text[slot] = memcpy(p, kv->value, n);
            p += n;
        }
    }

    pthread_mutex_lock(&r->mu);
    while (r->active && r->count == QUEUE_ROWS && !r->failed && !r->stop) pthread_cond_wait(&r->not_full, &r->mu);
    rb_status rc = RB_OK;
    if (r->failed) {
        rc = r->werr.code;
        if (err) *err = r->werr;
    } else if (!r->active || r->stop) {
        rc = rb_fail(err, RB_ERR_USAGE, "%s: no sweep is being recorded (rb_results_begin first)", r->conn.path);
    } else {
        r->queue[(r->head + r->count) % QUEUE_ROWS] = q;
        r->count++;
        q = NULL;
        __atomic_add_fetch(&r->pokes, 1, __ATOMIC_RELEASE);
        pthread_cond_signal(&r->not_empty);
    }
    queued_row *spent = r->spent;
    r->spent = NULL;
    pthread_mutex_unlock(&r->mu);
    free(q);
    free_rows(spent);
    return rc;
}

rb_status rb_results_end(rb_results *r, const char *status, rb_error *err)
{
    if (!r) return rb_fail(err, RB_ERR_USAGE, "rb_results_end: no results store");
    if (!r->active) return rb_fail(err, RB_ERR_USAGE, "%s: no sweep is being recorded", r->conn.path);
    static const char *const statuses[] = {"done", "interrupted", "failed"};
    int known = 0;
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        known |= status && strcmp(status, statuses[i]) == 0;
    if (!known)
        return rb_fail(err, RB_ERR_USAGE, "rb_results_end: status '%s' is not done, interrupted or failed",
                       status ? status : "(null)");

    stop_writer(r, status);
    rb_status rc = RB_OK;
    if (r->failed) {
        /* Rows are missing: the sweep is not done, whatever the caller thought. */
        status = "failed";
        rc = r->werr.code;
        if (err) *err = r->werr;
    }
    rb_error uerr;
    /* The writer recorded the status (with the last rows, or alone), unless it failed: then
     * here. */
    rb_status urc = r->finished || !r->sweep_id ? RB_OK : rb_results_sweep_finish(&r->conn, r->sweep_id, status, &uerr);
    if (urc != RB_OK && rc == RB_OK) {
        rc = urc;
        if (err) *err = uerr;
    }
    clear_sweep(r);
    return rc;
}

const rb_rconn *rb_results_connection(const rb_results *r) { return &r->conn; }

int64_t rb_results_sweep_id(rb_results *r)
{
    if (!r->active || !r->deferred) return r->sweep_id;
    pthread_mutex_lock(&r->mu);
    while (!r->begun) pthread_cond_wait(&r->said_cv, &r->mu);
    int64_t id = r->sweep_id;
    pthread_mutex_unlock(&r->mu);
    return id;
}

void rb_results_free(rb_results *r)
{
    if (!r) return;
    /* A sweep never ended keeps what was queued (committed now) and its status 'running',
     * exactly as after a crash: resume continues it. */
    if (r->active) {
        stop_writer(r, NULL);
        clear_sweep(r);
    }
    results_close(r);
}

