/* results_check.h - helpers of the results store suites (test_results, test_runs,
 * test_sweep_run): SQLite queries on a store, the writer's calls that must succeed, metrics
 * by name, the rows of a synthetic sweep and comparisons of stored runs. */
#ifndef RB_RESULTS_CHECK_H
#define RB_RESULTS_CHECK_H

#include <sqlite3.h>
#include <stdint.h>

#include "rebal.h"
#include "results/writer.h"

sqlite3 *db_open(const char *path);
int64_t query_int(sqlite3 *db, const char *sql);
/* The first column of the first row as text (malloc'ed; NULL for SQL NULL). */
char *query_text(sqlite3 *db, const char *sql);
void exec_sql(sqlite3 *db, const char *sql);
void assert_integrity(const char *path);

rb_results *open_ok(const char *path);
void begin_ok(rb_results *r, const char *spec, const char *hash, uint64_t n, const char *const *keys, size_t nkeys,
              int resume, int *resumed, int64_t **done, size_t *ndone);
void end_ok(rb_results *r, const char *status);
void put_ok(rb_results *r, const rb_result_row *row);
/* Empty runs (section s, strategy calendar) of the given ids. */
void put_ids(rb_results *r, const int64_t *ids, size_t n);

void set_metric(rb_metrics *m, const char *name, double v);
double get_metric(const rb_metrics *m, size_t i);

/* ---- generated rows: row i of a synthetic sweep, its id and everything stored */

extern const char *const gen_keys[];
#define NGEN_KEYS 3

typedef struct gen_row {
    char section[32], strategy[16], band[16], every[16], fee[16];
    rb_sweep_kv kv[NGEN_KEYS];
    rb_metrics metrics;
    rb_result_row row; /* its metrics: the ones above */
} gen_row;

/* splitmix64: distinct, well spread 63-bit ids like rb_sweep_config_id's. */
int64_t gen_id(size_t i);
void gen(size_t i, gen_row *g);
void put_gen(rb_results *r, size_t from, size_t to);
/* Checks sweep's row of generated configuration i column by column. */
void check_gen_row(sqlite3_stmt *st, int64_t sweep, size_t i);
/* SELECT section, strategy, band, every, fee_bps, <metrics> by (sweep, config). */
sqlite3_stmt *prepare_row_query(sqlite3 *db);
void check_gen_rows(const char *path, int64_t sweep, size_t n);

/* Every stored column of two sweeps, row by row (sweep_id aside): identical. */
void assert_same_runs(const char *a, int64_t sa, const char *b, int64_t sb);

/* The same, matching columns by name (the stores may order them differently) and skipping
 * the columns named in skip (NULL-terminated; sweep_id is always skipped); where is an extra
 * SQL condition on both (NULL: every run). */
void assert_same_runs_by_name(const char *a, int64_t sa, const char *b, int64_t sb, const char *where,
                              const char *const *skip);

int cmp_id(const void *a, const void *b);

#endif /* RB_RESULTS_CHECK_H */
