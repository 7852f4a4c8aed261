/* chart_frontier.c - chart 5: every configuration as a point, costs (or turnover) against
 * tracking error, coloured by family, with buy-and-hold and every-bar rebalancing marked
 * (chart_frame.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "chart_frame.h"
#include "error.h"
#include "alloc.h"

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

/* Filled markers, one shape per family (circle, square, diamond, triangles, pentagon), so that
 * families stay apart where colours come close or points overlap. */
static int family_marker(int k)
{
    static const int shapes[] = {7, 5, 13, 9, 11, 15};
    return shapes[(size_t)(k < 0 ? 0 : k) % (sizeof shapes / sizeof *shapes)];
}

/* Costs, turnover and tracking error are never negative: both axes start at 0 (or at the least
 * value, should one be negative) and end a little past the largest value, the two ends and the
 * best included. */
static void axis_ranges(FILE *f, const rb_report_frontier *fr)
{
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    const double ex[] = {fr->hold_x, fr->every_x, fr->best_x}, ey[] = {fr->hold_y, fr->every_y, fr->best_y};
    for (size_t k = 0; k < fr->npoints + 3; k++) {
        double x = k < fr->npoints ? fr->x[k] : ex[k - fr->npoints];
        double y = k < fr->npoints ? fr->y[k] : ey[k - fr->npoints];
        if (!isfinite(x) || !isfinite(y)) continue;
        x0 = fmin(x0, x), x1 = fmax(x1, x);
        y0 = fmin(y0, y), y1 = fmax(y1, y);
    }
    if (x1 <= x0) x1 = x0 + 1;
    if (y1 <= y0) y1 = y0 + 1;
    /* Room for the markers and their names at the top and right. */
    fprintf(f, "set xrange [%.12g:%.12g]\nset yrange [%.12g:%.12g]\n", x0 < 0 ? x0 - 0.04 * (x1 - x0) : 0,
            x1 + 0.06 * (x1 - x0), y0 < 0 ? y0 - 0.05 * (y1 - y0) : 0, y1 + 0.10 * (y1 - y0));
}

/* The best configuration: a ring around its point, named. */
static void best_marker(FILE *f, const rb_report_frontier *fr)
{
    if (!isfinite(fr->best_x) || !isfinite(fr->best_y)) return;
    fputs("set label 13 ", f);
    char text[300];
    snprintf(text, sizeof text, "best: %s", fr->best_label);
    rb_chart_label(f, text, KEY_MAX + 6);
    fprintf(f, " at %.12g, %.12g left offset 1.8, -1.2 front font \",11\" point pt 6 ps 3.2 lw 2 lc rgb \"#000000\"\n",
            fr->best_x, fr->best_y);
}

/* The points of every family with points, as plot elements: the largest families first, so
 * that a small family is drawn over them, not under; each with an opaque key entry. */
static rb_status plot_families(FILE *f, const rb_report_frontier *fr, const rb_chart_families *fm, const size_t *count,
                               double ps, const char *alpha, rb_error *err)
{
    size_t nf = fr->nfamilies;
    size_t *block = rb_calloc(nf + 1, sizeof *block), *order = rb_calloc(nf + 1, sizeof *order), nblocks = 0;
    if (!block || !order) {
        free(block), free(order);
        return rb_fail(err, RB_ERR_NOMEM, "charts: out of memory");
    }
    for (size_t g = 0; g <= nf; g++)
        if (count[g]) block[g] = nblocks++;
    size_t n = 0;
    for (size_t g = 0; g <= nf; g++) {
        if (!count[g]) continue;
        size_t at = n++;
        while (at > 0 && count[order[at - 1]] < count[g]) order[at] = order[at - 1], at--;
        order[at] = g;
    }
    for (size_t i = 0; i < n; i++) {
        size_t g = order[i];
        int k = g < nf ? rb_chart_families_index(fm, fr->families[g]) : -1;
        const char *colour = k >= 0 ? rb_chart_colour((size_t)k) : "#606060";
        int pt = family_marker(k);
        /* The points without a key entry, then an opaque, larger marker for the key. */
        fprintf(f, "  \"frontier.dat\" index %zu using 1:2 with points pt %d ps %.2f lc rgb \"#%s%s\" notitle, \\\n",
                block[g], pt, ps, alpha, colour + 1);
        fprintf(f, "  NaN with points pt %d ps 1.5 lc rgb \"%s\" title ", pt, colour);
        rb_chart_label(f, g < nf ? fr->families[g] : "other", KEY_MAX);
        fputs(", \\\n", f);
    }
    free(block), free(order);
    return RB_OK;
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
    size_t *count = rb_calloc(nf + 1, sizeof *count);
    if (!count) return rb_fail(err, RB_ERR_NOMEM, "charts: out of memory");
    for (size_t k = 0; k < fr->npoints; k++) count[fr->family[k] < nf ? fr->family[k] : nf]++;

    rb_chart_file data, gp;
    rb_status st = rb_chart_file_open(&data, cdir, "frontier", ".dat", err);
    if (st) goto done;
    /* One block per family that has points, in family order; points of an unknown family
     * index last. */
    fputs("# frontier: x, y; one block per family (frontier.gp draws the largest first)\n", data.f);
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
    fputs("\n", f);
    axis_ranges(f, fr);
    /* The two ends, named next to their markers: the one further right is named on its left,
     * so that its name stays inside the plot. */
    int hold_right = fr->hold_x >= fr->every_x;
    if (isfinite(fr->hold_x) && isfinite(fr->hold_y))
        fprintf(f, "set label 11 \"buy-and-hold\" at %.12g, %.12g %s front font \",11\"\n", fr->hold_x, fr->hold_y,
                hold_right ? "right offset -1.6, 1.2" : "left offset 1.6, 1.2");
    if (isfinite(fr->every_x) && isfinite(fr->every_y))
        fprintf(f, "set label 12 \"every-bar rebalancing\" at %.12g, %.12g %s front font \",11\"\n", fr->every_x,
                fr->every_y, hold_right ? "left offset 1.6, 1.2" : "right offset -1.6, 1.2");
    best_marker(f, fr);
    /* Translucent markers (more so when many) so that points under others show through. */
    double ps = fr->npoints <= 500 ? 1.1 : fr->npoints <= 5000 ? 0.7 : 0.5;
    const char *alpha = fr->npoints <= 2000 ? "40" : fr->npoints <= 10000 ? "70" : "A0";
    size_t longest = 24, entries = 2;
    for (size_t g = 0; g <= nf; g++)
        if (count[g]) {
            size_t c = rb_chart_shown_chars(g < nf ? fr->families[g] : "other", KEY_MAX);
            if (c > longest) longest = c;
            entries++;
        }
    rb_chart_key_below(f, longest, entries);
    fputs("plot \\\n", f);
    if ((st = plot_families(f, fr, fm, count, ps, alpha, err))) {
        fclose(f);
        goto done;
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
