/* bar_cache.c - the per-asset BLOB cache of stored bars and the triggers that keep it true
 * (bar_cache.h). */
#include "bar_cache.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "alloc.h"

/* The byte layout of a cached record: its size, and 1 on a little-endian machine, 2 on a
 * big-endian one. A store moved between machines of other layouts ignores the other's rows. */
static int64_t layout(void)
{
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    return (int64_t)sizeof(rb_bar) * 16 + (first ? 1 : 2);
}

/* The table, created by the first rb_bar_cache_put. */
static const char cache_table[] = "CREATE TABLE IF NOT EXISTS bar_cache (\n"
                                  "  asset_id INTEGER PRIMARY KEY,\n"
                                  "  layout   INTEGER NOT NULL,\n"
                                  "  nbars    INTEGER NOT NULL,\n"
                                  "  first_ts INTEGER NOT NULL,\n"
                                  "  last_ts  INTEGER NOT NULL,\n"
                                  "  bars     BLOB NOT NULL\n"
                                  ");\n";

/* The triggers that drop an asset's row whenever its bars change, whoever changes them. */
static const char cache_triggers[] =
    "CREATE TRIGGER IF NOT EXISTS bar_cache_on_insert AFTER INSERT ON bars BEGIN\n"
    "  DELETE FROM bar_cache WHERE asset_id = NEW.asset_id;\n"
    "END;\n"
    "CREATE TRIGGER IF NOT EXISTS bar_cache_on_update AFTER UPDATE ON bars BEGIN\n"
    "  DELETE FROM bar_cache WHERE asset_id IN (OLD.asset_id, NEW.asset_id);\n"
    "END;\n"
    "CREATE TRIGGER IF NOT EXISTS bar_cache_on_delete AFTER DELETE ON bars BEGIN\n"
    "  DELETE FROM bar_cache WHERE asset_id = OLD.asset_id;\n"
    "END;\n";

/* *present: 1 when the store has the cache table. A failed query is an error, not "absent":
 * a writer that took it for absent would leave stale rows cached, and SQLite may have rolled
 * back the caller's transaction (out of memory). */
static rb_status cache_table_exists(rb_store *store, int *present, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'bar_cache'",
                                    &st, err);
    if (rc != RB_OK) return rc;
    int step = sqlite3_step(st);
    *present = step == SQLITE_ROW;
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = rb_store_sql_error(store, err, "looking for the bar cache");
    sqlite3_finalize(st);
    return rc;
}

int rb_bar_cache_present(rb_store *store)
{
    int present = 0;
    return cache_table_exists(store, &present, NULL) == RB_OK && present;
}

void rb_bar_cache_reader_begin(rb_store *store, rb_bar_cache_reader *r)
{
    r->store = store;
    r->find = NULL;
    r->blob = NULL;
    rb_bar_cache_file_init(&r->file);
    /* No table yet: SQLite refuses to prepare, which means nothing is cached. length() of a
     * BLOB reads its size, not its bytes. */
    if (sqlite3_prepare_v2(store->db,
                           "SELECT layout, nbars, first_ts, last_ts, length(bars) FROM bar_cache WHERE asset_id = ?1",
                           -1, &r->find, NULL) != SQLITE_OK)
        r->find = NULL;
}

void rb_bar_cache_reader_end(rb_bar_cache_reader *r)
{
    if (r->blob) sqlite3_blob_close(r->blob);
    sqlite3_finalize(r->find);
    rb_bar_cache_file_end(&r->file);
    r->blob = NULL;
    r->find = NULL;
}

rb_status rb_bar_cache_find(rb_bar_cache_reader *r, int64_t asset_id, rb_bar_cache_entry *e, rb_error *err)
{
    memset(e, 0, sizeof *e);
    e->asset_id = asset_id;
    if (!r->find) return RB_OK;
    /* From the file where it may (bar_cache_file.h): the same row, the same tests. */
    const rb_bar_cache_spot *at = &e->spot;
    if (rb_bar_cache_file_look(&r->file, r->store->db, asset_id, &e->spot)) {
        if (at->value[0] == layout() && at->value[1] > 0 && at->bytes == (uint64_t)at->value[1] * sizeof(rb_bar)) {
            e->n = (size_t)at->value[1];
            e->first = at->value[2];
            e->last = at->value[3];
        }
        return RB_OK;
    }
    sqlite3_reset(r->find);
    sqlite3_bind_int64(r->find, 1, asset_id);
    int step = sqlite3_step(r->find);
    if (step == SQLITE_DONE) return RB_OK;
    if (step != SQLITE_ROW) return rb_store_sql_error(r->store, err, "reading the bar cache");
    int64_t count = sqlite3_column_int64(r->find, 1);
    /* A row of another layout, or not ours, is ignored: the bars are then read through SQL. */
    if (sqlite3_column_int64(r->find, 0) != layout() || count <= 0 ||
        (uint64_t)sqlite3_column_int64(r->find, 4) != (uint64_t)count * sizeof(rb_bar))
        return RB_OK;
    e->n = (size_t)count;
    e->first = sqlite3_column_int64(r->find, 2);
    e->last = sqlite3_column_int64(r->find, 3);
    return RB_OK;
}

rb_status rb_bar_cache_read(rb_bar_cache_reader *r, const rb_bar_cache_entry *e, rb_bar *out, rb_error *err)
{
    const rb_bar_cache_row row = {e->asset_id, layout(), (int64_t)e->n, e->first, e->last};
    int rc = SQLITE_OK;
    if (!rb_bar_cache_file_read(&r->file, r->store->db, &e->spot, &row, out, e->n * sizeof *out)) {
        /* One handle for every row: reopening it costs far less than opening one. */
        rc = r->blob ? sqlite3_blob_reopen(r->blob, e->asset_id)
                     : sqlite3_blob_open(r->store->db, "main", "bar_cache", "bars", e->asset_id, 0, &r->blob);
        if (rc == SQLITE_OK && (size_t)sqlite3_blob_bytes(r->blob) != e->n * sizeof *out) rc = SQLITE_CORRUPT;
        if (rc == SQLITE_OK) rc = sqlite3_blob_read(r->blob, out, (int)(e->n * sizeof *out), 0);
    }
    if (rc == SQLITE_OK && (out[0].ts != e->first || out[e->n - 1].ts != e->last)) rc = SQLITE_CORRUPT;
    if (rc == SQLITE_OK) return RB_OK;
    if (rc == SQLITE_CORRUPT)
        return rb_fail(err, RB_ERR_SCHEMA, "%s: the bar cache of asset %lld is inconsistent (delete its row: "
                                           "DELETE FROM bar_cache)", r->store->path, (long long)e->asset_id);
    return rb_store_sql_error(r->store, err, "reading the bar cache");
}

rb_bar rb_bar_of_row(sqlite3_stmt *st)
{
    return (rb_bar){.ts = sqlite3_column_int64(st, 0),
                    .open = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1),
                    .close = sqlite3_column_double(st, 2),
                    .volume = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3)};
}

rb_status rb_bar_cache_read_all(rb_store *store, int64_t asset_id, rb_bar **bars, size_t *n, rb_error *err)
{
    *bars = NULL;
    *n = 0;
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store, "SELECT ts, open, close, volume FROM bars WHERE asset_id = ?1 ORDER BY ts",
                                    &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, asset_id);
    rb_bar *buf = NULL;
    size_t len = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            rb_bar *grown = rb_realloc(buf, ncap * sizeof *grown);
            if (!grown) {
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory reading an asset's bars");
                break;
            }
            buf = grown;
            cap = ncap;
        }
        buf[len++] = rb_bar_of_row(st);
    }
    if (rc == RB_OK && step != SQLITE_DONE) rc = rb_store_sql_error(store, err, "reading bars");
    sqlite3_finalize(st);
    if (rc != RB_OK) {
        free(buf);
        return rc;
    }
    *bars = buf;
    *n = len;
    return RB_OK;
}

rb_status rb_bar_cache_put(rb_store *store, int64_t asset_id, const rb_bar *bars, size_t n, rb_error *err)
{
    if (n == 0 || n > (size_t)INT32_MAX / sizeof *bars) return RB_OK; /* nothing, or over a BLOB's limit */
    if (sqlite3_exec(store->db, cache_table, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(store->db, cache_triggers, NULL, NULL, NULL) != SQLITE_OK)
        return rb_store_sql_error(store, err, "creating the bar cache");
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store,
                                    "INSERT OR REPLACE INTO bar_cache(asset_id, layout, nbars, first_ts, last_ts, bars) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                    &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, asset_id);
    sqlite3_bind_int64(st, 2, layout());
    sqlite3_bind_int64(st, 3, (int64_t)n);
    sqlite3_bind_int64(st, 4, bars[0].ts);
    sqlite3_bind_int64(st, 5, bars[n - 1].ts);
    sqlite3_bind_blob(st, 6, bars, (int)(n * sizeof *bars), SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = rb_store_sql_error(store, err, "writing the bar cache");
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_bar_cache_pause(rb_store *store, int *paused, rb_error *err)
{
    *paused = 0;
    int present;
    rb_status rc = cache_table_exists(store, &present, err);
    if (rc != RB_OK || !present) return rc;
    *paused = 1;
    if (sqlite3_exec(store->db,
                     "DROP TRIGGER IF EXISTS bar_cache_on_insert; DROP TRIGGER IF EXISTS bar_cache_on_update; "
                     "DROP TRIGGER IF EXISTS bar_cache_on_delete;",
                     NULL, NULL, NULL) != SQLITE_OK)
        return rb_store_sql_error(store, err, "pausing the bar cache");
    return RB_OK;
}

rb_status rb_bar_cache_forget(rb_store *store, int64_t asset_id, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store, "DELETE FROM bar_cache WHERE asset_id = ?1", &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, asset_id);
    if (sqlite3_step(st) != SQLITE_DONE) rc = rb_store_sql_error(store, err, "dropping cached bars");
    sqlite3_finalize(st);
    return rc;
}

rb_status rb_bar_cache_resume(rb_store *store, rb_error *err)
{
    if (sqlite3_exec(store->db, cache_triggers, NULL, NULL, NULL) != SQLITE_OK)
        return rb_store_sql_error(store, err, "restoring the bar cache's triggers");
    return RB_OK;
}
