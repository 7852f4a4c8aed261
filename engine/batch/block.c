/* block.c - a block's memory (batch_internal.h): its columns, per asset and configuration
 * ([asset * cap + j]) or per configuration ([j]), its lanes and its configurations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch_internal.h"
#include "alloc.h"
#include "big_alloc.h"

/* Whether a region of the block's slots of this size is on huge pages (slots_alloc). */
#define SLOTS_ON_HUGE_PAGES ((size_t)512 << 10)
static int slots_on_huge_pages(size_t bytes) { return bytes >= SLOTS_ON_HUGE_PAGES; }

/* The slots region and what its configurations hold (their portfolios' and rooms' own
 * memory, grown past what was lent). */
static void slots_free(block *b)
{
    for (size_t j = 0; b->cfg && j < b->slots_lcap; j++) {
        rb_portfolio_release(&b->cfg[j].port);
        rb_resolve_room_free(&b->cfg[j].room);
    }
    if (slots_on_huge_pages(b->slots_bytes)) rb_big_free(b->slots, b->slots_bytes);
    else free(b->slots);
    b->slots = NULL;
    b->cfg = NULL;
    b->scratch = NULL;
    b->slots_bytes = 0;
    b->slots_lcap = 0;
}

void batch_block_free(block *b)
{
    free(b->cols_raw);
    free(b->touched);
    free(b->list);
    free(b->queued);
    free(b->queued_full);
    free(b->lane_tg);
    free(b->lane_src);
    free(b->origin);
    free(b->groups);
    free(b->mix_bars);
    slots_free(b);
    rb_lot_pool_free(b->lot_pool); /* after the ledgers that use it */
    memset(b, 0, sizeof *b);
}

/* The configurations' slots, their scratch, their portfolios' arrays and resolve rooms, and
 * the lanes, in one zeroed region: in a block of many configurations, on huge pages
 * (big_alloc.h). A thread's block is written for the first time as its first
 * configurations are set up (a slot is 2.3 KB, its portfolio's arrays and room 1.5 KB more
 * with 5 assets), and in 4 KiB pages each page's first write is a trap: the second thread
 * of benchmark 1 took 506 page faults, now 77. Small blocks stay on the heap, where a huge
 * page of 2 MiB would cost more to clear than the few pages it spares. Under
 * AddressSanitizer a red zone (poisoned) follows the slots, the scratch and the lanes. */
#define SLOTS_GAP ((size_t)64)
/* A room's strategy state: the rules' structs and their band arrays (a schedule of many
 * dates needs more, and its room is then allocated by rb_resolve as without a lent one). */
#define ROOM_STATE(N) (256 + 3 * (N) * sizeof(double))

static size_t aligned64(size_t n) { return (n + 63) / 64 * 64; }

/* Where each part of the slots region of lcap configurations of N assets begins, and its
 * size. */
typedef struct slots_layout {
    size_t cfg, lanes, port, room; /* sizes: the slots, the lanes, a portfolio's, a room's */
    size_t at_scratch, at_lanes, at_ports, at_rooms, bytes;
} slots_layout;

static slots_layout layout_of(size_t N, size_t lcap)
{
    slots_layout y = {.cfg = lcap * sizeof(config), .lanes = rb_lanes_bytes(N, BATCH_LANE_GROUP),
                      .port = aligned64(rb_portfolio_bytes(N)), .room = aligned64(rb_resolve_room_bytes(N, ROOM_STATE(N)))};
    _Static_assert(sizeof(config) % 8 == 0, "the scratch after the slots is 8-byte aligned");
    size_t scratch = lcap * SCRATCH_ROWS * N * sizeof(double);
    y.at_scratch = y.cfg + SLOTS_GAP;
    y.at_lanes = y.at_scratch + scratch + SLOTS_GAP;
    y.at_ports = aligned64(y.at_lanes + y.lanes + SLOTS_GAP);
    y.at_rooms = y.at_ports + lcap * y.port;
    y.bytes = y.at_rooms + lcap * y.room + SLOTS_GAP;
    return y;
}

/* How many configurations the slots of a block of `want` (0: most) have room for: want, at
 * most most, rounded up to a whole vector, and on huge pages as many more as fill the whole
 * pages those take (a multiple of 8, at most `most`), which cost the same. The first block of
 * a sweep of bands takes 192; room for 384 (RB_BATCH_CAP, what blocks may grow to) took two
 * fresh 2 MiB pages, their faults and clears on the command's path (some 0.3-0.5 ms), where
 * room for as many as one page holds (some 360 configurations of 10 assets) takes the page
 * the bars were read into, freed just before (big_alloc.h keeps it), cleared in place. A
 * later block of more grows the slots (batch_block_room). */
static size_t slots_room(size_t N, size_t want, size_t most)
{
    size_t room = batch_padded(want && want < most ? want : most), bytes = layout_of(N, room).bytes;
    if (!slots_on_huge_pages(bytes)) return room;
    size_t pages = (bytes + RB_BIG_PAGE - 1) / RB_BIG_PAGE * RB_BIG_PAGE;
    while (room + 8 <= most && layout_of(N, room + 8).bytes <= pages) room += 8;
    return room;
}

static int slots_alloc(block *b, size_t N, size_t lcap)
{
    const slots_layout y = layout_of(N, lcap);
    int big = slots_on_huge_pages(y.bytes);
    char *all = big ? rb_big_alloc(y.bytes) : rb_calloc(1, y.bytes);
    if (!all) return 0;
    b->slots = all;
    b->slots_bytes = y.bytes;
    b->slots_lcap = lcap;
    b->cfg = (config *)all;
    b->scratch = (double *)(all + y.at_scratch);
    rb_lanes_place(&b->lanes, N, BATCH_LANE_GROUP, all + y.at_lanes);
    for (size_t j = 0; j < lcap; j++) {
        rb_portfolio_lend(&b->cfg[j].port, N, all + y.at_ports + j * y.port);
        rb_resolve_room_lend(&b->cfg[j].room, all + y.at_rooms + j * y.room, y.room);
    }
    if (big) {
        rb_big_poison(all + y.cfg, SLOTS_GAP);
        rb_big_poison(all + y.at_lanes - SLOTS_GAP, SLOTS_GAP);
        rb_big_poison(all + y.at_lanes + y.lanes, SLOTS_GAP);
        rb_big_poison(all + y.bytes - SLOTS_GAP, SLOTS_GAP);
    }
    return 1;
}

int batch_block_alloc(block *b, size_t N, size_t T, size_t most, size_t first)
{
    const size_t cap = RB_BATCH_STRIDE, lcap = batch_padded(most ? most : 1);
    memset(b, 0, sizeof *b);
    b->cap = cap;
    b->lcap = lcap;
    b->N = N;
    b->T = T;
    /* 64-byte aligned (a vector of 8 doubles, a cache line): cap is a multiple of 8. */
    size_t bytes = (BLOCK_COLUMNS + 3 * N) * cap * sizeof(double), pad = 64;
    char *raw = rb_calloc(1, bytes + pad); /* zeros: the passes run over positions past n too (kernel.c, FOR_BLOCK) */
    if (!raw) return 0;
    b->cols_raw = raw;
    double *cols = b->cols = (double *)(raw + (pad - (uintptr_t)raw % pad) % pad);
#define AT(c) (cols + (size_t)(c) * cap)
    b->cash = AT(COL_CASH), b->total = AT(COL_TOTAL), b->inv = AT(COL_INV), b->dsum = AT(COL_DSUM);
    b->ex = AT(COL_EX), b->tband = AT(COL_TBAND), b->flow = AT(COL_FLOW), b->mix = AT(COL_MIX);
    b->cand = (int64_t *)AT(COL_CAND), b->act = (int64_t *)AT(COL_ACT), b->fall = (int64_t *)AT(COL_FALL);
    b->cmask = (uint64_t *)AT(COL_CMASK), b->cbars = (int64_t *)AT(COL_CBARS), b->rule = (int64_t *)AT(COL_RULE);
    b->leader = (int64_t *)AT(COL_LEADER), b->maxd = AT(COL_MAXD);
    b->u = AT(BLOCK_COLUMNS), b->tg = b->u + N * cap, b->e = b->tg + N * cap;
#undef AT
    /* the rest holds at most lcap configurations: the most this run's blocks take */
    b->touched = rb_malloc(lcap);
    if ((b->origin = rb_malloc(lcap * sizeof *b->origin)))
        for (size_t j = 0; j < lcap; j++) b->origin[j] = j; /* each position its slot (batch_cfg) */
    b->groups = rb_malloc(lcap * sizeof *b->groups);

    b->list = rb_malloc(lcap * sizeof *b->list);
    b->queued = rb_malloc(lcap * sizeof *b->queued);
    b->queued_full = rb_malloc(lcap * sizeof *b->queued_full);
    /* one allocation: a lane group's targets (N rows), then value, drift and reciprocal per
     * lane, then the common targets and band weights (N each) */
    const size_t group = BATCH_LANE_GROUP;
    if ((b->lane_tg = rb_malloc(((N + 3) * group + 2 * N) * sizeof(double)))) {
        b->lane_value = b->lane_tg + N * group;
        b->lane_drift = b->lane_value + group;
        b->lane_inv = b->lane_drift + group;
        b->common_tg = b->lane_inv + group;
        b->common_band_to = b->common_tg + N;
    }
    b->lane_src = rb_malloc(BATCH_LANE_GROUP * sizeof *b->lane_src); /* a lane group's */
    b->mix_bars = rb_malloc((T + N) * sizeof *b->mix_bars);
    if (!slots_alloc(b, N, slots_room(N, first, lcap))) return 0;
    return b->touched && b->origin && b->groups && b->list && b->queued && b->queued_full && b->lane_tg && b->lane_src &&
           b->mix_bars;
}

int batch_block_room(block *b, size_t n)
{
    if (n <= b->slots_lcap) return 1;
    slots_free(b);
    return slots_alloc(b, b->N, slots_room(b->N, n, b->lcap));
}
