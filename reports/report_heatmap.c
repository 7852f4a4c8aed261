/* report_heatmap.c - chart 4's grid from a sweep's runs (report_heatmap.h), read through the
 * results reader: the family and the two parameters (a rule parameter against a cost when one
 * varies), and each cell's best value of a metric or of the excess over buy-and-hold at the
 * same costs. */
#include "report_heatmap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "alloc.h"

/* A buy-and-hold run: its scenario values and after-tax value. */
typedef struct hold_row {
    char **values; /* per column: the value (scenario columns only) */
    double value;
} hold_row;

static int same_text(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static int is_scenario_col(const source *s, size_t c)
{
    return s->cols->col[c].kind == RB_RCOL_PARAM && rb_is_scenario_key(s->cols->col[c].key);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The distinct values of v (n), sorted, into out; returns their count. */
static size_t distinct(const double *v, size_t n, double *out)
{
    memcpy(out, v, n * sizeof *v);
    qsort(out, n, sizeof *out, cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || out[i] != out[k - 1]) out[k++] = out[i];
    return k;
}

static size_t index_of(const double *v, size_t n, double x)
{
    const double *p = bsearch(&x, v, n, sizeof x, cmp_double);
    return p ? (size_t)(p - v) : n;
}

typedef struct value_count {
    size_t n;
    int numeric;
} value_count;

static rb_status count_value(void *ctx, const char *text, double number, rb_error *err)
{
    (void)err;
    value_count *v = ctx;
    if (!text || isnan(number)) v->numeric = 0;
    v->n++;
    return RB_OK;
}

/* The number of distinct values of a parameter column in a section; with numbers_only, 0
 * when a value is not a number (words make an axis only when asked for). */
static rb_status count_values(source *s, const char *section, int c, int numbers_only, size_t *out, rb_error *err)
{
    value_count v = {0, 1};
    rb_results_query q = {.sweep_id = s->sweep.id, .status = RB_RUNS_OK, .section = section};
    rb_status rc = rb_results_reader_distinct(s->reader, &q, (size_t)c, count_value, &v, err);
    *out = v.numeric || !numbers_only ? v.n : 0;
    return rc;
}

/* An axis of words (every, on, to_mode): its words in the order the sweep lists them. */
typedef struct word_axis {
    size_t n;
    char (*word)[64];
} word_axis;

static rb_status add_word(void *ctx, const char *text, double number, rb_error *err)
{
    (void)number;
    word_axis *a = ctx;
    if (!text) return RB_OK;
    char(*grown)[64] = rb_realloc(a->word, (a->n + 1) * sizeof *grown);
    if (!grown) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    a->word = grown;
    snprintf(a->word[a->n++], 64, "%s", text);
    return RB_OK;
}

/* Calendar periods from the shortest; other words alphabetically, after them. */
static int word_rank(const char *w)
{
    static const char *const periods[] = {"day", "week", "month", "quarter", "half", "year"};
    for (int k = 0; k < 6; k++)
        if (strcmp(w, periods[k]) == 0) return k;
    return 6;
}

static int cmp_word(const void *a, const void *b)
{
    const char *x = a, *y = b;
    int rx = word_rank(x), ry = word_rank(y);
    return rx != ry ? rx - ry : strcmp(x, y);
}

/* The axis of column c in the section: NULL words when every value is a number. */
static rb_status read_axis(source *s, const char *section, int c, word_axis *a, rb_error *err)
{
    value_count v = {0, 1};
    rb_results_query q = {.sweep_id = s->sweep.id, .status = RB_RUNS_OK, .section = section};
    rb_status rc = rb_results_reader_distinct(s->reader, &q, (size_t)c, count_value, &v, err);
    if (rc == RB_OK && !v.numeric) rc = rb_results_reader_distinct(s->reader, &q, (size_t)c, add_word, a, err);
    if (a->n > 1) qsort(a->word, a->n, sizeof *a->word, cmp_word);
    return rc;
}

/* A point's position on an axis: its number, or the index of its word (NaN when absent). */
static double position(const word_axis *a, const rb_results_run *run, int c)
{
    if (!a->word) return run->number[c];
    for (size_t k = 0; k < a->n && run->text[c]; k++)
        if (strcmp(a->word[k], run->text[c]) == 0) return (double)k;
    return NAN;
}

/* Chooses the family and the two parameters: given keys (checked), or a strategy parameter
 * against a cost setting, else the two parameters with the most values; in the family with
 * the largest such grid (the best configuration's family on a tie). */
static rb_status choose_heatmap(source *s, char **secs, size_t nsecs, const char *best_section, const char *want_x,
                                const char *want_y, char *section, int *cx, int *cy, rb_error *err)
{
    *cx = *cy = -1;
    size_t best_score = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < nsecs; k++) {
            if ((pass == 0) != (strcmp(secs[k], best_section) == 0)) continue;
            for (size_t a = 0; a < s->cols->n; a++) {
                if (s->cols->col[a].kind != RB_RCOL_PARAM) continue;
                if (want_x && strcmp(s->cols->col[a].key, want_x) != 0) continue;
                size_t na;
                rb_status rc = count_values(s, secs[k], (int)a, !want_x, &na, err);
                if (rc != RB_OK) return rc;
                if (na < 2) continue;
                for (size_t b = 0; b < s->cols->n; b++) {
                    if (b == a || s->cols->col[b].kind != RB_RCOL_PARAM) continue;
                    if (want_y && strcmp(s->cols->col[b].key, want_y) != 0) continue;
                    size_t nb;
                    rc = count_values(s, secs[k], (int)b, !want_y, &nb, err);
                    if (rc != RB_OK) return rc;
                    if (nb < 2) continue;
                    /* x a rule parameter, y a cost: the question "where do costs make it
                     * net-negative"; then the larger grids. */
                    size_t score = na * nb + (!rb_is_scenario_key(s->cols->col[a].key) && rb_is_scenario_key(s->cols->col[b].key) ? 1000000 : 0);
                    if (score > best_score) {
                        best_score = score;
                        *cx = (int)a;
                        *cy = (int)b;
                        snprintf(section, 64, "%s", secs[k]);
                    }
                }
            }
        }
    }
    if (*cx < 0 && want_x)
        return rb_fail(err, RB_ERR_USAGE,
                       "--heatmap: no family of this sweep varies both '%s' and '%s' over at least two values", want_x,
                       want_y);
    return RB_OK;
}

/* --heatmap X,Y[,METRIC] into its parts, checked. */
static rb_status parse_spec(const source *s, const char *spec, char *want_x, char *want_y, char *want_m,
                            rb_error *err)
{
    const char *c1 = strchr(spec, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    if (!c1 || c1 == spec || c1[1] == '\0' || c1[1] == ',')
        return rb_fail(err, RB_ERR_USAGE, "--heatmap: '%s' is not X,Y or X,Y,METRIC", spec);
    snprintf(want_x, 64, "%.*s", (int)(c1 - spec), spec);
    if (c2) {
        snprintf(want_y, 64, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
        snprintf(want_m, 64, "%s", c2 + 1);
    } else {
        snprintf(want_y, 64, "%s", c1 + 1);
    }
    if (want_m[0] && strcmp(want_m, "excess") != 0 && !rb_metric_find(want_m))
        return rb_fail(err, RB_ERR_USAGE, "--heatmap: '%s' is not a metric or 'excess'", want_m);
    for (int k = 0; k < 2; k++) {
        const char *key = k ? want_y : want_x;
        if (rb_src_find_key(s, key) < 0)
            return rb_fail(err, RB_ERR_USAGE, "--heatmap: the sweep has no parameter '%s'", key);
    }
    return RB_OK;
}

/* ---------------------------------------------------------------- the cells */

typedef struct holds {
    const source *s;
    hold_row *row;
    size_t n;
} holds;

static void holds_free(holds *h)
{
    for (size_t k = 0; k < h->n; k++) {
        for (size_t c = 0; c < h->s->cols->n; c++) free(h->row[k].values[c]);
        free(h->row[k].values);
    }
    free(h->row);
}

static rb_status keep_hold(void *ctx, const rb_results_run *run, rb_error *err)
{
    holds *h = ctx;
    const source *s = h->s;
    hold_row *l = rb_realloc(h->row, (h->n + 1) * sizeof *l);
    if (!l) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    h->row = l;
    hold_row *hr = &h->row[h->n];
    hr->value = run->metrics.after_tax_value;
    if (!(hr->values = rb_calloc(s->cols->n, sizeof *hr->values))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    h->n++;
    for (size_t c = 0; c < s->cols->n; c++)
        if (is_scenario_col(s, c) && run->text[c] && !(hr->values[c] = rb_strdup(run->text[c])))
            return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    return RB_OK;
}

/* The after-tax growth rate per year of an after-tax value V: (V / capital)^(P / n) - 1, as
 * chart 7 measures it (report_build.c). */
static double growth_of(double capital, double exponent, double v)
{
    return v > 0 ? pow(v / capital, exponent) - 1 : NAN;
}

/* Whether the excess can be told in pp per year of growth: the capital and the number of
 * returns are known. Else it stays in USD. */
static int excess_in_pp(double capital, double exponent) { return capital > 0 && exponent > 0 && isfinite(exponent); }

/* The points (x, y, z) of the family's runs at the scenario. */
typedef struct points {
    const source *s;
    const holds *h; /* NULL: z is the metric itself */
    int cx, cy, mc;
    word_axis ax, ay; /* word axes (their words; NULL for a numeric axis) */
    double capital, exponent; /* the excess in pp per year when both are known: P / n */
    double *x, *y, *z;
    size_t n, cap;
} points;

/* A rule's excess over buy-and-hold's after-tax value hv: in percentage points per year of
 * after-tax growth (USD differences of a long history span orders of magnitude and paint one
 * colour), else in USD. */
static double excess_of(const points *p, double v, double hv)
{
    if (!excess_in_pp(p->capital, p->exponent)) return v - hv;
    return 100 * (growth_of(p->capital, p->exponent, v) - growth_of(p->capital, p->exponent, hv));
}

static rb_status add_point(void *ctx, const rb_results_run *run, rb_error *err)
{
    points *p = ctx;
    const source *s = p->s;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 256;
        double *a = rb_realloc(p->x, p->cap * sizeof *a);
        if (a) p->x = a;
        double *b = a ? rb_realloc(p->y, p->cap * sizeof *b) : NULL;
        if (b) p->y = b;
        double *c = b ? rb_realloc(p->z, p->cap * sizeof *c) : NULL;
        if (c) p->z = c;
        if (!c) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    double x = position(&p->ax, run, p->cx), y = position(&p->ay, run, p->cy), z = run->number[p->mc];
    if (isnan(x) || isnan(y)) return RB_OK;
    if (p->h) { /* the excess over buy-and-hold at the same scenario values */
        double hv = NAN;
        for (size_t k = 0; k < p->h->n && isnan(hv); k++) {
            int same = 1;
            for (size_t c = 0; c < s->cols->n && same; c++)
                if (is_scenario_col(s, c)) same = same_text(p->h->row[k].values[c], run->text[c]);
            if (same) hv = p->h->row[k].value;
        }
        z = excess_of(p, z, hv);
    }
    p->x[p->n] = x;
    p->y[p->n] = y;
    p->z[p->n++] = z;
    return RB_OK;
}

/* The grid of the points: the best z of each (x, y). */
static rb_status fill_grid(rb_report_heatmap *h, const points *p, int asc, rb_error *err)
{
    h->x = rb_malloc(p->n * sizeof *h->x);
    h->y = rb_malloc(p->n * sizeof *h->y);
    if (!h->x || !h->y) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    h->nx = distinct(p->x, p->n, h->x);
    h->ny = distinct(p->y, p->n, h->y);
    if (!(h->z = rb_malloc(h->nx * h->ny * sizeof *h->z))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < h->nx * h->ny; k++) h->z[k] = NAN;
    for (size_t i = 0; i < p->n; i++) {
        if (isnan(p->z[i])) continue;
        size_t ix = index_of(h->x, h->nx, p->x[i]), iy = index_of(h->y, h->ny, p->y[i]);
        double *z = &h->z[iy * h->nx + ix];
        if (isnan(*z) || (asc ? p->z[i] < *z : p->z[i] > *z)) *z = p->z[i];
    }
    return RB_OK;
}

/* The words at the grid's positions of each word axis (its positions are word indexes). */
static rb_status grid_words(rb_report_heatmap *h, const points *p, rb_error *err)
{
    const word_axis *axes[2] = {&p->ax, &p->ay};
    for (int k = 0; k < 2; k++) {
        if (!axes[k]->word) continue;
        size_t n = k ? h->ny : h->nx;
        const double *at = k ? h->y : h->x;
        char(*words)[64] = rb_calloc(n ? n : 1, sizeof *words);
        if (!words) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) snprintf(words[i], 64, "%s", axes[k]->word[(size_t)at[i]]);
        if (k) h->y_words = words;
        else h->x_words = words;
    }
    return RB_OK;
}

/* The metric: the excess over buy-and-hold at the same costs when the sweep has buy-and-hold
 * (or "excess" is asked for), else the ranking metric or the one asked for. */
static rb_status choose_metric(source *s, const char *want, holds *h, const char **metric, rb_error *err)
{
    *metric = want[0] ? want : NULL;
    if (*metric && strcmp(*metric, "excess") != 0) return RB_OK;
    rb_results_query q = {.sweep_id = s->sweep.id, .status = RB_RUNS_OK, .strategy = "buy-and-hold"};
    rb_status rc = rb_results_reader_each(s->reader, &q, keep_hold, h, err);
    if (rc == RB_OK && h->n == 0 && *metric)
        rc = rb_fail(err, RB_ERR_USAGE, "--heatmap: 'excess' needs a [buy-and-hold] section in the sweep");
    *metric = h->n == 0 ? s->metric : "excess";
    return rc;
}

rb_status rb_src_heatmap(source *s, rb_report *r, char **secs, size_t nsecs, const char *best_section,
                         const char *spec, rb_error *err)
{
    rb_report_heatmap *h = &r->heatmap;
    char want_x[64] = "", want_y[64] = "", want_m[64] = "", section[64] = "";
    rb_status rc = spec ? parse_spec(s, spec, want_x, want_y, want_m, err) : RB_OK;
    int cx, cy;
    if (rc == RB_OK)
        rc = choose_heatmap(s, secs, nsecs, best_section, spec ? want_x : NULL, spec ? want_y : NULL, section, &cx,
                            &cy, err);
    if (rc != RB_OK) return rc;
    if (cx < 0) {
        snprintf(r->heatmap_why, sizeof r->heatmap_why,
                 "no family of this sweep varies two numeric parameters (list two values for two keys of one section)");
        return RB_OK;
    }
    holds hs = {.s = s};
    const char *metric;
    rc = choose_metric(s, want_m, &hs, &metric, err);
    int excess = rc == RB_OK && strcmp(metric, "excess") == 0;
    points p = {.s = s, .h = excess ? &hs : NULL, .cx = cx, .cy = cy, .capital = r->capital, .exponent = NAN};
    const rb_metrics *span = r->nseries ? &r->series[0].metrics : NULL;
    if (span && span->bars > 1) p.exponent = span->periods_per_year / (double)(span->bars - 1);
    p.mc = excess ? rb_results_columns_find(s->cols, "after_tax_value") : rb_results_columns_find(s->cols, metric);
    if (rc == RB_OK && p.mc < 0) rc = rb_fail(err, RB_ERR_DATA, "%s: the runs table has no column '%s'", s->path, metric);
    if (rc == RB_OK) rc = read_axis(s, section, cx, &p.ax, err);
    if (rc == RB_OK) rc = read_axis(s, section, cy, &p.ay, err);
    if (rc == RB_OK) { /* every run of the family at the scenario (except the two axes) */
        rb_results_query q = rb_src_query(s, cx, cy);
        q.section = section;
        rc = rb_results_reader_each(s->reader, &q, add_point, &p, err);
    }
    holds_free(&hs);
    if (rc == RB_OK && p.n > 0) rc = fill_grid(h, &p, excess ? 0 : rb_results_ascending(metric), err);
    if (rc == RB_OK && p.n > 0) rc = grid_words(h, &p, err);
    if (rc == RB_OK && p.n > 0) {
        snprintf(h->family, sizeof h->family, "%s", section);
        snprintf(h->x_key, sizeof h->x_key, "%s", s->cols->col[cx].key);
        snprintf(h->y_key, sizeof h->y_key, "%s", s->cols->col[cy].key);
        h->diverging = excess;
        if (excess && excess_in_pp(p.capital, p.exponent))
            snprintf(h->z_label, sizeof h->z_label,
                     "after-tax growth minus buy-and-hold's at the same costs (pp per year)");
        else if (excess)
            snprintf(h->z_label, sizeof h->z_label, "after-tax value minus buy-and-hold's at the same costs (USD)");
        else {
            const rb_metric_info *info = rb_metric_find(metric);
            snprintf(h->z_label, sizeof h->z_label, "%s (%s)", metric, info ? info->unit : "");
        }
        r->has_heatmap = 1;
    } else if (rc == RB_OK) {
        snprintf(r->heatmap_why, sizeof r->heatmap_why, "the chosen parameters have no numeric values");
    }
    free(p.x);
    free(p.y);
    free(p.z);
    free(p.ax.word);
    free(p.ay.word);
    return rc;
}
