/* writeback.h - the disk writes of an import's WAL, started while the import still inserts.
 * A million bars make some 28 MB of WAL frames, which the commit's checkpoint must first
 * make durable (an fdatasync of the whole WAL: about 40 ms on the benchmark VM) before it
 * copies them into the database file. Asking the kernel to begin writing the frames back as
 * they come (Linux: sync_file_range, which waits for nothing) leaves that fdatasync mostly
 * the last ones: the commit of a million bars took about 10 ms less on the benchmark VM
 * (bench/README.md). It changes nothing SQLite relies on: when anything is durable is still
 * decided by SQLite's own syncs. Internal to data/import/. */
#ifndef RB_IMPORT_WRITEBACK_H
#define RB_IMPORT_WRITEBACK_H

#include <sqlite3.h>

typedef struct rb_writeback {
    int fd; /* the WAL, opened read-only; -1: none (no WAL file, or not Linux) */
} rb_writeback;

/* Opens the WAL of db's main database when it has one (a file in WAL mode). */
void rb_writeback_open(rb_writeback *wb, sqlite3 *db);

/* Starts writing back what has been written to the WAL so far; returns at once. */
void rb_writeback_start(rb_writeback *wb);

void rb_writeback_close(rb_writeback *wb);

#endif /* RB_IMPORT_WRITEBACK_H */
