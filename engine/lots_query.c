/* lots_query.c - what a tax-lot ledger holds (units, basis, unrealized gains), its listing,
 * and the calendar-year tax with loss carry-forward (lots.h; docs/engine.md, "Taxes"). */
#include <stdlib.h>

#include "lots_internal.h"

/* ---------------------------------------------------------------- queries */

/* The sum over an asset's open lots, oldest first, of their units (basis 0) or their cost. */
static double open_sum(const rb_lots *lots, size_t asset, int basis)
{
    if (asset >= lots->nassets) return 0;
    const book *b = &books_of(lots)[asset];
    double s = 0;
    for (size_t i = 0; i < b->n; i++) s += basis ? b->open[i].cost : b->open[i].units;
    return s;
}

double rb_lots_units(const rb_lots *lots, size_t asset) { return open_sum(lots, asset, 0); }

double rb_lots_basis(const rb_lots *lots, size_t asset) { return open_sum(lots, asset, 1); }

rb_realized rb_lots_unrealized(const rb_lots *lots, const double *prices, rb_time t)
{
    rb_realized r = {0, 0};
    for (size_t a = 0; a < lots->nassets; a++) {
        const book *b = &books_of(lots)[a];
        for (size_t i = 0; i < b->n; i++) {
            const lot *l = &b->open[i];
            double g = l->units * prices[a] - l->cost;
            if (is_long(lots, l->opened, t)) r.long_term += g;
            else r.short_term += g;
        }
    }
    return r;
}

static int cmp_id(const void *pa, const void *pb)
{
    const rb_lot_piece *a = pa, *b = pb;
    return (a->lot_id > b->lot_id) - (a->lot_id < b->lot_id);
}

const rb_lot_piece *rb_lots_ledger(rb_lots *lots, size_t *n)
{
    /* With keep, capacity for closed rows + open lots is reserved by every buy and sell;
     * without, it is made here (no closed rows). */
    *n = 0;
    if (!lots->lists) return NULL;
    if (!lots->keep) {
        rb_lot_piece *rows = lots_grow(lots->rows, &lots->cap_rows, lots->nopen, sizeof *rows);
        if (!rows) return NULL;
        lots->rows = rows;
    }
    rb_lot_piece *tail = lots->rows + lots->nrows;
    size_t k = 0;
    for (size_t a = 0; a < lots->nassets; a++) {
        const book *b = &books_of(lots)[a];
        for (size_t i = 0; i < b->n; i++) {
            const lot *l = &b->open[i];
            tail[k++] = (rb_lot_piece){.lot_id = tag_of(b, l)->id,
                                       .asset = a,
                                       .opened = l->opened,
                                       .units = l->units,
                                       .cost = l->cost,
                                       .closed = RB_TIME_OPEN};
        }
    }
    if (k > 1) qsort(tail, k, sizeof *tail, cmp_id);
    *n = lots->nrows + k;
    return lots->rows;
}

/* ---------------------------------------------------------------- tax year */

/* With s = short-term and l = long-term net gains of the year plus the carried-in losses:
 *   s >= 0, l >= 0: both taxed, nothing carried;
 *   s <  0, l >  0: the short loss offsets the long gain: l + s >= 0 -> l = l + s taxed,
 *                   s = 0; l + s < 0 -> l = 0, s = l + s carried (still short-term);
 *   s >  0, l <  0: the same with the kinds swapped;
 *   s <= 0, l <= 0: nothing taxed, both carried, each keeping its kind.
 * tax = max(s, 0) * short_rate + max(l, 0) * long_rate. */
/* A loss of one kind offsets a gain of the other: what is left of the two (the gain's kind
 * when the gain is the larger, else the loss's). */
static void offset(double *gain, double *loss)
{
    double net = *gain + *loss;
    *gain = net >= 0 ? net : 0;
    *loss = net >= 0 ? 0 : net;
}

double rb_tax_due(rb_realized year, rb_realized carry_in, double short_rate, double long_rate,
                  rb_realized *carry_out)
{
    double s = year.short_term + carry_in.short_term;
    double l = year.long_term + carry_in.long_term;
    if (s < 0 && l > 0) offset(&l, &s);
    else if (l < 0 && s > 0) offset(&s, &l);
    if (carry_out) *carry_out = (rb_realized){s < 0 ? s : 0.0, l < 0 ? l : 0.0};
    return (s > 0 ? s * short_rate : 0.0) + (l > 0 ? l * long_rate : 0.0);
}
