/* The results store's file over its life: a new store no sweep was begun in is removed
 * again, unless another connection has it; a new store a sweep was recorded in rests in
 * rollback-journal mode with nothing beside it; a sweep command that fails before recording
 * leaves no new file, and an existing store as it was. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rebal.h"
#include "results/schema.h"
#include "results/writer.h"
#include "results_check.h"
#include "support.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static char *dir;
static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(results_file, .init = setup, .fini = teardown, .timeout = 60);

static int present(const char *path, const char *suffix)
{
    char name[4096];
    snprintf(name, sizeof name, "%s%s", path, suffix);
    return access(name, F_OK) == 0;
}


Test(results_file, a_new_store_no_sweep_began_in_is_removed_at_free)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    cr_assert(present(path, ""), "rb_results_open creates the file");
    rb_results_free(r);
    cr_assert_not(present(path, ""));
    cr_assert_not(present(path, "-wal"));
    cr_assert_not(present(path, "-shm"));
    cr_assert_not(present(path, "-journal"));
    free(path);
}

/* A connection of another's on the store at path, that has read it (in WAL mode it holds the
 * store's -shm; in rollback-journal mode nothing once its read is done). */
static sqlite3 *another_connection(const char *path)
{
    sqlite3 *other = NULL;
    cr_assert_eq(sqlite3_open(path, &other), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(other, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL), SQLITE_OK);
    return other;
}

/* A new store no sweep began in, that another connection is reading (a transaction: a lock on
 * the file), stays; an idle connection holds no lock in rollback-journal mode, the mode of a
 * new store until its first sweep begins: the store goes, and a writer that had opened it
 * says so at its sweep's start (a_deferred_start_that_fails_is_reported_by_put_and_end). */
Test(results_file, a_new_store_another_connection_is_reading_stays)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    sqlite3 *other = another_connection(path);
    cr_assert_eq(sqlite3_exec(other, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL), SQLITE_OK);
    rb_results_free(r);
    cr_assert(present(path, ""), "another connection is reading the file: it stays");
    sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(other);
    /* and it is still a results store that takes a sweep */
    r = open_ok(path);
    rb_error err = {0};
    cr_assert_eq(rb_results_begin(r, "spec", "h", 1, NULL, 0, 0, NULL, NULL, NULL, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_results_end(r, "done", &err), RB_OK, "%s", err.msg);
    rb_results_free(r);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM sweeps"), 1);
    free(path);
}

Test(results_file, a_new_store_an_idle_connection_has_open_goes)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    sqlite3 *other = another_connection(path);
    rb_results_free(r);
    cr_assert_not(present(path, ""), "no sweep began and no one reads it: it goes");
    cr_assert_not(present(path, "-journal"));
    sqlite3_close(other);
    free(path);
}

Test(results_file, an_existing_store_stays_when_no_sweep_begins)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    rb_error err = {0};
    cr_assert_eq(rb_results_begin(r, "spec", "h", 1, NULL, 0, 0, NULL, NULL, NULL, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_results_end(r, "done", &err), RB_OK, "%s", err.msg);
    rb_results_free(r);
    char *copy = rbt_path(dir, "copy.db");
    rbt_copy_file(path, copy);
    r = open_ok(path);
    rb_results_free(r);
    cr_assert(present(path, ""));
    cr_assert(rbt_same_store(path, copy), "opening and closing changed nothing");
    free(copy);
    free(path);
}

/* Two rows of a sweep of key band (config ids first, first + 1; bands 0.05 and 0.1). */
static void put_two(rb_results *r, int64_t first)
{
    rb_error err = {0};
    for (int64_t id = first; id <= first + 1; id++) {
        rb_sweep_kv kv[] = {{"band", id == first ? "0.05" : "0.1"}};
        rb_result_row row = {.config_id = id, .section = "threshold", .strategy = "threshold", .params = kv,
                             .nparams = 1};
        cr_assert_eq(rb_results_put(r, &row, &err), RB_OK, "%s", err.msg);
    }
}

/* One sweep of two rows of key band (put_two from first) recorded through r, ended done. */
static void sweep_two(rb_results *r, const char *spec, int64_t first)
{
    rb_error err = {0};
    const char *keys[] = {"band"};
    cr_assert_eq(rb_results_begin(r, spec, "h", 2, keys, 1, 0, NULL, NULL, NULL, &err), RB_OK, "%s", err.msg);
    put_two(r, first);
    cr_assert_eq(rb_results_end(r, "done", &err), RB_OK, "%s", err.msg);
}

/* The same into the store at path, opened and closed for it. */
static void record_two(const char *path, const char *spec, int64_t first)
{
    rb_results *r = open_ok(path);
    sweep_two(r, spec, first);
    rb_results_free(r);
}

/* A new store is written in WAL mode and left in rollback-journal mode (bytes 18 and 19 of
 * the header 1), whole and with nothing beside it. */
Test(results_file, a_new_store_rests_in_rollback_journal_mode)
{
    char *path = rbt_path(dir, "r.db");
    record_two(path, "spec", 1);
    cr_assert_not(present(path, "-wal"));
    cr_assert_not(present(path, "-shm"));
    cr_assert_not(present(path, "-journal"));
    size_t len = 0;
    unsigned char *bytes = (unsigned char *)rbt_read_file(path, &len);
    cr_assert_geq(len, 100);
    cr_assert_eq(bytes[18], 1, "write version %d", bytes[18]);
    cr_assert_eq(bytes[19], 1, "read version %d", bytes[19]);
    free(bytes);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM runs"), 2);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM runs WHERE band = 0.1"), 1);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
    free(path);
}

/* A store this build creates has pages of RB_RESULTS_PAGE_SIZE bytes (SQLite's default is
 * 4096); one made in 4 KiB pages by an earlier build keeps them while sweeps are added. */
Test(results_file, a_new_store_has_larger_pages_and_an_older_store_keeps_its_own)
{
    char *path = rbt_path(dir, "r.db");
    record_two(path, "spec", 1);
    cr_assert_eq(rbt_sqlite_int(path, "PRAGMA page_size"), atoll(RB_RESULTS_PAGE_SIZE));
    cr_assert_eq(atoll(RB_RESULTS_PAGE_SIZE), 16384);

    /* The same store rewritten in 4 KiB pages, as an earlier build made it. */
    char *old = rbt_path(dir, "old.db");
    rbt_copy_file(path, old);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(old, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "PRAGMA page_size = 4096; VACUUM", NULL, NULL, NULL), SQLITE_OK, "%s",
                 sqlite3_errmsg(db));
    sqlite3_close(db);
    cr_assert_eq(rbt_sqlite_int(old, "PRAGMA page_size"), 4096);
    record_two(old, "another spec", 3);
    cr_assert_eq(rbt_sqlite_int(old, "PRAGMA page_size"), 4096, "an existing store changed its page size");
    cr_assert_eq(rbt_sqlite_int(old, "SELECT count(*) FROM sweeps WHERE status = 'done'"), 2);
    cr_assert_eq(rbt_sqlite_int(old, "SELECT count(*) FROM runs"), 4);
    cr_assert_eq(rbt_sqlite_int(old, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
    cr_assert_not(present(old, "-wal"));
    free(old);
    free(path);
}

static void import_stocks(const char *db)
{
    char *stocks = rbt_source_path("data/bundled/stocks_monthly.csv");
    rbt_run_ok(dir, ARGS("import", "--db", db, "--quiet", stocks));
    free(stocks);
}

/* A sweep that fails before recording (here, loading its prices) leaves no new file, and an
 * existing store as it was. */
Test(results_file, a_sweep_that_fails_before_recording_leaves_no_new_store)
{
    import_stocks("p.db");
    char *bad = rbt_write_file(dir, "bad.ini", "[data]\nassets = MSFT=0.5, NOPE=0.5\n\n[threshold]\nband = 0.05\n");
    rbt_run_result r = rbt_run(dir, NULL, ARGS("sweep", "bad.ini", "--db", "p.db", "--results", "new.db"));
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "unknown symbol 'NOPE'"), "%s", r.err);
    rbt_run_result_free(&r);
    char *fresh = rbt_path(dir, "new.db");
    cr_assert_not(present(fresh, ""), "a failed sweep left a new results store");
    cr_assert_not(present(fresh, "-wal"));
    cr_assert_not(present(fresh, "-shm"));

    char *good = rbt_write_file(dir, "good.ini", "[data]\nassets = MSFT=0.5, AAPL=0.5\n\n[threshold]\nband = 0.05, 0.1\n");
    rbt_run_ok(dir, ARGS("sweep", "good.ini", "--db", "p.db", "--results", "new.db", "--quiet"));
    cr_assert_eq(rbt_sqlite_int(fresh, "SELECT count(*) FROM runs"), 2);
    char *copy = rbt_path(dir, "copy.db");
    rbt_copy_file(fresh, copy);
    r = rbt_run(dir, NULL, ARGS("sweep", "bad.ini", "--db", "p.db", "--results", "new.db"));
    cr_assert_eq(r.status, 1, "%s", r.err);
    rbt_run_result_free(&r);
    cr_assert(rbt_same_store(fresh, copy), "a failed sweep changed an existing store");
    free(copy);
    free(good);
    free(fresh);
    free(bad);
}

/* A deferred start (rb_results_defer_start, as rebal sweep asks) records a new store's sweep
 * on the writer thread before its rows: the same rows, status and id as a start of the
 * caller's own; in a store that holds a sweep already the start is the caller's, so a resume
 * still finds what is stored. */
Test(results_file, a_deferred_start_records_the_sweep_before_its_rows)
{
    char *path = rbt_path(dir, "r.db");
    const char *keys[] = {"band"};
    for (int pass = 0; pass < 2; pass++) {
        rb_results *r = open_ok(path);
        rb_results_defer_start(r);
        rb_error err = {0};
        int resumed = -1;
        int64_t *done = NULL;
        size_t ndone = 7;
        cr_assert_eq(rb_results_begin(r, "spec", "h", 2, keys, 1, pass, &resumed, &done, &ndone, &err), RB_OK, "%s",
                     err.msg);
        if (pass == 0) {
            cr_assert_eq(resumed, 0);
            cr_assert_null(done);
            cr_assert_eq(ndone, 0);
            rb_sweep_kv kv[] = {{"band", "0.05"}};
            rb_result_row row = {.config_id = 11, .section = "threshold", .strategy = "threshold", .params = kv,
                                 .nparams = 1};
            cr_assert_eq(rb_results_put(r, &row, &err), RB_OK, "%s", err.msg);
            cr_assert_eq(rb_results_sweep_id(r), 1, "the id waits for the writer's start");
            cr_assert_eq(rb_results_end(r, "interrupted", &err), RB_OK, "%s", err.msg);
        } else {
            /* the store holds sweep 1 now: resumed by the caller's own start */
            cr_assert_eq(resumed, 1);
            cr_assert_eq(ndone, 1);
            cr_assert_eq(done[0], 11);
            cr_assert_eq(rb_results_sweep_id(r), 1);
            cr_assert_eq(rb_results_end(r, "done", &err), RB_OK, "%s", err.msg);
        }
        free(done);
        rb_results_free(r);
    }
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM sweeps"), 1);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM sweeps WHERE status = 'done'"), 1);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT config_id FROM runs WHERE band = 0.05"), 11);
    free(path);
}

/* What fails in a deferred start is the writer's error: rb_results_put and rb_results_end
 * report it, and the sweep has no id. Here the new file is removed before the writer starts
 * (as another command's rb_results_free may remove a store it saw unused). */
Test(results_file, a_deferred_start_that_fails_is_reported_by_put_and_end)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    rb_results_defer_start(r);
    cr_assert_eq(unlink(path), 0);
    rb_error err = {0};
    cr_assert_eq(rb_results_begin(r, "spec", "h", 1, NULL, 0, 0, NULL, NULL, NULL, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_results_sweep_id(r), 0);
    rb_result_row row = {.config_id = 1};
    cr_assert_eq(rb_results_put(r, &row, &err), RB_ERR_DB);
    cr_assert_not_null(strstr(err.msg, "removed by another command"), "%s", err.msg);
    rb_error end = {0};
    cr_assert_eq(rb_results_end(r, "done", &end), RB_ERR_DB);
    cr_assert_str_eq(end.msg, err.msg);
    rb_results_free(r);
    cr_assert_not(present(path, ""));
    free(path);
}

/* A settled store (rb_results_settle, as rebal sweep asks when nothing is written after the
 * sweep): the writer follows the last rows with the store's last checkpoint, and the caller
 * reads through the connection while the file syncs. A sweep begun after it commits under
 * NORMAL again, and the store rests in rollback-journal mode with both sweeps whole. */
Test(results_file, a_settled_store_is_read_while_it_syncs_and_takes_another_sweep)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    rb_results_defer_start(r);
    rb_results_settle(r);
    const char *keys[] = {"band"};
    for (int sweep = 0; sweep < 2; sweep++) {
        rb_error err = {0};
        cr_assert_eq(rb_results_begin(r, sweep ? "second" : "first", "h", 2, keys, 1, 0, NULL, NULL, NULL, &err),
                     RB_OK, "%s", err.msg);
        sqlite3 *db = rb_results_connection(r)->db;
        if (sweep) cr_assert_eq(query_int(db, "PRAGMA synchronous"), 1, "NORMAL again for the next sweep");
        put_two(r, 1 + 10 * sweep);
        cr_assert_eq(rb_results_end(r, "done", &err), RB_OK, "%s", err.msg);
        /* the writer took the checkpoint (under synchronous OFF until the close) */
        cr_assert_eq(query_int(db, "PRAGMA synchronous"), 0);
        cr_assert_eq(query_int(db, "SELECT count(*) FROM runs"), 2 * (sweep + 1));
        cr_assert_eq(query_int(db, "SELECT count(*) FROM sweeps WHERE status = 'done'"), sweep + 1);
    }
    rb_results_free(r);
    cr_assert_not(present(path, "-wal"));
    cr_assert_not(present(path, "-shm"));
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM runs"), 4);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"),
                 0);
    free(path);
}

/* The journal mode of the connection's store, as a string to compare. */
static int journal_is(sqlite3 *db, const char *mode)
{
    char *now = query_text(db, "PRAGMA journal_mode");
    int same = strcmp(now, mode) == 0;
    free(now);
    return same;
}

/* A brief sweep (rb_results_brief, as rebal sweep asks for one estimated under a second)
 * into a new store runs it in rollback-journal mode, the mode the store was created in: no
 * WAL at any moment, and no other file left beside it; the rows, the status and the file are
 * whole. */
Test(results_file, a_brief_sweep_runs_its_new_store_in_rollback_journal_mode)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    cr_assert_not(present(path, "-wal"), "a new store is created in rollback-journal mode");
    cr_assert(journal_is(rb_results_connection(r)->db, "delete"));
    rb_results_defer_start(r);
    rb_results_settle(r);
    rb_results_brief(r);
    sweep_two(r, "brief", 1);
    sqlite3 *db = rb_results_connection(r)->db;
    cr_assert(journal_is(db, "delete"));
    cr_assert_not(present(path, "-wal"), "the sweep ran without a WAL");
    cr_assert_not(present(path, "-shm"));
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sweeps WHERE status = 'done'"), 1);
    rb_results_free(r);
    cr_assert_not(present(path, "-journal"));
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM runs"), 2);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"),
                 0);
    free(path);
}

/* Another connection on the new store (a reader watching it) changes nothing: the brief
 * sweep runs it in rollback-journal mode (the reader's transactions hold up its commits,
 * where WAL would let both go on), and the reader reads the rows once they are committed. */
Test(results_file, a_brief_sweep_runs_in_rollback_journal_mode_while_another_connection_has_its_store)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    sqlite3 *other = another_connection(path);
    rb_results_defer_start(r);
    rb_results_settle(r);
    rb_results_brief(r);
    sweep_two(r, "brief", 1);
    cr_assert(journal_is(rb_results_connection(r)->db, "delete"));
    cr_assert_eq(query_int(other, "SELECT count(*) FROM runs"), 2, "the other connection reads the rows");
    sqlite3_close(other);
    rb_results_free(r);
    cr_assert_not(present(path, "-wal"));
    cr_assert_not(present(path, "-journal"));
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM runs"), 2);
    free(path);
}

/* The first sweep into a new store, not brief: the store goes to WAL mode as the sweep
 * begins (with another connection on it too), its commits under NORMAL once its schema is
 * made; at the close it rests in rollback-journal mode, whole. */
Test(results_file, a_sweep_that_is_not_brief_takes_its_new_store_to_wal_mode)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    sqlite3 *other = another_connection(path);
    sweep_two(r, "long", 1);
    sqlite3 *db = rb_results_connection(r)->db;
    cr_assert(journal_is(db, "wal"));
    cr_assert_eq(query_int(db, "PRAGMA synchronous"), 1, "NORMAL once the schema is made");
    cr_assert_eq(query_int(other, "SELECT count(*) FROM runs"), 2, "the other connection reads the rows");
    sqlite3_close(other);
    rb_results_free(r);
    cr_assert_not(present(path, "-wal"));
    cr_assert_not(present(path, "-shm"));
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM runs"), 2);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"),
                 0);
    free(path);
}

/* A sweep that is not brief, after a brief one on the same connection: back in WAL mode,
 * its commits under NORMAL; both sweeps whole at the end. */
Test(results_file, a_sweep_after_a_brief_one_runs_in_wal_mode_again)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    rb_results_defer_start(r);
    for (int sweep = 0; sweep < 2; sweep++) {
        if (sweep == 0) rb_results_brief(r);
        sweep_two(r, sweep ? "second" : "first", 1 + 10 * sweep);
        sqlite3 *db = rb_results_connection(r)->db;
        cr_assert(journal_is(db, sweep ? "wal" : "delete"), "sweep %d", sweep);
        if (sweep) cr_assert_eq(query_int(db, "PRAGMA synchronous"), 1, "NORMAL for a sweep that is not brief");
    }
    rb_results_free(r);
    cr_assert_not(present(path, "-wal"));
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM runs"), 4);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM sweeps WHERE status = 'done'"), 2);
    free(path);
}

/* A writer thread started ahead (rb_results_prestart, as rebal sweep's side job asks when it
 * opens a new store) records the sweep the next rb_results_begin gives it, as a thread of
 * rb_results_begin's own would; a later sweep starts a thread of its own. A second call is
 * harmless. */
Test(results_file, a_writer_started_ahead_records_the_sweep_it_is_given)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    rb_results_prestart(r);
    rb_results_prestart(r);
    rb_results_defer_start(r);
    rb_results_settle(r);
    rb_results_brief(r);
    const char *keys[] = {"band"};
    for (int sweep = 0; sweep < 2; sweep++) {
        rb_error err = {0};
        cr_assert_eq(rb_results_begin(r, sweep ? "second" : "first", "h", 2, keys, 1, 0, NULL, NULL, NULL, &err),
                     RB_OK, "%s", err.msg);
        put_two(r, 1 + 10 * sweep);
        cr_assert_eq(rb_results_sweep_id(r), sweep + 1);
        cr_assert_eq(rb_results_end(r, "done", &err), RB_OK, "%s", err.msg);
    }
    rb_results_free(r);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM sweeps WHERE status = 'done'"), 2);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM runs"), 4);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT config_id FROM runs WHERE sweep_id = 2 AND band = 0.1"), 12);
    free(path);
}

/* A writer thread started ahead and never given a sweep (the sweep was found done, or the
 * command stopped first) is let go at the close, and the new store, unused, is removed as
 * ever; an existing store is left as it was. */

Test(results_file, a_writer_started_ahead_and_never_given_a_sweep_lets_the_store_close)
{
    char *path = rbt_path(dir, "r.db");
    int alone = rbt_thread_count();
    rb_results *r = open_ok(path);
    rb_results_prestart(r);
    cr_assert_eq(rbt_thread_count(), alone + 1, "the writer thread waits");
    rb_results_free(r);
    /* joined, it may still be listed a moment while the kernel reaps it */
    cr_assert(rbt_wait_until(rbt_threads_at_most, &alone, 10), "the close let the waiting writer thread go");
    cr_assert_not(present(path, ""), "an unused new store is removed");
    r = open_ok(path);
    sweep_two(r, "spec", 1);
    rb_results_free(r);
    char *copy = rbt_path(dir, "copy.db");
    rbt_copy_file(path, copy);
    r = open_ok(path);
    rb_results_prestart(r);
    rb_results_free(r);
    cr_assert(rbt_same_store(path, copy), "the store changed");
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM runs"), 2);
    free(copy);
    free(path);
}
