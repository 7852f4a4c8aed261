/* csv_write.c - RFC 4180 cells: quoted text, shortest exact numbers. */
#include "csv_write.h"
#include "alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rb_format_number(double x, char buf[40])
{
    if (isnan(x)) {
        buf[0] = '\0';
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 40, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

void rb_csv_number(FILE *out, double x)
{
    char buf[40];
    rb_format_number(x, buf);
    fputs(buf, out);
}

void rb_csv_text(FILE *out, const char *s)
{
    size_t n = strlen(s);
    int quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
    for (const char *p = s; *p && !quote; p++)
        quote = *p == ',' || *p == '"' || *p == '\n' || *p == '\r' || *p == ';' || *p == '\t';
    if (!quote) {
        fputs(s, out);
        return;
    }
    putc('"', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"') putc('"', out);
        putc(*p, out);
    }
    putc('"', out);
}

int rb_is_number_text(const char *s)
{
    char *end;
    if (!*s || *s == ' ' || *s == '\t') return 0;
    (void)strtod(s, &end);
    return end != s && *end == '\0';
}

void rb_csv_safe_text(FILE *out, const char *s)
{
    int risky = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
    if (!risky || rb_is_number_text(s)) {
        rb_csv_text(out, s);
        return;
    }
    size_t n = strlen(s);
    char *buf = rb_malloc(n + 2);
    if (!buf) { /* cannot happen in practice; still never write the formula */
        fputs("'", out);
        rb_csv_text(out, s);
        return;
    }
    buf[0] = '\'';
    memcpy(buf + 1, s, n + 1);
    rb_csv_text(out, buf);
    free(buf);
}
