/* sweep_run.c - running a sweep: the specification, the dataset it names, the results
 * store (resume included), and the batch simulator between them (rebal.h: rb_sweep_plan,
 * rb_sweep_run). A configuration that fails is stored as a failed row and the others go on. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "dataset_hash.h"
#include "sweep_inputs.h"
#include "error.h"
#include "metrics.h"
#include "oos.h"
#include "resolve.h"
#include "resample/resample.h"
#include "results/reader.h"
#include "results/writer.h"
#include "store.h"
#include "sweep.h"
#include "sweep_exec.h"
#include "sweep_side.h"
#include "text.h"
#include "alloc.h"

typedef struct sweep_ctx {
    const rb_sweep *sweep;
    side_job *side; /* the spare thread's work (its bonus: side_bonus_of), or NULL */
    rb_results *results; /* NULL: rows go to on_row only */
    const rb_sweep_options *opt;
    size_t maxkeys;
    const int64_t *ids; /* configuration k's id (list_ids), or NULL: computed for its row */
    char exec_note[sizeof ((rb_metrics *)0)->exec_note]; /* the first configuration's that has one */
    uint64_t failed;      /* configurations that failed in this call */
    uint64_t first_failed; /* the index of the first of them (the lowest) */
    char failure[sizeof ((rb_sweep_summary *)0)->failure]; /* its message, with its id and section */
} sweep_ctx;

/* Configuration index -> run spec: the values parsed once, borrowed from the sweep. */
static rb_status spec_of(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    (void)err;
    const sweep_ctx *sc = ctx;
    rb_sweep_fill(sc->sweep, k, spec);
    return RB_OK;
}

/* Configuration k's id: from the sweep's list when it has one, else hashed now. */
static int64_t id_of(const sweep_ctx *sc, uint64_t k)
{
    return sc->ids ? sc->ids[k] : rb_sweep_config_id(sc->sweep, k);
}

/* Configuration k's row: its metrics, or (m NULL) its failure. */
static rb_status store_row(sweep_ctx *sc, uint64_t k, const rb_metrics *m, const char *error, rb_error *err)
{
    rb_sweep_kv stack[64], *kv = sc->maxkeys <= 64 ? stack : rb_malloc(sc->maxkeys * sizeof *kv);
    if (!kv) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    const char *section, *strategy;
    size_t n = rb_sweep_config(sc->sweep, k, &section, &strategy, kv, sc->maxkeys);
    rb_result_row row = {.config_id = id_of(sc, k),
                         .section = section,
                         .strategy = strategy,
                         .params = kv,
                         .nparams = n,
                         .error = error,
                         .metrics = m};
    rb_status rc = RB_OK;
    if (sc->opt && sc->opt->on_row) {
        rb_sweep_row out = {.index = k, .config_id = row.config_id, .section = section, .strategy = strategy,
                            .params = kv, .nparams = n, .metrics = m, .error = error};
        rc = sc->opt->on_row(sc->opt->ctx, &out, err);
    }
    if (rc == RB_OK && sc->results) rc = rb_results_put(sc->results, &row, err);
    if (kv != stack) free(kv);
    return rc;
}

static rb_status store_result(void *ctx, uint64_t k, const rb_metrics *m, rb_error *err)
{
    sweep_ctx *sc = ctx;
    if (m->exec_note[0]) {
        /* Every configuration's note is the same sentence about the same data. */
#pragma omp critical(rb_sweep_exec_note)
        if (!sc->exec_note[0]) memcpy(sc->exec_note, m->exec_note, sizeof sc->exec_note);
    }
    return store_row(sc, k, m, NULL, err);
}

static rb_status store_failure(void *ctx, uint64_t k, const rb_error *why, rb_error *err)
{
    sweep_ctx *sc = ctx;
    /* The first by index, whichever thread met it first: the same message on every run. */
#pragma omp critical(rb_sweep_failure)
    {
        if (!sc->failed++ || k < sc->first_failed) {
            const char *section;
            rb_sweep_config(sc->sweep, k, &section, NULL, NULL, 0);
            snprintf(sc->failure, sizeof sc->failure, "config %lld [%.60s]: %.400s", (long long)id_of(sc, k),
                     section, why->msg);
            sc->first_failed = k;
        }
    }
    return store_row(sc, k, NULL, why->msg, err);
}

/* The sweep, its dataset and the estimate. */
typedef struct prepared {
    rb_sweep *sweep;
    int borrowed; /* the sweep belongs to the caller */
    rb_run_spec data_spec; /* borrowed from the sweep */
    rb_matrix *m;
    rb_sweep_estimate est;
} prepared;

static void prepared_release(prepared *p)
{
    rb_matrix_free(p->m);
    if (!p->borrowed) rb_sweep_free(p->sweep);
    memset(p, 0, sizeof *p);
}

/* The sweep of spec_path, or (given) a sweep parsed already, its dataset and estimate. */
static rb_status prepare(rb_store *prices, const char *spec_path, const rb_sweep *given, int threads, prepared *p,
                         rb_error *err)
{
    memset(p, 0, sizeof *p);
    rb_status rc = RB_OK;
    if (given) p->sweep = (rb_sweep *)given, p->borrowed = 1;
    else rc = rb_sweep_parse_file(spec_path, &p->sweep, err);
    if (rc != RB_OK) return rc;
    sweep_ctx sc = {.sweep = p->sweep, .maxkeys = rb_sweep_max_keys(p->sweep)};
    /* The dataset: the [data] settings (with the first configuration's rule). */
    rc = spec_of(&sc, 0, &p->data_spec, err);
    if (rc == RB_OK) rc = rb_resolve_matrix(prices, &p->data_spec, &p->m, err);
    /* A calendar the metrics would refuse is refused before anything is stored. */
    if (rc == RB_OK)
        rc = rb_metrics_check_periods(p->m->time, p->m->T, p->m->periods_per_year, p->m->periods_inferred,
                                      p->m->periods_source, err);
    if (rc != RB_OK) {
        rb_error_prefix(err, "%s", spec_path);
        return rc;
    }
    const rb_matrix *m = p->m;
    int n = threads > 0 ? threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    uint64_t K = rb_sweep_count(p->sweep);
    /* Memory: the matrix and its derived arrays, a block of state and its configurations'
     * scratch per thread, the writer's queue, and 16 bytes per configuration (ids). */
    double cells = (double)m->T * (double)m->N;
    /* per configuration of a block: its structure-of-arrays columns (3 per asset) and
     * rebalance lanes (15 per asset, 16 more), 40 statistics, and its scratch (9 per asset) */
    double block = (double)RB_BATCH_CAP * ((double)m->N * 18 * 8 + 56 * 8 + (double)m->N * 16 * 8 + 4096) +
                   3 * cells * 8;
    p->est = (rb_sweep_estimate){
        .configurations = K,
        .bars = m->T,
        .assets = m->N,
        .memory_bytes = cells * 8 * 6 + n * block + 4096.0 * 512 + (double)K * 16 + 32e6,
        .available_bytes = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE),
        /* Per thread, about 3 ns per configuration x asset x bar and 20 us per configuration
         * (its setup and its row in the results store), as measured on a 2-core machine:
         * 100,000 configurations of 3 assets x 1,461 bars take 1.8 s on 2 threads. */
        .seconds = (double)K * (cells * 3e-9 + 20e-6) / n,
        .threads = n,
    };
    return RB_OK;
}

static double now_seconds(void);

/* The estimated length under which a sweep is brief (rb_results_brief). */
#define BRIEF_SWEEP_SECONDS 1.0

/* The sample's results are only counted: nothing is stored. */
static rb_status sample_result(void *ctx, uint64_t k, const rb_metrics *m, rb_error *err)
{
    (void)ctx, (void)k, (void)m, (void)err;
    return RB_OK;
}

static rb_status sample_failure(void *ctx, uint64_t k, const rb_error *why, rb_error *err)
{
    (void)ctx, (void)k, (void)why, (void)err;
    return RB_OK;
}

#define SAMPLE_SIZE (4 * RB_BATCH_BLOCK) /* configurations timed */
#define WARM_SIZE 32                    /* run first, untimed: caches, first touches */
#define ROW_SECONDS 4e-6 /* the writer thread's cost of one results row, beside the simulation */
#define FIXED_SECONDS 0.03 /* the results store opened, written and closed, the process's end */

/* The time estimate from the real thing: SAMPLE_SIZE configurations taken at an even stride
 * over the sweep (so every section, and every value of its parameters, is met in
 * proportion), run on one thread and timed after a short untimed warm-up (the run-wide
 * inputs, the first touches of memory), then scaled to every configuration over the threads
 * (the batch keeps them busy: its blocks are independent). A sweep no larger than the
 * sample is simply run. */
static rb_status sampled_seconds(rb_store *prices, prepared *p, double *seconds, rb_error *err)
{
    uint64_t K = p->est.configurations, n = K < SAMPLE_SIZE ? K : SAMPLE_SIZE;
    uint64_t queue[SAMPLE_SIZE];
    for (uint64_t i = 0; i < n; i++) queue[i] = i * K / n;
    sweep_ctx sc = {.sweep = p->sweep, .maxkeys = rb_sweep_max_keys(p->sweep)};
    rb_batch_options bo = {.threads = 1, .block = RB_BATCH_BLOCK, .failed = sample_failure};
    uint64_t completed = 0;
    rb_status rc = rb_batch_run(prices, p->m, queue, (size_t)(n < WARM_SIZE ? n : WARM_SIZE), spec_of, sample_result,
                                &sc, &bo, &completed, err);
    double t0 = now_seconds();
    if (rc == RB_OK) rc = rb_batch_run(prices, p->m, queue, (size_t)n, spec_of, sample_result, &sc, &bo, &completed, err);
    double took = now_seconds() - t0;
    if (rc != RB_OK || completed == 0) return rc;
    *seconds = (double)K * (took / (double)completed + ROW_SECONDS) / p->est.threads;
    return RB_OK;
}

rb_status rb_sweep_plan(rb_store *prices, const char *spec_path, int threads, rb_sweep_estimate *out, rb_error *err)
{
    prepared p;
    double t0 = now_seconds();
    rb_status rc = prepare(prices, spec_path, NULL, threads, &p, err);
    /* What every sweep pays besides its configurations: reading the file and the prices
     * (timed here), the results store and the writer (FIXED_SECONDS). */
    double fixed = now_seconds() - t0 + FIXED_SECONDS;
    if (rc == RB_OK && p.est.memory_bytes <= 0.8 * p.est.available_bytes)
        rc = sampled_seconds(prices, &p, &p.est.seconds, err);
    p.est.seconds += fixed;
    if (rc == RB_OK) *out = p.est;
    prepared_release(&p);
    return rc;
}

/* Writes one result file of configuration `id` into dir. */
static rb_status write_kept(const char *dir, const char *base, const char *suffix,
                            rb_status (*writer)(const rb_run_result *, FILE *, rb_error *), const rb_run_result *r,
                            rb_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, base, suffix);
    FILE *f = fopen(path, "w");
    if (!f) return rb_fail(err, RB_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    rb_status rc = writer(r, f, err);
    if (rc != RB_OK) rb_error_prefix(err, "%s", path);
    int werr = rb_stream_close(f);
    if (werr && rc == RB_OK) rc = rb_fail(err, RB_ERR_IO, "%s: write failed: %s", path, strerror(werr));
    return rc;
}

/* A kept configuration's file name, without suffix: its section and parameters, shortened,
 * then its id (what makes it unique): "threshold.band=0.05.fee-bps=10.1234567890123456789". */
static void kept_base(const char *section, const rb_sweep_kv *kv, size_t n, int64_t id, char *buf, size_t len)
{
    char raw[96], part[96];
    int w = snprintf(raw, sizeof raw, "%s", section);
    size_t o = w < 0 ? 0 : (size_t)w < sizeof raw ? (size_t)w : sizeof raw - 1;
    for (size_t i = 0; i < n && o < 72; i++) { /* shortened: the id tells them apart */
        w = snprintf(raw + o, sizeof raw - o, ".%s=%s", kv[i].key, kv[i].value);
        o = w < 0 ? o : o + (size_t)w < sizeof raw ? o + (size_t)w : sizeof raw - 1;
    }
    rb_safe_file_name(raw, "=+", part, sizeof part);
    snprintf(buf, len, "%s.%lld", part, (long long)id);
}

/* Tells the run what it is (rb_run_describe): the [data] settings, the strategy, and
 * configuration k's own settings, as the sweep file wrote them. */
static rb_status describe_kept(rb_run_result *r, const rb_sweep *sweep, const char *strategy, const rb_sweep_kv *kv,
                               size_t n, rb_error *err)
{
    const rb_sweep_kv *data;
    size_t nd = rb_sweep_data(sweep, &data), m = 0;
    const char **pairs = rb_malloc(2 * (nd + n + 1) * sizeof *pairs);
    if (!pairs) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < nd; i++) pairs[m++] = data[i].key, pairs[m++] = data[i].value;
    pairs[m++] = "strategy", pairs[m++] = strategy;
    for (size_t i = 0; i < n; i++) pairs[m++] = kv[i].key, pairs[m++] = kv[i].value;
    rb_status rc = rb_run_describe(r, pairs, m / 2, err);
    free(pairs);
    return rc;
}

/* The ids --keep selects: the best N of sweep sweep_id by a metric, or a list of ids. */
static rb_status keep_ids(const char *keep, const char *results, int64_t sweep_id, int64_t **ids, size_t *n,
                          rb_error *err)
{
    if (strncmp(keep, "best:", 5) == 0) {
        char *end;
        errno = 0;
        long count = strtol(keep + 5, &end, 10);
        const char *by = *end == ':' ? end + 1 : "after_tax_value";
        if (end == keep + 5 || (*end && *end != ':') || errno || count < 1 || count > 100000)
            return rb_fail(err, RB_ERR_USAGE, "--keep: '%s' is not best:N or best:N:METRIC with N from 1 to 100000",
                           keep);
        if (!results) return RB_OK; /* syntax check only */
        return rb_results_best(results, sweep_id, by, (size_t)count, ids, n, err);
    }
    size_t cap = 1;
    for (const char *p = keep; *p; p++) cap += *p == ',';
    int64_t *out = rb_malloc(cap * sizeof *out);
    if (!out) return rb_fail(err, RB_ERR_NOMEM, "out of memory");
    size_t got = 0;
    for (const char *p = keep; *p;) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 0 || (*end && *end != ',')) {
            free(out);
            return rb_fail(err, RB_ERR_USAGE, "--keep: '%s' is not best:N, best:N:METRIC or a list of config ids",
                           keep);
        }
        out[got++] = v;
        p = *end ? end + 1 : end;
    }
    *ids = out;
    *n = got;
    return RB_OK;
}

/* Checks --keep before any work: its syntax, the metric, and that listed ids are in the
 * sweep, so a typo does not cost a whole sweep. */
static rb_status check_keep(const char *keep, const int64_t *ids, uint64_t K, rb_error *err)
{
    if (strncmp(keep, "best:", 5) == 0) {
        const char *colon = strchr(keep + 5, ':');
        if (!colon) return RB_OK; /* the count is checked by keep_ids */
        size_t nm;
        const rb_metric_info *table = rb_metric_table(&nm);
        for (size_t k = 0; k < nm; k++)
            if (strcmp(table[k].name, colon + 1) == 0) return RB_OK;
        char hint[96];
        return rb_fail(err, RB_ERR_USAGE, "--keep: '%s' is not a metric%s (see 'rebal help metrics')", colon + 1,
                       rb_results_metric_hint(colon + 1, hint, sizeof hint));
    }
    int64_t *want = NULL;
    size_t n = 0;
    rb_status rc = keep_ids(keep, NULL, 0, &want, &n, err);
    for (size_t w = 0; w < n && rc == RB_OK; w++) {
        uint64_t k = 0;
        while (k < K && ids[k] != want[w]) k++;
        if (k == K) rc = rb_fail(err, RB_ERR_USAGE, "--keep: no configuration of this sweep has the id %lld",
                                 (long long)want[w]);
    }
    free(want);
    return rc;
}

/* Replays the kept configurations with the reference simulator and writes their files. */
static rb_status keep_runs(rb_store *prices, const prepared *p, const int64_t *ids, const rb_sweep_options *opt,
                           int64_t sweep_id, size_t *kept, rb_error *err)
{
    int64_t *want = NULL;
    size_t nwant = 0;
    rb_status rc = keep_ids(opt->keep, opt->results, sweep_id, &want, &nwant, err);
    if (rc != RB_OK) return rc;
    const char *dir = opt->keep_dir ? opt->keep_dir : "rebal-keep";
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) rc = rb_fail(err, RB_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    sweep_ctx sc = {.sweep = p->sweep, .maxkeys = rb_sweep_max_keys(p->sweep)};
    uint64_t K = p->est.configurations;
    for (size_t w = 0; w < nwant && rc == RB_OK; w++) {
        uint64_t k = 0;
        while (k < K && ids[k] != want[w]) k++;
        if (k == K) {
            rc = rb_fail(err, RB_ERR_USAGE, "--keep: no configuration of this sweep has the id %lld", (long long)want[w]);
            break;
        }
        rb_run_spec spec; /* borrowed from the sweep */
        rb_run_result *r = NULL;
        rb_sweep_kv *kv = rb_malloc((sc.maxkeys ? sc.maxkeys : 1) * sizeof *kv);
        const char *section, *strategy;
        size_t nkv = kv ? rb_sweep_config(p->sweep, k, &section, &strategy, kv, sc.maxkeys) : 0;
        char base[160];
        if (!kv) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory");
        else kept_base(section, kv, nkv, want[w], base, sizeof base);
        if (rc == RB_OK) rc = spec_of(&sc, k, &spec, err);
        if (rc == RB_OK) rc = rb_run(prices, &spec, RB_KEEP_CURVE | RB_KEEP_TRADES | RB_KEEP_LOTS, &r, err);
        if (rc == RB_OK) rc = describe_kept(r, p->sweep, strategy, kv, nkv, err);
        if (rc == RB_OK) rc = write_kept(dir, base, "curve.csv", rb_run_write_curve, r, err);
        if (rc == RB_OK) rc = write_kept(dir, base, "trades.csv", rb_run_write_trades, r, err);
        if (rc == RB_OK) rc = write_kept(dir, base, "lots.csv", rb_run_write_lots, r, err);
        if (rc == RB_OK) rc = write_kept(dir, base, "json", rb_run_write_json, r, err);
        if (rc == RB_OK) ++*kept;
        rb_run_result_free(r);
        free(kv);
    }
    free(want);
    return rc;
}

/* The batch asks for the bonus once a configuration needs it (rb_batch_options.bonus_of):
 * by then the spare thread has long finished it, where waiting before the first block
 * waited for the thread's start and the bonus (0.4 ms of the 1,000-band command, more when
 * the second core is slow to wake). */
static double side_bonus_of(void *ctx)
{
    sweep_ctx *sc = ctx;
    sweep_side_join(sc->side);
    return sc->side->bonus;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The queue's runner: the batch simulator, or the caller's (rb_sweep_run_exec). */
typedef struct executor {
    rb_sweep_exec_fn fn; /* NULL: rb_batch_run */
    void *ctx;
} executor;

static rb_status sweep_run(rb_store *prices, const char *spec_path, const rb_sweep *given, const rb_sweep_options *opt,
                           const executor *ex, rb_sweep_summary *out, rb_error *err);

rb_status rb_sweep_run(rb_store *prices, const char *spec_path, const rb_sweep_options *opt, rb_sweep_summary *out,
                       rb_error *err)
{
    return sweep_run(prices, spec_path, NULL, opt, NULL, out, err);
}

rb_status rb_sweep_run_exec(rb_store *prices, const char *spec_path, const rb_sweep_options *opt, rb_sweep_exec_fn exec,
                            void *exec_ctx, rb_sweep_summary *out, rb_error *err)
{
    executor ex = {.fn = exec, .ctx = exec_ctx};
    return sweep_run(prices, spec_path, NULL, opt, &ex, out, err);
}

rb_status rb_sweep_run_parsed(rb_store *prices, const rb_sweep *sweep, const char *name, const rb_sweep_options *opt,
                              rb_sweep_summary *out, rb_error *err)
{
    if (!sweep) return rb_fail(err, RB_ERR_USAGE, "rb_sweep_run_parsed: no sweep");
    return sweep_run(prices, name ? name : "sweep", sweep, opt, NULL, out, err);
}

/* Refuses options that need a results store when there is none (rows to on_row only). */
static rb_status check_storeless(const rb_sweep_options *opt, rb_error *err)
{
    if (opt->results) return RB_OK;
    if (!opt->on_row) return rb_fail(err, RB_ERR_USAGE, "a sweep needs a results store (or a row callback)");
    if (opt->resume || opt->keep || opt->resample)
        return rb_fail(err, RB_ERR_USAGE, "%s needs a results store",
                       opt->resume ? "resume" : opt->keep ? "keep" : "resample");
    return RB_OK;
}

/* An out-of-sample test needs a results store to keep it; its options are checked first. */
static rb_status check_oos(const rb_sweep_options *opt, rb_error *err)
{
    if (!opt->results)
        return rb_fail(err, RB_ERR_USAGE, "%s needs a results store", opt->oos->split ? "--split" : "--walk-forward");
    return rb_oos_check(opt->oos, err);
}

/* The test's windows, before anything runs: a test longer than the data is refused at once. */
static rb_status check_windows(const rb_sweep_options *opt, const prepared *p, const char *spec_path, rb_error *err)
{
    rb_oos_plan plan;
    rb_status rc = rb_oos_plan_make(opt->oos, p->m->time, p->m->T, &plan, err);
    if (rc == RB_OK) rb_oos_plan_free(&plan);
    else rb_error_prefix(err, "%s", spec_path);
    return rc;
}

/* The sweep is complete: its out-of-sample test, found in the store or run and stored. Ctrl-C
 * during it leaves the sweep complete and the test unstored (sum->interrupted; run again). */
static rb_status run_oos(rb_store *prices, const prepared *p, const rb_sweep_options *opt, rb_results *results,
                         rb_sweep_summary *sum, rb_error *err)
{
    rb_oos_job job = {.prices = prices, .sweep = p->sweep, .data_spec = &p->data_spec, .m = p->m,
                      .threads = p->est.threads, .stop = opt->stop};
    rb_status rc = rb_oos_sweep(&job, opt->oos, results, sum->sweep_id, &sum->oos_id, &sum->oos_found, err);
    if (rc != RB_OK && err && strcmp(err->msg, "interrupted") == 0) {
        sum->interrupted = 1;
        err->msg[0] = '\0';
        rc = RB_OK;
    }
    return rc;
}

/* Buy-and-hold of the [data] assets and weights, no costs: the resample's benchmark. */
static rb_status benchmark_spec(const rb_sweep *sweep, rb_run_spec **out, rb_error *err)
{
    const rb_sweep_kv *data;
    size_t nd = rb_sweep_data(sweep, &data);
    rb_run_spec *spec = NULL;
    rb_status rc = rb_run_spec_new(&spec, err);
    for (size_t i = 0; i < nd && rc == RB_OK; i++) rc = rb_run_spec_set(spec, data[i].key, data[i].value, err);
    if (rc == RB_OK) rc = rb_run_spec_set(spec, "strategy", "buy-and-hold", err);
    if (rc != RB_OK) {
        rb_run_spec_free(spec);
        return rc;
    }
    *out = spec;
    return RB_OK;
}

/* --resample: every configuration on every resampled history, the distributions stored. */
static rb_status resample_stage(rb_store *prices, const prepared *p, const int64_t *ids, const rb_sweep_options *opt,
                                rb_results *results, rb_sweep_summary *sum, rb_error *err)
{
    rb_run_spec *bench = NULL;
    rb_status rc = benchmark_spec(p->sweep, &bench, err);
    sweep_ctx sc = {.sweep = p->sweep, .maxkeys = rb_sweep_max_keys(p->sweep)};
    rb_resample_job job = {.prices = prices, .m = p->m, .n = p->est.configurations, .ids = ids, .spec_fn = spec_of,
                           .spec_ctx = &sc, .benchmark = bench, .spec = opt->resample, .threads = p->est.threads,
                           .stop = (volatile sig_atomic_t *)opt->stop, .conn = rb_results_connection(results),
                           .sweep_id = sum->sweep_id};
    rb_resample_info info;
    int interrupted = 0;
    if (rc == RB_OK) rc = rb_resample_run(&job, &info, &interrupted, err);
    if (rc == RB_OK && interrupted) sum->interrupted = 1;
    if (rc == RB_OK && !interrupted) sum->resample_seconds = info.seconds;
    rb_run_spec_free(bench);
    return rc;
}

/* Once the sweep is stored and unless it was interrupted: the runs kept (--keep), the
 * out-of-sample test, then the resampled histories. */
static rb_status after_sweep(rb_store *prices, const prepared *p, const int64_t *ids, const rb_sweep_options *opt,
                             rb_results *results, rb_sweep_summary *sum, rb_error *err)
{
    rb_status rc = RB_OK;
    if (opt->keep && !sum->interrupted && !sum->already)
        rc = keep_runs(prices, p, ids, opt, sum->sweep_id, &sum->kept, err);
    if (rc == RB_OK && opt->oos && results && !sum->interrupted) rc = run_oos(prices, p, opt, results, sum, err);
    if (rc == RB_OK && opt->resample && results && !sum->interrupted)
        rc = resample_stage(prices, p, ids, opt, results, sum, err);
    return rc;
}

/* Each configuration's id, in configuration order (ids) and sorted, and the guard that none
 * repeats (the parser refuses repeats): listed by the side job when it had the sweep ahead,
 * else here. */
static rb_status list_ids(side_job *side, const rb_sweep *sweep, const char *spec_path, int64_t *ids,
                          int64_t *sorted, rb_error *err)
{
    int64_t repeated;
    if (!sweep_side_ids(side, &repeated)) repeated = rb_sweep_list_ids(sweep, ids, sorted);
    if (repeated >= 0)
        return rb_fail(err, RB_ERR_DATA, "%s: two configurations share the id %lld", spec_path, (long long)repeated);
    return RB_OK;
}

/* The most configurations whose ids the side job lists ahead (sweep_side.h): some 10 ms of
 * hashing, all of which a sweep refused for its size waits for (sweep_side_join). The
 * 1,000-band sweep's are listed in some 0.1 ms, off the main thread's way. */
#define IDS_AHEAD_MOST 100000

/* The heap the main thread first writes once the batch begins, which the side job faults in
 * ahead (heap_ahead.h; sweep_side.h says when): about 2 KiB a configuration (its
 * share of its block's columns, calloc'd as the batch begins, and its row for the results
 * store), at most HEAP_AHEAD_MOST. The 1,000-band sweep's main thread met some 140 page
 * faults in its batch without it, 5 with it; its batch was 0.28-0.38 ms faster by the
 * paired median of 120-150 runs each way (bench/README.md, thirty-second session). Only
 * when the sweep was parsed before the call (the command parses it on a helper): the
 * number of its configurations is known then. */
#define HEAP_AHEAD_PER_CONFIG 2048
#define HEAP_AHEAD_MOST ((size_t)1 << 20)

static size_t heap_ahead_bytes(uint64_t configurations)
{
    return configurations < HEAP_AHEAD_MOST / HEAP_AHEAD_PER_CONFIG ? (size_t)configurations * HEAP_AHEAD_PER_CONFIG
                                                                     : HEAP_AHEAD_MOST;
}

static rb_status sweep_run(rb_store *prices, const char *spec_path, const rb_sweep *given, const rb_sweep_options *opt,
                           const executor *ex, rb_sweep_summary *out, rb_error *err)
{
    prepared p;
    rb_status rc = check_storeless(opt, err);
    if (rc == RB_OK && opt->oos) rc = check_oos(opt, err);
    if (rc != RB_OK) return rc;
    /* A sweep parsed before the call: the side job does some of the way to the batch ahead
     * (its ids only for a sweep of at most IDS_AHEAD_MOST configurations). */
    const uint64_t given_count = given ? rb_sweep_count(given) : 0;
    const int ids_ahead = given && given_count <= IDS_AHEAD_MOST;
    int64_t *ids = ids_ahead ? rb_malloc((given_count ? given_count : 1) * sizeof *ids) : NULL,
            *sorted = ids_ahead ? rb_malloc((given_count ? given_count : 1) * sizeof *sorted) : NULL;
    side_ahead ahead = {.heap = given ? heap_ahead_bytes(given_count) : 0,
                        .sweep = ids_ahead ? given : NULL,
                        .ids = ids,
                        .sorted = sorted};
    side_job side;
    sweep_side_start(&side, opt->results, &ahead);
    rc = prepare(prices, spec_path, given, opt->threads, &p, err);
    if (rc == RB_OK && opt->oos) rc = check_windows(opt, &p, spec_path, err);
    if (rc == RB_OK && p.est.memory_bytes > 0.8 * p.est.available_bytes)
        rc = rb_fail(err, RB_ERR_DATA,
                     "%s: %llu configurations need about %.0f MB, more than this machine's %.0f MB can give; split "
                     "the sweep",
                     spec_path, (unsigned long long)p.est.configurations, p.est.memory_bytes / 1e6,
                     p.est.available_bytes / 1e6);
    if (rc != RB_OK) {
        sweep_side_join(&side);
        prepared_release(&p);
        free(ids);
        free(sorted);
        return rc;
    }
    sweep_side_give(&side, p.m, &p.data_spec);
    /* The prices are in the matrix: their cached pages go back to the heap, for the blocks'
     * columns and the results rows to reuse (one 2 MiB page of the heap fewer touched on
     * the 1,000-band sweep; a replay for --keep or --report reads the file again). */
    rb_store_shed_cache(prices);
    uint64_t K = p.est.configurations;
    rb_results *results = NULL;
    int64_t *done = NULL;
    if (!ids_ahead) { /* listed here: the count known now */
        ids = rb_malloc((K ? K : 1) * sizeof *ids);
        sorted = rb_malloc((K ? K : 1) * sizeof *sorted);
    }
    uint64_t *queue = rb_malloc((K ? K : 1) * sizeof *queue);
    size_t ndone = 0, nqueue = 0;
    int resumed = 0;
    const char *const *keys;
    size_t nkeys = rb_sweep_keys(p.sweep, &keys);
    /* The data it reads: the prices, and what its values name beside them (CSV files,
     * stored series), whose change makes it another sweep (sweep_inputs.h). */
    char dataset_hash[RB_DATASET_HASH_SIZE];
    uint64_t inputs = 0;
    int any_inputs = 0;
    rc = rb_sweep_inputs_digest(prices, p.sweep, p.m, &inputs, &any_inputs, err);
    if (any_inputs) rb_dataset_hash_inputs(p.m, inputs, dataset_hash);
    else rb_dataset_hash(p.m, dataset_hash);
    if (!ids || !sorted || !queue) rc = rb_fail(err, RB_ERR_NOMEM, "out of memory listing %llu configurations",
                                               (unsigned long long)K);
    if (rc == RB_OK) rc = list_ids(&side, p.sweep, spec_path, ids, sorted, err);
    /* Every check before the results store is touched (a new one the side job opened goes
     * unused: sweep_side_join removes it again). */
    if (rc == RB_OK && opt->keep) rc = check_keep(opt->keep, ids, K, err);
    if (rc == RB_OK) rc = sweep_side_results(&side, &results, err);
    if (rc == RB_OK && opt->results && !results) rc = rb_results_open(opt->results, &results, err);
    /* A new store's sweep is recorded by the writer thread while the first block runs, and,
     * when nothing is written after it (no out-of-sample test, no resampled histories), made
     * durable by that thread while the caller shows it. */
    if (rc == RB_OK && results) rb_results_defer_start(results);
    /* A sweep expected to end within a second, run here: a store it creates skips WAL mode
     * (rb_results_brief; no one watches a sweep that short). The estimate is generous (3 ns
     * a cell where the kernel takes under 1): the 1,000-band sweep of 10 assets x 5,000 bars
     * is estimated at 0.17 s and runs in 0.02. */
    if (rc == RB_OK && results && p.est.seconds < BRIEF_SWEEP_SECONDS && !(ex && ex->fn)) rb_results_brief(results);
    if (rc == RB_OK && results && !opt->oos && !opt->resample) rb_results_settle(results);
    int from_file = 0;
    const char *sweep_file = rb_sweep_name(p.sweep, &from_file);
    if (rc == RB_OK && results && from_file) rc = rb_results_spec_path(results, sweep_file, err);
    const char *legacy = sweep_side_legacy(&side);
    /* Earlier builds hashed the prices alone: a sweep with inputs cannot be recognized by it. */
    if (results && legacy && !any_inputs) rb_results_legacy_hash(results, legacy);
    rb_sweep_summary sum = {.configurations = K};
    if (rc == RB_OK && opt->on_keys) rc = opt->on_keys(opt->ctx, keys, nkeys, K, err);
    /* The same sweep, complete, already in the store: shown, not run again (--force). */
    if (rc == RB_OK && results && !opt->resume && !opt->force)
        rc = rb_results_find_done(results, rb_sweep_text(p.sweep), dataset_hash, &sum.already, sum.already_at, err);
    if (rc == RB_OK && results && !sum.already)
        rc = rb_results_begin(results, rb_sweep_text(p.sweep), dataset_hash, K, keys, nkeys, opt->resume, &resumed,
                              &done, &ndone, err);
    if (rc == RB_OK && sum.already) sum.sweep_id = sum.already;
    sweep_ctx sc = {.sweep = p.sweep,
                    .side = &side,
                    .results = results,
                    .opt = opt,
                    .maxkeys = rb_sweep_max_keys(p.sweep),
                    .ids = rc == RB_OK ? ids : NULL};
    if (rc == RB_OK && !sum.already) {
        /* Minus those already stored. */
        for (uint64_t k = 0; k < K; k++) {
            if (ndone && bsearch(&ids[k], done, ndone, sizeof *done, rb_sweep_id_cmp)) continue;
            queue[nqueue++] = k;
        }
        sum.skipped = K - nqueue;
    }
    /* The batch asks for the spare thread's bonus when a configuration needs it; an
     * executor of the caller's (MPI ranks) hands it on before anything runs. */
    int ask_later = !(ex && ex->fn);
    if (!ask_later) sweep_side_join(&side);
    if (rc == RB_OK && !sum.already) {
        if (opt->on_start) opt->on_start(opt->ctx, K, nqueue, resumed, p.est.threads);
        rb_batch_options bo = {.threads = p.est.threads,
                               .stop = (volatile sig_atomic_t *)opt->stop,
                               .done = opt->done,
                               .failed = store_failure,
                               .bonus_target = side.target,
                               .bonus = ask_later ? 0 : side.bonus,
                               .bonus_of = ask_later ? side_bonus_of : NULL};
        double t0 = now_seconds();
        uint64_t completed = 0;
        if (ex && ex->fn) {
            rb_sweep_work w = {.sweep = p.sweep, .prices = prices, .m = p.m, .queue = queue, .n = nqueue,
                               .spec_fn = spec_of, .result_fn = store_result, .ctx = &sc, .bo = &bo};
            rc = ex->fn(ex->ctx, &w, &completed, err);
        } else {
            rc = rb_batch_run(prices, p.m, queue, nqueue, spec_of, store_result, &sc, &bo, &completed, err);
        }
        sum.seconds = now_seconds() - t0;
        /* The prices are read: a caller done with them (release_prices) has the file's map
         * given back now, while the results writer inserts the last rows (rb_results_end
         * waits for them), not at the store's close after the report. A later matrix load
         * maps it again. */
        if (opt->release_prices) rb_store_unmap(prices);
        sum.ran = completed;
        sum.interrupted = rc == RB_OK && completed < nqueue;
        memcpy(sum.exec_note, sc.exec_note, sizeof sum.exec_note);
        sum.failed = sc.failed + rb_results_failed_before(results); /* 0 without a store */
        memcpy(sum.failure, sc.failure, sizeof sum.failure);
        /* This sweep's own id (another may be recorded into the same store while it runs),
         * known once the writer has recorded it (rb_results_defer_start). */
        if (results) sum.sweep_id = rb_results_sweep_id(results);
        rb_error end_err = {0};
        const char *status = rc != RB_OK ? "failed" : sum.interrupted ? "interrupted" : "done";
        rb_status end_rc = results ? rb_results_end(results, status, &end_err) : RB_OK;
        if (rc == RB_OK && end_rc != RB_OK) {
            rc = end_rc;
            if (err) *err = end_err;
        }
    }
    sweep_side_join(&side); /* if the batch never asked */
    if (rc == RB_OK) rc = after_sweep(prices, &p, ids, opt, results, &sum, err);
    if (rc == RB_OK && results && opt->on_recorded) {
        struct rb_sweep_recorded rec = {.results = results, .sweep_id = sum.sweep_id};
        rc = opt->on_recorded(opt->ctx, &sum, &rec, err);
    }
    free(ids);
    free(sorted);
    free(queue);
    free(done);
    /* the matrix first: released while the writer may still sync the store (rb_results_settle),
     * which rb_results_free waits for */
    prepared_release(&p);
    rb_results_free(results);
    if (rc == RB_OK && out) *out = sum;
    return rc;
}
