/* chart_heatmap.c - chart 4: a metric over two parameters of one family, with the cell
 * values printed where they fit (chart_frame.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_frame.h"
#include "alloc.h"

/* Tics at the grid indexes 0..n-1 labelled with the values (or the words of a word axis),
 * every step-th one when many. */
static void index_tics(FILE *f, const char *axis, const double *v, const char (*words)[64], size_t n,
                       size_t max_labels)
{
    size_t step = (n + max_labels - 1) / max_labels;
    if (step < 1) step = 1;
    fprintf(f, "set %stics out nomirror (", axis);
    for (size_t k = 0; k < n; k++) {
        if (k % step) continue;
        fputs(k ? ", " : "", f);
        if (words) rb_chart_label(f, words[k], 32);
        else fprintf(f, "\"%.4g\"", v[k]);
        fprintf(f, " %zu", k);
    }
    fputs(")\n", f);
}

/* The colour scale: its ends, the distance of its round tics, and the palette. */
typedef enum scale_kind {
    SCALE_DIVERGING, /* an excess on both sides of 0: red below, white at 0, blue above */
    SCALE_LOSSES,    /* an excess below 0 everywhere: dark red (the largest loss) to light red */
    SCALE_GAINS,     /* an excess above 0 everywhere: light blue to dark blue */
    SCALE_SEQUENTIAL /* a metric: viridis */
} scale_kind;

typedef struct colour_scale {
    double lo, hi, step;
    scale_kind kind;
} colour_scale;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The 5th and 95th percentiles of the finite values of z (n): one outlying cell must not
 * stretch the scale until every other cell has the same colour. 0 when there is none. */
static int robust_range(const double *z, size_t n, double *p5, double *p95)
{
    double *v = rb_malloc((n ? n : 1) * sizeof *v);
    size_t m = 0;
    if (!v) { /* no memory for the sort: the plain extremes */
        *p5 = INFINITY, *p95 = -INFINITY;
        for (size_t k = 0; k < n; k++)
            if (isfinite(z[k])) *p5 = fmin(*p5, z[k]), *p95 = fmax(*p95, z[k]);
        return *p5 <= *p95;
    }
    for (size_t k = 0; k < n; k++)
        if (isfinite(z[k])) v[m++] = z[k];
    if (m) {
        qsort(v, m, sizeof *v, cmp_double);
        *p5 = v[(size_t)floor(0.05 * (double)(m - 1))];
        *p95 = v[(size_t)ceil(0.95 * (double)(m - 1))];
    }
    free(v);
    return m > 0;
}

/* The scale of the cells: ends on round tics just outside the robust range; an excess keeps 0
 * white when the cells lie on both sides of it, else it shades the one side. */
static colour_scale choose_scale(const rb_report_heatmap *h)
{
    colour_scale sc = {-1, 1, 0.5, h->diverging ? SCALE_DIVERGING : SCALE_SEQUENTIAL};
    double p5, p95;
    if (!robust_range(h->z, h->nx * h->ny, &p5, &p95)) return sc;
    if (h->diverging && p5 < 0 && p95 > 0) {
        double m = fmax(-p5, p95);
        sc.step = rb_chart_round_step(m / 3);
        m = ceil(m / sc.step - 1e-9) * sc.step;
        sc.lo = -m, sc.hi = m;
        return sc;
    }
    if (h->diverging) sc.kind = p95 <= 0 ? SCALE_LOSSES : SCALE_GAINS;
    if (p95 - p5 <= 1e-12 * fmax(1, fabs(p5))) { /* one value: a unit around it */
        double w = fmax(fabs(p5) * 0.1, 1e-9);
        p5 -= w, p95 += w;
    }
    sc.step = rb_chart_round_step((p95 - p5) / 5);
    sc.lo = floor(p5 / sc.step + 1e-9) * sc.step;
    sc.hi = ceil(p95 / sc.step - 1e-9) * sc.step;
    if (sc.kind == SCALE_LOSSES && sc.hi > 0) sc.hi = 0;
    if (sc.kind == SCALE_GAINS && sc.lo < 0) sc.lo = 0;
    return sc;
}

/* Whether a cell's printed value is white (on a dark cell) rather than black. */
static int white_text(const colour_scale *sc, double z)
{
    double u = (z - sc->lo) / (sc->hi - sc->lo); /* 0..1 along the palette */
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    switch (sc->kind) {
    case SCALE_DIVERGING: return fabs(2 * u - 1) > 0.6;
    case SCALE_LOSSES: return u < 0.4;
    case SCALE_GAINS: return u > 0.6;
    default: return u < 0.45;
    }
}

static void put_palette(FILE *f, scale_kind kind)
{
    switch (kind) {
    case SCALE_DIVERGING:
        fputs("set palette defined (0 \"#B2182B\", 0.25 \"#EF8A62\", 0.45 \"#FDDBC7\", 0.5 \"#F7F7F7\", "
              "0.55 \"#D1E5F0\", 0.75 \"#67A9CF\", 1 \"#2166AC\")\n",
              f);
        break;
    case SCALE_LOSSES: fputs("set palette defined (0 \"#67001F\", 0.5 \"#D6604D\", 1 \"#FDDBC7\")\n", f); break;
    case SCALE_GAINS: fputs("set palette defined (0 \"#D1E5F0\", 0.5 \"#4393C3\", 1 \"#053061\")\n", f); break;
    default:
        fputs("set palette defined (0 \"#440154\", 0.25 \"#3B528B\", 0.5 \"#21918C\", 0.75 \"#5EC962\", "
              "1 \"#FDE725\")\n",
              f);
    }
}

/* The report's settings without the two axes' keys: a heatmap over fee-bps is not "compared
 * at fee-bps=10". The scenario is "key=value" pairs joined by ", ". */
static void subtitle_without_axes(const rb_report *r, const rb_report_heatmap *h, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "%s", r->dates[0] ? r->dates : r->subtitle);
    if (!r->dates[0] || o >= cap) return;
    const char *p = r->scenario;
    int first = 1;
    while (*p) {
        const char *end = strstr(p, ", ");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        int axis = (strlen(h->x_key) == klen && strncmp(p, h->x_key, klen) == 0) ||
                   (strlen(h->y_key) == klen && strncmp(p, h->y_key, klen) == 0);
        if (!axis && o < cap) {
            o += (size_t)snprintf(out + o, cap - o, "%s%.*s", first ? ", other settings at " : ", ", (int)len, p);
            first = 0;
        }
        p += len + (end ? 2 : 0);
    }
}

rb_status rb_chart_heatmap(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready,
                               rb_error *err)
{
    const rb_report_heatmap *h = &r->heatmap;
    if (!r->has_heatmap || h->nx == 0 || h->ny == 0 || !h->z || !h->x || !h->y) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "%s", r->heatmap_why[0] ? r->heatmap_why : "no parameter grid to show");
        return RB_OK;
    }
    colour_scale sc = choose_scale(h);
    double lo = sc.lo, hi = sc.hi;
    /* Cell values are printed when a cell is wide and tall enough for about six characters. */
    int values = h->nx <= 24 && h->ny <= 24;
    double m = fmax(fabs(lo), fabs(hi)), scale = 1;
    const char *fmt = "%.3f", *suffix = "";
    if (m >= 1e6)
        scale = 1e-6, fmt = "%.1f", suffix = "M";
    else if (m >= 1e4)
        scale = 1e-3, fmt = "%.0f", suffix = "k";
    else if (m >= 100)
        fmt = "%.0f";
    else if (m >= 10)
        fmt = "%.1f";
    else if (m >= 1)
        fmt = "%.2f";

    rb_chart_file data, gp;
    rb_status st = rb_chart_file_open(&data, cdir, "heatmap", ".dat", err);
    if (st) return st;
    fputs("# heatmap: x index, y index, z (NaN: no configuration); one block per y\n", data.f);
    for (size_t iy = 0; iy < h->ny; iy++) {
        for (size_t ix = 0; ix < h->nx; ix++) {
            fprintf(data.f, "%zu %zu ", ix, iy);
            rb_chart_num(data.f, h->z[iy * h->nx + ix]);
            fputc('\n', data.f);
        }
        fputc('\n', data.f);
    }
    if ((st = rb_chart_file_close(&data, err))) return st;
    if ((st = rb_chart_file_open(&data, cdir, "heatmap_cells", ".dat", err))) return st;
    /* The printed values: x index, y index, z, and the text colour (1 white, 0 black) that
     * stands out against the cell's colour. */
    fputs("# heatmap_cells: x index, y index, z, 1 when the text is white\n", data.f);
    for (size_t iy = 0; iy < h->ny && values; iy++)
        for (size_t ix = 0; ix < h->nx; ix++) {
            double z = h->z[iy * h->nx + ix];
            if (!isfinite(z)) continue;
            int white = white_text(&sc, z);
            fprintf(data.f, "%zu %zu ", ix, iy);
            rb_chart_num(data.f, z);
            fprintf(data.f, " %d\n", white);
        }
    if ((st = rb_chart_file_close(&data, err))) return st;

    if ((st = rb_chart_file_open(&gp, cdir, "heatmap", ".gp", err))) return st;
    FILE *f = gp.f;
    char sub[sizeof r->subtitle];
    subtitle_without_axes(r, h, sub, sizeof sub);
    rb_chart_script_head_as(f, r, RB_CHART_HEATMAP, h->family, sub, HEIGHT);
    fputs("unset grid\nset border 15 lc rgb \"#404040\"\n", f);
    fprintf(f, "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\n", h->nx - 1, h->ny - 1);
    index_tics(f, "x", h->x, (const char(*)[64])h->x_words, h->nx, h->nx > 16 ? 12 : 16);
    index_tics(f, "y", h->y, (const char(*)[64])h->y_words, h->ny, 20);
    fputs("set xlabel ", f);
    rb_chart_label(f, h->x_key, KEY_MAX);
    fputs("\nset ylabel ", f);
    rb_chart_label(f, h->y_key, KEY_MAX);
    fputs("\nset cblabel ", f);
    rb_chart_label(f, h->z_label, TITLE_MAX);
    fputs("\nset colorbox vertical user origin graph 1.02, graph 0 size character 2, graph 1\n", f);
    /* Round tics; a large USD scale reads as 200k, 1.5M. */
    fprintf(f, "set cbtics out %.12g, %.12g, %.12g\n", lo, sc.step, hi);
    fputs(m >= 1e4 ? "set format cb \"%.1s%c\"\n" : "set format cb \"%g\"\n", f);
    put_palette(f, sc.kind);
    fprintf(f, "set cbrange [%.12g:%.12g]\n", lo, hi);
    int clipped = 0;
    for (size_t k = 0; k < h->nx * h->ny; k++) clipped |= isfinite(h->z[k]) && (h->z[k] < lo || h->z[k] > hi);
    if (clipped)
        fputs("set label 2 \"colours clipped at the 5th and 95th percentiles\" at graph 1.0, graph -0.13 right font \",9\"\n", f);
    /* No configuration: the grey behind the image shows through. */
    fputs("set object 1 rectangle from graph 0, graph 0 to graph 1, graph 1 behind fc rgb \"#BDBDBD\" "
          "fs solid 1 noborder\n",
          f);
    int missing = 0;
    for (size_t k = 0; k < h->nx * h->ny && !missing; k++) missing = isnan(h->z[k]);
    if (missing)
        fputs("set label 1 \"grey: no configuration with this pair\" at graph 0, graph -0.13 left font \",9\"\n", f);
    fputs("set bmargin 6\nset rmargin 18\n", f); /* room for the colour box, its tics and label */
    fputs("plot \"heatmap.dat\" using 1:2:3 with image", f);
    if (values)
        fprintf(f,
                ", \\\n  \"heatmap_cells.dat\" using 1:2:(sprintf(\"%s%s\", $3 * %g)):($4 > 0 ? 0xFFFFFF : 0x000000) "
                "with labels tc rgb variable font \",%d\"",
                fmt, suffix, scale, h->nx > 14 ? 8 : 10);
    fputs("\n", f);
    rb_chart_script_tail(f, RB_CHART_HEATMAP);
    if ((st = rb_chart_file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}
