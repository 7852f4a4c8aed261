/* matrix_wire.c - a price matrix as one flat buffer and back (matrix_wire.h). Layout: a
 * header (sizes, flags, the periods), the symbols (each with its terminating NUL), then the
 * arrays in rb_matrix's order. */
#include "matrix_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

typedef struct wire_header {
    uint64_t magic, T, N, symbol_bytes;
    int32_t has_volume, periods_inferred, has_has_open, pad;
    double periods_per_year;
    char periods_source[160];
} wire_header;

#define WIRE_MAGIC UINT64_C(0x31786972746d6272) /* "rbmtrix1" */

/* Sizes of the arrays after the symbols, in order: time, close, open, volume, growth,
 * filled, has_open, flags. */
static void array_sizes(size_t T, size_t N, int has_has_open, size_t sz[8])
{
    size_t cells = T * N;
    sz[0] = T * sizeof(rb_time);
    sz[1] = sz[2] = sz[3] = sz[4] = cells * sizeof(double);
    sz[5] = cells;
    sz[6] = has_has_open ? N : 0;
    sz[7] = T * sizeof(uint16_t);
}

rb_status rb_matrix_pack(const rb_matrix *m, unsigned char **buf, size_t *bytes, rb_error *err)
{
    wire_header h = {.magic = WIRE_MAGIC, .T = m->T, .N = m->N, .has_volume = m->has_volume,
                     .periods_inferred = m->periods_inferred, .has_has_open = m->has_open != NULL,
                     .periods_per_year = m->periods_per_year};
    memcpy(h.periods_source, m->periods_source, sizeof h.periods_source);
    for (size_t i = 0; i < m->N; i++) h.symbol_bytes += strlen(m->symbols[i]) + 1;
    size_t sz[8], total = sizeof h + h.symbol_bytes;
    array_sizes(m->T, m->N, h.has_has_open, sz);
    for (int a = 0; a < 8; a++) total += sz[a];
    unsigned char *out = rb_malloc(total), *at = out;
    if (!out) return rb_fail(err, RB_ERR_NOMEM, "out of memory packing the prices (%zu bytes)", total);
    memcpy(at, &h, sizeof h), at += sizeof h;
    for (size_t i = 0; i < m->N; i++) {
        size_t len = strlen(m->symbols[i]) + 1;
        memcpy(at, m->symbols[i], len), at += len;
    }
    const void *src[8] = {m->time, m->close, m->open, m->volume, m->growth, m->filled, m->has_open, m->flags};
    for (int a = 0; a < 8; a++)
        if (sz[a]) memcpy(at, src[a], sz[a]), at += sz[a];
    *buf = out;
    *bytes = total;
    return RB_OK;
}

static rb_status bad(rb_error *err, const char *what)
{
    return rb_fail(err, RB_ERR_DATA, "the prices received are damaged: %s", what);
}

/* Copies the symbols (symbol_bytes of NUL-terminated names, exactly N of them). */
static rb_status unpack_symbols(rb_matrix *m, const unsigned char *at, size_t symbol_bytes, rb_error *err)
{
    m->symbols = rb_calloc(m->N ? m->N : 1, sizeof *m->symbols);
    if (!m->symbols) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    size_t off = 0;
    for (size_t i = 0; i < m->N; i++) {
        const unsigned char *nul = off < symbol_bytes ? memchr(at + off, 0, symbol_bytes - off) : NULL;
        if (!nul) return bad(err, "a symbol is cut short");
        if (!(m->symbols[i] = rb_strdup((const char *)at + off))) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
        off = (size_t)(nul - at) + 1;
    }
    return off == symbol_bytes ? RB_OK : bad(err, "the symbols' length does not match");
}

rb_status rb_matrix_unpack(const unsigned char *buf, size_t bytes, rb_matrix **out, rb_error *err)
{
    wire_header h;
    if (bytes < sizeof h) return bad(err, "shorter than its header");
    memcpy(&h, buf, sizeof h);
    if (h.magic != WIRE_MAGIC) return bad(err, "not a packed matrix");
    if (h.N > (1u << 20) || h.T > (UINT64_C(1) << 40) || h.symbol_bytes > bytes) return bad(err, "absurd sizes");
    size_t sz[8], total = sizeof h + h.symbol_bytes;
    array_sizes(h.T, h.N, h.has_has_open, sz);
    for (int a = 0; a < 8; a++) total += sz[a];
    if (total != bytes) return bad(err, "its length does not match its sizes");
    rb_matrix *m = rb_calloc(1, sizeof *m);
    if (!m) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    m->T = h.T, m->N = h.N, m->has_volume = h.has_volume, m->periods_inferred = h.periods_inferred;
    m->periods_per_year = h.periods_per_year;
    memcpy(m->periods_source, h.periods_source, sizeof m->periods_source);
    m->periods_source[sizeof m->periods_source - 1] = 0;
    rb_status rc = unpack_symbols(m, buf + sizeof h, h.symbol_bytes, err);
    const unsigned char *at = buf + sizeof h + h.symbol_bytes;
    void **dst[8] = {(void **)&m->time, (void **)&m->close, (void **)&m->open, (void **)&m->volume,
                     (void **)&m->growth, (void **)&m->filled, (void **)&m->has_open, (void **)&m->flags};
    for (int a = 0; a < 8 && rc == RB_OK; a++) {
        if (!sz[a]) continue;
        if (!(*dst[a] = rb_malloc(sz[a]))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory for the prices");
        else memcpy(*dst[a], at, sz[a]), at += sz[a];
    }
    if (rc != RB_OK) {
        rb_matrix_free(m);
        return rc;
    }
    *out = m;
    return RB_OK;
}
