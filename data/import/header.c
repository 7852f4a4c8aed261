/* header.c - a CSV file's header row (parser.h): the role of each column from its name,
 * the file's format (long, wide or OHLCV; given or detected), and every refusal of a header
 * that cannot be read as the options ask. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cells.h"
#include "error.h"
#include "parser.h"
#include "alloc.h"

static const struct {
    const char *name;
    enum rb_role role;
} header_names[] = {
    {"symbol", R_SYMBOL}, {"ticker", R_SYMBOL},  {"asset", R_SYMBOL},  {"date", R_DATE},
    {"time", R_DATE},     {"timestamp", R_DATE}, {"datetime", R_DATE}, {"open", R_OPEN},
    {"high", R_HIGH},     {"low", R_LOW},        {"close", R_CLOSE},   {"price", R_CLOSE},
    {"adjclose", R_ADJ},  {"adj close", R_ADJ},  {"adj_close", R_ADJ}, {"volume", R_VOLUME},
};

/* A first-column header that names bar numbers in an undated file: pandas writes an unnamed
 * index as an empty name. */
static int is_bar_number_header(const char *name)
{
    return name[0] == '\0' || strcasecmp(name, "bar") == 0 || strcasecmp(name, "index") == 0 ||
           strcasecmp(name, "idx") == 0;
}

/* Fails p with "PATH:LINE: message" at the header line; returns 0. */
static int fail_header(rb_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_header(rb_parser *p, const char *fmt, ...)
{
    char why[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    rb_fail(p->e, RB_ERR_DATA, "%s:%zu: %s", p->path, p->header_line, why);
    p->failed = 1;
    return 0;
}

/* Fails p with "PATH: message" (a refusal of the options rather than of a header cell). */
static int fail_file(rb_parser *p, const char *why)
{
    rb_fail(p->e, RB_ERR_DATA, "%s: %s", p->path, why);
    p->failed = 1;
    return 0;
}

static enum rb_role role_of(const char *name)
{
    for (size_t k = 0; k < sizeof header_names / sizeof header_names[0]; k++)
        if (strcasecmp(name, header_names[k].name) == 0) return header_names[k].role;
    return R_UNKNOWN;
}

/* The message of an unknown column in a long or OHLCV file (fmt). */
static int fail_unknown_column(rb_parser *p, rb_csv_format fmt, const char *shown)
{
    return fail_header(p,
                       "unknown column '%s' (%s file has %sdate, open, high, low, close or "
                       "price, adjclose and volume)",
                       shown, fmt == RB_CSV_LONG ? "a long" : "an OHLCV", fmt == RB_CSV_LONG ? "symbol, " : "");
}

/* ---------------------------------------------------------------- cell by cell */

/* --symbol is for OHLCV files, which need it; 0 when the file's format fmt contradicts it. */
static int check_symbol_option(rb_parser *p, rb_csv_format fmt)
{
    const rb_import_options *opt = p->im->opt;
    if (opt->symbol && fmt == RB_CSV_LONG) return fail_file(p, "has a symbol column; --symbol applies to OHLCV files");
    if (!opt->symbol && fmt == RB_CSV_OHLCV) return fail_file(p, "OHLCV file needs --symbol");
    if (opt->symbol && fmt == RB_CSV_WIDE)
        return fail_file(p, "a wide file names its symbols in the header; --symbol applies to OHLCV files");
    return 1;
}

/* Header cell c of a file known to be long or OHLCV (p->early_format): a known field, each
 * at most once; 0 on failure. The refusals and messages of the whole-header checks below,
 * made at the first bad cell. */
static int check_field_cell(rb_parser *p, size_t c, int undated)
{
    const char *name = p->hdr[c];
    if (undated && c == 0 && is_bar_number_header(name)) return 1;
    char q[QUOTE_BUF], q0[QUOTE_BUF];
    const char *shown = rb_cell_quote(name, strlen(name), QUOTE_MAX, q, sizeof q);
    enum rb_role r = role_of(name);
    if (r == R_UNKNOWN) return fail_unknown_column(p, p->early_format, shown);
    if (r == R_SYMBOL && p->early_format == RB_CSV_OHLCV)
        return fail_header(p, "--format ohlcv: the file has a symbol column '%s' (a long file)", shown);
    if (r == R_DATE && undated)
        return fail_header(p, "column '%s' holds dates: --start and --every are for files without a date column",
                           shown);
    size_t first = p->early_seen[r];
    if (first) {
        const char *before = p->hdr[first - 1];
        rb_cell_quote(before, strlen(before), QUOTE_MAX, q0, sizeof q0);
        if (r == R_DATE) return fail_header(p, "two date columns ('%s' and '%s')", q0, shown);
        return fail_header(p, "columns '%s' and '%s' give the same field", q0, shown);
    }
    p->early_seen[r] = c + 1;
    return 1;
}

/* The header cell just read, p->hdr[p->nhdr - 1], checked against the ones before it. A
 * wide file's columns are symbols, any name: they are checked once the row is whole. But a
 * symbol column (with --format auto or long) or --format ohlcv makes the file long or OHLCV,
 * whose every column is a known field at most once: from then on, once the date column has
 * come too (a missing one is the better message for a file whose "day" column is unknown),
 * each cell is checked as it arrives, the earlier ones at that moment. A header past
 * MAX_COLUMNS fails on the first cell over: no header holds more names. 0 on failure. */
static int check_header_cell(rb_parser *p)
{
    const rb_import_options *opt = p->im->opt;
    int undated = opt->every != RB_BARS_DATED;
    size_t c = p->nhdr - 1;
    if (p->nhdr > MAX_COLUMNS)
        return fail_header(p, "more than %u columns (the most a file may have)", (unsigned)MAX_COLUMNS);
    enum rb_role role = role_of(p->hdr[c]);
    if (role == R_DATE) p->early_date = 1;
    if (p->early_format == RB_CSV_AUTO) {
        /* (An undated long file is refused whole, once its header is read.) */
        if (opt->format == RB_CSV_OHLCV) p->early_format = RB_CSV_OHLCV;
        else if (opt->format != RB_CSV_WIDE && !undated && role == R_SYMBOL) p->early_format = RB_CSV_LONG;
        else return 1;
        if (!check_symbol_option(p, p->early_format)) return 0;
    }
    if (!undated && !p->early_date) return 1;
    for (; p->early_checked <= c; p->early_checked++)
        if (!check_field_cell(p, p->early_checked, undated)) return 0;
    return 1;
}

int rb_parser_header_field(rb_parser *p, const char *s, size_t n)
{
    if (p->nhdr == 0) p->header_line = p->rec_line;
    if (p->nhdr == p->caphdr) {
        size_t ncap = p->caphdr ? p->caphdr * 2 : 16;
        char **h = rb_realloc(p->hdr, ncap * sizeof *h);
        if (!h) return rb_parser_fail_oom(p);
        p->hdr = h;
        p->caphdr = ncap;
    }
    rb_cell_trim(&s, &n);
    char *copy = rb_strndup(s, n);
    if (!copy) return rb_parser_fail_oom(p);
    p->hdr[p->nhdr++] = copy;
    return check_header_cell(p);
}

/* ---------------------------------------------------------------- the whole header row */

/* Where the header says when each row is, and what it holds. */
typedef struct key_columns {
    size_t date, sym, index; /* the date, the first symbol and the bar-number column; n: none */
    size_t nvalue_known;     /* columns named as a known value field */
} key_columns;

/* Takes the header names into p->cols with their roles by name (the bar numbers of an
 * undated file in the first column); 0 on failure. */
static int name_columns(rb_parser *p, int undated, key_columns *k)
{
    size_t n = p->nhdr;
    *k = (key_columns){.date = n, .sym = n, .index = n};
    p->cols = rb_calloc(n, sizeof *p->cols);
    p->wide_val = rb_malloc(n * sizeof *p->wide_val);
    if (!p->cols || !p->wide_val) return rb_parser_fail_oom(p);
    p->ncols = n;
    for (size_t c = 0; c < n; c++) {
        char q[QUOTE_BUF];
        p->cols[c].name = p->hdr[c];
        p->hdr[c] = NULL;
        p->cols[c].role = role_of(p->cols[c].name);
        p->cols[c].shown = rb_strdup(rb_cell_quote(p->cols[c].name, strlen(p->cols[c].name), QUOTE_MAX, q, sizeof q));
        if (!p->cols[c].shown) return rb_parser_fail_oom(p);
        p->wide_val[c] = NAN;
    }
    if (undated && n > 0 && is_bar_number_header(p->cols[0].name)) {
        k->index = 0;
        p->cols[0].role = R_INDEX;
        if (!p->cols[0].name[0]) { /* messages say "column 1" rather than "column " */
            free(p->cols[0].shown);
            if (!(p->cols[0].shown = rb_strdup("1"))) return rb_parser_fail_oom(p);
        }
    }
    for (size_t c = 0; c < n; c++) {
        enum rb_role r = p->cols[c].role;
        if (r == R_INDEX) continue;
        if (r == R_DATE) {
            if (k->date < n)
                return fail_header(p, "two date columns ('%s' and '%s')", p->cols[k->date].shown, p->cols[c].shown);
            k->date = c;
        } else if (r == R_SYMBOL) {
            if (k->sym == n) k->sym = c;
        } else if (r != R_UNKNOWN) {
            k->nvalue_known++;
        }
    }
    if (undated && k->date < n)
        return fail_header(p, "column '%s' holds dates: --start and --every are for files without a date column",
                           p->cols[k->date].shown);
    if (!undated && k->date == n)
        return fail_header(p, "no date column (expected one named date, time, timestamp or datetime; numbered "
                              "bars without dates need --start DATE --every CALENDAR)");
    return 1;
}

/* Decides p->format (the given one, or detected from the columns) and refuses a format that
 * the columns or the options contradict; 0 on failure. */
static int decide_format(rb_parser *p, int undated, const key_columns *k)
{
    const rb_import_options *opt = p->im->opt;
    size_t n = p->ncols;
    rb_csv_format fmt = opt->format;
    size_t nkey = (k->date < n) + (k->index < n); /* columns that say when, not what */
    if (fmt == RB_CSV_AUTO) {
        if (k->sym < n) fmt = RB_CSV_LONG;
        else if (k->nvalue_known > 0 && k->nvalue_known == n - nkey) fmt = RB_CSV_OHLCV;
        else fmt = RB_CSV_WIDE;
    }
    p->format = fmt;
    p->im->file_format[p->file] = rb_import_format_name(fmt);
    if (undated && fmt == RB_CSV_LONG) {
        if (k->sym < n)
            return fail_header(p, "a long file (symbol column '%s') needs a date column: --start and --every number "
                                  "the rows of a wide or OHLCV file, one bar per row",
                               p->cols[k->sym].shown);
        return fail_header(p, "--format long needs a date column: --start and --every number the rows of a wide "
                              "or OHLCV file, one bar per row");
    }
    if (fmt == RB_CSV_LONG && k->sym == n)
        return fail_header(p, "--format long needs a symbol column (named symbol, ticker or asset)");
    if (fmt == RB_CSV_OHLCV && k->sym < n)
        return fail_header(p, "--format ohlcv: the file has a symbol column '%s' (a long file)",
                           p->cols[k->sym].shown);
    return check_symbol_option(p, fmt);
}

/* A wide file: every column but the date (or bar numbers) names a symbol, each once. */
static int wide_columns(rb_parser *p, int undated, const key_columns *k)
{
    const rb_import_options *opt = p->im->opt;
    size_t n = p->ncols;
    if (opt->price == RB_PRICE_ADJCLOSE)
        return fail_header(p, "--price adjclose needs an adjclose column (a wide file holds closes)");
    size_t nsym = 0;
    for (size_t c = 0; c < n; c++) {
        if (c == k->date || c == k->index) continue;
        const char *name = p->cols[c].name;
        size_t len = strlen(name);
        char why[200];
        if (rb_symbol_problem(name, len, why, sizeof why)) return fail_header(p, "column %zu: %s", c + 1, why);
        int64_t s = rb_symtab_find(p->syms, name, len);
        if (s < 0) s = rb_symtab_add(p->syms, name, len);
        if (s < 0) return rb_parser_fail_oom(p);
        p->cols[c].role = R_WIDE;
        p->cols[c].sym = (uint32_t)s;
        nsym++;
    }
    if (nsym == 0)
        return fail_header(p, "%s needs at least one symbol column after the %s",
                           opt->format == RB_CSV_AUTO ? "a wide file" : "--format wide",
                           undated ? "bar numbers" : "date");
    /* A symbol twice would give two closes per date: find it through the interned index. */
    size_t *col_of = rb_calloc(p->syms->n, sizeof *col_of);
    if (!col_of) return rb_parser_fail_oom(p);
    for (size_t c = 0; c < n; c++) {
        if (p->cols[c].role != R_WIDE) continue;
        size_t d = col_of[p->cols[c].sym];
        if (d) {
            free(col_of);
            return fail_header(p, "column '%s' appears twice (columns %zu and %zu)", p->cols[c].shown, d, c + 1);
        }
        col_of[p->cols[c].sym] = c + 1;
    }
    free(col_of);
    return 1;
}

/* A long or OHLCV file: every other column must be a known field, each at most once; the
 * price column is chosen and the OHLCV file's symbol interned. */
static int field_columns(rb_parser *p)
{
    const rb_import_options *opt = p->im->opt;
    rb_csv_format fmt = p->format;
    size_t seen[R_WIDE] = {0};
    for (size_t c = 0; c < p->ncols; c++) {
        enum rb_role r = p->cols[c].role;
        if (r == R_INDEX) continue;
        if (r == R_UNKNOWN) return fail_unknown_column(p, fmt, p->cols[c].shown);
        if (seen[r])
            return fail_header(p, "columns '%s' and '%s' give the same field", p->cols[seen[r] - 1].shown,
                               p->cols[c].shown);
        seen[r] = c + 1;
    }
    if (opt->price == RB_PRICE_ADJCLOSE) {
        if (!seen[R_ADJ]) return fail_header(p, "--price adjclose needs an adjclose column");
        p->price_slot = VAL_ADJ;
        p->scale = seen[R_CLOSE] != 0;
    } else if (seen[R_CLOSE]) {
        p->price_slot = VAL_CLOSE;
    } else if (seen[R_ADJ]) {
        p->price_slot = VAL_ADJ;
    } else {
        const char *who = opt->format != RB_CSV_AUTO
            ? (fmt == RB_CSV_LONG ? "--format long" : "--format ohlcv")
            : fmt == RB_CSV_LONG ? "a long file"
                                 : "an OHLCV file";
        return fail_header(p, "%s needs a price or close column", who);
    }
    p->has_ohlv = seen[R_OPEN] || seen[R_HIGH] || seen[R_LOW] || seen[R_VOLUME];
    if (p->has_ohlv && !rb_rows_add_ohlv(p->r)) return rb_parser_fail_oom(p);
    for (int k = 0; k < VAL_COUNT; k++) p->val[k] = NAN;
    if (fmt == RB_CSV_OHLCV) {
        size_t len = strlen(opt->symbol);
        int64_t s = rb_symtab_find(p->syms, opt->symbol, len);
        if (s < 0) s = rb_symtab_add(p->syms, opt->symbol, len);
        if (s < 0) return rb_parser_fail_oom(p);
        p->fixed_sym = (uint32_t)s;
    }
    return 1;
}

int rb_parser_header_finish(rb_parser *p)
{
    int undated = p->im->opt->every != RB_BARS_DATED;
    key_columns k;
    if (!name_columns(p, undated, &k) || !decide_format(p, undated, &k)) return 0;
    return p->format == RB_CSV_WIDE ? wide_columns(p, undated, &k) : field_columns(p);
}
