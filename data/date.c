/* date.c - dates and times without text to read: proleptic Gregorian day arithmetic, the
 * times of generated calendars and the formatter. The parser is date_parse.c. No
 * allocation anywhere: exports format one date per row. */
#include "date.h"

#include <stdint.h>

/* ---------------------------------------------------------------- day arithmetic */

/* Floor division and its non-negative remainder, for counts before 1970. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b < 0) q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

int64_t rb_days_from_civil(int y, unsigned m, unsigned d)
{
    /* Hinnant: years start in March so the leap day is the last day of a year; 400-year eras
     * of 146097 days; 719468 = days from 0000-03-01 to 1970-01-01. */
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = floor_div(yy, 400);
    unsigned yoe = (unsigned)(yy - era * 400);            /* [0, 399] */
    unsigned mp = m > 2 ? m - 3 : m + 9;                  /* March = 0 .. February = 11 */
    unsigned doy = (153 * mp + 2) / 5 + d - 1;            /* [0, 365] */
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

/* rb_civil_from_days with a 64-bit year, exact for every int64 day count. */
static void civil64(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    /* Split before adding the 0000-03-01 shift so that no intermediate overflows. */
    int64_t era = floor_div(days, 146097);
    int64_t doe64 = days - era * 146097 + 719468; /* [719468, 865564] */
    era += doe64 / 146097;
    unsigned doe = (unsigned)(doe64 % 146097);                             /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void rb_civil_from_days(int64_t days, int *y, unsigned *m, unsigned *d)
{
    int64_t y64;
    civil64(days, &y64, m, d);
    *y = (int)y64;
}

int rb_weekday(int64_t days)
{
    return (int)((floor_mod(days, 7) + 3) % 7); /* day 0 (1970-01-01) was a Thursday */
}

int64_t rb_time_days(rb_time t)
{
    return floor_div(t, RB_SECONDS_PER_DAY);
}

int rb_is_leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned rb_days_in_month(int y, unsigned m)
{
    static const unsigned char len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12) return 0;
    return len[m - 1] + (unsigned)(m == 2 && rb_is_leap_year(y));
}

/* ---------------------------------------------------------------- generated calendars */

int rb_calendar_nth(rb_time start, rb_bar_calendar every, uint64_t k, rb_time *out)
{
    /* k < 2^40 keeps every product below int64's range; imports count far fewer bars. */
    if (start > RB_TIME_LAST || k >= (UINT64_C(1) << 40)) return 0;
    int64_t days = rb_time_days(start), sod = start - days * RB_SECONDS_PER_DAY, n = (int64_t)k;
    int64_t t;
    switch (every) {
    case RB_BARS_MINUTE: t = start + n * 60; break;
    case RB_BARS_HOUR: t = start + n * 3600; break;
    case RB_BARS_DAY: t = start + n * RB_SECONDS_PER_DAY; break;
    case RB_BARS_WEEK: t = start + n * 7 * RB_SECONDS_PER_DAY; break;
    case RB_BARS_BUSINESS_DAY: {
        /* five weekdays per week; the rest steps over a weekend when it passes Friday */
        int64_t rest = n % 5, day = days + n / 5 * 7 + rest + (rb_weekday(days) + rest >= 5 ? 2 : 0);
        t = day * RB_SECONDS_PER_DAY + sod;
        break;
    }
    case RB_BARS_MONTH: {
        int y;
        unsigned m, d;
        rb_civil_from_days(days, &y, &m, &d);
        int64_t month = (int64_t)y * 12 + (m - 1) + n; /* months since year 0 */
        if (month / 12 > 9999) return 0;
        int y2 = (int)(month / 12);
        unsigned m2 = (unsigned)(month % 12) + 1, last = rb_days_in_month(y2, m2);
        t = rb_days_from_civil(y2, m2, d < last ? d : last) * RB_SECONDS_PER_DAY + sod;
        break;
    }
    default: return 0;
    }
    if (t > RB_TIME_LAST) return 0;
    *out = t;
    return 1;
}

/* ---------------------------------------------------------------- formatting */

/* Writes v (0..99) as two digits. */
static char *put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

char *rb_time_format(rb_time t, char buf[32])
{
    int64_t y;
    unsigned m, d;
    civil64(rb_time_days(t), &y, &m, &d);
    unsigned sod = (unsigned)floor_mod(t, RB_SECONDS_PER_DAY); /* seconds into the UTC day */
    /* |y| < 3e11 for any int64 t: at most 12 year digits, so the longest text is
     * "-292277022657-01-27T08:29:52Z", 29 bytes plus the NUL. Written by hand: exports
     * format one date per row. */
    char *p = buf;
    uint64_t ay = (uint64_t)y;
    if (y < 0) {
        *p++ = '-';
        ay = (uint64_t)0 - ay;
    }
    char digits[20];
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + ay % 10);
        ay /= 10;
    } while (ay > 0);
    while (nd < 4) digits[nd++] = '0';
    while (nd > 0) *p++ = digits[--nd];
    *p++ = '-';
    p = put2(p, m);
    *p++ = '-';
    p = put2(p, d);
    if (sod != 0) {
        *p++ = 'T';
        p = put2(p, sod / 3600);
        *p++ = ':';
        p = put2(p, sod / 60 % 60);
        *p++ = ':';
        p = put2(p, sod % 60);
        *p++ = 'Z';
    }
    *p = '\0';
    return buf;
}
