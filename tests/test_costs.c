/* test_costs.c - the per-order cost models (commission, slippage, spread, square-root
 * impact, the constant-product AMM pool, gas) against hand-computed values and wide-precision
 * references, and the impact model's rolling sigma and ADV against a naive recomputation. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "costs.h"
#include "rebal.h"
#include "spec.h"
#include "support.h"
#include "trade.h"

/* Per-element checks in loops call into Criterion only when they fail. */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) cr_assert_fail(__VA_ARGS__);                                                  \
    } while (0)

/* A wider float for references: IEEE quad where the compiler has it (x86-64 __float128;
 * aarch64 long double), else long double. */
#if defined(__SIZEOF_FLOAT128__) && !defined(__aarch64__)
typedef __float128 wide;
#define WIDE_DIGITS 113
#else
typedef long double wide;
#define WIDE_DIGITS LDBL_MANT_DIG
#endif

/* |got - want| <= tol * |want| (exact equality when want is 0). */
static int near(double got, double want, double tol)
{
    if (want == 0.0) return got == 0.0;
    return fabs(got - want) <= tol * fabs(want);
}

#define EXPECT_NEAR(got, want, tol)                                                                \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        cr_expect(near(g_, w_, (tol)), "%s = %.17g, expected %.17g (rel. error %.3g)", #got, g_, w_, \
                  w_ != 0.0 ? fabs(g_ - w_) / fabs(w_) : fabs(g_));                                \
    } while (0)

static rb_order_market market(double price) { return (rb_order_market){price, 0.0, 0.0, 0.0}; }

/* The cost of an order that must succeed. */
static rb_order_cost cost_ok(const rb_asset_costs *c, double units, const rb_order_market *mk)
{
    rb_order_cost out = {-1.0, -1.0, -1.0};
    rb_error err = {0};
    rb_status rc = rb_order_cost_of(c, units, mk, &out, &err);
    cr_assert_eq(rc, RB_OK, "an order of %g units failed: %s", units, err.msg);
    return out;
}

/* An order that must fail with code and a message containing text; out stays untouched. */
static void cost_fails(const rb_asset_costs *c, double units, const rb_order_market *mk, rb_status code,
                       const char *text)
{
    rb_order_cost out = {-1.0, -2.0, -3.0};
    rb_error err = {0};
    rb_status rc = rb_order_cost_of(c, units, mk, &out, &err);
    cr_assert_eq(rc, code, "an order of %g units: status %d, expected %d (%s)", units, rc, code, err.msg);
    cr_expect_eq(err.code, code);
    cr_expect_not_null(strstr(err.msg, text), "message \"%s\" lacks \"%s\"", err.msg, text);
    cr_expect_null(strchr(err.msg, '\n'), "one line: %s", err.msg);
    cr_expect(out.fee == -1.0 && out.slippage == -2.0 && out.gas == -3.0, "out changed on failure");
    /* A NULL rb_error is allowed and still gives the code. */
    cr_expect_eq(rb_order_cost_of(c, units, mk, &out, NULL), code);
}

/* ---------------------------------------------------------------- no order, no costs */

Test(order, no_order_costs_nothing)
{
    rb_asset_costs c = {10, 5, 1, 5, 20, 0.5, 1e6, 30, 0, 0};
    rb_order_market mk = {100.0, 0.02, 1000.0, 7.0};
    rb_order_cost o = cost_ok(&c, 0.0, &mk);
    cr_expect(o.fee == 0.0 && o.slippage == 0.0 && o.gas == 0.0);
    o = cost_ok(&c, -0.0, &mk);
    cr_expect(o.fee == 0.0 && o.slippage == 0.0 && o.gas == 0.0);
    /* c NULL: no costs and no gas, whatever the market. */
    o = cost_ok(NULL, 123.0, &mk);
    cr_expect(o.fee == 0.0 && o.slippage == 0.0 && o.gas == 0.0);
    o = cost_ok(NULL, -5.0, NULL);
    cr_expect(o.fee == 0.0 && o.slippage == 0.0 && o.gas == 0.0);
    /* Every setting 0 and no gas: an order costs nothing. */
    rb_asset_costs zero = {0};
    rb_order_market plain = market(100.0);
    o = cost_ok(&zero, 1e6, &plain);
    cr_expect(o.fee == 0.0 && o.slippage == 0.0 && o.gas == 0.0);
    cr_expect(rb_order_cost_total(&o) == 0.0);
}

/* ---------------------------------------------------------------- commission */

Test(order, commission_bps)
{
    /* 200 units at 50: v = 10,000; 10 bps: 10,000 * 10 / 1e4 = 10. */
    rb_asset_costs c = {.fee_bps = 10};
    rb_order_market mk = market(50.0);
    rb_order_cost o = cost_ok(&c, 200.0, &mk);
    cr_expect_eq(o.fee, 10.0);
    cr_expect_eq(o.slippage, 0.0);
    cr_expect_eq(o.gas, 0.0);
    /* 2.5 bps of v = 1,000,000 (10,000 units at 100): 1e6 * 2.5 / 1e4 = 250. */
    mk = market(100.0);
    c.fee_bps = 2.5;
    cr_expect_eq(cost_ok(&c, 10000.0, &mk).fee, 250.0);
}

Test(order, commission_minimum)
{
    /* 10 bps with a 25 minimum: v = 10,000 -> max(10, 25) = 25; v = 1e6 -> max(1000, 25) = 1000;
     * v = 25,000 -> max(25, 25) = 25. */
    rb_asset_costs c = {.fee_bps = 10, .fee_min = 25};
    rb_order_market mk = market(50.0);
    cr_expect_eq(cost_ok(&c, 200.0, &mk).fee, 25.0);
    cr_expect_eq(cost_ok(&c, 20000.0, &mk).fee, 1000.0);
    cr_expect_eq(cost_ok(&c, 500.0, &mk).fee, 25.0);
    /* A minimum alone is a flat 5 per order, however small: 0.001 units at 50 -> 5. */
    rb_asset_costs m = {.fee_min = 5};
    cr_expect_eq(cost_ok(&m, 0.001, &mk).fee, 5.0);
    cr_expect_eq(cost_ok(&m, -1e6, &mk).fee, 5.0);
}

Test(order, commission_fixed)
{
    /* 10 bps, minimum 25, fixed 1.5 on top: v = 10,000 -> 25 + 1.5 = 26.5;
     * v = 1e6 -> 1000 + 1.5 = 1001.5. */
    rb_asset_costs c = {.fee_bps = 10, .fee_min = 25, .fee_fixed = 1.5};
    rb_order_market mk = market(50.0);
    cr_expect_eq(cost_ok(&c, 200.0, &mk).fee, 26.5);
    cr_expect_eq(cost_ok(&c, -20000.0, &mk).fee, 1001.5);
    /* Fixed alone: 2 per order, any size, either side. */
    rb_asset_costs f = {.fee_fixed = 2};
    cr_expect_eq(cost_ok(&f, 1e-6, &mk).fee, 2.0);
    cr_expect_eq(cost_ok(&f, -1e9, &mk).fee, 2.0);
    /* bps + fixed, no minimum: v = 10,000 at 10 bps = 10, + 2 = 12. */
    rb_asset_costs bf = {.fee_bps = 10, .fee_fixed = 2};
    cr_expect_eq(cost_ok(&bf, 200.0, &mk).fee, 12.0);
}

/* ---------------------------------------------------------------- slippage and spread */

Test(order, fixed_slippage)
{
    /* Sell 400 at 50: v = 20,000; 5 bps: 20,000 * 5 / 1e4 = 10, recorded as slippage. */
    rb_asset_costs c = {.slippage_bps = 5};
    rb_order_market mk = market(50.0);
    rb_order_cost o = cost_ok(&c, -400.0, &mk);
    cr_expect_eq(o.slippage, 10.0);
    cr_expect_eq(o.fee, 0.0);
    cr_expect_eq(o.gas, 0.0);
}

Test(order, half_spread)
{
    /* A 20 bps quoted spread costs half: v = 20,000 * 20 / 2 / 1e4 = 20. */
    rb_asset_costs c = {.spread_bps = 20};
    rb_order_market mk = market(50.0);
    rb_order_cost o = cost_ok(&c, 400.0, &mk);
    cr_expect_eq(o.slippage, 20.0);
    cr_expect_eq(o.fee, 0.0);
    /* With 5 bps fixed slippage too: 10 + 20 = 30. */
    c.slippage_bps = 5;
    cr_expect_eq(cost_ok(&c, -400.0, &mk).slippage, 30.0);
}

/* ---------------------------------------------------------------- square-root impact */

Test(order, impact_square_root)
{
    /* 400 units at 50 (v = 20,000), K = 0.5, sigma = 0.25, ADV = 1600:
     * sqrt(400 / 1600) = 0.5, impact = 20,000 * 0.5 * 0.25 * 0.5 = 1250. */
    rb_asset_costs c = {.impact_k = 0.5};
    rb_order_market mk = {50.0, 0.25, 1600.0, 0.0};
    rb_order_cost o = cost_ok(&c, 400.0, &mk);
    cr_expect_eq(o.slippage, 1250.0);
    cr_expect_eq(o.fee, 0.0);
    cr_expect_eq(cost_ok(&c, -400.0, &mk).slippage, 1250.0);
    /* 1600 units (the whole ADV): v = 80,000, sqrt(1) = 1: 80,000 * 0.5 * 0.25 = 10,000 =
     * 1250 * 4^1.5: impact grows with size to the power 3/2. */
    cr_expect_eq(cost_ok(&c, 1600.0, &mk).slippage, 10000.0);
    /* K = 2, sigma = 0.02, ADV = 1e6, 10,000 units at 10: v = 1e5, sqrt(0.01) = 0.1:
     * 1e5 * 2 * 0.02 * 0.1 = 400 (inexact decimals: relative 1e-15). */
    rb_asset_costs k2 = {.impact_k = 2};
    rb_order_market mk2 = {10.0, 0.02, 1e6, 0.0};
    EXPECT_NEAR(cost_ok(&k2, 10000.0, &mk2).slippage, 400.0, 1e-15);
    /* Sigma 0 (start of the data): no impact, but volume is still required. */
    rb_order_market calm = {50.0, 0.0, 1600.0, 0.0};
    cr_expect_eq(cost_ok(&c, 400.0, &calm).slippage, 0.0);
    /* Impact adds to fixed slippage and spread: 1250 + 20,000 * 5 / 1e4 + 20,000 * 20 / 2e4 = 1280. */
    rb_asset_costs all = {.slippage_bps = 5, .spread_bps = 20, .impact_k = 0.5};
    cr_expect_eq(cost_ok(&all, 400.0, &mk).slippage, 1280.0);
}

Test(order, impact_needs_volume)
{
    rb_asset_costs c = {.impact_k = 0.5};
    rb_order_market mk = {50.0, 0.25, 0.0, 0.0};
    cost_fails(&c, 400.0, &mk, RB_ERR_DATA, "impact needs volume: no average volume at this bar");
    mk.adv = NAN;
    cost_fails(&c, -400.0, &mk, RB_ERR_DATA, "impact needs volume: no average volume at this bar");
    mk.adv = INFINITY;
    cost_fails(&c, 400.0, &mk, RB_ERR_DATA, "impact needs volume");
    mk.adv = -10.0;
    cost_fails(&c, 400.0, &mk, RB_ERR_DATA, "impact needs volume");
    mk.adv = 1600.0;
    mk.sigma = NAN;
    cost_fails(&c, 400.0, &mk, RB_ERR_DATA, "sigma");
    /* Impact off: volume and sigma are not read. */
    rb_asset_costs off = {.fee_bps = 10};
    rb_order_market none = {50.0, NAN, NAN, 0.0};
    cr_expect_eq(cost_ok(&off, 200.0, &none).fee, 10.0);
}

/* ---------------------------------------------------------------- gas */

Test(order, gas_per_order)
{
    /* 3.25 per order, whatever the size or side; recorded apart from fees and slippage. */
    rb_asset_costs c = {.fee_bps = 10};
    rb_order_market mk = {50.0, 0.0, 0.0, 3.25};
    rb_order_cost o = cost_ok(&c, 200.0, &mk);
    cr_expect_eq(o.gas, 3.25);
    cr_expect_eq(o.fee, 10.0);
    cr_expect_eq(rb_order_cost_total(&o), 13.25);
    cr_expect_eq(cost_ok(&c, -1e6, &mk).gas, 3.25);
    cr_expect_eq(cost_ok(&c, 1e-9, &mk).gas, 3.25);
    /* No order, no gas. */
    cr_expect_eq(cost_ok(&c, 0.0, &mk).gas, 0.0);
    /* Gas alone (every other setting 0). */
    rb_asset_costs zero = {0};
    o = cost_ok(&zero, 5.0, &mk);
    cr_expect(o.gas == 3.25 && o.fee == 0.0 && o.slippage == 0.0);
}

/* ---------------------------------------------------------------- buys and sells */

Test(order, linear_models_are_side_symmetric)
{
    /* Every model but the AMM charges a buy and a sell of the same size the same. */
    rb_asset_costs c = {7.5, 3, 0.25, 4, 11, 0.8, 0, 0, 0, 0};
    rb_order_market mk = {37.25, 0.031, 52000.0, 1.75};
    const double sizes[] = {1e-4, 0.3, 17.0, 999.0, 123456.0};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        rb_order_cost b = cost_ok(&c, sizes[k], &mk), s = cost_ok(&c, -sizes[k], &mk);
        cr_expect(b.fee == s.fee && b.slippage == s.slippage && b.gas == s.gas, "size %g", sizes[k]);
        /* And each part is what the table says, summed by hand. */
        double v = sizes[k] * 37.25;
        double fee = fmax(v * 7.5 / 1e4, 3.0) + 0.25;
        double slip = v * 4 / 1e4 + v * 11 / 2 / 1e4 + v * 0.8 * 0.031 * sqrt(sizes[k] / 52000.0);
        EXPECT_NEAR(b.fee, fee, 1e-15);
        EXPECT_NEAR(b.slippage, slip, 1e-15);
        cr_expect_eq(b.gas, 1.75);
    }
}

/* ---------------------------------------------------------------- AMM pool */

/* The spec's formulas, computed naively in wide precision: x - u p and u p - y lose nothing
 * that matters at 113 bits for the sizes tested. */
static void amm_reference(double R, double p, double fee_bps, double units, double *fee, double *slip)
{
    wide f = (wide)fee_bps / 10000, u = units > 0 ? (wide)units : -(wide)units, P = p, D = R;
    wide Q = D / P;
    if (units > 0) {
        wide x = D * u / ((Q - u) * (1 - f));
        *fee = (double)(x * f);
        *slip = (double)(x - u * P - x * f);
    } else {
        wide y = D * u * (1 - f) / (Q + u * (1 - f));
        *fee = (double)(u * f * P);
        *slip = (double)(u * P - y - u * f * P);
    }
}

Test(amm, buy_exact)
{
    /* R = 1e6 quote, p = 100: the pool holds 10,000 units. Buy u = 1000 (10 % of them), f = 30 bps:
     *   x = 1e6 * 1000 / ((10,000 - 1000) * 0.997) = 1e9 / 8973 = 111,445.447453...
     *   fee = x * 0.003 = 3e6 / 8973 = 334.336342...
     *   slippage = x - 1000 * 100 - fee = x * 0.997 - 1e5 = 1e9 / 9000 - 1e5 = 1e5 / 9 = 11,111.11...
     * (the curve's impact alone: 1e5 * 0.1 / 0.9). */
    rb_asset_costs c = {.amm_depth = 1e6, .amm_fee_bps = 30};
    rb_order_market mk = market(100.0);
    rb_order_cost o = cost_ok(&c, 1000.0, &mk);
    EXPECT_NEAR(o.fee, 3e6 / 8973.0, 1e-14);
    EXPECT_NEAR(o.slippage, 1e5 / 9.0, 1e-14);
    EXPECT_NEAR(1e5 + o.fee + o.slippage, 1e9 / 8973.0, 1e-15); /* x: what the buy pays */
    cr_expect_eq(o.gas, 0.0);
    double rf, rs;
    amm_reference(1e6, 100.0, 30, 1000.0, &rf, &rs);
    EXPECT_NEAR(o.fee, rf, 1e-14);
    EXPECT_NEAR(o.slippage, rs, 1e-14);
    /* No fee: x = 1e9 / 9000, all of x - 1e5 = 1e5 / 9 is slippage. */
    rb_asset_costs nofee = {.amm_depth = 1e6};
    o = cost_ok(&nofee, 1000.0, &mk);
    cr_expect_eq(o.fee, 0.0);
    EXPECT_NEAR(o.slippage, 1e5 / 9.0, 1e-14);
}

Test(amm, sell_exact)
{
    /* Sell u = 1000 into the same pool (R = 1e6, p = 100, f = 30 bps):
     *   y = 1e6 * 1000 * 0.997 / (10,000 + 1000 * 0.997) = 9.97e8 / 10,997 = 90,661.089388...
     *   fee = 1000 * 0.003 * 100 = 300
     *   slippage = 1e5 - y - 300 = (99,700 * 10,997 - 9.97e8) / 10,997 = 99,400,900 / 10,997
     *            = 9,038.910611... */
    rb_asset_costs c = {.amm_depth = 1e6, .amm_fee_bps = 30};
    rb_order_market mk = market(100.0);
    rb_order_cost o = cost_ok(&c, -1000.0, &mk);
    EXPECT_NEAR(o.fee, 300.0, 1e-15);
    EXPECT_NEAR(o.slippage, 99400900.0 / 10997.0, 1e-14);
    EXPECT_NEAR(1e5 - o.fee - o.slippage, 9.97e8 / 10997.0, 1e-15); /* y: what the sell returns */
    double rf, rs;
    amm_reference(1e6, 100.0, 30, -1000.0, &rf, &rs);
    EXPECT_NEAR(o.fee, rf, 1e-14);
    EXPECT_NEAR(o.slippage, rs, 1e-14);
    /* The same size costs more to buy than to sell: the buy pushes the price up the curve
     * towards an asymptote, the sell down a flattening one. */
    rb_order_cost b = cost_ok(&c, 1000.0, &mk);
    cr_expect_gt(rb_order_cost_total(&b), rb_order_cost_total(&o));
}

Test(amm, keeps_the_constant_product)
{
    /* What a buy pays net of fee enters the pool: (R + x (1 - f)) (Q - u) = R Q; what a sell
     * puts in net of fee moves it the other way: (Q + u (1 - f)) (R - y) = R Q. */
    const double R = 2.5e7, p = 1234.5, fbps = 25, f = fbps / 1e4, Q = R / p;
    rb_asset_costs c = {.amm_depth = R, .amm_fee_bps = fbps};
    rb_order_market mk = market(p);
    const double shares[] = {1e-6, 0.01, 0.2, 0.5, 0.9, 0.999};
    for (size_t k = 0; k < sizeof shares / sizeof shares[0]; k++) {
        double u = shares[k] * Q;
        rb_order_cost b = cost_ok(&c, u, &mk), s = cost_ok(&c, -u, &mk);
        wide x = (wide)u * p + b.fee + b.slippage, y = (wide)u * p - s.fee - s.slippage;
        wide kb = ((wide)R + x * (1 - (wide)f)) * ((wide)Q - u), ks = ((wide)Q + u * (1 - (wide)f)) * ((wide)R - y);
        double eb = (double)((kb - (wide)R * Q) / ((wide)R * Q)), es = (double)((ks - (wide)R * Q) / ((wide)R * Q));
        /* The buy's relative error grows like 1 / (1 - share): the curve's own conditioning. */
        cr_expect(fabs(eb) < 1e-14 / (1 - shares[k]), "buy of share %g: k off by %.3g", shares[k], eb);
        cr_expect(fabs(es) < 1e-14, "sell of share %g: k off by %.3g", shares[k], es);
        /* The fee parts are x f and u f p. */
        EXPECT_NEAR(b.fee, (double)(x * (wide)f), 1e-13);
        EXPECT_NEAR(s.fee, u * f * p, 1e-15);
    }
}

Test(amm, round_trip_loses_money)
{
    const double R = 1e6, p = 100.0, Q = R / p;
    /* With a fee: buying and selling the same units at the same bar (the pool re-centred at p)
     * costs more than the two fees. */
    rb_asset_costs c = {.amm_depth = R, .amm_fee_bps = 30};
    rb_order_market mk = market(p);
    rb_order_cost b = cost_ok(&c, 500.0, &mk), s = cost_ok(&c, -500.0, &mk);
    cr_expect_gt(rb_order_cost_total(&b) + rb_order_cost_total(&s), b.fee + s.fee);
    cr_expect_gt(b.slippage, 0.0);
    cr_expect_gt(s.slippage, 0.0);
    /* Without a fee, selling back into the moved pool (not re-centred) returns exactly what
     * the buy paid: the two formulas are inverses on one curve. After buying u for x the pool
     * holds R + x quote and Q - u units. */
    rb_asset_costs nofee = {.amm_depth = R};
    double u = 2000.0;
    rb_order_cost bn = cost_ok(&nofee, u, &mk);
    wide x = (wide)u * p + bn.slippage;
    wide R2 = R + x, Q2 = Q - u;
    wide back = R2 * u / (Q2 + u); /* the sell formula with f = 0 on the moved pool */
    cr_expect(fabs((double)((back - x) / x)) < 1e-15, "round trip on one curve: %.17g vs %.17g", (double)back,
              (double)x);
    /* With the fee the same round trip on the moved pool returns less than was paid. */
    rb_order_cost bf = cost_ok(&c, u, &mk);
    wide xf = (wide)u * p + bf.fee + bf.slippage, ff = (wide)30 / 10000;
    wide R3 = R + xf * (1 - ff), Q3 = Q - u;
    wide backf = R3 * u * (1 - ff) / (Q3 + u * (1 - ff));
    cr_expect_lt((double)backf, (double)xf);
    /* And re-centred (the spec), the zero-fee round trip still loses the two curve impacts:
     * v a / (1 - a) + v a / (1 + a) with v = 2e5, a = 0.2: 5e4 + 3.33e4. */
    rb_order_cost sn = cost_ok(&nofee, -u, &mk);
    EXPECT_NEAR(bn.slippage + sn.slippage, 2e5 * 0.2 / 0.8 + 2e5 * 0.2 / 1.2, 1e-14);
}

Test(amm, adds_to_other_costs)
{
    /* AMM (R = 1e6, p = 100, f = 30 bps, buy 1000) plus 10 bps commission, 5 bps slippage and
     * 2 gas: fee = 1e5 * 10 / 1e4 + 3e6 / 8973 = 100 + 334.336...; slippage = 1e5 * 5 / 1e4 + 1e5 / 9
     * = 50 + 11,111.11...; gas 2. */
    rb_asset_costs c = {.fee_bps = 10, .slippage_bps = 5, .amm_depth = 1e6, .amm_fee_bps = 30};
    rb_order_market mk = {100.0, 0.0, 0.0, 2.0};
    rb_order_cost o = cost_ok(&c, 1000.0, &mk);
    EXPECT_NEAR(o.fee, 100.0 + 3e6 / 8973.0, 1e-14);
    EXPECT_NEAR(o.slippage, 50.0 + 1e5 / 9.0, 1e-14);
    cr_expect_eq(o.gas, 2.0);
    /* The sell: fee 100 + 300, slippage 50 + 99,400,900 / 10,997. */
    o = cost_ok(&c, -1000.0, &mk);
    EXPECT_NEAR(o.fee, 400.0, 1e-15);
    EXPECT_NEAR(o.slippage, 50.0 + 99400900.0 / 10997.0, 1e-14);
}

Test(amm, pool_exhaustion)
{
    /* The pool holds R / p = 10,000 units: buying all of them (or more) is impossible. */
    rb_asset_costs c = {.amm_depth = 1e6, .amm_fee_bps = 30};
    rb_order_market mk = market(100.0);
    cost_fails(&c, 10000.0, &mk, RB_ERR_DATA, "a buy of 10000 units exceeds the AMM pool's 10000 units (depth 1e+06)");
    cost_fails(&c, 25000.0, &mk, RB_ERR_DATA, "a buy of 25000 units exceeds the AMM pool's 10000 units");
    /* Just below: an enormous but finite cost. */
    rb_order_cost o = cost_ok(&c, 9999.0, &mk);
    cr_expect(isfinite(o.slippage) && o.slippage > 9e8, "slippage %g", o.slippage);
    /* Selling any amount is possible: the pool pays out less than R. */
    o = cost_ok(&c, -25000.0, &mk);
    double y = 25000.0 * 100.0 - o.fee - o.slippage;
    cr_expect(y > 0.0 && y < 1e6, "y = %g", y);
}

Test(amm, tiny_trades_in_deep_pools)
{
    /* Share a = u / Q from 1e-15 (or 1e-4 where the reference is only 80-bit) to 0.5 of a
     * pool with R = 1e12 quote at p = 250: the fee and the curve's impact (~ v a) keep full
     * relative precision, checked against the naive formulas in wide precision. The naive
     * x - u p in double would leave the impact with relative error ~ 1e-16 / a. */
    const double R = 1e12, p = 250.0, Q = R / p;
    const double fbps[] = {0.0, 5.0, 30.0, 100.0};
    double amin = WIDE_DIGITS >= 113 ? 1e-15 : 1e-4;
    for (size_t j = 0; j < sizeof fbps / sizeof fbps[0]; j++) {
        rb_asset_costs c = {.amm_depth = R, .amm_fee_bps = fbps[j]};
        rb_order_market mk = market(p);
        for (double a = amin; a <= 0.5; a *= 7.3) {
            double u = a * Q;
            for (int side = -1; side <= 1; side += 2) {
                rb_order_cost o = cost_ok(&c, side * u, &mk);
                double rf, rs;
                amm_reference(R, p, fbps[j], side * u, &rf, &rs);
                CHECK(near(o.fee, rf, 1e-14), "f %g bps, share %g, side %d: fee %.17g vs %.17g", fbps[j], a, side,
                      o.fee, rf);
                CHECK(near(o.slippage, rs, 1e-13), "f %g bps, share %g, side %d: slippage %.17g vs %.17g", fbps[j],
                      a, side, o.slippage, rs);
                /* The impact part is about v a: between v a (1 - a) and v a / (1 - a). */
                double va = u * p * a;
                CHECK(o.slippage > 0.0 && o.slippage < va / (1 - a) * (1 + 1e-15) &&
                          o.slippage > va * (1 - a) * (1 - fbps[j] / 1e4) * (1 - fbps[j] / 1e4) * (1 - 1e-15),
                      "share %g side %d: slippage %.17g vs v a %.17g", a, side, o.slippage, va);
            }
        }
    }
    /* One worked case: R = 1e12, p = 250, buy 1 unit (v = 250, a = 2.5e-10), f = 30 bps:
     * fee = 250 * 0.003 / ((1 - a) * 0.997) = 0.75225677...; impact = 250 a / (1 - a)
     * = 6.25e-8 * (1 + 2.5e-10) = 6.2500000015625e-08. */
    rb_asset_costs c = {.amm_depth = R, .amm_fee_bps = 30};
    rb_order_market mk = market(p);
    rb_order_cost o = cost_ok(&c, 1.0, &mk);
    EXPECT_NEAR(o.slippage, 6.2500000015625e-08, 1e-14);
    EXPECT_NEAR(o.fee, 0.75 / 0.997 / (1 - 2.5e-10), 1e-15);
}

/* ---------------------------------------------------------------- invalid inputs */

/* Every setting of the cost table (trade.h), named in the message with its option. */
Test(order, invalid_settings_are_named)
{
    enum { FIELDS = sizeof(rb_asset_costs) / sizeof(double) };
    const double bad[] = {-1.0, NAN, INFINITY, -INFINITY};
    rb_order_market mk = {100.0, 0.1, 1000.0, 0.0};
    for (size_t k = 0; k < RB_COST_SETTINGS; k++)
        for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
            double fields[FIELDS] = {0};
            fields[rb_cost_settings[k].offset / sizeof(double)] = bad[b];
            rb_asset_costs c;
            memcpy(&c, fields, sizeof c);
            cost_fails(&c, 10.0, &mk, RB_ERR_USAGE, rb_cost_settings[k].name);
            cost_fails(&c, 10.0, &mk, RB_ERR_USAGE, rb_cost_settings[k].flag);
        }
    /* A pool fee of 100 % or more would divide by zero. */
    rb_asset_costs c = {.amm_depth = 1e6, .amm_fee_bps = 1e4};
    cost_fails(&c, 10.0, &mk, RB_ERR_USAGE, "amm_fee_bps");
    c.amm_fee_bps = 2e4;
    cost_fails(&c, -10.0, &mk, RB_ERR_USAGE, "below 10000 bps");
    /* 9999 bps is allowed (absurd, but a valid pool). */
    c.amm_fee_bps = 9999;
    cost_ok(&c, 10.0, &mk);
}

/* The cost model is one table (trade.h): one row per field of rb_asset_costs, the rates
 * first; the proportional part of every order's cost, the closed form's rate and the
 * batch's lanes all read it. An order with proportional costs costs rb_trade_rate_costs to
 * the bit (the lanes' arithmetic), and its rate times the traded value within rounding. */
Test(order, the_cost_table_is_the_cost_model)
{
    enum { FIELDS = sizeof(rb_asset_costs) / sizeof(double) };
    _Static_assert(FIELDS < 32, "a bit per field below");
    unsigned seen = 0;
    for (size_t k = 0; k < RB_COST_SETTINGS; k++) {
        const rb_cost_setting *s = &rb_cost_settings[k];
        size_t field = s->offset / sizeof(double);
        cr_assert(field < FIELDS && !(seen & 1u << field), "row %zu (%s): field repeated or outside", k, s->name);
        seen |= 1u << field;
        int rate = s->role == RB_COST_RATE_FEE || s->role == RB_COST_RATE_SLIPPAGE;
        cr_expect_eq(rate, k < RB_COST_RATES, "row %zu (%s): the rates come first", k, s->name);
        cr_expect(!rate || s->divisor >= 1, "row %zu (%s): a rate pays at most all of it", k, s->name);
        cr_expect_not_null(strstr(s->flag, "--"), "row %zu: %s", k, s->flag);
    }
    cr_expect_eq(seen, (1u << FIELDS) - 1, "every field of rb_asset_costs has its row");

    uint64_t x = 88172645463325252ull;
    for (int round = 0; round < 2000; round++) {
        double r[3];
        for (int k = 0; k < 3; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            r[k] = (round % 4 == k) ? 0 : (double)(x >> 11) * 0x1.0p-53 * 300;
        }
        /* today's three rates, by name: the hand formulas below are theirs */
        rb_asset_costs c = {.fee_bps = r[0], .slippage_bps = r[1], .spread_bps = r[2]};
        cr_assert(rb_costs_proportional(&c));
        double units = (round % 2 ? -1 : 1) * (1 + round * 3.7), price = 0.5 + round * 0.25, v = fabs(units) * price;
        rb_order_market mk = market(price);
        rb_order_cost o = cost_ok(&c, units, &mk);
        rb_fee_slippage lane = rb_trade_rate_costs(v, rb_cost_rates(&c));
        cr_assert(memcmp(&o.fee, &lane.fee, sizeof o.fee) == 0 && memcmp(&o.slippage, &lane.slippage, sizeof o.slippage) == 0,
                  "round %d: the order's costs %.17g + %.17g, the lanes' %.17g + %.17g", round, o.fee, o.slippage,
                  lane.fee, lane.slippage);
        /* the hand formulas of docs/engine.md */
        EXPECT_NEAR(o.fee, v * r[0] / 1e4, 1e-15);
        EXPECT_NEAR(o.slippage, v * r[1] / 1e4 + v * r[2] / 2 / 1e4, 1e-15);
        EXPECT_NEAR(rb_order_cost_total(&o), rb_cost_rate(&c) * v, 1e-14);
    }
    /* Any other setting makes the costs non-proportional, except a pool's fee or range
     * without a pool. */
    for (size_t k = RB_COST_RATES; k < RB_COST_SETTINGS; k++) {
        double fields[FIELDS] = {0};
        fields[rb_cost_settings[k].offset / sizeof(double)] = 5;
        rb_asset_costs c;
        memcpy(&c, fields, sizeof c);
        rb_cost_role role = rb_cost_settings[k].role;
        cr_expect_eq(rb_costs_proportional(&c), role == RB_COST_POOL_FEE || role == RB_COST_POOL_RANGE, "%s",
                     rb_cost_settings[k].name);
    }
}

/* The fee an order pays under --fee-min is fmax(fee, fee_min), the same in every build:
 * rb_fee_at_least returns the larger of two numbers, the number of a NaN and a number, and
 * of two equal ones (+0 and -0) the fee. (fmax itself leaves that last choice open, and a
 * call of it gave +0 or -0 by how GCC ordered its arguments: an earlier form of this test,
 * which compared the two to the bit, passed built with -O2 and failed under the
 * sanitizers.) And the proportional costs are the same bits whether the zero rates are found
 * as each term comes (rb_trade_rate_costs, the scalar orders) or given as a mask
 * (rb_trade_rate_costs_known, the lanes), for rates of +0 and -0 among others, and any
 * traded value (0, infinite and NaN too). */
Test(order, the_fee_floor_and_the_zero_rates_keep_their_bits)
{
    const double v[] = {0.0, -0.0, 1e-310, -1e-310, 0.5, 2.0, 2.5, -3.0, 1e300, INFINITY, -INFINITY, NAN, -NAN};
    const size_t n = sizeof v / sizeof v[0];
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            double x = v[a], y = v[b], got = rb_fee_at_least(x, y);
            int ok = isnan(x) && isnan(y) ? isnan(got)
                     : isnan(x)          ? rbt_same_bits(got, y)
                     : isnan(y)          ? rbt_same_bits(got, x)
                                         : rbt_same_bits(got, x < y ? y : x);
            cr_assert(ok, "fee %g, minimum %g: %.17g", x, y, got);
        }
    const double rates[] = {0.0, -0.0, 7.5, -7.5, 12.0};
    const double gross[] = {0.0, 1234.5, 1e-300, INFINITY, NAN};
    const size_t nr = sizeof rates / sizeof rates[0];
    for (size_t r0 = 0; r0 < nr; r0++)
        for (size_t r1 = 0; r1 < nr; r1++)
            for (size_t r2 = 0; r2 < nr; r2++)
                for (size_t g = 0; g < sizeof gross / sizeof gross[0]; g++) {
                    rb_rates r = {{rates[r0], rates[r1], rates[r2]}};
                    unsigned zero = 0;
                    for (size_t k = 0; k < RB_COST_RATES; k++) zero |= (unsigned)(r.bps[k] == 0) << k;
                    rb_fee_slippage each = rb_trade_rate_costs(gross[g], r),
                                    known = rb_trade_rate_costs_known(gross[g], r, zero),
                                    none = rb_trade_rate_costs_known(gross[g], r, 0); /* every term divided */
                    cr_assert(memcmp(&each, &known, sizeof each) == 0 || isnan(gross[g]),
                              "rates %g %g %g on %g: %.17g + %.17g vs %.17g + %.17g", r.bps[0], r.bps[1], r.bps[2],
                              gross[g], each.fee, each.slippage, known.fee, known.slippage);
                    cr_assert(memcmp(&each, &none, sizeof each) == 0 || isnan(gross[g]) || isinf(gross[g]),
                              "rates %g %g %g on %g: a zero rate's term is not what its divisions give", r.bps[0],
                              r.bps[1], r.bps[2], gross[g]);
                }
}

/* Each cost setting is read from its own option: the row's spec_offset is the field of the
 * per-asset run setting its flag names, so the resolver fills rb_asset_costs from the table
 * alone. A run with each setting given reaches the order's cost through that field. */
Test(order, each_cost_setting_is_read_from_its_option)
{
    for (size_t k = 0; k < RB_COST_SETTINGS; k++) {
        const rb_cost_setting *s = &rb_cost_settings[k];
        const rb_setting_info *row = rb_run_setting_row(s->flag + 2);
        cr_assert_not_null(row, "%s: no run setting", s->flag);
        /* --amm-range LOW:HIGH is one setting of two per-asset values, its two rows' fields */
        int range = s->role == RB_COST_POOL_RANGE, high = range && strstr(s->name, "high") != NULL;
        cr_expect_eq(row->type, range ? RB_VALUE_OTHER : RB_VALUE_PER_ASSET, "%s: a per-asset setting", s->flag);
        cr_expect(range ? s->spec_offset >= row->offset && s->spec_offset < row->offset + row->size
                        : row->offset == s->spec_offset,
                  "%s: the table reads another field of the spec", s->flag);

        rb_run_spec *spec = NULL;
        rb_error err = {0};
        cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
        cr_assert_eq(rb_run_spec_set(spec, s->flag + 2, range ? "0.7:1.5,BTC=0.3:3" : "7,BTC=3", &err), RB_OK, "%s: %s",
                     s->flag, err.msg);
        const rb_asset_values *v = (const void *)((const char *)spec + s->spec_offset);
        cr_expect_eq(rb_asset_value(v, "ETH"), range ? (high ? 1.5 : 0.7) : 7, "%s", s->name);
        cr_expect_eq(rb_asset_value(v, "BTC"), range ? (high ? 3 : 0.3) : 3, "%s", s->name);
        rb_run_spec_free(spec);
    }
}

Test(order, invalid_market_and_units)
{
    rb_asset_costs c = {.fee_bps = 10};
    const double prices[] = {0.0, -0.0, -5.0, NAN, INFINITY, -INFINITY};
    for (size_t k = 0; k < sizeof prices / sizeof prices[0]; k++) {
        rb_order_market mk = market(prices[k]);
        cost_fails(&c, 10.0, &mk, RB_ERR_DATA, "is not positive");
    }
    rb_order_market mk = {100.0, 0.0, 0.0, -1.0};
    cost_fails(&c, 10.0, &mk, RB_ERR_DATA, "gas -1");
    mk.gas = NAN;
    cost_fails(&c, 10.0, &mk, RB_ERR_DATA, "gas");
    mk.gas = 0.0;
    cost_fails(&c, NAN, &mk, RB_ERR_DATA, "units must be finite; the arithmetic overflowed");
    cost_fails(&c, -INFINITY, &mk, RB_ERR_DATA, "units must be finite; the arithmetic overflowed");
    cost_fails(&c, 10.0, NULL, RB_ERR_USAGE, "needs its market");
    rb_error err = {0};
    cr_expect_eq(rb_order_cost_of(&c, 10.0, &mk, NULL, &err), RB_ERR_USAGE);
    /* A bad price does not matter when there is no order. */
    rb_order_market nothing = market(NAN);
    cost_ok(&c, 0.0, &nothing);
}

/* ---------------------------------------------------------------- impact inputs */

/* A hand-built T x N matrix: closes, volumes and fill flags as given (NULL volume = all NaN,
 * NULL filled = no fills); free with rb_matrix_free. */
static rb_matrix *matrix(size_t T, size_t N, const double *close, const double *volume, const uint8_t *filled)
{
    rb_matrix *m = calloc(1, sizeof *m);
    cr_assert_not_null(m);
    m->T = T;
    m->N = N;
    m->symbols = calloc(N, sizeof *m->symbols);
    m->time = calloc(T, sizeof *m->time);
    m->close = calloc(T * N, sizeof *m->close);
    m->volume = calloc(T * N, sizeof *m->volume);
    m->filled = calloc(T * N, sizeof *m->filled);
    cr_assert(m->symbols && m->time && m->close && m->volume && m->filled);
    for (size_t i = 0; i < N; i++) {
        char name[24];
        snprintf(name, sizeof name, "A%zu", i);
        m->symbols[i] = strdup(name);
    }
    for (size_t t = 0; t < T; t++) m->time[t] = (rb_time)t * 86400;
    for (size_t k = 0; k < T * N; k++) {
        m->close[k] = close[k];
        m->volume[k] = volume ? volume[k] : NAN;
        m->filled[k] = filled ? filled[k] : 0;
    }
    return m;
}

typedef struct impact_out {
    double *sigma, *adv;
} impact_out;

static impact_out impact_ok(const rb_matrix *m, int window)
{
    impact_out o = {malloc(m->T * m->N * sizeof(double)), malloc(m->T * m->N * sizeof(double))};
    cr_assert(o.sigma && o.adv);
    rb_error err = {0};
    rb_status rc = rb_impact_inputs(m, window, o.sigma, o.adv, &err);
    cr_assert_eq(rc, RB_OK, "rb_impact_inputs(window %d): %s", window, err.msg);
    return o;
}

static void impact_free(impact_out *o)
{
    free(o->sigma);
    free(o->adv);
}

/* The definitions of costs.h, recomputed for one bar and asset: the same double log returns,
 * then two passes in long double over the window. */
static void naive(const rb_matrix *m, int window, size_t t, size_t i, double *sigma, double *adv)
{
    size_t N = m->N, w = (size_t)window;
    size_t lo = t + 1 >= w ? t + 1 - w : 0;
    size_t rlo = lo > 1 ? lo : 1;
    long double sum = 0, n = 0;
    for (size_t s = rlo; s <= t; s++) {
        sum += log(m->close[s * N + i] / m->close[(s - 1) * N + i]);
        n += 1;
    }
    if (n < 2) {
        *sigma = 0.0;
    } else {
        long double mean = sum / n, ss = 0;
        for (size_t s = rlo; s <= t; s++) {
            long double d = (long double)log(m->close[s * N + i] / m->close[(s - 1) * N + i]) - mean;
            ss += d * d;
        }
        *sigma = (double)sqrtl(ss / (n - 1));
    }
    long double vs = 0, vn = 0;
    for (size_t s = lo; s <= t; s++) {
        size_t k = s * N + i;
        if (m->filled[k] || isnan(m->volume[k])) continue;
        vs += m->volume[k];
        vn += 1;
    }
    *adv = vn > 0 ? (double)(vs / vn) : NAN;
}

/* Checks every cell of rb_impact_inputs(m, window) against naive() to tol (relative). */
static void compare_naive(const rb_matrix *m, int window, double tol)
{
    impact_out o = impact_ok(m, window);
    for (size_t t = 0; t < m->T; t++)
        for (size_t i = 0; i < m->N; i++) {
            double s, a;
            naive(m, window, t, i, &s, &a);
            size_t k = t * m->N + i;
            CHECK(near(o.sigma[k], s, tol), "window %d, bar %zu, asset %zu: sigma %.17g vs naive %.17g", window, t, i,
                  o.sigma[k], s);
            CHECK(isnan(a) ? isnan(o.adv[k]) : near(o.adv[k], a, tol),
                  "window %d, bar %zu, asset %zu: adv %.17g vs naive %.17g", window, t, i, o.adv[k], a);
        }
    impact_free(&o);
}

Test(impact, hand_example)
{
    /* One asset, closes 100, 110, 99, 99, 108.9 (returns ln 1.1, ln 0.9, 0, ln 1.1), volumes
     * 10..50, window 3 (returns of bars max(1, t-2)..t, volumes of bars max(0, t-2)..t):
     *   t = 0: no return -> 0;            adv 10
     *   t = 1: one return -> 0;           adv (10 + 20) / 2 = 15
     *   t = 2: ln 1.1, ln 0.9             -> |ln 1.1 - ln 0.9| / sqrt 2 = 0.14189560954670769;
     *                                        adv (10 + 20 + 30) / 3 = 20
     *   t = 3: ln 1.1, ln 0.9, 0          -> stdev 0.10037728548770321; adv (20+30+40)/3 = 30
     *   t = 4: ln 0.9, 0, ln 1.1          -> the same three returns: 0.10037728548770321; adv 40 */
    const double close[] = {100, 110, 99, 99, 108.9};
    const double volume[] = {10, 20, 30, 40, 50};
    rb_matrix *m = matrix(5, 1, close, volume, NULL);
    impact_out o = impact_ok(m, 3);
    const double sigma[] = {0, 0, 0.14189560954670769, 0.10037728548770321, 0.10037728548770321};
    const double adv[] = {10, 15, 20, 30, 40};
    for (size_t t = 0; t < 5; t++) {
        EXPECT_NEAR(o.sigma[t], sigma[t], 1e-14);
        EXPECT_NEAR(o.adv[t], adv[t], 1e-15);
    }
    /* The spec's forms: sqrt(((r1 - m)^2 + (r2 - m)^2) / 1) with m the mean = |r1 - r2| / sqrt 2. */
    EXPECT_NEAR(o.sigma[2], fabs(log(1.1) - log(0.9)) / sqrt(2.0), 1e-14);
    impact_free(&o);

    /* Window 2: t = 1 has one return (0), t = 2 the two of bars 1 and 2; adv over 2 bars. */
    o = impact_ok(m, 2);
    cr_expect_eq(o.sigma[0], 0.0);
    cr_expect_eq(o.sigma[1], 0.0);
    EXPECT_NEAR(o.sigma[2], 0.14189560954670769, 1e-14);
    EXPECT_NEAR(o.sigma[3], fabs(log(0.9)) / sqrt(2.0), 1e-14); /* ln 0.9 and 0 */
    EXPECT_NEAR(o.sigma[4], fabs(log(1.1)) / sqrt(2.0), 1e-14); /* 0 and ln 1.1 */
    const double adv2[] = {10, 15, 25, 35, 45};
    for (size_t t = 0; t < 5; t++) EXPECT_NEAR(o.adv[t], adv2[t], 1e-15);
    impact_free(&o);

    /* A window longer than the data: everything up to t. At t = 4 the four returns have mean
     * ln(1.089) / 4 and the volumes mean 30. */
    o = impact_ok(m, 100);
    EXPECT_NEAR(o.adv[4], 30.0, 1e-15);
    double r[4] = {log(1.1), log(0.9), 0.0, log(1.1)}, mean = (r[0] + r[1] + r[2] + r[3]) / 4, ss = 0;
    for (int k = 0; k < 4; k++) ss += (r[k] - mean) * (r[k] - mean);
    EXPECT_NEAR(o.sigma[4], sqrt(ss / 3), 1e-14);
    impact_free(&o);
    rb_matrix_free(m);
}

Test(impact, filled_bars_and_missing_volume)
{
    /* Asset 0 trades every bar. Asset 1 is forward-filled at bars 2 and 3 (its close repeats,
     * volume 0 as the loader writes it). Asset 2 has no volume at all (like CASH). Asset 3 lacks
     * the volume of its real bar 1. Window 3. */
    const double close[] = {
        10, 20, 1, 5,  /* t = 0 */
        11, 22, 1, 5,  /* t = 1 */
        12, 22, 1, 5,  /* t = 2: asset 1 filled */
        13, 22, 1, 5,  /* t = 3: asset 1 filled */
        14, 24, 1, 5,  /* t = 4 */
        15, 26, 1, 5,  /* t = 5 */
    };
    const double volume[] = {
        100, 1000, NAN, 7,   /* */
        200, 2000, NAN, NAN, /* */
        300, 0,    NAN, 9,   /* */
        400, 0,    NAN, 10,  /* */
        500, 5000, NAN, 11,  /* */
        600, 6000, NAN, 12,  /* */
    };
    uint8_t filled[24] = {0};
    filled[2 * 4 + 1] = filled[3 * 4 + 1] = 1;
    rb_matrix *m = matrix(6, 4, close, volume, filled);
    impact_out o = impact_ok(m, 3);
    /* Asset 1 adv, real bars only: t = 2: bars 0..2 -> (1000 + 2000) / 2 = 1500; t = 3: bars
     * 1..3 -> 2000; t = 4: bars 2..4 -> 5000; t = 5: (5000 + 6000) / 2 = 5500. */
    EXPECT_NEAR(o.adv[2 * 4 + 1], 1500.0, 1e-15);
    EXPECT_NEAR(o.adv[3 * 4 + 1], 2000.0, 1e-15);
    EXPECT_NEAR(o.adv[4 * 4 + 1], 5000.0, 1e-15);
    EXPECT_NEAR(o.adv[5 * 4 + 1], 5500.0, 1e-15);
    /* Its returns include the zero returns of the filled bars (costs.h: every bar's close):
     * t = 3: ln 1.1, 0, 0 -> stdev = ln 1.1 * sqrt(((2/3)^2 + 2 (1/3)^2) / 2) = ln 1.1 / sqrt 3. */
    EXPECT_NEAR(o.sigma[3 * 4 + 1], log(1.1) / sqrt(3.0), 1e-14);
    /* Asset 2: no volume anywhere -> NaN; its constant close gives sigma 0. */
    for (size_t t = 0; t < 6; t++) {
        cr_expect(isnan(o.adv[t * 4 + 2]), "bar %zu: adv %g", t, o.adv[t * 4 + 2]);
        cr_expect_eq(o.sigma[t * 4 + 2], 0.0);
    }
    /* Asset 3: its unknown volume at bar 1 is left out: t = 1 -> 7; t = 2 -> (7 + 9) / 2 = 8;
     * t = 3: bars 1..3 -> (9 + 10) / 2 = 9.5; t = 4: 10. */
    EXPECT_NEAR(o.adv[1 * 4 + 3], 7.0, 1e-15);
    EXPECT_NEAR(o.adv[2 * 4 + 3], 8.0, 1e-15);
    EXPECT_NEAR(o.adv[3 * 4 + 3], 9.5, 1e-15);
    EXPECT_NEAR(o.adv[4 * 4 + 3], 10.0, 1e-15);
    impact_free(&o);

    /* Window 2 over asset 1: t = 3 sees only the filled bars 2 and 3 -> no real bar -> NaN. */
    o = impact_ok(m, 2);
    cr_expect(isnan(o.adv[3 * 4 + 1]), "adv %g", o.adv[3 * 4 + 1]);
    EXPECT_NEAR(o.adv[2 * 4 + 1], 2000.0, 1e-15);
    EXPECT_NEAR(o.adv[4 * 4 + 1], 5000.0, 1e-15);
    impact_free(&o);
    compare_naive(m, 2, 1e-14);
    compare_naive(m, 3, 1e-14);
    compare_naive(m, 4, 1e-14);
    compare_naive(m, 50, 1e-14);
    rb_matrix_free(m);
}

/* splitmix64: a deterministic stream for the random matrices. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return (double)(next_u64(s) >> 11) * 0x1p-53; }

static double normal(uint64_t *s)
{
    double u1 = uniform(s), u2 = uniform(s);
    return sqrt(-2.0 * log(u1 + 0x1p-60)) * cos(6.283185307179586 * u2);
}

/* T bars of N assets: asset 0 a plain random walk, asset 1 trending (drift 5x its noise),
 * asset 2 with 10 % forward-filled bars and some unknown volumes, asset 3 with calm and
 * violent regimes. Volumes are log-uniform over 1e-3 .. 1e12, so a running sum that adds and
 * subtracts would lose the small windows after a huge one. */
static rb_matrix *random_matrix(size_t T, uint64_t seed)
{
    enum { N = 4 };
    double *close = malloc(T * N * sizeof *close), *volume = malloc(T * N * sizeof *volume);
    uint8_t *filled = calloc(T * N, 1);
    cr_assert(close && volume && filled);
    uint64_t s = seed;
    double level[N] = {100, 50, 20, 3000};
    for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < N; i++) {
            size_t k = t * N + i;
            double r;
            if (i == 1) r = 0.01 + 0.002 * normal(&s);
            else if (i == 3) r = ((t / 97) % 2 ? 0.1 : 0.002) * normal(&s);
            else r = 0.02 * normal(&s);
            if (t > 0 && i == 2 && uniform(&s) < 0.1) {
                filled[k] = 1;
                r = 0.0;
            }
            if (t > 0) level[i] *= exp(r);
            close[k] = level[i];
            volume[k] = filled[k] ? 0.0 : exp(-7.0 + 35.0 * uniform(&s));
            if (i == 2 && !filled[k] && uniform(&s) < 0.05) volume[k] = NAN;
        }
    rb_matrix *m = matrix(T, N, close, volume, filled);
    free(close);
    free(volume);
    free(filled);
    return m;
}

Test(impact, agrees_with_naive_recomputation)
{
    rb_matrix *m = random_matrix(1500, 42);
    const int windows[] = {2, 3, 5, 20, 64, 250, 1499, 1500, 4000};
    for (size_t k = 0; k < sizeof windows / sizeof windows[0]; k++) compare_naive(m, windows[k], 1e-12);
    rb_matrix_free(m);
}

Test(impact, huge_then_small_volumes)
{
    /* A volume of 1e15 followed by volumes of 1: once the big bar leaves the window, the mean
     * is exactly 1, which adding and subtracting in a running sum would miss by ~ 0.1. */
    enum { T = 40 };
    double close[T], volume[T];
    for (size_t t = 0; t < T; t++) {
        close[t] = 100.0 + (double)(t % 3);
        volume[t] = t == 5 ? 1e15 : 1.0;
    }
    rb_matrix *m = matrix(T, 1, close, volume, NULL);
    impact_out o = impact_ok(m, 4);
    for (size_t t = 9; t < T; t++) cr_expect_eq(o.adv[t], 1.0, "bar %zu: adv %.17g", t, o.adv[t]);
    EXPECT_NEAR(o.adv[5], (1e15 + 3.0) / 4.0, 1e-15);
    impact_free(&o);
    rb_matrix_free(m);
}

Test(impact, steady_growth_has_no_volatility)
{
    /* A cash-like column growing 2 % a year, compounded daily: every return is ln(1.02) / 365
     * up to the closes' rounding, so sigma must be that noise (~1e-16; sums of r and r^2
     * without a shift would cancel to ~1e-12 here), and its unknown volume gives NaN. */
    enum { T = 800 };
    double close[T];
    for (size_t t = 0; t < T; t++) close[t] = pow(1.02, (double)t / 365.0);
    rb_matrix *m = matrix(T, 1, close, NULL, NULL);
    impact_out o = impact_ok(m, 20);
    for (size_t t = 0; t < T; t++) {
        CHECK(o.sigma[t] >= 0.0 && o.sigma[t] < 1e-15, "bar %zu: sigma %g", t, o.sigma[t]);
        CHECK(isnan(o.adv[t]), "bar %zu: adv %g", t, o.adv[t]);
    }
    impact_free(&o);
    rb_matrix_free(m);
}

Test(impact, uses_data_up_to_t_only)
{
    /* Cutting the matrix after T' bars changes nothing at bars before T': no look-ahead. */
    rb_matrix *m = random_matrix(600, 7);
    const int windows[] = {2, 20, 77};
    for (size_t w = 0; w < 3; w++) {
        impact_out full = impact_ok(m, windows[w]);
        const size_t cuts[] = {1, 2, 19, 20, 21, 100, 333};
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            size_t T = m->T;
            m->T = cuts[c]; /* row-major: the first T' rows are a valid T' x N matrix */
            impact_out part = impact_ok(m, windows[w]);
            m->T = T;
            for (size_t k = 0; k < cuts[c] * m->N; k++) {
                CHECK(part.sigma[k] == full.sigma[k], "window %d cut %zu cell %zu: sigma differs", windows[w], cuts[c],
                      k);
                CHECK(part.adv[k] == full.adv[k] || (isnan(part.adv[k]) && isnan(full.adv[k])),
                      "window %d cut %zu cell %zu: adv differs", windows[w], cuts[c], k);
            }
            impact_free(&part);
        }
        impact_free(&full);
    }
    rb_matrix_free(m);
}

Test(impact, invalid_arguments)
{
    const double close[] = {100, 101, 0, 103};
    const double volume[] = {1, 2, 3, 4};
    rb_matrix *m = matrix(4, 1, close, volume, NULL);
    double sigma[4] = {-7, -7, -7, -7}, adv[4] = {-7, -7, -7, -7};
    rb_error err = {0};
    const int bad_windows[] = {1, 0, -3};
    for (size_t k = 0; k < 3; k++) {
        cr_expect_eq(rb_impact_inputs(m, bad_windows[k], sigma, adv, &err), RB_ERR_USAGE);
        cr_expect_not_null(strstr(err.msg, "--impact-window must be at least 2"), "%s", err.msg);
    }
    /* A close of 0 (impossible from the loader) is refused, naming the asset and bar, and
     * nothing is written. */
    cr_expect_eq(rb_impact_inputs(m, 2, sigma, adv, &err), RB_ERR_DATA);
    cr_expect_not_null(strstr(err.msg, "A0 has close 0 at bar 2"), "%s", err.msg);
    for (size_t t = 0; t < 4; t++) cr_expect(sigma[t] == -7 && adv[t] == -7);
    m->close[2] = 102;
    m->volume[1] = -1;
    cr_expect_eq(rb_impact_inputs(m, 2, sigma, adv, &err), RB_ERR_DATA);
    cr_expect_not_null(strstr(err.msg, "A0 has volume -1 at bar 1"), "%s", err.msg);
    /* A filled bar's volume is not read. */
    m->filled[1] = 1;
    cr_expect_eq(rb_impact_inputs(m, 2, sigma, adv, &err), RB_OK, "%s", err.msg);
    cr_expect_eq(adv[1], 1.0);
    cr_expect_eq(rb_impact_inputs(NULL, 2, sigma, adv, &err), RB_ERR_USAGE);
    cr_expect_eq(rb_impact_inputs(m, 2, NULL, adv, &err), RB_ERR_USAGE);
    cr_expect_eq(rb_impact_inputs(m, 2, sigma, NULL, NULL), RB_ERR_USAGE);
    rb_matrix_free(m);
}
