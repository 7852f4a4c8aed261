/* schema_select.c - the SELECT statements on runs (schema.h): which runs of a sweep (status,
 * section, strategy, conditions on any column), in which order, and what of them (the
 * columns, a count, one column's distinct values). Values are always bound. */
#include <string.h>

#include "error.h"
#include "schema.h"

static const char *const op_sql[] = {"=", "!=", "<", "<=", ">", ">=", "IS"};

int rb_results_ascending(const char *name)
{
    static const char *const asc[] = {"max_drawdown", "ann_vol",  "tracking_error", "turnover",   "turnover_2way",
                                      "avg_drift",    "fees_paid", "slippage_paid",  "gas_paid", "taxes_paid"};
    for (size_t i = 0; i < sizeof asc / sizeof asc[0]; i++)
        if (strcmp(asc[i], name) == 0) return 1;
    return 0;
}

/* rb_num(x, fraction): x as a REAL when it is a number or text holding exactly a number (a
 * percentage when fraction), else NULL. A version 1 store's parameters, and the words of a
 * TEXT column, are text: a numeric condition must compare numbers, and SQLite would compare
 * '0.5' and 0.25 as text. */
static void sql_num(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    double v;
    switch (sqlite3_value_type(argv[0])) {
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: sqlite3_result_double(ctx, sqlite3_value_double(argv[0])); return;
    case SQLITE_TEXT:
        if (rb_results_number_text((const char *)sqlite3_value_text(argv[0]), sqlite3_value_int(argv[1]), &v))
            sqlite3_result_double(ctx, v);
        else sqlite3_result_null(ctx);
        return;
    default: sqlite3_result_null(ctx); return;
    }
}

typedef enum bind_kind { BIND_NULL, BIND_NUMBER, BIND_TEXT } bind_kind;

/* How a condition's value is bound: a number when it reads as one (and was not quoted). */
static bind_kind cond_kind(const rb_results_column *col, const rb_results_cond *k, double *v)
{
    if (!k->text) return BIND_NULL;
    if (!k->as_text && rb_results_number_text(k->text, col->fraction, v)) return BIND_NUMBER;
    return BIND_TEXT;
}

/* A condition, false (not NULL) where the column is NULL: NOT of it is then true. */
static void write_cond(FILE *f, const rb_results_columns *cols, const rb_results_cond *k)
{
    const rb_results_column *col = &cols->col[k->column];
    double v;
    switch (cond_kind(col, k, &v)) {
    case BIND_NULL: fprintf(f, "\"%s\" IS NULL", col->name); return;
    case BIND_NUMBER:
        if (!col->real) {
            fprintf(f, "coalesce(rb_num(\"%s\", %d) %s ?, 0)", col->name, col->fraction, op_sql[k->op]);
            return;
        }
        break;
    case BIND_TEXT: break;
    }
    if (k->op == RB_ROP_IS) fprintf(f, "\"%s\" IS ?", col->name);
    else fprintf(f, "coalesce(\"%s\" %s ?, 0)", col->name, op_sql[k->op]);
}

/* " AND (...)" of the query's conditions and links, in their order; two operands side by
 * side are joined by AND (schema.h). */
static void write_conds(FILE *f, const rb_results_columns *cols, const rb_results_query *q)
{
    if (!q->ncond) return;
    fputs(" AND (", f);
    int after_operand = 0;
    for (size_t i = 0; i < q->ncond; i++) {
        rb_rlink link = q->cond[i].link;
        int starts_operand = link == RB_RLINK_COND || link == RB_RLINK_OPEN || link == RB_RLINK_NOT;
        if (starts_operand && after_operand) fputs(" AND ", f);
        switch (link) {
        case RB_RLINK_COND: write_cond(f, cols, &q->cond[i]); break;
        case RB_RLINK_OPEN: fputc('(', f); break;
        case RB_RLINK_CLOSE: fputc(')', f); break;
        case RB_RLINK_AND: fputs(" AND ", f); break;
        case RB_RLINK_OR: fputs(" OR ", f); break;
        case RB_RLINK_NOT: fputs("NOT ", f); break;
        }
        after_operand = link == RB_RLINK_COND || link == RB_RLINK_CLOSE;
    }
    fputc(')', f);
}

static int bind_cond(sqlite3_stmt *st, int at, const rb_results_columns *cols, const rb_results_cond *k)
{
    double v;
    switch (cond_kind(&cols->col[k->column], k, &v)) {
    case BIND_NULL: return at;
    case BIND_NUMBER: sqlite3_bind_double(st, at, v); return at + 1;
    case BIND_TEXT: return sqlite3_bind_text(st, at, k->text, -1, SQLITE_TRANSIENT) == SQLITE_OK ? at + 1 : 0;
    }
    return at;
}

static void write_select(FILE *f, const rb_results_columns *cols, rb_rselect what, size_t distinct)
{
    fputs("SELECT ", f);
    if (what == RB_RSELECT_COUNT) fputs("count(*)", f);
    else if (what == RB_RSELECT_DISTINCT) fprintf(f, "DISTINCT \"%s\"", cols->col[distinct].name);
    else
        for (size_t i = 0; i < cols->n; i++) fprintf(f, "%s\"%s\"", i ? ", " : "", cols->col[i].name);
    fputs(" FROM runs WHERE sweep_id = ?", f);
}

/* " AND ..." of the query's filters; the binds follow the same order (bind_filters). */
static void write_filters(FILE *f, const rb_results_columns *cols, const rb_results_query *q)
{
    int has_status = cols->base[RB_RCOL_STATUS] >= 0;
    if (q->status == RB_RUNS_OK && has_status) fputs(" AND status = '" RB_RUN_OK "'", f);
    if (q->status == RB_RUNS_FAILED) fputs(has_status ? " AND status = '" RB_RUN_FAILED "'" : " AND 0", f);
    if (q->section) fputs(" AND section = ?", f);
    if (q->strategy) fprintf(f, " AND strategy %s ?", q->not_strategy ? "!=" : "=");
    if (q->has_config_id) fputs(" AND config_id = ?", f);
    write_conds(f, cols, q);
}

/* The next parameter's index, or 0 when a bind failed (a copied text: out of memory). */
static int bind_filters(sqlite3_stmt *st, const rb_results_columns *cols, const rb_results_query *q)
{
    int at = 1, ok = 1;
    sqlite3_bind_int64(st, at++, q->sweep_id);
    if (q->section) ok &= sqlite3_bind_text(st, at++, q->section, -1, SQLITE_TRANSIENT) == SQLITE_OK;
    if (q->strategy) ok &= sqlite3_bind_text(st, at++, q->strategy, -1, SQLITE_TRANSIENT) == SQLITE_OK;
    if (q->has_config_id) sqlite3_bind_int64(st, at++, q->config_id);
    for (size_t i = 0; i < q->ncond && at; i++)
        if (q->cond[i].link == RB_RLINK_COND) at = bind_cond(st, at, cols, &q->cond[i]);
    return ok ? at : 0;
}

rb_status rb_results_schema_select(const rb_rconn *c, const rb_results_columns *cols, const rb_results_query *q,
                                   rb_rselect what, size_t distinct, sqlite3_stmt **out, rb_error *err)
{
    int depth = 0;
    for (size_t i = 0; i < q->ncond && depth >= 0; i++) {
        const rb_results_cond *k = &q->cond[i];
        depth += (k->link == RB_RLINK_OPEN) - (k->link == RB_RLINK_CLOSE);
        if ((int)k->link < 0 || k->link > RB_RLINK_NOT ||
            (k->link == RB_RLINK_COND && (k->column >= cols->n || (int)k->op < 0 || k->op > RB_ROP_IS ||
                                          (!k->text && k->op != RB_ROP_IS))))
            depth = -1;
    }
    if (depth != 0) return rb_fail(err, RB_ERR_USAGE, "%s: an invalid condition on the runs", c->path);
    int by = q->by ? rb_results_columns_find(cols, q->by) : -1;
    if ((what == RB_RSELECT_DISTINCT && distinct >= cols->n) || (q->by && by < 0))
        return rb_fail(err, RB_ERR_USAGE, "%s: the runs have no column '%s'", c->path,
                       q->by ? q->by : "(distinct)");
    if (sqlite3_create_function_v2(c->db, "rb_num", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_num, NULL, NULL,
                                   NULL) != SQLITE_OK)
        return rb_rsql_fail(c, err, "registering rb_num");
    rb_rsql_text t;
    rb_status rc = rb_rsql_text_open(&t, err);
    if (rc != RB_OK) return rc;
    write_select(t.f, cols, what, distinct);
    write_filters(t.f, cols, q);
    if (what == RB_RSELECT_ROWS) {
        /* Best first, undefined last, ties by config_id so the order is reproducible. */
        fputs(" ORDER BY ", t.f);
        if (q->section_first) fputs("section, ", t.f);
        if (by >= 0) {
            const char *name = cols->col[by].name;
            fprintf(t.f, "\"%s\" IS NULL, \"%s\" %s, ", name, name, rb_results_ascending(name) ? "ASC" : "DESC");
        }
        fputs("config_id", t.f);
        if (q->limit) fputs(" LIMIT ?", t.f);
    }
    sqlite3_stmt *st;
    rc = rb_rsql_text_prepare(c, &t, &st, err);
    if (rc != RB_OK) return rc;
    int at = bind_filters(st, cols, q);
    if (!at) { /* a text SQLite could not copy (the handle's error is not set by a bind) */
        sqlite3_finalize(st);
        return rb_fail(err, RB_ERR_NOMEM, "%s: out of memory binding the values of a query on the runs", c->path);
    }
    if (what == RB_RSELECT_ROWS && q->limit)
        sqlite3_bind_int64(st, at, q->limit > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)q->limit);
    *out = st;
    return RB_OK;
}
