/* report_run.c - the report of one run (rebal.h: rb_report_run): the run against
 * buy-and-hold and every-bar rebalancing, replayed, with its summary.csv. The report of a
 * sweep is report_sweep.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_write.h"
#include "error.h"
#include "report_files.h"
#include "report_internal.h"
#include "results/reader.h"
#include "text.h"

/* summary.csv of the replayed series. */
static rb_status write_summary_csv(rb_report *r, const rb_report_cfg *cfg, const char *dir, rb_error *err)
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
            rb_text_append(in.scenario_text, sizeof in.scenario_text, "%s%s=%s", in.scenario_text[0] ? ", " : "",
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
        snprintf(r.dates, sizeof r.dates, "%s to %s (%zu bars)", a, b, m->bars);
        snprintf(r.scenario, sizeof r.scenario, "%.300s", in.scenario_text);
        snprintf(r.heatmap_why, sizeof r.heatmap_why,
                 "a heatmap needs a sweep over two parameters (rebal sweep SPEC.ini --report DIR)");
        rc = write_summary_csv(&r, &cfg, dir, err);
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
