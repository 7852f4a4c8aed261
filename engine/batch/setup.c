/* setup.c - one configuration of a block set up (batch_internal.h): its settings from the
 * caller, resolved against the matrix and the run-wide inputs, its portfolio and state, its
 * strategy's trigger and who decides for it (the rule code). */
#include <string.h>

#include "batch_internal.h"
#include "trade.h"

/* The configuration's rule code (ASK_DECIDE in batch_internal.h). */
static int kernel_rule(const rb_matrix *m, config *c)
{
    rb_trade_env env = rb_sim_env(m, &c->c, 0, m->close, 0);
    if (c->c.exec != RB_EXEC_CLOSE || c->c.vol || c->c.table || c->spec.gas_series || c->spec.gas != 0 ||
        !rb_rebalance_proportional_applies(&c->port, &env) || !c->trig.full)
        return ASK_DECIDE;
    switch (c->trig.kind) {
    case RB_TRIGGER_NEVER:
    case RB_TRIGGER_DATES:
    case RB_TRIGGER_BANDS:
    case RB_TRIGGER_DATES_AND_BANDS:
    case RB_TRIGGER_DATES_OR_BANDS: break;
    default: return ASK_DECIDE;
    }
    /* What decide() trades to when the bands trigger: the targets, scaled to sum to 1. */
    if (c->trig.band_abs) rb_full_weights(m->N, c->st.current, c->band_to);
    return (int)c->trig.kind;
}

rb_status batch_setup_config(job *jb, block *b, size_t j, uint64_t index, rb_error *err)
{
    const rb_matrix *m = jb->m;
    size_t N = m->N;
    config *c = batch_cfg(b, j);
    c->index = index;
    rb_status rc = jb->spec_fn(jb->ctx, index, &c->spec, err);
    /* The configuration before it in the block (set up, since the block stops at a failure)
     * differs from it only in its strategy's parameters in a sweep of them: resolved like it
     * (1,000 configurations: 0.3-0.5 ms less, bench/README.md, twenty-eighth session). */
    const config *like = j > 0 ? batch_cfg(b, j - 1) : NULL;
    if (rc == RB_OK && like && rb_resolve_reuses(&c->spec, &like->spec, &like->res)) {
        rc = rb_resolve_like(&c->spec, m, &like->res, &like->c, &c->room, &c->res, &c->c, err);
    } else if (rc == RB_OK) {
        /* No store: what a configuration reads from it (a gas series, pool depth series) comes
         * from the run-wide cache, which reads the store under its own lock (inputs.c). Holding
         * the store's lock here would invert that order (a depth series looked up in the cache
         * while another thread fills the cache from the store). */
        rb_resolve_inputs shared;
        rc = batch_shared_inputs(jb, &c->spec, &shared, err);
        if (rc == RB_OK) rc = rb_resolve(NULL, &c->spec, m, 0, &shared, &c->room, &c->res, &c->c, err);
    }
    c->scratch = b->scratch + j * SCRATCH_ROWS * N;
    if (rc == RB_OK) rc = rb_portfolio_reset(&c->port, &c->c.portfolio, err);
    /* a slot's ledger, empty after the reset, takes its books from the block's pool (once:
     * the slot keeps it, and its books' memory, for its next configurations) */
    if (rc == RB_OK && c->port.lots && !b->lot_pool) rc = rb_lot_pool_new(&b->lot_pool, err);
    if (rc == RB_OK && c->port.lots) rc = rb_lots_use_pool(c->port.lots, b->lot_pool, err);
    if (rc != RB_OK) return rc;
    c->st = (rb_sim_state){.port = &c->port,
                           .current = c->scratch,
                           .to = c->scratch + N,
                           .next = c->scratch + 2 * N,
                           .w = c->scratch + 3 * N};
    /* Dynamic targets (inverse-vol, a targets table) move the bands every bar: no trigger,
     * decide() every bar (it also takes a table's row in force). */
    c->trig = (rb_trigger){.kind = RB_TRIGGER_EVERY_BAR};
    if (!c->c.vol && !c->c.table && c->res.strategy->trigger) c->res.strategy->trigger(c->res.strategy_state, &c->trig);
    c->band_to = c->scratch + 4 * N;
    for (size_t i = 0; i < N; i++) {
        c->scratch[SCRATCH_RATE * N + i] = rb_cost_rate(&c->c.costs[i]);
        /* read once here, not at every rebalance the lanes trade */
        rb_rates rates = rb_cost_rates(&c->c.costs[i]);
        for (size_t r = 0; r < RB_COST_RATES; r++) c->scratch[(SCRATCH_BPS + r) * N + i] = rates.bps[r];
    }
    memcpy(c->st.current, c->c.target, N * sizeof *c->st.current);
    c->rule = kernel_rule(m, c);
    return RB_OK;
}

void batch_config_release(config *c)
{
    rb_resolved_release(&c->res);
    rb_resolve_room room = c->room;
    rb_portfolio port = c->port;
    memset(c, 0, sizeof *c);
    c->room = room; /* the slot's memory, for its next configuration */
    c->port = port;
}
