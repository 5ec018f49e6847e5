/*
 * verify.h - "ben-prep verify": prove that a converted output is whole.
 *
 *   ben-prep verify OUT [--deep S1_ROOT S2_ROOT | --deep S2_ROOT] [-q|-v]
 *
 * Checks every shard OUT/manifest.json lists: size and whole-file CRC-32C,
 * the TFRecord framing and both CRCs of every record, every record decoded
 * (by a protobuf decoder of its own, sharing nothing with the encoder) and
 * checked against the record schema the manifest names, each record's patch
 * names against its row of the split file (after the exclusion lists and
 * the listed failures), the record counts per shard, split and in total,
 * each split's statistics, the DALI index files listed beside the shards,
 * and that no stray shard or temporary file sits in OUT. zlib and gzip
 * shards are checked on their decompressed stream, streamed through fixed
 * buffers. With --deep every pixel and label is compared with the source
 * patches too.
 *
 * The shards are spread over all ranks, rank 0 included; each problem is
 * sent to rank 0, which prints up to a screenful of them in manifest order,
 * each naming the shard, the record index and its byte offset, then a count
 * and a one-line summary on stdout.
 *
 * The verifier is a library of its own (benprep_verify): it links the
 * common module only, never the converter's encoder, band decoder or label
 * parser, so a bug there cannot hide behind a verifier that shares it.
 */
#ifndef BENPREP_VERIFY_H
#define BENPREP_VERIFY_H

#include <stdio.h>

#include <mpi.h>

/* What to verify. The strings are borrowed from argv. */
struct bp_verify_options {
    const char *out;     /* the output folder */
    int deep;            /* --deep given */
    const char *s1_root; /* --deep: NULL in the one-folder form */
    const char *s2_root; /* --deep: always set */
    const char *index_dir; /* --index-dir: where archive indexes are */
    /* Set by bp_verify_run: the index of each --deep root that is a tar or
     * gzip archive, or NULL. */
    const char *s1_index, *s2_index;
    int verbosity;       /* 0 default; -v adds, -q subtracts */
};

enum bp_verify_parse_result {
    BP_VERIFY_RUN = 0,  /* *opt is ready */
    BP_VERIFY_EXIT = 1, /* --help was printed: exit 0 */
    BP_VERIFY_USAGE = 2 /* a usage error was printed: exit 2 */
};

/* Parse the subcommand's arguments (argv[0] is "verify"). Needs no MPI, so
 * the program answers --help and usage errors before MPI starts. Help goes
 * to out, usage errors (quoting the bad argument) to err, each only when
 * not NULL, so one rank prints. Never exits; *opt owns nothing. */
enum bp_verify_parse_result bp_verify_parse(int argc, char **argv,
                                            struct bp_verify_options *opt,
                                            FILE *out, FILE *err);

/*
 * Collective over comm: verify opt->out. Only rank 0 prints problems and
 * the summary; the caller sets up the logger (bp_log_setup). Returns the
 * status (enum bp_status) every rank agreed on: BP_OK when everything
 * holds, BP_INVALID when a problem was found or the output could not be
 * read, BP_USAGE for --deep S2_ROOT alone on MM output, BP_INTERRUPTED when
 * a stop signal (common/stop.h) ended it, BP_MPI when MPI failed.
 *
 * *must_abort is set when the ranks could not finish together: MPI failed,
 * or after a stop signal a peer did not come to the end within moments (a
 * lost or stopped rank). MPI cannot be finalized then: the caller should
 * call MPI_Abort with the status's exit code.
 */
int bp_verify_run(const struct bp_verify_options *opt, MPI_Comm comm,
                  int *must_abort);

/* Collective over comm: bp_verify_parse (rank 0 prints) and bp_verify_run,
 * with the logger set up for this rank. Returns the status as
 * bp_verify_run does; BP_OK after --help, BP_USAGE after a usage error.
 * When the ranks could not finish together it returns BP_MPI, even after a
 * stop signal, for the caller to call MPI_Abort. */
int bp_verify_main(int argc, char **argv, MPI_Comm comm);

#endif
