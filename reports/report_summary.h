/* report_summary.h - the summaries of a report's configurations (report_summary.c): the
 * rows of the page's table and the frontier's axes and points. Internal to reports/. */
#ifndef RB_REPORT_SUMMARY_H
#define RB_REPORT_SUMMARY_H

#include <stdint.h>

#include "report_model.h"

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

/* The number formats of the page's table. */
void rb_report_cell(const rb_metric_info *info, double v, char out[48]);

#endif /* RB_REPORT_SUMMARY_H */
