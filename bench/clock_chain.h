/* clock_chain.h - how fast this processor runs at the moment: a chain of n dependent integer
 * additions, one per cycle on any processor of the last twenty years, timed by the wall
 * clock, as additions per nanosecond (the clock in GHz, as a process sees it). The 2-core
 * development VM reads 3.3-3.6, or 1.8-2.1 in spells (from a second to many minutes) when
 * its host gives the VM's processor less of a core, and every timing taken then is slower.
 * The processors flip between the two states on their own (one read 1.8 while the other read
 * 3.6), so clock_chain_all reads each one the process may run on, at once.
 * Shared by clock_probe.c and wall_time.c (--clock); its clock (clock_chain_now_s) by the
 * benchmarks that time their own work (import_lib.c, lots_bench.c, lots_replay.c). Needs
 * _GNU_SOURCE (the build defines it) for the threads' affinity. */
#ifndef REBAL_BENCH_CLOCK_CHAIN_H
#define REBAL_BENCH_CLOCK_CHAIN_H

#include <pthread.h>
#include <sched.h>
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

/* The most processors clock_chain_all reads. */
#define CLOCK_CHAIN_CPUS 64

typedef struct clock_chain_job {
    unsigned long n; /* 0: clock_chain_reading, else a chain of n */
    double ghz;
} clock_chain_job;

static void *clock_chain_run(void *arg)
{
    clock_chain_job *job = arg;
    job->ghz = job->n ? clock_chain_ghz(job->n) : clock_chain_reading();
    return NULL;
}

/* Each processor this process may run on (up to CLOCK_CHAIN_CPUS), read at the same moment
 * by a thread pinned to it: a chain of n additions, or clock_chain_reading for n = 0. Fills
 * ghz[] in the order of the processors' numbers (cpu[] gets their numbers, when not NULL)
 * and returns how many; 0 when the process's processors or a thread cannot be had. */
static inline int clock_chain_all(unsigned long n, double *ghz, int *cpu)
{
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
    pthread_t thread[CLOCK_CHAIN_CPUS];
    clock_chain_job job[CLOCK_CHAIN_CPUS];
    int count = 0, ok = 1;
    for (int c = 0; c < CPU_SETSIZE && count < CLOCK_CHAIN_CPUS && ok; c++) {
        if (!CPU_ISSET(c, &allowed)) continue;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(c, &one);
        pthread_attr_t attr;
        job[count] = (clock_chain_job){n, 0};
        ok = pthread_attr_init(&attr) == 0;
        if (ok) {
            ok = pthread_attr_setaffinity_np(&attr, sizeof one, &one) == 0 &&
                 pthread_create(&thread[count], &attr, clock_chain_run, &job[count]) == 0;
            pthread_attr_destroy(&attr);
        }
        if (ok) {
            if (cpu) cpu[count] = c;
            count++;
        }
    }
    for (int k = 0; k < count; k++) pthread_join(thread[k], NULL);
    if (!ok) return 0;
    for (int k = 0; k < count; k++) ghz[k] = job[k].ghz;
    return count;
}

/* The slowest processor's reading (clock_chain_all, clock_chain_reading on each): what a
 * command whose threads use every processor meets. The caller's own reading where the
 * processors cannot be read one by one. */
static inline double clock_chain_slowest(void)
{
    double ghz[CLOCK_CHAIN_CPUS];
    int count = clock_chain_all(0, ghz, NULL);
    if (count == 0) return clock_chain_reading();
    double slowest = ghz[0];
    for (int k = 1; k < count; k++)
        if (ghz[k] < slowest) slowest = ghz[k];
    return slowest;
}

#endif
