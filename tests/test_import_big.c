/* test_import_big.c - imports large enough that the importer's per-row arrays leave the
 * heap for huge pages (data/import/columns.h: from 1 MiB, 262,144 rows of 4-byte entries):
 * every bar stored exactly in either row order, open/high/low/volume columns arriving after
 * a large close-only file, a refusal naming its line after the values were sorted away, the
 * arrays growing all or nothing when memory runs out, the connection's page cache size
 * restored after an import whether or not it compared with stored bars, and no descriptor
 * left open (the WAL's, opened to start its writeback early: data/import/writeback.h). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "big_alloc.h"
#include "import/rows.h"
#include "rebal.h"
#include "store.h" /* the connection, to read back exactly what was stored */
#include "support.h"

static char *dir, *db;

static void setup(void)
{
    dir = rbt_tempdir();
    db = rbt_path(dir, "prices.db");
}

static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
    free(db);
}

TestSuite(import_big, .init = setup, .fini = teardown, .timeout = 240);

/* 150 symbols x 2,000 days: 300,000 rows, past the 262,144 at which every array is large. */
#define NSYM 150
#define NDAYS 2000
#define NROWS ((long)NSYM * NDAYS)
#define DAY0 INT64_C(946684800) /* 2000-01-01 */
#define DAY INT64_C(86400)

static double price(int sym, int day) { return 1 + ((sym * 13 + day * 7) % 4000) / 8.0; }

enum order { DATE_MAJOR, SYMBOL_MAJOR };

/* Writes the rows as "S000,SECONDS,PRICE" in the given order; the row at conflict_at (-1:
 * none) is written again at the end with another price. Returns the path. */
static char *write_rows(const char *name, enum order order, long conflict_at)
{
    char *path = rbt_path(dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs("symbol,date,price\n", f);
    for (long r = 0; r < NROWS; r++) {
        int s = order == DATE_MAJOR ? (int)(r % NSYM) : (int)(r / NDAYS);
        int d = order == DATE_MAJOR ? (int)(r / NSYM) : (int)(r % NDAYS);
        fprintf(f, "S%03d,%lld,%g\n", s, (long long)(DAY0 + d * DAY), price(s, d));
    }
    if (conflict_at >= 0) {
        int s = (int)(conflict_at % NSYM), d = (int)(conflict_at / NSYM);
        fprintf(f, "S%03d,%lld,%g\n", s, (long long)(DAY0 + d * DAY), price(s, d) + 1);
    }
    cr_assert_eq(fclose(f), 0);
    return path;
}

static rb_store *open_db(void)
{
    rb_store *s = NULL;
    rb_error e;
    cr_assert_eq(rb_store_open(db, 0, &s, &e), RB_OK, "open %s: %s", db, e.msg);
    return s;
}

/* A prepared statement on the store's connection; the test fails when it does not prepare. */
static sqlite3_stmt *query(rb_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(s->db));
    return st;
}

static rb_status import(const char *const *paths, size_t n, rb_import_stats *st, rb_error *e)
{
    rb_store *s = open_db();
    rb_status rc = rb_import_files(s, paths, n, NULL, st, e);
    rb_store_free(s);
    return rc;
}

/* Every stored bar of the S### symbols is price(s, d), open and volume as expected, and there
 * are NROWS of them; assets numbered in order of first appearance. */
static void check_rows(const char *ohlv_symbol)
{
    rb_store *store = open_db();
    sqlite3_stmt *st = query(store, "SELECT a.id, a.symbol, b.ts, b.close, b.open, b.volume FROM bars b JOIN assets "
                                    "a ON a.id = b.asset_id ORDER BY a.id, b.ts");
    long n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *sym = (const char *)sqlite3_column_text(st, 1);
        if (ohlv_symbol && strcmp(sym, ohlv_symbol) == 0) continue;
        int s = atoi(sym + 1);
        int d = (int)((sqlite3_column_int64(st, 2) - DAY0) / DAY);
        cr_assert_eq(sqlite3_column_int64(st, 0), s + 1, "%s is asset %lld", sym, sqlite3_column_int64(st, 0));
        cr_assert_eq(sqlite3_column_double(st, 3), price(s, d), "%s day %d", sym, d);
        cr_assert_eq(sqlite3_column_type(st, 4), SQLITE_NULL, "%s day %d has an open", sym, d);
        cr_assert_eq(sqlite3_column_type(st, 5), SQLITE_NULL, "%s day %d has a volume", sym, d);
        n++;
    }
    sqlite3_finalize(st);
    rb_store_free(store);
    cr_assert_eq(n, NROWS);
}

static void stored_exactly(enum order order)
{
    char *p = write_rows("big.csv", order, -1);
    rb_import_stats st;
    rb_error e;
    cr_assert_eq(import((const char *const *)&p, 1, &st, &e), RB_OK, "%s", e.msg);
    cr_assert_eq(st.rows, (size_t)NROWS);
    cr_assert_eq(st.bars_added, (size_t)NROWS);
    cr_assert_eq(st.assets_added, (size_t)NSYM);
    check_rows(NULL);
    /* the same again: every bar compared with its stored twin, nothing written */
    cr_assert_eq(import((const char *const *)&p, 1, &st, &e), RB_OK, "%s", e.msg);
    cr_assert_eq(st.bars_added, 0);
    cr_assert_eq(st.bars_unchanged, (size_t)NROWS);
    free(p);
}

Test(import_big, date_major_rows_are_stored_exactly) { stored_exactly(DATE_MAJOR); }

Test(import_big, symbol_major_rows_are_stored_exactly) { stored_exactly(SYMBOL_MAJOR); }

Test(import_big, ohlcv_columns_after_a_large_close_only_file)
{
    char *paths[2] = {write_rows("big.csv", DATE_MAJOR, -1),
                      rbt_write_file(dir, "ohlcv.csv",
                                     "symbol,date,open,high,low,close,volume\n"
                                     "OHLV,2000-01-03,10,12,9,11,1000\n"
                                     "OHLV,2000-01-04,11,13,10,12.5,2000\n")};
    rb_import_stats st;
    rb_error e;
    cr_assert_eq(import((const char *const *)paths, 2, &st, &e), RB_OK, "%s", e.msg);
    cr_assert_eq(st.bars_added, (size_t)NROWS + 2);
    check_rows("OHLV");
    rb_store *store = open_db();
    sqlite3_stmt *q = query(store, "SELECT b.open, b.high, b.low, b.close, b.volume FROM bars b JOIN assets a ON "
                                   "a.id = b.asset_id WHERE a.symbol = 'OHLV' ORDER BY b.ts");
    static const double want[2][5] = {{10, 12, 9, 11, 1000}, {11, 13, 10, 12.5, 2000}};
    for (int r = 0; r < 2; r++) {
        cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
        for (int c = 0; c < 5; c++) cr_assert_eq(sqlite3_column_double(q, c), want[r][c], "bar %d field %d", r, c);
    }
    cr_assert_eq(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    rb_store_free(store);
    free(paths[0]);
    free(paths[1]);
}

Test(import_big, a_repeat_with_another_price_is_named_by_its_lines)
{
    long at = NROWS - 2 * NSYM + 7; /* day NDAYS - 2 of S007 */
    char *p = write_rows("big.csv", DATE_MAJOR, at);
    rb_import_stats st;
    rb_error e;
    cr_assert_eq(import((const char *const *)&p, 1, &st, &e), RB_ERR_DATA);
    char want[600];
    snprintf(want, sizeof want, "%s:%ld: S007 2005-06-21 appears twice with different values (first at %s:%ld)", p,
             NROWS + 2, p, at + 2);
    cr_assert_str_eq(e.msg, want);
    cr_assert_eq(access(db, F_OK), -1, "a refused first import leaves no store");
    free(p);
}

/* ---------------------------------------------------------------- rb_rows growing */

static void fill(rb_rows *r, size_t n)
{
    while (r->n < n) {
        if (r->n == r->cap) cr_assert(rb_rows_grow(r), "out of memory at %zu rows", r->n);
        size_t i = r->n++;
        r->asset[i] = (uint32_t)(i % 7);
        r->ts[i] = (int64_t)i * 3;
        r->close[i] = (double)i + 0.5;
        r->line[i] = (uint32_t)i + 2;
        if (r->open) r->open[i] = r->high[i] = r->low[i] = r->volume[i] = (double)i;
    }
}

static void check_filled(const rb_rows *r, size_t nan_below)
{
    for (size_t i = 0; i < r->n; i++) {
        cr_assert(r->asset[i] == i % 7 && r->ts[i] == (int64_t)i * 3 && r->close[i] == (double)i + 0.5 &&
                      r->line[i] == i + 2,
                  "row %zu changed", i);
        if (!r->open) continue;
        double *v[4] = {r->open, r->high, r->low, r->volume};
        for (int c = 0; c < 4; c++)
            cr_assert(i < nan_below ? isnan(v[c][i]) : v[c][i] == (double)i, "row %zu value %d", i, c);
    }
}

/* Grows r from its capacity with each allocation of the step failing in turn: a failed step
 * leaves every array as it was; then the step succeeds. */
static void grow_failing_each(rb_rows *r, size_t nan_below)
{
    size_t cap = r->cap;
    for (long k = 1;; k++) {
        rb_alloc_fail_at(k);
        int grew = rb_rows_grow(r);
        int failed = rb_alloc_failed();
        rb_alloc_fail_off();
        check_filled(r, nan_below);
        if (grew) {
            cr_assert_not(failed, "grew although allocation %ld failed", k);
            cr_assert_eq(r->cap, 2 * cap);
            cr_assert_geq(k, 2, "no allocation was failed");
            return;
        }
        cr_assert(failed);
        cr_assert_eq(r->cap, cap, "a failed step changed the capacity");
    }
}

Test(import_big, rows_grow_all_or_nothing_on_the_heap_on_huge_pages_and_between)
{
    long live = rb_big_live();
    rb_rows r;
    memset(&r, 0, sizeof r);
    /* 65,536 -> 131,072 rows: 4-byte arrays stay on the heap, 8-byte ones move to huge pages */
    fill(&r, 65536);
    grow_failing_each(&r, 0);
    fill(&r, 262144);
    grow_failing_each(&r, 0); /* every array large */
    cr_assert(rb_rows_add_ohlv(&r));
    size_t nan_below = r.n;
    check_filled(&r, nan_below);
    fill(&r, r.cap);
    grow_failing_each(&r, nan_below);
    rb_rows_free(&r);
    cr_assert_eq(rb_big_live(), live, "huge-page arrays leaked");
}

/* The bytes of p[0..n) that are not 0. */
static size_t nonzero_bytes(const unsigned char *p, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += p[i] != 0;
    return count;
}

/* The last big buffer freed is kept for the next request of its size (big_alloc.h): that
 * request gets the same memory, zeroed, as a fresh mapping would be. */
Test(import_big, a_big_buffer_freed_and_asked_for_again_comes_back_zeroed)
{
    long live = rb_big_live();
    const size_t bytes = (size_t)3 << 20;
    unsigned char *a = rb_big_alloc(bytes);
    cr_assert_not_null(a);
    memset(a, 0xab, bytes);
    rb_big_free(a, bytes);
    unsigned char *b = rb_big_alloc(bytes);
    cr_assert_not_null(b);
#if defined(__linux__)
    cr_assert_eq(b, a, "the buffer freed last was not given again to a request of its size");
#endif
    size_t nonzero = nonzero_bytes(b, bytes);
    cr_assert_eq(nonzero, 0, "%zu bytes of a buffer given again are not 0", nonzero);
    rb_big_free(b, bytes);
    cr_assert_eq(rb_big_live(), live, "big buffers leaked");
}

/* A buffer prepared ahead (rb_big_prepare) is the next request of its size, all zero, and
 * counts as given only then; one freed after use comes back zeroed, as ever. */
Test(import_big, a_big_buffer_prepared_ahead_is_the_next_of_its_size_and_zero)
{
    long live = rb_big_live();
    const size_t bytes = RB_BIG_PAGE - 4096;
    unsigned char *ahead = rb_big_prepare(bytes);
#if defined(__linux__)
    cr_assert_not_null(ahead, "no buffer prepared");
#endif
    cr_assert_eq(rb_big_live(), live, "a prepared buffer is not given yet");
    unsigned char *a = rb_big_alloc(bytes);
    cr_assert_not_null(a);
#if defined(__linux__)
    cr_assert_eq(a, ahead, "the prepared buffer was not given to a request of its size");
#endif
    size_t nonzero = nonzero_bytes(a, bytes);
    cr_assert_eq(nonzero, 0, "%zu bytes of a prepared buffer are not 0", nonzero);
    memset(a, 0xcd, bytes);
    rb_big_free(a, bytes);
    unsigned char *b = rb_big_alloc(bytes);
    cr_assert_not_null(b);
    nonzero = nonzero_bytes(b, bytes);
    cr_assert_eq(nonzero, 0, "%zu bytes of a buffer given again are not 0", nonzero);
    rb_big_free(b, bytes);
    cr_assert_eq(rb_big_live(), live, "big buffers leaked");
}

/* ---------------------------------------------------------------- the page cache */

static int64_t cache_size(rb_store *s)
{
    sqlite3_stmt *st = query(s, "PRAGMA cache_size");
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

Test(import_big, the_connection_keeps_its_page_cache_size)
{
    const char *path = rbt_write_file(dir, "small.csv", "symbol,date,price\nA,2000-01-03,1\nA,2000-01-04,2\n");
    const char *more = rbt_write_file(dir, "more.csv", "symbol,date,price\nA,2000-01-05,3\nB,2000-01-05,4\n");
    rb_store *s = open_db();
    cr_assert_eq(sqlite3_exec(s->db, "PRAGMA cache_size = -1234", NULL, NULL, NULL), SQLITE_OK);
    rb_import_stats st;
    rb_error e;
    cr_assert_eq(rb_import_files(s, &path, 1, NULL, &st, &e), RB_OK, "%s", e.msg); /* new assets only */
    cr_assert_eq(cache_size(s), -1234);
    cr_assert_eq(rb_import_files(s, &more, 1, NULL, &st, &e), RB_OK, "%s", e.msg); /* compares with A's bars */
    cr_assert_eq(st.bars_added, 2);
    cr_assert_eq(cache_size(s), -1234);
    rb_store_free(s);
    free((char *)path);
    free((char *)more);
}

/* ---------------------------------------------------------------- descriptors */

/* The process's open file descriptors (Linux: /proc/self/fd); -1 where that is not known. */
static int open_descriptors(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    while (readdir(d)) n++;
    closedir(d);
    return n;
}

Test(import_big, an_import_leaves_no_descriptor_open)
{
    char *p = write_rows("big.csv", SYMBOL_MAJOR, -1);
    int before = open_descriptors();
    rb_import_stats st;
    rb_error e;
    cr_assert_eq(import((const char *const *)&p, 1, &st, &e), RB_OK, "%s", e.msg);
    cr_assert_eq(st.bars_added, (size_t)NROWS);
    cr_assert_eq(open_descriptors(), before, "descriptors open before: %d", before);
    free(p);
}
