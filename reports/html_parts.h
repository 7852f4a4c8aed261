/* html_parts.h - what the files of the report's page share (html.c, html_text.c,
 * html_glance.c, html_charts.c): text written safely into the page, and the sections written
 * by their own files. Internal to reports/. */
#ifndef RB_HTML_PARTS_H
#define RB_HTML_PARTS_H

#include <stdio.h>

#include "report_model.h"

/* Writes s as HTML text or attribute value: the five markup characters as entities, control
 * characters (C0, DEL, C1) as spaces, bytes that are not UTF-8 as U+FFFD, CRLF as LF.
 * rb_html_line makes line breaks and tabs spaces too (labels, attribute values). */
void rb_html_text(FILE *f, const char *s);
void rb_html_line(FILE *f, const char *s);

/* Writes a relative path as a URL path: every byte other than an unreserved one (RFC 3986:
 * letters, digits, - . _ ~) or the '/' between segments percent-encoded, so that no name
 * can close the attribute, start a scheme ("javascript:") or a query. */
void rb_html_url_path(FILE *f, const char *s);

/* NULL when name may be linked as a path relative to DIR, else why not. */
const char *rb_html_link_refusal(const char *name);

/* A sortable table's column head, and a cell (class "num" when numeric, plus extra_class). */
void rb_html_sort_head(FILE *f, const char *text, int numeric);
void rb_html_cell(FILE *f, const char *text, int numeric, const char *extra_class);

/* The name a series is shown by: its label, else its family. */
static inline const char *rb_html_series_name(const rb_report_series *s) { return s->label[0] ? s->label : s->family; }

/* "At a glance": which rule wins after costs, by how much, and which families lose; with the
 * table of each family's best configuration (html_glance.c). */
rb_status rb_html_glance(FILE *f, const rb_report *r, rb_error *err);

/* "Spot or overlay": each family whose best rule has a perpetual-futures overlay beside the
 * same rule trading spot; nothing when none has (html_overlay.c). */
void rb_html_overlay(FILE *f, const rb_report *r);

/* Chart id as a figure: the PNG embedded, or why it is missing, and links to its files
 * (html_charts.c). */
rb_status rb_html_chart(FILE *f, const rb_report *r, const char *dir, rb_chart_id id, const rb_chart_outcome *o,
                        rb_error *err);

/* The same for a chart beside the numbered ones (charts/NAME.png: the out-of-sample test's,
 * the resampled histories'), captioned and described (alt) by the caller's text. */
rb_status rb_html_named_chart(FILE *f, const char *dir, const char *name, const char *caption, const char *alt,
                              const rb_chart_outcome *o, rb_error *err);

/* The resampled histories' section (html_resample.c), when the report has them. */
rb_status rb_html_resample(FILE *f, const rb_report *r, const char *dir, rb_error *err);

#endif /* RB_HTML_PARTS_H */
