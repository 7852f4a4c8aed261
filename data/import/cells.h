/* cells.h - the text of one CSV cell as the rb_importer reads it: blanks trimmed, numbers parsed
 * strictly without the locale, offending text quoted on one line for a message. Internal to
 * data/import/. */
#ifndef RB_IMPORT_CELLS_H
#define RB_IMPORT_CELLS_H

#include <stddef.h>

#include "text.h"

/* Quoted offending text in messages is cut after this many bytes. */
#define QUOTE_MAX 40
/* A buffer for rb_cell_quote of QUOTE_MAX bytes (each may become 4: \xHH). */
#define QUOTE_BUF RB_QUOTE_BUF(QUOTE_MAX)

/* Writes s[0..n) into out (size outsz) as rb_text_quote does: control characters and bytes
 * that are not UTF-8 escaped (\n, \t, \r, \xHH) so that a message stays on one line and
 * reaches a terminal as text; cut after max bytes of input (on a UTF-8 boundary) with "...".
 * Returns out. */
const char *rb_cell_quote(const char *s, size_t n, size_t max, char *out, size_t outsz);

/* The shortest %g form that reads back as the same double (39.81, not 39.810000000000002). */
const char *rb_cell_shortest(double v, char out[32]);

/* Blanks around a number, date or header name (a quoted cell may hold line ends). */
void rb_cell_trim(const char **s, size_t *n);

/* Symbols lose surrounding spaces only: a tab or line end in a symbol is refused, not hidden. */
void rb_cell_trim_spaces(const char **s, size_t *n);

enum { NUM_OK, NUM_EMPTY, NUM_BAD, NUM_INFINITE };

/* Parses a decimal number the way strtod does, refusing hex, words and trailing junk, with
 * decimal ('.' or ',') as the decimal mark; with ',' a '.' anywhere is refused (no
 * thousands separators, whichever mark). No locale is involved. *scratch (grown as needed)
 * holds a NUL-terminated copy when the exact shortcut does not apply.
 * Returns NUM_*; NUM_BAD also for an out-of-memory copy. */
int rb_cell_number(const char *s, size_t n, char decimal, char **scratch, size_t *scratch_cap, double *out);

#endif /* RB_IMPORT_CELLS_H */
