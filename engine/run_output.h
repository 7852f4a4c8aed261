/* run_output.h - pieces of a run's output files that the reports write too. Internal. */
#ifndef RB_RUN_OUTPUT_H
#define RB_RUN_OUTPUT_H

#include <stdio.h>

#include "run_result.h"

/* The columns of an order, as rb_run_write_trades writes them. */
#define RB_TRADE_COLUMNS "date,bar,kind,symbol,side,units,price,value,fee,slippage,gas,skipped"

/* One order as a CSV row (line end included), its symbol written by text (rb_csv_text, or
 * rb_csv_safe_text for spreadsheet users). */
void rb_write_trade_row(FILE *out, const rb_matrix *m, const rb_trade *tr, void (*text)(FILE *, const char *));
/* The columns a run with --venues adds at the end of each trade row: the leg's venue ("" for
 * an order not routed) and the whole order's units. */
#define RB_TRADE_VENUE_COLUMNS ",venue,order_units"
void rb_write_trade_row_venue(FILE *out, const rb_matrix *m, const rb_trade *tr, void (*text)(FILE *, const char *));

#endif /* RB_RUN_OUTPUT_H */
