/* test_cli.c - the rebal command as a user meets it: help and version, exit codes (0 ok,
 * 1 runtime, 2 usage), one-line errors naming the file/line/option, the database path
 * (--db, REBAL_DB, ./rebal.db), import/assets/export/synth, and the demo end to end. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "html_check.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(cli, .init = setup, .fini = teardown, .timeout = 60);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static rbt_run_result run_in(const char *const *argv) { return rbt_run(dir, NULL, argv); }
static size_t count_lines(const char *s);

static void expect_one_line_error(const rbt_run_result *r, int status, const char *needle)
{
    cr_assert_eq(r->status, status, "exit %d, expected %d; stderr: %s", r->status, status, r->err);
    size_t len = strlen(r->err);
    cr_assert_gt(len, 0, "no message on stderr");
    cr_assert_eq(r->err[len - 1], '\n');
    cr_assert_null(memchr(r->err, '\n', len - 1), "error is not one line: %s", r->err);
    cr_assert_not_null(strstr(r->err, needle), "stderr '%s' lacks '%s'", r->err, needle);
    cr_assert_eq(strncmp(r->err, "rebal", 5), 0, "error does not start with 'rebal': %s", r->err);
}

Test(cli, help_lists_every_command)
{
    rbt_run_result r = run_in(ARGS("--help"));
    cr_assert_eq(r.status, 0);
    for (const char *const *c = ARGS("import", "assets", "export", "run", "sweep", "runs", "report", "synth", "demo", "help"); *c; c++)
        cr_assert_not_null(strstr(r.out, *c), "--help does not mention %s", *c);
    cr_assert_not_null(strstr(r.out, "REBAL_DB"));
    rbt_run_result_free(&r);
}

Test(cli, version_names_the_release_and_schema)
{
    rbt_run_result r = run_in(ARGS("--version"));
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "rebal 0.1.0"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "schema 2"), "%s", r.out);
    rbt_run_result_free(&r);
}

Test(cli, help_command_and_dash_dash_help_agree)
{
    for (const char *const *c = ARGS("import", "assets", "export", "run", "report", "synth", "demo"); *c; c++) {
        rbt_run_result a = run_in(ARGS("help", *c));
        rbt_run_result b = run_in(ARGS(*c, "--help"));
        cr_assert_eq(a.status, 0, "rebal help %s", *c);
        cr_assert_eq(b.status, 0, "rebal %s --help", *c);
        cr_assert_str_eq(a.out, b.out);
        cr_assert_not_null(strstr(a.out, "Usage: rebal "), "%s help has no usage line", *c);
        rbt_run_result_free(&a);
        rbt_run_result_free(&b);
    }
}

/* How many lines of text start with the option "  --KEY " (or end with "  --KEY"). */
static size_t option_lines(const char *text, const char *key)
{
    char start[80];
    snprintf(start, sizeof start, "  --%s", key);
    size_t n = 0, len = strlen(start);
    for (const char *line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line))
        if (strncmp(line, start, len) == 0 && (line[len] == ' ' || line[len] == '\n')) n++;
    return n;
}

/* The help heading of a strategy parameter and its first line: "\nOptions of calendar and
 * hybrid:\n  --every PERIOD ", naming the registered rules that take it, in registry order. */
static const char *takers_heading(const char *key, const char *arg, char out[256])
{
    const char *names[32];
    size_t n = 0;
    for (size_t k = 0; k < rb_strategy_count() && n < 32; k++)
        for (size_t j = 0; j < rb_strategy_at(k)->nparams; j++)
            if (strcmp(rb_strategy_at(k)->params[j].key, key) == 0) names[n++] = rb_strategy_at(k)->name;
    cr_assert_gt(n, 0, "no registered rule takes --%s", key);
    size_t len = (size_t)snprintf(out, 256, "\nOptions of ");
    for (size_t k = 0; k < n; k++)
        len += (size_t)snprintf(out + len, 256 - len, "%s%s", k == 0 ? "" : k + 1 == n ? " and " : ", ", names[k]);
    snprintf(out + len, 256 - len, ":\n  --%s %s%s", key, arg, arg[0] ? " " : "");
    return out;
}

Test(cli, run_help_lists_each_option_once_by_strategy)
{
    rbt_run_result r = run_in(ARGS("help", "run"));
    cr_assert_eq(r.status, 0);
    for (size_t i = 0; i < rb_setting_count(); i++)
        cr_assert_eq(option_lines(r.out, rb_setting_at(i)->key), 1, "--%s is listed %zu times", rb_setting_at(i)->key,
                     option_lines(r.out, rb_setting_at(i)->key));
    for (size_t k = 0; k < rb_strategy_count(); k++)
        for (size_t j = 0; j < rb_strategy_at(k)->nparams; j++) {
            const char *key = rb_strategy_at(k)->params[j].key;
            cr_assert_eq(option_lines(r.out, key), 1, "--%s is listed %zu times", key, option_lines(r.out, key));
        }
    /* under headings naming the strategies that take them */
    char heading[4][256];
    const char *cal = strstr(r.out, takers_heading("every", "PERIOD", heading[0]));
    const char *bands = strstr(r.out, takers_heading("band", "B|SYM=B,...", heading[1]));
    const char *hyb = strstr(r.out, takers_heading("mode", "", heading[2]));
    const char *vol = strstr(r.out, takers_heading("vol-ref", "", heading[3]));
    cr_assert(cal && bands && hyb && vol, "strategy headings missing:\n%s", r.out);
    cr_assert(cal < bands && bands < hyb && hyb < vol);
    cr_assert(strstr(bands, "  --cooldown ") < hyb, "the band options are not together");
    cr_assert_not_null(strstr(r.out, "25% is 0.25"), "the help does not say percentages are accepted");
    rbt_run_result_free(&r);
    /* every strategy parameter reads the same wherever it is offered */
    for (size_t k = 0; k < rb_strategy_count(); k++)
        for (size_t j = 0; j < rb_strategy_at(k)->nparams; j++)
            for (size_t l = 0; l < k; l++)
                for (size_t m = 0; m < rb_strategy_at(l)->nparams; m++) {
                    const rb_setting_info *a = &rb_strategy_at(k)->params[j], *b = &rb_strategy_at(l)->params[m];
                    if (strcmp(a->key, b->key) != 0) continue;
                    cr_assert(strcmp(a->arg, b->arg) == 0 && strcmp(a->def, b->def) == 0 &&
                                  strcmp(a->help, b->help) == 0 && a->fraction == b->fraction,
                              "--%s differs between %s and %s", a->key, rb_strategy_at(k)->name,
                              rb_strategy_at(l)->name);
                }
}

Test(cli, usage_errors_exit_2_with_one_line)
{
    rbt_run_result r = run_in(ARGS("frobnicate"));
    expect_one_line_error(&r, 2, "unknown command 'frobnicate'");
    rbt_run_result_free(&r);
    r = run_in(ARGS("help", "frobnicate"));
    expect_one_line_error(&r, 2, "no such command or topic 'frobnicate'");
    rbt_run_result_free(&r);
    r = run_in(ARGS("import", "--bogus", "x.csv"));
    expect_one_line_error(&r, 2, "unknown option '--bogus'");
    rbt_run_result_free(&r);
    r = run_in(ARGS("import", "--format"));
    expect_one_line_error(&r, 2, "option '--format' needs a value");
    rbt_run_result_free(&r);
    r = run_in(ARGS("import", "--format", "xml", "x.csv"));
    expect_one_line_error(&r, 2, "--format: unknown format 'xml'");
    rbt_run_result_free(&r);
    r = run_in(ARGS("import"));
    expect_one_line_error(&r, 2, "no CSV file given");
    rbt_run_result_free(&r);
    r = run_in(ARGS("synth", "--days", "1"));
    expect_one_line_error(&r, 2, "--days: 1 is out of range");
    rbt_run_result_free(&r);
    r = run_in(ARGS("export", "-x"));
    expect_one_line_error(&r, 2, "unknown option '-x'");
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, (const char *const[]){NULL});
    cr_assert_eq(r.status, 2);
    rbt_run_result_free(&r);
}

static char *stocks_path(void) { return rbt_source_path("data/bundled/stocks_monthly.csv"); }

Test(cli, default_database_is_rebal_db_in_the_current_directory)
{
    char *stocks = stocks_path();
    rbt_run_result r = run_in(ARGS("import", stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "560 bars added"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "5 new assets"), "%s", r.out);
    char *db = rbt_path(dir, "rebal.db");
    cr_assert_eq(access(db, F_OK), 0, "./rebal.db was not created");
    rbt_run_result_free(&r);
    free(db);
    free(stocks);
}

Test(cli, rebal_db_variable_and_db_option_choose_the_store)
{
    char *stocks = stocks_path();
    char *env_db = rbt_path(dir, "from-env.db"), *opt_db = rbt_path(dir, "from-option.db");
    char *setting = NULL;
    cr_assert(asprintf(&setting, "REBAL_DB=%s", env_db) > 0);
    const char *const env[] = {setting, NULL};
    rbt_run_result r = rbt_run(dir, env, ARGS("import", "-q", stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "", "--quiet printed: %s", r.out);
    cr_assert_eq(access(env_db, F_OK), 0, "REBAL_DB was ignored");
    rbt_run_result_free(&r);
    r = rbt_run(dir, env, ARGS("import", "--db", opt_db, stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(access(opt_db, F_OK), 0, "--db did not override REBAL_DB");
    rbt_run_result_free(&r);
    char *local = rbt_path(dir, "rebal.db");
    cr_assert_neq(access(local, F_OK), 0, "./rebal.db was created although a store was named");
    free(local), free(setting), free(env_db), free(opt_db), free(stocks);
}

Test(cli, bad_data_exits_1_naming_file_line_and_column_and_keeps_the_store)
{
    char *stocks = stocks_path();
    rbt_run_result r = run_in(ARGS("import", "--db", "s.db", stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    char *db = rbt_path(dir, "s.db"), *copy = rbt_path(dir, "s.copy");
    rbt_copy_file(db, copy);
    char *bad = rbt_write_file(dir, "bad.csv", "symbol,date,price\nNEW,2001-01-01,10\nNEW,2001-02-01,abc\n");
    r = run_in(ARGS("import", "--db", "s.db", bad));
    expect_one_line_error(&r, 1, "bad.csv:3");
    cr_assert_not_null(strstr(r.err, "price"), "the column is not named: %s", r.err);
    cr_assert(rbt_same_bytes(db, copy), "a refused import changed the store");
    rbt_run_result_free(&r);
    /* A refused first import leaves no store behind. */
    r = run_in(ARGS("import", "--db", "fresh.db", bad));
    cr_assert_eq(r.status, 1);
    char *fresh = rbt_path(dir, "fresh.db");
    cr_assert_neq(access(fresh, F_OK), 0, "a failed first import left a store behind");
    rbt_run_result_free(&r);
    free(fresh), free(bad), free(db), free(copy), free(stocks);
}

/* The README's European example, with the decimal comma such a file holds. */
Test(cli, import_reads_decimal_commas_and_refuses_them_with_a_comma_delimiter)
{
    free(rbt_write_file(dir, "quotes.csv", "date;DAX\n03.01.2000;6750,76\n04.01.2000;6586,95\n"));
    rbt_run_result r =
        run_in(ARGS("import", "--db", "q.db", "--delimiter", ";", "--date-format", "%d.%m.%Y", "quotes.csv"));
    expect_one_line_error(&r, 1,
                          "quotes.csv:2: column DAX: not a number: '6750,76' (a decimal comma needs --decimal ','");
    rbt_run_result_free(&r);
    r = run_in(ARGS("import", "--db", "q.db", "--delimiter", ";", "--decimal", ",", "--date-format", "%d.%m.%Y",
                    "quotes.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "2 bars added"), "%s", r.out);
    rbt_run_result_free(&r);
    r = run_in(ARGS("export", "--db", "q.db"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "DAX,2000-01-03,,,,6750.76,"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "DAX,2000-01-04,,,,6586.95,"), "%s", r.out);
    rbt_run_result_free(&r);
    r = run_in(ARGS("import", "--db", "q.db", "--decimal", ",", "--delimiter", ",", "quotes.csv"));
    expect_one_line_error(&r, 2, "--decimal ',' cannot go with --delimiter ','");
    rbt_run_result_free(&r);
    r = run_in(ARGS("import", "--db", "q.db", "--decimal", "comma", "quotes.csv"));
    expect_one_line_error(&r, 2, "--decimal: 'comma' is not '.' or ','");
    rbt_run_result_free(&r);
}

/* A file of numbered bars (bar,A0,A1,...) gets a calendar from --start and --every, and runs. */
Test(cli, import_gives_numbered_bars_a_calendar)
{
    free(rbt_write_file(dir, "bars.csv", "bar,A0,A1\n0,100,50\n1,101,52\n2,99,51\n3,102,53\n4,104,52\n"));
    rbt_run_result r = run_in(ARGS("import", "--db", "b.db", "bars.csv"));
    expect_one_line_error(&r, 1, "bars.csv:1: no date column");
    cr_assert_not_null(strstr(r.err, "--start DATE --every CALENDAR"), "%s", r.err);
    rbt_run_result_free(&r);
    r = run_in(ARGS("import", "--db", "b.db", "--start", "2021-12-30", "--every", "business-day", "bars.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "10 bars added"), "%s", r.out);
    rbt_run_result_free(&r);
    r = run_in(ARGS("assets", "--db", "b.db", "--csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* Thursday, Friday, then Monday 2022-01-03 to Wednesday 2022-01-05. */
    cr_assert_not_null(strstr(r.out, "A0,2021-12-30,2022-01-05,5"), "%s", r.out);
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "b.db", "--assets", "A0=0.5,A1=0.5", "--json"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);

    r = run_in(ARGS("import", "--db", "b.db", "--every", "day", "bars.csv"));
    expect_one_line_error(&r, 2, "--every day needs --start DATE");
    rbt_run_result_free(&r);
    r = run_in(ARGS("import", "--db", "b.db", "--start", "2020-01-01", "bars.csv"));
    expect_one_line_error(&r, 2, "--start needs --every");
    rbt_run_result_free(&r);
    r = run_in(ARGS("import", "--db", "b.db", "--start", "2020-01-01", "--every", "fortnight", "bars.csv"));
    expect_one_line_error(&r, 2, "--every: unknown calendar 'fortnight'");
    rbt_run_result_free(&r);
    char *stocks = stocks_path();
    r = run_in(ARGS("import", "--db", "b.db", "--start", "2020-01-01", "--every", "month", stocks));
    expect_one_line_error(&r, 1, "stocks_monthly.csv:1: column 'date' holds dates: --start and --every are for");
    rbt_run_result_free(&r);
    free(stocks);
}

Test(cli, missing_store_and_missing_file_are_runtime_errors)
{
    rbt_run_result r = run_in(ARGS("assets", "--db", "nothing.db"));
    expect_one_line_error(&r, 1, "nothing.db: no such price store");
    rbt_run_result_free(&r);
    r = run_in(ARGS("import", "--db", "x.db", "no-such-file.csv"));
    expect_one_line_error(&r, 1, "no-such-file.csv");
    rbt_run_result_free(&r);
    char *notdb = rbt_write_file(dir, "notes.txt", "hello, this is not a database\n");
    r = run_in(ARGS("assets", "--db", notdb));
    expect_one_line_error(&r, 1, "not a SQLite database");
    rbt_run_result_free(&r);
    free(notdb);
}

Test(cli, assets_lists_symbols_dates_counts_and_gaps)
{
    char *stocks = stocks_path();
    rbt_run_result r = run_in(ARGS("import", "--db", "a.db", stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    r = run_in(ARGS("assets", "--db", "a.db"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "SYMBOL"), "%s", r.out);
    const char *goog = strstr(r.out, "GOOG");
    cr_assert_not_null(goog, "%s", r.out);
    cr_assert_not_null(strstr(goog, "2004-08-01"), "GOOG's first date is missing: %s", r.out);
    cr_assert_not_null(strstr(goog, "68"), "GOOG's bar count is missing: %s", r.out);
    /* Monthly data: the largest gap is 31 days. */
    cr_assert_not_null(strstr(r.out, "31 days"), "%s", r.out);
    rbt_run_result_free(&r);
    r = run_in(ARGS("assets", "--db", "a.db", "--csv"));
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "symbol,first,last,bars,largest_gap_days,gap_from,gap_to\n"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "\nGOOG,2004-08-01,2010-03-01,68,31,"), "%s", r.out);
    rbt_run_result_free(&r);
    free(stocks);
}

Test(cli, export_to_a_file_reimports_to_the_same_export)
{
    char *stocks = stocks_path();
    rbt_run_result r = run_in(ARGS("import", "--db", "a.db", stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    r = run_in(ARGS("export", "--db", "a.db", "--symbols", "MSFT, GOOG", "-o", "out.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    r = run_in(ARGS("import", "--db", "b.db", "out.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "191 bars added"), "%s", r.out); /* 123 MSFT + 68 GOOG */
    rbt_run_result_free(&r);
    r = run_in(ARGS("export", "--db", "b.db", "--symbols", "MSFT,GOOG"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *path = rbt_path(dir, "out.csv");
    char *first = rbt_read_file(path, NULL);
    cr_assert_str_eq(first, r.out);
    rbt_run_result_free(&r);
    r = run_in(ARGS("export", "--db", "a.db", "--symbols", "NOPE", "-o", "x.csv"));
    expect_one_line_error(&r, 1, "unknown symbol 'NOPE'");
    char *x = rbt_path(dir, "x.csv");
    cr_assert_neq(access(x, F_OK), 0, "a failed export left a file");
    rbt_run_result_free(&r);
    free(x), free(first), free(path), free(stocks);
}

Test(cli, synth_reproduces_the_bundled_crypto_data)
{
    rbt_run_result r = run_in(ARGS("synth", "--seed", "1", "-o", "crypto.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    char *made = rbt_path(dir, "crypto.csv"), *bundled = rbt_source_path("data/bundled/crypto_daily.csv");
    cr_assert(rbt_same_bytes(made, bundled), "rebal synth --seed 1 differs from data/bundled/crypto_daily.csv");
    free(made), free(bundled);
}

static void expect_page(const char *rel)
{
    char *path = rbt_path(dir, rel), *html = rbt_read_file(path, NULL), why[256];
    cr_assert_not_null(html, "%s is missing", rel);
    cr_assert(rbt_html_well_formed(html, why, sizeof why), "%s: %s", rel, why);
    free(html);
    free(path);
}

Test(cli, demo_runs_end_to_end_and_again, .timeout = 120)
{
    rbt_run_result r = run_in(ARGS("demo", "--out", "demo-out"));
    cr_assert_eq(r.status, 0, "demo failed: %s", r.err);
    for (const char *const *s = ARGS("stocks_monthly.csv", "sp500_daily.csv", "crypto_daily.csv", "SPX", "USDS",
                                     "buy-and-hold", "threshold.inner", "vol-band", "hybrid", "calendar",
                                     "after_tax_value", "at fee-bps=10", "at fee-bps=5",
                                     "report: demo-out/crypto/index.html", "report: demo-out/stocks/index.html",
                                     "demo-out/index.html");
         *s; s++)
        cr_assert_not_null(strstr(r.out, *s), "the demo output lacks '%s':\n%s", *s, r.out);
    expect_page("demo-out/index.html");
    for (const char *const *p = ARGS("crypto", "stocks"); *p; p++) {
        char rel[256];
        snprintf(rel, sizeof rel, "demo-out/%s/index.html", *p);
        expect_page(rel);
        for (const char *const *f = ARGS("summary.csv", "trades.csv", "realized_gains.csv", "annual_returns.csv",
                                         "excess_split.csv", "conventions.txt", "curves/equity.csv");
             *f; f++) {
            snprintf(rel, sizeof rel, "demo-out/%s/%s", *p, *f);
            char *path = rbt_path(dir, rel);
            cr_assert_eq(access(path, R_OK), 0, "%s is missing", rel);
            free(path);
        }
    }
    rbt_run_result_free(&r);
    /* No two calendar configurations of a demo sweep are the same run under two names (every
     * = week and every = month on monthly bars both rebalance at every bar): at each fee,
     * the calendar rules' final values differ. */
    for (const char *const *db = ARGS("demo-out/crypto-results.db", "demo-out/stocks-results.db"); *db; db++) {
        rbt_run_result j = run_in(ARGS("runs", *db, "--top", "0", "--json", "--where", "strategy = calendar"));
        cr_assert_eq(j.status, 0, "%s", j.err);
        double seen[64][2];
        size_t n = 0;
        for (const char *line = j.out; line && *line && n < 64; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
            const char *fee = strstr(line, "\"fee_bps\": "), *fin = strstr(line, "\"final_value\": ");
            if (!fee || !fin) break;
            double f = atof(fee + 11), v = atof(fin + 15);
            for (size_t k = 0; k < n; k++)
                cr_expect(!(seen[k][0] == f && seen[k][1] == v), "%s: two calendar rules at fee-bps %g end at %.2f: "
                          "the same run under two names", *db, f, v);
            seen[n][0] = f, seen[n][1] = v, n++;
        }
        cr_expect_gt(n, 3, "%s: the calendar runs were read", *db);
        rbt_run_result_free(&j);
    }
    char *db = rbt_path(dir, "demo-out/rebal.db"), *copy = rbt_path(dir, "demo.copy");
    rbt_copy_file(db, copy);
    r = run_in(ARGS("demo", "--out", "demo-out"));
    cr_assert_eq(r.status, 0, "second demo run failed: %s", r.err);
    size_t unchanged = 0;
    for (const char *p = r.out; (p = strstr(p, " 0 bars new")); p++) unchanged++;
    cr_assert_eq(unchanged, 3, "a second import of the bundled files added bars:\n%s", r.out);
    cr_assert(rbt_same_store(db, copy), "running the demo again changed its store");
    rbt_run_result_free(&r);
    free(db), free(copy);
}

/* ---------------------------------------------------------------- reports */

Test(cli, report_of_a_sweep_a_run_and_their_errors, .timeout = 120)
{
    char *stocks = stocks_path();
    rbt_run_result r = run_in(ARGS("import", "-q", "--db", "s.db", stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(rbt_write_file(dir, "s.ini", "[data]\nassets = AAPL=0.25, AMZN=0.25, IBM=0.25, MSFT=0.25\n"
                                      "[costs]\nfee-bps = 0, 10\n[buy-and-hold]\n"
                                      "[threshold]\nband = 0.05, 0.1\n[calendar]\nevery = quarter, year\n"));
    r = run_in(ARGS("sweep", "-q", "--db", "s.db", "--results", "res.db", "--report", "rep", "s.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "report: rep/index.html"), "%s", r.out);
    rbt_run_result_free(&r);
    expect_page("rep/index.html");

    r = run_in(ARGS("report", "res.db", "--db", "s.db", "--out", "rep2", "--scenario", "fee-bps=10", "--top", "2"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "10 configurations; best: "), "%s", r.out);
    rbt_run_result_free(&r);
    expect_page("rep2/index.html");

    /* --report on a run; with --json, stdout holds the JSON alone. */
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,MSFT=0.5", "--strategy", "threshold", "--band",
                    "0.1", "--json", "--report", "rep3"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(r.out[0], '{', "%s", r.out);
    cr_assert_eq(count_lines(r.out), 1, "%s", r.out);
    cr_assert_not_null(strstr(r.err, "report: rep3/index.html"), "%s", r.err);
    rbt_run_result_free(&r);
    expect_page("rep3/index.html");

    /* Without gnuplot: one warning naming the charts and how to install it. */
    char *empty = rbt_path(dir, "empty-bin"), pathvar[4200];
    mkdir(empty, 0700);
    snprintf(pathvar, sizeof pathvar, "PATH=%s", empty);
    r = rbt_run(dir, ARGS(pathvar), ARGS("report", "res.db", "--db", "s.db", "--out", "rep4"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "warning: gnuplot is not installed, so these charts were not drawn: equity"),
                       "%s", r.err);
    cr_assert_not_null(strstr(r.err, "apt-get install gnuplot-nox"), "%s", r.err);
    cr_assert_eq(count_lines(r.err), 1, "one warning: %s", r.err);
    rbt_run_result_free(&r);
    expect_page("rep4/index.html");
    free(empty);

    r = run_in(ARGS("report", "res.db", "--db", "s.db"));
    expect_one_line_error(&r, 2, "missing --out DIR");
    rbt_run_result_free(&r);
    r = run_in(ARGS("report", "res.db", "--db", "s.db", "--out", "rep5", "--heatmap", "band,nope"));
    expect_one_line_error(&r, 2, "--heatmap: the sweep has no parameter 'nope'");
    rbt_run_result_free(&r);
    r = run_in(ARGS("report", "nothing.db", "--db", "s.db", "--out", "rep5"));
    expect_one_line_error(&r, 1, "nothing.db");
    rbt_run_result_free(&r);
    r = run_in(ARGS("help", "report"));
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "--scenario"), "%s", r.out);
    rbt_run_result_free(&r);
    free(stocks);
}

/* ---------------------------------------------------------------- rebal run */

static void import_stocks(const char *db)
{
    char *stocks = stocks_path();
    rbt_run_result r = run_in(ARGS("import", "--db", db, stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(stocks);
}

Test(cli, run_prints_metrics_and_conventions)
{
    import_stocks("s.db");
    rbt_run_result r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25",
                                   "--strategy", "calendar", "--every", "quarter"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (const char *const *k = ARGS("final_value", "cagr", "sharpe", "max_drawdown", "turnover", "after_tax_value",
                                     "rebalancing_bonus", "123 bars from 2000-01-01 to 2010-03-01",
                                     "conventions: 12 periods per year");
         *k; k++)
        cr_assert_not_null(strstr(r.out, *k), "run output lacks '%s':\n%s", *k, r.out);
    rbt_run_result_free(&r);
}

Test(cli, run_json_has_every_metric_key)
{
    import_stocks("s.db");
    rbt_run_result r = run_in(ARGS("run", "--db", "s.db", "--assets", "MSFT=0.5,CASH=0.5", "--json", "--start", "auto"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (const char *const *k = ARGS("final_value", "total_return", "cagr", "ann_vol", "sharpe", "sortino",
                                     "max_drawdown", "calmar", "rebalances", "turnover", "turnover_2way", "fees_paid",
                                     "slippage_paid", "gas_paid", "taxes_paid", "after_tax_value", "avg_drift",
                                     "tracking_error", "rebalancing_bonus", "bars", "start", "end",
                                     "periods_per_year");
         *k; k++) {
        char key[64];
        snprintf(key, sizeof key, "\"%s\": ", *k);
        cr_assert_not_null(strstr(r.out, key), "JSON lacks %s:\n%s", key, r.out);
    }
    cr_assert_eq(r.out[0], '{');
    cr_assert_not_null(strstr(r.out, "\"bars\": 123"), "%s", r.out);
    /* What was run: the strategy, the assets and targets, every setting (given or default,
     * numbers as numbers), the data range and the dataset hash. */
    for (const char *const *k = ARGS("\"run\": {\"strategy\": \"buy-and-hold\", \"assets\": {\"MSFT\": 0.5, \"CASH\": 0.5}",
                                     "\"settings\": {\"start\": \"auto\"", "\"capital\": 100000", "\"fee-bps\": 0",
                                     "\"tax-lots\": \"fifo\"", "\"dataset_hash\": \"");
         *k; k++)
        cr_assert_not_null(strstr(r.out, *k), "JSON lacks %s:\n%s", *k, r.out);
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "MSFT=0.5,CASH=0.5", "--json", "--strategy", "threshold",
                    "--band", "5%", "--fee-bps", "10"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (const char *const *k = ARGS("\"strategy\": \"threshold\"", "\"band\": 0.05,", "\"fee-bps\": 10,",
                                     "\"to\": \"target\"", "\"only-breached\": 0");
         *k; k++)
        cr_assert_not_null(strstr(r.out, *k), "JSON lacks %s:\n%s", *k, r.out);
    rbt_run_result_free(&r);
}

Test(cli, run_writes_curve_trades_and_lots)
{
    import_stocks("s.db");
    rbt_run_result r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,IBM=0.5", "--strategy", "calendar",
                                   "--every", "year", "--fee-bps", "10", "--curve", "curve.csv", "--trades",
                                   "trades.csv", "--lots", "lots.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    char *p = rbt_path(dir, "curve.csv"), *curve = rbt_read_file(p, NULL);
    free(p);
    cr_assert_not_null(curve);
    cr_assert(strncmp(curve, "date,value,cash,flow,drawdown,w_AAPL,w_IBM\r\n2000-01-01,", 55) == 0, "%.80s", curve);
    size_t lines = 0;
    for (const char *c = curve; *c; c++) lines += *c == '\n';
    cr_assert_eq(lines, 124, "curve lines: %zu", lines);
    p = rbt_path(dir, "trades.csv");
    char *trades = rbt_read_file(p, NULL);
    free(p);
    cr_assert(strncmp(trades, "date,bar,kind,symbol,side,units,price,value,fee,slippage,gas,skipped\r\n", 70) == 0);
    cr_assert_not_null(strstr(trades, ",initial,AAPL,buy,"), "%s", trades);
    cr_assert_not_null(strstr(trades, ",rebalance,"), "%s", trades);
    p = rbt_path(dir, "lots.csv");
    char *lots = rbt_read_file(p, NULL);
    free(p);
    cr_assert(strncmp(lots, "lot_id,symbol,open_date,units,cost,close_date,proceeds,gain,term,wash_disallowed\r\n",
                      82) == 0, "%.90s", lots);
    /* Annual rebalancing sells: closed pieces come first, the open lots after them. */
    cr_assert_not_null(strstr(lots, ",short,") ? strstr(lots, ",short,") : strstr(lots, ",long,"), "%s", lots);
    cr_assert_not_null(strstr(lots, ",open,"), "%s", lots);
    free(curve), free(trades), free(lots);
}

Test(cli, run_errors_are_one_line_and_name_the_setting)
{
    import_stocks("s.db");
    rbt_run_result r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,IBM=0.6"));
    expect_one_line_error(&r, 2, "--assets: the weights sum to 1.1");
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db"));
    expect_one_line_error(&r, 2, "--assets is required");
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=1", "--every", "month"));
    expect_one_line_error(&r, 2, "--every does not apply to strategy 'buy-and-hold'");
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,NOPE=0.5"));
    expect_one_line_error(&r, 1, "unknown symbol 'NOPE'");
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "GOOG=0.5,IBM=0.5", "--start", "2000-01-01"));
    expect_one_line_error(&r, 1, "GOOG starts on 2004-08-01");
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=1", "--fee-bps", "lots"));
    expect_one_line_error(&r, 2, "--fee-bps: 'lots' is not a number");
    rbt_run_result_free(&r);
}

/* The JSON metrics of `rebal run --db s.db ARGS... --json` (the run must succeed). */
static char *run_json(const char *const *args)
{
    const char *argv[32] = {"run", "--db", "s.db"};
    size_t n = 3;
    for (; *args; args++) argv[n++] = *args;
    argv[n++] = "--json";
    argv[n] = NULL;
    rbt_run_result r = run_in(argv);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *out = r.out;
    r.out = NULL;
    rbt_run_result_free(&r);
    return out;
}

/* The results of a run's JSON: what it says was run (its settings as given) cut off. */
static char *results_of(char *json)
{
    char *run = strstr(json, ", \"run\": {");
    if (run) strcpy(run, "}\n");
    return json;
}

Test(cli, percentages_run_as_the_fractions_they_name)
{
    import_stocks("s.db");
    /* every fractional setting: weights, bands, the cash rate, tax rates, rf */
    static const char *const pairs[][2][16] = {
        {{"--assets", "AAPL=60%,MSFT=40%", "--strategy", "threshold", "--band-rel", "25%", NULL},
         {"--assets", "AAPL=0.6,MSFT=0.4", "--strategy", "threshold", "--band-rel", "0.25", NULL}},
        {{"--assets", "AAPL=0.5,IBM=0.5", "--strategy", "threshold", "--band", "IBM=2.5%,5%", "--to", "inner:50%",
          NULL},
         {"--assets", "AAPL=0.5,IBM=0.5", "--strategy", "threshold", "--band", "IBM=0.025,0.05", "--to", "inner:0.5",
          NULL}},
        {{"--assets", "AAPL=0.5,IBM=0.5", "--strategy", "hybrid", "--band-total", "7.5%", "--mode", "either", NULL},
         {"--assets", "AAPL=0.5,IBM=0.5", "--strategy", "hybrid", "--band-total", "0.075", "--mode", "either", NULL}},
        {{"--assets", "AAPL=0.5,CASH=0.5", "--cash-rate", "2%", "--rf", "1.5%", "--strategy", "calendar",
          "--tax-short", "35%", "--tax-long", "15%", NULL},
         {"--assets", "AAPL=0.5,CASH=0.5", "--cash-rate", "0.02", "--rf", "0.015", "--strategy", "calendar",
          "--tax-short", "0.35", "--tax-long", "0.15", NULL}},
        {{"--assets", "AAPL=0.5,IBM=0.5", "--strategy", "vol-band", "--band", "5%", "--vol-ref", "60%", NULL},
         {"--assets", "AAPL=0.5,IBM=0.5", "--strategy", "vol-band", "--band", "0.05", "--vol-ref", "0.6", NULL}},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char *a = results_of(run_json((const char *const *)pairs[i][0]));
        char *b = results_of(run_json((const char *const *)pairs[i][1]));
        cr_assert_str_eq(a, b, "pair %zu: a percentage and its fraction run differently", i);
        free(a);
        free(b);
    }
    /* a percent sign on a setting that is not a fraction: refused, saying why */
    rbt_run_result r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=1", "--fee-bps", "5%"));
    expect_one_line_error(&r, 2, "--fee-bps: '5%' is a percentage, but --fee-bps takes BPS|SYM=BPS,...");
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=1", "--capital", "50%"));
    expect_one_line_error(&r, 2, "--capital: '50%' is a percentage, but --capital takes USD");
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,IBM=0.5", "--strategy", "threshold", "--band", "5%",
                    "--cooldown", "10%"));
    expect_one_line_error(&r, 2, "--cooldown: '10%' is a percentage, but --cooldown takes BARS");
    rbt_run_result_free(&r);
}

Test(cli, unknown_names_suggest_the_nearest_known_one)
{
    import_stocks("s.db");
    rbt_run_result r = run_in(ARGS("rnu"));
    expect_one_line_error(&r, 2, "unknown command 'rnu'; did you mean run?");
    rbt_run_result_free(&r);
    r = run_in(ARGS("frobnicate"));
    expect_one_line_error(&r, 2, "unknown command 'frobnicate' (see");
    rbt_run_result_free(&r);
    r = run_in(ARGS("help", "strategis"));
    expect_one_line_error(&r, 2, "no such command or topic 'strategis'; did you mean strategies?");
    rbt_run_result_free(&r);
    /* symbols are case-sensitive */
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "aapl=0.5,IBM=0.5"));
    expect_one_line_error(&r, 1, "unknown symbol 'aapl'; did you mean AAPL? (see 'rebal assets')");
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,IMB=0.5"));
    expect_one_line_error(&r, 1, "unknown symbol 'IMB'; did you mean IBM?");
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,NIKKEI=0.5"));
    expect_one_line_error(&r, 1, "unknown symbol 'NIKKEI' (see 'rebal assets')");
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,IBM=0.5", "--strategy", "treshold"));
    expect_one_line_error(&r, 2, "unknown strategy 'treshold'; did you mean threshold?");
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,IBM=0.5", "--fee-bps", "ibm=5"));
    expect_one_line_error(&r, 2, "--fee-bps: ibm is not one of the --assets; did you mean IBM?");
    rbt_run_result_free(&r);
    /* --by of rebal runs and rebal report */
    free(rbt_write_file(dir, "s.ini", "[data]\nassets = AAPL=0.5, IBM=0.5\n[calendar]\nevery = quarter, year\n"));
    r = run_in(ARGS("sweep", "-q", "--db", "s.db", "--results", "res.db", "s.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    r = run_in(ARGS("runs", "res.db", "--by", "sharp"));
    expect_one_line_error(&r, 2, "--by: unknown metric 'sharp'; did you mean sharpe?");
    rbt_run_result_free(&r);
    r = run_in(ARGS("report", "res.db", "--db", "s.db", "--out", "rep", "--by", "Cagr"));
    expect_one_line_error(&r, 2, "--by: 'Cagr' is not a metric; did you mean cagr?");
    rbt_run_result_free(&r);
}

Test(cli, run_from_csv_files_needs_no_store)
{
    char *sp500 = rbt_source_path("data/bundled/sp500_daily.csv");
    char *arg = NULL;
    cr_assert(asprintf(&arg, "SPX=%s", sp500) > 0);
    rbt_run_result r = run_in(ARGS("run", "--csv", arg, "--assets", "SPX=0.6,CASH=0.4", "--strategy", "calendar",
                                   "--every", "month", "--json"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "\"periods_per_year\": 252"), "%s", r.out);
    char *db = rbt_path(dir, "rebal.db");
    cr_assert_neq(access(db, F_OK), 0, "--csv created a store on disk");
    rbt_run_result_free(&r);
    free(db), free(arg), free(sp500);
}

Test(cli, help_topics_list_metrics_and_strategies)
{
    rbt_run_result r = run_in(ARGS("help", "metrics"));
    cr_assert_eq(r.status, 0);
    for (const char *const *k = ARGS("cagr", "sortino", "tracking_error", "rebalancing_bonus", "sample (n - 1)"); *k; k++)
        cr_assert_not_null(strstr(r.out, *k), "help metrics lacks %s", *k);
    rbt_run_result_free(&r);
    r = run_in(ARGS("help", "strategies"));
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "buy-and-hold"));
    cr_assert_not_null(strstr(r.out, "--every PERIOD"));
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--help"));
    cr_assert_eq(r.status, 0);
    for (const char *const *k = ARGS("--fee-bps", "--amm-depth", "--tax-lots", "--wash-sale-days", "--contribution-every",
                                     "--exec", "--every", "--curve", "--lots");
         *k; k++)
        cr_assert_not_null(strstr(r.out, *k), "run --help lacks %s", *k);
    rbt_run_result_free(&r);
}

/* ---------------------------------------------------------------- rebal sweep */

static void import_crypto(const char *db)
{
    char *crypto = rbt_source_path("data/bundled/crypto_daily.csv");
    rbt_run_result r = run_in(ARGS("import", "-q", "--db", db, crypto));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(crypto);
}

/* 3 x 2,000 threshold bands + 2 x 3 calendar rules = 6,006 configurations on 1,461 daily bars. */
static const char big_spec[] = "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n"
                               "[costs]\nfee-bps = 5, 10, 20\n"
                               "[threshold]\nband = 0.0001:0.2:0.0001\n"
                               "[calendar]\nevery = week, month\n";

/* Every stored row of the latest sweep, ordered by id: ids, parameters and metrics. */
static char *dump_runs(const char *name)
{
    char *path = rbt_path(dir, name);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT * FROM runs ORDER BY config_id", -1, &st, NULL), SQLITE_OK,
                 "%s", sqlite3_errmsg(db));
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    int cols = sqlite3_column_count(st);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 1; c < cols; c++) { /* column 0 is the sweep id, which differs */
            if (sqlite3_column_type(st, c) == SQLITE_FLOAT) fprintf(out, "%.17g|", sqlite3_column_double(st, c));
            else fprintf(out, "%s|", sqlite3_column_text(st, c) ? (const char *)sqlite3_column_text(st, c) : "NULL");
        }
        fputc('\n', out);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    fclose(out);
    free(path);
    return buf;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Starts `rebal sweep` in the background (output to files in dir) and returns its pid. */
static pid_t spawn_sweep(const char *results, const char *extra)
{
    const char *bin = getenv("REBAL_BIN");
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(126);
        FILE *o = freopen("sweep.out", "w", stdout), *e = freopen("sweep.err", "w", stderr);
        (void)o, (void)e;
        execl(bin, bin, "sweep", "--db", "c.db", "--results", results, "--threads", "2", "big.ini", extra, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* What a sweep running in the background has stored: runs in the results store, or -1
 * while it has recorded no sweep yet. */
typedef struct sweep_watch {
    pid_t pid;
    char *path;        /* the results store */
    long long rows;    /* wait until at least this many runs are stored (0: the sweep is recorded) */
    int exited;        /* the sweep ended while we waited */
    int status;
} sweep_watch;

static int sweep_progressed(void *ctx)
{
    sweep_watch *w = ctx;
    long long stored = rbt_sqlite_int(w->path, "SELECT CASE WHEN (SELECT count(*) FROM sweeps) > 0 "
                                               "THEN (SELECT count(*) FROM runs) ELSE -1 END");
    if (stored >= w->rows) return 1;
    if (!w->exited && waitpid(w->pid, &w->status, WNOHANG) == w->pid) w->exited = 1;
    return w->exited; /* it ended by itself: stop waiting (the caller looks at what it stored) */
}

/* Waits (generous deadline) until the background sweep pid has stored `rows` runs in
 * dir/results (0: recorded its sweep), and returns what it stored then; sets *exited when
 * it ended by itself meanwhile (its status reaped). */
static long long wait_for_rows(pid_t pid, const char *results, long long rows, int *exited)
{
    sweep_watch w = {.pid = pid, .path = rbt_path(dir, results), .rows = rows};
    cr_assert(rbt_wait_until(sweep_progressed, &w, 120), "the sweep stored no %lld rows in 120 s", rows);
    long long stored = rbt_sqlite_int(w.path, "SELECT count(*) FROM runs");
    if (w.exited) {
        char *errpath = rbt_path(dir, "sweep.err"), *err = rbt_read_file(errpath, NULL);
        cr_assert(WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0 && stored >= rows,
                  "the sweep ended (status %d) with %lld rows stored: %s", w.status, stored, err ? err : "");
        free(errpath);
        free(err);
    }
    *exited = w.exited;
    free(w.path);
    return stored;
}

Test(cli, sweep_killed_at_any_moment_resumes_to_the_uninterrupted_result, .timeout = 240)
{
    import_crypto("c.db");
    free(rbt_write_file(dir, "big.ini", big_spec));
    rbt_run_result r = run_in(ARGS("sweep", "-q", "--db", "c.db", "--results", "full.db", "big.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    char *full = dump_runs("full.db");
    cr_assert_eq(count_lines(full), 6006, "the uninterrupted sweep stored %zu rows", count_lines(full));

    /* Kill points by observed progress, never by time: as soon as the sweep is recorded,
     * then once it has stored at least 1, 2,000 and 4,000 rows (the writer commits 2,000 at
     * a time). A sweep that finished first is simply resumed with nothing left to run. */
    const long long points[] = {0, 1, 2000, 4000};
    size_t mid_sweep = 0;
    for (size_t d = 0; d < sizeof points / sizeof points[0]; d++) {
        char name[32];
        snprintf(name, sizeof name, "killed%zu.db", d);
        pid_t pid = spawn_sweep(name, "-q");
        int exited;
        long long seen = wait_for_rows(pid, name, points[d], &exited);
        if (!exited) {
            kill(pid, SIGKILL);
            int st;
            waitpid(pid, &st, 0);
            mid_sweep += seen < 6006;
        }
        r = run_in(ARGS("sweep", "-q", "--db", "c.db", "--results", name, "--resume", "big.ini"));
        cr_assert_eq(r.status, 0, "resume after a kill at %lld rows: %s", points[d], r.err);
        rbt_run_result_free(&r);
        char *resumed = dump_runs(name);
        cr_assert_str_eq(resumed, full, "kill at %lld rows: the resumed results differ from an uninterrupted run",
                         points[d]);
        free(resumed);
    }
    cr_log_info("%zu of 4 kills landed mid-sweep", mid_sweep);
    free(full);
}

/* 60,006 configurations: seconds of work even in an optimized build. */
static const char huge_spec[] = "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n"
                                "[costs]\nfee-bps = 5, 10, 20\n"
                                "[threshold]\nband = 0.00001:0.2:0.00001\n"
                                "[calendar]\nevery = week, month\n";

Test(cli, sweep_stops_cleanly_on_sigint_and_says_how_to_resume, .timeout = 120)
{
    import_crypto("c.db");
    free(rbt_write_file(dir, "big.ini", huge_spec));
    pid_t pid = spawn_sweep("int.db", "-q");
    /* Signal once the first block is committed (not after a fixed time: on a loaded machine
     * that came before any row); ~58,000 configurations are still to run then. */
    int exited;
    wait_for_rows(pid, "int.db", 1, &exited);
    cr_assert(!exited, "the sweep finished before it could be interrupted");
    kill(pid, SIGINT);
    int st;
    waitpid(pid, &st, 0);
    char *errpath = rbt_path(dir, "sweep.err"), *err = rbt_read_file(errpath, NULL);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 130, "status %d (128 + SIGINT expected): %s", st, err);
    cr_assert_not_null(strstr(err, "interrupted after"), "%s", err);
    /* The command that resumes it keeps every option given (getopt may reorder them). */
    const char *cmd = strstr(err, "continue with: rebal sweep ");
    cr_assert_not_null(cmd, "%s", err);
    for (const char *const *a = ARGS(" --db c.db", " --results int.db", " --threads 2", " big.ini", " -q", " --resume");
         *a; a++) {
        const char *hit = strstr(cmd, *a);
        cr_expect(hit && hit < cmd + strcspn(cmd, "\n"), "the resume command lacks '%s': %s", *a, cmd);
    }
    /* The blocks under way were finished and committed; the sweep is marked interrupted. */
    char *db = rbt_path(dir, "int.db");
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT status, (SELECT count(*) FROM runs) FROM sweeps", -1, &q, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(q, 0), "interrupted");
    long long rows = sqlite3_column_int64(q, 1);
    cr_assert(rows > 0 && rows < 60006, "%lld rows stored", rows);
    sqlite3_finalize(q);
    sqlite3_close(h);
    free(db), free(err), free(errpath);
}

/* The sweeps recorded in a results store. */
static long long sweeps_in(const char *rel)
{
    char *path = rbt_path(dir, rel);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM sweeps", -1, &q, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    long long n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(h);
    free(path);
    return n;
}

/* The same sweep file on the same data into a store that holds it, complete: said and shown,
 * not recorded twice; --force records a new one. */
Test(cli, a_complete_sweep_is_not_recorded_twice)
{
    import_crypto("c.db");
    free(rbt_write_file(dir, "small.ini", "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n[calendar]\nevery = month, year\n"));
    rbt_run_result r = run_in(ARGS("sweep", "--db", "c.db", "--results", "twice.db", "small.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    r = run_in(ARGS("sweep", "--db", "c.db", "--results", "twice.db", "small.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_not_null(strstr(r.out, "small.ini on these prices is already in twice.db as sweep 1, complete"), "%s",
                       r.out);
    cr_expect_not_null(strstr(r.out, "nothing was run"), "%s", r.out);
    cr_expect_not_null(strstr(r.out, "sweep 1 (done): 2 of 2 configurations stored"), "its runs: %s", r.out);
    rbt_run_result_free(&r);
    cr_assert_eq(sweeps_in("twice.db"), 1, "a second sweep was recorded");
    r = run_in(ARGS("sweep", "--db", "c.db", "--results", "twice.db", "small.ini", "--force"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_not_null(strstr(r.out, "2 configurations in"), "%s", r.out);
    rbt_run_result_free(&r);
    cr_assert_eq(sweeps_in("twice.db"), 2, "--force records a new sweep");
}

/* Symbols that spreadsheets would run as formulas are written as text ('-prefixed) in every
 * CSV output but export, which must read back as it was. */
Test(cli, csv_outputs_never_write_a_formula)
{
    free(rbt_write_file(dir, "evil.csv", "symbol,date,close\n@SUM(1+1),2020-01-01,10\n@SUM(1+1),2020-02-01,12\n"
                                         "@SUM(1+1),2020-03-01,9\n+cmd|calc,2020-01-01,5\n+cmd|calc,2020-02-01,5.5\n"
                                         "+cmd|calc,2020-03-01,6\n"));
    rbt_run_result r = run_in(ARGS("import", "-q", "--db", "e.db", "evil.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "e.db", "--assets", "@SUM(1+1)=0.5,+cmd|calc=0.5", "--strategy", "calendar",
                    "--every", "month", "--trades", "t.csv", "--lots", "l.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(rbt_write_file(dir, "e.ini", "[data]\nassets = @SUM(1+1)=0.5,+cmd|calc=0.5\n[costs]\nfee-bps = @SUM(1+1)=10\n"
                                      "[calendar]\nevery = month\n"));
    r = run_in(ARGS("sweep", "-q", "--db", "e.db", "--results", "er.db", "e.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    rbt_run_result runs = run_in(ARGS("runs", "er.db", "--csv"));
    cr_assert_eq(runs.status, 0, "%s", runs.err);
    cr_expect_not_null(strstr(runs.out, ",'@SUM(1+1)=10,"), "%s", runs.out);
    for (const char *const *f = ARGS("t.csv", "l.csv"); *f; f++) {
        char *path = rbt_path(dir, *f), *text = rbt_read_file(path, NULL);
        cr_assert_not_null(text, "%s", *f);
        cr_expect_not_null(strstr(text, ",'@SUM(1+1),"), "%s: %s", *f, text);
        cr_expect_null(strstr(text, ",@SUM"), "%s writes a formula: %s", *f, text);
        cr_expect_null(strstr(text, ",+cmd"), "%s writes a formula: %s", *f, text);
        free(text), free(path);
    }
    rbt_run_result_free(&runs);
    /* export writes the symbols as they are: what it writes imports back. */
    r = run_in(ARGS("export", "--db", "e.db"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_not_null(strstr(r.out, "@SUM(1+1)"), "%s", r.out);
    cr_expect_null(strstr(r.out, "'@SUM"), "%s", r.out);
    rbt_run_result_free(&r);
}

/* An output path that is not a regular file (a pipe here; /dev/stdout alike) is written
 * into, not replaced by a file renamed over it. */
Test(cli, an_output_that_is_a_pipe_stays_a_pipe)
{
    import_stocks("s.db");
    char *fifo = rbt_path(dir, "trades.fifo"), *copy = rbt_path(dir, "trades.got");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    fflush(NULL);
    pid_t reader = fork();
    cr_assert(reader >= 0);
    if (reader == 0) { /* copies what comes through the pipe into a file */
        alarm(60);         /* a pipe nobody writes to (replaced by a file) must not hang the test */
        FILE *in = fopen(fifo, "r"), *out = fopen(copy, "w");
        if (!in || !out) _exit(1);
        int c;
        while ((c = getc(in)) != EOF) putc(c, out);
        _exit(fclose(out) == 0 ? 0 : 1);
    }
    rbt_run_result r = run_in(ARGS("run", "--db", "s.db", "--assets", "MSFT=0.5,CASH=0.5", "--strategy", "calendar",
                                   "--every", "year", "--trades", "trades.fifo"));
    int st;
    waitpid(reader, &st, 0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    struct stat sb;
    cr_assert_eq(stat(fifo, &sb), 0);
    cr_expect(S_ISFIFO(sb.st_mode), "the pipe was replaced by a file");
    char *got = rbt_read_file(copy, NULL);
    cr_assert_not_null(got);
    cr_expect_eq(strncmp(got, "date,bar,kind,symbol", 20), 0, "%s", got);
    free(got), free(fifo), free(copy);
}

Test(cli, sweep_dry_run_and_errors)
{
    import_crypto("c.db");
    free(rbt_write_file(dir, "big.ini", big_spec));
    rbt_run_result r = run_in(ARGS("sweep", "--db", "c.db", "--dry-run", "big.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (const char *const *k = ARGS("6006 configurations", "1461 bars x 3 assets", "memory: about", "expected time"); *k;
         k++)
        cr_assert_not_null(strstr(r.out, *k), "dry run lacks '%s':\n%s", *k, r.out);
    rbt_run_result_free(&r);
    char *results = rbt_path(dir, "rebal-results.db");
    cr_assert_neq(access(results, F_OK), 0, "a dry run created a results store");
    free(results);
    free(rbt_write_file(dir, "bad.ini", "[data]\nassets = BTC=1\n[threshold]\nbandd = 0.05\n"));
    r = run_in(ARGS("sweep", "--db", "c.db", "bad.ini"));
    cr_assert_neq(r.status, 0);
    expect_one_line_error(&r, r.status, "bad.ini:4");
    rbt_run_result_free(&r);
    /* every value of every section is checked by --dry-run already, strategy parameters too */
    free(rbt_write_file(dir, "band.ini", "[data]\nassets = BTC=1\n[threshold]\nband = 0.05, 1.5\n"));
    r = run_in(ARGS("sweep", "--db", "c.db", "--dry-run", "band.ini"));
    expect_one_line_error(&r, r.status, "band.ini:4: [threshold] band: 1.5 is out of range (0 to 1)");
    cr_assert_neq(r.status, 0);
    rbt_run_result_free(&r);
    free(rbt_write_file(dir, "every.ini", "[data]\nassets = BTC=1\n[calendar]\nevery = month, fortnight\n"));
    r = run_in(ARGS("sweep", "--db", "c.db", "--dry-run", "every.ini"));
    expect_one_line_error(&r, r.status, "every.ini:4: [calendar] every: 'fortnight' is not a period");
    cr_assert_neq(r.status, 0);
    rbt_run_result_free(&r);
    r = run_in(ARGS("sweep", "--db", "c.db"));
    expect_one_line_error(&r, 2, "missing the sweep specification");
    rbt_run_result_free(&r);
    r = run_in(ARGS("runs", "nothing.db"));
    cr_assert_neq(r.status, 0);
    rbt_run_result_free(&r);
}

Test(cli, sweep_results_are_readable_and_ranked)
{
    char *stocks = stocks_path();
    rbt_run_result r = run_in(ARGS("import", "-q", "--db", "s.db", stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(rbt_write_file(dir, "s.ini", "[data]\nassets = AAPL=0.25, AMZN=0.25, IBM=0.25, MSFT=0.25\n"
                                      "[threshold]\nband = 0.05\n[calendar]\nevery = quarter, year\n"));
    r = run_in(ARGS("sweep", "-q", "--db", "s.db", "--results", "res.db", "s.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* The figures the strategies suite checks independently for the same rules. */
    cr_assert_not_null(strstr(r.out, "342476.26"), "annual rebalancing's final value is missing:\n%s", r.out);
    rbt_run_result_free(&r);
    /* The best runs were printed from the writer's connection: the store is one closed file,
     * its WAL checkpointed and gone, no reader's -wal or -shm left behind. */
    char *wal = rbt_path(dir, "res.db-wal"), *shm = rbt_path(dir, "res.db-shm");
    cr_assert_neq(access(wal, F_OK), 0, "%s is left behind", wal);
    cr_assert_neq(access(shm, F_OK), 0, "%s is left behind", shm);
    free(wal);
    free(shm);
    r = run_in(ARGS("runs", "res.db", "--by", "rebalances", "--csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "config_id"), "%s", r.out);
    cr_assert_eq(count_lines(r.out), 4, "%s", r.out);
    rbt_run_result_free(&r);
    free(stocks);
}

/* A results store given where a price store is expected (and the other way round) is named
 * for what it is, with the commands that read it; neither file changes. */
Test(cli, the_wrong_kind_of_store_is_named_with_the_commands_that_read_it)
{
    char *stocks = stocks_path();
    rbt_run_result r = run_in(ARGS("import", "-q", "--db", "prices.db", stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(rbt_write_file(dir, "s.ini", "[data]\nassets = AAPL=0.5, MSFT=0.5\n[buy-and-hold]\n"));
    r = run_in(ARGS("sweep", "-q", "--db", "prices.db", "--results", "results.db", "s.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    char *prices = rbt_path(dir, "prices.db"), *results = rbt_path(dir, "results.db");
    char *prices_copy = rbt_path(dir, "prices.copy"), *results_copy = rbt_path(dir, "results.copy");
    rbt_copy_file(prices, prices_copy);
    rbt_copy_file(results, results_copy);

    r = run_in(ARGS("assets", "--db", "results.db"));
    expect_one_line_error(&r, 1, "results.db: a rebal results store, not a price store");
    cr_assert_not_null(strstr(r.err, "'rebal runs'"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "'rebal report'"), "%s", r.err);
    cr_assert_null(strstr(r.err, "another application"), "%s", r.err);
    rbt_run_result_free(&r);
    r = run_in(ARGS("import", "--db", "results.db", stocks));
    expect_one_line_error(&r, 1, "a rebal results store, not a price store");
    rbt_run_result_free(&r);

    r = run_in(ARGS("runs", "prices.db"));
    expect_one_line_error(&r, 1, "prices.db: a rebal price store, not a results store");
    cr_assert_not_null(strstr(r.err, "'rebal assets'"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "'rebal run'"), "%s", r.err);
    rbt_run_result_free(&r);

    cr_assert(rbt_same_bytes(prices, prices_copy), "the price store changed");
    cr_assert(rbt_same_bytes(results, results_copy), "the results store changed");
    free(prices), free(results), free(prices_copy), free(results_copy), free(stocks);
}

Test(cli, sweep_keeps_curves_orders_and_lots_of_selected_configurations)
{
    char *stocks = stocks_path();
    rbt_run_result r = run_in(ARGS("import", "-q", "--db", "s.db", stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(rbt_write_file(dir, "k.ini", "[data]\nassets = AAPL=0.25, AMZN=0.25, IBM=0.25, MSFT=0.25\n"
                                      "[costs]\nfee-bps = 5, 10\n[threshold]\nband = 0.02, 0.05, 0.1\n"));
    r = run_in(ARGS("sweep", "-q", "--db", "s.db", "--results", "k.db", "--keep", "best:2", "k.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "curves, orders and lots of 2 configurations in k-keep/"), "%s", r.out);
    rbt_run_result_free(&r);
    /* The best configuration's curve ends at the final value its results row holds. */
    char *db = rbt_path(dir, "k.db");
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT config_id, final_value FROM runs ORDER BY after_tax_value DESC LIMIT 1",
                                    -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    long long id = sqlite3_column_int64(st, 0);
    double final = sqlite3_column_double(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(h);
    /* Named by rule and parameters, then the id: threshold.band=B.fee-bps=F.ID.SUFFIX. */
    char name[256], base[160] = "";
    char *keep_dir = rbt_path(dir, "k-keep");
    DIR *d = opendir(keep_dir);
    cr_assert_not_null(d);
    char tail[64];
    snprintf(tail, sizeof tail, ".%lld.curve.csv", id);
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name), tl = strlen(tail);
        if (len > tl && strcmp(e->d_name + len - tl, tail) == 0) snprintf(base, sizeof base, "%.*s", (int)(len - 10), e->d_name);
    }
    closedir(d);
    free(keep_dir);
    cr_assert(strncmp(base, "threshold.band=", 15) == 0 && strstr(base, ".fee-bps="), "kept files named '%s'", base);
    for (const char *const *suffix = ARGS("curve.csv", "trades.csv", "lots.csv", "json"); *suffix; suffix++) {
        snprintf(name, sizeof name, "k-keep/%s.%s", base, *suffix);
        char *p = rbt_path(dir, name);
        cr_assert_eq(access(p, F_OK), 0, "%s was not written", name);
        free(p);
    }
    /* Its JSON says what was run, with the sweep's dataset hash. */
    snprintf(name, sizeof name, "k-keep/%s.json", base);
    char *jp = rbt_path(dir, name), *json = rbt_read_file(jp, NULL);
    cr_assert_not_null(json);
    cr_expect_not_null(strstr(json, "\"strategy\": \"threshold\""), "%s", json);
    cr_expect_not_null(strstr(json, "\"assets\": {\"AAPL\": 0.25"), "%s", json);
    char *hdb = rbt_path(dir, "k.db");
    sqlite3 *hh;
    cr_assert_eq(sqlite3_open(hdb, &hh), SQLITE_OK);
    sqlite3_stmt *hq;
    cr_assert_eq(sqlite3_prepare_v2(hh, "SELECT dataset_hash FROM sweeps", -1, &hq, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(hq), SQLITE_ROW);
    char want_hash[64];
    snprintf(want_hash, sizeof want_hash, "\"dataset_hash\": \"%s\"", (const char *)sqlite3_column_text(hq, 0));
    sqlite3_finalize(hq);
    sqlite3_close(hh);
    cr_expect_not_null(strstr(json, want_hash), "lacks %s: %s", want_hash, json);
    free(json), free(jp), free(hdb);
    snprintf(name, sizeof name, "k-keep/%s.curve.csv", base);
    char *p = rbt_path(dir, name), *curve = rbt_read_file(p, NULL);
    char *last = curve + strlen(curve) - 2;
    while (last > curve && last[-1] != '\n') last--;
    double value = strtod(strchr(last, ',') + 1, NULL);
    cr_assert(fabs(value - final) <= 1e-9 * final, "curve ends at %.17g, the results row says %.17g", value, final);
    free(curve), free(p), free(db);
    /* A selection that cannot be satisfied is refused before anything runs. */
    r = run_in(ARGS("sweep", "-q", "--db", "s.db", "--results", "k2.db", "--keep", "42", "k.ini"));
    expect_one_line_error(&r, 2, "no configuration of this sweep has the id 42");
    rbt_run_result_free(&r);
    char *k2 = rbt_path(dir, "k2.db");
    cr_assert_neq(access(k2, F_OK), 0, "a refused sweep created its results store");
    free(k2);
    r = run_in(ARGS("sweep", "-q", "--db", "s.db", "--results", "k3.db", "--keep", "best:2:beauty", "k.ini"));
    expect_one_line_error(&r, 2, "'beauty' is not a metric");
    rbt_run_result_free(&r);
    free(stocks);
}

/* Withdrawal plans in a sweep: the one that empties the portfolio is stored with the date
 * its money ran out (the date rebal run reports), the other with none; rebal runs shows it. */
Test(cli, sweep_stores_the_date_a_withdrawal_plan_ran_out)
{
    char *stocks = stocks_path();
    rbt_run_result r = run_in(ARGS("import", "-q", "--db", "s.db", stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(rbt_write_file(dir, "w.ini", "[data]\nassets = AAPL=0.25, AMZN=0.25, IBM=0.25, MSFT=0.25\n"
                                      "[flows]\ncontribution = -1000, -30000\ncontribution-every = year\n"
                                      "[calendar]\nevery = quarter\n"));
    r = run_in(ARGS("sweep", "-q", "--db", "s.db", "--results", "w.db", "w.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25", "--strategy",
                    "calendar", "--every", "quarter", "--contribution", "-30000", "--contribution-every", "year",
                    "--json"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *at = strstr(r.out, "\"depleted_on\": \"");
    cr_assert_not_null(at, "%s", r.out);
    char date[16] = "";
    memcpy(date, at + strlen("\"depleted_on\": \""), 10);
    rbt_run_result_free(&r);
    r = run_in(ARGS("runs", "w.db", "--csv", "--by", "final_value"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(count_lines(r.out), 3, "%s", r.out);
    char want[64];
    snprintf(want, sizeof want, ",%s\n", date);
    cr_assert_not_null(strstr(r.out, ",depleted_on"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, want), "the depleted plan's row lacks %s:\n%s", date, r.out);
    rbt_run_result_free(&r);
    r = run_in(ARGS("runs", "w.db"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "depleted_on"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, date), "%s", r.out);
    rbt_run_result_free(&r);
    free(stocks);
}

/* A configuration that fails is stored with its message, the sweep goes on, and its last line
 * and exit status say how many failed; rebal runs and rebal report show them. */
Test(cli, sweep_with_failed_configurations_says_so_and_goes_on, .timeout = 120)
{
    import_stocks("s.db");
    free(rbt_write_file(dir, "f.ini", "[data]\nassets = AAPL=0.25, AMZN=0.25, IBM=0.25, MSFT=0.25\n"
                                      "[costs]\namm-depth = 0, 1000\n[calendar]\nevery = quarter, year\n"));
    rbt_run_result r = run_in(ARGS("sweep", "-q", "--db", "s.db", "--results", "f.db", "--report", "rep", "f.ini"));
    cr_assert_eq(r.status, 1, "a sweep with failures exits 1: %s", r.err);
    size_t len = strlen(r.err);
    cr_assert_gt(len, 1);
    const char *last = r.err + len - 1;
    while (last > r.err && last[-1] != '\n') last--;
    const char *want = "rebal: 2 of 4 configurations failed (";
    cr_assert_eq(strncmp(last, want, strlen(want)), 0, "the last line: %s", r.err);
    cr_assert_not_null(strstr(last, "exceeds the AMM pool"), "%s", last);
    cr_assert_not_null(strstr(r.err, "2 configurations of the sweep failed"), "the report says it: %s", r.err);
    cr_assert_not_null(strstr(r.out, "4 of 4 configurations stored, 2 failed"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "report: rep/index.html"), "%s", r.out);
    rbt_run_result_free(&r);
    char *results = rbt_path(dir, "f.db");
    cr_assert_eq(rbt_sqlite_int(results, "SELECT count(*) FROM runs WHERE status = 'failed'"), 2);
    free(results);
    r = run_in(ARGS("runs", "f.db", "--where", "status = failed"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "; 2 where status = failed"), "%s", r.out);
    rbt_run_result_free(&r);
    char *failed = rbt_path(dir, "rep/failed.csv");
    cr_assert_eq(access(failed, R_OK), 0, "rep/failed.csv is missing");
    free(failed);
}

/* A results store written before issue 12 (schema version 1): rebal runs and rebal report read
 * it as it is, a resume migrates and completes it. */
Test(cli, a_version_1_results_store_reads_reports_and_resumes, .timeout = 120)
{
    import_stocks("s.db");
    char *fixture = rbt_source_path("tests/fixtures/results-v1.db"), *spec = rbt_source_path("tests/fixtures/results-v1.ini");
    char *old = rbt_path(dir, "old.db");
    rbt_copy_file(fixture, old);
    rbt_run_result r = run_in(ARGS("runs", "old.db", "--where", "to = edge", "--where", "band = 0.1"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "18 of 27 configurations stored; 2 where"), "%s", r.out);
    rbt_run_result_free(&r);
    r = run_in(ARGS("report", "old.db", "--db", "s.db", "--out", "rep", "--no-charts"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    cr_assert(rbt_same_bytes(fixture, old), "reading changed the store");
    r = run_in(ARGS("sweep", "-q", "--db", "s.db", "--results", "old.db", "--resume", spec));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "27 of 27 configurations stored"), "%s", r.out);
    rbt_run_result_free(&r);
    cr_assert_eq(rbt_sqlite_int(old, "PRAGMA user_version"), 3); /* migrated: version 3 added the out-of-sample tables */
    free(fixture);
    free(spec);
    free(old);
}

typedef struct file_watch {
    char *path;
    const char *needle;
    pid_t pid;   /* stop waiting if it ends */
    int exited, status;
} file_watch;

static int file_holds(void *ctx)
{
    file_watch *w = ctx;
    char *text = rbt_read_file(w->path, NULL);
    int found = text && strstr(text, w->needle);
    free(text);
    if (found) return 1;
    if (!w->exited && waitpid(w->pid, &w->status, WNOHANG) == w->pid) w->exited = 1;
    return w->exited;
}

/* 600,060 configurations: the progress line shows a rate and the time left only after a
 * second, and the sweep is interrupted as soon as it does, so it must outlast that second
 * by far on any machine (huge_spec's 60,006 took 0.35 s on 2 threads of the development
 * machine once the results writer committed by time alone). */
static const char long_spec[] = "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n"
                                "[costs]\nfee-bps = 1:30:1\n"
                                "[threshold]\nband = 0.00001:0.2:0.00001\n"
                                "[calendar]\nevery = week, month\n";

Test(cli, sweep_draws_progress_on_a_terminal_only, .timeout = 240)
{
    import_crypto("c.db");
    free(rbt_write_file(dir, "big.ini", long_spec));
    /* script(1) (util-linux, in every Debian) gives the sweep a pseudo-terminal. The sweep
     * is interrupted once its progress line has been drawn (seen in script's output), not
     * after a fixed time; the shell writes its pid first and becomes the sweep (exec). */
    char *cmd = NULL;
    cr_assert(asprintf(&cmd, "echo $$ > sweep.pid; exec %s sweep --db c.db --results tty.db big.ini",
                       getenv("REBAL_BIN")) > 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(126);
        FILE *o = freopen("tty.out", "w", stdout);
        (void)o;
        execlp("script", "script", "-qec", cmd, "/dev/null", (char *)NULL);
        _exit(127);
    }
    file_watch w = {.path = rbt_path(dir, "tty.out"), .needle = " s left", .pid = pid};
    cr_assert(rbt_wait_until(file_holds, &w, 200), "no progress line within 200 s");
    if (!w.exited) {
        char *pidpath = rbt_path(dir, "sweep.pid"), *text = rbt_read_file(pidpath, NULL);
        cr_assert_not_null(text);
        kill((pid_t)atol(text), SIGINT);
        waitpid(pid, &w.status, 0);
        free(pidpath);
        free(text);
    }
    char *out = rbt_read_file(w.path, NULL);
    cr_assert_not_null(out);
    cr_assert_not_null(strstr(out, "configurations  "), "no progress line on a terminal:\n%.400s", out);
    cr_assert_not_null(strstr(out, " s left"), "no time left on the progress line:\n%.400s", out);
    cr_assert_not_null(strchr(out, '\r'), "the progress line is not redrawn in place");
    cr_assert_null(strstr(out, " 0/s"), "a rate of 0/s was shown before any block was done:\n%.400s", out);
    free(out);
    free(w.path);
    free(cmd);
    rbt_run_result r;
    /* Not a terminal (stderr is a pipe here): no progress line at all. */
    free(rbt_write_file(dir, "small.ini", "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n[calendar]\nevery = month\n"));
    r = run_in(ARGS("sweep", "--db", "c.db", "--results", "pipe.db", "small.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_null(strstr(r.err, " s left"), "a progress line went to a pipe: %s", r.err);
    cr_assert_null(strchr(r.err, '\r'));
    rbt_run_result_free(&r);
}

/* How often needle occurs in text. */
static size_t occurrences(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

Test(cli, run_and_sweep_refuse_an_absurd_inferred_calendar)
{
    /* Bar numbers in the date column, imported as epoch seconds: 300 one-second bars in 1970. */
    char csv[8192] = "date,X\n";
    for (int k = 0; k < 300; k++) {
        size_t len = strlen(csv);
        snprintf(csv + len, sizeof csv - len, "%d,%d\n", k, 100 + k % 5);
    }
    free(rbt_write_file(dir, "bars.csv", csv));
    rbt_run_result r = run_in(ARGS("import", "-q", "--db", "b.db", "--date-format", "%s", "bars.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);

    r = run_in(ARGS("run", "--db", "b.db", "--assets", "X=0.5,CASH=0.5"));
    expect_one_line_error(&r, 1, "under one day, too little to infer periods per year; pass --periods-per-year");
    cr_assert_eq(r.out[0], '\0', "nothing printed: %s", r.out);
    rbt_run_result_free(&r);

    free(rbt_write_file(dir, "bars.ini", "[data]\nassets = X=0.5,CASH=0.5\n[calendar]\nevery = 1, 10\n"));
    r = run_in(ARGS("sweep", "--db", "b.db", "--results", "bars-results.db", "bars.ini"));
    expect_one_line_error(&r, 1, "under one day");
    rbt_run_result_free(&r);
    char *results = rbt_path(dir, "bars-results.db");
    cr_assert_neq(access(results, F_OK), 0, "a refused sweep created a results store");
    free(results);

    /* Said explicitly, both run and print no infinities. */
    r = run_in(ARGS("run", "--db", "b.db", "--assets", "X=0.5,CASH=0.5", "--periods-per-year", "98280"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* no value printed as an infinity (information_ratio is a name, not a value) */
    cr_assert(!strstr(r.out, " inf\n") && !strstr(r.out, "-inf\n") && !strstr(r.out, "inf%"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "conventions: 98280 periods per year (set by --periods-per-year)"), "%s", r.out);
    rbt_run_result_free(&r);
    free(rbt_write_file(dir, "bars.ini", "[data]\nassets = X=0.5,CASH=0.5\nperiods-per-year = 98280\n"
                                         "[calendar]\nevery = 1, 10\n"));
    r = run_in(ARGS("sweep", "-q", "--db", "b.db", "--results", "bars-results.db", "bars.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
}

Test(cli, next_open_on_close_only_data_warns_once_and_is_a_convention, .timeout = 120)
{
    import_stocks("s.db");
    const char *note = "next-open on close-only data: AAPL, IBM have no open price, so their orders fill at the "
                       "next bar's close";
    rbt_run_result r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,IBM=0.5", "--strategy", "calendar",
                                   "--every", "quarter", "--exec", "next-open", "--report", "rep"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    char warning[256];
    snprintf(warning, sizeof warning, "rebal: warning: --exec %s\n", note);
    cr_expect_eq(occurrences(r.err, "warning"), 1, "%s", r.err);
    cr_expect_not_null(strstr(r.err, warning), "%s", r.err);
    cr_expect_not_null(strstr(r.out, "execution: next-open on close-only data"), "%s", r.out);
    rbt_run_result_free(&r);
    char *path = rbt_path(dir, "rep/conventions.txt"), *conventions = rbt_read_file(path, NULL);
    cr_assert_not_null(conventions, "%s", path);
    cr_expect_not_null(strstr(conventions, "  execution: next-open on close-only data: AAPL, IBM"), "%s", conventions);
    free(conventions), free(path);

    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,IBM=0.5", "--exec", "next-open", "--json"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_eq(occurrences(r.err, "warning"), 1, "%s", r.err);
    char key[256];
    snprintf(key, sizeof key, "\"rf\": 0, \"exec\": \"%s\"", note);
    cr_expect_not_null(strstr(r.out, key), "%s", r.out);
    rbt_run_result_free(&r);

    free(rbt_write_file(dir, "next.ini", "[data]\nassets = AAPL=0.5,IBM=0.5\nexec = next-open\n"
                                         "[calendar]\nevery = month, quarter\n[threshold]\nband = 0.05, 0.1\n"));
    r = run_in(ARGS("sweep", "-q", "--db", "s.db", "--results", "next-results.db", "next.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_eq(occurrences(r.err, "warning"), 1, "%s", r.err);
    cr_expect_not_null(strstr(r.err, warning), "%s", r.err);
    rbt_run_result_free(&r);

    /* Data with opens, or execution at the close: no warning, no note. */
    char *sp500 = rbt_source_path("data/bundled/sp500_daily.csv"), *arg = NULL;
    cr_assert(asprintf(&arg, "SPX=%s", sp500) > 0);
    r = run_in(ARGS("run", "--csv", arg, "--assets", "SPX=0.6,CASH=0.4", "--strategy", "calendar", "--every", "month",
                    "--exec", "next-open"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.err, "");
    cr_expect_null(strstr(r.out, "execution:"), "%s", r.out);
    rbt_run_result_free(&r);
    free(arg), free(sp500);
    r = run_in(ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,IBM=0.5", "--json"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.err, "");
    const char *conv = strstr(r.out, "\"conventions\": {"), *conv_end = conv ? strchr(conv, '}') : NULL;
    const char *exec = strstr(r.out, "\"exec\": \"");
    cr_expect(conv && conv_end && !(exec && exec > conv && exec < conv_end), "an execution note: %s", r.out);
    rbt_run_result_free(&r);
}
