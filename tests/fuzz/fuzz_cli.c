/* fuzz_cli.c - libFuzzer target: the rebal command line. The input is split into words at
 * line ends ("run\n--assets\nSPX=0.6,CASH=0.4\n--fee-bps\n5"), which go to the command's own
 * main (cli/main.c, compiled here as rebal_main) as its arguments after "rebal". With
 * cli_parse_only set, every command returns once its options are read and checked, so
 * nothing is imported, run or written: what is fuzzed is the dispatch, getopt_long, every
 * option's value check (rb_run_spec_set and the settings table behind it, lists, numbers,
 * dates), the help texts and the "did you mean" suggestions. Sanitizer reports and leaks are
 * the findings, and an exit status other than 0 or 2 (usage): nothing but options ran. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int rebal_main(int argc, char **argv);

/* Words beyond this are dropped: no option of any command needs more. */
#define MAX_WORDS 64

/* Where this target's own findings go (the command's stderr is silenced). */
static FILE *stderr_at_start;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cli_parse_only = 1;
    /* The help texts and usage errors go nowhere. glibc lets a program set these streams;
     * libFuzzer keeps the stderr it started with and the sanitizers write to descriptor 2,
     * so what they report is still seen. */
    FILE *null = fopen("/dev/null", "w");
    stderr_at_start = stderr;
    if (null) stdout = stderr = null;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[MAX_WORDS + 2];
    int argc = 0;
    argv[argc++] = "rebal";
    for (char *word = text; argc <= MAX_WORDS;) {
        char *end = strchr(word, '\n');
        if (end) *end = '\0';
        argv[argc++] = word;
        if (!end) break;
        word = end + 1;
    }
    argv[argc] = NULL;
    optind = 0; /* getopt_long starts afresh for every command line */
    int status = rebal_main(argc, argv);
    /* Reading options is all that ran: an answer is help (0), accepted options (0) or a
     * usage error (2), never a runtime failure (1). */
    if (status != CLI_OK && status != CLI_USAGE) {
        fprintf(stderr_at_start, "fuzz_cli: exit status %d from option parsing alone\n", status);
        abort();
    }
    free(text);
    return 0;
}
