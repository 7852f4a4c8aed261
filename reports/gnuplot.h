/* gnuplot.h - talking to gnuplot safely (gnuplot.c): user text as escaped string literals,
 * and the chart scripts drawn by gnuplots started without a shell. Internal to reports/. */
#ifndef RB_GNUPLOT_H
#define RB_GNUPLOT_H

#include <stddef.h>
#include <stdio.h>

#include "report_model.h"

/* Writes s as a gnuplot double-quoted string literal in which every byte other than an
 * ASCII letter, digit or space is an octal escape (\ooo), so that the script text holds no
 * quote, backslash sequence of the user's, newline, backquote, '@' or '$' from s: nothing in
 * a label can end the string, substitute a command or expand a macro. Control characters
 * (newlines included) become spaces. */
void rb_gnuplot_string(FILE *out, const char *s);

/* rb_gnuplot_string with a length cap: the bytes of s beyond max_bytes are cut on a
 * character boundary and "..." is appended; rb_gnuplot_body writes the escaped bytes without
 * the surrounding quotes. */
void rb_gnuplot_text(FILE *out, const char *s, size_t max_bytes);
void rb_gnuplot_body(FILE *out, const char *s, size_t max_bytes);

/* A file name as a gnuplot string literal, escaped like rb_gnuplot_string but whole and with
 * its control characters kept (as \ooo): a folder whose name holds a tab or a newline is
 * still the same folder to gnuplot. */
void rb_gnuplot_path(FILE *out, const char *path);

/* Draws the charts ids[0..n) whose scripts are chart_dir/NAME.gp, all gnuplots side by side,
 * filling out[id] (gnuplot.c). */
void rb_gnuplot_run(const char *chart_dir, const rb_chart_id *ids, size_t n, rb_chart_outcome out[RB_CHART_COUNT]);

/* The same for charts named names[0..n) (at most RB_GNUPLOT_MAX_JOBS; letters, digits and
 * '_'), filling out[k] for names[k]: charts beyond the report's numbered seven. */
#define RB_GNUPLOT_MAX_JOBS 16
void rb_gnuplot_run_names(const char *chart_dir, const char *const *names, size_t n, rb_chart_outcome *out);

/* The same for those names[k] of names[0..n) whose ready[k] is set (their scripts written),
 * filling out[k]; the others' out[k] is left as it was. */
void rb_gnuplot_run_ready(const char *chart_dir, const char *const *names, const int *ready, size_t n,
                          rb_chart_outcome *out);

/* 1 when a gnuplot executable is found on PATH. */
int rb_gnuplot_available(void);

#endif /* RB_GNUPLOT_H */
