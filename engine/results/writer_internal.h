/* writer_internal.h - what the results writer's files share (writer.c: the store, the queue
 * and the writer thread; writer_sweep.c: a sweep's start in the store): the rb_results
 * structure and the start's steps. Internal to engine/results/. */
#ifndef RB_RESULTS_WRITER_INTERNAL_H
#define RB_RESULTS_WRITER_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "metric_table.h"
#include "schema.h"
#include "writer.h"

/* Writer batching: the queue holds at most QUEUE_ROWS rows (a full queue makes rb_results_put
 * wait); a transaction commits TXN_NS nanoseconds after its first row (or when the sweep
 * ends), so a kill loses at most that much work and resume redoes it.
 *
 * Why time alone, and a cache of WRITER_CACHE_KIB: config ids are hashes, so a sweep's rows
 * land all over the runs table, and each commit writes (and each checkpoint copies) most of
 * its pages, however few rows it holds. Commits of at most 2,000 rows, as earlier builds
 * wrote, made the writer the ceiling of a sweep on many cores: on a 16-core machine a sweep
 * of 100,000 configurations took 3.6 s on 1 thread and still 2.3 s on 16, where the
 * simulation takes some 0.2 s (now 2.1 and 0.85-1.1 s). The larger cache keeps the table's
 * pages between transactions instead of reading them back from the WAL (bench/README.md,
 * eighth session). The cache grows only as pages are used: a small sweep gets none of it. */
#define QUEUE_ROWS 4096
#define TXN_NS 200000000L
#define WRITER_CACHE_KIB "65536" /* PRAGMA cache_size takes -KiB */

/* The texts of a queued row: section, strategy, error, then one per parameter column. */
enum { SLOT_SECTION, SLOT_STRATEGY, SLOT_ERROR, NFIXED };

/* One row waiting for the writer: one allocation holding the strings too. */
typedef struct queued_row {
    struct queued_row *next; /* on the list of written rows handed back (rb_results.spent) */
    int64_t config_id;
    rb_metrics metrics;
    char *text[]; /* NFIXED, then one value per parameter column (NULL = unset) */
} queued_row;

/* A parameter key of the current sweep: its column and how its values are stored. */
typedef struct key_column {
    const char *key;
    size_t column;
    int real;     /* a REAL column: numbers are bound as numbers */
    int fraction; /* its numbers may be written as percentages */
} key_column;

struct rb_results {
    rb_rconn conn;
    const rb_metric_info *metric;
    size_t nmetric;
    /* the hash an earlier build gave the dataset (rb_results_legacy_hash), or "" */
    char legacy_hash[RB_RESULTS_HASH_MAX];
    char *spec_path; /* the next sweep's file (rb_results_spec_path), or NULL */

    /* The sweep being recorded (between rb_results_begin and rb_results_end); fixed while
     * the writer runs, so the writer and put read them without the lock. */
    int active;
    int64_t sweep_id;
    uint64_t failed_before; /* its failed runs already stored (a resume) */
    size_t ncols;      /* parameter columns of this sweep */
    char **keys;       /* their keys as the caller gave them */
    key_column *index; /* the keys sorted */
    key_column *by_column; /* the same, in column order */
    sqlite3_stmt *insert;
    sqlite3_stmt *finish; /* the sweep's status at its end (rb_results_status_prepare) */
    pthread_t thread;

    /* rb_results_defer_start: a new store's sweep recorded by the writer thread before its
     * first row, from what rb_results_begin was given (later); its id is known once the
     * writer has tried (begun, under mu). */
    int defer;
    struct later {
        char *spec, *dataset_hash;
        uint64_t configurations;
        char (*names)[RB_RESULTS_KEY_MAX];
    } later;
    int deferred; /* this sweep's start is the writer's */
    int begun;
    pthread_cond_t said_cv; /* begun and released change under mu */

    /* rb_results_settle: the writer that records a fresh store's last rows also takes its
     * last checkpoint (the copy with the connection, then released; the sync of the file
     * beside the caller, who may read through the connection meanwhile). */
    int settle;
    int brief;       /* rb_results_brief: for the next rb_results_begin only */
    int brief_sweep; /* the sweep begun is brief (rb_results_begin: rb_results_schema_unbrief) */
    unsigned released; /* the writer no longer uses the connection (under mu; set atomically) */
    int thread_live; /* a writer thread not joined yet */
    int ended;       /* writer_main has returned: set atomically, its last access to r (join_writer) */
    /* rb_results_prestart: thread is started and waits (parked) until rb_results_begin hands
     * it its sweep (go) or the close lets it go (quit); go and quit under mu */
    int parked, go, quit;
    int synced;      /* the checkpoint's outcome (rb_rconn.settled): 1, -1, or 0 (not taken) */
    int sync_fd;     /* the file the writer syncs through (-1: none), closed after the connection */
    int whole;       /* the writer copied the whole WAL and syncs the file (under mu, with released) */

    /* The queue, shared by the simulation threads and the writer. */
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    queued_row *queue[QUEUE_ROWS];
    size_t head, count;
    /* Rows the writer has written, handed back for the threads that queue rows to free:
     * a row freed by the writer would go back to the allocating thread's malloc arena
     * under that arena's lock, which the simulation thread takes for its own allocations
     * all along (the two threads then wait on each other's lock). */
    queued_row *spent;
    int stop;       /* no more rows: drain, commit and exit */
    unsigned pokes; /* counts the rows queued and the stop, atomically (the writer spins on it) */
    uint64_t expected; /* the rows of the sweep to write: its configurations less those stored */
    int spin;          /* rb_thread_may_poll, as the caller of rb_results_begin saw it */
    /* The sweep's end (rb_results_end): its status, set with stop, which the writer records
     * in the transaction of the last rows when one is open (finished then says so); NULL when
     * the writer stops without an end (rb_results_free). */
    const char *end_status;
    int finished;
    int failed;     /* the writer stopped on werr */
    rb_error werr;
};

/* Key columns by key (qsort, bsearch). */
int rb_wr_key_cmp(const void *a, const void *b);

/* Validates the keys (before the database is touched) into their columns (by_column) and the
 * index, sorted by key: all that rb_results_put reads. */
rb_status rb_wr_set_keys(rb_results *r, const char *const *keys, size_t nkeys, char (*names)[RB_RESULTS_KEY_MAX],
                         rb_error *err);

/* What the store holds of a sweep before its first row: its row (resumed when resume finds
 * one: *found, its stored ids), then the columns' types, the insert statement and the
 * writer's cache. */
rb_status rb_wr_record_start(rb_results *r, const char *spec, const char *dataset_hash, uint64_t configurations,
                             char (*names)[RB_RESULTS_KEY_MAX], int resume, int *found, int64_t **ids, size_t *nids,
                             rb_error *err);

/* A deferred start (rb_results_defer_start): rb_wr_keep_later keeps what rb_results_begin
 * was given (names becomes r's), rb_wr_record_later records it on the writer thread before
 * any row, rb_wr_clear_later frees what was kept. */
rb_status rb_wr_keep_later(rb_results *r, const char *spec, const char *dataset_hash, uint64_t configurations,
                           char (*names)[RB_RESULTS_KEY_MAX], rb_error *err);
rb_status rb_wr_record_later(rb_results *r, rb_error *err);
void rb_wr_clear_later(struct later *l);

#endif /* RB_RESULTS_WRITER_INTERNAL_H */
