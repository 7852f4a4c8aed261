/* run_output.c - a run's results as files: the equity curve, the orders and the lots ledger
 * as CSV (RFC 4180, ISO dates, shortest exact numbers), and the metrics as JSON with the
 * conventions they were computed under. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "csv_write.h"
#include "dataset_hash.h"
#include "error.h"
#include "json_write.h"
#include "resolve.h"
#include "run_output.h"
#include "run_result.h"
#include "spec.h"
#include "strategy.h"

/* The writers get a stream, not a path: the caller prefixes the file's name to the error. */
static rb_status finish(FILE *out, const char *what, rb_error *err)
{
    int werr = rb_stream_errno(out);
    if (werr) return rb_fail(err, RB_ERR_IO, "writing the %s failed: %s", what, strerror(werr));
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

/* A trade's row without its line end. */
static void put_trade(FILE *out, const rb_matrix *m, const rb_trade *tr, void (*text)(FILE *, const char *))
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
    fprintf(out, ",%d", tr->skipped);
}

void rb_write_trade_row(FILE *out, const rb_matrix *m, const rb_trade *tr, void (*text)(FILE *, const char *))
{
    put_trade(out, m, tr, text);
    fputs("\r\n", out);
}

void rb_write_trade_row_venue(FILE *out, const rb_matrix *m, const rb_trade *tr, void (*text)(FILE *, const char *))
{
    put_trade(out, m, tr, text);
    putc(',', out);
    text(out, tr->venue);
    putc(',', out);
    rb_csv_number(out, fabs(tr->order_units));
    fputs("\r\n", out);
}

rb_status rb_run_write_trades(const rb_run_result *r, FILE *out, rb_error *err)
{
    if (!(r->keep & RB_KEEP_TRADES)) return rb_fail(err, RB_ERR_USAGE, "the run did not keep its trades");
    const rb_portfolio *p = &r->sim.portfolio;
    if (r->venues) { /* --venues: each row a leg, its venue and its order's units at the end */
        fputs(RB_TRADE_COLUMNS RB_TRADE_VENUE_COLUMNS "\r\n", out);
        for (size_t k = 0; k < p->ntrades; k++) rb_write_trade_row_venue(out, r->m, &p->trades[k], rb_csv_safe_text);
        return finish(out, "trades", err);
    }
    fputs(RB_TRADE_COLUMNS "\r\n", out);
    for (size_t k = 0; k < p->ntrades; k++) rb_write_trade_row(out, r->m, &p->trades[k], rb_csv_safe_text);
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
        rb_csv_safe_text(out, r->m->symbols[l->asset]);
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

/* The value of setting key as given to rb_run_describe (the last time), else NULL. */
/* The place of key's last value among the settings given; -1 when not given. */
static long given_at(const rb_run_result *r, const char *key)
{
    long at = -1;
    for (size_t i = 0; i < r->ngiven; i++)
        if (strcmp(r->given[2 * i], key) == 0) at = (long)i;
    return at;
}

static const char *given_text(const rb_run_result *r, const char *key)
{
    long at = given_at(r, key);
    return at < 0 ? NULL : r->given[2 * at + 1];
}

/* Whether run setting `row` says what ran among the settings that share its field
 * (--vol-window, --vol-model): the one given last, or, none given, the table's first. */
static int says_what_ran(const rb_run_result *r, const rb_setting_info *row)
{
    long mine = given_at(r, row->key);
    for (size_t i = 0; i < rb_setting_count(); i++) {
        const rb_setting_info *other = rb_setting_at(i);
        if (!rb_settings_share_field(row, other)) continue;
        long theirs = given_at(r, other->key);
        if (theirs > mine || (theirs == mine && other < row)) return 0;
    }
    return 1;
}

/* A per-asset value ("5,BTC=10%") as {"*": 5, "BTC": 0.1}: the value of every other asset
 * under "*"; as written when it does not read (it ran, so it does). */
static void per_asset_value(FILE *out, const rb_setting_info *row, const char *text)
{
    rb_asset_values v = {0};
    rb_error ignored = {0};
    if (rb_asset_values_parse(row->key, NULL, text, row->fraction, row->lo, row->hi, &v, &ignored) != RB_OK) {
        rb_json_string(out, text);
        return;
    }
    fputc('{', out);
    if (v.has_all) {
        fputs("\"*\": ", out);
        rb_json_number(out, v.all);
    }
    for (size_t i = 0; i < v.n; i++) {
        fputs(i || v.has_all ? ", " : "", out);
        rb_json_string(out, v.symbol[i]);
        fputs(": ", out);
        rb_json_number(out, v.value[i]);
    }
    fputc('}', out);
    rb_asset_values_clear(&v);
}

/* A setting's value as JSON: a number where its row takes numbers and the text reads as one
 * (a percentage of a fraction as the fraction), null for no value, else the text. */
static void setting_value(FILE *out, const rb_setting_info *row, const char *text)
{
    double v;
    if ((!text || !text[0]) && row->type == RB_VALUE_FLAG) fputs("0", out); /* not given: off */
    else if (!text || !text[0]) fputs("null", out);
    else if (rb_setting_is_numeric(row) && rb_number_read(text, strlen(text), row->fraction, &v) == RB_NUMBER_OK)
        rb_json_number(out, v);
    else if (row->type == RB_VALUE_PER_ASSET) per_asset_value(out, row, text);
    else rb_json_string(out, text);
}

static void setting_entry(FILE *out, const rb_run_result *r, const rb_setting_info *row, int *first)
{
    const char *text = given_text(r, row->key);
    fputs(*first ? "" : ", ", out);
    *first = 0;
    rb_json_string(out, row->key);
    fputs(": ", out);
    setting_value(out, row, text ? text : row->def);
}

/* "run": what was run. Always the assets and targets, the data range and the dataset hash;
 * told the settings (rb_run_describe), the strategy and every run setting and strategy
 * parameter too, each as given or its default. */
static void write_run(const rb_run_result *r, FILE *out)
{
    const rb_matrix *m = r->m;
    const rb_metrics *mx = &r->sim.metrics;
    char date[32], hash[RB_DATASET_HASH_SIZE];
    fputs(", \"run\": {", out);
    if (r->given) {
        const char *strategy = given_text(r, "strategy");
        if (!strategy) strategy = "buy-and-hold";
        fputs("\"strategy\": ", out);
        rb_json_string(out, strategy);
        fputs(", ", out);
    }
    fputs("\"assets\": {", out);
    for (size_t i = 0; m && i < m->N; i++) {
        fputs(i ? ", " : "", out);
        rb_json_string(out, m->symbols[i]);
        fputs(": ", out);
        rb_json_number(out, r->target ? r->target[i] : NAN);
    }
    fputs("}", out);
    if (r->given) {
        fputs(", \"settings\": {", out);
        int first = 1;
        for (size_t i = 0; i < rb_setting_count(); i++) {
            const rb_setting_info *row = rb_setting_at(i);
            /* A targets table is listed when given: a run without one is said by its assets. */
            if (strcmp(row->key, "targets-csv") == 0 && !given_text(r, row->key)) continue;
            if (!says_what_ran(r, row)) continue;
            if (strcmp(row->key, "assets") != 0 && strcmp(row->key, "strategy") != 0) setting_entry(out, r, row, &first);
        }
        const char *name = given_text(r, "strategy");
        const rb_strategy *st = rb_strategy_find(name ? name : "buy-and-hold");
        for (size_t j = 0; st && j < st->info.nparams; j++) setting_entry(out, r, &st->info.params[j], &first);
        fputs("}", out);
    }
    fprintf(out, ", \"data\": {\"start\": \"%s\"", rb_time_format(mx->start, date));
    fprintf(out, ", \"end\": \"%s\", \"bars\": %zu", rb_time_format(mx->end, date), mx->bars);
    if (m) {
        rb_dataset_hash(m, hash);
        fprintf(out, ", \"dataset_hash\": \"%s\"", hash);
    }
    fputs("}}", out);
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
    fputs(", \"stdev\": \"sample (n - 1)\", \"returns\": \"time-weighted, flows removed\"}", out);
    write_run(r, out);
    fputs("}\n", out);
    return finish(out, "JSON", err);
}
