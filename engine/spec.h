/* spec.h - the parsed form of a run specification: every `rebal run` setting as a typed
 * field, per-asset values still keyed by symbol (they are resolved against the loaded
 * matrix at run time), strategy parameters kept as text for the strategy to check. */
#ifndef RB_SPEC_H
#define RB_SPEC_H

#include "rebal.h"

/* A cost setting: a value for every asset, optionally overridden per symbol
 * ("10" / "BTC=10,ETH=15" / "5,BTC=10"). */
typedef struct rb_asset_values {
    double all;     /* the value of assets not named */
    int has_all;    /* 1 when the text gave that value (else `all` is the setting's 0) */
    size_t n;
    char **symbol;  /* n symbols */
    double *value;  /* n values */
} rb_asset_values;

typedef struct rb_kv {
    char *key;
    char *value;
} rb_kv;

struct rb_run_spec {
    /* data */
    size_t nassets;
    char **symbols;   /* nassets, in --assets order */
    double *weights;  /* nassets target weights */
    int has_start;    /* 0: auto */
    rb_time start;
    int has_end;
    rb_time end;
    rb_align align;
    int max_gap;
    double cash_rate;
    double periods_per_year; /* 0: infer */
    /* portfolio */
    double capital;
    rb_exec exec;
    double min_trade;
    double lot_size;
    /* strategy */
    char *strategy;
    int targets;      /* 0 static, 1 inverse-vol */
    int vol_window;   /* bars behind volatility estimates (inverse-vol targets, vol-band) */
    size_t nparams;
    rb_kv *params;    /* strategy parameters as given */
    /* costs */
    rb_asset_values fee_bps, fee_min, fee_fixed, slippage_bps, spread_bps, impact, amm_depth, amm_fee_bps;
    int impact_window;
    double gas;
    char *gas_series; /* NULL: no series */
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
};

/* ---------------------------------------------------------------- numbers */

/* 1 when s[0..len) is written as a plain decimal number: [+-] digits [. digits]
 * [e [+-] digits], with at least one mantissa digit (no hex, inf or nan). */
int rb_number_syntax(const char *s, size_t len);

typedef enum rb_number_read_status {
    RB_NUMBER_BAD = 0,     /* not a number (or beyond the range of a double) */
    RB_NUMBER_OK = 1,
    RB_NUMBER_PERCENT = 2  /* a percentage where only a plain number is accepted */
} rb_number_read_status;

/* The one reader of numbers in settings, on the command line and in sweep files alike:
 * s[0..len), blanks around it allowed, is a plain decimal (rb_number_syntax) whose double
 * is finite and does not underflow. With percent (the setting is a fraction), a '%' right
 * after the number makes it a percentage, read as the decimal it names: "25%" is 0.25 and
 * "1.1%" exactly the double of 0.011 (the exponent is lowered by 2; nothing is divided). */
rb_number_read_status rb_number_read(const char *s, size_t len, int percent, double *out);

/* "--KEY: 'TEXT' is a percentage, but --KEY takes ARG (...)": the one message for a
 * percentage given to a setting that is not a fraction. Returns RB_ERR_USAGE. */
rb_status rb_percent_refused(const char *key, const char *text, rb_error *err);

/* A run setting or strategy parameter by key (a key several strategies take is described
 * alike by each), or NULL. */
const rb_setting_info *rb_setting_find(const char *key);

/* 1 when the values of a run setting or strategy parameter are numbers (per-asset numbers
 * included: "10", "BTC=10,ETH=20"), 0 for words ("edge", "month") and unknown keys. Read
 * from the settings table's kinds and the strategies' parameter tables; the results store
 * keeps such a parameter in a REAL column. */
int rb_setting_numeric(const char *key);

/* Parses "10", "BTC=10,ETH=15" or "5,BTC=10" with every value in [lo, hi] into out
 * (replaced only on success); with percent, values may be percentages ("5%,BTC=10%").
 * Errors name the option ("--band: ..."). */
rb_status rb_asset_values_parse(const char *option, const char *text, int percent, double lo, double hi,
                                rb_asset_values *out, rb_error *err);
void rb_asset_values_clear(rb_asset_values *v);

/* The value of a per-asset setting for symbol. */
double rb_asset_value(const rb_asset_values *v, const char *symbol);

/* Checks that every symbol named in the per-asset settings is one of the run's assets. */
rb_status rb_spec_check_symbols(const rb_run_spec *spec, rb_error *err);

/* The strategy parameter key, or NULL: the value given for key. */
const char *rb_spec_param(const rb_run_spec *spec, const char *key);

#endif /* RB_SPEC_H */
