/*
 * tally.h - rank 0's record of what became of every chunk of the plan: the
 * figures of each finished shard (converted now or kept from the earlier
 * run), each chunk's statistics, the skipped patches, and the counts that
 * progress lines and the summary report.
 *
 * The manifest is written from it; the journal (journal.h) holds the same
 * facts on disk, and --resume reads them back into it.
 */
#ifndef BENPREP_TALLY_H
#define BENPREP_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "benprep/journal.h"
#include "benprep/outcome.h"
#include "benprep/stats.h"

struct bp_tally {
    size_t nchunks;
    struct bp_chunk_result *results; /* per chunk; BP_ABORTED until done */
    unsigned char *journaled; /* per chunk: the figures come from the
                                 earlier run's journal; the file is to be
                                 checked before it is kept */
    struct bp_stats *stats;   /* per chunk, merged per split at the end */
    struct bp_skips skips;    /* of every chunk */
    /* Chunks this run converted: */
    uint64_t done_records, done_bytes, done_rows;
    size_t done_chunks; /* with a shard file (not every patch skipped) */
    /* Chunks of the earlier run found intact and kept: */
    uint64_t kept_records, kept_rows;
    size_t kept_chunks;
};

/* An empty tally of nchunks chunks, none finished. Returns BP_OK or
 * BP_NOMEM; free it with bp_tally_free() in either case. */
int bp_tally_init(struct bp_tally *t, size_t nchunks);

void bp_tally_free(struct bp_tally *t);

/* Take in the outcome of a chunk of rows rows: a kept shard, or a converted
 * one whose figures, statistics and skips replace what the journal said.
 * Returns o->status when that is not BP_OK (nothing recorded), BP_NOMEM,
 * or BP_OK. An outcome of no chunk (chunk -1) only returns its status. */
int bp_tally_take(struct bp_tally *t, const struct bp_chunk_outcome *o,
                  uint32_t rows);

/* Take in a journal entry of the earlier run: its shard is finished, to be
 * checked and kept. Returns BP_OK or BP_NOMEM. */
int bp_tally_restore(struct bp_tally *t, const struct bp_journal_entry *e);

/* Chunks finished so far (kept or converted, or restored). */
size_t bp_tally_finished(const struct bp_tally *t);

#endif
