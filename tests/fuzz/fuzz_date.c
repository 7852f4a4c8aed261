/* fuzz_date.c - libFuzzer target: the date parser (data/date_parse.c) and formatter
 * (data/date.c). What must hold, else abort:
 *   - a text that parses formats to a text that parses (formats detected) to the same
 *     instant, and that formats to the same text again;
 *   - the parser reads only the bytes it is given (the text is copied without a NUL);
 *   - a pattern is refused (RB_ERR_USAGE) exactly when rb_time_format_check refuses it;
 *   - every refusal says why, in one line;
 *   - any 64-bit time formats into its 32 bytes, and one in the years 1000-9999 parses back.
 * Input: "PATTERN\nTEXT" parses TEXT with --date-format PATTERN; input without a line end is
 * TEXT, its form detected. Its first 8 bytes are also read as a time to format. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "rebal.h"

static void die(const char *what, const char *text, const char *detail)
{
    fprintf(stderr, "fuzz_date: %s: '%s'%s%s\n", what, text, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void check_message(const rb_error *err, const char *text)
{
    if (!err->msg[0] || strchr(err->msg, '\n')) die("a refusal must say why in one line", text, err->msg);
}

/* t formats to a text that parses back to t and formats to the same text. */
static void check_round_trip(rb_time t, const char *source)
{
    char text[32], again[32];
    rb_time_format(t, text);
    rb_time back = 0;
    rb_error err = {0};
    if (rb_time_parse(text, NULL, &back, &err) != RB_OK) die("a formatted time does not parse", text, err.msg);
    if (back != t) {
        char why[96];
        snprintf(why, sizeof why, "parsed from '%s' as %lld, read back as %lld", source, (long long)t, (long long)back);
        die("a formatted time parses to another instant", text, why);
    }
    if (strcmp(rb_time_format(back, again), text) != 0) die("formatting twice differs", text, again);
}

/* Any time formats within its buffer; one in the accepted years parses back. */
static void check_format(rb_time t)
{
    char text[32];
    rb_time_format(t, text);
    if (!memchr(text, '\0', sizeof text)) die("a formatted time is not terminated", "", NULL);
    if (t >= rb_days_from_civil(1000, 1, 1) * RB_SECONDS_PER_DAY && t <= RB_TIME_LAST) check_round_trip(t, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= sizeof(int64_t)) {
        int64_t t;
        memcpy(&t, data, sizeof t);
        check_format(t);
    }
    const uint8_t *eol = memchr(data, '\n', size);
    char *fmt = NULL;
    const uint8_t *text = data;
    size_t len = size;
    if (eol) {
        fmt = strndup((const char *)data, (size_t)(eol - data));
        if (!fmt) return 0;
        text = eol + 1;
        len = size - (size_t)(eol + 1 - data);
    }
    /* Exactly len bytes, no terminator: reading past them is an AddressSanitizer report. */
    char *exact = malloc(len ? len : 1);
    char *shown = strndup((const char *)text, len);
    if (!exact || !shown) {
        free(exact);
        free(shown);
        free(fmt);
        return 0;
    }
    memcpy(exact, text, len);

    rb_time t = 0;
    rb_error err = {0};
    rb_status rc = rb_time_parse_n(exact, len, fmt, &t, &err);
    if (rc == RB_OK) check_round_trip(t, shown);
    else check_message(&err, shown);
    if (fmt) {
        rb_error check = {0};
        int refused = rb_time_format_check(fmt, &check) != RB_OK;
        if (refused != (rc == RB_ERR_USAGE))
            die(refused ? "a pattern the check refuses was used" : "a pattern the check accepts was refused", fmt,
                refused ? check.msg : err.msg);
    }
    free(exact);
    free(shown);
    free(fmt);
    return 0;
}
