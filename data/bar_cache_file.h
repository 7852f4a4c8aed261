/* bar_cache_file.h - a cached asset's BLOB read from the price store's file itself, by the
 * kernel into the caller's memory, where sqlite3_blob_read would copy it from SQLite's map of
 * the file (bar_cache.h, rb_bar_cache_read).
 *
 * Why: on a virtual machine that shadows the guest's page tables (PVM, as on the development
 * VM) a process's first touch of each 4 KiB page of a mapped file traps into the hypervisor,
 * and the loader's BLOBs (1.6 MB for 10 assets x 5,000 bars) are 400 such pages in every
 * command: a test program copied 1.6 MB out of a fresh map of a cached file in 0.8-1.15 ms, and
 * read the same bytes with pread into memory it had touched before in 0.15-0.23 ms. Debian's
 * SQLite reads a BLOB's overflow pages one at a time through its map or its page cache (it is
 * built without SQLITE_DIRECT_OVERFLOW_READ, which would read them straight into the caller's
 * buffer).
 *
 * How: SQLite's file format (https://www.sqlite.org/fileformat2.html), which every SQLite 3
 * keeps: bar_cache's table B-tree is walked from its root page to the asset's row (a binary
 * search of each page's cells by rowid), the row's record is checked against what the
 * caller's SQL found (the NULL of the rowid alias, then layout, nbars, first_ts, last_ts as
 * integers, then a BLOB of the expected size, the record's last column), and the BLOB is
 * read: its part on the leaf page with one pread, then each overflow page's part with one
 * preadv that puts the page's first 4 bytes (the next page's number) aside. Only where that
 * is what SQLite would read: within a read transaction of the caller's connection (its SHARED
 * lock keeps writers out of the file) that has written nothing, on a file in rollback-journal
 * mode (in WAL mode newer pages may be in the WAL), opened by this module at the path SQLite
 * has open and checked to be that file. Anything else, or anything unexpected in the file (a
 * page number out of range, a chain longer or shorter than the BLOB needs, a short read), and
 * the caller reads through SQLite as before, which reports what it finds. */
#ifndef RB_BAR_CACHE_FILE_H
#define RB_BAR_CACHE_FILE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* A row found in the file (rb_bar_cache_file_look): the record's integers (layout, nbars,
 * first_ts, last_ts) and its BLOB's size; where it is: its leaf page, where its payload begins
 * on it, the payload's size and share on the leaf, where the BLOB begins in it. */
typedef struct rb_bar_cache_spot {
    int found;
    int64_t rowid, value[4];
    uint64_t bytes;
    uint32_t leaf;
    size_t payload;
    uint64_t P, local, boff;
} rb_bar_cache_spot;

/* A page of bar_cache's B-tree as read (bar_cache_file.c). */
typedef struct rb_bar_cache_node {
    uint32_t pg; /* 0: none */
    unsigned type;
    size_t ncells, area;
    uint32_t right;
    unsigned char *bytes;
    size_t cap;
} rb_bar_cache_node;

typedef struct rb_bar_cache_file {
    int state; /* 0: not tried yet; 1: open (fd); -1: refused (read through SQLite) */
    int fd;
    uint32_t page, usable, root_pg; /* page size, its usable bytes, bar_cache's root page */
    uint64_t npages;
    rb_bar_cache_node root, leaf, other; /* the root and the last leaf stay read */
} rb_bar_cache_file;

/* What the caller's SQL found in the asset's row: the record must say the same. */
typedef struct rb_bar_cache_row {
    int64_t rowid, layout, nbars, first, last;
} rb_bar_cache_row;

void rb_bar_cache_file_init(rb_bar_cache_file *f);

/* Looks row rowid up in the file (what rb_bar_cache_find's SQL asks) into *at. Returns 1 when
 * it did; 0 when the row is not there or the file is not read here (then ask SQLite). */
int rb_bar_cache_file_look(rb_bar_cache_file *f, sqlite3 *db, int64_t rowid, rb_bar_cache_spot *at);

/* Reads the BLOB of row `row` of bar_cache (`bytes` of it) into out, from where spot says it
 * is (a look of the same row in this transaction; NULL or another row's: looked up now).
 * Returns 1 when it did, 0 when it did not (the reasons above; out may hold anything then):
 * the caller reads through SQLite. db: the caller's connection, inside a read transaction. */
int rb_bar_cache_file_read(rb_bar_cache_file *f, sqlite3 *db, const rb_bar_cache_spot *spot,
                           const rb_bar_cache_row *row, void *out, size_t bytes);

void rb_bar_cache_file_end(rb_bar_cache_file *f);

/* Tests only: 0 turns the file's reads off in this process (every BLOB through SQLite), 1 on
 * again (the default). */
void rb_bar_cache_file_enable(int on);

#endif /* RB_BAR_CACHE_FILE_H */
