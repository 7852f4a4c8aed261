/* demo_pools.c - the demo's question for its DEX portfolio (issue 17): at which venue fee
 * does rebalancing (calendar, monthly) turn net-negative against buy-and-hold, under one
 * constant pool per asset, under pools whose depth follows the stored series depth-SYM
 * (shrinking when volatility rises), under the constant pools concentrated in 0.9:1.1, and
 * routing each order across the first two (--venues)?
 * Plain runs of the reference simulator, printed as a table; nothing is stored (the routing
 * row's venue file is a temporary file, removed after its run). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"

static const char *const fee_tiers[] = {"0", "50", "100", "200", "300", "400"};
#define TIERS (sizeof fee_tiers / sizeof fee_tiers[0])

typedef struct pool_model {
    const char *name, *key, *value, *range;
} pool_model;

static const pool_model models[] = {
    {"constant pools", "amm-depth", "BTC=5e6,ETH=3e6,USDS=2e7", ""},
    {"depth series", "amm-depth-series", "BTC=depth-BTC,ETH=depth-ETH,USDS=depth-USDS", ""},
    {"pools in 0.9:1.1", "amm-depth", "BTC=5e6,ETH=3e6,USDS=2e7", "0.9:1.1"},
    /* value NULL: a venue file of the tier (venue_file), routing across the two pools above */
    {"routing, 2 venues", "venues", NULL, ""},
};

/* The routing model's venue file for a venue fee of fee bps: each asset on the constant pool
 * and on the depth-series pool, each charging 30 bps + the venue fee (folded into the pool's
 * fee) and 2 USD of gas per swap, written to a new temporary file named in path. */
static rb_status venue_file(const char *fee, char *path, size_t len, rb_error *err)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, len, "%s/rebal-demo-venues-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        return rb_fail(err, RB_ERR_IO, "%s: %s", path, strerror(errno));
    }
    double pool_fee = 30 + strtod(fee, NULL);
    fprintf(f, "[constant]\nkind = pool\ndepth = BTC=5e6,ETH=3e6,USDS=2e7\nfee-bps = %g\n\n"
               "[series]\nkind = pool\ndepth-series = BTC=depth-BTC,ETH=depth-ETH,USDS=depth-USDS\nfee-bps = %g\n\n"
               "[assets]\nBTC = constant, series\nETH = constant, series\nUSDS = constant, series\n",
            pool_fee, pool_fee);
    if (fclose(f) != 0) {
        unlink(path);
        return rb_fail(err, RB_ERR_IO, "%s: %s", path, strerror(errno));
    }
    return RB_OK;
}

/* The metrics of the demo's crypto mix rebalanced monthly at venue fee `fee` under pool
 * model pm (NULL: no cost at all). */
static rb_status run_mix(rb_store *store, const pool_model *pm, const char *fee, rb_metrics *out, rb_error *err)
{
    char venues[4096] = "";
    rb_status rc = pm && !pm->value ? venue_file(fee, venues, sizeof venues, err) : RB_OK;
    if (rc != RB_OK) return rc;
    const char *kv[] = {"assets", "BTC=0.5,ETH=0.3,USDS=0.2", "strategy", "calendar", "every", "month", "fee-bps", fee,
                        "gas", pm ? "2" : "0", "amm-fee-bps", "30", pm ? pm->key : NULL,
                        pm ? (pm->value ? pm->value : venues) : NULL, "amm-range", pm ? pm->range : "", NULL};
    rc = cli_demo_metrics(store, kv, out, err);
    if (venues[0]) unlink(venues);
    return rc;
}

rb_status cli_demo_metrics(rb_store *store, const char *const *kv, rb_metrics *out, rb_error *err)
{
    rb_run_spec *spec = NULL;
    rb_run_result *r = NULL;
    rb_status rc = rb_run_spec_new(&spec, err);
    for (size_t i = 0; rc == RB_OK && kv[i]; i += 2) rc = rb_run_spec_set(spec, kv[i], kv[i + 1], err);
    if (rc == RB_OK) rc = rb_run(store, spec, 0, &r, err);
    if (rc == RB_OK) *out = *rb_run_metrics(r);
    rb_run_result_free(r);
    rb_run_spec_free(spec);
    return rc;
}

/* Rebalancing pays while what it earns from volatility, the rebalancing bonus (a fraction
 * a year, docs/metrics.md), exceeds what its costs take: the drag, the CAGR of the same
 * rule without any cost less its CAGR under the costs. Printed in bps a year, bonus - drag;
 * negative: net-negative. */
int cli_demo_pools(rb_store *store)
{
    rb_metrics free_run, m;
    rb_error err = {0};
    if (run_mix(store, NULL, "0", &free_run, &err) != RB_OK) return cli_report(&err);
    printf("Where rebalancing turns net-negative on the DEX: the crypto mix rebalanced monthly, its\n"
           "rebalancing bonus (%.0f bps a year) less the drag of its costs (2 USD of gas a swap, 30 bps\n"
           "pools, the venue fee), in bps a year:\n\n  %-18s",
           free_run.rebalancing_bonus * 1e4, "fee-bps");
    for (size_t k = 0; k < TIERS; k++) printf(" %8s", fee_tiers[k]);
    putchar('\n');
    for (size_t p = 0; p < sizeof models / sizeof models[0]; p++) {
        const char *from = NULL;
        printf("  %-18s", models[p].name);
        for (size_t k = 0; k < TIERS; k++) {
            if (run_mix(store, &models[p], fee_tiers[k], &m, &err) != RB_OK) {
                putchar('\n');
                return cli_report(&err);
            }
            double net = free_run.rebalancing_bonus - (free_run.cagr - m.cagr);
            printf(" %+8.0f", net * 1e4);
            if (!from && net < 0) from = fee_tiers[k];
        }
        if (from) printf("   net-negative from %s bps\n", from);
        else printf("   pays at every fee\n");
    }
    printf("  (routing: each asset on both the constant and the depth-series pool, the venue fee\n"
           "  in each pool's fee, every order split between them at least cost: 'rebal help venues')\n");
    return CLI_OK;
}
