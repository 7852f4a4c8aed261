/* bootstrap.c - the stationary block bootstrap's rows (Politis and Romano, 1994): blocks of
 * consecutive real bars, each starting at a uniformly drawn bar, of geometric length with mean
 * L, wrapping around the end of the series (so every bar is drawn as often as any other). */
#include "resample.h"

void rb_bootstrap_rows(rb_rstream *s, size_t T, double block_length, size_t *row)
{
    const size_t R = T - 1; /* return rows 1 .. T-1 */
    const double p = 1.0 / block_length;
    row[0] = 0;
    for (size_t t = 1; t < T; t++) {
        /* One draw decides whether a block starts, a second where: the stream advances by the
         * same amount whatever happened before, so two histories never share draws. */
        double u = rb_rstream_uniform(s);
        size_t start = 1 + (size_t)(rb_rstream_uniform(s) * (double)R);
        if (start > R) start = R;
        if (t == 1 || u < p) row[t] = start;
        else row[t] = row[t - 1] == R ? 1 : row[t - 1] + 1;
    }
}
