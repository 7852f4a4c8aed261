/* synth.c - the deterministic synthetic price generator (rb_synth_write): a table of presets
 * and a seeded model of 24/7 daily crypto bars (a common market factor, Student-t shocks,
 * calm/storm volatility regimes) plus a USD stablecoin with one short de-peg episode; and the
 * dated series that go with that market (rb_synth_options.series): the gas per transaction,
 * which spikes in storms and on large moves, and each asset's pool depth, which shrinks as
 * its volatility rises. */
#include "date.h"
#include "error.h"
#include "rebal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* 24/7 markets: one bar per calendar day, annualized over 365 days. */
#define DAYS_PER_YEAR 365.0
#define MIN_DAYS 2
#define MAX_DAYS 100000
/* Bars must lie in years 0001..9999 so that every date prints as YYYY-MM-DD. */
#define FIRST_TIME INT64_C(-62135596800) /* 0001-01-01 */
#define LAST_TIME INT64_C(253402214400)  /* 9999-12-31 */

#define MAX_COINS 8
#define CALM 0
#define STORM 1

/* ---------------------------------------------------------------- preset tables */

/* A volatile coin: log price = drift + regime volatility x (market factor + own shock). */
typedef struct synth_coin {
    const char *symbol;
    double price0;       /* USD: the close before the first bar */
    double vol[2];       /* annualized volatility of log returns, calm and storm (0.45 = 45 %) */
    double drift[2];     /* expected log growth per year, calm and storm */
    double loading;      /* correlation of the unit shock with the market factor */
    double volume0;      /* USD per day in a calm regime while the price is price0 */
    double volume_price; /* elasticity: volume scales as (price / price0)^volume_price */
    double pool_depth;   /* the series depth-SYM: the pool's quote reserve (USD) in calm markets */
} synth_coin;

/* A stablecoin: an Ornstein-Uhlenbeck deviation around the peg, and one de-peg episode. */
typedef struct synth_stable {
    const char *symbol;
    double peg;       /* USD */
    double reversion; /* fraction of yesterday's deviation kept today (AR(1) coefficient) */
    double noise[2];  /* daily standard deviation of the deviation, calm and storm (USD) */
    double depeg_min; /* deepest close of the episode, drawn uniformly in [min, max] (USD) */
    double depeg_max;
    double volume0;      /* USD per day in a calm regime */
    double depeg_volume; /* volume multiple on the trough day of the de-peg */
    double pool_depth;   /* the series depth-SYM: the pool's quote reserve (USD) in calm markets */
} synth_stable;

typedef struct synth_preset {
    const char *name;
    const synth_coin *coins;
    size_t ncoins;
    const synth_stable *stable; /* written after the coins; may be NULL */
    int tail_dof;               /* degrees of freedom of the Student-t shocks (> 2) */
    double p_storm;             /* daily probability that a calm market turns stormy */
    double p_calm;              /* daily probability that a storm ends */
    double open_noise;          /* sd of log(open / previous close): exchange snapshot jitter */
    double volume_noise;        /* sd of log volume around its model value */
    double volume_storm;        /* volume multiple in a storm */
    double volume_shock;        /* volume multiple per unit |shock| on the day */
} synth_preset;

/* Start prices are those of early 2019; volatilities are near the realized 2019-2022 ones
 * (on average BTC about 65 % a year, ETH 85 %, SOL 115 %). With storms a quarter of the
 * time, the expected log growth is 0.30 a year for BTC, 0.35 for ETH and 0.45 for SOL:
 * rallies in calm markets, sell-offs in storms. */
static const synth_coin crypto_coins[] = {
    {"BTC", 3700.0, {0.45, 1.10}, {0.65, -0.75}, 0.95, 8.0e9, 0.6, 5.0e6},
    {"ETH", 130.0, {0.60, 1.40}, {0.75, -0.85}, 0.83, 3.5e9, 0.6, 3.0e6},
    {"SOL", 1.50, {0.80, 1.80}, {0.95, -1.05}, 0.78, 3.5e8, 0.6, 1.0e6},
};

/* USDS: about 0.1 % daily noise around 1 USD, and a de-peg to about 0.97. */
static const synth_stable crypto_stable = {
    .symbol = "USDS",
    .peg = 1.0,
    .reversion = 0.6,
    .noise = {0.0008, 0.0016},
    .depeg_min = 0.965,
    .depeg_max = 0.975,
    .volume0 = 2.2e9,
    .depeg_volume = 9.0,
    .pool_depth = 2.0e7,
};

static const synth_preset presets[] = {
    {
        .name = "crypto",
        .coins = crypto_coins,
        .ncoins = sizeof crypto_coins / sizeof crypto_coins[0],
        .stable = &crypto_stable,
        .tail_dof = 4,
        .p_storm = 1.0 / 120.0, /* calm spells last 120 days on average */
        .p_calm = 1.0 / 40.0,   /* storms last 40 days on average: 25 % of the time */
        .open_noise = 0.0005,
        .volume_noise = 0.25,
        .volume_storm = 1.6,
        .volume_shock = 0.5,
    },
};
#define NPRESETS (sizeof presets / sizeof presets[0])

_Static_assert(sizeof crypto_coins / sizeof crypto_coins[0] <= MAX_COINS, "raise MAX_COINS");

/* Close of the de-peg episode relative to its deepest point, day by day from its first day:
 * a drop, the trough, then a recovery within days. */
static const double depeg_profile[] = {0.6, 1.0, 0.55, 0.25, 0.1, 0.04};
#define DEPEG_DAYS ((int)(sizeof depeg_profile / sizeof depeg_profile[0]))

/* ---------------------------------------------------------------- deterministic numerics */

/* The generator uses only IEEE basic operations and sqrt, floor, fabs, fmin, fmax, frexp and
 * ldexp (all exactly specified), so its output does not depend on the platform's libm: log
 * and exp are computed here. */

static const double LN2_HI = 6.93147180369123816490e-01; /* ln 2 with trailing zero bits */
static const double LN2_LO = 1.90821492927058770002e-10; /* ln 2 - LN2_HI */

/* Natural log of a positive finite x, within a few ulp. */
static double det_log(double x)
{
    int e;
    double m = frexp(x, &e); /* x = m * 2^e, m in [0.5, 1) */
    if (m < 0.70710678118654752440) {
        m *= 2.0;
        e--;
    }
    /* log m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...) with |s| <= 0.172; 13 terms leave
     * an error below 1e-19. */
    double s = (m - 1.0) / (m + 1.0), s2 = s * s, p = 1.0 / 25.0;
    for (int k = 11; k >= 1; k--) p = p * s2 + 1.0 / (2 * k + 1);
    double logm = 2.0 * s + 2.0 * s * (s2 * p);
    return (double)e * LN2_HI + (logm + (double)e * LN2_LO);
}

/* e^x, within about 1 ulp; the argument is limited to where the result is a finite normal. */
static double det_exp(double x)
{
    if (x > 709.0) x = 709.0;
    if (x < -708.0) x = -708.0;
    double k = floor(x / (LN2_HI + LN2_LO) + 0.5);
    double r = (x - k * LN2_HI) - k * LN2_LO; /* |r| <= 0.35 */
    double p = 1.0;                           /* Taylor series to r^16: error below 1e-19 */
    for (int n = 16; n >= 1; n--) p = 1.0 + p * r / n;
    return ldexp(p, (int)k);
}

/* ---------------------------------------------------------------- random numbers */

/* xoshiro256** seeded through splitmix64 (Blackman and Vigna); the state lives in the
 * caller's frame, so generation is reentrant. */
typedef struct rng {
    uint64_t s[4];
    double spare; /* the second normal of the last polar pair */
    int has_spare;
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0.0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform on [0, 1) with 53 random bits. */
static double rng_uniform(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* Uniform on (0, 1]: safe to take the log of. */
static double rng_uniform_pos(rng *r) { return (double)((rng_next(r) >> 11) + 1) * 0x1.0p-53; }

/* Standard normal by Marsaglia's polar method. */
static double rng_normal(rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * rng_uniform(r) - 1.0;
        v = 2.0 * rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * det_log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}

/* Student-t with dof (> 2) degrees of freedom, scaled to unit variance:
 * Z / sqrt(chi2 / dof) * sqrt((dof - 2) / dof), chi2 a sum of dof squared normals. */
static double rng_student_t(rng *r, int dof)
{
    double z = rng_normal(r), chi2;
    do {
        chi2 = 0.0;
        for (int k = 0; k < dof; k++) {
            double g = rng_normal(r);
            chi2 += g * g;
        }
    } while (chi2 == 0.0);
    return z / sqrt(chi2 / dof) * sqrt((dof - 2.0) / dof);
}

/* A high and low around a bar: the maximum and minimum of a Brownian bridge in log price
 * from 0 to x with total variance sd^2 (inverse of P(max > m) = exp(-2 m (m - x) / sd^2)).
 * The two extremes are drawn independently. */
static void bridge_extremes(rng *r, double x, double sd, double *up, double *down)
{
    double a = sqrt(x * x - 2.0 * sd * sd * det_log(rng_uniform_pos(r)));
    double b = sqrt(x * x - 2.0 * sd * sd * det_log(rng_uniform_pos(r)));
    *up = 0.5 * (x + a);   /* >= max(0, x) */
    *down = 0.5 * (x - b); /* <= min(0, x) */
}

/* ---------------------------------------------------------------- output */

/* YYYY-MM-DD of a day count since 1970-01-01; the caller keeps the year within 1..9999. */
static void format_day(int64_t days, char buf[16])
{
    int y;
    unsigned m, d;
    rb_civil_from_days(days, &y, &m, &d);
    const char digits[] = "0123456789";
    buf[0] = digits[y / 1000 % 10];
    buf[1] = digits[y / 100 % 10];
    buf[2] = digits[y / 10 % 10];
    buf[3] = digits[y % 10];
    buf[4] = '-';
    buf[5] = digits[m / 10];
    buf[6] = digits[m % 10];
    buf[7] = '-';
    buf[8] = digits[d / 10];
    buf[9] = digits[d % 10];
    buf[10] = '\0';
}

static int write_bar(FILE *out, const char *symbol, const char *date, double open, double high,
                     double low, double close, double volume_usd)
{
    /* %.10g keeps 10 significant digits whatever the price level; rounding is monotone, so
     * low <= open, close <= high still hold for the printed values. Volume is written in
     * units of the asset (coins), as OHLCV data counts it, from the USD turnover modelled. */
    return fprintf(out, "%s,%s,%.10g,%.10g,%.10g,%.10g,%.0f\n", symbol, date, open, high, low,
                   close, volume_usd / close) < 0;
}

/* ---------------------------------------------------------------- series */

/* The series of a preset, each a date,value CSV (rb_synth_options.series):
 *   gas        USD per transaction: GAS_BASE with lognormal day-to-day noise, GAS_STORM times
 *              that in a storm, and a spike on a day the market factor moves more than
 *              GAS_CALM_MOVE standard deviations: 1 + GAS_SPIKE per deviation beyond it.
 *   depth-SYM  the quote reserve of SYM's pool: pool_depth times (calm sd / sd now)^1.5,
 *              within [DEPTH_MIN, DEPTH_MAX] of it, with lognormal noise; "sd now" is the
 *              EWMA (DEPTH_LAMBDA) of the coin's squared daily log returns, started at its
 *              calm variance. The stablecoin's pool follows the first coin's volatility (the
 *              market's) and loses up to DEPEG_DRAIN of its depth through the de-peg.
 *   funding-SYM  the perpetual funding rate of coin SYM per 8 hours: FUNDING_BASE (the usual
 *              interest component) plus FUNDING_TREND times the EWMA (FUNDING_LAMBDA) of the
 *              coin's daily log returns, within +-FUNDING_CAP: positive in rallies (longs
 *              crowd in and pay), negative in crashes. No random draw: the other series keep
 *              their bytes.
 * They draw from a stream of their own (the seed through SERIES_STREAM), every series every
 * day whichever is written: the prices are the same bytes with or without them. */
#define SERIES_STREAM UINT64_C(0x5345524945530001)
#define GAS_BASE 2.0
#define GAS_NOISE 0.3
#define GAS_STORM 2.5
#define GAS_CALM_MOVE 1.5
#define GAS_SPIKE 0.75
#define DEPTH_LAMBDA 0.94
#define DEPTH_POWER 1.5
#define DEPTH_MIN 0.15
#define DEPTH_MAX 1.25
#define DEPTH_NOISE 0.05
#define DEPEG_DRAIN 0.7
#define FUNDING_BASE 0.0001
#define FUNDING_TREND 0.05
#define FUNDING_LAMBDA 0.9
#define FUNDING_CAP 0.003

typedef struct series_state {
    int which;                 /* 0: gas; 1 + i: coin i's pool; 1 + ncoins: the stablecoin's */
    rng r;
    double var[MAX_COINS];     /* EWMA of each coin's squared daily log returns */
    double calm_var[MAX_COINS]; /* the calm regime's daily variance */
    double trend[MAX_COINS];   /* EWMA of each coin's daily log returns (funding-SYM) */
} series_state;

/* Which series `name` is of preset p (*which), or 0 when none is so named. */
static int find_series(const synth_preset *p, const char *name, int *which)
{
    char own[RB_SYMBOL_MAX];
    if (strcmp(name, "gas") == 0) return *which = 0, 1;
    for (size_t i = 0; i <= p->ncoins; i++) {
        const char *sym = i < p->ncoins ? p->coins[i].symbol : p->stable ? p->stable->symbol : NULL;
        if (!sym) continue;
        snprintf(own, sizeof own, "depth-%s", sym);
        if (strcmp(name, own) == 0) return *which = 1 + (int)i, 1;
    }
    for (size_t i = 0; i < p->ncoins; i++) {
        snprintf(own, sizeof own, "funding-%s", p->coins[i].symbol);
        if (strcmp(name, own) == 0) return *which = 2 + (int)(p->ncoins + i), 1;
    }
    return 0;
}

static void series_start(const synth_preset *p, const rb_synth_options *opt, int which, series_state *ss)
{
    ss->which = which;
    rng_seed(&ss->r, opt->seed ^ SERIES_STREAM);
    for (size_t i = 0; i < p->ncoins; i++) {
        double sd = p->coins[i].vol[CALM] / sqrt(DAYS_PER_YEAR);
        ss->calm_var[i] = ss->var[i] = sd * sd;
        ss->trend[i] = 0;
    }
}

/* exp(sd z - sd^2 / 2): lognormal noise of mean 1. */
static double noise(rng *r, double sd) { return det_exp(sd * rng_normal(r) - 0.5 * sd * sd); }

/* A pool's depth at the variance ratio var / calm (> 0). */
static double pool_depth(double depth0, double var, double calm, double z)
{
    double shrink = det_exp(-0.5 * DEPTH_POWER * det_log(var / calm));
    return depth0 * fmin(DEPTH_MAX, fmax(DEPTH_MIN, shrink)) * z;
}

/* The day's value of every series from the day's market (regime, factor, each coin's log
 * return, the de-peg's share of its trough); writes the chosen one. Nonzero on a write error. */
static int series_day(const synth_preset *p, series_state *ss, int regime, double factor, const double *ret,
                      double depeg_share, const char *date, FILE *out)
{
    double move = fabs(factor) - GAS_CALM_MOVE;
    double value[2 * MAX_COINS + 2];
    value[0] = GAS_BASE * (regime == STORM ? GAS_STORM : 1.0) * (1.0 + GAS_SPIKE * fmax(0.0, move)) *
               noise(&ss->r, GAS_NOISE);
    for (size_t i = 0; i < p->ncoins; i++) {
        ss->var[i] = DEPTH_LAMBDA * ss->var[i] + (1.0 - DEPTH_LAMBDA) * ret[i] * ret[i];
        value[1 + i] = pool_depth(p->coins[i].pool_depth, ss->var[i], ss->calm_var[i], noise(&ss->r, DEPTH_NOISE));
    }
    if (p->stable)
        value[1 + p->ncoins] = pool_depth(p->stable->pool_depth, ss->var[0], ss->calm_var[0],
                                          noise(&ss->r, DEPTH_NOISE)) *
                               (1.0 - DEPEG_DRAIN * depeg_share);
    for (size_t i = 0; i < p->ncoins; i++) {
        ss->trend[i] = FUNDING_LAMBDA * ss->trend[i] + (1.0 - FUNDING_LAMBDA) * ret[i];
        value[2 + p->ncoins + i] = fmax(-FUNDING_CAP, fmin(FUNDING_CAP, FUNDING_BASE + FUNDING_TREND * ss->trend[i]));
    }
    return fprintf(out, "%s,%.10g\n", date, value[ss->which]) < 0;
}

/* ---------------------------------------------------------------- options */

void rb_synth_options_init(rb_synth_options *opt)
{
    if (!opt) return;
    opt->preset = "crypto";
    opt->seed = 1;
    opt->start = INT64_C(1546300800); /* 2019-01-01 */
    opt->days = 1461;                 /* through 2022-12-31 */
    opt->series = NULL;
}

static const synth_preset *find_preset(const char *name)
{
    for (size_t i = 0; i < NPRESETS; i++)
        if (strcmp(presets[i].name, name) == 0) return &presets[i];
    return NULL;
}

static rb_status unknown_preset(const char *name, rb_error *err)
{
    char known[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < NPRESETS && used < sizeof known; i++)
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                                 presets[i].name);
    if (!name)
        return rb_fail(err, RB_ERR_USAGE, "synth: no preset given (known presets: %s)", known);
    return rb_fail(err, RB_ERR_USAGE, "synth: unknown preset \"%s\" (known presets: %s)", name,
                   known);
}

/* "synth: unknown series ... (the crypto preset writes gas, depth-BTC, ...)". */
static rb_status unknown_series(const synth_preset *p, const char *name, rb_error *err)
{
    char known[256] = "gas";
    for (size_t i = 0; i <= p->ncoins; i++) {
        const char *sym = i < p->ncoins ? p->coins[i].symbol : p->stable ? p->stable->symbol : NULL;
        size_t used = strlen(known);
        if (sym) snprintf(known + used, sizeof known - used, ", depth-%s", sym);
    }
    for (size_t i = 0; i < p->ncoins; i++) {
        size_t used = strlen(known);
        snprintf(known + used, sizeof known - used, ", funding-%s", p->coins[i].symbol);
    }
    return rb_fail(err, RB_ERR_USAGE, "synth: unknown series \"%s\" (the %s preset writes %s)", name, p->name, known);
}

static rb_status check_options(const rb_synth_options *opt, const synth_preset **preset, int *which,
                               rb_error *err)
{
    const synth_preset *p = opt->preset ? find_preset(opt->preset) : NULL;
    if (!p) return unknown_preset(opt->preset, err);
    if (opt->days < MIN_DAYS || opt->days > MAX_DAYS)
        return rb_fail(err, RB_ERR_USAGE, "synth: days must be between %d and %d, got %d", MIN_DAYS,
                       MAX_DAYS, opt->days);
    if (opt->start % RB_SECONDS_PER_DAY != 0)
        return rb_fail(err, RB_ERR_USAGE,
                       "synth: start %" PRId64 " is not a midnight UTC "
                       "(a multiple of 86400 seconds since 1970-01-01)",
                       (int64_t)opt->start);
    if (opt->start < FIRST_TIME ||
        opt->start > LAST_TIME - (int64_t)(opt->days - 1) * RB_SECONDS_PER_DAY)
        return rb_fail(err, RB_ERR_USAGE,
                       "synth: start %" PRId64 " with %d days leaves the years 0001..9999",
                       (int64_t)opt->start, opt->days);
    if (opt->series && !find_series(p, opt->series, which)) return unknown_series(p, opt->series, err);
    *preset = p;
    return RB_OK;
}

/* ---------------------------------------------------------------- generator */

/* Writes the preset's history: for each day, one row per coin in table order, then the
 * stablecoin; or, with ss, the day's value of one series instead. Every random draw happens
 * in a fixed order, so the bytes depend only on the options. Returns nonzero when a write
 * fails. */
static int generate(const synth_preset *p, const rb_synth_options *opt, series_state *ss, FILE *out)
{
    rng r;
    rng_seed(&r, opt->seed);
    const int days = opt->days;
    const int64_t day0 = opt->start / RB_SECONDS_PER_DAY;

    double close[MAX_COINS];
    for (size_t i = 0; i < p->ncoins; i++) close[i] = p->coins[i].price0;

    /* The de-peg episode starts on a day drawn in the middle three fifths of the history;
     * its trough close is drawn too. Drawn first, so it does not depend on the path. */
    const synth_stable *st = p->stable;
    int depeg_start = days / 5 + (int)(rng_uniform(&r) * (double)(days - 2 * (days / 5)));
    double depeg_depth = 0.0; /* USD below the peg at the trough */
    if (st)
        depeg_depth = st->peg - (st->depeg_min + (st->depeg_max - st->depeg_min) * rng_uniform(&r));
    double stable_dev = 0.0; /* USD: the mean-reverting part of close - peg */
    double stable_close = st ? st->peg : 0.0;

    int regime = CALM; /* the history opens in a calm market */
    char date[16];
    double ret_of[MAX_COINS]; /* the day's log return of each coin, for the series */
    for (int t = 0; t < days; t++) {
        if (t > 0) {
            double u = rng_uniform(&r);
            if (regime == CALM && u < p->p_storm)
                regime = STORM;
            else if (regime == STORM && u < p->p_calm)
                regime = CALM;
        }
        format_day(day0 + t, date);

        /* The market factor all coins share (unit variance, fat-tailed). */
        double factor = rng_student_t(&r, p->tail_dof);
        double volume_regime = regime == STORM ? p->volume_storm : 1.0;

        for (size_t i = 0; i < p->ncoins; i++) {
            const synth_coin *c = &p->coins[i];
            double own = rng_student_t(&r, p->tail_dof);
            double shock = c->loading * factor + sqrt(1.0 - c->loading * c->loading) * own;
            double sd = c->vol[regime] / sqrt(DAYS_PER_YEAR); /* daily, log units */
            double ret = c->drift[regime] / DAYS_PER_YEAR + sd * shock;
            double gap = p->open_noise * rng_normal(&r); /* log(open / previous close) */
            double open = close[i] * det_exp(gap);
            double cl = close[i] * det_exp(ret);
            double up, down;
            bridge_extremes(&r, ret - gap, sd, &up, &down);
            double high = fmax(open * det_exp(up), fmax(open, cl));
            double low = fmin(open * det_exp(down), fmin(open, cl));
            double volume =
                c->volume0 * det_exp(c->volume_price * det_log(cl / c->price0)) * volume_regime *
                (1.0 + p->volume_shock * fabs(shock)) *
                det_exp(p->volume_noise * rng_normal(&r) - 0.5 * p->volume_noise * p->volume_noise);
            close[i] = cl;
            ret_of[i] = ret;
            if (!ss && write_bar(out, c->symbol, date, open, high, low, cl, volume)) return 1;
        }

        if (st) {
            int k = t - depeg_start;
            double depeg = k >= 0 && k < DEPEG_DAYS ? depeg_depth * depeg_profile[k] : 0.0;
            stable_dev = st->reversion * stable_dev + st->noise[regime] * rng_normal(&r);
            double cl = st->peg + stable_dev - depeg;
            /* The open is the previous close within a tenth of the calm noise (USD). */
            double open = stable_close + 0.1 * st->noise[CALM] * rng_normal(&r);
            /* Intraday swings (USD): wide while the peg is under stress. */
            double sd = depeg > 0.0 ? 0.5 * depeg_depth : 1.5 * st->noise[regime];
            double up, down;
            bridge_extremes(&r, cl - open, sd, &up, &down);
            double high = fmax(open + up, fmax(open, cl));
            double low = fmin(open + down, fmin(open, cl));
            double volume =
                st->volume0 * volume_regime * (1.0 + p->volume_shock * fabs(factor)) *
                (1.0 + (st->depeg_volume - 1.0) * (depeg_depth > 0.0 ? depeg / depeg_depth : 0.0)) *
                det_exp(p->volume_noise * rng_normal(&r) - 0.5 * p->volume_noise * p->volume_noise);
            stable_close = cl;
            if (!ss && write_bar(out, st->symbol, date, open, high, low, cl, volume)) return 1;
        }
        double depeg_share = st && depeg_depth > 0.0 && t >= depeg_start && t - depeg_start < DEPEG_DAYS
                                 ? depeg_profile[t - depeg_start]
                                 : 0.0;
        if (ss && series_day(p, ss, regime, factor, ret_of, depeg_share, date, out)) return 1;
    }
    return 0;
}

rb_status rb_synth_write(const rb_synth_options *opt, FILE *out, rb_error *err)
{
    if (!opt || !out)
        return rb_fail(err, RB_ERR_USAGE, "synth: %s is NULL", !opt ? "options" : "output stream");
    const synth_preset *p = NULL;
    int which = 0;
    rb_status st = check_options(opt, &p, &which, err);
    if (st != RB_OK) return st;
    series_state ss;
    if (opt->series) series_start(p, opt, which, &ss);
    const char *header = opt->series ? "date,value\n" : "symbol,date,open,high,low,close,volume\n";
    errno = 0;
    if (fputs(header, out) < 0 || generate(p, opt, opt->series ? &ss : NULL, out) ||
        fflush(out) != 0 || ferror(out))
        return rb_fail(err, RB_ERR_IO, "synth: writing the CSV failed: %s",
                       errno ? strerror(errno) : "stream error");
    return RB_OK;
}
