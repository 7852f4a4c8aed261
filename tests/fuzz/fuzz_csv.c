/* fuzz_csv.c - libFuzzer target: a whole input imported as one CSV file into an in-memory
 * store; when the import succeeds, the store is exported and the export imported into a
 * second in-memory store, twice: the long export (every field) must give exactly the same
 * bars, bit for bit, and the wide export (closes), imported with --format wide, the same
 * closes. Aborts when an export does not import or the bars differ; a refused import must
 * say why in one line, and so must a refused wide export, only allowed for a symbol named
 * like the date column.
 *
 * Input: one option byte, then the file. The option byte chooses import options, so that
 * the fuzzer reaches every reader (rb_import_options); '@' is the defaults:
 *   bits 0-1  format: auto, long, wide, ohlcv
 *   bit 2     --price adjclose
 *   bit 3     --decimal , with --delimiter ;
 *   bit 4     --symbol SYM
 *   bits 5-7  0: --date-format %d.%m.%Y, 1: --start 2000-01-03 --every day, 2 and 3: dates
 *             detected, 4: --date-format %s, 5: --date-format "%Y%m%d %H%M",
 *             6: --start 2000-01-03 --every business-day, 7: --start 2000-01-31 --every month
 * The import reads a file by name: the input is written to a memfd, read as /proc/self/fd/N.
 * With FUZZ_VERBOSE set in the environment, each input's outcome is printed (to see what a
 * seed or a crash input reaches: fuzz_csv FILE...). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rebal.h"
#include "store.h"

/* A memfd holding the input, and one holding the export; made once, truncated per input. */
static int input_fd = -1, export_fd = -1;
static char input_path[64], export_path[64];
static int verbose;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_csv: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static int open_memfd(const char *name, char *path, size_t len)
{
    int fd = memfd_create(name, 0);
    if (fd < 0) die("memfd_create failed", NULL);
    snprintf(path, len, "/proc/self/fd/%d", fd);
    return fd;
}

/* Replaces the contents of fd with data[0..n). */
static void fill(int fd, const uint8_t *data, size_t n)
{
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) die("ftruncate failed", NULL);
    while (n > 0) {
        ssize_t w = write(fd, data, n);
        if (w <= 0) die("write failed", NULL);
        data += w;
        n -= (size_t)w;
    }
}

static void options_from_byte(uint8_t b, rb_import_options *opt)
{
    static const rb_csv_format formats[] = {RB_CSV_AUTO, RB_CSV_LONG, RB_CSV_WIDE, RB_CSV_OHLCV};
    rb_import_options_init(opt);
    opt->format = formats[b & 3];
    if (b & 4) opt->price = RB_PRICE_ADJCLOSE;
    if (b & 8) {
        opt->decimal = ',';
        opt->delimiter = ';';
    }
    if (b & 16) opt->symbol = "SYM";
    switch (b >> 5) {
    case 0: opt->date_format = "%d.%m.%Y"; break;
    case 1: opt->start = "2000-01-03", opt->every = RB_BARS_DAY; break;
    case 4: opt->date_format = "%s"; break;
    case 5: opt->date_format = "%Y%m%d %H%M"; break;
    case 6: opt->start = "2000-01-03", opt->every = RB_BARS_BUSINESS_DAY; break;
    case 7: opt->start = "2000-01-31", opt->every = RB_BARS_MONTH; break;
    default: break;
    }
}

static rb_store *open_store(void)
{
    rb_store *store = NULL;
    rb_error err = {0};
    if (rb_store_open(":memory:", 0, &store, &err) != RB_OK) die("cannot open an in-memory store", err.msg);
    return store;
}

/* Every stored bar, ordered by symbol and time: every field, or (closes) the closes only. */
static sqlite3_stmt *all_bars(rb_store *store, int closes)
{
    sqlite3_stmt *st = NULL;
    const char *sql = closes ? "SELECT a.symbol, b.ts, b.close FROM bars b JOIN assets a ON a.id = b.asset_id "
                               "ORDER BY a.symbol, b.ts"
                             : "SELECT a.symbol, b.ts, b.close, b.open, b.high, b.low, b.volume FROM bars b "
                               "JOIN assets a ON a.id = b.asset_id ORDER BY a.symbol, b.ts";
    if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
        die("cannot list the bars", sqlite3_errmsg(store->db));
    return st;
}

/* Column col of two rows holds the same value: the same type and the same bytes. */
static int same_column(sqlite3_stmt *a, sqlite3_stmt *b, int col)
{
    int type = sqlite3_column_type(a, col);
    if (type != sqlite3_column_type(b, col)) return 0;
    if (type == SQLITE_NULL) return 1;
    if (type == SQLITE_FLOAT) {
        double x = sqlite3_column_double(a, col), y = sqlite3_column_double(b, col);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    if (type == SQLITE_INTEGER) return sqlite3_column_int64(a, col) == sqlite3_column_int64(b, col);
    int n = sqlite3_column_bytes(a, col);
    return n == sqlite3_column_bytes(b, col) && memcmp(sqlite3_column_blob(a, col), sqlite3_column_blob(b, col), (size_t)n) == 0;
}

/* Aborts, naming the first difference, unless both stores hold the same bars (or closes). */
static void compare_stores(rb_store *imported, rb_store *reloaded, int closes, const char *how)
{
    sqlite3_stmt *a = all_bars(imported, closes), *b = all_bars(reloaded, closes);
    int ncol = sqlite3_column_count(a);
    char what[200];
    for (size_t row = 0;; row++) {
        int sa = sqlite3_step(a), sb = sqlite3_step(b);
        if (sa != sb) {
            snprintf(what, sizeof what, "the %s export reloaded %s bars", how, sa == SQLITE_ROW ? "lacks" : "has extra");
            die(what, NULL);
        }
        if (sa != SQLITE_ROW) break;
        for (int col = 0; col < ncol; col++)
            if (!same_column(a, b, col)) {
                snprintf(what, sizeof what, "bar %zu (%s at %lld), column %s differs after the %s export and reload",
                         row, (const char *)sqlite3_column_text(a, 0), (long long)sqlite3_column_int64(a, 1),
                         sqlite3_column_name(a, col), how);
                die(what, NULL);
            }
    }
    sqlite3_finalize(a);
    sqlite3_finalize(b);
}

/* 1 when some symbol is named like the importer's date column: a wide export refuses it. */
static int holds_date_named_symbol(rb_store *store)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT count(*) FROM assets WHERE lower(symbol) IN ('date', 'time', 'timestamp', 'datetime')",
                           -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        die("cannot list the symbols", sqlite3_errmsg(store->db));
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n > 0;
}

/* Exports store into export_fd, imports that into a new store and compares. */
static void check_export(rb_store *store, rb_export_format format)
{
    const char *how = format == RB_EXPORT_LONG ? "long" : "wide";
    if (ftruncate(export_fd, 0) != 0) die("ftruncate failed", NULL);
    FILE *f = fopen(export_path, "w");
    if (!f) die("cannot open the export memfd", NULL);
    rb_error err = {0};
    rb_status rc = rb_export_csv(store, NULL, 0, format, f, &err);
    if (fclose(f) != 0) die("writing the export failed", NULL);
    if (rc != RB_OK && format == RB_EXPORT_WIDE && holds_date_named_symbol(store) && !strchr(err.msg, '\n'))
        return; /* documented: a wide file cannot name a symbol "date" (rebal help export) */
    if (rc != RB_OK) die("export failed", err.msg);

    rb_store *again = open_store();
    rb_import_options opt;
    rb_import_options_init(&opt);
    if (format == RB_EXPORT_WIDE) opt.format = RB_CSV_WIDE;
    const char *paths[] = {export_path};
    if (rb_import_files(again, paths, 1, &opt, NULL, &err) != RB_OK) {
        char what[64];
        snprintf(what, sizeof what, "the %s export does not import again", how);
        die(what, err.msg);
    }
    compare_stores(store, again, format == RB_EXPORT_WIDE, how);
    rb_store_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    if (input_fd < 0) {
        verbose = getenv("FUZZ_VERBOSE") != NULL;
        input_fd = open_memfd("fuzz_csv_input", input_path, sizeof input_path);
        export_fd = open_memfd("fuzz_csv_export", export_path, sizeof export_path);
    }
    rb_import_options opt;
    options_from_byte(data[0], &opt);
    fill(input_fd, data + 1, size - 1);

    rb_store *store = open_store();
    rb_error err = {0};
    const char *paths[] = {input_path};
    rb_import_stats stats = {0};
    rb_status rc = rb_import_files(store, paths, 1, &opt, &stats, &err);
    if (verbose) fprintf(stderr, "fuzz_csv: %s\n", rc == RB_OK ? "imported" : err.msg);
    if (rc == RB_OK) {
        if (verbose) fprintf(stderr, "fuzz_csv: %zu rows, %zu bars, %zu assets\n", stats.rows, stats.bars_added, stats.assets_added);
        if (stats.assets_added > 0) { /* a wide file of empty cells imports nothing */
            check_export(store, RB_EXPORT_LONG);
            check_export(store, RB_EXPORT_WIDE);
        }
    } else if (!err.msg[0] || strchr(err.msg, '\n')) {
        die("a refused import must say why in one line", err.msg);
    }
    rb_store_free(store);
    return 0;
}
