/* share.c - configurations of a block that have one state (batch_internal.h,
 * batch_share_start). A sweep over bands runs many configurations that differ only in
 * their band: until their decisions part, each bar values the same portfolio, measures the
 * same distances, adds the same returns to the same sums, and trades the same orders.
 * Such a group runs as one configuration, its leader; the others, its followers, keep
 * their own band thresholds and only compare them with the leader's distances on each bar.
 * A follower that would act otherwise than its leader (or must decide on exact weights)
 * first takes a copy of the leader's state and runs on its own from there: what it would
 * have computed by itself, to the bit, since every step until then was its leader's.
 *
 * The bar loop runs positions 0..nrun; followers wait after nrun. Positions move (a
 * follower that detaches is swapped to position nrun) and are put back at the end. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "batch_internal.h"
#include "lots.h"

/* The columns of positions p and q exchanged: state, settings and the bar's. */
static void swap_columns(block *b, size_t p, size_t q)
{
    const size_t cap = b->cap;
    for (size_t c = 0; c < BLOCK_COLUMNS; c++) {
        double t = b->cols[c * cap + p];
        b->cols[c * cap + p] = b->cols[c * cap + q];
        b->cols[c * cap + q] = t;
    }
    for (size_t i = 0; i < 3 * b->N; i++) { /* u, tg, e: one after the other */
        double t = b->u[i * cap + p];
        b->u[i * cap + p] = b->u[i * cap + q];
        b->u[i * cap + q] = t;
    }
}

/* Configurations at positions p and q exchanged: their columns, and which slot holds each
 * position's configuration (origin: the structs stay in their slots, batch_cfg). Moving
 * the structs (2.3 KB each, three copies a swap) took 0.25 ms of the 1,000-band sweep's
 * 1,224 swaps, the columns 0.08. */
static void swap_positions(block *b, size_t p, size_t q)
{
    if (p == q) return;
    swap_columns(b, p, q);
    size_t o = b->origin[p];
    b->origin[p] = b->origin[q];
    b->origin[q] = o;
}

/* What a configuration carries from bar to bar outside the columns: its portfolio's
 * totals and tax lots, and its simulation's state (its strategy's state is its own: a
 * follower never decides while it follows). */
static rb_status copy_config_state(config *to, const config *from, size_t N, rb_error *err)
{
    rb_portfolio *p = &to->port;
    const rb_portfolio *f = &from->port;
    memcpy(p->units, f->units, N * sizeof *p->units);
    p->cash = f->cash;
    p->taxes = f->taxes; /* the other accounts and the last rebalance are state columns */
    p->year_realized = f->year_realized, p->carry = f->carry;
    to->st.pending = from->st.pending;
    to->st.flow = from->st.flow;
    to->st.depleted = from->st.depleted;
    to->st.table_row = from->st.table_row;
    to->end_T = from->end_T;
    to->ended = from->ended;
    return p->lots ? rb_lots_copy(p->lots, f->lots, err) : RB_OK;
}

/* Position f takes the state of position l (its settings stay its own). */
static rb_status copy_state(block *b, size_t f, size_t l, rb_error *err)
{
    const size_t cap = b->cap;
    for (size_t c = 0; c < STATE_COLUMNS; c++) b->cols[c * cap + f] = b->cols[c * cap + l];
    for (size_t i = 0; i < b->N; i++) b->u[i * cap + f] = b->u[i * cap + l];
    return copy_config_state(batch_cfg(b, f), batch_cfg(b, l), b->N, err);
}

/* 1 when positions p and q have the same state, to the bit. */
static int same_state(const block *b, size_t p, size_t q)
{
    const size_t cap = b->cap;
    for (size_t c = 0; c < STATE_COLUMNS; c++)
        if (memcmp(&b->cols[c * cap + p], &b->cols[c * cap + q], sizeof(double))) return 0;
    for (size_t i = 0; i < b->N; i++)
        if (memcmp(&b->u[i * cap + p], &b->u[i * cap + q], sizeof(double))) return 0;
    /* (the portfolio's units, cash and accounts and the last rebalance are the columns':
     * the configuration holds a copy only while a reference step runs, batch_gather) */
    const config *a = batch_cfg(b, p), *c = batch_cfg(b, q);
    if (!(a->port.taxes == c->port.taxes && !a->st.pending && !c->st.pending &&
          !memcmp(&a->port.year_realized, &c->port.year_realized, sizeof(rb_realized)) &&
          !memcmp(&a->port.carry, &c->port.carry, sizeof(rb_realized))))
        return 0;
    /* Their lots: the same trades from the same settings opened them (the first
     * allocation), which the same units and basis per asset confirm. */
    if (!a->port.lots != !c->port.lots) return 0;
    for (size_t i = 0; a->port.lots && i < b->N; i++)
        if (rb_lots_units(a->port.lots, i) != rb_lots_units(c->port.lots, i) ||
            rb_lots_basis(a->port.lots, i) != rb_lots_basis(c->port.lots, i))
            return 0;
    return 1;
}

/* Whether configurations p and q take the same steps from the same state until their
 * bands part them: both band rules (or hybrids of bands and dates) that the kernel
 * decides, the same rule on the same dates, trading alike (the same targets and costs, no
 * flows, the same portfolio, lot and tax settings). Their bands may differ. */
static int alike(const block *b, size_t p, size_t q)
{
    int64_t rule = b->rule[p];
    if (rule != RB_TRIGGER_BANDS && rule != RB_TRIGGER_DATES_AND_BANDS && rule != RB_TRIGGER_DATES_OR_BANDS) return 0;
    if (b->rule[q] != rule || b->cbars[p] != 0 || b->cbars[q] != 0 || b->cmask[p] != b->cmask[q]) return 0;
    const size_t N = b->N;
    const config *c = batch_cfg(b, p), *d = batch_cfg(b, q);
    const rb_portfolio_options *o = &c->c.portfolio, *f = &d->c.portfolio;
    return !c->port.lots == !d->port.lots && c->c.contribution == 0 && d->c.contribution == 0 &&
           c->c.exec == d->c.exec && c->c.cash_col == d->c.cash_col && o->lots == f->lots &&
           o->long_term_days == f->long_term_days && o->wash_sale_days == f->wash_sale_days &&
           o->tax_short == f->tax_short && o->tax_long == f->tax_long && o->keep_trades == f->keep_trades &&
           o->keep_lots == f->keep_lots && !memcmp(c->res.target, d->res.target, N * sizeof(double)) &&
           same_costs(c, d, N);
}

/* Column c of the block at position p. */
#define AT(b, c, p) BLOCK_COL((b)->cols, c)[p]
#define IAT(b, c, p) ((int64_t *)BLOCK_COL((b)->cols, c))[p]

/* Position p's group (COL_G_*): how many follow it, their least and greatest thresholds. */
static void group_put(block *b, size_t p, int64_t followers, double e_min, double e_max, double tband_min,
                      double tband_max)
{
    IAT(b, COL_G_FOLLOWERS, p) = followers;
    AT(b, COL_G_E_MIN, p) = e_min, AT(b, COL_G_E_MAX, p) = e_max;
    AT(b, COL_G_TBAND_MIN, p) = tband_min, AT(b, COL_G_TBAND_MAX, p) = tband_max;
}

/* No group at position p: the neutral one (batch_group_follows). */
static void group_none(block *b, size_t p) { group_put(b, p, 0, INFINITY, -INFINITY, INFINITY, -INFINITY); }

static int64_t group_followers(const block *b, size_t l) { return IAT(b, COL_G_FOLLOWERS, l); }

/* Leader l's group summary, from its followers now. */
static void summarize(block *b, size_t l)
{
    int64_t followers = 0;
    double e_min = INFINITY, e_max = -INFINITY, tband_min = INFINITY, tband_max = -INFINITY;
    for (size_t f = b->nrun; f < b->n; f++) {
        if ((size_t)b->leader[f] != l) continue;
        double e = b->e[f], tb = b->tband[f];
        followers++;
        e_min = e < e_min ? e : e_min;
        e_max = e > e_max ? e : e_max;
        tband_min = tb < tband_min ? tb : tband_min;
        tband_max = tb > tband_max ? tb : tband_max;
    }
    group_put(b, l, followers, e_min, e_max, tband_min, tband_max);
}

void batch_share_start(block *b)
{
    b->nrun = b->n;
    b->sharing = 0;
    for (size_t j = 0; j < b->n; j++) {
        b->origin[j] = j;
        b->leader[j] = (int64_t)j;
        group_none(b, j);
    }
    /* one threshold per configuration (distance_pass: maxd), and no scheduled flows */
    if (b->n < 2 || !b->one_band || b->any_flows) return;
    /* Leaders to the front, in the order they come; each of the others follows the first
     * earlier configuration alike and of its state (at its new position). */
    size_t nlead = 0;
    for (size_t j = 0; j < b->n; j++) {
        size_t l = 0;
        while (l < nlead && !(alike(b, l, j) && same_state(b, l, j))) l++;
        if (l < nlead) {
            b->leader[j] = (int64_t)l;
            continue;
        }
        swap_positions(b, nlead, j);
        /* the follower swapped out of nlead (if any) now sits at j, its leader unchanged */
        b->leader[nlead] = (int64_t)nlead;
        nlead++;
    }
    b->nrun = nlead;
    b->sharing = nlead < b->n;
    b->ngroups = 0;
    for (size_t l = 0; l < nlead; l++) {
        summarize(b, l);
        if (group_followers(b, l)) b->groups[b->ngroups++] = l;
    }
}

/* Whether every follower of leader l surely does what l does this bar (date: the bar is a
 * date of the block's rule): a hybrid's dates decide alone (gated: nothing between dates;
 * either: a full rebalance on them); else its bands (batch_group_follows). */
static int group_follows(const block *b, size_t l, int64_t date)
{
    if (b->rule[l] == RB_TRIGGER_DATES_AND_BANDS && !date) return 1;
    if (b->rule[l] == RB_TRIGGER_DATES_OR_BANDS && date) return 1;
    return (int)batch_group_follows(b->act[l], b->maxd[l], b->dsum[l], AT(b, COL_G_E_MIN, l),
                                    AT(b, COL_G_TBAND_MIN, l), AT(b, COL_G_E_MAX, l), AT(b, COL_G_TBAND_MAX, l));
}

/* Leader l's followers, one by one: each compares its own band with l's distances
 * (kernel.c, distance_pass: ex = max |w - t| - e, one threshold e per configuration) and
 * detaches when it would act otherwise. Those that leave to do the same thing (nothing,
 * or rebalance past their bands) leave together: the first leads the others, since they
 * will all take the same step from the same state. Adds to *acting the detached followers
 * that act; fails only when a copy of tax lots runs out of memory. */
static rb_status followers_act(block *b, size_t l, int64_t date, int64_t *acting, rb_error *err)
{
    size_t lead[ACT_DECIDE] = {SIZE_MAX, SIZE_MAX, SIZE_MAX}; /* per action code: who leads those leaving */
    for (size_t f = b->nrun; f < b->n; f++) {
        if ((size_t)b->leader[f] != l) continue;
        double ex = b->maxd[l] - b->e[f];
        int64_t near = band_near(ex, b->dsum[l], b->tband[f]);
        int64_t a = rule_action(b->rule[f], date, band_action(ex, b->dsum[l], b->tband[f], near));
        if (a == b->act[l] && a != ACT_DECIDE) continue; /* it does what its leader does */
        if (a != ACT_DECIDE && lead[a] != SIZE_MAX) { /* counted by summarize, below */
            b->leader[f] = (int64_t)lead[a];
            continue;
        }
        size_t p = b->nrun++;
        swap_positions(b, p, f); /* the follower that was at p (examined already) moves to f */
        rb_status rc = copy_state(b, p, l, err);
        if (rc != RB_OK) return rc;
        b->leader[p] = (int64_t)p;
        group_none(b, p);
        b->ex[p] = ex;
        b->act[p] = a;
        b->cand[p] = near;
        *acting += a != ACT_NONE;
        if (a != ACT_DECIDE) lead[a] = p;
    }
    summarize(b, l);
    for (size_t a = 0; a < ACT_DECIDE; a++) {
        if (lead[a] == SIZE_MAX) continue;
        summarize(b, lead[a]);
        if (group_followers(b, lead[a])) b->groups[b->ngroups++] = lead[a];
    }
    return RB_OK;
}

rb_status batch_share_actions(block *b, uint64_t flags, int64_t *acting, rb_error *err)
{
    if (b->share_checked && !b->share_attn) return RB_OK; /* every group follows its leader */
    /* The groups made on this bar (appended by followers_act) do what their leaders do. */
    const size_t ngroups = b->ngroups;
    rb_status rc = RB_OK;
    int parted = 0;
    for (size_t k = 0; rc == RB_OK && k < ngroups; k++) {
        size_t l = b->groups[k];
        int64_t date = (flags & b->cmask[l]) != 0; /* its followers' dates too (alike) */
        if (group_follows(b, l, date)) continue;
        rc = followers_act(b, l, date, acting, err);
        parted = 1;
    }
    if (!parted) return rc;
    /* the list without the leaders left with no follower */
    size_t kept = 0;
    for (size_t k = 0; k < b->ngroups; k++)
        if (group_followers(b, b->groups[k])) b->groups[kept++] = b->groups[k];
    b->ngroups = kept;
    return rc;
}

rb_status batch_share_end(block *b, size_t *bad, rb_error *err)
{
    if (!b->sharing) return RB_OK;
    rb_status rc = RB_OK;
    for (size_t f = b->nrun; rc == RB_OK && f < b->n; f++) rc = copy_state(b, f, (size_t)b->leader[f], err);
    /* back to where each started; the position of an error moves with its configuration */
    size_t bad_origin = *bad < b->n ? b->origin[*bad] : *bad;
    for (size_t p = 0; p < b->n; p++)
        while (b->origin[p] != p) swap_positions(b, p, b->origin[p]);
    *bad = bad_origin;
    b->nrun = b->n;
    b->sharing = 0;
    return rc;
}
