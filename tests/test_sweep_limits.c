/* test_sweep_limits.c - the size limits of sweep files (issue 14, defect 4): values,
 * rule sections and configurations are counted from the ranges' sizes before any range is
 * written out, so a file past a limit is refused at once, in little memory, with counts a
 * person can read; files at the limits are accepted. The hostile files of the issue are
 * run through `rebal sweep --dry-run` with the CPU time and (where AddressSanitizer does
 * not need it all) the address space of the process bounded, so that a rebal which
 * expanded them would fail these tests in seconds instead of running for minutes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "rebal.h"
#include "support.h"
#include "sweep.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define DATA "[data]\nassets = BTC=0.5,ETH=0.5\n" /* one value */

/* ---------------------------------------------------------------- the parser */

TestSuite(sweep_limits, .timeout = 120);

static rb_sweep *parse_ok(const char *text)
{
    rb_sweep *sw = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_sweep_parse_text(text, "t.ini", &sw, &err), RB_OK, "%s", err.msg);
    return sw;
}

static void parse_err(const char *text, const char *want)
{
    rb_sweep *sw = NULL;
    rb_error err = {0};
    rb_status rc = rb_sweep_parse_text(text, "t.ini", &sw, &err);
    cr_assert_eq(rc, RB_ERR_USAGE, "want '%s', got status %d (%s)", want, rc, err.msg);
    cr_assert_null(sw);
    cr_assert_str_eq(err.msg, want);
}

/* A text of at most 64 KB built by printf-like pieces. */
static char *text_of(const char *head, const char *fmt, int from, int to, const char *tail)
{
    size_t cap = 1 << 16, len = 0;
    char *s = malloc(cap);
    cr_assert_not_null(s);
    len += (size_t)snprintf(s, cap, "%s", head);
    for (int i = from; i < to; i++) len += (size_t)snprintf(s + len, cap - len, fmt, i, i);
    snprintf(s + len, cap - len, "%s", tail);
    cr_assert_lt(len + strlen(tail), cap - 1);
    return s;
}

Test(sweep_limits, values_up_to_the_limit_are_accepted_one_more_is_refused)
{
    /* [data] holds 1 value, the range 99,999: 100,000 in all */
    rb_sweep *sw = parse_ok(DATA "[threshold]\nband = 0.00001:0.99999:0.00001\n");
    cr_assert_eq(RB_SWEEP_MAX_VALUES, 100000);
    cr_assert_eq(rb_sweep_count(sw), 99999);
    rb_sweep_free(sw);
    parse_err(DATA "[threshold]\nband = 0.00001:1:0.00001\n",
              "t.ini:4: [threshold] band: range '0.00001:1:0.00001' gives 100000 values, 100001 with the keys before "
              "it, more than the 100000 a sweep file may hold (all its keys together)");
}

Test(sweep_limits, the_values_of_every_key_and_section_count_together)
{
    /* 1 + 3 x 30,000 fit; the fourth section's 30,000 do not (line 10); the keys after it are
     * only counted, however large */
    parse_err(DATA "[calendar.a]\nevery = 1:30000:1\n[calendar.b]\nevery = 30001:60000:1\n"
                   "[calendar.c]\nevery = 60001:90000:1\n[calendar.d]\nevery = 90001:120000:1\n"
                   "[threshold]\nband = 0.001:1:0.001\n",
              "t.ini:10: [calendar.d] every: range '90001:120000:1' gives 30000 values, 120001 with the keys "
              "before it, more than the 100000 a sweep file may hold (all its keys together)");
    /* a list counts like a range */
    char *list = text_of(DATA "[threshold]\nband = 0.00001:0.99999:0.00001\n[costs]\nfee-bps = ", "%d.%d, ", 1, 3,
                         "0\n");
    parse_err(list, "t.ini:6: [costs] fee-bps: the list gives 3 values, 100003 with the keys before it, more than "
                    "the 100000 a sweep file may hold (all its keys together)");
    free(list);
}

Test(sweep_limits, counts_too_large_to_read_are_written_about_so_many)
{
    parse_err(DATA "[buy-and-hold]\n[flows]\ncontribution = 6:10000000:1\n",
              "t.ini:5: [flows] contribution: range '6:10000000:1' gives 9999995 values, more than the 100000 a sweep "
              "file may hold (all its keys together)");
    /* past both limits: the configurations are what the message counts */
    parse_err(DATA "[buy-and-hold]\n[flows]\ncontribution = 0:1e300:1\n",
              "t.ini:3: about 1e+300 configurations, more than the 1000000000 a sweep may hold");
    parse_err(DATA "[buy-and-hold]\n[flows]\ncontribution = 0:1.23e20:1\n",
              "t.ini:3: about 1.2e+20 configurations, more than the 1000000000 a sweep may hold");
    parse_err(DATA "[buy-and-hold]\n[flows]\ncontribution = 0:9.96e20:1\n",
              "t.ini:3: about 1e+21 configurations, more than the 1000000000 a sweep may hold");
    parse_err(DATA "[buy-and-hold]\n[flows]\ncontribution = -1e308:1e308:1\n",
              "t.ini:3: over 1e+308 configurations, more than the 1000000000 a sweep may hold");
}

Test(sweep_limits, configurations_up_to_the_limit_are_accepted_one_more_is_refused)
{
    /* 1,000 x 1,000 x 1,000 = 10^9 configurations from 3,000 values */
    const char *grid = DATA "[threshold]\nband = 0.001:1:0.001\ncooldown = 0:999:1\n[flows]\ncontribution = 1:1000:1\n";
    rb_sweep *sw = parse_ok(grid);
    cr_assert_eq(rb_sweep_count(sw), RB_SWEEP_MAX_CONFIGS);
    char canon[256];
    rb_sweep_canonical(sw, RB_SWEEP_MAX_CONFIGS - 1, canon, sizeof canon);
    cr_assert_str_eq(canon, "strategy=threshold;band=1;contribution=1000;cooldown=999");
    rb_sweep_free(sw);
    char more[512];
    snprintf(more, sizeof more, "%s[buy-and-hold]\n", grid);
    parse_err(more, "t.ini:3: 1000001000 configurations, more than the 1000000000 a sweep may hold ([threshold] gives "
                    "1000000000 of them)");
}

Test(sweep_limits, configurations_are_the_sum_over_the_rule_sections)
{
    /* (1,000 + 1,000 x 10,000) x 1,000 from 12,001 values; the largest section is named */
    parse_err(DATA "[calendar]\nevery = 1:1000:1\n[threshold]\nband = 0.001:1:0.001\ncooldown = 1:10000:1\n"
                   "[flows]\ncontribution = 1:1000:1\n",
              "t.ini:5: 10001000000 configurations, more than the 1000000000 a sweep may hold ([threshold] gives "
              "10000000000 of them)");
}

Test(sweep_limits, rule_sections_up_to_the_limit_are_accepted_one_more_is_refused)
{
    char *sections = text_of(DATA, "[threshold.s%d]\nband = 0.%05d\n", 1, RB_SWEEP_MAX_SECTIONS + 1, "");
    rb_sweep *sw = parse_ok(sections);
    cr_assert_eq(rb_sweep_count(sw), RB_SWEEP_MAX_SECTIONS);
    rb_sweep_free(sw);
    free(sections);
    sections = text_of(DATA, "[threshold.s%d]\nband = 0.%05d\n", 1, RB_SWEEP_MAX_SECTIONS + 1, "[calendar]\n");
    parse_err(sections, "t.ini:2003: [calendar]: more rule sections than the 1000 a sweep file may hold");
    free(sections);
}

/* ---------------------------------------------------------------- rebal sweep --dry-run */

static char *dir;

static void cli_setup(void)
{
    dir = rbt_tempdir();
    rbt_run_result r = rbt_run(dir, NULL, ARGS("synth", "--days", "60", "-o", "p.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    r = rbt_run(dir, NULL, ARGS("import", "-q", "--db", "p.db", "p.csv"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    rbt_run_result_free(&r);
    /* Every process started from here on gets at most 20 s of CPU and, without
     * AddressSanitizer (which reserves terabytes of address space), 512 MB. */
    struct rlimit cpu = {20, 20};
    cr_assert_eq(setrlimit(RLIMIT_CPU, &cpu), 0);
#if defined(__SANITIZE_ADDRESS__)
#define RBT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RBT_ASAN 1
#endif
#endif
#ifndef RBT_ASAN
    struct rlimit as = {512u << 20, 512u << 20};
    cr_assert_eq(setrlimit(RLIMIT_AS, &as), 0);
#endif
}

static void cli_teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}

/* `rebal sweep FILE --dry-run` on text: refused with exit 2 and the one-line message want. */
static void dry_run_refused(const char *text, const char *want)
{
    free(rbt_write_file(dir, "h.ini", text));
    rbt_run_result r = rbt_run(dir, NULL, ARGS("sweep", "h.ini", "--db", "p.db", "--dry-run"));
    cr_expect_eq(r.status, 2, "status %d (stdout: %s; stderr: %s)", r.status, r.out, r.err);
    char line[1024];
    snprintf(line, sizeof line, "rebal: %s\n", want);
    cr_expect_str_eq(r.err, line);
    rbt_run_result_free(&r);
}

Test(sweep_limits, hostile_files_are_refused_in_little_time_and_memory, .init = cli_setup, .fini = cli_teardown)
{
    /* one range of 10^7 values (the 46 bytes: 237 MB before) */
    dry_run_refused(DATA "[buy-and-hold]\n[flows]\ncontribution = 6:10000000:1\n",
                    "h.ini:5: [flows] contribution: range '6:10000000:1' gives 9999995 values, more than the 100000 a "
                    "sweep file may hold (all its keys together)");
    /* three of them (1.6 GB and 20 s before) */
    dry_run_refused(DATA "[threshold]\nband = 0.0000001:0.9999999:0.0000001\ncooldown = 1:9999999:1\n"
                         "[flows]\ncontribution = 1:9999999:1\n",
                    "h.ini:3: about 1e+21 configurations, more than the 1000000000 a sweep may hold");
    /* 461 bytes: 15 ranges of 10^7 over 7 sections (past 5 GB before) */
    char *many = text_of(DATA "[flows]\ncontribution = 1:9999999:1\n",
                         "[threshold.s%d]\nband = 1e-7:1:1e-7\ncooldown = 1:9999999:1\n", 0, 7, "");
    dry_run_refused(many, "h.ini:5: about 7e+21 configurations, more than the 1000000000 a sweep may hold "
                          "([threshold.s0] gives about 1e+21 of them)");
    free(many);
}

Test(sweep_limits, the_help_states_the_limits, .init = cli_setup, .fini = cli_teardown)
{
    rbt_run_result r = rbt_run(dir, NULL, ARGS("sweep", "--help"));
    cr_assert_eq(r.status, 0);
    cr_expect_not_null(strstr(r.out, "100,000 values"), "%s", r.out);
    cr_expect_not_null(strstr(r.out, "1,000 rule sections"), "%s", r.out);
    cr_expect_not_null(strstr(r.out, "1,000,000,000 configurations"), "%s", r.out);
    rbt_run_result_free(&r);
}
