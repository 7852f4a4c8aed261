/* parser.h - one CSV file going through libcsv (data/import/): the parser state its
 * callbacks receive, the roles of the columns, and the functions that the reading (read.c,
 * read_parallel.c for two threads), the feeding (feed.c), the records (record.c) and the
 * header (header.c) share; parser.c sets the state up. Internal to data/import/. */
#ifndef RB_IMPORT_PARSER_H
#define RB_IMPORT_PARSER_H

#include <csv.h>
#include <stddef.h>
#include <stdint.h>

#include "importer.h"

/* Files at least this large (regular files only) are parsed by two threads; below it the
 * thread costs more than it saves. Bytes. */
#define PARALLEL_MIN (1u << 20)

/* The most columns a file may have (RB_IMPORT_MAX_COLUMNS, documented with import): a wide
 * file of a million symbols fits; a header past it is refused as it is read, before its
 * names take more memory (each costs ~100 bytes until the format is known). */
#define MAX_COLUMNS RB_IMPORT_MAX_COLUMNS

/* Column roles from the header. Value roles map to slots VAL_OPEN.. in the same order. */
enum rb_role {
    R_UNKNOWN,
    R_SYMBOL,
    R_DATE,
    R_OPEN,
    R_HIGH,
    R_LOW,
    R_CLOSE,
    R_ADJ,
    R_VOLUME,
    R_WIDE, /* wide file: a symbol's closes */
    R_INDEX /* undated file: the bar numbers (first column only) */
};
enum { VAL_OPEN, VAL_HIGH, VAL_LOW, VAL_CLOSE, VAL_ADJ, VAL_VOLUME, VAL_COUNT };

typedef struct rb_column {
    enum rb_role role;
    uint32_t sym; /* R_WIDE: symbol index */
    char *name;   /* header text, trimmed, as in the file */
    char *shown;  /* escaped and cut, for messages */
} rb_column;

/* Per-file parser state; libcsv's callbacks receive it. */
typedef struct rb_parser {
    rb_importer *im; /* options and paths (read only) */
    /* where bars go: the import's own arrays, or a helper thread's private ones */
    rb_rows *r;
    rb_symtab *syms;
    char **scratch;
    size_t *scratch_cap;
    rb_error *e;    /* the failure */
    size_t records; /* data rows read */
    size_t file;
    const char *path;
    char delim;
    char decimal; /* '.' or ',' (--decimal) */
    rb_csv_format format;
    struct csv_parser csv;
    size_t line;     /* physical line being fed, 1-based */
    size_t rec_line; /* line the current record started on; 0 = no record begun */
    size_t nfield;   /* fields seen so far in the current record */
    int header_done;
    int failed;      /* *e holds the error; stop */
    int shared_cols; /* cols belongs to another parser (helper thread) */
    /* header */
    char **hdr;
    size_t nhdr, caphdr;
    /* the header checked as its cells arrive (header.c), once the file is known to be long or
     * OHLCV and its date column has come */
    rb_csv_format early_format; /* RB_CSV_AUTO while the file may still be wide */
    int early_date;             /* a date column has come */
    size_t early_checked;       /* the cells checked so far */
    size_t early_seen[R_WIDE];  /* 1 + the first checked column of each role */
    rb_column *cols;
    size_t ncols;
    size_t header_line;
    int price_slot; /* which value slot becomes the stored close */
    int scale;      /* --price adjclose with a close column: scale open/high/low */
    int has_ohlv;
    uint32_t fixed_sym; /* OHLCV: the --symbol index */
    /* current record */
    uint32_t sym;
    rb_time ts;
    uint64_t bar_number; /* undated file with a bar-number column: this record's */
    uint64_t last_bar;   /* ... and the previous record's */
    double val[VAL_COUNT];
    double *wide_val;
    int last_sym_ok; /* the symbol cache below is valid */
    uint32_t last_sym;
    /* the first problem in the current record, reported once its field count is known good */
    int pending;
    size_t pending_col;
    char pending_msg[600];
} rb_parser;

/* Sets p up to parse file `file` of the import im (parser.c). */
void rb_parser_init(rb_parser *p, rb_importer *im, size_t file);

void rb_parser_free(rb_parser *p);

/* Marks p failed for lack of memory; returns 0 (for "return rb_parser_fail_oom(p);"). */
int rb_parser_fail_oom(rb_parser *p);

/* libcsv's field and record callbacks (record.c): cells into the record, records into bars. */
void rb_parser_on_field(void *data, size_t n, void *ctx);
void rb_parser_on_record(int term, void *ctx);

/* header.c: one header cell s[0..n) taken (trimmed) and checked as it arrives, so that a
 * header that cannot be valid fails at its first bad cell (an unknown or repeated field of a
 * long or OHLCV file) or past MAX_COLUMNS, without holding the rest; then, at the end of the
 * header row, the format and each column's role decided. 0 on failure (p failed). */
int rb_parser_header_field(rb_parser *p, const char *s, size_t n);
int rb_parser_header_finish(rb_parser *p);

/* feed.c: the length of the next piece of s[0..n) to feed: its first line with its '\n'
 * (*line_end = 1), or a slice of a long line (*line_end = 0), so that no line is searched or
 * fed far past a failure. */
size_t rb_parser_next_piece(const char *s, size_t n, int *line_end);

/* feed.c: feeds s[0..n) to libcsv one physical line at a time so that every record knows the line
 * it starts on (libcsv reports no positions). */
void rb_parser_feed(rb_parser *p, const char *s, size_t n);

/* Strips a UTF-8 byte-order mark and sets the delimiter (given, or detected from the header).
 * A decimal comma cannot share the ',' delimiter: 0 (p failed) when the header detects it. */
int rb_parser_start_file(rb_parser *p, const char **s, size_t *n);

/* Ends a file: flushes a last record without a line end, then checks there was a header and
 * at least one data row. Returns the status. */
rb_status rb_parser_finish_file(rb_parser *p, size_t bytes);

/* Parses a mapped regular file of n bytes, a large one on two threads (read_parallel.c). */
rb_status rb_parser_read_mapped(rb_parser *p, const char *s, size_t n);

#endif /* RB_IMPORT_PARSER_H */
