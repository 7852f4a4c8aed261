/* export.c - writes stored bars back out as RFC 4180 CSV (long: every field; wide: closes)
 * in a form rb_import_files reads back to the same data: numbers in their shortest exact
 * decimal form, dates ISO. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv_write.h"
#include "error.h"
#include "store.h"
#include "alloc.h"

static void put_number_column(FILE *out, sqlite3_stmt *st, int col)
{
    putc(',', out);
    if (sqlite3_column_type(st, col) != SQLITE_NULL) rb_csv_number(out, sqlite3_column_double(st, col));
}

/* Resolves the requested symbols (or every stored symbol) to asset ids, in output order. */
static rb_status resolve(rb_store *store, const char *const *symbols, size_t n, int64_t **ids_out,
                         char ***names_out, size_t *count_out, rb_error *err)
{
    rb_status rc = RB_OK;
    size_t count = 0, cap = n ? n : 16;
    int64_t *ids = rb_malloc(cap * sizeof *ids);
    char **names = rb_calloc(cap, sizeof *names);
    if (!ids || !names) {
        rc = rb_fail(err, RB_ERR_NOMEM, "out of memory exporting");
        goto done;
    }
    if (n) {
        for (size_t i = 0; i < n && rc == RB_OK; i++) {
            for (size_t j = 0; j < i; j++)
                if (strcmp(symbols[i], symbols[j]) == 0)
                    rc = rb_fail(err, RB_ERR_USAGE, "--symbols: '%s' is listed twice", symbols[i]);
            if (rc == RB_OK) rc = rb_store_asset_id(store, symbols[i], &ids[i], err);
            if (rc == RB_OK && !(names[i] = rb_strdup(symbols[i])))
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory exporting");
            count = i + 1;
        }
    } else {
        sqlite3_stmt *st = NULL;
        rc = rb_store_prepare(store, "SELECT id, symbol FROM assets ORDER BY symbol", &st, err);
        int step = SQLITE_DONE;
        while (rc == RB_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
            if (count == cap) {
                cap *= 2;
                int64_t *i2 = rb_realloc(ids, cap * sizeof *ids);
                if (i2) ids = i2;
                char **n2 = i2 ? rb_realloc(names, cap * sizeof *names) : NULL;
                if (n2) names = n2;
                if (!i2 || !n2) {
                    rc = rb_fail(err, RB_ERR_NOMEM, "out of memory exporting");
                    break;
                }
            }
            ids[count] = sqlite3_column_int64(st, 0);
            names[count] = rb_strdup((const char *)sqlite3_column_text(st, 1));
            if (!names[count++]) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory exporting");
        }
        if (rc == RB_OK && step != SQLITE_DONE) rc = rb_store_sql_error(store, err, "listing assets");
        sqlite3_finalize(st);
    }
done:
    if (rc != RB_OK) {
        for (size_t i = 0; names && i < count; i++) free(names[i]);
        free(names);
        free(ids);
        return rc;
    }
    *ids_out = ids;
    *names_out = names;
    *count_out = count;
    return RB_OK;
}

static rb_status export_long(rb_store *store, const int64_t *ids, char **names, size_t n, FILE *out,
                             rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store,
        "SELECT ts, open, high, low, close, volume FROM bars WHERE asset_id = ?1 ORDER BY ts", &st, err);
    if (rc != RB_OK) return rc;
    fputs("symbol,date,open,high,low,close,volume\r\n", out);
    for (size_t i = 0; i < n && rc == RB_OK; i++) {
        sqlite3_bind_int64(st, 1, ids[i]);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            char date[32];
            rb_csv_text(out, names[i]);
            putc(',', out);
            fputs(rb_time_format(sqlite3_column_int64(st, 0), date), out);
            for (int col = 1; col <= 5; col++) put_number_column(out, st, col);
            fputs("\r\n", out);
        }
        if (step != SQLITE_DONE) rc = rb_store_sql_error(store, err, "reading bars");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* One (time, close) series per symbol, merged by time into rows. */
typedef struct series {
    rb_time *t;
    double *close;
    size_t n, pos;
} series;

static rb_status load_series(rb_store *store, int64_t id, series *s, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store, "SELECT ts, close FROM bars WHERE asset_id = ?1 ORDER BY ts", &st, err);
    if (rc != RB_OK) return rc;
    sqlite3_bind_int64(st, 1, id);
    size_t cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->n == cap) {
            cap = cap ? cap * 2 : 1024;
            rb_time *t = rb_realloc(s->t, cap * sizeof *t);
            if (t) s->t = t;
            double *c = t ? rb_realloc(s->close, cap * sizeof *c) : NULL;
            if (c) s->close = c;
            if (!t || !c) {
                sqlite3_finalize(st);
                return rb_fail(err, RB_ERR_NOMEM, "out of memory exporting");
            }
        }
        s->t[s->n] = sqlite3_column_int64(st, 0);
        s->close[s->n++] = sqlite3_column_double(st, 1);
    }
    if (step != SQLITE_DONE) rc = rb_store_sql_error(store, err, "reading bars");
    sqlite3_finalize(st);
    return rc;
}

/* The header names the importer reads as the date column (data/import/header.c): a wide
 * file, whose header is the date column's name and then the symbols, cannot name a symbol
 * so (it would read back as a second date column). Any case. */
static const char *date_column_name(const char *symbol)
{
    static const char *const names[] = {"date", "time", "timestamp", "datetime"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(symbol, names[i]) == 0) return names[i];
    return NULL;
}

static rb_status export_wide(rb_store *store, const int64_t *ids, char **names, size_t n, FILE *out,
                             rb_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (date_column_name(names[i]))
            return rb_fail(err, RB_ERR_DATA,
                           "--format wide: symbol '%s' would read back as a date column (%s); export it in the "
                           "long format",
                           names[i], date_column_name(names[i]));
    series *s = rb_calloc(n ? n : 1, sizeof *s);
    if (!s) return rb_fail(err, RB_ERR_NOMEM, "out of memory exporting");
    rb_status rc = RB_OK;
    for (size_t i = 0; i < n && rc == RB_OK; i++) rc = load_series(store, ids[i], &s[i], err);
    if (rc == RB_OK) {
        fputs("date", out);
        for (size_t i = 0; i < n; i++) {
            putc(',', out);
            rb_csv_text(out, names[i]);
        }
        fputs("\r\n", out);
        for (;;) {
            int any = 0;
            rb_time next = 0;
            for (size_t i = 0; i < n; i++)
                if (s[i].pos < s[i].n && (!any || s[i].t[s[i].pos] < next)) {
                    next = s[i].t[s[i].pos];
                    any = 1;
                }
            if (!any) break;
            char date[32];
            fputs(rb_time_format(next, date), out);
            for (size_t i = 0; i < n; i++) {
                putc(',', out);
                if (s[i].pos < s[i].n && s[i].t[s[i].pos] == next) {
                    rb_csv_number(out, s[i].close[s[i].pos++]);
                }
            }
            fputs("\r\n", out);
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(s[i].t);
        free(s[i].close);
    }
    free(s);
    return rc;
}

rb_status rb_export_csv(rb_store *store, const char *const *symbols, size_t nsymbols,
                        rb_export_format format, FILE *out, rb_error *err)
{
    if (format != RB_EXPORT_LONG && format != RB_EXPORT_WIDE)
        return rb_fail(err, RB_ERR_USAGE, "--format: unknown export format %d", (int)format);
    int64_t *ids;
    char **names;
    size_t n;
    rb_status rc = resolve(store, symbols, nsymbols, &ids, &names, &n, err);
    if (rc != RB_OK) return rc;
    if (n == 0) rc = rb_fail(err, RB_ERR_NOT_FOUND, "%s: the price store holds no assets to export", store->path);
    else if (format == RB_EXPORT_LONG) rc = export_long(store, ids, names, n, out, err);
    else rc = export_wide(store, ids, names, n, out, err);
    int werr = rc == RB_OK ? rb_stream_errno(out) : 0;
    if (werr) rc = rb_fail(err, RB_ERR_IO, "writing the export failed: %s", strerror(werr));
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(ids);
    return rc;
}
