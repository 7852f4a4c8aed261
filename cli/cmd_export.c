/* cmd_export.c - `rebal export`: stored bars as CSV that re-imports to the same data. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char help_text[] =
    "Usage: rebal export [--db PATH] [--symbols A,B,...] [--format long|wide] [-o FILE]\n"
    "\n"
    "Writes stored bars as CSV (RFC 4180, ISO dates, numbers in their shortest exact form)\n"
    "that 'rebal import' reads back to the same data. Symbols are written as they are, even\n"
    "one a spreadsheet would take for a formula (=, +, -, @ first): every other CSV rebal\n"
    "writes prefixes such a cell with ' so that it stays text; this one must round-trip.\n"
    "\n"
    "Options:\n"
    "  --db PATH           price store (default: $REBAL_DB, else ./rebal.db)\n"
    "  --symbols A,B,...   the assets to export, in this order (default: all, by symbol)\n"
    "  --format FORMAT     long (default): symbol,date,open,high,low,close,volume, every\n"
    "                      stored field; wide: date,A,B,... closes only, empty where an\n"
    "                      asset has no bar, read back by 'rebal import --format wide'\n"
    "                      (without it, symbols named like columns, such as LOW or OPEN,\n"
    "                      may be taken for them); refused for a symbol named date, time,\n"
    "                      timestamp or datetime\n"
    "  -o, --output FILE   write to FILE (replaced only once complete) instead of stdout\n"
    "  -h, --help          show this help\n";

static int run(int argc, char **argv)
{
    enum { OPT_DB = 256, OPT_SYMBOLS, OPT_FORMAT };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"symbols", required_argument, NULL, OPT_SYMBOLS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *db = NULL, *symbols_arg = NULL, *file = NULL;
    rb_export_format format = RB_EXPORT_LONG;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB: db = optarg; break;
        case OPT_SYMBOLS: symbols_arg = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "long") == 0) format = RB_EXPORT_LONG;
            else if (strcmp(optarg, "wide") == 0) format = RB_EXPORT_WIDE;
            else return cli_usage("export", "--format: unknown format '%s' (long or wide)", optarg);
            break;
        case 'o': file = optarg; break;
        case 'h': return cli_print_help(&cli_export);
        default: return cli_bad_option("export", argv, c);
        }
    }
    if (optind < argc) return cli_usage("export", "unexpected argument '%s'", argv[optind]);

    size_t n = 0;
    char **symbols = NULL;
    if (symbols_arg && !(symbols = cli_split_list("export", "--symbols", symbols_arg, &n))) return CLI_USAGE;
    if (cli_parse_only) {
        cli_free_list(symbols);
        return CLI_OK;
    }

    rb_error err = {0};
    rb_store *store = NULL;
    cli_output out;
    int status = CLI_RUNTIME;
    if (rb_store_open(cli_db_path(db), RB_STORE_READONLY, &store, &err) != RB_OK) {
        status = cli_report(&err);
    } else if (cli_output_open(&out, file)) {
        rb_status rc = rb_export_csv(store, (const char *const *)symbols, n, format, out.f, &err);
        if (rc != RB_OK) status = cli_output_report(&out, &err);
        if (cli_output_close(&out, rc == RB_OK)) status = CLI_OK;
    }
    rb_store_free(store);
    cli_free_list(symbols);
    return status;
}

const cli_command cli_export = {
    .name = "export",
    .summary = "write stored bars as CSV (long or wide) that re-imports to the same data",
    .help = help_text,
    .run = run,
};
