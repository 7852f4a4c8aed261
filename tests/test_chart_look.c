/* test_chart_look.c - what makes the charts readable, checked in the scripts and data files
 * they write for a hand-made report model (6 families, 10 assets): the drawdowns as one panel
 * per family against buy-and-hold, the heatmap's robust round scale and a subtitle without
 * its axes, the frontier's axes from zero, its distinct families and marked best, and the
 * weights' palette and subtitle. The pictures are drawn only when gnuplot is installed; every
 * check reads text. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "charts.h"
#include "report_model.h"
#include "support.h"

#define NFAM 6
#define NSYM 10
#define NBARS 400

static void *lk_alloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    cr_assert_not_null(p);
    return p;
}

static const char *const lk_families[NFAM] = {"threshold.inner", "threshold", "calendar",
                                              "hybrid", "threshold.5-25", "vol-band"};

/* A series of NBARS daily bars whose drawdown deepens with k. */
static void lk_series(rb_report_series *s, rb_series_role role, const char *family, size_t k)
{
    s->role = role;
    snprintf(s->family, sizeof s->family, "%s", family);
    snprintf(s->label, sizeof s->label, "%s%s", family, role == RB_SERIES_BEST ? " band=0.05" : "");
    s->T = NBARS;
    s->time = lk_alloc(NBARS, sizeof *s->time);
    s->value = lk_alloc(NBARS, sizeof *s->value);
    s->drawdown = lk_alloc(NBARS, sizeof *s->drawdown);
    for (size_t t = 0; t < NBARS; t++) {
        s->time[t] = 1546300800 + (rb_time)t * 86400; /* 2019-01-01 */
        s->drawdown[t] = (0.1 + 0.02 * (double)k) * fabs(sin((double)t / 40.0));
        s->value[t] = 1e6 * (1 + 0.001 * (double)t) * (1 - s->drawdown[t]);
    }
}

/* The report of a sweep over 6 families and 10 assets: the heatmap an excess in pp per year
 * that loses everywhere, with one outlying cell; fee-bps both an axis and in the scenario. */
static void lk_build(rb_report *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->title, sizeof r->title, "look");
    snprintf(r->dates, sizeof r->dates, "2019-01-01 to 2020-02-04 (400 bars)");
    snprintf(r->scenario, sizeof r->scenario, "fee-bps=10, gas=2");
    snprintf(r->subtitle, sizeof r->subtitle, "%s, 180 configurations, compared at %s", r->dates, r->scenario);
    snprintf(r->metric, sizeof r->metric, "after_tax_value");
    r->capital = 1e6;
    r->nseries = 2 + NFAM;
    r->series = lk_alloc(r->nseries, sizeof *r->series);
    lk_series(&r->series[0], RB_SERIES_HOLD, "buy-and-hold", 0);
    lk_series(&r->series[1], RB_SERIES_EVERY_BAR, "every bar", 1);
    for (size_t k = 0; k < NFAM; k++) lk_series(&r->series[2 + k], RB_SERIES_BEST, lk_families[k], k + 2);

    rb_report_weights *w = &r->weights;
    r->has_weights = 1;
    snprintf(w->label, sizeof w->label, "threshold.inner band=0.05");
    w->T = NBARS, w->N = NSYM;
    w->time = lk_alloc(NBARS, sizeof *w->time);
    w->symbols = lk_alloc(NSYM, sizeof *w->symbols);
    w->weights = lk_alloc(NBARS * NSYM, sizeof *w->weights);
    w->target = lk_alloc(NSYM, sizeof *w->target);
    w->rebalances = lk_alloc(1, sizeof *w->rebalances);
    for (size_t i = 0; i < NSYM; i++) {
        char sym[16];
        snprintf(sym, sizeof sym, "A%zu", i);
        w->symbols[i] = strdup(sym);
        w->target[i] = 0.1;
    }
    for (size_t t = 0; t < NBARS; t++) {
        w->time[t] = r->series[0].time[t];
        for (size_t i = 0; i < NSYM; i++) w->weights[t * NSYM + i] = 0.1;
    }

    rb_report_heatmap *h = &r->heatmap;
    r->has_heatmap = 1;
    snprintf(h->family, sizeof h->family, "threshold");
    snprintf(h->x_key, sizeof h->x_key, "band");
    snprintf(h->y_key, sizeof h->y_key, "fee-bps");
    snprintf(h->z_label, sizeof h->z_label, "after-tax growth minus buy-and-hold's (pp per year)");
    h->diverging = 1;
    h->nx = 20, h->ny = 5;
    h->x = lk_alloc(h->nx, sizeof *h->x);
    h->y = lk_alloc(h->ny, sizeof *h->y);
    h->z = lk_alloc(h->nx * h->ny, sizeof *h->z);
    for (size_t i = 0; i < h->nx; i++) h->x[i] = 0.01 * (double)(i + 1);
    for (size_t j = 0; j < h->ny; j++) h->y[j] = (double[]){0, 10, 25, 50, 100}[j];
    for (size_t j = 0; j < h->ny; j++)
        for (size_t i = 0; i < h->nx; i++) h->z[j * h->nx + i] = -33.3 + 0.41 * (double)i - 0.037 * (double)j;
    h->z[0] = -900; /* an outlier must not paint every other cell the same colour */

    rb_report_frontier *fr = &r->frontier;
    snprintf(fr->x_label, sizeof fr->x_label, "tracking error (%% per year)");
    snprintf(fr->y_label, sizeof fr->y_label, "costs paid (USD)");
    fr->nfamilies = NFAM;
    fr->families = lk_alloc(NFAM, sizeof *fr->families);
    for (size_t g = 0; g < NFAM; g++) snprintf(fr->families[g], sizeof fr->families[g], "%s", lk_families[g]);
    fr->npoints = 60;
    fr->family = lk_alloc(fr->npoints, sizeof *fr->family);
    fr->x = lk_alloc(fr->npoints, sizeof *fr->x);
    fr->y = lk_alloc(fr->npoints, sizeof *fr->y);
    for (size_t p = 0; p < fr->npoints; p++) {
        /* threshold (family 1) has most points; hybrid (3) has two, on top of threshold's */
        fr->family[p] = p < 40 ? 1 : p < 42 ? 3 : p % NFAM;
        fr->x[p] = 0.2 + 0.1 * (double)(p % 40);
        fr->y[p] = 1000 + 500 * (double)(p % 40);
    }
    fr->hold_x = 19, fr->hold_y = 1200;
    fr->every_x = 0.1, fr->every_y = 42000;
    fr->best_x = 6.5, fr->best_y = 13000;
    snprintf(fr->best_label, sizeof fr->best_label, "threshold.inner band=0.2");
    fr->sampled_from = fr->npoints;
    r->conventions = strdup("rf 0");
}

/* Writes the charts of the model into a fresh folder; returns the folder (charts/ inside). */
static char *lk_write(rb_report *r)
{
    char *dir = rbt_tempdir();
    rb_chart_outcome out[RB_CHART_COUNT];
    rb_error err = {0};
    cr_assert_eq(rb_charts_write(r, dir, out, &err), RB_OK, "%s", err.msg);
    return dir;
}

static char *lk_read(const char *dir, const char *name)
{
    char *charts = rbt_path(dir, "charts");
    char *p = rbt_path(charts, name);
    char *text = rbt_read_file(p, NULL);
    cr_assert_not_null(text, "%s was not written", p);
    free(p), free(charts);
    return text;
}

static size_t lk_count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

/* The first line of the script that starts with prefix, or NULL. */
static const char *lk_line(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, n) == 0) return p;
    return NULL;
}

typedef struct lk_case {
    rb_report r;
    char *dir;
} lk_case;

static lk_case lk_open(void)
{
    lk_case c;
    lk_build(&c.r);
    c.dir = lk_write(&c.r);
    return c;
}

static void lk_close(lk_case *c)
{
    rbt_rmtree(c->dir);
    free(c->dir);
    rb_report_release(&c->r);
}

Test(chart_look, drawdowns_are_one_panel_per_family_over_buy_and_hold)
{
    lk_case c = lk_open();
    char *gp = lk_read(c.dir, "drawdown.gp");
    cr_assert_not_null(strstr(gp, "set multiplot layout 2,3"), "six families in 2 rows of 3:\n%s", gp);
    /* Two drawings (PNG, SVG), six panels each; buy-and-hold (block 0) in every panel as a grey
     * area; every-bar rebalancing (block 1) in none. */
    cr_assert_eq(lk_count(gp, "plot \\"), 12, "%s", gp);
    cr_assert_eq(lk_count(gp, "index 0 using 1:2 with filledcurves y=0 fc rgb \"#C8C8C8\""), 12, "%s", gp);
    cr_assert_null(strstr(gp, "index 1 using"), "every-bar rebalancing is not a family:\n%s", gp);
    /* Each family's panel draws its own block in its own colour, no two alike. */
    const char *colours[NFAM];
    for (size_t k = 0; k < NFAM; k++) {
        char want[64];
        snprintf(want, sizeof want, "index %zu using 1:2 with lines lc rgb \"", k + 2);
        const char *at = strstr(gp, want);
        cr_assert_not_null(at, "no panel draws block %zu:\n%s", k + 2, gp);
        colours[k] = at + strlen(want);
        cr_assert_neq(strncmp(colours[k], "#C8C8C8", 7), 0);
        cr_assert_neq(strncmp(colours[k], "#000000", 7), 0);
        for (size_t j = 0; j < k; j++) cr_assert_neq(strncmp(colours[j], colours[k], 7), 0, "families %zu and %zu", j, k);
    }
    free(gp);
    lk_close(&c);
}

Test(chart_look, heatmap_scale_is_robust_round_and_its_subtitle_names_no_axis)
{
    lk_case c = lk_open();
    char *gp = lk_read(c.dir, "heatmap.gp");
    /* The cells lie between -33.4 and -25.5 but for one at -900: the colours span the cells,
     * on round tics, in the reds of a loss. */
    const char *range = lk_line(gp, "set cbrange [");
    cr_assert_not_null(range, "%s", gp);
    double lo, hi;
    cr_assert_eq(sscanf(range, "set cbrange [%lf:%lf]", &lo, &hi), 2);
    cr_assert(lo >= -40 && lo <= -33.4 && hi >= -25.5 && hi <= -20, "cbrange %g..%g", lo, hi);
    const char *tics = lk_line(gp, "set cbtics out ");
    cr_assert_not_null(tics, "%s", gp);
    double t0, step, t1;
    cr_assert_eq(sscanf(tics, "set cbtics out %lf, %lf, %lf", &t0, &step, &t1), 3);
    double p10 = pow(10, floor(log10(step))), m = step / p10;
    cr_assert(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9, "tic step %g is not round", step);
    cr_assert(fabs(t0 / step - round(t0 / step)) < 1e-9, "tics start at %g, not a multiple of %g", t0, step);
    cr_assert_not_null(strstr(gp, "colours clipped"), "the clipped outlier is said:\n%s", gp);
    /* fee-bps is an axis: the subtitle does not say the heatmap was compared at fee-bps=10. */
    const char *title = lk_line(gp, "set title ");
    cr_assert_not_null(title);
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)(strchr(title, '\n') - title), title);
    cr_assert_null(strstr(line, "fee\\055bps"), "%s", line);
    cr_assert_null(strstr(line, "configurations"), "%s", line);
    cr_assert_not_null(strstr(line, "gas\\075"), "the settings that are not axes (gas=2) stay: %s", line);
    free(gp);
    lk_close(&c);
}

static double lk_linear(unsigned c)
{
    double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double lk_f(double t) { return t > 0.008856 ? cbrt(t) : 7.787 * t + 16.0 / 116; }

/* "#rrggbb" in CIE L*a*b* (D65). */
static void lk_lab(const char *hex, double lab[3])
{
    unsigned r, g, b;
    cr_assert_eq(sscanf(hex, "#%2x%2x%2x", &r, &g, &b), 3, "%.8s", hex);
    double R = lk_linear(r), G = lk_linear(g), B = lk_linear(b);
    double x = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047, y = 0.2126 * R + 0.7152 * G + 0.0722 * B,
           z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
    lab[0] = 116 * lk_f(y) - 16, lab[1] = 500 * (lk_f(x) - lk_f(y)), lab[2] = 200 * (lk_f(y) - lk_f(z));
}

/* The perceptual distance (CIE76 delta E) of two "#rrggbb" colours: about 2 is just noticeable;
 * Okabe-Ito's sky blue and blue, which readers confuse in small markers, are 26 apart. */
static double lk_distance(const char *a, const char *b)
{
    double p[3], q[3];
    lk_lab(a, p);
    lk_lab(b, q);
    return sqrt((p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) + (p[2] - q[2]) * (p[2] - q[2]));
}

Test(chart_look, frontier_starts_at_zero_keeps_families_apart_and_marks_the_best)
{
    lk_case c = lk_open();
    char *gp = lk_read(c.dir, "frontier.gp");
    const char *xr = lk_line(gp, "set xrange ["), *yr = lk_line(gp, "set yrange [");
    cr_assert(xr && yr, "%s", gp);
    double x0, x1, y0, y1;
    cr_assert_eq(sscanf(xr, "set xrange [%lf:%lf]", &x0, &x1), 2);
    cr_assert_eq(sscanf(yr, "set yrange [%lf:%lf]", &y0, &y1), 2);
    cr_assert(x0 == 0 && y0 == 0, "costs and tracking error are never negative: x from %g, y from %g", x0, y1);
    cr_assert(x1 >= 19 && y1 >= 42000, "the ends fit: %g, %g", x1, y1);
    cr_assert_null(strstr(gp, "set offsets"), "offsets push autoscaled axes below zero:\n%s", gp);
    /* The best configuration, marked and named. */
    const char *best = lk_line(gp, "set label 13 ");
    cr_assert_not_null(best, "%s", gp);
    cr_assert_not_null(strstr(best, "best\\072 threshold\\056inner"), "%s", best);
    cr_assert_not_null(strstr(best, " at 6.5, 13000 "), "%s", best);
    /* The family with most points is drawn first, so that the others lie on top of it. */
    const char *first = strstr(gp, "\"frontier.dat\" index ");
    cr_assert_not_null(first);
    cr_assert_eq(strncmp(first, "\"frontier.dat\" index 1 ", 23), 0, "threshold (block 1) first:\n%s", gp);
    /* Families differ in colour (more than sky blue and blue, 26 apart) and in marker shape;
     * the points are translucent. */
    const char *seen_colour[NFAM];
    int seen_pt[NFAM];
    size_t n = 0;
    for (const char *p = strstr(gp, "NaN with points pt "); p; p = strstr(p + 1, "NaN with points pt ")) {
        cr_assert_lt(n, (size_t)NFAM);
        cr_assert_eq(sscanf(p, "NaN with points pt %d", &seen_pt[n]), 1);
        seen_colour[n] = strstr(p, "lc rgb \"") + 8;
        for (size_t j = 0; j < n; j++) {
            cr_assert_gt(lk_distance(seen_colour[j], seen_colour[n]), 30, "families %zu and %zu: %.7s %.7s", j, n,
                         seen_colour[j], seen_colour[n]);
            cr_assert_neq(seen_pt[j], seen_pt[n], "families %zu and %zu share a marker", j, n);
        }
        n++;
    }
    cr_assert_eq(n, (size_t)NFAM);
    for (const char *p = strstr(gp, "\"frontier.dat\" index "); p; p = strstr(p + 1, "\"frontier.dat\" index ")) {
        const char *rgb = strstr(p, "lc rgb \"#");
        cr_assert_not_null(rgb);
        cr_assert_neq(strncmp(rgb + 9, "00", 2), 0, "opaque points hide those under them: %.80s", p);
    }
    free(gp);
    lk_close(&c);
}

Test(chart_look, ten_weights_differ_from_their_neighbours_and_the_subtitle_is_one_run)
{
    lk_case c = lk_open();
    char *gp = lk_read(c.dir, "weights.gp");
    const char *fc[NSYM];
    size_t n = 0;
    for (const char *p = strstr(gp, "with filledcurves fc rgb \""); p; p = strstr(p + 1, "with filledcurves fc rgb \"")) {
        cr_assert_lt(n, (size_t)NSYM);
        fc[n++] = p + strlen("with filledcurves fc rgb \"");
    }
    cr_assert_eq(n, (size_t)NSYM, "%s", gp);
    for (size_t i = 0; i < NSYM; i++)
        for (size_t j = 0; j < i; j++) {
            double d = lk_distance(fc[i], fc[j]);
            cr_assert_gt(d, i == j + 1 ? 60 : 15, "assets %zu and %zu: %.7s %.7s (%g apart)", j, i, fc[j], fc[i], d);
        }
    const char *title = lk_line(gp, "set title ");
    cr_assert_not_null(title);
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)(strchr(title, '\n') - title), title);
    cr_assert_null(strstr(line, "configurations"), "one run: %s", line);
    cr_assert_null(strstr(line, "compared at"), "one run: %s", line);
    cr_assert_not_null(strstr(line, "one run"), "%s", line);
    free(gp);
    lk_close(&c);
}
