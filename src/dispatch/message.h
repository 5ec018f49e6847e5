/*
 * message.h - internal to the dispatcher: the messages between rank 0 and
 * its workers, packed and unpacked here only. They are MPI_BYTE buffers;
 * every rank runs the same program, so fixed structs go as they are.
 *
 *   worker -> rank 0, BP_TAG_REQUEST: "here is my last chunk's outcome,
 *       give me work": a result head, the chunk's struct bp_stats, then
 *       each skipped patch (row, file, reason). The first request (and one
 *       after a failure of the worker's own) is a head of chunk -1 with the
 *       worker's status, followed by its host name.
 *   worker -> rank 0, BP_TAG_ALIVE: struct bp_msg_alive, now and then
 *       while the worker converts a chunk, so that rank 0 tells a busy
 *       worker from a stalled one.
 *   rank 0 -> worker, BP_TAG_REPLY: a work head + shard name + CSV path +
 *       rows (CSV line, S2 name, S1 name), or a head alone meaning stop, or
 *       abort the current chunk. One tag, so replies arrive in the order
 *       they were sent.
 *
 * A reply says whether the shard reported by the request it answers was
 * journaled, i.e. may be published.
 */
#ifndef BENPREP_DISPATCH_MESSAGE_H
#define BENPREP_DISPATCH_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "benprep/chunk.h"
#include "common/buf.h"

#define BP_TAG_REQUEST 1
#define BP_TAG_REPLY 2
#define BP_TAG_ALIVE 3

enum bp_reply { BP_REPLY_WORK = 1, BP_REPLY_STOP = 2, BP_REPLY_ABORT = 3 };

/* A worker's sign of life while it converts. */
struct bp_msg_alive {
    int32_t chunk;      /* the chunk it converts */
    uint32_t rows_done; /* its rows done so far */
};

/* Rank 0: job as a work reply into b. Returns BP_OK or BP_NOMEM
 * (logged). */
int bp_msg_pack_work(struct bp_buf *b, const struct bp_chunk_job *job,
                     int publish);

/* Rank 0: the stop or abort reply (a constant); its size into *len. */
const void *bp_msg_control(enum bp_reply type, int publish, int *len);

/* Worker: the kind of the reply in b, and whether it says to publish. */
enum bp_reply bp_msg_reply(const struct bp_buf *b, int *publish);

/* Worker: the job of the work reply in b. Its strings point into b; its
 * rows go into rows (grown as needed). Returns BP_OK, BP_NOMEM, or BP_MPI
 * for a malformed message (logged). */
int bp_msg_unpack_work(const struct bp_buf *b, struct bp_chunk_job *job,
                       struct bp_buf *rows);

/* Worker: o as a request into b. Returns BP_OK or BP_NOMEM. */
int bp_msg_pack_outcome(struct bp_buf *b, const struct bp_chunk_outcome *o);

/* Worker: a request of no chunk, with status and host, into b. */
int bp_msg_pack_hello(struct bp_buf *b, int status, const char *host);

/* Rank 0: the request in b into *o (reset first); the host name of a
 * request of no chunk into host (size bytes), else "". Returns BP_OK,
 * BP_NOMEM, or BP_MPI for a malformed message (logged). */
int bp_msg_unpack_request(const struct bp_buf *b, struct bp_chunk_outcome *o,
                          char *host, size_t size);

#endif
