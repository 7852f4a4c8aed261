/* charts.c - the seven report charts (charts.h): each chart's data files and script written
 * into DIR/charts/ by its own file over the shared frame (chart_frame.h), then all drawn by
 * gnuplot side by side. */
#include "charts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chart_frame.h"
#include "error.h"
#include "gnuplot.h"

rb_status rb_charts_write(const rb_report *r, const char *dir, rb_chart_outcome out[RB_CHART_COUNT], rb_error *err)
{
    char cdir[4096];
    int n = snprintf(cdir, sizeof cdir, "%s/charts", dir);
    if (n < 0 || (size_t)n >= sizeof cdir) return rb_fail(err, RB_ERR_IO, "%s: path too long", dir);
    if (mkdir(cdir, 0777) != 0) {
        struct stat sb;
        if (errno != EEXIST || stat(cdir, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return rb_fail(err, RB_ERR_IO, "%s: cannot create the charts folder: %s", cdir,
                           errno == EEXIST ? "a file of that name exists" : strerror(errno));
    }
    rb_chart_families fm;
    rb_status st = rb_chart_families_build(r, &fm, err);
    if (st) return st;
    rb_chart_outcome res[RB_CHART_COUNT];
    int ready[RB_CHART_COUNT] = {0};
    for (int c = 0; c < RB_CHART_COUNT; c++) res[c] = (rb_chart_outcome){.state = RB_CHART_FAILED};
    st = rb_chart_curves(r, cdir, &fm, RB_CHART_EQUITY, &res[RB_CHART_EQUITY], &ready[RB_CHART_EQUITY], err);
    if (!st)
        st = rb_chart_curves(r, cdir, &fm, RB_CHART_DRAWDOWN, &res[RB_CHART_DRAWDOWN], &ready[RB_CHART_DRAWDOWN], err);
    if (!st) st = rb_chart_weights(r, cdir, &res[RB_CHART_WEIGHTS], &ready[RB_CHART_WEIGHTS], err);
    if (!st) st = rb_chart_heatmap(r, cdir, &res[RB_CHART_HEATMAP], &ready[RB_CHART_HEATMAP], err);
    if (!st) st = rb_chart_frontier(r, cdir, &fm, &res[RB_CHART_FRONTIER], &ready[RB_CHART_FRONTIER], err);
    if (!st) st = rb_chart_annual(r, cdir, &fm, &res[RB_CHART_ANNUAL], &ready[RB_CHART_ANNUAL], err);
    if (!st) st = rb_chart_excess(r, cdir, &res[RB_CHART_EXCESS], &ready[RB_CHART_EXCESS], err);
    if (!st) st = rb_chart_monthly(r, cdir, &res[RB_CHART_MONTHLY], &ready[RB_CHART_MONTHLY], err);
    if (!st) st = rb_chart_rolling(r, cdir, &fm, &res[RB_CHART_ROLLING], &ready[RB_CHART_ROLLING], err);
    free(fm.name);
    if (st) return st;
    rb_chart_id ids[RB_CHART_COUNT];
    size_t nready = 0;
    for (int c = 0; c < RB_CHART_COUNT; c++) {
        if (ready[c]) {
            ids[nready++] = (rb_chart_id)c;
            continue;
        }
        /* Not drawn this time: a drawing left by an earlier report must not be shown. */
        char old[4200];
        snprintf(old, sizeof old, "%s/%s.png", cdir, rb_chart_name((rb_chart_id)c));
        remove(old);
        snprintf(old, sizeof old, "%s/%s.svg", cdir, rb_chart_name((rb_chart_id)c));
        remove(old);
    }
    rb_gnuplot_run(cdir, ids, nready, res);
    memcpy(out, res, sizeof res);
    return RB_OK;
}

