/* report_levels.c - when a sweep varies costs (or taxes, flows: the scenario settings), the
 * page compares at one level of them; this finds the winner and buy-and-hold at every level,
 * so that "At a glance" can show how the answer changes with the costs (report_levels.h). */
#include "report_levels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "metric_table.h"
#include "alloc.h"

#define LEVEL_VALUES_MAX 64 /* values of one setting considered */

/* The distinct values of one scenario column among the ok runs. */
typedef struct column_levels {
    int column;
    size_t n;
    char *value[LEVEL_VALUES_MAX];
    double number[LEVEL_VALUES_MAX];
} column_levels;

static rb_status add_value(void *ctx, const char *text, double number, rb_error *err)
{
    column_levels *l = ctx;
    if (!text || l->n == LEVEL_VALUES_MAX) return RB_OK;
    if (!(l->value[l->n] = rb_strdup(text))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    l->number[l->n++] = number;
    return RB_OK;
}

/* Numbers ascending, text after them in its order. */
static void sort_levels(column_levels *l)
{
    for (size_t a = 1; a < l->n; a++)
        for (size_t b = a; b > 0; b--) {
            double x = l->number[b - 1], y = l->number[b];
            int swap = isnan(x) ? !isnan(y) || strcmp(l->value[b - 1], l->value[b]) > 0 : !isnan(y) && y < x;
            if (!swap) break;
            char *t = l->value[b];
            l->value[b] = l->value[b - 1], l->value[b - 1] = t;
            l->number[b] = x, l->number[b - 1] = y;
        }
}

typedef struct first_cfg {
    const source *s;
    rb_report_cfg cfg;
    int found;
} first_cfg;

static rb_status take_first(void *ctx, const rb_results_run *run, rb_error *err)
{
    first_cfg *f = ctx;
    if (f->found) return RB_OK;
    rb_status rc = rb_src_cfg(f->s, run, &f->cfg, err);
    f->found = rc == RB_OK;
    return rc;
}

/* The best ok run under the scenario as fixed now: of the strategy, or (but) of every other. */
static rb_status best_at(source *s, const char *strategy, int but, first_cfg *out, rb_error *err)
{
    rb_results_query q = rb_src_query(s, -1, -1);
    q.strategy = strategy;
    q.not_strategy = but;
    q.by = s->metric;
    q.limit = 1;
    *out = (first_cfg){.s = s};
    return rb_results_reader_each(s->reader, &q, take_first, out, err);
}

/* One level: the scenario columns of ls fixed to the values digit[] picks. */
static rb_status one_level(source *s, const column_levels *ls, size_t nls, const size_t *digit, rb_report_level *lv,
                           rb_error *err)
{
    size_t o = 0;
    for (size_t k = 0; k < nls; k++) {
        const rb_results_column *col = &s->cols->col[ls[k].column];
        free(s->fixed[ls[k].column]);
        if (!(s->fixed[ls[k].column] = rb_strdup(ls[k].value[digit[k]]))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        if (o < sizeof lv->setting)
            o += (size_t)snprintf(lv->setting + o, sizeof lv->setting - o, "%s%s=%s", k ? ", " : "", col->key,
                                  ls[k].value[digit[k]]);
    }
    first_cfg win = {0}, hold = {0}; /* hold is freed below even when win's query fails */
    /* The best rule (buy-and-hold is what it is compared with) and buy-and-hold. */
    rb_status rc = best_at(s, "buy-and-hold", 1, &win, err);
    if (rc == RB_OK) rc = best_at(s, "buy-and-hold", 0, &hold, err);
    if (rc == RB_OK) {
        lv->value = lv->hold = NAN;
        if (win.found) {
            rb_report_cfg_label(&win.cfg, lv->winner, sizeof lv->winner);
            lv->value = rb_metric_value(&win.cfg.m, s->metric);
        } else
            snprintf(lv->winner, sizeof lv->winner, "(no run)");
        if (hold.found) lv->hold = rb_metric_value(&hold.cfg.m, s->metric);
    }
    if (win.found) rb_report_cfg_free(&win.cfg);
    if (hold.found) rb_report_cfg_free(&hold.cfg);
    return rc;
}

/* Walks the levels of the varying columns (the last one fastest), at most
 * RB_REPORT_LEVELS_MAX of them, into r->levels. */
static rb_status walk_levels(source *s, const column_levels *ls, size_t nls, rb_report *r, rb_error *err)
{
    size_t total = 1;
    for (size_t k = 0; k < nls; k++) total = total > SIZE_MAX / ls[k].n ? SIZE_MAX : total * ls[k].n;
    size_t n = total < RB_REPORT_LEVELS_MAX ? total : RB_REPORT_LEVELS_MAX;
    if (!(r->levels = rb_calloc(n, sizeof *r->levels))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    r->levels_total = total;
    size_t digit[RB_REPORT_LEVELS_MAX] = {0};
    rb_status rc = RB_OK;
    for (size_t i = 0; i < n && rc == RB_OK; i++) {
        rc = one_level(s, ls, nls, digit, &r->levels[i], err);
        r->nlevels += rc == RB_OK;
        for (size_t k = nls; k-- > 0;) {
            if (++digit[k] < ls[k].n) break;
            digit[k] = 0;
        }
    }
    return rc;
}

rb_status rb_report_levels(source *s, rb_report *r, rb_error *err)
{
    column_levels ls[RB_REPORT_LEVELS_MAX];
    size_t nls = 0;
    rb_status rc = RB_OK;
    rb_results_query all = {.sweep_id = s->sweep.id, .status = RB_RUNS_OK};
    for (size_t c = 0; c < s->cols->n && rc == RB_OK && nls < RB_REPORT_LEVELS_MAX; c++) {
        const rb_results_column *col = &s->cols->col[c];
        if (col->kind != RB_RCOL_PARAM || !rb_is_scenario_key(col->key) || !s->is_fixed[c]) continue;
        ls[nls] = (column_levels){.column = (int)c};
        rc = rb_results_reader_distinct(s->reader, &all, c, add_value, &ls[nls], err);
        if (ls[nls].n > 1) sort_levels(&ls[nls++]);
        else
            for (size_t k = 0; k < ls[nls].n; k++) free(ls[nls].value[k]);
    }
    /* The scenario as fixed now, put back once the levels are read. */
    char *saved[RB_REPORT_LEVELS_MAX] = {0};
    for (size_t k = 0; k < nls; k++) saved[k] = s->fixed[ls[k].column], s->fixed[ls[k].column] = NULL;
    if (rc == RB_OK && nls > 0) rc = walk_levels(s, ls, nls, r, err);
    for (size_t k = 0; k < nls; k++) {
        free(s->fixed[ls[k].column]);
        s->fixed[ls[k].column] = saved[k];
        for (size_t v = 0; v < ls[k].n; v++) free(ls[k].value[v]);
    }
    return rc;
}
