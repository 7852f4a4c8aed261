/* mpi_worker.c - a worker rank of an MPI sweep (mpi_sweep.h): the sweep received from rank
 * 0, its prices read or received, then chunk after chunk run by the batch simulator on this
 * rank's threads and their rows sent back. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "batch.h"
#include "cli.h"
#include "error.h"
#include "matrix_wire.h"
#include "mpi_sweep.h"
#include "mpi_wire.h"
#include "resolve.h"
#include "spec.h"
#include "sweep.h"

/* What one worker holds: the sweep, its prices, and the rows of the chunk under way. */
typedef struct worker {
    rb_sweep *sweep;
    rb_store *store; /* NULL with --broadcast-prices */
    rb_matrix *m;
    double *bonus_target;
    job_header job;
    const uint64_t *chunk;
    size_t n;
    unsigned char *msg; /* a results_header, then the chunk's rows by position */
    char *filled;       /* per position: its row was written */
} worker;

static rb_status spec_of(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    (void)err;
    rb_sweep_fill(((worker *)ctx)->sweep, k, spec);
    return RB_OK;
}

/* Configuration k's row in the chunk (ascending indices: a binary search). */
static wire_row *row_of(worker *wk, uint64_t k)
{
    size_t lo = 0, hi = wk->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (wk->chunk[mid] <= k) lo = mid;
        else hi = mid;
    }
    wk->filled[lo] = 1;
    return (wire_row *)(wk->msg + sizeof(results_header)) + lo;
}

static rb_status take_result(void *ctx, uint64_t k, const rb_metrics *m, rb_error *err)
{
    (void)err;
    wire_row *row = row_of(ctx, k);
    row->index = k, row->failed = 0, row->u.metrics = *m;
    return RB_OK;
}

static rb_status take_failure(void *ctx, uint64_t k, const rb_error *why, rb_error *err)
{
    (void)err;
    wire_row *row = row_of(ctx, k);
    row->index = k, row->failed = 1, row->u.error = *why;
    return RB_OK;
}

/* Sends the rows written (moved together, in the chunk's order) and whether this rank stops. */
static void send_results(worker *wk, int stopping)
{
    results_header h = {.stopping = stopping};
    if (!wk->msg) { /* the first request: no rows */
        MPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, TAG_RESULTS, MPI_COMM_WORLD);
        return;
    }
    wire_row *rows = (wire_row *)(wk->msg + sizeof(results_header));
    uint64_t got = 0;
    for (size_t i = 0; i < wk->n; i++)
        if (wk->filled[i]) rows[got++] = rows[i];
    h.rows = got;
    memcpy(wk->msg, &h, sizeof h);
    MPI_Send(wk->msg, (int)(sizeof h + got * sizeof *rows), MPI_BYTE, 0, TAG_RESULTS, MPI_COMM_WORLD);
    wk->n = 0;
}

static int fail(const char *fmt, const char *msg)
{
    char line[1200];
    snprintf(line, sizeof line, fmt, msg);
    MPI_Send(line, (int)strlen(line), MPI_BYTE, 0, TAG_FAIL, MPI_COMM_WORLD);
    return CLI_RUNTIME;
}

/* The broadcasts after TAG_JOB (every rank takes part, whatever fails), then the sweep and
 * its prices. Returns CLI_OK, or the status after telling rank 0 why not. */
static int receive_job(worker *wk, const char *db)
{
    char *text = rb_malloc(wk->job.spec_bytes);
    wk->bonus_target = wk->job.has_bonus ? rb_malloc(wk->job.assets * sizeof(double)) : NULL;
    unsigned char *packed = wk->job.matrix_bytes ? rb_malloc(wk->job.matrix_bytes) : NULL;
    int ok = text && (!wk->job.has_bonus || wk->bonus_target) && (!wk->job.matrix_bytes || packed);
    /* Out of memory: the broadcasts still take place (into a scratch buffer), then it fails. */
    ok = cli_mpi_bcast_bytes(text, wk->job.spec_bytes) && ok;
    if (wk->job.has_bonus) ok = cli_mpi_bcast_bytes(wk->bonus_target, wk->job.assets * sizeof(double)) && ok;
    if (packed) ok = cli_mpi_bcast_bytes(packed, wk->job.matrix_bytes) && ok;
    rb_error err = {0};
    rb_status rc = ok ? RB_OK : rb_fail(&err, RB_ERR_NOMEM, "out of memory receiving the sweep");
    if (rc == RB_OK) rc = rb_sweep_parse_text(text, "the sweep from rank 0", &wk->sweep, &err);
    if (rc == RB_OK && packed) rc = rb_matrix_unpack(packed, wk->job.matrix_bytes, &wk->m, &err);
    if (rc == RB_OK && !packed) {
        rb_run_spec data; /* the [data] settings, as rank 0 resolved them */
        rb_sweep_fill(wk->sweep, 0, &data);
        rc = rb_store_open(db, RB_STORE_READONLY | RB_STORE_CACHE, &wk->store, &err);
        if (rc == RB_OK) rc = rb_resolve_matrix(wk->store, &data, &wk->m, &err);
    }
    free(text);
    free(packed);
    return rc == RB_OK ? CLI_OK : fail("%s", err.msg);
}

/* Runs the chunk just received; rows go into wk->msg. */
static int run_chunk(worker *wk, int threads, volatile int *stop)
{
    unsigned char *msg = rb_realloc(wk->msg, sizeof(results_header) + wk->n * sizeof(wire_row));
    if (msg) wk->msg = msg;
    char *filled = msg ? rb_realloc(wk->filled, wk->n) : NULL;
    if (filled) wk->filled = filled;
    if (!msg || !filled) return fail("%s", "out of memory for a chunk's results");
    memset(wk->filled, 0, wk->n);
    rb_batch_options bo = {.threads = threads,
                           .stop = (volatile sig_atomic_t *)stop,
                           .failed = take_failure,
                           .bonus_target = wk->bonus_target,
                           .bonus = wk->job.bonus};
    rb_error err = {0};
    uint64_t completed = 0;
    rb_status rc = rb_batch_run(wk->store, wk->m, wk->chunk, wk->n, spec_of, take_result, wk, &bo, &completed, &err);
    return rc == RB_OK ? CLI_OK : fail("%s", err.msg);
}

/* Chunk after chunk until rank 0 sends an empty one (CLI_OK) or this rank is stopped. */
static int serve_chunks(worker *wk, int threads, volatile int *stop)
{
    uint64_t *chunk = NULL;
    int status = CLI_OK;
    send_results(wk, 0); /* the first request */
    for (;;) {
        MPI_Status st;
        if (!cli_mpi_wait(0, &st, stop, 0)) { /* stopped while waiting */
            send_results(wk, 1);
            status = 128 + SIGTERM;
            break;
        }
        int count = 0;
        MPI_Get_count(&st, MPI_UINT64_T, &count);
        uint64_t *grown = rb_realloc(chunk, ((size_t)count + 1) * sizeof *chunk);
        if (!grown) {
            status = fail("%s", "out of memory for a chunk");
            break;
        }
        chunk = grown;
        MPI_Recv(chunk, count, MPI_UINT64_T, 0, TAG_CHUNK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (count == 0) break; /* the sweep is over for this rank */
        wk->chunk = chunk, wk->n = (size_t)count;
        if ((status = run_chunk(wk, threads, stop)) != CLI_OK) break;
        send_results(wk, *stop != 0);
        if (*stop) {
            status = 128 + SIGTERM;
            break;
        }
    }
    free(chunk);
    return status;
}

int cli_mpi_worker(cli_mpi *mp, const char *db, int threads, volatile int *stop)
{
    worker wk = {0};
    MPI_Status st;
    if (!cli_mpi_wait(0, &st, stop, 0)) return 128 + SIGTERM; /* stopped before the sweep came */
    int status = CLI_OK;
    if (st.MPI_TAG == TAG_JOB) {
        MPI_Recv(&wk.job, sizeof wk.job, MPI_BYTE, 0, TAG_JOB, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        status = receive_job(&wk, db);
        if (status == CLI_OK) status = serve_chunks(&wk, threads, stop);
    } else {
        MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG_QUIT, MPI_COMM_WORLD, MPI_STATUS_IGNORE); /* nothing to run */
    }
    rb_matrix_free(wk.m);
    rb_store_free(wk.store);
    rb_sweep_free(wk.sweep);
    free(wk.bonus_target);
    free(wk.msg);
    free(wk.filled);
    /* A stopped rank leaves without MPI_Finalize, which would wait for the others: rank 0
     * ends the job. */
    if (status <= CLI_RUNTIME || status == CLI_USAGE) MPI_Finalize();
    mp->started = 0;
    return status;
}
