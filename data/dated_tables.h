/* dated_tables.h - the two tables of times a run may take besides its prices: a schedule,
 * the bars to rebalance on (--when, the rule `schedule`), and a targets table, target
 * weights over time (--targets-csv). Each is read from a dated CSV file (dated_csv.h) or
 * built from arrays (rebal.h: rb_run_spec_set_schedule, rb_run_spec_set_target_table), and
 * keeps where each of its times came from, so that the checks made later against a run's
 * bars name FILE:LINE (or, for arrays, the date). Immutable once built: sweeps share one
 * among their configurations. Internal. */
#ifndef RB_DATED_TABLES_H
#define RB_DATED_TABLES_H

#include <stddef.h>

#include "rebal.h"

/* How far from 1 a row of weights may sum (the tolerance of --assets). */
#define RB_WEIGHT_SUM_TOLERANCE 1e-9

typedef struct rb_schedule {
    char *source;   /* the file read; NULL: built from arrays */
    size_t n;
    rb_time *time;  /* n times, strictly increasing */
    size_t *line;   /* n lines of the file, or NULL */
} rb_schedule;

/* A schedule file: a first column of dates (a header row allowed) and an optional second of
 * flags, 1, 0, true or false in any letter case (what pandas writes for a boolean Series):
 * the rows flagged true, or every row without a flag, are the schedule. Errors:
 * "FILE:LINE: what" (an unparsable date, dates not increasing, a bad flag, a third column). */
rb_status rb_schedule_read(const char *path, rb_schedule **out, rb_error *err);

/* The schedule of n times (strictly increasing; times may be NULL when n is 0). Errors say
 * "schedule: ..." and name the offending dates. */
rb_status rb_schedule_from_times(const rb_time *times, size_t n, rb_schedule **out, rb_error *err);
void rb_schedule_free(rb_schedule *s);

/* Where time k came from: "FILE:LINE", or its date for a schedule built from arrays. */
void rb_schedule_where(const rb_schedule *s, size_t k, char *buf, size_t len);

typedef struct rb_target_table {
    char *source;       /* the file read; NULL: built from arrays */
    size_t header_line; /* the line of the file's header row */
    size_t nsymbols;
    char **symbol;      /* nsymbols column names, as in the file (distinct) */
    size_t nrows;       /* >= 1 */
    rb_time *time;      /* nrows dates, strictly increasing */
    size_t *line;       /* nrows lines of the file, or NULL */
    double *weight;     /* nrows x nsymbols, row-major: each row in [0, 1], summing to 1 */
} rb_target_table;

/* A targets file: a header date,SYM1,SYM2,... then one row of weights per date (fractions,
 * or percentages: 25% is 0.25), each in [0, 1], summing to 1 within
 * RB_WEIGHT_SUM_TOLERANCE. Errors: "FILE:LINE: what". */
rb_status rb_target_table_read(const char *path, rb_target_table **out, rb_error *err);

/* The same from arrays (weights row-major, nrows x nsymbols), with the same checks; errors
 * say "targets table: ..." and name the row by its date. */
rb_status rb_target_table_from_arrays(const char *const *symbols, size_t nsymbols, const rb_time *times,
                                      size_t nrows, const double *weights, rb_target_table **out, rb_error *err);
void rb_target_table_free(rb_target_table *t);

/* Where row r came from: "FILE:LINE", or its date for a table built from arrays. The
 * header: row SIZE_MAX ("FILE:LINE" of the header, or "the table's columns"). */
void rb_target_table_where(const rb_target_table *t, size_t r, char *buf, size_t len);

/* The row in force at time `at`: the last one dated at or before it; SIZE_MAX when none is. */
size_t rb_target_table_row(const rb_target_table *t, rb_time at);

#endif /* RB_DATED_TABLES_H */
