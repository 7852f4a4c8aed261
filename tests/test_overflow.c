/* test_overflow.c - a run whose arithmetic overflows (issue 14): prices imported with
 * --allow-extreme-prices can take a portfolio's value past the largest double. `rebal run`
 * then fails as a runtime error (exit 1) naming the bar, and a sweep records each
 * configuration that overflows as failed, with the same message, while the others are
 * stored as they ran. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebal.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(overflow, .init = setup, .fini = teardown, .timeout = 120);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Two assets over 12 days: N stays at 1, H alternates between `low` and `high`. */
static void import_swings(const char *db, const char *low, const char *high)
{
    char text[2048] = "symbol,date,price\n";
    for (int d = 1; d <= 12; d++) {
        size_t o = strlen(text);
        snprintf(text + o, sizeof text - o, "H,2020-01-%02d,%s\nN,2020-01-%02d,1\n", d, d % 2 ? low : high, d);
    }
    char *csv = rbt_write_file(dir, "swings.csv", text);
    rbt_run_result r = rbt_run(dir, NULL, ARGS("import", "-q", "--db", db, "--allow-extreme-prices", "swings.csv"));
    cr_assert_eq(r.status, 0, "import: exit %d: %s", r.status, r.err);
    rbt_run_result_free(&r);
    free(csv);
}

/* `rebal run` on db with the settings: its exit status, and its one-line message (without
 * the "rebal: " and the line end) copied into msg when it fails. */
static int run_rebal(const char *db, const char *const *settings, char *msg, size_t len)
{
    const char *argv[32] = {"run", "--db", db, "--assets", "H=0.5,N=0.5", "--periods-per-year", "365"};
    size_t n = 7;
    for (size_t i = 0; settings[i]; i++) argv[n++] = settings[i];
    argv[n] = NULL;
    rbt_run_result r = rbt_run(dir, NULL, argv);
    int status = r.status;
    msg[0] = '\0';
    if (status != 0) {
        size_t l = strlen(r.err);
        cr_assert(l > 8 && strncmp(r.err, "rebal: ", 7) == 0 && r.err[l - 1] == '\n', "stderr: %s", r.err);
        cr_assert_null(memchr(r.err, '\n', l - 1), "not one line: %s", r.err);
        snprintf(msg, len, "%.*s", (int)(l - 8), r.err + 7);
    }
    rbt_run_result_free(&r);
    return status;
}

/* One text from the results store at path. */
static char *query_text(const char *path, const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no row: %s", sql);
    const unsigned char *t = sqlite3_column_text(st, 0);
    char *copy = strdup(t ? (const char *)t : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return copy;
}

/* Rebalancing every day between H = 1 and H = 1e154 buys H low and sells it high: the value
 * grows 1e154-fold every two days, past the largest double on the fourth bar. Holding
 * stays finite (5e158). */
Test(overflow, a_run_that_overflows_fails_with_exit_1_naming_the_bar)
{
    import_swings("p.db", "1", "1e154");
    char msg[1024];
    int status = run_rebal("p.db", ARGS("--strategy", "calendar", "--every", "day"), msg, sizeof msg);
    cr_assert_eq(status, 1, "exit %d (a runtime failure is 1, not the usage code 2): %s", status, msg);
    cr_assert_str_eq(msg, "portfolio value at bar 3 (2020-01-04) is inf: the arithmetic overflowed (prices outside "
                          "1e-12 to 1e12, which import refuses unless --allow-extreme-prices, can do that)");
    cr_assert_eq(run_rebal("p.db", ARGS("--strategy", "buy-and-hold"), msg, sizeof msg), 0, "%s", msg);
}

/* The same data swept: the daily rebalance fails with the message `rebal run` gives, the
 * others (holding, weekly) are stored with their metrics. */
Test(overflow, a_sweep_records_each_overflow_as_that_configurations_failure)
{
    import_swings("p.db", "1", "1e154");
    char *spec = rbt_write_file(dir, "s.ini",
                                "[data]\nassets = H=0.5,N=0.5\nperiods-per-year = 365\n"
                                "[buy-and-hold]\n[calendar]\nevery = day, week\n");
    rbt_run_result r = rbt_run(dir, NULL, ARGS("sweep", "-q", "s.ini", "--db", "p.db", "--results", "r.db"));
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.err, "1 of 3 configurations failed"), "%s", r.err);
    rbt_run_result_free(&r);
    char *path = rbt_path(dir, "r.db"), msg[1024];
    char *failed = query_text(path, "SELECT group_concat(every) FROM runs WHERE status = 'failed'");
    cr_assert_str_eq(failed, "day");
    char *error = query_text(path, "SELECT error FROM runs WHERE status = 'failed'");
    run_rebal("p.db", ARGS("--strategy", "calendar", "--every", "day"), msg, sizeof msg);
    cr_assert_str_eq(error, msg, "the sweep's message is the run's");
    cr_assert_not_null(strstr(error, "portfolio value at bar 3 (2020-01-04) is inf: the arithmetic overflowed"), "%s",
                       error);
    char *ok = query_text(path, "SELECT count(*) FROM runs WHERE status = 'ok' AND final_value > 4e158");
    cr_assert_str_eq(ok, "2", "holding and the weekly rebalance ran");
    free(ok);
    free(error);
    free(failed);
    free(path);
    free(spec);
}

/* The probe of issue 14: A at 1.7e308 on bar 7, B at 4.9e-324 until then. `rebal run` said
 * "portfolio value at bar 7 is inf" with the usage code 2; `rebal sweep` exited 0 storing
 * runs with NULL metrics. Now every configuration fails, as the run does. */
Test(overflow, the_probe_of_issue_14_fails_in_run_and_sweep)
{
    char text[1024] = "symbol,date,price\n";
    for (int d = 1; d <= 10; d++) {
        size_t o = strlen(text);
        snprintf(text + o, sizeof text - o, "A,2020-01-%02d,%s\nB,2020-01-%02d,%s\n", d, d == 8 ? "1.7e308" : "1", d,
                 d <= 8 ? "4.9e-324" : "1");
    }
    char *csv = rbt_write_file(dir, "probe.csv", text);
    rbt_run_result r = rbt_run(dir, NULL, ARGS("import", "-q", "--db", "p.db", "--allow-extreme-prices", "probe.csv"));
    cr_assert_eq(r.status, 0, "import: %s", r.err);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, ARGS("run", "--db", "p.db", "--assets", "A=0.5,B=0.5", "--periods-per-year", "365"));
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.err, "the arithmetic overflowed"), "%s", r.err);
    rbt_run_result_free(&r);
    char *spec = rbt_write_file(dir, "s.ini",
                                "[data]\nassets = A=0.5,B=0.5\nperiods-per-year = 365\n"
                                "[buy-and-hold]\n[calendar]\nevery = day, week\n[threshold]\nband = 0.01, 0.1\n");
    r = rbt_run(dir, NULL, ARGS("sweep", "-q", "s.ini", "--db", "p.db", "--results", "r.db"));
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    rbt_run_result_free(&r);
    char *path = rbt_path(dir, "r.db");
    char *failed = query_text(path, "SELECT count(*) FROM runs WHERE status = 'failed' AND error LIKE "
                                    "'%the arithmetic overflowed%'");
    cr_assert_str_eq(failed, "5", "every configuration failed, naming the overflow");
    free(failed);
    free(path);
    free(spec);
    free(csv);
}

/* Values that are each finite can still overflow their sum (the mean value of the metrics):
 * holding H from 1 to 1e303 is worth 5e307 on six of the twelve bars. Both simulators fail
 * the run alike. */
Test(overflow, a_sum_that_overflows_fails_the_run_and_the_sweep_alike)
{
    import_swings("p.db", "1", "1e303");
    char msg[1024];
    cr_assert_eq(run_rebal("p.db", ARGS("--strategy", "buy-and-hold"), msg, sizeof msg), 1);
    cr_assert_str_eq(msg, "the arithmetic overflowed: the portfolio's mean value over the bars is not a finite number "
                          "(prices outside 1e-12 to 1e12, which import refuses unless --allow-extreme-prices, can do "
                          "that)");
    char *spec = rbt_write_file(dir, "s.ini", "[data]\nassets = H=0.5,N=0.5\nperiods-per-year = 365\n[buy-and-hold]\n");
    rbt_run_result r = rbt_run(dir, NULL, ARGS("sweep", "-q", "s.ini", "--db", "p.db", "--results", "r.db"));
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    rbt_run_result_free(&r);
    char *path = rbt_path(dir, "r.db");
    char *error = query_text(path, "SELECT error FROM runs WHERE status = 'failed'");
    cr_assert_str_eq(error, msg);
    free(error);
    free(path);
    free(spec);
}

/* Through the library: RB_ERR_DATA, the status of what the data made of a run. */
Test(overflow, rb_run_fails_with_a_data_error)
{
    import_swings("p.db", "1", "1e154");
    char *db = rbt_path(dir, "p.db");
    rb_store *store = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(db, 0, &store, &err), RB_OK, "%s", err.msg);
    rb_run_spec *spec = rbt_spec(RBT_KV("assets", "H=0.5,N=0.5", "periods-per-year", "365", "strategy", "calendar",
                                        "every", "day"));
    rb_run_result *res = NULL;
    cr_assert_eq(rb_run(store, spec, 0, &res, &err), RB_ERR_DATA, "%s", err.msg);
    cr_assert_null(res);
    rb_run_spec_free(spec);
    rb_store_free(store);
    free(db);
}
