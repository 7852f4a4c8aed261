/* chart_excess.c - chart 7: each family's excess over buy-and-hold split into rebalancing
 * bonus, drift, cost drag and tax drag (chart_frame.h). */
#include <stdio.h>

#include "chart_frame.h"

rb_status rb_chart_excess(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready, rb_error *err)
{
    size_t nf = 0;
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].role == RB_SERIES_BEST && r->series[k].has_split) nf++;
    if (nf == 0) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "no strategy family's excess over buy-and-hold was decomposed");
        return RB_OK;
    }
    rb_chart_file data, gp;
    rb_status st = rb_chart_file_open(&data, cdir, "excess", ".dat", err);
    if (st) return st;
    /* Families from the top: row i sits at y = nf - 1 - i. */
    fputs("# excess: y position, bonus, drift, cost drag, tax drag, total excess (% per year)\n", data.f);
    size_t i = 0;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->role != RB_SERIES_BEST || !s->has_split) continue;
        fprintf(data.f, "%zu", nf - 1 - i);
        const double parts[5] = {s->split.bonus, s->split.drift, s->split.cost_drag, s->split.tax_drag,
                                 s->split.excess};
        for (int p = 0; p < 5; p++) {
            fputc(' ', data.f);
            rb_chart_num(data.f, 100.0 * parts[p]);
        }
        fputc('\n', data.f);
        i++;
    }
    if ((st = rb_chart_file_close(&data, err))) return st;

    if ((st = rb_chart_file_open(&gp, cdir, "excess", ".gp", err))) return st;
    FILE *f = gp.f;
    rb_chart_script_head(f, r, RB_CHART_EXCESS, NULL);
    fputs("set xlabel \"difference in after-tax growth rate against buy-and-hold (percentage points per year)\"\n", f);
    fputs("set grid xtics noytics\nset yzeroaxis lt -1 lw 1.5 lc rgb \"#000000\"\n", f);
    fputs("set xtics out nomirror\nset format x \"%g\"\n", f);
    fprintf(f, "set yrange [-0.6:%zu.6]\n", nf - 1);
    fputs("set offsets graph 0.05, graph 0.05, 0, 0\n", f);
    fputs("set ytics out nomirror scale 0 (", f);
    i = 0;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->role != RB_SERIES_BEST || !s->has_split) continue;
        fputs(i ? ", " : "", f);
        rb_chart_label(f, s->family, AXIS_MAX);
        fprintf(f, " %zu", nf - 1 - i);
        i++;
    }
    fputs(")\n", f);
    fputs("set style fill solid 0.9 border lc rgb \"#303030\"\n", f);
    fputs("set key below center horizontal Left reverse samplen 2 height 1 maxcols 5\n", f);
    /* Four bars per family, each 0.18 high, from the top: bonus, drift, cost, tax. */
    static const char *const part_names[4] = {"rebalancing bonus", "drift", "cost drag", "tax drag"};
    static const char *const part_colours[4] = {"#009E73", "#56B4E9", "#D55E00", "#CC79A7"};
    static const double offs[4] = {0.3, 0.1, -0.1, -0.3};
    fputs("plot \\\n", f);
    for (int p = 0; p < 4; p++) {
        int c = p + 2;
        fprintf(f,
                "  \"excess.dat\" using (0):($1 + %.2f):($%d < 0 ? $%d : 0):($%d < 0 ? 0 : $%d):($1 + %.2f):($1 + %.2f) "
                "with boxxyerror fc rgb \"%s\" title \"%s\", \\\n",
                offs[p], c, c, c, c, offs[p] - 0.09, offs[p] + 0.09, part_colours[p], part_names[p]);
    }
    fputs("  \"excess.dat\" using 6:1 with points pt 13 ps 2.4 lc rgb \"#000000\" title \"total excess (after tax)\"\n",
          f);
    rb_chart_script_tail(f, RB_CHART_EXCESS);
    if ((st = rb_chart_file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}
