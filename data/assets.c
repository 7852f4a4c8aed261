/* assets.c - what the price store holds: one summary row per asset (first and last bar,
 * bar count, the largest gap between consecutive bars). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store.h"
#include "alloc.h"

rb_status rb_store_list_assets(rb_store *store, rb_asset_info **out, size_t *n, rb_error *err)
{
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store,
        "SELECT a.id, a.symbol, b.ts FROM assets a LEFT JOIN bars b ON b.asset_id = a.id "
        "ORDER BY a.symbol, a.id, b.ts", &st, err);
    if (rc != RB_OK) return rc;

    rb_asset_info *list = NULL;
    size_t count = 0, cap = 0;
    int64_t current = 0;
    int step;
    /* One pass over the (asset_id, ts) primary key: bars arrive in time order per asset. */
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (count == 0 || id != current) {
            if (count == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                rb_asset_info *grown = rb_realloc(list, ncap * sizeof *grown);
                if (!grown) {
                    rc = rb_fail(err, RB_ERR_NOMEM, "out of memory listing assets");
                    break;
                }
                list = grown;
                cap = ncap;
            }
            rb_asset_info *a = &list[count++];
            memset(a, 0, sizeof *a);
            snprintf(a->symbol, sizeof a->symbol, "%s", (const char *)sqlite3_column_text(st, 1));
            current = id;
        }
        if (sqlite3_column_type(st, 2) == SQLITE_NULL) continue; /* an asset with no bars */
        rb_asset_info *a = &list[count - 1];
        rb_time t = sqlite3_column_int64(st, 2);
        if (a->bars == 0) {
            a->first = t;
        } else if (t - a->last > a->gap_to - a->gap_from) {
            a->gap_from = a->last;
            a->gap_to = t;
        }
        a->last = t;
        a->bars++;
    }
    if (rc == RB_OK && step != SQLITE_DONE) rc = rb_store_sql_error(store, err, "listing assets");
    sqlite3_finalize(st);
    if (rc != RB_OK) {
        free(list);
        return rc;
    }
    *out = list;
    *n = count;
    return RB_OK;
}
