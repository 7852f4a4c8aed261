/* chart_excess.c - chart 7: each family's excess over buy-and-hold split into the every-bar
 * gain, drift, cost drag and tax drag (chart_frame.h). The every-bar gain is the same for
 * every family (every-bar rebalancing, free, against holding), so it has a row of its own at
 * the top; each family's row shows what differs between families, with its total marked. */
#include <math.h>
#include <stdio.h>

#include "chart_frame.h"

/* One row of excess.dat: y, every-bar gain, drift, cost drag, (with an overlay: derivatives,)
 * tax drag, total (% per year); NaN where the row has no such bar. */
static void data_row(FILE *f, size_t y, const double *parts, int n)
{
    fprintf(f, "%zu", y);
    for (int p = 0; p < n; p++) {
        fputc(' ', f);
        rb_chart_num(f, 100.0 * parts[p]);
    }
    fputc('\n', f);
}

/* 1 when some family's rule has a perpetual-futures overlay: its split has a derivatives part. */
static int any_overlay(const rb_report *r)
{
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].role == RB_SERIES_BEST && r->series[k].has_split && r->series[k].overlay) return 1;
    return 0;
}

static rb_status write_data(const rb_report *r, size_t nf, const char *cdir, rb_error *err)
{
    rb_chart_file data;
    rb_status st = rb_chart_file_open(&data, cdir, "excess", ".dat", err);
    if (st) return st;
    int deriv = any_overlay(r), n = deriv ? 6 : 5;
    fputs(deriv ? "# excess: y position, every-bar gain, drift, cost drag, funding and derivative fees, tax drag, "
                  "total excess (% per year)\n"
                : "# excess: y position, every-bar gain, drift, cost drag, tax drag, total excess (% per year)\n",
          data.f);
    /* The families from y = nf - 1 down to 0; the shared every-bar gain on top, at y = nf. */
    size_t i = 0;
    double gain = NAN;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->role != RB_SERIES_BEST || !s->has_split) continue;
        if (i == 0) gain = s->split.every_bar_gain;
        if (deriv)
            data_row(data.f, nf - 1 - i,
                     (const double[6]){NAN, s->split.drift, s->split.cost_drag, s->derivatives, s->split.tax_drag,
                                       s->split.excess},
                     n);
        else
            data_row(data.f, nf - 1 - i,
                     (const double[5]){NAN, s->split.drift, s->split.cost_drag, s->split.tax_drag, s->split.excess}, n);
        i++;
    }
    data_row(data.f, nf, (const double[6]){gain, NAN, NAN, NAN, NAN, NAN}, n);
    return rb_chart_file_close(&data, err);
}

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
    rb_status st = write_data(r, nf, cdir, err);
    if (st) return st;

    rb_chart_file gp;
    if ((st = rb_chart_file_open(&gp, cdir, "excess", ".gp", err))) return st;
    FILE *f = gp.f;
    rb_chart_script_head(f, r, RB_CHART_EXCESS, NULL);
    fputs("set xlabel \"difference in after-tax growth rate against buy-and-hold (percentage points per year)\"\n", f);
    fputs("set grid xtics noytics\nset yzeroaxis lt -1 lw 1.5 lc rgb \"#000000\"\n", f);
    fputs("set xtics out nomirror\nset format x \"%g\"\nset datafile missing \"NaN\"\n", f);
    fprintf(f, "set yrange [-0.6:%zu.6]\n", nf);
    fputs("set offsets graph 0.05, graph 0.05, 0, 0\n", f);
    /* A line between the shared row and the families. */
    fprintf(f, "set arrow from graph 0, first %zu.5 to graph 1, first %zu.5 nohead lc rgb \"#9aa5b1\" dt 2\n", nf - 1,
            nf - 1);
    fprintf(f, "set ytics out nomirror scale 0 (\"every bar, free (all families)\" %zu", nf);
    size_t i = 0;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->role != RB_SERIES_BEST || !s->has_split) continue;
        fputs(", ", f);
        rb_chart_label(f, s->family, AXIS_MAX);
        fprintf(f, " %zu", nf - 1 - i);
        i++;
    }
    fputs(")\n", f);
    fputs("set style fill solid 0.9 border lc rgb \"#303030\"\n", f);
    fputs("set key below center horizontal Left reverse samplen 2 height 1 maxcols 5\n", f);
    /* The shared row: one bar; a family's row: three bars, 0.18 high, from the top: drift,
     * cost, tax. */
    static const char *const part_names[4] = {"every-bar gain (shared)", "drift", "cost drag", "tax drag"};
    static const char *const part_colours[4] = {"#009E73", "#56B4E9", "#D55E00", "#CC79A7"};
    static const double offs[4] = {0.0, 0.2, 0.0, -0.2};
    /* With an overlay, four bars a family, 0.14 high: drift, cost, funding and derivative fees, tax. */
    static const char *const deriv_names[5] = {"every-bar gain (shared)", "drift", "cost drag",
                                               "funding and derivative fees", "tax drag"};
    static const char *const deriv_colours[5] = {"#009E73", "#56B4E9", "#D55E00", "#E69F00", "#CC79A7"};
    static const double deriv_offs[5] = {0.0, 0.24, 0.08, -0.08, -0.24};
    int deriv = any_overlay(r), parts = deriv ? 5 : 4;
    fputs("plot \\\n", f);
    for (int p = 0; p < parts; p++) {
        int c = p + 2;
        double off = deriv ? deriv_offs[p] : offs[p], half = p == 0 ? 0.14 : deriv ? 0.07 : 0.09;
        fprintf(f,
                "  \"excess.dat\" using (0):($1 + %.2f):($%d < 0 ? $%d : 0):($%d < 0 ? 0 : $%d):($1 + %.2f):($1 + %.2f) "
                "with boxxyerror fc rgb \"%s\" title \"%s\", \\\n",
                off, c, c, c, c, off - half, off + half, deriv ? deriv_colours[p] : part_colours[p],
                deriv ? deriv_names[p] : part_names[p]);
    }
    fprintf(f, "  \"excess.dat\" using %d:1 with points pt 13 ps 2.4 lc rgb \"#000000\" title \"total excess (after tax)\"\n",
            parts + 2);
    rb_chart_script_tail(f, RB_CHART_EXCESS);
    if ((st = rb_chart_file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}
