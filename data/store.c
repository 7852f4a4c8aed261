/* store.c - the SQLite price store: opening with validation (never touching a file that is
 * not ours, too new or corrupt), forward schema migrations, connection settings (WAL while
 * writing, rollback-journal mode at rest: store_file.c; foreign keys), the transaction helpers
 * the other data modules share, and the removal of a new store a failed first import leaves. */
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

/* The page size of a new store (PRAGMA page_size; SQLite's default is 4 KiB): SQLite's
 * largest. A sweep reads each asset's cached bars (bar_cache.h) as one BLOB, which SQLite
 * keeps in a chain of overflow pages and reads a page a read(2) call: for 10 assets x 5,000
 * bars, 1.6 MB in 400 pages of 4 KiB, 100 of 16 KiB or 26 of 64 KiB (a sweep's reads of the
 * store, all told: 106 calls in 16 KiB pages, 31 in 64 KiB). Each call costs some
 * 3-7 us on the 2-core VM: the bars read in 0.43 ms instead of 0.74 with 16 KiB pages, and
 * the 1,000-band sweep starts 0.2 ms sooner (the same binary on a store of each size, 25
 * runs each), for an import of 1,000,000 rows 3 % slower (0.551 -> 0.566 s, 12 runs each,
 * alternately) and a small store larger. A store made by an earlier build keeps its pages
 * (VACUUM after PRAGMA page_size changes them). */
#define RB_STORE_PAGE_SIZE "65536"
/* How long a statement waits for another process's lock before "database is locked". */
#define BUSY_TIMEOUT_MS 5000

/* The map of a reader's file: the size is SQLite's cap on this system (SQLITE_MAX_MMAP_SIZE,
 * 2 GB on Linux): a larger file is mapped that far and read past it (open_reader). */
#define READER_MAP "PRAGMA mmap_size = 2147418112"

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
    /* 1 -> 2: dated series (gas prices, pool depths, funding rates, benchmarks: data/series.c) */
    "CREATE TABLE series (\n"
    "  id   INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL UNIQUE\n"
    ");\n"
    "CREATE TABLE series_points (\n"
    "  series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,\n"
    "  ts        INTEGER NOT NULL,\n" /* seconds since the Unix epoch, UTC */
    "  value     REAL NOT NULL,\n"
    "  PRIMARY KEY (series_id, ts)\n"
    ") WITHOUT ROWID;\n",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))
/* The oldest schema a reader reads as it is (a read-only open cannot migrate): version 1
 * lacks only the series tables, which such a store is read as holding none of. */
#define OLDEST_READABLE 1

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
    if (sqlite3_extended_errcode(store->db) == SQLITE_READONLY_ROLLBACK)
        return rb_fail(err, RB_ERR_DB,
                       "%s: an interrupted write left %s-journal to roll back, which needs write access: open the "
                       "store once where it can be written (%s)",
                       store->path, store->path, what);
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
    /* The first write takes the file into WAL mode (readers never block the importer;
     * NORMAL sync is corruption-safe under WAL) and rb_store_free returns it to rollback-
     * journal mode, in which readers need no file beside it (store_file.c). A writer that
     * refuses its input before writing leaves the file as it was. */
    if (!store->wal) {
        rb_status rc = exec(store, "PRAGMA journal_mode = WAL", "setting the journal mode", err);
        if (rc != RB_OK) return rc;
        store->wal = 1;
    }
    rb_status rc = exec(store, "BEGIN IMMEDIATE", "starting a transaction", err);
    /* Holding the write lock, the file can no longer be removed (remove_if_unused needs an
     * exclusive lock); removed before, whatever is written would be lost with it. */
    if (rc == RB_OK && rb_sqlite_file_was_removed(store->db)) {
        rb_store_rollback(store);
        rc = rb_fail(err, RB_ERR_DB,
                     "%s: removed by another process (a first import into the same new store that failed) "
                     "while this one was running; nothing was written: run it again",
                     store->path);
    }
    return rc;
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

void rb_store_shed_cache(rb_store *store) { (void)sqlite3_db_release_memory(store->db); }

void rb_store_unmap(rb_store *store)
{
    if (!store || !store->mapped) return;
    if (sqlite3_exec(store->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL) != SQLITE_OK) return;
    store->mapped = 0;
    store->unmapped = 1;
}

void rb_store_map_again(rb_store *store)
{
    if (!store || !store->unmapped) return;
    if (sqlite3_exec(store->db, READER_MAP, NULL, NULL, NULL) != SQLITE_OK) return; /* read, unmapped */
    store->mapped = 1;
    store->unmapped = 0;
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

int rb_sqlite_one_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

int rb_store_identify(sqlite3 *db, rb_store_identity *out)
{
    /* Plain pragmas in a transaction of their own (unless the caller's is open): one
     * statement reading the pragma_application_id and pragma_user_version tables made SQLite
     * declare both virtual tables first, parsing their schemas, where the pragmas read the
     * file's header (the price store's open 0.1 ms sooner). */
    int own = sqlite3_get_autocommit(db);
    int rc = own ? sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) : SQLITE_OK;
    if (rc == SQLITE_OK) rc = rb_sqlite_one_int(db, "PRAGMA application_id", &out->app);
    if (rc == SQLITE_OK) rc = rb_sqlite_one_int(db, "PRAGMA user_version", &out->version);
    if (rc == SQLITE_OK) rc = rb_sqlite_one_int(db, "SELECT count(*) FROM sqlite_schema", &out->objects);
    /* On an error the transaction is left to the close that every caller makes then: a
     * ROLLBACK here would replace the error the caller words. */
    if (own && rc == SQLITE_OK) rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
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

/* Brings the schema to SCHEMA_VERSION in one write transaction. The version is read again
 * under the write lock: two first imports into one new store both see version 0 at open,
 * and the second must not create the tables the first has just created. */
static rb_status migrate(rb_store *store, int64_t from, rb_error *err)
{
    if (from >= SCHEMA_VERSION) return RB_OK;
    /* a new store's pages, set before its first write (afterwards SQLite ignores it) */
    rb_status rc = RB_OK;
    if (from == 0) rc = exec(store, "PRAGMA page_size = " RB_STORE_PAGE_SIZE, "setting the page size", err);
    if (rc == RB_OK) rc = rb_store_begin(store, err);
    if (rc != RB_OK) return rc;
    int64_t v = 0;
    rc = check_schema(store, &v, err);
    for (; rc == RB_OK && v < SCHEMA_VERSION; v++) {
        char pragmas[128];
        snprintf(pragmas, sizeof pragmas, "PRAGMA application_id = %d; PRAGMA user_version = %lld;",
                 RB_PRICE_STORE_APP_ID, (long long)(v + 1));
        rc = exec(store, migrations[v], "migrating the schema", err);
        if (rc == RB_OK) rc = exec(store, pragmas, "migrating the schema", err);
    }
    if (rc == RB_OK) rc = exec(store, "COMMIT", "migrating the schema", err);
    if (rc != RB_OK) rb_store_rollback(store);
    return rc;
}

/* A writer's connection, the file created when absent; *version: its schema version. The
 * journal mode is set by the first write (rb_store_begin). A failed first import removes its
 * new file only under an exclusive lock (remove_if_unused): a writer that finds its file
 * removed at its first read opened the path just before, and opens it again (creating the
 * store anew); one that finds it so later is refused at its first write (rb_store_begin). */
static rb_status open_writer(rb_store *store, int memory, int64_t *version, rb_error *err)
{
    for (int attempt = 0;; attempt++) {
        if (sqlite3_open_v2(store->path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            NULL) != SQLITE_OK)
            return store->db ? rb_store_sql_error(store, err, "opening")
                             : rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", store->path);
        sqlite3_extended_result_codes(store->db, 1);
        sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);
        rb_status rc = check_schema(store, version, err);
        if (rc != RB_OK || memory || attempt == 3 || !rb_sqlite_file_was_removed(store->db)) return rc;
        sqlite3_close_v2(store->db);
        store->db = NULL;
        int present = 0;
        store->created = rb_file_has_content(store->path, &present) == 0;
    }
}

static int holds_nothing(sqlite3 *db);

/* A reader's connection (read-write only for the bar cache): nothing is written or created
 * beside the file (store_file.c). */
static rb_status open_reader(rb_store *store, int cache, rb_error *err)
{
    rb_status rc = rb_sqlite_open_reader(store->path, cache, BUSY_TIMEOUT_MS, &store->db, err);
    if (rc != RB_OK) return rc;
    sqlite3_extended_result_codes(store->db, 1);
    int64_t version = 0;
    rc = check_schema(store, &version, err);
    if (rc != RB_OK) return rc;
    /* An empty SQLite file, such as a first import that failed for want of memory may leave
     * (a store never made, which the next import makes): no store yet, not an old one. */
    if (version == 0 && holds_nothing(store->db))
        return rb_fail(err, RB_ERR_NOT_FOUND, "%s: no such price store (create one with 'rebal import')", store->path);
    if (version < OLDEST_READABLE)
        return rb_fail(err, RB_ERR_SCHEMA,
                       "%s: schema version %lld is older than this build's %d; open it once for writing "
                       "(e.g. 'rebal import') to upgrade it",
                       store->path, (long long)version, SCHEMA_VERSION);
    store->version = (int)version;
    /* The cache is a copy of what is stored: losing its last commit to a power cut is
     * harmless, so it commits without waiting for the disk. */
    if (cache) rc = exec(store, "PRAGMA synchronous = NORMAL", "setting synchronous", err);
    /* Readers map the file (PRAGMA mmap_size): the loader's one large read, the cached bars,
     * is a chain of overflow pages, which this build of SQLite (Debian's: no direct overflow
     * reads) otherwise reads a page a call into its page cache, on the heap: 1.7 MB there
     * for 10 assets x 5,000 bars, some 430 pages of 4 KiB the kernel faults in under the
     * reads' copies. Mapped, sqlite3_blob_read copies from the file's own pages, mapped 16 at
     * a fault (paired runs, alternately, 41 each, the heap still on 2 MiB pages then: one
     * configuration 0.24 ms faster, the 1,000-band sweep 1.0 ms; read into a heap of 4 KiB
     * pages, one configuration took 1 ms more still). The thirteenth session had found
     * reading faster (0.98 ms against 1.37) on a store of 16 KiB pages, its page cache on the
     * heap's 2 MiB pages; cli/heap.c says why the heap no longer is. The loader now reads
     * those BLOBs from the file itself where it may (bar_cache_file.h): the map serves its
     * other queries, and any BLOB left to SQLite. READER_MAP's size: a system that refuses
     * the map is read as before. */
    if (rc == RB_OK) rc = exec(store, READER_MAP, "mapping the store", err);
    store->mapped = rc == RB_OK;
    return rc;
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
    if (!readonly && !memory) {
        rb_status rc = rb_sqlite_check_writable(path, present, "price store", err);
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
    rb_status rc;
    if (readonly) {
        rc = open_reader(store, cache, err);
    } else {
        int64_t version = 0;
        rc = open_writer(store, memory, &version, err);
        if (rc == RB_OK && memory) {
            rc = exec(store, "PRAGMA journal_mode = MEMORY", "setting the journal mode", err);
            store->wal = 1; /* no file: the journal mode stays */
        }
        if (rc == RB_OK) rc = exec(store, "PRAGMA synchronous = NORMAL", "setting synchronous", err);
        if (rc == RB_OK) rc = migrate(store, version, err);
        store->version = SCHEMA_VERSION;
    }
    if (rc == RB_OK) rc = exec(store, "PRAGMA foreign_keys = ON", "enabling foreign keys", err);
    if (rc != RB_OK) {
        rb_store_free(store);
        return rc;
    }
    *out = store;
    return RB_OK;
}

/* 1 when the store holds nothing anyone could miss: no table but the schema's, and those
 * empty (or no table at all: the file failed before its schema was made). The schema of
 * version 1, then of version 2 (a query naming a table the file lacks fails: not nothing). */
static int holds_nothing(sqlite3 *db)
{
    static const char *const sql[] = {
        "SELECT count(*) = 0 FROM sqlite_schema WHERE type = 'table'",
        "SELECT (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('assets', 'bars', "
        "'imports')) = 0 AND NOT EXISTS (SELECT 1 FROM assets) AND NOT EXISTS (SELECT 1 FROM bars) "
        "AND NOT EXISTS (SELECT 1 FROM imports)",
        "SELECT (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('assets', 'bars', "
        "'imports', 'series', 'series_points')) = 0 AND NOT EXISTS (SELECT 1 FROM assets) AND NOT EXISTS "
        "(SELECT 1 FROM bars) AND NOT EXISTS (SELECT 1 FROM imports) AND NOT EXISTS (SELECT 1 FROM series) "
        "AND NOT EXISTS (SELECT 1 FROM series_points)",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *st = NULL;
        int yes = sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
                  sqlite3_column_int(st, 0) == 1;
        sqlite3_finalize(st);
        if (yes) return 1;
    }
    return 0;
}

/* A store file this open created that never received committed data is removed again, so a
 * failed first import (or a mistyped --db) leaves nothing behind; but only what it alone
 * created and nobody else has written (rb_sqlite_remove_unused). */
static void remove_if_unused(rb_store *store)
{
    rb_store_rollback(store);
    rb_sqlite_remove_unused(store->db, store->path, holds_nothing);
}

void rb_store_free(rb_store *store)
{
    if (!store) return;
    if (store->db) {
        if (store->created && !store->committed && !store->readonly) remove_if_unused(store);
        else rb_sqlite_rest(store->db);
        sqlite3_close_v2(store->db);
    }
    free(store->path);
    free(store);
}
