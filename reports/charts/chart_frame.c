/* chart_frame.c - what every report chart shares (chart_frame.h): the families' colours,
 * labels the font can draw and gnuplot reads as plain strings, the data and script files,
 * dates and the time axis, and the frame of every script. The data files hold only numbers
 * and ISO dates, user text reaches a script only as an escaped string literal, and every
 * script draws a PNG and an SVG of the same plot. */
#include "chart_frame.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "gnuplot.h"
#include "alloc.h"

/* Colour-blind-safe qualitative colours for the families (Okabe-Ito without black and its
 * yellow, with Paul Tol's indigo, wine, olive and teal): a family keeps its colour in every
 * chart. Ordered so that the first six, the families most reports have, are far apart (CIE76
 * delta E 33 or more; sky blue, 26 from blue, comes seventh); the frontier gives each family
 * a marker shape as well. Black and grey are buy-and-hold's and every-bar rebalancing's alone. */
static const char *const family_colours[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#332288",
                                             "#D55E00", "#56B4E9", "#882255", "#999933", "#44AA99"};
#define NCOLOURS (sizeof family_colours / sizeof family_colours[0])

const char *rb_chart_colour(size_t k) { return family_colours[k % NCOLOURS]; }

int rb_chart_families_index(const rb_chart_families *fm, const char *name)
{
    for (size_t k = 0; k < fm->n; k++)
        if (strcmp(fm->name[k], name) == 0) return (int)k;
    return -1;
}

rb_status rb_chart_families_build(const rb_report *r, rb_chart_families *fm, rb_error *err)
{
    fm->n = 0;
    fm->name = rb_malloc((r->nseries + r->frontier.nfamilies + 1) * sizeof *fm->name);
    if (!fm->name) return rb_fail(err, RB_ERR_NOMEM, "charts: out of memory");
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].role == RB_SERIES_BEST && rb_chart_families_index(fm, r->series[k].family) < 0)
            fm->name[fm->n++] = r->series[k].family;
    for (size_t k = 0; k < r->frontier.nfamilies; k++)
        if (rb_chart_families_index(fm, r->frontier.families[k]) < 0) fm->name[fm->n++] = r->frontier.families[k];
    return RB_OK;
}

/* "lc rgb "#rrggbb" dt N": beyond the palette, the colours repeat with another dash pattern. */
static void family_style(FILE *f, const rb_chart_families *fm, const char *family)
{
    int k = rb_chart_families_index(fm, family);
    if (k < 0) k = 0;
    static const int dashes[] = {1, 4, 5, 3};
    fprintf(f, "lc rgb \"%s\" dt %d", rb_chart_colour((size_t)k), dashes[((size_t)k / NCOLOURS) % 4]);
}

/* The line style of a series: buy-and-hold solid black, every bar dashed grey, a family its
 * colour. */
void rb_chart_series_line(FILE *f, const rb_chart_families *fm, const rb_report_series *s, size_t nseries)
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

const char *rb_chart_series_colour(const rb_chart_families *fm, const rb_report_series *s)
{
    if (s->role == RB_SERIES_HOLD) return HOLD_COLOUR;
    if (s->role == RB_SERIES_EVERY_BAR) return EVERY_COLOUR;
    int k = rb_chart_families_index(fm, s->family);
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
void rb_chart_label(FILE *f, const char *s, size_t max_bytes)
{
    char buf[1024];
    rb_gnuplot_text(f, drawable_text(s, buf, sizeof buf), max_bytes);
}

void rb_chart_label_body(FILE *f, const char *s, size_t max_bytes)
{
    char buf[1024];
    rb_gnuplot_body(f, drawable_text(s, buf, sizeof buf), max_bytes);
}

rb_status rb_chart_file_open(rb_chart_file *cf, const char *cdir, const char *name, const char *ext, rb_error *err)
{
    int n = snprintf(cf->path, sizeof cf->path, "%s/%s%s", cdir, name, ext);
    if (n < 0 || (size_t)n >= sizeof cf->path) return rb_fail(err, RB_ERR_IO, "%s: path too long", cdir);
    cf->f = fopen(cf->path, "w");
    if (!cf->f) return rb_fail(err, RB_ERR_IO, "%s: cannot write: %s", cf->path, strerror(errno));
    return RB_OK;
}

rb_status rb_chart_file_close(rb_chart_file *cf, rb_error *err)
{
    int werr = rb_stream_close(cf->f);
    cf->f = NULL;
    if (werr) return rb_fail(err, RB_ERR_IO, "%s: cannot write: %s", cf->path, strerror(werr));
    return RB_OK;
}

/* A number for a data file: full enough for a drawing, NaN where it is not finite. */
void rb_chart_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("NaN", f);
}

/* ---------------------------------------------------------------- time axis */

/* Dates are written as YYYY-MM-DD when every bar of the chart is a midnight, else with the
 * time of day; the script's timefmt says which. */
int rb_chart_all_midnights(const rb_time *t, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (t[k] % 86400 != 0) return 0;
    return 1;
}

void rb_chart_date(FILE *f, rb_time t, int midnight)
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
void rb_chart_time_axis(FILE *f, rb_time t0, rb_time t1, int midnight) { rb_chart_time_axis_max(f, t0, t1, midnight, 11); }

void rb_chart_time_axis_max(FILE *f, rb_time t0, rb_time t1, int midnight, int max_labels)
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
        if (days / (30.44 * month_steps[k]) <= max_labels) {
            mstep = month_steps[k];
            break;
        }
    if (mstep == 1 && days < 120) {
        mstep = 0;
        for (size_t k = 0; k < sizeof day_steps / sizeof *day_steps; k++)
            if (days / day_steps[k] <= max_labels - 1) {
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

/* The title literal of any chart: title, ": extra_title", then the subtitle on a second line. */
static void title_literal(FILE *f, const char *title, const char *extra_title, const char *subtitle)
{
    fputc('"', f);
    rb_chart_label_body(f, title, TITLE_MAX);
    if (extra_title && *extra_title) {
        fputs(": ", f);
        rb_chart_label_body(f, extra_title, TITLE_MAX);
    }
    if (subtitle && subtitle[0]) {
        fputs("\\n", f);
        rb_chart_label_body(f, subtitle, TITLE_MAX);
    }
    fputc('"', f);
}

void rb_chart_title_literal(FILE *f, rb_chart_id id, const char *extra_title, const char *subtitle)
{
    title_literal(f, rb_chart_title(id), extra_title, subtitle);
}

/* The opening of every script: how to redraw it, the PNG terminal, the title (the chart's
 * name, then the report's subtitle on a second line) and the common look. */
void rb_chart_script_head(FILE *f, const rb_report *r, rb_chart_id id, const char *extra_title)
{
    rb_chart_script_head_as(f, r, id, extra_title, r->subtitle, HEIGHT);
}

/* The head of chart `name` titled title (and extra_title on the picture). */
static void script_head(FILE *f, const char *name, const char *title, const char *extra_title, const char *subtitle,
                        int height)
{
    fprintf(f,
            "# %s.gp - %s, written by rebal. Redraw (after any change) with:\n"
            "#   cd into this folder, then: gnuplot %s.gp\n"
            "# The data files it reads (%s*.dat) hold numbers and ISO dates only.\n"
            "reset\n"
            "set encoding utf8\n"
            "set terminal pngcairo noenhanced size %d,%d font \"" FONT "\"\n"
            "set output \"%s.png\"\n",
            name, title, name, name, WIDTH, height, name);
    fputs("set title ", f);
    title_literal(f, title, extra_title, subtitle);
    fputs(" font \",13\"\n", f);
    fputs("set border 3 lc rgb \"#404040\"\n"
          "set tics nomirror out\n"
          "set grid back lc rgb \"#D0D0D0\" lw 1 dt 1\n"
          "set key noautotitle\n",
          f);
}

void rb_chart_script_head_as(FILE *f, const rb_report *r, rb_chart_id id, const char *extra_title,
                             const char *subtitle, int height)
{
    (void)r;
    script_head(f, rb_chart_name(id), rb_chart_title(id), extra_title, subtitle, height);
}

/* Draws the same plot again as SVG, then closes the output. */
void rb_chart_script_tail(FILE *f, rb_chart_id id) { rb_chart_script_tail_named(f, rb_chart_name(id), HEIGHT); }

/* A step of 1, 2 or 5 times a power of ten, the smallest at least raw (> 0). */
double rb_chart_round_step(double raw)
{
    if (!(raw > 0) || !isfinite(raw)) return 1;
    double p10 = pow(10, floor(log10(raw))), m = raw / p10;
    /* 1e-9: a raw step of exactly 2 x 10^k stays 2, not 5, despite rounding in log10. */
    return (m <= 1 + 1e-9 ? 1 : m <= 2 + 1e-9 ? 2 : m <= 5 + 1e-9 ? 5 : 10) * p10;
}

/* A key below the plot, in as many columns as the longest entry allows. */
void rb_chart_key_below(FILE *f, size_t longest_chars, size_t entries)
{
    size_t per = longest_chars * 7 + 70; /* pixels of one entry at 11 pt, sample line included */
    size_t cols = (WIDTH - 60) / per;
    if (cols < 1) cols = 1;
    if (cols > 4) cols = 4;
    if (cols > entries) cols = entries ? entries : 1;
    fprintf(f, "set key below center horizontal Left reverse noopaque samplen 3 spacing 1.1 height 1 maxcols %zu\n", cols);
}

size_t rb_chart_shown_chars(const char *s, size_t max)
{
    size_t n = 0, bytes = 0;
    for (; s[bytes] && bytes < max; bytes++)
        if (((unsigned char)s[bytes] & 0xC0) != 0x80) n++;
    return s[bytes] ? n + 3 : n;
}

/* The head and tail of a chart beside the numbered ones (the resampled histories'), named and
 * titled by its writer: the same look as every chart. */
void rb_chart_script_head_named(FILE *f, const char *name, const char *title, const char *subtitle, int height)
{
    script_head(f, name, title, NULL, subtitle, height);
}

void rb_chart_script_tail_named(FILE *f, const char *name, int height)
{
    fprintf(f,
            "set terminal svg noenhanced size %d,%d font \"" FONT "\" background \"white\"\n"
            "set output \"%s.svg\"\n"
            "replot\n"
            "unset output\n",
            WIDTH, height, name);
}
