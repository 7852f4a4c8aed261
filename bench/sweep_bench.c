/* sweep_bench.c - the batch simulator's benchmarks on fixed, seeded synthetic prices (GBM
 * with Student-t shocks, 5 assets x 5,000 daily bars unless told otherwise):
 *   threshold K T   K threshold configurations, bands 0.1 % to 20 %, 10 bps fee + 5 bps
 *                   slippage, no tax: ns per configuration x asset x bar
 *   unshared K T    the threshold sweep with a fee of its own for each configuration (10 bps
 *                   plus k % RB_BATCH_BLOCK thousandths of a bp), so that no two
 *                   configurations of a block have one state (engine/batch/share.c): the
 *                   kernel's speed per cell
 *   tax K T         the same with FIFO lots and 30 % short / 15 % long tax
 *   mixed K T       K configurations mixing calendar, threshold and hybrid rules
 *   reference K     the reference simulator (rb_run's path) on K of the threshold
 *                   configurations, one thread: seconds per configuration
 * Prints one line of key=value pairs, including the peak RSS of this process.
 * largest_block= is the most configurations a block took (engine/batch/driver.c: blocks
 * grow while they share their states); SWEEP_BENCH_BLOCK=N runs blocks of N instead.
 * SWEEP_BENCH_DUMP=FILE also writes every configuration's metrics, exactly (C99 hex
 * floats, one line per configuration, in completion order: sort it), so that a change
 * meant to keep results to the bit can be checked on each benchmark's own sweep. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "batch.h"
#include "rebal.h"
#include "resolve.h"
#include "spec.h"

#define ASSETS 5

static uint64_t rng = 42;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1.0p-53;
}
static double normal(void)
{
    double u = uniform() + 1e-300, v = uniform();
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}
/* Student-t with 4 degrees of freedom, scaled to unit variance: fat tails. */
static double student4(void)
{
    double z = normal(), chi = 0;
    for (int k = 0; k < 4; k++) {
        double g = normal();
        chi += g * g;
    }
    return z / sqrt(chi / 4) / sqrt(2.0);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static rb_store *make_store(int bars)
{
    char path[] = "/tmp/rebal-bench-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        perror("mkstemp");
        exit(1);
    }
    fputs("date,A,B,C,D,E\n", f);
    double p[ASSETS] = {100, 80, 60, 40, 20};
    for (int t = 0; t < bars; t++) {
        char date[32];
        /* Trading days: skip weekends from 2000-01-03 (a Monday). */
        rb_time_format(946857600 + (rb_time)(t / 5 * 7 + t % 5) * 86400, date);
        fprintf(f, "%s", date);
        for (int i = 0; i < ASSETS; i++) {
            p[i] *= exp(0.0003 + 0.012 * (1 + 0.3 * i) * student4());
            fprintf(f, ",%.10g", p[i]);
        }
        fputc('\n', f);
    }
    fclose(f);
    rb_store *s = NULL;
    rb_error err = {0};
    rb_import_options opt;
    rb_import_options_init(&opt);
    rb_import_stats stats;
    if (rb_store_open(":memory:", 0, &s, &err) != RB_OK ||
        rb_import_files(s, (const char *const[]){path}, 1, &opt, &stats, &err) != RB_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        exit(1);
    }
    remove(path);
    return s;
}

typedef struct workload {
    const char *kind;
    uint64_t K;
    double sum_final;
    FILE *dump; /* SWEEP_BENCH_DUMP, or NULL */
    /* the settings every configuration shares, read once: [rule][every] */
    rb_run_spec *base[3][4];
} workload;

static rb_status set(rb_run_spec *s, const char *k, const char *v, rb_error *err) { return rb_run_spec_set(s, k, v, err); }

static const char *const every[] = {"week", "month", "quarter", "year"};

/* The band of configuration k: 0.1 % to 20 % (its %.17g text reads back as the same double). */
static double band_of(const workload *w, uint64_t k)
{
    double x = w->K > 1 ? (double)k / (double)(w->K - 1) : 0;
    return 0.001 + 0.199 * x;
}

/* Configuration k's settings as text, into a new spec (the reference simulator's path). */
static rb_status spec_text(const workload *w, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    char band[32];
    snprintf(band, sizeof band, "%.17g", band_of(w, k));
    rb_status rc = set(spec, "assets", "A=0.2,B=0.2,C=0.2,D=0.2,E=0.2", err);
    if (rc == RB_OK) rc = set(spec, "fee-bps", "10", err);
    if (rc == RB_OK) rc = set(spec, "slippage-bps", "5", err);
    if (rc != RB_OK) return rc;
    if (strcmp(w->kind, "mixed") == 0) {
        switch (k % 3) {
        case 0:
            rc = set(spec, "strategy", "calendar", err);
            if (rc == RB_OK) rc = set(spec, "every", every[k / 3 % 4], err);
            break;
        case 1:
            rc = set(spec, "strategy", "threshold", err);
            if (rc == RB_OK) rc = set(spec, "band", band, err);
            break;
        default:
            rc = set(spec, "strategy", "hybrid", err);
            if (rc == RB_OK) rc = set(spec, "every", every[k / 3 % 4], err);
            if (rc == RB_OK) rc = set(spec, "band", band, err);
            break;
        }
        return rc;
    }
    rc = set(spec, "strategy", "threshold", err);
    if (rc == RB_OK) rc = set(spec, "band", band, err);
    if (rc == RB_OK && strcmp(w->kind, "tax") == 0) {
        rc = set(spec, "tax-lots", "fifo", err);
        if (rc == RB_OK) rc = set(spec, "tax-short", "0.3", err);
        if (rc == RB_OK) rc = set(spec, "tax-long", "0.15", err);
    }
    return rc;
}

/* Reads the shared settings once (as rb_sweep_parse does): one spec per rule and period. */
static rb_status bases_new(workload *w, rb_error *err)
{
    rb_status rc = RB_OK;
    for (uint64_t k = 0; rc == RB_OK && k < 12; k++) {
        int mixed = strcmp(w->kind, "mixed") == 0;
        rb_run_spec **b = &w->base[mixed ? k % 3 : 0][mixed ? k / 3 % 4 : 0];
        if (*b) continue;
        rc = rb_run_spec_new(b, err);
        if (rc == RB_OK) rc = spec_text(w, k, *b, err);
    }
    return rc;
}

static void bases_free(workload *w)
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) rb_run_spec_free(w->base[i][j]);
}

/* Configuration k as the sweep fills it: the shared settings, then its own typed value
 * (rb_sweep_fill, rb_setting_put): nothing parsed, nothing allocated. */
static rb_status spec_of(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    (void)err;
    const workload *w = ctx;
    int mixed = strcmp(w->kind, "mixed") == 0;
    *spec = *w->base[mixed ? k % 3 : 0][mixed ? k / 3 % 4 : 0];
    if (!mixed || k % 3 != 0) {
        spec->sp.band = (rb_asset_values){.all = band_of(w, k), .has_all = 1};
        rb_spec_mark_given(spec, "band");
    }
    if (strcmp(w->kind, "unshared") == 0) spec->fee_bps = (rb_asset_values){.all = 10 + (double)(k % RB_BATCH_BLOCK) * 1e-3, .has_all = 1};
    return RB_OK;
}

static rb_status collect(void *ctx, uint64_t k, const rb_metrics *m, rb_error *err)
{
    (void)err;
    workload *w = ctx;
#pragma omp atomic
    w->sum_final += m->final_value;
    if (w->dump) {
        size_t nm;
        const rb_metric_info *info = rb_metric_table(&nm);
#pragma omp critical(sweep_bench_dump)
        {
            fprintf(w->dump, "%llu", (unsigned long long)k);
            for (size_t i = 0; i < nm; i++) fprintf(w->dump, " %a", *(const double *)((const char *)m + info[i].offset));
            fprintf(w->dump, " %lld %lld\n", (long long)m->max_drawdown_peak, (long long)m->max_drawdown_trough);
        }
    }
    return RB_OK;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: sweep_bench threshold|unshared|tax|mixed|reference CONFIGS [THREADS [BARS]]\n");
        return 2;
    }
    workload w = {.kind = argv[1], .K = strtoull(argv[2], NULL, 10)};
    int threads = argc > 3 ? atoi(argv[3]) : 1, bars = argc > 4 ? atoi(argv[4]) : 5000;
    rb_store *s = make_store(bars);
    rb_error err = {0};
    rb_run_spec *spec = NULL;
    rb_matrix *m = NULL;
    if (rb_run_spec_new(&spec, &err) != RB_OK || spec_text(&w, 0, spec, &err) != RB_OK ||
        rb_resolve_matrix(s, spec, &m, &err) != RB_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    rb_run_spec_free(spec);
    double t0 = now(), secs;
    if (strcmp(w.kind, "reference") == 0) {
        workload thr = {.kind = "threshold", .K = 10000};
        for (uint64_t k = 0; k < w.K; k++) {
            /* The same spread of bands as the 10,000-configuration sweep. */
            uint64_t idx = w.K > 1 ? k * (thr.K - 1) / (w.K - 1) : 0;
            rb_run_result *r = NULL;
            if (rb_run_spec_new(&spec, &err) != RB_OK || spec_text(&thr, idx, spec, &err) != RB_OK ||
                rb_run(s, spec, 0, &r, &err) != RB_OK) {
                fprintf(stderr, "bench: %s\n", err.msg);
                return 1;
            }
            w.sum_final += rb_run_metrics(r)->final_value;
            rb_run_result_free(r);
            rb_run_spec_free(spec);
        }
        secs = now() - t0;
        printf("kind=reference configs=%llu seconds=%.4f seconds_per_config=%.6g checksum=%.6e\n",
               (unsigned long long)w.K, secs, secs / (double)w.K, w.sum_final);
    } else {
        uint64_t *idx = malloc(w.K * sizeof *idx), done = 0;
        for (uint64_t k = 0; k < w.K; k++) idx[k] = k;
        size_t largest = 0;
        const char *block = getenv("SWEEP_BENCH_BLOCK");
        rb_batch_options opt = {.threads = threads, .block = block ? strtoull(block, NULL, 10) : 0, .largest_block = &largest};
        const char *dump = getenv("SWEEP_BENCH_DUMP");
        if (dump && *dump && !(w.dump = fopen(dump, "w"))) {
            perror(dump);
            return 1;
        }
        if (bases_new(&w, &err) != RB_OK || rb_batch_run(s, m, idx, w.K, spec_of, collect, &w, &opt, &done, &err) != RB_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        secs = now() - t0;
        if (w.dump && fclose(w.dump) != 0) {
            perror("SWEEP_BENCH_DUMP");
            return 1;
        }
        free(idx);
        bases_free(&w);
        double cells = (double)w.K * (double)m->N * (double)m->T;
        printf("kind=%s configs=%llu assets=%zu bars=%zu threads=%d seconds=%.4f ns_per_cell=%.3f "
               "seconds_per_config=%.6g checksum=%.6e largest_block=%zu",
               w.kind, (unsigned long long)w.K, m->N, m->T, threads, secs, secs * 1e9 / cells,
               secs / (double)w.K, w.sum_final, largest);
    }
    printf(" peak_rss_mib=%.1f\n", (double)peak_rss_kib() / 1024);
    rb_matrix_free(m);
    rb_store_free(s);
    return 0;
}
