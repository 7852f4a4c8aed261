/* report_resample.h - the resampled histories of a sweep in its report (report_resample.c):
 * resample.csv (every configuration's distribution), resample_families.csv (how likely each
 * family beats buy-and-hold), resample_fan.csv and the fan chart (the value over time of
 * buy-and-hold and the best rules, percentile bands over the histories: each replayed on
 * every history by the reference simulator), and the families' chart. Internal to reports/. */
#ifndef RB_REPORT_RESAMPLE_H
#define RB_REPORT_RESAMPLE_H

#include "report_model.h"
#include "report_source.h"

#define RB_REPORT_FAN_MAX 4         /* buy-and-hold and the three best rules */
#define RB_REPORT_FAN_HISTORIES 1000 /* the histories a fan is drawn from, at most (the first) */

/* One fan: the percentiles 5, 25, 50, 75 and 95 of the value at each bar. */
typedef struct rb_report_fan {
    char label[256];
    int64_t config_id; /* 0: buy-and-hold */
    double median;     /* the median final value over every history (resamples table) */
    double p_beat;     /* NaN for buy-and-hold */
    size_t T;
    double *q;         /* T*5, row-major by bar */
} rb_report_fan;

/* One family: its configurations' chances of beating buy-and-hold. */
typedef struct rb_report_beat {
    char family[64];
    size_t configurations;
    double mean_p_beat;      /* over its configurations */
    int64_t best_id;         /* the configuration most likely to beat it */
    double best_p_beat, best_median;
} rb_report_beat;

typedef struct rb_report_resample {
    rb_resample_info info;
    size_t fan_histories;    /* the histories the fans are drawn from */
    rb_time *time;           /* T bar times (the real ones) */
    size_t T;
    size_t nfan;
    rb_report_fan fan[RB_REPORT_FAN_MAX];
    size_t nbeat;
    rb_report_beat *beat;
    rb_chart_outcome charts[2]; /* fan, beat */
} rb_report_resample;

#define RB_RESAMPLE_CHART_FAN "fan"
#define RB_RESAMPLE_CHART_BEAT "beat"

/* When the sweep of s has resampled histories: r->resample, the CSV files in dir (listed in
 * r->csv) and, unless no_charts, the two charts drawn into dir/charts (gnuplot's failures or
 * absence added to sum->failed and sum->missing). Nothing when it has none. data: the [data]
 * settings; prices: the store the sweep ran on. */
rb_status rb_report_resampled(rb_store *prices, source *s, const rb_kvlist *data, rb_report *r, const char *dir,
                             int no_charts, rb_report_summary *sum, rb_error *err);
void rb_report_resample_free(rb_report_resample *x);

/* charts/chart_fan.c and charts/chart_beat.c: the scripts and data of the two charts in
 * cdir; *ready = 1 when there is something to draw. */
rb_status rb_chart_fan(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready, rb_error *err);
rb_status rb_chart_beat(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready, rb_error *err);

#endif /* RB_REPORT_RESAMPLE_H */
