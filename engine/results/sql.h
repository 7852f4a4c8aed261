/* sql.h - the SQLite plumbing of the results store's modules (schema, writer, reader): one
 * connection with its path for messages, errors turned into one-line rb_errors, statements
 * and pragmas, and SQL text built in memory. Knows no table. Internal to engine/results/. */
#ifndef RB_RESULTS_SQL_H
#define RB_RESULTS_SQL_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "rebal.h"

/* An open results store: the connection, its path and the schema version it holds. */
typedef struct rb_rconn {
    sqlite3 *db;
    char *path;
    int version; /* results schema version of the file (user_version) */
    int fresh;   /* this connection created the file's schema: nothing older is in it */
    int created; /* this open created the file (there was none at the path) */
    /* a fresh store's last checkpoint, taken before the close by its caller (writer.c):
     * 1 whole and synced, -1 whole but not synced; 0: the close takes it */
    int settled;
    /* this open created the store in rollback-journal mode, for a brief sweep (schema.c,
     * rb_results_schema_unbrief): its commits unsynced until the sync of its last checkpoint */
    int brief;
} rb_rconn;

/* "PATH: WHAT: sqlite message", with the common cases (corrupt, locked, full, read-only)
 * said in words. Returns the status. */
rb_status rb_rsql_fail(const rb_rconn *c, rb_error *err, const char *what);

rb_status rb_rsql_exec(const rb_rconn *c, const char *sql, const char *what, rb_error *err);
rb_status rb_rsql_prepare(const rb_rconn *c, const char *sql, sqlite3_stmt **out, rb_error *err);
/* ROLLBACK when a transaction is open; never fails (it is the cleanup). */
void rb_rsql_rollback(const rb_rconn *c);
/* The integer a one-row statement (a pragma, a count) gives. */
rb_status rb_rsql_int(const rb_rconn *c, const char *sql, int64_t *out, rb_error *err);
/* 1 in *has when table has a column named column, else 0 (both names the caller's literals). */
rb_status rb_rsql_has_column(const rb_rconn *c, const char *table, const char *column, int64_t *has, rb_error *err);

/* SQL text built with open_memstream. */
typedef struct rb_rsql_text {
    FILE *f;
    char *s;
    size_t n;
} rb_rsql_text;

rb_status rb_rsql_text_open(rb_rsql_text *t, rb_error *err);
/* Closes the stream: the text (malloc'ed), or NULL on failure (err filled). */
char *rb_rsql_text_close(rb_rsql_text *t, rb_error *err);
/* Closes t and prepares its text. */
rb_status rb_rsql_text_prepare(const rb_rconn *c, rb_rsql_text *t, sqlite3_stmt **out, rb_error *err);

#endif /* RB_RESULTS_SQL_H */
