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
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

/* The mapping's size: whole huge pages (0 when bytes is too large to round). */
static size_t mapped_size(size_t bytes)
{
    if (bytes > SIZE_MAX - 2 * HUGE_PAGE) return 0;
    return (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

void *rb_big_alloc(size_t bytes)
{
    size_t size = mapped_size(bytes ? bytes : 1);
    if (!size || rb_alloc_should_fail()) return NULL;
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
    atomic_fetch_add(&live, 1);
    return p;
}

void rb_big_free(void *p, size_t bytes)
{
    if (!p) return;
    atomic_fetch_sub(&live, 1);
    size_t size = mapped_size(bytes ? bytes : 1);
    UNPOISON(p, size);
    munmap(p, size);
}

#else

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
