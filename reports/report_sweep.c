/* report_sweep.c - the report of a sweep in a results store (rebal.h: rb_report_sweep):
 * summary.csv streamed from the runs table, the best configuration of each family in the
 * scenario, the page's table, the frontier's points and the heatmap, all read with SQL; the
 * replays and files are the builder's (report_build.c). */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "csv_write.h"
#include "error.h"
#include "report_files.h"
#include "report_internal.h"
#include "resolve.h"
#include "report_source.h"
#include "results.h"
#include "sweep.h"

/* Frontier points beyond this are sampled (every k-th by config id): gnuplot draws 20,000
 * points in a blink, a million in minutes. */
#define FRONTIER_MAX 20000

static void source_free(source *s)
{
    for (size_t c = 0; c < s->ncols; c++) {
        free(s->col[c]);
        free(s->key[c]);
        if (s->fixed) free(s->fixed[c]);
    }
    free(s->col);
    free(s->key);
    free(s->kind);
    free(s->fixed);
    free(s->is_fixed);
    if (s->db) sqlite3_close(s->db);
}

rb_status rb_src_db_fail(const source *s, rb_error *err, const char *what)
{
    return rb_fail(err, RB_ERR_DB, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static rb_status load_columns(source *s, rb_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT name FROM pragma_table_info('runs')", -1, &st, NULL) != SQLITE_OK)
        return rb_src_db_fail(s, err, "reading the columns");
    size_t cap = 64;
    s->col = calloc(cap, sizeof *s->col);
    s->key = calloc(cap, sizeof *s->key);
    s->kind = calloc(cap, sizeof *s->kind);
    rb_status rc = s->col && s->key && s->kind ? RB_OK : rb_fail(err, RB_ERR_NOMEM, "out of memory");
    while (rc == RB_OK && sqlite3_step(st) == SQLITE_ROW) {
        if (s->ncols == cap) {
            cap *= 2;
            char **c = realloc(s->col, cap * sizeof *c), **k = c ? realloc(s->key, cap * sizeof *k) : NULL;
            col_kind *kd = k ? realloc(s->kind, cap * sizeof *kd) : NULL;
            if (c) s->col = c;
            if (k) s->key = k;
            if (kd) s->kind = kd;
            if (!kd) {
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
                break;
            }
        }
        const char *name = (const char *)sqlite3_column_text(st, 0);
        size_t c = s->ncols++;
        s->key[c] = NULL;
        if (!(s->col[c] = strdup(name ? name : ""))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        else if (!strcmp(name, "sweep_id") || !strcmp(name, "config_id") || !strcmp(name, "section") ||
                 !strcmp(name, "strategy") || !strcmp(name, "depleted_on")) /* depleted_on: an outcome, no setting */
            s->kind[c] = COL_BASE;
        else if (rb_metric_find(name)) s->kind[c] = COL_METRIC;
        else {
            s->kind[c] = COL_PARAM;
            if (!(s->key[c] = strdup(name))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
            else
                for (char *p = s->key[c]; *p; p++)
                    if (*p == '_') *p = '-';
        }
    }
    sqlite3_finalize(st);
    if (rc == RB_OK) {
        s->fixed = calloc(s->ncols ? s->ncols : 1, sizeof *s->fixed);
        s->is_fixed = calloc(s->ncols ? s->ncols : 1, sizeof *s->is_fixed);
        if (!s->fixed || !s->is_fixed) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    return rc;
}

int rb_src_find_col(const source *s, const char *name)
{
    for (size_t c = 0; c < s->ncols; c++)
        if (strcmp(s->col[c], name) == 0) return (int)c;
    return -1;
}

int rb_src_find_key(const source *s, const char *key)
{
    for (size_t c = 0; c < s->ncols; c++)
        if (s->key[c] && strcmp(s->key[c], key) == 0) return (int)c;
    return -1;
}

rb_status rb_src_sql_open(sql_buf *b, rb_error *err)
{
    *b = (sql_buf){0};
    if (!(b->f = open_memstream(&b->text, &b->len))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    return RB_OK;
}

char *rb_src_sql_close(sql_buf *b)
{
    if (fclose(b->f) != 0) {
        free(b->text);
        return NULL;
    }
    return b->text;
}

/* "SELECT config_id, section, strategy, params..., metrics... FROM runs" */
static void select_all(const source *s, FILE *f)
{
    fputs("SELECT config_id, section, strategy", f);
    for (size_t c = 0; c < s->ncols; c++)
        if (s->kind[c] == COL_PARAM) fprintf(f, ", \"%s\"", s->col[c]);
    for (size_t c = 0; c < s->ncols; c++)
        if (s->kind[c] == COL_METRIC) fprintf(f, ", \"%s\"", s->col[c]);
    fputs(" FROM runs", f);
}

/* " AND col IS ?N" for every fixed scenario column except `except` (two column indexes, -1
 * for none); binds start at `first`. Returns the next free bind number. */
int rb_src_where_fixed(const source *s, FILE *f, int first, int except1, int except2)
{
    for (size_t c = 0; c < s->ncols; c++)
        if (s->is_fixed[c] && (int)c != except1 && (int)c != except2) fprintf(f, " AND \"%s\" IS ?%d", s->col[c], first++);
    return first;
}

void rb_src_bind_fixed(const source *s, sqlite3_stmt *st, int first, int except1, int except2)
{
    for (size_t c = 0; c < s->ncols; c++)
        if (s->is_fixed[c] && (int)c != except1 && (int)c != except2) {
            if (s->fixed[c]) sqlite3_bind_text(st, first, s->fixed[c], -1, SQLITE_TRANSIENT);
            else sqlite3_bind_null(st, first);
            first++;
        }
}

static void order_by(const source *s, FILE *f)
{
    fprintf(f, " ORDER BY \"%s\" IS NULL, \"%s\" %s, config_id", s->metric, s->metric, s->asc ? "ASC" : "DESC");
}

/* Reads a row of select_all into a configuration. */
static rb_status read_cfg(const source *s, sqlite3_stmt *st, rb_report_cfg *c, rb_error *err)
{
    *c = (rb_report_cfg){0};
    c->id = sqlite3_column_int64(st, 0);
    const char *section = (const char *)sqlite3_column_text(st, 1), *strategy = (const char *)sqlite3_column_text(st, 2);
    snprintf(c->section, sizeof c->section, "%s", section ? section : "");
    snprintf(c->strategy, sizeof c->strategy, "%s", strategy ? strategy : "");
    rb_status rc = rb_kvlist_add(&c->params, "strategy", c->strategy, err);
    int at = 3;
    for (size_t k = 0; k < s->ncols && rc == RB_OK; k++) {
        if (s->kind[k] != COL_PARAM) continue;
        const char *v = (const char *)sqlite3_column_text(st, at++);
        if (v) rc = rb_kvlist_add(&c->params, s->key[k], v, err);
    }
    for (size_t k = 0; k < s->ncols; k++) {
        if (s->kind[k] != COL_METRIC) continue;
        double v = sqlite3_column_type(st, at) == SQLITE_NULL ? NAN : sqlite3_column_double(st, at);
        at++;
        const rb_metric_info *info = rb_metric_find(s->col[k]);
        if (info) *(double *)((char *)&c->m + info->offset) = v;
    }
    return rc;
}

/* The best row (or the top n rows) of a section under the scenario (section NULL: of the
 * whole sweep); calls back for each. */
static rb_status best_rows(const source *s, const char *section, size_t n,
                           rb_status (*each)(void *ctx, rb_report_cfg *c, rb_error *err), void *ctx, rb_error *err)
{
    sql_buf b;
    rb_status rc = rb_src_sql_open(&b, err);
    if (rc != RB_OK) return rc;
    select_all(s, b.f);
    fputs(" WHERE sweep_id = ?1", b.f);
    if (section) fputs(" AND section = ?2", b.f);
    rb_src_where_fixed(s, b.f, 3, -1, -1);
    order_by(s, b.f);
    fputs(" LIMIT ?3000", b.f);
    char *sql = rb_src_sql_close(&b);
    if (!sql) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) rc = rb_src_db_fail(s, err, "finding the best runs");
    free(sql);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, s->sweep);
    if (section) sqlite3_bind_text(st, 2, section, -1, SQLITE_TRANSIENT);
    rb_src_bind_fixed(s, st, 3, -1, -1);
    sqlite3_bind_int64(st, 3000, (sqlite3_int64)n);
    int step;
    while (rc == RB_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rb_report_cfg c;
        rc = read_cfg(s, st, &c, err);
        if (rc == RB_OK) rc = each(ctx, &c, err);
        else rb_report_cfg_free(&c);
    }
    if (rc == RB_OK && step != SQLITE_DONE) rc = rb_src_db_fail(s, err, "finding the best runs");
    sqlite3_finalize(st);
    return rc;
}

/* ---------------------------------------------------------------- summary.csv */

static rb_status write_summary(const source *s, rb_report *r, const char *dir, uint64_t *rows, rb_error *err)
{
    sql_buf b;
    rb_status rc = rb_src_sql_open(&b, err);
    if (rc != RB_OK) return rc;
    select_all(s, b.f);
    fputs(" WHERE sweep_id = ?1 ORDER BY section,", b.f);
    fprintf(b.f, " \"%s\" IS NULL, \"%s\" %s, config_id", s->metric, s->metric, s->asc ? "ASC" : "DESC");
    char *sql = rb_src_sql_close(&b);
    if (!sql) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) rc = rb_src_db_fail(s, err, "reading the runs");
    free(sql);
    if (rc != RB_OK) return rc;
    const char *name = "summary.csv";
    FILE *f = rb_report_open(dir, name, err);
    if (!f) {
        sqlite3_finalize(st);
        return err ? err->code : RB_ERR_IO;
    }
    sqlite3_bind_int64(st, 1, s->sweep);
    int ncol = sqlite3_column_count(st);
    for (int c = 0; c < ncol; c++) {
        if (c) putc(',', f);
        rb_csv_text(f, sqlite3_column_name(st, c));
    }
    fputs("\r\n", f);
    int nparam_end = 3;
    for (size_t c = 0; c < s->ncols; c++) nparam_end += s->kind[c] == COL_PARAM;
    int step;
    uint64_t n = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        fprintf(f, "%lld", (long long)sqlite3_column_int64(st, 0));
        for (int c = 1; c < ncol; c++) {
            putc(',', f);
            if (sqlite3_column_type(st, c) == SQLITE_NULL) continue;
            if (c < nparam_end) rb_csv_safe_text(f, (const char *)sqlite3_column_text(st, c));
            else rb_csv_number(f, sqlite3_column_double(st, c));
        }
        fputs("\r\n", f);
        n++;
    }
    if (step != SQLITE_DONE) rc = rb_src_db_fail(s, err, "reading the runs");
    sqlite3_finalize(st);
    rc = rb_report_close(f, dir, name, rc, err);
    if (rc == RB_OK) rc = rb_report_add_file(r, name, err);
    if (rc == RB_OK) *rows = n;
    return rc;
}

/* ---------------------------------------------------------------- the scenario */

/* Fixes the columns named in "KEY=VALUE;KEY=VALUE". */
static rb_status parse_scenario(source *s, const char *text, rb_error *err)
{
    char *copy = strdup(text);
    if (!copy) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    rb_status rc = RB_OK;
    for (char *save = NULL, *item = strtok_r(copy, ";", &save); item && rc == RB_OK; item = strtok_r(NULL, ";", &save)) {
        while (*item == ' ') item++;
        char *eq = strchr(item, '=');
        if (!eq || eq == item) {
            rc = rb_fail(err, RB_ERR_USAGE, "--scenario: '%s' is not KEY=VALUE", item);
            break;
        }
        *eq = '\0';
        char *value = eq + 1;
        if (!rb_is_scenario_key(item)) {
            rc = rb_fail(err, RB_ERR_USAGE, "--scenario: '%s' is not a cost, tax, flow or metrics setting", item);
            break;
        }
        int c = rb_src_find_key(s, item);
        if (c < 0) {
            rc = rb_fail(err, RB_ERR_USAGE, "--scenario: the sweep does not set '%s'", item);
            break;
        }
        free(s->fixed[c]);
        if (!(s->fixed[c] = strdup(value))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        s->is_fixed[c] = 1;
    }
    free(copy);
    return rc;
}

/* 1 when the column holds more than one value (NULL counts as one) in the sweep. */
static int varies(const source *s, int c)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT coalesce(\"%s\", '')) FROM runs WHERE sweep_id = ?1", s->col[c]);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return 0;
    sqlite3_bind_int64(st, 1, s->sweep);
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return n > 1;
}

/* Fixes every scenario column to the best row's value; text gets the settings the sweep
 * varies ("fee-bps=10"), all gets every one. */
static rb_status fix_to(source *s, const rb_report_cfg *best, char *text, size_t len, char *all, size_t alen,
                        rb_error *err)
{
    text[0] = all[0] = '\0';
    size_t o = 0, a = 0;
    for (size_t c = 0; c < s->ncols; c++) {
        if (s->kind[c] != COL_PARAM || !rb_is_scenario_key(s->key[c])) continue;
        const char *v = rb_kvlist_get(&best->params, s->key[c]);
        free(s->fixed[c]);
        s->fixed[c] = NULL;
        if (v && !(s->fixed[c] = strdup(v))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        s->is_fixed[c] = 1;
        if (!v) continue;
        if (a < alen) a += (size_t)snprintf(all + a, alen - a, "  %s = %s\n", s->key[c], v);
        if (o < len && varies(s, (int)c)) o += (size_t)snprintf(text + o, len - o, "%s%s=%s", o ? ", " : "", s->key[c], v);
    }
    return RB_OK;
}

/* ---------------------------------------------------------------- families and table */

typedef struct collect {
    rb_report_cfg *list;
    size_t n, cap;
} collect;

static rb_status collect_one(void *ctx, rb_report_cfg *c, rb_error *err)
{
    collect *col = ctx;
    if (col->n == col->cap) {
        size_t cap = col->cap ? 2 * col->cap : 8;
        rb_report_cfg *l = realloc(col->list, cap * sizeof *l);
        if (!l) {
            rb_report_cfg_free(c);
            return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        }
        col->list = l;
        col->cap = cap;
    }
    col->list[col->n++] = *c;
    return RB_OK;
}

static rb_status sections(const source *s, char ***out, size_t *n, rb_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT section FROM runs WHERE sweep_id = ?1 ORDER BY section", -1, &st,
                           NULL) != SQLITE_OK)
        return rb_src_db_fail(s, err, "listing the families");
    sqlite3_bind_int64(st, 1, s->sweep);
    char **list = NULL;
    size_t k = 0;
    rb_status rc = RB_OK;
    while (rc == RB_OK && sqlite3_step(st) == SQLITE_ROW) {
        char **l = realloc(list, (k + 1) * sizeof *l);
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (!l || !(l[k] = strdup(t ? t : ""))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        if (l) list = l;
        if (rc == RB_OK) k++;
    }
    sqlite3_finalize(st);
    *out = list;
    *n = k;
    return rc;
}

typedef struct table_ctx {
    rb_report_table *t;
} table_ctx;

static rb_status table_one(void *ctx, rb_report_cfg *c, rb_error *err)
{
    table_ctx *tc = ctx;
    if (strcmp(c->strategy, "buy-and-hold") == 0) { /* the table's first row already */
        rb_report_cfg_free(c);
        return RB_OK;
    }
    char label[256];
    rb_report_cfg_label(c, label, sizeof label);
    const char *p = strchr(label, ' ');
    rb_status rc = rb_report_table_add(tc->t, c->section, c->id, p ? p + 1 : "", &c->m, err);
    rb_report_cfg_free(c);
    return rc;
}

/* ---------------------------------------------------------------- frontier */

static rb_status frontier(const source *s, rb_report *r, char **secs, size_t nsecs, rb_error *err)
{
    rb_report_frontier *f = &r->frontier;
    sql_buf b;
    rb_status rc = rb_src_sql_open(&b, err);
    if (rc != RB_OK) return rc;
    /* Buy-and-hold is one of the two marked ends. */
    fputs("SELECT section, tracking_error, fees_paid + slippage_paid + gas_paid, turnover, "
          "count(*) OVER () FROM runs WHERE sweep_id = ?1 AND strategy != 'buy-and-hold'",
          b.f);
    rb_src_where_fixed(s, b.f, 2, -1, -1);
    fputs(" ORDER BY config_id", b.f);
    char *sql = rb_src_sql_close(&b);
    if (!sql) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) rc = rb_src_db_fail(s, err, "reading the frontier");
    free(sql);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, s->sweep);
    rb_src_bind_fixed(s, st, 2, -1, -1);
    f->families = calloc(nsecs ? nsecs : 1, sizeof *f->families);
    if (!f->families) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; rc == RB_OK && k < nsecs; k++) snprintf(f->families[k], sizeof f->families[k], "%s", secs[k]);
    f->nfamilies = nsecs;
    size_t cap = 0, row = 0, stride = 1;
    int use_cost = 0, step;
    /* Costs decide the axis only after the rows are read: keep both coordinates. */
    double *cost = NULL, *turn = NULL;
    while (rc == RB_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (row == 0) {
            uint64_t total = (uint64_t)sqlite3_column_int64(st, 4);
            f->sampled_from = total;
            stride = total > FRONTIER_MAX ? (size_t)((total + FRONTIER_MAX - 1) / FRONTIER_MAX) : 1;
            cap = (size_t)(total / stride + 1);
            f->family = malloc(cap * sizeof *f->family);
            f->x = malloc(cap * sizeof *f->x);
            cost = malloc(cap * sizeof *cost);
            turn = malloc(cap * sizeof *turn);
            if (!f->family || !f->x || !cost || !turn) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        }
        double c = sqlite3_column_double(st, 2);
        if (c > 0) use_cost = 1;
        if (rc == RB_OK && row % stride == 0 && f->npoints < cap) {
            const char *sec = (const char *)sqlite3_column_text(st, 0);
            size_t k = 0;
            while (k < nsecs && strcmp(secs[k], sec ? sec : "") != 0) k++;
            size_t i = f->npoints++;
            f->family[i] = k < nsecs ? k : 0;
            f->x[i] = 100 * sqlite3_column_double(st, 1);
            cost[i] = c;
            turn[i] = 100 * sqlite3_column_double(st, 3);
        }
        row++;
    }
    sqlite3_finalize(st);
    if (rc == RB_OK) {
        rb_report_frontier_axes(r, use_cost);
        f->y = use_cost ? cost : turn;
        free(use_cost ? turn : cost);
    } else {
        free(cost);
        free(turn);
    }
    return rc;
}

/* ---------------------------------------------------------------- the report */

static rb_status read_sweep(source *s, int64_t want, char **spec, char *hash, char *about_head, size_t len,
                            rb_error *err)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT id, spec, dataset_hash, code_version, configurations, started_at, finished_at, status "
                      "FROM sweeps WHERE id = ?1 OR (?1 = 0 AND id = (SELECT max(id) FROM sweeps))";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return rb_src_db_fail(s, err, "reading the sweep");
    sqlite3_bind_int64(st, 1, want);
    rb_status rc = RB_OK;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = want ? rb_fail(err, RB_ERR_NOT_FOUND, "%s: no sweep %lld", s->path, (long long)want)
                  : rb_fail(err, RB_ERR_NOT_FOUND, "%s: no sweep recorded", s->path);
    } else {
        s->sweep = sqlite3_column_int64(st, 0);
        const char *text = (const char *)sqlite3_column_text(st, 1), *h = (const char *)sqlite3_column_text(st, 2);
        snprintf(hash, 17, "%s", h ? h : "");
        if (!(*spec = strdup(text ? text : ""))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        const char *version = (const char *)sqlite3_column_text(st, 3), *started = (const char *)sqlite3_column_text(st, 5),
                   *finished = (const char *)sqlite3_column_text(st, 6), *status = (const char *)sqlite3_column_text(st, 7);
        snprintf(about_head, len,
                 "Sweep\n  results store: %s\n  sweep %lld: %lld configurations, status %s, started %s, finished %s\n"
                 "  rebal %s; dataset hash %s (checked against the prices the report replays)\n",
                 s->path, (long long)s->sweep, (long long)sqlite3_column_int64(st, 4), status ? status : "?",
                 started ? started : "?", finished ? finished : "-", version ? version : "?", hash);
    }
    sqlite3_finalize(st);
    return rc;
}

static rb_status check_dataset(rb_store *prices, const rb_kvlist *data, const char *hash, const source *s,
                               rb_error *err)
{
    rb_run_spec *spec = NULL;
    rb_matrix *m = NULL;
    rb_status rc = rb_run_spec_new(&spec, err);
    for (size_t i = 0; rc == RB_OK && i < data->n; i++) rc = rb_run_spec_set(spec, data->key[i], data->value[i], err);
    if (rc == RB_OK) rc = rb_resolve_matrix(prices, spec, &m, err);
    if (rc == RB_OK) {
        char now[17];
        rb_dataset_hash(m, now);
        if (strcmp(now, hash) != 0)
            rc = rb_fail(err, RB_ERR_DATA,
                         "%s: sweep %lld ran on other prices than these (dataset hash %s, now %s): pass the price "
                         "store it ran on with --db",
                         s->path, (long long)s->sweep, hash, now);
    }
    rb_matrix_free(m);
    rb_run_spec_free(spec);
    return rc;
}

/* The configuration with the given id, for chart 3. */
static rb_status weights_row(const source *s, int64_t id, rb_report_cfg **out, rb_error *err)
{
    sql_buf b;
    rb_status rc = rb_src_sql_open(&b, err);
    if (rc != RB_OK) return rc;
    select_all(s, b.f);
    fputs(" WHERE sweep_id = ?1 AND config_id = ?2", b.f);
    char *sql = rb_src_sql_close(&b);
    if (!sql) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) rc = rb_src_db_fail(s, err, "reading a run");
    free(sql);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, s->sweep);
    sqlite3_bind_int64(st, 2, id);
    rb_report_cfg *c = calloc(1, sizeof *c);
    if (!c) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    else if (sqlite3_step(st) != SQLITE_ROW)
        rc = rb_fail(err, RB_ERR_USAGE, "--weights: sweep %lld has no configuration %lld", (long long)s->sweep,
                     (long long)id);
    else rc = read_cfg(s, st, c, err);
    sqlite3_finalize(st);
    if (rc != RB_OK) {
        if (c) rb_report_cfg_free(c);
        free(c);
        return rc;
    }
    *out = c;
    return RB_OK;
}

static int cmp_best(const void *a, const void *b, void *ctx)
{
    const source *s = ctx;
    double x = rb_metric_value(&((const rb_report_cfg *)a)->m, s->metric);
    double y = rb_metric_value(&((const rb_report_cfg *)b)->m, s->metric);
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    if (x == y) return 0;
    return (s->asc ? x < y : x > y) ? -1 : 1;
}

rb_status rb_report_sweep(rb_store *prices, const char *results_path, const rb_report_options *opt,
                          rb_report_summary *out, rb_error *err)
{
    rb_report_options o = *opt;
    if (!o.by) o.by = "after_tax_value";
    if (!o.top) o.top = 5;
    char hint[96];
    if (!rb_metric_find(o.by))
        return rb_fail(err, RB_ERR_USAGE, "--by: '%s' is not a metric%s (see 'rebal help metrics')", o.by,
                       rb_results_metric_hint(o.by, hint, sizeof hint));
    const char *dir = o.out_dir;
    source s = {.path = results_path, .metric = o.by, .asc = rb_results_ascending(o.by)};
    rb_report_input in = {.metric = o.by};
    rb_report r = {0};
    rb_sweep *sweep = NULL;
    char *spec = NULL, hash[17] = "", head[1024] = "";
    char **secs = NULL;
    size_t nsecs = 0;
    collect best = {0};
    rb_report_summary sum = {0};
    rb_status rc = rb_results_open_sqlite(results_path, &s.db, err);
    if (rc == RB_OK) rc = load_columns(&s, err);
    if (rc == RB_OK) rc = read_sweep(&s, o.sweep_id, &spec, hash, head, sizeof head, err);
    if (rc == RB_OK) {
        char name[64];
        snprintf(name, sizeof name, "sweep %lld", (long long)s.sweep);
        rc = rb_sweep_parse_text(spec, name, &sweep, err);
        if (rc != RB_OK) rb_error_prefix(err, "%s", results_path);
    }
    if (rc == RB_OK) {
        const rb_sweep_kv *data;
        size_t nd = rb_sweep_data(sweep, &data);
        for (size_t i = 0; rc == RB_OK && i < nd; i++) rc = rb_kvlist_add(&in.data, data[i].key, data[i].value, err);
    }
    if (rc == RB_OK) rc = check_dataset(prices, &in.data, hash, &s, err);
    if (rc == RB_OK) rc = rb_report_make_dir(dir, err);
    if (rc == RB_OK) rc = write_summary(&s, &r, dir, &sum.configurations, err);
    if (rc == RB_OK && o.scenario) rc = parse_scenario(&s, o.scenario, err);
    /* The best configuration in the scenario fixes the rest of the scenario. */
    if (rc == RB_OK) rc = best_rows(&s, NULL, 1, collect_one, &best, err);
    if (rc == RB_OK && best.n == 0)
        rc = rb_fail(err, RB_ERR_NOT_FOUND, "%s: sweep %lld has no run%s", results_path, (long long)s.sweep,
                     o.scenario ? " in that scenario" : "");
    char all[1024];
    if (rc == RB_OK)
        rc = fix_to(&s, &best.list[0], in.scenario_text, sizeof in.scenario_text, all, sizeof all, err);
    if (rc == RB_OK) rc = sections(&s, &secs, &nsecs, err);
    for (size_t k = 0; rc == RB_OK && k < best.n; k++) rb_report_cfg_free(&best.list[k]);
    best.n = 0;
    for (size_t k = 0; rc == RB_OK && k < nsecs; k++) rc = best_rows(&s, secs[k], 1, collect_one, &best, err);
    /* The families' best, best first; buy-and-hold sections are the anchor already. */
    if (rc == RB_OK) {
        size_t w = 0;
        for (size_t k = 0; k < best.n; k++) {
            if (strcmp(best.list[k].strategy, "buy-and-hold") == 0) rb_report_cfg_free(&best.list[k]);
            else best.list[w++] = best.list[k];
        }
        best.n = w;
        qsort_r(best.list, best.n, sizeof *best.list, cmp_best, &s);
        if (best.n == 0) rc = rb_fail(err, RB_ERR_DATA, "%s: sweep %lld has only buy-and-hold runs: nothing to compare",
                                      results_path, (long long)s.sweep);
    }
    if (rc == RB_OK) {
        in.best = best.list;
        in.nbest = best.n;
        best.list = NULL;
        best.n = 0;
        size_t tl = strlen(head) + strlen(all) + strlen(spec) + 256;
        if (!(in.about = malloc(tl))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        else snprintf(in.about, tl, "Cost, tax and flow settings of the comparisons\n%s\n%s\nThe sweep specification as run\n%s%s",
                      all[0] ? all : "  (the defaults)\n", head, spec, spec[0] && spec[strlen(spec) - 1] == '\n' ? "" : "\n");
    }
    /* Chart 3 of a configuration that is not a family's best: read it by id. */
    int weights_known = !o.weights_id;
    for (size_t k = 0; rc == RB_OK && k < in.nbest; k++) weights_known |= in.best[k].id == o.weights_id;
    if (rc == RB_OK && !weights_known) {
        rc = weights_row(&s, o.weights_id, &in.weights, err);
    }
    if (rc == RB_OK) {
        const char *assets = rb_kvlist_get(&in.data, "assets");
        if (o.title) snprintf(r.title, sizeof r.title, "%s", o.title);
        else snprintf(r.title, sizeof r.title, "rebal sweep report: %.200s", assets ? assets : "");
        snprintf(r.metric, sizeof r.metric, "%s", o.by);
        rc = rb_report_build(prices, &in, &o, dir, &r, err);
    }
    if (rc == RB_OK) {
        const rb_metrics *m = &r.series[0].metrics;
        char a[32], b[32];
        snprintf(r.subtitle, sizeof r.subtitle, "%s to %s (%zu bars), %llu configurations%s%.300s",
                 rb_time_format(m->start, a), rb_time_format(m->end, b), m->bars,
                 (unsigned long long)sum.configurations, in.scenario_text[0] ? ", compared at " : "",
                 in.scenario_text);
        rc = frontier(&s, &r, secs, nsecs, err);
    }
    /* In the best family's section first. */
    if (rc == RB_OK) rc = rb_src_heatmap(&s, &r, secs, nsecs, in.best[0].section, o.heatmap, err);
    if (rc == RB_OK) rc = rb_report_table_init(&r.top, err);
    if (rc == RB_OK) rc = rb_report_table_anchors(&r, err);
    table_ctx tc = {&r.top};
    for (size_t k = 0; rc == RB_OK && k < nsecs; k++) rc = best_rows(&s, secs[k], o.top, table_one, &tc, err);
    if (rc == RB_OK) rc = rb_report_complete(&r, &in, &o, dir, &sum, err);
    if (rc == RB_OK && out) *out = sum;
    for (size_t k = 0; k < best.n; k++) rb_report_cfg_free(&best.list[k]);
    free(best.list);
    for (size_t k = 0; k < nsecs; k++) free(secs[k]);
    free(secs);
    rb_report_release(&r);
    rb_report_input_free(&in);
    rb_sweep_free(sweep);
    free(spec);
    source_free(&s);
    return rc;
}
