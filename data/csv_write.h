/* csv_write.h - writing RFC 4180 CSV cells: quoted text and numbers in their shortest form
 * that reads back exactly. Shared by the export and every report. Internal. */
#ifndef RB_CSV_WRITE_H
#define RB_CSV_WRITE_H

#include <stdio.h>

/* Writes s, quoted (quotes doubled) when it holds a delimiter, quote, line break or edge
 * spaces. */
void rb_csv_text(FILE *out, const char *s);

/* rb_csv_text for report cells that spreadsheet users open: text starting with '=', '+',
 * '-', '@', a tab or a carriage return is prefixed with a single quote so that no
 * spreadsheet evaluates it as a formula (OWASP CSV injection). A cell that is a number as a
 * whole ("-0.5", "+3e2") is left as it is, so numeric columns keep their values. */
void rb_csv_safe_text(FILE *out, const char *s);

/* 1 when s is a number as a whole (what strtod reads, no trailing text). */
int rb_is_number_text(const char *s);

/* Writes x in the shortest "%.Ng" that parses back to x; nothing for NaN. */
void rb_csv_number(FILE *out, double x);

/* The same into buf (40 bytes); "" for NaN. */
void rb_format_number(double x, char buf[40]);

#endif /* RB_CSV_WRITE_H */
