/* test_bar_cache.c - the price store's cache of bars (data/bar_cache.h): a matrix loaded from
 * the cache is the matrix loaded through SQL, to the bit, for every way of loading; every
 * write to bars (SQL of any program, rebal import) leaves no stale row; the cache is filled
 * only in the loader's own transaction and only when the store may write it. */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bar_cache.h"
#include "date.h"
#include "rebal.h"
#include "store.h"
#include "support.h"

typedef struct db {
    char *dir, *path;
    rb_store *store;
} db;

static void sql(rb_store *s, const char *text)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, text, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", text, msg ? msg : "");
}

static int64_t count(rb_store *s, const char *query)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(s->db, query, -1, &st, NULL), SQLITE_OK, "%s: %s", query,
                 sqlite3_errmsg(s->db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static rb_time day(int y, unsigned m, unsigned d) { return rb_days_from_civil(y, m, d) * RB_SECONDS_PER_DAY; }

/* Three assets over 40 days: A every day with opens and volumes, B on weekdays without
 * volumes, C every other day without opens from day 3. Ids 1, 2, 3. */
static db fixture(void)
{
    db d;
    d.dir = rbt_tempdir();
    d.path = rbt_path(d.dir, "prices.db");
    rb_error err = {0};
    cr_assert_eq(rb_store_open(d.path, 0, &d.store, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_store_begin(d.store, &err), RB_OK, "%s", err.msg);
    sql(d.store, "INSERT INTO assets(symbol) VALUES ('A'), ('B'), ('C');");
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(d.store->db, "INSERT INTO bars(asset_id, ts, open, close, volume) "
                                                 "VALUES (?1, ?2, ?3, ?4, ?5)",
                                    -1, &st, NULL),
                 SQLITE_OK);
    for (int k = 0; k < 40; k++) {
        rb_time t = day(2021, 1, 1) + (rb_time)k * RB_SECONDS_PER_DAY;
        double x = 100.0 + 0.37 * k + (k % 7) * 0.11;
        for (int a = 1; a <= 3; a++) {
            if (a == 2 && (k % 7 == 1 || k % 7 == 2)) continue; /* 2021-01-02 was a Saturday */
            if (a == 3 && (k < 3 || k % 2)) continue;
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, a);
            sqlite3_bind_int64(st, 2, t);
            if (a == 3) sqlite3_bind_null(st, 3);
            else sqlite3_bind_double(st, 3, x * a - 0.5);
            sqlite3_bind_double(st, 4, x * a);
            if (a == 1) sqlite3_bind_double(st, 5, 1000.0 + k);
            else sqlite3_bind_null(st, 5);
            cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "%s", sqlite3_errmsg(d.store->db));
        }
    }
    sqlite3_finalize(st);
    cr_assert_eq(rb_store_commit(d.store, &err), RB_OK, "%s", err.msg); /* a committed store is kept */
    return d;
}

static void db_close(db *d)
{
    rb_store_free(d->store);
    rbt_rmtree(d->dir);
    free(d->dir);
    free(d->path);
}

static void reopen(db *d, unsigned flags)
{
    rb_store_free(d->store);
    rb_error err = {0};
    cr_assert_eq(rb_store_open(d->path, flags, &d->store, &err), RB_OK, "%s", err.msg);
}

/* Runs SQL through a connection of its own, as another program would. */
static void sql_elsewhere(const db *d, const char *text)
{
    rb_store *w;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(d->path, 0, &w, &err), RB_OK, "%s", err.msg);
    sql(w, text);
    rb_store_free(w);
}

static rb_matrix *load(rb_store *s, const rb_load_options *o)
{
    rb_matrix *m = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_matrix_load(s, o, &m, &err), RB_OK, "rb_matrix_load: %s", err.msg);
    return m;
}

/* Every array and field of two matrices, to the bit. */
static void assert_same(const rb_matrix *a, const rb_matrix *b, const char *what)
{
    cr_assert_eq(a->T, b->T, "%s: T", what);
    cr_assert_eq(a->N, b->N, "%s: N", what);
    size_t cells = a->T * a->N;
    cr_assert(!memcmp(a->time, b->time, a->T * sizeof *a->time), "%s: time", what);
    cr_assert(!memcmp(a->close, b->close, cells * sizeof *a->close), "%s: close", what);
    cr_assert(!memcmp(a->open, b->open, cells * sizeof *a->open), "%s: open", what);
    cr_assert(!memcmp(a->volume, b->volume, cells * sizeof *a->volume), "%s: volume", what);
    cr_assert(!memcmp(a->growth, b->growth, cells * sizeof *a->growth), "%s: growth", what);
    cr_assert(!memcmp(a->filled, b->filled, cells * sizeof *a->filled), "%s: filled", what);
    cr_assert(!memcmp(a->has_open, b->has_open, a->N * sizeof *a->has_open), "%s: has_open", what);
    cr_assert(!memcmp(a->flags, b->flags, a->T * sizeof *a->flags), "%s: flags", what);
    cr_assert_eq(a->has_volume, b->has_volume, "%s: has_volume", what);
    cr_assert(!memcmp(&a->periods_per_year, &b->periods_per_year, sizeof a->periods_per_year), "%s: ppy", what);
    cr_assert_str_eq(a->periods_source, b->periods_source, "%s", what);
    for (size_t i = 0; i < a->N; i++) cr_assert_str_eq(a->symbols[i], b->symbols[i], "%s", what);
}

/* Several ways of loading the fixture: alignments, ranges inside the data, cash. */
#define NWAYS 5
static rb_load_options way(int k)
{
    static const char *const abc[] = {"A", "B", "C"}, *const bca[] = {"B", "CASH", "C", "A"}, *const a[] = {"A"};
    rb_load_options o;
    rb_load_options_init(&o);
    o.symbols = abc;
    o.nsymbols = 3;
    switch (k) {
    case 1: o.align = RB_ALIGN_INTERSECT; break;
    case 2:
        o.symbols = bca;
        o.nsymbols = 4;
        o.cash_rate = 0.03;
        o.has_start = 1;
        o.start = day(2021, 1, 10) + 3600; /* between bars: the anchor is the bar before */
        o.has_end = 1;
        o.end = day(2021, 2, 1);
        break;
    case 3:
        o.symbols = a;
        o.nsymbols = 1;
        o.has_end = 1;
        o.end = day(2021, 1, 20);
        break;
    case 4: o.max_gap = 2; break; /* B's weekends exactly */
    }
    return o;
}

Test(bar_cache, cached_matrix_is_the_sql_matrix_to_the_bit)
{
    db d = fixture();
    rb_matrix *plain[NWAYS], *m;
    /* Through SQL only: a read-only store, which never writes the cache. */
    reopen(&d, RB_STORE_READONLY);
    for (int k = 0; k < NWAYS; k++) {
        rb_load_options o = way(k);
        plain[k] = load(d.store, &o);
    }
    cr_assert(!rb_bar_cache_present(d.store), "a read-only store gains no cache");
    /* Filling the cache (the first load), then from it (the second). */
    reopen(&d, RB_STORE_READONLY | RB_STORE_CACHE);
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < NWAYS; k++) {
            rb_load_options o = way(k);
            m = load(d.store, &o);
            assert_same(plain[k], m, pass ? "from the cache" : "filling the cache");
            rb_matrix_free(m);
        }
    cr_assert_eq(count(d.store, "SELECT count(*) FROM bar_cache"), 3);
    for (int k = 0; k < NWAYS; k++) rb_matrix_free(plain[k]);
    /* A load the data refuses is refused from the cache with the same message. */
    rb_load_options o = way(4);
    o.max_gap = 1;
    rb_error err = {0};
    cr_assert_eq(rb_matrix_load(d.store, &o, &m, &err), RB_ERR_DATA);
    cr_assert_str_eq(err.msg, "B has no bar for 2 consecutive bars from 2021-01-09 to 2021-01-10 (over --max-gap 1; "
                              "raise --max-gap or use --align intersect)");
    db_close(&d);
}

/* A reader maps the store (data/store.c: the cached bars are copied from the file's pages,
 * not read into SQLite's page cache on the heap): every way of loading gives the matrix a
 * connection that reads the file gives, to the bit. */
Test(bar_cache, a_reader_maps_the_store_and_loads_what_reading_it_loads)
{
    db d = fixture();
    reopen(&d, RB_STORE_READONLY | RB_STORE_CACHE);
    rb_load_options o = way(0);
    rb_matrix_free(load(d.store, &o)); /* fills the cache */
    cr_assert_eq(count(d.store, "SELECT count(*) FROM bar_cache"), 3);
    const unsigned readers[] = {RB_STORE_READONLY, RB_STORE_READONLY | RB_STORE_CACHE};
    for (size_t r = 0; r < sizeof readers / sizeof readers[0]; r++) {
        const unsigned flags = readers[r];
        reopen(&d, flags);
        cr_assert_gt(count(d.store, "PRAGMA mmap_size"), 0, "a reader maps the store (flags %u)", flags);
        rb_matrix *mapped[NWAYS];
        for (int k = 0; k < NWAYS; k++) {
            o = way(k);
            mapped[k] = load(d.store, &o);
        }
        sql(d.store, "PRAGMA mmap_size = 0");
        cr_assert_eq(count(d.store, "PRAGMA mmap_size"), 0);
        for (int k = 0; k < NWAYS; k++) {
            o = way(k);
            rb_matrix *read = load(d.store, &o);
            assert_same(read, mapped[k], flags & RB_STORE_CACHE ? "mapped, the cache writable" : "mapped");
            rb_matrix_free(read);
            rb_matrix_free(mapped[k]);
        }
    }
    db_close(&d);
}

/* Loads the fixture's union through the cache and through SQL alone, and compares. */
static void assert_cache_true(db *d, const char *what)
{
    rb_load_options o = way(0);
    rb_matrix *cached = load(d->store, &o);
    cr_assert_eq(count(d->store, "SELECT count(*) FROM bar_cache"), 3, "%s: every asset cached again", what);
    rb_store *plain;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(d->path, RB_STORE_READONLY, &plain, &err), RB_OK, "%s", err.msg);
    sql(plain, "BEGIN"); /* in a caller's transaction the loader reads without the cache */
    rb_matrix *m = load(plain, &o);
    sql(plain, "ROLLBACK");
    assert_same(m, cached, what);
    rb_matrix_free(m);
    rb_matrix_free(cached);
    rb_store_free(plain);
}

Test(bar_cache, any_sql_write_to_bars_drops_the_assets_rows)
{
    db d = fixture();
    reopen(&d, RB_STORE_READONLY | RB_STORE_CACHE);
    assert_cache_true(&d, "filled");
    rb_store *w;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(d.path, 0, &w, &err), RB_OK, "%s", err.msg);
    sql(w, "UPDATE bars SET close = close * 2 WHERE asset_id = 2 AND ts = "
           "(SELECT max(ts) FROM bars WHERE asset_id = 2)");
    cr_assert_eq(count(w, "SELECT group_concat(asset_id) = '1,3' FROM bar_cache"), 1, "B's row dropped, A and C kept");
    assert_cache_true(&d, "after an update");
    sql(w, "DELETE FROM bars WHERE asset_id = 1 AND ts = (SELECT max(ts) FROM bars WHERE asset_id = 1)");
    cr_assert_eq(count(w, "SELECT group_concat(asset_id) = '2,3' FROM bar_cache"), 1, "A's row dropped");
    assert_cache_true(&d, "after a delete");
    sql(w, "INSERT INTO bars(asset_id, ts, close) VALUES "
           "(3, (SELECT max(ts) FROM bars WHERE asset_id = 3) - 86400, 7)");
    cr_assert_eq(count(w, "SELECT group_concat(asset_id) = '1,2' FROM bar_cache"), 1, "C's row dropped");
    assert_cache_true(&d, "after an insert");
    rb_store_free(w);
    db_close(&d);
}

/* Imports csv (long format) into the store at path through the library. */
static rb_status import_text(db *d, const char *csv, rb_error *err)
{
    char *file = rbt_write_file(d->dir, "add.csv", csv);
    const char *paths[] = {file};
    rb_store *w;
    rb_status rc = rb_store_open(d->path, 0, &w, err);
    if (rc == RB_OK) {
        rb_import_options io;
        rb_import_options_init(&io);
        rb_import_stats stats;
        rc = rb_import_files(w, paths, 1, &io, &stats, err);
        rb_store_free(w);
    }
    free(file);
    return rc;
}

Test(bar_cache, import_drops_the_rows_of_the_assets_it_writes_and_keeps_the_triggers)
{
    db d = fixture();
    reopen(&d, RB_STORE_READONLY | RB_STORE_CACHE);
    assert_cache_true(&d, "filled");
    rb_error err = {0};
    /* A bar for B after the others end, and a new asset: A and C keep their rows. */
    cr_assert_eq(import_text(&d, "symbol,date,price\nB,2021-03-01,5\nD,2021-01-05,9\n", &err), RB_OK, "%s", err.msg);
    cr_assert_eq(count(d.store, "SELECT group_concat(asset_id) = '1,3' FROM bar_cache"), 1);
    cr_assert_eq(count(d.store, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), 3, "triggers back");
    assert_cache_true(&d, "after an import");
    /* A refused import (B's bar differs from the stored one) changes nothing, cache included. */
    cr_assert_neq(import_text(&d, "symbol,date,price\nB,2021-03-01,6\nA,2021-03-01,5\n", &err), RB_OK);
    cr_assert_eq(count(d.store, "SELECT count(*) FROM bar_cache"), 3);
    cr_assert_eq(count(d.store, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), 3);
    /* The triggers still guard writes from elsewhere after an import. */
    sql_elsewhere(&d, "DELETE FROM bars WHERE asset_id = 3 AND ts = (SELECT max(ts) FROM bars WHERE asset_id = 3)");
    cr_assert_eq(count(d.store, "SELECT group_concat(asset_id) = '1,2' FROM bar_cache"), 1);
    assert_cache_true(&d, "after a delete following an import");
    db_close(&d);
}

Test(bar_cache, filled_only_in_the_loaders_own_transaction_and_when_writable)
{
    db d = fixture();
    rb_load_options o = way(0);
    reopen(&d, RB_STORE_READONLY);
    rb_matrix_free(load(d.store, &o));
    cr_assert(!rb_bar_cache_present(d.store), "RB_STORE_READONLY alone writes nothing");
    reopen(&d, RB_STORE_READONLY | RB_STORE_CACHE);
    sql(d.store, "BEGIN");
    rb_matrix_free(load(d.store, &o));
    cr_assert(!rb_bar_cache_present(d.store), "nothing written inside the caller's transaction");
    sql(d.store, "COMMIT");
    rb_matrix_free(load(d.store, &o));
    cr_assert(rb_bar_cache_present(d.store));
    db_close(&d);
}

Test(bar_cache, rows_of_another_layout_or_size_are_ignored)
{
    db d = fixture();
    reopen(&d, RB_STORE_READONLY | RB_STORE_CACHE);
    assert_cache_true(&d, "filled");
    /* Edits of the cache itself fire no trigger: a wrong layout and a wrong count. */
    sql_elsewhere(&d, "UPDATE bar_cache SET layout = 0 WHERE asset_id = 1; "
                      "UPDATE bar_cache SET nbars = 2 WHERE asset_id = 2;");
    rb_error err = {0};
    rb_load_options o = way(0);
    rb_store *plain;
    cr_assert_eq(rb_store_open(d.path, RB_STORE_READONLY, &plain, &err), RB_OK, "%s", err.msg);
    rb_matrix *a = load(plain, &o), *b = load(d.store, &o);
    assert_same(a, b, "foreign rows");
    rb_matrix_free(a);
    rb_matrix_free(b);
    rb_store_free(plain);
    db_close(&d);
}

Test(bar_cache, a_write_protected_store_loads_without_it)
{
    if (geteuid() == 0) cr_skip_test("root writes through file permissions");
    db d = fixture();
    rb_store_free(d.store);
    d.store = NULL;
    cr_assert_eq(chmod(d.path, 0444), 0);
    rb_error err = {0};
    cr_assert_eq(rb_store_open(d.path, RB_STORE_READONLY | RB_STORE_CACHE, &d.store, &err), RB_OK, "%s", err.msg);
    rb_load_options o = way(2);
    rb_matrix_free(load(d.store, &o));
    cr_assert(!rb_bar_cache_present(d.store));
    chmod(d.path, 0644);
    db_close(&d);
}

Test(bar_cache, a_store_locked_by_a_writer_loads_without_it)
{
    db d = fixture();
    reopen(&d, RB_STORE_READONLY | RB_STORE_CACHE);
    rb_store *w;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(d.path, 0, &w, &err), RB_OK, "%s", err.msg);
    sql(w, "BEGIN IMMEDIATE"); /* an import under way */
    rb_load_options o = way(0);
    rb_matrix *m = load(d.store, &o);
    sql(w, "ROLLBACK");
    cr_assert(!rb_bar_cache_present(d.store), "the cache waits for a store nobody writes");
    rb_matrix *again = load(d.store, &o);
    cr_assert(rb_bar_cache_present(d.store));
    assert_same(m, again, "locked, then cached");
    rb_matrix_free(m);
    rb_matrix_free(again);
    rb_store_free(w);
    db_close(&d);
}

Test(bar_cache, a_row_that_contradicts_itself_is_an_error_naming_the_fix)
{
    db d = fixture();
    reopen(&d, RB_STORE_READONLY | RB_STORE_CACHE);
    assert_cache_true(&d, "filled");
    sql_elsewhere(&d, "UPDATE bar_cache SET first_ts = first_ts - 1 WHERE asset_id = 3");
    rb_error err = {0};
    rb_load_options o = way(0);
    rb_matrix *m = NULL;
    cr_assert_eq(rb_matrix_load(d.store, &o, &m, &err), RB_ERR_SCHEMA);
    cr_assert(strstr(err.msg, "the bar cache of asset 3 is inconsistent (delete its row: DELETE FROM bar_cache)"),
              "%s", err.msg);
    cr_assert_null(m);
    db_close(&d);
}

/* The connection's cached pages, in bytes (SQLITE_DBSTATUS_CACHE_USED). */
static int cache_bytes(rb_store *s)
{
    int used = 0, high = 0;
    cr_assert_eq(sqlite3_db_status(s->db, SQLITE_DBSTATUS_CACHE_USED, &used, &high, 0), SQLITE_OK);
    return used;
}

/* rb_store_shed_cache (what a sweep does once its matrix is loaded): the pages a load left in
 * the connection's cache go back to the heap, and a later load reads the file again, to the
 * same matrix. */
Test(bar_cache, shedding_the_cache_gives_the_pages_back_and_loads_the_same)
{
    db d = fixture();
    reopen(&d, RB_STORE_READONLY | RB_STORE_CACHE);
    rb_load_options o = way(0);
    rb_matrix *first = load(d.store, &o);
    int before = cache_bytes(d.store);
    cr_assert_gt(before, 0, "a load leaves pages cached");
    rb_store_shed_cache(d.store);
    int after = cache_bytes(d.store);
    cr_assert_lt(after, before, "the cache holds %d bytes after the shed, %d before", after, before);
    rb_matrix *again = load(d.store, &o);
    assert_same(first, again, "after the shed");
    rb_matrix_free(first);
    rb_matrix_free(again);
    db_close(&d);
}

/* The mappings of the file at path in this process (/proc/self/maps); -1 where there is no
 * such listing. */
static int mappings_of(const char *path)
{
    char real[PATH_MAX], line[PATH_MAX + 256];
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f || !realpath(path, real)) {
        if (f) fclose(f);
        return -1;
    }
    int n = 0;
    size_t len = strlen(real);
    while (fgets(line, sizeof line, f)) {
        char *at = strstr(line, real), *end = at ? at + len : NULL;
        n += end && (*end == '\n' || *end == '\0');
    }
    fclose(f);
    return n;
}

/* rb_store_unmap (what a sweep does once its batch has run): a reader's map of the file goes
 * at once, and the next load maps it again and loads the same matrix; a writer's store,
 * which is not mapped, stays so. */
Test(bar_cache, giving_the_map_back_unmaps_the_file_until_the_next_load)
{
    db d = fixture();
    reopen(&d, RB_STORE_READONLY | RB_STORE_CACHE);
    rb_load_options o = way(0);
    rb_matrix *first = load(d.store, &o);
    int listed = mappings_of(d.path);
    if (listed >= 0) cr_assert_gt(listed, 0, "the load read through the file's map");
    rb_store_unmap(d.store);
    cr_assert_eq(count(d.store, "PRAGMA mmap_size"), 0);
    if (listed >= 0) cr_assert_eq(mappings_of(d.path), 0, "the map is given back at once");
    rb_store_unmap(d.store); /* again: nothing more to give back */
    rb_matrix *again = load(d.store, &o);
    cr_assert_gt(count(d.store, "PRAGMA mmap_size"), 0, "the load maps the file again");
    if (listed >= 0) cr_assert_gt(mappings_of(d.path), 0);
    assert_same(first, again, "after the map was given back");
    rb_matrix_free(again);
    rb_store_unmap(d.store); /* and mapped again by a load inside the caller's transaction */
    sql(d.store, "BEGIN");
    again = load(d.store, &o);
    cr_assert_gt(count(d.store, "PRAGMA mmap_size"), 0);
    sql(d.store, "COMMIT");
    assert_same(first, again, "a load in the caller's transaction, after the map was given back");
    rb_matrix_free(again);

    reopen(&d, 0); /* a writer: never mapped */
    rb_store_unmap(d.store);
    rb_store_map_again(d.store);
    again = load(d.store, &o);
    cr_assert_eq(count(d.store, "PRAGMA mmap_size"), 0, "a writer's store is not mapped by the load");
    assert_same(first, again, "a writer's load");
    rb_matrix_free(again);
    rb_matrix_free(first);
    db_close(&d);
}

static rb_status count_row(void *ctx, const rb_sweep_row *row, rb_error *err)
{
    (void)err;
    if (row->metrics) {
#pragma omp atomic
        ((double *)ctx)[row->index] += row->metrics->final_value;
    }
    return RB_OK;
}

/* A sweep told that its caller reads no more prices (release_prices, what `rebal sweep` tells
 * it when nothing after the sweep reads them) gives the reader's map back once its batch has
 * run; one not told keeps it, for the next sweep on the same store. The rows are the same. */
Test(bar_cache, a_sweep_gives_the_map_back_only_when_its_caller_is_done_with_the_prices)
{
    db d = fixture();
    reopen(&d, RB_STORE_READONLY | RB_STORE_CACHE);
    rb_sweep *sw = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_sweep_parse_text("[data]\nassets = A=0.5, CASH=0.5\n[threshold]\nband = 0.01, 0.02\n", "t.ini",
                                     &sw, &err),
                 RB_OK, "%s", err.msg);
    double kept[2] = {0}, released[2] = {0};
    rb_sweep_summary sum = {0};
    rb_sweep_options so = {.on_row = count_row, .ctx = kept, .threads = 1};
    cr_assert_eq(rb_sweep_run_parsed(d.store, sw, "t.ini", &so, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(sum.ran, 2);
    cr_assert_gt(count(d.store, "PRAGMA mmap_size"), 0, "not told: the map stays");
    int listed = mappings_of(d.path);
    if (listed >= 0) cr_assert_gt(listed, 0);
    so = (rb_sweep_options){.on_row = count_row, .ctx = released, .threads = 1, .release_prices = 1};
    cr_assert_eq(rb_sweep_run_parsed(d.store, sw, "t.ini", &so, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(count(d.store, "PRAGMA mmap_size"), 0, "told: the map is given back");
    if (listed >= 0) cr_assert_eq(mappings_of(d.path), 0);
    cr_assert(kept[0] > 0 && kept[1] > 0);
    cr_assert_eq(memcmp(kept, released, sizeof kept), 0, "the same rows");
    rb_sweep_free(sw);
    db_close(&d);
}
