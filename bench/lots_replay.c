/* lots_replay.c - replays a recording of a sweep's tax-lot ledger calls (sweep_record,
 * lots_recording.h): the same calls on the same values, one after the other, on ledgers of
 * its own whose books come from one lot pool, as a sweep's thread's do.
 *
 *   lots_replay FILE [ROUNDS]      ROUNDS: the replays timed, the fastest kept (default 3)
 *
 * Prints
 *   kind=replay records= orders= seconds= ns_per_orders= checksum= mismatches=0
 * seconds: the fastest round's replay (every call, not the reading of the file, after an
 * untimed round that faults the pages in); ns_per_orders: seconds over the calls of
 * rb_lots_orders, which are nine in ten of benchmark 2's records and most of their time;
 * checksum: the year's gains after every call of rb_lots_orders summed, which two builds
 * whose arithmetic is the same print alike (bench/paired_bench.py compares them).
 *
 * Every call must give what it gave in the recording, to the bit: the gains of each sale and
 * buy, and each rb_lots_orders' year's gains from the same gains before it. A call that
 * gives another, or fails, is counted in mismatches= (and the first told on stderr), and the
 * replay exits with status 1: the build does not compute what the recorded one did.
 *
 * What the replay leaves out: the sweep's own work between the calls, whose branches train
 * the processor's predictor on which orders sell (the replay's calls of rb_lots_orders take
 * some 10 % longer than the sweep's), and whose data evicts the ledgers between a ledger's
 * rebalances. It measures a change to the ledgers' own code on the sweep's real sequence of
 * trades, without the noise of the rest of the sweep. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock_chain.h"
#include "lot_pool.h"
#include "lots.h"
#include "lots_recording.h"

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lots_replay: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* The recording, in memory: the records' headers and where each one's values begin. */
typedef struct recording {
    const lots_rec *rec;
    const double **values;
    size_t n, orders;
    unsigned char *bytes;
} recording;

static size_t values_expected(const lots_rec *h)
{
    switch (h->type) {
    case RB_REC_NEW:
    case RB_REC_CLEAR:
    case RB_REC_COPY:
    case RB_REC_FREE: return 0;
    case RB_REC_BUY:
    case RB_REC_SELL: return 4;
    case RB_REC_ORDERS: return 3 * (size_t)h->n + 4;
    default: return SIZE_MAX;
    }
}

static void read_recording(const char *path, recording *r)
{
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open %s", path);
    size_t cap = 1 << 20, len = 0;
    r->bytes = malloc(cap);
    for (size_t got; r->bytes && (got = fread(r->bytes + len, 1, cap - len, f)) > 0;) {
        len += got;
        if (len == cap) r->bytes = realloc(r->bytes, cap *= 2);
    }
    if (!r->bytes) die("out of memory reading %s (%zu bytes)", path, len);
    if (ferror(f)) die("reading %s failed after %zu bytes", path, len);
    fclose(f);
    uint64_t magic;
    if (len < sizeof magic || (memcpy(&magic, r->bytes, sizeof magic), magic != RB_REC_MAGIC))
        die("%s is not a recording of sweep_record", path);
    /* the headers copied to an aligned array, the values left where they are (8-byte aligned) */
    size_t count = 0, capn = 1024;
    lots_rec *rec = malloc(capn * sizeof *rec);
    const double **values = malloc(capn * sizeof *values);
    for (size_t off = sizeof magic; off < len; count++) {
        if (count == capn) {
            capn *= 2;
            rec = realloc(rec, capn * sizeof *rec);
            values = realloc(values, capn * sizeof *values);
        }
        if (!rec || !values) die("out of memory for the records of %s (%zu)", path, count);
        if (len - off < sizeof *rec) die("%s ends inside the header of record %zu", path, count);
        memcpy(&rec[count], r->bytes + off, sizeof *rec);
        size_t want = values_expected(&rec[count]);
        if (want == SIZE_MAX || rec[count].values != want)
            die("%s: record %zu has an unknown type or the wrong number of values", path, count);
        off += sizeof *rec;
        if ((len - off) / sizeof(double) < want) die("%s ends inside the values of record %zu", path, count);
        values[count] = (const double *)(const void *)(r->bytes + off);
        off += want * sizeof(double);
        r->orders += rec[count].type == RB_REC_ORDERS;
    }
    r->rec = rec;
    r->values = values;
    r->n = count;
}

/* The replay's ledgers by their recorded address: open addressing, grown at half full. */
typedef struct ledgers {
    uint64_t *key;
    rb_lots **val;
    size_t cap, used;
} ledgers;

static size_t slot_of(const ledgers *m, uint64_t key)
{
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (m->cap - 1);
    while (m->key[h] && m->key[h] != key) h = (h + 1) & (m->cap - 1);
    return h;
}

static void put_ledger(ledgers *m, uint64_t key, rb_lots *lots)
{
    if (2 * (m->used + 1) > m->cap) {
        ledgers g = {calloc(2 * m->cap, sizeof *g.key), calloc(2 * m->cap, sizeof *g.val), 2 * m->cap, 0};
        if (!g.key || !g.val) die("out of memory for the map of %zu ledgers", m->used);
        for (size_t i = 0; i < m->cap; i++)
            if (m->key[i] && m->val[i]) {
                size_t s = slot_of(&g, m->key[i]);
                g.key[s] = m->key[i];
                g.val[s] = m->val[i];
                g.used++;
            }
        free(m->key);
        free(m->val);
        *m = g;
    }
    size_t s = slot_of(m, key);
    if (!m->key[s]) m->used++;
    m->key[s] = key;
    m->val[s] = lots;
}

static rb_lots *ledger_of(const ledgers *m, uint64_t key, size_t k)
{
    rb_lots *lots = m->val[slot_of(m, key)];
    if (!lots) die("record %zu names a ledger the recording did not open", k);
    return lots;
}

/* One replay of every record: its time, its checksum and how many calls gave another result. */
static double replay(const recording *r, double *checksum, size_t *mismatches)
{
    ledgers m = {calloc(1024, sizeof(uint64_t)), calloc(1024, sizeof(rb_lots *)), 1024, 0};
    rb_lot_pool *pool = NULL;
    rb_error err = {0};
    if (!m.key || !m.val || rb_lot_pool_new(&pool, &err) != RB_OK) die("out of memory for the ledgers");
    double sum = 0, t0 = clock_chain_now_s();
    size_t bad = 0;
    for (size_t k = 0; k < r->n; k++) {
        const lots_rec *h = &r->rec[k];
        const double *v = r->values[k];
        rb_realized got = {0, 0};
        rb_status st = RB_OK;
        int differs = 0;
        switch (h->type) {
        case RB_REC_NEW: {
            rb_lots *lots = NULL;
            st = rb_lots_new(h->n, (rb_lot_method)h->method, h->long_term_days, h->wash_sale_days, h->keep, &lots,
                             &err);
            if (st == RB_OK) st = rb_lots_use_pool(lots, pool, &err);
            if (st == RB_OK) put_ledger(&m, h->ledger, lots);
            break;
        }
        case RB_REC_CLEAR:
            st = rb_lots_clear(ledger_of(&m, h->ledger, k), (rb_lot_method)h->method, h->long_term_days,
                               h->wash_sale_days, h->keep, &err);
            break;
        case RB_REC_COPY: st = rb_lots_copy(ledger_of(&m, h->ledger, k), ledger_of(&m, h->other, k), &err); break;
        case RB_REC_FREE:
            rb_lots_free(ledger_of(&m, h->ledger, k));
            m.val[slot_of(&m, h->ledger)] = NULL; /* the key stays: a tombstone, or the next NEW's */
            break;
        case RB_REC_BUY:
        case RB_REC_SELL:
            st = (h->type == RB_REC_BUY ? rb_lots_buy : rb_lots_sell)(ledger_of(&m, h->ledger, k), (size_t)h->asset,
                                                                       h->t, v[0], v[1], &got, &err);
            differs = memcmp(&got.short_term, &v[2], sizeof(double)) || memcmp(&got.long_term, &v[3], sizeof(double));
            break;
        case RB_REC_ORDERS: {
            const size_t n = h->n;
            rb_realized year = {v[3 * n], v[3 * n + 1]};
            st = rb_lots_orders(ledger_of(&m, h->ledger, k), n, v, v + n, v + 2 * n, 1, h->skip, h->t, &year, &err);
            differs = memcmp(&year.short_term, &v[3 * n + 2], sizeof(double)) ||
                      memcmp(&year.long_term, &v[3 * n + 3], sizeof(double));
            sum += year.short_term + year.long_term;
            break;
        }
        }
        if (st != RB_OK || differs) {
            if (!bad)
                fprintf(stderr, "lots_replay: record %zu (type %" PRIu32 ") %s%s\n", k, h->type,
                        st != RB_OK ? "failed: " : "gave other gains than recorded", st != RB_OK ? err.msg : "");
            bad++;
        }
    }
    double seconds = clock_chain_now_s() - t0;
    for (size_t i = 0; i < m.cap; i++) rb_lots_free(m.val[i]);
    free(m.key);
    free(m.val);
    rb_lot_pool_free(pool);
    *checksum = sum;
    *mismatches = bad;
    return seconds;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: lots_replay FILE [ROUNDS]   (FILE: LOTS_RECORD=FILE sweep_record tax K 1)\n");
        return 2;
    }
    char *end = NULL;
    long rounds = argc == 3 ? strtol(argv[2], &end, 10) : 3;
    if (argc == 3 && (*end || rounds < 1 || rounds > 1000)) {
        fprintf(stderr, "lots_replay: ROUNDS must be a whole number from 1 to 1000, not '%s'\n", argv[2]);
        return 2;
    }
    recording r = {0};
    read_recording(argv[1], &r);
    double checksum = 0, best = 0;
    size_t mismatches = 0;
    replay(&r, &checksum, &mismatches); /* untimed: the recording's and the pool's pages */
    for (long i = 0; i < rounds && !mismatches; i++) {
        double s = replay(&r, &checksum, &mismatches);
        if (i == 0 || s < best) best = s;
    }
    printf("kind=replay records=%zu orders=%zu seconds=%.4f ns_per_orders=%.1f checksum=%a mismatches=%zu\n", r.n,
           r.orders, best, r.orders ? best * 1e9 / (double)r.orders : 0.0, checksum, mismatches);
    free((void *)r.rec);
    free(r.values);
    free(r.bytes);
    return mismatches ? 1 : 0;
}
