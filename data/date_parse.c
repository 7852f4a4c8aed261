/* date_parse.c - reading dates and times (date.h, rebal.h: rb_time_parse): the detected
 * forms (ISO, numeric day-month orders, month names, epoch numbers) and a strptime-like
 * --date-format matcher that ignores the locale. No allocation anywhere: the CSV importer
 * parses one date per row. */
#include "date.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "text.h"

#define YEAR_MIN 1000 /* text dates outside 1000-9999 are refused */
#define YEAR_MAX 9999
#define OFFSET_MAX_HOURS 14 /* the widest UTC offset in use (+14:00, Line Islands) */
#define QUOTE_MAX 40        /* bytes of offending text quoted in a message */
#define QUOTE_BUF (QUOTE_MAX + 4)

/* ---------------------------------------------------------------- scanning helpers */

/* ASCII classes: the C library's depend on the locale. */
static int is_digit(char c)
{
    return (unsigned)(c - '0') <= 9;
}

static int is_alpha(char c)
{
    return (unsigned)((c | 0x20) - 'a') <= 'z' - 'a';
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t count_digits(const char *s, size_t len, size_t pos)
{
    size_t n = 0;
    while (pos + n < len && is_digit(s[pos + n])) n++;
    return n;
}

static size_t count_alpha(const char *s, size_t len, size_t pos)
{
    size_t n = 0;
    while (pos + n < len && is_alpha(s[pos + n])) n++;
    return n;
}

/* Value of n digits at s (the caller has checked that they are digits). */
static int64_t digits_value(const char *s, size_t n)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

/* Reads exactly n digits at *pos: 1 and advances on success, else 0. */
static int take_fixed(const char *s, size_t len, size_t *pos, size_t n, int *v)
{
    if (count_digits(s, len, *pos) < n) return 0;
    *v = (int)digits_value(s + *pos, n);
    *pos += n;
    return 1;
}

/* Reads 1 or 2 digits at *pos (greedy): 1 and advances on success, else 0. */
static int take_1or2(const char *s, size_t len, size_t *pos, int *v)
{
    size_t n = count_digits(s, len, *pos);
    if (n == 0) return 0;
    if (n > 2) n = 2;
    *v = (int)digits_value(s + *pos, n);
    *pos += n;
    return 1;
}

static int has_digit(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (is_digit(s[i])) return 1;
    return 0;
}

static size_t skip_spaces(const char *s, size_t len, size_t pos)
{
    while (pos < len && s[pos] == ' ') pos++;
    return pos;
}

/* Copies at most QUOTE_MAX bytes of s for an error message: the bytes of control characters
 * (C0, DEL, C1) and bytes that are not UTF-8 become '?', and a cut text (cut on a UTF-8
 * character boundary) ends in "...". */
static const char *quote(const char *s, size_t len, char out[QUOTE_BUF])
{
    size_t n = len;
    int cut = 0;
    if (len > QUOTE_MAX) {
        n = rb_utf8_cut(s, len, QUOTE_MAX);
        cut = 1;
    }
    for (size_t i = 0; i < n;) {
        unsigned long cp;
        size_t k = rb_utf8_char(s + i, n - i, &cp), end = i + (k ? k : 1);
        int shown = k && !rb_is_control_char(cp);
        for (; i < end; i++) out[i] = shown ? s[i] : '?';
    }
    if (cut)
        memcpy(out + n, "...", 4);
    else
        out[n] = '\0';
    return out;
}

static const char *const month_names[12] = {"january", "february", "march",     "april",
                                            "may",     "june",     "july",      "august",
                                            "september", "october", "november", "december"};

/* Month 1..12 of an English month name, 3-letter or full, any case; 0 if none. */
static unsigned month_from_name(const char *s, size_t n)
{
    for (unsigned m = 0; m < 12; m++) {
        size_t full = strlen(month_names[m]);
        if (n != 3 && n != full) continue;
        size_t i = 0;
        while (i < n && (s[i] | 0x20) == month_names[m][i]) i++;
        if (i == n) return m + 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- validated fields */

typedef struct fields {
    int year;
    int mon, day;
    int hour, min, sec;
    int off_sign, off_h, off_m; /* UTC offset: local time = UTC + off_sign * (off_h:off_m) */
} fields;

/* Range-checks the fields read from text (quoted in the reasons) and converts to UTC. */
static rb_status finish(const fields *f, const char *s, size_t len, rb_time *out, rb_error *err)
{
    char q[QUOTE_BUF];
    if (f->year < YEAR_MIN || f->year > YEAR_MAX)
        return rb_fail(err, RB_ERR_DATA, "year %04d out of range (%d-%d) in '%s'", f->year,
                       YEAR_MIN, YEAR_MAX, quote(s, len, q));
    if (f->mon < 1 || f->mon > 12)
        return rb_fail(err, RB_ERR_DATA, "month %d out of range in '%s'", f->mon,
                       quote(s, len, q));
    unsigned dim = rb_days_in_month(f->year, (unsigned)f->mon);
    if (f->day < 1 || (unsigned)f->day > dim)
        return rb_fail(err, RB_ERR_DATA, "day %d out of range in '%s' (%04d-%02d has %u days)",
                       f->day, quote(s, len, q), f->year, f->mon, dim);
    if (f->hour > 23)
        return rb_fail(err, RB_ERR_DATA, "hour %d out of range in '%s'", f->hour,
                       quote(s, len, q));
    if (f->min > 59)
        return rb_fail(err, RB_ERR_DATA, "minute %d out of range in '%s'", f->min,
                       quote(s, len, q));
    if (f->sec > 59)
        return rb_fail(err, RB_ERR_DATA, "second %d out of range in '%s'", f->sec,
                       quote(s, len, q));
    if (f->off_h > OFFSET_MAX_HOURS || f->off_m > 59 ||
        (f->off_h == OFFSET_MAX_HOURS && f->off_m > 0))
        return rb_fail(err, RB_ERR_DATA, "UTC offset %c%02d:%02d out of range in '%s'",
                       f->off_sign < 0 ? '-' : '+', f->off_h, f->off_m, quote(s, len, q));
    int64_t days = rb_days_from_civil(f->year, (unsigned)f->mon, (unsigned)f->day);
    int64_t local = days * RB_SECONDS_PER_DAY + f->hour * 3600 + f->min * 60 + f->sec;
    rb_time t = local - (int64_t)f->off_sign * (f->off_h * 3600 + f->off_m * 60);
    /* The instant itself must fall in the accepted years, in UTC: it is stored and exported
     * in UTC, and an export must import back ("1000-01-01T00:00:00+14:00" is year 999). */
    if (t < rb_days_from_civil(YEAR_MIN, 1, 1) * RB_SECONDS_PER_DAY || t > RB_TIME_LAST) {
        char utc[32];
        return rb_fail(err, RB_ERR_DATA, "'%s' is %s in UTC, outside the years %d-%d (in UTC)", quote(s, len, q),
                       rb_time_format(t, utc), YEAR_MIN, YEAR_MAX);
    }
    *out = t;
    return RB_OK;
}

/* Reads a UTC offset at *pos: Z, +hh, +hhmm or +hh:mm (or '-'). 1 and advances on success. */
static int take_offset(const char *s, size_t len, size_t *pos, fields *f)
{
    size_t p = *pos;
    if (p < len && (s[p] == 'Z' || s[p] == 'z')) {
        f->off_sign = 1, f->off_h = 0, f->off_m = 0;
        *pos = p + 1;
        return 1;
    }
    if (p >= len || (s[p] != '+' && s[p] != '-')) return 0;
    int sign = s[p] == '-' ? -1 : 1, h = 0, m = 0;
    p++;
    size_t nd = count_digits(s, len, p);
    if ((nd != 2 && nd != 4) || !take_fixed(s, len, &p, 2, &h)) return 0;
    if (p < len && s[p] == ':') {
        p++;
        if (count_digits(s, len, p) != 2) return 0;
        take_fixed(s, len, &p, 2, &m);
    } else if (count_digits(s, len, p) == 2) {
        take_fixed(s, len, &p, 2, &m);
    }
    f->off_sign = sign, f->off_h = h, f->off_m = m;
    *pos = p;
    return 1;
}

/* ---------------------------------------------------------------- detected forms */

/* YYYY-MM-DD, optionally followed by 'T' or ' ', HH:MM[:SS[.fraction]] and Z or an offset.
 * The fraction is dropped (truncated to the whole second). */
static rb_status parse_iso(const char *s, size_t len, rb_time *out, rb_error *err)
{
    char q[QUOTE_BUF], r[QUOTE_BUF];
    fields f = {.off_sign = 1};
    size_t pos = 0;
    if (!take_fixed(s, len, &pos, 4, &f.year) || pos >= len || s[pos++] != '-' ||
        count_digits(s, len, pos) != 2 || !take_fixed(s, len, &pos, 2, &f.mon) ||
        pos >= len || s[pos++] != '-' || count_digits(s, len, pos) != 2 ||
        !take_fixed(s, len, &pos, 2, &f.day))
        return rb_fail(err, RB_ERR_DATA, "not a date: '%s' (expected YYYY-MM-DD)",
                       quote(s, len, q));
    if (pos < len) {
        if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')
            return rb_fail(err, RB_ERR_DATA, "unexpected '%s' after the date in '%s'",
                           quote(s + pos, len - pos, r), quote(s, len, q));
        pos++;
        if (count_digits(s, len, pos) != 2 || !take_fixed(s, len, &pos, 2, &f.hour) ||
            pos >= len || s[pos++] != ':' || count_digits(s, len, pos) != 2 ||
            !take_fixed(s, len, &pos, 2, &f.min))
            return rb_fail(err, RB_ERR_DATA, "bad time in '%s' (expected HH:MM after the date)",
                           quote(s, len, q));
        if (pos < len && s[pos] == ':') {
            pos++;
            if (count_digits(s, len, pos) != 2 || !take_fixed(s, len, &pos, 2, &f.sec))
                return rb_fail(err, RB_ERR_DATA, "bad seconds in '%s' (expected HH:MM:SS)",
                               quote(s, len, q));
            if (pos < len && (s[pos] == '.' || s[pos] == ',')) {
                size_t nf = count_digits(s, len, pos + 1);
                if (nf == 0)
                    return rb_fail(err, RB_ERR_DATA,
                                   "bad fraction of a second in '%s' (expected digits after '%c')",
                                   quote(s, len, q), s[pos]);
                pos += 1 + nf;
            }
        }
        if (pos < len && !take_offset(s, len, &pos, &f))
            return rb_fail(err, RB_ERR_DATA,
                           "unexpected '%s' after the time in '%s' (expected Z, +hh, +hhmm or "
                           "+hh:mm)",
                           quote(s + pos, len - pos, r), quote(s, len, q));
        if (pos < len)
            return rb_fail(err, RB_ERR_DATA, "unexpected '%s' after the time in '%s'",
                           quote(s + pos, len - pos, r), quote(s, len, q));
    }
    return finish(&f, s, len, out, err);
}

/* Text made of digits only: epoch seconds (9-10 digits) or milliseconds (12-13 digits,
 * floored to the second). */
static rb_status parse_all_digits(const char *s, size_t len, rb_time *out, rb_error *err)
{
    char q[QUOTE_BUF];
    if (len == 9 || len == 10) {
        *out = digits_value(s, len);
        return RB_OK;
    }
    if (len == 12 || len == 13) {
        *out = digits_value(s, len) / 1000; /* non-negative, so this floors */
        return RB_OK;
    }
    if (len == 8)
        return rb_fail(err, RB_ERR_DATA,
                       "ambiguous date '%s' (YYYYMMDD or epoch seconds): pass --date-format, "
                       "e.g. %%Y%%m%%d (or %%s for epoch seconds)",
                       quote(s, len, q));
    return rb_fail(err, RB_ERR_DATA,
                   "not a date: '%s' (%zu digits; epoch seconds have 9-10 digits, "
                   "milliseconds 12-13)",
                   quote(s, len, q), len);
}

/* If s[pos..len) is a time of day "[ T]HH:MM[:SS]", appends its conversions to fmt. */
static void suggest_time(const char *s, size_t len, size_t pos, char *fmt, size_t fmtlen)
{
    if (pos >= len || (s[pos] != ' ' && s[pos] != 'T')) return;
    char sep = s[pos++];
    size_t nh = count_digits(s, len, pos);
    if (nh < 1 || nh > 2) return;
    pos += nh;
    if (pos >= len || s[pos] != ':' || count_digits(s, len, pos + 1) != 2) return;
    pos += 3;
    int with_sec = 0;
    if (pos < len && s[pos] == ':' && count_digits(s, len, pos + 1) == 2) with_sec = 1, pos += 3;
    if (pos != len) return;
    size_t used = strlen(fmt);
    snprintf(fmt + used, fmtlen - used, "%c%%H:%%M%s", sep, with_sec ? ":%S" : "");
}

/* D/M/Y-like numeric dates (1-2 digits first, then '/', '.' or '-'): never guessed. */
static rb_status parse_numeric(const char *s, size_t len, size_t na, rb_error *err)
{
    char q[QUOTE_BUF];
    char sep = s[na];
    size_t pos = na + 1;
    size_t nb = count_digits(s, len, pos);
    int a = (int)digits_value(s, na), b = (int)digits_value(s + pos, nb > 2 ? 2 : nb);
    pos += nb;
    size_t nc = pos < len && s[pos] == sep ? count_digits(s, len, pos + 1) : 0;
    if (nb < 1 || nb > 2 || (nc != 2 && nc != 4) || (a > 12 && b > 12))
        return rb_fail(err, RB_ERR_DATA, "not a date: '%s'", quote(s, len, q));
    pos += 1 + nc;
    /* Suggest the order the values allow; day first only when the first cannot be a month. */
    char fmt[48];
    const char *first = a > 12 ? "%d" : "%m", *second = a > 12 ? "%m" : "%d";
    snprintf(fmt, sizeof fmt, "%s%c%s%c%s", first, sep, second, sep, nc == 4 ? "%Y" : "%y");
    suggest_time(s, len, pos, fmt, sizeof fmt);
    return rb_fail(err, RB_ERR_DATA,
                   "ambiguous date '%s' (day/month order unknown): pass --date-format, e.g. %s",
                   quote(s, len, q), fmt);
}

/* Separator between the parts of a month-name date: spaces, or one '-'. Returns the new
 * position (unchanged when there is none) and writes the separator for a suggested format. */
static size_t take_name_sep(const char *s, size_t len, size_t pos, const char **text)
{
    if (pos < len && s[pos] == '-') {
        *text = "-";
        return pos + 1;
    }
    *text = " ";
    return skip_spaces(s, len, pos);
}

/* Month-name dates: "Jan 1 2000", "January 1, 2000", "1 Jan 2000", "01-Jan-2000". */
static rb_status parse_named(const char *s, size_t len, rb_time *out, rb_error *err)
{
    char q[QUOTE_BUF], r[QUOTE_BUF], fmt[48];
    fields f = {.off_sign = 1};
    size_t pos = 0, p;
    const char *sep1, *sep2;
    int month_first = is_alpha(s[0]);
    const char *form_hint = "expected a form like 'Jan 1 2000' or '1 Jan 2000'";
    if (month_first) {
        size_t w = count_alpha(s, len, 0);
        f.mon = (int)month_from_name(s, w);
        if (!f.mon) {
            if (!has_digit(s, len))
                return rb_fail(err, RB_ERR_DATA, "not a date: '%s'", quote(s, len, q));
            return rb_fail(err, RB_ERR_DATA, "not a date: '%s' (unknown month name '%s')",
                           quote(s, len, q), quote(s, w, r));
        }
        p = take_name_sep(s, len, w, &sep1);
        if (p == w || !take_1or2(s, len, &p, &f.day) || is_digit(p < len ? s[p] : 'x'))
            return rb_fail(err, RB_ERR_DATA, "not a date: '%s' (%s)", quote(s, len, q),
                           form_hint);
        pos = p;
        if (pos < len && s[pos] == ',') {
            p = skip_spaces(s, len, pos + 1);
            sep2 = p > pos + 1 ? ", " : ",";
        } else {
            p = take_name_sep(s, len, pos, &sep2);
            if (p == pos)
                return rb_fail(err, RB_ERR_DATA, "not a date: '%s' (%s)", quote(s, len, q),
                               form_hint);
        }
        pos = p;
        snprintf(fmt, sizeof fmt, "%%b%s%%d%s%%y", sep1, sep2);
    } else {
        if (!take_1or2(s, len, &pos, &f.day) || (pos < len && is_digit(s[pos])))
            return rb_fail(err, RB_ERR_DATA, "not a date: '%s' (%s)", quote(s, len, q),
                           form_hint);
        p = take_name_sep(s, len, pos, &sep1);
        size_t w = count_alpha(s, len, p);
        if (p == pos || w == 0)
            return rb_fail(err, RB_ERR_DATA, "not a date: '%s' (%s)", quote(s, len, q),
                           form_hint);
        f.mon = (int)month_from_name(s + p, w);
        if (!f.mon)
            return rb_fail(err, RB_ERR_DATA, "not a date: '%s' (unknown month name '%s')",
                           quote(s, len, q), quote(s + p, w, r));
        pos = p + w;
        p = take_name_sep(s, len, pos, &sep2);
        if (p == pos)
            return rb_fail(err, RB_ERR_DATA, "not a date: '%s' (%s)", quote(s, len, q),
                           form_hint);
        pos = p;
        snprintf(fmt, sizeof fmt, "%%d%s%%b%s%%y", sep1, sep2);
    }
    size_t ny = count_digits(s, len, pos);
    if (ny == 2 && pos + 2 == len)
        return rb_fail(err, RB_ERR_DATA,
                       "two-digit year in '%s': pass --date-format, e.g. %s", quote(s, len, q),
                       fmt);
    if (ny != 4)
        return rb_fail(err, RB_ERR_DATA, "not a date: '%s' (expected a 4-digit year)",
                       quote(s, len, q));
    take_fixed(s, len, &pos, 4, &f.year);
    if (pos < len)
        return rb_fail(err, RB_ERR_DATA, "unexpected '%s' after the date in '%s'",
                       quote(s + pos, len - pos, r), quote(s, len, q));
    return finish(&f, s, len, out, err);
}

/* Detects the form of trimmed, non-empty text. */
static rb_status parse_detect(const char *s, size_t len, rb_time *out, rb_error *err)
{
    char q[QUOTE_BUF];
    size_t nd = count_digits(s, len, 0);
    if (nd == len) return parse_all_digits(s, len, out, err);
    char next = s[nd];
    if (nd == 4 && next == '-') return parse_iso(s, len, out, err);
    if (nd == 4 && (next == '/' || next == '.')) {
        if (count_digits(s, len, 5) == 2 && len >= 10 && s[7] == next &&
            count_digits(s, len, 8) == 2) {
            return rb_fail(err, RB_ERR_DATA,
                           "unsupported date '%s' (only ISO YYYY-MM-DD is detected): pass "
                           "--date-format, e.g. %%Y%c%%m%c%%d",
                           quote(s, len, q), next, next);
        }
        return rb_fail(err, RB_ERR_DATA, "not a date: '%s'", quote(s, len, q));
    }
    if ((nd == 1 || nd == 2) && (next == '/' || next == '.' || next == '-') && nd + 1 < len &&
        is_digit(s[nd + 1]))
        return parse_numeric(s, len, nd, err);
    if (nd == 1 || nd == 2 || (nd == 0 && is_alpha(s[0]))) return parse_named(s, len, out, err);
    return rb_fail(err, RB_ERR_DATA, "not a date: '%s'", quote(s, len, q));
}

/* ---------------------------------------------------------------- --date-format */

enum {
    F_YEAR = 1u << 0,
    F_MON = 1u << 1,
    F_DAY = 1u << 2,
    F_HOUR = 1u << 3,
    F_MIN = 1u << 4,
    F_SEC = 1u << 5,
    F_ZONE = 1u << 6,
    F_EPOCH = 1u << 7
};

/* The field a conversion sets (0 for %%), or -1 for an unknown conversion. */
static int conversion_field(char c)
{
    switch (c) {
    case 'Y': case 'y': return F_YEAR;
    case 'm': case 'b': case 'B': return F_MON;
    case 'd': case 'e': return F_DAY;
    case 'H': return F_HOUR;
    case 'M': return F_MIN;
    case 'S': return F_SEC;
    case 'z': return F_ZONE;
    case 's': return F_EPOCH;
    case '%': return 0;
    default: return -1;
    }
}

static const char *field_name(unsigned bit)
{
    switch (bit) {
    case F_YEAR: return "year";
    case F_MON: return "month";
    case F_DAY: return "day";
    case F_HOUR: return "hour";
    case F_MIN: return "minute";
    case F_SEC: return "second";
    case F_ZONE: return "UTC offset";
    default: return "epoch time";
    }
}

rb_status rb_time_format_check(const char *fmt, rb_error *err)
{
    char q[QUOTE_BUF];
    if (!fmt) return rb_fail(err, RB_ERR_USAGE, "no date format given");
    size_t flen = strlen(fmt);
    unsigned have = 0;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') continue;
        p++;
        if (*p == '\0')
            return rb_fail(err, RB_ERR_USAGE, "date format '%s' ends with a lone '%%'",
                           quote(fmt, flen, q));
        int bit = conversion_field(*p);
        if (bit < 0) {
            char c = (unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f ? '?' : *p;
            return rb_fail(err, RB_ERR_USAGE,
                           "unknown conversion '%%%c' in date format '%s' (known: %%Y %%y %%m "
                           "%%d %%e %%b %%B %%H %%M %%S %%z %%s %%%%)",
                           c, quote(fmt, flen, q));
        }
        if (have & (unsigned)bit)
            return rb_fail(err, RB_ERR_USAGE, "date format '%s' gives the %s twice",
                           quote(fmt, flen, q), field_name((unsigned)bit));
        have |= (unsigned)bit;
    }
    if (have & F_EPOCH) {
        if (have != F_EPOCH)
            return rb_fail(err, RB_ERR_USAGE,
                           "date format '%s' combines %%s with other fields (%%s alone gives "
                           "the time)",
                           quote(fmt, flen, q));
        return RB_OK;
    }
    static const unsigned need[3] = {F_YEAR, F_MON, F_DAY};
    for (size_t i = 0; i < 3; i++)
        if (!(have & need[i]))
            return rb_fail(err, RB_ERR_USAGE,
                           "date format '%s' has no %s (it needs a year, a month and a day, "
                           "or %%s)",
                           quote(fmt, flen, q), field_name(need[i]));
    return RB_OK;
}

/* "'TEXT' does not match date format 'FMT': expected WHAT at 'REST'". */
static rb_status mismatch(const char *s, size_t len, size_t pos, const char *fmt,
                          const char *what, rb_error *err)
{
    char q[QUOTE_BUF], f[QUOTE_BUF], r[QUOTE_BUF];
    quote(s, len, q);
    quote(fmt, strlen(fmt), f);
    if (pos >= len)
        return rb_fail(err, RB_ERR_DATA,
                       "'%s' does not match date format '%s': expected %s at the end", q, f,
                       what);
    return rb_fail(err, RB_ERR_DATA, "'%s' does not match date format '%s': expected %s at '%s'",
                   q, f, what, quote(s + pos, len - pos, r));
}

/* Matches trimmed text against a checked format. */
static rb_status parse_format(const char *s, size_t len, const char *fmt, rb_time *out,
                              rb_error *err)
{
    char q[QUOTE_BUF], r[QUOTE_BUF], fq[QUOTE_BUF];
    fields f = {.off_sign = 1};
    int64_t epoch = 0;
    int has_epoch = 0;
    size_t pos = 0;
    for (const char *p = fmt; *p; p++) {
        if (*p == ' ') { /* one or more spaces */
            if (pos >= len || s[pos] != ' ') return mismatch(s, len, pos, fmt, "a space", err);
            pos = skip_spaces(s, len, pos);
            continue;
        }
        if (*p != '%' || p[1] == '%') {
            if (*p == '%') p++;
            if (pos >= len || s[pos] != *p) {
                char what[8] = {'\'', *p, '\'', '\0'};
                return mismatch(s, len, pos, fmt, what, err);
            }
            pos++;
            continue;
        }
        p++;
        switch (*p) {
        case 'Y':
            if (!take_fixed(s, len, &pos, 4, &f.year))
                return mismatch(s, len, pos, fmt, "a 4-digit year", err);
            break;
        case 'y':
            if (!take_fixed(s, len, &pos, 2, &f.year))
                return mismatch(s, len, pos, fmt, "a 2-digit year", err);
            f.year += f.year < 69 ? 2000 : 1900; /* POSIX: 69-99 are 1969-1999 */
            break;
        case 'm':
            if (!take_1or2(s, len, &pos, &f.mon)) return mismatch(s, len, pos, fmt, "a month", err);
            break;
        case 'e':
            pos = skip_spaces(s, len, pos);
            /* fall through */
        case 'd':
            if (!take_1or2(s, len, &pos, &f.day)) return mismatch(s, len, pos, fmt, "a day", err);
            break;
        case 'H':
            if (!take_1or2(s, len, &pos, &f.hour))
                return mismatch(s, len, pos, fmt, "an hour", err);
            break;
        case 'M':
            if (!take_1or2(s, len, &pos, &f.min))
                return mismatch(s, len, pos, fmt, "a minute", err);
            break;
        case 'S':
            if (!take_1or2(s, len, &pos, &f.sec))
                return mismatch(s, len, pos, fmt, "a second", err);
            break;
        case 'b':
        case 'B': {
            size_t w = count_alpha(s, len, pos);
            f.mon = (int)month_from_name(s + pos, w);
            if (!f.mon) return mismatch(s, len, pos, fmt, "a month name", err);
            pos += w;
            break;
        }
        case 'z':
            if (!take_offset(s, len, &pos, &f))
                return mismatch(s, len, pos, fmt, "a UTC offset (Z, +hh, +hhmm or +hh:mm)", err);
            break;
        default: { /* 's', the only conversion left after rb_time_format_check */
            size_t p0 = pos;
            if (pos < len && s[pos] == '-') pos++;
            size_t nd = count_digits(s, len, pos);
            if (nd == 0 || nd > 12) {
                pos = p0;
                return mismatch(s, len, pos, fmt, "epoch seconds (up to 12 digits)", err);
            }
            epoch = digits_value(s + pos, nd);
            if (s[p0] == '-') epoch = -epoch;
            pos += nd;
            has_epoch = 1;
            break;
        }
        }
    }
    if (pos < len)
        return rb_fail(err, RB_ERR_DATA,
                       "'%s' does not match date format '%s': unexpected '%s' at the end",
                       quote(s, len, q), quote(fmt, strlen(fmt), fq),
                       quote(s + pos, len - pos, r));
    if (has_epoch) {
        const int64_t lo = rb_days_from_civil(YEAR_MIN, 1, 1) * RB_SECONDS_PER_DAY;
        const int64_t hi = rb_days_from_civil(YEAR_MAX + 1, 1, 1) * RB_SECONDS_PER_DAY;
        if (epoch < lo || epoch >= hi)
            return rb_fail(err, RB_ERR_DATA,
                           "epoch seconds %" PRId64 " out of range (years %d-%d) in '%s'", epoch,
                           YEAR_MIN, YEAR_MAX, quote(s, len, q));
        *out = epoch;
        return RB_OK;
    }
    return finish(&f, s, len, out, err);
}

/* ---------------------------------------------------------------- entry points */

rb_status rb_time_parse_n(const char *text, size_t len, const char *fmt, rb_time *out,
                          rb_error *err)
{
    if (!text) return rb_fail(err, RB_ERR_USAGE, "no date text given");
    while (len > 0 && is_blank(text[0])) text++, len--;
    while (len > 0 && is_blank(text[len - 1])) len--;
    if (fmt) {
        rb_status st = rb_time_format_check(fmt, err);
        if (st != RB_OK) return st;
        return parse_format(text, len, fmt, out, err);
    }
    /* Short path for YYYY-MM-DD, the common case by far; anything unusual (including a
     * range error) goes the long way, which also writes the message. */
    if (len == 10 && text[4] == '-' && text[7] == '-' && is_digit(text[0]) &&
        is_digit(text[1]) && is_digit(text[2]) && is_digit(text[3]) && is_digit(text[5]) &&
        is_digit(text[6]) && is_digit(text[8]) && is_digit(text[9])) {
        int y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 +
                (text[3] - '0');
        unsigned m = (unsigned)((text[5] - '0') * 10 + (text[6] - '0'));
        unsigned d = (unsigned)((text[8] - '0') * 10 + (text[9] - '0'));
        if (y >= YEAR_MIN && d >= 1 && d <= rb_days_in_month(y, m)) {
            *out = rb_days_from_civil(y, m, d) * RB_SECONDS_PER_DAY;
            return RB_OK;
        }
    }
    if (len == 0) return rb_fail(err, RB_ERR_DATA, "not a date: '' (empty)");
    return parse_detect(text, len, out, err);
}

rb_status rb_time_parse(const char *text, const char *fmt, rb_time *out, rb_error *err)
{
    if (!text) return rb_fail(err, RB_ERR_USAGE, "no date text given");
    return rb_time_parse_n(text, strlen(text), fmt, out, err);
}
