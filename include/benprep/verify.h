/*
 * verify.h - "ben-prep verify": prove that a converted output is whole.
 *
 *   ben-prep verify OUT [--deep S1_ROOT S2_ROOT | --deep S2_ROOT] [-q|-v]
 *
 * Checks every shard OUT/manifest.json lists: size and whole-file CRC-32C,
 * the TFRecord framing and both CRCs of every record, every record decoded
 * (by a protobuf decoder of its own, sharing nothing with the encoder) and
 * checked against the record schema the manifest names, the record counts
 * per shard, split and in total, the DALI index files listed beside the
 * shards, and that no stray shard or temporary file sits in OUT. zlib and
 * gzip shards are checked on their decompressed stream, streamed through
 * fixed buffers. With --deep every pixel and label is compared with the
 * source patches too.
 *
 * The shards are spread over all ranks, rank 0 included; each problem is
 * sent to rank 0, which prints up to a screenful of them in manifest order,
 * each naming the shard, the record index and its byte offset, then a count
 * and a one-line summary on stdout.
 */
#ifndef BENPREP_VERIFY_H
#define BENPREP_VERIFY_H

#include <mpi.h>

/*
 * Collective over comm. argv[0] is the subcommand's own name ("verify"), the
 * options follow. Every rank parses the same arguments; only rank 0 prints
 * help, usage errors, problems and the summary. Sets up the logger for this
 * rank. Returns the exit status every rank agreed on: 0 when everything
 * holds (or --help was printed), 1 when a problem was found or the output
 * could not be read, 2 for a usage error. When MPI itself fails the ranks
 * cannot agree: the function then returns -1 and the caller should call
 * MPI_Abort.
 */
int bp_verify_main(int argc, char **argv, MPI_Comm comm);

#endif
