/* route_order.c - an order of the portfolio routed across its asset's venues at its bar
 * (routes.h): the venues as they are on the bar, the legs, the chains they touch; and the
 * memo of each asset's venues made ready for the bar. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "routes.h"

/* The assets a memo keeps books for: asset i's share entry i % MEMO_ASSETS (a run of more
 * routed assets makes some of them ready more often, to the same bits). */
#define MEMO_ASSETS 64

/* One asset's book on one side, and what it was made from. */
typedef struct memo_entry {
    int valid;
    const rb_routes *routes;
    size_t asset, bar;
    uint64_t swap_gas; /* the bits of the gas per swap it was made with */
    rb_route_book book;
} memo_entry;

struct rb_route_memo {
    size_t assets;     /* entries per side */
    memo_entry *entry[]; /* 2 per asset (a sale's, a buy's), allocated when first used */
};

rb_route_memo *rb_route_memo_new(size_t N)
{
    size_t assets = N < MEMO_ASSETS ? (N ? N : 1) : MEMO_ASSETS;
    rb_route_memo *memo = rb_calloc(1, sizeof *memo + 2 * assets * sizeof(memo_entry *));
    if (memo) memo->assets = assets;
    return memo;
}

void rb_route_memo_forget(rb_route_memo *memo)
{
    for (size_t k = 0; memo && k < 2 * memo->assets; k++)
        if (memo->entry[k]) memo->entry[k]->valid = 0;
}

void rb_route_memo_free(rb_route_memo *memo)
{
    for (size_t k = 0; memo && k < 2 * memo->assets; k++) free(memo->entry[k]);
    free(memo);
}

/* Asset i's entry on side buy (allocated empty when first asked for), or NULL: no memo, or
 * out of memory. */
static memo_entry *entry_of(rb_route_memo *memo, size_t i, int buy)
{
    if (!memo) return NULL;
    memo_entry **e = &memo->entry[2 * (i % memo->assets) + (buy ? 1 : 0)];
    if (!*e) *e = rb_calloc(1, sizeof **e);
    return *e;
}

static uint64_t bits_of(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

/* Asset i's venues on env's bar (each as it is on the bar: a series' depth; a pool's leg
 * paying the venue's gas plus swap_gas) made ready for orders on side buy. */
static void open_book(const rb_trade_env *env, size_t i, int buy, double swap_gas, rb_route_book *book)
{
    const rb_routes *ro = env->routes;
    size_t n = ro->count[i];
    const rb_route_slot *slot = ro->slot + ro->first[i];
    rb_route_venue v[RB_ROUTE_MAX];
    const rb_route_form *form[RB_ROUTE_MAX];
    for (size_t k = 0; k < n && k < RB_ROUTE_MAX; k++) {
        v[k].costs = slot[k].costs;
        if (slot[k].depth) v[k].costs.amm_depth = slot[k].depth[env->bar];
        v[k].gas = slot[k].pool ? slot[k].gas + swap_gas : 0.0;
        v[k].form = form[k] = &slot[k].form;
    }
    rb_route_book_open(book, v, form, n, buy);
}

rb_status rb_route_order(const rb_trade_env *env, rb_route_memo *memo, size_t i, double units, rb_routed *out,
                         rb_error *err)
{
    const rb_routes *ro = env->routes;
    size_t n = ro->count[i];
    const rb_route_slot *slot = ro->slot + ro->first[i];
    if (n == 0 || n > RB_ROUTE_MAX)
        return rb_fail(err, RB_ERR_USAGE, "rb_route: 1 to %d venues and a result are required", RB_ROUTE_MAX);
    /* each swap of a pool is a transaction (--gas) and a swap of the vault's (--gas-swap) */
    double swap_gas = rb_order_gas(env);
    int buy = units > 0;
    memo_entry *e = entry_of(memo, i, buy);
    rb_route_book own, *book = e ? &e->book : &own;
    if (!(e && e->valid && e->routes == ro && e->asset == i && e->bar == env->bar &&
          e->swap_gas == bits_of(swap_gas))) {
        open_book(env, i, buy, swap_gas, book);
        if (e) {
            e->valid = 1;
            e->routes = ro;
            e->asset = i;
            e->bar = env->bar;
            e->swap_gas = bits_of(swap_gas);
        }
    }
    rb_status rc = rb_route_booked(book, units, env->price[i], &out->r, err);
    if (rc != RB_OK) {
        char when[32];
        return rb_error_prefix(err, "%s on %s", env->symbols ? env->symbols[i] : "?", rb_time_format(env->time, when));
    }
    out->chains = 0;
    for (size_t k = 0; k < n; k++) {
        out->chain[k] = slot[k].pool ? 1u << (slot[k].chain + 1) : 0u;
        if (out->r.units[k] != 0) out->chains |= out->chain[k];
    }
    return RB_OK;
}
