/* test_html.c - the HTML page (reports/html*.c) and the tests' checker (tests/html_check.c), on
 * hand-built models: hostile labels and file names, embedded charts decoded back to their
 * files, a note per chart state, the table's shape, the answers at a glance. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "html_check.h"
#include "rebal.h"
#include "html.h"
#include "report_model.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(html, .init = setup, .fini = teardown);

/* ---------------------------------------------------------------- the checker */

static void expect_good(const char *doc)
{
    char why[256];
    cr_expect(rbt_html_well_formed(doc, why, sizeof why), "rejected: %s\n--- %s", why, doc);
}

/* Rejected with a reason that names the offset and holds needle. */
static void expect_bad(const char *doc, size_t offset, const char *needle)
{
    char why[256];
    cr_expect_not(rbt_html_well_formed(doc, why, sizeof why), "accepted: %s", doc);
    char at[64];
    snprintf(at, sizeof at, "offset %zu:", offset);
    cr_expect(strncmp(why, at, strlen(at)) == 0, "reason '%s' should start with '%s' (document %s)", why, at, doc);
    cr_expect(strstr(why, needle) != NULL, "reason '%s' should say '%s' (document %s)", why, needle, doc);
    cr_expect(strchr(why, '\n') == NULL, "one line: %s", why);
}

Test(html, checker_accepts_good_documents)
{
    expect_good("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>t</title></head>"
                "<body><p>a &amp; b &lt; c &gt; d &quot;e&quot; &#39;f&#39; &#8364; &#x20AC; \xE2\x82\xAC</p>"
                "<br/><br><hr/><img src='x.png' alt=\"a 'quoted' &amp; b\"/>"
                "<!-- a comment with <tags> & ampersands -->"
                "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>"
                "<script>if (a < b && c) { x = '</p>'; }</script>"
                "<style>p > a::after { content: \"<&>\" }</style>"
                "</body></html>\n");
    expect_good("");
    expect_good("plain text > with a greater-than sign");
    expect_good("<p\n  class = \"x\"\tid='y' >text</p >");
    expect_good("<SCRIPT>a<b</SCRIPT>");
}

Test(html, checker_rejects_broken_documents)
{
    expect_bad("<p><b>bold</p></b>", 10, "does not match <b> opened at offset 3");
    expect_bad("<div><p>text</p>", 0, "<div> is never closed");
    expect_bad("<p>text</p></div>", 11, "no element open");
    expect_bad("<p>a < b</p>", 5, "raw '<'");
    expect_bad("<p>a <3 b</p>", 5, "raw '<'");
    expect_bad("<p>fish & chips</p>", 8, "'&'");
    expect_bad("<p>&nbsp;</p>", 3, "'&'");
    expect_bad("<p>&#xZZ;</p>", 3, "malformed character reference");
    expect_bad("<p>&#0;</p>", 3, "U+0000");
    expect_bad("<p>&#xD800;</p>", 3, "U+D800");
    expect_bad("<p>&amp</p>", 3, "'&'");
    expect_bad("<p class=x>t</p>", 9, "not quoted");
    expect_bad("<input disabled/>", 7, "no quoted value");
    expect_bad("<p class=\"a\"id=\"b\">t</p>", 12, "whitespace");
    expect_bad("<p class=\"a\" class=\"b\">t</p>", 13, "repeated");
    expect_bad("<p title=\"a<b\">t</p>", 11, "raw '<' in the value");
    expect_bad("<p title=\"a & b\">t</p>", 12, "'&'");
    expect_bad("<p title=\"open>t", 9, "never closed");
    expect_bad("<p title=\"open>t</p>", 16, "raw '<' in the value");
    expect_bad("<div/>", 0, "not a void element");
    expect_bad("<br></br>", 4, "void element");
    expect_bad("<!-- never closed", 0, "comment is never closed");
    expect_bad("<script>alert(1)", 0, "never closed");
    expect_bad("<p>a\x01</p>", 4, "control character");
    expect_bad("<p>\xC3\x28</p>", 3, "invalid UTF-8");
    expect_bad("<p>\xED\xA0\x80</p>", 3, "invalid UTF-8");
    expect_bad("<p>t</p><!DOCTYPE html>", 8, "DOCTYPE");
    expect_bad("<p", 0, "runs to the end");
    expect_bad("<p>t</P>", 4, "does not match");

    /* why may be NULL or tiny. */
    cr_expect_not(rbt_html_well_formed("<p>", NULL, 0));
    char tiny[4];
    cr_expect_not(rbt_html_well_formed("<p>", tiny, sizeof tiny));
    cr_expect(strlen(tiny) < sizeof tiny);
}

Test(html, checker_counts_start_tags)
{
    const char *doc = "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr>"
                      "<tr><td>3</td><td>4</td></tr></tbody></table><!-- <tr> --><script>'<tr>'</script>"
                      "<p>&lt;tr&gt;</p><TR></TR>";
    cr_expect_eq(rbt_html_count(doc, "tr"), 4);
    cr_expect_eq(rbt_html_count(doc, "th"), 2);
    cr_expect_eq(rbt_html_count(doc, "thead"), 1);
    cr_expect_eq(rbt_html_count(doc, "td"), 4);
    cr_expect_eq(rbt_html_count(doc, "script"), 1);
    cr_expect_eq(rbt_html_count(doc, "img"), 0);
    cr_expect_eq(rbt_html_count("<p><b></p>", "p"), -1, "a broken document counts -1");
}

/* ---------------------------------------------------------------- fixtures */

static char *xdup(const char *s)
{
    char *p = strdup(s);
    cr_assert(p);
    return p;
}

static void *alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    cr_assert(p);
    return p;
}

/* A deterministic uniform in [0, 1) (xorshift64*). */
static double uniform(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (double)((*state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

#define T_BARS 500
#define DAY 86400
#define START 1420156800 /* 2015-01-02 */

static void fill_series(rb_report_series *s, rb_series_role role, const char *family, const char *label,
                        double after_tax, uint64_t seed)
{
    s->role = role;
    snprintf(s->family, sizeof s->family, "%s", family);
    snprintf(s->label, sizeof s->label, "%s", label);
    s->metrics.after_tax_value = after_tax;
    s->metrics.final_value = after_tax;
    s->metrics.max_drawdown = NAN;
    /* Every run paid fees; the rules rebalanced (a rule that never does is buy-and-hold). */
    s->metrics.fees_paid = 50;
    s->metrics.rebalances = role == RB_SERIES_HOLD ? 0 : 12;
    s->T = T_BARS;
    s->time = alloc(T_BARS * sizeof *s->time);
    s->value = alloc(T_BARS * sizeof *s->value);
    s->drawdown = alloc(T_BARS * sizeof *s->drawdown);
    double v = 100000, peak = v;
    for (size_t t = 0; t < T_BARS; t++) {
        s->time[t] = START + (rb_time)t * DAY;
        if (t > 0) v *= 1 + 0.02 * (uniform(&seed) - 0.5);
        if (v > peak) peak = v;
        s->value[t] = v;
        s->drawdown[t] = 1 - v / peak;
    }
    s->nyears = 5;
    s->years = alloc(5 * sizeof *s->years);
    s->annual = alloc(5 * sizeof *s->annual);
    for (size_t y = 0; y < 5; y++) {
        s->years[y] = 2015 + (int)y;
        s->annual[y] = 0.2 * (uniform(&seed) - 0.4);
    }
}

static void set_split(rb_report_series *s, double bonus, double drift, double cost, double tax)
{
    s->has_split = 1;
    s->split = (rb_excess_split){bonus, drift, cost, tax, bonus + drift + cost + tax};
}

static const char *const HOSTILE = "<script>alert(1)</script>";

/* Buy-and-hold 110,000 USD, every bar 112,000; families: threshold.tight 120,000 (excess
 * +1 pp), calendar.weekly 105,000 (excess -0.5 pp), calendar.monthly 130,000 (the winner, by
 * 20,000 USD), vol-band 100,000 (no split: net-negative on the metric). With hostile, the
 * labels, symbols, families and file names carry markup, quotes and paths. */
static rb_report *make_model(int hostile)
{
    rb_report *r = alloc(sizeof *r);
    snprintf(r->title, sizeof r->title, "%s", hostile ? "Report <b>&amp;</b> \"quoted\" 'title'" : "Demo report");
    snprintf(r->subtitle, sizeof r->subtitle, "%s",
             hostile ? "BTC/ETH <i>50/30/20</i>\nsecond line & more"
                     : "BTC/ETH/USDC 50/30/20, 2015-01-02 to 2016-05-15");
    snprintf(r->metric, sizeof r->metric, "after_tax_value");
    r->conventions = xdup(hostile ? "periods per year: 365 (24/7 data)\nrf: 0\n</pre><script>alert(3)</script>\n"
                                  : "periods per year: 365 (24/7 data)\nrf: 0\n");

    r->nseries = 6;
    r->series = alloc(r->nseries * sizeof *r->series);
    fill_series(&r->series[0], RB_SERIES_HOLD, "buy-and-hold", "buy-and-hold", 110000, 1);
    fill_series(&r->series[1], RB_SERIES_EVERY_BAR, "every bar", "every bar", 112000, 2);
    fill_series(&r->series[2], RB_SERIES_BEST, hostile ? HOSTILE : "threshold.tight",
                hostile ? "x\" onmouseover=\"alert(2)\" band=0.05 & 'more'" : "threshold.tight band=0.05", 120000, 3);
    set_split(&r->series[2], 0.004, 0.008, -0.002, 0.0);
    fill_series(&r->series[3], RB_SERIES_BEST, "calendar.weekly",
                hostile ? "weekly\nevery=week\x01\xff" : "calendar.weekly every=week", 105000, 4);
    set_split(&r->series[3], 0.004, 0.001, -0.008, -0.002);
    fill_series(&r->series[4], RB_SERIES_BEST, "calendar.monthly", "calendar.monthly every=month", 130000, 5);
    set_split(&r->series[4], 0.004, 0.012, -0.001, 0.005);
    fill_series(&r->series[5], RB_SERIES_BEST, "vol-band", "vol-band base=0.05", 100000, 6);

    r->has_weights = 1;
    rb_report_weights *w = &r->weights;
    snprintf(w->label, sizeof w->label, "%s",
             hostile ? "<img src=x onerror=alert(4)>" : "calendar.monthly every=month");
    w->T = T_BARS;
    w->N = 3;
    w->time = alloc(T_BARS * sizeof *w->time);
    w->symbols = alloc(3 * sizeof *w->symbols);
    w->symbols[0] = xdup("BTC");
    w->symbols[1] = xdup(hostile ? "E\"T'H&<>" : "ETH");
    w->symbols[2] = xdup("USDC");
    w->weights = alloc(T_BARS * 3 * sizeof *w->weights);
    w->target = alloc(3 * sizeof *w->target);
    w->target[0] = 0.5, w->target[1] = 0.3, w->target[2] = 0.2;
    for (size_t t = 0; t < T_BARS; t++) {
        w->time[t] = START + (rb_time)t * DAY;
        for (size_t i = 0; i < 3; i++) w->weights[t * 3 + i] = w->target[i];
    }
    w->nrebalances = 2;
    w->rebalances = alloc(2 * sizeof *w->rebalances);
    w->rebalances[0] = START + 30 * DAY, w->rebalances[1] = START + 60 * DAY;

    r->has_heatmap = 1;
    rb_report_heatmap *h = &r->heatmap;
    snprintf(h->family, sizeof h->family, "%s", hostile ? HOSTILE : "threshold.tight");
    snprintf(h->x_key, sizeof h->x_key, "band");
    snprintf(h->y_key, sizeof h->y_key, "fee-bps");
    snprintf(h->z_label, sizeof h->z_label, "after-tax value minus buy-and-hold, USD");
    h->diverging = 1;
    h->nx = 6, h->ny = 5;
    h->x = alloc(6 * sizeof *h->x);
    h->y = alloc(5 * sizeof *h->y);
    h->z = alloc(30 * sizeof *h->z);
    for (size_t ix = 0; ix < 6; ix++) h->x[ix] = 0.01 * (double)(ix + 1);
    for (size_t iy = 0; iy < 5; iy++) h->y[iy] = 10.0 * (double)iy;
    /* z = 1000 - 300 * iy - 50 * ix: 8 of the 28 cells with a value are below zero. */
    for (size_t iy = 0; iy < 5; iy++)
        for (size_t ix = 0; ix < 6; ix++) h->z[iy * 6 + ix] = 1000.0 - 300.0 * (double)iy - 50.0 * (double)ix;
    h->z[0] = NAN, h->z[29] = NAN;

    rb_report_frontier *fr = &r->frontier;
    snprintf(fr->x_label, sizeof fr->x_label, "tracking error (%% per year)");
    snprintf(fr->y_label, sizeof fr->y_label, "total cost (USD)");
    fr->nfamilies = 4;
    fr->families = alloc(4 * sizeof *fr->families);
    for (size_t k = 0; k < 4; k++) snprintf(fr->families[k], sizeof fr->families[k], "%s", r->series[2 + k].family);
    fr->npoints = 200;
    fr->family = alloc(200 * sizeof *fr->family);
    fr->x = alloc(200 * sizeof *fr->x);
    fr->y = alloc(200 * sizeof *fr->y);
    uint64_t seed = 99;
    for (size_t k = 0; k < 200; k++) {
        fr->family[k] = k % 4;
        fr->x[k] = 5 * uniform(&seed);
        fr->y[k] = 2000 * uniform(&seed);
    }
    fr->every_y = 5000;
    fr->hold_x = 6;
    fr->sampled_from = 200;

    /* The top table: 4 columns (2 numeric), 7 rows, one with hostile cells. */
    rb_report_table *t = &r->top;
    t->ncols = 4;
    t->nrows = 7;
    /* rb_report_release frees the head array but not its strings: the builder's column
     * names are static. */
    static char head_family[] = "family", head_label[] = "label", head_hostile[] = "label <th>",
                head_value[] = "after_tax_value", head_cagr[] = "cagr";
    t->head = alloc(4 * sizeof *t->head);
    t->head[0] = head_family;
    t->head[1] = hostile ? head_hostile : head_label;
    t->head[2] = head_value;
    t->head[3] = head_cagr;
    t->numeric = alloc(4 * sizeof *t->numeric);
    t->numeric[2] = t->numeric[3] = 1;
    t->cells = alloc(7 * 4 * sizeof *t->cells);
    for (size_t row = 0; row < 7; row++) {
        const rb_report_series *s = &r->series[row % 4 + 2];
        char num[64];
        t->cells[row * 4 + 0] = xdup(s->family);
        t->cells[row * 4 + 1] = xdup(row == 3 && hostile ? "</td></tr></table><script>alert(5)</script>" : s->label);
        snprintf(num, sizeof num, "%.2f", s->metrics.after_tax_value - 100.0 * (double)row);
        t->cells[row * 4 + 2] = xdup(num);
        t->cells[row * 4 + 3] = xdup(row == 5 ? "" : "0.0312");
    }

    const char *csv_plain[] = {"summary.csv", "trades.csv", "curves/run-1.csv", "conventions.txt"};
    const char *csv_hostile[] = {"summary.csv",        "../../etc/passwd",     "/etc/shadow",
                                 "a\"b'c&d<e> f.csv",  "curves\\..\\evil.csv", "javascript:alert(6).csv",
                                 "curves/../../up.csv"};
    const char *const *csv = hostile ? csv_hostile : csv_plain;
    r->ncsv = hostile ? 7 : 4;
    r->csv = alloc(r->ncsv * sizeof *r->csv);
    for (size_t k = 0; k < r->ncsv; k++) r->csv[k] = xdup(csv[k]);
    return r;
}

static void free_model(rb_report *r)
{
    rb_report_release(r);
    free(r);
}

/* ---------------------------------------------------------------- PNG files */

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t k = 0; k < n; k++) {
        c ^= p[k];
        for (int b = 0; b < 8; b++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

/* Appends one chunk (length, type, data, CRC of type and data). */
static size_t chunk(unsigned char *out, size_t o, const char *type, const unsigned char *data, uint32_t n)
{
    put_be32(out + o, n);
    memcpy(out + o + 4, type, 4);
    if (n) memcpy(out + o + 8, data, n);
    put_be32(out + o + 8 + n, crc32_of(out + o + 4, 4 + n));
    return o + 12 + n;
}

/* A valid w x 1 8-bit grey PNG (a stored, uncompressed zlib stream): 69 + w bytes. */
static size_t make_png(unsigned char *out, unsigned w)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    memcpy(out, sig, 8);
    unsigned char ihdr[13] = {0};
    put_be32(ihdr, w);
    put_be32(ihdr + 4, 1);
    ihdr[8] = 8; /* bit depth; colour type 0 (grey), no interlace */
    size_t o = chunk(out, 8, "IHDR", ihdr, 13);
    unsigned char z[64];
    size_t raw = 1 + w; /* the filter byte, then the pixels */
    z[0] = 0x78, z[1] = 0x01, z[2] = 0x01;
    z[3] = (unsigned char)raw, z[4] = (unsigned char)(raw >> 8);
    z[5] = (unsigned char)~raw, z[6] = (unsigned char)(~raw >> 8);
    uint32_t a = 1, b = 0;
    for (size_t k = 0; k < raw; k++) {
        unsigned char px = k == 0 ? 0 : (unsigned char)(40 * k);
        z[7 + k] = px;
        a = (a + px) % 65521, b = (b + a) % 65521;
    }
    put_be32(z + 7 + raw, b << 16 | a);
    o = chunk(out, o, "IDAT", z, (uint32_t)(7 + raw + 4));
    return chunk(out, o, "IEND", NULL, 0);
}

/* Writes dir/charts/name.png (a w x 1 PNG) and name.svg; returns the PNG's length. */
static size_t write_chart_png(const char *name, unsigned w, unsigned char *bytes)
{
    char *charts = rbt_path(dir, "charts");
    mkdir(charts, 0777);
    size_t n = make_png(bytes, w);
    char file[256];
    snprintf(file, sizeof file, "%s/%s.png", charts, name);
    FILE *f = fopen(file, "wb");
    cr_assert(f, "%s", file);
    cr_assert_eq(fwrite(bytes, 1, n, f), n);
    fclose(f);
    snprintf(file, sizeof file, "%s.svg", name);
    free(rbt_write_file(charts, file, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"));
    free(charts);
    return n;
}

/* ---------------------------------------------------------------- page helpers */

static char *write_and_read(const rb_report *r, const rb_chart_outcome *charts)
{
    rb_error err = {0};
    cr_assert_eq(rb_html_write(r, dir, charts, &err), RB_OK, "%s", err.msg);
    char *index = rbt_path(dir, "index.html");
    char *page = rbt_read_file(index, NULL);
    cr_assert(page, "no %s", index);
    char *tmp = rbt_path(dir, "index.html.tmp");
    cr_expect(access(tmp, F_OK) != 0, "the temporary file is left behind");
    free(tmp);
    free(index);
    char why[256];
    cr_assert(rbt_html_well_formed(page, why, sizeof why), "the page is not well formed: %s", why);
    return page;
}

static void all_states(rb_chart_outcome *out, rb_chart_state state, const char *why)
{
    for (int k = 0; k < RB_CHART_COUNT; k++) {
        out[k].state = state;
        snprintf(out[k].why, sizeof out[k].why, "%s", why);
    }
}

/* A malloc'ed copy of the element that starts at the first occurrence of start (e.g.
 * "<section id=\"summary\"") through its end tag (the first `end` after it). */
static char *element(const char *page, const char *start, const char *end)
{
    const char *a = strstr(page, start);
    cr_assert(a, "no %s in the page", start);
    const char *b = strstr(a, end);
    cr_assert(b, "no %s after %s", end, start);
    size_t n = (size_t)(b - a) + strlen(end);
    char *out = alloc(n + 1);
    memcpy(out, a, n);
    return out;
}

static size_t occurrences(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

static int b64_digit(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes base64 from p up to the closing quote; returns the length, -1 when malformed. */
static long b64_decode(const char *p, unsigned char *out, size_t cap)
{
    size_t n = 0, len = strcspn(p, "\"");
    if (len % 4) return -1;
    for (size_t k = 0; k < len; k += 4) {
        int d[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            if (p[k + j] == '=' && k + 4 == len && j >= 2) {
                d[j] = 0;
                pad++;
            } else if ((d[j] = b64_digit(p[k + j])) < 0 || pad)
                return -1;
        }
        uint32_t v = (uint32_t)d[0] << 18 | (uint32_t)d[1] << 12 | (uint32_t)d[2] << 6 | (uint32_t)d[3];
        unsigned char three[3] = {(unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
        for (int j = 0; j < 3 - pad; j++) {
            if (n == cap) return -1;
            out[n++] = three[j];
        }
    }
    return (long)n;
}

/* Every href and src value of the page, checked: in-page anchors, relative links that stay
 * in DIR (no scheme, no leading '/', no "..", only unreserved bytes and %XX), or PNG data. */
static void expect_links_stay_inside(const char *page)
{
    static const char *const attrs[] = {" href=\"", " src=\""};
    for (size_t a = 0; a < 2; a++)
        for (const char *p = strstr(page, attrs[a]); p; p = strstr(p + 1, attrs[a])) {
            const char *v = p + strlen(attrs[a]);
            size_t len = strcspn(v, "\"");
            char value[200];
            snprintf(value, sizeof value, "%.*s", (int)(len < 150 ? len : 150), v);
            if (a == 1) {
                cr_expect(strncmp(v, "data:image/png;base64,", 22) == 0, "src that is not PNG data: %s", value);
                continue;
            }
            if (v[0] == '#') continue;
            cr_expect(v[0] != '/', "absolute link %s", value);
            for (size_t k = 0; k < len; k++) {
                char c = v[k];
                int ok =
                    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~/%", c);
                cr_expect(ok, "link %s holds '%c'", value, c);
            }
            cr_expect(strncmp(v, "../", 3) != 0 && !strstr(value, "/../") && strcmp(value, "..") != 0 &&
                          !(len >= 3 && strncmp(v + len - 3, "/..", 3) == 0),
                      "link %s leaves DIR", value);
        }
}

/* ---------------------------------------------------------------- the page */

Test(html, hostile_model_is_escaped)
{
    rb_report *r = make_model(1);
    rb_chart_outcome charts[RB_CHART_COUNT];
    all_states(charts, RB_CHART_FAILED, "gnuplot said: \"<b>line 1</b>\" & 'more'");
    char *page = write_and_read(r, charts);

    cr_expect_eq(rbt_html_count(page, "script"), 1, "one script element: the page's own");
    cr_expect_eq(rbt_html_count(page, "style"), 1);
    cr_expect_eq(rbt_html_count(page, "link"), 0, "no external stylesheet");
    cr_expect_eq(rbt_html_count(page, "b"), 0, "no <b> from the title or the reasons");
    cr_expect_eq(rbt_html_count(page, "i"), 0, "no <i> from the subtitle");
    cr_expect_eq(rbt_html_count(page, "h1"), 1);
    cr_expect_eq(rbt_html_count(page, "pre"), 1, "the conventions cannot close their <pre>");
    cr_expect_null(strstr(page, "<script>alert"), "raw hostile script");
    cr_expect_null(strstr(page, "<img src=x"), "raw hostile img");
    cr_expect_null(strstr(page, "onmouseover=\""), "a label opened an attribute");
    cr_expect_null(strstr(page, "http://"), "no external asset");
    cr_expect_null(strstr(page, "https://"), "no external asset");
    cr_expect_null(strstr(page, "\xff"), "invalid UTF-8 is replaced");
    cr_expect_null(strstr(page, "\x01"), "control characters are replaced");

    /* The hostile text is there, escaped, where it belongs. */
    cr_expect(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;"), "the hostile family, escaped");
    cr_expect(strstr(page, "x&quot; onmouseover=&quot;alert(2)&quot; band=0.05 &amp; &#39;more&#39;"),
              "the hostile label, escaped");
    cr_expect(strstr(page, "<title>Report &lt;b&gt;&amp;amp;&lt;/b&gt; &quot;quoted&quot; &#39;title&#39;</title>"));
    cr_expect(strstr(page, "BTC/ETH &lt;i&gt;50/30/20&lt;/i&gt; second line &amp; more"), "the subtitle on one line");
    cr_expect(strstr(page, "weekly every=week \xEF\xBF\xBD"), "newline and control as spaces, 0xff as U+FFFD");
    cr_expect(strstr(page, "&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;"), "the conventions, escaped");
    cr_expect(strstr(page, "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;alert(5)&lt;/script&gt;"));
    cr_expect(strstr(page, "gnuplot said: &quot;&lt;b&gt;line 1&lt;/b&gt;&quot; &amp; &#39;more&#39;"));

    /* File names: safe ones linked percent-encoded, the others named in a visible note. */
    expect_links_stay_inside(page);
    cr_expect(strstr(page, "<a href=\"summary.csv\">"));
    cr_expect(
        strstr(page, "<a href=\"a%22b%27c%26d%3Ce%3E%20f.csv\"><code>a&quot;b&#39;c&amp;d&lt;e&gt; f.csv</code></a>"));
    cr_expect(strstr(page, "<a href=\"javascript%3Aalert%286%29.csv\">"), "no scheme: the colon is encoded");
    char *files = element(page, "<section id=\"files\">", "</section>");
    cr_expect_eq(rbt_html_count(files, "a"), 3, "three names may be linked:\n%s", files);
    cr_expect_eq(occurrences(files, "class=\"refused\""), 4, "four names are refused:\n%s", files);
    cr_expect(strstr(files, "<code>../../etc/passwd</code>"));
    cr_expect(strstr(files, "<code>/etc/shadow</code>"));
    cr_expect(strstr(files, "<code>curves\\..\\evil.csv</code>"));
    cr_expect(strstr(files, "<code>curves/../../up.csv</code>"));
    free(files);

    free(page);
    free_model(r);
}

Test(html, drawn_charts_are_embedded_byte_for_byte)
{
    rb_report *r = make_model(0);
    rb_chart_outcome charts[RB_CHART_COUNT];
    all_states(charts, RB_CHART_DRAWN, "");
    /* PNGs of 70, 71 and 72 bytes: every base64 padding (2, 1, 0 '='). */
    unsigned char bytes[RB_CHART_COUNT][128];
    size_t len[RB_CHART_COUNT];
    for (int k = 0; k < RB_CHART_COUNT; k++) len[k] = write_chart_png(rb_chart_name(k), 1 + (unsigned)k % 3, bytes[k]);
    cr_assert_eq(len[0], 70);
    cr_assert_eq(len[2], 72);
    char *page = write_and_read(r, charts);

    cr_expect_eq(rbt_html_count(page, "figure"), RB_CHART_COUNT);
    cr_expect_eq(rbt_html_count(page, "img"), RB_CHART_COUNT);
    cr_expect_eq(occurrences(page, "class=\"missing\""), 0);
    const char *p = page;
    for (int k = 0; k < RB_CHART_COUNT; k++) {
        char id[64];
        snprintf(id, sizeof id, "<figure id=\"chart-%s\"", rb_chart_name(k));
        const char *fig = strstr(p, id);
        cr_assert(fig, "chart %s missing or out of order", rb_chart_name(k));
        char caption[128];
        snprintf(caption, sizeof caption, "<figcaption>%d. %s</figcaption>", k + 1, rb_chart_title(k));
        cr_expect(strstr(fig, caption) == strstr(fig, "<figcaption>"), "caption of %s", rb_chart_name(k));
        const char *src = strstr(fig, "<img src=\"data:image/png;base64,");
        cr_assert(src);
        src += strlen("<img src=\"data:image/png;base64,");
        unsigned char decoded[128];
        long n = b64_decode(src, decoded, sizeof decoded);
        cr_expect_eq(n, (long)len[k], "decoded length of %s", rb_chart_name(k));
        cr_expect(n == (long)len[k] && memcmp(decoded, bytes[k], len[k]) == 0, "decoded bytes of %s", rb_chart_name(k));
        const char *alt = strstr(src, "\" alt=\"");
        cr_expect(alt && alt[7] != '"', "alt text of %s", rb_chart_name(k));
        char links[200];
        snprintf(links, sizeof links, "<a href=\"charts/%s.svg\">", rb_chart_name(k));
        cr_expect(strstr(fig, links), "SVG link of %s", rb_chart_name(k));
        snprintf(links, sizeof links, "<a href=\"charts/%s.png\">", rb_chart_name(k));
        cr_expect(strstr(fig, links), "PNG link of %s", rb_chart_name(k));
        p = fig + 1;
    }
    /* The alt texts describe the model's content. */
    cr_expect(strstr(page, "alt=\"Equity curves in USD on a log scale over time: buy-and-hold; every bar; "
                           "threshold.tight band=0.05; calendar.weekly every=week;"));
    cr_expect(strstr(page, "alt=\"Heatmap of after-tax value minus buy-and-hold, USD for each pair of band and fee-bps "
                           "in the family threshold.tight\""));
    expect_links_stay_inside(page);
    free(page);
    free_model(r);
}

Test(html, each_chart_state_has_its_note)
{
    rb_report *r = make_model(0);
    rb_chart_outcome charts[RB_CHART_COUNT];
    all_states(charts, RB_CHART_DRAWN, "");
    unsigned char bytes[128];
    write_chart_png("equity", 1, bytes);
    charts[RB_CHART_DRAWDOWN] = (rb_chart_outcome){RB_CHART_NO_GNUPLOT, ""};
    charts[RB_CHART_WEIGHTS] = (rb_chart_outcome){RB_CHART_NO_GNUPLOT, "gnuplot was not found on PATH"};
    charts[RB_CHART_HEATMAP] = (rb_chart_outcome){RB_CHART_NOT_APPLICABLE, "one run has no parameter grid"};
    charts[RB_CHART_FRONTIER] = (rb_chart_outcome){RB_CHART_FAILED, "line 12: undefined variable: foo"};
    /* Drawn, but its PNG is missing; and drawn, but its PNG is not a PNG. */
    char *charts_dir = rbt_path(dir, "charts");
    free(rbt_write_file(charts_dir, "excess.png", "GIF89a not a png"));
    free(rbt_write_file(charts_dir, "weights.gp", "plot 1\n"));
    free(charts_dir);
    char *page = write_and_read(r, charts);

    cr_expect_eq(rbt_html_count(page, "figure"), RB_CHART_COUNT);
    cr_expect_eq(rbt_html_count(page, "img"), 1, "only the equity chart is embedded");
    char *fig = element(page, "<figure id=\"chart-drawdown\"", "</figure>");
    cr_expect(strstr(fig, "gnuplot is not installed"), "%s", fig);
    cr_expect(strstr(fig, "<code>sudo apt-get install gnuplot-nox</code>"), "%s", fig);
    cr_expect(strstr(fig, "scripts/setup-deps"), "%s", fig);
    cr_expect(strstr(fig, "not written"), "no script was written for it: %s", fig);
    free(fig);
    fig = element(page, "<figure id=\"chart-weights\"", "</figure>");
    cr_expect(strstr(fig, "gnuplot-nox"));
    cr_expect(strstr(fig, "gnuplot was not found on PATH"), "%s", fig);
    cr_expect(strstr(fig, "<a href=\"charts/weights.gp\">"), "a link to the script that exists: %s", fig);
    cr_expect_null(strstr(fig, "weights.dat"), "no link to a data file that does not exist: %s", fig);
    free(fig);
    fig = element(page, "<figure id=\"chart-heatmap\"", "</figure>");
    cr_expect(strstr(fig, "Not applicable"), "%s", fig);
    cr_expect(strstr(fig, "one run has no parameter grid"), "%s", fig);
    cr_expect_null(strstr(fig, "gnuplot"), "%s", fig);
    free(fig);
    fig = element(page, "<figure id=\"chart-frontier\"", "</figure>");
    cr_expect(strstr(fig, "gnuplot failed"), "%s", fig);
    cr_expect(strstr(fig, "line 12: undefined variable: foo"), "%s", fig);
    free(fig);
    fig = element(page, "<figure id=\"chart-annual\"", "</figure>");
    cr_expect(strstr(fig, "<code>charts/annual.png</code> cannot be read: No such file or directory"), "%s", fig);
    free(fig);
    fig = element(page, "<figure id=\"chart-excess\"", "</figure>");
    cr_expect(strstr(fig, "is not a PNG file"), "%s", fig);
    free(fig);
    free(page);
    free_model(r);
}

Test(html, summary_table_shape)
{
    rb_report *r = make_model(1);
    rb_chart_outcome charts[RB_CHART_COUNT];
    all_states(charts, RB_CHART_NOT_APPLICABLE, "nothing to draw");
    char *page = write_and_read(r, charts);
    char *table = element(page, "<section id=\"summary\">", "</section>");
    char why[256];
    cr_assert(rbt_html_well_formed(table, why, sizeof why), "%s", why);
    cr_expect_eq(rbt_html_count(table, "table"), 1);
    cr_expect_eq(rbt_html_count(table, "tr"), 8, "a head row and 7 rows");
    cr_expect_eq(rbt_html_count(table, "th"), 4);
    cr_expect_eq(rbt_html_count(table, "button"), 4, "a button in every head, for the keyboard");
    cr_expect_eq(rbt_html_count(table, "td"), 28);
    cr_expect_eq(occurrences(table, "<td class=\"num\">"), 14, "the two numeric columns are right-aligned");
    cr_expect_eq(occurrences(table, "<th scope=\"col\" class=\"num\">"), 2);
    cr_expect(strstr(table, "class=\"sortable\""));
    cr_expect(strstr(table, "<button type=\"button\">label &lt;th&gt;</button>"));
    cr_expect(strstr(table, "<td class=\"num\"></td>"), "an empty cell stays empty");
    cr_expect(strstr(table, "<td class=\"num\">119600.00</td>"), "the cells as given");
    free(table);

    /* The sorting script: present once, free of '<' and '&' (well-formed as XML too). */
    char *script = element(page, "<script>", "</script>");
    const char *body = script + strlen("<script>");
    cr_expect_eq(strcspn(body, "<&"), strlen(body) - strlen("</script>"));
    cr_expect(strstr(script, "table.sortable"));
    free(script);
    free(page);
    free_model(r);
}

/* The text of the "At a glance" section. */
static char *glance_of(const rb_report *r)
{
    rb_chart_outcome charts[RB_CHART_COUNT];
    all_states(charts, RB_CHART_NO_GNUPLOT, "");
    char *page = write_and_read(r, charts);
    char *g = element(page, "<section id=\"glance\"", "</section>");
    free(page);
    return g;
}

Test(html, glance_names_the_winner_and_the_losers)
{
    rb_report *r = make_model(0);
    char *g = glance_of(r);
    cr_expect(strstr(g,
                     "<span class=\"winner\">calendar.monthly every=month</span> (family "
                     "<code>calendar.monthly</code>) with <code>after_tax_value</code> = 130,000.00 USD, which beats "
                     "buy-and-hold (110,000.00 USD) by <strong class=\"margin\">20,000.00 USD</strong>."),
              "%s", g);
    /* Net-negative: calendar.weekly (excess -0.5 pp) and vol-band (no split, below hold). */
    cr_expect_eq(occurrences(g, "class=\"neg family\""), 2, "%s", g);
    cr_expect(strstr(g, "<span class=\"neg family\">calendar.weekly</span> (-0.50 pp per year after costs and tax)"),
              "%s", g);
    cr_expect(strstr(g, "after costs in the families <span class=\"neg family\">calendar.weekly</span>"), "%s", g);
    cr_expect(
        strstr(g, " and <span class=\"neg family\">vol-band</span> (-10,000.00 USD of <code>after_tax_value</code>)"),
        "%s", g);
    cr_expect_null(strstr(g, "neg family\">threshold.tight"));
    cr_expect_null(strstr(g, "neg family\">calendar.monthly"));
    /* The heatmap: 8 of the 28 cells with a value are below zero. */
    cr_expect(strstr(g, "<a href=\"#chart-heatmap\">parameter heatmap</a>"), "%s", g);
    cr_expect(strstr(g, "shows <em>after-tax value minus buy-and-hold, USD</em> for each pair of <code>band</code> and "
                        "<code>fee-bps</code> in the family <code>threshold.tight</code>: red cells (8 of the 28 "
                        "parameter pairs with a value) are where rebalancing loses"),
              "%s", g);

    /* The family table: best first, one row per family, the verdicts. */
    char *t = element(g, "<table id=\"families\"", "</table>");
    cr_expect_eq(rbt_html_count(t, "tr"), 5);
    const char *order[] = {">calendar.monthly<", ">threshold.tight<", ">calendar.weekly<", ">vol-band<"};
    const char *p = t;
    for (size_t k = 0; k < 4; k++) {
        const char *q = strstr(p, order[k]);
        cr_expect(q, "row %zu should be %s:\n%s", k, order[k], t);
        if (q) p = q;
    }
    cr_expect(strstr(t, "<td class=\"num\">+20,000.00 USD</td><td class=\"num\">+2.00 pp per year</td>"), "%s", t);
    cr_expect_eq(occurrences(t, "net-negative after costs"), 2);
    cr_expect_eq(occurrences(t, "beats buy-and-hold"), 2);
    free(t);
    free(g);
    free_model(r);
}

Test(html, glance_when_no_rule_beats_hold)
{
    rb_report *r = make_model(0);
    r->has_heatmap = 0;
    for (size_t k = 2; k < r->nseries; k++) {
        r->series[k].metrics.after_tax_value = 100000 - 1000.0 * (double)k;
        set_split(&r->series[k], 0.001, 0, -0.004, 0);
    }
    char *g = glance_of(r);
    cr_expect(strstr(g, "<span class=\"winner\">threshold.tight band=0.05</span>"), "%s", g);
    cr_expect(strstr(g, "which still trails buy-and-hold (110,000.00 USD) by <strong class=\"margin\">12,000.00 "
                        "USD</strong>: no rule beats buy-and-hold"),
              "%s", g);
    cr_expect_eq(occurrences(g, "class=\"neg family\""), 4, "%s", g);
    cr_expect_null(strstr(g, "heatmap"), "no heatmap to point at");
    free(g);
    free_model(r);
}

/* "after costs" only where costs were paid; without any, a loss to buy-and-hold is the
 * prices' trend and drift, and the page says so. */
Test(html, glance_says_after_costs_only_where_costs_were_paid)
{
    rb_report *r = make_model(0);
    for (size_t k = 0; k < r->nseries; k++) r->series[k].metrics.fees_paid = 0;
    char *g = glance_of(r);
    cr_expect_null(strstr(g, "after costs"), "no costs, yet 'after costs': %s", g);
    cr_expect(strstr(g, "<strong>Where rebalancing loses to buy-and-hold:</strong> even the best configuration loses "
                        "to buy-and-hold in the families <span class=\"neg family\">calendar.weekly</span> (-0.50 pp "
                        "per year before costs: trend/drift)"),
              "%s", g);
    cr_expect(strstr(g, "<strong>Which rule wins (these runs paid no costs or taxes):</strong>"), "%s", g);
    char *t = element(g, "<table id=\"families\"", "</table>");
    cr_expect_eq(occurrences(t, "loses to buy-and-hold (before costs: trend/drift)"), 2, "%s", t);
    free(t);
    free(g);
    /* A tax alone is a cost. */
    r->series[3].metrics.taxes_paid = 10;
    g = glance_of(r);
    cr_expect(strstr(g, "Where rebalancing loses to buy-and-hold after costs:"), "%s", g);
    free(g);
    free_model(r);
}

/* A difference that shows as zero is a tie, not a win; a best configuration that never
 * rebalanced is buy-and-hold under another name. */
Test(html, glance_names_ties_and_rules_that_never_rebalanced)
{
    rb_report *r = make_model(0);
    set_split(&r->series[2], 0.00001, 0, 0, 0);     /* threshold.tight: +0.001 pp per year */
    r->series[5].metrics.rebalances = 0;            /* vol-band never traded after the start */
    r->series[4].metrics.after_tax_value = 110000; /* calendar.monthly: exactly buy-and-hold's */
    r->series[2].metrics.after_tax_value = 110000.001;
    r->series[3].metrics.after_tax_value = 100000;
    char *g = glance_of(r);
    cr_expect(strstr(g, "which ties with buy-and-hold (110,000.00 USD)."), "%s", g);
    cr_expect_null(strstr(g, "which beats"), "%s", g);
    char *t = element(g, "<table id=\"families\"", "</table>");
    cr_expect(strstr(t, "<td>ties with buy-and-hold</td>"), "%s", t);
    cr_expect(strstr(t, "<td>never rebalanced: identical to buy-and-hold</td>"), "%s", t);
    cr_expect_eq(occurrences(t, "beats buy-and-hold"), 1, "only calendar.monthly's excess is above zero: %s", t);
    free(t);
    free(g);

    /* The winner itself never rebalanced. */
    r->series[5].metrics.after_tax_value = 150000;
    g = glance_of(r);
    cr_expect(strstr(g, "<span class=\"winner\">vol-band base=0.05</span>"), "%s", g);
    cr_expect(strstr(g, "It never rebalanced: it is buy-and-hold under another name"), "%s", g);
    free(g);
    free_model(r);
}

/* A sweep that did not finish: the page opens with its status and the share that ran,
 * before anything names a best configuration. A finished sweep, or one run, says nothing. */
Test(html, an_unfinished_sweep_opens_the_page_with_its_status)
{
    rb_report *r = make_model(0);
    rb_chart_outcome charts[RB_CHART_COUNT];
    all_states(charts, RB_CHART_NO_GNUPLOT, "");
    snprintf(r->sweep_status, sizeof r->sweep_status, "interrupted");
    r->sweep_stored = 384;
    r->sweep_planned = 16000;
    char *page = write_and_read(r, charts);
    const char *status = strstr(page, "<p class=\"status\"><strong>This sweep was interrupted: 384 of its 16000 "
                                      "configurations (2.4 %) ran.</strong>");
    cr_expect(status, "%s", page);
    const char *glance = strstr(page, "<section id=\"glance\"");
    cr_expect(status && glance && status < glance, "the status comes before the answers");
    cr_expect(strstr(page, "--resume"), "how to finish it");
    char why[256];
    cr_expect(rbt_html_well_formed(page, why, sizeof why), "%s", why);
    free(page);

    snprintf(r->sweep_status, sizeof r->sweep_status, "failed");
    r->sweep_stored = 12000;
    page = write_and_read(r, charts);
    cr_expect(strstr(page, "This sweep failed: 12000 of its 16000 configurations (75 %) ran."), "%s", page);
    free(page);

    snprintf(r->sweep_status, sizeof r->sweep_status, "done");
    page = write_and_read(r, charts);
    cr_expect_null(strstr(page, "class=\"status\""));
    free(page);
    free_model(r);
}

/* A sweep that varies costs: the level compared at comes first, then the best rule and its
 * margin over buy-and-hold at every level (a margin that shows as zero is a tie), and how
 * many levels were left out. */
Test(html, glance_gives_the_winner_at_every_cost_level)
{
    rb_report *r = make_model(0);
    snprintf(r->scenario, sizeof r->scenario, "fee-bps=10");
    snprintf(r->sweep_status, sizeof r->sweep_status, "done");
    r->nlevels = 3;
    r->levels_total = 30;
    r->levels = alloc(3 * sizeof *r->levels);
    r->levels[0] = (rb_report_level){"fee-bps=0", "threshold band=0.05", 130000, 110000};
    r->levels[1] = (rb_report_level){"fee-bps=10", "calendar every=month", 120000, 121000};
    r->levels[2] = (rb_report_level){"fee-bps=50", "calendar every=year", 100000, 100000};
    char *g = glance_of(r);
    cr_expect(strstr(g, "<p class=\"scenario\">The comparisons on this page are made at <code>fee-bps=10</code>"),
              "%s", g);
    cr_expect(strstr(g, "(the first 3 of 30 levels)"), "%s", g);
    char *t = element(g, "<table id=\"levels\">", "</table>");
    cr_expect_eq(rbt_html_count(t, "tr"), 4);
    cr_expect(strstr(t, "<td>fee-bps=0</td><td>threshold band=0.05</td><td class=\"num\">130,000.00 USD</td>"
                        "<td class=\"num\">110,000.00 USD</td><td class=\"num pos\">+20,000.00 USD</td>"),
              "%s", t);
    cr_expect(strstr(t, "<td class=\"num neg\">-1,000.00 USD</td>"), "%s", t);
    cr_expect(strstr(t, "<td>calendar every=year</td><td class=\"num\">100,000.00 USD</td><td class=\"num\">"
                        "100,000.00 USD</td><td class=\"num\">tie</td>"),
              "%s", t);
    free(t);
    free(g);
    free_model(r);
}

/* A heatmap whose every cell loses is told as such (its scale is shades of red alone), not
 * as red and blue cells. */
Test(html, glance_tells_a_heatmap_that_loses_everywhere)
{
    rb_report *r = make_model(0);
    rb_report_heatmap *h = &r->heatmap;
    for (size_t k = 0; k < h->nx * h->ny; k++)
        if (!isnan(h->z[k])) h->z[k] = -fabs(h->z[k]) - 1;
    char *g = glance_of(r);
    cr_expect(strstr(g, "every one of its 28 parameter pairs with a value is red"), "%s", g);
    cr_expect_null(strstr(g, "blue cells"), "%s", g);
    free(g);
    for (size_t k = 0; k < h->nx * h->ny; k++)
        if (!isnan(h->z[k])) h->z[k] = fabs(h->z[k]);
    g = glance_of(r);
    cr_expect(strstr(g, "every one of its 28 parameter pairs with a value is blue"), "%s", g);
    free(g);
    free_model(r);
}

Test(html, glance_ranks_lower_is_better_metrics_ascending)
{
    rb_report *r = make_model(0);
    snprintf(r->metric, sizeof r->metric, "max_drawdown");
    const double dd[] = {0.30, 0.25, 0.22, 0.18, 0.35, NAN};
    for (size_t k = 0; k < r->nseries; k++) {
        r->series[k].metrics.max_drawdown = dd[k];
        r->series[k].has_split = 0;
    }
    char *g = glance_of(r);
    cr_expect(strstr(g, "<span class=\"winner\">calendar.weekly every=week</span>"), "%s", g);
    cr_expect(strstr(g, "= 18.00 %, which beats buy-and-hold (30.00 %) by <strong class=\"margin\">12.00 pp</strong>"),
              "%s", g);
    cr_expect(strstr(g, "Lower is better"), "%s", g);
    /* Without splits, the verdict compares the metric: only calendar.monthly (35 %) loses. */
    cr_expect_eq(occurrences(g, "class=\"neg family\""), 1, "%s", g);
    cr_expect(
        strstr(
            g,
            "in the family <span class=\"neg family\">calendar.monthly</span> (+5.00 pp of <code>max_drawdown</code>)"),
        "%s", g);
    free(g);

    snprintf(r->metric, sizeof r->metric, "no_such_metric");
    g = glance_of(r);
    cr_expect(strstr(g, "<code>no_such_metric</code> is not one rebal computes"), "%s", g);
    cr_expect_null(strstr(g, "class=\"winner\""));
    free(g);
    free_model(r);
}

Test(html, empty_model_still_writes_a_page)
{
    rb_report r = {0};
    char *page = write_and_read(&r, NULL);
    cr_expect(strstr(page, "<h1>rebal report</h1>"));
    cr_expect_eq(rbt_html_count(page, "figure"), RB_CHART_COUNT);
    cr_expect_eq(rbt_html_count(page, "img"), 0);
    cr_expect(strstr(page, "No CSV files were written."));
    cr_expect(strstr(page, "No conventions were recorded."));
    free(page);
}

Test(html, errors_name_the_path)
{
    rb_report *r = make_model(0);
    rb_chart_outcome charts[RB_CHART_COUNT];
    all_states(charts, RB_CHART_NOT_APPLICABLE, "");
    char *missing = rbt_path(dir, "no/such/dir");
    rb_error err = {0};
    cr_expect_eq(rb_html_write(r, missing, charts, &err), RB_ERR_IO);
    cr_expect(strstr(err.msg, missing), "%s", err.msg);
    cr_expect(strstr(err.msg, "No such file or directory"), "%s", err.msg);
    cr_expect_null(strchr(err.msg, '\n'));

    /* An existing page is replaced whole. */
    free(rbt_write_file(dir, "index.html", "old"));
    cr_expect_eq(rb_html_write(r, dir, charts, &err), RB_OK, "%s", err.msg);
    char *index = rbt_path(dir, "index.html");
    char *page = rbt_read_file(index, NULL);
    cr_expect(page && strncmp(page, "<!DOCTYPE html>", 15) == 0);
    free(page);
    free(index);
    free(missing);
    free_model(r);
}
