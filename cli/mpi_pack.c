/* mpi_pack.c - a chunk's results packed into one message and read back (mpi_pack.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "mpi_pack.h"
#include "sweep_chunks.h"

/* A row's head, periods_source, rf and exec_note are the whole rb_metrics, without padding:
 * what a row carries rebuilds every byte. */
static_assert(offsetof(rb_metrics, rf) == WIRE_HEAD_BYTES + WIRE_PERIODS_BYTES, "rf follows periods_source");
static_assert(offsetof(rb_metrics, exec_note) == offsetof(rb_metrics, rf) + sizeof(double), "exec_note follows rf");
static_assert(sizeof(rb_metrics) == offsetof(rb_metrics, exec_note) + WIRE_NOTE_BYTES, "exec_note ends rb_metrics");
static_assert(sizeof(wire_row) == 16 + WIRE_HEAD_BYTES + sizeof(double), "wire_row has no padding");
static_assert(sizeof(wire_failure) % 8 == 0 && WIRE_PERIODS_BYTES % 8 == 0 && WIRE_NOTE_BYTES % 8 == 0,
              "the parts of a message stay aligned");

void cli_wire_out_init(cli_wire_out *o)
{
    static const pthread_mutex_t unlocked = PTHREAD_MUTEX_INITIALIZER;
    memset(o, 0, sizeof *o);
    o->texts.mu = unlocked;
}

void cli_wire_out_free(cli_wire_out *o)
{
    pthread_mutex_destroy(&o->texts.mu);
    free(o->msg);
    free(o->filled);
    free(o->why);
    memset(o, 0, sizeof *o);
}

static wire_row *rows_of(const cli_wire_out *o)
{
    return (wire_row *)(o->msg + sizeof(results_header));
}

/* The most bytes a message of n positions takes: rows, both tables full, a failure each. */
static size_t most_bytes(size_t n)
{
    return sizeof(results_header) + n * (sizeof(wire_row) + sizeof(wire_failure)) +
           WIRE_TEXTS * (WIRE_PERIODS_BYTES + WIRE_NOTE_BYTES);
}

rb_status cli_wire_begin(cli_wire_out *o, size_t n, rb_error *err)
{
    if (n > RB_CHUNK_MAX) return rb_fail(err, RB_ERR_USAGE, "a chunk of %zu configurations (at most %d)", n, RB_CHUNK_MAX);
    if (n > o->slots) {
        /* Allocated, not touched: the failures' part is written only for failed rows. */
        unsigned char *msg = rb_realloc(o->msg, most_bytes(n));
        if (msg) o->msg = msg, o->cap = most_bytes(n);
        char *filled = msg ? rb_realloc(o->filled, n) : NULL;
        if (filled) o->filled = filled;
        rb_error *why = filled ? rb_realloc(o->why, n * sizeof *why) : NULL;
        if (why) o->why = why, o->slots = n;
        if (!why) return rb_fail(err, RB_ERR_NOMEM, "out of memory for a chunk's results (%zu configurations)", n);
    }
    o->n = n;
    if (n) memset(o->filled, 0, n);
    return RB_OK;
}

/* text's entry in table (count[field] entries of size bytes), added when new; -1: full. */
static int intern(cli_wire_texts *t, int field, char *table, size_t size, const char *text)
{
    int n = __atomic_load_n(&t->count[field], __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (memcmp(table + (size_t)i * size, text, size) == 0) return i;
    pthread_mutex_lock(&t->mu);
    int found = -1;
    n = t->count[field];
    for (int i = 0; i < n && found < 0; i++)
        if (memcmp(table + (size_t)i * size, text, size) == 0) found = i;
    if (found < 0 && n < WIRE_TEXTS) {
        memcpy(table + (size_t)n * size, text, size);
        __atomic_store_n(&t->count[field], n + 1, __ATOMIC_RELEASE);
        found = n;
    }
    pthread_mutex_unlock(&t->mu);
    return found;
}

rb_status cli_wire_put(cli_wire_out *o, size_t pos, uint64_t k, const rb_metrics *m, rb_error *err)
{
    int periods = intern(&o->texts, 0, &o->texts.periods[0][0], WIRE_PERIODS_BYTES, m->periods_source);
    int note = intern(&o->texts, 1, &o->texts.notes[0][0], WIRE_NOTE_BYTES, m->exec_note);
    if (periods < 0 || note < 0)
        return rb_fail(err, RB_ERR_USAGE, "configuration %llu: more than %d different %s texts in one sweep",
                       (unsigned long long)k, WIRE_TEXTS, periods < 0 ? "periods_source" : "exec_note");
    wire_row *row = rows_of(o) + pos;
    row->index = k, row->periods = (uint16_t)periods, row->note = (uint16_t)note, row->failed = 0;
    memcpy(row->head, m, WIRE_HEAD_BYTES);
    row->rf = m->rf;
    o->filled[pos] = 1;
    return RB_OK;
}

void cli_wire_put_failure(cli_wire_out *o, size_t pos, uint64_t k, const rb_error *why)
{
    wire_row *row = rows_of(o) + pos;
    row->index = k, row->failed = 1;
    o->why[pos] = *why;
    o->filled[pos] = 1;
}

rb_status cli_wire_finish(cli_wire_out *o, int stopping, const void **msg, size_t *bytes, rb_error *err)
{
    if (!o->msg) { /* no chunk yet: room for the header alone */
        o->msg = rb_malloc(most_bytes(0));
        if (!o->msg) return rb_fail(err, RB_ERR_NOMEM, "out of memory for a results message");
        o->cap = most_bytes(0);
    }
    results_header h = {.rows = o->n, .stopping = stopping};
    wire_row *rows = rows_of(o);
    for (size_t i = 0; i < o->n; i++)
        if (!o->filled[i]) rows[i].index = WIRE_NO_ROW;
    unsigned char *at = (unsigned char *)(rows + o->n);
    for (int f = 0; f < WIRE_FIELDS; f++) {
        h.count[f] = (uint32_t)__atomic_load_n(&o->texts.count[f], __ATOMIC_ACQUIRE);
        size_t size = f ? WIRE_NOTE_BYTES : WIRE_PERIODS_BYTES;
        memcpy(at, f ? &o->texts.notes[0][0] : &o->texts.periods[0][0], h.count[f] * size);
        at += h.count[f] * size;
    }
    for (size_t i = 0; i < o->n; i++) {
        if (!o->filled[i] || !rows[i].failed) continue;
        wire_failure fail = {.index = rows[i].index, .why = o->why[i]};
        memcpy(at, &fail, sizeof fail);
        at += sizeof fail;
        h.failures++;
    }
    memcpy(o->msg, &h, sizeof h);
    *msg = o->msg;
    *bytes = (size_t)(at - o->msg);
    o->n = 0;
    return RB_OK;
}

rb_status cli_wire_open(cli_wire_in *in, const void *msg, size_t bytes, int rank, rb_error *err)
{
    const unsigned char *p = msg;
    if (bytes < sizeof in->h) return rb_fail(err, RB_ERR_IO, "rank %d sent %zu bytes of results: too few", rank, bytes);
    memcpy(&in->h, p, sizeof in->h);
    const results_header *h = &in->h;
    size_t want = 0;
    int sane = h->rows <= RB_CHUNK_MAX && h->failures <= h->rows && h->count[0] <= WIRE_TEXTS &&
               h->count[1] <= WIRE_TEXTS;
    if (sane)
        want = sizeof *h + h->rows * sizeof(wire_row) + h->count[0] * WIRE_PERIODS_BYTES +
               h->count[1] * WIRE_NOTE_BYTES + h->failures * sizeof(wire_failure);
    if (!sane || want != bytes)
        return rb_fail(err, RB_ERR_IO,
                       "rank %d sent %zu bytes of results for %llu rows, %llu failures and %u + %u texts: "
                       "malformed (the ranks must run the same rebal)",
                       rank, bytes, (unsigned long long)h->rows, (unsigned long long)h->failures, h->count[0],
                       h->count[1]);
    in->rows = (const wire_row *)(p + sizeof *h);
    in->periods = (const char *)(in->rows + h->rows);
    in->notes = in->periods + h->count[0] * WIRE_PERIODS_BYTES;
    in->failures = (const unsigned char *)(in->notes + h->count[1] * WIRE_NOTE_BYTES);
    in->next_failure = 0;
    in->codes[0] = in->codes[1] = -1;
    return RB_OK;
}

int cli_wire_row(cli_wire_in *in, uint64_t i, int rank, uint64_t *k, const rb_metrics **m, const rb_error **why,
                 rb_error *err)
{
    const wire_row *row = in->rows + i;
    if (row->index == WIRE_NO_ROW) return 0;
    *k = row->index;
    if (row->failed) {
        const wire_failure *f = (const wire_failure *)(in->failures + in->next_failure * sizeof(wire_failure));
        if (in->next_failure >= in->h.failures || f->index != row->index) {
            rb_fail(err, RB_ERR_IO, "rank %d: configuration %llu failed, but its message is missing", rank,
                    (unsigned long long)row->index);
            return -1;
        }
        in->next_failure++;
        *why = &f->why;
        return 2;
    }
    if (row->periods >= in->h.count[0] || row->note >= in->h.count[1]) {
        rb_fail(err, RB_ERR_IO, "rank %d: configuration %llu names text %u and %u of %u and %u", rank,
                (unsigned long long)row->index, row->periods, row->note, in->h.count[0], in->h.count[1]);
        return -1;
    }
    memcpy(&in->m, row->head, WIRE_HEAD_BYTES);
    in->m.rf = row->rf;
    /* The texts change seldom (once per message at most, in practice): copied when they do. */
    if (in->codes[0] != row->periods)
        memcpy(in->m.periods_source, in->periods + (size_t)row->periods * WIRE_PERIODS_BYTES, WIRE_PERIODS_BYTES);
    if (in->codes[1] != row->note)
        memcpy(in->m.exec_note, in->notes + (size_t)row->note * WIRE_NOTE_BYTES, WIRE_NOTE_BYTES);
    in->codes[0] = row->periods, in->codes[1] = row->note;
    *m = &in->m;
    return 1;
}
