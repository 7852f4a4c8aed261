/* html.h - the report's page (html.c). Internal to reports/. */
#ifndef RB_HTML_H
#define RB_HTML_H

#include "report_model.h"

/* Writes DIR/index.html: one self-contained page (inline CSS and script, the PNG charts
 * embedded as data: URIs, links to the SVGs and the CSV files), with the summary table
 * sortable by clicking a column head, every chart or the reason it is missing, and the
 * conventions. All text from the model is HTML-escaped. */
rb_status rb_html_write(const rb_report *r, const char *dir, const rb_chart_outcome charts[RB_CHART_COUNT],
                        rb_error *err);

#endif /* RB_HTML_H */
