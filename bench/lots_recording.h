/* lots_recording.h - the file format of a recording of a sweep's tax-lot ledger calls, written
 * by lots_record.c (linked into sweep_record) and read by lots_replay.c.
 *
 * A recording is a sequence of records, each a lots_rec header and then `values` doubles:
 *   RB_REC_NEW     rb_lots_new: n assets, method, long_term_days, wash_sale_days, keep
 *   RB_REC_CLEAR   rb_lots_clear: the same settings
 *   RB_REC_COPY    rb_lots_copy: ledger <- other
 *   RB_REC_FREE    rb_lots_free
 *   RB_REC_BUY     rb_lots_buy: asset, t; values: units, cost, then the gains it returned
 *                  (short-term, long-term)
 *   RB_REC_SELL    rb_lots_sell: asset, t; values: units, proceeds, short-term, long-term
 *   RB_REC_ORDERS  rb_lots_orders: n assets, skip, t; values: the n orders, the n amounts,
 *                  the n units held, then the year's gains before the call and after it
 *                  (short-term, long-term each)
 * Ledgers are named by their address in the recording process (an address freed and taken
 * again names the new ledger from its RB_REC_NEW on). Host byte order: a recording is read
 * on the machine that wrote it. */
#ifndef RB_LOTS_RECORDING_H
#define RB_LOTS_RECORDING_H

#include <stdint.h>

enum { RB_REC_NEW = 1, RB_REC_CLEAR, RB_REC_COPY, RB_REC_FREE, RB_REC_BUY, RB_REC_SELL, RB_REC_ORDERS };

#define RB_REC_MAGIC 0x31434552534c4252ull /* "RBLSREC1" */

typedef struct lots_rec {
    uint32_t type;
    uint32_t n;      /* assets: of the ledger (NEW), of the orders (ORDERS) */
    int32_t method;  /* NEW, CLEAR: the ledger's settings */
    int32_t long_term_days, wash_sale_days, keep;
    uint64_t ledger; /* the ledger's address when recorded */
    uint64_t other;  /* COPY: the source's */
    int64_t t;       /* BUY, SELL, ORDERS: the time */
    int64_t skip;    /* ORDERS: the asset left out (the cash column), or -1 */
    uint64_t asset;  /* BUY, SELL */
    uint64_t values; /* how many doubles follow */
} lots_rec;

#endif /* RB_LOTS_RECORDING_H */
