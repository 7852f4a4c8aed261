/* test_mpi_plan.c - the parts of rebal sweep across MPI ranks that need no MPI: the queue
 * cut into chunks by estimated cost (engine/sweep_chunks.c) and the price matrix as one
 * buffer (engine/matrix_wire.c, --broadcast-prices). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "matrix_wire.h"
#include "series_wire.h"
#include "support.h"
#include "sweep.h"
#include "sweep_chunks.h"

/* 3 x 400 untaxed threshold configurations, then as many taxed. */
static const char spec_text[] = "[data]\nassets = A=0.5, B=0.5\n"
                                "[costs]\nfee-bps = 1, 2, 3\n"
                                "[tax]\ntax-short = 0, 0.3\n"
                                "[threshold]\nband = 0.0005:0.2:0.0005\n";

static rb_sweep *parse(void)
{
    rb_sweep *sw = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_sweep_parse_text(spec_text, "t.ini", &sw, &err), RB_OK, "%s", err.msg);
    return sw;
}

static uint64_t *whole_queue(uint64_t n)
{
    uint64_t *q = malloc(n * sizeof *q);
    for (uint64_t i = 0; i < n; i++) q[i] = i;
    return q;
}

Test(mpi_plan, a_taxed_configuration_and_a_longer_calendar_cost_more)
{
    rb_sweep *sw = parse();
    rb_matrix short_m = {.T = 1000, .N = 2}, long_m = {.T = 5000, .N = 2};
    uint64_t K = rb_sweep_count(sw), untaxed = K, taxed = K;
    for (uint64_t k = 0; k < K; k++) {
        rb_run_spec spec;
        rb_sweep_fill(sw, k, &spec);
        if (spec.tax_short > 0) taxed = taxed == K ? k : taxed;
        else untaxed = untaxed == K ? k : untaxed;
    }
    cr_assert(taxed < K && untaxed < K);
    cr_expect_gt(rb_sweep_config_cost(sw, &short_m, taxed), rb_sweep_config_cost(sw, &short_m, untaxed));
    cr_expect_gt(rb_sweep_config_cost(sw, &long_m, untaxed), rb_sweep_config_cost(sw, &short_m, untaxed));
    rb_sweep_free(sw);
}

/* Every configuration once, in order; sizes within bounds, shrinking towards the end; the
 * same cut on every call. */
static size_t cut(const rb_sweep *sw, const rb_matrix *m, const uint64_t *q, size_t n, int workers, size_t *sizes,
                  size_t cap)
{
    rb_chunker c;
    rb_chunker_init(&c, sw, m, q, n, workers);
    size_t first, got, count = 0, next = 0;
    while ((got = rb_chunker_next(&c, &first)) > 0) {
        cr_assert_eq(first, next, "chunk %zu starts at %zu, not %zu", count, first, next);
        cr_assert_leq(got, RB_CHUNK_MAX);
        if (first + got < n) cr_assert_geq(got, RB_CHUNK_MIN, "chunk %zu of %zu configurations", count, got);
        cr_assert_lt(count, cap);
        sizes[count++] = got;
        next = first + got;
    }
    cr_assert_eq(next, n, "the chunks cover %zu of %zu configurations", next, n);
    cr_assert_eq(rb_chunker_next(&c, &first), 0, "a chunk after the end");
    return count;
}

Test(mpi_plan, chunks_cover_the_queue_once_in_order_and_the_same_every_time)
{
    rb_sweep *sw = parse();
    rb_matrix m = {.T = 1461, .N = 2};
    uint64_t K = rb_sweep_count(sw);
    uint64_t *q = whole_queue(K);
    size_t a[4096], b[4096];
    for (int workers = 1; workers <= 4; workers++) {
        size_t na = cut(sw, &m, q, K, workers, a, 4096), nb = cut(sw, &m, q, K, workers, b, 4096);
        cr_assert_eq(na, nb);
        cr_assert_arr_eq(a, b, na * sizeof *a, "%d workers: two cuts differ", workers);
        cr_expect_geq(na, (size_t)workers, "%d workers get %zu chunks", workers, na);
    }
    /* A resumed sweep's queue (every third configuration left) is cut the same way. */
    size_t n = 0;
    for (uint64_t k = 0; k < K; k += 3) q[n++] = k;
    cut(sw, &m, q, n, 3, a, 4096);
    free(q);
    rb_sweep_free(sw);
}

Test(mpi_plan, chunks_of_a_large_sweep_shrink_towards_its_end)
{
    rb_sweep *sw = parse();
    rb_matrix m = {.T = 100000, .N = 2};
    uint64_t K = rb_sweep_count(sw), n = 200000;
    uint64_t *q = malloc(n * sizeof *q);
    for (uint64_t i = 0; i < n; i++) q[i] = i % K; /* a long queue of this sweep's configurations */
    static size_t sizes[4096];
    size_t count = cut(sw, &m, q, n, 2, sizes, 4096);
    cr_assert_gt(count, 8);
    cr_expect_geq(sizes[0], sizes[count - 2], "first chunk %zu, next to last %zu", sizes[0], sizes[count - 2]);
    free(q);
    rb_sweep_free(sw);
}

/* A small matrix with every array set and values that tell the cells apart. */
static rb_matrix *small_matrix(int with_has_open)
{
    rb_matrix *m = calloc(1, sizeof *m);
    m->T = 3, m->N = 2;
    m->symbols = calloc(2, sizeof *m->symbols);
    m->symbols[0] = strdup("BTC"), m->symbols[1] = strdup("CASH");
    m->time = malloc(3 * sizeof *m->time);
    m->close = malloc(6 * sizeof(double)), m->open = malloc(6 * sizeof(double));
    m->volume = malloc(6 * sizeof(double)), m->growth = malloc(6 * sizeof(double));
    m->filled = calloc(6, 1), m->flags = calloc(3, sizeof *m->flags);
    for (int i = 0; i < 6; i++) {
        m->close[i] = 100 + i * 0.1, m->open[i] = 99.5 + i, m->volume[i] = i == 3 ? NAN : 1e6 * i;
        m->growth[i] = 1 + i * 1e-3;
    }
    for (int t = 0; t < 3; t++) m->time[t] = 1700000000 + 86400 * t, m->flags[t] = (uint16_t)(t + 1);
    m->filled[4] = 1;
    if (with_has_open) m->has_open = calloc(2, 1), m->has_open[1] = 1;
    m->has_volume = 1, m->periods_per_year = 365, m->periods_inferred = 1;
    strcpy(m->periods_source, "365 bars per year observed");
    return m;
}

static void assert_same_matrix(const rb_matrix *a, const rb_matrix *b)
{
    cr_assert_eq(a->T, b->T);
    cr_assert_eq(a->N, b->N);
    for (size_t i = 0; i < a->N; i++) cr_assert_str_eq(a->symbols[i], b->symbols[i]);
    size_t cells = a->T * a->N;
    cr_assert_arr_eq(a->time, b->time, a->T * sizeof *a->time);
    cr_assert_arr_eq(a->close, b->close, cells * sizeof(double));
    cr_assert_arr_eq(a->open, b->open, cells * sizeof(double));
    cr_assert_arr_eq(a->volume, b->volume, cells * sizeof(double)); /* NaN too: the bits */
    cr_assert_arr_eq(a->growth, b->growth, cells * sizeof(double));
    cr_assert_arr_eq(a->filled, b->filled, cells);
    cr_assert_arr_eq(a->flags, b->flags, a->T * sizeof *a->flags);
    cr_assert_eq(a->has_open == NULL, b->has_open == NULL);
    if (a->has_open) cr_assert_arr_eq(a->has_open, b->has_open, a->N);
    cr_assert_eq(a->has_volume, b->has_volume);
    cr_assert_eq(a->periods_inferred, b->periods_inferred);
    cr_assert_eq(memcmp(&a->periods_per_year, &b->periods_per_year, sizeof(double)), 0);
    cr_assert_str_eq(a->periods_source, b->periods_source);
}

Test(mpi_plan, a_packed_matrix_unpacks_to_the_same_bits)
{
    for (int with = 0; with < 2; with++) {
        rb_matrix *m = small_matrix(with), *back = NULL;
        unsigned char *buf = NULL;
        size_t bytes = 0;
        rb_error err = {0};
        cr_assert_eq(rb_matrix_pack(m, &buf, &bytes, &err), RB_OK, "%s", err.msg);
        cr_assert_eq(rb_matrix_unpack(buf, bytes, &back, &err), RB_OK, "%s", err.msg);
        assert_same_matrix(m, back);
        free(buf);
        rb_matrix_free(back);
        rb_matrix_free(m);
    }
}

Test(mpi_plan, a_damaged_buffer_is_refused)
{
    rb_matrix *m = small_matrix(1), *back = NULL;
    unsigned char *buf = NULL;
    size_t bytes = 0;
    rb_error err = {0};
    cr_assert_eq(rb_matrix_pack(m, &buf, &bytes, &err), RB_OK, "%s", err.msg);
    cr_expect_eq(rb_matrix_unpack(buf, bytes - 1, &back, &err), RB_ERR_DATA, "a buffer cut short");
    cr_expect_not_null(strstr(err.msg, "damaged"), "%s", err.msg);
    cr_expect_eq(rb_matrix_unpack(buf, 10, &back, &err), RB_ERR_DATA, "shorter than the header");
    buf[0] ^= 1;
    cr_expect_eq(rb_matrix_unpack(buf, bytes, &back, &err), RB_ERR_DATA, "not a packed matrix");
    cr_expect_null(back);
    free(buf);
    rb_matrix_free(m);
}

/* The series a sweep reads (each once, whichever setting names it), with every stored
 * point, into a store in memory that reads them back the same; a name that is no stored
 * series, and a damaged buffer, are refused. */
Test(mpi_plan, the_series_a_sweep_reads_travel_whole)
{
    char *dir = rbt_tempdir(), *db = rbt_path(dir, "s.db");
    rb_store *store = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(db, 0, &store, &err), RB_OK, "%s", err.msg);
    const rb_time t[] = {1577836800, 1577923200, 1578009600};
    const double gas[] = {20, 35.5, 1e-9}, depth[] = {1e6, 2e6, 3.25e6};
    rb_series_stats st = {0};
    cr_assert_eq(rb_series_import_arrays(store, "gas", t, gas, 3, 0, &st, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_series_import_arrays(store, "depth-A", t + 1, depth + 1, 2, 0, &st, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_series_import_arrays(store, "unused", t, depth, 3, 0, &st, &err), RB_OK, "%s", err.msg);
    rb_sweep *sw = NULL;
    cr_assert_eq(rb_sweep_parse_text("[data]\nassets = A=0.5, B=0.5\n[costs]\ngas-series = gas\n"
                                     "amm-depth-series = A=depth-A\n"
                                     "[threshold]\nband = 0.1, 0.2\nbenchmark = series:gas\n",
                                     "s.ini", &sw, &err),
                 RB_OK, "%s", err.msg);
    unsigned char *buf = NULL;
    size_t bytes = 0;
    cr_assert_eq(rb_series_pack(store, sw, &buf, &bytes, &err), RB_OK, "%s", err.msg);
    cr_assert_not_null(buf);
    rb_store *mem = NULL;
    cr_assert_eq(rb_series_unpack(buf, bytes, &mem, &err), RB_OK, "%s", err.msg);
    rb_series_info *list = NULL;
    size_t n = 0;
    cr_assert_eq(rb_store_list_series(mem, &list, &n, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(n, 2, "gas and depth-A, once each; not the unused one");
    free(list);
    const char *names[] = {"gas", "depth-A"};
    const double *want[] = {gas, depth + 1};
    const rb_time *want_t[] = {t, t + 1};
    size_t want_n[] = {3, 2};
    for (int k = 0; k < 2; k++) {
        rb_time *tt = NULL;
        double *vv = NULL;
        size_t m = 0;
        cr_assert_eq(rb_series_get(mem, names[k], &tt, &vv, &m, &err), RB_OK, "%s", err.msg);
        cr_assert_eq(m, want_n[k]);
        cr_assert_arr_eq(tt, want_t[k], m * sizeof *tt);
        cr_assert_arr_eq(vv, want[k], m * sizeof *vv);
        free(tt);
        free(vv);
    }
    rb_store_free(mem);
    cr_expect_eq(rb_series_unpack(buf, bytes - 1, &mem, &err), RB_ERR_DATA, "a buffer cut short");
    cr_expect_not_null(strstr(err.msg, "damaged"), "%s", err.msg);
    cr_expect_null(mem);
    free(buf);
    rb_sweep_free(sw);

    /* a benchmark that is an asset's symbol is no series: it cannot travel */
    cr_assert_eq(rb_sweep_parse_text("[data]\nassets = A=0.5, B=0.5\n[threshold]\nband = 0.1\nbenchmark = B\n",
                                     "s.ini", &sw, &err),
                 RB_OK, "%s", err.msg);
    cr_assert_eq(rb_series_pack(store, sw, &buf, &bytes, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "--broadcast-prices: the sweep's benchmark names 'B', which the price store "
                                       "holds no series of"),
                       "%s", err.msg);
    rb_sweep_free(sw);
    rb_store_free(store);
    rbt_rmtree(dir);
    free(db);
    free(dir);
}
