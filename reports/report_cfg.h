/* report_cfg.h - what a report's sources (a results store, one run) hand to the builder
 * (report_cfg.c): settings lists, configurations as settings text with their metrics, and
 * the input of one report. Internal to reports/. */
#ifndef RB_REPORT_CFG_H
#define RB_REPORT_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "rebal.h"

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
    char edge[160];     /* a family's best on the edge of its grid: "band = 0.2, the largest swept"
                           (a swept parameter of 3 or more values); "" otherwise */
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
    char *spec_path;           /* the sweep file's path (malloc'ed; NULL: none known): the
                                  replays read its relative [venues] paths from there */
} rb_report_input;

void rb_report_input_free(rb_report_input *in);

/* Sets key = value on spec as the sweep of the file at spec_path (NULL: none) read it: a
 * stored path relative to the sweep file is joined to the file's (rb_sweep_input_at). How a
 * report's replays set a configuration's stored values. */
rb_status rb_report_spec_set(rb_run_spec *spec, const char *spec_path, const char *key, const char *value,
                             rb_error *err);

#endif /* RB_REPORT_CFG_H */
