/* report_build.c - the replays behind a report: buy-and-hold, every-bar rebalancing and each
 * family's best configuration run again by the reference simulator (with curves, orders and
 * lots), the counterfactual runs of the excess split, and the model's series and weights
 * filled from them (report_build.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "date.h"
#include "error.h"
#include "report_build.h"
#include "periods.h"
#include "report_files.h"
#include "resolve.h"
#include "run_result.h"
#include "alloc.h"

/* Which settings a replay leaves out (back to their defaults). */
enum {
    DROP_COSTS = 1u,
    DROP_TAX = 2u,
    DROP_DERIVATIVES = 4u, /* funding, perp and liquidation fees */
    DROP_OVERLAY = 8u      /* --overlay none: the same rule trading spot */
};

/* What a compared run keeps: its files are written. */
#define KEEP_ALL (RB_KEEP_CURVE | RB_KEEP_TRADES | RB_KEEP_LOTS)

/* The prices every replay runs on, loaded once: the shared settings name them. */
typedef struct dataset {
    rb_store *prices;
    rb_matrix *m;
    const char *spec_path; /* the sweep file (rb_report_input.spec_path), or NULL */
} dataset;

/* Runs the shared settings plus params (less the dropped groups) under `strategy` (NULL: the
 * params' own). */
static rb_status replay(const dataset *d, const rb_kvlist *data, const rb_kvlist *params, unsigned drop,
                        const char *strategy, const char *every, unsigned keep, rb_run_result **out, rb_error *err)
{
    rb_run_spec *spec = NULL;
    rb_status rc = rb_run_spec_new(&spec, err);
    for (size_t i = 0; rc == RB_OK && i < data->n; i++) rc = rb_run_spec_set(spec, data->key[i], data->value[i], err);
    for (size_t i = 0; rc == RB_OK && params && i < params->n; i++) {
        const char *g = rb_setting_group(params->key[i]);
        if ((drop & DROP_COSTS) && strcmp(g, "costs") == 0) continue;
        if ((drop & DROP_TAX) && strcmp(g, "tax") == 0) continue;
        /* An anchor (buy-and-hold, every bar) keeps the scenario but not the rule. */
        if (strategy && !rb_is_scenario_key(params->key[i])) continue;
        rc = rb_report_spec_set(spec, d->spec_path, params->key[i], params->value[i], err);
    }
    if (rc == RB_OK && (drop & DROP_OVERLAY)) rc = rb_run_spec_set(spec, "overlay", "none", err);
    if (drop & DROP_DERIVATIVES)
        for (const char *const *kv = (const char *const[]){"funding-series", "", "perp-fee-bps", "0",
                                                           "liquidation-fee-bps", "0", NULL};
             rc == RB_OK && *kv; kv += 2)
            rc = rb_run_spec_set(spec, kv[0], kv[1], err);
    if (rc == RB_OK && strategy) rc = rb_run_spec_set(spec, "strategy", strategy, err);
    if (rc == RB_OK && every) rc = rb_run_spec_set(spec, "every", every, err);
    if (rc == RB_OK) rc = rb_run_matrix(d->prices, d->m, spec, keep, out, err);
    rb_run_spec_free(spec);
    return rc;
}

static rb_status load_dataset(const rb_kvlist *data, dataset *d, rb_error *err)
{
    rb_run_spec *spec = NULL;
    rb_status rc = rb_run_spec_new(&spec, err);
    for (size_t i = 0; rc == RB_OK && i < data->n; i++) rc = rb_run_spec_set(spec, data->key[i], data->value[i], err);
    if (rc == RB_OK) rc = rb_resolve_matrix(d->prices, spec, &d->m, err);
    rb_run_spec_free(spec);
    return rc;
}

/* The metrics of a replay that keeps nothing else. */
static rb_status replay_metrics(const dataset *d, const rb_kvlist *data, const rb_kvlist *params, unsigned drop,
                                const char *strategy, const char *every, rb_metrics *out, rb_error *err)
{
    rb_run_result *res = NULL;
    rb_status rc = replay(d, data, params, drop, strategy, every, 0, &res, err);
    if (rc == RB_OK) *out = *rb_run_metrics(res);
    rb_run_result_free(res);
    return rc;
}

/* The after-tax growth rate per year: (V / capital)^(P / n) - 1. */
static double growth(const rb_metrics *m, double capital)
{
    double n = (double)m->bars - 1;
    if (n < 1 || capital <= 0 || m->after_tax_value <= 0) return NAN;
    return pow(m->after_tax_value / capital, m->periods_per_year / n) - 1;
}

static double capital_of(const rb_kvlist *data)
{
    const char *v = rb_kvlist_get(data, "capital");
    for (size_t i = 0; !v && i < rb_setting_count(); i++)
        if (strcmp(rb_setting_at(i)->key, "capital") == 0) v = rb_setting_at(i)->def;
    return v ? strtod(v, NULL) : NAN;
}

static int year_of(rb_time t)
{
    int y;
    unsigned mo, d;
    rb_civil_from_days(rb_time_days(t), &y, &mo, &d);
    return y;
}

/* Copies the curve, drawdown and annual returns of a kept run into a series. */
static rb_status fill_series(const rb_run_result *res, rb_report_series *s, rb_error *err)
{
    const rb_matrix *m = res->m;
    const rb_sim_result *sim = &res->sim;
    size_t T = sim->T; /* up to the depletion of a depleted run */
    s->metrics = sim->metrics;
    s->T = T;
    s->time = rb_malloc(T * sizeof *s->time);
    s->value = rb_malloc(T * sizeof *s->value);
    s->drawdown = rb_malloc(T * sizeof *s->drawdown);
    /* At most one year per bar, plus one. */
    s->years = rb_malloc((T + 1) * sizeof *s->years);
    s->annual = rb_malloc((T + 1) * sizeof *s->annual);
    s->ret = rb_malloc(T * sizeof *s->ret);
    if (!s->time || !s->value || !s->drawdown || !s->years || !s->annual || !s->ret)
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    rb_periods_returns(sim, s->ret);
    /* The time-weighted index (flows removed), as the curve file's drawdown. */
    double index = 1, peak = 1, year_growth = 1;
    int year = 0;
    s->nyears = 0;
    for (size_t t = 0; t < T; t++) {
        double r = t > 0 ? (sim->value[t] - sim->flow[t]) / sim->value[t - 1] : 1;
        index *= r;
        if (index > peak) peak = index;
        s->time[t] = m->time[t];
        s->value[t] = sim->value[t];
        s->drawdown[t] = 1 - index / peak;
        int y = year_of(m->time[t]);
        if (t == 0) {
            year = y;
        } else if (y != year) { /* the return into the first bar of a year belongs to it */
            s->years[s->nyears] = year;
            s->annual[s->nyears++] = year_growth - 1;
            year = y;
            year_growth = 1;
        }
        if (t > 0) year_growth *= r;
    }
    if (T > 1) {
        s->years[s->nyears] = year;
        s->annual[s->nyears++] = year_growth - 1;
    }
    return RB_OK;
}

static rb_status fill_weights(const rb_run_result *res, const char *label, rb_report_weights *w, rb_error *err)
{
    const rb_matrix *m = res->m;
    const rb_portfolio *p = &res->sim.portfolio;
    snprintf(w->label, sizeof w->label, "%s", label);
    w->T = res->sim.T; /* up to the depletion of a depleted run */
    w->N = m->N;
    w->time = rb_malloc(m->T * sizeof *w->time);
    w->symbols = rb_calloc(m->N, sizeof *w->symbols);
    w->weights = rb_malloc(m->T * m->N * sizeof *w->weights);
    w->target = rb_malloc(m->N * sizeof *w->target);
    w->rebalances = rb_malloc((p->ntrades ? p->ntrades : 1) * sizeof *w->rebalances);
    if (!w->time || !w->symbols || !w->weights || !w->target || !w->rebalances)
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    memcpy(w->time, m->time, m->T * sizeof *w->time);
    memcpy(w->weights, res->sim.weights, m->T * m->N * sizeof *w->weights);
    memcpy(w->target, res->sim.targets, m->N * sizeof *w->target);
    for (size_t i = 0; i < m->N; i++)
        if (!(w->symbols[i] = rb_strdup(m->symbols[i]))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    /* Orders are recorded in time order: one date per rebalance that traded. */
    for (size_t k = 0; k < p->ntrades; k++) {
        const rb_trade *tr = &p->trades[k];
        if (tr->kind != RB_TRADE_REBALANCE || tr->skipped) continue;
        if (w->nrebalances && w->rebalances[w->nrebalances - 1] == tr->time) continue;
        w->rebalances[w->nrebalances++] = tr->time;
    }
    return RB_OK;
}

/* A compared run with its counterfactual runs. */
typedef struct replayed {
    rb_run_result *net;        /* as configured, with curve, orders and lots */
    rb_metrics gross, costs;   /* without costs and tax; without tax */
    rb_metrics plain;          /* with an overlay: without tax, funding, perp and liquidation fees */
    rb_metrics spot;           /* with an overlay: the same, all costs and tax, trading spot */
    int overlay;               /* the run has --overlay perp */
} replayed;

/* 1 when the settings (the last value of key "overlay" in data, then params) ask for the
 * perpetual-futures overlay. */
static int has_overlay(const rb_kvlist *data, const rb_kvlist *params)
{
    int on = 0;
    for (int k = 0; k < 2; k++) {
        const rb_kvlist *l = k ? params : data;
        for (size_t i = 0; l && i < l->n; i++)
            if (strcmp(l->key[i], "overlay") == 0) on = strcmp(l->value[i], "perp") == 0;
    }
    return on;
}

/* Replays a compared run (under `strategy` and `every` when given, else its own rule) and
 * its counterfactuals: without costs and taxes, and, with with_costs, without taxes. */
static rb_status replay_compared(const dataset *d, const rb_kvlist *data, const rb_kvlist *params, const char *strategy,
                                 const char *every, int with_costs, replayed *out, rb_error *err)
{
    rb_status rc = replay(d, data, params, 0, strategy, every, KEEP_ALL, &out->net, err);
    if (rc == RB_OK) rc = replay_metrics(d, data, params, DROP_COSTS | DROP_TAX, strategy, every, &out->gross, err);
    if (rc == RB_OK && with_costs) rc = replay_metrics(d, data, params, DROP_TAX, strategy, every, &out->costs, err);
    out->overlay = with_costs && !strategy && has_overlay(data, params);
    if (rc == RB_OK && out->overlay)
        rc = replay_metrics(d, data, params, DROP_TAX | DROP_DERIVATIVES, strategy, every, &out->plain, err);
    if (rc == RB_OK && out->overlay) rc = replay_metrics(d, data, params, DROP_OVERLAY, strategy, every, &out->spot, err);
    return rc;
}

rb_status rb_report_build(rb_store *prices, const rb_report_input *in, const rb_report_options *opt,
                          const char *dir, rb_report *r, rb_error *err)
{
    if (in->nbest == 0) return rb_fail(err, RB_ERR_DATA, "nothing to report: no configuration");
    const rb_report_cfg *best = &in->best[0];
    size_t F = in->nbest;
    replayed hold = {0}, every = {0}, *fam = rb_calloc(F, sizeof *fam);
    if (!fam) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    dataset d = {.prices = prices, .spec_path = in->spec_path};
    rb_status rc = load_dataset(&in->data, &d, err);
    /* The anchors at the scenario of the best configuration. */
    if (rc == RB_OK) rc = replay_compared(&d, &in->data, &best->params, "buy-and-hold", NULL, 1, &hold, err);
    if (rc == RB_OK) rc = replay_compared(&d, &in->data, &best->params, "calendar", "1", 0, &every, err);
    for (size_t f = 0; f < F && rc == RB_OK; f++) {
        const rb_report_cfg *c = &in->best[f];
        rc = replay_compared(&d, &in->data, &c->params, NULL, NULL, 1, &fam[f], err);
        if (rc != RB_OK) {
            char label[256];
            rb_report_cfg_label(c, label, sizeof label);
            rb_error_prefix(err, "replaying %s", label);
        }
    }

    /* The series: [0] hold, [1] every bar, then the families. */
    if (rc == RB_OK && !(r->series = rb_calloc(F + 2, sizeof *r->series))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (rc == RB_OK) {
        r->nseries = F + 2;
        double capital = capital_of(&in->data);
        r->capital = capital;
        double g_hold_gross = growth(&hold.gross, capital), g_hold_costs = growth(&hold.costs, capital);
        double g_hold = growth(rb_run_metrics(hold.net), capital), g_every_gross = growth(&every.gross, capital);
        for (size_t k = 0; k < F + 2 && rc == RB_OK; k++) {
            rb_report_series *s = &r->series[k];
            const rb_run_result *res = k == 0 ? hold.net : k == 1 ? every.net : fam[k - 2].net;
            if (k < 2) {
                s->role = k == 0 ? RB_SERIES_HOLD : RB_SERIES_EVERY_BAR;
                snprintf(s->family, sizeof s->family, "%s", k == 0 ? "buy-and-hold" : "every bar");
                snprintf(s->label, sizeof s->label, "%s", k == 0 ? "buy-and-hold" : "every bar (calendar every=1)");
                /* Only the total: the split is of the families' rules. */
                s->split.excess = k == 0 ? 0 : growth(rb_run_metrics(every.net), capital) - g_hold;
            } else {
                const rb_report_cfg *c = &in->best[k - 2];
                const replayed *p = &fam[k - 2];
                s->role = RB_SERIES_BEST;
                s->config_id = c->id;
                snprintf(s->family, sizeof s->family, "%s", c->section);
                rb_report_cfg_label(c, s->label, sizeof s->label);
                snprintf(s->edge, sizeof s->edge, "%s", c->edge);
                double g_gross = growth(&p->gross, capital), g_costs = growth(&p->costs, capital);
                double g_net = growth(rb_run_metrics(p->net), capital);
                s->split = (rb_excess_split){
                    .every_bar_gain = g_every_gross - g_hold_gross,
                    .drift = g_gross - g_every_gross,
                    .cost_drag = (g_costs - g_gross) - (g_hold_costs - g_hold_gross),
                    .tax_drag = (g_net - g_costs) - (g_hold - g_hold_costs),
                    .excess = g_net - g_hold,
                };
                if (p->overlay) { /* the funding and derivative fees out of the costs */
                    double g_plain = growth(&p->plain, capital);
                    s->overlay = 1;
                    s->derivatives = g_costs - g_plain;
                    s->has_spot = 1;
                    s->spot = p->spot;
                    s->split.cost_drag = (g_plain - g_gross) - (g_hold_costs - g_hold_gross);
                }
                s->has_split = isfinite(s->split.excess) && isfinite(s->split.every_bar_gain) && isfinite(s->split.drift);
            }
            rc = fill_series(res, s, err);
        }
    }
    /* Chart 3: the chosen configuration's weights, else the best's. */
    if (rc == RB_OK && in->weights) {
        rb_run_result *w = NULL;
        char label[256];
        rb_report_cfg_label(in->weights, label, sizeof label);
        rc = replay(&d, &in->data, &in->weights->params, 0, NULL, NULL, KEEP_ALL, &w, err);
        if (rc == RB_OK) rc = fill_weights(w, label, &r->weights, err);
        rb_run_result_free(w);
        r->has_weights = rc == RB_OK;
    } else if (rc == RB_OK) {
        size_t pick = 0;
        for (size_t f = 0; f < F; f++)
            if (opt->weights_id && in->best[f].id == opt->weights_id) pick = f;
        rc = fill_weights(fam[pick].net, r->series[pick + 2].label, &r->weights, err);
        r->has_weights = rc == RB_OK;
    }
    if (rc == RB_OK) {
        const rb_run_result **runs = rb_malloc((F + 2) * sizeof *runs);
        if (!runs) {
            rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        } else {
            runs[0] = hold.net;
            runs[1] = every.net;
            for (size_t f = 0; f < F; f++) runs[f + 2] = fam[f].net;
            rc = rb_report_write_runs(r, runs, dir, err);
            free(runs);
        }
    }
    rb_run_result_free(hold.net);
    rb_run_result_free(every.net);
    for (size_t f = 0; f < F; f++) rb_run_result_free(fam[f].net);
    free(fam);
    rb_matrix_free(d.m); /* after the results that borrowed it */
    return rc;
}
