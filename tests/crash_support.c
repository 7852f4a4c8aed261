/* crash_support.c - background processes, WAL lock probes and store dumps for the crash
 * suites (crash_support.h). */
#include "crash_support.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

pid_t crash_spawn(const char *dir, const char *const *argv)
{
    const char *bin = getenv("REBAL_BIN");
    cr_assert_not_null(bin, "REBAL_BIN is not set (run the suites through meson test)");
    size_t n = 0;
    while (argv[n]) n++;
    char **args = calloc(n + 2, sizeof *args);
    cr_assert_not_null(args);
    args[0] = (char *)bin;
    for (size_t i = 0; i < n; i++) args[i + 1] = (char *)argv[i];
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        if (in >= 0) dup2(in, 0);
        if (chdir(dir) != 0 || !freopen("bg.out", "w", stdout) || !freopen("bg.err", "w", stderr)) _exit(126);
        execv(bin, args);
        _exit(127);
    }
    free(args);
    return pid;
}

typedef struct wait_ctx {
    crash_watch *w;
    int (*reached)(crash_watch *w);
    int hit;
} wait_ctx;

static int reached_or_ended(void *arg)
{
    wait_ctx *c = arg;
    if (c->reached(c->w)) return c->hit = 1;
    if (waitpid(c->w->pid, &c->w->status, WNOHANG) == c->w->pid) c->w->ended = 1;
    return c->w->ended;
}

/* A process that ended by itself must have succeeded. */
static void assert_clean_end(const crash_watch *w)
{
    char *errpath = rbt_path(w->dir, "bg.err"), *err = rbt_read_file(errpath, NULL);
    cr_assert(WIFEXITED(w->status) && WEXITSTATUS(w->status) == 0, "the command ended with status %d: %s",
              w->status, err ? err : "");
    free(errpath);
    free(err);
}

int crash_wait(crash_watch *w, int (*reached)(crash_watch *w), double seconds)
{
    if (w->ended) return 0;
    wait_ctx c = {w, reached, 0};
    cr_assert(rbt_wait_until(reached_or_ended, &c, seconds), "the command neither reached the moment awaited "
                                                             "nor ended in %.0f s",
              seconds);
    if (w->ended) assert_clean_end(w);
    return c.hit && !w->ended;
}

int crash_kill(crash_watch *w)
{
    if (w->ended) return 0;
    kill(w->pid, SIGKILL);
    cr_assert_eq(waitpid(w->pid, &w->status, 0), w->pid);
    w->ended = 1;
    if (WIFSIGNALED(w->status) && WTERMSIG(w->status) == SIGKILL) return 1;
    assert_clean_end(w); /* it ended between the last look and the kill */
    return 0;
}

int crash_wal_locked(const char *db, int lock)
{
    char *shm = NULL;
    cr_assert(asprintf(&shm, "%s-shm", db) > 0);
    int fd = open(shm, O_RDONLY);
    free(shm);
    if (fd < 0) return -1;
    /* F_GETLK only asks: it takes no lock, so the writer is never held up. */
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = lock, .l_len = 1};
    int rc = fcntl(fd, F_GETLK, &fl);
    close(fd);
    return rc == 0 && fl.l_type != F_UNLCK;
}

int crash_reserved_locked(const char *db)
{
    int fd = open(db, O_RDONLY);
    if (fd < 0) return -1;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0x40000001, .l_len = 1};
    int rc = fcntl(fd, F_GETLK, &fl);
    close(fd);
    return rc == 0 && fl.l_type != F_UNLCK;
}

long long crash_file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static sqlite3 *open_readonly(const char *path)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_busy_timeout(db, 10000);
    /* A write killed mid-transaction in rollback-journal mode (a brief sweep's new store)
     * left a hot journal, which only a connection that may write rolls back: SQLite's
     * recovery, as rebal's own readers take it (store_file.c, rb_sqlite_open_reader). */
    if (sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK &&
        sqlite3_extended_errcode(db) == SQLITE_READONLY_ROLLBACK) {
        sqlite3 *rw = NULL;
        cr_assert_eq(sqlite3_open_v2(path, &rw, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        sqlite3_busy_timeout(rw, 10000);
        cr_assert_eq(sqlite3_exec(rw, "PRAGMA schema_version", NULL, NULL, NULL), SQLITE_OK, "%s: %s", path,
                     sqlite3_errmsg(rw));
        sqlite3_close(rw);
    }
    return db;
}

/* Writes the rows of a query, one line each, cells separated by '|'. */
static void put_rows(FILE *out, sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    int cols = sqlite3_column_count(st), rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < cols; c++) {
            const char *name = sqlite3_column_name(st, c);
            if (!strcmp(name, "imported_at") || !strcmp(name, "started_at") || !strcmp(name, "finished_at")) continue;
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_NULL: fputs("NULL", out); break;
            case SQLITE_INTEGER: fprintf(out, "%lld", (long long)sqlite3_column_int64(st, c)); break;
            case SQLITE_FLOAT: fprintf(out, "%.17g", sqlite3_column_double(st, c)); break;
            case SQLITE_BLOB: {
                const unsigned char *b = sqlite3_column_blob(st, c);
                for (int i = 0, n = sqlite3_column_bytes(st, c); i < n; i++) fprintf(out, "%02x", b[i]);
                break;
            }
            default: fputs((const char *)sqlite3_column_text(st, c), out); break;
            }
            fputc('|', out);
        }
        fputc('\n', out);
    }
    cr_assert_eq(rc, SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
}

/* Every row of one table, ordered by all its columns. */
static void put_table(FILE *out, sqlite3 *db, const char *table)
{
    char *count_sql = sqlite3_mprintf("SELECT count(*) FROM pragma_table_info(%Q)", table);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, count_sql, -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int cols = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_free(count_sql);
    char order[4096] = "";
    for (int c = 1; c <= cols; c++)
        snprintf(order + strlen(order), sizeof order - strlen(order), "%s%d", c > 1 ? "," : "", c);
    char *sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY %s", table, order);
    fprintf(out, "-- %s\n", table);
    put_rows(out, db, sql);
    sqlite3_free(sql);
}

char *crash_dump(const char *path)
{
    if (access(path, F_OK) != 0) return NULL;
    sqlite3 *db = open_readonly(path);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cr_assert_not_null(out);
    put_rows(out, db, "SELECT * FROM pragma_application_id, pragma_user_version");
    put_rows(out, db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name");
    sqlite3_stmt *st;
    static const char tables[] = "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name";
    cr_assert_eq(sqlite3_prepare_v2(db, tables, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) put_table(out, db, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    fclose(out);
    return buf;
}

char *crash_rows(const char *path, const char *sql)
{
    sqlite3 *db = open_readonly(path);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cr_assert_not_null(out);
    put_rows(out, db, sql);
    sqlite3_close(db);
    fclose(out);
    return buf;
}

void crash_assert_intact(const char *path)
{
    sqlite3 *db = open_readonly(path);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK, "%s: %s", path,
                 sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: %s", path, sqlite3_errmsg(db));
    const char *verdict = (const char *)sqlite3_column_text(st, 0);
    cr_assert_str_eq(verdict, "ok", "%s: integrity_check says %s", path, verdict);
    sqlite3_finalize(st);
    sqlite3_close(db);
}
