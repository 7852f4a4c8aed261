/* test_charts.c - the gnuplot charts: string escaping against hostile labels, the scripts and
 * data files written for a hand-made report model, drawing them (when gnuplot is installed),
 * and what happens without gnuplot or with a failing one. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "charts.h"
#include "gnuplot.h"
#include "report_model.h"
#include "support.h"

/* ---------------------------------------------------------------- a synthetic report model */

typedef struct fx_opts {
    size_t nfam;           /* families (series after buy-and-hold and every bar) */
    size_t T;              /* bars */
    int step_days;         /* days between bars */
    size_t nsym;           /* symbols of the weights chart */
    size_t rebalance_every; /* bars between rebalances */
    size_t nx, ny;         /* heatmap grid */
    size_t npoints;        /* frontier points */
    uint64_t sampled_from; /* 0: all */
    const char *sentinel;  /* non-NULL: hostile labels that would touch this file */
} fx_opts;

static uint64_t fx_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Uniform in [-1, 1). */
static double fx_unit(uint64_t *s) { return (double)(fx_rand(s) >> 11) / 4503599627370496.0 - 1.0; }

static char *fx_strdup(const char *s)
{
    char *d = strdup(s);
    cr_assert_not_null(d);
    return d;
}

static void *fx_alloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    cr_assert_not_null(p);
    return p;
}

/* The hostile texts: each would run `touch sentinel` or break the script if it reached
 * gnuplot (or a shell) raw. */
static void fx_hostile(const char *sentinel, size_t k, char *buf, size_t cap)
{
    switch (k % 6) {
    case 0: snprintf(buf, cap, "\"; system(\"touch %s\"); print \"", sentinel); break;
    case 1: snprintf(buf, cap, "`touch %s`", sentinel); break;
    case 2: snprintf(buf, cap, "x\\\"\nsystem(\"touch %s\")\n#", sentinel); break;
    case 3: snprintf(buf, cap, "@mac $var ${HOME} 'q' \\ caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC"); break;
    case 4: snprintf(buf, cap, "' . system('touch %s') . '", sentinel); break;
    default: snprintf(buf, cap, "$(touch %s);\\", sentinel); break;
    }
}

static void fx_build(rb_report *r, const fx_opts *o)
{
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    memset(r, 0, sizeof *r);
    char text[200];
    snprintf(r->title, sizeof r->title, "test report");
    if (o->sentinel) {
        fx_hostile(o->sentinel, 0, text, sizeof text);
        snprintf(r->subtitle, sizeof r->subtitle, "subtitle %s", text);
    } else {
        snprintf(r->subtitle, sizeof r->subtitle, "BTC/ETH/USDC 50/30/20, synthetic, daily");
    }
    snprintf(r->metric, sizeof r->metric, "after_tax_value");
    r->conventions = fx_strdup("rf 0");

    const rb_time t0 = 1420156800; /* 2015-01-02 */
    r->nseries = 2 + o->nfam;
    r->series = fx_alloc(r->nseries, sizeof *r->series);
    for (size_t k = 0; k < r->nseries; k++) {
        rb_report_series *s = &r->series[k];
        s->role = k == 0 ? RB_SERIES_HOLD : k == 1 ? RB_SERIES_EVERY_BAR : RB_SERIES_BEST;
        if (k == 0)
            snprintf(s->family, sizeof s->family, "buy-and-hold");
        else if (k == 1)
            snprintf(s->family, sizeof s->family, "every bar");
        else if (o->sentinel)
            fx_hostile(o->sentinel, k, s->family, sizeof s->family);
        else
            snprintf(s->family, sizeof s->family, "%s.%zu",
                     (const char *[]){"calendar", "threshold", "hybrid", "volband", "inner"}[k % 5], k);
        if (o->sentinel && k >= 2) {
            fx_hostile(o->sentinel, k + 1, text, sizeof text);
            snprintf(s->label, sizeof s->label, "%s", text);
        } else {
            snprintf(s->label, sizeof s->label, "%s%s", s->family, k >= 2 ? " band=0.05 to=edge" : "");
        }
        s->T = o->T;
        s->time = fx_alloc(o->T, sizeof *s->time);
        s->value = fx_alloc(o->T, sizeof *s->value);
        s->drawdown = fx_alloc(o->T, sizeof *s->drawdown);
        double v = 10000, peak = v, drift = 0.0002 + 0.00005 * (double)k;
        for (size_t t = 0; t < o->T; t++) {
            s->time[t] = t0 + (rb_time)t * o->step_days * 86400;
            if (t) v *= exp(drift * o->step_days + 0.012 * sqrt((double)o->step_days) * fx_unit(&seed));
            s->value[t] = v;
            if (v > peak) peak = v;
            s->drawdown[t] = 1 - v / peak;
        }
        /* The bar returns of the period charts (8 and 9), a year of bars their window. */
        s->ret = fx_alloc(o->T, sizeof *s->ret);
        for (size_t t = 0; t < o->T; t++) s->ret[t] = t ? s->value[t] / s->value[t - 1] - 1 : 0;
        s->metrics.periods_per_year = 365.0 / (double)o->step_days;
        /* Annual returns from the values at the year ends; the last year partial. */
        size_t cap = o->T / 50 + 4;
        s->years = fx_alloc(cap, sizeof *s->years);
        s->annual = fx_alloc(cap, sizeof *s->annual);
        double start = s->value[0];
        for (size_t t = 0; t < o->T; t++) {
            int y = 1970 + (int)((double)s->time[t] / (365.2425 * 86400));
            int y_next = t + 1 < o->T ? 1970 + (int)((double)s->time[t + 1] / (365.2425 * 86400)) : -1;
            if (y != y_next && s->nyears < cap) {
                s->years[s->nyears] = y;
                s->annual[s->nyears] = s->value[t] / start - 1;
                s->nyears++;
                start = s->value[t];
            }
        }
        /* Families after the third miss their first year: the chart must use the union. */
        if (k >= 4 && s->nyears > 1) {
            memmove(s->years, s->years + 1, (s->nyears - 1) * sizeof *s->years);
            memmove(s->annual, s->annual + 1, (s->nyears - 1) * sizeof *s->annual);
            s->nyears--;
        }
        if (s->role == RB_SERIES_BEST) {
            s->has_split = 1;
            double b = 0.004 * fx_unit(&seed), d = 0.003 * fx_unit(&seed);
            double c = -0.002 * (1 + fx_unit(&seed)), x = k % 2 ? -0.001 : 0.0005;
            s->split = (rb_excess_split){b, d, c, x, b + d + c + x};
        }
    }

    rb_report_weights *w = &r->weights;
    r->has_weights = o->nsym > 0;
    snprintf(w->label, sizeof w->label, "%s", o->sentinel ? r->series[2].label : "threshold band=0.05");
    w->T = o->T;
    w->N = o->nsym;
    w->time = fx_alloc(o->T, sizeof *w->time);
    w->symbols = fx_alloc(o->nsym, sizeof *w->symbols);
    w->weights = fx_alloc(o->T * (o->nsym ? o->nsym : 1), sizeof *w->weights);
    w->target = fx_alloc(o->nsym, sizeof *w->target);
    w->rebalances = fx_alloc(o->T, sizeof *w->rebalances);
    static const char *const plain_symbols[] = {"BTC", "ETH", "USDC", "SPY", "TLT", "GLD", "QQQ", "IEF"};
    for (size_t i = 0; i < o->nsym; i++) {
        if (o->sentinel) {
            fx_hostile(o->sentinel, i + 1, text, sizeof text);
            text[RB_SYMBOL_MAX - 1] = '\0';
            w->symbols[i] = fx_strdup(text);
        } else {
            w->symbols[i] = fx_strdup(plain_symbols[i % 8]);
        }
        w->target[i] = i == 0 ? 0.5 : 0.5 / (double)(o->nsym - 1);
    }
    if (o->nsym == 1) w->target[0] = 1;
    double *cur = fx_alloc(o->nsym ? o->nsym : 1, sizeof *cur);
    for (size_t i = 0; i < o->nsym; i++) cur[i] = w->target[i];
    for (size_t t = 0; t < o->T; t++) {
        w->time[t] = r->series[0].time[t];
        double sum = 0;
        for (size_t i = 0; i < o->nsym; i++) {
            cur[i] *= exp((i == 0 ? 0.03 : 0.015) * fx_unit(&seed));
            sum += cur[i];
        }
        for (size_t i = 0; i < o->nsym; i++) cur[i] /= sum;
        if (o->rebalance_every && t % o->rebalance_every == o->rebalance_every - 1) {
            for (size_t i = 0; i < o->nsym; i++) cur[i] = w->target[i];
            w->rebalances[w->nrebalances++] = w->time[t];
        }
        for (size_t i = 0; i < o->nsym; i++) w->weights[t * o->nsym + i] = cur[i];
    }
    free(cur);

    rb_report_heatmap *h = &r->heatmap;
    r->has_heatmap = o->nx > 0 && o->ny > 0;
    if (!r->has_heatmap) snprintf(r->heatmap_why, sizeof r->heatmap_why, "no family sweeps two parameters");
    snprintf(h->family, sizeof h->family, "%s", r->nseries > 2 ? r->series[2].family : "threshold");
    snprintf(h->x_key, sizeof h->x_key, "%s", o->sentinel ? r->series[r->nseries - 1].family : "band");
    snprintf(h->y_key, sizeof h->y_key, "fee-bps");
    snprintf(h->z_label, sizeof h->z_label, "%.100s",
             o->sentinel ? r->series[2].label : "after-tax value minus buy-and-hold (USD)");
    h->diverging = 1;
    h->nx = o->nx;
    h->ny = o->ny;
    h->x = fx_alloc(o->nx, sizeof *h->x);
    h->y = fx_alloc(o->ny, sizeof *h->y);
    h->z = fx_alloc(o->nx * o->ny, sizeof *h->z);
    for (size_t i = 0; i < o->nx; i++) h->x[i] = 0.005 * (double)(i + 1) * (double)(i + 1);
    for (size_t j = 0; j < o->ny; j++) h->y[j] = j < 3 ? (double)j * 5 : 10.0 * (double)(j - 1);
    for (size_t j = 0; j < o->ny; j++)
        for (size_t i = 0; i < o->nx; i++)
            h->z[j * o->nx + i] = (i * 7 + j * 3) % 11 == 5 ? NAN : 1500.0 - 90.0 * (double)j * sqrt((double)i + 1);

    rb_report_frontier *fr = &r->frontier;
    snprintf(fr->x_label, sizeof fr->x_label, "tracking error (%% per year)");
    snprintf(fr->y_label, sizeof fr->y_label, "total cost (%% of capital)");
    fr->nfamilies = o->nfam ? o->nfam : 1;
    fr->families = fx_alloc(fr->nfamilies, sizeof *fr->families);
    for (size_t g = 0; g < fr->nfamilies; g++)
        snprintf(fr->families[g], sizeof fr->families[g], "%s", o->nfam ? r->series[2 + g].family : "threshold");
    fr->npoints = o->npoints;
    fr->family = fx_alloc(o->npoints, sizeof *fr->family);
    fr->x = fx_alloc(o->npoints, sizeof *fr->x);
    fr->y = fx_alloc(o->npoints, sizeof *fr->y);
    for (size_t p = 0; p < o->npoints; p++) {
        fr->family[p] = p % fr->nfamilies;
        double te = 4 * (0.5 + 0.5 * fx_unit(&seed));
        fr->x[p] = te;
        fr->y[p] = 3.0 / (0.4 + te) * (1 + 0.25 * fx_unit(&seed)) + 0.2 * (double)fr->family[p];
    }
    fr->hold_x = 4.4, fr->hold_y = 0;
    fr->every_x = 0, fr->every_y = 8;
    fr->sampled_from = o->sampled_from ? o->sampled_from : o->npoints;
}

static const fx_opts fx_small = {.nfam = 3, .T = 500, .step_days = 1, .nsym = 3, .rebalance_every = 30,
                                 .nx = 6, .ny = 5, .npoints = 200};

/* ---------------------------------------------------------------- helpers */

static char *fx_string(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    cr_assert_not_null(m);
    rb_gnuplot_string(m, s);
    cr_assert_eq(fclose(m), 0);
    return buf;
}

/* Checks the literal's shape (plain bytes and backslash + three octal digits only) and
 * decodes it as gnuplot does (util.c parse_esc: after "\0" it reads up to FOUR octal digits,
 * so an escape followed by a plain digit would swallow it); returns the malloc'ed bytes. */
static char *fx_decode_literal(const char *lit)
{
    size_t n = strlen(lit);
    cr_assert(n >= 2 && lit[0] == '"' && lit[n - 1] == '"', "not a double-quoted literal: %s", lit);
    char *out = fx_alloc(n, 1), *o = out;
    for (size_t i = 1; i + 1 < n; i++) {
        unsigned char c = (unsigned char)lit[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ') {
            *o++ = (char)c;
            continue;
        }
        cr_assert_eq(c, '\\', "byte 0x%02x at %zu of %s is neither plain nor an escape", c, i, lit);
        cr_assert(i + 3 < n && lit[i + 1] >= '0' && lit[i + 1] <= '3' && lit[i + 2] >= '0' && lit[i + 2] <= '7' &&
                      lit[i + 3] >= '0' && lit[i + 3] <= '7',
                  "a backslash not followed by three octal digits at %zu of %s", i, lit);
        size_t max = lit[i + 1] == '0' ? 4 : 3, k = 0;
        unsigned v = 0;
        while (k < max && i + 1 + k + 1 < n && lit[i + 1 + k] >= '0' && lit[i + 1 + k] <= '7')
            v = v * 8 + (unsigned)(lit[i + 1 + k] - '0'), k++;
        cr_assert_lt(v, 256u, "escape at %zu of %s reads past a byte", i, lit);
        *o++ = (char)v;
        i += k;
    }
    *o = '\0';
    return out;
}

/* A fresh report folder inside a fresh parent (so that writes beside it can be seen), and a
 * separate folder for the sentinel the hostile labels name. */
typedef struct fx_dirs {
    char *parent, *dir, *charts, *sentinel_dir, *sentinel;
} fx_dirs;

static fx_dirs fx_dirs_new(void)
{
    fx_dirs d;
    d.parent = rbt_tempdir();
    d.dir = rbt_path(d.parent, "report");
    cr_assert_eq(mkdir(d.dir, 0777), 0);
    d.charts = rbt_path(d.dir, "charts");
    d.sentinel_dir = rbt_tempdir();
    d.sentinel = rbt_path(d.sentinel_dir, "pwned");
    return d;
}

static void fx_dirs_free(fx_dirs *d)
{
    rbt_rmtree(d->parent);
    rbt_rmtree(d->sentinel_dir);
    free(d->parent), free(d->dir), free(d->charts), free(d->sentinel_dir), free(d->sentinel);
}

static int fx_exists(const char *dir, const char *name)
{
    char *p = rbt_path(dir, name);
    struct stat st;
    int ok = stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    free(p);
    return ok;
}

/* PATH pointing at an empty folder, and back. */
typedef struct fx_path {
    char *saved, *empty;
} fx_path;

static fx_path fx_path_empty(void)
{
    fx_path p;
    const char *cur = getenv("PATH");
    p.saved = cur ? fx_strdup(cur) : NULL;
    p.empty = rbt_tempdir();
    cr_assert_eq(setenv("PATH", p.empty, 1), 0);
    return p;
}

static void fx_path_restore(fx_path *p)
{
    if (p->saved)
        setenv("PATH", p->saved, 1);
    else
        unsetenv("PATH");
    rbt_rmtree(p->empty);
    free(p->saved), free(p->empty);
}

/* ---------------------------------------------------------------- rb_gnuplot_string */

Test(charts, string_escapes_everything_but_letters_digits_spaces)
{
    char *lit = fx_string("a\"b");
    cr_assert_str_eq(lit, "\"a\\042b\"");
    free(lit);
    lit = fx_string("");
    cr_assert_str_eq(lit, "\"\"");
    free(lit);
    /* A digit after an escape must not extend it: "\0" then "12" is \000 12, not \012. */
    lit = fx_string("@12");
    cr_assert_str_eq(lit, "\"\\10012\"");
    free(lit);
    /* gnuplot reads "\0555" as one escape: an octal digit after an escape that starts with
     * 0 is escaped too, so "-5" is \055 \065; 8 and 9 are no octal digits. */
    lit = fx_string("-5/07-8");
    cr_assert_str_eq(lit, "\"\\055\\065\\057\\060\\067\\0558\"");
    free(lit);

    const char *hostile[] = {
        "\"; system(\"touch x\"); \"",
        "`touch x`",
        "back\\slash \\\" \\n \\012",
        "line one\nline two\r\ttab",
        "@macro $var ${x} $(touch x) 'single' \"double\"",
        "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x93\x88",
        "\x01\x1B[31m\x7F end",
        "/tmp/rebal-5x/a-0b.7c(1)2 -9",
    };
    for (size_t k = 0; k < sizeof hostile / sizeof *hostile; k++) {
        lit = fx_string(hostile[k]);
        char *back = fx_decode_literal(lit);
        /* The same bytes, with control characters (newlines included) as spaces. */
        char want[256];
        size_t n = strlen(hostile[k]);
        for (size_t i = 0; i <= n; i++) {
            unsigned char c = (unsigned char)hostile[k][i];
            want[i] = (c && (c < 0x20 || c == 0x7F)) ? ' ' : (char)c;
        }
        cr_assert_str_eq(back, want, "literal %s", lit);
        cr_assert_null(strchr(lit + 1, '`'));
        cr_assert_null(strchr(lit, '@'));
        cr_assert_null(strchr(lit, '$'));
        cr_assert_null(strchr(lit, '\n'));
        cr_assert_null(strstr(lit, "system("));
        free(back);
        free(lit);
    }
}

Test(charts, string_is_bounded_and_cut_on_a_character)
{
    /* 3000 two-byte characters (6000 bytes): cut to at most 4096 bytes, never mid-character. */
    size_t n = 3000;
    char *s = fx_alloc(2 * n + 1, 1);
    for (size_t i = 0; i < n; i++) s[2 * i] = (char)0xC3, s[2 * i + 1] = (char)0xA9;
    char *lit = fx_string(s);
    cr_assert_leq(strlen(lit), 4 * 4096 + 2 + 12);
    char *back = fx_decode_literal(lit);
    size_t m = strlen(back);
    cr_assert(m >= 3 && strcmp(back + m - 3, "...") == 0, "a cut string ends with ...");
    cr_assert_eq((m - 3) % 2, 0, "cut inside a character");
    cr_assert_leq(m - 3, 4096);
    cr_assert_eq(memcmp(back, s, m - 3), 0);
    free(back), free(lit), free(s);
}

Test(charts, gnuplot_available_follows_path)
{
    fx_path p = fx_path_empty();
    cr_assert_eq(rb_gnuplot_available(), 0);
    /* A file named gnuplot that cannot be executed does not count; one that can does. */
    char *fake = rbt_write_file(p.empty, "gnuplot", "#!/bin/sh\nexit 0\n");
    cr_assert_eq(chmod(fake, 0644), 0);
    cr_assert_eq(rb_gnuplot_available(), 0);
    cr_assert_eq(chmod(fake, 0755), 0);
    cr_assert_eq(rb_gnuplot_available(), 1);
    char *two = NULL;
    cr_assert(asprintf(&two, "/nonexistent-rebal-dir:%s", p.empty) > 0);
    setenv("PATH", two, 1);
    cr_assert_eq(rb_gnuplot_available(), 1);
    free(two), free(fake);
    fx_path_restore(&p);
}

/* ---------------------------------------------------------------- scripts and data files */

/* Letters, digits and spaces of a label may appear as they are; these pieces may not. */
static const char *const fx_hostile_bits[] = {"system(", "`", "@mac", "$var", "${HOME}", "'q'", "\"touch",
                                              "'touch", "\xC3\xA9", "\xE6\x97\xA5", "print \"", "$(touch",
                                              "/pwned", NULL};

/* Every script is plain ASCII (user bytes are escaped) and holds none of the hostile pieces;
 * no script names a path outside its folder. */
static void fx_check_scripts(const fx_dirs *d, const rb_chart_outcome *out)
{
    for (int c = 0; c < RB_CHART_COUNT; c++) {
        if (out[c].state == RB_CHART_NOT_APPLICABLE) continue;
        char name[64];
        snprintf(name, sizeof name, "%s.gp", rb_chart_name((rb_chart_id)c));
        char *path = rbt_path(d->charts, name);
        char *text = rbt_read_file(path, NULL);
        cr_assert_not_null(text, "%s missing", path);
        for (const char *p = text; *p; p++)
            cr_assert((*p >= 0x20 && *p < 0x7F) || *p == '\n', "%s: byte 0x%02x at %td", name,
                      (unsigned char)*p, p - text);
        for (const char *const *h = fx_hostile_bits; *h; h++)
            cr_assert_null(strstr(text, *h), "%s holds %s raw", name, *h);
        cr_assert_null(strstr(text, d->parent), "%s names the report folder", name);
        cr_assert_null(strstr(text, d->sentinel), "%s holds the sentinel's path raw", name);
        cr_assert_null(strstr(text, "\"/"), "%s names an absolute path", name);
        free(text), free(path);
    }
}

/* Data files hold numbers, ISO dates, NaN and comment lines only. */
static void fx_check_data(const fx_dirs *d)
{
    DIR *dir = opendir(d->charts);
    cr_assert_not_null(dir);
    struct dirent *e;
    size_t seen = 0;
    while ((e = readdir(dir))) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 4, ".dat") != 0) continue;
        seen++;
        char *path = rbt_path(d->charts, e->d_name);
        char *text = rbt_read_file(path, NULL);
        cr_assert_not_null(text);
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
            if (line[0] == '#') {
                for (const char *const *h = fx_hostile_bits; *h; h++)
                    cr_assert_null(strstr(line, *h), "%s comment holds %s", e->d_name, *h);
                continue;
            }
            for (char *tok = line; *tok;) {
                size_t len = strcspn(tok, " ");
                char word[64];
                cr_assert_lt(len, sizeof word);
                memcpy(word, tok, len);
                word[len] = '\0';
                char *end;
                strtod(word, &end);
                int number = len && *end == '\0';
                int iso = len == 10 && word[4] == '-' && word[7] == '-';
                cr_assert(number || iso, "%s: %s is neither a number nor a date", e->d_name, word);
                tok += len;
                tok += strspn(tok, " ");
            }
        }
        free(text), free(path);
    }
    closedir(dir);
    cr_assert_geq(seen, 7);
}

/* Only chart files in DIR/charts, and nothing else in DIR or beside it. */
static void fx_check_tree(const fx_dirs *d)
{
    DIR *dir = opendir(d->parent);
    struct dirent *e;
    while ((e = readdir(dir)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            cr_assert_str_eq(e->d_name, "report", "%s was written beside the report folder", e->d_name);
    closedir(dir);
    dir = opendir(d->dir);
    while ((e = readdir(dir)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            cr_assert_str_eq(e->d_name, "charts", "%s was written into the report folder", e->d_name);
    closedir(dir);
    dir = opendir(d->charts);
    cr_assert_not_null(dir);
    while ((e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        int known = 0;
        for (int c = 0; c < RB_CHART_COUNT && !known; c++) {
            const char *name = rb_chart_name((rb_chart_id)c);
            size_t n = strlen(name);
            if (strncmp(e->d_name, name, n) != 0) continue;
            const char *rest = e->d_name + n;
            const char *ext = strrchr(rest, '.');
            known = ext && (!strcmp(ext, ".gp") || !strcmp(ext, ".dat") || !strcmp(ext, ".png") ||
                            !strcmp(ext, ".svg"));
            for (const char *p = rest; known && p < ext; p++)
                known = (*p >= 'a' && *p <= 'z') || *p == '_';
        }
        cr_assert(known, "unexpected file charts/%s", e->d_name);
        struct stat st;
        char *p = rbt_path(d->charts, e->d_name);
        cr_assert_eq(lstat(p, &st), 0);
        cr_assert(S_ISREG(st.st_mode), "charts/%s is not a regular file", e->d_name);
        free(p);
    }
    closedir(dir);
    cr_assert_eq(access(d->sentinel, F_OK), -1, "a hostile label ran a command");
}

Test(charts, hostile_model_without_gnuplot_writes_escaped_scripts)
{
    fx_dirs d = fx_dirs_new();
    fx_opts o = fx_small;
    o.sentinel = d.sentinel;
    rb_report r;
    fx_build(&r, &o);
    fx_path p = fx_path_empty();
    rb_chart_outcome out[RB_CHART_COUNT];
    rb_error err = {0};
    cr_assert_eq(rb_charts_write(&r, d.dir, out, &err), RB_OK, "%s", err.msg);
    fx_path_restore(&p);
    for (int c = 0; c < RB_CHART_COUNT; c++) {
        const char *name = rb_chart_name((rb_chart_id)c);
        cr_assert_eq(out[c].state, RB_CHART_NO_GNUPLOT, "%s: state %d (%s)", name, out[c].state, out[c].why);
        cr_assert(strstr(out[c].why, "gnuplot"), "%s: why says gnuplot is missing: %s", name, out[c].why);
        char f[64];
        snprintf(f, sizeof f, "%s.gp", name);
        cr_assert(fx_exists(d.charts, f), "%s missing", f);
        snprintf(f, sizeof f, "%s.dat", name);
        cr_assert(fx_exists(d.charts, f), "%s missing", f);
        snprintf(f, sizeof f, "%s.png", name);
        cr_assert_not(fx_exists(d.charts, f), "%s drawn without gnuplot", f);
    }
    fx_check_scripts(&d, out);
    fx_check_data(&d);
    fx_check_tree(&d);
    rb_report_release(&r);
    fx_dirs_free(&d);
}

static void fx_check_drawn(const fx_dirs *d, rb_chart_id c)
{
    const char *name = rb_chart_name(c);
    char f[64];
    snprintf(f, sizeof f, "%s.png", name);
    char *path = rbt_path(d->charts, f);
    size_t len = 0;
    char *png = rbt_read_file(path, &len);
    cr_assert_not_null(png, "%s missing", f);
    cr_assert(len > 1000 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0, "%s is not a PNG", f);
    free(png), free(path);
    snprintf(f, sizeof f, "%s.svg", name);
    path = rbt_path(d->charts, f);
    char *svg = rbt_read_file(path, &len);
    cr_assert_not_null(svg, "%s missing", f);
    cr_assert(strstr(svg, "<svg") && strstr(svg, "</svg>"), "%s is not an SVG", f);
    free(svg), free(path);
}

Test(charts, hostile_model_is_drawn_and_runs_nothing)
{
    if (!rb_gnuplot_available()) cr_skip_test("gnuplot is not installed");
    fx_dirs d = fx_dirs_new();
    fx_opts o = fx_small;
    o.sentinel = d.sentinel;
    rb_report r;
    fx_build(&r, &o);
    rb_chart_outcome out[RB_CHART_COUNT];
    rb_error err = {0};
    cr_assert_eq(rb_charts_write(&r, d.dir, out, &err), RB_OK, "%s", err.msg);
    for (int c = 0; c < RB_CHART_COUNT; c++) {
        cr_assert_eq(out[c].state, RB_CHART_DRAWN, "%s: state %d (%s)", rb_chart_name((rb_chart_id)c),
                     out[c].state, out[c].why);
        fx_check_drawn(&d, (rb_chart_id)c);
    }
    fx_check_scripts(&d, out);
    fx_check_tree(&d);
    /* The SVGs carry the hostile labels as text (gnuplot escapes them for XML), whole. */
    char *svg_path = rbt_path(d.charts, "weights.svg");
    char *svg = rbt_read_file(svg_path, NULL);
    cr_assert(strstr(svg, "`touch ") != NULL, "the backquoted symbol is shown as text");
    free(svg), free(svg_path);
    svg_path = rbt_path(d.charts, "equity.svg");
    svg = rbt_read_file(svg_path, NULL);
    cr_assert(strstr(svg, "@mac $var ${HOME}") != NULL, "the macro-like label is shown as text");
    /* Accented Latin is drawn; CJK, which the charts' font lacks, is shown as '?' (cairo would
     * draw a missing glyph as a black box larger than the plot). */
    cr_assert(strstr(svg, "caf\xC3\xA9 ??") != NULL, "UTF-8 survives where the font has it");
    free(svg), free(svg_path);
    rb_report_release(&r);
    fx_dirs_free(&d);
}

Test(charts, scripts_are_relocatable)
{
    if (!rb_gnuplot_available()) cr_skip_test("gnuplot is not installed");
    fx_dirs d = fx_dirs_new();
    rb_report r;
    fx_build(&r, &fx_small);
    rb_chart_outcome out[RB_CHART_COUNT];
    rb_error err = {0};
    cr_assert_eq(rb_charts_write(&r, d.dir, out, &err), RB_OK, "%s", err.msg);
    /* Move the folder away and redraw one chart there, as a user tweaking it would. */
    char *moved = rbt_path(d.parent, "moved");
    cr_assert_eq(rename(d.charts, moved), 0);
    char *png = rbt_path(moved, "drawdown.png");
    cr_assert_eq(unlink(png), 0);
    rbt_run_result run = rbt_run_program(moved, "gnuplot", RBT_KV("drawdown.gp"));
    cr_assert_eq(run.status, 0, "gnuplot drawdown.gp: %s", run.err);
    size_t len = 0;
    char *bytes = rbt_read_file(png, &len);
    cr_assert(bytes && len > 8 && memcmp(bytes, "\x89PNG", 4) == 0);
    free(bytes);
    rbt_run_result_free(&run);
    free(png), free(moved);
    rb_report_release(&r);
    fx_dirs_free(&d);
}

/* A process with many files open (SQLite stores, a notebook's handles) still draws: the
 * descriptors gnuplot writes its log to may have any number (a shell's `>&N` took one digit). */
Test(charts, drawn_when_many_descriptors_are_open)
{
    if (!rb_gnuplot_available()) cr_skip_test("gnuplot is not installed");
    int held[40];
    for (size_t k = 0; k < sizeof held / sizeof held[0]; k++) cr_assert_geq(held[k] = open("/dev/null", O_RDONLY), 0);
    fx_dirs d = fx_dirs_new();
    rb_report r;
    fx_build(&r, &fx_small);
    rb_chart_outcome out[RB_CHART_COUNT];
    rb_error err = {0};
    cr_assert_eq(rb_charts_write(&r, d.dir, out, &err), RB_OK, "%s", err.msg);
    for (int c = 0; c < RB_CHART_COUNT; c++) {
        cr_assert_eq(out[c].state, RB_CHART_DRAWN, "%s: state %d (%s)", rb_chart_name((rb_chart_id)c),
                     out[c].state, out[c].why);
        fx_check_drawn(&d, (rb_chart_id)c);
    }
    rb_report_release(&r);
    fx_dirs_free(&d);
    for (size_t k = 0; k < sizeof held / sizeof held[0]; k++) close(held[k]);
}

/* The report folder's own name is hostile too: it reaches gnuplot only escaped (in `cd`) and
 * the shell never. */
Test(charts, a_hostile_folder_name_is_drawn)
{
    if (!rb_gnuplot_available()) cr_skip_test("gnuplot is not installed");
    fx_dirs d = fx_dirs_new();
    /* No '/' can be in a name: the commands would touch "rb-pwned" in a current folder. */
    const char *name = "r-5 \"q\" $(touch rb-pwned) `touch rb-pwned` ';touch rb-pwned;' -07 caf\xC3\xA9";
    cr_assert_eq(access("rb-pwned", F_OK), -1);
    char *odd = rbt_path(d.parent, name);
    cr_assert_eq(mkdir(odd, 0777), 0);
    rb_report r;
    fx_build(&r, &fx_small);
    rb_chart_outcome out[RB_CHART_COUNT];
    rb_error err = {0};
    cr_assert_eq(rb_charts_write(&r, odd, out, &err), RB_OK, "%s", err.msg);
    for (int c = 0; c < RB_CHART_COUNT; c++)
        cr_assert_eq(out[c].state, RB_CHART_DRAWN, "%s: %s", rb_chart_name((rb_chart_id)c), out[c].why);
    char *charts = rbt_path(odd, "charts");
    char *png = rbt_path(charts, "annual.png");
    size_t len = 0;
    char *bytes = rbt_read_file(png, &len);
    cr_assert(bytes && len > 8 && memcmp(bytes, "\x89PNG", 4) == 0);
    cr_assert_eq(access("rb-pwned", F_OK), -1, "the folder's name ran a command");
    char *in_charts = rbt_path(charts, "rb-pwned"), *in_odd = rbt_path(odd, "rb-pwned");
    cr_assert_eq(access(in_charts, F_OK), -1, "the folder's name ran a command");
    cr_assert_eq(access(in_odd, F_OK), -1, "the folder's name ran a command");
    free(in_charts), free(in_odd);
    free(bytes), free(png), free(charts), free(odd);
    rb_report_release(&r);
    fx_dirs_free(&d);
}

Test(charts, not_applicable_charts_say_why)
{
    fx_dirs d = fx_dirs_new();
    fx_opts o = fx_small;
    o.nsym = 0;
    o.nx = o.ny = 0;
    o.npoints = 0;
    rb_report r;
    fx_build(&r, &o);
    for (size_t k = 0; k < r.nseries; k++) r.series[k].has_split = 0;
    fx_path p = fx_path_empty();
    rb_chart_outcome out[RB_CHART_COUNT];
    rb_error err = {0};
    cr_assert_eq(rb_charts_write(&r, d.dir, out, &err), RB_OK, "%s", err.msg);
    fx_path_restore(&p);
    const rb_chart_id na[] = {RB_CHART_WEIGHTS, RB_CHART_HEATMAP, RB_CHART_FRONTIER, RB_CHART_EXCESS};
    for (size_t k = 0; k < sizeof na / sizeof *na; k++) {
        cr_assert_eq(out[na[k]].state, RB_CHART_NOT_APPLICABLE, "%s", rb_chart_name(na[k]));
        cr_assert_gt(strlen(out[na[k]].why), 10, "%s says why", rb_chart_name(na[k]));
        char f[64];
        snprintf(f, sizeof f, "%s.gp", rb_chart_name(na[k]));
        cr_assert_not(fx_exists(d.charts, f), "%s written for a chart that does not apply", f);
    }
    cr_assert_str_eq(out[RB_CHART_HEATMAP].why, "no family sweeps two parameters");
    cr_assert_eq(out[RB_CHART_EQUITY].state, RB_CHART_NO_GNUPLOT);
    cr_assert_eq(out[RB_CHART_ANNUAL].state, RB_CHART_NO_GNUPLOT);
    rb_report_release(&r);
    fx_dirs_free(&d);
}

/* A gnuplot that fails on the heatmap (and runs the real one otherwise): that chart alone is
 * FAILED, with gnuplot's message. */
Test(charts, a_failing_chart_does_not_fail_the_others)
{
    if (!rb_gnuplot_available()) cr_skip_test("gnuplot is not installed");
    char *real = NULL;
    const char *path = getenv("PATH");
    for (const char *p = path; p && *p;) {
        size_t len = strcspn(p, ":");
        char cand[4096];
        snprintf(cand, sizeof cand, "%.*s/gnuplot", (int)len, p);
        if (access(cand, X_OK) == 0) {
            real = fx_strdup(cand);
            break;
        }
        p += len + (p[len] == ':');
    }
    cr_assert_not_null(real);
    fx_dirs d = fx_dirs_new();
    rb_report r;
    fx_build(&r, &fx_small);
    fx_path p = fx_path_empty();
    char script[8192];
    snprintf(script, sizeof script,
             "#!/bin/sh\n"
             "PATH=/usr/bin:/bin\n"
             "input=$(cat)\n"
             "case \"$input\" in *heatmap*) echo 'heatmap.gp line 3: simulated failure' >&2; exit 1;; esac\n"
             "printf '%%s\\n' \"$input\" | exec '%s' \"$@\"\n",
             real);
    char *fake = rbt_write_file(p.empty, "gnuplot", script);
    cr_assert_eq(chmod(fake, 0755), 0);
    rb_chart_outcome out[RB_CHART_COUNT];
    rb_error err = {0};
    cr_assert_eq(rb_charts_write(&r, d.dir, out, &err), RB_OK, "%s", err.msg);
    fx_path_restore(&p);
    cr_assert_eq(out[RB_CHART_HEATMAP].state, RB_CHART_FAILED);
    cr_assert_str_eq(out[RB_CHART_HEATMAP].why, "gnuplot: heatmap.gp line 3: simulated failure");
    for (int c = 0; c < RB_CHART_COUNT; c++) {
        if (c == RB_CHART_HEATMAP) continue;
        cr_assert_eq(out[c].state, RB_CHART_DRAWN, "%s: %s", rb_chart_name((rb_chart_id)c), out[c].why);
        fx_check_drawn(&d, (rb_chart_id)c);
    }
    cr_assert_not(fx_exists(d.charts, "heatmap.png"));
    free(fake), free(real);
    rb_report_release(&r);
    fx_dirs_free(&d);
}

Test(charts, a_broken_script_reports_gnuplots_error_line)
{
    if (!rb_gnuplot_available()) cr_skip_test("gnuplot is not installed");
    /* A real gnuplot error: the runner is handed a script that plots an undefined function. */
    fx_dirs d = fx_dirs_new();
    cr_assert_eq(mkdir(d.charts, 0777), 0);
    free(rbt_write_file(d.charts, "excess.gp",
                        "set terminal pngcairo\nset output \"excess.png\"\nplot no_such_function(x)\n"));
    rb_chart_outcome out[RB_CHART_COUNT] = {0};
    rb_chart_id id = RB_CHART_EXCESS;
    rb_gnuplot_run(d.charts, &id, 1, out);
    cr_assert_eq(out[RB_CHART_EXCESS].state, RB_CHART_FAILED);
    cr_assert(strstr(out[RB_CHART_EXCESS].why, "excess.gp") && strstr(out[RB_CHART_EXCESS].why, "line 3") &&
                  strstr(out[RB_CHART_EXCESS].why, "undefined function"),
              "why: %s", out[RB_CHART_EXCESS].why);
    cr_assert(fx_exists(d.charts, "excess.err"), "gnuplot's log is kept for a failed chart");
    fx_dirs_free(&d);
}

Test(charts, a_file_named_charts_is_an_error)
{
    fx_dirs d = fx_dirs_new();
    free(rbt_write_file(d.dir, "charts", "not a folder"));
    rb_report r;
    fx_build(&r, &fx_small);
    rb_chart_outcome out[RB_CHART_COUNT];
    rb_error err = {0};
    cr_assert_eq(rb_charts_write(&r, d.dir, out, &err), RB_ERR_IO);
    cr_assert(strstr(err.msg, "charts"), "%s", err.msg);
    rb_report_release(&r);
    fx_dirs_free(&d);
}
