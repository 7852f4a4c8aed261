/* targets_table.c - a targets table (--targets-csv, rb_run_spec_set_target_table) and a
 * schedule given as arrays (rb_run_spec_set_schedule) in a run spec: the checks that need
 * no data (rb_spec_check_targets), and the table laid over a run's matrix (resolve.h:
 * rb_resolve_target_table). The table's row in force at a bar is taken by the simulator
 * (simulate.c), with the column map made here. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dated_tables.h"
#include "error.h"
#include "resolve.h"
#include "spec.h"
#include "text.h"

rb_status rb_run_spec_set_schedule(rb_run_spec *spec, const rb_time *times, size_t n, rb_error *err)
{
    if (!spec) return rb_fail(err, RB_ERR_USAGE, "rb_run_spec_set_schedule: no spec");
    rb_schedule *s;
    rb_status rc = rb_schedule_from_times(times, n, &s, err);
    if (rc != RB_OK) return rc;
    rb_schedule_free(spec->sp.when);
    spec->sp.when = s;
    rb_spec_mark_given(spec, rb_setting_find("when")->key);
    return RB_OK;
}

rb_status rb_run_spec_set_target_table(rb_run_spec *spec, const char *const *symbols, size_t nsymbols,
                                       const rb_time *times, size_t nrows, const double *weights, rb_error *err)
{
    if (!spec) return rb_fail(err, RB_ERR_USAGE, "rb_run_spec_set_target_table: no spec");
    rb_target_table *t;
    rb_status rc = rb_target_table_from_arrays(symbols, nsymbols, times, nrows, weights, &t, err);
    if (rc != RB_OK) return rc;
    rb_target_table_free(spec->target_table);
    spec->target_table = t;
    return RB_OK;
}

/* "--targets-csv: FILE:LINE: " before a message about row r (SIZE_MAX: the header), or
 * "targets table: " for a table built from arrays. */
static void table_place(const rb_target_table *t, size_t r, char *buf, size_t len)
{
    if (!t->source) {
        snprintf(buf, len, "targets table: ");
        return;
    }
    char where[480];
    rb_target_table_where(t, r, where, sizeof where);
    snprintf(buf, len, "--targets-csv: %s: ", where);
}

static size_t index_of(const char *const *names, size_t n, const char *name)
{
    size_t i = 0;
    while (i < n && strcmp(names[i], name) != 0) i++;
    return i;
}

/* The table's columns are exactly the assets, in any order. */
static rb_status check_columns(const rb_run_spec *spec, const rb_target_table *t, rb_error *err)
{
    char place[512];
    table_place(t, SIZE_MAX, place, sizeof place);
    const char *const *assets = (const char *const *)spec->symbols;
    for (size_t j = 0; j < t->nsymbols; j++)
        if (index_of(assets, spec->nassets, t->symbol[j]) == spec->nassets) {
            rb_nearest near;
            rb_nearest_init(&near, t->symbol[j]);
            for (size_t i = 0; i < spec->nassets; i++) rb_nearest_offer(&near, assets[i]);
            return rb_fail(err, RB_ERR_USAGE, "%sthe column %s is not one of the --assets%s (the columns must be "
                                              "exactly the --assets)",
                           place, t->symbol[j], rb_nearest_hint(&near));
        }
    for (size_t i = 0; i < spec->nassets; i++)
        if (index_of((const char *const *)t->symbol, t->nsymbols, assets[i]) == t->nsymbols)
            return rb_fail(err, RB_ERR_USAGE, "%sno column for %s, one of the --assets (the columns must be exactly the "
                                              "--assets)",
                           place, assets[i]);
    return RB_OK;
}

rb_status rb_spec_check_targets(const rb_run_spec *spec, rb_error *err)
{
    const rb_target_table *t = spec->target_table;
    if (!t) {
        if (spec->nassets && !spec->weights)
            return rb_fail(err, RB_ERR_USAGE, "--assets: give every asset a weight (SYM=W,...: AAPL=0.6,CASH=0.4); the "
                                              "symbols alone need --targets-csv");
        return RB_OK;
    }
    const char *what = t->source ? "--targets-csv" : "a targets table";
    if (spec->targets == 1)
        return rb_fail(err, RB_ERR_USAGE, "%s does not combine with --targets inverse-vol: the table gives the targets "
                                          "(use one or the other)",
                       what);
    if (spec->weights)
        return rb_fail(err, RB_ERR_USAGE, "--assets: with %s give the symbols alone (--assets %s%s...): the table's row "
                                          "in force at the first bar is the initial allocation",
                       what, spec->symbols[0], spec->nassets > 1 ? "," : "");
    return check_columns(spec, t, err);
}

rb_status rb_resolve_target_table(const rb_target_table *t, const rb_matrix *m, size_t *col, double *target,
                                  rb_error *err)
{
    for (size_t i = 0; i < m->N; i++) {
        col[i] = index_of((const char *const *)t->symbol, t->nsymbols, m->symbols[i]);
        if (col[i] == t->nsymbols) /* rb_spec_check_targets makes sure it is not */
            return rb_fail(err, RB_ERR_USAGE, "targets table: no column for %s", m->symbols[i]);
    }
    size_t r = rb_target_table_row(t, m->time[0]);
    if (r == SIZE_MAX) {
        char place[512], first[32], bar[32];
        table_place(t, 0, place, sizeof place);
        return rb_fail(err, RB_ERR_DATA, "%sthe first row is dated %s, after the run's first bar %s (a row must be in "
                                         "force from the first bar)",
                       place, rb_time_format(t->time[0], first), rb_time_format(m->time[0], bar));
    }
    for (size_t i = 0; i < m->N; i++) target[i] = t->weight[r * t->nsymbols + col[i]];
    return RB_OK;
}
