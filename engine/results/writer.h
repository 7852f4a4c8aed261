/* writer.h - writing sweeps into a results store: a SQLite database that any SQL tool or
 * pandas reads directly (its tables: schema.h), written by one writer thread in batched
 * transactions while the simulation threads continue; resumable after any interruption
 * (kill -9 included). Internal. */
#ifndef RB_RESULTS_WRITER_H
#define RB_RESULTS_WRITER_H

#include <stdint.h>

#include "rebal.h"
#include "sweep.h"

typedef struct rb_results rb_results;

/* One finished configuration: its metrics, or the one-line message of its failure. */
typedef struct rb_result_row {
    int64_t config_id;
    const char *section;
    const char *strategy;
    const rb_sweep_kv *params; /* its settings (beyond [data]) */
    size_t nparams;
    const char *error;         /* NULL: it ran (metrics); else why it failed (metrics unused) */
    /* Read, not kept: rb_results_put copies them into its queue (the row's one copy: some 0.1 ms
     * of the 1,000-band sweep's simulation thread when the row held a copy of its own). NULL:
     * all 0. */
    const rb_metrics *metrics;
} rb_result_row;

/* Opens (creating) a results store; refuses, untouched, a file that is not one. A store
 * written by an older rebal is migrated to the current schema. */
rb_status rb_results_open(const char *path, rb_results **out, rb_error *err);

/* Starts the thread that will write the sweep the next rb_results_begin begins, waiting for
 * it until then: a caller that opens the store beside its main work (sweep_side.c) takes the
 * thread's start (some 0.1-0.2 ms on the 2-core VM) off that work's path. Where the thread
 * cannot be started, rb_results_begin starts one as usual; a store closed without a sweep
 * lets it go. */
void rb_results_prestart(rb_results *r);

/* Starts recording a sweep. With resume, the most recent sweep with the same spec text and
 * dataset hash is continued (*resumed = 1; when it is complete nothing is left to run) and
 * its stored config ids (failed ones too) are returned (sorted, malloc'ed; the caller frees)
 * so they can be skipped; otherwise a new sweep row is made. keys: the sweep's parameter
 * keys (columns). Starts the writer thread (or wakes the one rb_results_prestart started). */
rb_status rb_results_begin(rb_results *r, const char *spec, const char *dataset_hash, uint64_t configurations,
                           const char *const *keys, size_t nkeys, int resume, int *resumed, int64_t **done,
                           size_t *ndone, rb_error *err);

/* Lets the writer thread record the sweeps rb_results_begin starts in a new store (one that
 * holds no sweep yet, so nothing to resume) before their first rows, beside the caller's own
 * work: rb_results_begin then returns once the keys are checked and the writer started. What
 * fails in recording the sweep is reported as a writer's error (rb_results_put,
 * rb_results_end); readers see the sweep a moment later. For a command that begins one sweep
 * and computes its rows at once (rebal sweep). */
void rb_results_defer_start(rb_results *r);

/* Promises that after each sweep rb_results_end ends, nothing is written through r but by a
 * later sweep (rb_results_begin): in a store r created, the writer then follows the sweep's
 * last rows and status with the store's last checkpoint, and syncs the file beside the
 * caller, who may read through r meanwhile. rb_results_free waits for the sync; a later
 * rb_results_begin waits for it too and puts the connection back under NORMAL sync. */
void rb_results_settle(rb_results *r);

/* Says that the sweep the next rb_results_begin begins is expected to end within a second
 * or so. In a new store r created (which rb_results_open makes in rollback-journal mode), the
 * sweep then runs in rollback-journal mode rather than WAL (rb_results_schema_unbrief says
 * why), its commits unsynced until its last checkpoint's sync (with rb_results_settle, the
 * writer's; else the close's). Readers can read the store meanwhile, but a reader's
 * transaction holds up a commit (WAL lets both go on). Nothing changes for a store that
 * existed before; a sweep that is not brief, the first or a later one, runs in WAL mode. */
void rb_results_brief(rb_results *r);

/* The most recent sweep of this spec text and dataset hash recorded by this version of rebal
 * when it is complete ('done'): its id (0 when there is none, or it is not complete) and its
 * finishing time (ISO 8601 UTC, 32 bytes). What rebal sweep shows instead of running it again. */
rb_status rb_results_find_done(rb_results *r, const char *spec, const char *dataset_hash, int64_t *id,
                               char finished_at[32], rb_error *err);

/* The hash the same dataset had in the builds before "v2-" hashes (rb_dataset_hash_legacy),
 * so that rb_results_find_done and a resume by rb_results_begin find the sweeps they
 * recorded too; NULL or "": none. At most RB_RESULTS_HASH_MAX - 1 characters (longer: none). */
void rb_results_legacy_hash(rb_results *r, const char *hash);

/* The file of the next sweep rb_results_begin records (NULL: none, a sweep given as text),
 * stored as its absolute path (sweeps.spec_path): what a report needs to read the files its
 * [venues] section names relative to it. Fails when the path cannot be resolved. */
rb_status rb_results_spec_path(rb_results *r, const char *path, rb_error *err);

/* The id of the sweep being recorded (between rb_results_begin and rb_results_end; else 0).
 * After a deferred start (rb_results_defer_start) it waits for the writer to have recorded
 * the sweep, and is 0 when that failed (rb_results_end says why). */
int64_t rb_results_sweep_id(rb_results *r);

/* The failed runs the sweep being recorded had stored before rb_results_begin (a resume). */
uint64_t rb_results_failed_before(const rb_results *r);

/* Queues a row for the writer thread (copies what it needs; returns at once unless the
 * queue is full, then waits). Thread-safe. A writer error is reported by the next call
 * and by rb_results_end. */
rb_status rb_results_put(rb_results *r, const rb_result_row *row, rb_error *err);

/* Drains the queue, commits, marks the sweep with status and its finish time, stops the
 * writer thread. */
rb_status rb_results_end(rb_results *r, const char *status, rb_error *err);

/* Closes the store (ending a sweep never ended as a crash would: resume continues it). A
 * file rb_results_open created is removed again when no sweep was begun in it, so that a
 * command that stops before recording leaves no empty store behind. */
void rb_results_free(rb_results *r);

/* The results store of a sweep just recorded, as rb_sweep_options.on_recorded hands it over:
 * after rb_results_end, before rb_results_free (rb_runs_print_recorded reads it). */
struct rb_sweep_recorded {
    const rb_results *results;
    int64_t sweep_id; /* the sweep recorded */
};

/* The store's connection, for reading through it (rb_results_reader_borrow) while no sweep
 * is being recorded. */
const struct rb_rconn *rb_results_connection(const rb_results *r);

#endif /* RB_RESULTS_WRITER_H */
