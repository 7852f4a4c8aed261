/* gbm.c - a multivariate geometric Brownian motion fitted to the real bars: the mean and the
 * covariance of the non-cash assets' log returns, and the Cholesky factor that turns
 * independent normals into returns with that covariance. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "resample.h"

void rb_gbm_fit_free(rb_gbm_fit *fit)
{
    if (!fit) return;
    free(fit->cols);
    free(fit->mu);
    free(fit->cov);
    free(fit->chol);
    memset(fit, 0, sizeof *fit);
}

/* Lower Cholesky factor of the n x n covariance a into l. A pivot at or below a tiny fraction
 * of the largest variance (a constant asset, or one the others replicate) gets a zero column:
 * that direction carries no variance of its own. */
static void cholesky(const double *a, size_t n, double *l)
{
    double scale = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i * n + i] > scale) scale = a[i * n + i];
    memset(l, 0, n * n * sizeof *l);
    for (size_t j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (size_t k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
        if (!(d > 1e-14 * scale)) continue; /* the column stays 0 */
        double root = sqrt(d);
        l[j * n + j] = root;
        for (size_t i = j + 1; i < n; i++) {
            double x = a[i * n + j];
            for (size_t k = 0; k < j; k++) x -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = x / root;
        }
    }
}

rb_status rb_gbm_fit_matrix(const rb_matrix *m, rb_gbm_fit *fit, rb_error *err)
{
    memset(fit, 0, sizeof *fit);
    if (m->T < 3) return rb_fail(err, RB_ERR_DATA, "--resample gbm: fitting needs at least 3 bars (got %zu)", m->T);
    size_t n = 0;
    fit->cols = rb_malloc((m->N ? m->N : 1) * sizeof *fit->cols);
    if (!fit->cols) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < m->N; i++)
        if (strcmp(m->symbols[i], RB_CASH) != 0) fit->cols[n++] = i;
    fit->n = n;
    fit->mu = rb_calloc(n ? n : 1, sizeof *fit->mu);
    fit->cov = rb_calloc(n > 0 ? n * n : 1, sizeof *fit->cov);
    fit->chol = rb_calloc(n > 0 ? n * n : 1, sizeof *fit->chol);
    if (!fit->mu || !fit->cov || !fit->chol) {
        rb_gbm_fit_free(fit);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    const size_t R = m->T - 1, N = m->N;
    for (size_t t = 1; t < m->T; t++)
        for (size_t a = 0; a < n; a++) fit->mu[a] += log(m->growth[t * N + fit->cols[a]]);
    for (size_t a = 0; a < n; a++) fit->mu[a] /= (double)R;
    for (size_t t = 1; t < m->T; t++)
        for (size_t a = 0; a < n; a++) {
            double xa = log(m->growth[t * N + fit->cols[a]]) - fit->mu[a];
            for (size_t b = 0; b <= a; b++) fit->cov[a * n + b] += xa * (log(m->growth[t * N + fit->cols[b]]) - fit->mu[b]);
        }
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b <= a; b++) fit->cov[b * n + a] = fit->cov[a * n + b] /= (double)(R - 1);
    cholesky(fit->cov, n, fit->chol);
    return RB_OK;
}
