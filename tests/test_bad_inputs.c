/* test_bad_inputs.c - the catalogue of bad inputs: CSV files, sweep files, options and stores
 * that rebal must refuse, one table row each. A row names the files it writes, the command,
 * the exit code, the key words of the one-line message, and whether the stores may change.
 * Every store in the folder (the price store s.db and, where the row asks for one, the
 * results store r.db) is checksummed before and after: a refused command leaves each as it
 * was, byte for byte in its content, and creates none that was not there.
 *
 * Generated inputs (too big to write out) are named "@NAME" and built by generate(). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"

/* What the folder holds before the command: the bundled stocks in s.db, also a results store
 * r.db of a small sweep, nothing, or s.db holding prices imported with --allow-extreme-prices. */
enum prep { PREP_STORE, PREP_RESULTS, PREP_NONE, PREP_EXTREME };

typedef struct bad_case {
    const char *name;
    enum prep prep;
    const char *files[6];  /* name, content, name, content, ...; content "@NAME" is generated */
    const char *argv[16];  /* without "rebal" */
    int exit;              /* expected exit code */
    const char *words[4];  /* key words the message must hold, all of them */
} bad_case;

#define F(...) {__VA_ARGS__}
#define A(...) {__VA_ARGS__}
#define W(...) {__VA_ARGS__}

/* A store of two assets, and a sweep file over them that is good. */
#define GOOD_HEAD "[data]\nassets = AAPL=0.5, MSFT=0.5\n"

static const bad_case cases[] = {
    /* ------------------------------------------------------------ CSV files (import) */
    {"csv_ohlcv_without_symbol", PREP_STORE, F("c.csv", "date,close\n2020-01-01,1\n"), A("import", "--db", "s.db", "c.csv"), 1,
     W("c.csv", "needs --symbol")},
    {"csv_price_not_a_number", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-01-01,abc\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "column close", "not a number", "'abc'")},
    {"csv_month_13", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-13-01,1\n"), A("import", "--db", "s.db", "c.csv"), 1,
     W("c.csv:2", "column date", "month 13 out of range")},
    {"csv_february_30", PREP_STORE, F("c.csv", "symbol,date,close\nX,2021-02-30,1\n"), A("import", "--db", "s.db", "c.csv"),
     1, W("c.csv:2", "day 30 out of range")},
    {"csv_hour_25", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-01-01T25:00:00Z,1\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "hour 25 out of range")},
    {"csv_negative_price", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-01-01,-1\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "price must be positive", "'-1'")},
    {"csv_zero_price", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-01-01,0\n"), A("import", "--db", "s.db", "c.csv"),
     1, W("c.csv:2", "price must be positive")},
    {"csv_nan_price", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-01-01,nan\n"), A("import", "--db", "s.db", "c.csv"),
     1, W("c.csv:2", "not a finite number", "'nan'")},
    {"csv_infinite_price", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-01-01,inf\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "not a finite number")},
    {"csv_overflowing_exponent", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-01-01,1e400\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "column close")},
    {"csv_same_bar_twice", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-01-01,1\nX,2020-01-01,2\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:3", "appears twice", "first at c.csv:2")},
    {"csv_unknown_column", PREP_STORE, F("c.csv", "symbol,date,close,foo\nX,2020-01-01,1,2\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:1", "unknown column 'foo'")},
    {"csv_empty_file", PREP_STORE, F("c.csv", ""), A("import", "--db", "s.db", "c.csv"), 1, W("c.csv", "empty file")},
    {"csv_header_only", PREP_STORE, F("c.csv", "symbol,date,close\n"), A("import", "--db", "s.db", "c.csv"), 1,
     W("c.csv", "no data rows")},
    {"csv_unclosed_quote", PREP_STORE, F("c.csv", "symbol,date,close\n\"X,2020-01-01,1\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "quoted field is never closed")},
    {"csv_short_row", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-01-01\n"), A("import", "--db", "s.db", "c.csv"), 1,
     W("c.csv:2", "expected 3 fields, found 2")},
    {"csv_long_row", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-01-01,1,7\n"), A("import", "--db", "s.db", "c.csv"),
     1, W("c.csv:2", "expected 3 fields, found 4")},
    {"csv_control_byte_in_symbol", PREP_STORE, F("c.csv", "symbol,date,close\n\001X,2020-01-01,1\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "control character", "\\x01X")},
    {"csv_empty_symbol", PREP_STORE, F("c.csv", "symbol,date,close\n,2020-01-01,1\n"), A("import", "--db", "s.db", "c.csv"),
     1, W("c.csv:2", "empty symbol")},
    {"csv_high_below_low", PREP_STORE, F("c.csv", "symbol,date,open,high,low,close\nX,2020-01-01,1,0.5,2,1\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "column high", "below low")},
    {"csv_negative_volume", PREP_STORE, F("c.csv", "symbol,date,close,volume\nX,2020-01-01,1,-5\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "volume must not be negative")},
    {"csv_missing_file", PREP_STORE, F(NULL), A("import", "--db", "s.db", "nothere.csv"), 1,
     W("nothere.csv", "cannot open", "No such file")},
    {"csv_bad_last_row_of_many", PREP_STORE, F("c.csv", "@many_rows_bad_last"), A("import", "--db", "s.db", "c.csv"), 1,
     W("c.csv:5002", "not a number")},
    {"csv_changes_a_stored_bar", PREP_STORE, F("c.csv", "symbol,date,close\nMSFT,2000-01-01,999\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "differs from the stored 39.81", "--replace")},
    {"csv_first_import_bad_leaves_no_store", PREP_NONE, F("c.csv", "symbol,date,close\nX,2020-01-01,1\nX,2020-01-02,x\n"),
     A("import", "--db", "new.db", "c.csv"), 1, W("c.csv:3", "not a number")},
    {"csv_year_999_after_utc", PREP_STORE, F("c.csv", "symbol,date,close\nX,1000-01-01T00:00:00+14:00,1\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "column date")},
    {"csv_year_10000", PREP_STORE, F("c.csv", "symbol,date,close\nX,10000-01-01,1\n"), A("import", "--db", "s.db", "c.csv"),
     1, W("c.csv:2", "column date")},
    {"csv_directory_as_file", PREP_STORE, F(NULL), A("import", "--db", "s.db", "."), 1, W("Is a directory")},
    {"csv_binary_garbage", PREP_STORE, F("c.csv", "\x7f" "ELF\x02\x01\x01"), A("import", "--db", "s.db", "c.csv"), 1,
     W("c.csv")},

    /* Issue 14: prices whose products overflow (defect 2), symbol bytes a terminal would act
     * on (defect 10), and a header too long to hold (defect 5). */
    {"csv_price_near_double_max", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-01-01,1.7e308\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "column close", "outside 1e-12 to 1e12", "--allow-extreme-prices")},
    {"csv_price_subnormal", PREP_STORE, F("c.csv", "symbol,date,close\nX,2020-01-01,4.9e-324\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "'4.9e-324' is outside 1e-12 to 1e12")},
    {"csv_open_price_too_small", PREP_STORE, F("c.csv", "symbol,date,open,close\nX,2020-01-01,1e-13,1\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "column open", "outside 1e-12 to 1e12")},
    {"run_overflowing_prices_fail_at_run_time", PREP_EXTREME, F(NULL),
     A("run", "--db", "s.db", "--assets", "X=0.5,Y=0.5", "--strategy", "calendar", "--every", "day"), 1,
     W("portfolio value at bar 1 (2020-01-02) is inf", "overflowed")},
    {"csv_c1_control_in_symbol", PREP_STORE, F("c.csv", "symbol,date,close\nA\xc2\x9b,2020-01-01,1\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "control character (U+009B", "'A\\xc2\\x9b'")},
    {"csv_symbol_not_utf8", PREP_STORE, F("c.csv", "symbol,date,close\nA\x9b,2020-01-01,1\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:2", "not valid UTF-8", "'A\\x9b'")},
    {"csv_wide_header_not_utf8", PREP_STORE, F("c.csv", "date,OK,B\xff\n2020-01-01,1,2\n"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:1", "not valid UTF-8", "\\xff")},
    {"csv_long_header_with_an_unknown_column", PREP_STORE, F("c.csv", "@long_header"),
     A("import", "--db", "s.db", "c.csv"), 1, W("c.csv:1", "unknown column 'x'")},

    /* ------------------------------------------------------------ sweep files */
    {"ini_band_out_of_range", PREP_STORE, F("s.ini", GOOD_HEAD "[threshold]\nband = 0.05, 1.5\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2,
     W("s.ini:4", "[threshold] band", "1.5 is out of range")},
    {"ini_period_unknown", PREP_STORE, F("s.ini", GOOD_HEAD "[calendar]\nevery = month, fortnight\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2,
     W("s.ini:4", "[calendar] every", "'fortnight' is not a period")},
    {"ini_unknown_section", PREP_STORE, F("s.ini", GOOD_HEAD "[nosuch]\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2, W("s.ini:3", "[nosuch]", "unknown section")},
    {"ini_misspelt_key", PREP_STORE, F("s.ini", GOOD_HEAD "[threshold]\nbandd = 0.1\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2,
     W("s.ini:4", "bandd", "did you mean band")},
    {"ini_rule_without_its_setting", PREP_STORE, F("s.ini", GOOD_HEAD "[threshold]\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2, W("s.ini:3", "threshold needs --band")},
    {"ini_weights_do_not_sum_to_one", PREP_STORE, F("s.ini", "[data]\nassets = AAPL=0.7, MSFT=0.5\n[buy-and-hold]\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2, W("s.ini:2", "sum to 1.2")},
    {"ini_unknown_symbol", PREP_STORE, F("s.ini", "[data]\nassets = AAPL=0.5, ZZZ=0.5\n[buy-and-hold]\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "s.ini"), 1, W("unknown symbol 'ZZZ'")},
    {"ini_not_key_value", PREP_STORE, F("s.ini", "garbage line\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2,
     W("s.ini:1", "expected 'key = value'")},
    {"ini_range_leads_away", PREP_STORE, F("s.ini", GOOD_HEAD "[threshold]\nband = 0.1:0.01:0.02\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2, W("s.ini:4", "leads away from the stop")},
    {"ini_no_strategy", PREP_STORE, F("s.ini", GOOD_HEAD),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2, W("s.ini", "no strategy section")},
    {"ini_negative_fee", PREP_STORE, F("s.ini", GOOD_HEAD "[costs]\nfee-bps = -1\n[buy-and-hold]\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2, W("s.ini:4", "fee-bps", "out of range")},
    {"ini_key_twice", PREP_STORE, F("s.ini", GOOD_HEAD "[threshold]\nband = 0.1\nband = 0.2\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2, W("s.ini:5", "given twice", "line 4")},
    {"ini_missing_file", PREP_STORE, F(NULL), A("sweep", "--db", "s.db", "--results", "r.db", "nothere.ini"), 1,
     W("nothere.ini", "No such file")},
    {"ini_data_after_the_store", PREP_STORE, F("s.ini", GOOD_HEAD "start = 2030-01-01\n[buy-and-hold]\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "s.ini"), 1, W("2030-01-01")},
    {"ini_into_a_price_store", PREP_STORE, F("s.ini", GOOD_HEAD "[buy-and-hold]\n"),
     A("sweep", "--db", "s.db", "--results", "s.db", "s.ini"), 1, W("s.db", "price store")},
    {"ini_into_a_foreign_file", PREP_STORE, F("s.ini", GOOD_HEAD "[buy-and-hold]\n", "junk.db", "not sqlite at all"),
     A("sweep", "--db", "s.db", "--results", "junk.db", "s.ini"), 1, W("junk.db", "not a SQLite database")},

    /* Sweep files bounded before anything is expanded (issue 14, defect 4): refused at once. */
    {"ini_ten_million_values_in_one_range", PREP_STORE,
     F("s.ini", GOOD_HEAD "[buy-and-hold]\n[flows]\ncontribution = 6:10000000:1\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2,
     W("s.ini:5", "[flows] contribution", "9999995 values", "more than the 100000")},
    {"ini_configurations_past_the_limit", PREP_STORE,
     F("s.ini", GOOD_HEAD "[costs]\nfee-bps = 0:10000:0.001\n[threshold]\nband = 0.0000001:1:0.0000001\n"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2,
     W("s.ini:5", "configurations, more than the 1000000000 a sweep may hold")},
    {"ini_huge_count_written_readably", PREP_STORE, F("s.ini", "@huge_product_sweep"),
     A("sweep", "--db", "s.db", "--results", "r.db", "--dry-run", "s.ini"), 2, W("about ", "e+", "configurations")},

    /* ------------------------------------------------------------ options */
    {"opt_unknown_command", PREP_STORE, F(NULL), A("frobnicate"), 2, W("unknown command 'frobnicate'")},
    {"opt_unknown_option", PREP_STORE, F(NULL), A("run", "--db", "s.db", "--assets", "AAPL=1", "--unknown-opt"), 2,
     W("rebal run", "unknown option '--unknown-opt'")},
    {"opt_import_without_file", PREP_STORE, F(NULL), A("import"), 2, W("no CSV file given")},
    {"opt_unknown_strategy", PREP_STORE, F(NULL), A("run", "--db", "s.db", "--assets", "AAPL=1", "--strategy", "nosuch"),
     2, W("--strategy", "unknown strategy 'nosuch'")},
    {"opt_band_out_of_range", PREP_STORE, F(NULL),
     A("run", "--db", "s.db", "--assets", "AAPL=0.5,MSFT=0.5", "--strategy", "threshold", "--band", "2"), 2,
     W("--band", "2 is out of range")},
    {"opt_weights_sum", PREP_STORE, F(NULL), A("run", "--db", "s.db", "--assets", "AAPL=0.5,MSFT=0.6"), 2,
     W("--assets", "sum to 1.1")},
    {"opt_fee_not_a_number", PREP_STORE, F(NULL), A("run", "--db", "s.db", "--assets", "AAPL=1", "--fee-bps", "abc"), 2,
     W("--fee-bps", "'abc' is not a number")},
    {"opt_impossible_date", PREP_STORE, F(NULL), A("run", "--db", "s.db", "--assets", "AAPL=1", "--start", "2020-02-30"), 2,
     W("--start", "day 30 out of range")},
    {"opt_start_after_end", PREP_STORE, F(NULL),
     A("run", "--db", "s.db", "--assets", "AAPL=1", "--start", "2009-01-01", "--end", "2001-01-01"), 2,
     W("--start 2009-01-01 is after --end 2001-01-01")},
    {"opt_assets_missing", PREP_STORE, F(NULL), A("run", "--db", "s.db"), 2, W("--assets is required")},
    {"opt_symbol_case", PREP_STORE, F(NULL), A("run", "--db", "s.db", "--assets", "aapl=1"), 1,
     W("unknown symbol 'aapl'", "did you mean AAPL")},
    {"opt_top_zero", PREP_RESULTS, F(NULL), A("report", "r.db", "--db", "s.db", "--out", "rep", "--top", "0"), 2,
     W("--top", "0 is out of range")},
    {"opt_unknown_metric", PREP_RESULTS, F(NULL), A("report", "r.db", "--db", "s.db", "--out", "rep", "--by", "nosuch"), 2,
     W("--by", "'nosuch' is not a metric")},
    {"opt_report_without_out", PREP_RESULTS, F(NULL), A("report", "r.db", "--db", "s.db"), 2, W("missing --out DIR")},
    {"opt_export_format", PREP_STORE, F(NULL), A("export", "--db", "s.db", "--format", "tall"), 2,
     W("--format", "unknown format 'tall'")},
    {"opt_export_unknown_symbol", PREP_STORE, F(NULL), A("export", "--db", "s.db", "--symbols", "ZZZ"), 1,
     W("unknown symbol 'ZZZ'")},
    {"opt_synth_days", PREP_STORE, F(NULL), A("synth", "--days", "-5"), 2, W("--days", "-5 is out of range")},
    {"opt_synth_preset", PREP_STORE, F(NULL), A("synth", "--preset", "nope"), 2, W("unknown preset", "nope")},
    {"opt_cash_rate_not_a_number", PREP_STORE, F(NULL),
     A("run", "--db", "s.db", "--assets", "AAPL=1", "--cash-rate", "abc"), 2, W("--cash-rate", "'abc' is not a number")},
    {"opt_where_unknown_column", PREP_RESULTS, F(NULL), A("runs", "r.db", "--where", "nosuch>1"), 2, W("nosuch")},

    /* ------------------------------------------------------------ stores */
    {"store_missing_for_run", PREP_STORE, F(NULL), A("run", "--db", "nostore.db", "--assets", "AAPL=1"), 1,
     W("nostore.db", "no such price store", "rebal import")},
    {"store_missing_for_assets", PREP_STORE, F(NULL), A("assets", "--db", "nostore.db"), 1,
     W("nostore.db", "no such price store")},
    {"store_not_sqlite", PREP_STORE, F("junk.db", "hello, not a database"), A("assets", "--db", "junk.db"), 1,
     W("junk.db", "not a SQLite database", "refusing to touch it")},
    {"store_import_into_not_sqlite", PREP_STORE, F("junk.db", "hello, not a database", "c.csv", "symbol,date,close\nX,2020-01-01,1\n"),
     A("import", "--db", "junk.db", "c.csv"), 1, W("junk.db", "not a SQLite database")},
    {"store_price_store_as_results", PREP_STORE, F(NULL), A("runs", "s.db"), 1,
     W("s.db", "a rebal price store, not a results store")},
    {"store_results_as_price_store", PREP_RESULTS, F(NULL), A("assets", "--db", "r.db"), 1, W("r.db", "results store")},
    {"store_missing_results", PREP_STORE, F(NULL), A("runs", "nothere.db"), 1, W("nothere.db", "no such results store")},
    {"store_report_of_missing_results", PREP_STORE, F(NULL), A("report", "nothere.db", "--db", "s.db", "--out", "rep"), 1,
     W("nothere.db")},
};

#define NCASES (sizeof cases / sizeof cases[0])

/* ---------------------------------------------------------------- generated inputs */

/* 5,000 good rows, then one whose price is not a number (line 5002). */
static char *many_rows_bad_last(size_t *len)
{
    size_t cap = 64 + 5001 * 40, o = 0;
    char *s = malloc(cap);
    cr_assert_not_null(s);
    o += (size_t)snprintf(s + o, cap - o, "symbol,date,close\n");
    for (int i = 0; i < 5000; i++)
        o += (size_t)snprintf(s + o, cap - o, "Y,%04d-%02d-%02d,%d.5\n", 1980 + i / 336, 1 + (i / 28) % 12, 1 + i % 28,
                              10 + i % 7);
    o += (size_t)snprintf(s + o, cap - o, "Y,2099-01-01,bad\n");
    *len = o;
    return s;
}

static void write_input(const char *dir, const char *name, const char *content)
{
    char *path = rbt_path(dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    if (strcmp(content, "@long_header") == 0) {
        /* A long file's header followed by 300,000 unknown cells (2 MB): refused at the first. */
        fputs("symbol,date,price", f);
        for (int i = 0; i < 300000; i++) fputs(",x", f);
        fputs("\nX,2020-01-01,1\n", f);
    } else if (strcmp(content, "@huge_product_sweep") == 0) {
        /* Four keys of 10,000 values each: 10^16 configurations, each range within limits
         * by itself but not together. */
        fputs(GOOD_HEAD "[costs]\nfee-bps = 1:10000:1\nslippage-bps = 1:10000:1\n[threshold]\n", f);
        fputs("band = 0.0001:1:0.0001\ncooldown = 1:10000:1\n", f);
    } else if (strcmp(content, "@many_rows_bad_last") == 0) {
        size_t len;
        char *s = many_rows_bad_last(&len);
        fwrite(s, 1, len, f);
        free(s);
    } else {
        cr_assert_neq(content[0], '@', "unknown generated input %s", content);
        fputs(content, f);
    }
    cr_assert_eq(fclose(f), 0);
    free(path);
}

/* ---------------------------------------------------------------- store checksums */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* A checksum of every row of every table of the SQLite file at path (but the bar cache,
 * which a reading command may fill), 0 when the file does not exist, 1 when it is not a
 * database SQLite can read (then its bytes are what must not change: see file_sum). */
static uint64_t content_sum(const char *path)
{
    if (access(path, F_OK) != 0) return 0;
    sqlite3 *db = NULL;
    uint64_t h = 14695981039346656037ULL;
    char uri[4200];
    snprintf(uri, sizeof uri, "file:%s?mode=ro", path);
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return 1;
    }
    sqlite3_stmt *tables;
    if (sqlite3_prepare_v2(db, "select name from sqlite_master where type = 'table' and name <> 'bar_cache' order by name",
                           -1, &tables, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return 1;
    }
    while (sqlite3_step(tables) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(tables, 0);
        h = fnv(h, t, strlen(t) + 1);
        char sql[512];
        snprintf(sql, sizeof sql, "select * from \"%s\" order by 1, 2", t);
        sqlite3_stmt *rows;
        cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &rows, NULL), SQLITE_OK, "%s: %s", path, sqlite3_errmsg(db));
        while (sqlite3_step(rows) == SQLITE_ROW)
            for (int c = 0; c < sqlite3_column_count(rows); c++) {
                const void *v = sqlite3_column_blob(rows, c);
                int n = sqlite3_column_bytes(rows, c);
                int type = sqlite3_column_type(rows, c);
                h = fnv(h, &type, sizeof type);
                if (v) h = fnv(h, v, (size_t)n);
            }
        sqlite3_finalize(rows);
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
    return h;
}

static uint64_t file_sum(const char *path)
{
    size_t len = 0;
    char *s = rbt_read_file(path, &len);
    if (!s) return 0;
    uint64_t h = fnv(14695981039346656037ULL, s, len);
    free(s);
    return h;
}

#define NSTORES 3
static const char *const stores[NSTORES] = {"s.db", "r.db", "new.db"};

typedef struct sums {
    uint64_t content[NSTORES], bytes[NSTORES];
} sums;

static sums take_sums(const char *dir)
{
    sums s;
    for (size_t i = 0; i < NSTORES; i++) {
        char *p = rbt_path(dir, stores[i]);
        s.content[i] = content_sum(p);
        s.bytes[i] = file_sum(p);
        free(p);
    }
    return s;
}

/* ---------------------------------------------------------------- the cases */

static void prepare(const char *dir, enum prep prep)
{
    if (prep == PREP_NONE) return;
    if (prep == PREP_EXTREME) {
        /* X swings between 1e-300 and 1e300: a daily rebalance's value overflows at bar 1. */
        free(rbt_write_file(dir, "x.csv", "symbol,date,close\nX,2020-01-01,1e-300\nX,2020-01-02,1e300\n"
                                          "X,2020-01-03,1e-300\nY,2020-01-01,1\nY,2020-01-02,1\nY,2020-01-03,1\n"));
        rbt_run_result r = rbt_run(dir, NULL,
                                   (const char *const[]){"import", "-q", "--db", "s.db", "--allow-extreme-prices", "x.csv", NULL});
        cr_assert_eq(r.status, 0, "preparing s.db: %s", r.err);
        rbt_run_result_free(&r);
        return;
    }
    char *stocks = rbt_source_path("data/bundled/stocks_monthly.csv");
    rbt_run_result r = rbt_run(dir, NULL, (const char *const[]){"import", "-q", "--db", "s.db", stocks, NULL});
    cr_assert_eq(r.status, 0, "preparing s.db: %s", r.err);
    rbt_run_result_free(&r);
    free(stocks);
    if (prep != PREP_RESULTS) return;
    free(rbt_write_file(dir, "good.ini", GOOD_HEAD "[costs]\nfee-bps = 0, 10\n[threshold]\nband = 0.05, 0.1\n"));
    r = rbt_run(dir, NULL, (const char *const[]){"sweep", "-q", "--db", "s.db", "--results", "r.db", "good.ini", NULL});
    cr_assert_eq(r.status, 0, "preparing r.db: %s", r.err);
    rbt_run_result_free(&r);
}

static void check_case(const bad_case *c)
{
    char *dir = rbt_tempdir();
    prepare(dir, c->prep);
    for (size_t i = 0; i + 1 < sizeof c->files / sizeof c->files[0] && c->files[i]; i += 2)
        write_input(dir, c->files[i], c->files[i + 1]);
    sums before = take_sums(dir);

    rbt_run_result r = rbt_run(dir, NULL, c->argv);
    cr_assert_eq(r.status, c->exit, "%s: exit %d, expected %d; stderr: %s", c->name, r.status, c->exit, r.err);
    size_t len = strlen(r.err);
    cr_assert_gt(len, 0, "%s: no message", c->name);
    cr_assert_eq(strncmp(r.err, "rebal", 5), 0, "%s: message does not start with 'rebal': %s", c->name, r.err);
    cr_assert_null(memchr(r.err, '\n', len - 1), "%s: the message is not one line: %s", c->name, r.err);
    for (size_t w = 0; w < sizeof c->words / sizeof c->words[0] && c->words[w]; w++)
        cr_assert_not_null(strstr(r.err, c->words[w]), "%s: the message lacks '%s': %s", c->name, c->words[w], r.err);

    sums after = take_sums(dir);
    for (size_t i = 0; i < NSTORES; i++) {
        cr_assert_eq(after.content[i], before.content[i], "%s: %s changed (or appeared, or vanished)", c->name,
                     stores[i]);
        /* A file SQLite cannot read must not be touched at all. */
        if (before.content[i] == 1)
            cr_assert_eq(after.bytes[i], before.bytes[i], "%s: the bytes of %s changed", c->name, stores[i]);
    }
    rbt_run_result_free(&r);
    rbt_rmtree(dir);
    free(dir);
}

ParameterizedTestParameters(bad_inputs, refused)
{
    static size_t index[NCASES];
    for (size_t i = 0; i < NCASES; i++) index[i] = i;
    return cr_make_param_array(size_t, index, NCASES);
}

ParameterizedTest(size_t *i, bad_inputs, refused, .timeout = 120) { check_case(&cases[*i]); }

Test(bad_inputs, catalogue_is_at_least_sixty_cases_with_unique_names)
{
    cr_assert_geq(NCASES, 60);
    for (size_t i = 0; i < NCASES; i++)
        for (size_t j = i + 1; j < NCASES; j++)
            cr_assert_str_neq(cases[i].name, cases[j].name, "two cases named %s", cases[i].name);
}
