/* test_oos_cli.c - `rebal sweep --walk-forward / --split`, and the test in `rebal runs` and
 * `rebal report` (issue 19): the outputs, the files, the errors and their exit status. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static char *dir;

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void setup(void)
{
    dir = rbt_tempdir();
    char *csv = rbt_source_path("data/bundled/stocks_monthly.csv");
    rbt_run_ok(dir, ARGS("import", "--db", "p.db", csv));
    free(csv);
    free(rbt_write_file(dir, "s.ini",
                        "[data]\nassets = AAPL=0.3,MSFT=0.3,CASH=0.4\n[costs]\nfee-bps = 0, 10\n[buy-and-hold]\n"
                        "[calendar]\nevery = quarter, year\n[threshold]\nband = 0.02:0.2:0.02\n"));
}

static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(oos_cli, .init = setup, .fini = teardown, .timeout = 240);

static rbt_run_result run(const char *const *argv) { return rbt_run(dir, NULL, argv); }

static void has(const char *text, const char *needle) { cr_assert_not_null(strstr(text, needle), "no '%s' in:\n%s", needle, text); }

Test(oos_cli, sweep_prints_the_test_and_runs_and_report_read_it)
{
    rbt_run_result r = run(ARGS("sweep", "-q", "--db", "p.db", "--results", "r.db", "s.ini", "--walk-forward", "3y:1y",
                                "--by", "sharpe"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "Out of sample: walk-forward 3y:1y, 7 windows, each window's winner the best by sharpe");
    has(r.out, "stitched test parts");
    has(r.out, "  1      2000-01-01..2003-01-01  2003-01-01..2004-01-01");
    rbt_run_result_free(&r);
    r = run(ARGS("runs", "r.db", "--top", "3"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "Out of sample: walk-forward 3y:1y, 7 windows");
    rbt_run_result_free(&r);
    /* CSV and JSON stay the runs alone. */
    r = run(ARGS("runs", "r.db", "--csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_null(strstr(r.out, "Out of sample"));
    rbt_run_result_free(&r);
    r = run(ARGS("report", "r.db", "--db", "p.db", "--out", "rep", "--no-charts"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    char *path = rbt_path(dir, "rep/oos_windows.csv");
    char *csv = rbt_read_file(path, NULL);
    cr_assert_not_null(csv);
    has(csv, "window,train_start,train_end,test_start,test_end,train_bars,test_bars,winner_config_id,winner_section,"
             "train_sharpe,test_sharpe,test_rank,ranked,in_top_decile,in_sample_test_rank");
    has(csv, "\n7,2006-01-01,2009-01-01,2009-01-01,2010-01-01,37,13,");
    free(csv);
    free(path);
    path = rbt_path(dir, "rep/oos_curve.csv");
    csv = rbt_read_file(path, NULL);
    cr_assert_not_null(csv);
    has(csv, "date,window,oos_value,in_sample_value\n2003-01-01,1,100000,100000\n");
    free(csv);
    free(path);
    path = rbt_path(dir, "rep/index.html");
    char *html = rbt_read_file(path, NULL);
    has(html, "<section id=\"oos\">");
    has(html, "oos_windows.csv");
    free(html);
    free(path);
    /* The same sweep and test again: found, not run. */
    r = run(ARGS("sweep", "-q", "--db", "p.db", "--results", "r.db", "s.ini", "--walk-forward", "3y:1y", "--by",
                 "sharpe"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "already in r.db as sweep 1");
    has(r.out, "Out of sample: walk-forward 3y:1y");
    rbt_run_result_free(&r);
    cr_assert_eq(rbt_sqlite_int(path = rbt_path(dir, "r.db"), "SELECT count(*) FROM oos_tests"), 1);
    free(path);
}

Test(oos_cli, the_report_draws_both_charts_when_gnuplot_is_there)
{
    rbt_run_ok(dir, ARGS("sweep", "-q", "--db", "p.db", "--results", "r.db", "s.ini", "--walk-forward", "36b:12b",
                         "--anchored"));
    rbt_run_result r = run(ARGS("report", "r.db", "--db", "p.db", "--out", "rep"));
    rbt_run_result g = rbt_run_program(dir, "gnuplot", ARGS("--version"));
    int drawn = g.status == 0;
    rbt_run_result_free(&g);
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    static const char *const names[] = {"oos_curve", "oos_ranks"};
    for (size_t k = 0; k < 2; k++) {
        char file[64];
        snprintf(file, sizeof file, "rep/charts/%s.gp", names[k]);
        char *path = rbt_path(dir, file);
        char *gp = rbt_read_file(path, NULL);
        cr_assert_not_null(gp, "%s", file);
        has(gp, "set output \"");
        free(gp);
        free(path);
        snprintf(file, sizeof file, "rep/charts/%s.png", names[k]);
        path = rbt_path(dir, file);
        FILE *f = fopen(path, "rb");
        cr_assert_eq(f != NULL, drawn, "%s: drawn when gnuplot is there, else absent", file);
        if (f) fclose(f);
        free(path);
    }
    char *path = rbt_path(dir, "rep/index.html");
    char *html = rbt_read_file(path, NULL);
    has(html, "id=\"chart-oos_curve\"");
    has(html, "id=\"chart-oos_ranks\"");
    free(html);
    free(path);
}

Test(oos_cli, a_report_without_a_test_removes_an_earlier_one)
{
    rbt_run_ok(dir, ARGS("sweep", "-q", "--db", "p.db", "--results", "a.db", "s.ini", "--split", "2005-01-01"));
    rbt_run_ok(dir, ARGS("report", "a.db", "--db", "p.db", "--out", "rep", "--no-charts"));
    char *path = rbt_path(dir, "rep/oos_windows.csv");
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    fclose(f);
    rbt_run_ok(dir, ARGS("sweep", "-q", "--db", "p.db", "--results", "b.db", "s.ini"));
    rbt_run_ok(dir, ARGS("report", "b.db", "--db", "p.db", "--out", "rep", "--no-charts"));
    cr_assert_null(fopen(path, "r"), "a report of a sweep without a test has no oos_windows.csv");
    char *html_path = rbt_path(dir, "rep/index.html");
    char *html = rbt_read_file(html_path, NULL);
    cr_assert_null(strstr(html, "id=\"oos\""));
    free(html);
    free(html_path);
    free(path);
}

Test(oos_cli, errors_name_the_option)
{
    const struct {
        const char *const *argv;
        int status;
        const char *needle;
    } cases[] = {
        {ARGS("sweep", "s.ini", "--db", "p.db", "--walk-forward", "3y-1y"), 2, "--walk-forward '3y-1y': expected TRAIN:TEST"},
        {ARGS("sweep", "s.ini", "--db", "p.db", "--walk-forward", "3y:1z"), 2, "'z' is not a unit"},
        {ARGS("sweep", "s.ini", "--db", "p.db", "--anchored"), 2, "--anchored: only with --walk-forward or --split"},
        {ARGS("sweep", "s.ini", "--db", "p.db", "--by", "sharpe"), 2, "--by: only with --walk-forward or --split"},
        {ARGS("sweep", "s.ini", "--db", "p.db", "--split", "2005-01-01", "--walk-forward", "3y:1y"), 2, "give one of them"},
        {ARGS("sweep", "s.ini", "--db", "p.db", "--split", "2005-01-01", "--by", "sharp"), 2, "--by: 'sharp' is not a metric"},
        {ARGS("sweep", "s.ini", "--db", "p.db", "--walk-forward", "10y:1y"), 1, "s.ini: --walk-forward 10y:1y: the windows are longer than the data"},
        {ARGS("sweep", "s.ini", "--db", "p.db", "--split", "1999-01-01"), 1, "--split 1999-01-01: outside the data"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        rbt_run_result r = run(cases[k].argv);
        cr_assert_eq(r.status, cases[k].status, "case %zu: %s", k, r.err);
        has(r.err, cases[k].needle);
        rbt_run_result_free(&r);
    }
    char *path = rbt_path(dir, "rebal-results.db");
    cr_assert_null(fopen(path, "r"), "nothing was stored");
    free(path);
}
