/* parser.c - the state of one CSV file's parse (parser.h): set up for a file of an import,
 * released, and failed for lack of memory. */
#include "parser.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

void rb_parser_init(rb_parser *p, rb_importer *im, size_t file)
{
    memset(p, 0, sizeof *p);
    p->im = im;
    p->r = &im->r;
    p->syms = &im->syms;
    p->scratch = &im->scratch;
    p->scratch_cap = &im->scratch_cap;
    p->e = &im->e;
    p->file = file;
    p->path = im->paths[file];
    p->line = 1;
    p->decimal = im->opt->decimal ? im->opt->decimal : '.';
}

/* Marks p failed for lack of memory; returns 0 (for "return rb_parser_fail_oom(p);"). */
int rb_parser_fail_oom(rb_parser *p)
{
    rb_fail(p->e, RB_ERR_NOMEM, "%s: out of memory while importing", p->path);
    p->failed = 1;
    return 0;
}

void rb_parser_free(rb_parser *p)
{
    csv_free(&p->csv);
    for (size_t i = 0; i < p->nhdr; i++) free(p->hdr[i]);
    free(p->hdr);
    if (!p->shared_cols) {
        for (size_t c = 0; c < p->ncols; c++) {
            free(p->cols[c].name);
            free(p->cols[c].shown);
        }
        free(p->cols);
    }
    free(p->wide_val);
}
