/* test_setup_alloc.c - a sweep's per-configuration setup allocates nothing: the allocator
 * is wrapped at link time (tests/meson.build: -Wl,--wrap=malloc,...), and a sweep of 2n
 * configurations must call it exactly as often as one of n. Every configuration of the
 * larger sweep repeats one of the smaller (one family per block slot), so any allocation
 * made per configuration, or grown per configuration, shows as a difference. Counts, not
 * time: nothing here depends on the machine's speed. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "rebal.h"
#include "resolve.h"
#include "spec.h"
#include "support.h"

/* ---------------------------------------------------------------- the counting allocator */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

static atomic_long allocations;

void *__wrap_malloc(size_t size)
{
    atomic_fetch_add(&allocations, 1);
    return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    atomic_fetch_add(&allocations, 1);
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    atomic_fetch_add(&allocations, 1);
    return __real_realloc(p, size);
}

/* ---------------------------------------------------------------- a sweep */

static char *dir;
static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(setup_alloc, .init = setup, .fini = teardown, .timeout = 120);

/* Three assets with volume, a gas series, 300 daily bars crossing a year end. */
static rb_store *prices(void)
{
    size_t cap = 1 << 18, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv + len, cap - len, "symbol,date,open,close,volume\n");
    double p[3] = {100, 50, 20};
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (int t = 0; t < 300; t++) {
        char date[32];
        rb_time_format(1575158400 + (rb_time)t * 86400, date);
        for (int i = 0; i < 3; i++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            double u = (double)(rng >> 11) / 9007199254740992.0;
            double open = p[i];
            p[i] = open * exp(0.04 * (i + 1) * (u - 0.5));
            len += (size_t)snprintf(csv + len, cap - len, "%c,%s,%.6f,%.6f,%.0f\n", "XYZ"[i], date, open, p[i],
                                    1e5 * (1 + u));
        }
        if (t % 5 == 0) len += (size_t)snprintf(csv + len, cap - len, "GAS,%s,%.3f,%.3f,\n", date, 1.5, 1.5);
    }
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    free(csv);
    return s;
}

#define ASSETS "X=0.4,Y=0.35,Z=0.25"

/* One family per block slot: every rule, taxed lots with wash sales, impact and inverse-vol
 * targets, a gas series, flows, next-open orders, an EWMA volatility. */
static const char *const *const families[] = {
    RBT_KV("assets", ASSETS, "strategy", "calendar", "every", "month"),
    RBT_KV("assets", ASSETS, "strategy", "threshold", "band", "0.02", "fee-bps", "5"),
    RBT_KV("assets", ASSETS, "strategy", "hybrid", "every", "week", "mode", "either", "band", "0.03"),
    RBT_KV("assets", ASSETS, "strategy", "buy-and-hold"),
    RBT_KV("assets", ASSETS, "strategy", "threshold", "band", "0.01", "tax-lots", "hifo", "tax-short", "0.3",
           "tax-long", "0.15", "wash-sale-days", "30"),
    RBT_KV("assets", ASSETS, "strategy", "vol-band", "band", "0.03", "vol-window", "10", "tax-lots", "fifo",
           "tax-short", "0.2"),
    RBT_KV("assets", ASSETS, "strategy", "threshold", "band-rel", "0.2", "gas-series", "GAS", "slippage-bps", "3",
           "exec", "next-open"),
    RBT_KV("assets", ASSETS, "strategy", "calendar", "every", "week", "impact", "0.1", "impact-window", "10",
           "targets", "inverse-vol", "vol-window", "20", "contribution", "100", "contribution-every", "month"),
    RBT_KV("assets", ASSETS, "strategy", "vol-band", "band", "0.02", "vol-model", "ewma:0.94", "targets",
           "inverse-vol"),
};
#define FAMILIES (sizeof families / sizeof families[0])

static rb_run_spec *specs[FAMILIES];

/* Configuration k: its family's settings, the band moved a little with k where there is one
 * (the batch borrows the copy; the arrays it points to stay the family's). */
static rb_status spec_of(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    (void)ctx, (void)err;
    *spec = *specs[k % FAMILIES];
    if (spec->sp.band.has_all) spec->sp.band.all *= 1 + 0.01 * (double)(k / FAMILIES % 4);
    return RB_OK;
}

static rb_status take(void *ctx, uint64_t k, const rb_metrics *m, rb_error *err)
{
    (void)err, (void)k;
    *(double *)ctx += m->final_value;
    return RB_OK;
}

/* The allocations of a sweep of n configurations, one thread, blocks of FAMILIES. */
static long sweep_allocations(rb_store *s, const rb_matrix *m, size_t n)
{
    uint64_t *idx = malloc(n * sizeof *idx);
    for (size_t k = 0; k < n; k++) idx[k] = k;
    rb_batch_options opt = {.threads = 1, .block = FAMILIES};
    uint64_t completed = 0;
    double sum = 0;
    rb_error err = {0};
    long before = atomic_load(&allocations);
    rb_status rc = rb_batch_run(s, m, idx, n, spec_of, take, &sum, &opt, &completed, &err);
    long used = atomic_load(&allocations) - before;
    free(idx);
    cr_assert_eq(rc, RB_OK, "%s", err.msg);
    cr_assert_eq(completed, n);
    cr_assert(isfinite(sum));
    return used;
}

Test(setup_alloc, a_configuration_allocates_nothing_once_its_slot_has_grown)
{
    rb_store *s = prices();
    for (size_t f = 0; f < FAMILIES; f++) specs[f] = rbt_spec(families[f]);
    rb_matrix *m = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_resolve_matrix(s, specs[0], &m, &err), RB_OK, "%s", err.msg);
    long small = sweep_allocations(s, m, 4 * FAMILIES), large = sweep_allocations(s, m, 8 * FAMILIES);
    cr_assert_gt(small, 0, "the wrapped allocator counted nothing: the test proves nothing");
    cr_assert_eq(large, small, "%zu configurations allocated %ld times, %zu configurations %ld times",
                 8 * FAMILIES, large, 4 * FAMILIES, small);
    rb_matrix_free(m);
    for (size_t f = 0; f < FAMILIES; f++) rb_run_spec_free(specs[f]);
    rb_store_free(s);
}
