/* test_output_errors.c - outputs that cannot be written as asked: charts in a folder whose
 * name holds a tab or a newline, a gnuplot that fails, and a full device (/dev/full) under
 * the curve, trades, lots and export writers. Each error names the file and the system's
 * reason, and the command fails (exit 1). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"

static char *dir;

static void setup(void)
{
    dir = rbt_tempdir();
    char *stocks = rbt_source_path("data/bundled/stocks_monthly.csv");
    rbt_run_result r = rbt_run(dir, NULL, (const char *const[]){"import", "-q", "--db", "s.db", stocks, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(stocks);
}
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(output_errors, .init = setup, .fini = teardown, .timeout = 120);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* "report: DIR/index.html (N of 9 charts)": N, or -1 when the line is missing. */
static int charts_drawn(const char *out)
{
    const char *p = strstr(out, "index.html (");
    int n = -1;
    if (p) sscanf(p, "index.html (%d of 9 charts)", &n);
    return n;
}

static int exists(const char *d, const char *name)
{
    char *p = rbt_path(d, name);
    struct stat st;
    int ok = stat(p, &st) == 0 && st.st_size > 0;
    free(p);
    return ok;
}

static rbt_run_result report_run(const char *out_dir, const char *const *env)
{
    return rbt_run(dir, env, ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,MSFT=0.5", "--strategy", "threshold",
                                  "--band", "0.1", "--report", out_dir));
}

Test(output_errors, charts_drawn_in_a_folder_named_with_a_tab_and_a_newline)
{
    if (access("/usr/bin/gnuplot", X_OK) != 0 && access("/usr/local/bin/gnuplot", X_OK) != 0)
        cr_skip_test("gnuplot is not installed");
    rbt_run_result plain = report_run("plain", NULL);
    cr_assert_eq(plain.status, 0, "%s", plain.err);
    int want = charts_drawn(plain.out);
    cr_assert_gt(want, 0, "%s", plain.out);

    const char *odd = "odd\tname\nhere";
    rbt_run_result r = report_run(odd, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(charts_drawn(r.out), want, "%s%s", r.out, r.err);
    char *charts = rbt_path(dir, "odd\tname\nhere/charts");
    cr_assert(exists(charts, "equity.png"), "no equity.png in the odd folder");
    cr_assert(exists(charts, "equity.svg"));
    free(charts);
    rbt_run_result_free(&r);
    rbt_run_result_free(&plain);
}

Test(output_errors, a_failing_gnuplot_fails_the_command)
{
    /* A gnuplot that reads its commands and fails, as a broken installation would. */
    char *bin = rbt_path(dir, "bin");
    mkdir(bin, 0700);
    char *fake = rbt_write_file(bin, "gnuplot", "#!/bin/sh\ncat >/dev/null\necho 'broken gnuplot' >&2\nexit 1\n");
    chmod(fake, 0700);
    char pathvar[4200];
    snprintf(pathvar, sizeof pathvar, "PATH=%s:/usr/bin:/bin", bin);
    rbt_run_result r = report_run("rep", ARGS(pathvar));
    cr_assert_eq(r.status, 1, "exit %d; %s", r.status, r.err);
    cr_assert_not_null(strstr(r.err, "charts were not drawn, gnuplot failed: equity (gnuplot: broken gnuplot)"), "%s",
                       r.err);
    cr_assert(exists(dir, "rep/index.html"), "the page is still written");
    rbt_run_result_free(&r);
    free(fake);
    free(bin);
}

/* A writer that meets a full device says which file and why, and exits 1. */
static void expect_full(const char *const *argv, const char *what)
{
    if (access("/dev/full", W_OK) != 0) cr_skip_test("no writable /dev/full");
    rbt_run_result r = rbt_run(dir, NULL, argv);
    cr_assert_eq(r.status, 1, "%s: exit %d; %s", what, r.status, r.err);
    cr_assert_not_null(strstr(r.err, "/dev/full"), "%s: the message names the file: %s", what, r.err);
    cr_assert_not_null(strstr(r.err, "No space left on device"), "%s: the message says why: %s", what, r.err);
    rbt_run_result_free(&r);
}

Test(output_errors, full_device_names_the_file_and_the_reason)
{
    expect_full(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,MSFT=0.5", "--curve", "/dev/full"), "--curve");
    expect_full(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,MSFT=0.5", "--strategy", "calendar", "--trades",
                     "/dev/full"),
                "--trades");
    expect_full(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,MSFT=0.5", "--strategy", "calendar", "--tax-short",
                     "0.3", "--lots", "/dev/full"),
                "--lots");
    expect_full(ARGS("export", "--db", "s.db", "-o", "/dev/full"), "export");
}
