/* chart_drawdown.c - chart 2 as small multiples: one panel per family, its best configuration's
 * drawdown in the family's colour over buy-and-hold's as a grey area, every panel on the same
 * scale (chart_frame.h). Eight lines in one plot cross until none can be followed; a panel
 * holds two. The data are drawdown.dat's blocks, one per series (chart_curves.c). */
#include <stdio.h>

#include "chart_frame.h"

#define HOLD_FILL "#C8C8C8"

/* Panels side by side: up to three in a row. */
static size_t columns_for(size_t n) { return n <= 3 ? (n ? n : 1) : n == 4 ? 2 : 3; }

int rb_chart_drawdown_height(size_t nfamilies)
{
    size_t cols = columns_for(nfamilies), rows = (nfamilies + cols - 1) / cols;
    int h = 120 + 260 * (int)(rows ? rows : 1);
    return h < HEIGHT ? HEIGHT : h;
}

/* The block of drawdown.dat that holds series k: its place among the series with bars. */
static size_t block_of(const rb_report *r, size_t k)
{
    size_t b = 0;
    for (size_t j = 0; j < k; j++)
        if (r->series[j].T > 0 && r->series[j].time) b++;
    return b;
}

static int drawn(const rb_report_series *s) { return s->T > 0 && s->time != NULL; }

/* One multiplot, on whichever terminal is set. */
static void panels(FILE *f, const rb_report *r, const rb_chart_families *fm, size_t nfam, int hold)
{
    size_t cols = columns_for(nfam), rows = (nfam + cols - 1) / cols;
    fprintf(f, "set multiplot layout %zu,%zu title ", rows, cols);
    /* A report of one run (no sweep status) has one panel: the run's. */
    rb_chart_title_literal(f, RB_CHART_DRAWDOWN,
                           r->sweep_status[0] ? "each family's best (colour) against buy-and-hold (grey)"
                                              : "the run (colour) against buy-and-hold (grey)",
                           r->subtitle);
    fputs(" font \",13\"\n", f);
    size_t holdb = block_of(r, (size_t)hold);
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->role != RB_SERIES_BEST || !drawn(s)) continue;
        fputs("set title ", f);
        rb_chart_label(f, s->label[0] ? s->label : s->family, KEY_MAX);
        fputs(" font \",10\"\n", f);
        fputs("plot \\\n", f);
        if (hold >= 0)
            fprintf(f, "  \"drawdown.dat\" index %zu using 1:2 with filledcurves y=0 fc rgb \"" HOLD_FILL
                       "\" fs solid 1 noborder, \\\n",
                    holdb);
        fprintf(f, "  \"drawdown.dat\" index %zu using 1:2 with lines lc rgb \"%s\" lw 1.4\n", block_of(r, k),
                rb_chart_series_colour(fm, s));
    }
    fputs("unset multiplot\n", f);
}

void rb_chart_drawdown_panels(FILE *f, const rb_report *r, const rb_chart_families *fm, double ylo, rb_time t0,
                              rb_time t1, int midnight)
{
    size_t nfam = 0;
    int hold = -1;
    for (size_t k = 0; k < r->nseries; k++) {
        if (!drawn(&r->series[k])) continue;
        if (r->series[k].role == RB_SERIES_BEST) nfam++;
        if (r->series[k].role == RB_SERIES_HOLD && hold < 0) hold = (int)k;
    }
    size_t cols = columns_for(nfam);
    /* The panel titles take the place of the chart's title; the axes are shared. */
    fputs("unset title\nunset key\n", f);
    rb_chart_time_axis_max(f, t0, t1, midnight, cols >= 3 ? 4 : cols == 2 ? 6 : 11);
    fprintf(f, "set yrange [%.12g:0]\n", ylo);
    fputs("set ytics out nomirror\nset format y \"%g\"\n", f);
    fputs("set ylabel \"drawdown (%)\"\nunset xlabel\n", f);
    fputs("set lmargin 9\nset rmargin 2\n", f);
    if (nfam == 0) { /* buy-and-hold alone: one panel */
        fputs("set title \"buy-and-hold\" font \",10\"\n", f);
        fprintf(f, "plot \"drawdown.dat\" index %zu using 1:2 with filledcurves y=0 fc rgb \"" HOLD_FILL "\" fs solid 1 noborder\n",
                block_of(r, hold > 0 ? (size_t)hold : 0));
    } else {
        panels(f, r, fm, nfam, hold);
    }
    /* A multiplot cannot be replotted: the SVG draws it again. */
    fprintf(f, "set terminal svg noenhanced size %d,%d font \"" FONT "\" background \"white\"\n"
               "set output \"drawdown.svg\"\n",
            WIDTH, rb_chart_drawdown_height(nfam));
    if (nfam == 0)
        fputs("replot\n", f);
    else
        panels(f, r, fm, nfam, hold);
    fputs("unset output\n", f);
}
