/* lots_bench.c - the tax-lot ledgers' trades alone: rb_lots_orders, as a sweep's lanes call it.
 *
 *   lots_bench METHOD LEDGERS REBALANCES [daily]    METHOD: fifo, lifo or avg
 *
 * LEDGERS ledgers of 5 assets, their books' arrays from one lot pool (as a sweep's thread
 * has), each opened with 52 lots of every asset (benchmark 2's books hold 52 on average),
 * then REBALANCES rebalances, one ledger after the other: each sells 15 units (a lot and a
 * half) of 2 assets drawn at random and buys a lot of 10 units of the 3 others, at prices
 * that walk at random, a day later for each round of the ledgers, so that lots come to be
 * held long-term (365 days) and gains and losses both occur. A ledger's holdings stay
 * between 100 and 900 units (no sale below, a sale above). The two assets sold are drawn for
 * each rebalance, or with "daily" once a day for every ledger: as on a sweep's bar, where the
 * same prices put the same assets over their targets in most configurations that trade, so
 * that the choice of which orders sell repeats from one ledger to the next. Prints
 *   kind= ledgers= rebalances= seconds= ns_per_rebalance= checksum=
 * seconds: the rebalances alone; checksum: the realized gains summed over the run, which two
 * builds whose arithmetic is the same print alike. A few ledgers stay in the caches
 * (the work's own cost), hundreds do not (benchmark 2's blocks hold 96-384 configurations).
 * bench/paired_bench.py compares two builds of it, or of sweep_bench. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock_chain.h"
#include "lot_pool.h"
#include "lots.h"

#define ASSETS 5
#define FIRST_LOTS 52
#define DAY 86400

/* xorshift64*: the same draws on every machine. */
static uint64_t draw(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* A draw below n (n < 2^32), by a multiplication: no division in the timed loop. */
static unsigned draw_below(uint64_t *s, unsigned n)
{
    return (unsigned)(((draw(s) >> 32) * n) >> 32);
}

static int parse_count(const char *text, const char *what, long long *out)
{
    char *end;
    *out = strtoll(text, &end, 10);
    if (*end || *out < 1) {
        fprintf(stderr, "lots_bench: %s '%s' must be a whole number of at least 1\n", what, text);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"fifo", "lifo", "avg"};
    static const rb_lot_method methods[] = {RB_LOTS_FIFO, RB_LOTS_LIFO, RB_LOTS_AVG};
    long long nledgers, rebalances;
    int m = -1;
    for (int k = 0; (argc == 4 || argc == 5) && k < 3; k++)
        if (strcmp(argv[1], names[k]) == 0) m = k;
    if ((argc != 4 && argc != 5) || m < 0 || (argc == 5 && strcmp(argv[4], "daily") != 0)) {
        fprintf(stderr, "usage: lots_bench fifo|lifo|avg LEDGERS REBALANCES [daily]\n");
        return 2;
    }
    const int daily = argc == 5;
    if (!parse_count(argv[2], "LEDGERS", &nledgers) || !parse_count(argv[3], "REBALANCES", &rebalances)) return 2;

    rb_error err;
    rb_lot_pool *pool = NULL;
    rb_lots **ledgers = calloc((size_t)nledgers, sizeof *ledgers);
    double *held = calloc((size_t)nledgers * ASSETS, sizeof *held);
    if (!ledgers || !held || rb_lot_pool_new(&pool, &err) != RB_OK) {
        fprintf(stderr, "lots_bench: out of memory for %lld ledgers\n", nledgers);
        return 1;
    }
    for (long long l = 0; l < nledgers; l++) {
        if (rb_lots_new(ASSETS, methods[m], 365, 0, RB_LEDGER_NONE, &ledgers[l], &err) != RB_OK ||
            rb_lots_use_pool(ledgers[l], pool, &err) != RB_OK)
            goto failed;
        for (int day = 0; day < FIRST_LOTS; day++)
            for (size_t a = 0; a < ASSETS; a++) {
                rb_realized late;
                if (rb_lots_buy(ledgers[l], a, (rb_time)day * DAY, 10, 1000 + 10 * (double)a, &late, &err) != RB_OK)
                    goto failed;
                held[l * ASSETS + a] += 10;
            }
    }

    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    double price[ASSETS];
    for (size_t a = 0; a < ASSETS; a++) price[a] = 100 + (double)a;
    rb_realized year = {0, 0};
    double start = clock_chain_now_s();
    long long l = 0;
    rb_time t = (rb_time)FIRST_LOTS * DAY;
    unsigned first = 0, second = 1;
    for (long long i = 0; i < rebalances; i++, l++) {
        if (l == nledgers) { /* a new day: every price moves by up to 1 % either way */
            l = 0;
            t += DAY;
            for (size_t a = 0; a < ASSETS; a++) price[a] *= 1 + ((double)(draw(&seed) >> 11) * 0x1p-53 - 0.5) * 0.02;
        }
        if (!daily || l == 0) { /* the two assets sold: 'daily' keeps the first ledger's all day */
            first = draw_below(&seed, ASSETS);
            second = first + 1 + draw_below(&seed, ASSETS - 1);
            if (second >= ASSETS) second -= ASSETS;
        }
        double order[ASSETS], amount[ASSETS], *h = &held[l * ASSETS], before[ASSETS];
        for (size_t a = 0; a < ASSETS; a++) {
            int sell = (a == first || a == second || h[a] > 900) && h[a] >= 100;
            order[a] = sell ? -15 : 10;
            amount[a] = 10 * price[a] * (sell ? 1.5 : 1);
            before[a] = h[a];
            h[a] += order[a];
        }
        if (rb_lots_orders(ledgers[l], ASSETS, order, amount, before, 1, -1, t, &year, &err) != RB_OK) goto failed;
    }
    double took = clock_chain_now_s() - start;
    printf("kind=%s%s ledgers=%lld rebalances=%lld seconds=%.6f ns_per_rebalance=%.2f checksum=%.17g\n", names[m],
           daily ? "_daily" : "", nledgers, rebalances, took, took / (double)rebalances * 1e9,
           year.short_term + year.long_term);
    for (long long l = 0; l < nledgers; l++) rb_lots_free(ledgers[l]);
    rb_lot_pool_free(pool);
    free(ledgers);
    free(held);
    return 0;

failed:
    fprintf(stderr, "lots_bench: %s\n", err.msg);
    return 1;
}
