/* html_text.c - user text on the report's page (html_parts.h): HTML-escaped, as URL paths,
 * links refused when they would leave the report folder, and the sortable tables' heads and
 * cells. */
#include <stdio.h>
#include <string.h>

#include "html_parts.h"


/* The UTF-8 bytes of U+FFFD, written for bytes that are not UTF-8. */
#define REPLACEMENT "\xEF\xBF\xBD"

/* Length of the valid UTF-8 sequence at p (NUL-terminated), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF; /* lo..hi: the range of the second byte */
    size_t len;
    if (c < 0x80) return 1;
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
    if (p[1] < lo || p[1] > hi) return 0; /* checked in order, so a NUL stops the reading */
    for (size_t k = 2; k < len; k++)
        if (p[k] < 0x80 || p[k] > 0xBF) return 0;
    return len;
}

/* Writes s as HTML text or attribute value: the five markup characters as entities, control
 * characters (C0, DEL, C1) as spaces, bytes that are not UTF-8 as U+FFFD, CRLF as LF. With
 * oneline, line breaks and tabs become spaces too (labels, attribute values). */
static void put_esc(FILE *f, const char *s, int oneline)
{
    if (!s) return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        const char *ent = NULL;
        switch (c) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: break;
        }
        if (ent) {
            fputs(ent, f);
            p++;
        } else if (c == '\r' && p[1] == '\n') {
            p++;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            putc(oneline ? ' ' : c == '\t' ? '\t' : '\n', f);
            p++;
        } else if (c < 0x20 || c == 0x7F) {
            putc(' ', f);
            p++;
        } else if (c < 0x80) {
            putc(c, f);
            p++;
        } else {
            size_t len = utf8_len(p);
            if (len == 0) {
                fputs(REPLACEMENT, f);
                p++;
                continue;
            }
            if (len == 2 && c == 0xC2 && p[1] <= 0x9F)
                putc(' ', f); /* a C1 control */
            else if (len == 3 && c == 0xEF && p[1] == 0xBF && p[2] >= 0xBE)
                fputs(REPLACEMENT, f); /* U+FFFE, U+FFFF: not characters */
            else
                fwrite(p, 1, len, f);
            p += len;
        }
    }
}

void rb_html_text(FILE *f, const char *s) { put_esc(f, s, 0); }
void rb_html_line(FILE *f, const char *s) { put_esc(f, s, 1); }

/* Writes a relative path as a URL path: every byte other than an unreserved one (RFC 3986:
 * letters, digits, - . _ ~) or the '/' between segments percent-encoded, so that no name
 * can close the attribute, start a scheme ("javascript:") or a query. */
void rb_html_url_path(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~' || c == '/')
            putc(c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}

/* NULL when name may be linked as a path relative to DIR, else why not. */
const char *rb_html_link_refusal(const char *name)
{
    if (!name || !*name) return "an empty name";
    if (name[0] == '/') return "an absolute path";
    if (strchr(name, '\\')) return "a backslash in the path";
    for (const char *seg = name;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 2 && seg[0] == '.' && seg[1] == '.') return "a '..' segment that leaves the report folder";
        if (!end) break;
        seg = end + 1;
    }
    return NULL;
}


void rb_html_sort_head(FILE *f, const char *text, int numeric)
{
    fputs(numeric ? "<th scope=\"col\" class=\"num\"><button type=\"button\">"
                  : "<th scope=\"col\"><button type=\"button\">",
          f);
    rb_html_line(f, text);
    fputs("</button></th>", f);
}

void rb_html_cell(FILE *f, const char *text, int numeric, const char *extra_class)
{
    if (numeric || extra_class) {
        fputs("<td class=\"", f);
        if (numeric) fputs("num", f);
        if (numeric && extra_class) putc(' ', f);
        if (extra_class) fputs(extra_class, f);
        fputs("\">", f);
    } else
        fputs("<td>", f);
    rb_html_line(f, text);
    fputs("</td>", f);
}
