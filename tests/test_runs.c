/* test_runs.c - reading a results store: the `rebal runs` query (ranking, conditions that
 * compare numbers as numbers, flag-style keys, CSV, failed runs listed under the table) and
 * the refusal of files that are not results stores. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rebal.h"
#include "results/reader.h"
#include "results/writer.h"
#include "results_check.h"
#include "spec.h"
#include "store.h"
#include "support.h"

static char *dir;

static void setup(void) { dir = rbt_tempdir(); }
static void teardown(void)
{
    rbt_rmtree(dir);
    free(dir);
}
TestSuite(runs, .init = setup, .fini = teardown, .timeout = 60);

/* ---------------------------------------------------------------- rebal runs */

/* Six hand-made runs with known rankings (see the expectations in each test). */
static char *make_query_store(void)
{
    char *path = rbt_path(dir, "q.db");
    rb_results *r = open_ok(path);
    const char *keys[] = {"band", "every", "fee-bps", "targets"};
    begin_ok(r, "spec", "h", 6, keys, 4, 0, NULL, NULL, NULL);
    struct {
        int64_t id;
        const char *section, *strategy, *band, *every, *fee, *targets;
        double cagr, mdd, atv, sharpe, fees, slip, gas;
    } rows[] = {
        {101, "calendar.monthly", "calendar", NULL, "month", "10", NULL, 0.05, 0.30, 1500, 0.5, 10, 2, 0},
        {102, "calendar.weekly", "calendar", NULL, "week", "10", NULL, 0.07, 0.25, 1700, 0.7, 40, 8, 1},
        {103, "threshold.tight", "threshold", "0.02", NULL, "10", NULL, 0.06, 0.20, 1650, NAN, 20, 4, 0},
        {104, "threshold.wide", "threshold", "0.1", NULL, "5", NULL, 0.09, 0.35, 1900, 0.9, 3, 1, 0},
        {105, "threshold.mid", "threshold", "0.05", NULL, "5", NULL, 0.04, 0.15, 1400, 0.4, 6, 1, 0},
        {106, "hybrid", "hybrid", "0.25", "quarter", "20", "A=0.5,B=0.5", 0.08, 0.28, 1800, 0.8, 12, 3, 0.5},
    };
    for (size_t i = 0; i < 6; i++) {
        rb_sweep_kv p[4];
        size_t n = 0;
        if (rows[i].band) p[n++] = (rb_sweep_kv){"band", rows[i].band};
        if (rows[i].every) p[n++] = (rb_sweep_kv){"every", rows[i].every};
        p[n++] = (rb_sweep_kv){"fee-bps", rows[i].fee};
        if (rows[i].targets) p[n++] = (rb_sweep_kv){"targets", rows[i].targets};
        rb_metrics met = {0};
        rb_result_row row = {.config_id = rows[i].id, .section = rows[i].section, .strategy = rows[i].strategy,
                             .params = p, .nparams = n, .metrics = &met};
        size_t nm;
        const rb_metric_info *t = rb_metric_table(&nm);
        for (size_t m = 0; m < nm; m++) set_metric(&met, t[m].name, 0.0);
        set_metric(&met, "cagr", rows[i].cagr);
        set_metric(&met, "max_drawdown", rows[i].mdd);
        set_metric(&met, "after_tax_value", rows[i].atv);
        set_metric(&met, "final_value", rows[i].atv + 100);
        set_metric(&met, "sharpe", rows[i].sharpe);
        set_metric(&met, "fees_paid", rows[i].fees);
        set_metric(&met, "slippage_paid", rows[i].slip);
        set_metric(&met, "gas_paid", rows[i].gas);
        put_ok(r, &row);
    }
    end_ok(r, "done");
    rb_results_free(r);
    return path;
}

/* Runs the query; returns the output (malloc'ed) and the status. */
static rb_status print_query(const char *path, const rb_runs_query *q, char **text, rb_error *err)
{
    size_t len = 0;
    *text = NULL;
    FILE *f = open_memstream(text, &len);
    cr_assert_not_null(f);
    rb_status rc = rb_runs_print(path, q, f, err);
    fclose(f);
    return rc;
}

/* The config ids of the table's rows, in order (the lines after the header). */
static size_t table_ids(const char *text, int64_t *ids, size_t cap)
{
    const char *line = strstr(text, "\n");
    cr_assert_not_null(line, "no title line: %s", text);
    line = strchr(line + 1, '\n'); /* skip the header row */
    cr_assert_not_null(line, "no header row: %s", text);
    size_t n = 0, rank;
    long long id;
    while (line && line[1] && n < cap && sscanf(line + 1, " %zu %lld", &rank, &id) == 2) {
        cr_assert_eq(rank, n + 1, "rank %zu on row %zu: %s", rank, n + 1, text);
        ids[n++] = id;
        line = strchr(line + 1, '\n');
    }
    return n;
}

static void expect_ids(const char *path, const rb_runs_query *q, const int64_t *want, size_t n)
{
    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, q, &text, &err), RB_OK, "%s", err.msg);
    int64_t got[16];
    size_t m = table_ids(text, got, 16);
    cr_assert_eq(m, n, "%zu rows instead of %zu:\n%s", m, n, text);
    for (size_t i = 0; i < n; i++) cr_assert_eq(got[i], want[i], "row %zu: %lld instead of %lld:\n%s", i + 1,
                                                (long long)got[i], (long long)want[i], text);
    free(text);
}

#define IDS(...) (const int64_t[]){__VA_ARGS__}, sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)
#define WHERE(...) .where = (const char *const[]){__VA_ARGS__}, \
                   .nwhere = sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

/* A results store marked as one, with no sweep yet: what rb_results_open made of a new file
 * that another connection kept, or that an earlier build left (rb_results_free now removes a
 * new file no sweep was begun in). */
static void marked_empty_store(const char *path)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d", RB_RESULTS_STORE_APP_ID);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

Test(runs, print_ranks_by_a_metric_in_its_better_direction)
{
    char *path = make_query_store();
    /* Default: after_tax_value, highest first. */
    expect_ids(path, &(rb_runs_query){.top = 3}, IDS(104, 106, 102));
    expect_ids(path, &(rb_runs_query){.top = 3, .by = "cagr"}, IDS(104, 106, 102));
    /* Drawdown: lowest first. */
    expect_ids(path, &(rb_runs_query){.top = 2, .by = "max_drawdown"}, IDS(105, 103));
    /* Fees: lowest first. */
    expect_ids(path, &(rb_runs_query){.top = 6, .by = "fees_paid"}, IDS(104, 105, 101, 106, 103, 102));
    /* NaN (stored NULL) last whatever the direction; top 0 = all. */
    expect_ids(path, &(rb_runs_query){.top = 0, .by = "sharpe"}, IDS(104, 106, 102, 101, 105, 103));
    /* Ties broken by config_id. */
    expect_ids(path, &(rb_runs_query){.top = 3, .by = "total_return"}, IDS(101, 102, 103));

    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 6, .by = "max_drawdown"}, &text, &err), RB_OK);
    cr_assert_not_null(
        strstr(text, "sweep 1 (done): 6 of 6 configurations stored; top 6 by max_drawdown (lowest first)"), "%s",
        text);
    /* The header: rank, id, section, strategy, the 4 parameters, the key metrics. */
    const char *header = strchr(text, '\n') + 1;
    const char *want_cols[] = {"rank", "config_id", "section", "strategy", "band", "every", "fee_bps", "targets",
                               "final_value", "cagr", "ann_vol", "max_drawdown", "sharpe", "turnover", "costs",
                               "taxes_paid", "after_tax_value"};
    const char *p = header;
    for (size_t i = 0; i < sizeof want_cols / sizeof want_cols[0]; i++) {
        while (*p == ' ') p++;
        cr_assert_eq(strncmp(p, want_cols[i], strlen(want_cols[i])), 0, "column %zu is not %s: %s", i, want_cols[i],
                     header);
        p += strlen(want_cols[i]);
    }
    /* 105: costs 6 + 1 + 0 = 7.00, drawdown 15.00 %, cagr 4.00 %. */
    const char *row = strstr(text, "105");
    cr_assert_not_null(row);
    cr_assert_not_null(strstr(row, "threshold.mid"));
    cr_assert_not_null(strstr(row, "15.00%"));
    cr_assert_not_null(strstr(row, "4.00%"));
    cr_assert_not_null(strstr(row, " 7.00 "), "%s", row);
    cr_assert_not_null(strstr(row, "1400.00"));
    free(text);

    /* A --by metric outside the key ones gets a column. */
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 1, .by = "gas_paid"}, &text, &err), RB_OK);
    cr_assert_not_null(strstr(strchr(text, '\n'), "gas_paid"), "%s", text);
    free(text);
    free(path);
}

Test(runs, print_filters_numbers_as_numbers_and_text_as_text)
{
    char *path = make_query_store();
    /* fee_bps holds numbers (written "10", "5", "20"): "10" < "8" as text, not as a number. */
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("fee-bps < 8")}, IDS(104, 105));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("fee_bps>=10")}, IDS(106, 102, 103, 101));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("fee_bps = 10.0")}, IDS(102, 103, 101));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("every = month")}, IDS(101));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("strategy != threshold")}, IDS(106, 102, 101));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("targets = 'A=0.5,B=0.5'")}, IDS(106));
    expect_ids(path, &(rb_runs_query){.top = 10, .by = "cagr", WHERE("strategy = threshold", "cagr >= 0.06")},
               IDS(104, 103));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("band > 0.05")}, IDS(104, 106));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("config_id <= 102")}, IDS(102, 101));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("max_drawdown < -1")}, IDS());

    /* Parameters NULL in every row shown are left out; the title counts the matches. */
    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 1, WHERE("strategy = threshold")}, &text, &err), RB_OK,
                 "%s", err.msg);
    cr_assert_not_null(strstr(text, "; 3 where strategy = threshold; top 1"), "%s", text);
    const char *header = strchr(text, '\n') + 1;
    cr_assert_not_null(strstr(header, "band"));
    cr_assert_null(strstr(header, "every"), "%s", text);
    cr_assert_null(strstr(header, "targets"), "%s", text);
    free(text);
    free(path);
}

/* Numbers are REAL columns: SQL itself (and pandas, which reads their type) compares them as
 * numbers, whatever way they were written; words and per-asset values stay text; keys that
 * are SQL keywords have other names, and rebal runs takes the flag's name too. */
Test(runs, numbers_are_numbers_in_sql_and_keywords_are_renamed)
{
    char *path = rbt_path(dir, "t.db");
    rb_results *r = open_ok(path);
    const char *keys[] = {"band", "fee-bps", "to", "on", "every"};
    begin_ok(r, "spec", "h", 4, keys, 5, 0, NULL, NULL, NULL);
    const char *rows[][5] = {{"0.10", "5", "edge", "last", "month"},
                             {"0.1", "10.0", "target", "first", "5"},
                             {"10%", "BTC=10,ETH=20", "inner:0.50", "first", "week"},
                             {"0.05", "20", "halfway", "last", "month"}};
    for (int64_t i = 0; i < 4; i++) {
        rb_sweep_kv kv[5];
        for (size_t k = 0; k < 5; k++) kv[k] = (rb_sweep_kv){keys[k], rows[i][k]};
        rb_metrics met = {0};
        rb_result_row row = {.config_id = i + 1, .section = "s", .strategy = "hybrid", .params = kv, .nparams = 5,
                             .metrics = &met};
        set_metric(&met, "after_tax_value", (double)(10 - i));
        put_ok(r, &row);
    }
    end_ok(r, "done");
    rb_results_free(r);

    sqlite3 *db = db_open(path);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE fee_bps <= 10"), 2, "5 and 10.0, not '20' nor text");
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE band = 0.1"), 3, "0.10, 0.1 and 10%");
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE typeof(fee_bps) = 'text' AND fee_bps = "
                               "'BTC=10,ETH=20'"),
                 1);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE to_mode = 'edge' AND on_bar = 'last'"), 1);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE typeof(every) = 'text'"), 4, "words stay text");
    sqlite3_close(db);

    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("fee_bps <= 10")}, IDS(1, 2));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("fee-bps <= 10")}, IDS(1, 2));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("band = 0.1")}, IDS(1, 2, 3));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("band = 10%")}, IDS(1, 2, 3));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("fee-bps = BTC=10,ETH=20")}, IDS(3));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("to = edge")}, IDS(1));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("to_mode = edge")}, IDS(1));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("on = first")}, IDS(2, 3));
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("every = 5")}, IDS(2));
    expect_ids(path, &(rb_runs_query){.top = 10, .by = "after-tax-value", WHERE("to = edge")}, IDS(1));
    /* The table shows numbers in their shortest form and the columns by their names. */
    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 1}, &text, &err), RB_OK, "%s", err.msg);
    cr_assert_not_null(strstr(text, "band=0.1, fee_bps=5, to_mode=edge, on_bar=last"), "%s", text);
    free(text);
    free(path);
}

/* Every setting and strategy parameter names a column that is no SQL keyword, each its own;
 * which are numbers comes from the settings' kinds and the strategies' tables. */
Test(runs, every_key_names_its_own_column_and_numbers_are_known)
{
    const char *seen[256];
    size_t n = 0;
    for (size_t i = 0; i <= rb_strategy_count(); i++) {
        const rb_setting_info *list = i < rb_strategy_count() ? rb_strategy_at(i)->params : NULL;
        size_t count = i < rb_strategy_count() ? rb_strategy_at(i)->nparams : rb_setting_count();
        for (size_t k = 0; k < count; k++) {
            const char *key = list ? list[k].key : rb_setting_at(k)->key;
            char col[80];
            rb_results_column_name(key, col, sizeof col);
            cr_assert_eq(sqlite3_keyword_check(col, (int)strlen(col)), 0, "%s -> %s is an SQL keyword", key, col);
            int repeat = 0;
            for (size_t j = 0; j < n; j++) repeat |= strcmp(seen[j], key) == 0;
            if (repeat) continue; /* a parameter several rules take */
            char other[80];
            for (size_t j = 0; j < n; j++) {
                rb_results_column_name(seen[j], other, sizeof other);
                cr_assert_str_neq(other, col, "%s and %s share the column %s", seen[j], key, col);
            }
            cr_assert_lt(n, 256);
            seen[n++] = key;
        }
    }
    cr_assert_gt(n, 30);
    const char *numbers[] = {"band", "band-rel", "band-total", "cooldown", "only-breached", "vol-ref", "fee-bps",
                             "amm-depth", "gas", "vol-window", "tax-short", "long-term-days", "contribution", "rf"};
    const char *words[] = {"to", "on", "every", "mode", "targets", "tax-lots", "flows", "contribution-every",
                           "gas-series", "assets", "no-such-key"};
    for (size_t k = 0; k < sizeof numbers / sizeof numbers[0]; k++)
        cr_assert(rb_setting_numeric(numbers[k]), "%s takes numbers", numbers[k]);
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        cr_assert(!rb_setting_numeric(words[k]), "%s takes words", words[k]);
    char col[80];
    rb_results_column_name("to", col, sizeof col);
    cr_assert_str_eq(col, "to_mode");
    rb_results_column_name("on", col, sizeof col);
    cr_assert_str_eq(col, "on_bar");
    rb_results_column_name("fee-bps", col, sizeof col);
    cr_assert_str_eq(col, "fee_bps");
}

static void expect_print_error(const char *path, const rb_runs_query *q, rb_status code, const char *const *needles)
{
    char *text = NULL;
    rb_error err = {0};
    rb_status rc = print_query(path, q, &text, &err);
    cr_assert_eq(rc, code, "by %s, where %s: status %d instead of %d: %s", q->by ? q->by : "-",
                 q->nwhere ? q->where[0] : "-", rc, code, err.msg);
    for (size_t i = 0; needles[i]; i++)
        cr_assert_not_null(strstr(err.msg, needles[i]), "message '%s' lacks '%s'", err.msg, needles[i]);
    cr_assert_null(strchr(err.msg, '\n'), "not one line: %s", err.msg);
    cr_assert_eq(text ? strlen(text) : 0, 0, "output on error: %s", text);
    free(text);
}

#define NEEDLES(...) ((const char *const[]){__VA_ARGS__, NULL})

Test(runs, print_reports_bad_metrics_columns_operators_and_sweeps)
{
    char *path = make_query_store();
    expect_print_error(path, &(rb_runs_query){.by = "profit"}, RB_ERR_USAGE,
                       NEEDLES("unknown metric 'profit'", "final_value", "after_tax_value", "max_drawdown",
                               "rebalancing_bonus"));
    expect_print_error(path, &(rb_runs_query){.by = "band"}, RB_ERR_USAGE, NEEDLES("unknown metric 'band'"));
    expect_print_error(path, &(rb_runs_query){WHERE("bnd > 0.1")}, RB_ERR_USAGE,
                       NEEDLES("no column 'bnd'", "band", "fee_bps", "cagr", path));
    expect_print_error(path, &(rb_runs_query){WHERE("band ~ 0.1")}, RB_ERR_USAGE,
                       NEEDLES("unknown operator '~'", "= != < <= > >="));
    expect_print_error(path, &(rb_runs_query){WHERE("band == 0.1")}, RB_ERR_USAGE, NEEDLES("unknown operator '=='"));
    expect_print_error(path, &(rb_runs_query){WHERE("band 0.1")}, RB_ERR_USAGE, NEEDLES("unknown operator"));
    expect_print_error(path, &(rb_runs_query){WHERE("band >")}, RB_ERR_USAGE, NEEDLES("no value"));
    expect_print_error(path, &(rb_runs_query){WHERE("> 3")}, RB_ERR_USAGE, NEEDLES("expected a column name", "'>'"));
    expect_print_error(path, &(rb_runs_query){WHERE("cagr > high")}, RB_ERR_USAGE,
                       NEEDLES("'cagr' holds numbers", "'high'"));
    expect_print_error(path, &(rb_runs_query){.sweep_id = 7}, RB_ERR_NOT_FOUND,
                       NEEDLES("no sweep 7", "latest is sweep 1"));

    /* A value that looks like SQL is just a value (quoted), or refused by the grammar. */
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("section = \"x' OR '1'='1\"")}, IDS());
    expect_ids(path, &(rb_runs_query){.top = 10, WHERE("band = \"0.1'; DROP TABLE runs; --\"")}, IDS());
    expect_print_error(path, &(rb_runs_query){WHERE("section = x' OR '1'='1")}, RB_ERR_USAGE,
                       NEEDLES("expected a column name", "''1'='1'"));
    expect_print_error(path, &(rb_runs_query){WHERE("band = 0.1'; DROP TABLE runs; --")}, RB_ERR_USAGE,
                       NEEDLES("'band' holds numbers", "0.1';"));
    sqlite3 *db = db_open(path);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs"), 6);
    sqlite3_close(db);

    /* An empty store, a missing file (not created). */
    char *empty = rbt_path(dir, "empty.db");
    marked_empty_store(empty);
    expect_print_error(empty, &(rb_runs_query){.top = 1}, RB_ERR_NOT_FOUND, NEEDLES("empty results store", empty));
    char *missing = rbt_path(dir, "missing.db");
    expect_print_error(missing, &(rb_runs_query){.top = 1}, RB_ERR_NOT_FOUND,
                       NEEDLES("no such results store", missing));
    cr_assert_neq(access(missing, F_OK), 0, "a query created %s", missing);
    free(missing);
    free(empty);
    free(path);
}

/* --where reads a grammar: comparisons, in (...), is [not] null, joined by and, or, not and
 * parentheses, keywords in any case; several --where must all hold. A comparison with a
 * parameter a run does not have (NULL) is false, so its negation holds. Whatever the grammar
 * cannot read is refused, naming the token; it never matches nothing silently. */
Test(runs, where_reads_and_or_not_parentheses_in_and_null)
{
    char *path = make_query_store(); /* by after_tax_value: 104 106 102 103 101 105 */
    expect_ids(path, &(rb_runs_query){WHERE("fee_bps = 10 and band = 0.02")}, IDS(103));
    expect_ids(path, &(rb_runs_query){WHERE("fee_bps = 10 or band = 0.25")}, IDS(106, 102, 103, 101));
    expect_ids(path, &(rb_runs_query){WHERE("not fee_bps = 10")}, IDS(104, 106, 105));
    expect_ids(path, &(rb_runs_query){WHERE("fee_bps in (5, 20)")}, IDS(104, 106, 105));
    expect_ids(path, &(rb_runs_query){WHERE("fee-bps not in (5,20)")}, IDS(102, 103, 101));
    expect_ids(path, &(rb_runs_query){WHERE("band is null")}, IDS(102, 101));
    expect_ids(path, &(rb_runs_query){WHERE("band is not null and not (band < 0.05 or band > 0.2)")}, IDS(104, 105));
    expect_ids(path, &(rb_runs_query){WHERE("(strategy = calendar or strategy = hybrid) and fee_bps >= 10")},
               IDS(106, 102, 101));
    expect_ids(path, &(rb_runs_query){WHERE("not band = 0.1")}, IDS(106, 102, 103, 101, 105));
    expect_ids(path, &(rb_runs_query){WHERE("strategy = threshold AND NOT section = 'threshold.mid'")},
               IDS(104, 103));
    expect_ids(path, &(rb_runs_query){WHERE("fee_bps = 10", "band is null or every = week")}, IDS(102, 101));
    /* and binds tighter than or */
    expect_ids(path, &(rb_runs_query){WHERE("band = 0.25 or fee_bps = 5 and band = 0.1")}, IDS(104, 106));

    expect_print_error(path, &(rb_runs_query){WHERE("fee_bps = abc")}, RB_ERR_USAGE,
                       NEEDLES("'fee_bps' holds numbers", "'abc'"));
    expect_print_error(path, &(rb_runs_query){WHERE("fee_bps = 10 and")}, RB_ERR_USAGE,
                       NEEDLES("expected a column name", "the end"));
    expect_print_error(path, &(rb_runs_query){WHERE("fee_bps = 10 band = 0.1")}, RB_ERR_USAGE,
                       NEEDLES("unexpected 'band'"));
    expect_print_error(path, &(rb_runs_query){WHERE("(fee_bps = 10")}, RB_ERR_USAGE, NEEDLES("expected ')'"));
    expect_print_error(path, &(rb_runs_query){WHERE("band in 0.1")}, RB_ERR_USAGE,
                       NEEDLES("expected '(' after in", "'0.1'"));
    expect_print_error(path, &(rb_runs_query){WHERE("band in (0.1 0.2)")}, RB_ERR_USAGE,
                       NEEDLES("expected ',' or ')'", "'0.2'"));
    expect_print_error(path, &(rb_runs_query){WHERE("band is 0.1")}, RB_ERR_USAGE, NEEDLES("expected null after is"));
    expect_print_error(path, &(rb_runs_query){WHERE("section = 'x")}, RB_ERR_USAGE, NEEDLES("never closed"));
    expect_print_error(path, &(rb_runs_query){WHERE("  ")}, RB_ERR_USAGE, NEEDLES("empty condition"));
    free(path);
}

/* --json: every column of every selected run as a JSON array of objects, one run per line, in
 * rank order; numbers as numbers (ids exact), words and per-asset values as strings,
 * undefined values null. Not together with --csv. */
Test(runs, json_has_every_column_typed_one_run_per_line)
{
    char *path = make_query_store(); /* by after_tax_value: 104 106 102 103 101 105 */
    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, &(rb_runs_query){.json = 1}, &text, &err), RB_OK,
                 "%s", err.msg);
    size_t len = strlen(text), lines = 0;
    for (const char *c = text; *c; c++) lines += *c == '\n';
    cr_assert(len > 4 && strncmp(text, "[{", 2) == 0 && strcmp(text + len - 3, "}]\n") == 0, "%s", text);
    cr_assert_eq(lines, 6, "one run per line: %s", text);
    const char *r104 = strstr(text, "\"config_id\": 104,"), *r106 = strstr(text, "\"config_id\": 106,"),
               *r105 = strstr(text, "\"config_id\": 105,");
    cr_assert(r104 && r106 && r105 && r104 < r106 && r106 < r105, "rank order 104 106 ... 105: %s", text);
    const char *want[] = {"\"section\": \"threshold.wide\"", "\"band\": 0.1,", "\"every\": null,",
                          "\"fee_bps\": 5,", "\"targets\": \"A=0.5,B=0.5\"", "\"every\": \"quarter\"",
                          "\"sharpe\": null,", "\"after_tax_value\": 1900,", "\"status\": \"ok\"",
                          "\"error\": null,", "\"sweep_id\": 1,", "\"targets\": null,", "\"fee_bps\": 20,"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect_not_null(strstr(text, want[i]), "lacks %s: %s", want[i], text);
    free(text);
    text = NULL;
    cr_assert_eq(print_query(path, &(rb_runs_query){.json = 1, .csv = 1}, &text, &err), RB_ERR_USAGE);
    cr_assert_not_null(strstr(err.msg, "--csv and --json"), "%s", err.msg);
    free(text);
    free(path);
}

/* A withdrawal plan that empties the portfolio: its run stores the date the money ran out
 * in depleted_on (NULL for the others); rebal runs shows it; a store written before the
 * column existed gets it at the next sweep. */
Test(runs, a_depleted_run_stores_the_date_its_money_ran_out)
{
    char *path = rbt_path(dir, "d.db");
    rb_error err = {0};
    rb_time when;
    cr_assert_eq(rb_time_parse("2005-01-03", NULL, &when, &err), RB_OK, "%s", err.msg);
    for (int sweep = 0; sweep < 2; sweep++) {
        rb_results *r = open_ok(path);
        const char *keys[] = {"contribution"};
        begin_ok(r, sweep ? "spec 2" : "spec 1", "h", 2, keys, 1, 0, NULL, NULL, NULL);
        for (int k = 0; k < 2; k++) {
            rb_sweep_kv p[1] = {{"contribution", k ? "-30000" : "-1000"}};
            rb_metrics met = {0};
            rb_result_row row = {.config_id = k, .section = "calendar", .strategy = "calendar", .params = p,
                                 .nparams = 1, .metrics = &met};
            size_t nm;
            const rb_metric_info *t = rb_metric_table(&nm);
            for (size_t m = 0; m < nm; m++) set_metric(&met, t[m].name, 1.0);
            set_metric(&met, "after_tax_value", k ? 0 : 5000);
            met.depleted = k;
            met.depleted_on = k ? when : 0;
            put_ok(r, &row);
        }
        end_ok(r, "done");
        rb_results_free(r);
        sqlite3 *db = db_open(path);
        char *on = query_text(db, "SELECT depleted_on FROM runs WHERE config_id = 1 ORDER BY sweep_id DESC");
        cr_assert_str_eq(on, "2005-01-03");
        free(on);
        cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE config_id = 0 AND depleted_on IS NULL"), sweep + 1);
        /* As a store of an older build: no depleted_on column (added back by the next sweep). */
        if (!sweep) exec_sql(db, "ALTER TABLE runs DROP COLUMN depleted_on");
        sqlite3_close(db);
    }
    char *text = NULL;
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 2}, &text, &err), RB_OK, "%s", err.msg);
    cr_assert_not_null(strstr(text, "depleted_on"), "%s", text);
    cr_assert_not_null(strstr(text, "2005-01-03"), "%s", text);
    free(text);
    free(path);
}

Test(runs, print_csv_has_every_column)
{
    char *path = make_query_store();
    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 2, .csv = 1, WHERE("band >= 0.1")}, &text, &err), RB_OK,
                 "%s", err.msg);
    char want[2048];
    size_t nm, o = 0;
    const rb_metric_info *t = rb_metric_table(&nm);
    o += (size_t)snprintf(want, sizeof want, "sweep_id,config_id,section,strategy,status,error,band,every,fee_bps,targets");
    for (size_t m = 0; m < nm; m++) o += (size_t)snprintf(want + o, sizeof want - o, ",%s", t[m].name);
    snprintf(want + o, sizeof want - o, ",depleted_on\n");
    cr_assert_eq(strncmp(text, want, strlen(want)), 0, "header:\n%s\nwant:\n%s", text, want);

    /* 104 then 106 (after_tax_value 1900, 1800); NULL is an empty field, a comma is quoted. */
    const char *line = text + strlen(want);
    const char *row1 = "1,104,threshold.wide,threshold,ok,,0.1,,5,,2000,0,0.09,0,0.9,";
    const char *row2 = "1,106,hybrid,hybrid,ok,,0.25,quarter,20,\"A=0.5,B=0.5\",1900,0,0.08,0,0.8,";
    cr_assert_eq(strncmp(line, row1, strlen(row1)), 0, "%s", line);
    line = strchr(line, '\n') + 1;
    cr_assert_eq(strncmp(line, row2, strlen(row2)), 0, "%s", line);
    line = strchr(line, '\n') + 1;
    cr_assert_str_eq(line, "");
    free(text);

    /* sharpe NULL for 103: an empty field. */
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 1, .csv = 1, WHERE("config_id = 103")}, &text, &err), RB_OK);
    cr_assert_not_null(strstr(text, "\n1,103,threshold.tight,threshold,ok,,0.02,,10,,1750,0,0.06,0,,"), "%s", text);
    free(text);
    free(path);
}

Test(runs, print_defaults_to_the_latest_sweep)
{
    char *path = make_query_store();
    rb_results *r = open_ok(path);
    begin_ok(r, "spec 2", "h", 1, NULL, 0, 0, NULL, NULL, NULL);
    put_ids(r, (const int64_t[]){777}, 1);
    end_ok(r, "interrupted");
    rb_results_free(r);
    expect_ids(path, &(rb_runs_query){.top = 10}, IDS(777));
    expect_ids(path, &(rb_runs_query){.top = 10, .sweep_id = 2}, IDS(777));
    expect_ids(path, &(rb_runs_query){.top = 1, .sweep_id = 1}, IDS(104));
    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 10}, &text, &err), RB_OK);
    cr_assert_not_null(strstr(text, "sweep 2 (interrupted): 1 of 1 configurations stored"), "%s", text);
    free(text);
    free(path);
}

/* Many parameters: only those that vary among the rows shown get a column. */
Test(runs, print_shows_the_parameters_that_vary)
{
    char *path = rbt_path(dir, "r.db");
    rb_results *r = open_ok(path);
    const char *keys[] = {"a", "b", "c", "d", "e"};
    begin_ok(r, "spec", "h", 3, keys, 5, 0, NULL, NULL, NULL);
    for (int64_t i = 0; i < 3; i++) {
        char v[8];
        snprintf(v, sizeof v, "%lld", (long long)i);
        rb_sweep_kv p[] = {{"a", "1"}, {"b", v}, {"c", "x"}, {"d", "y"}, {"e", "z"}};
        rb_metrics met = {0};
        rb_result_row row = {.config_id = i, .section = "s", .strategy = "calendar", .params = p, .nparams = 5,
                             .metrics = &met};
        set_metric(&met, "after_tax_value", (double)i);
        put_ok(r, &row);
    }
    end_ok(r, "done");
    rb_results_free(r);
    char *text = NULL;
    rb_error err = {0};
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 10}, &text, &err), RB_OK, "%s", err.msg);
    const char *header = strchr(text, '\n') + 1;
    cr_assert_not_null(strstr(header, "strategy  b  final_value"), "%s", text);
    cr_assert_not_null(strstr(text, "same in every row shown: a=1, c=x, d=y, e=z"), "%s", text);
    free(text);
    free(path);
}

/* ---------------------------------------------------------------- refusing other files */

static void expect_refused(const char *path, const char *needle)
{
    char *before = rbt_path(dir, "before.copy");
    rbt_copy_file(path, before);
    rb_results *r = NULL;
    rb_error err = {0};
    rb_status rc = rb_results_open(path, &r, &err);
    cr_assert_eq(rc, RB_ERR_SCHEMA, "%s: status %d: %s", path, rc, err.msg);
    cr_assert_null(r);
    cr_assert_not_null(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
    cr_assert_not_null(strstr(err.msg, path), "message '%s' does not name the file", err.msg);
    cr_assert_null(strchr(err.msg, '\n'));
    char *text = NULL;
    cr_assert_eq(print_query(path, &(rb_runs_query){.top = 1}, &text, &err), RB_ERR_SCHEMA, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
    free(text);
    cr_assert(rbt_same_bytes(path, before), "%s was modified", path);
    unlink(before);
    free(before);
}

/* The price store opened on a results store says what the file is and what reads it, for a
 * writable and a read-only open, and leaves it untouched. */
Test(runs, a_price_store_open_names_a_results_store_for_what_it_is)
{
    char *path = rbt_path(dir, "results.db");
    marked_empty_store(path);
    char *before = rbt_path(dir, "results.copy");
    rbt_copy_file(path, before);
    const unsigned flags[2] = {0, RB_STORE_READONLY};
    for (int i = 0; i < 2; i++) {
        rb_store *s = NULL;
        rb_error err = {0};
        cr_assert_eq(rb_store_open(path, flags[i], &s, &err), RB_ERR_SCHEMA, "%s", err.msg);
        cr_assert_null(s);
        cr_assert_not_null(strstr(err.msg, "a rebal results store, not a price store"), "%s", err.msg);
        cr_assert_not_null(strstr(err.msg, "'rebal runs' and 'rebal report'"), "%s", err.msg);
        cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
        cr_assert_null(strchr(err.msg, '\n'));
    }
    cr_assert(rbt_same_bytes(path, before), "%s was modified", path);
    free(before);
    free(path);
}

Test(runs, refuses_a_price_store_and_other_files_untouched)
{
    /* A price store with data. */
    char *prices = rbt_path(dir, "prices.db");
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(prices, 0, &s, &err), RB_OK, "%s", err.msg);
    cr_assert_eq(rb_store_begin(s, &err), RB_OK);
    exec_sql(s->db, "INSERT INTO assets(symbol) VALUES ('AAA');"
                    "INSERT INTO bars(asset_id, ts, close) VALUES (1, 0, 1)");
    cr_assert_eq(rb_store_commit(s, &err), RB_OK);
    rb_store_free(s);
    expect_refused(prices, "a rebal price store, not a results store");
    expect_refused(prices, "read by 'rebal assets', 'rebal run' and 'rebal sweep' as --db");

    char *text = rbt_write_file(dir, "notes.txt", "date,close\n2020-01-01,1\n");
    expect_refused(text, "not a SQLite database");
    char *shortf = rbt_write_file(dir, "short.db", "SQLite");
    expect_refused(shortf, "not a SQLite database");

    char *other = rbt_path(dir, "other.db");
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(other, &db), SQLITE_OK);
    exec_sql(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
    sqlite3_close(db);
    expect_refused(other, "another application");

    /* A results store from a newer rebal (this build reads up to version 4, with resamples). */
    char *newer = rbt_path(dir, "newer.db");
    marked_empty_store(newer);
    db = db_open(newer);
    exec_sql(db, "PRAGMA user_version = 5");
    sqlite3_close(db);
    expect_refused(newer, "newer rebal");

    /* Corrupt: a valid header, garbage after it. */
    char *corrupt = rbt_path(dir, "corrupt.db");
    FILE *f = fopen(corrupt, "wb");
    cr_assert_not_null(f);
    char page[8192];
    memset(page, 0x5a, sizeof page);
    memcpy(page, "SQLite format 3", 16);
    fwrite(page, 1, sizeof page, f);
    fclose(f);
    expect_refused(corrupt, "corrupt");

    free(prices);
    free(text);
    free(shortf);
    free(other);
    free(newer);
    free(corrupt);
}

Test(runs, adopts_an_empty_file_and_reopens_its_own)
{
    char *path = rbt_write_file(dir, "empty.db", "");
    rb_results *r = open_ok(path);
    begin_ok(r, "spec", "h", 1, NULL, 0, 0, NULL, NULL, NULL);
    put_ids(r, (const int64_t[]){1}, 1);
    end_ok(r, "done");
    rb_results_free(r);
    r = open_ok(path);
    rb_results_free(r);
    sqlite3 *db = db_open(path);
    cr_assert_eq(query_int(db, "PRAGMA application_id"), 0x72627273);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs"), 1);
    sqlite3_close(db);
    free(path);
}
