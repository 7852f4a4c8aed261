/* test_oos.c - out-of-sample tests of a sweep (issue 19; docs/sweeps.md, "Out of sample"):
 * the windows of --walk-forward (bars and calendar, rolling and anchored) and --split, a
 * walk-forward checked by hand (one asset held: the stitched curve is the price's path), each
 * part's sweep equal to the bit to a sweep run with the part's start and end, the winners and
 * their ranks recomputed from those sweeps, the same test for any thread count, the errors,
 * what a second run, --force and an older store do, and the CLI (sweep, runs, report). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oos.h"
#include "rebal.h"
#include "results/schema.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(oos, .init = setup, .fini = teardown, .timeout = 240);

#define T_BARS 200
#define DAY 86400
#define T0 1577836800 /* 2020-01-01 */

static double px[T_BARS * 2];

/* X and Y over 200 daily bars from 2020-01-01 (rbt_random_walk), as long CSV. */
static rb_store *walk_store(void)
{
    rbt_random_walk(T_BARS, px, 19);
    size_t cap = 64 * T_BARS * 2, n = 0;
    char *csv = malloc(cap);
    n += (size_t)snprintf(csv + n, cap - n, "symbol,date,close\n");
    for (int a = 0; a < 2; a++)
        for (size_t t = 0; t < T_BARS; t++) {
            char d[32];
            n += (size_t)snprintf(csv + n, cap - n, "%s,%s,%.17g\n", a ? "Y" : "X", rb_time_format(T0 + (rb_time)t * DAY, d),
                                  px[t * 2 + a]);
        }
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    free(csv);
    return s;
}

static rb_sweep *parse(const char *text)
{
    rb_sweep *sw = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_sweep_parse_text(text, "test.ini", &sw, &err), RB_OK, "%s", err.msg);
    return sw;
}

/* The sweep of text with oos into results (threads), and its test read back. */
static rb_oos_result *oos_sweep(rb_store *store, const char *text, const char *results, const rb_oos_options *o,
                                int threads, rb_sweep_summary *sum_out)
{
    rb_sweep *sw = parse(text);
    rb_sweep_options so = {.results = results, .threads = threads, .oos = o};
    rb_sweep_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run_parsed(store, sw, "test.ini", &so, &sum, &err), RB_OK, "%s", err.msg);
    rb_sweep_free(sw);
    cr_assert_neq(sum.oos_id, 0);
    rb_oos_result *r = NULL;
    cr_assert_eq(rb_oos_read(results, sum.sweep_id, &r, &err), RB_OK, "%s", err.msg);
    cr_assert_not_null(r);
    cr_assert_eq(r->id, sum.oos_id);
    if (sum_out) *sum_out = sum;
    return r;
}

/* ---------------------------------------------------------------- the windows */

static rb_time times[T_BARS];

static rb_oos_plan plan_of(const rb_oos_options *o)
{
    for (size_t t = 0; t < T_BARS; t++) times[t] = T0 + (rb_time)t * DAY;
    rb_oos_plan p;
    rb_error err = {0};
    cr_assert_eq(rb_oos_plan_make(o, times, T_BARS, &p, &err), RB_OK, "%s", err.msg);
    return p;
}

Test(oos, bar_windows_roll_by_the_test_length_and_share_their_boundary_bar)
{
    rb_oos_plan p = plan_of(&(rb_oos_options){.walk_forward = "60b:20b"});
    cr_assert_eq(p.n, 6, "60 + 6 x 20 = 180 <= 199 < 200");
    for (size_t k = 0; k < p.n; k++) {
        cr_assert_eq(p.w[k].train_first, 20 * k);
        cr_assert_eq(p.w[k].train_last, 60 + 20 * k);
        cr_assert_eq(p.w[k].test_last, 80 + 20 * k);
    }
    cr_assert_str_eq(p.scheme, "walk-forward 60b:20b");
    cr_assert_str_eq(p.by, "after_tax_value");
    rb_oos_plan_free(&p);
    p = plan_of(&(rb_oos_options){.walk_forward = "60b:20b", .by = "after-tax-value"});
    cr_assert_str_eq(p.by, "after_tax_value", "a metric spelled as a flag, as rebal runs --by takes it");
    rb_oos_plan_free(&p);
    p = plan_of(&(rb_oos_options){.walk_forward = "60b:20b", .anchored = 1, .by = "sharpe"});
    cr_assert_eq(p.n, 6);
    for (size_t k = 0; k < p.n; k++) cr_assert_eq(p.w[k].train_first, 0, "anchored: every training part from bar 0");
    cr_assert_str_eq(p.scheme, "walk-forward 60b:20b anchored");
    cr_assert_str_eq(p.by, "sharpe");
    rb_oos_plan_free(&p);
}

Test(oos, calendar_windows_fall_on_the_last_bar_at_or_before_each_date)
{
    /* 2020-01-01 + 2 months = 2020-03-01 (bar 60: 2020 is a leap year), + 1 month each. */
    rb_oos_plan p = plan_of(&(rb_oos_options){.walk_forward = "2m:1m"});
    cr_assert_eq(p.n, 4, "test parts end on Apr 1, May 1, Jun 1, Jul 1 (bar 182); Aug 1 is past bar 199");
    static const size_t first[] = {0, 31, 60, 91}, last[] = {60, 91, 121, 152}, end[] = {91, 121, 152, 182};
    for (size_t k = 0; k < p.n; k++) {
        cr_assert_eq(p.w[k].train_first, first[k], "window %zu", k);
        cr_assert_eq(p.w[k].train_last, last[k], "window %zu", k);
        cr_assert_eq(p.w[k].test_last, end[k], "window %zu", k);
    }
    rb_oos_plan_free(&p);
    p = plan_of(&(rb_oos_options){.split = "2020-03-15"});
    cr_assert_eq(p.n, 1);
    cr_assert_eq(p.w[0].train_first, 0);
    cr_assert_eq(p.w[0].train_last, 74);
    cr_assert_eq(p.w[0].test_last, T_BARS - 1);
    cr_assert_str_eq(p.scheme, "split 2020-03-15");
    rb_oos_plan_free(&p);
}

static void plan_fails(const rb_oos_options *o, const char *needle)
{
    for (size_t t = 0; t < T_BARS; t++) times[t] = T0 + (rb_time)t * DAY;
    rb_oos_plan p;
    rb_error err = {0};
    cr_assert_neq(rb_oos_plan_make(o, times, T_BARS, &p, &err), RB_OK, "expected '%s'", needle);
    cr_assert_not_null(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
}

Test(oos, errors_name_the_option_and_what_is_wrong)
{
    plan_fails(&(rb_oos_options){.walk_forward = "1y:1y"}, "--walk-forward 1y:1y: the windows are longer than the data");
    plan_fails(&(rb_oos_options){.walk_forward = "190b:20b"}, "longer than the data");
    plan_fails(&(rb_oos_options){.walk_forward = "3x:1y"}, "--walk-forward '3x:1y': 'x' is not a unit");
    plan_fails(&(rb_oos_options){.walk_forward = "3y"}, "--walk-forward '3y': expected TRAIN:TEST");
    plan_fails(&(rb_oos_options){.walk_forward = "0b:10b"}, "'0b' is not a whole number from 1");
    plan_fails(&(rb_oos_options){.walk_forward = "60b:1m"}, "both parts in bars");
    plan_fails(&(rb_oos_options){.walk_forward = "2m:1m", .split = "2020-03-01"}, "give one of them");
    plan_fails(&(rb_oos_options){.split = "2020-03-01", .anchored = 1}, "--anchored: only with --walk-forward");
    plan_fails(&(rb_oos_options){.split = "2021-01-01"}, "--split 2021-01-01: outside the data");
    plan_fails(&(rb_oos_options){.split = "March"}, "--split 'March'");
    plan_fails(&(rb_oos_options){.walk_forward = "60b:20b", .by = "sharp"}, "--by: 'sharp' is not a metric");
    plan_fails(&(rb_oos_options){0}, "--walk-forward TRAIN:TEST or --split DATE");
}

/* ---------------------------------------------------------------- by hand */

#define ONE_ASSET "[data]\nassets = X=1\n[costs]\nfee-bps = 0, 100\n[buy-and-hold]\n"

Test(oos, one_asset_held_stitches_into_the_price_path)
{
    rb_store *store = walk_store();
    char *res = rbt_path(dir, "hand.db");
    rb_oos_options o = {.walk_forward = "60b:20b"};
    rb_oos_result *r = oos_sweep(store, ONE_ASSET, res, &o, 1, NULL);
    rb_sweep *sw = parse(ONE_ASSET);
    int64_t free_id = -1;
    for (uint64_t k = 0; k < rb_sweep_count(sw); k++) {
        char text[256];
        rb_sweep_canonical(sw, k, text, sizeof text);
        if (strstr(text, "fee-bps=0")) free_id = rb_sweep_config_id(sw, k);
    }
    rb_sweep_free(sw);
    cr_assert_str_eq(r->scheme, "walk-forward 60b:20b");
    cr_assert_eq(r->configurations, 2);
    cr_assert_eq(r->nwindows, 6);
    cr_assert_eq(r->is_id, free_id, "the whole period's best: no fee");
    for (size_t k = 0; k < 6; k++) {
        const rb_oos_window *w = &r->windows[k];
        cr_assert_eq(w->train_start, T0 + (rb_time)(20 * k) * DAY);
        cr_assert_eq(w->train_end, T0 + (rb_time)(60 + 20 * k) * DAY);
        cr_assert_eq(w->test_start, w->train_end);
        cr_assert_eq(w->test_end, T0 + (rb_time)(80 + 20 * k) * DAY);
        cr_assert_eq(w->train_bars, 61);
        cr_assert_eq(w->test_bars, 21);
        cr_assert_eq(w->winner_id, free_id, "window %zu: the fee of 100 bps loses", k);
        cr_assert_eq(w->test_rank, 1);
        cr_assert_eq(w->ranked, 2);
        cr_assert_eq(w->is_test_rank, 1);
        /* Held at no cost, each test part grows with X: its end over its start is p_end / p_start. */
        rbt_assert_close(w->end_value / w->start_value, px[(80 + 20 * k) * 2] / px[(60 + 20 * k) * 2], 1e-12, "part");
    }
    cr_assert_eq(r->top_decile, 1.0);
    cr_assert_eq(r->is_top_decile, 1.0);
    cr_assert_eq(r->npoints, 121, "bar 60 to bar 180");
    for (size_t t = 0; t < r->npoints; t++) {
        const rb_oos_point *p = &r->curve[t];
        cr_assert_eq(p->time, T0 + (rb_time)(60 + t) * DAY);
        cr_assert_eq(p->window, t == 0 ? 0 : (t - 1) / 20);
        double want = 100000 * px[(60 + t) * 2] / px[60 * 2];
        rbt_assert_close(p->oos_value, want, 1e-12, "stitched");
        rbt_assert_close(p->is_value, want, 1e-12, "in-sample winner");
    }
    /* The figures of the curve, from its returns. */
    double sum = 0, ss = 0, n = 120;
    for (size_t t = 1; t <= 120; t++) sum += px[(60 + t) * 2] / px[(59 + t) * 2] - 1;
    for (size_t t = 1; t <= 120; t++) {
        double d = px[(60 + t) * 2] / px[(59 + t) * 2] - 1 - sum / n;
        ss += d * d;
    }
    double P = 365, sd = sqrt(ss / (n - 1));
    rbt_assert_close(r->oos.final_value, 100000 * px[180 * 2] / px[60 * 2], 1e-12, "final");
    rbt_assert_close(r->oos.cagr, pow(px[180 * 2] / px[60 * 2], P / n) - 1, 1e-9, "cagr");
    rbt_assert_close(r->oos.ann_vol, sd * sqrt(P), 1e-9, "ann_vol");
    rbt_assert_close(r->oos.sharpe, sqrt(P) * (sum / n) / sd, 1e-9, "sharpe");
    rbt_assert_close(r->is.final_value, r->oos.final_value, 1e-12, "the same curve");
    rb_oos_free(r);
    free(res);
    rb_store_free(store);
}

/* ---------------------------------------------------------------- each part is a sweep */

#define GRID_DATA "[data]\nassets = X=0.6,Y=0.4\n"
#define GRID_RULES                                                                                                     \
    "[costs]\nfee-bps = 0, 50\n[buy-and-hold]\n[calendar]\nevery = week, month\n[threshold]\nband = 0.02, 0.05, 0.1\n"
#define GRID GRID_DATA GRID_RULES

typedef struct rows {
    uint64_t n;
    rb_metrics m[64];
    int64_t id[64];
    int ok[64];
} rows;

static rb_status take_row(void *ctx, const rb_sweep_row *row, rb_error *err)
{
    (void)err;
    rows *r = ctx;
    r->id[row->index] = row->config_id;
    r->ok[row->index] = row->metrics != NULL;
    if (row->metrics) r->m[row->index] = *row->metrics;
    return RB_OK;
}

/* The sweep of GRID with [data] start and end: every configuration's metrics, stored nowhere. */
static rows part_sweep(rb_store *store, rb_time start, rb_time end, int threads)
{
    char a[32], b[32], text[512];
    snprintf(text, sizeof text, GRID_DATA "start = %s\nend = %s\n" GRID_RULES, rb_time_format(start, a),
             rb_time_format(end, b));
    rb_sweep *sw = parse(text);
    rows r = {.n = rb_sweep_count(sw)};
    cr_assert_leq(r.n, 64);
    rb_sweep_options so = {.threads = threads, .on_row = take_row, .ctx = &r};
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run_parsed(store, sw, "part.ini", &so, NULL, &err), RB_OK, "%s", err.msg);
    rb_sweep_free(sw);
    return r;
}

/* The rank of row k by after_tax_value (highest first, ties by config id), as rebal runs ranks. */
static uint64_t rank_in(const rows *r, uint64_t k)
{
    uint64_t rank = 1;
    for (uint64_t j = 0; j < r->n; j++) {
        double x = r->m[j].after_tax_value, y = r->m[k].after_tax_value;
        if (j != k && (x > y || (x == y && r->id[j] < r->id[k]))) rank++;
    }
    return rank;
}

static uint64_t index_of(const rows *r, int64_t id)
{
    for (uint64_t k = 0; k < r->n; k++)
        if (r->id[k] == id) return k;
    cr_assert_fail("config %lld is not in the sweep", (long long)id);
    return 0;
}

Test(oos, each_part_equals_a_sweep_with_its_start_and_end_to_the_bit)
{
    rb_store *store = walk_store();
    char *res = rbt_path(dir, "grid.db");
    rb_oos_options o = {.walk_forward = "2m:1m"};
    rb_oos_result *r = oos_sweep(store, GRID, res, &o, 2, NULL);
    cr_assert_eq(r->nwindows, 4);
    rows whole = part_sweep(store, T0, T0 + (T_BARS - 1) * (rb_time)DAY, 1);
    uint64_t best = 0;
    for (uint64_t k = 1; k < whole.n; k++)
        if (rank_in(&whole, k) < rank_in(&whole, best)) best = k;
    cr_assert_eq(r->is_id, whole.id[best], "the in-sample winner is the whole period's best");
    cr_assert(rbt_same_bits(r->is_metric, whole.m[best].after_tax_value));
    for (size_t i = 0; i < r->nwindows; i++) {
        const rb_oos_window *w = &r->windows[i];
        rows train = part_sweep(store, w->train_start, w->train_end, 1);
        rows test = part_sweep(store, w->test_start, w->test_end, 2);
        uint64_t win = 0;
        for (uint64_t k = 1; k < train.n; k++)
            if (rank_in(&train, k) < rank_in(&train, win)) win = k;
        cr_assert_eq(w->winner_id, train.id[win], "window %zu: the training part's best", i);
        cr_assert(rbt_same_bits(w->train_metric, train.m[win].after_tax_value), "window %zu: train metric", i);
        cr_assert(rbt_same_bits(w->test_metric, test.m[win].after_tax_value), "window %zu: test metric", i);
        cr_assert_eq(w->test_rank, rank_in(&test, win), "window %zu: test rank", i);
        cr_assert_eq(w->ranked, test.n);
        cr_assert_eq(w->is_test_rank, rank_in(&test, index_of(&test, r->is_id)), "window %zu", i);
        cr_assert_eq(w->train_bars, train.m[0].bars);
        cr_assert_eq(w->test_bars, test.m[0].bars);
        /* The stitched part: its start times the winner's final value over the capital, the
         * batch's final value (no flows here). */
        rbt_assert_close(w->end_value, w->start_value * test.m[win].final_value / 100000, 1e-12, "end of part");
        if (i) cr_assert(rbt_same_bits(w->start_value, r->windows[i - 1].end_value), "each part starts where the last ended");
    }
    rb_oos_free(r);
    free(res);
    rb_store_free(store);
}

static void same_result(const rb_oos_result *a, const rb_oos_result *b)
{
    cr_assert_eq(a->nwindows, b->nwindows);
    cr_assert_eq(a->npoints, b->npoints);
    cr_assert_eq(a->is_id, b->is_id);
    cr_assert_eq(memcmp(&a->oos, &b->oos, sizeof a->oos), 0);
    cr_assert_eq(memcmp(&a->is, &b->is, sizeof a->is), 0);
    cr_assert_eq(memcmp(a->windows, b->windows, a->nwindows * sizeof *a->windows), 0);
    cr_assert_eq(memcmp(a->curve, b->curve, a->npoints * sizeof *a->curve), 0);
}

Test(oos, the_same_for_any_thread_count)
{
    rb_store *store = walk_store();
    char *one = rbt_path(dir, "one.db"), *three = rbt_path(dir, "three.db");
    rb_oos_options o = {.walk_forward = "50b:25b", .anchored = 1, .by = "sharpe"};
    rb_oos_result *a = oos_sweep(store, GRID, one, &o, 1, NULL), *b = oos_sweep(store, GRID, three, &o, 3, NULL);
    cr_assert_eq(a->nwindows, 5);
    for (size_t i = 0; i < a->nwindows; i++) cr_assert_eq(a->windows[i].train_start, T0);
    same_result(a, b);
    rb_oos_free(a);
    rb_oos_free(b);
    free(one);
    free(three);
    rb_store_free(store);
}

Test(oos, split_is_one_window_trained_up_to_the_date)
{
    rb_store *store = walk_store();
    char *res = rbt_path(dir, "split.db");
    rb_oos_options o = {.split = "2020-04-10", .by = "max_drawdown"};
    rb_oos_result *r = oos_sweep(store, GRID, res, &o, 2, NULL);
    cr_assert_eq(r->nwindows, 1);
    cr_assert_str_eq(r->scheme, "split 2020-04-10");
    cr_assert_str_eq(r->by, "max_drawdown");
    cr_assert_eq(r->windows[0].train_start, T0);
    cr_assert_eq(r->windows[0].train_end, T0 + 100 * (rb_time)DAY);
    cr_assert_eq(r->windows[0].test_end, T0 + (T_BARS - 1) * (rb_time)DAY);
    cr_assert_eq(r->npoints, T_BARS - 100);
    rb_oos_free(r);
    free(res);
    rb_store_free(store);
}

/* ---------------------------------------------------------------- store */

Test(oos, a_second_run_finds_the_test_and_force_records_a_new_sweep_and_test)
{
    rb_store *store = walk_store();
    char *res = rbt_path(dir, "again.db");
    rb_oos_options o = {.walk_forward = "60b:20b"};
    rb_sweep_summary s1, s2, s3, s4;
    rb_oos_free(oos_sweep(store, GRID, res, &o, 2, &s1));
    cr_assert_eq(s1.oos_found, 0);
    rb_oos_free(oos_sweep(store, GRID, res, &o, 2, &s2));
    cr_assert_neq(s2.already, 0, "the sweep is complete: not run again");
    cr_assert_eq(s2.oos_found, 1, "nor its test");
    cr_assert_eq(s2.oos_id, s1.oos_id);
    /* Another scheme on the same sweep: a new test beside the first. */
    rb_oos_options anchored = {.walk_forward = "60b:20b", .anchored = 1};
    rb_oos_free(oos_sweep(store, GRID, res, &anchored, 2, &s3));
    cr_assert_eq(s3.oos_found, 0);
    cr_assert_eq(s3.sweep_id, s1.sweep_id);
    cr_assert_gt(s3.oos_id, s1.oos_id);
    /* --force: a new sweep, and its own test. */
    rb_sweep *sw = parse(GRID);
    rb_sweep_options so = {.results = res, .threads = 2, .force = 1, .oos = &o};
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run_parsed(store, sw, "test.ini", &so, &s4, &err), RB_OK, "%s", err.msg);
    rb_sweep_free(sw);
    cr_assert_gt(s4.sweep_id, s1.sweep_id);
    cr_assert_eq(s4.oos_found, 0);
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM oos_tests"), 3);
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM oos_windows"), 6 + 6 + 6);
    cr_assert_eq(rbt_sqlite_int(res, "PRAGMA user_version"), RB_RESULTS_SCHEMA_VERSION);
    free(res);
    rb_store_free(store);
}

Test(oos, a_sweep_without_a_test_and_an_older_store_read_as_none)
{
    rb_store *store = walk_store();
    char *res = rbt_path(dir, "plain.db");
    rb_sweep *sw = parse(GRID);
    rb_sweep_options so = {.results = res, .threads = 1};
    rb_sweep_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run_parsed(store, sw, "test.ini", &so, &sum, &err), RB_OK, "%s", err.msg);
    rb_sweep_free(sw);
    cr_assert_eq(sum.oos_id, 0);
    rb_oos_result *r = (rb_oos_result *)1;
    cr_assert_eq(rb_oos_read(res, 0, &r, &err), RB_OK, "%s", err.msg);
    cr_assert_null(r);
    /* The store of rebal 0.1 (schema version 1): read as it is, no test in it. */
    char *fixture = rbt_source_path("tests/fixtures/results-v1.db"), *old = rbt_path(dir, "v1.db");
    rbt_copy_file(fixture, old);
    r = (rb_oos_result *)1;
    cr_assert_eq(rb_oos_read(old, 0, &r, &err), RB_OK, "%s", err.msg);
    cr_assert_null(r);
    free(fixture);
    free(old);
    free(res);
    rb_store_free(store);
}

Test(oos, refused_before_anything_runs)
{
    rb_store *store = walk_store();
    char *res = rbt_path(dir, "refused.db");
    rb_sweep *sw = parse(GRID);
    rb_error err = {0};
    rb_oos_options longer = {.walk_forward = "150b:100b"};
    rb_sweep_options so = {.results = res, .oos = &longer};
    cr_assert_neq(rb_sweep_run_parsed(store, sw, "test.ini", &so, NULL, &err), RB_OK);
    cr_assert_not_null(strstr(err.msg, "test.ini: --walk-forward 150b:100b: the windows are longer than the data"),
                       "%s", err.msg);
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM sweeps"), -1, "nothing stored");
    rb_oos_options bad = {.walk_forward = "2q:1m"};
    so.oos = &bad;
    cr_assert_neq(rb_sweep_run_parsed(store, sw, "test.ini", &so, NULL, &err), RB_OK);
    cr_assert_not_null(strstr(err.msg, "--walk-forward '2q:1m': 'q' is not a unit"), "%s", err.msg);
    rb_sweep_options storeless = {.on_row = take_row, .oos = &(rb_oos_options){.split = "2020-03-01"}};
    cr_assert_neq(rb_sweep_run_parsed(store, sw, "test.ini", &storeless, NULL, &err), RB_OK);
    cr_assert_not_null(strstr(err.msg, "--split needs a results store"), "%s", err.msg);
    rb_sweep_free(sw);
    free(res);
    rb_store_free(store);
}

/* Stops the run once every configuration of the sweep has been delivered: the sweep is then
 * complete, and the stop falls on the out-of-sample test that follows it. */
typedef struct stopper {
    volatile int stop;
    uint64_t seen, total;
} stopper;

static rb_status stop_after_all(void *ctx, const rb_sweep_row *row, rb_error *err)
{
    (void)row, (void)err;
    stopper *s = ctx;
    uint64_t n = __atomic_add_fetch(&s->seen, 1, __ATOMIC_SEQ_CST);
    if (n == s->total) s->stop = 1;
    return RB_OK;
}

Test(oos, stopped_during_the_test_the_sweep_stays_complete_and_the_test_runs_next_time)
{
    rb_store *store = walk_store();
    char *res = rbt_path(dir, "stopped.db");
    rb_sweep *sw = parse(GRID);
    rb_oos_options o = {.walk_forward = "60b:20b"};
    stopper st = {.total = rb_sweep_count(sw)};
    rb_sweep_options so = {.results = res, .threads = 2, .oos = &o, .stop = &st.stop, .on_row = stop_after_all,
                           .ctx = &st};
    rb_sweep_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run_parsed(store, sw, "test.ini", &so, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(sum.ran, st.total, "the sweep ran whole");
    cr_assert(sum.interrupted, "the test was stopped");
    cr_assert_eq(sum.oos_id, 0);
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM sweeps WHERE status = 'done'"), 1);
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM oos_tests"), 0, "nothing of the test is stored");
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM oos_windows"), 0);
    /* Run again (with --resume, as the command prints): the sweep has nothing left, the test runs. */
    rb_sweep_options again = {.results = res, .threads = 2, .oos = &o, .resume = 1};
    cr_assert_eq(rb_sweep_run_parsed(store, sw, "test.ini", &again, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(sum.ran, 0);
    cr_assert(!sum.interrupted);
    cr_assert_neq(sum.oos_id, 0);
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM oos_windows"), 6);
    /* The same as a test never stopped. */
    char *clean = rbt_path(dir, "clean.db");
    rb_oos_result *a = oos_sweep(store, GRID, clean, &o, 1, NULL), *b = NULL;
    cr_assert_eq(rb_oos_read(res, 0, &b, &err), RB_OK, "%s", err.msg);
    same_result(a, b);
    rb_oos_free(a);
    rb_oos_free(b);
    rb_sweep_free(sw);
    free(clean);
    free(res);
    rb_store_free(store);
}
