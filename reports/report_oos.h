/* report_oos.h - a sweep's out-of-sample test in its report (report_oos.c, html_oos.c).
 * Internal to reports/. */
#ifndef RB_REPORT_OOS_H
#define RB_REPORT_OOS_H

#include "report_model.h"
#include "results/reader.h"

/* When sweep sweep_id has an out-of-sample test (read through reader): oos_windows.csv and
 * oos_curve.csv in dir (listed in r->csv), charts/oos_curve and charts/oos_ranks (unless
 * no_charts; gnuplot's failures or absence added to sum->failed and sum->missing) and the
 * page's section (r->extra_html). Without one, an earlier report's are removed from dir. */
rb_status rb_report_oos(rb_results_reader *reader, int64_t sweep_id, rb_report *r, const char *dir, int no_charts,
                        rb_report_summary *sum, rb_error *err);

/* The page's section of the test: the stitched curve against the in-sample winner, the
 * windows' table (in- and out-of-sample ranks), the charts names[0..1] as charts[0..1] say
 * (html_oos.c). *html is malloc'ed. */
rb_status rb_report_oos_html(const rb_oos_result *o, const char *dir, const char *const *names,
                             const rb_chart_outcome *charts, char **html, rb_error *err);

#endif /* RB_REPORT_OOS_H */
