/*
 * inputs.h - what a run converts, as rank 0 reads it: the split files
 * (checked against each other), the --exclude lists taken out of them, the
 * plan of chunks, and each chunk's shard name.
 */
#ifndef BENPREP_INPUTS_H
#define BENPREP_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "benprep/archive.h"
#include "benprep/config.h"
#include "benprep/csv.h"
#include "benprep/plan.h"

struct bp_run_inputs {
    struct bp_split *splits; /* owned, nsplits of them, command-line order */
    size_t nsplits;
    struct bp_split *excl;   /* owned: the --exclude lists */
    size_t nexcl;
    uint64_t *removed;       /* rows list l removed from split s, at
                                [l * nsplits + s] */
    int s2_only;             /* one-column split files: S2-only records */
    struct bp_plan plan;
    const char *suffix;      /* shard file name suffix (compression) */
    struct bp_root_id root_id[2]; /* -r1, -r2 when they are archives */
    int has_root_id[2];
};

/* Rank 0: read cfg's split files and exclusion lists into *in (zeroed
 * first), check them (one kind of file, distinct split names, no repeated
 * patch, -r1 given for MM rows, no --update_json for S2-only rows), take
 * the excluded rows out, plan the chunks and (unless --dry-run) take the
 * fingerprints of archive roots. Every problem is logged.
 * Returns BP_OK, BP_CSV, BP_USAGE, BP_INPUT (an archive root cannot be
 * read) or BP_NOMEM; free *in in any case. */
int bp_inputs_load(const struct bp_config *cfg, struct bp_run_inputs *in);

void bp_inputs_free(struct bp_run_inputs *in);

/* The read-only view the manifest and the run identity take. */
struct bp_inputs bp_inputs_view(const struct bp_run_inputs *in);

/* The shard file name of chunk c into buf. Returns 0, or -1 when it does
 * not fit. */
int bp_inputs_shard_name(const struct bp_run_inputs *in, size_t c, char *buf,
                         size_t size);

/* --dry-run: print the plan (every split, every shard with its rows and
 * CSV lines) on stdout. */
void bp_inputs_print_plan(const struct bp_run_inputs *in,
                          const struct bp_config *cfg);

#endif
