/* metric_table.h - looking metrics up by name in rb_metric_table (rebal.h), for the results
 * store, the reports and the CLI. Internal. */
#ifndef RB_METRIC_TABLE_H
#define RB_METRIC_TABLE_H

#include "rebal.h"

/* The metric of rb_metric_table named name, or NULL. */
const rb_metric_info *rb_metric_find(const char *name);

/* The value of metric `name` in m (NaN when it is not a metric). */
double rb_metric_value(const rb_metrics *m, const char *name);

#endif /* RB_METRIC_TABLE_H */
