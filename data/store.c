/* store.c - the SQLite price store: opening with validation (never touching a file that is
 * not ours, too new or corrupt), forward schema migrations, connection settings (WAL,
 * foreign keys) and the transaction helpers the other data modules share. */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "text.h"
#include "alloc.h"

/* The most of a store file a read-only connection maps (PRAGMA mmap_size; 256 MiB). */
#define RB_STORE_MMAP_SIZE "268435456"

/* Forward migrations: migrations[v] takes a store from user_version v to v + 1. Append only;
 * never edit a migration that has shipped. */
static const char *const migrations[] = {
    /* 0 -> 1: assets, bars, imports */
    "CREATE TABLE assets (\n"
    "  id     INTEGER PRIMARY KEY,\n"
    "  symbol TEXT NOT NULL UNIQUE,\n"
    "  name   TEXT,\n"
    "  kind   TEXT,\n"
    "  quote  TEXT NOT NULL DEFAULT 'USD'\n"
    ");\n"
    "CREATE TABLE bars (\n"
    "  asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,\n"
    "  ts       INTEGER NOT NULL,\n" /* seconds since the Unix epoch, UTC */
    "  open     REAL,\n"
    "  high     REAL,\n"
    "  low      REAL,\n"
    "  close    REAL NOT NULL,\n"
    "  volume   REAL,\n"
    "  PRIMARY KEY (asset_id, ts)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE imports (\n"
    "  id            INTEGER PRIMARY KEY,\n"
    "  source        TEXT NOT NULL,\n"
    "  format        TEXT NOT NULL,\n"
    "  rows          INTEGER NOT NULL,\n"
    "  bars_added    INTEGER NOT NULL,\n"
    "  bars_replaced INTEGER NOT NULL,\n"
    "  imported_at   TEXT NOT NULL\n" /* ISO 8601 UTC */
    ");\n",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

int rb_store_schema_version(void) { return SCHEMA_VERSION; }

rb_status rb_store_sql_error(rb_store *store, rb_error *err, const char *what)
{
    int code = sqlite3_extended_errcode(store->db) & 0xff;
    const char *msg = sqlite3_errmsg(store->db);
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
        return rb_fail(err, RB_ERR_SCHEMA, "%s: database is corrupt or not a SQLite database (%s: %s)",
                       store->path, what, msg);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return rb_fail(err, RB_ERR_DB, "%s: database is locked by another process (%s)", store->path, what);
    if (code == SQLITE_FULL)
        return rb_fail(err, RB_ERR_IO, "%s: disk full (%s)", store->path, what);
    if (code == SQLITE_READONLY)
        return rb_fail(err, RB_ERR_DB, "%s: database is read-only (%s)", store->path, what);
    return rb_fail(err, RB_ERR_DB, "%s: %s: %s", store->path, what, msg);
}

rb_status rb_store_prepare(rb_store *store, const char *sql, sqlite3_stmt **out, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
        return rb_store_sql_error(store, err, "preparing a statement");
    *out = st;
    return RB_OK;
}

static rb_status exec(rb_store *store, const char *sql, const char *what, rb_error *err)
{
    if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return rb_store_sql_error(store, err, what);
    return RB_OK;
}

rb_status rb_store_begin(rb_store *store, rb_error *err)
{
    return exec(store, "BEGIN IMMEDIATE", "starting a transaction", err);
}

rb_status rb_store_commit(rb_store *store, rb_error *err)
{
    rb_status st = exec(store, "COMMIT", "committing", err);
    if (st == RB_OK) store->committed = 1;
    return st;
}

void rb_store_rollback(rb_store *store)
{
    if (!sqlite3_get_autocommit(store->db)) sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

rb_status rb_store_asset_id(rb_store *store, const char *symbol, int64_t *id, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store, "SELECT id FROM assets WHERE symbol = ?1", &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_text(st, 1, symbol, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = RB_OK;
    } else if (step == SQLITE_DONE) {
        char shown[RB_QUOTE_BUF(RB_SYMBOL_MAX)]; /* the user's text, escaped: no control byte reaches the terminal */
        rc = rb_fail(err, RB_ERR_NOT_FOUND, "%s: unknown symbol '%s' (see 'rebal assets')", store->path,
                     rb_text_quote(symbol, strlen(symbol), RB_SYMBOL_MAX, shown, sizeof shown));
    } else {
        rc = rb_store_sql_error(store, err, "looking up a symbol");
    }
    sqlite3_finalize(st);
    return rc;
}

int rb_file_has_content(const char *path, int *exists)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        *exists = 0;
        return errno == ENOENT ? 0 : -1;
    }
    *exists = 1;
    return sb.st_size > 0;
}

rb_status rb_sqlite_check_header(const char *path, rb_error *err)
{
    static const char magic[16] = "SQLite format 3";
    char head[16];
    FILE *f = fopen(path, "rb");
    if (!f) return rb_fail(err, RB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n < sizeof head || memcmp(head, magic, sizeof magic) != 0)
        return rb_fail(err, RB_ERR_SCHEMA, "%s: not a SQLite database (refusing to touch it)", path);
    return RB_OK;
}

rb_status rb_store_wrong_kind(const char *path, int64_t app, int64_t wanted, rb_error *err)
{
    if (wanted == RB_PRICE_STORE_APP_ID && app == RB_RESULTS_STORE_APP_ID)
        return rb_fail(err, RB_ERR_SCHEMA,
                       "%s: a rebal results store, not a price store (results stores are read by 'rebal runs' "
                       "and 'rebal report'; the price store is the one 'rebal import' writes)",
                       path);
    if (wanted == RB_RESULTS_STORE_APP_ID && app == RB_PRICE_STORE_APP_ID)
        return rb_fail(err, RB_ERR_SCHEMA,
                       "%s: a rebal price store, not a results store (price stores are read by 'rebal assets', "
                       "'rebal run' and 'rebal sweep' as --db; results stores are written by 'rebal sweep'; "
                       "refusing to touch it)",
                       path);
    return rb_fail(err, RB_ERR_SCHEMA, "%s: not a rebal %s store (a SQLite database of another application%s)",
                   path, wanted == RB_PRICE_STORE_APP_ID ? "price" : "results",
                   wanted == RB_PRICE_STORE_APP_ID ? "" : "; refusing to touch it");
}

int rb_store_identify(sqlite3 *db, rb_store_identity *out)
{
    static const char sql[] = "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM "
                              "pragma_user_version), (SELECT count(*) FROM sqlite_schema)";
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = (rb_store_identity){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2)};
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Checks the opened file is a rebal store this build understands; *version gets its schema
 * version (0 for a database with no tables at all, which is adopted). */
static rb_status check_schema(rb_store *store, int64_t *version, rb_error *err)
{
    rb_store_identity id;
    if (rb_store_identify(store->db, &id) != SQLITE_OK) return rb_store_sql_error(store, err, "reading the schema");
    int64_t app = id.app, ver = id.version, tables = id.objects;

    if (app != RB_PRICE_STORE_APP_ID) {
        if (app == 0 && tables == 0 && ver == 0) {
            *version = 0;
            return RB_OK;
        }
        return rb_store_wrong_kind(store->path, app, RB_PRICE_STORE_APP_ID, err);
    }
    if (ver > SCHEMA_VERSION)
        return rb_fail(err, RB_ERR_SCHEMA,
                       "%s: written by a newer rebal (schema version %lld; this build reads up to %d): "
                       "upgrade rebal",
                       store->path, (long long)ver, SCHEMA_VERSION);
    if (ver < 0)
        return rb_fail(err, RB_ERR_SCHEMA, "%s: invalid schema version %lld", store->path, (long long)ver);
    *version = ver;
    return RB_OK;
}

static rb_status migrate(rb_store *store, int64_t from, rb_error *err)
{
    for (int64_t v = from; v < SCHEMA_VERSION; v++) {
        rb_status rc = rb_store_begin(store, err);
        if (rc != RB_OK) return rc;
        char pragmas[128];
        snprintf(pragmas, sizeof pragmas, "PRAGMA application_id = %d; PRAGMA user_version = %lld;",
                 RB_PRICE_STORE_APP_ID, (long long)(v + 1));
        rc = exec(store, migrations[v], "migrating the schema", err);
        if (rc == RB_OK) rc = exec(store, pragmas, "migrating the schema", err);
        if (rc == RB_OK) rc = exec(store, "COMMIT", "migrating the schema", err);
        if (rc != RB_OK) {
            rb_store_rollback(store);
            return rc;
        }
    }
    return RB_OK;
}

rb_status rb_store_open(const char *path, unsigned flags, rb_store **out, rb_error *err)
{
    if (!path || !*path) return rb_fail(err, RB_ERR_USAGE, "no database path given");
    int memory = strcmp(path, ":memory:") == 0;
    int readonly = (flags & RB_STORE_READONLY) != 0;

    int present = 0;
    int existed = memory ? 0 : rb_file_has_content(path, &present);
    if (existed < 0) return rb_fail(err, RB_ERR_IO, "%s: %s", path, strerror(errno));
    if (readonly && !memory && !existed)
        return rb_fail(err, RB_ERR_NOT_FOUND, "%s: no such price store (create one with 'rebal import')", path);
    if (existed) {
        rb_status rc = rb_sqlite_check_header(path, err);
        if (rc != RB_OK) return rc;
    }

    rb_store *store = rb_calloc(1, sizeof *store);
    if (!store || !(store->path = rb_strdup(path))) {
        free(store);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", path);
    }
    store->readonly = readonly;
    store->created = !memory && !existed;

    /* RB_STORE_CACHE: a read-write connection that writes nothing but the bar cache. */
    int cache = readonly && (flags & RB_STORE_CACHE) && !memory;
    store->cache_writable = (!readonly && !memory) || cache; /* a private in-memory store: no use */
    int oflags = cache ? SQLITE_OPEN_READWRITE
                 : readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    rb_status rc = RB_OK;
    if (sqlite3_open_v2(path, &store->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = store->db ? rb_store_sql_error(store, err, "opening")
                       : rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", path);
        goto fail;
    }
    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_timeout(store->db, 5000);

    int64_t version = 0;
    rc = check_schema(store, &version, err);
    if (rc != RB_OK) goto fail;
    if (readonly) {
        if (version < SCHEMA_VERSION) {
            rc = rb_fail(err, RB_ERR_SCHEMA,
                         "%s: schema version %lld is older than this build's %d; open it once for writing "
                         "(e.g. 'rebal import') to upgrade it",
                         path, (long long)version, SCHEMA_VERSION);
            goto fail;
        }
        /* The cache is a copy of what is stored: losing its last commit to a power cut is
         * harmless, so it commits without waiting for the disk. */
        if (cache) rc = exec(store, "PRAGMA synchronous = NORMAL", "setting synchronous", err);
        /* Readers map the file instead of copying its pages into SQLite's page cache: the
         * loader's one large read (the cached bars) then costs no page-cache fill, and few
         * page faults (the kernel maps file pages in batches). */
        if (rc == RB_OK) rc = exec(store, "PRAGMA mmap_size = " RB_STORE_MMAP_SIZE, "mapping the file", err);
        if (rc != RB_OK) goto fail;
    } else {
        /* WAL: readers never block the importer; NORMAL sync is corruption-safe under WAL. */
        rc = exec(store, memory ? "PRAGMA journal_mode = MEMORY" : "PRAGMA journal_mode = WAL",
                  "setting the journal mode", err);
        if (rc == RB_OK) rc = exec(store, "PRAGMA synchronous = NORMAL", "setting synchronous", err);
        if (rc == RB_OK) rc = migrate(store, version, err);
        if (rc != RB_OK) goto fail;
    }
    rc = exec(store, "PRAGMA foreign_keys = ON", "enabling foreign keys", err);
    if (rc != RB_OK) goto fail;
    *out = store;
    return RB_OK;

fail:
    rb_store_free(store);
    return rc;
}

/* A store file this open created that never received committed data is removed again, so a
 * failed first import (or a mistyped --db) leaves nothing behind. */
static void remove_if_unused(const rb_store *store)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char name[4096];
        if ((size_t)snprintf(name, sizeof name, "%s%s", store->path, suffix[i]) < sizeof name) unlink(name);
    }
}

void rb_store_free(rb_store *store)
{
    if (!store) return;
    if (store->db) sqlite3_close_v2(store->db);
    if (store->created && !store->committed && !store->readonly) remove_if_unused(store);
    free(store->path);
    free(store);
}
