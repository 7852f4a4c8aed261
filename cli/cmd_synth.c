/* cmd_synth.c - `rebal synth`: a deterministic synthetic price history as long CSV. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help_text[] =
    "Usage: rebal synth [--preset crypto] [--seed N] [--start DATE] [--days N] [-o FILE]\n"
    "\n"
    "Writes a synthetic price history as long CSV (symbol,date,open,high,low,close,volume),\n"
    "ready for 'rebal import'. The same options always give the same bytes.\n"
    "\n"
    "Presets:\n"
    "  crypto   BTC-, ETH- and SOL-like coins and the USDS stablecoin, daily bars 24/7, with\n"
    "           correlated fat-tailed returns, calm and stormy volatility regimes, and a\n"
    "           stablecoin held near 1 USD (with one brief de-peg)\n"
    "\n"
    "Options:\n"
    "  --preset NAME      the market to simulate (default: crypto)\n"
    "  --seed N           random seed, 0 to 2^64-1 (default: 1)\n"
    "  --start DATE       first day (default: 2019-01-01)\n"
    "  --days N           number of daily bars (default: 1461, four years)\n"
    "  -o, --output FILE  write to FILE instead of stdout\n"
    "  -h, --help         show this help\n"
    "\n"
    "The bundled data/bundled/crypto_daily.csv is 'rebal synth --seed 1'.\n";

static int run(int argc, char **argv)
{
    enum { OPT_PRESET = 256, OPT_SEED, OPT_START, OPT_DAYS };
    static const struct option longopts[] = {
        {"preset", required_argument, NULL, OPT_PRESET},
        {"seed", required_argument, NULL, OPT_SEED},
        {"start", required_argument, NULL, OPT_START},
        {"days", required_argument, NULL, OPT_DAYS},
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
