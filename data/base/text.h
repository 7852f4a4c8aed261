/* text.h - text helpers shared by error messages and reports: UTF-8 cutting, appending to
 * a fixed buffer and the "did you mean" hint for a misspelt name. Internal. */
#ifndef RB_TEXT_H
#define RB_TEXT_H

#include <stddef.h>

/* How many of the n bytes of s to keep so that at most max remain and no UTF-8 character is
 * cut in half: n when n <= max, else max stepped back to the start of the character there. */
size_t rb_utf8_cut(const char *s, size_t n, size_t max);

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

#endif /* RB_TEXT_H */
