/* mpi_rows.c - what it costs to send a configuration's row to rank 0 in an MPI sweep
 * (cli/mpi_sweep.c, cli/mpi_worker.c), without the simulation and the results store: every
 * worker holds WIRE_AHEAD chunks of RB_CHUNK_MAX configurations, writes each position's row
 * from an rb_metrics (its two text fields set, as a sweep's are) with cli/mpi_pack.c, sends
 * the results message (MPI_Isend, then MPI_Test between naps) and takes the next chunk of
 * indices; rank 0 probes, receives without blocking (MPI_Irecv, MPI_Test; naps from 50 us
 * doubling to 1 ms between probes), rebuilds every row's rb_metrics with cli/mpi_pack.c and
 * answers with the next chunk (MPI_Isend), as rank 0 of a sweep does. Prints the wall time per row seen by rank 0 (the overhead a
 * configuration adds to a sweep's critical path there).
 *   mpirun -n R mpi_rows [ROWS_PER_WORKER]   (default 200,000) */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mpi_pack.h"
#include "mpi_wire.h"
#include "sweep_chunks.h"

double cli_mpi_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* As cli_mpi_wait naps: from 50 us, doubling up to 1 ms while nothing comes. */
static void nap(long *ns)
{
    struct timespec t = {0, *ns};
    nanosleep(&t, NULL);
    *ns = *ns * 2 < 1000000L ? *ns * 2 : 1000000L;
}

/* Rank 0's reading of a message: every row rebuilt, its index and a metric summed. */
static uint64_t take(const unsigned char *buf, int bytes, int src, double *check)
{
    cli_wire_in in;
    rb_error err = {0};
    if (cli_wire_open(&in, buf, (size_t)bytes, src, &err) != RB_OK) {
        fprintf(stderr, "mpi_rows: %s\n", err.msg);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    uint64_t got = 0;
    for (uint64_t i = 0; i < in.h.rows; i++) {
        uint64_t k;
        const rb_metrics *m;
        const rb_error *why;
        if (cli_wire_row(&in, i, src, &k, &m, &why, &err) != 1) {
            fprintf(stderr, "mpi_rows: row %llu: %s\n", (unsigned long long)i, err.msg);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        *check += (double)k + m->final_value + (double)m->periods_source[0];
        got++;
    }
    return got;
}

/* Rank 0: answers every request (each worker's WIRE_AHEAD first ones, then one per chunk)
 * until every worker was given rows rows; returns the rows received. */
static uint64_t serve(int workers, uint64_t rows, double *check)
{
    size_t cap = sizeof(results_header) + RB_CHUNK_MAX * sizeof(wire_row) + 4096;
    unsigned char *buf = malloc(cap);
    uint64_t *chunk = malloc(RB_CHUNK_MAX * sizeof *chunk), got = 0, *given = calloc((size_t)workers + 1, 8);
    uint64_t *answered = calloc((size_t)workers + 1, 8), *full = calloc((size_t)workers + 1, 8);
    MPI_Request *sent = malloc(((size_t)workers + 1) * WIRE_AHEAD * sizeof *sent);
    for (int r = 0; r < (workers + 1) * WIRE_AHEAD; r++) sent[r] = MPI_REQUEST_NULL;
    for (size_t i = 0; i < RB_CHUNK_MAX; i++) chunk[i] = i;
    int live = workers;
    long ns = 50000;
    while (live > 0) {
        MPI_Status st;
        int flag = 0;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULTS, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            nap(&ns);
            continue;
        }
        ns = 50000;
        int bytes = 0, done = 0, src = st.MPI_SOURCE;
        MPI_Get_count(&st, MPI_BYTE, &bytes);
        MPI_Request req;
        MPI_Irecv(buf, bytes, MPI_BYTE, src, TAG_RESULTS, MPI_COMM_WORLD, &req);
        while (!done) {
            MPI_Test(&req, &done, MPI_STATUS_IGNORE);
            if (!done) nap(&ns);
        }
        got += take(buf, bytes, src, check);
        int n = given[src] < rows ? RB_CHUNK_MAX : 0;
        MPI_Request *slot = &sent[(size_t)src * WIRE_AHEAD + answered[src] % WIRE_AHEAD];
        MPI_Wait(slot, MPI_STATUS_IGNORE);
        MPI_Isend(chunk, n, MPI_UINT64_T, src, TAG_CHUNK, MPI_COMM_WORLD, slot);
        answered[src]++;
        given[src] += (uint64_t)n;
        if (n) full[src]++;
        if (!n && answered[src] == WIRE_AHEAD + full[src]) live--;
    }
    MPI_Waitall((workers + 1) * WIRE_AHEAD, sent, MPI_STATUSES_IGNORE);
    free(buf), free(chunk), free(given), free(answered), free(full), free(sent);
    return got;
}

/* As cli_mpi_complete: a send completed without polling a core. */
static void complete(MPI_Request *req)
{
    long ns = 50000;
    for (int done = 0;;) {
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done) return;
        nap(&ns);
    }
}

/* A worker: rows as a sweep's worker writes them, chunk after chunk, one ahead. */
static void work(void)
{
    cli_wire_out out;
    cli_wire_out_init(&out);
    rb_metrics m = {0};
    snprintf(m.periods_source, sizeof m.periods_source, "inferred: daily bars, 365 a year");
    uint64_t *chunk = malloc(RB_CHUNK_MAX * sizeof *chunk);
    rb_error err = {0};
    const void *msg;
    size_t bytes;
    int owed = 0;
    for (; owed < WIRE_AHEAD; owed++) { /* the first requests */
        cli_wire_finish(&out, 0, &msg, &bytes, &err);
        MPI_Send(msg, (int)bytes, MPI_BYTE, 0, TAG_RESULTS, MPI_COMM_WORLD);
    }
    for (int over = 0; owed > 0; owed--) {
        MPI_Status st;
        MPI_Recv(chunk, RB_CHUNK_MAX, MPI_UINT64_T, 0, TAG_CHUNK, MPI_COMM_WORLD, &st);
        int n = 0;
        MPI_Get_count(&st, MPI_UINT64_T, &n);
        if (n == 0 || over) {
            over = 1;
            continue;
        }
        cli_wire_begin(&out, (size_t)n, &err);
        for (int i = 0; i < n; i++) {
            m.final_value = (double)i;
            cli_wire_put(&out, (size_t)i, chunk[i], &m, &err);
        }
        cli_wire_finish(&out, 0, &msg, &bytes, &err);
        MPI_Request req;
        MPI_Isend(msg, (int)bytes, MPI_BYTE, 0, TAG_RESULTS, MPI_COMM_WORLD, &req);
        complete(&req);
        owed++;
    }
    free(chunk);
    cli_wire_out_free(&out);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    uint64_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    if (size < 2) {
        if (rank == 0) fprintf(stderr, "mpi_rows: run it with 2 ranks or more (mpirun -n 2 mpi_rows)\n");
        MPI_Finalize();
        return 2;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = cli_mpi_now(), check = 0;
    uint64_t n = 0;
    if (rank == 0) n = serve(size - 1, rows, &check);
    else work();
    double took = cli_mpi_now() - t0, worst = 0;
    MPI_Reduce(&took, &worst, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank == 0)
        printf("  %d worker%s, %llu rows of %zu bytes to rank 0 in %.3f s: %.3f us per row at rank 0 (check %g)\n",
               size - 1, size == 2 ? "" : "s", (unsigned long long)n, sizeof(wire_row), worst, 1e6 * worst / (double)n,
               check);
    MPI_Finalize();
    return 0;
}
