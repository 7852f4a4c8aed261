/* print.c - an out-of-sample test as text (rebal.h: rb_oos_print): what `rebal runs` and
 * `rebal sweep` show under a sweep's best runs. */
#include <math.h>
#include <stdio.h>

#include "oos.h"

static void put_pct(FILE *out, double v, int width)
{
    if (isnan(v)) fprintf(out, "%*s", width, "-");
    else fprintf(out, "%*.2f %%", width - 2, 100 * v);
}

static void put_num(FILE *out, double v, int width, int prec)
{
    if (isnan(v)) fprintf(out, "%*s", width, "-");
    else fprintf(out, "%*.*f", width, prec, v);
}

/* A metric of any size in 12 columns. */
static void put_g(FILE *out, double v)
{
    if (isnan(v)) fprintf(out, "%12s", "-");
    else fprintf(out, "%12.6g", v);
}

static void put_stats(FILE *out, const char *label, const rb_oos_stats *s)
{
    fprintf(out, "  %-22s", label);
    put_num(out, s->final_value, 14, 2);
    put_pct(out, s->cagr, 10);
    put_pct(out, s->ann_vol, 12);
    put_num(out, s->sharpe, 8, 3);
    put_pct(out, s->max_drawdown, 14);
    fputc('\n', out);
}

static size_t hits(const rb_oos_result *r, int is)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nwindows; i++) {
        const rb_oos_window *w = &r->windows[i];
        uint64_t rank = is ? w->is_test_rank : w->test_rank, decile = (w->ranked + 9) / 10;
        n += rank >= 1 && rank <= decile;
    }
    return n;
}

void rb_oos_print(const rb_oos_result *r, FILE *out)
{
    fprintf(out, "Out of sample: %s, %zu window%s, each window's winner the best by %s on its training part\n",
            r->scheme, r->nwindows, r->nwindows == 1 ? "" : "s", r->by);
    fprintf(out, "  %-22s%14s%10s%12s%8s%14s\n", "", "final value", "CAGR", "volatility", "Sharpe", "max drawdown");
    put_stats(out, "stitched test parts", &r->oos);
    put_stats(out, "in-sample winner", &r->is);
    if (r->is_id)
        fprintf(out, "  (the in-sample winner is config %lld [%s], the best of the whole period by %s, run over the "
                     "same bars)\n", (long long)r->is_id, r->is_section, r->by);
    fprintf(out, "  in their test part's top decile: the window's winner in %zu of %zu windows, the in-sample winner "
                 "in %zu\n", hits(r, 0), r->nwindows, hits(r, 1));
    fprintf(out, "  %-6s %-23s %-23s %-30s %12s %12s %12s %12s\n", "window", "training", "test", "winner", "train",
            "test", "test rank", "in-sample");
    for (size_t i = 0; i < r->nwindows; i++) {
        const rb_oos_window *w = &r->windows[i];
        char a[32], b[32], c[32], d[32], who[96], rank[32], isr[32];
        char train[48], test[48];
        snprintf(train, sizeof train, "%s..%s", rb_time_format(w->train_start, a), rb_time_format(w->train_end, b));
        snprintf(test, sizeof test, "%s..%s", rb_time_format(w->test_start, c), rb_time_format(w->test_end, d));
        snprintf(who, sizeof who, "%lld [%.40s]", (long long)w->winner_id, w->winner_section);
        if (w->test_rank) snprintf(rank, sizeof rank, "%llu/%llu", (unsigned long long)w->test_rank,
                                   (unsigned long long)w->ranked);
        else snprintf(rank, sizeof rank, "-");
        if (w->is_test_rank) snprintf(isr, sizeof isr, "%llu/%llu", (unsigned long long)w->is_test_rank,
                                      (unsigned long long)w->ranked);
        else snprintf(isr, sizeof isr, "-");
        fprintf(out, "  %-6zu %-23s %-23s %-30s ", i + 1, train, test, who);
        put_g(out, w->train_metric);
        fputc(' ', out);
        put_g(out, w->test_metric);
        fprintf(out, " %12s %12s\n", rank, isr);
    }
}
