/* test_mpi.c - rebal sweep across MPI ranks (cli/mpi_sweep.c; built with -Dmpi=enabled):
 * under mpirun on this machine (--oversubscribe), every stored column the same as the
 * single-process sweep's for 1 to 4 ranks, prices read by every rank or broadcast by rank 0;
 * a rank killed mid-sweep stops it with a message naming the rank and the rows stored, and
 * --resume on another number of ranks completes it; SIGINT to mpirun (its default grace
 * before SIGKILL) stops every rank, the sweep is recorded as interrupted and --resume
 * completes it; failed configurations and the rows' texts travel intact. Waits are for what the test must see (rows stored,
 * a process present), never a fixed time. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "results_check.h"
#include "support.h"

static char *dir;

static void setup(void)
{
    dir = rbt_tempdir();
    /* CI runs as root, which Open MPI's mpirun refuses unless told (no effect otherwise). */
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
}

static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}

TestSuite(mpi, .init = setup, .fini = teardown, .timeout = 300);

/* 3 fees x 2 tax rates x 200 bands + 2 calendars x 6: 1,212 configurations, taxed ones too. */
static const char small_spec[] = "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n"
                                 "[costs]\nfee-bps = 5, 10, 20\n"
                                 "[tax]\ntax-short = 0, 0.3\n"
                                 "[threshold]\nband = 0.001:0.2:0.001\n"
                                 "[calendar]\nevery = week, month\n";

/* 60,006 configurations: seconds of work, so that a rank can be killed mid-sweep. */
static const char big_spec[] = "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n"
                               "[costs]\nfee-bps = 5, 10, 20\n"
                               "[threshold]\nband = 0.00001:0.2:0.00001\n"
                               "[calendar]\nevery = week, month\n";

/* The bundled crypto prices in dir/c.db and the specification in dir/s.ini. */
static void prepare(const char *spec)
{
    char *crypto = rbt_source_path("data/bundled/crypto_daily.csv");
    rbt_run_result r = rbt_run(dir, NULL, RBT_KV("import", "-q", "--db", "c.db", crypto));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(crypto);
    free(rbt_write_file(dir, "s.ini", spec));
}

static void sweep_alone(const char *results)
{
    rbt_run_result r = rbt_run(dir, NULL, RBT_KV("sweep", "-q", "--db", "c.db", "--results", results, "s.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
}

/* argv of `mpirun --oversubscribe -n RANKS [MCA] rebal sweep -q --db c.db --results RESULTS
 * --threads 1 s.ini [extra]`; kill_grace: mpirun's seconds between SIGCONT, SIGTERM and
 * SIGKILL when it stops the ranks (0: its default). */
typedef struct mpi_argv {
    char ranks[16], grace[16];
    const char *argv[24];
} mpi_argv;

static void mpi_args(mpi_argv *a, int ranks, int kill_grace, const char *results, const char *extra)
{
    snprintf(a->ranks, sizeof a->ranks, "%d", ranks);
    snprintf(a->grace, sizeof a->grace, "%d", kill_grace);
    size_t n = 0;
    a->argv[n++] = "--oversubscribe";
    if (kill_grace) a->argv[n++] = "--mca", a->argv[n++] = "odls_base_sigkill_timeout", a->argv[n++] = a->grace;
    a->argv[n++] = "-n", a->argv[n++] = a->ranks, a->argv[n++] = getenv("REBAL_BIN");
    const char *rest[] = {"sweep", "-q", "--db", "c.db", "--results", results, "--threads", "1", "s.ini"};
    for (size_t i = 0; i < sizeof rest / sizeof *rest; i++) a->argv[n++] = rest[i];
    if (extra) a->argv[n++] = extra;
    a->argv[n] = NULL;
}

static rbt_run_result mpirun(int ranks, const char *results, const char *extra)
{
    mpi_argv a;
    mpi_args(&a, ranks, 0, results, extra);
    return rbt_run_program(dir, "mpirun", a.argv);
}

static void assert_same_as(const char *alone, const char *other)
{
    char *a = rbt_path(dir, alone), *b = rbt_path(dir, other);
    assert_same_runs(a, 1, b, 1);
    cr_assert_eq(rbt_sqlite_int(b, "SELECT count(*) - count(DISTINCT config_id) FROM runs"), 0, "duplicate rows");
    cr_assert_eq(rbt_sqlite_int(a, "SELECT count(*) FROM runs"), rbt_sqlite_int(b, "SELECT count(*) FROM runs"));
    free(a), free(b);
}

Test(mpi, every_metric_is_the_single_process_ones_on_1_to_4_ranks, .timeout = 600)
{
    prepare(small_spec);
    sweep_alone("alone.db");
    for (int ranks = 1; ranks <= 4; ranks++) {
        char name[32];
        snprintf(name, sizeof name, "ranks%d.db", ranks);
        rbt_run_result r = mpirun(ranks, name, NULL);
        cr_assert_eq(r.status, 0, "%d ranks: %s", ranks, r.err);
        cr_assert_not_null(strstr(r.out, "1212 configurations in"), "%d ranks: %s", ranks, r.out);
        rbt_run_result_free(&r);
        assert_same_as("alone.db", name);
    }
}

Test(mpi, prices_broadcast_by_rank_0_give_the_same_results)
{
    prepare(small_spec);
    sweep_alone("alone.db");
    rbt_run_result r = mpirun(3, "bcast.db", "--broadcast-prices");
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    assert_same_as("alone.db", "bcast.db");
}

/* Rows with the next-open note among their texts and configurations that fail (their
 * messages travel apart from the rows: cli/mpi_pack.c) on 3 ranks, as in one process. */
Test(mpi, failed_configurations_and_the_exec_note_come_through_as_in_one_process)
{
    char *stocks = rbt_source_path("data/bundled/stocks_monthly.csv");
    rbt_run_result r = rbt_run(dir, NULL, RBT_KV("import", "-q", "--db", "c.db", stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(stocks);
    free(rbt_write_file(dir, "s.ini", "[data]\nassets = AAPL=0.25, AMZN=0.25, IBM=0.25, MSFT=0.25\nexec = next-open\n"
                                      "[costs]\nfee-bps = 0, 10\namm-depth = 0, 1000, 1e9\n"
                                      "[calendar]\nevery = quarter, year\n[threshold]\nband = 0.01:0.3:0.01\n"));
    r = rbt_run(dir, NULL, RBT_KV("sweep", "-q", "--db", "c.db", "--results", "alone.db", "s.ini"));
    cr_assert_eq(r.status, 1, "some configurations fail: %s", r.err);
    rbt_run_result_free(&r);
    r = mpirun(3, "ranks3.db", NULL);
    cr_assert_eq(r.status, 1, "some configurations fail: %s", r.err);
    cr_assert_not_null(strstr(r.err, "exceeds the AMM pool"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "warning: --exec next-open on close-only data"), "%s", r.err);
    rbt_run_result_free(&r);
    assert_same_as("alone.db", "ranks3.db");
    char *db = rbt_path(dir, "ranks3.db");
    cr_assert_gt(rbt_sqlite_int(db, "SELECT count(*) FROM runs WHERE status = 'failed'"), 0);
    cr_assert_gt(rbt_sqlite_int(db, "SELECT count(*) FROM runs WHERE status = 'ok'"), 0);
    free(db);
}

Test(mpi, a_sweep_already_complete_and_a_bad_specification_end_every_rank)
{
    prepare(small_spec);
    rbt_run_result r = mpirun(3, "res.db", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    r = mpirun(3, "res.db", NULL); /* rank 0 shows the stored sweep; the workers get nothing */
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "already in res.db"), "%s", r.out);
    rbt_run_result_free(&r);
    free(rbt_write_file(dir, "s.ini", "[data]\nassets = BTC=1\n[threshold]\nband = 2\n"));
    r = mpirun(3, "res.db", NULL);
    cr_assert_neq(r.status, 0);
    cr_assert_not_null(strstr(r.err, "s.ini"), "%s", r.err);
    rbt_run_result_free(&r);
}

/* mpirun in the background, output to dir/bg.out and dir/bg.err; its ranks carry
 * REBAL_TEST_DIR=dir in their environment, which is how the test finds them. */
static pid_t spawn_mpirun(const mpi_argv *a)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (chdir(dir) != 0 || !freopen("bg.out", "w", stdout) || !freopen("bg.err", "w", stderr)) _exit(126);
        setenv("REBAL_TEST_DIR", dir, 1);
        const char *args[32] = {"mpirun"};
        for (size_t i = 0; a->argv[i]; i++) args[i + 1] = a->argv[i];
        execvp("mpirun", (char *const *)args);
        _exit(127);
    }
    return pid;
}

/* The pid of this test's rank `rank` (0: not started yet). */
static pid_t rank_pid(int rank)
{
    char want_dir[4200], want_rank[64];
    snprintf(want_dir, sizeof want_dir, "REBAL_TEST_DIR=%s", dir);
    snprintf(want_rank, sizeof want_rank, "OMPI_COMM_WORLD_RANK=%d", rank);
    DIR *proc = opendir("/proc");
    pid_t found = 0;
    for (struct dirent *e; proc && !found && (e = readdir(proc));) {
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
        size_t len = 0;
        char *env = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? rbt_read_file(path, &len) : NULL;
        int dir_ok = 0, rank_ok = 0;
        for (size_t at = 0; env && at < len; at += strlen(env + at) + 1) {
            dir_ok |= strcmp(env + at, want_dir) == 0;
            rank_ok |= strcmp(env + at, want_rank) == 0;
        }
        if (dir_ok && rank_ok) found = (pid_t)atoi(e->d_name);
        free(env);
    }
    if (proc) closedir(proc);
    return found;
}

typedef struct watch {
    pid_t mpirun;
    const char *db;
    long long rows;
    int ended, status;
} watch;

/* rows runs stored, and rank 2 started; or mpirun ended by itself. */
static int progressed(void *ctx)
{
    watch *w = ctx;
    if (!w->ended && waitpid(w->mpirun, &w->status, WNOHANG) == w->mpirun) w->ended = 1;
    return w->ended || (rbt_sqlite_int(w->db, "SELECT count(*) FROM runs") >= w->rows && rank_pid(2) > 0);
}

static char *bg_err(void)
{
    char *path = rbt_path(dir, "bg.err"), *text = rbt_read_file(path, NULL);
    free(path);
    return text ? text : calloc(1, 1);
}

/* The sweep of dir/s.ini started on 3 ranks in the background (kill_grace: mpi_args), once
 * it has stored a row and rank 2 runs; returns its results store's path (malloc'ed). */
static char *start_on_3_ranks(watch *w, int kill_grace, const char *results)
{
    mpi_argv a;
    mpi_args(&a, 3, kill_grace, results, NULL);
    char *db = rbt_path(dir, results);
    *w = (watch){.mpirun = spawn_mpirun(&a), .db = db, .rows = 1};
    cr_assert(rbt_wait_until(progressed, w, 240), "no row stored in 240 s");
    cr_assert(!w->ended, "the sweep ended before it could be stopped: %s", bg_err());
    return db;
}

/* "interrupted after N of M configurations (stored)": N, which must be what the store holds. */
static void assert_stored_count_said(const char *err, const char *db)
{
    const char *at = strstr(err, "interrupted after ");
    cr_assert_not_null(at, "%s", err);
    long long said = atoll(at + strlen("interrupted after "));
    cr_assert_eq(said, rbt_sqlite_int(db, "SELECT count(*) FROM runs"), "%s", err);
    sqlite3 *h = db_open(db);
    char *status = query_text(h, "SELECT status FROM sweeps");
    cr_assert_str_eq(status, "interrupted");
    free(status);
    sqlite3_close(h);
    cr_assert_eq(rbt_sqlite_int(db, "SELECT count(*) - count(DISTINCT config_id) FROM runs"), 0, "duplicate rows");
}

Test(mpi, a_rank_killed_mid_sweep_is_named_and_resume_on_2_ranks_completes_it)
{
    prepare(big_spec);
    sweep_alone("alone.db");
    /* mpirun stops the other ranks when one dies: SIGCONT, then SIGTERM (rank 0 then stores
     * what it has, names the rank that did not answer and ends), then SIGKILL, a grace apart:
     * 10 s, so that rank 0 commits in time on a loaded machine. */
    watch w;
    char *db = start_on_3_ranks(&w, 10, "killed.db");
    pid_t pid = w.mpirun, victim = rank_pid(2);
    cr_assert_gt(victim, 0);
    kill(victim, SIGKILL);
    cr_assert_eq(waitpid(pid, &w.status, 0), pid);
    cr_assert(!WIFEXITED(w.status) || WEXITSTATUS(w.status) != 0, "mpirun succeeded after a rank was killed");
    char *err = bg_err();
    /* Rank 2 is named; rank 1, alive, may be too when it was slower to stop than rank 0 waits. */
    const char *note = strstr(err, "rebal: the sweep stopped: no answer from rank");
    cr_assert_not_null(note, "%s", err);
    const char *two = strstr(note, " 2 within");
    cr_assert(two && two < note + strcspn(note, "\n"), "rank 2 is not named: %s", err);
    assert_stored_count_said(err, db);
    cr_assert_lt(rbt_sqlite_int(db, "SELECT count(*) FROM runs"), 60006);
    free(err);

    rbt_run_result r = mpirun(2, "killed.db", "--resume");
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    assert_same_as("alone.db", "killed.db");
    free(db);
}

/* SIGINT to mpirun: rank 0 commits the rows it has and the interrupted status before
 * mpirun's SIGKILL, and --resume (on 2 ranks) completes the sweep. The grace between
 * SIGTERM and SIGKILL is 5 s here: mpirun's own, 1 s, is what an idle machine needs, but a
 * loaded CI machine once took longer and rank 0 was killed with the status still 'running'.
 * mpirun, once every rank has ended, may exit before it forwards rank 0's last lines (seen
 * here in about half the runs with its default grace): the store is what must hold; the
 * lines are checked when they came (always, in the killed-rank test above). */
Test(mpi, sigint_to_mpirun_stops_every_rank_and_the_sweep_is_interrupted)
{
    /* mpirun sends rank 0 its SIGTERM the grace (5 s) after the SIGINT, so the sweep must
     * still run by then. How long it runs depends on the machine and the build (300,000
     * configurations end in about 4 s on 2 cores, ten times later under AddressSanitizer):
     * a sweep that ended first, stored whole, is no failure, and the next try sweeps four
     * times as many configurations. */
    static const struct {
        const char *taxes, *bands;
        long long configurations;
    } tries[] = {
        {"0, 0.1, 0.2", "0.00001:0.2:0.00001", 300000},
        {"0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.22", "0.00001:0.2:0.00001", 1200000},
        {"0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.22", "0.0000025:0.2:0.0000025", 4800000},
    };
    const size_t ntries = sizeof tries / sizeof tries[0];
    char *db = NULL, *err = NULL, *status = NULL, results[32];
    long long n = 0;
    for (size_t t = 0; t < ntries; t++) {
        char spec[512];
        snprintf(spec, sizeof spec,
                 "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n[costs]\nfee-bps = 5, 10, 20, 30, 40\n"
                 "[tax]\ntax-short = %s\n[threshold]\nband = %s\n",
                 tries[t].taxes, tries[t].bands);
        if (t == 0) prepare(spec);
        else free(rbt_write_file(dir, "s.ini", spec));
        snprintf(results, sizeof results, "int%zu.db", t);
        n = tries[t].configurations;
        watch w;
        db = start_on_3_ranks(&w, 5, results);
        kill(w.mpirun, SIGINT);
        cr_assert_eq(waitpid(w.mpirun, &w.status, 0), w.mpirun);
        err = bg_err();
        sqlite3 *h = db_open(db);
        status = query_text(h, "SELECT status FROM sweeps");
        sqlite3_close(h);
        if (strcmp(status, "done") != 0 || t + 1 == ntries) break;
        cr_assert_eq(rbt_sqlite_int(db, "SELECT count(*) FROM runs"), n, "a sweep stored as done is not whole");
        free(status);
        free(err);
        free(db);
    }
    cr_assert_str_eq(status, "interrupted", "%s", err);
    free(status);
    cr_assert_eq(rbt_sqlite_int(db, "SELECT count(*) - count(DISTINCT config_id) FROM runs"), 0, "duplicate rows");
    cr_assert_lt(rbt_sqlite_int(db, "SELECT count(*) FROM runs"), n);
    if (strstr(err, "interrupted after ")) {
        assert_stored_count_said(err, db);
        cr_assert_not_null(strstr(err, "continue with: mpirun -n 3 rebal sweep"), "%s", err);
    }
    free(err);

    rbt_run_result r = mpirun(2, results, "--resume");
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    cr_assert_eq(rbt_sqlite_int(db, "SELECT count(DISTINCT config_id) FROM runs"), n, "a row missing");
    cr_assert_eq(rbt_sqlite_int(db, "SELECT count(*) FROM runs"), n, "duplicate rows");
    sqlite3 *h = db_open(db);
    status = query_text(h, "SELECT status FROM sweeps");
    cr_assert_str_eq(status, "done");
    free(status);
    sqlite3_close(h);
    free(db);
}

/* A sweep file in another directory names its venue files relative to itself: every rank
 * reads them there (rank 0 sends the file's path with its text), as one process does. */
Test(mpi, venue_files_relative_to_the_sweep_file_are_read_by_every_rank)
{
    prepare(small_spec);
    char *sub = rbt_subdir(dir, "grid");
    free(rbt_write_file(sub, "v.ini", "[pool]\nkind = pool\ndepth = 2e8\nfee-bps = 30\n"
                                      "[cex]\nkind = exchange\nfee-bps = 10\n[assets]\nBTC = pool, cex\nETH = cex\n"));
    free(rbt_write_file(sub, "g.ini", "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n[venues]\nvenues = v.ini\n"
                                      "[threshold]\nband = 0.01:0.2:0.01\n"));
    rbt_run_result r = rbt_run(dir, NULL, RBT_KV("sweep", "-q", "--db", "c.db", "--results", "alone.db", "grid/g.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    const char *argv[] = {"--oversubscribe", "-n", "3", getenv("REBAL_BIN"), "sweep", "-q", "--db", "c.db",
                          "--results", "ranks.db", "--threads", "1", "grid/g.ini", NULL};
    r = rbt_run_program(dir, "mpirun", argv);
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    assert_same_as("alone.db", "ranks.db");
    free(sub);
}

/* A rank started in another directory, where a file of the same name holds other venues,
 * would run other configurations under rank 0's results: it refuses, naming the files. */
Test(mpi, a_rank_that_reads_other_files_than_rank_0_ends_the_sweep)
{
    prepare(small_spec);
    char *a = rbt_subdir(dir, "a"), *b = rbt_subdir(dir, "b"), *db = rbt_path(dir, "c.db"), *res = rbt_path(dir, "r.db");
    free(rbt_write_file(a, "v.ini", "[cex]\nkind = exchange\nfee-bps = 10\n[assets]\nBTC = cex\n"));
    free(rbt_write_file(b, "v.ini", "[cex]\nkind = exchange\nfee-bps = 25\n[assets]\nBTC = cex\n"));
    free(rbt_write_file(a, "g.ini", "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n[venues]\nvenues = v.ini\n"
                                    "[threshold]\nband = 0.01:0.2:0.01\n"));
    const char *argv[] = {"--oversubscribe", "-n", "1", "--wdir", a, getenv("REBAL_BIN"), "sweep", "-q", "--db", db,
                          "--results", res, "--threads", "1", "g.ini", ":", "-n", "1", "--wdir", b,
                          getenv("REBAL_BIN"), "sweep", "-q", "--db", db, "--results", res, "--threads", "1", "g.ini",
                          NULL};
    rbt_run_result r = rbt_run_program(dir, "mpirun", argv);
    cr_assert_neq(r.status, 0, "%s", r.out);
    cr_assert_not_null(strstr(r.err, "rank 1 reads other files than rank 0 for this sweep (venues = v.ini)"), "%s",
                       r.err);
    rbt_run_result_free(&r);
    /* nothing was recorded as this sweep's result */
    cr_assert_leq(rbt_sqlite_int(res, "SELECT count(*) FROM runs"), 0);
    free(a), free(b), free(db), free(res);
}

/* --broadcast-prices with configurations that read stored series (pool depth, gas): the
 * workers get the series too, in a store in memory, and store what one process stores. */
Test(mpi, broadcast_prices_carry_the_series_the_sweep_reads)
{
    prepare("[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n[costs]\namm-depth-series = BTC=depth-BTC\n"
            "gas-series = gas\ngas = 0.002\n[threshold]\nband = 0.002:0.2:0.002\n");
    char *depth = rbt_source_path("data/bundled/crypto_depth_BTC.csv"), *gas = rbt_source_path("data/bundled/crypto_gas.csv");
    rbt_run_ok(dir, RBT_KV("import", "-q", "--db", "c.db", "--series", "depth-BTC", depth));
    rbt_run_ok(dir, RBT_KV("import", "-q", "--db", "c.db", "--series", "gas", gas));
    free(depth), free(gas);
    sweep_alone("alone.db");
    rbt_run_result r = mpirun(3, "bcast.db", "--broadcast-prices");
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    assert_same_as("alone.db", "bcast.db");
    char *b = rbt_path(dir, "bcast.db");
    cr_assert_eq(rbt_sqlite_int(b, "SELECT count(*) FROM runs WHERE status = 'failed'"), 0);
    cr_assert_eq(rbt_sqlite_int(b, "SELECT count(*) FROM runs WHERE gas_paid > 0"), 100);
    free(b);
}
