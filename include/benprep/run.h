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
 * while it waits for others. A stop signal (common/stop.h; the program
 * installs the handlers) ends the run with BP_INTERRUPTED within seconds.
 *
 * *alone is set when this rank ended without the others' agreement: a
 * worker stalled (--stall-limit), or a peer did not answer within seconds
 * of a stop signal. Its status is then its own, and MPI_Finalize would
 * wait for the missing peer: the caller must end with MPI_Abort(comm, the
 * status's exit code) instead.
 */
int bp_run(const struct bp_config *cfg, MPI_Comm comm, int *alone);

#endif
