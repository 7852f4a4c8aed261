/* symbols.c - the symbols of an import (symbols.h): the intern table, and the check that a
 * symbol is a name every other command can write. */
#include "symbols.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cells.h"
#include "rebal.h"
#include "alloc.h"

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
    return h ^ (h >> 29);
}

void rb_symtab_free(rb_symtab *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->name[i]);
    free(t->name);
    free(t->len);
    free(t->slot);
}

/* Index of s[0..n) or -1. */
int64_t rb_symtab_find(const rb_symtab *t, const char *s, size_t n)
{
    if (!t->nslot) return -1;
    size_t mask = t->nslot - 1;
    for (size_t h = (size_t)hash_bytes(s, n) & mask;; h = (h + 1) & mask) {
        uint32_t v = t->slot[h];
        if (!v) return -1;
        if (t->len[v - 1] == n && memcmp(t->name[v - 1], s, n) == 0) return v - 1;
    }
}

/* Adds a symbol known to be absent; returns its index or -1 when out of memory. */
int64_t rb_symtab_add(rb_symtab *t, const char *s, size_t n)
{
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 64;
        char **nn = rb_realloc(t->name, ncap * sizeof *nn);
        if (!nn) return -1;
        t->name = nn;
        uint32_t *nl = rb_realloc(t->len, ncap * sizeof *nl);
        if (!nl) return -1;
        t->len = nl;
        t->cap = ncap;
    }
    if (2 * (t->n + 1) > t->nslot) {
        size_t nslot = t->nslot ? t->nslot * 2 : 256;
        uint32_t *ns = rb_calloc(nslot, sizeof *ns);
        if (!ns) return -1;
        for (size_t i = 0; i < t->n; i++) {
            size_t h = (size_t)hash_bytes(t->name[i], t->len[i]) & (nslot - 1);
            while (ns[h]) h = (h + 1) & (nslot - 1);
            ns[h] = (uint32_t)(i + 1);
        }
        free(t->slot);
        t->slot = ns;
        t->nslot = nslot;
    }
    char *copy = rb_malloc(n + 1);
    if (!copy) return -1;
    memcpy(copy, s, n);
    copy[n] = '\0';
    size_t h = (size_t)hash_bytes(s, n) & (t->nslot - 1);
    while (t->slot[h]) h = (h + 1) & (t->nslot - 1);
    t->name[t->n] = copy;
    t->len[t->n] = (uint32_t)n;
    t->slot[h] = (uint32_t)(t->n + 1);
    return (int64_t)t->n++;
}

/* The characters a symbol may not hold because it could be stored but never named:
 * `--assets SYM=W,...` and every per-asset setting split items at ',' and end the symbol at
 * the first '=' (strategies/asset_values.c, rb_asset_values_parse); a sweep file's values are lists of
 * items that may be double-quoted, so a '"' inside one cannot be written; and a blank makes
 * a symbol one word in --assets but two on every shell command line, in `rebal runs --where`
 * and in a sweep file's inline comments (';' after a blank). Control characters are refused
 * separately. */
static const char asset_list_separators[] = ",=\" ";

static int is_asset_list_separator(char c) { return c != '\0' && strchr(asset_list_separators, c) != NULL; }

/* How the message names the character c. */
static const char *separator_name(char c)
{
    switch (c) {
    case ',': return "','";
    case '=': return "'='";
    case '"': return "a double quote";
    default: return "a blank";
    }
}

/* A name close to s[0..n) without separators, for the message: the separators at either
 * end dropped, each run of them inside replaced by one '_' ("=CMD" -> "CMD", "A,B" -> "A_B",
 * "S&P 500" -> "S&P_500").
 * Empty when nothing is left. */
static void suggest_symbol(const char *s, size_t n, char out[RB_SYMBOL_MAX])
{
    while (n > 0 && is_asset_list_separator(s[0])) s++, n--;
    while (n > 0 && is_asset_list_separator(s[n - 1])) n--;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < RB_SYMBOL_MAX; i++) {
        if (!is_asset_list_separator(s[i])) out[o++] = s[i];
        else if (out[o - 1] != '_') out[o++] = '_'; /* o > 0: s[0] is not a separator */
    }
    out[o] = '\0';
}

/* Why s[0..n) is not text every terminal shows as it is (written into why), or NULL: it
 * must be UTF-8 without control characters (C0, DEL, C1). The message escapes the bytes and
 * names the first bad one by its place in the symbol (1 = the first byte). */
static const char *text_problem(const char *s, size_t n, char *why, size_t whylen)
{
    char q[QUOTE_BUF];
    for (size_t i = 0; i < n;) {
        unsigned long cp;
        size_t len = rb_utf8_char(s + i, n - i, &cp);
        if (len == 0) {
            snprintf(why, whylen, "symbol is not valid UTF-8 (byte %zu, 0x%02x): '%s'", i + 1,
                     (unsigned char)s[i], rb_cell_quote(s, n, QUOTE_MAX, q, sizeof q));
            return why;
        }
        if (rb_is_control_char(cp)) {
            snprintf(why, whylen, "symbol contains a control character (U+%04lX at byte %zu): '%s'", cp, i + 1,
                     rb_cell_quote(s, n, QUOTE_MAX, q, sizeof q));
            return why;
        }
        i += len;
    }
    return NULL;
}

/* Why s[0..n) cannot be a symbol (written into why), or NULL when it can. */
const char *rb_symbol_problem(const char *s, size_t n, char *why, size_t whylen)
{
    char q[QUOTE_BUF];
    if (n == 0) return snprintf(why, whylen, "empty symbol"), why;
    if (text_problem(s, n, why, whylen)) return why;
    for (size_t i = 0; i < n; i++) {
        if (!is_asset_list_separator(s[i])) continue;
        char better[RB_SYMBOL_MAX], hint[RB_SYMBOL_MAX + 16] = "";
        suggest_symbol(s, n, better);
        if (better[0] && !(strlen(better) == strlen(RB_CASH) && strcasecmp(better, RB_CASH) == 0))
            snprintf(hint, sizeof hint, ", e.g. '%s'", better);
        snprintf(why, whylen,
                 "symbol '%s' contains %s, which --assets SYM=W,... and sweep files cannot name: rename it%s",
                 rb_cell_quote(s, n, QUOTE_MAX, q, sizeof q), separator_name(s[i]), hint);
        return why;
    }
    if (n > RB_SYMBOL_MAX - 1) {
        snprintf(why, whylen, "symbol longer than %d bytes: '%s'", RB_SYMBOL_MAX - 1,
                 rb_cell_quote(s, n, QUOTE_MAX, q, sizeof q));
        return why;
    }
    if (n == strlen(RB_CASH) && strncasecmp(s, RB_CASH, n) == 0) {
        snprintf(why, whylen, "symbol '%s' is reserved for the cash position",
                 rb_cell_quote(s, n, QUOTE_MAX, q, sizeof q));
        return why;
    }
    return NULL;
}

