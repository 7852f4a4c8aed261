/* dataset_hash.c - the hash that names the aligned data a sweep ran on (dataset_hash.h). */
#include "dataset_hash.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PREFIX "v2-"
#define PREFIX_INPUTS "v3-"

/* Odd 64-bit constants with well-spread bits (the golden ratio's and two more). */
static const uint64_t K1 = 0x9E3779B97F4A7C15ull, K2 = 0xC2B2AE3D27D4EB4Full, K3 = 0x165667B19E3779F9ull;

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t word_at(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* One lane's step: the word spread by a multiplication, rotated so that its high bits reach
 * the low ones, and multiplied again. */
static uint64_t step(uint64_t lane, uint64_t w) { return rotl(lane + w * K2, 31) * K1; }

/* Every bit of the result depends on every bit of h. */
static uint64_t avalanche(uint64_t h)
{
    h ^= h >> 33;
    h *= K2;
    h ^= h >> 29;
    h *= K3;
    h ^= h >> 32;
    return h;
}

/* 64 bits of bytes p[0..n), chained from seed: four independent lanes over 32-byte chunks
 * (their multiplications overlap), the rest word by word and byte by byte, then the length
 * and an avalanche. It tells datasets apart; it is not meant to resist a forger. */
static uint64_t hash_bytes(const unsigned char *p, size_t n, uint64_t seed)
{
    uint64_t a = seed + K1 + K2, b = seed + K2, c = seed, d = seed - K1;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a = step(a, word_at(p + i));
        b = step(b, word_at(p + i + 8));
        c = step(c, word_at(p + i + 16));
        d = step(d, word_at(p + i + 24));
    }
    uint64_t h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);
    for (; i + 8 <= n; i += 8) h = rotl(h ^ step(0, word_at(p + i)), 27) * K1 + K3;
    for (; i < n; i++) h = rotl(h ^ (p[i] * K3), 11) * K1;
    return avalanche(h + (uint64_t)n);
}

uint64_t rb_hash_bytes(const void *p, size_t n, uint64_t seed) { return hash_bytes(p, n, seed); }

/* The 64 bits of m's prices behind "v2-" and the first half of "v3-". */
static uint64_t prices_hash(const rb_matrix *m)
{
    uint64_t h = 0;
    /* each symbol with its terminating NUL, so that "AB","C" and "A","BC" differ */
    for (size_t i = 0; i < m->N; i++)
        h = hash_bytes((const unsigned char *)m->symbols[i], strlen(m->symbols[i]) + 1, h);
    h = hash_bytes((const unsigned char *)m->time, m->T * sizeof *m->time, h);
    h = hash_bytes((const unsigned char *)m->close, m->T * m->N * sizeof *m->close, h);
    h = hash_bytes((const unsigned char *)m->open, m->T * m->N * sizeof *m->open, h);
    return h;
}

void rb_dataset_hash(const rb_matrix *m, char out[RB_DATASET_HASH_SIZE])
{
    snprintf(out, RB_DATASET_HASH_SIZE, PREFIX "%016llx", (unsigned long long)prices_hash(m));
}

void rb_dataset_hash_inputs(const rb_matrix *m, uint64_t inputs, char out[RB_DATASET_HASH_SIZE])
{
    snprintf(out, RB_DATASET_HASH_SIZE, PREFIX_INPUTS "%016llx-%016llx", (unsigned long long)prices_hash(m),
             (unsigned long long)inputs);
}

void rb_dataset_hash_legacy(const rb_matrix *m, char out[17])
{
    uint64_t h = 1469598103934665603ull;
    const void *parts[] = {m->time, m->close, m->open};
    size_t sizes[] = {m->T * sizeof *m->time, m->T * m->N * sizeof *m->close, m->T * m->N * sizeof *m->open};
    for (size_t i = 0; i < m->N; i++)
        for (const unsigned char *p = (const unsigned char *)m->symbols[i];; p++) {
            h = (h ^ *p) * 1099511628211ull;
            if (!*p) break;
        }
    for (size_t k = 0; k < 3; k++)
        for (size_t b = 0; b < sizes[k]; b++) h = (h ^ ((const unsigned char *)parts[k])[b]) * 1099511628211ull;
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static int starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

int rb_dataset_hash_is_legacy(const char *stored) { return !starts(stored, PREFIX) && !starts(stored, PREFIX_INPUTS); }

int rb_dataset_hash_matches(const rb_matrix *m, const char *stored)
{
    char now[RB_DATASET_HASH_SIZE];
    if (rb_dataset_hash_is_legacy(stored)) {
        rb_dataset_hash_legacy(m, now);
        return strcmp(now, stored) == 0;
    }
    if (starts(stored, PREFIX)) {
        rb_dataset_hash(m, now);
        return strcmp(now, stored) == 0;
    }
    /* "v3-PRICES-INPUTS": the prices' half */
    snprintf(now, sizeof now, PREFIX_INPUTS "%016llx-", (unsigned long long)prices_hash(m));
    return strlen(stored) == strlen(now) + 16 && strncmp(now, stored, strlen(now)) == 0;
}
