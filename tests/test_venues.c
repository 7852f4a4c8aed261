/* test_venues.c - venue files and routed runs (--venues, issue 17; docs/engine.md "Venues
 * and routing"): the file's refusals name FILE:LINE: [section] key; a run whose asset trades
 * on two fee-free pools is the run of one pool of both depths; gas leaving a venue out; a
 * ranged pool full at its edge (the rest to an exchange, or the run refused naming the
 * asset, the date and the largest trade); --gas-tx once per chain; --trades' leg columns; a
 * [venues] sweep section (paths relative to the sweep file), and the batch simulator
 * against the reference on routed configurations. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "portfolio.h"
#include "rebal.h"
#include "resolve.h"
#include "run_result.h"
#include "support.h"
#include "venues.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(venues, .init = setup, .fini = teardown, .timeout = 300);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---------------------------------------------------------------- the file */

static void refused(const char *text, const char *want)
{
    rb_venue_set *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_venue_set_parse(text, "v.ini", &s, &err), RB_ERR_USAGE, "accepted: %s", text);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, want), "got '%s', want '%s'", err.msg, want);
}

Test(venues, file_errors_name_file_line_section_and_key)
{
    refused("[uni]\nkind = pool\nfee-bps = 30\n[assets]\nX = uni\n", "v.ini:1: [uni]: a pool needs depth");
    refused("[uni]\nkind = pol\n", "v.ini:2: [uni] kind: 'pol': a venue is an exchange or a pool");
    refused("[uni]\nkind = pool\ndepth = 1e6\ndeepth = 2\n", "v.ini:4: [uni] deepth: unknown setting; did you mean depth?");
    refused("[cex]\nkind = exchange\nrange = 0.9:1.1\n", "v.ini:3: [cex] range: not a setting of an exchange");
    refused("[uni]\nkind = pool\ndepth = 1e6\nrange = 1.1:0.9\n", "v.ini:4: [uni] range: '1.1:0.9': it must be 0 < LOW");
    refused("[uni]\nkind = pool\ndepth = -5\n", "v.ini:3: [uni] depth: -5 is out of range");
    refused("[uni]\nkind = pool\ndepth = 1e6\nfee-bps = 30\nfee-bps = 5\n", "v.ini:5: [uni] fee-bps: given twice");
    refused("[uni]\nkind = pool\ndepth = 1e6\n[assets]\nX = uni, cexx\n",
            "v.ini:5: [assets] X: unknown venue 'cexx'");
    refused("[uni]\nkind = pool\ndepth = Y=1e6\n[assets]\nX = uni\n", "v.ini:5: [assets] X: pool uni has no depth for X");
    refused("[uni]\nkind = pool\ndepth = 1e6\n[assets]\nX = uni, uni\n", "v.ini:5: [assets] X: venue uni is listed twice");
    refused("[uni]\nkind = pool\ndepth = 1e6\n[assets]\nCASH = uni\n", "v.ini:5: [assets] CASH: CASH trades on no venue");
    refused("[uni]\nkind = pool\ndepth = 1e6\n", "no [assets] section");
    refused("depth = 5\n", "v.ini:1: depth: a setting before any [section]");
    refused("[uni]\ndepth = 5\n", "v.ini:2: [uni] depth: give kind = exchange or pool first");
    refused("[a b]\nkind = pool\n", "v.ini:1: [a b]: a venue is named in letters");
    /* read from a file: the message names its path; a missing file its error */
    rb_run_spec *spec = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
    char *bad = rbt_write_file(dir, "bad.ini", "[uni]\nkind = pool\n\n[assets]\n");
    cr_assert_eq(rb_run_spec_set(spec, "venues", bad, &err), RB_ERR_USAGE);
    char want[4096];
    snprintf(want, sizeof want, "--venues: %s:1: [uni]: a pool needs depth", bad);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    cr_assert_neq(rb_run_spec_set(spec, "venues", "/nonexistent/v.ini", &err), RB_OK);
    cr_assert(strstr(err.msg, "--venues: /nonexistent/v.ini: "), "%s", err.msg);
    rb_run_spec_free(spec);
    free(bad);
}

Test(venues, a_file_read_whole)
{
    rb_venue_set *s = NULL;
    rb_error err = {0};
    const char *text = "; venues\n[uni]\nkind = pool ; a pool\ndepth = 5e6, Y=2e6\ndepth-series = Z=dz\nrange = "
                       "0.9:1.1\ngas = 2\nchain = eth\n\n[cex]\nkind = exchange\nfee-bps = 10\nspread-bps = 4\n"
                       "fee-min = 1\n[assets]\nX = uni, cex\nZ = uni\n";
    cr_assert_eq(rb_venue_set_parse(text, "v.ini", &s, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(s->nvenues, 2);
    cr_assert_eq(s->venue[0].pool, 1);
    cr_assert_eq(s->venue[0].pool_fee_bps, 30, "--amm-fee-bps' default");
    cr_assert_eq(rb_asset_value(&s->venue[0].depth, "X"), 5e6);
    cr_assert_eq(rb_asset_value(&s->venue[0].depth, "Y"), 2e6);
    cr_assert_eq(s->venue[0].range_high, 1.1);
    cr_assert_eq(s->venue[0].chain, 0);
    cr_assert_str_eq(s->chain[0], "eth");
    cr_assert_eq(s->venue[1].fee_min, 1);
    const rb_venue_list *l = rb_venue_list_of(s, "X");
    cr_assert_eq(l->n, 2);
    cr_assert_eq(l->venue[1], 1);
    cr_assert_null(rb_venue_list_of(s, "Y"));
    char *syms[] = {"X", "Y"};
    cr_assert_eq(rb_venue_set_check_symbols(s, syms, 2, &err), RB_ERR_USAGE);
    cr_assert(strstr(err.msg, "v.ini:17: [assets] Z: not one of the run's assets"), "%s", err.msg);
    rb_venue_set_free(s);
}

/* ---------------------------------------------------------------- runs */

/* X over three bars at 100, 125, 80 beside CASH, half each, rebalanced every bar. */
static const char x_bars[] = "symbol,date,close\nX,2020-01-01,100\nX,2020-01-02,125\nX,2020-01-03,80\n";

static rb_run_result *run_venues(const char *venue_text, const char *const *more)
{
    char *path = rbt_write_file(dir, "v.ini", venue_text);
    const char *kv[32] = {"assets", "X=0.5,CASH=0.5", "strategy", "calendar", "every", "1", "venues", path};
    size_t n = 8;
    for (size_t i = 0; more && more[i]; i++) kv[n++] = more[i];
    kv[n] = NULL;
    rb_run_result *r = rbt_run_csv(dir, x_bars, kv, RBT_KEEP_ALL);
    free(path);
    return r;
}

/* The records of asset 0 (X), at most n. */
static size_t xs(const rb_run_result *r, const rb_trade **out, size_t n)
{
    size_t got = 0;
    const rb_portfolio *p = &r->sim.portfolio;
    for (size_t k = 0; k < p->ntrades; k++)
        if (p->trades[k].asset == 0 && got < n) out[got++] = &p->trades[k];
    return got;
}

/* Two fee-free pools of 1e6 and 3e6 take equal shares of their units at equal marginal cost:
 * together they are one pool of 4e6. The routed run ends where --amm-depth X=4e6 ends (to
 * the bisection's precision), every order in two legs of 1 : 3. */
Test(venues, two_pools_are_one_pool_of_both_depths)
{
    rb_run_result *r = run_venues("[a]\nkind = pool\ndepth = 1e6\nfee-bps = 0\n[b]\nkind = pool\ndepth = 3e6\n"
                                  "fee-bps = 0\n[assets]\nX = a, b\n",
                                  NULL);
    rb_run_result *one = rbt_run_csv(dir, x_bars,
                                     ARGS("assets", "X=0.5,CASH=0.5", "strategy", "calendar", "every", "1", "amm-depth",
                                          "X=4e6", "amm-fee-bps", "0"),
                                     RBT_KEEP_ALL);
    for (size_t t = 0; t < 3; t++) rbt_assert_close(r->sim.value[t], one->sim.value[t], 1e-12, "value");
    rbt_assert_close(rb_run_metrics(r)->slippage_paid, rb_run_metrics(one)->slippage_paid, 1e-9, "slippage");
    /* X's orders (CASH's side of each rebalance is recorded too, with no venue) */
    const rb_trade *x[6], *xo[3];
    size_t nx = xs(r, x, 6), no = xs(one, xo, 3);
    cr_assert_eq(nx, 6, "two legs an order, got %zu", nx);
    cr_assert_eq(no, 3);
    for (size_t k = 0; k < 6; k += 2) {
        cr_assert_str_eq(x[k]->venue, "a");
        cr_assert_str_eq(x[k + 1]->venue, "b");
        rbt_assert_close(x[k + 1]->units / x[k]->units, 3, 1e-9, "legs 1 : 3");
        rbt_assert_close(x[k]->units + x[k + 1]->units, x[k]->order_units, 1e-15, "legs");
        rbt_assert_close(x[k]->order_units, xo[k / 2]->units, 1e-9, "the order");
    }
    rb_run_result_free(r);
    rb_run_result_free(one);
}

/* Gas leaves a venue out: beside a fee-free pool of 1e6, a second one charging 6,000 a swap
 * is not worth it for the first allocation (a buy of 5e4: V^2 / (R - V) = 2,631.58 alone,
 * V^2 / (2R - V) + 6,000 = 6,282.05 both), and takes nothing; --gas-tx 10 (one chain) is
 * paid once. At 1,000 of gas it is worth it: 1,282.05 + 1,000 + 10. */
Test(venues, gas_leaves_a_venue_out)
{
    const char *file = "[a]\nkind = pool\ndepth = 1e6\nfee-bps = 0\n[b]\nkind = pool\ndepth = 1e6\nfee-bps = 0\n"
                       "gas = %s\n[assets]\nX = a, b\n";
    char text[512];
    snprintf(text, sizeof text, file, "6000");
    rb_run_result *r = run_venues(text, ARGS("gas-tx", "10"));
    const rb_trade *x[8];
    xs(r, x, 8);
    const rb_trade *first = x[0];
    cr_assert_str_eq(first->venue, "a");
    cr_assert_eq(x[1]->bar, 1, "one leg on bar 0");
    /* bar 0: B' = 1e5 - cost; X holds B'/2: its buy v = B'/2 - 0 solves B' = 1e5 - v^2/(R - v) - 10 */
    double v = first->units * 100;
    rbt_assert_close(first->slippage, v * v / (1e6 - v), 1e-12, "the curve's cost");
    cr_assert_eq(first->gas, 10, "--gas-tx on the first swap");
    rb_run_result_free(r);
    snprintf(text, sizeof text, file, "1000");
    r = run_venues(text, ARGS("gas-tx", "10"));
    xs(r, x, 8);
    cr_assert_str_eq(x[1]->venue, "b");
    cr_assert_eq(x[0]->gas, 10);
    cr_assert_eq(x[1]->gas, 1000);
    rbt_assert_close(x[0]->units, x[1]->units, 1e-9, "halves");
    rb_run_result_free(r);
}

/* A ranged pool (0.9:1.1, depth 1e4: it takes a buy of at most 0.951 x 1e4 of value) beside
 * an exchange at 5,000 bps: the first allocation's buy of about 5e4 fills the pool to its
 * edge and the exchange takes the rest. The pool alone cannot: the run is refused, naming
 * the asset, the date and the largest trade. */
Test(venues, range_edge_overflows_to_the_exchange_or_is_refused)
{
    double lo = 0.9, hi = 1.1, sh = sqrt(hi);
    double below = 1 - sqrt(lo), above = (hi - 1) / (sh * (1 + sh)), A = 2 / (below + above);
    rb_run_result *r = run_venues("[v3]\nkind = pool\ndepth = 1e4\nfee-bps = 0\nrange = 0.9:1.1\n[cex]\nkind = exchange\n"
                                  "fee-bps = 5000\n[assets]\nX = v3, cex\n",
                                  NULL);
    const rb_trade *t[8];
    xs(r, t, 8);
    cr_assert_str_eq(t[0]->venue, "v3");
    cr_assert_str_eq(t[1]->venue, "cex");
    rbt_assert_close(t[0]->units * 100, above * A * 1e4, 1e-9, "the pool's leg at its edge");
    rb_run_result_free(r);
    char *path = rbt_write_file(dir, "v.ini", "[v3]\nkind = pool\ndepth = 1e4\nfee-bps = 0\nrange = 0.9:1.1\n"
                                              "[assets]\nX = v3\n");
    char want[256];
    snprintf(want, sizeof want, "X on 2020-01-01: a buy of %g units is more than its 1 venue take together: the "
             "largest trade they take is at most %g units", 50000.0 / 100, above * A * 1e4 * (1 - 1e-12) / 100);
    cr_assert_eq(rbt_run_expect_error(dir, x_bars,
                                      ARGS("assets", "X=0.5,CASH=0.5", "strategy", "calendar", "every", "1", "venues",
                                           path),
                                      want),
                 RB_ERR_DATA);
    free(path);
}

/* --gas-tx once per chain the batch touches: X on a pool of chain eth, Y on a pool of chain
 * arb pay two transactions (20) on the first allocation; both on eth one (10). An exchange's
 * leg touches no chain. */
Test(venues, gas_tx_once_per_chain)
{
    static const char xy[] = "symbol,date,close\nX,2020-01-01,100\nY,2020-01-01,50\nX,2020-01-02,100\nY,2020-01-02,50\n";
    const char *file = "[p]\nkind = pool\ndepth = 1e7\nfee-bps = 0\nchain = eth\n[q]\nkind = pool\ndepth = 1e7\n"
                       "fee-bps = 0\nchain = %s\n[assets]\nX = p\nY = q\n";
    double gas[2];
    for (int k = 0; k < 2; k++) {
        char text[512];
        snprintf(text, sizeof text, file, k == 0 ? "arb" : "eth");
        char *path = rbt_write_file(dir, "v.ini", text);
        rb_run_result *r = rbt_run_csv(dir, xy, ARGS("assets", "X=0.5,Y=0.5", "venues", path, "gas-tx", "10"), 0);
        gas[k] = rb_run_metrics(r)->gas_paid;
        rb_run_result_free(r);
        free(path);
    }
    cr_assert_eq(gas[0], 20);
    cr_assert_eq(gas[1], 10);
    char *path = rbt_write_file(dir, "v.ini", "[cex]\nkind = exchange\nfee-bps = 1\n[assets]\nX = cex\nY = cex\n");
    rb_run_result *r = rbt_run_csv(dir, xy, ARGS("assets", "X=0.5,Y=0.5", "venues", path, "gas-tx", "10"), 0);
    cr_assert_eq(rb_run_metrics(r)->gas_paid, 0, "exchanges are off-chain");
    rb_run_result_free(r);
    free(path);
}

/* --trades: with --venues each row is a leg, its venue and its order's units at the end;
 * without, the columns are as they were. */
Test(venues, trades_show_each_leg)
{
    char *prices = rbt_write_file(dir, "p.csv", x_bars);
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "s.db", "p.csv"));
    free(rbt_write_file(dir, "v.ini", "[a]\nkind = pool\ndepth = 1e6\nfee-bps = 0\n[b]\nkind = pool\ndepth = 3e6\n"
                                      "fee-bps = 0\n[assets]\nX = a, b\n"));
    rbt_run_ok(dir, ARGS("run", "--db", "s.db", "--assets", "X=0.5,CASH=0.5", "--strategy", "calendar", "--every",
                         "1", "--venues", "v.ini", "--trades", "t.csv"));
    rbt_run_ok(dir, ARGS("run", "--db", "s.db", "--assets", "X=0.5,CASH=0.5", "--trades", "plain.csv"));
    char *tp = rbt_path(dir, "t.csv"), *pp = rbt_path(dir, "plain.csv");
    char *t = rbt_read_file(tp, NULL), *plain = rbt_read_file(pp, NULL);
    free(tp);
    free(pp);
    static const char with[] = "date,bar,kind,symbol,side,units,price,value,fee,slippage,gas,skipped,venue,order_units\r\n";
    static const char without[] = "date,bar,kind,symbol,side,units,price,value,fee,slippage,gas,skipped\r\n";
    cr_assert(strncmp(t, with, strlen(with)) == 0, "%s", t);
    cr_assert(strstr(t, ",initial,X,buy,"), "%s", t);
    cr_assert(strstr(t, ",0,a,") && strstr(t, ",0,b,"), "%s", t);
    cr_assert(strncmp(plain, without, strlen(without)) == 0, "%s", plain);
    free(t);
    free(plain);
    free(prices);
}

/* ---------------------------------------------------------------- sweeps and the batch */

/* A [venues] section sweeps venue files, named relative to the sweep file: run from another
 * directory, each row is what `rebal run --venues` gives. */
Test(venues, sweep_section_paths_relative_to_the_sweep_file)
{
    char *prices = rbt_write_file(dir, "p.csv", x_bars);
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "s.db", "p.csv"));
    char *sub = rbt_subdir(dir, "grid");
    free(rbt_write_file(sub, "a.ini", "[a]\nkind = pool\ndepth = 1e6\n[assets]\nX = a\n"));
    free(rbt_write_file(sub, "b.ini",
                        "[a]\nkind = pool\ndepth = 1e6\n[c]\nkind = exchange\nfee-bps = 20\n[assets]\nX = a, c\n"));
    free(rbt_write_file(sub, "grid.ini", "[data]\nassets = X=0.5,CASH=0.5\n[venues]\nvenues = a.ini, b.ini\n"
                                         "[calendar]\nevery = 1\n"));
    rbt_run_ok(dir, ARGS("sweep", "-q", "--db", "s.db", "--results", "res.db", "grid/grid.ini"));
    char *res = rbt_path(dir, "res.db");
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM runs"), 2);
    for (int k = 0; k < 2; k++) {
        rbt_run_result r = rbt_run(sub, NULL,
                                   ARGS("run", "--db", "../s.db", "--assets", "X=0.5,CASH=0.5", "--strategy", "calendar",
                                        "--every", "1", "--venues", k ? "b.ini" : "a.ini", "--json"));
        cr_assert_eq(r.status, 0, "%s", r.err);
        const char *fv = strstr(r.out, "\"final_value\": ");
        cr_assert_not_null(fv, "%s", r.out);
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE abs(final_value - %.*s) <= 1e-9 * final_value",
                 (int)strcspn(fv + 15, ","), fv + 15);
        cr_assert_eq(rbt_sqlite_int(res, sql), 1, "%s", sql);
        rbt_run_result_free(&r);
    }
    /* a [venues] key elsewhere is refused, naming its home */
    free(rbt_write_file(sub, "bad.ini", "[data]\nassets = X=0.5,CASH=0.5\n[costs]\nvenues = a.ini\n[calendar]\nevery = 1\n"));
    rbt_run_result bad = rbt_run(dir, NULL, ARGS("sweep", "-q", "--db", "s.db", "--results", "r2.db", "grid/bad.ini"));
    cr_assert_neq(bad.status, 0);
    cr_assert(strstr(bad.err, "grid/bad.ini:4: [costs] venues: not a setting of this section (it belongs in [venues])"),
              "%s", bad.err);
    rbt_run_result_free(&bad);
    free(res);
    free(sub);
    free(prices);
}

/* ---------------------------------------------------------------- the demo */

/* The demo's DEX table gains a routing row: each asset on both the constant and the
 * depth-series pool, every order split between them. At the venue fee 0 (the pools' fees
 * then those of the rows above) routing across both costs less than either pool alone. */
static void row_values(const char *table, const char *name, long *v, int n)
{
    const char *p = strstr(table, name);
    cr_assert_not_null(p, "%s:\n%s", name, table);
    p += strlen(name);
    for (int k = 0; k < n; k++) {
        char *end;
        v[k] = strtol(p, &end, 10);
        cr_assert(end != p, "%s: value %d:\n%s", name, k, table);
        p = end;
    }
}

Test(venues, the_demo_routes_across_two_venues, .timeout = 240)
{
    rbt_run_result r = rbt_run(dir, NULL, ARGS("demo", "--out", "demo-out"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *table = strstr(r.out, "Where rebalancing turns net-negative on the DEX");
    cr_assert_not_null(table, "%s", r.out);
    long constant[6], series[6], routed[6];
    row_values(table, "constant pools", constant, 6);
    row_values(table, "depth series", series, 6);
    row_values(table, "routing, 2 venues", routed, 6);
    cr_assert(routed[0] > constant[0] && routed[0] > series[0], "fee 0: routed %ld, constant %ld, series %ld",
              routed[0], constant[0], series[0]);
    cr_assert(strstr(strstr(table, "routing, 2 venues"), "net-negative from "), "%s", table);
    rbt_run_result_free(&r);
}

/* A report of a sweep whose [venues] paths are relative to its file, made from another
 * directory: the replays read the venue files beside the sweep file (the results store
 * keeps its path, sweeps.spec_path), trades.csv has a row per leg with its venue, and once
 * a venue file has changed the report refuses to replay runs other than those stored. The
 * sweep's identity does not depend on how its file's path was spelled. */
Test(venues, a_report_replays_a_routed_sweep_from_its_file)
{
    char *crypto = rbt_source_path("data/bundled/crypto_daily.csv");
    rbt_run_ok(dir, ARGS("import", "-q", "--db", "c.db", crypto));
    free(crypto);
    char *sub = rbt_subdir(dir, "grid");
    free(rbt_write_file(sub, "v.ini", "[pool]\nkind = pool\ndepth = 5e7\nfee-bps = 0\n[cex]\nkind = exchange\n"
                                      "fee-bps = 10\n[assets]\nBTC = pool, cex\nETH = cex\n"));
    free(rbt_write_file(sub, "g.ini", "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n[venues]\nvenues = v.ini\n"
                                      "[threshold]\nband = 0.05, 0.1\n"));
    rbt_run_ok(dir, ARGS("sweep", "-q", "--db", "c.db", "--results", "r.db", "grid/g.ini"));
    char *res = rbt_path(dir, "r.db"), *g = rbt_path(sub, "g.ini"), sql[4400];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sweeps WHERE spec_path = '%s'", g);
    cr_assert_eq(rbt_sqlite_int(res, sql), 1, "%s", sql);

    /* the same file, named from its own directory: already recorded */
    rbt_run_result r = rbt_run(sub, NULL, ARGS("sweep", "--db", "../c.db", "--results", "../r.db", "g.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "already in ../r.db as sweep 1"), "%s", r.out);
    rbt_run_result_free(&r);

    r = rbt_run(dir, NULL, ARGS("report", "r.db", "--db", "c.db", "--out", "rep"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    char *tp = rbt_path(dir, "rep/trades.csv");
    char *t = rbt_read_file(tp, NULL);
    cr_assert(strncmp(t, "series,config_id,date,bar,kind,symbol,side,units,price,value,fee,slippage,gas,skipped,venue,"
                         "order_units\r\n", 103) == 0, "%.120s", t);
    cr_assert_not_null(strstr(t, ",BTC,buy,"), "%.200s", t);
    cr_assert_not_null(strstr(t, ",pool,"), "no leg routed to the pool");
    cr_assert_not_null(strstr(t, ",cex,"), "no leg routed to the exchange");
    free(t);
    free(tp);

    free(rbt_write_file(sub, "v.ini", "[pool]\nkind = pool\ndepth = 5e7\nfee-bps = 0\n[cex]\nkind = exchange\n"
                                      "fee-bps = 12\n[assets]\nBTC = pool, cex\nETH = cex\n"));
    r = rbt_run(dir, NULL, ARGS("report", "r.db", "--db", "c.db", "--out", "rep2"));
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "sweep 1 read other files or series than these (venues = "), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "grid/v.ini): they changed since it ran"), "%s", r.err);
    rbt_run_result_free(&r);
    free(g);
    free(res);
    free(sub);
}
