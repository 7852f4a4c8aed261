/* results.c - the results store of sweeps (engine/results.h): opening with the same checks
 * as the price store, parameter columns added on demand, resumable sweeps, the writer thread
 * that batches rows into transactions, and the query behind `rebal runs`. */
#include "results.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "error.h"
#include "store.h"
#include "text.h"

#define RESULTS_SCHEMA_VERSION 1

/* Writer batching: the queue holds at most QUEUE_ROWS rows (a full queue makes rb_results_put
 * wait); a transaction commits after TXN_ROWS rows or TXN_NS nanoseconds after its first row,
 * whichever comes first, so a kill loses at most that much work and resume redoes it. */
#define QUEUE_ROWS 4096
#define TXN_ROWS 2000
#define TXN_NS 200000000L
#define BUSY_TIMEOUT_MS 5000
#define KEY_MAX 64 /* bytes of a parameter key, NUL included */

static const char *const base_columns[] = {"sweep_id", "config_id", "section", "strategy"};
#define NBASE (sizeof base_columns / sizeof base_columns[0])

/* The date a withdrawal emptied the portfolio (rb_metrics.depleted_on), NULL when it did
 * not: the one outcome of a run that is not a REAL metric. Placed after the metrics. */
#define DEPLETED_COLUMN "depleted_on"

/* One row waiting for the writer: one allocation holding the strings too. */
typedef struct queued_row {
    int64_t config_id;
    rb_metrics metrics;
    char *text[]; /* section, strategy, then one value per parameter column (NULL = unset) */
} queued_row;

/* A parameter key of the current sweep and its column, sorted by key for bsearch. */
typedef struct key_column {
    const char *key;
    size_t column;
} key_column;

struct rb_results {
    sqlite3 *db;
    char *path;
    int readonly;
    const rb_metric_info *metric;
    size_t nmetric;

    /* The sweep being recorded (between rb_results_begin and rb_results_end); fixed while
     * the writer runs, so the writer and put read them without the lock. */
    int active;
    int64_t sweep_id;
    size_t ncols;      /* parameter columns of this sweep */
    char **keys;       /* their keys as the caller gave them */
    key_column *index; /* the keys sorted */
    sqlite3_stmt *insert;
    pthread_t thread;

    /* The queue, shared by the simulation threads and the writer. */
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    queued_row *queue[QUEUE_ROWS];
    size_t head, count;
    int stop;       /* no more rows: drain, commit and exit */
    int failed;     /* the writer stopped on werr */
    rb_error werr;
};

/* ---------------------------------------------------------------- SQLite helpers */

static rb_status sql_error(sqlite3 *db, const char *path, rb_error *err, const char *what)
{
    int code = sqlite3_extended_errcode(db) & 0xff;
    const char *msg = sqlite3_errmsg(db);
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
        return rb_fail(err, RB_ERR_SCHEMA, "%s: database is corrupt or not a SQLite database (%s: %s)", path, what,
                       msg);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return rb_fail(err, RB_ERR_DB, "%s: database is locked by another process (%s)", path, what);
    if (code == SQLITE_FULL) return rb_fail(err, RB_ERR_IO, "%s: disk full (%s)", path, what);
    if (code == SQLITE_READONLY) return rb_fail(err, RB_ERR_DB, "%s: database is read-only (%s)", path, what);
    return rb_fail(err, RB_ERR_DB, "%s: %s: %s", path, what, msg);
}

static rb_status db_error(rb_results *r, rb_error *err, const char *what)
{
    return sql_error(r->db, r->path, err, what);
}

static rb_status exec(rb_results *r, const char *sql, const char *what, rb_error *err)
{
    if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK) return db_error(r, err, what);
    return RB_OK;
}

static rb_status prepare(rb_results *r, const char *sql, sqlite3_stmt **out, rb_error *err)
{
    if (sqlite3_prepare_v2(r->db, sql, -1, out, NULL) != SQLITE_OK) {
        *out = NULL;
        return db_error(r, err, "preparing a statement");
    }
    return RB_OK;
}

static void rollback(rb_results *r)
{
    if (!sqlite3_get_autocommit(r->db)) sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
}

static rb_status pragma_int(rb_results *r, const char *pragma, int64_t *out, rb_error *err)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA %s", pragma);
    sqlite3_stmt *st;
    rb_status rc = prepare(r, sql, &st, err);
    if (rc != RB_OK) return rc;
    if (sqlite3_step(st) == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    else rc = db_error(r, err, sql);
    sqlite3_finalize(st);
    return rc;
}

static rb_status count_tables(rb_results *r, int64_t *out, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = prepare(r, "SELECT count(*) FROM sqlite_schema", &st, err);
    if (rc != RB_OK) return rc;
    if (sqlite3_step(st) == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    else rc = db_error(r, err, "reading the schema");
    sqlite3_finalize(st);
    return rc;
}

/* Text built with open_memstream: the SQL of the CREATE, INSERT and SELECT statements. */
typedef struct text_buf {
    FILE *f;
    char *s;
    size_t n;
} text_buf;

static rb_status text_open(text_buf *t, rb_error *err)
{
    t->s = NULL;
    t->n = 0;
    t->f = open_memstream(&t->s, &t->n);
    return t->f ? RB_OK : rb_fail(err, RB_ERR_NOMEM, "out of memory building a statement");
}

/* Closes the stream; returns the text (malloc'ed) or NULL on failure (err filled). */
static char *text_close(text_buf *t, rb_error *err)
{
    int bad = ferror(t->f);
    if (fclose(t->f) != 0 || bad) {
        free(t->s);
        rb_fail(err, RB_ERR_NOMEM, "out of memory building a statement");
        return NULL;
    }
    return t->s;
}

/* ---------------------------------------------------------------- opening */

/* Checks the opened file is a results store this build understands; *version gets its
 * schema version, 0 for a database with no tables at all (adopted when writing). */
static rb_status check_schema(rb_results *r, int64_t *version, rb_error *err)
{
    int64_t app = 0, ver = 0, tables = 0;
    rb_status rc = pragma_int(r, "application_id", &app, err);
    if (rc == RB_OK) rc = pragma_int(r, "user_version", &ver, err);
    if (rc == RB_OK) rc = count_tables(r, &tables, err);
    if (rc != RB_OK) return rc;

    if (app == RB_RESULTS_STORE_APP_ID) {
        if (ver > RESULTS_SCHEMA_VERSION)
            return rb_fail(err, RB_ERR_SCHEMA,
                           "%s: written by a newer rebal (results schema version %lld; this build reads up to %d): "
                           "upgrade rebal",
                           r->path, (long long)ver, RESULTS_SCHEMA_VERSION);
        if (ver < 1)
            return rb_fail(err, RB_ERR_SCHEMA, "%s: invalid results schema version %lld", r->path, (long long)ver);
        *version = ver;
        return RB_OK;
    }
    if (app == 0 && ver == 0 && tables == 0) {
        *version = 0;
        return RB_OK;
    }
    return rb_store_wrong_kind(r->path, app, RB_RESULTS_STORE_APP_ID, err);
}

/* Creates the schema of an empty database in one transaction. Another process may have
 * created it between our check and our write lock: then there is nothing to do. */
static rb_status create_schema(rb_results *r, rb_error *err)
{
    rb_status rc = exec(r, "BEGIN IMMEDIATE", "creating the results schema", err);
    if (rc != RB_OK) return rc;
    int64_t app = 0, tables = 0;
    rc = pragma_int(r, "application_id", &app, err);
    if (rc == RB_OK) rc = count_tables(r, &tables, err);
    if (rc == RB_OK && app == RB_RESULTS_STORE_APP_ID) return exec(r, "COMMIT", "creating the results schema", err);
    if (rc == RB_OK && tables > 0)
        rc = rb_fail(err, RB_ERR_SCHEMA, "%s: another program created tables in this file meanwhile", r->path);

    text_buf t;
    if (rc == RB_OK) rc = text_open(&t, err);
    if (rc != RB_OK) {
        rollback(r);
        return rc;
    }
    fputs("CREATE TABLE sweeps (\n"
          "  id             INTEGER PRIMARY KEY,\n"
          "  spec           TEXT NOT NULL,\n"
          "  dataset_hash   TEXT,\n"
          "  code_version   TEXT NOT NULL,\n"
          "  configurations INTEGER NOT NULL,\n"
          "  started_at     TEXT NOT NULL,\n"  /* ISO 8601 UTC */
          "  finished_at    TEXT,\n"           /* ISO 8601 UTC; NULL while running */
          "  status         TEXT NOT NULL CHECK (status IN ('running', 'done', 'interrupted', 'failed'))\n"
          ");\n"
          "CREATE TABLE runs (\n"
          "  sweep_id  INTEGER NOT NULL REFERENCES sweeps(id),\n"
          "  config_id INTEGER NOT NULL,\n"
          "  section   TEXT,\n"
          "  strategy  TEXT,\n",
          t.f);
    for (size_t m = 0; m < r->nmetric; m++) fprintf(t.f, "  \"%s\" REAL,\n", r->metric[m].name);
    fputs("  \"" DEPLETED_COLUMN "\" TEXT,\n", t.f);
    fprintf(t.f, "  PRIMARY KEY (sweep_id, config_id)\n"
                 ") WITHOUT ROWID;\n"
                 "PRAGMA application_id = %d;\n"
                 "PRAGMA user_version = %d;\n",
            RB_RESULTS_STORE_APP_ID, RESULTS_SCHEMA_VERSION);
    char *sql = text_close(&t, err);
    if (!sql) {
        rollback(r);
        return RB_ERR_NOMEM;
    }
    rc = exec(r, sql, "creating the results schema", err);
    free(sql);
    if (rc == RB_OK) rc = exec(r, "COMMIT", "creating the results schema", err);
    if (rc != RB_OK) rollback(r);
    return rc;
}

static void results_close(rb_results *r)
{
    if (r->db) sqlite3_close_v2(r->db);
    pthread_cond_destroy(&r->not_full);
    pthread_cond_destroy(&r->not_empty);
    pthread_mutex_destroy(&r->mu);
    free(r->path);
    free(r);
}

/* Opens path for writing (creating the schema) or read-only (for queries). */
static rb_status open_results(const char *path, int readonly, rb_results **out, rb_error *err)
{
    if (!path || !*path) return rb_fail(err, RB_ERR_USAGE, "no results store path given");
    if (!sqlite3_threadsafe())
        return rb_fail(err, RB_ERR_DB, "%s: this SQLite library was built without thread support", path);
    int memory = strcmp(path, ":memory:") == 0;
    int exists = 0;
    int content = memory ? 0 : rb_file_has_content(path, &exists);
    if (content < 0) return rb_fail(err, RB_ERR_IO, "%s: %s", path, strerror(errno));
    if (readonly && !memory && !exists) return rb_fail(err, RB_ERR_NOT_FOUND, "%s: no such results store", path);
    if (readonly && !memory && !content)
        return rb_fail(err, RB_ERR_NOT_FOUND, "%s: empty results store (no sweep recorded yet)", path);
    if (content) {
        rb_status rc = rb_sqlite_check_header(path, err);
        if (rc != RB_OK) return rc;
    }

    rb_results *r = calloc(1, sizeof *r);
    if (!r) return rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", path);
    /* Deadlines of the writer are on the monotonic clock: a wall-clock step must not stall
     * or hurry the commits. */
    pthread_condattr_t attr;
    int ok = pthread_condattr_init(&attr) == 0;
    if (ok) {
        ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 && pthread_mutex_init(&r->mu, NULL) == 0;
        if (ok && pthread_cond_init(&r->not_empty, &attr) != 0) {
            pthread_mutex_destroy(&r->mu);
            ok = 0;
        }
        if (ok && pthread_cond_init(&r->not_full, &attr) != 0) {
            pthread_cond_destroy(&r->not_empty);
            pthread_mutex_destroy(&r->mu);
            ok = 0;
        }
        pthread_condattr_destroy(&attr);
    }
    if (!ok) {
        free(r);
        return rb_fail(err, RB_ERR_NOMEM, "%s: cannot create the writer's lock", path);
    }
    r->readonly = readonly;
    r->metric = rb_metric_table(&r->nmetric);
    if (!(r->path = strdup(path))) {
        results_close(r);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", path);
    }

    /* NOMUTEX: the connection is used by one thread at a time (the caller, or the writer
     * between rb_results_begin and rb_results_end), ordered by pthread_create/join. */
    int oflags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
    rb_status rc = RB_OK;
    if (sqlite3_open_v2(path, &r->db, oflags, NULL) != SQLITE_OK) {
        rc = r->db ? db_error(r, err, "opening") : rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", path);
        goto fail;
    }
    sqlite3_extended_result_codes(r->db, 1);
    sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS);

    int64_t version = 0;
    rc = check_schema(r, &version, err);
    if (rc != RB_OK) goto fail;
    if (readonly) {
        if (version == 0) {
            rc = rb_fail(err, RB_ERR_NOT_FOUND, "%s: empty results store (no sweep recorded yet)", path);
            goto fail;
        }
    } else {
        /* WAL: a kill -9 leaves only whole committed transactions, and `rebal runs` can read
         * while a sweep writes; NORMAL sync loses nothing committed when a process dies. */
        rc = exec(r, memory ? "PRAGMA journal_mode = MEMORY" : "PRAGMA journal_mode = WAL", "setting the journal mode",
                  err);
        if (rc == RB_OK) rc = exec(r, "PRAGMA synchronous = NORMAL", "setting synchronous", err);
        if (rc == RB_OK && version == 0) rc = create_schema(r, err);
        if (rc != RB_OK) goto fail;
    }
    rc = exec(r, "PRAGMA foreign_keys = ON", "enabling foreign keys", err);
    if (rc != RB_OK) goto fail;
    *out = r;
    return RB_OK;

fail:
    results_close(r);
    return rc;
}

rb_status rb_results_open(const char *path, rb_results **out, rb_error *err)
{
    if (!out) return rb_fail(err, RB_ERR_USAGE, "rb_results_open: no output pointer");
    return open_results(path, 0, out, err);
}

rb_status rb_results_open_sqlite(const char *path, sqlite3 **db, rb_error *err)
{
    rb_results *r = NULL;
    rb_status rc = open_results(path, 1, &r, err);
    if (rc != RB_OK) return rc;
    *db = r->db;
    r->db = NULL;
    results_close(r);
    return RB_OK;
}

void rb_results_column_name(const char *key, char *out, size_t len)
{
    snprintf(out, len, "%s", key);
    for (char *p = out; *p; p++)
        if (*p == '-') *p = '_';
}

/* ---------------------------------------------------------------- columns */

/* The columns of runs as PRAGMA table_info lists them. */
typedef struct column_list {
    char **name;
    char **type; /* declared type, upper case as written: TEXT, REAL, INTEGER */
    size_t n;
} column_list;

static void columns_free(column_list *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->name[i]);
        free(c->type[i]);
    }
    free(c->name);
    free(c->type);
    c->name = c->type = NULL;
    c->n = 0;
}

static rb_status read_columns(rb_results *r, column_list *out, rb_error *err)
{
    column_list c = {0};
    size_t cap = 0;
    sqlite3_stmt *st;
    rb_status rc = prepare(r, "SELECT name, type FROM pragma_table_info('runs') ORDER BY cid", &st, err);
    if (rc != RB_OK) return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (c.n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            char **nn = realloc(c.name, ncap * sizeof *nn);
            if (nn) c.name = nn;
            char **nt = nn ? realloc(c.type, ncap * sizeof *nt) : NULL;
            if (nt) c.type = nt;
            if (!nn || !nt) {
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory reading the columns of %s", r->path);
                break;
            }
            cap = ncap;
        }
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *type = (const char *)sqlite3_column_text(st, 1);
        c.name[c.n] = strdup(name ? name : "");
        c.type[c.n] = strdup(type ? type : "");
        if (!c.name[c.n] || !c.type[c.n]) {
            free(c.name[c.n]);
            free(c.type[c.n]);
            rc = rb_fail(err, RB_ERR_NOMEM, "out of memory reading the columns of %s", r->path);
            break;
        }
        c.n++;
    }
    if (rc == RB_OK && step != SQLITE_DONE) rc = db_error(r, err, "reading the columns of runs");
    sqlite3_finalize(st);
    if (rc == RB_OK && c.n == 0)
        rc = rb_fail(err, RB_ERR_SCHEMA, "%s: the results store has no runs table (corrupt?)", r->path);
    if (rc != RB_OK) {
        columns_free(&c);
        return rc;
    }
    *out = c;
    return RB_OK;
}

static int find_name(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return (int)i;
    return -1;
}

static const rb_metric_info *find_metric(const rb_results *r, const char *name)
{
    for (size_t m = 0; m < r->nmetric; m++)
        if (strcmp(r->metric[m].name, name) == 0) return &r->metric[m];
    return NULL;
}

static int is_base_column(const char *name)
{
    for (size_t i = 0; i < NBASE; i++)
        if (strcmp(base_columns[i], name) == 0) return 1;
    return 0;
}

/* The column of a parameter key: its flag name with '-' turned into '_'. The key must be
 * [a-z0-9_-]+ (every setting and strategy parameter is), so the name needs no escaping;
 * it is still written quoted. */
static rb_status key_column_name(const rb_results *r, const char *key, char name[KEY_MAX], rb_error *err)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0) return rb_fail(err, RB_ERR_DATA, "%s: an empty parameter key", r->path);
    if (n >= KEY_MAX)
        return rb_fail(err, RB_ERR_DATA, "%s: parameter key '%.40s...' is longer than %d bytes", r->path, key,
                       KEY_MAX - 1);
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return rb_fail(err, RB_ERR_DATA,
                           "%s: parameter key '%s' cannot name a column (lower-case letters, digits, '_' and '-' only)",
                           r->path, key);
        name[i] = c == '-' ? '_' : c;
    }
    name[n] = '\0';
    if (is_base_column(name) || find_metric(r, name) || strcmp(name, DEPLETED_COLUMN) == 0)
        return rb_fail(err, RB_ERR_DATA, "%s: parameter key '%s' clashes with the results column '%s'", r->path, key,
                       name);
    return RB_OK;
}

/* Adds the metric columns a store written by an older build lacks, and the parameter
 * columns of this sweep that no earlier sweep had. Inside the caller's transaction. */
static rb_status add_columns(rb_results *r, char names[][KEY_MAX], size_t nkeys, rb_error *err)
{
    column_list have;
    rb_status rc = read_columns(r, &have, err);
    if (rc != RB_OK) return rc;
    char sql[KEY_MAX + 64];
    for (size_t m = 0; m < r->nmetric && rc == RB_OK; m++) {
        if (find_name(have.name, have.n, r->metric[m].name) >= 0) continue;
        snprintf(sql, sizeof sql, "ALTER TABLE runs ADD COLUMN \"%s\" REAL", r->metric[m].name);
        rc = exec(r, sql, "adding a metric column", err);
    }
    if (rc == RB_OK && find_name(have.name, have.n, DEPLETED_COLUMN) < 0)
        rc = exec(r, "ALTER TABLE runs ADD COLUMN \"" DEPLETED_COLUMN "\" TEXT", "adding a metric column", err);
    for (size_t k = 0; k < nkeys && rc == RB_OK; k++) {
        int at = find_name(have.name, have.n, names[k]);
        if (at >= 0) {
            if (strcmp(have.type[at], "TEXT") != 0)
                rc = rb_fail(err, RB_ERR_SCHEMA, "%s: column '%s' of runs has type %s, not TEXT", r->path, names[k],
                             have.type[at]);
            continue;
        }
        snprintf(sql, sizeof sql, "ALTER TABLE runs ADD COLUMN \"%s\" TEXT", names[k]);
        rc = exec(r, sql, "adding a parameter column", err);
    }
    columns_free(&have);
    return rc;
}

/* ---------------------------------------------------------------- sweeps */

static void now_iso(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(((const key_column *)a)->key, ((const key_column *)b)->key);
}

static void clear_sweep(rb_results *r)
{
    sqlite3_finalize(r->insert);
    r->insert = NULL;
    for (size_t i = 0; i < r->ncols; i++) free(r->keys[i]);
    free(r->keys);
    free(r->index);
    r->keys = NULL;
    r->index = NULL;
    r->ncols = 0;
    r->active = 0;
    r->sweep_id = 0;
}

/* The most recent sweep of this spec and dataset, finished or not (resuming a finished one
 * runs nothing): *id = 0 when there is none. */
static rb_status find_resumable(rb_results *r, const char *spec, const char *dataset_hash, int64_t *id, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = prepare(r,
                           "SELECT id FROM sweeps WHERE spec = ?1 AND dataset_hash IS ?2 "
                           "ORDER BY id DESC LIMIT 1",
                           &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_text(st, 1, spec, -1, SQLITE_STATIC);
    if (dataset_hash) sqlite3_bind_text(st, 2, dataset_hash, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    else if (step == SQLITE_DONE) *id = 0;
    else rc = db_error(r, err, "looking for a sweep to resume");
    sqlite3_finalize(st);
    return rc;
}

static rb_status stored_ids(rb_results *r, int64_t sweep, int64_t **out, size_t *n, rb_error *err)
{
    sqlite3_stmt *st;
    /* The primary key (sweep_id, config_id) returns them sorted as signed 64-bit integers,
     * the order the caller's binary search uses. */
    rb_status rc = prepare(r, "SELECT config_id FROM runs WHERE sweep_id = ?1 ORDER BY config_id", &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, sweep);
    int64_t *ids = NULL;
    size_t count = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? 2 * cap : 1024;
            int64_t *grown = realloc(ids, ncap * sizeof *grown);
            if (!grown) {
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory reading the stored runs of sweep %lld",
                             (long long)sweep);
                break;
            }
            ids = grown;
            cap = ncap;
        }
        ids[count++] = sqlite3_column_int64(st, 0);
    }
    if (rc == RB_OK && step != SQLITE_DONE) rc = db_error(r, err, "reading the stored runs");
    sqlite3_finalize(st);
    if (rc != RB_OK) {
        free(ids);
        return rc;
    }
    *out = ids;
    *n = count;
    return RB_OK;
}

/* INSERT INTO runs (sweep_id, config_id, section, strategy, <params>, <metrics>) VALUES (?...). */
static rb_status prepare_insert(rb_results *r, char names[][KEY_MAX], rb_error *err)
{
    text_buf t;
    rb_status rc = text_open(&t, err);
    if (rc != RB_OK) return rc;
    fputs("INSERT INTO runs (sweep_id, config_id, section, strategy", t.f);
    for (size_t k = 0; k < r->ncols; k++) fprintf(t.f, ", \"%s\"", names[k]);
    for (size_t m = 0; m < r->nmetric; m++) fprintf(t.f, ", \"%s\"", r->metric[m].name);
    fputs(", \"" DEPLETED_COLUMN "\") VALUES (?, ?, ?, ?", t.f);
    for (size_t i = 0; i < r->ncols + r->nmetric + 1; i++) fputs(", ?", t.f);
    fputc(')', t.f);
    char *sql = text_close(&t, err);
    if (!sql) return RB_ERR_NOMEM;
    rc = prepare(r, sql, &r->insert, err);
    free(sql);
    return rc;
}

static void *writer_main(void *arg);

rb_status rb_results_begin(rb_results *r, const char *spec, const char *dataset_hash, uint64_t configurations,
                           const char *const *keys, size_t nkeys, int resume, int *resumed, int64_t **done,
                           size_t *ndone, rb_error *err)
{
    if (!r || !spec) return rb_fail(err, RB_ERR_USAGE, "rb_results_begin: no results store or no spec");
    if (r->readonly) return rb_fail(err, RB_ERR_USAGE, "%s: opened read-only", r->path);
    if (r->active)
        return rb_fail(err, RB_ERR_USAGE, "%s: sweep %lld is still being recorded (rb_results_end first)", r->path,
                       (long long)r->sweep_id);
    if (nkeys && !keys) return rb_fail(err, RB_ERR_USAGE, "rb_results_begin: %zu keys but no key array", nkeys);
    if (configurations > (uint64_t)INT64_MAX)
        return rb_fail(err, RB_ERR_USAGE, "%s: %llu configurations is more than a sweep can hold", r->path,
                       (unsigned long long)configurations);

    /* Validate every key before touching the database. */
    char(*names)[KEY_MAX] = nkeys ? calloc(nkeys, sizeof *names) : NULL;
    r->keys = nkeys ? calloc(nkeys, sizeof *r->keys) : NULL;
    r->index = nkeys ? calloc(nkeys, sizeof *r->index) : NULL;
    rb_status rc = RB_OK;
    if (nkeys && (!names || !r->keys || !r->index)) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory starting a sweep");
    for (size_t k = 0; k < nkeys && rc == RB_OK; k++) {
        rc = key_column_name(r, keys[k], names[k], err);
        for (size_t j = 0; j < k && rc == RB_OK; j++)
            if (strcmp(names[j], names[k]) == 0)
                rc = rb_fail(err, RB_ERR_DATA, "%s: parameter keys '%s' and '%s' both name the column '%s'", r->path,
                             keys[j], keys[k], names[k]);
        if (rc == RB_OK && !(r->keys[k] = strdup(keys[k])))
            rc = rb_fail(err, RB_ERR_NOMEM, "out of memory starting a sweep");
        if (rc == RB_OK) {
            r->index[k].key = r->keys[k];
            r->index[k].column = k;
            r->ncols = k + 1;
        }
    }
    if (rc != RB_OK) {
        free(names);
        clear_sweep(r);
        return rc;
    }
    if (nkeys) qsort(r->index, nkeys, sizeof *r->index, key_cmp);

    int64_t id = 0, *ids = NULL;
    size_t nids = 0;
    int found = 0;
    char now[32];
    now_iso(now);
    rc = exec(r, "BEGIN IMMEDIATE", "starting a sweep", err);
    if (rc == RB_OK) rc = add_columns(r, names, nkeys, err);
    if (rc == RB_OK && resume) rc = find_resumable(r, spec, dataset_hash, &id, err);
    if (rc == RB_OK && id) {
        found = 1;
        sqlite3_stmt *st;
        rc = prepare(r, "UPDATE sweeps SET status = 'running', finished_at = NULL WHERE id = ?1", &st, err);
        if (rc == RB_OK) {
            sqlite3_bind_int64(st, 1, id);
            if (sqlite3_step(st) != SQLITE_DONE) rc = db_error(r, err, "resuming a sweep");
            sqlite3_finalize(st);
        }
        if (rc == RB_OK) rc = stored_ids(r, id, &ids, &nids, err);
    } else if (rc == RB_OK) {
        sqlite3_stmt *st;
        rc = prepare(r,
                     "INSERT INTO sweeps (spec, dataset_hash, code_version, configurations, started_at, status) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, 'running')",
                     &st, err);
        if (rc == RB_OK) {
            sqlite3_bind_text(st, 1, spec, -1, SQLITE_STATIC);
            if (dataset_hash) sqlite3_bind_text(st, 2, dataset_hash, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, RB_VERSION, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 4, (int64_t)configurations);
            sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE) rc = db_error(r, err, "recording a new sweep");
            else id = sqlite3_last_insert_rowid(r->db);
            sqlite3_finalize(st);
        }
    }
    if (rc == RB_OK) rc = exec(r, "COMMIT", "starting a sweep", err);
    if (rc != RB_OK) rollback(r);
    if (rc == RB_OK) {
        r->sweep_id = id;
        rc = prepare_insert(r, names, err);
    }
    free(names);

    if (rc == RB_OK) {
        r->head = r->count = 0;
        r->stop = r->failed = 0;
        rb_error_clear(&r->werr);
        int e = pthread_create(&r->thread, NULL, writer_main, r);
        if (e != 0) rc = rb_fail(err, RB_ERR_NOMEM, "%s: cannot start the writer thread: %s", r->path, strerror(e));
    }
    if (rc != RB_OK) {
        free(ids);
        clear_sweep(r);
        return rc;
    }
    r->active = 1;
    if (resumed) *resumed = found;
    if (done) *done = ids;
    else free(ids);
    if (ndone) *ndone = nids;
    return RB_OK;
}

/* ---------------------------------------------------------------- the writer */

static void deadline_after(struct timespec *t, long ns)
{
    clock_gettime(CLOCK_MONOTONIC, t);
    t->tv_nsec += ns;
    while (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
}

static int is_past(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static rb_status insert_row(rb_results *r, const queued_row *row, rb_error *err)
{
    sqlite3_stmt *st = r->insert;
    int k = 1;
    sqlite3_bind_int64(st, k++, r->sweep_id);
    sqlite3_bind_int64(st, k++, row->config_id);
    for (size_t j = 0; j < 2 + r->ncols; j++, k++) {
        if (row->text[j]) sqlite3_bind_text(st, k, row->text[j], -1, SQLITE_STATIC);
        else sqlite3_bind_null(st, k);
    }
    for (size_t m = 0; m < r->nmetric; m++, k++) {
        double v;
        memcpy(&v, (const char *)&row->metrics + r->metric[m].offset, sizeof v);
        if (isnan(v)) sqlite3_bind_null(st, k); /* undefined ratio: SQL NULL */
        else sqlite3_bind_double(st, k, v);
    }
    char depleted_on[32];
    if (row->metrics.depleted)
        sqlite3_bind_text(st, k, rb_time_format(row->metrics.depleted_on, depleted_on), -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, k);
    rb_status rc = RB_OK;
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (sqlite3_extended_errcode(r->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
            rc = rb_fail(err, RB_ERR_DATA,
                         "%s: sweep %lld: configuration %lld was stored twice (a duplicate config_id; "
                         "resumed sweeps must skip the stored ids)",
                         r->path, (long long)r->sweep_id, (long long)row->config_id);
        else rc = db_error(r, err, "storing a run");
    }
    sqlite3_reset(st);
    return rc;
}

/* Takes rows off the queue and writes them in transactions of at most TXN_ROWS rows,
 * committed TXN_NS after their first row at the latest. On an error it commits what was
 * written before it, records the error and stops; put and end report it. */
static void *writer_main(void *arg)
{
    rb_results *r = arg;
    queued_row *batch[TXN_ROWS];
    int in_txn = 0;
    size_t txn_rows = 0;
    struct timespec deadline = {0, 0};
    rb_error e = {0};
    rb_status rc = RB_OK;

    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->count == 0 && !r->stop) {
            if (!in_txn) pthread_cond_wait(&r->not_empty, &r->mu);
            else if (pthread_cond_timedwait(&r->not_empty, &r->mu, &deadline) == ETIMEDOUT) break;
        }
        size_t n = 0;
        while (r->count > 0 && txn_rows + n < TXN_ROWS) {
            batch[n++] = r->queue[r->head];
            r->head = (r->head + 1) % QUEUE_ROWS;
            r->count--;
        }
        int drained = r->stop && r->count == 0;
        if (n) pthread_cond_broadcast(&r->not_full);
        pthread_mutex_unlock(&r->mu);

        if (n && !in_txn) {
            rc = exec(r, "BEGIN IMMEDIATE", "starting a transaction of runs", &e);
            if (rc == RB_OK) {
                in_txn = 1;
                txn_rows = 0;
                deadline_after(&deadline, TXN_NS);
            }
        }
        for (size_t i = 0; i < n; i++) {
            if (rc == RB_OK) rc = insert_row(r, batch[i], &e);
            free(batch[i]);
        }
        txn_rows += n;
        if (in_txn && (rc != RB_OK || drained || txn_rows >= TXN_ROWS || is_past(&deadline))) {
            /* After a failed row the rows before it are still good: keep them. */
            rb_status c = exec(r, "COMMIT", "committing runs", rc == RB_OK ? &e : NULL);
            if (c != RB_OK) {
                rollback(r);
                if (rc == RB_OK) rc = c;
            }
            in_txn = 0;
            txn_rows = 0;
        }

        pthread_mutex_lock(&r->mu);
        if (rc != RB_OK) {
            r->failed = 1;
            r->werr = e;
            while (r->count > 0) {
                free(r->queue[r->head]);
                r->head = (r->head + 1) % QUEUE_ROWS;
                r->count--;
            }
            pthread_cond_broadcast(&r->not_full);
            break;
        }
        if (drained) break;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Tells the writer to drain the queue and commit, and waits for it. */
static void stop_writer(rb_results *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->not_empty);
    pthread_cond_broadcast(&r->not_full);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
}

static const key_column *lookup_key(const rb_results *r, const char *key)
{
    key_column probe = {key, 0};
    return r->ncols ? bsearch(&probe, r->index, r->ncols, sizeof *r->index, key_cmp) : NULL;
}

rb_status rb_results_put(rb_results *r, const rb_result_row *row, rb_error *err)
{
    if (!r || !row) return rb_fail(err, RB_ERR_USAGE, "rb_results_put: no results store or no row");
    if (row->nparams && !row->params)
        return rb_fail(err, RB_ERR_USAGE, "rb_results_put: %zu settings but no settings array", row->nparams);

    /* Size the copy: the text pointers, then the strings. */
    size_t slots = 2 + r->ncols;
    size_t bytes = sizeof(queued_row) + slots * sizeof(char *);
    bytes += row->section ? strlen(row->section) + 1 : 0;
    bytes += row->strategy ? strlen(row->strategy) + 1 : 0;
    for (size_t i = 0; i < row->nparams; i++) {
        const rb_sweep_kv *kv = &row->params[i];
        if (!kv->key || !lookup_key(r, kv->key))
            return rb_fail(err, RB_ERR_DATA, "%s: configuration %lld: setting '%s' is not a parameter key of the sweep",
                           r->path, (long long)row->config_id, kv->key ? kv->key : "(null)");
        bytes += kv->value ? strlen(kv->value) + 1 : 0;
    }
    queued_row *q = malloc(bytes);
    if (!q) return rb_fail(err, RB_ERR_NOMEM, "out of memory queueing configuration %lld", (long long)row->config_id);
    q->config_id = row->config_id;
    q->metrics = row->metrics;
    char *p = (char *)&q->text[slots];
    for (size_t j = 0; j < slots; j++) q->text[j] = NULL;
    const char *fixed[2] = {row->section, row->strategy};
    for (size_t j = 0; j < 2; j++)
        if (fixed[j]) {
            size_t n = strlen(fixed[j]) + 1;
            q->text[j] = memcpy(p, fixed[j], n);
            p += n;
        }
    for (size_t i = 0; i < row->nparams; i++) {
        const rb_sweep_kv *kv = &row->params[i];
        size_t slot = 2 + lookup_key(r, kv->key)->column;
        if (q->text[slot]) {
            free(q);
            return rb_fail(err, RB_ERR_DATA, "%s: configuration %lld: setting '%s' given twice", r->path,
                           (long long)row->config_id, kv->key);
        }
        if (kv->value) {
            size_t n = strlen(kv->value) + 1;
            q->text[slot] = memcpy(p, kv->value, n);
            p += n;
        }
    }

    pthread_mutex_lock(&r->mu);
    while (r->active && r->count == QUEUE_ROWS && !r->failed && !r->stop) pthread_cond_wait(&r->not_full, &r->mu);
    rb_status rc = RB_OK;
    if (r->failed) {
        rc = r->werr.code;
        if (err) *err = r->werr;
    } else if (!r->active || r->stop) {
        rc = rb_fail(err, RB_ERR_USAGE, "%s: no sweep is being recorded (rb_results_begin first)", r->path);
    } else {
        r->queue[(r->head + r->count) % QUEUE_ROWS] = q;
        r->count++;
        q = NULL;
        pthread_cond_signal(&r->not_empty);
    }
    pthread_mutex_unlock(&r->mu);
    free(q);
    return rc;
}

rb_status rb_results_end(rb_results *r, const char *status, rb_error *err)
{
    if (!r) return rb_fail(err, RB_ERR_USAGE, "rb_results_end: no results store");
    if (!r->active) return rb_fail(err, RB_ERR_USAGE, "%s: no sweep is being recorded", r->path);
    static const char *const statuses[] = {"done", "interrupted", "failed"};
    int known = 0;
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        known |= status && strcmp(status, statuses[i]) == 0;
    if (!known)
        return rb_fail(err, RB_ERR_USAGE, "rb_results_end: status '%s' is not done, interrupted or failed",
                       status ? status : "(null)");

    stop_writer(r);
    rb_status rc = RB_OK;
    if (r->failed) {
        /* Rows are missing: the sweep is not done, whatever the caller thought. */
        status = "failed";
        rc = r->werr.code;
        if (err) *err = r->werr;
    }
    char now[32];
    now_iso(now);
    sqlite3_stmt *st;
    rb_error uerr;
    rb_status urc = prepare(r, "UPDATE sweeps SET finished_at = ?1, status = ?2 WHERE id = ?3", &st, &uerr);
    if (urc == RB_OK) {
        sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, r->sweep_id);
        if (sqlite3_step(st) != SQLITE_DONE) urc = db_error(r, &uerr, "finishing the sweep");
        sqlite3_finalize(st);
    }
    if (urc != RB_OK && rc == RB_OK) {
        rc = urc;
        if (err) *err = uerr;
    }
    clear_sweep(r);
    return rc;
}

void rb_results_free(rb_results *r)
{
    if (!r) return;
    /* A sweep never ended keeps what was queued (committed now) and its status 'running',
     * exactly as after a crash: resume continues it. */
    if (r->active) {
        stop_writer(r);
        clear_sweep(r);
    }
    results_close(r);
}

/* ---------------------------------------------------------------- rebal runs */

/* Lower is better for these: sorted ascending. */
int rb_results_ascending(const char *name)
{
    static const char *const asc[] = {"max_drawdown", "ann_vol",  "tracking_error", "turnover",   "turnover_2way",
                                      "avg_drift",    "fees_paid", "slippage_paid",  "gas_paid", "taxes_paid"};
    for (size_t i = 0; i < sizeof asc / sizeof asc[0]; i++)
        if (strcmp(asc[i], name) == 0) return 1;
    return 0;
}

const char *rb_results_metric_hint(const char *name, char *buf, size_t len)
{
    rb_nearest near;
    rb_nearest_init(&near, name);
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    for (size_t k = 0; k < n; k++) rb_nearest_offer(&near, table[k].name);
    snprintf(buf, len, "%s", rb_nearest_hint(&near));
    return buf;
}

/* A number written in full ("0.05", "-3", "1e6"); anything else is text. */
static int parse_number(const char *s, double *out)
{
    if (!*s || *s == ' ' || *s == '\t') return 0;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0' || isnan(v)) return 0;
    *out = v;
    return 1;
}

/* rb_num(x): x as a REAL when it is a number or text holding exactly a number, else NULL.
 * Parameter columns hold text ("0.05"); a numeric condition must compare numbers, and
 * SQLite would otherwise compare '0.5' and 0.25 as text. */
static void sql_num(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    double v;
    switch (sqlite3_value_type(argv[0])) {
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: sqlite3_result_double(ctx, sqlite3_value_double(argv[0])); return;
    case SQLITE_TEXT:
        if (parse_number((const char *)sqlite3_value_text(argv[0]), &v)) sqlite3_result_double(ctx, v);
        else sqlite3_result_null(ctx);
        return;
    default: sqlite3_result_null(ctx); return;
    }
}

typedef enum column_kind { KIND_BASE, KIND_PARAM, KIND_METRIC, KIND_OUTCOME } column_kind;

/* The runs columns in presentation order: base, parameters, metrics (table order), then
 * depleted_on. */
typedef struct view {
    column_list cols;
    size_t *order; /* cols indices in presentation order */
    column_kind *kind;
    const rb_metric_info **metric; /* per cols index: the metric, or NULL */
} view;

static void view_free(view *v)
{
    columns_free(&v->cols);
    free(v->order);
    free(v->kind);
    free(v->metric);
}

static rb_status view_load(rb_results *r, view *v, rb_error *err)
{
    memset(v, 0, sizeof *v);
    rb_status rc = read_columns(r, &v->cols, err);
    if (rc != RB_OK) return rc;
    size_t n = v->cols.n;
    v->order = malloc(n * sizeof *v->order);
    v->kind = malloc(n * sizeof *v->kind);
    v->metric = calloc(n, sizeof *v->metric);
    if (!v->order || !v->kind || !v->metric) {
        view_free(v);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory reading %s", r->path);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        v->metric[i] = find_metric(r, v->cols.name[i]);
        v->kind[i] = is_base_column(v->cols.name[i])                   ? KIND_BASE
                     : v->metric[i]                                   ? KIND_METRIC
                     : strcmp(v->cols.name[i], DEPLETED_COLUMN) == 0 ? KIND_OUTCOME
                                                                      : KIND_PARAM;
    }
    for (size_t i = 0; i < n; i++)
        if (v->kind[i] == KIND_BASE) v->order[k++] = i;
    for (size_t i = 0; i < n; i++)
        if (v->kind[i] == KIND_PARAM) v->order[k++] = i;
    for (size_t m = 0; m < r->nmetric; m++) {
        int at = find_name(v->cols.name, n, r->metric[m].name);
        if (at >= 0) v->order[k++] = (size_t)at;
    }
    for (size_t i = 0; i < n; i++)
        if (v->kind[i] == KIND_OUTCOME) v->order[k++] = i;
    return RB_OK;
}

/* "a, b, c" of names into buf (truncated with "..." when long). */
static void join_names(char *buf, size_t len, const char *const *names, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= len - o) {
            if (len > 4) strcpy(buf + len - 4, "...");
            return;
        }
        o += (size_t)w;
    }
}

typedef struct condition {
    char column[KEY_MAX];
    const char *op; /* one of ops[] */
    int numeric;
    double number;
    char *text;
    int on_text_column;
} condition;

static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">="};

/* Parses "KEY OP VALUE" (blanks optional; the value may be quoted) and checks KEY names a
 * column (a flag name with '-' is accepted for its '_' column). */
static rb_status parse_condition(const char *path, const char *text, const view *v, condition *c, rb_error *err)
{
    memset(c, 0, sizeof *c);
    const char *p = text;
    while (*p == ' ' || *p == '\t') p++;
    size_t n = 0;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
           *p == '-') {
        if (n + 1 >= KEY_MAX) return rb_fail(err, RB_ERR_USAGE, "--where '%s': the column name is too long", text);
        c->column[n++] = *p == '-' ? '_' : *p;
        p++;
    }
    c->column[n] = '\0';
    if (n == 0) return rb_fail(err, RB_ERR_USAGE, "--where '%s': expected KEY OP VALUE, e.g. 'band > 0.05'", text);
    while (*p == ' ' || *p == '\t') p++;
    const char *op = p;
    while (*p && strchr("=!<>", *p)) p++;
    size_t oplen = (size_t)(p - op);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (oplen == strlen(ops[i]) && strncmp(op, ops[i], oplen) == 0) c->op = ops[i];
    if (!c->op) {
        size_t show = oplen ? oplen : strcspn(op, " \t");
        return rb_fail(err, RB_ERR_USAGE, "--where '%s': unknown operator '%.*s' (one of = != < <= > >=)", text,
                       (int)(show ? show : 1), *op ? op : "?");
    }
    while (*p == ' ' || *p == '\t') p++;
    size_t vlen = strlen(p);
    while (vlen > 0 && (p[vlen - 1] == ' ' || p[vlen - 1] == '\t')) vlen--;
    int quoted = vlen >= 2 && (p[0] == '\'' || p[0] == '"') && p[vlen - 1] == p[0];
    if (quoted) {
        p++;
        vlen -= 2;
    }
    if (vlen == 0 && !quoted) return rb_fail(err, RB_ERR_USAGE, "--where '%s': no value after '%s'", text, c->op);
    if (!(c->text = strndup(p, vlen))) return rb_fail(err, RB_ERR_NOMEM, "out of memory parsing --where");

    int at = find_name(v->cols.name, v->cols.n, c->column);
    if (at < 0) {
        char list[700];
        const char **names = malloc(v->cols.n * sizeof *names);
        if (names) {
            for (size_t i = 0; i < v->cols.n; i++) names[i] = v->cols.name[v->order[i]];
            join_names(list, sizeof list, names, v->cols.n);
            free(names);
        } else {
            list[0] = '\0';
        }
        rb_fail(err, RB_ERR_USAGE, "--where '%s': %s has no column '%s' (columns: %s)", text, path, c->column, list);
        free(c->text);
        c->text = NULL;
        return RB_ERR_USAGE;
    }
    c->numeric = !quoted && parse_number(c->text, &c->number);
    c->on_text_column = strcmp(v->cols.type[at], "TEXT") == 0;
    if (!c->numeric && !c->on_text_column) {
        rb_fail(err, RB_ERR_USAGE, "--where '%s': column '%s' holds numbers and '%s' is not a number", text, c->column,
                c->text);
        free(c->text);
        c->text = NULL;
        return RB_ERR_USAGE;
    }
    return RB_OK;
}

/* " AND <cond>..." for the conditions; values are bound, never written into the SQL. */
static void write_conditions(FILE *f, const condition *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (c[i].numeric && c[i].on_text_column) fprintf(f, " AND rb_num(\"%s\") %s ?", c[i].column, c[i].op);
        else fprintf(f, " AND \"%s\" %s ?", c[i].column, c[i].op);
    }
}

static int bind_conditions(sqlite3_stmt *st, int first, const condition *c, size_t n)
{
    int k = first;
    for (size_t i = 0; i < n; i++, k++) {
        if (c[i].numeric) sqlite3_bind_double(st, k, c[i].number);
        else sqlite3_bind_text(st, k, c[i].text, -1, SQLITE_STATIC);
    }
    return k;
}

/* ---- output */

static void fmt_shortest(double v, char out[32])
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v) break;
    }
}

static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void csv_value(FILE *out, sqlite3_stmt *st, int col)
{
    char buf[32];
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER: fprintf(out, "%lld", (long long)sqlite3_column_int64(st, col)); break;
    case SQLITE_FLOAT:
        fmt_shortest(sqlite3_column_double(st, col), buf);
        fputs(buf, out);
        break;
    case SQLITE_NULL: break;
    default: csv_field(out, (const char *)sqlite3_column_text(st, col)); break;
    }
}

/* A metric for people: money with cents, fractions as percentages. */
static void fmt_metric(const char *unit, double v, char out[48])
{
    if (isnan(v)) snprintf(out, 48, "-");
    else if (strcmp(unit, "fraction") == 0) snprintf(out, 48, "%.2f%%", 100.0 * v);
    else if (strcmp(unit, "ratio") == 0) snprintf(out, 48, "%.3f", v);
    else if (strcmp(unit, "count") == 0) snprintf(out, 48, "%.0f", v);
    else snprintf(out, 48, "%.2f", v);
}

/* The aligned table: cells[row * ncols + col] (row 0 the header). */
typedef struct table {
    char **cells;
    size_t rows, cols, cap;
    int *right; /* per column: right-aligned (numbers) */
} table;

static void print_table(FILE *out, const table *t)
{
    size_t *width = calloc(t->cols, sizeof *width);
    if (!width) return;
    for (size_t i = 0; i < t->rows; i++)
        for (size_t j = 0; j < t->cols; j++) {
            size_t w = strlen(t->cells[i * t->cols + j]);
            if (w > width[j]) width[j] = w;
        }
    for (size_t i = 0; i < t->rows; i++) {
        for (size_t j = 0; j < t->cols; j++) {
            const char *s = t->cells[i * t->cols + j];
            int last = j + 1 == t->cols;
            if (t->right[j]) fprintf(out, "%s%*s", j ? "  " : "", (int)width[j], s);
            else if (last) fprintf(out, "%s%s", j ? "  " : "", s);
            else fprintf(out, "%s%-*s", j ? "  " : "", (int)width[j], s);
        }
        fputc('\n', out);
    }
    free(width);
}

/* The rows of a table query kept for formatting: raw parameter texts (to find the columns
 * that vary) and metric values. */
typedef struct fetched {
    size_t n, cap;
    int64_t *config_id;
    char **section, **strategy;
    char **depleted_on; /* NULL = NULL */
    char **param;   /* n * nparam, NULL = NULL */
    double *metric; /* n * nmetric (view metric order), NaN = NULL */
} fetched;

static char *dup_col(sqlite3_stmt *st, int col, int *oom)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    if (!s) return NULL;
    char *d = strdup((const char *)s);
    if (!d) *oom = 1;
    return d;
}

static const char *const key_metrics[] = {"final_value", "cagr", "ann_vol", "max_drawdown", "sharpe", "turnover",
                                          "costs",       "taxes_paid", "after_tax_value"};
#define NKEY_METRICS (sizeof key_metrics / sizeof key_metrics[0])
#define FEW_PARAMS 4 /* show every parameter column up to this many */

static int same_text(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

/* The metric called name in fetched row i (NaN when NULL or not a column); *unit gets its unit. */
static double row_metric(const fetched *f, const view *v, const size_t *met_at, size_t nmet, size_t i,
                         const char *name, const char **unit)
{
    for (size_t m = 0; m < nmet; m++) {
        size_t c = v->order[met_at[m]];
        if (strcmp(v->cols.name[c], name) != 0) continue;
        if (unit) *unit = v->metric[c]->unit;
        return f->metric[i * nmet + m];
    }
    return NAN;
}

rb_status rb_results_print(const char *path, const rb_runs_query *q, FILE *out, rb_error *err)
{
    if (!q || !out) return rb_fail(err, RB_ERR_USAGE, "rb_results_print: no query or no output");
    if (q->nwhere && !q->where) return rb_fail(err, RB_ERR_USAGE, "rb_results_print: conditions missing");
    const char *by = q->by && *q->by ? q->by : "after_tax_value";
    rb_results *r = NULL;
    rb_status rc = open_results(path, 1, &r, err);
    if (rc != RB_OK) return rc;
    sqlite3_create_function_v2(r->db, "rb_num", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_num, NULL, NULL,
                               NULL);

    view v = {0};
    condition *conds = NULL;
    size_t nconds = 0;
    sqlite3_stmt *st = NULL;
    char *sql = NULL;
    fetched f = {0};
    table t = {0};
    size_t nparam = 0, nmet = 0;
    size_t *param_at = NULL, *met_at = NULL;

    /* Which sweep. */
    int64_t sweep = q->sweep_id, latest = 0, stored = 0, configurations = 0;
    char status[16] = "";
    rc = prepare(r, "SELECT max(id) FROM sweeps", &st, err);
    if (rc == RB_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) latest = sqlite3_column_int64(st, 0);
        else rc = db_error(r, err, "reading the sweeps");
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == RB_OK && latest == 0)
        rc = rb_fail(err, RB_ERR_NOT_FOUND, "%s: empty results store (no sweep recorded yet)", path);
    if (rc == RB_OK && sweep == 0) sweep = latest;
    if (rc == RB_OK) rc = prepare(r,
                                  "SELECT status, configurations, (SELECT count(*) FROM runs WHERE sweep_id = ?1) "
                                  "FROM sweeps WHERE id = ?1",
                                  &st, err);
    if (rc == RB_OK) {
        sqlite3_bind_int64(st, 1, sweep);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            const unsigned char *s = sqlite3_column_text(st, 0);
            snprintf(status, sizeof status, "%s", s ? (const char *)s : "?");
            configurations = sqlite3_column_int64(st, 1);
            stored = sqlite3_column_int64(st, 2);
        } else if (step == SQLITE_DONE) {
            rc = rb_fail(err, RB_ERR_NOT_FOUND, "%s: no sweep %lld (the latest is sweep %lld)", path, (long long)sweep,
                         (long long)latest);
        } else {
            rc = db_error(r, err, "reading the sweeps");
        }
        sqlite3_finalize(st);
        st = NULL;
    }

    /* The columns, --by and the conditions. */
    if (rc == RB_OK) rc = view_load(r, &v, err);
    if (rc == RB_OK && (!find_metric(r, by) || find_name(v.cols.name, v.cols.n, by) < 0)) {
        char list[800];
        const char **names = malloc(r->nmetric * sizeof *names);
        if (names) {
            for (size_t m = 0; m < r->nmetric; m++) names[m] = r->metric[m].name;
            join_names(list, sizeof list, names, r->nmetric);
            free(names);
        } else {
            list[0] = '\0';
        }
        char hint[96];
        rc = rb_fail(err, RB_ERR_USAGE, "--by: unknown metric '%s'%s (one of: %s)", by,
                     rb_results_metric_hint(by, hint, sizeof hint), list);
    }
    if (rc == RB_OK && q->nwhere && !(conds = calloc(q->nwhere, sizeof *conds)))
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory parsing --where");
    for (size_t i = 0; i < q->nwhere && rc == RB_OK; i++) {
        rc = parse_condition(path, q->where[i] ? q->where[i] : "", &v, &conds[i], err);
        if (rc == RB_OK) nconds++;
    }
    int asc = rb_results_ascending(by);

    /* How many match the conditions (for the title). */
    int64_t matching = stored;
    if (rc == RB_OK && nconds) {
        text_buf tb;
        rc = text_open(&tb, err);
        if (rc == RB_OK) {
            fputs("SELECT count(*) FROM runs WHERE sweep_id = ?", tb.f);
            write_conditions(tb.f, conds, nconds);
            if (!(sql = text_close(&tb, err))) rc = RB_ERR_NOMEM;
        }
        if (rc == RB_OK) rc = prepare(r, sql, &st, err);
        free(sql);
        sql = NULL;
        if (rc == RB_OK) {
            sqlite3_bind_int64(st, 1, sweep);
            bind_conditions(st, 2, conds, nconds);
            if (sqlite3_step(st) == SQLITE_ROW) matching = sqlite3_column_int64(st, 0);
            else rc = db_error(r, err, "counting the matching runs");
            sqlite3_finalize(st);
            st = NULL;
        }
    }

    /* The query: every column in presentation order, best first, NULL metrics last, ties by
     * config_id so the order is reproducible. */
    if (rc == RB_OK) {
        text_buf tb;
        rc = text_open(&tb, err);
        if (rc == RB_OK) {
            fputs("SELECT ", tb.f);
            for (size_t i = 0; i < v.cols.n; i++) fprintf(tb.f, "%s\"%s\"", i ? ", " : "", v.cols.name[v.order[i]]);
            fputs(" FROM runs WHERE sweep_id = ?", tb.f);
            write_conditions(tb.f, conds, nconds);
            fprintf(tb.f, " ORDER BY \"%s\" IS NULL, \"%s\" %s, config_id LIMIT ?", by, by, asc ? "ASC" : "DESC");
            if (!(sql = text_close(&tb, err))) rc = RB_ERR_NOMEM;
        }
        if (rc == RB_OK) rc = prepare(r, sql, &st, err);
        free(sql);
        sql = NULL;
    }
    if (rc == RB_OK) {
        sqlite3_bind_int64(st, 1, sweep);
        int k = bind_conditions(st, 2, conds, nconds);
        sqlite3_bind_int64(st, k, q->top ? (int64_t)q->top : -1);
    }

    if (rc == RB_OK && q->csv) {
        for (size_t i = 0; i < v.cols.n; i++) {
            if (i) fputc(',', out);
            csv_field(out, v.cols.name[v.order[i]]);
        }
        fputc('\n', out);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            for (size_t i = 0; i < v.cols.n; i++) {
                if (i) fputc(',', out);
                csv_value(out, st, (int)i);
            }
            fputc('\n', out);
        }
        if (step != SQLITE_DONE) rc = db_error(r, err, "reading the runs");
        goto done;
    }
    if (rc != RB_OK) goto done;

    /* Table: fetch the rows, then decide the parameter columns and format. Result column i
     * is v.cols.name[v.order[i]]; the first NBASE are the base columns in table order. */
    param_at = malloc(v.cols.n * sizeof *param_at);
    met_at = malloc(v.cols.n * sizeof *met_at);
    if (!param_at || !met_at) {
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory formatting the runs");
        goto done;
    }
    int col_config = -1, col_section = -1, col_strategy = -1, col_depleted = -1;
    for (size_t i = 0; i < v.cols.n; i++) {
        size_t c = v.order[i];
        const char *name = v.cols.name[c];
        if (v.kind[c] == KIND_PARAM) param_at[nparam++] = i;
        else if (v.kind[c] == KIND_METRIC) met_at[nmet++] = i;
        else if (strcmp(name, "config_id") == 0) col_config = (int)i;
        else if (strcmp(name, "section") == 0) col_section = (int)i;
        else if (strcmp(name, "strategy") == 0) col_strategy = (int)i;
        else if (v.kind[c] == KIND_OUTCOME) col_depleted = (int)i;
    }
    if (col_config < 0 || col_section < 0 || col_strategy < 0) {
        rc = rb_fail(err, RB_ERR_SCHEMA, "%s: the runs table lacks config_id, section or strategy", path);
        goto done;
    }
    {
        int step, oom = 0;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            if (f.n == f.cap) {
                size_t ncap = f.cap ? 2 * f.cap : 16;
                int64_t *ids = realloc(f.config_id, ncap * sizeof *ids);
                if (ids) f.config_id = ids;
                char **se = ids ? realloc(f.section, ncap * sizeof *se) : NULL;
                if (se) f.section = se;
                char **sy = se ? realloc(f.strategy, ncap * sizeof *sy) : NULL;
                if (sy) f.strategy = sy;
                char **de = sy ? realloc(f.depleted_on, ncap * sizeof *de) : NULL;
                if (de) f.depleted_on = de;
                char **pa = de ? realloc(f.param, (ncap * nparam + 1) * sizeof *pa) : NULL;
                if (pa) f.param = pa;
                double *me = pa ? realloc(f.metric, (ncap * nmet + 1) * sizeof *me) : NULL;
                if (me) f.metric = me;
                if (!me) {
                    oom = 1;
                    break;
                }
                f.cap = ncap;
            }
            size_t i = f.n;
            f.config_id[i] = sqlite3_column_int64(st, col_config);
            f.section[i] = dup_col(st, col_section, &oom);
            f.strategy[i] = dup_col(st, col_strategy, &oom);
            f.depleted_on[i] = col_depleted >= 0 ? dup_col(st, col_depleted, &oom) : NULL;
            for (size_t j = 0; j < nparam; j++) f.param[i * nparam + j] = dup_col(st, (int)param_at[j], &oom);
            for (size_t j = 0; j < nmet; j++)
                f.metric[i * nmet + j] = sqlite3_column_type(st, (int)met_at[j]) == SQLITE_NULL
                                             ? NAN
                                             : sqlite3_column_double(st, (int)met_at[j]);
            f.n++;
            if (oom) break;
        }
        if (oom) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory reading the runs");
        else if (step != SQLITE_DONE) rc = db_error(r, err, "reading the runs");
        if (rc != RB_OK) goto done;
    }

    /* Parameter columns: those set in some printed row; only the varying ones when many. */
    size_t *shown = calloc(nparam + 1, sizeof *shown), nshown = 0;
    int *constant = calloc(nparam + 1, sizeof *constant);
    if (!shown || !constant) {
        free(shown);
        free(constant);
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory formatting the runs");
        goto done;
    }
    size_t nset = 0;
    for (size_t j = 0; j < nparam; j++) {
        int set = 0, varies = 0;
        for (size_t i = 0; i < f.n; i++) {
            set |= f.param[i * nparam + j] != NULL;
            if (i && !same_text(f.param[i * nparam + j], f.param[j])) varies = 1;
        }
        constant[j] = set && !varies ? 1 : set ? 0 : -1;
        nset += set;
    }
    for (size_t j = 0; j < nparam; j++)
        if (constant[j] == 0 || (constant[j] == 1 && nset <= FEW_PARAMS)) shown[nshown++] = j;

    /* Metric columns: the key ones, and --by when it is not among them. */
    const char *mnames[NKEY_METRICS + 1];
    size_t nm = 0;
    int by_shown = 0;
    for (size_t i = 0; i < NKEY_METRICS; i++) {
        if (strcmp(key_metrics[i], "costs") != 0 && find_name(v.cols.name, v.cols.n, key_metrics[i]) < 0) continue;
        mnames[nm++] = key_metrics[i];
        by_shown |= strcmp(key_metrics[i], by) == 0;
    }
    if (!by_shown) mnames[nm++] = by;
    /* depleted_on, when a run shown ran out of money */
    int show_depleted = 0;
    for (size_t i = 0; i < f.n; i++) show_depleted |= f.depleted_on[i] != NULL;

    t.cols = 4 + nshown + nm + (size_t)show_depleted;
    t.rows = f.n + 1;
    t.cells = calloc(t.rows * t.cols, sizeof *t.cells);
    t.right = calloc(t.cols, sizeof *t.right);
    if (!t.cells || !t.right) {
        free(shown);
        free(constant);
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory formatting the runs");
        goto done;
    }
    {
        int oom = 0;
        size_t c = 0;
        const char *head[4] = {"rank", "config_id", "section", "strategy"};
        for (; c < 4; c++) t.cells[c] = strdup(head[c]);
        t.right[0] = t.right[1] = 1;
        for (size_t j = 0; j < nshown; j++, c++) t.cells[c] = strdup(v.cols.name[v.order[param_at[shown[j]]]]);
        for (size_t j = 0; j < nm; j++, c++) {
            t.cells[c] = strdup(mnames[j]);
            t.right[c] = 1;
        }
        if (show_depleted) t.cells[c] = strdup(DEPLETED_COLUMN);
        for (size_t i = 0; i < f.n; i++) {
            char **row = &t.cells[(i + 1) * t.cols];
            char buf[48];
            snprintf(buf, sizeof buf, "%zu", i + 1);
            row[0] = strdup(buf);
            snprintf(buf, sizeof buf, "%lld", (long long)f.config_id[i]);
            row[1] = strdup(buf);
            row[2] = strdup(f.section[i] ? f.section[i] : "-");
            row[3] = strdup(f.strategy[i] ? f.strategy[i] : "-");
            c = 4;
            for (size_t j = 0; j < nshown; j++, c++) {
                const char *s = f.param[i * nparam + shown[j]];
                row[c] = strdup(s ? s : "-");
            }
            for (size_t j = 0; j < nm; j++, c++) {
                const char *unit = "USD";
                double val;
                if (strcmp(mnames[j], "costs") == 0) {
                    double parts[3] = {row_metric(&f, &v, met_at, nmet, i, "fees_paid", NULL),
                                       row_metric(&f, &v, met_at, nmet, i, "slippage_paid", NULL),
                                       row_metric(&f, &v, met_at, nmet, i, "gas_paid", NULL)};
                    int any = 0;
                    val = 0;
                    for (size_t k = 0; k < 3; k++)
                        if (!isnan(parts[k])) val += parts[k], any = 1;
                    if (!any) val = NAN;
                } else {
                    val = row_metric(&f, &v, met_at, nmet, i, mnames[j], &unit);
                }
                fmt_metric(unit, val, buf);
                row[c] = strdup(buf);
            }
            if (show_depleted) row[c] = strdup(f.depleted_on[i] ? f.depleted_on[i] : "-");
        }
        for (size_t i = 0; i < t.rows * t.cols; i++) oom |= t.cells[i] == NULL;
        if (oom) {
            free(shown);
            free(constant);
            rc = rb_fail(err, RB_ERR_NOMEM, "out of memory formatting the runs");
            goto done;
        }
    }

    fprintf(out, "sweep %lld (%s): %lld of %lld configurations stored", (long long)sweep, status, (long long)stored,
            (long long)configurations);
    if (nconds) {
        fprintf(out, "; %lld where", (long long)matching);
        for (size_t i = 0; i < nconds; i++)
            fprintf(out, "%s %s %s %s", i ? " and" : "", conds[i].column, conds[i].op, conds[i].text);
    }
    if (q->top) fprintf(out, "; top %zu by %s (%s first)\n", q->top, by, asc ? "lowest" : "highest");
    else fprintf(out, "; all by %s (%s first)\n", by, asc ? "lowest" : "highest");
    if (f.n == 0) {
        fputs("no runs to show\n", out);
    } else {
        print_table(out, &t);
        int first = 1;
        for (size_t j = 0; j < nparam; j++) {
            if (constant[j] != 1 || nset <= FEW_PARAMS) continue;
            fprintf(out, "%s%s=%s", first ? "same in every row shown: " : ", ", v.cols.name[v.order[param_at[j]]],
                    f.param[j]);
            first = 0;
        }
        if (!first) fputc('\n', out);
    }
    free(shown);
    free(constant);

done:
    if (rc == RB_OK && ferror(out)) rc = rb_fail(err, RB_ERR_IO, "writing the runs of %s failed", path);
    sqlite3_finalize(st);
    for (size_t i = 0; i < t.rows * t.cols && t.cells; i++) free(t.cells[i]);
    free(t.cells);
    free(t.right);
    for (size_t i = 0; i < f.n; i++) {
        free(f.section[i]);
        free(f.strategy[i]);
        free(f.depleted_on[i]);
        for (size_t j = 0; j < nparam; j++) free(f.param[i * nparam + j]);
    }
    free(f.config_id);
    free(f.section);
    free(f.strategy);
    free(f.depleted_on);
    free(f.param);
    free(f.metric);
    free(param_at);
    free(met_at);
    for (size_t i = 0; i < nconds; i++) free(conds[i].text);
    free(conds);
    view_free(&v);
    results_close(r);
    return rc;
}

rb_status rb_results_best(const char *path, const char *by, size_t n, int64_t **ids, size_t *count, rb_error *err)
{
    size_t nm;
    const rb_metric_info *table = rb_metric_table(&nm);
    size_t k = 0;
    while (k < nm && strcmp(table[k].name, by) != 0) k++;
    char hint[96];
    if (k == nm)
        return rb_fail(err, RB_ERR_USAGE, "--keep: '%s' is not a metric%s (see 'rebal help metrics')", by,
                       rb_results_metric_hint(by, hint, sizeof hint));
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rb_status rc = rb_fail(err, RB_ERR_IO, "%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    /* `by` is one of the metric names checked above, so it can name the column. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT config_id FROM runs WHERE sweep_id = (SELECT max(id) FROM sweeps) "
             "ORDER BY \"%s\" IS NULL, \"%s\" %s, config_id LIMIT ?1",
             by, by, rb_results_ascending(by) ? "ASC" : "DESC");
    sqlite3_stmt *st = NULL;
    int64_t *out = malloc((n ? n : 1) * sizeof *out);
    size_t got = 0;
    rb_status rc = RB_OK;
    if (!out) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    else if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        rc = rb_fail(err, RB_ERR_DB, "%s: %s", path, sqlite3_errmsg(db));
    if (rc == RB_OK) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)n);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) out[got++] = sqlite3_column_int64(st, 0);
        if (step != SQLITE_DONE) rc = rb_fail(err, RB_ERR_DB, "%s: %s", path, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (rc != RB_OK) {
        free(out);
        return rc;
    }
    *ids = out;
    *count = got;
    return RB_OK;
}
