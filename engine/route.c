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
 * order. In u = -1/sqrt(1 + L) (buy) or 1/sqrt(1 - L) (sale) every pool's amount is linear
 * between its start and its cap, so bisection over the breakpoints finds the segment and a
 * linear equation the point. The jumps make the whole problem non-convex: every subset of
 * the venues with a jump is tried (unless a lower bound rules it out), the cheapest wins. */
#include "route.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "error.h"
#include "trade.h"

/* A ranged pool's cap is taken this much inside the range, so that rounding of the leg's
 * units never crosses its edge in rb_order_cost_of. */
#define CAP_INSIDE (1.0 - 1e-12)

/* One venue's amount as a function of u, on one side: u = -1 / sqrt(1 + L) for a buy,
 * 1 / sqrt(1 - L) for a sale (L the marginal cost), increasing with L. A pool takes
 * clip(beta (u - start), 0, cap); an exchange nothing below u0 (its rate without the fee),
 * its minimum fee's kink up to u1 (its whole rate), and without limit from there. */
typedef rb_route_model model;

/* u of marginal cost r on one side (INFINITY: a sale's marginal cost never reaches 1). */
static double u_of(int buy, double r) { return buy ? -1.0 / sqrt(1.0 + r) : (r < 1.0 ? 1.0 / sqrt(1.0 - r) : INFINITY); }

/* 1 when x is a finite number >= 0 (rb_order_cost_of's test of its inputs). */
static int nonneg(double x) { return (x >= 0.0) & (x <= DBL_MAX); }

/* 1 when a pool of costs c has no cost but its own and every setting rb_order_cost_of checks
 * (its depth aside) passes: its legs can be priced by pool_leg. */
static int plain_pool(const rb_asset_costs *c)
{
    double lo = c->amm_range_low, hi = c->amm_range_high;
    int ok = nonneg(c->amm_fee_bps) & (c->amm_fee_bps < RB_BPS) & nonneg(lo) & nonneg(hi) &
             (((lo == 0.0) & (hi == 0.0)) | ((lo > 0.0) & (lo < 1.0) & (hi > 1.0)));
    for (size_t k = 0; k < RB_COST_SETTINGS; k++) {
        size_t off = rb_cost_settings[k].offset;
        if (off == offsetof(rb_asset_costs, amm_depth) || off == offsetof(rb_asset_costs, amm_fee_bps) ||
            off == offsetof(rb_asset_costs, amm_range_low) || off == offsetof(rb_asset_costs, amm_range_high))
            continue;
        ok &= rb_cost_value(c, k) == 0.0;
    }
    return ok;
}

void rb_route_form_of(const rb_asset_costs *c, rb_route_form *out)
{
    rb_route_form f = {0};
    rb_pool_shape s = rb_pool_shape_of(c->amm_range_low, c->amm_range_high);
    f.plain = plain_pool(c);
    f.ranged = c->amm_range_high > 0.0;
    f.fee = c->amm_fee_bps / RB_BPS;
    f.g = 1.0 - f.fee;
    f.f = 1.0 - f.g;
    f.sg = sqrt(f.g);
    f.start[0] = 1.0 / f.sg;
    f.start[1] = -f.sg;
    f.amplify = s.amplify;
    f.buy_max = s.buy_max;
    f.sell_max = s.sell_max;
    f.cap[0] = f.ranged ? s.sell_max / f.g : INFINITY;
    f.cap[1] = f.ranged ? s.buy_max : 1.0;
    double b = c->fee_bps / RB_BPS, r0 = (c->slippage_bps + c->spread_bps / 2.0) / RB_BPS;
    for (int buy = 0; buy < 2; buy++) {
        f.u0[buy] = u_of(buy, r0);
        f.u1[buy] = u_of(buy, r0 + b);
    }
    f.kink = c->fee_min > 0.0 ? (b > 0.0 ? c->fee_min / b : INFINITY) : 0.0;
    *out = f;
}

/* The model of a venue of form f with depth `depth` (0: an exchange) on one side. A pool:
 * with g = 1 - fee and Y its (virtual) depth, a buy takes v = Y (1 - 1/sqrt(g (1 + L))) =
 * Y + (Y / sqrt(g)) u, a sale v = Y (sqrt(g / (1 - L)) - 1) / g = -Y / g + (Y / sqrt(g)) u,
 * from start = -sqrt(g) (a buy) or 1 / sqrt(g) (a sale). */
static model model_of(const rb_route_form *f, double depth, int buy)
{
    model m = {0};
    if (depth > 0.0) {
        double Y = depth * f->amplify;
        m.pool = 1;
        m.Y = Y, m.f = f->f, m.g = f->g;
        m.beta = Y / f->sg;
        m.start = f->start[buy];
        /* (a full pool's buy can never take all of its units: its cap is just inside them) */
        m.cap = buy || f->ranged ? f->cap[buy] * Y * CAP_INSIDE : INFINITY;
        return m;
    }
    m.u0 = f->u0[buy];
    m.u1 = f->u1[buy];
    m.kink = f->kink;
    return m;
}

/* A pool's amount at u = start + off: beta off, between 0 and its cap. (Taken from the
 * offset rather than as alpha + beta u, which loses a small order's amount to the
 * cancellation of two amounts of the size of the depth.) */
static double pool_at(const model *m, double off)
{
    double v = m->beta * off;
    return v <= 0.0 ? 0.0 : v < m->cap ? v : m->cap;
}

/* What a venue takes at u: upper (the most whose marginal cost is at most u's) or lower
 * (the least whose marginal cost reaches it); they differ only at an exchange's steps. */
static double amount(const model *m, double u, int upper)
{
    if (m->pool) return pool_at(m, u - m->start);
    if (upper ? u < m->u0 : u <= m->u0) return 0.0;
    if (upper ? u < m->u1 : u <= m->u1) return m->kink;
    return INFINITY;
}

static double total(const model *m, size_t n, unsigned on, double u, int upper)
{
    double s = 0.0;
    for (size_t k = 0; k < n; k++)
        if (on & (1u << k)) s += amount(&m[k], u, upper);
    return s;
}

/* The points where some venue in `on` starts, fills or steps, and where L = 0, sorted. */
static size_t breakpoints(const model *m, size_t n, unsigned on, int buy, double *pts)
{
    size_t np = 0;
    pts[np++] = buy ? -1.0 : 1.0;
    for (size_t k = 0; k < n; k++) {
        if (!(on & (1u << k))) continue;
        double a = m[k].pool ? m[k].start : m[k].u0;
        double b = m[k].pool ? m[k].start + m[k].cap / m[k].beta : m[k].u1;
        if (isfinite(a)) pts[np++] = a;
        if (isfinite(b)) pts[np++] = b;
    }
    for (size_t i = 1; i < np; i++)
        for (size_t j = i; j > 0 && pts[j - 1] > pts[j]; j--) {
            double t = pts[j];
            pts[j] = pts[j - 1];
            pts[j - 1] = t;
        }
    return np;
}

/* The first of the np sorted points pts at which the (upper) total of the venues in `on`
 * reaches V (np: none), by bisection. The total grows with u, so the first is one point and
 * a hint (the one found for an earlier order, or np + 1: none) that passes the test of
 * being it is taken without the bisection. tot: the totals at the points, each worked out
 * when first needed (NaN: not yet), or NULL. */
static double total_at(const model *m, size_t n, unsigned on, const double *pts, double *tot, size_t i)
{
    if (!tot) return total(m, n, on, pts[i], 1);
    if (isnan(tot[i])) tot[i] = total(m, n, on, pts[i], 1);
    return tot[i];
}

static size_t first_reaching(const model *m, size_t n, unsigned on, const double *pts, double *tot, size_t np,
                             double V, size_t hint)
{
#define REACHES(i) (total_at(m, n, on, pts, tot, i) >= V)
    if (hint <= np && (hint == np || REACHES(hint)) && (hint == 0 || !REACHES(hint - 1))) return hint;
    size_t lo = 0, hi = np;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (REACHES(mid)) hi = mid;
        else lo = mid + 1;
    }
    return lo;
#undef REACHES
}

/* The linear total on the segment from `left` (probe inside it): the pools between their
 * start and their cap take beta ((left - start) + d) at u = left + d, so the total is
 * *A + *B d. */
static void segment_line(const model *m, size_t n, unsigned on, double left, double probe, double *A, double *B)
{
    *A = 0.0, *B = 0.0;
    for (size_t k = 0; k < n; k++) {
        if (!(on & (1u << k))) continue;
        double v = amount(&m[k], probe, 1);
        if (m[k].pool && v > 0.0 && v < m[k].cap) *A += m[k].beta * (left - m[k].start), *B += m[k].beta;
        else *A += v;
    }
}

/* Where the segment from pts[lo - 1] is probed: its middle, or past the last point. */
static double probe_of(const double *pts, size_t np, size_t lo)
{
    double left = pts[lo - 1];
    return lo < np ? left + (pts[lo] - left) / 2.0 : left + 1.0;
}

/* The values of the venues in `on` that take V at equal marginal cost, or 0 when they
 * cannot. The total is piecewise linear in u, with steps: bisection over the breakpoints
 * finds the first at which the venues take V; before it the total is linear (the pools
 * between their start and their cap), solved exactly; at it, a step (an exchange) takes
 * what the others leave. For all the book's venues its breakpoints serve (and, when they
 * are all pools, its totals at them and its lines), and the segment found is kept as the
 * next order's hint. */
static int split_values(rb_route_book *b, unsigned on, double V, double *val, double *u_at)
{
    const model *m = b->m;
    size_t n = b->n;
    if ((on & (on - 1u)) == 0) { /* one venue: it takes the order, if it can */
        size_t one = (size_t)__builtin_ctz(on);
        for (size_t k = 0; k < n; k++) val[k] = k == one ? V : 0.0;
        *u_at = NAN;
        return !m[one].pool || V <= m[one].cap;
    }
    int every = on == (1u << n) - 1u, lined = every && b->lined;
    double own[4 * RB_ROUTE_MAX + 1];
    const double *pts = every ? b->pts : own;
    size_t np = every ? b->np : breakpoints(m, n, on, b->buy, own);
    size_t lo = first_reaching(m, n, on, pts, lined ? b->tot : NULL, np, V, every && b->hints ? b->hint : np + 1);
    if (every) b->hint = lo;
    /* (a pool takes as much at u either way, so where the models are sane the point found
     * reaches V on the lower total too, unless it is the first) */
    int step = (on & ~b->pools) == 0 && b->hints ? lo < np && lo == 0
                                                 : lo < np && (lo == 0 || total(m, n, on, pts[lo], 0) < V);
    double left = step ? pts[lo] : pts[lo - 1], d = 0.0, base = 0.0;
    double probe = step ? left : probe_of(pts, np, lo);
    if (!step) { /* inside (pts[lo - 1], pts[lo]), or past the last point: linear in d = u - left */
        double A, B;
        if (!lined) segment_line(m, n, on, left, probe, &A, &B);
        else if (!isnan(B = b->line_b[lo])) A = b->line_a[lo];
        else segment_line(m, n, on, left, probe, &b->line_a[lo], &b->line_b[lo]), A = b->line_a[lo], B = b->line_b[lo];
        if (!(B > 0.0) || !isfinite(A)) return 0;
        d = (V - A) / B;
    }
    for (size_t k = 0; k < n; k++) {
        val[k] = 0.0;
        if (!(on & (1u << k))) continue;
        /* at a step (d = 0): lower amounts, and the steps take the rest below */
        val[k] = m[k].pool ? pool_at(&m[k], (left - m[k].start) + d) : amount(&m[k], probe, 0);
        base += val[k];
    }
    *u_at = left + d;
    double rest = V - base;
    for (size_t k = 0; step && rest > 0.0 && k < n; k++) {
        if (!(on & (1u << k)) || m[k].pool) continue;
        double more = amount(&m[k], left, 1) - val[k], take = rest < more ? rest : more;
        val[k] += take;
        rest -= take;
    }
    return !(rest > 1e-6 * V); /* (price_legs gives the rounding remainder to the largest leg) */
}

/* The legs' units of values val, signed like the order and adding up to it (the rounding
 * remainder to the largest leg). */
static void leg_units(size_t n, double units, double price, const double *val, double *legs)
{
    double sign = units > 0 ? 1.0 : -1.0, sum = 0.0;
    size_t big = 0;
    for (size_t k = 0; k < n; k++) {
        legs[k] = sign * (val[k] == 0.0 ? val[k] : val[k] / price); /* (a zero over the price is itself) */
        sum += legs[k];
        if (fabs(legs[k]) > fabs(legs[big])) big = k;
    }
    legs[big] += units - sum;
    if (legs[big] * sign < 0.0) legs[big] = 0.0;
}

/* A leg's total cost, to compare the subsets: the formulas of rb_order_cost_of (costs.c)
 * without its checks (the winner's legs are priced by it); INFINITY past a pool's cap.
 * units_of_pool: a pool's Y / price. */
static double leg_cost(const rb_route_venue *v, const model *m, double units, double price, double units_of_pool)
{
    if (units == 0.0) return 0.0;
    const rb_asset_costs *c = &v->costs;
    double q = fabs(units), val = q * price;
    if (!m->pool) {
        rb_fee_slippage r = rb_trade_rate_costs(val, rb_cost_rates(c));
        return rb_fee_at_least(r.fee, c->fee_min) + c->fee_fixed + r.slippage + v->gas;
    }
    if (!(val <= m->cap)) return INFINITY;
    double a = q / units_of_pool;
    if (units > 0.0) {
        double rest = 1.0 - a;
        return a < 1.0 ? val * m->f / (rest * m->g) + val * a / rest + v->gas : INFINITY;
    }
    return val * m->f + val * a * m->g * m->g / (1.0 + a * m->g) + v->gas;
}

/* A plain pool's leg (rb_route_form: plain) of `units` (!= 0, finite) at price p (> 0,
 * finite) and depth (the bar's): what rb_order_cost_of charges it, by its formulas, in its
 * order of operations (its fee and slippage start at 0, to which the pool's terms add
 * exactly), without the checks a plain pool passes; pool_units: its (virtual) depth / p,
 * the model's Y / p (Y = depth x amplify, which is the depth itself without a range, as
 * rb_order_cost_of takes it). Returns 0 where rb_order_cost_of must
 * decide (a depth that is not positive and finite, a leg past the range or the pool's units,
 * gas that is not a finite number >= 0: its error). */
static int pool_leg(const rb_route_form *f, double depth, double units, double p, double gas, double pool_units,
                    rb_order_cost *out)
{
    if (!(depth > 0.0 && depth <= DBL_MAX) || !nonneg(gas)) return 0;
    double u = fabs(units), v = u * p, a = u / pool_units;
    if (units > 0.0) {
        if ((f->ranged && !(a <= f->buy_max)) || !(a < 1.0)) return 0;
        double rest = 1.0 - a;
        out->fee = v * f->fee / (rest * f->g);
        out->slippage = v * a / rest;
    } else {
        if (f->ranged && !(a * f->g <= f->sell_max)) return 0;
        out->fee = v * f->fee;
        out->slippage = v * a * f->g * f->g / (1.0 + a * f->g);
    }
    out->gas = gas;
    return 1;
}

/* The legs priced as rb_order_cost_of prices them (a plain pool's by pool_leg), and their
 * sums. */
static rb_status price_legs(const rb_route_book *b, const double *legs, double price, rb_route_result *r,
                            rb_error *err)
{
    const rb_route_venue *v = b->v;
    size_t n = b->n;
    r->n = n;
    r->total = (rb_order_cost){0.0, 0.0, 0.0};
    for (size_t k = n; k < RB_ROUTE_MAX; k++) {
        r->units[k] = 0.0;
        r->cost[k] = (rb_order_cost){0.0, 0.0, 0.0};
    }
    for (size_t k = 0; k < n; k++) {
        r->units[k] = legs[k];
        r->cost[k] = (rb_order_cost){0.0, 0.0, 0.0};
        if (legs[k] == 0.0) continue; /* (rb_order_cost_of's cost of no order: 0, no gas) */
        if (!(b->form[k]->plain && isfinite(legs[k]) &&
              pool_leg(b->form[k], v[k].costs.amm_depth, legs[k], price, v[k].gas, b->units_of_pool[k], &r->cost[k]))) {
            rb_order_market mk = {.price = price, .sigma = 0.0, .adv = NAN, .gas = v[k].gas};
            rb_status rc = rb_order_cost_of(&v[k].costs, legs[k], &mk, &r->cost[k], err);
            if (rc != RB_OK) return rc;
        }
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
        rb_route_form f;
        rb_route_form_of(&v[k].costs, &f);
        model m = model_of(&f, v[k].costs.amm_depth, buy);
        if (!m.pool) return INFINITY;
        int full = !(v[k].costs.amm_range_high > 0.0);
        most += buy && full ? m.Y : m.cap; /* a full pool's buy: less than its (virtual) depth */
    }
    return most / price;
}

/* The jump of a venue's cost at its first unit: its gas, an exchange's minimum and fixed fee
 * (0: none). */
static double jump_of(const rb_route_venue *v)
{
    return v->gas + (v->costs.amm_depth == 0.0 ? v->costs.fee_min + v->costs.fee_fixed : 0.0);
}

/* What the venues left out of a subset save it at least, from the split of them all (val,
 * at the marginal cost L, each costing cost[k]): the others must take their amounts at a
 * marginal cost of at least L, so a subset without venue k costs at least the split's
 * convex part plus L v_k - (c_k(v_k) - jump_k), its surplus (>= 0), for each k left out,
 * plus the jumps of those in it. */
static void surpluses(const double *jump, size_t n, const double *val, const double *cost, double L, double *convex,
                      double *surplus)
{
    *convex = 0.0;
    for (size_t k = 0; k < n; k++) {
        double c = val[k] > 0.0 ? cost[k] - jump[k] : 0.0;
        *convex += c;
        surplus[k] = L * val[k] - c > 0.0 ? L * val[k] - c : 0.0;
    }
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

void rb_route_book_open(rb_route_book *book, const rb_route_venue *v, const rb_route_form *const *form, size_t n,
                        int buy)
{
    book->n = n;
    book->buy = buy;
    book->jumps = 0;
    book->pools = 0;
    book->price = NAN; /* (units_of_pool: none yet) */
    book->hints = 1;
    for (size_t k = 0; k < n; k++) {
        book->v[k] = v[k];
        book->form[k] = form[k];
        book->m[k] = model_of(form[k], v[k].costs.amm_depth, buy);
        book->jump[k] = jump_of(&v[k]);
        if (book->jump[k] > 0.0) book->jumps |= 1u << k;
        const model *m = &book->m[k];
        if (m->pool) book->pools |= 1u << k;
        if (m->pool && !(isfinite(m->beta) && m->beta > 0.0 && isfinite(m->start) && !isnan(m->cap))) book->hints = 0;
    }
    unsigned all = (1u << n) - 1u;
    book->np = breakpoints(book->m, n, all, buy, book->pts);
    book->hint = book->np + 1; /* none yet */
    /* all of them pools: the totals at the breakpoints and the line of each segment, worked
     * out when first needed (NaN until then: a sane pool's total is never NaN) for every
     * order that all of them take */
    book->lined = book->hints && book->pools == all;
    for (size_t i = 0; book->lined && i <= book->np; i++) book->tot[i] = book->line_b[i] = NAN; /* (none yet) */
}

/* 1 when `on` is one venue and the split of all the venues (all_val) already gave it all
 * of V and the others +0: the split of `on` alone is the same values, so the same legs and
 * total, which cannot be below the best (at most the split of all's total). */
static int one_of_all(const double *all_val, size_t n, unsigned on, double V)
{
    if ((on & (on - 1u)) != 0) return 0;
    for (size_t k = 0; k < n; k++) {
        double x = all_val[k];
        if ((on & (1u << k)) ? !(x == V) : !(x == 0.0 && !signbit(x))) return 0;
    }
    return 1;
}

/* The checks of an order that rb_route and rb_route_booked make; 1 when they pass. */
static int order_ok(double units, double price) { return price > 0.0 && price <= DBL_MAX && isfinite(units); }

__attribute__((cold, noinline)) static rb_status bad_order(double units, double price, rb_error *err)
{
    return rb_fail(err, RB_ERR_DATA, "an order of %g units at price %g: both must be finite, the price positive", units,
                   price);
}

rb_status rb_route_booked(rb_route_book *book, double units, double price, rb_route_result *out, rb_error *err)
{
    size_t n = book->n;
    if (n == 0 || n > RB_ROUTE_MAX)
        return rb_fail(err, RB_ERR_USAGE, "rb_route_booked: a book of 1 to %d venues is required", RB_ROUTE_MAX);
    if (!order_ok(units, price)) return bad_order(units, price, err);
    if (units == 0.0) {
        memset(out, 0, sizeof *out);
        out->n = n;
        return RB_OK;
    }
    if ((units > 0) != book->buy)
        return rb_fail(err, RB_ERR_USAGE, "rb_route_booked: a %s on a book of %s", units > 0 ? "buy" : "sale",
                       book->buy ? "buys" : "sales");
    if (!(book->price == price)) { /* (a book's orders come at one price: its bar's) */
        book->price = price;
        for (size_t k = 0; k < n; k++) book->units_of_pool[k] = book->m[k].Y / price;
    }
    const rb_route_venue *v = book->v;
    const model *m = book->m;
    const double *jump = book->jump;
    int buy = book->buy;
    double V = fabs(units) * price;
    unsigned jumps = book->jumps, all = (1u << n) - 1u;
    int found = 0, bound = 0, all_split = 0;
    double best = INFINITY, best_legs[RB_ROUTE_MAX], convex = 0.0, surplus[RB_ROUTE_MAX], all_val[RB_ROUTE_MAX];
    /* Every subset of the venues with a jump, all of them first; the others always take part
     * (a venue without a jump that is not needed takes nothing). A subset whose lower bound
     * (surpluses) is above the best cost found is not solved, nor one venue alone when the
     * split of them all already gave it the whole order. */
    for (unsigned sub = jumps;; sub = (sub - 1u) & jumps) {
        unsigned on = (all & ~jumps) | sub;
        double val[RB_ROUTE_MAX], legs[RB_ROUTE_MAX], cost[RB_ROUTE_MAX], total = 0.0, u;
        double least = convex;
        for (size_t k = 0; bound && k < n; k++)
            least += (jumps & ~sub & (1u << k)) ? surplus[k] : (sub & (1u << k)) ? jump[k] : 0.0;
        if (on && !(bound && least > best * (1.0 + 1e-9)) && !(all_split && one_of_all(all_val, n, on, V)) &&
            split_values(book, on, V, val, &u)) {
            if (sub == jumps) {
                all_split = 1;
                for (size_t k = 0; k < n; k++) all_val[k] = val[k];
            }
            leg_units(n, units, price, val, legs);
            for (size_t k = 0; k < n; k++)
                total += cost[k] = leg_cost(&v[k], &m[k], legs[k], price, book->units_of_pool[k]);
            if (total < best) {
                best = total;
                for (size_t k = 0; k < n; k++) best_legs[k] = legs[k];
                found = 1;
            }
            if (sub == jumps && isfinite(total) && isfinite(u)) { /* the split of them all bounds the others */
                surpluses(jump, n, val, cost, buy ? 1.0 / (u * u) - 1.0 : 1.0 - 1.0 / (u * u), &convex, surplus);
                bound = 1;
            }
        }
        if (sub == 0) break;
    }
    if (found) return price_legs(book, best_legs, price, out, err);
    memset(out, 0, sizeof *out);
    out->n = n;
    return unroutable(v, n, units, price, err);
}

rb_status rb_route(const rb_route_venue *v, size_t n, double units, double price, rb_route_result *out, rb_error *err)
{
    if (!v || !out || n == 0 || n > RB_ROUTE_MAX)
        return rb_fail(err, RB_ERR_USAGE, "rb_route: 1 to %d venues and a result are required", RB_ROUTE_MAX);
    if (!order_ok(units, price)) return bad_order(units, price, err);
    if (units == 0.0) {
        memset(out, 0, sizeof *out);
        out->n = n;
        return RB_OK;
    }
    rb_route_form own[RB_ROUTE_MAX];
    const rb_route_form *form[RB_ROUTE_MAX];
    for (size_t k = 0; k < n; k++) {
        if (!(form[k] = v[k].form)) {
            rb_route_form_of(&v[k].costs, &own[k]);
            form[k] = &own[k];
        }
    }
    rb_route_book book;
    rb_route_book_open(&book, v, form, n, units > 0);
    return rb_route_booked(&book, units, price, out, err);
}
