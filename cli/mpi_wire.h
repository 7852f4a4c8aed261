/* mpi_wire.h - the messages between rank 0 and the workers of an MPI sweep (mpi_sweep.c,
 * mpi_worker.c). Rank 0 sends each worker TAG_JOB (a job_header) or TAG_QUIT; after TAG_JOB
 * every rank takes part in the broadcasts of the specification's text, the bonus target
 * and, with --broadcast-prices, the packed price matrix. A worker then sends TAG_RESULTS
 * (a results_header and its rows: the previous chunk's, none at first) and gets TAG_CHUNK
 * (the next configuration indices; none: the sweep is over for it), or sends TAG_FAIL (a
 * one-line message) and stops. Everything is in this machine's byte order: the ranks run
 * the same rebal on the same architecture. */
#ifndef RB_CLI_MPI_WIRE_H
#define RB_CLI_MPI_WIRE_H

#include <mpi.h>
#include <stdint.h>

#include "rebal.h"

enum { TAG_JOB = 1, TAG_QUIT, TAG_RESULTS, TAG_CHUNK, TAG_FAIL };

typedef struct job_header {
    uint64_t spec_bytes;   /* the specification's text, its NUL included */
    uint64_t matrix_bytes; /* 0: each worker reads the price store itself */
    uint64_t assets;       /* of the bonus target */
    int32_t has_bonus;     /* the bonus of the first configuration's static targets follows */
    int32_t pad;
    double bonus;
} job_header;

typedef struct results_header {
    uint64_t rows;
    int32_t stopping; /* the worker was stopped (SIGINT, SIGTERM) and sends no more */
    int32_t pad;
} results_header;

/* One configuration's outcome: its metrics, or why it failed. */
typedef struct wire_row {
    uint64_t index;
    int32_t failed; /* 1: error holds its failure */
    int32_t pad;
    union {
        rb_metrics metrics;
        rb_error error;
    } u;
} wire_row;

/* Broadcasts bytes from rank 0 in pieces an int count can hold. */
int cli_mpi_bcast_bytes(void *buf, uint64_t bytes);

/* Waits for a message from source (MPI_ANY_SOURCE: any) without spinning a core: probes,
 * naps (50 us, doubling up to 1 ms while nothing comes), probes again. Returns 1 with *st
 * set, or 0 once *stop is set (stop may be NULL) or, with deadline > 0, once the monotonic
 * clock passes it. */
int cli_mpi_wait(int source, MPI_Status *st, volatile int *stop, double deadline);

double cli_mpi_now(void);

#endif /* RB_CLI_MPI_WIRE_H */
