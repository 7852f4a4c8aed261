/* sweep_batch.c - a sweep's batch alone, timed in one process: rb_sweep_run on a price store
 * with no results store (its rows go to a callback that keeps nothing), RUNS times, each
 * time the batch's own seconds (rb_sweep_summary.seconds: from the first configuration to
 * the last, none of the command's start, store or end). Prints the least, the first quartile
 * and the median in milliseconds.
 *
 * Why beside the whole command (overhead_bench.sh): on the 2-core VM the whole command's
 * median moves by 0.3-0.6 ms between two copies of one binary and by the hour, and one
 * processor can run 40 % slower than the other for minutes; a change of 1-3 % to the
 * simulation drowns there. The least of a few in-process runs, taken in rounds that
 * alternate two builds (paired_rounds.sh), shows it.
 *
 * Usage: sweep_batch DB SPEC [RUNS]     Output: "least_ms=L q1_ms=Q median_ms=M" */
#include <stdio.h>
#include <stdlib.h>

#include "rebal.h"

static rb_status keep_nothing(void *ctx, const rb_sweep_row *row, rb_error *err)
{
    (void)ctx, (void)row, (void)err;
    return RB_OK;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: sweep_batch DB SPEC [RUNS]\n");
        return 2;
    }
    int runs = argc > 3 ? atoi(argv[3]) : 9;
    if (runs < 1 || runs > 10000) {
        fprintf(stderr, "sweep_batch: RUNS must be 1 to 10000\n");
        return 2;
    }
    double *ms = malloc((size_t)runs * sizeof *ms);
    rb_error err = {0};
    rb_store *store = NULL;
    if (!ms) return 1;
    if (rb_store_open(argv[1], RB_STORE_READONLY, &store, &err) != RB_OK) {
        fprintf(stderr, "sweep_batch: %s\n", err.msg);
        free(ms);
        return 1;
    }
    for (int r = 0; r < runs; r++) {
        rb_sweep_options opt = {.threads = 1, .on_row = keep_nothing};
        rb_sweep_summary sum;
        if (rb_sweep_run(store, argv[2], &opt, &sum, &err) != RB_OK) {
            fprintf(stderr, "sweep_batch: %s\n", err.msg);
            rb_store_free(store);
            free(ms);
            return 1;
        }
        ms[r] = sum.seconds * 1e3;
    }
    rb_store_free(store);
    qsort(ms, (size_t)runs, sizeof *ms, cmp);
    printf("least_ms=%.3f q1_ms=%.3f median_ms=%.3f\n", ms[0], ms[runs / 4], ms[runs / 2]);
    free(ms);
    return 0;
}
