/* ids.c - configuration k of a sweep, decoded from its index on demand (mixed radix): its
 * settings as text, its canonical text and stable 63-bit id, and its typed values
 * (rb_sweep_fill). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sweep_internal.h"
#include "text.h"

/* ---------------------------------------------------------------- decoding */

const char *rb_sweep_text(const rb_sweep *sw) { return sw ? sw->text : NULL; }

uint64_t rb_sweep_count(const rb_sweep *sw) { return sw ? sw->count : 0; }

size_t rb_sweep_data(const rb_sweep *sw, const rb_sweep_kv **kv)
{
    *kv = sw ? sw->data : NULL;
    return sw ? sw->ndata : 0;
}

size_t rb_sweep_max_keys(const rb_sweep *sw) { return sw ? sw->max_keys : 0; }

size_t rb_sweep_keys(const rb_sweep *sw, const char *const **keys)
{
    *keys = sw ? sw->keys : NULL;
    return sw ? sw->nkeys : 0;
}

/* The strategy section holding configuration k (< count), and k's index inside it. */
static const section *locate(const rb_sweep *sw, uint64_t k, uint64_t *local)
{
    size_t lo = 0, hi = sw->nstrat; /* the last section whose first <= k */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (sw->strat[mid]->first <= k) lo = mid;
        else hi = mid;
    }
    *local = k - sw->strat[lo]->first;
    return sw->strat[lo];
}

/* Calls visit for each key of configuration k in key order with its value index. Returns
 * the section. Pure. */
typedef void (*visit_fn)(void *ctx, const values *v, size_t index);

static const section *walk(const rb_sweep *sw, uint64_t k, visit_fn visit, void *ctx)
{
    uint64_t local;
    const section *s = locate(sw, k, &local);
    size_t i = 0, j = 0;
    while (i < s->nkeys || j < sw->nshared) {
        /* section keys and shared keys never coincide: they come from different groups */
        const values *v;
        if (j == sw->nshared || (i < s->nkeys && strcmp(s->keys[i].key, sw->shared[j]->key) < 0))
            v = &s->keys[i++];
        else
            v = sw->shared[j++];
        visit(ctx, v, (size_t)((local / v->stride) % v->n));
    }
    return s;
}

typedef struct kv_out {
    rb_sweep_kv *kv;
    size_t cap, n;
} kv_out;

static void put_kv(void *ctx, const values *v, size_t index)
{
    kv_out *o = ctx;
    if (o->n < o->cap) o->kv[o->n++] = (rb_sweep_kv){v->key, v->text[index]};
}

size_t rb_sweep_config(const rb_sweep *sw, uint64_t k, const char **section, const char **strategy,
                       rb_sweep_kv *kv, size_t cap)
{
    if (section) *section = NULL;
    if (strategy) *strategy = NULL;
    if (!sw || k >= sw->count) return 0;
    kv_out o = {kv, kv ? cap : 0, 0};
    const struct section *s = walk(sw, k, put_kv, &o);
    if (section) *section = s->name;
    if (strategy) *strategy = s->strategy->info.name;
    return o.n;
}

/* The canonical text, written into a buffer as far as it fits and hashed as a whole. */
typedef struct canon_out {
    char *buf;
    size_t len, pos;
    uint64_t hash;
} canon_out;

#define FNV_OFFSET UINT64_C(14695981039346656037)
#define FNV_PRIME UINT64_C(1099511628211)

static void emit(canon_out *o, const char *s)
{
    for (; *s; s++, o->pos++) {
        if (o->pos + 1 < o->len) o->buf[o->pos] = *s;
        o->hash = (o->hash ^ (unsigned char)*s) * FNV_PRIME;
    }
}

static void put_canon(void *ctx, const values *v, size_t index)
{
    emit(ctx, ";");
    emit(ctx, v->key);
    emit(ctx, "=");
    emit(ctx, v->canon[index]);
}

/* Writes the canonical text of k; returns 0 (and writes "") when k is out of range. */
static int canonical(const rb_sweep *sw, uint64_t k, canon_out *o)
{
    if (!sw || k >= sw->count) return 0;
    uint64_t local;
    emit(o, "strategy=");
    emit(o, locate(sw, k, &local)->strategy->info.name);
    walk(sw, k, put_canon, o);
    return 1;
}

int rb_sweep_id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t rb_sweep_list_ids(const rb_sweep *sw, int64_t *ids, int64_t *sorted)
{
    const uint64_t K = rb_sweep_count(sw);
    for (uint64_t k = 0; k < K; k++) sorted[k] = ids[k] = rb_sweep_config_id(sw, k);
    qsort(sorted, K, sizeof *sorted, rb_sweep_id_cmp);
    for (uint64_t k = 1; k < K; k++)
        if (sorted[k] == sorted[k - 1]) return sorted[k];
    return -1;
}

size_t rb_sweep_canonical(const rb_sweep *sw, uint64_t k, char *buf, size_t len)
{
    canon_out o = {buf, buf ? len : 0, 0, FNV_OFFSET};
    canonical(sw, k, &o);
    if (o.len) o.buf[o.pos < o.len ? o.pos : o.len - 1] = '\0';
    return o.pos;
}

int64_t rb_sweep_config_id(const rb_sweep *sw, uint64_t k)
{
    canon_out o = {NULL, 0, 0, FNV_OFFSET};
    if (!canonical(sw, k, &o)) return -1;
    return (int64_t)(o.hash & INT64_MAX);
}

static void put_typed(void *ctx, const values *v, size_t index)
{
    rb_setting_put(v->row, ctx, v->typed + index * v->row->size);
}

void rb_sweep_fill(const rb_sweep *sw, uint64_t k, rb_run_spec *spec)
{
    *spec = *sw->base;
    const section *s = walk(sw, k, put_typed, spec);
    spec->strategy = (char *)s->strategy->info.name;
}

