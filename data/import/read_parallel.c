/* read_parallel.c - a large mapped CSV file parsed by two threads (parser.h): past the
 * header, a helper thread parses the second half into its own arrays, merged only when the
 * result is the one a sequential parse would give. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "parser.h"
#include "alloc.h"

/* The helper thread's half of a file, with its own arrays. */
typedef struct helper {
    rb_parser p;
    rb_rows r;
    rb_symtab syms;
    char *scratch;
    size_t scratch_cap;
    rb_error e;
    size_t nsym0; /* symbols copied from the import's table: same index on both sides */
    const char *s;
    size_t n;
} helper;

static void *helper_main(void *arg)
{
    helper *h = arg;
    rb_parser_feed(&h->p, h->s, h->n);
    if (!h->p.failed && csv_fini(&h->p.csv, rb_parser_on_field, rb_parser_on_record, &h->p) != 0) h->p.failed = 1;
    return NULL;
}

/* Sets up h to parse s[0..n) with p's header (p has read it); 0 when out of memory. */
static int helper_init(helper *h, const rb_parser *p, const char *s, size_t n)
{
    memset(h, 0, sizeof *h);
    h->p = *p;
    rb_parser *q = &h->p;
    q->r = &h->r;
    q->syms = &h->syms;
    q->scratch = &h->scratch;
    q->scratch_cap = &h->scratch_cap;
    q->e = &h->e;
    q->records = 0;
    q->line = 1; /* relative to the split; the offset is added when merging */
    q->rec_line = 0;
    q->nfield = 0;
    q->hdr = NULL;
    q->nhdr = q->caphdr = 0;
    q->shared_cols = 1;
    q->last_sym_ok = 0;
    q->pending = 0;
    q->wide_val = rb_malloc(p->ncols * sizeof *q->wide_val);
    h->s = s;
    h->n = n;
    if (csv_init(&q->csv, CSV_STRICT | CSV_STRICT_FINI) != 0 || !q->wide_val) return 0;
    csv_set_realloc_func(&q->csv, rb_realloc); /* libcsv's buffer too goes through alloc.h */
    csv_set_delim(&q->csv, (unsigned char)q->delim);
    for (size_t i = 0; i < p->syms->n; i++)
        if (rb_symtab_add(&h->syms, p->syms->name[i], p->syms->len[i]) < 0) return 0;
    h->nsym0 = p->syms->n;
    if ((p->r->open || p->has_ohlv) && !rb_rows_add_ohlv(&h->r)) return 0;
    return 1;
}

static void helper_free(helper *h)
{
    rb_parser_free(&h->p);
    rb_rows_free(&h->r);
    rb_symtab_free(&h->syms);
    free(h->scratch);
}

/* Appends the helper's bars to the import's, mapping its symbols and shifting its line
 * numbers by line_base - 1. 0 when out of memory or past the line limit (p failed). */
static int merge_helper(rb_parser *p, helper *h, size_t line_base)
{
    rb_rows *r = p->r;
    const rb_rows *q = &h->r;
    uint32_t *map = rb_malloc((h->syms.n ? h->syms.n : 1) * sizeof *map);
    if (!map) return rb_parser_fail_oom(p);
    for (size_t i = 0; i < h->syms.n; i++) {
        int64_t k = i < h->nsym0 ? (int64_t)i : rb_symtab_find(p->syms, h->syms.name[i], h->syms.len[i]);
        if (k < 0) k = rb_symtab_add(p->syms, h->syms.name[i], h->syms.len[i]);
        if (k < 0) {
            free(map);
            return rb_parser_fail_oom(p);
        }
        map[i] = (uint32_t)k;
    }
    while (r->cap < r->n + q->n)
        if (!rb_rows_grow(r)) {
            free(map);
            return rb_parser_fail_oom(p);
        }
    for (size_t j = 0; j < q->n; j++) {
        size_t i = r->n + j, line = q->line[j] + line_base - 1;
        if (line > UINT32_MAX) {
            free(map);
            rb_fail(p->e, RB_ERR_DATA, "%s:%zu: too many lines (at most %u)", p->path, line, UINT32_MAX);
            p->failed = 1;
            return 0;
        }
        r->asset[i] = map[q->asset[j]];
        r->line[i] = (uint32_t)line;
    }
    memcpy(r->ts + r->n, q->ts, q->n * sizeof *q->ts);
    memcpy(r->close + r->n, q->close, q->n * sizeof *q->close);
    if (r->open) {
        double *to[4] = {r->open, r->high, r->low, r->volume};
        double *from[4] = {q->open, q->high, q->low, q->volume};
        for (int c = 0; c < 4; c++) {
            if (from[c]) memcpy(to[c] + r->n, from[c], q->n * sizeof(double));
            else
                for (size_t j = 0; j < q->n; j++) to[c][r->n + j] = NAN;
        }
    }
    r->n += q->n;
    p->records += h->p.records;
    free(map);
    return 1;
}

/* Parses a mapped regular file. Past the header, a large file is split at the first line
 * start after its middle; a helper thread parses the second part while this one parses the
 * first. The split is a guess (it may fall inside a quoted field): the helper's result is
 * used only when this thread ends its part between records and the helper met no error;
 * otherwise this thread parses the second part itself, so the outcome and every message
 * are those of a plain sequential parse. */
rb_status rb_parser_read_mapped(rb_parser *p, const char *s, size_t n)
{
    size_t bytes = n;
    if (!rb_parser_start_file(p, &s, &n)) return rb_parser_finish_file(p, bytes);
    size_t pos = 0;
    while (pos < n && !p->failed && !p->header_done) {
        int line_end;
        size_t len = rb_parser_next_piece(s + pos, n - pos, &line_end);
        rb_parser_feed(p, s + pos, len);
        pos += len;
    }
    /* An undated file numbers its bars in file order, which the helper thread cannot know. */
    if (!p->failed && p->header_done && n - pos >= PARALLEL_MIN && p->im->opt->every == RB_BARS_DATED) {
        const char *nl = memchr(s + pos + (n - pos) / 2, '\n', n - pos - (n - pos) / 2);
        size_t split = nl ? (size_t)(nl - s) + 1 : n;
        helper *h = split < n ? rb_malloc(sizeof *h) : NULL;
        pthread_t tid;
        if (h && helper_init(h, p, s + split, n - split) && pthread_create(&tid, NULL, helper_main, h) == 0) {
            rb_parser_feed(p, s + pos, split - pos);
            pthread_join(tid, NULL);
            pos = split;
            if (!p->failed && !p->rec_line && !h->p.failed) {
                if (merge_helper(p, h, p->line)) pos = n;
            }
        }
        if (h) helper_free(h);
        free(h);
    }
    if (!p->failed && pos < n) rb_parser_feed(p, s + pos, n - pos);
    return rb_parser_finish_file(p, bytes);
}
