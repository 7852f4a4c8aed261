/* schema.h - the tables of a results store: the only code that knows them and their columns.
 * Internal to engine/results/ (the writer, the reader).
 *
 * Schema (PRAGMA application_id 'rbrs', user_version 3; version 3 added the out-of-sample
 * tables oos_tests, oos_windows and oos_curve: results/oos_store.h; version 4 is version 3
 * plus the tables of resampled histories, resample_sets and resamples, created on demand
 * when a sweep first stores a resample: results/resample_store.h):
 *   sweeps(id INTEGER PRIMARY KEY, spec TEXT, dataset_hash TEXT, code_version TEXT,
 *          configurations INTEGER, started_at TEXT, finished_at TEXT,
 *          status TEXT)  -- 'running', 'done', 'interrupted', 'failed'
 *   runs(sweep_id INTEGER REFERENCES sweeps(id), config_id INTEGER, section TEXT,
 *        strategy TEXT,
 *        status TEXT  -- 'ok', or 'failed': the configuration failed at run time
 *        error TEXT   -- a failed configuration's one-line message, else NULL
 *        <one column per parameter key, named like its flag with '-' turned into '_' (band,
 *         fee_bps), a key that is an SQL keyword renamed (to -> to_mode, on -> on_bar):
 *         REAL for a key whose values are numbers (a per-asset value such as BTC=10,ETH=20
 *         stays text in it), TEXT for a word (every, to_mode)>,
 *        <one REAL column per metric of rb_metric_table, named as in rebal run --json; NULL
 *         for an undefined ratio and for every metric of a failed configuration>,
 *        depleted_on TEXT (the date a withdrawal emptied the portfolio, else NULL),
 *        PRIMARY KEY (sweep_id, config_id)) WITHOUT ROWID
 * A new store's runs table is created with its first sweep's parameter columns (placed last,
 * where ALTER TABLE puts them). Parameter columns are added (ALTER TABLE) when a sweep names a key no earlier sweep did,
 * and metric columns (depleted_on too) when the store was written by an older build.
 *
 * Version 1 (rebal 0.1.0 up to issue 12) had no status and error, kept every parameter as
 * TEXT as written and named columns after keywords (to, on). It is read as it is, and
 * migrated to version 2 when a sweep is written into it (rb_results_schema_open). */
#ifndef RB_RESULTS_SCHEMA_H
#define RB_RESULTS_SCHEMA_H

#include <stdint.h>

#include "rebal.h"
#include "sql.h"

#define RB_RESULTS_SCHEMA_VERSION 3
/* Version 4 is version 3 with the tables of resampled histories (resample_store.c:
 * resample_sets, resamples), created and marked when a sweep first stores a resample; a store
 * without them stays version 3. This build reads versions 1 to 4. */
#define RB_RESULTS_SCHEMA_RESAMPLE 4
#define RB_RESULTS_KEY_MAX 64 /* bytes of a parameter key or column name, NUL included */
/* The page size of a results store this build creates (SQLite's default is 4096; schema.c,
 * prepare_for_writing, says why). A string: it goes into the PRAGMA as it is. */
#define RB_RESULTS_PAGE_SIZE "16384"

/* Opens the results store at path: read-only (refusing a missing or empty file, or one with
 * no sweep yet) or for writing (marking an empty file as a results store, whose tables the
 * first sweep creates with rb_results_schema_create; migrating an older one). Either way refuses, untouched, a file that is not a results store or was written by
 * a newer rebal. */
rb_status rb_results_schema_open(const char *path, int readonly, rb_rconn *c, rb_error *err);
/* Closes the connection; a file this open created is removed again while it holds no table
 * (no sweep was begun in it: rb_sqlite_remove_unused). */
void rb_results_schema_close(rb_rconn *c);
/* The copy of a fresh store's WAL into its database file, the first half of its last
 * checkpoint before the close (whose sync the caller then takes: rb_rconn.settled): 1 when
 * the whole WAL is in the file, the connection under synchronous OFF until its close; else
 * 0, under NORMAL, and the close checkpoints as ever. */
int rb_results_schema_checkpoint(const rb_rconn *c);
/* A new store this open created is in rollback-journal mode, its commits unsynced (c->brief)
 * until its last checkpoint's sync, as a brief sweep (rb_results_brief) runs it. Before a
 * sweep that is not brief: to WAL, commits synced under NORMAL (in a new file, from its
 * schema's creation on). */
rb_status rb_results_schema_unbrief(rb_rconn *c, rb_error *err);

/* ---------------------------------------------------------------- columns of runs */

typedef enum rb_rcol_kind {
    RB_RCOL_BASE,    /* sweep_id, config_id, section, strategy, status, error */
    RB_RCOL_PARAM,   /* a setting or strategy parameter */
    RB_RCOL_METRIC,  /* a metric of rb_metric_table */
    RB_RCOL_OUTCOME  /* depleted_on */
} rb_rcol_kind;

/* The base columns, by role. */
typedef enum rb_rcol_base {
    RB_RCOL_SWEEP_ID,
    RB_RCOL_CONFIG_ID,
    RB_RCOL_SECTION,
    RB_RCOL_STRATEGY,
    RB_RCOL_STATUS,
    RB_RCOL_ERROR,
    RB_RCOL_NBASE
} rb_rcol_base;

typedef struct rb_results_column {
    char *name;                   /* as in the table */
    char *key;                    /* RB_RCOL_PARAM: the setting's key, as a flag ("fee-bps", "to") */
    rb_rcol_kind kind;
    int real;                     /* declared REAL or INTEGER: its values are numbers (a REAL parameter
                                     column keeps a per-asset value as text) */
    int fraction;                 /* RB_RCOL_PARAM: the setting's numbers may be percentages */
    const rb_metric_info *metric; /* RB_RCOL_METRIC */
} rb_results_column;

/* The columns of runs in presentation order: base (table order), parameters (table order),
 * metrics (rb_metric_table order), depleted_on. */
typedef struct rb_results_columns {
    rb_results_column *col;
    size_t n;
    int base[RB_RCOL_NBASE]; /* index of each base column; -1 for status and error in a version 1 store */
    int depleted;            /* index of depleted_on, or -1 */
} rb_results_columns;

rb_status rb_results_columns_read(const rb_rconn *c, rb_results_columns *out, rb_error *err);
void rb_results_columns_free(rb_results_columns *cols);

/* The index of a column named name, or of the parameter column of a setting key written as
 * a flag or as its column ("fee-bps", "fee_bps", "to", "to_mode"), or -1. */
int rb_results_columns_find(const rb_results_columns *cols, const char *name);

/* The column of a parameter key: refuses (RB_ERR_DATA, naming path) a key that is empty,
 * too long, not [a-z0-9_-]+ or clashes with a base, metric or outcome column. */
rb_status rb_results_column_of(const char *path, const char *key, char name[RB_RESULTS_KEY_MAX], rb_error *err);

/* rb_results_column_name (rebal.h): the column of runs that holds a setting, also for files
 * that name their columns as the results store does (a run report's summary.csv). */

/* ---------------------------------------------------------------- writing */

/* Inside the caller's write transaction: the tables of a store that has none yet (version
 * 0), the runs table with the parameter columns of `keys` (names: their columns) from the
 * start; *created says it did. When another process created them meanwhile, c->version says
 * so and nothing is done. After the commit, rb_results_schema_created. */
rb_status rb_results_schema_create(rb_rconn *c, const char *const *keys, char names[][RB_RESULTS_KEY_MAX], size_t n,
                                   int *created, rb_error *err);
/* The schema rb_results_schema_create made is committed: commits are durable (NORMAL) from
 * now on, and the store counts as this connection's own (its last checkpoint, at close). */
rb_status rb_results_schema_created(rb_rconn *c, rb_error *err);

/* Adds to runs the metric columns an older build did not write and the parameter columns
 * (names from rb_results_column_of) that no earlier sweep had: REAL for keys whose values
 * are numbers, TEXT for words. Inside the caller's transaction. */
rb_status rb_results_schema_add(const rb_rconn *c, const char *const *keys, char names[][RB_RESULTS_KEY_MAX],
                                size_t n, rb_error *err);

/* INSERT INTO runs (sweep_id, config_id, section, strategy, status, error, <names>,
 * <every metric of rb_metric_table>, depleted_on) VALUES (?, ...): bound in that order. */
rb_status rb_results_schema_insert(const rb_rconn *c, char names[][RB_RESULTS_KEY_MAX], size_t n,
                                   sqlite3_stmt **out, rb_error *err);

/* The stored statuses of a run. */
#define RB_RUN_OK "ok"
#define RB_RUN_FAILED "failed"

/* ---------------------------------------------------------------- sweeps */

/* Room for a stored dataset hash: "v2-" and 16 hex digits, "v3-" and 33 (dataset_hash.h),
 * or the 16 hex digits of earlier builds, and the NUL. */
#define RB_RESULTS_HASH_MAX 40

/* One row of sweeps, with the number of its runs stored and of them failed. */
typedef struct rb_results_sweep {
    int64_t id;
    char *spec; /* malloc'ed */
    char dataset_hash[RB_RESULTS_HASH_MAX];
    char code_version[32];
    int64_t configurations;
    char started_at[32], finished_at[32]; /* finished_at "" while running */
    char status[16];
    int64_t stored, failed;
    char *spec_path; /* malloc'ed: the sweep file's absolute path; NULL for a sweep given as
                      * text, or recorded by a build that did not keep it */
} rb_results_sweep;

/* The latest sweep of this spec text and dataset, finished or not (*id = 0 when none). The
 * dataset is named by dataset_hash or, for a sweep recorded by an earlier build, by
 * legacy_hash (NULL: only dataset_hash). */
rb_status rb_results_sweep_find(const rb_rconn *c, const char *spec, const char *dataset_hash,
                                const char *legacy_hash, int64_t *id, rb_error *err);
/* A new sweep row, 'running', started now; spec_path: the sweep file's absolute path (NULL:
 * given as text). */
rb_status rb_results_sweep_new(const rb_rconn *c, const char *spec, const char *spec_path, const char *dataset_hash,
                               uint64_t configurations, int64_t *id, rb_error *err);
/* Marks a sweep 'running' again (a resume). */
rb_status rb_results_sweep_resume(const rb_rconn *c, int64_t id, rb_error *err);
/* Marks a sweep done, interrupted or failed, finished now. */
rb_status rb_results_sweep_finish(const rb_rconn *c, int64_t id, const char *status, rb_error *err);
/* The statement rb_results_sweep_finish and rb_results_sweep_resume run, prepared once
 * (*st: finalize it), and one run of it: the sweep id's status, finished now (NULL for
 * 'running'); what names the step in a message. The results writer prepares it beside its
 * insert, while the sweep runs, and sets the status at the end without preparing it then. */
rb_status rb_results_status_prepare(const rb_rconn *c, sqlite3_stmt **st, rb_error *err);
rb_status rb_results_status_set(const rb_rconn *c, sqlite3_stmt *st, int64_t id, const char *status, const char *what,
                                rb_error *err);
/* The config ids stored for a sweep, sorted as signed 64-bit integers (malloc'ed). */
rb_status rb_results_sweep_ids(const rb_rconn *c, int64_t id, int64_t **ids, size_t *n, rb_error *err);

/* The sweeps (id 0: every one, by id; else that one, *n = 0 when absent), malloc'ed; free
 * with rb_results_sweeps_free. *latest (may be NULL) gets the largest id, 0 when none. */
rb_status rb_results_sweep_list(const rb_rconn *c, int64_t id, rb_results_sweep **list, size_t *n,
                                int64_t *latest, rb_error *err);
void rb_results_sweeps_free(rb_results_sweep *list, size_t n);

/* ---------------------------------------------------------------- reading */

typedef enum rb_rop { RB_ROP_EQ, RB_ROP_NE, RB_ROP_LT, RB_ROP_LE, RB_ROP_GT, RB_ROP_GE, RB_ROP_IS } rb_rop;

/* What an item of a query's conditions is: a condition on a column, or a link between
 * conditions, in the text's order ("(", "AND", ...). Two operands side by side (a
 * condition or a ")" followed by a condition, "(" or "NOT") are joined by AND, so a plain
 * list of conditions means all of them. */
typedef enum rb_rlink {
    RB_RLINK_COND = 0,
    RB_RLINK_OPEN,
    RB_RLINK_CLOSE,
    RB_RLINK_AND,
    RB_RLINK_OR,
    RB_RLINK_NOT
} rb_rlink;

/* A condition on a column: numbers compare as numbers (a text column's values that are
 * numbers too), other values as text. A comparison with NULL (a parameter the run does not
 * have) is false, so NOT of it is true. */
typedef struct rb_results_cond {
    rb_rlink link;    /* RB_RLINK_COND: the fields below; else a link, the fields unused */
    size_t column;    /* index in rb_results_columns */
    rb_rop op;
    const char *text; /* the value; NULL with RB_ROP_IS: the column is NULL (the setting unset) */
    int as_text;      /* compare as text even when the value reads as a number (it was quoted) */
} rb_results_cond;

typedef enum rb_rstatus { RB_RUNS_OK = 0, RB_RUNS_FAILED, RB_RUNS_ANY } rb_rstatus;

/* Which runs of a sweep, in which order. Zeroed: every ok run of sweep 0 by config_id. */
typedef struct rb_results_query {
    int64_t sweep_id;
    rb_rstatus status;
    const char *section;   /* NULL: every section */
    const char *strategy;  /* NULL: every strategy */
    int not_strategy;      /* 1: every strategy but that one */
    int has_config_id;
    int64_t config_id;
    const rb_results_cond *cond;
    size_t ncond;
    const char *by;        /* a metric column: best first (rb_results_ascending), undefined last,
                              ties by config_id; NULL: by config_id */
    int section_first;     /* order by section before the metric */
    uint64_t limit;        /* 0: every run */
} rb_results_query;

/* What a statement selects: the runs' columns, their count, or one column's distinct values. */
typedef enum rb_rselect { RB_RSELECT_ROWS, RB_RSELECT_COUNT, RB_RSELECT_DISTINCT } rb_rselect;

/* Prepares and binds the SELECT of q over the columns (every column in cols order for
 * RB_RSELECT_ROWS; count(*); the distinct values of column `distinct`). */
rb_status rb_results_schema_select(const rb_rconn *c, const rb_results_columns *cols, const rb_results_query *q,
                                   rb_rselect what, size_t distinct, sqlite3_stmt **out, rb_error *err);

/* 1 when lower values of the metric are better (max_drawdown, ann_vol, tracking_error,
 * turnover and the *_paid costs): the order rebal runs and reports rank by. */
int rb_results_ascending(const char *metric);

/* A parameter value stored as text that is a number (a percentage for a fraction setting):
 * *out gets it. */
int rb_results_number_text(const char *text, int fraction, double *out);

#endif /* RB_RESULTS_SCHEMA_H */
