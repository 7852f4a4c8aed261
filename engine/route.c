/* route.c - the least-cost split of one order across its venues (route.h; the math is in
 * docs/engine.md, "Venues and routing").
 *
 * Work in the order's market value v = units * price. Each venue's cost c_k(v_k) is convex
 * for v_k > 0 plus a jump at 0 (its gas, a minimum fee): an exchange's marginal cost is its
 * rate without the fee (slippage + half spread) below the minimum fee's kink m / b and its
 * whole rate above it; a pool's follows from the constant product on its (virtual) depth Y
 * with g = 1 - fee and a = v / Y:
 *     buy:  c'(v) = 1 / ((1 - a)^2 g) - 1       so  v(L) = Y (1 - 1 / sqrt(g (1 + L)))
 *     sell: c'(v) = 1 - g / (1 + a g)^2          so  v(L) = Y (sqrt(g / (1 - L)) - 1) / g
 * (0 below the pool fee's marginal cost, at most the range's cap). For a set of venues that
 * all trade, the optimum equalizes marginal cost: the least L whose amounts add up to the
 * order, found by bisection. The jumps make the whole problem non-convex: every subset of
 * the venues with a jump is tried, and the cheapest wins. */
#include "route.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "trade.h"

/* A ranged pool's cap is taken this much inside the range, so that rounding of the leg's
 * units never crosses its edge in rb_order_cost_of. */
#define CAP_INSIDE (1.0 - 1e-12)
#define BISECT_REL 1e-12
#define BISECT_MAX 400

/* One venue's marginal cost, on one side. */
typedef struct model {
    int pool;
    double r0, r1, kink; /* an exchange: marginal below and above the kink (value) */
    double Y, f, g, cap; /* a pool: virtual depth, fee, 1 - fee, the most value (INFINITY: none) */
} model;

static model model_of(const rb_route_venue *v, int buy)
{
    const rb_asset_costs *c = &v->costs;
    model m = {0};
    if (c->amm_depth > 0.0) {
        rb_pool_shape s = rb_pool_shape_of(c->amm_range_low, c->amm_range_high);
        m.pool = 1;
        m.f = c->amm_fee_bps / RB_BPS;
        m.g = 1.0 - m.f;
        m.Y = c->amm_depth * s.amplify;
        int ranged = c->amm_range_high > 0.0;
        /* (a full pool's buy can never take all of its units: its cap is just inside them) */
        m.cap = buy ? (ranged ? s.buy_max : 1.0) * m.Y * CAP_INSIDE : ranged ? s.sell_max / m.g * m.Y * CAP_INSIDE : INFINITY;
        return m;
    }
    double b = c->fee_bps / RB_BPS;
    m.r0 = (c->slippage_bps + c->spread_bps / 2.0) / RB_BPS;
    m.r1 = m.r0 + b;
    m.kink = c->fee_min > 0.0 ? (b > 0.0 ? c->fee_min / b : INFINITY) : 0.0;
    return m;
}

/* A pool's amount at marginal cost L (continuous, increasing, capped). The forms avoid the
 * cancellation of 1 - 1/sqrt(x) near x = 1: with s = sqrt(g (1 + L)), 1 - 1/s =
 * (g L - f) / (s (s + 1)); with z = g / (1 - L), sqrt(z) - 1 = ((L - f) / (1 - L)) /
 * (sqrt(z) + 1). */
static double pool_amount(const model *m, int buy, double L)
{
    double v;
    if (buy) {
        double s = sqrt(m->g * (1.0 + L)), x = m->g * L - m->f;
        v = x > 0.0 ? m->Y * x / (s * (s + 1.0)) : 0.0;
    } else if (L >= 1.0) {
        v = INFINITY;
    } else {
        double z = m->g / (1.0 - L), x = (L - m->f) / (1.0 - L);
        v = x > 0.0 ? m->Y * x / (sqrt(z) + 1.0) / m->g : 0.0;
    }
    return v < m->cap ? v : m->cap;
}

/* The most a venue takes at marginal cost L: upper (the last amount whose marginal is at
 * most L) or lower (the first whose marginal reaches L): they differ only on an exchange's
 * flat stretches. */
static double amount(const model *m, int buy, double L, int upper)
{
    if (m->pool) return pool_amount(m, buy, L);
    if (upper ? L < m->r0 : L <= m->r0) return 0.0;
    if (upper ? L < m->r1 : L <= m->r1) return m->kink;
    return INFINITY;
}

static double sum_amounts(const model *m, size_t n, unsigned on, int buy, double L, int upper)
{
    double s = 0.0;
    for (size_t k = 0; k < n; k++)
        if (on & (1u << k)) s += amount(&m[k], buy, L, upper);
    return s;
}

/* The least marginal cost [lo, hi] (hi - lo within BISECT_REL of hi) at which the venues in
 * `on` take V; 0 when they cannot. */
static int bracket(const model *m, size_t n, unsigned on, int buy, double V, double *lo_out, double *hi_out)
{
    double lo = 0.0, hi = 0.0;
    if (sum_amounts(m, n, on, buy, 0.0, 1) < V) {
        double step = 1e-4;
        for (size_t k = 0; k < n; k++)
            if ((on & (1u << k)) && !m[k].pool && m[k].r1 > step) step = m[k].r1;
        hi = buy ? step : (step < 0.5 ? 0.5 : step);
        while (sum_amounts(m, n, on, buy, hi, 1) < V) {
            if (buy ? hi > 1e300 : hi >= 1.0) return 0;
            lo = hi;
            hi = buy ? hi * 4.0 : (hi + 1.0) / 2.0;
            if (!buy && hi > 1.0) hi = 1.0;
        }
        for (int it = 0; it < BISECT_MAX && hi - lo > BISECT_REL * hi; it++) {
            double mid = lo + (hi - lo) / 2.0;
            if (mid <= lo || mid >= hi) break;
            if (sum_amounts(m, n, on, buy, mid, 1) >= V) hi = mid;
            else lo = mid;
        }
    }
    *lo_out = lo;
    *hi_out = hi;
    return 1;
}

/* The values of the venues in `on` that take V at equal marginal cost: each takes what it
 * takes at the bracket's low end (lower amounts when the bracket is one point), and the rest,
 * a sliver, goes to the venues that take more across the bracket: to the first that takes
 * without limit (an exchange at its rate), else shared in proportion to what each takes
 * more. */
static int split_values(const model *m, size_t n, unsigned on, int buy, double V, double *val)
{
    double lo, hi;
    if (!bracket(m, n, on, buy, V, &lo, &hi)) return 0;
    double base = 0.0, more[RB_ROUTE_MAX], extra = 0.0;
    int open = -1;
    for (size_t k = 0; k < n; k++) {
        val[k] = more[k] = 0.0;
        if (!(on & (1u << k))) continue;
        val[k] = lo == hi ? amount(&m[k], buy, hi, 0) : amount(&m[k], buy, lo, 1);
        double up = amount(&m[k], buy, hi, 1);
        more[k] = up - val[k];
        if (isinf(up) && open < 0) open = (int)k;
        else if (!isinf(up)) extra += more[k];
        base += val[k];
    }
    double rest = V - base;
    if (!(rest > 0.0)) return 1;
    if (open >= 0) {
        val[open] += rest;
        return 1;
    }
    if (!(extra > 0.0)) return 0;
    for (size_t k = 0; k < n; k++)
        if (on & (1u << k)) val[k] += rest * (more[k] / extra);
    return 1;
}

/* The legs of values val (units signed like the order, adding up to it: the rounding
 * remainder goes to the largest leg) and their costs. */
static rb_status price_legs(const rb_route_venue *v, size_t n, double units, double price, const double *val,
                            rb_route_result *r, rb_error *err)
{
    double sign = units > 0 ? 1.0 : -1.0, sum = 0.0;
    size_t big = 0;
    memset(r, 0, sizeof *r);
    r->n = n;
    for (size_t k = 0; k < n; k++) {
        r->units[k] = sign * (val[k] / price);
        sum += r->units[k];
        if (fabs(r->units[k]) > fabs(r->units[big])) big = k;
    }
    r->units[big] += units - sum;
    if (r->units[big] * sign < 0.0) r->units[big] = 0.0;
    for (size_t k = 0; k < n; k++) {
        rb_order_market mk = {.price = price, .sigma = 0.0, .adv = NAN, .gas = v[k].gas};
        rb_status rc = rb_order_cost_of(&v[k].costs, r->units[k], &mk, &r->cost[k], err);
        if (rc != RB_OK) return rc;
        r->total.fee += r->cost[k].fee;
        r->total.slippage += r->cost[k].slippage;
        r->total.gas += r->cost[k].gas;
    }
    return RB_OK;
}

double rb_route_cost_total(const rb_route_result *r) { return rb_order_cost_total(&r->total); }

double rb_route_capacity(const rb_route_venue *v, size_t n, int buy, double price)
{
    double most = 0.0;
    for (size_t k = 0; k < n; k++) {
        model m = model_of(&v[k], buy);
        if (!m.pool) return INFINITY;
        int full = !(v[k].costs.amm_range_high > 0.0);
        most += buy && full ? m.Y : m.cap;
    }
    return most / price;
}

/* A venue with a cost that jumps at its first unit: gas, a minimum or fixed fee. */
static int has_jump(const rb_route_venue *v)
{
    return v->gas > 0.0 || (v->costs.amm_depth == 0.0 && (v->costs.fee_min > 0.0 || v->costs.fee_fixed > 0.0));
}

__attribute__((cold, noinline)) static rb_status unroutable(const rb_route_venue *v, size_t n, double units,
                                                           double price, rb_error *err)
{
    int buy = units > 0, full = 0;
    for (size_t k = 0; k < n; k++) full |= buy && v[k].costs.amm_depth > 0.0 && !(v[k].costs.amm_range_high > 0.0);
    double most = rb_route_capacity(v, n, buy, price);
    return rb_fail(err, RB_ERR_DATA,
                   "a %s of %g units is more than its %zu venue%s take together: the largest trade they take is %s "
                   "%g units (%g in value)",
                   buy ? "buy" : "sale", fabs(units), n, n == 1 ? "" : "s", full ? "below" : "at most", most,
                   most * price);
}

rb_status rb_route(const rb_route_venue *v, size_t n, double units, double price, rb_route_result *out, rb_error *err)
{
    if (!v || !out || n == 0 || n > RB_ROUTE_MAX)
        return rb_fail(err, RB_ERR_USAGE, "rb_route: 1 to %d venues and a result are required", RB_ROUTE_MAX);
    if (!(price > 0.0 && price <= DBL_MAX) || !isfinite(units))
        return rb_fail(err, RB_ERR_DATA, "an order of %g units at price %g: both must be finite, the price positive",
                       units, price);
    memset(out, 0, sizeof *out);
    out->n = n;
    if (units == 0.0) return RB_OK;
    int buy = units > 0;
    double V = fabs(units) * price;
    model m[RB_ROUTE_MAX];
    unsigned jumps = 0, all = (1u << n) - 1u;
    for (size_t k = 0; k < n; k++) {
        m[k] = model_of(&v[k], buy);
        if (has_jump(&v[k])) jumps |= 1u << k;
    }
    int found = 0;
    double best = INFINITY;
    rb_error leg_err = {0};
    rb_status leg_rc = RB_OK;
    /* Every subset of the venues with a jump, all of them first; the others always take part
     * (a venue without a jump that is not needed takes nothing). */
    for (unsigned sub = jumps;; sub = (sub - 1u) & jumps) {
        unsigned on = (all & ~jumps) | sub;
        double val[RB_ROUTE_MAX];
        rb_route_result r;
        if (on && split_values(m, n, on, buy, V, val)) {
            rb_status rc = price_legs(v, n, units, price, val, &r, &leg_err);
            if (rc == RB_OK && rb_route_cost_total(&r) < best) {
                best = rb_route_cost_total(&r);
                *out = r;
                found = 1;
            } else if (rc != RB_OK && leg_rc == RB_OK) {
                leg_rc = rc;
            }
        }
        if (sub == 0) break;
    }
    if (found) return RB_OK;
    if (leg_rc != RB_OK) {
        if (err) *err = leg_err;
        return leg_rc;
    }
    return unroutable(v, n, units, price, err);
}
