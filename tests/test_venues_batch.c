/* test_venues_batch.c - routed configurations (--venues) in the batch simulator against the
 * reference (rebal run): every metric within 1e-9 relative, over rules, venue files (pools
 * with depth series, gas and chains, ranged pools, exchanges with minimum fees), --gas-tx,
 * next-open execution, taxes and contributions. The batch runs them through its scalar path
 * (the reference's own steps), so they agree. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "rebal.h"
#include "resolve.h"
#include "run_result.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(venues_batch, .init = setup, .fini = teardown, .timeout = 300);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define T_BARS 400
#define MAX_KV 24

typedef struct cfg {
    const char *kv[MAX_KV];
    rb_run_spec *spec;
    rb_metrics got;
    int seen;
} cfg;

static rb_status spec_of(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    cfg *c = &((cfg *)ctx)[k];
    if (!c->spec) {
        rb_status rc = rb_run_spec_new(&c->spec, err);
        for (size_t i = 0; rc == RB_OK && c->kv[i]; i += 2) rc = rb_run_spec_set(c->spec, c->kv[i], c->kv[i + 1], err);
        if (rc != RB_OK) return rc;
    }
    *spec = *c->spec;
    return RB_OK;
}

static rb_status collect(void *ctx, uint64_t k, const rb_metrics *m, rb_error *err)
{
    (void)err;
    cfg *c = &((cfg *)ctx)[k];
    c->got = *m;
    c->seen++;
    return RB_OK;
}

/* X and Y over T_BARS daily bars (rbt_random_walk) and a depth series for X's pool that
 * shrinks in the storms, in a store file. */
static char *make_store(void)
{
    static double px[T_BARS * 2];
    rbt_random_walk(T_BARS, px, 17);
    size_t cap = T_BARS * 96 + 64;
    char *csv = malloc(cap), *depth = malloc(cap);
    size_t n = (size_t)snprintf(csv, cap, "symbol,date,close\n"), d = (size_t)snprintf(depth, cap, "date,value\n");
    for (size_t t = 0; t < T_BARS; t++) {
        int day = (int)t; /* 28 days a month, in order */
        char date[16];
        snprintf(date, sizeof date, "%04d-%02d-%02d", 2020 + day / 336, 1 + day % 336 / 28, 1 + day % 28);
        n += (size_t)snprintf(csv + n, cap - n, "X,%s,%.10g\nY,%s,%.10g\n", date, px[t * 2], date, px[t * 2 + 1]);
        d += (size_t)snprintf(depth + d, cap - d, "%s,%.10g\n", date, t % 40 < 20 ? 4e5 : 1.5e5 + 1000.0 * (double)(t % 7));
    }
    free(rbt_write_file(dir, "p.csv", csv));
    free(rbt_write_file(dir, "d.csv", depth));
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "s.db", "p.csv"));
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "s.db", "--series", "depth-X", "d.csv"));
    free(csv);
    free(depth);
    return rbt_path(dir, "s.db");
}

static void compare(const rb_metrics *want, const rb_metrics *got, size_t k)
{
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    cr_assert_eq(want->bars, got->bars, "configuration %zu: bars", k);
    for (size_t i = 0; i < n; i++) {
        if (table[i].whole_series) continue; /* the batch keeps no series: NaN (docs/metrics.md) */
        double a = *(const double *)((const char *)want + table[i].offset);
        double b = *(const double *)((const char *)got + table[i].offset);
        if (a == b || (isnan(a) && isnan(b))) continue;
        cr_assert(fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b)), "configuration %zu: %s: reference %.17g, batch %.17g", k,
                  table[i].name, a, b);
    }
}

Test(venues_batch, batch_agrees_with_the_reference)
{
    char *db = make_store();
    char *a = rbt_write_file(dir, "a.ini",
                             "[uni]\nkind = pool\ndepth-series = X=depth-X\ndepth = Y=3e5\nfee-bps = 30\ngas = 2\n"
                             "chain = eth\n[sushi]\nkind = pool\ndepth = 2e5\nfee-bps = 5\ngas = 4\nchain = arb\n"
                             "[cex]\nkind = exchange\nfee-bps = 20\nspread-bps = 6\nfee-min = 3\n"
                             "[assets]\nX = uni, sushi, cex\nY = uni, sushi\n");
    char *b = rbt_write_file(dir, "b.ini",
                             "[v3]\nkind = pool\ndepth = 1e5\nfee-bps = 5\nrange = 0.9:1.1\n[cex]\nkind = exchange\n"
                             "fee-bps = 15\n[assets]\nX = v3, cex\n");
    const char *rules[][6] = {
        {"strategy", "calendar", "every", "week", NULL, NULL},
        {"strategy", "threshold", "band", "0.04", NULL, NULL},
        {"strategy", "hybrid", "every", "month", "band", "0.03"},
        {"strategy", "vol-band", "band", "0.05", NULL, NULL},
    };
    const char *extras[][6] = {
        {NULL},
        {"gas-tx", "10", "gas-swap", "1", NULL, NULL},
        {"exec", "next-open", "tax-short", "0.3", "tax-long", "0.15"},
        {"contribution", "5000", "gas", "1", NULL, NULL},
    };
    enum { NR = 4, NV = 2, NE = 4, N = NR * NV * NE };
    cfg *c = calloc(N, sizeof *c);
    for (size_t k = 0; k < N; k++) {
        size_t r = k % NR, v = k / NR % NV, e = k / (NR * NV), i = 0;
        c[k].kv[i++] = "assets", c[k].kv[i++] = "X=0.5,Y=0.3,CASH=0.2";
        c[k].kv[i++] = "venues", c[k].kv[i++] = v ? b : a;
        for (size_t j = 0; j < 6 && rules[r][j]; j++) c[k].kv[i++] = rules[r][j];
        for (size_t j = 0; j < 6 && extras[e][j]; j++) c[k].kv[i++] = extras[e][j];
    }
    rb_store *store = NULL;
    rb_matrix *m = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(db, RB_STORE_READONLY, &store, &err), RB_OK, "%s", err.msg);
    rb_run_spec data;
    cr_assert_eq(spec_of(c, 0, &data, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_resolve_matrix(store, c[0].spec, &m, &err), RB_OK, "%s", err.msg);
    uint64_t idx[N], completed = 0;
    for (size_t k = 0; k < N; k++) idx[k] = k;
    rb_batch_options opt = {.threads = 2, .block = 8};
    cr_assert_eq(rb_batch_run(store, m, idx, N, spec_of, collect, c, &opt, &completed, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(completed, N);
    for (size_t k = 0; k < N; k++) {
        cr_assert_eq(c[k].seen, 1);
        rb_run_result *r = NULL;
        cr_assert_eq(rb_run(store, c[k].spec, 0, &r, &err), RB_OK, "configuration %zu: %s", k, err.msg);
        compare(rb_run_metrics(r), &c[k].got, k);
        cr_assert(rb_run_metrics(r)->rebalances > 0, "configuration %zu rebalances", k);
        /* file a's pools charge gas: some order was routed to one */
        if (c[k].kv[3] == a) cr_assert(rb_run_metrics(r)->gas_paid > 0, "configuration %zu pays gas", k);
        cr_assert(rb_run_metrics(r)->fees_paid > 0, "configuration %zu pays fees", k);
        rb_run_result_free(r);
        rb_run_spec_free(c[k].spec);
    }
    rb_matrix_free(m);
    rb_store_free(store);
    free(c);
    free(a);
    free(b);
    free(db);
}
