/* charts.h - the report's charts (reports/charts/). Internal to reports/. */
#ifndef RB_CHARTS_H
#define RB_CHARTS_H

#include "report_model.h"

/* Writes the data files (DIR/charts/NAME.dat) and the script (DIR/charts/NAME.gp) of every
 * chart, and when gnuplot is available runs each script through a gnuplot started without a
 * shell to draw DIR/charts/NAME.png (pngcairo) and DIR/charts/NAME.svg. out[RB_CHART_COUNT] says what
 * happened to each. Fails only when a file cannot be written. */
rb_status rb_charts_write(const rb_report *r, const char *dir, rb_chart_outcome out[RB_CHART_COUNT], rb_error *err);

/* The out-of-sample test's two charts (chart_oos_curve.c, chart_oos_ranks.c): their data and
 * script (DIR/charts/oos_curve.*, oos_ranks.*), *ready when there is something to draw (gnuplot
 * draws them with rb_gnuplot_run_names). Fail only when a file cannot be written. */
rb_status rb_chart_oos_curve(const rb_oos_result *oos, const char *subtitle, const char *cdir, int *ready,
                             rb_error *err);
rb_status rb_chart_oos_ranks(const rb_oos_result *oos, const char *subtitle, const char *cdir, int *ready,
                             rb_error *err);

#endif /* RB_CHARTS_H */
