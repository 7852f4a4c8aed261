/* chart_fan.c - the fan chart of the resampled histories (report_resample.h): one panel per
 * series (buy-and-hold, then the rules with the highest median final value), the value at
 * each bar over the histories as bands (5-95 % light, 25-75 % darker) around the median, on
 * a log scale shared by the panels, with buy-and-hold's median dashed in each rule's panel. */
#include <math.h>
#include <stdio.h>

#include "chart_frame.h"
#include "report_resample.h"

#define FAN_HEIGHT 900

static rb_status write_data(const rb_report_resample *x, const char *cdir, int midnight, rb_error *err)
{
    rb_chart_file data;
    rb_status st = rb_chart_file_open(&data, cdir, RB_RESAMPLE_CHART_FAN, ".dat", err);
    if (st) return st;
    fputs("# fan: one block per series (buy-and-hold first): date, then the value's 5, 25, 50, 75 and 95 %\n"
          "# percentiles over the resampled histories (USD)\n",
          data.f);
    for (size_t k = 0; k < x->nfan; k++) {
        if (k) fputs("\n\n", data.f);
        for (size_t t = 0; t < x->fan[k].T; t++) {
            rb_chart_date(data.f, x->time[t], midnight);
            for (int q = 0; q < 5; q++) {
                fputc(' ', data.f);
                rb_chart_num(data.f, x->fan[k].q[t * 5 + q]);
            }
            fputc('\n', data.f);
        }
    }
    return rb_chart_file_close(&data, err);
}

/* The panels, on whichever terminal is set. */
static void panels(FILE *f, const rb_report *r, const rb_report_resample *x)
{
    size_t cols = x->nfan > 1 ? 2 : 1, rows = (x->nfan + cols - 1) / cols;
    char title[320];
    snprintf(title, sizeof title, "Resampled histories (%s, %zu of them drawn): value over time", x->info.method,
             x->fan_histories);
    fprintf(f, "set multiplot layout %zu,%zu title \"", rows, cols);
    rb_chart_label_body(f, title, TITLE_MAX);
    if (r->dates[0]) {
        fputs("\\n", f);
        rb_chart_label_body(f, r->dates, TITLE_MAX);
    }
    fputs("\" font \",13\"\n", f);
    for (size_t k = 0; k < x->nfan; k++) {
        const rb_report_fan *fan = &x->fan[k];
        char head[320];
        if (k == 0) snprintf(head, sizeof head, "%s", fan->label);
        else snprintf(head, sizeof head, "%s (beats buy-and-hold in %.0f %%)", fan->label, 100 * fan->p_beat);
        fputs("set title ", f);
        rb_chart_label(f, head, KEY_MAX + 32);
        fputs(" font \",10\"\n", f);
        const char *colour = k == 0 ? "#606060" : rb_chart_colour(k - 1);
        fputs("plot \\\n", f);
        fprintf(f, "  \"fan.dat\" index %zu using 1:2:6 with filledcurves fc rgb \"%s\" fs transparent solid 0.18 "
                   "noborder title \"5-95 %%\", \\\n",
                k, colour);
        fprintf(f, "  \"fan.dat\" index %zu using 1:3:5 with filledcurves fc rgb \"%s\" fs transparent solid 0.38 "
                   "noborder title \"25-75 %%\", \\\n",
                k, colour);
        if (k > 0)
            fputs("  \"fan.dat\" index 0 using 1:4 with lines lc rgb \"#000000\" dt 2 lw 1.2 title \"buy-and-hold "
                  "median\", \\\n",
                  f);
        fprintf(f, "  \"fan.dat\" index %zu using 1:4 with lines lc rgb \"%s\" lw 1.8 title \"median\"\n", k, colour);
    }
    fputs("unset multiplot\n", f);
}

rb_status rb_chart_fan(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready, rb_error *err)
{
    const rb_report_resample *x = r->resample;
    if (!x || x->nfan == 0 || x->T < 2) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "the sweep has no resampled histories");
        return RB_OK;
    }
    /* The shared scale: the panels' lowest 5 % and highest 95 %. */
    double lo = INFINITY, hi = 0;
    for (size_t k = 0; k < x->nfan; k++)
        for (size_t t = 0; t < x->fan[k].T; t++) {
            double a = x->fan[k].q[t * 5], b = x->fan[k].q[t * 5 + 4];
            if (a > 0 && a < lo) lo = a;
            if (b > hi) hi = b;
        }
    if (!(lo < hi)) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "no resampled history gave a positive value to draw");
        return RB_OK;
    }
    int midnight = rb_chart_all_midnights(x->time, x->T);
    rb_status st = write_data(x, cdir, midnight, err);
    if (st) return st;
    rb_chart_file gp;
    if ((st = rb_chart_file_open(&gp, cdir, RB_RESAMPLE_CHART_FAN, ".gp", err))) return st;
    FILE *f = gp.f;
    rb_chart_named_head(f, RB_RESAMPLE_CHART_FAN, "Resampled histories: value over time", NULL, r->dates,
                        FAN_HEIGHT);
    fputs("unset title\n", f);
    rb_chart_time_axis_max(f, x->time[0], x->time[x->T - 1], midnight, 6);
    fputs("set logscale y\nset format y \"%.0f\"\n", f);
    fprintf(f, "set yrange [%.12g:%.12g]\n", lo * 0.9, hi * 1.1);
    fputs("set ylabel \"value (USD, log scale)\"\nunset xlabel\n", f);
    fputs("set lmargin 11\nset rmargin 2\nset datafile missing \"NaN\"\n", f);
    fputs("set key top left Left reverse samplen 2 font \",9\" noopaque\n", f);
    panels(f, r, x);
    /* A multiplot cannot be replotted: the SVG draws it again. */
    fprintf(f, "set terminal svg noenhanced size %d,%d font \"" FONT "\" background \"white\"\n"
               "set output \"fan.svg\"\n",
            WIDTH, FAN_HEIGHT);
    panels(f, r, x);
    fputs("unset output\n", f);
    if ((st = rb_chart_file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}
