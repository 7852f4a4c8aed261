/* fault_stages.c - the small case of the fault-injection suite and its stages (fault_stages.h). */
#include "fault_stages.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"

/* ---------------------------------------------------------------- stores */

static void remove_store(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char *name = NULL;
        cr_assert(asprintf(&name, "%s%s", path, suffix[i]) > 0);
        unlink(name);
        free(name);
    }
}

/* path becomes a fresh copy of tpl (a closed store: there is no -wal to copy). */
static void restore(const char *tpl, const char *path)
{
    remove_store(path);
    rbt_copy_file(tpl, path);
}

char *fault_dump(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            fprintf(f, "%s%s", i ? "|" : "", v ? (const char *)v : "NULL");
        }
        fputc('\n', f);
    }
    sqlite3_finalize(st);
    fclose(f);
    if (rc != SQLITE_DONE) {
        free(text);
        return NULL;
    }
    return text;
}

int fault_untouched(const char *path, const char *tpl)
{
    if (!tpl) return 0;
    char *wal = NULL;
    cr_assert(asprintf(&wal, "%s-wal", path) > 0);
    struct stat sb;
    int no_log = stat(wal, &sb) != 0 || sb.st_size == 0;
    free(wal);
    return no_log && rbt_same_bytes(path, tpl);
}

/* ---------------------------------------------------------------- the small case */

/* A long CSV of `bars` daily bars of the symbols from day `from` on, prices from a fixed
 * random walk (volatile enough that rebalancing sells lots at gains and at losses). */
static char *prices_csv(const char *const *symbols, size_t n, int from, int bars)
{
    size_t cap = 1 << 16, len = 0;
    char *csv = malloc(cap);
    cr_assert_not_null(csv);
    len += (size_t)snprintf(csv + len, cap - len, "symbol,date,open,close,volume\n");
    for (size_t i = 0; i < n; i++) {
        double p = 50.0 + 25.0 * (double)i;
        uint64_t rng = 0x9E3779B97F4A7C15ull * (i + 1);
        for (int t = 0; t < from + bars; t++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            double u = (double)(rng >> 11) / 9007199254740992.0, open = p;
            p *= 1.0 + 0.12 * (u - 0.48);
            if (t < from) continue;
            char date[32];
            rb_time_format(1577836800 + (rb_time)t * 86400, date);
            len += (size_t)snprintf(csv + len, cap - len, "%s,%s,%.4f,%.4f,%d\n", symbols[i], date, open, p,
                                    1000 + t);
            cr_assert_lt(len, cap);
        }
    }
    return csv;
}


fault_case fault_the_case;

static void import_file(const char *store_path, const char *csv_path)
{
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(store_path, 0, &s, &err), RB_OK, "%s", err.msg);
    rb_import_options opt;
    rb_import_options_init(&opt);
    rb_import_stats st;
    cr_assert_eq(rb_import_files(s, (const char *const[]){csv_path}, 1, &opt, &st, &err), RB_OK, "%s", err.msg);
    rb_store_free(s);
}

static void sweep_into(const char *prices, const char *spec, const char *results)
{
    rb_store *s = NULL;
    rb_error err = {0};
    cr_assert_eq(rb_store_open(prices, RB_STORE_READONLY | RB_STORE_CACHE, &s, &err), RB_OK, "%s", err.msg);
    rb_sweep_options so = {.results = results, .threads = 1};
    rb_sweep_summary sum;
    cr_assert_eq(rb_sweep_run(s, spec, &so, &sum, &err), RB_OK, "%s", err.msg);
    rb_store_free(s);
}

/* SELECT of sweep A's rows in the columns its store has (sweep B adds the threshold's). */
static char *first_sweep_sql(const char *results)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(results, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *cols = fault_dump(db, "SELECT group_concat('\"' || name || '\"', ',') FROM pragma_table_info('runs')");
    cr_assert_not_null(cols);
    cols[strcspn(cols, "\n")] = '\0';
    sqlite3_close(db);
    char *sql = NULL;
    cr_assert(asprintf(&sql, "SELECT %s FROM runs WHERE sweep_id = 1 ORDER BY config_id", cols) > 0);
    free(cols);
    return sql;
}

void fault_make_case(const char *dir)
{
    fault_case *c = &fault_the_case;
    *c = (fault_case){
        .prices_tpl = rbt_path(dir, "prices.tpl.db"),
        .cached_tpl = rbt_path(dir, "cached.tpl.db"),
        .results_tpl = rbt_path(dir, "results.tpl.db"),
        .prices = rbt_path(dir, "prices.db"),
        .results = rbt_path(dir, "results.db"),
        .keep = rbt_path(dir, "keep"),
        .report = rbt_path(dir, "report"),
    };
    char *first = prices_csv((const char *const[]){"A", "B", "C"}, 3, 0, 40);
    c->csv_first = rbt_write_file(dir, "first.csv", first);
    import_file(c->prices_tpl, c->csv_first);
    char *d = prices_csv((const char *const[]){"D"}, 1, 0, 30), *a = prices_csv((const char *const[]){"A"}, 1, 40, 5);
    char *more = NULL;
    cr_assert(asprintf(&more, "%s%s", d, strchr(a, '\n') + 1) > 0);
    c->csv_more = rbt_write_file(dir, "more.csv", more);
    c->sweep_a = rbt_write_file(dir, "a.ini",
                                "[data]\nassets = A=0.4,B=0.3,C=0.3\n[costs]\nfee-bps = 0, 10\n"
                                "[tax]\ntax-short = 0.3\ntax-long = 0.15\nlong-term-days = 20\n"
                                "[buy-and-hold]\n[calendar]\nevery = week\n");
    c->sweep_b = rbt_write_file(dir, "b.ini",
                                "[data]\nassets = A=0.4,B=0.3,C=0.3\n[costs]\nfee-bps = 5, 20\n"
                                "[tax]\ntax-short = 0.3\ntax-long = 0.15\nlong-term-days = 20\n"
                                "[buy-and-hold]\n[threshold]\nband = 0.02, 0.05\n");
    rbt_copy_file(c->prices_tpl, c->cached_tpl);
    sweep_into(c->cached_tpl, c->sweep_a, c->results_tpl);
    c->first_sweep_sql = first_sweep_sql(c->results_tpl);
    free(first), free(d), free(a), free(more);
}

void fault_free_case(void)
{
    fault_case *c = &fault_the_case;
    char *p[] = {c->prices_tpl, c->cached_tpl, c->results_tpl, c->prices,  c->results,        c->keep,
                 c->report,     c->csv_first, c->csv_more,   c->sweep_a,     c->sweep_b, c->first_sweep_sql};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) free(p[i]);
}

/* ---------------------------------------------------------------- the stages */

static const char bars_sql[] = "SELECT a.symbol, b.ts, b.open, b.high, b.low, b.close, b.volume FROM bars b "
                               "JOIN assets a ON a.id = b.asset_id ORDER BY a.symbol, b.ts";
static const char second_sweep_sql[] = "SELECT * FROM runs WHERE sweep_id = 2 ORDER BY config_id";


/* -- create: the first file into a new store; import: a second file into a store holding
 * three assets and their bar cache (rebal import). */

static rb_status import_into(const char *store, const char *csv, FILE *out, rb_error *err)
{
    rb_store *s = NULL;
    rb_status rc = rb_store_open(store, 0, &s, err);
    if (rc != RB_OK) return rc;
    rb_import_options opt;
    rb_import_options_init(&opt);
    rb_import_stats st = {0};
    rc = rb_import_files(s, (const char *const[]){csv}, 1, &opt, &st, err);
    rb_store_free(s);
    if (rc == RB_OK)
        fprintf(out, "%zu rows, %zu added, %zu unchanged, %zu replaced, %zu assets\n", st.rows, st.bars_added,
                st.bars_unchanged, st.bars_replaced, st.assets_added);
    return rc;
}

static rb_status create_act(const fault_case *c, FILE *out, rb_error *err)
{
    return import_into(c->prices, c->csv_first, out, err);
}

static rb_status import_act(const fault_case *c, FILE *out, rb_error *err)
{
    return import_into(c->prices, c->csv_more, out, err);
}

/* -- run: one configuration with taxes, every output (rebal run --curve --trades --lots --json). */

static const char *const run_settings[] = {
    "assets",   "A=0.4,B=0.3,C=0.3", "strategy", "threshold", "band",           "0.03", "fee-bps", "10", "tax-short",
    "0.3",      "tax-long",          "0.15",     "tax-lots",  "hifo",           "long-term-days",   "20",
    NULL,
};

static rb_status run_act(const fault_case *c, FILE *out, rb_error *err)
{
    rb_store *s = NULL;
    rb_status rc = rb_store_open(c->prices, RB_STORE_READONLY, &s, err);
    if (rc != RB_OK) return rc;
    rb_run_spec *spec = NULL;
    rb_run_result *res = NULL;
    size_t n = 0;
    if ((rc = rb_run_spec_new(&spec, err)) == RB_OK)
        for (; run_settings[2 * n] && rc == RB_OK; n++)
            rc = rb_run_spec_set(spec, run_settings[2 * n], run_settings[2 * n + 1], err);
    if (rc == RB_OK) rc = rb_run(s, spec, RB_KEEP_CURVE | RB_KEEP_TRADES | RB_KEEP_LOTS, &res, err);
    if (rc == RB_OK) rc = rb_run_describe(res, run_settings, n, err);
    if (rc == RB_OK) rc = rb_run_write_curve(res, out, err);
    if (rc == RB_OK) rc = rb_run_write_trades(res, out, err);
    if (rc == RB_OK) rc = rb_run_write_lots(res, out, err);
    if (rc == RB_OK) rc = rb_run_write_json(res, out, err);
    rb_run_result_free(res);
    rb_run_spec_free(spec);
    rb_store_free(s);
    return rc;
}

/* -- sweep: sweep B (taxes, a threshold rule) on a store without a bar cache (the sweep adds
 * it) into a results store holding sweep A, its best runs printed as the CLI prints them once
 * it is recorded (rebal sweep --keep best:1). */

static rb_status print_recorded(void *ctx, const rb_sweep_summary *sum, const rb_sweep_recorded *rec, rb_error *err)
{
    FILE *out = ctx;
    fprintf(out, "%llu configurations, %llu ran, %llu failed, %zu kept\n", (unsigned long long)sum->configurations,
            (unsigned long long)sum->ran, (unsigned long long)sum->failed, sum->kept);
    rb_runs_query q = {.top = 5, .by = "after_tax_value"};
    return rb_runs_print_recorded(rec, &q, out, err);
}

/* A file of dir, into out. */
static void put_file(FILE *out, const char *dir_path, const char *name)
{
    char *path = rbt_path(dir_path, name);
    char *text = rbt_read_file(path, NULL);
    fprintf(out, "-- %s\n%s", name, text ? text : "(missing)\n");
    free(text);
    free(path);
}

/* Every file of dir, by name, into out. */
static void put_dir(FILE *out, const char *dir_path)
{
    struct dirent **names = NULL;
    int n = scandir(dir_path, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') put_file(out, dir_path, names[i]->d_name);
        free(names[i]);
    }
    free(names);
}

static rb_status sweep_act(const fault_case *c, FILE *out, rb_error *err)
{
    rb_store *s = NULL;
    rb_status rc = rb_store_open(c->prices, RB_STORE_READONLY | RB_STORE_CACHE, &s, err);
    if (rc != RB_OK) return rc;
    rb_sweep_options opt = {.results = c->results,
                            .threads = 1, /* one order of allocations, the same in every pass */
                            .keep = "best:1",
                            .keep_dir = c->keep,
                            .on_recorded = print_recorded,
                            .ctx = out};
    rb_sweep_summary sum = {0};
    rc = rb_sweep_run(s, c->sweep_b, &opt, &sum, err);
    rb_store_free(s);
    if (rc == RB_OK) put_dir(out, c->keep);
    return rc;
}

/* -- report: the latest sweep of a results store (rebal report), charts on (their data and
 * scripts; gnuplot is not on PATH here). */

static rb_status report_act(const fault_case *c, FILE *out, rb_error *err)
{
    rb_store *s = NULL;
    rb_status rc = rb_store_open(c->prices, RB_STORE_READONLY, &s, err);
    if (rc != RB_OK) return rc;
    rb_report_options opt = {.out_dir = c->report};
    rb_report_summary sum = {0};
    rc = rb_report_sweep(s, c->results, &opt, &sum, err);
    rb_store_free(s);
    if (rc == RB_OK) {
        fprintf(out, "%llu configurations, best %s, %zu charts drawn, missing %s, failed %s\n",
                (unsigned long long)sum.configurations, sum.best, sum.charts_drawn, sum.missing, sum.failed);
        put_file(out, c->report, "summary.csv");
        put_file(out, c->report, "trades.csv");
        put_file(out, c->report, "curves/equity.csv");
        put_file(out, c->report, "charts/equity.dat");
    }
    return rc;
}

static const char *const bars_query = bars_sql, *const second_sweep_query = second_sweep_sql;

const fault_stage fault_stages[] = {
    {"create", create_act, {{&fault_the_case.prices, NULL, {{&bars_query, 0}}}}, NULL},
    {"import", import_act, {{&fault_the_case.prices, &fault_the_case.cached_tpl, {{&bars_query, 0}}}}, NULL},
    {"run", run_act, {{&fault_the_case.prices, &fault_the_case.cached_tpl, {{&bars_query, 0}}}}, NULL},
    {"sweep",
     sweep_act,
     {{&fault_the_case.prices, &fault_the_case.prices_tpl, {{&bars_query, 0}}},
      {&fault_the_case.results,
       &fault_the_case.results_tpl,
       {{(const char *const *)&fault_the_case.first_sweep_sql, 0}, {&second_sweep_query, 1}}}},
     &fault_the_case.keep},
    {"report",
     report_act,
     {{&fault_the_case.prices, &fault_the_case.cached_tpl, {{&bars_query, 0}}},
      {&fault_the_case.results, &fault_the_case.results_tpl, {{(const char *const *)&fault_the_case.first_sweep_sql, 0}}}},
     &fault_the_case.report},
};


void fault_prepare(const fault_stage *st)
{
    for (size_t s = 0; s < FAULT_STORES && st->store[s].path; s++) {
        if (st->store[s].tpl) restore(*st->store[s].tpl, *st->store[s].path);
        else remove_store(*st->store[s].path);
    }
    if (st->empty_dir) rbt_rmtree(*st->empty_dir);
}

const size_t fault_nstages = sizeof fault_stages / sizeof fault_stages[0];
