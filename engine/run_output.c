/* run_output.c - a run's results as files: the equity curve, the orders and the lots ledger
 * as CSV (RFC 4180, ISO dates, shortest exact numbers), and the metrics as JSON with the
 * conventions they were computed under. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "csv_write.h"
#include "error.h"
#include "json_write.h"
#include "run_output.h"

static rb_status finish(FILE *out, const char *what, rb_error *err)
{
    if (fflush(out) != 0 || ferror(out)) return rb_fail(err, RB_ERR_IO, "writing the %s failed", what);
    return RB_OK;
}

static void put_date(FILE *out, rb_time t)
{
    char buf[32];
    fputs(rb_time_format(t, buf), out);
}

rb_status rb_run_write_curve(const rb_run_result *r, FILE *out, rb_error *err)
{
    if (!(r->keep & RB_KEEP_CURVE)) return rb_fail(err, RB_ERR_USAGE, "the run did not keep its curve");
    const rb_matrix *m = r->m;
    const rb_sim_result *s = &r->sim;
    fputs("date,value,cash,flow,drawdown", out);
    for (size_t i = 0; i < m->N; i++) {
        char name[RB_SYMBOL_MAX + 8];
        snprintf(name, sizeof name, "w_%s", m->symbols[i]);
        putc(',', out);
        rb_csv_text(out, name);
    }
    fputs("\r\n", out);
    /* Drawdown of the time-weighted growth index, so flows do not show as gains. */
    double index = 1, peak = 1;
    for (size_t t = 0; t < s->T; t++) { /* s->T: up to the depletion of a depleted run */
        if (t > 0) index *= (s->value[t] - s->flow[t]) / s->value[t - 1];
        if (index > peak) peak = index;
        put_date(out, m->time[t]);
        double cells[] = {s->value[t], s->cash[t], s->flow[t], 1 - index / peak};
        for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++) {
            putc(',', out);
            rb_csv_number(out, cells[k]);
        }
        for (size_t i = 0; i < m->N; i++) {
            putc(',', out);
            rb_csv_number(out, s->weights[t * m->N + i]);
        }
        fputs("\r\n", out);
    }
    return finish(out, "curve", err);
}

static const char *const kind_names[] = {"initial", "rebalance", "flow", "tax"};

void rb_write_trade_row(FILE *out, const rb_matrix *m, const rb_trade *tr, void (*text)(FILE *, const char *))
{
    put_date(out, tr->time);
    fprintf(out, ",%zu,%s,", tr->bar, kind_names[tr->kind]);
    text(out, m->symbols[tr->asset]);
    fputs(tr->units > 0 ? ",buy," : ",sell,", out);
    double cells[] = {fabs(tr->units), tr->price, fabs(tr->units) * tr->price, tr->fee, tr->slippage, tr->gas};
    for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++) {
        if (c) putc(',', out);
        rb_csv_number(out, cells[c]);
    }
    fprintf(out, ",%d\r\n", tr->skipped);
}

rb_status rb_run_write_trades(const rb_run_result *r, FILE *out, rb_error *err)
{
    if (!(r->keep & RB_KEEP_TRADES)) return rb_fail(err, RB_ERR_USAGE, "the run did not keep its trades");
    const rb_portfolio *p = &r->sim.portfolio;
    fputs(RB_TRADE_COLUMNS "\r\n", out);
    for (size_t k = 0; k < p->ntrades; k++) rb_write_trade_row(out, r->m, &p->trades[k], rb_csv_text);
    return finish(out, "trades", err);
}

rb_status rb_run_write_lots(const rb_run_result *r, FILE *out, rb_error *err)
{
    if (!(r->keep & RB_KEEP_LOTS)) return rb_fail(err, RB_ERR_USAGE, "the run did not keep its lots");
    size_t n;
    const rb_lot_piece *lots = rb_lots_ledger(r->sim.portfolio.lots, &n);
    fputs("lot_id,symbol,open_date,units,cost,close_date,proceeds,gain,term,wash_disallowed\r\n", out);
    for (size_t k = 0; k < n; k++) {
        const rb_lot_piece *l = &lots[k];
        int open = l->closed == RB_TIME_OPEN;
        fprintf(out, "%lld,", (long long)l->lot_id);
        rb_csv_text(out, r->m->symbols[l->asset]);
        putc(',', out);
        put_date(out, l->opened);
        putc(',', out);
        rb_csv_number(out, l->units);
        putc(',', out);
        rb_csv_number(out, l->cost);
        putc(',', out);
        if (!open) put_date(out, l->closed);
        putc(',', out);
        if (!open) rb_csv_number(out, l->proceeds);
        putc(',', out);
        if (!open) rb_csv_number(out, l->gain);
        fprintf(out, ",%s,", open ? "open" : l->long_term ? "long" : "short");
        rb_csv_number(out, l->disallowed);
        fputs("\r\n", out);
    }
    return finish(out, "lots", err);
}

rb_status rb_run_write_json(const rb_run_result *r, FILE *out, rb_error *err)
{
    const rb_metrics *mx = &r->sim.metrics;
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    char date[32];
    fputs("{", out);
    for (size_t k = 0; k < n; k++) {
        fprintf(out, "%s\"%s\": ", k ? ", " : "", table[k].name);
        rb_json_number(out, *(const double *)((const char *)mx + table[k].offset));
    }
    fprintf(out, ", \"max_drawdown_peak\": \"%s\"", rb_time_format(mx->max_drawdown_peak, date));
    fprintf(out, ", \"max_drawdown_trough\": \"%s\"", rb_time_format(mx->max_drawdown_trough, date));
    if (mx->depleted) fprintf(out, ", \"depleted_on\": \"%s\"", rb_time_format(mx->depleted_on, date));
    else fputs(", \"depleted_on\": null", out);
    fprintf(out, ", \"bars\": %zu", mx->bars);
    fprintf(out, ", \"start\": \"%s\"", rb_time_format(mx->start, date));
    fprintf(out, ", \"end\": \"%s\"", rb_time_format(mx->end, date));
    fputs(", \"periods_per_year\": ", out);
    rb_json_number(out, mx->periods_per_year);
    fputs(", \"conventions\": {\"periods_per_year\": ", out);
    rb_json_string(out, mx->periods_source);
    fputs(", \"rf\": ", out);
    rb_json_number(out, mx->rf);
    if (mx->exec_note[0]) {
        fputs(", \"exec\": ", out);
        rb_json_string(out, mx->exec_note);
    }
    fputs(", \"stdev\": \"sample (n - 1)\", \"returns\": \"time-weighted, flows removed\"}}\n", out);
    return finish(out, "JSON", err);
}
