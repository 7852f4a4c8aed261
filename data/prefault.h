/* prefault.h - large buffers whose pages are mapped in one system call. A fresh page costs a
 * trap into the kernel when first written; on a virtual machine that trap is expensive (about
 * 20 us here, against about 1.5 us per page mapped in bulk), and the price matrix of 10 assets
 * x 5,000 bars alone spans over 400 pages. */
#ifndef RB_PREFAULT_H
#define RB_PREFAULT_H

#include <stddef.h>

/* malloc(bytes), with the pages it covers mapped writable at once when the system can
 * (Linux 5.14+); elsewhere, or for small sizes, plain malloc. Free it with free(). */
void *rb_malloc_prefaulted(size_t bytes);

/* calloc(n, size) the same way. */
void *rb_calloc_prefaulted(size_t n, size_t size);

/* realloc(p, bytes) the same way: the pages of the grown part are mapped at once. */
void *rb_realloc_prefaulted(void *p, size_t bytes);

#endif /* RB_PREFAULT_H */
