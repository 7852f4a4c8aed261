/* test_prefault.c - the program's code mapped in one call (cli/prefault.c): after
 * cli_prefault_program, every page of the loaded objects' read-only segments is in the
 * process's page tables, where before only the pages it had run or read were. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"

/* A read-only file mapping of /proc/self/smaps: its size and the part of it mapped (kB). */
typedef struct mapping {
    char path[256];
    long size_kb, rss_kb;
} mapping;

/* The largest executable mapping of a file (the C library's code, in this test's dynamic
 * build): *out, or 0 when none is found. */
static int largest_code_mapping(mapping *out)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    cr_assert_not_null(f);
    char line[512], perms[8], path[256];
    mapping cur = {0}, best = {0};
    int in_code = 0;
    long v;
    while (fgets(line, sizeof line, f)) {
        unsigned long from, to;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &from, &to, perms, path) == 4) {
            in_code = perms[0] == 'r' && perms[1] == '-' && perms[2] == 'x' && path[0] == '/';
            if (in_code) {
                memset(&cur, 0, sizeof cur);
                snprintf(cur.path, sizeof cur.path, "%s", path);
            }
        } else if (in_code && sscanf(line, "Size: %ld kB", &v) == 1) {
            cur.size_kb = v;
        } else if (in_code && sscanf(line, "Rss: %ld kB", &v) == 1) {
            cur.rss_kb = v;
            if (cur.size_kb > best.size_kb) best = cur;
        }
    }
    fclose(f);
    *out = best;
    return best.size_kb > 0;
}

/* Whether this kernel takes MADV_POPULATE_READ (Linux 5.14); a sanitizer's build may not
 * pass it on. */
static int populate_read_known(void)
{
#ifdef MADV_POPULATE_READ
    long page = sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 0;
    int ok = madvise(p, (size_t)page, MADV_POPULATE_READ) == 0 || errno != EINVAL;
    munmap(p, (size_t)page);
    return ok;
#else
    return 0;
#endif
}

Test(prefault, the_code_of_every_loaded_object_is_mapped_whole)
{
    if (!populate_read_known()) cr_skip_test("this kernel does not take MADV_POPULATE_READ");
    mapping before, after;
    cr_assert(largest_code_mapping(&before), "no executable file mapping in /proc/self/smaps");
    /* a large library of which a test runs a small part: not all of it is mapped yet */
    if (before.size_kb < 256 || before.rss_kb >= before.size_kb)
        cr_skip_test("%s (%ld kB) is mapped whole already", before.path, before.size_kb);
    cli_prefault_program();
    cr_assert(largest_code_mapping(&after));
    cr_assert_str_eq(after.path, before.path);
    cr_expect_eq(after.rss_kb, after.size_kb, "%s: %ld of %ld kB mapped after cli_prefault_program (%ld before)",
                 after.path, after.rss_kb, after.size_kb, before.rss_kb);
}
