/*
 * build.h - internal to the archive reader: the indexing pass behind
 * bp_archive_index_build, with the detail bp_archive_index_ensure needs.
 */
#ifndef BENPREP_ARCHIVE_BUILD_H
#define BENPREP_ARCHIVE_BUILD_H

#include "benprep/archive.h"
#include "idxfile.h"

/* bp_archive_index_build, but when the index file cannot be created in its
 * folder (permissions, read-only file system) and quiet_create is set,
 * returns BP_OUTPUT without logging and sets *create_errno, so the caller
 * can try another folder. *create_errno is 0 otherwise. */
int bpx_index_build(const char *archive, const char *index_path,
                    const struct bp_index_options *opt,
                    struct bp_index_info *info, int quiet_create,
                    int *create_errno);

/* The info an index header gives (not duplicates, sort_runs, seconds). */
void bpx_index_info_fill(const struct bpx_idx_header *h,
                         struct bp_index_info *info);

#endif
