/* oos_store.h - the out-of-sample tests of a results store (schema version 3): their tables,
 * written in one transaction and read back (oos_store.c). Internal to engine/. 
 *
 *   oos_tests(id INTEGER PRIMARY KEY, sweep_id INTEGER REFERENCES sweeps(id), scheme TEXT,
 *             by_metric TEXT, configurations INTEGER, windows INTEGER, created_at TEXT,
 *             is_config_id INTEGER, is_section TEXT, is_metric REAL,
 *             oos_final_value, oos_total_return, oos_cagr, oos_ann_vol, oos_sharpe,
 *             oos_max_drawdown, is_final_value, is_total_return, is_cagr, is_ann_vol,
 *             is_sharpe, is_max_drawdown, top_decile, is_top_decile REAL)
 *   oos_windows(oos_id, window_no (1-based), train_start, train_end, test_start, test_end TEXT,
 *               train_bars, test_bars, winner_config_id INTEGER, winner_section TEXT,
 *               train_metric, test_metric REAL, test_rank, ranked, is_test_rank INTEGER,
 *               start_value, end_value REAL, PRIMARY KEY (oos_id, window_no))
 *   oos_curve(oos_id, bar INTEGER (0-based), time TEXT, window_no INTEGER, oos_value REAL,
 *             is_value REAL, PRIMARY KEY (oos_id, bar))
 * Times are ISO 8601 text as rebal writes dates; an undefined number is NULL. */
#ifndef RB_RESULTS_OOS_STORE_H
#define RB_RESULTS_OOS_STORE_H

#include <stdint.h>

#include "rebal.h"
#include "results/sql.h"

/* The first schema version with the tables. */
#define RB_RESULTS_OOS_VERSION 3

/* Creates the three tables (inside the caller's transaction; the schema version is the
 * caller's to set): a new store's schema, and the migration of a version 1 or 2 store. */
rb_status rb_results_oos_tables(const rb_rconn *c, rb_error *err);

/* The latest test of sweep_id with this scheme and metric (*id = 0 when none). */
rb_status rb_results_oos_find(const rb_rconn *c, int64_t sweep_id, const char *scheme, const char *by, int64_t *id,
                              rb_error *err);

/* Stores r (its sweep_id set) in one transaction; *id gets its id. */
rb_status rb_results_oos_write(const rb_rconn *c, const rb_oos_result *r, int64_t *id, rb_error *err);

/* The latest test of sweep_id (not 0): *out NULL when there is none, or the store is older
 * than the tables. */
rb_status rb_results_oos_load(const rb_rconn *c, int64_t sweep_id, rb_oos_result **out, rb_error *err);

#endif /* RB_RESULTS_OOS_STORE_H */
