/* mpiwait.c - sleeping MPI waits, share and agree (see mpiwait.h). */
#include "common/mpiwait.h"

#include <time.h>

#include "benprep/status.h"
#include "common/stop.h"

void bp_nap(long *ns)
{
    *ns = *ns < 1000000 ? *ns + 20000 : 1000000;
    struct timespec ts = {0, *ns};
    nanosleep(&ts, NULL);
}

static int wait_for(MPI_Request *req, MPI_Status *status, int stoppable)
{
    long ns = 0;
    for (;;) {
        int done = 0;
        int rc = MPI_Test(req, &done, status ? status : MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || done)
            return rc;
        if (stoppable && bp_stop_signal)
            return BP_MPI_STOPPED;
        bp_nap(&ns);
    }
}

int bp_mpi_wait(MPI_Request *req, MPI_Status *status)
{
    return wait_for(req, status, 0);
}

int bp_mpi_wait_stoppable(MPI_Request *req, MPI_Status *status)
{
    return wait_for(req, status, 1);
}

int bp_mpi_share(void *buf, int len, MPI_Comm comm)
{
    MPI_Request req;
    int rc = MPI_Ibcast(buf, len, MPI_BYTE, 0, comm, &req);
    if (rc == MPI_SUCCESS)
        rc = bp_mpi_wait(&req, MPI_STATUS_IGNORE);
    return rc == MPI_SUCCESS ? BP_OK : BP_MPI;
}

int bp_mpi_agree(int status, MPI_Comm comm)
{
    int worst = status;
    MPI_Request req;
    int rc = MPI_Iallreduce(&status, &worst, 1, MPI_INT, MPI_MAX, comm, &req);
    if (rc == MPI_SUCCESS)
        rc = bp_mpi_wait(&req, MPI_STATUS_IGNORE);
    return rc == MPI_SUCCESS ? worst : BP_MPI;
}
