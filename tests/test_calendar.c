/* test_calendar.c - calendar flags on hand-checked real dates (ISO weeks across a year end,
 * month/quarter/half/year ends on trading days, monthly and intraday data, times before
 * 1970) and the inference of periods per year from the bars per calendar year. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "bar_calendar.h"
#include "date.h"
#include "rebal.h"

#define DAY INT64_C(86400)
#define NEW_ALL (RB_NEW_WEEK | RB_NEW_MONTH | RB_NEW_QUARTER | RB_NEW_HALF | RB_NEW_YEAR)

static rb_time date(int y, unsigned m, unsigned d)
{
    return rb_days_from_civil(y, m, d) * DAY;
}

/* Flag names for readable failures. */
static void flag_text(uint16_t f, char *buf, size_t len)
{
    static const char *const names[] = {"NEW_WEEK",  "NEW_MONTH",  "NEW_QUARTER", "NEW_HALF",
                                        "NEW_YEAR",  "LAST_WEEK",  "LAST_MONTH",  "LAST_QUARTER",
                                        "LAST_HALF", "LAST_YEAR"};
    buf[0] = '\0';
    for (unsigned i = 0; i < 10; i++) {
        if (!(f & (1u << i))) continue;
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", used ? "|" : "", names[i]);
    }
    if (!buf[0]) snprintf(buf, len, "none");
}

static void expect_flags(const rb_time *time, size_t n, const uint16_t *want)
{
    uint16_t got[64];
    cr_assert_leq(n, 64);
    memset(got, 0xff, sizeof got);
    rb_calendar_flags(time, n, got);
    for (size_t t = 0; t < n; t++) {
        char g[200], w[200], when[32];
        flag_text(got[t], g, sizeof g);
        flag_text(want[t], w, sizeof w);
        cr_expect_eq(got[t], want[t], "bar %zu (%s): got %s, want %s", t,
                     rb_time_format(time[t], when), g, w);
    }
}

Test(calendar, iso_week_across_year_end)
{
    /* Fri 2007-12-28, Mon 2007-12-31, Thu 2008-01-03, Fri 2008-01-04, Mon 2008-01-07.
     * Mon 2007-12-31 and Thu 2008-01-03 are in the same ISO week (2008-W01). */
    const rb_time time[] = {date(2007, 12, 28), date(2007, 12, 31), date(2008, 1, 3),
                            date(2008, 1, 4), date(2008, 1, 7)};
    const uint16_t want[] = {
        NEW_ALL | RB_LAST_WEEK,
        RB_NEW_WEEK | RB_LAST_MONTH | RB_LAST_QUARTER | RB_LAST_HALF | RB_LAST_YEAR,
        RB_NEW_MONTH | RB_NEW_QUARTER | RB_NEW_HALF | RB_NEW_YEAR, /* not NEW_WEEK */
        RB_LAST_WEEK,
        RB_NEW_WEEK, /* the final bar: no LAST flags */
    };
    expect_flags(time, 5, want);
}

Test(calendar, half_year_end_on_trading_days)
{
    /* Tue 2010-06-29, Wed 06-30, Thu 07-01, Fri 07-02, (Mon 07-05 a holiday) Tue 07-06,
     * Wed 07-07. */
    const rb_time time[] = {date(2010, 6, 29), date(2010, 6, 30), date(2010, 7, 1),
                            date(2010, 7, 2),  date(2010, 7, 6),  date(2010, 7, 7)};
    const uint16_t want[] = {
        NEW_ALL,
        RB_LAST_MONTH | RB_LAST_QUARTER | RB_LAST_HALF,
        RB_NEW_MONTH | RB_NEW_QUARTER | RB_NEW_HALF,
        RB_LAST_WEEK,
        RB_NEW_WEEK, /* a Tuesday opens the week when Monday has no bar */
        0,
    };
    expect_flags(time, 6, want);
}

Test(calendar, quarter_and_month_ends_with_weekends_skipped)
{
    /* Wed 2010-03-31, Thu 04-01, (Good Friday 04-02 closed) Mon 04-05, ..., Thu 04-29,
     * Fri 04-30, Mon 05-03, Tue 05-04. */
    const rb_time time[] = {date(2010, 3, 31), date(2010, 4, 1),  date(2010, 4, 5),
                            date(2010, 4, 29), date(2010, 4, 30), date(2010, 5, 3),
                            date(2010, 5, 4)};
    const uint16_t want[] = {
        NEW_ALL | RB_LAST_MONTH | RB_LAST_QUARTER,
        RB_NEW_MONTH | RB_NEW_QUARTER | RB_LAST_WEEK, /* no half-year change in April */
        RB_NEW_WEEK | RB_LAST_WEEK,                   /* 04-29 is weeks later */
        RB_NEW_WEEK,
        RB_LAST_WEEK | RB_LAST_MONTH,
        RB_NEW_WEEK | RB_NEW_MONTH,
        0,
    };
    expect_flags(time, 7, want);
}

Test(calendar, year_end_on_a_friday)
{
    /* Thu 2010-12-30, Fri 12-31, Mon 2011-01-03: week, month, quarter, half and year all
     * change over the weekend. */
    const rb_time time[] = {date(2010, 12, 30), date(2010, 12, 31), date(2011, 1, 3)};
    const uint16_t want[] = {
        NEW_ALL,
        NEW_ALL << 5, /* every LAST flag */
        NEW_ALL,
    };
    expect_flags(time, 3, want);
}

Test(calendar, monthly_bars)
{
    /* The 1st of each month, 2005-01 .. 2007-12. */
    rb_time time[36];
    uint16_t flags[36];
    for (unsigned i = 0; i < 36; i++) time[i] = date(2005 + (int)(i / 12), i % 12 + 1, 1);
    rb_calendar_flags(time, 36, flags);
    for (unsigned i = 0; i < 36; i++) {
        unsigned month = i % 12 + 1, next = (i + 1) % 12 + 1;
        uint16_t want = RB_NEW_WEEK | RB_NEW_MONTH;
        if (month % 3 == 1) want |= RB_NEW_QUARTER;
        if (month % 6 == 1) want |= RB_NEW_HALF;
        if (month == 1) want |= RB_NEW_YEAR;
        if (i == 0) want = NEW_ALL;
        if (i + 1 < 36) {
            want |= RB_LAST_WEEK | RB_LAST_MONTH;
            if (next % 3 == 1) want |= RB_LAST_QUARTER;
            if (next % 6 == 1) want |= RB_LAST_HALF;
            if (next == 1) want |= RB_LAST_YEAR;
        }
        cr_expect_eq(flags[i], want, "bar %u (month %u): got %#x, want %#x", i, month,
                     (unsigned)flags[i], (unsigned)want);
    }
    /* spot checks written out by hand */
    cr_expect_eq(flags[2], RB_NEW_WEEK | RB_NEW_MONTH | RB_LAST_WEEK | RB_LAST_MONTH |
                               RB_LAST_QUARTER); /* 2005-03-01 */
    cr_expect_eq(flags[6], RB_NEW_WEEK | RB_NEW_MONTH | RB_NEW_QUARTER | RB_NEW_HALF |
                               RB_LAST_WEEK | RB_LAST_MONTH); /* 2005-07-01 */
    cr_expect_eq(flags[35], RB_NEW_WEEK | RB_NEW_MONTH); /* 2007-12-01, the last bar */
}

Test(calendar, intraday_bars)
{
    /* Hourly from Sun 2010-01-03 22:00 to Mon 2010-01-04 01:00 UTC. */
    rb_time sunday = date(2010, 1, 3);
    const rb_time time[] = {sunday + 22 * 3600, sunday + 23 * 3600, sunday + 24 * 3600,
                            sunday + 25 * 3600};
    const uint16_t want[] = {NEW_ALL, RB_LAST_WEEK, RB_NEW_WEEK, 0};
    expect_flags(time, 4, want);
}

Test(calendar, times_before_1970)
{
    /* Sun 1969-12-28, Mon 1969-12-29, Wed 1969-12-31 23:59:59, Thu 1970-01-01 00:00:00:
     * floor division puts -1 on 1969-12-31 and keeps Mon..Thu in one week. */
    const rb_time time[] = {-4 * DAY, -3 * DAY, -1, 0};
    const uint16_t want[] = {
        NEW_ALL | RB_LAST_WEEK,
        RB_NEW_WEEK,
        RB_LAST_MONTH | RB_LAST_QUARTER | RB_LAST_HALF | RB_LAST_YEAR,
        RB_NEW_MONTH | RB_NEW_QUARTER | RB_NEW_HALF | RB_NEW_YEAR,
    };
    expect_flags(time, 4, want);
    cr_expect_eq(date(1969, 12, 28), -4 * DAY);
}

Test(calendar, one_and_zero_bars)
{
    rb_time t = date(2010, 5, 5);
    uint16_t f = 0xffff;
    rb_calendar_flags(&t, 1, &f);
    cr_expect_eq(f, NEW_ALL);
    f = 0xabcd;
    rb_calendar_flags(&t, 0, &f);
    cr_expect_eq(f, 0xabcd, "n = 0 writes nothing");
}

/* The flags from every bar's own civil date (rb_calendar_flags takes it only for a bar
 * outside the month of the bar before). */
static void reference_flags(const rb_time *time, size_t n, uint16_t *flags)
{
    int64_t prev[5] = {0};
    for (size_t t = 0; t < n; t++) {
        int64_t days = rb_time_days(time[t]), w = days + 3, key[5];
        int y;
        unsigned m, d;
        rb_civil_from_days(days, &y, &m, &d);
        key[0] = w / 7 - (w % 7 < 0);
        key[1] = (int64_t)y * 12 + (m - 1);
        key[2] = (int64_t)y * 4 + (m - 1) / 3;
        key[3] = (int64_t)y * 2 + (m - 1) / 6;
        key[4] = y;
        uint16_t f = 0;
        for (int k = 0; k < 5; k++)
            if (t == 0 || key[k] != prev[k]) f |= (uint16_t)(RB_NEW_WEEK << k);
        flags[t] = f;
        memcpy(prev, key, sizeof prev);
    }
    for (size_t t = 0; t + 1 < n; t++) flags[t] |= (uint16_t)((flags[t + 1] & NEW_ALL) << 5);
}

static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

Test(calendar, the_flags_are_every_bars_own_civil_dates_in_any_order_and_spacing)
{
    enum { N = 4000 };
    static rb_time time[N];
    static uint16_t got[N], want[N];
    uint64_t seed = 16;
    /* steps: under a day, a day, business days, a week, a month or so, a year, backwards */
    const int64_t steps[] = {3600, DAY, 3 * DAY, 7 * DAY, 31 * DAY, 366 * DAY, -DAY, -40 * DAY};
    for (int round = 0; round < 64; round++) {
        /* from 1600 to 2400, before 1970 too, and from the first or last day of a month */
        int y = 1600 + (int)(next_random(&seed) % 800);
        unsigned m = 1 + (unsigned)(next_random(&seed) % 12);
        rb_time t = round % 2 ? date(y, m, 1) : date(y, m, rb_days_in_month(y, m)) + 86399;
        int spacing = round % 9; /* 0..7: one kind of step; 8: any mixed */
        for (size_t i = 0; i < N; i++) {
            time[i] = t;
            size_t k = spacing < 8 ? (size_t)spacing : next_random(&seed) % 8;
            t += steps[k] + (int64_t)(next_random(&seed) % 2) * (k < 6 ? DAY : 0);
        }
        rb_calendar_flags(time, N, got);
        reference_flags(time, N, want);
        for (size_t i = 0; i < N; i++) {
            char when[32];
            cr_assert_eq(got[i], want[i], "round %d bar %zu (%s): %#x, not %#x", round, i,
                         rb_time_format(time[i], when), got[i], want[i]);
        }
    }
}

/* ---------------------------------------------------------------- periods per year */

static double infer(const rb_time *time, size_t n, char *why)
{
    memset(why, 'x', 160);
    double p = rb_infer_periods_per_year(time, n, why, 160);
    cr_assert_not_null(memchr(why, '\0', 160), "why is NUL-terminated");
    return p;
}

/* Weekdays (Monday-Friday) from..to, both inclusive, minus `holidays` per year: the first
 * weekday of each of the first `holidays` months (exactly that many a year, up to 12). */
static size_t weekdays(rb_time from, rb_time to, int holidays, rb_time *out)
{
    size_t n = 0;
    for (int64_t d = rb_time_days(from); d <= rb_time_days(to); d++) {
        if (rb_weekday(d) >= 5) continue;
        int y;
        unsigned m, day;
        rb_civil_from_days(d, &y, &m, &day);
        int64_t first = rb_days_from_civil(y, m, 1);
        while (rb_weekday(first) >= 5) first++;
        if (d == first && (int)m <= holidays) continue;
        out[n++] = d * DAY;
    }
    return n;
}

Test(calendar, infer_counts_bars_per_whole_calendar_year)
{
    static rb_time time[17520];
    char why[160];
    /* Holiday-free business days (DAX, FTSE style files), 1991-2020: every weekday, 260.9 a
     * year, is not within 1 % of 252 and is kept as observed. */
    size_t n = weekdays(date(1991, 1, 1), date(2020, 12, 31), 0, time);
    cr_assert_eq(n, 7828);
    double p = infer(time, n, why);
    cr_expect_float_eq(p, 7828.0 / 30, 1e-12, "%s", why);
    cr_expect_str_eq(why, "260.9 bars per year observed, 1991-2020");

    /* Exchange trading days: nine holidays a year leave about 252 bars a year (2518 in
     * 2010-2019), which snaps. */
    n = weekdays(date(2010, 1, 4), date(2019, 12, 31), 9, time);
    cr_expect_eq(infer(time, n, why), 252, "%s", why);
    cr_expect_str_eq(why, "251.8 bars per year observed, 2010-2019 -> 252");

    /* A 24/7 market, every day of 2018-2019: 365 a year. */
    n = 0;
    for (rb_time t = date(2018, 1, 1); t <= date(2019, 12, 31); t += DAY) time[n++] = t;
    cr_expect_eq(infer(time, n, why), 365, "%s", why);
    cr_expect_str_eq(why, "365.0 bars per year observed, 2018-2019 -> 365");

    /* Hourly bars of a 24/7 market: 8760 a year, kept. */
    n = 0;
    for (rb_time t = date(2018, 1, 1); t < date(2020, 1, 1); t += 3600) time[n++] = t;
    cr_assert_eq(n, 17520);
    cr_expect_eq(infer(time, n, why), 8760, "%s", why);
    cr_expect_str_eq(why, "8760.0 bars per year observed, 2018-2019");
}

Test(calendar, infer_whole_years_run_from_the_first_week_to_the_last)
{
    static rb_time time[3000];
    char why[160];
    /* A file starting Monday 2000-01-03 covers 2000; ending Friday 2004-12-24... does not
     * cover 2004 (its last bar is before 25 December), so 2000-2003 count. */
    size_t n = weekdays(date(2000, 1, 3), date(2004, 12, 24), 0, time);
    infer(time, n, why);
    cr_expect_not_null(strstr(why, ", 2000-2003"), "%s", why);
    /* Ending on the 27th covers 2004; starting on 10 January leaves 2000 out. */
    n = weekdays(date(2000, 1, 3), date(2004, 12, 27), 0, time);
    infer(time, n, why);
    cr_expect_not_null(strstr(why, ", 2000-2004"), "%s", why);
    n = weekdays(date(2000, 1, 10), date(2004, 12, 27), 0, time);
    infer(time, n, why);
    cr_expect_not_null(strstr(why, ", 2001-2004"), "%s", why);
    /* Starting on 7 January still covers the year. */
    n = weekdays(date(2000, 1, 7), date(2004, 12, 27), 0, time);
    infer(time, n, why);
    cr_expect_not_null(strstr(why, ", 2000-2004"), "%s", why);

    /* Under two whole years: bar intervals per elapsed year, here weekdays from March 2020
     * to June 2021 (no whole year at all). */
    n = weekdays(date(2020, 3, 2), date(2021, 6, 30), 0, time);
    double years = (double)(time[n - 1] - time[0]) / (365.25 * DAY);
    cr_expect_float_eq(infer(time, n, why), (double)(n - 1) / years, 1e-9, "%s", why);
    cr_expect_str_eq(why, "261.3 bars per year observed, 2020-03-02 to 2021-06-30 (under two whole years)");
    /* One whole year (2020) is not enough either. */
    n = weekdays(date(2020, 1, 1), date(2021, 6, 30), 9, time);
    infer(time, n, why);
    cr_expect_not_null(strstr(why, "2020-01-02 to 2021-06-30 (under two whole years)"), "%s", why);
}

Test(calendar, infer_snaps_only_within_one_percent)
{
    static rb_time all[2700], time[2700];
    char why[160];
    /* 2010-2019 hold 2608 weekdays; keeping `keep` of them, spread evenly, gives keep / 10
     * bars a year. 249.48 is 1 % under 252. */
    size_t total = weekdays(date(2010, 1, 1), date(2019, 12, 31), 0, all);
    cr_assert_eq(total, 2608);
    const struct {
        size_t keep;
        double want;
        const char *why;
    } cases[] = {
        {2495, 252, "249.5 bars per year observed, 2010-2019 -> 252"},
        {2494, 249.4, "249.4 bars per year observed, 2010-2019"},
        {2545, 252, "254.5 bars per year observed, 2010-2019 -> 252"},
        {2546, 254.6, "254.6 bars per year observed, 2010-2019"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        /* Evenly spread, the first and last weekday kept: the whole years stay 2010-2019. */
        size_t n = cases[c].keep;
        for (size_t j = 0; j < n; j++) time[j] = all[j * (total - 1) / (n - 1)];
        cr_expect_float_eq(infer(time, n, why), cases[c].want, 1e-9, "%zu bars: %s", n, why);
        cr_expect_str_eq(why, cases[c].why);
    }
}

Test(calendar, infer_under_a_year_takes_the_spacing_convention)
{
    static rb_time time[400];
    char why[160];
    /* One week of weekday bars: too short to count holidays, so the trading-day
     * convention, neither 365 (four intervals in four days) nor 261. */
    size_t n = weekdays(date(2021, 1, 4), date(2021, 1, 8), 0, time);
    cr_assert_eq(n, 5);
    cr_expect_eq(infer(time, n, why), 252);
    cr_expect_str_eq(why, "under a year of bars: median spacing 1 day, no weekend bars -> 252 trading days");
    /* Eleven months of holiday-free weekdays: still under a year. */
    n = weekdays(date(2021, 1, 4), date(2021, 11, 30), 0, time);
    cr_expect_eq(infer(time, n, why), 252, "%s", why);

    /* The weekend line is 2 % of bars: 4 Saturdays among 239 bars (1.7 %) are still trading
     * days, 5 among 240 (2.1 %) make a 24/7 market. */
    static rb_time base[300], odd[300];
    size_t nb = weekdays(date(2010, 1, 4), date(2010, 11, 26), 0, base);
    cr_assert_eq(nb, 235);
    for (size_t sats = 4; sats <= 5; sats++) {
        size_t m = 0;
        for (size_t i = 0; i < nb; i++) {
            odd[m++] = base[i];
            if (i % 5 == 4 && i / 5 < sats) odd[m++] = base[i] + DAY; /* base[i] is a Friday */
        }
        cr_assert_eq(m, nb + sats);
        cr_expect_eq(infer(odd, m, why), sats == 4 ? 252 : 365, "%zu Saturdays: %s", sats, why);
        cr_expect_not_null(strstr(why, sats == 4 ? "4 of 239 bars on weekends" : "24/7"), "%s", why);
    }

    /* Every day for 30 days: a 24/7 market. */
    for (size_t i = 0; i < 30; i++) time[i] = date(2018, 1, 1) + (int64_t)i * DAY;
    cr_expect_eq(infer(time, 30, why), 365);
    cr_expect_not_null(strstr(why, "median spacing 1 day"), "%s", why);
    cr_expect_not_null(strstr(why, "24/7"), "%s", why);
}

Test(calendar, infer_weekly_monthly_quarterly_half_yearly_yearly)
{
    char why[160];
    rb_time time[120];

    /* Fridays from 2010-01-08 to 2011-12-30: 2010 starts after its first week, so only 2011
     * is whole; 103 intervals in 721 days are 52.2 a year. */
    for (size_t i = 0; i < 104; i++) time[i] = date(2010, 1, 8) + (int64_t)i * 7 * DAY;
    cr_expect_eq(infer(time, 104, why), 52);
    cr_expect_str_eq(why, "52.2 bars per year observed, 2010-01-08 to 2011-12-30 (under two whole years) -> 52");

    /* The 1st of each month, 2005-2007: 2007 ends on 1 December, so 2005-2006 count. */
    for (unsigned i = 0; i < 36; i++) time[i] = date(2005 + (int)(i / 12), i % 12 + 1, 1);
    cr_expect_eq(infer(time, 36, why), 12);
    cr_expect_str_eq(why, "12.0 bars per year observed, 2005-2006 -> 12");

    /* Month-end trading days of 2010, some 33 days apart: under a year, monthly spacing. */
    const rb_time month_ends[] = {date(2010, 1, 29), date(2010, 2, 26), date(2010, 3, 31),
                                  date(2010, 4, 30), date(2010, 5, 28), date(2010, 6, 30),
                                  date(2010, 7, 30), date(2010, 8, 31), date(2010, 9, 30),
                                  date(2010, 10, 29), date(2010, 11, 30), date(2010, 12, 31)};
    cr_expect_eq(infer(month_ends, 12, why), 12, "%s", why);
    cr_expect_not_null(strstr(why, "monthly"), "%s", why);

    for (unsigned i = 0; i < 20; i++) time[i] = date(2000 + (int)(i / 4), (i % 4) * 3 + 1, 1);
    cr_expect_eq(infer(time, 20, why), 4);
    cr_expect_str_eq(why, "4.0 bars per year observed, 2000-2003 -> 4");
    cr_expect_eq(infer(time, 4, why), 4);
    cr_expect_not_null(strstr(why, "quarterly"), "%s", why);

    for (unsigned i = 0; i < 10; i++) time[i] = date(2000 + (int)(i / 2), (i % 2) * 6 + 1, 1);
    cr_expect_eq(infer(time, 10, why), 2);
    cr_expect_str_eq(why, "2.0 bars per year observed, 2000-2003 -> 2");
    cr_expect_eq(infer(time, 2, why), 2);
    cr_expect_not_null(strstr(why, "half-yearly"), "%s", why);

    for (unsigned i = 0; i < 30; i++) time[i] = date(1990 + (int)i, 1, 1);
    cr_expect_eq(infer(time, 30, why), 1);
    cr_expect_str_eq(why, "1.0 bars per year observed, 1990-2018 -> 1");
    /* Two bars a year apart: under a year of span is not reached (365 days), so spacing. */
    cr_expect_eq(infer(time, 2, why), 1);
    cr_expect_not_null(strstr(why, "1.0 bars per year observed"), "%s", why);
}

Test(calendar, infer_intraday_and_irregular)
{
    char why[160];
    static rb_time time[500];
    for (size_t i = 0; i < 500; i++) time[i] = date(2020, 3, 1) + (int64_t)i * 3600;
    cr_expect_float_eq(infer(time, 500, why), 8766.0, 1e-9); /* 365.25 * 24 */
    cr_expect_not_null(strstr(why, "median spacing 3600 s"), "%s", why);

    for (size_t i = 0; i < 500; i++) time[i] = (int64_t)i * 60;
    cr_expect_float_eq(infer(time, 500, why), 525960.0, 1e-9); /* 365.25 * 1440 */

    /* Every other day: not a known spacing, so 365.25 / 2. */
    for (size_t i = 0; i < 100; i++) time[i] = date(2020, 1, 1) + (int64_t)i * 2 * DAY;
    cr_expect_float_eq(infer(time, 100, why), 182.625, 1e-9);
    cr_expect_not_null(strstr(why, "median spacing 2 days"), "%s", why);

    /* The median ignores a few long gaps: hourly bars with a weekend break. */
    for (size_t i = 0; i < 100; i++) time[i] = (int64_t)i * 3600 + (i >= 50 ? 2 * DAY : 0);
    cr_expect_float_eq(infer(time, 100, why), 8766.0, 1e-9);
}

Test(calendar, infer_too_few_bars)
{
    char why[160];
    rb_time t = date(2020, 1, 1);
    cr_expect_eq(infer(&t, 1, why), 0);
    cr_expect_str_eq(why, "too few bars to infer");
    cr_expect_eq(infer(&t, 0, why), 0);
    cr_expect_str_eq(why, "too few bars to infer");
    cr_expect_eq(rb_infer_periods_per_year(&t, 1, NULL, 0), 0);
    /* why may be NULL, and a short buffer is truncated, not overrun */
    rb_time two[2] = {0, DAY}; /* Thu 1970-01-01, Fri 1970-01-02 */
    cr_expect_eq(rb_infer_periods_per_year(two, 2, NULL, 0), 252);
    char tiny[8];
    rb_infer_periods_per_year(two, 2, tiny, sizeof tiny);
    cr_expect_eq(strlen(tiny), 7);
    /* equal times give no spacing to infer from */
    rb_time same[3] = {DAY, DAY, DAY};
    cr_expect_eq(infer(same, 3, why), 0);
    cr_expect_not_null(strstr(why, "not increasing"), "%s", why);
}
