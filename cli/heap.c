/* heap.c - the command's heap on huge pages (cli.h).
 *
 * On a virtual machine the first write to a fresh 4 KiB page traps into the hypervisor: on
 * the 2-core development VM it costs about 11 us, so the ~150 heap pages of a small sweep
 * (SQLite's page caches and schema, the block of configurations, the lanes) took some
 * 1.6 ms of a 13 ms command. A 2 MiB transparent huge page costs one trap and one 2 MiB
 * clear (about 0.2 ms). The kernel backs an aligned 2 MiB range with a huge page only when
 * the range is advised (THP "madvise" mode, Debian's default) and no 4 KiB page of it is
 * mapped yet, so the heap is prepared before the command allocates anything:
 *   1. glibc is told to grow the heap by 8 MiB at a time, to keep up to 4 MiB requests on
 *      the heap (not in separate mappings) and not to shrink it below 64 MiB free;
 *   2. one allocation just larger than the free top of the heap makes glibc extend it (its
 *      headers are written near the old end, below the first whole 2 MiB range);
 *   3. the whole 2 MiB ranges of the new end are advised for huge pages;
 *   4. a filler allocation, never freed and never written past its header, takes the heap
 *      up to the first of them, so that every later allocation lands in advised ranges.
 * Anything unexpected (another allocator, as under a sanitizer or valgrind, or an address
 * that does not fit the plan) leaves the heap as it is: only speed is at stake. */
#include "cli.h"

#if defined(__GLIBC__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

/* The addresses of the allocations below matter, not their contents: they go through
 * volatiles, so the compiler cannot drop an allocation that is never read, or freed unused. */
static void *volatile seen;
static void *volatile filler; /* kept for the process's life: untouched, it costs no memory */

static char *allocated(size_t bytes)
{
    seen = malloc(bytes);
    return seen;
}

void cli_heap_on_huge_pages(void)
{
#ifdef MADV_HUGEPAGE
    if (!mallopt(M_MMAP_THRESHOLD, 4 << 20) || !mallopt(M_TOP_PAD, 8 << 20) || !mallopt(M_TRIM_THRESHOLD, 64 << 20))
        return;
    size_t top = mallinfo2().keepcost; /* the free top of the heap */
    char *grow = allocated(top + 4096);
    char *end = sbrk(0);
    if (!grow || end == (char *)-1) {
        free(grow);
        return;
    }
    char *first = (char *)(((uintptr_t)grow + top + 8192 + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
    int advised = end > first + HUGE_PAGE && madvise(first, (size_t)(end - first), MADV_HUGEPAGE) == 0;
    free(grow);
    if (!advised) return;
    char *start = allocated(64); /* where the heap's free top now starts */
    if (start && start < first && (uintptr_t)(first - start) <= 2 * HUGE_PAGE)
        filler = malloc((size_t)(first - start) - 128);
    free(start);
#endif
}

#else

void cli_heap_on_huge_pages(void) {}

#endif
