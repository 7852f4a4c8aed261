/* block.c - a block's memory (batch_internal.h): its columns, per asset and configuration
 * ([asset * cap + j]) or per configuration ([j]), its lanes and its configurations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch_internal.h"
#include "alloc.h"

void batch_block_free(block *b)
{
    free(b->cols_raw);
    free(b->touched);
    free(b->list);
    rb_lanes_release(&b->lanes);
    free(b->queued);
    free(b->queued_full);
    free(b->lane_tg);
    free(b->lane_src);
    free(b->origin);
    free(b->groups);
    for (size_t j = 0; b->cfg && j < b->lcap; j++) {
        rb_portfolio_release(&b->cfg[j].port);
        rb_resolve_room_free(&b->cfg[j].room);
    }
    free(b->cfg);
    free(b->scratch);
    memset(b, 0, sizeof *b);
}

int batch_block_alloc(block *b, size_t N, size_t T, size_t most)
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
    b->origin = rb_malloc(lcap * sizeof *b->origin);
    b->groups = rb_malloc(lcap * sizeof *b->groups);

    b->list = rb_malloc(lcap * sizeof *b->list);
    b->queued = rb_malloc(lcap * sizeof *b->queued);
    b->queued_full = rb_malloc(lcap * sizeof *b->queued_full);
    /* one allocation: N * lcap targets, then value, drift and reciprocal per lane, then the
     * common targets and band weights (N each) */
    if ((b->lane_tg = rb_malloc(((N + 3) * lcap + 2 * N) * sizeof(double)))) {
        b->lane_value = b->lane_tg + N * lcap;
        b->lane_drift = b->lane_value + lcap;
        b->lane_inv = b->lane_drift + lcap;
        b->common_tg = b->lane_inv + lcap;
        b->common_band_to = b->common_tg + N;
    }
    b->lane_src = rb_malloc(lcap * sizeof *b->lane_src);
    if (rb_lanes_init(&b->lanes, N, lcap, NULL) != RB_OK) return 0;
    b->cfg = rb_calloc(lcap, sizeof *b->cfg);
    b->scratch = rb_malloc(lcap * SCRATCH_ROWS * N * sizeof *b->scratch);
    return b->scratch && b->touched && b->origin && b->groups && b->list && b->queued && b->queued_full && b->lane_tg && b->lane_src && b->cfg;
}
