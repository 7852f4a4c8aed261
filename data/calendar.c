/* calendar.c - calendar flags of bars (first and last bar of each week, month, quarter,
 * half-year and year) and the inference of periods per year from the spacing of bars. */
#include "calendar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "date.h"

#define NEW_ALL (RB_NEW_WEEK | RB_NEW_MONTH | RB_NEW_QUARTER | RB_NEW_HALF | RB_NEW_YEAR)
#define LAST_SHIFT 5 /* RB_LAST_x == RB_NEW_x << LAST_SHIFT for every period x */
_Static_assert(RB_LAST_WEEK == RB_NEW_WEEK << LAST_SHIFT &&
                   RB_LAST_MONTH == RB_NEW_MONTH << LAST_SHIFT &&
                   RB_LAST_QUARTER == RB_NEW_QUARTER << LAST_SHIFT &&
                   RB_LAST_HALF == RB_NEW_HALF << LAST_SHIFT &&
                   RB_LAST_YEAR == RB_NEW_YEAR << LAST_SHIFT,
               "LAST flags mirror NEW flags");

/* Serial numbers of the periods holding a UTC date: equal numbers, same period. */
typedef struct period_keys {
    int64_t week, month, quarter, half, year;
} period_keys;

static period_keys keys_of(rb_time t)
{
    int64_t days = rb_time_days(t);
    int y;
    unsigned m, d;
    rb_civil_from_days(days, &y, &m, &d);
    period_keys k;
    /* Day 0 is a Thursday, so days + 3 counts from Monday 1969-12-29: ISO weeks. */
    int64_t w = days + 3;
    k.week = w / 7 - (w % 7 < 0);
    k.year = y;
    k.month = k.year * 12 + (m - 1);
    k.quarter = k.year * 4 + (m - 1) / 3;
    k.half = k.year * 2 + (m - 1) / 6;
    return k;
}

void rb_calendar_flags(const rb_time *time, size_t n, uint16_t *flags)
{
    if (n == 0) return;
    period_keys prev = keys_of(time[0]);
    flags[0] = NEW_ALL;
    for (size_t t = 1; t < n; t++) {
        period_keys cur = keys_of(time[t]);
        uint16_t f = 0;
        if (cur.week != prev.week) f |= RB_NEW_WEEK;
        if (cur.month != prev.month) f |= RB_NEW_MONTH;
        if (cur.quarter != prev.quarter) f |= RB_NEW_QUARTER;
        if (cur.half != prev.half) f |= RB_NEW_HALF;
        if (cur.year != prev.year) f |= RB_NEW_YEAR;
        flags[t] = f;
        prev = cur;
    }
    for (size_t t = 0; t + 1 < n; t++)
        flags[t] |= (uint16_t)((flags[t + 1] & NEW_ALL) << LAST_SHIFT);
}

static void say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *why, size_t whylen, const char *fmt, ...)
{
    if (!why || whylen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* "1 day", "7 days", "30.5 days" or "3600 s": a spacing in seconds, for the explanation. */
static void describe_spacing(double seconds, char *buf, size_t len)
{
    double days = seconds / RB_SECONDS_PER_DAY;
    if (seconds >= RB_SECONDS_PER_DAY && days == (double)(int64_t)days)
        snprintf(buf, len, "%.0f day%s", days, days == 1 ? "" : "s");
    else if (seconds >= RB_SECONDS_PER_DAY)
        snprintf(buf, len, "%.1f days", days);
    else
        snprintf(buf, len, "%g s", seconds);
}

/* Known bar spacings: the median spacing in days falls in [lo, hi]. Monthly and coarser
 * windows are wide because month-end trading days drift by a few days around holidays. */
static const struct {
    double lo, hi, periods;
    const char *name;
} spacings[] = {
    {6, 8, 52, "weekly"},
    {26, 35, 12, "monthly"},
    {85, 97, 4, "quarterly"},
    {175, 190, 2, "half-yearly"},
    {355, 375, 1, "yearly"},
};

double rb_infer_periods_per_year(const rb_time *time, size_t n, char *why, size_t whylen)
{
    if (!time || n < 2) {
        say(why, whylen, "too few bars to infer");
        return 0;
    }
    size_t k = n - 1;
    double *gap = malloc(k * sizeof *gap);
    if (!gap) {
        say(why, whylen, "out of memory while inferring");
        return 0;
    }
    /* In double: a difference of two arbitrary int64 times may not fit an int64. */
    for (size_t i = 0; i < k; i++) gap[i] = (double)time[i + 1] - (double)time[i];
    qsort(gap, k, sizeof *gap, cmp_double);
    double median = k % 2 ? gap[k / 2] : (gap[k / 2 - 1] + gap[k / 2]) / 2;
    free(gap);
    if (!(median > 0)) {
        say(why, whylen, "cannot infer: bar times are not increasing");
        return 0;
    }
    char spacing[48];
    describe_spacing(median, spacing, sizeof spacing);
    double days = median / RB_SECONDS_PER_DAY;
    if (days >= 0.5 && days <= 1.5) {
        /* Daily: trading days (no Saturday or Sunday bars) or a 24/7 market. */
        size_t weekend = 0;
        for (size_t i = 0; i < n; i++) weekend += rb_weekday(rb_time_days(time[i])) >= 5;
        double share = (double)weekend / (double)n;
        if (share < 0.02) {
            if (weekend == 0)
                say(why, whylen, "inferred: median spacing %s, no weekend bars -> 252 trading days",
                    spacing);
            else
                say(why, whylen,
                    "inferred: median spacing %s, %zu of %zu bars on weekends -> 252 trading days",
                    spacing, weekend, n);
            return 252;
        }
        say(why, whylen,
            "inferred: median spacing %s, %.1f%% of bars on weekends -> 365 (24/7 daily)",
            spacing, share * 100);
        return 365;
    }
    for (size_t i = 0; i < sizeof spacings / sizeof spacings[0]; i++) {
        if (days >= spacings[i].lo && days <= spacings[i].hi) {
            say(why, whylen, "inferred: median spacing %s -> %.0f (%s)", spacing,
                spacings[i].periods, spacings[i].name);
            return spacings[i].periods;
        }
    }
    double periods = 365.25 * RB_SECONDS_PER_DAY / median;
    say(why, whylen, "inferred: median spacing %s -> %.1f bars per year", spacing, periods);
    return periods;
}
