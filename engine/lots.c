/* lots.c - the tax-lot ledger: open lots per asset, relief by FIFO/LIFO/HIFO/average cost,
 * split pieces, wash sales (replacement before and after a loss sale); its queries, its
 * listing and the calendar-year tax are lots_query.c's (docs/engine.md, "Taxes"). */
#include "lots.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "alloc.h"
#include "lot_pool.h"
#include "lots_internal.h"
#include "prefetch.h"

#define DAY_SECONDS 86400
/* A sale may ask for up to this relative excess over the units held ("sell everything"
 * computed as units * price / price) and a lot left with less than this fraction of the
 * units it was bought with counts as fully consumed, so rounding never leaves dust lots. */
#define SELL_TOLERANCE 1e-9
#define DUST 1e-12

/* A step of rb_lots_orders' loops that must be inlined there, though rb_lots_sell or
 * rb_lots_buy also call it: a call per order was the cost rb_lots_orders removes. */
#define LEDGER_STEP static inline __attribute__((always_inline))

/* ---------------------------------------------------------------- helpers */

/* The bytes of a book's array of cap lots (and their tags, in a ledger with them). */
static size_t book_bytes(const rb_lots *lots, size_t cap)
{
    return cap * (sizeof(lot) + (lots->tagged ? sizeof(lot_tag) : 0));
}

/* A book's array given back: to the ledger's pool, or the heap. */
static void book_release(const rb_lots *lots, book *b)
{
    if (lots->pool) rb_lot_pool_put(lots->pool, b->base, book_bytes(lots, b->cap));
    else free(b->base);
    b->base = b->open = NULL;
    b->cap = b->n = 0;
}

/* Room for at least need lots (and their tags) in book b from base on (doubling), the lots
 * and tags it holds kept at their places. 0 when out of memory, b untouched. */
static int grow_book(const rb_lots *lots, book *b, size_t need)
{
    if (need <= b->cap && b->base) return 1;
    const size_t each = book_bytes(lots, 1);
    size_t c = b->cap ? b->cap : 8, old = b->cap, skip = b->base ? (size_t)(b->open - b->base) : 0;
    while (c < need) {
        if (c > SIZE_MAX / 2 / each) return 0;
        c *= 2;
    }
    const size_t used = b->base ? skip + b->n : 0;
    lot *q;
    if (lots->pool) {
        q = rb_lot_pool_get(lots->pool, c * each);
        if (!q) return 0;
        if (used) memcpy(q, b->base, used * sizeof *q);
        if (used && lots->tagged) memcpy((lot_tag *)(q + c), (lot_tag *)(b->base + old), used * sizeof(lot_tag));
        rb_lot_pool_put(lots->pool, b->base, old * each);
    } else {
        q = rb_realloc(b->base, c * each);
        if (!q) return 0;
        /* the tags move up to follow the new capacity's lots (only the used ones matter) */
        if (used && lots->tagged) memmove((lot_tag *)(q + c), (lot_tag *)(q + old), used * sizeof(lot_tag));
    }
    b->base = q;
    b->cap = c;
    b->open = q + skip;
    return 1;
}

/* Whether x is above 0 and finite: !(x > 0) || !isfinite(x) in two comparisons (a NaN fails both). */
static inline int positive_finite(double x) { return x > 0 && x <= DBL_MAX; }

static rb_status check_asset(const rb_lots *lots, size_t asset, const char *what, rb_error *err)
{
    if (asset >= lots->nassets)
        return rb_fail(err, RB_ERR_USAGE, "%s asset %zu: the lots ledger has only %zu assets", what, asset,
                       lots->nassets);
    return RB_OK;
}

/* Rows needed so that rb_lots_ledger can always list closed pieces and open lots. */
static rb_status reserve_rows(rb_lots *lots, size_t extra, rb_error *err)
{
    size_t need = lots->nrows + lots->nopen + extra;
    void *q = lots_grow(lots->rows, &lots->cap_rows, need, sizeof *lots->rows);
    if (!q) return rb_fail(err, RB_ERR_NOMEM, "lots ledger: out of memory for %zu rows", need);
    lots->rows = q;
    return RB_OK;
}

/* The UTC calendar day of a time (days since 1970-01-01, rounding down before 1970). */
static int64_t day_of(rb_time t)
{
    return t >= 0 ? t / DAY_SECONDS : -((-t + DAY_SECONDS - 1) / DAY_SECONDS);
}

/* Whether a buy at time `bought` falls in the wash-sale window of a sale at `sold`: from
 * wash_days calendar days before the sale's date to wash_days after it, both included (the
 * 61-day period of the US rule for 30), whatever the times of day. */
static int in_wash_window(const rb_lots *lots, rb_time sold, rb_time bought)
{
    int64_t d = day_of(bought) - day_of(sold);
    return d >= -lots->wash_days && d <= lots->wash_days;
}

/* Drops the pending wash-sale losses of a book that can no longer be matched at time t. */
static void expire_pending(const rb_lots *lots, book *b, rb_time t)
{
    size_t k = 0;
    for (size_t i = 0; i < b->npend; i++)
        if (in_wash_window(lots, b->pend[i].sold, t) && b->pend[i].units > 0) b->pend[k++] = b->pend[i];
    b->npend = k;
}

/* Average cost: every open lot of the book carries the book's average cost per unit. Kept
 * after every change of a basis (a buy, the wash-sale adjustments of a sale), so relief,
 * unrealized gains and the ledger all see the average. */
static void average_cost(const rb_lots *lots, book *b)
{
    if (lots->method != RB_LOTS_AVG) return;
    double units = 0, basis = 0;
    for (size_t i = 0; i < b->n; i++) {
        units += b->open[i].units;
        basis += b->open[i].cost;
    }
    if (!(units > 0)) return;
    double per_unit = basis / units;
    for (size_t i = 0; i < b->n; i++) b->open[i].cost = b->open[i].units * per_unit;
}

/* A prefetch of the line holding the byte off bytes after address p (integer arithmetic:
 * the byte may lie past the array, and a prefetch never faults). */
#define HINT(p, off, rw, locality) RB_PREFETCH((p) + (off), rw, locality)

/* The books fetched at most this many at a time by warm. */
#define WARM_BOOKS 16

/* The first sale or buy of a ledger at a time t asks the memory for the book of every asset
 * (the first WARM_BOOKS) and for both ends of its lots, where sales and buys work, all at
 * once: a rebalance trades most assets, and their cache misses then overlap instead of
 * following one another, the book's before its lots'. Only hints: nothing changes. */
static void warm(rb_lots *lots, rb_time t)
{
    if (lots->warmed == t) return;
    lots->warmed = t;
    size_t n = lots->nassets < WARM_BOOKS ? lots->nassets : WARM_BOOKS;
    const book *books = books_of(lots);
    for (size_t a = 0; a < n; a++) {
        const book *b = &books[a];
        if (!b->n) continue;
        uintptr_t front = (uintptr_t)b->open, back = (uintptr_t)(b->open + b->n - 1);
        HINT(front, 0, 0, 3); /* a sale's first lots */
        HINT(front, LINE, 0, 3);
        HINT(back, 0, 0, 3); /* a buy's last lot and the slot after it */
        HINT(back, 2 * sizeof(lot) - 1, 1, 3);
    }
}

/* ---------------------------------------------------------------- life cycle */

/* The settings of a ledger, checked. */
static rb_status configure(rb_lots *lots, rb_lot_method method, int long_term_days, int wash_sale_days,
                           int keep_ledger, rb_error *err)
{
    if ((unsigned)method > RB_LOTS_AVG)
        return rb_fail(err, RB_ERR_USAGE, "lot method %d is not one of fifo, lifo, hifo, avg", (int)method);
    if (long_term_days < 0)
        return rb_fail(err, RB_ERR_USAGE, "long-term days %d must be 0 or more", long_term_days);
    if (wash_sale_days < 0)
        return rb_fail(err, RB_ERR_USAGE, "wash-sale days %d must be 0 or more", wash_sale_days);
    if (keep_ledger != RB_LEDGER_NONE && keep_ledger != RB_LEDGER_ALL && keep_ledger != RB_LEDGER_OPEN)
        return rb_fail(err, RB_ERR_USAGE, "ledger keeping %d is not one of none, all, open", keep_ledger);
    lots->method = method;
    lots->long_term_s = (int64_t)long_term_days * DAY_SECONDS;
    lots->wash_days = wash_sale_days;
    lots->keep = keep_ledger == RB_LEDGER_ALL;
    lots->lists = keep_ledger != RB_LEDGER_NONE;
    lots->plain = !lots->keep && lots->wash_days == 0 && method != RB_LOTS_HIFO;
    lots->tagged = lots->lists || !lots->plain;
    return RB_OK;
}

rb_status rb_lots_new(size_t nassets, rb_lot_method method, int long_term_days, int wash_sale_days,
                      int keep_ledger, rb_lots **out, rb_error *err)
{
    rb_lots probe = {0};
    rb_status rc = configure(&probe, method, long_term_days, wash_sale_days, keep_ledger, err);
    if (rc != RB_OK) return rc;
    /* The ledger and its books in one allocation, each 64-byte aligned (raw is what is freed). */
    size_t head = HEAD, nb = nassets ? nassets : 1;
    if (nb > (SIZE_MAX - head - LINE) / sizeof(book))
        return rb_fail(err, RB_ERR_NOMEM, "lots ledger: out of memory for %zu assets", nassets);
    char *raw = rb_calloc(1, head + nb * sizeof(book) + LINE);
    if (!raw) return rb_fail(err, RB_ERR_NOMEM, "lots ledger: out of memory for %zu assets", nassets);
    rb_lots *lots = (rb_lots *)(raw + (LINE - (uintptr_t)raw % LINE) % LINE);
    lots->raw = raw;
    /* The ledger's row array exists from the start, so rb_lots_ledger never returns NULL. */
    lots->rows = rb_malloc(8 * sizeof *lots->rows);
    if (!lots->rows) {
        free(raw);
        return rb_fail(err, RB_ERR_NOMEM, "lots ledger: out of memory");
    }
    lots->cap_rows = 8;
    lots->nassets = nassets;
    configure(lots, method, long_term_days, wash_sale_days, keep_ledger, err);
    lots->next_id = 1;
    lots->warmed = RB_TIME_OPEN;
    *out = lots;
    return RB_OK;
}

/* The books' arrays given back, the books emptied (a ledger whose lots gain or lose their
 * tags: the arrays are laid out anew as they grow). */
static void drop_books(rb_lots *lots)
{
    for (size_t a = 0; a < lots->nassets; a++) book_release(lots, &books_of(lots)[a]);
    lots->nopen = 0;
}

rb_status rb_lots_use_pool(rb_lots *lots, rb_lot_pool *pool, rb_error *err)
{
    if (lots->pool == pool) return RB_OK;
    if (lots->nopen)
        return rb_fail(err, RB_ERR_USAGE, "a ledger holding %zu lots cannot move to another pool", lots->nopen);
    drop_books(lots);
    lots->pool = pool;
    return RB_OK;
}

rb_status rb_lots_clear(rb_lots *lots, rb_lot_method method, int long_term_days, int wash_sale_days,
                        int keep_ledger, rb_error *err)
{
    rb_lots probe = {0};
    rb_status rc = configure(&probe, method, long_term_days, wash_sale_days, keep_ledger, err);
    if (rc != RB_OK) return rc;
    if (probe.tagged != lots->tagged) drop_books(lots); /* in the layout they have */
    configure(lots, method, long_term_days, wash_sale_days, keep_ledger, err);
    for (size_t a = 0; a < lots->nassets; a++) {
        book *b = &books_of(lots)[a];
        b->open = b->base;
        b->n = b->npend = 0;
        b->held = 0;
    }
    lots->next_id = 1;
    lots->warmed = RB_TIME_OPEN;
    lots->nopen = lots->nrows = 0;
    return RB_OK;
}

rb_status rb_lots_copy(rb_lots *dst, const rb_lots *src, rb_error *err)
{
    if (dst->nassets != src->nassets)
        return rb_fail(err, RB_ERR_USAGE, "a ledger of %zu assets cannot copy one of %zu", dst->nassets, src->nassets);
    if (dst->tagged != src->tagged) drop_books(dst);
    dst->tagged = src->tagged;
    for (size_t a = 0; a < src->nassets; a++) {
        book *d = &books_of(dst)[a];
        const book *s = &books_of(src)[a];
        d->open = d->base; /* the lots consumed at the front of src's are not copied */
        d->n = 0;
        int grown = grow_book(dst, d, s->n);
        /* (no pending array where there is nothing pending: wash sales off) */
        pending *pend = grown && s->npend ? lots_grow(d->pend, &d->cap_pend, s->npend, sizeof *pend) : d->pend;
        if (!grown || (s->npend && !pend)) return rb_fail(err, RB_ERR_NOMEM, "lots ledger: out of memory");
        d->pend = pend;
        if (s->n) { /* (an empty book may have no array) */
            memcpy(d->base, s->open, s->n * sizeof *d->base);
            if (src->tagged) memcpy(tag_of(d, d->base), tag_of(s, s->open), s->n * sizeof(lot_tag));
        }
        d->n = s->n;
        d->held = s->held;
        if (s->npend) memcpy(pend, s->pend, s->npend * sizeof *pend);
        d->npend = s->npend;
    }
    if (src->keep) {
        rb_lot_piece *rows = lots_grow(dst->rows, &dst->cap_rows, src->nrows + src->nopen + 1, sizeof *rows);
        if (!rows) return rb_fail(err, RB_ERR_NOMEM, "lots ledger: out of memory");
        dst->rows = rows;
        if (src->nrows) memcpy(rows, src->rows, src->nrows * sizeof *rows);
    }
    dst->nrows = src->nrows;
    dst->method = src->method;
    dst->long_term_s = src->long_term_s;
    dst->wash_days = src->wash_days;
    dst->keep = src->keep;
    dst->plain = src->plain;
    dst->lists = src->lists;
    dst->next_id = src->next_id;
    dst->nopen = src->nopen;
    return RB_OK;
}

size_t rb_lots_assets(const rb_lots *lots) { return lots->nassets; }

void rb_lots_free(rb_lots *lots)
{
    if (!lots) return;
    for (size_t a = 0; a < lots->nassets; a++) {
        book_release(lots, &books_of(lots)[a]);
        free(books_of(lots)[a].pend);
    }
    free(lots->rows);
    free(lots->sale);
    free(lots->order);
    free(lots->raw);
}

/* ---------------------------------------------------------------- buy */

/* Room for one more lot at the end of a book: the front the sales consumed reclaimed
 * (amortized O(1) per lot), else the array grown. */
static rb_status make_room(const rb_lots *lots, book *b, size_t asset, rb_error *err)
{
    size_t skip = b->base ? (size_t)(b->open - b->base) : 0;
    if (skip && skip + b->n + 1 > b->cap) {
        memmove(b->base, b->open, b->n * sizeof *b->open);
        if (lots->tagged) memmove(tag_of(b, b->base), tag_of(b, b->open), b->n * sizeof(lot_tag));
        b->open = b->base;
    }
    if (!grow_book(lots, b, (size_t)(b->open - b->base) + b->n + 1))
        return rb_fail(err, RB_ERR_NOMEM, "lots ledger: out of memory for %zu lots of asset %zu", b->n + 1, asset);
    return RB_OK;
}

/* Lot nl (tag: its tag, in a ledger with tags) into book b, which has room for it: the array
 * kept sorted by (opened, id), which with time-ordered calls appends. */
LEDGER_STEP void open_lot(rb_lots *lots, book *b, lot nl, lot_tag tag)
{
    size_t i = b->n;
    while (i > 0 && b->open[i - 1].opened > nl.opened) {
        b->open[i] = b->open[i - 1];
        if (lots->tagged) *tag_of(b, &b->open[i]) = *tag_of(b, &b->open[i - 1]);
        i--;
    }
    b->open[i] = nl;
    if (lots->tagged) *tag_of(b, &b->open[i]) = tag;
    b->n++;
    b->held += nl.units;
    lots->nopen++;
    average_cost(lots, b);
}

/* Whether book b must make room (make_room) before a buy. */
static int needs_room(const book *b)
{
    return !b->base || (size_t)(b->open - b->base) + b->n + 1 > b->cap;
}

/* The start of a buy: what rb_lots_buy refuses refused, the books fetched (warm), room made
 * for the lot; *out gets its book. prepared: rb_lots_orders has checked the asset's index
 * and fetched the books. */
LEDGER_STEP rb_status buy_start(rb_lots *lots, size_t asset, rb_time t, double units, double cost, int prepared,
                                book **out, rb_error *err)
{
    rb_status st = prepared ? RB_OK : check_asset(lots, asset, "buying", err);
    if (st) return st;
    if (!positive_finite(units))
        return rb_fail(err, RB_ERR_DATA, "buying %g units of asset %zu: units must be positive and finite", units,
                       asset);
    if (!positive_finite(cost))
        return rb_fail(err, RB_ERR_DATA, "buying %g units of asset %zu for %g: cost must be positive and finite",
                       units, asset, cost);
    if (!prepared) warm(lots, t);
    book *b = &books_of(lots)[asset];
    if (needs_room(b) && (st = make_room(lots, b, asset, err))) return st;
    *out = b;
    return RB_OK;
}

/* rb_lots_buy in a plain ledger (no kept rows, no wash sales): started, the lot opened;
 * nothing realized late. */
LEDGER_STEP rb_status buy_plain(rb_lots *lots, size_t asset, rb_time t, double units, double cost, int prepared,
                                rb_realized *late, rb_error *err)
{
    book *b = NULL;
    rb_status st = buy_start(lots, asset, t, units, cost, prepared, &b, err);
    if (st) return st;
    open_lot(lots, b, (lot){.opened = t, .units = units, .units0 = units, .cost = cost},
             (lot_tag){.id = lots->next_id++, .repl = 0});
    *late = (rb_realized){0, 0};
    return RB_OK;
}

rb_status rb_lots_buy(rb_lots *lots, size_t asset, rb_time t, double units, double cost, rb_realized *late,
                      rb_error *err)
{
    rb_realized ignored;
    if (lots->plain) return buy_plain(lots, asset, t, units, cost, 0, late ? late : &ignored, err);
    book *b = NULL;
    rb_status st = buy_start(lots, asset, t, units, cost, 0, &b, err);
    if (st) return st;
    if (lots->keep && (st = reserve_rows(lots, 1, err))) return st;

    lot nl = {.opened = t, .units = units, .units0 = units, .cost = cost};
    lot_tag tag = {.id = lots->next_id++, .repl = 0};
    rb_realized add = {0, 0};
    if (lots->wash_days > 0) {
        /* Loss sales dated at most D calendar days before t's date whose loss units are
         * not yet replaced: this lot replaces them, oldest sale first, up to its units, and
         * the sold piece's ledger row shows the disallowed loss like one replaced at the
         * sale. */
        expire_pending(lots, b, t);
        double left = units;
        for (size_t i = 0; i < b->npend && left > 0; i++) {
            pending *p = &b->pend[i];
            if (t < p->sold) continue; /* a buy before the sale was handled at the sale */
            double m = p->units < left ? p->units : left;
            double d = m * p->loss_per_unit;
            nl.cost += d;
            tag.repl += m;
            left -= m;
            p->units -= m;
            if (p->units <= DUST * m) p->units = 0; /* matched in full up to rounding */
            if (p->long_term) add.long_term += d;
            else add.short_term += d;
            if (p->row != SIZE_MAX) lots->rows[p->row].disallowed += d;
        }
        expire_pending(lots, b, t); /* drops the entries now matched in full */
    }
    open_lot(lots, b, nl, tag);
    if (late) *late = add;
    return RB_OK;
}

/* ---------------------------------------------------------------- sell */

/* HIFO: highest cost per unit first; among equals the oldest (then the lowest id). */
static int cmp_hifo(const void *pa, const void *pb)
{
    const relief *a = pa, *b = pb;
    if (a->cpu != b->cpu) return a->cpu > b->cpu ? -1 : 1;
    if (a->opened != b->opened) return a->opened < b->opened ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* Fills lots->order with the relief order of book b (oldest first for FIFO and AVG). */
static void relief_order(rb_lots *lots, const book *b)
{
    for (size_t k = 0; k < b->n; k++) {
        size_t idx = lots->method == RB_LOTS_LIFO ? b->n - 1 - k : k;
        const lot *l = &b->open[idx];
        lots->order[k] = (relief){.cpu = l->cost / l->units, .opened = l->opened, .id = tag_of(b, l)->id, .idx = idx};
    }
    if (lots->method == RB_LOTS_HIFO) qsort(lots->order, b->n, sizeof *lots->order, cmp_hifo);
}

/* Wash sale at the sale of piece pc (a loss) at time t: disallows the loss on the units
 * replaced by lots opened in the window (D calendar days before the sale's date up to t)
 * and still open after this sale, oldest first (array order: opened, then id), each lot
 * replacing at most its units not yet used as a replacement. Units sold in this same order
 * are gone from the book, so they never replace; the rest of a lot this order sold in part
 * may replace the other lots' pieces but not its own (the rest of one purchase is the
 * original position, not a replacement; Rev. Rul. 56-602). Returns the loss units left
 * unmatched. */
static double replace_before(rb_lots *lots, book *b, rb_lot_piece *pc, rb_time t)
{
    double loss_units = pc->units, lpu = -pc->gain / pc->units;
    for (size_t i = 0; i < b->n && loss_units > 0; i++) {
        lot *l = &b->open[i];
        lot_tag *g = tag_of(b, l);
        if (l->opened > t || !in_wash_window(lots, t, l->opened) || g->id == pc->lot_id) continue;
        double cap = l->units - g->repl;
        if (cap <= DUST * l->units0) continue;
        double m = cap < loss_units ? cap : loss_units;
        double d = m * lpu;
        l->cost += d;
        g->repl += m;
        pc->disallowed += d;
        loss_units -= m;
    }
    return loss_units > DUST * pc->units ? loss_units : 0;
}

/* Removes the lots a sale consumed whole (units 0): a prefix of the array for FIFO and AVG,
 * a suffix for LIFO (one block move), anywhere for HIFO. Returns how many stay open. */
static size_t drop_consumed(rb_lots *lots, book *b, int sorted)
{
    size_t kept = 0;
    if (lots->method == RB_LOTS_LIFO) {
        kept = b->n;
        while (kept > 0 && b->open[kept - 1].units == 0) kept--;
    } else if (!sorted) {
        size_t gone = 0;
        while (gone < b->n && b->open[gone].units == 0) gone++;
        kept = b->n - gone;
        b->open += gone; /* the consumed front stays allocated until a buy needs it */
    } else {
        for (size_t i = 0; i < b->n; i++)
            if (b->open[i].units > 0) {
                *tag_of(b, &b->open[kept]) = *tag_of(b, &b->open[i]);
                b->open[kept++] = b->open[i];
            }
    }
    lots->nopen -= b->n - kept;
    b->n = kept;
    return kept;
}

/* Proceeds shared by units; the last piece gets the remainder so they sum to proceeds. */
static void share_proceeds(rb_lot_piece *sale, size_t np, double proceeds, double sold)
{
    double given = 0;
    for (size_t k = 0; k < np; k++) {
        rb_lot_piece *pc = &sale[k];
        pc->proceeds = k + 1 == np ? proceeds - given : proceeds * (pc->units / sold);
        given += pc->proceeds;
        pc->gain = pc->proceeds - pc->cost;
    }
}

/* What sell_plain keeps of a piece, and how many it keeps on the stack (6 KB): a book of
 * more lots lends it the ledger's scratch instead (grown to the book's lots before anything
 * changes; a ledger piece is larger). The scratch is one per ledger and cold in cache: its
 * pointer on the ledger's second line, its pieces where no other sale of the bar writes.
 * Benchmark 2's books hold 53 lots on average at a sale, and a third of its sales sell from
 * books of 65 to 128 lots: with room for 64 pieces on the stack, those sales went to the
 * scratch, and its trades replayed (bench/lots_replay.c) took some 4 % more time. */
typedef struct plain_piece {
    double units, cost;
    int long_term;
} plain_piece;

#define PLAIN_PIECES 256

/* rb_lots_sell without a ledger to keep, wash sales or a relief order of its own (FIFO,
 * LIFO, AVG): the same relief and the same arithmetic in the same order, of each piece only
 * its units, cost and kind kept (in `piece`, room for the book's lots), not a ledger row.
 * Every piece but the last is a whole lot, the last may be split, and every open lot holds
 * units, so the lots consumed whole are the pieces' first lots (FIFO, AVG) or last (LIFO):
 * counted as they are taken, not searched for. Cannot fail. */
LEDGER_STEP rb_realized sell_plain(rb_lots *lots, book *b, rb_time t, double units, double proceeds,
                                   plain_piece *piece)
{
    const int lifo = lots->method == RB_LOTS_LIFO;
    const double held = b->held, stop = DUST * units;
    const size_t n = b->n;
    double want = units < held ? units : held, sold = 0;
    size_t np = 0, gone = 0;
    for (; np < n && want > stop; np++) {
        lot *l = &b->open[lifo ? n - 1 - np : np];
        double take = want < l->units ? want : l->units;
        if (l->units - take < DUST * l->units0) take = l->units;
        double piece_cost = take == l->units ? l->cost : l->cost * (take / l->units);
        piece[np].long_term = is_long(lots, l->opened, t);
        if (take == l->units) {
            l->units = 0;
            gone++;
        } else {
            /* the rest keeps its id and its replacement use, which is 0 without wash sales
             * (a ledger takes this path only without them: its tags are not read) */
            l->cost -= piece_cost;
            l->units -= take;
        }
        piece[np].units = take;
        piece[np].cost = piece_cost;
        want -= take;
        sold += take;
    }
    /* share_proceeds, then the realized sums (no wash sale: nothing disallowed) */
    rb_realized r = {0, 0};
    double given = 0;
    for (size_t k = 0; k < np; k++) {
        double piece_proceeds = k + 1 == np ? proceeds - given : proceeds * (piece[k].units / sold);
        given += piece_proceeds;
        double gain = piece_proceeds - piece[k].cost, disallowed = 0;
        if (piece[k].long_term) r.long_term += gain + disallowed;
        else r.short_term += gain + disallowed;
    }
    if (!lifo) b->open += gone; /* the consumed front stays allocated until a buy needs it */
    b->n = n - gone;
    lots->nopen -= gone;
    b->held = b->n ? b->held - sold : 0; /* an emptied book holds exactly nothing */
    average_cost(lots, b);
    return r;
}

/* The start of a sale: what rb_lots_sell refuses refused, the books fetched (warm); *out
 * gets its book. prepared: as buy_start's. */
LEDGER_STEP rb_status sale_start(rb_lots *lots, size_t asset, rb_time t, double units, double proceeds,
                                 int prepared, book **out, rb_error *err)
{
    rb_status st = prepared ? RB_OK : check_asset(lots, asset, "selling", err);
    if (st) return st;
    if (!positive_finite(units))
        return rb_fail(err, RB_ERR_DATA, "selling %g units of asset %zu: units must be positive and finite", units,
                       asset);
    if (!isfinite(proceeds))
        return rb_fail(err, RB_ERR_DATA, "selling %g units of asset %zu: proceeds %g are not finite", units, asset,
                       proceeds);
    if (!prepared) warm(lots, t);
    book *b = &books_of(lots)[asset];
    if (units > b->held * (1 + SELL_TOLERANCE))
        return rb_fail(err, RB_ERR_DATA, "selling %g units of asset %zu but only %g are held", units, asset, b->held);
    *out = b;
    return RB_OK;
}

static rb_status sell_nomem(size_t asset, rb_error *err)
{
    return rb_fail(err, RB_ERR_NOMEM, "lots ledger: out of memory selling asset %zu", asset);
}

/* rb_lots_sell in a plain ledger: started, then sell_plain with room for the book's pieces
 * (on the stack, or in the ledger's scratch grown first for a book of more lots). */
LEDGER_STEP rb_status sell_plain_checked(rb_lots *lots, size_t asset, rb_time t, double units, double proceeds,
                                         int prepared, rb_realized *out, rb_error *err)
{
    book *b = NULL;
    rb_status st = sale_start(lots, asset, t, units, proceeds, prepared, &b, err);
    if (st) return st;
    plain_piece stack[PLAIN_PIECES], *piece = stack;
    _Static_assert(sizeof(plain_piece) <= sizeof(rb_lot_piece), "the ledger's scratch holds as many plain pieces");
    if (b->n > PLAIN_PIECES) {
        void *q = lots_grow(lots->sale, &lots->cap_sale, b->n, sizeof *lots->sale);
        if (!q) return sell_nomem(asset, err);
        lots->sale = q;
        piece = q;
    }
    *out = sell_plain(lots, b, t, units, proceeds, piece);
    return RB_OK;
}

rb_status rb_lots_sell(rb_lots *lots, size_t asset, rb_time t, double units, double proceeds, rb_realized *out,
                       rb_error *err)
{
    rb_realized ignored;
    if (lots->plain) return sell_plain_checked(lots, asset, t, units, proceeds, 0, out ? out : &ignored, err);
    book *b = NULL;
    rb_status st = sale_start(lots, asset, t, units, proceeds, 0, &b, err);
    if (st) return st;
    double held = b->held;

    /* Every allocation before the first change, so a failure leaves the ledger as it was. */
    void *q = lots_grow(lots->sale, &lots->cap_sale, b->n, sizeof *lots->sale);
    if (!q) goto nomem;
    lots->sale = q;
    q = lots_grow(lots->order, &lots->cap_order, b->n, sizeof *lots->order);
    if (!q) goto nomem;
    lots->order = q;
    if (lots->wash_days > 0) {
        q = lots_grow(b->pend, &b->cap_pend, b->npend + b->n, sizeof *b->pend);
        if (!q) goto nomem;
        b->pend = q;
    }
    /* Without keep no row is added, and the buys reserved those of the open lots. */
    if (lots->keep && (st = reserve_rows(lots, 1, err))) return st;

    /* FIFO and AVG relieve in array order (oldest first), LIFO in reverse: only HIFO needs a
     * relief order of its own. */
    int sorted = lots->method == RB_LOTS_HIFO;
    if (sorted) relief_order(lots, b);

    /* Relieve lots. A lot left with dust is consumed whole; the sale stops once what is
     * left to sell is rounding (below DUST of the units asked). */
    double want = units < held ? units : held;
    size_t np = 0;
    double sold = 0;
    for (size_t k = 0; k < b->n && want > DUST * units; k++) {
        size_t idx = sorted ? lots->order[k].idx : lots->method == RB_LOTS_LIFO ? b->n - 1 - k : k;
        lot *l = &b->open[idx];
        double take = want < l->units ? want : l->units;
        if (l->units - take < DUST * l->units0) take = l->units;
        double piece_cost = take == l->units ? l->cost : l->cost * (take / l->units);
        lot_tag *g = tag_of(b, l);
        lots->sale[np++] = (rb_lot_piece){.lot_id = g->id,
                                          .asset = asset,
                                          .opened = l->opened,
                                          .units = take,
                                          .cost = piece_cost,
                                          .closed = t,
                                          .long_term = is_long(lots, l->opened, t)};
        if (take == l->units) {
            l->units = 0; /* removed below */
        } else {
            /* The rest keeps its id; replacement use shrinks with the units (a lot's units
             * are interchangeable, so the sold part takes its share of it). */
            g->repl *= (l->units - take) / l->units;
            l->cost -= piece_cost;
            l->units -= take;
        }
        want -= take;
        sold += take;
    }
    share_proceeds(lots->sale, np, proceeds, sold);
    size_t kept = drop_consumed(lots, b, sorted);
    b->held = kept ? b->held - sold : 0; /* an emptied book holds exactly nothing */

    size_t base = lots->nrows;
    if (lots->wash_days > 0) {
        expire_pending(lots, b, t);
        for (size_t k = 0; k < np; k++) {
            rb_lot_piece *pc = &lots->sale[k];
            if (!(pc->gain < 0)) continue;
            double left = replace_before(lots, b, pc, t);
            if (left > 0)
                b->pend[b->npend++] = (pending){.sold = t,
                                                .units = left,
                                                .loss_per_unit = -pc->gain / pc->units,
                                                .long_term = pc->long_term,
                                                .row = lots->keep ? base + k : SIZE_MAX};
        }
    }
    average_cost(lots, b); /* the wash-sale adjustments joined the average */
    rb_realized r = {0, 0};
    for (size_t k = 0; k < np; k++) {
        const rb_lot_piece *pc = &lots->sale[k];
        if (pc->long_term) r.long_term += pc->gain + pc->disallowed;
        else r.short_term += pc->gain + pc->disallowed;
    }
    if (lots->keep) {
        memcpy(lots->rows + base, lots->sale, np * sizeof *lots->sale);
        lots->nrows += np;
    }
    if (out) *out = r;
    return RB_OK;

nomem:
    return sell_nomem(asset, err);
}

/* rb_lots_orders' loops: plain, a plain ledger of at least n assets, whose sales and buys
 * are called here (where rb_lots_sell and rb_lots_buy would each be a call of their own:
 * benchmark 2, 9 % faster), prepared: their assets' indexes checked and the books fetched
 * once for all of them; or any other ledger, whose every order goes through rb_lots_sell and
 * rb_lots_buy. Plain buys realize nothing: their zero gains are not added (a year's sums are
 * never -0, so adding +0 changes no bit). Preparing once and adding no zeros took 5 % of the
 * instructions of benchmark 2's calls (callgrind on lots_replay). */
LEDGER_STEP rb_status orders_loops(rb_lots *lots, size_t n, const double *order, const double *amount,
                                   const double *held, size_t stride, int64_t skip, rb_time t, rb_realized *year,
                                   const int plain, rb_error *err)
{
    rb_realized y = *year; /* the sums kept here, stored once */
    rb_status st = RB_OK;
    for (size_t i = 0; i < n; i++) { /* the sales first: they free the cash the buys use */
        double u = order[i * stride];
        if (!(u < 0) || (int64_t)i == skip) continue;
        double h = held[i * stride], units = -u > h ? h : -u;
        rb_realized r = {0, 0}; /* (set by either on success) */
        st = plain ? sell_plain_checked(lots, i, t, units, amount[i * stride], 1, &r, err)
                   : rb_lots_sell(lots, i, t, units, amount[i * stride], &r, err);
        if (st) goto out;
        y.short_term += r.short_term;
        y.long_term += r.long_term;
    }
    for (size_t i = 0; i < n; i++) {
        double u = order[i * stride];
        if (u == 0 || u < 0 || (int64_t)i == skip) continue; /* (a NaN goes to the buy, which refuses it) */
        rb_realized r = {0, 0}; /* a loss disallowed by this buy (wash sale) counts as a gain of this year */
        if (plain) {
            st = buy_plain(lots, i, t, u, amount[i * stride], 1, &r, err);
            if (st) goto out;
            continue;
        }
        st = rb_lots_buy(lots, i, t, u, amount[i * stride], &r, err);
        if (st) goto out;
        y.short_term += r.short_term;
        y.long_term += r.long_term;
    }
out:
    *year = y;
    return st;
}

rb_status rb_lots_orders(rb_lots *lots, size_t n, const double *order, const double *amount, const double *held,
                         size_t stride, int64_t skip, rb_time t, rb_realized *year, rb_error *err)
{
    if (lots->plain && n <= lots->nassets) {
        warm(lots, t);
        return orders_loops(lots, n, order, amount, held, stride, skip, t, year, 1, err);
    }
    return orders_loops(lots, n, order, amount, held, stride, skip, t, year, 0, err);
}
