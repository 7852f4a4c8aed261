/* test_fault_inject.c - allocation failures along import, run, sweep and report of a small
 * case (fault_stages.c). Each stage runs once with the allocator's switch counting
 * (data/base/alloc.h) to learn its N allocations, the project's and SQLite's together (SQLite
 * allocates through methods installed with SQLITE_CONFIG_MALLOC that consult the same
 * switch); then allocation n alone fails, and separately n and every later one, for each n of
 * a set that reaches every allocation site (below), or for every n in 1..N with
 * REBAL_FAULT_EVERY=1. Each call must end with a clean error (a one-line message that says
 * out of memory) or, where the failure was recoverable, with exactly the baseline's output;
 * must leak nothing (SQLite's outstanding memory, the price matrix's mappings and, under
 * AddressSanitizer, the whole heap are back where they were); and must leave every store
 * intact (PRAGMA integrity_check) with the content it held before. The stages call the
 * library entry points the CLI's commands call (cli/cmd_import.c, cmd_run.c, cmd_sweep.c,
 * cmd_report.c), in this process.
 *
 * A pass that crashes is named on stderr. REBAL_FAULT_ONLY=STAGE:MODE:N (MODE at or from,
 * e.g. sweep:from:1234) runs that one failure point alone and prints its outcome: for a
 * debugger (--debug=gdb, with a breakpoint where alloc.c's rb_alloc_should_fail says yes) or
 * a sanitizer. */
#include <criterion/criterion.h>
#include <execinfo.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "big_alloc.h"
#include "fault_stages.h"
#include "rebal.h"
#include "support.h"

#if defined(__SANITIZE_ADDRESS__)
#define FAULT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAULT_ASAN 1
#endif
#endif
#ifdef FAULT_ASAN
/* The sanitizer runtime's count of heap bytes in use (sanitizer/allocator_interface.h, a header
 * gcc does not ship). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

/* ---------------------------------------------------------------- SQLite through the switch */

static sqlite3_mem_methods sqlite_default;

static void *failing_malloc(int bytes) { return rb_alloc_should_fail() ? NULL : sqlite_default.xMalloc(bytes); }

static void *failing_realloc(void *p, int bytes)
{
    return rb_alloc_should_fail() ? NULL : sqlite_default.xRealloc(p, bytes);
}

/* Must run before SQLite initializes: in each test's process, before any store is opened. */
static void install_sqlite_methods(void)
{
    cr_assert_eq(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_default), SQLITE_OK);
    sqlite3_mem_methods m = sqlite_default;
    m.xMalloc = failing_malloc;
    m.xRealloc = failing_realloc;
    cr_assert_eq(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK,
                 "SQLite was initialized before its allocator could be replaced");
    cr_assert_eq(sqlite3_initialize(), SQLITE_OK);
}

/* ---------------------------------------------------------------- the suite */

static char *dir;

static void setup(void)
{
    install_sqlite_methods();
    /* On a tmpfs where there is one: each pass commits a few times, and thousands of fsyncs
     * to a disk would take most of the suite's time. */
    struct stat sb;
    if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0)
        cr_assert_eq(setenv("TMPDIR", "/dev/shm", 1), 0);
    dir = rbt_tempdir();
    /* Charts keep their data and scripts, but gnuplot is not found: starting it would cost
     * minutes over thousands of failure points. */
    cr_assert_eq(setenv("PATH", dir, 1), 0);
}

static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}

/* No timeout of the whole test: a pass that hangs is named (PASS_DEADLINE), and every failure
 * point in turn (REBAL_FAULT_EVERY) takes many minutes. */
TestSuite(fault_inject, .init = setup, .fini = teardown);

/* ---------------------------------------------------------------- allocation sites */

/* Failing every allocation in turn costs N passes each as long as the work up to it: for a
 * sweep or a report, thousands of passes of tens of milliseconds under AddressSanitizer, too
 * long for CI. By default the suite fails each allocation site at its first and its last
 * allocation instead. A site is where an allocation comes from as this executable's code
 * sees it: the return addresses of its stack that lie in this executable (SQLite's frames
 * left out), so every allocation one SQLite call makes for one call of ours shares a site, as
 * does every allocation of one loop. REBAL_FAULT_EVERY=1 fails every allocation (minutes). */

extern const char __executable_start[], etext[]; /* this executable's code (the linker's symbols) */

static uint64_t *site_of; /* site_of[n - 1]: the site of allocation n of the baseline pass */
static long sites_seen;

/* Called inside the counted pass: allocates nothing (site_of is sized from the pass before). */
static void take_site(long n)
{
    if (n > sites_seen) return; /* the pass allocated more than the one before: refused below */
    void *frame[64];
    int depth = backtrace(frame, 64);
    uint64_t h = 1469598103934665603ull; /* FNV-1a over the addresses */
    for (int i = 1; i < depth; i++)
        if ((const char *)frame[i] >= __executable_start && (const char *)frame[i] < etext)
            h = (h ^ (uint64_t)(uintptr_t)frame[i]) * 1099511628211ull;
    site_of[n - 1] = h;
}

static int by_site_then_n(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] != y[0] ? (x[0] > y[0]) - (x[0] < y[0]) : (x[1] > y[1]) - (x[1] < y[1]);
}

/* The allocations to fail, in order (*npoints of them; malloc'ed): every n with
 * REBAL_FAULT_EVERY=1, else the first and last allocation of each site. *nsites: the sites. */
static long *failure_points(long N, long *npoints, long *nsites)
{
    long *point = calloc((size_t)N + 1, sizeof *point), k = 0;
    cr_assert_not_null(point);
    const char *every = getenv("REBAL_FAULT_EVERY");
    /* (site, n) pairs sorted by site then n: each site's first and last are its run's ends. */
    uint64_t(*pair)[2] = calloc((size_t)N + 1, sizeof *pair);
    cr_assert_not_null(pair);
    for (long n = 1; n <= N; n++) pair[n - 1][0] = site_of[n - 1], pair[n - 1][1] = (uint64_t)n;
    qsort(pair, (size_t)N, sizeof *pair, by_site_then_n);
    *nsites = 0;
    char *chosen = calloc((size_t)N + 1, 1);
    cr_assert_not_null(chosen);
    for (long i = 0; i < N; i++) {
        int first = i == 0 || pair[i][0] != pair[i - 1][0], last = i + 1 == N || pair[i][0] != pair[i + 1][0];
        *nsites += first;
        if (first || last || (every && *every == '1')) chosen[pair[i][1]] = 1;
    }
    for (long n = 1; n <= N; n++)
        if (chosen[n]) point[k++] = n;
    free(chosen);
    free(pair);
    *npoints = k;
    return point;
}

/* ---------------------------------------------------------------- one pass of a stage */

/* Memory held outside the stores: SQLite's (exact, from its own accounting), the price
 * matrix's mappings and, under AddressSanitizer, the whole heap. A pass must leave each as it
 * found it. */
typedef struct held {
    long long sqlite, heap, big;
} held;

static held memory_held(void)
{
    held h = {.sqlite = sqlite3_memory_used(), .big = rb_big_live()};
#ifdef FAULT_ASAN
    h.heap = (long long)__sanitizer_get_current_allocated_bytes();
#endif
    return h;
}

/* The stage's output goes to a file with a buffer of our own: writing it allocates nothing
 * the heap count would see. */
static char out_buffer[1 << 16];

typedef struct pass {
    rb_status rc;
    rb_error err;
    long allocations; /* counted by the switch */
    held before, after;
    char *out; /* what the stage wrote (malloc'ed) */
} pass;

enum fault_mode { COUNT, FAIL_AT, FAIL_FROM };

/* ---------------------------------------------------------------- naming the pass that crashed */

/* Written before each pass, printed if the process dies in it (a crash, a sanitizer's report,
 * a pass that hangs: PASS_DEADLINE): the failure point to rerun with REBAL_FAULT_ONLY. */
#define PASS_DEADLINE 120 /* seconds; a pass takes milliseconds */
static char dying_words[160];
static size_t dying_len;

static void say_dying_words(void)
{
    if (dying_len) (void)!write(2, dying_words, dying_len);
}

#ifdef FAULT_ASAN
void __sanitizer_set_death_callback(void (*callback)(void));
#endif

static void on_fatal_signal(int sig)
{
    say_dying_words();
    raise(sig); /* the handler was reset: the default action, as if nothing had caught it */
}

static void name_the_pass(const char *stage, enum fault_mode mode, long n)
{
    int len = mode == COUNT ? snprintf(dying_words, sizeof dying_words,
                                       "\nfault_inject: %s: the pass without failures died\n", stage)
                            : snprintf(dying_words, sizeof dying_words,
                                       "\nfault_inject: the pass died: REBAL_FAULT_ONLY=%s:%s:%ld\n", stage,
                                       mode == FAIL_AT ? "at" : "from", n);
    dying_len = len > 0 ? (size_t)len : 0;
}

static void catch_deaths(void)
{
    struct sigaction sa = {.sa_handler = on_fatal_signal, .sa_flags = (int)SA_RESETHAND};
    sigemptyset(&sa.sa_mask);
#ifdef FAULT_ASAN
    __sanitizer_set_death_callback(say_dying_words); /* it reports crashes itself */
    int sigs[] = {SIGALRM};
#else
    int sigs[] = {SIGALRM, SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
#endif
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
}

static pass run_pass(const fault_stage *st, FILE *out, enum fault_mode mode, long n)
{
    fault_prepare(st);
    cr_assert_eq(ftruncate(fileno(out), 0), 0);
    rewind(out);
    name_the_pass(st->name, mode, n);
    alarm(PASS_DEADLINE);
    int threads = rbt_thread_count();
    pass p = {.before = memory_held()};
    if (mode == COUNT) rb_alloc_count_reset();
    else if (mode == FAIL_AT) rb_alloc_fail_at(n);
    else rb_alloc_fail_from(n);
    p.rc = st->act(&fault_the_case, out, &p.err);
    p.allocations = rb_alloc_count();
    rb_alloc_fail_off();
    /* A helper the library let go may still be ending as the call returns (the results
     * writer's thread, detached once done: engine/results/writer.c, join_writer); its exit
     * frees what the C library keeps per thread. The count is taken once it is gone. */
    cr_assert(rbt_wait_until(rbt_threads_at_most, &threads, 60), "a helper thread outlived the pass");
    p.after = memory_held();
    alarm(0);
    dying_len = 0;
    cr_assert_eq(fflush(out), 0);
    long len = ftell(out);
    p.out = calloc(1, (size_t)len + 1);
    cr_assert(p.out && pread(fileno(out), p.out, (size_t)len, 0) == len);
    return p;
}

/* ---------------------------------------------------------------- checking a pass */

/* What a store's queries show; NULL texts, the reason in why, when it does not pass
 * integrity_check or a query fails. An untouched copy of the template shows what it shows. */
typedef struct content {
    char *text[FAULT_QUERIES];
} content;

/* 1 when the SQLite file at path opens and holds no table at all. */
static int no_tables(const char *path)
{
    sqlite3 *db = NULL;
    int none = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        char *n = fault_dump(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'");
        none = n && strcmp(n, "0\n") == 0;
        free(n);
    }
    sqlite3_close(db);
    return none;
}

static content store_content(const fault_store *w, const content *tpl_content, char *why, size_t whylen)
{
    content c = {{NULL}};
    if (tpl_content && w->tpl && fault_untouched(*w->path, *w->tpl)) {
        for (size_t q = 0; q < FAULT_QUERIES && w->query[q].sql; q++) c.text[q] = strdup(tpl_content->text[q]);
        return c;
    }
    struct stat sb;
    /* A new store a failed pass left absent, or empty (SQLite out of memory in its own open,
     * after creating the file, or before the schema was made): no rows. The next import makes
     * the store in such a file; reading commands call it no price store. */
    if (!w->tpl && (stat(*w->path, &sb) != 0 || sb.st_size == 0 || no_tables(*w->path))) {
        for (size_t q = 0; q < FAULT_QUERIES && w->query[q].sql; q++) c.text[q] = strdup("");
        return c;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(*w->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf(why, whylen, "%s does not open: %s", *w->path, db ? sqlite3_errmsg(db) : "out of memory");
    } else {
        char *check = fault_dump(db, "PRAGMA integrity_check");
        if (!check || strcmp(check, "ok\n") != 0) {
            snprintf(why, whylen, "%s: integrity_check says %s", *w->path, check ? check : sqlite3_errmsg(db));
        } else {
            for (size_t q = 0; q < FAULT_QUERIES && w->query[q].sql; q++)
                if (!(c.text[q] = fault_dump(db, *w->query[q].sql)))
                    snprintf(why, whylen, "%s: '%.80s...' fails: %s", *w->path, *w->query[q].sql, sqlite3_errmsg(db));
        }
        free(check);
    }
    sqlite3_close(db);
    return c;
}

static void content_free(content *c)
{
    for (size_t q = 0; q < FAULT_QUERIES; q++) free(c->text[q]);
}

#define MAX_SHOWN 25

typedef struct verdicts {
    const fault_stage *st;
    content before[FAULT_STORES];   /* each store before a pass (a copy of its template) */
    content baseline[FAULT_STORES]; /* ... and after the baseline pass */
    const char *baseline_out;
    long problems;
} verdicts;

static void problem(verdicts *v, enum fault_mode mode, long n, const char *what)
{
    if (v->problems++ >= MAX_SHOWN) return;
    if (mode == COUNT) fprintf(stderr, "fault_inject: %s, no allocation failing: %s\n", v->st->name, what);
    else
        fprintf(stderr, "fault_inject: %s, allocation %ld failing%s (REBAL_FAULT_ONLY=%s:%s:%ld): %s\n", v->st->name,
                n, mode == FAIL_AT ? " alone" : " and every later one", v->st->name, mode == FAIL_AT ? "at" : "from", n,
                what);
}

static int says_out_of_memory(const rb_error *err)
{
    return err->code == RB_ERR_NOMEM || strcasestr(err->msg, "out of memory") != NULL;
}

static void check_outcome(verdicts *v, const pass *p, enum fault_mode mode, long n)
{
    char why[1200];
    if (p->rc != RB_OK) {
        if (!p->err.msg[0]) problem(v, mode, n, "an error with an empty message");
        else if (strchr(p->err.msg, '\n')) problem(v, mode, n, "an error message of several lines");
        else if (!says_out_of_memory(&p->err)) {
            snprintf(why, sizeof why, "status %d, '%s' does not say out of memory", p->rc, p->err.msg);
            problem(v, mode, n, why);
        }
    } else if (strcmp(p->out, v->baseline_out) != 0) {
        problem(v, mode, n, "a success whose output differs from the baseline's");
    }
    if (p->after.sqlite != p->before.sqlite) {
        snprintf(why, sizeof why, "SQLite holds %lld bytes more after it", p->after.sqlite - p->before.sqlite);
        problem(v, mode, n, why);
    }
    if (p->after.big != p->before.big) problem(v, mode, n, "a price matrix buffer (rb_big_alloc) leaked");
    if (p->after.heap != p->before.heap) {
        snprintf(why, sizeof why, "the heap holds %lld bytes more after it", p->after.heap - p->before.heap);
        problem(v, mode, n, why);
    }
}

static void check_stores(verdicts *v, const pass *p, enum fault_mode mode, long n)
{
    for (size_t s = 0; s < FAULT_STORES && v->st->store[s].path; s++) {
        const fault_store *w = &v->st->store[s];
        char why[1200] = "";
        content now = store_content(w, &v->before[s], why, sizeof why);
        if (why[0]) problem(v, mode, n, why);
        for (size_t q = 0; q < FAULT_QUERIES && w->query[q].sql && !why[0]; q++) {
            const char *want = p->rc == RB_OK                ? v->baseline[s].text[q]
                               : w->query[q].only_success ? NULL
                                                          : v->before[s].text[q];
            if (want && strcmp(now.text[q], want) != 0) {
                snprintf(why, sizeof why, "%s: after a %s, '%.60s...' shows other rows than %s", *w->path,
                         p->rc == RB_OK ? "success" : "failure", *w->query[q].sql,
                         p->rc == RB_OK ? "the baseline's" : "before");
                problem(v, mode, n, why);
            }
        }
        content_free(&now);
    }
}

/* ---------------------------------------------------------------- a stage, every failure point */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* REBAL_FAULT_ONLY=STAGE:MODE:N: 1 and that failure point when it names this stage, -1 when it
 * names another, 0 when unset. */
static int only_one(const fault_stage *st, enum fault_mode *mode, long *n)
{
    const char *only = getenv("REBAL_FAULT_ONLY");
    if (!only || !*only) return 0;
    char name[32], how[8];
    cr_assert_eq(sscanf(only, "%31[^:]:%7[^:]:%ld", name, how, n), 3, "REBAL_FAULT_ONLY=%s is not STAGE:MODE:N", only);
    *mode = strcmp(how, "at") == 0 ? FAIL_AT : FAIL_FROM;
    return strcmp(name, st->name) == 0 ? 1 : -1;
}

/* Fills v from two passes without failures: the first fills every cache a process keeps
 * (SQLite's, the C library's), the second gives the count and the output to compare with. */
static pass baseline(verdicts *v, FILE *out)
{
    const fault_stage *st = v->st;
    pass warm = run_pass(st, out, COUNT, 0);
    cr_assert_eq(warm.rc, RB_OK, "%s: %s", st->name, warm.err.msg);
    fault_prepare(st);
    for (size_t s = 0; s < FAULT_STORES && st->store[s].path; s++) {
        char why[1200] = "";
        v->before[s] = store_content(&st->store[s], NULL, why, sizeof why);
        cr_assert_eq(why[0], '\0', "%s", why);
    }
    void *first[1];
    backtrace(first, 1); /* its first call loads the unwinder: not inside the counted pass */
    free(site_of);
    sites_seen = warm.allocations;
    site_of = calloc((size_t)sites_seen + 1, sizeof *site_of);
    cr_assert_not_null(site_of);
    rb_alloc_observe(take_site);
    pass base = run_pass(st, out, COUNT, 0);
    rb_alloc_observe(NULL);
    cr_assert_eq(base.rc, RB_OK, "%s: %s", st->name, base.err.msg);
    cr_assert_str_eq(base.out, warm.out, "%s: two passes without failures differ", st->name);
    cr_assert_eq(base.allocations, warm.allocations, "%s: two passes without failures allocate %ld and %ld times",
                 st->name, warm.allocations, base.allocations);
    for (size_t s = 0; s < FAULT_STORES && st->store[s].path; s++) {
        char why[1200] = "";
        v->baseline[s] = store_content(&st->store[s], NULL, why, sizeof why);
        cr_assert_eq(why[0], '\0', "%s", why);
    }
    v->baseline_out = base.out;
    check_outcome(v, &base, COUNT, 0);
    free(warm.out);
    return base;
}

/* One failure point, checked. */
static pass try_point(verdicts *v, FILE *out, enum fault_mode mode, long n)
{
    pass p = run_pass(v->st, out, mode, n);
    check_outcome(v, &p, mode, n);
    check_stores(v, &p, mode, n);
    return p;
}

static void every_failure_point(const char *name)
{
    const fault_stage *st = NULL;
    for (size_t i = 0; i < fault_nstages; i++)
        if (strcmp(fault_stages[i].name, name) == 0) st = &fault_stages[i];
    cr_assert_not_null(st);
    catch_deaths();
    fault_make_case(dir);
    char *out_path = rbt_path(dir, "out.txt");
    FILE *out = fopen(out_path, "w+");
    cr_assert_not_null(out);
    cr_assert_eq(setvbuf(out, out_buffer, _IOFBF, sizeof out_buffer), 0);
    double t0 = now_s();

    verdicts v = {.st = st};
    pass base = baseline(&v, out);
    enum fault_mode only_mode = FAIL_AT;
    long only_n = 0, N = base.allocations, npoints = 0, nsites = 0;
    int only = only_one(st, &only_mode, &only_n);
    long *point = failure_points(N, &npoints, &nsites);
    if (only > 0) {
        pass p = try_point(&v, out, only_mode, only_n);
        fprintf(stderr, "fault_inject: REBAL_FAULT_ONLY=%s: status %d, '%s'\n", getenv("REBAL_FAULT_ONLY"), p.rc,
                p.err.msg);
        free(p.out);
    }
    for (int m = FAIL_AT; m <= FAIL_FROM && !only; m++)
        for (long i = 0; i < npoints; i++) free(try_point(&v, out, (enum fault_mode)m, point[i]).out);
    fprintf(stderr,
            "fault_inject: %s: %ld allocations from %ld sites, %ld of them failed in turn (alone, then with every "
            "later one), %ld problems, %.1f s\n",
            st->name, N, nsites, only ? 0 : npoints, v.problems, now_s() - t0);
    free(point);
    free(site_of);
    site_of = NULL;
    cr_expect_eq(v.problems, 0, "%s: %ld problems (the first %d above)", st->name, v.problems, MAX_SHOWN);

    for (size_t s = 0; s < FAULT_STORES; s++) content_free(&v.before[s]), content_free(&v.baseline[s]);
    free(base.out);
    fclose(out);
    free(out_path);
    fault_free_case();
}

Test(fault_inject, create) { every_failure_point("create"); }
Test(fault_inject, import) { every_failure_point("import"); }
Test(fault_inject, run) { every_failure_point("run"); }
Test(fault_inject, sweep) { every_failure_point("sweep"); }
Test(fault_inject, report) { every_failure_point("report"); }
