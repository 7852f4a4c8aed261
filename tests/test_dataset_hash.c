/* test_dataset_hash.c - the hash naming the data a sweep ran on (engine/dataset_hash.c):
 * its "v2-" form, that it tells apart datasets differing in one bit or in how symbols split,
 * and that the FNV-1a form of earlier builds is still computed exactly, and recognized. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "dataset_hash.h"
#include "rebal.h"

#define BARS 37 /* not a multiple of 4 words: every tail of the hash is met */
#define ASSETS 3

typedef struct toy {
    char *symbols[ASSETS];
    rb_time time[BARS];
    double close[BARS * ASSETS], open[BARS * ASSETS];
    rb_matrix m;
} toy;

static void toy_init(toy *d, const char *a, const char *b, const char *c)
{
    memset(d, 0, sizeof *d);
    d->symbols[0] = (char *)a, d->symbols[1] = (char *)b, d->symbols[2] = (char *)c;
    for (size_t t = 0; t < BARS; t++) {
        d->time[t] = 946684800 + (rb_time)t * 86400;
        for (size_t i = 0; i < ASSETS; i++) {
            d->close[t * ASSETS + i] = 100.0 + (double)(t * 7 + i * 3) / 9.0;
            d->open[t * ASSETS + i] = d->close[t * ASSETS + i] - 0.25;
        }
    }
    d->m.T = BARS, d->m.N = ASSETS, d->m.symbols = d->symbols, d->m.time = d->time, d->m.close = d->close;
    d->m.open = d->open;
}

/* FNV-1a 64 of the symbols (each with its NUL), then the times, closes and opens: the
 * hash earlier builds recorded, computed here from its definition. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    for (size_t k = 0; k < n; k++) h = (h ^ ((const unsigned char *)p)[k]) * 1099511628211ull;
    return h;
}

Test(dataset_hash, the_v2_form_is_a_prefix_and_16_hex_digits_the_same_every_time)
{
    toy d;
    toy_init(&d, "AAA", "BBB", "CCC");
    char a[RB_DATASET_HASH_SIZE], b[RB_DATASET_HASH_SIZE];
    rb_dataset_hash(&d.m, a);
    rb_dataset_hash(&d.m, b);
    cr_assert_str_eq(a, b);
    cr_assert_eq(strlen(a), 19);
    cr_assert(strncmp(a, "v2-", 3) == 0, "%s", a);
    for (size_t k = 3; k < 19; k++) cr_assert(isxdigit((unsigned char)a[k]) && !isupper((unsigned char)a[k]), "%s", a);
    cr_assert(!rb_dataset_hash_is_legacy(a));
}

Test(dataset_hash, one_bit_of_one_price_or_time_changes_both_forms)
{
    toy d;
    toy_init(&d, "AAA", "BBB", "CCC");
    char v2[RB_DATASET_HASH_SIZE], old[17], now[RB_DATASET_HASH_SIZE], now_old[17];
    rb_dataset_hash(&d.m, v2);
    rb_dataset_hash_legacy(&d.m, old);
    double *cells[] = {&d.close[BARS * ASSETS - 1], &d.open[0], &d.close[17]};
    for (size_t k = 0; k < 3; k++) {
        uint64_t bits;
        memcpy(&bits, cells[k], sizeof bits);
        bits ^= 1; /* the last bit of the mantissa */
        double saved = *cells[k];
        memcpy(cells[k], &bits, sizeof bits);
        rb_dataset_hash(&d.m, now);
        rb_dataset_hash_legacy(&d.m, now_old);
        cr_expect_str_neq(now, v2, "cell %zu", k);
        cr_expect_str_neq(now_old, old, "cell %zu", k);
        *cells[k] = saved;
    }
    d.time[BARS - 1] += 1;
    rb_dataset_hash(&d.m, now);
    cr_expect_str_neq(now, v2, "one second later on the last bar");
}

Test(dataset_hash, symbols_split_differently_are_other_data)
{
    toy d, e;
    toy_init(&d, "AB", "C", "D");
    toy_init(&e, "A", "BC", "D");
    char a[RB_DATASET_HASH_SIZE], b[RB_DATASET_HASH_SIZE];
    rb_dataset_hash(&d.m, a);
    rb_dataset_hash(&e.m, b);
    cr_expect_str_neq(a, b);
}

Test(dataset_hash, the_legacy_form_is_fnv1a_of_the_same_bytes)
{
    toy d;
    toy_init(&d, "SPY", "TLT", "GLD");
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < ASSETS; i++) h = fnv(h, d.symbols[i], strlen(d.symbols[i]) + 1);
    h = fnv(h, d.time, sizeof d.time);
    h = fnv(h, d.close, sizeof d.close);
    h = fnv(h, d.open, sizeof d.open);
    char want[17], got[17];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)h);
    rb_dataset_hash_legacy(&d.m, got);
    cr_assert_str_eq(got, want);
    cr_assert(rb_dataset_hash_is_legacy(got));
}

Test(dataset_hash, a_stored_hash_of_either_form_matches_its_data_only)
{
    toy d, e;
    toy_init(&d, "AAA", "BBB", "CCC");
    toy_init(&e, "AAA", "BBB", "CCD");
    char v2[RB_DATASET_HASH_SIZE], old[17];
    rb_dataset_hash(&d.m, v2);
    rb_dataset_hash_legacy(&d.m, old);
    cr_expect(rb_dataset_hash_matches(&d.m, v2));
    cr_expect(rb_dataset_hash_matches(&d.m, old));
    cr_expect(!rb_dataset_hash_matches(&e.m, v2));
    cr_expect(!rb_dataset_hash_matches(&e.m, old));
    cr_expect(!rb_dataset_hash_matches(&d.m, "v2-0000000000000000"));
    cr_expect(!rb_dataset_hash_matches(&d.m, ""));
}

/* A sweep that reads inputs beside the prices (sweep_inputs.h): "v3-", the prices' 16 digits
 * exactly as in "v2-", "-", the inputs' 16; a report matches it by its prices' half. */
Test(dataset_hash, the_v3_form_holds_the_prices_half_and_the_inputs_half)
{
    toy d, e;
    toy_init(&d, "AAA", "BBB", "CCC");
    toy_init(&e, "AAA", "BBB", "CCD");
    char v2[RB_DATASET_HASH_SIZE], v3[RB_DATASET_HASH_SIZE], other[RB_DATASET_HASH_SIZE];
    rb_dataset_hash(&d.m, v2);
    rb_dataset_hash_inputs(&d.m, 0x0123456789abcdefull, v3);
    cr_assert_eq(strlen(v3), 36, "%s", v3);
    cr_assert(strncmp(v3, "v3-", 3) == 0 && strncmp(v3 + 3, v2 + 3, 16) == 0, "%s vs %s", v3, v2);
    cr_assert_str_eq(v3 + 19, "-0123456789abcdef");
    cr_assert(!rb_dataset_hash_is_legacy(v3));
    rb_dataset_hash_inputs(&d.m, 0x0123456789abcdeeull, other);
    cr_expect_str_neq(v3, other); /* other inputs: another dataset for a resume */
    cr_expect(rb_dataset_hash_matches(&d.m, v3));
    cr_expect(rb_dataset_hash_matches(&d.m, other));
    cr_expect(!rb_dataset_hash_matches(&e.m, v3));
    v3[35] = '\0'; /* cut short: not a hash of this build */
    cr_expect(!rb_dataset_hash_matches(&d.m, v3));
}
