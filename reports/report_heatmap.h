/* report_heatmap.h - chart 4's grid from a sweep's runs. Internal to reports/. */
#ifndef RB_REPORT_HEATMAP_H
#define RB_REPORT_HEATMAP_H

#include "report_source.h"

/* Chooses the family and two parameters (spec "X,Y[,METRIC]" or NULL, the best family's
 * section first on a tie) and fills r->heatmap, or r->heatmap_why when no family varies two
 * numeric parameters. */
rb_status rb_src_heatmap(source *s, rb_report *r, char **secs, size_t nsecs, const char *best_section,
                         const char *spec, rb_error *err);

#endif /* RB_REPORT_HEATMAP_H */
