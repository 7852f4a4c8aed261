/* text.c - text helpers (text.h): appending to a buffer, UTF-8 cutting, nearest-name hints, the check
 * of a symbol against the --assets. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "rebal.h"

void rb_text_append(char *buf, size_t len, const char *fmt, ...)
{
    size_t o = strlen(buf);
    if (o + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + o, len - o, fmt, ap);
    va_end(ap);
}

size_t rb_utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max) return n;
    size_t k = max, floor = max > 3 ? max - 3 : 0;
    /* Step back over continuation bytes (10xxxxxx) to the start of the character at k: at
     * most 3, the most a character has (bytes that are not UTF-8 are cut anywhere). */
    while (k > floor && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k;
}

size_t rb_utf8_char(const char *s, size_t n, unsigned long *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[0];
    size_t len;
    unsigned long v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) len = 2, v = c & 0x1Fu, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, v = c & 0x0Fu, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, v = c & 0x07u, min = 0x10000;
    else return 0; /* a continuation byte, or a lead byte no well-formed character has */
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (u[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

int rb_is_control_char(unsigned long cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

const char *rb_text_quote(const char *s, size_t n, size_t max, char *out, size_t outsz)
{
    size_t o = 0;
    int cut = 0;
    if (n > max) {
        n = rb_utf8_cut(s, n, max);
        cut = 1;
    }
    for (size_t i = 0; i < n && o + 8 < outsz;) {
        unsigned long cp;
        size_t len = rb_utf8_char(s + i, n - i, &cp);
        if (len == 0 || rb_is_control_char(cp)) {
            unsigned char c = (unsigned char)s[i];
            if (c == '\n') o += (size_t)snprintf(out + o, outsz - o, "\\n");
            else if (c == '\t') o += (size_t)snprintf(out + o, outsz - o, "\\t");
            else if (c == '\r') o += (size_t)snprintf(out + o, outsz - o, "\\r");
            else
                for (size_t k = 0; k < (len ? len : 1) && o + 8 < outsz; k++)
                    o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", (unsigned char)s[i + k]);
            i += len ? len : 1;
            continue;
        }
        if (o + len + 8 >= outsz) break;
        memcpy(out + o, s + i, len);
        o += len;
        i += len;
    }
    if (cut && o + 4 <= outsz) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o < outsz ? o : outsz - 1] = '\0';
    return out;
}

/* ---------------------------------------------------------------- nearest names */

static int fold(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : (unsigned char)c; }

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* The optimal-string-alignment distance between a and b (letter case ignored): edits that
 * insert, delete or substitute one character or swap two neighbours, so "rnu" is 1 from
 * "run". Both are at most RB_NEAREST_MAX bytes. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t rows[3][RB_NEAREST_MAX + 1];
    size_t *before = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int same = fold(a[i - 1]) == fold(b[j - 1]);
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + !same);
            if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) && fold(a[i - 2]) == fold(b[j - 1]) &&
                before[j - 2] + 1 < cur[j])
                cur[j] = before[j - 2] + 1;
        }
        size_t *t = before;
        before = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

void rb_nearest_init(rb_nearest *n, const char *word)
{
    memset(n, 0, sizeof *n);
    n->word = word ? word : "";
    n->distance = (size_t)-1;
}

void rb_nearest_offer(rb_nearest *n, const char *name)
{
    size_t lw = strlen(n->word), ln = name ? strlen(name) : 0;
    if (!name || n->same_but_case || lw == 0 || lw > RB_NEAREST_MAX || ln > RB_NEAREST_MAX) return;
    if (strcmp(name, n->word) == 0) return; /* the word itself is no hint */
    size_t d = edit_distance(n->word, lw, name, ln);
    int same_but_case = ln == lw && d == 0;
    size_t most = lw / 3 > 1 ? lw / 3 : 1;
    if (!same_but_case && (d > most || d >= lw || d >= n->distance)) return;
    memcpy(n->best, name, ln + 1);
    n->distance = d;
    n->same_but_case = same_but_case;
}

const char *rb_nearest_best(const rb_nearest *n) { return n->best[0] ? n->best : NULL; }

const char *rb_nearest_hint(rb_nearest *n)
{
    if (!n->best[0]) return "";
    snprintf(n->hint, sizeof n->hint, "; did you mean %s?", n->best);
    return n->hint;
}

rb_status rb_check_among_assets(const char *key, const char *symbol, char *const *symbols, size_t n, rb_error *err)
{
    for (size_t j = 0; j < n; j++)
        if (strcmp(symbols[j], symbol) == 0) return RB_OK;
    rb_nearest near;
    rb_nearest_init(&near, symbol);
    for (size_t j = 0; j < n; j++) rb_nearest_offer(&near, symbols[j]);
    return rb_fail(err, RB_ERR_USAGE, "--%s: %s is not one of the --assets%s", key, symbol, rb_nearest_hint(&near));
}

const char *rb_nearest_name(const char *word, const char *const *names, size_t count)
{
    rb_nearest n;
    rb_nearest_init(&n, word);
    for (size_t i = 0; i < count; i++) rb_nearest_offer(&n, names[i]);
    const char *best = rb_nearest_best(&n);
    for (size_t i = 0; best && i < count; i++)
        if (names[i] && strcmp(names[i], best) == 0) return names[i];
    return NULL;
}

void rb_safe_file_name(const char *text, const char *extra, char *out, size_t len)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 1 < len; p++) {
        unsigned char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '_' || (c == '.' && o > 0) || (c != '.' && strchr(extra, c));
        out[o++] = ok ? (char)c : '_';
    }
    if (o == 0 && len > 1) out[o++] = '_';
    out[o] = '\0';
}
