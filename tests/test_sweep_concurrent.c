/* test_sweep_concurrent.c - two sweeps recorded into one results store at once: each prints
 * its own summary and writes its own --report and --keep best:N, not those of the latest
 * sweep in the store (issue 14, defect 9).
 *
 * Ordered by conditions, never by time: sweep A's standard error is a pipe the test has
 * filled, so A blocks on its first progress line, which it writes right after recording its
 * sweep row and before it runs anything (no transaction open). Once that row is in the
 * store, sweep B runs whole into the same store; then the test drains the pipe and A
 * finishes. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}

TestSuite(sweep_concurrent, .init = setup, .fini = teardown);

static void run_ok(const char *const *argv) { rbt_run_ok(dir, argv); }

/* A pipe whose buffer is full: whoever writes into it blocks until the other end reads.
 * Returns the write end; *read_end and *filled (the bytes in it) are set. */
static int full_pipe(int *read_end, size_t *filled)
{
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    int flags = fcntl(fd[1], F_GETFL);
    cr_assert_eq(fcntl(fd[1], F_SETFL, flags | O_NONBLOCK), 0);
    char block[4096];
    memset(block, 'x', sizeof block);
    *filled = 0;
    for (size_t size = sizeof block; size > 0; size /= 2) { /* to the last byte */
        ssize_t n;
        while ((n = write(fd[1], block, size)) > 0) *filled += (size_t)n;
        cr_assert(n < 0 && errno == EAGAIN, "filling the pipe: %s", strerror(errno));
    }
    cr_assert_eq(fcntl(fd[1], F_SETFL, flags), 0); /* the sweep must block on it, not fail */
    *read_end = fd[0];
    return fd[1];
}

/* Starts `rebal sweep ARGS...` in dir with stdout to dir/out and stderr into err_fd. */
static pid_t spawn_sweep(int err_fd, const char *out, const char *const *args)
{
    const char *bin = getenv("REBAL_BIN");
    const char *argv[32] = {bin, "sweep"};
    size_t n = 2;
    for (; *args && n < 31; args++) argv[n++] = *args;
    argv[n] = NULL;
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (chdir(dir) != 0 || !freopen(out, "w", stdout) || dup2(err_fd, 2) < 0) _exit(126);
        close(err_fd);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Reads fd to its end: what came after the first `skip` bytes (malloc'ed). */
static char *drain(int fd, size_t skip)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        cr_assert(n > 0, "reading the pipe: %s", strerror(errno));
        size_t drop = skip < (size_t)n ? skip : (size_t)n;
        fwrite(buf + drop, 1, (size_t)n - drop, f);
        skip -= drop;
    }
    fclose(f);
    close(fd);
    return text;
}

static int sweep_recorded(void *path) { return rbt_sqlite_int(path, "SELECT count(*) FROM sweeps") >= 1; }

/* The name of a file in dir/sub that starts with prefix, or NULL (malloc'ed). */
static char *file_starting(const char *sub, const char *prefix)
{
    char *path = rbt_path(dir, sub), *found = NULL;
    DIR *d = opendir(path);
    for (struct dirent *e; d && !found && (e = readdir(d));)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) found = strdup(e->d_name);
    if (d) closedir(d);
    free(path);
    return found;
}

/* Sweep A (args), held once it has recorded its sweep, while sweep B runs whole into the
 * same store: B's summary must be of B (sweep 2); returns A's exit status and its stdout
 * (malloc'ed). A: 12 threshold configurations; B: 4 others, none of A's. */
static int sweep_beside_another(const char *const *a_args, char **a_out)
{
    run_ok(ARGS("synth", "--days", "120", "-o", "p.csv"));
    run_ok(ARGS("import", "-q", "--db", "p.db", "p.csv"));
    free(rbt_write_file(dir, "a.ini", "[data]\nassets = BTC=0.5,ETH=0.5\n[threshold]\nband = 0.01:0.12:0.01\n"));
    free(rbt_write_file(dir, "b.ini", "[data]\nassets = BTC=0.5,ETH=0.5\n[calendar]\nevery = week, month, quarter\n"
                                      "[buy-and-hold]\n"));
    int read_end;
    size_t filled;
    int write_end = full_pipe(&read_end, &filled);
    pid_t a = spawn_sweep(write_end, "a.out", a_args);
    close(write_end);
    char *results = rbt_path(dir, "r.db");
    if (!rbt_wait_until(sweep_recorded, results, 120)) {
        kill(a, SIGKILL);
        waitpid(a, NULL, 0);
        char *err = drain(read_end, filled);
        cr_assert_fail("sweep A recorded no sweep in 120 s: %s", err);
    }
    free(results);

    /* A is held before its first configuration; B runs whole into the same store. */
    rbt_run_result b = rbt_run(dir, NULL, ARGS("sweep", "-q", "--db", "p.db", "--results", "r.db", "b.ini"));
    cr_assert_eq(b.status, 0, "sweep B: %s", b.err);
    cr_expect_not_null(strstr(b.out, "sweep 2 (done): 4 of 4 configurations stored"), "sweep B printed: %s", b.out);
    rbt_run_result_free(&b);

    char *a_err = drain(read_end, filled); /* A goes on */
    int status;
    cr_assert_eq(waitpid(a, &status, 0), a);
    char *out_path = rbt_path(dir, "a.out");
    *a_out = rbt_read_file(out_path, NULL);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) cr_log_error("sweep A's standard error: %s", a_err);
    free(out_path);
    free(a_err);
    return status;
}

Test(sweep_concurrent, a_sweep_prints_and_reports_its_own_runs, .timeout = 240)
{
    char *out;
    int status = sweep_beside_another(
        ARGS("--db", "p.db", "--results", "r.db", "--threads", "1", "--report", "repA", "a.ini"), &out);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sweep A: status %d", status);
    cr_expect_not_null(strstr(out, "sweep 1 (done): 12 of 12 configurations stored"),
                       "sweep A's summary is not of sweep A: %s", out);
    cr_expect_null(strstr(out, "sweep 2"), "sweep A's output names sweep B: %s", out);
    char *conv_path = rbt_path(dir, "repA/conventions.txt"), *conv = rbt_read_file(conv_path, NULL);
    cr_expect(conv && strstr(conv, "sweep 1: 12 configurations"), "the report is not of sweep A: %s",
              conv ? conv : "(no conventions.txt)");
    free(conv), free(conv_path), free(out);
}

Test(sweep_concurrent, a_sweep_keeps_its_own_best_runs, .timeout = 240)
{
    char *out;
    int status = sweep_beside_another(ARGS("--db", "p.db", "--results", "r.db", "--threads", "1", "--keep", "best:1",
                                           "--keep-dir", "keepA", "a.ini"),
                                      &out);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sweep A: status %d", status);
    cr_expect_not_null(strstr(out, "curves, orders and lots of 1 configuration in keepA/"), "%s", out);
    char *kept = file_starting("keepA", "threshold.");
    cr_expect_not_null(kept, "--keep best:1 kept no configuration of sweep A (stdout: %s)", out);
    free(kept), free(out);
}
