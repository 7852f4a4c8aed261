/* json_write.c - JSON values (json_write.h). */
#include "json_write.h"

#include <math.h>

#include "csv_write.h"

void rb_json_string(FILE *out, const char *s)
{
    putc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
        else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
        else putc(*p, out);
    }
    putc('"', out);
}

void rb_json_number(FILE *out, double x)
{
    if (!isfinite(x)) fputs("null", out);
    else rb_csv_number(out, x);
}
