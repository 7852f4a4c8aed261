/* metric_table.c - lookups by name in the metric table (metric_table.h). The table itself,
 * rb_metric_table, is defined next to the formulas in metrics.c. */
#include "metric_table.h"

#include <math.h>
#include <string.h>

const rb_metric_info *rb_metric_find(const char *name)
{
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    for (size_t k = 0; k < n; k++)
        if (strcmp(table[k].name, name) == 0) return &table[k];
    return NULL;
}

double rb_metric_value(const rb_metrics *m, const char *name)
{
    const rb_metric_info *info = rb_metric_find(name);
    return info ? *(const double *)((const char *)m + info->offset) : NAN;
}
