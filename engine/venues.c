/* venues.c - reading a venue file (venues.h): an INI text of one [NAME] section per venue
 * (kind = exchange | pool and its settings) and an [assets] section, SYM = VENUE, VENUE, ...
 * Errors name "FILE:LINE: [section] key: what". */
#include "venues.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "number.h"
#include "text.h"

#define MAX_VENUES 64

typedef struct reader {
    rb_venue_set *s;
    const char *name;
    int line;
    char section[RB_VENUE_NAME_MAX + 8];
    rb_venue *cur;  /* the venue being read, or NULL ([assets]) */
    int in_assets;
    unsigned given; /* the keys the current venue gave (bits of keys[]) */
    rb_error *err;
} reader;

static const char *const keys[] = {"kind",  "fee-bps", "slippage-bps", "spread-bps", "fee-min", "depth",
                                   "depth-series", "range", "gas", "chain", NULL};
enum { K_KIND, K_FEE, K_SLIP, K_SPREAD, K_MIN, K_DEPTH, K_SERIES, K_RANGE, K_GAS, K_CHAIN };
/* the keys of each kind (besides kind) */
#define EXCHANGE_KEYS ((1u << K_FEE) | (1u << K_SLIP) | (1u << K_SPREAD) | (1u << K_MIN))
#define POOL_KEYS ((1u << K_FEE) | (1u << K_DEPTH) | (1u << K_SERIES) | (1u << K_RANGE) | (1u << K_GAS) | (1u << K_CHAIN))

__attribute__((format(printf, 4, 5))) static rb_status fail_at(reader *r, int line, const char *key, const char *fmt,
                                                               ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (key && r->section[0])
        return rb_fail(r->err, RB_ERR_USAGE, "%s:%d: [%s] %s: %s", r->name, line, r->section, key, what);
    if (key) return rb_fail(r->err, RB_ERR_USAGE, "%s:%d: %s: %s", r->name, line, key, what);
    if (r->section[0]) return rb_fail(r->err, RB_ERR_USAGE, "%s:%d: [%s]: %s", r->name, line, r->section, what);
    return rb_fail(r->err, RB_ERR_USAGE, "%s:%d: %s", r->name, line, what);
}

/* A message of a setting reader without its "--KEY: " start. */
static const char *without_option(const char *msg)
{
    if (msg[0] == '-' && msg[1] == '-') {
        const char *colon = strstr(msg, ": ");
        if (colon) return colon + 2;
    }
    return msg;
}

static int valid_name(const char *s)
{
    if (!*s || strlen(s) >= RB_VENUE_NAME_MAX) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.') return 0;
    return 1;
}

static rb_status number(reader *r, const char *key, const char *text, double lo, double hi, double *out)
{
    rb_number_read_status got = rb_number_read(text, strlen(text), 0, out);
    if (got != RB_NUMBER_OK) return fail_at(r, r->line, key, "'%s' is not a number", text);
    if (!(*out >= lo && *out <= hi)) {
        if (hi >= RB_NUMBER_UNBOUNDED) return fail_at(r, r->line, key, "%s is out of range (at least %g)", text, lo);
        return fail_at(r, r->line, key, "%s is out of range (%g to %g)", text, lo, hi);
    }
    return RB_OK;
}

/* "LOW:HIGH", 0 < LOW < 1 < HIGH. */
static rb_status range(reader *r, const char *text, rb_venue *v)
{
    const char *colon = strchr(text, ':');
    double lo, hi;
    if (!colon || rb_number_read(text, (size_t)(colon - text), 0, &lo) != RB_NUMBER_OK ||
        rb_number_read(colon + 1, strlen(colon + 1), 0, &hi) != RB_NUMBER_OK)
        return fail_at(r, r->line, "range", "'%s' is not LOW:HIGH (e.g. 0.9:1.1)", text);
    if (!(lo > 0 && lo < 1 && hi > 1 && hi <= RB_NUMBER_UNBOUNDED))
        return fail_at(r, r->line, "range", "'%s': it must be 0 < LOW < 1 < HIGH", text);
    v->range_low = lo;
    v->range_high = hi;
    return RB_OK;
}

static rb_status chain(reader *r, const char *text, rb_venue *v)
{
    if (!valid_name(text))
        return fail_at(r, r->line, "chain", "'%s': a chain is named in letters, digits, '_', '-' and '.' (at most %d)",
                       text, RB_VENUE_NAME_MAX - 1);
    rb_venue_set *s = r->s;
    for (size_t i = 0; i < s->nchains; i++)
        if (strcmp(s->chain[i], text) == 0) {
            v->chain = (int)i;
            return RB_OK;
        }
    if (s->nchains == RB_VENUE_CHAINS) return fail_at(r, r->line, "chain", "more than %d chains", RB_VENUE_CHAINS);
    strcpy(s->chain[s->nchains], text);
    v->chain = (int)s->nchains++;
    return RB_OK;
}

static rb_status venue_key(reader *r, const char *key, const char *value)
{
    rb_venue *v = r->cur;
    int k = 0;
    while (keys[k] && strcmp(keys[k], key) != 0) k++;
    if (!keys[k]) {
        rb_nearest near;
        rb_nearest_init(&near, key);
        for (int i = 0; keys[i]; i++) rb_nearest_offer(&near, keys[i]);
        return fail_at(r, r->line, key, "unknown setting%s (a venue takes kind, and an exchange fee-bps, "
                                        "slippage-bps, spread-bps, fee-min; a pool depth or depth-series, fee-bps, "
                                        "range, gas, chain)", rb_nearest_hint(&near));
    }
    if (r->given & (1u << k)) return fail_at(r, r->line, key, "given twice");
    if (k != K_KIND && !(r->given & 1u)) return fail_at(r, r->line, key, "give kind = exchange or pool first");
    r->given |= 1u << k;
    if (k == K_KIND) {
        if (strcmp(value, "pool") != 0 && strcmp(value, "exchange") != 0)
            return fail_at(r, r->line, key, "'%s': a venue is an exchange or a pool", value);
        v->pool = strcmp(value, "pool") == 0;
        v->pool_fee_bps = 30; /* as --amm-fee-bps */
        return RB_OK;
    }
    if (!((v->pool ? POOL_KEYS : EXCHANGE_KEYS) & (1u << k)))
        return fail_at(r, r->line, key, "not a setting of %s %s", v->pool ? "a pool" : "an exchange",
                       v->pool ? "(depth, depth-series, fee-bps, range, gas, chain)"
                               : "(fee-bps, slippage-bps, spread-bps, fee-min)");
    rb_error why = {0};
    rb_status rc = RB_OK;
    switch (k) {
    case K_FEE: return number(r, key, value, 0, v->pool ? 9999 : 10000, v->pool ? &v->pool_fee_bps : &v->fee_bps);
    case K_SLIP: return number(r, key, value, 0, 10000, &v->slippage_bps);
    case K_SPREAD: return number(r, key, value, 0, 10000, &v->spread_bps);
    case K_MIN: return number(r, key, value, 0, RB_NUMBER_UNBOUNDED, &v->fee_min);
    case K_GAS: return number(r, key, value, 0, RB_NUMBER_UNBOUNDED, &v->gas);
    case K_RANGE: return range(r, value, v);
    case K_CHAIN: return chain(r, value, v);
    case K_DEPTH: rc = rb_asset_values_parse(key, NULL, value, 0, 1e-9, RB_NUMBER_UNBOUNDED, &v->depth, &why); break;
    default: rc = rb_read_asset_names(key, value, &v->depth_series, &why); break;
    }
    if (rc == RB_ERR_NOMEM) return rb_fail(r->err, rc, "out of memory");
    return rc == RB_OK ? RB_OK : fail_at(r, r->line, key, "%s", without_option(why.msg));
}

static const rb_venue *find_venue(const rb_venue_set *s, const char *name, size_t *at)
{
    for (size_t i = 0; i < s->nvenues; i++)
        if (strcmp(s->venue[i].name, name) == 0) {
            *at = i;
            return &s->venue[i];
        }
    return NULL;
}

/* A pool has a depth (or a depth series) for sym. */
static int pool_has_depth(const rb_venue *v, const char *sym)
{
    if (rb_asset_name_of(&v->depth_series, sym)) return 1;
    for (size_t i = 0; i < v->depth.n; i++)
        if (strcmp(v->depth.symbol[i], sym) == 0) return 1;
    return v->depth.has_all;
}

/* SYM = VENUE, VENUE, ... of [assets]. */
static rb_status asset_key(reader *r, const char *sym, const char *value)
{
    rb_venue_set *s = r->s;
    if (strcmp(sym, RB_CASH) == 0) return fail_at(r, r->line, sym, "CASH trades on no venue");
    if (strlen(sym) >= RB_SYMBOL_MAX) return fail_at(r, r->line, sym, "a symbol longer than %d bytes", RB_SYMBOL_MAX - 1);
    for (size_t i = 0; i < s->nlists; i++)
        if (strcmp(s->list[i].symbol, sym) == 0)
            return fail_at(r, r->line, sym, "given twice (first at line %d)", s->list[i].line);
    rb_venue_list *l = &s->list[s->nlists];
    memset(l, 0, sizeof *l);
    l->line = r->line;
    for (const char *item = value; item;) {
        const char *comma = strchr(item, ','), *end = comma ? comma : item + strlen(item);
        while (item < end && isspace((unsigned char)*item)) item++;
        while (end > item && isspace((unsigned char)end[-1])) end--;
        char name[RB_VENUE_NAME_MAX];
        if (end == item || (size_t)(end - item) >= sizeof name)
            return fail_at(r, r->line, sym, "'%s' is not a list of venue names", value);
        memcpy(name, item, (size_t)(end - item));
        name[end - item] = '\0';
        size_t at;
        const rb_venue *v = find_venue(s, name, &at);
        if (!v) {
            rb_nearest near;
            rb_nearest_init(&near, name);
            for (size_t i = 0; i < s->nvenues; i++) rb_nearest_offer(&near, s->venue[i].name);
            return fail_at(r, r->line, sym, "unknown venue '%s'%s (venues are the [sections] above [assets])", name,
                           rb_nearest_hint(&near));
        }
        for (size_t i = 0; i < l->n; i++)
            if (l->venue[i] == at) return fail_at(r, r->line, sym, "venue %s is listed twice", name);
        if (l->n == RB_ROUTE_MAX) return fail_at(r, r->line, sym, "more than %d venues", RB_ROUTE_MAX);
        if (v->pool && !pool_has_depth(v, sym))
            return fail_at(r, r->line, sym, "pool %s has no depth for %s (line %d: depth = %s=USD or depth-series = "
                                            "%s=SERIES)", name, sym, v->line, sym, sym);
        l->venue[l->n++] = at;
        item = comma ? comma + 1 : NULL;
    }
    if (!(l->symbol = rb_strdup(sym))) return rb_fail(r->err, RB_ERR_NOMEM, "out of memory");
    s->nlists++;
    return RB_OK;
}

/* The venue just read is complete: a kind, and a pool a depth. */
static rb_status close_venue(reader *r)
{
    rb_venue *v = r->cur;
    if (!v) return RB_OK;
    if (!(r->given & 1u)) return fail_at(r, v->line, NULL, "no kind: give kind = exchange or kind = pool");
    if (v->pool && !(r->given & ((1u << K_DEPTH) | (1u << K_SERIES))))
        return fail_at(r, v->line, NULL, "a pool needs depth = USD (or SYM=USD,...) or depth-series = SYM=SERIES,...");
    r->cur = NULL;
    return RB_OK;
}

static rb_status open_section(reader *r, const char *name)
{
    rb_status rc = close_venue(r);
    if (rc != RB_OK) return rc;
    rb_venue_set *s = r->s;
    snprintf(r->section, sizeof r->section, "%s", name);
    r->given = 0;
    if (strcmp(name, "assets") == 0) {
        if (r->in_assets || s->nlists) return fail_at(r, r->line, NULL, "section given twice");
        r->in_assets = 1;
        return RB_OK;
    }
    if (r->in_assets) return fail_at(r, r->line, NULL, "a venue after [assets]: name every venue before it");
    if (!valid_name(name))
        return fail_at(r, r->line, NULL, "a venue is named in letters, digits, '_', '-' and '.' (at most %d)",
                       RB_VENUE_NAME_MAX - 1);
    size_t at;
    if (find_venue(s, name, &at)) return fail_at(r, r->line, NULL, "venue given twice (first at line %d)", s->venue[at].line);
    if (s->nvenues == MAX_VENUES) return fail_at(r, r->line, NULL, "more than %d venues", MAX_VENUES);
    rb_venue *v = &s->venue[s->nvenues++];
    memset(v, 0, sizeof *v);
    strcpy(v->name, name);
    v->line = r->line;
    v->chain = -1;
    r->cur = v;
    return RB_OK;
}

/* [start, end) without blanks around it, NUL-terminated in place (end is writable). */
static char *trim(char *start, char *end)
{
    while (start < end && isspace((unsigned char)*start)) start++;
    while (end > start && isspace((unsigned char)end[-1])) end--;
    *end = '\0';
    return start;
}

static rb_status read_line(reader *r, char *line)
{
    char *end = line + strlen(line);
    /* a comment: a line starting with ';' or '#', or ' ;' / ' #' after a value */
    for (char *p = line; *p; p++)
        if ((*p == ';' || *p == '#') && (p == line || isspace((unsigned char)p[-1]))) {
            end = p;
            break;
        }
    char *text = trim(line, end);
    if (!*text) return RB_OK;
    if (*text == '[') {
        char *close = strchr(text, ']');
        if (!close || close[1]) return fail_at(r, r->line, NULL, "a section header is [NAME]");
        return open_section(r, trim(text + 1, close));
    }
    char *eq = strchr(text, '=');
    if (!eq) return fail_at(r, r->line, NULL, "expected 'key = value' or a [section] header");
    char *value = trim(eq + 1, eq + 1 + strlen(eq + 1)), *key = trim(text, eq);
    if (!*key) return fail_at(r, r->line, NULL, "a value without a key");
    if (!r->section[0]) return fail_at(r, r->line, key, "a setting before any [section]");
    if (!*value) return fail_at(r, r->line, key, "empty value");
    return r->in_assets ? asset_key(r, key, value) : venue_key(r, key, value);
}

rb_status rb_venue_set_parse(const char *text, const char *name, rb_venue_set **out, rb_error *err)
{
    *out = NULL;
    rb_venue_set *s = rb_calloc(1, sizeof *s);
    char *copy = rb_strdup(text);
    if (s) s->venue = rb_calloc(MAX_VENUES, sizeof *s->venue);
    if (s) s->list = rb_calloc(RB_MAX_ASSETS_LISTED, sizeof *s->list);
    if (s) s->path = rb_strdup(name);
    if (!s || !copy || !s->venue || !s->list || !s->path) {
        free(copy);
        rb_venue_set_free(s);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    reader r = {.s = s, .name = name, .err = err};
    rb_status rc = RB_OK;
    for (char *p = copy; rc == RB_OK && p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        r.line++;
        if (r.in_assets && s->nlists == RB_MAX_ASSETS_LISTED)
            rc = fail_at(&r, r.line, NULL, "more than %d assets", RB_MAX_ASSETS_LISTED);
        else rc = read_line(&r, p);
        p = nl ? nl + 1 : NULL;
    }
    if (rc == RB_OK) rc = close_venue(&r);
    if (rc == RB_OK && s->nvenues == 0) rc = fail_at(&r, r.line, NULL, "no venues: give a [NAME] section per venue");
    if (rc == RB_OK && !r.in_assets)
        rc = fail_at(&r, r.line, NULL, "no [assets] section: list the venues each asset trades on (SYM = VENUE, ...)");
    free(copy);
    if (rc != RB_OK) {
        rb_venue_set_free(s);
        return rc;
    }
    *out = s;
    return RB_OK;
}

rb_status rb_venue_set_read(const char *path, rb_venue_set **out, rb_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return rb_fail(err, RB_ERR_IO, "%s: %s", path, strerror(errno));
    char *buf = rb_malloc(RB_VENUE_FILE_MAX + 1);
    size_t len = buf ? fread(buf, 1, RB_VENUE_FILE_MAX + 1, f) : 0;
    int bad = ferror(f), read_errno = errno;
    fclose(f);
    if (!buf) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    rb_status rc = RB_OK;
    if (bad) rc = rb_fail(err, RB_ERR_IO, "%s: %s", path, strerror(read_errno));
    else if (len > RB_VENUE_FILE_MAX)
        rc = rb_fail(err, RB_ERR_USAGE, "%s: larger than %d bytes: not a venue file", path, RB_VENUE_FILE_MAX);
    else if (memchr(buf, '\0', len)) rc = rb_fail(err, RB_ERR_USAGE, "%s: a NUL byte: not a text file", path);
    if (rc == RB_OK) {
        buf[len] = '\0';
        rc = rb_venue_set_parse(buf, path, out, err);
    }
    free(buf);
    return rc;
}

void rb_venue_set_free(rb_venue_set *s)
{
    if (!s) return;
    for (size_t i = 0; s->venue && i < s->nvenues; i++) {
        rb_asset_values_clear(&s->venue[i].depth);
        rb_asset_names_clear(&s->venue[i].depth_series);
    }
    for (size_t i = 0; s->list && i < s->nlists; i++) free(s->list[i].symbol);
    free(s->venue);
    free(s->list);
    free(s->path);
    free(s);
}

const rb_venue_list *rb_venue_list_of(const rb_venue_set *s, const char *symbol)
{
    for (size_t i = 0; s && i < s->nlists; i++)
        if (strcmp(s->list[i].symbol, symbol) == 0) return &s->list[i];
    return NULL;
}

rb_status rb_venue_set_check_symbols(const rb_venue_set *s, char *const *symbols, size_t n, rb_error *err)
{
    for (size_t i = 0; s && i < s->nlists; i++) {
        size_t j = 0;
        while (j < n && strcmp(symbols[j], s->list[i].symbol) != 0) j++;
        if (j < n) continue;
        rb_nearest near;
        rb_nearest_init(&near, s->list[i].symbol);
        for (size_t k = 0; k < n; k++)
            if (strcmp(symbols[k], RB_CASH) != 0) rb_nearest_offer(&near, symbols[k]);
        return rb_fail(err, RB_ERR_USAGE, "%s:%d: [assets] %s: not one of the run's assets%s", s->path,
                       s->list[i].line, s->list[i].symbol, rb_nearest_hint(&near));
    }
    return RB_OK;
}
