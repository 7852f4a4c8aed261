/* test_crash.c - kill -9 at chosen moments of an import and of a sweep, then the same command
 * again (the import re-run, the sweep with --resume). At every moment the store stays intact
 * (integrity_check), holds all or nothing of the killed import, and the second run ends with
 * exactly the store an uninterrupted run leaves: the same rows, none twice. The moments are
 * recognized in the store (SQLite's WAL locks, the rows a reader sees) or by the data fed to
 * the command, never by waiting a time. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crash_support.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(crash, .init = setup, .fini = teardown, .timeout = 240);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Generous: a loaded CI machine under AddressSanitizer. */
#define DEADLINE 120.0

static void run_ok(const char *const *argv) { rbt_run_ok(dir, argv); }

static char *dump_of(const char *name)
{
    char *path = rbt_path(dir, name), *text = crash_dump(path);
    cr_assert_not_null(text, "%s is missing", name);
    free(path);
    return text;
}

/* Notes a kill that came after its moment (the command got past it first: possible on a
 * loaded machine, and then the kill tests a later moment), for the log. */
static void note_miss(char *missed, size_t size, int landed, const char *moment)
{
    if (!landed) snprintf(missed + strlen(missed), size - strlen(missed), "%s'%s'", *missed ? ", " : "", moment);
}

static void log_misses(const char *what, const char *missed)
{
    if (*missed) cr_log_info("%s: came after its moment: %s", what, missed);
    else cr_log_info("%s: every kill came at its moment", what);
}

/* ---------------------------------------------------------------- import */

/* The killed import: 4 symbols x 5,000 days = 20,000 rows from 2023 on, after the bundled
 * data's years. Big enough that each phase below lasts tens of milliseconds. */
#define IMPORT_ROWS 20000LL
static void write_big_csv(void)
{
    run_ok(ARGS("synth", "--start", "2023-01-01", "--days", "5000", "-o", "big.csv"));
}

/* The moments of an import, in order: `rebal import` opens (and creates) the store, reads
 * and checks the whole CSV, then writes everything in one transaction, whose commit appends
 * the pages to the WAL, and checkpoints. */
enum import_moment { STORE_CREATED, READING_CSV, TRANSACTION_OPEN, COMMIT_WRITING, COMMITTED, NMOMENTS };
static const char *const moment_name[] = {"store created", "reading the CSV", "transaction open",
                                          "commit being written", "committed, checkpointing"};

static long long bars_in(const char *db) { return rbt_sqlite_int(db, "SELECT count(*) FROM bars"); }

static int store_created(crash_watch *w) { return crash_file_size(w->db) >= 0; }

static long long wal_size(const char *db)
{
    char *wal = NULL;
    cr_assert(asprintf(&wal, "%s-wal", db) > 0);
    long long size = crash_file_size(wal);
    free(wal);
    return size;
}

/* The import's write transaction holds the WAL write lock and readers still see the bars of
 * before; w->size gets the WAL's size then. */
static int transaction_open(crash_watch *w)
{
    if (crash_wal_locked(w->db, CRASH_WAL_WRITE) != 1 || bars_in(w->db) != w->rows) return 0;
    w->size = wal_size(w->db);
    return 1;
}

/* Still in the transaction, and the WAL has grown: the commit is appending pages. */
static int commit_writing(crash_watch *w)
{
    return wal_size(w->db) > w->size && crash_wal_locked(w->db, CRASH_WAL_WRITE) == 1;
}

/* The transaction has ended with pages added to the WAL: committed, and the import is
 * checkpointing or closing. (Not asked with a query: a reader waits while the closing
 * connection holds the store, and the import would be gone before the answer.) */
static int committed(crash_watch *w)
{
    return crash_wal_locked(w->db, CRASH_WAL_WRITE) == 0 && wal_size(w->db) > w->size;
}

/* The writing end of the FIFO the import reads: opening it without blocking succeeds once
 * the import has opened the reading end. */
typedef struct fifo_end {
    const char *path;
    int fd;
} fifo_end;

static int fifo_opened(crash_watch *w)
{
    fifo_end *f = w->arg;
    f->fd = open(f->path, O_WRONLY | O_NONBLOCK);
    return f->fd >= 0;
}

/* Imports big.csv through a FIFO and kills the import once half of the file went in: it has
 * opened the store and is reading. Returns 1 (it cannot end before its input does). */
static int kill_while_reading(const char *db)
{
    char *fifo = rbt_path(dir, "pipe.csv"), *csv = rbt_path(dir, "big.csv");
    cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo %s: %s", fifo, strerror(errno));
    size_t len = 0;
    char *data = rbt_read_file(csv, &len);
    fifo_end end = {fifo, -1};
    crash_watch w = {.pid = crash_spawn(dir, ARGS("import", "-q", "--db", db, "pipe.csv")), .dir = dir, .arg = &end};
    cr_assert(crash_wait(&w, fifo_opened, DEADLINE), "the import ended without reading its input");
    cr_assert_eq(fcntl(end.fd, F_SETFL, 0), 0);
    signal(SIGPIPE, SIG_IGN);
    /* A pipe holds 64 KiB: once this returns, the import has read all but that much of it. */
    for (size_t off = 0, half = len / 2; off < half;) {
        ssize_t n = write(end.fd, data + off, half - off);
        cr_assert(n > 0, "writing into the import's FIFO: %s", strerror(errno));
        off += (size_t)n;
    }
    int landed = crash_kill(&w);
    close(end.fd);
    unlink(fifo);
    free(data);
    free(csv);
    free(fifo);
    return landed;
}

/* Starts `rebal import --db db big.csv` and kills it at the moment; returns 1 when the kill
 * came at that moment, 0 when the import got past it first (then it may have finished). */
static int kill_import_at(enum import_moment moment, const char *db, long long bars_before)
{
    if (moment == READING_CSV) return kill_while_reading(db);
    char *path = rbt_path(dir, db);
    crash_watch w = {.pid = crash_spawn(dir, ARGS("import", "-q", "--db", db, "big.csv")), .dir = dir, .db = path,
                     .rows = bars_before};
    int reached = crash_wait(&w, moment == STORE_CREATED ? store_created : transaction_open, DEADLINE);
    if (reached && moment == COMMIT_WRITING) reached = crash_wait(&w, commit_writing, DEADLINE);
    if (reached && moment == COMMITTED) reached = crash_wait(&w, committed, DEADLINE);
    int landed = crash_kill(&w) && reached;
    free(path);
    return landed;
}

/* What a killed first import may leave: nothing, an empty file, a store without data (its
 * schema committed or not), or the whole import. */
static void assert_first_import_all_or_nothing(const char *db, const char *complete, const char *when)
{
    char *path = rbt_path(dir, db);
    if (crash_file_size(path) > 0) {
        crash_assert_intact(path);
        char *now = crash_dump(path);
        long long rows = rbt_sqlite_int(path, "SELECT (SELECT count(*) FROM assets) + (SELECT count(*) FROM bars) "
                                              "+ (SELECT count(*) FROM imports)");
        cr_assert(rows <= 0 || strcmp(now, complete) == 0,
                  "killed at '%s': the store holds %lld rows, neither none nor the whole import", when, rows);
        free(now);
    }
    free(path);
}

/* The same import again: the store must be the uninterrupted import's. */
static void rerun_and_compare(const char *db, const char *complete, const char *when)
{
    run_ok(ARGS("import", "-q", "--db", db, "big.csv"));
    char *rerun = dump_of(db);
    cr_assert_str_eq(rerun, complete, "killed at '%s': the rerun's store differs from an uninterrupted import", when);
    free(rerun);
}

Test(crash, first_import_killed_at_any_moment_leaves_all_or_nothing_and_the_rerun_completes_it)
{
    write_big_csv();
    run_ok(ARGS("import", "-q", "--db", "ref.db", "big.csv"));
    char *complete = dump_of("ref.db");
    char missed[512] = "";
    for (int m = 0; m < NMOMENTS; m++) {
        char db[32];
        snprintf(db, sizeof db, "killed%d.db", m);
        note_miss(missed, sizeof missed, kill_import_at((enum import_moment)m, db, 0), moment_name[m]);
        assert_first_import_all_or_nothing(db, complete, moment_name[m]);
        rerun_and_compare(db, complete, moment_name[m]);
    }
    log_misses("first import", missed);
    free(complete);
}

/* The store before the second import: the bundled crypto prices and the bar cache a sweep
 * writes (the import drops the cache's triggers inside its transaction), its WAL merged. */
static long long make_earlier_store(const char *db)
{
    char *crypto = rbt_source_path("data/bundled/crypto_daily.csv");
    run_ok(ARGS("import", "-q", "--db", db, crypto));
    free(rbt_write_file(dir, "cache.ini", "[data]\nassets = BTC=0.5, ETH=0.5\n[buy-and-hold]\n"));
    run_ok(ARGS("sweep", "-q", "--db", db, "--results", "cache-results.db", "cache.ini"));
    char *path = rbt_path(dir, db), *wal = NULL;
    cr_assert(asprintf(&wal, "%s-wal", path) > 0);
    cr_assert_eq(crash_file_size(wal), -1, "%s is left after the last command closed the store", wal);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM bar_cache"), 2);
    long long bars = bars_in(path);
    free(wal);
    free(path);
    free(crypto);
    return bars;
}

static void copy_in(const char *from, const char *to)
{
    char *a = rbt_path(dir, from), *b = rbt_path(dir, to);
    rbt_copy_file(a, b);
    free(a);
    free(b);
}

Test(crash, import_into_a_store_killed_at_any_moment_leaves_it_as_it_was_or_complete)
{
    write_big_csv();
    long long bars_before = make_earlier_store("earlier.db");
    char *before = dump_of("earlier.db");
    copy_in("earlier.db", "ref.db");
    run_ok(ARGS("import", "-q", "--db", "ref.db", "big.csv"));
    char *complete = dump_of("ref.db");
    char missed[512] = "";
    for (int m = READING_CSV; m < NMOMENTS; m++) {
        char db[32];
        snprintf(db, sizeof db, "killed%d.db", m);
        copy_in("earlier.db", db);
        note_miss(missed, sizeof missed, kill_import_at((enum import_moment)m, db, bars_before), moment_name[m]);
        char *path = rbt_path(dir, db), *now = dump_of(db);
        crash_assert_intact(path);
        cr_assert(strcmp(now, before) == 0 || strcmp(now, complete) == 0,
                  "killed at '%s': the store is neither as it was nor the import complete", moment_name[m]);
        rerun_and_compare(db, complete, moment_name[m]);
        free(now);
        free(path);
    }
    log_misses("import into a store", missed);
    free(before);
    free(complete);
}

/* ---------------------------------------------------------------- sweep */

/* 3 fees x 2,000 bands + 3 x 2 calendar rules = 6,006 configurations on half a year of daily bars:
 * the writer commits every 2,000 rows or 200 ms, so the sweep stores in several steps. */
#define SWEEP_CONFIGS 6006LL
static const char sweep_spec[] = "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\nstart = 2022-07-01\n"
                                 "[costs]\nfee-bps = 5, 10, 20\n"
                                 "[threshold]\nband = 0.0001:0.2:0.0001\n"
                                 "[calendar]\nevery = week, month\n";

/* The moments of a sweep: the results file is created, then the sweep recorded and its rows
 * written by one thread in batches, each a transaction; then the sweep is marked done. */
enum sweep_moment { RESULTS_CREATED, FIRST_BATCH_OPEN, HALF_STORED_BATCH_OPEN, ALL_STORED, NSWEEP_MOMENTS };
static const char *const sweep_moment_name[] = {"results store created", "first batch open",
                                                "half stored, a batch open", "every row stored"};

/* Runs stored, or -1 while no sweep is recorded (or no store exists). */
static long long runs_in(const char *db)
{
    return rbt_sqlite_int(db, "SELECT CASE WHEN (SELECT count(*) FROM sweeps) > 0 THEN (SELECT count(*) FROM runs) "
                              "ELSE -1 END");
}

static int results_created(crash_watch *w) { return crash_file_size(w->db) >= 0; }

/* A batch is being written (the writer holds the WAL write lock, or in a brief sweep's new
 * store, rollback-journal mode, the RESERVED lock: rb_results_brief) and at least w->rows
 * rows were committed before it. */
static int batch_open(crash_watch *w)
{
    int writing = crash_wal_locked(w->db, CRASH_WAL_WRITE) == 1 || crash_reserved_locked(w->db) == 1;
    return writing && runs_in(w->db) >= w->rows;
}

static int all_stored(crash_watch *w) { return runs_in(w->db) >= SWEEP_CONFIGS; }

static void prepare_sweep(void)
{
    char *crypto = rbt_source_path("data/bundled/crypto_daily.csv");
    run_ok(ARGS("import", "-q", "--db", "prices.db", crypto));
    free(crypto);
    free(rbt_write_file(dir, "grid.ini", sweep_spec));
    run_ok(ARGS("sweep", "-q", "--db", "prices.db", "--results", "full.db", "--threads", "2", "grid.ini"));
}

/* Starts the sweep into results (with --resume when resume) and kills it at the moment;
 * returns 1 when the kill came at that moment. */
static int kill_sweep_at(enum sweep_moment moment, const char *results, int resume)
{
    char *path = rbt_path(dir, results);
    const char *const *argv = resume ? ARGS("sweep", "-q", "--db", "prices.db", "--results", results, "--threads", "2",
                                            "--resume", "grid.ini")
                                     : ARGS("sweep", "-q", "--db", "prices.db", "--results", results, "--threads", "2",
                                            "grid.ini");
    crash_watch w = {.pid = crash_spawn(dir, argv), .dir = dir, .db = path};
    int (*reached)(crash_watch *) = moment == RESULTS_CREATED ? results_created
                                    : moment == ALL_STORED    ? all_stored
                                                              : batch_open;
    w.rows = moment == HALF_STORED_BATCH_OPEN ? SWEEP_CONFIGS / 2 : 0;
    int landed = crash_wait(&w, reached, DEADLINE);
    landed = crash_kill(&w) && landed;
    /* Whatever the moment: both stores intact, one sweep at most, no configuration twice. */
    char *prices = rbt_path(dir, "prices.db");
    crash_assert_intact(prices);
    if (crash_file_size(path) > 0) crash_assert_intact(path);
    if (runs_in(path) >= 0) {
        cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM sweeps"), 1);
        cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) - count(DISTINCT config_id) FROM runs"), 0);
    }
    free(prices);
    free(path);
    return landed;
}

/* --resume, then the store must be the uninterrupted sweep's: one sweep, done, every row. */
static void resume_and_compare(const char *results, const char *complete, const char *when)
{
    run_ok(ARGS("sweep", "-q", "--db", "prices.db", "--results", results, "--threads", "2", "--resume", "grid.ini"));
    char *now = dump_of(results), *path = rbt_path(dir, results);
    cr_assert_str_eq(now, complete, "killed at '%s': the resumed store differs from an uninterrupted sweep", when);
    cr_assert_eq(rbt_sqlite_int(path, "SELECT count(*) FROM runs"), SWEEP_CONFIGS);
    free(path);
    free(now);
}

Test(crash, sweep_killed_at_any_moment_resumes_to_the_uninterrupted_result)
{
    prepare_sweep();
    char *complete = dump_of("full.db");
    char missed[512] = "";
    for (int m = 0; m < NSWEEP_MOMENTS; m++) {
        char results[32];
        snprintf(results, sizeof results, "killed%d.db", m);
        note_miss(missed, sizeof missed, kill_sweep_at((enum sweep_moment)m, results, 0), sweep_moment_name[m]);
        resume_and_compare(results, complete, sweep_moment_name[m]);
    }
    log_misses("sweep", missed);
    free(complete);
}

Test(crash, a_resumed_sweep_killed_again_still_ends_as_the_uninterrupted_one)
{
    prepare_sweep();
    char *complete = dump_of("full.db");
    char missed[512] = "";
    note_miss(missed, sizeof missed, kill_sweep_at(FIRST_BATCH_OPEN, "again.db", 0), "first batch open");
    note_miss(missed, sizeof missed, kill_sweep_at(HALF_STORED_BATCH_OPEN, "again.db", 1), "resumed, half stored");
    note_miss(missed, sizeof missed, kill_sweep_at(ALL_STORED, "again.db", 1), "resumed again, every row stored");
    resume_and_compare("again.db", complete, "first batch, then half stored, then every row stored");
    log_misses("sweep killed again while resuming", missed);
    free(complete);
}
