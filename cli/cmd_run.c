/* cmd_run.c - `rebal run`: one configuration replayed by the reference simulator. Its
 * options are generated from the library's settings table and the strategy registry, so
 * the CLI, the help and sweep files name settings the same way. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "alloc.h"
#include "overlay.h"

enum { OPT_DB = 1000, OPT_CSV, OPT_JSON, OPT_CURVE, OPT_TRADES, OPT_LOTS, OPT_REPORT, OPT_MONTHLY, OPT_ROLLING, OPT_SETTING = 2000 };

static const char intro[] =
    "Usage: rebal run [--db PATH | --csv FILE...] --assets SYM=W,... [OPTIONS]\n"
    "\n"
    "Replays one rebalancing configuration over the stored prices with the reference\n"
    "simulator: exact accounting of every fee, slippage, gas and tax lot (docs/engine.md).\n"
    "Prints the metrics ('rebal help metrics' defines them) and, on request, the equity\n"
    "curve, the orders and the tax lots as CSV.\n"
    "\n"
    "Input and output:\n"
    "  --db PATH          price store (default: $REBAL_DB, else ./rebal.db)\n"
    "  --csv FILE         instead of a store: import FILE into memory first (repeatable;\n"
    "                     SYM=FILE for a one-symbol OHLCV file)\n"
    "  --json             print the metrics as one JSON object, with \"run\": what was run\n"
    "                     (strategy, every setting as given or its default, assets and\n"
    "                     targets, data range, dataset hash)\n"
    "  --curve FILE       write the equity curve (date, value, cash, flow, drawdown, weights)\n"
    "  --trades FILE      write every order (kind, side, units, price, fee, slippage, gas)\n"
    "  --lots FILE        write the tax-lot ledger\n"
    "  --monthly FILE     write the monthly returns table (year, Jan..Dec, Year)\n"
    "  --rolling FILE     write the rolling one-year return, volatility and Sharpe ratio\n"
    "  --report DIR       write a report of the run against buy-and-hold and every-bar\n"
    "                     rebalancing: CSV files, charts and index.html (see 'rebal help\n"
    "                     report')\n"
    "  -h, --help         show this help\n";

static void print_option(const rb_setting_info *s)
{
    char flag[64];
    snprintf(flag, sizeof flag, "--%s %s", s->key, s->arg);
    printf("  %-34s %s", flag, s->help);
    if (s->def[0]) printf(" [%s]", s->def);
    putchar('\n');
}

/* Bit k: strategy k (registry order) takes the parameter key. */
static unsigned takers(const char *key)
{
    unsigned mask = 0;
    for (size_t k = 0; k < rb_strategy_count() && k < 8 * sizeof mask; k++) {
        const rb_strategy_info *st = rb_strategy_at(k);
        for (size_t j = 0; j < st->nparams; j++)
            if (strcmp(st->params[j].key, key) == 0) mask |= 1u << k;
    }
    return mask;
}

/* "Options of calendar and hybrid:" / "Options of hybrid:". */
static void print_takers_heading(unsigned mask)
{
    size_t total = 0, said = 0;
    for (size_t k = 0; k < rb_strategy_count(); k++) total += (mask >> k) & 1u;
    fputs("\nOptions of ", stdout);
    for (size_t k = 0; k < rb_strategy_count(); k++) {
        if (!((mask >> k) & 1u)) continue;
        said++;
        printf("%s%s", said == 1 ? "" : said == total ? " and " : ", ", rb_strategy_at(k)->name);
    }
    puts(":");
}

/* The strategy parameters, each once: grouped by the set of strategies that take them, the
 * groups in the order their first strategy is registered. */
static void print_strategy_params(void)
{
    unsigned done[64];
    size_t ndone = 0;
    for (size_t k = 0; k < rb_strategy_count(); k++) {
        const rb_strategy_info *st = rb_strategy_at(k);
        for (size_t j = 0; j < st->nparams; j++) {
            unsigned mask = takers(st->params[j].key);
            size_t d = 0;
            while (d < ndone && done[d] != mask) d++;
            if (d < ndone || ndone == sizeof done / sizeof done[0]) continue;
            done[ndone++] = mask;
            print_takers_heading(mask);
            /* every key of this group, in the order of the first strategy that has them */
            for (size_t i = j; i < st->nparams; i++)
                if (takers(st->params[i].key) == mask) print_option(&st->params[i]);
        }
    }
}

/* The settings that are fractions, from the tables (so the list cannot go stale), each once. */
static void print_fractions(void)
{
    const char *keys[64];
    size_t n = 0;
    for (size_t i = 0; i < rb_setting_count() && n < 64; i++)
        if (rb_setting_at(i)->fraction) keys[n++] = rb_setting_at(i)->key;
    for (size_t k = 0; k < rb_strategy_count(); k++)
        for (size_t j = 0; j < rb_strategy_at(k)->nparams && n < 64; j++) {
            const rb_setting_info *p = &rb_strategy_at(k)->params[j];
            size_t d = 0;
            while (d < n && strcmp(keys[d], p->key) != 0) d++;
            if (p->fraction && d == n) keys[n++] = p->key;
        }
    fputs("\nFractions may also be written as percentages (25% is 0.25; --assets AAPL=60%,CASH=40%\n"
          "is --assets AAPL=0.6,CASH=0.4):",
          stdout);
    size_t col = 40;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(keys[i]) + 4;
        if (col + len > 88) {
            putchar('\n');
            col = 0;
        } else {
            putchar(' ');
        }
        printf("--%s%s", keys[i], i + 1 < n ? "," : ".");
        col += len;
    }
    puts(" A percent sign on any\nother setting is refused.");
}

static void print_help(void)
{
    fputs(intro, stdout);
    static const char *const groups[] = {"data", "portfolio", "strategy", "costs", "venues", "tax", "flows", "metrics"};
    static const char *const titles[] = {"Data", "Portfolio", "Strategy", "Costs (a scalar, or SYM=value,... per asset)",
                                         "Venues and routing", "Taxes", "Cash flows", "Metrics"};
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        printf("\n%s:\n", titles[g]);
        for (size_t i = 0; i < rb_setting_count(); i++) {
            const rb_setting_info *s = rb_setting_at(i);
            if (strcmp(s->group, groups[g]) == 0) print_option(s);
        }
        if (strcmp(groups[g], "strategy") == 0) print_strategy_params();
    }
    print_fractions();
    fputs("\nExamples:\n"
          "  rebal run --assets AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25 --strategy calendar --every quarter\n"
          "  rebal run --assets SPX=0.6,CASH=0.4 --strategy calendar --every month --fee-bps 5 --json\n"
          "  rebal run --assets SPX=0.6,CASH=0.4 --strategy threshold --band 5% --band-rel 25%\n"
          "  rebal run --assets BTC=0.5,ETH=0.3,USDS=0.2 --strategy calendar --every week \\\n"
          "            --fee-bps 10 --gas 2 --amm-depth BTC=5e7,ETH=3e7 --tax-short 0.3 --tax-long 0.15\n"
          "  rebal run --assets SPX,CASH --targets-csv weights.csv --strategy schedule --when days.csv\n",
          stdout);
}

/* A setting written without a value (its type is a flag): --only-breached. */
static int is_flag(const char *key)
{
    for (size_t k = 0; k < rb_strategy_count(); k++) {
        const rb_strategy_info *st = rb_strategy_at(k);
        for (size_t j = 0; j < st->nparams; j++)
            if (strcmp(st->params[j].key, key) == 0) return st->params[j].type == RB_VALUE_FLAG;
    }
    return 0;
}

/* The option table: fixed options, every run setting, every strategy parameter (once). */
static struct option *build_options(const char ***keys_out)
{
    static const struct option fixed[] = {
        {"db", required_argument, NULL, OPT_DB},         {"csv", required_argument, NULL, OPT_CSV},
        {"json", no_argument, NULL, OPT_JSON},           {"curve", required_argument, NULL, OPT_CURVE},
        {"trades", required_argument, NULL, OPT_TRADES}, {"lots", required_argument, NULL, OPT_LOTS},
        {"report", required_argument, NULL, OPT_REPORT},
        {"monthly", required_argument, NULL, OPT_MONTHLY}, {"rolling", required_argument, NULL, OPT_ROLLING},
        {"help", no_argument, NULL, 'h'},
    };
    size_t nfixed = sizeof fixed / sizeof fixed[0], n = rb_setting_count();
    for (size_t k = 0; k < rb_strategy_count(); k++) n += rb_strategy_at(k)->nparams;
    struct option *opts = rb_calloc(nfixed + n + 1, sizeof *opts);
    const char **keys = rb_calloc(n + 1, sizeof *keys);
    if (!opts || !keys) {
        free(opts);
        free(keys);
        return NULL;
    }
    memcpy(opts, fixed, sizeof fixed);
    size_t nkeys = 0;
    for (size_t i = 0; i < rb_setting_count(); i++) keys[nkeys++] = rb_setting_at(i)->key;
    for (size_t k = 0; k < rb_strategy_count(); k++) {
        const rb_strategy_info *st = rb_strategy_at(k);
        for (size_t j = 0; j < st->nparams; j++) {
            size_t d = 0;
            while (d < nkeys && strcmp(keys[d], st->params[j].key) != 0) d++;
            if (d == nkeys) keys[nkeys++] = st->params[j].key;
        }
    }
    for (size_t i = 0; i < nkeys; i++)
        opts[nfixed + i] = (struct option){keys[i], is_flag(keys[i]) ? no_argument : required_argument, NULL,
                                           OPT_SETTING + (int)i};
    *keys_out = keys;
    return opts;
}

static int is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Imports the --csv files into an in-memory store. */
static int load_csv(rb_store **store, char **files, size_t n)
{
    rb_error err = {0};
    if (rb_store_open(":memory:", 0, store, &err) != RB_OK) return cli_report(&err);
    for (size_t i = 0; i < n; i++) {
        rb_import_options opt;
        rb_import_options_init(&opt);
        char *path = files[i], *eq = strchr(files[i], '=');
        if (eq && !is_file(files[i])) { /* SYM=FILE: a one-symbol OHLCV file */
            *eq = '\0';
            opt.symbol = files[i];
            path = eq + 1;
        }
        rb_import_stats stats;
        if (rb_import_files(*store, (const char *const[]){path}, 1, &opt, &stats, &err) != RB_OK)
            return cli_report(&err);
    }
    return CLI_OK;
}

static void print_value(const rb_metric_info *info, double v)
{
    if (isnan(v)) printf("%16s", "-");
    else if (strcmp(info->unit, "USD") == 0) printf("%16.2f", v);
    else if (strcmp(info->unit, "fraction") == 0) printf("%15.2f%%", 100 * v);
    else if (strcmp(info->unit, "count") == 0 || strcmp(info->unit, "bars") == 0) printf("%16.0f", v);
    else printf("%16.3f", v);
}

/* Human output: the metrics in table order with their units, then the conventions. */
static void print_metrics(const char *strategy, const char *assets, const rb_metrics *mx, int overlay)
{
    char a[32], b[32];
    printf("%s on %s\n", strategy, assets);
    printf("%zu bars from %s to %s\n", mx->bars, rb_time_format(mx->start, a), rb_time_format(mx->end, b));
    if (mx->depleted)
        printf("depleted on %s: a withdrawal emptied the portfolio; the run and its metrics end there\n",
               rb_time_format(mx->depleted_on, a));
    putchar('\n');
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    for (size_t k = 0; k < n; k++) {
        double v = *(const double *)((const char *)mx + table[k].offset);
        if (!overlay && rb_overlay_metric(table[k].name)) continue; /* shown with --overlay perp */
        printf("  %-20s", table[k].name);
        print_value(&table[k], v);
        if (strcmp(table[k].name, "max_drawdown") == 0 && v > 0)
            printf("   %s to %s", rb_time_format(mx->max_drawdown_peak, a), rb_time_format(mx->max_drawdown_trough, b));
        putchar('\n');
    }
    printf("\nconventions: %g periods per year (%s), rf %g, sample stdev (n - 1), time-weighted returns\n",
           mx->periods_per_year, mx->periods_source, mx->rf);
    if (mx->exec_note[0]) printf("execution: %s\n", mx->exec_note);
}

/* Writes one result file through a temporary file renamed into place. */
static int write_file(const char *path, rb_status (*writer)(const rb_run_result *, FILE *, rb_error *),
                      const rb_run_result *res)
{
    cli_output out;
    if (!cli_output_open(&out, path)) return CLI_RUNTIME;
    rb_error err = {0};
    rb_status rc = writer(res, out.f, &err);
    int status = rc == RB_OK ? CLI_OK : cli_output_report(&out, &err);
    if (!cli_output_close(&out, rc == RB_OK) && status == CLI_OK) status = CLI_RUNTIME;
    return status;
}

/* What the command line asked for. */
typedef struct run_args {
    const char **keys;   /* option index - OPT_SETTING -> setting key */
    struct option *opts;
    rb_run_spec *spec;
    char **csv;
    size_t ncsv;
    const char **settings; /* key, value pairs in the order given (for --report) */
    size_t nsettings;
    const char *report, *db, *curve, *trades, *lots, *assets, *strategy;
    const char *monthly, *rolling; /* the period tables' files */
    char described[512]; /* the strategy's parameters, for the output's title */
    int json;
    int helped; /* --help was printed: nothing more to do */
} run_args;

/* A setting's option: into the spec, and into the title when it is a strategy parameter. */
static int take_setting(run_args *a, int c, rb_error *err)
{
    const char *key = a->keys[c - OPT_SETTING], *value = optarg ? optarg : "1";
    a->settings[a->nsettings++] = key;
    a->settings[a->nsettings++] = value;
    if (rb_run_spec_set(a->spec, key, value, err) != RB_OK) return cli_usage("run", "%s", err->msg);
    if (strcmp(key, "assets") == 0) a->assets = optarg;
    else if (strcmp(key, "strategy") == 0) a->strategy = optarg;
    else {
        /* Strategy parameters describe the rule in the output header. */
        int param = 1;
        for (size_t i = 0; i < rb_setting_count(); i++)
            if (strcmp(rb_setting_at(i)->key, key) == 0) param = 0;
        if (param) {
            size_t len = strlen(a->described);
            snprintf(a->described + len, sizeof a->described - len, optarg ? " --%s %s" : " --%s", key, value);
        }
    }
    return CLI_OK;
}

/* Reads the command line into *a (its arrays allocated here, freed by free_args). */
static int parse_args(run_args *a, int argc, char **argv, rb_error *err)
{
    a->opts = build_options(&a->keys);
    if (!a->opts) return fputs("rebal: out of memory\n", stderr), CLI_RUNTIME;
    if (rb_run_spec_new(&a->spec, err) != RB_OK) return cli_report(err);
    a->csv = rb_calloc((size_t)argc + 1, sizeof *a->csv);
    a->settings = rb_calloc(2 * (size_t)argc + 2, sizeof *a->settings);
    if (!a->csv || !a->settings) return fputs("rebal: out of memory\n", stderr), CLI_RUNTIME;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", a->opts, NULL)) != -1) {
        if (c >= OPT_SETTING) {
            int status = take_setting(a, c, err);
            if (status != CLI_OK) return status;
            continue;
        }
        switch (c) {
        case OPT_DB: a->db = optarg; break;
        case OPT_CSV: a->csv[a->ncsv++] = optarg; break;
        case OPT_JSON: a->json = 1; break;
        case OPT_CURVE: a->curve = optarg; break;
        case OPT_TRADES: a->trades = optarg; break;
        case OPT_LOTS: a->lots = optarg; break;
        case OPT_REPORT: a->report = optarg; break;
        case OPT_MONTHLY: a->monthly = optarg; break;
        case OPT_ROLLING: a->rolling = optarg; break;
        case 'h': print_help(); a->helped = 1; return CLI_OK;
        default: return cli_bad_option("run", argv, c);
        }
    }
    if (optind < argc) return cli_usage("run", "unexpected argument '%s'", argv[optind]);
    if (!a->assets[0]) return cli_usage("run", "--assets is required, e.g. --assets SPX=0.6,CASH=0.4");
    if (a->db && a->ncsv) return cli_usage("run", "--db and --csv exclude each other");
    return CLI_OK;
}

static void free_args(run_args *a)
{
    rb_run_spec_free(a->spec);
    free(a->csv);
    free(a->settings);
    free(a->opts);
    free(a->keys);
}

/* The run's files, then its metrics (JSON or the table), then its report page. */
static int write_outputs(const run_args *a, rb_store *store, const rb_run_result *res, rb_error *err)
{
    /* Once, before any output: the run traded at prices the user may not have asked for. */
    const char *exec_note = rb_run_metrics(res)->exec_note;
    if (exec_note[0]) fprintf(stderr, "rebal: warning: --exec %s\n", exec_note);
    int status = CLI_OK;
    if (a->curve) status = write_file(a->curve, rb_run_write_curve, res);
    if (status == CLI_OK && a->trades) status = write_file(a->trades, rb_run_write_trades, res);
    if (status == CLI_OK && a->lots) status = write_file(a->lots, rb_run_write_lots, res);
    if (status == CLI_OK && a->monthly) status = write_file(a->monthly, rb_run_write_monthly, res);
    if (status == CLI_OK && a->rolling) status = write_file(a->rolling, rb_run_write_rolling, res);
    if (status != CLI_OK) return status;
    if (a->json) {
        if (rb_run_write_json(res, stdout, err) != RB_OK) return cli_report(err);
    } else {
        char title[640];
        snprintf(title, sizeof title, "%s%s", a->strategy, a->described);
        int overlay = 0; /* the last --overlay given */
        for (size_t i = 0; i + 1 < a->nsettings; i += 2)
            if (strcmp(a->settings[i], "overlay") == 0) overlay = strcmp(a->settings[i + 1], "perp") == 0;
        print_metrics(title, a->assets, rb_run_metrics(res), overlay);
    }
    if (a->report) {
        rb_report_options ropt = {.out_dir = a->report};
        rb_report_summary sum = {0};
        if (rb_report_run(store, a->settings, a->nsettings / 2, &ropt, &sum, err) != RB_OK) return cli_report(err);
        /* With --json, stdout holds the JSON alone. */
        return cli_report_done(a->json ? stderr : stdout, a->report, &sum, "this command");
    }
    return CLI_OK;
}

static int run(int argc, char **argv)
{
    run_args a = {.assets = "", .strategy = "buy-and-hold"};
    rb_error err = {0};
    rb_store *store = NULL;
    rb_run_result *res = NULL;
    int status = parse_args(&a, argc, argv, &err);
    if (cli_parse_only) {
        free_args(&a);
        return status;
    }
    if (status == CLI_OK && !a.helped) {
        if (a.ncsv) status = load_csv(&store, a.csv, a.ncsv);
        else if (rb_store_open(cli_db_path(a.db), RB_STORE_READONLY, &store, &err) != RB_OK) status = cli_report(&err);
    }
    if (status == CLI_OK && !a.helped) {
        unsigned keep = (a.curve ? RB_KEEP_CURVE : 0) | (a.trades ? RB_KEEP_TRADES : 0) | (a.lots ? RB_KEEP_LOTS : 0);
        /* The run is told its settings as given, for --json to say what was run. */
        if (rb_run(store, a.spec, keep, &res, &err) != RB_OK ||
            rb_run_describe(res, a.settings, a.nsettings / 2, &err) != RB_OK)
            status = cli_report(&err);
        else status = write_outputs(&a, store, res, &err);
    }
    rb_run_result_free(res);
    rb_store_free(store);
    free_args(&a);
    return status;
}

const cli_command cli_run = {
    .name = "run",
    .summary = "replay one rebalancing configuration and print its metrics",
    .help = NULL,
    .print_help = print_help,
    .run = run,
};
