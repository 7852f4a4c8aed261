/* trades.c - the rebalances the kernel decided at a bar (batch_internal.h), traded together
 * by rb_lanes_rebalance (the arithmetic of rb_rebalance_proportional, lane by lane), then
 * their tax lots by rb_lanes_lots; a lane whose closed form does not apply takes the
 * reference's general path. */
#include <stdint.h>
#include <string.h>

#include "batch_internal.h"
#include "costs.h"
#include "kernel_clones.h"
#include "prefetch.h"
#include "trade.h"

/* A rebalance decided by the kernel (batch_setup_config's rule code) whose closed form does
 * not apply this time (its lane fell back, and left the configuration as it was): the
 * reference's general path, which rb_portfolio_rebalance takes once its closed form fails
 * as the lane did. */
static rb_status general_trade(block *b, size_t j, const rb_matrix *m, size_t t, const double *to, rb_error *err)
{
    config *c = batch_cfg(b, j);
    rb_trade_env env = rb_sim_env(m, &c->c, t, m->close + t * m->N, t);
    env.rate = c->scratch + SCRATCH_RATE * m->N; /* costs are proportional here (setup.c: kernel_rule) */
    int traded = 0;
    batch_gather(b, j);
    rb_status rc = rb_portfolio_rebalance_general(&c->port, &env, to, RB_TRADE_REBALANCE, &traded, err);
    if (rc != RB_OK) return rc;
    if (traded) {
        c->st.last_rebalance = t;
        batch_touch(b, j);
    }
    batch_scatter(b, j);
    return RB_OK;
}

/* The lanes a rebalance of nq configurations runs: nq rounded up to a whole number of
 * vectors (8 doubles), so that the lane loops take their vector path to the end rather
 * than finishing lane by lane. The extra lanes trade a copy of the last configuration, and
 * their outcome is not read. But one lane past whole vectors goes alone (rb_lanes_rebalance
 * takes it by the same steps): a vector of 8 lanes costs about 270 ns, one lane alone 155
 * (with AVX-512's lanes, rebalance_lanes_avx512.c, 225 against 163 for 10 assets: still
 * cheaper alone), and 7 copies fewer are loaded and valued (on the 1,000-band sweep, 1,057 of 8,749
 * rebalancing bars had one configuration to trade, and 750 more one past a vector; two
 * past a vector, alone, were slower). */
static size_t lanes_width(size_t nq, size_t cap)
{
    size_t width = nq % 8 == 1 ? nq : (nq + 7) / 8 * 8;
    return width < cap ? width : cap;
}

/* The lanes' grids at the start of a block: when every configuration the kernel decides
 * for (the only ones that trade in lanes) has the same targets, and those with bands the
 * same band weights, lane_tg holds the targets in every lane from now on, and the lanes'
 * `to` is filled once per kind of rebalance rather than per lane and rebalance
 * (load_lanes). Their targets stay as they are for the whole run: static targets are a
 * condition of the kernel's deciding for them (setup.c, kernel_rule). */
void batch_lanes_start(block *b)
{
    const size_t N = b->N, cap = b->cap, bytes = N * sizeof(double);
    size_t first = SIZE_MAX, first_band = SIZE_MAX;
    b->lanes_same_tg = 1;
    b->lanes_same_to = 1;
    b->to_grid = 0;
    b->one_tg = 1;
    for (size_t j = 0; j < b->n; j++) {
        const config *c = batch_cfg(b, j);
        if (b->rule[j] == ASK_DECIDE) b->one_tg = 0;
        if (!batch_trades_in_lanes(b->rule[j])) continue;
        if (first == SIZE_MAX) memcpy(b->common_tg, c->st.current, bytes), first = j;
        if (memcmp(c->st.current, b->common_tg, bytes) != 0) b->lanes_same_tg = 0;
        for (size_t i = 0; i < N; i++)
            if (memcmp(&b->tg[i * cap + j], &b->common_tg[i], sizeof(double)) != 0) b->lanes_same_tg = 0;
        if (!c->trig.band_abs) continue; /* no band: never a band rebalance */
        if (first_band == SIZE_MAX) memcpy(b->common_band_to, c->band_to, bytes), first_band = j;
        if (memcmp(c->band_to, b->common_band_to, bytes) != 0) b->lanes_same_to = 0;
    }
    if (first == SIZE_MAX) b->lanes_same_tg = 0; /* nothing trades in lanes */
    b->lanes_same_to &= b->lanes_same_tg;
    /* the configurations that never trade keep their targets too: the same? */
    b->one_tg &= b->lanes_same_tg;
    for (size_t j = 0; b->one_tg && j < b->n; j++)
        for (size_t i = 0; i < N; i++)
            if (memcmp(&b->tg[i * cap + j], &b->common_tg[i], sizeof(double)) != 0) b->one_tg = 0;
    const size_t lcap = BATCH_LANE_GROUP;
    for (size_t i = 0; b->lanes_same_tg && i < N; i++)
        for (size_t q = 0; q < lcap; q++) b->lane_tg[i * lcap + q] = b->common_tg[i];
    /* no configuration has a CASH column (the usual case): the lanes' -1 set once */
    const int64_t *cash_col = (const int64_t *)BLOCK_COL(b->cols, COL_CASH_COL);
    b->lanes_no_cash = 1;
    for (size_t j = 0; j < b->n; j++)
        if (cash_col[j] != -1) b->lanes_no_cash = 0;
    for (size_t q = 0; b->lanes_no_cash && q < lcap; q++) b->lanes.cash_col[q] = -1;
}

/* The lanes' `to` for the nq rebalances queued from q0 (full ones or band rebalances):
 * left as it is, or filled in every lane, when all trade to one common vector; else 0, and
 * load_lanes copies each lane's own. */
static int lanes_to_filled(block *b, size_t q0, size_t nq)
{
    size_t full = 0;
    for (size_t q = q0; q < q0 + nq; q++) full += b->queued_full[q];
    int kind = full == nq ? ACT_FULL : full == 0 ? ACT_BAND : 0;
    if (!b->lanes_same_to || !kind) return 0;
    if (b->to_grid != kind) {
        const size_t N = b->N, lcap = BATCH_LANE_GROUP;
        const double *to = kind == ACT_FULL ? b->common_tg : b->common_band_to;
        for (size_t i = 0; i < N; i++)
            for (size_t q = 0; q < lcap; q++) b->lanes.to[i * lcap + q] = to[i];
        b->to_grid = kind;
    }
    return 1;
}

/* Each asset's units of the configurations src[0..width) into the lanes (a gather): in
 * clones, so that AVX-512 and AVX2 fill a vector of lanes at a time (GCC loads the
 * positions one by one and stores the vector whole). */
RB_KERNEL_CLONES
static void gather_units(double *restrict units, const double *restrict u, const size_t *restrict src, size_t N,
                         size_t lcap, size_t cap, size_t width)
{
    for (size_t i = 0; i < N; i++)
#pragma omp simd
        for (size_t q = 0; q < width; q++) units[i * lcap + q] = u[i * cap + src[q]];
}

/* The lanes' units of lanes 0..nq back to their configurations queued[0..nq) (each
 * configuration is queued once), one store at a time. Not vectorized: AVX-512's scatter
 * (vscatterqpd), which the loop's vectorized clone used, is slower on this processor than
 * the stores one by one: the 1,000-band sweep's batch 0.39 ms (1.7 %) faster without it,
 * 10 of 10 paired rounds (bench/README.md, twenty-seventh session). */
static void scatter_units(double *restrict u, const double *restrict units, const size_t *restrict queued, size_t N,
                          size_t cap, size_t lcap, size_t nq)
{
    for (size_t i = 0; i < N; i++)
        for (size_t q = 0; q < nq; q++) u[i * cap + queued[q]] = units[i * lcap + q];
}

/* The nq configurations queued from q0: their columns and accounts into lanes 0..nq, and
 * copies of the last into the lanes up to width: asset by asset (each column read where
 * the lanes' rows are written in order), the targets and weights only when the grids do not
 * hold them. */
static void load_lanes(block *b, size_t q0, size_t nq, size_t width)
{
    rb_lanes *l = &b->lanes;
    const size_t N = b->N, cap = b->cap, lcap = BATCH_LANE_GROUP;
    size_t *src = b->lane_src;
    for (size_t q = 0; q < nq; q++) src[q] = b->queued[q0 + q];
    for (size_t q = nq; q < width; q++) src[q] = b->queued[q0 + nq - 1];
    gather_units(l->units, b->u, src, N, lcap, cap, width);
    for (size_t i = 0; !b->lanes_same_tg && i < N; i++) {
        const double *tg = b->tg + i * cap;
        double *lane_tg = b->lane_tg + i * lcap;
        for (size_t q = 0; q < width; q++) lane_tg[q] = tg[src[q]];
    }
    int to_filled = lanes_to_filled(b, q0, nq);
    if (!to_filled) b->to_grid = 0;
    l->same_to = to_filled;
    for (size_t q = 0; !to_filled && q < width; q++) {
        const double *to = batch_queued_to(b, q0 + (q < nq ? q : nq - 1));
        for (size_t i = 0; i < N; i++) l->to[i * lcap + q] = to[i];
    }
    for (size_t q = 0; !l->same_rates && q < width; q++) {
        const double *scratch = batch_cfg(b, src[q])->scratch, *rate = scratch + SCRATCH_RATE * N, *bps = scratch + SCRATCH_BPS * N;
        for (size_t i = 0; i < N; i++) {
            l->rate[i * lcap + q] = rate[i];
            for (size_t r = 0; r < RB_COST_RATES; r++) l->bps[r][i * lcap + q] = bps[r * N + i];
        }
    }
    /* Not the gas: a configuration the kernel decides for pays none (setup.c, kernel_rule),
     * so its account stays +0, which the lanes' `+ 0.0` leaves as it is; nor, in a block
     * whose configurations have no CASH column, their -1, in every lane since the block's
     * start (batch_lanes_start). */
    const double *cols = b->cols, *fees = BLOCK_COL(cols, COL_FEES), *slippage = BLOCK_COL(cols, COL_SLIPPAGE),
                 *traded = BLOCK_COL(cols, COL_TRADED), *rebalances = BLOCK_COL(cols, COL_REBALANCES);
    const int64_t *cash_col = (const int64_t *)BLOCK_COL(cols, COL_CASH_COL);
    for (size_t q = 0; !b->lanes_no_cash && q < width; q++) l->cash_col[q] = cash_col[src[q]];
    for (size_t q = 0; q < width; q++) {
        size_t j = src[q];
        l->cash[q] = b->cash[j];
        l->fees[q] = fees[j];
        l->slippage[q] = slippage[j];
        l->traded_value[q] = traded[j];
        l->rebalances[q] = rebalances[j];
    }
}

/* Lanes 0..nq's outcome back into the columns and accounts (but the gas: load_lanes) of their
 * configurations (queued from q0), asset by asset: every lane's, a lane that fell back too,
 * which rb_lanes_rebalance left as it was loaded (its values are written back as they are,
 * before general_trade reads them). A lane that traded in closed form is done here, its bar
 * of the last rebalance t, its value and drift taken afresh in the lanes (nothing left for
 * refresh_touched). Returns 1 when some lane fell back or has tax lots: lane_group's work. */
static int store_lanes(block *b, size_t q0, size_t nq, size_t t)
{
    const rb_lanes *l = &b->lanes;
    const size_t N = b->N, cap = b->cap, *queued = b->queued + q0;
    scatter_units(b->u, l->units, queued, N, cap, BATCH_LANE_GROUP, nq);
    double *cols = b->cols, *fees = BLOCK_COL(cols, COL_FEES), *slippage = BLOCK_COL(cols, COL_SLIPPAGE),
           *traded = BLOCK_COL(cols, COL_TRADED), *rebalances = BLOCK_COL(cols, COL_REBALANCES), *total = b->total,
           *dsum = b->dsum, *inv = b->inv;
    int64_t *last = (int64_t *)BLOCK_COL(cols, COL_LAST_REBALANCE), fell = 0;
    for (size_t q = 0; q < nq; q++) {
        size_t j = queued[q];
        b->cash[j] = l->cash[q];
        fees[j] = l->fees[q];
        slippage[j] = l->slippage[q];
        traded[j] = l->traded_value[q];
        rebalances[j] = l->rebalances[q];
        fell |= l->fallback[q];
        if (l->traded[q] && !l->fallback[q]) {
            last[j] = (int64_t)t;
            total[j] = b->lane_value[q];
            dsum[j] = b->lane_drift[q];
            inv[j] = b->lane_inv[q];
        }
    }
    return fell || b->any_lots;
}

/* The tax-lot ledgers of the nq configurations queued from q0, which rb_lanes_lots reads once
 * the lanes have traded, asked of the memory: the line of each configuration that points to
 * its ledger (and holds its year's gains: portfolio.h), before the lanes load, then each
 * ledger's first line, once the lanes have traded (the pointers at hand by then). Each
 * configuration's struct and ledger are cold by its next rebalance, and the two misses came
 * one after the other at its first sale or buy (benchmark 2, 1-2 % faster). */
static void fetch_configs(const block *b, size_t q0, size_t nq)
{
    for (size_t q = 0; q < nq; q++) RB_PREFETCH(&batch_cfg(b, b->queued[q0 + q])->port.lots, 0, 3);
}

/* The second step: the ledgers' first lines, and the ledgers into led, where the trades take
 * them: each trade's way to its ledger (the queue, the slot, the configuration) had been a
 * chain of loads at its start, after the last trade's end (benchmark 2, some 1 % faster). */
static void fetch_ledgers(const block *b, size_t q0, size_t nq, rb_lots **led)
{
    for (size_t q = 0; q < nq; q++) {
        led[q] = batch_cfg(b, b->queued[q0 + q])->port.lots;
        RB_PREFETCH(led[q], 0, 3);
    }
}

/* A first allocation whose closed form does not apply (its lane fell back): the reference's
 * step, rb_sim_start, whose closed form falls back alike and whose general path then trades
 * (the lane left the configuration's columns as they were, and its portfolio untouched). */
static rb_status start_trade(block *b, size_t j, const rb_matrix *m, rb_error *err)
{
    config *c = batch_cfg(b, j);
    rb_status rc = rb_sim_start(m, &c->c, &c->st, err);
    if (rc == RB_OK) batch_scatter(b, j);
    return rc;
}

/* The nq rebalances queued from q0 (first: the first allocations of bar t = 0), a group of at
 * most BATCH_LANE_GROUP: loaded into the lanes, traded, valued and stored back, then each
 * one's tax lots or, where the closed form did not apply, its general path. */
static rb_status lane_group(block *b, size_t q0, size_t nq, const rb_matrix *m, size_t t, int first, size_t *bad,
                            rb_error *err)
{
    rb_lanes *l = &b->lanes;
    size_t width = lanes_width(nq, BATCH_LANE_GROUP);
    rb_lots *led[BATCH_LANE_GROUP];
    if (b->any_lots) fetch_configs(b, q0, nq);
    load_lanes(b, q0, nq, width);
    rb_lanes_rebalance(l, width, m->close + t * b->N, !first);
    if (b->any_lots) fetch_ledgers(b, q0, nq, led);
    batch_lane_exact_states(b, width, m->close + t * b->N);
    if (!store_lanes(b, q0, nq, t)) return RB_OK;
    for (size_t q = 0; q < nq; q++) {
        size_t j = b->queued[q0 + q];
        rb_status rc = RB_OK;
        if (l->fallback[q])
            rc = first ? start_trade(b, j, m, err) : general_trade(b, j, m, t, batch_queued_to(b, q0 + q), err);
        else if (l->traded[q] && b->any_lots) {
            config *c = batch_cfg(b, j);
            rc = rb_lanes_lots(l, q, led[q], &c->port.year_realized, m->time[t], err);
        }
        if (rc != RB_OK) {
            *bad = j;
            return rc;
        }
    }
    return RB_OK;
}

/* The nq trades queued, a group at a time (first: the first allocations). */
static rb_status lane_groups(block *b, size_t nq, const rb_matrix *m, size_t t, int first, size_t *bad, rb_error *err)
{
    rb_status rc = RB_OK;
    for (size_t q0 = 0; q0 < nq && rc == RB_OK; q0 += BATCH_LANE_GROUP)
        rc = lane_group(b, q0, nq - q0 < BATCH_LANE_GROUP ? nq - q0 : BATCH_LANE_GROUP, m, t, first, bad, err);
    return rc;
}

rb_status batch_lane_trades(block *b, size_t nq, const rb_matrix *m, size_t t, size_t *bad, rb_error *err)
{
    return lane_groups(b, nq, m, t, 0, bad, err);
}

rb_status batch_lane_starts(block *b, size_t nq, const rb_matrix *m, size_t *bad, rb_error *err)
{
    return lane_groups(b, nq, m, 0, 1, bad, err);
}
