/* csv_import.c - CSV import into the price store: long, wide and single-symbol OHLCV files,
 * parsed with libcsv (large files on two threads) and validated whole into flat arrays, ordered
 * by (asset, time), then written in one transaction: a bad row or conflict changes nothing. */
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "date.h"
#include "error.h"
#include "store.h"
#include "text.h"

/* Bytes read per fread: large enough that the per-call overhead vanishes, small enough
 * to stay in L2/L3 while libcsv walks it. */
#define READ_CHUNK (1u << 20)
/* Quoted offending text in messages is cut after this many bytes. */
#define QUOTE_MAX 40
/* Page cache for the import transaction, in KiB (SQLite's negative cache_size unit). Ordered
 * appends need little, but comparing with and replacing stored bars revisits pages that the
 * default 2 MiB cache would re-read. */
#define IMPORT_CACHE_KIB 65536

/* ---------------------------------------------------------------- small text helpers */

/* Writes s[0..n) into out (size outsz) with control bytes escaped (\n, \t, \r, \xHH) so a
 * message stays on one line; cut after max bytes of input (on a UTF-8 boundary) with "...".
 * Returns out. */
static const char *escape(const char *s, size_t n, size_t max, char *out, size_t outsz)
{
    size_t o = 0;
    int cut = 0;
    if (n > max) {
        n = rb_utf8_cut(s, n, max);
        cut = 1;
    }
    for (size_t i = 0; i < n && o + 8 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') o += (size_t)snprintf(out + o, outsz - o, "\\n");
        else if (c == '\t') o += (size_t)snprintf(out + o, outsz - o, "\\t");
        else if (c == '\r') o += (size_t)snprintf(out + o, outsz - o, "\\r");
        else if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
        else out[o++] = (char)c;
    }
    if (cut && o + 4 <= outsz) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o < outsz ? o : outsz - 1] = '\0';
    return out;
}

#define QUOTE_BUF (QUOTE_MAX * 4 + 8)

/* The shortest %g form that reads back as the same double (39.81, not 39.810000000000002). */
static const char *fmt_num(double v, char out[32])
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v) break;
    }
    return out;
}

/* Blanks around a number, date or header name (a quoted cell may hold line ends). */
static int is_blank_byte(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_blank_byte(**s)) (*s)++, (*n)--;
    while (*n > 0 && is_blank_byte((*s)[*n - 1])) (*n)--;
}

/* Symbols lose surrounding spaces only: a tab or line end in a symbol is refused, not hidden. */
static void trim_spaces(const char **s, size_t *n)
{
    while (*n > 0 && **s == ' ') (*s)++, (*n)--;
    while (*n > 0 && (*s)[*n - 1] == ' ') (*n)--;
}

/* ---------------------------------------------------------------- numbers */

enum { NUM_OK, NUM_EMPTY, NUM_BAD, NUM_INFINITE };

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Parses a decimal number the way strtod does, refusing hex, words and trailing junk, with
 * decimal ('.' or ',') as the decimal mark; with ',' a '.' anywhere is refused (no
 * thousands separators, whichever mark). No locale is involved.
 * Plain decimals with at most 2^53 as digits and at most 22 fraction digits take an exact
 * shortcut (an exact integer divided by an exact power of ten is correctly rounded, so the
 * result equals strtod's); the rest goes through strtod (C locale: a '.') on a
 * NUL-terminated copy in *scratch (grown as needed), the decimal comma turned into a '.'.
 * Returns NUM_*; NUM_BAD also for an out-of-memory copy. */
static int parse_number(const char *s, size_t n, char decimal, char **scratch, size_t *scratch_cap, double *out)
{
    trim(&s, &n);
    if (n == 0) return NUM_EMPTY;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-' || s[0] == '+') neg = s[i++] == '-';
    uint64_t m = 0;
    int digits = 0, frac = 0, dot = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d < 10) {
            if (digits == 19) goto slow;
            m = m * 10 + d;
            digits++;
            frac += dot;
        } else if (s[i] == decimal && !dot) {
            dot = 1;
        } else {
            goto slow;
        }
    }
    if (digits > 0 && m <= (UINT64_C(1) << 53) && frac <= 22) {
        double v = (double)m;
        if (frac) v /= pow10_exact[frac];
        *out = neg ? -v : v;
        return NUM_OK;
    }
slow:;
    size_t k = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (k + 1 < n && s[k] == '0' && (s[k + 1] == 'x' || s[k + 1] == 'X')) return NUM_BAD;
    if (decimal != '.' && memchr(s, '.', n)) return NUM_BAD;
    if (n + 1 > *scratch_cap) {
        char *grown = realloc(*scratch, n + 1);
        if (!grown) return NUM_BAD;
        *scratch = grown;
        *scratch_cap = n + 1;
    }
    memcpy(*scratch, s, n);
    (*scratch)[n] = '\0';
    if (decimal != '.')
        for (char *c = *scratch; (c = memchr(c, decimal, (size_t)(*scratch + n - c))) != NULL;) *c++ = '.';
    char *end;
    double v = strtod(*scratch, &end);
    if (end != *scratch + n) return NUM_BAD;
    if (!isfinite(v)) return NUM_INFINITE;
    *out = v;
    return NUM_OK;
}

/* ---------------------------------------------------------------- symbols */

/* Interned symbols in first-seen order; an open-addressing hash table maps bytes to index. */
typedef struct symtab {
    char **name;
    uint32_t *len;
    size_t n, cap;
    uint32_t *slot; /* index + 1; 0 = empty */
    size_t nslot;   /* power of two, kept at least twice n */
} symtab;

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
    return h ^ (h >> 29);
}

static void symtab_free(symtab *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->name[i]);
    free(t->name);
    free(t->len);
    free(t->slot);
}

/* Index of s[0..n) or -1. */
static int64_t symtab_find(const symtab *t, const char *s, size_t n)
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
static int64_t symtab_add(symtab *t, const char *s, size_t n)
{
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 64;
        char **nn = realloc(t->name, ncap * sizeof *nn);
        if (!nn) return -1;
        t->name = nn;
        uint32_t *nl = realloc(t->len, ncap * sizeof *nl);
        if (!nl) return -1;
        t->len = nl;
        t->cap = ncap;
    }
    if (2 * (t->n + 1) > t->nslot) {
        size_t nslot = t->nslot ? t->nslot * 2 : 256;
        uint32_t *ns = calloc(nslot, sizeof *ns);
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
    char *copy = malloc(n + 1);
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
 * the first '=' (engine/spec.c, rb_asset_values_parse); a sweep file's values are lists of
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

/* Why s[0..n) cannot be a symbol (written into why), or NULL when it can. */
static const char *symbol_problem(const char *s, size_t n, char *why, size_t whylen)
{
    char q[QUOTE_BUF];
    if (n == 0) return snprintf(why, whylen, "empty symbol"), why;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            snprintf(why, whylen, "symbol contains a control character: '%s'",
                     escape(s, n, QUOTE_MAX, q, sizeof q));
            return why;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_asset_list_separator(s[i])) continue;
        char better[RB_SYMBOL_MAX], hint[RB_SYMBOL_MAX + 16] = "";
        suggest_symbol(s, n, better);
        if (better[0] && !(strlen(better) == strlen(RB_CASH) && strcasecmp(better, RB_CASH) == 0))
            snprintf(hint, sizeof hint, ", e.g. '%s'", better);
        snprintf(why, whylen,
                 "symbol '%s' contains %s, which --assets SYM=W,... and sweep files cannot name: rename it%s",
                 escape(s, n, QUOTE_MAX, q, sizeof q), separator_name(s[i]), hint);
        return why;
    }
    if (n > RB_SYMBOL_MAX - 1) {
        snprintf(why, whylen, "symbol longer than %d bytes: '%s'", RB_SYMBOL_MAX - 1,
                 escape(s, n, QUOTE_MAX, q, sizeof q));
        return why;
    }
    if (n == strlen(RB_CASH) && strncasecmp(s, RB_CASH, n) == 0) {
        snprintf(why, whylen, "symbol '%s' is reserved for the cash position",
                 escape(s, n, QUOTE_MAX, q, sizeof q));
        return why;
    }
    return NULL;
}

/* ---------------------------------------------------------------- parsed rows */

/* Every bar read, as flat arrays (structure of arrays). NaN marks an empty optional value
 * (stored as NULL); prices are validated finite and positive, so NaN is free for that. */
typedef struct rows {
    size_t n, cap;
    uint32_t *asset; /* symtab index */
    int64_t *ts;
    double *close;
    uint32_t *line;                     /* physical line the record starts on */
    double *open, *high, *low, *volume; /* NULL until some file has such columns */
} rows;

static void rows_free(rows *r)
{
    free(r->asset);
    free(r->ts);
    free(r->close);
    free(r->line);
    free(r->open);
    free(r->high);
    free(r->low);
    free(r->volume);
    memset(r, 0, sizeof *r);
}

static int grow(void **p, size_t cap, size_t size)
{
    if (!*p) return 1;
    void *q = realloc(*p, cap * size);
    if (!q) return 0;
    *p = q;
    return 1;
}

/* Doubles the capacity of every array; 0 when out of memory (the arrays stay valid). */
static int rows_grow(rows *r)
{
    size_t cap = r->cap ? r->cap * 2 : 4096;
    if (!r->asset) {
        r->asset = malloc(cap * sizeof *r->asset);
        r->ts = malloc(cap * sizeof *r->ts);
        r->close = malloc(cap * sizeof *r->close);
        r->line = malloc(cap * sizeof *r->line);
        if (!r->asset || !r->ts || !r->close || !r->line) return 0;
    } else if (!grow((void **)&r->asset, cap, sizeof *r->asset) ||
               !grow((void **)&r->ts, cap, sizeof *r->ts) ||
               !grow((void **)&r->close, cap, sizeof *r->close) ||
               !grow((void **)&r->line, cap, sizeof *r->line)) {
        return 0;
    }
    if (!grow((void **)&r->open, cap, sizeof(double)) || !grow((void **)&r->high, cap, sizeof(double)) ||
        !grow((void **)&r->low, cap, sizeof(double)) || !grow((void **)&r->volume, cap, sizeof(double)))
        return 0;
    r->cap = cap;
    return 1;
}

/* Adds the open/high/low/volume arrays, NaN for the rows already read; 0 when out of memory. */
static int rows_add_ohlv(rows *r)
{
    if (r->open) return 1;
    size_t cap = r->cap ? r->cap : 4096;
    double **arr[4] = {&r->open, &r->high, &r->low, &r->volume};
    for (int k = 0; k < 4; k++) {
        *arr[k] = malloc(cap * sizeof(double));
        if (!*arr[k]) return 0;
        for (size_t i = 0; i < r->n; i++) (*arr[k])[i] = NAN;
    }
    if (!r->cap) {
        /* keep the invariant that every array has r->cap entries */
        r->asset = malloc(cap * sizeof *r->asset);
        r->ts = malloc(cap * sizeof *r->ts);
        r->close = malloc(cap * sizeof *r->close);
        r->line = malloc(cap * sizeof *r->line);
        if (!r->asset || !r->ts || !r->close || !r->line) return 0;
        r->cap = cap;
    }
    return 1;
}

/* ---------------------------------------------------------------- import state */

typedef struct importer {
    const rb_import_options *opt;
    const char *const *paths;
    size_t npaths;
    rows r;
    symtab syms;
    size_t *file_start; /* npaths + 1: rows of file f are [file_start[f], file_start[f+1]) */
    size_t *file_rows;  /* data rows (records) per file */
    size_t *file_added;
    size_t *file_replaced;
    const char **file_format;
    char *scratch; /* strtod copy buffer */
    size_t scratch_cap;
    char *buf;  /* READ_CHUNK bytes */
    rb_time start; /* undated files (opt->every set): the time of bar 0 */
    rb_error e; /* the failure, always filled here and copied out at the end */
} importer;

static const char *format_name(rb_csv_format f)
{
    return f == RB_CSV_LONG ? "long" : f == RB_CSV_WIDE ? "wide" : "ohlcv";
}

/* The --every word of a calendar, as the CLI spells it. */
static const char *calendar_name(rb_bar_calendar every)
{
    static const char *const names[] = {"dated", "minute", "hour", "day", "business-day", "week", "month"};
    return (unsigned)every < sizeof names / sizeof names[0] ? names[every] : "?";
}

/* A first-column header that names bar numbers in an undated file: pandas writes an unnamed
 * index as an empty name. */
static int is_bar_number_header(const char *name)
{
    return name[0] == '\0' || strcasecmp(name, "bar") == 0 || strcasecmp(name, "index") == 0 ||
           strcasecmp(name, "idx") == 0;
}

/* Column roles from the header. Value roles map to slots VAL_OPEN.. in the same order. */
enum role {
    R_UNKNOWN,
    R_SYMBOL,
    R_DATE,
    R_OPEN,
    R_HIGH,
    R_LOW,
    R_CLOSE,
    R_ADJ,
    R_VOLUME,
    R_WIDE, /* wide file: a symbol's closes */
    R_INDEX /* undated file: the bar numbers (first column only) */
};
enum { VAL_OPEN, VAL_HIGH, VAL_LOW, VAL_CLOSE, VAL_ADJ, VAL_VOLUME, VAL_COUNT };

static const struct {
    const char *name;
    enum role role;
} header_names[] = {
    {"symbol", R_SYMBOL}, {"ticker", R_SYMBOL},  {"asset", R_SYMBOL},  {"date", R_DATE},
    {"time", R_DATE},     {"timestamp", R_DATE}, {"datetime", R_DATE}, {"open", R_OPEN},
    {"high", R_HIGH},     {"low", R_LOW},        {"close", R_CLOSE},   {"price", R_CLOSE},
    {"adjclose", R_ADJ},  {"adj close", R_ADJ},  {"adj_close", R_ADJ}, {"volume", R_VOLUME},
};

typedef struct column {
    enum role role;
    uint32_t sym; /* R_WIDE: symbol index */
    char *name;   /* header text, trimmed, as in the file */
    char *shown;  /* escaped and cut, for messages */
} column;

/* Per-file parser state; libcsv's callbacks receive it. */
typedef struct parser {
    importer *im; /* options and paths (read only) */
    /* where bars go: the import's own arrays, or a helper thread's private ones */
    rows *r;
    symtab *syms;
    char **scratch;
    size_t *scratch_cap;
    rb_error *e;    /* the failure */
    size_t records; /* data rows read */
    size_t file;
    const char *path;
    char delim;
    char decimal; /* '.' or ',' (--decimal) */
    rb_csv_format format;
    struct csv_parser csv;
    size_t line;     /* physical line being fed, 1-based */
    size_t rec_line; /* line the current record started on; 0 = no record begun */
    size_t nfield;   /* fields seen so far in the current record */
    int header_done;
    int failed;      /* *e holds the error; stop */
    int shared_cols; /* cols belongs to another parser (helper thread) */
    /* header */
    char **hdr;
    size_t nhdr, caphdr;
    column *cols;
    size_t ncols;
    size_t header_line;
    int price_slot; /* which value slot becomes the stored close */
    int scale;      /* --price adjclose with a close column: scale open/high/low */
    int has_ohlv;
    uint32_t fixed_sym; /* OHLCV: the --symbol index */
    /* current record */
    uint32_t sym;
    rb_time ts;
    uint64_t bar_number; /* undated file with a bar-number column: this record's */
    uint64_t last_bar;   /* ... and the previous record's */
    double val[VAL_COUNT];
    double *wide_val;
    int last_sym_ok; /* the symbol cache below is valid */
    uint32_t last_sym;
    /* the first problem in the current record, reported once its field count is known good */
    int pending;
    size_t pending_col;
    char pending_msg[600];
} parser;

/* Marks p failed for lack of memory; returns 0 (for "return fail_oom(p);"). */
static int fail_oom(parser *p)
{
    rb_fail(p->e, RB_ERR_NOMEM, "%s: out of memory while importing", p->path);
    p->failed = 1;
    return 0;
}

/* Records the first problem of this record at column c (reason printf-style). */
static void pend(parser *p, size_t c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pend(parser *p, size_t c, const char *fmt, ...)
{
    if (p->pending) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->pending_msg, sizeof p->pending_msg, fmt, ap);
    va_end(ap);
    p->pending = 1;
    p->pending_col = c;
}

/* Looks up (interning when new and valid) the symbol in s[0..n); -1 with a pending error
 * when it is not a valid symbol or memory ran out. */
static int64_t intern(parser *p, size_t c, const char *s, size_t n)
{
    trim_spaces(&s, &n);
    symtab *t = p->syms;
    if (p->last_sym_ok && t->len[p->last_sym] == n && memcmp(t->name[p->last_sym], s, n) == 0)
        return p->last_sym;
    int64_t k = symtab_find(t, s, n);
    if (k < 0) {
        char why[200];
        if (symbol_problem(s, n, why, sizeof why)) {
            pend(p, c, "%s", why);
            return -1;
        }
        k = symtab_add(t, s, n);
        if (k < 0) {
            fail_oom(p);
            return -1;
        }
    }
    p->last_sym = (uint32_t)k;
    p->last_sym_ok = 1;
    return k;
}

/* Why a cell that is not a number may have been meant as one, given the decimal mark in
 * use: a thousands separator (never accepted) or the other decimal mark. "" otherwise. */
static const char *number_hint(const char *s, size_t n, char decimal)
{
    int comma = memchr(s, ',', n) != NULL, point = memchr(s, '.', n) != NULL;
    if (comma && point) return " (a thousands separator is not accepted: 1234.56, or 1234,56 with --decimal ',')";
    if (decimal == ',' && point) return " (--decimal ',' takes a comma as the decimal mark: 1234,56)";
    if (decimal == '.' && comma) return " (a decimal comma needs --decimal ','; a thousands separator is not accepted)";
    return "";
}

/* Parses one value cell into *out (NaN when empty); problems become the pending error. */
static void value_cell(parser *p, size_t c, enum role role, const char *s, size_t n, double *out)
{
    char q[QUOTE_BUF];
    double v;
    int st = parse_number(s, n, p->decimal, p->scratch, p->scratch_cap, &v);
    if (st == NUM_EMPTY) {
        *out = NAN;
        if (role == R_WIDE) return;
        if ((int)(role - R_OPEN) == p->price_slot) pend(p, c, "missing price");
        return;
    }
    if (st == NUM_BAD) {
        pend(p, c, "not a number: '%s'%s", escape(s, n, QUOTE_MAX, q, sizeof q), number_hint(s, n, p->decimal));
        return;
    }
    if (st == NUM_INFINITE) {
        pend(p, c, "not a finite number: '%s'", escape(s, n, QUOTE_MAX, q, sizeof q));
        return;
    }
    if (role == R_VOLUME) {
        if (v < 0) {
            pend(p, c, "volume must not be negative: '%s'", escape(s, n, QUOTE_MAX, q, sizeof q));
            return;
        }
        v += 0.0; /* -0 becomes +0 */
    } else if (!(v > 0)) {
        pend(p, c, "price must be positive: '%s'", escape(s, n, QUOTE_MAX, q, sizeof q));
        return;
    }
    *out = v;
}

/* Reads a bar number: digits only (at most 12, far beyond any file's line count). */
static void bar_number_cell(parser *p, size_t c, const char *s, size_t n)
{
    char q[QUOTE_BUF];
    const char *t = s;
    size_t m = n;
    trim(&t, &m);
    uint64_t v = 0;
    size_t i = 0;
    while (i < m && i < 12 && t[i] >= '0' && t[i] <= '9') v = v * 10 + (uint64_t)(t[i++] - '0');
    if (m == 0 || i != m) {
        pend(p, c, "not a bar number: '%s' (whole numbers counting up by one from 0 or 1)",
             escape(s, n, QUOTE_MAX, q, sizeof q));
        return;
    }
    p->bar_number = v;
}

static void header_field(parser *p, const char *s, size_t n)
{
    if (p->nhdr == p->caphdr) {
        size_t ncap = p->caphdr ? p->caphdr * 2 : 16;
        char **h = realloc(p->hdr, ncap * sizeof *h);
        if (!h) {
            fail_oom(p);
            return;
        }
        p->hdr = h;
        p->caphdr = ncap;
    }
    trim(&s, &n);
    char *copy = malloc(n + 1);
    if (!copy) {
        fail_oom(p);
        return;
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    p->hdr[p->nhdr++] = copy;
}

/* libcsv field callback: routes each cell by its column's role into the record scratch. */
static void on_field(void *data, size_t n, void *ctx)
{
    parser *p = ctx;
    size_t c = p->nfield++;
    if (p->failed) return;
    if (!p->rec_line) p->rec_line = p->line;
    const char *s = data;
    if (!p->header_done) {
        header_field(p, s, n);
        return;
    }
    if (c >= p->ncols) return; /* the field count is checked at the end of the record */
    const column *col = &p->cols[c];
    switch (col->role) {
    case R_SYMBOL: {
        int64_t k = intern(p, c, s, n);
        if (k >= 0) p->sym = (uint32_t)k;
        break;
    }
    case R_DATE: {
        rb_error de;
        if (rb_time_parse_n(s, n, p->im->opt->date_format, &p->ts, &de) != RB_OK) pend(p, c, "%s", de.msg);
        break;
    }
    case R_WIDE:
        value_cell(p, c, R_WIDE, s, n, &p->wide_val[c]);
        break;
    case R_INDEX:
        bar_number_cell(p, c, s, n);
        break;
    case R_UNKNOWN:
        break;
    default:
        value_cell(p, c, col->role, s, n, &p->val[col->role - R_OPEN]);
        break;
    }
}

/* Appends one bar; 0 when out of memory (p failed). */
static int emit(parser *p, size_t line, uint32_t sym, double close, const double *ohlv)
{
    rows *r = p->r;
    if (r->n == r->cap && !rows_grow(r)) {
        fail_oom(p);
        return 0;
    }
    size_t i = r->n++;
    r->asset[i] = sym;
    r->ts[i] = p->ts;
    r->close[i] = close;
    r->line[i] = (uint32_t)line;
    if (r->open) {
        r->open[i] = ohlv ? ohlv[0] : NAN;
        r->high[i] = ohlv ? ohlv[1] : NAN;
        r->low[i] = ohlv ? ohlv[2] : NAN;
        r->volume[i] = ohlv ? ohlv[3] : NAN;
    }
    return 1;
}

static size_t column_of_role(const parser *p, enum role role)
{
    for (size_t c = 0; c < p->ncols; c++)
        if (p->cols[c].role == role) return c;
    return 0;
}

static void fail_at(parser *p, size_t line, size_t col, const char *reason)
{
    rb_fail(p->e, RB_ERR_DATA, "%s:%zu: column %s: %s", p->path, line, p->cols[col].shown, reason);
    p->failed = 1;
}

static int header_finish(parser *p);

/* Undated file: checks this record's bar number (when the file has them: the first is 0 or 1,
 * each next one the previous + 1) and sets p->ts to the time of bar k, the k-th record
 * (0-based) of the file. 0 when refused (p failed). */
static int undated_time(parser *p, size_t line)
{
    const rb_import_options *opt = p->im->opt;
    uint64_t k = p->records - 1;
    if (p->ncols > 0 && p->cols[0].role == R_INDEX) {
        char why[160];
        if (k == 0 && p->bar_number > 1) {
            snprintf(why, sizeof why, "the first bar number is %llu; bar numbers count up by one from 0 or 1",
                     (unsigned long long)p->bar_number);
            fail_at(p, line, 0, why);
            return 0;
        }
        if (k > 0 && p->bar_number != p->last_bar + 1) {
            snprintf(why, sizeof why, "bar number %llu after %llu; bar numbers count up by one (no gaps, in order)",
                     (unsigned long long)p->bar_number, (unsigned long long)p->last_bar);
            fail_at(p, line, 0, why);
            return 0;
        }
        p->last_bar = p->bar_number;
    }
    if (!rb_calendar_nth(p->im->start, opt->every, k, &p->ts)) {
        rb_fail(p->e, RB_ERR_DATA, "%s:%zu: bar %llu of --every %s from --start %s falls after 9999-12-31", p->path,
                line, (unsigned long long)k, calendar_name(opt->every), opt->start);
        p->failed = 1;
        return 0;
    }
    return 1;
}

/* libcsv record callback: checks the record and turns it into bars. */
static void on_record(int term, void *ctx)
{
    (void)term;
    parser *p = ctx;
    size_t nfield = p->nfield, line = p->rec_line;
    p->nfield = 0;
    p->rec_line = 0;
    if (p->failed) return;
    if (!p->header_done) {
        p->header_line = line;
        p->header_done = 1;
        header_finish(p);
        return;
    }
    p->records++;
    if (line > UINT32_MAX) {
        rb_fail(p->e, RB_ERR_DATA, "%s:%zu: too many lines (at most %u)", p->path, line, UINT32_MAX);
        p->failed = 1;
        return;
    }
    if (nfield != p->ncols) {
        rb_fail(p->e, RB_ERR_DATA, "%s:%zu: expected %zu fields, found %zu", p->path, line, p->ncols, nfield);
        p->failed = 1;
        return;
    }
    if (p->pending) {
        p->pending = 0;
        fail_at(p, line, p->pending_col, p->pending_msg);
        return;
    }
    if (p->im->opt->every && !undated_time(p, line)) return;
    if (p->format == RB_CSV_WIDE) {
        for (size_t c = 0; c < p->ncols; c++)
            if (p->cols[c].role == R_WIDE && !isnan(p->wide_val[c]) &&
                !emit(p, line, p->cols[c].sym, p->wide_val[c], NULL))
                return;
        return;
    }
    double *v = p->val;
    if (!isnan(v[VAL_HIGH]) && !isnan(v[VAL_LOW]) && v[VAL_HIGH] < v[VAL_LOW]) {
        char a[32], b[32], why[100];
        snprintf(why, sizeof why, "high %s is below low %s", fmt_num(v[VAL_HIGH], a), fmt_num(v[VAL_LOW], b));
        fail_at(p, line, column_of_role(p, R_HIGH), why);
        return;
    }
    double close = v[p->price_slot];
    double ohlv[4] = {v[VAL_OPEN], v[VAL_HIGH], v[VAL_LOW], v[VAL_VOLUME]};
    if (p->scale) {
        if (!isnan(v[VAL_CLOSE])) {
            double f = close / v[VAL_CLOSE];
            for (int k = 0; k < 3; k++) ohlv[k] *= f;
        } else if (!isnan(ohlv[0]) || !isnan(ohlv[1]) || !isnan(ohlv[2])) {
            fail_at(p, line, column_of_role(p, R_CLOSE),
                    "missing close (needed to scale open, high and low to the adjusted close)");
            return;
        }
    }
    emit(p, line, p->format == RB_CSV_OHLCV ? p->fixed_sym : p->sym, close, p->has_ohlv ? ohlv : NULL);
}

/* Fails p with "PATH:LINE: message" at the header line; returns 0. */
static int fail_header(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_header(parser *p, const char *fmt, ...)
{
    char why[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    rb_fail(p->e, RB_ERR_DATA, "%s:%zu: %s", p->path, p->header_line, why);
    p->failed = 1;
    return 0;
}

static enum role role_of(const char *name)
{
    for (size_t k = 0; k < sizeof header_names / sizeof header_names[0]; k++)
        if (strcasecmp(name, header_names[k].name) == 0) return header_names[k].role;
    return R_UNKNOWN;
}

/* Decides the format and each column's role from the header names; 0 on failure. */
static int header_finish(parser *p)
{
    importer *im = p->im;
    const rb_import_options *opt = im->opt;
    size_t n = p->nhdr;
    p->cols = calloc(n, sizeof *p->cols);
    p->wide_val = malloc(n * sizeof *p->wide_val);
    if (!p->cols || !p->wide_val) return fail_oom(p);
    p->ncols = n;
    for (size_t c = 0; c < n; c++) {
        char q[QUOTE_BUF];
        p->cols[c].name = p->hdr[c];
        p->hdr[c] = NULL;
        p->cols[c].role = role_of(p->cols[c].name);
        p->cols[c].shown = strdup(escape(p->cols[c].name, strlen(p->cols[c].name), QUOTE_MAX, q, sizeof q));
        if (!p->cols[c].shown) return fail_oom(p);
        p->wide_val[c] = NAN;
    }
    int undated = opt->every != RB_BARS_DATED;
    size_t index_col = n;
    if (undated && n > 0 && is_bar_number_header(p->cols[0].name)) {
        index_col = 0;
        p->cols[0].role = R_INDEX;
        if (!p->cols[0].name[0]) { /* messages say "column 1" rather than "column " */
            free(p->cols[0].shown);
            if (!(p->cols[0].shown = strdup("1"))) return fail_oom(p);
        }
    }
    size_t date_col = n, sym_col = n, nvalue_known = 0;
    for (size_t c = 0; c < n; c++) {
        enum role r = p->cols[c].role;
        if (r == R_INDEX) continue;
        if (r == R_DATE) {
            if (date_col < n)
                return fail_header(p, "two date columns ('%s' and '%s')", p->cols[date_col].shown,
                                   p->cols[c].shown);
            date_col = c;
        } else if (r == R_SYMBOL) {
            if (sym_col == n) sym_col = c;
        } else if (r != R_UNKNOWN) {
            nvalue_known++;
        }
    }
    if (undated && date_col < n)
        return fail_header(p, "column '%s' holds dates: --start and --every are for files without a date column",
                           p->cols[date_col].shown);
    if (!undated && date_col == n)
        return fail_header(p, "no date column (expected one named date, time, timestamp or datetime; numbered "
                              "bars without dates need --start DATE --every CALENDAR)");

    rb_csv_format fmt = opt->format;
    size_t nkey = (date_col < n) + (index_col < n); /* columns that say when, not what */
    if (fmt == RB_CSV_AUTO) {
        if (sym_col < n) fmt = RB_CSV_LONG;
        else if (nvalue_known > 0 && nvalue_known == n - nkey) fmt = RB_CSV_OHLCV;
        else fmt = RB_CSV_WIDE;
    }
    p->format = fmt;
    im->file_format[p->file] = format_name(fmt);
    if (undated && fmt == RB_CSV_LONG) {
        if (sym_col < n)
            return fail_header(p, "a long file (symbol column '%s') needs a date column: --start and --every number "
                                  "the rows of a wide or OHLCV file, one bar per row",
                               p->cols[sym_col].shown);
        return fail_header(p, "--format long needs a date column: --start and --every number the rows of a wide "
                              "or OHLCV file, one bar per row");
    }
    if (fmt == RB_CSV_LONG && sym_col == n)
        return fail_header(p, "--format long needs a symbol column (named symbol, ticker or asset)");
    if (fmt == RB_CSV_OHLCV && sym_col < n)
        return fail_header(p, "--format ohlcv: the file has a symbol column '%s' (a long file)",
                           p->cols[sym_col].shown);
    if (opt->symbol && fmt == RB_CSV_LONG) {
        rb_fail(p->e, RB_ERR_DATA, "%s: has a symbol column; --symbol applies to OHLCV files", p->path);
        p->failed = 1;
        return 0;
    }
    if (!opt->symbol && fmt == RB_CSV_OHLCV) {
        rb_fail(p->e, RB_ERR_DATA, "%s: OHLCV file needs --symbol", p->path);
        p->failed = 1;
        return 0;
    }
    if (opt->symbol && fmt == RB_CSV_WIDE) {
        rb_fail(p->e, RB_ERR_DATA,
                "%s: a wide file names its symbols in the header; --symbol applies "
                "to OHLCV files",
                p->path);
        p->failed = 1;
        return 0;
    }

    if (fmt == RB_CSV_WIDE) {
        if (opt->price == RB_PRICE_ADJCLOSE)
            return fail_header(p, "--price adjclose needs an adjclose column (a wide file holds closes)");
        size_t nsym = 0;
        for (size_t c = 0; c < n; c++) {
            if (c == date_col || c == index_col) continue;
            const char *name = p->cols[c].name;
            size_t len = strlen(name);
            char why[200];
            if (symbol_problem(name, len, why, sizeof why))
                return fail_header(p, "column %zu: %s", c + 1, why);
            int64_t k = symtab_find(p->syms, name, len);
            if (k < 0) k = symtab_add(p->syms, name, len);
            if (k < 0) return fail_oom(p);
            p->cols[c].role = R_WIDE;
            p->cols[c].sym = (uint32_t)k;
            nsym++;
        }
        if (nsym == 0)
            return fail_header(p, "%s needs at least one symbol column after the %s",
                               opt->format == RB_CSV_AUTO ? "a wide file" : "--format wide",
                               undated ? "bar numbers" : "date");
        /* A symbol twice would give two closes per date: find it through the interned index. */
        size_t *col_of = calloc(p->syms->n, sizeof *col_of);
        if (!col_of) return fail_oom(p);
        for (size_t c = 0; c < n; c++) {
            if (p->cols[c].role != R_WIDE) continue;
            size_t d = col_of[p->cols[c].sym];
            if (d) {
                free(col_of);
                return fail_header(p, "column '%s' appears twice (columns %zu and %zu)", p->cols[c].shown, d,
                                   c + 1);
            }
            col_of[p->cols[c].sym] = c + 1;
        }
        free(col_of);
        return 1;
    }

    /* long and OHLCV: every other column must be a known field, each at most once */
    size_t seen[R_WIDE] = {0};
    for (size_t c = 0; c < n; c++) {
        enum role r = p->cols[c].role;
        if (r == R_INDEX) continue;
        if (r == R_UNKNOWN)
            return fail_header(p,
                               "unknown column '%s' (%s file has %sdate, open, high, low, close or "
                               "price, adjclose and volume)",
                               p->cols[c].shown, fmt == RB_CSV_LONG ? "a long" : "an OHLCV",
                               fmt == RB_CSV_LONG ? "symbol, " : "");
        if (seen[r])
            return fail_header(p, "columns '%s' and '%s' give the same field", p->cols[seen[r] - 1].shown,
                               p->cols[c].shown);
        seen[r] = c + 1;
    }
    if (opt->price == RB_PRICE_ADJCLOSE) {
        if (!seen[R_ADJ]) return fail_header(p, "--price adjclose needs an adjclose column");
        p->price_slot = VAL_ADJ;
        p->scale = seen[R_CLOSE] != 0;
    } else if (seen[R_CLOSE]) {
        p->price_slot = VAL_CLOSE;
    } else if (seen[R_ADJ]) {
        p->price_slot = VAL_ADJ;
    } else {
        const char *who = opt->format != RB_CSV_AUTO
            ? (fmt == RB_CSV_LONG ? "--format long" : "--format ohlcv")
            : fmt == RB_CSV_LONG ? "a long file"
                                 : "an OHLCV file";
        return fail_header(p, "%s needs a price or close column", who);
    }
    p->has_ohlv = seen[R_OPEN] || seen[R_HIGH] || seen[R_LOW] || seen[R_VOLUME];
    if (p->has_ohlv && !rows_add_ohlv(p->r)) return fail_oom(p);
    for (int k = 0; k < VAL_COUNT; k++) p->val[k] = NAN;
    if (fmt == RB_CSV_OHLCV) {
        size_t len = strlen(opt->symbol);
        int64_t k = symtab_find(p->syms, opt->symbol, len);
        if (k < 0) k = symtab_add(p->syms, opt->symbol, len);
        if (k < 0) return fail_oom(p);
        p->fixed_sym = (uint32_t)k;
    }
    return 1;
}

/* ---------------------------------------------------------------- reading a file */

/* 1 when libcsv will see nothing but blanks and line ends in s[0..n). */
static int blank_segment(const char *s, size_t n, char delim)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ' ' || c == '\r' || c == '\n' || (c == '\t' && delim != '\t')) continue;
        return 0;
    }
    return 1;
}

/* The most frequent of ',' ';' and tab outside quotes on the first non-blank line. */
static char detect_delimiter(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == '\n' || s[i] == '\r' || s[i] == ' ')) i++;
    size_t comma = 0, semi = 0, tab = 0;
    int quoted = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '"') quoted = !quoted;
        else if (quoted) continue;
        else if (c == '\n' || c == '\r') break;
        else if (c == ',') comma++;
        else if (c == ';') semi++;
        else if (c == '\t') tab++;
    }
    if (semi > comma && semi >= tab) return ';';
    if (tab > comma && tab > semi) return '\t';
    return ',';
}

static void csv_failure(parser *p)
{
    int code = csv_error(&p->csv);
    if (code == CSV_ENOMEM || code == CSV_ETOOBIG) {
        fail_oom(p);
        return;
    }
    size_t col = p->nfield + 1;
    if (p->header_done && p->nfield < p->ncols)
        rb_fail(p->e, RB_ERR_DATA,
                "%s:%zu: column %s: malformed quoting (a quote inside an unquoted "
                "field, or text after a closing quote)",
                p->path, p->line, p->cols[p->nfield].shown);
    else
        rb_fail(p->e, RB_ERR_DATA,
                "%s:%zu: field %zu: malformed quoting (a quote inside an unquoted "
                "field, or text after a closing quote)",
                p->path, p->line, col);
    p->failed = 1;
}

/* Feeds s[0..n) to libcsv one physical line at a time so that every record knows the line
 * it starts on (libcsv reports no positions). */
static void feed(parser *p, const char *s, size_t n)
{
    while (n > 0 && !p->failed) {
        const char *nl = memchr(s, '\n', n);
        size_t len = nl ? (size_t)(nl - s) + 1 : n;
        if (!p->rec_line && !blank_segment(s, len, p->delim)) p->rec_line = p->line;
        if (csv_parse(&p->csv, s, len, on_field, on_record, p) != len) {
            if (!p->failed) csv_failure(p);
            return;
        }
        if (nl) p->line++;
        s += len;
        n -= len;
    }
}

/* Files at least this large (regular files only) are parsed by two threads; below it the
 * thread costs more than it saves. Bytes. */
#define PARALLEL_MIN (1u << 20)

static void parser_free(parser *p)
{
    csv_free(&p->csv);
    for (size_t i = 0; i < p->nhdr; i++) free(p->hdr[i]);
    free(p->hdr);
    if (!p->shared_cols) {
        for (size_t c = 0; c < p->ncols; c++) {
            free(p->cols[c].name);
            free(p->cols[c].shown);
        }
        free(p->cols);
    }
    free(p->wide_val);
}

static void parser_init(parser *p, importer *im, size_t file)
{
    memset(p, 0, sizeof *p);
    p->im = im;
    p->r = &im->r;
    p->syms = &im->syms;
    p->scratch = &im->scratch;
    p->scratch_cap = &im->scratch_cap;
    p->e = &im->e;
    p->file = file;
    p->path = im->paths[file];
    p->line = 1;
    p->decimal = im->opt->decimal ? im->opt->decimal : '.';
}

/* Strips a UTF-8 byte-order mark and sets the delimiter (given, or detected from the header).
 * A decimal comma cannot share the ',' delimiter: 0 (p failed) when the header detects it. */
static int start_file(parser *p, const char **s, size_t *n)
{
    if (*n >= 3 && memcmp(*s, "\xEF\xBB\xBF", 3) == 0) *s += 3, *n -= 3;
    p->delim = p->im->opt->delimiter ? p->im->opt->delimiter : detect_delimiter(*s, *n);
    csv_set_delim(&p->csv, (unsigned char)p->delim);
    if (p->decimal == ',' && p->delim == ',') {
        rb_fail(p->e, RB_ERR_DATA,
                "%s: --decimal ',' needs fields separated by ';' or tab, but the header is separated by ',' "
                "(give --delimiter if the detection is wrong)",
                p->path);
        p->failed = 1;
        return 0;
    }
    return 1;
}

/* Ends a file: flushes a last record without a line end, then checks there was a header and
 * at least one data row. Returns the status. */
static rb_status finish_file(parser *p, size_t bytes)
{
    if (!p->failed) {
        size_t before = p->nfield;
        if (csv_fini(&p->csv, on_field, on_record, p) != 0 && !p->failed) {
            rb_fail(p->e, RB_ERR_DATA,
                    "%s:%zu: field %zu: a quoted field is never closed (it runs to the end "
                    "of the file)",
                    p->path, p->rec_line ? p->rec_line : p->line, before + 1);
            p->failed = 1;
        }
    }
    if (!p->failed && !p->header_done) {
        rb_fail(p->e, RB_ERR_DATA, "%s: empty file%s", p->path, bytes ? " (only blank lines)" : "");
        p->failed = 1;
    }
    if (!p->failed && p->records == 0) {
        rb_fail(p->e, RB_ERR_DATA, "%s: no data rows", p->path);
        p->failed = 1;
    }
    p->im->file_rows[p->file] = p->records;
    return p->failed ? p->e->code : RB_OK;
}

/* Reads a file (or pipe) in READ_CHUNK pieces. */
static rb_status parse_stream(parser *p, FILE *f)
{
    importer *im = p->im;
    size_t total = 0;
    int first = 1;
    for (;;) {
        size_t got = fread(im->buf, 1, READ_CHUNK, f);
        if (got == 0) {
            if (ferror(f)) {
                rb_fail(p->e, RB_ERR_IO, "%s: read error: %s", p->path, strerror(errno));
                p->failed = 1;
            }
            break;
        }
        const char *s = im->buf;
        if (first) {
            first = 0;
            if (!start_file(p, &s, &got)) break;
        }
        total += got;
        feed(p, s, got);
        if (p->failed) break;
    }
    return finish_file(p, total);
}

/* The helper thread's half of a file, with its own arrays. */
typedef struct helper {
    parser p;
    rows r;
    symtab syms;
    char *scratch;
    size_t scratch_cap;
    rb_error e;
    size_t nsym0; /* symbols copied from the import's table: same index on both sides */
    const char *s;
    size_t n;
} helper;

static void *helper_main(void *arg)
{
    helper *h = arg;
    feed(&h->p, h->s, h->n);
    if (!h->p.failed && csv_fini(&h->p.csv, on_field, on_record, &h->p) != 0) h->p.failed = 1;
    return NULL;
}

/* Sets up h to parse s[0..n) with p's header (p has read it); 0 when out of memory. */
static int helper_init(helper *h, const parser *p, const char *s, size_t n)
{
    memset(h, 0, sizeof *h);
    h->p = *p;
    parser *q = &h->p;
    q->r = &h->r;
    q->syms = &h->syms;
    q->scratch = &h->scratch;
    q->scratch_cap = &h->scratch_cap;
    q->e = &h->e;
    q->records = 0;
    q->line = 1; /* relative to the split; the offset is added when merging */
    q->rec_line = 0;
    q->nfield = 0;
    q->hdr = NULL;
    q->nhdr = q->caphdr = 0;
    q->shared_cols = 1;
    q->last_sym_ok = 0;
    q->pending = 0;
    q->wide_val = malloc(p->ncols * sizeof *q->wide_val);
    h->s = s;
    h->n = n;
    if (csv_init(&q->csv, CSV_STRICT | CSV_STRICT_FINI) != 0 || !q->wide_val) return 0;
    csv_set_delim(&q->csv, (unsigned char)q->delim);
    for (size_t i = 0; i < p->syms->n; i++)
        if (symtab_add(&h->syms, p->syms->name[i], p->syms->len[i]) < 0) return 0;
    h->nsym0 = p->syms->n;
    if ((p->r->open || p->has_ohlv) && !rows_add_ohlv(&h->r)) return 0;
    return 1;
}

static void helper_free(helper *h)
{
    parser_free(&h->p);
    rows_free(&h->r);
    symtab_free(&h->syms);
    free(h->scratch);
}

/* Appends the helper's bars to the import's, mapping its symbols and shifting its line
 * numbers by line_base - 1. 0 when out of memory or past the line limit (p failed). */
static int merge_helper(parser *p, helper *h, size_t line_base)
{
    rows *r = p->r;
    const rows *q = &h->r;
    uint32_t *map = malloc((h->syms.n ? h->syms.n : 1) * sizeof *map);
    if (!map) return fail_oom(p);
    for (size_t i = 0; i < h->syms.n; i++) {
        int64_t k = i < h->nsym0 ? (int64_t)i : symtab_find(p->syms, h->syms.name[i], h->syms.len[i]);
        if (k < 0) k = symtab_add(p->syms, h->syms.name[i], h->syms.len[i]);
        if (k < 0) {
            free(map);
            return fail_oom(p);
        }
        map[i] = (uint32_t)k;
    }
    while (r->cap < r->n + q->n)
        if (!rows_grow(r)) {
            free(map);
            return fail_oom(p);
        }
    for (size_t j = 0; j < q->n; j++) {
        size_t i = r->n + j, line = q->line[j] + line_base - 1;
        if (line > UINT32_MAX) {
            free(map);
            rb_fail(p->e, RB_ERR_DATA, "%s:%zu: too many lines (at most %u)", p->path, line, UINT32_MAX);
            p->failed = 1;
            return 0;
        }
        r->asset[i] = map[q->asset[j]];
        r->line[i] = (uint32_t)line;
    }
    memcpy(r->ts + r->n, q->ts, q->n * sizeof *q->ts);
    memcpy(r->close + r->n, q->close, q->n * sizeof *q->close);
    if (r->open) {
        double *to[4] = {r->open, r->high, r->low, r->volume};
        double *from[4] = {q->open, q->high, q->low, q->volume};
        for (int c = 0; c < 4; c++) {
            if (from[c]) memcpy(to[c] + r->n, from[c], q->n * sizeof(double));
            else
                for (size_t j = 0; j < q->n; j++) to[c][r->n + j] = NAN;
        }
    }
    r->n += q->n;
    p->records += h->p.records;
    free(map);
    return 1;
}

/* Parses a mapped regular file. Past the header, a large file is split at the first line
 * start after its middle; a helper thread parses the second part while this one parses the
 * first. The split is a guess (it may fall inside a quoted field): the helper's result is
 * used only when this thread ends its part between records and the helper met no error;
 * otherwise this thread parses the second part itself, so the outcome and every message
 * are those of a plain sequential parse. */
static rb_status parse_mapped(parser *p, const char *s, size_t n)
{
    size_t bytes = n;
    if (!start_file(p, &s, &n)) return finish_file(p, bytes);
    size_t pos = 0;
    while (pos < n && !p->failed && !p->header_done) {
        const char *nl = memchr(s + pos, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - (s + pos)) + 1 : n - pos;
        feed(p, s + pos, len);
        pos += len;
    }
    /* An undated file numbers its bars in file order, which the helper thread cannot know. */
    if (!p->failed && p->header_done && n - pos >= PARALLEL_MIN && p->im->opt->every == RB_BARS_DATED) {
        const char *nl = memchr(s + pos + (n - pos) / 2, '\n', n - pos - (n - pos) / 2);
        size_t split = nl ? (size_t)(nl - s) + 1 : n;
        helper *h = split < n ? malloc(sizeof *h) : NULL;
        pthread_t tid;
        if (h && helper_init(h, p, s + split, n - split) && pthread_create(&tid, NULL, helper_main, h) == 0) {
            feed(p, s + pos, split - pos);
            pthread_join(tid, NULL);
            pos = split;
            if (!p->failed && !p->rec_line && !h->p.failed) {
                if (merge_helper(p, h, p->line)) pos = n;
            }
        }
        if (h) helper_free(h);
        free(h);
    }
    if (!p->failed && pos < n) feed(p, s + pos, n - pos);
    return finish_file(p, bytes);
}

/* Reads and validates one file, appending its bars to im->r. */
static rb_status parse_file(importer *im, size_t file)
{
    const char *path = im->paths[file];
    parser p;
    parser_init(&p, im, file);
    im->file_format[file] = format_name(im->opt->format == RB_CSV_AUTO ? RB_CSV_LONG : im->opt->format);
    FILE *f = fopen(path, "rb");
    if (!f) return rb_fail(&im->e, RB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (csv_init(&p.csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        fclose(f);
        return rb_fail(&im->e, RB_ERR_NOMEM, "%s: out of memory while importing", path);
    }
    struct stat sb;
    void *map = MAP_FAILED;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= (off_t)PARALLEL_MIN &&
        (uintmax_t)sb.st_size <= SIZE_MAX)
        map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
    rb_status rc;
    if (map != MAP_FAILED) {
        rc = parse_mapped(&p, map, (size_t)sb.st_size);
        munmap(map, (size_t)sb.st_size);
    } else {
        rc = parse_stream(&p, f);
    }
    fclose(f);
    parser_free(&p);
    return rc;
}

/* ---------------------------------------------------------------- ordering and duplicates */

static size_t file_of(const importer *im, size_t row)
{
    size_t lo = 0, hi = im->npaths; /* file_start[lo] <= row < file_start[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (im->file_start[mid] <= row) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* The rows in (asset, ts, original order) plus, per row, its original index. */
typedef struct sorted {
    size_t n;
    int64_t *ts;
    double *close, *open, *high, *low, *volume;
    uint32_t *orig;
    size_t *start; /* nsym + 1: rows of asset a are [start[a], start[a+1]) */
} sorted;

static void sorted_free(sorted *s)
{
    free(s->ts);
    free(s->close);
    free(s->open);
    free(s->high);
    free(s->low);
    free(s->volume);
    free(s->orig);
    free(s->start);
    memset(s, 0, sizeof *s);
}

typedef struct tsrow {
    int64_t ts;
    uint32_t orig;
    uint32_t pos;
} tsrow;

static int cmp_tsrow(const void *a, const void *b)
{
    const tsrow *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return x->orig < y->orig ? -1 : x->orig > y->orig;
}

/* Orders the first n rows by asset (a stable counting sort that gathers every column into
 * its place, so later passes read memory sequentially), then by time within each asset
 * (already true for most files; otherwise a sort of that asset's rows only). */
static rb_status sort_rows(importer *im, size_t n, sorted *s)
{
    rows *r = &im->r;
    size_t nsym = im->syms.n;
    memset(s, 0, sizeof *s);
    s->n = n;
    s->start = calloc(nsym + 1, sizeof *s->start);
    s->ts = malloc((n ? n : 1) * sizeof *s->ts);
    s->close = malloc((n ? n : 1) * sizeof *s->close);
    s->orig = malloc((n ? n : 1) * sizeof *s->orig);
    int ohlv = r->open != NULL;
    if (ohlv) {
        s->open = malloc((n ? n : 1) * sizeof(double));
        s->high = malloc((n ? n : 1) * sizeof(double));
        s->low = malloc((n ? n : 1) * sizeof(double));
        s->volume = malloc((n ? n : 1) * sizeof(double));
    }
    if (!s->start || !s->ts || !s->close || !s->orig ||
        (ohlv && (!s->open || !s->high || !s->low || !s->volume)))
        return rb_fail(&im->e, RB_ERR_NOMEM, "out of memory sorting %zu rows", n);
    for (size_t i = 0; i < n; i++) s->start[r->asset[i] + 1]++;
    for (size_t a = 0; a < nsym; a++) s->start[a + 1] += s->start[a];
    size_t *next = malloc((nsym ? nsym : 1) * sizeof *next);
    if (!next) return rb_fail(&im->e, RB_ERR_NOMEM, "out of memory sorting %zu rows", n);
    memcpy(next, s->start, nsym * sizeof *next);
    for (size_t i = 0; i < n; i++) {
        size_t k = next[r->asset[i]]++;
        s->ts[k] = r->ts[i];
        s->close[k] = r->close[i];
        s->orig[k] = (uint32_t)i;
        if (ohlv) {
            s->open[k] = r->open[i];
            s->high[k] = r->high[i];
            s->low[k] = r->low[i];
            s->volume[k] = r->volume[i];
        }
    }
    free(next);
    /* The unordered values are not needed again (messages use asset, ts and line only). */
    double **values[5] = {&im->r.close, &im->r.open, &im->r.high, &im->r.low, &im->r.volume};
    for (int c = 0; c < 5; c++) {
        free(*values[c]);
        *values[c] = NULL;
    }

    tsrow *tmp = NULL;
    size_t tmpcap = 0;
    for (size_t a = 0; a < nsym; a++) {
        size_t lo = s->start[a], hi = s->start[a + 1];
        size_t k = lo + 1;
        while (k < hi && s->ts[k - 1] <= s->ts[k]) k++;
        if (k >= hi) continue;
        size_t m = hi - lo;
        if (m > tmpcap) {
            tsrow *t = realloc(tmp, m * sizeof *t);
            if (!t) {
                free(tmp);
                return rb_fail(&im->e, RB_ERR_NOMEM, "out of memory sorting %zu rows", n);
            }
            tmp = t;
            tmpcap = m;
        }
        for (size_t j = 0; j < m; j++) tmp[j] = (tsrow){s->ts[lo + j], s->orig[lo + j], (uint32_t)(lo + j)};
        qsort(tmp, m, sizeof *tmp, cmp_tsrow);
        /* Apply the permutation column by column through a scratch array of doubles. */
        double *col = malloc(m * sizeof *col);
        if (!col) {
            free(tmp);
            return rb_fail(&im->e, RB_ERR_NOMEM, "out of memory sorting %zu rows", n);
        }
        double *cols[5] = {s->close, s->open, s->high, s->low, s->volume};
        for (int c = 0; c < 5; c++) {
            if (!cols[c]) continue;
            for (size_t j = 0; j < m; j++) col[j] = cols[c][tmp[j].pos];
            memcpy(cols[c] + lo, col, m * sizeof *col);
        }
        free(col);
        for (size_t j = 0; j < m; j++) {
            s->ts[lo + j] = tmp[j].ts;
            s->orig[lo + j] = tmp[j].orig;
        }
    }
    free(tmp);
    return RB_OK;
}

/* 1 when bars k and j of s hold the same values (NaN == NaN: both empty). */
static int same_values(const sorted *s, size_t k, size_t j)
{
#define SAME(x, y) ((x) == (y) || (isnan(x) && isnan(y)))
    if (!SAME(s->close[k], s->close[j])) return 0;
    if (s->open &&
        (!SAME(s->open[k], s->open[j]) || !SAME(s->high[k], s->high[j]) || !SAME(s->low[k], s->low[j]) ||
         !SAME(s->volume[k], s->volume[j])))
        return 0;
    return 1;
#undef SAME
}

/* Refuses a symbol + time given twice with different values, naming the earliest such row
 * in file order. Identical repeats are fine (stored once). */
static rb_status check_duplicates(importer *im, const sorted *s)
{
    size_t bad = SIZE_MAX, first = 0;
    for (size_t a = 0; a < im->syms.n; a++) {
        size_t g = s->start[a];
        for (size_t k = s->start[a] + 1; k < s->start[a + 1]; k++) {
            if (s->ts[k] != s->ts[k - 1]) {
                g = k;
                continue;
            }
            if (!same_values(s, g, k) && s->orig[k] < bad) {
                bad = s->orig[k];
                first = s->orig[g];
            }
        }
    }
    if (bad == SIZE_MAX) return RB_OK;
    char date[32];
    size_t fb = file_of(im, bad), ff = file_of(im, first);
    return rb_fail(&im->e, RB_ERR_DATA, "%s:%u: %s %s appears twice with different values (first at %s:%u)",
                   im->paths[fb], im->r.line[bad], im->syms.name[im->r.asset[bad]],
                   rb_time_format(im->r.ts[bad], date), im->paths[ff], im->r.line[first]);
}

/* ---------------------------------------------------------------- writing */

/* Bars per multi-row INSERT: one statement step per batch amortizes SQLite's per-statement
 * work (cursor open/close, root-to-leaf seek) over many rows; measured fastest near 250. */
#define INSERT_BATCH 250

/* What the import does with each sorted bar, decided before anything is written. */
enum { BAR_NEW, BAR_SAME, BAR_DIFF, BAR_REPEAT };

typedef struct writer {
    importer *im;
    rb_store *store;
    const sorted *s;
    int64_t *ids;     /* per symbol: assets.id */
    uint8_t *created; /* per symbol: the asset row was added by this import */
    uint8_t *status;  /* per sorted bar: BAR_* */
    int ohlv;         /* the import has open/high/low/volume columns */
    int nparam;       /* parameters per bar in the INSERT */
} writer;

static void bind_value(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v)) sqlite3_bind_null(st, i);
    else sqlite3_bind_double(st, i, v);
}

/* Resolves (adding when new) the asset id of every symbol that has bars. */
static rb_status resolve_assets(writer *w, size_t *added)
{
    importer *im = w->im;
    const sorted *s = w->s;
    sqlite3_stmt *find = NULL, *add = NULL;
    rb_status rc = rb_store_prepare(w->store, "SELECT id FROM assets WHERE symbol = ?1", &find, &im->e);
    if (rc == RB_OK) rc = rb_store_prepare(w->store, "INSERT INTO assets(symbol) VALUES (?1)", &add, &im->e);
    for (size_t a = 0; rc == RB_OK && a < im->syms.n; a++) {
        if (s->start[a] == s->start[a + 1]) continue;
        sqlite3_bind_text(find, 1, im->syms.name[a], (int)im->syms.len[a], SQLITE_STATIC);
        int step = sqlite3_step(find);
        if (step == SQLITE_ROW) {
            w->ids[a] = sqlite3_column_int64(find, 0);
        } else if (step == SQLITE_DONE) {
            sqlite3_bind_text(add, 1, im->syms.name[a], (int)im->syms.len[a], SQLITE_STATIC);
            if (sqlite3_step(add) != SQLITE_DONE)
                rc = rb_store_sql_error(w->store, &im->e, "adding an asset");
            w->ids[a] = sqlite3_last_insert_rowid(w->store->db);
            w->created[a] = 1;
            sqlite3_reset(add);
            (*added)++;
        } else {
            rc = rb_store_sql_error(w->store, &im->e, "looking up an asset");
        }
        sqlite3_reset(find);
    }
    sqlite3_finalize(find);
    sqlite3_finalize(add);
    return rc;
}

/* Compares bar k with a stored row (columns ts, open, high, low, close, volume of st); on a
 * difference writes "FIELD X differs from the stored Y" into what and returns 0. */
static int same_as_stored(const sorted *s, size_t k, sqlite3_stmt *st, char *what, size_t whatlen)
{
    static const char *const names[5] = {"close", "open", "high", "low", "volume"};
    static const int column[5] = {4, 1, 2, 3, 5};
    double mine[5] = {s->close[k], NAN, NAN, NAN, NAN};
    if (s->open) {
        mine[1] = s->open[k];
        mine[2] = s->high[k];
        mine[3] = s->low[k];
        mine[4] = s->volume[k];
    }
    for (int f = 0; f < 5; f++) {
        int null = sqlite3_column_type(st, column[f]) == SQLITE_NULL;
        double stored = null ? NAN : sqlite3_column_double(st, column[f]);
        if (null ? isnan(mine[f]) : mine[f] == stored) continue;
        char a[32], b[32];
        snprintf(what, whatlen, "%s %s differs from the stored %s", names[f],
                 isnan(mine[f]) ? "(empty)" : fmt_num(mine[f], a), null ? "(empty)" : fmt_num(stored, b));
        return 0;
    }
    return 1;
}

/* Decides BAR_* for every bar: repeats of a symbol + time are skipped, bars of assets this
 * import created are new, and the others are merged (both sides sorted by time) with the
 * stored bars in their time range. Without replace, the earliest differing bar in file order
 * is a conflict; nothing has been written to bars yet. */
static rb_status classify(writer *w, rb_import_stats *stats)
{
    importer *im = w->im;
    const sorted *s = w->s;
    sqlite3_stmt *st = NULL;
    rb_status rc = rb_store_prepare(
        w->store,
        "SELECT ts, open, high, low, close, volume FROM bars WHERE asset_id = ?1 AND ts >= ?2 AND ts <= ?3 "
        "ORDER BY ts",
        &st, &im->e);
    size_t conflict = SIZE_MAX, conflict_k = 0;
    char what[200], conflict_what[200] = "";
    for (size_t a = 0; rc == RB_OK && a < im->syms.n; a++) {
        size_t lo = s->start[a], hi = s->start[a + 1];
        for (size_t k = lo; k < hi; k++)
            w->status[k] = k > lo && s->ts[k] == s->ts[k - 1] ? BAR_REPEAT : BAR_NEW;
        if (lo == hi || w->created[a]) continue;
        sqlite3_bind_int64(st, 1, w->ids[a]);
        sqlite3_bind_int64(st, 2, s->ts[lo]);
        sqlite3_bind_int64(st, 3, s->ts[hi - 1]);
        size_t k = lo;
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t ts = sqlite3_column_int64(st, 0);
            while (k < hi && s->ts[k] < ts) k++;
            if (k == hi) break;
            if (s->ts[k] != ts) continue;
            if (same_as_stored(s, k, st, what, sizeof what)) {
                w->status[k] = BAR_SAME;
                stats->bars_unchanged++;
            } else {
                w->status[k] = BAR_DIFF;
                if (s->orig[k] < conflict) {
                    conflict = s->orig[k];
                    conflict_k = k;
                    memcpy(conflict_what, what, sizeof what);
                }
            }
        }
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = rb_store_sql_error(w->store, &im->e, "reading stored bars");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc != RB_OK || conflict == SIZE_MAX || im->opt->replace) return rc;
    char date[32];
    size_t f = file_of(im, conflict);
    return rb_fail(&im->e, RB_ERR_CONFLICT, "%s:%u: %s %s: %s (use --replace to overwrite)", im->paths[f],
                   im->r.line[conflict], im->syms.name[im->r.asset[conflict]],
                   rb_time_format(s->ts[conflict_k], date), conflict_what);
}

/* "INSERT INTO bars(...) VALUES (?,?,?),(?,?,?),..." for nrows bars: parameters only, no data. */
static char *insert_sql(size_t nrows, int ohlv)
{
    const char *head = ohlv ? "INSERT INTO bars(asset_id, ts, open, high, low, close, volume) VALUES "
                            : "INSERT INTO bars(asset_id, ts, close) VALUES ";
    const char *tuple = ohlv ? "(?,?,?,?,?,?,?)" : "(?,?,?)";
    size_t hl = strlen(head), tl = strlen(tuple);
    char *sql = malloc(hl + nrows * (tl + 1) + 1);
    if (!sql) return NULL;
    memcpy(sql, head, hl);
    char *p = sql + hl;
    for (size_t i = 0; i < nrows; i++) {
        if (i) *p++ = ',';
        memcpy(p, tuple, tl);
        p += tl;
    }
    *p = '\0';
    return sql;
}

/* Binds bar k as the j-th tuple of a multi-row INSERT. */
static void bind_insert(const writer *w, sqlite3_stmt *st, size_t j, int64_t id, size_t k)
{
    const sorted *s = w->s;
    int p = (int)j * w->nparam + 1;
    sqlite3_bind_int64(st, p, id);
    sqlite3_bind_int64(st, p + 1, s->ts[k]);
    if (w->ohlv) {
        bind_value(st, p + 2, s->open[k]);
        bind_value(st, p + 3, s->high[k]);
        bind_value(st, p + 4, s->low[k]);
        sqlite3_bind_double(st, p + 5, s->close[k]);
        bind_value(st, p + 6, s->volume[k]);
    } else {
        sqlite3_bind_double(st, p + 2, s->close[k]);
    }
}

static rb_status run_insert(writer *w, sqlite3_stmt *st)
{
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return rb_store_sql_error(w->store, &w->im->e, "inserting bars");
    return RB_OK;
}

/* Writes the new bars in batches (in primary-key order for new assets) and, with replace,
 * overwrites the differing ones. */
static rb_status write_bars(writer *w, rb_import_stats *stats)
{
    importer *im = w->im;
    const sorted *s = w->s;
    size_t nnew = 0;
    for (size_t k = 0; k < s->n; k++) nnew += w->status[k] == BAR_NEW;
    size_t tail = nnew % INSERT_BATCH;
    sqlite3_stmt *batch = NULL, *last = NULL, *update = NULL;
    char *sql = insert_sql(INSERT_BATCH, w->ohlv), *tail_sql = tail ? insert_sql(tail, w->ohlv) : NULL;
    rb_status rc = RB_OK;
    if (!sql || (tail && !tail_sql)) rc = rb_fail(&im->e, RB_ERR_NOMEM, "out of memory importing");
    if (rc == RB_OK && nnew >= INSERT_BATCH) rc = rb_store_prepare(w->store, sql, &batch, &im->e);
    if (rc == RB_OK && tail) rc = rb_store_prepare(w->store, tail_sql, &last, &im->e);
    if (rc == RB_OK)
        rc = rb_store_prepare(w->store,
                              "UPDATE bars SET open = ?3, high = ?4, low = ?5, close = ?6, volume = ?7 "
                              "WHERE asset_id = ?1 AND ts = ?2",
                              &update, &im->e);
    size_t done = 0, j = 0;
    for (size_t a = 0; rc == RB_OK && a < im->syms.n; a++) {
        for (size_t k = s->start[a]; rc == RB_OK && k < s->start[a + 1]; k++) {
            size_t f = im->npaths == 1 ? 0 : file_of(im, s->orig[k]);
            if (w->status[k] == BAR_NEW) {
                sqlite3_stmt *st = nnew - done > tail ? batch : last;
                bind_insert(w, st, j++, w->ids[a], k);
                im->file_added[f]++;
                if (j == (st == batch ? INSERT_BATCH : tail)) {
                    rc = run_insert(w, st);
                    done += j;
                    j = 0;
                }
            } else if (w->status[k] == BAR_DIFF) {
                sqlite3_bind_int64(update, 1, w->ids[a]);
                sqlite3_bind_int64(update, 2, s->ts[k]);
                bind_value(update, 3, s->open ? s->open[k] : NAN);
                bind_value(update, 4, s->open ? s->high[k] : NAN);
                bind_value(update, 5, s->open ? s->low[k] : NAN);
                sqlite3_bind_double(update, 6, s->close[k]);
                bind_value(update, 7, s->open ? s->volume[k] : NAN);
                rc = run_insert(w, update);
                im->file_replaced[f]++;
                stats->bars_replaced++;
            }
        }
    }
    if (rc == RB_OK) stats->bars_added += nnew;
    sqlite3_finalize(batch);
    sqlite3_finalize(last);
    sqlite3_finalize(update);
    free(sql);
    free(tail_sql);
    return rc;
}

static rb_status write_import_rows(writer *w)
{
    importer *im = w->im;
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    sqlite3_stmt *st;
    rb_status rc =
        rb_store_prepare(w->store,
                         "INSERT INTO imports(source, format, rows, bars_added, bars_replaced, imported_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                         &st, &im->e);
    for (size_t f = 0; rc == RB_OK && f < im->npaths; f++) {
        if (im->file_added[f] == 0 && im->file_replaced[f] == 0) continue;
        sqlite3_bind_text(st, 1, im->paths[f], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, im->file_format[f], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)im->file_rows[f]);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)im->file_added[f]);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)im->file_replaced[f]);
        sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = rb_store_sql_error(w->store, &im->e, "recording the import");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Reads (set 0) or sets (set 1) an integer connection PRAGMA such as cache_size. The name
 * and value are ours, never data. */
static rb_status pragma(rb_store *store, const char *name, int64_t *value, int set, rb_error *err)
{
    char sql[64];
    if (set) snprintf(sql, sizeof sql, "PRAGMA %s = %lld", name, (long long)*value);
    else snprintf(sql, sizeof sql, "PRAGMA %s", name);
    sqlite3_stmt *st;
    rb_status rc = rb_store_prepare(store, sql, &st, err);
    if (rc != RB_OK) return rc;
    int step = sqlite3_step(st);
    if (!set && step == SQLITE_ROW) *value = sqlite3_column_int64(st, 0);
    else if (step != SQLITE_DONE && step != SQLITE_ROW) rc = rb_store_sql_error(store, err, sql);
    sqlite3_finalize(st);
    return rc;
}

/* The one write transaction: assets, bars, import records. Connection settings changed for
 * the import are restored whatever happens. */
static rb_status write_all(importer *im, rb_store *store, const sorted *s, rb_import_stats *stats)
{
    /* Foreign-key enforcement costs a parent lookup per inserted bar (about a third of the
     * insert time). Every bar written here references an asset id read or inserted in this
     * same transaction, so the check cannot fail; it is off only until the commit. (The
     * setting is per connection and cannot change inside a transaction.) */
    int64_t old_cache = 0, big = -(int64_t)IMPORT_CACHE_KIB, old_fk = 0, off = 0;
    rb_status rc = pragma(store, "cache_size", &old_cache, 0, &im->e);
    if (rc == RB_OK) rc = pragma(store, "foreign_keys", &old_fk, 0, &im->e);
    if (rc != RB_OK) return rc;

    writer w = {.im = im, .store = store, .s = s, .ohlv = s->open != NULL};
    w.nparam = w.ohlv ? 7 : 3;
    size_t nsym = im->syms.n ? im->syms.n : 1;
    w.ids = calloc(nsym, sizeof *w.ids);
    w.created = calloc(nsym, 1);
    w.status = malloc(s->n ? s->n : 1);
    if (!w.ids || !w.created || !w.status) rc = rb_fail(&im->e, RB_ERR_NOMEM, "out of memory importing");
    if (rc == RB_OK) rc = pragma(store, "cache_size", &big, 1, &im->e);
    if (rc == RB_OK && old_fk) rc = pragma(store, "foreign_keys", &off, 1, &im->e);
    if (rc == RB_OK) rc = rb_store_begin(store, &im->e);
    int began = rc == RB_OK;
    if (rc == RB_OK) rc = resolve_assets(&w, &stats->assets_added);
    if (rc == RB_OK) rc = classify(&w, stats);
    if (rc == RB_OK) rc = write_bars(&w, stats);
    if (rc == RB_OK) rc = write_import_rows(&w);
    if (rc == RB_OK) rc = rb_store_commit(store, &im->e);
    if (rc != RB_OK && began) rb_store_rollback(store);
    rb_error ignored;
    pragma(store, "cache_size", &old_cache, 1, &ignored);
    if (old_fk) pragma(store, "foreign_keys", &old_fk, 1, &ignored);
    free(w.ids);
    free(w.created);
    free(w.status);
    return rc;
}

/* ---------------------------------------------------------------- entry points */

void rb_import_options_init(rb_import_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->format = RB_CSV_AUTO;
    opt->price = RB_PRICE_CLOSE;
}

/* Checks --start and --every of undated files (both or neither, no --date-format) and parses
 * the start into *start. */
static rb_status check_calendar(const rb_import_options *opt, rb_time *start, rb_error *err)
{
    static const char calendars[] = "day, business-day, week, month, hour or minute";
    if ((unsigned)opt->every > RB_BARS_MONTH)
        return rb_fail(err, RB_ERR_USAGE, "invalid --every calendar %d", (int)opt->every);
    if (opt->every == RB_BARS_DATED && !opt->start) return RB_OK;
    if (opt->every == RB_BARS_DATED)
        return rb_fail(err, RB_ERR_USAGE, "--start needs --every (%s): the calendar of the bars from it", calendars);
    if (!opt->start)
        return rb_fail(err, RB_ERR_USAGE, "--every %s needs --start DATE: the date of the first bar",
                       calendar_name(opt->every));
    if (opt->date_format)
        return rb_fail(err, RB_ERR_USAGE,
                       "--date-format reads a date column; with --start and --every the dates are generated");
    rb_error e;
    if (rb_time_parse(opt->start, NULL, start, &e) != RB_OK)
        return rb_fail(err, RB_ERR_USAGE, "--start: %s", e.msg);
    if (opt->every == RB_BARS_BUSINESS_DAY && rb_weekday(rb_time_days(*start)) >= 5) {
        char date[32];
        return rb_fail(err, RB_ERR_USAGE, "--start %s is a %s; business-day bars fall on Monday to Friday",
                       rb_time_format(*start, date), rb_weekday(rb_time_days(*start)) == 5 ? "Saturday" : "Sunday");
    }
    return RB_OK;
}

static rb_status check_options(const rb_import_options *opt, size_t npaths, rb_time *start, rb_error *err)
{
    if (npaths == 0) return rb_fail(err, RB_ERR_USAGE, "no files to import");
    if ((unsigned)opt->format > RB_CSV_OHLCV)
        return rb_fail(err, RB_ERR_USAGE, "invalid CSV format %d", (int)opt->format);
    if ((unsigned)opt->price > RB_PRICE_ADJCLOSE)
        return rb_fail(err, RB_ERR_USAGE, "invalid price field %d", (int)opt->price);
    char d = opt->delimiter;
    if (d == '"' || d == '\r' || d == '\n' || d == ' ')
        return rb_fail(err, RB_ERR_USAGE, "--delimiter: a quote, space or line end cannot separate fields");
    if (opt->decimal != 0 && opt->decimal != '.' && opt->decimal != ',')
        return rb_fail(err, RB_ERR_USAGE, "--decimal: '%c' is not a decimal mark ('.' or ',')", opt->decimal);
    if (opt->decimal == ',' && d == ',')
        return rb_fail(err, RB_ERR_USAGE,
                       "--decimal ',' cannot go with --delimiter ',' (a decimal comma needs ';' or tab between "
                       "fields)");
    if (opt->date_format) {
        rb_status rc = rb_time_format_check(opt->date_format, err);
        if (rc != RB_OK) return rc;
    }
    if (opt->symbol) {
        char why[200];
        if (symbol_problem(opt->symbol, strlen(opt->symbol), why, sizeof why))
            return rb_fail(err, RB_ERR_USAGE, "--symbol: %s", why);
    }
    return check_calendar(opt, start, err);
}

static void importer_free(importer *im)
{
    rows_free(&im->r);
    symtab_free(&im->syms);
    free(im->file_start);
    free(im->file_rows);
    free(im->file_added);
    free(im->file_replaced);
    free(im->file_format);
    free(im->scratch);
    free(im->buf);
}

rb_status rb_import_files(rb_store *store, const char *const *paths, size_t npaths,
                          const rb_import_options *opt, rb_import_stats *stats, rb_error *err)
{
    rb_import_options defaults;
    if (!opt) {
        rb_import_options_init(&defaults);
        opt = &defaults;
    }
    if (!store) return rb_fail(err, RB_ERR_USAGE, "no price store given");
    rb_time start = 0;
    rb_status rc = check_options(opt, npaths, &start, err);
    if (rc != RB_OK) return rc;

    importer im;
    memset(&im, 0, sizeof im);
    im.start = start;
    im.opt = opt;
    im.paths = paths;
    im.npaths = npaths;
    im.file_start = calloc(npaths + 1, sizeof *im.file_start);
    im.file_rows = calloc(npaths, sizeof *im.file_rows);
    im.file_added = calloc(npaths, sizeof *im.file_added);
    im.file_replaced = calloc(npaths, sizeof *im.file_replaced);
    im.file_format = calloc(npaths, sizeof *im.file_format);
    im.buf = malloc(READ_CHUNK);
    if (!im.file_start || !im.file_rows || !im.file_added || !im.file_replaced || !im.file_format ||
        !im.buf) {
        importer_free(&im);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory importing");
    }

    rb_import_stats st = {0};
    st.files = npaths;
    for (size_t f = 0; f < npaths && rc == RB_OK; f++) {
        im.file_start[f] = im.r.n;
        rc = parse_file(&im, f);
        im.file_start[f + 1] = im.r.n;
        if (rc == RB_OK && im.r.n > UINT32_MAX)
            rc = rb_fail(&im.e, RB_ERR_DATA, "%s: too many bars in one import (at most %u)", paths[f],
                         UINT32_MAX);
    }
    for (size_t f = 0; f < npaths; f++) {
        st.rows += im.file_rows[f];
        if (f > 0 && im.file_start[f] < im.file_start[f - 1]) im.file_start[f] = im.r.n; /* never read */
    }
    im.file_start[npaths] = im.r.n;

    sorted s;
    memset(&s, 0, sizeof s);
    if (rc == RB_OK) {
        rc = sort_rows(&im, im.r.n, &s);
        if (rc == RB_OK) rc = check_duplicates(&im, &s);
        if (rc == RB_OK) rc = write_all(&im, store, &s, &st);
    } else if (rc == RB_ERR_DATA && im.r.n > 0) {
        /* A duplicate among the rows read before the bad one is the earlier problem. */
        rb_error parse_error = im.e;
        if (sort_rows(&im, im.r.n, &s) != RB_OK || check_duplicates(&im, &s) == RB_OK) im.e = parse_error;
    }
    sorted_free(&s);
    if (rc != RB_OK) {
        rc = im.e.code;
        if (err) *err = im.e;
        importer_free(&im);
        return rc;
    }
    importer_free(&im);
    if (stats) *stats = st;
    return RB_OK;
}
