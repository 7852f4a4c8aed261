/* lots_internal.h - the tax-lot ledger's layout, shared by lots.c (trades, life cycle) and
 * lots_query.c (queries, listing, the tax year). Internal to those two files. */
#ifndef RB_LOTS_INTERNAL_H
#define RB_LOTS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "lot_pool.h"
#include "lots.h"

/* One open lot: what a sale reads and writes, 32 bytes, two to a cache line. Lots of an
 * asset are kept sorted by (opened, id), so array order is oldest first. */
typedef struct lot {
    rb_time opened;
    double units;  /* units still held */
    double units0; /* units bought: the scale of the dust test */
    double cost;   /* basis of the units held, incl. wash-sale adjustments received */
} lot;

/* The rest of a lot, in an array of its own after the lots (tag_of), in a ledger that has
 * tags (rb_lots.tagged): its id, for the ledger's rows, HIFO's ties and the wash-sale rule,
 * and its use as a replacement, which only the wash-sale rule reads or changes. A ledger
 * that is never listed, without wash sales and not HIFO (a sweep's) has none: its books hold
 * 32 bytes a lot where they held 48, a third fewer pages to fault in and lines to walk
 * (benchmark 2, 4-5 % faster; with tags written by its buys but never read, 1.5-3 %). */
typedef struct lot_tag {
    int64_t id;
    double repl; /* units of this lot already used as wash-sale replacement (<= units) */
} lot_tag;

/* The unmatched part of a wash-sale loss: a buy of the asset within wash_sale_days after
 * the sale disallows it on up to `units` units. */
typedef struct pending {
    rb_time sold;
    double units;         /* loss units not yet matched by a replacement */
    double loss_per_unit; /* > 0, money per unit */
    int long_term;        /* kind of the sold piece: the late add-back keeps it */
    size_t row;           /* ledger row of the sold piece, SIZE_MAX when not kept */
} pending;

/* One cache line: every field a sale or a buy reads (the ledger's books are 64-byte aligned). */
typedef struct book {
    lot *open;   /* the n open lots: base + the lots FIFO sales consumed at the front */
    lot *base;   /* the allocation: cap lots, then their cap tags (tag_of); the consumed
                    front is reclaimed when a buy needs the room */
    size_t n, cap;
    double held; /* units held: kept as lots are opened and relieved, not re-summed per sale */
    pending *pend; /* in sale order, so oldest first */
    size_t npend, cap_pend;
} book;

/* The relief order of one sale (HIFO sorts it). */
typedef struct relief {
    double cpu; /* cost per unit */
    rb_time opened;
    int64_t id;
    size_t idx; /* into the book's open array */
} relief;

struct rb_lots {
    /* The first cache line: what every sale and buy of the common settings reads. The
     * books follow in the same allocation (books_of). */
    size_t nassets;
    size_t nopen; /* open lots over all assets */
    int64_t next_id;
    int64_t long_term_s; /* held more than this many seconds = long-term */
    size_t nrows;
    rb_time warmed; /* the time of the last call that fetched the books ahead (warm) */
    int32_t wash_days; /* wash-sale window in calendar days, 0 = off */
    uint8_t method;    /* an rb_lot_method */
    uint8_t keep;
    uint8_t plain;  /* no keep, no wash sales, not HIFO: sales may take sell_plain */
    uint8_t lists;  /* listed by rb_lots_ledger (RB_LEDGER_ALL or RB_LEDGER_OPEN) */
    uint8_t tagged; /* its lots have tags (lot_tag): listed, wash sales or HIFO */
    /* (the first cache line ends here) */
    size_t cap_rows;
    /* Closed pieces in closing order (only with keep); rb_lots_ledger writes the open lots
     * after them. With keep, capacity is kept >= closed rows + open lots (a buy reserves the
     * row of its lot, a sale one more than the lots it closes), so the ledger of a run that
     * keeps it never allocates and cannot fail. Without keep nothing is reserved: a ledger
     * that nobody lists (a sweep's) never touches rows, where the reserve had grown with
     * every open lot (21 KB a ledger at 52 lots in each of 5 assets, written by every copy
     * and regrowth: a third of the page faults of benchmark 2); rb_lots_ledger grows them
     * when asked. */
    rb_lot_piece *rows;
    /* Per-sale scratch, grown to the largest book seen: no allocation per sale in steady state. */
    rb_lot_piece *sale;
    size_t cap_sale;
    relief *order;
    size_t cap_order;
    void *raw; /* the allocation of the ledger and its books */
    rb_lot_pool *pool; /* where the books' arrays come from (rb_lots_use_pool), or NULL: the heap */
};

#define LINE 64
_Static_assert(sizeof(book) <= LINE, "a book fits a cache line");
_Static_assert(offsetof(rb_lots, cap_rows) <= LINE, "a sale's and a buy's settings in the ledger's first line");
/* Where the books start: the first 64-byte boundary after the ledger. */
#define HEAD ((sizeof(rb_lots) + LINE - 1) / LINE * LINE)

/* The books of a ledger (const or not, as strchr). */
static inline book *books_of(const rb_lots *lots)
{
    return (book *)((char *)(uintptr_t)lots + HEAD);
}

/* The tag of lot l of book b in a ledger with tags: they follow the cap lots, in the same
 * order. */
static inline lot_tag *tag_of(const book *b, const lot *l)
{
    return (lot_tag *)(b->base + b->cap) + (l - b->base);
}

/* Whether a lot opened at `opened` and sold at t is held long-term. */
static inline int is_long(const rb_lots *lots, rb_time opened, rb_time t)
{
    return (t - opened) > lots->long_term_s;
}

/* Grows an array to hold at least need elements of size bytes (doubling). Returns the new
 * pointer (cap updated) or NULL with p and *cap untouched. */
static inline void *lots_grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need == 0) need = 1; /* never NULL for an empty request */
    if (need <= *cap && p) return p;
    size_t c = *cap ? *cap : 8;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size) return NULL;
        c *= 2;
    }
    void *q = rb_realloc(p, c * size);
    if (!q) return NULL;
    *cap = c;
    return q;
}

#endif /* RB_LOTS_INTERNAL_H */
