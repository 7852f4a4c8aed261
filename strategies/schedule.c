/* schedule.c - rebalance to the targets in force on exactly the bars the user lists, and on
 * no others: a custom calendar without writing C (a model's signal, an exchange's own
 * rebalancing days, the bars of another backtest to reproduce).
 *
 * schedule --when FILE.csv: a CSV whose first column holds the dates (any format
 * rb_time_parse detects; a header row allowed), and an optional second column of flags, 1,
 * 0, true or false (a pandas boolean Series as to_csv writes it): the rows flagged true are
 * the rebalancing bars (data/dated_tables.h). From arrays: rb_run_spec_set_schedule.
 *
 * Every listed time within the run's first and last bar must be one of its bars (else an
 * error naming it, with FILE:LINE); times before the first bar or after the last are
 * ignored, so that one file serves several date ranges. Bar 0 is the first allocation, as
 * for every rule; a listed bar 0 adds nothing. With --exec next-open the rule decides on a
 * listed bar and trades at the next bar's open, like any other. */
#include <string.h>

#include "dated_tables.h"
#include "error.h"
#include "strategy.h"

static rb_status read_when(const char *key, const char *text, void *field, rb_error *err)
{
    rb_schedule **when = field;
    rb_schedule *s = NULL;
    if (text[0]) {
        rb_status rc = rb_schedule_read(text, &s, err);
        if (rc != RB_OK) return rb_error_prefix(err, "--%s", key);
    }
    rb_schedule_free(*when);
    *when = s;
    return RB_OK;
}

static const rb_setting_info params[] = {
    {.key = "when", .arg = "FILE.csv", .def = "", .group = "strategy",
     .help = "the bars to rebalance on: a CSV of dates, optionally with a second column of flags 1|0|true|false",
     .type = RB_VALUE_OTHER, .read = read_when, RB_PARAM_FIELD(when), .input = RB_INPUT_FILE},
};

typedef struct schedule_state {
    size_t n;     /* listed bars within the run */
    size_t bar[]; /* n bar indices, increasing */
} schedule_state;

static size_t state_size(const rb_strategy_params *p, size_t N)
{
    (void)N;
    return sizeof(schedule_state) + (p->when ? p->when->n : 0) * sizeof(size_t);
}

static rb_status check(const rb_strategy_params *p, rb_error *err)
{
    if (!p->when) return rb_fail(err, RB_ERR_USAGE, "schedule needs --when FILE.csv (the bars to rebalance on)");
    return RB_OK;
}

/* "--when: FILE:LINE: 2020-01-04 is not one of the run's bars (...)". */
static rb_status not_a_bar(const rb_schedule *w, size_t k, const rb_matrix *m, size_t t, rb_error *err)
{
    char where[512] = "", at[32], before[32], after[32];
    if (w->source) {
        rb_schedule_where(w, k, where, sizeof where - 2);
        strcat(where, ": ");
    }
    return rb_fail(err, RB_ERR_DATA, "--when: %s%s is not one of the run's bars (it falls between the bars %s and %s)",
                   where, rb_time_format(w->time[k], at), rb_time_format(m->time[t - 1], before),
                   rb_time_format(m->time[t], after));
}

static rb_status setup(const rb_strategy_params *p, const rb_strategy_inputs *in, void *state, rb_error *err)
{
    rb_status rc = check(p, err);
    if (rc != RB_OK) return rc;
    const rb_matrix *m = in->m;
    const rb_schedule *w = p->when;
    schedule_state *s = state;
    s->n = 0;
    size_t t = 0;
    for (size_t k = 0; k < w->n; k++) {
        rb_time at = w->time[k];
        if (at < m->time[0] || at > m->time[m->T - 1]) continue; /* outside the run: ignored */
        while (m->time[t] < at) t++; /* stops at the last bar at the latest */
        if (m->time[t] != at) return not_a_bar(w, k, m, t, err);
        s->bar[s->n++] = t;
    }
    return RB_OK;
}

static int decide(const void *state, const rb_decide_ctx *ctx, double *to)
{
    (void)to; /* full rebalance: `to` already holds the targets */
    const schedule_state *s = state;
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->bar[mid] < ctx->t) lo = mid + 1;
        else hi = mid;
    }
    return lo < s->n && s->bar[lo] == ctx->t;
}

const rb_strategy rb_strategy_schedule = {
    .info = {.name = "schedule",
             .summary = "rebalance to the targets on exactly the bars listed (--when FILE.csv)",
             .params = params,
             .nparams = sizeof params / sizeof params[0]},
    .state_size = state_size,
    .setup = setup,
    .decide = decide,
    .check = check,
};
