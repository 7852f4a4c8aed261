/* test_import_hostile.c - import against hostile or unlucky input (issue 14): prices whose
 * products would overflow a run (refused outside 1e-12..1e12 unless allow_extreme_prices),
 * headers of millions of cells (checked as they arrive, capped at RB_IMPORT_MAX_COLUMNS), and
 * symbols a terminal would act on (bytes that are not UTF-8, C0/DEL/C1 control characters),
 * refused with messages that escape them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "rebal.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(import_hostile, .init = setup, .fini = teardown, .timeout = 300);

/* Imports the file at path into a fresh in-memory store; the status, the message in *err. */
static rb_status import_path(const char *path, const rb_import_options *opt, rb_error *err)
{
    rb_store *s = NULL;
    cr_assert_eq(rb_store_open(":memory:", 0, &s, err), RB_OK, "%s", err->msg);
    rb_import_stats st;
    rb_status rc = rb_import_files(s, (const char *const[]){path}, 1, opt, &st, err);
    rb_store_free(s);
    return rc;
}

/* Imports text (as in.csv); the status, the message in *err. */
static rb_status import_text(const char *text, const rb_import_options *opt, rb_error *err)
{
    char *path = rbt_write_file(dir, "in.csv", text);
    rb_status rc = import_path(path, opt, err);
    free(path);
    return rc;
}

/* text must be refused with code and the one-line message "DIR/in.csv" + want. */
static void refused(const char *text, const rb_import_options *opt, rb_status code, const char *want)
{
    rb_error err = {0};
    rb_status rc = import_text(text, opt, &err);
    cr_assert_eq(rc, code, "status %d (wanted %d): %s", rc, code, err.msg);
    char expected[2048];
    snprintf(expected, sizeof expected, "%s/in.csv%s", dir, want);
    cr_assert_str_eq(err.msg, expected);
}

static void accepted(const char *text, const rb_import_options *opt)
{
    rb_error err = {0};
    cr_assert_eq(import_text(text, opt, &err), RB_OK, "%s", err.msg);
}

static rb_import_options extreme_allowed(void)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.allow_extreme_prices = 1;
    return opt;
}

/* ---------------------------------------------------------------- prices that overflow */

Test(import_hostile, prices_outside_the_range_are_refused_naming_file_line_column_and_value)
{
    refused("symbol,date,price\nA,2020-01-01,1\nA,2020-01-02,1.7e308\n", NULL, RB_ERR_DATA,
            ":3: column price: price '1.7e308' is outside 1e-12 to 1e12, the range in which the arithmetic of a "
            "run cannot overflow (--allow-extreme-prices accepts it)");
    refused("symbol,date,price\nA,2020-01-01,4.9e-324\n", NULL, RB_ERR_DATA,
            ":2: column price: price '4.9e-324' is outside 1e-12 to 1e12, the range in which the arithmetic of a "
            "run cannot overflow (--allow-extreme-prices accepts it)");
    /* Every price column: open, high, low, adjclose, and a wide file's closes. */
    refused("date,open,high,low,close\n2020-01-01,1e13,1e13,1,2\n", &(rb_import_options){.symbol = "A"},
            RB_ERR_DATA,
            ":2: column open: price '1e13' is outside 1e-12 to 1e12, the range in which the arithmetic of a run "
            "cannot overflow (--allow-extreme-prices accepts it)");
    refused("date,A,B\n2020-01-01,1,0.0000000000001\n", NULL, RB_ERR_DATA,
            ":2: column B: price '0.0000000000001' is outside 1e-12 to 1e12, the range in which the arithmetic of "
            "a run cannot overflow (--allow-extreme-prices accepts it)");
    /* adjclose / close scales open, high and low: they must land in the range too. */
    refused("date,open,high,low,close,adjclose\n2020-01-01,1e11,1e11,1e11,1e-1,1e1\n",
            &(rb_import_options){.symbol = "A", .price = RB_PRICE_ADJCLOSE}, RB_ERR_DATA,
            ":2: column open: scaled by adjclose/close, the price becomes 10000000000000, outside 1e-12 to 1e12 "
            "(--allow-extreme-prices accepts it)");
}

Test(import_hostile, the_range_ends_are_prices_and_allow_extreme_prices_takes_any_positive_price)
{
    accepted("symbol,date,price\nA,2020-01-01,1e-12\nA,2020-01-02,1e12\n", NULL);
    rb_import_options opt = extreme_allowed();
    accepted("symbol,date,price\nA,2020-01-01,4.9e-324\nA,2020-01-02,1.7e308\n", &opt);
    /* Still positive and finite. */
    refused("symbol,date,price\nA,2020-01-01,0\n", &opt, RB_ERR_DATA, ":2: column price: price must be positive: '0'");
    refused("symbol,date,price\nA,2020-01-01,1e309\n", &opt, RB_ERR_DATA,
            ":2: column price: not a finite number: '1e309'");
    /* Volumes are not prices: a volume's only arithmetic is window sums and units / ADV. */
    accepted("date,close,volume\n2020-01-01,1,1e20\n", &(rb_import_options){.symbol = "A"});
}

Test(import_hostile, the_cli_takes_allow_extreme_prices_and_documents_the_range)
{
    char *csv = rbt_write_file(dir, "x.csv", "symbol,date,price\nA,2020-01-01,1\nA,2020-01-02,1e200\n");
    rbt_run_result r = rbt_run(dir, NULL, (const char *const[]){"import", "--db", "x.db", "x.csv", NULL});
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.err, "x.csv:3: column price: price '1e200' is outside 1e-12 to 1e12"), "%s", r.err);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, (const char *const[]){"import", "--db", "x.db", "--allow-extreme-prices", "x.csv", NULL});
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, (const char *const[]){"import", "--help", NULL});
    cr_assert_not_null(strstr(r.out, "--allow-extreme-prices"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "1e-12 to 1e12"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "2097152 columns"), "%s", r.out);
    rbt_run_result_free(&r);
    free(csv);
}

/* ---------------------------------------------------------------- headers of millions of cells */

/* A file whose header is head followed by n copies of cell (each after a ','), then row. */
static char *wide_header_file(const char *name, const char *head, const char *cell, size_t n, const char *row)
{
    size_t hl = strlen(head), cl = strlen(cell), rl = strlen(row);
    char *text = malloc(hl + n * (cl + 1) + 1 + rl + 1);
    cr_assert_not_null(text);
    char *o = text;
    memcpy(o, head, hl), o += hl;
    for (size_t i = 0; i < n; i++) *o++ = ',', memcpy(o, cell, cl), o += cl;
    *o++ = '\n';
    memcpy(o, row, rl + 1);
    char *path = rbt_write_file(dir, name, text);
    free(text);
    return path;
}

/* The header of a long file fails at its first unknown column, without holding (allocating
 * for) the cells after it: a 1.2 MB header (read mapped, as large files are) of 600001 cells
 * takes a few dozen allocations, where every cell took one before. */
Test(import_hostile, a_long_header_fails_at_its_first_unknown_column_without_holding_the_rest)
{
    char *path = wide_header_file("long.csv", "symbol,date,price", "x", 600000, "A,2020-01-01,1");
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(":memory:", 0, &s, &err), RB_OK, "%s", err.msg);
    rb_import_stats st;
    rb_alloc_count_reset();
    rb_status rc = rb_import_files(s, (const char *const[]){path}, 1, NULL, &st, &err);
    long allocations = rb_alloc_count();
    rb_alloc_fail_off();
    rb_store_free(s);
    cr_assert_eq(rc, RB_ERR_DATA, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "long.csv:1: unknown column 'x' (a long file has symbol, date, open"), "%s",
                       err.msg);
    cr_assert_lt(allocations, 1000, "%ld allocations for a header refused at its fourth cell", allocations);
    free(path);
}

/* A wide file's names are symbols, checked once the header is whole: held up to
 * RB_IMPORT_MAX_COLUMNS columns, refused on the first past it. */
Test(import_hostile, a_header_past_the_column_cap_is_refused_as_it_is_read)
{
    char *at_cap = wide_header_file("cap.csv", "date", "x", RB_IMPORT_MAX_COLUMNS - 1, "2020-01-01");
    rb_error err = {0};
    cr_assert_eq(import_path(at_cap, NULL, &err), RB_ERR_DATA);
    cr_assert_not_null(strstr(err.msg, "cap.csv:1: column 'x' appears twice (columns 2 and 3)"), "%s", err.msg);
    char *past = wide_header_file("past.csv", "date", "x", RB_IMPORT_MAX_COLUMNS, "2020-01-01");
    rb_alloc_count_reset();
    cr_assert_eq(import_path(past, NULL, &err), RB_ERR_DATA);
    long allocations = rb_alloc_count();
    rb_alloc_fail_off();
    cr_assert_not_null(strstr(err.msg, "past.csv:1: more than 2097152 columns (the most a file may have)"), "%s",
                       err.msg);
    cr_assert_lt(allocations, RB_IMPORT_MAX_COLUMNS + 1000, "%ld allocations", allocations);
    free(at_cap);
    free(past);
}

/* Lines longer than libcsv is fed at once (64 KiB) keep their line numbers and columns. */
Test(import_hostile, a_line_longer_than_a_feed_slice_keeps_its_line_number)
{
    size_t n = 30000; /* ~210 KB lines */
    size_t cap = 16 * n + 64;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    size_t o = (size_t)snprintf(text, cap, "date");
    for (size_t i = 0; i < n; i++) o += (size_t)snprintf(text + o, cap - o, ",S%05zu", i);
    for (int row = 0; row < 2; row++) {
        o += (size_t)snprintf(text + o, cap - o, "\n2020-01-0%d", row + 1);
        for (size_t i = 0; i < n; i++) o += (size_t)snprintf(text + o, cap - o, "%s", row && i == n - 1 ? ",x" : ",1.5");
    }
    snprintf(text + o, cap - o, "\n");
    refused(text, NULL, RB_ERR_DATA, ":3: column S29999: not a number: 'x'");
    text[o - 1] = '2'; /* the bad cell made good: every line imports */
    accepted(text, NULL);
    free(text);
}

/* ---------------------------------------------------------------- symbols a terminal acts on */

/* 1 when every byte of s up to its end or line end is printable ASCII (what an escaped
 * message is made of). */
static int plain_ascii(const char *s)
{
    for (; *s && *s != '\n'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f) return 0;
    return 1;
}

static void refused_symbol(const char *csv, const char *want)
{
    rb_error err = {0};
    cr_assert_eq(import_text(csv, NULL, &err), RB_ERR_DATA, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, want), "message '%s' lacks '%s'", err.msg, want);
    cr_assert(plain_ascii(err.msg + strlen(dir)), "raw bytes reach the message: %s", err.msg);
}

Test(import_hostile, symbols_with_c1_controls_or_bytes_that_are_not_utf8_are_refused_escaped)
{
    /* C1 CSI (U+009B) as UTF-8: a terminal may start an escape sequence at it. */
    refused_symbol("symbol,date,price\n\xc2\x9b" "31mA,2020-01-01,1\n",
                   "/in.csv:2: column symbol: symbol contains a control character (U+009B at byte 1): "
                   "'\\xc2\\x9b31mA'");
    refused_symbol("symbol,date,price\nA\xc2\x85,2020-01-01,1\n",
                   ":2: column symbol: symbol contains a control character (U+0085 at byte 2): 'A\\xc2\\x85'");
    refused_symbol("symbol,date,price\nB,2020-01-01,1\nA\x7f,2020-01-01,1\n",
                   ":3: column symbol: symbol contains a control character (U+007F at byte 2): 'A\\x7f'");
    /* A raw C1 byte, and other bytes no UTF-8 text has. */
    refused_symbol("symbol,date,price\nA\x9b,2020-01-01,1\n",
                   ":2: column symbol: symbol is not valid UTF-8 (byte 2, 0x9b): 'A\\x9b'");
    refused_symbol("symbol,date,price\nAB\xc0\x80,2020-01-01,1\n", /* an overlong NUL */
                   ":2: column symbol: symbol is not valid UTF-8 (byte 3, 0xc0): 'AB\\xc0\\x80'");
    refused_symbol("symbol,date,price\n\xed\xa0\x80,2020-01-01,1\n", /* a surrogate */
                   ":2: column symbol: symbol is not valid UTF-8 (byte 1, 0xed): '\\xed\\xa0\\x80'");
    refused_symbol("symbol,date,price\nA\xe2\x82,2020-01-01,1\n", /* a character cut short */
                   ":2: column symbol: symbol is not valid UTF-8 (byte 2, 0xe2): 'A\\xe2\\x82'");
    refused_symbol("symbol,date,price\nA\xf5\x80\x80\x80,2020-01-01,1\n", /* past U+10FFFF */
                   ":2: column symbol: symbol is not valid UTF-8 (byte 2, 0xf5)");
    /* In a wide file's header. */
    refused_symbol("date,A,B\xff\n2020-01-01,1,2\n",
                   ":1: column 3: symbol is not valid UTF-8 (byte 2, 0xff): 'B\\xff'");
}

Test(import_hostile, symbols_in_any_script_are_accepted)
{
    accepted("symbol,date,price\n"
             "\xe6\x97\xa5\xe7\xb5\x8c" "225,2020-01-01,1\n" /* 日経225 */
             "\xc3\x84" "GIR,2020-01-01,1\n"                 /* ÄGIR */
             "\xc2\xa0" "NBSP,2020-01-01,1\n"                /* U+00A0, the first after C1 */
             "\xf0\x9f\x9a\x80,2020-01-01,1\n",              /* U+1F680 */
             NULL);
}

Test(import_hostile, the_symbol_option_follows_the_same_rule)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.symbol = "A\xc2\x9b";
    rb_error err = {0};
    cr_assert_eq(import_text("date,close\n2020-01-01,1\n", &opt, &err), RB_ERR_USAGE, "%s", err.msg);
    cr_assert_str_eq(err.msg, "--symbol: symbol contains a control character (U+009B at byte 2): 'A\\xc2\\x9b'");
}

/* Other cells quoted in messages (a date, a number) reach the terminal without the bytes. */
Test(import_hostile, messages_about_other_cells_do_not_echo_control_bytes)
{
    rb_error err = {0};
    cr_assert_eq(import_text("symbol,date,price\nA,2020-01-01,1\xc2\x9b\n", NULL, &err), RB_ERR_DATA);
    cr_assert_not_null(strstr(err.msg, ":2: column price: not a number: '1\\xc2\\x9b'"), "%s", err.msg);
    cr_assert_eq(import_text("symbol,date,price\nA,2020-01-01\x9b,1\n", NULL, &err), RB_ERR_DATA);
    cr_assert(plain_ascii(err.msg + strlen(dir)), "raw bytes reach the message: %s", err.msg);
    cr_assert_not_null(strstr(err.msg, "'2020-01-01?'"), "%s", err.msg);
}

/* A symbol given to a command that looks it up is named escaped when it is not stored. */
Test(import_hostile, an_unknown_symbol_is_named_escaped)
{
    char *csv = rbt_write_file(dir, "p.csv", "symbol,date,price\nA,2020-01-01,1\nA,2020-01-02,1.1\n");
    rbt_run_result r = rbt_run(dir, NULL, (const char *const[]){"import", "-q", "--db", "p.db", "p.csv", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, (const char *const[]){"run", "--db", "p.db", "--assets", "\xc2\x9b" "A=1", NULL});
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.err, "unknown symbol '\\xc2\\x9bA'"), "%s", r.err);
    cr_assert(plain_ascii(strstr(r.err, "unknown")), "raw bytes reach the terminal: %s", r.err);
    rbt_run_result_free(&r);
    free(csv);
}
