/* rebal_series.h - dated numeric series stored beside the prices, part of the library's
 * public API (rebal.h includes it where its types are known). */
#ifndef RB_REBAL_SERIES_H
#define RB_REBAL_SERIES_H

#include "rebal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A dated numeric series stored beside the prices (a gas price, a pool's depth, a funding
 * rate, a benchmark): one value per time, named like a symbol (rb_series_import_file). A
 * run reads it forward-filled onto its bars (--gas-series, --amm-depth-series). */
typedef struct rb_series_info {
    char name[RB_SYMBOL_MAX];
    rb_time first, last; /* first and last time (0 when it holds none) */
    int64_t points;
} rb_series_info;

typedef struct rb_series_stats {
    size_t rows;      /* data rows read */
    size_t added;     /* new points stored */
    size_t unchanged; /* points already stored with the same value */
    size_t replaced;  /* stored points overwritten (with replace) */
    int created;      /* 1: the series is new */
} rb_series_stats;

/* Imports the series `name` from a CSV file of two columns, date,value (a header row
 * allowed; dates as rb_time_parse detects them, strictly increasing; values finite plain
 * numbers), in one transaction: any invalid row (err: "FILE:LINE: ...") or a stored point
 * with another value (unless replace) leaves the store as it was; the same file twice
 * changes nothing. name follows the rules of an imported symbol (no ',', '=', '"', blank or
 * control character; not CASH; under RB_SYMBOL_MAX bytes). *stats (may be NULL) is set on
 * success. */
rb_status rb_series_import_file(rb_store *store, const char *name, const char *path, int replace,
                                rb_series_stats *stats, rb_error *err);

/* The same from arrays: n times (strictly increasing) and their values (finite); errors
 * name the series and the date. */
rb_status rb_series_import_arrays(rb_store *store, const char *name, const rb_time *time, const double *value,
                                  size_t n, int replace, rb_series_stats *stats, rb_error *err);

/* Lists the stored series by name. *out is malloc'ed (free()); *n may be 0 (a store made
 * before series existed, opened read-only, holds none). */
rb_status rb_store_list_series(rb_store *store, rb_series_info **out, size_t *n, rb_error *err);

/* The points of the series `name`: *time and *value malloc'ed (free() both), *n >= 1.
 * RB_ERR_NOT_FOUND when the store holds no such series. */
rb_status rb_series_get(rb_store *store, const char *name, rb_time **time, double **value, size_t *n,
                        rb_error *err);

#ifdef __cplusplus
}
#endif

#endif /* RB_REBAL_SERIES_H */
