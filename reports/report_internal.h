/* report_internal.h - what the report's sources (a results store, one run) hand to the
 * builder: configurations as settings text with their metrics. Internal to reports/. */
#ifndef RB_REPORT_INTERNAL_H
#define RB_REPORT_INTERNAL_H

#include "metric_table.h"
#include "report.h"

/* Settings as text, in order (keys as flags: "fee-bps"). */
typedef struct rb_kvlist {
    size_t n, cap;
    char **key, **value;
} rb_kvlist;

rb_status rb_kvlist_add(rb_kvlist *l, const char *key, const char *value, rb_error *err);
const char *rb_kvlist_get(const rb_kvlist *l, const char *key);
void rb_kvlist_free(rb_kvlist *l);

/* The group of a setting ("data", "costs", ... as rb_setting_info has it); "strategy" for a
 * strategy parameter. */
const char *rb_setting_group(const char *key);

/* 1 for settings of the groups a scenario fixes: costs, tax, flows, metrics. */
int rb_is_scenario_key(const char *key);

/* One configuration. */
typedef struct rb_report_cfg {
    int64_t id;         /* config id in the sweep; 0 for a single run */
    char section[64];   /* the family: the sweep section, or the strategy of a run */
    char strategy[64];
    rb_kvlist params;   /* settings beyond the shared ones (strategy parameters, costs, ...) */
    rb_metrics m;       /* the double-valued metrics */
} rb_report_cfg;

void rb_report_cfg_free(rb_report_cfg *c);

/* "section band=0.05 to=edge": the family and the parameters that are not scenario settings. */
void rb_report_cfg_label(const rb_report_cfg *c, char *out, size_t len);

/* What the builder needs from a source. */
typedef struct rb_report_input {
    rb_kvlist data;            /* settings every configuration shares ([data]) */
    rb_report_cfg *best;       /* nbest: the best configuration of each family in the scenario,
                                  best first */
    size_t nbest;
    rb_report_cfg *weights;    /* the configuration chart 3 shows when it is not one of best
                                  (NULL: opt->weights_id names one of them, or the best) */
    const char *metric;        /* the ranking metric */
    char scenario_text[512];   /* the scenario, "fee-bps=10, tax-short=0.3" ("" when none) */
    char *about;               /* source-specific lines for conventions.txt (malloc'ed) */
} rb_report_input;

void rb_report_input_free(rb_report_input *in);

/* Builds the model from the input: replays buy-and-hold, every-bar rebalancing and each
 * family's best (with the counterfactuals of the excess split), fills series, weights (of
 * weights_id when it is one of the families' best, else the best), the annual returns and the
 * frontier anchors. Writes curves/, trades.csv, realized_gains.csv and annual_returns.csv into
 * dir (listed in r->csv). The caller fills the heatmap, frontier points and table. */
rb_status rb_report_build(rb_store *prices, const rb_report_input *in, const rb_report_options *opt,
                          const char *dir, rb_report *r, rb_error *err);

/* Writes conventions.txt, the charts (unless opt->no_charts) and index.html of a filled model
 * and fills the summary's chart fields and best. */
rb_status rb_report_complete(rb_report *r, const rb_report_input *in, const rb_report_options *opt, const char *dir,
                             rb_report_summary *sum, rb_error *err);

/* Creates the report directory when absent. */
rb_status rb_report_make_dir(const char *dir, rb_error *err);

/* The page's table: its columns, a row, and the two anchors' rows. */
rb_status rb_report_table_init(rb_report_table *t, rb_error *err);
rb_status rb_report_table_add(rb_report_table *t, const char *family, int64_t id, const char *params,
                              const rb_metrics *m, rb_error *err);
rb_status rb_report_table_anchors(rb_report *r, rb_error *err);

/* The frontier's axes: costs paid (USD) when use_cost, else one-way turnover (% per year),
 * against tracking error (% per year); sets the labels and the anchors' coordinates. */
void rb_report_frontier_axes(rb_report *r, int use_cost);

/* The coordinates of metrics m on the frontier's axes. */
void rb_report_frontier_point(const rb_report *r, const rb_metrics *m, double *x, double *y);

/* Sets the frontier's points from the families' best series (the report of one run). */
rb_status rb_report_frontier_series(rb_report *r, rb_error *err);

/* summary.csv of the replayed series (the report of one run). */
rb_status rb_report_summary_csv_series(rb_report *r, const rb_report_cfg *cfg, const char *dir, rb_error *err);

/* Adds a file name to r->csv. */
rb_status rb_report_add_file(rb_report *r, const char *name, rb_error *err);

/* The number formats of the page's table. */
void rb_report_cell(const rb_metric_info *info, double v, char out[48]);

#endif /* RB_REPORT_INTERNAL_H */
