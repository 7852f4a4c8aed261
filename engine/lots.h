/* lots.h - tax lots: opening a lot per buy, relieving lots on a sale by FIFO, LIFO, HIFO or
 * average cost, short/long-term realized gains, wash sales, and the calendar-year tax with
 * loss carry-forward (docs/engine.md, "Taxes"). Internal. */
#ifndef RB_LOTS_H
#define RB_LOTS_H

#include "lot_pool.h"
#include "rebal.h"

#define RB_TIME_OPEN INT64_MIN /* rb_lot_piece.closed of a lot still held */

/* Realized gains (negative = loss), split by holding period. */
typedef struct rb_realized {
    double short_term;
    double long_term;
} rb_realized;

/* One row of the lots ledger (--lots FILE): a lot, or the part of a lot one sale consumed. */
typedef struct rb_lot_piece {
    int64_t lot_id;    /* 1, 2, ... in the order lots were opened */
    size_t asset;      /* matrix column */
    rb_time opened;
    double units;
    double cost;       /* basis of these units: purchase cost incl. its costs and wash-sale
                          adjustments received */
    rb_time closed;    /* RB_TIME_OPEN while held */
    double proceeds;   /* net of the selling order's costs, shared by units */
    double gain;       /* proceeds - cost (before any wash-sale disallowance) */
    double disallowed; /* loss disallowed by the wash-sale rule (>= 0), moved into a
                          replacement lot's basis */
    int long_term;     /* held more than long_term_days */
} rb_lot_piece;

typedef struct rb_lots rb_lots;

/* What a ledger keeps for rb_lots_ledger (rb_lots_new's keep_ledger). */
enum {
    RB_LEDGER_NONE = 0, /* nothing: it is never listed (a sweep's ledgers, a run without --lots) */
    RB_LEDGER_ALL = 1,  /* the closed pieces and the open lots */
    RB_LEDGER_OPEN = 2  /* the open lots, listed when asked */
};

/* A ledger for nassets assets. wash_sale_days 0 turns the wash-sale rule off. keep_ledger:
 * an RB_LEDGER_*; one that keeps nothing, without wash sales and not HIFO, holds 32 bytes a
 * lot where the others hold 48 (no lot ids). */
rb_status rb_lots_new(size_t nassets, rb_lot_method method, int long_term_days, int wash_sale_days,
                      int keep_ledger, rb_lots **out, rb_error *err);
void rb_lots_free(rb_lots *lots);

/* The ledger emptied, as rb_lots_new would make it with these settings, keeping the memory
 * it has grown (no allocation). Fails, leaving it unchanged, on the settings rb_lots_new
 * refuses. */
rb_status rb_lots_clear(rb_lots *lots, rb_lot_method method, int long_term_days, int wash_sale_days,
                        int keep_ledger, rb_error *err);

/* dst made a copy of src (a ledger for as many assets): its settings, its open lots and
 * pending wash-sale losses, and with RB_LEDGER_ALL its closed pieces, in dst's memory (grown
 * as needed). The copy then takes every later call as src would. */
rb_status rb_lots_copy(rb_lots *dst, const rb_lots *src, rb_error *err);

/* The books' arrays of an empty ledger from now on from pool (NULL: the heap), which must
 * outlive the ledger (lot_pool.h); given back where they came from as the ledger frees or
 * regrows them. Fails (RB_ERR_USAGE) on a ledger that holds lots. */
rb_status rb_lots_use_pool(rb_lots *lots, rb_lot_pool *pool, rb_error *err);

/* The number of assets the ledger was made for. */
size_t rb_lots_assets(const rb_lots *lots);

/* Opens a lot of units (> 0) bought at time t for cost (> 0, incl. the order's costs).
 * Wash sales: if loss sales of this asset dated at most wash_sale_days calendar days before
 * t's date still have units not matched by a replacement, their loss is disallowed on up to
 * `units` units (oldest sale first), added to the new lot's basis, and added to *late by
 * kind (the caller counts it as a gain of the current tax year, since that sale's year may
 * be closed). *late is zeroed first. With average cost, every open lot of the asset then
 * carries the new average cost per unit. */
rb_status rb_lots_buy(rb_lots *lots, size_t asset, rb_time t, double units, double cost, rb_realized *late,
                      rb_error *err);

/* Sells units (> 0, at most the units held, within a relative 1e-9) at time t for proceeds
 * (net of the order's costs), relieving lots by the method. *out gets the allowed realized
 * gains of this sale: a loss on units replaced by a lot bought at most wash_sale_days
 * calendar days before t's date and still held after this sale is disallowed and moved into
 * that lot's basis; the rest of a loss stays open to buys within the days after t (see
 * rb_lots_buy). */
rb_status rb_lots_sell(rb_lots *lots, size_t asset, rb_time t, double units, double proceeds, rb_realized *out,
                       rb_error *err);

/* The orders of one rebalance, order[i * stride] units of asset i (i < n; none for asset
 * skip, the cash column, or -1) for amount[i * stride] (a sale's proceeds, a buy's cost),
 * at time t: each sale (a negative order, of at most held[i * stride] units) by
 * rb_lots_sell, then each buy by rb_lots_buy, in asset order, their gains added to *year.
 * Stops at the first order refused. */
rb_status rb_lots_orders(rb_lots *lots, size_t n, const double *order, const double *amount, const double *held,
                         size_t stride, int64_t skip, rb_time t, rb_realized *year, rb_error *err);

/* Units held of an asset (sum of its open lots). */
double rb_lots_units(const rb_lots *lots, size_t asset);

/* Total basis of an asset's open lots. */
double rb_lots_basis(const rb_lots *lots, size_t asset);

/* The gains selling every open lot at prices[asset] (no costs) at time t would realize. */
rb_realized rb_lots_unrealized(const rb_lots *lots, const double *prices, rb_time t);

/* The ledger: closed pieces in the order they were closed, then the open lots by id.
 * Valid until the next call that changes lots; *n gets the count. A ledger kept whole
 * (RB_LEDGER_ALL) never allocates here; one that keeps its open lots (RB_LEDGER_OPEN) lists
 * them in rows grown here, and returns NULL (with *n 0) when out of memory. One that keeps
 * nothing (RB_LEDGER_NONE) is not listed: NULL, *n 0. */
const rb_lot_piece *rb_lots_ledger(rb_lots *lots, size_t *n);

/* The tax of one calendar year: realized gains of the year plus the carried-in losses
 * netted as docs/engine.md says; *carry_out gets the losses to carry into the next year
 * (each <= 0). Returns the tax (>= 0). */
double rb_tax_due(rb_realized year, rb_realized carry_in, double short_rate, double long_rate,
                  rb_realized *carry_out);

#endif /* RB_LOTS_H */
