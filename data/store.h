/* store.h - internal view of the SQLite price store: the connection and transaction helpers
 * other data modules use. Schema (version 1, see store.c for the migration text):
 *   assets(id INTEGER PRIMARY KEY, symbol TEXT UNIQUE NOT NULL, name TEXT, kind TEXT,
 *          quote TEXT NOT NULL DEFAULT 'USD')
 *   bars(asset_id INTEGER REFERENCES assets(id), ts INTEGER  -- rb_time, seconds UTC
 *        open REAL, high REAL, low REAL, close REAL NOT NULL, volume REAL,  -- NULL = unknown
 *        PRIMARY KEY(asset_id, ts)) WITHOUT ROWID
 *   imports(id INTEGER PRIMARY KEY, source TEXT, format TEXT, rows INTEGER,
 *           bars_added INTEGER, bars_replaced INTEGER, imported_at TEXT)  -- ISO UTC
 *   series(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)           -- since version 2
 *   series_points(series_id INTEGER REFERENCES series(id), ts INTEGER, value REAL NOT NULL,
 *                 PRIMARY KEY(series_id, ts)) WITHOUT ROWID
 * A reader opens a version-1 store as it is (it holds no series); a writer migrates it.
 */
#ifndef RB_STORE_H
#define RB_STORE_H

#include <sqlite3.h>

#include "rebal.h"

struct rb_store {
    sqlite3 *db;
    char *path;
    int readonly;
    int cache_writable; /* the matrix loader may fill the bar cache (bar_cache.h): a writable
                         * store, or a read-only one opened with RB_STORE_CACHE */
    int created;   /* the file did not exist (or was empty) before this open: rb_store_free
                    * removes it again if nothing was committed and nobody else has it open
                    * or stored anything in it */
    int committed; /* rb_store_commit succeeded at least once */
    int wal;       /* the journal mode for writing is set (rb_store_begin) */
    int version;   /* the schema version of the open file (a reader's may be older than the
                    * build's: version 1 has no series tables) */
    int mapped;    /* a reader's file is mapped (PRAGMA mmap_size, open_reader) */
    int unmapped;  /* its map was given back (rb_store_unmap) until the next matrix load */
};

/* Fills err from the connection's last SQLite error: "PATH: WHAT: sqlite message". */
rb_status rb_store_sql_error(rb_store *store, rb_error *err, const char *what);

/* Prepares sql (once per call site is the caller's choice); on failure fills err. */
rb_status rb_store_prepare(rb_store *store, const char *sql, sqlite3_stmt **out, rb_error *err);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. rb_store_rollback never fails (it is the cleanup).
 * A store created by rb_store_open is deleted again by rb_store_free unless some
 * rb_store_commit succeeded (data writers commit through rb_store_commit), another
 * connection has the file open, or it holds anything (another process committed into it). */
rb_status rb_store_begin(rb_store *store, rb_error *err);
rb_status rb_store_commit(rb_store *store, rb_error *err);
void rb_store_rollback(rb_store *store);

/* Gives the pages SQLite keeps in the connection's page cache back to the heap (a command
 * that has copied what it needs out of the store: the price matrix's bars are some 1.7 MB
 * of cached pages on 10 assets x 5,000 bars, which later allocations then reuse instead of
 * touching fresh memory). A later read of the store reads the file again. */
void rb_store_shed_cache(rb_store *store);

/* Gives back the map of the file a reader holds (PRAGMA mmap_size: open_reader), for a caller
 * done reading for now. The unmap of a map the loader has read through costs what the
 * store's close would (some 0.2 ms for a store of 3.6 MB): a sweep pays it beside the
 * results writer's last rows instead. Reads in between read the file; rb_store_map_again
 * (which rb_matrix_load calls) maps it again. Only a hint: a refusal leaves the map. */
void rb_store_unmap(rb_store *store);

/* Maps the file again after rb_store_unmap; nothing otherwise (a writer's file stays
 * unmapped, a reader's mapped). */
void rb_store_map_again(rb_store *store);

/* Looks up an asset id by symbol: RB_OK with *id set, or RB_ERR_NOT_FOUND (err names it). */
rb_status rb_store_asset_id(rb_store *store, const char *symbol, int64_t *id, rb_error *err);

/* 1 when the file at path exists with size > 0, 0 when it is absent or empty, -1 on a stat
 * error (errno); *exists tells absent from empty. Shared by the price and results stores. */
int rb_file_has_content(const char *path, int *exists);

/* Refuses, before SQLite opens it, a file whose first bytes are not a SQLite header (SQLite
 * would otherwise report "file is not a database" only at the first query). Shared by the
 * price store and the results store. */
rb_status rb_sqlite_check_header(const char *path, rb_error *err);

/* The file under a store (store_file.c), shared by the price and results stores. A store is
 * in WAL mode while a command writes it and in rollback-journal mode at rest, so that readers
 * need no file beside it (WAL mode needs PATH-shm) and read it in a read-only directory.
 *
 * rb_sqlite_open_reader opens path for reading (writable: read-write, for a reader that may
 * write a cache) and makes its first read: RB_OK with *out open (an error of that read is
 * left for the caller's first query to word), or an error naming the file. A file still in
 * WAL mode that cannot get its PATH-shm (a read-only directory) is read as it is when no
 * PATH-wal holds anything, and refused with the reason otherwise. */
rb_status rb_sqlite_open_reader(const char *path, int writable, int busy_ms, sqlite3 **out, rb_error *err);

/* Before a writer's close: leaves the file in rollback-journal mode when this connection is
 * its only one (otherwise it stays in WAL mode until a writer that closes last). Does nothing
 * for a read-only or in-memory connection. Never fails. */
void rb_sqlite_rest(sqlite3 *db);

/* Switches the file to rollback-journal (DELETE) mode when this connection is its only one:
 * leaving WAL needs that, and with another connection open the switch fails at once (the
 * busy timeout is set to 0, and left so: the caller restores its own). 1 when the file is in
 * rollback-journal mode after. */
int rb_sqlite_leave_wal(sqlite3 *db);

/* 1 when the file this connection has open is no longer at its path (removed by
 * rb_sqlite_remove_unused on another connection). */
int rb_sqlite_file_was_removed(sqlite3 *db);

/* Removes the file at path that this connection created and nobody else has written: only
 * when this connection is its only one (leaving WAL mode needs that) and holds it under an
 * exclusive lock, kept while the files (path, -wal, -shm, -journal) are unlinked, and
 * holds_nothing(db) says it holds nothing anyone could miss. Otherwise the file stays. A
 * writer that opened the path just before finds its file removed once it gets its lock
 * (rb_sqlite_file_was_removed). Call with no transaction open; never fails. */
void rb_sqlite_remove_unused(sqlite3 *db, const char *path, int (*holds_nothing)(sqlite3 *db));

/* Refuses, naming the file or directory and why, a store a writer cannot write: an existing
 * file that is read-only, or a directory where SQLite cannot create its journal. kind is
 * "price store" or "results store". */
rb_status rb_sqlite_check_writable(const char *path, int exists, const char *kind, rb_error *err);

/* PRAGMA application_id of the two kinds of rebal SQLite file. */
#define RB_PRICE_STORE_APP_ID 0x7265626C   /* "rebl": a price store (this file's schema) */
#define RB_RESULTS_STORE_APP_ID 0x72627273 /* "rbrs": a results store (engine/results/schema.c) */

/* The refusal (RB_ERR_SCHEMA) of a SQLite file at path whose application_id app is not the
 * wanted one (RB_PRICE_STORE_APP_ID or RB_RESULTS_STORE_APP_ID): the other kind of rebal
 * store is named with the commands that read it, anything else is another application's
 * database. Shared by the price and results stores so both say the same thing. */
rb_status rb_store_wrong_kind(const char *path, int64_t app, int64_t wanted, rb_error *err);

/* What a store file is, in one read transaction (so one round of locks): its application_id,
 * user_version and number of schema objects. Shared by both stores. Returns SQLITE_OK, or
 * the SQLite error (the caller words it, then closes the connection: a transaction this
 * opened is left open on an error). */
typedef struct rb_store_identity {
    int64_t app, version, objects;
} rb_store_identity;
int rb_store_identify(sqlite3 *db, rb_store_identity *out);

/* The integer in the first column of a statement's first row into *out (left as it is when
 * the statement gives no row). Returns SQLite's code: SQLITE_OK for a row, SQLITE_DONE for
 * none, else the error. */
int rb_sqlite_one_int(sqlite3 *db, const char *sql, int64_t *out);

#endif /* RB_STORE_H */
