/* mpi_sweep.h - `rebal sweep` over MPI ranks (mpirun -n R rebal sweep ...; the build's
 * -Dmpi=enabled): rank 0 reads the specification and the prices, records the sweep and is
 * the only writer of the results store; the other ranks ("workers") run chunks of
 * configurations it hands out on request with the batch simulator on their own threads and
 * send each chunk's metrics back. docs/mpi.md says how to run it. Without MPI (mpi_none.c)
 * every process is rank 0 of 1 and nothing here is called but cli_mpi_start and
 * cli_mpi_finish. No MPI type appears here. */
#ifndef RB_CLI_MPI_SWEEP_H
#define RB_CLI_MPI_SWEEP_H

#include <signal.h>

#include "rebal.h"
#include "sweep_exec.h"

typedef struct cli_mpi {
    int rank, size;      /* 0 and 1 when not started by an MPI launcher */
    int started;         /* MPI_Init was called */
    int broadcast;       /* --broadcast-prices: rank 0 sends the price matrix */
    int job_sent;        /* rank 0: the workers were sent the sweep */
    int workers_done;    /* rank 0: every worker was told the sweep is over and said so */
    char note[512];      /* rank 0: why the workers stopped early ("" when they did not) */
    struct cli_mpi_server *server; /* rank 0: the workers served (mpi_sweep.c); kept after a
                                      stopped sweep until cli_mpi_settle */
} cli_mpi;

/* Starts MPI when an MPI launcher (mpirun, srun) started this process; else rank 0 of 1. A
 * failure is reported (one line) and returns CLI_RUNTIME; else CLI_OK. A build without MPI
 * started as one of several MPI processes refuses (CLI_USAGE): each would run the whole
 * sweep. */
int cli_mpi_start(cli_mpi *mp);

/* A worker rank's whole sweep: waits for the sweep from rank 0, runs the chunks it is sent
 * (prices from the store at db, read-only, or broadcast by rank 0), sends their results.
 * stop: set by SIGINT or SIGTERM. Returns the exit status. */
int cli_mpi_worker(cli_mpi *mp, const char *db, int threads, volatile int *stop);

/* Rank 0's runner of the sweep's queue (rb_sweep_run_exec; exec_ctx: the cli_mpi). */
rb_status cli_mpi_exec(void *exec_ctx, const rb_sweep_work *w, uint64_t *completed, rb_error *err);

/* Rank 0, after a sweep that was stopped (SIGINT, SIGTERM) and recorded as interrupted: waits
 * for the workers to answer, at most 0.4 s from the stop, and names in mp->note those that
 * did not. Nothing to do (returns at once) otherwise, and without MPI. */
void cli_mpi_settle(cli_mpi *mp);

/* Rank 0, once the command is done (status: its exit status): tells workers that were sent
 * nothing that there is nothing to do, and ends MPI; when workers may be left running (the
 * sweep was stopped) it ends every rank (MPI_Abort with status) after flushing the output.
 * Returns status. */
int cli_mpi_finish(cli_mpi *mp, int status);

#endif /* RB_CLI_MPI_SWEEP_H */
