/* text.h - UTF-8 text helpers shared by error messages and reports. Internal. */
#ifndef RB_TEXT_H
#define RB_TEXT_H

#include <stddef.h>

/* How many of the n bytes of s to keep so that at most max remain and no UTF-8 character is
 * cut in half: n when n <= max, else max stepped back to the start of the character there. */
size_t rb_utf8_cut(const char *s, size_t n, size_t max);

#endif /* RB_TEXT_H */
