/* venues.h - a venue file (--venues FILE, a [venues] sweep section; docs/engine.md "Venues
 * and routing"): the venues it names, central exchanges and pools, and the venues each asset
 * trades on; read and checked whole (every error names FILE:LINE: [section] key). Internal. */
#ifndef RB_VENUES_H
#define RB_VENUES_H

#include <stddef.h>

#include "asset_names.h"
#include "params.h"
#include "rebal.h"
#include "route.h"

#define RB_VENUE_NAME_MAX 32 /* a name's characters, its NUL included */
#define RB_VENUE_CHAINS 31   /* distinct chains a file may name */
#define RB_MAX_ASSETS_LISTED 1024 /* assets an [assets] section may list */
#define RB_VENUE_FILE_MAX (1 << 20) /* bytes */

typedef struct rb_venue {
    char name[RB_VENUE_NAME_MAX];
    int line;  /* of its [section] */
    int pool;  /* 1: a pool (kind = pool), 0: a central exchange (kind = exchange) */
    /* an exchange */
    double fee_bps, slippage_bps, spread_bps, fee_min;
    /* a pool: its depth (one value, or per asset), or a series per asset */
    rb_asset_values depth;
    rb_asset_names depth_series;
    double pool_fee_bps, range_low, range_high; /* range 0:0 = the full range */
    double gas;                                 /* per swap on it */
    int chain;                                  /* index into chain[], or -1: none named */
} rb_venue;

/* The venues one asset trades on, in the order listed. */
typedef struct rb_venue_list {
    char *symbol;
    int line;
    size_t n;
    size_t venue[RB_ROUTE_MAX];
} rb_venue_list;

typedef struct rb_venue_set {
    char *path;  /* as given */
    size_t nvenues;
    rb_venue *venue;
    size_t nlists;
    rb_venue_list *list; /* [assets], in file order */
    size_t nchains;
    char chain[RB_VENUE_CHAINS][RB_VENUE_NAME_MAX];
} rb_venue_set;

/* Reads and checks the venue file at path. */
rb_status rb_venue_set_read(const char *path, rb_venue_set **out, rb_error *err);
/* The same on text already read (name: for messages). */
rb_status rb_venue_set_parse(const char *text, const char *name, rb_venue_set **out, rb_error *err);
void rb_venue_set_free(rb_venue_set *s);

/* The venues of symbol, or NULL when the file lists none for it. */
const rb_venue_list *rb_venue_list_of(const rb_venue_set *s, const char *symbol);

/* Every symbol of [assets] is one of the run's n symbols and not CASH: errors name
 * FILE:LINE: [assets] SYM. */
rb_status rb_venue_set_check_symbols(const rb_venue_set *s, char *const *symbols, size_t n, rb_error *err);

#endif /* RB_VENUES_H */
