/* test_export.c - CSV export: exact text for hand-made bars, and round trips (export, import
 * into a fresh store, export again) on the bundled real data in both formats. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "rebal.h"
#include "store.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(export, .init = setup, .fini = teardown);

static rb_store *open_store(const char *name)
{
    char *path = rbt_path(dir, name);
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, 0, &s, &err), RB_OK, "%s", err.msg);
    free(path);
    return s;
}

static void exec_sql(rb_store *s, const char *sql)
{
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(s->db, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

static void import_file(rb_store *s, const char *path, rb_csv_format format, const char *symbol)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.format = format;
    opt.symbol = symbol;
    rb_import_stats stats = {0};
    rb_error err = {0};
    cr_assert_eq(rb_import_files(s, (const char *const[]){path}, 1, &opt, &stats, &err), RB_OK, "%s", err.msg);
}

/* Runs rb_export_csv into a string. */
static char *export_text(rb_store *s, const char *const *symbols, size_t n, rb_export_format format)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cr_assert_not_null(out);
    rb_error err = {0};
    cr_assert_eq(rb_export_csv(s, symbols, n, format, out, &err), RB_OK, "%s", err.msg);
    fclose(out);
    return buf;
}

static char *export_to_file(rb_store *s, const char *name, rb_export_format format)
{
    char *text = export_text(s, NULL, 0, format);
    char *path = rbt_write_file(dir, name, text);
    free(text);
    return path;
}

Test(export, long_format_writes_every_field_exactly)
{
    rb_store *s = open_store("a.db");
    exec_sql(s, "INSERT INTO assets(symbol) VALUES ('B,\"Q\"'), ('AAA');"
                "INSERT INTO bars VALUES (2, 946684800, 1.5, 2.25, 1.25, 2, 1000);"
                "INSERT INTO bars VALUES (2, 946731600, NULL, NULL, NULL, 0.1, NULL);"
                "INSERT INTO bars VALUES (1, 946857600, NULL, NULL, NULL, 39.81, 12345678901);");
    char *text = export_text(s, NULL, 0, RB_EXPORT_LONG);
    /* Symbols in order, quoted when they hold a delimiter or quote; shortest exact numbers;
     * a midnight as a date, another time as UTC date-time; NULL as an empty cell. */
    cr_assert_str_eq(text,
                     "symbol,date,open,high,low,close,volume\r\n"
                     "AAA,2000-01-01,1.5,2.25,1.25,2,1000\r\n"
                     "AAA,2000-01-01T13:00:00Z,,,,0.1,\r\n"
                     "\"B,\"\"Q\"\"\",2000-01-03,,,,39.81,12345678901\r\n");
    free(text);
    rb_store_free(s);
}

Test(export, wide_format_merges_dates_and_leaves_gaps_empty)
{
    rb_store *s = open_store("w.db");
    exec_sql(s, "INSERT INTO assets(symbol) VALUES ('X'), ('Y');"
                "INSERT INTO bars(asset_id, ts, close) VALUES (1, 946684800, 1), (1, 946857600, 3),"
                "(2, 946771200, 20), (2, 946857600, 30);");
    const char *const order[] = {"Y", "X"};
    char *text = export_text(s, order, 2, RB_EXPORT_WIDE);
    cr_assert_str_eq(text,
                     "date,Y,X\r\n"
                     "2000-01-01,,1\r\n"
                     "2000-01-02,20,\r\n"
                     "2000-01-03,30,3\r\n");
    free(text);
    rb_store_free(s);
}

Test(export, refuses_unknown_and_repeated_symbols_and_an_empty_store)
{
    rb_store *s = open_store("e.db");
    rb_error err = {0};
    FILE *out = fopen("/dev/null", "w");
    cr_assert_eq(rb_export_csv(s, NULL, 0, RB_EXPORT_LONG, out, &err), RB_ERR_NOT_FOUND);
    cr_assert_not_null(strstr(err.msg, "no assets"), "%s", err.msg);
    exec_sql(s, "INSERT INTO assets(symbol) VALUES ('X'); INSERT INTO bars(asset_id, ts, close) VALUES (1, 0, 1);");
    cr_assert_eq(rb_export_csv(s, (const char *const[]){"X", "NOPE"}, 2, RB_EXPORT_LONG, out, &err), RB_ERR_NOT_FOUND);
    cr_assert_not_null(strstr(err.msg, "unknown symbol 'NOPE'"), "%s", err.msg);
    cr_assert_eq(rb_export_csv(s, (const char *const[]){"X", "X"}, 2, RB_EXPORT_WIDE, out, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "'X' is listed twice"), "%s", err.msg);
    fclose(out);
    rb_store_free(s);
}

/* Every bar of both stores, as one text: equal texts mean equal data. */
static char *dump(rb_store *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(s->db,
                                    "SELECT a.symbol, b.ts, quote(b.open), quote(b.high), quote(b.low), quote(b.close), "
                                    "quote(b.volume) FROM bars b JOIN assets a ON a.id = b.asset_id ORDER BY 1, 2",
                                    -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < 7; c++) fprintf(out, "%s|", (const char *)sqlite3_column_text(st, c));
        fputc('\n', out);
    }
    sqlite3_finalize(st);
    fclose(out);
    return buf;
}

Test(export, long_round_trip_of_the_bundled_data_is_exact)
{
    rb_store *a = open_store("orig.db");
    char *stocks = rbt_source_path("data/bundled/stocks_monthly.csv");
    char *sp500 = rbt_source_path("data/bundled/sp500_daily.csv");
    import_file(a, stocks, RB_CSV_AUTO, NULL);
    import_file(a, sp500, RB_CSV_AUTO, "SPX");
    char *file = export_to_file(a, "long.csv", RB_EXPORT_LONG);

    rb_store *b = open_store("copy.db");
    import_file(b, file, RB_CSV_AUTO, NULL);
    char *da = dump(a), *db = dump(b);
    cr_assert_str_eq(da, db, "the re-imported data differs");
    cr_assert_gt(strlen(da), 100000);
    char *again = export_text(b, NULL, 0, RB_EXPORT_LONG), *first = rbt_read_file(file, NULL);
    cr_assert_str_eq(first, again, "exporting the re-imported store gives other text");
    free(first), free(again), free(da), free(db);
    free(file), free(stocks), free(sp500);
    rb_store_free(a);
    rb_store_free(b);
}

Test(export, wide_round_trip_keeps_every_close)
{
    rb_store *a = open_store("orig.db");
    char *stocks = rbt_source_path("data/bundled/stocks_monthly.csv");
    import_file(a, stocks, RB_CSV_AUTO, NULL);
    char *file = export_to_file(a, "wide.csv", RB_EXPORT_WIDE);
    char *text = rbt_read_file(file, NULL);
    cr_assert(strncmp(text, "date,AAPL,AMZN,GOOG,IBM,MSFT\r\n", 30) == 0, "header: %.40s", text);
    /* GOOG starts in August 2004: its cell is empty before. */
    cr_assert_not_null(strstr(text, "\r\n2000-01-01,"), "no first row");
    rb_store *b = open_store("copy.db");
    import_file(b, file, RB_CSV_WIDE, NULL);
    char *da = dump(a), *db = dump(b);
    cr_assert_str_eq(da, db, "closes differ after a wide round trip");
    free(da), free(db), free(text), free(file), free(stocks);
    rb_store_free(a);
    rb_store_free(b);
}
