/* sweep_inputs.c - the digest of what a sweep reads beside its file and the prices: the
 * bytes of each CSV it names (--targets-csv, --when) and each stored series it names
 * (--gas-series, --amm-depth-series) as laid onto the run's bars (sweep_inputs.h). */
#include "sweep_inputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "asset_names.h"
#include "dataset_hash.h"
#include "error.h"
#include "resolve.h"

typedef struct digest_ctx {
    rb_store *prices;
    const rb_matrix *m;
    double *values; /* m->T values of one series */
    uint64_t h;
    int any;
} digest_ctx;

static void mix_text(digest_ctx *d, const char *text) { d->h = rb_hash_bytes(text, strlen(text) + 1, d->h); }

/* A file's bytes, or, when it cannot be read, the reason (the run that opens it says so). */
static rb_status mix_file(digest_ctx *d, const char *path, rb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        mix_text(d, strerror(errno));
        return RB_OK;
    }
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) d->h = rb_hash_bytes(buf, n, d->h);
    int bad = ferror(f);
    fclose(f);
    if (bad) return rb_fail(err, RB_ERR_IO, "%s: cannot read it", path);
    return RB_OK;
}

rb_status rb_input_series_each(const rb_setting_info *row, const char *text, rb_series_name_fn fn, void *ctx,
                               rb_error *err)
{
    if (row->input == RB_INPUT_SERIES)
        return fn(ctx, text, strncmp(text, "series:", 7) == 0 ? text + 7 : text, err); /* --benchmark series:NAME */
    if (row->input != RB_INPUT_SERIES_PER_ASSET) return RB_OK;
    rb_asset_names v = {0};
    rb_status rc = rb_read_asset_names(row->key, text, &v, err);
    for (size_t i = 0; rc == RB_OK && i < v.n; i++) rc = fn(ctx, v.name[i], v.name[i], err);
    rb_asset_names_clear(&v);
    return rc;
}

/* A series' values on the run's bars (a SYM reads the same way), or, when it is not there, its
 * absence (the run that reads it says so, naming the option); after the text naming it. */
static rb_status mix_series(void *ctx, const char *named, const char *name, rb_error *err)
{
    (void)err;
    digest_ctx *d = ctx;
    rb_error ignored = {0};
    mix_text(d, named);
    if (d->prices && rb_resolve_dated(d->prices, name, d->m, d->values, &ignored) == RB_OK)
        d->h = rb_hash_bytes(d->values, d->m->T * sizeof *d->values, d->h);
    else
        mix_text(d, "(absent)");
    return RB_OK;
}

/* Each input by its key and its value as written (the sweep's text has it so; how a path is
 * reached from where the command runs is no part of the data), then its content. */
static rb_status mix_input(void *ctx, const rb_setting_info *row, const char *written, const char *text,
                           rb_error *err)
{
    digest_ctx *d = ctx;
    if (!text[0]) return RB_OK; /* "" is the default: nothing named */
    d->any = 1;
    mix_text(d, row->key);
    mix_text(d, written);
    switch (row->input) {
    case RB_INPUT_FILE: return mix_file(d, text, err);
    case RB_INPUT_SERIES:
    case RB_INPUT_SERIES_PER_ASSET: {
        rb_error ignored = {0};
        if (rb_input_series_each(row, text, mix_series, d, &ignored) != RB_OK)
            mix_text(d, "(unreadable)"); /* the sweep's parse refused it already */
        return RB_OK;
    }
    case RB_INPUT_NONE: return RB_OK;
    }
    return RB_OK;
}

rb_status rb_sweep_inputs_digest(rb_store *prices, const rb_sweep *sweep, const rb_matrix *m, uint64_t *digest,
                                 int *any, rb_error *err)
{
    digest_ctx d = {.prices = prices, .m = m, .values = rb_malloc((m->T ? m->T : 1) * sizeof(double))};
    if (!d.values) return rb_fail(err, RB_ERR_NOMEM, "out of memory reading a sweep's series");
    rb_status rc = rb_sweep_each_input(sweep, mix_input, &d, err);
    free(d.values);
    *digest = d.h;
    *any = d.any;
    return rc;
}

static rb_status mix_file_input(void *ctx, const rb_setting_info *row, const char *written, const char *text,
                                rb_error *err)
{
    return row->input == RB_INPUT_FILE ? mix_input(ctx, row, written, text, err) : RB_OK;
}

rb_status rb_sweep_files_digest(const rb_sweep *sweep, uint64_t *digest, int *any, rb_error *err)
{
    digest_ctx d = {0};
    rb_status rc = rb_sweep_each_input(sweep, mix_file_input, &d, err);
    *digest = d.h;
    *any = d.any;
    return rc;
}

typedef struct named_ctx {
    int files_only;
    char *out;
    size_t len, used;
} named_ctx;

static rb_status name_input(void *ctx, const rb_setting_info *row, const char *written, const char *text,
                            rb_error *err)
{
    (void)err, (void)written;
    named_ctx *n = ctx;
    if (!text[0] || (n->files_only && row->input != RB_INPUT_FILE) || n->used + 4 >= n->len) return RB_OK;
    int w = snprintf(n->out + n->used, n->len - n->used, "%s%s = %s", n->used ? ", " : "", row->key, text);
    if (w > 0 && (size_t)w < n->len - n->used) n->used += (size_t)w;
    else snprintf(n->out + n->len - 4, 4, "..."), n->used = n->len; /* cut short */
    return RB_OK;
}

void rb_sweep_inputs_named(const rb_sweep *sweep, int files_only, char *out, size_t len)
{
    if (!len) return;
    out[0] = '\0';
    named_ctx n = {.files_only = files_only, .out = out, .len = len};
    rb_sweep_each_input(sweep, name_input, &n, NULL);
}
