/* report_source.h - a sweep's runs table as the report reads it: its columns sorted into
 * base, parameter and metric columns, the scenario (the values some columns are fixed to) and
 * the SQL helpers report_sweep.c and report_heatmap.c share. Internal to reports/. */
#ifndef RB_REPORT_SOURCE_H
#define RB_REPORT_SOURCE_H

#include <sqlite3.h>
#include <stdio.h>

#include "report_internal.h"

typedef enum col_kind { COL_BASE, COL_PARAM, COL_METRIC } col_kind;

typedef struct source {
    sqlite3 *db;
    const char *path;
    int64_t sweep;
    size_t ncols;
    char **col;        /* the runs columns */
    char **key;        /* per column: the setting key ("fee-bps"), NULL for base and metrics */
    col_kind *kind;
    const char *metric;
    int asc;
    /* The scenario: per column, the value it must have (NULL: free), when the column is set. */
    char **fixed;
    int *is_fixed;
} source;

/* SQL text, grown as needed. Column names come from the table itself ([a-z0-9_]) and are
 * quoted; values are always bound. */
typedef struct sql_buf {
    char *text;
    size_t len;
    FILE *f;
} sql_buf;

rb_status rb_src_db_fail(const source *s, rb_error *err, const char *what);
int rb_src_find_col(const source *s, const char *name);
int rb_src_find_key(const source *s, const char *key);
rb_status rb_src_sql_open(sql_buf *b, rb_error *err);
char *rb_src_sql_close(sql_buf *b);

/* " AND col IS ?N" for every fixed scenario column except two (column indexes, -1 for none);
 * binds start at `first`. Returns the next free bind number. rb_src_bind_fixed binds them. */
int rb_src_where_fixed(const source *s, FILE *f, int first, int except1, int except2);
void rb_src_bind_fixed(const source *s, sqlite3_stmt *st, int first, int except1, int except2);

/* Chart 4: chooses the family and two parameters (spec "X,Y[,METRIC]" or NULL, the best
 * family's section first on a tie) and fills r->heatmap, or r->heatmap_why when no family
 * varies two numeric parameters. */
rb_status rb_src_heatmap(source *s, rb_report *r, char **secs, size_t nsecs, const char *best_section,
                         const char *spec, rb_error *err);

#endif /* RB_REPORT_SOURCE_H */
