/* report_model.h - the model of a report (report_model.c): what the charts and the HTML page
 * show, gathered from a results store (a sweep) or from one run; the writers (files, charts,
 * html) turn it into files. The model holds plain data (series, grids, points, table cells
 * as text); it does not know where it came from. Internal to reports/.
 *
 * Every label, family and symbol in the model is data from the user (sweep section names,
 * asset symbols): the writers treat it as text to escape, never as markup or code. */
#ifndef RB_REPORT_MODEL_H
#define RB_REPORT_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rebal.h"

/* The role of a replayed series. */
typedef enum rb_series_role {
    RB_SERIES_HOLD = 0,  /* buy-and-hold, the baseline */
    RB_SERIES_EVERY_BAR, /* rebalanced to the targets at every bar (the other end of the frontier) */
    RB_SERIES_BEST       /* the best configuration of one family */
} rb_series_role;

/* The decomposition of a rule's excess over buy-and-hold (chart 7), each in fraction per
 * year of the after-tax growth rate g(V) = (V / capital)^(P / n) - 1, with V the after-tax
 * value and n the number of returns. The four parts add up to `excess` exactly:
 *   every_bar_gain = g(every bar, no costs, no tax) - g(hold, no costs, no tax), the same
 *                    for every family (not the rebalancing_bonus metric: docs/metrics.md)
 *   drift     = g(rule, no costs, no tax)      - g(every bar, no costs, no tax)
 *   cost_drag = [g(rule, costs) - g(rule, none)] - [g(hold, costs) - g(hold, none)]
 *   tax_drag  = [g(rule, costs+tax) - g(rule, costs)] - [g(hold, costs+tax) - g(hold, costs)]
 *   excess    = g(rule, costs+tax) - g(hold, costs+tax)
 * A rule with a perpetual-futures overlay (--overlay perp) has a fifth part, its funding and
 * derivative fees, taken out of cost_drag (which then adds to it what they leave):
 *   derivatives = g(rule, costs) - g(rule, costs without funding, perp and liquidation fees)
 *   cost_drag   = [g(rule, costs without them) - g(rule, none)] - [g(hold, costs) - g(hold, none)] */
typedef struct rb_excess_split {
    double every_bar_gain, drift, cost_drag, tax_drag, excess;
} rb_excess_split;

/* One replayed run shown in the charts: buy-and-hold, every-bar, or the best of a family. */
typedef struct rb_report_series {
    rb_series_role role;
    char family[64];  /* the sweep section ("threshold.tight"), or "buy-and-hold" / "every bar" */
    char label[256];  /* one line: family and parameters ("threshold.tight band=0.05 to=edge") */
    int64_t config_id; /* its id in the sweep, 0 when it is not one of the sweep's configurations */
    char edge[160];    /* RB_SERIES_BEST: "band = 0.2, the largest swept" when a swept parameter
                          of the best is at the end of its grid (rb_report_cfg.edge) */
    rb_metrics metrics;
    size_t T;
    rb_time *time;     /* T bar times */
    double *value;     /* T portfolio values (USD) */
    double *drawdown;  /* T drawdown of the time-weighted index, a fraction >= 0 */
    size_t nyears;
    int *years;        /* nyears calendar years */
    double *annual;    /* nyears time-weighted returns of each year (the first and last may be
                          partial years), fractions */
    double *ret;       /* T bar returns r_t (ret[0] = 0), flows removed: the period tables and
                          charts 8 and 9; NULL when not known */
    int has_split;     /* RB_SERIES_BEST: the split below is filled */
    rb_excess_split split;
    /* --overlay perp (rb_excess_split above): the split's derivatives part, 0 without one */
    int overlay;
    double derivatives;
    /* --overlay perp: the same configuration trading spot (--overlay none), for the page's side
     * by side (html_overlay.c) */
    int has_spot;
    rb_metrics spot;
} rb_report_series;

/* Chart 3: the weights of one run over time against its targets. */
typedef struct rb_report_weights {
    char label[256];
    size_t T, N;
    rb_time *time;       /* T */
    char **symbols;      /* N */
    double *weights;     /* T*N end-of-bar weights, row-major by bar */
    double *target;      /* N static targets (the first bar's targets) */
    size_t nrebalances;
    rb_time *rebalances; /* dates of the rebalances that traded */
} rb_report_weights;

/* Chart 4: a metric over two parameters of one family. z[iy * nx + ix] is NaN where no
 * configuration has that pair; where several do (other parameters vary), the best. */
typedef struct rb_report_heatmap {
    char family[64];
    char x_key[64], y_key[64]; /* parameter names as flags ("band", "fee-bps") */
    char z_label[128];          /* what z is, with its unit ("excess after-tax growth over buy-and-hold at
                                   the same costs (pp per year)") */
    int diverging;              /* 1: z is an excess, coloured around 0 (negative red, positive blue) */
    size_t nx, ny;
    double *x, *y;              /* the distinct values, ascending (a word axis: its positions) */
    char (*x_words)[64];        /* a word axis (every, on, to): the word at each x; NULL when
                                   the axis is numeric */
    char (*y_words)[64];
    double *z;                  /* ny*nx */
} rb_report_heatmap;

/* Chart 5: every configuration as a point, costs (or turnover) against tracking error. */
typedef struct rb_report_frontier {
    char x_label[128], y_label[128]; /* with units: "tracking error (% per year)" */
    size_t nfamilies;
    char (*families)[64];  /* nfamilies names; points refer to them by index */
    size_t npoints;
    size_t *family;        /* npoints family indexes */
    double *x, *y;         /* npoints, already in the axis units */
    double hold_x, hold_y; /* buy-and-hold */
    double every_x, every_y; /* every-bar rebalancing */
    double best_x, best_y;   /* the best configuration (NaN when there is none) */
    char best_label[256];    /* its label ("threshold.tight band=0.05"), "" when there is none */
    uint64_t sampled_from; /* configurations the points were sampled from (= npoints when all) */
} rb_report_frontier;

/* "At a glance" when a sweep varies costs (or other scenario settings): the winner and its
 * margin over buy-and-hold at each level, the other scenario settings as compared. */
typedef struct rb_report_level {
    char setting[160]; /* "fee-bps=10" (several keys joined by ", ") */
    char winner[256];  /* the best rule's label at that level (buy-and-hold is the yardstick) */
    double value;      /* its ranking metric */
    double hold;       /* buy-and-hold's at that level; NaN when the sweep has none there */
} rb_report_level;

/* A table of text cells for the HTML page (the top configurations per family). */
typedef struct rb_report_table {
    size_t ncols, nrows;
    char **head;    /* ncols column names: static strings (rb_report_release frees the array only) */
    int *numeric;   /* ncols: 1 when the column holds numbers (right-aligned, sorted numerically) */
    char **cells;   /* nrows*ncols, row-major; "" for an empty cell */
} rb_report_table;

/* The charts, in the order the issue numbers them; the file base names in DIR/charts/. */
typedef enum rb_chart_id {
    RB_CHART_EQUITY = 0,
    RB_CHART_DRAWDOWN,
    RB_CHART_WEIGHTS,
    RB_CHART_HEATMAP,
    RB_CHART_FRONTIER,
    RB_CHART_ANNUAL,
    RB_CHART_EXCESS,
    RB_CHART_MONTHLY, /* issue 19: the monthly returns table of the best run */
    RB_CHART_ROLLING, /* issue 19: rolling one-year Sharpe ratio and volatility */
    RB_CHART_COUNT
} rb_chart_id;

typedef enum rb_chart_state {
    RB_CHART_DRAWN = 0,  /* charts/NAME.png and charts/NAME.svg exist */
    RB_CHART_NOT_APPLICABLE, /* nothing to draw (a heatmap of one run); why says so */
    RB_CHART_NO_GNUPLOT, /* gnuplot is not installed; the data and script are written */
    RB_CHART_FAILED      /* gnuplot failed; why holds its message */
} rb_chart_state;

typedef struct rb_chart_outcome {
    rb_chart_state state;
    char why[256];
} rb_chart_outcome;

/* The whole report. */
typedef struct rb_report {
    char title[256];
    char subtitle[512];       /* portfolio and data range, one line */
    char dates[128];          /* the data range alone: "2015-01-01 to 2024-12-31 (3653 bars)" (the
                                 charts of one run say this, not the sweep's subtitle) */
    char scenario[320];       /* the settings the comparisons share, "fee-bps=10, tax=fifo" ("" when none) */
    double capital;           /* the starting capital (USD) of the replayed runs; NaN when unknown */
    char metric[64];          /* the ranking metric (after_tax_value by default) */
    rb_report_level *levels;  /* nlevels: the winner at each level of the swept scenario settings */
    size_t nlevels;
    size_t levels_total;      /* the levels there are (nlevels shows the first RB_REPORT_LEVELS_MAX) */
    char sweep_status[16];    /* a sweep's status (done, interrupted, failed, running); "" for one run */
    int64_t sweep_stored;     /* configurations stored (those that failed included) */
    int64_t sweep_planned;    /* configurations the sweep file expands to */
    char *conventions;        /* the text of conventions.txt */
    rb_report_series *series; /* nseries: [0] buy-and-hold, [1] every bar, then one per family */
    size_t nseries;
    int has_weights;
    rb_report_weights weights;
    int has_heatmap;
    rb_report_heatmap heatmap;
    char heatmap_why[256];    /* why there is no heatmap */
    rb_report_frontier frontier;
    rb_report_table top;      /* the top configurations per family */
    size_t ncsv;
    char **csv;               /* the CSV (and text) files written, relative to DIR */
    char *extra_html;         /* a section after the charts (the sweep's out-of-sample test), or NULL */
    struct rb_report_resample *resample; /* the sweep's resampled histories (report_resample.h);
                                            NULL when it has none */
} rb_report;

#define RB_REPORT_LEVELS_MAX 24

void rb_report_release(rb_report *r);

/* Adds a file name (relative to the report's directory) to r->csv, the files the page lists. */
rb_status rb_report_add_file(rb_report *r, const char *name, rb_error *err);

/* Chart names ("equity", "drawdown", ...) and titles ("Equity curves", ...). */
const char *rb_chart_name(rb_chart_id id);
const char *rb_chart_title(rb_chart_id id);

#endif /* RB_REPORT_MODEL_H */
