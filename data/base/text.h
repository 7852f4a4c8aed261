/* text.h - text helpers shared by error messages and reports: UTF-8 cutting, appending to
 * a fixed buffer, the "did you mean" hint for a misspelt name and the check of a symbol
 * against the run's assets. Internal. */
#ifndef RB_TEXT_H
#define RB_TEXT_H

#include <stddef.h>

#include "rebal.h"

/* How many of the n bytes of s to keep so that at most max remain and no UTF-8 character is
 * cut in half: n when n <= max, else max stepped back to the start of the character there. */
size_t rb_utf8_cut(const char *s, size_t n, size_t max);

/* The length (1 to 4) of the well-formed UTF-8 character that starts s[0..n) (n > 0), its
 * code point in *cp; 0 when s does not start one: a stray continuation byte, a lead byte
 * without all its continuation bytes, an overlong form, a surrogate (U+D800..U+DFFF) or a
 * code point past U+10FFFF (RFC 3629). */
size_t rb_utf8_char(const char *s, size_t n, unsigned long *cp);

/* 1 for a code point a terminal may act on rather than show: C0 (U+0000..U+001F), DEL and
 * C1 (U+0080..U+009F, whose single bytes 0x80..0x9F some terminals also take as controls). */
int rb_is_control_char(unsigned long cp);

/* Writes s[0..n) into out (outsz bytes) for a one-line message that a terminal shows as it
 * is: \n, \t and \r escaped, every other control character's bytes and every byte that is
 * not well-formed UTF-8 as \xHH; cut after max bytes of input (on a UTF-8 boundary) with
 * "...". Each input byte takes at most 4 output bytes (RB_QUOTE_BUF). Returns out. */
const char *rb_text_quote(const char *s, size_t n, size_t max, char *out, size_t outsz);
#define RB_QUOTE_BUF(max) ((max) * 4 + 8)

/* A file name stem made from user text, in out (len bytes): letters, digits, '-', '_', the
 * characters of extra, and '.' but not first, as they are; anything else (path separators,
 * quotes, spaces, non-ASCII bytes) as '_'; "_" when text is empty. It cannot name another
 * directory. */
void rb_safe_file_name(const char *text, const char *extra, char *out, size_t len);

/* Appends printf-formatted text to the NUL-terminated text in buf (len bytes in all), cut
 * when the buffer is full. */
void rb_text_append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Longest name (in bytes) a hint is looked for or given: longer ones are never close. */
#define RB_NEAREST_MAX 64

/* The known name nearest to an unknown word, for "unknown symbol 'dax'; did you mean DAX?".
 * Offer every known name; the first one equal to the word but for letter case wins, else the
 * first at the smallest edit distance (insertions, deletions, substitutions and swaps of two
 * neighbouring characters, letter case ignored) when that distance is at most a third of
 * the word's length (at least 1) and below its length. rb_nearest_name gives the same for
 * an array (rebal.h). */
typedef struct rb_nearest {
    const char *word;
    size_t distance;               /* of best; (size_t)-1 while there is none */
    int same_but_case;             /* best equals word but for letter case */
    char best[RB_NEAREST_MAX + 1]; /* a copy: offered names may be transient (SQLite rows) */
    char hint[RB_NEAREST_MAX + 32];
} rb_nearest;

void rb_nearest_init(rb_nearest *n, const char *word);
void rb_nearest_offer(rb_nearest *n, const char *name);
/* The name to suggest, or NULL when none is close. */
const char *rb_nearest_best(const rb_nearest *n);
/* "; did you mean DAX?" to append to a message, or "" when none is close. */
const char *rb_nearest_hint(rb_nearest *n);

/* RB_OK when symbol is one of the n symbols of the run's assets; else a usage error naming
 * the option, "--KEY: SYM is not one of the --assets", with the nearest symbol suggested. */
rb_status rb_check_among_assets(const char *key, const char *symbol, char *const *symbols, size_t n, rb_error *err);

#endif /* RB_TEXT_H */
