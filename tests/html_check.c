/* html_check.c - the tests' HTML well-formedness checker and start-tag counter (html_check.h):
 * one pass over the bytes with a stack of open elements. */
#include "html_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct open_tag {
    const char *name;
    size_t len;
    size_t at; /* byte offset of its '<' */
} open_tag;

typedef struct scan {
    const char *s;
    size_t n;
    char *why;
    size_t whylen;
    open_tag *stack;
    size_t depth, cap;
    const char *count_tag; /* NULL when not counting */
    int count;
    int seen_element;
} scan;

#define MAX_ATTRS 64

static const char *const void_elements[] = {"area",  "base", "br",   "col",    "embed", "hr", "img",
                                            "input", "link", "meta", "source", "track", "wbr"};

static int fail(scan *sc, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(scan *sc, size_t at, const char *fmt, ...)
{
    if (sc->why && sc->whylen > 0) {
        int k = snprintf(sc->why, sc->whylen, "offset %zu: ", at);
        if (k >= 0 && (size_t)k < sc->whylen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(sc->why + k, sc->whylen - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int name_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

static int is_void(const char *name, size_t len)
{
    for (size_t k = 0; k < sizeof void_elements / sizeof void_elements[0]; k++)
        if (name_is(name, len, void_elements[k])) return 1;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (at most left bytes), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (left < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t k = 2; k < len; k++)
        if (p[k] < 0x80 || p[k] > 0xBF) return 0;
    return len;
}

/* Checks the character at *i (text, raw text or an attribute value) and steps over it. */
static int plain_char(scan *sc, size_t *i)
{
    unsigned char c = (unsigned char)sc->s[*i];
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return fail(sc, *i, "control character 0x%02x", c);
    size_t len = utf8_len((const unsigned char *)sc->s + *i, sc->n - *i);
    if (len == 0) return fail(sc, *i, "invalid UTF-8 byte 0x%02x", c);
    *i += len;
    return 1;
}

/* Steps over the entity at *i ('&'). */
static int entity(scan *sc, size_t *i)
{
    static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;"};
    const char *p = sc->s + *i;
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
        size_t len = strlen(named[k]);
        if (strncmp(p, named[k], len) == 0) {
            *i += len;
            return 1;
        }
    }
    if (p[1] == '#') {
        int hex = p[2] == 'x' || p[2] == 'X';
        size_t j = hex ? 3 : 2, digits = 0;
        unsigned long v = 0;
        for (;; j++, digits++) {
            char c = p[j];
            int d;
            if (is_digit(c))
                d = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                break;
            if (digits >= 8) return fail(sc, *i, "character reference with too many digits");
            v = v * (hex ? 16 : 10) + (unsigned long)d;
        }
        if (digits == 0 || p[j] != ';') return fail(sc, *i, "malformed character reference (write &amp; for a '&')");
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (v < 0x20 && v != 9 && v != 10 && v != 13))
            return fail(sc, *i, "character reference to U+%04lX, not a character a page may hold", v);
        *i += j + 1;
        return 1;
    }
    return fail(sc, *i, "'&' does not start &amp; &lt; &gt; &quot; or a character reference (write &amp;)");
}

static int push(scan *sc, const char *name, size_t len, size_t at)
{
    if (sc->depth == sc->cap) {
        size_t cap = sc->cap ? 2 * sc->cap : 32;
        open_tag *grown = realloc(sc->stack, cap * sizeof *grown);
        if (!grown) return fail(sc, at, "out of memory");
        sc->stack = grown;
        sc->cap = cap;
    }
    sc->stack[sc->depth++] = (open_tag){name, len, at};
    return 1;
}

/* The raw text of a script or style element opened at `at`: up to its closing tag. */
static int raw_text(scan *sc, size_t *i, const char *name, size_t len, size_t at)
{
    size_t j = *i;
    while (j < sc->n) {
        if (sc->s[j] == '<' && sc->s[j + 1] == '/' && strncasecmp(sc->s + j + 2, name, len) == 0) {
            char after = sc->s[j + 2 + len];
            if (is_space(after) || after == '>' || after == '/') {
                *i = j;
                return 1;
            }
        }
        if (!plain_char(sc, &j)) return 0;
    }
    return fail(sc, at, "<%.*s> is never closed (its raw text runs to the end)", (int)len, name);
}

/* A start tag at *i ('<' then a letter). */
static int start_tag(scan *sc, size_t *i)
{
    size_t at = *i, j = at + 1;
    const char *name = sc->s + j;
    while (is_alpha(sc->s[j]) || is_digit(sc->s[j]) || sc->s[j] == '-') j++;
    size_t len = (size_t)(sc->s + j - name);
    char c = sc->s[j];
    if (c == '\0') return fail(sc, at, "the tag <%.*s runs to the end", (int)len, name);
    if (!is_space(c) && c != '>' && c != '/')
        return fail(sc, j, "unexpected character '%c' in the name of <%.*s", c, (int)len, name);
    struct {
        const char *p;
        size_t len;
    } attrs[MAX_ATTRS];
    size_t nattrs = 0;
    int self_closing = 0;
    for (;;) {
        int spaced = 0;
        while (is_space(sc->s[j])) j++, spaced = 1;
        c = sc->s[j];
        if (c == '>') {
            j++;
            break;
        }
        if (c == '/' && sc->s[j + 1] == '>') {
            self_closing = 1;
            j += 2;
            break;
        }
        if (c == '\0') return fail(sc, at, "the tag <%.*s runs to the end", (int)len, name);
        if (!spaced) return fail(sc, j, "attributes of <%.*s must be separated by whitespace", (int)len, name);
        const char *an = sc->s + j;
        while (sc->s[j] && !is_space(sc->s[j]) && !strchr("\"'<>/=&", sc->s[j])) j++;
        size_t alen = (size_t)(sc->s + j - an);
        if (alen == 0) return fail(sc, j, "unexpected character '%c' in <%.*s>", sc->s[j], (int)len, name);
        for (size_t k = 0; k < nattrs; k++)
            if (attrs[k].len == alen && strncasecmp(attrs[k].p, an, alen) == 0)
                return fail(sc, (size_t)(an - sc->s), "attribute '%.*s' repeated in <%.*s>", (int)alen, an, (int)len,
                            name);
        if (nattrs == MAX_ATTRS) return fail(sc, (size_t)(an - sc->s), "more than %d attributes", MAX_ATTRS);
        attrs[nattrs].p = an;
        attrs[nattrs++].len = alen;
        while (is_space(sc->s[j])) j++;
        if (sc->s[j] != '=')
            return fail(sc, (size_t)(an - sc->s), "attribute '%.*s' has no quoted value", (int)alen, an);
        j++;
        while (is_space(sc->s[j])) j++;
        char q = sc->s[j];
        if (q != '"' && q != '\'') return fail(sc, j, "the value of attribute '%.*s' is not quoted", (int)alen, an);
        size_t vstart = j++;
        for (;;) {
            if (j >= sc->n) return fail(sc, vstart, "the value of attribute '%.*s' is never closed", (int)alen, an);
            if (sc->s[j] == q) break;
            if (sc->s[j] == '<') return fail(sc, j, "raw '<' in the value of attribute '%.*s'", (int)alen, an);
            if (sc->s[j] == '&') {
                if (!entity(sc, &j)) return 0;
            } else if (!plain_char(sc, &j))
                return 0;
        }
        j++;
    }
    sc->seen_element = 1;
    if (sc->count_tag && name_is(name, len, sc->count_tag)) sc->count++;
    *i = j;
    if (is_void(name, len)) return 1;
    if (self_closing)
        return fail(sc, at, "<%.*s/> is not a void element (write <%.*s></%.*s>)", (int)len, name, (int)len, name,
                    (int)len, name);
    if (!push(sc, name, len, at)) return 0;
    if (name_is(name, len, "script") || name_is(name, len, "style")) return raw_text(sc, i, name, len, at);
    return 1;
}

/* An end tag at *i ("</"). */
static int end_tag(scan *sc, size_t *i)
{
    size_t at = *i, j = at + 2;
    const char *name = sc->s + j;
    if (!is_alpha(*name)) return fail(sc, at, "malformed end tag");
    while (is_alpha(sc->s[j]) || is_digit(sc->s[j]) || sc->s[j] == '-') j++;
    size_t len = (size_t)(sc->s + j - name);
    while (is_space(sc->s[j])) j++;
    if (sc->s[j] != '>') return fail(sc, at, "malformed end tag </%.*s", (int)len, name);
    if (is_void(name, len)) return fail(sc, at, "end tag </%.*s> of a void element", (int)len, name);
    if (sc->depth == 0) return fail(sc, at, "end tag </%.*s> with no element open", (int)len, name);
    const open_tag *top = &sc->stack[sc->depth - 1];
    if (top->len != len || strncmp(top->name, name, len) != 0)
        return fail(sc, at, "end tag </%.*s> does not match <%.*s> opened at offset %zu", (int)len, name, (int)top->len,
                    top->name, top->at);
    sc->depth--;
    *i = j + 1;
    return 1;
}

/* Markup at *i ('<'). */
static int markup(scan *sc, size_t *i)
{
    const char *p = sc->s + *i;
    if (strncmp(p, "<!--", 4) == 0) {
        const char *end = strstr(p + 4, "-->");
        if (!end) return fail(sc, *i, "comment is never closed");
        for (size_t j = *i + 4; j < (size_t)(end - sc->s);)
            if (!plain_char(sc, &j)) return 0;
        *i = (size_t)(end - sc->s) + 3;
        return 1;
    }
    if (strncasecmp(p, "<!DOCTYPE", 9) == 0) {
        if (sc->seen_element) return fail(sc, *i, "<!DOCTYPE> after the first element");
        const char *end = strchr(p, '>');
        if (!end) return fail(sc, *i, "<!DOCTYPE is never closed");
        *i = (size_t)(end - sc->s) + 1;
        return 1;
    }
    if (strncmp(p, "<?xml", 5) == 0 && (*i == 0 || (*i == 3 && strncmp(sc->s, "\xEF\xBB\xBF", 3) == 0))) {
        const char *end = strstr(p, "?>");
        if (!end) return fail(sc, *i, "<?xml declaration is never closed");
        *i = (size_t)(end - sc->s) + 2;
        return 1;
    }
    if (p[1] == '/') return end_tag(sc, i);
    if (is_alpha(p[1])) return start_tag(sc, i);
    return fail(sc, *i, "raw '<' in text (write &lt;)");
}

static int walk(scan *sc)
{
    size_t i = 0;
    int ok = 1;
    while (ok && i < sc->n) {
        char c = sc->s[i];
        if (c == '<')
            ok = markup(sc, &i);
        else if (c == '&')
            ok = entity(sc, &i);
        else
            ok = plain_char(sc, &i);
    }
    if (ok && sc->depth > 0) {
        const open_tag *top = &sc->stack[sc->depth - 1];
        ok = fail(sc, top->at, "<%.*s> is never closed", (int)top->len, top->name);
    }
    free(sc->stack);
    sc->stack = NULL;
    return ok;
}

int rbt_html_well_formed(const char *text, char *why, size_t whylen)
{
    if (why && whylen > 0) why[0] = '\0';
    scan sc = {.s = text, .n = strlen(text), .why = why, .whylen = whylen};
    return walk(&sc);
}

int rbt_html_count(const char *text, const char *tag)
{
    scan sc = {.s = text, .n = strlen(text), .count_tag = tag};
    return walk(&sc) ? sc.count : -1;
}
