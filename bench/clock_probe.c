/* clock_probe.c - how fast each processor runs at the moment (clock_chain.h): RUNS times
 * (default 5), every processor the process may run on read at once by a chain of 100 million
 * dependent additions. Prints the median and the fastest reading of the slowest processor in
 * GHz, then each processor's median ("cpuN_ghz="). For a look at the machine before timing by
 * hand; wall_time --clock reads the processors in the same way around each run it times. */
#include <stdio.h>
#include <stdlib.h>

#include "clock_chain.h"

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return v[(n - 1) / 2];
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (argc > 2 || runs < 1 || runs > 1000) {
        fprintf(stderr, "usage: clock_probe [RUNS]   (1 to 1000, default 5)\n");
        return 2;
    }
    const unsigned long n = 100000000UL;
    static double each[CLOCK_CHAIN_CPUS][1000];
    double slowest[1000], ghz[CLOCK_CHAIN_CPUS];
    int cpu[CLOCK_CHAIN_CPUS], count = 0;
    for (int r = 0; r < runs; r++) {
        count = clock_chain_all(n, ghz, cpu);
        if (count == 0) { /* the processors cannot be read one by one: this one */
            ghz[0] = clock_chain_ghz(n);
            cpu[0] = -1;
            count = 1;
        }
        slowest[r] = ghz[0];
        for (int k = 0; k < count; k++) {
            each[k][r] = ghz[k];
            if (ghz[k] < slowest[r]) slowest[r] = ghz[k];
        }
    }
    qsort(slowest, (size_t)runs, sizeof *slowest, by_value);
    printf("median_ghz=%.2f fastest_ghz=%.2f", slowest[(runs - 1) / 2], slowest[runs - 1]);
    for (int k = 0; k < count && cpu[0] >= 0; k++) printf(" cpu%d_ghz=%.2f", cpu[k], median(each[k], runs));
    printf("\n");
    return 0;
}
