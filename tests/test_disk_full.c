/* test_disk_full.c - import, sweep and report on a disk that fills up: each fails with exit 1
 * and one line naming the file and the reason, a store keeps what it held (integrity_check,
 * the same rows), and once space is freed the same command succeeds with exactly the result
 * of a run on a roomy disk. The disk is a small tmpfs mounted in a mount namespace of the
 * test's own, so it goes away with the test process even if that crashes. Mounting needs root
 * (CI runs as root) and CAP_SYS_ADMIN (not granted in every container): without them the
 * tests are skipped, saying why. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "crash_support.h"
#include "support.h"

static char *dir;  /* the scratch directory, on the ordinary disk */
static char *disk; /* dir/disk: where the small tmpfs is mounted */
static int mounted;

static void setup(void)
{
    dir = rbt_tempdir();
    disk = rbt_path(dir, "disk");
    cr_assert_eq(mkdir(disk, 0700), 0);
}

static void teardown(void)
{
    if (mounted) umount2(disk, MNT_DETACH);
    mounted = 0;
    rbt_rmtree(dir);
    free(disk);
    free(dir);
}
TestSuite(disk_full, .init = setup, .fini = teardown, .timeout = 240);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void run_ok(const char *const *argv) { rbt_run_ok(dir, argv); }

static char *in_dir(const char *name) { return rbt_path(dir, name); }

/* Skips the test unless it may mount: root, and a mount namespace of its own. Mounts made
 * in it stay in this process and its children: never seen outside, gone when it exits. */
static void need_own_mounts(void)
{
    if (geteuid() != 0) cr_skip_test("needs root to mount a small tmpfs as the full disk (CI runs as root)");
    if (unshare(CLONE_NEWNS) != 0)
        cr_skip_test("cannot make a mount namespace (%s)%s", strerror(errno),
                     errno == EPERM ? ": no CAP_SYS_ADMIN here" : "");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        cr_skip_test("cannot make the mounts private (%s)", strerror(errno));
}

/* A fresh tmpfs of `size` (mount's syntax: 256k, 2m) on disk, or the test is skipped. */
static void mount_disk(const char *size)
{
    if (mounted) cr_assert_eq(umount2(disk, 0), 0, "umount %s: %s", disk, strerror(errno));
    mounted = 0;
    char opts[64];
    snprintf(opts, sizeof opts, "size=%s,mode=0700", size);
    if (mount("tmpfs", disk, "tmpfs", 0, opts) != 0)
        cr_skip_test("cannot mount a tmpfs (%s)%s", strerror(errno), errno == EPERM ? ": no CAP_SYS_ADMIN here" : "");
    mounted = 1;
}

/* Frees space: the same tmpfs, grown to `size`, its files kept. */
static void grow_disk(const char *size)
{
    char opts[64];
    snprintf(opts, sizeof opts, "size=%s", size);
    cr_assert_eq(mount("tmpfs", disk, "tmpfs", MS_REMOUNT, opts), 0, "remount %s: %s", disk, strerror(errno));
}

/* A failure on the full disk: exit 1, one line naming the file (file_part) and saying that
 * the disk is full, in the system's words or SQLite's. */
static void expect_disk_full(const rbt_run_result *r, const char *file_part, const char *when)
{
    size_t len = strlen(r->err);
    cr_expect_eq(r->status, 1, "%s: exit %d, expected 1; stderr: %s", when, r->status, r->err);
    cr_expect(len > 0 && r->err[len - 1] == '\n' && !memchr(r->err, '\n', len - 1),
              "%s: the message is not one line: %s", when, r->err);
    cr_expect_not_null(strstr(r->err, file_part), "%s: the message does not name %s: %s", when, file_part, r->err);
    cr_expect(strstr(r->err, "No space left on device") || strstr(r->err, "disk full") ||
                  strstr(r->err, "disk is full"),
              "%s: the message does not say the disk is full: %s", when, r->err);
}

static char *dump_of(const char *name)
{
    char *path = in_dir(name), *text = crash_dump(path);
    cr_assert_not_null(text, "%s is missing", name);
    free(path);
    return text;
}

/* ---------------------------------------------------------------- stores */

static void import_crypto(const char *db)
{
    char *crypto = rbt_source_path("data/bundled/crypto_daily.csv");
    run_ok(ARGS("import", "-q", "--db", db, crypto));
    free(crypto);
}

Test(disk_full, import_fails_naming_the_store_keeps_its_bars_and_succeeds_once_space_is_freed)
{
    need_own_mounts();
    /* 20,000 rows after the bundled data's years: a few MB of pages to commit. */
    run_ok(ARGS("synth", "--start", "2023-01-01", "--days", "5000", "-o", "big.csv"));
    import_crypto("roomy.db");
    run_ok(ARGS("import", "-q", "--db", "roomy.db", "big.csv"));
    char *complete = dump_of("roomy.db");
    /* Disks that fill at other moments: in the commit, or (2560k) after it, in the checkpoint,
     * which leaves the committed pages in the WAL: a success. */
    static const char *const sizes[] = {"1536k", "2m", "2560k"}; /* the store in pages of 64 KiB: 0.85 MB */
    int failed = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        mount_disk(sizes[i]);
        import_crypto("disk/p.db");
        char *store = in_dir("disk/p.db"), *before = dump_of("disk/p.db");
        rbt_run_result r = rbt_run(dir, NULL, ARGS("import", "-q", "--db", "disk/p.db", "big.csv"));
        crash_assert_intact(store);
        char *after = dump_of("disk/p.db");
        if (r.status == 0) {
            cr_assert_str_eq(after, complete, "%s disk: the import succeeded but stored other rows", sizes[i]);
        } else {
            failed++;
            expect_disk_full(&r, "disk/p.db", sizes[i]);
            cr_assert_str_eq(after, before, "%s disk: the failed import changed the store", sizes[i]);
        }
        grow_disk("64m");
        run_ok(ARGS("import", "-q", "--db", "disk/p.db", "big.csv"));
        char *again = dump_of("disk/p.db");
        cr_assert_str_eq(again, complete, "%s disk: once space was freed the import stored other rows", sizes[i]);
        free(again);
        free(after);
        free(before);
        free(store);
        rbt_run_result_free(&r);
    }
    cr_assert_gt(failed, 0, "no import met the full disk");
    free(complete);
}

/* 6,006 configurations (about 1.3 MB of results) after an earlier sweep of 2. */
static const char earlier_spec[] = "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\nstart = 2022-01-01\n"
                                   "[calendar]\nevery = week, month\n";
static const char grid_spec[] = "[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\nstart = 2022-07-01\n"
                                "[costs]\nfee-bps = 5, 10, 20\n"
                                "[threshold]\nband = 0.0001:0.2:0.0001\n"
                                "[calendar]\nevery = week, month\n";

static void sweep_ok(const char *results, const char *spec, int resume)
{
    run_ok(resume ? ARGS("sweep", "-q", "--db", "prices.db", "--results", results, "--threads", "2", "--resume", spec)
                  : ARGS("sweep", "-q", "--db", "prices.db", "--results", results, "--threads", "2", spec));
}

Test(disk_full, sweep_fails_naming_the_results_keeps_earlier_sweeps_and_resumes_once_space_is_freed)
{
    need_own_mounts();
    import_crypto("prices.db");
    free(rbt_write_file(dir, "earlier.ini", earlier_spec));
    free(rbt_write_file(dir, "grid.ini", grid_spec));
    sweep_ok("roomy.db", "earlier.ini", 0);
    sweep_ok("roomy.db", "grid.ini", 0);
    char *complete = dump_of("roomy.db"), *roomy = in_dir("roomy.db");
    static const char earlier_rows[] = "SELECT s.spec, s.status, s.configurations, r.* FROM sweeps s JOIN runs r "
                                       "ON r.sweep_id = s.id WHERE s.id = 1 ORDER BY r.config_id";
    /* The second sweep adds its parameters' columns (NULL in the earlier rows), in the
     * transaction that records it: the earlier rows are as they were or as after that. */
    char *widened = crash_rows(roomy, earlier_rows);
    /* Full before the first batch is stored, after one, after two. */
    static const char *const sizes[] = {"256k", "1m", "2m"};
    int failed = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        mount_disk(sizes[i]);
        sweep_ok("disk/r.db", "earlier.ini", 0);
        char *store = in_dir("disk/r.db"), *before = crash_rows(store, earlier_rows);
        rbt_run_result r = rbt_run(dir, NULL, ARGS("sweep", "-q", "--db", "prices.db", "--results", "disk/r.db",
                                                   "--threads", "2", "grid.ini"));
        crash_assert_intact(store);
        char *after = crash_rows(store, earlier_rows);
        cr_assert(strcmp(after, before) == 0 || strcmp(after, widened) == 0,
                  "%s disk: the earlier sweep's rows changed", sizes[i]);
        if (r.status != 0) {
            failed++;
            expect_disk_full(&r, "disk/r.db", sizes[i]);
        }
        grow_disk("64m");
        sweep_ok("disk/r.db", "grid.ini", 1);
        char *resumed = dump_of("disk/r.db");
        cr_assert_str_eq(resumed, complete, "%s disk: the resumed results differ from a sweep on a roomy disk",
                         sizes[i]);
        free(resumed);
        free(after);
        free(before);
        free(store);
        rbt_run_result_free(&r);
    }
    cr_assert_gt(failed, 0, "no sweep met the full disk");
    free(widened);
    free(roomy);
    free(complete);
}

/* ---------------------------------------------------------------- report */

/* Fills the disk but `keep` bytes with a file of our own (removed to free the space). */
static void fill_disk_but(long long keep)
{
    struct statvfs vfs;
    cr_assert_eq(statvfs(disk, &vfs), 0);
    long long avail = (long long)vfs.f_bavail * (long long)vfs.f_frsize;
    if (avail <= keep) return;
    char *filler = in_dir("disk/filler");
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0, "%s: %s", filler, strerror(errno));
    cr_assert_eq(posix_fallocate(fd, 0, (off_t)(avail - keep)), 0, "filling %s", disk);
    close(fd);
    free(filler);
}

static void free_disk(void)
{
    char *filler = in_dir("disk/filler");
    unlink(filler);
    free(filler);
}

/* Every file under one directory has a twin of the same bytes under another (nftw passes no
 * context: the roots are static). */
static const char *tree_root, *other_root, *tree_when;
static int same_as_other(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb, (void)ftw;
    if (type != FTW_F) return 0;
    char *mirror = rbt_path(other_root, path + strlen(tree_root) + 1);
    cr_expect(rbt_same_bytes(path, mirror), "%s: %s differs from %s, or only one of them exists", tree_when, path,
              mirror);
    free(mirror);
    return 0;
}

static void expect_same_tree(const char *a, const char *b, const char *when)
{
    tree_when = when;
    for (int pass = 0; pass < 2; pass++) {
        tree_root = pass ? b : a;
        other_root = pass ? a : b;
        cr_assert_eq(nftw(tree_root, same_as_other, 16, FTW_PHYS), 0, "cannot walk %s", tree_root);
    }
}

static long long tree_bytes;
static int add_size(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)path, (void)ftw;
    if (type == FTW_F) tree_bytes += (long long)sb->st_size;
    return 0;
}

Test(disk_full, report_fails_naming_the_file_and_succeeds_once_space_is_freed)
{
    need_own_mounts();
    import_crypto("prices.db");
    free(rbt_write_file(dir, "earlier.ini", earlier_spec));
    sweep_ok("results.db", "earlier.ini", 0);
    run_ok(ARGS("report", "results.db", "--db", "prices.db", "--out", "roomy", "--no-charts", "--title", "t"));
    char *roomy = in_dir("roomy"), *full = in_dir("disk/report");
    tree_bytes = 0;
    cr_assert_eq(nftw(roomy, add_size, 16, FTW_PHYS), 0);
    mount_disk("8m");
    /* Space for none of the report, then for more and more of it: each run fails at a later file. */
    for (int part = 0; part < 4; part++) {
        long long keep = tree_bytes * part / 5;
        char when[64];
        snprintf(when, sizeof when, "%lld of %lld bytes free", keep, tree_bytes);
        rbt_rmtree(full); /* each run starts from no report: a new directory to fill */
        fill_disk_but(keep);
        rbt_run_result r = rbt_run(dir, NULL, ARGS("report", "results.db", "--db", "prices.db", "--out", "disk/report",
                                                   "--no-charts", "--title", "t"));
        expect_disk_full(&r, "disk/report/", when);
        rbt_run_result_free(&r);
        free_disk();
        run_ok(ARGS("report", "results.db", "--db", "prices.db", "--out", "disk/report", "--no-charts", "--title",
                    "t"));
        expect_same_tree(roomy, full, when);
    }
    free(full);
    free(roomy);
}
