/* resample_store.h - the results store's tables of resampled histories (schema version 4):
 *   resample_sets(id INTEGER PRIMARY KEY, sweep_id INTEGER REFERENCES sweeps(id),
 *                 method TEXT ('block-bootstrap:N:L' or 'gbm:N'), histories INTEGER,
 *                 block_length REAL (NULL for gbm), seed INTEGER (the 64 bits, as signed),
 *                 configurations INTEGER, seconds REAL, created_at TEXT (ISO 8601 UTC),
 *                 bh_histories INTEGER, bh_mean, bh_median, bh_p05, bh_p95 REAL
 *                 -- buy-and-hold's final value over the histories)
 *   resamples(set_id INTEGER REFERENCES resample_sets(id), config_id INTEGER,
 *             histories INTEGER (those it ran on without failing),
 *             mean, median, p05, p95 REAL (final value),
 *             excess_mean, excess_median, excess_p05, excess_p95 REAL (final value minus
 *             buy-and-hold's on the same history), p_beat REAL,
 *             PRIMARY KEY (set_id, config_id)) WITHOUT ROWID
 * Created, and the store marked version 4 (version 3 and these tables), by the first resample
 * written into it; a store without a resample stays version 3. A resample
 * of the same sweep, method and seed replaces the earlier one. Internal. */
#ifndef RB_RESULTS_RESAMPLE_STORE_H
#define RB_RESULTS_RESAMPLE_STORE_H

#include "rebal.h"
#include "results/sql.h"

typedef struct rb_resample_writer rb_resample_writer;

/* Opens a write transaction: the tables (when new), the earlier set of the same sweep,
 * method and seed deleted, the new set's row with info's benchmark. */
rb_status rb_resample_store_begin(const rb_rconn *c, int64_t sweep_id, const rb_resample_info *info,
                                  rb_resample_writer **out, rb_error *err);
rb_status rb_resample_store_put(rb_resample_writer *w, const rb_resample_stat *row, rb_error *err);
/* Records the time taken and commits; w is freed either way (a failure rolls back). */
rb_status rb_resample_store_end(rb_resample_writer *w, double seconds, rb_error *err);
/* Rolls back and frees (NULL: nothing). */
void rb_resample_store_abort(rb_resample_writer *w);

/* The latest set of sweep sweep_id (an id, not 0): RB_ERR_NOT_FOUND when there is none (a
 * store of version 3 or less has none). */
rb_status rb_resample_store_read(const rb_rconn *c, int64_t sweep_id, rb_resample_info *info,
                                 rb_resample_stat **rows, size_t *n, rb_error *err);

#endif /* RB_RESULTS_RESAMPLE_STORE_H */
