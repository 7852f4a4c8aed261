/* impact_inputs.c - the rolling statistics of the bars that the square-root impact model
 * and the volatility rules read: each asset's stdev of log returns and mean volume over a
 * window of bars, and the exponentially weighted volatility of --vol-model ewma
 * (impact_inputs.h). Statistics of the matrix alone, so they live in data/. */
#include "impact_inputs.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "alloc.h"

static inline int nonneg(double x) { return (x >= 0.0) & (x <= DBL_MAX); }

/* What a run of bars adds to a window: its log returns as shifted sums (count, sum of r - K,
 * sum of (r - K)^2 for the window's shift K) and the volumes of its real bars with a known
 * volume (count, sum). Only sums of the run's own terms: no running subtraction. */
typedef struct run_sums {
    double n, s1, s2; /* log returns, shifted by K */
    double vn, vsum;  /* volumes */
} run_sums;

static double log_return(const rb_matrix *m, size_t t, size_t i)
{
    size_t k = t * m->N + i;
    return log(m->close[k] / m->close[k - m->N]);
}

/* Adds bar t of column i: its return (t >= 1) shifted by K, and its volume when the bar is
 * real and the volume known. */
static void add_bar(run_sums *s, const rb_matrix *m, size_t t, size_t i, double K)
{
    size_t k = t * m->N + i;
    if (t > 0) {
        double x = log_return(m, t, i) - K;
        s->n += 1.0;
        s->s1 += x;
        s->s2 += x * x;
    }
    if (!m->filled[k] && !isnan(m->volume[k])) {
        s->vn += 1.0;
        s->vsum += m->volume[k];
    }
}

/* The shift of the windows that end in block b (bars b w .. b w + w - 1): the return of
 * the block's first bar (bar 1 for block 0). Every such window contains that bar, so the
 * shift is one of the window's own returns and lies within sqrt(n - 1) (population) standard
 * deviations of their mean (Samuelson's inequality): s2 - s1^2 / n then cancels at most a
 * factor ~n, however large the mean return is against its spread (a strong trend, a flat
 * stablecoin), where unshifted sums of r and r^2 would cancel a factor 1 + mean^2 / var. */
static double block_shift(const rb_matrix *m, size_t b, size_t w, size_t i)
{
    size_t first = b * w > 1 ? b * w : 1;
    return first < m->T ? log_return(m, first, i) : 0.0;
}

static const char *column_name(const rb_matrix *m, size_t i, char buf[32])
{
    if (m->symbols && m->symbols[i]) return m->symbols[i];
    snprintf(buf, 32, "column %zu", i);
    return buf;
}

/* Closes must be positive (their logs are taken) and known volumes of real bars 0 or more;
 * the loader guarantees both, a hand-built matrix may not. */
static rb_status check_matrix(const rb_matrix *m, rb_error *err)
{
    for (size_t t = 0; t < m->T; t++)
        for (size_t i = 0; i < m->N; i++) {
            size_t k = t * m->N + i;
            double c = m->close[k], v = m->volume[k];
            char name[32], when[32];
            if (!(c > 0.0 && c <= DBL_MAX))
                return rb_fail(err, RB_ERR_DATA, "%s has close %g at bar %zu (%s): the impact model needs positive closes",
                               column_name(m, i, name), c, t, m->time ? rb_time_format(m->time[t], when) : "?");
            if (!m->filled[k] && !isnan(v) && !nonneg(v))
                return rb_fail(err, RB_ERR_DATA, "%s has volume %g at bar %zu (%s): volumes must be 0 or more",
                               column_name(m, i, name), v, t, m->time ? rb_time_format(m->time[t], when) : "?");
        }
    return RB_OK;
}

/* Sliding windows without running subtraction (van Herk / Gil-Werman): the time axis is cut
 * into blocks of `window` bars; a window ending at t is either the prefix of t's block up to
 * t, or the suffix of the previous block from t - window + 1 plus that prefix. A backward
 * pass builds the suffixes, a forward pass the prefixes: O(T) per asset, and each window's
 * sums hold only its own terms, so a huge volume or return that has left the window leaves
 * no rounding residue behind (as a running add-and-subtract sum would). The window of bar t
 * is bars max(0, t - window + 1) .. t; bar 0 has no return, so the returns are those of bars
 * max(1, t - window + 1) .. t, as costs.h states. Forward-filled bars add their (zero)
 * return to sigma, as costs.h states, and nothing to ADV. */
rb_status rb_impact_inputs(const rb_matrix *m, int window, double *sigma, double *adv, rb_error *err)
{
    if (window < 2) return rb_fail(err, RB_ERR_USAGE, "--impact-window must be at least 2 (got %d)", window);
    if (!m || !sigma || !adv)
        return rb_fail(err, RB_ERR_USAGE, "rb_impact_inputs: the matrix and both output arrays are required");
    size_t T = m->T, N = m->N, w = (size_t)window;
    if (T == 0 || N == 0) return RB_OK;
    if (!m->close || !m->volume || !m->filled)
        return rb_fail(err, RB_ERR_USAGE, "rb_impact_inputs: the matrix has no closes, volumes or fill flags");
    rb_status rc = check_matrix(m, err);
    if (rc != RB_OK) return rc;

    run_sums *suffix = rb_malloc(T * sizeof *suffix);
    if (!suffix)
        return rb_fail(err, RB_ERR_NOMEM, "out of memory for the impact model's rolling statistics (%zu bars)", T);

    for (size_t i = 0; i < N; i++) {
        /* suffix[t]: bars t .. the end of t's block, shifted like the windows that use it:
         * those end in the next block. */
        double K = 0.0;
        for (size_t t = T; t-- > 0;) {
            int block_end = t + 1 == T || (t + 1) % w == 0;
            run_sums s = {0};
            if (block_end) K = block_shift(m, t / w + 1, w, i);
            else s = suffix[t + 1];
            add_bar(&s, m, t, i, K);
            suffix[t] = s;
        }
        run_sums prefix = {0}; /* the start of t's block .. t */
        for (size_t t = 0; t < T; t++) {
            if (t % w == 0) {
                prefix = (run_sums){0};
                K = block_shift(m, t / w, w, i);
            }
            add_bar(&prefix, m, t, i, K);
            run_sums s = prefix;
            /* With t - w + 1 inside the previous block, add that block's tail. */
            if (t + 1 > w && (t + 1) % w != 0) {
                const run_sums *a = &suffix[t + 1 - w];
                s.n += a->n;
                s.s1 += a->s1;
                s.s2 += a->s2;
                s.vn += a->vn;
                s.vsum += a->vsum;
            }
            size_t k = t * N + i;
            sigma[k] = s.n >= 2.0 ? sqrt(fmax(s.s2 - s.s1 * s.s1 / s.n, 0.0) / (s.n - 1.0)) : 0.0;
            adv[k] = s.vn > 0.0 ? s.vsum / s.vn : NAN;
        }
    }
    free(suffix);
    return RB_OK;
}

/* The recursion runs on the variance; the seed at bar 2 weighs the first two returns alike
 * (the recursion started from r_1^2 alone would weigh r_1 by lambda, r_2 by 1 - lambda). */
rb_status rb_vol_ewma(const rb_matrix *m, double lambda, double *sigma, rb_error *err)
{
    if (!(lambda > 0 && lambda < 1))
        return rb_fail(err, RB_ERR_USAGE, "--vol-model ewma: LAMBDA must be above 0 and below 1 (got %g)", lambda);
    if (!m || !sigma) return rb_fail(err, RB_ERR_USAGE, "rb_vol_ewma: the matrix and the output array are required");
    size_t T = m->T, N = m->N;
    if (T == 0 || N == 0) return RB_OK;
    if (!m->close || !m->volume || !m->filled)
        return rb_fail(err, RB_ERR_USAGE, "rb_vol_ewma: the matrix has no closes, volumes or fill flags");
    rb_status rc = check_matrix(m, err);
    if (rc != RB_OK) return rc;
    for (size_t i = 0; i < N; i++) {
        double var = 0;
        for (size_t t = 0; t < T; t++) {
            double r = t > 0 ? log_return(m, t, i) : 0;
            if (t == 1) var = r * r;
            else if (t == 2) var = (var + r * r) / 2;
            else if (t > 2) var = lambda * var + (1 - lambda) * (r * r);
            sigma[t * N + i] = t >= 2 ? sqrt(var) : 0;
        }
    }
    return RB_OK;
}
