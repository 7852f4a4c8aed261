/* periods.c - a run's period tables (rebal.h, rb_run_write_monthly and rb_run_write_rolling;
 * docs/metrics.md, "Period tables"): the time-weighted return of every calendar month and
 * year, and the rolling one-year return, volatility and Sharpe ratio, from the run's value
 * series with its flows removed (the returns r_t of every metric). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "csv_write.h"
#include "date.h"
#include "error.h"
#include "metrics.h"
#include "periods.h"
#include "run_result.h"

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* r_t by the accumulator's expression (metric_acc.h, rb_metric_acc_return). */
static double bar_return(const rb_sim_result *s, size_t t)
{
    double inv = 1 / s->value[t - 1];
    return (s->value[t] - s->flow[t]) * inv - 1.0;
}

rb_status rb_periods_monthly_of(const rb_time *time, const double *r, size_t T, rb_month_table *out, rb_error *err)
{
    int y0, y1;
    unsigned mo, d;
    rb_civil_from_days(rb_time_days(time[0]), &y0, &mo, &d);
    rb_civil_from_days(rb_time_days(time[T - 1]), &y1, &mo, &d);
    size_t years = (size_t)(y1 - y0 + 1);
    double *cell = rb_malloc(years * 13 * sizeof *cell);
    if (!cell) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < years * 13; k++) cell[k] = NAN;
    /* Each return compounds into its bar's month and year: a month (or year) starts from
     * the last close before it, so the table's months chain into the total return. */
    for (size_t t = 1; t < T; t++) {
        int y;
        rb_civil_from_days(rb_time_days(time[t]), &y, &mo, &d);
        double g = 1.0 + r[t];
        double *m = &cell[(size_t)(y - y0) * 13 + (mo - 1)], *yr = &cell[(size_t)(y - y0) * 13 + 12];
        *m = isnan(*m) ? g : *m * g;
        *yr = isnan(*yr) ? g : *yr * g;
    }
    for (size_t k = 0; k < years * 13; k++) cell[k] -= 1.0;
    *out = (rb_month_table){.first_year = y0, .years = years, .cell = cell};
    return RB_OK;
}

rb_status rb_periods_rolling_of(const rb_time *time, const double *r, size_t T, double P, double rf_year,
                                rb_rolling *out, rb_error *err)
{
    const double rf = rf_year / P;
    const size_t n = T - 1;
    double wr = round(P);
    size_t W = wr < 2 ? 2 : (size_t)wr;
    *out = (rb_rolling){.window = W};
    if (n < W) return RB_OK; /* no whole year of returns: an empty table */
    size_t rows = n - W + 1;
    double *x = rb_malloc(4 * rows * sizeof *x);
    if (!x) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    double *ret = x, *vol = ret + rows, *sharpe = vol + rows, *when = sharpe + rows;
    for (size_t k = 0; k < rows; k++) {
        /* the returns of bars k + 1 .. k + W; two passes for the variance */
        const double *w = r + k + 1;
        double sum = 0, g = 1, ss = 0;
        for (size_t j = 0; j < W; j++) sum += w[j], g *= 1.0 + w[j];
        double mean = sum / (double)W;
        for (size_t j = 0; j < W; j++) ss += (w[j] - mean) * (w[j] - mean);
        double sd = sqrt(ss / (double)(W - 1));
        ret[k] = g - 1.0;
        vol[k] = sd * sqrt(P);
        sharpe[k] = sd > RB_METRIC_NOISE ? sqrt(P) * (mean - rf) / sd : NAN;
        when[k] = (double)time[k + W];
    }
    *out = (rb_rolling){.window = W, .rows = rows, .ret = ret, .vol = vol, .sharpe = sharpe, .when = when, .owned = x};
    return RB_OK;
}

void rb_periods_returns(const rb_sim_result *s, double *r)
{
    r[0] = 0;
    for (size_t t = 1; t < s->T; t++) r[t] = bar_return(s, t);
}

/* The run's returns (malloc'ed), or NULL when out of memory. */
static double *returns_of(const rb_run_result *res, rb_error *err)
{
    double *r = rb_malloc(res->sim.T * sizeof *r);
    if (!r) rb_fail(err, RB_ERR_NOMEM, "out of memory");
    else rb_periods_returns(&res->sim, r);
    return r;
}

static rb_status finish(FILE *out, const char *what, rb_error *err)
{
    int werr = rb_stream_errno(out);
    if (werr) return rb_fail(err, RB_ERR_IO, "writing the %s failed: %s", what, strerror(werr));
    return RB_OK;
}

rb_status rb_run_write_monthly(const rb_run_result *r, FILE *out, rb_error *err)
{
    rb_month_table tab;
    double *x = returns_of(r, err);
    if (!x) return RB_ERR_NOMEM;
    rb_status rc = rb_periods_monthly_of(r->m->time, x, r->sim.T, &tab, err);
    free(x);
    if (rc != RB_OK) return rc;
    fputs("year", out);
    for (int k = 0; k < 12; k++) fprintf(out, ",%s", month_names[k]);
    fputs(",Year\r\n", out);
    for (size_t y = 0; y < tab.years; y++) {
        fprintf(out, "%d", tab.first_year + (int)y);
        for (int k = 0; k < 13; k++) {
            putc(',', out);
            rb_csv_number(out, tab.cell[y * 13 + (size_t)k]);
        }
        fputs("\r\n", out);
    }
    free(tab.cell);
    return finish(out, "monthly returns", err);
}

rb_status rb_run_write_rolling(const rb_run_result *r, FILE *out, rb_error *err)
{
    rb_rolling ro;
    double *x = returns_of(r, err);
    if (!x) return RB_ERR_NOMEM;
    const rb_metrics *mx = &r->sim.metrics;
    rb_status rc = rb_periods_rolling_of(r->m->time, x, r->sim.T, mx->periods_per_year, mx->rf, &ro, err);
    free(x);
    if (rc != RB_OK) return rc;
    fputs("date,return_1y,vol_1y,sharpe_1y\r\n", out);
    for (size_t k = 0; k < ro.rows; k++) {
        char date[32];
        fputs(rb_time_format((rb_time)ro.when[k], date), out);
        double cells[3] = {ro.ret[k], ro.vol[k], ro.sharpe[k]};
        for (int c = 0; c < 3; c++) {
            putc(',', out);
            rb_csv_number(out, cells[c]);
        }
        fputs("\r\n", out);
    }
    free(ro.owned);
    return finish(out, "rolling statistics", err);
}
