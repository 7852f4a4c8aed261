/* test_heap.c - the command's heap on huge pages (cli/heap.c): after
 * cli_heap_on_huge_pages, the heap's later allocations sit on 2 MiB pages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Whether the system gives transparent huge pages to a region that asks (mode madvise or
 * always); the build of the function itself must not be a sanitizer's (a no-op there). */
static int huge_pages_on_offer(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 0;
#else
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f) return 0;
    char line[128] = "";
    int ok = fgets(line, sizeof line, f) && !strstr(line, "[never]");
    fclose(f);
    return ok;
#endif
}

/* A counter of /proc/vmstat (-1 when absent). */
static long vmstat(const char *name)
{
    FILE *f = fopen("/proc/vmstat", "r");
    if (!f) return -1;
    char key[64];
    long value, found = -1;
    while (fscanf(f, "%63s %ld", key, &value) == 2)
        if (strcmp(key, name) == 0) found = value;
    fclose(f);
    return found;
}

/* Kilobytes of the [heap] mapping backed by huge pages (/proc/self/smaps). */
static long heap_huge_kb(void)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    cr_assert_not_null(f);
    char line[512];
    int in_heap = 0;
    long kb = 0, v;
    while (fgets(line, sizeof line, f)) {
        if (strchr(line, '-') && strstr(line, " rw") && strchr(line, ':')) in_heap = strstr(line, "[heap]") != NULL;
        else if (in_heap && sscanf(line, "AnonHugePages: %ld kB", &v) == 1) kb += v;
    }
    fclose(f);
    return kb;
}

Test(heap, allocations_after_it_land_on_huge_pages)
{
    if (!huge_pages_on_offer()) cr_skip_test("no transparent huge pages on this system (or a sanitizer's build)");
    long fallbacks = vmstat("thp_fault_fallback");
    cli_heap_on_huge_pages();
    /* 3 MiB: below the 4 MiB the heap now keeps, so on the heap rather than a mapping of its
     * own, and larger than a huge page, so it covers a whole one whatever its start. */
    size_t n = (size_t)3 << 20;
    char *p = malloc(n);
    cr_assert_not_null(p);
    memset(p, 1, n);
    long kb = heap_huge_kb();
    if (kb == 0 && vmstat("thp_fault_fallback") > fallbacks) cr_skip_test("the kernel had no free huge page just now");
    cr_expect_geq(kb, 2048, "the heap holds %ld kB on huge pages after a 3 MiB allocation was written", kb);
    free(p);
}
