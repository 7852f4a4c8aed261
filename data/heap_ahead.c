/* heap_ahead.c - the heap's next pages faulted in ahead (heap_ahead.h). */
#include "heap_ahead.h"

#include <stdint.h>

/* Set once by rb_heap_ahead_untrimmed: the heap's pages stay mapped once faulted in. */
static int untrimmed;

void rb_heap_ahead_untrimmed(void) { __atomic_store_n(&untrimmed, 1, __ATOMIC_RELEASE); }

#ifdef RB_HEAP_AHEAD_WORKS
#include <malloc.h>
#include <unistd.h>

/* One byte of each page of [from, from + n) read, from user mode (heap_ahead.h: the
 * hypervisor's trap taken here, not at the main thread's first write). Only pages the advice
 * just mapped, in a heap that is never trimmed: they are mapped still. */
static void read_pages(uintptr_t from, size_t n, uintptr_t page)
{
    for (uintptr_t at = from; at < from + n; at += page) (void)*(volatile const char *)at;
}

size_t rb_heap_ahead(size_t bytes, const int *stop)
{
    long page_size = sysconf(_SC_PAGESIZE);
    if (page_size <= 0 || bytes == 0) return 0;
    const uintptr_t page = (uintptr_t)page_size;
    /* The main arena's top chunk: [break - keepcost, break). A break read while another
     * thread moves it is only older: the range then ends short of the new one. Were the
     * arena not contiguous (glibc falls back to mappings when the break cannot grow), the
     * range would be memory of the heap in use or given back, where the advice maps zeroed
     * pages only where none is mapped: what is written there reads the same. */
    struct mallinfo2 info = mallinfo2();
    uintptr_t end = (uintptr_t)sbrk(0), mask = page - 1;
    if (end == (uintptr_t)-1 || info.keepcost == 0 || info.keepcost > end) return 0;
    uintptr_t from = (end - info.keepcost + mask) & ~mask, to = end & ~mask;
    if (from >= to) return 0;
    if (to - from > bytes) to = from + ((bytes + mask) & ~mask);
    const int read = __atomic_load_n(&untrimmed, __ATOMIC_ACQUIRE);
    size_t done = 0;
    while (from + done < to) {
        if (stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE)) break;
        size_t step = to - from - done < RB_HEAP_AHEAD_STEP ? to - from - done : RB_HEAP_AHEAD_STEP;
        if (madvise((void *)(from + done), step, MADV_POPULATE_WRITE) != 0) break; /* refused: only speed */
        if (read) read_pages(from + done, step, page);
        done += step;
    }
    return done;
}
#else
size_t rb_heap_ahead(size_t bytes, const int *stop)
{
    (void)bytes, (void)stop;
    return 0;
}
#endif
