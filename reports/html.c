/* html.c - the report's page, DIR/index.html (report.h): one self-contained, well-formed
 * (XML-compatible) HTML5 file with inline CSS and script, the answers at a glance, the sortable
 * summary table, the PNG charts as data: URIs, links to the CSV files and the conventions. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "report.h"
#include "results/reader.h"

/* A PNG larger than this is linked, not embedded: a page of tens of MB helps nobody. */
#define MAX_EMBED_BYTES (16u << 20)

/* The UTF-8 bytes of U+FFFD, written for bytes that are not UTF-8. */
#define REPLACEMENT "\xEF\xBF\xBD"

/* ---------------------------------------------------------------- text */

/* Length of the valid UTF-8 sequence at p (NUL-terminated), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF; /* lo..hi: the range of the second byte */
    size_t len;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi) return 0; /* checked in order, so a NUL stops the reading */
    for (size_t k = 2; k < len; k++)
        if (p[k] < 0x80 || p[k] > 0xBF) return 0;
    return len;
}

/* Writes s as HTML text or attribute value: the five markup characters as entities, control
 * characters (C0, DEL, C1) as spaces, bytes that are not UTF-8 as U+FFFD, CRLF as LF. With
 * oneline, line breaks and tabs become spaces too (labels, attribute values). */
static void put_esc(FILE *f, const char *s, int oneline)
{
    if (!s) return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        const char *ent = NULL;
        switch (c) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: break;
        }
        if (ent) {
            fputs(ent, f);
            p++;
        } else if (c == '\r' && p[1] == '\n') {
            p++;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            putc(oneline ? ' ' : c == '\t' ? '\t' : '\n', f);
            p++;
        } else if (c < 0x20 || c == 0x7F) {
            putc(' ', f);
            p++;
        } else if (c < 0x80) {
            putc(c, f);
            p++;
        } else {
            size_t len = utf8_len(p);
            if (len == 0) {
                fputs(REPLACEMENT, f);
                p++;
                continue;
            }
            if (len == 2 && c == 0xC2 && p[1] <= 0x9F)
                putc(' ', f); /* a C1 control */
            else if (len == 3 && c == 0xEF && p[1] == 0xBF && p[2] >= 0xBE)
                fputs(REPLACEMENT, f); /* U+FFFE, U+FFFF: not characters */
            else
                fwrite(p, 1, len, f);
            p += len;
        }
    }
}

static void put_text(FILE *f, const char *s) { put_esc(f, s, 0); }
static void put_line(FILE *f, const char *s) { put_esc(f, s, 1); }

/* Writes a relative path as a URL path: every byte other than an unreserved one (RFC 3986:
 * letters, digits, - . _ ~) or the '/' between segments percent-encoded, so that no name
 * can close the attribute, start a scheme ("javascript:") or a query. */
static void put_url_path(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~' || c == '/')
            putc(c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}

/* NULL when name may be linked as a path relative to DIR, else why not. */
static const char *link_refusal(const char *name)
{
    if (!name || !*name) return "an empty name";
    if (name[0] == '/') return "an absolute path";
    if (strchr(name, '\\')) return "a backslash in the path";
    for (const char *seg = name;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 2 && seg[0] == '.' && seg[1] == '.') return "a '..' segment that leaves the report folder";
        if (!end) break;
        seg = end + 1;
    }
    return NULL;
}

/* ---------------------------------------------------------------- numbers */

/* |v| with `decimals` digits and thousands separators, with a '-' when v < 0 and the text
 * is not all zeros ("-0.00" would only confuse). */
static void grouped(char *out, size_t cap, double v, int decimals)
{
    char digits[400];
    snprintf(digits, sizeof digits, "%.*f", decimals, fabs(v));
    int nonzero = strpbrk(digits, "123456789") != NULL;
    size_t intlen = strcspn(digits, ".");
    size_t o = 0;
    if (v < 0 && nonzero && o + 1 < cap) out[o++] = '-';
    for (size_t k = 0; digits[k] && o + 1 < cap; k++) {
        if (k > 0 && k < intlen && (intlen - k) % 3 == 0) {
            out[o++] = ',';
            if (o + 1 >= cap) break;
        }
        out[o++] = digits[k];
    }
    out[o] = '\0';
}

typedef enum fmt_mode {
    FMT_VALUE, /* a metric's value: "12.30 %" */
    FMT_DELTA, /* a signed difference: "+1.20 pp" */
    FMT_AMOUNT /* the size of a difference, unsigned: "1.20 pp" */
} fmt_mode;

/* A metric value or difference in the metric's unit. */
static void format_metric(char *out, size_t cap, double v, const rb_metric_info *m, fmt_mode mode)
{
    if (isnan(v)) {
        snprintf(out, cap, "n/a");
        return;
    }
    if (mode == FMT_AMOUNT) v = fabs(v);
    const char *sign = mode == FMT_DELTA && v > 0 ? "+" : "";
    const char *unit = m->unit;
    if (isinf(v)) {
        snprintf(out, cap, "%s%s %s", sign, v > 0 ? "infinity" : "-infinity", unit);
    } else if (strcmp(unit, "USD") == 0) {
        char g[512];
        grouped(g, sizeof g, v, 2);
        snprintf(out, cap, "%s%s USD", sign, g);
    } else if (strcmp(unit, "fraction") == 0) {
        /* Fractions read as percent; their differences as percentage points. */
        if (mode == FMT_VALUE)
            snprintf(out, cap, "%.2f %%", 100 * v);
        else
            snprintf(out, cap, "%s%.2f pp", sign, 100 * v);
    } else if (strcmp(unit, "ratio") == 0) {
        snprintf(out, cap, "%s%.3f", sign, v);
    } else if (strcmp(unit, "count") == 0) {
        snprintf(out, cap, "%s%.0f", sign, v);
    } else {
        snprintf(out, cap, "%s%.4g %s", sign, v, unit);
    }
}

/* A fraction per year as percentage points per year ("-0.31 pp per year"). */
static void format_excess(char *out, size_t cap, double v)
{
    if (isnan(v))
        snprintf(out, cap, "n/a");
    else
        snprintf(out, cap, "%s%.2f pp per year", v > 0 ? "+" : "", 100 * v);
}

/* ---------------------------------------------------------------- the model's answers */

static double metric_of(const rb_report_series *s, const rb_metric_info *m)
{
    double v;
    memcpy(&v, (const char *)&s->metrics + m->offset, sizeof v);
    return v;
}

/* How much better a is than b on m, in m's unit: positive when a is better. NaN when either is. */
static double advantage(double a, double b, const rb_metric_info *m)
{
    return rb_results_ascending(m->name) ? b - a : a - b;
}

static const rb_report_series *hold_series(const rb_report *r)
{
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].role == RB_SERIES_HOLD) return &r->series[k];
    return NULL;
}

typedef enum verdict { VERDICT_UNKNOWN, VERDICT_PAYS, VERDICT_NEGATIVE } verdict;

/* Whether a family's best configuration loses to buy-and-hold after costs: its excess
 * (after costs and tax) when the split is known, else its metric against buy-and-hold's. */
static verdict verdict_of(const rb_report_series *s, const rb_report_series *hold, const rb_metric_info *m)
{
    if (s->has_split) {
        if (isnan(s->split.excess)) return VERDICT_UNKNOWN;
        return s->split.excess < 0 ? VERDICT_NEGATIVE : VERDICT_PAYS;
    }
    if (!hold || !m) return VERDICT_UNKNOWN;
    double adv = advantage(metric_of(s, m), metric_of(hold, m), m);
    if (isnan(adv)) return VERDICT_UNKNOWN;
    return adv < 0 ? VERDICT_NEGATIVE : VERDICT_PAYS;
}

static const char *series_name(const rb_report_series *s) { return s->label[0] ? s->label : s->family; }

/* ---------------------------------------------------------------- page parts */

static const char page_style[] =
    ":root{color-scheme:light}\n"
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,Helvetica,Arial,sans-serif;"
    "color:#1f2933;background:#f7f9fb}\n"
    "header,main,footer{max-width:72rem;margin:0 auto;padding:0 1rem}\n"
    "h1{font-size:1.75rem;line-height:1.25;margin:1.5rem 0 .25rem;overflow-wrap:anywhere}\n"
    ".subtitle{color:#52606d;margin:0 0 .75rem;overflow-wrap:anywhere}\n"
    "nav ul{list-style:none;padding:0;margin:0 0 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem}\n"
    "a{color:#1d4ed8}\n"
    "section{margin:2rem 0}\n"
    "h2{font-size:1.3rem;border-bottom:1px solid #d9e2ec;padding-bottom:.25rem}\n"
    ".glance{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:.5rem 1.25rem 1rem}\n"
    ".glance li{margin:.4rem 0}\n"
    ".hint{color:#52606d;font-size:.9rem}\n"
    ".scroll{overflow-x:auto;border:1px solid #d9e2ec;border-radius:4px;background:#fff}\n"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}\n"
    "th,td{padding:.35rem .6rem;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}\n"
    "th{background:#eef2f6;font-weight:600}\n"
    "tbody tr:nth-child(even){background:#f8fafc}\n"
    ".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "th button{font:inherit;color:inherit;background:none;border:0;padding:0;margin:0;cursor:pointer;"
    "text-align:inherit;width:100%}\n"
    "th button::after{content:\" \\2195\";color:#9aa5b1}\n"
    "th[aria-sort=ascending] button::after{content:\" \\25B2\";color:#1f2933}\n"
    "th[aria-sort=descending] button::after{content:\" \\25BC\";color:#1f2933}\n"
    "th button:focus-visible{outline:2px solid #1d4ed8;outline-offset:2px}\n"
    ".neg{color:#b42318;font-weight:600}\n"
    ".pos{color:#067647}\n"
    "figure{margin:1.5rem 0;background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:1rem}\n"
    "figcaption{font-weight:600;margin-bottom:.5rem}\n"
    "figure img{display:block;max-width:100%;height:auto;margin:0 auto}\n"
    ".links{font-size:.9rem;margin:.5rem 0 0}\n"
    ".missing{background:#fff8e6;border-left:4px solid #f0b429;padding:.25rem 1rem}\n"
    ".refused{color:#b42318}\n"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #d9e2ec;"
    "border-radius:4px;padding:1rem;font-size:.85rem}\n"
    "code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}\n"
    "footer{color:#52606d;font-size:.85rem;padding-bottom:2rem}\n"
    "@media (max-width:40rem){body{font-size:15px}th,td{padding:.3rem .4rem}h1{font-size:1.4rem}}\n"
    "@media print{body{background:#fff}nav,.links,.hint{display:none}"
    "th button::after{content:none}.scroll{overflow:visible;border:0}"
    "figure,.glance,tr{break-inside:avoid}a{color:inherit;text-decoration:none}}\n";

/* Sorts a table.sortable by the column whose head button is clicked: numbers numerically
 * (class "num" on the th), text in natural order, empty and non-numbers last in both
 * directions; a second click reverses. Written without '<' and '&' so that the page stays
 * well-formed XML as well. */
static const char page_script[] =
    "(function () {\n"
    "  'use strict';\n"
    "  function keyOf(cell, numeric) {\n"
    "    var t = cell ? cell.textContent.trim() : '';\n"
    "    if (t === '') return null;\n"
    "    if (!numeric) return t;\n"
    "    var v = parseFloat(t.replace(/[,\\s]/g, ''));\n"
    "    return isNaN(v) ? null : v;\n"
    "  }\n"
    "  function sortBy(table, th, col, numeric) {\n"
    "    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;\n"
    "    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute('aria-sort'); });\n"
    "    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');\n"
    "    var body = table.tBodies[0];\n"
    "    var rows = Array.prototype.map.call(body.rows, function (tr, i) {\n"
    "      return {tr: tr, k: keyOf(tr.cells[col], numeric), i: i};\n"
    "    });\n"
    "    rows.sort(function (a, b) {\n"
    "      if (a.k === null) return b.k === null ? a.i - b.i : 1;\n"
    "      if (b.k === null) return -1;\n"
    "      var c = numeric ? a.k - b.k : a.k.localeCompare(b.k, undefined, {numeric: true});\n"
    "      return c ? dir * c : a.i - b.i;\n"
    "    });\n"
    "    rows.forEach(function (r) { body.appendChild(r.tr); });\n"
    "  }\n"
    "  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {\n"
    "    if (!table.tHead) return;\n"
    "    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {\n"
    "      var button = th.querySelector('button');\n"
    "      if (!button) return;\n"
    "      button.addEventListener('click', function () {\n"
    "        sortBy(table, th, col, th.classList.contains('num'));\n"
    "      });\n"
    "    });\n"
    "  });\n"
    "})();\n";

static void put_sort_head(FILE *f, const char *text, int numeric)
{
    fputs(numeric ? "<th scope=\"col\" class=\"num\"><button type=\"button\">"
                  : "<th scope=\"col\"><button type=\"button\">",
          f);
    put_line(f, text);
    fputs("</button></th>", f);
}

static void put_cell(FILE *f, const char *text, int numeric, const char *extra_class)
{
    if (numeric || extra_class) {
        fputs("<td class=\"", f);
        if (numeric) fputs("num", f);
        if (numeric && extra_class) putc(' ', f);
        if (extra_class) fputs(extra_class, f);
        fputs("\">", f);
    } else
        fputs("<td>", f);
    put_line(f, text);
    fputs("</td>", f);
}

/* The best configuration of each family against buy-and-hold, best first. */
static rb_status put_family_table(FILE *f, const rb_report *r, const rb_report_series *hold, const rb_metric_info *m,
                                  rb_error *err)
{
    size_t n = 0;
    size_t *order = malloc((r->nseries ? r->nseries : 1) * sizeof *order);
    if (!order) return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].role == RB_SERIES_BEST) order[n++] = k;
    /* Insertion sort (a handful of families), stable; NaN last. */
    for (size_t a = 1; a < n; a++) {
        size_t v = order[a], b = a;
        double x = m ? metric_of(&r->series[v], m) : NAN;
        while (b > 0) {
            double y = m ? metric_of(&r->series[order[b - 1]], m) : NAN;
            int before = !isnan(x) && (isnan(y) || advantage(x, y, m) > 0);
            if (!before) break;
            order[b] = order[b - 1];
            b--;
        }
        order[b] = v;
    }
    if (n > 0) {
        fputs("<h3>The best configuration of each family</h3>\n<div class=\"scroll\"><table id=\"families\" "
              "class=\"sortable\">\n<thead><tr>",
              f);
        put_sort_head(f, "family", 0);
        put_sort_head(f, "best configuration", 0);
        put_sort_head(f, m ? m->name : r->metric, 1);
        put_sort_head(f, "vs buy-and-hold", 1);
        put_sort_head(f, "excess after costs and tax", 1);
        put_sort_head(f, "verdict", 0);
        fputs("</tr></thead>\n<tbody>\n", f);
        for (size_t k = 0; k < n; k++) {
            const rb_report_series *s = &r->series[order[k]];
            char value[600] = "n/a", delta[600] = "n/a", excess[64] = "n/a";
            if (m) {
                format_metric(value, sizeof value, metric_of(s, m), m, FMT_VALUE);
                if (hold) format_metric(delta, sizeof delta, metric_of(s, m) - metric_of(hold, m), m, FMT_DELTA);
            }
            if (s->has_split) format_excess(excess, sizeof excess, s->split.excess);
            verdict v = verdict_of(s, hold, m);
            fputs("<tr>", f);
            put_cell(f, s->family, 0, NULL);
            put_cell(f, series_name(s), 0, NULL);
            put_cell(f, value, 1, NULL);
            put_cell(f, delta, 1, NULL);
            put_cell(f, excess, 1, NULL);
            put_cell(f,
                     v == VERDICT_NEGATIVE ? "net-negative after costs"
                     : v == VERDICT_PAYS   ? "beats buy-and-hold"
                                           : "unknown",
                     0,
                     v == VERDICT_NEGATIVE ? "neg"
                     : v == VERDICT_PAYS   ? "pos"
                                           : NULL);
            fputs("</tr>\n", f);
        }
        fputs("</tbody>\n</table></div>\n", f);
    }
    free(order);
    return RB_OK;
}

/* "At a glance": which rule wins after costs, by how much, and which families lose. */
static rb_status put_glance(FILE *f, const rb_report *r, rb_error *err)
{
    const rb_metric_info *m = rb_metric_find(r->metric);
    const rb_report_series *hold = hold_series(r);
    const rb_report_series *win = NULL;
    size_t nbest = 0;
    if (m)
        for (size_t k = 0; k < r->nseries; k++) {
            const rb_report_series *s = &r->series[k];
            if (s->role != RB_SERIES_BEST) continue;
            nbest++;
            double v = metric_of(s, m);
            if (!isnan(v) && (!win || advantage(v, metric_of(win, m), m) > 0)) win = s;
        }

    fputs("<section id=\"glance\" class=\"glance\">\n<h2>At a glance</h2>\n<ul>\n", f);
    if (!m) {
        fputs("<li>The ranking metric <code>", f);
        put_line(f, r->metric);
        fputs("</code> is not one rebal computes, so no rule is named the winner.</li>\n", f);
    } else {
        fputs("<li><strong>Which rule wins after costs:</strong> ", f);
        char val[600], hval[600], diff[600];
        if (!win) {
            fputs(nbest ? "no family's best configuration has a value of <code>"
                        : "this report holds no family's best configuration to rank by <code>",
                  f);
            put_line(f, m->name);
            fputs("</code>.", f);
        } else {
            format_metric(val, sizeof val, metric_of(win, m), m, FMT_VALUE);
            fputs("<span class=\"winner\">", f);
            put_line(f, series_name(win));
            fputs("</span> (family <code>", f);
            put_line(f, win->family);
            fputs("</code>) with <code>", f);
            put_line(f, m->name);
            fputs("</code> = ", f);
            put_line(f, val);
            double adv = hold ? advantage(metric_of(win, m), metric_of(hold, m), m) : NAN;
            if (hold && !isnan(adv)) {
                format_metric(hval, sizeof hval, metric_of(hold, m), m, FMT_VALUE);
                format_metric(diff, sizeof diff, metric_of(win, m) - metric_of(hold, m), m, FMT_AMOUNT);
                if (adv > 0)
                    fputs(", which beats buy-and-hold (", f);
                else if (adv == 0)
                    fputs(", which ties with buy-and-hold (", f);
                else
                    fputs(", which still trails buy-and-hold (", f);
                put_line(f, hval);
                fputs(")", f);
                if (adv != 0) {
                    fputs(" by <strong class=\"margin\">", f);
                    put_line(f, diff);
                    fputs("</strong>", f);
                }
                fputs(adv < 0 ? ": no rule beats buy-and-hold on this metric after costs." : ".", f);
            } else
                fputs(hold ? "; buy-and-hold has no value to compare with."
                           : "; the report has no buy-and-hold run to compare with.",
                      f);
            fputs(rb_results_ascending(m->name) ? " Lower is better for this metric." : "", f);
        }
        fputs("</li>\n", f);
    }

    /* Which families are net-negative after costs. */
    fputs("<li><strong>Where costs make rebalancing net-negative:</strong> ", f);
    size_t nneg = 0, nknown = 0, total_neg = 0;
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].role == RB_SERIES_BEST && verdict_of(&r->series[k], hold, m) == VERDICT_NEGATIVE) total_neg++;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->role != RB_SERIES_BEST) continue;
        verdict v = verdict_of(s, hold, m);
        if (v != VERDICT_UNKNOWN) nknown++;
        if (v != VERDICT_NEGATIVE) continue;
        if (nneg++ == 0)
            fputs(total_neg == 1 ? "even the best configuration loses to buy-and-hold after costs in the family "
                                 : "even the best configuration loses to buy-and-hold after costs in the families ",
                  f);
        else
            fputs(nneg == total_neg ? " and " : ", ", f);
        fputs("<span class=\"neg family\">", f);
        put_line(f, s->family);
        fputs("</span> (", f);
        char text[600];
        if (s->has_split) {
            format_excess(text, sizeof text, s->split.excess);
            put_line(f, text);
            fputs(" after costs and tax", f);
        } else {
            format_metric(text, sizeof text, metric_of(s, m) - metric_of(hold, m), m, FMT_DELTA);
            put_line(f, text);
            fputs(" of <code>", f);
            put_line(f, m->name);
            fputs("</code>", f);
        }
        fputs(")", f);
    }
    if (nneg > 0)
        fputs(".", f);
    else if (nknown > 0)
        fputs("none: the best configuration of every family beats buy-and-hold after costs.", f);
    else
        fputs("not known: the report holds no family's best configuration with an excess over buy-and-hold.", f);
    fputs("</li>\n", f);

    if (r->has_heatmap) {
        const rb_report_heatmap *h = &r->heatmap;
        fputs("<li>The <a href=\"#chart-heatmap\">parameter heatmap</a> shows <em>", f);
        put_line(f, h->z_label);
        fputs("</em> for each pair of <code>", f);
        put_line(f, h->x_key);
        fputs("</code> and <code>", f);
        put_line(f, h->y_key);
        fputs("</code> in the family <code>", f);
        put_line(f, h->family);
        fputs("</code>", f);
        if (h->diverging && h->z) {
            size_t below = 0, cells = 0;
            for (size_t k = 0; k < h->nx * h->ny; k++)
                if (!isnan(h->z[k])) cells++, below += h->z[k] < 0;
            fprintf(f,
                    ": red cells (%zu of the %zu parameter pairs with a value) are where rebalancing loses to "
                    "buy-and-hold, blue cells where it wins.",
                    below, cells);
        } else
            fputs(".", f);
        fputs("</li>\n", f);
    }
    fputs("</ul>\n", f);
    fputs("<p class=\"hint\">Ranked by <code>", f);
    put_line(f, r->metric);
    fputs("</code>", f);
    if (m) {
        fputs(" (", f);
        put_line(f, m->unit);
        fputs(": ", f);
        put_line(f, m->definition);
        fputs(")", f);
    }
    fputs(". The excess is the after-tax growth rate of the rule minus that of buy-and-hold, per year; "
          "chart 7 splits it into rebalancing bonus, drift, cost drag and tax drag.</p>\n",
          f);
    rb_status rc = put_family_table(f, r, hold, m, err);
    fputs("</section>\n", f);
    return rc;
}

/* The top configurations per family, sortable. */
static void put_summary(FILE *f, const rb_report_table *t)
{
    fputs("<section id=\"summary\">\n<h2>Top configurations per family</h2>\n", f);
    if (t->ncols == 0 || !t->head) {
        fputs("<p>The report holds no summary table.</p>\n</section>\n", f);
        return;
    }
    fputs("<p class=\"hint\">Select a column head to sort by it; select it again to reverse the order.</p>\n"
          "<div class=\"scroll\"><table id=\"top\" class=\"sortable\">\n<thead><tr>",
          f);
    for (size_t c = 0; c < t->ncols; c++) put_sort_head(f, t->head[c], t->numeric && t->numeric[c]);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t row = 0; row < t->nrows; row++) {
        fputs("<tr>", f);
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = t->cells ? t->cells[row * t->ncols + c] : NULL;
            put_cell(f, cell ? cell : "", t->numeric && t->numeric[c], NULL);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);
    if (t->nrows == 0) fputs("<p>No configuration is in the table.</p>\n", f);
    fputs("</section>\n", f);
}

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
        put_line(f, series_name(s));
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
            put_line(f, r->weights.label);
            fputs(" (", f);
            for (size_t i = 0; i < r->weights.N && r->weights.symbols; i++) {
                fputs(i ? ", " : "", f);
                put_line(f, r->weights.symbols[i]);
            }
            fprintf(f, "), with %zu rebalances marked", r->weights.nrebalances);
        }
        break;
    case RB_CHART_HEATMAP:
        fputs("Heatmap", f);
        if (r->has_heatmap) {
            fputs(" of ", f);
            put_line(f, r->heatmap.z_label);
            fputs(" for each pair of ", f);
            put_line(f, r->heatmap.x_key);
            fputs(" and ", f);
            put_line(f, r->heatmap.y_key);
            fputs(" in the family ", f);
            put_line(f, r->heatmap.family);
        }
        break;
    case RB_CHART_FRONTIER:
        put_line(f, r->frontier.y_label);
        fputs(" against ", f);
        put_line(f, r->frontier.x_label);
        fprintf(f, " for %zu configurations, coloured by family, with buy-and-hold and every-bar rebalancing marked",
                r->frontier.npoints);
        break;
    case RB_CHART_ANNUAL:
        fputs("Annual returns in percent by calendar year: ", f);
        put_series_names(f, r, 0);
        break;
    case RB_CHART_EXCESS:
        fputs("The excess over buy-and-hold of each family's best configuration, in percentage points per year, "
              "split into rebalancing bonus, drift, cost drag and tax drag",
              f);
        break;
    case RB_CHART_COUNT: break;
    }
}

/* dir/charts/name + suffix, malloc'ed; NULL when out of memory. */
static char *chart_path(const char *dir, const char *name, const char *suffix)
{
    char *p = NULL;
    if (asprintf(&p, "%s/charts/%s%s", dir, name, suffix) < 0) return NULL;
    return p;
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
    unsigned char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= MAX_EMBED_BYTES) {
                *errnum = EFBIG;
                break;
            }
            unsigned char *grown = realloc(buf, cap * 2);
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
    put_url_path(f, name);
    put_url_path(f, suffix);
    fputs("\"><code>charts/", f);
    put_line(f, name);
    put_line(f, suffix);
    fputs("</code></a>", f);
    return 1;
}

static rb_status put_chart(FILE *f, const rb_report *r, const char *dir, rb_chart_id id, const rb_chart_outcome *o,
                           rb_error *err)
{
    const char *name = rb_chart_name(id);
    fputs("<figure id=\"chart-", f);
    put_url_path(f, name);
    fprintf(f, "\" class=\"chart\">\n<figcaption>%d. ", (int)id + 1);
    put_line(f, rb_chart_title(id));
    fputs("</figcaption>\n", f);
    rb_chart_state state = o ? o->state : RB_CHART_FAILED;
    const char *why = o ? o->why : "no outcome was recorded for this chart";
    if (state == RB_CHART_DRAWN) {
        char *path = chart_path(dir, name, ".png");
        if (!path) return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
        size_t n = 0;
        int errnum = 0;
        unsigned char *png = read_small_file(path, &n, &errnum);
        static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
        if (png && (n < sizeof signature || memcmp(png, signature, sizeof signature) != 0)) {
            free(png);
            png = NULL;
            errnum = -1;
        }
        if (png) {
            fputs("<img src=\"data:image/png;base64,", f);
            put_base64(f, png, n);
            fputs("\" alt=\"", f);
            put_alt(f, r, id);
            fputs("\"/>\n", f);
            free(png);
        } else {
            fputs("<div class=\"missing\" role=\"note\"><p><strong>Drawn, but not embedded:</strong> <code>charts/", f);
            put_line(f, name);
            fputs(".png</code> ", f);
            if (errnum == -1)
                fputs("is not a PNG file", f);
            else {
                fputs("cannot be read: ", f);
                put_line(f, errnum == EFBIG ? "larger than 16 MiB" : strerror(errnum));
            }
            fputs(".</p></div>\n", f);
        }
        free(path);
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
        put_line(f, why);
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

static void put_files(FILE *f, const rb_report *r)
{
    fputs("<section id=\"files\">\n<h2>Files</h2>\n", f);
    if (r->ncsv == 0 || !r->csv) {
        fputs("<p>No CSV files were written.</p>\n</section>\n", f);
        return;
    }
    fputs("<p class=\"hint\">CSV files (RFC 4180, a header row, ISO dates) next to this page, for pandas or a "
          "spreadsheet.</p>\n<ul>\n",
          f);
    for (size_t k = 0; k < r->ncsv; k++) {
        const char *name = r->csv[k];
        const char *refusal = link_refusal(name);
        if (refusal) {
            fputs("<li class=\"refused\">Not linked: <code>", f);
            put_line(f, name ? name : "");
            fputs("</code> (", f);
            fputs(refusal, f);
            fputs(")</li>\n", f);
            continue;
        }
        fputs("<li><a href=\"", f);
        put_url_path(f, name);
        fputs("\"><code>", f);
        put_line(f, name);
        fputs("</code></a></li>\n", f);
    }
    fputs("</ul>\n</section>\n", f);
}

static rb_status write_page(FILE *f, const rb_report *r, const char *dir, const rb_chart_outcome charts[RB_CHART_COUNT],
                            rb_error *err)
{
    const char *title = r->title[0] ? r->title : "rebal report";
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
          f);
    put_line(f, title);
    fputs("</title>\n<style>\n", f);
    fputs(page_style, f);
    fputs("</style>\n</head>\n<body>\n<header>\n<h1>", f);
    put_line(f, title);
    fputs("</h1>\n", f);
    if (r->subtitle[0]) {
        fputs("<p class=\"subtitle\">", f);
        put_line(f, r->subtitle);
        fputs("</p>\n", f);
    }
    fputs("<nav><ul><li><a href=\"#glance\">At a glance</a></li><li><a href=\"#summary\">Top configurations</a></li>"
          "<li><a href=\"#charts\">Charts</a></li><li><a href=\"#files\">Files</a></li>"
          "<li><a href=\"#conventions\">Conventions</a></li></ul></nav>\n</header>\n<main>\n",
          f);
    rb_status rc = put_glance(f, r, err);
    if (rc != RB_OK) return rc;
    put_summary(f, &r->top);
    fputs("<section id=\"charts\">\n<h2>Charts</h2>\n", f);
    for (int id = 0; id < RB_CHART_COUNT; id++) {
        rc = put_chart(f, r, dir, (rb_chart_id)id, charts ? &charts[id] : NULL, err);
        if (rc != RB_OK) return rc;
    }
    fputs("</section>\n", f);
    put_files(f, r);
    fputs("<section id=\"conventions\">\n<h2>Conventions</h2>\n<pre>", f);
    put_text(f, r->conventions && r->conventions[0] ? r->conventions : "No conventions were recorded.");
    fputs("</pre>\n</section>\n</main>\n<footer><p>Written by rebal. This page needs no network: the charts are "
          "embedded, the files it links sit next to it.</p></footer>\n<script>\n",
          f);
    fputs(page_script, f);
    fputs("</script>\n</body>\n</html>\n", f);
    return RB_OK;
}

rb_status rb_html_write(const rb_report *r, const char *dir, const rb_chart_outcome charts[RB_CHART_COUNT],
                        rb_error *err)
{
    if (!r || !dir) return rb_fail(err, RB_ERR_USAGE, "rb_html_write: no report or no directory");
    char *path = NULL, *tmp = NULL;
    if (asprintf(&path, "%s/index.html", dir) < 0)
        return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
    if (asprintf(&tmp, "%s.tmp", path) < 0) {
        free(path);
        return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
    }
    rb_status rc = RB_OK;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = rb_fail(err, RB_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
        goto done;
    }
    rc = write_page(f, r, dir, charts, err);
    /* fflush reports the errno of a failing write; an error flag left by an earlier one
     * has no errno to tell any more. */
    int werr = fflush(f) != 0 ? errno : ferror(f) ? EIO : 0;
    if (fclose(f) != 0 && !werr) werr = errno;
    if (rc == RB_OK && werr) rc = rb_fail(err, RB_ERR_IO, "%s: write failed: %s", tmp, strerror(werr));
    if (rc == RB_OK && rename(tmp, path) != 0)
        rc = rb_fail(err, RB_ERR_IO, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
    if (rc != RB_OK) unlink(tmp);
done:
    free(path);
    free(tmp);
    return rc;
}
