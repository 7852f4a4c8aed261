/* cmd_runs.c - `rebal runs`: the best runs of a sweep from its results store, ranked by a
 * metric and filtered by conditions, as an aligned table, CSV or JSON. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "alloc.h"

static const char help_text[] =
    "Usage: rebal runs RESULTS.db [--sweep ID] [--top N] [--by METRIC] [--where \"CONDITION\"]...\n"
    "                  [--csv | --json]\n"
    "\n"
    "Lists the best runs of a sweep stored by 'rebal sweep': ranked by a metric (best first:\n"
    "highest, or lowest for max_drawdown, ann_vol, tracking_error, avg_drift, turnover,\n"
    "turnover_2way and the *_paid costs), undefined values last. The table shows the rank,\n"
    "config_id, section, strategy, the parameters that differ among the rows shown (all of\n"
    "them when there are at most 4) and the key metrics (costs = fees_paid + slippage_paid +\n"
    "gas_paid; fractions as percentages), and depleted_on when a run shown ran out of money\n"
    "(the date a withdrawal emptied it). Configurations that failed while the sweep ran (an\n"
    "order larger than its AMM pool, ...) are not ranked: they are listed under the table\n"
    "with their message. The results store is a plain SQLite file: any SQL tool or pandas\n"
    "reads its tables sweeps and runs directly (numeric parameters are REAL columns; the\n"
    "settings to, on and when are the columns to_mode, on_bar and when_file; status and error\n"
    "say which runs failed and why).\n"
    "\n"
    "Options:\n"
    "  --sweep ID          the sweep to show (default: the latest)\n"
    "  --top N             show the N best runs (default 10; 0 = all)\n"
    "  --by METRIC         rank by this metric (default after_tax_value; the metrics are\n"
    "                      listed by 'rebal help metrics')\n"
    "  --where \"CONDITION\"\n"
    "                      keep the runs for which CONDITION holds: comparisons KEY OP VALUE\n"
    "                      (OP one of = != < <= > >=), KEY in (V1, V2, ...), KEY not in\n"
    "                      (...), KEY is null, KEY is not null, joined by and, or, not and\n"
    "                      parentheses (and binds tighter than or). KEY is a parameter\n"
    "                      (band, fee-bps or fee_bps, to or to_mode), a metric, section,\n"
    "                      strategy, config_id, status or error. Numbers compare as numbers\n"
    "                      (band = 0.1 finds 0.10); words as text; quote a value ('...' or\n"
    "                      \"...\") to compare it as text. A run without the parameter (a\n"
    "                      calendar run's band) fails every comparison on it, so \"not band =\n"
    "                      0.1\" keeps it. A condition that cannot be read, an unknown column\n"
    "                      or a word where a number is needed is an error naming it. Repeat\n"
    "                      --where for several conditions (all must hold); \"status = failed\"\n"
    "                      lists the configurations that failed\n"
    "  --csv               print every column of the runs as CSV instead of the table (every\n"
    "                      row, failed ones too)\n"
    "  --json              print every column of the runs as a JSON array of objects, one\n"
    "                      run per line (every row, failed ones too; numbers as numbers,\n"
    "                      undefined values null): pandas.read_json reads it\n"
    "  -h, --help          show this help\n"
    "\n"
    "Examples:\n"
    "  rebal runs results.db\n"
    "  rebal runs results.db --top 5 --by sharpe --where \"strategy = threshold\"\n"
    "  rebal runs results.db --by max_drawdown --where \"fee-bps >= 10\" --where \"cagr > 0.05\"\n"
    "  rebal runs results.db --where \"fee_bps in (5, 10) and (band <= 0.05 or every = month)\"\n"
    "  rebal runs results.db --top 0 --csv > runs.csv\n"
    "  rebal runs results.db --top 0 --json > runs.json\n";

static int run(int argc, char **argv)
{
    enum { OPT_SWEEP = 256, OPT_TOP, OPT_BY, OPT_WHERE, OPT_CSV, OPT_JSON };
    static const struct option longopts[] = {
        {"sweep", required_argument, NULL, OPT_SWEEP},
        {"top", required_argument, NULL, OPT_TOP},
        {"by", required_argument, NULL, OPT_BY},
        {"where", required_argument, NULL, OPT_WHERE},
        {"csv", no_argument, NULL, OPT_CSV},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    rb_runs_query q = {.sweep_id = 0, .top = 10, .by = "after_tax_value"};
    /* At most one condition per argument. */
    const char **where = rb_calloc((size_t)argc + 1, sizeof *where);
    if (!where) {
        fputs("rebal: out of memory\n", stderr);
        return CLI_RUNTIME;
    }
    size_t nwhere = 0;
    long value;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_SWEEP:
            if (!cli_parse_long("runs", "--sweep", optarg, 1, LONG_MAX, &value)) goto usage;
            q.sweep_id = value;
            break;
        case OPT_TOP:
            if (!cli_parse_long("runs", "--top", optarg, 0, LONG_MAX, &value)) goto usage;
            q.top = (size_t)value;
            break;
        case OPT_BY: q.by = optarg; break;
        case OPT_WHERE: where[nwhere++] = optarg; break;
        case OPT_CSV: q.csv = 1; break;
        case OPT_JSON: q.json = 1; break;
        case 'h':
            free(where);
            return cli_print_help(&cli_runs);
        default:
            cli_bad_option("runs", argv, c);
            goto usage;
        }
    }
    if (optind >= argc) {
        cli_usage("runs", "missing the results store (e.g. rebal runs results.db)");
        goto usage;
    }
    if (optind + 1 < argc) {
        cli_usage("runs", "unexpected argument '%s'", argv[optind + 1]);
        goto usage;
    }
    if (q.csv && q.json) {
        cli_usage("runs", "--csv and --json exclude each other");
        goto usage;
    }
    if (cli_parse_only) {
        free(where);
        return CLI_OK;
    }
    q.where = where;
    q.nwhere = nwhere;

    rb_error err = {0};
    int status = CLI_OK;
    if (rb_runs_print(argv[optind], &q, stdout, &err) != RB_OK) status = cli_report(&err);
    if (fflush(stdout) != 0 && status == CLI_OK) {
        perror("rebal: writing the runs");
        status = CLI_RUNTIME;
    }
    free(where);
    return status;

usage:
    free(where);
    return CLI_USAGE;
}

const cli_command cli_runs = {
    .name = "runs",
    .summary = "list the best runs of a sweep from its results store",
    .help = help_text,
    .run = run,
};
