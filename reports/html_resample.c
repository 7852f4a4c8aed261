/* html_resample.c - the page's section on resampled histories (html_parts.h): what was run,
 * buy-and-hold's distribution, each family's chance of beating it (a table), the fan chart
 * and the families' chart. */
#include <math.h>
#include <stdio.h>

#include "html_parts.h"
#include "report_resample.h"

static void cell_number(FILE *f, double x, const char *fmt)
{
    char buf[64] = "";
    if (isfinite(x)) snprintf(buf, sizeof buf, fmt, x);
    rb_html_cell(f, buf, 1, NULL);
}

rb_status rb_html_resample(FILE *f, const rb_report *r, const char *dir, rb_error *err)
{
    const rb_report_resample *x = r->resample;
    const rb_resample_stat *b = &x->info.benchmark;
    fputs("<section id=\"resample\">\n<h2>Resampled histories</h2>\n<p>Every configuration was run again on ", f);
    fprintf(f, "%llu histories ", (unsigned long long)x->info.spec.histories);
    if (x->info.spec.method == RB_RESAMPLE_GBM)
        fputs("drawn from a geometric Brownian motion fitted to the assets' log returns", f);
    else
        fprintf(f, "drawn by the stationary block bootstrap of the bars' returns (mean block length %g bars)",
                x->info.spec.block_length);
    fprintf(f, ", seed %llu. Buy-and-hold (the assets at their weights, no costs) ended at a median of %.0f "
               "(5 %%: %.0f, 95 %%: %.0f). <code>resample.csv</code> has every configuration's distribution, "
               "<code>resample_families.csv</code> the table below, <code>resample_fan.csv</code> the fans.</p>\n",
            (unsigned long long)x->info.spec.seed, b->median, b->p05, b->p95);
    fputs("<div class=\"scroll\"><table class=\"sortable\">\n<thead><tr>", f);
    rb_html_sort_head(f, "family", 0);
    rb_html_sort_head(f, "configurations", 1);
    rb_html_sort_head(f, "mean chance of beating buy-and-hold", 1);
    rb_html_sort_head(f, "best chance", 1);
    rb_html_sort_head(f, "its median final value", 1);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t k = 0; k < x->nbeat; k++) {
        const rb_report_beat *e = &x->beat[k];
        char n[32];
        snprintf(n, sizeof n, "%zu", e->configurations);
        fputs("<tr>", f);
        rb_html_cell(f, e->family, 0, NULL);
        rb_html_cell(f, n, 1, NULL);
        cell_number(f, 100 * e->mean_p_beat, "%.1f %%");
        cell_number(f, 100 * e->best_p_beat, "%.1f %%");
        cell_number(f, e->best_median, "%.0f");
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);
    char caption[256];
    snprintf(caption, sizeof caption, "Value over time on %zu resampled histories: buy-and-hold and the rules with "
                                      "the highest median final value",
             x->fan_histories);
    rb_status rc = rb_html_named_chart(f, dir, RB_RESAMPLE_CHART_FAN, caption,
                                       "Percentile bands (5-95 and 25-75) and median of the portfolio value over time "
                                       "on the resampled histories, one panel per rule",
                                       &x->charts[0], err);
    if (rc == RB_OK)
        rc = rb_html_named_chart(f, dir, RB_RESAMPLE_CHART_BEAT, "Probability of beating buy-and-hold, by family",
                                 "For each family, the share of resampled histories on which its best configuration "
                                 "ends above buy-and-hold, and the mean over its configurations",
                                 &x->charts[1], err);
    fputs("</section>\n", f);
    return rc;
}
