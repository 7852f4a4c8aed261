/* cmd_demo.c - `rebal demo`: the product on its bundled data in one command: the bundled
 * histories imported, two portfolios swept over the rule families and fee levels, their
 * rankings printed and their reports written. */
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
    "(BTC/ETH/SOL-like coins and a stablecoin, daily 24/7, 2019-2022) with the series of that\n"
    "market (gas per transaction, each pool's depth: 'rebal series'). It imports them into\n"
    "DIR/rebal.db and sweeps two portfolios, a DEX-traded crypto mix (BTC/ETH/stablecoin\n"
    "50/30/20 paying fees, gas and AMM price impact) and four US stocks at 25% each (broker\n"
    "costs, US-style taxes), under buy-and-hold, calendar rebalancing (weekly to yearly),\n"
    "bands of 1-20%, the 5/25 rule, bands traded back to their inner half (Daryanani), a\n"
    "monthly-checked band and a volatility-scaled band, at five fee levels each. It prints\n"
    "the best rule of each family after costs and taxes and writes the full report of each\n"
    "portfolio (CSV files, charts, an HTML page) to DIR/crypto/ and DIR/stocks/, linked from\n"
    "DIR/index.html. The sweep files are DIR/crypto.ini and DIR/stocks.ini: edit one and run\n"
    "'rebal sweep' on it. Running the demo again reuses the store and the stored results.\n"
    "For the crypto mix rebalanced monthly it also prints where rebalancing turns\n"
    "net-negative (its rebalancing bonus less the drag of its costs, at venue fees up to\n"
    "400 bps) under constant pools, the pool depth series and the pools in 0.9:1.1, and\n"
    "compares rebalancing it by selling spot with a perpetual-futures overlay, after tax.\n"
    "\n"
    "Options:\n"
    "  --out DIR    where to write everything (default: ./rebal-demo)\n"
    "  --data DIR   where the bundled CSV files are (default: $REBAL_DATA_DIR, else the\n"
    "               source tree this rebal was built from, else the installed copy)\n"
    "  -h, --help   show this help\n";

typedef struct demo_file {
    const char *name;
    const char *symbol; /* OHLCV files hold one symbol */
    const char *what;
    const char *series; /* a dated series (date,value) stored under this name, not prices */
} demo_file;

static const demo_file files[] = {
    {"stocks_monthly.csv", NULL, "monthly closes of MSFT, AMZN, IBM, GOOG, AAPL, 2000-2010", NULL},
    {"sp500_daily.csv", "SPX", "S&P 500 index daily OHLCV, 2000-2020", NULL},
    {"crypto_daily.csv", NULL, "synthetic crypto market (rebal synth --seed 1), daily 24/7", NULL},
    /* the series of the same market (rebal synth --seed 1 --series NAME) */
    {"crypto_gas.csv", NULL, "series gas: USD per transaction of that market", "gas"},
    {"crypto_depth_BTC.csv", NULL, "series depth-BTC: its BTC pool's depth, USD", "depth-BTC"},
    {"crypto_depth_ETH.csv", NULL, "series depth-ETH: its ETH pool's depth, USD", "depth-ETH"},
    {"crypto_depth_SOL.csv", NULL, "series depth-SOL: its SOL pool's depth, USD", "depth-SOL"},
    {"crypto_depth_USDS.csv", NULL, "series depth-USDS: its USDS pool's depth, USD", "depth-USDS"},
    {"crypto_funding_BTC.csv", NULL, "series funding-BTC: its BTC perp's funding per 8 h", "funding-BTC"},
    {"crypto_funding_ETH.csv", NULL, "series funding-ETH: its ETH perp's funding per 8 h", "funding-ETH"},
    {"crypto_funding_SOL.csv", NULL, "series funding-SOL: its SOL perp's funding per 8 h", "funding-SOL"},
};

/* One demo portfolio: a sweep specification written into the demo directory (so a user can
 * read and edit it), and the scenario its report compares at. */
typedef struct demo_portfolio {
    const char *name;     /* DIR/NAME.ini, DIR/NAME-results.db, DIR/NAME/ */
    const char *title;
    const char *scenario; /* the realistic cost level among those the sweep varies */
    const char *spec;
} demo_portfolio;

/* The rules compared: buy-and-hold, calendar, absolute bands and the 5/25 rule, a band
 * checked on calendar dates, a volatility-scaled band and Daryanani-style bands traded back
 * to their inner half. The fee level varies so that the heatmap shows where costs make
 * rebalancing lose to holding. The calendar periods are longer than the data's bars: on
 * monthly bars, every week or every month would be every-bar rebalancing under another
 * name (and the same run twice). */
#define DEMO_RULES(periods, hybrid_every) \
    "[buy-and-hold]\n" \
    "\n" \
    "[calendar]\n" \
    "every = " periods "\n" \
    "\n" \
    "[threshold]\n" \
    "band = 0.01:0.20:0.01\n" \
    "\n" \
    "[threshold.5-25]\n" \
    "band = 0.05\n" \
    "band-rel = 0.25\n" \
    "\n" \
    "[threshold.inner]\n" \
    "band = 0.05, 0.10, 0.15, 0.20\n" \
    "to = inner:0.5\n" \
    "\n" \
    "[hybrid]\n" \
    "every = " hybrid_every "\n" \
    "band = 0.02, 0.05, 0.10\n"

static const demo_portfolio portfolios[] = {
    {"crypto", "Crypto 50/30/20 with a stablecoin, traded on a DEX (synthetic, daily 24/7)", "fee-bps=10",
     "; rebal demo: BTC/ETH/stablecoin 50/30/20 swapped through constant-product pools\n"
     "[data]\n"
     "assets = BTC=0.5,ETH=0.3,USDS=0.2\n"
     "\n"
     "[costs]\n"
     "; a venue fee, 2 USD of gas a swap, pools of 5 and 3 million and a deep stablecoin pool\n"
     "fee-bps = 0, 10, 25, 50, 100\n"
     "gas = 2\n"
     "amm-depth = BTC=5e6,ETH=3e6,USDS=2e7\n"
     "amm-fee-bps = 30\n"
     "\n" DEMO_RULES("week, month, quarter, year", "month") "\n"
     "[vol-band]\n"
     "band = 0.02, 0.05, 0.10\n"
     "vol-ref = BTC=0.6,ETH=0.8,USDS=0.01\n"},
    {"stocks", "Four US stocks 25% each, monthly closes 2000-2010, taxed", "fee-bps=5",
     "; rebal demo: AAPL, AMZN, IBM and MSFT at 25% each, with broker costs and US-style taxes\n"
     "[data]\n"
     "assets = AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25\n"
     "\n"
     "[costs]\n"
     "fee-bps = 0, 5, 10, 25, 50\n"
     "spread-bps = 5\n"
     "\n"
     "[tax]\n"
     "tax-short = 0.35\n"
     "tax-long = 0.15\n"
     "\n" DEMO_RULES("quarter, half, year", "quarter") "\n"
     "[vol-band]\n"
     "band = 0.02, 0.05, 0.10\n"
     "vol-window = 12\n"},
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
        if (files[i].series) {
            rb_series_stats ss = {0};
            if (rb_series_import_file(store, files[i].series, path, 0, &ss, &err) != RB_OK) return cli_report(&err);
            printf("  %-21s %6zu rows, %6zu points new  %s\n", files[i].name, ss.rows, ss.added, files[i].what);
            continue;
        }
        if (rb_import_files(store, (const char *const[]){path}, 1, &opt, &stats, &err) != RB_OK)
            return cli_report(&err);
        printf("  %-21s %6zu rows, %6zu bars new  %s\n", files[i].name, stats.rows, stats.bars_added, files[i].what);
    }
    return CLI_OK;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "rebal: %s: cannot write: %s\n", path, strerror(errno));
        if (f) fclose(f);
        return 0;
    }
    return 1;
}

/* Sweeps a portfolio (resuming: a second demo reuses the stored results), writes its report
 * and prints its ranking at the realistic cost level. */
static int show_portfolio(rb_store *store, const char *dir, const demo_portfolio *p, rb_report_summary *sum)
{
    char spec[4096], results[4096], report[4096];
    snprintf(spec, sizeof spec, "%s/%s.ini", dir, p->name);
    snprintf(results, sizeof results, "%s/%s-results.db", dir, p->name);
    snprintf(report, sizeof report, "%s/%s", dir, p->name);
    if (!write_text(spec, p->spec)) return CLI_RUNTIME;
    rb_error err = {0};
    rb_sweep_options so = {.results = results, .resume = 1};
    rb_sweep_summary ss = {0};
    if (rb_sweep_run(store, spec, &so, &ss, &err) != RB_OK) return cli_report(&err);
    printf("\n%s\n  %llu configurations (%s); ranked after costs and taxes at %s:\n\n", p->title,
           (unsigned long long)ss.configurations, spec, p->scenario);
    fflush(stdout);
    char title[256];
    snprintf(title, sizeof title, "rebal demo: %s", p->title);
    rb_report_options ro = {
        .out_dir = report, .title = title, .scenario = p->scenario, .ranking = stdout, .sweep_id = ss.sweep_id};
    if (rb_report_sweep(store, results, &ro, sum, &err) != RB_OK) return cli_report(&err);
    putchar('\n');
    return cli_report_done(stdout, report, sum, "'rebal demo'");
}

/* DIR/index.html: the two reports, one click away. Only fixed text goes into it. */
static int write_landing(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/index.html", dir);
    char page[4096];
    size_t o = (size_t)snprintf(page, sizeof page,
                                "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
                                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
                                "<title>rebal demo</title><style>body{font-family:sans-serif;max-width:46em;"
                                "margin:2em auto;padding:0 1em;line-height:1.5}</style></head><body>\n"
                                "<h1>rebal demo</h1>\n<p>Rebalancing rules compared after costs and taxes on the "
                                "bundled data. Each report answers which rule wins and where costs make "
                                "rebalancing lose to buy-and-hold.</p>\n<ul>\n");
    for (size_t i = 0; i < sizeof portfolios / sizeof portfolios[0]; i++)
        o += (size_t)snprintf(page + o, sizeof page - o,
                              "<li><a href=\"%s/index.html\">%s</a> (sweep: <a href=\"%s.ini\">%s.ini</a>)</li>\n",
                              portfolios[i].name, portfolios[i].title, portfolios[i].name, portfolios[i].name);
    snprintf(page + o, sizeof page - o, "</ul>\n</body></html>\n");
    return write_text(path, page);
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
    if (cli_parse_only) return CLI_OK;

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
    for (size_t i = 0; status == CLI_OK && i < sizeof portfolios / sizeof portfolios[0]; i++) {
        rb_report_summary sum = {0};
        status = show_portfolio(store, out_dir, &portfolios[i], &sum);
        if (status == CLI_OK && i == 0) status = cli_demo_pools(store); /* the crypto mix's pools */
        if (status == CLI_OK && i == 0) status = cli_demo_overlay(store); /* spot or perps, after tax */
    }
    rb_store_free(store);
    if (status == CLI_OK && !write_landing(out_dir)) status = CLI_RUNTIME;
    if (status == CLI_OK)
        printf("\nThe full report: %s/index.html\n\nExplore further:\n  rebal runs %s/crypto-results.db --top 20 "
               "--where 'fee_bps = 50'\n  rebal report %s/crypto-results.db --db %s --out my-report --scenario "
               "fee-bps=50\n  rebal run --db %s --assets SPX=0.6,CASH=0.4 --strategy calendar --every quarter "
               "--fee-bps 2 --report spx-report\n",
               out_dir, out_dir, out_dir, db, db);
    return status;
}

const cli_command cli_demo = {
    .name = "demo",
    .summary = "compare rebalancing rules on the bundled data, in one command",
    .help = help_text,
    .run = run,
};
