/* sql.c - the SQLite plumbing of the results store (sql.h). */
#include "sql.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

rb_status rb_rsql_fail(const rb_rconn *c, rb_error *err, const char *what)
{
    int code = sqlite3_extended_errcode(c->db) & 0xff;
    const char *msg = sqlite3_errmsg(c->db);
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
        return rb_fail(err, RB_ERR_SCHEMA, "%s: database is corrupt or not a SQLite database (%s: %s)", c->path,
                       what, msg);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return rb_fail(err, RB_ERR_DB, "%s: database is locked by another process (%s)", c->path, what);
    if (code == SQLITE_FULL) return rb_fail(err, RB_ERR_IO, "%s: disk full (%s)", c->path, what);
    if (code == SQLITE_READONLY) return rb_fail(err, RB_ERR_DB, "%s: database is read-only (%s)", c->path, what);
    return rb_fail(err, RB_ERR_DB, "%s: %s: %s", c->path, what, msg);
}

rb_status rb_rsql_exec(const rb_rconn *c, const char *sql, const char *what, rb_error *err)
{
    if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK) return rb_rsql_fail(c, err, what);
    return RB_OK;
}

rb_status rb_rsql_prepare(const rb_rconn *c, const char *sql, sqlite3_stmt **out, rb_error *err)
{
    if (sqlite3_prepare_v2(c->db, sql, -1, out, NULL) != SQLITE_OK) {
        *out = NULL;
        return rb_rsql_fail(c, err, "preparing a statement");
    }
    return RB_OK;
}

void rb_rsql_rollback(const rb_rconn *c)
{
    if (!sqlite3_get_autocommit(c->db)) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

rb_status rb_rsql_int(const rb_rconn *c, const char *sql, int64_t *out, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_rsql_prepare(c, sql, &st, err);
    if (rc != RB_OK) return rc;
    if (sqlite3_step(st) == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    else rc = rb_rsql_fail(c, err, sql);
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_rsql_has_column(const rb_rconn *c, const char *table, const char *column, int64_t *has, rb_error *err)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'", table, column);
    return rb_rsql_int(c, sql, has, err);
}

rb_status rb_rsql_text_open(rb_rsql_text *t, rb_error *err)
{
    t->s = NULL;
    t->n = 0;
    t->f = open_memstream(&t->s, &t->n);
    return t->f ? RB_OK : rb_fail(err, RB_ERR_NOMEM, "out of memory building a statement");
}

char *rb_rsql_text_close(rb_rsql_text *t, rb_error *err)
{
    int bad = ferror(t->f);
    if (fclose(t->f) != 0 || bad) {
        free(t->s);
        rb_fail(err, RB_ERR_NOMEM, "out of memory building a statement");
        return NULL;
    }
    return t->s;
}

rb_status rb_rsql_text_prepare(const rb_rconn *c, rb_rsql_text *t, sqlite3_stmt **out, rb_error *err)
{
    char *sql = rb_rsql_text_close(t, err);
    if (!sql) return RB_ERR_NOMEM;
    rb_status rc = rb_rsql_prepare(c, sql, out, err);
    free(sql);
    return rc;
}
