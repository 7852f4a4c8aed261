/* chart_curves.c - charts 1 and 2: the equity curves (USD, log scale) and the drawdowns of
 * the replayed series over time (chart_frame.h); chart 2's panels are drawn by
 * chart_drawdown.c. */
#include <math.h>
#include <stdio.h>

#include "chart_frame.h"

/* "1.5k", "20M": a value axis label in USD. */
static void money_label(char *buf, size_t cap, double v)
{
    if (v >= 1e9)
        snprintf(buf, cap, "%gB", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, cap, "%gM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, cap, "%gk", v / 1e3);
    else
        snprintf(buf, cap, "%g", v);
}

/* Tics on a log axis from lo to hi: the sparsest of 1-10-100, 1-2-5, 1-1.5-2-3-5-7 and every
 * integer mantissa that gives at least four tics within the range; over a narrow range (less
 * than about a factor 3), evenly spaced round values instead. */
static void log_tics(FILE *f, double lo, double hi)
{
    static const double sets[4][10] = {{1}, {1, 2, 5}, {1, 1.5, 2, 3, 5, 7}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
    static const size_t sizes[4] = {1, 3, 6, 9};
    int e0 = (int)floor(log10(lo)), e1 = (int)ceil(log10(hi));
    int pick = -1;
    for (int s = 0; s < 4 && pick < 0; s++) {
        size_t count = 0;
        for (int e = e0; e <= e1; e++)
            for (size_t k = 0; k < sizes[s]; k++) {
                double v = sets[s][k] * pow(10, e);
                if (v >= lo && v <= hi) count++;
            }
        if (count > 14) pick = s > 0 ? s - 1 : 0;
        else if (count >= 4) pick = s;
    }
    fputs("set ytics out nomirror (", f);
    int first = 1;
    char lab[32];
    if (pick >= 0) {
        for (int e = e0; e <= e1; e++)
            for (size_t k = 0; k < sizes[pick]; k++) {
                double v = sets[pick][k] * pow(10, e);
                if (v < lo || v > hi) continue;
                money_label(lab, sizeof lab, v);
                fprintf(f, "%s\"%s\" %.12g", first ? "" : ", ", lab, v);
                first = 0;
            }
    } else {
        /* A 1-2-5 step giving 4 to 10 tics. */
        double raw = (hi - lo) / 6, p10 = pow(10, floor(log10(raw))), step = p10;
        if (raw / p10 > 5) step = 10 * p10;
        else if (raw / p10 > 2) step = 5 * p10;
        else if (raw / p10 > 1) step = 2 * p10;
        for (double v = ceil(lo / step) * step; v <= hi; v += step) {
            money_label(lab, sizeof lab, v);
            fprintf(f, "%s\"%s\" %.12g", first ? "" : ", ", lab, v);
            first = 0;
        }
    }
    fputs(")\n", f);
}

/* Series drawn in the time charts: those with bars. */
static size_t drawable_series(const rb_report *r, size_t *longest, rb_time *t0, rb_time *t1, int *midnight)
{
    size_t n = 0;
    *longest = 0;
    *midnight = 1;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->T == 0 || !s->time) continue;
        if (n == 0 || s->time[0] < *t0) *t0 = s->time[0];
        if (n == 0 || s->time[s->T - 1] > *t1) *t1 = s->time[s->T - 1];
        if (!rb_chart_all_midnights(s->time, s->T)) *midnight = 0;
        size_t c = rb_chart_shown_chars(s->label, KEY_MAX);
        if (c > *longest) *longest = c;
        n++;
    }
    return n;
}

rb_status rb_chart_curves(const rb_report *r, const char *cdir, const rb_chart_families *fm, rb_chart_id id,
                              rb_chart_outcome *o, int *ready, rb_error *err)
{
    size_t longest;
    rb_time t0 = 0, t1 = 0;
    int midnight;
    size_t n = drawable_series(r, &longest, &t0, &t1, &midnight);
    if (n == 0) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "no series with bars to draw");
        return RB_OK;
    }
    int equity = id == RB_CHART_EQUITY;
    const char *name = rb_chart_name(id);
    rb_chart_file data, gp;
    rb_status st = rb_chart_file_open(&data, cdir, name, ".dat", err);
    if (st) return st;
    /* One block per drawn series (separated by two blank lines: gnuplot's `index`). */
    double lo = INFINITY, hi = -INFINITY;
    fprintf(data.f, "# %s: date, %s; one block per series in the order of %s.gp\n", name,
            equity ? "value (USD)" : "drawdown (%, negative)", name);
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->T == 0 || !s->time) continue;
        for (size_t t = 0; t < s->T; t++) {
            rb_chart_date(data.f, s->time[t], midnight);
            fputc(' ', data.f);
            double v;
            if (equity) {
                v = s->value ? s->value[t] : NAN;
                if (!(v > 0)) v = NAN; /* a log axis has no place for it */
            } else {
                v = s->drawdown ? -100.0 * s->drawdown[t] : NAN;
            }
            if (isfinite(v)) {
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
            rb_chart_num(data.f, v);
            fputc('\n', data.f);
        }
        fputs("\n\n", data.f);
    }
    if ((st = rb_chart_file_close(&data, err))) return st;
    if (!(lo <= hi)) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "no finite %s to draw", equity ? "positive value" : "drawdown");
        return RB_OK;
    }

    if ((st = rb_chart_file_open(&gp, cdir, name, ".gp", err))) return st;
    FILE *f = gp.f;
    if (!equity) {
        size_t nfam = 0;
        for (size_t k = 0; k < r->nseries; k++)
            nfam += r->series[k].role == RB_SERIES_BEST && r->series[k].T > 0 && r->series[k].time;
        rb_chart_script_head_as(f, r, id, NULL, r->subtitle, rb_chart_drawdown_height(nfam));
        rb_chart_drawdown_panels(f, r, fm, lo < 0 ? lo * 1.05 : -1, t0, t1, midnight);
        if ((st = rb_chart_file_close(&gp, err))) return st;
        *ready = 1;
        return RB_OK;
    }
    rb_chart_script_head(f, r, id, NULL);
    rb_chart_time_axis(f, t0, t1, midnight);
    fputs("set xlabel \"date\"\n", f);
    if (hi <= lo) hi = lo * 1.1, lo = lo / 1.1;
    double ylo = lo / 1.04, yhi = hi * 1.04;
    fputs("set logscale y\n", f);
    fprintf(f, "set yrange [%.12g:%.12g]\n", ylo, yhi);
    log_tics(f, ylo, yhi);
    fputs("set ylabel \"portfolio value (USD, log scale)\"\n", f);
    rb_chart_key_below(f, longest, n);
    fputs("plot \\\n", f);
    size_t block = 0;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->T == 0 || !s->time) continue;
        fprintf(f, "  \"%s.dat\" index %zu using 1:2 with lines ", name, block);
        rb_chart_series_line(f, fm, s, n);
        fputs(" title ", f);
        rb_chart_label(f, s->label[0] ? s->label : s->family, KEY_MAX);
        fputs(block + 1 < n ? ", \\\n" : "\n", f);
        block++;
    }
    rb_chart_script_tail(f, id);
    if ((st = rb_chart_file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}
