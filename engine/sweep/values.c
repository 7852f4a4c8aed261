/* values.c - the values of one key of a sweep file: a single value, a list, quoted
 * per-asset items or a range "start:stop:step" computed exactly in decimal; percentages
 * become the fractions they name; each value's canonical form (for ids). */
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

int sw_sl_put(strlist *l, const char *s, size_t len)
{
    if (l->len + len + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 64;
        while (l->len + len + 1 > cap) cap *= 2;
        char *grown = rb_realloc(l->buf, cap);
        if (!grown) return 0;
        l->buf = grown;
        l->cap = cap;
    }
    memcpy(l->buf + l->len, s, len);
    l->len += len;
    return 1;
}

/* Terminates the string being written and records it. */
int sw_sl_end(strlist *l)
{
    if (!sw_sl_put(l, "", 0)) return 0;
    l->buf[l->len++] = '\0';
    if (l->n == l->ncap) {
        size_t ncap = l->ncap ? 2 * l->ncap : 8;
        size_t *grown = rb_realloc(l->off, ncap * sizeof *grown);
        if (!grown) return 0;
        l->off = grown;
        l->ncap = ncap;
    }
    l->off[l->n++] = l->start;
    l->start = l->len;
    return 1;
}

int sw_sl_add(strlist *l, const char *s) { return sw_sl_put(l, s, strlen(s)) && sw_sl_end(l); }

void sw_sl_clear(strlist *l)
{
    free(l->buf);
    free(l->off);
    memset(l, 0, sizeof *l);
}

/* Moves the strings out as an array of pointers into *buf (both malloc'ed). */
static const char **sl_finish(strlist *l, char **buf)
{
    const char **p = rb_malloc((l->n ? l->n : 1) * sizeof *p);
    if (!p) return NULL;
    for (size_t i = 0; i < l->n; i++) p[i] = l->buf + l->off[i];
    *buf = l->buf;
    l->buf = NULL;
    sw_sl_clear(l);
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

int sw_cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

const char *sw_trim(const char *s, const char *e, const char **end)
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
        return sw_sl_put(l, num, strlen(num));
    }
    if (!strchr(value, '=')) return sw_sl_put(l, value, len);
    size_t n = 1;
    for (const char *p = value; *p; p++) n += *p == ',';
    item *items = rb_malloc(n * sizeof *items);
    if (!items) return 0;
    size_t k = 0, nall = 0;
    int ok = 1;
    for (const char *p = value; ok; p++) {
        const char *comma = strchr(p, ','), *stop = comma ? comma : p + strlen(p), *e;
        const char *s = sw_trim(p, stop, &e);
        const char *eq = memchr(s, '=', (size_t)(e - s));
        item *it = &items[k++];
        const char *ne, *ns = eq ? sw_trim(eq + 1, e, &ne) : s;
        if (!eq) ne = e;
        if (!strict_number(ns, (size_t)(ne - ns), &v)) {
            ok = 0;
            break;
        }
        shortest(v, it->num);
        if (eq) {
            const char *se;
            it->sym = sw_trim(s, eq, &se);
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
        rc = sw_sl_put(l, value, len);
    } else {
        for (size_t i = 0; i < k && rc; i++) {
            if (i) rc = sw_sl_put(l, ",", 1);
            if (rc && items[i].symlen) rc = sw_sl_put(l, items[i].sym, items[i].symlen) && sw_sl_put(l, "=", 1);
            if (rc) rc = sw_sl_put(l, items[i].num, strlen(items[i].num));
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
    if (!strchr(item, '%')) return sw_sl_put(l, item, strlen(item));
    for (const char *p = item;;) {
        const char *comma = strchr(p, ','), *stop = comma ? comma : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *ne, *ns = sw_trim(eq ? eq + 1 : p, stop, &ne);
        double v;
        char num[32];
        if (ne > ns && ne[-1] == '%' && number_syntax(ns, (size_t)(ne - ns) - 1) &&
            rb_number_read(ns, (size_t)(ne - ns), 1, &v) == RB_NUMBER_OK) {
            shortest(v, num);
            if (!sw_sl_put(l, p, (size_t)(ns - p)) || !sw_sl_put(l, num, strlen(num)) || !sw_sl_put(l, ne, (size_t)(stop - ne)))
                return 0;
            *had_percent = 1;
        } else if (!sw_sl_put(l, p, (size_t)(stop - p))) {
            return 0;
        }
        if (!comma) return 1;
        if (!sw_sl_put(l, ",", 1)) return 0;
        p = comma + 1;
    }
}

/* ---------------------------------------------------------------- values */

void sw_values_clear(values *v)
{
    for (size_t i = 0; v->typed && i < v->n; i++) rb_setting_drop(v->row, v->typed + i * v->row->size);
    free(v->typed);
    free(v->sorted);
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
    const char *e, *t = sw_trim(value, a, &e);
    if (e > t && e[-1] == '%') e--; /* a range of percentages */
    return number_syntax(t, (size_t)(e - t));
}

/* A range "start:stop:step" read and checked, not yet written out. Its i-th value is
 * start + i * step: computed exactly in decimal (scaled integers, iv at scale) when the
 * three numbers have at most 18 significant digits and fit after scaling, else in binary
 * and rounded to 15 significant digits; either way from the index, so nothing accumulates. */
typedef struct range {
    int exact, scale;
    int64_t iv[3];
    double start, step;
    double count; /* how many values it gives (as large as the numbers say: not yet bounded) */
} range;

/* Reads and checks "start:stop:step" and counts its values, writing none. */
static int plan_range(parse_ctx *c, const section *s, const char *key, int percent, const char *value, range *r)
{
    const char *a = strchr(value, ':'), *b = strchr(a + 1, ':');
    const char *part[3] = {value, a + 1, b + 1};
    size_t plen[3] = {(size_t)(a - value), (size_t)(b - a - 1), strlen(b + 1)};
    double x[3];
    char text[3][NUM_MAX];
    int pct[3];
    for (int i = 0; i < 3; i++) {
        const char *e, *t = sw_trim(part[i], part[i] + plen[i], &e);
        pct[i] = e > t && e[-1] == '%'; /* "1%:20%:1%": the numbers are percentages */
        size_t nlen = (size_t)(e - t) - (size_t)pct[i];
        if (!number_syntax(t, nlen))
            return sw_fail_key(c, c->line, s, key, "range '%s': '%.*s' is not a number", value, (int)plen[i], part[i]);
        if (pct[i] != pct[0])
            return sw_fail_key(c, c->line, s, key, "range '%s': write all three numbers as percentages or none", value);
        if (pct[i] && !percent) return sw_fail_percent(c, s, key, value);
        if (rb_number_read(t, (size_t)(e - t), 1, &x[i]) != RB_NUMBER_OK)
            return sw_fail_key(c, c->line, s, key, "range '%s': %.*s is beyond the range of a double", value,
                            (int)(e - t), t);
        memcpy(text[i], t, nlen);
        text[i][nlen] = '\0';
    }
    double start = x[0], stop = x[1], step = x[2];
    if (step == 0) return sw_fail_key(c, c->line, s, key, "range '%s': the step is 0", value);
    if ((step > 0 && start > stop) || (step < 0 && start < stop))
        return sw_fail_key(c, c->line, s, key, "range '%s': the step %s leads away from the stop (start:stop:step)", value,
                        step > 0 ? "> 0" : "< 0");

    decimal d[3];
    *r = (range){.exact = 1, .start = start, .step = step};
    for (int i = 0; i < 3 && r->exact; i++) {
        r->exact = parse_decimal(text[i], &d[i]);
        if (r->exact && pct[i]) d[i].exp -= 2; /* a percentage is the decimal two places down */
        if (r->exact && -d[i].exp > r->scale) r->scale = -d[i].exp;
    }
    for (int i = 0; i < 3 && r->exact; i++) r->exact = scaled_int(&d[i], r->scale, &r->iv[i]);
    int64_t span = 0;
    if (r->exact) r->exact = !__builtin_sub_overflow(r->iv[1], r->iv[0], &span);
    if (r->exact)
        r->count = (double)(span / r->iv[2]) + 1;
    else
        r->count = floor((stop - start) / step + 1e-9) + 1;
    /* decimals of 18 digits can differ where their doubles do not: check the direction again */
    if (!(r->count >= 1))
        return sw_fail_key(c, c->line, s, key, "range '%s': the step leads away from the stop (start:stop:step)", value);
    return 1;
}

/* Writes the values of a planned range (count within the file's limit) into out, each in
 * canonical form. */
static int write_range(parse_ctx *c, const section *s, const char *key, const char *value, const range *r,
                       strlist *out)
{
    size_t n = (size_t)r->count;
    char num[64], canon[32];
    for (size_t i = 0; i < n; i++) {
        if (r->exact) {
            int64_t v = r->iv[0] + (int64_t)i * r->iv[2];
            if (!fast_shortest(v, r->scale, canon)) {
                decimal_text(v, r->scale, num);
                shortest(strtod(num, NULL), canon);
            }
        } else {
            snprintf(num, sizeof num, "%.15g", r->start + (double)i * r->step);
            shortest(strtod(num, NULL), canon);
        }
        if (!sw_sl_add(out, canon)) return sw_nomem(c);
        /* a step finer than a double (or than 15 digits, in binary) merges neighbours */
        if (i > 0 && strcmp(out->buf + out->off[i - 1], out->buf + out->off[i]) == 0)
            return sw_fail_key(c, c->line, s, key, "range '%s': the step is too small to tell %s from the next value",
                            value, canon);
    }
    return 1;
}

/* Splits a value into its items: a list of double-quoted items ("BTC=10,ETH=20", "5"); a
 * value holding '=' (one per-asset value), or [data]'s assets (the symbols alone, with
 * targets-csv: "SPY,TLT"); or a comma-separated list. A range is only
 * planned (*is_range, r): its values are written once they are known to fit. */
static int split_value(parse_ctx *c, const section *s, const char *key, int percent, const char *value,
                       strlist *items, int *is_range, range *r)
{
    *is_range = 0;
    if (value[0] == '"') {
        for (const char *p = value;;) {
            if (*p != '"')
                return sw_fail_key(c, c->line, s, key, "expected a quoted value at '%s' (quote every item of the list)",
                                p);
            const char *close = strchr(p + 1, '"'), *e;
            if (!close) return sw_fail_key(c, c->line, s, key, "a quoted value is not closed: %s", p);
            const char *t = sw_trim(p + 1, close, &e);
            if (t == e) return sw_fail_key(c, c->line, s, key, "empty value in the list '%s'", value);
            if (!sw_sl_put(items, t, (size_t)(e - t)) || !sw_sl_end(items)) return sw_nomem(c);
            p = close + 1;
            while (isspace((unsigned char)*p)) p++;
            if (*p == '\0') return 1;
            if (*p != ',') return sw_fail_key(c, c->line, s, key, "expected ',' after a quoted value at '%s'", p);
            p++;
            while (isspace((unsigned char)*p)) p++;
        }
    }
    if (strchr(value, '"'))
        return sw_fail_key(c, c->line, s, key,
                        "quotes make a list of per-asset values: quote every item, as in \"BTC=10,ETH=20\", \"5\"");
    if (strchr(value, '=') || (s->kind == SEC_DATA && strcmp(key, "assets") == 0))
        return sw_sl_add(items, value) ? 1 : sw_nomem(c);
    if (looks_like_range(value)) {
        *is_range = 1;
        return plan_range(c, s, key, percent, value, r);
    }
    for (const char *p = value;;) {
        const char *comma = strchr(p, ','), *stop = comma ? comma : p + strlen(p), *e;
        const char *t = sw_trim(p, stop, &e);
        if (t == e) return sw_fail_key(c, c->line, s, key, "empty value in the list '%s'", value);
        if (!sw_sl_put(items, t, (size_t)(e - t)) || !sw_sl_end(items)) return sw_nomem(c);
        if (looks_like_range(items->buf + items->off[items->n - 1]))
            return sw_fail_key(c, c->line, s, key, "a range cannot be an item of a list: '%.*s'", (int)(e - t), t);
        if (!comma) return 1;
        p = comma + 1;
    }
}

/* Fills v from the written value: its items, their canonical forms, no two the same; once
 * the file is past its limit (sw_values_fit), only v->count. */
int sw_expand_value(parse_ctx *c, const section *s, const char *key, const char *value, values *v)
{
    if (*value == '\0') return sw_fail_key(c, c->line, s, key, "empty value");
    if (strchr(value, ';'))
        return sw_fail_key(c, c->line, s, key, "';' inside a value ('%s'): a comment after a value needs a blank before "
                                            "the ';'", value);
    for (const char *p = value; *p; p++)
        if (*p == '#' && (p == value || isspace((unsigned char)p[-1])))
            return sw_fail_key(c, c->line, s, key, "'#' starts a comment only at the start of a line; after a value "
                                                "write ' ; comment'");
    strlist written = {0}, items = {0}, canon = {0};
    range r = {0};
    int is_range, ok = split_value(c, s, key, v->percent, value, &written, &is_range, &r);
    if (ok && s->kind == SEC_DATA && (is_range || written.n > 1))
        ok = sw_fail_key(c, c->line, s, key, "values are single: the sweep runs on one dataset");
    if (ok) {
        /* Counted before a range is written out: past the file's limit, only counted. */
        v->count = is_range ? r.count : (double)written.n;
        if (!sw_values_fit(c, s, key, is_range ? value : NULL, v->count)) {
            sw_sl_clear(&written);
            return 1;
        }
    }
    if (ok && is_range) ok = write_range(c, s, key, value, &r, &items); /* generated as fractions */
    if (ok && !is_range) {
        /* percentages become the fractions they name: what configurations carry and store */
        for (size_t i = 0; i < written.n && ok; i++) {
            const char *item = written.buf + written.off[i];
            int had_percent = 0;
            if (!put_fractions(&items, item, &had_percent) || !sw_sl_end(&items)) ok = sw_nomem(c);
            else if (had_percent && !v->percent) ok = sw_fail_percent(c, s, key, item);
        }
        for (size_t i = 0; i < items.n && ok; i++)
            if (!put_canonical(&canon, items.buf + items.off[i]) || !sw_sl_end(&canon)) ok = sw_nomem(c);
    }
    sw_sl_clear(&written);
    if (!ok) {
        sw_sl_clear(&items);
        sw_sl_clear(&canon);
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
    sw_sl_clear(&items);
    sw_sl_clear(&canon);
    if (!v->text || !v->canon) return sw_nomem(c);
    if (!is_range && v->n > 1) {
        const char **sorted = rb_malloc(v->n * sizeof *sorted);
        if (!sorted) return sw_nomem(c);
        memcpy(sorted, v->canon, v->n * sizeof *sorted);
        qsort(sorted, v->n, sizeof *sorted, sw_cmp_str);
        for (size_t i = 1; i < v->n && ok; i++)
            if (strcmp(sorted[i - 1], sorted[i]) == 0)
                ok = sw_fail_key(c, c->line, s, key, "the value %s is listed twice", sorted[i]);
        v->sorted = sorted; /* kept for comparing sections (expand.c) */
    }
    return ok;
}
