/*
 * mpiwait.h - internal: MPI waits that sleep instead of spinning, and the
 * collective steps every phase ends with.
 *
 * Open MPI's blocking calls busy-poll, so a rank that waits would burn a
 * core the workers need. These helpers test, then sleep a little longer
 * each time (up to about a millisecond). Every wait also watches the stop
 * flag (stop.h): when a stop signal has come and the wait is interruptible,
 * it returns BP_MPI_STOPPED instead of waiting on, so SIGTERM ends a rank
 * that waits on a peer that will never answer.
 */
#ifndef BENPREP_COMMON_MPIWAIT_H
#define BENPREP_COMMON_MPIWAIT_H

#include <mpi.h>

/* Returned by the waits below when a stop signal came first. Not an MPI
 * error code (those are >= 0). */
#define BP_MPI_STOPPED (-1)

/* Sleep for the next step of a back-off that starts at *ns = 0. */
void bp_nap(long *ns);

/* Complete req without busy-polling. Returns MPI_SUCCESS or an MPI error
 * code. Not interruptible: for requests whose partner is known to answer
 * (or whose failure MPI reports). */
int bp_mpi_wait(MPI_Request *req, MPI_Status *status);

/* The same, but returns BP_MPI_STOPPED (leaving req pending) when a stop
 * signal is seen before the request completes. */
int bp_mpi_wait_stoppable(MPI_Request *req, MPI_Status *status);

/* Collective over comm: every rank learns root 0's len bytes at buf.
 * Returns BP_OK or BP_MPI. */
int bp_mpi_share(void *buf, int len, MPI_Comm comm);

/* Collective over comm: the status that takes precedence over all ranks'
 * (the largest, see status.h). Returns it, or BP_MPI when MPI fails. */
int bp_mpi_agree(int status, MPI_Comm comm);

#endif
