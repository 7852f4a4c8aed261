/* simulate.c - the reference simulator: the bar loop of docs/engine.md ("Portfolio and
 * bars") over one configuration. Clarity first: the batch simulator must reproduce it. */
#include "simulate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dated_tables.h"
#include "error.h"
#include "metric_acc.h"
#include "metrics.h"
#include "overlay.h"
#include "alloc.h"

/* The trading environment of bar t at the given prices; impact inputs from bar `seen`
 * (the deciding bar: an order never uses data after its decision). */
rb_trade_env rb_sim_env(const rb_matrix *m, const rb_sim_config *c, size_t t, const double *price, size_t seen)
{
    return (rb_trade_env){
        .N = m->N,
        .bar = t,
        .time = m->time[t],
        .price = price,
        .costs = c->costs,
        .plain_costs = c->plain_costs,
        .sigma = c->sigma ? c->sigma + seen * m->N : NULL,
        .adv = c->adv ? c->adv + seen * m->N : NULL,
        .gas = c->gas ? c->gas[t] : 0,
        .gas_tx = c->gas_tx,
        .gas_swap = c->gas_swap,
        .depth = c->depth,
        .routes = c->routes,
        .cash_col = c->cash_col,
        .symbols = (const char *const *)m->symbols,
        .min_trade = c->min_trade,
        .lot_size = c->lot_size,
    };
}

void rb_sim_exec_note(const rb_matrix *m, rb_exec exec, char *buf, size_t len)
{
    if (len == 0) return;
    buf[0] = '\0';
    if (exec != RB_EXEC_NEXT_OPEN || !m->has_open) return;
    size_t count = 0, listed = 0;
    char names[112] = "";
    for (size_t i = 0; i < m->N; i++) {
        if (m->has_open[i]) continue;
        count++;
        size_t used = strlen(names);
        /* Names while they fit, the rest counted ("A, B and 3 more"). */
        if (used + strlen(m->symbols[i]) + 2 < sizeof names - 16) {
            snprintf(names + used, sizeof names - used, "%s%s", listed ? ", " : "", m->symbols[i]);
            listed++;
        }
    }
    if (count == 0) return;
    if (count > listed) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, " and %zu more", count - listed);
    }
    snprintf(buf, len, "next-open on close-only data: %s %s no open price, so %s orders fill at the next bar's close",
             names, count == 1 ? "has" : "have", count == 1 ? "its" : "their");
}

/* Records bar t: value, cash, weights at the close, and the sum of |w - t| from the targets
 * in force as the metric accumulator takes it (metric_acc.h: the batch simulator's
 * arithmetic, weights from the units and the value's reciprocal). */
static void mark(const rb_matrix *m, rb_sim_result *r, size_t t)
{
    const size_t N = m->N;
    const double *close = m->close + t * N, *units = r->portfolio.units, *target = r->targets + t * N;
    double v = rb_portfolio_value(&r->portfolio, close), inv = 1 / v, dsum = 0;
    r->value[t] = v;
    r->cash[t] = r->portfolio.cash;
    for (size_t i = 0; i < N; i++) {
        r->weights[t * N + i] = v > 0 ? units[i] * close[i] / v : 0;
        dsum += rb_metric_drift_term(v, inv, units[i], close[i], target[i]);
    }
    r->dsum[t] = dsum;
    if (r->overlay) rb_overlay_sim_mark(r->overlay, &r->portfolio, close, target, v, t, r->weights + t * N, r->dsum + t);
}

/* Inverse-volatility targets at bar t: the risky assets share what CASH does not hold in
 * proportion to 1 / vol; CASH keeps its --assets weight. 0 (next left alone) while some
 * asset has no volatility estimate yet. */
static int inverse_vol_targets(const rb_matrix *m, const rb_sim_config *c, size_t t, double *next)
{
    const double *vol = c->vol + t * m->N;
    double cash = c->cash_col >= 0 ? c->target[c->cash_col] : 0, sum = 0;
    for (size_t i = 0; i < m->N; i++) {
        if ((int)i == c->cash_col) continue;
        if (!(vol[i] > 0)) return 0;
        sum += 1 / vol[i];
    }
    for (size_t i = 0; i < m->N; i++) next[i] = (int)i == c->cash_col ? cash : (1 - cash) / vol[i] / sum;
    return 1;
}

/* A targets table: its row in force at bar t becomes the targets in force, whether or not
 * the rule rebalances (bands measure drift against it, flows invest at it, a rebalance trades
 * to it). Moves st->table_row forward; the same at every call for the same bar. */
static void table_targets(const rb_matrix *m, const rb_sim_config *c, rb_sim_state *st, size_t t)
{
    const rb_target_table *tb = c->table;
    size_t r = st->table_row;
    while (r + 1 < tb->nrows && tb->time[r + 1] <= m->time[t]) r++;
    st->table_row = r;
    const double *row = tb->weight + r * tb->nsymbols;
    for (size_t i = 0; i < m->N; i++) st->current[i] = row[c->table_col[i]];
}

void rb_sim_result_release(rb_sim_result *r)
{
    free(r->targets);
    free(r->value);
    free(r->cash);
    free(r->flow);
    free(r->dsum);
    free(r->weights);
    rb_overlay_sim_free(r->overlay);
    rb_portfolio_release(&r->portfolio);
    memset(r, 0, sizeof *r);
}

void rb_sim_start_state(const rb_matrix *m, const rb_sim_config *c, rb_sim_state *st)
{
    memcpy(st->current, c->target, m->N * sizeof *st->current);
    st->pending = 0;
    st->last_rebalance = 0;
    st->flow = 0;
    st->depleted = 0;
    st->table_row = c->table ? rb_target_table_row(c->table, m->time[0]) : 0; /* in force: resolve checked */
    st->port->cash = c->capital;
}

rb_status rb_sim_start(const rb_matrix *m, const rb_sim_config *c, rb_sim_state *st, rb_error *err)
{
    /* Bar 0: the capital is invested at the targets at the close, costs and all. */
    rb_sim_start_state(m, c, st);
    rb_trade_env env = rb_sim_env(m, c, 0, m->close, 0);
    env.min_trade = 0; /* --min-trade applies to rebalances: the first allocation always happens */
    int traded;
    return rb_portfolio_rebalance(st->port, &env, c->target, RB_TRADE_INITIAL, &traded, err);
}

/* A new year with nothing to settle: nothing realized this year nor carried (the books close
 * to +0 again, the tax due is 0), no overlay and no targets table: its steps in
 * rb_sim_events leave the state as it is, to the bit. (A sweep without taxes has 20 of
 * them a configuration over 20 years; the batch skips them.) */
static int quiet_new_year(const rb_sim_config *c, const rb_sim_state *st)
{
    const rb_realized zero = {0, 0};
    return !st->ov && !c->table && memcmp(&st->port->year_realized, &zero, sizeof zero) == 0 &&
           memcmp(&st->port->carry, &zero, sizeof zero) == 0;
}

int rb_sim_has_events(const rb_matrix *m, const rb_sim_config *c, const rb_sim_state *st, size_t t)
{
    if (st->depleted) return 0;
    return st->pending || ((m->flags[t] & RB_NEW_YEAR) && !quiet_new_year(c, st)) ||
           (c->contribution != 0 && rb_period_hit(m, t, c->contribution_every, 0, 0));
}

rb_status rb_sim_events(const rb_matrix *m, const rb_sim_config *c, rb_sim_state *st, size_t t, rb_error *err)
{
    size_t N = m->N;
    int traded;
    rb_status rc;
    st->flow = 0;
    if (c->table) table_targets(m, c, st, t); /* a contribution invests at them */
    /* A new year's books open before anything trades on its first bar: the previous year's
     * tax (paid in step 2) counts only the gains realized up to the previous bar, and the
     * next-open sales of step 1, dated this bar, realize gains of the new year. */
    int new_year = (m->flags[t] & RB_NEW_YEAR) != 0;
    if (new_year && st->ov) rb_overlay_year_end(st->ov, c->overlay, st->port, m->close + (t - 1) * N);
    double tax_due = new_year ? rb_portfolio_close_year(st->port) : 0;
    /* 1. Orders decided on the previous bar execute at this bar's open. */
    if (st->pending) {
        rb_trade_env env = rb_sim_env(m, c, t, m->open + t * N, t - 1);
        rc = st->ov ? rb_overlay_rebalance(st->ov, c->overlay, st->port, &env, st->to, &traded, err)
                    : rb_portfolio_rebalance(st->port, &env, st->to, RB_TRADE_REBALANCE, &traded, err);
        if (rc != RB_OK) return rc;
        if (traded) st->last_rebalance = t;
        st->pending = 0;
    }
    rb_trade_env env = rb_sim_env(m, c, t, m->close + t * N, t);
    /* 2. The first bar of a year pays the previous year's tax. */
    if (new_year) {
        rc = rb_portfolio_pay_tax(st->port, &env, tax_due, err);
        if (rc != RB_OK) return rc;
    }
    /* 3. Contributions and withdrawals on the first bar of each period. */
    if (c->contribution != 0 && rb_period_hit(m, t, c->contribution_every, 0, 0)) {
        double before = rb_portfolio_value(st->port, env.price);
        rc = rb_portfolio_flow(st->port, &env, c->contribution, st->current, c->flows, &st->flow, err);
        if (rc != RB_OK) return rc;
        /* A withdrawal that took everything (or all but rounding dust) ends the run. */
        if (c->contribution < 0 && !(rb_portfolio_value(st->port, env.price) > RB_ORDER_DUST * before))
            st->depleted = 1;
    }
    return RB_OK;
}

rb_status rb_sim_decide(const rb_matrix *m, const rb_sim_config *c, rb_sim_state *st, size_t t, int *acted,
                        rb_error *err)
{
    size_t N = m->N, T = m->T;
    const double *close = m->close + t * N;
    *acted = 0;
    /* 4. The strategy decides on the closes of bar t, unless the value overflowed (a trade
     * on it would too). */
    double v = rb_portfolio_value(st->port, close);
    if (!isfinite(v)) return rb_metrics_overflow(t, m->time[t], v, err);
    for (size_t i = 0; i < N; i++) st->w[i] = v > 0 ? st->port->units[i] * close[i] / v : 0;
    if (st->ov) rb_overlay_weights(st->ov, c->overlay, st->port, close, v, st->w); /* the rule sees exposures */
    if (c->table) table_targets(m, c, st, t);
    memcpy(st->next, st->current, N * sizeof *st->next);
    if (c->vol) inverse_vol_targets(m, c, t, st->next);
    memcpy(st->to, st->next, N * sizeof *st->to);
    rb_decide_ctx ctx = {.m = m,
                         .t = t,
                         .weights = st->w,
                         .target = st->current,
                         .next_target = st->next,
                         .last_rebalance = st->last_rebalance};
    if (!c->strategy->decide(c->strategy_state, &ctx, st->to)) return RB_OK;
    /* A rebalance adopts the new targets; a decision on the final bar with --exec
     * next-open trades nothing and changes nothing. */
    if (c->exec == RB_EXEC_CLOSE || t + 1 < T) memcpy(st->current, st->next, N * sizeof *st->current);
    if (c->exec == RB_EXEC_NEXT_OPEN) {
        st->pending = t + 1 < T; /* a decision on the final bar has no next open */
        return RB_OK;
    }
    rb_trade_env env = rb_sim_env(m, c, t, close, t);
    int traded;
    rb_status rc = st->ov ? rb_overlay_rebalance(st->ov, c->overlay, st->port, &env, st->to, &traded, err)
                          : rb_portfolio_rebalance(st->port, &env, st->to, RB_TRADE_REBALANCE, &traded, err);
    if (rc != RB_OK) return rc;
    if (traded) st->last_rebalance = t;
    *acted = traded;
    return RB_OK;
}

static rb_status run_bars(const rb_matrix *m, const rb_sim_config *c, rb_sim_result *r, double *scratch, rb_error *err)
{
    size_t N = m->N, T = m->T;
    rb_sim_state st = {.port = &r->portfolio, .current = r->targets, .to = scratch, .next = scratch + N,
                       .w = scratch + 2 * N, .ov = r->overlay};
    rb_status rc = rb_sim_start(m, c, &st, err);
    if (rc != RB_OK) return rc;
    mark(m, r, 0);
    /* An overflow ends the run at once: the next bar would trade on infinite amounts. */
    if (!isfinite(r->value[0])) return rb_metrics_overflow(0, m->time[0], r->value[0], err);
    for (size_t t = 1; t < T; t++) {
        /* The targets in force carry over from the previous bar (row t of the path). */
        memcpy(r->targets + t * N, st.current, N * sizeof *st.current);
        st.current = r->targets + t * N;
        int acted;
        rc = rb_sim_events(m, c, &st, t, err);
        if (rc == RB_OK && st.ov && !st.depleted) { /* the overlay at the close: marked, funding, margin */
            rb_trade_env env = rb_sim_env(m, c, t, m->close + t * N, t);
            rc = rb_overlay_close(st.ov, c->overlay, st.port, &env, m->time[t - 1], err);
        }
        if (rc == RB_OK && !st.depleted) rc = rb_sim_decide(m, c, &st, t, &acted, err);
        if (rc != RB_OK) return rc;
        r->flow[t] = st.flow;
        /* 5. The bar's value and weights. */
        mark(m, r, t);
        if (!isfinite(r->value[t])) return rb_metrics_overflow(t, m->time[t], r->value[t], err);
        if (st.depleted) { /* the money ran out: the run ends on this bar */
            r->T = t + 1;
            r->depleted = 1;
            break;
        }
    }
    return RB_OK;
}

rb_status rb_simulate(const rb_matrix *m, const rb_sim_config *c, rb_sim_result *out, rb_error *err)
{
    size_t N = m->N, T = m->T;
    if (T < 2) return rb_fail(err, RB_ERR_DATA, "a run needs at least 2 bars (got %zu)", T);
    rb_sim_result r = {.T = T, .N = N};
    double *scratch = rb_malloc(3 * N * sizeof *scratch);
    r.targets = rb_calloc(T * N, sizeof *r.targets);
    r.value = rb_calloc(T, sizeof *r.value);
    r.cash = rb_calloc(T, sizeof *r.cash);
    r.flow = rb_calloc(T, sizeof *r.flow);
    r.dsum = rb_calloc(T, sizeof *r.dsum);
    r.weights = rb_calloc(T * N, sizeof *r.weights);
    rb_status rc = RB_OK;
    if (!scratch || !r.targets || !r.value || !r.cash || !r.flow || !r.dsum || !r.weights)
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (rc == RB_OK) rc = rb_portfolio_init(&r.portfolio, &c->portfolio, err);
    if (rc == RB_OK && c->overlay) rc = rb_overlay_sim_new(c->overlay, N, T, &r.overlay, err);
    if (rc == RB_OK) rc = run_bars(m, c, &r, scratch, err);
    free(scratch);
    if (rc == RB_OK) {
        T = r.T; /* the bars up to the depletion of a depleted run */
        const double *last = m->close + (T - 1) * N;
        double pending = r.overlay ? rb_overlay_pending_tax(r.overlay, c->overlay, &r.portfolio, last, m->time[T - 1])
                                   : rb_portfolio_pending_tax(&r.portfolio, last, m->time[T - 1]);
        char note[sizeof r.metrics.exec_note];
        rb_sim_exec_note(m, c->exec, note, sizeof note);
        rb_metric_input in = {
            .T = T,
            .time = m->time,
            .value = r.value,
            .flow = r.flow,
            .N = N,
            .close = m->close,
            .growth = m->growth,
            .target = c->target,
            .target_path = r.targets,
            .weights = r.weights,
            .dsum = r.dsum,
            .cash = r.cash,
            .periods_per_year = m->periods_per_year,
            .periods_source = m->periods_source,
            .periods_inferred = m->periods_inferred,
            .exec_note = note,
            .rf = c->rf,
            .rebalances = r.portfolio.rebalances,
            .traded_value = r.portfolio.traded_value,
            .fees = r.portfolio.fees,
            .slippage = r.portfolio.slippage,
            .gas = r.portfolio.gas,
            .taxes = r.portfolio.taxes,
            .after_tax_value = r.value[T - 1] - pending,
            .depleted = r.depleted,
            .bench = c->bench,
        };
        rc = rb_metrics_compute(&in, &r.metrics, err);
        if (rc == RB_OK && r.overlay) rc = rb_overlay_sim_finish(m, c, &r, err);
    }
    if (rc != RB_OK) {
        rb_sim_result_release(&r);
        return rc;
    }
    *out = r;
    return RB_OK;
}
