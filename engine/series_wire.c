/* series_wire.c - a sweep's stored series as one flat buffer and back (series_wire.h).
 * Layout: a header (a magic number, the count), then per series its name's length, its
 * name, its point count, its times and its values. */
#include "series_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "sweep_inputs.h"

#define SERIES_MAGIC UINT64_C(0x31736569726573bb) /* "series1" */

typedef struct packer {
    rb_store *prices;
    unsigned char *buf;
    size_t len, cap;
    uint64_t count;
    char **names; /* the names packed so far (count of them) */
} packer;

static rb_status put(packer *p, const void *src, size_t n, rb_error *err)
{
    if (p->cap - p->len < n) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap - p->len < n) cap *= 2;
        unsigned char *grown = rb_realloc(p->buf, cap);
        if (!grown) return rb_fail(err, RB_ERR_NOMEM, "out of memory packing the series");
        p->buf = grown;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, src, n);
    p->len += n;
    return RB_OK;
}

/* Series `name`, read by setting `key`, once. */
static rb_status pack_one(packer *p, const char *key, const char *name, rb_error *err)
{
    for (uint64_t i = 0; i < p->count; i++)
        if (strcmp(p->names[i], name) == 0) return RB_OK;
    rb_time *time = NULL;
    double *value = NULL;
    size_t n = 0;
    rb_error why = {0};
    rb_status rc = rb_series_get(p->prices, name, &time, &value, &n, &why);
    if (rc == RB_ERR_NOT_FOUND)
        return rb_fail(err, RB_ERR_USAGE,
                       "--broadcast-prices: the sweep's %s names '%s', which the price store holds no series of: "
                       "only stored series are sent to the other ranks; run it without --broadcast-prices, with the "
                       "store on every node",
                       key, name);
    if (rc != RB_OK) {
        if (err) *err = why;
        return rc;
    }
    char **names = rb_realloc(p->names, (p->count + 1) * sizeof *names);
    uint64_t len = strlen(name), count = n;
    if (names) p->names = names;
    rc = names && (names[p->count] = rb_strdup(name)) ? RB_OK : rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (rc == RB_OK) p->count++;
    if (rc == RB_OK) rc = put(p, &len, sizeof len, err);
    if (rc == RB_OK) rc = put(p, name, len, err);
    if (rc == RB_OK) rc = put(p, &count, sizeof count, err);
    if (rc == RB_OK) rc = put(p, time, n * sizeof *time, err);
    if (rc == RB_OK) rc = put(p, value, n * sizeof *value, err);
    free(time);
    free(value);
    return rc;
}

/* The packer and the setting whose value it reads (for the message about a missing series). */
typedef struct pack_ctx {
    packer *p;
    const char *key;
} pack_ctx;

static rb_status pack_named(void *ctx, const char *named, const char *name, rb_error *err)
{
    (void)named;
    const pack_ctx *c = ctx;
    return pack_one(c->p, c->key, name, err);
}

static rb_status pack_input(void *ctx, const rb_setting_info *row, const char *written, const char *text,
                            rb_error *err)
{
    (void)written;
    if (!text[0]) return RB_OK; /* the default: no series */
    pack_ctx c = {.p = ctx, .key = row->key};
    return rb_input_series_each(row, text, pack_named, &c, err);
}

rb_status rb_series_pack(rb_store *prices, const rb_sweep *sweep, unsigned char **buf, size_t *bytes, rb_error *err)
{
    *buf = NULL;
    *bytes = 0;
    packer p = {.prices = prices};
    uint64_t head[2] = {SERIES_MAGIC, 0};
    rb_status rc = put(&p, head, sizeof head, err);
    if (rc == RB_OK) rc = rb_sweep_each_input(sweep, pack_input, &p, err);
    for (uint64_t i = 0; i < p.count; i++) free(p.names[i]);
    free(p.names);
    if (rc != RB_OK || p.count == 0) {
        free(p.buf);
        return rc;
    }
    memcpy(p.buf + sizeof head[0], &p.count, sizeof p.count);
    *buf = p.buf;
    *bytes = p.len;
    return RB_OK;
}

/* The next n bytes of the buffer, or NULL when it is shorter. */
static const unsigned char *take(const unsigned char **at, const unsigned char *end, size_t n)
{
    if ((size_t)(end - *at) < n) return NULL;
    const unsigned char *p = *at;
    *at += n;
    return p;
}

rb_status rb_series_unpack(const unsigned char *buf, size_t bytes, rb_store **out, rb_error *err)
{
    *out = NULL;
    const unsigned char *at = buf, *end = buf + bytes, *p;
    uint64_t head[2];
    if (!buf || !(p = take(&at, end, sizeof head)) || (memcpy(head, p, sizeof head), head[0] != SERIES_MAGIC))
        return rb_fail(err, RB_ERR_DATA, "the series received are damaged (no header)");
    rb_store *store = NULL;
    rb_status rc = rb_store_open(":memory:", 0, &store, err);
    for (uint64_t i = 0; rc == RB_OK && i < head[1]; i++) {
        uint64_t len = 0, n = 0;
        char name[RB_SYMBOL_MAX + 1];
        const unsigned char *np = NULL, *tp = NULL, *vp = NULL;
        if ((p = take(&at, end, sizeof len))) memcpy(&len, p, sizeof len);
        if (p && len < sizeof name && (np = take(&at, end, len)) && (p = take(&at, end, sizeof n))) memcpy(&n, p, sizeof n);
        if (np && p && n > 0 && n < SIZE_MAX / 16 && (tp = take(&at, end, n * sizeof(rb_time))))
            vp = take(&at, end, n * sizeof(double));
        if (!vp) {
            rc = rb_fail(err, RB_ERR_DATA, "the series received are damaged (series %llu of %llu)",
                         (unsigned long long)i + 1, (unsigned long long)head[1]);
            break;
        }
        memcpy(name, np, len);
        name[len] = '\0';
        rb_time *time = rb_malloc(n * sizeof *time);
        double *value = rb_malloc(n * sizeof *value);
        rc = time && value ? RB_OK : rb_fail(err, RB_ERR_NOMEM, "out of memory receiving the series");
        if (rc == RB_OK) {
            memcpy(time, tp, n * sizeof *time); /* copied: the buffer need not be aligned */
            memcpy(value, vp, n * sizeof *value);
            rc = rb_series_import_arrays(store, name, time, value, (size_t)n, 0, NULL, err);
        }
        free(time);
        free(value);
    }
    if (rc == RB_OK && at != end) rc = rb_fail(err, RB_ERR_DATA, "the series received are damaged (trailing bytes)");
    if (rc != RB_OK) {
        rb_store_free(store);
        return rc;
    }
    *out = store;
    return RB_OK;
}
