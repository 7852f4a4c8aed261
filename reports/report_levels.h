/* report_levels.h - the winner and buy-and-hold at every level of the scenario settings a
 * sweep varies (report_levels.c). Internal to reports/. */
#ifndef RB_REPORT_LEVELS_H
#define RB_REPORT_LEVELS_H

#include "report_model.h"
#include "report_source.h"

/* For the scenario columns of s that are fixed and take several values among the ok runs
 * (a swept fee), the best rule (any strategy but buy-and-hold) and buy-and-hold's best at
 * each combination of their values, the other columns as fixed: into r->levels (at most RB_REPORT_LEVELS_MAX; r->levels_total
 * counts them all). Nothing when no scenario setting varies. s's scenario is unchanged. */
rb_status rb_report_levels(source *s, rb_report *r, rb_error *err);

#endif /* RB_REPORT_LEVELS_H */
