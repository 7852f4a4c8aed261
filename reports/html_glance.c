/* html_glance.c - the page's answers at a glance (html_parts.h): which rule wins after
 * costs and by how much, which families lose to buy-and-hold, what the heatmap shows, and
 * the table of each family's best configuration. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "html_parts.h"
#include "metric_table.h"
#include "results/reader.h"
#include "alloc.h"

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

typedef enum verdict {
    VERDICT_UNKNOWN,
    VERDICT_PAYS,     /* beats buy-and-hold */
    VERDICT_NEGATIVE, /* loses to buy-and-hold */
    VERDICT_TIE,      /* the difference shows as zero: neither wins */
    VERDICT_NEVER     /* never rebalanced: it is buy-and-hold */
} verdict;

/* 1 when a formatted number shows no non-zero digit ("+0.00 USD", "0.00 pp"): a difference
 * the reader sees as none is a tie, not a win. */
static int shows_zero(const char *text) { return strpbrk(text, "123456789") == NULL; }

/* 1 when the run paid anything: fees, slippage, gas or tax. Without costs, losing to
 * buy-and-hold is the market's doing (trend, drift), not the costs'. */
static int paid_costs(const rb_report_series *s)
{
    const rb_metrics *m = &s->metrics;
    return m->fees_paid + m->slippage_paid + m->gas_paid + m->taxes_paid > 0;
}

/* 1 when any run of the report paid costs or taxes. */
static int any_costs(const rb_report *r)
{
    for (size_t k = 0; k < r->nseries; k++)
        if (paid_costs(&r->series[k])) return 1;
    return 0;
}

/* Whether a family's best configuration beats buy-and-hold: its excess (after costs and tax)
 * when the split is known, else its metric against buy-and-hold's; a tie when the difference
 * shows as zero; buy-and-hold itself when it never rebalanced. */
static verdict verdict_of(const rb_report_series *s, const rb_report_series *hold, const rb_metric_info *m)
{
    if (s->role == RB_SERIES_BEST && s->metrics.rebalances == 0) return VERDICT_NEVER;
    char shown[600];
    if (s->has_split) {
        if (isnan(s->split.excess)) return VERDICT_UNKNOWN;
        format_excess(shown, sizeof shown, s->split.excess);
        if (shows_zero(shown)) return VERDICT_TIE;
        return s->split.excess < 0 ? VERDICT_NEGATIVE : VERDICT_PAYS;
    }
    if (!hold || !m) return VERDICT_UNKNOWN;
    double adv = advantage(metric_of(s, m), metric_of(hold, m), m);
    if (isnan(adv)) return VERDICT_UNKNOWN;
    format_metric(shown, sizeof shown, adv, m, FMT_AMOUNT);
    if (shows_zero(shown)) return VERDICT_TIE;
    return adv < 0 ? VERDICT_NEGATIVE : VERDICT_PAYS;
}

/* The verdict in words, and its cell's class. */
static const char *verdict_text(verdict v, const rb_report_series *s, const rb_report_series *hold,
                                const char **cls)
{
    *cls = v == VERDICT_NEGATIVE ? "neg" : v == VERDICT_PAYS ? "pos" : NULL;
    switch (v) {
    case VERDICT_PAYS: return "beats buy-and-hold";
    case VERDICT_NEGATIVE:
        return paid_costs(s) || (hold && paid_costs(hold)) ? "net-negative after costs"
                                                           : "loses to buy-and-hold (before costs: trend/drift)";
    case VERDICT_TIE: return "ties with buy-and-hold";
    case VERDICT_NEVER: return "never rebalanced: identical to buy-and-hold";
    case VERDICT_UNKNOWN: break;
    }
    return "unknown";
}

/* The best configuration of each family against buy-and-hold, best first. */
static rb_status put_family_table(FILE *f, const rb_report *r, const rb_report_series *hold, const rb_metric_info *m,
                                  rb_error *err)
{
    size_t n = 0;
    size_t *order = rb_malloc((r->nseries ? r->nseries : 1) * sizeof *order);
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
        rb_html_sort_head(f, "family", 0);
        rb_html_sort_head(f, "best configuration", 0);
        rb_html_sort_head(f, m ? m->name : r->metric, 1);
        rb_html_sort_head(f, "vs buy-and-hold", 1);
        rb_html_sort_head(f, any_costs(r) ? "excess after costs and tax" : "excess (no costs or taxes paid)", 1);
        rb_html_sort_head(f, "verdict", 0);
        fputs("</tr></thead>\n<tbody>\n", f);
        for (size_t k = 0; k < n; k++) {
            const rb_report_series *s = &r->series[order[k]];
            char value[600] = "n/a", delta[600] = "n/a", excess[64] = "n/a";
            if (m) {
                format_metric(value, sizeof value, metric_of(s, m), m, FMT_VALUE);
                if (hold) format_metric(delta, sizeof delta, metric_of(s, m) - metric_of(hold, m), m, FMT_DELTA);
            }
            if (s->has_split) format_excess(excess, sizeof excess, s->split.excess);
            const char *cls;
            const char *says = verdict_text(verdict_of(s, hold, m), s, hold, &cls);
            fputs("<tr>", f);
            rb_html_cell(f, s->family, 0, NULL);
            char name[512];
            snprintf(name, sizeof name, "%s%s%s%s", rb_html_series_name(s), s->edge[0] ? " (at the edge of the grid: " : "",
                     s->edge, s->edge[0] ? ")" : "");
            rb_html_cell(f, name, 0, NULL);
            rb_html_cell(f, value, 1, NULL);
            rb_html_cell(f, delta, 1, NULL);
            rb_html_cell(f, excess, 1, NULL);
            rb_html_cell(f, says, 0, cls);
            fputs("</tr>\n", f);
        }
        fputs("</tbody>\n</table></div>\n", f);
    }
    free(order);
    return RB_OK;
}


/* The first answer: which rule wins after costs, and by how much against buy-and-hold. */
static void glance_winner(FILE *f, const rb_report *r, const rb_metric_info *m, const rb_report_series *hold)
{
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
    if (!m) {
        fputs("<li>The ranking metric <code>", f);
        rb_html_line(f, r->metric);
        fputs("</code> is not one rebal computes, so no rule is named the winner.</li>\n", f);
    } else {
        int costs = any_costs(r);
        fputs(costs ? "<li><strong>Which rule wins after costs:</strong> "
                    : "<li><strong>Which rule wins (these runs paid no costs or taxes):</strong> ",
              f);
        char val[600], hval[600], diff[600];
        if (!win) {
            fputs(nbest ? "no family's best configuration has a value of <code>"
                        : "this report holds no family's best configuration to rank by <code>",
                  f);
            rb_html_line(f, m->name);
            fputs("</code>.", f);
        } else {
            format_metric(val, sizeof val, metric_of(win, m), m, FMT_VALUE);
            fputs("<span class=\"winner\">", f);
            rb_html_line(f, rb_html_series_name(win));
            fputs("</span> (family <code>", f);
            rb_html_line(f, win->family);
            fputs("</code>) with <code>", f);
            rb_html_line(f, m->name);
            fputs("</code> = ", f);
            rb_html_line(f, val);
            double adv = hold ? advantage(metric_of(win, m), metric_of(hold, m), m) : NAN;
            if (hold && !isnan(adv)) {
                format_metric(hval, sizeof hval, metric_of(hold, m), m, FMT_VALUE);
                format_metric(diff, sizeof diff, metric_of(win, m) - metric_of(hold, m), m, FMT_AMOUNT);
                int tie = shows_zero(diff);
                if (tie)
                    fputs(", which ties with buy-and-hold (", f);
                else if (adv > 0)
                    fputs(", which beats buy-and-hold (", f);
                else
                    fputs(", which still trails buy-and-hold (", f);
                rb_html_line(f, hval);
                fputs(")", f);
                if (!tie) {
                    fputs(" by <strong class=\"margin\">", f);
                    rb_html_line(f, diff);
                    fputs("</strong>", f);
                }
                fputs(tie || adv > 0 ? "."
                      : costs        ? ": no rule beats buy-and-hold on this metric after costs."
                                     : ": no rule beats buy-and-hold on this metric.",
                      f);
            } else
                fputs(hold ? "; buy-and-hold has no value to compare with."
                           : "; the report has no buy-and-hold run to compare with.",
                      f);
            if (win->metrics.rebalances == 0)
                fputs(" It never rebalanced: it is buy-and-hold under another name, identical to it.", f);
            if (win->edge[0]) {
                fputs(" <span class=\"edge\">It is at the edge of the swept range (", f);
                rb_html_line(f, win->edge);
                fputs("): widen it, the best may lie beyond.</span>", f);
            }
            fputs(rb_results_ascending(m->name) ? " Lower is better for this metric." : "", f);
        }
        fputs("</li>\n", f);
    }
}

/* The second answer: which families lose to buy-and-hold, after costs when there are any. */
static void glance_losers(FILE *f, const rb_report *r, const rb_metric_info *m, const rb_report_series *hold)
{
    int costs = any_costs(r);
    /* Not "where costs make it net-negative": the loss may be the prices' (chart 7 splits it). */
    fputs(costs ? "<li><strong>Where rebalancing loses to buy-and-hold after costs:</strong> "
                : "<li><strong>Where rebalancing loses to buy-and-hold:</strong> ",
          f);
    size_t nneg = 0, nknown = 0, total_neg = 0, nsame = 0;
    for (size_t k = 0; k < r->nseries; k++)
        if (r->series[k].role == RB_SERIES_BEST && verdict_of(&r->series[k], hold, m) == VERDICT_NEGATIVE) total_neg++;
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->role != RB_SERIES_BEST) continue;
        verdict v = verdict_of(s, hold, m);
        if (v != VERDICT_UNKNOWN) nknown++;
        nsame += v == VERDICT_TIE || v == VERDICT_NEVER;
        if (v != VERDICT_NEGATIVE) continue;
        if (nneg++ == 0) {
            fputs("even the best configuration loses to buy-and-hold", f);
            fputs(costs ? " after costs" : "", f);
            fputs(total_neg == 1 ? " in the family " : " in the families ", f);
        } else
            fputs(nneg == total_neg ? " and " : ", ", f);
        fputs("<span class=\"neg family\">", f);
        rb_html_line(f, s->family);
        fputs("</span> (", f);
        char text[600];
        if (s->has_split) {
            format_excess(text, sizeof text, s->split.excess);
            rb_html_line(f, text);
            fputs(costs ? " after costs and tax" : " before costs: trend/drift", f);
        } else {
            format_metric(text, sizeof text, metric_of(s, m) - metric_of(hold, m), m, FMT_DELTA);
            rb_html_line(f, text);
            fputs(" of <code>", f);
            rb_html_line(f, m->name);
            fputs(costs ? "</code>" : "</code>, before costs: trend/drift", f);
        }
        fputs(")", f);
    }
    if (nneg > 0)
        fputs(".", f);
    else if (nknown > 0 && nsame == 0)
        fputs(costs ? "none: the best configuration of every family beats buy-and-hold after costs."
                    : "none: the best configuration of every family beats buy-and-hold.",
              f);
    else if (nknown > 0)
        fprintf(f, "none loses%s, but %zu famil%s only match%s buy-and-hold (a tie, or no rebalance at all): see "
                   "the verdicts below.",
                costs ? " after costs" : "", nsame, nsame == 1 ? "y's best configuration" : "ies' best configurations",
                nsame == 1 ? "es" : "");
    else
        fputs("not known: the report holds no family's best configuration with an excess over buy-and-hold.", f);
    fputs("</li>\n", f);
}

/* When the sweep varies costs (or taxes, flows): the winner and its margin over buy-and-hold
 * at every level, since the page itself compares at one of them. */
static void glance_levels(FILE *f, const rb_report *r, const rb_metric_info *m)
{
    if (r->nlevels == 0 || !m) return;
    fputs("<li><strong>At each level of the settings the sweep varies:</strong>", f);
    if (r->levels_total > r->nlevels)
        fprintf(f, " (the first %zu of %zu levels)", r->nlevels, r->levels_total);
    fputs("\n<div class=\"scroll\"><table id=\"levels\">\n<thead><tr><th scope=\"col\">level</th>"
          "<th scope=\"col\">best rule</th><th scope=\"col\" class=\"num\">",
          f);
    rb_html_line(f, m->name);
    fputs("</th><th scope=\"col\" class=\"num\">buy-and-hold</th><th scope=\"col\" class=\"num\">margin</th>"
          "</tr></thead>\n<tbody>\n",
          f);
    for (size_t k = 0; k < r->nlevels; k++) {
        const rb_report_level *lv = &r->levels[k];
        char value[600], hold[600] = "n/a (no buy-and-hold run)", margin[600] = "n/a";
        format_metric(value, sizeof value, lv->value, m, FMT_VALUE);
        const char *cls = NULL;
        if (!isnan(lv->hold)) {
            format_metric(hold, sizeof hold, lv->hold, m, FMT_VALUE);
            double adv = advantage(lv->value, lv->hold, m);
            format_metric(margin, sizeof margin, lv->value - lv->hold, m, FMT_DELTA);
            if (shows_zero(margin)) snprintf(margin, sizeof margin, "tie");
            else cls = adv > 0 ? "pos" : adv < 0 ? "neg" : NULL;
        }
        fputs("<tr>", f);
        rb_html_cell(f, lv->setting, 0, NULL);
        rb_html_cell(f, lv->winner, 0, NULL);
        rb_html_cell(f, value, 1, NULL);
        rb_html_cell(f, hold, 1, NULL);
        rb_html_cell(f, margin, 1, cls);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div></li>\n", f);
}

/* Where the heatmap shows the line past which rebalancing loses. */
static void glance_heatmap(FILE *f, const rb_report *r)
{
    if (r->has_heatmap) {
        const rb_report_heatmap *h = &r->heatmap;
        fputs("<li>The <a href=\"#chart-heatmap\">parameter heatmap</a> shows <em>", f);
        rb_html_line(f, h->z_label);
        fputs("</em> for each pair of <code>", f);
        rb_html_line(f, h->x_key);
        fputs("</code> and <code>", f);
        rb_html_line(f, h->y_key);
        fputs("</code> in the family <code>", f);
        rb_html_line(f, h->family);
        fputs("</code>", f);
        if (h->diverging && h->z) {
            size_t below = 0, cells = 0;
            for (size_t k = 0; k < h->nx * h->ny; k++)
                if (!isnan(h->z[k])) cells++, below += h->z[k] < 0;
            if (below == cells)
                fprintf(f, ": every one of its %zu parameter pairs with a value is red, shaded by how much: "
                           "rebalancing loses to buy-and-hold at all of them.",
                        cells);
            else if (below == 0)
                fprintf(f, ": every one of its %zu parameter pairs with a value is blue, shaded by how much: "
                           "rebalancing beats buy-and-hold at all of them.",
                        cells);
            else
                fprintf(f,
                        ": red cells (%zu of the %zu parameter pairs with a value) are where rebalancing loses to "
                        "buy-and-hold, blue cells where it wins.",
                        below, cells);
        } else
            fputs(".", f);
        fputs("</li>\n", f);
    }
}

rb_status rb_html_glance(FILE *f, const rb_report *r, rb_error *err)
{
    const rb_metric_info *m = rb_metric_find(r->metric);
    const rb_report_series *hold = hold_series(r);
    fputs("<section id=\"glance\" class=\"glance\">\n<h2>At a glance</h2>\n", f);
    if (r->scenario[0] && r->sweep_status[0]) { /* a sweep's (one run compares at its own settings) */
        fputs("<p class=\"scenario\">The comparisons on this page are made at <code>", f);
        rb_html_line(f, r->scenario);
        fputs("</code> (the best configuration's settings unless <code>--scenario</code> chose them)", f);
        fputs(r->nlevels ? "; the table below gives the best rule at every level.</p>\n" : ".</p>\n", f);
    }
    fputs("<ul>\n", f);
    glance_winner(f, r, m, hold);
    glance_levels(f, r, m);
    glance_losers(f, r, m, hold);
    glance_heatmap(f, r);
    fputs("</ul>\n", f);
    fputs("<p class=\"hint\">Ranked by <code>", f);
    rb_html_line(f, r->metric);
    fputs("</code>", f);
    if (m) {
        fputs(" (", f);
        rb_html_line(f, m->unit);
        fputs(": ", f);
        rb_html_line(f, m->definition);
        fputs(")", f);
    }
    fputs(". The excess is the after-tax growth rate of the rule minus that of buy-and-hold, per year; "
          "chart 7 splits it into the every-bar gain, drift, cost drag and tax drag.</p>\n",
          f);
    rb_status rc = put_family_table(f, r, hold, m, err);
    fputs("</section>\n", f);
    return rc;
}
