/*
 * run.h - one ben-prep conversion, from split files to manifest.
 */
#ifndef BENPREP_RUN_H
#define BENPREP_RUN_H

#include <mpi.h>

#include "benprep/config.h"

/*
 * Collective over comm. Rank 0 reads and plans the split files, then hands
 * chunks to ranks 1..N-1 on demand (with one rank it converts them itself),
 * collects each shard's figures and writes the manifest. Every rank returns
 * the same status (enum bp_status), agreed at the end; no rank burns a core
 * while it waits for others.
 */
int bp_run(const struct bp_config *cfg, MPI_Comm comm);

/* Complete req without busy-polling: test, then sleep a little longer each
 * time (up to about a millisecond). Returns MPI_SUCCESS or an MPI error. */
int bp_mpi_wait(MPI_Request *req, MPI_Status *status);

#endif
