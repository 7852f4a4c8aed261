/* cells.c - the text of one CSV cell (cells.h): trimming, strict locale-free numbers with an
 * exact fast path, and one-line quoting of offending text for messages. */
#include "cells.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "alloc.h"

const char *rb_cell_quote(const char *s, size_t n, size_t max, char *out, size_t outsz)
{
    return rb_text_quote(s, n, max, out, outsz);
}

/* The shortest %g form that reads back as the same double (39.81, not 39.810000000000002). */
const char *rb_cell_shortest(double v, char out[32])
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v) break;
    }
    return out;
}

/* Blanks around a number, date or header name (a quoted cell may hold line ends). */
static int is_blank_byte(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void rb_cell_trim(const char **s, size_t *n)
{
    while (*n > 0 && is_blank_byte(**s)) (*s)++, (*n)--;
    while (*n > 0 && is_blank_byte((*s)[*n - 1])) (*n)--;
}

/* Symbols lose surrounding spaces only: a tab or line end in a symbol is refused, not hidden. */
void rb_cell_trim_spaces(const char **s, size_t *n)
{
    while (*n > 0 && **s == ' ') (*s)++, (*n)--;
    while (*n > 0 && (*s)[*n - 1] == ' ') (*n)--;
}

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Parses a decimal number the way strtod does, refusing hex, words and trailing junk, with
 * decimal ('.' or ',') as the decimal mark; with ',' a '.' anywhere is refused (no
 * thousands separators, whichever mark). No locale is involved.
 * Plain decimals with at most 2^53 as digits and at most 22 fraction digits take an exact
 * shortcut (an exact integer divided by an exact power of ten is correctly rounded, so the
 * result equals strtod's); the rest goes through strtod (C locale: a '.') on a
 * NUL-terminated copy in *scratch (grown as needed), the decimal comma turned into a '.'.
 * Returns NUM_*; NUM_BAD also for an out-of-memory copy. */
int rb_cell_number(const char *s, size_t n, char decimal, char **scratch, size_t *scratch_cap, double *out)
{
    rb_cell_trim(&s, &n);
    if (n == 0) return NUM_EMPTY;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-' || s[0] == '+') neg = s[i++] == '-';
    uint64_t m = 0;
    int digits = 0, frac = 0, dot = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d < 10) {
            if (digits == 19) goto slow;
            m = m * 10 + d;
            digits++;
            frac += dot;
        } else if (s[i] == decimal && !dot) {
            dot = 1;
        } else {
            goto slow;
        }
    }
    if (digits > 0 && m <= (UINT64_C(1) << 53) && frac <= 22) {
        double v = (double)m;
        if (frac) v /= pow10_exact[frac];
        *out = neg ? -v : v;
        return NUM_OK;
    }
slow:;
    size_t k = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (k + 1 < n && s[k] == '0' && (s[k + 1] == 'x' || s[k + 1] == 'X')) return NUM_BAD;
    if (decimal != '.' && memchr(s, '.', n)) return NUM_BAD;
    if (n + 1 > *scratch_cap) {
        char *grown = rb_realloc(*scratch, n + 1);
        if (!grown) return NUM_BAD;
        *scratch = grown;
        *scratch_cap = n + 1;
    }
    memcpy(*scratch, s, n);
    (*scratch)[n] = '\0';
    if (decimal != '.')
        for (char *c = *scratch; (c = memchr(c, decimal, (size_t)(*scratch + n - c))) != NULL;) *c++ = '.';
    char *end;
    double v = strtod(*scratch, &end);
    if (end != *scratch + n) return NUM_BAD;
    if (!isfinite(v)) return NUM_INFINITE;
    *out = v;
    return NUM_OK;
}
