/* gnuplot.c - talking to gnuplot safely: user text as octal-escaped string literals, finding
 * the executable on PATH, and drawing the chart scripts through concurrent gnuplots started
 * without a shell, each reading its commands from a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gnuplot.h"
#include "text.h"

/* The longest user string (bytes, before escaping) written into a script. gnuplot 5.4 takes
 * literals of any length (tested with 10,000 bytes); the cap keeps every script line bounded
 * (at most 4 * 4096 + 2 characters) while leaving room for any path up to PATH_MAX. */
#define GP_STRING_MAX 4096

static int plain_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ';
}

/* How many bytes of s to keep so that at most max bytes are written and a multi-byte UTF-8
 * character is never cut in half. Sets *cut when s is longer. */
static size_t keep_bytes(const char *s, size_t max, int *cut)
{
    size_t n = strlen(s);
    *cut = n > max;
    return rb_utf8_cut(s, n, max);
}

/* The inside of a string literal: letters, digits and spaces as they are, control characters
 * as spaces (labels) or escaped like any other byte (paths, which must name the same file),
 * every other byte as \ooo. gnuplot reads up to four octal digits after "\0" (util.c
 * parse_esc: "%4o" when the first digit is 0), so an octal digit right after such an escape
 * is escaped too, and so on: a user's digit can never extend an escape. When s is longer than
 * max_bytes it is cut on a character boundary and "..." (escaped) is appended. */
static void write_body(FILE *out, const char *s, size_t max_bytes, int keep_controls)
{
    if (!s) s = "";
    int cut;
    size_t n = keep_bytes(s, max_bytes, &cut);
    int open_escape = 0; /* the last thing written was an escape that starts with 0 */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!keep_controls && (c < 0x20 || c == 0x7F)) c = ' ';
        if (plain_byte(c) && !(open_escape && c >= '0' && c <= '7')) {
            fputc(c, out);
            open_escape = 0;
        } else {
            fprintf(out, "\\%03o", (unsigned)c);
            open_escape = c < 0100;
        }
    }
    if (cut) fputs("\\056\\056\\056", out);
}

void rb_gnuplot_body(FILE *out, const char *s, size_t max_bytes) { write_body(out, s, max_bytes, 0); }

void rb_gnuplot_path(FILE *out, const char *path)
{
    fputc('"', out);
    write_body(out, path, strlen(path ? path : ""), 1);
    fputc('"', out);
}

void rb_gnuplot_text(FILE *out, const char *s, size_t max_bytes)
{
    fputc('"', out);
    rb_gnuplot_body(out, s, max_bytes);
    fputc('"', out);
}

void rb_gnuplot_string(FILE *out, const char *s) { rb_gnuplot_text(out, s, GP_STRING_MAX); }

/* 1 when dir/gnuplot is an executable regular file. */
static int executable_in(const char *dir, size_t len)
{
    char path[4096 + 16];
    if (len == 0) {
        dir = "."; /* an empty PATH entry is the current directory (POSIX) */
        len = 1;
    }
    if (len > 4096) return 0;
    memcpy(path, dir, len);
    memcpy(path + len, "/gnuplot", sizeof "/gnuplot");
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int rb_gnuplot_available(void)
{
    const char *path = getenv("PATH");
    char fallback[256];
    if (!path) {
        /* posix_spawnp searches the system's default path when PATH is unset. */
        size_t n = confstr(_CS_PATH, fallback, sizeof fallback);
        if (n == 0 || n > sizeof fallback) return 0;
        path = fallback;
    }
    for (;;) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        if (executable_in(path, len)) return 1;
        if (!colon) return 0;
        path = colon + 1;
    }
}

/* ---------------------------------------------------------------- the runner */

extern char **environ;

typedef struct job {
    size_t id;         /* its place in the outcomes */
    const char *name;
    FILE *pipe;        /* gnuplot's standard input; NULL when it could not start */
    pid_t pid;
    char err_path[4096];
} job;

/* Starts `gnuplot -d` (-d: default settings, so a user's ~/.gnuplot cannot change the charts)
 * with its standard output and error going to out_fd and its standard input read from the
 * returned stream. No shell is involved: nothing is parsed, and out_fd may have any number
 * (a shell's `>&N` takes only one digit in dash, which a process with many open files, such
 * as one holding SQLite stores, exceeds). Every descriptor made here is close-on-exec, so a
 * later gnuplot does not hold an earlier one's pipe open. NULL with errno set on failure. */
static FILE *start_gnuplot(int out_fd, pid_t *pid)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return NULL;
    posix_spawn_file_actions_t actions;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc == 0) {
        if ((rc = posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO)) == 0 &&
            (rc = posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO)) == 0 &&
            (rc = posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO)) == 0) {
            char *argv[] = {"gnuplot", "-d", NULL};
            rc = posix_spawnp(pid, "gnuplot", &actions, NULL, argv, environ);
        }
        posix_spawn_file_actions_destroy(&actions);
    }
    close(fds[0]);
    FILE *in = rc == 0 ? fdopen(fds[1], "w") : NULL;
    if (!in) {
        if (rc == 0) { /* started, but its pipe cannot be written: let it end on EOF */
            rc = errno;
            close(fds[1]);
            while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR) {}
        } else {
            close(fds[1]);
        }
        errno = rc;
    }
    return in;
}

/* Closes gnuplot's input and waits for it: its wait status, or -1. */
static int finish_gnuplot(FILE *in, pid_t pid)
{
    fclose(in);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return status;
}

static int join_path(char *buf, size_t cap, const char *dir, const char *name, const char *ext)
{
    int n = snprintf(buf, cap, "%s/%s%s", dir, name, ext);
    return n > 0 && (size_t)n < cap;
}

static void set_why(rb_chart_outcome *o, rb_chart_state state, const char *fmt, const char *arg)
{
    o->state = state;
    snprintf(o->why, sizeof o->why, fmt, arg);
    /* One line, printable: gnuplot's message may hold tabs or user bytes. */
    for (char *p = o->why; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F) *p = ' ';
}

/* The line of gnuplot's output that says what went wrong: the first `... line N: message`
 * that is not a warning, else the first line with something other than spaces and the caret
 * gnuplot puts under the offending token. */
static void first_error_line(const char *path, char *line, size_t cap)
{
    line[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    char buf[1024], fallback[1024] = "";
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        const char *s = buf + strspn(buf, " \t");
        if (!*s || strspn(s, " ^\t") == strlen(s)) continue;
        const char *at = strstr(s, "line ");
        int numbered = at && at[5] >= '0' && at[5] <= '9' && strchr(at, ':');
        if (numbered && !strstr(s, "warning:")) {
            snprintf(line, cap, "%s", s);
            fclose(f);
            return;
        }
        if (!fallback[0]) snprintf(fallback, sizeof fallback, "%s", s);
    }
    fclose(f);
    snprintf(line, cap, "%s", fallback);
}

static int nonempty_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Writes the two commands to one gnuplot. SIGPIPE (gnuplot died before reading) is blocked
 * in this thread and a pending one consumed, so a failed chart cannot kill the program; the
 * failure then shows in its wait status. */
static void feed(FILE *p, const char *chart_dir, const char *name)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    fputs("cd ", p);
    rb_gnuplot_path(p, chart_dir);
    fprintf(p, "\nload \"%s.gp\"\n", name); /* name is one of ours: letters only */
    fflush(p);
    sigset_t pending;
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) && !sigismember(&old, SIGPIPE)) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Draws charts names[0..n) whose scripts are chart_dir/NAME.gp, filling out[k]. All the
 * gnuplots are started before any is waited for, so they run side by side. gnuplot's output
 * goes to chart_dir/NAME.err through a descriptor the shell inherits (the command names only
 * its number); the file is removed when the chart is drawn and kept, for the user, when not. */
void rb_gnuplot_run_names(const char *chart_dir, const char *const *names, size_t n, rb_chart_outcome *out)
{
    if (!rb_gnuplot_available()) {
        for (size_t k = 0; k < n; k++)
            set_why(&out[k], RB_CHART_NO_GNUPLOT,
                    "gnuplot not found on PATH; install it (Debian/Ubuntu: apt install gnuplot-nox) "
                    "and run gnuplot %s.gp in the charts folder",
                    names[k]);
        return;
    }
    job jobs[RB_GNUPLOT_MAX_JOBS];
    if (n > RB_GNUPLOT_MAX_JOBS) n = RB_GNUPLOT_MAX_JOBS;
    for (size_t k = 0; k < n; k++) {
        job *j = &jobs[k];
        const char *name = names[k];
        j->id = k;
        j->name = name;
        j->pipe = NULL;
        char png[4096], svg[4096];
        if (!join_path(j->err_path, sizeof j->err_path, chart_dir, name, ".err") ||
            !join_path(png, sizeof png, chart_dir, name, ".png") ||
            !join_path(svg, sizeof svg, chart_dir, name, ".svg")) {
            set_why(&out[j->id], RB_CHART_FAILED, "%s", "the report folder's path is too long");
            continue;
        }
        unlink(png); /* so that a drawing left from an earlier report cannot pass for this one */
        unlink(svg);
        int fd = open(j->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            set_why(&out[j->id], RB_CHART_FAILED, "cannot write gnuplot's log: %s", strerror(errno));
            continue;
        }
        j->pipe = start_gnuplot(fd, &j->pid);
        int saved = errno;
        close(fd); /* gnuplot has its copy */
        if (!j->pipe) {
            set_why(&out[j->id], RB_CHART_FAILED, "cannot start gnuplot: %s", strerror(saved));
            continue;
        }
        feed(j->pipe, chart_dir, name);
    }
    for (size_t k = 0; k < n; k++) {
        job *j = &jobs[k];
        if (!j->pipe) continue;
        const char *name = j->name;
        int status = finish_gnuplot(j->pipe, j->pid);
        char png[4096], svg[4096];
        join_path(png, sizeof png, chart_dir, name, ".png");
        join_path(svg, sizeof svg, chart_dir, name, ".svg");
        int ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (ok && nonempty_file(png) && nonempty_file(svg)) {
            out[j->id].state = RB_CHART_DRAWN;
            out[j->id].why[0] = '\0';
            unlink(j->err_path);
            continue;
        }
        char line[1024];
        first_error_line(j->err_path, line, sizeof line);
        if (line[0])
            set_why(&out[j->id], RB_CHART_FAILED, "gnuplot: %s", line);
        else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 127)
            set_why(&out[j->id], RB_CHART_FAILED, "%s", "gnuplot could not be started");
        else if (ok)
            set_why(&out[j->id], RB_CHART_FAILED, "gnuplot drew no %s.png and .svg", name);
        else
            set_why(&out[j->id], RB_CHART_FAILED, "%s", "gnuplot stopped with an error and no message");
    }
}

void rb_gnuplot_run_ready(const char *chart_dir, const char *const *names, const int *ready, size_t n,
                          rb_chart_outcome *out)
{
    const char *pick[RB_GNUPLOT_MAX_JOBS] = {0};
    rb_chart_outcome got[RB_GNUPLOT_MAX_JOBS] = {0};
    size_t which[RB_GNUPLOT_MAX_JOBS] = {0}, m = 0;
    for (size_t k = 0; k < n && m < RB_GNUPLOT_MAX_JOBS; k++)
        if (ready[k]) pick[m] = names[k], got[m] = out[k], which[m++] = k;
    rb_gnuplot_run_names(chart_dir, pick, m, got);
    for (size_t j = 0; j < m; j++) out[which[j]] = got[j];
}

void rb_gnuplot_run(const char *chart_dir, const rb_chart_id *ids, size_t n, rb_chart_outcome out[RB_CHART_COUNT])
{
    const char *names[RB_CHART_COUNT] = {0};
    rb_chart_outcome res[RB_CHART_COUNT];
    if (n > RB_CHART_COUNT) n = RB_CHART_COUNT;
    for (size_t k = 0; k < n; k++) names[k] = rb_chart_name(ids[k]), res[k] = out[ids[k]];
    rb_gnuplot_run_names(chart_dir, names, n, res);
    for (size_t k = 0; k < n; k++) out[ids[k]] = res[k];
}
