/* html_overlay.c - the page's "Spot or overlay" section (issue 18): for each family whose best
 * rule rebalances through a perpetual-futures overlay (--overlay perp), the same rule and
 * costs trading spot beside it, after tax (the replay of report_build.c). Written only when
 * some family has an overlay: other pages keep their bytes. */
#include <stdio.h>

#include "html_parts.h"

/* One row: the family, the two runs' after-tax values, taxes, and the overlay's funding, fees,
 * liquidations and deferred tax. */
static void put_row(FILE *f, const rb_report_series *s)
{
    const rb_metrics *o = &s->metrics, *p = &s->spot;
    char cell[64];
    fputs("<tr>", f);
    rb_html_cell(f, rb_html_series_name(s), 0, NULL);
    const double usd[] = {o->after_tax_value, p->after_tax_value, o->after_tax_value - p->after_tax_value,
                          o->taxes_paid,      p->taxes_paid,      o->funding_paid,
                          o->perp_fees_paid + o->liquidation_cost};
    for (size_t k = 0; k < sizeof usd / sizeof usd[0]; k++) {
        snprintf(cell, sizeof cell, k == 2 ? "%+.0f" : "%.0f", usd[k]);
        rb_html_cell(f, cell, 1, NULL);
    }
    snprintf(cell, sizeof cell, "%.0f", o->liquidations);
    rb_html_cell(f, cell, 1, NULL);
    snprintf(cell, sizeof cell, "%.0f", o->tax_deferred);
    rb_html_cell(f, cell, 1, NULL);
    fputs("</tr>\n", f);
}

void rb_html_overlay(FILE *f, const rb_report *r)
{
    size_t n = 0;
    for (size_t k = 0; k < r->nseries; k++) n += r->series[k].role == RB_SERIES_BEST && r->series[k].has_spot;
    if (n == 0) return;
    fputs("<section id=\"overlay\">\n<h2>Spot or overlay</h2>\n<p>Each family whose best configuration rebalances "
          "through a perpetual-futures overlay (its spot holdings kept, the target exposure restored with perps), "
          "beside the same rule and costs rebalancing spot, in USD after tax. The overlay's funding (negative: "
          "received), its perp and liquidation fees, its liquidations and the tax it deferred against spot are its "
          "own (docs/engine.md, \"Perpetual-futures overlay\").</p>\n"
          "<div class=\"scroll\"><table class=\"sortable\">\n<thead><tr>",
          f);
    static const char *const heads[] = {"family", "after tax, overlay", "after tax, spot", "overlay - spot",
                                        "taxes, overlay", "taxes, spot", "funding", "perp and liquidation fees",
                                        "liquidations", "tax deferred"};
    for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++) rb_html_sort_head(f, heads[k], k > 0);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].role == RB_SERIES_BEST && r->series[k].has_spot) put_row(f, &r->series[k]);
    fputs("</tbody>\n</table></div>\n</section>\n", f);
}
