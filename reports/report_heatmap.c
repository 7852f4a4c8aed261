/* report_heatmap.c - chart 4's grid from a sweep's runs table: the family and the two
 * parameters (a rule parameter against a cost when one varies), and each cell's best value
 * of a metric or of the excess over buy-and-hold at the same costs. */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "csv_write.h"
#include "error.h"
#include "report_source.h"
#include "results.h"

typedef struct hold_row {
    char **values; /* per column: the scenario value (fixed columns only) */
    double value;
} hold_row;

static int same_text(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

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

/* The number of distinct numeric values of a parameter column in a section (0 when a value
 * is not a number). */
static rb_status count_values(const source *s, const char *section, int c, size_t *out, rb_error *err)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT DISTINCT \"%s\" FROM runs WHERE sweep_id = ?1 AND section = ?2", s->col[c]);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return rb_src_db_fail(s, err, "reading parameters");
    sqlite3_bind_int64(st, 1, s->sweep);
    sqlite3_bind_text(st, 2, section, -1, SQLITE_TRANSIENT);
    size_t n = 0;
    int numeric = 1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        if (!v || !rb_is_number_text(v)) numeric = 0;
        n++;
    }
    sqlite3_finalize(st);
    *out = numeric ? n : 0;
    return RB_OK;
}

/* Chooses the family and the two parameters: given keys (checked), or a strategy parameter
 * against a cost setting, else the two parameters with the most values; in the family with
 * the largest such grid (the best configuration's family on a tie). */
static rb_status choose_heatmap(const source *s, char **secs, size_t nsecs, const char *best_section, const char *want_x,
                                const char *want_y, char *section, int *cx, int *cy, rb_error *err)
{
    *cx = *cy = -1;
    size_t best_score = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < nsecs; k++) {
            if ((pass == 0) != (strcmp(secs[k], best_section) == 0)) continue;
            for (size_t a = 0; a < s->ncols; a++) {
                if (s->kind[a] != COL_PARAM) continue;
                if (want_x && strcmp(s->key[a], want_x) != 0) continue;
                size_t na;
                rb_status rc = count_values(s, secs[k], (int)a, &na, err);
                if (rc != RB_OK) return rc;
                if (na < 2) continue;
                for (size_t b = 0; b < s->ncols; b++) {
                    if (b == a || s->kind[b] != COL_PARAM) continue;
                    if (want_y && strcmp(s->key[b], want_y) != 0) continue;
                    size_t nb;
                    rc = count_values(s, secs[k], (int)b, &nb, err);
                    if (rc != RB_OK) return rc;
                    if (nb < 2) continue;
                    /* x a rule parameter, y a cost: the question "where do costs make it
                     * net-negative"; then the larger grids. */
                    size_t score = na * nb + (!rb_is_scenario_key(s->key[a]) && rb_is_scenario_key(s->key[b]) ? 1000000 : 0);
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
                       "--heatmap: no family of this sweep varies both '%s' and '%s' over at least two numbers", want_x,
                       want_y);
    return RB_OK;
}

rb_status rb_src_heatmap(source *s, rb_report *r, char **secs, size_t nsecs, const char *best_section,
                         const char *spec, rb_error *err)
{
    rb_report_heatmap *h = &r->heatmap;
    char want_x[64] = "", want_y[64] = "", want_m[64] = "";
    if (spec) {
        const char *c1 = strchr(spec, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c1 || c1 == spec || c1[1] == '\0' || c1[1] == ',')
            return rb_fail(err, RB_ERR_USAGE, "--heatmap: '%s' is not X,Y or X,Y,METRIC", spec);
        snprintf(want_x, sizeof want_x, "%.*s", (int)(c1 - spec), spec);
        if (c2) {
            snprintf(want_y, sizeof want_y, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
            snprintf(want_m, sizeof want_m, "%s", c2 + 1);
        } else {
            snprintf(want_y, sizeof want_y, "%s", c1 + 1);
        }
        if (want_m[0] && strcmp(want_m, "excess") != 0 && !rb_metric_find(want_m))
            return rb_fail(err, RB_ERR_USAGE, "--heatmap: '%s' is not a metric or 'excess'", want_m);
        for (int k = 0; k < 2; k++) {
            const char *key = k ? want_y : want_x;
            if (rb_src_find_key(s, key) < 0)
                return rb_fail(err, RB_ERR_USAGE, "--heatmap: the sweep has no parameter '%s'", key);
        }
    }
    int cx, cy;
    char section[64] = "";
    rb_status rc = choose_heatmap(s, secs, nsecs, best_section, spec ? want_x : NULL, spec ? want_y : NULL, section, &cx,
                                  &cy, err);
    if (rc != RB_OK) return rc;
    if (cx < 0) {
        snprintf(r->heatmap_why, sizeof r->heatmap_why,
                 "no family of this sweep varies two numeric parameters (list two values for two keys of one section)");
        return RB_OK;
    }
    /* The metric: the excess over buy-and-hold at the same costs when the sweep has
     * buy-and-hold, else the ranking metric. */
    int mcol = rb_src_find_col(s, "after_tax_value");
    const char *metric = want_m[0] ? want_m : NULL;
    sqlite3_stmt *st;
    hold_row *holds = NULL;
    size_t nholds = 0;
    if (!metric || strcmp(metric, "excess") == 0) {
        sql_buf b;
        if ((rc = rb_src_sql_open(&b, err)) != RB_OK) return rc;
        fputs("SELECT after_tax_value", b.f);
        for (size_t c = 0; c < s->ncols; c++)
            if (s->kind[c] == COL_PARAM && rb_is_scenario_key(s->key[c])) fprintf(b.f, ", \"%s\"", s->col[c]);
        fputs(" FROM runs WHERE sweep_id = ?1 AND strategy = 'buy-and-hold'", b.f);
        char *sql = rb_src_sql_close(&b);
        if (!sql) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) rc = rb_src_db_fail(s, err, "reading buy-and-hold");
        free(sql);
        if (rc != RB_OK) return rc;
        sqlite3_bind_int64(st, 1, s->sweep);
        while (rc == RB_OK && sqlite3_step(st) == SQLITE_ROW) {
            hold_row *l = realloc(holds, (nholds + 1) * sizeof *l);
            if (!l) {
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
                break;
            }
            holds = l;
            hold_row *hr = &holds[nholds++];
            hr->value = sqlite3_column_double(st, 0);
            hr->values = calloc(s->ncols, sizeof *hr->values);
            if (!hr->values) {
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
                break;
            }
            int at = 1;
            for (size_t c = 0; c < s->ncols; c++) {
                if (s->kind[c] != COL_PARAM || !rb_is_scenario_key(s->key[c])) continue;
                const char *v = (const char *)sqlite3_column_text(st, at++);
                if (v && !(hr->values[c] = strdup(v))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
            }
        }
        sqlite3_finalize(st);
        if (rc == RB_OK && nholds == 0 && metric)
            rc = rb_fail(err, RB_ERR_USAGE, "--heatmap: 'excess' needs a [buy-and-hold] section in the sweep");
        if (rc == RB_OK && nholds == 0) metric = s->metric;
        else if (rc == RB_OK) metric = "excess";
    }
    int excess = rc == RB_OK && strcmp(metric, "excess") == 0;
    int mc = excess ? mcol : rb_src_find_col(s, metric);
    if (rc == RB_OK && mc < 0) rc = rb_fail(err, RB_ERR_DATA, "%s: the runs table has no column '%s'", s->path, metric);
    int asc = excess ? 0 : rb_results_ascending(metric);
    /* Every row of the family at the scenario (except the two axes). */
    sql_buf b;
    char *sql = NULL;
    if (rc == RB_OK && (rc = rb_src_sql_open(&b, err)) == RB_OK) {
        fprintf(b.f, "SELECT \"%s\", \"%s\", \"%s\"", s->col[cx], s->col[cy], s->col[mc]);
        for (size_t c = 0; c < s->ncols; c++)
            if (s->kind[c] == COL_PARAM && rb_is_scenario_key(s->key[c])) fprintf(b.f, ", \"%s\"", s->col[c]);
        fputs(" FROM runs WHERE sweep_id = ?1 AND section = ?2", b.f);
        rb_src_where_fixed(s, b.f, 3, cx, cy);
        if (!(sql = rb_src_sql_close(&b))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    if (rc == RB_OK && sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) rc = rb_src_db_fail(s, err, "reading the heatmap");
    free(sql);
    double *xs = NULL, *ys = NULL, *zs = NULL;
    size_t n = 0, cap = 0;
    if (rc == RB_OK) {
        sqlite3_bind_int64(st, 1, s->sweep);
        sqlite3_bind_text(st, 2, section, -1, SQLITE_TRANSIENT);
        rb_src_bind_fixed(s, st, 3, cx, cy);
        while (rc == RB_OK && sqlite3_step(st) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                double *a = realloc(xs, cap * sizeof *a);
                if (a) xs = a;
                double *bb = a ? realloc(ys, cap * sizeof *bb) : NULL;
                if (bb) ys = bb;
                double *cc = bb ? realloc(zs, cap * sizeof *cc) : NULL;
                if (cc) zs = cc;
                if (!cc) {
                    rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
                    break;
                }
            }
            const char *tx = (const char *)sqlite3_column_text(st, 0), *ty = (const char *)sqlite3_column_text(st, 1);
            if (!tx || !ty || !rb_is_number_text(tx) || !rb_is_number_text(ty)) continue;
            double z = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2);
            if (excess) {
                double hv = NAN;
                for (size_t k = 0; k < nholds && isnan(hv); k++) {
                    int same = 1, at = 3;
                    for (size_t c = 0; c < s->ncols && same; c++) {
                        if (s->kind[c] != COL_PARAM || !rb_is_scenario_key(s->key[c])) continue;
                        same = same_text(holds[k].values[c], (const char *)sqlite3_column_text(st, at++));
                    }
                    if (same) hv = holds[k].value;
                }
                z -= hv;
            }
            xs[n] = strtod(tx, NULL);
            ys[n] = strtod(ty, NULL);
            zs[n++] = z;
        }
        sqlite3_finalize(st);
    }
    for (size_t k = 0; k < nholds; k++) {
        for (size_t c = 0; c < s->ncols; c++) free(holds[k].values[c]);
        free(holds[k].values);
    }
    free(holds);
    if (rc == RB_OK && n > 0) {
        h->x = malloc(n * sizeof *h->x);
        h->y = malloc(n * sizeof *h->y);
        if (!h->x || !h->y) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    if (rc == RB_OK && n > 0) {
        h->nx = distinct(xs, n, h->x);
        h->ny = distinct(ys, n, h->y);
        if (!(h->z = malloc(h->nx * h->ny * sizeof *h->z))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    if (rc == RB_OK && n > 0) {
        for (size_t k = 0; k < h->nx * h->ny; k++) h->z[k] = NAN;
        for (size_t i = 0; i < n; i++) {
            if (isnan(zs[i])) continue;
            size_t ix = index_of(h->x, h->nx, xs[i]), iy = index_of(h->y, h->ny, ys[i]);
            double *z = &h->z[iy * h->nx + ix];
            if (isnan(*z) || (asc ? zs[i] < *z : zs[i] > *z)) *z = zs[i];
        }
        snprintf(h->family, sizeof h->family, "%s", section);
        snprintf(h->x_key, sizeof h->x_key, "%s", s->key[cx]);
        snprintf(h->y_key, sizeof h->y_key, "%s", s->key[cy]);
        h->diverging = excess;
        if (excess) snprintf(h->z_label, sizeof h->z_label, "after-tax value minus buy-and-hold's at the same costs (USD)");
        else {
            const rb_metric_info *info = rb_metric_find(metric);
            snprintf(h->z_label, sizeof h->z_label, "%s (%s)", metric, info ? info->unit : "");
        }
        r->has_heatmap = 1;
    } else if (rc == RB_OK) {
        snprintf(r->heatmap_why, sizeof r->heatmap_why, "the chosen parameters have no numeric values");
    }
    free(xs);
    free(ys);
    free(zs);
    return rc;
}
