/* mpi_wire.h - the messages between rank 0 and the workers of an MPI sweep (mpi_sweep.c,
 * mpi_worker.c). Rank 0 sends each worker TAG_JOB (a job_header) or TAG_QUIT; after TAG_JOB
 * every rank takes part in the broadcasts of the specification's text and name, the bonus target
 * and, with --broadcast-prices, the packed price matrix and the series the sweep reads. A worker then sends TAG_RESULTS
 * (a results_header and its rows: a chunk's, none for its first WIRE_AHEAD requests) and
 * gets a TAG_CHUNK for each (the next configuration indices; none: the sweep is over for
 * it), or sends TAG_FAIL (a one-line message), takes the chunks still owed to it and stops. Everything is in this machine's byte order: the ranks run
 * the same rebal on the same architecture. */
#ifndef RB_CLI_MPI_WIRE_H
#define RB_CLI_MPI_WIRE_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "rebal.h"

enum { TAG_JOB = 1, TAG_QUIT, TAG_RESULTS, TAG_CHUNK, TAG_FAIL };

typedef struct job_header {
    uint64_t spec_bytes;   /* the specification's text, its NUL included */
    uint64_t name_bytes;   /* its name (the sweep file's path as rank 0 read it), NUL included */
    uint64_t files_digest; /* rb_sweep_files_digest on rank 0: the files the sweep names */
    int32_t from_file;     /* the name is a file's path ([venues] paths are relative to it) */
    int32_t files_any;     /* the sweep names files at all */
    uint64_t matrix_bytes; /* 0: each worker reads the price store itself */
    uint64_t series_bytes; /* with the matrix: the series the sweep reads (0: none) */
    uint64_t assets;       /* of the bonus target */
    int32_t has_bonus;     /* the bonus of the first configuration's static targets follows */
    int32_t pad;
    double bonus;
} job_header;

/* How many chunks a worker holds: the one it runs and the next, asked for with the results
 * of the one before, so that it never waits for rank 0 between chunks. A worker starts with
 * WIRE_AHEAD requests (results messages without rows); each chunk it is sent and runs gives
 * one more, and rank 0 answers every request with a chunk (empty: none left). */
#define WIRE_AHEAD 2

/* A results message (mpi_pack.h writes and reads it): this header; `rows` wire_rows, one
 * per position of the chunk; the text tables, count[0] periods texts of WIRE_PERIODS_BYTES
 * then count[1] notes of WIRE_NOTE_BYTES; `failures` wire_failures, in row order. */
typedef struct results_header {
    uint64_t rows;
    uint64_t failures;
    uint32_t count[2]; /* the text tables' entries */
    int32_t stopping;  /* the worker was stopped (SIGINT, SIGTERM) and sends no more */
    int32_t pad;
} results_header;

enum { WIRE_FIELDS = 2, WIRE_TEXTS = 16 };
#define WIRE_PERIODS_BYTES sizeof(((rb_metrics *)0)->periods_source)
#define WIRE_NOTE_BYTES sizeof(((rb_metrics *)0)->exec_note)
/* The numbers of rb_metrics: every byte before periods_source (the text fields and rf after). */
#define WIRE_HEAD_BYTES offsetof(rb_metrics, periods_source)
#define WIRE_NO_ROW UINT64_MAX

/* One position's outcome: configuration `index`'s numbers, and its texts as codes into the
 * message's tables; or (failed) that it failed, its message among the failures; or nothing
 * (index WIRE_NO_ROW: the worker was stopped before it). */
typedef struct wire_row {
    uint64_t index;
    uint16_t periods, note; /* entries of the text tables */
    uint32_t failed;
    unsigned char head[WIRE_HEAD_BYTES];
    double rf;
} wire_row;

typedef struct wire_failure {
    uint64_t index;
    rb_error why;
    int32_t pad;
} wire_failure;

/* Broadcasts bytes from rank 0 in pieces an int count can hold. */
int cli_mpi_bcast_bytes(void *buf, uint64_t bytes);

/* Waits for a message from source (MPI_ANY_SOURCE: any) without spinning a core: probes,
 * naps (50 us, doubling up to 1 ms while nothing comes), probes again. Returns 1 with *st
 * set, or 0 once *stop is set (stop may be NULL) or, with deadline > 0, once the monotonic
 * clock passes it. */
int cli_mpi_wait(int source, MPI_Status *st, volatile int *stop, double deadline);

/* Waits for a request to complete as cli_mpi_wait waits for a message: tests, naps, tests. */
void cli_mpi_complete(MPI_Request *req);

double cli_mpi_now(void);

#endif /* RB_CLI_MPI_WIRE_H */
