/* report_model.c - the report model's names, its list of files and its release
 * (report_model.h). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_model.h"
#include "report_resample.h"
#include "alloc.h"

static const char *const chart_names[RB_CHART_COUNT] = {"equity", "drawdown", "weights", "heatmap",
                                                        "frontier", "annual", "excess", "monthly", "rolling"};
static const char *const chart_titles[RB_CHART_COUNT] = {
    "Equity curves", "Drawdowns", "Weights against targets", "Parameter heatmap",
    "Cost against tracking error", "Annual returns", "Excess over buy-and-hold, decomposed", "Monthly returns",
    "Rolling one-year Sharpe ratio and volatility"};

const char *rb_chart_name(rb_chart_id id) { return id < RB_CHART_COUNT ? chart_names[id] : "?"; }
const char *rb_chart_title(rb_chart_id id) { return id < RB_CHART_COUNT ? chart_titles[id] : "?"; }

static void free_strings(char **list, size_t n)
{
    if (!list) return;
    for (size_t i = 0; i < n; i++) free(list[i]);
    free(list);
}

rb_status rb_report_add_file(rb_report *r, const char *name, rb_error *err)
{
    char **list = rb_realloc(r->csv, (r->ncsv + 1) * sizeof *list);
    if (!list) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    r->csv = list;
    if (!(r->csv[r->ncsv] = rb_strdup(name))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    r->ncsv++;
    return RB_OK;
}

void rb_report_release(rb_report *r)
{
    if (!r) return;
    rb_report_resample_free(r->resample);
    r->resample = NULL;
    free(r->conventions);
    free(r->extra_html);
    for (size_t k = 0; k < r->nseries; k++) {
        rb_report_series *s = &r->series[k];
        free(s->time);
        free(s->value);
        free(s->drawdown);
        free(s->years);
        free(s->annual);
        free(s->ret);
    }
    free(r->series);
    free(r->levels);
    rb_report_weights *w = &r->weights;
    free(w->time);
    free_strings(w->symbols, w->N);
    free(w->weights);
    free(w->target);
    free(w->rebalances);
    free(r->heatmap.x);
    free(r->heatmap.y);
    free(r->heatmap.z);
    free(r->heatmap.x_words);
    free(r->heatmap.y_words);
    free(r->frontier.families);
    free(r->frontier.family);
    free(r->frontier.x);
    free(r->frontier.y);
    free(r->top.head);
    free(r->top.numeric);
    if (r->top.cells)
        for (size_t k = 0; k < r->top.nrows * r->top.ncols; k++) free(r->top.cells[k]);
    free(r->top.cells);
    free_strings(r->csv, r->ncsv);
    *r = (rb_report){0};
}
