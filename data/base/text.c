/* text.c - text helpers (text.h): appending to a buffer, UTF-8 cutting, nearest-name hints. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
    size_t k = max;
    /* Step back over continuation bytes (10xxxxxx) to the start of the character at k. */
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k;
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
