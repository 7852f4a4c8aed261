/* asset_names.h - a setting that names a stored series per asset, SYM=NAME,...
 * (--amm-depth-series): parsed, checked against the run's assets and looked up. Internal. */
#ifndef RB_ASSET_NAMES_H
#define RB_ASSET_NAMES_H

#include <stddef.h>

#include "rebal.h"

typedef struct rb_asset_names {
    size_t n;
    char **symbol; /* n distinct symbols */
    char **name;   /* n series names */
} rb_asset_names;

/* The setting reader (rb_setting_info.read) of a field of type rb_asset_names: "SYM=NAME,..."
 * (blanks around items trimmed; "" clears it). Errors name the option ("--KEY: ..."). */
rb_status rb_read_asset_names(const char *key, const char *text, void *field, rb_error *err);
void rb_asset_names_clear(rb_asset_names *v);

/* The name given for symbol, or NULL. */
const char *rb_asset_name_of(const rb_asset_names *v, const char *symbol);

/* Every symbol of v is one of the n symbols and not CASH (no costs, no pool). Errors name
 * the option and suggest the nearest symbol. */
rb_status rb_asset_names_check(const char *key, const rb_asset_names *v, char *const *symbols, size_t n,
                               rb_error *err);

#endif /* RB_ASSET_NAMES_H */
