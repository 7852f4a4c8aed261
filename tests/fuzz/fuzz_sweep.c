/* fuzz_sweep.c - libFuzzer target: a whole input parsed as a sweep file (engine/sweep/), then
 * expanded: a bounded sample of its configurations (the first and last few, and some spread
 * between) decoded, filled into a run spec, hashed and written in canonical form. What must
 * hold, else abort: a refusal says why in one line; a configuration has at most max_keys
 * settings, each key among the sweep's keys; decoding is pure (twice, the same canonical text
 * and id); the id is 63-bit; the filled spec runs the configuration's strategy. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebal.h"
#include "spec.h"
#include "sweep.h"

/* How many configurations of one sweep are decoded, at most. */
#define SAMPLE 48

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_sweep: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static int is_key(const char *key, const char *const *keys, size_t nkeys)
{
    for (size_t i = 0; i < nkeys; i++)
        if (strcmp(keys[i], key) == 0) return 1;
    return 0;
}

static void check_configuration(const rb_sweep *sw, uint64_t k, rb_sweep_kv *kv, size_t cap)
{
    const char *section = NULL, *strategy = NULL;
    size_t n = rb_sweep_config(sw, k, &section, &strategy, kv, cap);
    if (n > rb_sweep_max_keys(sw)) die("a configuration has more settings than max_keys", section);
    if (!section || !strategy) die("a configuration has no section or strategy", NULL);
    const char *const *keys;
    size_t nkeys = rb_sweep_keys(sw, &keys);
    for (size_t i = 0; i < n; i++) {
        if (!kv[i].key || !kv[i].value) die("a setting without key or value", section);
        if (!is_key(kv[i].key, keys, nkeys)) die("a configuration sets a key the sweep does not list", kv[i].key);
    }

    char a[4096], b[4096];
    size_t la = rb_sweep_canonical(sw, k, a, sizeof a), lb = rb_sweep_canonical(sw, k, b, sizeof b);
    if (la != lb || strcmp(a, b) != 0) die("the canonical text of a configuration changed", a);
    int64_t id = rb_sweep_config_id(sw, k);
    if (id < 0) die("a configuration id is negative", a);
    if (id != rb_sweep_config_id(sw, k)) die("a configuration id changed", a);

    rb_run_spec spec;
    memset(&spec, 0, sizeof spec);
    rb_sweep_fill(sw, k, &spec);
    if (!spec.strategy || strcmp(spec.strategy, strategy) != 0) die("the filled spec runs another strategy", strategy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rb_sweep *sw = NULL;
    rb_error err = {0};
    rb_status rc = rb_sweep_parse_text(text, "fuzz.ini", &sw, &err);
    free(text);
    if (rc != RB_OK) {
        if (!err.msg[0] || strchr(err.msg, '\n')) die("a refusal must say why in one line", err.msg);
        return 0;
    }
    uint64_t count = rb_sweep_count(sw);
    if (count == 0) die("a parsed sweep has no configurations", NULL);
    const rb_sweep_kv *data_kv;
    size_t ndata = rb_sweep_data(sw, &data_kv);
    for (size_t i = 0; i < ndata; i++)
        if (!data_kv[i].key || !data_kv[i].value) die("a [data] setting without key or value", NULL);

    size_t cap = rb_sweep_max_keys(sw) + 1;
    rb_sweep_kv *kv = calloc(cap, sizeof *kv);
    if (!kv) die("out of memory", NULL);
    /* The first and last SAMPLE / 4, then evenly spread: every section boundary is likely
     * near one of them in small sweeps, and large ones still get decoded at both ends. */
    for (uint64_t i = 0; i < SAMPLE && i < count; i++) {
        uint64_t k = i < SAMPLE / 4 ? i : i < SAMPLE / 2 ? count - 1 - (i - SAMPLE / 4) : (count / (SAMPLE / 2)) * (i - SAMPLE / 2);
        if (k >= count) k = count - 1;
        check_configuration(sw, k, kv, cap);
    }
    free(kv);
    rb_sweep_free(sw);
    return 0;
}
