/* store_file.c - the file under a store, shared by the price and results stores: opening it
 * for reading without writing or creating anything, the journal mode it is left in between
 * commands, and saying which file or directory is read-only when a command must write.
 *
 * A store is in WAL mode while a command writes it (readers never block the writer) and in
 * rollback-journal mode at rest, after its last writer closed. A WAL-mode file can only be
 * read with PATH-shm beside it, which a reader creates where it may (and, opening the file
 * read-only, cannot delete again) and cannot create in a read-only directory; a file in
 * rollback-journal mode is read with nothing beside it, from anywhere. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"
#include "store.h"

void rb_sqlite_rest(sqlite3 *db)
{
    const char *file = sqlite3_db_filename(db, "main");
    if (!file || !*file || sqlite3_db_readonly(db, "main") != 0) return; /* in memory, or a reader */
    /* with another connection open the file stays in WAL mode, which is correct, until a
     * writer that closes last */
    (void)rb_sqlite_leave_wal(db);
}

int rb_sqlite_leave_wal(sqlite3 *db)
{
    sqlite3_busy_timeout(db, 0); /* SQLite would not wait for that lock anyway */
    sqlite3_stmt *st = NULL;
    int left = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = DELETE", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(st, 0);
        left = mode && strcmp((const char *)mode, "delete") == 0;
    }
    sqlite3_finalize(st);
    return left;
}

/* The directory holding path, into dir (PATH_MAX bytes). */
static void directory_of(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, PATH_MAX, ".");
    else if (slash == path) snprintf(dir, PATH_MAX, "/");
    else snprintf(dir, PATH_MAX, "%.*s", (int)(slash - path), path);
}

rb_status rb_sqlite_check_writable(const char *path, int exists, const char *kind, rb_error *err)
{
    if (exists && access(path, W_OK) != 0 && errno != ENOENT)
        return rb_fail(err, RB_ERR_IO, "%s: cannot write the %s: the file is read-only (%s)", path, kind,
                       strerror(errno));
    char dir[PATH_MAX];
    directory_of(path, dir);
    if (access(dir, W_OK | X_OK) == 0) return RB_OK;
    if (errno == ENOENT)
        return rb_fail(err, RB_ERR_IO, "%s: cannot create the %s: its directory %s does not exist", path, kind, dir);
    /* SQLite writes its journal (PATH-wal, PATH-journal) beside the store. */
    return rb_fail(err, RB_ERR_IO, "%s: cannot %s the %s: its directory %s is read-only (%s), and SQLite writes "
                   "its journal there",
                   path, exists ? "write" : "create", kind, dir, strerror(errno));
}

/* "file:PATH?immutable=1" with PATH percent-encoded, malloc'ed; NULL when out of memory. */
static char *immutable_uri(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(path);
    char *uri = rb_malloc(3 * len + sizeof "file://?immutable=1");
    if (!uri) return NULL;
    char *o = uri + sprintf(uri, path[0] == '/' ? "file://" : "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("/-._~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    strcpy(o, "?immutable=1");
    return uri;
}

/* 1 when the file's header says WAL mode (format versions 2 at offsets 18 and 19). */
static int header_says_wal(const char *path)
{
    unsigned char head[20];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n == sizeof head && head[18] == 2 && head[19] == 2;
}

/* 1 when the first read failed for want of PATH-shm: SQLite could not create it (a read-only
 * directory or file system) or open it. A hot rollback journal or a moved file is not that. */
static int lacks_wal_index(sqlite3 *db)
{
    int code = sqlite3_extended_errcode(db);
    if (code == SQLITE_READONLY_ROLLBACK || code == SQLITE_READONLY_DBMOVED) return 0;
    return (code & 0xff) == SQLITE_READONLY || (code & 0xff) == SQLITE_CANTOPEN;
}

/* 1 when PATH-wal is absent or empty: the file alone holds every commit. */
static int wal_is_empty(const char *path)
{
    char wal[PATH_MAX + 8];
    if ((size_t)snprintf(wal, sizeof wal, "%s-wal", path) >= sizeof wal) return 0;
    struct stat sb;
    if (stat(wal, &sb) != 0) return errno == ENOENT;
    return sb.st_size == 0;
}

/* 1 when this process may write the file and create files beside it. */
static int may_write_in_place(const char *path)
{
    char dir[PATH_MAX];
    directory_of(path, dir);
    return access(path, W_OK) == 0 && access(dir, W_OK | X_OK) == 0;
}

/* An interrupted write (a command killed while it committed) left a hot rollback journal,
 * which only a connection that may write can roll back: SQLite's recovery, done by opening
 * the file read-write for one read. */
static void roll_back_interrupted_write(const char *path, int busy_ms)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, busy_ms);
        sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL, NULL);
    }
    sqlite3_close_v2(db);
}

/* The refusal of a failed sqlite3_open_v2 (db, when not NULL, says why); closes db. */
static rb_status open_failed(const char *path, sqlite3 *db, rb_error *err)
{
    rb_status rc = db ? rb_fail(err, RB_ERR_DB, "%s: cannot open: %s", path, sqlite3_errmsg(db))
                      : rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", path);
    sqlite3_close_v2(db);
    return rc;
}

rb_status rb_sqlite_open_reader(const char *path, int writable, int busy_ms, sqlite3 **out, rb_error *err)
{
    int flags = (writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX;
    sqlite3 *db = NULL;
    *out = NULL;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) return open_failed(path, db, err);
    sqlite3_busy_timeout(db, busy_ms);
    /* The first read opens the WAL of a file in WAL mode. Any failure but the lack of a
     * PATH-shm is the caller's to word, at its own first query. */
    int rc = sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL, NULL);
    if (rc != SQLITE_OK && sqlite3_extended_errcode(db) == SQLITE_READONLY_ROLLBACK && may_write_in_place(path)) {
        roll_back_interrupted_write(path, busy_ms);
        rc = sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK || !lacks_wal_index(db) || !header_says_wal(path)) {
        *out = db;
        return RB_OK;
    }
    sqlite3_close_v2(db);
    if (!wal_is_empty(path))
        return rb_fail(err, RB_ERR_IO,
                       "%s: cannot read the store in place: %s-wal holds changes not yet in the file, and reading "
                       "them needs %s-shm, which SQLite cannot create here (a read-only directory or file system); "
                       "open the store once where it can be written to fold them into the file",
                       path, path, path);
    /* A file in WAL mode with no WAL to read (written by an older rebal, or its last writer
     * closed while another command read it): the file is the whole store, read as it is
     * (immutable: no lock, no -shm). Only a writer with rights this reader lacks (it cannot
     * create PATH-shm) could change the file meanwhile. */
    char *uri = immutable_uri(path);
    if (!uri) return rb_fail(err, RB_ERR_NOMEM, "out of memory opening %s", path);
    db = NULL;
    rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    free(uri);
    if (rc != SQLITE_OK) return open_failed(path, db, err);
    sqlite3_busy_timeout(db, busy_ms);
    *out = db;
    return RB_OK;
}

int rb_sqlite_file_was_removed(sqlite3 *db)
{
    int moved = 0;
    return sqlite3_file_control(db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved;
}

void rb_sqlite_remove_unused(sqlite3 *db, const char *path, int (*holds_nothing)(sqlite3 *db))
{
    /* another connection on the file: leave it, do not wait (the busy timeout stays 0) */
    if (!rb_sqlite_leave_wal(db) || sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK) return;
    /* By name only while the name is still this file's (a defence: removed or renamed by
     * hand meanwhile, the path may be another store's). */
    if (!rb_sqlite_file_was_removed(db) && holds_nothing(db)) {
        static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
            char name[4096];
            if ((size_t)snprintf(name, sizeof name, "%s%s", path, suffix[i]) < sizeof name) unlink(name);
        }
    }
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}
