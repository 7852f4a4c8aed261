/* chart_oos_ranks.c - the out-of-sample test's ranks (charts.h: rb_chart_oos_ranks): in each
 * window, where the training part's winner ranks on the test part among every configuration
 * (as a percentile, best at the top), beside the in-sample winner's, over the top decile's line
 * (chart_frame.h). In sample, the window's winner ranks first by construction. */
#include <math.h>
#include <stdio.h>

#include "chart_frame.h"
#include "charts.h"

#define NAME "oos_ranks"

static double pct(uint64_t rank, uint64_t ranked) { return rank && ranked ? 100.0 * (double)rank / (double)ranked : NAN; }

rb_status rb_chart_oos_ranks(const rb_oos_result *oos, const char *subtitle, const char *cdir, int *ready,
                             rb_error *err)
{
    *ready = 0;
    if (oos->nwindows == 0) return RB_OK;
    rb_chart_file data, gp;
    rb_status st = rb_chart_file_open(&data, cdir, NAME, ".dat", err);
    if (st) return st;
    fputs("# window winner_test_rank_percent in_sample_winner_test_rank_percent\n", data.f);
    for (size_t w = 0; w < oos->nwindows; w++) {
        const rb_oos_window *x = &oos->windows[w];
        fprintf(data.f, "%zu ", w + 1);
        rb_chart_num(data.f, pct(x->test_rank, x->ranked));
        fputc(' ', data.f);
        rb_chart_num(data.f, pct(x->is_test_rank, x->ranked));
        fputc('\n', data.f);
    }
    if ((st = rb_chart_file_close(&data, err))) return st;
    if ((st = rb_chart_file_open(&gp, cdir, NAME, ".gp", err))) return st;
    FILE *f = gp.f;
    char extra[160];
    snprintf(extra, sizeof extra, "%.96s, ranked by %.48s", oos->scheme, oos->by);
    rb_chart_named_head(f, NAME, "Out of sample: each window's winner ranked on its test part", extra, subtitle,
                        HEIGHT);
    fprintf(f, "set xrange [0.5:%zu.5]\n", oos->nwindows);
    fprintf(f, "set xtics 1,%zu\n", oos->nwindows > 24 ? (oos->nwindows + 11) / 12 : 1);
    fputs("set xlabel \"window (in sample, on its training part, each window's winner ranks 1st)\"\n", f);
    fputs("set yrange [100:0]\nset ytics 0,10,100\n", f);
    fputs("set ylabel \"rank on the test part (percent of the configurations; best at the top)\"\n", f);
    fputs("set arrow from graph 0, first 10 to graph 1, first 10 nohead lc rgb \"#009E73\" lw 1.5 dt 2\n", f);
    fputs("set label \"top decile\" at graph 0.01, first 8 tc rgb \"#009E73\"\n", f);
    rb_chart_key_below(f, 60, 2);
    fputs("plot \\\n", f);
    fputs("  \"" NAME ".dat\" using 1:2 with linespoints pt 7 ps 1.2 lc rgb \"#0072B2\" lw 1.5 "
          "title \"the window's winner (chosen on its training part)\", \\\n", f);
    fputs("  \"" NAME ".dat\" using 1:3 with linespoints pt 5 ps 1 lc rgb \"#D55E00\" lw 1 dt 2 "
          "title \"the in-sample winner (the whole period's best)\"\n", f);
    rb_chart_named_tail(f, NAME);
    if ((st = rb_chart_file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}
