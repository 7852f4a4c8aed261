/* trades.c - the rebalances the kernel decided at a bar (batch_internal.h), traded together
 * by rb_lanes_rebalance (the arithmetic of rb_rebalance_proportional, lane by lane), then
 * their tax lots by rb_lanes_lots; a lane whose closed form does not apply takes the
 * reference's general path. */
#include "batch_internal.h"
#include "costs.h"
#include "trade.h"

/* A rebalance decided by the kernel (batch_setup_config's rule code) whose closed form does
 * not apply this time (its lane fell back): the reference's general path.
 * rb_portfolio_rebalance tries the closed form first, as the reference does, and takes the
 * general path when it fails. */
static rb_status general_trade(block *b, size_t j, const rb_matrix *m, size_t t, const double *to, rb_error *err)
{
    config *c = &b->cfg[j];
    rb_trade_env env = rb_sim_env(m, &c->c, t, m->close + t * m->N, t);
    env.rate = c->scratch + SCRATCH_RATE * m->N; /* costs are proportional here (setup.c: kernel_rule) */
    int traded = 0;
    batch_gather(b, j);
    rb_status rc = rb_portfolio_rebalance(&c->port, &env, to, RB_TRADE_REBALANCE, &traded, err);
    if (rc != RB_OK) return rc;
    batch_scatter(b, j);
    if (traded) {
        c->st.last_rebalance = t;
        b->touched[j] = 1;
    }
    return RB_OK;
}

/* The lanes a rebalance of nq configurations runs: nq rounded up to a whole number of
 * vectors (8 doubles), so that the lane loops take their vector path to the end rather
 * than finishing lane by lane. The extra lanes trade a copy of the last configuration, and
 * their outcome is not read. */
static size_t lanes_width(size_t nq, size_t cap)
{
    size_t width = (nq + 7) / 8 * 8;
    return width < cap ? width : cap;
}

/* The queued configurations' columns and accounts into lanes 0..nq, and copies of the last
 * into the lanes up to width. */
static void load_lanes(block *b, size_t nq, size_t width)
{
    rb_lanes *l = &b->lanes;
    const size_t N = b->N, cap = b->cap;
    for (size_t q = 0; q < width; q++) {
        size_t from = q < nq ? q : nq - 1, j = b->queued[from];
        const config *c = &b->cfg[j];
        const double *to = b->queued_to[from], *rate = c->scratch + SCRATCH_RATE * N, *bps = c->scratch + SCRATCH_BPS * N;
        for (size_t i = 0; i < N; i++) {
            l->units[i * cap + q] = b->u[i * cap + j];
            l->to[i * cap + q] = to[i];
            b->lane_tg[i * cap + q] = b->tg[i * cap + j];
        }
        for (size_t i = 0; !l->same_rates && i < N; i++) {
            l->rate[i * cap + q] = rate[i];
            for (size_t r = 0; r < RB_COST_RATES; r++) l->bps[r][i * cap + q] = bps[r * N + i];
        }
        l->cash[q] = b->cash[j];
        l->cash_col[q] = c->c.cash_col;
        l->fees[q] = c->port.fees;
        l->slippage[q] = c->port.slippage;
        l->gas[q] = c->port.gas;
        l->traded_value[q] = c->port.traded_value;
        l->rebalances[q] = c->port.rebalances;
    }
}

/* Lane q's outcome back into configuration j's columns and accounts. */
static void store_lane(block *b, size_t q, size_t j)
{
    const rb_lanes *l = &b->lanes;
    const size_t N = b->N, cap = b->cap;
    config *c = &b->cfg[j];
    for (size_t i = 0; i < N; i++) b->u[i * cap + j] = l->units[i * cap + q];
    b->cash[j] = l->cash[q];
    c->port.fees = l->fees[q];
    c->port.slippage = l->slippage[q];
    c->port.gas = l->gas[q];
    c->port.traded_value = l->traded_value[q];
    c->port.rebalances = l->rebalances[q];
}

rb_status batch_lane_trades(block *b, size_t nq, const rb_matrix *m, size_t t, size_t *bad, rb_error *err)
{
    rb_lanes *l = &b->lanes;
    size_t width = lanes_width(nq, b->cap);
    load_lanes(b, nq, width);
    rb_lanes_rebalance(l, width, m->close + t * b->N, 1);
    batch_lane_exact_states(b, width, m->close + t * b->N);
    for (size_t q = 0; q < nq; q++) {
        size_t j = b->queued[q];
        config *c = &b->cfg[j];
        if (l->fallback[q]) {
            rb_status rc = general_trade(b, j, m, t, b->queued_to[q], err);
            if (rc != RB_OK) {
                *bad = j;
                return rc;
            }
            continue;
        }
        store_lane(b, q, j);
        rb_status rc = rb_lanes_lots(l, q, c->port.lots, &c->port.year_realized, m->time[t], err);
        if (rc != RB_OK) {
            *bad = j;
            return rc;
        }
        if (l->traded[q]) {
            c->st.last_rebalance = t;
            /* value and drift taken afresh, in the lanes: nothing left for refresh_touched */
            b->total[j] = b->lane_value[q];
            b->dsum[j] = b->lane_drift[q];
            b->inv[j] = b->lane_inv[q];
        }
    }
    return RB_OK;
}
