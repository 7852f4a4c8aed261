/* test_vol_model.c - --vol-model window:N|ewma:LAMBDA (docs/engine.md, "Volatility
 * models"): the EWMA variance worked by hand, inverse-vol targets and vol-band under it,
 * window:N the same to the bit as --vol-window N, no look-ahead, the value's checks, and the
 * setting in sweep files and the results store. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impact_inputs.h"
#include "rebal.h"
#include "run_result.h"
#include "spec.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(vol_model, .init = setup, .fini = teardown, .timeout = 120);

#define KV RBT_KV
#define ALL RBT_KEEP_ALL

/* A wide CSV "date,SYM,..." of T daily bars from 2020-01-01, prices[t * n + i] printed with
 * 17 digits (they read back as the same doubles). Malloc'ed. */
static char *wide_csv(const char *const *syms, size_t n, size_t T, const double *prices)
{
    size_t cap = 64 + T * (16 + 26 * n), len = 0;
    char *csv = malloc(cap);
    cr_assert_not_null(csv);
    len += (size_t)snprintf(csv + len, cap - len, "date");
    for (size_t i = 0; i < n; i++) len += (size_t)snprintf(csv + len, cap - len, ",%s", syms[i]);
    len += (size_t)snprintf(csv + len, cap - len, "\n");
    for (size_t t = 0; t < T; t++) {
        char date[32];
        rb_time_format(1577836800 + (rb_time)t * 86400, date);
        len += (size_t)snprintf(csv + len, cap - len, "%s", date);
        for (size_t i = 0; i < n; i++) len += (size_t)snprintf(csv + len, cap - len, ",%.17g", prices[t * n + i]);
        len += (size_t)snprintf(csv + len, cap - len, "\n");
    }
    cr_assert_lt(len, cap);
    return csv;
}

/* rb_vol_ewma of the matrix a run loaded, malloc'ed (T * N). */
static double *ewma_of(const rb_run_result *r, double lambda)
{
    double *sigma = malloc(r->m->T * r->m->N * sizeof *sigma);
    cr_assert_not_null(sigma);
    rb_error err = {0};
    cr_assert_eq(rb_vol_ewma(r->m, lambda, sigma, &err), RB_OK, "%s", err.msg);
    return sigma;
}

/* ---------------------------------------------------------------- the EWMA by hand */

/* A: 100, 110, 99, 99, 108.9, 119.79; B flat at 50. LAMBDA = 0.5. The log returns of A:
 *   r1 = ln 1.1 = 0.0953101798043249    r1^2 = 0.00908403037433275
 *   r2 = ln 0.9 = -0.105360515657826    r2^2 = 0.0111008382596831
 *   r3 = ln 1 = 0;  r4 = r5 = ln 1.1
 * The variance:
 *   bar 0, 1: no estimate (fewer than two returns): sigma = 0
 *   bar 2: (r1^2 + r2^2) / 2               = (0.00908403037433275 + 0.0111008382596831) / 2
 *                                          = 0.0100924343170079     sigma = 0.100461108479888
 *   bar 3: 0.5 * 0.0100924343170079 + 0.5 * 0 = 0.00504621715850395 sigma = 0.0710367310516465
 *   bar 4: 0.5 * 0.00504621715850395 + 0.5 * 0.00908403037433275
 *                                          = 0.00706512376641835    sigma = 0.0840542905889899
 *   bar 5: 0.5 * 0.00706512376641835 + 0.5 * 0.00908403037433275
 *                                          = 0.00807457707037555    sigma = 0.0898586505038638
 * B never moves: sigma = 0 on every bar. */
Test(vol_model, ewma_variance_worked_by_hand)
{
    const double px[] = {100, 50, 110, 50, 99, 50, 99, 50, 108.9, 50, 119.79, 50};
    char *csv = wide_csv((const char *const[]){"A", "B"}, 2, 6, px);
    rb_run_result *r = rbt_run_csv(dir, csv, KV("assets", "A=0.5,B=0.5"), 0);
    cr_assert_eq(r->m->T, 6);
    double *sigma = ewma_of(r, 0.5);
    const double want[6] = {0, 0, 0.100461108479888, 0.0710367310516465, 0.0840542905889899, 0.0898586505038638};
    for (size_t t = 0; t < 6; t++) {
        char what[32];
        snprintf(what, sizeof what, "sigma of A at bar %zu", t);
        rbt_assert_close(sigma[t * 2], want[t], 1e-13, what);
        cr_assert_eq(sigma[t * 2 + 1], 0, "B is flat: sigma 0 at bar %zu", t);
    }
    free(sigma);
    rb_run_result_free(r);
    free(csv);
}

/* The estimate's arithmetic written out again, for longer series: the seed, then the
 * recursion. */
static double ewma_by_definition(const double *px, size_t n, size_t i, size_t t, double lambda)
{
    if (t < 2) return 0;
    double var = 0;
    for (size_t u = 1; u <= t; u++) {
        double r = log(px[u * n + i] / px[(u - 1) * n + i]);
        var = u == 1 ? r * r : u == 2 ? (var + r * r) / 2 : lambda * var + (1 - lambda) * r * r;
    }
    return sqrt(var);
}

/* A, B and CASH: A swings widely, B a little. */
enum { IT = 12, IN = 2 };
static const double iv_px[IT * IN] = {100, 40, 104, 40.4, 98, 40.1, 106, 40.6, 101, 40.2, 95, 40.9,
                                      103, 40.5, 110, 41.2, 104, 40.7, 108, 41.5, 99, 41.1, 105, 41.6};

Test(vol_model, inverse_vol_targets_follow_the_ewma)
{
    char *csv = wide_csv((const char *const[]){"A", "B"}, IN, IT, iv_px);
    rb_run_result *r = rbt_run_csv(dir, csv,
                                   KV("assets", "A=0.3,B=0.5,CASH=0.2", "capital", "1000", "strategy", "calendar",
                                      "every", "3", "targets", "inverse-vol", "vol-model", "ewma:0.8"),
                                   ALL);
    cr_assert_eq(r->m->N, 3);
    for (size_t t = 3; t < IT; t += 3) {
        double inv[2], sum = 0;
        for (size_t i = 0; i < 2; i++) sum += inv[i] = 1 / ewma_by_definition(iv_px, IN, i, t, 0.8);
        for (size_t i = 0; i < 2; i++)
            rbt_assert_close(r->sim.targets[t * 3 + i], 0.8 * inv[i] / sum, 1e-12, "inverse-vol target under ewma");
        cr_assert_eq(r->sim.targets[t * 3 + 2], 0.2, "CASH keeps its weight");
    }
    rb_run_result_free(r);
    free(csv);
}

/* ---------------------------------------------------------------- window:N is --vol-window N */

enum { T = 160, K = 81 };

Test(vol_model, window_n_is_vol_window_n_to_the_bit)
{
    double px[T * 2];
    rbt_random_walk(T, px, 0x9E3779B97F4A7C15ull);
    char *csv = wide_csv((const char *const[]){"X", "Y"}, 2, T, px);
    const char *const rules[][8] = {
        {"strategy", "vol-band", "band", "0.02", NULL},
        {"strategy", "calendar", "every", "5", "targets", "inverse-vol", NULL},
    };
    for (size_t c = 0; c < 2; c++) {
        const char *old[16] = {"assets", "X=0.5,Y=0.3,CASH=0.2", "vol-window", "9"};
        const char *model[16] = {"assets", "X=0.5,Y=0.3,CASH=0.2", "vol-model", "window:9"};
        for (size_t j = 0; rules[c][j]; j++) old[4 + j] = model[4 + j] = rules[c][j];
        rb_run_result *a = rbt_run_csv(dir, csv, old, ALL), *b = rbt_run_csv(dir, csv, model, ALL);
        rbt_same_up_to(a, b, T - 1, rules[c][1]);
        cr_assert_gt(a->sim.portfolio.rebalances, 2, "%s: too few rebalances to prove anything", rules[c][1]);
        rb_run_result_free(a);
        rb_run_result_free(b);
    }
    free(csv);
}

/* ---------------------------------------------------------------- no look-ahead */

Test(vol_model, ewma_uses_no_future_data)
{
    double px[T * 2], alt[T * 2];
    rbt_random_walk(T, px, 0x2545F4914F6CDD1Dull);
    memcpy(alt, px, sizeof px);
    for (size_t t = K + 1; t < T; t++) /* a different future: a crash in X, a jump in Y */
        for (size_t i = 0; i < 2; i++) alt[t * 2 + i] = px[t * 2 + i] * (i == 0 ? 0.5 + 0.01 * (double)(t - K) : 1.3);
    char *csv = wide_csv((const char *const[]){"X", "Y"}, 2, T, px);
    char *csv_alt = wide_csv((const char *const[]){"X", "Y"}, 2, T, alt);
    const char *const configs[][20] = {
        {"assets", "X=0.5,Y=0.3,CASH=0.2", "strategy", "vol-band", "band", "0.02", "vol-model", "ewma:0.94", NULL},
        {"assets", "X=0.5,Y=0.5", "strategy", "vol-band", "band", "0.03", "vol-ref", "0.3", "vol-model", "ewma:0.7",
         "targets", "inverse-vol", "exec", "next-open", NULL},
        {"assets", "X=0.6,Y=0.4", "strategy", "calendar", "every", "4", "targets", "inverse-vol", "vol-model",
         "ewma:0.9", NULL},
    };
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        char what[32];
        snprintf(what, sizeof what, "config %zu", c);
        rb_run_result *a = rbt_run_csv(dir, csv, configs[c], ALL), *b = rbt_run_csv(dir, csv_alt, configs[c], ALL);
        rbt_same_up_to(a, b, K, what);
        cr_assert_gt(a->sim.portfolio.rebalances, 2, "%s: too few rebalances to prove anything", what);
        cr_assert(a->sim.value[T - 1] != b->sim.value[T - 1], "%s: the changed future changed nothing", what);
        if (c == 0) {
            /* the estimate itself: bars 0..K alike, bar K + 1 on sees the new prices */
            double *s = ewma_of(a, 0.94), *s_alt = ewma_of(b, 0.94);
            size_t N = a->m->N;
            cr_assert(memcmp(s, s_alt, (K + 1) * N * sizeof *s) == 0, "the EWMA up to bar %d moved", K);
            cr_assert(s[(K + 1) * N] != s_alt[(K + 1) * N], "the EWMA at bar %d ignores bar %d's return", K + 1, K + 1);
            free(s);
            free(s_alt);
        }
        rb_run_result_free(a);
        rb_run_result_free(b);
    }
    free(csv);
    free(csv_alt);
}

/* ---------------------------------------------------------------- the value's checks */

Test(vol_model, values_are_checked)
{
    static const char *const bad[][2] = {
        {"ewma:1", "LAMBDA of ewma:LAMBDA is a number above 0 and below 1"},
        {"ewma:0", "above 0 and below 1"},
        {"ewma:-0.5", "above 0 and below 1"},
        {"ewma:94%", "above 0 and below 1"},
        {"ewma:", "above 0 and below 1"},
        {"ewma:abc", "above 0 and below 1"},
        {"window:1", "N of window:N is a whole number of bars from 2"},
        {"window:2.5", "whole number of bars"},
        {"window:", "whole number of bars"},
        {"window:2000000", "whole number of bars"},
        {"garch", "'garch' is not window:N (the last N returns) or ewma:LAMBDA"},
        {"", "is not window:N"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        rb_run_spec *spec;
        rb_error err = {0};
        cr_assert_eq(rb_run_spec_new(&spec, &err), RB_OK);
        cr_assert_eq(rb_run_spec_set(spec, "vol-model", bad[k][0], &err), RB_ERR_USAGE, "'%s' accepted", bad[k][0]);
        cr_assert(strncmp(err.msg, "--vol-model: ", 13) == 0 && strstr(err.msg, bad[k][1]) && !strchr(err.msg, '\n'),
                  "'%s': %s", bad[k][0], err.msg);
        rb_run_spec_free(spec);
    }
    /* the later of --vol-window and --vol-model wins, whole */
    rb_run_spec *spec = rbt_spec(KV("vol-model", "ewma:0.94", "vol-window", "20"));
    cr_assert(spec->sp.vol_window == 20 && spec->sp.vol_lambda == 0);
    rb_run_spec_free(spec);
    spec = rbt_spec(KV("vol-window", "20", "vol-model", "ewma:0.94"));
    cr_assert(spec->sp.vol_window == 0 && spec->sp.vol_lambda == 0.94);
    rb_run_spec_free(spec);
    spec = rbt_spec(KV("assets", "A=1"));
    cr_assert(spec->sp.vol_window == 63 && spec->sp.vol_lambda == 0, "the default is window:63");
    rb_run_spec_free(spec);
}

/* ---------------------------------------------------------------- the command line */

/* The prices of window_n_is_vol_window_n_to_the_bit imported into dir/p.db. */
static void import_walk(void)
{
    double px[T * 2];
    rbt_random_walk(T, px, 0x9E3779B97F4A7C15ull);
    char *csv = wide_csv((const char *const[]){"X", "Y"}, 2, T, px);
    char *path = rbt_write_file(dir, "p.csv", csv);
    rbt_run_result r = rbt_run(dir, NULL, (const char *const[]){"import", "--db", "p.db", path, NULL});
    cr_assert_eq(r.status, 0, "import: %s", r.err);
    rbt_run_result_free(&r);
    free(path);
    free(csv);
}

Test(vol_model, sweep_files_take_vol_model_and_the_store_keeps_it_as_text)
{
    import_walk();
    char *grid = rbt_write_file(dir, "grid.ini",
                                "[data]\nassets = X=0.5,Y=0.3,CASH=0.2\n\n[vol-band]\nband = 0.02\n"
                                "vol-model = window:9, window:30, ewma:0.94\n\n[calendar]\nevery = 5\n"
                                "targets = inverse-vol\nvol-window = 9, 30\n");
    rbt_run_result r = rbt_run(dir, NULL,
                               (const char *const[]){"sweep", "-q", "--db", "p.db", "--results", "r.db", grid, NULL});
    cr_assert_eq(r.status, 0, "sweep: %s", r.err);
    rbt_run_result_free(&r);
    char *db = rbt_path(dir, "r.db");
    cr_assert_eq(rbt_sqlite_int(db, "SELECT count(*) FROM runs WHERE status = 'ok'"), 5);
    cr_assert_eq(rbt_sqlite_int(db, "SELECT count(*) FROM runs WHERE typeof(vol_model) = 'text'"), 3);
    cr_assert_eq(rbt_sqlite_int(db, "SELECT count(*) FROM runs WHERE vol_model = 'ewma:0.94'"), 1);
    cr_assert_eq(rbt_sqlite_int(db, "SELECT count(*) FROM runs WHERE typeof(vol_window) = 'real'"), 2);
    /* window:9 under vol-band and vol-window 9 of the same rule are one estimate: the
     * sweep's vol-band row equals a run's JSON figure; here it is enough that the three
     * vol-band models give three outcomes */
    cr_assert_eq(rbt_sqlite_int(db, "SELECT count(DISTINCT final_value) FROM runs WHERE strategy = 'vol-band'"), 3);
    free(db);
    free(grid);
}

Test(vol_model, sweep_file_errors_name_the_file_line_section_and_key)
{
    static const char *const cases[][2] = {
        {"[data]\nassets = X=0.5,Y=0.5\n[vol-band]\nband = 0.02\nvol-window = 9\nvol-model = ewma:0.9\n",
         "grid.ini:6: [vol-band] vol-model: the same setting as vol-window (line 5): give one of them"},
        {"[data]\nassets = X=0.5,Y=0.5\n[vol-band]\nband = 0.02\nvol-model = window:9, ewma:1.5\n",
         "grid.ini:5: [vol-band] vol-model: 'ewma:1.5': LAMBDA of ewma:LAMBDA is a number above 0 and below 1"},
        {"[data]\nassets = X=0.5,Y=0.5\n[costs]\nvol-model = ewma:0.9\n",
         "grid.ini:4: [costs] vol-model: not a setting of this section (it belongs in a strategy section)"},
    };
    import_walk();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *grid = rbt_write_file(dir, "grid.ini", cases[k][0]);
        rbt_run_result r =
            rbt_run(dir, NULL, (const char *const[]){"sweep", "--dry-run", "--db", "p.db", "grid.ini", NULL});
        cr_assert_eq(r.status, 2, "case %zu: exit %d (%s)", k, r.status, r.err);
        cr_assert(strstr(r.err, cases[k][1]), "case %zu: %s", k, r.err);
        rbt_run_result_free(&r);
        free(grid);
    }
}

Test(vol_model, rebal_run_says_which_model_ran)
{
    import_walk();
    const char *base[] = {"run", "--db", "p.db", "--assets", "X=0.5,Y=0.5", "--strategy", "vol-band", "--band", "0.02",
                          "--json", NULL, NULL, NULL, NULL, NULL};
    static const char *const cases[][5] = {
        {NULL, NULL, NULL, NULL, "\"vol-window\": 63"},
        {"--vol-model", "ewma:0.94", NULL, NULL, "\"vol-model\": \"ewma:0.94\""},
        {"--vol-model", "ewma:0.94", "--vol-window", "9", "\"vol-window\": 9"},
        {"--vol-window", "9", "--vol-model", "window:12", "\"vol-model\": \"window:12\""},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (size_t j = 0; j < 4; j++) base[10 + j] = cases[k][j];
        rbt_run_result r = rbt_run(dir, NULL, base);
        cr_assert_eq(r.status, 0, "case %zu: %s", k, r.err);
        cr_assert(strstr(r.out, cases[k][4]), "case %zu: no %s in %s", k, cases[k][4], r.out);
        /* one of the two names the model that ran, never both */
        cr_assert(!(strstr(r.out, "\"vol-window\"") && strstr(r.out, "\"vol-model\"")), "case %zu: both listed", k);
        rbt_run_result_free(&r);
    }
}
