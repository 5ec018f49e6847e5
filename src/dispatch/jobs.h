/*
 * jobs.h - internal to the dispatcher: rank 0 turns chunks of the plan into
 * jobs and takes in their outcomes.
 */
#ifndef BENPREP_DISPATCH_JOBS_H
#define BENPREP_DISPATCH_JOBS_H

#include <stddef.h>

#include "benprep/dispatch.h"
#include "common/buf.h"

/* The next chunk from *next on that needs a job (journaled chunks whose
 * every patch was skipped have no file to check); plan.nchunks when none
 * is left. */
size_t bp_job_next(const struct bp_rank0 *z, size_t next);

/* Chunk c as a job: its rows into rows (grown as needed), its shard name
 * into name (size bytes); strings point into the plan's splits. Returns
 * BP_OK, BP_NOMEM or BP_USAGE (a name that does not fit; logged). */
int bp_job_make(const struct bp_rank0 *z, size_t c, struct bp_chunk_job *job,
                struct bp_buf *rows, char *name, size_t size);

/* Take in a chunk's outcome: recorded in the tally and journaled; more
 * skipped patches than --max-failures allows stop the run. Returns the
 * chunk's status, or a failure of rank 0's own (journal, memory,
 * BP_INPUT for too many failures). */
int bp_job_record(struct bp_rank0 *z, const struct bp_chunk_outcome *o);

#endif
