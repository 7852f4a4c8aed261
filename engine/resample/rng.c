/* rng.c - the random stream of one resampled history (resample.h): splitmix64 (Steele, Lea
 * and Flood) over a counter, keyed by the seed and the history's index. */
#include <math.h>

#include "resample.h"

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

void rb_rstream_init(rb_rstream *s, uint64_t seed, uint64_t history)
{
    /* Two rounds: nearby seeds and histories give unrelated keys. */
    s->key = mix64(mix64(seed + UINT64_C(0x9E3779B97F4A7C15)) ^ (history * UINT64_C(0xD1B54A32D192ED03) + 1));
    s->counter = 0;
    s->has_spare = 0;
    s->spare = 0;
}

uint64_t rb_rstream_u64(rb_rstream *s)
{
    return mix64(s->key + ++s->counter * UINT64_C(0x9E3779B97F4A7C15));
}

double rb_rstream_uniform(rb_rstream *s) { return (double)(rb_rstream_u64(s) >> 11) * 0x1.0p-53; }

double rb_rstream_normal(rb_rstream *s)
{
    if (s->has_spare) {
        s->has_spare = 0;
        return s->spare;
    }
    double u = 1.0 - rb_rstream_uniform(s); /* (0, 1]: log(u) is finite */
    double v = rb_rstream_uniform(s);
    double r = sqrt(-2.0 * log(u)), a = 6.283185307179586 * v;
    s->spare = r * sin(a);
    s->has_spare = 1;
    return r * cos(a);
}
