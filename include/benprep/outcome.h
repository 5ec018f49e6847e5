/*
 * outcome.h - what became of one chunk of the plan: its shard's figures, its
 * statistics and the patches it skipped.
 *
 * The converter fills a struct bp_chunk_outcome (chunk.h), the dispatcher
 * carries it to rank 0, which records it (tally.h), journals it
 * (journal.h) and finally lists it in the manifest (manifest.h), which is
 * written from struct bp_chunk_result and struct bp_skip.
 */
#ifndef BENPREP_OUTCOME_H
#define BENPREP_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

#include "benprep/shard.h"
#include "benprep/stats.h"

/* A patch skipped under --max-failures: where it is and why. */
struct bp_skip {
    uint32_t chunk; /* plan index */
    uint32_t row;   /* index of the row within the chunk */
    char *file;     /* owned */
    char *reason;   /* owned */
};

/* A list of skipped patches. A zeroed list is empty; it owns its entries'
 * strings. */
struct bp_skips {
    struct bp_skip *v;
    size_t n, cap;
};

/* Append a copy of file and reason. Returns BP_OK or BP_NOMEM (the list is
 * unchanged then). */
int bp_skips_add(struct bp_skips *s, uint32_t chunk, uint32_t row,
                 const char *file, const char *reason);

/* Remove the entries of chunk (it is being converted again). */
void bp_skips_drop_chunk(struct bp_skips *s, uint32_t chunk);

/* Sort by chunk, then row: the manifest's order. */
void bp_skips_sort(struct bp_skips *s);

/* Remove every entry, keeping the array for reuse. */
void bp_skips_clear(struct bp_skips *s);

/* Release everything; the list is empty afterwards. */
void bp_skips_free(struct bp_skips *s);

/* What became of one chunk: rank 0's record, the manifest's input. */
struct bp_chunk_result {
    uint64_t records;
    uint64_t bytes;
    uint32_t crc32c;
    int32_t status;       /* BP_OK once the shard is final */
    uint64_t index_bytes; /* its .idx file, with --index */
    uint32_t index_crc32c;
};

/* One conversion of a chunk, as the converting rank reports it. */
struct bp_chunk_outcome {
    int32_t chunk;  /* plan index; -1: no chunk */
    int32_t status; /* BP_OK: the shard is closed (or was kept) */
    int kept;       /* a journaled shard was found intact: nothing converted */
    struct bp_shard_info shard;
    struct bp_stats stats;
    struct bp_skips skips; /* row order; chunk fields equal chunk */
};

/* Make o the empty outcome of chunk (status BP_OK), keeping its memory. */
void bp_outcome_reset(struct bp_chunk_outcome *o, int32_t chunk);

/* Release what o owns. Accepts a zeroed outcome. */
void bp_outcome_free(struct bp_chunk_outcome *o);

#endif
