/* prefault.c - the program's code mapped in one call (cli.h).
 *
 * The kernel maps an executable's pages as they are first touched: a page fault each time
 * the command reaches code (or read-only data) none of its earlier code shared a page
 * group with. A command runs SQLite's parser and pager, the sweep file's reader, the
 * simulator and the report: some 50 such faults, scattered over the 4 MB of the static
 * command, and on a virtual machine each is a trap into the hypervisor (about 10 us on the
 * 2-core development VM). One MADV_POPULATE_READ (Linux 5.14) over the read-only segments
 * maps every page of them at once, from the page cache, in about 0.12 ms there: the
 * 1,000-band sweep ran 0.55-0.6 ms faster from start to end, one configuration 0.6.
 * Writable segments are left alone (a write would copy its page anyway). A kernel or system
 * without it refuses the call, and the pages fault in as before: only speed is at stake. */
#include "cli.h"

#if defined(__linux__) && defined(__GLIBC__)
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef MADV_POPULATE_READ
/* Every read-only PT_LOAD segment of each loaded object (the program, and the shared
 * libraries of a dynamic build), page-aligned. */
static int populate_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    const uintptr_t page = (uintptr_t)*(long *)data;
    for (size_t k = 0; k < info->dlpi_phnum; k++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || ph->p_memsz == 0) continue;
        uintptr_t from = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1),
                  to = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
        (void)madvise((void *)from, to - from, MADV_POPULATE_READ); /* a refusal only costs speed */
    }
    return 0;
}
#endif

void cli_prefault_program(void)
{
#ifdef MADV_POPULATE_READ
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0) (void)dl_iterate_phdr(populate_object, &page);
#endif
}

#else

void cli_prefault_program(void) {}

#endif
