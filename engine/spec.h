/* spec.h - the parsed form of a run specification: every `rebal run` setting and strategy
 * parameter as a typed field, read through its row of the settings table (rebal.h:
 * rb_setting_info); per-asset values still keyed by symbol (they are resolved against the
 * loaded matrix at run time). */
#ifndef RB_SPEC_H
#define RB_SPEC_H

#include "asset_names.h"
#include "number.h"
#include "params.h"
#include "rebal.h"

#define RB_MAX_GIVEN 24

struct rb_run_spec {
    /* strategy parameters, typed: the first member, so that a parameter row's offset in
     * rb_strategy_params is its offset in the spec too */
    rb_strategy_params sp;
    const char *given[RB_MAX_GIVEN]; /* the strategy parameters given (their rows' keys) */
    size_t ngiven;
    /* data */
    size_t nassets;
    char **symbols;   /* nassets, in --assets order */
    double *weights;  /* nassets target weights; NULL: --assets gave the symbols alone (with
                         --targets-csv, whose rows give the weights) */
    int has_start;    /* 0: auto */
    rb_time start;
    int has_end;
    rb_time end;
    rb_align align;
    int max_gap;
    double cash_rate;
    double periods_per_year; /* 0: infer */
    struct rb_target_table *target_table; /* --targets-csv (data/dated_tables.h), or NULL */
    /* portfolio */
    double capital;
    rb_exec exec;
    double min_trade;
    double lot_size;
    /* strategy */
    char *strategy;
    int targets;      /* 0 static, 1 inverse-vol */
    /* the volatility estimate (inverse-vol targets, vol-band): sp.vol_window, sp.vol_lambda */
    /* costs */
    rb_asset_values fee_bps, fee_min, fee_fixed, slippage_bps, spread_bps, impact, amm_depth, amm_fee_bps;
    rb_asset_names amm_depth_series; /* --amm-depth-series: the pool's depth per bar from a series */
    rb_asset_values amm_range_low, amm_range_high; /* --amm-range LOW:HIGH, one setting: 0 = none */
    int impact_window;
    double gas;
    char *gas_series; /* NULL: no series */
    double gas_tx;    /* --gas-tx: once per transaction of orders (a vault's rebalance) */
    double gas_swap;  /* --gas-swap: per order (swap) in that transaction */
    struct rb_venue_set *venues; /* --venues FILE (engine/venues.h), or NULL: none */
    /* tax */
    rb_lot_method lots;
    double tax_short, tax_long;
    int long_term_days;
    int wash_sale_days;
    /* flows */
    double contribution;
    rb_period contribution_every;
    rb_flow_mode flows;
    /* metrics */
    double rf;
    /* perpetual-futures overlay (engine/overlay.h, docs/engine.md "Perpetual-futures overlay") */
    int overlay;                  /* 0 none, 1 perp */
    char *margin_asset;           /* --margin-asset: the collateral's asset; NULL: CASH */
    rb_asset_names funding_series; /* --funding-series SYM=NAME: each perp's funding rate */
    int funding_period;           /* 0: the series' rates are per 8 hours, 1: per bar */
    double perp_fee_bps;          /* on traded perp notional */
    double maintenance_margin;    /* fraction of gross notional */
    double liquidation_fee_bps;   /* on the gross notional liquidated */
    int after_liquidation;        /* 0 spot, 1 reopen */
    double overlay_max;           /* cap on gross notional / value; 0: none */
    int perp_tax;                 /* 0 short, 1 long, 2 60-40 */
    char *benchmark; /* --benchmark SYM|series:NAME (engine/benchmark.c); NULL: none */
};

/* Numbers (rb_number_read) are read in data/base/number.h, per-asset values
 * (rb_asset_values_parse) in strategies/params.h. */

/* "--KEY: 'TEXT' is a percentage, but --KEY takes ARG (...)": the one message for a
 * percentage given to a setting that is not a fraction. Returns RB_ERR_USAGE. */
rb_status rb_percent_refused(const char *key, const char *text, rb_error *err);

/* A run setting or strategy parameter by key (a key several strategies take is described
 * alike by each), or NULL. */
const rb_setting_info *rb_setting_find(const char *key);

/* rb_setting_is_numeric of the row of key (0 for unknown keys): the results store keeps such
 * a parameter in a REAL column. */
int rb_setting_numeric(const char *key);

/* The row of a run setting (not a strategy parameter), or NULL. */
const rb_setting_info *rb_run_setting_row(const char *key);

/* 1 when a and b are two run settings that write the same field (--vol-window W is
 * --vol-model window:W): they are one setting, so a sweep section takes one of them. */
int rb_settings_share_field(const rb_setting_info *a, const rb_setting_info *b);

/* Reads text into spec's field for row (a run setting's or a strategy parameter's: see
 * rb_strategy_params), replacing (and releasing) what it held; the one place values are
 * checked. Errors name the key ("--band: 1.5 is out of range (0 to 1)"). */
rb_status rb_setting_read(const rb_setting_info *row, const char *text, rb_run_spec *spec, rb_error *err);

/* A parsed value lifted out of a spec as row->size bytes, for a configuration to carry:
 * rb_setting_take moves it out of spec (which no longer owns it), rb_setting_put copies it
 * into a spec that borrows it (nothing allocated, nothing parsed; a strategy parameter is
 * marked given), rb_setting_drop releases it. */
void rb_setting_take(const rb_setting_info *row, rb_run_spec *spec, void *bytes);
void rb_setting_put(const rb_setting_info *row, rb_run_spec *spec, const void *bytes);
void rb_setting_drop(const rb_setting_info *row, void *bytes);

/* Marks a strategy parameter given (its row's key; a repeat is ignored). */
void rb_spec_mark_given(rb_run_spec *spec, const char *key);

/* Releases what the fields of a spec own, leaving the struct itself (rb_run_spec_free
 * releases both). */
void rb_run_spec_release(rb_run_spec *spec);

/* Checks that every symbol named in the per-asset settings is one of the run's assets. */
rb_status rb_spec_check_symbols(const rb_run_spec *spec, rb_error *err);
/* The same for the strategy parameters alone (rb_spec_check_symbols checks them last). */
rb_status rb_spec_check_strategy_symbols(const rb_run_spec *spec, rb_error *err);

/* The checks of a targets table (--targets-csv) that need no data: its columns are exactly
 * the --assets (which then give no weights), and --targets is static; without a table,
 * --assets gives every weight. Errors name the option and, for the columns, FILE:LINE. */
rb_status rb_spec_check_targets(const rb_run_spec *spec, rb_error *err);

/* 1 when the strategy parameter key was given. */
int rb_spec_given(const rb_run_spec *spec, const char *key);

#endif /* RB_SPEC_H */
