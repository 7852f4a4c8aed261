/* import.c - CSV import into the price store (rebal.h: rb_import_files): long, wide and
 * single-symbol OHLCV files, parsed with libcsv (large files on two threads) and validated
 * whole into flat arrays, ordered by (asset, time), then written in one transaction: a bad
 * row or conflict changes nothing. The steps are importer.h's. */
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "error.h"
#include "importer.h"
#include "alloc.h"

void rb_import_options_init(rb_import_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->format = RB_CSV_AUTO;
    opt->price = RB_PRICE_CLOSE;
}

/* Checks --start and --every of undated files (both or neither, no --date-format) and parses
 * the start into *start. */
static rb_status check_calendar(const rb_import_options *opt, rb_time *start, rb_error *err)
{
    static const char calendars[] = "day, business-day, week, month, hour or minute";
    if ((unsigned)opt->every > RB_BARS_MONTH)
        return rb_fail(err, RB_ERR_USAGE, "invalid --every calendar %d", (int)opt->every);
    if (opt->every == RB_BARS_DATED && !opt->start) return RB_OK;
    if (opt->every == RB_BARS_DATED)
        return rb_fail(err, RB_ERR_USAGE, "--start needs --every (%s): the calendar of the bars from it", calendars);
    if (!opt->start)
        return rb_fail(err, RB_ERR_USAGE, "--every %s needs --start DATE: the date of the first bar",
                       rb_import_calendar_name(opt->every));
    if (opt->date_format)
        return rb_fail(err, RB_ERR_USAGE,
                       "--date-format reads a date column; with --start and --every the dates are generated");
    rb_error e;
    if (rb_time_parse(opt->start, NULL, start, &e) != RB_OK)
        return rb_fail(err, RB_ERR_USAGE, "--start: %s", e.msg);
    if (opt->every == RB_BARS_BUSINESS_DAY && rb_weekday(rb_time_days(*start)) >= 5) {
        char date[32];
        return rb_fail(err, RB_ERR_USAGE, "--start %s is a %s; business-day bars fall on Monday to Friday",
                       rb_time_format(*start, date), rb_weekday(rb_time_days(*start)) == 5 ? "Saturday" : "Sunday");
    }
    return RB_OK;
}

static rb_status check_options(const rb_import_options *opt, size_t npaths, rb_time *start, rb_error *err)
{
    if (npaths == 0) return rb_fail(err, RB_ERR_USAGE, "no files to import");
    if ((unsigned)opt->format > RB_CSV_OHLCV)
        return rb_fail(err, RB_ERR_USAGE, "invalid CSV format %d", (int)opt->format);
    if ((unsigned)opt->price > RB_PRICE_ADJCLOSE)
        return rb_fail(err, RB_ERR_USAGE, "invalid price field %d", (int)opt->price);
    char d = opt->delimiter;
    if (d == '"' || d == '\r' || d == '\n' || d == ' ')
        return rb_fail(err, RB_ERR_USAGE, "--delimiter: a quote, space or line end cannot separate fields");
    if (opt->decimal != 0 && opt->decimal != '.' && opt->decimal != ',')
        return rb_fail(err, RB_ERR_USAGE, "--decimal: '%c' is not a decimal mark ('.' or ',')", opt->decimal);
    if (opt->decimal == ',' && d == ',')
        return rb_fail(err, RB_ERR_USAGE,
                       "--decimal ',' cannot go with --delimiter ',' (a decimal comma needs ';' or tab between "
                       "fields)");
    if (opt->date_format) {
        rb_status rc = rb_time_format_check(opt->date_format, err);
        if (rc != RB_OK) return rc;
    }
    if (opt->symbol) {
        char why[200];
        if (rb_symbol_problem(opt->symbol, strlen(opt->symbol), why, sizeof why))
            return rb_fail(err, RB_ERR_USAGE, "--symbol: %s", why);
    }
    return check_calendar(opt, start, err);
}

void rb_importer_free(rb_importer *im)
{
    rb_rows_free(&im->r);
    rb_symtab_free(&im->syms);
    free(im->file_start);
    free(im->file_rows);
    free(im->file_added);
    free(im->file_replaced);
    free(im->file_format);
    free(im->scratch);
    free(im->buf);
}

rb_status rb_importer_init(rb_importer *im, const rb_import_options *opt, const char *const *paths, size_t npaths,
                           rb_error *err)
{
    memset(im, 0, sizeof *im);
    im->opt = opt;
    im->paths = paths;
    im->npaths = npaths;
    im->file_start = rb_calloc(npaths + 1, sizeof *im->file_start);
    im->file_rows = rb_calloc(npaths, sizeof *im->file_rows);
    im->file_added = rb_calloc(npaths, sizeof *im->file_added);
    im->file_replaced = rb_calloc(npaths, sizeof *im->file_replaced);
    im->file_format = rb_calloc(npaths, sizeof *im->file_format);
    im->buf = rb_malloc(READ_CHUNK);
    if (!im->file_start || !im->file_rows || !im->file_added || !im->file_replaced || !im->file_format || !im->buf) {
        rb_importer_free(im);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory importing");
    }
    return RB_OK;
}

rb_status rb_import_finish(rb_importer *im, rb_store *store, rb_import_stats *st)
{
    rb_sorted s;
    memset(&s, 0, sizeof s);
    rb_status rc = rb_import_sort(im, im->r.n, &s);
    if (rc == RB_OK) rc = rb_import_check_duplicates(im, &s);
    if (rc == RB_OK) rc = rb_import_write(im, store, &s, st);
    rb_sorted_free(&s);
    return rc;
}

rb_status rb_import_files(rb_store *store, const char *const *paths, size_t npaths,
                          const rb_import_options *opt, rb_import_stats *stats, rb_error *err)
{
    rb_import_options defaults;
    if (!opt) {
        rb_import_options_init(&defaults);
        opt = &defaults;
    }
    if (!store) return rb_fail(err, RB_ERR_USAGE, "no price store given");
    rb_time start = 0;
    rb_status rc = check_options(opt, npaths, &start, err);
    if (rc != RB_OK) return rc;

    rb_importer im;
    rc = rb_importer_init(&im, opt, paths, npaths, err);
    if (rc != RB_OK) return rc;
    im.start = start;

    rb_import_stats st = {0};
    st.files = npaths;
    for (size_t f = 0; f < npaths && rc == RB_OK; f++) {
        im.file_start[f] = im.r.n;
        rc = rb_import_parse_file(&im, f);
        im.file_start[f + 1] = im.r.n;
        if (rc == RB_OK && im.r.n > UINT32_MAX)
            rc = rb_fail(&im.e, RB_ERR_DATA, "%s: too many bars in one import (at most %u)", paths[f],
                         UINT32_MAX);
    }
    for (size_t f = 0; f < npaths; f++) {
        st.rows += im.file_rows[f];
        if (f > 0 && im.file_start[f] < im.file_start[f - 1]) im.file_start[f] = im.r.n; /* never read */
    }
    im.file_start[npaths] = im.r.n;

    if (rc == RB_OK) {
        rc = rb_import_finish(&im, store, &st);
    } else if (rc == RB_ERR_DATA && im.r.n > 0) {
        /* A duplicate among the rows read before the bad one is the earlier problem. */
        rb_error parse_error = im.e;
        rb_sorted s;
        memset(&s, 0, sizeof s);
        if (rb_import_sort(&im, im.r.n, &s) != RB_OK || rb_import_check_duplicates(&im, &s) == RB_OK) im.e = parse_error;
        rb_sorted_free(&s);
    }
    if (rc != RB_OK) {
        rc = im.e.code;
        if (err) *err = im.e;
        rb_importer_free(&im);
        return rc;
    }
    rb_importer_free(&im);
    if (stats) *stats = st;
    return RB_OK;
}

