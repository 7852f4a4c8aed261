/* test_bar_cache_file.c - the bar cache's BLOBs read from the price store's file itself
 * (data/bar_cache_file.h): every row reads what sqlite3_blob_read reads, byte for byte, on
 * pages of 512 bytes to 64 KiB, on trees of one to three levels, with and without reserved
 * bytes, for BLOBs held on the leaf alone or across overflow pages; nothing is read where
 * SQLite would read other bytes (WAL mode, a write transaction, no transaction); and a file
 * damaged anywhere never gives other bytes than the row's: the reader leaves such a row to
 * SQLite. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bar_cache_file.h"
#include "support.h"

/* The table as bar_cache.c creates it. */
static const char table[] = "CREATE TABLE bar_cache (asset_id INTEGER PRIMARY KEY, layout INTEGER NOT NULL, "
                            "nbars INTEGER NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, "
                            "bars BLOB NOT NULL)";

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
    return db;
}

/* Row k's BLOB: bytes that tell their row and offset apart. */
static unsigned char *blob_of(int64_t k, size_t n)
{
    unsigned char *b = malloc(n ? n : 1);
    cr_assert_not_null(b);
    for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(k * 131 + i * 7 + (i >> 8) * 13);
    return b;
}

/* A store of `rows` rows on pages of `page` bytes (`reserved` of them reserved), row k
 * (rowid k * step + 1) holding size_of(k) bytes. */
static char *make_store(const char *dir, const char *name, int page, int reserved, int rows, int64_t step,
                        size_t (*size_of)(int))
{
    char *path = rbt_path(dir, name);
    unlink(path);
    sqlite3 *db = open_db(path);
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA page_size = %d", page);
    exec(db, sql);
    if (reserved) cr_assert_eq(sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserved), SQLITE_OK);
    exec(db, table);
    exec(db, "BEGIN");
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "INSERT INTO bar_cache VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL),
                 SQLITE_OK);
    for (int k = 0; k < rows; k++) {
        size_t n = size_of(k);
        unsigned char *b = blob_of(k, n);
        int64_t rowid = k * step + 1;
        sqlite3_bind_int64(st, 1, rowid);
        sqlite3_bind_int64(st, 2, 33 + k % 3);               /* integers of each size... */
        sqlite3_bind_int64(st, 3, (int64_t)k << (k % 40));   /* ...up to 6 and 8 bytes */
        sqlite3_bind_int64(st, 4, -(int64_t)k * 86400 - 1);  /* negative */
        sqlite3_bind_int64(st, 5, k % 2);                    /* 0 and 1: no bytes */
        sqlite3_bind_blob(st, 6, b, (int)n, SQLITE_TRANSIENT);
        cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "%s", sqlite3_errmsg(db));
        sqlite3_reset(st);
        free(b);
    }
    sqlite3_finalize(st);
    exec(db, "COMMIT");
    sqlite3_close(db);
    return path;
}

/* Within a read transaction (a SHARED lock, nothing written); 0 where SQLite cannot read the
 * schema (a damaged first page). */
static int try_read(sqlite3 *db)
{
    exec(db, "BEGIN");
    sqlite3_stmt *st;
    int ok = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &st, NULL) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return ok;
}

static void begin_read(sqlite3 *db) { cr_assert(try_read(db), "%s", sqlite3_errmsg(db)); }

/* A row as it was stored: its integers and its BLOB. */
typedef struct stored {
    rb_bar_cache_row row;
    unsigned char *bytes;
    size_t len;
} stored;

/* Reads row rowid both ways and returns what rb_bar_cache_file_read returned: when 1, its
 * bytes were SQLite's, or, where SQLite refuses the row (a damaged file), the row's as stored
 * (was: the caller knows them), and nothing past them was written. The file's look of the row,
 * when it finds it, says SQLite's integers and size; the read from where it found the row and
 * the read that looks it up anew agree. */
static int read_row(sqlite3 *db, rb_bar_cache_file *f, int64_t rowid, const stored *was)
{
    sqlite3_stmt *st = NULL;
    int prepared = sqlite3_prepare_v2(db, "SELECT layout, nbars, first_ts, last_ts, bars FROM bar_cache WHERE "
                                          "asset_id = ?1",
                                      -1, &st, NULL) == SQLITE_OK;
    cr_assert(prepared || was, "%s", sqlite3_errmsg(db)); /* a damaged schema only */
    sqlite3_bind_int64(st, 1, rowid);
    rb_bar_cache_row row = {.rowid = rowid};
    size_t n = 0;
    unsigned char *sql = NULL;
    if (prepared && sqlite3_step(st) == SQLITE_ROW) {
        row.layout = sqlite3_column_int64(st, 0);
        row.nbars = sqlite3_column_int64(st, 1);
        row.first = sqlite3_column_int64(st, 2);
        row.last = sqlite3_column_int64(st, 3);
        n = (size_t)sqlite3_column_bytes(st, 4);
        sql = malloc(n ? n : 1);
        memcpy(sql, sqlite3_column_blob(st, 4), n);
    } else {
        cr_assert_not_null(was, "row %lld: SQLite refuses it (%s)", (long long)rowid, sqlite3_errmsg(db));
        row = was->row;
        n = was->len;
    }
    sqlite3_finalize(st);
    const unsigned char *expect = sql ? sql : was->bytes;
    /* looked up, it says what SQL says of the row */
    rb_bar_cache_spot spot;
    int looked = rb_bar_cache_file_look(f, db, rowid, &spot);
    if (looked) {
        const int64_t v[4] = {row.layout, row.nbars, row.first, row.last};
        for (int k = 0; k < 4; k++)
            cr_assert_eq(spot.value[k], v[k], "row %lld: integer %d is not the row's", (long long)rowid, k);
        cr_assert_eq(spot.bytes, n, "row %lld: the BLOB's size is not the row's", (long long)rowid);
    }
    /* read from where the look found it, and looked up anew: the same */
    int read = 0;
    for (int way = 0; way < 2; way++) {
        unsigned char *got = malloc(n + 16);
        memset(got, 0xa5, n + 16);
        int r = rb_bar_cache_file_read(f, db, way == 0 && looked ? &spot : NULL, &row, got, n);
        if (r) cr_assert(memcmp(got, expect, n) == 0, "row %lld: the file's bytes are not the row's", (long long)rowid);
        for (size_t i = n; i < n + 16; i++) cr_assert_eq(got[i], 0xa5, "row %lld: written past its end", (long long)rowid);
        if (!was) /* an intact file: read where found */
            cr_assert_eq(r, looked, "row %lld: looked up %d, read %d", (long long)rowid, looked, r);
        read = r;
        free(got);
    }
    free(sql);
    return read;
}

static size_t tiny(int k) { return (size_t)(1 + k % 5); }
static size_t mixed(int k)
{
    static const size_t sizes[] = {1, 100, 459, 460, 461, 1000, 4061, 4095, 4096, 20000, 65500, 65536, 160000, 300001};
    return sizes[k % (int)(sizeof sizes / sizeof sizes[0])];
}
static size_t small(int k)
{
    static const size_t sizes[] = {1, 100, 459, 600, 1000, 2100, 3100, 5000};
    return sizes[k % (int)(sizeof sizes / sizeof sizes[0])];
}
static size_t bars_of_5000(int k) { return (size_t)(5000 - k) * 32; }

/* Every row of the store, both ways, each read by the file. */
static void check_all(const char *path, int rows, int64_t step)
{
    sqlite3 *db = open_db(path);
    begin_read(db);
    rb_bar_cache_file f;
    rb_bar_cache_file_init(&f);
    for (int k = 0; k < rows; k++)
        cr_assert(read_row(db, &f, k * step + 1, NULL), "%s: row %d was not read from the file", path, k);
    rb_bar_cache_file_end(&f);
    exec(db, "COMMIT");
    sqlite3_close(db);
}

Test(bar_cache_file, every_row_reads_as_sqlite_reads_it)
{
    char *dir = rbt_tempdir();
    static const int pages[] = {512, 1024, 4096, 65536};
    for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
        char *path = make_store(dir, "mixed.db", pages[p], 0, 42, 1, mixed);
        check_all(path, 42, 1);
        free(path);
        path = make_store(dir, "tiny.db", pages[p], 0, 700, 3, tiny); /* interior pages, keys 3 apart */
        check_all(path, 700, 3);
        free(path);
    }
    char *path = make_store(dir, "deep.db", 512, 0, 4000, 3, tiny); /* three levels: interior pages under the root */
    check_all(path, 4000, 3);
    free(path);
    path = make_store(dir, "bars.db", 65536, 0, 12, 1, bars_of_5000); /* the loader's rows */
    check_all(path, 12, 1);
    free(path);
    path = make_store(dir, "reserved.db", 1024, 32, 30, 1, mixed); /* usable bytes fewer than the page's */
    check_all(path, 30, 1);
    free(path);
    rbt_rmtree(dir);
    free(dir);
}

/* BLOBs whose rows end at and around the sizes where the leaf's share of a payload changes:
 * the whole payload on the leaf up to U - 35 bytes (U: the usable bytes), then K or M bytes of
 * it (the format's rule: K = M + (P - M) % (U - 4), kept while at most U - 35), the rest in
 * overflow pages; each size from 60 under to 10 over U - 35 and U - 35 + (U - 4). */
static int boundary_page;
static size_t boundary(int k)
{
    const size_t U = (size_t)boundary_page, X = U - 35;
    return k < 70 ? X - 60 + (size_t)k : X + (U - 4) - 60 + (size_t)(k - 70);
}

Test(bar_cache_file, rows_at_the_edges_of_the_leafs_share_read_as_sqlite_reads_them)
{
    char *dir = rbt_tempdir();
    static const int pages[] = {512, 1024, 4096, 65536};
    for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
        boundary_page = pages[p];
        char *path = make_store(dir, "edges.db", pages[p], 0, 140, 1, boundary);
        check_all(path, 140, 1);
        free(path);
    }
    rbt_rmtree(dir);
    free(dir);
}

Test(bar_cache_file, a_missing_row_is_left_to_sqlite)
{
    char *dir = rbt_tempdir();
    char *path = make_store(dir, "s.db", 1024, 0, 50, 2, mixed);
    sqlite3 *db = open_db(path);
    begin_read(db);
    rb_bar_cache_file f;
    rb_bar_cache_file_init(&f);
    unsigned char out[8];
    for (int64_t rowid = 0; rowid <= 102; rowid += 2) { /* the rows are 1, 3, ..., 99 */
        rb_bar_cache_row row = {.rowid = rowid, .layout = 33};
        rb_bar_cache_spot spot;
        cr_assert_eq(rb_bar_cache_file_look(&f, db, rowid, &spot), 0, "row %lld", (long long)rowid);
        cr_assert_eq(rb_bar_cache_file_read(&f, db, NULL, &row, out, 1), 0, "row %lld", (long long)rowid);
    }
    /* a row that says other integers than the caller's, or another size */
    rb_bar_cache_spot spot;
    cr_assert_eq(rb_bar_cache_file_look(&f, db, 1, &spot), 1);
    rb_bar_cache_row other = {.rowid = 1, .layout = 34, .nbars = 0, .first = -1, .last = 0};
    cr_assert_eq(rb_bar_cache_file_read(&f, db, &spot, &other, out, 1), 0);
    rb_bar_cache_row same = {.rowid = 1, .layout = 33, .nbars = 0, .first = -1, .last = 0};
    cr_assert_eq(rb_bar_cache_file_read(&f, db, &spot, &same, out, 1), 1);
    cr_assert_eq(rb_bar_cache_file_read(&f, db, &spot, &same, out, 0), 0);
    /* another row's spot: row 3 is looked up (and says other integers than row 1's) */
    rb_bar_cache_row third = same;
    third.rowid = 3;
    cr_assert_eq(rb_bar_cache_file_read(&f, db, &spot, &third, out, 1), 0);
    rb_bar_cache_file_end(&f);
    exec(db, "COMMIT");
    sqlite3_close(db);
    free(path);
    rbt_rmtree(dir);
    free(dir);
}

Test(bar_cache_file, nothing_is_read_where_sqlite_would_read_other_bytes)
{
    char *dir = rbt_tempdir();
    char *path = make_store(dir, "s.db", 4096, 0, 10, 1, mixed);
    sqlite3 *db = open_db(path);
    rb_bar_cache_file f;
    rb_bar_cache_file_init(&f);
    /* no transaction: no lock keeps a writer out */
    cr_assert_eq(read_row(db, &f, 4, NULL), 0);
    /* a write transaction: its pages are not the file's yet */
    exec(db, "BEGIN");
    exec(db, "UPDATE bar_cache SET bars = zeroblob(length(bars)) WHERE asset_id = 4");
    cr_assert_eq(read_row(db, &f, 4, NULL), 0);
    exec(db, "ROLLBACK");
    /* switched off (tests) */
    rb_bar_cache_file_enable(0);
    begin_read(db);
    cr_assert_eq(read_row(db, &f, 4, NULL), 0);
    exec(db, "COMMIT");
    rb_bar_cache_file_enable(1);
    rb_bar_cache_file_end(&f);
    /* WAL mode: newer pages may be in the WAL */
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, "UPDATE bar_cache SET bars = zeroblob(length(bars)) WHERE asset_id = 4");
    rb_bar_cache_file_init(&f);
    begin_read(db);
    cr_assert_eq(read_row(db, &f, 4, NULL), 0);
    cr_assert_eq(read_row(db, &f, 5, NULL), 0);
    exec(db, "COMMIT");
    rb_bar_cache_file_end(&f);
    sqlite3_close(db);
    /* in rollback-journal mode again, it reads (the first connection's close left WAL) */
    db = open_db(path);
    exec(db, "PRAGMA journal_mode = DELETE");
    rb_bar_cache_file_init(&f);
    begin_read(db);
    cr_assert_eq(read_row(db, &f, 4, NULL), 1);
    exec(db, "COMMIT");
    rb_bar_cache_file_end(&f);
    sqlite3_close(db);
    free(path);
    rbt_rmtree(dir);
    free(dir);
}

/* Rows 1..rows as stored. */
static stored *all_rows(const char *path, int rows)
{
    sqlite3 *db = open_db(path);
    stored *all = calloc((size_t)rows, sizeof *all);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT layout, nbars, first_ts, last_ts, bars FROM bar_cache WHERE asset_id = ?1",
                                    -1, &st, NULL),
                 SQLITE_OK);
    for (int k = 0; k < rows; k++) {
        sqlite3_bind_int64(st, 1, k + 1);
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
        stored *w = &all[k];
        w->row = (rb_bar_cache_row){k + 1, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                                    sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)};
        w->len = (size_t)sqlite3_column_bytes(st, 4);
        w->bytes = malloc(w->len ? w->len : 1);
        memcpy(w->bytes, sqlite3_column_blob(st, 4), w->len);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return all;
}

static void put_bytes(const char *path, off_t at, const void *bytes, size_t n)
{
    int fd = open(path, O_WRONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(pwrite(fd, bytes, n, at), (ssize_t)n);
    close(fd);
}

/* Damage at one place of the file, then every row: read from the file only as SQLite reads
 * it (as stored, where SQLite refuses it), never past its end; else left to SQLite. */
static void check_damaged(const char *path, int rows, const stored *was)
{
    sqlite3 *db = open_db(path);
    rb_bar_cache_file f;
    rb_bar_cache_file_init(&f);
    if (try_read(db))
        for (int k = 0; k < rows; k++) (void)read_row(db, &f, k + 1, &was[k]);
    rb_bar_cache_file_end(&f);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
}

Test(bar_cache_file, a_damaged_file_never_reads_other_bytes_than_the_rows)
{
    char *dir = rbt_tempdir();
    enum { ROWS = 8, PAGE = 1024 };
    char *path = make_store(dir, "s.db", PAGE, 0, ROWS, 1, small); /* 15 pages */
    stored *was = all_rows(path, ROWS);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    const off_t pages = st.st_size / PAGE;
    size_t len = 0;
    unsigned char *copy = (unsigned char *)rbt_read_file(path, &len);
    cr_assert_eq(len, (size_t)st.st_size);
    /* One byte changed at a time: every byte of a page's first 48 (B-tree heads, cell pointers,
     * overflow pages' numbers), every seventh after them (cells, records, their overflow
     * numbers), and the last 4, each to a byte that differs in one bit or in all. */
    uint64_t seed = 88172645463325252u;
    for (off_t p = 1; p <= pages; p++)
        for (off_t i = 0; i < PAGE; i += i < 48 || i >= PAGE - 4 ? 1 : 7) {
            const off_t at = (p - 1) * PAGE + i;
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            unsigned char b = seed % 2 ? copy[at] ^ (unsigned char)(1u << (seed >> 8) % 8) : (unsigned char)~copy[at];
            put_bytes(path, at, &b, 1);
            check_damaged(path, ROWS, was);
            put_bytes(path, at, copy + at, 1); /* as it was */
        }
    /* cut short */
    cr_assert_eq(truncate(path, st.st_size / 2), 0);
    check_damaged(path, ROWS, was);
    free(copy);
    for (int k = 0; k < ROWS; k++) free(was[k].bytes);
    free(was);
    free(path);
    rbt_rmtree(dir);
    free(dir);
}
