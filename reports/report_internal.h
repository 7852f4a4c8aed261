/* report_internal.h - what a report's source (a results store: report_sweep.c; one run:
 * report_run.c) uses to make a report: the input it hands over (report_cfg.h), the replays
 * (report_build.h), the table and frontier rows (report_summary.h), the finishing files,
 * charts and page (report_finish.h), and the metrics by name. Internal to reports/. */
#ifndef RB_REPORT_INTERNAL_H
#define RB_REPORT_INTERNAL_H

#include "metric_table.h"
#include "report_build.h"
#include "report_cfg.h"
#include "report_finish.h"
#include "report_model.h"
#include "report_summary.h"

#endif /* RB_REPORT_INTERNAL_H */
