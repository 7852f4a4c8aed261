/* wall_time.c - the overhead benchmark's timer: runs a command RUNS times as a whole process
 * (posix_spawn, wait) and prints the median and the fastest wall-clock time in milliseconds.
 * posix_spawn rather than fork and exec: a fork copies the timer's own page tables, a cost
 * of the timer (about 0.5-1 ms on the 2-core VM), not of the command; the spawn starts the
 * command as a shell's fork would, but without charging it for the parent.
 * Before each run, untimed, it runs PREP with the shell (e.g. removing a results store).
 * Usage: wall_time RUNS PREP -- COMMAND [ARG...]     Output: "median_ms=M fastest_ms=F" */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: wall_time RUNS PREP -- COMMAND [ARG...]\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    if (runs < 1 || runs > 10000) {
        fprintf(stderr, "wall_time: RUNS must be 1 to 10000\n");
        return 2;
    }
    double *ms = malloc((size_t)runs * sizeof *ms);
    if (!ms) return 1;
    /* The command's output goes nowhere: printing is part of its work, not of a terminal's. */
    posix_spawn_file_actions_t actions;
    if (posix_spawn_file_actions_init(&actions) != 0 ||
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0) != 0)
        return 1;
    for (int r = 0; r < runs; r++) {
        if (*argv[2] && system(argv[2]) != 0) {
            fprintf(stderr, "wall_time: '%s' failed\n", argv[2]);
            return 1;
        }
        double t0 = now_ms();
        pid_t pid;
        if (posix_spawnp(&pid, argv[4], &actions, NULL, argv + 4, environ) != 0) return 1;
        int status;
        if (waitpid(pid, &status, 0) < 0) return 1;
        ms[r] = now_ms() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "wall_time: %s exited with status %d\n", argv[4],
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            return 1;
        }
    }
    qsort(ms, (size_t)runs, sizeof *ms, cmp);
    double median = runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
    printf("median_ms=%.2f fastest_ms=%.2f\n", median, ms[0]);
    posix_spawn_file_actions_destroy(&actions);
    free(ms);
    return 0;
}
