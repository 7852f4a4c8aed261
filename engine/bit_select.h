/* bit_select.h - take ? a : b, for take 0 or 1, made on the bits. In a loop over lanes or
 * configurations that gcc vectorizes, `x = take ? a : x` of an array becomes a store under a
 * mask (in the metric accumulator also behind a branch that skips it when no lane takes a),
 * and the next load of x waits for that store: a load is not forwarded from a masked store.
 * Made on the bits, the selection is stored whole, and forwarded. The value is the same as
 * the conditional's. Internal. */
#ifndef RB_BIT_SELECT_H
#define RB_BIT_SELECT_H

#include <stdint.h>
#include <string.h>

static inline int64_t rb_pick_bits(int64_t take, int64_t a, int64_t b)
{
    int64_t m = -take;
    return (a & m) | (b & ~m);
}

static inline double rb_pick_real(int64_t take, double a, double b)
{
    int64_t ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    int64_t r = rb_pick_bits(take, ia, ib);
    double out;
    memcpy(&out, &r, sizeof out);
    return out;
}

#endif /* RB_BIT_SELECT_H */
