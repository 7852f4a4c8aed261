/* date.h - internal calendar arithmetic (proleptic Gregorian, days since 1970-01-01) and the
 * length-delimited, allocation-free date parser the CSV importer calls once per row.
 * Internal: not installed, not part of the public API (rebal.h has rb_time_parse/format). */
#ifndef RB_DATE_H
#define RB_DATE_H

#include <stddef.h>
#include <stdint.h>

#include "rebal.h"

#define RB_SECONDS_PER_DAY 86400

/* Days since 1970-01-01 of the civil date y-m-d (m 1..12, d 1..31; not validated).
 * Exact for every y an int holds (Howard Hinnant's days_from_civil). */
int64_t rb_days_from_civil(int y, unsigned m, unsigned d);

/* The civil date of a day count (inverse of rb_days_from_civil). Exact while the year fits
 * an int, i.e. |days| < about 7.8e11; rb_time_format handles every rb_time itself. */
void rb_civil_from_days(int64_t days, int *y, unsigned *m, unsigned *d);

/* Day of the week of a day count: 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday, 3). */
int rb_weekday(int64_t days);

/* The day count of the UTC calendar date holding t (floor division, so times before 1970
 * land on the right day). */
int64_t rb_time_days(rb_time t);

/* 1 for Gregorian leap years (divisible by 4, centuries only when divisible by 400). */
int rb_is_leap_year(int y);

/* Number of days in month m (1..12) of year y; 0 for a month outside 1..12. */
unsigned rb_days_in_month(int y, unsigned m);

/* The latest time a date may have: 9999-12-31T23:59:59Z (text dates stop at year 9999). */
#define RB_TIME_LAST INT64_C(253402300799)

/* The k-th time of calendar every (not RB_BARS_DATED) counted from start, as rb_bar_calendar
 * describes: bar 0 is start. 0 when it would fall after RB_TIME_LAST, else 1 with *out set.
 * RB_BARS_BUSINESS_DAY counts weekdays from a start on a weekday (the caller checks). */
int rb_calendar_nth(rb_time start, rb_bar_calendar every, uint64_t k, rb_time *out);

/* Parses len bytes of text (no NUL needed; leading and trailing blanks ignored) as one date
 * or date-time, exactly as rb_time_parse describes. fmt NULL detects the form; an ISO
 * YYYY-MM-DD date takes a short path with no library calls. Never allocates.
 * Details: years must be 1000-9999 (hours 0-23, minutes and seconds 0-59, UTC offsets up to
 * 14:00); fractional seconds are truncated to the whole second and epoch milliseconds are
 * floored to the second; detected epoch values are non-negative (%s also takes a '-').
 * In fmt, %Y is 4 digits, %y 2 digits (69-99 = 19xx, 00-68 = 20xx), %m %d %H %M %S 1-2
 * digits, %e 1-2 digits after optional spaces, %b and %B an English month name (3-letter
 * or full, any case), %z Z/+hh/+hhmm/+hh:mm; a space matches one or more spaces; every
 * other character matches itself and the whole text must be consumed.
 * RB_ERR_DATA: the text is not a valid date (err holds the reason, quoting the text, without
 * any file/line prefix). RB_ERR_USAGE: fmt itself is invalid (see rb_time_format_check). */
rb_status rb_time_parse_n(const char *text, size_t len, const char *fmt, rb_time *out,
                          rb_error *err);

/* Checks a --date-format pattern without parsing anything: known conversions only, no field
 * given twice, year + month + day present (or %s alone). RB_ERR_USAGE with the reason.
 * Callers that parse many rows with one format call this once up front. */
rb_status rb_time_format_check(const char *fmt, rb_error *err);

#endif /* RB_DATE_H */
