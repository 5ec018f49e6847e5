/*
 * manifest.h - OUT/manifest.json, the record of what a run produced.
 *
 * Written by rank 0 after every shard is finished: to a temporary name,
 * fsynced, renamed, and the folder fsynced, so manifest.json is either the
 * complete new manifest or absent. Its "splits" object lists, per split in
 * command-line order, the record count and the shards in row order, each
 * with its path (relative to OUT), records, bytes and CRC-32C as 8 lowercase
 * hex digits. Patches skipped under --max-failures are listed under
 * "failures" in row order; a chunk whose every patch was skipped has no
 * shard file and is not listed. skips must be sorted by chunk, then row.
 * Each split gets "statistics": the chunks' statistics merged in row order.
 */
#ifndef BENPREP_MANIFEST_H
#define BENPREP_MANIFEST_H

#include <stdint.h>
#include <time.h>

#include "benprep/config.h"
#include "benprep/csv.h"
#include "benprep/names.h"
#include "benprep/outcome.h"
#include "benprep/plan.h"
#include "benprep/stats.h"

struct bp_run_facts {
    int ranks;
    time_t started;
    double seconds;
};

/* Write OUT/manifest.json. Returns BP_OK, or BP_OUTPUT (logged). */
int bp_manifest_write(const struct bp_config *cfg,
                      const struct bp_inputs *in,
                      const struct bp_plan *plan,
                      const struct bp_chunk_result *results,
                      const struct bp_stats *chunk_stats,
                      const struct bp_skip *skips, size_t nskips,
                      const struct bp_run_facts *facts);

#endif
