/* history.c - one resampled history as a price matrix the simulators replay: the real bar
 * times, calendar flags and CASH column, the other assets' closes rebuilt from resampled
 * returns starting at the real first closes. The spec's text and rb_resample_history. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "resample.h"

static int is_cash(const char *s) { return strcmp(s, RB_CASH) == 0; }

rb_status rb_history_alloc(const rb_matrix *m, rb_matrix *out, rb_error *err)
{
    *out = *m; /* symbols, time, flags and has_open are borrowed */
    out->block = NULL;
    out->block_bytes = 0;
    size_t cells = m->T > 0 && m->N > 0 ? m->T * m->N : 1;
    out->close = rb_malloc(cells * sizeof *out->close);
    out->open = rb_malloc(cells * sizeof *out->open);
    out->volume = rb_malloc(cells * sizeof *out->volume);
    out->growth = rb_malloc(cells * sizeof *out->growth);
    out->filled = rb_malloc(cells);
    if (!out->close || !out->open || !out->volume || !out->growth || !out->filled) {
        rb_history_release(out);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory for a resampled history of %zu bars x %zu assets", m->T,
                       m->N);
    }
    return RB_OK;
}

void rb_history_release(rb_matrix *out)
{
    free(out->close);
    free(out->open);
    free(out->volume);
    free(out->growth);
    free(out->filled);
    out->close = out->open = out->volume = out->growth = NULL;
    out->filled = NULL;
}

/* Bar t of the bootstrap: every non-cash asset takes the returns of real bar r (close to
 * close, and the open's gap over the previous close), its volume and forward-fill mark. */
static void bootstrap_bar(const rb_matrix *m, rb_matrix *o, size_t t, size_t r)
{
    const size_t N = m->N;
    for (size_t i = 0; i < N; i++) {
        size_t c = t * N + i, s = r * N + i;
        if (is_cash(m->symbols[i])) continue; /* set by the caller */
        double prev = o->close[c - N], real_prev = m->close[s - N];
        o->growth[c] = m->growth[s];
        o->close[c] = prev * m->growth[s];
        o->open[c] = prev * (m->open[s] / real_prev);
        o->volume[c] = m->volume[s];
        o->filled[c] = m->filled[s];
    }
}

/* Bar t of the GBM: log returns mu + chol z for the non-cash assets; no gap (the open is the
 * previous close), the real bar's volume, nothing forward-filled. */
static void gbm_bar(const rb_matrix *m, const rb_gbm_fit *fit, rb_rstream *s, size_t t, double *z, rb_matrix *o)
{
    const size_t N = m->N, n = fit->n;
    for (size_t a = 0; a < n; a++) z[a] = rb_rstream_normal(s);
    for (size_t a = 0; a < n; a++) {
        double x = fit->mu[a];
        for (size_t b = 0; b <= a; b++) x += fit->chol[a * n + b] * z[b];
        size_t c = t * N + fit->cols[a];
        double g = exp(x);
        o->growth[c] = g;
        o->open[c] = o->close[c - N];
        o->close[c] = o->close[c - N] * g;
        o->volume[c] = m->volume[c];
        o->filled[c] = 0;
    }
}

void rb_history_fill(const rb_matrix *m, const rb_resample_spec *spec, const rb_gbm_fit *fit, uint64_t h,
                     rb_matrix *out, size_t *rows, double *z)
{
    const size_t T = m->T, N = m->N;
    rb_rstream s;
    rb_rstream_init(&s, spec->seed, h);
    /* Bar 0 and the CASH column are the real ones: the first prices, and cash accruing by the
     * real calendar (the bars keep their dates). */
    memcpy(out->close, m->close, N * sizeof *out->close);
    memcpy(out->open, m->open, N * sizeof *out->open);
    memcpy(out->volume, m->volume, N * sizeof *out->volume);
    memcpy(out->growth, m->growth, N * sizeof *out->growth);
    memcpy(out->filled, m->filled, N);
    for (size_t i = 0; i < N; i++)
        if (is_cash(m->symbols[i]))
            for (size_t t = 1; t < T; t++) {
                size_t c = t * N + i;
                out->close[c] = m->close[c], out->open[c] = m->open[c], out->growth[c] = m->growth[c];
                out->volume[c] = m->volume[c], out->filled[c] = m->filled[c];
            }
    if (spec->method == RB_RESAMPLE_GBM) {
        for (size_t t = 1; t < T; t++) gbm_bar(m, fit, &s, t, z, out);
        return;
    }
    rb_bootstrap_rows(&s, T, spec->block_length, rows);
    for (size_t t = 1; t < T; t++) bootstrap_bar(m, out, t, rows[t]);
}

/* ---------------------------------------------------------------- the spec */

static rb_status parse_count(const char *p, char **end, uint64_t *out, rb_error *err, const char *text)
{
    errno = 0;
    unsigned long long v = strtoull(p, end, 10);
    if (*end == p || errno || *p == '-' || *p == '+' || v < 1 || v > RB_RESAMPLE_MAX_HISTORIES)
        return rb_fail(err, RB_ERR_USAGE,
                       "--resample: '%s': the number of histories must be a whole number from 1 to %d", text,
                       RB_RESAMPLE_MAX_HISTORIES);
    *out = v;
    return RB_OK;
}

rb_status rb_resample_parse(const char *text, rb_resample_spec *out, rb_error *err)
{
    static const char usage[] = "block-bootstrap:N:L (N histories, mean block length L bars) or gbm:N";
    rb_resample_spec s = *out;
    char *end;
    rb_status rc;
    if (!text) return rb_fail(err, RB_ERR_USAGE, "--resample: expected %s", usage);
    if (strncmp(text, "gbm:", 4) == 0) {
        if ((rc = parse_count(text + 4, &end, &s.histories, err, text)) != RB_OK) return rc;
        if (*end) return rb_fail(err, RB_ERR_USAGE, "--resample: '%s' is not %s", text, usage);
        s.method = RB_RESAMPLE_GBM;
        s.block_length = 0;
    } else if (strncmp(text, "block-bootstrap:", 16) == 0) {
        if ((rc = parse_count(text + 16, &end, &s.histories, err, text)) != RB_OK) return rc;
        if (*end != ':') return rb_fail(err, RB_ERR_USAGE, "--resample: '%s' is not %s", text, usage);
        const char *l = end + 1;
        errno = 0;
        double L = strtod(l, &end);
        if (end == l || *end || errno || !(L >= 1) || !isfinite(L) || L > 1e9)
            return rb_fail(err, RB_ERR_USAGE, "--resample: '%s': the mean block length L must be a number of bars >= 1",
                           text);
        s.method = RB_RESAMPLE_BOOTSTRAP;
        s.block_length = L;
    } else {
        return rb_fail(err, RB_ERR_USAGE, "--resample: '%s' is not a method: expected %s", text, usage);
    }
    *out = s;
    return RB_OK;
}

void rb_resample_text(const rb_resample_spec *spec, char *buf, size_t len)
{
    if (spec->method == RB_RESAMPLE_GBM) snprintf(buf, len, "gbm:%llu", (unsigned long long)spec->histories);
    else snprintf(buf, len, "block-bootstrap:%llu:%.17g", (unsigned long long)spec->histories, spec->block_length);
}

/* ---------------------------------------------------------------- one history, public */

rb_status rb_resample_history(const rb_matrix *m, const rb_resample_spec *spec, uint64_t h, rb_matrix **out,
                              rb_error *err)
{
    if (!m || !spec || !out) return rb_fail(err, RB_ERR_USAGE, "rb_resample_history: no matrix, spec or output");
    if (spec->method != RB_RESAMPLE_BOOTSTRAP && spec->method != RB_RESAMPLE_GBM)
        return rb_fail(err, RB_ERR_USAGE, "--resample: unknown method %d", (int)spec->method);
    if (h >= spec->histories)
        return rb_fail(err, RB_ERR_USAGE, "--resample: history %llu of %llu does not exist", (unsigned long long)h,
                       (unsigned long long)spec->histories);
    if (m->T < 2) return rb_fail(err, RB_ERR_DATA, "--resample: a history needs at least 2 bars (got %zu)", m->T);
    rb_gbm_fit fit = {0};
    rb_status rc = spec->method == RB_RESAMPLE_GBM ? rb_gbm_fit_matrix(m, &fit, err) : RB_OK;
    rb_matrix *r = rb_calloc(1, sizeof *r);
    size_t *rows = rb_malloc(m->T * sizeof *rows);
    double *z = rb_malloc((m->N ? m->N : 1) * sizeof *z);
    if (rc == RB_OK && (!r || !rows || !z)) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (rc == RB_OK) rc = rb_history_alloc(m, r, err);
    if (rc == RB_OK) {
        /* Its own copies of what the working histories borrow, for rb_matrix_free. */
        r->symbols = rb_calloc(m->N ? m->N : 1, sizeof *r->symbols);
        r->time = rb_malloc(m->T * sizeof *r->time);
        r->flags = rb_malloc(m->T * sizeof *r->flags);
        r->has_open = m->has_open ? rb_malloc(m->N ? m->N : 1) : NULL;
        int ok = r->symbols && r->time && r->flags && (!m->has_open || r->has_open);
        for (size_t i = 0; ok && i < m->N; i++) ok = (r->symbols[i] = rb_strdup(m->symbols[i])) != NULL;
        if (!ok) {
            rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        } else {
            memcpy(r->time, m->time, m->T * sizeof *r->time);
            memcpy(r->flags, m->flags, m->T * sizeof *r->flags);
            if (m->has_open) memcpy(r->has_open, m->has_open, m->N);
            rb_history_fill(m, spec, spec->method == RB_RESAMPLE_GBM ? &fit : NULL, h, r, rows, z);
        }
    }
    free(rows);
    free(z);
    rb_gbm_fit_free(&fit);
    if (rc != RB_OK) {
        if (r && r->close) rb_matrix_free(r); /* its arrays are its own by now */
        else free(r);
        return rc;
    }
    *out = r;
    return RB_OK;
}
