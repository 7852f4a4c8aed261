/* results.h - the results store of sweeps: a SQLite database that any SQL tool or pandas
 * reads directly, written by one writer thread in batched transactions while the
 * simulation threads continue; resumable after any interruption (kill -9 included).
 * Internal.
 *
 * Schema (PRAGMA application_id 'rbrs', user_version 1):
 *   sweeps(id INTEGER PRIMARY KEY, spec TEXT, dataset_hash TEXT, code_version TEXT,
 *          configurations INTEGER, started_at TEXT, finished_at TEXT,
 *          status TEXT)  -- 'running', 'done', 'interrupted', 'failed'
 *   runs(sweep_id INTEGER REFERENCES sweeps(id), config_id INTEGER, section TEXT,
 *        strategy TEXT, <one column per parameter key, named like its flag with '-'
 *        turned into '_' (band, every, fee_bps), TEXT holding the value as written>,
 *        <one REAL column per metric of rb_metric_table, named as in rebal run --json>,
 *        depleted_on TEXT (the date a withdrawal emptied the portfolio, else NULL),
 *        PRIMARY KEY (sweep_id, config_id)) WITHOUT ROWID
 * Parameter columns are added (ALTER TABLE) when a sweep names a key no earlier sweep did,
 * and metric columns (depleted_on too) when the store was written by an older build. */
#ifndef RB_RESULTS_H
#define RB_RESULTS_H

#include <stdint.h>

#include "rebal.h"
#include "sweep.h"

struct sqlite3;

typedef struct rb_results rb_results;

/* One finished configuration. */
typedef struct rb_result_row {
    int64_t config_id;
    const char *section;
    const char *strategy;
    const rb_sweep_kv *params; /* its settings (beyond [data]) */
    size_t nparams;
    rb_metrics metrics;
} rb_result_row;

/* Opens (creating) a results store; refuses, untouched, a file that is not one. */
rb_status rb_results_open(const char *path, rb_results **out, rb_error *err);

/* Starts recording a sweep. With resume, the most recent sweep with the same spec text and
 * dataset hash is continued (*resumed = 1; when it is complete nothing is left to run) and
 * its stored config ids are returned (sorted, malloc'ed; the caller frees) so they can be skipped; otherwise a
 * new sweep row is made. keys: the sweep's parameter keys (columns). Starts the writer
 * thread. */
rb_status rb_results_begin(rb_results *r, const char *spec, const char *dataset_hash, uint64_t configurations,
                           const char *const *keys, size_t nkeys, int resume, int *resumed, int64_t **done,
                           size_t *ndone, rb_error *err);

/* Queues a row for the writer thread (copies what it needs; returns at once unless the
 * queue is full, then waits). Thread-safe. A writer error is reported by the next call
 * and by rb_results_end. */
rb_status rb_results_put(rb_results *r, const rb_result_row *row, rb_error *err);

/* Drains the queue, commits, marks the sweep with status and its finish time, stops the
 * writer thread. */
rb_status rb_results_end(rb_results *r, const char *status, rb_error *err);

void rb_results_free(rb_results *r);

/* The best runs of the results store at path (rb_runs_query in rebal.h): --top N --by METRIC
 * (descending, or ascending for max_drawdown, ann_vol, tracking_error, turnover and the
 * *_paid costs), filtered by conditions "KEY OP VALUE", printed as an aligned table (or
 * CSV). rb_runs_print is its public name. */
rb_status rb_results_print(const char *path, const rb_runs_query *q, FILE *out, rb_error *err);

/* The config ids of the n best runs of the latest sweep in the store at path, by a metric
 * (the same order as rb_results_print). *ids is malloc'ed; *count may be below n. */
rb_status rb_results_best(const char *path, const char *by, size_t n, int64_t **ids, size_t *count, rb_error *err);

/* Opens the results store at path read-only, checked like rb_results_open (refusing a file
 * that is not one, or one with no sweep yet), as a plain SQLite connection for reports. The
 * caller closes it with sqlite3_close. */
rb_status rb_results_open_sqlite(const char *path, struct sqlite3 **db, rb_error *err);

/* 1 when lower values of the metric are better (max_drawdown, ann_vol, tracking_error,
 * turnover and the *_paid costs): the order rebal runs and reports rank by. */
int rb_results_ascending(const char *metric);

/* "; did you mean sharpe?" for a name that is not a metric (the nearest metric name), or "";
 * the text lives in buf. */
const char *rb_results_metric_hint(const char *name, char *buf, size_t len);

/* The column of the runs table that holds a setting: its key with '-' turned into '_'. */
void rb_results_column_name(const char *key, char *out, size_t len);

#endif /* RB_RESULTS_H */
