/* bar_calendar.c - the calendar of the bars: the flags of the first and last bar of each
 * week, month, quarter, half-year and year, and the inference of periods per year from the
 * bars per calendar year. (The calendar rebalancing rule is strategies/calendar.c.) */
#include "bar_calendar.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "date.h"
#include "error.h"
#include "alloc.h"

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

/* The ISO week of a day: day 0 is a Thursday, so days + 3 counts from Monday 1969-12-29. */
static int64_t week_of(int64_t days)
{
    int64_t w = days + 3;
    return w / 7 - (w % 7 < 0);
}

/* The periods of a day, and in [*month_from, *month_to) the days of its month. */
static period_keys keys_of(int64_t days, int64_t *month_from, int64_t *month_to)
{
    int y;
    unsigned m, d;
    rb_civil_from_days(days, &y, &m, &d);
    period_keys k;
    k.week = week_of(days);
    k.year = y;
    k.month = k.year * 12 + (m - 1);
    k.quarter = k.year * 4 + (m - 1) / 3;
    k.half = k.year * 2 + (m - 1) / 6;
    *month_from = days - (d - 1);
    *month_to = *month_from + rb_days_in_month(y, m);
    return k;
}

void rb_calendar_flags(const rb_time *time, size_t n, uint16_t *flags)
{
    if (n == 0) return;
    int64_t month_from, month_to;
    period_keys prev = keys_of(rb_time_days(time[0]), &month_from, &month_to);
    flags[0] = NEW_ALL;
    for (size_t t = 1; t < n; t++) {
        /* A bar in the month of the bar before shares its month, quarter, half and year: only
         * its week is taken (the civil date of each bar was some 60 % of a load's calendar). */
        int64_t days = rb_time_days(time[t]);
        period_keys cur = prev;
        if (days >= month_from && days < month_to) cur.week = week_of(days);
        else cur = keys_of(days, &month_from, &month_to);
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

/* Under a year of bars: the median spacing and the conventions decide, since so few bars
 * cannot show how many holidays (or what seasons) a year of this data has. -1 when out of
 * memory. */
static double by_spacing(const rb_time *time, size_t n, char *why, size_t whylen)
{
    size_t k = n - 1;
    double *gap = rb_malloc(k * sizeof *gap);
    if (!gap) {
        say(why, whylen, "out of memory while inferring");
        return -1;
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
                say(why, whylen, "under a year of bars: median spacing %s, no weekend bars -> 252 trading days",
                    spacing);
            else
                say(why, whylen,
                    "under a year of bars: median spacing %s, %zu of %zu bars on weekends -> 252 trading days",
                    spacing, weekend, n);
            return 252;
        }
        say(why, whylen,
            "under a year of bars: median spacing %s, %.1f%% of bars on weekends -> 365 (24/7 daily)",
            spacing, share * 100);
        return 365;
    }
    for (size_t i = 0; i < sizeof spacings / sizeof spacings[0]; i++) {
        if (days >= spacings[i].lo && days <= spacings[i].hi) {
            say(why, whylen, "under a year of bars: median spacing %s -> %.0f (%s)", spacing,
                spacings[i].periods, spacings[i].name);
            return spacings[i].periods;
        }
    }
    double periods = 365.25 * RB_SECONDS_PER_DAY / median;
    say(why, whylen, "under a year of bars: median spacing %s -> %.1f bars per year", spacing, periods);
    return periods;
}

/* The standard figures an observed number of bars per year snaps to when it is within
 * SNAP_TOLERANCE (relative) of one: exchange trading days, a 24/7 market, weeks, months,
 * quarters, half-years and years. Anything else (261 holiday-free business days, 8766 hours
 * of a 24/7 market) is kept as observed. */
static const double standard_periods[] = {252, 365, 52, 12, 4, 2, 1};
#define SNAP_TOLERANCE 0.01

/* Times beyond this many seconds from 1970 (about 31 million years) have no calendar year
 * this code can name; such data is inferred from its spacing. */
#define CALENDAR_LIMIT 1e15

#define YEAR_SECONDS (365.25 * RB_SECONDS_PER_DAY)

static int year_of(rb_time t)
{
    int y;
    unsigned m, d;
    rb_civil_from_days(rb_time_days(t), &y, &m, &d);
    return y;
}

static rb_time midnight(int y, unsigned m, unsigned d) { return rb_days_from_civil(y, m, d) * RB_SECONDS_PER_DAY; }

/* The whole calendar years of the bars, first..last (none when last < first): year Y is
 * whole when the data begins on or before 7 January of Y and ends on or after 25 December
 * of Y, i.e. it has bars from Y's first week to its last (a first trading day as late as
 * 4 January, or 6 January where markets close on the 2nd and 3rd, and a last one on 28 or 30
 * December still count). Returns the bars within them. */
static size_t whole_years(const rb_time *time, size_t n, int *first, int *last)
{
    rb_time a = time[0], b = time[n - 1];
    int ya = year_of(a), yb = year_of(b);
    *first = a < midnight(ya, 1, 8) ? ya : ya + 1;
    *last = b >= midnight(yb, 12, 25) ? yb : yb - 1;
    if (*last < *first) return 0;
    rb_time lo = midnight(*first, 1, 1), hi = midnight(*last + 1, 1, 1);
    size_t bars = 0;
    for (size_t i = 0; i < n; i++) bars += time[i] >= lo && time[i] < hi;
    return bars;
}

/* The standard figure within SNAP_TOLERANCE of observed, or 0. */
static double standard_near(double observed)
{
    for (size_t i = 0; i < sizeof standard_periods / sizeof standard_periods[0]; i++)
        if (fabs(observed - standard_periods[i]) <= SNAP_TOLERANCE * standard_periods[i]) return standard_periods[i];
    return 0;
}

/* rb_infer_periods_per_year, or -1 when out of memory. */
static double infer(const rb_time *time, size_t n, char *why, size_t whylen)
{
    if (!time || n < 2) {
        say(why, whylen, "too few bars to infer");
        return 0;
    }
    rb_time a = time[0], b = time[n - 1];
    double span = (double)b - (double)a; /* in double: the difference may not fit an int64 */
    int dated = fabs((double)a) < CALENDAR_LIMIT && fabs((double)b) < CALENDAR_LIMIT;
    if (!dated || span < 365 * RB_SECONDS_PER_DAY) return by_spacing(time, n, why, whylen);

    /* What the bars show: their mean count per whole calendar year, or over the whole span
     * (intervals per year of elapsed time) when fewer than two whole years are covered (or,
     * across a gap of years, none of their bars). */
    int y0, y1;
    size_t bars = whole_years(time, n, &y0, &y1);
    int whole = y1 - y0 + 1 >= 2;
    double observed;
    char measured[96];
    if (whole && bars > 0) {
        observed = (double)bars / (double)(y1 - y0 + 1);
        snprintf(measured, sizeof measured, "%d-%d", y0, y1);
    } else {
        char from[32], to[32];
        observed = (double)(n - 1) / (span / YEAR_SECONDS);
        snprintf(measured, sizeof measured, "%s to %s (%s)", rb_time_format(a, from), rb_time_format(b, to),
                 whole ? "no bars in its whole years" : "under two whole years");
    }
    double standard = standard_near(observed);
    if (standard > 0) {
        say(why, whylen, "%.1f bars per year observed, %s -> %g", observed, measured, standard);
        return standard;
    }
    say(why, whylen, "%.1f bars per year observed, %s", observed, measured);
    return observed;
}

double rb_infer_periods_per_year(const rb_time *time, size_t n, char *why, size_t whylen)
{
    double periods = infer(time, n, why, whylen);
    return periods < 0 ? 0 : periods;
}

rb_status rb_infer_periods(const rb_time *time, size_t n, double *periods, char *why, size_t whylen, rb_error *err)
{
    double p = infer(time, n, why, whylen);
    if (p < 0) return rb_fail(err, RB_ERR_NOMEM, "out of memory inferring the periods per year of %zu bars", n);
    *periods = p;
    return RB_OK;
}
