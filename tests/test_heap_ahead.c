/* test_heap_ahead.c - the heap's next pages faulted in ahead (data/heap_ahead.h): the memory
 * malloc hands out next from the heap's top is mapped before anything writes it, as far as
 * the call reached, and not past it; a stop already given, or a request of nothing, maps
 * nothing; in a process that never trims its heap (rb_heap_ahead_untrimmed), the pages the
 * call also reads are the same, and read and take writes as fresh memory does. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heap_ahead.h"

#ifdef RB_HEAP_AHEAD_WORKS
#include <malloc.h>
#include <unistd.h>

#define KIB ((size_t)1024)

static uintptr_t page_size(void) { return (uintptr_t)sysconf(_SC_PAGESIZE); }

/* Where the heap's unused top starts now. */
static uintptr_t top_start(void) { return (uintptr_t)sbrk(0) - mallinfo2().keepcost; }

/* The heap's top made large (the command's settings, cli/heap.c) and its start moved past
 * every page written before: from the break as it was on entry on, no page has been
 * touched. *held keeps the memory that moved it (free it). Returns the top's start. Meson
 * runs the tests with MALLOC_PERTURB_, which makes malloc and free write every byte they
 * hand out or take back: off here. */
static uintptr_t a_fresh_top(void **held)
{
    cr_assert_eq(mallopt(M_PERTURB, 0), 1);
    cr_assert_eq(mallopt(M_MMAP_THRESHOLD, 32 << 20), 1);
    cr_assert_eq(mallopt(M_TOP_PAD, 8 << 20), 1);
    cr_assert_eq(mallopt(M_TRIM_THRESHOLD, 64 << 20), 1);
    uintptr_t was = (uintptr_t)sbrk(0);
    void *grow = malloc(mallinfo2().keepcost + ((size_t)1 << 20)); /* more than the top: the break grows */
    cr_assert_not_null(grow);
    free(grow);
    uintptr_t top = top_start();
    *held = NULL;
    if (top < was) {
        *held = malloc(was - top);
        cr_assert_not_null(*held);
        top = top_start();
    }
    cr_assert_geq(top + 64, was, "the top starts at %p, before the break on entry %p", (void *)top, (void *)was);
    cr_assert_geq(mallinfo2().keepcost, 4 << 20);
    return top;
}

/* How many of the pages of [from, from + n) (page-aligned) are mapped (mincore). */
static size_t mapped_pages(uintptr_t from, size_t n)
{
    size_t pages = n / page_size(), mapped = 0;
    unsigned char *vec = malloc(pages);
    cr_assert_not_null(vec);
    cr_assert_eq(mincore((void *)from, n, vec), 0);
    for (size_t k = 0; k < pages; k++) mapped += vec[k] & 1;
    free(vec);
    return mapped;
}

/* rb_heap_ahead over 256 KiB of the fresh top starting at top (from: its first whole page):
 * those pages mapped, none past them; the next request comes from the top's start, inside
 * them, reads as fresh memory does and takes writes. */
static void ahead_then_the_next_request(uintptr_t top, uintptr_t from)
{
    size_t ahead = 256 * KIB, pages = ahead / page_size();
    cr_assert_eq(mapped_pages(from, ahead), 0, "pages of the fresh top mapped before the call");
    cr_assert_eq(rb_heap_ahead(ahead, NULL), ahead);
    cr_expect_eq(mapped_pages(from, ahead), pages, "of the %zu pages asked for", pages);
    cr_expect_eq(mapped_pages(from + ahead, ahead), 0, "pages mapped past the bytes asked for");
    size_t n = 160 * KIB;
    char *p = malloc(n);
    cr_assert_not_null(p);
    cr_assert((uintptr_t)p >= top && (uintptr_t)p < top + 64, "the request at %p, not at the top's start %p",
              (void *)p, (void *)top);
    for (size_t k = 0; k < n; k += 512) cr_assert_eq(p[k], 0);
    memset(p, 7, n);
    cr_expect_eq(p[n / 2], 7);
    free(p);
}

Test(heap_ahead, the_next_request_finds_its_pages_mapped_as_far_as_the_call_reached)
{
    void *held;
    uintptr_t top = a_fresh_top(&held), from = (top + page_size() - 1) & ~(page_size() - 1);
    ahead_then_the_next_request(top, from);
    free(held);
}

Test(heap_ahead, with_trimming_off_the_pages_read_ahead_are_the_same_and_fresh)
{
    void *held;
    uintptr_t top = a_fresh_top(&held), from = (top + page_size() - 1) & ~(page_size() - 1);
    cr_assert_eq(mallopt(M_TRIM_THRESHOLD, -1), 1); /* the command's setting (cli/heap.c) */
    rb_heap_ahead_untrimmed();
    ahead_then_the_next_request(top, from);
    /* freed, the top is not given back: the pages read ahead are mapped still */
    cr_expect_eq(mapped_pages(from, 256 * KIB), 256 * KIB / page_size());
    free(held);
}

Test(heap_ahead, a_stop_already_given_or_a_request_of_nothing_maps_nothing)
{
    void *held;
    uintptr_t top = a_fresh_top(&held), from = (top + page_size() - 1) & ~(page_size() - 1);
    int stop = 1;
    cr_expect_eq(rb_heap_ahead(256 * KIB, &stop), 0);
    cr_expect_eq(rb_heap_ahead(0, NULL), 0);
    cr_expect_eq(mapped_pages(from, 256 * KIB), 0);
    free(held);
}

Test(heap_ahead, a_request_larger_than_the_top_maps_the_top_and_no_more)
{
    void *held;
    uintptr_t top = a_fresh_top(&held), from = (top + page_size() - 1) & ~(page_size() - 1),
              brk = (uintptr_t)sbrk(0) & ~(page_size() - 1);
    size_t got = rb_heap_ahead((size_t)1 << 30, NULL);
    cr_expect_eq(got, brk - from, "%zu bytes mapped of a top of %zu", got, (size_t)(brk - from));
    cr_expect_eq(mapped_pages(from, brk - from), (brk - from) / page_size());
    free(held);
}
#else
Test(heap_ahead, nothing_is_done_here)
{
    int stop = 0;
    rb_heap_ahead_untrimmed();
    cr_expect_eq(rb_heap_ahead((size_t)1 << 20, &stop), 0);
}
#endif
