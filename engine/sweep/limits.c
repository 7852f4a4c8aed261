/* limits.c - the size of a sweep file, counted before anything large is written out: the
 * values of every key against RB_SWEEP_MAX_VALUES as they are read (a range is counted
 * from its three numbers and written out only within the limit), then, once the text is
 * read, its configurations against RB_SWEEP_MAX_CONFIGS, from the keys' counts. Past a
 * limit the rest of the file is only counted, so a file of a few lines asking for 10^21
 * configurations is refused in milliseconds, in a few MB, with counts people can read. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sweep_internal.h"

/* A count as text: exact below 10^15, else "about 1.2e+21" from its log10, or "more than
 * 1e+308" beyond doubles. */
static void count_text(double n, double log10n, char *buf, size_t len)
{
    if (n < 1e15) {
        snprintf(buf, len, "%.0f", n);
        return;
    }
    if (!(log10n < 308)) { /* infinite or not a number: a count past doubles */
        snprintf(buf, len, "over 1e+308");
        return;
    }
    int e = (int)floor(log10n);
    double m = pow(10, log10n - e);
    if (m >= 9.95) { /* "%.2g" would write 10 */
        m = 1;
        e++;
    }
    snprintf(buf, len, "about %.2ge+%d", m, e);
}

int sw_values_fit(parse_ctx *c, const section *s, const char *key, const char *range, double count)
{
    if (c->over_line) return 0;
    if (count <= (double)(RB_SWEEP_MAX_VALUES - c->nvalues)) {
        c->nvalues += (size_t)count;
        return 1;
    }
    char what[96], n[48], total[48];
    if (range) snprintf(what, sizeof what, "range '%.60s'", range);
    else snprintf(what, sizeof what, "%s", count == 1 ? "its value" : "the list");
    count_text(count, log10(count), n, sizeof n);
    if (c->nvalues == 0 || count > RB_SWEEP_MAX_VALUES) {
        snprintf(c->over_msg, sizeof c->over_msg,
                 "[%s] %s: %s gives %s values, more than the %d a sweep file may hold (all its keys together)", s->name,
                 key, what, n, RB_SWEEP_MAX_VALUES);
    } else {
        double sum = (double)c->nvalues + count;
        count_text(sum, log10(sum), total, sizeof total);
        snprintf(c->over_msg, sizeof c->over_msg,
                 "[%s] %s: %s gives %s values, %s with the keys before it, more than the %d a sweep file may hold "
                 "(all its keys together)",
                 s->name, key, what, n, total, RB_SWEEP_MAX_VALUES);
    }
    c->over_line = c->line;
    return 0;
}

/* The product of the counts of a section's keys, and its log10 (which does not overflow). */
static double section_count(const section *s, double *log10n)
{
    double n = 1;
    *log10n = 0;
    for (size_t i = 0; i < s->nkeys; i++) {
        n *= s->keys[i].count;
        *log10n += log10(s->keys[i].count);
    }
    return n;
}

static int is_shared(const section *s)
{
    return s->kind == SEC_COSTS || s->kind == SEC_TAX || s->kind == SEC_FLOWS || s->kind == SEC_VENUES;
}

int sw_check_size(parse_ctx *c)
{
    const rb_sweep *sw = c->sw;
    /* Configurations: the sum over the rule sections of their keys' product, times the
     * product of the shared keys (expand.c's mixed radix), in doubles and, for the message,
     * in log10 (the sum as the largest term times 1 + the others' ratios). */
    double shared = 1, shared_log = 0, total = 0, top_log = -INFINITY, ratios = 0, l;
    const section *top = NULL;
    size_t rules = 0;
    for (size_t i = 0; i < sw->nsec; i++)
        if (is_shared(&sw->sec[i])) {
            shared *= section_count(&sw->sec[i], &l);
            shared_log += l;
        }
    for (size_t i = 0; i < sw->nsec; i++)
        if (sw->sec[i].kind == SEC_STRATEGY) {
            total += section_count(&sw->sec[i], &l) * shared;
            if (l > top_log || !top) top_log = l, top = &sw->sec[i];
            rules++;
        }
    for (size_t i = 0; top && i < sw->nsec; i++)
        if (sw->sec[i].kind == SEC_STRATEGY) {
            section_count(&sw->sec[i], &l);
            ratios += pow(10, l - top_log);
        }
    if (top && total > (double)RB_SWEEP_MAX_CONFIGS) {
        char all[48], most[48], which[160] = "";
        count_text(total, top_log + log10(ratios) + shared_log, all, sizeof all);
        if (rules > 1) { /* which section gives the most */
            count_text(section_count(top, &l) * shared, top_log + shared_log, most, sizeof most);
            snprintf(which, sizeof which, " ([%.60s] gives %s of them)", top->name, most);
        }
        return sw_fail_line(c, RB_ERR_USAGE, top->line, "%s configurations, more than the %llu a sweep may hold%s", all,
                            (unsigned long long)RB_SWEEP_MAX_CONFIGS, which);
    }
    if (c->over_line) return sw_fail_line(c, RB_ERR_USAGE, c->over_line, "%s", c->over_msg);
    return 1;
}
