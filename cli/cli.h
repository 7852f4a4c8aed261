/* cli.h - the rebal command-line front end: the command table and the helpers every
 * command shares (database path, error reporting, exit codes). The CLI only parses
 * arguments, calls the library and maps status codes to exit codes. */
#ifndef RB_CLI_H
#define RB_CLI_H

#include "rebal.h"

/* Exit codes. */
enum { CLI_OK = 0, CLI_RUNTIME = 1, CLI_USAGE = 2 };

/* Set only by the argument-parsing fuzz target (tests/fuzz/fuzz_cli.c): every command then
 * returns right after reading and checking its options, before it opens, reads or writes any
 * file. Always 0 in the rebal command. */
extern int cli_parse_only;

/* The allocator's settings for the command (heap.c says which and why); main calls it
 * before anything is allocated. */
void cli_heap_settings(void);

/* Maps the program's code and read-only data in one call rather than a page fault at a
 * time (prefault.c says why); main calls it first. */
void cli_prefault_program(void);

typedef struct cli_command {
    const char *name;
    const char *summary; /* one line for 'rebal --help' */
    const char *help;    /* the full text for 'rebal help NAME' and 'rebal NAME --help', or NULL */
    void (*print_help)(void); /* prints a generated help instead of `help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} cli_command;

extern const cli_command cli_import, cli_assets, cli_series, cli_export, cli_synth, cli_demo, cli_run, cli_runs,
    cli_sweep, cli_report_cmd;

/* Prints where a report went (to out) and, on stderr, one warning naming the charts gnuplot
 * could not draw (missing: how to install it; `again` says which command to run again). */
int cli_report_done(FILE *out, const char *dir, const rb_report_summary *sum, const char *again);

/* demo_pools.c: the demo's table of where rebalancing its crypto mix turns net-negative,
 * under constant pools, depth series and ranged pools, printed to stdout (store: the demo's,
 * holding the series depth-SYM). A CLI exit code. */
int cli_demo_pools(rb_store *store);

/* demo_pools.c: the metrics of one run of settings kv (key, value, ..., NULL; a NULL key ends
 * them early) on store, nothing kept. */
rb_status cli_demo_metrics(rb_store *store, const char *const *kv, rb_metrics *out, rb_error *err);

/* demo_overlay.c: the demo's table of spot against perp-overlay rebalancing of its crypto mix
 * after tax (store: the demo's, holding the series funding-SYM). A CLI exit code. */
int cli_demo_overlay(rb_store *store);

/* Help topics that are not commands: metrics and strategies. 1 when topic was printed. */
int cli_help_topic(const char *topic);

/* The price store path: --db value when given, else $REBAL_DB, else ./rebal.db. */
const char *cli_db_path(const char *option_value);

/* Prints "rebal: MESSAGE" for a library error and returns the matching exit code
 * (CLI_USAGE for RB_ERR_USAGE, else CLI_RUNTIME). */
int cli_report(const rb_error *err);

/* Prints "rebal CMD: MESSAGE (see 'rebal help CMD')" and returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports the option getopt_long just rejected: code is its return value, ':' (missing
 * value; the short options string must start with ':') or '?' (unknown option). */
int cli_bad_option(const char *cmd, char **argv, int code);

/* Prints the command's help text to stdout and returns CLI_OK. */
int cli_print_help(const cli_command *cmd);

/* Strict number parsing for option values: the whole text must be a number in range.
 * On failure prints a usage error naming the option and returns 0. */
int cli_parse_long(const char *cmd, const char *option, const char *text, long lo, long hi, long *out);

/* resample_print.c: --seed S, a whole number from 0 to 2^64 - 1 (else a usage error naming
 * the option, and 0); and the resampled distributions of sweep sweep_id after `rebal sweep
 * --resample`: buy-and-hold's, and the five configurations most likely to beat it. A CLI exit
 * code. */
int cli_parse_seed(const char *cmd, const char *text, uint64_t *out);
/* --resample and --seed of `rebal sweep` into *out (seed 1 unless given): CLI_OK, or CLI_USAGE
 * after a message naming the option. */
int cli_resample_options(const char *resample_text, const char *seed_text, rb_resample_spec *out);
int cli_print_resample(FILE *out, const char *results_path, int64_t sweep_id);

/* Splits "A,B,C" into a NULL-terminated, malloc'ed array of malloc'ed trimmed strings
 * (empty items refused). Returns NULL with *count 0 and prints a usage error on failure. */
char **cli_split_list(const char *cmd, const char *option, const char *text, size_t *count);
void cli_free_list(char **list);

/* Prints the asset table of 'rebal assets' (symbol, first, last, bars, largest gap). */
void cli_print_assets(FILE *out, const rb_asset_info *list, size_t n);

/* An output file written in place only when complete: data goes to a temporary file beside
 * the target, renamed over it by cli_output_close(..., 1). With path NULL it is stdout; a
 * path that is not a regular file (a pipe, a terminal, /dev/stdout) is written directly. */
typedef struct cli_output {
    FILE *f;
    const char *path;
    char *tmp;
} cli_output;

/* Returns 1, or prints the error and returns 0. */
int cli_output_open(cli_output *out, const char *path);
/* Finishes the output: on success (ok = 1) flushes and renames into place, returning 1; on
 * failure of the write, or when ok = 0, removes the temporary file. Prints write errors and
 * returns 0 then. */
int cli_output_close(cli_output *out, int ok);
/* cli_report for an error met while writing out: "rebal: PATH: message" (standard output's
 * errors name it so). */
int cli_output_report(const cli_output *out, const rb_error *err);

#endif /* RB_CLI_H */
