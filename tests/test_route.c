/* test_route.c - an order split across venues at least cost (engine/route.h, docs/engine.md
 * "Venues and routing"): hand-worked splits (two pools, a pool and an exchange, gas leaving
 * a venue out, a ranged pool full at its edge, a minimum fee), the refusal of an order no
 * split fills, and a brute-force check: over two and three venues, a fine grid of splits
 * never finds one cheaper than the router's. And what makes routing fast changes no bit: a
 * book reused for many orders (its hints and lines), a plain pool's legs priced without
 * rb_order_cost_of, and a portfolio's memo of books (routes.h). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "costs.h"
#include "portfolio.h"
#include "rebal.h"
#include "route.h"
#include "routes.h"

TestSuite(route, .timeout = 300);

static rb_route_venue pool(double depth, double fee_bps, double gas)
{
    return (rb_route_venue){.costs = {.amm_depth = depth, .amm_fee_bps = fee_bps}, .gas = gas};
}

static rb_route_venue ranged(double depth, double low, double high)
{
    return (rb_route_venue){.costs = {.amm_depth = depth, .amm_range_low = low, .amm_range_high = high}};
}

static rb_route_venue exchange(double fee_bps, double spread_bps, double fee_min)
{
    return (rb_route_venue){.costs = {.fee_bps = fee_bps, .spread_bps = spread_bps, .fee_min = fee_min}};
}

static void near(double got, double want, double rel, const char *what)
{
    cr_assert(fabs(got - want) <= rel * fabs(want) + 1e-12, "%s: got %.17g, want %.17g", what, got, want);
}

static rb_route_result route_ok(const rb_route_venue *v, size_t n, double units, double price)
{
    rb_route_result r;
    rb_error err = {0};
    cr_assert_eq(rb_route(v, n, units, price, &r, &err), RB_OK, "%s", err.msg);
    return r;
}

/* ---------------------------------------------------------------- hand-worked */

/* Two fee-free pools of depth 1e6 and 3e6, a buy of 4,000 units at 100 (value 4e5): equal
 * marginal cost 1 / (1 - a)^2 - 1 means equal shares a of each pool, so the legs are in
 * proportion to the depths, 1e5 and 3e5 of value; each pays v^2 / (R - v): 1e10 / 9e5 +
 * 9e10 / 2.7e6 = 44,444.44, what one pool of 4e6 charges (1.6e11 / 3.6e6). */
Test(route, two_pools_split_by_depth)
{
    rb_route_venue v[] = {pool(1e6, 0, 0), pool(3e6, 0, 0)};
    rb_route_result r = route_ok(v, 2, 4000, 100);
    near(r.units[0], 1000, 1e-9, "leg 1");
    near(r.units[1], 3000, 1e-9, "leg 2");
    cr_assert_eq(r.units[0] + r.units[1], 4000);
    near(rb_route_cost_total(&r), 1e10 / 9e5 + 9e10 / 2.7e6, 1e-9, "cost");
    near(rb_route_cost_total(&r), 1.6e11 / 3.6e6, 1e-9, "one pool of the two depths");
    /* a sale splits alike: v a g^2 / (1 + a g) = v^2 / (R + v) per leg, f = 0 */
    r = route_ok(v, 2, -4000, 100);
    near(r.units[0], -1000, 1e-9, "sale leg 1");
    near(r.units[1], -3000, 1e-9, "sale leg 2");
    near(rb_route_cost_total(&r), 1e10 / 1.1e6 + 9e10 / 3.3e6, 1e-9, "sale cost");
}

/* A sliver of an order (1e-6 units, 1e-4 of value, 1e-10 of the depths) splits as a large
 * one does, in proportion to the depths, with both pools charging fees too: its legs are
 * not lost to the rounding of amounts of the size of the depths. */
Test(route, a_sliver_splits_exactly)
{
    rb_route_venue v[] = {pool(1e6, 30, 0), pool(3e6, 30, 0)};
    for (int side = -1; side <= 1; side += 2) {
        rb_route_result r = route_ok(v, 2, side * 1e-6, 100);
        near(r.units[0], side * 0.25e-6, 1e-6, "leg 1");
        near(r.units[1], side * 0.75e-6, 1e-6, "leg 2");
    }
}

/* A fee-free pool of depth 1e6 and an exchange at 10 bps, a buy of 1e5 of value (1,000 units
 * at 100): the pool takes the order until its marginal cost reaches the exchange's rate,
 * 1 / (1 - a)^2 = 1.001, a = 1 - 1/sqrt(1.001), v = 1e6 a = 499.625...; the exchange the
 * rest at 10 bps. With a 30 bps pool fee the pool's first unit already costs f / (1 - f) =
 * 30.09 bps: everything goes to the exchange. */
Test(route, pool_and_exchange)
{
    rb_route_venue v[] = {pool(1e6, 0, 0), exchange(10, 0, 0)};
    rb_route_result r = route_ok(v, 2, 1000, 100);
    double a = 1 - 1 / sqrt(1.001), vp = 1e6 * a;
    near(r.units[0] * 100, vp, 1e-9, "pool leg");
    near(r.units[1] * 100, 1e5 - vp, 1e-9, "exchange leg");
    near(rb_route_cost_total(&r), vp * vp / (1e6 - vp) + (1e5 - vp) * 0.001, 1e-9, "cost");
    v[0] = pool(1e6, 30, 0);
    r = route_ok(v, 2, 1000, 100);
    cr_assert_eq(r.units[0], 0);
    cr_assert_eq(r.units[1], 1000);
    near(rb_route_cost_total(&r), 100, 1e-12, "all on the exchange");
}

/* Gas leaving a venue out: two fee-free pools of 1e6, the second charging G per swap, a buy
 * of 1e5. The first alone pays V^2 / (R - V) = 11,111.11; both pay V^2 / (2R - V) + G =
 * 5,263.16 + G. G = 5,000 is worth paying (10,263.16); G = 6,000 is not (the second venue
 * takes nothing and charges nothing). */
Test(route, gas_leaves_a_venue_out)
{
    rb_route_venue v[] = {pool(1e6, 0, 0), pool(1e6, 0, 5000)};
    rb_route_result r = route_ok(v, 2, 1000, 100);
    near(r.units[0], 500, 1e-9, "both: leg 1");
    near(r.units[1], 500, 1e-9, "both: leg 2");
    near(rb_route_cost_total(&r), 1e10 / 1.9e6 + 5000, 1e-9, "both");
    cr_assert_eq(r.total.gas, 5000);
    v[1].gas = 6000;
    r = route_ok(v, 2, 1000, 100);
    cr_assert_eq(r.units[0], 1000);
    cr_assert_eq(r.units[1], 0);
    cr_assert_eq(r.total.gas, 0);
    near(rb_route_cost_total(&r), 1e10 / 9e5, 1e-9, "first alone");
}

/* A minimum fee: an exchange at 10 bps with a minimum of 20 and a fee-free pool of 1e6. A
 * buy of 1e4 of value pays 10 (= 1e4^2 / 9.9e5 = 101.01 in the pool alone, 20 on the
 * exchange alone): the exchange's minimum makes its fee flat up to 2e4 of value, so it takes
 * the whole order rather than share it (the pool would cost more at any share). */
Test(route, minimum_fee)
{
    rb_route_venue v[] = {pool(1e6, 0, 0), exchange(10, 0, 20)};
    rb_route_result r = route_ok(v, 2, 100, 100);
    cr_assert_eq(r.units[0], 0);
    cr_assert_eq(r.units[1], 100);
    near(rb_route_cost_total(&r), 20, 1e-12, "the minimum fee");
    /* a tiny order: the pool's curve costs less than the minimum */
    r = route_ok(v, 2, 1, 100);
    cr_assert_eq(r.units[1], 0);
    near(rb_route_cost_total(&r), 1e4 / (1e6 - 100), 1e-9, "pool alone");
}

/* A ranged pool (0.9:1.1, depth 1e6: amplification A = 20.4385890867, virtual depth
 * Y = 2.04e7) beside an exchange at 5,000 bps: the pool's marginal cost stays below 50 %
 * up to a = 1 - 1/sqrt(1.5) = 0.18 of Y, far past its range's edge (a buy takes at most
 * above = 0.0465 of Y, 0.951 R of value): it takes what its range allows and the exchange
 * the rest. Two ranged pools alone cannot take more than their edges: the order is refused,
 * naming the largest trade. */
Test(route, range_edge_overflows_to_the_next_venue)
{
    double lo = 0.9, hi = 1.1, sh = sqrt(hi);
    double below = 1 - sqrt(lo), above = (hi - 1) / (sh * (1 + sh)), A = 2 / (below + above);
    near(A, 20.4385890867, 1e-10, "amplification");
    rb_route_venue v[] = {ranged(1e6, lo, hi), exchange(5000, 0, 0)};
    rb_route_result r = route_ok(v, 2, 20000, 100); /* 2e6 of value */
    near(r.units[0] * 100, above * A * 1e6, 1e-9, "the pool's leg at its edge");
    near(r.units[1] * 100, 2e6 - above * A * 1e6, 1e-9, "the exchange's leg");
    cr_assert_eq(r.units[0] + r.units[1], 20000);
    rb_route_venue two[] = {ranged(1e6, lo, hi), ranged(5e5, lo, hi)};
    rb_route_result q;
    rb_error err = {0};
    cr_assert_eq(rb_route(two, 2, 20000, 100, &q, &err), RB_ERR_DATA);
    char want[64];
    snprintf(want, sizeof want, "at most %g units", above * A * 1.5e6 / 100 * (1 - 1e-12));
    cr_assert(strstr(err.msg, "a buy of 20000 units is more than its 2 venues take together"), "%s", err.msg);
    cr_assert(strstr(err.msg, want), "%s (want %s)", err.msg, want);
    /* just inside the edges: filled, each pool at its edge */
    double most = rb_route_capacity(two, 2, 1, 100);
    q = route_ok(two, 2, most * (1 - 1e-9), 100);
    near(q.units[0] / q.units[1], 2, 1e-6, "in proportion to the depths");
}

/* ---------------------------------------------------------------- brute force */

/* The cost of a split of the order's units (legs[k]), or INFINITY when a venue refuses it. */
static double split_cost(const rb_route_venue *v, size_t n, const double *legs, double price)
{
    double total = 0;
    for (size_t k = 0; k < n; k++) {
        rb_order_cost c;
        rb_order_market mk = {.price = price, .adv = NAN, .gas = v[k].gas};
        if (rb_order_cost_of(&v[k].costs, legs[k], &mk, &c, NULL) != RB_OK) return INFINITY;
        total += rb_order_cost_total(&c);
    }
    return total;
}

/* The cheapest split on a grid of `steps` per unit share (the corners and edges included). */
static double grid_best(const rb_route_venue *v, size_t n, double units, double price, int steps)
{
    double best = INFINITY, legs[3];
    for (int i = 0; i <= steps; i++)
        for (int j = 0; j <= (n == 3 ? steps - i : 0); j++) {
            double s0 = (double)i / steps, s1 = n == 3 ? (double)j / steps : 1 - s0;
            legs[0] = units * s0;
            legs[1] = units * s1;
            if (n == 3) legs[2] = units - legs[0] - legs[1];
            double c = split_cost(v, n, legs, price);
            if (c < best) best = c;
        }
    return best;
}

static void check_against_grid(const rb_route_venue *v, size_t n, double units, double price, int steps)
{
    rb_route_result r;
    rb_error err = {0};
    double grid = grid_best(v, n, units, price, steps);
    rb_status rc = rb_route(v, n, units, price, &r, &err);
    if (isinf(grid)) return; /* no split on the grid fills it */
    cr_assert_eq(rc, RB_OK, "%zu venues, %g units: %s", n, units, err.msg);
    double mine = rb_route_cost_total(&r);
    cr_assert(mine <= grid * (1 + 1e-9) + 1e-12, "%zu venues, %g units: router %.12g > grid %.12g", n, units, mine,
              grid);
    /* and what the router reports is what its legs cost */
    near(mine, split_cost(v, n, r.units, price), 1e-12, "the legs' cost");
    double sum = 0;
    for (size_t k = 0; k < n; k++) sum += r.units[k];
    near(sum, units, 1e-15, "the legs add up to the order");
}

/* Venue sets of pools (full range and ranged, with fees and gas) and exchanges (rates,
 * spreads, minimum fees), each order bought and sold at sizes from a sliver of the depth to
 * past it. */
Test(route, brute_force_two_venues)
{
    const rb_route_venue sets[][2] = {
        {pool(1e6, 30, 0), pool(4e6, 5, 0)},
        {pool(1e6, 30, 20), exchange(10, 4, 0)},
        {pool(2e6, 5, 40), pool(2e6, 30, 5)},
        {ranged(1e6, 0.9, 1.1), exchange(25, 10, 5)},
        {ranged(5e5, 0.8, 1.25), pool(1e6, 100, 15)},
        {exchange(10, 0, 50), pool(3e5, 0, 0)},
        {exchange(10, 2, 0), exchange(8, 6, 10)},
    };
    const double sizes[] = {5, 120, 2500, 9000, 30000};
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
            for (int side = -1; side <= 1; side += 2) check_against_grid(sets[s], 2, side * sizes[k], 100, 20000);
}

Test(route, brute_force_three_venues)
{
    const rb_route_venue sets[][3] = {
        {pool(1e6, 30, 0), pool(4e6, 5, 0), pool(2e6, 1, 0)},
        {pool(1e6, 30, 20), exchange(10, 4, 0), ranged(8e5, 0.9, 1.1)},
        {pool(2e6, 5, 40), pool(2e6, 30, 5), exchange(20, 10, 25)},
        {ranged(1e6, 0.95, 1.05), ranged(1e6, 0.5, 2), pool(5e5, 30, 10)},
    };
    const double sizes[] = {40, 900, 6000, 25000};
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
            for (int side = -1; side <= 1; side += 2) check_against_grid(sets[s], 3, side * sizes[k], 100, 400);
}

Test(route, refusals)
{
    rb_route_venue v[] = {pool(1e6, 30, 0)};
    rb_route_result r;
    rb_error err = {0};
    cr_assert_eq(rb_route(v, 0, 1, 100, &r, &err), RB_ERR_USAGE);
    cr_assert_eq(rb_route(v, 1, 1, 0, &r, &err), RB_ERR_DATA);
    cr_assert_eq(rb_route(v, 1, NAN, 100, &r, &err), RB_ERR_DATA);
    /* a full-range pool's buy never reaches its units: 10,000 units of a pool of 1e6 at 100 */
    cr_assert_eq(rb_route(v, 1, 10000, 100, &r, &err), RB_ERR_DATA);
    cr_assert(strstr(err.msg, "below 10000 units"), "%s", err.msg);
    /* no order: no legs, no cost */
    cr_assert_eq(rb_route(v, 1, 0, 100, &r, &err), RB_OK);
    cr_assert_eq(rb_route_cost_total(&r), 0);
}

/* ---------------------------------------------------------------- the same bits, faster */

/* Each leg of r is what rb_order_cost_of charges it, to the bit (a plain pool's legs are
 * priced by route.c's copy of its formulas), and the totals are their sums in leg order. */
static void legs_priced_as_orders(const rb_route_venue *v, size_t n, const rb_route_result *r, double price)
{
    rb_order_cost sum = {0, 0, 0};
    for (size_t k = 0; k < n; k++) {
        rb_order_cost c;
        rb_order_market mk = {.price = price, .adv = NAN, .gas = v[k].gas};
        cr_assert_eq(rb_order_cost_of(&v[k].costs, r->units[k], &mk, &c, NULL), RB_OK);
        cr_assert(!memcmp(&c, &r->cost[k], sizeof c), "leg %zu of %.17g units: fee %.17g / %.17g, slippage %.17g / %.17g",
                  k, r->units[k], r->cost[k].fee, c.fee, r->cost[k].slippage, c.slippage);
        sum.fee += c.fee, sum.slippage += c.slippage, sum.gas += c.gas;
    }
    cr_assert(!memcmp(&sum, &r->total, sizeof sum));
}

/* Orders of a rebalance's fixed point (sizes a hair apart), then across the breakpoints
 * (from a sliver to near the venues' capacity and back), then at another price, all on one
 * book: each routed to the bits that rb_route, on a book of its own, gives it. */
static void check_book(const rb_route_venue *venues, size_t n, int buy)
{
    rb_route_form form[RB_ROUTE_MAX];
    const rb_route_form *fp[RB_ROUTE_MAX];
    rb_route_venue v[RB_ROUTE_MAX];
    for (size_t k = 0; k < n; k++) {
        rb_route_form_of(&venues[k].costs, &form[k]);
        fp[k] = &form[k];
        v[k] = venues[k];
        v[k].form = &form[k];
    }
    rb_route_book book;
    rb_route_book_open(&book, v, fp, n, buy);
    const double sizes[] = {2500, 2500 * (1 + 1e-13), 2500 * (1 - 3e-14), 2500, 5, 0.001, 120, 9000, 30000, 9000, 40};
    double price = 100;
    for (size_t j = 0; j < 2 * sizeof sizes / sizeof sizes[0]; j++) {
        if (j == sizeof sizes / sizeof sizes[0]) price = 101.5;
        double units = (buy ? 1 : -1) * sizes[j % (sizeof sizes / sizeof sizes[0])];
        rb_route_result a, b;
        rb_error ea = {0}, eb = {0};
        rb_status ra = rb_route(venues, n, units, price, &a, &ea), rbk = rb_route_booked(&book, units, price, &b, &eb);
        cr_assert_eq(ra, rbk, "%zu venues, %g units: %s / %s", n, units, ea.msg, eb.msg);
        if (ra != RB_OK) {
            cr_assert_str_eq(ea.msg, eb.msg);
            continue;
        }
        cr_assert(!memcmp(&a, &b, sizeof a), "%zu venues, %g units at %g: the book's route differs", n, units, price);
        legs_priced_as_orders(venues, n, &a, price);
    }
    rb_route_result r;
    rb_error err = {0};
    cr_assert_eq(rb_route_booked(&book, buy ? -1 : 1, price, &r, &err), RB_ERR_USAGE, "an order of the other side");
}

Test(route, a_book_routes_as_rb_route_does)
{
    const rb_route_venue two[][2] = {
        {pool(1e6, 30, 0), pool(4e6, 5, 0)},         {pool(1e6, 30, 20), exchange(10, 4, 0)},
        {pool(2e6, 5, 40), pool(2e6, 30, 5)},        {ranged(1e6, 0.9, 1.1), exchange(25, 10, 5)},
        {ranged(5e5, 0.8, 1.25), pool(1e6, 100, 15)}, {exchange(10, 0, 50), pool(3e5, 0, 0)},
    };
    const rb_route_venue three[][3] = {
        {pool(1e6, 30, 0), pool(4e6, 5, 0), pool(2e6, 1, 0)},
        {pool(2e6, 5, 40), pool(2e6, 30, 5), exchange(20, 10, 25)},
        {ranged(1e6, 0.95, 1.05), ranged(1e6, 0.5, 2), pool(5e5, 30, 10)},
    };
    for (int buy = 0; buy <= 1; buy++) {
        for (size_t s = 0; s < sizeof two / sizeof two[0]; s++) check_book(two[s], 2, buy);
        for (size_t s = 0; s < sizeof three / sizeof three[0]; s++) check_book(three[s], 3, buy);
    }
}

/* Routes of N assets, each on a pool whose depth follows a series (deeper each bar and
 * asset) with gas and a dearer constant pool, odd assets on an exchange too; slot k of
 * asset i at slot[3 i + k]. */
#define MEMO_N 70
#define MEMO_T 4
typedef struct memo_fixture {
    size_t first[MEMO_N], count[MEMO_N];
    rb_route_slot slot[3 * MEMO_N];
    double depth[MEMO_N][MEMO_T];
    rb_routes routes;
} memo_fixture;

static void memo_fixture_init(memo_fixture *f)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < MEMO_N; i++) {
        f->first[i] = 3 * i;
        f->count[i] = i % 2 ? 3 : 2;
        for (size_t t = 0; t < MEMO_T; t++) f->depth[i][t] = 1e6 * (1 + (double)t) * (1 + (double)i / 10);
        rb_route_slot *s = &f->slot[3 * i];
        s[0] = (rb_route_slot){.costs = {.amm_depth = f->depth[i][0], .amm_fee_bps = 5}, .depth = f->depth[i],
                               .gas = 1, .pool = 1, .chain = 0, .name = "uni"};
        s[1] = (rb_route_slot){.costs = {.amm_depth = 2e6, .amm_fee_bps = 30}, .gas = 0, .pool = 1, .chain = 0,
                               .name = "curve"};
        s[2] = (rb_route_slot){.costs = {.fee_bps = 10, .spread_bps = 2, .fee_min = 3}, .chain = -1, .name = "cex"};
        for (size_t k = 0; k < 3; k++) rb_route_form_of(&s[k].costs, &s[k].form);
    }
    f->routes = (rb_routes){.N = MEMO_N, .first = f->first, .count = f->count, .slot = f->slot};
}

/* A portfolio's memo of books: orders of many assets (more than the memo keeps apart), on
 * both sides, over bars (the depth moving) and gas prices, each routed to the bits it gets
 * without the memo; and after the memo forgets, or meets other routes, the same. */
Test(route, a_memo_routes_as_without_one)
{
    static memo_fixture f, g;
    memo_fixture_init(&f);
    memo_fixture_init(&g);
    for (size_t i = 0; i < MEMO_N; i++) g.slot[3 * i + 1].costs.amm_depth = 5e5; /* other routes, same shape */
    double price[MEMO_N];
    for (size_t i = 0; i < MEMO_N; i++) price[i] = 50 + (double)i;
    rb_route_memo *memo = rb_route_memo_new(MEMO_N);
    cr_assert_not_null(memo);
    const size_t assets[] = {5, 3, 67, 3, 2, 1, 65, 5, 2};
    /* steps that change one thing at a time: the bar, the gas, the routes, the gas per swap;
     * the memo forgets before the last two */
    const struct {
        size_t bar;
        double gas, gas_swap;
        int other;
    } steps[] = {{0, 0, 0, 0}, {1, 0, 0, 0}, {1, 7, 0, 0}, {1, 7, 0, 1}, {2, 7, 0, 1},
                 {2, 7, 2, 1}, {2, 7, 2, 0}, {2, 7, 2, 0}, {3, 0.5, 0, 0}};
    for (size_t st = 0; st < sizeof steps / sizeof steps[0]; st++) {
        if (st == 7) rb_route_memo_forget(memo);
        rb_trade_env env = {.N = MEMO_N, .bar = steps[st].bar, .time = 86400 * (rb_time)steps[st].bar, .price = price,
                            .gas = steps[st].gas, .gas_swap = steps[st].gas_swap,
                            .routes = steps[st].other ? &g.routes : &f.routes, .cash_col = -1};
        for (size_t a = 0; a < sizeof assets / sizeof assets[0]; a++)
            for (int rep = 0; rep < 3; rep++) {
                size_t i = assets[a];
                double units = (rep == 1 ? -1 : 1) * (2000 + 3000 * (double)a) * (1 + 1e-13 * rep);
                rb_routed with, without;
                memset(&with, 0, sizeof with); /* (the legs past n, and padding: untouched) */
                memset(&without, 0, sizeof without);
                rb_error e1 = {0}, e2 = {0};
                cr_assert_eq(rb_route_order(&env, memo, i, units, &with, &e1), RB_OK, "%s", e1.msg);
                cr_assert_eq(rb_route_order(&env, NULL, i, units, &without, &e2), RB_OK, "%s", e2.msg);
                cr_assert(!memcmp(&with, &without, sizeof with), "step %zu: asset %zu, %g units", st, i, units);
            }
    }
    rb_route_memo_free(memo);
    rb_route_memo_free(NULL);
}
