/* test_sweep.c - sweep specifications: a full example expanded and decoded key by key,
 * ranges and lists, libinih's comment and continuation rules, every error with its
 * FILE:LINE: [section] key: message, canonical texts and stable ids (equal across
 * differently written specs, distinct over a 100,000-configuration grid), and decoding
 * from two threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rebal.h"
#include "support.h"
#include "spec.h"
#include "sweep.h"

TestSuite(sweep, .timeout = 60);

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define DATA "[data]\nassets = BTC=0.5,ETH=0.3,USDC=0.2\n"

/* ---------------------------------------------------------------- helpers */

static rb_sweep *parse_ok(const char *text)
{
    rb_sweep *sw = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_sweep_parse_text(text, "t.ini", &sw, &err), RB_OK, "%s", err.msg);
    cr_assert_not_null(sw);
    return sw;
}

/* The registered rules that take parameter key (all of them for NULL) as "[a]" joined by
 * sep, in registry order, appended to out[len]. */
static void append_rules(const char *key, const char *sep, char *out, size_t len)
{
    for (size_t k = 0, said = 0; k < rb_strategy_count(); k++) {
        const rb_strategy_info *r = rb_strategy_at(k);
        size_t j = 0;
        while (key && j < r->nparams && strcmp(r->params[j].key, key) != 0) j++;
        if (key && j == r->nparams) continue;
        size_t at = strlen(out);
        snprintf(out + at, len - at, "%s[%s]", said++ ? sep : "", r->name);
    }
}

/* want with "{rules}" spelled out as every registered rule ("[a], [b], ...") and "{KEY}"
 * as the rules that take parameter KEY ("[a] or [b]"): the messages name whatever the
 * registry holds, so that a new rule changes no test here. */
static void expand_rules(const char *want, char *out, size_t len)
{
    out[0] = '\0';
    while (*want) {
        const char *open = strchr(want, '{'), *close = open ? strchr(open, '}') : NULL;
        size_t at = strlen(out), plain = close ? (size_t)(open - want) : strlen(want);
        snprintf(out + at, len - at, "%.*s", (int)plain, want);
        if (!close) break;
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(close - open - 1), open + 1);
        if (strcmp(key, "rules") == 0) append_rules(NULL, ", ", out, len);
        else append_rules(key, " or ", out, len);
        want = close + 1;
    }
}

static void parse_err(const char *text, const char *want_text)
{
    char want[2048];
    expand_rules(want_text, want, sizeof want);
    rb_sweep *sw = NULL;
    rb_error err = {0};
    rb_status rc = rb_sweep_parse_text(text, "t.ini", &sw, &err);
    cr_assert_eq(rc, RB_ERR_USAGE, "want '%s', got status %d (%s)", want, rc, err.msg);
    cr_assert_null(sw);
    cr_assert_str_eq(err.msg, want);
}

/* Checks configuration k: its section, strategy and every setting in order (key, value, ...). */
static void expect_config(const rb_sweep *sw, uint64_t k, const char *section, const char *strategy,
                          const char *const *kv)
{
    rb_sweep_kv got[64];
    const char *sec = NULL, *st = NULL;
    size_t n = rb_sweep_config(sw, k, &sec, &st, got, 64);
    cr_assert_str_eq(sec, section, "configuration %llu", (unsigned long long)k);
    cr_assert_str_eq(st, strategy, "configuration %llu", (unsigned long long)k);
    size_t want = 0;
    while (kv[2 * want]) want++;
    cr_assert_eq(n, want, "configuration %llu: %zu settings, want %zu", (unsigned long long)k, n, want);
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(got[i].key, kv[2 * i], "configuration %llu, setting %zu", (unsigned long long)k, i);
        cr_assert_str_eq(got[i].value, kv[2 * i + 1], "configuration %llu, %s", (unsigned long long)k, got[i].key);
    }
}

/* The value configuration k gives key (NULL when it sets none). */
static const char *value_of(const rb_sweep *sw, uint64_t k, const char *key)
{
    rb_sweep_kv got[64];
    size_t n = rb_sweep_config(sw, k, NULL, NULL, got, 64);
    for (size_t i = 0; i < n; i++)
        if (strcmp(got[i].key, key) == 0) return got[i].value;
    return NULL;
}

/* Parses a one-rule sweep whose only swept key is [flows] contribution = value, and checks
 * its values are exactly want (NULL-terminated). */
static void expect_contributions(const char *value, const char *const *want)
{
    char text[512];
    snprintf(text, sizeof text, DATA "[buy-and-hold]\n[flows]\ncontribution = %s\n", value);
    rb_sweep *sw = parse_ok(text);
    size_t n = 0;
    while (want[n]) n++;
    cr_assert_eq(rb_sweep_count(sw), n, "'%s': %llu values, want %zu", value,
                 (unsigned long long)rb_sweep_count(sw), n);
    for (size_t i = 0; i < n; i++) cr_assert_str_eq(value_of(sw, i, "contribution"), want[i], "'%s' #%zu", value, i);
    rb_sweep_free(sw);
}

static char *canonical(const rb_sweep *sw, uint64_t k)
{
    size_t len = rb_sweep_canonical(sw, k, NULL, 0);
    char *buf = malloc(len + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(rb_sweep_canonical(sw, k, buf, len + 1), len);
    cr_assert_eq(strlen(buf), len);
    return buf;
}

/* FNV-1a 64 with the top bit cleared, written out here from its definition. */
static int64_t fnv_id(const char *text)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return (int64_t)(h & 0x7fffffffffffffffull);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_strp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ---------------------------------------------------------------- the full example */

static const char example[] =
    "; a sweep over band rules\n"
    "[data]\n"
    "assets = BTC=0.5,ETH=0.3,USDC=0.2\n"
    "start = 2020-01-01\n"
    "capital = 100000\n"
    "\n"
    "[costs]\n"
    "fee-bps = 5, 10, 25\n"
    "slippage-bps = \"BTC=5,ETH=8\", \"BTC=10,ETH=15\"\n"
    "\n"
    "[tax]\n"
    "tax-lots = fifo, hifo\n"
    "\n"
    "[threshold]\n"
    "band = 0.05, 0.10\n"
    "\n"
    "[threshold.tight]\n"
    "band = 0.01:0.03:0.01\n"
    "to = edge, halfway\n"
    "\n"
    "[calendar]\n"
    "every = week, month, quarter\n"
    "\n"
    "[hybrid]\n"
    "every = month, quarter\n"
    "band = 0.05\n"
    "mode = gated, either\n";

Test(sweep, example_count_and_decoding)
{
    rb_sweep *sw = parse_ok(example);
    /* shared: 3 fees x 2 slippages x 2 lot methods = 12 per rule configuration;
     * threshold 2, threshold.tight 3 x 2, calendar 3, hybrid 2 x 1 x 2: 15 x 12 = 180 */
    cr_assert_eq(rb_sweep_count(sw), 180);
    cr_assert_str_eq(rb_sweep_text(sw), example);

    const rb_sweep_kv *data;
    cr_assert_eq(rb_sweep_data(sw, &data), 3);
    cr_assert_str_eq(data[0].key, "assets");
    cr_assert_str_eq(data[0].value, "BTC=0.5,ETH=0.3,USDC=0.2");
    cr_assert_str_eq(data[1].key, "start");
    cr_assert_str_eq(data[1].value, "2020-01-01");
    cr_assert_str_eq(data[2].key, "capital");
    cr_assert_str_eq(data[2].value, "100000");

    const char *const *keys;
    size_t nkeys = rb_sweep_keys(sw, &keys);
    const char *want_keys[] = {"band", "every", "fee-bps", "mode", "slippage-bps", "tax-lots", "to"};
    cr_assert_eq(nkeys, 7);
    for (size_t i = 0; i < nkeys; i++) cr_assert_str_eq(keys[i], want_keys[i]);
    cr_assert_eq(rb_sweep_max_keys(sw), 6); /* hybrid: band, every, mode + 3 shared */

    /* section keys (sorted), then shared keys (sorted), the last varying fastest:
     * threshold k = band*12 + fee*4 + slippage*2 + lots */
    expect_config(sw, 0, "threshold", "threshold",
                  KV("band", "0.05", "fee-bps", "5", "slippage-bps", "BTC=5,ETH=8", "tax-lots", "fifo"));
    expect_config(sw, 13, "threshold", "threshold",
                  KV("band", "0.10", "fee-bps", "5", "slippage-bps", "BTC=5,ETH=8", "tax-lots", "hifo"));
    expect_config(sw, 23, "threshold", "threshold",
                  KV("band", "0.10", "fee-bps", "25", "slippage-bps", "BTC=10,ETH=15", "tax-lots", "hifo"));
    /* threshold.tight from 24: local = band*24 + to*12 + fee*4 + slippage*2 + lots */
    expect_config(sw, 24, "threshold.tight", "threshold",
                  KV("band", "0.01", "fee-bps", "5", "slippage-bps", "BTC=5,ETH=8", "tax-lots", "fifo", "to", "edge"));
    expect_config(sw, 53, "threshold.tight", "threshold", /* local 29 = 1*24 + 0*12 + 1*4 + 0*2 + 1 */
                  KV("band", "0.02", "fee-bps", "10", "slippage-bps", "BTC=5,ETH=8", "tax-lots", "hifo", "to", "edge"));
    expect_config(sw, 95, "threshold.tight", "threshold",
                  KV("band", "0.03", "fee-bps", "25", "slippage-bps", "BTC=10,ETH=15", "tax-lots", "hifo", "to",
                     "halfway"));
    /* calendar from 96: local = every*12 + ... */
    expect_config(sw, 96, "calendar", "calendar",
                  KV("every", "week", "fee-bps", "5", "slippage-bps", "BTC=5,ETH=8", "tax-lots", "fifo"));
    expect_config(sw, 127, "calendar", "calendar", /* local 31 = 2*12 + 1*4 + 1*2 + 1 */
                  KV("every", "quarter", "fee-bps", "10", "slippage-bps", "BTC=10,ETH=15", "tax-lots", "hifo"));
    /* hybrid from 132: local = band*48 + every*24 + mode*12 + ... */
    expect_config(sw, 132, "hybrid", "hybrid",
                  KV("band", "0.05", "every", "month", "fee-bps", "5", "mode", "gated", "slippage-bps", "BTC=5,ETH=8",
                     "tax-lots", "fifo"));
    expect_config(sw, 161, "hybrid", "hybrid", /* local 29 = 1*24 + 0*12 + 1*4 + 0*2 + 1 */
                  KV("band", "0.05", "every", "quarter", "fee-bps", "10", "mode", "gated", "slippage-bps",
                     "BTC=5,ETH=8", "tax-lots", "hifo"));
    expect_config(sw, 179, "hybrid", "hybrid",
                  KV("band", "0.05", "every", "quarter", "fee-bps", "25", "mode", "either", "slippage-bps",
                     "BTC=10,ETH=15", "tax-lots", "hifo"));

    /* canonical: values canonical ("0.10" -> "0.1"), keys sorted, no section name */
    char *c = canonical(sw, 23);
    cr_assert_str_eq(c, "strategy=threshold;band=0.1;fee-bps=25;slippage-bps=BTC=10,ETH=15;tax-lots=hifo");
    cr_assert_eq(rb_sweep_config_id(sw, 23), fnv_id(c));
    free(c);

    /* out of range */
    const char *sec = "x", *st = "x";
    rb_sweep_kv kv[8];
    cr_assert_eq(rb_sweep_config(sw, 180, &sec, &st, kv, 8), 0);
    cr_assert_null(sec);
    cr_assert_null(st);
    cr_assert_eq(rb_sweep_config_id(sw, 180), -1);
    char buf[8] = "junk";
    cr_assert_eq(rb_sweep_canonical(sw, 180, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "");
    /* a short buffer: truncated, terminated, full length returned */
    size_t full = rb_sweep_canonical(sw, 0, NULL, 0);
    cr_assert_eq(rb_sweep_canonical(sw, 0, buf, sizeof buf), full);
    cr_assert_str_eq(buf, "strateg");
    /* a small capacity: only the first settings */
    cr_assert_eq(rb_sweep_config(sw, 0, NULL, NULL, kv, 2), 2);
    cr_assert_str_eq(kv[1].key, "fee-bps");
    rb_sweep_free(sw);
}

Test(sweep, parse_file)
{
    char *dir = rbt_tempdir();
    char *path = rbt_write_file(dir, "grid.ini", example);
    rb_sweep *sw = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_sweep_parse_file(path, &sw, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_sweep_count(sw), 180);
    cr_assert_str_eq(rb_sweep_text(sw), example);
    rb_sweep_free(sw);

    char *bad = rbt_write_file(dir, "bad.ini", DATA "[threshold]\nband = 0.05\nbogus = 1\n");
    sw = NULL;
    cr_assert_eq(rb_sweep_parse_file(bad, &sw, &err), RB_ERR_USAGE);
    cr_assert_null(sw);
    char want[1024];
    snprintf(want, sizeof want, "%s:5: [threshold] bogus: unknown setting", bad);
    cr_assert_str_eq(err.msg, want);

    char *missing = rbt_path(dir, "missing.ini");
    cr_assert_eq(rb_sweep_parse_file(missing, &sw, &err), RB_ERR_IO);
    cr_assert(strstr(err.msg, "missing.ini"), "%s", err.msg);
    cr_assert_null(sw);
    rbt_rmtree(dir);
    free(path);
    free(bad);
    free(missing);
    free(dir);
}

/* The example of docs/sweeps.md parses and holds what the page says. */
Test(sweep, documented_example)
{
    char *path = rbt_source_path("docs/sweeps.md");
    char *doc = rbt_read_file(path, NULL);
    cr_assert_not_null(doc, "%s", path);
    char *start = strstr(doc, "```ini\n");
    cr_assert_not_null(start);
    start += 7;
    char *end = strstr(start, "```");
    cr_assert_not_null(end);
    *end = '\0';
    rb_sweep *sw = parse_ok(start);
    cr_assert_eq(rb_sweep_count(sw), 360);
    /* [threshold] starts at 48; local 95 = band 3 * 24 + to 1 * 12 + fee 2 * 4 + slippage 1 * 2 + lots 1 */
    expect_config(sw, 143, "threshold", "threshold",
                  KV("band", "0.05", "fee-bps", "25", "gas", "2", "slippage-bps", "BTC=10,ETH=15", "tax-long", "0.15",
                     "tax-lots", "hifo", "tax-short", "0.3", "to", "edge"));
    expect_config(sw, 47, "calendar", "calendar",
                  KV("every", "quarter", "fee-bps", "25", "gas", "2", "slippage-bps", "BTC=10,ETH=15", "tax-long",
                     "0.15", "tax-lots", "hifo", "tax-short", "0.3"));
    rb_sweep_free(sw);
    free(doc);
    free(path);
}

/* ---------------------------------------------------------------- values */

Test(sweep, ranges)
{
    expect_contributions("0.1:0.3:0.1", KV("0.1", "0.2", "0.3"));
    expect_contributions("1:10:3", KV("1", "4", "7", "10"));
    expect_contributions("0:1:0.3", KV("0", "0.3", "0.6", "0.9")); /* the stop is off the grid */
    expect_contributions("1:0:-0.25", KV("1", "0.75", "0.5", "0.25", "0"));
    expect_contributions("-100:-300:-100", KV("-100", "-200", "-300"));
    expect_contributions("-0.2:0.2:0.2", KV("-0.2", "0", "0.2"));
    expect_contributions("5:5:1", KV("5"));
    expect_contributions("1e3:3e3:1e3", KV("1000", "2000", "3000"));
    expect_contributions(" 0.5 : 1 : 0.25 ", KV("0.5", "0.75", "1"));

    /* 0.001:0.2:0.001: exactly 200 values, the i-th exactly (i + 1) / 1000, the last 0.2 */
    rb_sweep *sw = parse_ok(DATA "[buy-and-hold]\n[flows]\ncontribution = 0.001:0.2:0.001\n");
    cr_assert_eq(rb_sweep_count(sw), 200);
    for (uint64_t i = 0; i < 200; i++) {
        char want[32];
        snprintf(want, sizeof want, "%.15g", (double)(i + 1) / 1000);
        cr_assert_str_eq(value_of(sw, i, "contribution"), want);
    }
    cr_assert_str_eq(value_of(sw, 199, "contribution"), "0.2");
    rb_sweep_free(sw);

    /* a long range: 0:9999:1, every value an exact integer */
    sw = parse_ok(DATA "[buy-and-hold]\n[flows]\ncontribution = 0:9999:1\n");
    cr_assert_eq(rb_sweep_count(sw), 10000);
    cr_assert_str_eq(value_of(sw, 9999, "contribution"), "9999");
    cr_assert_str_eq(value_of(sw, 4321, "contribution"), "4321");
    rb_sweep_free(sw);
}

/* The values of band = range in a [threshold] section (band is a strategy parameter: any
 * number passes, so the formatting of tiny and huge values shows). */
static void expect_bands(const char *range, const char *const *want)
{
    char text[256];
    snprintf(text, sizeof text, DATA "[threshold]\nband = %s\n", range);
    rb_sweep *sw = parse_ok(text);
    size_t n = 0;
    while (want[n]) n++;
    cr_assert_eq(rb_sweep_count(sw), n, "'%s': %llu values", range, (unsigned long long)rb_sweep_count(sw));
    for (size_t i = 0; i < n; i++) cr_assert_str_eq(value_of(sw, i, "band"), want[i], "'%s' #%zu", range, i);
    rb_sweep_free(sw);
}

/* The shortest text that reads back as the double nearest to the decimal text d. */
static void shortest_of(const char *d, char out[32])
{
    double v = strtod(d, NULL);
    for (int p = 15; p <= 17; p++) {
        snprintf(out, 32, "%.*g", p, v);
        if (strtod(out, NULL) == v) return;
    }
}

Test(sweep, range_value_forms)
{
    expect_bands("0.00001:0.00005:0.00001", KV("1e-05", "2e-05", "3e-05", "4e-05", "5e-05"));
    expect_bands("0.00009:0.00011:0.00001", KV("9e-05", "0.0001", "0.00011"));
    /* numbers a band does not take (negative, huge) in a setting that takes them */
    expect_contributions("-0.00011:-0.00009:0.00001", KV("-0.00011", "-0.0001", "-9e-05"));
    expect_contributions("1e14:1e15:4.5e14", KV("100000000000000", "550000000000000", "1e+15"));
    expect_contributions("123.456:123.458:0.001", KV("123.456", "123.457", "123.458"));
    expect_bands("2.5e-300:7.5e-300:2.5e-300", KV("2.5e-300", "5e-300", "7.5e-300"));
    /* 16 significant digits: the shortest form of the nearest double */
    char a[32], b[32], c[32];
    shortest_of("0.1234567890123456", a);
    shortest_of("0.1234567890123457", b);
    shortest_of("0.1234567890123458", c);
    expect_bands("0.1234567890123456:0.1234567890123458:0.0000000000000001", KV(a, b, c));
    /* every value of a finer grid against the %.15g text of the decimal written out here */
    rb_sweep *sw = parse_ok(DATA "[buy-and-hold]\n[flows]\ncontribution = -0.0025:0.0125:0.00005\n");
    cr_assert_eq(rb_sweep_count(sw), 301);
    for (int i = 0; i <= 300; i++) {
        char dec[32], want[32];
        snprintf(dec, sizeof dec, "%de-5", -250 + 5 * i);
        snprintf(want, sizeof want, "%.15g", strtod(dec, NULL));
        if (strcmp(want, "-0") == 0) strcpy(want, "0");
        cr_assert_str_eq(value_of(sw, (uint64_t)i, "contribution"), want, "#%d", i);
    }
    rb_sweep_free(sw);
}

Test(sweep, lists)
{
    expect_contributions("1,2,3", KV("1", "2", "3"));
    expect_contributions("  1 ,   2.50,3  ", KV("1", "2.50", "3")); /* as written, trimmed */
    expect_contributions("\"1\", \"2\"", KV("1", "2"));
    expect_contributions("7", KV("7"));

    /* a value holding '=' is one per-asset value, commas and all */
    rb_sweep *sw = parse_ok(DATA "[buy-and-hold]\n[costs]\nfee-bps = BTC=10,ETH=20\n");
    cr_assert_eq(rb_sweep_count(sw), 1);
    cr_assert_str_eq(value_of(sw, 0, "fee-bps"), "BTC=10,ETH=20");
    rb_sweep_free(sw);

    /* quoted items make a list of per-asset values */
    sw = parse_ok(DATA "[buy-and-hold]\n[costs]\nfee-bps = \"BTC=10,ETH=20\", \"BTC=5\" ,\"7\",\"5,BTC=10\"\n");
    cr_assert_eq(rb_sweep_count(sw), 4);
    cr_assert_str_eq(value_of(sw, 0, "fee-bps"), "BTC=10,ETH=20");
    cr_assert_str_eq(value_of(sw, 1, "fee-bps"), "BTC=5");
    cr_assert_str_eq(value_of(sw, 2, "fee-bps"), "7");
    cr_assert_str_eq(value_of(sw, 3, "fee-bps"), "5,BTC=10");
    rb_sweep_free(sw);

    /* words, and a strategy value with ':' that is no range */
    sw = parse_ok(DATA "[threshold]\nband = 0.05\nto = target, inner:0.5, edge\n");
    cr_assert_eq(rb_sweep_count(sw), 3);
    cr_assert_str_eq(value_of(sw, 1, "to"), "inner:0.5");
    rb_sweep_free(sw);

    /* a timestamp in [data] is one value, not a range */
    sw = parse_ok("[data]\nassets = A=1\nstart = 2024-01-02T10:00:00Z\n[buy-and-hold]\n");
    const rb_sweep_kv *data;
    cr_assert_eq(rb_sweep_data(sw, &data), 2);
    cr_assert_str_eq(data[1].value, "2024-01-02T10:00:00Z");
    rb_sweep_free(sw);
}

Test(sweep, comments_and_lines)
{
    /* ';' after a blank is a comment; '#' and ';' start comment lines */
    rb_sweep *sw = parse_ok("# grid\n" DATA "[threshold] ; the rule\n; band below\n"
                            "band = 0.05, 0.1 ; two bands\n");
    cr_assert_eq(rb_sweep_count(sw), 2);
    cr_assert_str_eq(value_of(sw, 1, "band"), "0.1");
    rb_sweep_free(sw);

    /* an indented key is a key of its own, not a continuation of the previous value */
    sw = parse_ok(DATA "[threshold]\nband = 0.05\n    to = edge\n\tcooldown = 3\n");
    cr_assert_eq(rb_sweep_count(sw), 1);
    expect_config(sw, 0, "threshold", "threshold", KV("band", "0.05", "cooldown", "3", "to", "edge"));
    rb_sweep_free(sw);

    /* CRLF line ends, a UTF-8 byte order mark, key: value */
    sw = parse_ok("\xEF\xBB\xBF[data]\r\nassets = A=1\r\n[calendar]\r\nevery: week, month\r\n");
    cr_assert_eq(rb_sweep_count(sw), 2);
    cr_assert_str_eq(value_of(sw, 1, "every"), "month");
    rb_sweep_free(sw);

    /* a section name longer than libinih's 49-character buffer is kept whole */
    sw = parse_ok(DATA "[threshold.a_name_well_beyond_the_forty_nine_characters_libinih_keeps]\nband = 0.05\n");
    const char *sec;
    rb_sweep_config(sw, 0, &sec, NULL, NULL, 0);
    cr_assert_str_eq(sec, "threshold.a_name_well_beyond_the_forty_nine_characters_libinih_keeps");
    rb_sweep_free(sw);

    /* a section with no keys is one configuration of the rule's defaults */
    sw = parse_ok(DATA "[buy-and-hold]\n[calendar]\n");
    cr_assert_eq(rb_sweep_count(sw), 2);
    expect_config(sw, 1, "calendar", "calendar", KV(NULL));
    cr_assert_eq(rb_sweep_max_keys(sw), 0);
    rb_sweep_free(sw);

    /* a line that is not indented more than the key above does not continue its value */
    parse_err(DATA "[calendar]\nevery = week,\nmonth\n",
              "t.ini:5: expected 'key = value' or a [section] header (a line that continues a value is indented "
              "more than its key)");
    /* ';' without a blank before it is inside the value */
    parse_err(DATA "[calendar]\nweekly\n", "t.ini:4: expected 'key = value' or a [section] header");
    parse_err(DATA "[threshold]\nband = 0.05;0.1\n",
              "t.ini:4: [threshold] band: ';' inside a value ('0.05;0.1'): a comment after a value needs a blank "
              "before the ';'");
    parse_err(DATA "[threshold]\nband = 0.05 # tight\n",
              "t.ini:4: [threshold] band: '#' starts a comment only at the start of a line; after a value write "
              "' ; comment'");
    /* a line longer than libinih's buffer is read whole, and its errors name it */
    char text[1024];
    snprintf(text, sizeof text, DATA "[threshold]\nband = 0.05\nto = inner:0.%0242d\n", 0);
    rb_sweep *sw2 = parse_ok(text);
    cr_assert_eq(strlen(value_of(sw2, 0, "to")), 250);
    rb_sweep_free(sw2);
    snprintf(text, sizeof text, DATA "[buy-and-hold]\n[costs]\nfee-bps = %0250d, abc\n", 0);
    parse_err(text, "t.ini:5: [costs] fee-bps: 'abc' is not a number in 'abc'");
}

Test(sweep, strategy_and_metrics_keys_in_rule_sections)
{
    rb_sweep *sw = parse_ok(DATA "[vol-band]\nband = 0.05\nvol-ref = \"0.6\", \"BTC=0.8,ETH=0.9\"\nvol-window = 21, 63\n"
                                 "targets = static, inverse-vol\nrf = 0.02\n");
    cr_assert_eq(rb_sweep_count(sw), 8);
    expect_config(sw, 7, "vol-band", "vol-band",
                  KV("band", "0.05", "rf", "0.02", "targets", "inverse-vol", "vol-ref", "BTC=0.8,ETH=0.9", "vol-window",
                     "63"));
    rb_sweep_free(sw);

    /* the flag only-breached takes 0 or 1 */
    sw = parse_ok(DATA "[threshold]\nband = 0.05\nonly-breached = 0, 1\n");
    cr_assert_str_eq(value_of(sw, 1, "only-breached"), "1");
    rb_sweep_free(sw);
}

/* ---------------------------------------------------------------- errors */

Test(sweep, key_errors)
{
    parse_err(DATA "[costs]\nfoo = 1\n[buy-and-hold]\n", "t.ini:4: [costs] foo: unknown setting");
    parse_err(DATA "[threshold]\nfee-bps = 10\n",
              "t.ini:4: [threshold] fee-bps: not a setting of this section (it belongs in [costs])");
    parse_err(DATA "[costs]\ntax-long = 0.2\n", "t.ini:4: [costs] tax-long: not a setting of this section (it belongs in "
                                                "[tax])");
    parse_err(DATA "[flows]\ncapital = 5\n",
              "t.ini:4: [flows] capital: not a setting of this section (it belongs in [data])");
    parse_err(DATA "[costs]\nband = 0.05\n", "t.ini:4: [costs] band: not a setting of this section (it belongs in "
                                             "{band})");
    parse_err(DATA "[threshold]\nevery = month\n",
              "t.ini:4: [threshold] every: not a setting of this section (it belongs in {every})");
    parse_err(DATA "[tax]\nvol-window = 20\n",
              "t.ini:4: [tax] vol-window: not a setting of this section (it belongs in a strategy section)");
    parse_err(DATA "[calendar]\nstrategy = threshold\n",
              "t.ini:4: [calendar] strategy: not a setting of a sweep file: the section name chooses the strategy "
              "([calendar], [threshold.tight], ...)");
    parse_err(DATA "[costs]\nfee-bps = 1\ngas = 2\nfee-bps = 3\n",
              "t.ini:6: [costs] fee-bps: given twice (first at line 4)");
    parse_err("assets = A=1\n[data]\n", "t.ini:1: assets: a setting before any [section]");
    parse_err(DATA "[calendar]\n= month\n", "t.ini:4: a value without a key");
}

Test(sweep, section_errors)
{
    parse_err(DATA "[threshold]\nband = 0.1\n[threshold]\nto = edge\n",
              "t.ini:5: [threshold]: section given twice (first at line 3)");
    parse_err(DATA "[threshhold]\nband = 0.1\n",
              "t.ini:3: [threshhold]: unknown section; did you mean [threshold]? (sections: [data], [costs], [tax], [flows], [venues], and one per rule "
              "named after its strategy: {rules}, or [STRATEGY.NAME])");
    parse_err(DATA "[threshhold.tight]\n",
              "t.ini:3: [threshhold.tight]: unknown strategy 'threshhold'; did you mean threshold? (known: {rules})");
    parse_err(DATA "[threshold.a b]\n", "t.ini:3: [threshold.a b]: a strategy section is [threshold] or "
                                        "[threshold.NAME], NAME of letters, digits, '_' and '-'");
    parse_err(DATA "[threshold.]\n", "t.ini:3: [threshold.]: a strategy section is [threshold] or [threshold.NAME], "
                                     "NAME of letters, digits, '_' and '-'");
    parse_err(DATA "[threshold\n", "t.ini:3: a section header needs a closing ']'");
    parse_err(DATA "[threshold] band\n", "t.ini:3: text after the section header: 'band'");
    parse_err(DATA "[]\n", "t.ini:3: []: a section needs a name");
    parse_err(DATA "[costs]\nfee-bps = 1\n",
              "t.ini: no strategy section ({rules})");
    parse_err("[data]\nstart = 2020-01-01\n[calendar]\n",
              "t.ini:1: [data] must give assets (e.g. assets = BTC=0.5,ETH=0.3,USDC=0.2)");
    parse_err("[calendar]\n", "t.ini: a [data] section must give assets (e.g. assets = BTC=0.5,ETH=0.3,USDC=0.2)");
    /* two sections of one rule that would repeat a configuration (and so an id) */
    parse_err(DATA "[threshold]\nband = 0.05, 0.1\n[costs]\nfee-bps = 1, 2\n[threshold.b]\nband = 0.100, 0.2\n",
              "t.ini:7: [threshold.b]: repeats configurations of [threshold] (line 3), e.g. "
              "strategy=threshold;band=0.1");
    parse_err(DATA "[calendar]\n[calendar.again]\n",
              "t.ini:4: [calendar.again]: repeats configurations of [calendar] (line 3), e.g. strategy=calendar");
    /* the same rule with different keys, or no common value, is fine */
    rb_sweep *sw = parse_ok(DATA "[threshold]\nband = 0.05\n[threshold.b]\nband = 0.05\nto = edge\n"
                                 "[threshold.c]\nband = 0.1\n");
    cr_assert_eq(rb_sweep_count(sw), 3);
    rb_sweep_free(sw);
}

Test(sweep, value_errors)
{
    /* rb_run_spec_set's own message, after the [section] key: prefix */
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = 10, abc\n",
              "t.ini:5: [costs] fee-bps: 'abc' is not a number in 'abc'");
    parse_err(DATA "[buy-and-hold]\n[tax]\ntax-lots = fifo, lilo\n",
              "t.ini:5: [tax] tax-lots: 'lilo' is not one of fifo|lifo|hifo|avg");
    parse_err(DATA "[calendar]\nvol-window = 1:3:1\n",
              "t.ini:4: [calendar] vol-window: 1 is out of range (2 to 1e+06)");
    parse_err(DATA "[buy-and-hold]\n[costs]\nimpact-window = 2:3:0.5\n",
              "t.ini:5: [costs] impact-window: '2.5' is not a whole number");
    parse_err("[data]\nassets = A=0.5,B=0.4\n[buy-and-hold]\n", "t.ini:2: [data] assets: the weights sum to 0.9, not 1");
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = \"SOL=10\"\n",
              "t.ini:5: [costs] fee-bps: SOL is not one of the --assets");
    /* ranges */
    parse_err(DATA "[buy-and-hold]\n[flows]\ncontribution = 0:1:0\n",
              "t.ini:5: [flows] contribution: range '0:1:0': the step is 0");
    parse_err(DATA "[buy-and-hold]\n[flows]\ncontribution = 1:0:0.1\n",
              "t.ini:5: [flows] contribution: range '1:0:0.1': the step > 0 leads away from the stop "
              "(start:stop:step)");
    parse_err(DATA "[buy-and-hold]\n[flows]\ncontribution = 0:1:-0.1\n",
              "t.ini:5: [flows] contribution: range '0:1:-0.1': the step < 0 leads away from the stop "
              "(start:stop:step)");
    parse_err(DATA "[buy-and-hold]\n[flows]\ncontribution = 0:1:x\n",
              "t.ini:5: [flows] contribution: range '0:1:x': 'x' is not a number");
    parse_err(DATA "[buy-and-hold]\n[flows]\ncontribution = 0:10000000:1\n",
              "t.ini:5: [flows] contribution: range '0:10000000:1' gives 10000001 values, more than the 100000 a sweep "
              "file may hold (all its keys together)");
    parse_err(DATA "[threshold]\nband = 1:2:1e-400\n",
              "t.ini:4: [threshold] band: range '1:2:1e-400': 1e-400 is beyond the range of a double");
    parse_err(DATA "[threshold]\nband = 1.00000000000000001:1.00000000000000003:0.00000000000000001\n",
              "t.ini:4: [threshold] band: range '1.00000000000000001:1.00000000000000003:0.00000000000000001': the step "
              "is too small to tell 1 from the next value");
    parse_err(DATA "[buy-and-hold]\n[flows]\ncontribution = 1, 0:5:1\n",
              "t.ini:5: [flows] contribution: a range cannot be an item of a list: '0:5:1'");
    /* empty values */
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps =\n", "t.ini:5: [costs] fee-bps: empty value");
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = 5,,10\n",
              "t.ini:5: [costs] fee-bps: empty value in the list '5,,10'");
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = 5, 10,\n",
              "t.ini:5: [costs] fee-bps: empty value in the list '5, 10,'");
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = \"5\", \"\"\n",
              "t.ini:5: [costs] fee-bps: empty value in the list '\"5\", \"\"'");
    /* quotes */
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = \"BTC=1\", 5\n",
              "t.ini:5: [costs] fee-bps: expected a quoted value at '5' (quote every item of the list)");
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = \"BTC=1\n",
              "t.ini:5: [costs] fee-bps: a quoted value is not closed: \"BTC=1");
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = \"BTC=1\" \"5\"\n",
              "t.ini:5: [costs] fee-bps: expected ',' after a quoted value at '\"5\"'");
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = 5, \"BTC=1\"\n",
              "t.ini:5: [costs] fee-bps: quotes make a list of per-asset values: quote every item, as in "
              "\"BTC=10,ETH=20\", \"5\"");
    /* repeats */
    parse_err(DATA "[threshold]\nband = 0.05, 0.1, 0.050\n", "t.ini:4: [threshold] band: the value 0.05 is listed twice");
    /* [data] is single */
    parse_err("[data]\nassets = A=1\nstart = 2020-01-01, 2021-01-01\n[buy-and-hold]\n",
              "t.ini:3: [data] start: values are single: the sweep runs on one dataset");
    parse_err("[data]\nassets = A=1\ncapital = 1000:3000:1000\n[buy-and-hold]\n",
              "t.ini:3: [data] capital: values are single: the sweep runs on one dataset");
    parse_err("[data]\nassets = \"A=0.5,B=0.5\", \"A=1\"\n[buy-and-hold]\n",
              "t.ini:2: [data] assets: values are single: the sweep runs on one dataset");
    /* more configurations than a sweep may hold: 10^19 */
    parse_err(DATA "[threshold]\n"
                   "band = 0:0.9:0.1\nband-rel = 0:0.9:0.1\nband-total = 0:0.9:0.1\ncooldown = 0:9:1\n"
                   "[costs]\nfee-bps = 0:9:1\nfee-min = 0:9:1\nfee-fixed = 0:9:1\nslippage-bps = 0:9:1\n"
                   "spread-bps = 0:9:1\nimpact = 0:9:1\nimpact-window = 2:11:1\namm-depth = 0:9:1\n"
                   "amm-fee-bps = 0:9:1\ngas = 0:9:1\n"
                   "[tax]\ntax-short = 0:0.9:0.1\ntax-long = 0:0.9:0.1\nlong-term-days = 0:9:1\n"
                   "wash-sale-days = 0:9:1\n[flows]\ncontribution = 0:9:1\n",
              "t.ini:3: about 1e+19 configurations, more than the 1000000000 a sweep may hold");
}

/* ---------------------------------------------------------------- canonical texts and ids */

Test(sweep, canonical_numbers)
{
    rb_sweep *sw = parse_ok(DATA "[buy-and-hold]\n[flows]\ncontribution = 0.050, 1e-2, 10.0, -0, +5, 1E3, "
                                 "0.30000000000000004, 1e-7, 123456789012\n");
    const char *want[] = {"0.05", "0.01", "10", "0", "5", "1000", "0.30000000000000004", "1e-07", "123456789012"};
    const char *written[] = {"0.050", "1e-2", "10.0", "-0", "+5", "1E3", "0.30000000000000004", "1e-7", "123456789012"};
    cr_assert_eq(rb_sweep_count(sw), 9);
    for (uint64_t k = 0; k < 9; k++) {
        char *c = canonical(sw, k), expect[128];
        snprintf(expect, sizeof expect, "strategy=buy-and-hold;contribution=%s", want[k]);
        cr_assert_str_eq(c, expect);
        cr_assert_str_eq(value_of(sw, k, "contribution"), written[k]); /* configurations keep the text */
        free(c);
    }
    rb_sweep_free(sw);

    /* per-asset values: items trimmed, numbers shortest, the all-assets value first, symbols sorted */
    sw = parse_ok(DATA "[buy-and-hold]\n[costs]\nfee-bps = \" ETH = 20.0 , 5,BTC=1e1\", \"BTC=10\"\n");
    char *c = canonical(sw, 0);
    cr_assert_str_eq(c, "strategy=buy-and-hold;fee-bps=5,BTC=10,ETH=20");
    free(c);
    c = canonical(sw, 1);
    cr_assert_str_eq(c, "strategy=buy-and-hold;fee-bps=BTC=10");
    free(c);
    rb_sweep_free(sw);

    /* words stay as written */
    sw = parse_ok(DATA "[threshold]\nband = 0.05\nto = inner:0.50\n");
    c = canonical(sw, 0);
    cr_assert_str_eq(c, "strategy=threshold;band=0.05;to=inner:0.50");
    free(c);
    rb_sweep_free(sw);
}

Test(sweep, ids_stable_across_spec_texts)
{
    rb_sweep *a = parse_ok("[data]\nassets = BTC=0.6,ETH=0.4\n"
                           "[threshold]\nband = 0.050\nto = edge\n"
                           "[costs]\nfee-bps = 1e1\nslippage-bps = ETH=8, BTC=5.0\n");
    rb_sweep *b = parse_ok("[costs]\nslippage-bps = \"BTC=5,ETH=8\"\nfee-bps = 10\n"
                           "[calendar]\nevery = week\n"
                           "[threshold.tight]\nto = edge\nband = 0.05:0.05:0.01\n"
                           "[data]\nassets = BTC=0.6,ETH=0.4\n");
    cr_assert_eq(rb_sweep_count(a), 1);
    cr_assert_eq(rb_sweep_count(b), 2);
    const char *want = "strategy=threshold;band=0.05;fee-bps=10;slippage-bps=BTC=5,ETH=8;to=edge";
    char *ca = canonical(a, 0), *cb = canonical(b, 1);
    cr_assert_str_eq(ca, want);
    cr_assert_str_eq(cb, want);
    cr_assert_eq(rb_sweep_config_id(a, 0), fnv_id(want));
    cr_assert_eq(rb_sweep_config_id(b, 1), fnv_id(want));
    cr_assert_neq(rb_sweep_config_id(b, 0), rb_sweep_config_id(b, 1));
    const char *sec;
    rb_sweep_config(b, 1, &sec, NULL, NULL, 0);
    cr_assert_str_eq(sec, "threshold.tight"); /* the section name is not part of the id */
    free(ca);
    free(cb);
    rb_sweep_free(a);
    rb_sweep_free(b);
}

Test(sweep, no_id_collision_over_100000_configurations)
{
    rb_sweep *sw = parse_ok(DATA "[threshold]\nband = 0.0001:0.01:0.0001\ncooldown = 0:9:1\n"
                                 "[costs]\nfee-bps = 0:99:1\n");
    uint64_t n = rb_sweep_count(sw);
    cr_assert_eq(n, 100000);
    int64_t *ids = malloc(n * sizeof *ids);
    cr_assert_not_null(ids);
    for (uint64_t k = 0; k < n; k++) {
        ids[k] = rb_sweep_config_id(sw, k);
        cr_assert_geq(ids[k], 0);
    }
    /* rb_sweep_list_ids: the same ids in configuration order, and sorted */
    int64_t *listed = malloc(n * sizeof *listed), *sorted = malloc(n * sizeof *sorted);
    cr_assert(listed && sorted);
    cr_assert_eq(rb_sweep_list_ids(sw, listed, sorted), -1, "no id repeats");
    cr_assert_eq(memcmp(listed, ids, n * sizeof *ids), 0, "the ids in configuration order");
    qsort(ids, n, sizeof *ids, cmp_i64);
    for (uint64_t k = 1; k < n; k++) cr_assert_neq(ids[k - 1], ids[k], "two configurations share id %lld",
                                                   (long long)ids[k]);
    cr_assert_eq(memcmp(sorted, ids, n * sizeof *ids), 0, "and sorted");
    free(listed);
    free(sorted);
    free(ids);
    rb_sweep_free(sw);
}

Test(sweep, decoding_is_a_bijection)
{
    /* 2 x 3 x 2 + 3 x 1, times 2 x 2 shared = 60 configurations */
    rb_sweep *sw = parse_ok(DATA "[hybrid]\nband = 0.02, 0.04\nevery = week, month, quarter\nmode = gated, either\n"
                                 "[calendar]\nevery = 1, 5, 21\n"
                                 "[costs]\ngas = 0, 2.5\n[tax]\ntax-short = 0, 0.3\n");
    uint64_t n = rb_sweep_count(sw);
    cr_assert_eq(n, 60);
    char **texts = malloc(n * sizeof *texts);
    cr_assert_not_null(texts);
    size_t hybrid = 0;
    for (uint64_t k = 0; k < n; k++) {
        texts[k] = canonical(sw, k);
        hybrid += strncmp(texts[k], "strategy=hybrid;", 16) == 0;
    }
    cr_assert_eq(hybrid, 48);
    qsort(texts, n, sizeof *texts, cmp_strp);
    for (uint64_t k = 1; k < n; k++) cr_assert_str_neq(texts[k - 1], texts[k]);
    for (uint64_t k = 0; k < n; k++) free(texts[k]);
    free(texts);
    rb_sweep_free(sw);
}

Test(sweep, a_million_configurations_without_materializing)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rb_sweep *sw = parse_ok(DATA "[threshold]\nband = 0.001:0.1:0.001\ncooldown = 0:99:1\n"
                                 "[costs]\nfee-bps = 0:99:1\n");
    cr_assert_eq(rb_sweep_count(sw), 1000000);
    expect_config(sw, 999999, "threshold", "threshold", KV("band", "0.1", "cooldown", "99", "fee-bps", "99"));
    /* 123456 = band 12, cooldown 34, fee 56 */
    expect_config(sw, 123456, "threshold", "threshold", KV("band", "0.013", "cooldown", "34", "fee-bps", "56"));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    cr_assert_lt(s, 1.0, "parsing a million-configuration sweep took %.3f s", s);
    rb_sweep_free(sw);
}

/* ---------------------------------------------------------------- threads */

typedef struct job {
    const rb_sweep *sw;
    int64_t sum;
} job;

static void *hash_all(void *arg)
{
    job *j = arg;
    for (uint64_t k = 0; k < rb_sweep_count(j->sw); k++) {
        rb_sweep_kv kv[8];
        rb_sweep_config(j->sw, k, NULL, NULL, kv, 8);
        j->sum += rb_sweep_config_id(j->sw, k) % 1000003;
    }
    return NULL;
}

Test(sweep, decoding_from_two_threads)
{
    rb_sweep *sw = parse_ok(example);
    job serial = {sw, 0}, a = {sw, 0}, b = {sw, 0};
    hash_all(&serial);
    pthread_t ta, tb;
    cr_assert_eq(pthread_create(&ta, NULL, hash_all, &a), 0);
    cr_assert_eq(pthread_create(&tb, NULL, hash_all, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    cr_assert_eq(a.sum, serial.sum);
    cr_assert_eq(b.sum, serial.sum);
    rb_sweep_free(sw);
}

/* ---------------------------------------------------------------- percentages */

/* The configurations' values of key, in order, joined by '|'. */
static char *values_of(const rb_sweep *sw, const char *key)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    for (uint64_t k = 0; k < rb_sweep_count(sw); k++) {
        const char *v = value_of(sw, k, key);
        fprintf(out, "%s%s", k ? "|" : "", v ? v : "-");
    }
    fclose(out);
    return buf;
}

static void expect_same_ids(const char *a_text, const char *b_text)
{
    rb_sweep *a = parse_ok(a_text), *b = parse_ok(b_text);
    cr_assert_eq(rb_sweep_count(a), rb_sweep_count(b), "%s / %s", a_text, b_text);
    for (uint64_t k = 0; k < rb_sweep_count(a); k++) {
        char *ca = canonical(a, k), *cb = canonical(b, k);
        cr_assert_str_eq(ca, cb, "configuration %llu", (unsigned long long)k);
        cr_assert_eq(rb_sweep_config_id(a, k), rb_sweep_config_id(b, k));
        free(ca);
        free(cb);
    }
    rb_sweep_free(a);
    rb_sweep_free(b);
}

Test(sweep, percentages_are_the_fractions_they_name)
{
    /* lists, ranges and per-asset values: the configurations carry the fractions */
    rb_sweep *sw = parse_ok(DATA "[threshold]\nband = 5%, 10%, 0.5%\nband-rel = 25%\n");
    char *v = values_of(sw, "band");
    cr_assert_str_eq(v, "0.05|0.1|0.005");
    free(v);
    cr_assert_str_eq(value_of(sw, 0, "band-rel"), "0.25");
    rb_sweep_free(sw);
    sw = parse_ok(DATA "[threshold]\nband = 1%:20%:1%\n");
    rb_sweep *plain = parse_ok(DATA "[threshold]\nband = 0.01:0.2:0.01\n");
    cr_assert_eq(rb_sweep_count(sw), 20);
    char *a = values_of(sw, "band"), *b = values_of(plain, "band");
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    rb_sweep_free(sw);
    rb_sweep_free(plain);
    sw = parse_ok(DATA "[vol-band]\nband = 5%\nvol-ref = \"ETH = 80%, BTC=60%\", \"70%\"\n");
    cr_assert_str_eq(value_of(sw, 0, "vol-ref"), "ETH = 0.8, BTC=0.6");
    cr_assert_str_eq(value_of(sw, 1, "vol-ref"), "0.7");
    rb_sweep_free(sw);
    /* read as written decimals, not divided: 1.1% is the double of 0.011 */
    sw = parse_ok(DATA "[buy-and-hold]\n[tax]\ntax-short = 1.1%, 35%\ntax-long = 0.1%:0.3%:0.1%\n");
    v = values_of(sw, "tax-short");
    cr_assert_str_eq(v, "0.011|0.35|0.011|0.35|0.011|0.35");
    free(v);
    v = values_of(sw, "tax-long");
    cr_assert_str_eq(v, "0.001|0.001|0.002|0.002|0.003|0.003");
    free(v);
    rb_sweep_free(sw);
    /* [data]: weights and the cash rate */
    sw = parse_ok("[data]\nassets = BTC=50%,ETH=30%,USDC=20%\ncash-rate = 2%\n[buy-and-hold]\n");
    const rb_sweep_kv *data;
    cr_assert_eq(rb_sweep_data(sw, &data), 2);
    cr_assert_str_eq(data[0].value, "BTC=0.5,ETH=0.3,USDC=0.2");
    cr_assert_str_eq(data[1].value, "0.02");
    rb_sweep_free(sw);
    /* inner:F keeps its text (the strategy reads the percentage) */
    sw = parse_ok(DATA "[threshold]\nband = 5%\nto = inner:50%\n");
    cr_assert_str_eq(value_of(sw, 0, "to"), "inner:50%");
    rb_sweep_free(sw);

    /* the same configuration, the same id, however it is written */
    expect_same_ids(DATA "[threshold]\nband = 5%, 10%\n[costs]\nfee-bps = 10\n[tax]\ntax-short = 30%\n",
                    DATA "[threshold]\nband = 0.05, 0.1\n[costs]\nfee-bps = 10\n[tax]\ntax-short = 0.3\n");
    expect_same_ids(DATA "[threshold]\nband = 1%:5%:1%\n", DATA "[threshold]\nband = 0.01, 0.02, 0.03, 0.04, 0.05\n");
    expect_same_ids(DATA "[threshold]\nband = \"BTC=10%,ETH=5%\"\n", DATA "[threshold]\nband = ETH=0.05,BTC=0.1\n");
}

Test(sweep, a_percentage_where_no_fraction_is_taken_is_refused)
{
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = 5, 5%\n",
              "t.ini:5: [costs] fee-bps: '5%' is a percentage, but --fee-bps takes BPS|SYM=BPS,... (a percent sign "
              "is only for fractions: weights, bands, rates)");
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = \"BTC=5%\"\n",
              "t.ini:5: [costs] fee-bps: 'BTC=5%' is a percentage, but --fee-bps takes BPS|SYM=BPS,... (a percent "
              "sign is only for fractions: weights, bands, rates)");
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = 1%:5%:1%\n",
              "t.ini:5: [costs] fee-bps: '1%:5%:1%' is a percentage, but --fee-bps takes BPS|SYM=BPS,... (a "
              "percent sign is only for fractions: weights, bands, rates)");
    parse_err("[data]\nassets = A=1\ncapital = 5%\n[buy-and-hold]\n",
              "t.ini:3: [data] capital: '5%' is a percentage, but --capital takes USD (a percent sign is only for "
              "fractions: weights, bands, rates)");
    parse_err(DATA "[threshold]\nband = 5%\ncooldown = 5%\n",
              "t.ini:5: [threshold] cooldown: '5%' is a percentage, but --cooldown takes BARS (a percent sign is "
              "only for fractions: weights, bands, rates)");
    parse_err(DATA "[calendar]\nevery = 5%\n",
              "t.ini:4: [calendar] every: '5%' is a percentage, but --every takes PERIOD (a percent sign is only "
              "for fractions: weights, bands, rates)");
    parse_err(DATA "[threshold]\nband = 1%:0.2:1%\n",
              "t.ini:4: [threshold] band: range '1%:0.2:1%': write all three numbers as percentages or none");

    /* the same reader on the command line's path: rb_run_spec_set */
    rb_run_spec *spec;
    rb_error err = {0};
    cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
    cr_assert_eq(rb_run_spec_set(spec, "fee-bps", "5%", &err), RB_ERR_USAGE);
    cr_assert_str_eq(err.msg, "--fee-bps: '5%' is a percentage, but --fee-bps takes BPS|SYM=BPS,... (a percent sign "
                              "is only for fractions: weights, bands, rates)");
    cr_assert_eq(rb_run_spec_set(spec, "long-term-days", "5%", &err), RB_ERR_USAGE);
    cr_assert_eq(rb_run_spec_set(spec, "cooldown", "5%", &err), RB_ERR_USAGE);
    cr_assert_eq(rb_run_spec_set(spec, "every", "5%", &err), RB_ERR_USAGE);
    cr_assert_str_eq(err.msg, "--every: '5%' is a percentage, but --every takes PERIOD (a percent sign is only for "
                              "fractions: weights, bands, rates)");
    cr_assert_eq(rb_run_spec_set(spec, "tax-short", "1.1%", &err), RB_OK, "%s", err.msg);
    cr_assert_eq(spec->tax_short, 0.011, "1.1%% read as %.17g", spec->tax_short);
    cr_assert_eq(rb_run_spec_set(spec, "assets", "A=60%,B=40%", &err), RB_OK, "%s", err.msg);
    cr_assert_eq(spec->weights[0], 0.6);
    cr_assert_eq(rb_run_spec_set(spec, "band-rel", "25%", &err), RB_OK, "%s", err.msg);
    rb_run_spec_free(spec);
}

Test(sweep, the_number_reader)
{
    const struct {
        const char *text;
        int percent;
        rb_number_read_status want;
        double value;
    } cases[] = {
        {"0.25", 0, RB_NUMBER_OK, 0.25},      {" 25% ", 1, RB_NUMBER_OK, 0.25},  {"25%", 0, RB_NUMBER_PERCENT, 0},
        {"1.1%", 1, RB_NUMBER_OK, 0.011},     {"1.1e1%", 1, RB_NUMBER_OK, 0.11}, {"-3%", 1, RB_NUMBER_OK, -0.03},
        {"1e-2%", 1, RB_NUMBER_OK, 1e-4},     {"0x10", 1, RB_NUMBER_BAD, 0},     {"inf", 1, RB_NUMBER_BAD, 0},
        {"5 %", 1, RB_NUMBER_BAD, 0},         {"%", 1, RB_NUMBER_BAD, 0},        {"5%%", 1, RB_NUMBER_BAD, 0},
        {"1e-400%", 1, RB_NUMBER_BAD, 0},     {"1e999999999999%", 1, RB_NUMBER_BAD, 0},
        {"0e999999999999%", 1, RB_NUMBER_OK, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -1;
        rb_number_read_status got = rb_number_read(cases[i].text, strlen(cases[i].text), cases[i].percent, &v);
        cr_assert_eq(got, cases[i].want, "'%s': %d, want %d", cases[i].text, got, cases[i].want);
        if (got == RB_NUMBER_OK) cr_assert_eq(v, cases[i].value, "'%s': %.17g", cases[i].text, v);
    }
    /* every hundredth: as if written two places down, never one rounding off */
    for (int i = 0; i <= 10000; i++) {
        char pct[32], dec[32];
        snprintf(pct, sizeof pct, "%d.%02d%%", i / 100, i % 100);
        snprintf(dec, sizeof dec, "%d.%04d", i / 10000, i % 10000);
        double v;
        cr_assert_eq(rb_number_read(pct, strlen(pct), 1, &v), RB_NUMBER_OK);
        cr_assert_eq(v, strtod(dec, NULL), "%s read as %.17g, %s is %.17g", pct, v, dec, strtod(dec, NULL));
    }
}

/* ---------------------------------------------------------------- long lines and continuations */

/* A sweep text with "band = " + n items "0.0001, 0.0002, ..." (+ tail) on one line, and
 * after it a [costs] line; returns it malloc'ed. */
static char *long_band_spec(size_t n, const char *format, const char *tail, const char *after)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    fputs(DATA "[threshold]\nband = ", out);
    for (size_t i = 1; i <= n; i++) {
        fprintf(out, i > 1 ? ", " : "");
        fprintf(out, format, (double)i / (double)(n * 10));
    }
    fprintf(out, "%s\n%s", tail, after);
    fclose(out);
    return buf;
}

Test(sweep, a_line_may_be_of_any_length)
{
    /* 5,000 items written by a program on one line (about 40,000 characters) */
    char *text = long_band_spec(5000, "%.6f", " ; generated", "to = edge, halfway\n[costs]\nfee-bps = 5\n");
    cr_assert_gt(strlen(text), 40000);
    rb_sweep *sw = parse_ok(text);
    cr_assert_eq(rb_sweep_count(sw), 10000);
    expect_config(sw, 0, "threshold", "threshold", KV("band", "0.000020", "fee-bps", "5", "to", "edge"));
    expect_config(sw, 2 * 2345 + 1, "threshold", "threshold", KV("band", "0.046920", "fee-bps", "5", "to", "halfway"));
    expect_config(sw, 9999, "threshold", "threshold", KV("band", "0.100000", "fee-bps", "5", "to", "halfway"));
    rb_sweep_free(sw);
    free(text);

    /* a 100,000+ character line, and errors after it name their own lines */
    text = long_band_spec(9000, "%.10f", "", "to = edge\n[costs]\nfee-bps = 5, x\n");
    cr_assert_gt(strlen(text), 100000);
    parse_err(text, "t.ini:7: [costs] fee-bps: 'x' is not a number in 'x'");
    free(text);
    /* an error inside the long value names the long value's line */
    text = long_band_spec(5000, "%.6f", ", 0.000020", "");
    parse_err(text, "t.ini:4: [threshold] band: the value 2e-05 is listed twice");
    free(text);
    text = long_band_spec(300, "%.6f", ", 0.5 # a comment", "");
    parse_err(text, "t.ini:4: [threshold] band: '#' starts a comment only at the start of a line; after a value "
                    "write ' ; comment'");
    free(text);
    /* the value is read back exactly as written, blanks and all */
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    fputs("[data]\nassets = ", out);
    for (int i = 0; i < 250; i++) fprintf(out, "%sA%03d = 0.004", i ? " ,  " : "", i);
    fputs("\n[buy-and-hold]\n", out);
    fclose(out);
    sw = parse_ok(buf);
    const rb_sweep_kv *data;
    cr_assert_eq(rb_sweep_data(sw, &data), 1);
    const char *start = strstr(buf, "A000"), *end = strstr(buf, "\n[buy");
    cr_assert_eq(strlen(data[0].value), (size_t)(end - start));
    cr_assert_eq(strncmp(data[0].value, start, (size_t)(end - start)), 0);
    rb_sweep_free(sw);
    free(buf);
    /* a run of blanks longer than libinih's line counts as one blank */
    char text2[2048];
    snprintf(text2, sizeof text2, DATA "[threshold]\nband = 0.01,%600s0.02\n", "");
    sw = parse_ok(text2);
    char *v = values_of(sw, "band");
    cr_assert_str_eq(v, "0.01|0.02");
    free(v);
    rb_sweep_free(sw);
}

Test(sweep, continuation_lines_continue_a_value)
{
    /* indented more than the key: the value goes on (a line end reads as a blank) */
    rb_sweep *sw = parse_ok(DATA "[threshold]\nband = 0.01, 0.02,\n    0.03, ; the third\n\n  ; a comment\n"
                                 "\t0.04\nto = edge\n");
    char *v = values_of(sw, "band");
    cr_assert_str_eq(v, "0.01|0.02|0.03|0.04");
    free(v);
    cr_assert_str_eq(value_of(sw, 0, "to"), "edge");
    rb_sweep_free(sw);
    sw = parse_ok("[data]\nassets = BTC=0.5,\n         ETH=0.3,\n         USDC=0.2\n[costs]\nfee-bps =\n  5,\n  10\n"
                  "[calendar]\n");
    const rb_sweep_kv *data;
    cr_assert_eq(rb_sweep_data(sw, &data), 1);
    cr_assert_str_eq(data[0].value, "BTC=0.5, ETH=0.3, USDC=0.2");
    v = values_of(sw, "fee-bps");
    cr_assert_str_eq(v, "5|10");
    free(v);
    rb_sweep_free(sw);
    /* relative to the key's own indentation */
    sw = parse_ok(DATA "  [calendar]\n  every = week,\n    month\n  on = last\n");
    v = values_of(sw, "every");
    cr_assert_str_eq(v, "week|month");
    free(v);
    rb_sweep_free(sw);
    parse_err(DATA "[calendar]\n  every = week,\n  month\n",
              "t.ini:5: expected 'key = value' or a [section] header (a line that continues a value is indented "
              "more than its key)");
    /* an indented setting or section header is one, not a continuation */
    sw = parse_ok(DATA "[calendar]\nevery = week\n    on = last\n  [threshold]\n  band = 0.05\n");
    cr_assert_eq(rb_sweep_count(sw), 2);
    expect_config(sw, 0, "calendar", "calendar", KV("every", "week", "on", "last"));
    expect_config(sw, 1, "threshold", "threshold", KV("band", "0.05"));
    rb_sweep_free(sw);
    /* errors about a continued value name the key's line; others their own */
    parse_err(DATA "[threshold]\nband = 0.05,\n   0.1,\n   0.05\n",
              "t.ini:4: [threshold] band: the value 0.05 is listed twice");
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = 5,\n  10\nbogus = 1\n", "t.ini:7: [costs] bogus: unknown setting");
    parse_err(DATA "[threshold]\nband = 0.05,\n   0.1 # tight\n",
              "t.ini:4: [threshold] band: '#' starts a comment only at the start of a line; after a value write "
              "' ; comment'");
}

/* ---------------------------------------------------------------- nearest names */

Test(sweep, unknown_names_suggest_the_nearest_known_one)
{
    parse_err(DATA "[threshold]\nbandd = 0.05\n", "t.ini:4: [threshold] bandd: unknown setting; did you mean band?");
    parse_err(DATA "[buy-and-hold]\n[costs]\nFEE-BPS = 5\n",
              "t.ini:5: [costs] FEE-BPS: unknown setting; did you mean fee-bps?");
    parse_err(DATA "[threshold]\nfoo = 1\n", "t.ini:4: [threshold] foo: unknown setting");
    parse_err(DATA "[threshhold]\n",
              "t.ini:3: [threshhold]: unknown section; did you mean [threshold]? (sections: [data], [costs], [tax], "
              "[flows], [venues], and one per rule named after its strategy: {rules}, or [STRATEGY.NAME])");
    parse_err(DATA "[cost]\n",
              "t.ini:3: [cost]: unknown section; did you mean [costs]? (sections: [data], [costs], [tax], [flows], [venues], "
              "and one per rule named after its strategy: {rules}, or [STRATEGY.NAME])");
    parse_err(DATA "[Calendar.x]\n", "t.ini:3: [Calendar.x]: unknown strategy 'Calendar'; did you mean calendar? "
                                     "(known: {rules})");
    parse_err(DATA "[buy-and-hold]\n[costs]\nfee-bps = \"ETX=5\"\n",
              "t.ini:5: [costs] fee-bps: ETX is not one of the --assets; did you mean ETH?");

    /* the helper itself */
    const char *const symbols[] = {"DAX", "SMI", "CAC", "FTSE"};
    cr_assert_str_eq(rb_nearest_name("dax", symbols, 4), "DAX");
    cr_assert_str_eq(rb_nearest_name("FTES", symbols, 4), "FTSE"); /* a swap is one edit */
    cr_assert_null(rb_nearest_name("NIKKEI", symbols, 4));
    cr_assert_null(rb_nearest_name("DAX", symbols, 4)); /* the word itself is no hint */
    const char *const commands[] = {"import", "assets", "export", "run", "sweep", "runs", "report", "synth", "demo"};
    cr_assert_str_eq(rb_nearest_name("rnu", commands, 9), "run");
    cr_assert_str_eq(rb_nearest_name("RUN", commands, 9), "run");
    cr_assert_str_eq(rb_nearest_name("swep", commands, 9), "sweep");
    cr_assert_null(rb_nearest_name("frobnicate", commands, 9));
    /* equal but for case beats a closer spelling offered first; one letter is never close */
    const char *const day[] = {"Day", "DAX"};
    cr_assert_str_eq(rb_nearest_name("dax", day, 2), "DAX");
    const char *const one[] = {"A", "b"};
    cr_assert_null(rb_nearest_name("c", one, 2));
    cr_assert_str_eq(rb_nearest_name("B", one, 2), "b");
    cr_assert_null(rb_nearest_name("x", NULL, 0));
}

/* ---------------------------------------------------------------- typed values */

Test(sweep, every_value_is_checked_at_parse_with_its_place)
{
    /* strategy parameters too: not left for configuration 2 to fail at run time */
    parse_err(DATA "[threshold]\nband = 0.05, 1.5\n", "t.ini:4: [threshold] band: 1.5 is out of range (0 to 1)");
    parse_err(DATA "[calendar]\nevery = month, fortnight\n",
              "t.ini:4: [calendar] every: 'fortnight' is not a period (day, week, month, quarter, half, year, or a "
              "number of bars >= 1)");
    parse_err(DATA "[hybrid.x]\nband = 0.05\nmode = gated, sometimes\n",
              "t.ini:5: [hybrid.x] mode: 'sometimes' is not one of gated|either");
    parse_err(DATA "[threshold]\nband = 0.05\nto = edge, inner:2\n",
              "t.ini:5: [threshold] to: 'inner:2' is not target, edge, halfway or inner:F with 0 <= F <= 1");
    parse_err(DATA "[threshold]\nband = 0.05\ncooldown = 5, 2.5\n", "t.ini:5: [threshold] cooldown: '2.5' is not a whole number");
    parse_err(DATA "[threshold]\nband = 0.05\nband-total = \"0.1\", \"BTC=0.1\"\n",
              "t.ini:5: [threshold] band-total: give one number for the whole portfolio, not per asset (got 'BTC=0.1')");
    parse_err(DATA "[vol-band]\nband = 0.05\nvol-ref = \"0.6\", \"DOGE=0.8\"\n",
              "t.ini:5: [vol-band] vol-ref: DOGE is not one of the --assets");
    parse_err(DATA "[threshold]\nband = \"0.05\", \"BTX=0.1\"\n",
              "t.ini:4: [threshold] band: BTX is not one of the --assets; did you mean BTC?");
    /* the checks across a rule's parameters, on every combination of its words */
    parse_err(DATA "[threshold.loose]\nto = edge\n",
              "t.ini:3: [threshold.loose]: threshold needs --band, --band-rel or --band-total");
    parse_err(DATA "[calendar]\nevery = month, 5\non = first, last\n",
              "t.ini:3: [calendar]: --on last applies to calendar periods, not to every 5 bars");
    rb_sweep *sw = parse_ok(DATA "[calendar]\nevery = month, quarter\non = first, last\n");
    cr_assert_eq(rb_sweep_count(sw), 4);
    rb_sweep_free(sw);
}

Test(sweep, configurations_carry_parsed_values)
{
    rb_sweep *sw = parse_ok(DATA "[threshold]\nband = \"0.05\", \"2%,BTC=0.1\"\nto = edge, inner:0.5\n"
                                 "[calendar]\nevery = 5\n[costs]\nfee-bps = 10, 2.5\n");
    cr_assert_eq(rb_sweep_count(sw), 10);
    rb_run_spec a, b;
    /* threshold: band x to x fee-bps, the last key varying fastest */
    rb_sweep_fill(sw, 7, &a); /* band #1, to #1 (inner:0.5), fee-bps #1 */
    cr_assert_str_eq(a.strategy, "threshold");
    cr_assert_eq(a.nassets, 3);
    cr_assert(a.sp.band.has_all && a.sp.band.all == 0.02 && a.sp.band.n == 1);
    cr_assert_str_eq(a.sp.band.symbol[0], "BTC");
    cr_assert_eq(a.sp.band.value[0], 0.1);
    cr_assert_eq(a.sp.to.mode, RB_TO_INNER);
    cr_assert_eq(a.sp.to.inner, 0.5);
    cr_assert(!a.fee_bps.n && a.fee_bps.has_all && a.fee_bps.all == 2.5);
    cr_assert(rb_spec_given(&a, "band") && rb_spec_given(&a, "to") && !rb_spec_given(&a, "every"));
    /* filled again: the same parsed values, borrowed (nothing read or allocated anew) */
    rb_sweep_fill(sw, 7, &b);
    cr_assert_eq(a.sp.band.symbol, b.sp.band.symbol);
    cr_assert_eq(a.symbols, b.symbols);
    /* calendar: its own value; the rules' parameters it does not set keep their defaults */
    rb_sweep_fill(sw, 8, &a);
    cr_assert_str_eq(a.strategy, "calendar");
    cr_assert_eq(a.sp.every.period, RB_PERIOD_BARS);
    cr_assert_eq(a.sp.every.bars, 5);
    cr_assert_eq(a.fee_bps.all, 10);
    cr_assert(!a.sp.band.has_all && a.sp.band.n == 0);
    cr_assert(rb_spec_given(&a, "every") && !rb_spec_given(&a, "band"));
    rb_sweep_free(sw);
}

/* A value taken out of a spec for a configuration to carry, then dropped: plain numbers and
 * words own nothing, a per-asset value (a run setting's or a rule's) its symbols and values,
 * a value read by its own rule (a pool's range, a symbol) whatever that rule allocated. Each leaves its
 * bytes zeroed; what they owned is freed (a leak fails the suite under AddressSanitizer). */
Test(sweep, carried_values_are_dropped_whole)
{
    static const struct {
        const char *key, *text;
    } cases[] = {{"fee-bps", "5,BTC=10,ETH=12.5"}, {"band", "2%,BTC=0.1"}, {"max-gap", "7"},
                 {"align", "intersect"},       {"cash-rate", "0.02"},      {"exec", "next-open"},
                 {"amm-range", "0.9:1.1,BTC=0.8:1.25"}, {"margin-asset", "USDC"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const rb_setting_info *row = rb_setting_find(cases[i].key);
        cr_assert_not_null(row, "%s", cases[i].key);
        rb_run_spec *spec = NULL;
        rb_error err = {0};
        cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK, "%s", err.msg);
        cr_assert_eq(rb_setting_read(row, cases[i].text, spec, &err), RB_OK, "%s: %s", cases[i].key, err.msg);
        unsigned char bytes[256], zero[256] = {0};
        cr_assert_leq(row->size, sizeof bytes);
        rb_setting_take(row, spec, bytes);
        cr_assert_eq(memcmp((char *)spec + row->offset, zero, row->size), 0, "%s: taken out", cases[i].key);
        if (row->type == RB_VALUE_PER_ASSET) {
            const rb_asset_values *v = (const rb_asset_values *)bytes;
            cr_assert(v->has_all && v->n == 1 + (strcmp(cases[i].key, "fee-bps") == 0), "%s", cases[i].key);
        }
        rb_setting_drop(row, bytes);
        cr_assert_eq(memcmp(bytes, zero, row->size), 0, "%s: dropped", cases[i].key);
        rb_run_spec_free(spec);
    }
}
