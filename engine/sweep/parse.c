/* parse.c - reading a sweep file: the INI text through libinih (long lines, continuation
 * lines, comments), its sections and keys, the first error with its file, line, section and
 * key; rb_sweep_parse_text/file and rb_sweep_free. */
#include <ini.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sweep_internal.h"
#include "text.h"
#include "alloc.h"

/* Records the first error: "NAME:LINE: what". */
int sw_fail_line(parse_ctx *c, rb_status code, int line, const char *fmt, ...)
{
    if (c->failed) return 0;
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        c->rc = rb_fail(c->err, code, "%s:%d: %s", c->name, line, msg);
    else
        c->rc = rb_fail(c->err, code, "%s: %s", c->name, msg);
    c->failed = 1;
    return 0;
}

/* Records the first error: "NAME:LINE: [section] key: what". */
int sw_fail_key(parse_ctx *c, int line, const section *s, const char *key, const char *fmt, ...)
{
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sw_fail_line(c, RB_ERR_USAGE, line, "[%s] %s: %s", s->name, key, msg);
}

/* A message of rb_run_spec_set ("--key: what") without its "--key: " start, which the
 * "[section] key:" prefix replaces. */
const char *sw_without_option(const char *msg, const char *key)
{
    size_t klen = strlen(key);
    if (strncmp(msg, "--", 2) == 0 && strncmp(msg + 2, key, klen) == 0 && strncmp(msg + 2 + klen, ": ", 2) == 0)
        return msg + 4 + klen;
    return msg;
}

/* A percentage given to a key that is not a fraction: rb_percent_refused's message. */
int sw_fail_percent(parse_ctx *c, const section *s, const char *key, const char *text)
{
    rb_error why = {0};
    rb_percent_refused(key, text, &why);
    return sw_fail_key(c, c->line, s, key, "%s", sw_without_option(why.msg, key));
}

int sw_nomem(parse_ctx *c)
{
    if (!c->failed) c->rc = rb_fail(c->err, RB_ERR_NOMEM, "out of memory");
    c->failed = 1;
    return 0;
}

/* "[buy-and-hold], [calendar], ...": every strategy section name. */
void sw_family_list(char *buf, size_t len)
{
    size_t n;
    const rb_strategy *const *all = rb_strategy_all(&n);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s[%s]", i ? ", " : "", all[i]->info.name);
    }
}

/* ---------------------------------------------------------------- sections */

static int valid_suffix(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-') return 0;
    return 1;
}

/* A "[name]" header: checks the name, refuses a repeat, and opens the section. */
static int open_section(parse_ctx *c, const char *name)
{
    rb_sweep *sw = c->sw;
    section s = {.line = c->line};
    char families[256];
    sw_family_list(families, sizeof families);
    if (*name == '\0') return sw_fail_line(c, RB_ERR_USAGE, c->line, "[]: a section needs a name");
    if (strcmp(name, "data") == 0) s.kind = SEC_DATA;
    else if (strcmp(name, "costs") == 0) s.kind = SEC_COSTS;
    else if (strcmp(name, "tax") == 0) s.kind = SEC_TAX;
    else if (strcmp(name, "flows") == 0) s.kind = SEC_FLOWS;
    else if (strcmp(name, "venues") == 0) s.kind = SEC_VENUES;
    else {
        s.kind = SEC_STRATEGY;
        const char *dot = strchr(name, '.');
        size_t flen = dot ? (size_t)(dot - name) : strlen(name);
        char family[64];
        if (flen < sizeof family) {
            memcpy(family, name, flen);
            family[flen] = '\0';
            s.strategy = rb_strategy_find(family);
        }
        if (!s.strategy) {
            /* the nearest section (or, for [STRATEGY.NAME], strategy) name */
            rb_nearest near;
            rb_nearest_init(&near, flen < sizeof family ? family : "");
            if (!dot)
                for (const char *const *fixed = (const char *const[]){"data", "costs", "tax", "flows", "venues", NULL}; *fixed;
                     fixed++)
                    rb_nearest_offer(&near, *fixed);
            size_t n;
            const rb_strategy *const *all = rb_strategy_all(&n);
            for (size_t i = 0; i < n; i++) rb_nearest_offer(&near, all[i]->info.name);
            const char *best = rb_nearest_best(&near);
            char hint[RB_NEAREST_MAX + 32] = "";
            if (best) snprintf(hint, sizeof hint, dot ? "; did you mean %s?" : "; did you mean [%s]?", best);
            if (!dot)
                return sw_fail_line(c, RB_ERR_USAGE, c->line,
                                 "[%s]: unknown section%s (sections: [data], [costs], [tax], [flows], [venues], and one per "
                                 "rule named after its strategy: %s, or [STRATEGY.NAME])",
                                 name, hint, families);
            return sw_fail_line(c, RB_ERR_USAGE, c->line, "[%s]: unknown strategy '%.*s'%s (known: %s)", name,
                             (int)flen, name, hint, families);
        }
        if (dot && !valid_suffix(dot + 1))
            return sw_fail_line(c, RB_ERR_USAGE, c->line,
                             "[%s]: a strategy section is [%s] or [%s.NAME], NAME of letters, digits, '_' and '-'",
                             name, s.strategy->info.name, s.strategy->info.name);
    }
    size_t rules = 0;
    for (size_t i = 0; i < sw->nsec; i++) {
        if (strcmp(sw->sec[i].name, name) == 0)
            return sw_fail_line(c, RB_ERR_USAGE, c->line, "[%s]: section given twice (first at line %d)", name,
                             sw->sec[i].line);
        rules += sw->sec[i].kind == SEC_STRATEGY;
    }
    if (s.kind == SEC_STRATEGY && rules == RB_SWEEP_MAX_SECTIONS)
        return sw_fail_line(c, RB_ERR_USAGE, c->line, "[%s]: more rule sections than the %d a sweep file may hold", name,
                         RB_SWEEP_MAX_SECTIONS);
    if (sw->nsec == sw->capsec) {
        size_t cap = sw->capsec ? 2 * sw->capsec : 8;
        section *grown = rb_realloc(sw->sec, cap * sizeof *grown);
        if (!grown) return sw_nomem(c);
        sw->sec = grown;
        sw->capsec = cap;
    }
    if (!(s.name = rb_strdup(name))) return sw_nomem(c);
    sw->sec[sw->nsec] = s;
    c->cur = sw->nsec++;
    return 1;
}

/* ---------------------------------------------------------------- the reader
 *
 * libinih reads lines into a fixed buffer (198 characters in Debian's build) and has no
 * notion of a value longer than that, but it has multi-line values: an indented line after
 * a key line calls the handler again with that key. The reader below hands libinih every
 * physical line, a long one as a first line plus indented continuation parts, and the
 * handler joins the parts; a line indented more than its key (as in Python's configparser)
 * continues that key's value the same way. The value is handled once complete, when a line
 * comes that does not continue it. */

/* Where libinih splits a key line: the first '=' or ':' before an inline comment (';'
 * after a blank); -1 when there is none. */
static long key_separator(const char *s, size_t len)
{
    int was_space = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=' || s[i] == ':') return (long)i;
        if (was_space && s[i] == ';') break;
        was_space = isspace((unsigned char)s[i]);
    }
    return -1;
}

/* The end of the value text starting at s: before an inline comment (';' after a blank,
 * libinih's rule) and the blanks before it. */
static const char *value_end(const char *s, const char *e)
{
    int was_space = 0;
    for (const char *p = s; p < e; p++) {
        if (was_space && *p == ';') {
            e = p;
            break;
        }
        was_space = isspace((unsigned char)*p);
    }
    while (e > s && isspace((unsigned char)e[-1])) e--;
    return e;
}

/* 1 when s[0..len) starts like a setting line, "KEY =" or "KEY:" with a KEY rebal knows:
 * such a line is a setting of its own however it is indented (a continuation line holds
 * values, which never start that way). */
static int starts_with_setting(const char *s, size_t len)
{
    long sep = key_separator(s, len);
    if (sep <= 0) return 0;
    const char *e, *k = sw_trim(s, s + sep, &e);
    char key[64];
    if (e - k <= 0 || (size_t)(e - k) >= sizeof key) return 0;
    memcpy(key, k, (size_t)(e - k));
    key[e - k] = '\0';
    return strcmp(key, "strategy") == 0 || rb_setting_find(key) != NULL;
}

/* A "[name]" line (trimmed, len characters): opens the section. */
static int header_line(parse_ctx *c, const char *line, size_t len)
{
    c->after_key = 0;
    const char *close = memchr(line, ']', len);
    if (!close) return sw_fail_line(c, RB_ERR_USAGE, c->line, "a section header needs a closing ']'");
    const char *after = close + 1, *stop = line + len;
    while (after < stop && isspace((unsigned char)*after)) after++;
    if (after < stop && *after != ';' && *after != '#')
        return sw_fail_line(c, RB_ERR_USAGE, c->line, "text after the section header: '%.*s'", (int)(stop - after), after);
    size_t nlen = (size_t)(close - line - 1);
    char *name = rb_malloc(nlen + 1);
    if (!name) return sw_nomem(c);
    memcpy(name, line + 1, nlen);
    name[nlen] = '\0';
    int ok = open_section(c, name);
    free(name);
    return ok;
}

/* Appends text to the value being read, after one blank when spaced (and the value is not
 * empty). */
static int value_append(parse_ctx *c, const char *text, int spaced)
{
    pending *v = &c->value;
    size_t n = strlen(text), need = v->len + n + 2;
    if (need > v->cap) {
        size_t cap = v->cap ? v->cap : 256;
        while (cap < need) cap *= 2;
        char *grown = rb_realloc(v->value, cap);
        if (!grown) return sw_nomem(c);
        v->value = grown;
        v->cap = cap;
    }
    if (spaced && v->len > 0 && n > 0) v->value[v->len++] = ' ';
    memcpy(v->value + v->len, text, n + 1);
    v->len += n;
    return 1;
}

static void value_clear(pending *v)
{
    free(v->key);
    free(v->value);
    memset(v, 0, sizeof *v);
}

static int on_value(parse_ctx *c, const char *name, const char *value);

/* The value being read is complete: handled with its key's line as the line in errors. */
static int value_done(parse_ctx *c)
{
    if (!c->value.active) return 1;
    int line = c->line;
    c->line = c->value.line;
    int ok = c->failed ? 0 : on_value(c, c->value.key, c->value.value ? c->value.value : "");
    c->line = line;
    value_clear(&c->value);
    return ok;
}

/* Records which physical line libinih's next line is (for its error line numbers). */
static int note_line(parse_ctx *c)
{
    if (c->nlines == c->caplines) {
        size_t cap = c->caplines ? 2 * c->caplines : 256;
        int *grown = rb_realloc(c->lines, cap * sizeof *grown);
        if (!grown) return sw_nomem(c);
        c->lines = grown;
        c->caplines = cap;
    }
    c->lines[c->nlines++] = c->line;
    return 1;
}

/* Copies s[0..len) into libinih's buffer (with an indent for a continuation part). */
static char *hand(parse_ctx *c, char *str, const char *s, size_t len, int indent, piece_kind kind)
{
    if (!note_line(c)) return NULL;
    size_t at = 0;
    if (indent) str[at++] = ' ';
    memcpy(str + at, s, len);
    str[at + len] = '\n';
    str[at + len + 1] = '\0';
    c->piece = kind;
    return str;
}

/* How many characters of s the next part takes, at least `least` and at most room (s holds
 * more than room characters). libinih trims each line, so a part ends and the next begins with a character
 * other than a blank (and the next not with ';' or '#', which would make it a comment
 * line): the parts then join back exactly. Only a run of blanks too long for that is cut
 * inside, and the parts joined with one blank (*spaced). 0: no place to cut. */
static size_t cut_at(const char *s, size_t least, size_t room, int *spaced)
{
    *spaced = 0;
    for (size_t k = room; k >= least && k > 0; k--)
        if (!isspace((unsigned char)s[k - 1]) && !isspace((unsigned char)s[k]) && s[k] != ';' && s[k] != '#')
            return k;
    for (size_t k = room; k >= least && k > 0; k--)
        if (isspace((unsigned char)s[k]) && !isspace((unsigned char)s[k - 1])) {
            *spaced = 1;
            return k;
        }
    return 0;
}

/* The name of the section being read, for messages; a value may come before any section
 * (refused once it is complete), and a long one is split before that. */
static const char *cur_section(const parse_ctx *c)
{
    return c->cur == SIZE_MAX ? "no section" : c->sw->sec[c->cur].name;
}

/* Hands libinih the next part of the physical line being split, indented as a continuation. */
static char *hand_next_part(parse_ctx *c, char *str, size_t room)
{
    const char *s = c->split;
    size_t len = (size_t)(c->split_end - s), take = len;
    int spaced = 0;
    piece_kind kind = c->split_kind;
    if (len > room && !(take = cut_at(s, 1, room, &spaced))) {
        sw_fail_line(c, RB_ERR_USAGE, c->value.line, "[%s] %s: a value too long for one line of libinih with no place "
                  "to split it (a run of ';' or '#')", cur_section(c), c->value.key);
        return NULL;
    }
    const char *next = s + take;
    while (next < c->split_end && isspace((unsigned char)*next)) next++;
    if (next < c->split_end && *next == '#') {
        sw_fail_line(c, RB_ERR_USAGE, c->value.line, "[%s] %s: '#' starts a comment only at the start of a line; after "
                  "a value write ' ; comment'", cur_section(c), c->value.key);
        return NULL;
    }
    c->split = next;
    c->split_kind = spaced ? PIECE_SPACED : PIECE_JOINED;
    return hand(c, str, s, take, 1, kind);
}

/* A key line (trimmed, len characters, indentation indent): handed whole when it fits, else
 * as its first part, the rest to follow as continuation parts. */
static char *hand_key_line(parse_ctx *c, char *str, size_t room, const char *s, size_t len, size_t indent)
{
    long sep = key_separator(s, len); /* found: read_line checked */
    c->after_key = 1;
    c->key_indent = indent;
    len = (size_t)(value_end(s + sep + 1, s + len) - s);
    if (len <= room) return hand(c, str, s, len, 0, PIECE_KEY);
    int spaced;
    size_t take = (size_t)sep + 1 <= room ? cut_at(s, (size_t)sep + 1, room, &spaced) : 0;
    if (!take) {
        sw_fail_line(c, RB_ERR_USAGE, c->line, "a key of %ld characters: no setting is named that way", sep);
        return NULL;
    }
    const char *next = s + take;
    while (isspace((unsigned char)*next)) next++;
    c->split = next;
    c->split_end = s + len;
    c->split_kind = spaced ? PIECE_SPACED : PIECE_JOINED;
    return hand(c, str, s, take, 0, PIECE_KEY);
}

/* The libinih reader: hands over one line (or one part of a long physical line) at a time,
 * trimmed; a continuation is indented by one blank, so libinih takes it as one. */
static char *read_line(char *str, int num, void *stream)
{
    parse_ctx *c = stream;
    if (c->failed) return NULL;
    if (c->piece != PIECE_NONE && !c->piece_seen) {
        sw_fail_line(c, RB_ERR_USAGE, c->line,
                  c->piece == PIECE_KEY ? "libinih did not read this line as a 'key = value' line"
                                        : "libinih did not read a continuation line (it needs multi-line values, "
                                          "INI_ALLOW_MULTILINE)");
        return NULL;
    }
    c->piece = PIECE_NONE;
    c->piece_seen = 0;
    /* room for an indent, the text, '\n' and '\0' in libinih's line buffer */
    if (num < 16) {
        sw_fail_line(c, RB_ERR_USAGE, c->line, "libinih's line buffer holds only %d characters", num);
        return NULL;
    }
    size_t room = (size_t)num - 3;
    if (c->split && c->split < c->split_end) return hand_next_part(c, str, room);
    c->split = c->split_end = NULL;

    if (c->p >= c->end) {
        value_done(c);
        return NULL;
    }
    const char *s = c->p, *nl = memchr(s, '\n', (size_t)(c->end - s));
    const char *stop = nl ? nl : c->end, *e;
    c->p = nl ? nl + 1 : c->end;
    c->line++;
    if (c->line == 1 && stop - s >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3; /* UTF-8 BOM */
    const char *t = sw_trim(s, stop, &e);
    size_t indent = (size_t)(t - s), len = (size_t)(e - t);
    if (len == 0) return hand(c, str, "", 0, 0, PIECE_NONE); /* blank lines end no value */
    if (*t == ';' || *t == '#') return hand(c, str, ";", 1, 0, PIECE_NONE);
    if (c->value.active && indent > c->value.indent && *t != '[' && !starts_with_setting(t, len)) {
        /* a continuation line: its text (without an inline comment) joins the value */
        const char *ve = value_end(t, e);
        if (ve == t) return hand(c, str, ";", 1, 0, PIECE_NONE);
        c->split = t;
        c->split_end = ve;
        c->split_kind = PIECE_SPACED;
        return hand_next_part(c, str, room);
    }
    if (*t != '[' && key_separator(t, len) < 0) {
        sw_fail_line(c, RB_ERR_USAGE, c->line, "expected 'key = value' or a [section] header%s",
                  c->after_key ? " (a line that continues a value is indented more than its key)" : "");
        return NULL;
    }
    if (!value_done(c)) return NULL;
    if (*t == '[') {
        if (!header_line(c, t, len)) return NULL;
        /* libinih only needs to see a header (rebal keeps the whole name) */
        return hand(c, str, "[]", 2, 0, PIECE_NONE);
    }
    return hand_key_line(c, str, room, t, len, indent);
}

/* ---------------------------------------------------------------- keys */

static const rb_setting_info *find_run_setting(const char *key)
{
    for (size_t i = 0; i < rb_setting_count(); i++)
        if (strcmp(rb_setting_at(i)->key, key) == 0) return rb_setting_at(i);
    return NULL;
}

static const rb_setting_info *find_param(const rb_strategy *st, const char *key)
{
    for (size_t i = 0; i < st->info.nparams; i++)
        if (strcmp(st->info.params[i].key, key) == 0) return &st->info.params[i];
    return NULL;
}

/* The section a run setting's group belongs in; NULL for a strategy section. */
static const char *group_section(const char *group)
{
    if (strcmp(group, "data") == 0 || strcmp(group, "portfolio") == 0) return "data";
    if (strcmp(group, "costs") == 0 || strcmp(group, "tax") == 0 || strcmp(group, "flows") == 0 ||
        strcmp(group, "venues") == 0)
        return group;
    return NULL;
}

/* The key's static text when key belongs in section s; NULL with the reason in why. */
static const char *place_key(const section *s, const char *key, char *why, size_t len)
{
    const rb_setting_info *set = find_run_setting(key);
    if (set && strcmp(set->key, "strategy") == 0) {
        snprintf(why, len, "not a setting of a sweep file: the section name chooses the strategy ([calendar], "
                           "[threshold.tight], ...)");
        return NULL;
    }
    if (s->kind == SEC_STRATEGY) {
        const rb_setting_info *p = find_param(s->strategy, key);
        if (p) return p->key;
        if (set && !group_section(set->group)) return set->key;
    } else if (set && group_section(set->group) && strcmp(group_section(set->group), s->name) == 0) {
        return set->key;
    }
    if (set) {
        const char *home = group_section(set->group);
        if (home)
            snprintf(why, len, "not a setting of this section (it belongs in [%s])", home);
        else
            snprintf(why, len, "not a setting of this section (it belongs in a strategy section)");
        return NULL;
    }
    char homes[256] = "";
    size_t n, found = 0;
    const rb_strategy *const *all = rb_strategy_all(&n);
    for (size_t i = 0; i < n; i++)
        if (find_param(all[i], key)) {
            size_t used = strlen(homes);
            snprintf(homes + used, sizeof homes - used, "%s[%s]", found++ ? " or " : "", all[i]->info.name);
        }
    if (found) {
        snprintf(why, len, "not a setting of this section (it belongs in %s)", homes);
    } else {
        /* the nearest key, those of this section first (the first of equals wins) */
        rb_nearest near;
        rb_nearest_init(&near, key);
        for (int pass = 0; pass < 2; pass++) {
            for (size_t i = 0; i < rb_setting_count(); i++) {
                const rb_setting_info *run = rb_setting_at(i);
                const char *home = group_section(run->group);
                int here = s->kind == SEC_STRATEGY ? !home : home && strcmp(home, s->name) == 0;
                if (here == !pass && strcmp(run->key, "strategy") != 0) rb_nearest_offer(&near, run->key);
            }
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < all[i]->info.nparams; j++)
                    if ((all[i] == s->strategy) == !pass) rb_nearest_offer(&near, all[i]->info.params[j].key);
        }
        snprintf(why, len, "unknown setting%s", rb_nearest_hint(&near));
    }
    return NULL;
}

/* libinih's handler: a key line starts a value, a continuation (libinih calls with the
 * key again) adds to it; the value is handled once complete (value_done). */
static int on_pair(void *user, const char *inih_section, const char *name, const char *value)
{
    parse_ctx *c = user;
    (void)inih_section; /* libinih truncates names to 49 characters: the reader keeps the section */
    if (c->failed) return 1;
    c->piece_seen = 1;
    if (c->piece == PIECE_KEY) {
        c->value = (pending){.active = 1, .line = c->line, .indent = c->key_indent};
        if (!(c->value.key = rb_strdup(name))) return sw_nomem(c);
        return value_append(c, value, 0);
    }
    if ((c->piece == PIECE_JOINED || c->piece == PIECE_SPACED) && c->value.active)
        return value_append(c, value, c->piece == PIECE_SPACED);
    return sw_fail_line(c, RB_ERR_USAGE, c->line, "libinih read this line as a value where rebal reads none");
}

/* One complete key = value of the current section. */
static int on_value(parse_ctx *c, const char *name, const char *value)
{
    if (*name == '\0') return sw_fail_line(c, RB_ERR_USAGE, c->line, "a value without a key");
    if (c->cur == SIZE_MAX)
        return sw_fail_line(c, RB_ERR_USAGE, c->line, "%s: a setting before any [section]", name);
    section *s = &c->sw->sec[c->cur];
    char why[512];
    const char *key = place_key(s, name, why, sizeof why);
    if (!key) return sw_fail_key(c, c->line, s, name, "%s", why);
    for (size_t i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i].key, key) == 0)
            return sw_fail_key(c, c->line, s, key, "given twice (first at line %d)", s->keys[i].line);
    for (size_t i = 0; i < s->nkeys; i++)
        if (rb_settings_share_field(rb_setting_find(key), s->keys[i].row))
            return sw_fail_key(c, c->line, s, key, "the same setting as %s (line %d): give one of them", s->keys[i].key,
                               s->keys[i].line);
    if (s->nkeys == s->capkeys) {
        size_t cap = s->capkeys ? 2 * s->capkeys : 8;
        values *grown = rb_realloc(s->keys, cap * sizeof *grown);
        if (!grown) return sw_nomem(c);
        s->keys = grown;
        s->capkeys = cap;
    }
    values *v = &s->keys[s->nkeys];
    memset(v, 0, sizeof *v);
    v->key = key;
    v->line = c->line;
    v->row = rb_setting_find(key);
    v->percent = v->row->fraction;
    if (!sw_expand_value(c, s, key, value, v)) {
        sw_values_clear(v);
        return 0;
    }
    s->nkeys++;
    return 1;
}

/* ---------------------------------------------------------------- parse and free */

void rb_sweep_free(rb_sweep *sw)
{
    if (!sw) return;
    for (size_t i = 0; i < sw->nsec; i++) {
        for (size_t j = 0; j < sw->sec[i].nkeys; j++) sw_values_clear(&sw->sec[i].keys[j]);
        free(sw->sec[i].keys);
        free(sw->sec[i].name);
    }
    free(sw->sec);
    free(sw->strat);
    free(sw->shared);
    free(sw->data);
    free(sw->keys);
    free(sw->text);
    free(sw->name);
    rb_run_spec_free(sw->base);
    free(sw);
}

/* Parses text (owned by the new sweep on success and on failure alike). */
static rb_status parse_owned(char *text, const char *name, int from_file, rb_sweep **out, rb_error *err)
{
    rb_sweep *sw = rb_calloc(1, sizeof *sw);
    if (!sw || !(sw->name = rb_strdup(name))) {
        free(text);
        free(sw);
        return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    }
    sw->text = text;
    sw->from_file = from_file;
    parse_ctx c = {
        .sw = sw, .name = name, .from_file = from_file, .p = text, .end = text + strlen(text), .cur = SIZE_MAX, .err = err};
    int rc = ini_parse_stream(read_line, &c, on_pair, &c);
    if (!c.failed && rc == 0) value_done(&c);
    if (!c.failed) {
        /* libinih counts the lines it was handed; a long physical line is several */
        int line = rc > 0 && (size_t)rc <= c.nlines ? c.lines[rc - 1] : rc;
        if (rc == -2) sw_nomem(&c);
        else if (rc != 0) sw_fail_line(&c, RB_ERR_USAGE, line, "not a [section] header or a 'key = value' line");
        else if (sw_check_size(&c)) sw_finish(&c);
    }
    value_clear(&c.value);
    free(c.lines);
    if (c.failed) {
        rb_sweep_free(sw);
        return c.rc;
    }
    *out = sw;
    return RB_OK;
}

/* Parses a copy of text (the caller keeps its own). */
static rb_status parse_copy(const char *text, const char *name, int from_file, rb_sweep **out, rb_error *err)
{
    char *copy = rb_strdup(text ? text : "");
    if (!copy) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    return parse_owned(copy, name, from_file, out, err);
}

rb_status rb_sweep_parse_text(const char *text, const char *name, rb_sweep **out, rb_error *err)
{
    return parse_copy(text, name ? name : "sweep", 0, out, err);
}

rb_status rb_sweep_parse_text_at(const char *text, const char *path, rb_sweep **out, rb_error *err)
{
    if (!path) return rb_fail(err, RB_ERR_USAGE, "rb_sweep_parse_text_at: no path");
    return parse_copy(text, path, 1, out, err);
}

const char *rb_sweep_name(const rb_sweep *sweep, int *from_file)
{
    if (from_file) *from_file = sweep->from_file;
    return sweep->name;
}

rb_status rb_sweep_parse_file(const char *path, rb_sweep **out, rb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return rb_fail(err, RB_ERR_IO, "%s: %s", path, strerror(errno));
    size_t len = 0, cap = 4096;
    char *buf = rb_malloc(cap);
    int failed_read = 0;
    while (buf) {
        if (len + 1 >= cap) {
            char *grown = rb_realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) {
            failed_read = ferror(f);
            break;
        }
    }
    int read_errno = errno;
    fclose(f);
    if (!buf) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    if (failed_read) {
        free(buf);
        return rb_fail(err, RB_ERR_IO, "%s: %s", path, strerror(read_errno));
    }
    buf[len] = '\0';
    const char *nul = memchr(buf, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *p = buf; p < nul; p++) line += *p == '\n';
        free(buf);
        return rb_fail(err, RB_ERR_USAGE, "%s:%d: a NUL byte: not a text file", path, line);
    }
    return parse_owned(buf, path, 1, out, err);
}
