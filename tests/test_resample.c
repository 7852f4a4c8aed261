/* test_resample.c - resampled histories (rebal sweep --resample): the stationary bootstrap's
 * blocks (mean length L) and rows (every bar's returns are one real bar's, all assets
 * together), the GBM's fit on a series of known drift, volatility and correlation, the
 * distributions table against a direct computation, determinism over thread counts, the
 * results store's version, and the errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_check.h"
#include "rebal.h"
#include "resample/resample.h"
#include "run_result.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(resample, .init = setup, .fini = teardown, .timeout = 240);

static rb_store *stocks_store(void) { return rbt_bundled_store(dir, "stocks_monthly.csv"); }

static rb_matrix *load(rb_store *s, const char *const *symbols, size_t n)
{
    rb_load_options lo;
    rb_load_options_init(&lo);
    lo.symbols = symbols;
    lo.nsymbols = n;
    rb_matrix *m = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_matrix_load(s, &lo, &m, &err), RB_OK, "%s", err.msg);
    return m;
}

/* ---------------------------------------------------------------- the bootstrap */

Test(resample, bootstrap_blocks_have_mean_length_L)
{
    const size_t T = 400;
    const double Ls[] = {1, 4, 12.5};
    size_t *row = malloc(T * sizeof *row);
    for (size_t li = 0; li < 3; li++) {
        double L = Ls[li];
        size_t starts = 0, steps = 0;
        for (uint64_t h = 0; h < 400; h++) {
            rb_rstream s;
            rb_rstream_init(&s, 42, h);
            rb_bootstrap_rows(&s, T, L, row);
            cr_assert_eq(row[0], 0);
            for (size_t t = 1; t < T; t++) {
                cr_assert(row[t] >= 1 && row[t] < T, "row %zu out of range", row[t]);
                /* A block goes on to the next row (wrapping from T-1 to 1); a new block starts
                 * anywhere (by chance at the next row too: 1 time in T-1, counted as going on). */
                size_t next = row[t - 1] == T - 1 ? 1 : row[t - 1] + 1;
                starts += t == 1 || row[t] != next;
                steps++;
            }
        }
        double mean = (double)steps / (double)starts;
        /* Geometric lengths with mean L, censored at the end of each history; chance
         * continuations make blocks look a little longer (L = 1: every bar its own block). */
        cr_assert(fabs(mean - L) < 0.05 * L + 0.02, "L = %g: mean block length %g", L, mean);
    }
    free(row);
}

Test(resample, bootstrap_returns_are_real_rows_of_every_asset)
{
    rb_store *s = stocks_store();
    rb_matrix *m = load(s, (const char *const[]){"AAPL", "MSFT", "CASH", "AMZN"}, 4);
    rb_resample_spec spec = {.method = RB_RESAMPLE_BOOTSTRAP, .histories = 5, .block_length = 3, .seed = 9};
    rb_error err = {0};
    for (uint64_t h = 0; h < 5; h++) {
        rb_matrix *r = NULL;
        cr_assert_eq(rb_resample_history(m, &spec, h, &r, &err), RB_OK, "%s", err.msg);
        cr_assert_eq(r->T, m->T);
        cr_assert_eq(memcmp(r->time, m->time, m->T * sizeof *m->time), 0, "the bars keep their dates");
        cr_assert_eq(memcmp(r->flags, m->flags, m->T * sizeof *m->flags), 0);
        cr_assert_eq(memcmp(r->close, m->close, m->N * sizeof *m->close), 0, "bar 0 is the real one");
        int differs = 0;
        for (size_t t = 1; t < m->T; t++) {
            /* Some real bar r0 >= 1 whose returns are this bar's, all three stocks at once. */
            size_t found = 0;
            for (size_t r0 = 1; r0 < m->T && !found; r0++) {
                int all = 1;
                for (size_t i = 0; i < m->N && all; i++)
                    if (i != 2) all = memcmp(&r->growth[t * m->N + i], &m->growth[r0 * m->N + i], sizeof(double)) == 0;
                if (all) found = r0;
            }
            cr_assert(found, "history %llu bar %zu: no real bar has its returns", (unsigned long long)h, t);
            differs |= found != t;
            for (size_t i = 0; i < m->N; i++) {
                size_t c = t * m->N + i;
                if (i == 2) { /* CASH accrues by the real calendar */
                    cr_assert_eq(r->close[c], m->close[c]);
                    continue;
                }
                cr_assert_eq(r->close[c], r->close[c - m->N] * r->growth[c], "closes follow the returns");
            }
        }
        cr_assert(differs, "history %llu is the real one", (unsigned long long)h);
        rb_matrix_free(r);
    }
    rb_matrix_free(m);
    rb_store_free(s);
}

/* ---------------------------------------------------------------- the GBM */

/* Two assets with log returns of known mean, volatility and correlation 0.5, imported. */
static rb_store *known_store(size_t T, const double mu[2], const double sd[2])
{
    rb_time *time = malloc(T * sizeof *time);
    double *close = malloc(2 * T * sizeof *close);
    rb_rstream s;
    rb_rstream_init(&s, 2024, 0);
    double p[2] = {100, 50};
    for (size_t t = 0; t < T; t++) {
        time[t] = (rb_time)946684800 + (rb_time)t * 86400;
        if (t > 0) {
            double z1 = rb_rstream_normal(&s), z2 = 0.5 * z1 + sqrt(0.75) * rb_rstream_normal(&s);
            p[0] *= exp(mu[0] + sd[0] * z1);
            p[1] *= exp(mu[1] + sd[1] * z2);
        }
        close[2 * t] = p[0], close[2 * t + 1] = p[1];
    }
    rb_store *st = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(":memory:", 0, &st, &err), RB_OK, "%s", err.msg);
    rb_import_table tab = {.name = "known", .symbols = (const char *const[]){"X", "Y"}, .nsymbols = 2,
                           .time = time, .nbars = T, .close = close, .row_stride = 2, .col_stride = 1};
    cr_assert_eq(rb_import_arrays(st, &tab, NULL, NULL, &err), RB_OK, "%s", err.msg);
    free(time);
    free(close);
    return st;
}

Test(resample, gbm_fit_recovers_drift_volatility_and_correlation)
{
    const size_t T = 20001;
    const double mu[2] = {0.0004, -0.0002}, sd[2] = {0.01, 0.02};
    rb_store *st = known_store(T, mu, sd);
    rb_matrix *m = load(st, (const char *const[]){"X", "Y", "CASH"}, 3);
    rb_gbm_fit fit;
    rb_error err = {0};
    cr_assert_eq(rb_gbm_fit_matrix(m, &fit, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(fit.n, 2, "CASH is not fitted");
    for (int a = 0; a < 2; a++) {
        double se = sd[a] / sqrt((double)(T - 1));
        cr_assert(fabs(fit.mu[a] - mu[a]) < 4 * se, "mu[%d] = %g, want %g", a, fit.mu[a], mu[a]);
        cr_assert(fabs(sqrt(fit.cov[a * 2 + a]) / sd[a] - 1) < 0.03, "sd[%d] = %g", a, sqrt(fit.cov[a * 3]));
    }
    double corr = fit.cov[1] / sqrt(fit.cov[0] * fit.cov[3]);
    cr_assert(fabs(corr - 0.5) < 0.03, "correlation %g", corr);
    /* The Cholesky factor reproduces the covariance. */
    double l00 = fit.chol[0], l10 = fit.chol[2], l11 = fit.chol[3];
    rbt_assert_close(l00 * l00, fit.cov[0], 1e-12, "L L' [0][0]");
    rbt_assert_close(l10 * l00, fit.cov[2], 1e-12, "L L' [1][0]");
    rbt_assert_close(l10 * l10 + l11 * l11, fit.cov[3], 1e-12, "L L' [1][1]");
    /* A generated history has the fitted moments (its own sampling error aside). */
    rb_resample_spec spec = {.method = RB_RESAMPLE_GBM, .histories = 3, .seed = 5};
    rb_matrix *g = NULL;
    cr_assert_eq(rb_resample_history(m, &spec, 2, &g, &err), RB_OK, "%s", err.msg);
    double sum[2] = {0}, sq[2] = {0}, cross = 0;
    for (size_t t = 1; t < T; t++) {
        double x = log(g->close[t * 3] / g->close[(t - 1) * 3]), y = log(g->close[t * 3 + 1] / g->close[(t - 1) * 3 + 1]);
        sum[0] += x, sum[1] += y, sq[0] += x * x, sq[1] += y * y, cross += x * y;
        cr_assert_eq(g->close[t * 3 + 2], m->close[t * 3 + 2], "CASH is the real one");
    }
    double n = (double)(T - 1);
    for (int a = 0; a < 2; a++) {
        double mean = sum[a] / n, var = sq[a] / n - mean * mean;
        cr_assert(fabs(mean - fit.mu[a]) < 4 * sd[a] / sqrt(n), "generated mean[%d] %g", a, mean);
        cr_assert(fabs(sqrt(var) / sqrt(fit.cov[a * 3]) - 1) < 0.03, "generated sd[%d] %g", a, sqrt(var));
    }
    double gc = (cross / n - sum[0] / n * sum[1] / n) / sqrt((sq[0] / n - pow(sum[0] / n, 2)) * (sq[1] / n - pow(sum[1] / n, 2)));
    cr_assert(fabs(gc - corr) < 0.03, "generated correlation %g", gc);
    rb_matrix_free(g);
    rb_gbm_fit_free(&fit);
    rb_matrix_free(m);
    rb_store_free(st);
}

/* ---------------------------------------------------------------- sweeps */

static const char two_rules[] = "[data]\nassets = AAPL=0.3,MSFT=0.3,CASH=0.4\n"
                                "[costs]\nfee-bps = 10\n"
                                "[calendar]\nevery = quarter\n"
                                "[threshold]\nband = 0.05\n";

static void sweep_resampled(rb_store *s, const char *text, const char *results, const rb_resample_spec *rs,
                            int threads)
{
    char *spec = rbt_write_file(dir, "grid.ini", text);
    rb_sweep_options so = {.results = results, .threads = threads, .force = 1, .resample = rs};
    rb_sweep_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run(s, spec, &so, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert(sum.resample_seconds > 0);
    free(spec);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy's default quantile, written out. */
static double quantile(const double *sorted, size_t n, double q)
{
    double pos = q * (double)(n - 1), lo = floor(pos);
    size_t i = (size_t)lo;
    return i + 1 < n ? sorted[i] + (pos - lo) * (sorted[i + 1] - sorted[i]) : sorted[n - 1];
}

static double final_value_on(const rb_matrix *h, const char *const *kv)
{
    rb_run_spec *spec = rbt_spec(kv);
    rb_run_result *r = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_run_matrix(NULL, h, spec, 0, &r, &err), RB_OK, "%s", err.msg);
    double v = rb_run_metrics(r)->final_value;
    rb_run_result_free(r);
    rb_run_spec_free(spec);
    return v;
}

static int64_t config_id_of(const char *results, const char *section)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT config_id FROM runs WHERE section = '%s' ORDER BY sweep_id DESC LIMIT 1", section);
    long long id = rbt_sqlite_int(results, sql);
    cr_assert(id > 0);
    return id;
}

Test(resample, distributions_equal_a_direct_computation)
{
    rb_store *s = stocks_store();
    char *results = rbt_path(dir, "r.db");
    rb_resample_spec rs = {.method = RB_RESAMPLE_BOOTSTRAP, .histories = 40, .block_length = 4, .seed = 3};
    sweep_resampled(s, two_rules, results, &rs, 2);
    rb_resample_info info;
    rb_resample_stat *rows = NULL;
    size_t n = 0;
    rb_error err = {0};
    cr_assert_eq(rb_resample_read(results, 0, &info, &rows, &n, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(info.method, "block-bootstrap:40:4");
    cr_assert_eq(info.spec.seed, 3);
    rb_matrix *m = load(s, (const char *const[]){"AAPL", "MSFT", "CASH"}, 3);
    const char *const *rules[2] = {
        RBT_KV("assets", "AAPL=0.3,MSFT=0.3,CASH=0.4", "strategy", "calendar", "every", "quarter", "fee-bps", "10"),
        RBT_KV("assets", "AAPL=0.3,MSFT=0.3,CASH=0.4", "strategy", "threshold", "band", "0.05", "fee-bps", "10")};
    const char *sections[2] = {"calendar", "threshold"};
    double v[40], bh[40], ex[40];
    for (int r = 0; r < 2; r++) {
        size_t beat = 0;
        for (uint64_t h = 0; h < 40; h++) {
            rb_matrix *hist = NULL;
            cr_assert_eq(rb_resample_history(m, &rs, h, &hist, &err), RB_OK, "%s", err.msg);
            v[h] = final_value_on(hist, rules[r]);
            bh[h] = final_value_on(hist, RBT_KV("assets", "AAPL=0.3,MSFT=0.3,CASH=0.4", "strategy", "buy-and-hold"));
            ex[h] = v[h] - bh[h];
            beat += v[h] > bh[h];
            rb_matrix_free(hist);
        }
        qsort(v, 40, sizeof *v, cmp_d);
        qsort(ex, 40, sizeof *ex, cmp_d);
        qsort(bh, 40, sizeof *bh, cmp_d);
        double mean = 0, emean = 0;
        for (int i = 0; i < 40; i++) mean += v[i], emean += ex[i];
        int64_t id = config_id_of(results, sections[r]);
        const rb_resample_stat *st = rows[0].config_id == id ? &rows[0] : &rows[1];
        cr_assert_eq(st->config_id, id);
        cr_assert_eq(st->histories, 40);
        rbt_assert_close(st->mean, mean / 40, 1e-9, "mean");
        rbt_assert_close(st->median, quantile(v, 40, 0.5), 1e-9, "median");
        rbt_assert_close(st->p05, quantile(v, 40, 0.05), 1e-9, "p05");
        rbt_assert_close(st->p95, quantile(v, 40, 0.95), 1e-9, "p95");
        rbt_assert_close(st->excess_mean, emean / 40, 1e-6, "excess mean");
        rbt_assert_close(st->excess_median, quantile(ex, 40, 0.5), 1e-6, "excess median");
        rbt_assert_close(st->excess_p05, quantile(ex, 40, 0.05), 1e-6, "excess p05");
        rbt_assert_close(st->excess_p95, quantile(ex, 40, 0.95), 1e-6, "excess p95");
        cr_assert_eq(st->p_beat, (double)beat / 40, "p_beat %g, want %zu/40", st->p_beat, beat);
        rbt_assert_close(info.benchmark.median, quantile(bh, 40, 0.5), 1e-9, "buy-and-hold median");
    }
    free(rows);
    rb_matrix_free(m);
    rb_store_free(s);
    free(results);
}

static const char grid[] = "[data]\nassets = AAPL=0.3,MSFT=0.3,AMZN=0.2,CASH=0.2\n"
                           "[costs]\nfee-bps = 0, 10\n[tax]\ntax-short = 0, 0.3\n"
                           "[buy-and-hold]\n[calendar]\nevery = month, quarter, year\n"
                           "[threshold]\nband = 0.02:0.3:0.02\n[hybrid]\nevery = quarter\nband = 0.05, 0.1\n";

/* Every row of the latest set, as rb_resample_read gives it. */
static rb_resample_stat *read_rows(const char *results, size_t *n)
{
    rb_resample_info info;
    rb_resample_stat *rows = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_resample_read(results, 0, &info, &rows, n, &err), RB_OK, "%s", err.msg);
    return rows;
}

Test(resample, one_and_two_threads_give_the_same_bits)
{
    rb_store *s = stocks_store();
    const rb_resample_spec specs[2] = {{.method = RB_RESAMPLE_BOOTSTRAP, .histories = 30, .block_length = 5, .seed = 11},
                                       {.method = RB_RESAMPLE_GBM, .histories = 30, .seed = 11}};
    for (int k = 0; k < 2; k++) {
        char name[2][32];
        rb_resample_stat *rows[2];
        size_t n[2];
        for (int threads = 1; threads <= 2; threads++) {
            snprintf(name[threads - 1], sizeof name[0], "t%d-%d.db", k, threads);
            char *results = rbt_path(dir, name[threads - 1]);
            sweep_resampled(s, grid, results, &specs[k], threads);
            rows[threads - 1] = read_rows(results, &n[threads - 1]);
            free(results);
        }
        cr_assert_eq(n[0], n[1]);
        cr_assert_eq(n[0], 4 * 21);
        cr_assert_eq(memcmp(rows[0], rows[1], n[0] * sizeof *rows[0]), 0, "method %d: 1 and 2 threads differ", k);
        free(rows[0]);
        free(rows[1]);
    }
    /* Another seed, other histories. */
    char *results = rbt_path(dir, "seed.db");
    rb_resample_spec other = specs[0];
    other.seed = 12;
    sweep_resampled(s, grid, results, &other, 2);
    size_t n1, n2;
    rb_resample_stat *a = read_rows(results, &n1);
    char *first = rbt_path(dir, "t0-1.db");
    rb_resample_stat *b = read_rows(first, &n2);
    cr_assert_neq(memcmp(a, b, n1 * sizeof *a), 0, "seeds 11 and 12 gave the same histories");
    free(a);
    free(b);
    free(first);
    free(results);
    rb_store_free(s);
}

Test(resample, store_version_four_only_with_a_resample)
{
    rb_store *s = stocks_store();
    char *results = rbt_path(dir, "v.db");
    char *spec = rbt_write_file(dir, "plain.ini", two_rules);
    rb_sweep_options so = {.results = results, .threads = 1};
    rb_sweep_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run(s, spec, &so, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rbt_sqlite_int(results, "PRAGMA user_version"), 3, "a store without resamples stays version 3");
    rb_resample_info info;
    rb_resample_stat *rows = NULL;
    size_t n = 0;
    cr_assert_eq(rb_resample_read(results, 0, &info, &rows, &n, &err), RB_ERR_NOT_FOUND);
    cr_assert(strstr(err.msg, "no resampled histories"), "%s", err.msg);
    /* The same sweep, complete already: not run again, but resampled. */
    rb_resample_spec rs = {.method = RB_RESAMPLE_GBM, .histories = 8, .seed = 1};
    so.resample = &rs;
    cr_assert_eq(rb_sweep_run(s, spec, &so, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_neq(sum.already, 0);
    cr_assert_eq(rbt_sqlite_int(results, "PRAGMA user_version"), 4);
    cr_assert_eq(rb_resample_read(results, 0, &info, &rows, &n, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    free(rows);
    /* Again: the set of this sweep, method and seed is replaced, not doubled. */
    cr_assert_eq(rb_sweep_run(s, spec, &so, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rbt_sqlite_int(results, "SELECT count(*) FROM resample_sets"), 1);
    cr_assert_eq(rbt_sqlite_int(results, "SELECT count(*) FROM resamples"), 2);
    /* A version 4 store takes new sweeps and reads as before. */
    so.resample = NULL;
    so.force = 1;
    cr_assert_eq(rb_sweep_run(s, spec, &so, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rbt_sqlite_int(results, "SELECT count(*) FROM sweeps"), 2);
    free(spec);
    free(results);
    rb_store_free(s);
}

/* ---------------------------------------------------------------- errors */

Test(resample, bad_specs_name_the_option)
{
    const char *bad[] = {"bootstrap:10:5", "block-bootstrap:10", "block-bootstrap:0:5", "block-bootstrap:10:0.5",
                         "block-bootstrap:10:x", "gbm:", "gbm:-3", "gbm:10:2", "gbm:2000000", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rb_resample_spec s = {0};
        rb_error err = {0};
        cr_assert_eq(rb_resample_parse(bad[i], &s, &err), RB_ERR_USAGE, "'%s' accepted", bad[i]);
        cr_assert(strncmp(err.msg, "--resample: ", 12) == 0, "%s", err.msg);
        cr_assert_eq(s.histories, 0, "the spec is untouched");
    }
    rb_resample_spec s = {.seed = 77};
    rb_error err = {0};
    cr_assert_eq(rb_resample_parse("block-bootstrap:250:2.5", &s, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(s.method, RB_RESAMPLE_BOOTSTRAP);
    cr_assert_eq(s.histories, 250);
    cr_assert_eq(s.block_length, 2.5);
    cr_assert_eq(s.seed, 77, "the seed is left as it was");
    char text[64];
    rb_resample_text(&s, text, sizeof text);
    cr_assert_str_eq(text, "block-bootstrap:250:2.5");
}

Test(resample, cli_errors_name_the_option)
{
    char *spec = rbt_write_file(dir, "g.ini", two_rules);
    struct {
        const char *const *argv;
        const char *needle;
    } cases[] = {
        {RBT_KV("sweep", spec, "--resample", "bootstrap:5"), "--resample: 'bootstrap:5' is not a method"},
        {RBT_KV("sweep", spec, "--resample", "gbm:0"), "--resample: 'gbm:0': the number of histories"},
        {RBT_KV("sweep", spec, "--resample", "gbm:5", "--seed", "x1"), "--seed: not a whole number"},
        {RBT_KV("sweep", spec, "--seed", "4"), "--seed is the seed of --resample"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rbt_run_result r = rbt_run(dir, NULL, cases[i].argv);
        cr_assert_eq(r.status, 2, "case %zu: status %d (%s)", i, r.status, r.err);
        cr_assert(strstr(r.err, cases[i].needle), "case %zu: %s", i, r.err);
        rbt_run_result_free(&r);
    }
    free(spec);
}

/* ---------------------------------------------------------------- the report */

/* The last line of a CSV file whose first cell is `first`, split at commas (no quoted cells
 * in these rows), into cells (malloc'ed text, *n cells). */
static char *last_row(const char *path, const char *first, char **cells, size_t max, size_t *n)
{
    char *text = rbt_read_file(path, NULL);
    cr_assert_not_null(text, "%s missing", path);
    char *found = NULL;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, first, strlen(first)) == 0) found = line;
    cr_assert_not_null(found, "%s: no row starting with %s", path, first);
    char *row = strdup(found);
    free(text);
    *n = 0;
    for (char *c = strtok(row, ","); c && *n < max; c = strtok(NULL, ",")) cells[(*n)++] = c;
    return row;
}

Test(resample, report_has_the_distributions_and_the_fans)
{
    rb_store *s = stocks_store();
    char *results = rbt_path(dir, "rep.db");
    rb_resample_spec rs = {.method = RB_RESAMPLE_BOOTSTRAP, .histories = 25, .block_length = 6, .seed = 5};
    sweep_resampled(s, grid, results, &rs, 2);
    char *out = rbt_path(dir, "report");
    rb_report_options ro = {.out_dir = out, .no_charts = 1};
    rb_report_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_report_sweep(s, results, &ro, &sum, &err), RB_OK, "%s", err.msg);
    size_t n;
    rb_resample_stat *rows = read_rows(results, &n);
    rb_resample_info info;
    rb_resample_stat *again = NULL;
    cr_assert_eq(rb_resample_read(results, 0, &info, &again, &n, &err), RB_OK, "%s", err.msg);
    /* resample.csv: every configuration, as stored. */
    char *path = rbt_path(out, "resample.csv"), *cells[16], id[32];
    size_t nc;
    snprintf(id, sizeof id, "%lld,", (long long)rows[n - 1].config_id);
    char *row = last_row(path, id, cells, 16, &nc);
    cr_assert_eq(nc, 11);
    cr_assert_eq(strtod(cells[3], NULL), rows[n - 1].median, "the CSV's median is the stored one");
    cr_assert_eq(strtod(cells[10], NULL), rows[n - 1].p_beat);
    free(row);
    free(path);
    /* The fan of buy-and-hold: at the last bar, its median is the median final value. */
    path = rbt_path(out, "resample_fan.csv");
    row = last_row(path, "buy-and-hold", cells, 16, &nc);
    cr_assert_eq(nc, 8);
    rbt_assert_close(strtod(cells[5], NULL), info.benchmark.median, 1e-12, "buy-and-hold's last median");
    free(row);
    free(path);
    /* The families: threshold's best chance is its best configuration's p_beat. */
    path = rbt_path(out, "resample_families.csv");
    row = last_row(path, "threshold,", cells, 16, &nc);
    cr_assert_eq(nc, 6);
    cr_assert_eq(strtoull(cells[1], NULL, 10), 4 * 15, "threshold has 15 bands x 4 cost settings");
    double best = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].config_id == strtoll(cells[3], NULL, 10)) best = rows[i].p_beat;
    cr_assert_eq(strtod(cells[4], NULL), best);
    free(row);
    free(path);
    path = rbt_path(out, "index.html");
    char *page = rbt_read_file(path, NULL);
    cr_assert(strstr(page, "<section id=\"resample\">"), "the page has the section");
    char why[256];
    cr_assert(rbt_html_well_formed(page, why, sizeof why), "index.html: %s", why);
    free(page);
    free(path);
    free(rows);
    free(again);
    /* A sweep without resamples: no such files, no section. */
    char *plain = rbt_path(dir, "plain.db"), *out2 = rbt_path(dir, "report2");
    char *spec = rbt_write_file(dir, "p.ini", two_rules);
    rb_sweep_options so = {.results = plain, .threads = 1};
    rb_sweep_summary ss = {0};
    cr_assert_eq(rb_sweep_run(s, spec, &so, &ss, &err), RB_OK, "%s", err.msg);
    ro.out_dir = out2;
    cr_assert_eq(rb_report_sweep(s, plain, &ro, &sum, &err), RB_OK, "%s", err.msg);
    path = rbt_path(out2, "resample.csv");
    cr_assert_null(rbt_read_file(path, NULL));
    free(path);
    path = rbt_path(out2, "index.html");
    page = rbt_read_file(path, NULL);
    cr_assert_null(strstr(page, "id=\"resample\""));
    free(page);
    free(path);
    free(spec);
    free(plain);
    free(out2);
    free(out);
    free(results);
    rb_store_free(s);
}

/* A sweep tested out of sample and resampled at once: both are stored (the store version 4:
 * version 3's out-of-sample tables and the resample tables), both read back, and the report
 * has both sections and both pairs of charts' files. */
Test(resample, with_an_out_of_sample_test)
{
    rb_store *s = stocks_store();
    char *results = rbt_path(dir, "both.db"), *out = rbt_path(dir, "both");
    char *spec = rbt_write_file(dir, "both.ini", two_rules);
    rb_resample_spec rs = {.method = RB_RESAMPLE_GBM, .histories = 6, .seed = 2};
    rb_oos_options oo = {.split = "2006-01-01"};
    rb_sweep_options so = {.results = results, .threads = 2, .resample = &rs, .oos = &oo};
    rb_sweep_summary sum = {0};
    rb_error err = {0};
    cr_assert_eq(rb_sweep_run(s, spec, &so, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_neq(sum.oos_id, 0);
    cr_assert(sum.resample_seconds > 0);
    cr_assert_eq(rbt_sqlite_int(results, "PRAGMA user_version"), 4);
    cr_assert_eq(rbt_sqlite_int(results, "SELECT count(*) FROM oos_tests"), 1);
    rb_oos_result *o = NULL;
    cr_assert_eq(rb_oos_read(results, sum.sweep_id, &o, &err), RB_OK, "%s", err.msg);
    cr_assert_not_null(o);
    rb_oos_free(o);
    rb_resample_info info;
    rb_resample_stat *rows = NULL;
    size_t n = 0;
    cr_assert_eq(rb_resample_read(results, sum.sweep_id, &info, &rows, &n, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    free(rows);
    /* Another out-of-sample test into the version 4 store leaves its version alone. */
    oo = (rb_oos_options){.split = "2005-01-01"};
    so.resample = NULL;
    cr_assert_eq(rb_sweep_run(s, spec, &so, &sum, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rbt_sqlite_int(results, "SELECT count(*) FROM oos_tests"), 2);
    cr_assert_eq(rbt_sqlite_int(results, "PRAGMA user_version"), 4);
    rb_report_options ro = {.out_dir = out, .no_charts = 1};
    rb_report_summary rsum = {0};
    cr_assert_eq(rb_report_sweep(s, results, &ro, &rsum, &err), RB_OK, "%s", err.msg);
    char *path = rbt_path(out, "index.html");
    char *page = rbt_read_file(path, NULL), why[256];
    cr_assert(strstr(page, "<section id=\"resample\">"), "the page has the resample section");
    cr_assert(strstr(page, "id=\"chart-oos_curve\""), "the page has the out-of-sample section");
    cr_assert(strstr(page, "id=\"chart-fan\""));
    cr_assert(rbt_html_well_formed(page, why, sizeof why), "index.html: %s", why);
    free(page);
    free(path);
    const char *files[] = {"oos_windows.csv", "oos_curve.csv", "resample.csv", "resample_fan.csv"};
    for (size_t k = 0; k < 4; k++) {
        path = rbt_path(out, files[k]);
        char *text = rbt_read_file(path, NULL);
        cr_assert_not_null(text, "%s missing", files[k]);
        free(text);
        free(path);
    }
    free(spec);
    free(out);
    free(results);
    rb_store_free(s);
}

Test(resample, cli_sweep_prints_and_stores_the_resample)
{
    char *csv = rbt_source_path("data/bundled/stocks_monthly.csv");
    rbt_run_ok(dir, RBT_KV("import", "--db", "p.db", csv));
    char *spec = rbt_write_file(dir, "g.ini", two_rules);
    rbt_run_result r = rbt_run(dir, NULL,
                               RBT_KV("sweep", "--db", "p.db", spec, "--results", "r.db", "--resample", "gbm:12",
                                      "--seed", "3", "--threads", "2", "-q"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "resampled histories gbm:12 (seed 3): 2 configurations x 12 histories"), "%s", r.out);
    cr_assert(strstr(r.out, "p_beat"), "%s", r.out);
    rbt_run_result_free(&r);
    char *results = rbt_path(dir, "r.db");
    cr_assert_eq(rbt_sqlite_int(results, "SELECT count(*) FROM resamples"), 2);
    cr_assert_eq(rbt_sqlite_int(results, "SELECT seed FROM resample_sets"), 3);
    cr_assert_eq(rbt_sqlite_int(results, "SELECT bh_histories FROM resample_sets"), 12);
    free(results);
    free(spec);
    free(csv);
}
