/* writeback.c - the WAL's disk writes started early (writeback.h). */
#include "writeback.h"

#include <fcntl.h>
#include <unistd.h>

void rb_writeback_open(rb_writeback *wb, sqlite3 *db)
{
    wb->fd = -1;
#ifdef SYNC_FILE_RANGE_WRITE
    const char *file = sqlite3_db_filename(db, "main");
    if (!file || !*file) return; /* in memory: no WAL */
    const char *wal = sqlite3_filename_wal(file);
    /* Read-only, never created: absent when the store is not in WAL mode. SQLite takes no
     * lock on the WAL file itself (its locks are on the database file and PATH-shm), so
     * this descriptor's close releases none of them. */
    if (wal && *wal) wb->fd = open(wal, O_RDONLY | O_CLOEXEC);
#else
    (void)db;
#endif
}

void rb_writeback_start(rb_writeback *wb)
{
#ifdef SYNC_FILE_RANGE_WRITE
    if (wb->fd >= 0) (void)sync_file_range(wb->fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint: failure costs nothing */
#else
    (void)wb;
#endif
}

void rb_writeback_close(rb_writeback *wb)
{
    if (wb->fd >= 0) close(wb->fd);
    wb->fd = -1;
}
