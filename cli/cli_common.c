/* cli_common.c - helpers shared by the rebal commands: the database path, one-line error
 * reporting with exit codes, strict option-value parsing. */
#include "cli.h"
#include "alloc.h"
#include "error.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_parse_only;

const char *cli_db_path(const char *option_value)
{
    if (option_value && *option_value) return option_value;
    const char *env = getenv("REBAL_DB");
    if (env && *env) return env;
    return "rebal.db";
}

int cli_report(const rb_error *err)
{
    fprintf(stderr, "rebal: %s\n", err->msg[0] ? err->msg : rb_strerror(err->code));
    return err->code == RB_ERR_USAGE ? CLI_USAGE : CLI_RUNTIME;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cmd) fprintf(stderr, "rebal %s: %s (see 'rebal help %s')\n", cmd, msg, cmd);
    else fprintf(stderr, "rebal: %s (see 'rebal --help')\n", msg);
    return CLI_USAGE;
}

int cli_bad_option(const char *cmd, char **argv, int code)
{
    /* getopt_long (with a leading ':' in the short options) returns ':' for a missing value
     * and '?' for an unknown option; optopt holds the short option letter, 0 for long ones. */
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    if (code == ':') {
        if (optopt && strncmp(arg, "--", 2) != 0) return cli_usage(cmd, "option '-%c' needs a value", optopt);
        return cli_usage(cmd, "option '%s' needs a value", arg);
    }
    if (optopt) return cli_usage(cmd, "unknown option '-%c'", optopt);
    return cli_usage(cmd, "unknown option '%s'", arg);
}

int cli_print_help(const cli_command *cmd)
{
    if (cmd->print_help) cmd->print_help();
    else fputs(cmd->help, stdout);
    return CLI_OK;
}

int cli_parse_long(const char *cmd, const char *option, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE) {
        cli_usage(cmd, "%s: not a whole number: '%s'", option, text);
        return 0;
    }
    if (v < lo || v > hi) {
        cli_usage(cmd, "%s: %ld is out of range (%ld to %ld)", option, v, lo, hi);
        return 0;
    }
    *out = v;
    return 1;
}

void cli_free_list(char **list)
{
    for (char **p = list; p && *p; p++) free(*p);
    free(list);
}

char **cli_split_list(const char *cmd, const char *option, const char *text, size_t *count)
{
    size_t n = 1;
    for (const char *p = text; *p; p++) n += *p == ',';
    char **list = rb_calloc(n + 1, sizeof *list);
    if (!list) {
        fprintf(stderr, "rebal: out of memory\n");
        *count = 0;
        return NULL;
    }
    const char *start = text;
    for (size_t i = 0; i < n; i++) {
        const char *end = strchr(start, ',');
        if (!end) end = start + strlen(start);
        while (start < end && (*start == ' ' || *start == '\t')) start++;
        const char *stop = end;
        while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t')) stop--;
        if (stop == start) {
            cli_usage(cmd, "%s: empty item in '%s'", option, text);
            cli_free_list(list);
            *count = 0;
            return NULL;
        }
        list[i] = rb_strndup(start, (size_t)(stop - start));
        if (!list[i]) {
            fprintf(stderr, "rebal: out of memory\n");
            cli_free_list(list);
            *count = 0;
            return NULL;
        }
        start = *end ? end + 1 : end;
    }
    *count = n;
    return list;
}

int cli_output_open(cli_output *out, const char *path)
{
    out->path = path;
    out->tmp = NULL;
    out->f = stdout;
    if (!path) return 1;
    /* Not a regular file (a terminal, a pipe, /dev/stdout): written in place, as it is; a
     * temporary file renamed over it would replace the device or pipe itself. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (!(out->f = fopen(path, "w"))) {
            fprintf(stderr, "rebal: %s: cannot open: %s\n", path, strerror(errno));
            return 0;
        }
        return 1;
    }
    size_t len = strlen(path) + 16;
    if (!(out->tmp = rb_malloc(len))) {
        fputs("rebal: out of memory\n", stderr);
        return 0;
    }
    snprintf(out->tmp, len, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(out->tmp);
    out->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!out->f) {
        fprintf(stderr, "rebal: %s: cannot create: %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(out->tmp);
        }
        free(out->tmp);
        out->tmp = NULL;
        return 0;
    }
    return 1;
}

int cli_output_report(const cli_output *out, const rb_error *err)
{
    fprintf(stderr, "rebal: %s: %s\n", out->path ? out->path : "standard output",
            err->msg[0] ? err->msg : rb_strerror(err->code));
    return err->code == RB_ERR_USAGE ? CLI_USAGE : CLI_RUNTIME;
}

int cli_output_close(cli_output *out, int ok)
{
    if (!out->path) {
        if (fflush(stdout) != 0 && ok) {
            fprintf(stderr, "rebal: writing standard output failed: %s\n", strerror(errno));
            return 0;
        }
        return ok;
    }
    int werr = rb_stream_close(out->f);
    int failed = werr != 0;
    if (ok && failed) fprintf(stderr, "rebal: %s: write failed: %s\n", out->path, strerror(werr));
    if (!out->tmp) { /* written in place */
        out->f = NULL;
        return ok && !failed;
    }
    if (ok && !failed && rename(out->tmp, out->path) != 0) {
        fprintf(stderr, "rebal: %s: cannot replace: %s\n", out->path, strerror(errno));
        failed = 1;
    }
    if (!ok || failed) unlink(out->tmp);
    free(out->tmp);
    out->tmp = NULL;
    out->f = NULL;
    return ok && !failed;
}
