/* The build without MPI (cli/mpi_none.c) under an MPI launcher: started as one of several
 * processes it refuses, since each would run the whole sweep; alone (or under mpirun -n 1)
 * it is rank 0 of 1. Compiled into this test whatever the build's -Dmpi. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdlib.h>

#include "cli.h"
#include "mpi_sweep.h"

static void clear_env(void)
{
    unsetenv("OMPI_COMM_WORLD_SIZE");
    unsetenv("PMI_SIZE");
}

TestSuite(mpi_none, .init = clear_env);

Test(mpi_none, alone_it_is_rank_0_of_1)
{
    cli_mpi mp;
    cr_assert_eq(cli_mpi_start(&mp), CLI_OK);
    cr_assert_eq(mp.rank, 0);
    cr_assert_eq(mp.size, 1);
    setenv("OMPI_COMM_WORLD_SIZE", "1", 1);
    cr_assert_eq(cli_mpi_start(&mp), CLI_OK, "mpirun -n 1 runs the sweep once");
}

Test(mpi_none, one_of_several_mpi_processes_refuses, .init = cr_redirect_stderr)
{
    clear_env();
    setenv("OMPI_COMM_WORLD_SIZE", "3", 1);
    cli_mpi mp;
    cr_assert_eq(cli_mpi_start(&mp), CLI_USAGE);
    unsetenv("OMPI_COMM_WORLD_SIZE");
    setenv("PMI_SIZE", "4", 1);
    cr_assert_eq(cli_mpi_start(&mp), CLI_USAGE);
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "rebal sweep: started as one of 3 MPI processes, but this rebal was built without MPI: each would run the "
        "whole sweep; build it with 'meson setup -Dmpi=enabled' (docs/mpi.md), or run it alone\n"
        "rebal sweep: started as one of 4 MPI processes, but this rebal was built without MPI: each would run the "
        "whole sweep; build it with 'meson setup -Dmpi=enabled' (docs/mpi.md), or run it alone\n");
}
