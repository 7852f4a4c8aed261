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
#include "series_wire.h"
#include "mpi_pack.h"
#include "mpi_sweep.h"
#include "mpi_wire.h"
#include "resolve.h"
#include "spec.h"
#include "sweep.h"
#include "sweep_chunks.h"
#include "sweep_inputs.h"

/* What one worker holds: the sweep, its prices, and the rows of the chunk under way. */
typedef struct worker {
    rb_sweep *sweep;
    rb_store *store; /* NULL with --broadcast-prices */
    rb_matrix *m;
    double *bonus_target;
    job_header job;
    const uint64_t *chunk;
    size_t n;
    cli_wire_out out; /* the results message of the chunk under way */
    int owed;         /* requests sent to rank 0 and not answered yet (chunks on their way) */
} worker;

static rb_status spec_of(void *ctx, uint64_t k, rb_run_spec *spec, rb_error *err)
{
    (void)err;
    rb_sweep_fill(((worker *)ctx)->sweep, k, spec);
    return RB_OK;
}

/* Configuration k's position in the chunk (ascending indices: a binary search). */
static size_t position_of(const worker *wk, uint64_t k)
{
    size_t lo = 0, hi = wk->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (wk->chunk[mid] <= k) lo = mid;
        else hi = mid;
    }
    return lo;
}

static rb_status take_result(void *ctx, uint64_t k, const rb_metrics *m, rb_error *err)
{
    worker *wk = ctx;
    return cli_wire_put(&wk->out, position_of(wk, k), k, m, err);
}

static rb_status take_failure(void *ctx, uint64_t k, const rb_error *why, rb_error *err)
{
    (void)err;
    worker *wk = ctx;
    cli_wire_put_failure(&wk->out, position_of(wk, k), k, why);
    return RB_OK;
}

/* Tells rank 0 why this rank stops, after taking the chunks still owed to it (rank 0 answers
 * every request, and must not be left with a send no one receives). */
static int fail(worker *wk, const char *msg)
{
    char line[1200];
    snprintf(line, sizeof line, "%s", msg);
    MPI_Send(line, (int)strlen(line), MPI_BYTE, 0, TAG_FAIL, MPI_COMM_WORLD);
    static uint64_t dropped[RB_CHUNK_MAX]; /* only this rank's main thread calls MPI */
    for (; wk->owed > 0; wk->owed--)
        MPI_Recv(dropped, RB_CHUNK_MAX, MPI_UINT64_T, 0, TAG_CHUNK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return CLI_RUNTIME;
}

/* Sends the chunk's rows in their positions (none before the first chunk) and whether this
 * rank stops: a request for the next chunk too, unless it stops. */
static int send_results(worker *wk, int stopping)
{
    const void *msg;
    size_t bytes;
    rb_error err = {0};
    if (cli_wire_finish(&wk->out, stopping, &msg, &bytes, &err) != RB_OK) return fail(wk, err.msg);
    /* Not MPI_Send, which polls a core until rank 0 takes the message: rank 0 takes it
     * between its commits, and once stopped it commits and marks the sweep interrupted
     * first, on cores it may share with this rank. */
    MPI_Request req;
    MPI_Isend(msg, (int)bytes, MPI_BYTE, 0, TAG_RESULTS, MPI_COMM_WORLD, &req);
    cli_mpi_complete(&req);
    if (!stopping) wk->owed++;
    return CLI_OK;
}

/* The files the sweep names, as this rank reads them, against rank 0's digest of them: a rank
 * in another directory, or on a node with other copies, would run other configurations under
 * rank 0's results. */
static rb_status check_files(const worker *wk, rb_error *err)
{
    uint64_t files = 0;
    int any = 0;
    rb_status rc = rb_sweep_files_digest(wk->sweep, &files, &any, err);
    if (rc != RB_OK || (files == wk->job.files_digest && any == wk->job.files_any)) return rc;
    char named[512];
    rb_sweep_inputs_named(wk->sweep, 1, named, sizeof named);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rb_fail(err, RB_ERR_DATA,
                   "rank %d reads other files than rank 0 for this sweep (%s): run mpirun from the same directory, "
                   "with the same files on every node, or name them by absolute paths",
                   rank, named);
}

/* The broadcasts after TAG_JOB (every rank takes part, whatever fails), then the sweep and
 * its prices. Returns CLI_OK, or the status after telling rank 0 why not. */
static int receive_job(worker *wk, const char *db)
{
    char *text = rb_malloc(wk->job.spec_bytes), *name = rb_malloc(wk->job.name_bytes);
    wk->bonus_target = wk->job.has_bonus ? rb_malloc(wk->job.assets * sizeof(double)) : NULL;
    unsigned char *packed = wk->job.matrix_bytes ? rb_malloc(wk->job.matrix_bytes) : NULL;
    unsigned char *series = wk->job.series_bytes ? rb_malloc(wk->job.series_bytes) : NULL;
    int ok = text && name && (!wk->job.has_bonus || wk->bonus_target) && (!wk->job.matrix_bytes || packed) &&
             (!wk->job.series_bytes || series);
    /* Out of memory: the broadcasts still take place (into a scratch buffer), then it fails. */
    ok = cli_mpi_bcast_bytes(text, wk->job.spec_bytes) && ok;
    ok = cli_mpi_bcast_bytes(name, wk->job.name_bytes) && ok;
    if (wk->job.has_bonus) ok = cli_mpi_bcast_bytes(wk->bonus_target, wk->job.assets * sizeof(double)) && ok;
    if (packed) ok = cli_mpi_bcast_bytes(packed, wk->job.matrix_bytes) && ok;
    if (series) ok = cli_mpi_bcast_bytes(series, wk->job.series_bytes) && ok;
    rb_error err = {0};
    rb_status rc = ok ? RB_OK : rb_fail(&err, RB_ERR_NOMEM, "out of memory receiving the sweep");
    /* Read as rank 0 read it: its [venues] paths relative to the sweep file's path. */
    if (rc == RB_OK && wk->job.from_file) rc = rb_sweep_parse_text_at(text, name, &wk->sweep, &err);
    else if (rc == RB_OK) rc = rb_sweep_parse_text(text, "the sweep from rank 0", &wk->sweep, &err);
    if (rc == RB_OK) rc = check_files(wk, &err);
    if (rc == RB_OK && packed) rc = rb_matrix_unpack(packed, wk->job.matrix_bytes, &wk->m, &err);
    /* The series the configurations read, in a store in memory of their own. */
    if (rc == RB_OK && series) rc = rb_series_unpack(series, wk->job.series_bytes, &wk->store, &err);
    if (rc == RB_OK && !packed) {
        rb_run_spec data; /* the [data] settings, as rank 0 resolved them */
        rb_sweep_fill(wk->sweep, 0, &data);
        rc = rb_store_open(db, RB_STORE_READONLY | RB_STORE_CACHE, &wk->store, &err);
        if (rc == RB_OK) rc = rb_resolve_matrix(wk->store, &data, &wk->m, &err);
    }
    free(text);
    free(name);
    free(packed);
    free(series);
    return rc == RB_OK ? CLI_OK : fail(wk, err.msg);
}

/* Runs the chunk just received; its rows go into wk->out. */
static int run_chunk(worker *wk, int threads, volatile int *stop)
{
    rb_error err = {0};
    if (cli_wire_begin(&wk->out, wk->n, &err) != RB_OK) return fail(wk, err.msg);
    rb_batch_options bo = {.threads = threads,
                           .stop = (volatile sig_atomic_t *)stop,
                           .failed = take_failure,
                           .bonus_target = wk->bonus_target,
                           .bonus = wk->job.bonus};
    uint64_t completed = 0;
    rb_status rc = rb_batch_run(wk->store, wk->m, wk->chunk, wk->n, spec_of, take_result, wk, &bo, &completed, &err);
    return rc == RB_OK ? CLI_OK : fail(wk, err.msg);
}

/* WIRE_AHEAD requests, then chunk after chunk, each answered with its results (and so a
 * request for another), until rank 0 has answered every request and the last answer was
 * empty (CLI_OK), or this rank is stopped. */
static int serve_chunks(worker *wk, int threads, volatile int *stop)
{
    uint64_t *chunk = rb_malloc(RB_CHUNK_MAX * sizeof *chunk);
    if (!chunk) return fail(wk, "out of memory for a chunk");
    int status = CLI_OK, over = 0;
    for (int i = 0; i < WIRE_AHEAD && status == CLI_OK; i++) status = send_results(wk, 0);
    while (status == CLI_OK && wk->owed > 0) {
        MPI_Status st;
        if (!cli_mpi_wait(0, &st, stop, 0)) { /* stopped while waiting */
            send_results(wk, 1);
            status = 128 + SIGTERM;
            break;
        }
        int count = 0;
        MPI_Get_count(&st, MPI_UINT64_T, &count);
        MPI_Recv(chunk, RB_CHUNK_MAX, MPI_UINT64_T, 0, TAG_CHUNK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        wk->owed--;
        if (count == 0 || over) { /* the sweep is over for this rank: the answers left are empty too */
            over = 1;
            continue;
        }
        wk->chunk = chunk, wk->n = (size_t)count;
        if ((status = run_chunk(wk, threads, stop)) != CLI_OK) break;
        if ((status = send_results(wk, *stop != 0)) == CLI_OK && *stop) status = 128 + SIGTERM;
    }
    free(chunk);
    return status;
}

int cli_mpi_worker(cli_mpi *mp, const char *db, int threads, volatile int *stop)
{
    worker wk = {0};
    cli_wire_out_init(&wk.out);
    MPI_Status st;
    int status = CLI_OK;
    if (!cli_mpi_wait(0, &st, stop, 0)) {
        status = 128 + SIGTERM; /* stopped before the sweep came */
    } else if (st.MPI_TAG == TAG_JOB) {
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
    cli_wire_out_free(&wk.out);
    /* A stopped rank leaves without MPI_Finalize, which would wait for the others: rank 0
     * ends the job. */
    if (status <= CLI_RUNTIME || status == CLI_USAGE) MPI_Finalize();
    mp->started = 0;
    return status;
}
