/* plan.c - the windows of an out-of-sample test (oos.h): --walk-forward TRAIN:TEST in
 * calendar time or in bars, rolling or anchored, and --split DATE, laid over the bars of the
 * sweep's data (docs/sweeps.md, "Out of sample"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "date.h"
#include "error.h"
#include "metric_table.h"
#include "oos.h"

/* A length: months and days of calendar time, or bars. */
typedef struct span_len {
    long months, days, bars;
} span_len;

/* "3y", "18m", "6w", "30d", "500b" (a whole number >= 1 and its unit). */
static rb_status read_len(const char *text, size_t len, const char *all, span_len *out, rb_error *err)
{
    memset(out, 0, sizeof *out);
    char buf[32];
    if (len == 0 || len >= sizeof buf)
        return rb_fail(err, RB_ERR_USAGE, "--walk-forward '%s': expected TRAIN:TEST, each a number and a unit (3y:1y, "
                                          "18m:6m, 500b:100b)", all);
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long n = strtol(buf, &end, 10);
    if (end == buf || buf[0] == '-' || buf[0] == '+' || errno || n < 1 || n > 100000)
        return rb_fail(err, RB_ERR_USAGE, "--walk-forward '%s': '%s' is not a whole number from 1 to 100000 and a unit "
                                          "(y years, m months, w weeks, d days, b bars)", all, buf);
    if (strlen(end) != 1)
        return rb_fail(err, RB_ERR_USAGE, "--walk-forward '%s': '%s' needs one unit after the number (y years, m "
                                          "months, w weeks, d days, b bars)", all, buf);
    switch (*end) {
    case 'y': out->months = 12 * n; break;
    case 'm': out->months = n; break;
    case 'w': out->days = 7 * n; break;
    case 'd': out->days = n; break;
    case 'b': out->bars = n; break;
    default:
        return rb_fail(err, RB_ERR_USAGE, "--walk-forward '%s': '%c' is not a unit (y years, m months, w weeks, d "
                                          "days, b bars)", all, *end);
    }
    return RB_OK;
}

static rb_status read_walk(const char *text, span_len *train, span_len *test, rb_error *err)
{
    const char *colon = strchr(text, ':');
    if (!colon || strchr(colon + 1, ':'))
        return rb_fail(err, RB_ERR_USAGE, "--walk-forward '%s': expected TRAIN:TEST, e.g. 3y:1y, 18m:6m or 500b:100b",
                       text);
    rb_status rc = read_len(text, (size_t)(colon - text), text, train, err);
    if (rc == RB_OK) rc = read_len(colon + 1, strlen(colon + 1), text, test, err);
    if (rc == RB_OK && (train->bars > 0) != (test->bars > 0))
        rc = rb_fail(err, RB_ERR_USAGE, "--walk-forward '%s': give both parts in bars (500b:100b) or both in time "
                                        "(3y:1y)", text);
    return rc;
}

/* The metric's name: a flag's spelling (after-tax-value) is read as the column's. */
static void metric_name(const char *by, char out[64])
{
    snprintf(out, 64, "%s", by ? by : "after_tax_value");
    for (char *c = out; *c; c++)
        if (*c == '-') *c = '_';
}

rb_status rb_oos_check(const rb_oos_options *o, rb_error *err)
{
    if (!o || (!o->walk_forward && !o->split))
        return rb_fail(err, RB_ERR_USAGE, "an out-of-sample test needs --walk-forward TRAIN:TEST or --split DATE");
    if (o->walk_forward && o->split)
        return rb_fail(err, RB_ERR_USAGE, "--walk-forward and --split: give one of them (--split is one window)");
    if (o->anchored && !o->walk_forward)
        return rb_fail(err, RB_ERR_USAGE, "--anchored: only with --walk-forward (a --split trains from the first bar)");
    char by[64];
    metric_name(o->by, by);
    if (!rb_metric_find(by))
        return rb_fail(err, RB_ERR_USAGE, "--by: '%s' is not a metric (see 'rebal help metrics')", o->by);
    if (o->walk_forward) {
        span_len a, b;
        return read_walk(o->walk_forward, &a, &b, err);
    }
    rb_time t;
    rb_status rc = rb_time_parse(o->split, NULL, &t, err);
    if (rc != RB_OK) rb_error_prefix(err, "--split '%s'", o->split);
    return rc;
}

/* t0 moved by k lengths of len plus one of `plus` (months first, the day clamped to the
 * month's last, the time of day kept). */
static rb_time advance(rb_time t0, const span_len *len, long k, const span_len *plus)
{
    int64_t days = rb_time_days(t0);
    rb_time tod = t0 - days * RB_SECONDS_PER_DAY;
    int y;
    unsigned m, d;
    rb_civil_from_days(days, &y, &m, &d);
    long months = (long)(m - 1) + k * len->months + (plus ? plus->months : 0);
    y += (int)(months / 12);
    m = (unsigned)(months % 12) + 1;
    unsigned dim = rb_days_in_month(y, m);
    if (d > dim) d = dim;
    int64_t out = rb_days_from_civil(y, m, d) + k * len->days + (plus ? plus->days : 0);
    return out * RB_SECONDS_PER_DAY + tod;
}

/* The last bar at or before t (time[0] <= t). */
static size_t bar_at(const rb_time *time, size_t T, rb_time t)
{
    size_t lo = 0, hi = T; /* time[lo] <= t < time[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (time[mid] <= t) lo = mid;
        else hi = mid;
    }
    return lo;
}

static rb_status add_window(rb_oos_plan *p, size_t cap, size_t a, size_t b, size_t c, const rb_time *time,
                            const char *opt, rb_error *err)
{
    char x[32], y[32];
    if (p->n >= cap)
        return rb_fail(err, RB_ERR_USAGE, "%s: more than the %d windows a test may have", opt, RB_OOS_MAX_WINDOWS);
    if (b <= a)
        return rb_fail(err, RB_ERR_DATA, "%s: window %zu's training part (%s to %s) holds fewer than 2 bars", opt,
                       p->n + 1, rb_time_format(time[a], x), rb_time_format(time[b], y));
    if (c <= b)
        return rb_fail(err, RB_ERR_DATA, "%s: window %zu's test part (%s to %s) holds fewer than 2 bars", opt,
                       p->n + 1, rb_time_format(time[b], x), rb_time_format(time[c], y));
    p->w[p->n++] = (rb_oos_span){a, b, c};
    return RB_OK;
}

static rb_status walk_windows(const rb_oos_options *o, const rb_time *time, size_t T, rb_oos_plan *p, size_t cap,
                              rb_error *err)
{
    span_len train, test;
    rb_status rc = read_walk(o->walk_forward, &train, &test, err);
    char opt[128];
    snprintf(opt, sizeof opt, "--walk-forward %.100s", o->walk_forward);
    for (long k = 0; rc == RB_OK; k++) {
        size_t a, b, c;
        if (train.bars) {
            uint64_t end = (uint64_t)train.bars + (uint64_t)(k + 1) * (uint64_t)test.bars;
            if (end > T - 1) break;
            a = o->anchored ? 0 : (size_t)k * (size_t)test.bars;
            b = (size_t)train.bars + (size_t)k * (size_t)test.bars;
            c = (size_t)end;
        } else {
            rb_time tc = advance(time[0], &test, k + 1, &train);
            if (tc > time[T - 1]) break;
            a = o->anchored ? 0 : bar_at(time, T, advance(time[0], &test, k, NULL));
            b = bar_at(time, T, advance(time[0], &test, k, &train));
            c = bar_at(time, T, tc);
        }
        rc = add_window(p, cap, a, b, c, time, opt, err);
    }
    if (rc == RB_OK && p->n == 0) {
        char x[32], y[32];
        rc = rb_fail(err, RB_ERR_DATA, "%s: the windows are longer than the data: a training part and a test part "
                                       "need more than the %zu bars from %s to %s", opt, T, rb_time_format(time[0], x),
                     rb_time_format(time[T - 1], y));
    }
    return rc;
}

static rb_status split_window(const rb_oos_options *o, const rb_time *time, size_t T, rb_oos_plan *p, rb_error *err)
{
    rb_time t;
    rb_status rc = rb_time_parse(o->split, NULL, &t, err);
    if (rc != RB_OK) {
        rb_error_prefix(err, "--split '%s'", o->split);
        return rc;
    }
    char x[32], y[32];
    if (t < time[0] || t >= time[T - 1])
        return rb_fail(err, RB_ERR_DATA, "--split %s: outside the data, whose bars run from %s to %s (the split is a "
                                         "bar before the last)", o->split, rb_time_format(time[0], x),
                       rb_time_format(time[T - 1], y));
    char opt[64];
    snprintf(opt, sizeof opt, "--split %.40s", o->split);
    return add_window(p, 1, 0, bar_at(time, T, t), T - 1, time, opt, err);
}

rb_status rb_oos_plan_make(const rb_oos_options *o, const rb_time *time, size_t T, rb_oos_plan *out, rb_error *err)
{
    memset(out, 0, sizeof *out);
    rb_status rc = rb_oos_check(o, err);
    if (rc != RB_OK) return rc;
    if (T < 3) return rb_fail(err, RB_ERR_DATA, "an out-of-sample test needs 3 bars or more; the data has %zu", T);
    size_t cap = o->split ? 1 : RB_OOS_MAX_WINDOWS;
    if (!(out->w = rb_malloc(cap * sizeof *out->w))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    rc = o->split ? split_window(o, time, T, out, err) : walk_windows(o, time, T, out, cap, err);
    if (rc != RB_OK) {
        rb_oos_plan_free(out);
        return rc;
    }
    metric_name(o->by, out->by);
    if (o->split) {
        char d[32];
        snprintf(out->scheme, sizeof out->scheme, "split %s", rb_time_format(time[out->w[0].train_last], d));
    } else {
        snprintf(out->scheme, sizeof out->scheme, "walk-forward %.60s%s", o->walk_forward, o->anchored ? " anchored" : "");
    }
    return RB_OK;
}

void rb_oos_plan_free(rb_oos_plan *p)
{
    free(p->w);
    memset(p, 0, sizeof *p);
}
