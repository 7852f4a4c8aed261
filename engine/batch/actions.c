/* actions.c - the steps of a bar that configurations take one by one (batch_internal.h),
 * off the vectorized passes: scheduled work (step 1) and, for the configurations whose
 * action code is not 0, the decision on exact weights by the reference step or a rebalance
 * queued for the lanes (step 3). */
#include "batch_internal.h"

/* 1 when bar t is one of the trigger's dates. The vectorized pass (kernel.c) tests the same
 * as one AND of the bar's flags with cmask (or, with cbars, sends the configuration here). */
static int is_date(const rb_trigger *tr, const rb_matrix *m, size_t t)
{
    return tr->every_bars > 0 ? t % (size_t)tr->every_bars == 0 : (m->flags[t] & tr->date_flags) != 0;
}

rb_status batch_scheduled_work(const rb_matrix *m, block *b, size_t t, size_t *depleted, size_t *bad,
                               rb_error *err)
{
    for (size_t j = 0; j < b->nrun; j++) { /* a follower's events are its leader's (share.c) */
        config *c = batch_cfg(b, j);
        if (!rb_sim_has_events(m, &c->c, &c->st, t)) continue;
        batch_gather(b, j);
        rb_status rc = rb_sim_events(m, &c->c, &c->st, t, err);
        if (rc != RB_OK) {
            *bad = j;
            return rc;
        }
        batch_scatter(b, j);
        b->flow[j] = c->st.flow;
        batch_touch(b, j);
        if (c->st.depleted) { /* the money ran out: the run ends on this bar, nothing acts */
            b->rule[j] = RB_TRIGGER_NEVER;
            b->all_bands = 0;
            b->cbars[j] = 0;
            (*depleted)++;
        }
    }
    return RB_OK;
}

/* The action code of a configuration that trades every N bars (ACT_EVERY_BARS): the
 * vectorized pass's selection, with the date taken from the bar's position. */
static int every_bars_action(const block *b, size_t j, const rb_matrix *m, size_t t)
{
    const config *c = batch_cfg(b, j);
    int64_t band = band_action(b->ex[j], b->dsum[j], b->tband[j], b->cand[j]);
    return (int)rule_action(c->rule, is_date(&c->trig, m, t), band);
}

/* 1 when configuration j's strategy is asked to decide at bar t under action code a. */
static int asks_decide(const block *b, size_t j, int a, const rb_matrix *m, size_t t)
{
    const rb_trigger *tr = &batch_cfg(b, j)->trig;
    if (a == ACT_DECIDE) return 1;
    if (a != ACT_TRIGGER) return 0;
    switch (tr->kind) {
    case RB_TRIGGER_NEVER: return 0;
    /* gated: decide() looks at the bands on every date */
    case RB_TRIGGER_DATES:
    case RB_TRIGGER_DATES_AND_BANDS: return is_date(tr, m, t);
    case RB_TRIGGER_BANDS: return (int)b->cand[j];
    case RB_TRIGGER_DATES_OR_BANDS: return b->cand[j] || is_date(tr, m, t);
    default: return 1;
    }
}

rb_status batch_act(const rb_matrix *m, block *b, size_t t, size_t nact, size_t *nq, size_t *pending,
                    size_t *bad, rb_error *err)
{
    for (size_t k = 0; k < nact; k++) {
        size_t j = b->list[k];
        config *c = batch_cfg(b, j);
        int a = (int)b->act[j];
        if (a == ACT_EVERY_BARS) a = every_bars_action(b, j, m, t);
        if (a == ACT_FULL || a == ACT_BAND) { /* traded later, with the others (trades.c) */
            b->queued[*nq] = j;
            b->queued_full[(*nq)++] = a == ACT_FULL;
            continue;
        }
        if (!asks_decide(b, j, a, m, t)) continue;
        /* decide() on exact weights: the reference's step. */
        batch_gather(b, j);
        int acted;
        rb_status rc = rb_sim_decide(m, &c->c, &c->st, t, &acted, err);
        if (rc != RB_OK) {
            *bad = j;
            return rc;
        }
        batch_scatter(b, j);
        /* The targets in force may have changed even without a trade (a next-open
         * decision adopts them now): value and drift are taken afresh. */
        batch_touch(b, j);
        if (acted || c->c.vol || c->c.table) batch_band_thresholds(b, j, c);
        *pending += (size_t)c->st.pending;
    }
    return RB_OK;
}
