/*
 * roots.h - internal to the converter: a run's two roots made ready before
 * any conversion. A tar or gzip root is indexed first (its index found
 * fresh, or built: one rank per archive, the S1 archive on rank 1 % N and
 * the S2 archive on rank 2 % N, so that both are indexed at once), and
 * every rank learns the outcome and the index's path; then every converting
 * rank opens each root once for its reader.
 */
#ifndef BENPREP_CONVERT_ROOTS_H
#define BENPREP_CONVERT_ROOTS_H

#include <mpi.h>

#include "benprep/config.h"
#include "benprep/patch.h"
#include "dispatch/wait.h"

struct bp_roots {
    char index[2][4096]; /* the index of -r1 / -r2 when an archive, or "" */
};

/* Collective over comm: index the archive roots of cfg (OUT, created by
 * now, is where an index goes when the archive's folder is not writable;
 * --index-dir overrides). Returns the same status on every rank: BP_OK;
 * BP_INPUT when an archive cannot be indexed or is damaged (logged by the
 * rank that indexed it, naming the archive and why); BP_OUTPUT or BP_USAGE
 * when its index cannot be written; BP_INTERRUPTED or BP_MPI. */
int bp_roots_index(const struct bp_config *cfg, struct bp_wait *w,
                   MPI_Comm comm, struct bp_roots *roots);

/* A reader over cfg's roots, each archive opened once with its index.
 * BP_OK with *out; BP_INPUT (an archive cannot be opened, logged) or
 * BP_NOMEM. */
int bp_roots_reader(const struct bp_config *cfg, const struct bp_roots *roots,
                    struct bp_reader **out);

#endif
