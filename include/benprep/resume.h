/*
 * resume.h - --resume: what an earlier run in the output folder finished,
 * taken over by this run, and the start of this run's journal.
 */
#ifndef BENPREP_RESUME_H
#define BENPREP_RESUME_H

#include "benprep/config.h"
#include "benprep/inputs.h"
#include "benprep/journal.h"
#include "benprep/outdir.h"
#include "benprep/tally.h"

/* Rank 0, once the output folder is open (e says what it held). With
 * --resume, an earlier run of other inputs or options is refused
 * (BP_USAGE, the differences named); an unfinished one's journal goes into
 * t (its shards are checked, then kept); a finished one (a manifest)
 * leaves nothing to do: *complete is set. Then, unless complete, this
 * run's journal is started with the earlier entries: *journal. Returns
 * BP_OK, BP_USAGE, BP_INPUT (the earlier run skipped more patches than
 * --max-failures allows now), BP_NOMEM or BP_OUTPUT; every failure is
 * logged. */
int bp_resume_start(const struct bp_config *cfg,
                    const struct bp_run_inputs *in,
                    const struct bp_earlier *e, struct bp_tally *t,
                    struct bp_journal **journal, int *complete);

#endif
