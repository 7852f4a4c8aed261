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
         "flows F removed; n = bars - 1; P = periods per year (inferred from the bar spacing or\n"
         "--periods-per-year); standard deviations are sample (n - 1); '-' or null: undefined.\n");
    for (size_t k = 0; k < n; k++) printf("  %-18s [%s] %s\n", table[k].name, table[k].unit, table[k].definition);
    puts("\nA run whose withdrawals empty the portfolio ends on that bar, and its metrics are over\n"
         "the bars up to it: depleted_on is that date (null, or NULL in a results store, when the\n"
         "money did not run out).");
    puts("\nWith each run: max_drawdown_peak and max_drawdown_trough (dates), bars, start, end,\n"
         "periods_per_year and the conventions (how P was found, rf, the stdev denominator).");
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
