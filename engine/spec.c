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

#include "error.h"
#include "strategy.h"
#include "text.h"

typedef enum kind { K_DOUBLE, K_INT, K_ASSET_VALUES, K_ENUM, K_CUSTOM } kind;

typedef struct setting {
    rb_setting_info info;
    kind kind;
    size_t offset;             /* field of rb_run_spec */
    double lo, hi;             /* allowed range, inclusive */
    const char *const *names;  /* K_ENUM: the accepted words, NULL-terminated; value = index */
    rb_status (*custom)(rb_run_spec *spec, const char *value, rb_error *err);
} setting;

static rb_status set_assets(rb_run_spec *spec, const char *value, rb_error *err);
static rb_status set_start(rb_run_spec *spec, const char *value, rb_error *err);
static rb_status set_end(rb_run_spec *spec, const char *value, rb_error *err);
static rb_status set_periods(rb_run_spec *spec, const char *value, rb_error *err);
static rb_status set_strategy(rb_run_spec *spec, const char *value, rb_error *err);
static rb_status set_gas_series(rb_run_spec *spec, const char *value, rb_error *err);
static const struct setting *find_setting(const char *key);

static const char *const align_names[] = {"union", "intersect", NULL};
static const char *const exec_names[] = {"close", "next-open", NULL};
static const char *const lot_names[] = {"fifo", "lifo", "hifo", "avg", NULL};
static const char *const flow_names[] = {"target", "rebalance", NULL};
static const char *const target_names[] = {"static", "inverse-vol", NULL};
/* Indexed by rb_period; only month, quarter and year are offered for contributions. */
static const char *const every_names[] = {"", "", "", "month", "quarter", "", "year", NULL};

#define F(field) offsetof(rb_run_spec, field)
#define BIG 1e15

static const setting settings[] = {
    {{"assets", "SYM=W,...", "", "data", "target weights, positive and summing to 1 (CASH is cash)", 1},
     K_CUSTOM, 0, 0, 0, NULL, set_assets},
    {{"start", "DATE|auto", "auto", "data", "first bar; auto: the latest first date among the assets", 0},
     K_CUSTOM, 0, 0, 0, NULL, set_start},
    {{"end", "DATE|auto", "auto", "data", "last bar; auto: the earliest last date among the assets", 0},
     K_CUSTOM, 0, 0, 0, NULL, set_end},
    {{"align", "union|intersect", "union", "data",
      "dates: every date any asset trades (gaps forward-filled) or only common dates", 0},
     K_ENUM, F(align), 0, 0, align_names, NULL},
    {{"max-gap", "BARS", "5", "data", "most consecutive bars an asset may be forward-filled", 0},
     K_INT, F(max_gap), 0, 1e6, NULL, NULL},
    {{"cash-rate", "RATE", "0", "data", "yearly yield of CASH, a fraction or a percentage (0.02 = 2%)", 1},
     K_DOUBLE, F(cash_rate), -0.99, 10, NULL, NULL},
    {{"periods-per-year", "P|auto", "auto", "data",
      "periods per year for annualizing; auto: the bars per calendar year the data shows", 0},
     K_CUSTOM, 0, 0, 0, NULL, set_periods},
    {{"capital", "USD", "100000", "portfolio", "initial capital, invested at the targets on the first bar", 0},
     K_DOUBLE, F(capital), 1e-6, BIG, NULL, NULL},
    {{"exec", "close|next-open", "close", "portfolio",
      "trade at the deciding bar's close or at the next bar's open (the next close on close-only data)", 0},
     K_ENUM, F(exec), 0, 0, exec_names, NULL},
    {{"min-trade", "USD", "0", "portfolio",
      "skip rebalance orders smaller than this value (recorded as skipped); the first allocation always trades", 0},
     K_DOUBLE, F(min_trade), 0, BIG, NULL, NULL},
    {{"lot-size", "UNITS", "0", "portfolio", "round units down to multiples (1 = whole shares; 0 = fractional)", 0},
     K_DOUBLE, F(lot_size), 0, BIG, NULL, NULL},
    {{"strategy", "NAME", "buy-and-hold", "strategy", "the rebalancing rule (see 'rebal help strategies')", 0},
     K_CUSTOM, 0, 0, 0, NULL, set_strategy},
    {{"targets", "static|inverse-vol", "static", "strategy",
      "targets: the --assets weights, or inverse-volatility weights recomputed at each rebalance", 0},
     K_ENUM, F(targets), 0, 0, target_names, NULL},
    {{"vol-window", "BARS", "63", "strategy", "bars of returns behind volatility estimates (inverse-vol, vol-band)", 0},
     K_INT, F(vol_window), 2, 1e6, NULL, NULL},
    {{"fee-bps", "BPS|SYM=BPS,...", "0", "costs", "commission in basis points of traded value", 0},
     K_ASSET_VALUES, F(fee_bps), 0, 10000, NULL, NULL},
    {{"fee-min", "USD|SYM=USD,...", "0", "costs", "minimum commission per order", 0},
     K_ASSET_VALUES, F(fee_min), 0, BIG, NULL, NULL},
    {{"fee-fixed", "USD|SYM=USD,...", "0", "costs", "commission per order, on top of the rest", 0},
     K_ASSET_VALUES, F(fee_fixed), 0, BIG, NULL, NULL},
    {{"slippage-bps", "BPS|SYM=BPS,...", "0", "costs", "fixed slippage in basis points of traded value", 0},
     K_ASSET_VALUES, F(slippage_bps), 0, 10000, NULL, NULL},
    {{"spread-bps", "BPS|SYM=BPS,...", "0", "costs", "quoted bid-ask spread in basis points; an order pays half", 0},
     K_ASSET_VALUES, F(spread_bps), 0, 10000, NULL, NULL},
    {{"impact", "K|SYM=K,...", "0", "costs", "square-root impact K * sigma * sqrt(units / ADV); needs volume", 0},
     K_ASSET_VALUES, F(impact), 0, 100, NULL, NULL},
    {{"impact-window", "BARS", "20", "costs", "bars of returns and volumes behind sigma and ADV", 0},
     K_INT, F(impact_window), 2, 1e6, NULL, NULL},
    {{"amm-depth", "USD|SYM=USD,...", "0", "costs",
      "quote-side reserve of a constant-product (x*y=k) pool per asset; 0 = no pool", 0},
     K_ASSET_VALUES, F(amm_depth), 0, BIG, NULL, NULL},
    {{"amm-fee-bps", "BPS|SYM=BPS,...", "30", "costs", "pool fee on the amount put into the pool", 0},
     K_ASSET_VALUES, F(amm_fee_bps), 0, 9999, NULL, NULL},
    {{"gas", "USD", "0", "costs", "network fee per transaction (one per asset traded)", 0},
     K_DOUBLE, F(gas), 0, BIG, NULL, NULL},
    {{"gas-series", "NAME", "", "costs",
      "gas per transaction from a stored series (its closes, forward-filled); replaces --gas", 0},
     K_CUSTOM, 0, 0, 0, NULL, set_gas_series},
    {{"tax-lots", "fifo|lifo|hifo|avg", "fifo", "tax",
      "which lots a sale relieves (hifo: highest cost first; avg: every lot at the average cost)", 0},
     K_ENUM, F(lots), 0, 0, lot_names, NULL},
    {{"tax-short", "RATE", "0", "tax", "tax rate on net short-term gains", 1},
     K_DOUBLE, F(tax_short), 0, 1, NULL, NULL},
    {{"tax-long", "RATE", "0", "tax", "tax rate on net long-term gains", 1},
     K_DOUBLE, F(tax_long), 0, 1, NULL, NULL},
    {{"long-term-days", "DAYS", "365", "tax", "a lot held more than this many days is long-term", 0},
     K_INT, F(long_term_days), 0, 100000, NULL, NULL},
    {{"wash-sale-days", "DAYS", "0", "tax",
      "disallow a loss when the asset is bought within this many calendar days before or after the sale "
      "(0 = off)", 0},
     K_INT, F(wash_sale_days), 0, 3650, NULL, NULL},
    {{"contribution", "USD", "0", "flows", "added every period (negative withdraws)", 0},
     K_DOUBLE, F(contribution), -BIG, BIG, NULL, NULL},
    {{"contribution-every", "month|quarter|year", "month", "flows", "when contributions arrive (first bar of each)", 0},
     K_ENUM, F(contribution_every), 0, 0, every_names, NULL},
    {{"flows", "target|rebalance", "target", "flows",
      "invest flows at the targets, or in the most underweight assets first", 0},
     K_ENUM, F(flows), 0, 0, flow_names, NULL},
    {{"rf", "RATE", "0", "metrics", "risk-free rate per year for the Sharpe ratio", 1},
     K_DOUBLE, F(rf), -0.99, 1, NULL, NULL},
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

size_t rb_setting_count(void) { return NSETTINGS; }

const rb_setting_info *rb_setting_at(size_t i) { return i < NSETTINGS ? &settings[i].info : NULL; }

/* ---------------------------------------------------------------- value parsing */

int rb_number_syntax(const char *s, size_t len)
{
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) i++;
    while (i < len && isdigit((unsigned char)s[i])) i++, digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && isdigit((unsigned char)s[i])) i++, digits++;
    }
    if (digits == 0) return 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        size_t exp_digits = 0;
        while (i < len && isdigit((unsigned char)s[i])) i++, exp_digits++;
        if (exp_digits == 0) return 0;
    }
    return i == len;
}

/* The decimal exponent written after 'e' in s[0..len) (digits checked), clamped far beyond
 * the double range so that lowering it by 2 cannot overflow. */
static long written_exponent(const char *s, size_t len)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    long e = 0;
    for (; i < len; i++)
        if (e < 1000000) e = e * 10 + (s[i] - '0');
    return neg ? -e : e;
}

rb_number_read_status rb_number_read(const char *s, size_t len, int percent, double *out)
{
    while (len > 0 && (*s == ' ' || *s == '\t')) s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    int is_percent = len > 0 && s[len - 1] == '%';
    if (is_percent) len--;
    if (!rb_number_syntax(s, len)) return RB_NUMBER_BAD;
    if (is_percent && !percent) return RB_NUMBER_PERCENT;
    /* A percentage is read as the decimal it names, with its exponent lowered by 2 (no
     * division, which would round twice: 1.1% is exactly the double of 0.011). */
    char small[96], *text = len + 32 <= sizeof small ? small : malloc(len + 32);
    if (!text) return RB_NUMBER_BAD;
    if (is_percent) {
        size_t mantissa = 0;
        while (mantissa < len && s[mantissa] != 'e' && s[mantissa] != 'E') mantissa++;
        long exponent = mantissa < len ? written_exponent(s + mantissa + 1, len - mantissa - 1) : 0;
        memcpy(text, s, mantissa);
        snprintf(text + mantissa, 32, "e%ld", exponent - 2);
    } else {
        memcpy(text, s, len);
        text[len] = '\0';
    }
    errno = 0;
    double v = strtod(text, NULL);
    int ok = errno != ERANGE && isfinite(v);
    if (text != small) free(text);
    if (!ok) return RB_NUMBER_BAD;
    *out = v;
    return RB_NUMBER_OK;
}

/* A number taking the whole text (rb_number_read). */
static rb_number_read_status parse_number(const char *text, int percent, double *out)
{
    return rb_number_read(text, strlen(text), percent, out);
}

const rb_setting_info *rb_setting_find(const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].info.key, key) == 0) return &settings[i].info;
    size_t n;
    const rb_strategy *const *all = rb_strategy_all(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < all[i]->info.nparams; j++)
            if (strcmp(all[i]->info.params[j].key, key) == 0) return &all[i]->info.params[j];
    return NULL;
}

int rb_setting_numeric(const char *key)
{
    const setting *s = find_setting(key);
    if (s) return s->kind == K_DOUBLE || s->kind == K_INT || s->kind == K_ASSET_VALUES;
    /* A strategy parameter: its row writes words in lower case (target|edge, first|last) or
     * defaults to one (every = month); the others take numbers (B|SYM=B,..., BARS) or are a
     * 0/1 flag (no ARG). */
    const rb_setting_info *p = rb_setting_find(key);
    if (!p) return 0;
    for (const char *c = p->arg; *c; c++)
        if (*c >= 'a' && *c <= 'z') return 0;
    double v;
    return !p->def[0] || rb_number_read(p->def, strlen(p->def), 0, &v) == RB_NUMBER_OK;
}

rb_status rb_percent_refused(const char *key, const char *text, rb_error *err)
{
    const rb_setting_info *info = rb_setting_find(key);
    if (info && info->arg[0])
        return rb_fail(err, RB_ERR_USAGE,
                       "--%s: '%s' is a percentage, but --%s takes %s (a percent sign is only for fractions: "
                       "weights, bands, rates)",
                       key, text, key, info->arg);
    return rb_fail(err, RB_ERR_USAGE,
                   "--%s: '%s' is a percentage, but --%s is not a fraction (a percent sign is only for fractions: "
                   "weights, bands, rates)",
                   key, text, key);
}

static rb_status check_bounds(const char *key, double lo, double hi, double v, const char *text, rb_error *err)
{
    if (v < lo || v > hi) {
        if (hi >= BIG) return rb_fail(err, RB_ERR_USAGE, "--%s: %s is out of range (at least %g)", key, text, lo);
        return rb_fail(err, RB_ERR_USAGE, "--%s: %s is out of range (%g to %g)", key, text, lo, hi);
    }
    return RB_OK;
}

static rb_status check_range(const setting *s, double v, const char *text, rb_error *err)
{
    return check_bounds(s->info.key, s->lo, s->hi, v, text, err);
}

void rb_asset_values_clear(rb_asset_values *v)
{
    for (size_t i = 0; i < v->n; i++) free(v->symbol[i]);
    free(v->symbol);
    free(v->value);
    memset(v, 0, sizeof *v);
}

/* "10", "BTC=10,ETH=15" or "5,BTC=10": a value for all plus per-symbol overrides. */
rb_status rb_asset_values_parse(const char *key, const char *text, int percent, double lo, double hi,
                                rb_asset_values *out, rb_error *err)
{
    rb_asset_values v = {0};
    size_t cap = 1;
    for (const char *p = text; *p; p++) cap += *p == ',';
    v.symbol = calloc(cap, sizeof *v.symbol);
    v.value = calloc(cap, sizeof *v.value);
    if (!v.symbol || !v.value) {
        rb_asset_values_clear(&v);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    rb_status rc = RB_OK;
    const char *item = text;
    while (rc == RB_OK) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        char buf[256];
        if (len >= sizeof buf) {
            rc = rb_fail(err, RB_ERR_USAGE, "--%s: item too long in '%s'", key, text);
            break;
        }
        memcpy(buf, item, len);
        buf[len] = '\0';
        char *eq = strchr(buf, '=');
        double x;
        const char *num = eq ? eq + 1 : buf;
        rb_number_read_status got = parse_number(num, percent, &x);
        if (got == RB_NUMBER_PERCENT) {
            while (*num == ' ') num++;
            rc = rb_percent_refused(key, num, err);
            break;
        }
        if (got != RB_NUMBER_OK) {
            rc = rb_fail(err, RB_ERR_USAGE, "--%s: '%s' is not a number in '%s'", key, num, text);
            break;
        }
        if ((rc = check_bounds(key, lo, hi, x, num, err)) != RB_OK) break;
        if (!eq) {
            v.all = x;
            v.has_all = 1;
        } else {
            char *sym = buf, *stop = eq;
            while (*sym == ' ') sym++;
            while (stop > sym && stop[-1] == ' ') stop--;
            *stop = '\0';
            if (*sym == '\0') {
                rc = rb_fail(err, RB_ERR_USAGE, "--%s: a symbol is missing before '=' in '%s'", key, text);
                break;
            }
            for (size_t i = 0; i < v.n; i++)
                if (strcmp(v.symbol[i], sym) == 0)
                    rc = rb_fail(err, RB_ERR_USAGE, "--%s: %s is given twice", key, sym);
            if (rc != RB_OK) break;
            if (!(v.symbol[v.n] = strdup(sym))) {
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
                break;
            }
            v.value[v.n++] = x;
        }
        if (!comma) break;
        item = comma + 1;
    }
    if (rc != RB_OK) {
        rb_asset_values_clear(&v);
        return rc;
    }
    rb_asset_values_clear(out);
    *out = v;
    return RB_OK;
}

double rb_asset_value(const rb_asset_values *v, const char *symbol)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->symbol[i], symbol) == 0) return v->value[i];
    return v->all;
}

/* ---------------------------------------------------------------- custom settings */

static void free_assets(rb_run_spec *spec)
{
    for (size_t i = 0; i < spec->nassets; i++) free(spec->symbols[i]);
    free(spec->symbols);
    free(spec->weights);
    spec->symbols = NULL;
    spec->weights = NULL;
    spec->nassets = 0;
}

static rb_status set_assets(rb_run_spec *spec, const char *value, rb_error *err)
{

    for (const char *item = value; item; item = strchr(item, ',') ? strchr(item, ',') + 1 : NULL) {
        const char *eq = strchr(item, '='), *comma = strchr(item, ',');
        if (!eq || (comma && eq > comma))
            return rb_fail(err, RB_ERR_USAGE,
                           "--assets: give every asset as SYM=WEIGHT, e.g. AAPL=0.6,CASH=0.4 (got '%s')", value);
    }
    rb_asset_values v = {0};
    rb_status rc = rb_asset_values_parse("assets", value, 1, 0, 1, &v, err);
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

static rb_status set_date(const char *key, const char *value, int *has, rb_time *t, rb_error *err)
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

static rb_status set_start(rb_run_spec *spec, const char *value, rb_error *err)
{
    return set_date("start", value, &spec->has_start, &spec->start, err);
}

static rb_status set_end(rb_run_spec *spec, const char *value, rb_error *err)
{
    return set_date("end", value, &spec->has_end, &spec->end, err);
}

static rb_status set_periods(rb_run_spec *spec, const char *value, rb_error *err)
{
    if (strcmp(value, "auto") == 0) {
        spec->periods_per_year = 0;
        return RB_OK;
    }
    double v;
    rb_number_read_status got = parse_number(value, 0, &v);
    if (got == RB_NUMBER_PERCENT) return rb_percent_refused("periods-per-year", value, err);
    if (got != RB_NUMBER_OK || !(v > 0) || v > 1e7)
        return rb_fail(err, RB_ERR_USAGE, "--periods-per-year: '%s' is not auto or a number above 0", value);
    spec->periods_per_year = v;
    return RB_OK;
}

static rb_status set_string(char **field, const char *value, rb_error *err)
{
    char *copy = strdup(value);
    if (!copy) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    free(*field);
    *field = copy;
    return RB_OK;
}

static rb_status set_strategy(rb_run_spec *spec, const char *value, rb_error *err)
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
        return rb_fail(err, RB_ERR_USAGE, "--strategy: unknown strategy '%s'%s (known: %s)", value,
                       rb_nearest_hint(&near), known);
    }
    return set_string(&spec->strategy, value, err);
}

static rb_status set_gas_series(rb_run_spec *spec, const char *value, rb_error *err)
{
    if (*value == '\0') {
        free(spec->gas_series);
        spec->gas_series = NULL;
        return RB_OK;
    }
    return set_string(&spec->gas_series, value, err);
}

/* ---------------------------------------------------------------- the spec */

/* Sweeps set every key of every configuration: the first letters are compared before the
 * whole names, which skips most of the table's strcmp calls. */
static int same_key(const char *a, const char *b) { return a[0] == b[0] && strcmp(a, b) == 0; }

static const setting *find_setting(const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (same_key(settings[i].info.key, key)) return &settings[i];
    return NULL;
}

/* 1 when key is a parameter of some registered strategy. */
static int is_strategy_param(const char *key)
{
    size_t n;
    const rb_strategy *const *all = rb_strategy_all(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < all[i]->info.nparams; j++)
            if (same_key(all[i]->info.params[j].key, key)) return 1;
    return 0;
}

static rb_status set_param(rb_run_spec *spec, const char *key, const char *value, rb_error *err)
{
    for (size_t i = 0; i < spec->nparams; i++)
        if (same_key(spec->params[i].key, key)) return set_string(&spec->params[i].value, value, err);
    rb_kv *grown = realloc(spec->params, (spec->nparams + 1) * sizeof *grown);
    if (!grown) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    spec->params = grown;
    rb_kv *kv = &spec->params[spec->nparams];
    kv->key = strdup(key);
    kv->value = strdup(value);
    if (!kv->key || !kv->value) {
        free(kv->key);
        free(kv->value);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    spec->nparams++;
    return RB_OK;
}

/* "; did you mean band?" for an unknown setting: the nearest run setting or strategy
 * parameter, or "". */
static const char *nearest_setting(rb_nearest *near, const char *key)
{
    rb_nearest_init(near, key);
    for (size_t i = 0; i < NSETTINGS; i++) rb_nearest_offer(near, settings[i].info.key);
    size_t n;
    const rb_strategy *const *all = rb_strategy_all(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < all[i]->info.nparams; j++) rb_nearest_offer(near, all[i]->info.params[j].key);
    return rb_nearest_hint(near);
}

/* A strategy parameter is checked by its strategy when a run starts; a percentage given to
 * one that is not a fraction (--cooldown 5%) is refused here already, with the reason. */
static rb_status set_strategy_param(rb_run_spec *spec, const char *key, const char *value, rb_error *err)
{
    const rb_setting_info *info = rb_setting_find(key);
    double ignored;
    if (info && !info->fraction && parse_number(value, 0, &ignored) == RB_NUMBER_PERCENT)
        return rb_percent_refused(key, value, err);
    return set_param(spec, key, value, err);
}

rb_status rb_run_spec_set(rb_run_spec *spec, const char *key, const char *value, rb_error *err)
{
    const setting *s = find_setting(key);
    if (!s) {
        if (is_strategy_param(key)) return set_strategy_param(spec, key, value, err);
        rb_nearest near;
        return rb_fail(err, RB_ERR_USAGE, "unknown setting '--%s'%s (see 'rebal help run')", key,
                       nearest_setting(&near, key));
    }
    char *base = (char *)spec + s->offset;
    double v;
    rb_number_read_status got;
    switch (s->kind) {
    case K_DOUBLE:
        got = parse_number(value, s->info.fraction, &v);
        if (got == RB_NUMBER_PERCENT) return rb_percent_refused(key, value, err);
        if (got != RB_NUMBER_OK) return rb_fail(err, RB_ERR_USAGE, "--%s: '%s' is not a number", key, value);
        if (check_range(s, v, value, err) != RB_OK) return RB_ERR_USAGE;
        *(double *)base = v;
        return RB_OK;
    case K_INT:
        got = parse_number(value, 0, &v);
        if (got == RB_NUMBER_PERCENT) return rb_percent_refused(key, value, err);
        if (got != RB_NUMBER_OK || v != floor(v))
            return rb_fail(err, RB_ERR_USAGE, "--%s: '%s' is not a whole number", key, value);
        if (check_range(s, v, value, err) != RB_OK) return RB_ERR_USAGE;
        *(int *)base = (int)v;
        return RB_OK;
    case K_ASSET_VALUES:
        return rb_asset_values_parse(s->info.key, value, s->info.fraction, s->lo, s->hi, (rb_asset_values *)base,
                                     err);
    case K_ENUM:
        for (int i = 0; s->names[i]; i++)
            if (s->names[i][0] && strcmp(s->names[i], value) == 0) {
                *(int *)base = i;
                return RB_OK;
            }
        return rb_fail(err, RB_ERR_USAGE, "--%s: '%s' is not one of %s", key, value, s->info.arg);
    case K_CUSTOM:
        return s->custom(spec, value, err);
    }
    return rb_fail(err, RB_ERR_USAGE, "--%s: unsupported setting", key);
}

rb_status rb_run_spec_new(rb_run_spec **out, rb_error *err)
{
    rb_run_spec *spec = calloc(1, sizeof *spec);
    if (!spec) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    /* Defaults come from the table, so the help and the behaviour cannot disagree. */
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (!settings[i].info.def[0]) continue;
        rb_status rc = rb_run_spec_set(spec, settings[i].info.key, settings[i].info.def, err);
        if (rc != RB_OK) {
            rb_run_spec_free(spec);
            return rc;
        }
    }
    *out = spec;
    return RB_OK;
}

void rb_run_spec_free(rb_run_spec *spec)
{
    if (!spec) return;
    free_assets(spec);
    free(spec->strategy);
    for (size_t i = 0; i < spec->nparams; i++) {
        free(spec->params[i].key);
        free(spec->params[i].value);
    }
    free(spec->params);
    rb_asset_values *per_asset[] = {&spec->fee_bps, &spec->fee_min, &spec->fee_fixed, &spec->slippage_bps,
                                    &spec->spread_bps, &spec->impact, &spec->amm_depth, &spec->amm_fee_bps};
    for (size_t i = 0; i < sizeof per_asset / sizeof per_asset[0]; i++) rb_asset_values_clear(per_asset[i]);
    free(spec->gas_series);
    free(spec);
}

const char *rb_spec_param(const rb_run_spec *spec, const char *key)
{
    for (size_t i = 0; i < spec->nparams; i++)
        if (strcmp(spec->params[i].key, key) == 0) return spec->params[i].value;
    return NULL;
}

rb_status rb_spec_check_symbols(const rb_run_spec *spec, rb_error *err)
{
    static const struct {
        const char *key;
        size_t offset;
    } per_asset[] = {
        {"fee-bps", F(fee_bps)},         {"fee-min", F(fee_min)},       {"fee-fixed", F(fee_fixed)},
        {"slippage-bps", F(slippage_bps)}, {"spread-bps", F(spread_bps)}, {"impact", F(impact)},
        {"amm-depth", F(amm_depth)},     {"amm-fee-bps", F(amm_fee_bps)},
    };
    for (size_t k = 0; k < sizeof per_asset / sizeof per_asset[0]; k++) {
        const rb_asset_values *v = (const rb_asset_values *)((const char *)spec + per_asset[k].offset);
        for (size_t i = 0; i < v->n; i++) {
            size_t j = 0;
            while (j < spec->nassets && strcmp(spec->symbols[j], v->symbol[i]) != 0) j++;
            if (j == spec->nassets) {
                rb_nearest near;
                rb_nearest_init(&near, v->symbol[i]);
                for (j = 0; j < spec->nassets; j++) rb_nearest_offer(&near, spec->symbols[j]);
                return rb_fail(err, RB_ERR_USAGE, "--%s: %s is not one of the --assets%s", per_asset[k].key,
                               v->symbol[i], rb_nearest_hint(&near));
            }
        }
    }
    return RB_OK;
}
