/* report_source.h - a sweep's runs as the report reads them, through the results reader
 * (results/reader.h): the parameter columns and their setting keys, the scenario (the values
 * some settings are fixed to), and runs as report configurations. Shared by report_sweep.c
 * and report_heatmap.c. Internal to reports/. */
#ifndef RB_REPORT_SOURCE_H
#define RB_REPORT_SOURCE_H

#include "report_internal.h"
#include "results/reader.h"

typedef struct source {
    rb_results_reader *reader;
    const rb_results_columns *cols;
    const char *path;
    rb_results_sweep sweep; /* the sweep reported */
    const char *metric;     /* the ranking metric */
    int asc;
    /* The scenario: per column, the value it must have (NULL: unset), when is_fixed. */
    char **fixed;
    int *is_fixed;
    rb_results_cond *cond;  /* the conditions of the last rb_src_query */
} source;

/* Opens the results store at path and reads sweep `want` (0: the latest). */
rb_status rb_src_open(source *s, const char *path, int64_t want, rb_error *err);
void rb_src_close(source *s);

/* The parameter column of a setting key ("fee-bps"), or -1. */
int rb_src_find_key(const source *s, const char *key);

/* The ok runs of the sweep under the scenario, but for the fixed columns except1 and except2
 * (-1 for none), by config_id. The conditions live in s until the next call. */
rb_results_query rb_src_query(source *s, int except1, int except2);

/* A run as a report configuration: its settings as text (the strategy first) and metrics. */
rb_status rb_src_cfg(const source *s, const rb_results_run *run, rb_report_cfg *c, rb_error *err);

#endif /* RB_REPORT_SOURCE_H */
