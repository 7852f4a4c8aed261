/* support.c - scratch files and subprocess helpers for the Criterion suites. */
#include "support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run_result.h"
#include "trade.h"

char *rbt_tempdir(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    char *tmpl = NULL;
    cr_assert(asprintf(&tmpl, "%s/rebal-test-XXXXXX", base) > 0);
    cr_assert_not_null(mkdtemp(tmpl), "mkdtemp(%s): %s", tmpl, strerror(errno));
    return tmpl;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void rbt_rmtree(const char *dir)
{
    if (dir) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *rbt_path(const char *dir, const char *name)
{
    char *p = NULL;
    cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

char *rbt_subdir(const char *dir, const char *name)
{
    char *p = rbt_path(dir, name);
    cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
    return p;
}

char *rbt_write_file(const char *dir, const char *name, const char *text)
{
    char *p = rbt_path(dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f, "fopen(%s): %s", p, strerror(errno));
    size_t n = strlen(text);
    cr_assert_eq(fwrite(text, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
    return p;
}

char *rbt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

int rbt_same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

int rbt_same_bytes(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    char *x = rbt_read_file(a, &na), *y = rbt_read_file(b, &nb);
    int same = (!x && !y) || (x && y && na == nb && memcmp(x, y, na) == 0);
    free(x);
    free(y);
    return same;
}

int rbt_same_store(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    char *x = rbt_read_file(a, &na), *y = rbt_read_file(b, &nb);
    int same = (!x && !y) || (x && y && na == nb);
    if (same && x && na >= 100) { /* the SQLite header's counters: offsets 24 and 92, 4 bytes each */
        memcpy(x + 24, y + 24, 4);
        memcpy(x + 92, y + 92, 4);
    }
    same = same && (!x || memcmp(x, y, na) == 0);
    free(x);
    free(y);
    return same;
}

void rbt_copy_file(const char *from, const char *to)
{
    size_t n = 0;
    char *data = rbt_read_file(from, &n);
    cr_assert_not_null(data, "cannot read %s", from);
    FILE *f = fopen(to, "wb");
    cr_assert_not_null(f, "fopen(%s): %s", to, strerror(errno));
    cr_assert_eq(fwrite(data, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
    free(data);
}

char *rbt_source_path(const char *rel)
{
    const char *root = getenv("REBAL_SOURCE_DIR");
    cr_assert_not_null(root, "REBAL_SOURCE_DIR is not set (run the suites through meson test)");
    return rbt_path(root, rel);
}

/* Drains both pipes until EOF; a child writing a lot to one pipe cannot dead-lock us. */
static void drain(int fd_out, int fd_err, char **out, char **err)
{
    size_t cap[2] = {4096, 4096}, len[2] = {0, 0};
    char *buf[2] = {malloc(cap[0]), malloc(cap[1])};
    int fds[2] = {fd_out, fd_err}, open_fds = 2;
    cr_assert(buf[0] && buf[1]);
    while (open_fds > 0) {
        fd_set set;
        FD_ZERO(&set);
        int maxfd = -1;
        for (int i = 0; i < 2; i++)
            if (fds[i] >= 0) {
                FD_SET(fds[i], &set);
                if (fds[i] > maxfd) maxfd = fds[i];
            }
        if (select(maxfd + 1, &set, NULL, NULL, NULL) < 0) {
            if (errno == EINTR) continue;
            cr_assert_fail("select: %s", strerror(errno));
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i] < 0 || !FD_ISSET(fds[i], &set)) continue;
            if (cap[i] - len[i] < 1024) {
                cap[i] *= 2;
                buf[i] = realloc(buf[i], cap[i]);
                cr_assert_not_null(buf[i]);
            }
            ssize_t got = read(fds[i], buf[i] + len[i], cap[i] - len[i] - 1);
            if (got <= 0) {
                close(fds[i]);
                fds[i] = -1;
                open_fds--;
            } else {
                len[i] += (size_t)got;
            }
        }
    }
    buf[0][len[0]] = '\0';
    buf[1][len[1]] = '\0';
    *out = buf[0];
    *err = buf[1];
}

static rbt_run_result run_binary(const char *bin, int search, const char *cwd, const char *const *env,
                                 const char *const *argv);

rbt_run_result rbt_run(const char *cwd, const char *const *env, const char *const *argv)
{
    const char *bin = getenv("REBAL_BIN");
    cr_assert_not_null(bin, "REBAL_BIN is not set (run the suites through meson test)");
    return run_binary(bin, 0, cwd, env, argv);
}

rbt_run_result rbt_run_program(const char *cwd, const char *program, const char *const *argv)
{
    return run_binary(program, 1, cwd, NULL, argv);
}

static rbt_run_result run_binary(const char *bin, int search, const char *cwd, const char *const *env,
                                 const char *const *argv)
{
    int po[2], pe[2];
    cr_assert_eq(pipe(po), 0);
    cr_assert_eq(pipe(pe), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        if (cwd && chdir(cwd) != 0) _exit(126);
        for (const char *const *e = env; e && *e; e++) putenv((char *)*e);
        size_t n = 0;
        while (argv[n]) n++;
        char **args = calloc(n + 2, sizeof *args);
        if (!args) _exit(126);
        args[0] = (char *)bin;
        for (size_t i = 0; i < n; i++) args[i + 1] = (char *)argv[i];
        if (search) execvp(bin, args);
        else execv(bin, args);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    rbt_run_result r = {0};
    drain(po[0], pe[0], &r.out, &r.err);
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

void rbt_run_result_free(rbt_run_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

void rbt_run_ok(const char *cwd, const char *const *argv)
{
    rbt_run_result r = rbt_run(cwd, NULL, argv);
    cr_assert_eq(r.status, 0, "rebal %s: exit %d: %s", argv[0], r.status, r.err);
    rbt_run_result_free(&r);
}

/* ---------------------------------------------------------------- runs */

void rbt_assert_close(double got, double want, double rel, const char *what)
{
    double tol = rel * fmax(1, fabs(want));
    cr_assert(fabs(got - want) <= tol, "%s: got %.15g, want %.15g", what, got, want);
}

rb_store *rbt_store_from_csv(const char *dir, const char *csv, const char *symbol)
{
    char *path = rbt_write_file(dir, "prices.csv", csv);
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(":memory:", 0, &s, &err), RB_OK, "%s", err.msg);
    rb_import_options opt;
    rb_import_options_init(&opt);
    opt.symbol = symbol;
    rb_import_stats stats;
    cr_assert_eq(rb_import_files(s, (const char *const[]){path}, 1, &opt, &stats, &err), RB_OK, "%s", err.msg);
    free(path);
    return s;
}

rb_store *rbt_bundled_store(const char *dir, const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "data/bundled/%s", name);
    char *csv = rbt_source_path(rel);
    char *text = rbt_read_file(csv, NULL);
    cr_assert_not_null(text, "%s", csv);
    rb_store *s = rbt_store_from_csv(dir, text, NULL);
    free(text);
    free(csv);
    return s;
}

rb_run_spec *rbt_spec(const char *const *kv)
{
    rb_run_spec *spec = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
    for (size_t i = 0; kv[i]; i += 2) cr_assert_eq(rb_run_spec_set(spec, kv[i], kv[i + 1], &err), RB_OK, "%s", err.msg);
    return spec;
}

rb_run_result *rbt_run_store(rb_store *store, const char *const *kv, unsigned keep)
{
    rb_run_spec *spec = rbt_spec(kv);
    rb_run_result *r = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_run(store, spec, keep, &r, &err), RB_OK, "%s", err.msg);
    rb_run_spec_free(spec);
    return r;
}

rb_run_result *rbt_run_csv(const char *dir, const char *csv, const char *const *kv, unsigned keep)
{
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    rb_run_result *r = rbt_run_store(s, kv, keep);
    rb_store_free(s);
    return r;
}

rb_status rbt_run_expect_error(const char *dir, const char *csv, const char *const *kv, const char *needle)
{
    rb_store *s = rbt_store_from_csv(dir, csv, NULL);
    rb_run_spec *spec = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
    rb_status rc = RB_OK;
    for (size_t i = 0; kv[i] && rc == RB_OK; i += 2) rc = rb_run_spec_set(spec, kv[i], kv[i + 1], &err);
    rb_run_result *r = NULL;
    if (rc == RB_OK) rc = rb_run(s, spec, 0, &r, &err);
    cr_assert_neq(rc, RB_OK, "expected an error containing '%s'", needle);
    cr_assert_null(r);
    cr_assert_not_null(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
    cr_assert_null(strchr(err.msg, '\n'), "message '%s' is not one line", err.msg);
    rb_run_spec_free(spec);
    rb_store_free(s);
    return rc;
}

/* ---------------------------------------------------------------- watching another process */

long long rbt_sqlite_int(const char *path, const char *sql)
{
    if (access(path, F_OK) != 0) return -1;
    sqlite3 *db = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 10000);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    return v;
}

const char rbt_three_bars[] = "symbol,date,close\nX,2020-01-01,100\nX,2020-01-02,125\nX,2020-01-03,80\n";

rb_store *rbt_three_bar_depth_store(const char *dir)
{
    rb_store *s = rbt_store_from_csv(dir, rbt_three_bars, NULL);
    rb_error err = {0};
    rb_time t[] = {1577836800, 1577836800 + 2 * 86400};
    double depth[] = {1e6, 4e6};
    cr_assert_eq(rb_series_import_arrays(s, "depth-X", t, depth, 2, 0, NULL, &err), RB_OK, "%s", err.msg);
    return s;
}

int rbt_wait_until(int (*check)(void *ctx), void *ctx, double seconds)
{
    struct timespec start, now, pause = {0, 1000000L};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (check(ctx)) return 1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - start.tv_sec) + 1e-9 * (double)(now.tv_nsec - start.tv_nsec) > seconds) return 0;
        nanosleep(&pause, NULL);
    }
}

int rbt_thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

int rbt_threads_at_most(void *ctx) { return rbt_thread_count() <= *(const int *)ctx; }

/* ---------------------------------------------------------------- no look-ahead */

void rbt_random_walk(size_t T, double *px, uint64_t seed)
{
    uint64_t x = seed;
    px[0] = 100, px[1] = 50;
    for (size_t t = 1; t < T; t++) {
        double u[2];
        for (int k = 0; k < 2; k++) { /* xorshift64 */
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            u[k] = (double)(x >> 11) * 0x1.0p-53;
        }
        double vol = t % 40 < 20 ? 0.005 : 0.06;
        px[t * 2] = px[(t - 1) * 2] * exp(0.002 + vol * (u[0] - 0.5));
        px[t * 2 + 1] = px[(t - 1) * 2 + 1] * exp(-0.001 + 0.7 * vol * (u[1] - 0.5));
    }
}

void rbt_same_up_to(const rb_run_result *a, const rb_run_result *b, size_t k, const char *what)
{
    size_t N = a->m->N;
    for (size_t t = 0; t <= k; t++) {
        cr_assert(memcmp(&a->sim.value[t], &b->sim.value[t], sizeof(double)) == 0, "%s: value differs at bar %zu",
                  what, t);
        cr_assert(memcmp(&a->sim.cash[t], &b->sim.cash[t], sizeof(double)) == 0, "%s: cash differs at bar %zu", what,
                  t);
        cr_assert(memcmp(a->sim.weights + t * N, b->sim.weights + t * N, N * sizeof(double)) == 0,
                  "%s: weights differ at bar %zu", what, t);
        cr_assert(memcmp(a->sim.targets + t * N, b->sim.targets + t * N, N * sizeof(double)) == 0,
                  "%s: targets differ at bar %zu", what, t);
    }
    size_t na = 0, nb = 0;
    while (na < a->sim.portfolio.ntrades && a->sim.portfolio.trades[na].bar <= k) na++;
    while (nb < b->sim.portfolio.ntrades && b->sim.portfolio.trades[nb].bar <= k) nb++;
    cr_assert_eq(na, nb, "%s: %zu vs %zu orders up to bar %zu", what, na, nb, k);
    for (size_t j = 0; j < na; j++) {
        const rb_trade *x = &a->sim.portfolio.trades[j], *y = &b->sim.portfolio.trades[j];
        cr_assert(x->bar == y->bar && x->asset == y->asset && x->kind == y->kind && x->skipped == y->skipped &&
                      memcmp(&x->units, &y->units, sizeof x->units) == 0 &&
                      memcmp(&x->price, &y->price, sizeof x->price) == 0,
                  "%s: order %zu differs", what, j);
    }
}
