/* test_date.c - the date module: every detected form and --date-format conversion against
 * independently known epoch values, every refusal and its message, formatting round trips,
 * and the civil day arithmetic against a brute-force day counter. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "rebal.h"

/* Known instants (seconds since 1970-01-01T00:00:00Z), from published epoch tables. */
#define T_2000_01_01 INT64_C(946684800)
#define T_2000_01_03 INT64_C(946857600)
#define T_2000_01_03_1230 (T_2000_01_03 + 12 * 3600 + 30 * 60)
#define T_2000_02_29 INT64_C(951782400)
#define T_2004_02_29 INT64_C(1078012800)
#define T_1900_01_01 INT64_C(-2208988800)
#define T_2001_09_09_014640 INT64_C(1000000000)
#define T_2038_01_19_031407 INT64_C(2147483647)

static rb_time parse_ok(const char *text, const char *fmt)
{
    rb_error err = {.code = RB_OK, .msg = ""};
    rb_time t = 0;
    rb_status st = rb_time_parse(text, fmt, &t, &err);
    cr_assert_eq(st, RB_OK, "'%s' (format %s) refused: %s", text, fmt ? fmt : "detect", err.msg);
    return t;
}

static void expect_time(const char *text, const char *fmt, rb_time want)
{
    rb_time got = parse_ok(text, fmt);
    cr_expect_eq(got, want, "'%s' (format %s): got %lld, want %lld", text, fmt ? fmt : "detect",
                 (long long)got, (long long)want);
}

/* The parse must fail with code, leave *out untouched, and give a one-line message holding
 * every needle. */
static void expect_fail_code(const char *text, const char *fmt, rb_status code,
                             const char *needle1, const char *needle2)
{
    rb_error err = {.code = RB_OK, .msg = ""};
    rb_time t = 777;
    rb_status st = rb_time_parse(text, fmt, &t, &err);
    cr_assert_eq(st, code, "'%s' (format %s): status %d, want %d (msg: %s)", text,
                 fmt ? fmt : "detect", st, code, err.msg);
    cr_expect_eq(err.code, code);
    cr_expect_eq(t, 777, "out parameter written on failure for '%s'", text);
    cr_expect_null(strchr(err.msg, '\n'), "message is not one line: %s", err.msg);
    cr_expect_not_null(strstr(err.msg, needle1), "message for '%s' lacks \"%s\": %s", text,
                       needle1, err.msg);
    if (needle2)
        cr_expect_not_null(strstr(err.msg, needle2), "message for '%s' lacks \"%s\": %s", text,
                           needle2, err.msg);
}

static void expect_fail(const char *text, const char *needle1, const char *needle2)
{
    expect_fail_code(text, NULL, RB_ERR_DATA, needle1, needle2);
}

/* ---------------------------------------------------------------- detected forms */

Test(date, iso_dates)
{
    expect_time("1970-01-01", NULL, 0);
    expect_time("2000-01-01", NULL, T_2000_01_01);
    expect_time("2000-01-03", NULL, T_2000_01_03);
    expect_time("1900-01-01", NULL, T_1900_01_01);
    expect_time("1969-12-31", NULL, -86400);
    expect_time("1000-01-01", NULL, INT64_C(-30610224000));
    expect_time("9999-12-31", NULL, INT64_C(253402214400));
}

Test(date, iso_date_times)
{
    expect_time("2000-01-03T12:30:00", NULL, T_2000_01_03_1230);
    expect_time("2000-01-03 12:30", NULL, T_2000_01_03_1230);
    expect_time("2000-01-03T12:30", NULL, T_2000_01_03_1230);
    expect_time("2000-01-03t12:30:00", NULL, T_2000_01_03_1230);
    expect_time("2000-01-03T12:30:00Z", NULL, T_2000_01_03_1230);
    expect_time("2001-09-09T01:46:40Z", NULL, T_2001_09_09_014640);
    expect_time("2038-01-19T03:14:07Z", NULL, T_2038_01_19_031407);
    expect_time("1969-12-31T23:59:59Z", NULL, -1);
    expect_time("2000-01-03T00:00:00", NULL, T_2000_01_03);
}

Test(date, fractional_seconds_are_truncated)
{
    expect_time("2000-01-03T12:30:00.250Z", NULL, T_2000_01_03_1230);
    expect_time("2000-01-03T12:30:00.999999999", NULL, T_2000_01_03_1230);
    expect_time("2000-01-03 12:30:00,5", NULL, T_2000_01_03_1230);
    expect_time("1969-12-31T23:59:59.900Z", NULL, -1);
}

Test(date, offsets_convert_to_utc)
{
    expect_time("1999-12-31T23:00:00-02:00", NULL, T_2000_01_01 + 3600); /* 01:00Z */
    expect_time("2000-01-03T12:30:00+02:00", NULL, T_2000_01_03_1230 - 7200);
    expect_time("2000-01-03T12:30:00-0530", NULL, T_2000_01_03_1230 + 19800);
    expect_time("2000-01-03T12:30:00+02", NULL, T_2000_01_03_1230 - 7200);
    expect_time("2000-01-03T12:30+02:00", NULL, T_2000_01_03_1230 - 7200);
    expect_time("2000-01-03T12:30:00.250+05:45", NULL, T_2000_01_03_1230 - 20700);
    expect_time("2000-01-03T12:30:00+00:00", NULL, T_2000_01_03_1230);
    expect_time("2000-01-03T12:30:00-00:00", NULL, T_2000_01_03_1230);
    expect_time("2000-01-01T00:30:00+01:00", NULL, T_2000_01_01 - 1800); /* 1999-12-31T23:30Z */
    expect_time("2000-01-01T00:00:00+14:00", NULL, T_2000_01_01 - 14 * 3600);
}

Test(date, month_names)
{
    expect_time("Jan 1 2000", NULL, T_2000_01_01);
    expect_time("January 1, 2000", NULL, T_2000_01_01);
    expect_time("1 Jan 2000", NULL, T_2000_01_01);
    expect_time("01-Jan-2000", NULL, T_2000_01_01);
    expect_time("jan 3 2000", NULL, T_2000_01_03);
    expect_time("JANUARY 03, 2000", NULL, T_2000_01_03);
    expect_time("3 january 2000", NULL, T_2000_01_03);
    expect_time("Jan 3,2000", NULL, T_2000_01_03);
    expect_time("Feb 29 2000", NULL, T_2000_02_29);
    expect_time("29-FEB-2004", NULL, T_2004_02_29);
    expect_time("Sep 9 2001", NULL, T_2001_09_09_014640 - (1 * 3600 + 46 * 60 + 40));
    expect_time("September 9, 2001", NULL, T_2001_09_09_014640 - (1 * 3600 + 46 * 60 + 40));
    expect_time("1 Jan 1900", NULL, T_1900_01_01);
}

Test(date, epoch_seconds_and_milliseconds)
{
    expect_time("946857600", NULL, T_2000_01_03);         /* 9 digits */
    expect_time("1000000000", NULL, T_2001_09_09_014640); /* 10 digits */
    expect_time("123456789", NULL, 123456789);
    expect_time("2147483647", NULL, T_2038_01_19_031407);
    /* milliseconds are floored to the second */
    expect_time("946857600000", NULL, T_2000_01_03);
    expect_time("946857600999", NULL, T_2000_01_03);
    expect_time("1000000000999", NULL, T_2001_09_09_014640);
    expect_time("1000000000001", NULL, T_2001_09_09_014640);
}

Test(date, surrounding_blanks_are_trimmed)
{
    expect_time("  2000-01-03  ", NULL, T_2000_01_03);
    expect_time("\t2000-01-03\r\n", NULL, T_2000_01_03);
    expect_time(" Jan 1 2000 ", NULL, T_2000_01_01);
    expect_time(" 946857600 ", NULL, T_2000_01_03);
    expect_time(" 03/01/2000 ", "%d/%m/%Y", T_2000_01_03);
}

Test(date, leap_years)
{
    expect_time("2000-02-29", NULL, T_2000_02_29);
    expect_time("2004-02-29", NULL, T_2004_02_29);
    expect_time("2000-03-01", NULL, T_2000_02_29 + 86400);
    expect_fail("1900-02-29", "day 29 out of range in '1900-02-29'", "28 days");
    expect_fail("2100-02-29", "day 29 out of range in '2100-02-29'", NULL);
    expect_fail("2001-02-29", "day 29 out of range", NULL);
    expect_fail("2000-02-30", "day 30 out of range in '2000-02-30'", "29 days");
    expect_fail("Feb 29 1900", "day 29 out of range", NULL);
    expect_fail_code("29/02/1900", "%d/%m/%Y", RB_ERR_DATA, "day 29 out of range", NULL);
}

/* ---------------------------------------------------------------- refusals */

Test(date, ambiguous_forms_ask_for_a_format)
{
    expect_fail("01/02/2000",
                "ambiguous date '01/02/2000' (day/month order unknown): pass --date-format, "
                "e.g. %m/%d/%Y",
                NULL);
    expect_fail("13/02/2000", "ambiguous date '13/02/2000'", "e.g. %d/%m/%Y");
    expect_fail("1/2/00", "ambiguous date '1/2/00'", "%m/%d/%y");
    expect_fail("03.01.2000", "ambiguous date", "%m.%d.%Y");
    expect_fail("01-02-2000", "ambiguous date", "%m-%d-%Y");
    expect_fail("01/02/2000 12:30", "ambiguous date", "%m/%d/%Y %H:%M");
    expect_fail("20000102", "ambiguous date '20000102' (YYYYMMDD or epoch seconds)",
                "--date-format, e.g. %Y%m%d");
    expect_fail("2000/01/03", "'2000/01/03'", "--date-format, e.g. %Y/%m/%d");
    expect_fail("01-Jan-00", "two-digit year in '01-Jan-00'", "--date-format, e.g. %d-%b-%y");
    expect_fail("Jan 1, 00", "two-digit year", "%b %d, %y");
}

Test(date, out_of_range_fields)
{
    expect_fail("2000-13-01", "month 13 out of range in '2000-13-01'", NULL);
    expect_fail("2000-00-10", "month 0 out of range in '2000-00-10'", NULL);
    expect_fail("2000-04-31", "day 31 out of range in '2000-04-31'", "30 days");
    expect_fail("2000-01-00", "day 0 out of range in '2000-01-00'", NULL);
    expect_fail("2000-01-32", "day 32 out of range", NULL);
    expect_fail("0999-12-31", "year 0999 out of range", "1000-9999");
    expect_fail("0000-01-01", "year 0000 out of range", NULL);
    expect_fail("2000-01-03T24:00", "hour 24 out of range in '2000-01-03T24:00'", NULL);
    expect_fail("2000-01-03T12:60", "minute 60 out of range", NULL);
    expect_fail("2000-01-03T12:30:60", "second 60 out of range", NULL);
    expect_fail("2000-01-03T12:30:00+15:00", "UTC offset +15:00 out of range", NULL);
    expect_fail("2000-01-03T12:30:00-14:30", "UTC offset -14:30 out of range", NULL);
    expect_fail("2000-01-03T12:30:00+02:60", "UTC offset +02:60 out of range", NULL);
    /* The instant, in UTC, must fall in 1000-9999 too: it is exported in UTC. */
    expect_fail("1000-01-01T00:00:00+14:00", "outside the years 1000-9999", "0999-12-31");
    expect_fail("9999-12-31T23:00:00-02:00", "outside the years 1000-9999", "10000-01-01");
    expect_time("1000-01-01T10:00:00+10:00", NULL, rb_days_from_civil(1000, 1, 1) * RB_SECONDS_PER_DAY);
    expect_time("9999-12-31T23:59:59Z", NULL, RB_TIME_LAST);
    expect_fail("Jan 32 2000", "day 32 out of range in 'Jan 32 2000'", NULL);
    expect_fail("31 Apr 2000", "day 31 out of range", NULL);
    expect_fail("Jan 1 0999", "year 0999 out of range", NULL);
}

Test(date, malformed_text)
{
    expect_fail("abc", "not a date: 'abc'", NULL);
    expect_fail("", "not a date: ''", NULL);
    expect_fail("   ", "not a date: ''", NULL);
    expect_fail("2000-1-3", "not a date: '2000-1-3'", "YYYY-MM-DD");
    expect_fail("2000-01-03x", "unexpected 'x' after the date in '2000-01-03x'", NULL);
    expect_fail("2000-01-03T", "bad time in '2000-01-03T'", NULL);
    expect_fail("2000-01-03T12", "bad time", NULL);
    expect_fail("2000-01-03T1:30", "bad time", NULL);
    expect_fail("2000-01-03T12:30:0", "bad seconds", NULL);
    expect_fail("2000-01-03T12:30:00.", "bad fraction", NULL);
    expect_fail("2000-01-03T12:30:00+2", "unexpected '+2' after the time", NULL);
    expect_fail("2000-01-03T12:30:00+02:0", "unexpected '+02:0' after the time", NULL);
    expect_fail("2000-01-03T12:30:00 +02:00", "unexpected ' +02:00' after the time", NULL);
    expect_fail("2000-01-03T12:30:00ZZ", "unexpected 'Z' after the time", NULL);
    expect_fail("2000-01-03T12:30.5", "unexpected '.5' after the time", NULL);
    expect_fail("-946857600", "not a date: '-946857600'", NULL);
    expect_fail("12345", "not a date: '12345'", "epoch seconds have 9-10 digits");
    expect_fail("12345678901", "11 digits", NULL);
    expect_fail("12345678901234", "14 digits", NULL);
    expect_fail("Foo 1 2000", "not a date: 'Foo 1 2000'", "unknown month name 'Foo'");
    expect_fail("1 Foo 2000", "unknown month name 'Foo'", NULL);
    expect_fail("Sept 1 2000", "unknown month name 'Sept'", NULL);
    expect_fail("Jan 2000", "not a date: 'Jan 2000'", NULL);
    expect_fail("Jan 1 2000 12:00", "unexpected ' 12:00' after the date", NULL);
    expect_fail("Jan 1 20000", "4-digit year", NULL);
    expect_fail("12:30", "not a date: '12:30'", NULL);
    expect_fail("13/13/2000", "not a date: '13/13/2000'", NULL);
    expect_fail("2000.01", "not a date: '2000.01'", NULL);
    expect_fail("+2000-01-03", "not a date: '+2000-01-03'", NULL);
}

Test(date, long_text_is_quoted_truncated)
{
    const char *text = "this is certainly not a date but a long sentence from a broken file";
    rb_error err = {.code = RB_OK, .msg = ""};
    rb_time t;
    cr_assert_eq(rb_time_parse(text, NULL, &t, &err), RB_ERR_DATA);
    cr_expect_not_null(strstr(err.msg, "'this is certainly not a date but a long ...'"),
                       "msg: %s", err.msg);
    cr_expect_null(strstr(err.msg, "broken file"), "msg: %s", err.msg);
    /* control bytes never reach the one-line message */
    cr_assert_eq(rb_time_parse("20\n0-01-03x", NULL, &t, &err), RB_ERR_DATA);
    cr_expect_null(strchr(err.msg, '\n'), "msg: %s", err.msg);
}

Test(date, null_arguments)
{
    rb_error err = {.code = RB_OK, .msg = ""};
    rb_time t = 5;
    cr_expect_eq(rb_time_parse(NULL, NULL, &t, &err), RB_ERR_USAGE);
    cr_expect_eq(t, 5);
    /* err may be NULL */
    cr_expect_eq(rb_time_parse("abc", NULL, &t, NULL), RB_ERR_DATA);
    cr_expect_eq(rb_time_parse("2000-01-03", NULL, &t, NULL), RB_OK);
    cr_expect_eq(t, T_2000_01_03);
}

/* ---------------------------------------------------------------- --date-format */

Test(date, format_patterns)
{
    expect_time("03/01/2000", "%d/%m/%Y", T_2000_01_03);
    expect_time("3/1/2000", "%d/%m/%Y", T_2000_01_03);
    expect_time("01/03/2000", "%m/%d/%Y", T_2000_01_03);
    expect_time("20000103", "%Y%m%d", T_2000_01_03);
    expect_time("20000229", "%Y%m%d", T_2000_02_29);
    expect_time("03.01.00 12:30", "%d.%m.%y %H:%M", T_2000_01_03_1230);
    expect_time("31.12.69 00:00", "%d.%m.%y %H:%M", -86400);    /* 69 -> 1969 */
    expect_time("01.01.68 00:00", "%d.%m.%y %H:%M", INT64_C(3092601600)); /* 68 -> 2068 */
    expect_time("01.01.99 00:00", "%d.%m.%y %H:%M", INT64_C(915148800));  /* 1999-01-01 */
    expect_time("946857600", "%s", T_2000_01_03);
    expect_time("0", "%s", 0);
    expect_time("-86400", "%s", -86400);
    expect_time("86400", "%s", 86400);
    expect_time("Jan 03 2000", "%b %d %Y", T_2000_01_03);
    expect_time("january 3 2000", "%b %d %Y", T_2000_01_03);
    expect_time("JAN 3 2000", "%B %d %Y", T_2000_01_03);
    expect_time("Jan  3 2000", "%b %e %Y", T_2000_01_03);
    expect_time("Jan 3 2000", "%b %e %Y", T_2000_01_03);
    expect_time("03-Jan-00", "%d-%b-%y", T_2000_01_03);
    expect_time("2000-01-03 12:30 +0200", "%Y-%m-%d %H:%M %z", T_2000_01_03_1230 - 7200);
    expect_time("2000-01-03T12:30:00Z", "%Y-%m-%dT%H:%M:%S%z", T_2000_01_03_1230);
    expect_time("2000-01-03T12:30:00-05:30", "%Y-%m-%dT%H:%M:%S%z", T_2000_01_03_1230 + 19800);
    expect_time("2000-01-03T12:30:00+02", "%Y-%m-%dT%H:%M:%S%z", T_2000_01_03_1230 - 7200);
    expect_time("2000%01%03", "%Y%%%m%%%d", T_2000_01_03);
    expect_time("2000-01-03", "%Y-%m-%d", T_2000_01_03);
    expect_time("12:30 03/01/2000", "%H:%M %d/%m/%Y", T_2000_01_03_1230);
    expect_time("2000 01 03", "%Y %m %d", T_2000_01_03);
    expect_time("2000   01  03", "%Y %m %d", T_2000_01_03); /* a space matches a run */
}

Test(date, format_mismatches_are_data_errors)
{
    expect_fail_code("2000-01-03", "%d/%m/%Y", RB_ERR_DATA,
                     "'2000-01-03' does not match date format '%d/%m/%Y'", "expected '/'");
    expect_fail_code("03/01/2000x", "%d/%m/%Y", RB_ERR_DATA, "unexpected 'x' at the end", NULL);
    expect_fail_code("03/01/200", "%d/%m/%Y", RB_ERR_DATA, "expected a 4-digit year", NULL);
    expect_fail_code("03/01", "%d/%m/%Y", RB_ERR_DATA, "expected '/' at the end", NULL);
    expect_fail_code("13/13/2000", "%d/%m/%Y", RB_ERR_DATA, "month 13 out of range", NULL);
    expect_fail_code("01/13/2000", "%d/%m/%Y", RB_ERR_DATA,
                     "month 13 out of range in '01/13/2000'", NULL);
    expect_fail_code("32/01/2000", "%d/%m/%Y", RB_ERR_DATA, "day 32 out of range", NULL);
    expect_fail_code("03.01.00 24:00", "%d.%m.%y %H:%M", RB_ERR_DATA, "hour 24 out of range",
                     NULL);
    expect_fail_code("Foo 03 2000", "%b %d %Y", RB_ERR_DATA, "expected a month name", NULL);
    expect_fail_code("2000-01-03 12:30 +2", "%Y-%m-%d %H:%M %z", RB_ERR_DATA,
                     "expected a UTC offset", NULL);
    expect_fail_code("20000103", "%Y %m %d", RB_ERR_DATA, "expected a space", NULL);
    expect_fail_code("abc", "%s", RB_ERR_DATA, "expected epoch seconds", NULL);
    expect_fail_code("999999999999", "%s", RB_ERR_DATA, "out of range", NULL);
    expect_fail_code("0999-01-01", "%Y-%m-%d", RB_ERR_DATA, "year 0999 out of range", NULL);
    expect_fail_code("", "%Y-%m-%d", RB_ERR_DATA, "expected a 4-digit year at the end", NULL);
}

Test(date, bad_formats_are_usage_errors)
{
    expect_fail_code("2000-01-03", "%Y-%m-%Q", RB_ERR_USAGE, "unknown conversion '%Q'", NULL);
    expect_fail_code("12:30", "%H:%M", RB_ERR_USAGE, "has no year", NULL);
    expect_fail_code("2000-01", "%Y-%m", RB_ERR_USAGE, "has no day", NULL);
    expect_fail_code("2000-03", "%Y-%d", RB_ERR_USAGE, "has no month", NULL);
    expect_fail_code("2000 2000-01-03", "%Y %Y-%m-%d", RB_ERR_USAGE, "gives the year twice",
                     NULL);
    expect_fail_code("946857600 2000", "%s %Y", RB_ERR_USAGE, "combines %s", NULL);
    expect_fail_code("2000-01-03", "%Y-%m-%d%", RB_ERR_USAGE, "lone '%'", NULL);
    expect_fail_code("2000-01-03", "", RB_ERR_USAGE, "has no year", NULL);
    /* the format is checked before the text is looked at */
    expect_fail_code("garbage", "%Y-%m-%Q", RB_ERR_USAGE, "unknown conversion", NULL);

    rb_error err = {.code = RB_OK, .msg = ""};
    cr_expect_eq(rb_time_format_check("%d/%m/%Y %H:%M:%S %z", &err), RB_OK, "%s", err.msg);
    cr_expect_eq(rb_time_format_check("%s", &err), RB_OK, "%s", err.msg);
    cr_expect_eq(rb_time_format_check(NULL, &err), RB_ERR_USAGE);
}

/* ---------------------------------------------------------------- length-delimited fast path */

/* Copies text into a heap block of exactly its length (no NUL), so that AddressSanitizer
 * catches any read past the end. */
static rb_time parse_exact(const char *text, const char *fmt, rb_status want)
{
    size_t len = strlen(text);
    char *buf = malloc(len ? len : 1);
    cr_assert_not_null(buf);
    memcpy(buf, text, len);
    rb_error err = {.code = RB_OK, .msg = ""};
    rb_time t = -777;
    rb_status st = rb_time_parse_n(buf, len, fmt, &t, &err);
    free(buf);
    cr_assert_eq(st, want, "'%s': status %d, want %d (%s)", text, st, want, err.msg);
    return t;
}

Test(date, parse_n_needs_no_terminator)
{
    const char row[] = "2000-01-03,2000-01-04,Jan 1 2000";
    rb_time t = 0;
    cr_assert_eq(rb_time_parse_n(row, 10, NULL, &t, NULL), RB_OK);
    cr_expect_eq(t, T_2000_01_03);
    cr_assert_eq(rb_time_parse_n(row + 11, 10, NULL, &t, NULL), RB_OK);
    cr_expect_eq(t, T_2000_01_03 + 86400);
    cr_assert_eq(rb_time_parse_n(row + 22, 10, NULL, &t, NULL), RB_OK);
    cr_expect_eq(t, T_2000_01_01);
    cr_expect_eq(rb_time_parse_n(row, 11, NULL, &t, NULL), RB_ERR_DATA); /* "2000-01-03," */

    cr_expect_eq(parse_exact("2000-01-03", NULL, RB_OK), T_2000_01_03);
    cr_expect_eq(parse_exact("2000-01-03T12:30:00+02:00", NULL, RB_OK), T_2000_01_03_1230 - 7200);
    cr_expect_eq(parse_exact("2000-01-03T12:30:00.25", NULL, RB_OK), T_2000_01_03_1230);
    cr_expect_eq(parse_exact("January 1, 2000", NULL, RB_OK), T_2000_01_01);
    cr_expect_eq(parse_exact("1 Jan 2000", NULL, RB_OK), T_2000_01_01);
    cr_expect_eq(parse_exact("946857600", NULL, RB_OK), T_2000_01_03);
    cr_expect_eq(parse_exact("03/01/2000", "%d/%m/%Y", RB_OK), T_2000_01_03);
    cr_expect_eq(parse_exact("Jan  3 2000", "%b %e %Y", RB_OK), T_2000_01_03);
    cr_expect_eq(parse_exact("2000-01-03 +0200", "%Y-%m-%d %z", RB_OK), T_2000_01_03 - 7200);
    parse_exact("abc", NULL, RB_ERR_DATA);
    parse_exact("Jan", NULL, RB_ERR_DATA);
    parse_exact("Jan 1", NULL, RB_ERR_DATA);
    parse_exact("1 Jan", NULL, RB_ERR_DATA);
    parse_exact("01/02", NULL, RB_ERR_DATA);
    parse_exact("01/02/", NULL, RB_ERR_DATA);
    parse_exact("2000-01-03T12:30:00+", NULL, RB_ERR_DATA);
    parse_exact("2000/01", NULL, RB_ERR_DATA);
    parse_exact("", NULL, RB_ERR_DATA);
    parse_exact("03/01/", "%d/%m/%Y", RB_ERR_DATA);
    parse_exact("-", "%s", RB_ERR_DATA);
}

/* ---------------------------------------------------------------- formatting */

Test(date, format_known_values)
{
    char buf[32];
    cr_expect_str_eq(rb_time_format(0, buf), "1970-01-01");
    cr_expect_str_eq(rb_time_format(T_2000_01_03, buf), "2000-01-03");
    cr_expect_str_eq(rb_time_format(T_2000_01_03_1230, buf), "2000-01-03T12:30:00Z");
    cr_expect_str_eq(rb_time_format(-1, buf), "1969-12-31T23:59:59Z");
    cr_expect_str_eq(rb_time_format(-86400, buf), "1969-12-31");
    cr_expect_str_eq(rb_time_format(-86399, buf), "1969-12-31T00:00:01Z");
    cr_expect_str_eq(rb_time_format(T_1900_01_01, buf), "1900-01-01");
    cr_expect_str_eq(rb_time_format(T_1900_01_01 + 1, buf), "1900-01-01T00:00:01Z");
    cr_expect_str_eq(rb_time_format(T_2038_01_19_031407, buf), "2038-01-19T03:14:07Z");
    cr_expect_str_eq(rb_time_format(INT64_C(-30610224000), buf), "1000-01-01");
    cr_expect_eq(rb_time_format(0, buf), buf);
    /* the extremes of rb_time: no overflow, and the text fits */
    cr_expect_str_eq(rb_time_format(INT64_MAX, buf), "292277026596-12-04T15:30:07Z");
    cr_expect_str_eq(rb_time_format(INT64_MIN, buf), "-292277022657-01-27T08:29:52Z");
}

/* ---------------------------------------------------------------- reference arithmetic */

static int ref_leap(int y)
{
    return y % 400 == 0 || (y % 100 != 0 && y % 4 == 0);
}

static int ref_month_len(int y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return len[m - 1] + (m == 2 && ref_leap(y));
}

/* Days since 1970-01-01 by counting whole years and months: slow and obviously right. */
static int64_t ref_days(int y, int m, int d)
{
    int64_t days = 0;
    for (int yy = 1970; yy < y; yy++) days += 365 + ref_leap(yy);
    for (int yy = y; yy < 1970; yy++) days -= 365 + ref_leap(yy);
    for (int mm = 1; mm < m; mm++) days += ref_month_len(y, mm);
    return days + d - 1;
}

/* A fixed-seed generator so that failures reproduce. */
static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return *state >> 33;
}

Test(date, format_and_parse_round_trip)
{
    uint64_t rng = 42;
    char buf[32], want[32];
    int negatives = 0, midnights = 0;
    for (int i = 0; i < 4000; i++) {
        int y = 1900 + (int)(next_random(&rng) % 201); /* 1900..2100 */
        int m = 1 + (int)(next_random(&rng) % 12);
        int d = 1 + (int)(next_random(&rng) % (uint64_t)ref_month_len(y, m));
        int sod = i % 4 == 0 ? 0 : (int)(next_random(&rng) % 86400);
        rb_time t = ref_days(y, m, d) * 86400 + sod;
        negatives += t < 0;
        midnights += sod == 0;
        if (sod == 0)
            snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
        else
            snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, sod / 3600,
                     sod / 60 % 60, sod % 60);
        cr_assert_str_eq(rb_time_format(t, buf), want, "t = %lld", (long long)t);
        cr_assert_eq(parse_ok(buf, NULL), t, "round trip of %s", buf);
    }
    cr_expect_gt(negatives, 500, "the sample covers times before 1970");
    cr_expect_gt(midnights, 500);
}

Test(date, civil_conversions_match_day_counter)
{
    /* Walk day by day from 1970-01-01 forward to 2400 and backward to 1600, carrying the
     * civil date by hand; 1970-01-01 was a Thursday. */
    for (int dir = 1; dir >= -1; dir -= 2) {
        int y = 1970, m = 1, d = 1;
        int wd = 3;
        for (int64_t days = 0; dir > 0 ? y <= 2400 : y >= 1600; days += dir) {
            cr_assert_eq(rb_days_from_civil(y, (unsigned)m, (unsigned)d), days,
                         "%04d-%02d-%02d", y, m, d);
            int cy;
            unsigned cm, cd;
            rb_civil_from_days(days, &cy, &cm, &cd);
            cr_assert(cy == y && (int)cm == m && (int)cd == d,
                      "day %lld: got %04d-%02u-%02u, want %04d-%02d-%02d", (long long)days, cy,
                      cm, cd, y, m, d);
            cr_assert_eq(rb_weekday(days), wd, "weekday of %04d-%02d-%02d", y, m, d);
            cr_assert_eq(rb_time_days(days * 86400), days);
            cr_assert_eq(rb_time_days(days * 86400 + 86399), days);
            cr_assert_eq(rb_days_in_month(y, (unsigned)m), (unsigned)ref_month_len(y, m));
            if (dir > 0) {
                wd = (wd + 1) % 7;
                if (++d > ref_month_len(y, m)) {
                    d = 1;
                    if (++m > 12) m = 1, y++;
                }
            } else {
                wd = (wd + 6) % 7;
                if (--d < 1) {
                    if (--m < 1) m = 12, y--;
                    d = ref_month_len(y, m);
                }
            }
        }
    }
    cr_expect_eq(rb_weekday(rb_days_from_civil(2000, 1, 3)), 0); /* a Monday */
    cr_expect_eq(rb_weekday(rb_days_from_civil(2007, 12, 31)), 0);
    cr_expect_eq(rb_weekday(rb_days_from_civil(2010, 7, 4)), 6); /* a Sunday */
    cr_expect_eq(rb_days_from_civil(2000, 1, 3), T_2000_01_03 / 86400);
    /* far years stay exact: proleptic Gregorian, 146097 days per 400 years */
    cr_expect_eq(rb_days_from_civil(-400, 1, 1), rb_days_from_civil(0, 1, 1) - 146097);
    cr_expect_eq(rb_days_from_civil(2400, 3, 1) - rb_days_from_civil(2000, 3, 1), 146097);
    int y;
    unsigned m, d;
    rb_civil_from_days(rb_days_from_civil(-1, 12, 31), &y, &m, &d);
    cr_expect(y == -1 && m == 12 && d == 31, "got %d-%u-%u", y, m, d);
    cr_expect_eq(rb_is_leap_year(2000), 1);
    cr_expect_eq(rb_is_leap_year(1900), 0);
    cr_expect_eq(rb_is_leap_year(2024), 1);
    cr_expect_eq(rb_is_leap_year(2023), 0);
    cr_expect_eq(rb_days_in_month(2000, 13), 0);
    cr_expect_eq(rb_days_in_month(2000, 0), 0);
}
