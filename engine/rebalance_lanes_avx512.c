/* rebalance_lanes_avx512.c - rb_lanes_rebalance's steps for 8 lanes at a time in AVX-512's
 * registers (rebalance_lanes_avx512.h): the portable steps (rebalance_lanes.c) keep a
 * chunk's running values (its value, sums, solution, flags, cash and accounts) in small
 * arrays, loaded and stored again for every asset of every step; here they stay in
 * registers from the first asset to the last, and a selection of a sum is one masked
 * addition. Every lane sees the operations of trade.h in the order the portable steps
 * take them, so the two agree to the bit (tests/test_lanes.c holds the chunks of 8 to 24
 * lanes to the scalar rebalance). The rows of the rb_lanes (value, in, share, order, held,
 * gross, fee, slip, amount, units) are written as the portable steps write them. */
#include "rebalance_lanes_avx512.h"

#if RB_KERNEL_INTRINSICS
#include <immintrin.h>

#define STEP RB_KERNEL_AVX512 static inline __attribute__((always_inline))

/* One vector of 8 lanes' running values. */
typedef struct run8 {
    __m512d w;     /* the value before the trades */
    __m512d floor; /* RB_ORDER_DUST of it: the dust of an order and of a gap to target */
    __m512d wsum, fixed, base, num, x; /* the solve (x: den, then x) */
    __m512d cash, fees, slippage, turnover;
    __m512i cc; /* the CASH column, or -1 */
    __mmask8 live, fallback, traded;
} run8;

/* The rows of 8 lanes from k0 (each asset's at i * cap), and the lanes' per-lane arrays from
 * k0, read once: the stores of the steps could otherwise be the rb_lanes' own pointers to the
 * compiler (an intrinsic's store may alias anything), which it then loaded again for every
 * asset. */
typedef struct rows8 {
    size_t N, cap;
    int same_to;
    double *units, *value, *share, *order, *held, *amount, *gross, *fee, *slip;
    const double *to, *rate, *bps[RB_COST_RATES];
    const double *one_rate, *one_bps[RB_COST_RATES]; /* same_rates: each asset's, in every lane */
    int64_t *in;
} rows8;

STEP rows8 rows_at(const rb_lanes *l, size_t k0)
{
    rows8 g = {.N = l->N, .cap = l->cap, .same_to = l->same_to, .units = l->units + k0, .value = l->value + k0,
               .share = l->share + k0, .order = l->order + k0, .held = l->held + k0, .amount = l->amount + k0,
               .gross = l->gross + k0, .fee = l->fee + k0, .slip = l->slip + k0, .to = l->to + k0,
               .rate = l->rate + k0, .one_rate = l->rate, .in = l->in + k0};
    for (size_t k = 0; k < RB_COST_RATES; k++) {
        g.bps[k] = l->bps[k] + k0;
        g.one_bps[k] = l->bps[k];
    }
    return g;
}

STEP __m512d zeros(void) { return _mm512_setzero_pd(); }

/* q > 0 ? 1 : q < 0 ? -1 : 0 (rb_trade_solve_term's sign; 0 for NaN) */
STEP __m512d sign_of(__m512d q)
{
    __m512d s = _mm512_mask_mov_pd(zeros(), _mm512_cmp_pd_mask(q, zeros(), _CMP_LT_OQ), _mm512_set1_pd(-1));
    return _mm512_mask_mov_pd(s, _mm512_cmp_pd_mask(q, zeros(), _CMP_GT_OQ), _mm512_set1_pd(1));
}

/* the 0/1 flags of a mask, as the portable steps store them */
STEP __m512i flags_of(__mmask8 m) { return _mm512_maskz_mov_epi64(m, _mm512_set1_epi64(1)); }

/* The assets in play of a row (in_play8 stored them as 0/1 flags). */
STEP __mmask8 in_play_at(const rows8 *g, size_t at)
{
    __m512i flags = _mm512_loadu_si512(g->in + at);
    return _mm512_test_epi64_mask(flags, flags);
}

/* chunk_value: each holding's value, and the lane's. */
STEP void value8(const rb_lanes *l, size_t k0, const rows8 *g, const double *price, run8 *r)
{
    const size_t N = g->N, cap = g->cap;
    r->cash = _mm512_loadu_pd(l->cash + k0);
    r->cc = _mm512_loadu_si512(l->cash_col + k0);
    r->w = r->cash;
    r->traded = 0;
    r->fallback = 0;
    for (size_t i = 0; i < N; i++) {
        const size_t at = i * cap;
        __m512d v = _mm512_mul_pd(_mm512_loadu_pd(g->units + at), _mm512_set1_pd(price[i]));
        _mm512_storeu_pd(g->value + at, v);
        r->w = _mm512_add_pd(r->w, v); /* rb_value_add */
    }
}

/* chunk_in_play: the assets in play, the sum of their targets, the value of the others. */
STEP void in_play8(const rows8 *g, run8 *r)
{
    const size_t N = g->N, cap = g->cap;
    r->live = _mm512_cmp_pd_mask(r->w, zeros(), _CMP_GT_OQ);
    r->floor = _mm512_mul_pd(_mm512_set1_pd(RB_ORDER_DUST), r->w);
    r->wsum = zeros();
    r->fixed = zeros();
    for (size_t i = 0; i < N; i++) {
        const size_t at = i * cap;
        __m512d to = _mm512_loadu_pd(g->to + at), v = _mm512_loadu_pd(g->value + at);
        __m512d gap = _mm512_abs_pd(_mm512_sub_pd(_mm512_mul_pd(to, r->w), v)); /* rb_trade_in_play */
        __mmask8 play = _mm512_cmp_pd_mask(gap, r->floor, _CMP_GE_OQ);
        _mm512_storeu_si512(g->in + at, flags_of(play));
        r->wsum = _mm512_mask_add_pd(r->wsum, play, r->wsum, to);
        r->fixed = _mm512_mask_add_pd(r->fixed, (__mmask8)~play, r->fixed, v);
    }
}

/* How the shares are divided (chunk_share_row): each lane its own, the target itself (every
 * sum 1), or one division for the 8 lanes (the same `to` and the same sum). Each gives every
 * lane rb_trade_share's value. */
enum { SHARE8_EACH, SHARE8_TARGET, SHARE8_UNIFORM };

STEP __m512d share8(const rows8 *g, size_t at, int how, __m512d wsum)
{
    const double *to = g->to + at;
    if (how == SHARE8_UNIFORM) return _mm512_set1_pd(rb_trade_share(to[0], _mm512_cvtsd_f64(wsum)));
    __m512d t = _mm512_loadu_pd(to);
    if (how == SHARE8_TARGET) return t;
    __mmask8 one = _mm512_cmp_pd_mask(wsum, _mm512_set1_pd(1), _CMP_EQ_OQ);
    return _mm512_mask_mov_pd(_mm512_div_pd(t, wsum), one, t);
}

/* chunk_solve: the dust tests and the terms of num and den in one pass over the assets, then
 * x = num / den; a lane whose set would shrink, or whose x is not positive, falls back. */
STEP void solve8(const rows8 *g, int same_rates, run8 *r)
{
    const size_t N = g->N, cap = g->cap;
    r->live &= _mm512_cmp_pd_mask(r->wsum, zeros(), _CMP_NEQ_UQ);
    r->base = _mm512_sub_pd(r->w, r->fixed);
    r->num = r->base;
    r->x = _mm512_set1_pd(1); /* den */
    __mmask8 same_sum = _mm512_cmp_pd_mask(r->wsum, _mm512_set1_pd(_mm512_cvtsd_f64(r->wsum)), _CMP_EQ_OQ);
    __mmask8 all_one = _mm512_cmp_pd_mask(r->wsum, _mm512_set1_pd(1), _CMP_EQ_OQ);
    int how = g->same_to && same_sum == 0xff ? SHARE8_UNIFORM : all_one == 0xff ? SHARE8_TARGET : SHARE8_EACH;
    for (size_t i = 0; i < N; i++) {
        const size_t at = i * cap;
        __m512d a = share8(g, at, how, r->wsum), v = _mm512_loadu_pd(g->value + at);
        _mm512_storeu_pd(g->share + at, a);
        __mmask8 in = in_play_at(g, at);
        __m512d q = _mm512_sub_pd(_mm512_mul_pd(a, r->base), v); /* a * base - value */
        /* rb_trade_is_dust */
        __mmask8 dust = r->live & in & _mm512_cmp_pd_mask(_mm512_abs_pd(q), r->floor, _CMP_LT_OQ);
        r->fallback |= dust;
        r->live &= (__mmask8)~dust;
        __mmask8 use = in & _mm512_cmpneq_epi64_mask(r->cc, _mm512_set1_epi64((int64_t)i));
        __m512d rate = same_rates ? _mm512_set1_pd(g->one_rate[i]) : _mm512_loadu_pd(g->rate + at);
        __m512d rs = _mm512_mul_pd(rate, sign_of(q)); /* rb_trade_solve_term */
        r->num = _mm512_mask_add_pd(r->num, use, r->num, _mm512_mul_pd(rs, v));
        r->x = _mm512_mask_add_pd(r->x, use, r->x, _mm512_mul_pd(rs, a));
    }
    r->x = _mm512_div_pd(r->num, r->x);
    __mmask8 no = r->live & (__mmask8)~_mm512_cmp_pd_mask(r->x, zeros(), _CMP_GT_OQ);
    r->fallback |= no;
    r->live &= (__mmask8)~no;
}

/* An order's fee and slippage at its traded value g (rb_trade_rate_costs_known): bps the
 * rates, zero the bits of those that are 0 in every lane (their divisions left out). */
STEP void costs8(__m512d g, const __m512d bps[RB_COST_RATES], unsigned zero, __m512d *fee, __m512d *slip)
{
    *fee = _mm512_set1_pd(-0.0);
    *slip = _mm512_set1_pd(-0.0);
    for (size_t k = 0; k < RB_COST_RATES; k++) {
        __m512d x = _mm512_mul_pd(g, bps[k]);
        if (!(zero >> k & 1)) {
            /* x / divisor / RB_BPS: a divisor of 1 divides exactly, as nothing */
            if (rb_cost_settings[k].divisor != 1.0) x = _mm512_div_pd(x, _mm512_set1_pd(rb_cost_settings[k].divisor));
            x = _mm512_div_pd(x, _mm512_set1_pd(RB_BPS));
        }
        if (rb_cost_settings[k].role == RB_COST_RATE_FEE) *fee = _mm512_add_pd(*fee, x);
        else *slip = _mm512_add_pd(*slip, x);
    }
}

/* chunk_orders: each asset's orders, the units held before them, and what each trades and
 * pays; a sign that flips between base and x sends the lane to the general path. */
STEP void orders8(const rows8 *g, const double *price, int same_rates, run8 *r)
{
    const size_t N = g->N, cap = g->cap;
    for (size_t i = 0; i < N; i++) {
        const size_t at = i * cap;
        const __m512d p = _mm512_set1_pd(price[i]), a = _mm512_loadu_pd(g->share + at),
                      v = _mm512_loadu_pd(g->value + at), u = _mm512_loadu_pd(g->units + at);
        __mmask8 in = in_play_at(g, at);
        __mmask8 charged = _mm512_cmpneq_epi64_mask(r->cc, _mm512_set1_epi64((int64_t)i));
        /* rb_trade_flips */
        __m512d before = _mm512_sub_pd(_mm512_mul_pd(a, r->base), v), ax = _mm512_mul_pd(a, r->x),
                after = _mm512_sub_pd(ax, v);
        __mmask8 up = _mm512_cmp_pd_mask(before, zeros(), _CMP_GT_OQ) & _mm512_cmp_pd_mask(after, zeros(), _CMP_LT_OQ),
                 down = _mm512_cmp_pd_mask(before, zeros(), _CMP_LT_OQ) & _mm512_cmp_pd_mask(after, zeros(), _CMP_GT_OQ);
        __mmask8 flip = in & r->live & charged & (up | down);
        r->fallback |= flip;
        r->live &= (__mmask8)~flip;
        /* rb_trade_order, 0 out of play */
        __m512d o = _mm512_maskz_mov_pd(in, _mm512_sub_pd(_mm512_div_pd(ax, p), u));
        _mm512_storeu_pd(g->order + at, o);
        _mm512_storeu_pd(g->held + at, u);
        __m512d gross = _mm512_mul_pd(_mm512_abs_pd(o), p), bps[RB_COST_RATES], fee, slip;
        unsigned zero = 0;
        for (size_t k = 0; k < RB_COST_RATES; k++) {
            bps[k] = same_rates ? _mm512_set1_pd(g->one_bps[k][i]) : _mm512_loadu_pd(g->bps[k] + at);
            /* as chunk_orders: the rates 0 in every lane, known where they are the same */
            if (same_rates) zero |= (unsigned)(g->one_bps[k][i] == 0) << k;
        }
        costs8(gross, bps, zero, &fee, &slip);
        _mm512_storeu_pd(g->gross + at, gross);
        _mm512_storeu_pd(g->fee + at, _mm512_maskz_mov_pd(charged, fee));
        _mm512_storeu_pd(g->slip + at, _mm512_maskz_mov_pd(charged, slip));
    }
}

/* chunk_fills: every order's fill, and the sales' part of the cash and the accounts. */
STEP void fills8(const rows8 *g, __mmask8 rebalance, run8 *r)
{
    const size_t N = g->N, cap = g->cap;
    for (size_t i = 0; i < N; i++) {
        const size_t at = i * cap;
        const __m512d u = _mm512_loadu_pd(g->order + at), gross = _mm512_loadu_pd(g->gross + at),
                      fee = _mm512_loadu_pd(g->fee + at), slip = _mm512_loadu_pd(g->slip + at),
                      held = _mm512_loadu_pd(g->units + at);
        __mmask8 sells = _mm512_cmp_pd_mask(u, zeros(), _CMP_LT_OQ),
                 go = r->live & _mm512_cmp_pd_mask(u, zeros(), _CMP_NEQ_UQ), sell = go & sells;
        /* rb_trade_fill */
        __m512d costs = _mm512_add_pd(_mm512_add_pd(fee, slip), zeros()); /* no gas on this path */
        __m512d got = _mm512_sub_pd(gross, costs), paid = _mm512_add_pd(gross, costs), now = _mm512_add_pd(held, u);
        __mmask8 none = _mm512_cmp_pd_mask(now, zeros(), _CMP_LT_OQ) |
                        _mm512_cmp_pd_mask(now, _mm512_mul_pd(_mm512_set1_pd(1e-12), held), _CMP_LT_OQ);
        __m512d units = _mm512_mask_mov_pd(now, sells, _mm512_maskz_mov_pd((__mmask8)~none, now));
        __m512d amount = _mm512_mask_mov_pd(paid, sells, got);
        _mm512_mask_storeu_pd(g->amount + at, go, amount);
        _mm512_storeu_pd(g->units + at, _mm512_mask_mov_pd(held, go, units));
        r->cash = _mm512_mask_add_pd(r->cash, sell, r->cash, got);
        r->fees = _mm512_mask_add_pd(r->fees, sell, r->fees, fee);
        r->slippage = _mm512_mask_add_pd(r->slippage, sell, r->slippage, slip);
        r->turnover = _mm512_mask_add_pd(r->turnover, sell & rebalance, r->turnover, gross);
        r->traded |= go;
    }
}

/* chunk_buys: what each buy cost paid from the cash, in asset order after the sales. */
STEP void buys8(const rows8 *g, __mmask8 rebalance, run8 *r)
{
    const size_t N = g->N, cap = g->cap;
    for (size_t i = 0; i < N; i++) {
        const size_t at = i * cap;
        const __m512d u = _mm512_loadu_pd(g->order + at);
        __mmask8 buy = r->live & _mm512_cmp_pd_mask(u, zeros(), _CMP_NEQ_UQ) &
                       (__mmask8)~_mm512_cmp_pd_mask(u, zeros(), _CMP_LT_OQ);
        r->cash = _mm512_mask_sub_pd(r->cash, buy, r->cash, _mm512_loadu_pd(g->amount + at));
        r->fees = _mm512_mask_add_pd(r->fees, buy, r->fees, _mm512_loadu_pd(g->fee + at));
        r->slippage = _mm512_mask_add_pd(r->slippage, buy, r->slippage, _mm512_loadu_pd(g->slip + at));
        r->turnover = _mm512_mask_add_pd(r->turnover, buy & rebalance, r->turnover, _mm512_loadu_pd(g->gross + at));
    }
}

/* chunk_trades: the fills, the sales' and then the buys' part of the cash and the accounts,
 * the cash settled (rb_trade_settle), one more rebalance counted, the lanes written back. */
STEP void trades8(rb_lanes *l, size_t k0, const rows8 *g, int rebalance, run8 *r)
{
    __mmask8 rebalancing = rebalance ? 0xff : 0;
    r->fees = _mm512_loadu_pd(l->fees + k0);
    r->slippage = _mm512_loadu_pd(l->slippage + k0);
    r->turnover = _mm512_loadu_pd(l->traded_value + k0);
    fills8(g, rebalancing, r);
    buys8(g, rebalancing, r);
    __m512d positive = _mm512_mask_mov_pd(_mm512_set1_pd(1), _mm512_cmp_pd_mask(r->w, zeros(), _CMP_GT_OQ), r->w);
    __mmask8 settles = _mm512_cmp_pd_mask(r->cash, zeros(), _CMP_LT_OQ) &
                       _mm512_cmp_pd_mask(r->cash, _mm512_mul_pd(_mm512_set1_pd(-RB_ORDER_DUST), positive), _CMP_GT_OQ);
    __m512d settled = _mm512_maskz_mov_pd((__mmask8)~settles, r->cash);
    _mm512_storeu_pd(l->cash + k0, _mm512_mask_mov_pd(r->cash, r->live, settled));
    __m512d gas = _mm512_loadu_pd(l->gas + k0), count = _mm512_loadu_pd(l->rebalances + k0);
    _mm512_storeu_pd(l->gas + k0, _mm512_mask_add_pd(gas, r->traded, gas, zeros()));
    _mm512_storeu_pd(l->rebalances + k0,
                     _mm512_mask_add_pd(count, r->traded & rebalancing, count, _mm512_set1_pd(1)));
    _mm512_storeu_pd(l->fees + k0, r->fees);
    _mm512_storeu_pd(l->slippage + k0, r->slippage);
    _mm512_storeu_pd(l->traded_value + k0, r->turnover);
    _mm512_storeu_si512(l->fallback + k0, flags_of(r->fallback));
    _mm512_storeu_si512(l->traded + k0, flags_of(r->traded));
}

/* The V vectors of 8 lanes from k0 step by step, each step for every vector before the next
 * step: the vectors are independent, so one's chain of additions over the assets runs while
 * the next one's loop issues. */
STEP void lanes_vectors(rb_lanes *l, size_t k0, const size_t V, const double *price, int rebalance, int same_rates)
{
    rows8 g[3];
    run8 r[3];
#pragma GCC unroll 3
    for (size_t v = 0; v < V; v++) g[v] = rows_at(l, k0 + 8 * v);
#pragma GCC unroll 3
    for (size_t v = 0; v < V; v++) value8(l, k0 + 8 * v, &g[v], price, &r[v]);
#pragma GCC unroll 3
    for (size_t v = 0; v < V; v++) in_play8(&g[v], &r[v]);
#pragma GCC unroll 3
    for (size_t v = 0; v < V; v++) solve8(&g[v], same_rates, &r[v]);
#pragma GCC unroll 3
    for (size_t v = 0; v < V; v++) orders8(&g[v], price, same_rates, &r[v]);
#pragma GCC unroll 3
    for (size_t v = 0; v < V; v++) trades8(l, k0 + 8 * v, &g[v], rebalance, &r[v]);
}

STEP void lanes_rates(rb_lanes *l, size_t k0, const size_t V, const double *price, int rebalance)
{
    if (l->same_rates) lanes_vectors(l, k0, V, price, rebalance, 1);
    else lanes_vectors(l, k0, V, price, rebalance, 0);
}

RB_KERNEL_AVX512 void rb_lanes_rebalance_avx512(rb_lanes *l, size_t k0, size_t W, const double *price, int rebalance)
{
    if (W == 24) lanes_rates(l, k0, 3, price, rebalance);
    else if (W == 16) lanes_rates(l, k0, 2, price, rebalance);
    else lanes_rates(l, k0, 1, price, rebalance);
}
#endif
