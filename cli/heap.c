/* heap.c - the command's allocator settings (cli.h).
 *
 * glibc is told to grow the heap by 8 MiB at a time, to keep requests of up to 4 MiB on the
 * heap (not in mappings of their own, whose munmap makes every other processor running the
 * process flush its TLB: an interrupt in the middle of the simulation) and never to give the
 * heap's memory back before the command ends (until the thirty-seventh session of issue 16
 * it gave back what was free beyond 64 MiB). Only address space is taken ahead: a page costs
 * memory when it is first written. A heap that is never trimmed keeps every page it faulted
 * in mapped, which lets the sweep's helper read the pages it faults in ahead for the main
 * thread (data/heap_ahead.h): on the development VM the 1,000-band sweep was 0.7-1.0 ms
 * faster (paired runs, 52 of 61 and 50 of 61). A command's heap is mostly freed only as it
 * ends; the large buffers that come and go are mappings of their own (data/big_alloc.c).
 *
 * The heap is not put on 2 MiB transparent huge pages any more (it was, from the fifteenth
 * session of issue 16 to the twenty-fifth: one trap and one 2 MiB clear, some 0.2 ms, for
 * the ~150-450 heap pages of a sweep, where each 4 KiB page's first write traps). On a
 * virtual machine that reports free memory to its host (virtio-balloon free page
 * reporting, as on the development VM), the guest gives the host back every free block of
 * 2 MiB a few seconds after it is freed, and a huge page made of such a block is backed by
 * the host again as it is cleared: 5-6.5 ms instead of 0.2 (a test program, 6 huge pages
 * after 3 s idle: 4 of them 6.1-6.7 ms). Pages of 4 KiB come from the guest's own lists and
 * cost the same at any moment. So a command run a few seconds after the last one (any
 * command a user types) paid several such faults: with 3 s idle before each run, one
 * configuration's sweep took 16-21 ms median against 4.7 back to back, the 1,000-band sweep
 * 50-55 against 28.5. With the heap and the helper threads' arenas (data/base/thread.c) on
 * 4 KiB pages, and the price store mapped rather than read into SQLite's page cache here
 * (data/store.c): 7.6-12.5 and 43-45 ms after 3 s idle; back to back the same and 0.66 ms
 * faster (paired runs, 41 each; the 4 KiB heap alone, beside the mapped store, -0.16 and
 * -0.24 ms). The large buffers that are written whole (the bars read, the price matrix, a
 * block's slots: data/big_alloc.c) stay on huge pages, which after a pause may still be
 * slow: on 4 KiB pages the two sweeps took 1.7 and 2.0 ms longer back to back.
 *
 * Anything unexpected (another allocator, as under a sanitizer or valgrind) leaves the heap
 * as it is: only speed is at stake. */
#include "cli.h"

#if defined(__GLIBC__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
#include <malloc.h>

#include "heap_ahead.h"

void cli_heap_settings(void)
{
    /* a refusal leaves glibc's default */
    (void)mallopt(M_MMAP_THRESHOLD, 4 << 20);
    (void)mallopt(M_TOP_PAD, 8 << 20);
    if (mallopt(M_TRIM_THRESHOLD, -1) == 1) rb_heap_ahead_untrimmed(); /* -1: never (mallopt(3)) */
}

#else

void cli_heap_settings(void) {}

#endif
