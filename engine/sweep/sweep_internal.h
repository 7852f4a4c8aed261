/* sweep_internal.h - what the files of a sweep specification share (engine/sweep.h is the
 * interface): the parsed sweep, its sections and their values, and the parse state.
 *   values.c  the values of one key: lists, ranges, canonical forms
 *   parse.c   the INI text (libinih), sections and keys
 *   limits.c  the file's size counted before anything large is written out
 *   expand.c  the checks once the text is read, and the decoding strides
 *   ids.c     configuration k decoded: its settings, canonical text, id and typed values
 *   each_input.c  the values that name inputs outside the file (CSV paths, series)
 * Internal. */
#ifndef RB_SWEEP_INTERNAL_H
#define RB_SWEEP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "rebal.h"
#include "spec.h"
#include "strategy.h"
#include "sweep.h"

/* Longest number text considered for canonical form (longer texts stay as written). */
#define NUM_MAX 64

typedef enum sec_kind { SEC_DATA, SEC_COSTS, SEC_TAX, SEC_FLOWS, SEC_STRATEGY, SEC_VENUES } sec_kind;

/* The values of one key: what a configuration may set it to. */
typedef struct values {
    const char *key;     /* static text: the settings table or the strategy's params */
    int line;
    size_t n;            /* >= 1; 0 when only counted (the file is past its limits) */
    double count;        /* how many values the key gives: n, also when only counted */
    const char **text;   /* n values as written (items trimmed and unquoted; range values generated) */
    const char **canon;  /* n canonical forms; the same array as text when canon_is_text */
    const char **sorted; /* canon sorted, once two sections are compared (expand.c); or NULL */
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
    int from_file;           /* name is the file's path: [venues] paths are relative to it */
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


/* NUL-terminated strings packed in one buffer; offsets become pointers once complete. */
typedef struct strlist {
    char *buf;
    size_t len, cap, start; /* start: where the string being written began */
    size_t *off;
    size_t n, ncap;
} strlist;


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
    int from_file;         /* name is the sweep file's path: [venues] paths are relative to it */
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
    /* The file's size so far (limits.c): the values written out, and once a key would take
     * them past RB_SWEEP_MAX_VALUES, that key's line and message; keys are then only
     * counted (the file is refused once read, when its configurations are known too). */
    size_t nvalues;
    int over_line;
    char over_msg[400];
    int failed;
    rb_error *err;
    rb_status rc;
} parse_ctx;

/* each_input.c: a [venues] path relative to the directory of the sweep file `name` (when
 * from_file and the path is not absolute) into buf; else text as it is. */
const char *sw_input_path(const char *name, int from_file, const rb_setting_info *row, const char *text, char *buf,
                          size_t len);

/* values.c */
int sw_sl_put(strlist *l, const char *s, size_t len);
int sw_sl_end(strlist *l);
int sw_sl_add(strlist *l, const char *s);
void sw_sl_clear(strlist *l);
int sw_cmp_str(const void *a, const void *b);
const char *sw_trim(const char *s, const char *e, const char **end);
void sw_values_clear(values *v);
/* Fills v from the written value: its items, their canonical forms, no two the same; once
 * the file is past its limit (sw_values_fit), only v->count. */
int sw_expand_value(parse_ctx *c, const section *s, const char *key, const char *value, values *v);

/* parse.c: the first error, "NAME:LINE: what" or "NAME:LINE: [section] key: what" */
int sw_fail_line(parse_ctx *c, rb_status code, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int sw_fail_key(parse_ctx *c, int line, const section *s, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int sw_fail_percent(parse_ctx *c, const section *s, const char *key, const char *text);
const char *sw_without_option(const char *msg, const char *key);
int sw_nomem(parse_ctx *c);
void sw_family_list(char *buf, size_t len);

/* limits.c: count values of a key (as written: a range's text, or NULL for a list) against
 * the file's limit: 1 when they fit, to be written out; 0 when only counted, the file being
 * past its limit. */
int sw_values_fit(parse_ctx *c, const section *s, const char *key, const char *range, double count);
/* Once the text is read: refuses a file past RB_SWEEP_MAX_CONFIGS configurations (counted
 * from every key's count) or past RB_SWEEP_MAX_VALUES values. */
int sw_check_size(parse_ctx *c);

/* expand.c: everything checked once the whole text is read: [data] and its assets, every
 * value through its row, the rules' checks, the counts, the decoding strides, the key union. */
int sw_finish(parse_ctx *c);

#endif /* RB_SWEEP_INTERNAL_H */
