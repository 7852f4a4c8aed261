/* crash_support.h - helpers of the crash suites (test_crash, test_disk_full): rebal running in
 * the background, what it has reached in a store it writes (SQLite's WAL locks, the rows a
 * reader sees) and canonical dumps of whole stores to compare. */
#ifndef RB_CRASH_SUPPORT_H
#define RB_CRASH_SUPPORT_H

#include <sys/types.h>

/* Starts rebal ($REBAL_BIN) with argv (NULL-terminated, without argv[0]) in directory dir,
 * standard output and error going to dir/bg.out and dir/bg.err, and returns its pid. */
pid_t crash_spawn(const char *dir, const char *const *argv);

/* A process under watch and the figures of the moment a test waits for. */
typedef struct crash_watch {
    pid_t pid;
    const char *dir;  /* where it runs (its bg.err) */
    const char *db;   /* the store it writes */
    long long rows;   /* a row count the moment depends on */
    long long size;   /* a file size the moment depends on */
    void *arg;        /* anything else it depends on */
    int ended;        /* it ended by itself while we waited: reaped, exit status in .status */
    int status;
} crash_watch;

/* Waits (a generous deadline, never a fixed pause) until reached(w) holds or the process
 * ends by itself, which must be with exit 0. Returns 1 when the moment was reached with the
 * process still running. */
int crash_wait(crash_watch *w, int (*reached)(crash_watch *w), double seconds);

/* SIGKILLs the watched process (unless it ended) and reaps it. Returns 1 when the kill
 * landed, 0 when the process had ended by itself (with exit 0, or the test fails). */
int crash_kill(crash_watch *w);

/* SQLite's unix VFS takes a WAL database's locks as fcntl byte-range locks in its -shm file:
 * byte 120 is the write lock (held for a whole write transaction), 121 the checkpoint lock.
 * 1 when another process holds it, 0 when not, -1 when the -shm file is absent. */
enum { CRASH_WAL_WRITE = 120, CRASH_WAL_CHECKPOINT = 121 };
int crash_wal_locked(const char *db, int lock);

/* A database in rollback-journal mode: a writer takes the RESERVED lock (byte 0x40000001 of
 * the database file) for its whole write transaction. 1 when another process holds it, 0
 * when not, -1 when the file is absent. */
int crash_reserved_locked(const char *db);

/* The size of a file in bytes; -1 when it is absent. */
long long crash_file_size(const char *path);

/* Everything a store holds, as text ordered by key: application id, user version, the schema
 * (tables, indexes, triggers) and every table's rows in the order of all their columns, BLOBs
 * in hex, doubles to 17 digits. Columns holding the time of day a command ran (imported_at,
 * started_at, finished_at) are left out: they legitimately differ between two runs. Opened
 * read-only; the test fails when it cannot be read. */
char *crash_dump(const char *path);

/* The rows a query gives on the store at path (opened read-only), in crash_dump's form. */
char *crash_rows(const char *path, const char *sql);

/* PRAGMA integrity_check of the store at path, opened read-only, must say ok. */
void crash_assert_intact(const char *path);

#endif /* RB_CRASH_SUPPORT_H */
