/* asset_values.c - per-asset values ("10", "BTC=10,ETH=15", "5,BTC=10"): reading, looking
 * up and releasing them (params.h). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "number.h"
#include "params.h"
#include "alloc.h"

void rb_asset_values_clear(rb_asset_values *v)
{
    for (size_t i = 0; i < v->n; i++) free(v->symbol[i]);
    free(v->symbol);
    free(v->value);
    memset(v, 0, sizeof *v);
}

/* "10", "BTC=10,ETH=15" or "5,BTC=10": a value for all plus per-symbol overrides. */
rb_status rb_asset_values_parse(const char *key, const char *arg, const char *text, int percent, double lo, double hi,
                                rb_asset_values *out, rb_error *err)
{
    rb_asset_values v = {0};
    size_t cap = 1;
    for (const char *p = text; *p; p++) cap += *p == ',';
    v.symbol = rb_calloc(cap, sizeof *v.symbol);
    v.value = rb_calloc(cap, sizeof *v.value);
    if (!v.symbol || !v.value) {
        rb_asset_values_clear(&v);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    rb_status rc = RB_OK;
    const char *item = text;
    while (rc == RB_OK) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        char buf[256];
        if (len >= sizeof buf) {
            rc = rb_fail(err, RB_ERR_USAGE, "--%s: item too long in '%s'", key, text);
            break;
        }
        memcpy(buf, item, len);
        buf[len] = '\0';
        char *eq = strchr(buf, '=');
        double x;
        const char *num = eq ? eq + 1 : buf;
        rb_number_read_status got = rb_number_read(num, strlen(num), percent, &x);
        if (got == RB_NUMBER_PERCENT) {
            while (*num == ' ') num++;
            rc = rb_percent_refused_as(key, arg, num, err);
            break;
        }
        if (got != RB_NUMBER_OK) {
            rc = rb_fail(err, RB_ERR_USAGE, "--%s: '%s' is not a number in '%s'", key, num, text);
            break;
        }
        if ((rc = rb_number_in_range(key, lo, hi, x, num, err)) != RB_OK) break;
        if (!eq) {
            v.all = x;
            v.has_all = 1;
        } else {
            char *sym = buf, *stop = eq;
            while (*sym == ' ') sym++;
            while (stop > sym && stop[-1] == ' ') stop--;
            *stop = '\0';
            if (*sym == '\0') {
                rc = rb_fail(err, RB_ERR_USAGE, "--%s: a symbol is missing before '=' in '%s'", key, text);
                break;
            }
            for (size_t i = 0; i < v.n; i++)
                if (strcmp(v.symbol[i], sym) == 0)
                    rc = rb_fail(err, RB_ERR_USAGE, "--%s: %s is given twice", key, sym);
            if (rc != RB_OK) break;
            if (!(v.symbol[v.n] = rb_strdup(sym))) {
                rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
                break;
            }
            v.value[v.n++] = x;
        }
        if (!comma) break;
        item = comma + 1;
    }
    if (rc != RB_OK) {
        rb_asset_values_clear(&v);
        return rc;
    }
    rb_asset_values_clear(out);
    *out = v;
    return RB_OK;
}

double rb_asset_value(const rb_asset_values *v, const char *symbol)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->symbol[i], symbol) == 0) return v->value[i];
    return v->all;
}
