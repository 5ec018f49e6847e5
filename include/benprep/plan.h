/*
 * plan.h - cutting split files into chunks, one chunk per shard file.
 *
 * Each split is cut into chunks of records_per_shard consecutive rows (the
 * last one may be shorter); a split with no rows gets no chunk. Chunks are
 * ordered by split (command-line order), then by row, and a chunk's shard
 * file is "<split>-<index>-of-<count>.tfrecord" with 5-digit (or wider)
 * numbers, so shard names sort in row order. The plan depends only on the
 * rows and records_per_shard, never on the number of ranks.
 */
#ifndef BENPREP_PLAN_H
#define BENPREP_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "benprep/csv.h"

/* What a run reads: the split files, after the exclusion lists took out
 * their rows (removed[l * nsplits + s]: rows list l took from split s). */
struct bp_root_id;

struct bp_inputs {
    const struct bp_split *splits;
    size_t nsplits;
    const struct bp_split *excludes;
    size_t nexcludes;
    const uint64_t *removed;
    /* The archive roots' kind and fingerprint (archive.h); NULL for a
     * folder root. */
    const struct bp_root_id *root_s1, *root_s2;
};

/* Default rows per shard: shards of about 256 MiB at about 275 KB a record. */
#define BP_DEFAULT_RECORDS_PER_SHARD 976u
#define BP_MAX_RECORDS_PER_SHARD 100000u

struct bp_chunk {
    uint32_t split; /* index into the splits array */
    uint32_t index; /* shard number within the split, from 0 */
    uint32_t of;    /* number of shards of the split */
    uint32_t count; /* rows in this chunk */
    uint64_t first; /* index of the first row in the split's rows */
};

struct bp_plan {
    struct bp_chunk *chunks; /* owned */
    size_t nchunks;
    uint64_t total_rows;
};

/* Plan the splits. Returns BP_OK or BP_NOMEM. */
int bp_plan_build(const struct bp_split *splits, size_t nsplits,
                  uint32_t records_per_shard, struct bp_plan *out);

void bp_plan_free(struct bp_plan *plan);

/* Check that no S2 name and no S1 name appears in more than one row over
 * all splits; logs each repeat with both places. Returns BP_OK or BP_CSV. */
int bp_plan_check_unique(const struct bp_split *splits, size_t nsplits);

/* Drop from the splits every row whose S2 name is listed in one of the
 * exclusion lists (split files of one column, loaded like splits). For each
 * list l and split s, removed[l * nsplits + s] receives the rows it took
 * out (a name on several lists counts for the first). Line numbers of the
 * remaining rows are kept. Returns BP_OK or BP_NOMEM. */
int bp_plan_exclude(struct bp_split *splits, size_t nsplits,
                    const struct bp_split *lists, size_t nlists,
                    uint64_t *removed);

#endif
