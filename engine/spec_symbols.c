/* spec_symbols.c - the symbols a run spec's per-asset settings name, checked against its
 * assets (rb_spec_check_symbols, spec.h): every run setting's and every rule's parameter's,
 * the pools' depth series and ranges, the funding series. */
#include <string.h>

#include "spec.h"
#include "asset_names.h"
#include "error.h"
#include "strategy.h"
#include "text.h"

/* Checks the symbols of the per-asset values v of setting key against the spec's assets. */
static rb_status check_value_symbols(const rb_run_spec *spec, const char *key, const rb_asset_values *v, rb_error *err)
{
    rb_status rc = RB_OK;
    for (size_t i = 0; rc == RB_OK && i < v->n; i++)
        rc = rb_check_among_assets(key, v->symbol[i], spec->symbols, spec->nassets, err);
    return rc;
}

/* Checks the symbols of the per-asset values of rows[0..n) against the spec's assets. */
static rb_status check_rows_symbols(const rb_run_spec *spec, const rb_setting_info *rows, size_t n, rb_error *err)
{
    for (size_t k = 0; k < n; k++) {
        if (rows[k].type != RB_VALUE_PER_ASSET) continue;
        rb_status rc = check_value_symbols(spec, rows[k].key, (const void *)((const char *)spec + rows[k].offset), err);
        if (rc != RB_OK) return rc;
    }
    return RB_OK;
}

rb_status rb_spec_check_symbols(const rb_run_spec *spec, rb_error *err)
{
    rb_status rc = check_rows_symbols(spec, rb_setting_at(0), rb_setting_count(), err);
    if (rc == RB_OK)
        rc = rb_asset_names_check("amm-depth-series", &spec->amm_depth_series, spec->symbols, spec->nassets, err);
    if (rc == RB_OK) rc = check_value_symbols(spec, "amm-range", &spec->amm_range_low, err);
    if (rc == RB_OK)
        rc = rb_asset_names_check("funding-series", &spec->funding_series, spec->symbols, spec->nassets, err);
    return rc == RB_OK ? rb_spec_check_strategy_symbols(spec, err) : rc;
}

rb_status rb_spec_check_strategy_symbols(const rb_run_spec *spec, rb_error *err)
{
    size_t n;
    const rb_strategy *const *all = rb_strategy_all(&n);
    rb_status rc = RB_OK;
    for (size_t i = 0; rc == RB_OK && i < n; i++) rc = check_rows_symbols(spec, all[i]->info.params, all[i]->info.nparams, err);
    return rc;
}
