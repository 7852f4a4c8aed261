/* clock_probe.c - how fast this processor runs at the moment: a chain of dependent integer
 * additions, one per cycle on any processor of the last twenty years, timed by the wall
 * clock, reported as additions per nanosecond (the clock in GHz, as a process sees it). The
 * overhead benchmark prints it beside its timings: on the 2-core development VM it reads
 * 3.5-3.6, or 1.8-2.1 in spells (from a second to many minutes) when the host gives the
 * VM's processor less of a core, and every timing taken then is slower. RUNS chains of 100
 * million additions (default 5); prints the median and the fastest. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds for n dependent additions. The empty asm keeps x in a register that the compiler
 * must assume changed, so the additions can neither be folded nor run side by side. */
static double chain_seconds(unsigned long n)
{
    unsigned long x = 0;
    double t0 = now_s();
    for (unsigned long i = 0; i < n; i++) {
        x++;
        __asm__ volatile("" : "+r"(x));
    }
    double t = now_s() - t0;
    if (x != n) abort(); /* cannot happen: keeps x alive */
    return t;
}

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
    for (int r = 0; r < runs; r++) ghz[r] = (double)n / chain_seconds(n) * 1e-9;
    qsort(ghz, (size_t)runs, sizeof *ghz, by_value);
    printf("median_ghz=%.2f fastest_ghz=%.2f\n", ghz[(runs - 1) / 2], ghz[runs - 1]);
    return 0;
}
