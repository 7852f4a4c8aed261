/* lot_pool.c - the books' memory of a thread's ledgers, from huge-page regions (lot_pool.h). */
#include "lot_pool.h"

#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"
#include "big_alloc.h"
#include "error.h"

#define REGION ((size_t)2 << 20)   /* a huge page */
#define LARGEST (REGION / 8)       /* larger arrays come from the heap */
#define ALIGN ((size_t)64)         /* a cache line */
#define CLASSES 48                 /* array sizes with a free list: the books grow by doubling,
                                      from 8 lots of 32 or 48 bytes, so some 20 are ever asked */

/* The arrays of one size given back, linked by their first word. */
typedef struct size_class {
    size_t bytes;
    void *free;
} size_class;

struct rb_lot_pool {
    size_class cls[CLASSES];
    size_t ncls;
    char *at, *end; /* the unused rest of the newest region */
    char **regions;
    size_t nregions, cap_regions;
};

static size_t rounded(size_t bytes) { return (bytes + ALIGN - 1) / ALIGN * ALIGN; }

rb_status rb_lot_pool_new(rb_lot_pool **out, rb_error *err)
{
    *out = rb_calloc(1, sizeof **out);
    return *out ? RB_OK : rb_fail(err, RB_ERR_NOMEM, "out of memory for the tax lots' pool");
}

void rb_lot_pool_free(rb_lot_pool *pool)
{
    if (!pool) return;
    for (size_t k = 0; k < pool->nregions; k++) rb_big_free(pool->regions[k], REGION);
    free(pool->regions);
    free(pool);
}

size_t rb_lot_pool_regions(const rb_lot_pool *pool) { return pool->nregions; }

/* The size class of bytes (rounded), made when new; NULL when every class is taken. */
static size_class *class_of(rb_lot_pool *pool, size_t bytes)
{
    for (size_t k = 0; k < pool->ncls; k++)
        if (pool->cls[k].bytes == bytes) return &pool->cls[k];
    if (pool->ncls == CLASSES) return NULL;
    pool->cls[pool->ncls] = (size_class){bytes, NULL};
    return &pool->cls[pool->ncls++];
}

/* A new region as the one arrays are carved from; 0 when out of memory. */
static int new_region(rb_lot_pool *pool)
{
    if (pool->nregions == pool->cap_regions) {
        size_t cap = pool->cap_regions ? 2 * pool->cap_regions : 8;
        char **grown = rb_realloc(pool->regions, cap * sizeof *grown);
        if (!grown) return 0;
        pool->regions = grown;
        pool->cap_regions = cap;
    }
    char *r = rb_big_alloc(REGION);
    if (!r) return 0;
    rb_big_poison(r, REGION); /* under AddressSanitizer: usable as it is carved */
    pool->regions[pool->nregions++] = r;
    pool->at = r;
    pool->end = r + REGION;
    return 1;
}

void *rb_lot_pool_get(rb_lot_pool *pool, size_t bytes)
{
    size_t b = rounded(bytes ? bytes : 1);
    if (b > LARGEST) return rb_malloc(b);
    size_class *c = class_of(pool, b);
    if (c && c->free) {
        void *p = c->free;
        c->free = *(void **)p;
        rb_big_unpoison(p, b);
        return p;
    }
    if ((size_t)(pool->end - pool->at) < b && !new_region(pool)) return NULL;
    void *p = pool->at;
    pool->at += b;
    rb_big_unpoison(p, b);
    return p;
}

void rb_lot_pool_put(rb_lot_pool *pool, void *p, size_t bytes)
{
    if (!p) return;
    size_t b = rounded(bytes ? bytes : 1);
    if (b > LARGEST) {
        free(p);
        return;
    }
    size_class *c = class_of(pool, b);
    if (!c) { /* (never with books that double) the array stays unused until the pool goes */
        rb_big_poison(p, b);
        return;
    }
    *(void **)p = c->free;
    c->free = p;
    rb_big_poison((char *)p + sizeof(void *), b - sizeof(void *));
}
