/* lots_record.c - records a sweep's calls of the tax-lot ledger (lots_recording.h) into the
 * file named by LOTS_RECORD, for lots_replay. Linked into sweep_record (sweep_bench.c) with
 * the linker's --wrap for each function below (bench/meson.build): each wrapper writes its
 * record and calls the library's own (__real_...), whose results it returns unchanged, so
 * the sweep computes what sweep_bench computes, to the bit. Without LOTS_RECORD it records
 * nothing. A record is written whole under the stream's lock (one fwrite), so a sweep on
 * several threads records each ledger's calls in their order; a failed write is reported
 * once, at exit, and makes the process exit with status 1. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lots.h"
#include "lots_recording.h"

static FILE *out;
static _Atomic int failed; /* a write failed (any thread) */

static void finish(void)
{
    if (out && (fclose(out) != 0 || failed)) {
        fprintf(stderr, "sweep_record: writing %s failed\n", getenv("LOTS_RECORD"));
        _exit(1);
    }
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void open_stream(void)
{
    const char *path = getenv("LOTS_RECORD");
    if (!path || !*path) return;
    out = fopen(path, "wb");
    if (!out) {
        perror(path);
        exit(1);
    }
    uint64_t magic = RB_REC_MAGIC;
    if (fwrite(&magic, sizeof magic, 1, out) != 1) failed = 1;
    atexit(finish);
}

/* The recording's stream, opened on the first call (NULL without LOTS_RECORD). */
static FILE *stream(void)
{
    pthread_once(&once, open_stream);
    return out;
}

/* One record: its header and nv values, in one write. */
static void put(lots_rec h, const double *v, size_t nv)
{
    FILE *f = stream();
    if (!f) return;
    h.values = nv;
    unsigned char buf[sizeof h + 64 * sizeof(double)];
    unsigned char *p = sizeof h + nv * sizeof *v <= sizeof buf ? buf : malloc(sizeof h + nv * sizeof *v);
    if (!p) {
        failed = 1;
        return;
    }
    memcpy(p, &h, sizeof h);
    if (nv) memcpy(p + sizeof h, v, nv * sizeof *v);
    if (fwrite(p, sizeof h + nv * sizeof *v, 1, f) != 1) failed = 1;
    if (p != buf) free(p);
}

rb_status __real_rb_lots_new(size_t, rb_lot_method, int, int, int, rb_lots **, rb_error *);
rb_status __real_rb_lots_clear(rb_lots *, rb_lot_method, int, int, int, rb_error *);
rb_status __real_rb_lots_copy(rb_lots *, const rb_lots *, rb_error *);
void __real_rb_lots_free(rb_lots *);
rb_status __real_rb_lots_buy(rb_lots *, size_t, rb_time, double, double, rb_realized *, rb_error *);
rb_status __real_rb_lots_sell(rb_lots *, size_t, rb_time, double, double, rb_realized *, rb_error *);
rb_status __real_rb_lots_orders(rb_lots *, size_t, const double *, const double *, const double *, size_t, int64_t,
                                rb_time, rb_realized *, rb_error *);

rb_status __wrap_rb_lots_new(size_t nassets, rb_lot_method method, int long_term_days, int wash_sale_days,
                             int keep_ledger, rb_lots **o, rb_error *err);
rb_status __wrap_rb_lots_new(size_t nassets, rb_lot_method method, int long_term_days, int wash_sale_days,
                             int keep_ledger, rb_lots **o, rb_error *err)
{
    rb_status st = __real_rb_lots_new(nassets, method, long_term_days, wash_sale_days, keep_ledger, o, err);
    if (st == RB_OK)
        put((lots_rec){.type = RB_REC_NEW, .n = (uint32_t)nassets, .method = (int32_t)method,
                       .long_term_days = long_term_days, .wash_sale_days = wash_sale_days, .keep = keep_ledger,
                       .ledger = (uint64_t)(uintptr_t)*o},
            NULL, 0);
    return st;
}

rb_status __wrap_rb_lots_clear(rb_lots *lots, rb_lot_method method, int long_term_days, int wash_sale_days,
                               int keep_ledger, rb_error *err);
rb_status __wrap_rb_lots_clear(rb_lots *lots, rb_lot_method method, int long_term_days, int wash_sale_days,
                               int keep_ledger, rb_error *err)
{
    put((lots_rec){.type = RB_REC_CLEAR, .method = (int32_t)method, .long_term_days = long_term_days,
                   .wash_sale_days = wash_sale_days, .keep = keep_ledger, .ledger = (uint64_t)(uintptr_t)lots},
        NULL, 0);
    return __real_rb_lots_clear(lots, method, long_term_days, wash_sale_days, keep_ledger, err);
}

rb_status __wrap_rb_lots_copy(rb_lots *dst, const rb_lots *src, rb_error *err);
rb_status __wrap_rb_lots_copy(rb_lots *dst, const rb_lots *src, rb_error *err)
{
    put((lots_rec){.type = RB_REC_COPY, .ledger = (uint64_t)(uintptr_t)dst, .other = (uint64_t)(uintptr_t)src}, NULL,
        0);
    return __real_rb_lots_copy(dst, src, err);
}

void __wrap_rb_lots_free(rb_lots *lots);
void __wrap_rb_lots_free(rb_lots *lots)
{
    if (lots) put((lots_rec){.type = RB_REC_FREE, .ledger = (uint64_t)(uintptr_t)lots}, NULL, 0);
    __real_rb_lots_free(lots);
}

typedef rb_status (*trade_fn)(rb_lots *, size_t, rb_time, double, double, rb_realized *, rb_error *);

/* A buy or a sale (real: the library's), recorded with the gains it returned: short-term,
 * long-term (0 when the caller asked none). */
static rb_status trade(int type, trade_fn real, rb_lots *lots, size_t asset, rb_time t, double units, double amount,
                       rb_realized *r, rb_error *err)
{
    rb_status st = real(lots, asset, t, units, amount, r, err);
    if (st != RB_OK) return st;
    double v[4] = {units, amount, r ? r->short_term : 0, r ? r->long_term : 0};
    put((lots_rec){.type = (uint32_t)type, .ledger = (uint64_t)(uintptr_t)lots, .t = t, .asset = asset}, v, 4);
    return st;
}

rb_status __wrap_rb_lots_buy(rb_lots *lots, size_t asset, rb_time t, double units, double cost, rb_realized *late,
                             rb_error *err);
rb_status __wrap_rb_lots_buy(rb_lots *lots, size_t asset, rb_time t, double units, double cost, rb_realized *late,
                             rb_error *err)
{
    return trade(RB_REC_BUY, __real_rb_lots_buy, lots, asset, t, units, cost, late, err);
}

rb_status __wrap_rb_lots_sell(rb_lots *lots, size_t asset, rb_time t, double units, double proceeds, rb_realized *o,
                              rb_error *err);
rb_status __wrap_rb_lots_sell(rb_lots *lots, size_t asset, rb_time t, double units, double proceeds, rb_realized *o,
                              rb_error *err)
{
    return trade(RB_REC_SELL, __real_rb_lots_sell, lots, asset, t, units, proceeds, o, err);
}

rb_status __wrap_rb_lots_orders(rb_lots *lots, size_t n, const double *order, const double *amount,
                                const double *held, size_t stride, int64_t skip, rb_time t, rb_realized *year,
                                rb_error *err);
rb_status __wrap_rb_lots_orders(rb_lots *lots, size_t n, const double *order, const double *amount,
                                const double *held, size_t stride, int64_t skip, rb_time t, rb_realized *year,
                                rb_error *err)
{
    rb_realized before = *year;
    rb_status st = __real_rb_lots_orders(lots, n, order, amount, held, stride, skip, t, year, err);
    if (st != RB_OK || !stream()) return st;
    double stack[3 * 16 + 4], *v = n <= 16 ? stack : malloc((3 * n + 4) * sizeof *v);
    if (!v) {
        failed = 1;
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = order[i * stride];
        v[n + i] = amount[i * stride];
        v[2 * n + i] = held[i * stride];
    }
    v[3 * n] = before.short_term;
    v[3 * n + 1] = before.long_term;
    v[3 * n + 2] = year->short_term;
    v[3 * n + 3] = year->long_term;
    put((lots_rec){.type = RB_REC_ORDERS, .n = (uint32_t)n, .ledger = (uint64_t)(uintptr_t)lots, .t = t, .skip = skip},
        v, 3 * n + 4);
    if (v != stack) free(v);
    return st;
}
