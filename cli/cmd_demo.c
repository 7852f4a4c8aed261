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
    "DIR/rebal.db, lists them, and replays three portfolios (four US stocks with broker costs,\n"
    "a taxed 60/40 S&P 500/cash, and a DEX-traded crypto mix paying fees, gas and AMM price\n"
    "impact) under buy-and-hold, calendar rebalancing (weekly to yearly), 5 pp bands, the\n"
    "5/25 rule, a 10 pp band traded back to its inner half (Daryanani), a monthly-checked\n"
    "band and a volatility-scaled band, ranked by after-tax value, with 100,000 of capital.\n"
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
    const char *assets;   /* --assets */
    const char *const *costs; /* setting, value, ... NULL */
} demo_portfolio;

static const char *const stock_costs[] = {"fee-bps", "5", "spread-bps", "5", NULL};
static const char *const sixty_forty_costs[] = {"fee-bps", "2", "tax-short", "0.35", "tax-long", "0.15", NULL};
/* A DEX-traded portfolio: 10 bps fees, 2 USD of gas a swap, pools of 5 and 3 million, and a
 * deep stablecoin pool. */
static const char *const crypto_costs[] = {"fee-bps", "10", "gas", "2", "amm-depth", "BTC=5e6,ETH=3e6,USDS=2e7",
                                           "amm-fee-bps", "30", NULL};

static const demo_portfolio portfolios[] = {
    {"US stocks, monthly closes, 25% each", "AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25", stock_costs},
    {"S&P 500 and cash 60/40, daily, taxed", "SPX=0.6,CASH=0.4", sixty_forty_costs},
    {"crypto 50/30/20 with a stablecoin, daily 24/7", "BTC=0.5,ETH=0.3,USDS=0.2", crypto_costs},
};

/* The rules compared on every portfolio: label, then settings (key, value, ..., NULL). */
typedef struct demo_rule {
    const char *label;
    const char *settings[9];
} demo_rule;

static const demo_rule rules[] = {
    {"buy-and-hold", {"strategy", "buy-and-hold", NULL}},
    {"calendar weekly", {"strategy", "calendar", "every", "week", NULL}},
    {"calendar monthly", {"strategy", "calendar", "every", "month", NULL}},
    {"calendar quarterly", {"strategy", "calendar", "every", "quarter", NULL}},
    {"calendar yearly", {"strategy", "calendar", "every", "year", NULL}},
    {"band 5 pp", {"strategy", "threshold", "band", "0.05", NULL}},
    {"band 5/25", {"strategy", "threshold", "band", "0.05", "band-rel", "0.25", NULL}},
    {"band 10 pp to inner", {"strategy", "threshold", "band", "0.1", "to", "inner:0.5", NULL}},
    {"monthly-checked 5 pp", {"strategy", "hybrid", "every", "month", "band", "0.05", NULL}},
    {"vol-band 5 pp", {"strategy", "vol-band", "band", "0.05", NULL}},
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

/* The matrix summary of a portfolio: bars, range, periods per year, growth of each asset. */
static int show_data(rb_store *store, const demo_portfolio *p, rb_run_result *res)
{
    (void)store;
    const rb_metrics *mx = rb_run_metrics(res);
    char from[32], to[32];
    printf("\n%s (%s)\n", p->title, p->assets);
    printf("  %zu bars from %s to %s; %g periods per year (%s)\n", mx->bars, rb_time_format(mx->start, from),
           rb_time_format(mx->end, to), mx->periods_per_year, mx->periods_source);
    return CLI_OK;
}

static rb_status run_rule(rb_store *store, const demo_portfolio *p, const demo_rule *rule, rb_run_result **out,
                          rb_error *err)
{
    rb_run_spec *spec = NULL;
    rb_status rc = rb_run_spec_new(&spec, err);
    if (rc == RB_OK) rc = rb_run_spec_set(spec, "assets", p->assets, err);
    for (size_t k = 0; rc == RB_OK && rule->settings[k]; k += 2)
        rc = rb_run_spec_set(spec, rule->settings[k], rule->settings[k + 1], err);
    for (size_t k = 0; rc == RB_OK && p->costs[k]; k += 2) rc = rb_run_spec_set(spec, p->costs[k], p->costs[k + 1], err);
    if (rc == RB_OK) rc = rb_run(store, spec, 0, out, err);
    rb_run_spec_free(spec);
    return rc;
}

/* Runs every rule on a portfolio and prints them ranked by after-tax value. */
static int show_portfolio(rb_store *store, const demo_portfolio *p)
{
    enum { NRULES = sizeof rules / sizeof rules[0] };
    rb_run_result *res[NRULES] = {0};
    rb_error err = {0};
    int status = CLI_OK;
    for (size_t k = 0; k < NRULES && status == CLI_OK; k++)
        if (run_rule(store, p, &rules[k], &res[k], &err) != RB_OK) status = cli_report(&err);
    if (status == CLI_OK) {
        show_data(store, p, res[0]);
        size_t order[NRULES];
        for (size_t k = 0; k < NRULES; k++) order[k] = k;
        for (size_t a = 1; a < NRULES; a++)
            for (size_t b = a; b > 0 && rb_run_metrics(res[order[b]])->after_tax_value >
                                            rb_run_metrics(res[order[b - 1]])->after_tax_value;
                 b--) {
                size_t tmp = order[b];
                order[b] = order[b - 1];
                order[b - 1] = tmp;
            }
        printf("  %-20s %14s %8s %8s %8s %6s %10s %10s\n", "rule", "after tax", "cagr", "vol", "max dd", "rebal",
               "costs", "taxes");
        for (size_t k = 0; k < NRULES; k++) {
            const rb_metrics *m = rb_run_metrics(res[order[k]]);
            printf("  %-20s %14.2f %7.2f%% %7.2f%% %7.2f%% %6.0f %10.2f %10.2f\n", rules[order[k]].label,
                   m->after_tax_value, 100 * m->cagr, 100 * m->ann_vol, 100 * m->max_drawdown, m->rebalances,
                   m->fees_paid + m->slippage_paid + m->gas_paid, m->taxes_paid);
        }
    }
    for (size_t k = 0; k < NRULES; k++) rb_run_result_free(res[k]);
    return status;
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
    if (status == CLI_OK)
        printf("\nExplore further:\n  rebal assets --db %s\n"
               "  rebal run --db %s --assets SPX=0.6,CASH=0.4 --strategy calendar --every quarter --fee-bps 2\n",
               db, db);
    return status;
}

const cli_command cli_demo = {
    .name = "demo",
    .summary = "compare rebalancing rules on the bundled data, in one command",
    .help = help_text,
    .run = run,
};
