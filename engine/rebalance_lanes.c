/* rebalance_lanes.c - the closed-form rebalance over many portfolios at once
 * (rebalance_lanes.h), in trade.h's arithmetic. The lanes go a chunk at a time; within a
 * chunk every loop runs over its lanes with the asset loop outside, so that each lane sees
 * its operations in the order a portfolio of its own would: a branch there is a selection
 * here, and a skipped addition is an addition not taken, never an addition of zero (which
 * could turn -0 into +0). On a machine with AVX-512 the chunks of 8 lanes or more take the
 * same steps written with its intrinsics instead (rebalance_lanes_avx512.c). */
#include "rebalance_lanes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernel_clones.h"
#include "rebalance_lanes_avx512.h"
#include "alloc.h"

/* The arrays of an rb_lanes: asset x lane (N * cap), per lane (cap), and flags (cap). */
#define GRID_ARRAYS(l) \
    {&l->units, &l->to, &l->rate, &l->order, &l->held, &l->amount, &l->value, &l->gross, &l->fee, &l->slip, &l->share}
#define LANE_ARRAYS(l) {&l->cash, &l->fees, &l->slippage, &l->gas, &l->traded_value, &l->rebalances}
#define FLAG_ARRAYS(l) {&l->cash_col, &l->fallback, &l->traded}

/* The doubles (and 64-bit flags) an rb_lanes of N assets and cap lanes takes. */
static size_t lanes_cells(size_t N, size_t cap)
{
    rb_lanes counted, *l = &counted;
    double **grid[] = GRID_ARRAYS(l), **lane[] = LANE_ARRAYS(l);
    int64_t **flags[] = FLAG_ARRAYS(l);
    size_t ngrid = sizeof grid / sizeof grid[0], nlane = sizeof lane / sizeof lane[0],
           nflags = sizeof flags / sizeof flags[0];
    size_t cells = (ngrid + RB_COST_RATES + 1) * N * cap + (nlane + nflags) * cap;
    return cells ? cells : 1;
}

size_t rb_lanes_bytes(size_t N, size_t cap) { return lanes_cells(N, cap) * sizeof(double); }

void rb_lanes_place(rb_lanes *l, size_t N, size_t cap, void *memory)
{
    memset(l, 0, sizeof *l);
    l->N = N;
    l->cap = cap;
    double **grid[] = GRID_ARRAYS(l), **lane[] = LANE_ARRAYS(l);
    int64_t **flags[] = FLAG_ARRAYS(l);
    size_t ngrid = sizeof grid / sizeof grid[0], nlane = sizeof lane / sizeof lane[0],
           nflags = sizeof flags / sizeof flags[0];
    /* doubles and 64-bit flags alike: one region, carved; units first (rb_lanes_release) */
    double *next = memory;
    for (size_t k = 0; k < ngrid; k++, next += N * cap) *grid[k] = next;
    for (size_t k = 0; k < RB_COST_RATES; k++, next += N * cap) l->bps[k] = next;
    l->in = (int64_t *)next;
    next += N * cap;
    for (size_t k = 0; k < nlane; k++, next += cap) *lane[k] = next;
    for (size_t k = 0; k < nflags; k++, next += cap) *flags[k] = (int64_t *)next;
}

rb_status rb_lanes_init(rb_lanes *l, size_t N, size_t cap, rb_error *err)
{
    void *all = rb_malloc(rb_lanes_bytes(N, cap));
    if (!all) {
        memset(l, 0, sizeof *l);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory for %zu rebalance lanes of %zu assets", cap, N);
    }
    rb_lanes_place(l, N, cap, all);
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

/* The lanes are rebalanced LANE_CHUNK at a time, every step for one chunk before the next:
 * a chunk's per-lane values (its value, sums, solution, flags and accounts) are small arrays
 * of its own, at hand (in registers or L1) from the first asset to the last, where arrays of
 * every lane were loaded and stored once per asset. A loop over a chunk's lanes has a
 * constant count: six vectors at AVX2's width, independent of each other, which hides the
 * latency of a lane's chains of additions over the assets. The lanes past the whole
 * chunks go in one chunk of 16 or 8 (the batch pads its lanes to a multiple of 8:
 * lanes_steps), then one at a time, by the same code: every lane sees the same operations
 * in the same order. (Chunks of 32 were as fast as 24 before the fills took one pass
 * (chunk_fills); since, the 1,000-band sweep's simulation is 2 % faster in chunks of 24.) */
#define LANE_CHUNK 24

typedef struct chunk {
    double w[LANE_CHUNK];     /* the lane's value before the trades */
    double wsum[LANE_CHUNK];  /* the sum of the targets in play */
    double fixed[LANE_CHUNK]; /* the value of the assets out of play */
    double base[LANE_CHUNK], num[LANE_CHUNK], x[LANE_CHUNK]; /* the solve (x: den, then x) */
    double cash[LANE_CHUNK];
    int64_t cc[LANE_CHUNK]; /* the CASH column, or -1 */
    int64_t live[LANE_CHUNK], fallback[LANE_CHUNK], traded[LANE_CHUNK];
} chunk;

/* The value of each lane (w) and of each of its holdings (value); flags cleared. */
LANE_STEP void chunk_value(const rb_lanes *l, size_t k0, const size_t W, const double *price, chunk *c)
{
    const size_t N = l->N, cap = l->cap;
    for (size_t k = 0; k < W; k++) {
        c->cash[k] = l->cash[k0 + k];
        c->cc[k] = l->cash_col[k0 + k];
        c->w[k] = c->cash[k];
        c->traded[k] = 0;
        c->fallback[k] = 0;
    }
    for (size_t i = 0; i < N; i++) {
        const double p = price[i], *restrict u = l->units + i * cap + k0;
        double *restrict value = l->value + i * cap + k0;
#pragma omp simd
        for (size_t k = 0; k < W; k++) {
            value[k] = u[k] * p;
            c->w[k] = rb_value_add(c->w[k], u[k], p);
        }
    }
}

/* The assets in play (in), the sum of their weights (wsum) and the value of the others
 * (fixed); a lane of no value is not live. */
LANE_STEP void chunk_in_play(const rb_lanes *l, size_t k0, const size_t W, chunk *c)
{
    const size_t N = l->N, cap = l->cap;
    for (size_t k = 0; k < W; k++) {
        c->live[k] = c->w[k] > 0;
        c->fixed[k] = 0;
        c->wsum[k] = 0;
    }
    for (size_t i = 0; i < N; i++) {
        const double *restrict to = l->to + i * cap + k0, *restrict value = l->value + i * cap + k0;
        int64_t *restrict in = l->in + i * cap + k0;
#pragma omp simd
        for (size_t k = 0; k < W; k++) {
            int64_t play = rb_trade_in_play(to[k], c->w[k], value[k], RB_ORDER_DUST * c->w[k]);
            in[k] = play;
            double with = c->wsum[k] + to[k], without = c->fixed[k] + value[k];
            c->wsum[k] = play ? with : c->wsum[k];
            c->fixed[k] = play ? c->fixed[k] : without;
        }
    }
}

/* How chunk_share_row divides: each lane its target by its sum (SHARE_EACH); not at all,
 * every lane's sum being 1 (SHARE_TARGET: rb_trade_share is the target itself); or once
 * for the chunk, whose lanes trade to the same weights (rb_lanes.same_to) with the same
 * sum (SHARE_UNIFORM: a sum is never -0, so equal sums are equal bits, and the quotient is
 * the one each lane would compute). */
enum { SHARE_EACH, SHARE_TARGET, SHARE_UNIFORM };

/* Each lane's share of asset i (rb_trade_share) into share's row i. */
LANE_STEP void chunk_share_row(const rb_lanes *l, size_t k0, const size_t W, size_t i, int how, const chunk *c)
{
    const double *restrict to = l->to + i * l->cap + k0;
    double *restrict share = l->share + i * l->cap + k0;
    if (how == SHARE_UNIFORM) {
        const double a = rb_trade_share(to[0], c->wsum[0]);
        for (size_t k = 0; k < W; k++) share[k] = a;
    } else if (how == SHARE_TARGET) {
        for (size_t k = 0; k < W; k++) share[k] = to[k];
    } else {
#pragma omp simd
        for (size_t k = 0; k < W; k++) share[k] = rb_trade_share(to[k], c->wsum[k]);
    }
}

/* The solve: x = num / den, accumulated in x (den) over the assets in play. A lane whose
 * set of assets would shrink, or whose solution is not positive, falls back. A lane's dust
 * tests and its terms of num and den do not depend on each other: one pass over the assets
 * takes both, each in asset order. */
LANE_STEP void chunk_solve(const rb_lanes *l, size_t k0, const size_t W, int same_rates, chunk *c)
{
    const size_t N = l->N, cap = l->cap;
    int64_t same_sum = 1, all_one = 1;
    for (size_t k = 0; k < W; k++) {
        c->live[k] = c->live[k] & (c->wsum[k] != 0);
        c->base[k] = c->w[k] - c->fixed[k];
        c->num[k] = c->base[k];
        c->x[k] = 1; /* den */
        same_sum &= c->wsum[k] == c->wsum[0];
        all_one &= c->wsum[k] == 1;
    }
    int how = l->same_to && same_sum ? SHARE_UNIFORM : all_one ? SHARE_TARGET : SHARE_EACH;
    /* a traded asset whose share of base is within dust of what it holds makes the set
     * shrink, which is the general path's work (rb_portfolio_rebalance) */
    for (size_t i = 0; i < N; i++) {
        chunk_share_row(l, k0, W, i, how, c);
        const double *restrict share = l->share + i * cap + k0, *restrict value = l->value + i * cap + k0,
                     *restrict rate = l->rate + i * cap + k0, one_rate = l->rate[i];
        const int64_t *restrict in = l->in + i * cap + k0;
        const int64_t col = (int64_t)i;
#pragma omp simd
        for (size_t k = 0; k < W; k++) {
            double a = share[k];
            int64_t dust = c->live[k] & in[k] & rb_trade_is_dust(a, c->base[k], value[k], RB_ORDER_DUST * c->w[k]);
            c->fallback[k] |= dust;
            c->live[k] &= !dust;
            int64_t use = in[k] & (c->cc[k] != col);
            rb_solve next = rb_trade_solve_term((rb_solve){c->num[k], c->x[k]}, same_rates ? one_rate : rate[k], a,
                                                c->base[k], value[k]);
            c->num[k] = use ? next.num : c->num[k];
            c->x[k] = use ? next.den : c->x[k];
        }
    }
    for (size_t k = 0; k < W; k++) {
        c->x[k] = c->num[k] / c->x[k];
        int64_t no = c->live[k] & !(c->x[k] > 0);
        c->fallback[k] |= no;
        c->live[k] &= !no;
    }
}

/* Asset i's orders, the units held before them (held), and what each trades and pays: its
 * gross value, fee and slippage (the CASH column pays no costs). A sign that flips between
 * base and x sends the lane to the general path. zero: the rates that are 0 in every lane
 * (same_rates), a bit each (rb_trade_rate_costs_known), a constant in each copy. */
LANE_STEP void chunk_order_row(const rb_lanes *l, size_t k0, const size_t W, size_t i, double p, int same_rates,
                               unsigned zero, chunk *c)
{
    const size_t cap = l->cap, at = i * cap + k0;
    const double *restrict share = l->share + at, *restrict value = l->value + at, *restrict u = l->units + at;
    const int64_t *restrict in = l->in + at;
    double *restrict order = l->order + at, *restrict held = l->held + at;
    const double *restrict bps[RB_COST_RATES];
    rb_rates one; /* same_rates: the rates of every lane */
    for (size_t r = 0; r < RB_COST_RATES; r++) {
        bps[r] = l->bps[r] + at;
        one.bps[r] = l->bps[r][i];
    }
    double *restrict gross = l->gross + at, *restrict fee = l->fee + at, *restrict slip = l->slip + at;
    const int64_t col = (int64_t)i;
#pragma omp simd
    for (size_t k = 0; k < W; k++) {
        double a = share[k];
        int64_t charged = c->cc[k] != col;
        int64_t flip = in[k] & c->live[k] & charged & rb_trade_flips(a, c->base[k], c->x[k], value[k]);
        c->fallback[k] |= flip;
        c->live[k] &= !flip;
        double o = rb_trade_order(a, c->x[k], p, u[k]);
        o = in[k] ? o : 0;
        order[k] = o;
        held[k] = u[k]; /* each asset trades in one pass at most: what it holds before */
        double g = fabs(o) * p;
        /* written without a loop over the rates: a local of this loop indexed by a variable
         * would become an array per lane (omp simd), and the loop would not vectorize */
        rb_rates rates = {{bps[0][k], bps[1][k], bps[2][k]}};
        rb_fee_slippage cost = rb_trade_rate_costs_known(g, same_rates ? one : rates, zero);
        gross[k] = g;
        fee[k] = charged ? cost.fee : 0;
        slip[k] = charged ? cost.slippage : 0;
    }
}

/* The orders and their costs, asset by asset; with the same rates in every lane, the copy
 * of the loop that leaves out the divisions of the rates that are 0 for this asset. */
LANE_STEP void chunk_orders(const rb_lanes *l, size_t k0, const size_t W, const double *price, int same_rates,
                            chunk *c)
{
    _Static_assert(RB_COST_RATES == 3, "one case per subset of the rates below");
    for (size_t i = 0; i < l->N; i++) {
        const double p = price[i];
        if (!same_rates || W == 1) {
            chunk_order_row(l, k0, W, i, p, same_rates, 0, c);
            continue;
        }
        unsigned zero = 0;
        for (size_t r = 0; r < RB_COST_RATES; r++) zero |= (unsigned)(l->bps[r][i] == 0) << r;
#define ZERO_CASE(z) \
    case z: chunk_order_row(l, k0, W, i, p, 1, z, c); break;
        switch (zero) {
            ZERO_CASE(0) ZERO_CASE(1) ZERO_CASE(2) ZERO_CASE(3) ZERO_CASE(4) ZERO_CASE(5) ZERO_CASE(6) ZERO_CASE(7)
        }
#undef ZERO_CASE
    }
}

/* A chunk's accounts while it trades. */
typedef struct accounts {
    double fees[LANE_CHUNK], slippage[LANE_CHUNK], turnover[LANE_CHUNK];
} accounts;

/* The fills of every order, and the sales' part of the running accounts, in asset order:
 * an order's units and amount do not depend on the cash, so both sides are filled in one
 * pass; the buys' part of the cash and the accounts follows (chunk_buys). */
LANE_STEP void chunk_fills(const rb_lanes *l, size_t k0, const size_t W, int rebalance, chunk *c,
                           accounts *a)
{
    const size_t N = l->N, cap = l->cap;
    for (size_t i = 0; i < N; i++) {
        const size_t at = i * cap + k0;
        const double *restrict order = l->order + at, *restrict grosses = l->gross + at, *restrict fee_of = l->fee + at,
                     *restrict slip_of = l->slip + at;
        double *restrict unit = l->units + at, *restrict amount = l->amount + at;
#pragma omp simd
        for (size_t k = 0; k < W; k++) {
            double u = order[k];
            /* the scalar skip: u == 0 (a NaN order is a buy) */
            int64_t go = c->live[k] & (u != 0), sell = go & (u < 0);
            double gross = grosses[k], fee = fee_of[k], slip = slip_of[k];
            double costs = fee + slip + 0.0; /* no gas on this path */
            double held = unit[k];
            rb_fill fill = rb_trade_fill(u, gross, costs, held, c->cash[k]);
            amount[k] = go ? fill.amount : amount[k];
            unit[k] = go ? fill.units : held;
            double fees_after = a->fees[k] + fee, slippage_after = a->slippage[k] + slip,
                   turnover_after = a->turnover[k] + gross;
            c->cash[k] = sell ? fill.cash : c->cash[k];
            a->fees[k] = sell ? fees_after : a->fees[k];
            a->slippage[k] = sell ? slippage_after : a->slippage[k];
            a->turnover[k] = (sell & rebalance) ? turnover_after : a->turnover[k];
            c->traded[k] |= go;
        }
    }
}

/* The buys' part of the cash and the accounts, in asset order after the sales': what each
 * buy cost (its amount, filled by chunk_fills) paid from the cash. */
LANE_STEP void chunk_buys(const rb_lanes *l, size_t k0, const size_t W, int rebalance, chunk *c, accounts *a)
{
    const size_t N = l->N, cap = l->cap;
    for (size_t i = 0; i < N; i++) {
        const size_t at = i * cap + k0;
        const double *restrict order = l->order + at, *restrict grosses = l->gross + at, *restrict fee_of = l->fee + at,
                     *restrict slip_of = l->slip + at, *restrict amount = l->amount + at;
#pragma omp simd
        for (size_t k = 0; k < W; k++) {
            double u = order[k];
            int64_t buy = c->live[k] & (u != 0) & !(u < 0);
            double fees_after = a->fees[k] + fee_of[k], slippage_after = a->slippage[k] + slip_of[k],
                   turnover_after = a->turnover[k] + grosses[k], cash_after = c->cash[k] - amount[k];
            c->cash[k] = buy ? cash_after : c->cash[k];
            a->fees[k] = buy ? fees_after : a->fees[k];
            a->slippage[k] = buy ? slippage_after : a->slippage[k];
            a->turnover[k] = (buy & rebalance) ? turnover_after : a->turnover[k];
        }
    }
}

/* The fills, the sales' and then the buys' part of the cash and the accounts, then the cash
 * settled against the value before the trades, one more rebalance counted; and the chunk's
 * lanes written back. Each executed order added 0 to gas (no gas on this path), which
 * matters only to a gas of -0: once is as many times. */
LANE_STEP void chunk_trades(rb_lanes *l, size_t k0, const size_t W, int rebalance, chunk *c)
{
    accounts a;
    for (size_t k = 0; k < W; k++) {
        a.fees[k] = l->fees[k0 + k];
        a.slippage[k] = l->slippage[k0 + k];
        a.turnover[k] = l->traded_value[k0 + k];
    }
    chunk_fills(l, k0, W, rebalance, c, &a);
    chunk_buys(l, k0, W, rebalance, c, &a);
    double *restrict cash = l->cash + k0, *restrict gas = l->gas + k0, *restrict rebalances = l->rebalances + k0,
                     *restrict fees = l->fees + k0, *restrict slippage = l->slippage + k0,
                     *restrict turnover = l->traded_value + k0;
    int64_t *restrict fallback = l->fallback + k0, *restrict traded = l->traded + k0;
#pragma omp simd
    for (size_t k = 0; k < W; k++) {
        double gas_after = gas[k] + 0.0, one_more = rebalances[k] + 1;
        cash[k] = c->live[k] ? rb_trade_settle(c->cash[k], c->w[k]) : c->cash[k];
        gas[k] = c->traded[k] ? gas_after : gas[k];
        rebalances[k] = c->traded[k] & rebalance ? one_more : rebalances[k];
        fees[k] = a.fees[k];
        slippage[k] = a.slippage[k];
        turnover[k] = a.turnover[k];
        fallback[k] = c->fallback[k];
        traded[k] = c->traded[k];
    }
}

/* The steps of a rebalance, for the W lanes from k0: value, the assets in play, the
 * closed-form solve, the orders, then sells before buys. */
LANE_STEP void lanes_chunk(rb_lanes *l, size_t k0, const size_t W, const double *price, int rebalance,
                           int same_rates)
{
    chunk c;
    chunk_value(l, k0, W, price, &c);
    chunk_in_play(l, k0, W, &c);
    chunk_solve(l, k0, W, same_rates, &c);
    chunk_orders(l, k0, W, price, same_rates, &c);
    chunk_trades(l, k0, W, rebalance, &c);
}

/* The W lanes from k0, W 8, 16 or 24: on a machine with AVX-512 (this is then its clone), by
 * its intrinsics, each vector of 8 lanes' running values in registers from the first asset
 * to the last (rebalance_lanes_avx512.c: the 1,000-band sweep's simulation some 7 %
 * faster); elsewhere by the steps above. */
LANE_STEP void lanes_part(rb_lanes *l, size_t k0, const size_t W, const double *price, int rebalance, int same_rates)
{
#if RB_KERNEL_INTRINSICS
    if (rb_kernel_avx512()) {
        rb_lanes_rebalance_avx512(l, k0, W, price, rebalance);
        return;
    }
#endif
    lanes_chunk(l, k0, W, price, rebalance, same_rates);
}

/* The lanes a chunk at a time: chunks of LANE_CHUNK, then one of the 16 or 8 left (the batch
 * pads its lanes to a multiple of 8), then one lane at a time. */
LANE_STEP void lanes_steps(rb_lanes *l, size_t n, const double *price, int rebalance, int same_rates)
{
    _Static_assert(LANE_CHUNK == 24, "the chunks left after the whole ones below");
    size_t k0 = 0;
    for (; k0 + LANE_CHUNK <= n; k0 += LANE_CHUNK) lanes_part(l, k0, LANE_CHUNK, price, rebalance, same_rates);
    if (k0 + 16 <= n) {
        lanes_part(l, k0, 16, price, rebalance, same_rates);
        k0 += 16;
    } else if (k0 + 8 <= n) {
        lanes_part(l, k0, 8, price, rebalance, same_rates);
        k0 += 8;
    }
    for (; k0 < n; k0++) lanes_chunk(l, k0, 1, price, rebalance, same_rates);
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
    return rb_lots_orders(lots, l->N, l->order + k, l->amount + k, l->held + k, l->cap, l->cash_col[k], t, year, err);
}
