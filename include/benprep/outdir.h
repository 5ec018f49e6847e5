/*
 * outdir.h - the output folder: created, checked, locked against a second
 * run, and cleared of what an earlier run left as the options say.
 *
 * While a run writes into OUT, rank 0 holds a POSIX record lock on
 * OUT/.ben-prep.lock (NFS and Lustre with flock support it), so two runs
 * never write into one folder: a second run, or a requeued job whose first
 * attempt still runs, is refused and changes nothing. The empty lock file
 * stays once a run has used the folder: removing it would open a window
 * for two runs. Where the file system has no locks the run goes on with a
 * warning.
 */
#ifndef BENPREP_OUTDIR_H
#define BENPREP_OUTDIR_H

#include <stddef.h>

#include "benprep/config.h"

/* What an output folder holds of earlier runs. */
struct bp_earlier {
    int manifest;      /* manifest.json: a finished run */
    int journal;       /* ben-prep.journal: an unfinished one */
    size_t shards;     /* shard and index files */
    char example[256]; /* one of the files, for messages */
};

struct bp_outdir {
    const char *dir;
    int lock_fd;      /* -1: not locked */
    int lock_created; /* this run made the lock file */
};

/* Rank 0: create cfg->out_dir (and parents), check it is writable, take
 * its lock and look at what it holds: an earlier run's output is refused
 * (BP_USAGE) unless --resume or --force; its temporary files are deleted,
 * with --force all its output. *e says what was there before. Returns
 * BP_OK, BP_USAGE (refused: nothing changed) or BP_OUTPUT (logged). Close
 * with bp_outdir_close() in any case. */
int bp_outdir_open(struct bp_outdir *od, const struct bp_config *cfg,
                   struct bp_earlier *e);

/* Release the lock. With refused set (the run was refused and changed
 * nothing), a lock file this run made is removed again. */
void bp_outdir_close(struct bp_outdir *od, int refused);

#endif
