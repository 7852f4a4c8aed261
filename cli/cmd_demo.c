/* cmd_demo.c - `rebal demo`: the product on its bundled data in one command. Today it loads
 * the three bundled histories into a price store and shows what is there, aligned as the
 * engine will replay it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char help_text[] =
    "Usage: rebal demo [--out DIR] [--data DIR]\n"
    "\n"
    "Runs rebal on its bundled data, with no other input: the monthly closes of five large\n"
    "US stocks (2000-2010), the S&P 500 daily (2000-2020) and a synthetic crypto market\n"
    "(BTC/ETH/SOL-like coins and a stablecoin, daily 24/7, 2019-2022). It imports them into\n"
    "DIR/rebal.db, lists them, and shows three portfolios aligned as the engine replays them:\n"
    "bars, date range, inferred periods per year and each asset's growth over the range.\n"
    "Running it again reuses the store (the imports change nothing).\n"
    "\n"
    "Options:\n"
    "  --out DIR    where to write the price store (default: ./rebal-demo)\n"
    "  --data DIR   where the bundled CSV files are (default: $REBAL_DATA_DIR, else the\n"
    "               source tree this rebal was built from, else the installed copy)\n"
    "  -h, --help   show this help\n";

typedef struct demo_file {
    const char *name;
    const char *symbol; /* OHLCV files hold one symbol */
    const char *what;
} demo_file;

static const demo_file files[] = {
    {"stocks_monthly.csv", NULL, "monthly closes of MSFT, AMZN, IBM, GOOG, AAPL, 2000-2010"},
    {"sp500_daily.csv", "SPX", "S&P 500 index daily OHLCV, 2000-2020"},
    {"crypto_daily.csv", NULL, "synthetic crypto market (rebal synth --seed 1), daily 24/7"},
};

typedef struct demo_portfolio {
    const char *title;
    const char *symbols[5];
} demo_portfolio;

static const demo_portfolio portfolios[] = {
    {"US stocks, monthly", {"AAPL", "AMZN", "IBM", "MSFT", NULL}},
    {"S&P 500 and cash, daily", {"SPX", "CASH", NULL}},
    {"crypto, daily 24/7", {"BTC", "ETH", "SOL", "USDS", NULL}},
};

static int is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static const char *find_data_dir(const char *option)
{
    if (option) return option;
    const char *env = getenv("REBAL_DATA_DIR");
    if (env && *env) return env;
    if (is_dir(RB_SOURCE_DATA_DIR)) return RB_SOURCE_DATA_DIR;
    return RB_INSTALL_DATA_DIR;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || (errno == EEXIST && is_dir(dir))) return 1;
    fprintf(stderr, "rebal: %s: cannot create directory: %s\n", dir, strerror(errno));
    return 0;
}

static int import_bundled(rb_store *store, const char *data_dir)
{
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", data_dir, files[i].name);
        rb_import_options opt;
        rb_import_options_init(&opt);
        opt.symbol = files[i].symbol;
        rb_import_stats stats = {0};
        rb_error err = {0};
        if (rb_import_files(store, (const char *const[]){path}, 1, &opt, &stats, &err) != RB_OK)
            return cli_report(&err);
        printf("  %-20s %6zu rows, %6zu bars new  %s\n", files[i].name, stats.rows, stats.bars_added, files[i].what);
    }
    return CLI_OK;
}

static int show_portfolio(rb_store *store, const demo_portfolio *p)
{
    rb_load_options opt;
    rb_load_options_init(&opt);
    opt.symbols = p->symbols;
    while (opt.nsymbols < 5 && p->symbols[opt.nsymbols]) opt.nsymbols++;
    rb_matrix *m = NULL;
    rb_error err = {0};
    if (rb_matrix_load(store, &opt, &m, &err) != RB_OK) return cli_report(&err);
    char from[32], to[32];
    printf("\n%s: %zu bars x %zu assets, %s to %s\n", p->title, m->T, m->N, rb_time_format(m->time[0], from),
           rb_time_format(m->time[m->T - 1], to));
    printf("  periods per year: %g (%s)\n", m->periods_per_year, m->periods_source);
    printf("  growth of 1 held over the range:");
    for (size_t i = 0; i < m->N; i++)
        printf("  %s %.2f", m->symbols[i], m->close[(m->T - 1) * m->N + i] / m->close[i]);
    putchar('\n');
    size_t filled = 0;
    for (size_t k = 0; k < m->T * m->N; k++) filled += m->filled[k];
    if (filled) printf("  forward-filled cells: %zu (days an asset did not trade)\n", filled);
    rb_matrix_free(m);
    return CLI_OK;
}

static int run(int argc, char **argv)
{
    enum { OPT_OUT = 256, OPT_DATA };
    static const struct option longopts[] = {
        {"out", required_argument, NULL, OPT_OUT},
        {"data", required_argument, NULL, OPT_DATA},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *out_dir = "rebal-demo", *data_opt = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_OUT: out_dir = optarg; break;
        case OPT_DATA: data_opt = optarg; break;
        case 'h': return cli_print_help(&cli_demo);
        default: return cli_bad_option("demo", argv, c);
        }
    }
    if (optind < argc) return cli_usage("demo", "unexpected argument '%s'", argv[optind]);

    const char *data_dir = find_data_dir(data_opt);
    if (!is_dir(data_dir)) {
        fprintf(stderr, "rebal: %s: bundled data directory not found (pass --data DIR)\n", data_dir);
        return CLI_RUNTIME;
    }
    if (!make_dir(out_dir)) return CLI_RUNTIME;
    char db[4096];
    snprintf(db, sizeof db, "%s/rebal.db", out_dir);

    rb_error err = {0};
    rb_store *store = NULL;
    if (rb_store_open(db, 0, &store, &err) != RB_OK) return cli_report(&err);
    printf("rebal demo: bundled data from %s into %s\n", data_dir, db);
    int status = import_bundled(store, data_dir);

    rb_asset_info *list = NULL;
    size_t n = 0;
    if (status == CLI_OK) {
        if (rb_store_list_assets(store, &list, &n, &err) != RB_OK) {
            status = cli_report(&err);
        } else {
            putchar('\n');
            cli_print_assets(stdout, list, n);
        }
        free(list);
    }
    for (size_t i = 0; status == CLI_OK && i < sizeof portfolios / sizeof portfolios[0]; i++)
        status = show_portfolio(store, &portfolios[i]);
    rb_store_free(store);
    if (status == CLI_OK) printf("\nExplore further: rebal assets --db %s ; rebal export --db %s --symbols SPX\n", db, db);
    return status;
}

const cli_command cli_demo = {
    .name = "demo",
    .summary = "load the bundled data and show it aligned, in one command",
    .help = help_text,
    .run = run,
};
