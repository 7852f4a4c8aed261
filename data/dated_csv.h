/* dated_csv.h - small dated CSV files a run reads besides its prices: the `--when` schedule
 * and the `--targets-csv` table. Comma-separated (RFC 4180 quoting, through libcsv), a UTF-8
 * byte-order mark and Windows line ends accepted, blank lines skipped; the first column holds
 * dates or date-times in any format rb_time_parse detects, strictly increasing; a first row
 * whose first cell is empty or not a date is a header. Every row is handed over with its
 * line, so every error names FILE:LINE. Internal. */
#ifndef RB_DATED_CSV_H
#define RB_DATED_CSV_H

#include <stddef.h>

#include "rebal.h"

/* The largest file read (bytes): a daily table of 500 assets over 30 years is about 40 MB. */
#define RB_DATED_CSV_MAX_BYTES ((size_t)256 << 20)

/* One row as read: its cells trimmed of blanks (cell[0] is the date's text, or the header's
 * first cell), valid during the call only. */
typedef struct rb_dated_row {
    const char *path;
    size_t line;
    rb_time time; /* the date of a data row (0 in the header) */
    size_t n;     /* cells, >= 1 */
    const char *const *cell;
} rb_dated_row;

typedef rb_status (*rb_dated_row_fn)(void *ctx, const rb_dated_row *row, rb_error *err);

/* Reads the regular file at path (at most RB_DATED_CSV_MAX_BYTES), calling on_header for a
 * header row (the first row, when its first cell is empty or no date) and on_row for every
 * data row in file order. Stops at the first failure: its own ("FILE:LINE: ..." for an
 * unparsable date, dates not increasing, malformed quoting; "FILE: cannot open: ...") or the
 * callback's, whose message the callback writes whole. */
rb_status rb_dated_csv_read(const char *path, rb_dated_row_fn on_header, rb_dated_row_fn on_row, void *ctx,
                            rb_error *err);

#endif /* RB_DATED_CSV_H */
