/* write.c - the one write transaction of an import (importer.h): asset ids, every bar
 * classified against the stored ones (new, the same, different: a conflict unless --replace),
 * the new bars in multi-row INSERTs, the replaced ones updated, one imports row per file. */
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bar_cache.h"
#include "cells.h"
#include "columns.h"
#include "error.h"
#include "importer.h"
#include "store.h"
#include "writeback.h"
#include "alloc.h"

/* Page cache for an import that compares with or replaces stored bars, in KiB (SQLite's
 * negative cache_size unit): it revisits pages that the default 2 MiB cache would re-read.
 * An import whose every asset is new to the store keeps the connection's cache: it writes
 * each page once, in order, and a larger cache would only hold every written page until the
 * commit, in fresh heap memory whose every 4 KiB page costs a trap into the kernel when first
 * written (about 0.1 s per million bars on the 2-core VM of bench/README.md). */
#define IMPORT_CACHE_KIB 65536

/* Bars per multi-row INSERT: one statement step per batch amortizes SQLite's per-statement
 * work (cursor open/close, root-to-leaf seek) over many rows; measured fastest near 250. */
#define INSERT_BATCH 250

/* Batches between two starts of the WAL's writeback (writeback.h): 32,000 bars, about 1 MB
 * of WAL frames. */
#define WRITEBACK_BATCHES 128

/* What the import does with each sorted bar, decided before anything is written. */
enum { BAR_NEW, BAR_SAME, BAR_DIFF, BAR_REPEAT };

typedef struct writer {
    rb_importer *im;
    rb_store *store;
    const rb_sorted *s;
    int64_t *ids;     /* per symbol: assets.id */
    uint8_t *created; /* per symbol: the asset row was added by this import */
    uint8_t *status;  /* per sorted bar: BAR_* */
    int ohlv;         /* the import has open/high/low/volume columns */
    int nparam;       /* parameters per bar in the INSERT */
} writer;

static void bind_value(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v)) sqlite3_bind_null(st, i);
    else sqlite3_bind_double(st, i, v);
}

/* Resolves (adding when new) the asset id of every symbol that has bars. */
static rb_status resolve_assets(writer *w, size_t *added)
{
    rb_importer *im = w->im;
    const rb_sorted *s = w->s;
    sqlite3_stmt *find = NULL, *add = NULL;
    rb_status rc = rb_store_prepare(w->store, "SELECT id FROM assets WHERE symbol = ?1", &find, &im->e);
    if (rc == RB_OK) rc = rb_store_prepare(w->store, "INSERT INTO assets(symbol) VALUES (?1)", &add, &im->e);
    for (size_t a = 0; rc == RB_OK && a < im->syms.n; a++) {
        if (s->start[a] == s->start[a + 1]) continue;
        sqlite3_bind_text(find, 1, im->syms.name[a], (int)im->syms.len[a], SQLITE_STATIC);
        int step = sqlite3_step(find);
        if (step == SQLITE_ROW) {
            w->ids[a] = sqlite3_column_int64(find, 0);
        } else if (step == SQLITE_DONE) {
            sqlite3_bind_text(add, 1, im->syms.name[a], (int)im->syms.len[a], SQLITE_STATIC);
            if (sqlite3_step(add) != SQLITE_DONE)
                rc = rb_store_sql_error(w->store, &im->e, "adding an asset");
            w->ids[a] = sqlite3_last_insert_rowid(w->store->db);
            w->created[a] = 1;
            sqlite3_reset(add);
            (*added)++;
        } else {
            rc = rb_store_sql_error(w->store, &im->e, "looking up an asset");
        }
        sqlite3_reset(find);
    }
    sqlite3_finalize(find);
    sqlite3_finalize(add);
    return rc;
}

/* Compares bar k with a stored row (columns ts, open, high, low, close, volume of st); on a
 * difference writes "FIELD X differs from the stored Y" into what and returns 0. */
static int same_as_stored(const rb_sorted *s, size_t k, sqlite3_stmt *st, char *what, size_t whatlen)
{
    static const char *const names[5] = {"close", "open", "high", "low", "volume"};
    static const int column[5] = {4, 1, 2, 3, 5};
    double mine[5] = {s->close[k], NAN, NAN, NAN, NAN};
    if (s->open) {
        mine[1] = s->open[k];
        mine[2] = s->high[k];
        mine[3] = s->low[k];
        mine[4] = s->volume[k];
    }
    for (int f = 0; f < 5; f++) {
        int null = sqlite3_column_type(st, column[f]) == SQLITE_NULL;
        double stored = null ? NAN : sqlite3_column_double(st, column[f]);
        if (null ? isnan(mine[f]) : mine[f] == stored) continue;
        char a[32], b[32];
        snprintf(what, whatlen, "%s %s differs from the stored %s", names[f],
                 isnan(mine[f]) ? "(empty)" : rb_cell_shortest(mine[f], a), null ? "(empty)" : rb_cell_shortest(stored, b));
        return 0;
    }
    return 1;
}

/* 1 when some asset with bars in this import was in the store before it: its stored bars are
 * compared with, and may be replaced. */
static int revisits_stored_bars(const writer *w)
{
    for (size_t a = 0; a < w->im->syms.n; a++)
        if (w->s->start[a] != w->s->start[a + 1] && !w->created[a]) return 1;
    return 0;
}

/* Decides BAR_* for every bar: repeats of a symbol + time are skipped, bars of assets this
 * import created are new, and the others are merged (both sides sorted by time) with the
 * stored bars in their time range. Without replace, the earliest differing bar in file order
 * is a conflict; nothing has been written to bars yet. */
static rb_status classify(writer *w, rb_import_stats *stats)
{
    rb_importer *im = w->im;
    const rb_sorted *s = w->s;
    sqlite3_stmt *st = NULL;
    rb_status rc = rb_store_prepare(
        w->store,
        "SELECT ts, open, high, low, close, volume FROM bars WHERE asset_id = ?1 AND ts >= ?2 AND ts <= ?3 "
        "ORDER BY ts",
        &st, &im->e);
    size_t conflict = SIZE_MAX, conflict_k = 0;
    char what[200], conflict_what[200] = "";
    for (size_t a = 0; rc == RB_OK && a < im->syms.n; a++) {
        size_t lo = s->start[a], hi = s->start[a + 1];
        for (size_t k = lo; k < hi; k++)
            w->status[k] = k > lo && s->ts[k] == s->ts[k - 1] ? BAR_REPEAT : BAR_NEW;
        if (lo == hi || w->created[a]) continue;
        sqlite3_bind_int64(st, 1, w->ids[a]);
        sqlite3_bind_int64(st, 2, s->ts[lo]);
        sqlite3_bind_int64(st, 3, s->ts[hi - 1]);
        size_t k = lo;
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t ts = sqlite3_column_int64(st, 0);
            while (k < hi && s->ts[k] < ts) k++;
            if (k == hi) break;
            if (s->ts[k] != ts) continue;
            if (same_as_stored(s, k, st, what, sizeof what)) {
                w->status[k] = BAR_SAME;
                stats->bars_unchanged++;
            } else {
                w->status[k] = BAR_DIFF;
                if (s->orig[k] < conflict) {
                    conflict = s->orig[k];
                    conflict_k = k;
                    memcpy(conflict_what, what, sizeof what);
                }
            }
        }
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = rb_store_sql_error(w->store, &im->e, "reading stored bars");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc != RB_OK || conflict == SIZE_MAX || im->opt->replace) return rc;
    char date[32];
    size_t f = rb_import_file_of(im, conflict);
    return rb_fail(&im->e, RB_ERR_CONFLICT, "%s:%u: %s %s: %s (use --replace to overwrite)", im->paths[f],
                   im->r.line[conflict], im->syms.name[im->r.asset[conflict]],
                   rb_time_format(s->ts[conflict_k], date), conflict_what);
}

/* "INSERT INTO bars(...) VALUES (?,?,?),(?,?,?),..." for nrows bars: parameters only, no data. */
static char *insert_sql(size_t nrows, int ohlv)
{
    const char *head = ohlv ? "INSERT INTO bars(asset_id, ts, open, high, low, close, volume) VALUES "
                            : "INSERT INTO bars(asset_id, ts, close) VALUES ";
    const char *tuple = ohlv ? "(?,?,?,?,?,?,?)" : "(?,?,?)";
    size_t hl = strlen(head), tl = strlen(tuple);
    char *sql = rb_malloc(hl + nrows * (tl + 1) + 1);
    if (!sql) return NULL;
    memcpy(sql, head, hl);
    char *p = sql + hl;
    for (size_t i = 0; i < nrows; i++) {
        if (i) *p++ = ',';
        memcpy(p, tuple, tl);
        p += tl;
    }
    *p = '\0';
    return sql;
}

/* Binds bar k as the j-th tuple of a multi-row INSERT. */
static void bind_insert(const writer *w, sqlite3_stmt *st, size_t j, int64_t id, size_t k)
{
    const rb_sorted *s = w->s;
    int p = (int)j * w->nparam + 1;
    sqlite3_bind_int64(st, p, id);
    sqlite3_bind_int64(st, p + 1, s->ts[k]);
    if (w->ohlv) {
        bind_value(st, p + 2, s->open[k]);
        bind_value(st, p + 3, s->high[k]);
        bind_value(st, p + 4, s->low[k]);
        sqlite3_bind_double(st, p + 5, s->close[k]);
        bind_value(st, p + 6, s->volume[k]);
    } else {
        sqlite3_bind_double(st, p + 2, s->close[k]);
    }
}

static rb_status run_insert(writer *w, sqlite3_stmt *st)
{
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return rb_store_sql_error(w->store, &w->im->e, "inserting bars");
    return RB_OK;
}

/* Writes the new bars in batches (in primary-key order for new assets) and, with replace,
 * overwrites the differing ones. */
static rb_status write_bars(writer *w, rb_import_stats *stats)
{
    rb_importer *im = w->im;
    const rb_sorted *s = w->s;
    size_t nnew = 0;
    for (size_t k = 0; k < s->n; k++) nnew += w->status[k] == BAR_NEW;
    size_t tail = nnew % INSERT_BATCH;
    sqlite3_stmt *batch = NULL, *last = NULL, *update = NULL;
    char *sql = insert_sql(INSERT_BATCH, w->ohlv), *tail_sql = tail ? insert_sql(tail, w->ohlv) : NULL;
    rb_status rc = RB_OK;
    if (!sql || (tail && !tail_sql)) rc = rb_fail(&im->e, RB_ERR_NOMEM, "out of memory importing");
    if (rc == RB_OK && nnew >= INSERT_BATCH) rc = rb_store_prepare(w->store, sql, &batch, &im->e);
    if (rc == RB_OK && tail) rc = rb_store_prepare(w->store, tail_sql, &last, &im->e);
    if (rc == RB_OK)
        rc = rb_store_prepare(w->store,
                              "UPDATE bars SET open = ?3, high = ?4, low = ?5, close = ?6, volume = ?7 "
                              "WHERE asset_id = ?1 AND ts = ?2",
                              &update, &im->e);
    size_t done = 0, j = 0;
    rb_writeback wb;
    rb_writeback_open(&wb, w->store->db);
    for (size_t a = 0; rc == RB_OK && a < im->syms.n; a++) {
        for (size_t k = s->start[a]; rc == RB_OK && k < s->start[a + 1]; k++) {
            size_t f = im->npaths == 1 ? 0 : rb_import_file_of(im, s->orig[k]);
            if (w->status[k] == BAR_NEW) {
                sqlite3_stmt *st = nnew - done > tail ? batch : last;
                bind_insert(w, st, j++, w->ids[a], k);
                im->file_added[f]++;
                if (j == (st == batch ? INSERT_BATCH : tail)) {
                    rc = run_insert(w, st);
                    done += j;
                    j = 0;
                    if (done % (WRITEBACK_BATCHES * INSERT_BATCH) == 0) rb_writeback_start(&wb);
                }
            } else if (w->status[k] == BAR_DIFF) {
                sqlite3_bind_int64(update, 1, w->ids[a]);
                sqlite3_bind_int64(update, 2, s->ts[k]);
                bind_value(update, 3, s->open ? s->open[k] : NAN);
                bind_value(update, 4, s->open ? s->high[k] : NAN);
                bind_value(update, 5, s->open ? s->low[k] : NAN);
                sqlite3_bind_double(update, 6, s->close[k]);
                bind_value(update, 7, s->open ? s->volume[k] : NAN);
                rc = run_insert(w, update);
                im->file_replaced[f]++;
                stats->bars_replaced++;
            }
        }
    }
    rb_writeback_close(&wb);
    if (rc == RB_OK) stats->bars_added += nnew;
    sqlite3_finalize(batch);
    sqlite3_finalize(last);
    sqlite3_finalize(update);
    free(sql);
    free(tail_sql);
    return rc;
}

/* The bar cache's triggers would fire once per written bar: they are dropped for this
 * transaction, and the rows of the assets whose bars change go at once (*paused: restore the
 * triggers before the commit). An import that writes no bar touches nothing. */
static rb_status pause_cache(writer *w, int *paused)
{
    const rb_sorted *s = w->s;
    rb_status rc = RB_OK;
    *paused = 0;
    for (size_t a = 0; rc == RB_OK && a < w->im->syms.n; a++) {
        size_t k = s->start[a];
        while (k < s->start[a + 1] && w->status[k] != BAR_NEW && w->status[k] != BAR_DIFF) k++;
        if (k == s->start[a + 1]) continue;
        if (!*paused) rc = rb_bar_cache_pause(w->store, paused, &w->im->e);
        if (rc != RB_OK || !*paused) return rc; /* no cache in this store */
        rc = rb_bar_cache_forget(w->store, w->ids[a], &w->im->e);
    }
    return rc;
}

static rb_status write_import_rows(writer *w)
{
    rb_importer *im = w->im;
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    sqlite3_stmt *st = NULL; /* finalized below even when the prepare fails */
    rb_status rc =
        rb_store_prepare(w->store,
                         "INSERT INTO imports(source, format, rows, bars_added, bars_replaced, imported_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                         &st, &im->e);
    for (size_t f = 0; rc == RB_OK && f < im->npaths; f++) {
        if (im->file_added[f] == 0 && im->file_replaced[f] == 0) continue;
        sqlite3_bind_text(st, 1, im->paths[f], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, im->file_format[f], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)im->file_rows[f]);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)im->file_added[f]);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)im->file_replaced[f]);
        sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = rb_store_sql_error(w->store, &im->e, "recording the import");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Reads (set 0) or sets (set 1) an integer connection PRAGMA such as cache_size. The name
 * and value are ours, never data. */
static rb_status pragma(rb_store *store, const char *name, int64_t *value, int set, rb_error *err)
{
    char sql[64];
    if (set) snprintf(sql, sizeof sql, "PRAGMA %s = %lld", name, (long long)*value);
    else snprintf(sql, sizeof sql, "PRAGMA %s", name);
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store, sql, &st, err);
    if (rc != RB_OK) return rc;
    int step = sqlite3_step(st);
    if (!set && step == SQLITE_ROW) *value = sqlite3_column_int64(st, 0);
    else if (step != SQLITE_DONE && step != SQLITE_ROW) rc = rb_store_sql_error(store, err, sql);
    sqlite3_finalize(st);
    return rc;
}

/* The one write transaction: assets, bars, import records. Connection settings changed for
 * the import are restored whatever happens. */
rb_status rb_import_write(rb_importer *im, rb_store *store, const rb_sorted *s, rb_import_stats *stats)
{
    /* Foreign-key enforcement costs a parent lookup per inserted bar (about a third of the
     * insert time). Every bar written here references an asset id read or inserted in this
     * same transaction, so the check cannot fail; it is off only until the commit. (The
     * setting is per connection and cannot change inside a transaction.) */
    int64_t old_cache = 0, big = -(int64_t)IMPORT_CACHE_KIB, old_fk = 0, off = 0;
    rb_status rc = pragma(store, "cache_size", &old_cache, 0, &im->e);
    if (rc == RB_OK) rc = pragma(store, "foreign_keys", &old_fk, 0, &im->e);
    if (rc != RB_OK) return rc;

    writer w = {.im = im, .store = store, .s = s, .ohlv = s->open != NULL};
    w.nparam = w.ohlv ? 7 : 3;
    size_t nsym = im->syms.n ? im->syms.n : 1;
    w.ids = rb_calloc(nsym, sizeof *w.ids);
    w.created = rb_calloc(nsym, 1);
    w.status = rb_column_alloc(s->n);
    if (!w.ids || !w.created || !w.status) rc = rb_fail(&im->e, RB_ERR_NOMEM, "out of memory importing");
    if (rc == RB_OK && old_fk) rc = pragma(store, "foreign_keys", &off, 1, &im->e);
    if (rc == RB_OK) rc = rb_store_begin(store, &im->e);
    int began = rc == RB_OK, cached = 0;
    if (rc == RB_OK) rc = resolve_assets(&w, &stats->assets_added);
    if (rc == RB_OK && revisits_stored_bars(&w)) rc = pragma(store, "cache_size", &big, 1, &im->e);
    if (rc == RB_OK) rc = classify(&w, stats);
    if (rc == RB_OK) rc = pause_cache(&w, &cached);
    if (rc == RB_OK) rc = write_bars(&w, stats);
    if (rc == RB_OK && cached) rc = rb_bar_cache_resume(store, &im->e);
    if (rc == RB_OK) rc = write_import_rows(&w);
    if (rc == RB_OK) rc = rb_store_commit(store, &im->e);
    if (rc != RB_OK && began) rb_store_rollback(store);
    rb_error ignored;
    pragma(store, "cache_size", &old_cache, 1, &ignored);
    if (old_fk) pragma(store, "foreign_keys", &old_fk, 1, &ignored);
    free(w.ids);
    free(w.created);
    rb_column_free(w.status, s->n);
    return rc;
}
