/* chart_heatmap.c - chart 4: a metric over two parameters of one family, with the cell
 * values printed where they fit (chart_frame.h). */
#include <math.h>
#include <stdio.h>

#include "chart_frame.h"

/* Tics at the grid indexes 0..n-1 labelled with the values, every step-th one when many. */
static void index_tics(FILE *f, const char *axis, const double *v, size_t n, size_t max_labels)
{
    size_t step = (n + max_labels - 1) / max_labels;
    if (step < 1) step = 1;
    fprintf(f, "set %stics out nomirror (", axis);
    for (size_t k = 0; k < n; k++) {
        if (k % step) continue;
        fprintf(f, "%s\"%.4g\" %zu", k ? ", " : "", v[k], k);
    }
    fputs(")\n", f);
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
    double zmin = INFINITY, zmax = -INFINITY;
    for (size_t k = 0; k < h->nx * h->ny; k++)
        if (isfinite(h->z[k])) {
            if (h->z[k] < zmin) zmin = h->z[k];
            if (h->z[k] > zmax) zmax = h->z[k];
        }
    int any = zmin <= zmax;
    double lo, hi;
    if (!any)
        lo = -1, hi = 1;
    else if (h->diverging) {
        double m = fmax(fabs(zmin), fabs(zmax));
        if (m == 0) m = 1;
        lo = -m, hi = m;
    } else {
        lo = zmin, hi = zmax;
        if (hi == lo) lo -= 0.5, hi += 0.5;
    }
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
            double u = (z - lo) / (hi - lo); /* 0..1 along the palette */
            int white = h->diverging ? fabs(2 * u - 1) > 0.6 : u < 0.45;
            fprintf(data.f, "%zu %zu ", ix, iy);
            rb_chart_num(data.f, z);
            fprintf(data.f, " %d\n", white);
        }
    if ((st = rb_chart_file_close(&data, err))) return st;

    if ((st = rb_chart_file_open(&gp, cdir, "heatmap", ".gp", err))) return st;
    FILE *f = gp.f;
    rb_chart_script_head(f, r, RB_CHART_HEATMAP, h->family);
    fputs("unset grid\nset border 15 lc rgb \"#404040\"\n", f);
    fprintf(f, "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\n", h->nx - 1, h->ny - 1);
    index_tics(f, "x", h->x, h->nx, h->nx > 16 ? 12 : 16);
    index_tics(f, "y", h->y, h->ny, 20);
    fputs("set xlabel ", f);
    rb_chart_label(f, h->x_key, KEY_MAX);
    fputs("\nset ylabel ", f);
    rb_chart_label(f, h->y_key, KEY_MAX);
    fputs("\nset cblabel ", f);
    rb_chart_label(f, h->z_label, TITLE_MAX);
    fputs("\nset colorbox vertical user origin graph 1.02, graph 0 size character 2, graph 1\n", f);
    fputs("set cbtics out\n", f);
    if (h->diverging)
        fputs("set palette defined (0 \"#B2182B\", 0.25 \"#EF8A62\", 0.45 \"#FDDBC7\", 0.5 \"#F7F7F7\", "
              "0.55 \"#D1E5F0\", 0.75 \"#67A9CF\", 1 \"#2166AC\")\n",
              f);
    else
        fputs("set palette defined (0 \"#440154\", 0.25 \"#3B528B\", 0.5 \"#21918C\", 0.75 \"#5EC962\", "
              "1 \"#FDE725\")\n",
              f);
    fprintf(f, "set cbrange [%.12g:%.12g]\n", lo, hi);
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
