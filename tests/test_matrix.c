/* test_matrix.c - the price matrix loader: validation, range resolution, union and intersect
 * alignment with forward fill, the cash column, growth factors, flags and periods per year.
 * Stores are filled with direct SQL so every expectation is computed by hand here. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "rebal.h"
#include "store.h"
#include "support.h"

/* A scratch price store in its own temporary directory. */
typedef struct db {
    char *dir, *path;
    rb_store *store;
} db;

static db db_open(void)
{
    db d;
    d.dir = rbt_tempdir();
    d.path = rbt_path(d.dir, "prices.db");
    rb_error err = {0};
    rb_status rc = rb_store_open(d.path, 0, &d.store, &err);
    cr_assert_eq(rc, RB_OK, "rb_store_open: %s", err.msg);
    return d;
}

static void db_close(db *d)
{
    rb_store_free(d->store);
    rbt_rmtree(d->dir);
    free(d->dir);
    free(d->path);
}

static void sql(db *d, const char *text)
{
    char *msg = NULL;
    int rc = sqlite3_exec(d->store->db, text, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", text, msg ? msg : "");
}

static int64_t add_asset(db *d, const char *symbol)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(d->store->db, "INSERT INTO assets(symbol) VALUES (?1)", -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_text(st, 1, symbol, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "%s", sqlite3_errmsg(d->store->db));
    sqlite3_finalize(st);
    return sqlite3_last_insert_rowid(d->store->db);
}

/* Stores one bar; a NaN open or volume is stored as NULL (unknown). */
static void add_bar(db *d, int64_t id, rb_time ts, double open, double close, double volume)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(d->store->db,
                                    "INSERT INTO bars(asset_id, ts, open, high, low, close, volume) "
                                    "VALUES (?1, ?2, ?3, NULL, NULL, ?4, ?5)",
                                    -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, ts);
    if (isnan(open)) sqlite3_bind_null(st, 3);
    else sqlite3_bind_double(st, 3, open);
    sqlite3_bind_double(st, 4, close);
    if (isnan(volume)) sqlite3_bind_null(st, 5);
    else sqlite3_bind_double(st, 5, volume);
    cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "%s", sqlite3_errmsg(d->store->db));
    sqlite3_finalize(st);
}

static rb_time day(int y, unsigned m, unsigned d) { return rb_days_from_civil(y, m, d) * RB_SECONDS_PER_DAY; }

/* Weekday of a midnight time: 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday). */
static int weekday(rb_time t) { return (int)(((t / RB_SECONDS_PER_DAY) % 7 + 10) % 7); }

/* Options for the given symbols, every other field at its default. */
static rb_load_options options(const char *const *symbols, size_t n)
{
    rb_load_options o;
    rb_load_options_init(&o);
    o.symbols = symbols;
    o.nsymbols = n;
    return o;
}

#define CELL(m, field, t, i) ((m)->field[(t) * (m)->N + (i)])

/* A load that must fail: checks the code and the exact message, and that *out is untouched. */
static void expect_error(db *d, const rb_load_options *o, rb_status code, const char *msg)
{
    rb_matrix *sentinel = (rb_matrix *)&sentinel;
    rb_matrix *m = sentinel;
    rb_error err = {0};
    rb_status rc = rb_matrix_load(d->store, o, &m, &err);
    cr_assert_eq(rc, code, "status %d, want %d: %s", rc, code, err.msg);
    cr_assert_eq(err.code, code);
    cr_assert_str_eq(err.msg, msg);
    cr_assert_eq(m, sentinel, "out written on failure");
}

static rb_matrix *expect_load(db *d, const rb_load_options *o)
{
    rb_matrix *m = NULL;
    rb_error err = {0};
    rb_status rc = rb_matrix_load(d->store, o, &m, &err);
    cr_assert_eq(rc, RB_OK, "rb_matrix_load: %s", err.msg);
    cr_assert_not_null(m);
    return m;
}

/* BTC trades every day 2021-01-01 (a Friday) .. 2021-01-12; SPY on weekdays only. Day k of
 * January (0-based index i = k - 1): BTC open 99.5 + i, close 100 + i, volume 1000 + i;
 * SPY open 9.5 + i, close 10 + i, volume 50 + i (NaN volumes when spy_volume is 0). */
static void btc_spy(db *d, int spy_volume)
{
    int64_t btc = add_asset(d, "BTC"), spy = add_asset(d, "SPY");
    for (int i = 0; i < 12; i++) {
        rb_time t = day(2021, 1, (unsigned)(1 + i));
        add_bar(d, btc, t, 99.5 + i, 100 + i, 1000 + i);
        if (weekday(t) < 5) add_bar(d, spy, t, 9.5 + i, 10 + i, spy_volume ? 50 + i : NAN);
    }
}

Test(matrix, options_init_defaults)
{
    rb_load_options o;
    memset(&o, 0xAB, sizeof o);
    rb_load_options_init(&o);
    cr_assert_null(o.symbols);
    cr_assert_eq(o.nsymbols, 0);
    cr_assert_eq(o.has_start, 0);
    cr_assert_eq(o.has_end, 0);
    cr_assert_eq(o.align, RB_ALIGN_UNION);
    cr_assert_eq(o.max_gap, 5);
    cr_assert_eq(o.cash_rate, 0.0);
    cr_assert_eq(o.periods_per_year, 0.0);
    rb_matrix_free(NULL);
}

Test(matrix, union_forward_fills_weekends)
{
    db d = db_open();
    btc_spy(&d, 1);
    const char *syms[] = {"BTC", "SPY"};
    rb_load_options o = options(syms, 2);
    rb_matrix *m = expect_load(&d, &o);

    cr_assert_eq(m->T, 12);
    cr_assert_eq(m->N, 2);
    cr_assert_str_eq(m->symbols[0], "BTC");
    cr_assert_str_eq(m->symbols[1], "SPY");
    cr_assert_eq(m->has_volume, 1);
    /* SPY has no bar on Jan 2-3 and Jan 9-10: filled from Jan 1 (close 10) and Jan 8 (17). */
    static const int spy_fill_from[12] = {-1, 0, 0, -1, -1, -1, -1, -1, 7, 7, -1, -1};
    for (size_t t = 0; t < 12; t++) {
        cr_assert_eq(m->time[t], day(2021, 1, (unsigned)(1 + t)));
        cr_assert_eq(CELL(m, close, t, 0), 100.0 + t);
        cr_assert_eq(CELL(m, open, t, 0), 99.5 + t);
        cr_assert_eq(CELL(m, volume, t, 0), 1000.0 + t);
        cr_assert_eq(CELL(m, filled, t, 0), 0);
        int from = spy_fill_from[t];
        if (from < 0) {
            cr_assert_eq(CELL(m, filled, t, 1), 0, "t=%zu", t);
            cr_assert_eq(CELL(m, close, t, 1), 10.0 + t);
            cr_assert_eq(CELL(m, open, t, 1), 9.5 + t);
            cr_assert_eq(CELL(m, volume, t, 1), 50.0 + t);
        } else {
            cr_assert_eq(CELL(m, filled, t, 1), 1, "t=%zu", t);
            cr_assert_eq(CELL(m, close, t, 1), 10.0 + from);
            cr_assert_eq(CELL(m, open, t, 1), 10.0 + from, "a filled open is the filled close");
            cr_assert_eq(CELL(m, volume, t, 1), 0.0, "no trading on a filled bar of an asset with volumes");
        }
    }
    /* Jan 1 is a Friday: bar 0 opens every period; Sunday Jan 3 and 10 end ISO weeks. */
    static const uint16_t want_flags[12] = {
        RB_NEW_WEEK | RB_NEW_MONTH | RB_NEW_QUARTER | RB_NEW_HALF | RB_NEW_YEAR,
        0, RB_LAST_WEEK, RB_NEW_WEEK, 0, 0, 0, 0, 0, RB_LAST_WEEK, RB_NEW_WEEK, 0};
    for (size_t t = 0; t < 12; t++) cr_assert_eq(m->flags[t], want_flags[t], "flags of bar %zu: %#x", t, m->flags[t]);
    /* Growth of SPY: 1 on filled days, 13/10 on Monday Jan 4, 20/17 on Monday Jan 11. */
    cr_assert_eq(CELL(m, growth, 1, 1), 1.0);
    cr_assert_eq(CELL(m, growth, 2, 1), 1.0);
    cr_assert_float_eq(CELL(m, growth, 3, 1), 1.3, 1e-15);
    cr_assert_float_eq(CELL(m, growth, 10, 1), 20.0 / 17.0, 1e-15);
    rb_matrix_free(m);
    db_close(&d);
}

Test(matrix, union_fill_volume_nan_without_volumes)
{
    db d = db_open();
    btc_spy(&d, 0);
    const char *syms[] = {"SPY", "BTC"};
    rb_load_options o = options(syms, 2);
    rb_matrix *m = expect_load(&d, &o);
    cr_assert_eq(m->T, 12);
    cr_assert_eq(m->has_volume, 0, "SPY has no volumes");
    for (size_t t = 0; t < 12; t++) {
        cr_assert(isnan(CELL(m, volume, t, 0)), "SPY volume at %zu is %g", t, CELL(m, volume, t, 0));
        cr_assert_eq(CELL(m, volume, t, 1), 1000.0 + t, "BTC keeps its volumes");
    }
    cr_assert_eq(CELL(m, filled, 1, 0), 1);
    cr_assert_eq(CELL(m, filled, 1, 1), 0);
    rb_matrix_free(m);
    db_close(&d);
}

Test(matrix, intersect_keeps_common_days)
{
    db d = db_open();
    btc_spy(&d, 1);
    const char *syms[] = {"BTC", "SPY"};
    rb_load_options o = options(syms, 2);
    o.align = RB_ALIGN_INTERSECT;
    o.max_gap = 0; /* irrelevant when intersecting */
    rb_matrix *m = expect_load(&d, &o);
    static const unsigned days[8] = {1, 4, 5, 6, 7, 8, 11, 12};
    cr_assert_eq(m->T, 8);
    cr_assert_eq(m->has_volume, 1);
    for (size_t t = 0; t < 8; t++) {
        int i = (int)days[t] - 1;
        cr_assert_eq(m->time[t], day(2021, 1, days[t]));
        cr_assert_eq(CELL(m, close, t, 0), 100.0 + i);
        cr_assert_eq(CELL(m, close, t, 1), 10.0 + i);
        cr_assert_eq(CELL(m, open, t, 1), 9.5 + i);
        cr_assert_eq(CELL(m, volume, t, 0), 1000.0 + i);
        cr_assert_eq(CELL(m, filled, t, 0), 0);
        cr_assert_eq(CELL(m, filled, t, 1), 0);
    }
    /* Jan 8 -> Jan 11 is now one step: BTC 110 / 107, and the Monday starts a week. */
    cr_assert_float_eq(CELL(m, growth, 6, 0), 110.0 / 107.0, 1e-15);
    cr_assert_eq(m->flags[5], RB_LAST_WEEK);
    cr_assert_eq(m->flags[6], RB_NEW_WEEK);
    rb_matrix_free(m);
    db_close(&d);
}

Test(matrix, intersect_of_three_skips_partial_days)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A"), b = add_asset(&d, "B"), c = add_asset(&d, "C");
    /* Jan 4-8 2021 (Mon-Fri): A every day, B not Tuesday, C not Wednesday: common 4, 7, 8. */
    for (unsigned k = 4; k <= 8; k++) {
        add_bar(&d, a, day(2021, 1, k), NAN, 1 + k, NAN);
        if (k != 5) add_bar(&d, b, day(2021, 1, k), NAN, 10 + k, NAN);
        if (k != 6) add_bar(&d, c, day(2021, 1, k), NAN, 100 + k, NAN);
    }
    const char *syms[] = {"C", "CASH", "A", "B"};
    rb_load_options o = options(syms, 4);
    o.align = RB_ALIGN_INTERSECT;
    rb_matrix *m = expect_load(&d, &o);
    static const unsigned days[3] = {4, 7, 8};
    cr_assert_eq(m->T, 3);
    for (size_t t = 0; t < 3; t++) {
        cr_assert_eq(m->time[t], day(2021, 1, days[t]));
        cr_assert_eq(CELL(m, close, t, 0), 100.0 + days[t]);
        cr_assert_eq(CELL(m, close, t, 1), 1.0);
        cr_assert_eq(CELL(m, close, t, 2), 1.0 + days[t]);
        cr_assert_eq(CELL(m, close, t, 3), 10.0 + days[t]);
    }
    cr_assert_float_eq(CELL(m, growth, 1, 2), 8.0 / 5.0, 1e-15);
    rb_matrix_free(m);

    /* The union of the same fills B on Tuesday and C on Wednesday. */
    o.align = RB_ALIGN_UNION;
    m = expect_load(&d, &o);
    cr_assert_eq(m->T, 5);
    cr_assert_eq(CELL(m, filled, 1, 3), 1);
    cr_assert_eq(CELL(m, close, 1, 3), 14.0);
    cr_assert_eq(CELL(m, filled, 2, 0), 1);
    cr_assert_eq(CELL(m, close, 2, 0), 105.0);
    cr_assert_eq(m->has_volume, 0);
    rb_matrix_free(m);
    db_close(&d);
}

Test(matrix, intersect_with_no_common_day_fails)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A"), b = add_asset(&d, "B");
    /* A on Jan 4 and 6, B on Jan 5 and 7 (2021): overlapping range, no common day. */
    add_bar(&d, a, day(2021, 1, 4), NAN, 1, NAN);
    add_bar(&d, a, day(2021, 1, 6), NAN, 1, NAN);
    add_bar(&d, b, day(2021, 1, 5), NAN, 1, NAN);
    add_bar(&d, b, day(2021, 1, 7), NAN, 1, NAN);
    const char *syms[] = {"A", "B"};
    rb_load_options o = options(syms, 2);
    o.align = RB_ALIGN_INTERSECT;
    expect_error(&d, &o, RB_ERR_DATA,
                 "no bar time from 2021-01-05 to 2021-01-06 at which every asset has a bar (try --align union)");
    db_close(&d);
}

/* D trades every day of September 2001; IBM on weekdays but not Sep 11-14 and 17. */
static void ibm_gap(db *d)
{
    int64_t dd = add_asset(d, "D"), ibm = add_asset(d, "IBM");
    for (unsigned k = 1; k <= 30; k++) {
        rb_time t = day(2001, 9, k);
        add_bar(d, dd, t, NAN, 1000 + k, 1);
        if (weekday(t) < 5 && !(k >= 11 && k <= 17)) add_bar(d, ibm, t, NAN, 100 + k, 1);
    }
}

Test(matrix, max_gap_exceeded_names_asset_and_dates)
{
    db d = db_open();
    ibm_gap(&d);
    const char *syms[] = {"D", "IBM"};
    rb_load_options o = options(syms, 2);
    expect_error(&d, &o, RB_ERR_DATA,
                 "IBM has no bar for 7 consecutive bars from 2001-09-11 to 2001-09-17 "
                 "(over --max-gap 5; raise --max-gap or use --align intersect)");
    o.max_gap = 6;
    expect_error(&d, &o, RB_ERR_DATA,
                 "IBM has no bar for 7 consecutive bars from 2001-09-11 to 2001-09-17 "
                 "(over --max-gap 6; raise --max-gap or use --align intersect)");
    db_close(&d);
}

Test(matrix, max_gap_exactly_at_limit_loads)
{
    db d = db_open();
    ibm_gap(&d);
    const char *syms[] = {"D", "IBM"};
    rb_load_options o = options(syms, 2);
    o.max_gap = 7;
    rb_matrix *m = expect_load(&d, &o);
    /* IBM starts Monday Sep 3 (auto start); both end Friday Sep 28 (auto end). */
    cr_assert_eq(m->T, 26);
    cr_assert_eq(m->time[0], day(2001, 9, 3));
    cr_assert_eq(m->time[25], day(2001, 9, 28));
    for (size_t t = 8; t <= 14; t++) { /* Sep 11 .. Sep 17 */
        cr_assert_eq(CELL(m, filled, t, 1), 1, "t=%zu", t);
        cr_assert_eq(CELL(m, close, t, 1), 110.0, "filled from Sep 10");
    }
    cr_assert_eq(CELL(m, filled, 15, 1), 0);
    cr_assert_eq(CELL(m, close, 15, 1), 118.0);
    cr_assert_float_eq(CELL(m, growth, 15, 1), 118.0 / 110.0, 1e-15);
    rb_matrix_free(m);
    db_close(&d);
}

Test(matrix, max_gap_zero_single_missing_bar)
{
    db d = db_open();
    btc_spy(&d, 1);
    const char *syms[] = {"BTC", "SPY"};
    rb_load_options o = options(syms, 2);
    o.max_gap = 1;
    expect_error(&d, &o, RB_ERR_DATA,
                 "SPY has no bar for 2 consecutive bars from 2021-01-02 to 2021-01-03 "
                 "(over --max-gap 1; raise --max-gap or use --align intersect)");
    o.max_gap = 0;
    expect_error(&d, &o, RB_ERR_DATA,
                 "SPY has no bar for 2 consecutive bars from 2021-01-02 to 2021-01-03 "
                 "(over --max-gap 0; raise --max-gap or use --align intersect)");
    /* From Saturday Jan 2 on, the first weekend run is only Sunday: one bar. */
    o.has_start = 1;
    o.start = day(2021, 1, 3);
    expect_error(&d, &o, RB_ERR_DATA,
                 "SPY has no bar on 2021-01-03 (over --max-gap 0; raise --max-gap or use --align intersect)");
    db_close(&d);
}

/* A trades every day 2021-01-01 .. 01-12 (close 100 + i); B from first_b .. last_b (day of
 * January), close 10 + i. */
static void two_ranges(db *d, unsigned first_b, unsigned last_b)
{
    int64_t a = add_asset(d, "A"), b = add_asset(d, "B");
    for (unsigned k = 1; k <= 12; k++) {
        add_bar(d, a, day(2021, 1, k), NAN, 100 + k - 1, 5);
        if (k >= first_b && k <= last_b) add_bar(d, b, day(2021, 1, k), NAN, 10 + k - 1, 5);
    }
}

Test(matrix, auto_start_is_latest_first_date)
{
    db d = db_open();
    two_ranges(&d, 5, 12);
    const char *syms[] = {"A", "B"};
    rb_load_options o = options(syms, 2);
    rb_matrix *m = expect_load(&d, &o);
    cr_assert_eq(m->T, 8);
    cr_assert_eq(m->time[0], day(2021, 1, 5));
    cr_assert_eq(CELL(m, close, 0, 0), 104.0);
    cr_assert_eq(CELL(m, close, 0, 1), 14.0);
    cr_assert_eq(CELL(m, growth, 0, 0), 1.0, "row 0 grows by 1 even though A traded before it");
    rb_matrix_free(m);

    o.has_start = 1;
    o.start = day(2021, 1, 3);
    expect_error(&d, &o, RB_ERR_DATA,
                 "B starts on 2021-01-05, after --start 2021-01-03 (use --start auto or a later --start)");
    db_close(&d);
}

Test(matrix, explicit_start_fills_from_bar_before_start)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A"), b = add_asset(&d, "B");
    for (unsigned k = 1; k <= 12; k++) add_bar(&d, a, day(2021, 1, k), NAN, 100 + k - 1, 5);
    add_bar(&d, b, day(2020, 12, 30), NAN, 7, NAN); /* before the range: its volume does not count */
    add_bar(&d, b, day(2021, 1, 6), NAN, 8, 2);
    add_bar(&d, b, day(2021, 1, 12), NAN, 9, 3);
    const char *syms[] = {"A", "B"};
    rb_load_options o = options(syms, 2);
    o.has_start = 1;
    o.start = day(2021, 1, 3);
    rb_matrix *m = expect_load(&d, &o);
    /* Jan 3 .. Jan 12; B real only on Jan 6 (t=3) and Jan 12 (t=9). */
    cr_assert_eq(m->T, 10);
    cr_assert_eq(m->time[0], day(2021, 1, 3));
    static const double b_close[10] = {7, 7, 7, 8, 8, 8, 8, 8, 8, 9};
    static const int b_filled[10] = {1, 1, 1, 0, 1, 1, 1, 1, 1, 0};
    for (size_t t = 0; t < 10; t++) {
        cr_assert_eq(CELL(m, close, t, 0), 102.0 + t);
        cr_assert_eq(CELL(m, close, t, 1), b_close[t], "t=%zu", t);
        cr_assert_eq(CELL(m, filled, t, 1), b_filled[t], "t=%zu", t);
        cr_assert_eq(CELL(m, volume, t, 1), b_filled[t] ? 0.0 : (t == 3 ? 2.0 : 3.0));
    }
    cr_assert_float_eq(CELL(m, growth, 3, 1), 8.0 / 7.0, 1e-15);
    cr_assert_float_eq(CELL(m, growth, 9, 1), 9.0 / 8.0, 1e-15);
    cr_assert_eq(m->has_volume, 1);
    rb_matrix_free(m);

    /* The filled run Jan 7 .. Jan 11 (5 bars) is refused at --max-gap 4. */
    o.max_gap = 4;
    expect_error(&d, &o, RB_ERR_DATA,
                 "B has no bar for 5 consecutive bars from 2021-01-07 to 2021-01-11 "
                 "(over --max-gap 4; raise --max-gap or use --align intersect)");
    db_close(&d);
}

Test(matrix, default_end_is_earliest_last_date)
{
    db d = db_open();
    two_ranges(&d, 1, 8);
    const char *syms[] = {"A", "B"};
    rb_load_options o = options(syms, 2);
    rb_matrix *m = expect_load(&d, &o);
    cr_assert_eq(m->T, 8);
    cr_assert_eq(m->time[7], day(2021, 1, 8));
    cr_assert_eq(CELL(m, close, 7, 0), 107.0);
    rb_matrix_free(m);

    o.has_end = 1;
    o.end = day(2021, 1, 6);
    m = expect_load(&d, &o);
    cr_assert_eq(m->T, 6);
    cr_assert_eq(m->time[5], day(2021, 1, 6));
    rb_matrix_free(m);

    o.end = day(2021, 1, 10);
    expect_error(&d, &o, RB_ERR_DATA,
                 "B ends on 2021-01-08, before --end 2021-01-10 (use --end auto or an earlier --end)");
    db_close(&d);
}

Test(matrix, start_after_end_and_disjoint_ranges)
{
    db d = db_open();
    two_ranges(&d, 6, 9);
    const char *syms[] = {"A", "B"};
    rb_load_options o = options(syms, 2);
    o.has_start = 1;
    o.start = day(2021, 1, 8);
    o.has_end = 1;
    o.end = day(2021, 1, 7);
    expect_error(&d, &o, RB_ERR_USAGE, "--start 2021-01-08 is after --end 2021-01-07");
    db_close(&d);

    d = db_open();
    int64_t a = add_asset(&d, "A"), b = add_asset(&d, "B");
    for (unsigned k = 1; k <= 4; k++) add_bar(&d, a, day(2021, 1, k), NAN, 1, NAN);
    for (unsigned k = 6; k <= 9; k++) add_bar(&d, b, day(2021, 1, k), NAN, 1, NAN);
    o = options(syms, 2);
    expect_error(&d, &o, RB_ERR_DATA,
                 "the assets share no dates: B starts on 2021-01-06, after A ends on 2021-01-04");
    db_close(&d);
}

Test(matrix, asset_without_bars_in_range_fails)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A"), mo = add_asset(&d, "M");
    for (unsigned k = 1; k <= 12; k++) add_bar(&d, a, day(2021, 1, k), NAN, 100, NAN);
    add_bar(&d, mo, day(2020, 12, 1), NAN, 50, NAN);
    add_bar(&d, mo, day(2021, 2, 1), NAN, 51, NAN);
    const char *syms[] = {"A", "M"};
    rb_load_options o = options(syms, 2);
    o.has_start = 1;
    o.start = day(2021, 1, 3);
    o.has_end = 1;
    o.end = day(2021, 1, 10);
    expect_error(&d, &o, RB_ERR_DATA, "M has no bars from 2021-01-03 to 2021-01-10");

    add_asset(&d, "EMPTY");
    const char *syms2[] = {"A", "EMPTY"};
    o = options(syms2, 2);
    expect_error(&d, &o, RB_ERR_DATA, "EMPTY has no bars in the store (import some with 'rebal import')");
    db_close(&d);
}

Test(matrix, single_bar_range_fails)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A"), b = add_asset(&d, "B");
    add_bar(&d, a, day(2021, 1, 1), NAN, 1, NAN);
    add_bar(&d, a, day(2021, 1, 2), NAN, 1, NAN);
    add_bar(&d, b, day(2021, 1, 2), NAN, 1, NAN);
    const char *syms[] = {"A", "B"};
    rb_load_options o = options(syms, 2);
    expect_error(&d, &o, RB_ERR_DATA,
                 "only one bar time (2021-01-02) from 2021-01-02 to 2021-01-02: the matrix needs at least 2 bars");
    db_close(&d);
}

Test(matrix, cash_at_zero_rate_is_one)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A");
    for (unsigned k = 1; k <= 5; k++) add_bar(&d, a, day(2021, 1, k), NAN, 100 + k, 10);
    const char *syms[] = {"CASH", "A"};
    rb_load_options o = options(syms, 2);
    rb_matrix *m = expect_load(&d, &o);
    cr_assert_eq(m->T, 5);
    cr_assert_str_eq(m->symbols[0], "CASH");
    cr_assert_eq(m->has_volume, 1, "CASH does not count against has_volume");
    for (size_t t = 0; t < 5; t++) {
        cr_assert_eq(CELL(m, close, t, 0), 1.0);
        cr_assert_eq(CELL(m, open, t, 0), 1.0);
        cr_assert_eq(CELL(m, growth, t, 0), 1.0);
        cr_assert(isnan(CELL(m, volume, t, 0)));
        cr_assert_eq(CELL(m, filled, t, 0), 0);
        cr_assert_eq(CELL(m, close, t, 1), 101.0 + t);
    }
    rb_matrix_free(m);
    db_close(&d);
}

Test(matrix, cash_compounds_by_elapsed_time)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A");
    /* Bars at 0, 182.625 and 365.25 days after 2021-01-01 00:00 UTC: half and one Julian year. */
    rb_time t0 = day(2021, 1, 1);
    add_bar(&d, a, t0, NAN, 10, NAN);
    add_bar(&d, a, t0 + 15778800, NAN, 11, NAN);
    add_bar(&d, a, t0 + 31557600, NAN, 12, NAN);
    const char *syms[] = {"A", "CASH"};
    rb_load_options o = options(syms, 2);
    o.cash_rate = 0.05;
    o.periods_per_year = 2;
    rb_matrix *m = expect_load(&d, &o);
    cr_assert_eq(m->T, 3);
    cr_assert_eq(m->time[2], day(2022, 1, 1) + 6 * 3600);
    cr_assert_eq(CELL(m, close, 0, 1), 1.0);
    cr_assert_float_eq(CELL(m, close, 1, 1), sqrt(1.05), 1e-12);
    cr_assert_float_eq(CELL(m, close, 2, 1), 1.05, 1e-12);
    cr_assert_float_eq(CELL(m, open, 2, 1), 1.05, 1e-12);
    cr_assert_float_eq(CELL(m, growth, 2, 1), sqrt(1.05), 1e-12);
    cr_assert_eq(m->has_volume, 0, "A has no volumes");
    rb_matrix_free(m);
    db_close(&d);
}

Test(matrix, growth_factors)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A"), b = add_asset(&d, "B");
    static const double ca[4] = {100, 110, 99, 99}, cb[4] = {4, 2, 3, 6};
    for (unsigned k = 0; k < 4; k++) {
        add_bar(&d, a, day(2021, 1, 4 + k), NAN, ca[k], NAN);
        add_bar(&d, b, day(2021, 1, 4 + k), NAN, cb[k], NAN);
    }
    const char *syms[] = {"A", "B"};
    rb_load_options o = options(syms, 2);
    rb_matrix *m = expect_load(&d, &o);
    static const double ga[4] = {1, 1.1, 0.9, 1}, gb[4] = {1, 0.5, 1.5, 2};
    for (size_t t = 0; t < 4; t++) {
        cr_assert_float_eq(CELL(m, growth, t, 0), ga[t], 1e-15, "A at %zu", t);
        cr_assert_eq(CELL(m, growth, t, 1), gb[t], "B at %zu", t);
    }
    rb_matrix_free(m);
    db_close(&d);
}

/* Columns with a bar at every time (one calendar) are read without the merge of their times
 * (matrix.c: same_times, and fill_column's path for such a column); a fourth asset missing
 * a day sends the same columns through the merge and the forward fill. Both give every cell
 * as stored, to the bit, with the same opens and volumes known or not. */
Test(matrix, columns_on_one_calendar_load_as_through_the_merge)
{
    db d = db_open();
    int64_t id[4] = {add_asset(&d, "A"), add_asset(&d, "B"), add_asset(&d, "C"), add_asset(&d, "D")};
    add_bar(&d, id[0], day(2020, 12, 28), 7, 7.5, 70); /* before the others start: out of range */
    size_t T = 0;
    for (rb_time t = day(2021, 1, 4); T < 40; t += RB_SECONDS_PER_DAY) {
        if (weekday(t) >= 5) continue;
        double k = (double)T;
        add_bar(&d, id[0], t, 100 + k / 3, 100.5 + k / 7, 1000 + k);
        add_bar(&d, id[1], t, T % 9 == 4 ? NAN : 20 + k / 11, 20.25 + k / 13, 500 + k);
        add_bar(&d, id[2], t, 3 + k / 17, 3.125 + k / 19, T == 17 ? NAN : 40 + k);
        if (T != 23) add_bar(&d, id[3], t, NAN, 9 + k, NAN);
        T++;
    }
    const char *abc[] = {"A", "B", "C"}, *abcd[] = {"A", "B", "C", "D"};
    rb_load_options o = options(abc, 3);
    rb_matrix *one = expect_load(&d, &o);
    o.align = RB_ALIGN_INTERSECT;
    rb_matrix *both = expect_load(&d, &o);
    o = options(abcd, 4);
    rb_matrix *merged = expect_load(&d, &o);
    cr_assert_eq(one->T, T);
    cr_assert_eq(both->T, T);
    cr_assert_eq(merged->T, T, "D's missing day is filled, not dropped");
    cr_assert_eq(CELL(merged, filled, 23, 3), 1);
    for (size_t t = 0; t < T; t++) {
        cr_assert_eq(one->time[t], merged->time[t]);
        cr_assert_eq(both->time[t], merged->time[t]);
        for (size_t i = 0; i < 3; i++) {
            const rb_matrix *ms[3] = {one, both, merged};
            for (size_t f = 0; f < 4; f++) {
                double cell[3];
                for (size_t v = 0; v < 3; v++) {
                    const double *field[4] = {ms[v]->open, ms[v]->close, ms[v]->volume, ms[v]->growth};
                    cell[v] = field[f][t * ms[v]->N + i];
                }
                cr_assert_eq(memcmp(&cell[0], &cell[2], sizeof(double)), 0, "field %zu of %s at %zu", f, abc[i], t);
                cr_assert_eq(memcmp(&cell[1], &cell[2], sizeof(double)), 0, "field %zu of %s at %zu", f, abc[i], t);
            }
            cr_assert_eq(CELL(one, filled, t, i), 0);
            cr_assert_eq(CELL(merged, filled, t, i), 0);
        }
    }
    cr_assert_eq(CELL(one, close, 0, 0), 100.5, "the first bar in range, not A's earlier one");
    cr_assert_eq(CELL(one, open, 4, 1), CELL(one, close, 4, 1), "B's missing open is its close");
    cr_assert(isnan(CELL(one, volume, 17, 2)));
    const uint8_t opens[3] = {1, 0, 1};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(one->has_open[i], opens[i], "%s", abc[i]);
        cr_assert_eq(both->has_open[i], opens[i], "%s", abc[i]);
        cr_assert_eq(merged->has_open[i], opens[i], "%s", abc[i]);
    }
    cr_assert_eq(one->has_volume, 0, "C lacks a volume");
    cr_assert_eq(both->has_volume, 0);
    rb_matrix_free(one);
    rb_matrix_free(both);
    rb_matrix_free(merged);

    const char *ab[] = {"A", "B"};
    o = options(ab, 2);
    rb_matrix *volumes = expect_load(&d, &o);
    cr_assert_eq(volumes->has_volume, 1, "A and B have every volume");
    rb_matrix_free(volumes);
    db_close(&d);
}

/* Two columns with as many bars in range but not on the same days: the one-pass fill of
 * columns on one calendar is not theirs (it would take the first column's days for both),
 * and the merge aligns them, union and intersect alike. */
Test(matrix, as_many_bars_on_other_days_are_merged)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A"), b = add_asset(&d, "B");
    for (unsigned k = 1; k <= 10; k++) {
        if (k != 5) add_bar(&d, a, day(2021, 3, k), 10 + k, 10.5 + k, 100 + k);
        if (k != 6) add_bar(&d, b, day(2021, 3, k), 20 + k, 20.5 + k, 200 + k);
    }
    const char *ab[] = {"A", "B"};
    rb_load_options o = options(ab, 2);
    rb_matrix *u = expect_load(&d, &o);
    cr_assert_eq(u->T, 10, "union: every day of either");
    for (size_t t = 0; t < 10; t++) cr_assert_eq(u->time[t], day(2021, 3, (unsigned)(1 + t)));
    cr_assert_eq(CELL(u, filled, 4, 0), 1, "A's missing day 5 is filled");
    cr_assert_eq(CELL(u, close, 4, 0), 14.5, "from day 4");
    cr_assert_eq(CELL(u, filled, 5, 1), 1, "B's missing day 6 is filled");
    cr_assert_eq(CELL(u, close, 5, 1), 25.5, "from day 5");
    cr_assert_eq(CELL(u, close, 5, 0), 16.5);
    cr_assert_eq(CELL(u, close, 4, 1), 25.5);
    rb_matrix_free(u);
    o.align = RB_ALIGN_INTERSECT;
    rb_matrix *i = expect_load(&d, &o);
    cr_assert_eq(i->T, 8, "intersect: the days both have");
    static const unsigned days[8] = {1, 2, 3, 4, 7, 8, 9, 10};
    for (size_t t = 0; t < 8; t++) {
        cr_assert_eq(i->time[t], day(2021, 3, days[t]));
        cr_assert_eq(CELL(i, close, t, 0), 10.5 + days[t]);
        cr_assert_eq(CELL(i, close, t, 1), 20.5 + days[t]);
    }
    rb_matrix_free(i);
    db_close(&d);
}

Test(matrix, unknown_and_duplicate_symbols)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A"), b = add_asset(&d, "B");
    add_bar(&d, a, day(2021, 1, 4), NAN, 1, NAN);
    add_bar(&d, a, day(2021, 1, 5), NAN, 1, NAN);
    add_bar(&d, b, day(2021, 1, 4), NAN, 1, NAN);
    add_bar(&d, b, day(2021, 1, 5), NAN, 1, NAN);

    const char *unknown[] = {"A", "XYZ"};
    rb_load_options o = options(unknown, 2);
    char want[1200];
    snprintf(want, sizeof want, "%s: unknown symbol 'XYZ' (see 'rebal assets')", d.path);
    expect_error(&d, &o, RB_ERR_NOT_FOUND, want);

    const char *lower_cash[] = {"A", "cash"}; /* only "CASH" is the cash position */
    o = options(lower_cash, 2);
    snprintf(want, sizeof want, "%s: unknown symbol 'cash' (see 'rebal assets')", d.path);
    expect_error(&d, &o, RB_ERR_NOT_FOUND, want);

    const char *dup[] = {"A", "B", "A"};
    o = options(dup, 3);
    expect_error(&d, &o, RB_ERR_USAGE, "symbol 'A' is given twice (columns 1 and 3)");

    const char *dup_cash[] = {"CASH", "A", "CASH"};
    o = options(dup_cash, 3);
    expect_error(&d, &o, RB_ERR_USAGE, "symbol 'CASH' is given twice (columns 1 and 3)");
    db_close(&d);
}

Test(matrix, cash_alone_and_no_symbols)
{
    db d = db_open();
    const char *cash[] = {"CASH"};
    rb_load_options o = options(cash, 1);
    expect_error(&d, &o, RB_ERR_USAGE, "CASH alone has no dates: name at least one stored asset besides it");
    o = options(cash, 0);
    expect_error(&d, &o, RB_ERR_USAGE, "no symbols given: name at least one stored asset");
    const char *empty[] = {""};
    o = options(empty, 1);
    expect_error(&d, &o, RB_ERR_USAGE, "symbol 1 of 1 is empty");
    db_close(&d);
}

Test(matrix, invalid_options_name_the_option)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A");
    add_bar(&d, a, day(2021, 1, 4), NAN, 1, NAN);
    add_bar(&d, a, day(2021, 1, 5), NAN, 1, NAN);
    const char *syms[] = {"A"};
    rb_load_options o = options(syms, 1);
    o.max_gap = -1;
    expect_error(&d, &o, RB_ERR_USAGE, "--max-gap must be 0 or more bars (got -1)");
    o = options(syms, 1);
    o.cash_rate = -1;
    expect_error(&d, &o, RB_ERR_USAGE,
                 "--cash-rate must be a yearly fraction greater than -1, e.g. 0.02 for 2 % (got -1)");
    o.cash_rate = NAN;
    expect_error(&d, &o, RB_ERR_USAGE,
                 "--cash-rate must be a yearly fraction greater than -1, e.g. 0.02 for 2 % (got nan)");
    o = options(syms, 1);
    o.periods_per_year = -12;
    expect_error(&d, &o, RB_ERR_USAGE,
                 "--periods-per-year must be a positive number, or 0 to infer it (got -12)");
    db_close(&d);
}

Test(matrix, open_falls_back_to_close)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A");
    add_bar(&d, a, day(2021, 1, 4), 9, 10, NAN);
    add_bar(&d, a, day(2021, 1, 5), NAN, 11, NAN);
    add_bar(&d, a, day(2021, 1, 6), 12.5, 12, NAN);
    const char *syms[] = {"A"};
    rb_load_options o = options(syms, 1);
    rb_matrix *m = expect_load(&d, &o);
    cr_assert_eq(m->T, 3);
    cr_assert_eq(m->open[0], 9.0);
    cr_assert_eq(m->open[1], 11.0, "no stored open: the close");
    cr_assert_eq(m->open[2], 12.5);
    rb_matrix_free(m);
    db_close(&d);
}

Test(matrix, has_volume_needs_every_real_bar)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A"), b = add_asset(&d, "B");
    /* A has volumes except on Jan 6; B has all. A bar of B before the range lacks one. */
    add_bar(&d, b, day(2021, 1, 1), NAN, 1, NAN);
    for (unsigned k = 4; k <= 8; k++) {
        add_bar(&d, a, day(2021, 1, k), NAN, 1, k == 6 ? NAN : 100 * k);
        add_bar(&d, b, day(2021, 1, k), NAN, 1, k);
    }
    const char *ab[] = {"A", "B"};
    rb_load_options o = options(ab, 2);
    rb_matrix *m = expect_load(&d, &o);
    cr_assert_eq(m->has_volume, 0);
    cr_assert(isnan(CELL(m, volume, 2, 0)));
    cr_assert_eq(CELL(m, volume, 3, 0), 700.0);
    rb_matrix_free(m);

    /* From Jan 2, B's Jan 1 bar (no volume) is read as the bar before the range, but only
     * real bars from Jan 4 on count. */
    const char *only_b[] = {"B", "CASH"};
    o = options(only_b, 2);
    o.has_start = 1;
    o.start = day(2021, 1, 2);
    m = expect_load(&d, &o);
    cr_assert_eq(m->has_volume, 1, "the bar before the range does not count");
    cr_assert_eq(m->T, 5);
    cr_assert_eq(m->time[0], day(2021, 1, 4));
    rb_matrix_free(m);

    o = options(ab, 2);
    o.has_start = 1;
    o.start = day(2021, 1, 2);
    expect_error(&d, &o, RB_ERR_DATA,
                 "A starts on 2021-01-04, after --start 2021-01-02 (use --start auto or a later --start)");
    db_close(&d);
}

Test(matrix, invalid_stored_price_is_refused)
{
    db d = db_open();
    int64_t a = add_asset(&d, "A");
    add_bar(&d, a, day(2021, 1, 4), NAN, 1, NAN);
    add_bar(&d, a, day(2021, 1, 5), NAN, 0, NAN);
    const char *syms[] = {"A"};
    rb_load_options o = options(syms, 1);
    expect_error(&d, &o, RB_ERR_DATA, "A has close 0 on 2021-01-05: prices must be positive");
    db_close(&d);
}

Test(matrix, periods_per_year_set_or_inferred)
{
    db d = db_open();
    int64_t mo = add_asset(&d, "MONTHLY"), wd = add_asset(&d, "WEEKDAYS"), all = add_asset(&d, "DAILY");
    for (unsigned k = 0; k < 24; k++) add_bar(&d, mo, day(2019 + (int)(k / 12), k % 12 + 1, 1), NAN, 1 + k, NAN);
    for (rb_time t = day(2021, 1, 4); t < day(2021, 4, 1); t += RB_SECONDS_PER_DAY) {
        if (weekday(t) < 5) add_bar(&d, wd, t, NAN, 2, NAN);
        add_bar(&d, all, t, NAN, 3, NAN);
    }
    const char *m1[] = {"MONTHLY"}, *m2[] = {"WEEKDAYS"}, *m3[] = {"DAILY"};
    rb_load_options o = options(m1, 1);
    rb_matrix *m = expect_load(&d, &o);
    cr_assert_eq(m->T, 24);
    cr_assert_eq(m->periods_per_year, 12.0, "monthly: %g (%s)", m->periods_per_year, m->periods_source);
    cr_assert_neq(m->periods_source[0], '\0');
    rb_matrix_free(m);

    o = options(m2, 1);
    m = expect_load(&d, &o);
    cr_assert_eq(m->periods_per_year, 252.0, "weekdays: %g (%s)", m->periods_per_year, m->periods_source);
    rb_matrix_free(m);

    o = options(m3, 1);
    m = expect_load(&d, &o);
    cr_assert_eq(m->periods_per_year, 365.0, "24/7: %g (%s)", m->periods_per_year, m->periods_source);
    rb_matrix_free(m);

    o.periods_per_year = 52;
    m = expect_load(&d, &o);
    cr_assert_eq(m->periods_per_year, 52.0);
    cr_assert_str_eq(m->periods_source, "set by --periods-per-year");
    rb_matrix_free(m);
    db_close(&d);
}

Test(matrix, says_which_assets_have_real_opens)
{
    db d = db_open();
    int64_t full = add_asset(&d, "OHLC"), none = add_asset(&d, "CLOSES"), part = add_asset(&d, "SOME"),
            gap = add_asset(&d, "GAPPY");
    for (unsigned k = 0; k < 5; k++) {
        rb_time t = day(2021, 3, 1 + k);
        add_bar(&d, full, t, 10 + k, 11 + k, NAN);
        add_bar(&d, none, t, NAN, 20 + k, NAN);
        add_bar(&d, part, t, k == 3 ? NAN : 30 + k, 31 + k, NAN);
        /* GAPPY has opens on its real bars; its forward-filled bar 2 has none to have. */
        if (k != 2) add_bar(&d, gap, t, 40 + k, 41 + k, NAN);
    }
    const char *syms[] = {"OHLC", "CLOSES", "SOME", "GAPPY", "CASH"};
    rb_load_options o = options(syms, 5);
    rb_matrix *m = expect_load(&d, &o);
    cr_assert_not_null(m->has_open);
    const uint8_t want[] = {1, 0, 0, 1, 1};
    for (size_t i = 0; i < 5; i++) cr_expect_eq(m->has_open[i], want[i], "%s", syms[i]);
    /* Where there is no open the matrix holds the close. */
    cr_expect_eq(CELL(m, open, 3, 2), CELL(m, close, 3, 2));
    cr_expect_eq(CELL(m, open, 1, 2), 31);
    cr_expect_eq(CELL(m, open, 2, 1), 22);
    cr_expect_eq(m->periods_inferred, 1);
    rb_matrix_free(m);
    o.periods_per_year = 252;
    m = expect_load(&d, &o);
    cr_expect_eq(m->periods_inferred, 0);
    rb_matrix_free(m);
    db_close(&d);
}

/* 20 years of weekday bars for 40 assets plus one 24/7 asset: the load must be quick, and
 * spot cells must match the formula they were stored with. */
Test(matrix, twenty_years_of_daily_bars_load_quickly)
{
    enum { ASSETS = 40 };
    db d = db_open();
    sql(&d, "BEGIN");
    int64_t ids[ASSETS + 1];
    char names[ASSETS + 1][16];
    const char *syms[ASSETS + 2];
    for (int j = 0; j <= ASSETS; j++) {
        snprintf(names[j], sizeof names[j], "S%02d", j);
        ids[j] = add_asset(&d, names[j]);
        syms[j] = names[j];
    }
    syms[ASSETS + 1] = "CASH";
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(d.store->db,
                                    "INSERT INTO bars(asset_id, ts, open, close, volume) VALUES (?1, ?2, ?3, ?4, ?5)",
                                    -1, &st, NULL),
                 SQLITE_OK);
    rb_time first = day(2000, 1, 1), last = day(2019, 12, 31);
    size_t days = (size_t)((last - first) / RB_SECONDS_PER_DAY) + 1;
    for (int j = 0; j <= ASSETS; j++) {
        for (size_t k = 0; k < days; k++) {
            rb_time t = first + (rb_time)k * RB_SECONDS_PER_DAY;
            if (j < ASSETS && weekday(t) >= 5) continue; /* the last asset trades 24/7 */
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, ids[j]);
            sqlite3_bind_int64(st, 2, t);
            sqlite3_bind_double(st, 3, 100.0 + j + (double)k * 0.5);
            sqlite3_bind_double(st, 4, 100.0 + j + (double)k);
            sqlite3_bind_double(st, 5, (double)k);
            cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
        }
    }
    sqlite3_finalize(st);
    sql(&d, "COMMIT");

    rb_load_options o = options(syms, ASSETS + 2);
    o.cash_rate = 0.02;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    rb_matrix *m = expect_load(&d, &o);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    cr_log_info("loaded %zu x %zu in %.3f s", m->T, m->N, seconds);
    cr_assert_lt(seconds, 2.0, "loading took %.3f s", seconds);

    /* 2000-01-01 is a Saturday: the weekday assets start Monday Jan 3 (day index 2). */
    cr_assert_eq(m->T, days - 2);
    cr_assert_eq(m->N, ASSETS + 2);
    cr_assert_eq(m->periods_per_year, 365.0);
    cr_assert_eq(m->has_volume, 1);
    for (size_t t = 0; t < m->T; t += 997) {
        size_t k = t + 2;
        int weekend = weekday(m->time[t]) >= 5;
        for (size_t j = 0; j < ASSETS; j += 13) {
            /* On a weekend a weekday asset carries Friday's close: day index k - 1 or k - 2. */
            size_t real = weekend ? k - (size_t)(weekday(m->time[t]) - 4) : k;
            cr_assert_eq(CELL(m, close, t, j), 100.0 + (double)j + (double)real, "t=%zu j=%zu", t, j);
            cr_assert_eq(CELL(m, filled, t, j), weekend);
        }
        cr_assert_eq(CELL(m, close, t, ASSETS), 100.0 + ASSETS + (double)k);
    }
    double years = (double)(m->time[m->T - 1] - m->time[0]) / (365.25 * 86400);
    cr_assert_float_eq(CELL(m, close, m->T - 1, ASSETS + 1), pow(1.02, years), 1e-12);
    rb_matrix_free(m);
    db_close(&d);
}

Test(matrix, loads_read_only_store_and_keeps_callers_transaction)
{
    db d = db_open();
    rb_error err = {0};
    cr_assert_eq(rb_store_begin(d.store, &err), RB_OK, "%s", err.msg);
    btc_spy(&d, 1);
    cr_assert_eq(rb_store_commit(d.store, &err), RB_OK, "%s", err.msg);
    rb_store_free(d.store);
    cr_assert_eq(rb_store_open(d.path, RB_STORE_READONLY, &d.store, &err), RB_OK, "%s", err.msg);

    const char *syms[] = {"SPY", "BTC"};
    rb_load_options o = options(syms, 2);
    rb_matrix *m = expect_load(&d, &o);
    cr_assert_eq(m->T, 12);
    cr_assert_eq(CELL(m, close, 11, 0), 21.0);
    rb_matrix_free(m);
    cr_assert(sqlite3_get_autocommit(d.store->db), "the loader's read transaction is over");

    /* Inside a caller's transaction the loader neither nests nor ends it. */
    sql(&d, "BEGIN");
    m = expect_load(&d, &o);
    rb_matrix_free(m);
    cr_assert(!sqlite3_get_autocommit(d.store->db), "the caller's transaction is still open");
    sql(&d, "COMMIT");
    db_close(&d);
}

/* Imports one bundled file (data/bundled) into d with the given format and symbol. */
static void import_bundled(db *d, const char *name, rb_csv_format format, const char *symbol)
{
    char *rel = rbt_path("data/bundled", name);
    char *path = rbt_source_path(rel);
    const char *paths[] = {path};
    rb_import_options io;
    rb_import_options_init(&io);
    io.format = format;
    io.symbol = symbol;
    rb_import_stats stats;
    rb_error err = {0};
    cr_assert_eq(rb_import_files(d->store, paths, 1, &io, &stats, &err), RB_OK, "import %s: %s", name, err.msg);
    free(path);
    free(rel);
}

Test(matrix, bundled_monthly_stocks_start_with_goog)
{
    db d = db_open();
    import_bundled(&d, "stocks_monthly.csv", RB_CSV_AUTO, NULL);
    const char *syms[] = {"MSFT", "GOOG", "CASH"};
    rb_load_options o = options(syms, 3);
    rb_matrix *m = expect_load(&d, &o);
    /* GOOG's first monthly close is Aug 2004; all five end in Mar 2010: 68 months. */
    cr_assert_eq(m->T, 68);
    cr_assert_eq(m->time[0], day(2004, 8, 1));
    cr_assert_eq(m->time[67], day(2010, 3, 1));
    cr_assert_float_eq(CELL(m, close, 0, 0), 22.47, 1e-9);
    cr_assert_float_eq(CELL(m, close, 0, 1), 102.37, 1e-9);
    cr_assert_float_eq(CELL(m, close, 67, 0), 28.8, 1e-9);
    cr_assert_float_eq(CELL(m, close, 67, 1), 560.19, 1e-9);
    cr_assert_float_eq(CELL(m, growth, 67, 1), 560.19 / CELL(m, close, 66, 1), 1e-15);
    for (size_t k = 0; k < m->T * m->N; k++) cr_assert_eq(m->filled[k], 0);
    cr_assert_eq(m->has_volume, 0, "the file has prices only");
    cr_assert_eq(m->periods_per_year, 12.0, "%s", m->periods_source);
    /* Sep 1 2004 opens a week and a month; Oct 1 next opens a week, a month and Q4. */
    cr_assert_eq(m->flags[1], RB_NEW_WEEK | RB_NEW_MONTH | RB_LAST_WEEK | RB_LAST_MONTH | RB_LAST_QUARTER,
                 "flags %#x", m->flags[1]);
    rb_matrix_free(m);

    o.has_start = 1;
    o.start = day(2000, 1, 1);
    expect_error(&d, &o, RB_ERR_DATA,
                 "GOOG starts on 2004-08-01, after --start 2000-01-01 (use --start auto or a later --start)");
    db_close(&d);
}

Test(matrix, bundled_sp500_daily)
{
    db d = db_open();
    import_bundled(&d, "sp500_daily.csv", RB_CSV_OHLCV, "SPX");
    const char *syms[] = {"SPX", "CASH"};
    rb_load_options o = options(syms, 2);
    o.cash_rate = 0.03;
    rb_matrix *m = expect_load(&d, &o);
    /* The file's 5,105 rows: trading days from 2000-01-03 to 2020-04-17. */
    cr_assert_eq(m->T, 5105);
    cr_assert_eq(m->time[0], day(2000, 1, 3));
    cr_assert_eq(m->time[m->T - 1], day(2020, 4, 17));
    cr_assert_float_eq(CELL(m, open, 0, 0), 1469.25, 1e-9);
    cr_assert_float_eq(CELL(m, close, 0, 0), 1455.219971, 1e-9);
    cr_assert_float_eq(CELL(m, volume, 0, 0), 931800000.0, 1e-3);
    cr_assert_float_eq(CELL(m, close, m->T - 1, 0), 2874.560059, 1e-9);
    cr_assert_float_eq(CELL(m, growth, 1, 0), 1399.420044 / 1455.219971, 1e-12);
    cr_assert_eq(m->has_volume, 1);
    cr_assert_eq(m->periods_per_year, 252.0, "%s", m->periods_source);
    /* 2000-01-03 .. 2020-04-17 is 7,410 days. */
    cr_assert_float_eq(CELL(m, close, m->T - 1, 1), pow(1.03, 7410.0 / 365.25), 1e-12);
    rb_matrix_free(m);
    db_close(&d);
}
