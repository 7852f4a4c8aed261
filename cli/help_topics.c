/* help_topics.c - `rebal help metrics` and `rebal help strategies`, generated from the
 * library's metric table and strategy registry. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void metrics(void)
{
    size_t n;
    const rb_metric_info *table = rb_metric_table(&n);
    puts("Metrics of a run (docs/metrics.md has the full definitions).\n"
         "r_t = (V_t - F_t) / V_{t-1} - 1 are the bar returns of the portfolio value V with the\n"
         "flows F removed; n = bars - 1; standard deviations are sample (n - 1); '-' or null:\n"
         "undefined.\n"
         "P = periods per year: --periods-per-year, or the bars per calendar year the data shows:\n"
         "the mean count over its whole calendar years (a year is whole when the data runs from\n"
         "its first week, on or before 7 January, to its last, on or after 25 December), or bar\n"
         "intervals per elapsed year when it covers under two whole years. A figure within 1 % of\n"
         "252, 365, 52, 12, 4, 2 or 1 snaps to it; any other is kept (about 261 for holiday-free\n"
         "business days). Data spanning under a year, too short to show its holidays, takes the\n"
         "convention of its median spacing (daily without weekend bars 252, daily with them 365,\n"
         "weekly 52, monthly 12, ...). Inferred P over 400,000 (minute bars and finer) or data\n"
         "spanning under a day is refused: pass --periods-per-year.\n");
    for (size_t k = 0; k < n; k++) printf("  %-18s [%s] %s\n", table[k].name, table[k].unit, table[k].definition);
    puts("\nA run whose withdrawals empty the portfolio ends on that bar, and its metrics are over\n"
         "the bars up to it: depleted_on is that date (null, or NULL in a results store, when the\n"
         "money did not run out).");
    puts("\nb_t: the return of --benchmark SYM|series:NAME (a stored asset or dated series, forward-\n"
         "filled onto the bars); without one beta to down_capture are null. var_*, cvar_* and irr\n"
         "need the whole series: rebal run, reports and kept runs have them, sweep rows hold NULL.\n"
         "rebal run --monthly FILE and --rolling FILE write the period tables.");
    puts("\nWith each run: max_drawdown_peak and max_drawdown_trough (dates), bars, start, end,\n"
         "periods_per_year and the conventions (how P was found, rf, the stdev denominator, and\n"
         "an execution note when --exec next-open met close-only data and filled at the next close).");
}

static void strategies(void)
{
    puts("Rebalancing rules (--strategy NAME). A rule decides when to rebalance and to what;\n"
         "the engine trades, charges costs and keeps the tax lots.\n");
    for (size_t k = 0; k < rb_strategy_count(); k++) {
        const rb_strategy_info *s = rb_strategy_at(k);
        printf("%s\n    %s\n", s->name, s->summary);
        for (size_t j = 0; j < s->nparams; j++) {
            char flag[64];
            snprintf(flag, sizeof flag, "--%s %s", s->params[j].key, s->params[j].arg);
            printf("    %-24s %s", flag, s->params[j].help);
            if (s->params[j].def[0]) printf(" [default %s]", s->params[j].def);
            putchar('\n');
        }
    }
}

static void venues(void)
{
    puts("Venue files (--venues FILE; in a sweep file [venues] venues = a.ini, b.ini, each path\n"
         "relative to the sweep file). docs/engine.md, \"Venues and routing\", has the math.\n"
         "\n"
         "  [uni]                     ; a venue: [NAME], letters, digits, '_', '-', '.'\n"
         "  kind = pool               ; a constant-product pool (concentrated with range)\n"
         "  depth = BTC=5e6,ETH=3e6   ; quote-side reserve: one USD value, or per asset\n"
         "  depth-series = USDS=depth-USDS ; or per bar from a stored series ('rebal series')\n"
         "  fee-bps = 30              ; pool fee on the input [30]\n"
         "  range = 0.9:1.1           ; concentrated liquidity, as --amm-range [full range]\n"
         "  gas = 2                   ; USD per swap on it, beside --gas and --gas-swap [0]\n"
         "  chain = ethereum          ; --gas-tx is paid once per chain a batch touches\n"
         "\n"
         "  [cex]\n"
         "  kind = exchange           ; a central exchange: no gas, no chain\n"
         "  fee-bps = 10              ; commission [0]\n"
         "  spread-bps = 4            ; quoted spread, an order pays half [0]\n"
         "  slippage-bps = 0          ; fixed slippage [0]\n"
         "  fee-min = 1               ; minimum commission per leg [0]\n"
         "\n"
         "  [assets]                  ; the venues each asset trades on (at most 8)\n"
         "  BTC = uni, cex\n"
         "  ETH = uni, cex\n"
         "\n"
         "An order of a listed asset is split across its venues at least total cost (fees +\n"
         "slippage + gas): equal marginal cost across the venues that trade, every subset of\n"
         "the venues with gas or a minimum fee tried. The venues replace the asset's own cost\n"
         "settings (--fee-bps, --amm-depth, ...); --gas and --gas-swap are paid by each pool\n"
         "swap. A ranged pool takes at most what its range allows and the rest goes to the other\n"
         "venues; an order no split can fill fails naming the asset, the date and the largest\n"
         "trade. --trades shows one row per leg, with the venue and the order's units at the end.");
}

int cli_help_topic(const char *topic)
{
    if (strcmp(topic, "venues") == 0) venues();
    else if (strcmp(topic, "metrics") == 0) metrics();
    else if (strcmp(topic, "strategies") == 0) strategies();
    else return 0;
    return 1;
}
