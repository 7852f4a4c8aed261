/* cmd_sweep.c - `rebal sweep`: every configuration of a sweep specification replayed by the
 * batch simulator, its metrics written to a results store, resumable after any
 * interruption. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "big_alloc.h"
#include "cli.h"
#include "mpi_sweep.h"
#include "thread.h"

static const char help_text[] =
    "Usage: rebal sweep SPEC.ini [--db PRICES] [--results PATH] [--threads N] [--resume | --force]\n"
    "                   [--keep SEL] [--report DIR] [--dry-run] [--broadcast-prices] [--quiet]\n"
    "                   [--walk-forward TRAIN:TEST [--anchored] | --split DATE] [--by METRIC]\n"
    "                   [--resample block-bootstrap:N:L | gbm:N] [--seed S]\n"
    "\n"
    "Replays every configuration a sweep specification describes with the batch simulator\n"
    "(the same accounting as 'rebal run', many configurations at once on all cores) and\n"
    "stores one row of parameters and metrics per configuration in a results store, a\n"
    "SQLite file that 'rebal runs', any SQL tool or pandas reads. docs/sweeps.md describes\n"
    "the file; in short:\n"
    "\n"
    "  [data]              assets = SPX=0.6,CASH=0.4   (and start, end, capital, ...)\n"
    "  [costs]             fee-bps = 0, 5, 10          (lists and start:stop:step ranges)\n"
    "  [tax]               tax-short = 0.3\n"
    "  [threshold]         band = 0.01:0.20:0.01       (one section per rule; several of a\n"
    "  [threshold.tight]   band = 0.001:0.01:0.001      family with a .suffix)\n"
    "  [calendar]          every = week, month, quarter, year\n"
    "  [schedule]          when = days.csv               (the dates to rebalance on)\n"
    "\n"
    "Each rule section expands to the product of its keys' values; cost, tax and flow keys\n"
    "multiply across every section. A configuration keeps the same id in every sweep.\n"
    "Fractions (weights, bands, rates) may be percentages: band = 1%:20%:1% is\n"
    "band = 0.01:0.2:0.01. A line may be of any length, and a line indented more than its\n"
    "key continues that key's value:\n"
    "\n"
    "  band = 0.01, 0.02, 0.03,\n"
    "         0.05, 0.10\n"
    "\n"
    "A file holds at most 100,000 values (every list and range of every key together),\n"
    "1,000 rule sections and 1,000,000,000 configurations, far beyond any real sweep; they\n"
    "are counted from the ranges' sizes, so a file past them is refused at once.\n"
    "\n"
    "Options:\n"
    "  --db PATH         price store (default: $REBAL_DB, else ./rebal.db)\n"
    "  --results PATH    results store (default: ./rebal-results.db; created if absent)\n"
    "  --threads N       simulation threads (default: every core)\n"
    "  --resume          continue the latest sweep of this specification on the same\n"
    "                    data, skipping the configurations already stored (after a\n"
    "                    crash or kill -9 too; a complete sweep has nothing left to run)\n"
    "  --force           record a new sweep even when the results store already holds this\n"
    "                    one complete (same file, same data, same rebal version); without\n"
    "                    it that sweep's best runs are shown and nothing is run. The data\n"
    "                    are the prices and what the file names beside them: the stored\n"
    "                    series (gas-series, amm-depth-series) and files (when,\n"
    "                    targets-csv, venues) it reads; other content there is another sweep\n"
    "  --keep SEL        keep the equity curve, orders, lots and metrics of the selected\n"
    "                    configurations (replayed once the sweep is complete): best:N,\n"
    "                    best:N:METRIC (the N best by METRIC, default after_tax_value) or\n"
    "                    ID,ID,... (config ids as 'rebal runs' shows them)\n"
    "  --keep-dir DIR    where --keep writes NAME.curve.csv, NAME.trades.csv, NAME.lots.csv\n"
    "                    and NAME.json, NAME being the section and its parameters, then the\n"
    "                    id (default: the results path without .db, plus -keep)\n"
    "  --report DIR      once the sweep is complete, write its report into DIR: CSV files,\n"
    "                    charts and index.html ('rebal help report'; 'rebal report' has\n"
    "                    more options)\n"
    "  --dry-run         print the number of configurations, the memory needed and the\n"
    "                    expected time (from a timed sample: 4 blocks of 96 consecutive\n"
    "                    configurations spread over the sweep, run on one thread, stored\n"
    "                    nowhere), and run nothing else\n"
    "  --broadcast-prices  under mpirun or srun: rank 0 reads the price store and sends\n"
    "                    the prices, and the stored series the sweep reads, to the other\n"
    "                    ranks, for nodes without the file (default: each rank reads the\n"
    "                    store read-only; no effect in one process)\n"
    "  --walk-forward TRAIN:TEST  out of sample: once the sweep is complete, in each window\n"
    "                    choose the best configuration by --by on the training part and\n"
    "                    score it on the test part that follows; the test parts' curves are\n"
    "                    stitched into one and stored beside the sweep (docs/sweeps.md, Out\n"
    "                    of sample). Lengths: 3y:1y, 18m:6m, 8w:2w, 90d:30d, or bars 500b:100b;\n"
    "                    rolling windows, each one test part later than the one before\n"
    "  --anchored        with --walk-forward: every training part starts at the first bar\n"
    "  --split DATE      out of sample, one window: trained up to DATE, tested after it\n"
    "  --by METRIC       the metric that chooses each window's winner (default\n"
    "                    after_tax_value, as 'rebal runs' ranks)\n"
    "  --resample M      once the sweep is complete, run every configuration again on N\n"
    "                    resampled histories and store the distribution of its final value\n"
    "                    (mean, median, 5 %% and 95 %%), of its excess over buy-and-hold on the\n"
    "                    same history and the probability it beats it (table resamples):\n"
    "                    block-bootstrap:N:L (the stationary bootstrap of the bars' returns, all\n"
    "                    assets on the same dates, mean block length L bars) or gbm:N\n"
    "                    (geometric Brownian motion fitted to the log returns)\n"
    "  --seed S          the histories' seed (default 1): the same seed, the same histories\n"
    "                    and results to the bit, on any number of threads\n"
    "  -q, --quiet       no progress line\n"
    "  -h, --help        show this help\n"
    "\n"
    "On a terminal a progress line shows configurations done, rate and time left. Ctrl-C\n"
    "(or SIGTERM) finishes the blocks under way, commits them, prints the command that\n"
    "resumes the sweep (the same options and --resume) and exits with 130 (143 after SIGTERM).\n"
    "A configuration that fails while it runs (an order larger than its AMM pool, a value\n"
    "that overflows) is stored with status 'failed' and its message, and the others go on;\n"
    "the last line then says how many failed, and the exit status is 1.\n"
    "\n"
    "Across a cluster: 'mpirun -n R rebal sweep ...' (rebal built with -Dmpi=enabled): rank 0\n"
    "records the sweep and writes the results store, ranks 1 to R-1 run chunks of equal\n"
    "estimated cost as they ask for them, each with --threads threads; the results are the\n"
    "same to the bit. A rank that dies or SIGINT to mpirun stops the sweep with what is\n"
    "stored, and --resume completes it on any number of ranks (docs/mpi.md).\n";

static volatile int stop_requested;
static volatile sig_atomic_t stop_signal; /* the signal that asked the sweep to stop */

static void on_signal(int sig)
{
    stop_signal = sig;
    stop_requested = 1;
}

/* Writes s quoted for a POSIX shell when it holds anything beyond plain word characters. */
static void put_shell_word(FILE *f, const char *s)
{
    if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./=:,@%+") == strlen(s)) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    }
    fputc('\'', f);
}

/* "rebal sweep ARGS... --resume": the command as typed (every option kept, quoted for the
 * shell), which continues the sweep where it stopped. */
static void put_resume_command(FILE *f, int argc, char **argv)
{
    fputs("rebal", f);
    int has_resume = 0;
    for (int i = 0; i < argc; i++) {
        fputc(' ', f);
        put_shell_word(f, argv[i]);
        has_resume |= i > 0 && strcmp(argv[i], "--resume") == 0;
    }
    if (!has_resume) fputs(" --resume", f);
}

static const char *time_class(double seconds)
{
    return seconds < 1 ? "under a second" : seconds < 60 ? "seconds" : seconds < 3600 ? "minutes" : "hours";
}

/* The progress line: redrawn a few times a second on a terminal. */
typedef struct progress {
    volatile uint64_t done;
    uint64_t total;
    volatile int finished;
    double started;
    int threads; /* the sweep's threads */
    int quiet;
    pthread_t thread;
    int running;
} progress;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *progress_loop(void *arg)
{
    progress *p = arg;
    while (!p->finished) {
        struct timespec pause = {0, 250000000};
        nanosleep(&pause, NULL);
        uint64_t done = __atomic_load_n(&p->done, __ATOMIC_RELAXED);
        double elapsed = now_seconds() - p->started, rate = elapsed > 0 ? (double)done / elapsed : 0;
        double left = rate > 0 ? (double)(p->total - done) / rate : 0;
        /* No rate before a second has passed and blocks are done on every thread: the first
         * blocks' times say little ("0/s", "893 s left" then jumps). */
        if (elapsed < 1.0 || done < (uint64_t)p->threads * 96)
            fprintf(stderr, "\r  %llu/%llu configurations  measuring the rate...   ", (unsigned long long)done,
                    (unsigned long long)p->total);
        else
            fprintf(stderr, "\r  %llu/%llu configurations  %.0f/s  %.0f s left   ", (unsigned long long)done,
                    (unsigned long long)p->total, rate, left);
    }
    fputs("\r\033[K", stderr);
    return NULL;
}

/* What the callbacks of one sweep share: the progress line, and what the outcome needs. */
typedef struct sweep_cli {
    progress prog;
    rb_store *store;
    const char *spec_path, *results_path, *keep_dir, *report;
    int argc;    /* the command line, for the command that resumes an interrupted sweep */
    char **argv;
    int status;  /* the exit status the outcome decided */
    cli_mpi *mpi; /* the ranks (mpi_sweep.h): one unless run by mpirun or srun */
    int oos;      /* --walk-forward or --split */
    const rb_resample_spec *resample; /* --resample, or NULL */
} sweep_cli;

static void on_start(void *ctx, uint64_t configurations, uint64_t to_run, int resumed, int threads)
{
    progress *p = &((sweep_cli *)ctx)->prog;
    p->total = to_run;
    p->threads = threads;
    p->started = now_seconds();
    if (p->quiet) return;
    const cli_mpi *mpi = ((sweep_cli *)ctx)->mpi;
    if (mpi->size > 1)
        fprintf(stderr, "rebal sweep: %llu configurations%s, %llu to run on %d worker rank%s\n",
                (unsigned long long)configurations, resumed ? " (resuming)" : "", (unsigned long long)to_run,
                mpi->size - 1, mpi->size == 2 ? "" : "s");
    else
        fprintf(stderr, "rebal sweep: %llu configurations%s, %llu to run on %d thread%s\n",
                (unsigned long long)configurations, resumed ? " (resuming)" : "", (unsigned long long)to_run, threads,
                threads == 1 ? "" : "s");
    const rb_resample_spec *rs = ((sweep_cli *)ctx)->resample;
    if (rs)
        fprintf(stderr, "rebal sweep: then every configuration on %llu resampled histories (--resample)\n",
                (unsigned long long)rs->histories);
    p->running = isatty(2) && pthread_create(&p->thread, NULL, progress_loop, p) == 0;
}

/* After the sweep: how to resume an interrupted one, else the time, the best runs (read
 * from the results store still open, rec) and, last, how many configurations failed (then the
 * exit status says so too). */
static int print_outcome(const rb_sweep_summary *sum, const rb_sweep_recorded *rec, const sweep_cli *cli)
{
    rb_error err = {0};
    int status = CLI_OK;
    const char *results_path = cli->results_path, *keep_dir = cli->keep_dir;
    if (sum->interrupted && sum->ran == sum->configurations - sum->skipped && cli->oos && !sum->oos_id) {
        fprintf(stderr, "rebal: interrupted during the out-of-sample test (the sweep is stored complete, the test is "
                        "not); run it with: ");
        put_resume_command(stderr, cli->argc, cli->argv);
        fputc('\n', stderr);
        return stop_signal == SIGTERM ? 128 + SIGTERM : stop_signal == SIGINT ? 128 + SIGINT : CLI_RUNTIME;
    }
    if (sum->interrupted) {
        cli_mpi_settle(cli->mpi); /* the status is committed: now the workers' answers */
        if (cli->mpi->note[0]) fprintf(stderr, "rebal: the sweep stopped: %s\n", cli->mpi->note);
        fprintf(stderr, "rebal: interrupted after %llu of %llu configurations (stored); continue with: ",
                (unsigned long long)sum->ran, (unsigned long long)(sum->configurations - sum->skipped));
        if (cli->mpi->size > 1) fprintf(stderr, "mpirun -n %d ", cli->mpi->size); /* any number of ranks will do */
        put_resume_command(stderr, cli->argc, cli->argv);
        fputc('\n', stderr);
        /* As shells expect of a command a signal stopped: 128 + the signal. */
        return stop_signal == SIGTERM ? 128 + SIGTERM : stop_signal == SIGINT ? 128 + SIGINT : CLI_RUNTIME;
    }
    /* This sweep's runs, by its id: another sweep may have been recorded into the same
     * store meanwhile, so the latest is not necessarily this one. */
    rb_runs_query q = {.top = 5, .by = "after_tax_value", .sweep_id = sum->sweep_id};
    if (sum->already) {
        printf("%s on these prices is already in %s as sweep %lld, complete (finished %s): nothing was run. "
               "Its best runs (--force records a new sweep):\n\n",
               cli->spec_path, results_path, (long long)sum->already, sum->already_at);
        if (rb_runs_print_recorded(rec, &q, stdout, &err) != RB_OK) status = cli_report(&err);
        return status;
    }
    printf("%llu configurations in %.2f s (%.0f per second); results in %s\n", (unsigned long long)sum->ran,
           sum->seconds, sum->seconds > 0 ? (double)sum->ran / sum->seconds : 0, results_path);
    if (sum->kept) printf("curves, orders and lots of %zu configuration%s in %s/\n", sum->kept, sum->kept == 1 ? "" : "s",
                         keep_dir);
    putchar('\n');
    if (rb_runs_print_recorded(rec, &q, stdout, &err) != RB_OK) status = cli_report(&err);
    if (sum->failed) {
        /* The last line, and a failing exit status: a sweep with failures is not a clean one. */
        fflush(stdout);
        fprintf(stderr, "rebal: %llu of %llu configurations failed (stored with status 'failed' and their message: "
                        "rebal runs %s --where \"status = failed\")%s%s\n",
                (unsigned long long)sum->failed, (unsigned long long)sum->configurations, results_path,
                sum->failure[0] ? "; the first, " : "", sum->failure);
        if (status == CLI_OK) status = CLI_RUNTIME;
    }
    return status;
}

/* The sweep is recorded, its results store still open: the report (--report), then the
 * outcome. A report that fails fails the command, as the sweep would. */
static rb_status on_recorded(void *ctx, const rb_sweep_summary *sum, const rb_sweep_recorded *rec, rb_error *err)
{
    sweep_cli *cli = ctx;
    int charts = CLI_OK;
    cli->prog.finished = 1;
    if (cli->prog.running) pthread_join(cli->prog.thread, NULL);
    cli->prog.running = 0;
    if (sum->exec_note[0]) fprintf(stderr, "rebal: warning: --exec %s\n", sum->exec_note);
    if (!sum->interrupted && cli->report) {
        rb_report_options ropt = {.out_dir = cli->report, .sweep_id = sum->sweep_id};
        rb_report_summary rsum = {0};
        rb_status rc = rb_report_sweep(cli->store, cli->results_path, &ropt, &rsum, err);
        if (rc != RB_OK) return rc;
        charts = cli_report_done(stdout, cli->report, &rsum, "'rebal report'");
    }
    cli->status = print_outcome(sum, rec, cli);
    if (cli->resample && !sum->interrupted && cli->status != CLI_USAGE) {
        int st = cli_print_resample(stdout, cli->results_path, sum->sweep_id);
        if (cli->status == CLI_OK) cli->status = st;
    }
    if (cli->status == CLI_OK) cli->status = charts;
    return RB_OK;
}

/* --dry-run: the number of configurations, the memory and the time expected. */
static int dry_run(rb_store *store, const char *spec_path, int threads)
{
    rb_error err = {0};
    rb_sweep_estimate est;
    if (rb_sweep_plan(store, spec_path, threads, &est, &err) != RB_OK) return cli_report(&err);
    printf("%s: %llu configurations over %zu bars x %zu assets\n", spec_path, (unsigned long long)est.configurations,
           est.bars, est.assets);
    printf("  memory: about %.0f MB (this machine has %.0f MB)%s\n", est.memory_bytes / 1e6,
           est.available_bytes / 1e6, est.memory_bytes > 0.8 * est.available_bytes ? ": too large, refused" : "");
    printf("  expected time: %s (about %.2g s on %d thread%s)\n", time_class(est.seconds), est.seconds, est.threads,
           est.threads == 1 ? "" : "s");
    return CLI_OK;
}

enum { OPT_WALK = 512, OPT_ANCHORED, OPT_SPLIT, OPT_BY, OPT_RESAMPLE, OPT_SEED };

/* What runs once the sweep is complete: the out-of-sample test, the resampled histories. */
typedef struct after_options {
    rb_oos_options oos;
    const char *resample_text, *seed_text; /* --resample, --seed as given */
    rb_resample_spec resample;
} after_options;

/* --walk-forward, --anchored, --split, --by, --resample and --seed into o: 1 when c is one of
 * them. */
static int after_option(int c, const char *arg, after_options *o)
{
    switch (c) {
    case OPT_WALK: o->oos.walk_forward = arg; return 1;
    case OPT_ANCHORED: o->oos.anchored = 1; return 1;
    case OPT_SPLIT: o->oos.split = arg; return 1;
    case OPT_BY: o->oos.by = arg; return 1;
    case OPT_RESAMPLE: o->resample_text = arg; return 1;
    case OPT_SEED: o->seed_text = arg; return 1;
    default: return 0;
    }
}

/* What those options say without the data (the windows are checked when the sweep starts):
 * a usage error names the option. */
static int check_after(after_options *a)
{
    const rb_oos_options *o = &a->oos;
    int want = o->walk_forward || o->split;
    if ((o->anchored || o->by) && !want)
        return cli_usage("sweep", "%s: only with --walk-forward or --split", o->anchored ? "--anchored" : "--by");
    rb_error err = {0};
    if (want && rb_oos_check(o, &err) != RB_OK) return cli_usage("sweep", "%s", err.msg);
    if (cli_resample_options(a->resample_text, a->seed_text, &a->resample) != CLI_OK) return CLI_USAGE;
    return CLI_OK;
}

/* The default keep directory sits beside the results: res.db -> res-keep. */
static const char *keep_dir_of(const char *results_path, char *buf, size_t size)
{
    size_t len = strlen(results_path);
    if (len > 3 && strcmp(results_path + len - 3, ".db") == 0) len -= 3;
    snprintf(buf, size, "%.*s-keep", (int)len, results_path);
    return buf;
}

/* The sweep file parsed on a helper (parse_early), and taken when it is done (early_sweep:
 * NULL when it did not parse). */
typedef struct early_parse {
    const char *path;
    rb_sweep *sweep;
    rb_spare spare;
} early_parse;

static void *parse_early(void *arg)
{
    early_parse *p = arg;
    rb_error err;
    if (rb_sweep_parse_file(p->path, &p->sweep, &err) != RB_OK) p->sweep = NULL;
    return NULL;
}

/* The parse's sweep: parsed here when its helper has not begun yet (rb_spare_claim), else
 * waited for. */
static rb_sweep *early_sweep(early_parse *p)
{
    if (rb_spare_claim(&p->spare)) parse_early(p);
    else rb_spare_wait(&p->spare);
    return p->sweep;
}

static int run(int argc, char **argv)
{
    enum { OPT_DB = 256, OPT_RESULTS, OPT_THREADS, OPT_RESUME, OPT_FORCE, OPT_DRY, OPT_KEEP, OPT_KEEP_DIR, OPT_REPORT,
           OPT_BROADCAST };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"results", required_argument, NULL, OPT_RESULTS},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"force", no_argument, NULL, OPT_FORCE},
        {"dry-run", no_argument, NULL, OPT_DRY},
        {"keep", required_argument, NULL, OPT_KEEP},
        {"keep-dir", required_argument, NULL, OPT_KEEP_DIR},
        {"report", required_argument, NULL, OPT_REPORT},
        {"broadcast-prices", no_argument, NULL, OPT_BROADCAST},
        {"walk-forward", required_argument, NULL, OPT_WALK},
        {"anchored", no_argument, NULL, OPT_ANCHORED},
        {"split", required_argument, NULL, OPT_SPLIT},
        {"by", required_argument, NULL, OPT_BY},
        {"resample", required_argument, NULL, OPT_RESAMPLE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *db = NULL, *results_path = "rebal-results.db", *keep = NULL, *keep_dir = NULL, *report = NULL;
    long threads = 0;
    int resume = 0, force = 0, dry = 0, quiet = 0, broadcast = 0, c, status;
    after_options after = {0};
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB: db = optarg; break;
        case OPT_RESULTS: results_path = optarg; break;
        case OPT_THREADS:
            if (!cli_parse_long("sweep", "--threads", optarg, 1, 4096, &threads)) return CLI_USAGE;
            break;
        case OPT_RESUME: resume = 1; break;
        case OPT_FORCE: force = 1; break;
        case OPT_DRY: dry = 1; break;
        case OPT_KEEP: keep = optarg; break;
        case OPT_KEEP_DIR: keep_dir = optarg; break;
        case OPT_REPORT: report = optarg; break;
        case OPT_BROADCAST: broadcast = 1; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_print_help(&cli_sweep);
        default: if (!after_option(c, optarg, &after)) return cli_bad_option("sweep", argv, c);
        }
    }
    if (optind >= argc) return cli_usage("sweep", "missing the sweep specification (e.g. rebal sweep sweep.ini)");
    if (optind + 1 < argc) return cli_usage("sweep", "unexpected argument '%s'", argv[optind + 1]);
    if ((status = check_after(&after)) != CLI_OK) return status;
    if (cli_parse_only) return CLI_OK;
    const char *spec_path = argv[optind];
    cli_mpi mpi;
    status = cli_mpi_start(&mpi);
    if (status != CLI_OK) return status;
    mpi.broadcast = broadcast;
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    if (mpi.rank > 0) { /* a worker of rank 0's sweep: no output but its errors */
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        status = cli_mpi_worker(&mpi, cli_db_path(db), (int)threads, &stop_requested);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        return status;
    }

    rb_error err = {0};
    rb_store *store = NULL;
    /* The sweep file is parsed beside the price store's open (on the thread its side job
     * then takes: thread.h, rb_thread_run_spare); a file that does not parse is parsed
     * again by rb_sweep_run, which reports it where it always has (a regular file: what a
     * pipe gave is not there to read twice). */
    early_parse early = {.path = spec_path};
    struct stat st;
    int parsing = !dry && mpi.size <= 1 && stat(spec_path, &st) == 0 && S_ISREG(st.st_mode) &&
                  rb_thread_run_spare(&early.spare, parse_early, &early) == 0;
    if (rb_store_open(cli_db_path(db), RB_STORE_READONLY | RB_STORE_CACHE, &store, &err) != RB_OK) {
        if (parsing) rb_sweep_free(early_sweep(&early));
        return cli_mpi_finish(&mpi, cli_report(&err));
    }
    if (dry) {
        status = dry_run(store, spec_path, (int)threads);
        rb_store_free(store);
        return cli_mpi_finish(&mpi, status);
    }

    char default_dir[4096];
    if (keep && !keep_dir) keep_dir = keep_dir_of(results_path, default_dir, sizeof default_dir);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sweep_cli cli = {.prog = {.quiet = quiet},
                     .store = store,
                     .spec_path = spec_path,
                     .results_path = results_path,
                     .keep_dir = keep_dir,
                     .report = report,
                     .argc = argc,
                     .argv = argv,
                     .mpi = &mpi,
                     .oos = after.oos.walk_forward || after.oos.split,
                     .resample = after.resample_text ? &after.resample : NULL};
    rb_sweep_options opt = {.results = results_path,
                            .threads = (int)threads,
                            .resume = resume,
                            .force = force,
                            .stop = &stop_requested,
                            .done = &cli.prog.done,
                            .on_start = on_start,
                            .on_recorded = on_recorded,
                            .ctx = &cli,
                            .keep = keep,
                            .keep_dir = keep_dir,
                            .oos = after.oos.walk_forward || after.oos.split ? &after.oos : NULL,
                            .resample = after.resample_text ? &after.resample : NULL,
                            /* the store is closed after the sweep; only these read it again */
                            .release_prices = !keep && !report && !cli.oos && !cli.resample};
    rb_sweep_summary sum = {0};
    /* A parse not done yet leaves a moment: the first big buffer a sweep asks for (the
     * bars it reads, a page or more: big_alloc.h) is faulted in meanwhile, not after. */
    if (parsing && !rb_spare_done(&early.spare)) rb_big_prepare(RB_BIG_PAGE);
    rb_sweep *parsed = parsing ? early_sweep(&early) : NULL;
    /* Under mpirun or srun the other ranks run the configurations (mpi_sweep.h). */
    rb_status rc = mpi.size > 1 ? rb_sweep_run_exec(store, spec_path, &opt, cli_mpi_exec, &mpi, &sum, &err)
                   : parsed     ? rb_sweep_run_parsed(store, parsed, spec_path, &opt, &sum, &err)
                                : rb_sweep_run(store, spec_path, &opt, &sum, &err);
    rb_sweep_free(parsed);
    cli.prog.finished = 1;
    if (cli.prog.running) pthread_join(cli.prog.thread, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    rb_store_free(store);
    return cli_mpi_finish(&mpi, rc != RB_OK ? cli_report(&err) : cli.status);
}

const cli_command cli_sweep = {
    .name = "sweep",
    .summary = "replay every configuration of a sweep specification into a results store",
    .help = help_text,
    .run = run,
};
