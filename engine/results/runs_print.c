/* runs_print.c - `rebal runs` (rebal.h: rb_runs_print): the runs of a sweep ranked by a
 * metric and filtered by conditions, as an aligned table or CSV, and the configurations that
 * failed with their messages. Reads through the reader (reader.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_write.h"
#include "error.h"
#include "json_write.h"
#include "reader.h"
#include "writer.h"
#include "alloc.h"

#define FEW_PARAMS 4   /* show every parameter column up to this many */
#define FAILED_SHOWN 5 /* failed configurations listed under the table */

static const char *const key_metrics[] = {"final_value", "cagr", "ann_vol", "max_drawdown", "sharpe", "turnover",
                                          "costs",       "taxes_paid", "after_tax_value"};
#define NKEY_METRICS (sizeof key_metrics / sizeof key_metrics[0])

/* What one call prints from. */
typedef struct printing {
    rb_results_reader *r;
    const rb_results_columns *cols;
    const rb_runs_query *q;
    const char *by;
    rb_results_sweep sweep;
    rb_results_where where; /* the --where conditions (a condition on status or error shows
                               failed runs like the others) */
    rb_results_query query; /* the runs to show */
    size_t rows;            /* JSON: the rows written so far */
    FILE *out;
} printing;

/* The rows of the table kept for formatting: parameter texts (to find the columns that vary)
 * and metric values. */
typedef struct fetched {
    size_t n, cap, nparam, nmetric;
    size_t *param_col, *metric_col; /* column indexes */
    int depleted_col;               /* or -1 */
    int64_t *config_id;
    char **section, **strategy, **error, **depleted_on; /* NULL = NULL */
    char **param;   /* n * nparam, NULL = NULL */
    double *metric; /* n * nmetric, NaN = NULL */
    int oom;
} fetched;

/* ---------------------------------------------------------------- formatting */

/* A metric for people: money with cents, fractions as percentages. */
static void fmt_metric(const char *unit, double v, char out[48])
{
    if (isnan(v)) snprintf(out, 48, "-");
    else if (strcmp(unit, "fraction") == 0) snprintf(out, 48, "%.2f%%", 100.0 * v);
    else if (strcmp(unit, "ratio") == 0) snprintf(out, 48, "%.3f", v);
    else if (strcmp(unit, "count") == 0) snprintf(out, 48, "%.0f", v);
    else snprintf(out, 48, "%.2f", v);
}

/* The aligned table: cells[row * ncols + col] (row 0 the header). */
typedef struct table {
    char **cells;
    size_t rows, cols;
    int *right;    /* per column: right-aligned (numbers) */
    size_t *width; /* per column, for print_table (allocated with the cells: printing cannot fail) */
} table;

static void table_free(table *t)
{
    for (size_t i = 0; t->cells && i < t->rows * t->cols; i++) free(t->cells[i]);
    free(t->cells);
    free(t->right);
    free(t->width);
}

static void print_table(FILE *out, const table *t)
{
    size_t *width = t->width;
    for (size_t i = 0; i < t->rows; i++)
        for (size_t j = 0; j < t->cols; j++) {
            size_t w = strlen(t->cells[i * t->cols + j]);
            if (w > width[j]) width[j] = w;
        }
    for (size_t i = 0; i < t->rows; i++) {
        for (size_t j = 0; j < t->cols; j++) {
            const char *s = t->cells[i * t->cols + j];
            int last = j + 1 == t->cols;
            if (t->right[j]) fprintf(out, "%s%*s", j ? "  " : "", (int)width[j], s);
            else if (last) fprintf(out, "%s%s", j ? "  " : "", s);
            else fprintf(out, "%s%-*s", j ? "  " : "", (int)width[j], s);
        }
        fputc('\n', out);
    }
}

static int same_text(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

/* ---------------------------------------------------------------- the rows */

static void fetched_free(fetched *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->section[i]);
        free(f->strategy[i]);
        free(f->error[i]);
        free(f->depleted_on[i]);
        for (size_t j = 0; j < f->nparam; j++) free(f->param[i * f->nparam + j]);
    }
    free(f->param_col);
    free(f->metric_col);
    free(f->config_id);
    free(f->section);
    free(f->strategy);
    free(f->error);
    free(f->depleted_on);
    free(f->param);
    free(f->metric);
}

static char *dup_or_null(const char *s, int *oom)
{
    if (!s) return NULL;
    char *d = rb_strdup(s);
    if (!d) *oom = 1;
    return d;
}

static int fetched_grow(fetched *f)
{
    size_t ncap = f->cap ? 2 * f->cap : 16;
    int64_t *ids = rb_realloc(f->config_id, ncap * sizeof *ids);
    if (ids) f->config_id = ids;
    char ***texts[] = {&f->section, &f->strategy, &f->error, &f->depleted_on};
    int ok = ids != NULL;
    for (size_t k = 0; ok && k < sizeof texts / sizeof texts[0]; k++) {
        char **grown = rb_realloc(*texts[k], ncap * sizeof *grown);
        if (grown) *texts[k] = grown;
        ok = grown != NULL;
    }
    char **pa = ok ? rb_realloc(f->param, (ncap * f->nparam + 1) * sizeof *pa) : NULL;
    if (pa) f->param = pa;
    double *me = pa ? rb_realloc(f->metric, (ncap * f->nmetric + 1) * sizeof *me) : NULL;
    if (me) f->metric = me;
    if (!me) return 0;
    f->cap = ncap;
    return 1;
}

static rb_status keep_row(void *ctx, const rb_results_run *run, rb_error *err)
{
    fetched *f = ctx;
    if (f->n == f->cap && !fetched_grow(f)) return rb_fail(err, RB_ERR_NOMEM, "out of memory reading the runs");
    size_t i = f->n++;
    f->config_id[i] = run->config_id;
    f->section[i] = dup_or_null(run->section, &f->oom);
    f->strategy[i] = dup_or_null(run->strategy, &f->oom);
    f->error[i] = dup_or_null(run->error, &f->oom);
    f->depleted_on[i] = f->depleted_col >= 0 ? dup_or_null(run->text[f->depleted_col], &f->oom) : NULL;
    for (size_t j = 0; j < f->nparam; j++) f->param[i * f->nparam + j] = dup_or_null(run->text[f->param_col[j]], &f->oom);
    for (size_t j = 0; j < f->nmetric; j++) f->metric[i * f->nmetric + j] = run->number[f->metric_col[j]];
    return f->oom ? rb_fail(err, RB_ERR_NOMEM, "out of memory reading the runs") : RB_OK;
}

static rb_status fetch(printing *p, fetched *f, rb_error *err)
{
    const rb_results_columns *cols = p->cols;
    f->param_col = rb_malloc((cols->n + 1) * sizeof *f->param_col);
    f->metric_col = rb_malloc((cols->n + 1) * sizeof *f->metric_col);
    if (!f->param_col || !f->metric_col) return rb_fail(err, RB_ERR_NOMEM, "out of memory formatting the runs");
    for (size_t i = 0; i < cols->n; i++) {
        if (cols->col[i].kind == RB_RCOL_PARAM) f->param_col[f->nparam++] = i;
        if (cols->col[i].kind == RB_RCOL_METRIC) f->metric_col[f->nmetric++] = i;
    }
    f->depleted_col = cols->depleted;
    return rb_results_reader_each(p->r, &p->query, keep_row, f, err);
}

/* The metric called name in fetched row i (NaN when NULL or not a column); *unit gets its unit. */
static double row_metric(const fetched *f, const rb_results_columns *cols, size_t i, const char *name,
                         const char **unit)
{
    for (size_t m = 0; m < f->nmetric; m++) {
        const rb_results_column *col = &cols->col[f->metric_col[m]];
        if (strcmp(col->name, name) != 0) continue;
        if (unit) *unit = col->metric->unit;
        return f->metric[i * f->nmetric + m];
    }
    return NAN;
}

/* ---------------------------------------------------------------- the table */

/* Which columns the table shows. */
typedef struct layout {
    size_t *shown; /* parameter indexes (of f->param_col) shown */
    size_t nshown;
    int *constant; /* per parameter: 1 set and the same in every row, 0 varies, -1 never set */
    size_t nset;   /* parameters set in some row */
    const char *metric[NKEY_METRICS + 1];
    size_t nmetric;
    int depleted, error; /* a depleted_on / error column */
} layout;

static rb_status plan(const printing *p, const fetched *f, layout *l, rb_error *err)
{
    memset(l, 0, sizeof *l);
    l->shown = rb_calloc(f->nparam + 1, sizeof *l->shown);
    l->constant = rb_calloc(f->nparam + 1, sizeof *l->constant);
    if (!l->shown || !l->constant) return rb_fail(err, RB_ERR_NOMEM, "out of memory formatting the runs");
    /* Parameter columns: those set in some printed row; only the varying ones when many. */
    for (size_t j = 0; j < f->nparam; j++) {
        int set = 0, varies = 0;
        for (size_t i = 0; i < f->n; i++) {
            set |= f->param[i * f->nparam + j] != NULL;
            if (i && !same_text(f->param[i * f->nparam + j], f->param[j])) varies = 1;
        }
        l->constant[j] = set && !varies ? 1 : set ? 0 : -1;
        l->nset += set;
    }
    for (size_t j = 0; j < f->nparam; j++)
        if (l->constant[j] == 0 || (l->constant[j] == 1 && l->nset <= FEW_PARAMS)) l->shown[l->nshown++] = j;
    /* Metric columns: the key ones, and --by when it is not among them. */
    int by_shown = 0;
    for (size_t i = 0; i < NKEY_METRICS; i++) {
        if (strcmp(key_metrics[i], "costs") != 0 && rb_results_columns_find(p->cols, key_metrics[i]) < 0) continue;
        l->metric[l->nmetric++] = key_metrics[i];
        by_shown |= strcmp(key_metrics[i], p->by) == 0;
    }
    if (!by_shown) l->metric[l->nmetric++] = p->by;
    /* depleted_on, when a run shown ran out of money; error, when one failed */
    for (size_t i = 0; i < f->n; i++) {
        l->depleted |= f->depleted_on[i] != NULL;
        l->error |= f->error[i] != NULL;
    }
    return RB_OK;
}

static void layout_free(layout *l)
{
    free(l->shown);
    free(l->constant);
}

/* The metric cell of row i: costs is fees_paid + slippage_paid + gas_paid. */
static void metric_cell(const printing *p, const fetched *f, size_t i, const char *name, char buf[48])
{
    const char *unit = "USD";
    double val;
    if (strcmp(name, "costs") == 0) {
        double parts[3] = {row_metric(f, p->cols, i, "fees_paid", NULL), row_metric(f, p->cols, i, "slippage_paid", NULL),
                           row_metric(f, p->cols, i, "gas_paid", NULL)};
        int any = 0;
        val = 0;
        for (size_t k = 0; k < 3; k++)
            if (!isnan(parts[k])) val += parts[k], any = 1;
        if (!any) val = NAN;
    } else {
        val = row_metric(f, p->cols, i, name, &unit);
    }
    fmt_metric(unit, val, buf);
}

static rb_status fill(const printing *p, const fetched *f, const layout *l, table *t, rb_error *err)
{
    t->cols = 4 + l->nshown + l->nmetric + (size_t)l->depleted + (size_t)l->error;
    t->rows = f->n + 1;
    t->cells = rb_calloc(t->rows * t->cols, sizeof *t->cells);
    t->right = rb_calloc(t->cols, sizeof *t->right);
    t->width = rb_calloc(t->cols, sizeof *t->width);
    if (!t->cells || !t->right || !t->width) return rb_fail(err, RB_ERR_NOMEM, "out of memory formatting the runs");
    size_t c = 0;
    const char *head[4] = {"rank", "config_id", "section", "strategy"};
    for (; c < 4; c++) t->cells[c] = rb_strdup(head[c]);
    t->right[0] = t->right[1] = 1;
    for (size_t j = 0; j < l->nshown; j++, c++) t->cells[c] = rb_strdup(p->cols->col[f->param_col[l->shown[j]]].name);
    for (size_t j = 0; j < l->nmetric; j++, c++) {
        t->cells[c] = rb_strdup(l->metric[j]);
        t->right[c] = 1;
    }
    if (l->depleted) t->cells[c++] = rb_strdup("depleted_on");
    if (l->error) t->cells[c++] = rb_strdup("error");
    for (size_t i = 0; i < f->n; i++) {
        char **row = &t->cells[(i + 1) * t->cols];
        char buf[48];
        snprintf(buf, sizeof buf, "%zu", i + 1);
        row[0] = rb_strdup(buf);
        snprintf(buf, sizeof buf, "%lld", (long long)f->config_id[i]);
        row[1] = rb_strdup(buf);
        row[2] = rb_strdup(f->section[i] ? f->section[i] : "-");
        row[3] = rb_strdup(f->strategy[i] ? f->strategy[i] : "-");
        c = 4;
        for (size_t j = 0; j < l->nshown; j++, c++) {
            const char *s = f->param[i * f->nparam + l->shown[j]];
            row[c] = rb_strdup(s ? s : "-");
        }
        for (size_t j = 0; j < l->nmetric; j++, c++) {
            metric_cell(p, f, i, l->metric[j], buf);
            row[c] = rb_strdup(buf);
        }
        if (l->depleted) row[c++] = rb_strdup(f->depleted_on[i] ? f->depleted_on[i] : "-");
        if (l->error) row[c++] = rb_strdup(f->error[i] ? f->error[i] : "-");
    }
    for (size_t i = 0; i < t->rows * t->cols; i++)
        if (!t->cells[i]) return rb_fail(err, RB_ERR_NOMEM, "out of memory formatting the runs");
    return RB_OK;
}

/* ---------------------------------------------------------------- printing */

static void print_title(const printing *p, uint64_t matching)
{
    FILE *out = p->out;
    const rb_results_sweep *s = &p->sweep;
    int asc = rb_results_ascending(p->by);
    fprintf(out, "sweep %lld (%s): %lld of %lld configurations stored", (long long)s->id, s->status,
            (long long)s->stored, (long long)s->configurations);
    if (s->failed) fprintf(out, ", %lld failed", (long long)s->failed);
    if (p->where.n) {
        fprintf(out, "; %llu where", (unsigned long long)matching);
        for (size_t i = 0; i < p->q->nwhere; i++) fprintf(out, "%s %s", i ? " and" : "", p->q->where[i]);
    }
    if (p->q->top) fprintf(out, "; top %zu by %s (%s first)\n", p->q->top, p->by, asc ? "lowest" : "highest");
    else fprintf(out, "; all by %s (%s first)\n", p->by, asc ? "lowest" : "highest");
}

static rb_status print_failure(void *ctx, const rb_results_run *run, rb_error *err)
{
    (void)err;
    FILE *out = ctx;
    fprintf(out, "  %lld  %s  %s\n", (long long)run->config_id, run->section ? run->section : "-",
            run->error ? run->error : "-");
    return RB_OK;
}

/* Under the table: how many of the runs the conditions select failed, the first of them and
 * their messages. */
static rb_status print_failures(printing *p, rb_error *err)
{
    if (p->where.names_status || p->sweep.failed == 0) return RB_OK;
    rb_results_query q = p->query;
    q.status = RB_RUNS_FAILED;
    q.by = NULL;
    q.limit = FAILED_SHOWN;
    uint64_t n = 0;
    rb_status rc = rb_results_reader_count(p->r, &q, &n, err);
    if (rc != RB_OK || n == 0) return rc;
    fprintf(p->out, "%llu configuration%s failed (listed with --where \"status = failed\")%s\n",
            (unsigned long long)n, n == 1 ? "" : "s", n > FAILED_SHOWN ? "; the first:" : ":");
    return rb_results_reader_each(p->r, &q, print_failure, p->out, err);
}

static rb_status print_runs(printing *p, uint64_t matching, rb_error *err)
{
    fetched f = {0};
    layout l = {0};
    table t = {0};
    rb_status rc = fetch(p, &f, err);
    if (rc == RB_OK) rc = plan(p, &f, &l, err);
    if (rc == RB_OK && f.n) rc = fill(p, &f, &l, &t, err);
    if (rc == RB_OK) {
        print_title(p, matching);
        if (f.n == 0) {
            fputs("no runs to show\n", p->out);
        } else {
            print_table(p->out, &t);
            int first = 1;
            for (size_t j = 0; j < f.nparam; j++) {
                if (l.constant[j] != 1 || l.nset <= FEW_PARAMS) continue;
                fprintf(p->out, "%s%s=%s", first ? "same in every row shown: " : ", ",
                        p->cols->col[f.param_col[j]].name, f.param[j]);
                first = 0;
            }
            if (!first) fputc('\n', p->out);
        }
        rc = print_failures(p, err);
    }
    table_free(&t);
    layout_free(&l);
    fetched_free(&f);
    return rc;
}

static rb_status csv_row(void *ctx, const rb_results_run *run, rb_error *err)
{
    (void)err;
    const printing *p = ctx;
    for (size_t i = 0; i < p->cols->n; i++) {
        if (i) fputc(',', p->out);
        if (p->cols->col[i].kind == RB_RCOL_METRIC) rb_csv_number(p->out, run->number[i]);
        else if (run->text[i]) rb_csv_safe_text(p->out, run->text[i]);
    }
    fputc('\n', p->out);
    return RB_OK;
}

/* Every column of the runs (failed ones too, their metrics empty) as CSV. */
static rb_status print_csv(printing *p, rb_error *err)
{
    for (size_t i = 0; i < p->cols->n; i++) {
        if (i) fputc(',', p->out);
        rb_csv_text(p->out, p->cols->col[i].name);
    }
    fputc('\n', p->out);
    return rb_results_reader_each(p->r, &p->query, csv_row, p, err);
}

/* One run as a JSON object: every column by name; numbers as numbers (an id exactly, as
 * stored), a per-asset value or a word as a string, NULL as null. */
static rb_status json_row(void *ctx, const rb_results_run *run, rb_error *err)
{
    (void)err;
    printing *p = ctx;
    fputs(p->rows++ ? ",\n{" : "{", p->out);
    for (size_t i = 0; i < p->cols->n; i++) {
        const rb_results_column *col = &p->cols->col[i];
        if (i) fputs(", ", p->out);
        rb_json_string(p->out, col->name);
        fputs(": ", p->out);
        if (col->kind == RB_RCOL_METRIC) rb_json_number(p->out, run->number[i]);
        else if (!run->text[i]) fputs("null", p->out);
        else if (col->real && rb_is_number_text(run->text[i]) && !isnan(run->number[i])) fputs(run->text[i], p->out);
        else rb_json_string(p->out, run->text[i]);
    }
    fputc('}', p->out);
    return RB_OK;
}

/* Every column of the runs (failed ones too, their metrics null) as a JSON array of objects,
 * one per line: pandas.read_json reads it as a DataFrame. */
static rb_status print_json(printing *p, rb_error *err)
{
    fputc('[', p->out);
    rb_status rc = rb_results_reader_each(p->r, &p->query, json_row, p, err);
    fputs("]\n", p->out);
    return rc;
}

/* The sweep, --by and the conditions. */
static rb_status prepare(printing *p, rb_error *err)
{
    rb_status rc = rb_results_reader_sweep(p->r, p->q->sweep_id, &p->sweep, err);
    if (rc != RB_OK) return rc;
    int at = rb_results_columns_find(p->cols, p->by);
    if (at < 0 && strchr(p->by, '-') && strlen(p->by) < RB_RESULTS_KEY_MAX) { /* after-tax-value, as a flag */
        char name[RB_RESULTS_KEY_MAX];
        snprintf(name, sizeof name, "%s", p->by);
        for (char *c = name; *c; c++)
            if (*c == '-') *c = '_';
        at = rb_results_columns_find(p->cols, name);
        if (at >= 0) p->by = p->cols->col[at].name;
    }
    if (at < 0 || p->cols->col[at].kind != RB_RCOL_METRIC) {
        char list[800] = "", hint[96];
        size_t nm, o = 0;
        const rb_metric_info *table = rb_metric_table(&nm);
        for (size_t m = 0; m < nm && o < sizeof list; m++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", m ? ", " : "", table[m].name);
        return rb_fail(err, RB_ERR_USAGE, "--by: unknown metric '%s'%s (one of: %s)", p->by,
                       rb_results_metric_hint(p->by, hint, sizeof hint), list);
    }
    for (size_t i = 0; i < p->q->nwhere && rc == RB_OK; i++)
        rc = rb_results_where_parse(p->r, p->q->where[i], &p->where, err);
    /* The table ranks the runs that ran (failures are listed under it); CSV has every row. */
    p->query = (rb_results_query){.sweep_id = p->sweep.id,
                                  .status = p->where.names_status || p->q->csv || p->q->json ? RB_RUNS_ANY : RB_RUNS_OK,
                                  .cond = p->where.item,
                                  .ncond = p->where.n,
                                  .by = p->cols->col[at].name,
                                  .limit = p->q->top};
    return rc;
}

/* Under the table: the sweep's out-of-sample test, when it has one (rb_oos_print). */
static rb_status print_oos(printing *p, rb_error *err)
{
    rb_oos_result *oos = NULL;
    rb_status rc = rb_results_reader_oos(p->r, p->sweep.id, &oos, err);
    if (rc == RB_OK && oos) {
        fputc('\n', p->out);
        rb_oos_print(oos, p->out);
    }
    rb_oos_free(oos);
    return rc;
}

/* Prints from a reader (closed here, reader NULL when it did not open: rc says why). */
static rb_status print_from(rb_results_reader *reader, rb_status rc, const rb_runs_query *q, FILE *out, rb_error *err)
{
    printing p = {.r = reader, .q = q, .by = q->by && *q->by ? q->by : "after_tax_value", .out = out};
    if (rc == RB_OK) {
        p.cols = rb_results_reader_columns(p.r);
        rc = prepare(&p, err);
    }
    uint64_t matching = (uint64_t)p.sweep.stored;
    if (rc == RB_OK && p.where.n) {
        rb_results_query count = {.sweep_id = p.query.sweep_id, .status = p.query.status, .cond = p.where.item,
                                  .ncond = p.where.n};
        rc = rb_results_reader_count(p.r, &count, &matching, err);
    }
    if (rc == RB_OK && q->csv && q->json) rc = rb_fail(err, RB_ERR_USAGE, "--csv and --json exclude each other");
    if (rc == RB_OK) rc = q->csv ? print_csv(&p, err) : q->json ? print_json(&p, err) : print_runs(&p, matching, err);
    if (rc == RB_OK && !q->csv && !q->json) rc = print_oos(&p, err);
    if (rc == RB_OK && ferror(out))
        rc = rb_fail(err, RB_ERR_IO, "writing the runs of %s failed", rb_results_reader_path(p.r));
    rb_results_where_clear(&p.where);
    rb_results_sweep_clear(&p.sweep);
    rb_results_reader_close(p.r);
    return rc;
}

rb_status rb_runs_print(const char *path, const rb_runs_query *q, FILE *out, rb_error *err)
{
    if (!q || !out) return rb_fail(err, RB_ERR_USAGE, "rb_runs_print: no query or no output");
    if (q->nwhere && !q->where) return rb_fail(err, RB_ERR_USAGE, "rb_runs_print: conditions missing");
    rb_results_reader *reader = NULL;
    rb_status rc = rb_results_reader_open(path, &reader, err);
    return print_from(reader, rc, q, out, err);
}

rb_status rb_runs_print_recorded(const rb_sweep_recorded *rec, const rb_runs_query *q, FILE *out,
                                 rb_error *err)
{
    if (!rec || !rec->results || !q || !out)
        return rb_fail(err, RB_ERR_USAGE, "rb_runs_print_recorded: no recorded sweep, query or output");
    if (q->nwhere && !q->where) return rb_fail(err, RB_ERR_USAGE, "rb_runs_print_recorded: conditions missing");
    rb_runs_query mine = *q; /* the sweep recorded, unless q names one */
    if (!mine.sweep_id) mine.sweep_id = rec->sweep_id;
    rb_results_reader *reader = NULL;
    rb_status rc = rb_results_reader_borrow(rb_results_connection(rec->results), &reader, err);
    return print_from(reader, rc, &mine, out, err);
}
