/* main.c - the rebal command: finds the subcommand in the command table and runs it.
 * Exit codes: 0 success, 1 runtime error (bad data, failed I/O), 2 usage error. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command *const commands[] = {
    &cli_import, &cli_assets, &cli_series, &cli_export, &cli_run,   &cli_sweep,
    &cli_runs,   &cli_report_cmd, &cli_synth, &cli_demo,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const cli_command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0) return commands[i];
    return NULL;
}

/* "; did you mean run?" for a misspelt command (or, with topics, help topic), or "". */
static const char *nearest_command(const char *name, int topics, char *hint, size_t len)
{
    const char *names[NCOMMANDS + 3];
    size_t n = 0;
    for (size_t i = 0; i < NCOMMANDS; i++) names[n++] = commands[i]->name;
    if (topics) {
        names[n++] = "metrics";
        names[n++] = "strategies";
    } else {
        names[n++] = "help";
    }
    const char *best = rb_nearest_name(name, names, n);
    snprintf(hint, len, "%s%s%s", best ? "; did you mean " : "", best ? best : "", best ? "?" : "");
    return hint;
}

static int usage(FILE *out)
{
    fputs("Usage: rebal COMMAND [OPTIONS] [ARGS]\n"
          "\n"
          "Historical research on portfolio rebalancing: load price histories into a SQLite\n"
          "price store, then replay them under rebalancing rules, costs and taxes.\n"
          "\n"
          "Commands:\n", out);
    for (size_t i = 0; i < NCOMMANDS; i++) fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fputs("  help       show the help of a command (rebal help COMMAND), or of a topic:\n"
          "             rebal help metrics, rebal help strategies, rebal help venues\n"
          "\n"
          "Options:\n"
          "  -h, --help     show this help\n"
          "  -V, --version  show the version\n"
          "\n"
          "The price store is ./rebal.db unless --db PATH or the REBAL_DB environment variable\n"
          "names another. Exit status: 0 success, 1 runtime error (bad data, failed I/O),\n"
          "2 usage error. See rebal(1) for the full manual.\n", out);
    return out == stdout ? CLI_OK : CLI_USAGE;
}

static int help(int argc, char **argv)
{
    if (argc < 3) return usage(stdout);
    const cli_command *cmd = find(argv[2]);
    if (!cmd && cli_help_topic(argv[2])) return CLI_OK;
    char hint[96];
    if (!cmd) return cli_usage(NULL, "help: no such command or topic '%s'%s", argv[2], nearest_command(argv[2], 1, hint, sizeof hint));
    return cli_print_help(cmd);
}

int main(int argc, char **argv)
{
    cli_prefault_program();
    /* SQLite gives each connection's page cache a block of 20 pages up front and writes a
     * header into every one of them: some 20 first-touch page faults per connection (6-20 us
     * each on a busy VM), for pages a command mostly never uses. Without the block, pages
     * come one at a time as they are needed. Before SQLite initializes, or it is refused:
     * then the default simply stays. */
    (void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
    /* No memory statistics (nothing reads them): SQLite then takes no global mutex around
     * each of its allocations, which the results writer's thread and the command's own
     * connections would otherwise share. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    cli_heap_settings();
    if (argc < 2) {
        fputs("rebal: missing command\n", stderr);
        return usage(stderr);
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) return usage(stdout);
    if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0) {
        printf("rebal %s (price store schema %d, SQLite %s)\n", RB_VERSION, rb_store_schema_version(),
               sqlite3_libversion());
        return CLI_OK;
    }
    if (strcmp(name, "help") == 0) return help(argc, argv);
    const cli_command *cmd = find(name);
    if (!cmd) {
        if (name[0] == '-') return cli_usage(NULL, "unknown option '%s' (a command comes first)", name);
        char hint[96];
        return cli_usage(NULL, "unknown command '%s'%s", name, nearest_command(name, 0, hint, sizeof hint));
    }
    return cmd->run(argc - 1, argv + 1);
}
