/*
 * shard.h - writing one shard file safely.
 *
 * A shard is written under a temporary name in the output folder
 * (".NAME.tmp"), through one large buffer, so a record costs no system call
 * of its own. bp_shard_finish() flushes, fsyncs, closes (every step checked)
 * and renames it to NAME; bp_shard_abort() removes the temporary file. A
 * file under a final name is therefore always complete. The writer also
 * computes the whole file's CRC-32C as it goes.
 *
 * One writer per rank, reused for every shard it writes.
 */
#ifndef BENPREP_SHARD_H
#define BENPREP_SHARD_H

#include <stddef.h>
#include <stdint.h>

struct bp_shard;

struct bp_shard_info {
    uint64_t records;
    uint64_t bytes;
    uint32_t crc32c; /* CRC-32C of the whole file */
};

/* A writer with a buffer of buffer_bytes (at least 2 x the largest record
 * reserved). NULL when out of memory. */
struct bp_shard *bp_shard_new(size_t buffer_bytes);

/* Destroy; an open shard is aborted first. Accepts NULL. */
void bp_shard_free(struct bp_shard *s);

/* Start the shard dir/name. Returns BP_OK or BP_OUTPUT (logged). */
int bp_shard_open(struct bp_shard *s, const char *dir, const char *name);

/* Room for n bytes at the end of the file; NULL (logged) on a write error.
 * The bytes count once committed. */
uint8_t *bp_shard_reserve(struct bp_shard *s, size_t n);

/* Frame the record whose len data bytes were written at reserved + 12 and
 * commit it (len + 16 bytes). */
void bp_shard_commit_record(struct bp_shard *s, size_t len);

/* Flush, fsync and close the temporary file; fills *info. The shard is
 * complete but not yet under its final name: call bp_shard_publish() once
 * it is recorded in the journal, or bp_shard_discard(). On failure the
 * temporary file is removed. Returns BP_OK or BP_OUTPUT. */
int bp_shard_close(struct bp_shard *s, struct bp_shard_info *info);

/* Rename the closed shard to its final name. BP_OK or BP_OUTPUT. */
int bp_shard_publish(struct bp_shard *s);

/* Remove the closed shard's temporary file. */
void bp_shard_discard(struct bp_shard *s);

/* Close and remove the temporary file of an open shard; nothing under the
 * final name. Does nothing when no shard is open. */
void bp_shard_abort(struct bp_shard *s);

/* Check that dir/name has the given size and whole-file CRC-32C, reading it
 * through the writer's buffer. Returns 1 when it matches, 0 when not (the
 * reason is logged at debug level). */
int bp_shard_matches(struct bp_shard *s, const char *dir, const char *name,
                     uint64_t bytes, uint32_t crc32c);

#endif
