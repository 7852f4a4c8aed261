/* cmd_series.c - `rebal series`: the dated series the price store holds (a gas price, pool
 * depths, funding rates, benchmarks), one line each, or one series as CSV. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help_text[] =
    "Usage: rebal series [--db PATH] [NAME]\n"
    "\n"
    "Lists the dated series in the price store (gas prices, pool depths, funding rates,\n"
    "benchmarks: what 'rebal import --series NAME FILE' stores): name, first and last date\n"
    "and number of points. With NAME, prints that series as CSV (date,value, every value\n"
    "exact), which 'rebal import --series NAME' reads back to the same series.\n"
    "\n"
    "A run reads a series forward-filled onto its bars: --gas-series NAME, and\n"
    "--amm-depth-series SYM=NAME for a pool's depth (see 'rebal help run'). In a store made\n"
    "before series existed, a gas price imported as an asset is read by the same options.\n"
    "\n"
    "Options:\n"
    "  --db PATH   price store (default: $REBAL_DB, else ./rebal.db)\n"
    "  -h, --help  show this help\n";

static void print_list(const char *path, const rb_series_info *list, size_t n)
{
    if (n == 0) {
        printf("%s holds no series yet (load one with 'rebal import --series NAME FILE')\n", path);
        return;
    }
    int width = 6;
    for (size_t i = 0; i < n; i++) {
        int len = (int)strlen(list[i].name);
        if (len > width) width = len;
    }
    printf("%-*s  %-10s  %-10s  %7s\n", width, "SERIES", "FIRST", "LAST", "POINTS");
    for (size_t i = 0; i < n; i++) {
        char a[32] = "-", b[32] = "-";
        if (list[i].points > 0) rb_time_format(list[i].first, a), rb_time_format(list[i].last, b);
        printf("%-*s  %-10s  %-10s  %7lld\n", width, list[i].name, a, b, (long long)list[i].points);
    }
}

static int print_one(rb_store *store, const char *name)
{
    rb_time *time = NULL;
    double *value = NULL;
    size_t n = 0;
    rb_error err = {0};
    if (rb_series_get(store, name, &time, &value, &n, &err) != RB_OK) return cli_report(&err);
    puts("date,value");
    for (size_t k = 0; k < n; k++) {
        char when[32];
        printf("%s,%.17g\n", rb_time_format(time[k], when), value[k]);
    }
    free(time);
    free(value);
    return CLI_OK;
}

static int run(int argc, char **argv)
{
    enum { OPT_DB = 256 };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *db = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB: db = optarg; break;
        case 'h': return cli_print_help(&cli_series);
        default: return cli_bad_option("series", argv, c);
        }
    }
    if (argc - optind > 1) return cli_usage("series", "unexpected argument '%s'", argv[optind + 1]);
    if (cli_parse_only) return CLI_OK;

    rb_error err = {0};
    rb_store *store = NULL;
    const char *path = cli_db_path(db);
    if (rb_store_open(path, RB_STORE_READONLY, &store, &err) != RB_OK) return cli_report(&err);
    int status;
    if (optind < argc) {
        status = print_one(store, argv[optind]);
    } else {
        rb_series_info *list = NULL;
        size_t n = 0;
        status = rb_store_list_series(store, &list, &n, &err) == RB_OK ? CLI_OK : cli_report(&err);
        if (status == CLI_OK) print_list(path, list, n);
        free(list);
    }
    rb_store_free(store);
    return status;
}

const cli_command cli_series = {
    .name = "series",
    .summary = "list the stored dated series (gas, pool depth, ...), or print one as CSV",
    .help = help_text,
    .run = run,
};
