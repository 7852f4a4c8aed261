/* test_store_race.c - two writers on one new price store (issue 14, defect 1): a store
 * created by a first import that fails is removed again only when nobody else has it open
 * and nothing was stored in it; what another import committed meanwhile is never lost. The
 * orderings are held by conditions (a pipe's reader, a connection left open), never by time. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rebal.h"
#include "store.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(store_race, .init = setup, .fini = teardown, .timeout = 120);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

/* Stores one asset with one bar through the store's own transaction helpers. */
static void store_one_bar(rb_store *s, const char *symbol)
{
    rb_error err = {0};
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO assets(symbol) VALUES ('%s');"
             "INSERT INTO bars(asset_id, ts, close) SELECT id, 946684800, 10 FROM assets WHERE symbol = '%s';",
             symbol, symbol);
    cr_assert_eq(rb_store_begin(s, &err), RB_OK, "%s", err.msg);
    exec_sql(s->db, sql);
    cr_assert_eq(rb_store_commit(s, &err), RB_OK, "%s", err.msg);
}

/* The first import's failure: a transaction that wrote and was rolled back. */
static void fail_a_write(rb_store *s)
{
    rb_error err = {0};
    cr_assert_eq(rb_store_begin(s, &err), RB_OK, "%s", err.msg);
    exec_sql(s->db, "INSERT INTO assets(symbol) VALUES ('BAD')");
    rb_store_rollback(s);
}

static long long bars_of(const char *path, const char *symbol)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM bars JOIN assets ON assets.id = asset_id WHERE symbol = '%s'",
             symbol);
    return rbt_sqlite_int(path, sql);
}

/* A creates the store, B commits a bar into it and closes, A fails: A must not remove B's
 * bar (it did: A unlinked the file it had created). */
Test(store_race, a_failed_first_import_keeps_what_another_one_committed)
{
    char *path = rbt_path(dir, "new.db");
    rb_store *a = NULL, *b = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, 0, &a, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_store_open(path, 0, &b, &err), RB_OK, "%s", err.msg);
    store_one_bar(b, "GOOD");
    rb_store_free(b);
    fail_a_write(a);
    rb_store_free(a);
    cr_assert_eq(access(path, F_OK), 0, "the store holding another import's bar was removed");
    cr_assert_eq(bars_of(path, "GOOD"), 1, "the other import's bar is gone");
    cr_assert_eq(bars_of(path, "BAD"), 0);
    free(path);
}

/* B has the new store open (nothing written yet) when A fails: A must leave the file, or B
 * would write into a file no longer in the directory and lose everything it commits. */
Test(store_race, a_failed_first_import_leaves_a_store_another_writer_has_open)
{
    char *path = rbt_path(dir, "open.db");
    rb_store *a = NULL, *b = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, 0, &a, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_store_open(path, 0, &b, &err), RB_OK, "%s", err.msg);
    fail_a_write(a);
    rb_store_free(a);
    cr_assert_eq(access(path, F_OK), 0, "a store another writer has open was removed");
    store_one_bar(b, "GOOD");
    rb_store_free(b);
    cr_assert_eq(bars_of(path, "GOOD"), 1, "the bar committed after the other import failed is lost");
    free(path);
}

/* A reader holds the new store open while the first import fails: the empty store stays (a
 * valid empty store; removing it under a reader is what the lock forbids), and what the
 * reader sees is a store, not an error. */
Test(store_race, a_reader_keeps_a_failed_new_store_in_place)
{
    char *path = rbt_path(dir, "read.db");
    rb_store *a = NULL, *r = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, 0, &a, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_store_open(path, RB_STORE_READONLY, &r, &err), RB_OK, "%s", err.msg);
    fail_a_write(a);
    rb_store_free(a);
    cr_assert_eq(access(path, F_OK), 0, "a store a reader has open was removed");
    rb_store_free(r);
    free(path);
}

/* With nobody else on it, a failed first import still leaves nothing behind. */
Test(store_race, a_failed_first_import_alone_leaves_nothing)
{
    char *path = rbt_path(dir, "alone.db");
    rb_store *a = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(path, 0, &a, &err), RB_OK, "%s", err.msg);
    fail_a_write(a);
    rb_store_free(a);
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        char name[4200];
        snprintf(name, sizeof name, "%s%s", path, suffix[i]);
        cr_assert_neq(access(name, F_OK), 0, "%s is left behind", name);
    }
    free(path);
}

/* ---------------------------------------------------------------- the command line */

/* The writing end of a pipe, opened once its reader (the import) has opened it. */
typedef struct pipe_watch {
    const char *path;
    pid_t pid;
    int fd;
    int exited, status;
} pipe_watch;

static int pipe_has_reader(void *ctx)
{
    pipe_watch *w = ctx;
    w->fd = open(w->path, O_WRONLY | O_NONBLOCK); /* ENXIO while nobody reads it */
    if (w->fd >= 0) return 1;
    if (waitpid(w->pid, &w->status, WNOHANG) == w->pid) w->exited = 1;
    return w->exited;
}

/* The probe, ordered by conditions: `rebal import --db new.db bad.csv` creates the
 * store and then reads bad.csv, a pipe, so it is provably mid-way while a second import adds
 * two bars and ends; then the bad rows arrive and the first import fails. Before the fix,
 * its failure deleted new.db with the two bars. */
Test(store_race, cli_two_first_imports_into_one_new_store)
{
    const char *bin = getenv("REBAL_BIN");
    cr_assert_not_null(bin, "REBAL_BIN is not set (run the suites through meson test)");
    char *fifo = rbt_path(dir, "bad.csv"), *db = rbt_path(dir, "new.db"), *errpath = rbt_path(dir, "bad.err");
    free(rbt_write_file(dir, "good.csv", "symbol,date,price\nGOOD,2020-01-01,1\nGOOD,2020-01-02,2\n"));
    cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(126);
        FILE *o = freopen("bad.out", "w", stdout), *e = freopen("bad.err", "w", stderr);
        (void)o, (void)e;
        execl(bin, bin, "import", "--db", "new.db", "bad.csv", (char *)NULL);
        _exit(127);
    }
    pipe_watch w = {.path = fifo, .pid = pid, .fd = -1};
    cr_assert(rbt_wait_until(pipe_has_reader, &w, 60), "the first import did not open its file in 60 s");
    cr_assert(!w.exited, "the first import ended before reading its file (status %d)", w.status);
    cr_assert_eq(access(db, F_OK), 0, "the first import has not created the store before reading its file");

    rbt_run_result r = rbt_run(dir, NULL, ARGS("import", "--db", "new.db", "good.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "2 bars added"), "%s", r.out);
    rbt_run_result_free(&r);

    static const char bad[] = "symbol,date,price\nBAD,2020-01-01,1\nBAD,2020-13-45,2\n";
    cr_assert_eq(write(w.fd, bad, sizeof bad - 1), (ssize_t)(sizeof bad - 1));
    close(w.fd);
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    char *msg = rbt_read_file(errpath, NULL);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "the bad import did not fail (status %d): %s", st, msg);
    cr_assert_not_null(strstr(msg, "bad.csv:3"), "%s", msg);

    cr_assert_eq(access(db, F_OK), 0, "new.db is gone with the two bars the second import added");
    cr_assert_eq(bars_of(db, "GOOD"), 2);
    r = rbt_run(dir, NULL, ARGS("assets", "--db", "new.db"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "GOOD"), "%s", r.out);
    cr_assert_null(strstr(r.out, "BAD"), "%s", r.out);
    rbt_run_result_free(&r);
    free(msg);
    free(fifo);
    free(db);
    free(errpath);
}
