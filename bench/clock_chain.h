/* clock_chain.h - how fast this processor runs at the moment: a chain of n dependent integer
 * additions, one per cycle on any processor of the last twenty years, timed by the wall
 * clock, as additions per nanosecond (the clock in GHz, as a process sees it). The 2-core
 * development VM reads 3.3-3.6, or 1.8-2.1 in spells (from a second to many minutes) when
 * its host gives the VM's processor less of a core, and every timing taken then is slower.
 * Shared by clock_probe.c and wall_time.c (--clock). */
#ifndef REBAL_BENCH_CLOCK_CHAIN_H
#define REBAL_BENCH_CLOCK_CHAIN_H

#include <stdlib.h>
#include <time.h>

static inline double clock_chain_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The empty asm keeps x in a register that the compiler must assume changed, so the
 * additions can neither be folded nor run side by side. */
static inline double clock_chain_ghz(unsigned long n)
{
    unsigned long x = 0;
    double t0 = clock_chain_now_s();
    for (unsigned long i = 0; i < n; i++) {
        x++;
        __asm__ volatile("" : "+r"(x));
    }
    double t = clock_chain_now_s() - t0;
    if (x != n) abort(); /* cannot happen: keeps x alive */
    return (double)n / t * 1e-9;
}

/* A short reading for use between timed runs (5-9 ms): the fastest of three chains of 5
 * million additions. One chain alone reads up to 15 % low when an interrupt lands in it; the
 * fastest of three is steady to a few percent. */
static inline double clock_chain_reading(void)
{
    double top = 0;
    for (int k = 0; k < 3; k++) {
        double g = clock_chain_ghz(5000000UL);
        if (g > top) top = g;
    }
    return top;
}

#endif
