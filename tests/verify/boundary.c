/*
 * boundary.c - the verifier on its own: linked against benprep_verify (and
 * the common module it needs) and nothing of the converter, so the build
 * fails when the verifier starts to use the converter's encoder, band
 * decoder or label parser. Run as "verify-boundary verify ARGS..." it is
 * "ben-prep verify ARGS..." without the converter.
 */
#include <mpi.h>
#include <stdio.h>

#include "benprep/status.h"
#include "benprep/verify.h"

int main(int argc, char **argv)
{
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
        fprintf(stderr, "verify-boundary: cannot start MPI\n");
        return 1;
    }
    int status = bp_verify_main(argc - 1, argv + 1, MPI_COMM_WORLD);
    int code = bp_status_exit_code(status);
    fflush(stdout);
    if (status == BP_MPI)
        MPI_Abort(MPI_COMM_WORLD, code);
    MPI_Finalize();
    return code;
}
