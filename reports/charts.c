/* charts.c - the seven report charts as gnuplot scripts and data files in DIR/charts/: the
 * data files hold only numbers and ISO dates, user text reaches a script only as an escaped
 * string literal, and every script draws a PNG and an SVG of the same plot. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "error.h"
#include "report.h"

/* Bytes of a label shown in a key or on an axis before it is cut with "...". */
#define KEY_MAX 64
#define AXIS_MAX 40
#define TITLE_MAX 200

/* Pixels of both drawings; fonts are points at the terminal's default 72 per inch. */
#define WIDTH 1200
#define HEIGHT 650
#define FONT "DejaVu Sans,11"

/* Colour-blind-safe qualitative colours for the families (Okabe-Ito without black and its
 * yellow, then Paul Tol's "muted" set): a family keeps its colour in every chart. */
static const char *const family_colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                             "#56B4E9", "#882255", "#999933", "#332288", "#44AA99"};
#define NCOLOURS (sizeof family_colours / sizeof family_colours[0])
#define HOLD_COLOUR "#000000"
#define EVERY_COLOUR "#8C8C8C"

/* The families in a fixed order (series first, then the frontier's), so that a family's colour
 * is the same in every chart. */
typedef struct families {
    size_t n;
    const char **name;
} families;

static int families_index(const families *fm, const char *name)
{
    for (size_t k = 0; k < fm->n; k++)
        if (strcmp(fm->name[k], name) == 0) return (int)k;
    return -1;
}

static rb_status families_build(const rb_report *r, families *fm, rb_error *err)
{
    fm->n = 0;
    fm->name = malloc((r->nseries + r->frontier.nfamilies + 1) * sizeof *fm->name);
    if (!fm->name) return rb_fail(err, RB_ERR_NOMEM, "charts: out of memory");
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].role == RB_SERIES_BEST && families_index(fm, r->series[k].family) < 0)
            fm->name[fm->n++] = r->series[k].family;
    for (size_t k = 0; k < r->frontier.nfamilies; k++)
        if (families_index(fm, r->frontier.families[k]) < 0) fm->name[fm->n++] = r->frontier.families[k];
    return RB_OK;
}

/* "lc rgb "#rrggbb" dt N": beyond the palette, the colours repeat with another dash pattern. */
static void family_style(FILE *f, const families *fm, const char *family)
{
    int k = families_index(fm, family);
    if (k < 0) k = 0;
    static const int dashes[] = {1, 4, 5, 3};
    fprintf(f, "lc rgb \"%s\" dt %d", family_colours[(size_t)k % NCOLOURS], dashes[((size_t)k / NCOLOURS) % 4]);
}

/* The line style of a series: buy-and-hold solid black, every bar dashed grey, a family its
 * colour. */
static void series_line(FILE *f, const families *fm, const rb_report_series *s, size_t nseries)
{
    switch (s->role) {
    case RB_SERIES_HOLD: fputs("lc rgb \"" HOLD_COLOUR "\" dt 1 lw 2.5", f); break;
    case RB_SERIES_EVERY_BAR: fputs("lc rgb \"" EVERY_COLOUR "\" dt 2 lw 2.5", f); break;
    default:
        family_style(f, fm, s->family);
        fputs(nseries > 5 ? " lw 1.2" : " lw 1.8", f); /* thinner when many lines cross */
        break;
    }
}

static const char *series_colour(const families *fm, const rb_report_series *s)
{
    if (s->role == RB_SERIES_HOLD) return HOLD_COLOUR;
    if (s->role == RB_SERIES_EVERY_BAR) return EVERY_COLOUR;
    int k = families_index(fm, s->family);
    return family_colours[(size_t)(k < 0 ? 0 : k) % NCOLOURS];
}

/* ---------------------------------------------------------------- labels */

/* 1 for the code points the charts' font (DejaVu Sans, or any common sans) draws: Latin,
 * Greek, Cyrillic, Armenian, and the general punctuation, currency, arrow and mathematical
 * symbol blocks. gnuplot's cairo terminals draw a glyph that no installed font has as a
 * black box many times the font size that covers the plot, so such characters (CJK without
 * a CJK font, emoji) and malformed UTF-8 are shown as '?' instead. */
static int drawable(uint32_t cp)
{
    return (cp >= 0x20 && cp < 0x7F) || (cp >= 0xA0 && cp < 0x590) || (cp >= 0x1E00 && cp < 0x2C00);
}

/* s as UTF-8 that the font can draw, in buf (at most cap - 1 bytes, cut on a character). */
static const char *drawable_text(const char *s, char *buf, size_t cap)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t o = 0;
    while (*p && o + 5 < cap) {
        uint32_t cp;
        size_t len;
        if (*p < 0x80)
            cp = *p, len = 1;
        else if ((*p & 0xE0) == 0xC0)
            cp = *p & 0x1F, len = 2;
        else if ((*p & 0xF0) == 0xE0)
            cp = *p & 0x0F, len = 3;
        else if ((*p & 0xF8) == 0xF0)
            cp = *p & 0x07, len = 4;
        else
            cp = 0xFFFD, len = 1;
        size_t k = 1;
        for (; k < len && (p[k] & 0xC0) == 0x80; k++) cp = (cp << 6) | (p[k] & 0x3F);
        if (k < len) cp = 0xFFFD, len = k; /* a truncated sequence */
        if (cp < 0x20 || cp == 0x7F) cp = ' ';
        size_t shortest = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; /* no overlong forms */
        if (drawable(cp) && len == shortest) {
            memcpy(buf + o, p, len);
            if (len == 1) buf[o] = (char)cp;
            o += len;
        } else {
            buf[o++] = '?';
        }
        p += len;
    }
    buf[o] = '\0';
    return buf;
}

/* User text as a string literal (label) or inside one (label_body), drawable and escaped. */
static void label(FILE *f, const char *s, size_t max_bytes)
{
    char buf[1024];
    rb_gnuplot_text(f, drawable_text(s, buf, sizeof buf), max_bytes);
}

static void label_body(FILE *f, const char *s, size_t max_bytes)
{
    char buf[1024];
    rb_gnuplot_body(f, drawable_text(s, buf, sizeof buf), max_bytes);
}

/* ---------------------------------------------------------------- files */

typedef struct chart_file {
    FILE *f;
    char path[4096];
} chart_file;

static rb_status file_open(chart_file *cf, const char *cdir, const char *name, const char *ext, rb_error *err)
{
    int n = snprintf(cf->path, sizeof cf->path, "%s/%s%s", cdir, name, ext);
    if (n < 0 || (size_t)n >= sizeof cf->path) return rb_fail(err, RB_ERR_IO, "%s: path too long", cdir);
    cf->f = fopen(cf->path, "w");
    if (!cf->f) return rb_fail(err, RB_ERR_IO, "%s: cannot write: %s", cf->path, strerror(errno));
    return RB_OK;
}

static rb_status file_close(chart_file *cf, rb_error *err)
{
    int bad = ferror(cf->f);
    int saved = errno;
    if (fclose(cf->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    cf->f = NULL;
    if (bad) return rb_fail(err, RB_ERR_IO, "%s: cannot write: %s", cf->path, strerror(saved));
    return RB_OK;
}

/* A number for a data file: full enough for a drawing, NaN where it is not finite. */
static void num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("NaN", f);
}

/* ---------------------------------------------------------------- time axis */

/* Dates are written as YYYY-MM-DD when every bar of the chart is a midnight, else with the
 * time of day; the script's timefmt says which. */
static int all_midnights(const rb_time *t, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (t[k] % 86400 != 0) return 0;
    return 1;
}

static void date(FILE *f, rb_time t, int midnight)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    if (midnight)
        fprintf(f, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    else
        fprintf(f, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
}

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Sets up a time x axis from t0 to t1 (seconds) with at most about 12 labelled tics on whole
 * years, months or days, so that no two labels repeat or overlap. */
static void time_axis(FILE *f, rb_time t0, rb_time t1, int midnight)
{
    fputs("set xdata time\n", f);
    fprintf(f, "set timefmt \"%s\"\n", midnight ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%S");
    if (t1 <= t0) t1 = t0 + 86400;
    fprintf(f, "set xrange [%lld:%lld]\n", (long long)t0, (long long)t1);
    double days = (double)(t1 - t0) / 86400.0;
    static const int month_steps[] = {1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200};
    static const int day_steps[] = {1, 2, 7, 14};
    int mstep = 0, dstep = 0;
    for (size_t k = 0; k < sizeof month_steps / sizeof *month_steps; k++)
        if (days / (30.44 * month_steps[k]) <= 11.0) {
            mstep = month_steps[k];
            break;
        }
    if (mstep == 1 && days < 120) {
        mstep = 0;
        for (size_t k = 0; k < sizeof day_steps / sizeof *day_steps; k++)
            if (days / day_steps[k] <= 10.0) {
                dstep = day_steps[k];
                break;
            }
    }
    if (!mstep && !dstep) {
        /* Under a day or so: gnuplot's own tics, as times of day. */
        fputs("set format x \"%m-%d\\n%H:%M\"\nset xtics out nomirror\n", f);
        return;
    }
    time_t tt = (time_t)t0;
    struct tm tm;
    gmtime_r(&tt, &tm);
    fputs("set xtics out nomirror (", f);
    int first = 1;
    if (mstep) {
        /* Months counted from year 0, so that tics fall on multiples of the step (years
         * ending in 0 or 5 for a five-year step). */
        long m = (long)(tm.tm_year + 1900) * 12 + tm.tm_mon;
        if (tm.tm_mday != 1 || tm.tm_hour || tm.tm_min || tm.tm_sec) m++;
        while (m % mstep) m++;
        for (;; m += mstep) {
            struct tm at = {0};
            at.tm_year = (int)(m / 12) - 1900;
            at.tm_mon = (int)(m % 12);
            at.tm_mday = 1;
            time_t x = timegm(&at);
            if ((rb_time)x > t1) break;
            if (mstep >= 12)
                fprintf(f, "%s\"%ld\" %lld", first ? "" : ", ", m / 12, (long long)x);
            else
                fprintf(f, "%s\"%s %ld\" %lld", first ? "" : ", ", month_names[m % 12], m / 12, (long long)x);
            first = 0;
        }
    } else {
        rb_time d = (t0 + 86399) / 86400 * 86400;
        for (; d <= t1; d += (rb_time)dstep * 86400) {
            time_t x = (time_t)d;
            struct tm at;
            gmtime_r(&x, &at);
            fprintf(f, "%s\"%04d-%02d-%02d\" %lld", first ? "" : ", ", at.tm_year + 1900, at.tm_mon + 1,
                    at.tm_mday, (long long)d);
            first = 0;
        }
    }
    fputs(")\n", f);
}

/* ---------------------------------------------------------------- script frame */

/* The opening of every script: how to redraw it, the PNG terminal, the title (the chart's
 * name, then the report's subtitle on a second line) and the common look. */
static void script_head(FILE *f, const rb_report *r, rb_chart_id id, const char *extra_title)
{
    const char *name = rb_chart_name(id);
    fprintf(f,
            "# %s.gp - %s, written by rebal. Redraw (after any change) with:\n"
            "#   cd into this folder, then: gnuplot %s.gp\n"
            "# The data files it reads (%s*.dat) hold numbers and ISO dates only.\n"
            "reset\n"
            "set encoding utf8\n"
            "set terminal pngcairo noenhanced size %d,%d font \"" FONT "\"\n"
            "set output \"%s.png\"\n",
            name, rb_chart_title(id), name, name, WIDTH, HEIGHT, name);
    fputs("set title \"", f);
    label_body(f, rb_chart_title(id), TITLE_MAX);
    if (extra_title && *extra_title) {
        fputs(": ", f);
        label_body(f, extra_title, TITLE_MAX);
    }
    if (r->subtitle[0]) {
        fputs("\\n", f);
        label_body(f, r->subtitle, TITLE_MAX);
    }
    fputs("\" font \",13\"\n", f);
    fputs("set border 3 lc rgb \"#404040\"\n"
          "set tics nomirror out\n"
          "set grid back lc rgb \"#D0D0D0\" lw 1 dt 1\n"
          "set key noautotitle\n",
          f);
}

/* Draws the same plot again as SVG, then closes the output. */
static void script_tail(FILE *f, rb_chart_id id)
{
    const char *name = rb_chart_name(id);
    fprintf(f,
            "set terminal svg noenhanced size %d,%d font \"" FONT "\" background \"white\"\n"
            "set output \"%s.svg\"\n"
            "replot\n"
            "unset output\n",
            WIDTH, HEIGHT, name);
}

/* A key below the plot, in as many columns as the longest entry allows. */
static void key_below(FILE *f, size_t longest_chars, size_t entries)
{
    size_t per = longest_chars * 7 + 70; /* pixels of one entry at 11 pt, sample line included */
    size_t cols = (WIDTH - 60) / per;
    if (cols < 1) cols = 1;
    if (cols > 4) cols = 4;
    if (cols > entries) cols = entries ? entries : 1;
    fprintf(f, "set key below center horizontal Left reverse noopaque samplen 3 spacing 1.1 height 1 maxcols %zu\n", cols);
}

static size_t shown_chars(const char *s, size_t max)
{
    size_t n = 0, bytes = 0;
    for (; s[bytes] && bytes < max; bytes++)
        if (((unsigned char)s[bytes] & 0xC0) != 0x80) n++;
    return s[bytes] ? n + 3 : n;
}

/* ---------------------------------------------------------------- 1, 2: equity and drawdown */

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
        if (!all_midnights(s->time, s->T)) *midnight = 0;
        size_t c = shown_chars(s->label, KEY_MAX);
        if (c > *longest) *longest = c;
        n++;
    }
    return n;
}

static rb_status chart_curves(const rb_report *r, const char *cdir, const families *fm, rb_chart_id id,
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
    chart_file data, gp;
    rb_status st = file_open(&data, cdir, name, ".dat", err);
    if (st) return st;
    /* One block per drawn series (separated by two blank lines: gnuplot's `index`). */
    double lo = INFINITY, hi = -INFINITY;
    fprintf(data.f, "# %s: date, %s; one block per series in the order of %s.gp\n", name,
            equity ? "value (USD)" : "drawdown (%, negative)", name);
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->T == 0 || !s->time) continue;
        for (size_t t = 0; t < s->T; t++) {
            date(data.f, s->time[t], midnight);
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
            num(data.f, v);
            fputc('\n', data.f);
        }
        fputs("\n\n", data.f);
    }
    if ((st = file_close(&data, err))) return st;
    if (!(lo <= hi)) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "no finite %s to draw", equity ? "positive value" : "drawdown");
        return RB_OK;
    }

    if ((st = file_open(&gp, cdir, name, ".gp", err))) return st;
    FILE *f = gp.f;
    script_head(f, r, id, NULL);
    time_axis(f, t0, t1, midnight);
    fputs("set xlabel \"date\"\n", f);
    if (equity) {
        if (hi <= lo) hi = lo * 1.1, lo = lo / 1.1;
        double ylo = lo / 1.04, yhi = hi * 1.04;
        fputs("set logscale y\n", f);
        fprintf(f, "set yrange [%.12g:%.12g]\n", ylo, yhi);
        log_tics(f, ylo, yhi);
        fputs("set ylabel \"portfolio value (USD, log scale)\"\n", f);
    } else {
        double ylo = lo < 0 ? lo * 1.05 : -1;
        fprintf(f, "set yrange [%.12g:0]\n", ylo);
        fputs("set ytics out nomirror\nset format y \"%g\"\n", f);
        fputs("set ylabel \"drawdown from the running peak (%)\"\n", f);
    }
    key_below(f, longest, n);
    fputs("plot \\\n", f);
    size_t block = 0;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->T == 0 || !s->time) continue;
        fprintf(f, "  \"%s.dat\" index %zu using 1:2 with lines ", name, block);
        series_line(f, fm, s, n);
        fputs(" title ", f);
        label(f, s->label[0] ? s->label : s->family, KEY_MAX);
        fputs(block + 1 < n ? ", \\\n" : "\n", f);
        block++;
    }
    script_tail(f, id);
    if ((st = file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}

/* ---------------------------------------------------------------- 3: weights */

static const char *const symbol_colours[] = {"#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE",
                                             "#AA3377", "#BBBBBB", "#E69F00", "#332288", "#999933"};
#define NSYMCOLOURS (sizeof symbol_colours / sizeof symbol_colours[0])

static rb_status chart_weights(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready,
                               rb_error *err)
{
    const rb_report_weights *w = &r->weights;
    if (!r->has_weights || w->T == 0 || w->N == 0 || !w->time || !w->weights) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "%s",
                 r->has_weights ? "the chosen run has no bars or no assets" : "no run's weights were kept");
        return RB_OK;
    }
    int midnight = all_midnights(w->time, w->T) && all_midnights(w->rebalances, w->nrebalances);
    chart_file data, gp;
    rb_status st = file_open(&data, cdir, "weights", ".dat", err);
    if (st) return st;
    /* date, then the cumulative weights (%) from 0: symbol i fills between columns i+2 and i+3. */
    fputs("# weights: date, 0, then the cumulative end-of-bar weights (%) of the symbols in order\n", data.f);
    double top = 100;
    for (size_t t = 0; t < w->T; t++) {
        date(data.f, w->time[t], midnight);
        fputs(" 0", data.f);
        double cum = 0;
        for (size_t i = 0; i < w->N; i++) {
            double v = w->weights[t * w->N + i];
            if (isfinite(v)) cum += 100.0 * v;
            fputc(' ', data.f);
            num(data.f, cum);
        }
        if (cum > top) top = cum;
        fputc('\n', data.f);
    }
    if ((st = file_close(&data, err))) return st;
    /* The rebalances as a rug in a strip above the stacked area. */
    double rug0 = top * 1.015, rug1 = top * 1.06;
    if ((st = file_open(&data, cdir, "weights_rebalances", ".dat", err))) return st;
    fputs("# weights_rebalances: dates of the rebalances that traded\n", data.f);
    for (size_t k = 0; k < w->nrebalances; k++) {
        date(data.f, w->rebalances[k], midnight);
        fputc('\n', data.f);
    }
    if ((st = file_close(&data, err))) return st;

    if ((st = file_open(&gp, cdir, "weights", ".gp", err))) return st;
    FILE *f = gp.f;
    script_head(f, r, RB_CHART_WEIGHTS, w->label);
    time_axis(f, w->time[0], w->time[w->T - 1], midnight);
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
        size_t c = shown_chars(w->symbols && w->symbols[i] ? w->symbols[i] : "", AXIS_MAX) + 16;
        if (c > longest) longest = c;
    }
    key_below(f, longest, w->N + 2);
    fputs("plot \\\n", f);
    for (size_t i = 0; i < w->N; i++) {
        fprintf(f, "  \"weights.dat\" using 1:%zu:%zu with filledcurves fc rgb \"%s\" title \"", i + 2, i + 3,
                symbol_colours[i % NSYMCOLOURS]);
        label_body(f, w->symbols && w->symbols[i] ? w->symbols[i] : "?", AXIS_MAX);
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
    script_tail(f, RB_CHART_WEIGHTS);
    if ((st = file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}

/* ---------------------------------------------------------------- 4: heatmap */

/* Tics at the grid indexes 0..n-1 labelled with the values, every step-th one when many. */
static void index_tics(FILE *f, const char *axis, const double *v, size_t n, size_t max_labels)
{
    size_t step = (n + max_labels - 1) / max_labels;
    if (step < 1) step = 1;
    fprintf(f, "set %stics out nomirror (", axis);
    for (size_t k = 0; k < n; k++) {
        if (k % step) continue;
        fprintf(f, "%s\"%.4g\" %zu", k ? ", " : "", v[k], k);
    }
    fputs(")\n", f);
}

static rb_status chart_heatmap(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready,
                               rb_error *err)
{
    const rb_report_heatmap *h = &r->heatmap;
    if (!r->has_heatmap || h->nx == 0 || h->ny == 0 || !h->z || !h->x || !h->y) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "%s", r->heatmap_why[0] ? r->heatmap_why : "no parameter grid to show");
        return RB_OK;
    }
    double zmin = INFINITY, zmax = -INFINITY;
    for (size_t k = 0; k < h->nx * h->ny; k++)
        if (isfinite(h->z[k])) {
            if (h->z[k] < zmin) zmin = h->z[k];
            if (h->z[k] > zmax) zmax = h->z[k];
        }
    int any = zmin <= zmax;
    double lo, hi;
    if (!any)
        lo = -1, hi = 1;
    else if (h->diverging) {
        double m = fmax(fabs(zmin), fabs(zmax));
        if (m == 0) m = 1;
        lo = -m, hi = m;
    } else {
        lo = zmin, hi = zmax;
        if (hi == lo) lo -= 0.5, hi += 0.5;
    }
    /* Cell values are printed when a cell is wide and tall enough for about six characters. */
    int values = h->nx <= 24 && h->ny <= 24;
    double m = fmax(fabs(lo), fabs(hi)), scale = 1;
    const char *fmt = "%.3f", *suffix = "";
    if (m >= 1e6)
        scale = 1e-6, fmt = "%.1f", suffix = "M";
    else if (m >= 1e4)
        scale = 1e-3, fmt = "%.0f", suffix = "k";
    else if (m >= 100)
        fmt = "%.0f";
    else if (m >= 10)
        fmt = "%.1f";
    else if (m >= 1)
        fmt = "%.2f";

    chart_file data, gp;
    rb_status st = file_open(&data, cdir, "heatmap", ".dat", err);
    if (st) return st;
    fputs("# heatmap: x index, y index, z (NaN: no configuration); one block per y\n", data.f);
    for (size_t iy = 0; iy < h->ny; iy++) {
        for (size_t ix = 0; ix < h->nx; ix++) {
            fprintf(data.f, "%zu %zu ", ix, iy);
            num(data.f, h->z[iy * h->nx + ix]);
            fputc('\n', data.f);
        }
        fputc('\n', data.f);
    }
    if ((st = file_close(&data, err))) return st;
    if ((st = file_open(&data, cdir, "heatmap_cells", ".dat", err))) return st;
    /* The printed values: x index, y index, z, and the text colour (1 white, 0 black) that
     * stands out against the cell's colour. */
    fputs("# heatmap_cells: x index, y index, z, 1 when the text is white\n", data.f);
    for (size_t iy = 0; iy < h->ny && values; iy++)
        for (size_t ix = 0; ix < h->nx; ix++) {
            double z = h->z[iy * h->nx + ix];
            if (!isfinite(z)) continue;
            double u = (z - lo) / (hi - lo); /* 0..1 along the palette */
            int white = h->diverging ? fabs(2 * u - 1) > 0.6 : u < 0.45;
            fprintf(data.f, "%zu %zu ", ix, iy);
            num(data.f, z);
            fprintf(data.f, " %d\n", white);
        }
    if ((st = file_close(&data, err))) return st;

    if ((st = file_open(&gp, cdir, "heatmap", ".gp", err))) return st;
    FILE *f = gp.f;
    script_head(f, r, RB_CHART_HEATMAP, h->family);
    fputs("unset grid\nset border 15 lc rgb \"#404040\"\n", f);
    fprintf(f, "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\n", h->nx - 1, h->ny - 1);
    index_tics(f, "x", h->x, h->nx, h->nx > 16 ? 12 : 16);
    index_tics(f, "y", h->y, h->ny, 20);
    fputs("set xlabel ", f);
    label(f, h->x_key, KEY_MAX);
    fputs("\nset ylabel ", f);
    label(f, h->y_key, KEY_MAX);
    fputs("\nset cblabel ", f);
    label(f, h->z_label, TITLE_MAX);
    fputs("\nset colorbox vertical user origin graph 1.02, graph 0 size character 2, graph 1\n", f);
    fputs("set cbtics out\n", f);
    if (h->diverging)
        fputs("set palette defined (0 \"#B2182B\", 0.25 \"#EF8A62\", 0.45 \"#FDDBC7\", 0.5 \"#F7F7F7\", "
              "0.55 \"#D1E5F0\", 0.75 \"#67A9CF\", 1 \"#2166AC\")\n",
              f);
    else
        fputs("set palette defined (0 \"#440154\", 0.25 \"#3B528B\", 0.5 \"#21918C\", 0.75 \"#5EC962\", "
              "1 \"#FDE725\")\n",
              f);
    fprintf(f, "set cbrange [%.12g:%.12g]\n", lo, hi);
    /* No configuration: the grey behind the image shows through. */
    fputs("set object 1 rectangle from graph 0, graph 0 to graph 1, graph 1 behind fc rgb \"#BDBDBD\" "
          "fs solid 1 noborder\n",
          f);
    int missing = 0;
    for (size_t k = 0; k < h->nx * h->ny && !missing; k++) missing = isnan(h->z[k]);
    if (missing)
        fputs("set label 1 \"grey: no configuration with this pair\" at graph 0, graph -0.13 left font \",9\"\n", f);
    fputs("set bmargin 6\nset rmargin 18\n", f); /* room for the colour box, its tics and label */
    fputs("plot \"heatmap.dat\" using 1:2:3 with image", f);
    if (values)
        fprintf(f,
                ", \\\n  \"heatmap_cells.dat\" using 1:2:(sprintf(\"%s%s\", $3 * %g)):($4 > 0 ? 0xFFFFFF : 0x000000) "
                "with labels tc rgb variable font \",%d\"",
                fmt, suffix, scale, h->nx > 14 ? 8 : 10);
    fputs("\n", f);
    script_tail(f, RB_CHART_HEATMAP);
    if ((st = file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}

/* ---------------------------------------------------------------- 5: frontier */

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

static rb_status chart_frontier(const rb_report *r, const char *cdir, const families *fm, rb_chart_outcome *o,
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

    chart_file data, gp;
    rb_status st = file_open(&data, cdir, "frontier", ".dat", err);
    if (st) goto done;
    /* One block per family that has points, in family order; points of an unknown family
     * index last. */
    fputs("# frontier: x, y; one block per family in the order of frontier.gp\n", data.f);
    for (size_t g = 0; g <= nf; g++) {
        if (!count[g]) continue;
        for (size_t k = 0; k < fr->npoints; k++) {
            size_t fam = fr->family[k] < nf ? fr->family[k] : nf;
            if (fam != g) continue;
            num(data.f, fr->x[k]);
            fputc(' ', data.f);
            num(data.f, fr->y[k]);
            fputc('\n', data.f);
        }
        fputs("\n\n", data.f);
    }
    if ((st = file_close(&data, err))) goto done;
    if ((st = file_open(&data, cdir, "frontier_ends", ".dat", err))) goto done;
    fputs("# frontier_ends: x, y of buy-and-hold, then of every-bar rebalancing\n", data.f);
    num(data.f, fr->hold_x);
    fputc(' ', data.f);
    num(data.f, fr->hold_y);
    fputc('\n', data.f);
    num(data.f, fr->every_x);
    fputc(' ', data.f);
    num(data.f, fr->every_y);
    fputc('\n', data.f);
    if ((st = file_close(&data, err))) goto done;

    if ((st = file_open(&gp, cdir, "frontier", ".gp", err))) goto done;
    FILE *f = gp.f;
    char note[128] = "";
    if (fr->sampled_from > fr->npoints)
    {
        char a[32], b[32];
        snprintf(note, sizeof note, "a sample of %s of %s configurations", grouped(a, sizeof a, fr->npoints),
                 grouped(b, sizeof b, fr->sampled_from));
    }
    script_head(f, r, RB_CHART_FRONTIER, note);
    fputs("set xlabel ", f);
    label(f, fr->x_label[0] ? fr->x_label : "x", TITLE_MAX);
    fputs("\nset ylabel ", f);
    label(f, fr->y_label[0] ? fr->y_label : "y", TITLE_MAX);
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
            size_t c = shown_chars(g < nf ? fr->families[g] : "other", KEY_MAX);
            if (c > longest) longest = c;
            entries++;
        }
    key_below(f, longest, entries);
    fputs("plot \\\n", f);
    size_t block = 0;
    for (size_t g = 0; g <= nf; g++) {
        if (!count[g]) continue;
        int k = g < nf ? families_index(fm, fr->families[g]) : -1;
        const char *colour = k >= 0 ? family_colours[(size_t)k % NCOLOURS] : "#606060";
        /* The points without a key entry, then an opaque, larger marker for the key. */
        fprintf(f, "  \"frontier.dat\" index %zu using 1:2 with points pt 7 ps %.2f lc rgb \"#%s%s\" notitle, \\\n",
                block, ps, alpha, colour + 1);
        fprintf(f, "  NaN with points pt 7 ps 1.5 lc rgb \"%s\" title ", colour);
        label(f, g < nf ? fr->families[g] : "other", KEY_MAX);
        fputs(", \\\n", f);
        block++;
    }
    fputs("  \"frontier_ends.dat\" every ::0::0 using 1:2 with points pt 5 ps 2.6 lc rgb \"" HOLD_COLOUR
          "\" title \"buy-and-hold\", \\\n"
          "  \"frontier_ends.dat\" every ::1::1 using 1:2 with points pt 9 ps 3 lc rgb \"#606060\" "
          "title \"every-bar rebalancing\"\n",
          f);
    script_tail(f, RB_CHART_FRONTIER);
    if ((st = file_close(&gp, err))) goto done;
    *ready = 1;
done:
    if (st && data.f) fclose(data.f);
    free(count);
    return st;
}

/* ---------------------------------------------------------------- 6: annual returns */

static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static rb_status chart_annual(const rb_report *r, const char *cdir, const families *fm, rb_chart_outcome *o,
                              int *ready, rb_error *err)
{
    size_t total = 0, nser = 0, longest = 0;
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].nyears && r->series[k].years && r->series[k].annual) {
            total += r->series[k].nyears;
            nser++;
            size_t c = shown_chars(r->series[k].label, KEY_MAX);
            if (c > longest) longest = c;
        }
    if (total == 0) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "no series has annual returns");
        return RB_OK;
    }
    /* The union of the series' years, ascending. */
    int *years = malloc(total * sizeof *years);
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

    chart_file data, gp;
    rb_status st = file_open(&data, cdir, "annual", ".dat", err);
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
            num(data.f, v);
        }
        fputc('\n', data.f);
    }
    if ((st = file_close(&data, err))) goto done;

    if ((st = file_open(&gp, cdir, "annual", ".gp", err))) goto done;
    FILE *f = gp.f;
    script_head(f, r, RB_CHART_ANNUAL, NULL);
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
    key_below(f, longest, nser);
    fputs("plot \\\n", f);
    size_t col = 2, done_ser = 0;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (!s->nyears || !s->years || !s->annual) continue;
        fprintf(f, "  \"annual.dat\" using %zu", col);
        if (col == 2) fprintf(f, ":xtic(int($0) %% %zu == 0 ? sprintf(\"%%d\", $1) : \"\")", step);
        fprintf(f, " lc rgb \"%s\" title ", series_colour(fm, s));
        label(f, s->label[0] ? s->label : s->family, KEY_MAX);
        done_ser++;
        fputs(done_ser < nser ? ", \\\n" : "\n", f);
        col++;
    }
    script_tail(f, RB_CHART_ANNUAL);
    if ((st = file_close(&gp, err))) goto done;
    *ready = 1;
done:
    free(years);
    return st;
}

/* ---------------------------------------------------------------- 7: excess decomposed */

static rb_status chart_excess(const rb_report *r, const char *cdir, rb_chart_outcome *o, int *ready, rb_error *err)
{
    size_t nf = 0;
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].role == RB_SERIES_BEST && r->series[k].has_split) nf++;
    if (nf == 0) {
        o->state = RB_CHART_NOT_APPLICABLE;
        snprintf(o->why, sizeof o->why, "no strategy family's excess over buy-and-hold was decomposed");
        return RB_OK;
    }
    chart_file data, gp;
    rb_status st = file_open(&data, cdir, "excess", ".dat", err);
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
            num(data.f, 100.0 * parts[p]);
        }
        fputc('\n', data.f);
        i++;
    }
    if ((st = file_close(&data, err))) return st;

    if ((st = file_open(&gp, cdir, "excess", ".gp", err))) return st;
    FILE *f = gp.f;
    script_head(f, r, RB_CHART_EXCESS, NULL);
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
        label(f, s->family, AXIS_MAX);
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
    script_tail(f, RB_CHART_EXCESS);
    if ((st = file_close(&gp, err))) return st;
    *ready = 1;
    return RB_OK;
}

/* ---------------------------------------------------------------- all of them */

rb_status rb_charts_write(const rb_report *r, const char *dir, rb_chart_outcome out[RB_CHART_COUNT], rb_error *err)
{
    char cdir[4096];
    int n = snprintf(cdir, sizeof cdir, "%s/charts", dir);
    if (n < 0 || (size_t)n >= sizeof cdir) return rb_fail(err, RB_ERR_IO, "%s: path too long", dir);
    if (mkdir(cdir, 0777) != 0) {
        struct stat sb;
        if (errno != EEXIST || stat(cdir, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return rb_fail(err, RB_ERR_IO, "%s: cannot create the charts folder: %s", cdir,
                           errno == EEXIST ? "a file of that name exists" : strerror(errno));
    }
    families fm;
    rb_status st = families_build(r, &fm, err);
    if (st) return st;
    rb_chart_outcome res[RB_CHART_COUNT];
    int ready[RB_CHART_COUNT] = {0};
    for (int c = 0; c < RB_CHART_COUNT; c++) res[c] = (rb_chart_outcome){.state = RB_CHART_FAILED};
    st = chart_curves(r, cdir, &fm, RB_CHART_EQUITY, &res[RB_CHART_EQUITY], &ready[RB_CHART_EQUITY], err);
    if (!st)
        st = chart_curves(r, cdir, &fm, RB_CHART_DRAWDOWN, &res[RB_CHART_DRAWDOWN], &ready[RB_CHART_DRAWDOWN], err);
    if (!st) st = chart_weights(r, cdir, &res[RB_CHART_WEIGHTS], &ready[RB_CHART_WEIGHTS], err);
    if (!st) st = chart_heatmap(r, cdir, &res[RB_CHART_HEATMAP], &ready[RB_CHART_HEATMAP], err);
    if (!st) st = chart_frontier(r, cdir, &fm, &res[RB_CHART_FRONTIER], &ready[RB_CHART_FRONTIER], err);
    if (!st) st = chart_annual(r, cdir, &fm, &res[RB_CHART_ANNUAL], &ready[RB_CHART_ANNUAL], err);
    if (!st) st = chart_excess(r, cdir, &res[RB_CHART_EXCESS], &ready[RB_CHART_EXCESS], err);
    free(fm.name);
    if (st) return st;
    rb_chart_id ids[RB_CHART_COUNT];
    size_t nready = 0;
    for (int c = 0; c < RB_CHART_COUNT; c++) {
        if (ready[c]) {
            ids[nready++] = (rb_chart_id)c;
            continue;
        }
        /* Not drawn this time: a drawing left by an earlier report must not be shown. */
        char old[4200];
        snprintf(old, sizeof old, "%s/%s.png", cdir, rb_chart_name((rb_chart_id)c));
        remove(old);
        snprintf(old, sizeof old, "%s/%s.svg", cdir, rb_chart_name((rb_chart_id)c));
        remove(old);
    }
    rb_gnuplot_run(cdir, ids, nready, res);
    memcpy(out, res, sizeof res);
    return RB_OK;
}
