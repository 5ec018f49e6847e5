/*
 * journal.h - the record of finished shards that makes a run resumable: the
 * file and the format of its entries, both directions.
 *
 * OUT/ben-prep.journal is a text file of JSON lines, written by rank 0 only.
 * The first line holds the run's identity (identity.h). Each further line
 * records one finished shard:
 *
 *   {"chunk": plan index, "shard": file name, "records": N, "bytes": N,
 *    "crc32c": "8 hex digits", ["index_bytes": N, "index_crc32c": "...",]
 *    "stats": the chunk's statistics (exact, stats.h),
 *    "skipped": [{"row": index in the chunk, "file": ..., "reason": ...}]}
 *
 * Every line is fsynced before the shard is renamed to its final name, so a
 * shard under a final name is always in the journal. A torn last line (a
 * kill during the write) is ignored when the journal is read; a later line
 * for the same chunk replaces an earlier one. The journal is removed once
 * the manifest is written.
 */
#ifndef BENPREP_JOURNAL_H
#define BENPREP_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "benprep/names.h"
#include "benprep/outcome.h"
#include "benprep/shard.h"
#include "benprep/stats.h"

/* One finished shard, as an entry line says it. */
struct bp_journal_entry {
    uint32_t chunk;   /* plan index */
    const char *shard; /* its file name */
    struct bp_shard_info figures;
    int has_index;    /* the figures include an index file (--index) */
    const struct bp_stats *stats;
    const struct bp_skip *skips; /* its skipped patches (their chunk field
                                    is not used), nskips of them */
    size_t nskips;
};

struct bp_journal;

/* Write dir/ben-prep.journal anew (temporary name, rename) with the
 * identity line and the given entry lines (as bp_journal_load() read them;
 * may be NULL), and keep it open for appending. Returns BP_OK, BP_NOMEM or
 * BP_OUTPUT (logged). */
int bp_journal_start(const char *dir, json_object *identity,
                     json_object *lines, struct bp_journal **out);

/* Append the line of entry e and fsync. Returns BP_OK or BP_OUTPUT
 * (logged). */
int bp_journal_append(struct bp_journal *j, const struct bp_journal_entry *e);

/* Close; with remove set, delete the file too. Accepts NULL. */
void bp_journal_close(struct bp_journal *j, int remove);

/* Read dir/ben-prep.journal: *identity (the first line) and *lines (an
 * array of the entry lines that parse as JSON). Returns BP_OK, BP_INPUT
 * when there is no journal (nothing logged), or BP_OUTPUT when it cannot be
 * read or its first line is not an identity (logged). The caller puts
 * both. */
int bp_journal_load(const char *dir, json_object **identity,
                    json_object **lines);

/* Decode the entry lines of bp_journal_load(), in order, and call
 * take(ctx, &entry) for every complete one (lines missing a field are
 * passed over); the entry's strings and arrays are valid during the call
 * only. Returns BP_OK, BP_NOMEM, or the first status other than BP_OK that
 * take() returns. */
int bp_journal_each(json_object *lines,
                    int (*take)(void *ctx, const struct bp_journal_entry *e),
                    void *ctx);

#endif
