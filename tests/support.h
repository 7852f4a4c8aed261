/* support.h - helpers shared by the Criterion suites: scratch directories, small files,
 * byte comparison of files, and running the rebal binary. */
#ifndef RB_TEST_SUPPORT_H
#define RB_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* A fresh directory under $TMPDIR (or /tmp), removed with its contents by rbt_rmtree.
 * Returns a malloc'ed path; aborts the test on failure. */
char *rbt_tempdir(void);
void rbt_rmtree(const char *dir);

/* dir + "/" + name, malloc'ed. */
char *rbt_path(const char *dir, const char *name);

/* Makes the directory dir/name (it may exist already) and returns its malloc'ed path. */
char *rbt_subdir(const char *dir, const char *name);

/* Writes text to dir/name (creating it) and returns the malloc'ed path. */
char *rbt_write_file(const char *dir, const char *name, const char *text);

/* Reads a whole file into a malloc'ed NUL-terminated buffer (len may be NULL); NULL if absent. */
char *rbt_read_file(const char *path, size_t *len);

/* 1 if two numbers have the same bits (+0 and -0 apart, a NaN equal to itself): what "to the
 * bit" means in the suites that hold two computations to each other. */
int rbt_same_bits(double a, double b);

/* 1 if both files exist and hold the same bytes, or neither exists; else 0. */
int rbt_same_bytes(const char *a, const char *b);

/* The same for two SQLite stores, but for the two counters in the file header that SQLite
 * moves whenever a writer had the file (the file change counter at offset 24 and the
 * version-valid-for number at 92): a writer that takes the store into WAL mode for its
 * transaction and back to rollback-journal mode at its close moves them even when it
 * stores nothing (a refused conflict, an import of nothing new). */
int rbt_same_store(const char *a, const char *b);

/* Copies a file byte for byte; aborts the test on failure. */
void rbt_copy_file(const char *from, const char *to);

/* Path of a file in the source tree, e.g. rbt_source_path("data/bundled/sp500_daily.csv"). */
char *rbt_source_path(const char *rel);

/* Runs the rebal binary ($REBAL_BIN) with the given argv (NULL-terminated, without argv[0]),
 * optional environment overrides ("NAME=value" strings, NULL-terminated, may be NULL), in
 * directory cwd (NULL = current). Captures stdout and stderr (malloc'ed) and returns the
 * exit status (or 128 + signal). */
typedef struct rbt_run_result {
    int status;
    char *out;
    char *err;
} rbt_run_result;
rbt_run_result rbt_run(const char *cwd, const char *const *env, const char *const *argv);

/* The same for another program, found on $PATH. */
rbt_run_result rbt_run_program(const char *cwd, const char *program, const char *const *argv);
void rbt_run_result_free(rbt_run_result *r);

/* rbt_run of the rebal command in cwd, which must exit 0 (else the test fails, quoting its
 * stderr); its output is dropped. */
void rbt_run_ok(const char *cwd, const char *const *argv);

/* ---------------------------------------------------------------- runs */

#include "rebal.h"

#define RBT_KV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define RBT_KEEP_ALL (RB_KEEP_CURVE | RB_KEEP_TRADES | RB_KEEP_LOTS)

/* got within rel * max(1, |want|) of want. */
void rbt_assert_close(double got, double want, double rel, const char *what);

/* An in-memory store holding csv (written to dir/prices.csv and imported; symbol names
 * the symbol of a one-symbol OHLCV file, else NULL). */
rb_store *rbt_store_from_csv(const char *dir, const char *csv, const char *symbol);

/* The hand-worked pool cases' prices (X at 100, 125, 80 on 2020-01-01..03), and a store of
 * them with the series depth-X (1e6 from 2020-01-01, 4e6 from 2020-01-03): the depth-series
 * and concentrated-liquidity suites work their numbers on it. */
extern const char rbt_three_bars[];
rb_store *rbt_three_bar_depth_store(const char *dir);

/* An in-memory store holding the bundled file data/bundled/NAME (imported through dir). */
rb_store *rbt_bundled_store(const char *dir, const char *name);

/* A run spec from settings (key, value, key, value, ..., NULL); each must be accepted. */
rb_run_spec *rbt_spec(const char *const *kv);

/* rb_run of settings on a store / on a CSV; the run must succeed. */
rb_run_result *rbt_run_store(rb_store *store, const char *const *kv, unsigned keep);
rb_run_result *rbt_run_csv(const char *dir, const char *csv, const char *const *kv, unsigned keep);

/* Settings on a CSV that must fail, in rb_run_spec_set or rb_run, with a one-line message
 * containing needle. Returns the status. */
rb_status rbt_run_expect_error(const char *dir, const char *csv, const char *const *kv, const char *needle);

/* ---------------------------------------------------------------- no look-ahead */

/* Closes of X and Y (px[t * 2], px[t * 2 + 1]) over T daily bars from 100 and 50: calm
 * stretches and storms in turn (20 bars each), from a xorshift64 stream seeded by seed. */
void rbt_random_walk(size_t T, double *px, uint64_t seed);

/* Runs a and b (kept with RBT_KEEP_ALL) hold the same bits on bars 0..k: values, cash,
 * weights, targets in force, and every order up to k. */
void rbt_same_up_to(const rb_run_result *a, const rb_run_result *b, size_t k, const char *what);

/* ---------------------------------------------------------------- watching another process
 * Tests wait for what they need to see, never for a fixed time: CI runs on loaded machines. */

/* The integer the query gives on the SQLite file at path, opened read-only (the way `rebal
 * runs` reads a results store while a sweep writes it); -1 while the file is absent or the
 * query fails (its tables are not created yet). */
long long rbt_sqlite_int(const char *path, const char *sql);

/* Calls check(ctx) about every millisecond until it returns nonzero, for at most `seconds`
 * (a generous deadline, not a pause). Returns 1 when it held, 0 when the deadline passed. */
int rbt_wait_until(int (*check)(void *ctx), void *ctx, double seconds);

/* The threads of this process (its entries in /proc/self/task). */
int rbt_thread_count(void);
/* For rbt_wait_until: 1 once the process has at most *(const int *)ctx threads (a joined or
 * detached helper may still be listed a moment while the kernel reaps it). */
int rbt_threads_at_most(void *ctx);

#endif /* RB_TEST_SUPPORT_H */
