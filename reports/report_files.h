/* report_files.h - a report's directory and files, and the CSV files of its replayed runs:
 * curves/, trades.csv, realized_gains.csv, annual_returns.csv (report_files.c). Internal to
 * reports/. */
#ifndef RB_REPORT_FILES_H
#define RB_REPORT_FILES_H

#include "report_model.h"

/* Creates the report directory when absent. */
rb_status rb_report_make_dir(const char *dir, rb_error *err);

/* Writes the files of the replayed runs (runs[k] is the run behind r->series[k]) into dir and
 * lists them in r->csv. */
/* report_periods.c: the period tables of every replayed series with returns:
 * monthly_returns.csv (series, config_id, year, Jan..Dec, Year) and rolling_1y.csv (series,
 * config_id, date, return_1y, vol_1y, sharpe_1y), as rebal run --monthly and --rolling. */
rb_status rb_report_write_periods(rb_report *r, const char *dir, rb_error *err);

rb_status rb_report_write_runs(rb_report *r, const rb_run_result *const *runs, const char *dir, rb_error *err);

/* Opens dir/name for writing (creating dir/curves when name is in it). */
FILE *rb_report_open(const char *dir, const char *name, rb_error *err);

/* Closes f, failing with the file's name when a write failed. */
rb_status rb_report_close(FILE *f, const char *dir, const char *name, rb_status rc, rb_error *err);

#endif /* RB_REPORT_FILES_H */
