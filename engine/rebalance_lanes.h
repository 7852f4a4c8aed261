/* rebalance_lanes.h - rebalances of many portfolios at once, one portfolio per lane of a
 * structure-of-arrays layout (x[asset * cap + lane]), for the batch simulator.
 *
 * Each lane gets exactly the operations of rb_rebalance_proportional (kind
 * RB_TRADE_REBALANCE, proportional costs, no gas, no order records), in the same order, so
 * every value is the same to the bit; the compiler runs the lanes side by side in vector
 * registers. Tax lots, which no value of the trade depends on, are relieved and opened
 * afterwards by rb_lanes_lots, lane by lane, with the same calls in the same order. A lane
 * whose closed form does not apply this time is left untouched and marked, for the caller
 * to trade it the general way. */
#ifndef RB_REBALANCE_LANES_H
#define RB_REBALANCE_LANES_H

#include <stddef.h>
#include <stdint.h>

#include "portfolio.h"
#include "rebal.h"

typedef struct rb_lanes {
    size_t N, cap;
    /* Asset x lane, filled by the caller: units (updated), the weights to trade to, and the
     * proportional costs (rb_proportional_rate, and fee, slippage and spread in bps). */
    double *units, *to, *rate, *fee_bps, *slippage_bps, *spread_bps;
    /* Per lane, filled by the caller and updated: cash and the portfolio's totals. */
    double *cash, *fees, *slippage, *gas, *traded_value, *rebalances;
    int64_t *cash_col; /* the CASH column, or -1 */
    /* Per lane, set by rb_lanes_rebalance. */
    int64_t *fallback; /* 1: the closed form does not apply; this lane was not changed */
    int64_t *traded;   /* 1: at least one order executed */
    /* Asset x lane, set by rb_lanes_rebalance: the orders in units, the units held before
     * each, and what each sale brought or each buy cost, costs included. */
    double *order, *held, *amount;
    /* scratch */
    double *value, *w, *base, *wsum, *fixed, *num, *x;
    int64_t *in, *live; /* live: the lane is still on the closed form's path */
} rb_lanes;

/* Room for cap lanes of N assets. */
rb_status rb_lanes_init(rb_lanes *l, size_t N, size_t cap, rb_error *err);
void rb_lanes_release(rb_lanes *l);

/* Rebalances lanes 0..n-1 at the execution prices price[N]. */
void rb_lanes_rebalance(rb_lanes *l, size_t n, const double *price);

/* The tax lots of lane k's executed orders, relieved and opened in p->lots (with p's
 * year_realized) exactly as rb_rebalance_proportional does at time t. Nothing when p has
 * no lots or the lane did not trade. */
rb_status rb_lanes_lots(const rb_lanes *l, size_t k, rb_portfolio *p, rb_time t, rb_error *err);

#endif /* RB_REBALANCE_LANES_H */
