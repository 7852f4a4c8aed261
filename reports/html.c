/* html.c - the report's page, DIR/index.html (html.h): one self-contained, well-formed
 * (XML-compatible) HTML5 file with inline CSS and script, the answers at a glance
 * (html_glance.c), the sortable summary table, the PNG charts as data: URIs (html_charts.c),
 * links to the CSV files and the conventions. */
#include "html.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "html_parts.h"
#include "alloc.h"

static const char page_style[] =
    ":root{color-scheme:light}\n"
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,Helvetica,Arial,sans-serif;"
    "color:#1f2933;background:#f7f9fb}\n"
    "header,main,footer{max-width:84rem;margin:0 auto;padding:0 1rem}\n"
    "h1{font-size:1.75rem;line-height:1.25;margin:1.5rem 0 .25rem;overflow-wrap:anywhere}\n"
    ".subtitle{color:#52606d;margin:0 0 .75rem;overflow-wrap:anywhere}\n"
    ".status{background:#fff4e5;border:1px solid #e8a33d;border-radius:6px;padding:.5rem 1rem}\n"
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
    /* The 13 columns of the top table fit 1400 px: heads wrap between words, the cells are
     * tighter; a verdict keeps to one or two lines. */
    "#top{font-size:.85rem}#top th,#top td{padding:.3rem .45rem}#top th{white-space:normal}\n"
    "#families td:last-child{min-width:11rem}\n"
    ".cid{cursor:help;text-decoration:underline dotted #9aa5b1}\n"
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
    "    var t = cell ? (cell.getAttribute('data-key') || cell.textContent).trim() : '';\n"
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

/* The column of configuration ids (rb_report_table_init's head) and the digits shown of an
 * id: ids are 19-digit hashes, and the first digits tell the rows of a table apart. */
#define ID_HEAD "config id"
#define SHORT_ID 6

/* A configuration id as its first digits, the whole id on hover (title) and for sorting
 * (data-key); the CSV files keep the whole id. The id is digits only (written by
 * rb_report_table_add), escaped all the same. */
static void put_short_id(FILE *f, const char *id)
{
    fputs("<td class=\"num\" data-key=\"", f);
    rb_html_line(f, id);
    fputs("\"><span class=\"cid\" title=\"", f);
    rb_html_line(f, id);
    fprintf(f, "\">%.*s\u2026</span></td>", SHORT_ID, id);
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
    for (size_t c = 0; c < t->ncols; c++) rb_html_sort_head(f, t->head[c], t->numeric && t->numeric[c]);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t row = 0; row < t->nrows; row++) {
        fputs("<tr>", f);
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = t->cells ? t->cells[row * t->ncols + c] : NULL;
            if (strcmp(t->head[c], ID_HEAD) == 0 && cell && strlen(cell) > SHORT_ID)
                put_short_id(f, cell);
            else
                rb_html_cell(f, cell ? cell : "", t->numeric && t->numeric[c], NULL);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);
    if (t->nrows == 0) fputs("<p>No configuration is in the table.</p>\n", f);
    fputs("</section>\n", f);
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
        const char *refusal = rb_html_link_refusal(name);
        if (refusal) {
            fputs("<li class=\"refused\">Not linked: <code>", f);
            rb_html_line(f, name ? name : "");
            fputs("</code> (", f);
            fputs(refusal, f);
            fputs(")</li>\n", f);
            continue;
        }
        fputs("<li><a href=\"", f);
        rb_html_url_path(f, name);
        fputs("\"><code>", f);
        rb_html_line(f, name);
        fputs("</code></a></li>\n", f);
    }
    fputs("</ul>\n</section>\n", f);
}

/* A sweep that did not finish opens the page with its status and the share of its
 * configurations that ran: every "best" below is the best of those only. */
static void put_sweep_status(FILE *f, const rb_report *r)
{
    if (!r->sweep_status[0] || strcmp(r->sweep_status, "done") == 0) return;
    double share = r->sweep_planned > 0 ? 100.0 * (double)r->sweep_stored / (double)r->sweep_planned : 0;
    const char *st = r->sweep_status;
    fputs("<p class=\"status\"><strong>This sweep ", f);
    if (strcmp(st, "running") == 0) fputs("is still running", f);
    else if (strcmp(st, "interrupted") == 0) fputs("was interrupted", f);
    else if (strcmp(st, "failed") == 0) fputs("failed", f);
    else {
        fputs("is ", f);
        rb_html_line(f, st);
    }
    fprintf(f, ": %lld of its %lld configurations (%.*f %%) ran.</strong> Every best configuration and verdict on "
               "this page is among those only.",
            (long long)r->sweep_stored, (long long)r->sweep_planned, share < 10 ? 1 : 0, share);
    if (strcmp(r->sweep_status, "interrupted") == 0)
        fputs(" Finish it with the same <code>rebal sweep</code> command and <code>--resume</code>, then write the "
              "report again.",
              f);
    fputs("</p>\n", f);
}

static rb_status write_page(FILE *f, const rb_report *r, const char *dir, const rb_chart_outcome charts[RB_CHART_COUNT],
                            rb_error *err)
{
    const char *title = r->title[0] ? r->title : "rebal report";
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
          f);
    rb_html_line(f, title);
    fputs("</title>\n<style>\n", f);
    fputs(page_style, f);
    fputs("</style>\n</head>\n<body>\n<header>\n<h1>", f);
    rb_html_line(f, title);
    fputs("</h1>\n", f);
    if (r->subtitle[0]) {
        fputs("<p class=\"subtitle\">", f);
        rb_html_line(f, r->subtitle);
        fputs("</p>\n", f);
    }
    put_sweep_status(f, r);
    fputs("<nav><ul><li><a href=\"#glance\">At a glance</a></li><li><a href=\"#summary\">Top configurations</a></li>"
          "<li><a href=\"#charts\">Charts</a></li>",
          f);
    if (r->resample) fputs("<li><a href=\"#resample\">Resampled histories</a></li>", f);
    fputs("<li><a href=\"#files\">Files</a></li>"
          "<li><a href=\"#conventions\">Conventions</a></li></ul></nav>\n</header>\n<main>\n",
          f);
    rb_status rc = rb_html_glance(f, r, err);
    if (rc != RB_OK) return rc;
    put_summary(f, &r->top);
    rb_html_overlay(f, r);
    fputs("<section id=\"charts\">\n<h2>Charts</h2>\n", f);
    for (int id = 0; id < RB_CHART_COUNT; id++) {
        rc = rb_html_chart(f, r, dir, (rb_chart_id)id, charts ? &charts[id] : NULL, err);
        if (rc != RB_OK) return rc;
    }
    fputs("</section>\n", f);
    if (r->extra_html) fputs(r->extra_html, f);
    if (r->resample && (rc = rb_html_resample(f, r, dir, err)) != RB_OK) return rc;
    put_files(f, r);
    fputs("<section id=\"conventions\">\n<h2>Conventions</h2>\n<pre>", f);
    rb_html_text(f, r->conventions && r->conventions[0] ? r->conventions : "No conventions were recorded.");
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
    if (!(path = rb_asprintf("%s/index.html", dir)))
        return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
    if (!(tmp = rb_asprintf("%s.tmp", path))) {
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
    int werr = rb_stream_close(f);
    if (rc == RB_OK && werr) rc = rb_fail(err, RB_ERR_IO, "%s: write failed: %s", tmp, strerror(werr));
    if (rc == RB_OK && rename(tmp, path) != 0)
        rc = rb_fail(err, RB_ERR_IO, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
    if (rc != RB_OK) unlink(tmp);
done:
    free(path);
    free(tmp);
    return rc;
}
