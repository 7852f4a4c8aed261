/* report_build.h - the replays behind a report (report_build.c). Internal to reports/. */
#ifndef RB_REPORT_BUILD_H
#define RB_REPORT_BUILD_H

#include "report_cfg.h"
#include "report_model.h"

/* Builds the model from the input: replays buy-and-hold, every-bar rebalancing and each
 * family's best (with the counterfactuals of the excess split), fills series, weights (of
 * weights_id when it is one of the families' best, else the best), the annual returns and the
 * frontier anchors. Writes curves/, trades.csv, realized_gains.csv and annual_returns.csv into
 * dir (listed in r->csv). The caller fills the heatmap, frontier points and table. */
rb_status rb_report_build(rb_store *prices, const rb_report_input *in, const rb_report_options *opt,
                          const char *dir, rb_report *r, rb_error *err);

#endif /* RB_REPORT_BUILD_H */
