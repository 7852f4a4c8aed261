/* chart_frontier.c - chart 5: every configuration as a point, costs (or turnover) against
 * tracking error, coloured by family, with buy-and-hold and every-bar rebalancing marked
 * (chart_frame.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "chart_frame.h"
#include "error.h"

/* 1234567 as "1,234,567". */
static const char *grouped(char *buf, size_t cap, uint64_t v)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

rb_status rb_chart_frontier(const rb_report *r, const char *cdir, const rb_chart_families *fm, rb_chart_outcome *o,
                                int *ready, rb_error *err)
{
    const rb_report_frontier *fr = &r->frontier;
    if (fr->npoints == 0 || !fr->x || !fr->y || !fr->family) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "no swept configurations to place against the two ends");
        return RB_OK;
    }
    size_t nf = fr->nfamilies;
    size_t *count = calloc(nf + 1, sizeof *count);
    if (!count) return rb_fail(err, RB_ERR_NOMEM, "charts: out of memory");
    for (size_t k = 0; k < fr->npoints; k++) count[fr->family[k] < nf ? fr->family[k] : nf]++;

    rb_chart_file data, gp;
    rb_status st = rb_chart_file_open(&data, cdir, "frontier", ".dat", err);
    if (st) goto done;
    /* One block per family that has points, in family order; points of an unknown family
     * index last. */
    fputs("# frontier: x, y; one block per family in the order of frontier.gp\n", data.f);
    for (size_t g = 0; g <= nf; g++) {
        if (!count[g]) continue;
        for (size_t k = 0; k < fr->npoints; k++) {
            size_t fam = fr->family[k] < nf ? fr->family[k] : nf;
            if (fam != g) continue;
            rb_chart_num(data.f, fr->x[k]);
            fputc(' ', data.f);
            rb_chart_num(data.f, fr->y[k]);
            fputc('\n', data.f);
        }
        fputs("\n\n", data.f);
    }
    if ((st = rb_chart_file_close(&data, err))) goto done;
    if ((st = rb_chart_file_open(&data, cdir, "frontier_ends", ".dat", err))) goto done;
    fputs("# frontier_ends: x, y of buy-and-hold, then of every-bar rebalancing\n", data.f);
    rb_chart_num(data.f, fr->hold_x);
    fputc(' ', data.f);
    rb_chart_num(data.f, fr->hold_y);
    fputc('\n', data.f);
    rb_chart_num(data.f, fr->every_x);
    fputc(' ', data.f);
    rb_chart_num(data.f, fr->every_y);
    fputc('\n', data.f);
    if ((st = rb_chart_file_close(&data, err))) goto done;

    if ((st = rb_chart_file_open(&gp, cdir, "frontier", ".gp", err))) goto done;
    FILE *f = gp.f;
    char note[128] = "";
    if (fr->sampled_from > fr->npoints)
    {
        char a[32], b[32];
        snprintf(note, sizeof note, "a sample of %s of %s configurations", grouped(a, sizeof a, fr->npoints),
                 grouped(b, sizeof b, fr->sampled_from));
    }
    rb_chart_script_head(f, r, RB_CHART_FRONTIER, note);
    fputs("set xlabel ", f);
    rb_chart_label(f, fr->x_label[0] ? fr->x_label : "x", TITLE_MAX);
    fputs("\nset ylabel ", f);
    rb_chart_label(f, fr->y_label[0] ? fr->y_label : "y", TITLE_MAX);
    fputs("\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.03\n", f);
    /* The two ends, named next to their markers: the one further right is named on its left,
     * so that its name stays inside the plot. */
    int hold_right = fr->hold_x >= fr->every_x;
    if (isfinite(fr->hold_x) && isfinite(fr->hold_y))
        fprintf(f, "set label 11 \"buy-and-hold\" at %.12g, %.12g %s front font \",11\"\n", fr->hold_x, fr->hold_y,
                hold_right ? "right offset -1.6, 1.2" : "left offset 1.6, 1.2");
    if (isfinite(fr->every_x) && isfinite(fr->every_y))
        fprintf(f, "set label 12 \"every-bar rebalancing\" at %.12g, %.12g %s front font \",11\"\n", fr->every_x,
                fr->every_y, hold_right ? "left offset 1.6, 1.2" : "right offset -1.6, 1.2");
    /* Many points: smaller, translucent markers so that dense regions stay readable. */
    double ps = fr->npoints <= 500 ? 0.9 : fr->npoints <= 5000 ? 0.6 : 0.4;
    const char *alpha = fr->npoints <= 2000 ? "00" : fr->npoints <= 10000 ? "60" : "90";
    size_t longest = 24, entries = 2;
    for (size_t g = 0; g <= nf; g++)
        if (count[g]) {
            size_t c = rb_chart_shown_chars(g < nf ? fr->families[g] : "other", KEY_MAX);
            if (c > longest) longest = c;
            entries++;
        }
    rb_chart_key_below(f, longest, entries);
    fputs("plot \\\n", f);
    size_t block = 0;
    for (size_t g = 0; g <= nf; g++) {
        if (!count[g]) continue;
        int k = g < nf ? rb_chart_families_index(fm, fr->families[g]) : -1;
        const char *colour = k >= 0 ? rb_chart_colour((size_t)k) : "#606060";
        /* The points without a key entry, then an opaque, larger marker for the key. */
        fprintf(f, "  \"frontier.dat\" index %zu using 1:2 with points pt 7 ps %.2f lc rgb \"#%s%s\" notitle, \\\n",
                block, ps, alpha, colour + 1);
        fprintf(f, "  NaN with points pt 7 ps 1.5 lc rgb \"%s\" title ", colour);
        rb_chart_label(f, g < nf ? fr->families[g] : "other", KEY_MAX);
        fputs(", \\\n", f);
        block++;
    }
    fputs("  \"frontier_ends.dat\" every ::0::0 using 1:2 with points pt 5 ps 2.6 lc rgb \"" HOLD_COLOUR
          "\" title \"buy-and-hold\", \\\n"
          "  \"frontier_ends.dat\" every ::1::1 using 1:2 with points pt 9 ps 3 lc rgb \"#606060\" "
          "title \"every-bar rebalancing\"\n",
          f);
    rb_chart_script_tail(f, RB_CHART_FRONTIER);
    if ((st = rb_chart_file_close(&gp, err))) goto done;
    *ready = 1;
done:
    if (st && data.f) fclose(data.f);
    free(count);
    return st;
}
