/* report_summary.c - the summaries of a report's configurations (report_summary.h): the
 * rows of the page's table of top configurations, and the frontier's axes and points. */
#include "report_summary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "metric_table.h"
#include "alloc.h"

/* ---------------------------------------------------------------- the page's table */

/* The metrics the table shows, in order (cost = fees + slippage + gas). */
static const char *const table_metrics[] = {"after_tax_value", "cagr", "ann_vol", "max_drawdown", "sharpe",
                                            "rebalances", "turnover", "costs", "taxes_paid", "tracking_error"};
#define NTABLE (sizeof table_metrics / sizeof table_metrics[0])

rb_status rb_report_table_init(rb_report_table *t, rb_error *err)
{
    t->ncols = 3 + NTABLE;
    t->head = rb_calloc(t->ncols, sizeof *t->head);
    t->numeric = rb_calloc(t->ncols, sizeof *t->numeric);
    if (!t->head || !t->numeric) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    /* Static strings: the heads are freed with free(t->head) only. */
    static const char *const heads[3 + NTABLE] = {
        "family", "config id", "parameters", "after-tax value (USD)", "CAGR (%)", "volatility (%)",
        "max drawdown (%)", "Sharpe", "rebalances", "turnover (per year)", "costs (USD)", "taxes (USD)",
        "tracking error (%)"};
    for (size_t c = 0; c < t->ncols; c++) {
        t->head[c] = (char *)heads[c];
        t->numeric[c] = c == 1 || c >= 3;
    }
    return RB_OK;
}

rb_status rb_report_table_add(rb_report_table *t, const char *family, int64_t id, const char *params,
                              const rb_metrics *m, rb_error *err)
{
    char **cells = rb_realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof *cells);
    if (!cells) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    t->cells = cells;
    char **row = cells + t->nrows * t->ncols;
    for (size_t c = 0; c < t->ncols; c++) row[c] = NULL;
    t->nrows++;
    char idtext[32] = "";
    if (id) snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    const char *text[3] = {family, idtext, params};
    for (size_t c = 0; c < t->ncols; c++) {
        char buf[48];
        if (c < 3) {
            row[c] = rb_strdup(text[c]);
        } else {
            const char *name = table_metrics[c - 3];
            if (strcmp(name, "costs") == 0) {
                snprintf(buf, sizeof buf, "%.2f", m->fees_paid + m->slippage_paid + m->gas_paid);
            } else {
                const rb_metric_info *info = rb_metric_find(name);
                rb_report_cell(info, rb_metric_value(m, name), buf);
            }
            row[c] = rb_strdup(buf);
        }
        if (!row[c]) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    return RB_OK;
}

/* The two anchors first. */
rb_status rb_report_table_anchors(rb_report *r, rb_error *err)
{
    rb_status rc = RB_OK;
    for (size_t k = 0; k < r->nseries && k < 2 && rc == RB_OK; k++)
        rc = rb_report_table_add(&r->top, r->series[k].family, 0, "", &r->series[k].metrics, err);
    return rc;
}

void rb_report_cell(const rb_metric_info *info, double v, char out[48])
{
    if (isnan(v)) snprintf(out, 48, "%s", "");
    else if (strcmp(info->unit, "USD") == 0) snprintf(out, 48, "%.2f", v);
    else if (strcmp(info->unit, "fraction") == 0) snprintf(out, 48, "%.2f", 100 * v);
    else if (strcmp(info->unit, "count") == 0) snprintf(out, 48, "%.0f", v);
    else if (strcmp(info->unit, "per year") == 0) snprintf(out, 48, "%.3f", v);
    else snprintf(out, 48, "%.3f", v);
}

/* ---------------------------------------------------------------- frontier */

void rb_report_frontier_point(const rb_report *r, const rb_metrics *m, double *x, double *y)
{
    *x = 100 * m->tracking_error;
    *y = r->frontier.y_label[0] == 'c' ? m->fees_paid + m->slippage_paid + m->gas_paid : 100 * m->turnover;
}

void rb_report_frontier_axes(rb_report *r, int use_cost)
{
    rb_report_frontier *f = &r->frontier;
    snprintf(f->x_label, sizeof f->x_label, "tracking error against the constant mix (%% per year)");
    snprintf(f->y_label, sizeof f->y_label, "%s",
             use_cost ? "costs paid: fees + slippage + gas (USD)" : "one-way turnover (% of the portfolio per year)");
    if (r->nseries >= 2) {
        rb_report_frontier_point(r, &r->series[0].metrics, &f->hold_x, &f->hold_y);
        rb_report_frontier_point(r, &r->series[1].metrics, &f->every_x, &f->every_y);
    }
    /* The best configuration: the first family's best (the families are in rank order). */
    f->best_x = f->best_y = NAN;
    f->best_label[0] = '\0';
    if (r->nseries >= 3 && r->series[2].role == RB_SERIES_BEST) {
        rb_report_frontier_point(r, &r->series[2].metrics, &f->best_x, &f->best_y);
        snprintf(f->best_label, sizeof f->best_label, "%s", r->series[2].label);
    }
}

rb_status rb_report_frontier_series(rb_report *r, rb_error *err)
{
    rb_report_frontier *f = &r->frontier;
    int use_cost = 0;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_metrics *m = &r->series[k].metrics;
        if (m->fees_paid + m->slippage_paid + m->gas_paid > 0) use_cost = 1;
    }
    rb_report_frontier_axes(r, use_cost);
    size_t n = r->nseries > 2 ? r->nseries - 2 : 0;
    f->families = rb_calloc(n ? n : 1, sizeof *f->families);
    f->family = rb_calloc(n ? n : 1, sizeof *f->family);
    f->x = rb_calloc(n ? n : 1, sizeof *f->x);
    f->y = rb_calloc(n ? n : 1, sizeof *f->y);
    if (!f->families || !f->family || !f->x || !f->y) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        snprintf(f->families[k], sizeof f->families[k], "%s", r->series[k + 2].family);
        f->family[k] = k;
        rb_report_frontier_point(r, &r->series[k + 2].metrics, &f->x[k], &f->y[k]);
    }
    f->nfamilies = f->npoints = f->sampled_from = n;
    return RB_OK;
}
