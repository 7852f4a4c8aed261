/* record.c - libcsv's callbacks for one file (parser.h): each cell checked and parsed by
 * its column's role (symbol, date, bar number, price, volume), each record turned into bars
 * once its field count is known good, the first problem of a record reported with its
 * file, line and column. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cells.h"
#include "date.h"
#include "error.h"
#include "parser.h"
#include "alloc.h"

/* Records the first problem of this record at column c (reason printf-style). */
static void pend(rb_parser *p, size_t c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pend(rb_parser *p, size_t c, const char *fmt, ...)
{
    if (p->pending) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->pending_msg, sizeof p->pending_msg, fmt, ap);
    va_end(ap);
    p->pending = 1;
    p->pending_col = c;
}

/* Looks up (interning when new and valid) the symbol in s[0..n); -1 with a pending error
 * when it is not a valid symbol or memory ran out. */
static int64_t intern(rb_parser *p, size_t c, const char *s, size_t n)
{
    rb_cell_trim_spaces(&s, &n);
    rb_symtab *t = p->syms;
    if (p->last_sym_ok && t->len[p->last_sym] == n && memcmp(t->name[p->last_sym], s, n) == 0)
        return p->last_sym;
    int64_t k = rb_symtab_find(t, s, n);
    if (k < 0) {
        char why[200];
        if (rb_symbol_problem(s, n, why, sizeof why)) {
            pend(p, c, "%s", why);
            return -1;
        }
        k = rb_symtab_add(t, s, n);
        if (k < 0) {
            rb_parser_fail_oom(p);
            return -1;
        }
    }
    p->last_sym = (uint32_t)k;
    p->last_sym_ok = 1;
    return k;
}

/* Why a cell that is not a number may have been meant as one, given the decimal mark in
 * use: a thousands separator (never accepted) or the other decimal mark. "" otherwise. */
static const char *number_hint(const char *s, size_t n, char decimal)
{
    int comma = memchr(s, ',', n) != NULL, point = memchr(s, '.', n) != NULL;
    if (comma && point) return " (a thousands separator is not accepted: 1234.56, or 1234,56 with --decimal ',')";
    if (decimal == ',' && point) return " (--decimal ',' takes a comma as the decimal mark: 1234,56)";
    if (decimal == '.' && comma) return " (a decimal comma needs --decimal ','; a thousands separator is not accepted)";
    return "";
}

/* Whether the positive price v may be stored: within [RB_PRICE_MIN, RB_PRICE_MAX], where the
 * engine's products cannot overflow (rebal.h), or anywhere with --allow-extreme-prices. */
static int price_allowed(const rb_parser *p, double v)
{
    return p->im->opt->allow_extreme_prices || (v >= RB_PRICE_MIN && v <= RB_PRICE_MAX);
}

/* 1 when the price v (cell s[0..n) of column c) is refused for its range, with the pending
 * error set. */
static int refuse_extreme_price(rb_parser *p, size_t c, double v, const char *s, size_t n)
{
    if (price_allowed(p, v)) return 0;
    char q[QUOTE_BUF];
    pend(p, c,
         "price '%s' is outside " RB_PRICE_RANGE_TEXT ", the range in which "
         "the arithmetic of a run cannot overflow (--allow-extreme-prices accepts it)",
         rb_cell_quote(s, n, QUOTE_MAX, q, sizeof q));
    return 1;
}

/* Parses one value cell into *out (NaN when empty); problems become the pending error. */
static void value_cell(rb_parser *p, size_t c, enum rb_role role, const char *s, size_t n, double *out)
{
    char q[QUOTE_BUF];
    double v;
    int st = rb_cell_number(s, n, p->decimal, p->scratch, p->scratch_cap, &v);
    if (st == NUM_EMPTY) {
        *out = NAN;
        if (role == R_WIDE) return;
        if ((int)(role - R_OPEN) == p->price_slot) pend(p, c, "missing price");
        return;
    }
    if (st == NUM_BAD) {
        pend(p, c, "not a number: '%s'%s", rb_cell_quote(s, n, QUOTE_MAX, q, sizeof q), number_hint(s, n, p->decimal));
        return;
    }
    if (st == NUM_INFINITE) {
        pend(p, c, "not a finite number: '%s'", rb_cell_quote(s, n, QUOTE_MAX, q, sizeof q));
        return;
    }
    if (role == R_VOLUME) {
        if (v < 0) {
            pend(p, c, "volume must not be negative: '%s'", rb_cell_quote(s, n, QUOTE_MAX, q, sizeof q));
            return;
        }
        v += 0.0; /* -0 becomes +0 */
    } else if (!(v > 0)) {
        pend(p, c, "price must be positive: '%s'", rb_cell_quote(s, n, QUOTE_MAX, q, sizeof q));
        return;
    } else if (refuse_extreme_price(p, c, v, s, n)) {
        return;
    }
    *out = v;
}

/* Reads a bar number: digits only (at most 12, far beyond any file's line count). */
static void bar_number_cell(rb_parser *p, size_t c, const char *s, size_t n)
{
    char q[QUOTE_BUF];
    const char *t = s;
    size_t m = n;
    rb_cell_trim(&t, &m);
    uint64_t v = 0;
    size_t i = 0;
    while (i < m && i < 12 && t[i] >= '0' && t[i] <= '9') v = v * 10 + (uint64_t)(t[i++] - '0');
    if (m == 0 || i != m) {
        pend(p, c, "not a bar number: '%s' (whole numbers counting up by one from 0 or 1)",
             rb_cell_quote(s, n, QUOTE_MAX, q, sizeof q));
        return;
    }
    p->bar_number = v;
}

/* libcsv field callback: routes each cell by its column's role into the record scratch. */
void rb_parser_on_field(void *data, size_t n, void *ctx)
{
    rb_parser *p = ctx;
    size_t c = p->nfield++;
    if (p->failed) return;
    if (!p->rec_line) p->rec_line = p->line;
    const char *s = data;
    if (!p->header_done) {
        rb_parser_header_field(p, s, n);
        return;
    }
    if (c >= p->ncols) return; /* the field count is checked at the end of the record */
    const rb_column *col = &p->cols[c];
    switch (col->role) {
    case R_SYMBOL: {
        int64_t k = intern(p, c, s, n);
        if (k >= 0) p->sym = (uint32_t)k;
        break;
    }
    case R_DATE: {
        rb_error de;
        if (rb_time_parse_n(s, n, p->im->opt->date_format, &p->ts, &de) != RB_OK) pend(p, c, "%s", de.msg);
        break;
    }
    case R_WIDE:
        value_cell(p, c, R_WIDE, s, n, &p->wide_val[c]);
        break;
    case R_INDEX:
        bar_number_cell(p, c, s, n);
        break;
    case R_UNKNOWN:
        break;
    default:
        value_cell(p, c, col->role, s, n, &p->val[col->role - R_OPEN]);
        break;
    }
}

/* Appends one bar; 0 when out of memory (p failed). */
static int emit(rb_parser *p, size_t line, uint32_t sym, double close, const double *ohlv)
{
    rb_rows *r = p->r;
    if (r->n == r->cap && !rb_rows_grow(r)) {
        rb_parser_fail_oom(p);
        return 0;
    }
    size_t i = r->n++;
    r->asset[i] = sym;
    r->ts[i] = p->ts;
    r->close[i] = close;
    r->line[i] = (uint32_t)line;
    if (r->open) {
        r->open[i] = ohlv ? ohlv[0] : NAN;
        r->high[i] = ohlv ? ohlv[1] : NAN;
        r->low[i] = ohlv ? ohlv[2] : NAN;
        r->volume[i] = ohlv ? ohlv[3] : NAN;
    }
    return 1;
}

static size_t column_of_role(const rb_parser *p, enum rb_role role)
{
    for (size_t c = 0; c < p->ncols; c++)
        if (p->cols[c].role == role) return c;
    return 0;
}

static void fail_at(rb_parser *p, size_t line, size_t col, const char *reason)
{
    rb_fail(p->e, RB_ERR_DATA, "%s:%zu: column %s: %s", p->path, line, p->cols[col].shown, reason);
    p->failed = 1;
}


/* Undated file: checks this record's bar number (when the file has them: the first is 0 or 1,
 * each next one the previous + 1) and sets p->ts to the time of bar k, the k-th record
 * (0-based) of the file. 0 when refused (p failed). */
static int undated_time(rb_parser *p, size_t line)
{
    const rb_import_options *opt = p->im->opt;
    uint64_t k = p->records - 1;
    if (p->ncols > 0 && p->cols[0].role == R_INDEX) {
        char why[160];
        if (k == 0 && p->bar_number > 1) {
            snprintf(why, sizeof why, "the first bar number is %llu; bar numbers count up by one from 0 or 1",
                     (unsigned long long)p->bar_number);
            fail_at(p, line, 0, why);
            return 0;
        }
        if (k > 0 && p->bar_number != p->last_bar + 1) {
            snprintf(why, sizeof why, "bar number %llu after %llu; bar numbers count up by one (no gaps, in order)",
                     (unsigned long long)p->bar_number, (unsigned long long)p->last_bar);
            fail_at(p, line, 0, why);
            return 0;
        }
        p->last_bar = p->bar_number;
    }
    if (!rb_calendar_nth(p->im->start, opt->every, k, &p->ts)) {
        rb_fail(p->e, RB_ERR_DATA, "%s:%zu: bar %llu of --every %s from --start %s falls after 9999-12-31", p->path,
                line, (unsigned long long)k, rb_import_calendar_name(opt->every), opt->start);
        p->failed = 1;
        return 0;
    }
    return 1;
}

/* --price adjclose with a close column: open, high and low (ohlv[0..3)) scaled by
 * adjclose / close, each still a price in range; 0 when refused (p failed). */
static int scale_to_adjusted(rb_parser *p, size_t line, double adjclose, double *ohlv)
{
    static const enum rb_role roles[3] = {R_OPEN, R_HIGH, R_LOW};
    double close = p->val[VAL_CLOSE];
    if (isnan(close)) {
        if (isnan(ohlv[0]) && isnan(ohlv[1]) && isnan(ohlv[2])) return 1;
        fail_at(p, line, column_of_role(p, R_CLOSE),
                "missing close (needed to scale open, high and low to the adjusted close)");
        return 0;
    }
    double f = adjclose / close;
    for (int k = 0; k < 3; k++) {
        ohlv[k] *= f;
        if (isnan(ohlv[k]) || price_allowed(p, ohlv[k])) continue;
        char a[32], why[300];
        snprintf(why, sizeof why,
                 "scaled by adjclose/close, the price becomes %s, outside " RB_PRICE_RANGE_TEXT
                 " (--allow-extreme-prices accepts it)",
                 rb_cell_shortest(ohlv[k], a));
        fail_at(p, line, column_of_role(p, roles[k]), why);
        return 0;
    }
    return 1;
}

/* libcsv record callback: checks the record and turns it into bars. */
void rb_parser_on_record(int term, void *ctx)
{
    (void)term;
    rb_parser *p = ctx;
    size_t nfield = p->nfield, line = p->rec_line;
    p->nfield = 0;
    p->rec_line = 0;
    if (p->failed) return;
    if (!p->header_done) {
        p->header_line = line;
        p->header_done = 1;
        rb_parser_header_finish(p);
        return;
    }
    p->records++;
    if (line > UINT32_MAX) {
        rb_fail(p->e, RB_ERR_DATA, "%s:%zu: too many lines (at most %u)", p->path, line, UINT32_MAX);
        p->failed = 1;
        return;
    }
    if (nfield != p->ncols) {
        rb_fail(p->e, RB_ERR_DATA, "%s:%zu: expected %zu fields, found %zu", p->path, line, p->ncols, nfield);
        p->failed = 1;
        return;
    }
    if (p->pending) {
        p->pending = 0;
        fail_at(p, line, p->pending_col, p->pending_msg);
        return;
    }
    if (p->im->opt->every && !undated_time(p, line)) return;
    if (p->format == RB_CSV_WIDE) {
        for (size_t c = 0; c < p->ncols; c++)
            if (p->cols[c].role == R_WIDE && !isnan(p->wide_val[c]) &&
                !emit(p, line, p->cols[c].sym, p->wide_val[c], NULL))
                return;
        return;
    }
    double *v = p->val;
    if (!isnan(v[VAL_HIGH]) && !isnan(v[VAL_LOW]) && v[VAL_HIGH] < v[VAL_LOW]) {
        char a[32], b[32], why[100];
        snprintf(why, sizeof why, "high %s is below low %s", rb_cell_shortest(v[VAL_HIGH], a), rb_cell_shortest(v[VAL_LOW], b));
        fail_at(p, line, column_of_role(p, R_HIGH), why);
        return;
    }
    double close = v[p->price_slot];
    double ohlv[4] = {v[VAL_OPEN], v[VAL_HIGH], v[VAL_LOW], v[VAL_VOLUME]};
    if (p->scale && !scale_to_adjusted(p, line, close, ohlv)) return;
    emit(p, line, p->format == RB_CSV_OHLCV ? p->fixed_sym : p->sym, close, p->has_ohlv ? ohlv : NULL);
}
