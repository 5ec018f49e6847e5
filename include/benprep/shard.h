/*
 * shard.h - writing one shard file safely.
 *
 * A shard is written under a temporary name in the output folder
 * (".NAME.tmp"), through one large buffer, so a record costs no system call
 * of its own. bp_shard_close() flushes, fsyncs and closes it (every step
 * checked); bp_shard_publish() renames it to NAME; bp_shard_abort() and
 * bp_shard_discard() remove the temporary file. A file under a final name
 * is therefore always complete. The writer computes the whole file's
 * CRC-32C as it goes.
 *
 * Optionally the stream is compressed as TensorFlow's TFRecordOptions do it
 * (ZLIB: one zlib stream; GZIP: one gzip stream; memLevel 9), and/or an
 * index file NAME.idx is written beside it: one line "<offset> <size>\n"
 * per record (the DALI / PyTorch tfrecord index; uncompressed shards only).
 * The index is published before the shard, so a final shard always has its
 * final index.
 *
 * One writer per rank, reused for every shard it writes.
 */
#ifndef BENPREP_SHARD_H
#define BENPREP_SHARD_H

#include <stddef.h>
#include <stdint.h>

enum bp_compression { BP_COMPRESS_NONE, BP_COMPRESS_ZLIB, BP_COMPRESS_GZIP };

struct bp_shard;

struct bp_shard_info {
    uint64_t records;
    uint64_t bytes;      /* the file as stored */
    uint32_t crc32c;     /* CRC-32C of the whole file as stored */
    uint64_t index_bytes; /* the index file, when written */
    uint32_t index_crc32c;
};

/* The file name suffix after ".tfrecord": "", ".zlib" or ".gz". */
const char *bp_compression_suffix(enum bp_compression c);

/* "none", "zlib" or "gzip". */
const char *bp_compression_name(enum bp_compression c);

/* A writer with a buffer of buffer_bytes (at least 2 x the largest record
 * reserved), writing shards compressed as asked (level 0-9) and with index
 * files or not. NULL when out of memory. */
struct bp_shard *bp_shard_new(size_t buffer_bytes,
                              enum bp_compression compression, int level,
                              int index);

/* Destroy; an open shard is aborted first. Accepts NULL. */
void bp_shard_free(struct bp_shard *s);

/* Start the shard dir/name. Returns BP_OK or BP_OUTPUT (logged). */
int bp_shard_open(struct bp_shard *s, const char *dir, const char *name);

/* Room for n bytes at the end of the file; NULL (logged) on a write error.
 * The bytes count once committed. */
uint8_t *bp_shard_reserve(struct bp_shard *s, size_t n);

/* Frame the record whose len data bytes were written at reserved + 12 and
 * commit it (len + 16 bytes). Returns BP_OK, or BP_NOMEM when the index
 * cannot grow. */
int bp_shard_commit_record(struct bp_shard *s, size_t len);

/* Flush, fsync and close the temporary file(s); fills *info. The shard is
 * complete but not yet under its final name: call bp_shard_publish() once
 * it is recorded in the journal, or bp_shard_discard(). On failure the
 * temporary files are removed. Returns BP_OK or BP_OUTPUT. */
int bp_shard_close(struct bp_shard *s, struct bp_shard_info *info);

/* Rename the closed shard (and its index first) to the final names. */
int bp_shard_publish(struct bp_shard *s);

/* Remove the closed shard's temporary files. */
void bp_shard_discard(struct bp_shard *s);

/* Close and remove the temporary files of an open shard; nothing under the
 * final name. Does nothing when no shard is open. */
void bp_shard_abort(struct bp_shard *s);

/* Check that dir/name has the given size and whole-file CRC-32C (and, with
 * index_bytes not 0, that dir/name.idx has index_bytes and index_crc32c),
 * reading through the writer's buffer. Returns 1 when all match, else 0
 * (the reason is logged at debug level). */
int bp_shard_matches(struct bp_shard *s, const char *dir, const char *name,
                     const struct bp_shard_info *want);

#endif
