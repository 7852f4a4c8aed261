/* cmd_assets.c - `rebal assets`: what the price store holds, one line per asset. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help_text[] =
    "Usage: rebal assets [--db PATH] [--csv]\n"
    "\n"
    "Lists the assets in the price store: symbol, first and last bar, number of bars and the\n"
    "largest gap between two consecutive bars (with its dates), which shows holes in a history\n"
    "at a glance.\n"
    "\n"
    "Options:\n"
    "  --db PATH   price store (default: $REBAL_DB, else ./rebal.db)\n"
    "  --csv       print CSV (symbol,first,last,bars,largest_gap_days,gap_from,gap_to)\n"
    "  -h, --help  show this help\n";

/* "31 days", "2 hours" or "90 s": the gap in the largest whole unit that fits. */
static void format_gap(rb_time seconds, char *buf, size_t len)
{
    if (seconds <= 0) snprintf(buf, len, "-");
    else if (seconds % 86400 == 0) snprintf(buf, len, "%lld day%s", (long long)(seconds / 86400), seconds == 86400 ? "" : "s");
    else if (seconds % 3600 == 0) snprintf(buf, len, "%lld h", (long long)(seconds / 3600));
    else snprintf(buf, len, "%lld s", (long long)seconds);
}

static void csv_symbol(const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') putchar('"');
        putchar(*s);
    }
    putchar('"');
}

void cli_print_assets(FILE *out, const rb_asset_info *list, size_t n)
{
    int width = 6;
    for (size_t i = 0; i < n; i++) {
        int len = (int)strlen(list[i].symbol);
        if (len > width) width = len;
    }
    fprintf(out, "%-*s  %-10s  %-10s  %7s  %s\n", width, "SYMBOL", "FIRST", "LAST", "BARS", "LARGEST GAP");
    for (size_t i = 0; i < n; i++) {
        char a[32], b[32], g0[32], g1[32], gap[48];
        if (list[i].bars == 0) {
            fprintf(out, "%-*s  %-10s  %-10s  %7d  -\n", width, list[i].symbol, "-", "-", 0);
            continue;
        }
        format_gap(list[i].gap_to - list[i].gap_from, gap, sizeof gap);
        fprintf(out, "%-*s  %-10s  %-10s  %7lld  %s", width, list[i].symbol, rb_time_format(list[i].first, a),
                rb_time_format(list[i].last, b), (long long)list[i].bars, gap);
        if (list[i].bars > 1)
            fprintf(out, " (%s to %s)", rb_time_format(list[i].gap_from, g0), rb_time_format(list[i].gap_to, g1));
        fputc('\n', out);
    }
}

static int run(int argc, char **argv)
{
    enum { OPT_DB = 256, OPT_CSV };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"csv", no_argument, NULL, OPT_CSV},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *db = NULL;
    int csv = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB: db = optarg; break;
        case OPT_CSV: csv = 1; break;
        case 'h': return cli_print_help(&cli_assets);
        default: return cli_bad_option("assets", argv, c);
        }
    }
    if (optind < argc) return cli_usage("assets", "unexpected argument '%s'", argv[optind]);
    if (cli_parse_only) return CLI_OK;

    rb_error err = {0};
    rb_store *store = NULL;
    const char *path = cli_db_path(db);
    if (rb_store_open(path, RB_STORE_READONLY, &store, &err) != RB_OK) return cli_report(&err);
    rb_asset_info *list = NULL;
    size_t n = 0;
    rb_status rc = rb_store_list_assets(store, &list, &n, &err);
    rb_store_free(store);
    if (rc != RB_OK) return cli_report(&err);

    if (csv) {
        puts("symbol,first,last,bars,largest_gap_days,gap_from,gap_to");
        for (size_t i = 0; i < n; i++) {
            char a[32], b[32], g0[32], g1[32];
            csv_symbol(list[i].symbol);
            if (list[i].bars == 0) {
                printf(",,,0,,,\n");
                continue;
            }
            printf(",%s,%s,%lld,", rb_time_format(list[i].first, a), rb_time_format(list[i].last, b),
                   (long long)list[i].bars);
            if (list[i].bars > 1)
                printf("%.6g,%s,%s\n", (double)(list[i].gap_to - list[i].gap_from) / 86400,
                       rb_time_format(list[i].gap_from, g0), rb_time_format(list[i].gap_to, g1));
            else
                printf(",,\n");
        }
    } else if (n == 0) {
        printf("%s holds no assets yet (load some with 'rebal import FILE')\n", path);
    } else {
        cli_print_assets(stdout, list, n);
    }
    free(list);
    return CLI_OK;
}

const cli_command cli_assets = {
    .name = "assets",
    .summary = "list the stored assets: first and last bar, bar count, largest gap",
    .help = help_text,
    .run = run,
};
