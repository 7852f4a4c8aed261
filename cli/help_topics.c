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

int cli_help_topic(const char *topic)
{
    if (strcmp(topic, "metrics") == 0) metrics();
    else if (strcmp(topic, "strategies") == 0) strategies();
    else return 0;
    return 1;
}
