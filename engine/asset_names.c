/* asset_names.c - SYM=NAME,... settings (asset_names.h). */
#include "asset_names.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "text.h"

void rb_asset_names_clear(rb_asset_names *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->symbol[i]);
        free(v->name[i]);
    }
    free(v->symbol);
    free(v->name);
    memset(v, 0, sizeof *v);
}

/* [s, end) without the blanks around it, as a new string (NULL: out of memory); an empty
 * result is refused by the caller. */
static char *trimmed_copy(const char *s, const char *end)
{
    while (s < end && *s == ' ') s++;
    while (end > s && end[-1] == ' ') end--;
    return rb_strndup(s, (size_t)(end - s));
}

/* The item [item, end), SYM=NAME, appended to v (whose arrays have room for it). */
static rb_status read_item(const char *key, const char *item, const char *end, rb_asset_names *v, rb_error *err)
{
    const char *eq = memchr(item, '=', (size_t)(end - item));
    if (!eq)
        return rb_fail(err, RB_ERR_USAGE, "--%s: give each pool as SYM=SERIES, e.g. BTC=depth-BTC (got '%.*s')", key,
                       (int)(end - item), item);
    char *sym = trimmed_copy(item, eq), *name = sym ? trimmed_copy(eq + 1, end) : NULL;
    rb_status rc = name ? RB_OK : rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (rc == RB_OK && (!*sym || !*name || strchr(name, '=')))
        rc = rb_fail(err, RB_ERR_USAGE, "--%s: '%.*s' is not SYM=SERIES", key, (int)(end - item), item);
    if (rc == RB_OK && strlen(sym) >= RB_SYMBOL_MAX)
        rc = rb_fail(err, RB_ERR_USAGE, "--%s: a symbol longer than %d bytes", key, RB_SYMBOL_MAX - 1);
    if (rc == RB_OK && strlen(name) >= RB_SYMBOL_MAX)
        rc = rb_fail(err, RB_ERR_USAGE, "--%s: a series name longer than %d bytes", key, RB_SYMBOL_MAX - 1);
    for (size_t i = 0; rc == RB_OK && i < v->n; i++)
        if (strcmp(v->symbol[i], sym) == 0) rc = rb_fail(err, RB_ERR_USAGE, "--%s: %s is given twice", key, sym);
    if (rc != RB_OK) {
        free(sym);
        free(name);
        return rc;
    }
    v->symbol[v->n] = sym;
    v->name[v->n++] = name;
    return RB_OK;
}

rb_status rb_read_asset_names(const char *key, const char *text, void *field, rb_error *err)
{
    rb_asset_names *out = field, v = {0};
    size_t cap = 1;
    for (const char *p = text; *p; p++) cap += *p == ',';
    int empty = 1;
    for (const char *p = text; *p; p++) empty &= *p == ' ';
    rb_status rc = RB_OK;
    if (!empty) {
        v.symbol = rb_calloc(cap, sizeof *v.symbol);
        v.name = rb_calloc(cap, sizeof *v.name);
        if (!v.symbol || !v.name) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        for (const char *item = text; rc == RB_OK && item;) {
            const char *comma = strchr(item, ','), *end = comma ? comma : item + strlen(item);
            rc = read_item(key, item, end, &v, err);
            item = comma ? comma + 1 : NULL;
        }
    }
    if (rc != RB_OK) {
        rb_asset_names_clear(&v);
        return rc;
    }
    rb_asset_names_clear(out);
    *out = v;
    return RB_OK;
}

const char *rb_asset_name_of(const rb_asset_names *v, const char *symbol)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->symbol[i], symbol) == 0) return v->name[i];
    return NULL;
}

rb_status rb_asset_names_check(const char *key, const rb_asset_names *v, char *const *symbols, size_t n,
                               rb_error *err)
{
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->symbol[i], RB_CASH) == 0)
            return rb_fail(err, RB_ERR_USAGE, "--%s: %s has no pool (cash trades at no cost)", key, RB_CASH);
        rb_status rc = rb_check_among_assets(key, v->symbol[i], symbols, n, err);
        if (rc != RB_OK) return rc;
    }
    return RB_OK;
}
