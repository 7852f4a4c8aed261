/* schema.c - the tables of a results store (schema.h): opening with the same checks as the
 * price store, the schema of a new store, the migration of an older one, the columns of runs
 * and their names. */
#include "schema.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "spec.h"
#include "store.h"
#include "alloc.h"
#include "results/oos_store.h"

#define BUSY_TIMEOUT_MS 5000

static const char *const base_names[RB_RCOL_NBASE] = {"sweep_id", "config_id", "section", "strategy", "status",
                                                      "error"};

/* The date a withdrawal emptied the portfolio (rb_metrics.depleted_on), NULL when it did
 * not: the one outcome of a run that is not a REAL metric. Placed after the metrics. */
#define DEPLETED_COLUMN "depleted_on"

/* Parameter keys that are SQL keywords, and their columns. A keyword key not listed gets
 * "_setting" appended (none does today; the suite checks every key). */
static const struct {
    const char *key, *column;
} renamed[] = {{"to", "to_mode"}, {"on", "on_bar"}, {"when", "when_file"}};
#define KEYWORD_SUFFIX "_setting"

static const rb_metric_info *find_metric(const char *name)
{
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    for (size_t m = 0; m < n; m++)
        if (strcmp(table[m].name, name) == 0) return &table[m];
    return NULL;
}

static int base_index(const char *name)
{
    for (int i = 0; i < RB_RCOL_NBASE; i++)
        if (strcmp(base_names[i], name) == 0) return i;
    return -1;
}

static int is_keyword(const char *name) { return sqlite3_keyword_check(name, (int)strlen(name)) != 0; }

/* ---------------------------------------------------------------- names */

rb_status rb_results_column_of(const char *path, const char *key, char name[RB_RESULTS_KEY_MAX], rb_error *err)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0) return rb_fail(err, RB_ERR_DATA, "%s: an empty parameter key", path);
    if (n >= RB_RESULTS_KEY_MAX - sizeof KEYWORD_SUFFIX)
        return rb_fail(err, RB_ERR_DATA, "%s: parameter key '%.40s...' is longer than %zu bytes", path, key,
                       RB_RESULTS_KEY_MAX - sizeof KEYWORD_SUFFIX - 1);
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return rb_fail(err, RB_ERR_DATA,
                           "%s: parameter key '%s' cannot name a column (lower-case letters, digits, '_' and '-' only)",
                           path, key);
        name[i] = c == '-' ? '_' : c;
    }
    name[n] = '\0';
    if (is_keyword(name)) {
        size_t k = 0;
        while (k < sizeof renamed / sizeof renamed[0] && strcmp(renamed[k].key, name) != 0) k++;
        if (k < sizeof renamed / sizeof renamed[0]) snprintf(name, RB_RESULTS_KEY_MAX, "%s", renamed[k].column);
        else strcat(name, KEYWORD_SUFFIX);
    }
    if (base_index(name) >= 0 || find_metric(name) || strcmp(name, DEPLETED_COLUMN) == 0)
        return rb_fail(err, RB_ERR_DATA, "%s: parameter key '%s' clashes with the results column '%s'", path, key,
                       name);
    return RB_OK;
}

void rb_results_column_name(const char *key, char *out, size_t len)
{
    char name[RB_RESULTS_KEY_MAX];
    if (rb_results_column_of("", key, name, NULL) == RB_OK) {
        snprintf(out, len, "%s", name);
        return;
    }
    snprintf(out, len, "%s", key); /* not a column name: as it is, '-' turned into '_' */
    for (char *p = out; *p; p++)
        if (*p == '-') *p = '_';
}

/* The key of a parameter column: the inverse of rb_results_column_of, and '_' -> '-' for
 * the columns of a version 1 store (to, on). */
static char *key_of_column(const char *name)
{
    char key[RB_RESULTS_KEY_MAX];
    snprintf(key, sizeof key, "%s", name);
    for (size_t k = 0; k < sizeof renamed / sizeof renamed[0]; k++)
        if (strcmp(renamed[k].column, name) == 0) snprintf(key, sizeof key, "%s", renamed[k].key);
    size_t n = strlen(key), s = strlen(KEYWORD_SUFFIX);
    if (n > s && strcmp(key + n - s, KEYWORD_SUFFIX) == 0) {
        key[n - s] = '\0';
        if (!is_keyword(key)) key[n - s] = KEYWORD_SUFFIX[0];
    }
    for (char *p = key; *p; p++)
        if (*p == '_') *p = '-';
    return rb_strdup(key);
}

/* ---------------------------------------------------------------- columns */

void rb_results_columns_free(rb_results_columns *cols)
{
    for (size_t i = 0; i < cols->n; i++) {
        free(cols->col[i].name);
        free(cols->col[i].key);
    }
    free(cols->col);
    cols->col = NULL;
    cols->n = 0;
}

/* Classifies a column read from the table; 0 when out of memory. */
static int classify(rb_results_column *c, const char *name, const char *type)
{
    memset(c, 0, sizeof *c);
    if (!(c->name = rb_strdup(name))) return 0;
    c->real = strcmp(type, "REAL") == 0 || strcmp(type, "INTEGER") == 0;
    if (base_index(name) >= 0) c->kind = RB_RCOL_BASE;
    else if ((c->metric = find_metric(name))) c->kind = RB_RCOL_METRIC;
    else if (strcmp(name, DEPLETED_COLUMN) == 0) c->kind = RB_RCOL_OUTCOME;
    else {
        c->kind = RB_RCOL_PARAM;
        if (!(c->key = key_of_column(name))) return 0;
        const rb_setting_info *info = rb_setting_find(c->key);
        c->fraction = info && info->fraction;
    }
    return 1;
}

/* Sorts the columns into presentation order and indexes the base ones. */
static void present(rb_results_columns *cols)
{
    size_t n = cols->n, k = 0, nmetric;
    rb_results_column *sorted = rb_malloc(n * sizeof *sorted);
    if (sorted) {
        for (int kind = RB_RCOL_BASE; kind <= RB_RCOL_OUTCOME; kind++) {
            if (kind == RB_RCOL_METRIC) {
                const rb_metric_info *table = rb_metric_table(&nmetric);
                for (size_t m = 0; m < nmetric; m++)
                    for (size_t i = 0; i < n; i++)
                        if (cols->col[i].metric == &table[m]) sorted[k++] = cols->col[i];
                continue;
            }
            for (size_t i = 0; i < n; i++)
                if ((int)cols->col[i].kind == kind) sorted[k++] = cols->col[i];
        }
        memcpy(cols->col, sorted, n * sizeof *sorted);
        free(sorted);
    } /* else: table order, which every use accepts too */
    for (int b = 0; b < RB_RCOL_NBASE; b++) cols->base[b] = -1;
    cols->depleted = -1;
    for (size_t i = 0; i < n; i++) {
        int b = cols->col[i].kind == RB_RCOL_BASE ? base_index(cols->col[i].name) : -1;
        if (b >= 0) cols->base[b] = (int)i;
        if (cols->col[i].kind == RB_RCOL_OUTCOME) cols->depleted = (int)i;
    }
}

/* Appends a column (name, declared type) to cols (room for cap). */
static rb_status add_column(const rb_rconn *c, rb_results_columns *cols, size_t *cap, const char *name,
                            const char *type, rb_error *err)
{
    if (cols->n == *cap) {
        size_t ncap = *cap ? 2 * *cap : 64;
        rb_results_column *grown = rb_realloc(cols->col, ncap * sizeof *grown);
        if (!grown) return rb_fail(err, RB_ERR_NOMEM, "out of memory reading the columns of %s", c->path);
        cols->col = grown;
        *cap = ncap;
    }
    if (!classify(&cols->col[cols->n], name ? name : "", type ? type : "")) {
        free(cols->col[cols->n].name);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory reading the columns of %s", c->path);
    }
    cols->n++;
    return RB_OK;
}

/* The columns of runs, in table order, as a statement over the table names them and their
 * declared types: pragma_table_info would give the same, but it is a virtual table SQLite
 * declares on its first use, parsing a schema of its own (0.13-0.3 ms of the best runs'
 * report after a sweep, on the 2-core VM). A store whose runs table cannot be read so (none,
 * or damaged) is asked through the pragma, whose answer the caller words. */
static rb_status read_columns(const rb_rconn *c, rb_results_columns *cols, size_t *cap, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, "SELECT * FROM runs LIMIT 0", -1, &st, NULL) == SQLITE_OK && st) {
        rb_status rc = RB_OK;
        int n = sqlite3_column_count(st);
        for (int i = 0; i < n && rc == RB_OK; i++)
            rc = add_column(c, cols, cap, sqlite3_column_name(st, i), sqlite3_column_decltype(st, i), err);
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    rb_status rc = rb_rsql_prepare(c, "SELECT name, type FROM pragma_table_info('runs') ORDER BY cid", &st, err);
    if (rc != RB_OK) return rc;
    int step;
    while (rc == RB_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
        rc = add_column(c, cols, cap, (const char *)sqlite3_column_text(st, 0),
                        (const char *)sqlite3_column_text(st, 1), err);
    if (rc == RB_OK && step != SQLITE_DONE) rc = rb_rsql_fail(c, err, "reading the columns of runs");
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_results_columns_read(const rb_rconn *c, rb_results_columns *out, rb_error *err)
{
    rb_results_columns cols = {0};
    size_t cap = 0;
    rb_status rc = read_columns(c, &cols, &cap, err);
    if (rc == RB_OK && cols.n == 0)
        rc = rb_fail(err, RB_ERR_SCHEMA, "%s: the results store has no runs table (corrupt?)", c->path);
    if (rc == RB_OK) {
        present(&cols);
        if (cols.base[RB_RCOL_SWEEP_ID] < 0 || cols.base[RB_RCOL_CONFIG_ID] < 0 || cols.base[RB_RCOL_SECTION] < 0 ||
            cols.base[RB_RCOL_STRATEGY] < 0)
            rc = rb_fail(err, RB_ERR_SCHEMA, "%s: the runs table lacks sweep_id, config_id, section or strategy",
                         c->path);
    }
    if (rc != RB_OK) {
        rb_results_columns_free(&cols);
        return rc;
    }
    *out = cols;
    return RB_OK;
}

int rb_results_columns_find(const rb_results_columns *cols, const char *name)
{
    for (size_t i = 0; i < cols->n; i++)
        if (strcmp(cols->col[i].name, name) == 0) return (int)i;
    /* A key as a flag or as the column a newer or older store names it. */
    char *key = key_of_column(name);
    int at = -1;
    for (size_t i = 0; key && at < 0 && i < cols->n; i++)
        if (cols->col[i].key && strcmp(cols->col[i].key, key) == 0) at = (int)i;
    free(key);
    return at;
}

/* ---------------------------------------------------------------- creating */

/* The head of CREATE TABLE runs: the base columns. */
static void runs_head(FILE *f, const char *table)
{
    fprintf(f,
            "CREATE TABLE %s (\n"
            "  sweep_id  INTEGER NOT NULL REFERENCES sweeps(id),\n"
            "  config_id INTEGER NOT NULL,\n"
            "  section   TEXT,\n"
            "  strategy  TEXT,\n"
            "  status    TEXT NOT NULL DEFAULT '" RB_RUN_OK "' CHECK (status IN ('" RB_RUN_OK "', '" RB_RUN_FAILED
            "')),\n"
            "  error     TEXT,\n",
            table);
}

rb_status rb_results_schema_create(rb_rconn *c, const char *const *keys, char names[][RB_RESULTS_KEY_MAX], size_t n,
                                   int *created, rb_error *err)
{
    *created = 0;
    rb_store_identity id;
    if (rb_store_identify(c->db, &id) != SQLITE_OK) return rb_rsql_fail(c, err, "creating the results schema");
    int64_t app = id.app, ver = id.version, tables = id.objects;
    if (app == RB_RESULTS_STORE_APP_ID && ver >= RB_RESULTS_SCHEMA_VERSION) {
        c->version = (int)ver; /* another process created it meanwhile: nothing to do */
        return RB_OK;
    }
    if (tables > 0 || ver != 0 || (app != 0 && app != RB_RESULTS_STORE_APP_ID))
        return rb_fail(err, RB_ERR_SCHEMA, "%s: another program wrote to this file meanwhile; run again", c->path);
    rb_rsql_text t;
    rb_status rc = rb_rsql_text_open(&t, err);
    if (rc != RB_OK) return rc;
    fputs("CREATE TABLE sweeps (\n"
          "  id             INTEGER PRIMARY KEY,\n"
          "  spec           TEXT NOT NULL,\n"
          "  dataset_hash   TEXT,\n"
          "  code_version   TEXT NOT NULL,\n"
          "  configurations INTEGER NOT NULL,\n"
          "  started_at     TEXT NOT NULL,\n" /* ISO 8601 UTC */
          "  finished_at    TEXT,\n"          /* ISO 8601 UTC; NULL while running */
          "  status         TEXT NOT NULL CHECK (status IN ('running', 'done', 'interrupted', 'failed')),\n"
          "  spec_path      TEXT\n" /* the sweep file's absolute path (its [venues] paths are relative to it) */
          ");\n",
          t.f);
    /* The columns in the order an older store has them: parameters last, as if added. */
    runs_head(t.f, "runs");
    size_t nmetric;
    const rb_metric_info *metric = rb_metric_table(&nmetric);
    for (size_t m = 0; m < nmetric; m++) fprintf(t.f, "  \"%s\" REAL,\n", metric[m].name);
    fputs("  \"" DEPLETED_COLUMN "\" TEXT,\n", t.f);
    for (size_t k = 0; k < n; k++)
        fprintf(t.f, "  \"%s\" %s,\n", names[k], rb_setting_numeric(keys[k]) ? "REAL" : "TEXT");
    fprintf(t.f,
            "  PRIMARY KEY (sweep_id, config_id)\n"
            ") WITHOUT ROWID;\n"
            "PRAGMA application_id = %d;\n"
            "PRAGMA user_version = %d;\n",
            RB_RESULTS_STORE_APP_ID, RB_RESULTS_SCHEMA_VERSION);
    char *sql = rb_rsql_text_close(&t, err);
    rc = sql ? rb_rsql_exec(c, sql, "creating the results schema", err) : RB_ERR_NOMEM;
    free(sql);
    if (rc == RB_OK) rc = rb_results_oos_tables(c, err); /* version 3: the out-of-sample tables */
    *created = rc == RB_OK;
    return rc;
}

rb_status rb_results_schema_created(rb_rconn *c, rb_error *err)
{
    c->version = RB_RESULTS_SCHEMA_VERSION;
    c->fresh = strcmp(c->path, ":memory:") != 0;
    if (c->brief) return RB_OK; /* durable at its last checkpoint's sync (rb_results_schema_unbrief) */
    return rb_rsql_exec(c, "PRAGMA synchronous = NORMAL", "setting synchronous", err);
}

/* WAL lets readers read while a sweep writes; a sweep that ends within a second has no
 * watcher to serve, while the WAL costs it the copy of every page into the file at its last
 * checkpoint, the -shm file's mapping and the return to rollback-journal mode at the close
 * (the 1,000-band sweep's whole command: 0.6 ms of 28, 41 runs each, alternately), and the
 * switch into WAL as the new file is made (some 0.5 ms of the side job's thread, on which
 * the sweep's start waits: the 1,000-band command 0.8 ms faster without it, 63 of 81 paired
 * runs; bench/README.md, forty-first session). In the rollback journal its commits are as
 * safe from a process that dies (the journal, played back by the next connection, leaves the
 * committed rows), and unsynced, as in WAL under the fresh store's last checkpoint: the one
 * sync at the end makes them durable, and a power cut mid-sweep can cost only this new file.
 * So a new file is made in rollback-journal mode (prepare_for_writing, c->brief), which a
 * brief sweep keeps, and which a sweep that is not brief, or one after a brief sweep, leaves
 * for WAL here: its schema, still to be created in a new file, unsynced as before, NORMAL
 * from rb_results_schema_created on. */
rb_status rb_results_schema_unbrief(rb_rconn *c, rb_error *err)
{
    /* a new file another command removed meanwhile stays as it is: the sweep's start says so
     * (writer_sweep.c), where SQLite would refuse the switch as a write to a read-only file */
    if (!c->brief || rb_sqlite_file_was_removed(c->db)) return RB_OK;
    rb_status rc = rb_rsql_exec(c, "PRAGMA journal_mode = WAL", "setting the journal mode", err);
    if (rc == RB_OK && c->version > 0) rc = rb_rsql_exec(c, "PRAGMA synchronous = NORMAL", "setting synchronous", err);
    if (rc == RB_OK) c->brief = 0;
    return rc;
}

/* ---------------------------------------------------------------- migrating */

int rb_results_number_text(const char *text, int fraction, double *out)
{
    return text && rb_number_read(text, strlen(text), fraction, out) == RB_NUMBER_OK;
}

int rb_setting_value_number(const char *key, const char *text, double *out)
{
    const rb_setting_info *s = key ? rb_setting_find(key) : NULL;
    return s && rb_setting_is_numeric(s) && rb_results_number_text(text, s->fraction, out);
}

/* rb_number_of(fraction, x): x as a REAL when it is text holding a number (a percentage when
 * fraction), else x unchanged: how a version 1 value moves into a REAL column. */
static void sql_number_of(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    double v;
    if (sqlite3_value_type(argv[1]) == SQLITE_TEXT &&
        rb_results_number_text((const char *)sqlite3_value_text(argv[1]), sqlite3_value_int(argv[0]), &v))
        sqlite3_result_double(ctx, v);
    else
        sqlite3_result_value(ctx, argv[1]);
}

/* The statements moving a version 1 runs table into version 2: a new table with status and
 * error, each parameter column renamed off SQL keywords and typed (REAL for numbers), the
 * rows copied with their numbers converted exactly as the writer converts them. */
static rb_status migration_sql(const rb_rconn *c, const rb_results_columns *old, char **out, rb_error *err)
{
    char(*name)[RB_RESULTS_KEY_MAX] = rb_calloc(old->n, sizeof *name);
    if (!name) return rb_fail(err, RB_ERR_NOMEM, "out of memory migrating %s", c->path);
    rb_status rc = RB_OK;
    for (size_t i = 0; i < old->n && rc == RB_OK; i++) {
        if (old->col[i].kind == RB_RCOL_PARAM) rc = rb_results_column_of(c->path, old->col[i].key, name[i], err);
        else snprintf(name[i], sizeof name[i], "%s", old->col[i].name);
    }
    rb_rsql_text t;
    if (rc == RB_OK) rc = rb_rsql_text_open(&t, err);
    if (rc != RB_OK) {
        free(name);
        return rc;
    }
    runs_head(t.f, "runs_v2");
    for (size_t i = 0; i < old->n; i++) {
        const rb_results_column *col = &old->col[i];
        if (col->kind == RB_RCOL_BASE) continue;
        int real = col->kind == RB_RCOL_METRIC || (col->kind == RB_RCOL_PARAM && rb_setting_numeric(col->key));
        fprintf(t.f, "  \"%s\" %s,\n", name[i], real ? "REAL" : "TEXT");
    }
    fputs("  PRIMARY KEY (sweep_id, config_id)\n) WITHOUT ROWID;\nINSERT INTO runs_v2 (", t.f);
    for (size_t i = 0, k = 0; i < old->n; i++) fprintf(t.f, "%s\"%s\"", k++ ? ", " : "", name[i]);
    fputs(") SELECT ", t.f);
    for (size_t i = 0, k = 0; i < old->n; i++) {
        const rb_results_column *col = &old->col[i];
        fputs(k++ ? ", " : "", t.f);
        if (col->kind == RB_RCOL_PARAM && rb_setting_numeric(col->key))
            fprintf(t.f, "rb_number_of(%d, \"%s\")", col->fraction, col->name);
        else
            fprintf(t.f, "\"%s\"", col->name);
    }
    fprintf(t.f, " FROM runs;\nDROP TABLE runs;\nALTER TABLE runs_v2 RENAME TO runs;\nPRAGMA user_version = %d;\n",
            RB_RESULTS_SCHEMA_VERSION);
    free(name);
    *out = rb_rsql_text_close(&t, err);
    return *out ? RB_OK : RB_ERR_NOMEM;
}

/* Migrates a version 1 store to version 2, and a version 2 store to 3, in one transaction (another process may have
 * done it meanwhile: then there is nothing to do). */
static rb_status migrate(rb_rconn *c, rb_error *err)
{
    rb_status rc = rb_rsql_exec(c, "BEGIN IMMEDIATE", "migrating the results store", err);
    if (rc != RB_OK) return rc;
    int64_t version = 0;
    rc = rb_rsql_int(c, "PRAGMA user_version", &version, err);
    if (rc == RB_OK && version == 1) {
        rb_results_columns old;
        char *sql = NULL;
        rc = rb_results_columns_read(c, &old, err);
        if (rc == RB_OK) {
            rc = migration_sql(c, &old, &sql, err);
            rb_results_columns_free(&old);
        }
        if (rc == RB_OK && sqlite3_create_function_v2(c->db, "rb_number_of", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                                      NULL, sql_number_of, NULL, NULL, NULL) != SQLITE_OK)
            rc = rb_rsql_fail(c, err, "migrating the results store");
        if (rc == RB_OK) rc = rb_rsql_exec(c, sql, "migrating the results store to schema version 2", err);
        free(sql);
    }
    /* Version 2 to 3: the out-of-sample tables, empty. */
    if (rc == RB_OK && version >= 1 && version < RB_RESULTS_OOS_VERSION) {
        rc = rb_results_oos_tables(c, err);
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", RB_RESULTS_OOS_VERSION);
        if (rc == RB_OK) rc = rb_rsql_exec(c, sql, "migrating the results store to schema version 3", err);
    }
    if (rc == RB_OK) rc = rb_rsql_exec(c, "COMMIT", "migrating the results store", err);
    if (rc != RB_OK) rb_rsql_rollback(c);
    else c->version = RB_RESULTS_SCHEMA_VERSION;
    return rc;
}

/* ---------------------------------------------------------------- opening */

/* Checks the opened file is a results store this build understands; c->version gets its
 * schema version, 0 for a database with no tables at all (adopted when writing). */
static rb_status check_schema(rb_rconn *c, rb_error *err)
{
    rb_store_identity id;
    if (rb_store_identify(c->db, &id) != SQLITE_OK) return rb_rsql_fail(c, err, "reading the schema");
    int64_t app = id.app, ver = id.version, tables = id.objects;
    if (app == RB_RESULTS_STORE_APP_ID) {
        if (ver == 0 && tables == 0) { /* opened for writing once, no sweep begun yet */
            c->version = 0;
            return RB_OK;
        }
        if (ver > RB_RESULTS_SCHEMA_RESAMPLE)
            return rb_fail(err, RB_ERR_SCHEMA,
                           "%s: written by a newer rebal (results schema version %lld; this build reads up to %d): "
                           "upgrade rebal",
                           c->path, (long long)ver, RB_RESULTS_SCHEMA_RESAMPLE);
        if (ver < 1)
            return rb_fail(err, RB_ERR_SCHEMA, "%s: invalid results schema version %lld", c->path, (long long)ver);
        c->version = (int)ver;
        return RB_OK;
    }
    if (app == 0 && ver == 0 && tables == 0) {
        c->version = 0;
        return RB_OK;
    }
    return rb_store_wrong_kind(c->path, app, RB_RESULTS_STORE_APP_ID, err);
}

/* The file checks before SQLite opens it; *content: whether the file holds anything. */
static rb_status check_file(const char *path, int readonly, int *content, int *exists, rb_error *err)
{
    *content = 0;
    if (!path || !*path) return rb_fail(err, RB_ERR_USAGE, "no results store path given");
    if (!sqlite3_threadsafe())
        return rb_fail(err, RB_ERR_DB, "%s: this SQLite library was built without thread support", path);
    int memory = strcmp(path, ":memory:") == 0;
    *exists = 0;
    int has = memory ? 0 : rb_file_has_content(path, exists);
    if (has < 0) return rb_fail(err, RB_ERR_IO, "%s: %s", path, strerror(errno));
    if (readonly && !memory && !*exists) return rb_fail(err, RB_ERR_NOT_FOUND, "%s: no such results store", path);
    if (readonly && !memory && !has)
        return rb_fail(err, RB_ERR_NOT_FOUND, "%s: empty results store (no sweep recorded yet)", path);
    *content = has;
    rb_status rc = has ? rb_sqlite_check_header(path, err) : RB_OK;
    if (rc == RB_OK && !readonly && !memory) rc = rb_sqlite_check_writable(path, *exists, "results store", err);
    return rc;
}

/* Journal and schema of a store opened for writing; created: this open made the file. */
static rb_status prepare_for_writing(rb_rconn *c, int created, rb_error *err)
{
    /* WAL: a kill -9 leaves only whole committed transactions, and `rebal runs` can read
     * while a sweep writes; NORMAL sync loses nothing committed when a process dies. */
    int memory = strcmp(c->path, ":memory:") == 0;
    if (c->version > 0) {
        rb_status rc = rb_rsql_exec(c, memory ? "PRAGMA journal_mode = MEMORY" : "PRAGMA journal_mode = WAL",
                                    "setting the journal mode", err);
        if (rc == RB_OK) rc = rb_rsql_exec(c, "PRAGMA synchronous = NORMAL", "setting synchronous", err);
        if (rc == RB_OK && c->version < RB_RESULTS_SCHEMA_VERSION) rc = migrate(c, err);
        return rc;
    }
    /* An empty file: marked as a results store now (so no other command adopts it), its
     * tables created with the first sweep's columns by rb_results_schema_create. It holds
     * nothing to lose until then: the mark and the schema go without the fsyncs NORMAL would
     * give them. A power cut in that moment leaves an empty or unreadable new file, never an
     * older sweep's rows; what is committed after the schema is under NORMAL, as for any
     * store, but in a brief sweep (rb_results_schema_unbrief says when and why). */
    char mark[64];
    snprintf(mark, sizeof mark, "PRAGMA application_id = %d", RB_RESULTS_STORE_APP_ID);
    rb_status rc = rb_rsql_exec(c, "PRAGMA synchronous = OFF", "setting synchronous", err);
    /* Pages of 16 KiB, set before the first write fixes the size for the file's life. A run's
     * row is some 450 bytes and config ids are hashes, so a sweep's rows land all over the
     * table: larger pages mean fewer pages to write per commit and to copy at the checkpoint,
     * and fewer system calls for each (on the 2-core development VM, a sweep of 100,000
     * configurations on 2 threads: 1.76 s against 1.99 in SQLite's default 4 KiB pages, 0.24 s
     * of system time against 0.42; bench/README.md, seventh session). A store made by an
     * earlier build keeps the size it has. */
    if (rc == RB_OK) rc = rb_rsql_exec(c, "PRAGMA page_size = " RB_RESULTS_PAGE_SIZE, "setting the page size", err);
    /* The mark through journal mode OFF: the first page written without a rollback journal to
     * create, write and delete (nothing to roll back in an empty file). */
    if (rc == RB_OK && !memory) rc = rb_rsql_exec(c, "PRAGMA journal_mode = OFF", "setting the journal mode", err);
    if (rc == RB_OK) rc = rb_rsql_exec(c, mark, "marking the results store", err);
    if (memory) return rc == RB_OK ? rb_rsql_exec(c, "PRAGMA journal_mode = MEMORY", "setting the journal mode", err)
                                   : rc;
    /* A file this open made is left in rollback-journal mode for a brief sweep, which runs
     * it so, and a sweep that is not brief takes it to WAL as it begins; a file that was
     * there, empty, goes to WAL now, as any store does. */
    if (rc == RB_OK)
        rc = rb_rsql_exec(c, created ? "PRAGMA journal_mode = DELETE" : "PRAGMA journal_mode = WAL",
                          "setting the journal mode", err);
    if (rc == RB_OK) c->brief = created;
    return rc;
}

rb_status rb_results_schema_open(const char *path, int readonly, rb_rconn *c, rb_error *err)
{
    memset(c, 0, sizeof *c);
    int content = 0, exists = 0;
    rb_status rc = check_file(path, readonly, &content, &exists, err);
    if (rc != RB_OK) return rc;
    if (!(c->path = rb_strdup(path))) return rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", path);
    /* NOMUTEX: the connection is used by one thread at a time (the caller, or the writer
     * between rb_results_begin and rb_results_end), ordered by pthread_create/join. */
    /* A reader writes and creates nothing (store_file.c): it reads a store in a read-only
     * directory, and leaves no -wal or -shm beside it. */
    if (readonly) {
        rc = rb_sqlite_open_reader(path, 0, BUSY_TIMEOUT_MS, &c->db, err);
    } else if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
               SQLITE_OK) {
        rc = c->db ? rb_rsql_fail(c, err, "opening") : rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", path);
    }
    if (rc != RB_OK) {
        rb_results_schema_close(c);
        return rc;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    /* An absent or empty file holds no tables: nothing to ask SQLite (version 0). */
    if (content) rc = check_schema(c, err);
    if (rc == RB_OK && readonly && c->version == 0)
        rc = rb_fail(err, RB_ERR_NOT_FOUND, "%s: empty results store (no sweep recorded yet)", path);
    const int created = !readonly && !exists && strcmp(path, ":memory:") != 0;
    if (rc == RB_OK && !readonly) rc = prepare_for_writing(c, created, err);
    if (rc == RB_OK) rc = rb_rsql_exec(c, "PRAGMA foreign_keys = ON", "enabling foreign keys", err);
    if (rc != RB_OK) rb_results_schema_close(c);
    else c->created = created;
    return rc;
}

/* 1 when the file holds no table: a results store whose first sweep never began. */
static int holds_no_table(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int none = sqlite3_prepare_v2(db, "SELECT count(*) = 0 FROM sqlite_schema", -1, &st, NULL) == SQLITE_OK &&
               sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    return none;
}

/* The last checkpoint of a store this connection created: the WAL is copied into the
 * database file without first being synced itself (nor its directory), then the database
 * file is synced before the close deletes the WAL. Of NORMAL's three fsyncs one remains: the
 * one that makes the results durable. A power cut in the middle can leave this new file
 * unreadable, never an older store. With readers still on the WAL, the checkpoint cannot
 * finish and everything stays under NORMAL. rb_results_schema_checkpoint is the copy: 1 when
 * the whole WAL is in the (not yet synced) database file, the connection then under
 * synchronous OFF; else 0, under NORMAL again. */
int rb_results_schema_checkpoint(const rb_rconn *c)
{
    int wal_frames = -1, copied = -2;
    if (sqlite3_exec(c->db, "PRAGMA synchronous = OFF", NULL, NULL, NULL) != SQLITE_OK) return 0;
    if (sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &wal_frames, &copied) == SQLITE_OK &&
        wal_frames == copied)
        return 1;
    sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL); /* the close checkpoints as ever */
    return 0;
}

/* The checkpoint and the sync, here and now (unless the caller took them: c->settled).
 * Returns 1 when the whole WAL is in the synced database file. */
static int checkpoint_fresh(const rb_rconn *c)
{
    if (c->settled > 0) return 1;
    sqlite3_file *f = NULL;
    if (!c->settled && rb_results_schema_checkpoint(c) &&
        sqlite3_file_control(c->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) == SQLITE_OK && f && f->pMethods &&
        f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) == SQLITE_OK)
        return 1;
    sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL); /* the close checkpoints as ever */
    return 0;
}

void rb_results_schema_close(rb_rconn *c)
{
    /* A file this open created and no sweep was begun in is removed again (unless another
     * connection has it or wrote into it). A writer leaves the store in rollback-journal mode
     * (store_file.c). A store this connection created and has just checkpointed whole gets there through journal mode OFF:
     * the one page that marks the file as no longer WAL is written in place, with no rollback
     * journal to create and delete (a power cut then can cost this new file, as above). With
     * another connection on the file the switch fails at once and the file stays in WAL mode,
     * which is correct, until a writer that closes last. */
    if (c->db && c->created && c->version == 0) {
        rb_sqlite_remove_unused(c->db, c->path, holds_no_table);
    } else if (c->db && c->fresh && checkpoint_fresh(c)) {
        sqlite3_busy_timeout(c->db, 0);
        sqlite3_exec(c->db, "PRAGMA journal_mode = OFF", NULL, NULL, NULL);
    } else if (c->db) {
        rb_sqlite_rest(c->db);
    }
    if (c->db) sqlite3_close_v2(c->db);
    free(c->path);
    c->db = NULL;
    c->path = NULL;
}

/* ---------------------------------------------------------------- writing */

rb_status rb_results_schema_add(const rb_rconn *c, const char *const *keys, char names[][RB_RESULTS_KEY_MAX],
                                size_t n, rb_error *err)
{
    rb_results_columns have;
    rb_status rc = rb_results_columns_read(c, &have, err);
    if (rc != RB_OK) return rc;
    char sql[RB_RESULTS_KEY_MAX + 64];
    size_t nmetric;
    const rb_metric_info *metric = rb_metric_table(&nmetric);
    for (size_t m = 0; m < nmetric && rc == RB_OK; m++) {
        if (rb_results_columns_find(&have, metric[m].name) >= 0) continue;
        snprintf(sql, sizeof sql, "ALTER TABLE runs ADD COLUMN \"%s\" REAL", metric[m].name);
        rc = rb_rsql_exec(c, sql, "adding a metric column", err);
    }
    if (rc == RB_OK && have.depleted < 0)
        rc = rb_rsql_exec(c, "ALTER TABLE runs ADD COLUMN \"" DEPLETED_COLUMN "\" TEXT", "adding a metric column", err);
    /* sweeps.spec_path: added to a store of an earlier build as to its metric columns (NULL
     * for its sweeps; the earlier build's reads and writes name their columns, so it keeps
     * reading and writing the store). */
    int64_t has_path = 1;
    if (rc == RB_OK) rc = rb_rsql_has_column(c, "sweeps", "spec_path", &has_path, err);
    if (rc == RB_OK && !has_path)
        rc = rb_rsql_exec(c, "ALTER TABLE sweeps ADD COLUMN spec_path TEXT", "adding the sweeps' spec_path column", err);
    /* An existing parameter column keeps its type: the writer stores by the declared type. */
    for (size_t k = 0; k < n && rc == RB_OK; k++) {
        int at = -1;
        for (size_t i = 0; i < have.n && at < 0; i++)
            if (strcmp(have.col[i].name, names[k]) == 0) at = (int)i;
        if (at >= 0) continue;
        snprintf(sql, sizeof sql, "ALTER TABLE runs ADD COLUMN \"%s\" %s", names[k],
                 rb_setting_numeric(keys[k]) ? "REAL" : "TEXT");
        rc = rb_rsql_exec(c, sql, "adding a parameter column", err);
    }
    rb_results_columns_free(&have);
    return rc;
}

rb_status rb_results_schema_insert(const rb_rconn *c, char names[][RB_RESULTS_KEY_MAX], size_t n,
                                   sqlite3_stmt **out, rb_error *err)
{
    rb_rsql_text t;
    rb_status rc = rb_rsql_text_open(&t, err);
    if (rc != RB_OK) return rc;
    fputs("INSERT INTO runs (sweep_id, config_id, section, strategy, status, error", t.f);
    for (size_t k = 0; k < n; k++) fprintf(t.f, ", \"%s\"", names[k]);
    size_t nmetric;
    const rb_metric_info *metric = rb_metric_table(&nmetric);
    for (size_t m = 0; m < nmetric; m++) fprintf(t.f, ", \"%s\"", metric[m].name);
    fputs(", \"" DEPLETED_COLUMN "\") VALUES (?, ?, ?, ?, ?, ?", t.f);
    for (size_t i = 0; i < n + nmetric + 1; i++) fputs(", ?", t.f);
    fputc(')', t.f);
    return rb_rsql_text_prepare(c, &t, out, err);
}
