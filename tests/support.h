/* support.h - helpers shared by the Criterion suites: scratch directories, small files,
 * byte comparison of files, and running the rebal binary. */
#ifndef RB_TEST_SUPPORT_H
#define RB_TEST_SUPPORT_H

#include <stddef.h>

/* A fresh directory under $TMPDIR (or /tmp), removed with its contents by rbt_rmtree.
 * Returns a malloc'ed path; aborts the test on failure. */
char *rbt_tempdir(void);
void rbt_rmtree(const char *dir);

/* dir + "/" + name, malloc'ed. */
char *rbt_path(const char *dir, const char *name);

/* Writes text to dir/name (creating it) and returns the malloc'ed path. */
char *rbt_write_file(const char *dir, const char *name, const char *text);

/* Reads a whole file into a malloc'ed NUL-terminated buffer (len may be NULL); NULL if absent. */
char *rbt_read_file(const char *path, size_t *len);

/* 1 if both files exist and hold the same bytes, or neither exists; else 0. */
int rbt_same_bytes(const char *a, const char *b);

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

#endif /* RB_TEST_SUPPORT_H */
