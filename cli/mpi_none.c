/* mpi_none.c - the build without MPI (-Dmpi=disabled): every process is rank 0 of 1
 * (mpi_sweep.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "mpi_sweep.h"

/* How many processes an MPI launcher started beside this one, from the environment it
 * gives them (Open MPI's mpirun, MPICH's hydra); 1 when none did. */
static long launched_processes(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        char *end = NULL;
        long n = v ? strtol(v, &end, 10) : 0;
        if (v && end != v && n > 1) return n;
    }
    return 1;
}

int cli_mpi_start(cli_mpi *mp)
{
    memset(mp, 0, sizeof *mp);
    mp->size = 1;
    /* Under `mpirun -n R`, R copies of this build would each run the whole sweep into the
     * same results store. */
    long n = launched_processes();
    if (n > 1) {
        fprintf(stderr,
                "rebal sweep: started as one of %ld MPI processes, but this rebal was built without MPI: each would "
                "run the whole sweep; build it with 'meson setup -Dmpi=enabled' (docs/mpi.md), or run it alone\n",
                n);
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cli_mpi_worker(cli_mpi *mp, const char *db, int threads, volatile int *stop)
{
    (void)mp, (void)db, (void)threads, (void)stop;
    return CLI_RUNTIME; /* never called: there are no workers */
}

rb_status cli_mpi_exec(void *exec_ctx, const rb_sweep_work *w, uint64_t *completed, rb_error *err)
{
    (void)exec_ctx, (void)w, (void)completed;
    return rb_fail(err, RB_ERR_USAGE, "this rebal was built without MPI");
}

void cli_mpi_settle(cli_mpi *mp)
{
    (void)mp;
}

int cli_mpi_finish(cli_mpi *mp, int status)
{
    (void)mp;
    return status;
}
