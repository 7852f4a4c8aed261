/* mpi_rows.c - what it costs to send a configuration's row to rank 0 in an MPI sweep
 * (cli/mpi_sweep.c, cli/mpi_worker.c), without the simulation and the results store:
 * every worker sends chunks of RB_CHUNK_MAX rows (cli/mpi_wire.h's wire_row, metrics and
 * index) as results messages and takes the next chunk of indices; rank 0 probes, receives
 * without blocking (MPI_Irecv, MPI_Test; naps from 50 us doubling to 1 ms between probes) and answers with the
 * next chunk (MPI_Isend), as rank 0 of a sweep does, and reads every row's index and one
 * metric. Prints the wall time per row seen by rank 0 (the overhead a configuration adds
 * to a sweep's critical path there) and per row sent by a worker.
 *   mpirun -n R mpi_rows [ROWS_PER_WORKER]   (default 200,000) */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Rank 0: serves chunks until every worker has sent rows rows; returns rows received. */
static uint64_t serve(int workers, uint64_t rows, double *check)
{
    size_t cap = sizeof(results_header) + RB_CHUNK_MAX * sizeof(wire_row);
    unsigned char *buf = malloc(cap);
    uint64_t *chunk = malloc(RB_CHUNK_MAX * sizeof *chunk), got = 0, *sent_rows = calloc((size_t)workers + 1, 8);
    MPI_Request *sent = malloc(((size_t)workers + 1) * sizeof *sent);
    for (int r = 0; r <= workers; r++) sent[r] = MPI_REQUEST_NULL;
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
        results_header h;
        memcpy(&h, buf, sizeof h);
        const wire_row *row = (const wire_row *)(buf + sizeof h);
        for (uint64_t i = 0; i < h.rows; i++) *check += (double)row[i].index + row[i].u.metrics.final_value;
        got += h.rows;
        sent_rows[src] += h.rows;
        int n = sent_rows[src] < rows ? RB_CHUNK_MAX : 0;
        MPI_Wait(&sent[src], MPI_STATUS_IGNORE);
        MPI_Isend(chunk, n, MPI_UINT64_T, src, TAG_CHUNK, MPI_COMM_WORLD, &sent[src]);
        if (!n) live--;
    }
    MPI_Waitall(workers + 1, sent, MPI_STATUSES_IGNORE);
    free(buf), free(chunk), free(sent_rows), free(sent);
    return got;
}

/* A worker: rows as a sweep's worker writes them, chunk after chunk. */
static uint64_t work(void)
{
    size_t bytes = sizeof(results_header) + RB_CHUNK_MAX * sizeof(wire_row);
    unsigned char *msg = calloc(1, bytes);
    uint64_t *chunk = malloc(RB_CHUNK_MAX * sizeof *chunk), sent = 0;
    results_header h = {0};
    MPI_Send(&h, sizeof h, MPI_BYTE, 0, TAG_RESULTS, MPI_COMM_WORLD); /* the first request */
    for (;;) {
        MPI_Status st;
        MPI_Recv(chunk, RB_CHUNK_MAX, MPI_UINT64_T, 0, TAG_CHUNK, MPI_COMM_WORLD, &st);
        int n = 0;
        MPI_Get_count(&st, MPI_UINT64_T, &n);
        if (n == 0) break;
        wire_row *row = (wire_row *)(msg + sizeof h);
        for (int i = 0; i < n; i++) row[i].index = chunk[i], row[i].u.metrics.final_value = (double)i;
        h.rows = (uint64_t)n;
        memcpy(msg, &h, sizeof h);
        MPI_Send(msg, (int)(sizeof h + (size_t)n * sizeof(wire_row)), MPI_BYTE, 0, TAG_RESULTS, MPI_COMM_WORLD);
        sent += (uint64_t)n;
    }
    free(msg), free(chunk);
    return sent;
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
    uint64_t n = rank == 0 ? serve(size - 1, rows, &check) : work();
    double took = cli_mpi_now() - t0, worst = 0;
    MPI_Reduce(&took, &worst, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank == 0)
        printf("  %d worker%s, %llu rows of %zu bytes to rank 0 in %.3f s: %.3f us per row at rank 0 (check %g)\n",
               size - 1, size == 2 ? "" : "s", (unsigned long long)n, sizeof(wire_row), worst, 1e6 * worst / (double)n,
               check);
    MPI_Finalize();
    return 0;
}
