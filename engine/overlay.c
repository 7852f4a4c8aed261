/* overlay.c - the perpetual-futures overlay (overlay.h; docs/engine.md, "Perpetual-futures
 * overlay"): positions set by a rebalance, marked to market into the collateral, funding,
 * fees, the margin and liquidation, and the perps' taxable gains. */
#include "overlay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

#define FEE_ITERATIONS 100
#define SECONDS_8H 28800.0

rb_status rb_overlay_init(rb_overlay *ov, size_t N, size_t T, rb_error *err)
{
    memset(ov, 0, sizeof *ov);
    ov->N = N;
    ov->T = T;
    ov->q = rb_calloc(3 * (N ? N : 1), sizeof *ov->q);
    ov->collateral = rb_calloc(2 * T + T * N, sizeof *ov->collateral);
    ov->rebalanced = rb_calloc(T, 1);
    if (!ov->q || !ov->collateral || !ov->rebalanced) {
        rb_overlay_release(ov);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    ov->mark = ov->q + N;
    ov->entry = ov->q + 2 * N;
    ov->gross = ov->collateral + T;
    ov->exposure = ov->collateral + 2 * T;
    return RB_OK;
}

void rb_overlay_release(rb_overlay *ov)
{
    free(ov->q);
    free(ov->collateral);
    free(ov->rebalanced);
    free(ov->liq);
    memset(ov, 0, sizeof *ov);
}

/* Whether asset i may hold a perp: every asset but CASH and the collateral's. */
static int hedged(const rb_overlay_cfg *cfg, const rb_trade_env *env, size_t i)
{
    return (int)i != env->cash_col && (int)i != cfg->margin_col;
}

double rb_overlay_collateral(const rb_overlay_cfg *cfg, const rb_portfolio *p, const double *price)
{
    return cfg->margin_col < 0 ? p->cash : p->units[cfg->margin_col] * price[cfg->margin_col];
}

double rb_overlay_gross(const rb_overlay *ov, const double *price)
{
    double g = 0;
    for (size_t i = 0; i < ov->N; i++) g += fabs(ov->q[i]) * price[i];
    return g;
}

/* A perp gain g (< 0: a loss) realized now, joining the year's gains by --perp-tax. */
static void add_gain(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, double g)
{
    ov->gains += g;
    if (cfg->tax == RB_PERP_TAX_SHORT) p->year_realized.short_term += g;
    else if (cfg->tax == RB_PERP_TAX_LONG) p->year_realized.long_term += g;
    else {
        p->year_realized.long_term += 0.6 * g;
        p->year_realized.short_term += 0.4 * g;
    }
}

/* Moves amount (> 0 in, < 0 out) through the collateral at env's prices. A debit larger than
 * the collateral empties it: the rest is the venue's loss (shortfall, added to *lost and the
 * totals, and a gain for tax since it was never paid). A non-CASH margin asset's units are
 * bought (a lot at no cost) or sold (lots relieved) at its price. */
static rb_status settle(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, const rb_trade_env *env,
                        double amount, double *lost, rb_error *err)
{
    if (lost) *lost = 0;
    if (amount == 0) return RB_OK;
    double have = rb_overlay_collateral(cfg, p, env->price);
    int empty = amount < 0 && -amount >= have;
    if (empty) {
        double missing = -amount - have;
        ov->shortfall += missing;
        if (lost) *lost = missing;
        if (missing > 0) add_gain(ov, cfg, p, missing);
        amount = -have;
    }
    int k = cfg->margin_col;
    if (k < 0) {
        p->cash = empty ? 0 : p->cash + amount;
        return RB_OK;
    }
    double units = empty ? -p->units[k] : amount / env->price[k];
    rb_status rc = RB_OK;
    if (p->lots && k != env->cash_col && units != 0) {
        rb_realized r = {0, 0};
        rc = units > 0 ? rb_lots_buy(p->lots, (size_t)k, env->time, units, amount, &r, err)
                       : rb_lots_sell(p->lots, (size_t)k, env->time, -units, -amount, &r, err);
        p->year_realized.short_term += r.short_term;
        p->year_realized.long_term += r.long_term;
    }
    p->units[k] = empty ? 0 : p->units[k] + units;
    return rc;
}

/* Every position marked to prices: its PnL since its last mark into the collateral. */
static rb_status mark_to(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, const rb_trade_env *env,
                         rb_error *err)
{
    double pnl = 0;
    for (size_t i = 0; i < ov->N; i++) {
        if (ov->q[i] != 0) pnl += ov->q[i] * (env->price[i] - ov->mark[i]);
        ov->mark[i] = env->price[i];
    }
    ov->pnl += pnl;
    return settle(ov, cfg, p, env, pnl, NULL, err);
}

/* Position i moved from its q to q1 at price: a reduction (or the closed side of a flip)
 * realizes (price - entry) per unit closed; an increase averages the entry. */
static void move_position(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, size_t i, double q1,
                          double price)
{
    double q0 = ov->q[i];
    if (q0 == 0) {
        ov->entry[i] = price;
    } else if ((q0 > 0) == (q1 > 0) && fabs(q1) >= fabs(q0)) {
        ov->entry[i] = (fabs(q0) * ov->entry[i] + (fabs(q1) - fabs(q0)) * price) / fabs(q1);
    } else {
        int flip = q1 != 0 && (q0 > 0) != (q1 > 0);
        double closed = flip || q1 == 0 ? fabs(q0) : fabs(q0) - fabs(q1);
        add_gain(ov, cfg, p, closed * (price - ov->entry[i]) * (q0 > 0 ? 1 : -1));
        if (flip) ov->entry[i] = price;
    }
    ov->q[i] = q1;
}

/* The positions set to q1 (N) at env's prices (marked there already), the fee on the
 * notional traded paid from the collateral; *traded: the notional traded. */
static rb_status set_positions(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, const rb_trade_env *env,
                               const double *q1, double *traded, rb_error *err)
{
    double notional = 0;
    for (size_t i = 0; i < ov->N; i++) {
        if (q1[i] == ov->q[i]) continue;
        notional += fabs(q1[i] - ov->q[i]) * env->price[i];
        move_position(ov, cfg, p, i, q1[i], env->price[i]);
    }
    *traded = notional;
    double fee = cfg->fee * notional;
    if (!(fee > 0)) return RB_OK;
    ov->fees += fee;
    add_gain(ov, cfg, p, -fee);
    return settle(ov, cfg, p, env, -fee, NULL, err);
}

/* Every position closed at env's prices (marked there) and its fee paid: a liquidation. */
static rb_status liquidate(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, const rb_trade_env *env,
                           double gross, double collateral, rb_error *err)
{
    for (size_t i = 0; i < ov->N; i++)
        if (ov->q[i] != 0) move_position(ov, cfg, p, i, 0, env->price[i]);
    double fee = cfg->liq_fee * gross, lost = 0;
    rb_status rc = RB_OK;
    if (fee > 0) {
        add_gain(ov, cfg, p, -fee);
        rc = settle(ov, cfg, p, env, -fee, &lost, err);
    }
    ov->liq_cost += fee - lost;
    if (!cfg->reopen) ov->spot = 1;
    if (ov->nliq == ov->liq_cap) {
        size_t cap = ov->liq_cap ? 2 * ov->liq_cap : 8;
        rb_liquidation *grown = rb_realloc(ov->liq, cap * sizeof *grown);
        if (!grown) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        ov->liq = grown;
        ov->liq_cap = cap;
    }
    ov->liq[ov->nliq++] = (rb_liquidation){
        .bar = env->bar, .gross = gross, .collateral = collateral, .fee = fee - lost, .shortfall = lost};
    return rc;
}

/* The maintenance margin at env's prices: liquidates when the collateral is below it. */
static rb_status check_margin(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, const rb_trade_env *env,
                              rb_error *err)
{
    double gross = rb_overlay_gross(ov, env->price);
    double collateral = rb_overlay_collateral(cfg, p, env->price);
    if (gross > 0 && collateral < cfg->maint * gross) return liquidate(ov, cfg, p, env, gross, collateral, err);
    return RB_OK;
}

/* Closes the overlay (a rebalance that trades spot) and trades spot to `to`. */
static rb_status spot_rebalance(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, const rb_trade_env *env,
                                const double *to, int *traded, rb_error *err)
{
    double *zero = p->order; /* N scratch the spot rebalance rewrites anyway */
    memset(zero, 0, ov->N * sizeof *zero);
    double notional;
    rb_status rc = set_positions(ov, cfg, p, env, zero, &notional, err);
    if (rc == RB_OK) rc = rb_portfolio_rebalance(p, env, to, RB_TRADE_REBALANCE, traded, err);
    if (rc == RB_OK && *traded) ov->spot_rebalances += 1;
    return rc;
}

rb_status rb_overlay_rebalance(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, const rb_trade_env *env,
                               const double *to, int *traded, rb_error *err)
{
    *traded = 0;
    rb_status rc = mark_to(ov, cfg, p, env, err);
    if (rc != RB_OK) return rc;
    if (ov->spot) return spot_rebalance(ov, cfg, p, env, to, traded, err);
    const double *price = env->price;
    double v = rb_portfolio_value(p, price), fee = 0;
    /* The fee F of the trade that puts exposure at to * (v - F): the fixed point of
     * F = f * sum_i |to_i (v - F) - (u_i + q_i) p_i|, a contraction (factor f * sum to_i < 1)
     * followed until it repeats. */
    for (int k = 0; k < FEE_ITERATIONS && cfg->fee > 0; k++) {
        double next = 0;
        for (size_t i = 0; i < ov->N; i++)
            if (hedged(cfg, env, i)) next += fabs(to[i] * (v - fee) - (p->units[i] + ov->q[i]) * price[i]);
        next *= cfg->fee;
        if (next == fee) break;
        fee = next;
    }
    double *q1 = p->value; /* N scratch of the portfolio, unused until its next trade */
    double gross = 0;
    for (size_t i = 0; i < ov->N; i++) {
        q1[i] = hedged(cfg, env, i) ? (to[i] * (v - fee) - p->units[i] * price[i]) / price[i] : 0;
        gross += fabs(q1[i]) * price[i];
    }
    if (cfg->max > 0 && gross > cfg->max * v) return spot_rebalance(ov, cfg, p, env, to, traded, err);
    double notional;
    rc = set_positions(ov, cfg, p, env, q1, &notional, err);
    if (rc != RB_OK) return rc;
    *traded = notional > 0;
    if (*traded) {
        p->rebalances += 1;
        p->traded_value += notional;
        ov->rebalances += 1;
        if (env->bar < ov->T) ov->rebalanced[env->bar] = 1;
    }
    return check_margin(ov, cfg, p, env, err);
}

rb_status rb_overlay_close(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, const rb_trade_env *env,
                           rb_time time_prev, rb_error *err)
{
    rb_status rc = mark_to(ov, cfg, p, env, err);
    if (rc != RB_OK) return rc;
    if (cfg->funding) {
        double scale = cfg->per_bar ? 1 : ((double)env->time - (double)time_prev) / SECONDS_8H, paid = 0;
        for (size_t i = 0; i < ov->N; i++)
            if (ov->q[i] != 0 && cfg->funding[i]) paid += ov->q[i] * env->price[i] * cfg->funding[i][env->bar] * scale;
        if (paid != 0) {
            ov->funding += paid;
            add_gain(ov, cfg, p, -paid);
            rc = settle(ov, cfg, p, env, -paid, NULL, err);
        }
    }
    return rc == RB_OK ? check_margin(ov, cfg, p, env, err) : rc;
}

void rb_overlay_year_end(rb_overlay *ov, const rb_overlay_cfg *cfg, rb_portfolio *p, const double *price)
{
    if (cfg->tax != RB_PERP_TAX_6040) return;
    for (size_t i = 0; i < ov->N; i++) {
        if (ov->q[i] == 0) continue;
        add_gain(ov, cfg, p, ov->q[i] * (price[i] - ov->entry[i]));
        ov->entry[i] = price[i];
    }
}

void rb_overlay_weights(const rb_overlay *ov, const rb_overlay_cfg *cfg, const rb_portfolio *p, const double *price,
                        double v, double *w)
{
    double net = 0;
    for (size_t i = 0; i < ov->N; i++) {
        w[i] = v > 0 ? (p->units[i] + ov->q[i]) * price[i] / v : 0;
        net += ov->q[i] * price[i];
    }
    if (cfg->margin_col >= 0 && v > 0) w[cfg->margin_col] -= net / v;
}

void rb_overlay_record(rb_overlay *ov, const rb_overlay_cfg *cfg, const rb_portfolio *p, const double *price,
                       double v, size_t t)
{
    double gross = rb_overlay_gross(ov, price);
    ov->collateral[t] = rb_overlay_collateral(cfg, p, price);
    ov->gross[t] = gross;
    rb_overlay_weights(ov, cfg, p, price, v, ov->exposure + t * ov->N);
    double share = v > 0 ? gross / v : 0;
    ov->notional_sum += share;
    if (share > ov->notional_peak) ov->notional_peak = share;
}

double rb_overlay_pending_tax(const rb_overlay *ov, const rb_overlay_cfg *cfg, const rb_portfolio *p,
                              const double *price, rb_time t)
{
    rb_portfolio with = *p; /* read only: its year's gains with the perps' open ones */
    rb_overlay scratch = *ov;
    for (size_t i = 0; i < ov->N; i++)
        if (ov->q[i] != 0) add_gain(&scratch, cfg, &with, ov->q[i] * (price[i] - ov->entry[i]));
    return rb_portfolio_pending_tax(&with, price, t);
}

double rb_overlay_tax_by_end(const rb_portfolio *p)
{
    rb_realized carry;
    return p->taxes + rb_tax_due(p->year_realized, p->carry, p->tax_short, p->tax_long, &carry);
}

void rb_overlay_metrics(const rb_overlay *ov, size_t T, rb_metrics *m)
{
    m->funding_paid = ov->funding;
    m->perp_fees_paid = ov->fees;
    m->liquidations = (double)ov->nliq;
    m->liquidation_cost = ov->liq_cost;
    m->overlay_notional_avg = T ? ov->notional_sum / (double)T : 0;
    m->overlay_notional_peak = ov->notional_peak;
}

int rb_overlay_metric(const char *name)
{
    static const char *const names[] = {"funding_paid",         "perp_fees_paid",        "liquidations",
                                        "liquidation_cost",     "overlay_notional_avg", "overlay_notional_peak",
                                        "tax_deferred"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strcmp(names[k], name) == 0) return 1;
    return 0;
}
