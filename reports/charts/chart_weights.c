/* chart_weights.c - chart 3: one run's weights over time as stacked areas against its
 * targets, with its rebalances marked along the top (chart_frame.h). */
#include <math.h>
#include <stdio.h>

#include "chart_frame.h"

/* Twelve qualitative colours (Paul Tol's "muted" and "bright" sets with Okabe-Ito's orange)
 * ordered so that neighbours in the stack alternate dark and light and differ in hue: with ten
 * assets every band is told from the ones it touches. */
static const char *const symbol_colours[] = {"#332288", "#E69F00", "#117733", "#88CCEE", "#882255", "#DDCC77",
                                             "#0072B2", "#CC6677", "#44AA99", "#AA4499", "#999933", "#BBBBBB"};
#define NSYMCOLOURS (sizeof symbol_colours / sizeof symbol_colours[0])

rb_status rb_chart_weights(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready,
                               rb_error *err)
{
    const rb_report_weights *w = &r->weights;
    if (!r->has_weights || w->T == 0 || w->N == 0 || !w->time || !w->weights) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "%s",
                 r->has_weights ? "the chosen run has no bars or no assets" : "no run's weights were kept");
        return RB_OK;
    }
    int midnight = rb_chart_all_midnights(w->time, w->T) && rb_chart_all_midnights(w->rebalances, w->nrebalances);
    rb_chart_file data, gp;
    rb_status st = rb_chart_file_open(&data, cdir, "weights", ".dat", err);
    if (st) return st;
    /* date, then the cumulative weights (%) from 0: symbol i fills between columns i+2 and i+3. */
    fputs("# weights: date, 0, then the cumulative end-of-bar weights (%) of the symbols in order\n", data.f);
    double top = 100;
    for (size_t t = 0; t < w->T; t++) {
        rb_chart_date(data.f, w->time[t], midnight);
        fputs(" 0", data.f);
        double cum = 0;
        for (size_t i = 0; i < w->N; i++) {
            double v = w->weights[t * w->N + i];
            if (isfinite(v)) cum += 100.0 * v;
            fputc(' ', data.f);
            rb_chart_num(data.f, cum);
        }
        if (cum > top) top = cum;
        fputc('\n', data.f);
    }
    if ((st = rb_chart_file_close(&data, err))) return st;
    /* The rebalances as a rug in a strip above the stacked area. */
    double rug0 = top * 1.015, rug1 = top * 1.06;
    if ((st = rb_chart_file_open(&data, cdir, "weights_rebalances", ".dat", err))) return st;
    fputs("# weights_rebalances: dates of the rebalances that traded\n", data.f);
    for (size_t k = 0; k < w->nrebalances; k++) {
        rb_chart_date(data.f, w->rebalances[k], midnight);
        fputc('\n', data.f);
    }
    if ((st = rb_chart_file_close(&data, err))) return st;

    if ((st = rb_chart_file_open(&gp, cdir, "weights", ".gp", err))) return st;
    FILE *f = gp.f;
    /* One run: its dates, not the sweep's configurations and shared settings (its label says
     * its own). */
    char sub[sizeof r->subtitle + 16];
    snprintf(sub, sizeof sub, "%s%s", r->dates[0] ? r->dates : r->subtitle, r->dates[0] ? ", one run" : "");
    rb_chart_script_head_as(f, r, RB_CHART_WEIGHTS, w->label, sub, HEIGHT);
    rb_chart_time_axis(f, w->time[0], w->time[w->T - 1], midnight);
    fputs("set xlabel \"date\"\nset ylabel \"weight (% of portfolio, stacked)\"\n", f);
    fprintf(f, "set yrange [0:%.6g]\n", top * 1.07);
    int step = top > 150 ? 50 : 20;
    fprintf(f, "set ytics out nomirror 0,%d,%.6g\n", step, top);
    fputs("set grid noxtics ytics front lc rgb \"#FFFFFF\" lw 0.5\n", f);
    fputs("set style fill solid 0.9 noborder\n", f);
    /* The targets as dashed lines at their cumulative levels (the last one is the top). */
    double cum = 0;
    for (size_t i = 0; i + 1 < w->N && w->target; i++) {
        cum += 100.0 * w->target[i];
        fprintf(f, "set arrow from graph 0, first %.9g to graph 1, first %.9g nohead front lc rgb \"#000000\" lw 1.5 dt 2\n",
                cum, cum);
    }
    size_t longest = 0;
    for (size_t i = 0; i < w->N; i++) {
        size_t c = rb_chart_shown_chars(w->symbols && w->symbols[i] ? w->symbols[i] : "", AXIS_MAX) + 16;
        if (c > longest) longest = c;
    }
    rb_chart_key_below(f, longest, w->N + 2);
    fputs("plot \\\n", f);
    for (size_t i = 0; i < w->N; i++) {
        fprintf(f, "  \"weights.dat\" using 1:%zu:%zu with filledcurves fc rgb \"%s\" title \"", i + 2, i + 3,
                symbol_colours[i % NSYMCOLOURS]);
        rb_chart_label_body(f, w->symbols && w->symbols[i] ? w->symbols[i] : "?", AXIS_MAX);
        if (w->target) fprintf(f, " (target %.3g\\045)", 100.0 * w->target[i]);
        fputs("\", \\\n", f);
    }
    fputs("  NaN with lines lc rgb \"#000000\" lw 1.5 dt 2 title \"targets (cumulative)\"", f);
    if (w->nrebalances)
        fprintf(f,
                ", \\\n  \"weights_rebalances.dat\" using 1:(%.6g):(0):(%.6g) with vectors nohead lc rgb \"#303030\" "
                "lw 1 title \"rebalances (%zu, marked along the top)\"\n",
                rug0, rug1 - rug0, w->nrebalances);
    else
        fputs(", \\\n  NaN with lines lc rgb \"#FFFFFF\" title \"no rebalance traded\"\n", f);
    rb_chart_script_tail(f, RB_CHART_WEIGHTS);
    if ((st = rb_chart_file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}
