/* ben-prep: MPI up, parse, run, MPI down, exit with the agreed status. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "benprep/config.h"
#include "benprep/log.h"
#include "benprep/run.h"
#include "benprep/status.h"
#include "benprep/verify.h"

/* Whether the converter's parser stopped at --help (not --version). */
static int asked_for_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

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

    /* "ben-prep verify OUT ...": the verifier parses its own options. */
    if (argc > 1 && strcmp(argv[1], "verify") == 0) {
        int code = bp_verify_main(argc - 1, argv + 1, MPI_COMM_WORLD);
        if (code < 0)
            MPI_Abort(MPI_COMM_WORLD, 1);
        fflush(stdout);
        MPI_Finalize();
        return code;
    }

    /* Every rank parses the same command line; only rank 0 prints. */
    struct bp_config cfg;
    enum bp_cli_result cli = bp_cli_parse(argc, argv, &cfg,
                                          rank == 0 ? stdout : NULL,
                                          rank == 0 ? stderr : NULL);
    int exit_code = cli == BP_CLI_USAGE ? 2 : 0;
    if (cli == BP_CLI_EXIT && rank == 0 && asked_for_help(argc, argv))
        printf("\nTo check an output: ben-prep verify OUT [options] (see "
               "ben-prep verify --help)\n");
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
