/* series.h - the dated series of the price store (rebal.h, "dated series") as a run reads
 * them: forward-filled onto its bars. Internal. */
#ifndef RB_SERIES_H
#define RB_SERIES_H

#include <stddef.h>

#include "rebal.h"

/* The series `name` forward-filled onto the T bar times (increasing): out[t] is its value at
 * the last point at or before bar[t], NaN before its first point. RB_ERR_NOT_FOUND (err
 * names the series) when the store holds no such series. */
rb_status rb_series_fill(rb_store *store, const char *name, const rb_time *bar, size_t T, double *out, rb_error *err);

#endif /* RB_SERIES_H */
