/* rebal.h - the public interface of librebal: the price store (SQLite), CSV import and
 * export, the aligned price matrix the engine runs on, and the synthetic data generator.
 * Everything the `rebal` CLI does goes through this header.
 *
 * Conventions: functions that can fail return rb_status and fill a caller-owned rb_error
 * (which may be NULL); out-parameters are written only on success. Every type X has
 * rb_X_free, and rb_X_free(NULL) does nothing. Times are rb_time: seconds since
 * 1970-01-01 00:00:00 UTC; a calendar date is its midnight UTC.
 */
#ifndef RB_REBAL_H
#define RB_REBAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RB_VERSION "0.1.0"

/* ---------------------------------------------------------------- status and errors */

/* Status codes. Values never change; new codes are appended. */
typedef enum rb_status {
    RB_OK = 0,
    RB_ERR_NOMEM = 1,     /* out of memory */
    RB_ERR_IO = 2,        /* a file could not be opened, read or written */
    RB_ERR_USAGE = 3,     /* an argument or option value is invalid */
    RB_ERR_DATA = 4,      /* input data is malformed or fails validation */
    RB_ERR_DB = 5,        /* SQLite reported an error */
    RB_ERR_SCHEMA = 6,    /* not a rebal database, written by a newer version, or corrupt */
    RB_ERR_CONFLICT = 7,  /* imported bars differ from stored ones (see --replace) */
    RB_ERR_NOT_FOUND = 8, /* a symbol or object does not exist */
    RB_STATUS_COUNT
} rb_status;

/* What went wrong, in one line that names the file, line, column, key or option. */
typedef struct rb_error {
    rb_status code;
    char msg[1024];
} rb_error;

/* Static text for a status code ("out of memory", ...); never NULL. */
const char *rb_strerror(rb_status code);

/* The name of names[0..n) to suggest for an unknown word ("did you mean DAX?"): the first
 * equal to word but for letter case, else the first at the smallest edit distance
 * (insertions, deletions, substitutions, swaps of neighbours; case ignored) when that is at
 * most a third of the word's length (at least 1) and below it; NULL when none is close.
 * Names and words over 64 bytes are never close. */
const char *rb_nearest_name(const char *word, const char *const *names, size_t n);

/* ---------------------------------------------------------------- time */

typedef int64_t rb_time; /* seconds since the Unix epoch, UTC */

/* Parses one date or date-time. With fmt NULL it accepts: ISO dates (2000-01-03), ISO
 * date-times with 'T' or ' ' (optionally fractional seconds, 'Z' or +hh:mm / -hhmm offset;
 * converted to UTC), month-name dates ("Jan 1 2000", "1 Jan 2000", "January 1, 2000") and
 * Unix epoch seconds (9-10 digits) or milliseconds (12-13 digits). Anything ambiguous, such
 * as 01/02/2000 or 20000102, is refused and needs fmt, a strptime-style pattern with %Y %y %m
 * %d %e %b %B %H %M %S %z %s %%. Fractional seconds are truncated and epoch milliseconds
 * floored to the second; text dates must fall in the years 1000-9999. Returns RB_ERR_DATA
 * with the reason in err (RB_ERR_USAGE for a malformed fmt). */
rb_status rb_time_parse(const char *text, const char *fmt, rb_time *out, rb_error *err);

/* Writes "YYYY-MM-DD" when t is a midnight, else "YYYY-MM-DDTHH:MM:SSZ". buf needs 32 bytes.
 * Returns buf. */
char *rb_time_format(rb_time t, char buf[32]);

/* ---------------------------------------------------------------- price store */

#define RB_SYMBOL_MAX 64 /* bytes including the terminating NUL */
#define RB_CASH "CASH"   /* reserved: a cash position, price 1, never stored */

typedef struct rb_store rb_store;

enum {
    RB_STORE_READONLY = 1u, /* open an existing database without writing anything */
    RB_STORE_CACHE = 2u     /* with RB_STORE_READONLY: the data stays read-only, but rb_matrix_load
                             * may add the assets it reads to the store's cache of bars (when the
                             * file is writable; otherwise it reads without it) */
};

/* Opens (creating and migrating when writable) the price store at path; ":memory:" gives a
 * private in-memory store. Fails with RB_ERR_SCHEMA, changing nothing, for a file that is
 * not SQLite, is corrupt, belongs to another application, or has a newer schema. */
rb_status rb_store_open(const char *path, unsigned flags, rb_store **out, rb_error *err);
void rb_store_free(rb_store *store);

/* The schema version this library writes (PRAGMA user_version). */
int rb_store_schema_version(void);

typedef struct rb_asset_info {
    char symbol[RB_SYMBOL_MAX];
    rb_time first, last;     /* first and last bar */
    int64_t bars;            /* number of bars */
    rb_time gap_from, gap_to; /* the largest gap between two consecutive bars */
} rb_asset_info;

/* Lists stored assets by symbol. *out is malloc'ed (free()); *n may be 0. */
rb_status rb_store_list_assets(rb_store *store, rb_asset_info **out, size_t *n, rb_error *err);

/* ---------------------------------------------------------------- CSV import */

typedef enum rb_csv_format {
    RB_CSV_AUTO = 0, /* from the header: a symbol column = long; open/high/low = ohlcv; else wide */
    RB_CSV_LONG,     /* symbol,date,price|close[,open,high,low,adjclose,volume] */
    RB_CSV_WIDE,     /* date,SYM1,SYM2,... (closes; empty cell = no bar) */
    RB_CSV_OHLCV     /* date,open,high,low,close[,adjclose],volume for one symbol */
} rb_csv_format;

typedef enum rb_price_field {
    RB_PRICE_CLOSE = 0, /* the close (or price) column */
    RB_PRICE_ADJCLOSE   /* the adjusted close; open/high/low are scaled by adjclose/close */
} rb_price_field;

/* The calendar an undated file's bars are given (rb_import_options.every): bar k (0-based, in
 * file order) gets the k-th time from start, bar 0 = start itself. start's time of day is kept
 * by the day, business-day, week and month calendars. */
typedef enum rb_bar_calendar {
    RB_BARS_DATED = 0,    /* the file has a date column (the default) */
    RB_BARS_MINUTE,       /* start + k minutes */
    RB_BARS_HOUR,         /* start + k hours */
    RB_BARS_DAY,          /* start + k days: every calendar day (24/7 markets) */
    RB_BARS_BUSINESS_DAY, /* Monday to Friday, weekends skipped, no holidays; start a weekday */
    RB_BARS_WEEK,         /* start + 7k days */
    RB_BARS_MONTH         /* k months after start on start's day of the month, or on the
                             month's last day when it is shorter (from 2020-01-31: Feb 29, ...) */
} rb_bar_calendar;

/* What an import accepts (rb_import_files). A price (close or price, open, high, low,
 * adjclose) lies in [RB_PRICE_MIN, RB_PRICE_MAX] unless allow_extreme_prices: within it the
 * engine's products (units = capital / price, units * price, returns and their squares, and
 * their sums over any history) stay far from overflow and underflow. A file has at most
 * RB_IMPORT_MAX_COLUMNS columns (2^21: a wide file of a million symbols fits). */
#define RB_PRICE_MIN 1e-12
#define RB_PRICE_MAX 1e12
#define RB_PRICE_RANGE_TEXT "1e-12 to 1e12" /* the two above, as messages and --help write them */
#define RB_IMPORT_MAX_COLUMNS 2097152

typedef struct rb_import_options {
    rb_csv_format format;
    const char *symbol;      /* the symbol of an OHLCV file (required for that format) */
    rb_price_field price;
    char delimiter;          /* 0: detect from the header among ',' ';' and tab */
    const char *date_format; /* NULL: detect (see rb_time_parse) */
    int replace;             /* 1: stored bars that differ are overwritten instead of refused */
    char decimal;            /* the decimal mark of prices and volumes: 0 or '.' (default), or
                                ',' (1234,56; the delimiter must then be ';' or tab). No
                                thousands separator is accepted with either. */
    /* Undated files: with start (a date or date-time as rb_time_parse detects it) and every
     * (both or neither), every file has no date column and bar k of each file is the k-th time
     * of the calendar from start. A wide or OHLCV file only (one row per bar); its first
     * column may be the bar numbers (header empty, bar, index or idx), which must count up by
     * one from 0 or 1. A file with a date column, a long file, or date_format is refused. */
    const char *start;
    rb_bar_calendar every;
    int allow_extreme_prices; /* 1: prices outside [RB_PRICE_MIN, RB_PRICE_MAX] are accepted
                                 (positive and finite still); a run whose arithmetic then
                                 overflows fails with RB_ERR_DATA */
} rb_import_options;

typedef struct rb_import_stats {
    size_t files;
    size_t rows;           /* data rows read */
    size_t bars_added;     /* new bars stored */
    size_t bars_unchanged; /* bars already stored with the same values */
    size_t bars_replaced;  /* stored bars overwritten (with replace) */
    size_t assets_added;
} rb_import_stats;

void rb_import_options_init(rb_import_options *opt);

/* Imports CSV files in one transaction: all or nothing. Any invalid row (named as
 * file:line, column and reason in err) or conflict with a stored bar leaves the store
 * exactly as it was. Importing the same data twice changes nothing. */
rb_status rb_import_files(rb_store *store, const char *const *paths, size_t npaths,
                          const rb_import_options *opt, rb_import_stats *stats, rb_error *err);

/* Bars given as arrays rather than a file (what the Python package's DataFrames become): a
 * wide table of closes, one column per symbol, close[t * row_stride + i * col_stride] the
 * close of symbols[i] on bar t (row-major: row_stride = nsymbols, col_stride = 1; column-major:
 * row_stride = 1, col_stride = nbars). NaN is no bar. Validated as a wide CSV file is:
 * symbols valid and distinct, times strictly increasing, prices positive, finite and within
 * [RB_PRICE_MIN, RB_PRICE_MAX] unless opt->allow_extreme_prices; errors name the table, the
 * row (1-based), its time and the column. Written like rb_import_files: one transaction,
 * a stored bar that differs refused unless opt->replace, the same data twice changes nothing.
 * Only those two options apply (opt may be NULL). */
typedef struct rb_import_table {
    const char *name;            /* how messages and the imports table name it (NULL: "table") */
    const char *const *symbols;
    size_t nsymbols;
    const rb_time *time;         /* nbars times */
    size_t nbars;
    const double *close;
    size_t row_stride, col_stride; /* in doubles */
} rb_import_table;

rb_status rb_import_arrays(rb_store *store, const rb_import_table *table, const rb_import_options *opt,
                           rb_import_stats *stats, rb_error *err);

/* ---------------------------------------------------------------- dated series */

/* Gas prices, pool depths, funding rates, benchmarks stored beside the prices. */
#include "rebal_series.h"

/* ---------------------------------------------------------------- CSV export */

typedef enum rb_export_format {
    RB_EXPORT_LONG = 0, /* symbol,date,open,high,low,close,volume: every stored field */
    RB_EXPORT_WIDE      /* date,SYM1,SYM2,...: closes, empty where a symbol has no bar */
} rb_export_format;

/* Writes the named symbols (all stored symbols when nsymbols is 0) as RFC 4180 CSV that
 * re-imports to the same data. */
rb_status rb_export_csv(rb_store *store, const char *const *symbols, size_t nsymbols,
                        rb_export_format format, FILE *out, rb_error *err);

/* ---------------------------------------------------------------- price matrix */

/* Calendar flags of a bar. RB_NEW_x: first bar of a new week (ISO, Monday-based), month,
 * quarter, half-year or year (bar 0 carries all of them). RB_LAST_x: the next bar starts a
 * new period (the final bar carries none: the data does not say). */
enum rb_bar_flag {
    RB_NEW_WEEK = 1u << 0,
    RB_NEW_MONTH = 1u << 1,
    RB_NEW_QUARTER = 1u << 2,
    RB_NEW_HALF = 1u << 3,
    RB_NEW_YEAR = 1u << 4,
    RB_LAST_WEEK = 1u << 5,
    RB_LAST_MONTH = 1u << 6,
    RB_LAST_QUARTER = 1u << 7,
    RB_LAST_HALF = 1u << 8,
    RB_LAST_YEAR = 1u << 9
};

typedef enum rb_align {
    RB_ALIGN_UNION = 0, /* every date any asset trades; gaps forward-filled up to max_gap */
    RB_ALIGN_INTERSECT  /* only dates on which every asset trades */
} rb_align;

typedef struct rb_load_options {
    const char *const *symbols; /* assets in column order; "CASH" is the cash position */
    size_t nsymbols;
    int has_start;     /* 0: start at the latest first date among the assets ("auto") */
    rb_time start;     /* with has_start: every asset must have data on or before it */
    int has_end;       /* 0: end at the earliest last date among the assets */
    rb_time end;
    rb_align align;
    int max_gap;       /* union: most consecutive bars one asset may be forward-filled */
    double cash_rate;  /* CASH yield per year, a fraction (0.02 = 2 %), compounded by time */
    double periods_per_year; /* 0: infer from the bars (rb_infer_periods_per_year) */
} rb_load_options;

/* The dense T x N matrix the engine replays. Row-major by bar: x[t * N + i]. */
typedef struct rb_matrix {
    size_t T, N;
    char **symbols;          /* N symbols in column order */
    rb_time *time;           /* T strictly increasing bar times */
    double *close;           /* T*N closes (CASH: its accumulated value of 1) */
    double *open;            /* T*N opens; the close where an asset has no open */
    double *volume;          /* T*N volumes; NaN where unknown */
    double *growth;          /* T*N close[t] / close[t-1]; row 0 is all 1 */
    uint8_t *filled;         /* T*N: 1 where the bar was forward-filled */
    uint8_t *has_open;       /* N: 1 when every real bar of the asset has a stored open (CASH: 1);
                                0 for close-only data, where open holds the close and --exec
                                next-open fills at the next close. NULL: every asset has opens */
    uint16_t *flags;         /* T calendar flags (enum rb_bar_flag) */
    int has_volume;          /* 1 when every non-cash asset has volume on every real bar */
    double periods_per_year;
    char periods_source[160]; /* how periods_per_year was set or inferred, for reports */
    int periods_inferred;    /* 1: periods_per_year was inferred from the bar times (metrics then
                                refuse absurd calendars); 0: set by the caller */
    void *block;             /* rb_matrix_load's one allocation holding time .. flags (on huge
                                pages), block_bytes long; NULL: each array is malloc'ed alone */
    size_t block_bytes;
} rb_matrix;

void rb_load_options_init(rb_load_options *opt);
rb_status rb_matrix_load(rb_store *store, const rb_load_options *opt, rb_matrix **out, rb_error *err);
void rb_matrix_free(rb_matrix *m);

/* Infers periods per year from bar times (n >= 2, increasing) as the bars per calendar year
 * the data shows (docs/metrics.md, "Periods per year"):
 * - spanning two whole calendar years or more: the mean number of bars in each whole year,
 *   a year being whole when the data begins on or before its 7 January and ends on or after
 *   its 25 December (a file starting 2000-01-03 covers 2000);
 * - spanning a year (365 days) or more but under two whole years: bar intervals per year of
 *   elapsed time, (n - 1) / (span / 365.25 days);
 * - spanning under a year, too short to show a year's holidays: the median spacing and the
 *   conventions (daily with no weekend bars 252, daily with weekend bars 365, weekly 52,
 *   monthly 12, quarterly 4, half-yearly 2, yearly 1, else 365.25 days / median spacing).
 * An observed figure within 1 % of 252, 365, 52, 12, 4, 2 or 1 snaps to it; any other is kept
 * (about 261 for holiday-free business days, 8766 for 24/7 hourly bars). Writes what was
 * measured into why (may be NULL), e.g. "261.0 bars per year observed, 1991-2020" or "251.6
 * bars per year observed, 2000-2019 -> 252". Returns 0 for n < 2 or times not increasing.
 * The metrics refuse an inferred figure over 400,000 or data spanning under a day. */
double rb_infer_periods_per_year(const rb_time *time, size_t n, char *why, size_t whylen);

/* ---------------------------------------------------------------- engine: costs, taxes, runs */

/* Cost parameters of one asset, all >= 0 (docs/engine.md, "Costs of one order"). */
typedef struct rb_asset_costs {
    double fee_bps;      /* commission, basis points of traded value */
    double fee_min;      /* minimum commission per order (quote currency) */
    double fee_fixed;    /* commission per order on top (quote currency) */
    double slippage_bps; /* fixed slippage, bps of traded value */
    double spread_bps;   /* full quoted bid-ask spread in bps; an order pays half */
    double impact_k;     /* square-root impact coefficient K; 0 = off */
    double amm_depth;    /* quote-side reserve of a constant-product pool; 0 = no pool */
    double amm_fee_bps;  /* pool fee on the input amount, bps */
    /* Concentrated liquidity (a Uniswap-v3 style position): the pool's range as multiples of
     * the price it is centred on, 0 < low < 1 < high; both 0 = the full range (x*y=k). Act
     * only with a pool. */
    double amm_range_low, amm_range_high;
} rb_asset_costs;

typedef enum rb_exec {
    RB_EXEC_CLOSE = 0, /* trade at the close of the bar that decides */
    RB_EXEC_NEXT_OPEN  /* trade at the next bar's open */
} rb_exec;

typedef enum rb_lot_method { RB_LOTS_FIFO = 0, RB_LOTS_LIFO, RB_LOTS_HIFO, RB_LOTS_AVG } rb_lot_method;

typedef enum rb_period {
    RB_PERIOD_NONE = 0,
    RB_PERIOD_DAY,
    RB_PERIOD_WEEK,
    RB_PERIOD_MONTH,
    RB_PERIOD_QUARTER,
    RB_PERIOD_HALF,
    RB_PERIOD_YEAR,
    RB_PERIOD_BARS /* every N bars */
} rb_period;

typedef enum rb_flow_mode {
    RB_FLOWS_TARGET = 0, /* contributions buy every asset at its target weight */
    RB_FLOWS_REBALANCE   /* contributions buy the most underweight assets first */
} rb_flow_mode;

/* The metrics of one run (docs/engine.md, "Metrics"). NaN where a ratio is undefined. */
typedef struct rb_metrics {
    double final_value, total_return, cagr, ann_vol, sharpe, sortino, max_drawdown, calmar;
    double rebalances, turnover, turnover_2way;
    double fees_paid, slippage_paid, gas_paid, taxes_paid, after_tax_value;
    double avg_drift, tracking_error, rebalancing_bonus;
    /* the perpetual-futures overlay (--overlay perp; 0 without one) */
    double funding_paid, perp_fees_paid, liquidations, liquidation_cost;
    double overlay_notional_avg, overlay_notional_peak, tax_deferred;
    /* against the benchmark (--benchmark; NaN without one), the risk of the returns, the
     * drawdowns' durations, tail losses, after-tax and money-weighted rates (docs/metrics.md);
     * var_* , cvar_* and irr come from the whole series: `rebal run` and kept runs only */
    double beta, alpha, information_ratio, up_capture, down_capture;
    double skewness, kurtosis, ulcer_index;
    double dd_longest_bars, dd_longest_days, dd_current_bars, dd_current_days, recovery_bars, recovery_days;
    double var_95, cvar_95, var_99, cvar_99;
    double after_tax_cagr, irr;
    rb_time max_drawdown_peak, max_drawdown_trough;
    /* 1 when a withdrawal emptied the portfolio: the run ends on that bar, depleted_on
     * (= end), and every metric is over the bars up to it. */
    int64_t depleted;
    rb_time depleted_on;
    size_t bars;
    rb_time start, end;
    double periods_per_year;
    char periods_source[160];
    double rf;
    char exec_note[192]; /* "" or how --exec next-open filled on close-only data, e.g. "next-open on
                            close-only data: SPX has no open price, so its orders fill at the next
                            bar's close" (a convention of the run, stated with periods_source) */
} rb_metrics;

/* One double-valued metric: its name (the JSON key and results column), unit and definition. */
typedef struct rb_metric_info {
    const char *name;
    const char *unit;       /* "USD", "fraction", "ratio", "count", "per year" */
    const char *definition; /* one line, as in 'rebal help metrics' */
    size_t offset;          /* offsetof(rb_metrics, name) */
    int whole_series;       /* 1: computed from the run's whole series (`rebal run`, a sweep's kept
                               runs); a sweep's other rows hold NaN (NULL) for it */
} rb_metric_info;

/* The double-valued metrics in report order; *n gets their count. */
const rb_metric_info *rb_metric_table(size_t *n);

/* ---------------------------------------------------------------- runs */

/* The type of a setting's values. */
typedef enum rb_value_type {
    RB_VALUE_NUMBER = 0, /* a number in [lo, hi] (a fraction when `fraction` is set) */
    RB_VALUE_WHOLE,      /* a whole number in [lo, hi] */
    RB_VALUE_WORD,       /* one word of a list (`words`) */
    RB_VALUE_PER_ASSET,  /* a number in [lo, hi] for every asset and/or per symbol: "5,BTC=10" */
    RB_VALUE_FLAG,       /* 1 or 0; on the command line written without a value */
    RB_VALUE_OTHER       /* read by its own rule (`read`): dates, the assets, a name, a period */
} rb_value_type;

/* What a setting's value names outside the sweep file, whose content a sweep's identity
 * covers: nothing, a file path (targets-csv, when, venues), a stored series' or asset's name
 * (gas-series, benchmark), or SYM=SERIES,... (amm-depth-series, funding-series). */
typedef enum rb_input_kind { RB_INPUT_NONE = 0, RB_INPUT_FILE, RB_INPUT_SERIES, RB_INPUT_SERIES_PER_ASSET } rb_input_kind;

/* One setting of a run, as `rebal run` flags and sweep files spell it: the key is the flag
 * name without "--" ("fee-bps"), the group says where it belongs ("data", "portfolio",
 * "strategy", "costs", "tax", "flows", "metrics"). Every run setting and every strategy
 * parameter is declared once as such a row; options, --help, sweep-file keys, validation
 * and the results store's column types all come from the rows. */
typedef struct rb_setting_info {
    const char *key;
    const char *arg;   /* how the value is written, e.g. "BPS|SYM=BPS,..." */
    const char *def;   /* the default, as text ("" when there is none) */
    const char *group;
    const char *help;  /* one line */
    int fraction;      /* 1: its numbers are fractions (weights, bands, rates), which may also be
                          written as percentages: "25%" is 0.25 */
    rb_value_type type;
    double lo, hi;             /* NUMBER, WHOLE, PER_ASSET: the allowed range, inclusive */
    const char *const *words;  /* WORD: the accepted words, NULL-terminated; a value is its
                                  index ("" holds an index no one may write) */
    /* Library-internal: where the parsed value lives (offset and size in the run settings,
     * or in a strategy's parameters for group "strategy" rows a strategy declares), and the
     * reader of RB_VALUE_OTHER values (field: that place; a replaced value is released). */
    size_t offset, size;
    rb_status (*read)(const char *key, const char *text, void *field, rb_error *err);
    rb_input_kind input; /* what the value names outside the sweep file, if anything */
} rb_setting_info;

/* 1 when the setting's values are numbers (NUMBER, WHOLE, PER_ASSET, FLAG): the results
 * store keeps them in REAL columns; words and other texts in TEXT columns. */
int rb_setting_is_numeric(const rb_setting_info *s);

/* The run settings in help order (strategy parameters excluded): their count, and each
 * one (NULL past the end). */
size_t rb_setting_count(void);
const rb_setting_info *rb_setting_at(size_t i);

/* A rebalancing rule and its parameters. */
typedef struct rb_strategy_info {
    const char *name;
    const char *summary;
    const rb_setting_info *params; /* group "strategy" */
    size_t nparams;
} rb_strategy_info;

/* The registered strategies: their count, and each one's name, summary and parameters
 * (NULL past the end). */
size_t rb_strategy_count(void);
const rb_strategy_info *rb_strategy_at(size_t i);

/* A run specification, built from settings as text. */
typedef struct rb_run_spec rb_run_spec;

rb_status rb_run_spec_new(rb_run_spec **out, rb_error *err);
void rb_run_spec_free(rb_run_spec *spec);

/* Sets one setting (a run setting or a parameter of some strategy) from text; the value is
 * checked here (errors name the key: "--fee-bps: ..."). A later set of the same key
 * replaces the earlier one. The settings that name a file, "targets-csv" and "when", read
 * it here (an empty value clears them): RB_ERR_IO when it cannot be opened or is no regular
 * file, RB_ERR_DATA for what it holds ("--when: days.csv:7: ..."). */
rb_status rb_run_spec_set(rb_run_spec *spec, const char *key, const char *value, rb_error *err);

/* The schedule of strategy "schedule" from arrays, as `--when FILE.csv` gives it from a
 * file: the n times (strictly increasing; times may be NULL when n is 0) on which the rule
 * rebalances, to the targets in force, and on no other bar. Replaces any `when` set before
 * and sets nothing else (the strategy is set apart, by "strategy"; `when` counts as given,
 * so another strategy refuses it). At run time every time between the run's first and last
 * bar must be one of its bars (else RB_ERR_DATA naming it); times outside them are ignored.
 * Errors: RB_ERR_USAGE ("schedule: the times must increase: ..."), RB_ERR_NOMEM. */
rb_status rb_run_spec_set_schedule(rb_run_spec *spec, const rb_time *times, size_t n, rb_error *err);

/* Target weights over time from arrays, as `--targets-csv FILE.csv` gives them from a file:
 * nsymbols columns (distinct symbols, exactly the run's assets in any order, CASH allowed),
 * nrows >= 1 rows dated times[r] (strictly increasing) of weights[r * nsymbols + j] (row-major,
 * fractions), each row in [0, 1] summing to 1 within 1e-9. The row dated d is in force from
 * the first bar at or after d until the next row: the targets a rebalance trades to and
 * bands are measured against; the row in force at the first bar is the initial allocation
 * (so the first row must be dated on or before it: checked at run time, RB_ERR_DATA naming
 * both dates). "assets" then lists the symbols alone ("SPY,TLT"), without weights; the table
 * does not combine with targets=inverse-vol (RB_ERR_USAGE at run time). Replaces any table
 * set before (a file's too); the arrays are copied. Errors: RB_ERR_USAGE ("targets table:
 * 2020-01-02: the weights sum to 0.9, not 1"), RB_ERR_NOMEM. */
rb_status rb_run_spec_set_target_table(rb_run_spec *spec, const char *const *symbols, size_t nsymbols,
                                       const rb_time *times, size_t nrows, const double *weights, rb_error *err);

/* What a run keeps besides its metrics. */
enum {
    RB_KEEP_CURVE = 1u << 0,  /* value, cash and weights per bar */
    RB_KEEP_TRADES = 1u << 1, /* every order */
    RB_KEEP_LOTS = 1u << 2    /* the tax-lot ledger */
};

typedef struct rb_run_result rb_run_result;

/* Runs the reference simulator: loads the aligned prices the spec names from the store,
 * checks the spec against them (weights, symbols, strategy parameters) and replays it. */
rb_status rb_run(rb_store *store, const rb_run_spec *spec, unsigned keep, rb_run_result **out, rb_error *err);
void rb_run_result_free(rb_run_result *result);

const rb_metrics *rb_run_metrics(const rb_run_result *result);

/* CSV writers (header row, ISO dates, full precision): the equity curve (date, value, cash,
 * flow, drawdown and one weight column per asset), the orders, the lots ledger; and the
 * metrics as one JSON object (metric names as keys, plus bars, start, end,
 * periods_per_year and the conventions). Curve, trades and lots need the RB_KEEP_ flag. */
rb_status rb_run_write_curve(const rb_run_result *result, FILE *out, rb_error *err);
rb_status rb_run_write_trades(const rb_run_result *result, FILE *out, rb_error *err);
rb_status rb_run_write_lots(const rb_run_result *result, FILE *out, rb_error *err);
rb_status rb_run_write_json(const rb_run_result *result, FILE *out, rb_error *err);

/* The period tables (docs/metrics.md, "Period tables"), as CSV, kept by every run: the
 * time-weighted return of each calendar month and year (a row per year: year, Jan..Dec,
 * Year; empty where the run has no return), and the rolling one-year statistics over the
 * last round(P) returns at each bar that ends a whole window (date, return_1y, vol_1y,
 * sharpe_1y). */
rb_status rb_run_write_monthly(const rb_run_result *result, FILE *out, rb_error *err);
rb_status rb_run_write_rolling(const rb_run_result *result, FILE *out, rb_error *err);

/* Says what was run, for rb_run_write_json's "run" object: the settings as given, n KEY,
 * VALUE pairs (settings[2 i], settings[2 i + 1]; the flag name without "--", as `rebal run`
 * and sweep files spell it), copied into the result. The JSON then lists the strategy and
 * every run setting and strategy parameter (given, else its default; numbers as numbers),
 * beside the assets and targets, the data range and the dataset hash it always has. */
rb_status rb_run_describe(rb_run_result *result, const char *const *settings, size_t n, rb_error *err);

/* ---------------------------------------------------------------- sweeps */

/* What a sweep specification costs before it runs (see docs/sweeps.md for the format). */
typedef struct rb_sweep_estimate {
    uint64_t configurations;
    size_t bars, assets;
    double memory_bytes;    /* peak memory the sweep is expected to need */
    double available_bytes; /* physical memory of this machine */
    double seconds;         /* expected time on `threads` threads */
    int threads;
} rb_sweep_estimate;

/* A sweep specification, parsed and checked completely (docs/sweeps.md): every key a run
 * setting or a parameter of its section's strategy, every value read through its row of the
 * settings table; errors name "NAME:LINE: [section] key: what is wrong". Configurations are
 * decoded from their index on demand, never materialized. */
typedef struct rb_sweep rb_sweep;

/* One setting of a configuration (strings belong to the sweep). */
typedef struct rb_sweep_kv {
    const char *key;
    const char *value;
} rb_sweep_kv;

/* The specification in text (name: how messages call it) or in a file. */
rb_status rb_sweep_parse_text(const char *text, const char *name, rb_sweep **out, rb_error *err);
rb_status rb_sweep_parse_file(const char *path, rb_sweep **out, rb_error *err);
void rb_sweep_free(rb_sweep *sweep);

/* Its number of configurations, and every key some configuration sets beyond [data], sorted
 * (the parameter columns of its results). */
uint64_t rb_sweep_count(const rb_sweep *sweep);
size_t rb_sweep_keys(const rb_sweep *sweep, const char *const **keys);

/* A parameter value as the results store keeps it: 1 with *out set when key is a numeric
 * setting (rb_setting_is_numeric) and text one number (a percentage of a fraction: "25%" is
 * 0.25), else 0 (a word, or a per-asset list such as "BTC=10,ETH=20": kept as text). */
int rb_setting_value_number(const char *key, const char *text, double *out);

/* The results store's column of a setting key: fee-bps -> fee_bps, to -> to_mode (len >= 64). */
void rb_results_column_name(const char *key, char *out, size_t len);

/* One configuration's outcome, as rb_sweep_options.on_row receives it. */
typedef struct rb_sweep_row {
    uint64_t index;            /* its position in the specification's order (0-based) */
    int64_t config_id;         /* the stable id the results store keys it by */
    const char *section, *strategy;
    const rb_sweep_kv *params; /* its settings beyond [data], sorted by key */
    size_t nparams;
    const rb_metrics *metrics; /* NULL when it failed */
    const char *error;         /* why it failed; NULL when it ran */
} rb_sweep_row;

/* The results store of a sweep just recorded, still open (rb_sweep_options.on_recorded). */
typedef struct rb_sweep_recorded rb_sweep_recorded;
struct rb_sweep_summary; /* below */

struct rb_oos_options;      /* rebal_oos.h */
struct rb_resample_spec;    /* rebal_resample.h */

typedef struct rb_sweep_options {
    const char *results;          /* results store path (created if absent) */
    int threads;                  /* 0: every core */
    int resume;                   /* continue the latest unfinished sweep of this spec and data */
    int force;                    /* record a new sweep even when the store holds this one, done
                                     (same file, same data, same rebal version): without it,
                                     nothing is run and rb_sweep_summary.already names it */
    volatile int *stop;           /* when it becomes non-zero no new block of work starts */
    volatile uint64_t *done;      /* configurations finished so far, for progress (may be NULL) */
    /* Called once the work is known, before it starts (may be NULL). */
    void (*on_start)(void *ctx, uint64_t configurations, uint64_t to_run, int resumed, int threads);
    void *ctx;
    /* Curves, orders and lots are kept only for the configurations selected here (NULL:
     * none): "best:N" or "best:N:METRIC" (the N best of the sweep by METRIC, default
     * after_tax_value), or "ID,ID,..." (config ids). They are replayed by the reference
     * simulator once the sweep is complete and written to keep_dir as NAME.curve.csv,
     * NAME.trades.csv, NAME.lots.csv and NAME.json (NAME: the section and its parameters,
     * shortened, then the config id). */
    const char *keep;
    const char *keep_dir;
    /* Called once the sweep is recorded (after keep) and before its results store closes,
     * with the summary rb_sweep_run then gives (may be NULL). rb_runs_print_recorded shows its
     * runs from there without opening the file again. A status other than RB_OK (err
     * filled) becomes rb_sweep_run's. */
    rb_status (*on_recorded)(void *ctx, const struct rb_sweep_summary *sum, const rb_sweep_recorded *rec,
                             rb_error *err);
    /* Called once before any configuration runs with the parameter keys (rb_sweep_keys) and
     * the number of configurations (may be NULL). A status other than RB_OK stops the sweep. */
    rb_status (*on_keys)(void *ctx, const char *const *keys, size_t nkeys, uint64_t configurations, rb_error *err);
    /* Called for every configuration run, from the worker threads, concurrently (so it must
     * be thread-safe; a different row.index each time), besides any results store (may be
     * NULL). With on_row, results may be NULL: the rows go nowhere else (no resume, no keep).
     * A status other than RB_OK stops the sweep with that error. */
    rb_status (*on_row)(void *ctx, const rb_sweep_row *row, rb_error *err);
    /* When set (walk_forward or split), the out-of-sample test of the sweep, once it is
     * complete, stored beside it in the results store (rb_oos_read reads it back). */
    const struct rb_oos_options *oos;
    /* Set: once the sweep is complete, every configuration runs on each resampled history and
     * the distributions are stored (rb_resample_read), before on_recorded. */
    const struct rb_resample_spec *resample;
    /* Set when the caller reads no more prices from the store soon (it closes it after the
     * sweep): the map of the store's file is given back as soon as the batch has run, while
     * the results' last rows are written, rather than at the store's close (a command's
     * 0.2 ms). A later load of prices maps the file again; a caller that sweeps again on the
     * same store leaves it 0 and keeps the map. */
    int release_prices;
} rb_sweep_options;

typedef struct rb_sweep_summary {
    uint64_t configurations; /* in the specification (distinct) */
    uint64_t ran;            /* run by this call */
    uint64_t skipped;        /* already stored (resume) */
    int interrupted;         /* stop was set: the rest can be resumed */
    double seconds;
    size_t kept;             /* configurations whose curves, orders and lots were written */
    char exec_note[192];     /* rb_metrics.exec_note of the configurations run ("" when none has
                                one): --exec next-open on close-only data */
    uint64_t failed;         /* configurations of the sweep that failed (an order larger than its
                                AMM pool, ...): stored with status 'failed' and their message,
                                those of an earlier call of a resumed sweep included */
    char failure[512];       /* the first failure of this call, "config ID [SECTION]: MESSAGE"
                                ("" when none) */
    int64_t already;         /* not 0: the store already held this sweep, complete (its id):
                                nothing was run (rb_sweep_options.force runs it again) */
    int64_t sweep_id;        /* this sweep's id in the results store: the one this call recorded
                                or continued, or `already`. What its summary, report and
                                --keep best:N are of: another sweep may have been recorded into
                                the same store meanwhile, so it is not the latest one */
    char already_at[32];     /* when that sweep finished (ISO 8601 UTC) */
    int64_t oos_id;          /* rb_sweep_options.oos: its test's id in the results store (0: none) */
    int oos_found;           /* 1: the store held that test of this sweep already: not run again */
    double resample_seconds; /* rb_sweep_options.resample: the time the histories took (0: none) */
} rb_sweep_summary;

/* Estimates the sweep in spec_path over the prices it names (memory, time class). */
rb_status rb_sweep_plan(rb_store *prices, const char *spec_path, int threads, rb_sweep_estimate *out, rb_error *err);

/* Runs every configuration of the sweep in spec_path with the batch simulator and stores
 * one row per configuration in opt->results: its metrics, or, for a configuration that
 * fails, its status 'failed' and message (the others go on; out->failed counts them).
 * Refuses, running nothing, a sweep that would need more memory than the machine has. */
rb_status rb_sweep_run(rb_store *prices, const char *spec_path, const rb_sweep_options *opt, rb_sweep_summary *out,
                       rb_error *err);

/* rb_sweep_run for a specification parsed already (name: how messages call it; NULL:
 * "sweep"). The sweep stays the caller's. */
rb_status rb_sweep_run_parsed(rb_store *prices, const rb_sweep *sweep, const char *name, const rb_sweep_options *opt,
                              rb_sweep_summary *out, rb_error *err);

/* The best runs of a results store, as a table, CSV or JSON (rebal runs). The table ranks the
 * runs that ran and lists those that failed, with their messages, under it; a condition on
 * status or error ("status = failed") selects rows like any other; CSV and JSON have every
 * row selected, in rank order. */
typedef struct rb_runs_query {
    int64_t sweep_id;          /* 0: the latest sweep */
    size_t top;                /* 0: every run */
    const char *by;            /* metric (default after_tax_value) */
    const char *const *where;  /* conditions (all must hold): comparisons KEY OP VALUE, KEY in
                                  (...), KEY is [not] null, joined by and, or, not, (...) */
    size_t nwhere;
    int csv;                   /* every column as CSV */
    int json;                  /* every column as a JSON array of objects (not with csv) */
} rb_runs_query;

rb_status rb_runs_print(const char *results_path, const rb_runs_query *q, FILE *out, rb_error *err);
/* The same, on the results store of a sweep just recorded (rb_sweep_options.on_recorded);
 * q->sweep_id 0 is the sweep recorded (not the latest, which may be another's). */
rb_status rb_runs_print_recorded(const rb_sweep_recorded *rec, const rb_runs_query *q, FILE *out,
                                 rb_error *err);

/* ---------------------------------------------------------------- reports */

/* What a report shows (docs/reports.md). Zeroed options give the defaults. */
typedef struct rb_report_options {
    const char *out_dir;   /* the report directory (created when absent; files in it are replaced) */
    const char *title;     /* NULL: "rebal report: ASSETS" */
    const char *by;        /* the ranking metric; NULL: after_tax_value */
    size_t top;            /* configurations per family in the page's table; 0: 5 */
    /* The cost, tax and flow settings the comparisons use, "KEY=VALUE;KEY=VALUE" (per-asset
     * values keep their commas: "fee-bps=BTC=10,ETH=20"), when a sweep varies them; NULL: those
     * of the best configuration. */
    const char *scenario;
    /* The heatmap: "X,Y" or "X,Y,METRIC", two parameters of one family (METRIC may be any
     * metric or "excess", the after-tax value minus buy-and-hold's at the same costs); NULL:
     * chosen from the sweep (a strategy parameter against a cost setting when one varies). */
    const char *heatmap;
    int64_t weights_id;    /* the configuration whose weights chart 3 shows; 0: the best */
    int64_t sweep_id;      /* rb_report_sweep: the sweep of the results store; 0: the latest */
    int no_charts;         /* 1: no charts (no data, scripts or gnuplot); the CSV files and the page */
    FILE *ranking;         /* when set: a short table there, buy-and-hold, every bar and each family's
                              best ranked by the metric, with the excess over buy-and-hold */
} rb_report_options;

typedef struct rb_report_summary {
    uint64_t configurations; /* rows of summary.csv */
    size_t charts_drawn;     /* of charts_total */
    char missing[256];       /* charts not drawn because gnuplot is missing ("" when none) */
    char failed[512];        /* charts gnuplot failed to draw, with its message ("" when none) */
    char best[256];          /* the best configuration (its family and parameters) */
    uint64_t failed_configurations; /* configurations of the sweep that failed: listed in failed.csv,
                                       not ranked */
    size_t charts_total;     /* the charts a report draws: 9, 2 more for each of an oos test, a resample */
} rb_report_summary;

/* The report of a sweep in a results store: summary.csv (every configuration), equity curves,
 * orders, realized gains and annual returns of buy-and-hold, every-bar rebalancing and the best
 * configuration of each family (replayed by the reference simulator from the prices in
 * `prices`, which must be the data the sweep ran on), conventions.txt, the charts (gnuplot)
 * and index.html. Charts gnuplot could not draw are listed in the summary, not an error. */
rb_status rb_report_sweep(rb_store *prices, const char *results_path, const rb_report_options *opt,
                          rb_report_summary *out, rb_error *err);

/* The report of one run, given as its settings (key, value, key, value, ...: 2 * n strings,
 * as rb_run_spec_set takes them), against buy-and-hold and every-bar rebalancing under the
 * same data, costs and taxes. */
rb_status rb_report_run(rb_store *prices, const char *const *settings, size_t n, const rb_report_options *opt,
                        rb_report_summary *out, rb_error *err);

/* ---------------------------------------------------------------- synthetic data */

typedef struct rb_synth_options {
    const char *preset; /* "crypto": BTC-, ETH-, SOL-like coins and the USDS stablecoin */
    uint64_t seed;
    rb_time start;      /* first bar (a midnight UTC) */
    int days;           /* number of daily bars, 24/7 */
    const char *series; /* NULL: the prices; else one series of the preset's market, as
                           date,value CSV for rb_series_import_file: "gas" (USD per
                           transaction; spikes in storms and on large moves) or "depth-SYM"
                           (SYM's pool depth in USD; shrinks as SYM's volatility rises) */
} rb_synth_options;

void rb_synth_options_init(rb_synth_options *opt);

/* Writes a deterministic synthetic history as long-format CSV
 * (symbol,date,open,high,low,close,volume), or the series opt->series as date,value: same
 * options, same bytes; the prices do not depend on the series. */
rb_status rb_synth_write(const rb_synth_options *opt, FILE *out, rb_error *err);

#ifdef __cplusplus
}
#endif

/* Out-of-sample tests of a sweep (--walk-forward, --split). */
#include "rebal_oos.h"
/* Resampled histories of a sweep (--resample). */
#include "rebal_resample.h"

#endif /* RB_REBAL_H */
