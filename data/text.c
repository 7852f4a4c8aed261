/* text.c - UTF-8 text helpers (text.h). */
#include "text.h"

size_t rb_utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max) return n;
    size_t k = max;
    /* Step back over continuation bytes (10xxxxxx) to the start of the character at k. */
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k;
}
