/* A new results store opened by another thread (rb_results_open_later, rb_results_connect:
 * rebal sweep's side job opens it while the main thread runs the sweep). Whether the open is
 * done before the sweep begins, while its rows are put or not at all, the store holds what
 * rb_results_open's would; an open that fails fails the sweep, reported where the caller
 * asks (rb_results_begin, rb_results_put or rb_results_end); a handle freed without a sweep
 * leaves no file and no thread behind. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebal.h"
#include "results/writer.h"
#include "support.h"

static char *dir;
static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(results_later, .init = setup, .fini = teardown, .timeout = 60);

static rb_results *open_later_ok(const char *path)
{
    rb_results *r = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_results_open_later(path, &r, &err), RB_OK, "%s", err.msg);
    cr_assert_not_null(r);
    return r;
}

static void begin_ok(rb_results *r, uint64_t configurations)
{
    rb_error err = {0};
    const char *keys[] = {"band"};
    cr_assert_eq(rb_results_begin(r, "spec", "h", configurations, keys, 1, 0, NULL, NULL, NULL, &err), RB_OK, "%s",
                 err.msg);
}

/* Row k: config id 100 + k, band 0.01 * (k + 1), a final value of 1000 + k. */
static rb_status put_row(rb_results *r, int k, rb_error *err)
{
    char band[32];
    snprintf(band, sizeof band, "%.2f", 0.01 * (k + 1));
    rb_sweep_kv kv[] = {{"band", band}};
    rb_result_row row = {.config_id = 100 + k, .section = "threshold", .strategy = "threshold", .params = kv,
                         .nparams = 1};
    row.metrics.final_value = 1000 + k;
    return rb_results_put(r, &row, err);
}

static void put_rows(rb_results *r, int n)
{
    rb_error err = {0};
    for (int k = 0; k < n; k++) cr_assert_eq(put_row(r, k, &err), RB_OK, "%s", err.msg);
}

/* The store at path holds one sweep, done, of n rows as put_rows puts them. */
static void holds_rows(const char *path, int n)
{
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM sweeps WHERE status = 'done'"), 1);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM runs"), n);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT sum(config_id) FROM runs"), n * 100 + n * (n - 1) / 2);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT sum(final_value) FROM runs"), n * 1000 + n * (n - 1) / 2);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM runs WHERE abs(band - (config_id - 99) * 0.01) < 1e-12"),
                 n);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"),
                 0);
}

static void *connect_main(void *arg)
{
    rb_results_connect(arg);
    return NULL;
}

/* Connected before the sweep begins, and connected by another thread after its rows are
 * queued: the same store either way, and the sweep's id once it is recorded. */
Test(results_later, a_store_opened_before_or_after_the_sweep_begins_holds_its_rows)
{
    for (int late = 0; late < 2; late++) {
        char name[32];
        snprintf(name, sizeof name, "r%d.db", late);
        char *path = rbt_path(dir, name);
        rb_results *r = open_later_ok(path);
        rb_results_settle(r);
        rb_results_brief(r);
        pthread_t t;
        if (!late) rb_results_connect(r);
        begin_ok(r, 20);
        put_rows(r, 20);
        if (late) cr_assert_eq(pthread_create(&t, NULL, connect_main, r), 0);
        cr_assert_eq(rb_results_sweep_id(r), 1, "late %d", late);
        rb_error err = {0};
        cr_assert_eq(rb_results_end(r, "done", &err), RB_OK, "late %d: %s", late, err.msg);
        if (late) pthread_join(t, NULL);
        rb_results_free(r);
        holds_rows(path, 20);
        free(path);
    }
}

/* A handle freed without a sweep, connected or not yet (the free waits for the connect on
 * another thread): no file is left, nor the writer's thread. */
Test(results_later, a_store_given_no_sweep_is_removed_and_its_writer_let_go)
{
    int alone = rbt_thread_count();
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_later_ok(path);
    rb_results_connect(r);
    cr_assert_eq(rbt_thread_count(), alone + 1, "the writer thread waits for its sweep");
    rb_results_free(r);
    cr_assert(rbt_wait_until(rbt_threads_at_most, &alone, 10), "the free let the waiting writer thread go");
    cr_assert_neq(access(path, F_OK), 0, "an unused new store is removed");

    r = open_later_ok(path);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, connect_main, r), 0);
    rb_results_free(r); /* waits for the connect */
    pthread_join(t, NULL);
    cr_assert(rbt_wait_until(rbt_threads_at_most, &alone, 10));
    cr_assert_neq(access(path, F_OK), 0);
    free(path);
}

/* What rb_results_open refuses before it opens anything is refused at once: no file made. */
Test(results_later, the_path_s_checks_refuse_at_once)
{
    rb_results *r = NULL;
    rb_error err = {0};
    cr_assert_neq(rb_results_open_later("", &r, &err), RB_OK);
    char *sub = rbt_path(dir, "d");
    cr_assert_eq(mkdir(sub, 0755), 0);
    cr_assert_neq(rb_results_open_later(sub, &r, &err), RB_OK, "a directory is not a store");
    cr_assert_null(r);
    char *missing = rbt_path(dir, "nowhere/r.db");
    cr_assert_neq(rb_results_open_later(missing, &r, &err), RB_OK, "no such directory");
    cr_assert(strstr(err.msg, "nowhere") != NULL, "the message names the path: %s", err.msg);
    cr_assert_null(r);
    free(missing);
    free(sub);
}

/* A file that is not new any more by the time the handle is asked for is opened at once, as
 * rb_results_open opens it: its earlier sweep is found, and rb_results_connect does nothing. */
Test(results_later, a_store_with_content_is_opened_at_once)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_later_ok(path);
    rb_results_connect(r);
    begin_ok(r, 3);
    put_rows(r, 3);
    rb_error err = {0};
    cr_assert_eq(rb_results_end(r, "done", &err), RB_OK, "%s", err.msg);
    rb_results_free(r);
    r = open_later_ok(path);
    rb_results_connect(r); /* nothing: opened already */
    int64_t id = 0;
    char at[32];
    cr_assert_eq(rb_results_find_done(r, "spec", "h", &id, at, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(id, 1, "the sweep recorded before is found");
    rb_results_free(r);
    holds_rows(path, 3);
    free(path);
}

/* The open fails (its directory removed after the handle was made): before the sweep begins,
 * rb_results_begin says why; once rows are queued, rb_results_put or rb_results_end does, and
 * the sweep has no id. Nothing is left behind, no thread either. */
Test(results_later, an_open_that_fails_fails_the_sweep_where_the_caller_asks)
{
    int alone = rbt_thread_count();
    for (int late = 0; late < 2; late++) {
        char name[32];
        snprintf(name, sizeof name, "gone%d", late);
        char *sub = rbt_path(dir, name);
        cr_assert_eq(mkdir(sub, 0755), 0);
        char *path = rbt_path(sub, "r.db");
        rb_results *r = open_later_ok(path);
        cr_assert_eq(rmdir(sub), 0);
        rb_error err = {0};
        const char *keys[] = {"band"};
        if (!late) {
            rb_results_connect(r);
            cr_assert_neq(rb_results_begin(r, "spec", "h", 2, keys, 1, 0, NULL, NULL, NULL, &err), RB_OK);
            cr_assert(strstr(err.msg, name) != NULL, "the message names the store: %s", err.msg);
        } else {
            begin_ok(r, 2);
            rb_status put = put_row(r, 0, &err);
            rb_results_connect(r);
            if (put == RB_OK) put = put_row(r, 1, &err);
            rb_error end_err = {0};
            rb_status end = rb_results_end(r, "done", &end_err);
            cr_assert_neq(end, RB_OK, "the sweep's end reports the failed open");
            cr_assert(strstr(end_err.msg, name) != NULL, "the message names the store: %s", end_err.msg);
            if (put != RB_OK) cr_assert(strstr(err.msg, name) != NULL, "%s", err.msg);
            cr_assert_eq(rb_results_sweep_id(r), 0);
        }
        rb_results_free(r);
        cr_assert_neq(access(path, F_OK), 0);
        free(path);
        free(sub);
    }
    cr_assert(rbt_wait_until(rbt_threads_at_most, &alone, 10), "no writer thread is left");
}
