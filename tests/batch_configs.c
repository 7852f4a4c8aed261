/* batch_configs.c - the batch suites' random data and configurations (batch_configs.h). */
#include "batch_configs.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* xorshift64: one stream per process (Criterion runs each test in its own), so a test's
 * draws do not depend on the tests before it. */
static uint64_t rng = 0x2545F4914F6CDD1Dull;

double rbt_uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1.0p-53;
}
int rbt_pick(int n) { return (int)(rbt_uniform() * n); }

/* Three assets with volume and a gas series over ~420 daily bars crossing two year ends;
 * with opens, or close-only (where next-open orders fill at the next close). */
rb_store *rbt_random_store_of(const char *dir, int close_only)
{
    size_t cap = 1 << 20, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv + len, cap - len, "symbol,date,open,close,volume\n");
    double p[3] = {100, 50, 20};
    for (int t = 0; t < 420; t++) {
        char date[32];
        rb_time_format(1575158400 + (rb_time)t * 86400, date); /* from 2019-12-01 */
        for (int i = 0; i < 3; i++) {
            double open = p[i] * exp(0.004 * (rbt_uniform() - 0.5));
            p[i] = open * exp(0.03 * (i + 1) * (rbt_uniform() - 0.5));
            char opened[32] = "";
            if (!close_only) snprintf(opened, sizeof opened, "%.6f", open);
            len += (size_t)snprintf(csv + len, cap - len, "%c,%s,%s,%.6f,%.0f\n", "XYZ"[i], date, opened, p[i],
                                    1e5 * (1 + rbt_uniform()));
        }
        if (t % 7 == 0) {
            double gas = 1 + rbt_uniform();
            len += (size_t)snprintf(csv + len, cap - len, "GAS,%s,%.3f,%.3f,\n", date, gas, gas);
        }
    }
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    free(csv);
    /* Pool depths of X and Y that move every week (--amm-depth-series). */
    rb_time when[60];
    double depth[2][60];
    for (int k = 0; k < 60; k++) {
        when[k] = 1575158400 + (rb_time)k * 7 * 86400;
        depth[0][k] = 5e6 + 5e7 * rbt_uniform();
        depth[1][k] = 2e6 + 2e7 * rbt_uniform();
    }
    rb_error err = {0};
    cr_assert_eq(rb_series_import_arrays(s, "DX", when, depth[0], 60, 0, NULL, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_series_import_arrays(s, "DY", when, depth[1], 60, 0, NULL, &err), RB_OK, "%s", err.msg);
    return s;
}

void rbt_put(rbt_cfgtext *c, const char *key, const char *fmt, ...)
{
    cr_assert_lt(c->n, RBT_MAXKV, "more than %d settings", RBT_MAXKV);
    va_list ap;
    va_start(ap, fmt);
    cr_assert_lt(strlen(key), sizeof c->key[0], "setting name %s too long", key);
    snprintf(c->key[c->n], sizeof c->key[0], "%s", key);
    int len = vsnprintf(c->value[c->n], sizeof c->value[0], fmt, ap);
    va_end(ap);
    /* a value cut short would be another setting, silently */
    cr_assert(len >= 0 && (size_t)len < sizeof c->value[0], "the value of %s is longer than %zu bytes", key,
              sizeof c->value[0] - 1);
    c->n++;
}

void rbt_put_setting(void *ctx, const char *key, const char *value) { rbt_put(ctx, key, "%s", value); }

/* A volatility model: a window as --vol-window or as --vol-model, or an EWMA. */
static void random_vol_model(rbt_cfgtext *c)
{
    int kind = rbt_pick(3);
    if (kind == 0) rbt_put(c, "vol-window", "%d", 5 + rbt_pick(30));
    else if (kind == 1) rbt_put(c, "vol-model", "window:%d", 5 + rbt_pick(30));
    else rbt_put(c, "vol-model", "ewma:%.3f", 0.8 + 0.19 * rbt_uniform());
}

/* A random configuration of `rule` touching every feature now and then. */
void rbt_random_config(rbt_cfgtext *c, int with_cash, const rb_strategy_info *rule)
{
    c->n = 0;
    rbt_put(c, "assets", "%s", with_cash ? RBT_WITH_CASH : RBT_RISKY);
    rbt_rule_sample(rule, rbt_uniform, 0, rbt_put_setting, c);
    if (rbt_pick(5) == 0) {
        rbt_put(c, "targets", "inverse-vol");
        random_vol_model(c);
    } else if (strcmp(rule->name, "vol-band") == 0) {
        random_vol_model(c);
    }
    rbt_put(c, "fee-bps", "%.2f", 30 * rbt_uniform());
    if (rbt_pick(3) == 0) rbt_put(c, "fee-min", "%.2f", 2 * rbt_uniform());
    if (rbt_pick(3) == 0) rbt_put(c, "fee-fixed", "%.2f", rbt_uniform());
    if (rbt_pick(2)) rbt_put(c, "slippage-bps", "%.2f", 20 * rbt_uniform());
    if (rbt_pick(3) == 0) rbt_put(c, "spread-bps", "%.2f", 10 * rbt_uniform());
    if (rbt_pick(4) == 0) {
        rbt_put(c, "impact", "%.3f", 0.5 * rbt_uniform());
        rbt_put(c, "impact-window", "%d", 5 + rbt_pick(20));
    }
    if (rbt_pick(4) == 0) rbt_put(c, "amm-depth", "X=%.0f", 5e6 + 5e7 * rbt_uniform());
    if (rbt_pick(3) == 0) rbt_put(c, "gas-series", "GAS");
    else if (rbt_pick(2)) rbt_put(c, "gas", "%.2f", 3 * rbt_uniform());
    if (rbt_pick(2)) {
        static const char *const lots[] = {"fifo", "lifo", "hifo", "avg"};
        rbt_put(c, "tax-lots", "%s", lots[rbt_pick(4)]);
        rbt_put(c, "tax-short", "%.2f", 0.4 * rbt_uniform());
        rbt_put(c, "tax-long", "%.2f", 0.2 * rbt_uniform());
        if (rbt_pick(3) == 0) rbt_put(c, "wash-sale-days", "30");
        if (rbt_pick(3) == 0) rbt_put(c, "long-term-days", "%d", 30 + rbt_pick(300));
    }
    if (rbt_pick(4) == 0) {
        rbt_put(c, "contribution", "%.0f", rbt_pick(3) ? 2000 * rbt_uniform() : -1500 * rbt_uniform());
        rbt_put(c, "contribution-every", "%s", rbt_pick(2) ? "month" : "quarter");
        if (rbt_pick(2)) rbt_put(c, "flows", "rebalance");
    }
    if (rbt_pick(4) == 0) rbt_put(c, "exec", "next-open");
    if (rbt_pick(5) == 0) rbt_put(c, "min-trade", "%.0f", 200 * rbt_uniform());
    if (rbt_pick(6) == 0) rbt_put(c, "lot-size", "%s", rbt_pick(2) ? "1" : "0.1");
    if (rbt_pick(5) == 0) rbt_put(c, "rf", "0.02");
    if (rbt_pick(5) == 0) rbt_put(c, "amm-depth-series", "%s", rbt_pick(2) ? "X=DX" : "X=DX,Y=DY");
    /* a vault's one transaction per batch of orders (issue 17), beside or instead of --gas */
    if (rbt_pick(5) == 0) rbt_put(c, "gas-tx", "%.2f", 20 * rbt_uniform());
    if (rbt_pick(5) == 0) rbt_put(c, "gas-swap", "%.2f", 2 * rbt_uniform());
    /* concentrated liquidity for the pools drawn above (issue 17); wide enough that no trade
     * of these portfolios crosses an edge (the largest is above 0.17 of the depth) */
    if (rbt_pick(4) == 0) rbt_put(c, "amm-range", "%.3f:%.3f", 0.8 + 0.18 * rbt_uniform(), 1.02 + 0.23 * rbt_uniform());
}
