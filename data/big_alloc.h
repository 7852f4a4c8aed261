/* big_alloc.h - large zeroed buffers on huge pages where the system has them. A fresh 4 KiB
 * page costs a trap into the kernel when first written, and on a virtual machine that trap is
 * expensive: here 4 MiB written for the first time take about 24 ms in 4 KiB pages and about
 * 0.3 ms in 2 MiB pages (Linux transparent huge pages, asked for with MADV_HUGEPAGE). The
 * price matrix of 10 assets x 5,000 bars and the loader's bar buffer are each about 1.7 MB. */
#ifndef RB_BIG_ALLOC_H
#define RB_BIG_ALLOC_H

#include <stddef.h>

/* bytes of zeroed memory, 2 MiB-aligned, on huge pages when the system grants them (Linux);
 * elsewhere calloc. NULL when out of memory (or when the fault-injection switch of alloc.h
 * fails it). Free with rb_big_free and the same size: on Linux the last few buffers freed
 * (up to 4, of 16 MiB in all) stay mapped for the next requests of their sizes, which get
 * them zeroed; their memory goes back with the process. */
void *rb_big_alloc(size_t bytes);
void rb_big_free(void *p, size_t bytes);

/* A buffer for a later rb_big_alloc of this size, mapped and its pages faulted in now
 * (MADV_POPULATE_WRITE), then kept as a freed one is (the next request of its size takes
 * it, without clearing it: its pages are fresh, zero): for a thread that has a moment to
 * wait, to take the first touch of memory it will ask for (a 2 MiB page's fault and clear,
 * some 0.2 ms on the development VM) off its path. Returns the buffer (NULL when it could
 * not map or keep it); the caller does not own it. */
void *rb_big_prepare(size_t bytes);

/* The smallest buffer rb_big_alloc maps (one 2 MiB page): what a request of any size up to
 * it takes. */
#define RB_BIG_PAGE ((size_t)2 << 20)

/* The number of buffers rb_big_alloc gave that are not freed yet: the leak check of the
 * fault-injection tests (a mapping is not on the heap a leak checker sees). */
long rb_big_live(void);

/* Under AddressSanitizer: marks [p, p + bytes) of a big buffer unusable, so that arrays carved
 * from one buffer keep a red zone between them (a no-op in other builds). */
void rb_big_poison(void *p, size_t bytes);
/* ... and usable again (a no-op in other builds). */
void rb_big_unpoison(void *p, size_t bytes);

#endif /* RB_BIG_ALLOC_H */
