/* expand.c - a sweep file once read: every value read through its row of the settings
 * table into typed values (rb_setting_read), the rules' cross-parameter checks, overlapping
 * sections refused, the mixed-radix strides that decode configuration k, the key union. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sweep_internal.h"
#include "text.h"
#include "alloc.h"

/* ---------------------------------------------------------------- checks after reading */

/* The most bytes one parsed value takes (rb_setting_info.size). */
#define MAX_VALUE_BYTES 128

/* Reads each value through its row into base (rb_setting_read is the one place values are
 * checked; its message loses its "--key: " start, which the "[section] key:" prefix
 * replaces). [data] values stay in base; the others are taken out into v->typed, for
 * configurations to carry, and base keeps its default. */
static int check_values(parse_ctx *c, rb_run_spec *base, const section *s, values *v)
{
    const rb_setting_info *row = v->row;
    int carry = s->kind != SEC_DATA;
    unsigned char saved[MAX_VALUE_BYTES], failed[MAX_VALUE_BYTES];
    if (row->size > MAX_VALUE_BYTES) return sw_fail_key(c, v->line, s, v->key, "internal: value too large");
    if (carry) {
        if (!(v->typed = rb_calloc(v->n, row->size))) return sw_nomem(c);
        rb_setting_take(row, base, saved);
    }
    for (size_t i = 0; i < v->n; i++) {
        rb_error why = {0};
        char joined[4096];
        const char *text = sw_input_path(c->name, c->from_file, row, v->text[i], joined, sizeof joined);
        rb_status rc = rb_setting_read(row, text, base, &why);
        if (rc == RB_OK && strchr(v->text[i], '=') && carry) rc = rb_spec_check_symbols(base, &why);
        if (rc == RB_OK && carry && base->target_table && base->targets == 1 && row == rb_run_setting_row("targets"))
            rc = rb_fail(&why, RB_ERR_USAGE, "--targets: inverse-vol does not combine with targets-csv in [data]: the "
                                             "table gives the targets");
        if (rc != RB_OK) {
            if (carry) {
                rb_setting_take(row, base, failed);
                rb_setting_drop(row, failed);
                memcpy((char *)base + row->offset, saved, row->size);
            }
            if (rc == RB_ERR_NOMEM) return sw_nomem(c);
            return sw_fail_key(c, v->line, s, v->key, "%s", sw_without_option(why.msg, v->key));
        }
        if (carry) rb_setting_take(row, base, v->typed + i * row->size);
    }
    if (carry) memcpy((char *)base + row->offset, saved, row->size);
    return 1;
}

/* [data]'s targets table against its assets (rb_spec_check_targets), at the line of the key
 * the message is about. */
static int check_targets(parse_ctx *c, const rb_run_spec *base, const section *data)
{
    rb_error why = {0};
    if (rb_spec_check_targets(base, &why) == RB_OK) return 1;
    const char *key = strncmp(why.msg, "--assets:", 9) == 0 ? "assets" : "targets-csv";
    for (size_t i = 0; i < data->nkeys; i++)
        if (strcmp(data->keys[i].key, key) == 0)
            return sw_fail_key(c, data->keys[i].line, data, key, "%s", sw_without_option(why.msg, key));
    return sw_fail_line(c, why.code, data->line, "[data]: %s", why.msg);
}

/* The checks of a rule that involve several of its parameters (rb_strategy.check), made on
 * every combination of the values of the section's keys that are not numbers (the checks
 * look only at which parameters are given and at words and periods). */
static int check_section(parse_ctx *c, const rb_sweep *sw, const section *s)
{
    if (!s->strategy->check) return 1;
    rb_run_spec probe = *sw->base;
    size_t at[64] = {0}, word[64], nword = 0;
    for (size_t i = 0; i < s->nkeys; i++) {
        rb_setting_put(s->keys[i].row, &probe, s->keys[i].typed);
        if (!rb_setting_is_numeric(s->keys[i].row) && s->keys[i].n > 1 && nword < 64) word[nword++] = i;
    }
    for (uint64_t combos = 0; combos < 1000000; combos++) {
        rb_error why = {0};
        if (s->strategy->check(&probe.sp, &why) != RB_OK)
            return sw_fail_line(c, RB_ERR_USAGE, s->line, "[%s]: %s", s->name, why.msg);
        size_t w = 0; /* the next combination, odometer-wise */
        while (w < nword && ++at[w] == s->keys[word[w]].n) at[w++] = 0;
        if (w == nword) break;
        for (size_t j = 0; j <= w && j < nword; j++) {
            const values *v = &s->keys[word[j]];
            rb_setting_put(v->row, &probe, v->typed + at[j] * v->row->size);
        }
    }
    return 1;
}

static int cmp_values(const void *a, const void *b)
{
    return strcmp(((const values *)a)->key, ((const values *)b)->key);
}
static int cmp_values_ptr(const void *a, const void *b)
{
    return strcmp((*(const values *const *)a)->key, (*(const values *const *)b)->key);
}

/* The first value two sorted lists share, or NULL. */
static const char *common_value(const char *const *x, size_t nx, const char *const *y, size_t ny)
{
    size_t i = 0, j = 0;
    while (i < nx && j < ny) {
        int cmp = strcmp(x[i], y[j]);
        if (cmp == 0) return x[i];
        if (cmp < 0) i++;
        else j++;
    }
    return NULL;
}

/* The key's canonical values sorted (made once, kept in v: every pair of sections reads them). */
static const char *const *sorted_canon(values *v)
{
    if (v->sorted) return v->sorted;
    const char **p = rb_malloc(v->n * sizeof *p);
    if (!p) return NULL;
    memcpy(p, v->canon, v->n * sizeof *p);
    qsort(p, v->n, sizeof *p, sw_cmp_str);
    return v->sorted = p;
}

/* Refuses two sections of one strategy that would repeat a configuration (the same keys,
 * and some value in common for each): it would get the same id twice. */
static int check_overlap(parse_ctx *c, section *a, section *b)
{
    if (a->strategy != b->strategy || a->nkeys != b->nkeys) return 1;
    for (size_t i = 0; i < a->nkeys; i++)
        if (strcmp(a->keys[i].key, b->keys[i].key) != 0) return 1;
    char example[256];
    snprintf(example, sizeof example, "strategy=%s", a->strategy->info.name);
    for (size_t i = 0; i < a->nkeys; i++) {
        const char *const *x = sorted_canon(&a->keys[i]), *const *y = sorted_canon(&b->keys[i]);
        if (!x || !y) return sw_nomem(c);
        const char *same = common_value(x, a->keys[i].n, y, b->keys[i].n);
        if (!same) return 1;
        size_t used = strlen(example);
        snprintf(example + used, sizeof example - used, ";%s=%s", a->keys[i].key, same);
    }
    return sw_fail_line(c, RB_ERR_USAGE, b->line, "[%s]: repeats configurations of [%s] (line %d), e.g. %s", b->name,
                     a->name, a->line, example);
}

/* Everything checked once the whole text is read (and its size, sw_check_size): [data] and
 * its assets, each value through rb_run_spec_set, the decoding strides, the key union. */
int sw_finish(parse_ctx *c)
{
    rb_sweep *sw = c->sw;
    const section *data = NULL;
    for (size_t i = 0; i < sw->nsec; i++)
        if (sw->sec[i].kind == SEC_DATA) data = &sw->sec[i];
    const values *assets = NULL;
    for (size_t i = 0; data && i < data->nkeys; i++)
        if (strcmp(data->keys[i].key, "assets") == 0) assets = &data->keys[i];
    if (!assets)
        return sw_fail_line(c, RB_ERR_USAGE, data ? data->line : 0,
                         "%s must give assets (e.g. assets = BTC=0.5,ETH=0.3,USDC=0.2)",
                         data ? "[data]" : "a [data] section");

    rb_error why = {0};
    if (rb_run_spec_new(&sw->base, &why) != RB_OK) return sw_nomem(c);
    int ok = 1;
    /* [data] first: per-asset values elsewhere are checked against its assets */
    for (size_t i = 0; data && ok && i < data->nkeys; i++) ok = check_values(c, sw->base, data, &data->keys[i]);
    if (ok) ok = check_targets(c, sw->base, data);
    for (size_t i = 0; ok && i < sw->nsec; i++)
        for (size_t j = 0; ok && sw->sec[i].kind != SEC_DATA && j < sw->sec[i].nkeys; j++)
            ok = check_values(c, sw->base, &sw->sec[i], &sw->sec[i].keys[j]);
    for (size_t i = 0; ok && i < sw->nsec; i++)
        if (sw->sec[i].kind == SEC_STRATEGY) ok = check_section(c, sw, &sw->sec[i]);
    if (!ok) return 0;

    for (size_t i = 0; i < sw->nsec; i++) {
        section *s = &sw->sec[i];
        if (s->kind == SEC_STRATEGY) sw->nstrat++;
        if (s->kind == SEC_COSTS || s->kind == SEC_TAX || s->kind == SEC_FLOWS || s->kind == SEC_VENUES) sw->nshared += s->nkeys;
        if (s->kind != SEC_DATA && s->nkeys > 1) qsort(s->keys, s->nkeys, sizeof *s->keys, cmp_values);
    }
    if (sw->nstrat == 0) {
        char families[256];
        sw_family_list(families, sizeof families);
        return sw_fail_line(c, RB_ERR_USAGE, 0, "no strategy section (%s)", families);
    }
    sw->strat = rb_malloc(sw->nstrat * sizeof *sw->strat);
    sw->shared = rb_malloc((sw->nshared ? sw->nshared : 1) * sizeof *sw->shared);
    sw->data = rb_malloc((data->nkeys ? data->nkeys : 1) * sizeof *sw->data);
    if (!sw->strat || !sw->shared || !sw->data) return sw_nomem(c);
    size_t ns = 0, nv = 0;
    for (size_t i = 0; i < sw->nsec; i++) {
        section *s = &sw->sec[i];
        if (s->kind == SEC_STRATEGY) sw->strat[ns++] = s;
        if (s->kind == SEC_COSTS || s->kind == SEC_TAX || s->kind == SEC_FLOWS || s->kind == SEC_VENUES)
            for (size_t j = 0; j < s->nkeys; j++) sw->shared[nv++] = &s->keys[j];
    }
    qsort(sw->shared, sw->nshared, sizeof *sw->shared, cmp_values_ptr);
    for (size_t i = 0; i < data->nkeys; i++) sw->data[i] = (rb_sweep_kv){data->keys[i].key, data->keys[i].text[0]};
    sw->ndata = data->nkeys;

    /* Mixed radix: section keys (sorted), then shared keys (sorted); the last varies fastest.
     * No product overflows: sw_check_size kept the total within RB_SWEEP_MAX_CONFIGS. */
    uint64_t stride = 1;
    for (size_t j = sw->nshared; j-- > 0;) {
        sw->shared[j]->stride = stride;
        stride *= sw->shared[j]->n;
    }
    sw->shared_count = stride;
    uint64_t total = 0;
    for (size_t i = 0; i < sw->nstrat; i++) {
        section *s = sw->strat[i];
        uint64_t st = sw->shared_count; /* becomes the size of the section's block */
        for (size_t j = s->nkeys; j-- > 0;) {
            s->keys[j].stride = st;
            st *= s->keys[j].n;
        }
        s->first = total;
        total += st;
    }
    sw->count = total;

    for (size_t i = 0; i < sw->nstrat; i++)
        for (size_t j = i + 1; j < sw->nstrat; j++)
            if (!check_overlap(c, sw->strat[i], sw->strat[j])) return 0;

    /* the key union, sorted and without repeats */
    size_t cap = sw->nshared;
    for (size_t i = 0; i < sw->nstrat; i++) {
        cap += sw->strat[i]->nkeys;
        if (sw->strat[i]->nkeys + sw->nshared > sw->max_keys) sw->max_keys = sw->strat[i]->nkeys + sw->nshared;
    }
    sw->keys = rb_malloc((cap ? cap : 1) * sizeof *sw->keys);
    if (!sw->keys) return sw_nomem(c);
    for (size_t j = 0; j < sw->nshared; j++) sw->keys[sw->nkeys++] = sw->shared[j]->key;
    for (size_t i = 0; i < sw->nstrat; i++)
        for (size_t j = 0; j < sw->strat[i]->nkeys; j++) sw->keys[sw->nkeys++] = sw->strat[i]->keys[j].key;
    qsort(sw->keys, sw->nkeys, sizeof *sw->keys, sw_cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < sw->nkeys; i++)
        if (u == 0 || strcmp(sw->keys[u - 1], sw->keys[i]) != 0) sw->keys[u++] = sw->keys[i];
    sw->nkeys = u;
    return 1;
}
