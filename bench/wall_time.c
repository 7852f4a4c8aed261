/* wall_time.c - the overhead benchmark's timer: runs a command RUNS times as a whole process
 * (posix_spawn, wait) and prints the median and the fastest wall-clock time in milliseconds.
 * posix_spawn rather than fork and exec: a fork copies the timer's own page tables, a cost
 * of the timer (about 0.5-1 ms on the 2-core VM), not of the command; the spawn starts the
 * command as a shell's fork would, but without charging it for the parent.
 * Before each run, untimed, it runs PREP with the shell (e.g. removing a results store).
 * Usage: wall_time [--clock] RUNS PREP -- COMMAND [ARG...]
 * Output: "median_ms=M fastest_ms=F"
 * --clock reads the processors' speed (clock_chain.h, clock_chain_slowest: every processor at
 * once, 5-9 ms, the slowest one's reading) before each run's PREP and just after the run, and
 * adds "top_ghz=G full_runs=N full_median_ms=A slow_runs=S slow_median_ms=B": G is the
 * fastest reading, and a run was at full speed when both of its readings are within 20 % of G
 * (every processor at full speed: the command's threads run on all of them). On a host that
 * lends its processor in spells of half speed (the 2-core development VM: 3.3-3.6 GHz or
 * 1.8-2.1), the two medians tell the code's time apart from the host's; a median is "nan"
 * where no run was of its kind. */
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock_chain.h"

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

/* The median of the n values in v (sorted in place); NAN for none. */
static double median_of(double *v, int n)
{
    if (n == 0) return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A reading within 20 % of the fastest: the processor at full speed. The two states of the
 * development VM are a factor of 1.7-2 apart; a reading is steady to a few percent. */
#define FULL_SPEED 0.8

/* Splits the runs by the readings around them: prints top_ghz, and the count and median of
 * the runs at full speed and of the others. */
static void print_speeds(const double *ms, const double *before, const double *after, int runs)
{
    double top = 0;
    for (int r = 0; r < runs; r++) {
        if (before[r] > top) top = before[r];
        if (after[r] > top) top = after[r];
    }
    double *full = malloc((size_t)runs * sizeof *full), *slow = malloc((size_t)runs * sizeof *slow);
    if (!full || !slow) exit(1);
    int nf = 0, ns = 0;
    for (int r = 0; r < runs; r++) {
        if (before[r] >= FULL_SPEED * top && after[r] >= FULL_SPEED * top) full[nf++] = ms[r];
        else slow[ns++] = ms[r];
    }
    printf(" top_ghz=%.2f full_runs=%d full_median_ms=%.2f slow_runs=%d slow_median_ms=%.2f", top, nf,
           median_of(full, nf), ns, median_of(slow, ns));
    free(full);
    free(slow);
}

int main(int argc, char **argv)
{
    int read_clock = argc > 1 && strcmp(argv[1], "--clock") == 0;
    argc -= read_clock;
    argv += read_clock;
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: wall_time [--clock] RUNS PREP -- COMMAND [ARG...]\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    if (runs < 1 || runs > 10000) {
        fprintf(stderr, "wall_time: RUNS must be 1 to 10000\n");
        return 2;
    }
    double *ms = malloc((size_t)runs * sizeof *ms);
    double *before = malloc((size_t)runs * sizeof *before), *after = malloc((size_t)runs * sizeof *after);
    if (!ms || !before || !after) return 1;
    /* The command's output goes nowhere: printing is part of its work, not of a terminal's. */
    posix_spawn_file_actions_t actions;
    if (posix_spawn_file_actions_init(&actions) != 0 ||
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0) != 0)
        return 1;
    for (int r = 0; r < runs; r++) {
        /* before PREP: read just before the spawn, the runs took 0.1-0.3 ms longer */
        if (read_clock) before[r] = clock_chain_slowest();
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
        if (read_clock) after[r] = clock_chain_slowest();
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "wall_time: %s exited with status %d\n", argv[4],
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            return 1;
        }
    }
    double *sorted = malloc((size_t)runs * sizeof *sorted);
    if (!sorted) return 1;
    memcpy(sorted, ms, (size_t)runs * sizeof *ms);
    double median = median_of(sorted, runs);
    printf("median_ms=%.2f fastest_ms=%.2f", median, sorted[0]);
    if (read_clock) print_speeds(ms, before, after, runs);
    printf("\n");
    free(sorted);
    posix_spawn_file_actions_destroy(&actions);
    free(ms);
    free(before);
    free(after);
    return 0;
}
