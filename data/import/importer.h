/* importer.h - the state of one import and its steps (data/import/): parse every file into
 * flat rows (read.c, through parser.h), order them by asset and time and refuse conflicting
 * repeats (sort.c), then write them in one transaction (write.c). The entry point,
 * rb_import_files, is import.c. Internal to data/import/. */
#ifndef RB_IMPORTER_H
#define RB_IMPORTER_H

#include <stddef.h>
#include <stdint.h>

#include "rebal.h"
#include "rows.h"
#include "symbols.h"

/* Bytes read per fread: large enough that the per-call overhead vanishes, small enough
 * to stay in L2/L3 while libcsv walks it. */
#define READ_CHUNK (1u << 20)

typedef struct rb_importer {
    const rb_import_options *opt;
    const char *const *paths;
    size_t npaths;
    rb_rows r;
    rb_symtab syms;
    size_t *file_start; /* npaths + 1: rows of file f are [file_start[f], file_start[f+1]) */
    size_t *file_rows;  /* data rows (records) per file */
    size_t *file_added;
    size_t *file_replaced;
    const char **file_format;
    char *scratch; /* strtod copy buffer */
    size_t scratch_cap;
    char *buf;  /* READ_CHUNK bytes */
    rb_time start; /* undated files (opt->every set): the time of bar 0 */
    rb_error e; /* the failure, always filled here and copied out at the end */
} rb_importer;

/* "long", "wide" or "ohlcv": a format as the imports table and the messages name it. */
static inline const char *rb_import_format_name(rb_csv_format f)
{
    return f == RB_CSV_LONG ? "long" : f == RB_CSV_WIDE ? "wide" : "ohlcv";
}

/* The --every word of a calendar, as the CLI spells it. */
static inline const char *rb_import_calendar_name(rb_bar_calendar every)
{
    static const char *const names[] = {"dated", "minute", "hour", "day", "business-day", "week", "month"};
    return (unsigned)every < sizeof names / sizeof names[0] ? names[every] : "?";
}

/* An importer for these paths (its per-file counters allocated) and its release. */
rb_status rb_importer_init(rb_importer *im, const rb_import_options *opt, const char *const *paths, size_t npaths,
                           rb_error *err);
void rb_importer_free(rb_importer *im);

/* The steps after reading: sort, refuse conflicting repeats, write (errors in im->e). */
rb_status rb_import_finish(rb_importer *im, rb_store *store, rb_import_stats *st);

/* Reads and validates one file, appending its bars to im->r (read.c). */
rb_status rb_import_parse_file(rb_importer *im, size_t file);

/* The file (index into im->paths) that read row `row` of im->r. */
size_t rb_import_file_of(const rb_importer *im, size_t row);

/* The rows in (asset, ts, original order) plus, per row, its original index. */
typedef struct rb_sorted {
    size_t n;
    int64_t *ts;
    double *close, *open, *high, *low, *volume;
    uint32_t *orig;
    size_t *start; /* nsym + 1: rows of asset a are [start[a], start[a+1]) */
} rb_sorted;

void rb_sorted_free(rb_sorted *s);

/* Orders the first n rows of im->r by asset, then by time within each asset, into s
 * (sort.c). */
rb_status rb_import_sort(rb_importer *im, size_t n, rb_sorted *s);

/* Refuses a symbol + time given twice with different values, naming the earliest such row
 * in file order. Identical repeats are fine (stored once). */
rb_status rb_import_check_duplicates(rb_importer *im, const rb_sorted *s);

/* The one write transaction: assets, bars, import records (write.c). */
rb_status rb_import_write(rb_importer *im, rb_store *store, const rb_sorted *s, rb_import_stats *stats);

#endif /* RB_IMPORTER_H */
