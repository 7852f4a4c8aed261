/* report.c - what every report shares once its model is built: the page's table rows,
 * conventions.txt, the charts and index.html (rb_report_finish); and the report of one run
 * against buy-and-hold and every-bar rebalancing (rb_report_run). The report of a sweep is in
 * report_sweep.c. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv_write.h"
#include "error.h"
#include "report_files.h"
#include "report_internal.h"
#include "results/reader.h"

rb_status rb_report_add_file(rb_report *r, const char *name, rb_error *err)
{
    char **list = realloc(r->csv, (r->ncsv + 1) * sizeof *list);
    if (!list) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    r->csv = list;
    if (!(r->csv[r->ncsv] = strdup(name))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    r->ncsv++;
    return RB_OK;
}

rb_status rb_report_make_dir(const char *dir, rb_error *err)
{
    if (!dir || !*dir) return rb_fail(err, RB_ERR_USAGE, "no report directory given (--out DIR)");
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) return rb_fail(err, RB_ERR_IO, "%s: exists and is not a directory", dir);
        return RB_OK;
    }
    if (mkdir(dir, 0777) != 0) return rb_fail(err, RB_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    return RB_OK;
}

/* ---------------------------------------------------------------- the page's table */

/* The metrics the table shows, in order (cost = fees + slippage + gas). */
static const char *const table_metrics[] = {"after_tax_value", "cagr", "ann_vol", "max_drawdown", "sharpe",
                                            "rebalances", "turnover", "costs", "taxes_paid", "tracking_error"};
#define NTABLE (sizeof table_metrics / sizeof table_metrics[0])

rb_status rb_report_table_init(rb_report_table *t, rb_error *err)
{
    t->ncols = 3 + NTABLE;
    t->head = calloc(t->ncols, sizeof *t->head);
    t->numeric = calloc(t->ncols, sizeof *t->numeric);
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
    char **cells = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof *cells);
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
            row[c] = strdup(text[c]);
        } else {
            const char *name = table_metrics[c - 3];
            if (strcmp(name, "costs") == 0) {
                snprintf(buf, sizeof buf, "%.2f", m->fees_paid + m->slippage_paid + m->gas_paid);
            } else {
                const rb_metric_info *info = rb_metric_find(name);
                rb_report_cell(info, rb_metric_value(m, name), buf);
            }
            row[c] = strdup(buf);
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
          "  bonus     = g(every bar) - g(buy-and-hold), both without costs or taxes\n"
          "  drift     = g(rule) - g(every bar), both without costs or taxes\n"
          "  cost drag = the rule's loss to costs minus buy-and-hold's\n"
          "  tax drag  = the rule's loss to taxes minus buy-and-hold's\n"
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

static void append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
    size_t o = strlen(buf);
    if (o + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + o, len - o, fmt, ap);
    va_end(ap);
}

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
    for (size_t c = 0; c < RB_CHART_COUNT; c++) {
        if (charts[c].state == RB_CHART_DRAWN) sum->charts_drawn++;
        if (charts[c].state == RB_CHART_NO_GNUPLOT)
            append(sum->missing, sizeof sum->missing, "%s%s", sum->missing[0] ? ", " : "", rb_chart_name(c));
        if (charts[c].state == RB_CHART_FAILED)
            append(sum->failed, sizeof sum->failed, "%s%s (%s)", sum->failed[0] ? "; " : "", rb_chart_name(c),
                   charts[c].why);
    }
    if (r->nseries > 2) snprintf(sum->best, sizeof sum->best, "%s", r->series[2].label);
    if (opt->ranking) print_ranking(r, opt->ranking);
    return RB_OK;
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
    f->families = calloc(n ? n : 1, sizeof *f->families);
    f->family = calloc(n ? n : 1, sizeof *f->family);
    f->x = calloc(n ? n : 1, sizeof *f->x);
    f->y = calloc(n ? n : 1, sizeof *f->y);
    if (!f->families || !f->family || !f->x || !f->y) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        snprintf(f->families[k], sizeof f->families[k], "%s", r->series[k + 2].family);
        f->family[k] = k;
        rb_report_frontier_point(r, &r->series[k + 2].metrics, &f->x[k], &f->y[k]);
    }
    f->nfamilies = f->npoints = f->sampled_from = n;
    return RB_OK;
}

/* ---------------------------------------------------------------- summary.csv of a run */

rb_status rb_report_summary_csv_series(rb_report *r, const rb_report_cfg *cfg, const char *dir, rb_error *err)
{
    const char *name = "summary.csv";
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    size_t nm;
    const rb_metric_info *table = rb_metric_table(&nm);
    fputs("config_id,section,strategy", f);
    for (size_t i = 0; i < cfg->params.n; i++) {
        if (strcmp(cfg->params.key[i], "strategy") == 0) continue;
        char col[80];
        rb_results_column_name(cfg->params.key[i], col, sizeof col);
        fprintf(f, ",%s", col);
    }
    for (size_t k = 0; k < nm; k++) fprintf(f, ",%s", table[k].name);
    fputs("\r\n", f);
    for (size_t s = 0; s < r->nseries; s++) {
        const rb_report_series *se = &r->series[s];
        putc(',', f);
        rb_csv_safe_text(f, se->family);
        putc(',', f);
        rb_csv_safe_text(f, se->role == RB_SERIES_HOLD ? "buy-and-hold" : se->role == RB_SERIES_EVERY_BAR ? "calendar"
                                                                                                         : cfg->strategy);
        for (size_t i = 0; i < cfg->params.n; i++) {
            if (strcmp(cfg->params.key[i], "strategy") == 0) continue;
            putc(',', f);
            if (se->role == RB_SERIES_BEST || rb_is_scenario_key(cfg->params.key[i]))
                rb_csv_safe_text(f, cfg->params.value[i]);
            else if (se->role == RB_SERIES_EVERY_BAR && strcmp(cfg->params.key[i], "every") == 0)
                fputs("1", f);
        }
        for (size_t k = 0; k < nm; k++) {
            putc(',', f);
            rb_csv_number(f, *(const double *)((const char *)&se->metrics + table[k].offset));
        }
        fputs("\r\n", f);
    }
    rb_status rc = rb_report_close(f, dir, name, RB_OK, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

/* ---------------------------------------------------------------- one run */

rb_status rb_report_run(rb_store *prices, const char *const *settings, size_t n, const rb_report_options *opt,
                        rb_report_summary *out, rb_error *err)
{
    rb_report_options o = *opt;
    const char *dir = o.out_dir;
    rb_status rc = rb_report_make_dir(dir, err);
    if (rc != RB_OK) return rc;
    if (!o.by) o.by = "after_tax_value";
    char hint[96];
    if (!rb_metric_find(o.by))
        return rb_fail(err, RB_ERR_USAGE, "--by: '%s' is not a metric%s (see 'rebal help metrics')", o.by,
                       rb_results_metric_hint(o.by, hint, sizeof hint));
    rb_report_input in = {.metric = o.by};
    rb_report_cfg cfg = {0};
    snprintf(cfg.strategy, sizeof cfg.strategy, "buy-and-hold");
    const char *assets = "";
    for (size_t i = 0; i < n && rc == RB_OK; i++) {
        const char *key = settings[2 * i], *value = settings[2 * i + 1];
        const char *group = rb_setting_group(key);
        if (strcmp(key, "strategy") == 0) snprintf(cfg.strategy, sizeof cfg.strategy, "%s", value);
        else if (strcmp(group, "data") == 0 || strcmp(group, "portfolio") == 0) rc = rb_kvlist_add(&in.data, key, value, err);
        else rc = rb_kvlist_add(&cfg.params, key, value, err);
        if (strcmp(key, "assets") == 0) assets = value;
    }
    if (rc == RB_OK) rc = rb_kvlist_add(&cfg.params, "strategy", cfg.strategy, err);
    snprintf(cfg.section, sizeof cfg.section, "%s", cfg.strategy);
    /* The scenario: the run's own cost, tax and flow settings. */
    for (size_t i = 0; i < cfg.params.n; i++)
        if (rb_is_scenario_key(cfg.params.key[i]))
            append(in.scenario_text, sizeof in.scenario_text, "%s%s=%s", in.scenario_text[0] ? ", " : "",
                   cfg.params.key[i], cfg.params.value[i]);
    rb_report r = {0};
    in.best = &cfg;
    in.nbest = 1;
    if (o.title) snprintf(r.title, sizeof r.title, "%s", o.title);
    else snprintf(r.title, sizeof r.title, "rebal run report: %.200s", assets);
    snprintf(r.metric, sizeof r.metric, "%s", o.by);
    if (rc == RB_OK) rc = rb_report_build(prices, &in, &o, dir, &r, err);
    in.best = NULL;
    in.nbest = 0;
    if (rc == RB_OK) {
        const rb_metrics *m = &r.series[0].metrics;
        char a[32], b[32];
        snprintf(r.subtitle, sizeof r.subtitle, "%s to %s (%zu bars)%s%.300s", rb_time_format(m->start, a),
                 rb_time_format(m->end, b), m->bars, in.scenario_text[0] ? ", " : "", in.scenario_text);
        snprintf(r.heatmap_why, sizeof r.heatmap_why,
                 "a heatmap needs a sweep over two parameters (rebal sweep SPEC.ini --report DIR)");
        rc = rb_report_summary_csv_series(&r, &cfg, dir, err);
    }
    /* The frontier: the run itself. */
    if (rc == RB_OK) rc = rb_report_frontier_series(&r, err);
    if (rc == RB_OK) rc = rb_report_table_init(&r.top, err);
    if (rc == RB_OK) rc = rb_report_table_anchors(&r, err);
    if (rc == RB_OK) {
        char params[256];
        rb_report_cfg_label(&cfg, params, sizeof params);
        const char *p = strchr(params, ' ');
        rc = rb_report_table_add(&r.top, cfg.section, 0, p ? p + 1 : "", &r.series[2].metrics, err);
    }
    rb_report_summary sum = {.configurations = 3};
    if (rc == RB_OK) rc = rb_report_complete(&r, &in, &o, dir, &sum, err);
    if (rc == RB_OK && out) *out = sum;
    rb_report_release(&r);
    rb_report_cfg_free(&cfg);
    rb_report_input_free(&in);
    return rc;
}
