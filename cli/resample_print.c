/* resample_print.c - what `rebal sweep --resample` prints once the histories are stored:
 * buy-and-hold's distribution and the configurations most likely to beat it. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse_seed(const char *cmd, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end || errno || text[0] == '-' || text[0] == '+' || text[0] == ' ') {
        cli_usage(cmd, "--seed: not a whole number from 0 to 18446744073709551615: '%s'", text);
        return 0;
    }
    *out = v;
    return 1;
}

int cli_resample_options(const char *resample_text, const char *seed_text, rb_resample_spec *out)
{
    rb_resample_spec spec = {.seed = 1};
    if (seed_text && !cli_parse_seed("sweep", seed_text, &spec.seed)) return CLI_USAGE;
    if (seed_text && !resample_text) return cli_usage("sweep", "--seed is the seed of --resample, which is not given");
    rb_error err = {0};
    if (resample_text && rb_resample_parse(resample_text, &spec, &err) != RB_OK) return cli_usage("sweep", "%s", err.msg);
    *out = spec;
    return CLI_OK;
}

static int by_p_beat(const void *a, const void *b)
{
    const rb_resample_stat *x = a, *y = b;
    double px = isnan(x->p_beat) ? -1 : x->p_beat, py = isnan(y->p_beat) ? -1 : y->p_beat;
    if (px != py) return px < py ? 1 : -1;
    double mx = isnan(x->median) ? -INFINITY : x->median, my = isnan(y->median) ? -INFINITY : y->median;
    if (mx != my) return mx < my ? 1 : -1;
    return (x->config_id > y->config_id) - (x->config_id < y->config_id);
}

int cli_print_resample(FILE *out, const char *results_path, int64_t sweep_id)
{
    rb_resample_info info;
    rb_resample_stat *rows = NULL;
    size_t n = 0;
    rb_error err = {0};
    if (rb_resample_read(results_path, sweep_id, &info, &rows, &n, &err) != RB_OK) return cli_report(&err);
    qsort(rows, n, sizeof *rows, by_p_beat);
    const rb_resample_stat *b = &info.benchmark;
    fprintf(out,
            "\nresampled histories %s (seed %llu): %zu configurations x %llu histories in %.2f s (table "
            "resamples)\nbuy-and-hold's final value: median %.2f, 5 %% %.2f, 95 %% %.2f\n\n",
            info.method, (unsigned long long)info.spec.seed, n, (unsigned long long)info.spec.histories, info.seconds,
            b->median, b->p05, b->p95);
    fprintf(out, "%-20s %12s %12s %12s %14s %8s\n", "config_id", "median", "5 %", "95 %", "excess median", "p_beat");
    for (size_t i = 0; i < n && i < 5; i++)
        fprintf(out, "%-20lld %12.2f %12.2f %12.2f %14.2f %8.3f\n", (long long)rows[i].config_id, rows[i].median,
                rows[i].p05, rows[i].p95, rows[i].excess_median, rows[i].p_beat);
    free(rows);
    return CLI_OK;
}
