/* chart_beat.c - how likely each family beats buy-and-hold on a resampled history (report_
 * resample.h): per family, a bar for its configuration most likely to, and a marker for the
 * mean over its configurations; 50 % marked. */
#include <stdio.h>

#include "chart_frame.h"
#include "report_resample.h"

rb_status rb_chart_beat(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready, rb_error *err)
{
    const rb_report_resample *x = r->resample;
    if (!x || x->nbeat == 0) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "the sweep has no resampled histories");
        return RB_OK;
    }
    rb_chart_file data;
    rb_status st = rb_chart_file_open(&data, cdir, RB_RESAMPLE_CHART_BEAT, ".dat", err);
    if (st) return st;
    fputs("# beat: y position, the best configuration's and the mean probability of beating buy-and-hold (%)\n",
          data.f);
    for (size_t k = 0; k < x->nbeat; k++) {
        fprintf(data.f, "%zu", x->nbeat - 1 - k);
        fputc(' ', data.f);
        rb_chart_num(data.f, 100 * x->beat[k].best_p_beat);
        fputc(' ', data.f);
        rb_chart_num(data.f, 100 * x->beat[k].mean_p_beat);
        fputc('\n', data.f);
    }
    if ((st = rb_chart_file_close(&data, err))) return st;

    rb_chart_file gp;
    if ((st = rb_chart_file_open(&gp, cdir, RB_RESAMPLE_CHART_BEAT, ".gp", err))) return st;
    FILE *f = gp.f;
    char title[200];
    snprintf(title, sizeof title, "Probability of beating buy-and-hold, %s", x->info.method);
    rb_chart_named_head(f, RB_RESAMPLE_CHART_BEAT, title, NULL, r->dates, HEIGHT);
    fputs("set xlabel \"share of resampled histories whose final value is above buy-and-hold's (%)\"\n", f);
    fputs("set xrange [0:100]\nset grid xtics noytics\nset xtics 10 out nomirror\n", f);
    fprintf(f, "set yrange [-0.6:%zu.6]\n", x->nbeat - 1);
    fputs("set arrow from 50, graph 0 to 50, graph 1 nohead lc rgb \"#000000\" dt 2\n", f);
    fputs("set ytics out nomirror scale 0 (", f);
    for (size_t k = 0; k < x->nbeat; k++) {
        if (k) fputs(", ", f);
        rb_chart_label(f, x->beat[k].family, AXIS_MAX);
        fprintf(f, " %zu", x->nbeat - 1 - k);
    }
    fputs(")\n", f);
    fputs("set style fill solid 0.85 border lc rgb \"#303030\"\n", f);
    fputs("set key below center horizontal Left reverse samplen 2\n", f);
    fputs("plot \\\n"
          "  \"beat.dat\" using (0):1:(0):2:($1 - 0.3):($1 + 0.3) with boxxyerror fc rgb \"#0072B2\" "
          "title \"its configuration most likely to beat buy-and-hold\", \\\n"
          "  \"beat.dat\" using 3:1 with points pt 7 ps 1.8 lc rgb \"#D55E00\" title \"mean over its "
          "configurations\"\n",
          f);
    rb_chart_named_tail(f, RB_RESAMPLE_CHART_BEAT);
    if ((st = rb_chart_file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}
