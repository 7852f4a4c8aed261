/* report_resample.c - a sweep's resampled histories in its report (report_resample.h): the
 * distributions as CSV, the families' chances of beating buy-and-hold, and the fans of
 * buy-and-hold and the three rules with the highest median final value, each replayed by the
 * reference simulator on every history (up to RB_REPORT_FAN_HISTORIES) for its value at every
 * bar. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "csv_write.h"
#include "error.h"
#include "gnuplot.h"
#include "report_files.h"
#include "report_finish.h"
#include "report_resample.h"
#include "resolve.h"
#include "results/resample_store.h"
#include "run_result.h"

void rb_report_resample_free(rb_report_resample *x)
{
    if (!x) return;
    for (size_t k = 0; k < x->nfan; k++) free(x->fan[k].q);
    free(x->beat);
    free(x->time);
    free(x);
}

/* ---------------------------------------------------------------- the runs' families */

typedef struct family_ctx {
    const rb_resample_stat *rows;
    size_t n;
    char (*family)[64]; /* per row */
    unsigned char *hold; /* per row: 1 for a buy-and-hold configuration */
} family_ctx;

static int cmp_row_id(const void *key, const void *row)
{
    int64_t a = *(const int64_t *)key, b = ((const rb_resample_stat *)row)->config_id;
    return (a > b) - (a < b);
}

static rb_status take_family(void *ctx, const rb_results_run *run, rb_error *err)
{
    (void)err;
    family_ctx *fc = ctx;
    const rb_resample_stat *hit = bsearch(&run->config_id, fc->rows, fc->n, sizeof *fc->rows, cmp_row_id);
    if (hit) {
        snprintf(fc->family[hit - fc->rows], 64, "%s", run->section ? run->section : "");
        fc->hold[hit - fc->rows] = run->strategy && strcmp(run->strategy, "buy-and-hold") == 0;
    }
    return RB_OK;
}

/* Every family's chances, in the order of their first configuration; hold[i] (n) says which
 * rows are buy-and-hold configurations. */
static rb_status build_beat(source *s, rb_report_resample *x, const rb_resample_stat *rows, size_t n,
                            unsigned char *hold, rb_error *err)
{
    family_ctx fc = {.rows = rows, .n = n, .family = rb_calloc(n ? n : 1, 64), .hold = hold};
    x->beat = rb_calloc(n ? n : 1, sizeof *x->beat);
    if (!fc.family || !x->beat) {
        free(fc.family);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    rb_results_query q = {.sweep_id = s->sweep.id, .status = RB_RUNS_ANY};
    rb_status rc = rb_results_reader_each(s->reader, &q, take_family, &fc, err);
    for (size_t i = 0; i < n && rc == RB_OK; i++) {
        if (!fc.family[i][0] || isnan(rows[i].p_beat)) continue;
        size_t f = 0;
        while (f < x->nbeat && strcmp(x->beat[f].family, fc.family[i]) != 0) f++;
        rb_report_beat *b = &x->beat[f];
        if (f == x->nbeat) {
            x->nbeat++;
            snprintf(b->family, sizeof b->family, "%s", fc.family[i]);
            b->best_p_beat = -1;
        }
        b->configurations++;
        b->mean_p_beat += rows[i].p_beat;
        if (rows[i].p_beat > b->best_p_beat) {
            b->best_p_beat = rows[i].p_beat;
            b->best_id = rows[i].config_id;
            b->best_median = rows[i].median;
        }
    }
    for (size_t f = 0; f < x->nbeat; f++) x->beat[f].mean_p_beat /= (double)x->beat[f].configurations;
    free(fc.family);
    return rc;
}

/* ---------------------------------------------------------------- the fans */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The rules (not buy-and-hold) with the highest median final value, best first (ties: the
 * lower id). */
static size_t pick_best(const rb_resample_stat *rows, size_t n, const unsigned char *hold, size_t want, size_t *pick)
{
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(rows[i].median) || hold[i]) continue;
        size_t at = got < want ? got++ : want;
        while (at > 0 && rows[pick[at - 1]].median < rows[i].median) {
            if (at < want) pick[at] = pick[at - 1];
            at--;
        }
        if (at < want) pick[at] = i;
    }
    return got;
}

typedef struct cfg_ctx {
    source *s;
    rb_report_cfg cfg;
    int found;
} cfg_ctx;

static rb_status take_cfg(void *ctx, const rb_results_run *run, rb_error *err)
{
    cfg_ctx *c = ctx;
    c->found = 1;
    return rb_src_cfg(c->s, run, &c->cfg, err);
}

/* "section key=value ...": every setting of the configuration, costs included (the fans of
 * two fee tiers of one rule must not read alike). */
static void full_label(const rb_report_cfg *c, char *out, size_t len)
{
    size_t o = (size_t)snprintf(out, len, "%s", c->section);
    for (size_t i = 0; i < c->params.n && o < len; i++) {
        if (strcmp(c->params.key[i], "strategy") == 0) continue;
        int w = snprintf(out + o, len - o, " %s=%s", c->params.key[i], c->params.value[i]);
        if (w < 0) break;
        o += (size_t)w;
    }
}

/* A run spec: the [data] settings, then params (NULL: buy-and-hold, as the resample's). */
static rb_status spec_of(const source *s, const rb_kvlist *data, const rb_kvlist *params, rb_run_spec **out,
                         rb_error *err)
{
    rb_run_spec *spec = NULL;
    rb_status rc = rb_run_spec_new(&spec, err);
    for (size_t i = 0; rc == RB_OK && i < data->n; i++) rc = rb_run_spec_set(spec, data->key[i], data->value[i], err);
    for (size_t i = 0; rc == RB_OK && params && i < params->n; i++)
        rc = rb_report_spec_set(spec, s->sweep.spec_path, params->key[i], params->value[i], err);
    if (rc == RB_OK && !params) rc = rb_run_spec_set(spec, "strategy", "buy-and-hold", err);
    if (rc != RB_OK) {
        rb_run_spec_free(spec);
        return rc;
    }
    *out = spec;
    return RB_OK;
}

/* The fan of spec over the first H histories of m: vals (H*T) as scratch, col (H). */
static rb_status fan_of(rb_store *prices, const rb_matrix *m, const rb_resample_spec *rs, size_t H,
                        const rb_run_spec *spec, double *vals, double *col, rb_report_fan *fan, rb_error *err)
{
    const size_t T = m->T;
    rb_status rc = RB_OK;
    for (size_t h = 0; h < H && rc == RB_OK; h++) {
        rb_matrix *hist = NULL;
        rb_run_result *res = NULL;
        rc = rb_resample_history(m, rs, h, &hist, err);
        rb_status run = rc == RB_OK ? rb_run_matrix(prices, hist, spec, 0, &res, err) : rc;
        for (size_t t = 0; t < T; t++) /* a run that fails (overflow) or ends early: NaN, left out */
            vals[h * T + t] = run == RB_OK && t < res->sim.T ? res->sim.value[t] : NAN;
        if (run != RB_OK && run != RB_ERR_DATA) rc = run;
        rb_run_result_free(res);
        rb_matrix_free(hist);
    }
    fan->T = T;
    if (rc == RB_OK && !(fan->q = rb_malloc(T * 5 * sizeof *fan->q))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    static const double qs[5] = {0.05, 0.25, 0.5, 0.75, 0.95};
    for (size_t t = 0; t < T && rc == RB_OK; t++) {
        size_t n = 0;
        for (size_t h = 0; h < H; h++)
            if (!isnan(vals[h * T + t])) col[n++] = vals[h * T + t];
        qsort(col, n, sizeof *col, cmp_double);
        for (int k = 0; k < 5; k++) {
            if (n == 0) {
                fan->q[t * 5 + k] = NAN;
                continue;
            }
            double pos = qs[k] * (double)(n - 1), lo = floor(pos);
            size_t i = (size_t)lo;
            fan->q[t * 5 + k] = i + 1 < n ? col[i] + (pos - lo) * (col[i + 1] - col[i]) : col[n - 1];
        }
    }
    return rc;
}

/* Buy-and-hold's fan, then the best rules'. */
static rb_status build_fans(rb_store *prices, source *s, const rb_kvlist *data, rb_report_resample *x,
                            const rb_resample_stat *rows, size_t n, const unsigned char *hold, rb_error *err)
{
    rb_run_spec *spec = NULL;
    rb_matrix *m = NULL;
    rb_status rc = spec_of(s, data, NULL, &spec, err);
    if (rc == RB_OK) rc = rb_resolve_matrix(prices, spec, &m, err);
    size_t H = x->info.spec.histories < RB_REPORT_FAN_HISTORIES ? (size_t)x->info.spec.histories : RB_REPORT_FAN_HISTORIES;
    x->fan_histories = H;
    double *vals = NULL, *col = NULL;
    if (rc == RB_OK) {
        x->T = m->T;
        vals = rb_malloc(H * m->T * sizeof *vals);
        col = rb_malloc(H * sizeof *col);
        x->time = rb_malloc(m->T * sizeof *x->time);
        if (!vals || !col || !x->time) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory for the fan chart");
        else memcpy(x->time, m->time, m->T * sizeof *x->time);
    }
    if (rc == RB_OK) {
        rb_report_fan *f = &x->fan[x->nfan++];
        snprintf(f->label, sizeof f->label, "buy-and-hold (no costs)");
        f->median = x->info.benchmark.median;
        f->p_beat = NAN;
        rc = fan_of(prices, m, &x->info.spec, H, spec, vals, col, f, err);
    }
    rb_run_spec_free(spec);
    spec = NULL;
    size_t pick[RB_REPORT_FAN_MAX - 1];
    size_t npick = rc == RB_OK ? pick_best(rows, n, hold, RB_REPORT_FAN_MAX - 1, pick) : 0;
    for (size_t k = 0; k < npick && rc == RB_OK; k++) {
        cfg_ctx c = {.s = s};
        rb_results_query q = {.sweep_id = s->sweep.id, .has_config_id = 1, .config_id = rows[pick[k]].config_id};
        rc = rb_results_reader_each(s->reader, &q, take_cfg, &c, err);
        if (rc == RB_OK && !c.found) continue; /* not an ok run of the sweep */
        rb_report_fan *f = &x->fan[x->nfan++];
        f->config_id = rows[pick[k]].config_id;
        f->median = rows[pick[k]].median;
        f->p_beat = rows[pick[k]].p_beat;
        if (rc == RB_OK) full_label(&c.cfg, f->label, sizeof f->label);
        if (rc == RB_OK) rc = spec_of(s, data, &c.cfg.params, &spec, err);
        if (rc == RB_OK) rc = fan_of(prices, m, &x->info.spec, H, spec, vals, col, f, err);
        rb_run_spec_free(spec);
        spec = NULL;
        rb_report_cfg_free(&c.cfg);
    }
    free(vals);
    free(col);
    rb_matrix_free(m);
    return rc;
}

/* ---------------------------------------------------------------- files */

static void put_num(FILE *f, double x)
{
    fputc(',', f);
    rb_csv_number(f, x);
}

static rb_status write_rows(rb_report *r, const char *dir, const rb_resample_stat *rows, size_t n, rb_error *err)
{
    const char *name = "resample.csv";
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    fputs("config_id,histories,mean,median,p05,p95,excess_mean,excess_median,excess_p05,excess_p95,p_beat\n", f);
    for (size_t i = 0; i < n; i++) {
        const rb_resample_stat *s = &rows[i];
        fprintf(f, "%lld,%llu", (long long)s->config_id, (unsigned long long)s->histories);
        const double v[] = {s->mean, s->median, s->p05, s->p95, s->excess_mean, s->excess_median,
                            s->excess_p05, s->excess_p95, s->p_beat};
        for (int k = 0; k < 9; k++) put_num(f, v[k]);
        fputc('\n', f);
    }
    rb_status rc = rb_report_close(f, dir, name, RB_OK, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

static rb_status write_families(rb_report *r, const char *dir, const rb_report_resample *x, rb_error *err)
{
    const char *name = "resample_families.csv";
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    fputs("family,configurations,mean_p_beat,best_config_id,best_p_beat,best_median\n", f);
    for (size_t k = 0; k < x->nbeat; k++) {
        const rb_report_beat *b = &x->beat[k];
        rb_csv_safe_text(f, b->family);
        fprintf(f, ",%zu", b->configurations);
        put_num(f, b->mean_p_beat);
        fprintf(f, ",%lld", (long long)b->best_id);
        put_num(f, b->best_p_beat);
        put_num(f, b->best_median);
        fputc('\n', f);
    }
    rb_status rc = rb_report_close(f, dir, name, RB_OK, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

static rb_status write_fans(rb_report *r, const char *dir, const rb_report_resample *x, rb_error *err)
{
    const char *name = "resample_fan.csv";
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    fputs("series,config_id,date,p05,p25,p50,p75,p95\n", f);
    for (size_t k = 0; k < x->nfan; k++)
        for (size_t t = 0; t < x->fan[k].T; t++) {
            char date[32];
            rb_csv_safe_text(f, x->fan[k].label);
            fprintf(f, ",%lld,%s", (long long)x->fan[k].config_id, rb_time_format(x->time[t], date));
            for (int q = 0; q < 5; q++) put_num(f, x->fan[k].q[t * 5 + q]);
            fputc('\n', f);
        }
    rb_status rc = rb_report_close(f, dir, name, RB_OK, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

static const char *const chart_names[2] = {RB_RESAMPLE_CHART_FAN, RB_RESAMPLE_CHART_BEAT};

/* The two charts: scripts and data, then gnuplot. */
static rb_status draw(const rb_report *r, const char *dir, rb_report_resample *x, rb_error *err)
{
    char cdir[4096];
    snprintf(cdir, sizeof cdir, "%s/charts", dir);
    rb_status rc = rb_report_make_dir(cdir, err);
    int ready[2] = {0};
    for (int c = 0; c < 2; c++) x->charts[c] = (rb_chart_outcome){.state = RB_CHART_FAILED};
    if (rc == RB_OK) rc = rb_chart_fan(r, cdir, &x->charts[0], &ready[0], err);
    if (rc == RB_OK) rc = rb_chart_beat(r, cdir, &x->charts[1], &ready[1], err);
    if (rc != RB_OK) return rc;
    rb_gnuplot_run_ready(cdir, chart_names, ready, 2, x->charts);
    return RB_OK;
}

rb_status rb_report_resampled(rb_store *prices, source *s, const rb_kvlist *data, rb_report *r, const char *dir,
                             int no_charts, rb_report_summary *sum, rb_error *err)
{
    rb_resample_info info;
    rb_resample_stat *rows = NULL;
    size_t n = 0;
    rb_error quiet = {0};
    rb_status rc = rb_resample_store_read(rb_results_reader_connection(s->reader), s->sweep.id, &info, &rows, &n,
                                          &quiet);
    if (rc == RB_ERR_NOT_FOUND) return RB_OK; /* a sweep without resampled histories */
    if (rc != RB_OK) {
        if (err) *err = quiet;
        return rc;
    }
    rb_report_resample *x = rb_calloc(1, sizeof *x);
    if (!x) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    else {
        x->info = info;
        r->resample = x;
    }
    unsigned char *hold = rb_calloc(n ? n : 1, 1);
    if (rc == RB_OK && !hold) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (rc == RB_OK) rc = build_beat(s, x, rows, n, hold, err);
    if (rc == RB_OK) rc = build_fans(prices, s, data, x, rows, n, hold, err);
    free(hold);
    if (rc == RB_OK) rc = write_rows(r, dir, rows, n, err);
    if (rc == RB_OK) rc = write_families(r, dir, x, err);
    if (rc == RB_OK) rc = write_fans(r, dir, x, err);
    if (rc == RB_OK && no_charts)
        for (int c = 0; c < 2; c++)
            x->charts[c] = (rb_chart_outcome){RB_CHART_NOT_APPLICABLE, "charts were not requested (--no-charts)"};
    else if (rc == RB_OK) rc = draw(r, dir, x, err);
    /* Beside the nine numbered charts: a failure or a missing gnuplot is said as theirs. */
    for (int c = 0; rc == RB_OK && c < 2; c++) rb_report_note_chart(sum, chart_names[c], &x->charts[c]);
    free(rows);
    return rc;
}
