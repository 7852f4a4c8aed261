/* csum.h - Neumaier's compensated sum (internal): running sums that add, and remove,
 * thousands of terms without letting rounding drift accumulate. */
#ifndef RB_CSUM_H
#define RB_CSUM_H

#include <math.h>

typedef struct csum {
    double s, c;
} csum;

/* The correction of one addition t = s + x: whichever of s and x is the larger in magnitude
 * loses the low bits, which (larger - t) + smaller recovers. Written as a choice between
 * the two values rather than a branch, so that a loop over many sums has no unpredictable
 * branch and vectorizes; the arithmetic is the same either way. */
static inline double csum_correction(double s, double x, double t)
{
    double big_s = (s - t) + x, big_x = (x - t) + s;
    return fabs(s) >= fabs(x) ? big_s : big_x;
}

static inline void csum_add(csum *a, double x)
{
    double t = a->s + x;
    a->c += csum_correction(a->s, x, t);
    a->s = t;
}

static inline double csum_value(const csum *a) { return a->s + a->c; }

#endif /* RB_CSUM_H */
