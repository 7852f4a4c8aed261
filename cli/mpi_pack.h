/* mpi_pack.h - a chunk's results as one message of an MPI sweep (the layout is mpi_wire.h's):
 * written by a worker (mpi_worker.c) position by position from its simulation threads, read
 * by rank 0 (mpi_sweep.c) row by row back into the rb_metrics the worker had, byte for byte.
 * A row carries the metrics' numbers only (240 bytes, not the 576 of an rb_metrics with its
 * two text fields, nor the 1,048 of a row that could hold an rb_error): each text field is a
 * code into the message's table of the distinct texts the worker has seen (one or two in
 * practice: the data's periods source, and the next-open note or none), and a failed
 * configuration's message travels in the failures after the rows. No MPI here: the bench
 * (bench/mpi_rows.c) packs and unpacks with the same code. */
#ifndef RB_CLI_MPI_PACK_H
#define RB_CLI_MPI_PACK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "mpi_wire.h"
#include "rebal.h"

/* The distinct texts of the two text fields a worker has seen (its whole life: sent in full
 * with every message). Interned by concurrent simulation threads: the table is searched
 * without the lock up to the count published, and grown under it. */
typedef struct cli_wire_texts {
    pthread_mutex_t mu;
    int count[WIRE_FIELDS]; /* published with release, read with acquire */
    char periods[WIRE_TEXTS][WIRE_PERIODS_BYTES];
    char notes[WIRE_TEXTS][WIRE_NOTE_BYTES];
} cli_wire_texts;

/* A worker's results message under way: header, a row slot per position of the chunk, and
 * room for the texts and failures appended when it is sent. */
typedef struct cli_wire_out {
    unsigned char *msg;
    size_t cap;      /* bytes of msg */
    size_t n;        /* positions of the chunk under way */
    char *filled;    /* per position: its row was written */
    rb_error *why;   /* per position: a failed configuration's message */
    size_t slots;    /* positions filled and why have room for */
    cli_wire_texts texts;
} cli_wire_out;

/* Sets o up empty. */
void cli_wire_out_init(cli_wire_out *o);
void cli_wire_out_free(cli_wire_out *o);

/* Makes room for a chunk of n positions (n <= RB_CHUNK_MAX) and marks every one empty. */
rb_status cli_wire_begin(cli_wire_out *o, size_t n, rb_error *err);

/* Position pos's row: configuration k's metrics, or its failure. From any thread, each
 * position once. RB_ERR_USAGE when a text field holds more distinct texts than the table
 * (WIRE_TEXTS) keeps. */
rb_status cli_wire_put(cli_wire_out *o, size_t pos, uint64_t k, const rb_metrics *m, rb_error *err);
void cli_wire_put_failure(cli_wire_out *o, size_t pos, uint64_t k, const rb_error *why);

/* The message of the chunk's rows (empty positions marked so; none at all before the first
 * chunk), whether the worker stops, the texts and the failures: *msg and *bytes, valid until
 * the next call on o. */
rb_status cli_wire_finish(cli_wire_out *o, int stopping, const void **msg, size_t *bytes, rb_error *err);

/* Rank 0's reading of one message. */
typedef struct cli_wire_in {
    results_header h;
    const wire_row *rows;
    const char *periods, *notes; /* the tables */
    const unsigned char *failures;
    uint64_t next_failure;
    int codes[WIRE_FIELDS]; /* the texts in m now (-1: none yet) */
    rb_metrics m;           /* the row rebuilt */
} cli_wire_in;

/* Checks a message's layout against its size (rank: its sender, for the error). */
rb_status cli_wire_open(cli_wire_in *in, const void *msg, size_t bytes, int rank, rb_error *err);

/* Row i (< in->h.rows): 0 for an empty position, 1 with *k and *m (in->m, rebuilt), 2 with *k
 * and *why (a failed configuration); -1 with err set when the row is malformed. */
int cli_wire_row(cli_wire_in *in, uint64_t i, int rank, uint64_t *k, const rb_metrics **m, const rb_error **why,
                 rb_error *err);

#endif /* RB_CLI_MPI_PACK_H */
