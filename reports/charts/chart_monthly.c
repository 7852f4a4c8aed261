/* chart_monthly.c - chart 8: the monthly returns of the best run (the run itself in the
 * report of one run; buy-and-hold when no family has a best) as a year x month grid with a
 * column for the year, each cell coloured from losses (red) to gains (blue) and labelled
 * with its return, from the engine's period table (engine/periods.h), as monthly_returns.csv
 * has it (chart_frame.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "chart_frame.h"
#include "periods.h"

static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* The series shown: the first best with returns, else the first series with returns. */
static const rb_report_series *shown(const rb_report *r)
{
    const rb_report_series *any = NULL;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (!s->ret || !s->time || s->T < 2) continue;
        if (s->role == RB_SERIES_BEST) return s;
        if (!any) any = s;
    }
    return any;
}

/* The script after its head, for one terminal. */
static void grid(FILE *f, const rb_month_table *tab, double span)
{
    fputs("set view map\nunset grid\nset border 0\nset tics scale 0\n", f);
    fputs("set palette defined (-1 \"#B2182B\", -0.5 \"#EF8A62\", 0 \"#F7F7F7\", 0.5 \"#67A9CF\", 1 \"#2166AC\")\n", f);
    fprintf(f, "set cbrange [%.6g:%.6g]\nset cblabel \"return (%%)\"\nset colorbox\n", -span, span);
    fputs("set xrange [0.5:14]\nset x2tics (", f);
    for (int m = 0; m < 12; m++) fprintf(f, "\"%s\" %d, ", months[m], m + 1);
    fputs("\"Year\" 13.5)\nunset xtics\n", f);
    fprintf(f, "set yrange [%zu.5:-0.5]\nset ytics (", tab->years - 1);
    size_t step = (tab->years + 39) / 40;
    for (size_t y = 0; y < tab->years; y++)
        if (y % step == 0) fprintf(f, "%s\"%d\" %zu", y ? ", " : "", tab->first_year + (int)y, y);
    fputs(")\n", f);
    fputs("plot \"monthly.dat\" using 1:2:(0.48):(0.46):3 with boxxyerror fs solid 1 noborder fc palette, \\\n"
          "  \"monthly.dat\" using 1:2:(sprintf(\"%.1f\", $3)) with labels font \",8\" tc rgb \"#202020\"\n",
          f);
}

rb_status rb_chart_monthly(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready, rb_error *err)
{
    const rb_report_series *s = shown(r);
    if (!s) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "no series has returns to tabulate");
        return RB_OK;
    }
    rb_month_table tab;
    rb_status st = rb_periods_monthly_of(s->time, s->ret, s->T, &tab, err);
    if (st) return st;
    rb_chart_file data, gp;
    if ((st = rb_chart_file_open(&data, cdir, "monthly", ".dat", err))) goto done;
    fputs("# monthly: column (1-12 the months, 13.5 the year), row (0 the first year), return (%)\n", data.f);
    double span = 0;
    for (size_t y = 0; y < tab.years; y++)
        for (int c = 0; c < 13; c++) {
            double v = 100.0 * tab.cell[y * 13 + (size_t)c];
            if (!isfinite(v)) continue;
            fprintf(data.f, "%g %zu ", c < 12 ? c + 1.0 : 13.5, y);
            rb_chart_num(data.f, v);
            fputc('\n', data.f);
            if (c < 12 && fabs(v) > span) span = fabs(v);
        }
    if ((st = rb_chart_file_close(&data, err))) goto done;
    if (!(span > 0)) span = 1;
    int height = tab.years <= 18 ? HEIGHT : 160 + 28 * (int)(tab.years < 60 ? tab.years : 60);
    if ((st = rb_chart_file_open(&gp, cdir, "monthly", ".gp", err))) goto done;
    FILE *f = gp.f;
    char extra[320];
    snprintf(extra, sizeof extra, "%.300s", s->label[0] ? s->label : s->family);
    rb_chart_script_head_as(f, r, RB_CHART_MONTHLY, extra, r->dates, height);
    grid(f, &tab, span);
    fprintf(f, "set terminal svg noenhanced size %d,%d font \"" FONT "\" background \"white\"\n"
               "set output \"monthly.svg\"\nreplot\nunset output\n",
            WIDTH, height);
    if ((st = rb_chart_file_close(&gp, err))) goto done;
    *ready = 1;
done:
    free(tab.cell);
    return st;
}
