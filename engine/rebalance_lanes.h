/* rebalance_lanes.h - the rebalance with proportional costs (the closed-form post-cost
 * target) of many portfolios at once, one portfolio per lane of a structure-of-arrays
 * layout (x[asset * cap + lane]): the batch simulator's lanes, and with one lane (cap 1)
 * the reference simulator's own rebalance (rb_rebalance_proportional), so both trade by the
 * same code. Its arithmetic is trade.h's; the compiler runs the lanes side by side in vector
 * registers, and on a machine with AVX-512 chunks of 8 lanes or more take the same steps
 * written with its intrinsics (rebalance_lanes_avx512.c).
 *
 * Tax lots, which no value of the trade depends on, are relieved and opened afterwards by
 * rb_lanes_lots, lane by lane. A lane whose closed form does not apply this time is left
 * untouched and marked, for the caller to trade it the general way. */
#ifndef RB_REBALANCE_LANES_H
#define RB_REBALANCE_LANES_H

#include <stddef.h>
#include <stdint.h>

#include "lots.h"
#include "rebal.h"
#include "trade.h"

typedef struct rb_lanes {
    size_t N, cap;
    /* Asset x lane, filled by the caller: units (updated), the weights to trade to, the
     * cost rate (rb_cost_rate) and the rates of the cost model (rb_cost_rates), one array
     * per rate. */
    double *units, *to, *rate, *bps[RB_COST_RATES];
    /* 1: every lane has the same costs, and rate and bps hold one value per asset (their
     * first N entries), read by every lane: nothing to copy per lane. */
    int same_rates;
    /* 1: every lane's `to` is the same vector (the caller filled one in every lane), so
     * that lanes with the same sum of weights in play share one division per asset. */
    int same_to;
    /* Per lane, filled by the caller and updated: cash and the portfolio's totals. */
    double *cash, *fees, *slippage, *gas, *traded_value, *rebalances;
    int64_t *cash_col; /* the CASH column, or -1 */
    /* Per lane, set by rb_lanes_rebalance. */
    int64_t *fallback; /* 1: the closed form does not apply; this lane was not changed */
    int64_t *traded;   /* 1: at least one order executed */
    /* Asset x lane, set by rb_lanes_rebalance: the orders in units, the units held before
     * each, and what each sale brought or each buy cost, costs included. */
    double *order, *held, *amount;
    /* Asset x lane: each order's traded value and the fee and slippage it pays (computed
     * once, for the pass of sales and the pass of buys). */
    double *gross, *fee, *slip;
    /* Asset x lane: each asset's share of the traded assets (rb_trade_share), divided once. */
    double *share;
    /* scratch, asset x lane: each holding's value, and 1 where the asset is in play */
    double *value;
    int64_t *in;
} rb_lanes;

/* Room for cap lanes of N assets, in one allocation, freed by rb_lanes_release. */
rb_status rb_lanes_init(rb_lanes *l, size_t N, size_t cap, rb_error *err);
void rb_lanes_release(rb_lanes *l);

/* Or in memory of the caller's: rb_lanes_bytes(N, cap) bytes, 8-byte aligned, that the
 * lanes use until the caller frees it (no rb_lanes_release then). */
size_t rb_lanes_bytes(size_t N, size_t cap);
void rb_lanes_place(rb_lanes *l, size_t N, size_t cap, void *memory);

/* Rebalances lanes 0..n-1 at the execution prices price[N]. rebalance: 1 for a rebalance
 * (its traded value is turnover and it counts as one), 0 for the first allocation. */
void rb_lanes_rebalance(rb_lanes *l, size_t n, const double *price, int rebalance);

/* The tax lots of lane k's executed orders at time t, relieved and opened in lots (the
 * gains realized going to *year) in the order the orders executed. Nothing when lots is
 * NULL or the lane did not trade. */
rb_status rb_lanes_lots(const rb_lanes *l, size_t k, rb_lots *lots, rb_realized *year, rb_time t, rb_error *err);

#endif /* RB_REBALANCE_LANES_H */
