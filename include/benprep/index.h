/*
 * index.h - "ben-prep index" in two steps, so that --help and usage errors
 * answer before MPI starts (as the converter's and the verifier's do):
 * bp_index_parse reads the command line in every process, bp_index_run
 * builds the indexes, collectively. bp_index_main (archive.h) is both at
 * once, for a caller that has MPI up already.
 */
#ifndef BENPREP_INDEX_H
#define BENPREP_INDEX_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

/* What the command line asks for. */
struct bp_index_request {
    const char *index_dir; /* --index-dir, or NULL */
    const char *out_dir;   /* -o, or NULL */
    uint64_t spacing;      /* --spacing in bytes, 0 for the default */
    int force;
    int verbosity;         /* -v and -q */
    unsigned progress;     /* --progress seconds */
    const char **archives; /* into argv */
    int narchives;
};

enum bp_index_parse_result {
    BP_INDEX_RUN,   /* *req holds the request: bp_index_run, then free it */
    BP_INDEX_EXIT,  /* --help printed: exit 0 */
    BP_INDEX_USAGE  /* usage error printed: exit with BP_USAGE's status */
};

/* argv[0] is the subcommand's name ("index"). Help goes to out, usage
 * errors to err (either may be NULL: nothing printed). Only the archives'
 * kinds are looked at (a folder or a missing file is a usage error). */
enum bp_index_parse_result bp_index_parse(int argc, char **argv,
                                          struct bp_index_request *req,
                                          FILE *out, FILE *err);

/* Collective over comm: archive i on rank i % nranks; sets up the logger.
 * Returns the status all ranks agree on, as bp_index_main. */
int bp_index_run(const struct bp_index_request *req, MPI_Comm comm);

/* What bp_index_parse allocated; the request stays readable but empty. */
void bp_index_request_free(struct bp_index_request *req);

#endif
