/* cmd_import.c - `rebal import`: CSV files into the price store, all or nothing. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char help_text[] =
    "Usage: rebal import [OPTIONS] FILE...\n"
    "       rebal import --series NAME [--db PATH] [--replace] [-q] FILE\n"
    "\n"
    "Loads CSV price histories into the price store in one transaction: every row of every\n"
    "FILE is validated first, and any error leaves the store exactly as it was. Importing the\n"
    "same data again changes nothing.\n"
    "\n"
    "Options:\n"
    "  --db PATH          price store (default: $REBAL_DB, else ./rebal.db; created if absent)\n"
    "  --format FORMAT    auto (default), long, wide or ohlcv\n"
    "  --symbol SYM       the symbol an OHLCV file holds (required for that format)\n"
    "  --price FIELD      close (default) or adjclose: which column is the price; with\n"
    "                     adjclose, open/high/low are scaled by adjclose/close\n"
    "  --delimiter C      ',', ';' or 'tab' (default: detected from the header)\n"
    "  --decimal C        the decimal mark of prices and volumes: '.' (default) or ','\n"
    "                     (1234,56; needs ';' or tab between fields). No thousands\n"
    "                     separator is accepted: 1.234,56 is refused\n"
    "  --date-format FMT  pattern for dates that are otherwise ambiguous, e.g. %d/%m/%Y;\n"
    "                     %Y %y %m %d %e %b %B %H %M %S %z %s %% and literal characters\n"
    "  --start DATE       a file without dates: the date (or date-time) of its first bar\n"
    "  --every CALENDAR   ... and the calendar of the next ones: day, business-day, week,\n"
    "                     month, hour or minute (see Files without dates below)\n"
    "  --replace          overwrite stored bars whose values differ (default: refuse them)\n"
    "  --allow-extreme-prices\n"
    "                     accept prices outside 1e-12 to 1e12 (default: refuse them); a run\n"
    "                     whose arithmetic then overflows fails (exit 1), a sweep records\n"
    "                     the configurations that do as failed\n"
    "  --series NAME      FILE is one dated series, not prices: date,value rows (a header\n"
    "                     allowed), stored as the series NAME (see 'rebal series');\n"
    "                     only --db, --replace and --quiet apply\n"
    "  -q, --quiet        print nothing on success\n"
    "  -h, --help         show this help\n"
    "\n"
    "Formats (detected from the header, names case-insensitive):\n"
    "  long   symbol,date,price  (or close; open, high, low, adjclose, volume optional)\n"
    "  wide   date,SYM1,SYM2,... closes, an empty cell meaning no bar that date\n"
    "  ohlcv  date,open,high,low,close[,adjclose][,volume] for one --symbol\n"
    "A UTF-8 BOM, CRLF line ends, quoted fields and ',' ';' or tab delimiters are handled.\n"
    "\n"
    "Dates: 2000-01-03, 2000-01-03T12:30:00Z (or a space, an offset like +02:00: stored as\n"
    "UTC), Jan 1 2000, 1 Jan 2000, Unix epoch seconds (9-10 digits) or milliseconds (12-13).\n"
    "Ambiguous dates such as 01/02/2000 or 20000102 need --date-format.\n"
    "\n"    "Files without dates (a wide or OHLCV file with no date column): --start DATE --every\n"
    "CALENDAR gives data row k (the first is 0) the k-th time of the calendar from DATE:\n"
    "day = every calendar day; business-day = Monday to Friday (weekends skipped, no\n"
    "holidays; DATE a weekday); week = 7 days; month = the same day of the month, or the\n"
    "month's last day when it is shorter (from 2020-01-31: Feb 29, Mar 31, Apr 30, ...);\n"
    "hour; minute. A first column named bar, index or idx, or with an empty name, holds bar\n"
    "numbers: they must count up by one from 0 or 1. A file with a date column, a long file\n"
    "and --date-format are refused.\n"
    "\n"
    "Refused, naming FILE:LINE and the column: a wrong number of fields, a date that does not\n"
    "parse, a price that is not a positive finite number, a price outside 1e-12 to 1e12 (where\n"
    "a run's products cannot overflow; see --allow-extreme-prices), high below low, a negative\n"
    "volume, the same symbol and date twice with different values, the reserved symbol CASH,\n"
    "a symbol that is not UTF-8 or holds a control character (C0, DEL or C1: a terminal could\n"
    "act on it; the message shows its bytes as \\xHH), a symbol holding ',', '=', a double\n"
    "quote or a blank (--assets SYM=W,... and sweep files could never name it: rename it,\n"
    "e.g. S&P_500), and a header of more than 2097152 columns (checked as it is read: a long\n"
    "or OHLCV file fails at its first unknown column). A bar already stored with other values\n"
    "is a conflict unless --replace.\n"
    "\n"
    "Series (--series NAME): a gas price, a pool's depth, a funding rate, a benchmark. The\n"
    "file has two columns, date,value: dates as above (no --date-format), strictly\n"
    "increasing; values plain finite numbers (negative ones allowed: a funding rate).\n"
    "NAME follows the rules of a symbol. Refused like prices, naming FILE:LINE: a wrong\n"
    "number of fields, a date that does not parse or does not increase, a value that is no\n"
    "number; a stored point with another value is a conflict unless --replace. All or\n"
    "nothing; importing the same file again changes nothing.\n"
    "\n"
    "Examples:\n"
    "  rebal import prices.csv\n"
    "  rebal import --series gas gas_usd.csv\n"
    "  rebal import --symbol SPX sp500_daily.csv\n"    "  rebal import --start 2000-01-03 --every business-day bars.csv  # bar,A0,A1,...\n"
    "  rebal import --delimiter ';' --decimal , --date-format %d.%m.%Y quotes.csv\n";

static int parse_delimiter(const char *text, char *out)
{
    if (strcmp(text, "tab") == 0 || strcmp(text, "\\t") == 0 || strcmp(text, "\t") == 0) *out = '\t';
    else if (strcmp(text, ",") == 0 || strcmp(text, ";") == 0) *out = text[0];
    else return 0;
    return 1;
}

static int parse_calendar(const char *text, rb_bar_calendar *out)
{
    static const struct {
        const char *name;
        rb_bar_calendar every;
    } calendars[] = {
        {"day", RB_BARS_DAY},   {"business-day", RB_BARS_BUSINESS_DAY}, {"week", RB_BARS_WEEK},
        {"month", RB_BARS_MONTH}, {"hour", RB_BARS_HOUR},               {"minute", RB_BARS_MINUTE},
    };
    for (size_t i = 0; i < sizeof calendars / sizeof calendars[0]; i++)
        if (strcmp(text, calendars[i].name) == 0) {
            *out = calendars[i].every;
            return 1;
        }
    return 0;
}

/* rebal import --series NAME FILE. */
static int import_series(const char *path, const char *name, const char *file, int replace, int quiet)
{
    rb_error err = {0};
    rb_store *store = NULL;
    if (rb_store_open(path, 0, &store, &err) != RB_OK) return cli_report(&err);
    rb_series_stats stats = {0};
    rb_status rc = rb_series_import_file(store, name, file, replace, &stats, &err);
    rb_store_free(store);
    if (rc != RB_OK) return cli_report(&err);
    if (!quiet)
        printf("imported %zu rows of series %s from %s into %s: %zu points added, %zu unchanged, %zu replaced%s\n",
               stats.rows, name, file, path, stats.added, stats.unchanged, stats.replaced,
               stats.created ? " (new series)" : "");
    return CLI_OK;
}

static int run(int argc, char **argv)
{
    enum {
        OPT_DB = 256,
        OPT_FORMAT,
        OPT_SYMBOL,
        OPT_PRICE,
        OPT_DELIM,
        OPT_DECIMAL,
        OPT_DATEFMT,
        OPT_START,
        OPT_EVERY,
        OPT_REPLACE,
        OPT_EXTREME,
        OPT_SERIES
    };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"symbol", required_argument, NULL, OPT_SYMBOL},
        {"price", required_argument, NULL, OPT_PRICE},
        {"delimiter", required_argument, NULL, OPT_DELIM},
        {"decimal", required_argument, NULL, OPT_DECIMAL},
        {"date-format", required_argument, NULL, OPT_DATEFMT},
        {"start", required_argument, NULL, OPT_START},
        {"every", required_argument, NULL, OPT_EVERY},
        {"replace", no_argument, NULL, OPT_REPLACE},
        {"allow-extreme-prices", no_argument, NULL, OPT_EXTREME},
        {"series", required_argument, NULL, OPT_SERIES},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    rb_import_options opt;
    rb_import_options_init(&opt);
    const char *db = NULL, *series = NULL, *price_option = NULL;
    int quiet = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        /* the options of a price import, named when --series refuses them */
        for (const struct option *o = longopts; (c >= OPT_FORMAT && c <= OPT_EXTREME && c != OPT_REPLACE) && o->name; o++)
            if (o->val == c) price_option = o->name;
        switch (c) {
        case OPT_DB: db = optarg; break;
        case OPT_SERIES: series = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "auto") == 0) opt.format = RB_CSV_AUTO;
            else if (strcmp(optarg, "long") == 0) opt.format = RB_CSV_LONG;
            else if (strcmp(optarg, "wide") == 0) opt.format = RB_CSV_WIDE;
            else if (strcmp(optarg, "ohlcv") == 0) opt.format = RB_CSV_OHLCV;
            else return cli_usage("import", "--format: unknown format '%s' (auto, long, wide or ohlcv)", optarg);
            break;
        case OPT_SYMBOL: opt.symbol = optarg; break;
        case OPT_PRICE:
            if (strcmp(optarg, "close") == 0) opt.price = RB_PRICE_CLOSE;
            else if (strcmp(optarg, "adjclose") == 0) opt.price = RB_PRICE_ADJCLOSE;
            else return cli_usage("import", "--price: unknown field '%s' (close or adjclose)", optarg);
            break;
        case OPT_DELIM:
            if (!parse_delimiter(optarg, &opt.delimiter))
                return cli_usage("import", "--delimiter: '%s' is not one of ',' ';' 'tab'", optarg);
            break;
        case OPT_DECIMAL:
            if (strcmp(optarg, ".") != 0 && strcmp(optarg, ",") != 0)
                return cli_usage("import", "--decimal: '%s' is not '.' or ','", optarg);
            opt.decimal = optarg[0];
            break;
        case OPT_DATEFMT: opt.date_format = optarg; break;
        case OPT_START: opt.start = optarg; break;
        case OPT_EVERY:
            if (!parse_calendar(optarg, &opt.every))
                return cli_usage("import", "--every: unknown calendar '%s' (day, business-day, week, month, hour "
                                           "or minute)", optarg);
            break;
        case OPT_REPLACE: opt.replace = 1; break;
        case OPT_EXTREME: opt.allow_extreme_prices = 1; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_print_help(&cli_import);
        default: return cli_bad_option("import", argv, c);
        }
    }
    if (optind >= argc) return cli_usage("import", "no CSV file given");
    if (series && price_option)
        return cli_usage("import", "--%s applies to prices, not to --series (which takes date,value rows)",
                         price_option);
    if (series && argc - optind > 1)
        return cli_usage("import", "--series takes one FILE (got %d): import each series by its name",
                         argc - optind);
    if (cli_parse_only) return CLI_OK;
    if (series) return import_series(cli_db_path(db), series, argv[optind], opt.replace, quiet);

    rb_error err = {0};
    rb_store *store = NULL;
    const char *path = cli_db_path(db);
    if (rb_store_open(path, 0, &store, &err) != RB_OK) return cli_report(&err);
    rb_import_stats stats = {0};
    rb_status rc = rb_import_files(store, (const char *const *)argv + optind, (size_t)(argc - optind), &opt,
                                   &stats, &err);
    rb_store_free(store);
    if (rc != RB_OK) return cli_report(&err);
    if (!quiet)
        printf("imported %zu rows from %zu file%s into %s: %zu bars added, %zu unchanged, %zu replaced, "
               "%zu new asset%s\n",
               stats.rows, stats.files, stats.files == 1 ? "" : "s", path, stats.bars_added, stats.bars_unchanged,
               stats.bars_replaced, stats.assets_added, stats.assets_added == 1 ? "" : "s");
    return CLI_OK;
}

const cli_command cli_import = {
    .name = "import",
    .summary = "load CSV price histories into the price store (all or nothing)",
    .help = help_text,
    .run = run,
};
