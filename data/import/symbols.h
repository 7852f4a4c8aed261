/* symbols.h - the symbols an import reads: interned in first-seen order, and checked to be
 * names that --assets, per-asset settings and sweep files can write. Internal to
 * data/import/. */
#ifndef RB_IMPORT_SYMBOLS_H
#define RB_IMPORT_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/* Interned symbols in first-seen order; an open-addressing hash table maps bytes to index. */
typedef struct rb_symtab {
    char **name;
    uint32_t *len;
    size_t n, cap;
    uint32_t *slot; /* index + 1; 0 = empty */
    size_t nslot;   /* power of two, kept at least twice n */
} rb_symtab;

void rb_symtab_free(rb_symtab *t);

/* Index of s[0..n) or -1. */
int64_t rb_symtab_find(const rb_symtab *t, const char *s, size_t n);

/* Adds a symbol known to be absent; returns its index or -1 when out of memory. */
int64_t rb_symtab_add(rb_symtab *t, const char *s, size_t n);

/* Why s[0..n) cannot be a symbol (written into why), or NULL when it can. */
const char *rb_symbol_problem(const char *s, size_t n, char *why, size_t whylen);

#endif /* RB_IMPORT_SYMBOLS_H */
