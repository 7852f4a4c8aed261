/* dated_csv.c - a small dated CSV file read whole and handed over row by row (dated_csv.h).
 * The file is fed to libcsv one physical line at a time, so that every row knows the line it
 * starts on (libcsv reports no positions). */
#include "dated_csv.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "error.h"

typedef struct reader {
    const char *path;
    rb_dated_row_fn on_header, on_row;
    void *ctx;
    rb_error *err;
    rb_status rc;         /* the first failure; RB_OK while none */
    size_t line;          /* the physical line being fed, 1-based */
    size_t rec_line;      /* the line the record being read started on; 0: none begun */
    size_t rows;          /* records handed over, the header included */
    int has_last;
    rb_time last;         /* the date of the last data row (with has_last) */
    char *buf;            /* the record's cells, each NUL-terminated */
    size_t len, cap;
    size_t *off;          /* where each cell starts in buf */
    const char **cell;    /* the same as pointers, built at the end of a record */
    size_t n, ncap;
} reader;

static void fail_nomem(reader *r)
{
    if (r->rc == RB_OK) r->rc = rb_fail(r->err, RB_ERR_NOMEM, "out of memory");
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static void on_field(void *s, size_t len, void *data)
{
    reader *r = data;
    if (r->rc != RB_OK) return;
    const char *p = s ? s : "";
    while (len && is_blank(p[0])) p++, len--;
    while (len && is_blank(p[len - 1])) len--;
    if (r->n == r->ncap) {
        size_t ncap = r->ncap ? 2 * r->ncap : 16;
        size_t *off = rb_realloc(r->off, ncap * sizeof *off);
        if (!off) return fail_nomem(r);
        r->off = off;
        const char **cell = rb_realloc(r->cell, ncap * sizeof *cell);
        if (!cell) return fail_nomem(r);
        r->cell = cell;
        r->ncap = ncap;
    }
    if (r->len + len + 1 > r->cap) {
        size_t cap = 2 * (r->len + len + 1) + 64;
        char *buf = rb_realloc(r->buf, cap);
        if (!buf) return fail_nomem(r);
        r->buf = buf;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, p, len);
    r->buf[r->len + len] = '\0';
    r->off[r->n++] = r->len;
    r->len += len + 1;
}

/* A data row's date: parsed, and after the previous row's. */
static rb_status row_date(reader *r, rb_dated_row *row)
{
    rb_error why = {0};
    if (rb_time_parse(row->cell[0], NULL, &row->time, &why) != RB_OK) {
        /* The importer's advice (--date-format) has no use here: only detected formats are read. */
        char *advice = strstr(why.msg, "pass --date-format");
        if (advice) snprintf(advice, sizeof why.msg - (size_t)(advice - why.msg), "write it as YYYY-MM-DD");
        return rb_fail(r->err, RB_ERR_DATA, "%s:%zu: the first column holds dates: %s", r->path, row->line, why.msg);
    }
    if (r->has_last && row->time <= r->last) {
        char a[32], b[32];
        return rb_fail(r->err, RB_ERR_DATA, "%s:%zu: the dates must increase: %s is not after %s, the row before",
                       r->path, row->line, rb_time_format(row->time, a), rb_time_format(r->last, b));
    }
    return RB_OK;
}

static void on_record(int c, void *data)
{
    (void)c;
    reader *r = data;
    size_t line = r->rec_line ? r->rec_line : r->line;
    r->rec_line = 0;
    if (r->rc != RB_OK || r->n == 0) return;
    for (size_t i = 0; i < r->n; i++) r->cell[i] = r->buf + r->off[i];
    rb_dated_row row = {.path = r->path, .line = line, .n = r->n, .cell = r->cell};
    rb_error why = {0};
    /* The first row is a header when its first cell is empty or no date. */
    int header = r->rows == 0 && (row.cell[0][0] == '\0' || rb_time_parse(row.cell[0], NULL, &row.time, &why) != RB_OK);
    if (header) {
        row.time = 0;
        r->rc = r->on_header ? r->on_header(r->ctx, &row, r->err) : RB_OK;
    } else {
        r->rc = row_date(r, &row);
        if (r->rc == RB_OK) r->rc = r->on_row(r->ctx, &row, r->err);
        r->last = row.time;
        r->has_last = 1;
    }
    r->rows++;
    r->n = 0;
    r->len = 0;
}

/* 1 when s[0..n) holds nothing libcsv would read as a cell. */
static int blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_blank(s[i]) && s[i] != '\n') return 0;
    return 1;
}

static void feed(reader *r, struct csv_parser *csv, const char *s, size_t n)
{
    while (n > 0 && r->rc == RB_OK) {
        const char *nl = memchr(s, '\n', n);
        size_t len = nl ? (size_t)(nl - s) + 1 : n;
        if (!r->rec_line && !blank_line(s, len)) r->rec_line = r->line;
        if (csv_parse(csv, s, len, on_field, on_record, r) != len && r->rc == RB_OK) {
            int code = csv_error(csv);
            if (code == CSV_ENOMEM || code == CSV_ETOOBIG) fail_nomem(r);
            else
                r->rc = rb_fail(r->err, RB_ERR_DATA,
                                "%s:%zu: malformed quoting (a quote inside an unquoted field, or text after a "
                                "closing quote)",
                                r->path, r->line);
        }
        if (nl) r->line++;
        s += len;
        n -= len;
    }
}

/* The whole file into *text (*len bytes): a regular file, not too large. */
static rb_status slurp(const char *path, char **text, size_t *len, rb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return rb_fail(err, RB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    rb_status rc = RB_OK;
    if (fstat(fileno(f), &sb) != 0) rc = rb_fail(err, RB_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    else if (!S_ISREG(sb.st_mode)) rc = rb_fail(err, RB_ERR_IO, "%s: not a regular file", path);
    else if ((uintmax_t)sb.st_size > RB_DATED_CSV_MAX_BYTES)
        rc = rb_fail(err, RB_ERR_DATA, "%s: larger than %zu MiB", path, RB_DATED_CSV_MAX_BYTES >> 20);
    size_t size = rc == RB_OK ? (size_t)sb.st_size : 0;
    *text = rc == RB_OK ? rb_malloc(size + 1) : NULL;
    if (rc == RB_OK && !*text) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (rc == RB_OK) {
        *len = fread(*text, 1, size, f);
        if (ferror(f)) rc = rb_fail(err, RB_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    }
    fclose(f);
    if (rc != RB_OK) {
        free(*text);
        *text = NULL;
    }
    return rc;
}

rb_status rb_dated_csv_read(const char *path, rb_dated_row_fn on_header, rb_dated_row_fn on_row, void *ctx,
                            rb_error *err)
{
    char *text = NULL;
    size_t len = 0;
    rb_status rc = slurp(path, &text, &len, err);
    if (rc != RB_OK) return rc;
    struct csv_parser csv;
    if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(text);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    csv_set_realloc_func(&csv, rb_realloc);
    reader r = {.path = path, .on_header = on_header, .on_row = on_row, .ctx = ctx, .err = err, .line = 1};
    const char *s = text;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3, len -= 3;
    feed(&r, &csv, s, len);
    if (r.rc == RB_OK && csv_fini(&csv, on_field, on_record, &r) != 0 && r.rc == RB_OK)
        r.rc = rb_fail(err, RB_ERR_DATA, "%s:%zu: a quoted field is never closed", path, r.rec_line ? r.rec_line : r.line);
    csv_free(&csv);
    free(text);
    free(r.buf);
    free(r.off);
    free(r.cell);
    return r.rc;
}
