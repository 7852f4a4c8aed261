/* rebalance_lanes.c - rb_rebalance_proportional over many portfolios at once
 * (rebalance_lanes.h). Every loop runs over the lanes with the asset loop outside, so that
 * each lane sees its operations in the order the scalar function performs them: a branch
 * there is a selection here, and a skipped addition is an addition not taken, never an
 * addition of zero (which could turn -0 into +0). */
#include "rebalance_lanes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernel_clones.h"
#include "lots.h"
#include "portfolio.h"

rb_status rb_lanes_init(rb_lanes *l, size_t N, size_t cap, rb_error *err)
{
    memset(l, 0, sizeof *l);
    l->N = N;
    l->cap = cap;
    double **grid[] = {&l->units, &l->to,    &l->rate, &l->fee_bps, &l->slippage_bps, &l->spread_bps,
                       &l->value, &l->order, &l->held, &l->amount};
    double **lane[] = {&l->cash, &l->fees, &l->slippage, &l->gas, &l->traded_value, &l->rebalances,
                       &l->w,    &l->base, &l->wsum,     &l->fixed, &l->num, &l->x};
    int ok = 1;
    for (size_t k = 0; k < sizeof grid / sizeof grid[0]; k++) ok &= (*grid[k] = malloc(N * cap * sizeof(double))) != NULL;
    for (size_t k = 0; k < sizeof lane / sizeof lane[0]; k++) ok &= (*lane[k] = malloc(cap * sizeof(double))) != NULL;
    ok &= (l->in = malloc(N * cap * sizeof *l->in)) != NULL;
    int64_t **flags[] = {&l->cash_col, &l->fallback, &l->traded, &l->live};
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) ok &= (*flags[k] = malloc(cap * sizeof(int64_t))) != NULL;
    if (!ok) {
        rb_lanes_release(l);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory for %zu rebalance lanes of %zu assets", cap, N);
    }
    return RB_OK;
}

void rb_lanes_release(rb_lanes *l)
{
    double **d[] = {&l->units, &l->to,   &l->rate, &l->fee_bps, &l->slippage_bps, &l->spread_bps,
                    &l->value, &l->order, &l->held, &l->amount,  &l->cash,         &l->fees,
                    &l->slippage, &l->gas, &l->traded_value, &l->rebalances, &l->w, &l->base,
                    &l->wsum,  &l->fixed, &l->num, &l->x};
    for (size_t k = 0; k < sizeof d / sizeof d[0]; k++) free(*d[k]);
    free(l->in);
    free(l->cash_col);
    free(l->fallback);
    free(l->traded);
    free(l->live);
    memset(l, 0, sizeof *l);
}

/* The steps of rb_rebalance_proportional, named as there: value, the assets in play, the
 * closed-form solve (solve_proportional), then sells before buys. */
RB_KERNEL_CLONES
void rb_lanes_rebalance(rb_lanes *l, size_t n, const double *price)
{
    const size_t N = l->N, cap = l->cap;
    double *restrict w = l->w, *restrict base = l->base, *restrict wsum = l->wsum, *restrict x = l->x;
    double *restrict cash = l->cash;
    int64_t *restrict live = l->live, *restrict fallback = l->fallback, *restrict traded = l->traded;
    const int64_t *restrict cc = l->cash_col;

    /* value, and the assets in play */
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
            w[k] += value[k];
        }
    }
    double *restrict fixed = l->fixed, *restrict num = l->num;
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
            double gap = to[k] * w[k] - value[k];
            int64_t play = fabs(gap) >= RB_ORDER_DUST * w[k];
            in[k] = play;
            double with = wsum[k] + to[k], without = fixed[k] + value[k];
            wsum[k] = play ? with : wsum[k];
            fixed[k] = play ? fixed[k] : without;
        }
    }
    /* the solve: num = base - sum r s V, den = 1 + sum r s a over the assets in play */
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        live[k] = live[k] & (wsum[k] != 0);
        base[k] = w[k] - fixed[k];
        num[k] = base[k];
        x[k] = 1; /* den */
    }
    /* shares_are_orders: a traded asset whose share of base is within dust of what it
     * holds makes the set shrink, which is the general path's work */
    for (size_t i = 0; i < N; i++) {
        const double *restrict to = l->to + i * cap, *restrict value = l->value + i * cap;
        const int64_t *restrict in = l->in + i * cap;
#pragma omp simd
        for (size_t k = 0; k < n; k++) {
            double a = wsum[k] == 1 ? to[k] : to[k] / wsum[k];
            int64_t dust = live[k] & in[k] & (fabs(a * base[k] - value[k]) < RB_ORDER_DUST * w[k]);
            fallback[k] |= dust;
            live[k] &= !dust;
        }
    }
    for (size_t i = 0; i < N; i++) {
        const double *restrict to = l->to + i * cap, *restrict value = l->value + i * cap, *restrict rate = l->rate + i * cap;
        const int64_t *restrict in = l->in + i * cap;
        const int64_t col = (int64_t)i;
#pragma omp simd
        for (size_t k = 0; k < n; k++) {
            int64_t use = in[k] & (cc[k] != col);
            double a = wsum[k] == 1 ? to[k] : to[k] / wsum[k];
            double q = a * base[k] - value[k];
            double s = q > 0 ? 1 : q < 0 ? -1 : 0;
            double rs = rate[k] * s, nu = num[k] + rs * value[k], de = x[k] + rs * a;
            num[k] = use ? nu : num[k];
            x[k] = use ? de : x[k];
        }
    }
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        x[k] = num[k] / x[k];
        int64_t no = live[k] & !(x[k] > 0);
        fallback[k] |= no;
        live[k] &= !no;
    }
    /* the orders; a sign that flips between base and x sends the lane to the general path */
    for (size_t i = 0; i < N; i++) {
        const double p = price[i], *restrict to = l->to + i * cap, *restrict value = l->value + i * cap,
                     *restrict u = l->units + i * cap;
        const int64_t *restrict in = l->in + i * cap;
        double *restrict order = l->order + i * cap;
        const int64_t col = (int64_t)i;
#pragma omp simd
        for (size_t k = 0; k < n; k++) {
            double a = wsum[k] == 1 ? to[k] : to[k] / wsum[k], before = a * base[k] - value[k],
                   after = a * x[k] - value[k];
            int64_t flip = in[k] & live[k] & (cc[k] != col) & (((before > 0) & (after < 0)) | ((before < 0) & (after > 0)));
            fallback[k] |= flip;
            live[k] &= !flip;
            double o = a * x[k] / p - u[k];
            order[k] = in[k] ? o : 0;
        }
    }
    /* the trades: sells, then buys, each in asset order */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < N; i++) {
            const double p = price[i], *restrict order = l->order + i * cap, *restrict fee_bps = l->fee_bps + i * cap,
                         *restrict slippage_bps = l->slippage_bps + i * cap, *restrict spread_bps = l->spread_bps + i * cap;
            double *restrict unit = l->units + i * cap, *restrict fees = l->fees, *restrict slippage = l->slippage,
                             *restrict gas = l->gas, *restrict turnover = l->traded_value,
                             *restrict before = l->held + i * cap, *restrict amount = l->amount + i * cap;
            const int64_t col = (int64_t)i;
#pragma omp simd
            for (size_t k = 0; k < n; k++) {
                double u = order[k];
                /* the scalar skip: u == 0, or the other pass's side (a NaN order is a buy) */
                int64_t go = live[k] & (u != 0) & (pass == 0 ? u < 0 : !(u < 0));
                /* every value computed, then selected: no branch, so the loop vectorizes */
                double gross = fabs(u) * p;
                double f = gross * fee_bps[k] / 1e4;
                double sl = gross * slippage_bps[k] / 1e4 + gross * spread_bps[k] / 2.0 / 1e4;
                int64_t charged = cc[k] != col; /* the CASH column pays no costs */
                double fee = charged ? f : 0, slip = charged ? sl : 0;
                double costs = fee + slip + 0.0;
                double held = unit[k], now = held + u;
                int64_t sell = u < 0;
                double got = gross - costs, paid = gross + costs;
                double kept = ((now < 0) | (now < 1e-12 * held)) ? 0 : now;
                double c = sell ? cash[k] + got : cash[k] - paid;
                if (pass == 0) before[k] = held; /* each asset trades in one pass at most */
                amount[k] = go ? (sell ? got : paid) : amount[k];
                now = sell ? kept : now;
                double fees_after = fees[k] + fee, slippage_after = slippage[k] + slip, gas_after = gas[k] + 0.0,
                       turnover_after = turnover[k] + gross;
                cash[k] = go ? c : cash[k];
                unit[k] = go ? now : held;
                fees[k] = go ? fees_after : fees[k];
                slippage[k] = go ? slippage_after : slippage[k];
                gas[k] = go ? gas_after : gas[k];
                turnover[k] = go ? turnover_after : turnover[k];
                traded[k] |= go;
            }
        }
    }
    double *restrict rebalances = l->rebalances;
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        double c = cash[k], one_more = rebalances[k] + 1;
        int64_t dust = live[k] & (c < 0) & (c > -RB_ORDER_DUST * (w[k] > 0 ? w[k] : 1));
        cash[k] = dust ? 0 : c;
        rebalances[k] = traded[k] ? one_more : rebalances[k];
    }
}

rb_status rb_lanes_lots(const rb_lanes *l, size_t k, rb_portfolio *p, rb_time t, rb_error *err)
{
    if (!p->lots || !l->traded[k]) return RB_OK;
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
                rc = rb_lots_sell(p->lots, i, t, -u > held ? held : -u, amount, &r, err);
            } else {
                /* a loss disallowed by this buy (wash sale) counts as a gain of this year */
                rc = rb_lots_buy(p->lots, i, t, u, amount, &r, err);
            }
            if (rc != RB_OK) return rc;
            p->year_realized.short_term += r.short_term;
            p->year_realized.long_term += r.long_term;
        }
    }
    return RB_OK;
}
