/* ben-prep: MPI up, parse, run, MPI down, exit with the agreed status. */
#include <mpi.h>
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "benprep/config.h"
#include "benprep/log.h"
#include "benprep/run.h"
#include "benprep/status.h"

int main(int argc, char **argv)
{
#ifdef __GLIBC__
    /* GDAL and libtiff allocate and free buffers of a few hundred KB for
     * every band they open. Keep such blocks in the heap instead of a fresh
     * mmap/munmap (and page faults) each time. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
        fprintf(stderr, "ben-prep: cannot start MPI\n");
        return 1;
    }
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);

    /* Every rank parses the same command line; only rank 0 prints. */
    struct bp_config cfg;
    enum bp_cli_result cli = bp_cli_parse(argc, argv, &cfg,
                                          rank == 0 ? stdout : NULL,
                                          rank == 0 ? stderr : NULL);
    int exit_code = cli == BP_CLI_USAGE ? 2 : 0;
    if (cli == BP_CLI_RUN) {
        int level = BP_LOG_INFO + cfg.verbosity;
        bp_log_setup(rank, level < BP_LOG_ERROR ? BP_LOG_ERROR : level);
        int status = bp_run(&cfg, MPI_COMM_WORLD);
        exit_code = bp_status_exit_code(status);
        bp_config_free(&cfg);
        if (status == BP_MPI)
            MPI_Abort(MPI_COMM_WORLD, exit_code);
    }
    fflush(stdout);
    MPI_Finalize();
    return exit_code;
}
