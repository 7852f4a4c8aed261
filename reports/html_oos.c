/* html_oos.c - the page's section of a sweep's out-of-sample test (report_oos.h:
 * rb_report_oos_html): the stitched test parts against the in-sample winner, how often each
 * window's winner stays in its test part's top decile, the windows' table and the two charts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "html_parts.h"
#include "report_oos.h"

static void cell_num(FILE *f, double v, const char *fmt, double scale)
{
    char buf[64] = "";
    if (!isnan(v)) snprintf(buf, sizeof buf, fmt, v * scale);
    rb_html_cell(f, buf, 1, NULL);
}

static void stats_row(FILE *f, const char *label, const rb_oos_stats *s)
{
    fputs("<tr>", f);
    rb_html_cell(f, label, 0, NULL);
    cell_num(f, s->final_value, "%.2f", 1);
    cell_num(f, s->total_return, "%.2f %%", 100);
    cell_num(f, s->cagr, "%.2f %%", 100);
    cell_num(f, s->ann_vol, "%.2f %%", 100);
    cell_num(f, s->sharpe, "%.3f", 1);
    cell_num(f, s->max_drawdown, "%.2f %%", 100);
    fputs("</tr>\n", f);
}

static void cell_rank(FILE *f, uint64_t rank, uint64_t ranked)
{
    char buf[64] = "";
    if (rank) snprintf(buf, sizeof buf, "%llu of %llu%s", (unsigned long long)rank, (unsigned long long)ranked,
                       rank <= (ranked + 9) / 10 ? " (top decile)" : "");
    rb_html_cell(f, buf, 1, NULL);
}

static size_t decile_hits(const rb_oos_result *o, int is)
{
    size_t n = 0;
    for (size_t i = 0; i < o->nwindows; i++) {
        uint64_t rank = is ? o->windows[i].is_test_rank : o->windows[i].test_rank;
        n += rank >= 1 && rank <= (o->windows[i].ranked + 9) / 10;
    }
    return n;
}

static void windows_table(FILE *f, const rb_oos_result *o)
{
    fputs("<div class=\"scroll\"><table id=\"oos-windows\" class=\"sortable\">\n<thead><tr>", f);
    static const char *const head[] = {"window", "training", "test", "winner (config id)", "section"};
    for (size_t c = 0; c < 5; c++) rb_html_sort_head(f, head[c], c == 0 || c == 3);
    char h[96];
    snprintf(h, sizeof h, "%s, training", o->by);
    rb_html_sort_head(f, h, 1);
    snprintf(h, sizeof h, "%s, test", o->by);
    rb_html_sort_head(f, h, 1);
    rb_html_sort_head(f, "winner's rank, test", 1);
    rb_html_sort_head(f, "in-sample winner's rank, test", 1);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t i = 0; i < o->nwindows; i++) {
        const rb_oos_window *w = &o->windows[i];
        char a[32], b[32], buf[96];
        fputs("<tr>", f);
        snprintf(buf, sizeof buf, "%zu", i + 1);
        rb_html_cell(f, buf, 1, NULL);
        snprintf(buf, sizeof buf, "%s to ", rb_time_format(w->train_start, a));
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s", rb_time_format(w->train_end, b));
        rb_html_cell(f, buf, 0, NULL);
        snprintf(buf, sizeof buf, "%s to ", rb_time_format(w->test_start, a));
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s", rb_time_format(w->test_end, b));
        rb_html_cell(f, buf, 0, NULL);
        snprintf(buf, sizeof buf, "%lld", (long long)w->winner_id);
        rb_html_cell(f, buf, 1, NULL);
        rb_html_cell(f, w->winner_section, 0, NULL);
        cell_num(f, w->train_metric, "%.6g", 1);
        cell_num(f, w->test_metric, "%.6g", 1);
        cell_rank(f, w->test_rank, w->ranked);
        cell_rank(f, w->is_test_rank, w->ranked);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);
}

rb_status rb_report_oos_html(const rb_oos_result *o, const char *dir, const char *const *names,
                             const rb_chart_outcome *charts, char **html, rb_error *err)
{
    size_t len = 0;
    FILE *f = open_memstream(html, &len);
    if (!f) return rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
    fputs("<section id=\"oos\">\n<h2>Out of sample</h2>\n<p>", f);
    char text[512];
    snprintf(text, sizeof text,
             "%s: in each of %zu window%s the configuration best by %s on the training part was chosen and run on "
             "the test part that follows; the test parts are stitched into one curve. The in-sample winner is the "
             "best of the whole period by %s",
             o->scheme, o->nwindows, o->nwindows == 1 ? "" : "s", o->by, o->by);
    rb_html_line(f, text);
    if (o->is_id) {
        snprintf(text, sizeof text, " (config %lld [%s]), run over the same bars in one piece.", (long long)o->is_id,
                 o->is_section);
        rb_html_line(f, text);
    }
    snprintf(text, sizeof text,
             " The window's winner stayed in its test part's top decile in %zu of %zu windows; the in-sample winner "
             "in %zu.",
             decile_hits(o, 0), o->nwindows, decile_hits(o, 1));
    rb_html_line(f, text);
    fputs("</p>\n<div class=\"scroll\"><table id=\"oos-stats\">\n<thead><tr>", f);
    static const char *const head[] = {"curve", "final value", "total return", "CAGR", "volatility", "Sharpe",
                                       "max drawdown"};
    for (size_t c = 0; c < 7; c++) rb_html_sort_head(f, head[c], c > 0);
    fputs("</tr></thead>\n<tbody>\n", f);
    stats_row(f, "stitched test parts (out of sample)", &o->oos);
    stats_row(f, "in-sample winner, same bars", &o->is);
    fputs("</tbody>\n</table></div>\n", f);
    windows_table(f, o);
    rb_status rc = rb_html_named_chart(f, dir, names[0], "Out of sample: the stitched test parts against the in-sample winner",
                                       "The stitched out-of-sample curve and the in-sample winner's curve over the "
                                       "same bars, log scale, each window's start marked", &charts[0], err);
    if (rc == RB_OK)
        rc = rb_html_named_chart(f, dir, names[1], "Out of sample: each window's winner ranked on its test part",
                                 "Per window, the test-part rank (percent of the configurations) of the window's "
                                 "winner and of the in-sample winner, with the top decile's line", &charts[1], err);
    fputs("</section>\n", f);
    if (fclose(f) != 0 && rc == RB_OK) rc = rb_fail(err, RB_ERR_NOMEM, "writing index.html: out of memory");
    if (rc != RB_OK) {
        free(*html);
        *html = NULL;
    }
    return rc;
}
