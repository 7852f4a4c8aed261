/* reader.h - reading a results store: its sweeps, the columns of its runs, and the runs of a
 * sweep with their parameters and metrics, filtered and ranked. `rebal runs`, --keep and the
 * reports read through it; only engine/results/ knows the tables (schema.h). Internal. */
#ifndef RB_RESULTS_READER_H
#define RB_RESULTS_READER_H

#include <stddef.h>
#include <stdint.h>

#include "rebal.h"
#include "results/schema.h"

typedef struct rb_results_reader rb_results_reader;

/* Opens the results store at path read-only, checked like rb_results_open (refusing a file
 * that is not one, or one with no sweep yet). A store of an older schema is read as it is. */
rb_status rb_results_reader_open(const char *path, rb_results_reader **out, rb_error *err);
/* A reader on a connection that stays its owner's (the writer's, between rb_results_end and
 * rb_results_free): the same reads without opening the file again. */
rb_status rb_results_reader_borrow(const rb_rconn *c, rb_results_reader **out, rb_error *err);
void rb_results_reader_close(rb_results_reader *r);
const char *rb_results_reader_path(const rb_results_reader *r);
/* Its connection, for the tables read elsewhere (resample_store.h). */
const rb_rconn *rb_results_reader_connection(const rb_results_reader *r);

/* Every sweep, by id (free with rb_results_sweeps_free). */
rb_status rb_results_reader_sweeps(rb_results_reader *r, rb_results_sweep **list, size_t *n, rb_error *err);

/* One sweep (id 0: the latest); RB_ERR_NOT_FOUND, naming the latest, when there is none.
 * Free its spec and spec_path with rb_results_sweep_clear. */
rb_status rb_results_reader_sweep(rb_results_reader *r, int64_t id, rb_results_sweep *out, rb_error *err);
void rb_results_sweep_clear(rb_results_sweep *s);

/* The columns of runs, in presentation order (schema.h). */
const rb_results_columns *rb_results_reader_columns(const rb_results_reader *r);

/* The conditions of `rebal runs --where`, as the items of a query (schema.h), and the texts
 * of their values. */
typedef struct rb_results_where {
    rb_results_cond *item;
    size_t n, cap;
    char **value;
    size_t nvalue, vcap;
    int names_status; /* a condition is on status or error */
} rb_results_where;

/* Reads one --where condition (where.c: comparisons = != < <= > >=, in (...), is [not]
 * null, joined by and, or, not and parentheses) and appends it to w, in parentheses (the
 * conditions of several calls must all hold). KEY is a column (fee_bps, to_mode, a metric,
 * section, status, ...) or a setting's flag name (fee-bps, to). A number compares as a
 * number; a quoted value as text. Refused, naming the token: what the grammar cannot read,
 * an unknown column (listing the columns), a value that is not a number for a numeric
 * column. Errors start with "--where 'TEXT': "; w is then unchanged. */
rb_status rb_results_where_parse(const rb_results_reader *r, const char *text, rb_results_where *w, rb_error *err);
void rb_results_where_clear(rb_results_where *w);

/* One run as the reader hands it over (valid during the callback only). */
typedef struct rb_results_run {
    int64_t config_id;
    const char *section, *strategy;
    const char *error;       /* NULL for a run that ran; else its failure's one-line message */
    const char *const *text; /* per column: the value as text (numbers in their shortest exact
                                form), NULL when NULL; NULL for every metric column */
    const double *number;    /* per column: the value as a number, NaN when NULL or not a number */
    rb_metrics metrics;      /* the metric columns (NaN when NULL); the rest zero */
} rb_results_run;

typedef rb_status (*rb_results_run_fn)(void *ctx, const rb_results_run *run, rb_error *err);

/* Calls fn for each run of q in q's order; a status other than RB_OK from fn stops there
 * and is returned. */
rb_status rb_results_reader_each(rb_results_reader *r, const rb_results_query *q, rb_results_run_fn fn, void *ctx,
                                 rb_error *err);

/* The number of runs of q (its order and limit aside). */
rb_status rb_results_reader_count(rb_results_reader *r, const rb_results_query *q, uint64_t *n, rb_error *err);

/* Calls fn for each distinct value of a column among q's runs: its text (NULL for NULL) and
 * number (NaN when not a number). */
rb_status rb_results_reader_distinct(rb_results_reader *r, const rb_results_query *q, size_t column,
                                     rb_status (*fn)(void *ctx, const char *text, double number, rb_error *err),
                                     void *ctx, rb_error *err);

/* "; did you mean sharpe?" for a name that is not a metric (the nearest metric name), or "";
 * the text lives in buf. */
const char *rb_results_metric_hint(const char *name, char *buf, size_t len);

/* The config ids of the n best ok runs of sweep sweep_id (0: the latest) in the store at path,
 * by a metric (rb_results_ascending's order). *ids is malloc'ed; *count may be below n. */
rb_status rb_results_best(const char *path, int64_t sweep_id, const char *by, size_t n, int64_t **ids, size_t *count,
                          rb_error *err);

/* The latest out-of-sample test of sweep sweep_id (0: the latest sweep; results/oos_store.h):
 * *out (free with rb_oos_free), NULL when the sweep has none or the store predates them. */
rb_status rb_results_reader_oos(rb_results_reader *r, int64_t sweep_id, rb_oos_result **out, rb_error *err);

#endif /* RB_RESULTS_READER_H */
