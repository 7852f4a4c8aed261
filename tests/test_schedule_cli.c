/* test_schedule_cli.c - every error of the rule `schedule` (--when) and of targets tables
 * (--targets-csv), from files, from the library's arrays and in sweep files, each one line
 * naming FILE:LINE or the key; and both through the built binary (`rebal run`, `rebal
 * sweep`, the help). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebal.h"
#include "support.h"
#include "sweep.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(schedule_cli, .init = setup, .fini = teardown, .timeout = 120);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Weekday bars from Thu 2020-01-02 to Fri 2020-03-13 (no weekends): X, Y, Z. */
static char *prices(void)
{
    static char csv[8192];
    strcpy(csv, "date,X,Y,Z\n");
    double x = 100, y = 50, z = 20;
    for (rb_time day = 1577923200; day <= 1584057600; day += 86400) {
        int weekday = (int)((day / 86400 + 4) % 7); /* 0 = Sunday */
        if (weekday == 0 || weekday == 6) continue;
        x *= 1.004, y *= 0.997, z *= 1.001 + 0.01 * (weekday == 3);
        char date[32];
        size_t len = strlen(csv);
        snprintf(csv + len, sizeof csv - len, "%s,%.4f,%.4f,%.4f\n", rb_time_format(day, date), x, y, z);
    }
    return csv;
}

static char *file(const char *name, const char *text) { return rbt_write_file(dir, name, text); }

/* A file the test names by its name alone (the binary runs in dir). */
static void put_file(const char *name, const char *text) { free(file(name, text)); }

/* rb_run of settings on the prices must fail with a message containing needle. */
static rb_status fails(const char *const *kv, const char *needle) { return rbt_run_expect_error(dir, prices(), kv, needle); }

#define THREE "X=0.5,Y=0.3,Z=0.2"

Test(schedule_cli, schedule_files_name_the_line_and_what_is_wrong)
{
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"date\n2020-01-06\n01/02/2020\n", "w.csv:3: the first column holds dates: ambiguous date '01/02/2020'"},
        {"date\n2020-01-06\n2020-01-06\n", "w.csv:3: the dates must increase: 2020-01-06 is not after 2020-01-06"},
        {",0\n2020-01-06,True\n2020-01-03,False\n", "w.csv:3: the dates must increase"},
        {"date,flag\n2020-01-06,yes\n", "w.csv:2: the flag 'yes' is not 1, 0, true or false"},
        {"date,flag,more\n2020-01-06,1,2\n", "w.csv:1: 3 columns: a schedule has a date column and at most one"},
        {"2020-01-06\n\"2020-01-07\n", "w.csv:2: a quoted field is never closed"},
        {"2020-01-06\n2020-01-07x\n", "w.csv:2: the first column holds dates"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *w = file("w.csv", bad[i].text);
        cr_assert_eq(fails(RBT_KV("assets", THREE, "strategy", "schedule", "when", w), bad[i].needle), RB_ERR_DATA,
                     "%s", bad[i].text);
        free(w);
    }
    cr_assert_eq(fails(RBT_KV("assets", THREE, "strategy", "schedule", "when", "/nonexistent/w.csv"),
                       "--when: /nonexistent/w.csv: cannot open"),
                 RB_ERR_IO);
    fails(RBT_KV("assets", THREE, "strategy", "schedule", "when", dir), "not a regular file");
}

Test(schedule_cli, a_listed_time_must_be_a_bar_and_the_rule_needs_its_schedule)
{
    /* Sat 2020-01-04 lies between the bars of Fri 01-03 and Mon 01-06. */
    char *w = file("w.csv", "date\n2019-06-01\n2020-01-03\n2020-01-04\n");
    cr_assert_eq(fails(RBT_KV("assets", THREE, "strategy", "schedule", "when", w),
                       "--when: "),
                 RB_ERR_DATA);
    fails(RBT_KV("assets", THREE, "strategy", "schedule", "when", w),
          "w.csv:4: 2020-01-04 is not one of the run's bars (it falls between the bars 2020-01-03 and 2020-01-06)");
    /* the same day outside the run's dates is ignored */
    rb_store *s = rbt_store_from_csv(dir, prices(), NULL);
    rb_run_result *r = rbt_run_store(s, RBT_KV("assets", THREE, "strategy", "schedule", "when", w, "start", "2020-01-06"), 0);
    cr_assert_eq(rb_run_metrics(r)->rebalances, 0);
    rb_run_result_free(r);
    rb_store_free(s);
    fails(RBT_KV("assets", THREE, "strategy", "schedule"), "schedule needs --when FILE.csv");
    fails(RBT_KV("assets", THREE, "strategy", "calendar", "when", w), "--when does not apply to strategy 'calendar'");
    free(w);
}

Test(schedule_cli, targets_tables_name_the_line_and_what_is_wrong)
{
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"date,X,Y,Z\n2020-01-01,0.5,0.3,0.15\n", "t.csv:2: the weights sum to 0.95, not 1"},
        {"date,X,Y,Z\n2020-01-01,0.5,0.3,0.2\n2020-02-03,1.1,-0.1,0\n", "t.csv:3: X: the weight 1.1 is out of range (0 to 1)"},
        {"date,X,Y,Z\n2020-01-01,0.5,0.3,abc\n", "t.csv:2: Z: 'abc' is not a number"},
        {"date,X,Y,Z\n2020-01-01,0.5,,0.5\n", "t.csv:2: Y: no weight (an empty cell)"},
        {"date,X,Y,Z\n2020-01-01,0.5,0.5\n", "t.csv:2: 3 cells, but the header (line 1) has 4 columns"},
        {"date,X,Y,X\n2020-01-01,0.5,0.3,0.2\n", "t.csv:1: the column X comes twice"},
        {"date,X,,Z\n2020-01-01,0.5,0.3,0.2\n", "t.csv:1: column 3 has no symbol"},
        {"2020-01-01,0.5,0.3,0.2\n", "t.csv:1: a targets table starts with its header row"},
        {"date,X,Y,Z\n", "t.csv: no rows of weights after the header (line 1)"},
        {"\n\n", "t.csv: empty: a targets table has a header row"},
        {"date,X,Y,Z\n2020-02-01,0.5,0.3,0.2\n2020-01-01,0.5,0.3,0.2\n", "t.csv:3: the dates must increase"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *t = file("t.csv", bad[i].text);
        cr_assert_eq(fails(RBT_KV("assets", "X,Y,Z", "targets-csv", t), bad[i].needle), RB_ERR_DATA, "%s",
                     bad[i].text);
        free(t);
    }
}

Test(schedule_cli, a_table_must_fit_the_run)
{
    char *t = file("t.csv", "date,X,Y,Q\n2019-12-01,0.5,0.3,0.2\n");
    fails(RBT_KV("assets", "X,Y,Z", "targets-csv", t),
          "--targets-csv: ");
    fails(RBT_KV("assets", "X,Y,Z", "targets-csv", t), "t.csv:1: the column Q is not one of the --assets");
    free(t);
    t = file("t.csv", "date,X,Y\n2019-12-01,0.5,0.5\n");
    fails(RBT_KV("assets", "X,Y,Z", "targets-csv", t), "t.csv:1: no column for Z, one of the --assets");
    free(t);
    t = file("t.csv", "date,Y,X,Z\n2020-01-03,0.5,0.3,0.2\n");
    cr_assert_eq(fails(RBT_KV("assets", "X,Y,Z", "targets-csv", t),
                       "t.csv:2: the first row is dated 2020-01-03, after the run's first bar 2020-01-02"),
                 RB_ERR_DATA);
    fails(RBT_KV("assets", "X,Y,Z", "targets-csv", t, "targets", "inverse-vol", "start", "2020-01-06"),
          "--targets-csv does not combine with --targets inverse-vol");
    fails(RBT_KV("assets", THREE, "targets-csv", t), "--assets: with --targets-csv give the symbols alone");
    fails(RBT_KV("assets", "X,Y,Z"), "--assets: give every asset a weight");
    /* with a start at the first row's date, it is in force from the first bar */
    rb_store *s = rbt_store_from_csv(dir, prices(), NULL);
    rb_run_result *r = rbt_run_store(s, RBT_KV("assets", "Z,X,Y", "targets-csv", t, "start", "2020-01-03"), 0);
    cr_assert_eq(rb_run_metrics(r)->start, 1578009600);
    rb_run_result_free(r);
    rb_store_free(s);
    free(t);
}

Test(schedule_cli, the_library_arrays_are_checked_alike)
{
    rb_run_spec *spec = rbt_spec(RBT_KV("assets", "X,Y", "strategy", "schedule"));
    rb_error err = {0};
    const rb_time times[] = {1577836800, 1577923200, 1577923200};
    cr_assert_eq(rb_run_spec_set_schedule(spec, times, 3, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "schedule: the times must increase: 2020-01-02 (at 2) is not after 2020-01-02"),
                       "%s", err.msg);
    cr_assert_eq(rb_run_spec_set_schedule(spec, NULL, 0, &err), RB_OK, "an empty schedule: %s", err.msg);
    const char *const xy[] = {"X", "Y"}, *const xx[] = {"X", "X"};
    const double half[] = {0.5, 0.5, 0.5, 0.45}, nan_row[] = {NAN, 1};
    cr_assert_eq(rb_run_spec_set_target_table(spec, xy, 2, times, 2, half, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "targets table: 2020-01-02: the weights sum to 0.95, not 1"), "%s", err.msg);
    cr_assert_eq(rb_run_spec_set_target_table(spec, xx, 2, times, 1, half, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "targets table: the column X comes twice"), "%s", err.msg);
    cr_assert_eq(rb_run_spec_set_target_table(spec, xy, 2, times + 1, 2, half, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "targets table: the dates must increase"), "%s", err.msg);
    cr_assert_eq(rb_run_spec_set_target_table(spec, xy, 2, times, 0, half, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "targets table: no rows"), "%s", err.msg);
    cr_assert_eq(rb_run_spec_set_target_table(spec, xy, 2, times, 1, nan_row, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "X: the weight nan is out of range"), "%s", err.msg);
    /* a table of other columns is refused at run time, naming no file */
    const char *const xq[] = {"X", "Q"};
    cr_assert_eq(rb_run_spec_set_target_table(spec, xq, 2, times, 1, half, &err), RB_OK, "%s", err.msg);
    rb_store *s = rbt_store_from_csv(dir, prices(), NULL);
    rb_run_result *r = NULL;
    cr_assert_eq(rb_run(s, spec, 0, &r, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "targets table: the column Q is not one of the --assets"), "%s", err.msg);
    rb_store_free(s);
    rb_run_spec_free(spec);
}

/* A sweep file that must fail to parse with a message containing needle. */
static void sweep_fails(const char *ini, const char *needle)
{
    rb_sweep *sw = NULL;
    rb_error err = {0};
    cr_assert_neq(rb_sweep_parse_text(ini, "t.ini", &sw, &err), RB_OK, "accepted: %s", ini);
    cr_assert_null(sw);
    cr_assert_not_null(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
}

Test(schedule_cli, sweep_files_name_the_line_the_key_and_the_file)
{
    char *t = file("t.csv", "date,X,Y,Q\n2019-12-01,0.5,0.3,0.2\n");
    char *good = file("good.csv", "date,X,Y,Z\n2019-12-01,0.5,0.3,0.2\n");
    char *w = file("w.csv", "date\n2020-01-06\n2020-13-01\n");
    char ini[2048];
    snprintf(ini, sizeof ini, "[data]\nassets = X,Y,Z\ntargets-csv = %s\n[calendar]\n", t);
    sweep_fails(ini, "t.ini:3: [data] targets-csv: ");
    sweep_fails(ini, "t.csv:1: the column Q is not one of the --assets");
    snprintf(ini, sizeof ini, "[data]\nassets = X,Y,Z\ntargets-csv = %s\n[threshold]\nband = 0.05\ntargets = static, "
                              "inverse-vol\n", good);
    sweep_fails(ini, "t.ini:6: [threshold] targets: inverse-vol does not combine with targets-csv in [data]");
    snprintf(ini, sizeof ini, "[data]\nassets = X=0.5,Y=0.5\n[schedule]\nwhen = %s\n", w);
    sweep_fails(ini, "t.ini:4: [schedule] when: ");
    sweep_fails(ini, "w.csv:3: the first column holds dates");
    sweep_fails("[data]\nassets = X=0.5,Y=0.5\n[schedule]\n", "t.ini:3: [schedule]: schedule needs --when FILE.csv");
    sweep_fails("[data]\nassets = X,Y\n[calendar]\n", "t.ini:2: [data] assets: give every asset a weight");
    snprintf(ini, sizeof ini, "[data]\nassets = X=0.5,Y=0.3,Z=0.2\ntargets-csv = %s\n[calendar]\n", good);
    sweep_fails(ini, "t.ini:2: [data] assets: with --targets-csv give the symbols alone");
    free(t);
    free(good);
    free(w);
}

/* ---------------------------------------------------------------- the binary */

/* The JSON of `rebal run` up to its "run" object: the metrics and conventions. */
static char *metrics_part(char *json)
{
    char *run = strstr(json, ", \"run\"");
    cr_assert_not_null(run, "%s", json);
    *run = '\0';
    return json;
}

Test(schedule_cli, rebal_run_takes_when_and_targets_csv)
{
    char *csv = file("p.csv", prices());
    /* the Mondays: what --every week rebalances on (bar 0 aside) */
    put_file("w.csv", ",0\n2020-01-06,True\n2020-01-07,False\n2020-01-13,True\n2020-01-20,True\n2020-01-27,True\n"
                  "2020-02-03,True\n2020-02-10,True\n2020-02-17,True\n2020-02-24,True\n2020-03-02,True\n"
                  "2020-03-09,True\n2020-06-01,True\n");
    put_file("t.csv", "date,Z,Y,X\n2019-12-31,0.2,0.3,0.5\n");
    rbt_run_result cal = rbt_run(dir, NULL, ARGS("run", "--csv", "p.csv", "--assets", THREE, "--strategy", "calendar",
                                                 "--every", "week", "--fee-bps", "10", "--json"));
    cr_assert_eq(cal.status, 0, "%s", cal.err);
    rbt_run_result sch = rbt_run(dir, NULL, ARGS("run", "--csv", "p.csv", "--assets", "X,Y,Z", "--targets-csv", "t.csv",
                                                 "--strategy", "schedule", "--when", "w.csv", "--fee-bps", "10",
                                                 "--json"));
    cr_assert_eq(sch.status, 0, "%s", sch.err);
    cr_assert_not_null(strstr(sch.out, "\"targets-csv\": \"t.csv\""), "%s", sch.out);
    cr_assert_not_null(strstr(sch.out, "\"when\": \"w.csv\""), "%s", sch.out);
    cr_assert_null(strstr(cal.out, "targets-csv"), "a run without a table lists none: %s", cal.out);
    cr_assert_not_null(strstr(cal.out, "\"rebalances\": 10,"), "%s", cal.out);
    cr_assert_str_eq(metrics_part(cal.out), metrics_part(sch.out));
    rbt_run_result_free(&cal);
    rbt_run_result_free(&sch);

    /* errors: options that do not read exit 2, a schedule that misses the bars exits 1 */
    put_file("bad.csv", "date\n2020-01-06\n2020-01-05\n");
    rbt_run_result r = rbt_run(dir, NULL, ARGS("run", "--csv", "p.csv", "--assets", THREE, "--strategy", "schedule",
                                               "--when", "bad.csv"));
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "--when: bad.csv:3: the dates must increase"), "%s", r.err);
    rbt_run_result_free(&r);
    put_file("sat.csv", "date\n2020-01-04\n");
    r = rbt_run(dir, NULL, ARGS("run", "--csv", "p.csv", "--assets", THREE, "--strategy", "schedule", "--when",
                                "sat.csv"));
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "sat.csv:2: 2020-01-04 is not one of the run's bars"), "%s", r.err);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, ARGS("run", "--csv", "p.csv", "--assets", "X,Y", "--targets-csv", "t.csv"));
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "t.csv:1: the column Z is not one of the --assets"), "%s", r.err);
    rbt_run_result_free(&r);
    free(csv);
}

Test(schedule_cli, rebal_sweep_and_the_help_know_them)
{
    put_file("p.csv", prices());
    put_file("w.csv", "date\n2019-01-02\n2020-02-03\n2020-03-02\n");
    put_file("t.csv", "date,X,Y,Z\n2019-12-31,0.5,0.3,0.2\n2020-02-01,0.2,0.3,0.5\n");
    put_file("s.ini", "[data]\nassets = X,Y,Z\ntargets-csv = t.csv\n[costs]\nfee-bps = 0, 5\n[schedule]\nwhen = w.csv\n"
                  "[calendar]\nevery = month\n");
    rbt_run_result r = rbt_run(dir, NULL, ARGS("import", "--db", "s.db", "p.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, ARGS("sweep", "-q", "--db", "s.db", "--results", "res.db", "s.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    char *res = rbt_path(dir, "res.db");
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM runs WHERE when_file = 'w.csv' AND rebalances = 2"), 2);
    /* the same bars, the same table: the same results */
    cr_assert_eq(rbt_sqlite_int(res, "SELECT count(*) FROM runs a JOIN runs b ON a.fee_bps = b.fee_bps WHERE "
                                     "a.section = 'schedule' AND b.section = 'calendar' AND a.final_value = "
                                     "b.final_value AND a.after_tax_value = b.after_tax_value"),
                 2);
    free(res);
    r = rbt_run(dir, NULL, ARGS("run", "--help"));
    cr_assert_not_null(strstr(r.out, "--when FILE.csv"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "--targets-csv FILE.csv"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "Options of schedule:"), "%s", r.out);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, ARGS("help", "strategies"));
    cr_assert_not_null(strstr(r.out, "schedule\n    rebalance to the targets on exactly the bars listed"), "%s", r.out);
    rbt_run_result_free(&r);
}
