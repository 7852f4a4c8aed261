/* import_lib.c - the import benchmark's library driver: opens the price store, calls
 * rb_import_files on the given CSV files, closes the store, and prints the wall time.
 * Usage: import_lib DB FILE...   Output: "seconds rows bars_added" on one line. */
#include <stdio.h>

#include "clock_chain.h"
#include "rebal.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: import_lib DB FILE...\n");
        return 2;
    }
    double t0 = clock_chain_now_s();
    rb_error err;
    rb_store *store;
    if (rb_store_open(argv[1], 0, &store, &err) != RB_OK) {
        fprintf(stderr, "import_lib: %s\n", err.msg);
        return 1;
    }
    rb_import_options opt;
    rb_import_options_init(&opt);
    rb_import_stats st;
    rb_status rc = rb_import_files(store, (const char *const *)argv + 2, (size_t)argc - 2, &opt, &st, &err);
    rb_store_free(store); /* closing checkpoints the WAL into the database file: part of the cost */
    double t1 = clock_chain_now_s();
    if (rc != RB_OK) {
        fprintf(stderr, "import_lib: %s\n", err.msg);
        return 1;
    }
    printf("%.3f %zu %zu\n", t1 - t0, st.rows, st.bars_added);
    return 0;
}
