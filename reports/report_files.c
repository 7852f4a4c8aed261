/* report_files.c - the report's directory and files (report_files.h), and the CSV files of
 * the runs a report replays: each equity curve in full, all curves side by side, the orders,
 * the realized gains, the annual returns and the split of each family's excess over
 * buy-and-hold. RFC 4180, ISO dates, shortest exact numbers; text cells neutralized for
 * spreadsheets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv_write.h"
#include "error.h"
#include "lots.h"
#include "report_files.h"
#include "run_output.h"
#include "text.h"

rb_status rb_report_make_dir(const char *dir, rb_error *err)
{
    if (!dir || !*dir) return rb_fail(err, RB_ERR_USAGE, "no report directory given (--out DIR)");
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) return rb_fail(err, RB_ERR_IO, "%s: exists and is not a directory", dir);
        return RB_OK;
    }
    if (mkdir(dir, 0777) != 0) return rb_fail(err, RB_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    return RB_OK;
}

FILE *rb_report_open(const char *dir, const char *name, rb_error *err)
{
    char path[4096];
    if (strncmp(name, "curves/", 7) == 0) {
        snprintf(path, sizeof path, "%s/curves", dir);
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            rb_fail(err, RB_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
            return NULL;
        }
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) rb_fail(err, RB_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    return f;
}

rb_status rb_report_close(FILE *f, const char *dir, const char *name, rb_status rc, rb_error *err)
{
    int werr = rb_stream_close(f);
    if (werr && rc == RB_OK) return rb_fail(err, RB_ERR_IO, "%s/%s: write failed: %s", dir, name, strerror(werr));
    return rc;
}

static void put_date(FILE *out, rb_time t)
{
    char buf[32];
    fputs(rb_time_format(t, buf), out);
}

/* The series' first two columns: its label and config id. */
static void put_series(FILE *out, const rb_report_series *s)
{
    rb_csv_safe_text(out, s->label);
    if (s->config_id) fprintf(out, ",%lld,", (long long)s->config_id);
    else fputs(",,", out);
}

/* The stem of series k's files: buy-and-hold, every-bar, then 01-FAMILY, 02-FAMILY, ... */
static void series_stem(const rb_report *r, size_t k, char *out, size_t len)
{
    const rb_report_series *s = &r->series[k];
    if (s->role == RB_SERIES_HOLD) snprintf(out, len, "buy-and-hold");
    else if (s->role == RB_SERIES_EVERY_BAR) snprintf(out, len, "every-bar");
    else {
        char safe[64];
        rb_safe_file_name(s->family, "", safe, sizeof safe);
        snprintf(out, len, "%02zu-%s", k - 1, safe);
    }
}

static rb_status write_curve(rb_report *r, size_t k, const rb_run_result *run, const char *dir, rb_error *err)
{
    char stem[96], name[128];
    series_stem(r, k, stem, sizeof stem);
    snprintf(name, sizeof name, "curves/%s.csv", stem);
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    rb_status rc = rb_run_write_curve(run, f, err);
    if (rc != RB_OK) rb_error_prefix(err, "%s/%s", dir, name);
    rc = rb_report_close(f, dir, name, rc, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

/* All values side by side, one column per series named by its file stem: a wide price file
 * that `rebal import` reads back (each strategy becomes an asset). */
static rb_status write_equity(rb_report *r, const char *dir, rb_error *err)
{
    const char *name = "curves/equity.csv";
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    fputs("date", f);
    for (size_t k = 0; k < r->nseries; k++) {
        char stem[96];
        series_stem(r, k, stem, sizeof stem);
        putc(',', f);
        rb_csv_safe_text(f, stem);
    }
    fputs("\r\n", f);
    /* Every series replays the same matrix, so their bars are the same. */
    for (size_t t = 0; t < r->series[0].T; t++) {
        put_date(f, r->series[0].time[t]);
        for (size_t k = 0; k < r->nseries; k++) {
            putc(',', f);
            if (t < r->series[k].T) rb_csv_number(f, r->series[k].value[t]);
        }
        fputs("\r\n", f);
    }
    rb_status rc = rb_report_close(f, dir, name, RB_OK, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

static rb_status write_trades(rb_report *r, const rb_run_result *const *runs, const char *dir, rb_error *err)
{
    const char *name = "trades.csv";
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    /* A run that routed its orders (--venues) has a row per leg: then every row says its
     * venue ("" where an order was not routed) and its whole order's units, as `rebal run
     * --trades` writes them. */
    int routed = 0;
    for (size_t k = 0; k < r->nseries; k++) routed |= runs[k]->venues;
    fputs(routed ? "series,config_id," RB_TRADE_COLUMNS RB_TRADE_VENUE_COLUMNS "\r\n"
                 : "series,config_id," RB_TRADE_COLUMNS "\r\n",
          f);
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_portfolio *p = &runs[k]->sim.portfolio;
        for (size_t j = 0; j < p->ntrades; j++) {
            put_series(f, &r->series[k]);
            if (routed) rb_write_trade_row_venue(f, runs[k]->m, &p->trades[j], rb_csv_safe_text);
            else rb_write_trade_row(f, runs[k]->m, &p->trades[j], rb_csv_safe_text);
        }
    }
    rb_status rc = rb_report_close(f, dir, name, RB_OK, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

static rb_status write_gains(rb_report *r, const rb_run_result *const *runs, const char *dir, rb_error *err)
{
    const char *name = "realized_gains.csv";
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    fputs("series,config_id,symbol,lot_id,open_date,close_date,units,cost,proceeds,gain,term,wash_disallowed\r\n", f);
    for (size_t k = 0; k < r->nseries; k++) {
        size_t n;
        const rb_lot_piece *lots = rb_lots_ledger(runs[k]->sim.portfolio.lots, &n);
        for (size_t j = 0; j < n; j++) {
            const rb_lot_piece *l = &lots[j];
            if (l->closed == RB_TIME_OPEN) continue;
            put_series(f, &r->series[k]);
            rb_csv_safe_text(f, runs[k]->m->symbols[l->asset]);
            fprintf(f, ",%lld,", (long long)l->lot_id);
            put_date(f, l->opened);
            putc(',', f);
            put_date(f, l->closed);
            double cells[] = {l->units, l->cost, l->proceeds, l->gain};
            for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++) {
                putc(',', f);
                rb_csv_number(f, cells[c]);
            }
            fprintf(f, ",%s,", l->long_term ? "long" : "short");
            rb_csv_number(f, l->disallowed);
            fputs("\r\n", f);
        }
    }
    rb_status rc = rb_report_close(f, dir, name, RB_OK, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

static rb_status write_annual(rb_report *r, const char *dir, rb_error *err)
{
    const char *name = "annual_returns.csv";
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    fputs("series,config_id,year,return,partial\r\n", f);
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        for (size_t y = 0; y < s->nyears; y++) {
            put_series(f, s);
            fprintf(f, "%d,", s->years[y]);
            rb_csv_number(f, s->annual[y]);
            /* The first year starts at the first bar, the last ends at the data's end. */
            fprintf(f, ",%d\r\n", y == 0 || y + 1 == s->nyears);
        }
    }
    rb_status rc = rb_report_close(f, dir, name, RB_OK, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

/* Chart 7's numbers: each family's excess over buy-and-hold and its four parts. */
static rb_status write_split(rb_report *r, const char *dir, rb_error *err)
{
    const char *name = "excess_split.csv";
    FILE *f = rb_report_open(dir, name, err);
    if (!f) return err ? err->code : RB_ERR_IO;
    /* A report with an overlay (--overlay perp) has the funding and derivative fees' column. */
    int overlay = 0;
    for (size_t k = 0; k < r->nseries; k++) overlay |= r->series[k].overlay;
    fputs(overlay ? "series,config_id,every_bar_gain,drift,cost_drag,derivatives,tax_drag,excess\r\n"
                  : "series,config_id,every_bar_gain,drift,cost_drag,tax_drag,excess\r\n",
          f);
    for (size_t k = 0; k < r->nseries; k++) {
        const rb_report_series *s = &r->series[k];
        if (s->role != RB_SERIES_BEST) continue;
        put_series(f, s);
        const double parts[] = {s->split.every_bar_gain, s->split.drift, s->split.cost_drag, s->derivatives,
                                s->split.tax_drag, s->split.excess};
        for (size_t p = 0, col = 0; p < sizeof parts / sizeof parts[0]; p++) {
            if (p == 3 && !overlay) continue;
            if (col++) putc(',', f);
            rb_csv_number(f, parts[p]);
        }
        fputs("\r\n", f);
    }
    rb_status rc = rb_report_close(f, dir, name, RB_OK, err);
    return rc == RB_OK ? rb_report_add_file(r, name, err) : rc;
}

rb_status rb_report_write_runs(rb_report *r, const rb_run_result *const *runs, const char *dir, rb_error *err)
{
    rb_status rc = RB_OK;
    for (size_t k = 0; k < r->nseries && rc == RB_OK; k++) rc = write_curve(r, k, runs[k], dir, err);
    if (rc == RB_OK) rc = write_equity(r, dir, err);
    if (rc == RB_OK) rc = write_trades(r, runs, dir, err);
    if (rc == RB_OK) rc = write_gains(r, runs, dir, err);
    if (rc == RB_OK) rc = write_annual(r, dir, err);
    if (rc == RB_OK) rc = write_split(r, dir, err);
    if (rc == RB_OK) rc = rb_report_write_periods(r, dir, err);
    return rc;
}
