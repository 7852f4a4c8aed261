/* lot_pool.h - memory for the books of tax-lot ledgers, carved from regions on huge pages
 * (big_alloc.h), for the ledgers of one thread's block of a sweep (rb_lots_use_pool).
 * Internal.
 *
 * A sweep's ledgers grow their books as lots open (doubling from 8), a few megabytes in all,
 * and from the heap each fresh 4 KiB page is a trap when first written: on the 2-core
 * development VM about 10 us. From regions of 2 MiB on huge pages a region costs one trap
 * and one clear (0.25 ms, or some 3 ms when the hypervisor has to find the page): benchmark
 * 2 took 1,029 page faults where it took 1,692, and ran 0.5-2 % faster. A freed array goes
 * to a free list of its size, for the next array of that size; the regions go back when the
 * pool is freed. Not thread-safe: one pool serves one thread. (The rebal command's heap is
 * on 4 KiB pages: cli/heap.c says why. The books are written densely, as the price
 * matrix is, and stay on huge pages.) */
#ifndef RB_LOT_POOL_H
#define RB_LOT_POOL_H

#include <stddef.h>

#include "rebal.h"

typedef struct rb_lot_pool rb_lot_pool;

rb_status rb_lot_pool_new(rb_lot_pool **out, rb_error *err);

/* Frees the regions: every array taken from the pool must have been given back or be
 * unused from now on (the ledgers using it freed). NULL is ignored. */
void rb_lot_pool_free(rb_lot_pool *pool);

/* bytes (> 0) of memory, not zeroed; NULL when out of memory. Up to 256 KiB an array comes
 * from the regions, 64-byte aligned; a larger one from the heap (malloc's alignment). */
void *rb_lot_pool_get(rb_lot_pool *pool, size_t bytes);

/* Gives back an array of rb_lot_pool_get with the same bytes (NULL is ignored). */
void rb_lot_pool_put(rb_lot_pool *pool, void *p, size_t bytes);

/* How many regions the pool holds (for its tests). */
size_t rb_lot_pool_regions(const rb_lot_pool *pool);

#endif /* RB_LOT_POOL_H */
