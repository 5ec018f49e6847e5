/*
 * main.c - the ben-prep program: options first (--help, --version and usage
 * errors answer without starting MPI, for the converter, verify and index
 * alike), then MPI up, the signal handlers, the run, the verifier or the
 * indexing, MPI down, and the agreed exit status.
 */
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "benprep/config.h"
#include "benprep/index.h"
#include "benprep/log.h"
#include "benprep/run.h"
#include "benprep/status.h"
#include "benprep/verify.h"
#include "common/stop.h"

/* This process's rank as the launcher announces it before MPI starts
 * (mpirun, srun, other PMI launchers), so that only rank 0 prints help and
 * usage errors; 0 when started alone. */
static int launcher_rank(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK",
                                       "PMI_RANK", "SLURM_PROCID"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return atoi(v);
    }
    return 0;
}

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

/* SIGTERM, SIGINT and SIGUSR1 (SLURM's usual warning before a time limit)
 * ask the run to stop cleanly: the library reads the flag. */
static void install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = bp_stop_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

static int start_mpi(int *argc, char ***argv, int *rank)
{
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        fprintf(stderr, "ben-prep: cannot start MPI\n");
        return -1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    install_stop_handlers();
    return 0;
}

/* "ben-prep verify OUT ...": the verifier parses its own options, before
 * MPI starts, like the converter's; only rank 0 prints. */
static int verify_main(int argc, char **argv)
{
    int printer = launcher_rank() == 0;
    struct bp_verify_options opt;
    enum bp_verify_parse_result parsed =
        bp_verify_parse(argc - 1, argv + 1, &opt, printer ? stdout : NULL,
                        printer ? stderr : NULL);
    if (parsed != BP_VERIFY_RUN)
        return bp_status_exit_code(parsed == BP_VERIFY_USAGE ? BP_USAGE
                                                             : BP_OK);
    int rank = 0, must_abort = 0;
    if (start_mpi(&argc, &argv, &rank) != 0)
        return 1;
    int level = BP_LOG_INFO + opt.verbosity;
    bp_log_setup(rank, level < BP_LOG_ERROR ? BP_LOG_ERROR : level);
    int status = bp_verify_run(&opt, MPI_COMM_WORLD, &must_abort);
    int exit_code = bp_status_exit_code(status);
    fflush(stdout);
    if (must_abort)
        MPI_Abort(MPI_COMM_WORLD, exit_code);
    MPI_Finalize();
    return exit_code;
}

/* "ben-prep index ARCHIVE...": build the archives' indexes on their own;
 * the options parsed before MPI starts, like the converter's; only rank 0
 * prints. */
static int index_main(int argc, char **argv)
{
    int printer = launcher_rank() == 0;
    struct bp_index_request req;
    enum bp_index_parse_result parsed =
        bp_index_parse(argc - 1, argv + 1, &req, printer ? stdout : NULL,
                       printer ? stderr : NULL);
    if (parsed != BP_INDEX_RUN)
        return bp_status_exit_code(parsed == BP_INDEX_USAGE ? BP_USAGE
                                                            : BP_OK);
    int rank = 0;
    if (start_mpi(&argc, &argv, &rank) != 0) {
        bp_index_request_free(&req);
        return 1;
    }
    int status = bp_index_run(&req, MPI_COMM_WORLD);
    bp_index_request_free(&req);
    int code = bp_status_exit_code(status);
    if (status == BP_MPI)
        MPI_Abort(MPI_COMM_WORLD, code);
    fflush(stdout);
    MPI_Finalize();
    return code;
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
    /* "ben-prep verify OUT ...": the verifier parses its own options. */
    if (argc > 1 && strcmp(argv[1], "verify") == 0)
        return verify_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "index") == 0)
        return index_main(argc, argv);

    /* Every process parses the same command line; only rank 0 prints. */
    int printer = launcher_rank() == 0;
    struct bp_config cfg;
    enum bp_cli_result cli = bp_cli_parse(argc, argv, &cfg,
                                          printer ? stdout : NULL,
                                          printer ? stderr : NULL);
    if (cli != BP_CLI_RUN) {
        if (cli == BP_CLI_EXIT && printer && asked_for_help(argc, argv))
            printf("\nTo check an output: ben-prep verify OUT [options] (see "
                   "ben-prep verify --help)\nTo index tar or gzip archives "
                   "ahead of a run: ben-prep index ARCHIVE... (see ben-prep "
                   "index --help)\n");
        return cli == BP_CLI_USAGE ? 2 : 0;
    }

    int rank = 0;
    if (start_mpi(&argc, &argv, &rank) != 0) {
        bp_config_free(&cfg);
        return 1;
    }
    int level = BP_LOG_INFO + cfg.verbosity;
    bp_log_setup(rank, level < BP_LOG_ERROR ? BP_LOG_ERROR : level);
    int alone = 0;
    int status = bp_run(&cfg, MPI_COMM_WORLD, &alone);
    int exit_code = bp_status_exit_code(status);
    bp_config_free(&cfg);
    if (status == BP_MPI || alone)
        MPI_Abort(MPI_COMM_WORLD, exit_code);
    fflush(stdout);
    MPI_Finalize();
    return exit_code;
}
