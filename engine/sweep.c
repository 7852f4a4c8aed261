/* sweep.c - sweep specifications: the INI text read with libinih, every value (list, range,
 * quoted per-asset items) expanded and checked once, and configuration k decoded from its
 * index on demand (mixed radix), with its canonical text and stable 63-bit id. */
#include "sweep.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "spec.h"
#include "strategy.h"
#include "text.h"

/* Most values one range may expand to. */
#define MAX_RANGE 10000000
/* Most configurations a sweep may hold: indexes must fit an int64. */
#define MAX_COUNT (UINT64_C(1) << 63)
/* Longest number text considered for canonical form (longer texts stay as written). */
#define NUM_MAX 64

typedef enum sec_kind { SEC_DATA, SEC_COSTS, SEC_TAX, SEC_FLOWS, SEC_STRATEGY } sec_kind;

/* The values of one key: what a configuration may set it to. */
typedef struct values {
    const char *key;     /* static text: the settings table or the strategy's params */
    int line;
    size_t n;            /* >= 1 */
    const char **text;   /* n values as written (items trimmed and unquoted; range values generated) */
    const char **canon;  /* n canonical forms; the same array as text when canon_is_text */
    char *text_buf, *canon_buf;
    int canon_is_text;
    uint64_t stride;     /* configurations between two neighbouring values of this key */
    int percent;         /* the key is a fraction: its numbers may be written as percentages */
    const rb_setting_info *row; /* the key's row of the settings table */
    unsigned char *typed; /* beyond [data]: the n values parsed, row->size bytes each (what
                             configurations carry: rb_setting_put) */
} values;

typedef struct section {
    char *name;                  /* "threshold.tight" */
    const rb_strategy *strategy; /* SEC_STRATEGY only */
    sec_kind kind;
    int line;
    size_t nkeys, capkeys;
    values *keys;                /* file order while parsing, then sorted by key */
    uint64_t first;              /* SEC_STRATEGY: index of its first configuration */
} section;

struct rb_sweep {
    char *name;
    char *text;
    size_t nsec, capsec;
    section *sec;            /* every section, in file order */
    size_t nstrat;
    section **strat;         /* the strategy sections, in file order */
    size_t nshared;
    values **shared;         /* [costs], [tax], [flows] keys, sorted by key */
    uint64_t shared_count;   /* product of their counts */
    uint64_t count;
    size_t ndata;
    rb_sweep_kv *data;       /* [data], in file order */
    size_t nkeys;
    const char **keys;       /* sorted union of every key a configuration sets */
    size_t max_keys;
    rb_run_spec *base;       /* the defaults and the [data] settings, parsed */
};

/* ---------------------------------------------------------------- growing string lists */

/* NUL-terminated strings packed in one buffer; offsets become pointers once complete. */
typedef struct strlist {
    char *buf;
    size_t len, cap, start; /* start: where the string being written began */
    size_t *off;
    size_t n, ncap;
} strlist;

static int sl_put(strlist *l, const char *s, size_t len)
{
    if (l->len + len + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 64;
        while (l->len + len + 1 > cap) cap *= 2;
        char *grown = realloc(l->buf, cap);
        if (!grown) return 0;
        l->buf = grown;
        l->cap = cap;
    }
    memcpy(l->buf + l->len, s, len);
    l->len += len;
    return 1;
}

/* Terminates the string being written and records it. */
static int sl_end(strlist *l)
{
    if (!sl_put(l, "", 0)) return 0;
    l->buf[l->len++] = '\0';
    if (l->n == l->ncap) {
        size_t ncap = l->ncap ? 2 * l->ncap : 8;
        size_t *grown = realloc(l->off, ncap * sizeof *grown);
        if (!grown) return 0;
        l->off = grown;
        l->ncap = ncap;
    }
    l->off[l->n++] = l->start;
    l->start = l->len;
    return 1;
}

static int sl_add(strlist *l, const char *s) { return sl_put(l, s, strlen(s)) && sl_end(l); }

static void sl_clear(strlist *l)
{
    free(l->buf);
    free(l->off);
    memset(l, 0, sizeof *l);
}

/* Moves the strings out as an array of pointers into *buf (both malloc'ed). */
static const char **sl_finish(strlist *l, char **buf)
{
    const char **p = malloc((l->n ? l->n : 1) * sizeof *p);
    if (!p) return NULL;
    for (size_t i = 0; i < l->n; i++) p[i] = l->buf + l->off[i];
    *buf = l->buf;
    l->buf = NULL;
    sl_clear(l);
    return p;
}

/* ---------------------------------------------------------------- numbers */

/* 1 when s[0..len) is written as a plain decimal number (rb_number_syntax, the reader of
 * every setting) short enough to be given a canonical form. */
static int number_syntax(const char *s, size_t len) { return len > 0 && len < NUM_MAX && rb_number_syntax(s, len); }

/* 1 when s[0..len) is a plain decimal number (number_syntax) whose double is finite and
 * does not underflow; its value in *out. */
static int strict_number(const char *s, size_t len, double *out)
{
    return number_syntax(s, len) && rb_number_read(s, len, 0, out) == RB_NUMBER_OK;
}

/* The shortest "%.Ng" text (N = 15, 16, 17) that reads back as v; -0 is written 0. */
static void shortest(double v, char out[32])
{
    if (v == 0) v = 0; /* -0 == 0: drop the sign */
    for (int p = 15; p <= 17; p++) {
        snprintf(out, 32, "%.*g", p, v);
        if (strtod(out, NULL) == v) return;
    }
}

/* An exact decimal: value = (neg ? -1 : 1) * m * 10^exp, with at most 18 significant digits. */
typedef struct decimal {
    int neg;
    uint64_t m;
    int exp;
} decimal;

/* Reads a text strict_number accepted; 0 when it has more than 18 significant digits or an
 * exponent beyond +-400 (the range then falls back to binary arithmetic). */
static int parse_decimal(const char *s, decimal *d)
{
    d->neg = 0, d->m = 0, d->exp = 0;
    if (*s == '+' || *s == '-') d->neg = *s++ == '-';
    int sig = 0, frac = 0, seen_point = 0;
    for (; *s && *s != 'e' && *s != 'E'; s++) {
        if (*s == '.') {
            seen_point = 1;
            continue;
        }
        if (seen_point) frac++;
        if (d->m == 0 && *s == '0') continue; /* leading zeros carry no digits */
        if (++sig > 18) return 0;
        d->m = d->m * 10 + (uint64_t)(*s - '0');
    }
    long e = 0;
    if (*s) {
        e = strtol(s + 1, NULL, 10);
        if (e > 400 || e < -400) return 0;
    }
    d->exp = (int)e - frac;
    return 1;
}

/* d scaled by 10^scale as an int64 (d->exp + scale >= 0); 0 on overflow. */
static int scaled_int(const decimal *d, int scale, int64_t *out)
{
    uint64_t v = d->m;
    for (int i = 0; i < d->exp + scale && v != 0; i++) {
        if (v > (uint64_t)INT64_MAX / 10) return 0;
        v *= 10;
    }
    *out = d->neg ? -(int64_t)v : (int64_t)v;
    return 1;
}

/* Writes v * 10^-scale as an exact decimal text strtod reads ("-35e-3"). */
static void decimal_text(int64_t v, int scale, char out[64])
{
    snprintf(out, 64, "%llde%d", (long long)v, -scale);
}

/* Writes v * 10^-scale as "%.15g" would print the double nearest to it, straight from the
 * digits: a decimal of at most 15 significant digits reads back from its own %.15g text
 * (DBL_DIG), so this is its shortest exact form, with no printf or strtod per value.
 * Returns 0 (out untouched) beyond 15 digits or near the ends of the double range. */
static int fast_shortest(int64_t v, int scale, char out[32])
{
    if (v == 0) {
        strcpy(out, "0");
        return 1;
    }
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    while (u % 10 == 0) u /= 10, scale--;
    char digits[24];
    int n = 0;
    for (uint64_t t = u; t; t /= 10) n++;
    if (n > 15) return 0;
    for (int i = n - 1; i >= 0; i--, u /= 10) digits[i] = (char)('0' + u % 10);
    int x = n - 1 - scale; /* decimal exponent of the leading digit */
    if (x < -300 || x > 300) return 0;
    char *p = out;
    if (v < 0) *p++ = '-';
    if (x >= -4 && x < 15) { /* fixed notation */
        if (x < 0) {
            *p++ = '0';
            *p++ = '.';
            for (int i = 0; i < -x - 1; i++) *p++ = '0';
            memcpy(p, digits, (size_t)n);
            p += n;
        } else {
            for (int i = 0; i <= x; i++) *p++ = i < n ? digits[i] : '0';
            if (n > x + 1) {
                *p++ = '.';
                memcpy(p, digits + x + 1, (size_t)(n - x - 1));
                p += n - x - 1;
            }
        }
        *p = '\0';
    } else { /* exponent notation, at least two exponent digits */
        *p++ = digits[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, digits + 1, (size_t)(n - 1));
            p += n - 1;
        }
        snprintf(p, 8, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
    }
    return 1;
}

/* ---------------------------------------------------------------- canonical values */

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static const char *trim(const char *s, const char *e, const char **end)
{
    while (s < e && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    *end = e;
    return s;
}

/* One item of a per-asset value: a number for every asset, or SYM=number. */
typedef struct item {
    const char *sym;
    size_t symlen;
    char num[32];
} item;

static int cmp_item(const void *a, const void *b)
{
    const item *x = a, *y = b;
    size_t n = x->symlen < y->symlen ? x->symlen : y->symlen;
    int c = memcmp(x->sym, y->sym, n);
    return c ? c : (x->symlen > y->symlen) - (x->symlen < y->symlen);
}

/* Appends the canonical form of value to l (as the open string): a number in its shortest
 * exact form; a per-asset value ("5, ETH=20,BTC=10.0") with its items trimmed, numbers
 * shortest, the all-assets number first and the symbols sorted ("5,BTC=10,ETH=20"), when
 * it has at most one all-assets number and no symbol twice; anything else as written. */
static int put_canonical(strlist *l, const char *value)
{
    size_t len = strlen(value);
    double v;
    char num[32];
    if (strict_number(value, len, &v)) {
        shortest(v, num);
        return sl_put(l, num, strlen(num));
    }
    if (!strchr(value, '=')) return sl_put(l, value, len);
    size_t n = 1;
    for (const char *p = value; *p; p++) n += *p == ',';
    item *items = malloc(n * sizeof *items);
    if (!items) return 0;
    size_t k = 0, nall = 0;
    int ok = 1;
    for (const char *p = value; ok; p++) {
        const char *comma = strchr(p, ','), *stop = comma ? comma : p + strlen(p), *e;
        const char *s = trim(p, stop, &e);
        const char *eq = memchr(s, '=', (size_t)(e - s));
        item *it = &items[k++];
        const char *ne, *ns = eq ? trim(eq + 1, e, &ne) : s;
        if (!eq) ne = e;
        if (!strict_number(ns, (size_t)(ne - ns), &v)) {
            ok = 0;
            break;
        }
        shortest(v, it->num);
        if (eq) {
            const char *se;
            it->sym = trim(s, eq, &se);
            it->symlen = (size_t)(se - it->sym);
            if (it->symlen == 0) ok = 0;
        } else {
            it->sym = "";
            it->symlen = 0;
            nall++;
        }
        if (!comma) break;
        p = comma;
    }
    if (ok && nall <= 1) {
        /* the all-assets item has the empty symbol, so it sorts first */
        qsort(items, k, sizeof *items, cmp_item);
        for (size_t i = 1; i < k; i++)
            if (cmp_item(&items[i - 1], &items[i]) == 0) ok = 0;
    } else {
        ok = 0;
    }
    int rc = 1;
    if (!ok) {
        rc = sl_put(l, value, len);
    } else {
        for (size_t i = 0; i < k && rc; i++) {
            if (i) rc = sl_put(l, ",", 1);
            if (rc && items[i].symlen) rc = sl_put(l, items[i].sym, items[i].symlen) && sl_put(l, "=", 1);
            if (rc) rc = sl_put(l, items[i].num, strlen(items[i].num));
        }
    }
    free(items);
    return rc;
}

/* Appends item to l with every percentage written as the fraction it names, in shortest
 * form ("5%" -> 0.05; "ETH=2.5%, BTC=10" -> "ETH=0.025, BTC=10"): a number that is the
 * whole item, or in a per-asset value the text after a '=' or an item without one.
 * Everything else stays as written ("inner:50%" too: the strategy reads it). *had_percent:
 * some number was a percentage. */
static int put_fractions(strlist *l, const char *item, int *had_percent)
{
    if (!strchr(item, '%')) return sl_put(l, item, strlen(item));
    for (const char *p = item;;) {
        const char *comma = strchr(p, ','), *stop = comma ? comma : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *ne, *ns = trim(eq ? eq + 1 : p, stop, &ne);
        double v;
        char num[32];
        if (ne > ns && ne[-1] == '%' && number_syntax(ns, (size_t)(ne - ns) - 1) &&
            rb_number_read(ns, (size_t)(ne - ns), 1, &v) == RB_NUMBER_OK) {
            shortest(v, num);
            if (!sl_put(l, p, (size_t)(ns - p)) || !sl_put(l, num, strlen(num)) || !sl_put(l, ne, (size_t)(stop - ne)))
                return 0;
            *had_percent = 1;
        } else if (!sl_put(l, p, (size_t)(stop - p))) {
            return 0;
        }
        if (!comma) return 1;
        if (!sl_put(l, ",", 1)) return 0;
        p = comma + 1;
    }
}

/* ---------------------------------------------------------------- parsing state */

/* What the reader handed libinih last, so the handler knows what libinih calls it with. */
typedef enum piece_kind {
    PIECE_NONE,   /* a blank, comment or section line: libinih calls no handler */
    PIECE_KEY,    /* a key line (or the first part of a long one): a new value */
    PIECE_JOINED, /* the next part of a long physical line: appended as it is */
    PIECE_SPACED  /* a continuation line (or a part cut at blanks): appended after one blank */
} piece_kind;

/* The value being read: a key line and the continuation lines after it, complete (and
 * handed to on_value) once a line comes that does not continue it. */
typedef struct pending {
    int active;
    char *key;
    int line;      /* the key's physical line: every error about the value names it */
    size_t indent; /* the key line's indentation: a continuation line is indented more */
    char *value;
    size_t len, cap;
} pending;

typedef struct parse_ctx {
    rb_sweep *sw;
    const char *name;      /* for messages */
    const char *p, *end;   /* what the reader has not read yet */
    int line;              /* the physical line being handled */
    size_t cur;            /* index of the current section; SIZE_MAX before the first */
    int after_key;         /* a key line came earlier in this section */
    pending value;         /* the value being read */
    /* The physical line being handed over in parts: what is left of it, and how its next
     * part joins the value. */
    const char *split, *split_end;
    piece_kind split_kind;
    piece_kind piece;      /* what the last line handed over was */
    int piece_seen;        /* libinih called the handler for it */
    size_t key_indent;     /* the indentation of the key line handed over last */
    int *lines;            /* the physical line of each line handed to libinih */
    size_t nlines, caplines;
    int failed;
    rb_error *err;
    rb_status rc;
} parse_ctx;

/* Records the first error: "NAME:LINE: what". */
static int fail_line(parse_ctx *c, rb_status code, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_line(parse_ctx *c, rb_status code, int line, const char *fmt, ...)
{
    if (c->failed) return 0;
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        c->rc = rb_fail(c->err, code, "%s:%d: %s", c->name, line, msg);
    else
        c->rc = rb_fail(c->err, code, "%s: %s", c->name, msg);
    c->failed = 1;
    return 0;
}

/* Records the first error: "NAME:LINE: [section] key: what". */
static int fail_key(parse_ctx *c, int line, const section *s, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail_key(parse_ctx *c, int line, const section *s, const char *key, const char *fmt, ...)
{
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail_line(c, RB_ERR_USAGE, line, "[%s] %s: %s", s->name, key, msg);
}

/* A message of rb_run_spec_set ("--key: what") without its "--key: " start, which the
 * "[section] key:" prefix replaces. */
static const char *without_option(const char *msg, const char *key)
{
    size_t klen = strlen(key);
    if (strncmp(msg, "--", 2) == 0 && strncmp(msg + 2, key, klen) == 0 && strncmp(msg + 2 + klen, ": ", 2) == 0)
        return msg + 4 + klen;
    return msg;
}

/* A percentage given to a key that is not a fraction: rb_percent_refused's message. */
static int fail_percent(parse_ctx *c, const section *s, const char *key, const char *text)
{
    rb_error why = {0};
    rb_percent_refused(key, text, &why);
    return fail_key(c, c->line, s, key, "%s", without_option(why.msg, key));
}

static int nomem(parse_ctx *c)
{
    if (!c->failed) c->rc = rb_fail(c->err, RB_ERR_NOMEM, "out of memory");
    c->failed = 1;
    return 0;
}

/* "[buy-and-hold], [calendar], ...": every strategy section name. */
static void family_list(char *buf, size_t len)
{
    size_t n;
    const rb_strategy *const *all = rb_strategy_all(&n);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s[%s]", i ? ", " : "", all[i]->info.name);
    }
}

/* ---------------------------------------------------------------- sections */

static int valid_suffix(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-') return 0;
    return 1;
}

/* A "[name]" header: checks the name, refuses a repeat, and opens the section. */
static int open_section(parse_ctx *c, const char *name)
{
    rb_sweep *sw = c->sw;
    section s = {.line = c->line};
    char families[256];
    family_list(families, sizeof families);
    if (*name == '\0') return fail_line(c, RB_ERR_USAGE, c->line, "[]: a section needs a name");
    if (strcmp(name, "data") == 0) s.kind = SEC_DATA;
    else if (strcmp(name, "costs") == 0) s.kind = SEC_COSTS;
    else if (strcmp(name, "tax") == 0) s.kind = SEC_TAX;
    else if (strcmp(name, "flows") == 0) s.kind = SEC_FLOWS;
    else {
        s.kind = SEC_STRATEGY;
        const char *dot = strchr(name, '.');
        size_t flen = dot ? (size_t)(dot - name) : strlen(name);
        char family[64];
        if (flen < sizeof family) {
            memcpy(family, name, flen);
            family[flen] = '\0';
            s.strategy = rb_strategy_find(family);
        }
        if (!s.strategy) {
            /* the nearest section (or, for [STRATEGY.NAME], strategy) name */
            rb_nearest near;
            rb_nearest_init(&near, flen < sizeof family ? family : "");
            if (!dot)
                for (const char *const *fixed = (const char *const[]){"data", "costs", "tax", "flows", NULL}; *fixed;
                     fixed++)
                    rb_nearest_offer(&near, *fixed);
            size_t n;
            const rb_strategy *const *all = rb_strategy_all(&n);
            for (size_t i = 0; i < n; i++) rb_nearest_offer(&near, all[i]->info.name);
            const char *best = rb_nearest_best(&near);
            char hint[RB_NEAREST_MAX + 32] = "";
            if (best) snprintf(hint, sizeof hint, dot ? "; did you mean %s?" : "; did you mean [%s]?", best);
            if (!dot)
                return fail_line(c, RB_ERR_USAGE, c->line,
                                 "[%s]: unknown section%s (sections: [data], [costs], [tax], [flows], and one per "
                                 "rule named after its strategy: %s, or [STRATEGY.NAME])",
                                 name, hint, families);
            return fail_line(c, RB_ERR_USAGE, c->line, "[%s]: unknown strategy '%.*s'%s (known: %s)", name,
                             (int)flen, name, hint, families);
        }
        if (dot && !valid_suffix(dot + 1))
            return fail_line(c, RB_ERR_USAGE, c->line,
                             "[%s]: a strategy section is [%s] or [%s.NAME], NAME of letters, digits, '_' and '-'",
                             name, s.strategy->info.name, s.strategy->info.name);
    }
    for (size_t i = 0; i < sw->nsec; i++)
        if (strcmp(sw->sec[i].name, name) == 0)
            return fail_line(c, RB_ERR_USAGE, c->line, "[%s]: section given twice (first at line %d)", name,
                             sw->sec[i].line);
    if (sw->nsec == sw->capsec) {
        size_t cap = sw->capsec ? 2 * sw->capsec : 8;
        section *grown = realloc(sw->sec, cap * sizeof *grown);
        if (!grown) return nomem(c);
        sw->sec = grown;
        sw->capsec = cap;
    }
    if (!(s.name = strdup(name))) return nomem(c);
    sw->sec[sw->nsec] = s;
    c->cur = sw->nsec++;
    return 1;
}

/* ---------------------------------------------------------------- the reader
 *
 * libinih reads lines into a fixed buffer (198 characters in Debian's build) and has no
 * notion of a value longer than that, but it has multi-line values: an indented line after
 * a key line calls the handler again with that key. The reader below hands libinih every
 * physical line, a long one as a first line plus indented continuation parts, and the
 * handler joins the parts; a line indented more than its key (as in Python's configparser)
 * continues that key's value the same way. The value is handled once complete, when a line
 * comes that does not continue it. */

/* Where libinih splits a key line: the first '=' or ':' before an inline comment (';'
 * after a blank); -1 when there is none. */
static long key_separator(const char *s, size_t len)
{
    int was_space = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=' || s[i] == ':') return (long)i;
        if (was_space && s[i] == ';') break;
        was_space = isspace((unsigned char)s[i]);
    }
    return -1;
}

/* The end of the value text starting at s: before an inline comment (';' after a blank,
 * libinih's rule) and the blanks before it. */
static const char *value_end(const char *s, const char *e)
{
    int was_space = 0;
    for (const char *p = s; p < e; p++) {
        if (was_space && *p == ';') {
            e = p;
            break;
        }
        was_space = isspace((unsigned char)*p);
    }
    while (e > s && isspace((unsigned char)e[-1])) e--;
    return e;
}

/* 1 when s[0..len) starts like a setting line, "KEY =" or "KEY:" with a KEY rebal knows:
 * such a line is a setting of its own however it is indented (a continuation line holds
 * values, which never start that way). */
static int starts_with_setting(const char *s, size_t len)
{
    long sep = key_separator(s, len);
    if (sep <= 0) return 0;
    const char *e, *k = trim(s, s + sep, &e);
    char key[64];
    if (e - k <= 0 || (size_t)(e - k) >= sizeof key) return 0;
    memcpy(key, k, (size_t)(e - k));
    key[e - k] = '\0';
    return strcmp(key, "strategy") == 0 || rb_setting_find(key) != NULL;
}

/* A "[name]" line (trimmed, len characters): opens the section. */
static int header_line(parse_ctx *c, const char *line, size_t len)
{
    c->after_key = 0;
    const char *close = memchr(line, ']', len);
    if (!close) return fail_line(c, RB_ERR_USAGE, c->line, "a section header needs a closing ']'");
    const char *after = close + 1, *stop = line + len;
    while (after < stop && isspace((unsigned char)*after)) after++;
    if (after < stop && *after != ';' && *after != '#')
        return fail_line(c, RB_ERR_USAGE, c->line, "text after the section header: '%.*s'", (int)(stop - after), after);
    size_t nlen = (size_t)(close - line - 1);
    char *name = malloc(nlen + 1);
    if (!name) return nomem(c);
    memcpy(name, line + 1, nlen);
    name[nlen] = '\0';
    int ok = open_section(c, name);
    free(name);
    return ok;
}

/* Appends text to the value being read, after one blank when spaced (and the value is not
 * empty). */
static int value_append(parse_ctx *c, const char *text, int spaced)
{
    pending *v = &c->value;
    size_t n = strlen(text), need = v->len + n + 2;
    if (need > v->cap) {
        size_t cap = v->cap ? v->cap : 256;
        while (cap < need) cap *= 2;
        char *grown = realloc(v->value, cap);
        if (!grown) return nomem(c);
        v->value = grown;
        v->cap = cap;
    }
    if (spaced && v->len > 0 && n > 0) v->value[v->len++] = ' ';
    memcpy(v->value + v->len, text, n + 1);
    v->len += n;
    return 1;
}

static void value_clear(pending *v)
{
    free(v->key);
    free(v->value);
    memset(v, 0, sizeof *v);
}

static int on_value(parse_ctx *c, const char *name, const char *value);

/* The value being read is complete: handled with its key's line as the line in errors. */
static int value_done(parse_ctx *c)
{
    if (!c->value.active) return 1;
    int line = c->line;
    c->line = c->value.line;
    int ok = c->failed ? 0 : on_value(c, c->value.key, c->value.value ? c->value.value : "");
    c->line = line;
    value_clear(&c->value);
    return ok;
}

/* Records which physical line libinih's next line is (for its error line numbers). */
static int note_line(parse_ctx *c)
{
    if (c->nlines == c->caplines) {
        size_t cap = c->caplines ? 2 * c->caplines : 256;
        int *grown = realloc(c->lines, cap * sizeof *grown);
        if (!grown) return nomem(c);
        c->lines = grown;
        c->caplines = cap;
    }
    c->lines[c->nlines++] = c->line;
    return 1;
}

/* Copies s[0..len) into libinih's buffer (with an indent for a continuation part). */
static char *hand(parse_ctx *c, char *str, const char *s, size_t len, int indent, piece_kind kind)
{
    if (!note_line(c)) return NULL;
    size_t at = 0;
    if (indent) str[at++] = ' ';
    memcpy(str + at, s, len);
    str[at + len] = '\n';
    str[at + len + 1] = '\0';
    c->piece = kind;
    return str;
}

/* How many characters of s the next part takes, at least `least` and at most room (s holds
 * more than room characters). libinih trims each line, so a part ends and the next begins with a character
 * other than a blank (and the next not with ';' or '#', which would make it a comment
 * line): the parts then join back exactly. Only a run of blanks too long for that is cut
 * inside, and the parts joined with one blank (*spaced). 0: no place to cut. */
static size_t cut_at(const char *s, size_t least, size_t room, int *spaced)
{
    *spaced = 0;
    for (size_t k = room; k >= least && k > 0; k--)
        if (!isspace((unsigned char)s[k - 1]) && !isspace((unsigned char)s[k]) && s[k] != ';' && s[k] != '#')
            return k;
    for (size_t k = room; k >= least && k > 0; k--)
        if (isspace((unsigned char)s[k]) && !isspace((unsigned char)s[k - 1])) {
            *spaced = 1;
            return k;
        }
    return 0;
}

/* Hands libinih the next part of the physical line being split, indented as a continuation. */
static char *hand_next_part(parse_ctx *c, char *str, size_t room)
{
    const char *s = c->split;
    size_t len = (size_t)(c->split_end - s), take = len;
    int spaced = 0;
    piece_kind kind = c->split_kind;
    if (len > room && !(take = cut_at(s, 1, room, &spaced))) {
        fail_line(c, RB_ERR_USAGE, c->value.line, "[%s] %s: a value too long for one line of libinih with no place "
                  "to split it (a run of ';' or '#')", c->sw->sec[c->cur].name, c->value.key);
        return NULL;
    }
    const char *next = s + take;
    while (next < c->split_end && isspace((unsigned char)*next)) next++;
    if (next < c->split_end && *next == '#') {
        fail_line(c, RB_ERR_USAGE, c->value.line, "[%s] %s: '#' starts a comment only at the start of a line; after "
                  "a value write ' ; comment'", c->sw->sec[c->cur].name, c->value.key);
        return NULL;
    }
    c->split = next;
    c->split_kind = spaced ? PIECE_SPACED : PIECE_JOINED;
    return hand(c, str, s, take, 1, kind);
}

/* A key line (trimmed, len characters, indentation indent): handed whole when it fits, else
 * as its first part, the rest to follow as continuation parts. */
static char *hand_key_line(parse_ctx *c, char *str, size_t room, const char *s, size_t len, size_t indent)
{
    long sep = key_separator(s, len); /* found: read_line checked */
    c->after_key = 1;
    c->key_indent = indent;
    len = (size_t)(value_end(s + sep + 1, s + len) - s);
    if (len <= room) return hand(c, str, s, len, 0, PIECE_KEY);
    int spaced;
    size_t take = (size_t)sep + 1 <= room ? cut_at(s, (size_t)sep + 1, room, &spaced) : 0;
    if (!take) {
        fail_line(c, RB_ERR_USAGE, c->line, "a key of %ld characters: no setting is named that way", sep);
        return NULL;
    }
    const char *next = s + take;
    while (isspace((unsigned char)*next)) next++;
    c->split = next;
    c->split_end = s + len;
    c->split_kind = spaced ? PIECE_SPACED : PIECE_JOINED;
    return hand(c, str, s, take, 0, PIECE_KEY);
}

/* The libinih reader: hands over one line (or one part of a long physical line) at a time,
 * trimmed; a continuation is indented by one blank, so libinih takes it as one. */
static char *read_line(char *str, int num, void *stream)
{
    parse_ctx *c = stream;
    if (c->failed) return NULL;
    if (c->piece != PIECE_NONE && !c->piece_seen) {
        fail_line(c, RB_ERR_USAGE, c->line,
                  c->piece == PIECE_KEY ? "libinih did not read this line as a 'key = value' line"
                                        : "libinih did not read a continuation line (it needs multi-line values, "
                                          "INI_ALLOW_MULTILINE)");
        return NULL;
    }
    c->piece = PIECE_NONE;
    c->piece_seen = 0;
    /* room for an indent, the text, '\n' and '\0' in libinih's line buffer */
    if (num < 16) {
        fail_line(c, RB_ERR_USAGE, c->line, "libinih's line buffer holds only %d characters", num);
        return NULL;
    }
    size_t room = (size_t)num - 3;
    if (c->split && c->split < c->split_end) return hand_next_part(c, str, room);
    c->split = c->split_end = NULL;

    if (c->p >= c->end) {
        value_done(c);
        return NULL;
    }
    const char *s = c->p, *nl = memchr(s, '\n', (size_t)(c->end - s));
    const char *stop = nl ? nl : c->end, *e;
    c->p = nl ? nl + 1 : c->end;
    c->line++;
    if (c->line == 1 && stop - s >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3; /* UTF-8 BOM */
    const char *t = trim(s, stop, &e);
    size_t indent = (size_t)(t - s), len = (size_t)(e - t);
    if (len == 0) return hand(c, str, "", 0, 0, PIECE_NONE); /* blank lines end no value */
    if (*t == ';' || *t == '#') return hand(c, str, ";", 1, 0, PIECE_NONE);
    if (c->value.active && indent > c->value.indent && *t != '[' && !starts_with_setting(t, len)) {
        /* a continuation line: its text (without an inline comment) joins the value */
        const char *ve = value_end(t, e);
        if (ve == t) return hand(c, str, ";", 1, 0, PIECE_NONE);
        c->split = t;
        c->split_end = ve;
        c->split_kind = PIECE_SPACED;
        return hand_next_part(c, str, room);
    }
    if (*t != '[' && key_separator(t, len) < 0) {
        fail_line(c, RB_ERR_USAGE, c->line, "expected 'key = value' or a [section] header%s",
                  c->after_key ? " (a line that continues a value is indented more than its key)" : "");
        return NULL;
    }
    if (!value_done(c)) return NULL;
    if (*t == '[') {
        if (!header_line(c, t, len)) return NULL;
        /* libinih only needs to see a header (rebal keeps the whole name) */
        return hand(c, str, "[]", 2, 0, PIECE_NONE);
    }
    return hand_key_line(c, str, room, t, len, indent);
}

/* ---------------------------------------------------------------- keys */

static const rb_setting_info *find_run_setting(const char *key)
{
    for (size_t i = 0; i < rb_setting_count(); i++)
        if (strcmp(rb_setting_at(i)->key, key) == 0) return rb_setting_at(i);
    return NULL;
}

static const rb_setting_info *find_param(const rb_strategy *st, const char *key)
{
    for (size_t i = 0; i < st->info.nparams; i++)
        if (strcmp(st->info.params[i].key, key) == 0) return &st->info.params[i];
    return NULL;
}

/* The section a run setting's group belongs in; NULL for a strategy section. */
static const char *group_section(const char *group)
{
    if (strcmp(group, "data") == 0 || strcmp(group, "portfolio") == 0) return "data";
    if (strcmp(group, "costs") == 0 || strcmp(group, "tax") == 0 || strcmp(group, "flows") == 0) return group;
    return NULL;
}

/* The key's static text when key belongs in section s; NULL with the reason in why. */
static const char *place_key(const section *s, const char *key, char *why, size_t len)
{
    const rb_setting_info *set = find_run_setting(key);
    if (set && strcmp(set->key, "strategy") == 0) {
        snprintf(why, len, "not a setting of a sweep file: the section name chooses the strategy ([calendar], "
                           "[threshold.tight], ...)");
        return NULL;
    }
    if (s->kind == SEC_STRATEGY) {
        const rb_setting_info *p = find_param(s->strategy, key);
        if (p) return p->key;
        if (set && !group_section(set->group)) return set->key;
    } else if (set && group_section(set->group) && strcmp(group_section(set->group), s->name) == 0) {
        return set->key;
    }
    if (set) {
        const char *home = group_section(set->group);
        if (home)
            snprintf(why, len, "not a setting of this section (it belongs in [%s])", home);
        else
            snprintf(why, len, "not a setting of this section (it belongs in a strategy section)");
        return NULL;
    }
    char homes[256] = "";
    size_t n, found = 0;
    const rb_strategy *const *all = rb_strategy_all(&n);
    for (size_t i = 0; i < n; i++)
        if (find_param(all[i], key)) {
            size_t used = strlen(homes);
            snprintf(homes + used, sizeof homes - used, "%s[%s]", found++ ? " or " : "", all[i]->info.name);
        }
    if (found) {
        snprintf(why, len, "not a setting of this section (it belongs in %s)", homes);
    } else {
        /* the nearest key, those of this section first (the first of equals wins) */
        rb_nearest near;
        rb_nearest_init(&near, key);
        for (int pass = 0; pass < 2; pass++) {
            for (size_t i = 0; i < rb_setting_count(); i++) {
                const rb_setting_info *run = rb_setting_at(i);
                const char *home = group_section(run->group);
                int here = s->kind == SEC_STRATEGY ? !home : home && strcmp(home, s->name) == 0;
                if (here == !pass && strcmp(run->key, "strategy") != 0) rb_nearest_offer(&near, run->key);
            }
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < all[i]->info.nparams; j++)
                    if ((all[i] == s->strategy) == !pass) rb_nearest_offer(&near, all[i]->info.params[j].key);
        }
        snprintf(why, len, "unknown setting%s", rb_nearest_hint(&near));
    }
    return NULL;
}

/* ---------------------------------------------------------------- values */

static void values_clear(values *v)
{
    for (size_t i = 0; v->typed && i < v->n; i++) rb_setting_drop(v->row, v->typed + i * v->row->size);
    free(v->typed);
    if (!v->canon_is_text) {
        free(v->canon);
        free(v->canon_buf);
    }
    free(v->text);
    free(v->text_buf);
    memset(v, 0, sizeof *v);
}

/* 1 when value is written as a range: exactly two ':', no ',', and a number before the first
 * ':' (so "inner:0.5" and "2024-01-02T10:00:00" stay single values). */
static int looks_like_range(const char *value)
{
    const char *a = strchr(value, ':');
    if (!a || strchr(value, ',')) return 0;
    const char *b = strchr(a + 1, ':');
    if (!b || strchr(b + 1, ':')) return 0;
    const char *e, *t = trim(value, a, &e);
    if (e > t && e[-1] == '%') e--; /* a range of percentages */
    return number_syntax(t, (size_t)(e - t));
}

/* Expands "start:stop:step" into its values, written in canonical form. The i-th value is
 * start + i * step: computed exactly in decimal (scaled integers) when the three numbers
 * have at most 18 significant digits and fit after scaling, else in binary and rounded to
 * 15 significant digits; either way from the index, so nothing accumulates. */
static int expand_range(parse_ctx *c, const section *s, const char *key, int percent, const char *value,
                        strlist *out)
{
    const char *a = strchr(value, ':'), *b = strchr(a + 1, ':');
    const char *part[3] = {value, a + 1, b + 1};
    size_t plen[3] = {(size_t)(a - value), (size_t)(b - a - 1), strlen(b + 1)};
    double x[3];
    char text[3][NUM_MAX];
    int pct[3];
    for (int i = 0; i < 3; i++) {
        const char *e, *t = trim(part[i], part[i] + plen[i], &e);
        pct[i] = e > t && e[-1] == '%'; /* "1%:20%:1%": the numbers are percentages */
        size_t nlen = (size_t)(e - t) - (size_t)pct[i];
        if (!number_syntax(t, nlen))
            return fail_key(c, c->line, s, key, "range '%s': '%.*s' is not a number", value, (int)plen[i], part[i]);
        if (pct[i] != pct[0])
            return fail_key(c, c->line, s, key, "range '%s': write all three numbers as percentages or none", value);
        if (pct[i] && !percent) return fail_percent(c, s, key, value);
        if (rb_number_read(t, (size_t)(e - t), 1, &x[i]) != RB_NUMBER_OK)
            return fail_key(c, c->line, s, key, "range '%s': %.*s is beyond the range of a double", value,
                            (int)(e - t), t);
        memcpy(text[i], t, nlen);
        text[i][nlen] = '\0';
    }
    double start = x[0], stop = x[1], step = x[2];
    if (step == 0) return fail_key(c, c->line, s, key, "range '%s': the step is 0", value);
    if ((step > 0 && start > stop) || (step < 0 && start < stop))
        return fail_key(c, c->line, s, key, "range '%s': the step %s leads away from the stop (start:stop:step)", value,
                        step > 0 ? "> 0" : "< 0");

    decimal d[3];
    int64_t iv[3];
    int exact = 1, scale = 0;
    for (int i = 0; i < 3 && exact; i++) {
        exact = parse_decimal(text[i], &d[i]);
        if (exact && pct[i]) d[i].exp -= 2; /* a percentage is the decimal two places down */
        if (exact && -d[i].exp > scale) scale = -d[i].exp;
    }
    for (int i = 0; i < 3 && exact; i++) exact = scaled_int(&d[i], scale, &iv[i]);
    int64_t span = 0;
    if (exact) exact = !__builtin_sub_overflow(iv[1], iv[0], &span);
    double count;
    if (exact)
        count = (double)(span / iv[2]) + 1;
    else
        count = floor((stop - start) / step + 1e-9) + 1;
    /* decimals of 18 digits can differ where their doubles do not: check the direction again */
    if (!(count >= 1))
        return fail_key(c, c->line, s, key, "range '%s': the step leads away from the stop (start:stop:step)", value);
    if (!(count <= MAX_RANGE))
        return fail_key(c, c->line, s, key, "range '%s' gives %.0f values (at most %d)", value, count, MAX_RANGE);
    size_t n = (size_t)count;
    char num[64], canon[32];
    for (size_t i = 0; i < n; i++) {
        if (exact) {
            int64_t v = iv[0] + (int64_t)i * iv[2];
            if (!fast_shortest(v, scale, canon)) {
                decimal_text(v, scale, num);
                shortest(strtod(num, NULL), canon);
            }
        } else {
            snprintf(num, sizeof num, "%.15g", start + (double)i * step);
            shortest(strtod(num, NULL), canon);
        }
        if (!sl_add(out, canon)) return nomem(c);
        /* a step finer than a double (or than 15 digits, in binary) merges neighbours */
        if (i > 0 && strcmp(out->buf + out->off[i - 1], out->buf + out->off[i]) == 0)
            return fail_key(c, c->line, s, key, "range '%s': the step is too small to tell %s from the next value",
                            value, canon);
    }
    return 1;
}

/* Splits a value into its items: a list of double-quoted items ("BTC=10,ETH=20", "5"); a
 * value holding '=' (one per-asset value); a range; or a comma-separated list. */
static int split_value(parse_ctx *c, const section *s, const char *key, int percent, const char *value,
                       strlist *items, int *is_range)
{
    *is_range = 0;
    if (value[0] == '"') {
        for (const char *p = value;;) {
            if (*p != '"')
                return fail_key(c, c->line, s, key, "expected a quoted value at '%s' (quote every item of the list)",
                                p);
            const char *close = strchr(p + 1, '"'), *e;
            if (!close) return fail_key(c, c->line, s, key, "a quoted value is not closed: %s", p);
            const char *t = trim(p + 1, close, &e);
            if (t == e) return fail_key(c, c->line, s, key, "empty value in the list '%s'", value);
            if (!sl_put(items, t, (size_t)(e - t)) || !sl_end(items)) return nomem(c);
            p = close + 1;
            while (isspace((unsigned char)*p)) p++;
            if (*p == '\0') return 1;
            if (*p != ',') return fail_key(c, c->line, s, key, "expected ',' after a quoted value at '%s'", p);
            p++;
            while (isspace((unsigned char)*p)) p++;
        }
    }
    if (strchr(value, '"'))
        return fail_key(c, c->line, s, key,
                        "quotes make a list of per-asset values: quote every item, as in \"BTC=10,ETH=20\", \"5\"");
    if (strchr(value, '=')) return sl_add(items, value) ? 1 : nomem(c);
    if (looks_like_range(value)) {
        *is_range = 1;
        return expand_range(c, s, key, percent, value, items);
    }
    for (const char *p = value;;) {
        const char *comma = strchr(p, ','), *stop = comma ? comma : p + strlen(p), *e;
        const char *t = trim(p, stop, &e);
        if (t == e) return fail_key(c, c->line, s, key, "empty value in the list '%s'", value);
        if (!sl_put(items, t, (size_t)(e - t)) || !sl_end(items)) return nomem(c);
        if (looks_like_range(items->buf + items->off[items->n - 1]))
            return fail_key(c, c->line, s, key, "a range cannot be an item of a list: '%.*s'", (int)(e - t), t);
        if (!comma) return 1;
        p = comma + 1;
    }
}

/* Fills v from the written value: its items, their canonical forms, no two the same. */
static int expand_value(parse_ctx *c, const section *s, const char *key, const char *value, values *v)
{
    if (*value == '\0') return fail_key(c, c->line, s, key, "empty value");
    if (strchr(value, ';'))
        return fail_key(c, c->line, s, key, "';' inside a value ('%s'): a comment after a value needs a blank before "
                                            "the ';'", value);
    for (const char *p = value; *p; p++)
        if (*p == '#' && (p == value || isspace((unsigned char)p[-1])))
            return fail_key(c, c->line, s, key, "'#' starts a comment only at the start of a line; after a value "
                                                "write ' ; comment'");
    strlist written = {0}, items = {0}, canon = {0};
    int is_range, ok = split_value(c, s, key, v->percent, value, &written, &is_range);
    if (ok && s->kind == SEC_DATA && (is_range || written.n > 1))
        ok = fail_key(c, c->line, s, key, "values are single: the sweep runs on one dataset");
    if (ok && is_range) {
        items = written; /* range values are generated as fractions */
        memset(&written, 0, sizeof written);
    }
    if (ok && !is_range) {
        /* percentages become the fractions they name: what configurations carry and store */
        for (size_t i = 0; i < written.n && ok; i++) {
            const char *item = written.buf + written.off[i];
            int had_percent = 0;
            if (!put_fractions(&items, item, &had_percent) || !sl_end(&items)) ok = nomem(c);
            else if (had_percent && !v->percent) ok = fail_percent(c, s, key, item);
        }
        for (size_t i = 0; i < items.n && ok; i++)
            if (!put_canonical(&canon, items.buf + items.off[i]) || !sl_end(&canon)) ok = nomem(c);
    }
    sl_clear(&written);
    if (!ok) {
        sl_clear(&items);
        sl_clear(&canon);
        return 0;
    }
    v->n = items.n;
    v->text = sl_finish(&items, &v->text_buf);
    if (is_range) {
        /* range values are generated in canonical form */
        v->canon = v->text;
        v->canon_is_text = 1;
    } else {
        v->canon = sl_finish(&canon, &v->canon_buf);
    }
    sl_clear(&items);
    sl_clear(&canon);
    if (!v->text || !v->canon) return nomem(c);
    if (!is_range && v->n > 1) {
        const char **sorted = malloc(v->n * sizeof *sorted);
        if (!sorted) return nomem(c);
        memcpy(sorted, v->canon, v->n * sizeof *sorted);
        qsort(sorted, v->n, sizeof *sorted, cmp_str);
        for (size_t i = 1; i < v->n && ok; i++)
            if (strcmp(sorted[i - 1], sorted[i]) == 0)
                ok = fail_key(c, c->line, s, key, "the value %s is listed twice", sorted[i]);
        free(sorted);
    }
    return ok;
}

/* libinih's handler: a key line starts a value, a continuation (libinih calls with the
 * key again) adds to it; the value is handled once complete (value_done). */
static int on_pair(void *user, const char *inih_section, const char *name, const char *value)
{
    parse_ctx *c = user;
    (void)inih_section; /* libinih truncates names to 49 characters: the reader keeps the section */
    if (c->failed) return 1;
    c->piece_seen = 1;
    if (c->piece == PIECE_KEY) {
        c->value = (pending){.active = 1, .line = c->line, .indent = c->key_indent};
        if (!(c->value.key = strdup(name))) return nomem(c);
        return value_append(c, value, 0);
    }
    if ((c->piece == PIECE_JOINED || c->piece == PIECE_SPACED) && c->value.active)
        return value_append(c, value, c->piece == PIECE_SPACED);
    return fail_line(c, RB_ERR_USAGE, c->line, "libinih read this line as a value where rebal reads none");
}

/* One complete key = value of the current section. */
static int on_value(parse_ctx *c, const char *name, const char *value)
{
    if (*name == '\0') return fail_line(c, RB_ERR_USAGE, c->line, "a value without a key");
    if (c->cur == SIZE_MAX)
        return fail_line(c, RB_ERR_USAGE, c->line, "%s: a setting before any [section]", name);
    section *s = &c->sw->sec[c->cur];
    char why[512];
    const char *key = place_key(s, name, why, sizeof why);
    if (!key) return fail_key(c, c->line, s, name, "%s", why);
    for (size_t i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i].key, key) == 0)
            return fail_key(c, c->line, s, key, "given twice (first at line %d)", s->keys[i].line);
    if (s->nkeys == s->capkeys) {
        size_t cap = s->capkeys ? 2 * s->capkeys : 8;
        values *grown = realloc(s->keys, cap * sizeof *grown);
        if (!grown) return nomem(c);
        s->keys = grown;
        s->capkeys = cap;
    }
    values *v = &s->keys[s->nkeys];
    memset(v, 0, sizeof *v);
    v->key = key;
    v->line = c->line;
    v->row = rb_setting_find(key);
    v->percent = v->row->fraction;
    if (!expand_value(c, s, key, value, v)) {
        values_clear(v);
        return 0;
    }
    s->nkeys++;
    return 1;
}

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
    if (row->size > MAX_VALUE_BYTES) return fail_key(c, v->line, s, v->key, "internal: value too large");
    if (carry) {
        if (!(v->typed = calloc(v->n, row->size))) return nomem(c);
        rb_setting_take(row, base, saved);
    }
    for (size_t i = 0; i < v->n; i++) {
        rb_error why = {0};
        rb_status rc = rb_setting_read(row, v->text[i], base, &why);
        if (rc == RB_OK && strchr(v->text[i], '=') && carry) rc = rb_spec_check_symbols(base, &why);
        if (rc != RB_OK) {
            if (carry) {
                rb_setting_take(row, base, failed);
                rb_setting_drop(row, failed);
                memcpy((char *)base + row->offset, saved, row->size);
            }
            if (rc == RB_ERR_NOMEM) return nomem(c);
            return fail_key(c, v->line, s, v->key, "%s", without_option(why.msg, v->key));
        }
        if (carry) rb_setting_take(row, base, v->typed + i * row->size);
    }
    if (carry) memcpy((char *)base + row->offset, saved, row->size);
    return 1;
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
            return fail_line(c, RB_ERR_USAGE, s->line, "[%s]: %s", s->name, why.msg);
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
static const char *common_value(const char **x, size_t nx, const char **y, size_t ny)
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

static const char **sorted_canon(const values *v)
{
    const char **p = malloc(v->n * sizeof *p);
    if (!p) return NULL;
    memcpy(p, v->canon, v->n * sizeof *p);
    qsort(p, v->n, sizeof *p, cmp_str);
    return p;
}

/* Refuses two sections of one strategy that would repeat a configuration (the same keys,
 * and some value in common for each): it would get the same id twice. */
static int check_overlap(parse_ctx *c, const section *a, const section *b)
{
    if (a->strategy != b->strategy || a->nkeys != b->nkeys) return 1;
    for (size_t i = 0; i < a->nkeys; i++)
        if (strcmp(a->keys[i].key, b->keys[i].key) != 0) return 1;
    char example[256];
    snprintf(example, sizeof example, "strategy=%s", a->strategy->info.name);
    for (size_t i = 0; i < a->nkeys; i++) {
        const char **x = sorted_canon(&a->keys[i]), **y = sorted_canon(&b->keys[i]);
        const char *same = x && y ? common_value(x, a->keys[i].n, y, b->keys[i].n) : NULL;
        size_t used = strlen(example);
        if (same) snprintf(example + used, sizeof example - used, ";%s=%s", a->keys[i].key, same);
        int oom = !x || !y;
        free(x);
        free(y);
        if (oom) return nomem(c);
        if (!same) return 1;
    }
    return fail_line(c, RB_ERR_USAGE, b->line, "[%s]: repeats configurations of [%s] (line %d), e.g. %s", b->name,
                     a->name, a->line, example);
}

/* Everything checked once the whole text is read: [data] and its assets, each value through
 * rb_run_spec_set, the counts, the decoding strides, the key union. */
static int finish(parse_ctx *c)
{
    rb_sweep *sw = c->sw;
    const section *data = NULL;
    for (size_t i = 0; i < sw->nsec; i++)
        if (sw->sec[i].kind == SEC_DATA) data = &sw->sec[i];
    const values *assets = NULL;
    for (size_t i = 0; data && i < data->nkeys; i++)
        if (strcmp(data->keys[i].key, "assets") == 0) assets = &data->keys[i];
    if (!assets)
        return fail_line(c, RB_ERR_USAGE, data ? data->line : 0,
                         "%s must give assets (e.g. assets = BTC=0.5,ETH=0.3,USDC=0.2)",
                         data ? "[data]" : "a [data] section");

    rb_error why = {0};
    if (rb_run_spec_new(&sw->base, &why) != RB_OK) return nomem(c);
    int ok = 1;
    /* [data] first: per-asset values elsewhere are checked against its assets */
    for (size_t i = 0; data && ok && i < data->nkeys; i++) ok = check_values(c, sw->base, data, &data->keys[i]);
    for (size_t i = 0; ok && i < sw->nsec; i++)
        for (size_t j = 0; ok && sw->sec[i].kind != SEC_DATA && j < sw->sec[i].nkeys; j++)
            ok = check_values(c, sw->base, &sw->sec[i], &sw->sec[i].keys[j]);
    for (size_t i = 0; ok && i < sw->nsec; i++)
        if (sw->sec[i].kind == SEC_STRATEGY) ok = check_section(c, sw, &sw->sec[i]);
    if (!ok) return 0;

    for (size_t i = 0; i < sw->nsec; i++) {
        section *s = &sw->sec[i];
        if (s->kind == SEC_STRATEGY) sw->nstrat++;
        if (s->kind == SEC_COSTS || s->kind == SEC_TAX || s->kind == SEC_FLOWS) sw->nshared += s->nkeys;
        if (s->kind != SEC_DATA && s->nkeys > 1) qsort(s->keys, s->nkeys, sizeof *s->keys, cmp_values);
    }
    if (sw->nstrat == 0) {
        char families[256];
        family_list(families, sizeof families);
        return fail_line(c, RB_ERR_USAGE, 0, "no strategy section (%s)", families);
    }
    sw->strat = malloc(sw->nstrat * sizeof *sw->strat);
    sw->shared = malloc((sw->nshared ? sw->nshared : 1) * sizeof *sw->shared);
    sw->data = malloc((data->nkeys ? data->nkeys : 1) * sizeof *sw->data);
    if (!sw->strat || !sw->shared || !sw->data) return nomem(c);
    size_t ns = 0, nv = 0;
    for (size_t i = 0; i < sw->nsec; i++) {
        section *s = &sw->sec[i];
        if (s->kind == SEC_STRATEGY) sw->strat[ns++] = s;
        if (s->kind == SEC_COSTS || s->kind == SEC_TAX || s->kind == SEC_FLOWS)
            for (size_t j = 0; j < s->nkeys; j++) sw->shared[nv++] = &s->keys[j];
    }
    qsort(sw->shared, sw->nshared, sizeof *sw->shared, cmp_values_ptr);
    for (size_t i = 0; i < data->nkeys; i++) sw->data[i] = (rb_sweep_kv){data->keys[i].key, data->keys[i].text[0]};
    sw->ndata = data->nkeys;

    /* Mixed radix: section keys (sorted), then shared keys (sorted); the last varies fastest. */
    uint64_t stride = 1;
    for (size_t j = sw->nshared; j-- > 0;) {
        sw->shared[j]->stride = stride;
        if (__builtin_mul_overflow(stride, (uint64_t)sw->shared[j]->n, &stride) || stride > MAX_COUNT)
            return fail_line(c, RB_ERR_USAGE, 0, "more than 2^63 configurations");
    }
    sw->shared_count = stride;
    uint64_t total = 0;
    for (size_t i = 0; i < sw->nstrat; i++) {
        section *s = sw->strat[i];
        uint64_t st = sw->shared_count; /* becomes the size of the section's block */
        for (size_t j = s->nkeys; j-- > 0;) {
            s->keys[j].stride = st;
            if (__builtin_mul_overflow(st, (uint64_t)s->keys[j].n, &st) || st > MAX_COUNT)
                return fail_line(c, RB_ERR_USAGE, s->line, "[%s]: more than 2^63 configurations", s->name);
        }
        s->first = total;
        if (__builtin_add_overflow(total, st, &total) || total > MAX_COUNT)
            return fail_line(c, RB_ERR_USAGE, 0, "more than 2^63 configurations");
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
    sw->keys = malloc((cap ? cap : 1) * sizeof *sw->keys);
    if (!sw->keys) return nomem(c);
    for (size_t j = 0; j < sw->nshared; j++) sw->keys[sw->nkeys++] = sw->shared[j]->key;
    for (size_t i = 0; i < sw->nstrat; i++)
        for (size_t j = 0; j < sw->strat[i]->nkeys; j++) sw->keys[sw->nkeys++] = sw->strat[i]->keys[j].key;
    qsort(sw->keys, sw->nkeys, sizeof *sw->keys, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < sw->nkeys; i++)
        if (u == 0 || strcmp(sw->keys[u - 1], sw->keys[i]) != 0) sw->keys[u++] = sw->keys[i];
    sw->nkeys = u;
    return 1;
}

/* ---------------------------------------------------------------- parse and free */

void rb_sweep_free(rb_sweep *sw)
{
    if (!sw) return;
    for (size_t i = 0; i < sw->nsec; i++) {
        for (size_t j = 0; j < sw->sec[i].nkeys; j++) values_clear(&sw->sec[i].keys[j]);
        free(sw->sec[i].keys);
        free(sw->sec[i].name);
    }
    free(sw->sec);
    free(sw->strat);
    free(sw->shared);
    free(sw->data);
    free(sw->keys);
    free(sw->text);
    free(sw->name);
    rb_run_spec_free(sw->base);
    free(sw);
}

/* Parses text (owned by the new sweep on success and on failure alike). */
static rb_status parse_owned(char *text, const char *name, rb_sweep **out, rb_error *err)
{
    rb_sweep *sw = calloc(1, sizeof *sw);
    if (!sw || !(sw->name = strdup(name))) {
        free(text);
        free(sw);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    sw->text = text;
    parse_ctx c = {.sw = sw, .name = name, .p = text, .end = text + strlen(text), .cur = SIZE_MAX, .err = err};
    int rc = ini_parse_stream(read_line, &c, on_pair, &c);
    if (!c.failed && rc == 0) value_done(&c);
    if (!c.failed) {
        /* libinih counts the lines it was handed; a long physical line is several */
        int line = rc > 0 && (size_t)rc <= c.nlines ? c.lines[rc - 1] : rc;
        if (rc == -2) nomem(&c);
        else if (rc != 0) fail_line(&c, RB_ERR_USAGE, line, "not a [section] header or a 'key = value' line");
        else finish(&c);
    }
    value_clear(&c.value);
    free(c.lines);
    if (c.failed) {
        rb_sweep_free(sw);
        return c.rc;
    }
    *out = sw;
    return RB_OK;
}

rb_status rb_sweep_parse_text(const char *text, const char *name, rb_sweep **out, rb_error *err)
{
    char *copy = strdup(text ? text : "");
    if (!copy) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    return parse_owned(copy, name ? name : "sweep", out, err);
}

rb_status rb_sweep_parse_file(const char *path, rb_sweep **out, rb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return rb_fail(err, RB_ERR_IO, "%s: %s", path, strerror(errno));
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    int failed_read = 0;
    while (buf) {
        if (len + 1 >= cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) {
            failed_read = ferror(f);
            break;
        }
    }
    int read_errno = errno;
    fclose(f);
    if (!buf) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (failed_read) {
        free(buf);
        return rb_fail(err, RB_ERR_IO, "%s: %s", path, strerror(read_errno));
    }
    buf[len] = '\0';
    const char *nul = memchr(buf, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *p = buf; p < nul; p++) line += *p == '\n';
        free(buf);
        return rb_fail(err, RB_ERR_USAGE, "%s:%d: a NUL byte: not a text file", path, line);
    }
    return parse_owned(buf, path, out, err);
}

/* ---------------------------------------------------------------- decoding */

const char *rb_sweep_text(const rb_sweep *sw) { return sw ? sw->text : NULL; }

uint64_t rb_sweep_count(const rb_sweep *sw) { return sw ? sw->count : 0; }

size_t rb_sweep_data(const rb_sweep *sw, const rb_sweep_kv **kv)
{
    *kv = sw ? sw->data : NULL;
    return sw ? sw->ndata : 0;
}

size_t rb_sweep_max_keys(const rb_sweep *sw) { return sw ? sw->max_keys : 0; }

size_t rb_sweep_keys(const rb_sweep *sw, const char *const **keys)
{
    *keys = sw ? sw->keys : NULL;
    return sw ? sw->nkeys : 0;
}

/* The strategy section holding configuration k (< count), and k's index inside it. */
static const section *locate(const rb_sweep *sw, uint64_t k, uint64_t *local)
{
    size_t lo = 0, hi = sw->nstrat; /* the last section whose first <= k */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (sw->strat[mid]->first <= k) lo = mid;
        else hi = mid;
    }
    *local = k - sw->strat[lo]->first;
    return sw->strat[lo];
}

/* Calls visit for each key of configuration k in key order with its value index. Returns
 * the section. Pure. */
typedef void (*visit_fn)(void *ctx, const values *v, size_t index);

static const section *walk(const rb_sweep *sw, uint64_t k, visit_fn visit, void *ctx)
{
    uint64_t local;
    const section *s = locate(sw, k, &local);
    size_t i = 0, j = 0;
    while (i < s->nkeys || j < sw->nshared) {
        /* section keys and shared keys never coincide: they come from different groups */
        const values *v;
        if (j == sw->nshared || (i < s->nkeys && strcmp(s->keys[i].key, sw->shared[j]->key) < 0))
            v = &s->keys[i++];
        else
            v = sw->shared[j++];
        visit(ctx, v, (size_t)((local / v->stride) % v->n));
    }
    return s;
}

typedef struct kv_out {
    rb_sweep_kv *kv;
    size_t cap, n;
} kv_out;

static void put_kv(void *ctx, const values *v, size_t index)
{
    kv_out *o = ctx;
    if (o->n < o->cap) o->kv[o->n++] = (rb_sweep_kv){v->key, v->text[index]};
}

size_t rb_sweep_config(const rb_sweep *sw, uint64_t k, const char **section, const char **strategy,
                       rb_sweep_kv *kv, size_t cap)
{
    if (section) *section = NULL;
    if (strategy) *strategy = NULL;
    if (!sw || k >= sw->count) return 0;
    kv_out o = {kv, kv ? cap : 0, 0};
    const struct section *s = walk(sw, k, put_kv, &o);
    if (section) *section = s->name;
    if (strategy) *strategy = s->strategy->info.name;
    return o.n;
}

/* The canonical text, written into a buffer as far as it fits and hashed as a whole. */
typedef struct canon_out {
    char *buf;
    size_t len, pos;
    uint64_t hash;
} canon_out;

#define FNV_OFFSET UINT64_C(14695981039346656037)
#define FNV_PRIME UINT64_C(1099511628211)

static void emit(canon_out *o, const char *s)
{
    for (; *s; s++, o->pos++) {
        if (o->pos + 1 < o->len) o->buf[o->pos] = *s;
        o->hash = (o->hash ^ (unsigned char)*s) * FNV_PRIME;
    }
}

static void put_canon(void *ctx, const values *v, size_t index)
{
    emit(ctx, ";");
    emit(ctx, v->key);
    emit(ctx, "=");
    emit(ctx, v->canon[index]);
}

/* Writes the canonical text of k; returns 0 (and writes "") when k is out of range. */
static int canonical(const rb_sweep *sw, uint64_t k, canon_out *o)
{
    if (!sw || k >= sw->count) return 0;
    uint64_t local;
    emit(o, "strategy=");
    emit(o, locate(sw, k, &local)->strategy->info.name);
    walk(sw, k, put_canon, o);
    return 1;
}

size_t rb_sweep_canonical(const rb_sweep *sw, uint64_t k, char *buf, size_t len)
{
    canon_out o = {buf, buf ? len : 0, 0, FNV_OFFSET};
    canonical(sw, k, &o);
    if (o.len) o.buf[o.pos < o.len ? o.pos : o.len - 1] = '\0';
    return o.pos;
}

int64_t rb_sweep_config_id(const rb_sweep *sw, uint64_t k)
{
    canon_out o = {NULL, 0, 0, FNV_OFFSET};
    if (!canonical(sw, k, &o)) return -1;
    return (int64_t)(o.hash & INT64_MAX);
}

static void put_typed(void *ctx, const values *v, size_t index)
{
    rb_setting_put(v->row, ctx, v->typed + index * v->row->size);
}

void rb_sweep_fill(const rb_sweep *sw, uint64_t k, rb_run_spec *spec)
{
    *spec = *sw->base;
    const section *s = walk(sw, k, put_typed, spec);
    spec->strategy = (char *)s->strategy->info.name;
}
