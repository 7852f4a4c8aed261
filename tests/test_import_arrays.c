/* test_import_arrays.c - bars given as arrays (rb_import_arrays, what the Python package's
 * DataFrames become): the same store as the same closes in a wide CSV file, in row-major,
 * column-major and strided layouts; every refusal named by row, time and column, leaving the
 * store as it was; conflicts, replace and idempotence as for files. And a sweep's rows
 * delivered to a callback (rb_sweep_options.on_row) with or without a results store. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rebal.h"
#include "support.h"
#include "sweep.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(import_arrays, .init = setup, .fini = teardown, .timeout = 120);

#define DAY 86400
static const char *const syms[] = {"A", "B"};
static const rb_time times[] = {18262 * DAY, 18263 * DAY, 18264 * DAY, 18265 * DAY};
/* row-major 4 x 2; NaN: B has no bar on the second day */
static const double closes[] = {10, 20, 11, NAN, 12, 22, 13.5, 23};

static rb_store *memory_store(void)
{
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(":memory:", 0, &s, &err), RB_OK, "%s", err.msg);
    return s;
}

static rb_matrix *load(rb_store *s)
{
    rb_load_options lo;
    rb_load_options_init(&lo);
    lo.symbols = syms;
    lo.nsymbols = 2;
    rb_matrix *m = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_matrix_load(s, &lo, &m, &err), RB_OK, "%s", err.msg);
    return m;
}

static void expect_same_matrix(const rb_matrix *a, const rb_matrix *b)
{
    cr_assert_eq(a->T, b->T);
    cr_assert_eq(a->N, b->N);
    cr_assert_eq(memcmp(a->time, b->time, a->T * sizeof *a->time), 0);
    cr_assert_eq(memcmp(a->close, b->close, a->T * a->N * sizeof *a->close), 0);
    cr_assert_eq(memcmp(a->filled, b->filled, a->T * a->N), 0);
}

static rb_import_table table(const double *c, size_t row_stride, size_t col_stride)
{
    return (rb_import_table){.name = "frame", .symbols = syms, .nsymbols = 2, .time = times, .nbars = 4, .close = c,
                             .row_stride = row_stride, .col_stride = col_stride};
}

Test(import_arrays, same_store_as_a_wide_csv_in_every_layout)
{
    rb_store *csv = rbt_store_from_csv(dir, "date,A,B\n2020-01-01,10,20\n2020-01-02,11,\n2020-01-03,12,22\n"
                                            "2020-01-04,13.5,23\n", NULL);
    rb_matrix *want = load(csv);
    double col_major[8], strided[24];
    for (size_t t = 0; t < 4; t++)
        for (size_t i = 0; i < 2; i++) {
            col_major[i * 4 + t] = closes[t * 2 + i];
            strided[t * 6 + i * 3] = closes[t * 2 + i];
        }
    const rb_import_table layouts[] = {table(closes, 2, 1), table(col_major, 1, 4), table(strided, 6, 3)};
    for (size_t k = 0; k < 3; k++) {
        rb_store *s = memory_store();
        rb_import_stats st = {0};
        rb_error err = {0};
        cr_assert_eq(rb_import_arrays(s, &layouts[k], NULL, &st, &err), RB_OK, "%s", err.msg);
        cr_assert_eq(st.bars_added, 7);
        cr_assert_eq(st.assets_added, 2);
        cr_assert_eq(st.rows, 4);
        rb_matrix *got = load(s);
        expect_same_matrix(got, want);
        /* the same again changes nothing */
        cr_assert_eq(rb_import_arrays(s, &layouts[k], NULL, &st, &err), RB_OK, "%s", err.msg);
        cr_assert_eq(st.bars_added, 0);
        cr_assert_eq(st.bars_unchanged, 7);
        rb_matrix_free(got);
        rb_store_free(s);
    }
    rb_matrix_free(want);
    rb_store_free(csv);
}

static void expect_refused(const rb_import_table *tb, rb_status code, const char *needle)
{
    rb_store *s = memory_store();
    rb_error err = {0};
    cr_assert_eq(rb_import_arrays(s, tb, NULL, NULL, &err), code, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
    rb_asset_info *a = NULL;
    size_t n = 9;
    cr_assert_eq(rb_store_list_assets(s, &a, &n, &err), RB_OK);
    cr_assert_eq(n, 0, "a refused table stored something");
    free(a);
    rb_store_free(s);
}

Test(import_arrays, refusals_name_row_time_and_column)
{
    double bad[8];
    memcpy(bad, closes, sizeof bad);
    bad[5] = -3;
    rb_import_table tb = table(bad, 2, 1);
    expect_refused(&tb, RB_ERR_DATA, "frame: row 3 (2020-01-03), column B: price -3 is not positive");
    bad[5] = INFINITY;
    expect_refused(&tb, RB_ERR_DATA, "column B: price inf is not finite");
    bad[5] = 2e12;
    expect_refused(&tb, RB_ERR_DATA, "is outside 1e-12 to 1e12");
    rb_time back[] = {times[0], times[2], times[1], times[3]};
    tb = table(closes, 2, 1);
    tb.time = back;
    expect_refused(&tb, RB_ERR_DATA, "frame: row 3: time 2020-01-02 is not after the row before's 2020-01-03");
    const char *const twice[] = {"A", "A"};
    tb = table(closes, 2, 1);
    tb.symbols = twice;
    expect_refused(&tb, RB_ERR_DATA, "column 2: symbol A is given twice");
    const char *const cash[] = {"A", "cash"};
    tb.symbols = cash;
    expect_refused(&tb, RB_ERR_DATA, "column 2");
    tb = table(closes, 0, 1);
    expect_refused(&tb, RB_ERR_USAGE, "stride");
    tb = table(closes, 2, 1);
    tb.nbars = 0;
    expect_refused(&tb, RB_ERR_USAGE, "no bars");
}

Test(import_arrays, extreme_prices_when_allowed)
{
    double big[8];
    for (size_t i = 0; i < 8; i++) big[i] = 1e13 + (double)i;
    rb_import_table tb = table(big, 2, 1);
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.allow_extreme_prices = 1;
    rb_store *s = memory_store();
    rb_error err = {0};
    cr_assert_eq(rb_import_arrays(s, &tb, &opt, NULL, &err), RB_OK, "%s", err.msg);
    rb_store_free(s);
}

Test(import_arrays, conflicts_refused_unless_replace)
{
    rb_store *s = memory_store();
    rb_import_table tb = table(closes, 2, 1);
    rb_error err = {0};
    cr_assert_eq(rb_import_arrays(s, &tb, NULL, NULL, &err), RB_OK, "%s", err.msg);
    double changed[8];
    memcpy(changed, closes, sizeof changed);
    changed[6] = 14;
    tb.close = changed;
    cr_assert_eq(rb_import_arrays(s, &tb, NULL, NULL, &err), RB_ERR_CONFLICT);
    cr_assert_not_null(strstr(err.msg, "frame:4: A 2020-01-04"), "%s", err.msg);
    rb_matrix *m = load(s);
    cr_assert_eq(m->close[3 * 2], 13.5, "a refused import changed a bar");
    rb_matrix_free(m);
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.replace = 1;
    rb_import_stats st = {0};
    cr_assert_eq(rb_import_arrays(s, &tb, &opt, &st, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(st.bars_replaced, 1);
    m = load(s);
    cr_assert_eq(m->close[3 * 2], 14);
    rb_matrix_free(m);
    rb_store_free(s);
}

/* ---------------------------------------------------------------- rows to a callback */

typedef struct rows_seen {
    uint64_t n, failed;
    int keys_called;
    size_t nkeys;
    uint64_t K;
    double final_value[64];
    int64_t id[64];
    char band[64][16];
} rows_seen;

static rb_status seen_keys(void *ctx, const char *const *keys, size_t nkeys, uint64_t K, rb_error *err)
{
    (void)err;
    rows_seen *r = ctx;
    r->keys_called++;
    r->nkeys = nkeys;
    r->K = K;
    cr_assert(nkeys >= 1 && strcmp(keys[0], "band") == 0);
    return RB_OK;
}

static rb_status seen_row(void *ctx, const rb_sweep_row *row, rb_error *err)
{
    (void)err;
    rows_seen *r = ctx;
    cr_assert_lt(row->index, 64);
#pragma omp atomic
    r->n++;
    if (!row->metrics) {
#pragma omp atomic
        r->failed++;
        return RB_OK;
    }
    r->final_value[row->index] = row->metrics->final_value;
    r->id[row->index] = row->config_id;
    for (size_t p = 0; p < row->nparams; p++)
        if (strcmp(row->params[p].key, "band") == 0)
            snprintf(r->band[row->index], sizeof r->band[0], "%s", row->params[p].value);
    return RB_OK;
}

static const char spec_text[] = "[data]\nassets = A=0.5,B=0.5\n[threshold]\nband = 0.01:0.1:0.01\n";

/* The table in a memory store, and the ten-band sweep over it. */
static rb_store *sweep_setup(rb_sweep **sw)
{
    rb_store *s = memory_store();
    rb_import_table tb = table(closes, 2, 1);
    rb_error err = {0};
    cr_assert_eq(rb_import_arrays(s, &tb, NULL, NULL, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_sweep_parse_text(spec_text, "t.ini", sw, &err), RB_OK, "%s", err.msg);
    return s;
}

Test(import_arrays, sweep_rows_to_a_callback_match_the_results_store)
{
    rb_error err = {0};
    rb_sweep *sw = NULL;
    rb_store *s = sweep_setup(&sw);
    cr_assert_eq(rb_sweep_count(sw), 10);
    /* without a store */
    rows_seen a = {0};
    rb_sweep_options so = {.on_keys = seen_keys, .on_row = seen_row, .ctx = &a, .threads = 2};
    rb_sweep_summary sum = {0};
    cr_assert_eq(rb_sweep_run_parsed(s, sw, "t.ini", &so, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(a.keys_called, 1);
    cr_assert_eq(a.K, 10);
    cr_assert_eq(a.n, 10);
    cr_assert_eq(sum.ran, 10);
    cr_assert_eq(sum.sweep_id, 0);
    cr_assert_str_eq(a.band[2], "0.03");
    double v;
    cr_assert(rb_setting_value_number("band", a.band[2], &v) && v == 0.03);
    cr_assert(rb_setting_value_number("band", "25%", &v) && v == 0.25);
    cr_assert(!rb_setting_value_number("every", "month", &v));
    cr_assert(!rb_setting_value_number("fee-bps", "BTC=10,ETH=5", &v));
    /* with a store: the same rows, and the store holds them */
    rows_seen b = {0};
    char *res = rbt_path(dir, "r.db");
    so = (rb_sweep_options){.results = res, .on_row = seen_row, .ctx = &b, .threads = 1};
    cr_assert_eq(rb_sweep_run_parsed(s, sw, "t.ini", &so, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(b.n, 10);
    cr_assert_neq(sum.sweep_id, 0);
    cr_assert_eq(memcmp(a.final_value, b.final_value, sizeof a.final_value), 0);
    cr_assert_eq(memcmp(a.id, b.id, sizeof a.id), 0);
    /* the ids the side job listed ahead of the batch (a parsed sweep) are each configuration's */
    for (uint64_t k = 0; k < 10; k++)
        cr_assert_eq(b.id[k], rb_sweep_config_id(sw, k), "configuration %llu", (unsigned long long)k);
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM runs"), 10);
    free(res);
    rb_sweep_free(sw);
    rb_store_free(s);
}

static rb_status refuse_row(void *ctx, const rb_sweep_row *row, rb_error *err)
{
    (void)ctx, (void)row;
    snprintf(err->msg, sizeof err->msg, "the callback says no");
    return err->code = RB_ERR_IO;
}

Test(import_arrays, sweep_without_store_needs_a_callback_and_no_resume)
{
    rb_error err = {0};
    rb_sweep *sw = NULL;
    rb_store *s = sweep_setup(&sw);
    rb_sweep_options so = {0};
    rb_sweep_summary sum = {0};
    cr_assert_eq(rb_sweep_run_parsed(s, sw, NULL, &so, &sum, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "results store"), "%s", err.msg);
    rows_seen a = {0};
    so = (rb_sweep_options){.on_row = seen_row, .ctx = &a, .resume = 1};
    cr_assert_eq(rb_sweep_run_parsed(s, sw, NULL, &so, &sum, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "resume needs a results store"), "%s", err.msg);
    so = (rb_sweep_options){.on_row = refuse_row, .threads = 1};
    cr_assert_eq(rb_sweep_run_parsed(s, sw, NULL, &so, &sum, &err), RB_ERR_IO);
    cr_assert_not_null(strstr(err.msg, "the callback says no"), "%s", err.msg);
    cr_assert_eq(rb_sweep_run_parsed(s, NULL, NULL, &so, &sum, &err), RB_ERR_USAGE);
    rb_sweep_free(sw);
    rb_store_free(s);
}
