/* schema_sweeps.c - the rows of the sweeps table (schema.h): a new sweep, the one a resume
 * continues, its end, the config ids it has stored, and the list the reader shows. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "schema.h"
#include "alloc.h"

static void now_iso(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

rb_status rb_results_sweep_find(const rb_rconn *c, const char *spec, const char *dataset_hash,
                                const char *legacy_hash, int64_t *id, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_rsql_prepare(c,
                                   "SELECT id FROM sweeps WHERE spec = ?1 AND (dataset_hash IS ?2 OR dataset_hash IS ?3) "
                                   "ORDER BY id DESC LIMIT 1",
                                   &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_text(st, 1, spec, -1, SQLITE_STATIC);
    if (dataset_hash) sqlite3_bind_text(st, 2, dataset_hash, -1, SQLITE_STATIC);
    /* no legacy hash: the same condition twice */
    if (legacy_hash || dataset_hash) sqlite3_bind_text(st, 3, legacy_hash ? legacy_hash : dataset_hash, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    else if (step == SQLITE_DONE) *id = 0;
    else rc = rb_rsql_fail(c, err, "looking for a sweep to resume");
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_results_sweep_new(const rb_rconn *c, const char *spec, const char *spec_path, const char *dataset_hash,
                               uint64_t configurations, int64_t *id, rb_error *err)
{
    char now[32];
    now_iso(now);
    sqlite3_stmt *st;
    rb_status rc = rb_rsql_prepare(c,
                                   "INSERT INTO sweeps (spec, dataset_hash, code_version, configurations, started_at, "
                                   "status, spec_path) VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6)",
                                   &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_text(st, 1, spec, -1, SQLITE_STATIC);
    if (spec_path) sqlite3_bind_text(st, 6, spec_path, -1, SQLITE_STATIC);
    if (dataset_hash) sqlite3_bind_text(st, 2, dataset_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, RB_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (int64_t)configurations);
    sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = rb_rsql_fail(c, err, "recording a new sweep");
    else *id = sqlite3_last_insert_rowid(c->db);
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_results_status_prepare(const rb_rconn *c, sqlite3_stmt **st, rb_error *err)
{
    return rb_rsql_prepare(c, "UPDATE sweeps SET status = ?1, finished_at = ?2 WHERE id = ?3", st, err);
}

rb_status rb_results_status_set(const rb_rconn *c, sqlite3_stmt *st, int64_t id, const char *status, const char *what,
                                rb_error *err)
{
    char now[32];
    now_iso(now);
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    if (strcmp(status, "running") != 0) sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, id);
    rb_status rc = sqlite3_step(st) == SQLITE_DONE ? RB_OK : rb_rsql_fail(c, err, what);
    sqlite3_reset(st); /* the bound texts are this call's: none is kept past it */
    sqlite3_clear_bindings(st);
    return rc;
}

/* UPDATE sweeps SET status (and finished_at, NULL for 'running') of sweep id. */
static rb_status set_status(const rb_rconn *c, int64_t id, const char *status, const char *what, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_results_status_prepare(c, &st, err);
    if (rc != RB_OK) return rc;
    rc = rb_results_status_set(c, st, id, status, what, err);
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_results_sweep_resume(const rb_rconn *c, int64_t id, rb_error *err)
{
    return set_status(c, id, "running", "resuming a sweep", err);
}

rb_status rb_results_sweep_finish(const rb_rconn *c, int64_t id, const char *status, rb_error *err)
{
    return set_status(c, id, status, "finishing the sweep", err);
}

rb_status rb_results_sweep_ids(const rb_rconn *c, int64_t id, int64_t **out, size_t *n, rb_error *err)
{
    sqlite3_stmt *st;
    /* The primary key (sweep_id, config_id) returns them sorted as signed 64-bit integers,
     * the order the caller's binary search uses. */
    rb_status rc = rb_rsql_prepare(c, "SELECT config_id FROM runs WHERE sweep_id = ?1 ORDER BY config_id", &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, id);
    int64_t *ids = NULL;
    size_t count = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? 2 * cap : 1024;
            int64_t *grown = rb_realloc(ids, ncap * sizeof *grown);
            if (!grown) {
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory reading the stored runs of sweep %lld", (long long)id);
                break;
            }
            ids = grown;
            cap = ncap;
        }
        ids[count++] = sqlite3_column_int64(st, 0);
    }
    if (rc == RB_OK && step != SQLITE_DONE) rc = rb_rsql_fail(c, err, "reading the stored runs");
    sqlite3_finalize(st);
    if (rc != RB_OK) {
        free(ids);
        return rc;
    }
    *out = ids;
    *n = count;
    return RB_OK;
}

void rb_results_sweeps_free(rb_results_sweep *list, size_t n)
{
    for (size_t i = 0; i < n; i++) free(list[i].spec), free(list[i].spec_path);
    free(list);
}

static void copy_text(sqlite3_stmt *st, int col, char *out, size_t len)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    snprintf(out, len, "%s", s ? (const char *)s : "");
}

/* One row of the list query into s; 0 when out of memory. */
static int read_sweep(sqlite3_stmt *st, rb_results_sweep *s)
{
    memset(s, 0, sizeof *s);
    s->id = sqlite3_column_int64(st, 0);
    const unsigned char *spec = sqlite3_column_text(st, 1);
    if (!(s->spec = rb_strdup(spec ? (const char *)spec : ""))) return 0;
    copy_text(st, 2, s->dataset_hash, sizeof s->dataset_hash);
    copy_text(st, 3, s->code_version, sizeof s->code_version);
    s->configurations = sqlite3_column_int64(st, 4);
    copy_text(st, 5, s->started_at, sizeof s->started_at);
    copy_text(st, 6, s->finished_at, sizeof s->finished_at);
    copy_text(st, 7, s->status, sizeof s->status);
    s->stored = sqlite3_column_int64(st, 8);
    s->failed = sqlite3_column_int64(st, 9);
    const unsigned char *path = sqlite3_column_text(st, 10);
    if (path && !(s->spec_path = rb_strdup((const char *)path))) {
        free(s->spec); /* the row is not kept: nothing of it may stay */
        s->spec = NULL;
        return 0;
    }
    return 1;
}

rb_status rb_results_sweep_list(const rb_rconn *c, int64_t id, rb_results_sweep **out, size_t *n, int64_t *latest,
                                rb_error *err)
{
    *out = NULL;
    *n = 0;
    int64_t max = 0;
    rb_status rc = rb_rsql_int(c, "SELECT coalesce(max(id), 0) FROM sweeps", &max, err);
    if (rc != RB_OK) return rc;
    if (latest) *latest = max;
    /* A version 1 store has no status column: none of its runs failed. Stores of builds
     * before spec_path have none. A schema this connection made has both (c->fresh; columns
     * are only ever added): not asked again (two statements of the best runs' report after a
     * sweep). */
    int64_t has_status = c->fresh, has_path = c->fresh;
    if (!c->fresh) rc = rb_rsql_has_column(c, "runs", "status", &has_status, err);
    if (rc == RB_OK && !c->fresh) rc = rb_rsql_has_column(c, "sweeps", "spec_path", &has_path, err);
    if (rc != RB_OK) return rc;
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT id, spec, dataset_hash, code_version, configurations, started_at, finished_at, status, "
             "(SELECT count(*) FROM runs WHERE sweep_id = id), %s, %s FROM sweeps WHERE ?1 = 0 OR id = ?1 ORDER BY id",
             has_status ? "(SELECT count(*) FROM runs WHERE sweep_id = id AND status = '" RB_RUN_FAILED "')" : "0",
             has_path ? "spec_path" : "NULL");
    sqlite3_stmt *st;
    if ((rc = rb_rsql_prepare(c, sql, &st, err)) != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, id);
    rb_results_sweep *list = NULL;
    size_t count = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        rb_results_sweep *grown = rb_realloc(list, (count + 1) * sizeof *grown);
        if (grown) list = grown;
        if (!grown || !read_sweep(st, &list[count])) {
            rc = rb_fail(err, RB_ERR_NOMEM, "out of memory reading the sweeps of %s", c->path);
            break;
        }
        count++;
    }
    if (rc == RB_OK && step != SQLITE_DONE) rc = rb_rsql_fail(c, err, "reading the sweeps");
    sqlite3_finalize(st);
    if (rc != RB_OK) {
        rb_results_sweeps_free(list, count);
        return rc;
    }
    *out = list;
    *n = count;
    return RB_OK;
}
