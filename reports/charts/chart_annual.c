/* chart_annual.c - chart 6: each series' return in every calendar year, as clustered bars
 * (chart_frame.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "chart_frame.h"
#include "error.h"
#include "alloc.h"

static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

rb_status rb_chart_annual(const rb_report *r, const char *cdir, const rb_chart_families *fm, rb_chart_outcome *o,
                              int *ready, rb_error *err)
{
    size_t total = 0, nser = 0, longest = 0;
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].nyears && r->series[k].years && r->series[k].annual) {
            total += r->series[k].nyears;
            nser++;
            size_t c = rb_chart_shown_chars(r->series[k].label, KEY_MAX);
            if (c > longest) longest = c;
        }
    if (total == 0) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "no series has annual returns");
        return RB_OK;
    }
    /* The union of the series' years, ascending. */
    int *years = rb_malloc(total * sizeof *years);
    if (!years) return rb_fail(err, RB_ERR_NOMEM, "charts: out of memory");
    size_t ny = 0;
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].years && r->series[k].annual)
            for (size_t i = 0; i < r->series[k].nyears; i++) years[ny++] = r->series[k].years[i];
    qsort(years, ny, sizeof *years, int_cmp);
    size_t u = 0;
    for (size_t i = 0; i < ny; i++)
        if (u == 0 || years[i] != years[u - 1]) years[u++] = years[i];
    ny = u;

    rb_chart_file data, gp;
    rb_status st = rb_chart_file_open(&data, cdir, "annual", ".dat", err);
    if (st) goto done;
    fputs("# annual: year, then each series' return that year (%, NaN: no data), in the order of annual.gp\n",
          data.f);
    for (size_t i = 0; i < ny; i++) {
        fprintf(data.f, "%d", years[i]);
        for (size_t k = 0; k < r->nseries; k++) {
            const rb_report_series *s = &r->series[k];
            if (!s->nyears || !s->years || !s->annual) continue;
            double v = NAN;
            for (size_t j = 0; j < s->nyears; j++)
                if (s->years[j] == years[i]) v = 100.0 * s->annual[j];
            fputc(' ', data.f);
            rb_chart_num(data.f, v);
        }
        fputc('\n', data.f);
    }
    if ((st = rb_chart_file_close(&data, err))) goto done;

    if ((st = rb_chart_file_open(&gp, cdir, "annual", ".gp", err))) goto done;
    FILE *f = gp.f;
    rb_chart_script_head(f, r, RB_CHART_ANNUAL, NULL);
    /* Bars narrower than about 6 pixels lose their borders, which would hide the colour. */
    double bar_px = (WIDTH - 160.0) / ((double)ny * (double)(nser + 1));
    fputs("set style data histograms\nset style histogram clustered gap 1\n", f);
    fprintf(f, "set style fill solid 0.9 %s\n", bar_px >= 6 ? "border lc rgb \"#303030\"" : "noborder");
    fputs("set boxwidth 1 relative\n", f);
    fputs("set grid noxtics ytics\nset xzeroaxis lt -1 lc rgb \"#404040\"\n", f);
    fputs("set xlabel \"calendar year (the first and last may be partial)\"\n"
          "set ylabel \"return in the year (%)\"\nset format y \"%g\"\n",
          f);
    fprintf(f, "set xrange [-0.6:%zu.6]\n", ny - 1);
    size_t step = (ny + 19) / 20; /* at most 20 year labels */
    rb_chart_key_below(f, longest, nser);
    fputs("plot \\\n", f);
    size_t col = 2, done_ser = 0;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (!s->nyears || !s->years || !s->annual) continue;
        fprintf(f, "  \"annual.dat\" using %zu", col);
        if (col == 2) fprintf(f, ":xtic(int($0) %% %zu == 0 ? sprintf(\"%%d\", $1) : \"\")", step);
        fprintf(f, " lc rgb \"%s\" title ", rb_chart_series_colour(fm, s));
        rb_chart_label(f, s->label[0] ? s->label : s->family, KEY_MAX);
        done_ser++;
        fputs(done_ser < nser ? ", \\\n" : "\n", f);
        col++;
    }
    rb_chart_script_tail(f, RB_CHART_ANNUAL);
    if ((st = rb_chart_file_close(&gp, err))) goto done;
    *ready = 1;
done:
    free(years);
    return st;
}
