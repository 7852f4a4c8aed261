/* json_write.h - writing JSON values: strings escaped, numbers in their shortest form that
 * reads back exactly (null for NaN and infinities). Shared by `rebal run --json` and `rebal
 * runs --json`. Internal. */
#ifndef RB_JSON_WRITE_H
#define RB_JSON_WRITE_H

#include <stdio.h>

/* A JSON string: quotes, backslashes and control characters escaped. */
void rb_json_string(FILE *out, const char *s);

/* A JSON number (shortest exact), or null for NaN and infinities. */
void rb_json_number(FILE *out, double x);

#endif /* RB_JSON_WRITE_H */
