/* test_synth.c - the synthetic generator: determinism, the CSV layout and dates, bar
 * invariants, the statistics of the crypto preset (fat tails, regimes, correlation, the
 * stablecoin), option validation, write errors and the bundled crypto_daily.csv. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebal.h"
#include "support.h"

/* Criterion records every passing assertion, which is slow in loops over 80,000 rows:
 * per-row checks only call into Criterion when they fail. */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) cr_assert_fail(__VA_ARGS__);                                                  \
    } while (0)

#define NSYM 4
static const char *const symbols[NSYM] = {"BTC", "ETH", "SOL", "USDS"};
enum { BTC, ETH, SOL, USDS };

/* ---------------------------------------------------------------- helpers */

/* Runs the generator into memory; asserts success. */
static char *synth_mem(const rb_synth_options *opt, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    cr_assert_not_null(f);
    rb_error err = {0};
    rb_status st = rb_synth_write(opt, f, &err);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(st, RB_OK, "rb_synth_write: %s", err.msg);
    if (len) *len = n;
    return buf;
}

static rb_synth_options options(uint64_t seed, int days)
{
    rb_synth_options o;
    rb_synth_options_init(&o);
    o.seed = seed;
    o.days = days;
    return o;
}

/* Days since 1970-01-01 by counting whole years and months (slow and obvious, unlike the
 * generator's era arithmetic); for years 1900..2399. */
static long naive_days(int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    long n = 0;
    for (int yy = 1970; yy < y; yy++) n += 365 + (yy % 4 == 0 && (yy % 100 != 0 || yy % 400 == 0));
    for (int yy = y; yy < 1970; yy++) n -= 365 + (yy % 4 == 0 && (yy % 100 != 0 || yy % 400 == 0));
    for (int mm = 1; mm < m; mm++)
        n += mdays[mm - 1] + (mm == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    return n + d - 1;
}

/* The parsed history: T days x 4 symbols. */
typedef struct history {
    size_t T;
    long *day; /* days since 1970-01-01 */
    double *o[NSYM], *h[NSYM], *l[NSYM], *c[NSYM], *v[NSYM];
} history;

/* Parses the generator's CSV, asserting the header, the symbol order, one date per group of
 * four rows and consecutive days. */
static history parse(const char *csv, int days)
{
    history H = {0};
    H.T = (size_t)days;
    H.day = calloc(H.T, sizeof *H.day);
    for (int s = 0; s < NSYM; s++) {
        H.o[s] = calloc(H.T, sizeof(double));
        H.h[s] = calloc(H.T, sizeof(double));
        H.l[s] = calloc(H.T, sizeof(double));
        H.c[s] = calloc(H.T, sizeof(double));
        H.v[s] = calloc(H.T, sizeof(double));
        cr_assert(H.o[s] && H.h[s] && H.l[s] && H.c[s] && H.v[s]);
    }
    const char *hdr = "symbol,date,open,high,low,close,volume\n";
    cr_assert_eq(strncmp(csv, hdr, strlen(hdr)), 0, "header: %.60s", csv);
    const char *p = csv + strlen(hdr);
    size_t row = 0;
    while (*p) {
        const char *eol = strchr(p, '\n');
        CHECK(eol, "row %zu has no newline", row + 2);
        CHECK(row < H.T * NSYM, "more than %zu data rows", H.T * NSYM);
        size_t t = row / NSYM;
        int s = (int)(row % NSYM);
        char sym[16], date[16];
        int y, m, d, used = 0;
        double o, h, l, c, v;
        /* sscanf on the whole buffer would take its length every call: copy the line out. */
        char line[256];
        size_t len = (size_t)(eol - p);
        CHECK(len < sizeof line, "row %zu is %zu bytes long", row + 2, len);
        memcpy(line, p, len);
        line[len] = '\0';
        int got = sscanf(line, "%15[^,],%15[^,],%lf,%lf,%lf,%lf,%lf%n", sym, date, &o, &h, &l, &c,
                         &v, &used);
        CHECK(got == 7, "row %zu: %s", row + 2, line);
        CHECK((size_t)used == len, "row %zu has trailing text: %s", row + 2, line);
        CHECK(strcmp(sym, symbols[s]) == 0, "row %zu: symbol %s, expected %s", row + 2, sym,
              symbols[s]);
        CHECK(strlen(date) == 10, "row %zu date %s", row + 2, date);
        CHECK(sscanf(date, "%4d-%2d-%2d", &y, &m, &d) == 3, "row %zu date %s", row + 2, date);
        long day = naive_days(y, m, d);
        if (s == 0) {
            H.day[t] = day;
            if (t > 0) CHECK(day == H.day[t - 1] + 1, "row %zu: %s does not follow", row + 2, date);
        } else {
            CHECK(day == H.day[t], "row %zu: %s differs from the day's first row", row + 2, date);
        }
        H.o[s][t] = o, H.h[s][t] = h, H.l[s][t] = l, H.c[s][t] = c, H.v[s][t] = v;
        row++;
        p = eol + 1;
    }
    cr_assert_eq(row, H.T * NSYM, "data rows: %zu, expected %zu", row, H.T * NSYM);
    return H;
}

static void history_free(history *H)
{
    free(H->day);
    for (int s = 0; s < NSYM; s++)
        free(H->o[s]), free(H->h[s]), free(H->l[s]), free(H->c[s]), free(H->v[s]);
}

static history generate(uint64_t seed, int days)
{
    rb_synth_options o = options(seed, days);
    char *csv = synth_mem(&o, NULL);
    history H = parse(csv, days);
    free(csv);
    return H;
}

/* Daily log returns of closes (T - 1 of them, malloc'ed). */
static double *log_returns(const history *H, int s)
{
    double *r = malloc((H->T - 1) * sizeof *r);
    cr_assert_not_null(r);
    for (size_t t = 1; t < H->T; t++) r[t - 1] = log(H->c[s][t] / H->c[s][t - 1]);
    return r;
}

static double mean(const double *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m += x[i];
    return m / (double)n;
}

static double stdev(const double *x, size_t n)
{
    double m = mean(x, n), v = 0;
    for (size_t i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
    return sqrt(v / (double)n);
}

static double excess_kurtosis(const double *x, size_t n)
{
    double m = mean(x, n), m2 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (x[i] - m) * (x[i] - m);
        m2 += d;
        m4 += d * d;
    }
    m2 /= (double)n;
    m4 /= (double)n;
    return m4 / (m2 * m2) - 3.0;
}

static double correlation(const double *x, const double *y, size_t n)
{
    double mx = mean(x, n), my = mean(y, n), sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / sqrt(sxx * syy);
}

/* Every bar of every symbol is a valid positive OHLCV bar. */
static void check_bars(const history *H)
{
    for (int s = 0; s < NSYM; s++)
        for (size_t t = 0; t < H->T; t++) {
            double o = H->o[s][t], h = H->h[s][t], l = H->l[s][t], c = H->c[s][t], v = H->v[s][t];
            CHECK(isfinite(o) && isfinite(h) && isfinite(l) && isfinite(c) && isfinite(v),
                  "%s day %zu not finite", symbols[s], t);
            CHECK(l > 0.0, "%s day %zu low %.10g", symbols[s], t, l);
            CHECK(h >= fmax(o, c), "%s day %zu high %.10g < max(%.10g, %.10g)", symbols[s], t, h, o,
                  c);
            CHECK(l <= fmin(o, c), "%s day %zu low %.10g > min(%.10g, %.10g)", symbols[s], t, l, o,
                  c);
            CHECK(v > 0.0, "%s day %zu volume %.0f", symbols[s], t, v);
            /* 24/7: the open is the previous close up to a small snapshot difference. */
            if (t > 0)
                CHECK(fabs(o / H->c[s][t - 1] - 1.0) < 0.01,
                      "%s day %zu open %.10g, previous close %.10g", symbols[s], t, o,
                      H->c[s][t - 1]);
        }
}

/* ---------------------------------------------------------------- determinism and layout */

Test(synth, defaults)
{
    rb_synth_options o;
    memset(&o, 0xAB, sizeof o);
    rb_synth_options_init(&o);
    cr_assert_str_eq(o.preset, "crypto");
    cr_assert_eq(o.seed, 1);
    cr_assert_eq(o.start, 1546300800); /* 2019-01-01 */
    cr_assert_eq(o.days, 1461);        /* through 2022-12-31 */
}

Test(synth, same_seed_same_bytes)
{
    rb_synth_options o = options(42, 1000);
    size_t n1, n2;
    char *a = synth_mem(&o, &n1);
    char *b = synth_mem(&o, &n2);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(a, b, n1), 0, "two runs with the same options differ");
    free(a);
    free(b);
}

Test(synth, different_seed_different_bytes)
{
    rb_synth_options o1 = options(1, 200), o2 = options(2, 200);
    size_t n1, n2;
    char *a = synth_mem(&o1, &n1);
    char *b = synth_mem(&o2, &n2);
    cr_assert(n1 != n2 || memcmp(a, b, n1) != 0, "seeds 1 and 2 give the same bytes");
    /* Not only somewhere: the first bar already differs. */
    const char *hdr_end_a = strchr(a, '\n'), *hdr_end_b = strchr(b, '\n');
    cr_assert_neq(strncmp(hdr_end_a, hdr_end_b, 40), 0);
    free(a);
    free(b);
}

Test(synth, header_rows_and_dates)
{
    rb_synth_options o;
    rb_synth_options_init(&o);
    size_t n;
    char *csv = synth_mem(&o, &n);
    size_t lines = 0;
    for (size_t i = 0; i < n; i++) lines += csv[i] == '\n';
    cr_assert_eq(lines, 4 * 1461 + 1);
    cr_assert_eq(strncmp(csv, "symbol,date,open,high,low,close,volume\nBTC,2019-01-01,", 54), 0,
                 "%.60s", csv);
    cr_assert_not_null(strstr(csv, "\nUSDS,2022-12-31,"));
    cr_assert_null(strstr(csv, ",2023-01-01,"));
    /* Leap day 2020-02-29 is there (every calendar day, weekends too). */
    cr_assert_not_null(strstr(csv, "\nSOL,2020-02-29,"));
    history H = parse(csv, 1461);
    cr_assert_eq(H.day[0], 17897); /* 2019-01-01 */
    cr_assert_eq(H.day[1460], 17897 + 1460);
    history_free(&H);
    free(csv);
}

/* Dates across a leap day, a non-leap century and before 1970 (known answers). */
Test(synth, calendar_edges)
{
    static const struct {
        long long start;
        const char *first, *last;
    } cases[] = {
        {1582848000LL, "2020-02-28", "2020-03-01"}, /* 2020 is a leap year */
        {4107456000LL, "2100-02-28", "2100-03-02"}, /* 2100 is not */
        {-172800LL, "1969-12-30", "1970-01-01"},    /* before the epoch */
        {951696000LL, "2000-02-28", "2000-03-01"},  /* 2000 is (divisible by 400) */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rb_synth_options o;
        rb_synth_options_init(&o);
        o.start = cases[i].start;
        o.days = 3;
        char *csv = synth_mem(&o, NULL);
        char want[64];
        snprintf(want, sizeof want, "\nBTC,%s,", cases[i].first);
        cr_assert_not_null(strstr(csv, want), "start %lld: no %s in\n%s", cases[i].start, want,
                           csv);
        snprintf(want, sizeof want, "\nUSDS,%s,", cases[i].last);
        cr_assert_not_null(strstr(csv, want), "start %lld: no %s in\n%s", cases[i].start, want,
                           csv);
        free(csv);
    }
}

Test(synth, shortest_history)
{
    rb_synth_options o = options(9, 2);
    char *csv = synth_mem(&o, NULL);
    history H = parse(csv, 2);
    check_bars(&H);
    history_free(&H);
    free(csv);
}

/* ---------------------------------------------------------------- bars and statistics */

Test(synth, bars_valid_default_and_long)
{
    history H = generate(1, 1461);
    check_bars(&H);
    history_free(&H);
    history L = generate(7, 20000);
    check_bars(&L);
    history_free(&L);
}

Test(synth, stablecoin_holds_its_peg)
{
    uint64_t seeds[] = {1, 3};
    int lengths[] = {1461, 20000};
    for (int k = 0; k < 2; k++) {
        history H = generate(seeds[k], lengths[k]);
        double lo = INFINITY, hi = -INFINITY, min_close = INFINITY;
        size_t trough = 0, below = 0;
        for (size_t t = 0; t < H.T; t++) {
            lo = fmin(lo, H.l[USDS][t]);
            hi = fmax(hi, H.h[USDS][t]);
            if (H.c[USDS][t] < min_close) min_close = H.c[USDS][t], trough = t;
            below += H.c[USDS][t] < 0.99;
        }
        cr_assert_geq(lo, 0.9, "USDS low %.6f", lo);
        cr_assert_leq(hi, 1.1, "USDS high %.6f", hi);
        double m = mean(H.c[USDS], H.T);
        cr_assert_lt(fabs(m - 1.0), 0.005, "USDS mean close %.6f", m);
        /* One short de-peg to about 0.97 that recovers within days. */
        cr_assert(min_close > 0.95 && min_close < 0.985, "USDS deepest close %.6f", min_close);
        cr_assert(below >= 1 && below <= 6, "USDS closed below 0.99 on %zu days", below);
        cr_assert_lt(trough + 10, H.T, "de-peg at the very end (day %zu)", trough);
        cr_assert_gt(H.c[USDS][trough + 10], 0.99, "USDS %.6f ten days after the trough",
                     H.c[USDS][trough + 10]);
        history_free(&H);
    }
}

Test(synth, fat_tails)
{
    history H = generate(1, 20000);
    double *r = log_returns(&H, BTC);
    size_t n = H.T - 1;
    double k = excess_kurtosis(r, n);
    cr_assert_gt(k, 5.0, "BTC excess kurtosis %.3f", k);
    /* Beyond the regimes: returns over their trailing 30-day rms still have fat tails
     * (normal shocks give about 1.7 here, Student-t with 4 dof well above 5). */
    size_t w = 30, m = n - w;
    double *z = malloc(m * sizeof *z);
    cr_assert_not_null(z);
    for (size_t i = w; i < n; i++) {
        double ss = 0;
        for (size_t j = i - w; j < i; j++) ss += r[j] * r[j];
        z[i - w] = r[i] / sqrt(ss / (double)w);
    }
    double kz = excess_kurtosis(z, m);
    cr_assert_gt(kz, 4.0, "BTC standardized excess kurtosis %.3f", kz);
    free(z);
    free(r);
    history_free(&H);
}

Test(synth, volatility_regimes)
{
    history H = generate(1, 20000);
    double *r = log_returns(&H, BTC);
    size_t n = H.T - 1, w = 30;
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i + w <= n; i++) {
        double sd = stdev(r + i, w);
        lo = fmin(lo, sd);
        hi = fmax(hi, sd);
    }
    cr_assert_geq(hi / lo, 2.0, "rolling 30-day vol from %.4f to %.4f", lo, hi);
    /* Regimes persist for weeks to months: absolute returns ten days apart are correlated
     * (independent shocks give 0 +- 0.01). */
    double *a = malloc(n * sizeof *a);
    cr_assert_not_null(a);
    for (size_t i = 0; i < n; i++) a[i] = fabs(r[i]);
    double ac10 = correlation(a, a + 10, n - 10);
    cr_assert_gt(ac10, 0.05, "autocorrelation of |r| at lag 10: %.4f", ac10);
    free(a);
    free(r);
    history_free(&H);
}

Test(synth, correlation_and_volatility_levels)
{
    history H = generate(1, 20000);
    double *b = log_returns(&H, BTC), *e = log_returns(&H, ETH), *s = log_returns(&H, SOL);
    size_t n = H.T - 1;
    double be = correlation(b, e, n), bs = correlation(b, s, n);
    cr_assert(be > 0.5 && be < 0.95, "corr(BTC, ETH) %.3f", be);
    cr_assert(bs > 0.5 && bs < 0.95, "corr(BTC, SOL) %.3f", bs);
    /* Annualized over 365 days: BTC near 65 %, and each altcoin riskier than the last. */
    double vb = stdev(b, n) * sqrt(365.0), ve = stdev(e, n) * sqrt(365.0),
           vs = stdev(s, n) * sqrt(365.0);
    cr_assert(vb > 0.45 && vb < 0.9, "BTC annual vol %.3f", vb);
    cr_assert(vb < ve && ve < vs, "vols BTC %.3f ETH %.3f SOL %.3f", vb, ve, vs);
    free(b);
    free(e);
    free(s);
    history_free(&H);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Test(synth, volume_levels)
{
    history H = generate(1, 1461);
    /* Median daily USD volume (units x close) per symbol: the order of magnitude of real
     * markets. */
    static const double lo[NSYM] = {3e9, 1.5e9, 1.5e8, 1e9}, hi[NSYM] = {1e11, 5e10, 5e9, 1e10};
    double *tmp = malloc(H.T * sizeof *tmp);
    cr_assert_not_null(tmp);
    for (int s = 0; s < NSYM; s++) {
        for (size_t t = 0; t < H.T; t++) tmp[t] = H.v[s][t] * H.c[s][t];
        qsort(tmp, H.T, sizeof *tmp, cmp_double);
        double med = tmp[H.T / 2];
        cr_assert(med > lo[s] && med < hi[s], "%s median volume %.3g", symbols[s], med);
    }
    free(tmp);
    /* Volume is higher on big moves: days with |return| above 2 sd trade more than others. */
    double *r = log_returns(&H, BTC);
    double sd = stdev(r, H.T - 1), big = 0, calm = 0;
    size_t nbig = 0, ncalm = 0;
    for (size_t t = 1; t < H.T; t++) {
        double rel = H.v[BTC][t]; /* in coins, so the price level cancels */
        if (fabs(r[t - 1]) > 2 * sd)
            big += rel, nbig++;
        else
            calm += rel, ncalm++;
    }
    cr_assert_gt(nbig, 10);
    cr_assert_gt(big / nbig, 1.2 * calm / ncalm, "volume on big moves %.3g vs %.3g", big / nbig,
                 calm / ncalm);
    free(r);
    history_free(&H);
}

/* ---------------------------------------------------------------- validation and errors */

/* Expects RB_ERR_USAGE, a one-line message holding each of want[], and nothing written. */
static void expect_usage(const rb_synth_options *o, const char *const *want)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    cr_assert_not_null(f);
    rb_error err = {0};
    rb_status st = rb_synth_write(o, f, &err);
    fclose(f);
    cr_assert_eq(st, RB_ERR_USAGE, "status %d: %s", st, err.msg);
    cr_assert_eq(err.code, RB_ERR_USAGE);
    cr_assert_eq(n, 0, "wrote %zu bytes before refusing", n);
    cr_assert_null(strchr(err.msg, '\n'), "message spans lines: %s", err.msg);
    for (; *want; want++)
        cr_assert_not_null(strstr(err.msg, *want), "'%s' not in: %s", *want, err.msg);
    free(buf);
    /* A NULL rb_error is allowed. */
    FILE *g = fopen("/dev/null", "w");
    cr_assert_not_null(g);
    cr_assert_eq(rb_synth_write(o, g, NULL), RB_ERR_USAGE);
    fclose(g);
}

Test(synth, unknown_preset)
{
    rb_synth_options o;
    rb_synth_options_init(&o);
    o.preset = "stocks";
    expect_usage(&o, (const char *[]){"unknown preset", "\"stocks\"", "crypto", NULL});
    o.preset = NULL;
    expect_usage(&o, (const char *[]){"preset", "crypto", NULL});
}

Test(synth, days_out_of_range)
{
    rb_synth_options o;
    rb_synth_options_init(&o);
    int bad[] = {0, 1, -5, 100001};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.days = bad[i];
        char got[32];
        snprintf(got, sizeof got, "got %d", bad[i]);
        expect_usage(&o, (const char *[]){"days", "between 2 and 100000", got, NULL});
    }
}

Test(synth, start_not_midnight)
{
    rb_synth_options o;
    rb_synth_options_init(&o);
    o.start = 1546300801;
    expect_usage(&o, (const char *[]){"start", "1546300801", "midnight", NULL});
    o.start = -3600; /* 1969-12-31 23:00 */
    expect_usage(&o, (const char *[]){"start", "-3600", "midnight", NULL});
}

Test(synth, start_out_of_years)
{
    rb_synth_options o;
    rb_synth_options_init(&o);
    o.start = 253402214400LL; /* 9999-12-31: one day fits, two do not */
    o.days = 2;
    expect_usage(&o, (const char *[]){"start", "0001..9999", NULL});
    o.start = -62135596800LL - 86400; /* 0000-12-31 */
    expect_usage(&o, (const char *[]){"start", "0001..9999", NULL});
    o.start = 253402214400LL - 86400; /* the last two days of 9999 are fine */
    char *csv = synth_mem(&o, NULL);
    cr_assert_not_null(strstr(csv, "\nUSDS,9999-12-31,"), "%s", csv);
    free(csv);
}

Test(synth, write_error_is_io)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f) cr_skip_test("/dev/full is not available");
    rb_synth_options o;
    rb_synth_options_init(&o);
    rb_error err = {0};
    rb_status st = rb_synth_write(&o, f, &err);
    fclose(f);
    cr_assert_eq(st, RB_ERR_IO, "status %d: %s", st, err.msg);
    cr_assert_not_null(strstr(err.msg, "synth"), "%s", err.msg);
    cr_assert_null(strchr(err.msg, '\n'));
}

/* ---------------------------------------------------------------- the bundled file */

Test(synth, bundled_file_is_the_default_output)
{
    char *bundled = rbt_source_path("data/bundled/crypto_daily.csv");
    char *dir = rbt_tempdir();
    char *path = rbt_path(dir, "crypto_daily.csv");
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    rb_synth_options o;
    rb_synth_options_init(&o);
    rb_error err = {0};
    cr_assert_eq(rb_synth_write(&o, f, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(fclose(f), 0);
    size_t n = 0;
    char *text = rbt_read_file(bundled, &n);
    cr_assert_not_null(text, "cannot read %s", bundled);
    cr_assert_lt(n, 500000, "%s is %zu bytes", bundled, n);
    cr_assert(rbt_same_bytes(path, bundled), "%s differs from the default synth output", bundled);
    free(text);
    rbt_rmtree(dir);
    free(path);
    free(dir);
    free(bundled);
}
