/* mpi_none.c - the build without MPI (-Dmpi=disabled): every process is rank 0 of 1
 * (mpi_sweep.h). */
#include <string.h>

#include "cli.h"
#include "error.h"
#include "mpi_sweep.h"

int cli_mpi_start(cli_mpi *mp)
{
    memset(mp, 0, sizeof *mp);
    mp->size = 1;
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
