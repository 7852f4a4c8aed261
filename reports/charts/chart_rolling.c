/* chart_rolling.c - chart 9: every series' rolling one-year Sharpe ratio (top panel) and
 * annualized volatility (bottom panel) over time, from the engine's rolling table
 * (engine/periods.h), as rolling_1y.csv has it; the series in their usual styles
 * (chart_frame.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "chart_frame.h"
#include "error.h"
#include "periods.h"

#define ROLLING_HEIGHT 820

/* The two panels, for one terminal: blocks of rolling.dat in series order. */
static void panels(FILE *f, const rb_report *r, const rb_chart_families *fm, const int *block, size_t n,
                   size_t longest)
{
    fputs("set multiplot layout 2,1 title ", f);
    rb_chart_title_literal(f, RB_CHART_ROLLING, NULL, r->dates);
    fputs(" font \",13\"\n", f);
    for (int panel = 0; panel < 2; panel++) {
        fprintf(f, "set ylabel \"%s\"\n", panel == 0 ? "Sharpe ratio, one year" : "volatility, one year (%)");
        if (panel == 0) fputs("unset key\nset format x \"\"\nunset xlabel\n", f);
        else {
            fputs("set format x\nset xlabel \"date (the end of each year of bars)\"\n", f);
            rb_chart_key_below(f, longest, n);
        }
        fputs("plot \\\n", f);
        size_t drawn = 0;
        for (size_t k = 0; k < r->nseries; k++) {
            if (block[k] < 0) continue;
            const rb_report_series *s = &r->series[k];
            fprintf(f, "  \"rolling.dat\" index %d using 1:%d with lines ", block[k], panel == 0 ? 2 : 3);
            rb_chart_series_line(f, fm, s, n);
            fputs(" title ", f);
            rb_chart_label(f, s->label[0] ? s->label : s->family, KEY_MAX);
            fputs(++drawn < n ? ", \\\n" : "\n", f);
        }
    }
    fputs("unset multiplot\n", f);
}

rb_status rb_chart_rolling(const rb_report *r, const char *cdir, const rb_chart_families *fm, rb_chart_outcome *o,
                           int *ready, rb_error *err)
{
    int *block = rb_malloc((r->nseries ? r->nseries : 1) * sizeof *block);
    if (!block) return rb_fail(err, RB_ERR_NOMEM, "charts: out of memory");
    rb_chart_file data, gp;
    rb_status st = rb_chart_file_open(&data, cdir, "rolling", ".dat", err);
    if (st) goto done;
    fputs("# rolling: date, Sharpe ratio, volatility (%) over the year of bars ending there; one block per "
          "series in the order of rolling.gp\n",
          data.f);
    size_t n = 0, longest = 0;
    rb_time t0 = 0, t1 = 0;
    int midnight = 1;
    for (size_t k = 0; k < r->nseries && st == RB_OK; k++) {
        const rb_report_series *s = &r->series[k];
        block[k] = -1;
        if (!s->ret || !s->time || s->T < 2) continue;
        rb_rolling ro;
        st = rb_periods_rolling_of(s->time, s->ret, s->T, s->metrics.periods_per_year, s->metrics.rf, &ro, err);
        if (st || ro.rows == 0) continue;
        if (!rb_chart_all_midnights(s->time, s->T)) midnight = 0;
        for (size_t i = 0; i < ro.rows; i++) {
            rb_time t = (rb_time)ro.when[i];
            rb_chart_date(data.f, t, midnight);
            fputc(' ', data.f);
            rb_chart_num(data.f, ro.sharpe[i]);
            fputc(' ', data.f);
            rb_chart_num(data.f, 100.0 * ro.vol[i]);
            fputc('\n', data.f);
            if (n == 0 && i == 0) t0 = t1 = t;
            if (t < t0) t0 = t;
            if (t > t1) t1 = t;
        }
        fputs("\n\n", data.f);
        free(ro.owned);
        block[k] = (int)n++;
        size_t c = rb_chart_shown_chars(s->label, KEY_MAX);
        if (c > longest) longest = c;
    }
    rb_status cst = rb_chart_file_close(&data, err);
    if (st || (st = cst)) goto done;
    if (n == 0) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "no series has a whole year of returns");
        goto done;
    }
    if ((st = rb_chart_file_open(&gp, cdir, "rolling", ".gp", err))) goto done;
    FILE *f = gp.f;
    rb_chart_script_head_as(f, r, RB_CHART_ROLLING, NULL, r->dates, ROLLING_HEIGHT);
    fputs("unset title\nset datafile missing \"NaN\"\nset yzeroaxis\nset xzeroaxis lt -1 lc rgb \"#808080\"\n", f);
    fputs("set lmargin 10\nset rmargin 3\nset ytics out nomirror\n", f);
    rb_chart_time_axis(f, t0, t1 > t0 ? t1 : t0 + 86400, midnight);
    panels(f, r, fm, block, n, longest);
    /* A multiplot cannot be replotted: the SVG draws it again. */
    fprintf(f, "set terminal svg noenhanced size %d,%d font \"" FONT "\" background \"white\"\n"
               "set output \"rolling.svg\"\n",
            WIDTH, ROLLING_HEIGHT);
    panels(f, r, fm, block, n, longest);
    fputs("unset output\n", f);
    if ((st = rb_chart_file_close(&gp, err))) goto done;
    *ready = 1;
done:
    free(block);
    return st;
}
