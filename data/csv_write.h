/* csv_write.h - writing RFC 4180 CSV cells: quoted text and numbers in their shortest form
 * that reads back exactly. Shared by the export and every report. Internal. */
#ifndef RB_CSV_WRITE_H
#define RB_CSV_WRITE_H

#include <stdio.h>

/* Writes s, quoted (quotes doubled) when it holds a delimiter, quote, line break or edge
 * spaces. */
void rb_csv_text(FILE *out, const char *s);

/* Writes x in the shortest "%.Ng" that parses back to x; nothing for NaN. */
void rb_csv_number(FILE *out, double x);

/* The same into buf (40 bytes); "" for NaN. */
void rb_format_number(double x, char buf[40]);

#endif /* RB_CSV_WRITE_H */
