/* bar_cache.h - the price store's cache of each asset's bars as one BLOB, so the matrix
 * loader reads an asset in one row instead of one row per bar (50,000 bars: ~13 ms through
 * SQLite's row machinery, well under 1 ms as BLOBs).
 *
 * Table (created by the first rb_bar_cache_put, absent until then; not part of the
 * versioned schema, so any rebal reads and writes a store with or without it):
 *   bar_cache(asset_id INTEGER PRIMARY KEY, layout INTEGER, nbars INTEGER, first_ts INTEGER,
 *             last_ts INTEGER, bars BLOB)
 * bars is every stored bar of the asset in time order, as rb_bar records in this machine's
 * byte order (layout says which; a row of another layout is ignored).
 *
 * Correctness under writes: triggers on bars (INSERT, UPDATE, DELETE), created with the
 * table, delete the cached row of every asset whose bars change, whoever writes them (the
 * sqlite3 shell, another program, an older rebal). rebal import, which writes bars by the
 * million, instead drops the rows of the assets it writes itself, in its transaction (see
 * rb_bar_cache_pause). A row exists only while it equals the asset's bars. The loader fills
 * the cache (rb_matrix_load, when its store may write it) in a transaction that read the
 * bars itself, and only if no other connection committed since (SQLite refuses the write
 * otherwise). */
#ifndef RB_BAR_CACHE_H
#define RB_BAR_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "bar_cache_file.h"
#include "store.h"

/* One stored bar as the loader uses it; NULL open or volume is NaN (SQLite stores no NaN, so
 * NaN and NULL are the same thing). */
typedef struct rb_bar {
    rb_time ts;
    double open;
    double close;
    double volume;
} rb_bar;

/* Reads cached assets straight into the caller's memory: rb_bar_cache_find looks an asset's
 * row up (its count, first and last time), rb_bar_cache_read copies its bars: from the file
 * by the kernel where it may (bar_cache_file.h), else through one BLOB handle that moves from
 * row to row. All within the caller's transaction; rb_bar_cache_reader_end releases the
 * reader. */
typedef struct rb_bar_cache_reader {
    rb_store *store;
    sqlite3_stmt *find; /* NULL: the store has no cache table */
    sqlite3_blob *blob; /* NULL until the first read through SQLite */
    rb_bar_cache_file file; /* the BLOBs read from the file itself, where it may (bar_cache_file.h) */
} rb_bar_cache_reader;

typedef struct rb_bar_cache_entry {
    int64_t asset_id;
    size_t n; /* bars; 0: nothing cached for the asset (or a row of another layout) */
    rb_time first, last;
    rb_bar_cache_spot spot; /* where the file holds the row, when it was found there */
} rb_bar_cache_entry;

void rb_bar_cache_reader_begin(rb_store *store, rb_bar_cache_reader *r);
rb_status rb_bar_cache_find(rb_bar_cache_reader *r, int64_t asset_id, rb_bar_cache_entry *e, rb_error *err);
rb_status rb_bar_cache_read(rb_bar_cache_reader *r, const rb_bar_cache_entry *e, rb_bar *out, rb_error *err);
void rb_bar_cache_reader_end(rb_bar_cache_reader *r);

/* The bar in the current row of a statement selecting ts, open, close, volume (in that order). */
rb_bar rb_bar_of_row(sqlite3_stmt *st);

/* Every stored bar of the asset, in time order, read through SQL (what the cache holds):
 * *bars malloc'ed, *n may be 0. */
rb_status rb_bar_cache_read_all(rb_store *store, int64_t asset_id, rb_bar **bars, size_t *n, rb_error *err);

/* Caches the asset's bars (all of them, as rb_bar_cache_read_all read them in the same
 * transaction), creating the table and its triggers if needed. The caller holds the
 * transaction and decides whether to commit. */
rb_status rb_bar_cache_put(rb_store *store, int64_t asset_id, const rb_bar *bars, size_t n, rb_error *err);

/* 1 when the store has the cache table. */
int rb_bar_cache_present(rb_store *store);

/* For a bulk writer of bars (the importer), whose rows would each fire a trigger: inside its
 * write transaction, rb_bar_cache_pause drops the triggers (*paused: there was a cache), the
 * writer calls rb_bar_cache_forget for every asset whose bars it writes, and
 * rb_bar_cache_resume restores the triggers before the commit. A rollback restores them too. */
rb_status rb_bar_cache_pause(rb_store *store, int *paused, rb_error *err);
rb_status rb_bar_cache_forget(rb_store *store, int64_t asset_id, rb_error *err);
rb_status rb_bar_cache_resume(rb_store *store, rb_error *err);

#endif /* RB_BAR_CACHE_H */
