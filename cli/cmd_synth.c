/* cmd_synth.c - `rebal synth`: a deterministic synthetic price history as long CSV, or one
 * of the dated series that go with it (gas, pool depths). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help_text[] =
    "Usage: rebal synth [--preset crypto] [--seed N] [--start DATE] [--days N]\n"
    "                   [--series NAME] [-o FILE]\n"
    "\n"
    "Writes a synthetic price history as long CSV (symbol,date,open,high,low,close,volume),\n"
    "ready for 'rebal import'; with --series NAME, one dated series of the same market as\n"
    "date,value CSV, ready for 'rebal import --series NAME'. The same options always give the\n"
    "same bytes, and the prices are the same with or without series.\n"
    "\n"
    "Presets:\n"
    "  crypto   BTC-, ETH- and SOL-like coins and the USDS stablecoin, daily bars 24/7, with\n"
    "           correlated fat-tailed returns, calm and stormy volatility regimes, and a\n"
    "           stablecoin held near 1 USD (with one brief de-peg)\n"
    "\n"
    "Series of the crypto preset (--series):\n"
    "  gas        USD per transaction: about 2, noisy day to day, 2.5x in stormy markets,\n"
    "             and spiking on days the market moves more than 1.5 standard deviations\n"
    "  depth-SYM  the quote reserve (USD) of SYM's pool, SYM one of BTC, ETH, SOL, USDS:\n"
    "             5e6, 3e6, 1e6 and 2e7 in calm markets, shrinking as SYM's volatility rises\n"
    "             (to 15 % at the least); USDS's with the market's, and through its de-peg\n"
    "  funding-SYM  the perpetual funding rate of coin SYM (BTC, ETH, SOL) per 8 hours:\n"
    "             0.01 % plus 0.05 x the EWMA (0.9) of its daily log returns, within\n"
    "             +-0.3 %: positive in rallies, negative in crashes (for --funding-series)\n"
    "\n"
    "Options:\n"
    "  --preset NAME      the market to simulate (default: crypto)\n"
    "  --seed N           random seed, 0 to 2^64-1 (default: 1)\n"
    "  --start DATE       first day (default: 2019-01-01)\n"
    "  --days N           number of daily bars (default: 1461, four years)\n"
    "  --series NAME      write the series NAME instead of the prices\n"
    "  -o, --output FILE  write to FILE instead of stdout\n"
    "  -h, --help         show this help\n"
    "\n"
    "The bundled data/bundled/crypto_daily.csv is 'rebal synth --seed 1', and\n"
    "crypto_gas.csv and crypto_depth_SYM.csv are 'rebal synth --seed 1 --series gas' and\n"
    "'--series depth-SYM' ('rebal demo' imports them as the series gas and depth-SYM);\n"
    "crypto_funding_SYM.csv is '--series funding-SYM'.\n";

static int run(int argc, char **argv)
{
    enum { OPT_PRESET = 256, OPT_SEED, OPT_START, OPT_DAYS, OPT_SERIES };
    static const struct option longopts[] = {
        {"preset", required_argument, NULL, OPT_PRESET},
        {"seed", required_argument, NULL, OPT_SEED},
        {"start", required_argument, NULL, OPT_START},
        {"days", required_argument, NULL, OPT_DAYS},
        {"series", required_argument, NULL, OPT_SERIES},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    rb_synth_options opt;
    rb_synth_options_init(&opt);
    const char *file = NULL;
    rb_error err = {0};
    long days;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_PRESET: opt.preset = optarg; break;
        case OPT_SEED: {
            char *end;
            errno = 0;
            unsigned long long seed = strtoull(optarg, &end, 10);
            if (end == optarg || *end || errno || optarg[0] == '-')
                return cli_usage("synth", "--seed: not a whole number from 0 to 2^64-1: '%s'", optarg);
            opt.seed = seed;
            break;
        }
        case OPT_START:
            if (rb_time_parse(optarg, NULL, &opt.start, &err) != RB_OK)
                return cli_usage("synth", "--start: %s", err.msg);
            break;
        case OPT_DAYS:
            if (!cli_parse_long("synth", "--days", optarg, 2, 100000, &days)) return CLI_USAGE;
            opt.days = (int)days;
            break;
        case OPT_SERIES: opt.series = optarg; break;
        case 'o': file = optarg; break;
        case 'h': return cli_print_help(&cli_synth);
        default: return cli_bad_option("synth", argv, c);
        }
    }
    if (optind < argc) return cli_usage("synth", "unexpected argument '%s'", argv[optind]);
    if (cli_parse_only) return CLI_OK;

    cli_output out;
    if (!cli_output_open(&out, file)) return CLI_RUNTIME;
    rb_status rc = rb_synth_write(&opt, out.f, &err);
    int status = rc == RB_OK ? CLI_OK : cli_report(&err);
    if (!cli_output_close(&out, rc == RB_OK) && status == CLI_OK) status = CLI_RUNTIME;
    return status;
}

const cli_command cli_synth = {
    .name = "synth",
    .summary = "write a deterministic synthetic price history (crypto preset) as CSV",
    .help = help_text,
    .run = run,
};
