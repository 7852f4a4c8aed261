/* number.c - reading a number the way every setting reads one (number.h). */
#include "number.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "alloc.h"

int rb_number_syntax(const char *s, size_t len)
{
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) i++;
    while (i < len && isdigit((unsigned char)s[i])) i++, digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && isdigit((unsigned char)s[i])) i++, digits++;
    }
    if (digits == 0) return 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        size_t exp_digits = 0;
        while (i < len && isdigit((unsigned char)s[i])) i++, exp_digits++;
        if (exp_digits == 0) return 0;
    }
    return i == len;
}

/* The decimal exponent written after 'e' in s[0..len) (digits checked), clamped far beyond
 * the double range so that lowering it by 2 cannot overflow. */
static long written_exponent(const char *s, size_t len)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    long e = 0;
    for (; i < len; i++)
        if (e < 1000000) e = e * 10 + (s[i] - '0');
    return neg ? -e : e;
}

rb_number_read_status rb_number_read(const char *s, size_t len, int percent, double *out)
{
    while (len > 0 && (*s == ' ' || *s == '\t')) s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    int is_percent = len > 0 && s[len - 1] == '%';
    if (is_percent) len--;
    if (!rb_number_syntax(s, len)) return RB_NUMBER_BAD;
    if (is_percent && !percent) return RB_NUMBER_PERCENT;
    /* A percentage is read as the decimal it names, with its exponent lowered by 2 (no
     * division, which would round twice: 1.1% is exactly the double of 0.011). */
    char small[96], *text = len + 32 <= sizeof small ? small : rb_malloc(len + 32);
    if (!text) return RB_NUMBER_BAD;
    if (is_percent) {
        size_t mantissa = 0;
        while (mantissa < len && s[mantissa] != 'e' && s[mantissa] != 'E') mantissa++;
        long exponent = mantissa < len ? written_exponent(s + mantissa + 1, len - mantissa - 1) : 0;
        memcpy(text, s, mantissa);
        snprintf(text + mantissa, 32, "e%ld", exponent - 2);
    } else {
        memcpy(text, s, len);
        text[len] = '\0';
    }
    errno = 0;
    double v = strtod(text, NULL);
    int ok = errno != ERANGE && isfinite(v);
    if (text != small) free(text);
    if (!ok) return RB_NUMBER_BAD;
    *out = v;
    return RB_NUMBER_OK;
}

rb_status rb_percent_refused_as(const char *key, const char *arg, const char *text, rb_error *err)
{
    if (arg)
        return rb_fail(err, RB_ERR_USAGE,
                       "--%s: '%s' is a percentage, but --%s takes %s (a percent sign is only for fractions: "
                       "weights, bands, rates)",
                       key, text, key, arg);
    return rb_fail(err, RB_ERR_USAGE,
                   "--%s: '%s' is a percentage, but --%s is not a fraction (a percent sign is only for fractions: "
                   "weights, bands, rates)",
                   key, text, key);
}

rb_status rb_number_in_range(const char *key, double lo, double hi, double v, const char *text, rb_error *err)
{
    if (v < lo || v > hi) {
        if (hi >= RB_NUMBER_UNBOUNDED)
            return rb_fail(err, RB_ERR_USAGE, "--%s: %s is out of range (at least %g)", key, text, lo);
        return rb_fail(err, RB_ERR_USAGE, "--%s: %s is out of range (%g to %g)", key, text, lo, hi);
    }
    return RB_OK;
}
