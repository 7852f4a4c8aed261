/* clock_probe.c - how fast this processor runs at the moment (clock_chain.h): RUNS chains of
 * 100 million dependent additions (default 5); prints the median and the fastest reading in
 * GHz. For a look at the machine before timing anything; wall_time --clock reads the same
 * chain around each run it times. */
#include <stdio.h>
#include <stdlib.h>

#include "clock_chain.h"

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (argc > 2 || runs < 1 || runs > 1000) {
        fprintf(stderr, "usage: clock_probe [RUNS]   (1 to 1000, default 5)\n");
        return 2;
    }
    const unsigned long n = 100000000UL;
    double ghz[1000];
    for (int r = 0; r < runs; r++) ghz[r] = clock_chain_ghz(n);
    qsort(ghz, (size_t)runs, sizeof *ghz, by_value);
    printf("median_ghz=%.2f fastest_ghz=%.2f\n", ghz[(runs - 1) / 2], ghz[runs - 1]);
    return 0;
}
