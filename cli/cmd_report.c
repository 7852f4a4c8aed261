/* cmd_report.c - `rebal report`: a results store turned into the files researchers share:
 * CSV tables, gnuplot charts and one HTML page. Also the summary every --report prints. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help_text[] =
    "Usage: rebal report RESULTS.db --out DIR [--db PRICES] [--by METRIC] [--top N]\n"
    "                    [--scenario KEY=VALUE;...] [--heatmap X,Y[,METRIC]] [--weights ID]\n"
    "                    [--sweep ID] [--title TEXT] [--no-charts]\n"
    "\n"
    "Writes the report of a sweep (the latest in RESULTS.db unless --sweep) into DIR:\n"
    "\n"
    "  index.html          one self-contained page: which rule wins, the top configurations\n"
    "                      of each family (click a column to sort), every chart, the files\n"
    "  summary.csv         every configuration: config_id, section, strategy, one column per\n"
    "                      parameter and one per metric (as 'rebal run --json' names them)\n"
    "  curves/             the equity curve of buy-and-hold, every-bar rebalancing and the\n"
    "                      best configuration of each family; equity.csv has them side by\n"
    "                      side (a wide price file 'rebal import' reads)\n"
    "  trades.csv, realized_gains.csv, annual_returns.csv   of the same runs\n"
    "  monthly_returns.csv, rolling_1y.csv   their monthly returns and rolling one-year\n"
    "                      return, volatility and Sharpe ratio\n"
    "  conventions.txt     periods per year, rf, the settings, the scenario, the data range,\n"
    "                      the dataset hash and the sweep specification\n"
    "  charts/             equity (log scale), drawdowns (each family's best against\n"
    "                      buy-and-hold, a panel each), weights against targets, heatmap,\n"
    "                      cost/tracking-error frontier, annual returns and the excess over\n"
    "                      buy-and-hold split into every-bar gain, drift, cost and tax drag,\n"
    "                      the best's monthly returns, rolling 1-year Sharpe and volatility;\n"
    "                      PNG and SVG drawn by gnuplot, with each chart's data (.dat) and\n"
    "                      script (.gp: cd DIR/charts && gnuplot NAME.gp redraws it)\n"
    "  resample*.csv       a sweep run with --resample: every configuration's distribution\n"
    "                      over the histories, each family's chance of beating buy-and-hold,\n"
    "                      and the fans of the best rules (charts/fan.png, charts/beat.png)\n"
    "\n"
    "Buy-and-hold, every-bar rebalancing and the families' best are replayed by the reference\n"
    "simulator from the price store, which must hold the data the sweep ran on (its hash is\n"
    "checked). Without gnuplot every file but the pictures is written, with one warning.\n"
    "CSV text cells that start with = + - @ get a leading ' so spreadsheets do not run them.\n"
    "\n"
    "Options:\n"
    "  --out DIR           the report directory (created; files in it are replaced)\n"
    "  --db PATH           price store (default: $REBAL_DB, else ./rebal.db)\n"
    "  --by METRIC         ranking metric (default after_tax_value; 'rebal help metrics')\n"
    "  --top N             configurations per family in the page's table (default 5)\n"
    "  --scenario TEXT     when the sweep varies costs, taxes or flows: the settings the\n"
    "                      comparisons use, e.g. 'fee-bps=10;tax-short=0.3' (default: those\n"
    "                      of the best configuration)\n"
    "  --heatmap X,Y[,M]   the heatmap's two parameters (numbers or words: every,on works)\n"
    "                      and metric (M: a metric, or excess =\n"
    "                      after-tax growth minus buy-and-hold's at the same costs, in pp per\n"
    "                      year); default:\n"
    "                      a rule parameter against a varied cost, coloured by excess when\n"
    "                      the sweep has a [buy-and-hold] section; each cell is the best over\n"
    "                      the other parameters\n"
    "  --weights ID        the configuration whose weights chart 3 shows (default: the best)\n"
    "  --sweep ID          the sweep to report (default: the latest)\n"
    "  --title TEXT        the page title\n"
    "  --no-charts         no charts: neither their data and scripts nor gnuplot\n"
    "  -h, --help          show this help\n";

/* The closing lines of every report. Charts gnuplot failed to draw make it a failure
 * (CLI_RUNTIME): the page is written, but the user asked for charts and lacks some. Without
 * gnuplot it is a warning only, as charts are asked for by default. */
int cli_report_done(FILE *out, const char *dir, const rb_report_summary *sum, const char *again)
{
    fprintf(out, "report: %s/index.html (%zu of %zu charts)\n", dir, sum->charts_drawn, sum->charts_total);
    if (sum->missing[0])
        fprintf(stderr,
                "rebal: warning: gnuplot is not installed, so these charts were not drawn: %s; install it "
                "(sudo apt-get install gnuplot-nox, or scripts/setup-deps) and run %s again\n",
                sum->missing, again);
    if (sum->failed[0])
        fprintf(stderr, "rebal: error: %zu of %zu charts were not drawn, gnuplot failed: %s\n",
                sum->charts_total - sum->charts_drawn, sum->charts_total, sum->failed);
    if (sum->failed_configurations)
        fprintf(stderr, "rebal: warning: %llu configuration%s of the sweep failed: ranked without them, listed with "
                        "their messages in %s/failed.csv\n",
                (unsigned long long)sum->failed_configurations, sum->failed_configurations == 1 ? "" : "s", dir);
    return sum->failed[0] ? CLI_RUNTIME : CLI_OK;
}

static int run(int argc, char **argv)
{
    enum { OPT_OUT = 256, OPT_DB, OPT_BY, OPT_TOP, OPT_SCENARIO, OPT_HEATMAP, OPT_WEIGHTS, OPT_SWEEP, OPT_TITLE, OPT_NOCHARTS };
    static const struct option longopts[] = {
        {"out", required_argument, NULL, OPT_OUT},         {"db", required_argument, NULL, OPT_DB},
        {"by", required_argument, NULL, OPT_BY},           {"top", required_argument, NULL, OPT_TOP},
        {"scenario", required_argument, NULL, OPT_SCENARIO}, {"heatmap", required_argument, NULL, OPT_HEATMAP},
        {"weights", required_argument, NULL, OPT_WEIGHTS}, {"sweep", required_argument, NULL, OPT_SWEEP},
        {"title", required_argument, NULL, OPT_TITLE},     {"no-charts", no_argument, NULL, OPT_NOCHARTS},
        {"help", no_argument, NULL, 'h'},                  {0, 0, 0, 0},
    };
    rb_report_options opt = {0};
    const char *db = NULL;
    long v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_OUT: opt.out_dir = optarg; break;
        case OPT_DB: db = optarg; break;
        case OPT_BY: opt.by = optarg; break;
        case OPT_TOP:
            if (!cli_parse_long("report", "--top", optarg, 1, 1000, &v)) return CLI_USAGE;
            opt.top = (size_t)v;
            break;
        case OPT_SCENARIO: opt.scenario = optarg; break;
        case OPT_HEATMAP: opt.heatmap = optarg; break;
        case OPT_WEIGHTS:
            if (!cli_parse_long("report", "--weights", optarg, 1, INT64_MAX, &v)) return CLI_USAGE;
            opt.weights_id = v;
            break;
        case OPT_SWEEP:
            if (!cli_parse_long("report", "--sweep", optarg, 1, INT64_MAX, &v)) return CLI_USAGE;
            opt.sweep_id = v;
            break;
        case OPT_TITLE: opt.title = optarg; break;
        case OPT_NOCHARTS: opt.no_charts = 1; break;
        case 'h': return cli_print_help(&cli_report_cmd);
        default: return cli_bad_option("report", argv, c);
        }
    }
    if (optind >= argc) return cli_usage("report", "missing the results store (e.g. rebal report rebal-results.db --out report)");
    if (optind + 1 < argc) return cli_usage("report", "unexpected argument '%s'", argv[optind + 1]);
    if (!opt.out_dir) return cli_usage("report", "missing --out DIR (where to write the report)");
    if (cli_parse_only) return CLI_OK;
    rb_error err = {0};
    rb_store *store = NULL;
    if (rb_store_open(cli_db_path(db), RB_STORE_READONLY, &store, &err) != RB_OK) return cli_report(&err);
    rb_report_summary sum = {0};
    rb_status rc = rb_report_sweep(store, argv[optind], &opt, &sum, &err);
    rb_store_free(store);
    if (rc != RB_OK) return cli_report(&err);
    printf("%llu configurations; best: %s\n", (unsigned long long)sum.configurations, sum.best);
    return cli_report_done(stdout, opt.out_dir, &sum, "'rebal report'");
}

const cli_command cli_report_cmd = {
    .name = "report",
    .summary = "write CSV files, gnuplot charts and an HTML page from a results store",
    .help = help_text,
    .run = run,
};
