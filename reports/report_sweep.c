/* report_sweep.c - the report of a sweep in a results store (rebal.h: rb_report_sweep):
 * summary.csv of the runs that ran (failed.csv of those that failed), the best configuration
 * of each family in the scenario, the page's table and the frontier's points, all read
 * through the results reader (report_source.h); the heatmap is report_heatmap.c's, the
 * replays and files the builder's (report_build.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv_write.h"
#include "dataset_hash.h"
#include "error.h"
#include "report_files.h"
#include "report_heatmap.h"
#include "report_internal.h"
#include "report_levels.h"
#include "report_oos.h"
#include "report_resample.h"
#include "report_source.h"
#include "resolve.h"
#include "sweep.h"
#include "sweep_inputs.h"
#include "alloc.h"

/* Frontier points beyond this are sampled (every k-th by config id): gnuplot draws 20,000
 * points in a blink, a million in minutes. */
#define FRONTIER_MAX 20000

typedef rb_status (*cfg_fn)(void *ctx, rb_report_cfg *c, rb_error *err);

typedef struct each_cfg {
    const source *s;
    cfg_fn fn;
    void *ctx;
} each_cfg;

static rb_status as_cfg(void *ctx, const rb_results_run *run, rb_error *err)
{
    each_cfg *e = ctx;
    rb_report_cfg c;
    rb_status rc = rb_src_cfg(e->s, run, &c, err);
    return rc == RB_OK ? e->fn(e->ctx, &c, err) : rc;
}

/* The best row (or the top n rows) of a section under the scenario (section NULL: of the
 * whole sweep); calls back for each (which owns the configuration). */
static rb_status best_rows(source *s, const char *section, size_t n, cfg_fn each, void *ctx, rb_error *err)
{
    rb_results_query q = rb_src_query(s, -1, -1);
    q.section = section;
    q.by = s->metric;
    q.limit = n;
    each_cfg e = {s, each, ctx};
    return rb_results_reader_each(s->reader, &q, as_cfg, &e, err);
}

/* ---------------------------------------------------------------- summary.csv, failed.csv */

typedef struct csv_ctx {
    const source *s;
    FILE *f;
    uint64_t rows;
} csv_ctx;

/* One row: config_id, section, strategy, the parameters, then the metrics or the error. */
static rb_status csv_row(void *ctx, const rb_results_run *run, rb_error *err)
{
    (void)err;
    csv_ctx *c = ctx;
    const rb_results_columns *cols = c->s->cols;
    fprintf(c->f, "%lld", (long long)run->config_id);
    const char *fixed[] = {run->section, run->strategy};
    for (size_t k = 0; k < 2; k++) {
        putc(',', c->f);
        if (fixed[k]) rb_csv_safe_text(c->f, fixed[k]);
    }
    for (size_t k = 0; k < cols->n; k++) {
        if (cols->col[k].kind != RB_RCOL_PARAM) continue;
        putc(',', c->f);
        if (run->text[k]) rb_csv_safe_text(c->f, run->text[k]);
    }
    if (run->error) {
        putc(',', c->f);
        rb_csv_safe_text(c->f, run->error);
    }
    for (size_t k = 0; !run->error && k < cols->n; k++) {
        if (cols->col[k].kind != RB_RCOL_METRIC) continue;
        putc(',', c->f);
        rb_csv_number(c->f, run->number[k]);
    }
    fputs("\r\n", c->f);
    c->rows++;
    return RB_OK;
}

/* name: the runs of q (summary.csv: those that ran, with their metrics, by family and
 * ranking; failed.csv: those that failed, with their error). */
static rb_status write_runs(const source *s, rb_report *r, const char *dir, const char *name,
                            const rb_results_query *q, uint64_t *rows, rb_error *err)
{
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    const rb_results_columns *cols = s->cols;
    fputs("config_id,section,strategy", f);
    for (size_t k = 0; k < cols->n; k++) {
        if (cols->col[k].kind != RB_RCOL_PARAM) continue;
        putc(',', f);
        rb_csv_text(f, cols->col[k].name);
    }
    if (q->status == RB_RUNS_FAILED) fputs(",error", f);
    for (size_t k = 0; q->status != RB_RUNS_FAILED && k < cols->n; k++) {
        if (cols->col[k].kind != RB_RCOL_METRIC) continue;
        putc(',', f);
        rb_csv_text(f, cols->col[k].name);
    }
    fputs("\r\n", f);
    csv_ctx c = {s, f, 0};
    rb_status rc = rb_results_reader_each(s->reader, q, csv_row, &c, err);
    rc = rb_report_close(f, dir, name, rc, err);
    if (rc == RB_OK) rc = rb_report_add_file(r, name, err);
    if (rc == RB_OK) *rows = c.rows;
    return rc;
}

static rb_status write_summary(const source *s, rb_report *r, const char *dir, uint64_t *rows, rb_error *err)
{
    rb_results_query q = {.sweep_id = s->sweep.id, .status = RB_RUNS_OK, .by = s->metric, .section_first = 1};
    rb_status rc = write_runs(s, r, dir, "summary.csv", &q, rows, err);
    uint64_t failed;
    q = (rb_results_query){.sweep_id = s->sweep.id, .status = RB_RUNS_FAILED};
    if (rc == RB_OK && s->sweep.failed) rc = write_runs(s, r, dir, "failed.csv", &q, &failed, err);
    return rc;
}

/* ---------------------------------------------------------------- the scenario */

/* Fixes the columns named in "KEY=VALUE;KEY=VALUE". */
static rb_status parse_scenario(source *s, const char *text, rb_error *err)
{
    char *copy = rb_strdup(text);
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
        if (!(s->fixed[c] = rb_strdup(value))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        s->is_fixed[c] = 1;
    }
    free(copy);
    return rc;
}

typedef struct distinct_count {
    size_t n;
} distinct_count;

static rb_status count_one(void *ctx, const char *text, double number, rb_error *err)
{
    (void)text, (void)number, (void)err;
    ((distinct_count *)ctx)->n++;
    return RB_OK;
}

/* 1 when the column holds more than one value (NULL counts as one) among the runs. */
static int varies(const source *s, int c)
{
    distinct_count d = {0};
    rb_results_query q = {.sweep_id = s->sweep.id, .status = RB_RUNS_OK};
    rb_error ignored;
    return rb_results_reader_distinct(s->reader, &q, (size_t)c, count_one, &d, &ignored) == RB_OK && d.n > 1;
}

/* Fixes every scenario column to the best row's value; text gets the settings the sweep
 * varies ("fee-bps=10"), all gets every one. */
static rb_status fix_to(source *s, const rb_report_cfg *best, char *text, size_t len, char *all, size_t alen,
                        rb_error *err)
{
    text[0] = all[0] = '\0';
    size_t o = 0, a = 0;
    for (size_t c = 0; c < s->cols->n; c++) {
        const char *key = s->cols->col[c].key;
        if (s->cols->col[c].kind != RB_RCOL_PARAM || !rb_is_scenario_key(key)) continue;
        const char *v = rb_kvlist_get(&best->params, key);
        free(s->fixed[c]);
        s->fixed[c] = NULL;
        if (v && !(s->fixed[c] = rb_strdup(v))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        s->is_fixed[c] = 1;
        if (!v) continue;
        if (a < alen) a += (size_t)snprintf(all + a, alen - a, "  %s = %s\n", key, v);
        if (o < len && varies(s, (int)c)) o += (size_t)snprintf(text + o, len - o, "%s%s=%s", o ? ", " : "", key, v);
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
        rb_report_cfg *l = rb_realloc(col->list, cap * sizeof *l);
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

typedef struct section_list {
    char **list;
    size_t n;
} section_list;

static rb_status add_section(void *ctx, const char *text, double number, rb_error *err)
{
    (void)number;
    section_list *l = ctx;
    char **grown = rb_realloc(l->list, (l->n + 1) * sizeof *grown);
    if (!grown) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    l->list = grown;
    if (!(l->list[l->n] = rb_strdup(text ? text : ""))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    l->n++;
    return RB_OK;
}

static int cmp_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The families (sections) of the runs that ran, sorted. */
static rb_status sections(const source *s, char ***out, size_t *n, rb_error *err)
{
    section_list l = {0};
    rb_results_query q = {.sweep_id = s->sweep.id, .status = RB_RUNS_OK};
    rb_status rc = rb_results_reader_distinct(s->reader, &q, (size_t)s->cols->base[RB_RCOL_SECTION], add_section, &l,
                                              err);
    if (l.n) qsort(l.list, l.n, sizeof *l.list, cmp_text);
    *out = l.list;
    *n = l.n;
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

typedef struct frontier_ctx {
    const source *s;
    rb_report_frontier *f;
    char **secs;
    size_t nsecs, cap, row, stride;
    int use_cost;
    double *cost, *turn; /* costs decide the axis only after the rows are read: both kept */
} frontier_ctx;

static double zero_if_nan(double v) { return isnan(v) ? 0 : v; }

static rb_status frontier_point(void *ctx, const rb_results_run *run, rb_error *err)
{
    (void)err;
    frontier_ctx *fc = ctx;
    rb_report_frontier *f = fc->f;
    const rb_metrics *m = &run->metrics;
    double c = zero_if_nan(m->fees_paid + m->slippage_paid + m->gas_paid);
    if (c > 0) fc->use_cost = 1;
    if (fc->row++ % fc->stride == 0 && f->npoints < fc->cap) {
        size_t k = 0;
        while (k < fc->nsecs && strcmp(fc->secs[k], run->section ? run->section : "") != 0) k++;
        size_t i = f->npoints++;
        f->family[i] = k < fc->nsecs ? k : 0;
        f->x[i] = 100 * zero_if_nan(m->tracking_error);
        fc->cost[i] = c;
        fc->turn[i] = 100 * zero_if_nan(m->turnover);
    }
    return RB_OK;
}

static rb_status frontier(source *s, rb_report *r, char **secs, size_t nsecs, rb_error *err)
{
    rb_report_frontier *f = &r->frontier;
    /* Buy-and-hold is one of the two marked ends. */
    rb_results_query q = rb_src_query(s, -1, -1);
    q.strategy = "buy-and-hold";
    q.not_strategy = 1;
    uint64_t total = 0;
    rb_status rc = rb_results_reader_count(s->reader, &q, &total, err);
    if (rc != RB_OK) return rc;
    frontier_ctx fc = {.s = s, .f = f, .secs = secs, .nsecs = nsecs, .stride = 1};
    f->families = rb_calloc(nsecs ? nsecs : 1, sizeof *f->families);
    if (!f->families) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < nsecs; k++) snprintf(f->families[k], sizeof f->families[k], "%s", secs[k]);
    f->nfamilies = nsecs;
    if (total) {
        f->sampled_from = total;
        fc.stride = total > FRONTIER_MAX ? (size_t)((total + FRONTIER_MAX - 1) / FRONTIER_MAX) : 1;
        fc.cap = (size_t)(total / fc.stride + 1);
        f->family = rb_malloc(fc.cap * sizeof *f->family);
        f->x = rb_malloc(fc.cap * sizeof *f->x);
        fc.cost = rb_malloc(fc.cap * sizeof *fc.cost);
        fc.turn = rb_malloc(fc.cap * sizeof *fc.turn);
        if (!f->family || !f->x || !fc.cost || !fc.turn) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        if (rc == RB_OK) rc = rb_results_reader_each(s->reader, &q, frontier_point, &fc, err);
    }
    if (rc == RB_OK) {
        rb_report_frontier_axes(r, fc.use_cost);
        f->y = fc.use_cost ? fc.cost : fc.turn;
        free(fc.use_cost ? fc.turn : fc.cost);
    } else {
        free(fc.cost);
        free(fc.turn);
    }
    return rc;
}

/* ---------------------------------------------------------------- the report */

/* The sweep's specification (*spec, malloc'ed) and the lines about it for conventions.txt. */
static rb_status about_sweep(const source *s, char **spec, char *about_head, size_t len, rb_error *err)
{
    const rb_results_sweep *w = &s->sweep;
    if (!(*spec = rb_strdup(w->spec ? w->spec : ""))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    int n = snprintf(about_head, len,
                     "Sweep\n  results store: %s\n  sweep %lld: %lld configurations, status %s, started %s, finished %s\n"
                     "  rebal %s; dataset hash %s (checked against the prices the report replays)\n",
                     s->path, (long long)w->id, (long long)w->configurations, w->status[0] ? w->status : "?",
                     w->started_at[0] ? w->started_at : "?", w->finished_at[0] ? w->finished_at : "-",
                     w->code_version[0] ? w->code_version : "?", w->dataset_hash);
    if (w->failed && n >= 0 && (size_t)n < len)
        snprintf(about_head + n, len - (size_t)n,
                 "  %lld configurations failed (failed.csv lists them with their messages); the report ranks the "
                 "others\n",
                 (long long)w->failed);
    return RB_OK;
}

/* A "v3-" hash covers the files and series the sweep's values name too: those the report's
 * replays read must be what the sweep read, or the curves and trades it shows would be of
 * other runs than the stored rows. */
static rb_status check_inputs(rb_store *prices, const rb_sweep *sweep, const rb_matrix *m, const char *hash,
                              const source *s, rb_error *err)
{
    if (strncmp(hash, "v3-", 3) != 0) return RB_OK;
    uint64_t inputs = 0;
    int any = 0;
    rb_status rc = rb_sweep_inputs_digest(prices, sweep, m, &inputs, &any, err);
    char now[RB_DATASET_HASH_SIZE];
    rb_dataset_hash_inputs(m, inputs, now);
    if (rc != RB_OK || strcmp(now, hash) == 0) return rc;
    char named[512];
    rb_sweep_inputs_named(sweep, 0, named, sizeof named);
    return rb_fail(err, RB_ERR_DATA,
                   "%s: sweep %lld read other files or series than these (%s): they changed since it ran, so its "
                   "best runs cannot be replayed as they were; run the sweep again",
                   s->path, (long long)s->sweep.id, named);
}

static rb_status check_dataset(rb_store *prices, const rb_kvlist *data, const rb_sweep *sweep, const char *hash,
                               const source *s, rb_error *err)
{
    rb_run_spec *spec = NULL;
    rb_matrix *m = NULL;
    rb_status rc = rb_run_spec_new(&spec, err);
    for (size_t i = 0; rc == RB_OK && i < data->n; i++) rc = rb_run_spec_set(spec, data->key[i], data->value[i], err);
    if (rc == RB_OK) rc = rb_resolve_matrix(prices, spec, &m, err);
    if (rc == RB_OK && !rb_dataset_hash_matches(m, hash)) {
        char now[RB_DATASET_HASH_SIZE];
        if (rb_dataset_hash_is_legacy(hash)) rb_dataset_hash_legacy(m, now);
        else rb_dataset_hash(m, now);
        rc = rb_fail(err, RB_ERR_DATA,
                     "%s: sweep %lld ran on other prices than these (dataset hash %s, now %s): pass the price "
                     "store it ran on with --db",
                     s->path, (long long)s->sweep.id, hash, now);
    }
    if (rc == RB_OK) rc = check_inputs(prices, sweep, m, hash, s, err);
    rb_matrix_free(m);
    rb_run_spec_free(spec);
    return rc;
}

typedef struct one_cfg {
    const source *s;
    rb_report_cfg *c;
    char why[512]; /* a failed run's message */
    int found;
} one_cfg;

static rb_status take_cfg(void *ctx, const rb_results_run *run, rb_error *err)
{
    one_cfg *o = ctx;
    o->found = 1;
    if (run->error) {
        snprintf(o->why, sizeof o->why, "%s", run->error);
        return RB_OK;
    }
    return rb_src_cfg(o->s, run, o->c, err);
}

/* The configuration with the given id, for chart 3. */
static rb_status weights_row(const source *s, int64_t id, rb_report_cfg **out, rb_error *err)
{
    rb_report_cfg *c = rb_calloc(1, sizeof *c);
    if (!c) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    one_cfg o = {.s = s, .c = c};
    rb_results_query q = {.sweep_id = s->sweep.id, .status = RB_RUNS_ANY, .has_config_id = 1, .config_id = id};
    rb_status rc = rb_results_reader_each(s->reader, &q, take_cfg, &o, err);
    if (rc == RB_OK && !o.found)
        rc = rb_fail(err, RB_ERR_USAGE, "--weights: sweep %lld has no configuration %lld", (long long)s->sweep.id,
                     (long long)id);
    else if (rc == RB_OK && o.why[0])
        rc = rb_fail(err, RB_ERR_USAGE, "--weights: configuration %lld failed (%s)", (long long)id, o.why);
    if (rc != RB_OK) {
        rb_report_cfg_free(c);
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

/* The sweep and its dataset: the specification (*spec), the lines about the sweep (head),
 * the [data] settings (in->data), checked against the prices. */
static rb_status open_sweep(source *s, rb_store *prices, int64_t want, rb_sweep **sweep, char **spec, char *head,
                            size_t hlen, rb_report_input *in, rb_error *err)
{
    rb_status rc = rb_src_open(s, s->path, want, err);
    if (rc == RB_OK) rc = about_sweep(s, spec, head, hlen, err);
    if (rc == RB_OK) {
        /* Read as it was from its file: the [venues] paths relative to the file's path. */
        char name[64];
        snprintf(name, sizeof name, "sweep %lld", (long long)s->sweep.id);
        if (s->sweep.spec_path) {
            rc = rb_sweep_parse_text_at(*spec, s->sweep.spec_path, sweep, err);
            if (rc != RB_OK) rb_error_prefix(err, "%s: %s", s->path, name);
        } else {
            rc = rb_sweep_parse_text(*spec, name, sweep, err);
            if (rc != RB_OK) rb_error_prefix(err, "%s", s->path);
        }
    }
    if (rc == RB_OK) {
        const rb_sweep_kv *data;
        size_t nd = rb_sweep_data(*sweep, &data);
        for (size_t i = 0; rc == RB_OK && i < nd; i++) rc = rb_kvlist_add(&in->data, data[i].key, data[i].value, err);
    }
    if (rc == RB_OK && s->sweep.spec_path && !(in->spec_path = rb_strdup(s->sweep.spec_path)))
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (rc == RB_OK) rc = check_dataset(prices, &in->data, *sweep, s->sweep.dataset_hash, s, err);
    return rc;
}

/* The numbers a parameter column takes among a family's runs: the count, the least and the
 * greatest (text that is not a number is not counted). */
typedef struct grid_span {
    size_t n;
    double lo, hi;
} grid_span;

static rb_status span_one(void *ctx, const char *text, double number, rb_error *err)
{
    (void)text, (void)err;
    grid_span *g = ctx;
    if (isnan(number)) return RB_OK;
    if (g->n == 0 || number < g->lo) g->lo = number;
    if (g->n == 0 || number > g->hi) g->hi = number;
    g->n++;
    return RB_OK;
}

/* best->edge: the first numeric strategy parameter swept over 3 or more values in its family
 * whose best value is the least or the greatest of them (the optimum may lie beyond). Costs
 * and other scenario settings are not a grid to widen. */
static rb_status find_edge(const source *s, rb_report_cfg *best, rb_error *err)
{
    best->edge[0] = '\0';
    for (size_t c = 0; c < s->cols->n && !best->edge[0]; c++) {
        const rb_results_column *col = &s->cols->col[c];
        if (col->kind != RB_RCOL_PARAM || !col->real || rb_is_scenario_key(col->key)) continue;
        const char *v = rb_kvlist_get(&best->params, col->key);
        double x;
        if (!v || !rb_results_number_text(v, col->fraction, &x)) continue;
        grid_span g = {0};
        rb_results_query q = {.sweep_id = s->sweep.id, .status = RB_RUNS_OK, .section = best->section};
        rb_status rc = rb_results_reader_distinct(s->reader, &q, c, span_one, &g, err);
        if (rc != RB_OK) return rc;
        if (g.n >= 3 && (x == g.lo || x == g.hi))
            snprintf(best->edge, sizeof best->edge, "%s = %s, the %s swept", col->key, v,
                     x == g.hi ? "largest" : "smallest");
    }
    return RB_OK;
}

/* The scenario (the best configuration in it fixes the rest of it), the families and the
 * best of each, best first (in->best); all gets the scenario's settings. */
static rb_status choose_best(source *s, const rb_report_options *o, rb_report_input *in, char *all, size_t alen,
                             char ***secs, size_t *nsecs, rb_error *err)
{
    collect best = {0};
    rb_status rc = o->scenario ? parse_scenario(s, o->scenario, err) : RB_OK;
    if (rc == RB_OK) rc = best_rows(s, NULL, 1, collect_one, &best, err);
    if (rc == RB_OK && best.n == 0)
        rc = rb_fail(err, RB_ERR_NOT_FOUND, "%s: sweep %lld has no run%s", s->path, (long long)s->sweep.id,
                     o->scenario ? " in that scenario" : s->sweep.failed ? " that ran (every one failed)" : "");
    if (rc == RB_OK) rc = fix_to(s, &best.list[0], in->scenario_text, sizeof in->scenario_text, all, alen, err);
    if (rc == RB_OK) rc = sections(s, secs, nsecs, err);
    for (size_t k = 0; k < best.n; k++) rb_report_cfg_free(&best.list[k]);
    best.n = 0;
    for (size_t k = 0; rc == RB_OK && k < *nsecs; k++) rc = best_rows(s, (*secs)[k], 1, collect_one, &best, err);
    /* The families' best, best first; buy-and-hold sections are the anchor already. */
    if (rc == RB_OK) {
        size_t w = 0;
        for (size_t k = 0; k < best.n; k++) {
            if (strcmp(best.list[k].strategy, "buy-and-hold") == 0) rb_report_cfg_free(&best.list[k]);
            else best.list[w++] = best.list[k];
        }
        best.n = w;
        qsort_r(best.list, best.n, sizeof *best.list, cmp_best, s);
        if (best.n == 0)
            rc = rb_fail(err, RB_ERR_DATA, "%s: sweep %lld has only buy-and-hold runs: nothing to compare", s->path,
                         (long long)s->sweep.id);
    }
    for (size_t k = 0; rc == RB_OK && k < best.n; k++) rc = find_edge(s, &best.list[k], err);
    if (rc != RB_OK) {
        for (size_t k = 0; k < best.n; k++) rb_report_cfg_free(&best.list[k]);
        free(best.list);
        return rc;
    }
    in->best = best.list;
    in->nbest = best.n;
    return RB_OK;
}

/* The charts' subtitle: the data range, the configurations (and how many failed), the scenario. */
static void subtitle(const source *s, rb_report *r, const rb_report_input *in)
{
    const rb_metrics *m = &r->series[0].metrics;
    char a[32], b[32], failed[64] = "";
    if (s->sweep.failed) snprintf(failed, sizeof failed, ", %lld failed", (long long)s->sweep.failed);
    snprintf(r->subtitle, sizeof r->subtitle, "%s to %s (%zu bars), %lld configurations%s%s%.300s",
             rb_time_format(m->start, a), rb_time_format(m->end, b), m->bars, (long long)s->sweep.stored, failed,
             in->scenario_text[0] ? ", compared at " : "", in->scenario_text);
    snprintf(r->dates, sizeof r->dates, "%s to %s (%zu bars)", a, b, m->bars);
    snprintf(r->scenario, sizeof r->scenario, "%.300s", in->scenario_text);
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
    char *spec = NULL, head[1024] = "", all[1024] = "";
    char **secs = NULL;
    size_t nsecs = 0;
    rb_report_summary sum = {0};
    rb_status rc = open_sweep(&s, prices, o.sweep_id, &sweep, &spec, head, sizeof head, &in, err);
    if (rc == RB_OK) rc = rb_report_make_dir(dir, err);
    if (rc == RB_OK) rc = write_summary(&s, &r, dir, &sum.configurations, err);
    if (rc == RB_OK) rc = choose_best(&s, &o, &in, all, sizeof all, &secs, &nsecs, err);
    if (rc == RB_OK) {
        size_t tl = strlen(head) + strlen(all) + strlen(spec) + 256;
        if (!(in.about = rb_malloc(tl))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        else snprintf(in.about, tl, "Cost, tax and flow settings of the comparisons\n%s\n%s\nThe sweep specification as run\n%s%s",
                      all[0] ? all : "  (the defaults)\n", head, spec, spec[0] && spec[strlen(spec) - 1] == '\n' ? "" : "\n");
    }
    /* Chart 3 of a configuration that is not a family's best: read it by id. */
    int weights_known = !o.weights_id;
    for (size_t k = 0; rc == RB_OK && k < in.nbest; k++) weights_known |= in.best[k].id == o.weights_id;
    if (rc == RB_OK && !weights_known) rc = weights_row(&s, o.weights_id, &in.weights, err);
    if (rc == RB_OK) {
        const char *assets = rb_kvlist_get(&in.data, "assets");
        if (o.title) snprintf(r.title, sizeof r.title, "%s", o.title);
        else snprintf(r.title, sizeof r.title, "rebal sweep report: %.200s", assets ? assets : "");
        snprintf(r.metric, sizeof r.metric, "%s", o.by);
        rc = rb_report_build(prices, &in, &o, dir, &r, err);
    }
    if (rc == RB_OK) {
        subtitle(&s, &r, &in);
        snprintf(r.sweep_status, sizeof r.sweep_status, "%s", s.sweep.status);
        r.sweep_stored = s.sweep.stored;
        r.sweep_planned = s.sweep.configurations;
        rc = frontier(&s, &r, secs, nsecs, err);
    }
    if (rc == RB_OK) rc = rb_report_levels(&s, &r, err);
    /* In the best family's section first. */
    if (rc == RB_OK) rc = rb_src_heatmap(&s, &r, secs, nsecs, in.best[0].section, o.heatmap, err);
    if (rc == RB_OK) rc = rb_report_table_init(&r.top, err);
    if (rc == RB_OK) rc = rb_report_table_anchors(&r, err);
    table_ctx tc = {&r.top};
    for (size_t k = 0; rc == RB_OK && k < nsecs; k++) rc = best_rows(&s, secs[k], o.top, table_one, &tc, err);
    if (rc == RB_OK) rc = rb_report_oos(s.reader, s.sweep.id, &r, dir, o.no_charts, &sum, err);
    if (rc == RB_OK) rc = rb_report_resampled(prices, &s, &in.data, &r, dir, o.no_charts, &sum, err);
    if (rc == RB_OK) rc = rb_report_complete(&r, &in, &o, dir, &sum, err);
    sum.failed_configurations = (uint64_t)s.sweep.failed;
    if (rc == RB_OK && out) *out = sum;
    for (size_t k = 0; k < nsecs; k++) free(secs[k]);
    free(secs);
    rb_report_release(&r);
    rb_report_input_free(&in);
    rb_sweep_free(sweep);
    free(spec);
    rb_src_close(&s);
    return rc;
}
