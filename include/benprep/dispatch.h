/*
 * dispatch.h - handing out the chunks: rank 0 gives each worker (ranks
 * 1..N-1) a chunk as it asks for work, records each outcome (tally and
 * journal) and tells the worker whether to publish the shard; with one
 * rank, rank 0 converts every chunk itself. The message format stays
 * inside the dispatcher (src/dispatch/message.h).
 *
 * A worker renames its finished shard to the final name only after rank 0
 * has answered the request that reported it, i.e. after rank 0 has written
 * it to the journal: a shard under a final name is always in the journal.
 *
 * A failure, a stop signal or --max-failures stops the handing out: busy
 * workers are told to abort their chunks, and every worker is told to
 * stop. Rank 0 also watches for workers that stall (--stall-limit): one
 * that holds a chunk and has sent nothing for that long is named (rank,
 * host, chunk) and the run ends without it.
 */
#ifndef BENPREP_DISPATCH_H
#define BENPREP_DISPATCH_H

#include <mpi.h>

#include "benprep/chunk.h"
#include "benprep/config.h"
#include "benprep/inputs.h"
#include "benprep/journal.h"
#include "benprep/progress.h"
#include "benprep/tally.h"

struct bp_wait;

/* Rank 0's part of a run, owned by the caller, used by the dispatcher. */
struct bp_rank0 {
    const struct bp_config *cfg;
    const struct bp_run_inputs *in;
    struct bp_tally *tally;
    struct bp_journal *journal;
    struct bp_progress *progress;
    int stalled; /* out: the first worker that stalled, or 0 */
};

/* Rank 0 with workers; the other ranks run bp_dispatch_work(). Returns the
 * run's status: BP_OK when every chunk is finished; BP_MPI when a worker
 * stalled (logged with its rank, host and chunk; z->stalled says which)
 * or MPI failed. When it gave up on a worker (a stall, or no answer
 * within the grace after a stop signal) w->gave_up is set: the ranks
 * cannot end together. */
int bp_dispatch_serve(struct bp_rank0 *z, MPI_Comm comm, struct bp_wait *w);

/* Rank 0 alone converts every chunk with cv. Returns the run's status. */
int bp_dispatch_alone(struct bp_rank0 *z, struct bp_converter *cv);

/* A worker (rank 1..N-1): asks rank 0 for chunks and converts them with cv
 * until told to stop. A NULL cv (it could not be made) is reported to
 * rank 0 as BP_NOMEM. Returns this rank's status. */
int bp_dispatch_work(const struct bp_config *cfg, struct bp_converter *cv,
                     MPI_Comm comm, struct bp_wait *w);

#endif
