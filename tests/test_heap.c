/* test_heap.c - the command's allocator settings (cli/heap.c): after cli_heap_settings, a
 * request of up to 4 MiB is served from the heap, not from a mapping of its own (whose
 * munmap would interrupt every other processor running the process), and the heap is never
 * given back, however much of it is freed (the sweep's helper reads the pages it faulted in
 * ahead: data/heap_ahead.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#if defined(__GLIBC__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
/* Whether p lies in the main heap: between the program's data and the program break. */
static int on_the_heap(const void *p)
{
    extern char end; /* the end of the program's data (the linker's symbol) */
    return (const char *)p >= &end && (const char *)p < (const char *)sbrk(0);
}

Test(heap, a_3_mib_request_is_served_from_the_heap)
{
    cli_heap_settings();
    size_t n = (size_t)3 << 20; /* above glibc's default threshold (128 KiB, at most 32 MiB) */
    char *p = malloc(n);
    cr_assert_not_null(p);
    memset(p, 1, n);
    cr_expect(on_the_heap(p), "3 MiB at %p, outside the heap (up to %p)", (void *)p, sbrk(0));
    free(p);
    /* freed, it stays on the heap for the next request rather than going back */
    char *q = malloc(n);
    cr_assert_not_null(q);
    cr_expect(on_the_heap(q));
    free(q);
}

Test(heap, a_heap_freed_whole_is_not_given_back)
{
    cli_heap_settings();
    enum { PIECES = 32 }; /* 96 MiB: far more than glibc trims at by default or at 64 MiB */
    char *piece[PIECES];
    for (int k = 0; k < PIECES; k++) {
        piece[k] = malloc((size_t)3 << 20);
        cr_assert_not_null(piece[k]);
        cr_assert(on_the_heap(piece[k]));
    }
    const void *grown = sbrk(0);
    for (int k = PIECES - 1; k >= 0; k--) free(piece[k]);
    cr_expect_eq(sbrk(0), grown, "the break went back from %p to %p: the heap was trimmed", grown, sbrk(0));
}

Test(heap, the_heap_is_not_advised_for_huge_pages)
{
    cli_heap_settings();
    char *p = malloc(64);
    cr_assert_not_null(p);
    FILE *f = fopen("/proc/self/smaps", "r");
    cr_assert_not_null(f);
    char line[512];
    int in_heap = 0, advised = 0;
    while (fgets(line, sizeof line, f)) {
        if (strchr(line, '-') && strstr(line, " rw") && strchr(line, ':')) in_heap = strstr(line, "[heap]") != NULL;
        else if (in_heap && strncmp(line, "VmFlags:", 8) == 0 && strstr(line, " hg")) advised = 1;
    }
    fclose(f);
    free(p);
    cr_expect_not(advised, "part of the heap is advised for huge pages (cli/heap.c says why it must not be)");
}
#else
Test(heap, the_settings_are_a_no_op_here) { cli_heap_settings(); }
#endif
