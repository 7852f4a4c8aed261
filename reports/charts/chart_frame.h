/* chart_frame.h - what every report chart shares (chart_frame.c): the data and script files
 * in DIR/charts/, the families' colours and line styles, labels made safe for gnuplot and its
 * font, the time axis, and the opening and closing of every script; and the writer of each
 * chart, one file each. Internal to reports/charts/. */
#ifndef RB_CHART_FRAME_H
#define RB_CHART_FRAME_H

#include <stddef.h>
#include <stdio.h>

#include "report_model.h"

/* Bytes of a label shown in a key or on an axis before it is cut with "...". */
#define KEY_MAX 64
#define AXIS_MAX 40
#define TITLE_MAX 200

/* Pixels of both drawings; fonts are points at the terminal's default 72 per inch. */
#define WIDTH 1200
#define HEIGHT 650
#define FONT "DejaVu Sans,11"

#define HOLD_COLOUR "#000000"
#define EVERY_COLOUR "#8C8C8C"

/* The families in a fixed order (series first, then the frontier's), so that a family's colour
 * is the same in every chart. */
typedef struct rb_chart_families {
    size_t n;
    const char **name;
} rb_chart_families;

/* The families of the report's series and frontier (fm->name is malloc'ed; the names are
 * the report's). */
rb_status rb_chart_families_build(const rb_report *r, rb_chart_families *fm, rb_error *err);

/* The index of a family in fm, or -1. */
int rb_chart_families_index(const rb_chart_families *fm, const char *name);

/* The k-th colour of the families' palette (repeating past its end). */
const char *rb_chart_colour(size_t k);

/* The line style of a series: buy-and-hold solid black, every bar dashed grey, a family its
 * colour. */
void rb_chart_series_line(FILE *f, const rb_chart_families *fm, const rb_report_series *s, size_t nseries);

/* The colour of a series, as rb_chart_series_line draws it. */
const char *rb_chart_series_colour(const rb_chart_families *fm, const rb_report_series *s);

/* User text as a string literal (label) or inside one (label_body), drawable and escaped. */
void rb_chart_label(FILE *f, const char *s, size_t max_bytes);
void rb_chart_label_body(FILE *f, const char *s, size_t max_bytes);

/* The characters of s shown in a label cut at max bytes ("..." counted). */
size_t rb_chart_shown_chars(const char *s, size_t max);

/* A data or script file being written: cdir/name+ext. */
typedef struct rb_chart_file {
    FILE *f;
    char path[4096];
} rb_chart_file;

rb_status rb_chart_file_open(rb_chart_file *cf, const char *cdir, const char *name, const char *ext, rb_error *err);
rb_status rb_chart_file_close(rb_chart_file *cf, rb_error *err);

/* A number for a data file: full enough for a drawing, NaN where it is not finite. */
void rb_chart_num(FILE *f, double v);

/* Dates are written as YYYY-MM-DD when every bar of the chart is a midnight, else with the
 * time of day; the script's timefmt says which. */
int rb_chart_all_midnights(const rb_time *t, size_t n);
void rb_chart_date(FILE *f, rb_time t, int midnight);

/* Sets up a time x axis from t0 to t1 (seconds) with at most about 12 labelled tics on whole
 * years, months or days, so that no two labels repeat or overlap. */
void rb_chart_time_axis(FILE *f, rb_time t0, rb_time t1, int midnight);
/* The same with about max_labels labels at most (a small panel has room for fewer). */
void rb_chart_time_axis_max(FILE *f, rb_time t0, rb_time t1, int midnight, int max_labels);

/* The opening of every script: how to redraw it, the PNG terminal, the title (the chart's
 * name, then the report's subtitle on a second line) and the common look. */
void rb_chart_script_head(FILE *f, const rb_report *r, rb_chart_id id, const char *extra_title);

/* The same with another subtitle (NULL or "": none) and drawing height in pixels: a chart of
 * one run says its own dates, not the sweep's configurations. */
void rb_chart_script_head_as(FILE *f, const rb_report *r, rb_chart_id id, const char *extra_title,
                             const char *subtitle, int height);

/* The head and tail of a chart beside the numbered ones (the resampled histories': its own
 * name and title, the numbered charts' look). */
void rb_chart_script_head_named(FILE *f, const char *name, const char *title, const char *subtitle, int height);
void rb_chart_script_tail_named(FILE *f, const char *name, int height);

/* A step of 1, 2 or 5 times a power of ten, the smallest at least raw (> 0): the distance of
 * round tics. */
double rb_chart_round_step(double raw);

/* The title as a string literal: the chart's name, ": extra_title", then the subtitle on a
 * second line (either may be NULL). */
void rb_chart_title_literal(FILE *f, rb_chart_id id, const char *extra_title, const char *subtitle);

/* Draws the same plot again as SVG, then closes the output. */
void rb_chart_script_tail(FILE *f, rb_chart_id id);

/* The head, title and tail of a chart beyond the numbered seven (the out-of-sample test's,
 * the resampled histories'), named by its file name and title: the numbered charts' look. */
void rb_chart_named_head(FILE *f, const char *name, const char *title, const char *extra_title, const char *subtitle,
                         int height);
void rb_chart_title_text(FILE *f, const char *title, const char *extra_title, const char *subtitle);
void rb_chart_named_tail(FILE *f, const char *name);

/* A key below the plot, in as many columns as the longest entry allows. */
void rb_chart_key_below(FILE *f, size_t longest_chars, size_t entries);

/* ---------------------------------------------------------------- the charts, a file each */

/* Each writes its data files and script into cdir and sets *ready, or says in *o why there is
 * nothing to draw; each fails only when a file cannot be written. */
rb_status rb_chart_curves(const rb_report *r, const char *cdir, const rb_chart_families *fm, rb_chart_id id,
                          rb_chart_outcome *o, int *ready, rb_error *err); /* 1 equity, 2 drawdown */
/* Chart 2's script after its head: one panel per family's best against buy-and-hold, drawn
 * from the blocks of drawdown.dat (chart_drawdown.c). */
void rb_chart_drawdown_panels(FILE *f, const rb_report *r, const rb_chart_families *fm, double ylo, rb_time t0,
                              rb_time t1, int midnight);
/* The drawing height of chart 2 for that many families. */
int rb_chart_drawdown_height(size_t nfamilies);
rb_status rb_chart_weights(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready, rb_error *err);
rb_status rb_chart_heatmap(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready, rb_error *err);
rb_status rb_chart_frontier(const rb_report *r, const char *cdir, const rb_chart_families *fm, rb_chart_outcome *o,
                            int *ready, rb_error *err);
rb_status rb_chart_annual(const rb_report *r, const char *cdir, const rb_chart_families *fm, rb_chart_outcome *o,
                          int *ready, rb_error *err);
rb_status rb_chart_excess(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready, rb_error *err);
/* Chart 8 (chart_monthly.c): the best run's monthly returns as a year x month grid. */
rb_status rb_chart_monthly(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready, rb_error *err);
/* Chart 9 (chart_rolling.c): every series' rolling one-year Sharpe ratio and volatility. */
rb_status rb_chart_rolling(const rb_report *r, const char *cdir, const rb_chart_families *fm, rb_chart_outcome *o,
                           int *ready, rb_error *err);

#endif /* RB_CHART_FRAME_H */
