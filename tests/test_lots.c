/* test_lots.c - the tax-lot ledger: FIFO/LIFO/HIFO/AVG relief with hand-worked ledgers, the
 * holding-period boundary, dust and over-selling, wash sales before/after/outside the window,
 * the tax year with carry-forward, unrealized gains, and a seeded randomized property test. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "lots.h"
#include "rebal.h"

/* Criterion records every passing assertion, which is slow in the property loops: those
 * checks only call into Criterion when they fail. */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) cr_assert_fail(__VA_ARGS__);                                                  \
    } while (0)

#define T0 ((rb_time)1577836800) /* 2020-01-01 00:00:00 UTC */
#define DAY(d) (T0 + (rb_time)(d) * 86400)
#define EPS 1e-9

static int near(double a, double b)
{
    return fabs(a - b) <= EPS * (1 + fabs(a) + fabs(b));
}

#define NEAR(a, b) cr_assert(near((a), (b)), "%s = %.15g, expected %.15g", #a, (double)(a), (double)(b))

static rb_lots *mk(size_t nassets, rb_lot_method m, int lt_days, int wash_days, int keep)
{
    rb_lots *lots = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_lots_new(nassets, m, lt_days, wash_days, keep, &lots, &err), RB_OK, "%s", err.msg);
    cr_assert_not_null(lots);
    return lots;
}

static rb_lot_pool *mk_pool(void)
{
    rb_lot_pool *pool = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_lot_pool_new(&pool, &err), RB_OK, "%s", err.msg);
    return pool;
}

static rb_realized buy(rb_lots *lots, size_t a, rb_time t, double units, double cost)
{
    rb_error err = {0};
    rb_realized late = {-1, -1};
    cr_assert_eq(rb_lots_buy(lots, a, t, units, cost, &late, &err), RB_OK, "%s", err.msg);
    return late;
}

static rb_realized sell(rb_lots *lots, size_t a, rb_time t, double units, double proceeds)
{
    rb_error err = {0};
    rb_realized out = {-1, -1};
    cr_assert_eq(rb_lots_sell(lots, a, t, units, proceeds, &out, &err), RB_OK, "%s", err.msg);
    return out;
}

/* One expected ledger row; closed < 0 marks an open lot. */
typedef struct row {
    int64_t id;
    double units, cost, proceeds, gain, disallowed;
    int closed_day; /* -1: open */
    int long_term;
} row;

static void check_ledger(rb_lots *lots, const row *want, size_t nwant)
{
    size_t n = 0;
    const rb_lot_piece *p = rb_lots_ledger(lots, &n);
    cr_assert_eq(n, nwant, "ledger has %zu rows, expected %zu", n, nwant);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(p[i].lot_id, want[i].id, "row %zu: lot %lld, expected %lld", i, (long long)p[i].lot_id,
                     (long long)want[i].id);
        cr_assert(near(p[i].units, want[i].units), "row %zu: units %.15g, expected %.15g", i, p[i].units,
                  want[i].units);
        cr_assert(near(p[i].cost, want[i].cost), "row %zu: cost %.15g, expected %.15g", i, p[i].cost, want[i].cost);
        if (want[i].closed_day < 0) {
            cr_assert_eq(p[i].closed, RB_TIME_OPEN, "row %zu should be open", i);
            continue;
        }
        cr_assert_eq(p[i].closed, DAY(want[i].closed_day), "row %zu: closed at the wrong time", i);
        cr_assert(near(p[i].proceeds, want[i].proceeds), "row %zu: proceeds %.15g, expected %.15g", i,
                  p[i].proceeds, want[i].proceeds);
        cr_assert(near(p[i].gain, want[i].gain), "row %zu: gain %.15g, expected %.15g", i, p[i].gain, want[i].gain);
        cr_assert(near(p[i].disallowed, want[i].disallowed), "row %zu: disallowed %.15g, expected %.15g", i,
                  p[i].disallowed, want[i].disallowed);
        cr_assert_eq(p[i].long_term, want[i].long_term, "row %zu: long_term %d, expected %d", i, p[i].long_term,
                     want[i].long_term);
    }
}

/* ---------------------------------------------------------------- relief methods */

/* The common sequence (asset 0, long-term = more than 365 days):
 *   lot 1: day   0, 10 units for 100 (10/unit)
 *   lot 2: day 100, 10 units for 150 (15/unit)
 *   lot 3: day 200, 10 units for 120 (12/unit)
 *   sale A: day 400, 15 units for 300 (20/unit)
 *   sale B: day 500, 10 units for 130 (13/unit) */
static rb_lots *sequence(rb_lot_method m, int keep, rb_realized *a, rb_realized *b)
{
    rb_lots *lots = mk(1, m, 365, 0, keep);
    buy(lots, 0, DAY(0), 10, 100);
    buy(lots, 0, DAY(100), 10, 150);
    buy(lots, 0, DAY(200), 10, 120);
    *a = sell(lots, 0, DAY(400), 15, 300);
    *b = sell(lots, 0, DAY(500), 10, 130);
    return lots;
}

Test(lots, fifo)
{
    rb_realized a, b;
    rb_lots *lots = sequence(RB_LOTS_FIFO, 1, &a, &b);
    /* A: lot 1 whole: 200 - 100 = 100, held 400 d: long.
     *    lot 2, 5 units: 100 - 75 = 25, held 300 d: short.
     * B: lot 2, 5 units: 65 - 75 = -10, held 400 d: long.
     *    lot 3, 5 units: 65 - 60 = 5, held 300 d: short.  Lot 3 keeps 5 units, basis 60. */
    NEAR(a.short_term, 25);
    NEAR(a.long_term, 100);
    NEAR(b.short_term, 5);
    NEAR(b.long_term, -10);
    const row want[] = {
        {1, 10, 100, 200, 100, 0, 400, 1}, {2, 5, 75, 100, 25, 0, 400, 0}, {2, 5, 75, 65, -10, 0, 500, 1},
        {3, 5, 60, 65, 5, 0, 500, 0},      {3, 5, 60, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want, 5);
    NEAR(rb_lots_units(lots, 0), 5);
    NEAR(rb_lots_basis(lots, 0), 60);
    rb_lots_free(lots);
}

Test(lots, lifo)
{
    rb_realized a, b;
    rb_lots *lots = sequence(RB_LOTS_LIFO, 1, &a, &b);
    /* A: lot 3 whole: 200 - 120 = 80, held 200 d: short.
     *    lot 2, 5 units: 100 - 75 = 25, held 300 d: short.
     * B: lot 2, 5 units: 65 - 75 = -10, held 400 d: long.
     *    lot 1, 5 units: 65 - 50 = 15, held 500 d: long.  Lot 1 keeps 5 units, basis 50. */
    NEAR(a.short_term, 105);
    NEAR(a.long_term, 0);
    NEAR(b.short_term, 0);
    NEAR(b.long_term, 5);
    const row want[] = {
        {3, 10, 120, 200, 80, 0, 400, 0}, {2, 5, 75, 100, 25, 0, 400, 0}, {2, 5, 75, 65, -10, 0, 500, 1},
        {1, 5, 50, 65, 15, 0, 500, 1},    {1, 5, 50, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want, 5);
    rb_lots_free(lots);
}

Test(lots, hifo)
{
    rb_realized a, b;
    rb_lots *lots = sequence(RB_LOTS_HIFO, 1, &a, &b);
    /* A: highest cost per unit first: lot 2 (15) whole: 200 - 150 = 50, held 300 d: short.
     *    lot 3 (12), 5 units: 100 - 60 = 40, held 200 d: short.
     * B: lot 3 (12), 5 units: 65 - 60 = 5, held 300 d: short.
     *    lot 1 (10), 5 units: 65 - 50 = 15, held 500 d: long.  Lot 1 keeps 5 units, basis 50. */
    NEAR(a.short_term, 90);
    NEAR(a.long_term, 0);
    NEAR(b.short_term, 5);
    NEAR(b.long_term, 15);
    const row want[] = {
        {2, 10, 150, 200, 50, 0, 400, 0}, {3, 5, 60, 100, 40, 0, 400, 0}, {3, 5, 60, 65, 5, 0, 500, 0},
        {1, 5, 50, 65, 15, 0, 500, 1},    {1, 5, 50, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want, 5);
    rb_lots_free(lots);
}

Test(lots, avg)
{
    rb_realized a, b;
    rb_lots *lots = sequence(RB_LOTS_AVG, 1, &a, &b);
    /* Average cost 370 / 30 = 37/3 per unit; relieved oldest first.
     * A: lot 1 whole: 200 - 370/3 = 230/3, held 400 d: long.
     *    lot 2, 5 units: 100 - 185/3 = 115/3, held 300 d: short.
     * Left: lot 2 5 units (185/3), lot 3 10 units (370/3): still 37/3 per unit.
     * B: lot 2, 5 units: 65 - 185/3 = 10/3, held 400 d: long.
     *    lot 3, 5 units: 65 - 185/3 = 10/3, held 300 d: short.  Lot 3 keeps 5 units, 185/3. */
    NEAR(a.short_term, 115.0 / 3);
    NEAR(a.long_term, 230.0 / 3);
    NEAR(b.short_term, 10.0 / 3);
    NEAR(b.long_term, 10.0 / 3);
    const row want[] = {
        {1, 10, 370.0 / 3, 200, 230.0 / 3, 0, 400, 1},
        {2, 5, 185.0 / 3, 100, 115.0 / 3, 0, 400, 0},
        {2, 5, 185.0 / 3, 65, 10.0 / 3, 0, 500, 1},
        {3, 5, 185.0 / 3, 65, 10.0 / 3, 0, 500, 0},
        {3, 5, 185.0 / 3, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want, 5);
    rb_lots_free(lots);
}

Test(lots, methods_differ_but_total_is_proceeds_minus_basis)
{
    /* Over both sales, realized = 430 - basis of the 25 units sold:
     * FIFO 430 - 310 = 120, LIFO 430 - 320 = 110, HIFO 430 - 320 = 110,
     * AVG 430 - 25 * 37/3 = 365/3; FIFO/LIFO/HIFO/AVG split short/long differently. */
    static const double total[4] = {120, 110, 110, 365.0 / 3};
    static const double shrt[4] = {30, 105, 95, 125.0 / 3};
    for (int m = RB_LOTS_FIFO; m <= RB_LOTS_AVG; m++) {
        rb_realized a, b;
        rb_lots *lots = sequence((rb_lot_method)m, 0, &a, &b);
        double s = a.short_term + b.short_term, l = a.long_term + b.long_term;
        cr_assert(near(s + l, total[m]), "method %d: total %.15g", m, s + l);
        cr_assert(near(s, shrt[m]), "method %d: short %.15g", m, s);
        rb_lots_free(lots);
    }
}

Test(lots, hifo_ties_take_the_oldest)
{
    /* Three lots at 10/unit (days 0, 5, 9) and one at 8/unit: a sale of 4 takes 4 units
     * of lot 1 (oldest of the equal highest), then 4 + 10 takes lot 1's rest, lot 2, lot 3's 2. */
    rb_lots *lots = mk(1, RB_LOTS_HIFO, 365, 0, 1);
    buy(lots, 0, DAY(0), 5, 50);
    buy(lots, 0, DAY(2), 5, 40);
    buy(lots, 0, DAY(5), 5, 50);
    buy(lots, 0, DAY(9), 5, 50);
    sell(lots, 0, DAY(10), 4, 44);
    sell(lots, 0, DAY(11), 8, 88);
    /* Sale 2: lot 1 rest (1 unit, 10), lot 3 (5 units, 50), lot 4 (2 units, 20): 11/unit. */
    const row want[] = {
        {1, 4, 40, 44, 4, 0, 10, 0}, {1, 1, 10, 11, 1, 0, 11, 0}, {3, 5, 50, 55, 5, 0, 11, 0},
        {4, 2, 20, 22, 2, 0, 11, 0}, {2, 5, 40, 0, 0, 0, -1, 0},  {4, 3, 30, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want, 6);
    rb_lots_free(lots);
}

/* ---------------------------------------------------------------- holding period */

Test(lots, holding_period_boundary)
{
    /* Long-term means held MORE than 365 days: exactly 365 days is short, 366 is long, and
     * 365 days + 1 second is already more. */
    rb_lots *lots = mk(1, RB_LOTS_FIFO, 365, 0, 1);
    buy(lots, 0, DAY(0), 3, 30);
    rb_realized r1 = sell(lots, 0, DAY(365), 1, 12);
    rb_realized r2 = sell(lots, 0, DAY(365) + 1, 1, 12);
    rb_realized r3 = sell(lots, 0, DAY(366), 1, 12);
    NEAR(r1.short_term, 2);
    NEAR(r1.long_term, 0);
    NEAR(r2.short_term, 0);
    NEAR(r2.long_term, 2);
    NEAR(r3.long_term, 2);
    size_t n;
    const rb_lot_piece *p = rb_lots_ledger(lots, &n);
    cr_assert_eq(n, 3);
    cr_assert_eq(p[0].long_term, 0);
    cr_assert_eq(p[1].long_term, 1);
    cr_assert_eq(p[2].long_term, 1);
    rb_lots_free(lots);

    /* A different setting: long-term after 30 days. */
    lots = mk(1, RB_LOTS_FIFO, 30, 0, 0);
    buy(lots, 0, DAY(0), 2, 20);
    rb_realized a = sell(lots, 0, DAY(30), 1, 5);
    rb_realized b = sell(lots, 0, DAY(31), 1, 5);
    NEAR(a.short_term, -5);
    NEAR(b.long_term, -5);
    rb_lots_free(lots);
}

/* ---------------------------------------------------------------- over-selling and dust */

Test(lots, selling_more_than_held_fails_and_changes_nothing)
{
    rb_lots *lots = mk(2, RB_LOTS_FIFO, 365, 0, 1);
    buy(lots, 0, DAY(0), 10, 100);
    rb_error err = {0};
    rb_realized out = {7, 7};
    cr_assert_eq(rb_lots_sell(lots, 0, DAY(1), 10.001, 120, &out, &err), RB_ERR_DATA);
    cr_assert_str_eq(err.msg, "selling 10.001 units of asset 0 but only 10 are held");
    cr_assert_eq(out.short_term, 7); /* out untouched on failure */
    cr_assert_eq(rb_lots_sell(lots, 1, DAY(1), 1, 12, &out, &err), RB_ERR_DATA);
    cr_assert_str_eq(err.msg, "selling 1 units of asset 1 but only 0 are held");
    /* 1e-8 relative is beyond the 1e-9 rounding allowance. */
    cr_assert_eq(rb_lots_sell(lots, 0, DAY(1), 10 * (1 + 1e-8), 120, &out, &err), RB_ERR_DATA);
    size_t n;
    const rb_lot_piece *p = rb_lots_ledger(lots, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(p[0].closed, RB_TIME_OPEN);
    cr_assert_eq(p[0].units, 10);
    cr_assert_eq(p[0].cost, 100);
    /* Bad arguments. */
    cr_assert_eq(rb_lots_sell(lots, 2, DAY(1), 1, 12, &out, &err), RB_ERR_USAGE);
    cr_assert_eq(rb_lots_sell(lots, 0, DAY(1), 0, 12, &out, &err), RB_ERR_DATA);
    cr_assert_eq(rb_lots_sell(lots, 0, DAY(1), NAN, 12, &out, NULL), RB_ERR_DATA);
    cr_assert_eq(rb_lots_sell(lots, 0, DAY(1), 1, INFINITY, &out, NULL), RB_ERR_DATA);
    rb_realized late = {7, 7};
    cr_assert_eq(rb_lots_buy(lots, 0, DAY(1), -1, 10, &late, &err), RB_ERR_DATA);
    cr_assert_eq(rb_lots_buy(lots, 0, DAY(1), 1, 0, &late, &err), RB_ERR_DATA);
    cr_assert_eq(rb_lots_buy(lots, 5, DAY(1), 1, 10, &late, &err), RB_ERR_USAGE);
    cr_assert_str_eq(err.msg, "buying asset 5: the lots ledger has only 2 assets");
    cr_assert_eq(late.short_term, 7);
    NEAR(rb_lots_units(lots, 0), 10);
    rb_lots_free(lots);

    rb_lots *bad = NULL;
    cr_assert_eq(rb_lots_new(1, (rb_lot_method)9, 365, 0, 0, &bad, &err), RB_ERR_USAGE);
    cr_assert_eq(rb_lots_new(1, RB_LOTS_FIFO, -1, 0, 0, &bad, &err), RB_ERR_USAGE);
    cr_assert_eq(rb_lots_new(1, RB_LOTS_FIFO, 365, -3, 0, &bad, NULL), RB_ERR_USAGE);
    cr_assert_null(bad);
    rb_lots_free(NULL);
}

Test(lots, selling_all_within_rounding_leaves_no_dust)
{
    rb_lots *lots = mk(1, RB_LOTS_FIFO, 365, 0, 1);
    /* 0.1 + 0.2 = 0.30000000000000004 > 0.3: "all" of a 0.3-unit lot, accepted. */
    buy(lots, 0, DAY(0), 0.3, 3);
    rb_realized r = sell(lots, 0, DAY(1), 0.1 + 0.2, 6);
    NEAR(r.short_term, 3);
    cr_assert_eq(rb_lots_units(lots, 0), 0);
    /* Selling all but 1e-14 of 0.3 (below 1e-12 of the lot) consumes the lot whole. */
    buy(lots, 0, DAY(2), 0.3, 3);
    sell(lots, 0, DAY(3), 0.3 - 1e-14, 6);
    cr_assert_eq(rb_lots_units(lots, 0), 0);
    /* Leaving 1e-10 of 0.3 (above 1e-12 of the lot) keeps a real lot of 1e-10 units. */
    buy(lots, 0, DAY(4), 0.3, 3);
    sell(lots, 0, DAY(5), 0.3 - 1e-10, 6);
    cr_assert(fabs(rb_lots_units(lots, 0) - 1e-10) < 1e-16); /* 0.3 - (0.3 - 1e-10), rounded */
    size_t n;
    const rb_lot_piece *p = rb_lots_ledger(lots, &n);
    cr_assert_eq(n, 4);
    cr_assert_eq(p[0].units, 0.3); /* the pieces carry the lots' exact units */
    cr_assert_eq(p[1].units, 0.3);
    cr_assert_eq(p[1].cost, 3);
    cr_assert_eq(p[3].closed, RB_TIME_OPEN);
    cr_assert_eq(p[3].lot_id, 3);
    rb_lots_free(lots);

    /* A sale that exceeds one lot by rounding only (5e-14 over 5 units) does not cut a
     * dust piece from the next lot. */
    lots = mk(1, RB_LOTS_FIFO, 365, 0, 1);
    buy(lots, 0, DAY(0), 5, 50);
    buy(lots, 0, DAY(1), 5, 50);
    sell(lots, 0, DAY(2), 5 * (1 + 1e-14), 60);
    p = rb_lots_ledger(lots, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(p[0].lot_id, 1);
    cr_assert_eq(p[0].units, 5);
    cr_assert_eq(p[0].proceeds, 60);
    cr_assert_eq(p[1].lot_id, 2);
    cr_assert_eq(p[1].units, 5);
    /* Selling 1e-10 relative more than the 5 held (within 1e-9) sells exactly the 5. */
    sell(lots, 0, DAY(3), 5 * (1 + 1e-10), 70);
    p = rb_lots_ledger(lots, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(p[1].units, 5);
    cr_assert_eq(p[1].proceeds, 70);
    cr_assert_eq(rb_lots_units(lots, 0), 0);
    rb_lots_free(lots);
}

Test(lots, proceeds_shared_by_units)
{
    /* 10 units sold for 99 over lots of 2, 3 and 5 units: 19.8, 29.7, 49.5. */
    rb_lots *lots = mk(1, RB_LOTS_FIFO, 365, 0, 1);
    buy(lots, 0, DAY(0), 2, 10);
    buy(lots, 0, DAY(1), 3, 30);
    buy(lots, 0, DAY(2), 5, 60);
    rb_realized r = sell(lots, 0, DAY(3), 10, 99);
    NEAR(r.short_term, 99 - 100);
    const row want[] = {
        {1, 2, 10, 19.8, 9.8, 0, 3, 0},
        {2, 3, 30, 29.7, -0.3, 0, 3, 0},
        {3, 5, 60, 49.5, -10.5, 0, 3, 0},
    };
    check_ledger(lots, want, 3);
    rb_lots_free(lots);
}

/* ---------------------------------------------------------------- wash sales */

Test(lots, wash_sale_replacement_before)
{
    /* 30-day window. Lot 1: day 0, 10 units for 100. Lot 2 (the replacement): day 50, 10
     * units for 80. Day 60: 10 units sold (FIFO: lot 1) for 70, a loss of 30. Lot 2 was
     * bought 10 days before: the whole loss is disallowed, moved into lot 2's basis
     * (80 + 30 = 110); the allowed gain of the sale is 0. */
    rb_lots *lots = mk(1, RB_LOTS_FIFO, 365, 30, 1);
    buy(lots, 0, DAY(0), 10, 100);
    rb_realized none = buy(lots, 0, DAY(50), 10, 80);
    NEAR(none.short_term, 0);
    NEAR(none.long_term, 0);
    rb_realized r = sell(lots, 0, DAY(60), 10, 70);
    NEAR(r.short_term, 0);
    NEAR(r.long_term, 0);
    NEAR(rb_lots_basis(lots, 0), 110);
    const row want[] = {
        {1, 10, 100, 70, -30, 30, 60, 0},
        {2, 10, 110, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want, 2);
    /* Selling the replacement later for 120 realizes 120 - 110 = 10: with the sale above
     * that is 0 + 10 = -30 + 40, the economic total of both lots. A later buy has nothing
     * left to match (the loss was fully replaced). */
    rb_realized r2 = sell(lots, 0, DAY(100), 10, 120);
    NEAR(r2.short_term, 10);
    rb_realized late = buy(lots, 0, DAY(101), 10, 100);
    NEAR(late.short_term, 0);
    NEAR(rb_lots_basis(lots, 0), 100);
    rb_lots_free(lots);
}

Test(lots, wash_sale_replacement_after_reported_by_kind)
{
    /* Short-term: lot 1 day 0, 10 units for 100; day 60 sold for 70: loss 30, no
     * replacement yet, so the sale reports -30. Day 70 (10 days later) 10 units bought for
     * 80: the loss is disallowed now, the new lot's basis is 110, and *late reports +30
     * short-term for the caller to add back. The sold piece's row shows disallowed 30. */
    rb_lots *lots = mk(1, RB_LOTS_FIFO, 365, 30, 1);
    buy(lots, 0, DAY(0), 10, 100);
    rb_realized r = sell(lots, 0, DAY(60), 10, 70);
    NEAR(r.short_term, -30);
    rb_realized late = buy(lots, 0, DAY(70), 10, 80);
    NEAR(late.short_term, 30);
    NEAR(late.long_term, 0);
    const row want[] = {
        {1, 10, 100, 70, -30, 30, 60, 0},
        {2, 10, 110, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want, 2);
    rb_lots_free(lots);

    /* Long-term: held 400 days, sold for 70 (loss 30, long), bought back 10 days later:
     * the late add-back is long-term. Without a ledger the late match works the same. */
    lots = mk(1, RB_LOTS_FIFO, 365, 30, 0);
    buy(lots, 0, DAY(0), 10, 100);
    r = sell(lots, 0, DAY(400), 10, 70);
    NEAR(r.long_term, -30);
    NEAR(r.short_term, 0);
    late = buy(lots, 0, DAY(410), 10, 80);
    NEAR(late.long_term, 30);
    NEAR(late.short_term, 0);
    NEAR(rb_lots_basis(lots, 0), 110);
    rb_lots_free(lots);
}

Test(lots, wash_sale_window_edges)
{
    /* Exactly 30 days before and exactly 30 days after are inside; 31 days are outside. */
    rb_lots *lots = mk(1, RB_LOTS_FIFO, 365, 30, 0);
    buy(lots, 0, DAY(0), 10, 100);
    buy(lots, 0, DAY(30), 1, 8); /* 30 days before the sale at day 60: replaces 1 unit */
    rb_realized r = sell(lots, 0, DAY(60), 10, 70); /* lot 1: loss 3/unit */
    NEAR(r.short_term, -27);
    NEAR(rb_lots_basis(lots, 0), 11);
    rb_realized late = buy(lots, 0, DAY(90), 2, 16); /* exactly 30 days after: 2 units */
    NEAR(late.short_term, 6);
    late = buy(lots, 0, DAY(121), 7, 56); /* 61 days after: expired */
    NEAR(late.short_term, 0);
    NEAR(rb_lots_basis(lots, 0), 11 + 22 + 56);
    rb_lots_free(lots);

    /* Outside on both sides: bought 31 days before, and 31 days after. */
    lots = mk(1, RB_LOTS_FIFO, 365, 30, 1);
    buy(lots, 0, DAY(0), 10, 100);
    buy(lots, 0, DAY(29), 10, 80);
    r = sell(lots, 0, DAY(60), 10, 70);
    NEAR(r.short_term, -30);
    late = buy(lots, 0, DAY(91), 10, 80);
    NEAR(late.short_term, 0);
    const row want[] = {
        {1, 10, 100, 70, -30, 0, 60, 0},
        {2, 10, 80, 0, 0, 0, -1, 0},
        {3, 10, 80, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want, 3);
    rb_lots_free(lots);

    /* wash_sale_days 0 turns the rule off: a buy right after a loss changes nothing. */
    lots = mk(1, RB_LOTS_FIFO, 365, 0, 0);
    buy(lots, 0, DAY(0), 10, 100);
    r = sell(lots, 0, DAY(60), 10, 70);
    NEAR(r.short_term, -30);
    late = buy(lots, 0, DAY(60), 10, 80);
    NEAR(late.short_term, 0);
    NEAR(rb_lots_basis(lots, 0), 80);
    rb_lots_free(lots);
}

Test(lots, wash_sale_partial_replacement)
{
    /* Loss 30 on 10 units (3/unit). Before: 4 units bought 10 days earlier replace 4:
     * 12 disallowed into their basis (32 + 12 = 44), the sale reports -18. After: 2 units
     * bought 5 days later take 6 more (late +6, basis 16 + 6 = 22); 10 units bought 8 days
     * later take the remaining 4 units: late +12, basis 80 + 12 = 92 (the other 6 units
     * carry no adjustment). A further buy finds nothing left. */
    rb_lots *lots = mk(1, RB_LOTS_FIFO, 365, 30, 1);
    buy(lots, 0, DAY(0), 10, 100);
    buy(lots, 0, DAY(50), 4, 32);
    rb_realized r = sell(lots, 0, DAY(60), 10, 70);
    NEAR(r.short_term, -18);
    rb_realized late = buy(lots, 0, DAY(65), 2, 16);
    NEAR(late.short_term, 6);
    late = buy(lots, 0, DAY(68), 10, 80);
    NEAR(late.short_term, 12);
    late = buy(lots, 0, DAY(69), 10, 80);
    NEAR(late.short_term, 0);
    const row want[] = {
        {1, 10, 100, 70, -30, 30, 60, 0}, {2, 4, 44, 0, 0, 0, -1, 0},  {3, 2, 22, 0, 0, 0, -1, 0},
        {4, 10, 92, 0, 0, 0, -1, 0},      {5, 10, 80, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want, 5);
    /* Gain identity: sum of (proceeds - cost) = -30 = allowed (-18 + 6 + 12 = 0) - disallowed 30. */
    rb_lots_free(lots);
}

Test(lots, wash_sale_replacement_used_once)
{
    /* One replacement lot (day 50, 10 units for 80) and two loss sales of 10 units each
     * (days 55 and 56, loss 30 each): the first uses its whole capacity (basis 110), the
     * second finds none and reports its loss, which stays pending for a later buy. */
    rb_lots *lots = mk(1, RB_LOTS_FIFO, 365, 30, 1);
    buy(lots, 0, DAY(0), 10, 100);
    buy(lots, 0, DAY(1), 10, 100);
    buy(lots, 0, DAY(50), 10, 80);
    rb_realized a = sell(lots, 0, DAY(55), 10, 70);
    rb_realized b = sell(lots, 0, DAY(56), 10, 70);
    NEAR(a.short_term, 0);
    NEAR(b.short_term, -30);
    NEAR(rb_lots_basis(lots, 0), 110);
    rb_realized late = buy(lots, 0, DAY(57), 5, 40); /* takes 5 of the 10 pending units */
    NEAR(late.short_term, 15);
    NEAR(rb_lots_basis(lots, 0), 110 + 55);
    rb_lots_free(lots);
}

Test(lots, wash_sale_lot_does_not_replace_itself)
{
    /* Selling half of a lot bought 10 days ago at a loss: the other half of the same
     * purchase is the original position, not a replacement, so the loss is allowed. */
    rb_lots *lots = mk(1, RB_LOTS_FIFO, 365, 30, 1);
    buy(lots, 0, DAY(0), 10, 100);
    rb_realized r = sell(lots, 0, DAY(10), 5, 40);
    NEAR(r.short_term, -10);
    NEAR(rb_lots_basis(lots, 0), 50);
    rb_lots_free(lots);
}

Test(lots, wash_sale_partly_sold_replacement_keeps_its_share)
{
    /* LIFO, 30-day window.
     *   lot 1 day 0: 10 units for 100; lot 2 day 1: 4 for 40; lot 3 (R) day 50: 10 for 80;
     *   lot 4 day 53: 4 for 40.
     * Day 55, sell 4 for 28: lot 4, loss 12 (3/unit); R (day 50, in [25, 55]) replaces 4
     *   units: R basis 92, 4 of 10 units used; the sale reports 0.
     * Day 56, sell 5 for 100: 5 of R's 10 units, basis 46, gain 54. R keeps 5 units, basis
     *   46, and 2 used units (the sold half took its share of the 4).
     * Day 57: lot 5, 10 units for 100 (no pending loss to match).
     * Day 58, sell 10 for 70: lot 5, loss 30 (3/unit). R has 5 - 2 = 3 units of capacity:
     *   9 disallowed (R basis 55); lots 1 and 2 are outside [28, 58]; lot 5 is the sold lot.
     *   The sale reports -21; 7 loss units stay pending.
     * Day 60: lot 6, 10 units for 80 takes the 7 pending units: late +21, basis 101. */
    rb_lots *lots = mk(1, RB_LOTS_LIFO, 365, 30, 1);
    buy(lots, 0, DAY(0), 10, 100);
    buy(lots, 0, DAY(1), 4, 40);
    buy(lots, 0, DAY(50), 10, 80);
    buy(lots, 0, DAY(53), 4, 40);
    NEAR(sell(lots, 0, DAY(55), 4, 28).short_term, 0);
    NEAR(sell(lots, 0, DAY(56), 5, 100).short_term, 54);
    NEAR(buy(lots, 0, DAY(57), 10, 100).short_term, 0);
    NEAR(sell(lots, 0, DAY(58), 10, 70).short_term, -21);
    NEAR(buy(lots, 0, DAY(60), 10, 80).short_term, 21);
    const row want[] = {
        {4, 4, 40, 28, -12, 12, 55, 0}, {3, 5, 46, 100, 54, 0, 56, 0}, {5, 10, 100, 70, -30, 30, 58, 0},
        {1, 10, 100, 0, 0, 0, -1, 0},   {2, 4, 40, 0, 0, 0, -1, 0},    {3, 5, 55, 0, 0, 0, -1, 0},
        {6, 10, 101, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want, 7);
    /* Identity: gains 54 - 12 - 30 = 12 = allowed (0 + 54 - 21 + 21 late) 54 - disallowed 42. */
    rb_lots_free(lots);
}

Test(lots, wash_sale_with_avg_cost)
{
    /* AVG, 30-day window. Lots: day 0, 10 for 100; day 50, 10 for 60 (the replacement).
     * Day 60, sell 10 for 70: average 160/20 = 8/unit, lot 1 relieved: 70 - 80 = -10;
     * lot 2 (basis now 80) replaces all 10 units: basis 90, allowed 0.
     * Day 70, sell 10 for 100: 100 - 90 = 10. */
    rb_lots *lots = mk(1, RB_LOTS_AVG, 365, 30, 1);
    buy(lots, 0, DAY(0), 10, 100);
    buy(lots, 0, DAY(50), 10, 60);
    NEAR(sell(lots, 0, DAY(60), 10, 70).short_term, 0);
    NEAR(rb_lots_basis(lots, 0), 90);
    NEAR(sell(lots, 0, DAY(70), 10, 100).short_term, 10);
    rb_lots_free(lots);
}

Test(lots, avg_every_open_lot_carries_the_average_cost)
{
    /* AVG. Day 0: lot 1, 10 units for 1000. Day 10: 5 sold for 600 (at 100 a unit: +100).
     * Day 20: lot 2, 5 units for 750 (150 a unit). The asset now holds 10 units with basis
     * 500 + 750 = 1250: both lots carry 125 a unit, 625 each, in the ledger too.
     * At day 380 and price 130: lot 1 (380 days) 650 - 625 = +25 long, lot 2 (360 days)
     * +25 short; at their own costs they would give +150 long and -100 short. */
    rb_lots *lots = mk(1, RB_LOTS_AVG, 365, 0, 1);
    buy(lots, 0, DAY(0), 10, 1000);
    NEAR(sell(lots, 0, DAY(10), 5, 600).short_term, 100);
    buy(lots, 0, DAY(20), 5, 750);
    const row want[] = {
        {1, 5, 500, 600, 100, 0, 10, 0},
        {1, 5, 625, 0, 0, 0, -1, 0},
        {2, 5, 625, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want, 3);
    const double price[1] = {130};
    rb_realized u = rb_lots_unrealized(lots, price, DAY(380));
    NEAR(u.long_term, 25);
    NEAR(u.short_term, 25);
    /* A wash-sale adjustment joins the average too. The same with a 30-day window, then on
     * day 30 4 units sold for 400: lot 1's, basis 4 * 125 = 500: -100. Lot 2 (day 20)
     * replaces the 4 units: 100 more basis. The asset holds 6 units with basis 1250 - 500 +
     * 100 = 850: 425/3 a unit, on both lots. */
    rb_lots_free(lots);
    lots = mk(1, RB_LOTS_AVG, 365, 30, 1);
    buy(lots, 0, DAY(0), 10, 1000);
    sell(lots, 0, DAY(10), 5, 600);
    buy(lots, 0, DAY(20), 5, 750);
    NEAR(sell(lots, 0, DAY(30), 4, 400).short_term, 0);
    const row want2[] = {
        {1, 5, 500, 600, 100, 0, 10, 0},
        {1, 4, 500, 400, -100, 100, 30, 0},
        {1, 1, 425.0 / 3, 0, 0, 0, -1, 0},
        {2, 5, 5 * 425.0 / 3, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want2, 4);
    rb_lots_free(lots);
}

Test(lots, wash_sale_units_sold_in_the_same_order_never_replace)
{
    /* FIFO, 30-day window. Lot 1 day 0: 10 units for 1000; lot 2 day 50: 10 units for 900.
     * Day 60, 15 units sold for 1050 (70 a unit):
     *   lot 1 whole: 700 - 1000 = -300 (30 a unit); lot 2, 5 units: 350 - 450 = -100 (20).
     *   Lot 1 is gone. Lot 2's 5 remaining units (bought day 50, in the window) replace 5 of
     *   lot 1's loss units: 150 disallowed, lot 2's basis 450 + 150 = 600. They do not
     *   replace lot 2's own piece, and lot 2's sold units replace nothing.
     *   Reported: -300 + 150 - 100 = -250; pending: 5 units of lot 1 (30 each), then 5 of
     *   lot 2's piece (20 each).
     * Day 65: lot 3, 10 units for 800, takes both pending in that order: late 150 + 100 =
     *   250, basis 1050. */
    rb_lots *lots = mk(1, RB_LOTS_FIFO, 365, 30, 1);
    buy(lots, 0, DAY(0), 10, 1000);
    buy(lots, 0, DAY(50), 10, 900);
    NEAR(sell(lots, 0, DAY(60), 15, 1050).short_term, -250);
    NEAR(buy(lots, 0, DAY(65), 10, 800).short_term, 250);
    const row want[] = {
        {1, 10, 1000, 700, -300, 300, 60, 0},
        {2, 5, 450, 350, -100, 100, 60, 0},
        {2, 5, 600, 0, 0, 0, -1, 0},
        {3, 10, 1050, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, want, 4);
    rb_lots_free(lots);

    /* Selling every lot in one order (as the after-tax liquidation does) disallows nothing,
     * though lot 2 was bought 10 days before: -300 - 200 = -500. */
    lots = mk(1, RB_LOTS_FIFO, 365, 30, 1);
    buy(lots, 0, DAY(0), 10, 1000);
    buy(lots, 0, DAY(50), 10, 900);
    NEAR(sell(lots, 0, DAY(60), 20, 1400).short_term, -500);
    const row all[] = {
        {1, 10, 1000, 700, -300, 0, 60, 0},
        {2, 10, 900, 700, -200, 0, 60, 0},
    };
    check_ledger(lots, all, 2);
    rb_lots_free(lots);
}

Test(lots, wash_sale_replacements_in_order_of_acquisition)
{
    /* Before the sale, HIFO, 30-day window. Lot 1 day 0: 5 units for 100 (20 a unit);
     * lot 2 day 40: 3 units for 36 (12); lot 3 day 50: 3 units for 45 (15). Day 60, 5 units
     * sold for 50: HIFO relieves lot 1, -50 (10 a unit). Both later lots qualify; the
     * earlier acquisition replaces first, whatever its cost: lot 2 takes 3 units (+30, basis
     * 66), lot 3 the other 2 (+20, basis 65). By cost it would be lot 3 (+30) then lot 2. */
    rb_lots *lots = mk(1, RB_LOTS_HIFO, 365, 30, 1);
    buy(lots, 0, DAY(0), 5, 100);
    buy(lots, 0, DAY(40), 3, 36);
    buy(lots, 0, DAY(50), 3, 45);
    NEAR(sell(lots, 0, DAY(60), 5, 50).short_term, 0);
    const row before[] = {
        {1, 5, 100, 50, -50, 50, 60, 0},
        {2, 3, 66, 0, 0, 0, -1, 0},
        {3, 3, 65, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, before, 3);
    rb_lots_free(lots);

    /* After the sales, FIFO. Lot 1 day 0: 10 units for 100. Day 10: 4 sold for 28 (-12,
     * 3 a unit); day 12: 6 sold for 30 (-30, 5 a unit); both pending. Day 20: lot 2, 5 units
     * for 40, matches the older sale first: its 4 units (+12), then 1 of day 12's (+5): late
     * 17, basis 57. Day 21: lot 3, 10 units for 80, takes day 12's other 5 (+25, basis 105). */
    lots = mk(1, RB_LOTS_FIFO, 365, 30, 1);
    buy(lots, 0, DAY(0), 10, 100);
    NEAR(sell(lots, 0, DAY(10), 4, 28).short_term, -12);
    NEAR(sell(lots, 0, DAY(12), 6, 30).short_term, -30);
    NEAR(buy(lots, 0, DAY(20), 5, 40).short_term, 17);
    NEAR(buy(lots, 0, DAY(21), 10, 80).short_term, 25);
    const row after[] = {
        {1, 4, 40, 28, -12, 12, 10, 0},
        {1, 6, 60, 30, -30, 30, 12, 0},
        {2, 5, 57, 0, 0, 0, -1, 0},
        {3, 10, 105, 0, 0, 0, -1, 0},
    };
    check_ledger(lots, after, 4);
    rb_lots_free(lots);
}

Test(lots, wash_sale_window_counts_calendar_days)
{
    /* The window is D calendar days either side of the sale's date, whatever the times of
     * day (intraday bars). FIFO, 30 days. Lot 1 day 0 10:00: 10 units for 100. Lot 2 day 30
     * 01:00: 1 unit for 8. Sale day 60 02:00: 10 units for 70 (-30, 3 a unit): lot 2 is 30
     * calendar days before (30 days and 1 hour): it replaces 1 unit, the sale reports -27.
     * A buy on day 90 at 23:00 (30 days and 21 hours after) is inside too: 2 units, +6.
     * A buy on day 91 at 00:00 is outside. */
    rb_lots *lots = mk(1, RB_LOTS_FIFO, 365, 30, 1);
    const rb_time hour = 3600;
    buy(lots, 0, DAY(0) + 10 * hour, 10, 100);
    buy(lots, 0, DAY(30) + 1 * hour, 1, 8);
    NEAR(sell(lots, 0, DAY(60) + 2 * hour, 10, 70).short_term, -27);
    NEAR(buy(lots, 0, DAY(90) + 23 * hour, 2, 16).short_term, 6);
    NEAR(buy(lots, 0, DAY(91), 7, 56).short_term, 0);
    /* Ledger: the sold piece with 3 + 6 disallowed; lots 2, 3, 4 at 8 + 3, 16 + 6 and 56. */
    size_t n;
    const rb_lot_piece *p = rb_lots_ledger(lots, &n);
    cr_assert_eq(n, 4);
    cr_assert_eq(p[0].closed, DAY(60) + 2 * hour);
    NEAR(p[0].disallowed, 9);
    static const double cost[4] = {0, 11, 22, 56};
    for (size_t i = 1; i < n; i++) {
        cr_assert_eq(p[i].lot_id, (int64_t)i + 1);
        NEAR(p[i].cost, cost[i]);
    }
    rb_lots_free(lots);
}

/* ---------------------------------------------------------------- tax year */

Test(tax, all_gains)
{
    rb_realized c;
    double tax = rb_tax_due((rb_realized){1000, 2000}, (rb_realized){0, 0}, 0.4, 0.2, &c);
    NEAR(tax, 1000 * 0.4 + 2000 * 0.2); /* 800 */
    cr_assert_eq(c.short_term, 0);
    cr_assert_eq(c.long_term, 0);
    cr_assert(!signbit(c.short_term) && !signbit(c.long_term)); /* no -0 */
}

Test(tax, short_loss_against_long_gain)
{
    rb_realized c;
    /* -300 short offsets 1000 long: 700 long taxed at 0.2 = 140. */
    NEAR(rb_tax_due((rb_realized){-300, 1000}, (rb_realized){0, 0}, 0.4, 0.2, &c), 140);
    cr_assert_eq(c.short_term, 0);
    cr_assert_eq(c.long_term, 0);
    /* -1500 short against 1000 long: nothing taxed, -500 short carried. */
    NEAR(rb_tax_due((rb_realized){-1500, 1000}, (rb_realized){0, 0}, 0.4, 0.2, &c), 0);
    NEAR(c.short_term, -500);
    cr_assert_eq(c.long_term, 0);
}

Test(tax, long_loss_against_short_gain)
{
    rb_realized c;
    /* -300 long offsets 1000 short: 700 short at 0.4 = 280. */
    NEAR(rb_tax_due((rb_realized){1000, -300}, (rb_realized){0, 0}, 0.4, 0.2, &c), 280);
    cr_assert_eq(c.short_term, 0);
    cr_assert_eq(c.long_term, 0);
    /* -500 long against 200 short: -300 long carried. */
    NEAR(rb_tax_due((rb_realized){200, -500}, (rb_realized){0, 0}, 0.4, 0.2, &c), 0);
    cr_assert_eq(c.short_term, 0);
    NEAR(c.long_term, -300);
}

Test(tax, both_losses_carry_both)
{
    rb_realized c;
    NEAR(rb_tax_due((rb_realized){-100, -200}, (rb_realized){0, 0}, 0.4, 0.2, &c), 0);
    NEAR(c.short_term, -100);
    NEAR(c.long_term, -200);
    /* Carried losses add to the next year's: (-50, -20) + (-100, -200). */
    NEAR(rb_tax_due((rb_realized){-50, -20}, c, 0.4, 0.2, &c), 0);
    NEAR(c.short_term, -150);
    NEAR(c.long_term, -220);
}

Test(tax, carry_in_used_next_year)
{
    rb_realized c;
    /* Year 1: (-100, -200) carried. Year 2: gains (50, 500) + carry: short -50, long 300;
     * the short loss offsets the long gain: 250 long taxed at 0.2 = 50; nothing carried. */
    rb_tax_due((rb_realized){-100, -200}, (rb_realized){0, 0}, 0.4, 0.2, &c);
    NEAR(rb_tax_due((rb_realized){50, 500}, c, 0.4, 0.2, &c), 50);
    cr_assert_eq(c.short_term, 0);
    cr_assert_eq(c.long_term, 0);
    /* Carry within a kind first: short carry -100 against a short gain of 300 -> 200 short. */
    NEAR(rb_tax_due((rb_realized){300, 0}, (rb_realized){-100, 0}, 0.4, 0.2, &c), 80);
    /* Exactly offset: nothing taxed, nothing carried. */
    NEAR(rb_tax_due((rb_realized){100, -100}, (rb_realized){0, 0}, 0.4, 0.2, &c), 0);
    cr_assert_eq(c.short_term, 0);
    cr_assert_eq(c.long_term, 0);
    /* carry_out may be NULL. */
    NEAR(rb_tax_due((rb_realized){10, 10}, (rb_realized){0, 0}, 0.5, 0.25, NULL), 7.5);
}

Test(tax, rates_applied_by_kind)
{
    rb_realized c;
    /* 100 short at 0.37 + 100 long at 0.15 = 52; swapping the rates gives the same only
     * when the amounts are equal, so use 100 / 300: 37 + 45 = 82 vs 15 + 111 = 126. */
    NEAR(rb_tax_due((rb_realized){100, 100}, (rb_realized){0, 0}, 0.37, 0.15, &c), 52);
    NEAR(rb_tax_due((rb_realized){100, 300}, (rb_realized){0, 0}, 0.37, 0.15, &c), 82);
    NEAR(rb_tax_due((rb_realized){100, 300}, (rb_realized){0, 0}, 0.15, 0.37, &c), 126);
    /* Zero rates: no tax, losses still carried. */
    NEAR(rb_tax_due((rb_realized){-5, 100}, (rb_realized){0, 0}, 0, 0, &c), 0);
}

/* ---------------------------------------------------------------- unrealized, ledger */

Test(lots, unrealized_at_prices)
{
    /* Asset 0: day 0, 10 units for 100; asset 1: day 300, 5 units for 50 and day 350, 2 for 30.
     * At day 400, prices (12, 9): asset 0 120 - 100 = 20 long (400 d); asset 1
     * 45 - 50 = -5 and 18 - 30 = -12, both short. */
    rb_lots *lots = mk(2, RB_LOTS_FIFO, 365, 0, 0);
    buy(lots, 0, DAY(0), 10, 100);
    buy(lots, 1, DAY(300), 5, 50);
    buy(lots, 1, DAY(350), 2, 30);
    const double prices[2] = {12, 9};
    rb_realized u = rb_lots_unrealized(lots, prices, DAY(400));
    NEAR(u.long_term, 20);
    NEAR(u.short_term, -17);
    /* On day 365 everything is short (exactly 365 days is not more than 365). */
    u = rb_lots_unrealized(lots, prices, DAY(365));
    NEAR(u.long_term, 0);
    NEAR(u.short_term, 3);
    rb_lots_free(lots);
}

Test(lots, keep_ledger_open_lists_open_lots_only)
{
    rb_realized a, b;
    rb_lots *lots = sequence(RB_LOTS_FIFO, RB_LEDGER_OPEN, &a, &b);
    NEAR(a.short_term + a.long_term + b.short_term + b.long_term, 120);
    const row want[] = {{3, 5, 60, 0, 0, 0, -1, 0}};
    check_ledger(lots, want, 1);
    rb_lots_free(lots);
    /* A ledger that keeps nothing (a sweep's) is not listed, whatever it holds. */
    for (int m = RB_LOTS_FIFO; m <= RB_LOTS_AVG; m++) {
        lots = sequence((rb_lot_method)m, RB_LEDGER_NONE, &a, &b);
        size_t none = 99;
        cr_assert_null(rb_lots_ledger(lots, &none), "method %d", m);
        cr_assert_eq(none, 0);
        NEAR(rb_lots_units(lots, 0), 5);
        rb_lots_free(lots);
    }
    /* Nor is a keeping the library does not know. */
    rb_error err = {0};
    rb_lots *bad = NULL;
    cr_assert_eq(rb_lots_new(1, RB_LOTS_FIFO, 365, 0, 3, &bad, &err), RB_ERR_USAGE);
    cr_assert(strstr(err.msg, "ledger keeping 3") != NULL, "%s", err.msg);
    /* An empty ledger. */
    lots = mk(0, RB_LOTS_HIFO, 365, 0, 1);
    size_t n = 99;
    cr_assert_not_null(rb_lots_ledger(lots, &n));
    cr_assert_eq(n, 0);
    rb_lots_free(lots);
}

/* A ledger that keeps its open lots only reserves no rows as it trades: rb_lots_ledger
 * makes them when asked, as many as the open lots at that moment, and reports running out
 * of memory with NULL, the ledger unchanged and listable after. */
Test(lots, keep_ledger_open_rows_made_when_listed)
{
    rb_lots *lots = mk(2, RB_LOTS_FIFO, 365, 0, RB_LEDGER_OPEN);
    buy(lots, 0, DAY(0), 1, 10); /* id 1 */
    size_t n = 99;
    const rb_lot_piece *p = rb_lots_ledger(lots, &n);
    cr_assert_not_null(p);
    cr_assert_eq(n, 1);
    for (int k = 0; k < 40; k++) buy(lots, (size_t)k % 2, DAY(1 + k), 1, 10); /* ids 2..41 */
    sell(lots, 0, DAY(50), 2, 30); /* asset 0's oldest: lots 1 and 2 */
    rb_alloc_fail_from(1);
    n = 99;
    p = rb_lots_ledger(lots, &n);
    int failed = rb_alloc_failed();
    rb_alloc_fail_off();
    cr_assert(failed && !p && n == 0, "out of memory: NULL and no rows");
    p = rb_lots_ledger(lots, &n);
    cr_assert_not_null(p);
    cr_assert_eq(n, 39);
    for (size_t i = 0; i < n; i++) {
        int64_t id = (int64_t)i + 3; /* 3..41, by id across both assets */
        cr_assert_eq(p[i].lot_id, id, "row %zu: lot %lld", i, (long long)p[i].lot_id);
        cr_assert_eq(p[i].closed, RB_TIME_OPEN);
    }
    rb_lots_free(lots);
}

/* A lot's id stays with it wherever its book moves it: a buy dated before lots already open
 * (inserted before them), the consumed front reclaimed for a buy (FIFO), the book grown,
 * the lots a HIFO sale left closed up. */
static void ids_follow(rb_lot_pool *pool)
{
    for (int m = RB_LOTS_FIFO; m <= RB_LOTS_AVG; m++) {
        rb_lots *lots = mk(1, (rb_lot_method)m, 365, 0, RB_LEDGER_OPEN);
        rb_error err = {0};
        cr_assert_eq(rb_lots_use_pool(lots, pool, &err), RB_OK, "%s", err.msg);
        buy(lots, 0, DAY(10), 1, 10); /* id 1 */
        buy(lots, 0, DAY(5), 2, 10);  /* id 2, inserted before lot 1 */
        for (int k = 0; k < 6; k++) buy(lots, 0, DAY(20 + k), 3 + k, 10); /* ids 3..8: 8 lots, a full first array */
        /* HIFO relieves the dearest first (lot 1's 10 a unit): sell one lot's worth */
        sell(lots, 0, DAY(30), m == RB_LOTS_HIFO ? 1 : m == RB_LOTS_LIFO ? 8 : 2, 50);
        for (int k = 0; k < 3; k++) buy(lots, 0, DAY(40 + k), 20 + k, 10); /* ids 9..11: reclaimed or grown */
        size_t n;
        const rb_lot_piece *p = rb_lots_ledger(lots, &n);
        cr_assert_eq(n, 10, "method %d: %zu open lots", m, n);
        for (size_t i = 0; i < n; i++) {
            /* each id's lot by its units: lot 1 one unit, lot 2 two, lot k k, lots 9.. 20.. */
            int64_t id = p[i].lot_id;
            double want = id <= 8 ? (double)id : (double)(id + 11);
            rb_time opened = id == 1 ? DAY(10) : id == 2 ? DAY(5) : id <= 8 ? DAY(17 + id) : DAY(31 + id);
            cr_assert(id >= 1 && id <= 11 && p[i].units == want && p[i].opened == opened,
                      "method %d row %zu: lot %lld of %g units opened %lld", m, i, (long long)id, p[i].units,
                      (long long)p[i].opened);
        }
        rb_lots_free(lots);
    }
}

/* (the books from the heap, then from a pool) */
Test(lots, ids_follow_their_lots)
{
    ids_follow(NULL);
    rb_lot_pool *pool = mk_pool();
    ids_follow(pool);
    rb_lot_pool_free(pool);
}

Test(lots, ledger_open_lots_by_id_across_assets)
{
    rb_lots *lots = mk(3, RB_LOTS_FIFO, 365, 0, 1);
    buy(lots, 2, DAY(0), 1, 10); /* id 1 */
    buy(lots, 0, DAY(1), 2, 20); /* id 2 */
    buy(lots, 1, DAY(2), 3, 30); /* id 3 */
    buy(lots, 2, DAY(3), 4, 40); /* id 4 */
    buy(lots, 0, DAY(4), 5, 50); /* id 5 */
    sell(lots, 0, DAY(5), 3, 33); /* lot 2 whole (2 units, 22 - 20), lot 5 one unit (11 - 10) */
    size_t n;
    const rb_lot_piece *p = rb_lots_ledger(lots, &n);
    /* Closed: lot 2, lot 5's piece; open by id: 1 (asset 2), 3 (asset 1), 4 (asset 2), 5. */
    cr_assert_eq(n, 6);
    static const int64_t ids[6] = {2, 5, 1, 3, 4, 5};
    static const size_t assets[6] = {0, 0, 2, 1, 2, 0};
    for (size_t i = 0; i < 6; i++) {
        cr_assert_eq(p[i].lot_id, ids[i], "row %zu", i);
        cr_assert_eq(p[i].asset, assets[i], "row %zu", i);
    }
    NEAR(p[0].gain, 2);
    NEAR(p[1].gain, 1);
    NEAR(p[5].units, 4);
    cr_assert_eq(p[5].opened, DAY(4));
    cr_assert_eq(p[3].opened, DAY(2));
    rb_lots_free(lots);
}

/* A fixed script of buys and sales over two assets: lots consumed from the front, wash-sale
 * losses left pending. Returns the sum of everything realized. */
static double script(rb_lots *lots)
{
    double total = 0;
    rb_realized r;
    buy(lots, 0, DAY(0), 10, 100);
    buy(lots, 1, DAY(1), 5, 50);
    buy(lots, 0, DAY(2), 10, 120);
    r = sell(lots, 0, DAY(40), 12, 90); /* a loss */
    total += r.short_term + r.long_term;
    r = buy(lots, 0, DAY(45), 3, 25); /* replaces part of it */
    total += r.short_term + r.long_term;
    r = sell(lots, 1, DAY(400), 5, 80);
    total += r.short_term + r.long_term;
    return total;
}

static void cleared_equals_new(int wash_days, int keep)
{
    rb_lots *used = mk(2, RB_LOTS_FIFO, 365, wash_days, keep);
    script(used);
    rb_error err = {0};
    /* Settings rb_lots_new refuses leave it as it was. */
    cr_assert_eq(rb_lots_clear(used, (rb_lot_method)9, 365, 0, 0, &err), RB_ERR_USAGE);
    cr_assert_eq(rb_lots_clear(used, RB_LOTS_FIFO, -1, 0, 0, &err), RB_ERR_USAGE);
    NEAR(rb_lots_units(used, 0), 11);
    cr_assert_eq(rb_lots_assets(used), 2);
    for (int m = RB_LOTS_FIFO; m <= RB_LOTS_AVG; m++) {
        cr_assert_eq(rb_lots_clear(used, (rb_lot_method)m, 200, 30, 1, &err), RB_OK, "%s", err.msg);
        cr_assert_eq(rb_lots_units(used, 0), 0);
        rb_lots *fresh = mk(2, (rb_lot_method)m, 200, 30, 1);
        double a = script(used), b = script(fresh);
        cr_assert(memcmp(&a, &b, sizeof a) == 0, "method %d: realized %.17g, not %.17g", m, a, b);
        size_t na, nb;
        const rb_lot_piece *pa = rb_lots_ledger(used, &na), *pb = rb_lots_ledger(fresh, &nb);
        cr_assert_eq(na, nb, "method %d", m);
        for (size_t i = 0; i < na; i++) {
            const rb_lot_piece *x = &pa[i], *y = &pb[i];
            cr_assert(x->lot_id == y->lot_id && x->asset == y->asset && x->opened == y->opened &&
                          x->units == y->units && x->cost == y->cost && x->closed == y->closed &&
                          x->proceeds == y->proceeds && x->gain == y->gain && x->disallowed == y->disallowed &&
                          x->long_term == y->long_term,
                      "method %d: ledger row %zu differs", m, i);
        }
        rb_lots_free(fresh);
    }
    rb_lots_free(used);
}

/* Whatever the ledger was (lots with tags or without: wash sales, a ledger kept or not),
 * cleared to other settings it goes on as a new one would. */
Test(lots, cleared_ledger_equals_a_new_one)
{
    cleared_equals_new(30, RB_LEDGER_NONE);
    cleared_equals_new(0, RB_LEDGER_NONE); /* no tags, then tags */
    cleared_equals_new(0, RB_LEDGER_ALL);
}

/* A ledger without tags (kept by none, no wash sales, not HIFO) cleared to one with them and
 * back: each time as a new one; its books from the heap or from a pool (whose arrays it
 * gives back in the layout they had: under AddressSanitizer a wrong size poisons a
 * neighbour's). */
static void cleared_to_and_from_tags(rb_lot_pool *pool)
{
    rb_error err = {0};
    rb_lots *used = mk(2, RB_LOTS_FIFO, 365, 0, RB_LEDGER_NONE);
    cr_assert_eq(rb_lots_use_pool(used, pool, &err), RB_OK, "%s", err.msg);
    for (int round = 0; round < 4; round++) {
        int keep = round % 2 ? RB_LEDGER_NONE : RB_LEDGER_ALL, wash = round % 2 ? 0 : 30;
        for (int k = 0; k < 50; k++) buy(used, (size_t)k % 2, DAY(k), 1 + k, 10 + k); /* books grown */
        cr_assert_eq(rb_lots_clear(used, RB_LOTS_FIFO, 365, wash, keep, &err), RB_OK, "%s", err.msg);
        rb_lots *fresh = mk(2, RB_LOTS_FIFO, 365, wash, keep);
        double a = script(used), b = script(fresh);
        cr_assert(memcmp(&a, &b, sizeof a) == 0, "round %d: realized %.17g, not %.17g", round, a, b);
        for (size_t i = 0; i < 2; i++) {
            double x = rb_lots_basis(used, i), y = rb_lots_basis(fresh, i);
            cr_assert(memcmp(&x, &y, sizeof x) == 0, "round %d: asset %zu's basis", round, i);
        }
        size_t na, nb;
        const rb_lot_piece *pa = rb_lots_ledger(used, &na), *pb = rb_lots_ledger(fresh, &nb);
        cr_assert_eq(na, nb);
        cr_assert(!pa == !pb && (!na || !memcmp(pa, pb, na * sizeof *pa)), "round %d: ledgers differ", round);
        rb_lots_free(fresh);
    }
    rb_lots_free(used);
}

Test(lots, cleared_to_and_from_tags)
{
    cleared_to_and_from_tags(NULL);
    rb_lot_pool *pool = mk_pool();
    cleared_to_and_from_tags(pool);
    rb_lot_pool_free(pool);
}

/* ---------------------------------------------------------------- the books' pool */

/* An array given back serves the next request of its size; arrays are 64-byte aligned; a
 * region holds 2 MiB of them and the next starts when it is full; large arrays come from
 * the heap; out of memory, NULL. */
Test(lots, pool_reuses_what_is_given_back)
{
    rb_lot_pool *pool = mk_pool();
    char *a = rb_lot_pool_get(pool, 256), *b = rb_lot_pool_get(pool, 300);
    cr_assert(a && b && (uintptr_t)a % 64 == 0 && (uintptr_t)b % 64 == 0);
    cr_assert(b >= a + 256, "apart");
    memset(a, 1, 256);
    memset(b, 2, 300);
    rb_lot_pool_put(pool, a, 256);
    cr_assert_eq(rb_lot_pool_get(pool, 256), a, "the array given back, for its size");
    char *c = rb_lot_pool_get(pool, 256);
    cr_assert(c != a && c != b, "a new one when none is free");
    cr_assert_eq(rb_lot_pool_regions(pool), 1);
    for (int k = 0; k < 40; k++) cr_assert_not_null(rb_lot_pool_get(pool, 64 << 10)); /* 2.5 MiB */
    cr_assert_eq(rb_lot_pool_regions(pool), 2);
    char *big = rb_lot_pool_get(pool, 1 << 20); /* from the heap */
    cr_assert_not_null(big);
    memset(big, 3, 1 << 20);
    cr_assert_eq(rb_lot_pool_regions(pool), 2);
    rb_lot_pool_put(pool, big, 1 << 20);
    rb_alloc_fail_from(1);
    void *none = rb_lot_pool_get(pool, 4 << 20);
    rb_alloc_fail_off();
    cr_assert_null(none);
    rb_lot_pool_free(pool);
    /* a first region that cannot be had */
    pool = mk_pool();
    rb_alloc_fail_from(1);
    none = rb_lot_pool_get(pool, 256);
    rb_alloc_fail_off();
    cr_assert_null(none);
    cr_assert_eq(rb_lot_pool_regions(pool), 0);
    cr_assert_not_null(rb_lot_pool_get(pool, 256), "and can be later");
    rb_lot_pool_free(pool);
}

/* A ledger moves to a pool only while it holds no lots. */
Test(lots, pool_only_for_an_empty_ledger)
{
    rb_lot_pool *pool = mk_pool();
    rb_error err = {0};
    rb_lots *lots = mk(1, RB_LOTS_FIFO, 365, 0, RB_LEDGER_NONE);
    buy(lots, 0, DAY(0), 1, 10);
    cr_assert_eq(rb_lots_use_pool(lots, pool, &err), RB_ERR_USAGE);
    cr_assert(strstr(err.msg, "holding 1 lots") != NULL, "%s", err.msg);
    sell(lots, 0, DAY(1), 1, 12);
    cr_assert_eq(rb_lots_use_pool(lots, pool, &err), RB_OK, "%s", err.msg);
    buy(lots, 0, DAY(2), 2, 20);
    NEAR(rb_lots_basis(lots, 0), 20);
    rb_lots_free(lots);
    rb_lot_pool_free(pool);
}

/* ---------------------------------------------------------------- property test */

/* xorshift64*: a fixed seed gives the same sequence on every platform. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

#define PA 6      /* assets */
#define POPS 1500 /* operations per configuration */

/* Random buys and sells over PA assets; checks after every sale that the method picked
 * the right lots (wash sales off), and at the end unit conservation, basis conservation,
 * the gain identity and the ledger's consistency with the queries. */
static void property_run(rb_lot_method m, int wash_days, uint64_t seed)
{
    rb_lots *lots = mk(PA, m, 365, wash_days, 1);
    double price[PA], bought[PA] = {0}, sold_units[PA] = {0};
    double cost_in = 0, proceeds_in = 0, allowed = 0;
    for (size_t a = 0; a < PA; a++) price[a] = 10 + 90 * rng_unit(&seed);
    rb_time t = DAY(0);
    size_t nrows_before = 0;
    for (int op = 0; op < POPS; op++) {
        t += (rb_time)(rng_next(&seed) % 6) * 86400; /* 0..5 days */
        size_t a = (size_t)(rng_next(&seed) % PA);
        price[a] *= exp(0.15 * (rng_unit(&seed) - 0.5));
        double held = rb_lots_units(lots, a);
        rb_error err = {0};
        if (held <= 0 || rng_unit(&seed) < 0.55) {
            double u = 0.01 + 50 * rng_unit(&seed);
            double c = u * price[a] * 1.001; /* price plus a fee */
            rb_realized late = {0, 0};
            CHECK(rb_lots_buy(lots, a, t, u, c, &late, &err) == RB_OK, "buy: %s", err.msg);
            CHECK(late.short_term >= 0 && late.long_term >= 0, "late disallowance is an add-back");
            CHECK(wash_days > 0 || (late.short_term == 0 && late.long_term == 0), "no wash sales when off");
            allowed += late.short_term + late.long_term;
            bought[a] += u;
            cost_in += c;
            continue;
        }
        /* Sell a random fraction, all (as units), or all with a rounding excess. */
        double f = rng_unit(&seed), u;
        int kind = (int)(rng_next(&seed) % 4);
        if (kind == 0) u = held;
        else if (kind == 1) u = held * (1 + 5e-10);
        else u = held * f * 0.999 + 1e-9 * held;
        double pr = u * price[a] * 0.999;
        /* The pre-sale state the method's choice is checked against. */
        double avg = rb_lots_basis(lots, a) / held;
        rb_realized r;
        CHECK(rb_lots_sell(lots, a, t, u, pr, &r, &err) == RB_OK, "sell: %s", err.msg);
        allowed += r.short_term + r.long_term;
        proceeds_in += pr;
        size_t n;
        const rb_lot_piece *p = rb_lots_ledger(lots, &n);
        double su = 0;
        for (size_t i = nrows_before; i < n && p[i].closed != RB_TIME_OPEN; i++) su += p[i].units;
        sold_units[a] += su;
        CHECK(fabs(su - fmin(u, held)) <= 1e-9 * held, "sale of %.17g units relieved %.17g", u, su);
        if (wash_days == 0) {
            /* The lots relieved versus those left open for this asset. */
            double lo_open = INFINITY, hi_open = -INFINITY, hi_cpu_open = -INFINITY;
            double lo_piece = INFINITY, hi_piece = -INFINITY, lo_cpu_piece = INFINITY;
            size_t i = nrows_before;
            for (; i < n && p[i].closed != RB_TIME_OPEN; i++) {
                lo_piece = fmin(lo_piece, (double)p[i].opened);
                hi_piece = fmax(hi_piece, (double)p[i].opened);
                lo_cpu_piece = fmin(lo_cpu_piece, p[i].cost / p[i].units);
                if (m == RB_LOTS_AVG)
                    CHECK(fabs(p[i].cost / p[i].units - avg) <= 1e-9 * avg, "avg piece at %.17g, not %.17g",
                          p[i].cost / p[i].units, avg);
            }
            size_t closed_end = i;
            for (; i < n; i++) {
                if (p[i].asset != a) continue;
                lo_open = fmin(lo_open, (double)p[i].opened);
                hi_open = fmax(hi_open, (double)p[i].opened);
                hi_cpu_open = fmax(hi_cpu_open, p[i].cost / p[i].units);
            }
            /* Only the last piece of a sale may be a split lot that stays open. */
            if (m == RB_LOTS_FIFO || m == RB_LOTS_AVG) CHECK(hi_piece <= lo_open, "FIFO/AVG relieved a newer lot");
            if (m == RB_LOTS_LIFO) CHECK(lo_piece >= hi_open, "LIFO relieved an older lot");
            if (m == RB_LOTS_HIFO)
                CHECK(lo_cpu_piece >= hi_cpu_open * (1 - 1e-12), "HIFO relieved %.17g per unit with %.17g open",
                      lo_cpu_piece, hi_cpu_open);
            nrows_before = closed_end;
        } else {
            size_t i = nrows_before;
            while (i < n && p[i].closed != RB_TIME_OPEN) i++;
            nrows_before = i;
        }
    }

    size_t n;
    const rb_lot_piece *p = rb_lots_ledger(lots, &n);
    double open_units[PA] = {0}, closed_units[PA] = {0};
    double gains = 0, disallowed = 0, cost_out = 0, proceeds_out = 0;
    int64_t last_open_id = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(p[i].asset < PA, "row %zu: asset %zu", i, p[i].asset);
        CHECK(p[i].units > 0 && p[i].cost > 0, "row %zu: units %g cost %g", i, p[i].units, p[i].cost);
        cost_out += p[i].cost;
        if (p[i].closed == RB_TIME_OPEN) {
            CHECK(p[i].lot_id > last_open_id, "open lots by id");
            last_open_id = p[i].lot_id;
            open_units[p[i].asset] += p[i].units;
            continue;
        }
        closed_units[p[i].asset] += p[i].units;
        CHECK(p[i].gain == p[i].proceeds - p[i].cost, "row %zu: gain", i);
        CHECK(p[i].disallowed >= 0, "row %zu: disallowed %g", i, p[i].disallowed);
        CHECK(p[i].disallowed <= -p[i].gain * (1 + 1e-9) + 1e-12 || p[i].disallowed == 0,
              "row %zu: disallowed %g beyond the loss %g", i, p[i].disallowed, p[i].gain);
        CHECK(wash_days > 0 || p[i].disallowed == 0, "row %zu: disallowed without wash sales", i);
        CHECK(p[i].long_term == (p[i].closed - p[i].opened > 365 * 86400), "row %zu: holding period", i);
        gains += p[i].gain;
        disallowed += p[i].disallowed;
        proceeds_out += p[i].proceeds;
    }
    double scale = cost_in + proceeds_in;
    for (size_t a = 0; a < PA; a++) {
        CHECK(fabs(open_units[a] + closed_units[a] - bought[a]) <= 1e-9 * bought[a],
              "asset %zu: bought %.17g, closed %.17g + open %.17g", a, bought[a], closed_units[a], open_units[a]);
        CHECK(fabs(sold_units[a] - closed_units[a]) <= 1e-9 * bought[a], "asset %zu: sold units", a);
        CHECK(fabs(rb_lots_units(lots, a) - open_units[a]) <= 1e-12 * bought[a], "asset %zu: units query", a);
    }
    /* Every cost and every disallowed loss ends in some basis; proceeds are shared whole. */
    CHECK(fabs(cost_in + disallowed - cost_out) <= 1e-9 * scale, "basis in %.17g + %.17g, out %.17g", cost_in,
          disallowed, cost_out);
    CHECK(fabs(proceeds_in - proceeds_out) <= 1e-9 * scale, "proceeds %.17g vs %.17g", proceeds_in, proceeds_out);
    /* Realized = sum of (proceeds - basis) = allowed (sales + late add-backs) - disallowed. */
    CHECK(fabs(gains - (allowed - disallowed)) <= 1e-9 * scale, "gains %.17g, allowed %.17g, disallowed %.17g",
          gains, allowed, disallowed);
    CHECK(wash_days == 0 || disallowed > 0, "a wash-sale run should disallow something");
    rb_lots_free(lots);
}

Test(property, random_books_every_method)
{
    for (int m = RB_LOTS_FIFO; m <= RB_LOTS_AVG; m++) {
        property_run((rb_lot_method)m, 0, 0x9E3779B97F4A7C15ULL + (uint64_t)m);
        property_run((rb_lot_method)m, 30, 0xD1B54A32D192ED03ULL + (uint64_t)m);
    }
}

/* A copy takes every later call as its original does: FIFO lots consumed at the front (not
 * copied), wash-sale losses still pending, the closed ledger; into a ledger that had lots
 * of its own. Both then go through the same buys and sales, to the same results. */
static void copy_then_the_same(rb_lot_method m, int wash_days, int keep, int wash_dst, int keep_dst)
{
    rb_lots *a = mk(2, m, 365, wash_days, keep), *b = mk(2, m, 365, wash_dst, keep_dst);
    buy(a, 0, DAY(0), 10, 1000);
    buy(a, 0, DAY(5), 10, 1200);
    buy(a, 1, DAY(6), 4, 400);
    sell(a, 0, DAY(40), 12, 900); /* a loss: pending, for a buy within 30 days */
    buy(b, 1, DAY(1), 99, 5);      /* b's own lots, which the copy replaces */
    rb_error err = {0};
    cr_assert_eq(rb_lots_copy(b, a, &err), RB_OK, "%s", err.msg);
    for (int k = 0; k < 2; k++) {
        rb_lots *l = k ? b : a;
        rb_realized r1 = buy(l, 0, DAY(50), 3, 250); /* replaces part of the pending loss */
        rb_realized r2 = sell(l, 0, DAY(500), 9, 1100);
        rb_realized r3 = sell(l, 1, DAY(501), 1, 120);
        static rb_realized first[3];
        if (!k) {
            first[0] = r1, first[1] = r2, first[2] = r3;
            continue;
        }
        cr_assert(!memcmp(&first[0], &r1, sizeof r1) && !memcmp(&first[1], &r2, sizeof r2) &&
                  !memcmp(&first[2], &r3, sizeof r3));
    }
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(rb_lots_units(a, i), rb_lots_units(b, i));
        cr_assert_eq(rb_lots_basis(a, i), rb_lots_basis(b, i));
    }
    size_t na, nb;
    const rb_lot_piece *pa = rb_lots_ledger(a, &na), *pb = rb_lots_ledger(b, &nb);
    cr_assert_eq(na, nb);
    cr_assert(!pa == !pb && (!na || !memcmp(pa, pb, na * sizeof *pa)));
    rb_lots_free(a);
    rb_lots_free(b);
}

Test(lots, a_copy_goes_on_as_its_original)
{
    for (int m = RB_LOTS_FIFO; m <= RB_LOTS_AVG; m++) {
        copy_then_the_same((rb_lot_method)m, 30, RB_LEDGER_NONE, 30, RB_LEDGER_NONE);
        copy_then_the_same((rb_lot_method)m, 30, RB_LEDGER_OPEN, 30, RB_LEDGER_OPEN);
        copy_then_the_same((rb_lot_method)m, 30, RB_LEDGER_ALL, 30, RB_LEDGER_ALL);
        /* lots without tags (no wash sales, kept by none: all but HIFO), copied into a
         * ledger with them and the other way: the copy takes its original's layout */
        copy_then_the_same((rb_lot_method)m, 0, RB_LEDGER_NONE, 30, RB_LEDGER_ALL);
        copy_then_the_same((rb_lot_method)m, 0, RB_LEDGER_ALL, 0, RB_LEDGER_NONE);
        copy_then_the_same((rb_lot_method)m, 0, RB_LEDGER_NONE, 0, RB_LEDGER_NONE);
    }
}

Test(lots, a_copy_needs_as_many_assets)
{
    rb_lots *a = mk(2, RB_LOTS_FIFO, 365, 0, 0), *b = mk(3, RB_LOTS_FIFO, 365, 0, 0);
    rb_error err = {0};
    cr_assert_eq(rb_lots_copy(b, a, &err), RB_ERR_USAGE);
    cr_assert(strstr(err.msg, "3 assets") != NULL, "%s", err.msg);
    rb_lots_free(a);
    rb_lots_free(b);
}

/* ---------------------------------------------------------------- plain sales */

/* A ledger that keeps no rows and has no wash sales relieves FIFO, LIFO and AVG sales
 * without writing pieces (engine/lots.c, sell_plain); one that keeps its rows goes the
 * general way. Both must give the same results to the bit: every sale's realized gains,
 * every asset's units and basis, the unrealized gains and the open lots. The script mixes
 * partial, whole, multi-lot and dust-sized sales, a sale of everything with a rounding
 * excess, buys at one time and buys dated before lots already open, on books of more
 * lots than sell_plain keeps pieces for on the stack and of fewer. */
static void plain_equals_kept(rb_lot_method m, uint64_t seed)
{
    enum { NA = 3, OPS = 4000 };
    rb_lots *plain = mk(NA, m, 30, 0, RB_LEDGER_OPEN), *kept = mk(NA, m, 30, 0, RB_LEDGER_ALL);
    rb_lots *bare = mk(NA, m, 30, 0, RB_LEDGER_NONE); /* plain, and its lots without tags */
    rb_lots *pooled = mk(NA, m, 30, 0, RB_LEDGER_NONE); /* so, its books from a pool */
    rb_lot_pool *pool = mk_pool();
    rb_error perr = {0};
    cr_assert_eq(rb_lots_use_pool(pooled, pool, &perr), RB_OK, "%s", perr.msg);
    double price[NA];
    for (size_t a = 0; a < NA; a++) price[a] = 10 + 90 * rng_unit(&seed);
    rb_time t = DAY(0);
    int refused = 0;
    for (int op = 0; op < OPS; op++) {
        uint64_t step = rng_next(&seed) % 8;
        t += step == 0 ? -(rb_time)86400 : (rb_time)(step - 1) * 43200; /* at times earlier */
        size_t a = (size_t)(rng_next(&seed) % NA);
        price[a] *= exp(0.2 * (rng_unit(&seed) - 0.5));
        double held = rb_lots_units(kept, a);
        rb_error err = {0};
        rb_realized r1 = {-1, -1}, r2 = {-2, -2}, r3 = {-3, -3}, r4 = {-4, -4};
        if (held <= 0 || op < 300 || rng_unit(&seed) < 0.5) { /* books of 100 lots first */
            double u = 0.01 + 20 * rng_unit(&seed);
            double c = u * price[a] * 1.001;
            CHECK(rb_lots_buy(plain, a, t, u, c, &r1, &err) == RB_OK, "buy: %s", err.msg);
            CHECK(rb_lots_buy(kept, a, t, u, c, &r2, &err) == RB_OK, "buy: %s", err.msg);
            CHECK(rb_lots_buy(bare, a, t, u, c, &r3, &err) == RB_OK, "buy: %s", err.msg);
            CHECK(rb_lots_buy(pooled, a, t, u, c, &r4, &err) == RB_OK, "buy: %s", err.msg);
        } else {
            int kind = (int)(rng_next(&seed) % 6);
            double f = rng_unit(&seed), u;
            if (kind == 0) u = held;
            else if (kind == 1) u = held * (1 + 5e-10);
            else if (kind == 2) u = held * (1 - 1e-13); /* leaves dust: consumed whole */
            else if (kind == 3) u = held * 1e-14;       /* rounding only */
            else u = held * f;
            double pr = kind == 5 ? -u * price[a] * 0.001 : u * price[a] * 0.999; /* costs over the value */
            /* (the units a ledger holds are kept apart from the sum of its lots: a sale the
             * sum would allow may be refused, by both alike, leaving both as they were) */
            rb_status s1 = rb_lots_sell(plain, a, t, u, pr, &r1, &err);
            rb_status s2 = rb_lots_sell(kept, a, t, u, pr, &r2, &err);
            rb_status s3 = rb_lots_sell(bare, a, t, u, pr, &r3, &err);
            rb_status s4 = rb_lots_sell(pooled, a, t, u, pr, &r4, &err);
            CHECK(s1 == s2 && s1 == s3 && s1 == s4 && (s1 == RB_OK || s1 == RB_ERR_DATA), "sell: %d %d %d %d %s", s1,
                  s2, s3, s4, err.msg);
            refused += s1 != RB_OK;
            if (s1 != RB_OK) r1 = r3 = r4 = r2;
        }
        CHECK(!memcmp(&r1, &r2, sizeof r1) && !memcmp(&r3, &r2, sizeof r3) && !memcmp(&r4, &r2, sizeof r4),
              "method %d op %d: realized %.17g/%.17g, kept %.17g/%.17g, bare %.17g/%.17g", (int)m, op, r1.short_term,
              r1.long_term, r2.short_term, r2.long_term, r3.short_term, r3.long_term);
        double u1 = rb_lots_units(plain, a), u2 = rb_lots_units(kept, a), u3 = rb_lots_units(bare, a),
               u4 = rb_lots_units(pooled, a);
        double b1 = rb_lots_basis(plain, a), b2 = rb_lots_basis(kept, a), b3 = rb_lots_basis(bare, a),
               b4 = rb_lots_basis(pooled, a);
        CHECK(!memcmp(&u1, &u2, sizeof u1) && !memcmp(&b1, &b2, sizeof b1) && !memcmp(&u3, &u2, sizeof u3) &&
                  !memcmp(&b3, &b2, sizeof b3) && !memcmp(&u4, &u2, sizeof u4) && !memcmp(&b4, &b2, sizeof b4),
              "method %d op %d: asset %zu differs", (int)m, op, a);
    }
    rb_realized g1 = rb_lots_unrealized(plain, price, t), g2 = rb_lots_unrealized(kept, price, t),
                g3 = rb_lots_unrealized(bare, price, t), g4 = rb_lots_unrealized(pooled, price, t);
    cr_assert(!memcmp(&g1, &g2, sizeof g1) && !memcmp(&g3, &g2, sizeof g3) && !memcmp(&g4, &g2, sizeof g4),
              "method %d: unrealized", (int)m);
    size_t n1, n2;
    const rb_lot_piece *p1 = rb_lots_ledger(plain, &n1), *p2 = rb_lots_ledger(kept, &n2);
    size_t closed = 0;
    while (closed < n2 && p2[closed].closed != RB_TIME_OPEN) closed++;
    cr_assert(closed > 1000 && refused < OPS / 100, "method %d: %zu pieces, %d sales refused", (int)m, closed, refused);
    cr_assert_eq(n1, n2 - closed, "method %d", (int)m);
    cr_assert(!memcmp(p1, p2 + closed, n1 * sizeof *p1), "method %d: open lots differ", (int)m);
    rb_lots_free(plain);
    rb_lots_free(kept);
    rb_lots_free(bare);
    rb_lots_free(pooled);
    rb_lot_pool_free(pool);
}

Test(lots, plain_sales_equal_the_kept_ledgers_to_the_bit)
{
    for (int m = RB_LOTS_FIFO; m <= RB_LOTS_AVG; m++) plain_equals_kept((rb_lot_method)m, 0xA0761D6478BD642FULL + (uint64_t)m);
}

/* ---------------------------------------------------------------- a rebalance's orders */

/* rb_lots_orders (a rebalance's orders in one call, a plain ledger's sales and buys inline)
 * against the same orders given one by one, the sales in asset order, then the buys, as
 * rb_lanes_lots gave them before: the same realized sums, units, basis and unrealized gains
 * to the bit, for every method, in plain ledgers with and without tags and in one with kept
 * rows and wash sales. The orders sit 3 doubles apart (stride), the cash column's order is
 * never traded, and now and then an order is refused (a sale of more than the book holds, a
 * NaN), the same error from both, the orders before it done in both. */
static void orders_equal_one_by_one(rb_lot_method m, int wash, int keep, uint64_t seed)
{
    enum { NA = 4, STRIDE = 3, REBALANCES = 1500 };
    rb_lots *fused = mk(NA, m, 30, wash, keep), *single = mk(NA, m, 30, wash, keep);
    double price[NA];
    for (size_t a = 0; a < NA; a++) price[a] = 10 + 90 * rng_unit(&seed);
    rb_realized y1 = {0, 0}, y2 = {0, 0};
    rb_time t = DAY(0);
    int refused = 0, sales = 0;
    for (int op = 0; op < REBALANCES; op++) {
        t += (rb_time)(rng_next(&seed) % 6) * 43200;
        double order[NA * STRIDE], amount[NA * STRIDE], held[NA * STRIDE];
        for (size_t i = 0; i < NA * STRIDE; i++) order[i] = amount[i] = held[i] = 1e300; /* never read */
        int64_t skip = rng_next(&seed) % 3 == 0 ? (int64_t)(rng_next(&seed) % NA) : -1;
        int bad = rng_next(&seed) % 50 == 0;
        for (size_t a = 0; a < NA; a++) {
            price[a] *= exp(0.1 * (rng_unit(&seed) - 0.5));
            double h = rb_lots_units(single, a), f = rng_unit(&seed), u;
            if (f < 0.15) u = 0;
            else if (h <= 0 || f < 0.55) u = 0.01 + 10 * rng_unit(&seed);
            else if (f < 0.65) u = -h * (1 + 5e-10); /* everything, a rounding excess asked */
            else u = -h * rng_unit(&seed);
            order[a * STRIDE] = u;
            double g = rng_unit(&seed); /* the cap of a sale: the units held, half the order, none */
            held[a * STRIDE] = u >= 0 ? h : g < 0.3 ? h : g < 0.6 ? -u / 2 : 2 * h + 1;
            amount[a * STRIDE] = fabs(u) * price[a] * (u < 0 ? 0.999 : 1.001);
        }
        if (bad) {
            size_t a = (size_t)(rng_next(&seed) % NA);
            if (rng_next(&seed) % 2) order[a * STRIDE] = NAN;
            else {
                order[a * STRIDE] = -3 * rb_lots_units(single, a) - 1; /* more than the book holds */
                held[a * STRIDE] = -order[a * STRIDE];
            }
        }
        rb_error e1 = {0}, e2 = {0};
        rb_status s1 = rb_lots_orders(fused, NA, order, amount, held, STRIDE, skip, t, &y1, &e1), s2 = RB_OK;
        for (int pass = 0; pass < 2 && s2 == RB_OK; pass++)
            for (size_t i = 0; i < NA && s2 == RB_OK; i++) {
                double u = order[i * STRIDE], h = held[i * STRIDE];
                if (u == 0 || (pass == 0) != (u < 0) || (int64_t)i == skip) continue;
                rb_realized r;
                s2 = u < 0 ? rb_lots_sell(single, i, t, -u > h ? h : -u, amount[i * STRIDE], &r, &e2)
                           : rb_lots_buy(single, i, t, u, amount[i * STRIDE], &r, &e2);
                if (s2 != RB_OK) break;
                sales += u < 0;
                y2.short_term += r.short_term;
                y2.long_term += r.long_term;
            }
        CHECK(s1 == s2 && !strcmp(e1.msg, e2.msg), "rebalance %d: %d '%s', one by one %d '%s'", op, s1, e1.msg, s2,
              e2.msg);
        refused += s1 != RB_OK;
        CHECK(!memcmp(&y1, &y2, sizeof y1), "method %d rebalance %d: %.17g/%.17g, one by one %.17g/%.17g", (int)m, op,
              y1.short_term, y1.long_term, y2.short_term, y2.long_term);
        for (size_t a = 0; a < NA; a++) {
            double u1 = rb_lots_units(fused, a), u2 = rb_lots_units(single, a);
            double b1 = rb_lots_basis(fused, a), b2 = rb_lots_basis(single, a);
            CHECK(!memcmp(&u1, &u2, sizeof u1) && !memcmp(&b1, &b2, sizeof b1), "method %d rebalance %d: asset %zu",
                  (int)m, op, a);
        }
    }
    rb_realized g1 = rb_lots_unrealized(fused, price, t), g2 = rb_lots_unrealized(single, price, t);
    cr_assert(!memcmp(&g1, &g2, sizeof g1), "method %d: unrealized", (int)m);
    cr_assert(refused > 10 && refused < REBALANCES / 20 && sales > 1000, "method %d: %d refused, %d sales", (int)m,
              refused, sales);
    rb_lots_free(fused);
    rb_lots_free(single);
}

Test(lots, orders_equal_their_sales_then_buys)
{
    for (int m = RB_LOTS_FIFO; m <= RB_LOTS_AVG; m++) {
        uint64_t seed = 0x9E3779B97F4A7C15ULL * (uint64_t)(m + 1);
        orders_equal_one_by_one((rb_lot_method)m, 0, RB_LEDGER_NONE, seed);
        orders_equal_one_by_one((rb_lot_method)m, 0, RB_LEDGER_OPEN, seed + 1);
        orders_equal_one_by_one((rb_lot_method)m, 30, RB_LEDGER_ALL, seed + 2);
    }
}

/* rb_lots_orders given more assets than the ledger has: a plain ledger's orders go the way of
 * any other's then (the fast loop checks every index once, for n no larger than the ledger's
 * assets), and the first order past its assets is refused with rb_lots_sell's or rb_lots_buy's
 * own message after the orders before it are done, as one by one; an order of infinite units
 * or cost is refused as before. */
Test(lots, orders_past_the_ledgers_assets)
{
    for (int keep = RB_LEDGER_NONE; keep <= RB_LEDGER_OPEN; keep++)
        for (int sell_last = 0; sell_last < 2; sell_last++) {
            rb_lots *lots = mk(2, RB_LOTS_FIFO, 365, 0, keep);
            rb_error err = {0};
            rb_realized r = {0, 0}, year = {0, 0};
            cr_assert_eq(rb_lots_buy(lots, 0, DAY(0), 10, 100, &r, &err), RB_OK, "%s", err.msg);
            double order[3] = {-4, 5, sell_last ? -1 : 2}, amount[3] = {60, 50, 10}, held[3] = {10, 0, 1};
            rb_status st = rb_lots_orders(lots, 3, order, amount, held, 1, -1, DAY(10), &year, &err);
            cr_assert_eq(st, RB_ERR_USAGE, "status %d: %s", st, err.msg);
            const char *want = sell_last ? "selling asset 2: the lots ledger has only 2 assets"
                                         : "buying asset 2: the lots ledger has only 2 assets";
            cr_assert_str_eq(err.msg, want);
            /* the sale of 4 of asset 0 (basis 40, proceeds 60) is done, and the buy of asset 1
             * too when the refused order is a buy (sales come first) */
            cr_assert_eq(rb_lots_units(lots, 0), 6);
            cr_assert_eq(year.short_term, 20, "the sale's gain: %.17g", year.short_term);
            cr_assert_eq(rb_lots_units(lots, 1), sell_last ? 0 : 5);
            rb_lots_free(lots);
        }
    rb_lots *lots = mk(2, RB_LOTS_FIFO, 365, 0, RB_LEDGER_NONE);
    rb_error err = {0};
    rb_realized year = {0, 0};
    double order[2] = {INFINITY, 0}, amount[2] = {5, 0}, held[2] = {0, 0};
    cr_assert_eq(rb_lots_orders(lots, 2, order, amount, held, 1, -1, DAY(1), &year, &err), RB_ERR_DATA);
    cr_assert_str_eq(err.msg, "buying inf units of asset 0: units must be positive and finite");
    order[0] = 1, amount[0] = INFINITY;
    cr_assert_eq(rb_lots_orders(lots, 2, order, amount, held, 1, -1, DAY(1), &year, &err), RB_ERR_DATA);
    cr_assert_str_eq(err.msg, "buying 1 units of asset 0 for inf: cost must be positive and finite");
    cr_assert_eq(rb_lots_units(lots, 0), 0);
    rb_lots_free(lots);
}
