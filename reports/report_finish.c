/* report_finish.c - what every report does once its model is built (report_finish.h):
 * conventions.txt, the charts, index.html, the summary's chart fields and the ranked table
 * printed for --ranking. */
#include "report_finish.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charts.h"
#include "error.h"
#include "html.h"
#include "metric_table.h"
#include "report_files.h"
#include "results/reader.h"
#include "text.h"

/* ---------------------------------------------------------------- conventions.txt */

typedef struct text_buf {
    char *text;
    size_t len;
    FILE *f;
} text_buf;

static void settings_lines(FILE *f, const rb_kvlist *l, const char *none)
{
    if (l->n == 0) fprintf(f, "  %s\n", none);
    for (size_t i = 0; i < l->n; i++) fprintf(f, "  %s = %s\n", l->key[i], l->value[i]);
}

static rb_status write_conventions(rb_report *r, const rb_report_input *in, const char *dir, rb_error *err)
{
    const rb_metrics *m = &r->series[0].metrics;
    char a[32], b[32];
    text_buf t = {0};
    if (!(t.f = open_memstream(&t.text, &t.len))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    FILE *f = t.f;
    fprintf(f, "%s\n%s\n\n", r->title, r->subtitle);
    fprintf(f, "Data\n  %zu bars from %s to %s\n", m->bars, rb_time_format(m->start, a), rb_time_format(m->end, b));
    fprintf(f, "  periods per year: %g (%s)\n", m->periods_per_year, m->periods_source);
    fprintf(f, "  risk-free rate: %g per year (Sharpe ratio only)\n", m->rf);
    /* The replayed runs share the data; the first with a note states it for all. */
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].metrics.exec_note[0]) {
            fprintf(f, "  execution: %s\n", r->series[k].metrics.exec_note);
            break;
        }
    fputc('\n', f);
    fputs("Settings every configuration shares\n", f);
    settings_lines(f, &in->data, "(the defaults)");
    fprintf(f, "\nScenario of the comparisons (charts 1-3, 5-7 and the page's table)\n  %s\n",
            in->scenario_text[0] ? in->scenario_text : "the only cost, tax and flow settings there are");
    fputs("  Buy-and-hold and every-bar rebalancing (calendar every=1) are replayed under it.\n\n", f);
    if (r->has_heatmap)
        fprintf(f, "Heatmap (chart 4)\n  family %s: %s (x) against %s (y); colour: %s, the best over the other\n"
                   "  parameters of each cell, the other cost, tax and flow settings at the scenario\n\n",
                r->heatmap.family, r->heatmap.x_key, r->heatmap.y_key, r->heatmap.z_label);
    else
        fprintf(f, "Heatmap (chart 4)\n  none: %s\n\n", r->heatmap_why);
    fprintf(f, "Ranking\n  by %s (%s is better)\n\n", r->metric, rb_results_ascending(r->metric) ? "lower" : "higher");
    fputs("Metrics (docs/metrics.md)\n"
          "  returns are time-weighted with flows removed; standard deviations are sample (n - 1);\n"
          "  fractions are written as fractions in the CSV files and as percentages on the page;\n"
          "  costs are fees + slippage + gas in USD; undefined ratios are empty cells.\n\n",
          f);
    fputs("Excess over buy-and-hold (chart 7), fraction per year of the after-tax growth rate\n"
          "  g(V) = (V / capital)^(P / n) - 1, V the after-tax value, n the number of returns:\n"
          "  every-bar gain = g(every bar) - g(buy-and-hold), both without costs or taxes: the same\n"
          "                   for every family (not the rebalancing_bonus metric, docs/metrics.md)\n"
          "  drift          = g(rule) - g(every bar), both without costs or taxes\n"
          "  cost drag      = the rule's loss to costs minus buy-and-hold's\n"
          "  tax drag       = the rule's loss to taxes minus buy-and-hold's\n"
          "  The four add up to g(rule) - g(buy-and-hold) after costs and taxes.\n\n",
          f);
    fputs("Annual returns (annual_returns.csv)\n"
          "  time-weighted return of each calendar year (UTC); partial = 1 marks the first and last\n"
          "  years of the data, which may cover part of the year.\n\n",
          f);
    if (in->about) fputs(in->about, f);
    if (fclose(f) != 0 || !t.text) {
        free(t.text);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    r->conventions = t.text;
    const char *name = "conventions.txt";
    FILE *out = rb_report_open(dir, name, err);
    if (!out) return err ? err->code : RB_ERR_IO;
    fputs(r->conventions, out);
    rb_status rc = rb_report_close(out, dir, name, RB_OK, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

/* ---------------------------------------------------------------- finishing */

/* The short ranked table of opt->ranking. */
static void print_ranking(const rb_report *r, FILE *out)
{
    size_t n = r->nseries, order[n ? n : 1];
    for (size_t k = 0; k < n; k++) order[k] = k;
    int asc = rb_results_ascending(r->metric);
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0; b--) {
            double x = rb_metric_value(&r->series[order[b]].metrics, r->metric);
            double y = rb_metric_value(&r->series[order[b - 1]].metrics, r->metric);
            if (!(asc ? x < y : x > y)) break;
            size_t t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    fprintf(out, "  %-4s %-44s %16s %8s %8s %12s %12s %14s\n", "rank", "rule (the best of each family)", r->metric,
            "cagr", "max dd", "costs", "taxes", "vs hold (pp/y)");
    for (size_t k = 0; k < n; k++) {
        const rb_report_series *s = &r->series[order[k]];
        const rb_metrics *m = &s->metrics;
        char excess[32] = "-";
        if (s->role == RB_SERIES_HOLD) snprintf(excess, sizeof excess, "0");
        else if (isfinite(s->split.excess)) snprintf(excess, sizeof excess, "%+.2f", 100 * s->split.excess);
        fprintf(out, "  %-4zu %-44.44s %16.2f %7.2f%% %7.2f%% %12.2f %12.2f %14s\n", k + 1, s->label,
                rb_metric_value(m, r->metric), 100 * m->cagr, 100 * m->max_drawdown,
                m->fees_paid + m->slippage_paid + m->gas_paid, m->taxes_paid, excess);
    }
}

void rb_report_note_chart(rb_report_summary *sum, const char *name, const rb_chart_outcome *o)
{
    sum->charts_total++;
    if (o->state == RB_CHART_DRAWN) sum->charts_drawn++;
    if (o->state == RB_CHART_NO_GNUPLOT)
        rb_text_append(sum->missing, sizeof sum->missing, "%s%s", sum->missing[0] ? ", " : "", name);
    if (o->state == RB_CHART_FAILED)
        rb_text_append(sum->failed, sizeof sum->failed, "%s%s (%s)", sum->failed[0] ? "; " : "", name, o->why);
}

rb_status rb_report_complete(rb_report *r, const rb_report_input *in, const rb_report_options *opt, const char *dir,
                             rb_report_summary *sum, rb_error *err)
{
    rb_status rc = write_conventions(r, in, dir, err);
    rb_chart_outcome charts[RB_CHART_COUNT];
    if (rc == RB_OK && opt->no_charts) {
        for (size_t c = 0; c < RB_CHART_COUNT; c++)
            charts[c] = (rb_chart_outcome){RB_CHART_NOT_APPLICABLE, "charts were not requested (--no-charts)"};
    } else if (rc == RB_OK) {
        rc = rb_charts_write(r, dir, charts, err);
    }
    if (rc == RB_OK) rc = rb_html_write(r, dir, charts, err);
    if (rc != RB_OK) return rc;
    for (size_t c = 0; c < RB_CHART_COUNT; c++) rb_report_note_chart(sum, rb_chart_name(c), &charts[c]);
    if (r->nseries > 2) snprintf(sum->best, sizeof sum->best, "%s", r->series[2].label);
    if (opt->ranking) print_ranking(r, opt->ranking);
    return RB_OK;
}
