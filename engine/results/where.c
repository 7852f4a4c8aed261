/* where.c - `rebal runs --where`: a condition on the runs' columns, read by a small grammar
 * into the items of a query (reader.h: rb_results_where_parse). Whatever the grammar cannot
 * read is refused, naming the token; nothing is ever handed to SQL as text.
 *
 *   expr       := term { OR term }
 *   term       := factor { AND factor }
 *   factor     := NOT factor | '(' expr ')' | comparison
 *   comparison := KEY OP VALUE | KEY [NOT] IN '(' VALUE {',' VALUE} ')' | KEY IS [NOT] NULL
 *   OP         := = | != | < | <= | > | >=
 *
 * Keywords are read in any letter case. A VALUE is a number, a word (up to a blank, a
 * parenthesis or a comma: threshold, BTC=10) or a quoted text ('...' or "...", compared as
 * text). The items keep the text's order, so SQL's precedence (NOT, then AND, then OR) is the
 * grammar's. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "results/reader.h"
#include "alloc.h"

typedef struct parser {
    const rb_results_reader *r;
    const char *text; /* the whole condition, for messages */
    const char *p;
    rb_results_where *w;
    rb_error *err;
} parser;

/* "--where 'TEXT': " and the message. */
__attribute__((format(printf, 2, 3))) static rb_status bad(parser *ps, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rb_fail(ps->err, RB_ERR_USAGE, "--where '%s': %s", ps->text, msg);
}

static void skip_blanks(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t') ps->p++;
}

static int key_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '-'; }

/* The length of the word at p: up to a blank or a parenthesis, or a comma when `stops`
 * holds one (in a list; a per-asset value outside one is written BTC=10,ETH=20). */
static int word_len(const char *p, const char *stops)
{
    size_t n = 0;
    while (p[n] && p[n] != ' ' && p[n] != '\t' && !strchr(stops, p[n])) n++;
    return (int)n;
}

/* The length of the token at p, for messages ("found 'abc'"). */
static int token_len(const char *p)
{
    if (!*p) return 0;
    if (strchr("(),", *p)) return 1;
    return word_len(p, "(),");
}

/* What is at the parser's position, for "found ..." in messages. */
static const char *found(parser *ps, char buf[80])
{
    int n = token_len(ps->p);
    if (n == 0) return "the end";
    snprintf(buf, 80, "'%.*s'", n > 60 ? 60 : n, ps->p);
    return buf;
}

/* 1 (advancing past it) when the keyword kw, in any letter case, is at the position. */
static int keyword(parser *ps, const char *kw)
{
    skip_blanks(ps);
    size_t n = strlen(kw);
    if (strncasecmp(ps->p, kw, n) != 0 || key_char(ps->p[n])) return 0;
    ps->p += n;
    return 1;
}

static int punct(parser *ps, char c)
{
    skip_blanks(ps);
    if (*ps->p != c) return 0;
    ps->p++;
    return 1;
}

static rb_status push(parser *ps, rb_results_cond item)
{
    rb_results_where *w = ps->w;
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        rb_results_cond *grown = rb_realloc(w->item, cap * sizeof *grown);
        if (!grown) return rb_fail(ps->err, RB_ERR_NOMEM, "out of memory reading --where");
        w->item = grown;
        w->cap = cap;
    }
    w->item[w->n++] = item;
    return RB_OK;
}

static rb_status push_link(parser *ps, rb_rlink link) { return push(ps, (rb_results_cond){.link = link}); }

/* Keeps a value's text for the lifetime of the where. */
static rb_status keep(parser *ps, const char *s, size_t n, char **out)
{
    rb_results_where *w = ps->w;
    if (w->nvalue == w->vcap) {
        size_t cap = w->vcap ? 2 * w->vcap : 8;
        char **grown = rb_realloc(w->value, cap * sizeof *grown);
        if (!grown) return rb_fail(ps->err, RB_ERR_NOMEM, "out of memory reading --where");
        w->value = grown;
        w->vcap = cap;
    }
    if (!(*out = rb_strndup(s, n))) return rb_fail(ps->err, RB_ERR_NOMEM, "out of memory reading --where");
    w->value[w->nvalue++] = *out;
    return RB_OK;
}

/* The column named at the position (a column name, a setting's flag name or its older name). */
static rb_status read_column(parser *ps, size_t *column)
{
    skip_blanks(ps);
    const char *start = ps->p;
    while (key_char(*ps->p)) ps->p++;
    size_t n = (size_t)(ps->p - start);
    char buf[80];
    if (n == 0) {
        ps->p = start;
        return bad(ps, "expected a column name, found %s (e.g. 'band > 0.05')", found(ps, buf));
    }
    if (n >= RB_RESULTS_KEY_MAX) return bad(ps, "the column name '%.*s' is too long", (int)n, start);
    char name[RB_RESULTS_KEY_MAX];
    memcpy(name, start, n);
    name[n] = '\0';
    const rb_results_columns *cols = rb_results_reader_columns(ps->r);
    int at = rb_results_columns_find(cols, name);
    if (at < 0) {
        char list[700];
        size_t o = 0;
        list[0] = '\0';
        for (size_t i = 0; i < cols->n && o < sizeof list; i++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", cols->col[i].name);
        if (o >= sizeof list) strcpy(list + sizeof list - 4, "...");
        return bad(ps, "%s has no column '%s' (columns: %s)", rb_results_reader_path(ps->r), name, list);
    }
    *column = (size_t)at;
    return RB_OK;
}

/* One value (number, word or quoted text) compared to column by op: pushed as a condition.
 * in_list: a comma ends the word. */
static rb_status read_value(parser *ps, size_t column, rb_rop op, int in_list)
{
    skip_blanks(ps);
    const char *s = ps->p;
    size_t n;
    int quoted = *s == '\'' || *s == '"';
    char buf[80];
    if (quoted) {
        const char *close = strchr(s + 1, *s);
        if (!close) return bad(ps, "the quote opened at %.20s is never closed", s);
        s++;
        n = (size_t)(close - s);
        ps->p = close + 1;
    } else {
        n = (size_t)word_len(s, in_list ? "()," : "()");
        if (n == 0 && !*s) return bad(ps, "no value at the end");
        if (n == 0) return bad(ps, "expected a value, found %s", found(ps, buf));
        ps->p += n;
    }
    const rb_results_column *col = &rb_results_reader_columns(ps->r)->col[column];
    char *text;
    rb_status rc = keep(ps, s, n, &text);
    if (rc != RB_OK) return rc;
    double v;
    int number = !quoted && rb_results_number_text(text, col->fraction, &v);
    /* A metric or an id holds numbers only; a numeric parameter numbers, or per-asset values
     * written SYM=V,... (compared as text): a bare word is neither, and would match nothing. */
    if (col->real && !number) {
        if (col->kind != RB_RCOL_PARAM)
            return bad(ps, "column '%s' holds numbers and '%s' is not a number", col->name, text);
        if (!quoted && !strchr(text, '='))
            return bad(ps, "column '%s' holds numbers (or per-asset values written SYM=V,...) and '%s' is neither",
                       col->name, text);
    }
    return push(ps, (rb_results_cond){.column = column, .op = op, .text = text, .as_text = quoted});
}

/* The operator at the position, or -1. */
static int read_op(parser *ps)
{
    static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">="};
    skip_blanks(ps);
    const char *op = ps->p;
    size_t len = 0;
    while (op[len] && strchr("=!<>", op[len])) len++;
    for (int i = 0; i < (int)(sizeof ops / sizeof ops[0]); i++)
        if (len == strlen(ops[i]) && strncmp(op, ops[i], len) == 0) {
            ps->p += len;
            return i;
        }
    return -1;
}

/* KEY [NOT] IN ( VALUE, ... ): (KEY = a OR KEY = b ...), negated with NOT. */
static rb_status read_in(parser *ps, size_t column, int negated)
{
    char buf[80];
    if (!punct(ps, '(')) return bad(ps, "expected '(' after in, found %s", found(ps, buf));
    rb_status rc = negated ? push_link(ps, RB_RLINK_NOT) : RB_OK;
    if (rc == RB_OK) rc = push_link(ps, RB_RLINK_OPEN);
    for (int first = 1; rc == RB_OK; first = 0) {
        if (!first) rc = push_link(ps, RB_RLINK_OR);
        if (rc == RB_OK) rc = read_value(ps, column, RB_ROP_EQ, 1);
        if (rc != RB_OK || punct(ps, ')')) break;
        if (!punct(ps, ',')) return bad(ps, "expected ',' or ')' in the list after in, found %s", found(ps, buf));
    }
    return rc == RB_OK ? push_link(ps, RB_RLINK_CLOSE) : rc;
}

static rb_status read_comparison(parser *ps)
{
    size_t column = 0;
    rb_status rc = read_column(ps, &column);
    if (rc != RB_OK) return rc;
    char buf[80];
    if (keyword(ps, "is")) {
        int negated = keyword(ps, "not");
        if (!keyword(ps, "null")) return bad(ps, "expected null after is%s, found %s", negated ? " not" : "", found(ps, buf));
        rc = negated ? push_link(ps, RB_RLINK_NOT) : RB_OK;
        return rc == RB_OK ? push(ps, (rb_results_cond){.column = column, .op = RB_ROP_IS}) : rc;
    }
    if (keyword(ps, "in")) return read_in(ps, column, 0);
    const char *before_not = ps->p;
    if (keyword(ps, "not")) {
        if (keyword(ps, "in")) return read_in(ps, column, 1);
        ps->p = before_not;
    }
    int op = read_op(ps);
    const char *name = rb_results_reader_columns(ps->r)->col[column].name;
    if (op < 0 && !*ps->p) return bad(ps, "no operator after '%s' (one of = != < <= > >=, in, is null)", name);
    if (op < 0) return bad(ps, "unknown operator %s after '%s' (one of = != < <= > >=, in, is null)", found(ps, buf), name);
    return read_value(ps, column, (rb_rop)op, 0);
}

static rb_status read_expr(parser *ps, int depth);

static rb_status read_factor(parser *ps, int depth)
{
    if (depth > 64) return bad(ps, "nested too deeply");
    if (keyword(ps, "not")) {
        rb_status rc = push_link(ps, RB_RLINK_NOT);
        return rc == RB_OK ? read_factor(ps, depth + 1) : rc;
    }
    if (punct(ps, '(')) {
        rb_status rc = push_link(ps, RB_RLINK_OPEN);
        if (rc == RB_OK) rc = read_expr(ps, depth + 1);
        char buf[80];
        if (rc == RB_OK && !punct(ps, ')')) return bad(ps, "expected ')', found %s", found(ps, buf));
        return rc == RB_OK ? push_link(ps, RB_RLINK_CLOSE) : rc;
    }
    return read_comparison(ps);
}

static rb_status read_term(parser *ps, int depth)
{
    rb_status rc = read_factor(ps, depth);
    while (rc == RB_OK && keyword(ps, "and"))
        if ((rc = push_link(ps, RB_RLINK_AND)) == RB_OK) rc = read_factor(ps, depth);
    return rc;
}

static rb_status read_expr(parser *ps, int depth)
{
    rb_status rc = read_term(ps, depth);
    while (rc == RB_OK && keyword(ps, "or"))
        if ((rc = push_link(ps, RB_RLINK_OR)) == RB_OK) rc = read_term(ps, depth);
    return rc;
}

rb_status rb_results_where_parse(const rb_results_reader *r, const char *text, rb_results_where *w, rb_error *err)
{
    parser ps = {.r = r, .text = text ? text : "", .p = text ? text : "", .w = w, .err = err};
    size_t mark = w->n;
    skip_blanks(&ps);
    rb_status rc = *ps.p ? push_link(&ps, RB_RLINK_OPEN) : bad(&ps, "empty condition (e.g. 'band > 0.05')");
    if (rc == RB_OK) rc = read_expr(&ps, 0);
    char buf[80];
    skip_blanks(&ps);
    if (rc == RB_OK && *ps.p)
        rc = bad(&ps, "unexpected %s after a complete condition (join conditions with and, or)", found(&ps, buf));
    if (rc == RB_OK) rc = push_link(&ps, RB_RLINK_CLOSE);
    if (rc != RB_OK) {
        w->n = mark; /* the where stays as it was */
        return rc;
    }
    const rb_results_columns *cols = rb_results_reader_columns(r);
    for (size_t i = mark; i < w->n; i++) {
        const rb_results_column *col = &cols->col[w->item[i].column];
        if (w->item[i].link == RB_RLINK_COND && col->kind == RB_RCOL_BASE &&
            (strcmp(col->name, "status") == 0 || strcmp(col->name, "error") == 0))
            w->names_status = 1;
    }
    return RB_OK;
}

void rb_results_where_clear(rb_results_where *w)
{
    for (size_t i = 0; i < w->nvalue; i++) free(w->value[i]);
    free(w->value);
    free(w->item);
    memset(w, 0, sizeof *w);
}
