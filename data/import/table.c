/* table.c - bars given as arrays instead of a file (rebal.h: rb_import_arrays): a wide table
 * of closes, one column per symbol, validated the way a wide CSV file is (symbols, times
 * increasing, prices positive, finite and in range) and written by the same steps as a
 * file (importer.h): one transaction, conflicts refused unless replace, idempotent. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "importer.h"
#include "alloc.h"

/* Interns the table's symbols in column order; refuses a bad or repeated one. */
static rb_status intern_symbols(rb_importer *im, const rb_import_table *tb, const char *name)
{
    for (size_t i = 0; i < tb->nsymbols; i++) {
        const char *sym = tb->symbols[i];
        if (!sym) return rb_fail(&im->e, RB_ERR_USAGE, "%s: column %zu has no symbol", name, i + 1);
        size_t n = strlen(sym);
        char why[200];
        if (rb_symbol_problem(sym, n, why, sizeof why))
            return rb_fail(&im->e, RB_ERR_DATA, "%s: column %zu: %s", name, i + 1, why);
        if (rb_symtab_find(&im->syms, sym, n) >= 0)
            return rb_fail(&im->e, RB_ERR_DATA, "%s: column %zu: symbol %s is given twice", name, i + 1, sym);
        if (rb_symtab_add(&im->syms, sym, n) < 0) return rb_fail(&im->e, RB_ERR_NOMEM, "out of memory importing");
    }
    return RB_OK;
}

/* Why price v of a cell cannot be stored, or NULL when it can (NaN: no bar, never asked). */
static const char *price_problem(double v, int allow_extreme)
{
    if (!isfinite(v)) return "is not finite";
    if (v <= 0) return "is not positive";
    if (!allow_extreme && (v < RB_PRICE_MIN || v > RB_PRICE_MAX))
        return "is outside " RB_PRICE_RANGE_TEXT " (allow_extreme_prices accepts it)";
    return NULL;
}

/* Appends the table's bars, row by row (row t is "line" t + 1 in messages). */
static rb_status read_rows(rb_importer *im, const rb_import_table *tb, const char *name)
{
    rb_rows *r = &im->r;
    for (size_t t = 0; t < tb->nbars; t++) {
        char date[32];
        if (t > 0 && tb->time[t] <= tb->time[t - 1]) {
            char prev[32];
            return rb_fail(&im->e, RB_ERR_DATA, "%s: row %zu: time %s is not after the row before's %s", name, t + 1,
                           rb_time_format(tb->time[t], date), rb_time_format(tb->time[t - 1], prev));
        }
        for (size_t i = 0; i < tb->nsymbols; i++) {
            double v = tb->close[t * tb->row_stride + i * tb->col_stride];
            if (isnan(v)) continue; /* no bar */
            const char *why = price_problem(v, im->opt->allow_extreme_prices);
            if (why)
                return rb_fail(&im->e, RB_ERR_DATA, "%s: row %zu (%s), column %s: price %.17g %s", name, t + 1,
                               rb_time_format(tb->time[t], date), tb->symbols[i], v, why);
            if (r->n == r->cap && !rb_rows_grow(r)) return rb_fail(&im->e, RB_ERR_NOMEM, "out of memory importing");
            if (r->n >= UINT32_MAX)
                return rb_fail(&im->e, RB_ERR_DATA, "%s: too many bars in one import (at most %u)", name, UINT32_MAX);
            size_t k = r->n++;
            r->asset[k] = (uint32_t)i;
            r->ts[k] = tb->time[t];
            r->close[k] = v;
            r->line[k] = (uint32_t)(t + 1 < UINT32_MAX ? t + 1 : UINT32_MAX);
        }
    }
    return RB_OK;
}

rb_status rb_import_arrays(rb_store *store, const rb_import_table *tb, const rb_import_options *opt,
                          rb_import_stats *stats, rb_error *err)
{
    rb_import_options defaults;
    if (!opt) {
        rb_import_options_init(&defaults);
        opt = &defaults;
    }
    if (!store || !tb) return rb_fail(err, RB_ERR_USAGE, "rb_import_arrays: no price store or no table");
    if (tb->nsymbols == 0 || tb->nbars == 0) return rb_fail(err, RB_ERR_USAGE, "%s: no bars to import",
                                                            tb->name ? tb->name : "table");
    if (!tb->symbols || !tb->time || !tb->close || (tb->nsymbols > 1 && tb->col_stride == 0) ||
        (tb->nbars > 1 && tb->row_stride == 0))
        return rb_fail(err, RB_ERR_USAGE, "rb_import_arrays: symbols, times or closes missing, or a stride of 0");
    const char *name = tb->name ? tb->name : "table";
    rb_importer im;
    rb_status rc = rb_importer_init(&im, opt, &name, 1, err);
    if (rc != RB_OK) return rc;
    im.file_format[0] = "table";
    rb_import_stats st = {.files = 1, .rows = tb->nbars};
    im.file_rows[0] = tb->nbars;
    rc = intern_symbols(&im, tb, name);
    if (rc == RB_OK) rc = read_rows(&im, tb, name);
    im.file_start[1] = im.r.n;
    if (rc == RB_OK) rc = rb_import_finish(&im, store, &st);
    if (rc != RB_OK) {
        rc = im.e.code;
        if (err) *err = im.e;
    } else if (stats) {
        *stats = st;
    }
    rb_importer_free(&im);
    return rc;
}
