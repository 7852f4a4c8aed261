/* block.c - a block's memory (batch_internal.h): its columns, per asset and configuration
 * ([asset * cap + j]) or per configuration ([j]), its lanes and its configurations. */
#include <stdlib.h>
#include <string.h>

#include "batch_internal.h"
#include "alloc.h"

void batch_block_free(block *b)
{
    double **d[] = {&b->u,     &b->tg,   &b->e,     &b->cash,   &b->total,  &b->inv,  &b->dsum,   &b->ex,
                    &b->tband, &b->flow, &b->mix,   &b->prev,   &b->inv_prev, &b->index,  &b->peak, &b->maxdd,  &b->mean_r,
                    &b->m2_r,  &b->mean_e, &b->m2_e, &b->down2, &b->sum_v,  &b->sum_drift};
    for (size_t k = 0; k < sizeof d / sizeof d[0]; k++) free(*d[k]);
    free(b->cand);
    free(b->touched);
    free(b->act);
    free(b->cmask);
    free(b->cbars);
    free(b->rule);
    free(b->list);
    rb_lanes_release(&b->lanes);
    free(b->queued);
    free(b->queued_to);
    free(b->peak_time);
    free(b->dd_peak);
    free(b->dd_trough);
    for (size_t j = 0; b->cfg && j < b->cap; j++) {
        rb_portfolio_release(&b->cfg[j].port);
        rb_resolve_room_free(&b->cfg[j].room);
    }
    free(b->cfg);
    free(b->scratch);
    memset(b, 0, sizeof *b);
}

int batch_block_alloc(block *b, size_t cap, size_t N, size_t T)
{
    memset(b, 0, sizeof *b);
    b->cap = cap;
    b->N = N;
    b->T = T;
    double **per_asset[] = {&b->u, &b->tg, &b->e};
    for (size_t k = 0; k < 3; k++)
        if (!(*per_asset[k] = rb_malloc(cap * N * sizeof(double)))) return 0;
    double **per_cfg[] = {&b->cash,  &b->total, &b->inv,    &b->dsum, &b->ex,     &b->tband, &b->flow,
                          &b->mix,   &b->prev,  &b->inv_prev, &b->index,  &b->peak, &b->maxdd,  &b->mean_r, &b->m2_r,
                          &b->mean_e, &b->m2_e, &b->down2, &b->sum_v, &b->sum_drift};
    for (size_t k = 0; k < sizeof per_cfg / sizeof per_cfg[0]; k++)
        if (!(*per_cfg[k] = rb_malloc(cap * sizeof(double)))) return 0;
    b->cand = rb_malloc(cap * sizeof *b->cand);
    b->touched = rb_malloc(cap);
    b->act = rb_malloc(cap * sizeof *b->act);
    b->cmask = rb_malloc(cap * sizeof *b->cmask);
    b->cbars = rb_malloc(cap * sizeof *b->cbars);
    b->rule = rb_malloc(cap * sizeof *b->rule);
    b->list = rb_malloc(cap * sizeof *b->list);
    b->queued = rb_malloc(cap * sizeof *b->queued);
    b->queued_to = rb_malloc(cap * sizeof *b->queued_to);
    if (rb_lanes_init(&b->lanes, N, cap, NULL) != RB_OK) return 0;
    b->peak_time = rb_malloc(cap * sizeof(rb_time));
    b->dd_peak = rb_malloc(cap * sizeof(rb_time));
    b->dd_trough = rb_malloc(cap * sizeof(rb_time));
    b->cfg = rb_calloc(cap, sizeof *b->cfg);
    b->scratch = rb_malloc(cap * 6 * N * sizeof *b->scratch);
    return b->scratch && b->cand && b->touched && b->act && b->cmask && b->cbars && b->rule && b->list && b->queued &&
           b->queued_to && b->peak_time && b->dd_peak && b->dd_trough && b->cfg;
}
