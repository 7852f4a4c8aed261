/* report_periods.c - the period tables of a report's replayed series (report_files.h):
 * monthly_returns.csv and rolling_1y.csv, by the engine's period tables (engine/periods.h),
 * the same numbers as rebal run --monthly and --rolling. */
#include <stdio.h>
#include <stdlib.h>

#include "csv_write.h"
#include "error.h"
#include "periods.h"
#include "report_files.h"

static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* The series' label and config id (empty for the anchors), then a comma. */
static void put_series(FILE *f, const rb_report_series *s)
{
    rb_csv_safe_text(f, s->label);
    if (s->config_id) fprintf(f, ",%lld,", (long long)s->config_id);
    else fputs(",,", f);
}

static int has_returns(const rb_report_series *s) { return s->ret && s->time && s->T >= 2; }

static rb_status write_monthly(rb_report *r, const char *dir, rb_error *err)
{
    const char *name = "monthly_returns.csv";
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    fputs("series,config_id,year", f);
    for (int k = 0; k < 12; k++) fprintf(f, ",%s", months[k]);
    fputs(",Year\r\n", f);
    rb_status rc = RB_OK;
    for (size_t k = 0; k < r->nseries && rc == RB_OK; k++) {
        const rb_report_series *s = &r->series[k];
        if (!has_returns(s)) continue;
        rb_month_table tab;
        if ((rc = rb_periods_monthly_of(s->time, s->ret, s->T, &tab, err)) != RB_OK) break;
        for (size_t y = 0; y < tab.years; y++) {
            put_series(f, s);
            fprintf(f, "%d", tab.first_year + (int)y);
            for (int c = 0; c < 13; c++) {
                putc(',', f);
                rb_csv_number(f, tab.cell[y * 13 + (size_t)c]);
            }
            fputs("\r\n", f);
        }
        free(tab.cell);
    }
    rc = rb_report_close(f, dir, name, rc, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

static rb_status write_rolling(rb_report *r, const char *dir, rb_error *err)
{
    const char *name = "rolling_1y.csv";
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    fputs("series,config_id,date,return_1y,vol_1y,sharpe_1y\r\n", f);
    rb_status rc = RB_OK;
    for (size_t k = 0; k < r->nseries && rc == RB_OK; k++) {
        const rb_report_series *s = &r->series[k];
        if (!has_returns(s)) continue;
        rb_rolling ro;
        rc = rb_periods_rolling_of(s->time, s->ret, s->T, s->metrics.periods_per_year, s->metrics.rf, &ro, err);
        if (rc != RB_OK) break;
        for (size_t i = 0; i < ro.rows; i++) {
            char date[32];
            put_series(f, s);
            fputs(rb_time_format((rb_time)ro.when[i], date), f);
            double cells[3] = {ro.ret[i], ro.vol[i], ro.sharpe[i]};
            for (int c = 0; c < 3; c++) {
                putc(',', f);
                rb_csv_number(f, cells[c]);
            }
            fputs("\r\n", f);
        }
        free(ro.owned);
    }
    rc = rb_report_close(f, dir, name, rc, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

rb_status rb_report_write_periods(rb_report *r, const char *dir, rb_error *err)
{
    rb_status rc = write_monthly(r, dir, err);
    return rc == RB_OK ? write_rolling(r, dir, err) : rc;
}
