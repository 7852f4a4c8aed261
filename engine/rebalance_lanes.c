/* rebalance_lanes.c - the closed-form rebalance over many portfolios at once
 * (rebalance_lanes.h), in trade.h's arithmetic. Every loop runs over the lanes with the
 * asset loop outside, so that each lane sees its operations in the order a portfolio of its
 * own would: a branch there is a selection here, and a skipped addition is an addition not
 * taken, never an addition of zero (which could turn -0 into +0). */
#include "rebalance_lanes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernel_clones.h"
#include "alloc.h"

/* The arrays of an rb_lanes: asset x lane (N * cap), per lane (cap), and flags (cap). */
#define GRID_ARRAYS(l) \
    {&l->units, &l->to, &l->rate, &l->order, &l->held, &l->amount, &l->value, &l->gross, &l->fee, &l->slip, &l->share}
#define LANE_ARRAYS(l)                                                                                            \
    {&l->cash, &l->fees, &l->slippage, &l->gas, &l->traded_value, &l->rebalances, &l->w, &l->base, &l->wsum,       \
     &l->fixed, &l->num, &l->x}
#define FLAG_ARRAYS(l) {&l->cash_col, &l->fallback, &l->traded, &l->live}

rb_status rb_lanes_init(rb_lanes *l, size_t N, size_t cap, rb_error *err)
{
    memset(l, 0, sizeof *l);
    l->N = N;
    l->cap = cap;
    double **grid[] = GRID_ARRAYS(l), **lane[] = LANE_ARRAYS(l);
    int64_t **flags[] = FLAG_ARRAYS(l);
    size_t ngrid = sizeof grid / sizeof grid[0], nlane = sizeof lane / sizeof lane[0],
           nflags = sizeof flags / sizeof flags[0];
    /* doubles and 64-bit flags alike: one allocation, carved */
    size_t cells = (ngrid + RB_COST_RATES + 1) * N * cap + (nlane + nflags) * cap;
    double *all = rb_malloc((cells ? cells : 1) * sizeof(double));
    if (!all) return rb_fail(err, RB_ERR_NOMEM, "out of memory for %zu rebalance lanes of %zu assets", cap, N);
    double *next = all;
    for (size_t k = 0; k < ngrid; k++, next += N * cap) *grid[k] = next;
    for (size_t k = 0; k < RB_COST_RATES; k++, next += N * cap) l->bps[k] = next;
    l->in = (int64_t *)next;
    next += N * cap;
    for (size_t k = 0; k < nlane; k++, next += cap) *lane[k] = next;
    for (size_t k = 0; k < nflags; k++, next += cap) *flags[k] = (int64_t *)next;
    return RB_OK;
}

void rb_lanes_release(rb_lanes *l)
{
    free(l->units); /* the start of the one allocation */
    memset(l, 0, sizeof *l);
}

/* A step of rb_lanes_rebalance, inlined into each of its clones (kernel_clones.h), so that
 * its loops over the lanes run at that clone's vector width. */
#define LANE_STEP static inline __attribute__((always_inline))

/* The value of each lane (w) and of each of its holdings (value); flags cleared. */
LANE_STEP void lanes_value(rb_lanes *l, size_t n, const double *price)
{
    const size_t N = l->N, cap = l->cap;
    double *restrict w = l->w, *restrict cash = l->cash;
    int64_t *restrict fallback = l->fallback, *restrict traded = l->traded;
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        w[k] = cash[k];
        traded[k] = 0;
        fallback[k] = 0;
    }
    for (size_t i = 0; i < N; i++) {
        const double p = price[i], *restrict u = l->units + i * cap;
        double *restrict value = l->value + i * cap;
#pragma omp simd
        for (size_t k = 0; k < n; k++) {
            value[k] = u[k] * p;
            w[k] = rb_value_add(w[k], u[k], p);
        }
    }
}

/* The assets in play (in), the sum of their weights (wsum) and the value of the others
 * (fixed); a lane of no value is not live. */
LANE_STEP void lanes_in_play(rb_lanes *l, size_t n)
{
    const size_t N = l->N, cap = l->cap;
    const double *restrict w = l->w;
    double *restrict wsum = l->wsum, *restrict fixed = l->fixed;
    int64_t *restrict live = l->live;
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        live[k] = w[k] > 0;
        fixed[k] = 0;
        wsum[k] = 0;
    }
    for (size_t i = 0; i < N; i++) {
        const double *restrict to = l->to + i * cap, *restrict value = l->value + i * cap;
        int64_t *restrict in = l->in + i * cap;
#pragma omp simd
        for (size_t k = 0; k < n; k++) {
            int64_t play = rb_trade_in_play(to[k], w[k], value[k], RB_ORDER_DUST * w[k]);
            in[k] = play;
            double with = wsum[k] + to[k], without = fixed[k] + value[k];
            wsum[k] = play ? with : wsum[k];
            fixed[k] = play ? fixed[k] : without;
        }
    }
}

/* The solve: x = num / den, accumulated in x (den) over the assets in play. A lane whose
 * set of assets would shrink, or whose solution is not positive, falls back. */
LANE_STEP void lanes_solve(rb_lanes *l, size_t n, int same_rates)
{
    const size_t N = l->N, cap = l->cap;
    const double *restrict w = l->w, *restrict wsum = l->wsum, *restrict fixed = l->fixed;
    double *restrict base = l->base, *restrict num = l->num, *restrict x = l->x;
    int64_t *restrict live = l->live, *restrict fallback = l->fallback;
    const int64_t *restrict cc = l->cash_col;
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        live[k] = live[k] & (wsum[k] != 0);
        base[k] = w[k] - fixed[k];
        num[k] = base[k];
        x[k] = 1; /* den */
    }
    /* a traded asset whose share of base is within dust of what it holds makes the set
     * shrink, which is the general path's work (rb_portfolio_rebalance) */
    for (size_t i = 0; i < N; i++) {
        const double *restrict to = l->to + i * cap, *restrict value = l->value + i * cap;
        const int64_t *restrict in = l->in + i * cap;
        double *restrict share = l->share + i * cap;
#pragma omp simd
        for (size_t k = 0; k < n; k++) {
            double a = rb_trade_share(to[k], wsum[k]);
            share[k] = a;
            int64_t dust = live[k] & in[k] & rb_trade_is_dust(a, base[k], value[k], RB_ORDER_DUST * w[k]);
            fallback[k] |= dust;
            live[k] &= !dust;
        }
    }
    for (size_t i = 0; i < N; i++) {
        const double *restrict share = l->share + i * cap, *restrict value = l->value + i * cap,
                     *restrict rate = l->rate + i * cap, one_rate = l->rate[i];
        const int64_t *restrict in = l->in + i * cap;
        const int64_t col = (int64_t)i;
#pragma omp simd
        for (size_t k = 0; k < n; k++) {
            int64_t use = in[k] & (cc[k] != col);
            rb_solve next = rb_trade_solve_term((rb_solve){num[k], x[k]}, same_rates ? one_rate : rate[k], share[k],
                                                base[k], value[k]);
            num[k] = use ? next.num : num[k];
            x[k] = use ? next.den : x[k];
        }
    }
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        x[k] = num[k] / x[k];
        int64_t no = live[k] & !(x[k] > 0);
        fallback[k] |= no;
        live[k] &= !no;
    }
}

/* The orders; a sign that flips between base and x sends the lane to the general path. */
LANE_STEP void lanes_orders(rb_lanes *l, size_t n, const double *price)
{
    const size_t N = l->N, cap = l->cap;
    const double *restrict base = l->base, *restrict x = l->x;
    int64_t *restrict live = l->live, *restrict fallback = l->fallback;
    const int64_t *restrict cc = l->cash_col;
    for (size_t i = 0; i < N; i++) {
        const double p = price[i], *restrict share = l->share + i * cap, *restrict value = l->value + i * cap,
                     *restrict u = l->units + i * cap;
        const int64_t *restrict in = l->in + i * cap;
        double *restrict order = l->order + i * cap;
        const int64_t col = (int64_t)i;
#pragma omp simd
        for (size_t k = 0; k < n; k++) {
            double a = share[k];
            int64_t flip = in[k] & live[k] & (cc[k] != col) & rb_trade_flips(a, base[k], x[k], value[k]);
            fallback[k] |= flip;
            live[k] &= !flip;
            double o = rb_trade_order(a, x[k], p, u[k]);
            order[k] = in[k] ? o : 0;
        }
    }
}

/* What each order trades and pays: its gross value, fee and slippage (the CASH column pays
 * no costs). */
LANE_STEP void lanes_costs(rb_lanes *l, size_t n, const double *price, int same_rates)
{
    const size_t N = l->N, cap = l->cap;
    const int64_t *restrict cc = l->cash_col;
    for (size_t i = 0; i < N; i++) {
        const double p = price[i], *restrict order = l->order + i * cap;
        const double *restrict bps[RB_COST_RATES];
        rb_rates one; /* same_rates: the rates of every lane */
        for (size_t r = 0; r < RB_COST_RATES; r++) {
            bps[r] = l->bps[r] + i * cap;
            one.bps[r] = l->bps[r][i];
        }
        double *restrict gross = l->gross + i * cap, *restrict fee = l->fee + i * cap, *restrict slip = l->slip + i * cap;
        const int64_t col = (int64_t)i;
#pragma omp simd
        for (size_t k = 0; k < n; k++) {
            double g = fabs(order[k]) * p;
            rb_rates rates;
            for (size_t r = 0; r < RB_COST_RATES; r++) rates.bps[r] = bps[r][k];
            rb_fee_slippage c = rb_trade_rate_costs(g, same_rates ? one : rates);
            int64_t charged = cc[k] != col;
            gross[k] = g;
            fee[k] = charged ? c.fee : 0;
            slip[k] = charged ? c.slippage : 0;
        }
    }
}

/* The trades of one pass (0: sells, 1: buys), in asset order. */
LANE_STEP void lanes_trade_pass(rb_lanes *l, size_t n, int rebalance, int pass)
{
    const size_t N = l->N, cap = l->cap;
    double *restrict cash = l->cash;
    const int64_t *restrict live = l->live;
    int64_t *restrict traded = l->traded;
    for (size_t i = 0; i < N; i++) {
        const double *restrict order = l->order + i * cap, *restrict grosses = l->gross + i * cap,
                     *restrict fee_of = l->fee + i * cap, *restrict slip_of = l->slip + i * cap;
        double *restrict unit = l->units + i * cap, *restrict fees = l->fees, *restrict slippage = l->slippage,
                         *restrict gas = l->gas, *restrict turnover = l->traded_value,
                         *restrict before = l->held + i * cap, *restrict amount = l->amount + i * cap;
#pragma omp simd
        for (size_t k = 0; k < n; k++) {
            double u = order[k];
            /* the scalar skip: u == 0, or the other pass's side (a NaN order is a buy) */
            int64_t go = live[k] & (u != 0) & (pass == 0 ? u < 0 : !(u < 0));
            /* every value computed, then selected: no branch, so the loop vectorizes */
            double gross = grosses[k], fee = fee_of[k], slip = slip_of[k];
            double costs = fee + slip + 0.0; /* no gas on this path */
            double held = unit[k];
            rb_fill fill = rb_trade_fill(u, gross, costs, held, cash[k]);
            if (pass == 0) before[k] = held; /* each asset trades in one pass at most */
            amount[k] = go ? fill.amount : amount[k];
            double fees_after = fees[k] + fee, slippage_after = slippage[k] + slip, gas_after = gas[k] + 0.0,
                   turnover_after = turnover[k] + gross;
            cash[k] = go ? fill.cash : cash[k];
            unit[k] = go ? fill.units : held;
            fees[k] = go ? fees_after : fees[k];
            slippage[k] = go ? slippage_after : slippage[k];
            gas[k] = go ? gas_after : gas[k];
            turnover[k] = go & rebalance ? turnover_after : turnover[k];
            traded[k] |= go;
        }
    }
}

/* The cash settled against the value before the trades; one more rebalance counted. */
LANE_STEP void lanes_settle(rb_lanes *l, size_t n, int rebalance)
{
    const double *restrict w = l->w;
    double *restrict cash = l->cash, *restrict rebalances = l->rebalances;
    const int64_t *restrict live = l->live, *restrict traded = l->traded;
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        double one_more = rebalances[k] + 1;
        cash[k] = live[k] ? rb_trade_settle(cash[k], w[k]) : cash[k];
        rebalances[k] = traded[k] & rebalance ? one_more : rebalances[k];
    }
}

/* The steps of a rebalance, for every lane: value, the assets in play, the closed-form
 * solve, then sells before buys. */
LANE_STEP void lanes_steps(rb_lanes *l, size_t n, const double *price, int rebalance, int same_rates)
{
    lanes_value(l, n, price);
    lanes_in_play(l, n);
    lanes_solve(l, n, same_rates);
    lanes_orders(l, n, price);
    lanes_costs(l, n, price, same_rates);
    for (int pass = 0; pass < 2; pass++) lanes_trade_pass(l, n, rebalance, pass);
    lanes_settle(l, n, rebalance);
}

RB_KERNEL_CLONES
void rb_lanes_rebalance(rb_lanes *l, size_t n, const double *price, int rebalance)
{
    if (l->same_rates) lanes_steps(l, n, price, rebalance, 1);
    else lanes_steps(l, n, price, rebalance, 0);
}

rb_status rb_lanes_lots(const rb_lanes *l, size_t k, rb_lots *lots, rb_realized *year, rb_time t, rb_error *err)
{
    if (!lots || !l->traded[k]) return RB_OK;
    const size_t cap = l->cap;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < l->N; i++) {
            double u = l->order[i * cap + k];
            if (u == 0 || (pass == 0) != (u < 0) || (int64_t)i == l->cash_col[k]) continue;
            double amount = l->amount[i * cap + k];
            rb_realized r;
            rb_status rc;
            if (u < 0) {
                double held = l->held[i * cap + k];
                rc = rb_lots_sell(lots, i, t, -u > held ? held : -u, amount, &r, err);
            } else {
                /* a loss disallowed by this buy (wash sale) counts as a gain of this year */
                rc = rb_lots_buy(lots, i, t, u, amount, &r, err);
            }
            if (rc != RB_OK) return rc;
            year->short_term += r.short_term;
            year->long_term += r.long_term;
        }
    }
    return RB_OK;
}
