/* test_store_readonly.c - stores nobody may write (issue 14, defect 6): reading commands
 * (assets, export, run, runs, report, sweep --db) read a price or results store in a
 * read-only directory and a read-only file, and leave no -wal, -shm or -journal file and not
 * one changed byte or timestamp behind; commands that must write say which file is
 * read-only.
 *
 * Tests run as root in CI, and permission bits do not stop root. A path is made read-only
 * here in the way that holds for whoever runs the test: the immutable attribute for root
 * (skipped, with a message, where the file system has none), chmod for anyone else. Two
 * tests need neither and always run: the one that checks reading commands open the stores
 * read-only (nothing written, nothing created), and the one that drops root to user nobody
 * before opening a store in a directory nobody may write. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h>
#endif

#include "rebal.h"
#include "store.h"
#include "support.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static char *dir; /* the stores: s.db (prices), r.db (a sweep's results), s.ini */
static char *out; /* where reports and new results go (always writable) */

/* ---------------------------------------------------------------- making paths read-only */

#ifdef __linux__
static int set_immutable(const char *path, int on)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return 0;
    int flags = 0, ok = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
    if (ok) {
        flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
        ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
    }
    close(fd);
    return ok;
}
#else
static int set_immutable(const char *path, int on)
{
    (void)path, (void)on;
    return 0;
}
#endif

/* Makes path (a file or a directory) read-only for this process; 0 when that cannot hold
 * (root on a file system without the immutable attribute). */
static int deny_writes(const char *path)
{
    if (geteuid() == 0) return set_immutable(path, 1);
    struct stat sb;
    return stat(path, &sb) == 0 && chmod(path, sb.st_mode & ~(mode_t)0222) == 0;
}

static void allow_writes(const char *path)
{
    set_immutable(path, 0);
    struct stat sb;
    if (stat(path, &sb) == 0) chmod(path, sb.st_mode | 0200);
}

/* deny_writes or skip the test, saying why. */
#define DENY_WRITES_OR_SKIP(path)                                                                        \
    do {                                                                                                 \
        if (!deny_writes(path)) {                                                                        \
            cr_skip_test("running as root on a file system without the immutable attribute: %s cannot " \
                         "be made read-only for root (the always-run tests still cover reading)",        \
                         path);                                                                          \
            return;                                                                                      \
        }                                                                                                \
    } while (0)

/* ---------------------------------------------------------------- the stores */

static void setup(void)
{
    dir = rbt_tempdir();
    out = rbt_tempdir();
    char *stocks = rbt_source_path("data/bundled/stocks_monthly.csv");
    rbt_run_result r = rbt_run(dir, NULL, ARGS("import", "-q", "--db", "s.db", stocks));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(rbt_write_file(dir, "s.ini", "[data]\nassets = AAPL=0.5, IBM=0.5\n[threshold]\nband = 0.05, 0.1\n"));
    r = rbt_run(dir, NULL, ARGS("sweep", "-q", "--db", "s.db", "--results", "r.db", "s.ini"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    free(stocks);
}

static void teardown(void)
{
    static const char *const names[] = {"s.db", "r.db", "s.ini"};
    allow_writes(dir);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *p = rbt_path(dir, names[i]);
        allow_writes(p);
        free(p);
    }
    rbt_rmtree(dir);
    rbt_rmtree(out);
    free(dir);
    free(out);
}
TestSuite(store_readonly, .init = setup, .fini = teardown, .timeout = 120);

/* What a store file is on disk: its bytes and modification time, and its companions. */
typedef struct snapshot {
    char *path, *copy;
    struct timespec mtime;
} snapshot;

static snapshot take(const char *name)
{
    snapshot s = {.path = rbt_path(dir, name)};
    char copyname[64];
    snprintf(copyname, sizeof copyname, "%s.before", name);
    s.copy = rbt_path(out, copyname);
    rbt_copy_file(s.path, s.copy);
    struct stat sb;
    cr_assert_eq(stat(s.path, &sb), 0);
    s.mtime = sb.st_mtim;
    return s;
}

/* No -wal, -shm or -journal beside the store. */
static void expect_no_companions(const char *path, const char *after)
{
    static const char *const suffix[] = {"-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 3; i++) {
        char name[4200];
        snprintf(name, sizeof name, "%s%s", path, suffix[i]);
        cr_expect_neq(access(name, F_OK), 0, "`rebal %s` left %s behind", after, name);
    }
}

static void expect_untouched(const snapshot *s, const char *after)
{
    expect_no_companions(s->path, after);
    cr_expect(rbt_same_bytes(s->path, s->copy), "`rebal %s` changed %s", after, s->path);
    struct stat sb;
    cr_assert_eq(stat(s->path, &sb), 0);
    cr_expect(sb.st_mtim.tv_sec == s->mtime.tv_sec && sb.st_mtim.tv_nsec == s->mtime.tv_nsec,
              "`rebal %s` changed the modification time of %s", after, s->path);
}

static void drop(snapshot *s)
{
    unlink(s->copy);
    free(s->path);
    free(s->copy);
}

/* The reading commands, each with what it reads; sweep --db writes its results into out. */
typedef struct reading {
    const char *name;
    const char *const *argv;
    int writes_cache; /* sweep --db may add the bars it reads to the price store's cache */
} reading;

static void run_reading_commands(int expect_unchanged)
{
    char *report = rbt_path(out, "report"), *results = rbt_path(out, "r2.db");
    const reading cmds[] = {
        {"assets", ARGS("assets", "--db", "s.db"), 0},
        {"export", ARGS("export", "--db", "s.db"), 0},
        {"run", ARGS("run", "--db", "s.db", "--assets", "AAPL=0.5,IBM=0.5", "--strategy", "calendar", "--every", "year"),
         0},
        {"runs", ARGS("runs", "r.db"), 0},
        {"report", ARGS("report", "r.db", "--out", report, "--db", "s.db", "--no-charts"), 0},
        {"sweep --db", ARGS("sweep", "-q", "--db", "s.db", "--results", results, "s.ini"), 1},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        snapshot prices = take("s.db"), res = take("r.db");
        rbt_run_result r = rbt_run(dir, NULL, cmds[i].argv);
        cr_expect_eq(r.status, 0, "`rebal %s` failed: %s", cmds[i].name, r.err);
        if (expect_unchanged && !cmds[i].writes_cache) expect_untouched(&prices, cmds[i].name);
        else expect_no_companions(prices.path, cmds[i].name);
        expect_untouched(&res, cmds[i].name);
        rbt_run_result_free(&r);
        drop(&prices);
        drop(&res);
    }
    free(report);
    free(results);
}

/* Runs everywhere, root included: the reading commands write nothing into the stores and
 * create nothing beside them (before, each left s.db-wal and s.db-shm behind). */
Test(store_readonly, reading_commands_open_the_stores_read_only)
{
    run_reading_commands(1);
}

/* The stores in a directory nobody may write, the files read-only too. */
Test(store_readonly, reading_commands_work_in_a_read_only_directory)
{
    char *s = rbt_path(dir, "s.db"), *r = rbt_path(dir, "r.db");
    DENY_WRITES_OR_SKIP(s);
    DENY_WRITES_OR_SKIP(r);
    DENY_WRITES_OR_SKIP(dir);
    run_reading_commands(1);
    free(s);
    free(r);
}

static void expect_import_refused(const char *needle)
{
    char *stocks = rbt_source_path("data/bundled/stocks_monthly.csv");
    rbt_run_result r = rbt_run(dir, NULL, ARGS("import", "--db", "s.db", stocks));
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.err, needle), "'%s' lacks '%s'", r.err, needle);
    cr_assert_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1, "not one line: %s", r.err);
    rbt_run_result_free(&r);
    free(stocks);
}

Test(store_readonly, import_into_a_read_only_file_names_it)
{
    char *s = rbt_path(dir, "s.db");
    DENY_WRITES_OR_SKIP(s);
    expect_import_refused("s.db: cannot write the price store: the file is read-only (");
    free(s);
}

Test(store_readonly, import_into_a_read_only_directory_names_it)
{
    DENY_WRITES_OR_SKIP(dir);
    expect_import_refused("s.db: cannot write the price store: its directory ");
    char *stocks = rbt_source_path("data/bundled/stocks_monthly.csv");
    rbt_run_result r = rbt_run(dir, NULL, ARGS("import", "--db", "new.db", stocks));
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.err, "new.db: cannot create the price store: its directory "), "%s", r.err);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, ARGS("sweep", "-q", "--db", "s.db", "--results", "new-results.db", "s.ini"));
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.err, "new-results.db: cannot create the results store: its directory "), "%s",
                       r.err);
    rbt_run_result_free(&r);
    free(stocks);
}

/* ---------------------------------------------------------------- stores left in WAL mode */

/* A store as rebal before this change left it: in WAL mode at rest. */
static void to_wal(const char *path)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static size_t assets_of(const char *path, rb_error *err, rb_status *rc)
{
    rb_store *s = NULL;
    rb_asset_info *list = NULL;
    size_t n = 0;
    *rc = rb_store_open(path, RB_STORE_READONLY, &s, err);
    if (*rc == RB_OK) *rc = rb_store_list_assets(s, &list, &n, err);
    free(list);
    rb_store_free(s);
    return n;
}

/* path opens read-only and lists its 5 assets, leaving nothing beside it. */
static void expect_readable(const char *path)
{
    rb_error err = {0};
    rb_status rc;
    size_t n = assets_of(path, &err, &rc);
    cr_assert_eq(rc, RB_OK, "%s", err.msg);
    cr_assert_eq(n, 5);
    expect_no_companions(path, "assets (in-process)");
}

/* path cannot be read, and the one-line error says why (needle). */
static void expect_unreadable(const char *path, const char *needle)
{
    rb_error err = {0};
    rb_status rc;
    assets_of(path, &err, &rc);
    cr_assert_neq(rc, RB_OK);
    cr_assert_not_null(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
    cr_assert_not_null(strstr(err.msg, path), "'%s' does not name the store", err.msg);
}

/* A store in WAL mode needs PATH-shm, which a read-only directory cannot take: with no
 * PATH-wal holding anything, the file alone is the store and it is read as it is. */
Test(store_readonly, a_store_left_in_wal_mode_reads_in_a_read_only_directory)
{
    char *s = rbt_path(dir, "s.db");
    to_wal(s);
    DENY_WRITES_OR_SKIP(dir);
    expect_readable(s);
    free(s);
}

/* A writer that runs sql on path and is killed: it exits without closing, as kill -9 leaves
 * it (no checkpoint, no rollback). */
static void run_and_die(const char *path, const char *sql)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        sqlite3 *db;
        _exit(sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : 1);
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the writer could not run %s", sql);
}

/* A writer killed after its commit: the commit is in PATH-wal only (PATH-shm beside it). */
static void leave_committed_wal(const char *path)
{
    to_wal(path);
    run_and_die(path, "PRAGMA wal_autocheckpoint = 0; INSERT INTO assets(symbol) VALUES ('NEW')");
}

/* Its WAL and -shm are read where they are, in a read-only directory too. */
Test(store_readonly, a_killed_writers_wal_reads_in_a_read_only_directory)
{
    char *s = rbt_path(dir, "s.db");
    leave_committed_wal(s);
    DENY_WRITES_OR_SKIP(dir);
    rb_error err = {0};
    rb_status rc;
    size_t n = assets_of(s, &err, &rc);
    cr_assert_eq(rc, RB_OK, "%s", err.msg);
    cr_assert_eq(n, 6, "the commit in the WAL is not seen");
    free(s);
}

/* Without its -shm (deleted, or not copied with the store) that WAL cannot be read in a
 * read-only directory: the error says so instead of "database is read-only". */
Test(store_readonly, a_wal_with_commits_in_a_read_only_directory_is_explained)
{
    char *s = rbt_path(dir, "s.db"), *shm = rbt_path(dir, "s.db-shm");
    leave_committed_wal(s);
    cr_assert_eq(unlink(shm), 0);
    DENY_WRITES_OR_SKIP(dir);
    expect_unreadable(s, "s.db-wal holds changes not yet in the file, and reading them needs");
    free(s);
    free(shm);
}

/* ---------------------------------------------------------------- interrupted writes */

/* A command killed while it commits in rollback-journal mode (a sweep filling the bar cache
 * of a store at rest) leaves a hot journal: the file holds part of the write, the journal
 * what to restore. Made here by a child that writes more pages than its cache holds (SQLite
 * then writes them to the file: the store itself is only a few pages of 16 KiB, so a table
 * of some 400 KB is written with the change) and dies inside its transaction. A journal is
 * hot once its header begins with SQLite's journal magic; a journal of a write that never
 * reached the file is not, and readers pass over it. */
static void leave_hot_journal(const char *path)
{
    run_and_die(path, "PRAGMA cache_size = 1; BEGIN IMMEDIATE; UPDATE bars SET close = close * 2; "
                      "CREATE TABLE pad(x); INSERT INTO pad WITH RECURSIVE c(i) AS "
                      "(SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000) SELECT randomblob(200) FROM c");
    char journal[4200];
    snprintf(journal, sizeof journal, "%s-journal", path);
    static const unsigned char magic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
    size_t n = 0;
    char *head = rbt_read_file(journal, &n);
    cr_assert_not_null(head, "no journal was left");
    cr_assert(n >= sizeof magic && memcmp(head, magic, sizeof magic) == 0, "the journal left is not hot");
    free(head);
}

/* Where the reader may write, it lets SQLite roll the interrupted write back, and reads. */
Test(store_readonly, a_reader_rolls_back_an_interrupted_write)
{
    char *s = rbt_path(dir, "s.db");
    long long before = rbt_sqlite_int(s, "SELECT sum(close) FROM bars");
    leave_hot_journal(s);
    expect_readable(s);
    cr_assert_eq(rbt_sqlite_int(s, "SELECT sum(close) FROM bars"), before, "the interrupted write was kept");
    free(s);
}

/* Where it may not, the error says what is wrong. */
Test(store_readonly, an_interrupted_write_in_a_read_only_directory_is_explained)
{
    char *s = rbt_path(dir, "s.db");
    leave_hot_journal(s);
    DENY_WRITES_OR_SKIP(dir);
    expect_unreadable(s, "s.db-journal to roll back, which needs write access");
    free(s);
}

/* ---------------------------------------------------------------- as another user */

/* Runs in a child that, when root, becomes user nobody (permission bits then hold), then
 * opens path read-only and lists its assets. Returns the child's report: "" on success,
 * else the error; NULL when the child could not become nobody or reach the directory. */
static char *read_as_nobody(const char *path)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
        if (access(path, R_OK) != 0) _exit(4);
        rb_error err = {0};
        rb_status rc;
        size_t n = assets_of(path, &err, &rc);
        if (rc == RB_OK && n != 5) snprintf(err.msg, sizeof err.msg, "%zu assets instead of 5", n);
        ssize_t w = write(p[1], err.msg, strlen(err.msg));
        (void)w;
        _exit(rc == RB_OK && n == 5 ? 0 : 1);
    }
    close(p[1]);
    char buf[1024] = "";
    size_t len = 0;
    ssize_t got;
    while (len < sizeof buf - 1 && (got = read(p[0], buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)got;
    buf[len] = '\0';
    close(p[0]);
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "the reader died (status %d)", st);
    if (WEXITSTATUS(st) >= 3) return NULL;
    return strdup(WEXITSTATUS(st) == 0 ? "" : (*buf ? buf : "failed"));
}

/* Always runs: as root through user nobody, otherwise as the user itself. */
Test(store_readonly, a_store_in_a_directory_nobody_may_write_opens_for_reading)
{
    char *s = rbt_path(dir, "s.db");
    cr_assert_eq(chmod(s, 0444), 0);
    cr_assert_eq(chmod(dir, 0555), 0);
    char *got = read_as_nobody(s);
    chmod(dir, 0700);
    if (!got) {
        cr_skip_test("user nobody cannot reach %s (its parent directories): nothing to test", dir);
        free(s);
        return;
    }
    cr_assert_str_eq(got, "", "reading %s as %s: %s", s, geteuid() == 0 ? "nobody" : "this user", got);
    expect_no_companions(s, "assets (in-process)");
    free(got);
    free(s);
}
