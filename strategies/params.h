/* params.h - the strategies' parameters as typed values: what a strategy's setup() receives
 * (never the whole run spec), and the parameter rows (rb_setting_info, rebal.h) that declare
 * each one once, with its type, range, default and the field it is read into. A key several
 * rules take (band, every, ...) has one row macro here and one field, so it reads the same
 * wherever it is offered. Internal. */
#ifndef RB_PARAMS_H
#define RB_PARAMS_H

#include <stddef.h>

#include "rebal.h"

/* A per-asset value: a value for every asset, optionally overridden per symbol
 * ("10" / "BTC=10,ETH=15" / "5,BTC=10"). Nothing given: n == 0 and !has_all. */
typedef struct rb_asset_values {
    double all;     /* the value of assets not named */
    int has_all;    /* 1 when the text gave that value (else `all` is the setting's 0) */
    size_t n;
    char **symbol;  /* n symbols */
    double *value;  /* n values */
} rb_asset_values;

/* Parses "10", "BTC=10,ETH=15" or "5,BTC=10" with every value in [lo, hi] into out
 * (replaced only on success); with percent, values may be percentages ("5%,BTC=10%"); a
 * percentage without it is refused naming arg, the option's argument (NULL: "not a fraction").
 * Errors name the option ("--band: ..."). */
rb_status rb_asset_values_parse(const char *option, const char *arg, const char *text, int percent, double lo, double hi,
                                rb_asset_values *out, rb_error *err);
void rb_asset_values_clear(rb_asset_values *v);

/* The value of a per-asset setting for symbol. */
double rb_asset_value(const rb_asset_values *v, const char *symbol);

typedef enum rb_to_mode { RB_TO_TARGET = 0, RB_TO_EDGE, RB_TO_HALFWAY, RB_TO_INNER } rb_to_mode;

/* --every: a calendar period, or every `bars` bars (RB_PERIOD_BARS). */
typedef struct rb_every {
    rb_period period;
    long bars;
} rb_every;

/* --to: where a band-triggered rebalance trades to. */
typedef struct rb_to {
    rb_to_mode mode;
    double inner; /* RB_TO_INNER: the fraction F of the band to trade back to */
} rb_to;

/* A number that may be left out (--band-total). */
typedef struct rb_optional {
    int given;
    double value;
} rb_optional;

struct rb_schedule; /* data/dated_tables.h */

/* Every strategy parameter of every rule, parsed; a rule reads only its own. */
typedef struct rb_strategy_params {
    rb_every every;
    int on_last;             /* --on first|last */
    int either;              /* --mode gated|either */
    rb_asset_values band;    /* --band (absolute, fraction) */
    rb_asset_values band_rel;
    rb_optional band_total;
    rb_to to;
    int only_breached;
    int cooldown;            /* bars */
    rb_asset_values vol_ref; /* nothing given: each asset's own volatility to date */
    /* The run settings --vol-model / --vol-window (the strategy group's), one setting: the
     * volatility estimate of inverse-vol targets and of vol-band. */
    int vol_window;          /* window:N (--vol-window N): N bars; 0 under EWMA */
    double vol_lambda;       /* ewma:LAMBDA, 0 < LAMBDA < 1; 0: the window model */
    struct rb_schedule *when; /* --when (schedule): the bars to rebalance on; NULL: none given */
} rb_strategy_params;

#define RB_PARAM_FIELD(field) .offset = offsetof(rb_strategy_params, field), .size = sizeof(((rb_strategy_params *)0)->field)

/* Readers of the parameters whose values follow their own rule (rb_setting_info.read). */
rb_status rb_read_every(const char *key, const char *text, void *field, rb_error *err);
rb_status rb_read_to(const char *key, const char *text, void *field, rb_error *err);
rb_status rb_read_optional_fraction(const char *key, const char *text, void *field, rb_error *err);

extern const char *const rb_on_words[];   /* first, last */
extern const char *const rb_mode_words[]; /* gated, either */

/* The parameter rows of every rule with a calendar (calendar, hybrid). */
#define RB_PERIOD_PARAMS                                                                                     \
    {.key = "every", .arg = "PERIOD", .def = "month", .group = "strategy",                                   \
     .help = "the calendar dates: every day|week|month|quarter|half|year, or every N bars",                   \
     .type = RB_VALUE_OTHER, .read = rb_read_every, RB_PARAM_FIELD(every)},                                  \
    {.key = "on", .arg = "first|last", .def = "first", .group = "strategy",                                  \
     .help = "on the first bar of each period or on its last", .type = RB_VALUE_WORD, .words = rb_on_words, \
     RB_PARAM_FIELD(on_last)}

/* The parameter rows every band rule accepts (threshold, hybrid, vol-band). */
#define RB_BAND_PARAMS                                                                                        \
    {.key = "band", .arg = "B|SYM=B,...", .def = "", .group = "strategy",                                     \
     .help = "absolute band: rebalance when |w - target| > B (0.05 = 5 pp)", .fraction = 1,                   \
     .type = RB_VALUE_PER_ASSET, .lo = 0, .hi = 1, RB_PARAM_FIELD(band)},                                     \
    {.key = "band-rel", .arg = "R|SYM=R,...", .def = "", .group = "strategy",                                 \
     .help = "relative band: |w - target| / target > R (with --band: either one)", .fraction = 1,             \
     .type = RB_VALUE_PER_ASSET, .lo = 0, .hi = 100, RB_PARAM_FIELD(band_rel)},                               \
    {.key = "band-total", .arg = "X", .def = "", .group = "strategy",                                         \
     .help = "portfolio band: sum |w - target| / 2 > X", .fraction = 1, .type = RB_VALUE_NUMBER, .lo = 0,     \
     .hi = 1, .read = rb_read_optional_fraction, RB_PARAM_FIELD(band_total)},                                 \
    {.key = "to", .arg = "target|edge|halfway|inner:F", .def = "target", .group = "strategy",                 \
     .help = "trade to the targets, to the band edge, halfway, or to F of the band", .fraction = 1,           \
     .type = RB_VALUE_OTHER, .read = rb_read_to, RB_PARAM_FIELD(to)},                                         \
    {.key = "only-breached", .arg = "", .def = "", .group = "strategy",                                       \
     .help = "trade only the assets outside their bands", .type = RB_VALUE_FLAG, RB_PARAM_FIELD(only_breached)}, \
    {.key = "cooldown", .arg = "BARS", .def = "0", .group = "strategy",                                       \
     .help = "at least this many bars between two rebalances", .type = RB_VALUE_WHOLE, .lo = 0, .hi = 1e9,    \
     RB_PARAM_FIELD(cooldown)}

#endif /* RB_PARAMS_H */
