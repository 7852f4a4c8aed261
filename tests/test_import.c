/* test_import.c - CSV import: every format and date form, delimiters, quoting, each kind of
 * refused input (exact message, database file unchanged), conflicts and --replace,
 * idempotent re-import, the two-thread parse of large files, and both bundled datasets. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rebal.h"
#include "store.h" /* the connection, to read back exactly what was stored */
#include "support.h"

/* Seconds since the epoch of a few midnights (UTC), computed independently of the parser:
 * 2000-01-01 is day 10957. */
#define D20000101 INT64_C(946684800)
#define D20000102 INT64_C(946771200)
#define D20000103 INT64_C(946857600)
#define D20000104 INT64_C(946944000)
#define D20000105 INT64_C(947030400)
#define DAY INT64_C(86400)

static rb_store *open_db(const char *db)
{
    rb_store *s = NULL;
    rb_error e;
    cr_assert_eq(rb_store_open(db, 0, &s, &e), RB_OK, "open %s: %s", db, e.msg);
    return s;
}

static rb_status import_n(const char *db, const char *const *paths, size_t n, const rb_import_options *opt,
                          rb_import_stats *st, rb_error *e)
{
    rb_store *s = open_db(db);
    rb_status rc = rb_import_files(s, paths, n, opt, st, e);
    rb_store_free(s);
    return rc;
}

static rb_import_stats import_ok(const char *db, const char *path, const rb_import_options *opt)
{
    rb_import_stats st;
    rb_error e;
    memset(&st, 0xff, sizeof st);
    rb_status rc = import_n(db, &path, 1, opt, &st, &e);
    cr_assert_eq(rc, RB_OK, "import %s: %s", path, e.msg);
    return st;
}

/* One integer from a query with an optional text parameter ?1. */
static int64_t q_int(const char *db, const char *sql, const char *arg)
{
    rb_store *s = open_db(db);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(s->db));
    if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    rb_store_free(s);
    return v;
}

static int64_t n_bars(const char *db) { return q_int(db, "SELECT count(*) FROM bars", NULL); }

/* One stored field (open, high, low, close, volume) of symbol at ts; NaN for NULL. */
static double bar(const char *db, const char *symbol, int64_t ts, const char *field)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT b.%s FROM bars b JOIN assets a ON a.id = b.asset_id WHERE a.symbol = ?1 AND b.ts = ?2",
             field);
    rb_store *s = open_db(db);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(s->db));
    sqlite3_bind_text(st, 1, symbol, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ts);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no bar %s at %lld", symbol, (long long)ts);
    double v = sqlite3_column_type(st, 0) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    rb_store_free(s);
    return v;
}

static double close_of(const char *db, const char *symbol, int64_t ts)
{
    return bar(db, symbol, ts, "close");
}

/* A scratch directory with a database path in it. */
typedef struct scratch {
    char *dir, *db, *snap;
} scratch;

static scratch scratch_new(void)
{
    scratch s;
    s.dir = rbt_tempdir();
    s.db = rbt_path(s.dir, "prices.db");
    s.snap = rbt_path(s.dir, "snapshot.db");
    return s;
}

static void scratch_free(scratch *s)
{
    rbt_rmtree(s->dir);
    free(s->dir);
    free(s->db);
    free(s->snap);
}

/* Seeds the database with one bar and keeps a byte copy of it. */
static void seed(scratch *s)
{
    char *p = rbt_write_file(s->dir, "seed.csv", "symbol,date,price\nSEED,2000-01-03,1\n");
    import_ok(s->db, p, NULL);
    rbt_copy_file(s->db, s->snap);
    free(p);
}

/* Imports text as file NAME into a seeded store and expects the import refused with code and
 * exactly the message "PATH" + want (want NULL: only the code), leaving the file untouched. */
static void refused(const char *text, const rb_import_options *opt, rb_status code, const char *want)
{
    scratch s = scratch_new();
    seed(&s);
    char *path = rbt_write_file(s.dir, "in.csv", text);
    rb_error e;
    rb_import_stats st;
    rb_status rc = import_n(s.db, (const char *const *)&path, 1, opt, &st, &e);
    cr_assert_eq(rc, code, "status %d (wanted %d): %s", rc, code, e.msg);
    cr_assert_null(strchr(e.msg, '\n'), "message spans lines: %s", e.msg);
    if (want) {
        char expected[2048];
        snprintf(expected, sizeof expected, "%s%s", path, want);
        cr_assert_str_eq(e.msg, expected);
    }
    cr_assert(rbt_same_bytes(s.db, s.snap), "the database file changed");
    cr_assert_eq(n_bars(s.db), 1);
    cr_assert_eq(q_int(s.db, "SELECT count(*) FROM imports", NULL), 1);
    free(path);
    scratch_free(&s);
}

/* Same, for a message that must contain want (text that another module words). */
static void refused_like(const char *text, const rb_import_options *opt, rb_status code, const char *want)
{
    scratch s = scratch_new();
    seed(&s);
    char *path = rbt_write_file(s.dir, "in.csv", text);
    rb_error e;
    rb_import_stats st;
    rb_status rc = import_n(s.db, (const char *const *)&path, 1, opt, &st, &e);
    cr_assert_eq(rc, code, "status %d (wanted %d): %s", rc, code, e.msg);
    cr_assert_null(strchr(e.msg, '\n'), "message spans lines: %s", e.msg);
    cr_assert(strncmp(e.msg, path, strlen(path)) == 0, "message does not name the file: %s", e.msg);
    cr_assert(strstr(e.msg, want), "message '%s' lacks '%s'", e.msg, want);
    cr_assert(rbt_same_bytes(s.db, s.snap), "the database file changed");
    cr_assert_eq(n_bars(s.db), 1);
    free(path);
    scratch_free(&s);
}

/* ---------------------------------------------------------------- formats */

Test(import, long_with_price_column)
{
    scratch s = scratch_new();
    char *p =
        rbt_write_file(s.dir, "long.csv",
                       "symbol,date,price\nAAA,2000-01-03,1.5\nBBB,2000-01-03,2.25\nAAA,2000-01-04,1.75\n");
    rb_import_stats st = import_ok(s.db, p, NULL);
    cr_assert_eq(st.files, 1);
    cr_assert_eq(st.rows, 3);
    cr_assert_eq(st.bars_added, 3);
    cr_assert_eq(st.bars_unchanged, 0);
    cr_assert_eq(st.bars_replaced, 0);
    cr_assert_eq(st.assets_added, 2);
    cr_assert_eq(close_of(s.db, "AAA", D20000103), 1.5);
    cr_assert_eq(close_of(s.db, "AAA", D20000104), 1.75);
    cr_assert_eq(close_of(s.db, "BBB", D20000103), 2.25);
    cr_assert(isnan(bar(s.db, "AAA", D20000103, "open")));
    cr_assert(isnan(bar(s.db, "AAA", D20000103, "volume")));
    /* assets in order of first appearance */
    cr_assert_eq(q_int(s.db, "SELECT id FROM assets WHERE symbol = ?1", "AAA") <
                     q_int(s.db, "SELECT id FROM assets WHERE symbol = ?1", "BBB"),
                 1);
    cr_assert_eq(q_int(s.db,
                       "SELECT count(*) FROM imports WHERE source = ?1 AND format = 'long' AND rows = 3 "
                       "AND bars_added = 3 AND bars_replaced = 0 AND imported_at LIKE '20__-__-__T__:__:__Z'",
                       p),
                 1);
    free(p);
    scratch_free(&s);
}

Test(import, long_with_close_and_ohlcv_columns_in_any_order)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "long.csv",
                             " Date , CLOSE,Ticker,Volume,low,High,open\n"
                             "2000-01-03,10.5,XYZ,1200,9.75,11,10\n"
                             "2000-01-04,11,XYZ,,10.5,11.25,\n");
    rb_import_stats st = import_ok(s.db, p, NULL);
    cr_assert_eq(st.bars_added, 2);
    cr_assert_eq(bar(s.db, "XYZ", D20000103, "open"), 10);
    cr_assert_eq(bar(s.db, "XYZ", D20000103, "high"), 11);
    cr_assert_eq(bar(s.db, "XYZ", D20000103, "low"), 9.75);
    cr_assert_eq(bar(s.db, "XYZ", D20000103, "close"), 10.5);
    cr_assert_eq(bar(s.db, "XYZ", D20000103, "volume"), 1200);
    cr_assert(isnan(bar(s.db, "XYZ", D20000104, "open")), "an empty open is stored as NULL");
    cr_assert(isnan(bar(s.db, "XYZ", D20000104, "volume")));
    cr_assert_eq(bar(s.db, "XYZ", D20000104, "high"), 11.25);
    free(p);
    scratch_free(&s);
}

Test(import, long_with_only_adjclose_uses_it_as_close)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "long.csv", "asset,timestamp,adj close\nQQ,2000-01-03,7.125\n");
    import_ok(s.db, p, NULL);
    cr_assert_eq(close_of(s.db, "QQ", D20000103), 7.125);
    free(p);
    scratch_free(&s);
}

Test(import, wide_with_gaps)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "wide.csv",
                             "date,AAA,BBB,CCC\n2000-01-03,1,,\n2000-01-04,,2,\n2000-01-05,3,4,\n");
    rb_import_stats st = import_ok(s.db, p, NULL);
    cr_assert_eq(st.rows, 3);
    cr_assert_eq(st.bars_added, 4);
    cr_assert_eq(st.assets_added, 2, "CCC has no bars and gets no asset row");
    cr_assert_eq(q_int(s.db, "SELECT count(*) FROM assets WHERE symbol = ?1", "CCC"), 0);
    cr_assert_eq(close_of(s.db, "AAA", D20000103), 1);
    cr_assert_eq(close_of(s.db, "AAA", D20000105), 3);
    cr_assert_eq(close_of(s.db, "BBB", D20000104), 2);
    cr_assert_eq(close_of(s.db, "BBB", D20000105), 4);
    cr_assert_eq(q_int(s.db,
                       "SELECT count(*) FROM bars b JOIN assets a ON a.id = b.asset_id WHERE a.symbol = ?1",
                       "AAA"),
                 2);
    cr_assert_eq(q_int(s.db,
                       "SELECT count(*) FROM imports WHERE format = 'wide' AND rows = 3 AND bars_added = 4",
                       NULL),
                 1);
    free(p);
    scratch_free(&s);
}

Test(import, ohlcv_with_adjclose_and_volume)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "spx.csv",
                             "date,open,high,low,close,adjclose,volume\n"
                             "2000-01-03,10,12,8,11,5.5,1000\n2000-01-04,11,13,10,12,6,2000\n");
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.symbol = "SPX";
    rb_import_stats st = import_ok(s.db, p, &opt);
    cr_assert_eq(st.bars_added, 2);
    cr_assert_eq(bar(s.db, "SPX", D20000103, "close"), 11, "the close, not the adjusted close, by default");
    cr_assert_eq(bar(s.db, "SPX", D20000103, "open"), 10);
    cr_assert_eq(bar(s.db, "SPX", D20000103, "volume"), 1000);
    cr_assert_eq(q_int(s.db, "SELECT count(*) FROM imports WHERE format = 'ohlcv'", NULL), 1);
    free(p);
    scratch_free(&s);
}

Test(import, ohlcv_without_adjclose_or_volume)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "x.csv", "Date,Open,High,Low,Close\n2000-01-03,10,12,8,11\n");
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.symbol = "XX";
    import_ok(s.db, p, &opt);
    cr_assert_eq(bar(s.db, "XX", D20000103, "low"), 8);
    cr_assert(isnan(bar(s.db, "XX", D20000103, "volume")));
    free(p);
    scratch_free(&s);
}

Test(import, price_adjclose_scales_open_high_low)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "x.csv",
                             "date,open,high,low,close,adjclose,volume\n2000-01-03,10,12,8,10,5,100\n");
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.symbol = "ADJ";
    opt.price = RB_PRICE_ADJCLOSE;
    import_ok(s.db, p, &opt);
    cr_assert_eq(bar(s.db, "ADJ", D20000103, "close"), 5);
    cr_assert_eq(bar(s.db, "ADJ", D20000103, "open"), 5);
    cr_assert_eq(bar(s.db, "ADJ", D20000103, "high"), 6);
    cr_assert_eq(bar(s.db, "ADJ", D20000103, "low"), 4);
    cr_assert_eq(bar(s.db, "ADJ", D20000103, "volume"), 100, "volume is not scaled");
    free(p);
    scratch_free(&s);
}

Test(import, price_adjclose_without_the_column_is_refused)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.price = RB_PRICE_ADJCLOSE;
    refused("symbol,date,close\nA,2000-01-03,1\n", &opt, RB_ERR_DATA,
            ":1: --price adjclose needs an adjclose column");
}

/* ---------------------------------------------------------------- dates */

Test(import, every_date_form)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "dates.csv",
                             "symbol,date,price\n"
                             "ISO,2000-01-03,1\n"
                             "UTC,2000-01-03T12:30:00Z,2\n"
                             "OFF,2000-01-03T12:30:00+02:00,3\n"
                             "NAME,Jan 4 2000,4\n"
                             "SEC,946857600,5\n"
                             "MS,946857600000,6\n");
    import_ok(s.db, p, NULL);
    cr_assert_eq(close_of(s.db, "ISO", D20000103), 1);
    cr_assert_eq(close_of(s.db, "UTC", D20000103 + 12 * 3600 + 30 * 60), 2);
    cr_assert_eq(close_of(s.db, "OFF", D20000103 + 10 * 3600 + 30 * 60), 3, "converted to UTC");
    cr_assert_eq(close_of(s.db, "NAME", D20000104), 4);
    cr_assert_eq(close_of(s.db, "SEC", D20000103), 5);
    cr_assert_eq(close_of(s.db, "MS", D20000103), 6);
    free(p);
    scratch_free(&s);
}

Test(import, date_format_option)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "us.csv", "symbol,date,price\nUS,01/02/2000,1\nUS,01/03/2000,2\n");
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.date_format = "%m/%d/%Y";
    import_ok(s.db, p, &opt);
    cr_assert_eq(close_of(s.db, "US", D20000102), 1);
    cr_assert_eq(close_of(s.db, "US", D20000103), 2);
    free(p);
    scratch_free(&s);
}

Test(import, ambiguous_date_without_format_is_refused)
{
    refused_like("symbol,date,price\nUS,01/02/2000,1\n", NULL, RB_ERR_DATA,
                 ":2: column date: ambiguous date '01/02/2000'");
}

Test(import, invalid_date_format_option_is_a_usage_error)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "a.csv", "symbol,date,price\nA,2000-01-03,1\n");
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.date_format = "%Q";
    rb_error e;
    rb_import_stats st;
    cr_assert_eq(import_n(s.db, (const char *const *)&p, 1, &opt, &st, &e), RB_ERR_USAGE);
    cr_assert(strstr(e.msg, "%Q"), "%s", e.msg);
    free(p);
    scratch_free(&s);
}

/* ---------------------------------------------------------------- file shapes */

Test(import, bom_crlf_and_no_final_newline)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "bom.csv",
                             "\xEF\xBB\xBFsymbol,date,price\r\nA,2000-01-03,1\r\n\r\nA,2000-01-04,2");
    rb_import_stats st = import_ok(s.db, p, NULL);
    cr_assert_eq(st.rows, 2);
    cr_assert_eq(close_of(s.db, "A", D20000103), 1);
    cr_assert_eq(close_of(s.db, "A", D20000104), 2);
    free(p);
    scratch_free(&s);
}

Test(import, blank_lines_are_ignored)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "b.csv", "\n\nsymbol,date,price\n\n   \nA,2000-01-03,1\n\n");
    rb_import_stats st = import_ok(s.db, p, NULL);
    cr_assert_eq(st.rows, 1);
    free(p);
    scratch_free(&s);
}

Test(import, quoted_fields_and_line_numbers_after_an_embedded_newline)
{
    scratch s = scratch_new();
    /* line 1 header; the record on lines 2-3 holds a newline inside a quoted price; line 4 a
     * quoted symbol with a ';' and a backslash and a quoted date with a delimiter; line 5 is
     * bad, its date quoted with doubled quotes inside. */
    char *p = rbt_write_file(s.dir, "q.csv",
                             "symbol,date,price\n"
                             "A,2000-01-03,\"1.5\n\"\n"
                             "\"B;C\\\",\"Jan 3, 2000\",\"2\"\n"
                             "A,\"2000-01-\"\"0x\"\"\",3\n");
    rb_error e;
    rb_import_stats st;
    cr_assert_eq(import_n(s.db, (const char *const *)&p, 1, NULL, &st, &e), RB_ERR_DATA);
    char want[600];
    snprintf(want, sizeof want, "%s:5: column date: not a date: '2000-01-\"0x\"'", p);
    cr_assert(strncmp(e.msg, want, strlen(want)) == 0, "got: %s", e.msg);
    cr_assert_eq(n_bars(s.db), 0);

    /* without the bad row: the quoted values arrive intact; semicolons and backslashes are data */
    char *ok = rbt_write_file(s.dir, "q2.csv",
                              "symbol,date,price\n"
                              "A,2000-01-03,\"1.5\n\"\n"
                              "\"B;C\\\",\"Jan 3, 2000\",\"2\"\n");
    import_ok(s.db, ok, NULL);
    cr_assert_eq(close_of(s.db, "A", D20000103), 1.5);
    cr_assert_eq(close_of(s.db, "B;C\\", D20000103), 2);
    free(ok);
    free(p);
    scratch_free(&s);
}

Test(import, bad_record_spanning_lines_is_named_by_its_first_line)
{
    refused("symbol,date,price\nA,2000-01-03,1\nB,2000-01-03,\"1\n2\"\n", NULL, RB_ERR_DATA,
            ":3: column price: not a number: '1\\n2'");
}

Test(import, semicolon_and_tab_delimiters_detected)
{
    scratch s = scratch_new();
    char *a = rbt_write_file(s.dir, "semi.csv", "symbol;date;price\nSEMI;2000-01-03;1.25\n");
    char *b = rbt_write_file(s.dir, "tab.csv", "symbol\tdate\tprice\nTAB\t2000-01-03\t2.5\n");
    char *c = rbt_write_file(s.dir, "wide.tsv", "date\tX\tY\n2000-01-03\t\t3\n");
    import_ok(s.db, a, NULL);
    import_ok(s.db, b, NULL);
    rb_import_stats st = import_ok(s.db, c, NULL);
    cr_assert_eq(st.bars_added, 1, "an empty cell between two tabs is a gap");
    cr_assert_eq(close_of(s.db, "SEMI", D20000103), 1.25);
    cr_assert_eq(close_of(s.db, "TAB", D20000103), 2.5);
    cr_assert_eq(close_of(s.db, "Y", D20000103), 3);
    free(a);
    free(b);
    free(c);
    scratch_free(&s);
}

Test(import, explicit_delimiter)
{
    scratch s = scratch_new();
    /* detection looks at ',' ';' and tab only, so '|' must be given */
    char *p = rbt_write_file(s.dir, "pipe.csv", "symbol|date|price\n\"A|B\"|Jan 3, 2000|4\n");
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.delimiter = '|';
    import_ok(s.db, p, &opt);
    cr_assert_eq(close_of(s.db, "A|B", D20000103), 4);
    opt.delimiter = '\t';
    char *t = rbt_write_file(s.dir, "t.csv", "symbol\tdate\tprice\nT;1\tJan 3, 2000\t5\n");
    import_ok(s.db, t, &opt);
    cr_assert_eq(close_of(s.db, "T;1", D20000103), 5);
    free(p);
    free(t);
    scratch_free(&s);
}

Test(import, unsorted_rows)
{
    scratch s = scratch_new();
    char *p =
        rbt_write_file(s.dir, "u.csv",
                       "symbol,date,price\nB,2000-01-05,5\nA,2000-01-04,4\nB,2000-01-03,3\nA,2000-01-05,6\n"
                       "A,2000-01-03,2\nB,2000-01-04,1\n");
    rb_import_stats st = import_ok(s.db, p, NULL);
    cr_assert_eq(st.bars_added, 6);
    cr_assert_eq(close_of(s.db, "A", D20000103), 2);
    cr_assert_eq(close_of(s.db, "A", D20000104), 4);
    cr_assert_eq(close_of(s.db, "A", D20000105), 6);
    cr_assert_eq(close_of(s.db, "B", D20000103), 3);
    cr_assert_eq(close_of(s.db, "B", D20000104), 1);
    cr_assert_eq(close_of(s.db, "B", D20000105), 5);
    free(p);
    scratch_free(&s);
}

Test(import, identical_duplicates_are_stored_once)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "d.csv", "symbol,date,price\nA,2000-01-03,1\nA,2000-01-03,1.0\n");
    rb_import_stats st = import_ok(s.db, p, NULL);
    cr_assert_eq(st.rows, 2);
    cr_assert_eq(st.bars_added, 1);
    cr_assert_eq(n_bars(s.db), 1);
    free(p);
    scratch_free(&s);
}

Test(import, numbers_with_spaces_and_exponents)
{
    scratch s = scratch_new();
    char *p =
        rbt_write_file(s.dir, "n.csv",
                       "symbol,date,price\nA,2000-01-03,\" 12.5 \"\nA,2000-01-04,1.5e2\nA,2000-01-05,+.25\n");
    import_ok(s.db, p, NULL);
    cr_assert_eq(close_of(s.db, "A", D20000103), 12.5);
    cr_assert_eq(close_of(s.db, "A", D20000104), 150);
    cr_assert_eq(close_of(s.db, "A", D20000105), 0.25);
    free(p);
    scratch_free(&s);
}

Test(import, decimal_values_match_strtod_exactly)
{
    scratch s = scratch_new();
    const char *vals[] = {
        "39.81",       "0.1", "1455.219971", "123456789.123456", "0.000123", "9007199254740993",
        "2874.560059", "1e-3"};
    char text[1024] = "symbol,date,price\n";
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "V%zu,2000-01-03,%s\n", i, vals[i]);
    char *p = rbt_write_file(s.dir, "v.csv", text);
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.allow_extreme_prices = 1; /* 2^53 + 1, past the range of prices */
    import_ok(s.db, p, &opt);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char sym[8];
        snprintf(sym, sizeof sym, "V%zu", i);
        cr_assert_eq(close_of(s.db, sym, D20000103), strtod(vals[i], NULL), "%s", vals[i]);
    }
    free(p);
    scratch_free(&s);
}

/* ---------------------------------------------------------------- decimal commas */

static rb_import_options decimal_comma(void)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.decimal = ',';
    return opt;
}

/* The README's European example: ';' between fields, day.month.year dates, 1234,56 prices.
 * Each value is the double strtod gives for the same digits with a '.'. */
Test(import, decimal_comma_reads_european_files_exactly)
{
    rb_import_options opt = decimal_comma();
    opt.date_format = "%d.%m.%Y";
    refused("date;DAX\n03.01.2000;-0,0e0\n", &opt, RB_ERR_DATA, ":2: column DAX: price must be positive: '-0,0e0'");
    scratch s = scratch_new();
    char *ok = rbt_write_file(s.dir, "ok.csv",
                              "date;DAX;SMI\n"
                              "03.01.2000;6750,76;7,5\n"
                              "04.01.2000;\"6586,95\";0,1234567890123456789012\n"
                              "05.01.2000;1,5e3;,5\n");
    import_ok(s.db, ok, &opt);
    cr_assert_eq(close_of(s.db, "DAX", D20000103), strtod("6750.76", NULL));
    cr_assert_eq(close_of(s.db, "SMI", D20000103), 7.5);
    cr_assert_eq(close_of(s.db, "DAX", D20000104), strtod("6586.95", NULL));
    cr_assert_eq(close_of(s.db, "SMI", D20000104), strtod("0.1234567890123456789012", NULL));
    cr_assert_eq(close_of(s.db, "DAX", D20000105), 1500);
    cr_assert_eq(close_of(s.db, "SMI", D20000105), 0.5);
    free(ok);
    scratch_free(&s);
}

Test(import, decimal_comma_in_ohlcv_volumes_and_detected_semicolons)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "o.csv",
                             "date;open;high;low;close;volume\n"
                             "2000-01-03;1,25;2,5;1;2,25;1000,5\n");
    rb_import_options opt = decimal_comma();
    opt.symbol = "X";
    import_ok(s.db, p, &opt);
    cr_assert_eq(bar(s.db, "X", D20000103, "open"), 1.25);
    cr_assert_eq(bar(s.db, "X", D20000103, "high"), 2.5);
    cr_assert_eq(bar(s.db, "X", D20000103, "close"), 2.25);
    cr_assert_eq(bar(s.db, "X", D20000103, "volume"), 1000.5);
    free(p);
    scratch_free(&s);
}

Test(import, decimal_comma_refuses_thousands_separators_and_points)
{
    rb_import_options opt = decimal_comma();
    refused("symbol;date;price\nA;2000-01-03;1.234,56\n", &opt, RB_ERR_DATA,
            ":2: column price: not a number: '1.234,56' (a thousands separator is not accepted: 1234.56, or "
            "1234,56 with --decimal ',')");
    refused("symbol;date;price\nA;2000-01-03;1234.56\n", &opt, RB_ERR_DATA,
            ":2: column price: not a number: '1234.56' (--decimal ',' takes a comma as the decimal mark: "
            "1234,56)");
    refused("symbol;date;price;volume\nA;2000-01-03;1;1.000e3\n", &opt, RB_ERR_DATA,
            ":2: column volume: not a number: '1.000e3' (--decimal ',' takes a comma as the decimal mark: "
            "1234,56)");
    refused("symbol;date;price\nA;2000-01-03;1,2,3\n", &opt, RB_ERR_DATA, ":2: column price: not a number: '1,2,3'");
}

Test(import, decimal_point_names_a_decimal_comma_or_a_thousands_separator)
{
    refused("symbol;date;price\nA;2000-01-03;1234,56\n", NULL, RB_ERR_DATA,
            ":2: column price: not a number: '1234,56' (a decimal comma needs --decimal ','; a thousands "
            "separator is not accepted)");
    refused("symbol;date;price\nA;2000-01-03;1,234.56\n", NULL, RB_ERR_DATA,
            ":2: column price: not a number: '1,234.56' (a thousands separator is not accepted: 1234.56, or "
            "1234,56 with --decimal ',')");
}

Test(import, decimal_comma_cannot_share_the_comma_delimiter)
{
    rb_import_options opt = decimal_comma();
    refused("symbol,date,price\nA,2000-01-03,\"1,5\"\n", &opt, RB_ERR_DATA,
            ": --decimal ',' needs fields separated by ';' or tab, but the header is separated by ',' (give "
            "--delimiter if the detection is wrong)");
    opt.delimiter = ',';
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "c.csv", "symbol,date,price\nA,2000-01-03,\"1,5\"\n");
    rb_error e;
    rb_import_stats st;
    cr_assert_eq(import_n(s.db, (const char *const *)&p, 1, &opt, &st, &e), RB_ERR_USAGE);
    cr_assert_str_eq(e.msg, "--decimal ',' cannot go with --delimiter ',' (a decimal comma needs ';' or tab "
                            "between fields)");
    opt.delimiter = '\t';
    opt.decimal = ';';
    cr_assert_eq(import_n(s.db, (const char *const *)&p, 1, &opt, &st, &e), RB_ERR_USAGE);
    cr_assert_str_eq(e.msg, "--decimal: ';' is not a decimal mark ('.' or ',')");
    free(p);
    scratch_free(&s);
}

/* ---------------------------------------------------------------- files without dates */

/* The UTC time of y-m-d h:m, computed by the C library (not by the code under test). */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm);
}

static rb_import_options undated(const char *start, rb_bar_calendar every)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.start = start;
    opt.every = every;
    return opt;
}

/* Imports text with opt into a fresh store and checks symbol's bars are exactly at want[0..n). */
static void expect_bar_times(const char *text, const rb_import_options *opt, const char *symbol, const int64_t *want,
                             size_t n)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "u.csv", text);
    import_ok(s.db, p, opt);
    cr_assert_eq(q_int(s.db, "SELECT count(*) FROM bars b JOIN assets a ON a.id = b.asset_id WHERE a.symbol = ?1",
                       symbol),
                 (int64_t)n, "%s: bar count", symbol);
    for (size_t k = 0; k < n; k++) cr_assert_eq(close_of(s.db, symbol, want[k]), (double)(k + 1), "bar %zu", k);
    free(p);
    scratch_free(&s);
}

Test(import, undated_business_days_skip_weekends)
{
    /* 2020-01-02 is a Thursday. */
    const int64_t want[] = {utc(2020, 1, 2, 0, 0), utc(2020, 1, 3, 0, 0), utc(2020, 1, 6, 0, 0),
                            utc(2020, 1, 7, 0, 0), utc(2020, 1, 8, 0, 0), utc(2020, 1, 9, 0, 0),
                            utc(2020, 1, 10, 0, 0), utc(2020, 1, 13, 0, 0)};
    rb_import_options opt = undated("2020-01-02", RB_BARS_BUSINESS_DAY);
    expect_bar_times("bar,A0,A1\n0,1,1\n1,2,2\n2,3,3\n3,4,4\n4,5,5\n5,6,6\n6,7,7\n7,8,8\n", &opt, "A0", want, 8);
    /* Starting on a Friday: the weekend comes right after bar 0. */
    const int64_t fri[] = {utc(2020, 1, 3, 0, 0), utc(2020, 1, 6, 0, 0), utc(2020, 1, 7, 0, 0)};
    opt.start = "2020-01-03";
    expect_bar_times("bar,A0\n0,1\n1,2\n2,3\n", &opt, "A0", fri, 3);
}

Test(import, undated_business_days_over_decades_match_the_c_library)
{
    /* 20,000 business days from Monday 1990-01-01, every weekday of the C library's calendar. */
    enum { N = 20000 };
    char *text = malloc(N * 16 + 16), *w = text;
    w += sprintf(w, "A\n");
    for (int k = 0; k < N; k++) w += sprintf(w, "%d\n", k + 1);
    rb_import_options opt = undated("1990-01-01", RB_BARS_BUSINESS_DAY);
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "u.csv", text);
    import_ok(s.db, p, &opt);
    rb_store *st = open_db(s.db);
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_prepare_v2(st->db, "SELECT ts, close FROM bars ORDER BY ts", -1, &q, NULL), SQLITE_OK);
    int64_t day = utc(1990, 1, 1, 0, 0);
    for (int k = 0; k < N; k++, day += DAY) {
        struct tm tm;
        time_t t = (time_t)day;
        gmtime_r(&t, &tm);
        if (tm.tm_wday == 0 || tm.tm_wday == 6) {
            k--;
            continue;
        }
        cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
        cr_assert_eq(sqlite3_column_int64(q, 0), day, "bar %d", k);
        cr_assert_eq(sqlite3_column_double(q, 1), k + 1);
    }
    cr_assert_eq(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    rb_store_free(st);
    free(p);
    free(text);
    scratch_free(&s);
}

Test(import, undated_months_keep_the_day_or_take_the_months_last)
{
    const int64_t leap[] = {utc(2020, 1, 31, 0, 0), utc(2020, 2, 29, 0, 0), utc(2020, 3, 31, 0, 0),
                            utc(2020, 4, 30, 0, 0), utc(2020, 5, 31, 0, 0), utc(2020, 6, 30, 0, 0)};
    rb_import_options opt = undated("2020-01-31", RB_BARS_MONTH);
    expect_bar_times("A\n1\n2\n3\n4\n5\n6\n", &opt, "A", leap, 6);
    const int64_t plain[] = {utc(2021, 1, 31, 0, 0), utc(2021, 2, 28, 0, 0), utc(2021, 3, 31, 0, 0)};
    opt.start = "2021-01-31";
    expect_bar_times("A\n1\n2\n3\n", &opt, "A", plain, 3);
    /* Across a year end, from the 15th. */
    const int64_t dec[] = {utc(2020, 11, 15, 0, 0), utc(2020, 12, 15, 0, 0), utc(2021, 1, 15, 0, 0)};
    opt.start = "2020-11-15";
    expect_bar_times("A\n1\n2\n3\n", &opt, "A", dec, 3);
}

Test(import, undated_days_weeks_hours_and_minutes_keep_the_start_time)
{
    const int64_t days[] = {utc(2020, 2, 28, 16, 0), utc(2020, 2, 29, 16, 0), utc(2020, 3, 1, 16, 0)};
    rb_import_options opt = undated("2020-02-28T16:00:00Z", RB_BARS_DAY);
    expect_bar_times("A\n1\n2\n3\n", &opt, "A", days, 3);
    const int64_t weeks[] = {utc(2020, 12, 24, 0, 0), utc(2020, 12, 31, 0, 0), utc(2021, 1, 7, 0, 0)};
    opt = undated("2020-12-24", RB_BARS_WEEK);
    expect_bar_times("A\n1\n2\n3\n", &opt, "A", weeks, 3);
    const int64_t hours[] = {utc(2020, 12, 31, 22, 0), utc(2020, 12, 31, 23, 0), utc(2021, 1, 1, 0, 0)};
    opt = undated("2020-12-31T22:00:00Z", RB_BARS_HOUR);
    expect_bar_times("A\n1\n2\n3\n", &opt, "A", hours, 3);
    const int64_t minutes[] = {utc(2020, 1, 2, 9, 59), utc(2020, 1, 2, 10, 0), utc(2020, 1, 2, 10, 1)};
    opt = undated("2020-01-02 09:59", RB_BARS_MINUTE);
    expect_bar_times("A\n1\n2\n3\n", &opt, "A", minutes, 3);
}

Test(import, undated_bar_numbers_from_0_or_1_with_any_index_header)
{
    const int64_t want[] = {utc(2020, 1, 1, 0, 0), utc(2020, 1, 2, 0, 0), utc(2020, 1, 3, 0, 0)};
    rb_import_options opt = undated("2020-01-01", RB_BARS_DAY);
    expect_bar_times(",A\n0,1\n1,2\n2,3\n", &opt, "A", want, 3);       /* pandas' unnamed index */
    expect_bar_times("Index,A\n1,1\n2,2\n3,3\n", &opt, "A", want, 3);  /* from 1, any case */
    expect_bar_times("idx;A\n 0 ;1\n1;2\n2;3\n", &opt, "A", want, 3);  /* blanks around */
    expect_bar_times("bar,A,B\n0,1,\n1,2,\n2,3,9\n", &opt, "A", want, 3); /* empty cells: no bar */
    expect_bar_times("bar,A,B\n0,,1\n1,,2\n2,,3\n", &opt, "B", want, 3);
    /* An OHLCV file, with and without bar numbers: the symbol is --symbol. */
    opt.symbol = "O";
    expect_bar_times("bar,open,high,low,close\n0,1,1,1,1\n1,2,2,2,2\n2,3,3,3,3\n", &opt, "O", want, 3);
    expect_bar_times("open,high,low,close,volume\n1,1,1,1,5\n2,2,2,2,5\n3,3,3,3,5\n", &opt, "O", want, 3);
}

Test(import, undated_files_each_start_at_the_start)
{
    scratch s = scratch_new();
    char *a = rbt_write_file(s.dir, "a.csv", "bar,A\n0,1\n1,2\n");
    char *b = rbt_write_file(s.dir, "b.csv", "bar,B\n0,3\n1,4\n2,5\n");
    const char *paths[] = {a, b};
    rb_import_options opt = undated("2020-01-06", RB_BARS_WEEK);
    rb_error e;
    rb_import_stats st;
    cr_assert_eq(import_n(s.db, paths, 2, &opt, &st, &e), RB_OK, "%s", e.msg);
    cr_assert_eq(st.bars_added, 5);
    cr_assert_eq(close_of(s.db, "A", utc(2020, 1, 13, 0, 0)), 2);
    cr_assert_eq(close_of(s.db, "B", utc(2020, 1, 6, 0, 0)), 3);
    cr_assert_eq(close_of(s.db, "B", utc(2020, 1, 20, 0, 0)), 5);
    cr_assert_eq(q_int(s.db, "SELECT count(*) FROM imports WHERE format = ?1", "wide"), 2);
    free(a);
    free(b);
    scratch_free(&s);
}

/* Bar numbers are checked in file order, so a file the size the importer would split between
 * two threads is read by one; the last bar and one in the middle land on their dates. */
Test(import, undated_large_file_numbers_every_row)
{
    enum { N = 120000 };
    char *text = malloc((size_t)N * 24 + 32), *w = text;
    w += sprintf(w, "bar,A,B\n");
    for (int k = 0; k < N; k++) w += sprintf(w, "%d,%d.25,%d.5\n", k, k + 1, k + 2);
    cr_assert_gt(w - text, 1 << 20, "the file must be large enough for the two-thread parse");
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "big.csv", text);
    rb_import_options opt = undated("2000-01-01", RB_BARS_HOUR);
    rb_import_stats st = import_ok(s.db, p, &opt);
    cr_assert_eq(st.bars_added, 2 * N);
    cr_assert_eq(close_of(s.db, "A", utc(2000, 1, 1, 0, 0) + (int64_t)(N / 2 + 7) * 3600), N / 2 + 8.25);
    cr_assert_eq(close_of(s.db, "B", utc(2000, 1, 1, 0, 0) + (int64_t)(N - 1) * 3600), N + 1.5);
    /* A gap near the end is found there. */
    w = text + sprintf(text, "bar,A,B\n");
    for (int k = 0; k < N; k++) w += sprintf(w, "%d,1,1\n", k + (k >= N - 10));
    free(p);
    p = rbt_write_file(s.dir, "gap.csv", text);
    rb_error e;
    rb_import_stats st2;
    cr_assert_eq(import_n(s.db, (const char *const *)&p, 1, &opt, &st2, &e), RB_ERR_DATA);
    char want[600];
    snprintf(want, sizeof want, "%s:%d: column bar: bar number %d after %d; bar numbers count up by one (no gaps, "
                                "in order)", p, N - 10 + 2, N - 9, N - 11);
    cr_assert_str_eq(e.msg, want);
    free(p);
    free(text);
    scratch_free(&s);
}

Test(import, undated_bar_numbers_that_do_not_count_up_by_one_are_refused)
{
    rb_import_options opt = undated("2020-01-01", RB_BARS_DAY);
    refused("bar,A\n0,1\n1,2\n3,3\n", &opt, RB_ERR_DATA,
            ":4: column bar: bar number 3 after 1; bar numbers count up by one (no gaps, in order)");
    refused("bar,A\n0,1\n2,2\n1,3\n", &opt, RB_ERR_DATA,
            ":3: column bar: bar number 2 after 0; bar numbers count up by one (no gaps, in order)");
    refused("bar,A\n0,1\n0,2\n", &opt, RB_ERR_DATA,
            ":3: column bar: bar number 0 after 0; bar numbers count up by one (no gaps, in order)");
    refused("bar,A\n2,1\n3,2\n", &opt, RB_ERR_DATA,
            ":2: column bar: the first bar number is 2; bar numbers count up by one from 0 or 1");
    refused(",A\n0,1\n1.0,2\n", &opt, RB_ERR_DATA,
            ":3: column 1: not a bar number: '1.0' (whole numbers counting up by one from 0 or 1)");
    refused("bar,A\n-1,1\n", &opt, RB_ERR_DATA,
            ":2: column bar: not a bar number: '-1' (whole numbers counting up by one from 0 or 1)");
    refused("bar,A\n,1\n", &opt, RB_ERR_DATA,
            ":2: column bar: not a bar number: '' (whole numbers counting up by one from 0 or 1)");
}

Test(import, undated_refuses_dates_long_files_and_half_a_calendar)
{
    rb_import_options opt = undated("2020-01-01", RB_BARS_DAY);
    refused("date,A\n2020-01-01,1\n", &opt, RB_ERR_DATA,
            ":1: column 'date' holds dates: --start and --every are for files without a date column");
    refused("bar,time,A\n0,2020-01-01,1\n", &opt, RB_ERR_DATA,
            ":1: column 'time' holds dates: --start and --every are for files without a date column");
    refused("symbol,price\nA,1\n", &opt, RB_ERR_DATA,
            ":1: a long file (symbol column 'symbol') needs a date column: --start and --every number the rows of "
            "a wide or OHLCV file, one bar per row");
    refused("bar\n0\n", &opt, RB_ERR_DATA, ":1: a wide file needs at least one symbol column after the bar numbers");
    opt.start = "9999-12-30";
    refused("A\n1\n2\n3\n", &opt, RB_ERR_DATA, ":4: bar 2 of --every day from --start 9999-12-30 falls after 9999-12-31");
    opt = undated("9999-11-30", RB_BARS_MONTH);
    refused("A\n1\n2\n3\n", &opt, RB_ERR_DATA,
            ":4: bar 2 of --every month from --start 9999-11-30 falls after 9999-12-31");

    struct {
        const char *start;
        rb_bar_calendar every;
        const char *date_format;
        const char *want;
    } usage[] = {
        {"2020-01-01", RB_BARS_DATED, NULL,
         "--start needs --every (day, business-day, week, month, hour or minute): the calendar of the bars from it"},
        {NULL, RB_BARS_MONTH, NULL, "--every month needs --start DATE: the date of the first bar"},
        {"2020-01-01", RB_BARS_DAY, "%Y-%m-%d",
         "--date-format reads a date column; with --start and --every the dates are generated"},
        {"2020-01-04", RB_BARS_BUSINESS_DAY, NULL,
         "--start 2020-01-04 is a Saturday; business-day bars fall on Monday to Friday"},
        {"2020-01-05", RB_BARS_BUSINESS_DAY, NULL,
         "--start 2020-01-05 is a Sunday; business-day bars fall on Monday to Friday"},
        {"01/02/2020", RB_BARS_DAY, NULL, "--start: ambiguous date '01/02/2020'"},
        {"2020-01-01", (rb_bar_calendar)99, NULL, "invalid --every calendar 99"},
    };
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "u.csv", "A\n1\n");
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        opt = undated(usage[i].start, usage[i].every);
        opt.date_format = usage[i].date_format;
        rb_error e;
        rb_import_stats st;
        cr_assert_eq(import_n(s.db, (const char *const *)&p, 1, &opt, &st, &e), RB_ERR_USAGE, "case %zu", i);
        cr_assert(strncmp(e.msg, usage[i].want, strlen(usage[i].want)) == 0, "case %zu: got '%s'", i, e.msg);
    }
    cr_assert_eq(access(s.db, F_OK), -1, "a refused import left a store");
    free(p);
    scratch_free(&s);
}

/* ---------------------------------------------------------------- refused input */

Test(import, wrong_field_count)
{
    refused("symbol,date,price\nA,2000-01-03,1\nA,2000-01-04,1,9\n", NULL, RB_ERR_DATA,
            ":3: expected 3 fields, found 4");
}

Test(import, too_few_fields)
{
    refused("symbol,date,price\nA,2000-01-03\n", NULL, RB_ERR_DATA, ":2: expected 3 fields, found 2");
}

Test(import, bad_date)
{
    refused("symbol,date,price\nA,2000-01-03,1\nA,abc,1\n", NULL, RB_ERR_DATA,
            ":3: column date: not a date: 'abc'");
}

Test(import, non_numeric_price)
{
    refused("symbol,date,price\nA,2000-01-03,abc\n", NULL, RB_ERR_DATA,
            ":2: column price: not a number: 'abc'");
}

Test(import, trailing_junk_after_number)
{
    refused("symbol,date,price\nA,2000-01-03,12x\n", NULL, RB_ERR_DATA,
            ":2: column price: not a number: '12x'");
}

Test(import, hex_number)
{
    refused("symbol,date,price\nA,2000-01-03,0x10\n", NULL, RB_ERR_DATA,
            ":2: column price: not a number: '0x10'");
}

Test(import, infinite_price)
{
    refused("symbol,date,price\nA,2000-01-03,inf\n", NULL, RB_ERR_DATA,
            ":2: column price: not a finite number: 'inf'");
}

Test(import, infinity_word)
{
    refused("symbol,date,price\nA,2000-01-03,Infinity\n", NULL, RB_ERR_DATA,
            ":2: column price: not a finite number: 'Infinity'");
}

Test(import, nan_price)
{
    refused("symbol,date,price\nA,2000-01-03,nan\n", NULL, RB_ERR_DATA,
            ":2: column price: not a finite number: 'nan'");
}

Test(import, overflowing_price)
{
    refused("symbol,date,price\nA,2000-01-03,1e999\n", NULL, RB_ERR_DATA,
            ":2: column price: not a finite number: '1e999'");
}

Test(import, negative_price)
{
    refused("symbol,date,price\nA,2000-01-03,-3\n", NULL, RB_ERR_DATA,
            ":2: column price: price must be positive: '-3'");
}

Test(import, zero_price)
{
    refused("symbol,date,price\nA,2000-01-03,0\n", NULL, RB_ERR_DATA,
            ":2: column price: price must be positive: '0'");
}

Test(import, zero_open)
{
    refused("symbol,date,open,close\nA,2000-01-03,0,1\n", NULL, RB_ERR_DATA,
            ":2: column open: price must be positive: '0'");
}

Test(import, high_below_low)
{
    refused("symbol,date,open,high,low,close\nA,2000-01-03,11,10,12,11\n", NULL, RB_ERR_DATA,
            ":2: column high: high 10 is below low 12");
}

Test(import, negative_volume)
{
    refused("symbol,date,close,volume\nA,2000-01-03,1,-5\n", NULL, RB_ERR_DATA,
            ":2: column volume: volume must not be negative: '-5'");
}

Test(import, non_numeric_volume)
{
    refused("symbol,date,close,volume\nA,2000-01-03,1,lots\n", NULL, RB_ERR_DATA,
            ":2: column volume: not a number: 'lots'");
}

Test(import, empty_price)
{
    refused("symbol,date,price\nA,2000-01-03,\n", NULL, RB_ERR_DATA, ":2: column price: missing price");
}

Test(import, empty_close_in_ohlcv)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.symbol = "X";
    refused("date,open,high,low,close\n2000-01-03,1,2,1,\n", &opt, RB_ERR_DATA,
            ":2: column close: missing price");
}

Test(import, first_problem_in_column_order)
{
    refused("symbol,date,price\nA,bad,alsobad\n", NULL, RB_ERR_DATA, ":2: column date: not a date: 'bad'");
}

Test(import, empty_symbol)
{
    refused("symbol,date,price\n\"\",2000-01-03,1\n", NULL, RB_ERR_DATA, ":2: column symbol: empty symbol");
}

Test(import, symbol_too_long)
{
    char text[300];
    snprintf(text, sizeof text, "symbol,date,price\n%s,2000-01-03,1\n",
             "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCD"); /* 64 bytes */
    refused(text, NULL, RB_ERR_DATA,
            ":2: column symbol: symbol longer than 63 bytes: 'ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ...'");
}

Test(import, symbol_of_63_bytes_is_fine)
{
    scratch s = scratch_new();
    const char *sym = "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABC";
    char text[300];
    snprintf(text, sizeof text, "symbol,date,price\n%s,2000-01-03,1\n", sym);
    char *p = rbt_write_file(s.dir, "a.csv", text);
    import_ok(s.db, p, NULL);
    cr_assert_eq(close_of(s.db, sym, D20000103), 1);
    free(p);
    scratch_free(&s);
}

Test(import, symbol_with_control_characters)
{
    refused("symbol,date,price\n\"A\tB\",2000-01-03,1\n", NULL, RB_ERR_DATA,
            ":2: column symbol: symbol contains a control character (U+0009 at byte 2): 'A\\tB'");
    refused("symbol,date,price\n\"A\nB\",2000-01-03,1\n", NULL, RB_ERR_DATA,
            ":2: column symbol: symbol contains a control character (U+000A at byte 2): 'A\\nB'");
}

Test(import, reserved_cash_symbol)
{
    refused("symbol,date,price\ncash,2000-01-03,1\n", NULL, RB_ERR_DATA,
            ":2: column symbol: symbol 'cash' is reserved for the cash position");
    refused("date,AAA,CASH\n2000-01-03,1,1\n", NULL, RB_ERR_DATA,
            ":1: column 3: symbol 'CASH' is reserved for the cash position");
}

/* `--assets SYM=W,...` splits at ',' and ends a symbol at its first '=': a symbol holding
 * either could be stored but never named, so the import refuses it with a rename. */
Test(import, symbols_that_assets_cannot_name_are_refused_with_a_rename)
{
    refused("date,AAA,=CMD\n2000-01-03,1,1\n", NULL, RB_ERR_DATA,
            ":1: column 3: symbol '=CMD' contains '=', which --assets SYM=W,... and sweep files cannot name: rename it, "
            "e.g. 'CMD'");
    refused("date,AAA,X=1\n2000-01-03,1,1\n", NULL, RB_ERR_DATA,
            ":1: column 3: symbol 'X=1' contains '=', which --assets SYM=W,... and sweep files cannot name: rename it, "
            "e.g. 'X_1'");
    refused("symbol,date,price\nAAA,2000-01-03,1\n\"B,C\",2000-01-03,1\n", NULL, RB_ERR_DATA,
            ":3: column symbol: symbol 'B,C' contains ',', which --assets SYM=W,... and sweep files cannot name: rename it, "
            "e.g. 'B_C'");
    refused("symbol;date;price\nAAA;2000-01-03;1\n,=,;2000-01-03;1\n", NULL, RB_ERR_DATA,
            ":3: column symbol: symbol ',=,' contains ',', which --assets SYM=W,... and sweep files cannot name: rename it");
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.symbol = "SPX=1";
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "o.csv", "date,close\n2000-01-03,1\n");
    rb_error e;
    rb_import_stats st;
    cr_assert_eq(import_n(s.db, (const char *const *)&p, 1, &opt, &st, &e), RB_ERR_USAGE);
    cr_assert_str_eq(e.msg, "--symbol: symbol 'SPX=1' contains '=', which --assets SYM=W,... and sweep files cannot name: "
                            "rename it, e.g. 'SPX_1'");
    free(p);
    scratch_free(&s);
}

/* A blank inside a symbol or a double quote is refused too: a symbol is one word on a shell
 * command line, in `rebal runs --where` and in a sweep file's lists, where items may be quoted. */
Test(import, symbols_with_blanks_or_quotes_are_refused_with_a_rename)
{
    refused("date,AAA,S&P 500\n2000-01-03,1,1\n", NULL, RB_ERR_DATA,
            ":1: column 3: symbol 'S&P 500' contains a blank, which --assets SYM=W,... and sweep files cannot "
            "name: rename it, e.g. 'S&P_500'");
    refused("date,\"Q\"\"X\"\n2000-01-03,1\n", NULL, RB_ERR_DATA,
            ":1: column 2: symbol 'Q\"X' contains a double quote, which --assets SYM=W,... and sweep files cannot "
            "name: rename it, e.g. 'Q_X'");
    refused("symbol,date,price\nAAA,2000-01-03,1\nBRK B,2000-01-03,1\n", NULL, RB_ERR_DATA,
            ":3: column symbol: symbol 'BRK B' contains a blank, which --assets SYM=W,... and sweep files cannot "
            "name: rename it, e.g. 'BRK_B'");
}

/* What --assets and sweep files can name stays importable: blanks around a symbol (trimmed),
 * ';', '&', '|', non-ASCII. */
Test(import, symbols_assets_can_name_stay_importable)
{
    scratch s = scratch_new();
    char *p = rbt_write_file(s.dir, "w.csv", "date, S&P500 ,A;B,A|B,\xc3\x84X\n2000-01-03,1,2,3,4\n");
    import_ok(s.db, p, NULL);
    cr_assert_eq(close_of(s.db, "S&P500", D20000103), 1);
    cr_assert_eq(close_of(s.db, "A;B", D20000103), 2);
    cr_assert_eq(close_of(s.db, "A|B", D20000103), 3);
    cr_assert_eq(close_of(s.db, "\xc3\x84X", D20000103), 4);
    free(p);
    scratch_free(&s);
}

Test(import, long_offending_text_is_cut)
{
    refused("symbol,date,price\nA,2000-01-03,12345678901234567890123456789012345678901234567890x\n", NULL,
            RB_ERR_DATA, ":2: column price: not a number: '1234567890123456789012345678901234567890...'");
}

Test(import, duplicate_with_different_values)
{
    refused_like("symbol,date,price\nMSFT,2000-01-01,39.81\nAAPL,2000-01-01,1\nMSFT,2000-01-01,40\n", NULL,
                 RB_ERR_DATA, ":4: MSFT 2000-01-01 appears twice with different values (first at ");
}

Test(import, duplicate_message_names_both_places)
{
    scratch s = scratch_new();
    char *a = rbt_write_file(s.dir, "a.csv", "symbol,date,price\nMSFT,2000-01-01,39.81\n");
    char *b = rbt_write_file(s.dir, "b.csv", "symbol,date,price\nX,2000-01-01,1\nMSFT,2000-01-01,40\n");
    const char *paths[] = {a, b};
    rb_error e;
    rb_import_stats st;
    cr_assert_eq(import_n(s.db, paths, 2, NULL, &st, &e), RB_ERR_DATA);
    char want[1200];
    snprintf(want, sizeof want, "%s:3: MSFT 2000-01-01 appears twice with different values (first at %s:2)",
             b, a);
    cr_assert_str_eq(e.msg, want);
    cr_assert_eq(access(s.db, F_OK), -1, "a store created by a failed first import is removed");
    free(a);
    free(b);
    scratch_free(&s);
}

Test(import, duplicate_before_a_later_bad_row_is_reported_first)
{
    refused_like("symbol,date,price\nA,2000-01-03,1\nA,2000-01-03,2\nA,2000-01-04,bad\n", NULL, RB_ERR_DATA,
                 ":3: A 2000-01-03 appears twice with different values (first at ");
}

Test(import, empty_file) { refused("", NULL, RB_ERR_DATA, ": empty file"); }

Test(import, only_blank_lines) { refused("\n \n", NULL, RB_ERR_DATA, ": empty file (only blank lines)"); }

Test(import, header_only) { refused("symbol,date,price\n", NULL, RB_ERR_DATA, ": no data rows"); }

Test(import, unterminated_quote)
{
    refused("symbol,date,price\nA,2000-01-03,1\n\"B,2000-01-04,2\n", NULL, RB_ERR_DATA,
            ":3: field 1: a quoted field is never closed (it runs to the end of the file)");
}

Test(import, malformed_quoting)
{
    refused("symbol,date,price\nA,2000-01-03,\"1\"x\n", NULL, RB_ERR_DATA,
            ":2: column price: malformed quoting (a quote inside an unquoted field, or text after a closing "
            "quote)");
}

Test(import, no_date_column)
{
    refused("symbol,day,price\nA,2000-01-03,1\n", NULL, RB_ERR_DATA,
            ":1: no date column (expected one named date, time, timestamp or datetime; numbered bars without "
            "dates need --start DATE --every CALENDAR)");
}

Test(import, unknown_column_in_long_file)
{
    refused("symbol,date,price,name\nA,2000-01-03,1,x\n", NULL, RB_ERR_DATA,
            ":1: unknown column 'name' (a long file has symbol, date, open, high, low, close or price, "
            "adjclose and volume)");
}

Test(import, same_field_twice)
{
    refused("symbol,date,close,price\nA,2000-01-03,1,1\n", NULL, RB_ERR_DATA,
            ":1: columns 'close' and 'price' give the same field");
}

Test(import, wide_symbol_twice)
{
    refused("date,A,B,A\n2000-01-03,1,2,3\n", NULL, RB_ERR_DATA,
            ":1: column 'A' appears twice (columns 2 and 4)");
}

Test(import, explicit_format_long_without_symbol_column)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.format = RB_CSV_LONG;
    refused("date,AAA\n2000-01-03,1\n", &opt, RB_ERR_DATA,
            ":1: --format long needs a symbol column (named symbol, ticker or asset)");
}

Test(import, explicit_format_ohlcv_on_a_long_file)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.format = RB_CSV_OHLCV;
    opt.symbol = "X";
    refused("symbol,date,close\nA,2000-01-03,1\n", &opt, RB_ERR_DATA,
            ":1: --format ohlcv: the file has a symbol column 'symbol' (a long file)");
}

Test(import, explicit_format_long_without_price)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.format = RB_CSV_LONG;
    refused("symbol,date,volume\nA,2000-01-03,1\n", &opt, RB_ERR_DATA,
            ":1: --format long needs a price or close column");
}

Test(import, ohlcv_without_symbol_option)
{
    refused("date,open,high,low,close,volume\n2000-01-03,1,2,1,1,5\n", NULL, RB_ERR_DATA,
            ": OHLCV file needs --symbol");
}

Test(import, symbol_option_on_a_long_file)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.symbol = "X";
    refused("symbol,date,price\nA,2000-01-03,1\n", &opt, RB_ERR_DATA,
            ": has a symbol column; --symbol applies to OHLCV files");
}

Test(import, symbol_option_on_a_wide_file)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.symbol = "X";
    refused("date,AAA,BBB\n2000-01-03,1,2\n", &opt, RB_ERR_DATA,
            ": a wide file names its symbols in the header; --symbol applies to OHLCV files");
}

Test(import, price_adjclose_on_a_wide_file)
{
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.price = RB_PRICE_ADJCLOSE;
    refused("date,AAA\n2000-01-03,1\n", &opt, RB_ERR_DATA,
            ":1: --price adjclose needs an adjclose column (a wide file holds closes)");
}

Test(import, unreadable_file)
{
    scratch s = scratch_new();
    seed(&s);
    char *missing = rbt_path(s.dir, "missing.csv");
    rb_error e;
    rb_import_stats st;
    cr_assert_eq(import_n(s.db, (const char *const *)&missing, 1, NULL, &st, &e), RB_ERR_IO);
    char want[600];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", missing);
    cr_assert_str_eq(e.msg, want);
    cr_assert(rbt_same_bytes(s.db, s.snap));
    /* a directory opens but cannot be read */
    cr_assert_eq(import_n(s.db, (const char *const *)&s.dir, 1, NULL, &st, &e), RB_ERR_IO);
    cr_assert(strstr(e.msg, "read error"), "%s", e.msg);
    cr_assert(rbt_same_bytes(s.db, s.snap));
    free(missing);
    scratch_free(&s);
}

Test(import, invalid_options_are_usage_errors)
{
    scratch s = scratch_new();
    rb_store *st = open_db(s.db);
    rb_error e;
    rb_import_stats stats;
    cr_assert_eq(rb_import_files(st, NULL, 0, NULL, &stats, &e), RB_ERR_USAGE);
    cr_assert_str_eq(e.msg, "no files to import");
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.symbol = "Cash";
    const char *path = "unused.csv";
    cr_assert_eq(rb_import_files(st, &path, 1, &opt, &stats, &e), RB_ERR_USAGE);
    cr_assert_str_eq(e.msg, "--symbol: symbol 'Cash' is reserved for the cash position");
    rb_store_free(st);
    scratch_free(&s);
}

Test(import, options_init_defaults)
{
    rb_import_options opt;
    memset(&opt, 0x5a, sizeof opt);
    rb_import_options_init(&opt);
    cr_assert_eq(opt.format, RB_CSV_AUTO);
    cr_assert_null(opt.symbol);
    cr_assert_eq(opt.price, RB_PRICE_CLOSE);
    cr_assert_eq(opt.delimiter, 0);
    cr_assert_null(opt.date_format);
    cr_assert_eq(opt.replace, 0);
}

/* ---------------------------------------------------------------- the store */

Test(import, second_import_changes_nothing)
{
    scratch s = scratch_new();
    char *p = rbt_source_path("data/bundled/stocks_monthly.csv");
    rb_import_stats first = import_ok(s.db, p, NULL);
    cr_assert_eq(first.bars_added, 560);
    rbt_copy_file(s.db, s.snap);
    rb_import_stats again = import_ok(s.db, p, NULL);
    cr_assert_eq(again.rows, 560);
    cr_assert_eq(again.bars_added, 0);
    cr_assert_eq(again.bars_unchanged, 560);
    cr_assert_eq(again.bars_replaced, 0);
    cr_assert_eq(again.assets_added, 0);
    cr_assert(rbt_same_store(s.db, s.snap), "re-importing changed the database file");
    cr_assert_eq(q_int(s.db, "SELECT count(*) FROM imports", NULL), 1);
    free(p);
    scratch_free(&s);
}

Test(import, conflict_is_refused_and_replace_overwrites)
{
    scratch s = scratch_new();
    char *a = rbt_write_file(s.dir, "a.csv", "symbol,date,price\nMSFT,2000-01-01,40\nMSFT,2000-01-02,41\n");
    char *b =
        rbt_write_file(s.dir, "b.csv", "symbol,date,price\nMSFT,2000-01-03,42\nMSFT,2000-01-01,39.81\n");
    import_ok(s.db, a, NULL);
    rbt_copy_file(s.db, s.snap);
    rb_error e;
    rb_import_stats st;
    cr_assert_eq(import_n(s.db, (const char *const *)&b, 1, NULL, &st, &e), RB_ERR_CONFLICT);
    char want[600];
    snprintf(want, sizeof want,
             "%s:3: MSFT 2000-01-01: close 39.81 differs from the stored 40 (use --replace to overwrite)", b);
    cr_assert_str_eq(e.msg, want);
    cr_assert(rbt_same_store(s.db, s.snap), "a refused conflict changed the database");

    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.replace = 1;
    st = import_ok(s.db, b, &opt);
    cr_assert_eq(st.bars_replaced, 1);
    cr_assert_eq(st.bars_added, 1);
    cr_assert_eq(close_of(s.db, "MSFT", D20000101), 39.81);
    cr_assert_eq(close_of(s.db, "MSFT", D20000102), 41);
    cr_assert_eq(close_of(s.db, "MSFT", D20000103), 42);
    cr_assert_eq(
        q_int(s.db, "SELECT count(*) FROM imports WHERE source = ?1 AND bars_replaced = 1 AND bars_added = 1",
              b),
        1);
    free(a);
    free(b);
    scratch_free(&s);
}

Test(import, conflict_on_an_optional_field)
{
    scratch s = scratch_new();
    char *a = rbt_write_file(s.dir, "a.csv", "symbol,date,close,volume\nV,2000-01-03,1,100\n");
    char *b = rbt_write_file(s.dir, "b.csv", "symbol,date,close,volume\nV,2000-01-03,1,\n");
    import_ok(s.db, a, NULL);
    rb_error e;
    rb_import_stats st;
    cr_assert_eq(import_n(s.db, (const char *const *)&b, 1, NULL, &st, &e), RB_ERR_CONFLICT);
    cr_assert(strstr(e.msg, ":2: V 2000-01-03: volume (empty) differs from the stored 100"), "%s", e.msg);
    free(a);
    free(b);
    scratch_free(&s);
}

Test(import, all_or_nothing_across_files)
{
    scratch s = scratch_new();
    seed(&s);
    char *good =
        rbt_write_file(s.dir, "good.csv", "symbol,date,price\nNEW,2000-01-03,1\nSEED,2000-01-04,2\n");
    char *bad =
        rbt_write_file(s.dir, "bad.csv", "symbol,date,price\nOTHER,2000-01-03,1\nOTHER,2000-01-04,-1\n");
    const char *paths[] = {good, bad};
    rb_error e;
    rb_import_stats st;
    cr_assert_eq(import_n(s.db, paths, 2, NULL, &st, &e), RB_ERR_DATA);
    char want[600];
    snprintf(want, sizeof want, "%s:3: column price: price must be positive: '-1'", bad);
    cr_assert_str_eq(e.msg, want);
    cr_assert(rbt_same_bytes(s.db, s.snap));
    cr_assert_eq(q_int(s.db, "SELECT count(*) FROM assets", NULL), 1);

    /* the two files together once the second is fixed; an imports row per file that added bars */
    char *fixed = rbt_write_file(s.dir, "bad.csv", "symbol,date,price\nOTHER,2000-01-03,1\n");
    rb_import_stats ok = {0};
    cr_assert_eq(import_n(s.db, paths, 2, NULL, &ok, &e), RB_OK, "%s", e.msg);
    cr_assert_eq(ok.files, 2);
    cr_assert_eq(ok.rows, 3);
    cr_assert_eq(ok.bars_added, 3);
    cr_assert_eq(ok.assets_added, 2);
    cr_assert_eq(q_int(s.db, "SELECT count(*) FROM imports", NULL), 3);
    /* again, plus a file with one new bar: only that file gets an imports row */
    char *more =
        rbt_write_file(s.dir, "more.csv", "symbol,date,price\nOTHER,2000-01-05,1\nNEW,2000-01-03,1\n");
    const char *three[] = {good, fixed, more};
    cr_assert_eq(import_n(s.db, three, 3, NULL, &ok, &e), RB_OK, "%s", e.msg);
    cr_assert_eq(ok.bars_added, 1);
    cr_assert_eq(ok.bars_unchanged, 3, "NEW 2000-01-03 appears twice but is one bar");
    cr_assert_eq(q_int(s.db, "SELECT count(*) FROM imports", NULL), 4);
    cr_assert_eq(
        q_int(s.db, "SELECT count(*) FROM imports WHERE source = ?1 AND rows = 2 AND bars_added = 1", more),
        1);
    free(good);
    free(bad);
    free(fixed);
    free(more);
    scratch_free(&s);
}

/* ---------------------------------------------------------------- bundled data */

static const rb_asset_info *find_asset(const rb_asset_info *list, size_t n, const char *symbol)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].symbol, symbol) == 0) return &list[i];
    cr_assert_fail("no asset %s", symbol);
    return NULL;
}

Test(import, bundled_stocks_monthly)
{
    scratch s = scratch_new();
    char *p = rbt_source_path("data/bundled/stocks_monthly.csv");
    rb_import_stats st = import_ok(s.db, p, NULL);
    cr_assert_eq(st.rows, 560);
    cr_assert_eq(st.bars_added, 560);
    cr_assert_eq(st.assets_added, 5);
    rb_store *store = open_db(s.db);
    rb_asset_info *list;
    size_t n;
    rb_error e;
    cr_assert_eq(rb_store_list_assets(store, &list, &n, &e), RB_OK, "%s", e.msg);
    rb_store_free(store);
    cr_assert_eq(n, 5);
    const int64_t d20100301 = D20000101 + 3712 * DAY, d20040801 = D20000101 + 1674 * DAY;
    const char *full[] = {"MSFT", "AMZN", "IBM", "AAPL"};
    for (int i = 0; i < 4; i++) {
        const rb_asset_info *a = find_asset(list, n, full[i]);
        cr_assert_eq(a->bars, 123, "%s", full[i]);
        cr_assert_eq(a->first, D20000101, "%s", full[i]);
        cr_assert_eq(a->last, d20100301, "%s", full[i]);
    }
    const rb_asset_info *goog = find_asset(list, n, "GOOG");
    cr_assert_eq(goog->bars, 68);
    cr_assert_eq(goog->first, d20040801);
    cr_assert_eq(goog->last, d20100301);
    free(list);
    /* values read off the file: its first row and its last */
    cr_assert_eq(close_of(s.db, "MSFT", D20000101), 39.81);
    cr_assert_eq(close_of(s.db, "AAPL", d20100301), 223.02);
    cr_assert_eq(close_of(s.db, "GOOG", d20040801), 102.37);
    free(p);
    scratch_free(&s);
}

Test(import, bundled_sp500_daily)
{
    scratch s = scratch_new();
    char *p = rbt_source_path("data/bundled/sp500_daily.csv");
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.symbol = "SPX";
    rb_import_stats st = import_ok(s.db, p, &opt);
    cr_assert_eq(st.rows, 5105);
    cr_assert_eq(st.bars_added, 5105);
    rb_store *store = open_db(s.db);
    rb_asset_info *list;
    size_t n;
    rb_error e;
    cr_assert_eq(rb_store_list_assets(store, &list, &n, &e), RB_OK, "%s", e.msg);
    rb_store_free(store);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(list[0].symbol, "SPX");
    cr_assert_eq(list[0].bars, 5105);
    cr_assert_eq(list[0].first, D20000103);
    cr_assert_eq(list[0].last, D20000101 + 7412 * DAY); /* 2020-04-17 */
    free(list);
    /* 2000-01-03,1469.250000,1478.000000,1438.359985,1455.219971,1455.219971,931800000 */
    cr_assert_eq(bar(s.db, "SPX", D20000103, "open"), 1469.25);
    cr_assert_eq(bar(s.db, "SPX", D20000103, "high"), 1478.0);
    cr_assert_eq(bar(s.db, "SPX", D20000103, "low"), 1438.359985);
    cr_assert_eq(bar(s.db, "SPX", D20000103, "close"), 1455.219971);
    cr_assert_eq(bar(s.db, "SPX", D20000103, "volume"), 931800000.0);
    cr_assert_eq(close_of(s.db, "SPX", D20000101 + 7412 * DAY), 2874.560059);
    free(p);
    scratch_free(&s);
}

/* ---------------------------------------------------------------- large files (two threads) */

#define BIG_SYMS 30
#define BIG_DAYS 3000 /* 90,000 rows, about 2 MB: above the two-thread threshold */

static double big_price(int sym, int day) { return 1 + ((sym * 7 + day) % 1000) / 4.0; }

/* One row of the large test file (without any padding). */
static int big_row(char *buf, size_t len, int s, int d, int bad)
{
    long long ts = (long long)(D20000101 + d * DAY);
    if (bad) return snprintf(buf, len, "S%02d,%lld,oops\n", s, ts);
    return snprintf(buf, len, "S%02d,%lld,%g\n", s, ts, big_price(s, d));
}

/* Writes the large test file, date-major. One row's price cell can be a quoted value padded
 * with pad newlines: row extra_at, or with extra_at == BIG_MIDDLE the row whose padding
 * straddles the byte where the importer splits the file between its two threads. bad_at: the
 * row given a bad price, or -1; *bad_line gets its physical line. Returns the path. */
#define BIG_MIDDLE (-2L)
static char *write_big(const char *dir, const char *name, long extra_at, int pad, long bad_at, long *bad_line)
{
    const char *header = "symbol,date,price\n";
    long nrows = (long)BIG_SYMS * BIG_DAYS;
    if (extra_at == BIG_MIDDLE) {
        /* the importer splits at the first line start after header + (rest / 2) */
        long total = 0, off = 0;
        char row[64];
        for (long r = 0; r < nrows; r++)
            total += big_row(row, sizeof row, (int)(r % BIG_SYMS), (int)(r / BIG_SYMS), r == bad_at);
        long mid = (total + pad + 2) / 2 - pad / 2;
        for (long r = 0; r < nrows; r++) {
            off += big_row(row, sizeof row, (int)(r % BIG_SYMS), (int)(r / BIG_SYMS), r == bad_at);
            if (off > mid) {
                extra_at = r;
                break;
            }
        }
    }
    char *path = rbt_path(dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs(header, f);
    long line = 2;
    for (long r = 0; r < nrows; r++, line++) {
        int s = (int)(r % BIG_SYMS), d = (int)(r / BIG_SYMS);
        if (r == extra_at) {
            fprintf(f, "S%02d,%lld,\"", s, (long long)(D20000101 + d * DAY));
            for (int i = 0; i < pad; i++) fputc('\n', f);
            fprintf(f, "%g\"\n", big_price(s, d));
            line += pad;
            continue;
        }
        char row[64];
        big_row(row, sizeof row, s, d, r == bad_at);
        fputs(row, f);
        if (r == bad_at) *bad_line = line;
    }
    cr_assert_eq(fclose(f), 0);
    return path;
}

/* 1 when the importer's split byte (see write_big) falls inside the padded cell. */
static int straddles_split(const char *path)
{
    size_t n = 0;
    char *text = rbt_read_file(path, &n);
    size_t head = (size_t)(strchr(text, '\n') - text) + 1, mid = head + (n - head) / 2;
    char *open = strchr(text, '"'), *close = open ? strchr(open + 1, '"') : NULL;
    int inside = open && close && (size_t)(open - text) < mid && mid < (size_t)(close - text);
    free(text);
    return inside;
}

static void check_big(const char *db)
{
    cr_assert_eq(n_bars(db), (int64_t)BIG_SYMS * BIG_DAYS);
    /* assets in order of first appearance, like a sequential read */
    for (int s = 0; s < BIG_SYMS; s++) {
        char sym[8];
        snprintf(sym, sizeof sym, "S%02d", s);
        cr_assert_eq(q_int(db, "SELECT id FROM assets WHERE symbol = ?1", sym), s + 1);
    }
    rb_store *store = open_db(db);
    sqlite3_stmt *st;
    cr_assert_eq(
        sqlite3_prepare_v2(store->db,
                           "SELECT a.symbol, b.ts, b.close FROM bars b JOIN assets a ON a.id = b.asset_id",
                           -1, &st, NULL),
        SQLITE_OK);
    long n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int s = atoi((const char *)sqlite3_column_text(st, 0) + 1);
        int d = (int)((sqlite3_column_int64(st, 1) - D20000101) / DAY);
        cr_assert_eq(sqlite3_column_double(st, 2), big_price(s, d), "S%02d day %d", s, d);
        n++;
    }
    sqlite3_finalize(st);
    rb_store_free(store);
    cr_assert_eq(n, (long)BIG_SYMS * BIG_DAYS);
}

Test(import, large_file_matches_its_rows)
{
    scratch s = scratch_new();
    long unused;
    char *p = write_big(s.dir, "big.csv", -1, 0, -1, &unused);
    rb_import_stats st = import_ok(s.db, p, NULL);
    cr_assert_eq(st.rows, (size_t)BIG_SYMS * BIG_DAYS);
    check_big(s.db);
    free(p);
    scratch_free(&s);
}

Test(import, large_file_with_a_quoted_newline_run_across_the_middle)
{
    scratch s = scratch_new();
    long unused;
    char *p = write_big(s.dir, "big.csv", BIG_MIDDLE, 20000, -1, &unused);
    cr_assert(straddles_split(p), "the test file does not exercise the mis-split");
    rb_import_stats st = import_ok(s.db, p, NULL);
    cr_assert_eq(st.rows, (size_t)BIG_SYMS * BIG_DAYS);
    check_big(s.db);
    free(p);
    scratch_free(&s);
}

static void big_refused(long extra_at, int pad, long bad_at)
{
    scratch s = scratch_new();
    long line = 0;
    char *p = write_big(s.dir, "big.csv", extra_at, pad, bad_at, &line);
    if (extra_at == BIG_MIDDLE)
        cr_assert(straddles_split(p), "the test file does not exercise the mis-split");
    rb_error e;
    rb_import_stats st;
    cr_assert_eq(import_n(s.db, (const char *const *)&p, 1, NULL, &st, &e), RB_ERR_DATA);
    char want[600];
    snprintf(want, sizeof want, "%s:%ld: column price: not a number: 'oops'", p, line);
    cr_assert_str_eq(e.msg, want);
    cr_assert_eq(access(s.db, F_OK), -1);
    free(p);
    scratch_free(&s);
}

Test(import, large_file_bad_row_in_the_second_half) { big_refused(-1, 0, (long)BIG_SYMS * BIG_DAYS - 5); }

Test(import, large_file_bad_row_after_a_newline_run)
{
    long n = (long)BIG_SYMS * BIG_DAYS;
    big_refused(BIG_MIDDLE, 20000, n - 5);
    big_refused(n / 4, 300, n - 5);
}

Test(import, large_file_bad_row_in_the_first_half) { big_refused(-1, 0, 100); }
