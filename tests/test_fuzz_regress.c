/* test_fuzz_regress.c - what the fuzz targets of tests/fuzz found, each input kept as a test
 * so that ./build.sh test holds the fix without clang. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebal.h"
#include "store.h"
#include "sweep.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(fuzz_regress, .init = setup, .fini = teardown);

/* A private store holding the CSV text imported with the given format. */
static rb_store *store_with(const char *csv, rb_csv_format format)
{
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(":memory:", 0, &s, &err), RB_OK, "%s", err.msg);
    char *path = rbt_write_file(dir, "in.csv", csv);
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.format = format;
    cr_assert_eq(rb_import_files(s, (const char *const[]){path}, 1, &opt, NULL, &err), RB_OK, "%s", err.msg);
    free(path);
    return s;
}

/* rb_export_csv into a string; the status and error through rc and err. */
static char *export_text(rb_store *s, rb_export_format format, rb_status *rc, rb_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cr_assert_not_null(out);
    *rc = rb_export_csv(s, NULL, 0, format, out, err);
    fclose(out);
    return buf;
}

/* symbol|ts|close of every bar, in order: equal texts, equal closes. */
static char *closes(rb_store *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(s->db,
                                    "SELECT a.symbol, b.ts, quote(b.close) FROM bars b JOIN assets a ON a.id = "
                                    "b.asset_id ORDER BY 1, 2",
                                    -1, &st, NULL),
                 SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        fprintf(out, "%s|%s|%s\n", (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
                (const char *)sqlite3_column_text(st, 2));
    sqlite3_finalize(st);
    fclose(out);
    return buf;
}

/* fuzz_csv: a symbol named "Date" was exported wide as "date,Date", which no import reads
 * ("two date columns"): the wide export now refuses it, and the long one still works. */
Test(fuzz_regress, wide_export_refuses_a_symbol_named_like_the_date_column)
{
    static const char *const named[] = {"Date", "TIME", "timestamp", "DateTime"};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        char csv[128];
        snprintf(csv, sizeof csv, "symbol,date,close\n%s,2000-01-03,1\nA,2000-01-04,2\n", named[i]);
        rb_store *s = store_with(csv, RB_CSV_AUTO);
        rb_status rc;
        rb_error err = {0};
        char *text = export_text(s, RB_EXPORT_WIDE, &rc, &err);
        cr_assert_eq(rc, RB_ERR_DATA, "%s: %s", named[i], text);
        char want[96];
        snprintf(want, sizeof want, "symbol '%s' would read back as a date column", named[i]);
        cr_assert_not_null(strstr(err.msg, want), "%s", err.msg);
        cr_assert_not_null(strstr(err.msg, "long format"), "%s", err.msg);
        free(text);
        text = export_text(s, RB_EXPORT_LONG, &rc, &err);
        cr_assert_eq(rc, RB_OK, "%s", err.msg);
        free(text);
        rb_store_free(s);
    }
}

/* Symbols named like the other columns (LOW, OPEN, Symbol) read back from a wide export
 * with --format wide, as 'rebal help export' says. */
Test(fuzz_regress, wide_export_of_column_named_symbols_reads_back_with_format_wide)
{
    rb_store *s = store_with("symbol,date,price\nLOW,2000-01-03,1\nOPEN,2000-01-03,2.5\nSymbol,2000-01-04,3\n"
                             "bar,2000-01-04,4\n",
                             RB_CSV_AUTO);
    rb_status rc;
    rb_error err = {0};
    char *text = export_text(s, RB_EXPORT_WIDE, &rc, &err);
    cr_assert_eq(rc, RB_OK, "%s", err.msg);
    rb_store *back = store_with(text, RB_CSV_WIDE);
    char *a = closes(s), *b = closes(back);
    cr_assert_str_eq(b, a);
    free(a);
    free(b);
    free(text);
    rb_store_free(back);
    rb_store_free(s);
}

/* fuzz_sweep: a value too long for libinih's line, split, holding a '#' after the cut, before
 * any section: the message named the current section, which did not exist (an index of
 * SIZE_MAX into no array; UBSan: pointer overflow). Now refused, naming "no section". */
Test(fuzz_regress, split_value_before_any_section_is_refused)
{
    static const char text[] =
    "\013\013\072\072\072\072\072\072\072\044\072\072\072\072\072\072\072\072\072\072\072\072\072\072"
    "\013\013\013\013\013\060\013\013\051\013\013\013\013\013\013\013\013\013\013\013\013\013\013\013"
    "\013\013\013\013\013\013\013\013\013\013\017\013\013\013\013\013\013\013\013\013\013\013\013\013"
    "\013\013\013\013\013\013\013\013\013\013\261\013\013\013\013\013\013\013\013\013\013\013\013\013"
    "\013\013\013\013\013\013\013\013\013\013\013\013\013\013\013\013\013\013\013\013\013\013\013\013"
    "\013\013\013\013\013\261\013\013\013\013\041\013\013\013\013\013\013\013\013\013\013\013\013\013"
    "\013\013\013\013\013\013\013\013\013\044\013\013\013\013\013\013\013\013\013\013\013\013\013\013"
    "\013\013\013\013\013\013\013\013\013\013\013\013\013\013\013\053\013\013\013\013\013\013\013\013"
    "\013\013\013\013\013\013\013\013\013\013\013\013\140\013\013\013\013\013\013\013\013\013\013\013"
    "\013\013\013\013\013\043\013\013\013\013\013\013\013\013\013\013\013\013\013\133\144\141\164\141";
    rb_sweep *sw = NULL;
    rb_error err = {0};
    cr_assert_neq(rb_sweep_parse_text(text, "fuzz.ini", &sw, &err), RB_OK);
    cr_assert_null(sw);
    cr_assert(err.msg[0] && !strchr(err.msg, '\n'), "one line: %s", err.msg);
}
