/* rule_samples.c - random settings for any registered rule (rule_samples.h). The values are
 * chosen by parameter key (band, every, to, ...), so a new rule made of known parameters
 * needs nothing here; a new parameter gets its line in sample() (or a failing test says so). */
#include "rule_samples.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebal.h"
#include "support.h"

static int pick(double (*uniform)(void), int n) { return (int)(uniform() * n); }

/* The directory of the schedule files drawn for --when, removed when the process ends. */
static char *when_dir;
static void remove_when_dir(void)
{
    rbt_rmtree(when_dir);
    free(when_dir);
    when_dir = NULL;
}

/* A --when schedule: a file of random days of 2019-11-01 .. 2021-06-30 (the suites that walk
 * the registry run on bars of every calendar day in that span), one day in 3 to 50, written
 * as pandas writes a boolean Series (date,flag rows of True/False) or as the days alone. */
static void sample_when(double (*uniform)(void), char *buf, size_t len)
{
    static unsigned files;
    if (!when_dir) {
        when_dir = rbt_tempdir();
        atexit(remove_when_dir);
    }
    char name[32];
    snprintf(name, sizeof name, "when-%u.csv", files++);
    size_t cap = 64 * 1024, used = 0;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    int flags = uniform() < 0.5;
    double p = 1.0 / (3 + pick(uniform, 48));
    used += (size_t)snprintf(text + used, cap - used, "%s\n", flags ? ",0" : "date");
    for (rb_time day = 1572566400; day <= 1625011200; day += 86400) { /* 2019-11-01 .. 2021-06-30 */
        char date[32];
        int on = uniform() < p;
        if (flags) used += (size_t)snprintf(text + used, cap - used, "%s,%s\n", rb_time_format(day, date), on ? "True" : "False");
        else if (on) used += (size_t)snprintf(text + used, cap - used, "%s\n", rb_time_format(day, date));
    }
    char *path = rbt_write_file(when_dir, name, text);
    snprintf(buf, len, "%s", path);
    free(path);
    free(text);
}

/* A value for parameter `key`, or 0 when it is unknown. */
static int sample(const char *key, double (*uniform)(void), int full_only, char *buf, size_t len)
{
    static const char *const every[] = {"day", "week", "month", "quarter", "half", "year", "3", "5", "7"};
    static const char *const to[] = {"target", "edge", "halfway", "inner:0.5", "inner:0.25"};
    double u = uniform();
    if (strcmp(key, "band") == 0) snprintf(buf, len, "%.4f", 0.002 + 0.08 * u);
    else if (strcmp(key, "band-rel") == 0) snprintf(buf, len, "%.3f", 0.05 + 0.35 * u);
    else if (strcmp(key, "band-total") == 0) snprintf(buf, len, "%.3f", 0.01 + 0.1 * u);
    else if (strcmp(key, "to") == 0) snprintf(buf, len, "%s", full_only ? "target" : to[pick(uniform, 5)]);
    else if (strcmp(key, "only-breached") == 0) snprintf(buf, len, "%s", full_only || u < 0.5 ? "0" : "1");
    else if (strcmp(key, "cooldown") == 0) snprintf(buf, len, "%d", (int)(u * (full_only ? 2 : 6)));
    else if (strcmp(key, "every") == 0) snprintf(buf, len, "%s", every[pick(uniform, 9)]);
    else if (strcmp(key, "on") == 0) snprintf(buf, len, "%s", u < 0.5 ? "first" : "last");
    else if (strcmp(key, "mode") == 0) snprintf(buf, len, "%s", u < 0.5 ? "gated" : "either");
    else if (strcmp(key, "vol-ref") == 0) snprintf(buf, len, "%.2f", 0.2 + 0.6 * u);
    else if (strcmp(key, "when") == 0) sample_when(uniform, buf, len);
    else return 0;
    return 1;
}

static int is_band(const char *key) { return strncmp(key, "band", 4) == 0; }

/* The parameters a rule cannot do without, put every time: the schedule's --when. */
static int is_required(const char *key) { return strcmp(key, "when") == 0; }

void rbt_rule_sample(const rb_strategy_info *rule, double (*uniform)(void), int full_only, rbt_put_fn put,
                     void *ctx)
{
    put(ctx, "strategy", rule->name);
    for (size_t k = 0; k < rule->nparams; k++) {
        const char *key = rule->params[k].key;
        char value[256];
        cr_assert(sample(key, uniform, full_only, value, sizeof value),
                  "tests/rule_samples.c knows no values for --%s of rule %s: add its kind there", key, rule->name);
        if (is_required(key) || uniform() < (is_band(key) ? 2.0 / 3 : 0.5)) put(ctx, key, value);
    }
}
