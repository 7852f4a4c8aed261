/* fuzz_csv.c - libFuzzer target: a whole input imported as one CSV file into an in-memory
 * store; when the import succeeds, the store is exported (long format) and the export
 * imported into a second in-memory store, which must hold exactly the same bars (every
 * field, bit for bit). Aborts when the export does not import or the bars differ.
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

/* Every stored bar, ordered by symbol and time. */
static sqlite3_stmt *all_bars(rb_store *store)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT a.symbol, b.ts, b.open, b.high, b.low, b.close, b.volume FROM bars b "
                           "JOIN assets a ON a.id = b.asset_id ORDER BY a.symbol, b.ts",
                           -1, &st, NULL) != SQLITE_OK)
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

/* Aborts, naming the first difference, unless both stores hold the same bars. */
static void compare_stores(rb_store *imported, rb_store *reloaded)
{
    sqlite3_stmt *a = all_bars(imported), *b = all_bars(reloaded);
    for (size_t row = 0;; row++) {
        int sa = sqlite3_step(a), sb = sqlite3_step(b);
        if (sa != sb) die(sa == SQLITE_ROW ? "the reloaded store lacks bars" : "the reloaded store has extra bars", NULL);
        if (sa != SQLITE_ROW) break;
        for (int col = 0; col < 7; col++)
            if (!same_column(a, b, col)) {
                char what[160];
                snprintf(what, sizeof what, "bar %zu (%s at %lld), column %d differs after export and reload", row,
                         (const char *)sqlite3_column_text(a, 0), (long long)sqlite3_column_int64(a, 1), col);
                die(what, NULL);
            }
    }
    sqlite3_finalize(a);
    sqlite3_finalize(b);
}

/* Exports store (long format) into export_fd. */
static void export_store(rb_store *store)
{
    if (ftruncate(export_fd, 0) != 0) die("ftruncate failed", NULL);
    FILE *f = fopen(export_path, "w");
    if (!f) die("cannot open the export memfd", NULL);
    rb_error err = {0};
    if (rb_export_csv(store, NULL, 0, RB_EXPORT_LONG, f, &err) != RB_OK) die("export failed", err.msg);
    if (fclose(f) != 0) die("writing the export failed", NULL);
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
        export_store(store);
        rb_store *again = open_store();
        rb_import_options plain;
        rb_import_options_init(&plain);
        const char *export_paths[] = {export_path};
        if (rb_import_files(again, export_paths, 1, &plain, NULL, &err) != RB_OK)
            die("the export does not import again", err.msg);
        compare_stores(store, again);
        rb_store_free(again);
    } else if (!err.msg[0] || strchr(err.msg, '\n')) {
        die("a refused import must say why in one line", err.msg);
    }
    rb_store_free(store);
    return 0;
}
