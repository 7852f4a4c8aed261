/* feed.c - one CSV file's bytes through libcsv (parser.h): a byte-order mark, the delimiter
 * (given or detected from the header), line numbers for every record, malformed quoting
 * named by line and column, and the checks at the end of a file. */
#include <csv.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "parser.h"

/* 1 when libcsv will see nothing but blanks and line ends in s[0..n). */
static int blank_segment(const char *s, size_t n, char delim)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ' ' || c == '\r' || c == '\n' || (c == '\t' && delim != '\t')) continue;
        return 0;
    }
    return 1;
}

/* The header bytes the delimiter is detected from: a header longer than this (a wide file
 * of thousands of symbols) shows its delimiter long before, and a hostile one is not read
 * whole before its first cell is checked. */
#define DETECT_BYTES (1u << 20)

/* The most frequent of ',' ';' and tab outside quotes on the first non-blank line (its first
 * DETECT_BYTES bytes). */
static char detect_delimiter(const char *s, size_t n)
{
    if (n > DETECT_BYTES) n = DETECT_BYTES;
    size_t i = 0;
    while (i < n && (s[i] == '\n' || s[i] == '\r' || s[i] == ' ')) i++;
    size_t comma = 0, semi = 0, tab = 0;
    int quoted = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '"') quoted = !quoted;
        else if (quoted) continue;
        else if (c == '\n' || c == '\r') break;
        else if (c == ',') comma++;
        else if (c == ';') semi++;
        else if (c == '\t') tab++;
    }
    if (semi > comma && semi >= tab) return ';';
    if (tab > comma && tab > semi) return '\t';
    return ',';
}

static void csv_failure(rb_parser *p)
{
    int code = csv_error(&p->csv);
    if (code == CSV_ENOMEM || code == CSV_ETOOBIG) {
        rb_parser_fail_oom(p);
        return;
    }
    size_t col = p->nfield + 1;
    if (p->header_done && p->nfield < p->ncols)
        rb_fail(p->e, RB_ERR_DATA,
                "%s:%zu: column %s: malformed quoting (a quote inside an unquoted "
                "field, or text after a closing quote)",
                p->path, p->line, p->cols[p->nfield].shown);
    else
        rb_fail(p->e, RB_ERR_DATA,
                "%s:%zu: field %zu: malformed quoting (a quote inside an unquoted "
                "field, or text after a closing quote)",
                p->path, p->line, col);
    p->failed = 1;
}

/* The most bytes of one line given to libcsv at a time: a failure inside a very long line
 * (a header of millions of cells) stops the parse within this many bytes. */
#define FEED_SLICE (1u << 16)

size_t rb_parser_next_piece(const char *s, size_t n, int *line_end)
{
    size_t look = n < FEED_SLICE ? n : FEED_SLICE;
    const char *nl = memchr(s, '\n', look);
    *line_end = nl != NULL;
    return nl ? (size_t)(nl - s) + 1 : look;
}

/* Feeds s[0..n) to libcsv one physical line at a time (a long line in slices) so that every
 * record knows the line it starts on (libcsv reports no positions). */
void rb_parser_feed(rb_parser *p, const char *s, size_t n)
{
    while (n > 0 && !p->failed) {
        int line_end;
        size_t len = rb_parser_next_piece(s, n, &line_end);
        if (!p->rec_line && !blank_segment(s, len, p->delim)) p->rec_line = p->line;
        if (csv_parse(&p->csv, s, len, rb_parser_on_field, rb_parser_on_record, p) != len) {
            if (!p->failed) csv_failure(p);
            return;
        }
        if (line_end) p->line++;
        s += len;
        n -= len;
    }
}

/* Strips a UTF-8 byte-order mark and sets the delimiter (given, or detected from the header).
 * A decimal comma cannot share the ',' delimiter: 0 (p failed) when the header detects it. */
int rb_parser_start_file(rb_parser *p, const char **s, size_t *n)
{
    if (*n >= 3 && memcmp(*s, "\xEF\xBB\xBF", 3) == 0) *s += 3, *n -= 3;
    p->delim = p->im->opt->delimiter ? p->im->opt->delimiter : detect_delimiter(*s, *n);
    csv_set_delim(&p->csv, (unsigned char)p->delim);
    if (p->decimal == ',' && p->delim == ',') {
        rb_fail(p->e, RB_ERR_DATA,
                "%s: --decimal ',' needs fields separated by ';' or tab, but the header is separated by ',' "
                "(give --delimiter if the detection is wrong)",
                p->path);
        p->failed = 1;
        return 0;
    }
    return 1;
}

/* Ends a file: flushes a last record without a line end, then checks there was a header and
 * at least one data row. Returns the status. */
rb_status rb_parser_finish_file(rb_parser *p, size_t bytes)
{
    if (!p->failed) {
        size_t before = p->nfield;
        if (csv_fini(&p->csv, rb_parser_on_field, rb_parser_on_record, p) != 0 && !p->failed) {
            rb_fail(p->e, RB_ERR_DATA,
                    "%s:%zu: field %zu: a quoted field is never closed (it runs to the end "
                    "of the file)",
                    p->path, p->rec_line ? p->rec_line : p->line, before + 1);
            p->failed = 1;
        }
    }
    if (!p->failed && !p->header_done) {
        rb_fail(p->e, RB_ERR_DATA, "%s: empty file%s", p->path, bytes ? " (only blank lines)" : "");
        p->failed = 1;
    }
    if (!p->failed && p->records == 0) {
        rb_fail(p->e, RB_ERR_DATA, "%s: no data rows", p->path);
        p->failed = 1;
    }
    p->im->file_rows[p->file] = p->records;
    return p->failed ? p->e->code : RB_OK;
}
