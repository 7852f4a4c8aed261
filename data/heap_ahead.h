/* heap_ahead.h - the first touch of the heap's next memory, taken by a thread that has time.
 *
 * A page that malloc hands out from the heap's unused top costs a trap into the kernel when
 * it is first written: 1.1-1.5 us a 4 KiB page on the 2-core development VM, where each trap
 * goes through the hypervisor. The main thread of the 1,000-band sweep met some 140 of them
 * during its batch, in memory carved from that top: its block's columns (calloc'd as the
 * batch begins, written by its first block) and the rows it queues for the results store.
 * A thread that faults those pages in first takes them off the main thread's path
 * (MADV_POPULATE_WRITE, Linux 5.14: the kernel maps each page as a first write would, zeroed,
 * and leaves a page already mapped as it is, so the memory reads the same either way). A
 * page faulted in that malloc never hands out costs 4 KiB of memory, nothing else.
 *
 * On a hypervisor that keeps its own copy of a process's page tables and fills it lazily
 * (shadow paging, as PVM does on the development VM), a page the kernel mapped costs one more
 * trap at its first access from user mode: of the 6-10 us a fresh 4 KiB page's first write
 * cost there, the advice took only half off the main thread (it still paid 5 us a page).
 * A read of each page by the helper after the advice takes that trap too (the main thread's
 * first write then cost 0.16 us a page). But a read of a page no longer mapped would crash
 * the process, and glibc gives the top of the heap back to the system (trims it) when it
 * grows large: so the helper reads only where the process has turned trimming off and said
 * so (rb_heap_ahead_untrimmed); a page it faulted in then stays mapped until the process ends.
 *
 * Linux with glibc's allocator only: the main thread's requests come from glibc's main
 * arena, whose unused top chunk ends at the program break (mallinfo2's keepcost is its
 * size). Elsewhere (another allocator, as under AddressSanitizer; another system; a kernel
 * that refuses the advice) nothing is done, and the pages fault in as before: only speed is
 * at stake. */
#ifndef RB_HEAP_AHEAD_H
#define RB_HEAP_AHEAD_H

#include <stddef.h>

/* Defined where rb_heap_ahead does its work (see above); elsewhere it returns 0. */
#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
#include <sys/mman.h> /* MADV_POPULATE_WRITE, and glibc's __GLIBC__ through <features.h> */
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33) && defined(MADV_POPULATE_WRITE)
#define RB_HEAP_AHEAD_WORKS 1
#endif
#endif

/* The most one step faults in before *stop is read again (some 20 us of page faults, and
 * some 80 us more where the pages are read: rb_heap_ahead_untrimmed). */
#define RB_HEAP_AHEAD_STEP ((size_t)64 << 10)

/* Faults in up to `bytes` (rounded up to whole pages) of the heap's unused top, from its
 * start, a step of RB_HEAP_AHEAD_STEP at a time, and stops before the next step once *stop
 * (read atomically; NULL: never) is not 0. Returns the bytes faulted in: 0 where nothing is
 * done (see above), fewer than asked when the top is smaller. Any thread may call it while
 * others allocate. */
size_t rb_heap_ahead(size_t bytes, const int *stop);

/* Says that this process never gives its heap back to the system before it ends: the caller
 * has turned glibc's trimming off (mallopt(M_TRIM_THRESHOLD, -1)) and never calls
 * malloc_trim. rb_heap_ahead then also reads each page it faulted in (see above). For the
 * process's owner (the command), not for a library whose host sets the heap's policy. */
void rb_heap_ahead_untrimmed(void);

#endif /* RB_HEAP_AHEAD_H */
