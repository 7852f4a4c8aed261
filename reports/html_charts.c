/* html_charts.c - the charts on the report's page (html_parts.h): each PNG embedded as a
 * data: URI with a text alternative, links to its files, or why it is missing. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "html_parts.h"
#include "alloc.h"


/* A PNG larger than this is linked, not embedded: a page of tens of MB helps nobody. */
#define MAX_EMBED_BYTES (16u << 20)

/* Up to a dozen series names for a chart's alt text. */
static void put_series_names(FILE *f, const rb_report *r, int with_every_bar)
{
    size_t shown = 0, total = 0;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (!with_every_bar && s->role == RB_SERIES_EVERY_BAR) continue;
        total++;
        if (shown == 12) continue;
        fputs(shown++ ? "; " : "", f);
        rb_html_line(f, rb_html_series_name(s));
    }
    if (total > shown) fprintf(f, "; and %zu more", total - shown);
}

static void put_alt(FILE *f, const rb_report *r, rb_chart_id id)
{
    switch (id) {
    case RB_CHART_EQUITY:
        fputs("Equity curves in USD on a log scale over time: ", f);
        put_series_names(f, r, 1);
        break;
    case RB_CHART_DRAWDOWN:
        fputs("Drawdowns in percent over time: ", f);
        put_series_names(f, r, 1);
        break;
    case RB_CHART_WEIGHTS:
        fputs("Asset weights over time as stacked areas against the targets", f);
        if (r->has_weights) {
            fputs(" for ", f);
            rb_html_line(f, r->weights.label);
            fputs(" (", f);
            for (size_t i = 0; i < r->weights.N && r->weights.symbols; i++) {
                fputs(i ? ", " : "", f);
                rb_html_line(f, r->weights.symbols[i]);
            }
            fprintf(f, "), with %zu rebalances marked", r->weights.nrebalances);
        }
        break;
    case RB_CHART_HEATMAP:
        fputs("Heatmap", f);
        if (r->has_heatmap) {
            fputs(" of ", f);
            rb_html_line(f, r->heatmap.z_label);
            fputs(" for each pair of ", f);
            rb_html_line(f, r->heatmap.x_key);
            fputs(" and ", f);
            rb_html_line(f, r->heatmap.y_key);
            fputs(" in the family ", f);
            rb_html_line(f, r->heatmap.family);
        }
        break;
    case RB_CHART_FRONTIER:
        rb_html_line(f, r->frontier.y_label);
        fputs(" against ", f);
        rb_html_line(f, r->frontier.x_label);
        fprintf(f, " for %zu configurations, coloured by family, with buy-and-hold and every-bar rebalancing marked",
                r->frontier.npoints);
        break;
    case RB_CHART_ANNUAL:
        fputs("Annual returns in percent by calendar year: ", f);
        put_series_names(f, r, 0);
        break;
    case RB_CHART_EXCESS:
        fputs("The excess over buy-and-hold of each family's best configuration, in percentage points per year, "
              "split into the every-bar gain (the same for every family: every-bar rebalancing, free, against holding), "
              "drift, cost drag and tax drag",
              f);
        break;
    case RB_CHART_MONTHLY:
        fputs("The monthly returns in percent of the best run (the run itself in the report of one run), one row per "
              "year, one column per month and one for the year, coloured from losses (red) to gains (blue)",
              f);
        break;
    case RB_CHART_ROLLING:
        fputs("Rolling one-year Sharpe ratio (top) and annualized volatility in percent (bottom) over time: ", f);
        put_series_names(f, r, 1);
        break;
    case RB_CHART_COUNT: break;
    }
}

/* dir/charts/name + suffix, malloc'ed; NULL when out of memory. */
static char *chart_path(const char *dir, const char *name, const char *suffix)
{
    return rb_asprintf("%s/charts/%s%s", dir, name, suffix);
}

/* Reads a whole file of at most MAX_EMBED_BYTES; NULL with *errnum on failure. */
static unsigned char *read_small_file(const char *path, size_t *len, int *errnum)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        *errnum = errno;
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = rb_malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= MAX_EMBED_BYTES) {
                *errnum = EFBIG;
                break;
            }
            unsigned char *grown = rb_realloc(buf, cap * 2);
            if (!grown) break;
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, in);
        n += got;
        if (got == 0) {
            if (ferror(in)) {
                *errnum = EIO;
                break;
            }
            fclose(in);
            *len = n;
            return buf;
        }
    }
    if (!buf) *errnum = ENOMEM;
    free(buf);
    fclose(in);
    return NULL;
}

static void put_base64(FILE *f, const unsigned char *p, size_t n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t k = 0;
    for (; k + 3 <= n; k += 3) {
        uint32_t v = (uint32_t)p[k] << 16 | (uint32_t)p[k + 1] << 8 | p[k + 2];
        putc(digits[v >> 18], f);
        putc(digits[(v >> 12) & 63], f);
        putc(digits[(v >> 6) & 63], f);
        putc(digits[v & 63], f);
    }
    if (n - k == 1) {
        uint32_t v = (uint32_t)p[k] << 16;
        putc(digits[v >> 18], f);
        putc(digits[(v >> 12) & 63], f);
        fputs("==", f);
    } else if (n - k == 2) {
        uint32_t v = (uint32_t)p[k] << 16 | (uint32_t)p[k + 1] << 8;
        putc(digits[v >> 18], f);
        putc(digits[(v >> 12) & 63], f);
        putc(digits[(v >> 6) & 63], f);
        putc('=', f);
    }
}

/* A link to charts/name+suffix when that file exists. */
static int put_file_link(FILE *f, const char *dir, const char *name, const char *suffix, const char *sep, rb_error *err)
{
    char *path = chart_path(dir, name, suffix);
    if (!path) return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory"), -1;
    int exists = access(path, F_OK) == 0;
    free(path);
    if (!exists) return 0;
    fputs(sep, f);
    fputs("<a href=\"charts/", f);
    rb_html_url_path(f, name);
    rb_html_url_path(f, suffix);
    fputs("\"><code>charts/", f);
    rb_html_line(f, name);
    rb_html_line(f, suffix);
    fputs("</code></a>", f);
    return 1;
}

/* charts/NAME.png embedded as an image (alt: the text of its alt attribute, escaped): 1 when
 * embedded, 0 when not (*errnum: the errno reading it, -1 when it is not a PNG file), -1 out of
 * memory. */
static int put_png(FILE *f, const char *dir, const char *name, const char *alt, int *errnum)
{
    char *path = chart_path(dir, name, ".png");
    if (!path) return -1;
    size_t n = 0;
    *errnum = 0;
    unsigned char *png = read_small_file(path, &n, errnum);
    free(path);
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (png && (n < sizeof signature || memcmp(png, signature, sizeof signature) != 0)) {
        free(png);
        png = NULL;
        *errnum = -1;
    }
    if (!png) return 0;
    fputs("<img src=\"data:image/png;base64,", f);
    put_base64(f, png, n);
    fputs("\" alt=\"", f);
    fputs(alt, f);
    fputs("\"/>\n", f);
    free(png);
    return 1;
}

/* A numbered figure's drawing or why there is none: the PNG embedded, with its files linked
 * (alt: the text of its alt attribute, escaped), else a note and the script and data to draw
 * it by hand. */
static rb_status put_outcome(FILE *f, const char *dir, const char *name, const char *alt, const rb_chart_outcome *o,
                             rb_error *err)
{
    rb_chart_state state = o ? o->state : RB_CHART_FAILED;
    const char *why = o ? o->why : "no outcome was recorded for this chart";
    if (state == RB_CHART_DRAWN) {
        int errnum = 0, got = put_png(f, dir, name, alt, &errnum);
        if (got < 0) return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
        if (!got) {
            fputs("<div class=\"missing\" role=\"note\"><p><strong>Drawn, but not embedded:</strong> <code>charts/", f);
            rb_html_line(f, name);
            fputs(".png</code> ", f);
            if (errnum == -1)
                fputs("is not a PNG file", f);
            else {
                fputs("cannot be read: ", f);
                rb_html_line(f, errnum == EFBIG ? "larger than 16 MiB" : strerror(errnum));
            }
            fputs(".</p></div>\n", f);
        }
        fputs("<p class=\"links\">Files:", f);
        int a = put_file_link(f, dir, name, ".svg", " ", err);
        int b = a < 0 ? -1 : put_file_link(f, dir, name, ".png", a ? " | " : " ", err);
        if (b < 0) return RB_ERR_NOMEM;
        if (!a && !b) fputs(" none found", f);
        fputs("</p>\n</figure>\n", f);
        return RB_OK;
    }
    fputs("<div class=\"missing\" role=\"note\">\n<p>", f);
    switch (state) {
    case RB_CHART_NOT_APPLICABLE: fputs("<strong>Not applicable to this report.</strong>", f); break;
    case RB_CHART_NO_GNUPLOT:
        fputs("<strong>Not drawn: gnuplot is not installed.</strong> Install it with <code>sudo apt-get install "
              "gnuplot-nox</code> (or run <code>scripts/setup-deps</code>) and write the report again.",
              f);
        break;
    case RB_CHART_FAILED: fputs("<strong>Not drawn: gnuplot failed.</strong>", f); break;
    default: fputs("<strong>Not drawn.</strong>", f); break;
    }
    if (why && why[0]) {
        putc(' ', f);
        rb_html_line(f, why);
    }
    fputs("</p>\n", f);
    if (state != RB_CHART_NOT_APPLICABLE) {
        /* The script and data let a reader draw it by hand. */
        fputs("<p class=\"links\">Its gnuplot script and data:", f);
        int a = put_file_link(f, dir, name, ".gp", " ", err);
        int b = a < 0 ? -1 : put_file_link(f, dir, name, ".dat", a ? " | " : " ", err);
        if (b < 0) return RB_ERR_NOMEM;
        if (!a && !b) fputs(" not written", f);
        fputs(".</p>\n", f);
    }
    fputs("</div>\n</figure>\n", f);
    return RB_OK;
}

rb_status rb_html_chart(FILE *f, const rb_report *r, const char *dir, rb_chart_id id, const rb_chart_outcome *o,
                           rb_error *err)
{
    const char *name = rb_chart_name(id);
    fputs("<figure id=\"chart-", f);
    rb_html_url_path(f, name);
    fprintf(f, "\" class=\"chart\">\n<figcaption>%d. ", (int)id + 1);
    rb_html_line(f, rb_chart_title(id));
    fputs("</figcaption>\n", f);
    char *alt = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&alt, &len);
    if (!m) return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
    put_alt(m, r, id);
    if (fclose(m) != 0 || !alt) {
        free(alt);
        return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
    }
    rb_status rc = put_outcome(f, dir, name, alt, o, err);
    free(alt);
    return rc;
}

rb_status rb_html_named_chart(FILE *f, const char *dir, const char *name, const char *caption, const char *alt,
                              const rb_chart_outcome *o, rb_error *err)
{
    fputs("<figure id=\"chart-", f);
    rb_html_url_path(f, name);
    fputs("\" class=\"chart\">\n<figcaption>", f);
    rb_html_line(f, caption);
    fputs("</figcaption>\n", f);
    char *esc = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&esc, &len);
    if (!m) return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
    rb_html_line(m, alt);
    if (fclose(m) != 0 || !esc) {
        free(esc);
        return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
    }
    int errnum = 0, got = o->state == RB_CHART_DRAWN ? put_png(f, dir, name, esc, &errnum) : 0;
    free(esc);
    if (got < 0) return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
    if (!got) {
        fputs("<div class=\"missing\" role=\"note\"><p><strong>Not drawn.</strong> ", f);
        rb_html_line(f, o->state == RB_CHART_DRAWN ? (errnum > 0 ? strerror(errnum) : "the PNG cannot be read") : o->why);
        fputs("</p></div>\n", f);
    }
    /* Its files, the script and data included: a chart beside the numbered ones. */
    fputs("<p class=\"links\">Files:", f);
    int a = put_file_link(f, dir, name, ".svg", " ", err);
    int b = a < 0 ? -1 : put_file_link(f, dir, name, ".gp", a ? " | " : " ", err);
    int c = b < 0 ? -1 : put_file_link(f, dir, name, ".dat", a || b ? " | " : " ", err);
    if (c < 0) return RB_ERR_NOMEM;
    if (!a && !b && !c) fputs(" none", f);
    fputs("</p>\n</figure>\n", f);
    return RB_OK;
}
