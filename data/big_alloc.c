/* big_alloc.c - large buffers on huge pages (big_alloc.h). */
#include "big_alloc.h"
#include "alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

static atomic_long live; /* buffers given and not freed */

long rb_big_live(void) { return atomic_load(&live); }

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

void rb_big_poison(void *p, size_t bytes) { POISON(p, bytes); }
void rb_big_unpoison(void *p, size_t bytes) { UNPOISON(p, bytes); }

#if defined(__linux__)
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

/* Freed buffers kept mapped (big_alloc.h): an unmapping in a process with threads on other
 * processors waits for each of them to flush its TLB (an interprocessor interrupt): 0.13 ms
 * on the 2-core development VM for the block of configurations a sweep frees as its
 * simulation ends, while the results writer runs on the other processor. A sweep frees
 * three (the bars read, its block, its price matrix). The next request of a kept buffer's
 * size takes it, zeroed (cheaper than a fresh huge page's fault and clear); else it goes
 * with the process. Up to KEEP_COUNT buffers of KEEP_MOST bytes in all. */
#define KEEP_COUNT 4
#define KEEP_MOST ((size_t)16 << 20)
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static void *kept[KEEP_COUNT];
static size_t kept_size[KEEP_COUNT];
static int kept_fresh[KEEP_COUNT]; /* never given yet (rb_big_prepare): its pages are zero */

/* A kept buffer of this size (no longer kept), or NULL; *fresh: it was never given. */
static void *take_kept(size_t size, int *fresh)
{
    void *p = NULL;
    pthread_mutex_lock(&kept_lock);
    for (size_t k = 0; !p && k < KEEP_COUNT; k++)
        if (kept[k] && kept_size[k] == size) {
            p = kept[k];
            *fresh = kept_fresh[k];
            kept[k] = NULL;
        }
    pthread_mutex_unlock(&kept_lock);
    return p;
}

/* Keeps p (size bytes, poisoned already; fresh: never given) when there is room; 1 when
 * kept. */
static int keep(void *p, size_t size, int fresh)
{
    int took = 0;
    pthread_mutex_lock(&kept_lock);
    size_t held = 0, free_slot = KEEP_COUNT;
    for (size_t k = 0; k < KEEP_COUNT; k++) {
        if (kept[k]) held += kept_size[k];
        else if (free_slot == KEEP_COUNT) free_slot = k;
    }
    if (free_slot < KEEP_COUNT && size <= KEEP_MOST - held) {
        kept[free_slot] = p;
        kept_size[free_slot] = size;
        kept_fresh[free_slot] = fresh;
        took = 1;
    }
    pthread_mutex_unlock(&kept_lock);
    return took;
}

/* The mapping's size: whole huge pages (0 when bytes is too large to round). */
static size_t mapped_size(size_t bytes)
{
    if (bytes > SIZE_MAX - 2 * HUGE_PAGE) return 0;
    return (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

/* A new mapping of size bytes (whole huge pages), 2 MiB-aligned, advised for huge pages;
 * NULL when out of memory. */
static char *map_huge(size_t size)
{
    /* Map a huge page more than needed, keep the 2 MiB-aligned part: the kernel backs only
     * aligned 2 MiB ranges with huge pages. */
    char *raw = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    char *p = (char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (p > raw) munmap(raw, (size_t)(p - raw));
    size_t tail = (size_t)(raw + size + HUGE_PAGE - (p + size));
    if (tail) munmap(p + size, tail);
#ifdef MADV_HUGEPAGE
    (void)madvise(p, size, MADV_HUGEPAGE); /* a refusal only costs speed */
#endif
    UNPOISON(p, size); /* the address range may have held an earlier, poisoned buffer */
    return p;
}

void *rb_big_alloc(size_t bytes)
{
    size_t size = mapped_size(bytes ? bytes : 1);
    if (!size || rb_alloc_should_fail()) return NULL;
    int fresh = 0;
    char *again = take_kept(size, &fresh);
    if (again) {
        UNPOISON(again, size);
        if (!fresh) memset(again, 0, size);
        atomic_fetch_add(&live, 1);
        return again;
    }
    char *p = map_huge(size);
    if (p) atomic_fetch_add(&live, 1);
    return p;
}

void *rb_big_prepare(size_t bytes)
{
    size_t size = mapped_size(bytes ? bytes : 1);
    char *p = size ? map_huge(size) : NULL;
    if (!p) return NULL;
#ifdef MADV_POPULATE_WRITE
    (void)madvise(p, size, MADV_POPULATE_WRITE); /* refused: the first writes fault them in, as ever */
#endif
    POISON(p, size);
    if (keep(p, size, 1)) return p;
    munmap(p, size);
    return NULL;
}

void rb_big_free(void *p, size_t bytes)
{
    if (!p) return;
    atomic_fetch_sub(&live, 1);
    size_t size = mapped_size(bytes ? bytes : 1);
    POISON(p, size); /* before another thread can take it: a later use of p is caught */
    if (keep(p, size, 0)) return;
    UNPOISON(p, size);
    munmap(p, size);
}

#else

void *rb_big_prepare(size_t bytes)
{
    (void)bytes;
    return NULL;
}

void *rb_big_alloc(size_t bytes)
{
    void *p = rb_calloc(1, bytes ? bytes : 1);
    if (p) atomic_fetch_add(&live, 1);
    return p;
}

void rb_big_free(void *p, size_t bytes)
{
    if (!p) return;
    atomic_fetch_sub(&live, 1);
    UNPOISON(p, bytes);
    free(p);
}

#endif
