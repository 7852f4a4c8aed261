/* report_finish.h - what every report does once its model is built (report_finish.c).
 * Internal to reports/. */
#ifndef RB_REPORT_FINISH_H
#define RB_REPORT_FINISH_H

#include "report_cfg.h"
#include "report_model.h"

/* Writes conventions.txt, the charts (unless opt->no_charts) and index.html of a filled model
 * and fills the summary's chart fields and best. */
rb_status rb_report_complete(rb_report *r, const rb_report_input *in, const rb_report_options *opt, const char *dir,
                             rb_report_summary *sum, rb_error *err);

/* A chart gnuplot did not draw, in the summary: its name in sum->missing (no gnuplot) or, with
 * the reason, in sum->failed. */
void rb_report_note_chart(rb_report_summary *sum, const char *name, const rb_chart_outcome *o);


#endif /* RB_REPORT_FINISH_H */
