/* spec.c - run settings as a data table: one row per `rebal run` flag with its argument,
 * default, group and help. The same rows set the defaults of a new spec, parse and check
 * values, and drive --help and (later) sweep files, so they cannot disagree. */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dated_tables.h"
#include "error.h"
#include "strategy.h"
#include "text.h"
#include "alloc.h"
#include "asset_names.h"
#include "venues.h"

static rb_status read_assets(const char *key, const char *text, void *field, rb_error *err);
static rb_status read_start(const char *key, const char *text, void *field, rb_error *err);
static rb_status read_end(const char *key, const char *text, void *field, rb_error *err);
static rb_status read_periods(const char *key, const char *text, void *field, rb_error *err);
static rb_status read_strategy(const char *key, const char *text, void *field, rb_error *err);
static rb_status read_gas_series(const char *key, const char *text, void *field, rb_error *err);
static rb_status read_targets_csv(const char *key, const char *text, void *field, rb_error *err);
static rb_status read_vol_window(const char *key, const char *text, void *field, rb_error *err);
static rb_status read_vol_model(const char *key, const char *text, void *field, rb_error *err);
static rb_status read_amm_range(const char *key, const char *text, void *field, rb_error *err);
static rb_status read_venues(const char *key, const char *text, void *field, rb_error *err);
static rb_status read_benchmark(const char *key, const char *text, void *field, rb_error *err);

static const char *const align_names[] = {"union", "intersect", NULL};
static const char *const exec_names[] = {"close", "next-open", NULL};
static const char *const lot_names[] = {"fifo", "lifo", "hifo", "avg", NULL};
static const char *const flow_names[] = {"target", "rebalance", NULL};
static const char *const target_names[] = {"static", "inverse-vol", NULL};
/* Indexed by rb_period; only month, quarter and year are offered for contributions. */
static const char *const every_names[] = {"", "", "", "month", "quarter", "", "year", NULL};
/* The perpetual-futures overlay (engine/overlay.h). */
static const char *const overlay_names[] = {"none", "perp", NULL};
static const char *const funding_period_names[] = {"8h", "bar", NULL};
static const char *const after_liquidation_names[] = {"spot", "reopen", NULL};
static const char *const perp_tax_names[] = {"short", "long", "60-40", NULL};

/* The field of rb_run_spec a row reads into, and the span of fields from a to b. */
#define F(field) .offset = offsetof(rb_run_spec, field), .size = sizeof(((rb_run_spec *)0)->field)
#define SPAN(a, b)                                                                                           \
    .offset = offsetof(rb_run_spec, a), .size = offsetof(rb_run_spec, b) + sizeof(((rb_run_spec *)0)->b) -   \
                                                 offsetof(rb_run_spec, a)
#define BIG RB_NUMBER_UNBOUNDED
#define NUMBER(lo_, hi_) .type = RB_VALUE_NUMBER, .lo = lo_, .hi = hi_
#define WHOLE(lo_, hi_) .type = RB_VALUE_WHOLE, .lo = lo_, .hi = hi_
#define PER_ASSET(lo_, hi_) .type = RB_VALUE_PER_ASSET, .lo = lo_, .hi = hi_
#define WORD(list) .type = RB_VALUE_WORD, .words = list
#define OTHER(fn) .type = RB_VALUE_OTHER, .read = fn

static const rb_setting_info settings[] = {
    {"assets", "SYM=W,...", "", "data",
     "target weights, positive and summing to 1 (CASH is cash); with --targets-csv the symbols alone (SYM,...)", 1,
     OTHER(read_assets), SPAN(nassets, weights)},
    {"start", "DATE|auto", "auto", "data", "first bar; auto: the latest first date among the assets", 0,
     OTHER(read_start), SPAN(has_start, start)},
    {"end", "DATE|auto", "auto", "data", "last bar; auto: the earliest last date among the assets", 0,
     OTHER(read_end), SPAN(has_end, end)},
    {"align", "union|intersect", "union", "data",
     "dates: every date any asset trades (gaps forward-filled) or only common dates", 0, WORD(align_names),
     F(align)},
    {"max-gap", "BARS", "5", "data", "most consecutive bars an asset may be forward-filled", 0, WHOLE(0, 1e6),
     F(max_gap)},
    {"cash-rate", "RATE", "0", "data", "yearly yield of CASH, a fraction or a percentage (0.02 = 2%)", 1,
     NUMBER(-0.99, 10), F(cash_rate)},
    {"periods-per-year", "P|auto", "auto", "data",
     "periods per year for annualizing; auto: the bars per calendar year the data shows", 0,
     OTHER(read_periods), F(periods_per_year)},
    {"targets-csv", "FILE.csv", "", "data",
     "target weights over time: a CSV date,SYM1,SYM2,...; a row is in force from the first bar at or after its date",
     0, OTHER(read_targets_csv),
     F(target_table), .input = RB_INPUT_FILE},
    {"capital", "USD", "100000", "portfolio", "initial capital, invested at the targets on the first bar", 0,
     NUMBER(1e-6, BIG), F(capital)},
    {"exec", "close|next-open", "close", "portfolio",
     "trade at the deciding bar's close or at the next bar's open (the next close on close-only data)", 0,
     WORD(exec_names), F(exec)},
    {"min-trade", "USD", "0", "portfolio",
     "skip rebalance orders smaller than this value (recorded as skipped); the first allocation always trades",
     0, NUMBER(0, BIG), F(min_trade)},
    {"lot-size", "UNITS", "0", "portfolio", "round units down to multiples (1 = whole shares; 0 = fractional)", 0,
     NUMBER(0, BIG), F(lot_size)},
    {"strategy", "NAME", "buy-and-hold", "strategy", "the rebalancing rule (see 'rebal help strategies')", 0,
     OTHER(read_strategy), F(strategy)},
    {"targets", "static|inverse-vol", "static", "strategy",
     "targets: the --assets weights, or inverse-volatility weights recomputed at each rebalance", 0,
     WORD(target_names), F(targets)},
    {"vol-window", "BARS", "63", "strategy", "the same as --vol-model window:BARS (the later of the two wins)", 0,
     WHOLE(2, 1e6), .read = read_vol_window, SPAN(sp.vol_window, sp.vol_lambda)},
    {"vol-model", "window:N|ewma:LAMBDA", "window:63", "strategy",
     "volatility estimate of inverse-vol and vol-band: stdev of the last N returns, or the RiskMetrics EWMA "
     "(0 < LAMBDA < 1, e.g. 0.94)",
     0, OTHER(read_vol_model), SPAN(sp.vol_window, sp.vol_lambda)},
    {"fee-bps", "BPS|SYM=BPS,...", "0", "costs", "commission in basis points of traded value", 0,
     PER_ASSET(0, 10000), F(fee_bps)},
    {"fee-min", "USD|SYM=USD,...", "0", "costs", "minimum commission per order", 0, PER_ASSET(0, BIG), F(fee_min)},
    {"fee-fixed", "USD|SYM=USD,...", "0", "costs", "commission per order, on top of the rest", 0, PER_ASSET(0, BIG),
     F(fee_fixed)},
    {"slippage-bps", "BPS|SYM=BPS,...", "0", "costs", "fixed slippage in basis points of traded value", 0,
     PER_ASSET(0, 10000), F(slippage_bps)},
    {"spread-bps", "BPS|SYM=BPS,...", "0", "costs", "quoted bid-ask spread in basis points; an order pays half", 0,
     PER_ASSET(0, 10000), F(spread_bps)},
    {"impact", "K|SYM=K,...", "0", "costs", "square-root impact K * sigma * sqrt(units / ADV); needs volume", 0,
     PER_ASSET(0, 100), F(impact)},
    {"impact-window", "BARS", "20", "costs", "bars of returns and volumes behind sigma and ADV", 0, WHOLE(2, 1e6),
     F(impact_window)},
    {"amm-depth", "USD|SYM=USD,...", "0", "costs",
     "quote-side reserve of a constant-product (x*y=k) pool per asset; 0 = no pool", 0, PER_ASSET(0, BIG),
     F(amm_depth)},
    {"amm-fee-bps", "BPS|SYM=BPS,...", "30", "costs", "pool fee on the amount put into the pool", 0,
     PER_ASSET(0, 9999), F(amm_fee_bps)},
    {"amm-depth-series", "SYM=SERIES,...", "", "costs",
     "the pool's quote-side reserve on each bar from a stored series (forward-filled; 'rebal series'); replaces "
     "--amm-depth for SYM", 0, OTHER(rb_read_asset_names), F(amm_depth_series), .input = RB_INPUT_SERIES_PER_ASSET},
    {"amm-range", "LOW:HIGH|SYM=LOW:HIGH,...", "", "costs",
     "concentrated liquidity: the pool's position spans LOW to HIGH times the price it is re-centred on each bar "
     "(0 < LOW < 1 < HIGH, e.g. 0.9:1.1), holding the capital of a full-range pool of the same depth",
     0, OTHER(read_amm_range), SPAN(amm_range_low, amm_range_high)},
    {"gas", "USD", "0", "costs", "network fee per transaction (one per asset traded)", 0, NUMBER(0, BIG), F(gas)},
    {"gas-series", "NAME", "", "costs",
     "gas per transaction from a stored series ('rebal series'; forward-filled); replaces --gas", 0,
     OTHER(read_gas_series), F(gas_series), .input = RB_INPUT_SERIES},
    {"gas-tx", "USD", "0", "costs",
     "network fee of one vault transaction, paid once by each batch of orders that trades (a rebalance, the first "
     "allocation, a flow, a tax sale); adds to --gas", 0, NUMBER(0, BIG), F(gas_tx)},
    {"gas-swap", "USD", "0", "costs", "network fee per swap (order) inside that vault transaction; adds to --gas", 0,
     NUMBER(0, BIG), F(gas_swap)},
    {"venues", "FILE.ini", "", "venues",
     "a venue file: central exchanges and pools (depth, fee, range, gas, chain) and the venues each asset trades "
     "on; an order of such an asset is split across its venues at least total cost ('rebal help venues')",
     0, OTHER(read_venues), F(venues), .input = RB_INPUT_FILE},
    {"tax-lots", "fifo|lifo|hifo|avg", "fifo", "tax",
     "which lots a sale relieves (hifo: highest cost first; avg: every lot at the average cost)", 0,
     WORD(lot_names), F(lots)},
    {"tax-short", "RATE", "0", "tax", "tax rate on net short-term gains", 1, NUMBER(0, 1), F(tax_short)},
    {"tax-long", "RATE", "0", "tax", "tax rate on net long-term gains", 1, NUMBER(0, 1), F(tax_long)},
    {"long-term-days", "DAYS", "365", "tax", "a lot held more than this many days is long-term", 0,
     WHOLE(0, 100000), F(long_term_days)},
    {"wash-sale-days", "DAYS", "0", "tax",
     "disallow a loss when the asset is bought within this many calendar days before or after the sale "
     "(0 = off)", 0, WHOLE(0, 3650), F(wash_sale_days)},
    {"contribution", "USD", "0", "flows", "added every period (negative withdraws)", 0, NUMBER(-BIG, BIG),
     F(contribution)},
    {"contribution-every", "month|quarter|year", "month", "flows", "when contributions arrive (first bar of each)",
     0, WORD(every_names), F(contribution_every)},
    {"flows", "target|rebalance", "target", "flows",
     "invest flows at the targets, or in the most underweight assets first", 0, WORD(flow_names), F(flows)},
    {"rf", "RATE", "0", "metrics", "risk-free rate per year for the Sharpe ratio", 1, NUMBER(-0.99, 1), F(rf)},
    /* the perpetual-futures overlay: how a rebalance is executed, so swept with the costs */
    {"overlay", "none|perp", "none", "costs",
     "perp: a rebalance leaves spot alone and sets perpetual-futures positions so that spot + perp exposure is at "
     "the targets (docs/engine.md)", 0, WORD(overlay_names), F(overlay)},
    {"margin-asset", "SYM", "CASH", "costs",
     "the asset holding the overlay's collateral (perp PnL, funding and fees settle in it); CASH: the CASH "
     "column, or the uninvested cash without one", 0, OTHER(read_gas_series), F(margin_asset)},
    {"funding-series", "SYM=SERIES,...", "", "costs",
     "each perp's funding rate from a stored series (forward-filled; 'rebal series'), a fraction per 8 hours or "
     "per bar (--funding-period); longs pay a positive rate; none: 0", 0, OTHER(rb_read_asset_names),
     F(funding_series), .input = RB_INPUT_SERIES_PER_ASSET},
    {"funding-period", "8h|bar", "8h", "costs",
     "what a funding rate is per: 8 hours (scaled by each bar's length) or one bar", 0, WORD(funding_period_names),
     F(funding_period)},
    {"perp-fee-bps", "BPS", "0", "costs", "perp trading fee in basis points of traded notional", 0,
     NUMBER(0, 10000), F(perp_fee_bps)},
    {"maintenance-margin", "FRACTION", "0.05", "costs",
     "the overlay is liquidated when its collateral falls below this fraction of the gross perp notional", 1,
     NUMBER(0, BIG), F(maintenance_margin)},
    {"liquidation-fee-bps", "BPS", "50", "costs", "fee of a liquidation in basis points of the notional liquidated",
     0, NUMBER(0, 10000), F(liquidation_fee_bps)},
    {"after-liquidation", "spot|reopen", "spot", "costs",
     "after a liquidation the rule's rebalances trade spot for the rest of the run, or open a new overlay", 0,
     WORD(after_liquidation_names), F(after_liquidation)},
    {"overlay-max", "F", "0", "costs",
     "cap on gross perp notional at F x portfolio value: a rebalance needing more closes the overlay and trades "
     "spot (0 = no cap)", 0, NUMBER(0, BIG), F(overlay_max)},
    {"perp-tax", "short|long|60-40", "short", "tax",
     "perp gains taxed as short-term, long-term, or 60% long / 40% short marked to market at year end (US "
     "section 1256)", 0, WORD(perp_tax_names), F(perp_tax)},
    {"benchmark", "SYM|series:NAME", "", "metrics",
     "the benchmark of beta, alpha, information ratio and capture: a stored asset's closes, or a stored dated "
     "series ('rebal series'), forward-filled onto the run's bars", 0, OTHER(read_benchmark), F(benchmark),
     .input = RB_INPUT_SERIES},
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

size_t rb_setting_count(void) { return NSETTINGS; }

const rb_setting_info *rb_setting_at(size_t i) { return i < NSETTINGS ? &settings[i] : NULL; }

/* ---------------------------------------------------------------- value parsing */

rb_status rb_percent_refused(const char *key, const char *text, rb_error *err)
{
    const rb_setting_info *info = rb_setting_find(key);
    return rb_percent_refused_as(key, info && info->arg[0] ? info->arg : NULL, text, err);
}

/* A number taking the whole text (rb_number_read). */
static rb_number_read_status parse_number(const char *text, int percent, double *out)
{
    return rb_number_read(text, strlen(text), percent, out);
}

/* Sweeps set every key of every configuration: the first letters are compared before the
 * whole names, which skips most of the table's strcmp calls. */
static int same_key(const char *a, const char *b) { return a[0] == b[0] && strcmp(a, b) == 0; }

const rb_setting_info *rb_run_setting_row(const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (same_key(settings[i].key, key)) return &settings[i];
    return NULL;
}

/* The row of a strategy parameter: the first strategy's that takes it (a key several
 * strategies take is declared once, by one row macro). */
static const rb_setting_info *strategy_param_row(const char *key)
{
    size_t n;
    const rb_strategy *const *all = rb_strategy_all(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < all[i]->info.nparams; j++)
            if (same_key(all[i]->info.params[j].key, key)) return &all[i]->info.params[j];
    return NULL;
}

const rb_setting_info *rb_setting_find(const char *key)
{
    const rb_setting_info *row = rb_run_setting_row(key);
    return row ? row : strategy_param_row(key);
}

int rb_setting_is_numeric(const rb_setting_info *s)
{
    return s->type == RB_VALUE_NUMBER || s->type == RB_VALUE_WHOLE || s->type == RB_VALUE_PER_ASSET ||
           s->type == RB_VALUE_FLAG;
}

int rb_setting_numeric(const char *key)
{
    const rb_setting_info *s = rb_setting_find(key);
    return s && rb_setting_is_numeric(s);
}

/* ---------------------------------------------------------------- values of their own rule */

/* The spec that holds field, a member `member` of it. */
#define SPEC_OF(field, member) ((rb_run_spec *)((char *)(field)-offsetof(rb_run_spec, member)))

static void free_assets(rb_run_spec *spec)
{
    for (size_t i = 0; i < spec->nassets; i++) free(spec->symbols[i]);
    free(spec->symbols);
    free(spec->weights);
    spec->symbols = NULL;
    spec->weights = NULL;
    spec->nassets = 0;
}

/* --assets SYM,SYM,...: the symbols alone, for a targets table to weight (rb_spec_check_targets
 * refuses them without one). */
static rb_status read_asset_symbols(rb_run_spec *spec, const char *value, rb_error *err)
{
    size_t cap = 1;
    for (const char *p = value; *p; p++) cap += *p == ',';
    char **symbols = rb_calloc(cap, sizeof *symbols);
    size_t n = 0;
    rb_status rc = symbols ? RB_OK : rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (const char *item = value; item && rc == RB_OK; item = strchr(item, ',') ? strchr(item, ',') + 1 : NULL) {
        const char *end = strchr(item, ',') ? strchr(item, ',') : item + strlen(item);
        while (item < end && *item == ' ') item++;
        while (end > item && end[-1] == ' ') end--;
        if (end == item) rc = rb_fail(err, RB_ERR_USAGE, "--assets: an empty symbol in '%s'", value);
        else if ((size_t)(end - item) >= RB_SYMBOL_MAX)
            rc = rb_fail(err, RB_ERR_USAGE, "--assets: a symbol longer than %d bytes in '%s'", RB_SYMBOL_MAX - 1, value);
        else if (!(symbols[n] = rb_strndup(item, (size_t)(end - item)))) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        for (size_t i = 0; rc == RB_OK && i < n; i++)
            if (strcmp(symbols[i], symbols[n]) == 0) rc = rb_fail(err, RB_ERR_USAGE, "--assets: %s is given twice", symbols[n]);
        if (rc == RB_OK) n++;
    }
    if (rc != RB_OK) {
        for (size_t i = 0; symbols && i <= n && i < cap; i++) free(symbols[i]);
        free(symbols);
        return rc;
    }
    free_assets(spec);
    spec->symbols = symbols;
    spec->nassets = n;
    return RB_OK;
}

static rb_status read_assets(const char *key, const char *value, void *field, rb_error *err)
{
    (void)key;
    rb_run_spec *spec = SPEC_OF(field, nassets);
    if (value[0] && !strchr(value, '=')) return read_asset_symbols(spec, value, err);
    for (const char *item = value; item; item = strchr(item, ',') ? strchr(item, ',') + 1 : NULL) {
        const char *eq = strchr(item, '='), *comma = strchr(item, ',');
        if (!eq || (comma && eq > comma))
            return rb_fail(err, RB_ERR_USAGE,
                           "--assets: give every asset as SYM=WEIGHT, e.g. AAPL=0.6,CASH=0.4, or (with --targets-csv) "
                           "the symbols alone (got '%s')",
                           value);
    }
    rb_asset_values v = {0};
    rb_status rc = rb_asset_values_parse("assets", NULL, value, 1, 0, 1, &v, err);
    if (rc != RB_OK) return rc;
    if (v.n == 0 || v.has_all) {
        rb_asset_values_clear(&v);
        return rb_fail(err, RB_ERR_USAGE, "--assets: give every asset as SYM=WEIGHT, e.g. AAPL=0.6,CASH=0.4 (got '%s')",
                       value);
    }
    double sum = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (!(v.value[i] > 0)) {
            rc = rb_fail(err, RB_ERR_USAGE, "--assets: the weight of %s must be positive (got %g)", v.symbol[i],
                         v.value[i]);
            rb_asset_values_clear(&v);
            return rc;
        }
        sum += v.value[i];
    }
    if (fabs(sum - 1) > 1e-9) {
        rb_asset_values_clear(&v);
        return rb_fail(err, RB_ERR_USAGE, "--assets: the weights sum to %.12g, not 1", sum);
    }
    free_assets(spec);
    spec->symbols = v.symbol;
    spec->weights = v.value;
    spec->nassets = v.n;
    return RB_OK;
}

static rb_status read_date(const char *key, const char *value, int *has, rb_time *t, rb_error *err)
{
    if (strcmp(value, "auto") == 0) {
        *has = 0;
        return RB_OK;
    }
    rb_time parsed;
    rb_error why = {0};
    if (rb_time_parse(value, NULL, &parsed, &why) != RB_OK)
        return rb_fail(err, RB_ERR_USAGE, "--%s: %s", key, why.msg);
    *has = 1;
    *t = parsed;
    return RB_OK;
}

static rb_status read_start(const char *key, const char *value, void *field, rb_error *err)
{
    rb_run_spec *spec = SPEC_OF(field, has_start);
    return read_date(key, value, &spec->has_start, &spec->start, err);
}

static rb_status read_end(const char *key, const char *value, void *field, rb_error *err)
{
    rb_run_spec *spec = SPEC_OF(field, has_end);
    return read_date(key, value, &spec->has_end, &spec->end, err);
}

static rb_status read_periods(const char *key, const char *value, void *field, rb_error *err)
{
    double *out = field;
    if (strcmp(value, "auto") == 0) {
        *out = 0;
        return RB_OK;
    }
    double v;
    rb_number_read_status got = parse_number(value, 0, &v);
    if (got == RB_NUMBER_PERCENT) return rb_percent_refused(key, value, err);
    if (got != RB_NUMBER_OK || !(v > 0) || v > 1e7)
        return rb_fail(err, RB_ERR_USAGE, "--%s: '%s' is not auto or a number above 0", key, value);
    *out = v;
    return RB_OK;
}

static rb_status set_string(char **field, const char *value, rb_error *err)
{
    char *copy = rb_strdup(value);
    if (!copy) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    free(*field);
    *field = copy;
    return RB_OK;
}

static rb_status read_strategy(const char *key, const char *value, void *field, rb_error *err)
{
    if (!rb_strategy_find(value)) {
        char known[512] = "";
        size_t n;
        const rb_strategy *const *all = rb_strategy_all(&n);
        rb_nearest near;
        rb_nearest_init(&near, value);
        for (size_t i = 0; i < n; i++) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, all[i]->info.name, sizeof known - strlen(known) - 1);
            rb_nearest_offer(&near, all[i]->info.name);
        }
        return rb_fail(err, RB_ERR_USAGE, "--%s: unknown strategy '%s'%s (known: %s)", key, value,
                       rb_nearest_hint(&near), known);
    }
    return set_string(field, value, err);
}

static rb_status read_targets_csv(const char *key, const char *value, void *field, rb_error *err)
{
    rb_target_table **table = field, *t = NULL;
    if (value[0]) {
        rb_status rc = rb_target_table_read(value, &t, err);
        if (rc != RB_OK) return rb_error_prefix(err, "--%s", key);
    }
    rb_target_table_free(*table);
    *table = t;
    return RB_OK;
}

static rb_status read_venues(const char *key, const char *value, void *field, rb_error *err)
{
    rb_venue_set **set = field, *s = NULL;
    if (value[0]) {
        rb_status rc = rb_venue_set_read(value, &s, err);
        if (rc != RB_OK) return rb_error_prefix(err, "--%s", key);
    }
    rb_venue_set_free(*set);
    *set = s;
    return RB_OK;
}

static rb_status read_gas_series(const char *key, const char *value, void *field, rb_error *err)
{
    (void)key;
    char **name = field;
    if (*value == '\0') {
        free(*name);
        *name = NULL;
        return RB_OK;
    }
    return set_string(name, value, err);
}

static rb_status read_benchmark(const char *key, const char *value, void *field, rb_error *err)
{
    if (strncmp(value, "series:", 7) == 0 && value[7] == '\0')
        return rb_fail(err, RB_ERR_USAGE, "--%s: 'series:' names no series (series:NAME, see 'rebal series')", key);
    return read_gas_series(key, value, field, err);
}

/* --vol-window W and --vol-model window:N|ewma:LAMBDA: one setting, the two fields
 * sp.vol_window and sp.vol_lambda (field points at the first), written together so that the
 * later of the two options wins whole. */
#define VOL_MODEL_OF(field) ((rb_strategy_params *)((char *)(field)-offsetof(rb_strategy_params, vol_window)))
#define VOL_WINDOW_MAX 1e6

static rb_status read_number(const rb_setting_info *row, const char *text, double *out, rb_error *err);

static rb_status read_vol_window(const char *key, const char *text, void *field, rb_error *err)
{
    double v = 0; /* read_number sets it when it returns RB_OK; initialized for gcc -O3 */
    rb_status rc = read_number(rb_run_setting_row(key), text, &v, err);
    if (rc != RB_OK) return rc;
    VOL_MODEL_OF(field)->vol_window = (int)v;
    VOL_MODEL_OF(field)->vol_lambda = 0;
    return RB_OK;
}

static rb_status read_vol_model(const char *key, const char *text, void *field, rb_error *err)
{
    rb_strategy_params *sp = VOL_MODEL_OF(field);
    double v;
    if (strncmp(text, "window:", 7) == 0) {
        const char *n = text + 7;
        if (parse_number(n, 0, &v) != RB_NUMBER_OK || v != floor(v) || v < 2 || v > VOL_WINDOW_MAX)
            return rb_fail(err, RB_ERR_USAGE, "--%s: '%s': N of window:N is a whole number of bars from 2 to %.0f",
                           key, text, VOL_WINDOW_MAX);
        sp->vol_window = (int)v;
        sp->vol_lambda = 0;
        return RB_OK;
    }
    if (strncmp(text, "ewma:", 5) == 0) {
        if (parse_number(text + 5, 0, &v) != RB_NUMBER_OK || !(v > 0 && v < 1))
            return rb_fail(err, RB_ERR_USAGE, "--%s: '%s': LAMBDA of ewma:LAMBDA is a number above 0 and below 1 "
                                              "(RiskMetrics: 0.94 for daily data)", key, text);
        sp->vol_window = 0;
        sp->vol_lambda = v;
        return RB_OK;
    }
    return rb_fail(err, RB_ERR_USAGE, "--%s: '%s' is not window:N (the last N returns) or ewma:LAMBDA (e.g. ewma:0.94)",
                   key, text);
}

/* --amm-range LOW:HIGH|SYM=LOW:HIGH,...: the two per-asset values amm_range_low and
 * amm_range_high (field points at the first), read as two per-asset texts ("0.9,BTC=0.5" and
 * "1.1,BTC=2") and replaced together; each pair must have 0 < LOW < 1 < HIGH. An empty value
 * clears them (no range: the full x*y=k pool). */
#define RANGE_OF(field) ((rb_run_spec *)((char *)(field)-offsetof(rb_run_spec, amm_range_low)))

/* The texts of the lows and highs of text, each item's "SYM=" kept on both. */
static rb_status split_range(const char *key, const char *text, char *lows, char *highs, rb_error *err)
{
    size_t nl = 0, nh = 0;
    for (const char *item = text; item; item = strchr(item, ',') ? strchr(item, ',') + 1 : NULL) {
        const char *end = strchr(item, ',') ? strchr(item, ',') : item + strlen(item);
        const char *eq = memchr(item, '=', (size_t)(end - item)), *value = eq ? eq + 1 : item;
        const char *colon = memchr(value, ':', (size_t)(end - value));
        if (!colon || memchr(colon + 1, ':', (size_t)(end - colon - 1)))
            return rb_fail(err, RB_ERR_USAGE, "--%s: '%.*s' is not LOW:HIGH or SYM=LOW:HIGH (e.g. 0.9:1.1)", key,
                           (int)(end - item), item);
        int sep = item != text;
        nl += (size_t)sprintf(lows + nl, "%s%.*s%.*s", sep ? "," : "", (int)(value - item), item,
                              (int)(colon - value), value);
        nh += (size_t)sprintf(highs + nh, "%s%.*s%.*s", sep ? "," : "", (int)(value - item), item,
                              (int)(end - colon - 1), colon + 1);
    }
    return RB_OK;
}

/* 0 < low < 1 < high, or the message naming the pair. */
static rb_status check_range(const char *key, const char *who, double low, double high, rb_error *err)
{
    if (low > 0 && low < 1 && high > 1) return RB_OK;
    return rb_fail(err, RB_ERR_USAGE,
                   "--%s: %s%g:%g: LOW must be above 0 and below 1 and HIGH above 1 (multiples of the price the "
                   "position is centred on, e.g. 0.9:1.1)",
                   key, who, low, high);
}

static rb_status read_amm_range(const char *key, const char *text, void *field, rb_error *err)
{
    rb_run_spec *spec = RANGE_OF(field);
    rb_asset_values low = {0}, high = {0};
    char *lows = rb_malloc(strlen(text) + 2), *highs = rb_malloc(strlen(text) + 2);
    rb_status rc = lows && highs ? RB_OK : rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (rc == RB_OK && text[0]) rc = split_range(key, text, lows, highs, err);
    if (rc == RB_OK && text[0]) rc = rb_asset_values_parse(key, NULL, lows, 0, 0, RB_NUMBER_UNBOUNDED, &low, err);
    if (rc == RB_OK && text[0]) rc = rb_asset_values_parse(key, NULL, highs, 0, 0, RB_NUMBER_UNBOUNDED, &high, err);
    if (rc == RB_OK && low.has_all) rc = check_range(key, "", low.all, high.all, err);
    for (size_t i = 0; rc == RB_OK && i < low.n; i++) {
        char who[RB_SYMBOL_MAX + 2];
        snprintf(who, sizeof who, "%s=", low.symbol[i]);
        rc = check_range(key, who, low.value[i], high.value[i], err);
    }
    free(lows);
    free(highs);
    if (rc != RB_OK) {
        rb_asset_values_clear(&low);
        rb_asset_values_clear(&high);
        return rc;
    }
    rb_asset_values_clear(&spec->amm_range_low);
    rb_asset_values_clear(&spec->amm_range_high);
    spec->amm_range_low = low;
    spec->amm_range_high = high;
    return RB_OK;
}

/* ---------------------------------------------------------------- reading by the table */

static rb_status read_number(const rb_setting_info *row, const char *text, double *out, rb_error *err)
{
    double v;
    rb_number_read_status got = parse_number(text, row->fraction, &v);
    if (got == RB_NUMBER_PERCENT) return rb_percent_refused(row->key, text, err);
    if (got != RB_NUMBER_OK || (row->type == RB_VALUE_WHOLE && v != floor(v)))
        return rb_fail(err, RB_ERR_USAGE, "--%s: '%s' is not a %s", row->key, text,
                       row->type == RB_VALUE_WHOLE ? "whole number" : "number");
    if (rb_number_in_range(row->key, row->lo, row->hi, v, text, err) != RB_OK) return RB_ERR_USAGE;
    *out = v;
    return RB_OK;
}

rb_status rb_setting_read(const rb_setting_info *row, const char *text, rb_run_spec *spec, rb_error *err)
{
    void *field = (char *)spec + row->offset;
    double v;
    /* a percentage where no fraction is taken (--cooldown 5%, --every 5%): said so */
    if (!row->fraction && parse_number(text, 0, &v) == RB_NUMBER_PERCENT) return rb_percent_refused(row->key, text, err);
    if (row->read) return row->read(row->key, text, field, err);
    rb_status rc;
    switch (row->type) {
    case RB_VALUE_NUMBER:
        if ((rc = read_number(row, text, &v, err)) == RB_OK) *(double *)field = v;
        return rc;
    case RB_VALUE_WHOLE:
        if ((rc = read_number(row, text, &v, err)) == RB_OK) *(int *)field = (int)v;
        return rc;
    case RB_VALUE_PER_ASSET:
        return rb_asset_values_parse(row->key, row->arg[0] ? row->arg : NULL, text, row->fraction, row->lo, row->hi,
                                     field, err);
    case RB_VALUE_WORD:
        for (int i = 0; row->words[i]; i++)
            if (row->words[i][0] && strcmp(row->words[i], text) == 0) {
                *(int *)field = i;
                return RB_OK;
            }
        return rb_fail(err, RB_ERR_USAGE, "--%s: '%s' is not one of %s", row->key, text, row->arg);
    case RB_VALUE_FLAG:
        if (strcmp(text, "1") == 0 || strcmp(text, "0") == 0) {
            *(int *)field = text[0] == '1';
            return RB_OK;
        }
        return rb_fail(err, RB_ERR_USAGE, "--%s is a flag: it takes no value (got '%s')", row->key, text);
    case RB_VALUE_OTHER: break;
    }
    return rb_fail(err, RB_ERR_USAGE, "--%s: unsupported setting", row->key);
}

static int is_run_setting(const rb_setting_info *row) { return row >= settings && row < settings + NSETTINGS; }

int rb_settings_share_field(const rb_setting_info *a, const rb_setting_info *b)
{
    return a != b && is_run_setting(a) && is_run_setting(b) && a->offset < b->offset + b->size &&
           b->offset < a->offset + a->size;
}

int rb_spec_given(const rb_run_spec *spec, const char *key)
{
    for (size_t i = 0; i < spec->ngiven; i++)
        if (same_key(spec->given[i], key)) return 1;
    return 0;
}

void rb_spec_mark_given(rb_run_spec *spec, const char *key)
{
    if (!rb_spec_given(spec, key) && spec->ngiven < RB_MAX_GIVEN) spec->given[spec->ngiven++] = key;
}

void rb_setting_take(const rb_setting_info *row, rb_run_spec *spec, void *bytes)
{
    memcpy(bytes, (char *)spec + row->offset, row->size);
    memset((char *)spec + row->offset, 0, row->size);
}

void rb_setting_put(const rb_setting_info *row, rb_run_spec *spec, const void *bytes)
{
    memcpy((char *)spec + row->offset, bytes, row->size);
    if (!is_run_setting(row)) rb_spec_mark_given(spec, row->key);
}

/* 1 when a row's parsed value is a plain number or index, read by rb_setting_read itself: it
 * owns no memory. */
static int owns_nothing(const rb_setting_info *row)
{
    return !row->read && (row->type == RB_VALUE_NUMBER || row->type == RB_VALUE_WHOLE ||
                          row->type == RB_VALUE_WORD || row->type == RB_VALUE_FLAG);
}

void rb_setting_drop(const rb_setting_info *row, void *bytes)
{
    /* What rb_setting_read's own types own, released where it is: through a scratch spec
     * (every per-asset field of every rule cleared) a sweep of 1,000 bands took 0.18 ms to
     * drop its values at the end of the command. */
    if (owns_nothing(row)) {
        memset(bytes, 0, row->size);
        return;
    }
    if (!row->read && row->type == RB_VALUE_PER_ASSET) {
        rb_asset_values_clear(bytes);
        return;
    }
    rb_run_spec scratch;
    memset(&scratch, 0, sizeof scratch);
    memcpy((char *)&scratch + row->offset, bytes, row->size);
    rb_run_spec_release(&scratch);
    memset(bytes, 0, row->size);
}

/* ---------------------------------------------------------------- the spec */

/* "; did you mean band?" for an unknown setting: the nearest run setting or strategy
 * parameter, or "". */
static const char *nearest_setting(rb_nearest *near, const char *key)
{
    rb_nearest_init(near, key);
    for (size_t i = 0; i < NSETTINGS; i++) rb_nearest_offer(near, settings[i].key);
    size_t n;
    const rb_strategy *const *all = rb_strategy_all(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < all[i]->info.nparams; j++) rb_nearest_offer(near, all[i]->info.params[j].key);
    return rb_nearest_hint(near);
}

rb_status rb_run_spec_set(rb_run_spec *spec, const char *key, const char *value, rb_error *err)
{
    const rb_setting_info *row = rb_setting_find(key);
    if (!row) {
        rb_nearest near;
        return rb_fail(err, RB_ERR_USAGE, "unknown setting '--%s'%s (see 'rebal help run')", key,
                       nearest_setting(&near, key));
    }
    rb_status rc = rb_setting_read(row, value, spec, err);
    if (rc == RB_OK && !is_run_setting(row)) rb_spec_mark_given(spec, row->key);
    return rc;
}

/* Applies the default of every row that has one (strategy parameters are not marked given). */
static rb_status apply_defaults(rb_run_spec *spec, const rb_setting_info *rows, size_t n, rb_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].def[0]) continue;
        rb_status rc = rb_setting_read(&rows[i], rows[i].def, spec, err);
        if (rc != RB_OK) return rc;
    }
    return RB_OK;
}

rb_status rb_run_spec_new(rb_run_spec **out, rb_error *err)
{
    rb_run_spec *spec = rb_calloc(1, sizeof *spec);
    if (!spec) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    /* Defaults come from the table, so the help and the behaviour cannot disagree. */
    rb_status rc = apply_defaults(spec, settings, NSETTINGS, err);
    size_t n;
    const rb_strategy *const *all = rb_strategy_all(&n);
    for (size_t i = 0; rc == RB_OK && i < n; i++) rc = apply_defaults(spec, all[i]->info.params, all[i]->info.nparams, err);
    if (rc != RB_OK) {
        rb_run_spec_free(spec);
        return rc;
    }
    *out = spec;
    return RB_OK;
}

void rb_run_spec_release(rb_run_spec *spec)
{
    free_assets(spec);
    free(spec->strategy);
    /* Every per-asset value, found by the rows that declare them (a key several rules take
     * has one field: clearing it twice is harmless). */
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].type == RB_VALUE_PER_ASSET) rb_asset_values_clear((void *)((char *)spec + settings[i].offset));
    size_t n;
    const rb_strategy *const *all = rb_strategy_all(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < all[i]->info.nparams; j++)
            if (all[i]->info.params[j].type == RB_VALUE_PER_ASSET)
                rb_asset_values_clear((void *)((char *)spec + all[i]->info.params[j].offset));
    free(spec->gas_series);
    free(spec->benchmark);
    rb_asset_names_clear(&spec->amm_depth_series);
    free(spec->margin_asset);
    rb_asset_names_clear(&spec->funding_series);
    rb_asset_values_clear(&spec->amm_range_low);
    rb_asset_values_clear(&spec->amm_range_high);
    rb_target_table_free(spec->target_table);
    rb_venue_set_free(spec->venues);
    rb_schedule_free(spec->sp.when);
    memset(spec, 0, sizeof *spec);
}

void rb_run_spec_free(rb_run_spec *spec)
{
    if (!spec) return;
    rb_run_spec_release(spec);
    free(spec);
}
