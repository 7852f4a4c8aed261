/* test_report.c - reports of sweeps and runs: the files and their columns and row counts,
 * annual returns and the excess split against arithmetic on the files themselves, the
 * equity curves read back by the importer, hostile symbols (CSV injection, file names,
 * gnuplot), the page without gnuplot, and the errors. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "html_check.h"
#include "rebal.h"
#include "support.h"
#include "text.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(report, .init = setup, .fini = teardown, .timeout = 120);

/* ---------------------------------------------------------------- helpers */

/* A CSV file as rows of fields (RFC 4180 quoting), for reading the report back. */
typedef struct table {
    size_t nrows, ncols; /* nrows data rows, after the header */
    char **head;
    char **cell; /* nrows * ncols */
} table;

static char *next_field(char **p, int *end_of_row)
{
    char *s = *p, *out = malloc(strlen(s) + 1), *o = out;
    if (*s == '"') {
        s++;
        for (;;) {
            if (*s == '"' && s[1] == '"') {
                *o++ = '"';
                s += 2;
            } else if (*s == '"') {
                s++;
                break;
            } else {
                cr_assert(*s, "unterminated quoted field");
                *o++ = *s++;
            }
        }
    } else {
        while (*s && *s != ',' && *s != '\r' && *s != '\n') *o++ = *s++;
    }
    *o = '\0';
    *end_of_row = *s != ',';
    if (*s == ',') s++;
    else {
        if (*s == '\r') s++;
        if (*s == '\n') s++;
    }
    *p = s;
    return out;
}

static table read_table(const char *rel)
{
    char *path = rbt_path(dir, rel);
    char *text = rbt_read_file(path, NULL);
    cr_assert_not_null(text, "%s is missing", rel);
    table t = {0};
    char *p = text;
    size_t cap = 0, n = 0;
    char **cells = NULL;
    int end = 0;
    while (!end) {
        char *f = next_field(&p, &end);
        t.head = realloc(t.head, (t.ncols + 1) * sizeof *t.head);
        t.head[t.ncols++] = f;
    }
    while (*p) {
        for (size_t c = 0; c < t.ncols; c++) {
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                cells = realloc(cells, cap * sizeof *cells);
            }
            cr_assert(*p, "%s: row %zu is short", rel, t.nrows + 1);
            cells[n++] = next_field(&p, &end);
            cr_assert_eq(end, c + 1 == t.ncols, "%s: row %zu has a wrong number of fields", rel, t.nrows + 1);
        }
        t.nrows++;
    }
    t.cell = cells;
    free(text);
    free(path);
    return t;
}

static void table_free(table *t)
{
    for (size_t c = 0; c < t->ncols; c++) free(t->head[c]);
    for (size_t k = 0; k < t->nrows * t->ncols; k++) free(t->cell[k]);
    free(t->head);
    free(t->cell);
}

static int col(const table *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->head[c], name) == 0) return (int)c;
    cr_assert_fail("no column '%s'", name);
    return -1;
}

static const char *at(const table *t, size_t row, const char *name) { return t->cell[row * t->ncols + (size_t)col(t, name)]; }

static rb_store *stocks_store(void) { return rbt_bundled_store(dir, "stocks_monthly.csv"); }

static const char spec_text[] = "[data]\n"
                                 "assets = AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25\n"
                                 "[costs]\n"
                                 "fee-bps = 0, 20\n"
                                 "[tax]\n"
                                 "tax-short = 0.35\n"
                                 "tax-long = 0.15\n"
                                 "[buy-and-hold]\n"
                                 "[calendar]\n"
                                 "every = quarter, year\n"
                                 "[threshold]\n"
                                 "band = 0.05, 0.1, 0.2\n"
                                 "[threshold.inner]\n"
                                 "band = 0.1\n"
                                 "to = inner:0.5\n";

/* Runs the sweep into dir/r.db and reports it into dir/rep. */
static rb_report_summary sweep_and_report(rb_store *store, rb_report_options *opt)
{
    char *spec = rbt_write_file(dir, "s.ini", spec_text), *results = rbt_path(dir, "r.db"), *rep = rbt_path(dir, "rep");
    rb_sweep_options so = {.results = results, .threads = 1};
    rb_sweep_summary ss;
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run(store, spec, &so, &ss, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(ss.configurations, 14);
    opt->out_dir = rep;
    rb_report_summary sum = {0};
    cr_assert_eq(rb_report_sweep(store, results, opt, &sum, &err), RB_OK, "%s", err.msg);
    free(spec);
    free(results);
    free(rep);
    return sum;
}

static double growth(double v, double bars, double P) { return pow(v / 100000, P / (bars - 1)) - 1; }

/* ---------------------------------------------------------------- a sweep's report */

Test(report, sweep_report_has_every_file_with_its_columns_and_rows)
{
    rb_store *store = stocks_store();
    rb_report_options opt = {.no_charts = 1};
    rb_report_summary sum = sweep_and_report(store, &opt);
    cr_assert_eq(sum.configurations, 14);
    cr_assert_eq(sum.charts_drawn, 0);

    table s = read_table("rep/summary.csv");
    cr_assert_eq(s.nrows, 14);
    cr_assert_str_eq(s.head[0], "config_id");
    cr_assert_str_eq(s.head[1], "section");
    cr_assert_str_eq(s.head[2], "strategy");
    size_t nm;
    const rb_metric_info *metrics = rb_metric_table(&nm);
    for (size_t k = 0; k < nm; k++) col(&s, metrics[k].name);
    for (const char *const *p = RBT_KV("band", "every", "fee_bps", "to_mode", "tax_short", "tax_long"); *p; p++) col(&s, *p);
    table_free(&s);

    /* Buy-and-hold, every bar and one file per family (threshold, threshold.inner, calendar). */
    for (const char *const *f = RBT_KV("rep/curves/buy-and-hold.csv", "rep/curves/every-bar.csv",
                                       "rep/curves/equity.csv", "rep/conventions.txt", "rep/index.html",
                                       "rep/trades.csv", "rep/realized_gains.csv", "rep/annual_returns.csv",
                                       "rep/excess_split.csv");
         *f; f++) {
        char *p = rbt_path(dir, *f);
        cr_assert_eq(access(p, R_OK), 0, "%s is missing", *f);
        free(p);
    }
    table eq = read_table("rep/curves/equity.csv");
    cr_assert_eq(eq.ncols, 1 + 2 + 3, "date, two anchors and three families");
    cr_assert_eq(eq.nrows, 123);
    for (size_t c = 3; c < eq.ncols; c++) {
        char name[128];
        snprintf(name, sizeof name, "rep/curves/%s.csv", eq.head[c]);
        char *p = rbt_path(dir, name);
        cr_assert_eq(access(p, R_OK), 0, "%s is missing", name);
        free(p);
    }
    table_free(&eq);

    table tr = read_table("rep/trades.csv");
    cr_assert_str_eq(tr.head[0], "series");
    cr_assert_gt(tr.nrows, 20);
    col(&tr, "fee");
    col(&tr, "skipped");
    table_free(&tr);
    table g = read_table("rep/realized_gains.csv");
    cr_assert_gt(g.nrows, 0, "rebalancing sells realize gains");
    for (size_t k = 0; k < g.nrows; k++) {
        double gain = atof(at(&g, k, "gain")), proceeds = atof(at(&g, k, "proceeds")), cost = atof(at(&g, k, "cost"));
        rbt_assert_close(gain, proceeds - cost, 1e-9, "gain = proceeds - cost");
    }
    table_free(&g);

    char *conv_path = rbt_path(dir, "rep/conventions.txt"), *conv = rbt_read_file(conv_path, NULL);
    for (const char *const *p = RBT_KV("periods per year: 12", "[threshold.inner]", "fee-bps = 0", "dataset hash",
                                       "band (x) against fee-bps (y)");
         *p; p++)
        cr_assert_not_null(strstr(conv, *p), "conventions.txt lacks '%s':\n%s", *p, conv);
    free(conv);
    free(conv_path);

    char *html_path = rbt_path(dir, "rep/index.html"), *html = rbt_read_file(html_path, NULL), why[256];
    cr_assert(rbt_html_well_formed(html, why, sizeof why), "index.html: %s", why);
    /* The fee is swept: the page says at which level it compares, and gives the winner and
     * its margin over buy-and-hold at both levels. */
    cr_expect_not_null(strstr(html, "<p class=\"scenario\">The comparisons on this page are made at <code>fee-bps="),
                       "the level compared at is stated first");
    const char *levels = strstr(html, "<table id=\"levels\">");
    cr_assert_not_null(levels, "no table of the levels");
    const char *levels_end = strstr(levels, "</table>");
    const char *row0 = strstr(levels, "<td>fee-bps=0</td>"), *row20 = strstr(levels, "<td>fee-bps=20</td>");
    cr_expect(row0 && row20 && row0 < row20 && row20 < levels_end, "rows for fee-bps 0 and 20, in order");
    free(html);
    free(html_path);
    rb_store_free(store);
}

/* Sweeps the bands into dir/NAME.db (a threshold family, no costs), reports it into dir/NAME
 * and returns the page (malloc'ed); *best_band gets the family's best band (summary.csv). */
static char *report_bands(rb_store *store, const char *name, const char *bands, double *best_band)
{
    char spec[512], file[64];
    snprintf(spec, sizeof spec, "[data]\nassets = AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25\n[threshold]\nband = %s\n",
             bands);
    snprintf(file, sizeof file, "%s.ini", name);
    char *ini = rbt_write_file(dir, file, spec);
    snprintf(file, sizeof file, "%s.db", name);
    char *results = rbt_path(dir, file), *rep = rbt_path(dir, name);
    rb_sweep_options so = {.results = results, .threads = 1};
    rb_sweep_summary ss;
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run(store, ini, &so, &ss, &err), RB_OK, "%s", err.msg);
    rb_report_options opt = {.out_dir = rep, .no_charts = 1};
    rb_report_summary sum = {0};
    cr_assert_eq(rb_report_sweep(store, results, &opt, &sum, &err), RB_OK, "%s", err.msg);
    snprintf(file, sizeof file, "%s/summary.csv", name);
    table t = read_table(file);
    double best = -INFINITY;
    for (size_t k = 0; k < t.nrows; k++)
        if (atof(at(&t, k, "after_tax_value")) > best) {
            best = atof(at(&t, k, "after_tax_value"));
            *best_band = atof(at(&t, k, "band"));
        }
    table_free(&t);
    snprintf(file, sizeof file, "%s/index.html", name);
    char *page_path = rbt_path(dir, file), *html = rbt_read_file(page_path, NULL);
    free(page_path);
    free(ini);
    free(results);
    free(rep);
    return html;
}

/* A family's best at the end of its swept grid is flagged (the optimum may lie beyond); one
 * inside the grid is not. The best band of a wide sweep is the best of any subset of that
 * sweep holding it, so subsets that put it at each end, or inside, must be flagged so. */
Test(report, a_best_at_the_edge_of_its_grid_is_flagged)
{
    rb_store *store = stocks_store();
    static const double wide[] = {0.01, 0.03, 0.06, 0.1, 0.15, 0.25, 0.4};
    const size_t n = sizeof wide / sizeof wide[0];
    double b = NAN, got = NAN;
    char *html = report_bands(store, "wide", "0.01, 0.03, 0.06, 0.1, 0.15, 0.25, 0.4", &b);
    free(html);
    size_t i = 0;
    while (i < n && wide[i] != b) i++;
    cr_assert(i >= 2 && i + 2 < n, "the data's best band %g should lie well inside the wide grid", b);
    char below[64], above[64], inside[64], want[160];
    snprintf(below, sizeof below, "%g, %g, %g", wide[i - 2], wide[i - 1], b);
    snprintf(above, sizeof above, "%g, %g, %g", b, wide[i + 1], wide[i + 2]);
    snprintf(inside, sizeof inside, "%g, %g, %g", wide[i - 1], b, wide[i + 1]);

    html = report_bands(store, "below", below, &got);
    cr_assert_eq(got, b);
    snprintf(want, sizeof want, "It is at the edge of the swept range (band = %g, the largest swept): widen it", b);
    cr_expect_not_null(strstr(html, want), "lacks '%s'", want);
    snprintf(want, sizeof want, "(at the edge of the grid: band = %g, the largest swept)", b);
    cr_expect_not_null(strstr(html, want), "the family table lacks '%s'", want);
    free(html);

    html = report_bands(store, "above", above, &got);
    cr_assert_eq(got, b);
    snprintf(want, sizeof want, "(band = %g, the smallest swept): widen it", b);
    cr_expect_not_null(strstr(html, want), "lacks '%s'", want);
    free(html);

    html = report_bands(store, "inside", inside, &got);
    cr_assert_eq(got, b);
    cr_expect_null(strstr(html, "at the edge"), "a best inside its grid is not flagged");
    free(html);
    rb_store_free(store);
}

Test(report, annual_returns_and_excess_split_agree_with_the_files)
{
    rb_store *store = stocks_store();
    rb_report_options opt = {.no_charts = 1, .scenario = "fee-bps=20"};
    sweep_and_report(store, &opt);

    /* Annual returns of buy-and-hold from its curve: no flows, so V(last bar of the year) /
     * V(last bar of the year before) - 1; the first year starts at the first bar. */
    table curve = read_table("rep/curves/buy-and-hold.csv");
    table an = read_table("rep/annual_returns.csv");
    size_t checked = 0;
    double start = atof(at(&curve, 0, "value"));
    int year = 2000;
    for (size_t t = 0; t < curve.nrows; t++) {
        int y = atoi(at(&curve, t, "date"));
        int last = t + 1 == curve.nrows || atoi(at(&curve, t + 1, "date")) != y;
        if (!last) continue;
        double end = atof(at(&curve, t, "value")), want = end / start - 1;
        for (size_t k = 0; k < an.nrows; k++)
            if (strcmp(at(&an, k, "series"), "buy-and-hold") == 0 && atoi(at(&an, k, "year")) == y) {
                rbt_assert_close(atof(at(&an, k, "return")), want, 1e-12, "annual return");
                checked++;
            }
        cr_assert_eq(y, year++);
        start = end;
    }
    cr_assert_eq(checked, 11, "2000 to 2010");
    table_free(&curve);
    table_free(&an);

    /* The split adds up, and its total is the after-tax growth gap of the summary's rows. */
    table sp = read_table("rep/excess_split.csv");
    table s = read_table("rep/summary.csv");
    cr_assert_eq(sp.nrows, 3, "threshold, threshold.inner, calendar");
    double hold = NAN;
    for (size_t k = 0; k < s.nrows; k++)
        if (!strcmp(at(&s, k, "strategy"), "buy-and-hold") && !strcmp(at(&s, k, "fee_bps"), "20"))
            hold = atof(at(&s, k, "after_tax_value"));
    cr_assert(isfinite(hold));
    for (size_t k = 0; k < sp.nrows; k++) {
        double parts = 0;
        for (const char *const *p = RBT_KV("every_bar_gain", "drift", "cost_drag", "tax_drag"); *p; p++) parts += atof(at(&sp, k, *p));
        double excess = atof(at(&sp, k, "excess"));
        rbt_assert_close(parts, excess, 1e-12, "the four parts add up to the excess");
        const char *id = at(&sp, k, "config_id");
        size_t row = 0;
        while (row < s.nrows && strcmp(at(&s, row, "config_id"), id) != 0) row++;
        cr_assert_lt(row, s.nrows, "config %s is in summary.csv", id);
        cr_assert_str_eq(at(&s, row, "fee_bps"), "20", "compared at the scenario");
        double want = growth(atof(at(&s, row, "after_tax_value")), 123, 12) - growth(hold, 123, 12);
        rbt_assert_close(excess, want, 1e-9, "excess = g(rule) - g(buy-and-hold)");
        cr_assert_lt(atof(at(&sp, k, "tax_drag")), 1, "a fraction per year");
    }
    table_free(&sp);
    table_free(&s);
    rb_store_free(store);
}

Test(report, equity_curves_read_back_through_the_importer)
{
    rb_store *store = stocks_store();
    rb_report_options opt = {.no_charts = 1};
    sweep_and_report(store, &opt);
    char *path = rbt_path(dir, "rep/curves/equity.csv");
    rb_store *back = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(":memory:", 0, &back, &err), RB_OK);
    rb_import_options io;
    rb_import_options_init(&io);
    rb_import_stats st;
    cr_assert_eq(rb_import_files(back, (const char *const[]){path}, 1, &io, &st, &err), RB_OK, "%s", err.msg);
    rb_load_options lo;
    rb_load_options_init(&lo);
    const char *syms[] = {"buy-and-hold", "every-bar"};
    lo.symbols = syms;
    lo.nsymbols = 2;
    rb_matrix *m = NULL;
    cr_assert_eq(rb_matrix_load(back, &lo, &m, &err), RB_OK, "%s", err.msg);
    table curve = read_table("rep/curves/buy-and-hold.csv");
    cr_assert_eq(m->T, curve.nrows);
    for (size_t t = 0; t < m->T; t++)
        cr_assert_eq(m->close[t * 2], strtod(at(&curve, t, "value"), NULL), "bar %zu reads back exactly", t);
    table_free(&curve);
    rb_matrix_free(m);
    rb_store_free(back);
    free(path);
    rb_store_free(store);
}

/* Words make an axis when asked for (--heatmap every,on): the calendar periods from the
 * shortest, the other words in order, each tic named by its word. */
Test(report, a_heatmap_of_two_word_parameters)
{
    rb_store *store = stocks_store();
    char *ini = rbt_write_file(dir, "words.ini",
                               "[data]\nassets = AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25\n[buy-and-hold]\n"
                               "[calendar]\nevery = year, month, quarter\non = last, first\n");
    char *results = rbt_path(dir, "words.db"), *rep = rbt_path(dir, "wrep");
    rb_sweep_options so = {.results = results, .threads = 1};
    rb_sweep_summary ss;
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run(store, ini, &so, &ss, &err), RB_OK, "%s", err.msg);
    rb_report_options opt = {.out_dir = rep, .heatmap = "every,on"};
    cr_assert_eq(rb_report_sweep(store, results, &opt, NULL, &err), RB_OK, "%s", err.msg);
    char *conv_path = rbt_path(dir, "wrep/conventions.txt"), *conv = rbt_read_file(conv_path, NULL);
    cr_expect_not_null(strstr(conv, "every (x) against on (y)"), "%s", conv);
    char *gp_path = rbt_path(dir, "wrep/charts/heatmap.gp"), *gp = rbt_read_file(gp_path, NULL);
    cr_assert_not_null(gp, "no heatmap script");
    cr_expect_not_null(strstr(gp, "set xtics out nomirror (\"month\" 0, \"quarter\" 1, \"year\" 2)"), "%s", gp);
    cr_expect_not_null(strstr(gp, "set ytics out nomirror (\"first\" 0, \"last\" 1)"), "%s", gp);
    free(gp), free(gp_path), free(conv), free(conv_path), free(ini), free(results), free(rep);
    rb_store_free(store);
}

Test(report, a_heatmap_of_a_chosen_pair_and_errors_that_name_the_option)
{
    rb_store *store = stocks_store();
    rb_report_options opt = {.no_charts = 1, .heatmap = "band,fee-bps,cagr"};
    sweep_and_report(store, &opt);
    char *conv_path = rbt_path(dir, "rep/conventions.txt"), *conv = rbt_read_file(conv_path, NULL);
    cr_assert_not_null(strstr(conv, "band (x) against fee-bps (y); colour: cagr"), "%s", conv);
    free(conv);
    free(conv_path);

    char *results = rbt_path(dir, "r.db"), *rep = rbt_path(dir, "rep2");
    struct {
        rb_report_options opt;
        const char *needle;
    } bad[] = {
        {{.out_dir = rep, .by = "nope"}, "--by: 'nope' is not a metric"},
        {{.out_dir = rep, .scenario = "band=0.1"}, "--scenario: 'band' is not a cost"},
        {{.out_dir = rep, .scenario = "gas=2"}, "--scenario: the sweep does not set 'gas'"},
        {{.out_dir = rep, .scenario = "fee-bps=7"}, "has no run in that scenario"},
        {{.out_dir = rep, .heatmap = "band"}, "--heatmap: 'band' is not X,Y"},
        {{.out_dir = rep, .heatmap = "band,every"}, "no family of this sweep varies both 'band' and 'every'"},
        {{.out_dir = rep, .heatmap = "band,to"}, "over at least two values"},
        {{.out_dir = rep, .heatmap = "band,nope"}, "the sweep has no parameter 'nope'"},
        {{.out_dir = rep, .weights_id = 12345}, "--weights: sweep 1 has no configuration 12345"},
        {{.out_dir = rep, .sweep_id = 9}, "no sweep 9"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        rb_error err = {0};
        rb_report_options o = bad[k].opt;
        o.no_charts = 1;
        cr_assert_neq(rb_report_sweep(store, results, &o, NULL, &err), RB_OK, "case %zu passed", k);
        cr_assert_not_null(strstr(err.msg, bad[k].needle), "case %zu: '%s' lacks '%s'", k, err.msg, bad[k].needle);
    }
    /* Other prices than the sweep's: refused, naming the hashes. */
    rb_store *other = rbt_store_from_csv(dir, "symbol,date,close\nAAPL,2000-01-01,1\nAAPL,2000-02-01,2\n"
                                              "AMZN,2000-01-01,1\nAMZN,2000-02-01,2\nIBM,2000-01-01,1\n"
                                              "IBM,2000-02-01,2\nMSFT,2000-01-01,1\nMSFT,2000-02-01,2\n",
                                         NULL);
    rb_error err = {0};
    rb_report_options o = {.out_dir = rep, .no_charts = 1};
    cr_assert_eq(rb_report_sweep(other, results, &o, NULL, &err), RB_ERR_DATA);
    cr_assert_not_null(strstr(err.msg, "ran on other prices than these"), "%s", err.msg);
    rb_store_free(other);
    free(results);
    free(rep);
    rb_store_free(store);
}

/* ---------------------------------------------------------------- one run, hostile symbols */

static const char *const hostile[] = {"@SUM(1+1)", "-2+3", "../../up", "`touch PWNED` $(touch PWNED) \"q\" \\b",
                                      "system(\"touch PWNED\")"};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

/* A store of the hostile symbols: 800 daily bars of seeded random walks. Import refuses
 * symbols with blanks or double quotes, but a store written before it did (or by another
 * program) still holds them, and reports must keep them data: the bars are imported under
 * placeholder names H0, H1, ... and the symbols then written with SQL. */
static rb_store *hostile_store(void)
{
    size_t cap = 1 << 20, o = 0;
    char *csv = malloc(cap);
    o += (size_t)snprintf(csv + o, cap - o, "symbol,date,close\n");
    uint64_t x = 42;
    for (size_t i = 0; i < NHOSTILE; i++) {
        double p = 100;
        for (int d = 0; d < 800; d++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            p *= 1 + ((double)(x >> 11) / 9007199254740992.0 - 0.5) * 0.06;
            char date[32];
            rb_time_format((rb_time)(946684800 + 86400 * (int64_t)d), date);
            o += (size_t)snprintf(csv + o, cap - o, "H%zu,%s,%.6f\n", i, date, p);
        }
    }
    char *csv_path = rbt_write_file(dir, "hostile.csv", csv), *db = rbt_path(dir, "hostile.db");
    free(csv);
    rb_store *s = NULL;
    rb_error err = {0};
    rb_import_stats stats;
    cr_assert_eq(rb_store_open(db, 0, &s, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_import_files(s, (const char *const[]){csv_path}, 1, NULL, &stats, &err), RB_OK, "%s", err.msg);
    rb_store_free(s);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    for (size_t i = 0; i < NHOSTILE; i++) {
        sqlite3_stmt *q;
        cr_assert_eq(sqlite3_prepare_v2(h, "UPDATE assets SET symbol = ?1 WHERE symbol = ?2", -1, &q, NULL), SQLITE_OK);
        char placeholder[16];
        snprintf(placeholder, sizeof placeholder, "H%zu", i);
        sqlite3_bind_text(q, 1, hostile[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, placeholder, -1, SQLITE_TRANSIENT);
        cr_assert_eq(sqlite3_step(q), SQLITE_DONE, "%s", sqlite3_errmsg(h));
        cr_assert_eq(sqlite3_changes(h), 1);
        sqlite3_finalize(q);
    }
    sqlite3_close(h);
    cr_assert_eq(rb_store_open(db, 0, &s, &err), RB_OK, "%s", err.msg);
    free(csv_path);
    free(db);
    return s;
}

static char *hostile_assets(void)
{
    static char buf[512];
    size_t o = 0;
    for (size_t i = 0; i < NHOSTILE; i++) o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s=0.2", i ? "," : "", hostile[i]);
    return buf;
}

static char inside[PATH_MAX];
static int outside_files;

static int check_inside(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    char real[PATH_MAX];
    if (!realpath(path, real) || strncmp(real, inside, strlen(inside)) != 0) outside_files++;
    if (strstr(path, "PWNED")) outside_files++;
    return 0;
}

Test(report, hostile_symbols_stay_data_in_every_file)
{
    rb_store *store = hostile_store();
    char *rep = rbt_path(dir, "rep");
    const char *settings[] = {"assets", hostile_assets(), "strategy", "threshold", "band", "0.05", "fee-bps", "10",
                              "tax-short", "0.3", "contribution", "-100"};
    rb_report_options opt = {.out_dir = rep, .title = "<script>alert(1)</script> & `touch PWNED`"};
    rb_report_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_report_run(store, settings, 6, &opt, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(sum.configurations, 3);

    /* Spreadsheet formulas neutralized, numbers untouched. */
    char *p = rbt_path(dir, "rep/trades.csv"), *trades = rbt_read_file(p, NULL);
    cr_assert_not_null(strstr(trades, ",'@SUM(1+1),"), "the @ symbol is neutralized");
    cr_assert_not_null(strstr(trades, ",'-2+3,"), "the - symbol is neutralized");
    cr_assert_null(strstr(trades, ",@SUM"), "no cell starts with @");
    cr_assert_null(strstr(trades, ",-2+3"), "no cell starts with -2+3");
    free(trades);
    free(p);
    table s = read_table("rep/summary.csv");
    cr_assert_eq(s.nrows, 3);
    for (size_t k = 0; k < s.nrows; k++) cr_assert_str_eq(at(&s, k, "contribution"), "-100", "a number stays a number");
    table_free(&s);

    /* Every file is under the report directory; nothing was run. */
    cr_assert(realpath(rep, inside));
    outside_files = 0;
    cr_assert_eq(nftw(rep, check_inside, 16, FTW_PHYS), 0);
    cr_assert_eq(outside_files, 0, "a file left the report directory or a command ran");
    char *pw = rbt_path(dir, "PWNED");
    cr_assert_neq(access(pw, F_OK), 0);
    cr_assert_neq(access("PWNED", F_OK), 0);
    free(pw);

    /* The page: well formed, the title escaped. */
    p = rbt_path(dir, "rep/index.html");
    char *html = rbt_read_file(p, NULL), why[256];
    cr_assert(rbt_html_well_formed(html, why, sizeof why), "index.html: %s", why);
    cr_assert_null(strstr(html, "<script>alert"), "the title is escaped");
    free(html);
    free(p);
    if (sum.missing[0] == '\0') cr_assert_geq(sum.charts_drawn, 5, "%s", sum.failed);
    free(rep);
    rb_store_free(store);
}

Test(report, without_gnuplot_every_file_but_the_pictures_is_written)
{
    rb_store *store = stocks_store();
    char *empty = rbt_path(dir, "empty-bin"), *rep = rbt_path(dir, "rep");
    mkdir(empty, 0700);
    char *old = strdup(getenv("PATH") ? getenv("PATH") : "");
    setenv("PATH", empty, 1);
    const char *settings[] = {"assets", "AAPL=0.5,MSFT=0.5", "strategy", "calendar", "every", "quarter"};
    rb_report_options opt = {.out_dir = rep};
    rb_report_summary sum = {0};
    rb_error err = {0};
    rb_status rc = rb_report_run(store, settings, 3, &opt, &sum, &err);
    setenv("PATH", old, 1);
    cr_assert_eq(rc, RB_OK, "%s", err.msg);
    cr_assert_eq(sum.charts_drawn, 0);
    cr_assert_not_null(strstr(sum.missing, "equity"), "missing: %s", sum.missing);
    cr_assert_null(strstr(sum.missing, "heatmap"), "a run has no heatmap to miss: %s", sum.missing);
    for (const char *const *f = RBT_KV("rep/index.html", "rep/summary.csv", "rep/trades.csv", "rep/conventions.txt",
                                       "rep/charts/equity.gp", "rep/charts/equity.dat");
         *f; f++) {
        char *path = rbt_path(dir, *f);
        cr_assert_eq(access(path, R_OK), 0, "%s is missing", *f);
        free(path);
    }
    char *png = rbt_path(dir, "rep/charts/equity.png");
    cr_assert_neq(access(png, F_OK), 0);
    free(png);
    free(old);
    free(empty);
    free(rep);
    rb_store_free(store);
}

/* The summary's lists of missing and failed charts are appended to fixed buffers: a full
 * buffer keeps what fits, NUL-terminated, and takes nothing more. */
Test(report, summary_lists_are_cut_at_the_buffer_end)
{
    char buf[12] = "";
    rb_text_append(buf, sizeof buf, "%s%s", buf[0] ? ", " : "", "equity");
    rb_text_append(buf, sizeof buf, "%s%s", buf[0] ? ", " : "", "drawdown");
    cr_assert_str_eq(buf, "equity, dra");
    rb_text_append(buf, sizeof buf, "%s", "more");
    cr_assert_str_eq(buf, "equity, dra");
}

/* ---------------------------------------------------------------- the page at 1400 px */

/* The configuration ids of the top table: the first digits, the whole id on hover and for
 * sorting; the CSV keeps the whole id. */
Test(report, the_top_table_shows_short_ids_with_the_whole_id_on_hover)
{
    rb_store *store = stocks_store();
    rb_report_options opt = {0};
    sweep_and_report(store, &opt);
    char *rep = rbt_path(dir, "rep"), *path = rbt_path(rep, "index.html");
    char *page = rbt_read_file(path, NULL);
    cr_assert_not_null(page);
    const char *top = strstr(page, "<table id=\"top\"");
    cr_assert_not_null(top);
    size_t n = 0;
    for (const char *p = strstr(top, "data-key=\""); p && p < strstr(top, "</table>"); p = strstr(p + 1, "data-key=\"")) {
        char id[32], shown[32];
        cr_assert_eq(sscanf(p, "data-key=\"%31[0-9-]\"><span class=\"cid\" title=\"%31[0-9-]\">", id, shown), 2, "%.120s", p);
        cr_assert_str_eq(id, shown);
        cr_assert_gt(strlen(id), 6);
        char want[64];
        snprintf(want, sizeof want, "\">%.6s\xE2\x80\xA6</span></td>", id);
        cr_assert_not_null(strstr(p, want), "%.160s", p);
        char full[40];
        snprintf(full, sizeof full, ">%s<", id);
        cr_assert_null(strstr(top, full), "the whole id %s is shown", id);
        n++;
    }
    cr_assert_geq(n, 5, "the families' top configurations have ids");
    free(page), free(path);
    path = rbt_path(rep, "summary.csv");
    char *csv = rbt_read_file(path, NULL);
    cr_assert_not_null(csv);
    cr_assert(strspn(strchr(csv, '\n') + 1, "0123456789-,.\"abcdefghijklmnopqrstuvwxyz") > 0);
    free(csv), free(path), free(rep);
    rb_store_free(store);
}

/* chromium (or chromium-browser) on PATH, or NULL. */
static const char *find_chromium(void)
{
    static const char *const names[] = {"chromium", "chromium-browser"};
    const char *path = getenv("PATH");
    for (size_t k = 0; k < 2 && path; k++) {
        char *copy = strdup(path), *save = NULL;
        cr_assert_not_null(copy);
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            char *p = rbt_path(d, names[k]);
            int ok = access(p, X_OK) == 0;
            free(p);
            if (ok) {
                free(copy);
                return names[k];
            }
        }
        free(copy);
    }
    return NULL;
}

/* Measures the laid-out page and says it in its title (read back with --dump-dom): whether the
 * top table fits without a scroll bar, and the most lines a verdict takes. */
static const char measure_script[] =
    "<script>(function () {\n"
    "  var s = document.querySelector('#summary .scroll');\n"
    "  var lines = 0;\n"
    "  Array.prototype.forEach.call(document.querySelectorAll('#families tbody tr'), function (tr) {\n"
    "    var range = document.createRange();\n"
    "    range.selectNodeContents(tr.cells[tr.cells.length - 1]);\n"
    "    lines = Math.max(lines, range.getClientRects().length);\n"
    "  });\n"
    "  document.title = 'measured fits=' + (s.scrollWidth - s.clientWidth) + ' verdict_lines=' + lines + ' end';\n"
    "})();</script>\n";

/* The page in headless Chromium at 1400 px: the 13-column top table fits and a verdict takes
 * at most two lines; a screenshot is taken. Skipped, with a message, without Chromium. */
Test(report, the_page_fits_1400_px_in_headless_chromium, .timeout = 280)
{
    const char *chromium = find_chromium();
    if (!chromium) {
        fprintf(stderr, "report: Chromium is not installed: the page's layout at 1400 px is not checked\n");
        cr_skip_test("Chromium is not installed");
    }
    rb_store *store = stocks_store();
    rb_report_options opt = {0};
    sweep_and_report(store, &opt);
    rb_store_free(store);
    char *rep = rbt_path(dir, "rep"), *path = rbt_path(rep, "index.html");
    char *page = rbt_read_file(path, NULL);
    cr_assert_not_null(page);
    char *end = strstr(page, "</body>");
    cr_assert_not_null(end);
    *end = '\0';
    char *measured = NULL;
    cr_assert_gt(asprintf(&measured, "%s%s</body></html>\n", page, measure_script), 0);
    char *check = rbt_write_file(rep, "measure.html", measured), *url = NULL, *shot = rbt_path(dir, "page-1400.png"),
         *shot_arg = NULL;
    cr_assert_gt(asprintf(&url, "file://%s", check), 0);
    cr_assert_gt(asprintf(&shot_arg, "--screenshot=%s", shot), 0);
    rbt_run_result res = rbt_run_program(dir, chromium,
                                         RBT_KV("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,3000",
                                                "--dump-dom", url));
    cr_assert_eq(res.status, 0, "%s", res.err);
    int overflow = -1, lines = -1;
    const char *title = strstr(res.out, "measured fits=");
    cr_assert_not_null(title, "the measuring script did not run");
    cr_assert_eq(sscanf(title, "measured fits=%d verdict_lines=%d", &overflow, &lines), 2, "%.80s", title);
    cr_expect_leq(overflow, 0, "the top table is %d px wider than the page at 1400 px", overflow);
    cr_expect_leq(lines, 2, "a verdict wraps to %d lines at 1400 px", lines);
    rbt_run_result_free(&res);
    res = rbt_run_program(dir, chromium,
                          RBT_KV("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,3000", shot_arg, url));
    cr_assert_eq(res.status, 0, "%s", res.err);
    struct stat st;
    cr_expect(stat(shot, &st) == 0 && st.st_size > 0, "no screenshot at %s", shot);
    rbt_run_result_free(&res);
    free(page), free(measured), free(check), free(url), free(shot), free(shot_arg), free(path), free(rep);
}
