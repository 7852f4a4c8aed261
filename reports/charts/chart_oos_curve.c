/* chart_oos_curve.c - the out-of-sample test's curve (charts.h: rb_chart_oos_curve): the
 * stitched test parts of the windows' winners against the in-sample winner over the same bars,
 * on a log scale, each window's start marked (chart_frame.h). */
#include <math.h>
#include <stdio.h>

#include "chart_frame.h"
#include "charts.h"

#define NAME "oos_curve"
#define OOS_COLOUR "#0072B2"
#define IS_COLOUR "#D55E00"

rb_status rb_chart_oos_curve(const rb_oos_result *oos, const char *subtitle, const char *cdir, int *ready,
                             rb_error *err)
{
    *ready = 0;
    if (oos->npoints < 2) return RB_OK;
    int midnight = 1;
    double lo = INFINITY, hi = -INFINITY;
    rb_chart_file data, gp;
    rb_status st = rb_chart_file_open(&data, cdir, NAME, ".dat", err);
    if (st) return st;
    for (size_t k = 0; k < oos->npoints; k++)
        if (oos->curve[k].time % 86400 != 0) midnight = 0;
    fputs("# date stitched_out_of_sample in_sample_winner\n", data.f);
    for (size_t k = 0; k < oos->npoints; k++) {
        const rb_oos_point *p = &oos->curve[k];
        rb_chart_date(data.f, p->time, midnight);
        fputc(' ', data.f);
        rb_chart_num(data.f, p->oos_value);
        fputc(' ', data.f);
        rb_chart_num(data.f, p->is_value);
        fputc('\n', data.f);
        double v[2] = {p->oos_value, p->is_value};
        for (int j = 0; j < 2; j++)
            if (isfinite(v[j]) && v[j] > 0) lo = v[j] < lo ? v[j] : lo, hi = v[j] > hi ? v[j] : hi;
    }
    if ((st = rb_chart_file_close(&data, err))) return st;
    if (!(lo <= hi)) return RB_OK;
    if (hi <= lo) hi = lo * 1.1, lo = lo / 1.1;
    if ((st = rb_chart_file_open(&gp, cdir, NAME, ".gp", err))) return st;
    FILE *f = gp.f;
    char extra[160];
    snprintf(extra, sizeof extra, "%.96s, winners by %.48s", oos->scheme, oos->by);
    rb_chart_named_head(f, NAME, "Out of sample: stitched test parts vs the in-sample winner", extra,
                        subtitle, HEIGHT);
    rb_chart_time_axis(f, oos->curve[0].time, oos->curve[oos->npoints - 1].time, midnight);
    fputs("set xlabel \"date (dotted lines: each window's test part starts)\"\n", f);
    fputs("set logscale y\n", f);
    fprintf(f, "set yrange [%.12g:%.12g]\n", lo / 1.04, hi * 1.04);
    fputs("set ylabel \"portfolio value (USD, log scale)\"\n", f);
    for (size_t w = 0; w < oos->nwindows; w++) {
        fprintf(f, "set arrow from first %lld, graph 0 to first %lld, graph 1 nohead lc rgb \"#A0A0A0\" dt 3\n",
                (long long)oos->windows[w].test_start, (long long)oos->windows[w].test_start);
    }
    rb_chart_key_below(f, 60, 2);
    fputs("plot \\\n", f);
    fprintf(f, "  \"" NAME ".dat\" using 1:2 with lines lc rgb \"" OOS_COLOUR "\" lw 2 title "
               "\"stitched test parts (each window's winner)\", \\\n");
    fputs("  \"" NAME ".dat\" using 1:3 with lines lc rgb \"" IS_COLOUR "\" lw 1.4 dt 2 title ", f);
    char who[160];
    snprintf(who, sizeof who, "in-sample winner, config %lld [%s]", (long long)oos->is_id, oos->is_section);
    rb_chart_label(f, oos->is_id ? who : "in-sample winner", KEY_MAX + 16);
    fputc('\n', f);
    rb_chart_named_tail(f, NAME);
    if ((st = rb_chart_file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}
