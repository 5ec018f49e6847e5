/* roots.c - the roots indexed and opened before any conversion (see
 * convert/roots.h). */
#include "convert/roots.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "benprep/archive.h"
#include "benprep/log.h"
#include "benprep/status.h"
#include "convert/source.h"

/* What the rank that indexed an archive tells the others. */
struct outcome {
    int32_t status;
    char index[4096];
};

/* Index archive on this rank: find a fresh index or build one. */
static void index_here(const struct bp_config *cfg, const char *archive,
                       struct outcome *o)
{
    struct bp_index_options opt = {0, cfg->progress_seconds, 0};
    struct bp_index_info info;
    o->status = bp_archive_index_ensure(archive, cfg->out_dir, cfg->index_dir,
                                        &opt, o->index, sizeof o->index,
                                        &info);
    if (o->status != BP_OK) {
        BP_ERROR("%s: no usable index (see above): nothing is converted",
                 archive);
        return;
    }
    if (info.damaged) {
        BP_ERROR("%s: the archive is damaged from byte %" PRIu64 " of its "
                 "tar stream on: %s; nothing is converted",
                 archive, info.damage_offset, info.damage);
        o->status = BP_INPUT;
        return;
    }
    BP_INFO("%s: index %s", archive, o->index);
}

int bp_roots_index(const struct bp_config *cfg, struct bp_wait *w,
                   MPI_Comm comm, struct bp_roots *roots)
{
    int rank, nranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    const char *paths[2] = {cfg->root_s1, cfg->root_s2};
    const enum bp_root_kind kinds[2] = {cfg->kind_s1, cfg->kind_s2};
    int status = BP_OK;
    memset(roots, 0, sizeof *roots);
    /* Both archives are indexed first, each by its own rank, before
     * either outcome is shared. */
    struct outcome o[2];
    memset(o, 0, sizeof o);
    for (int i = 0; i < 2; i++)
        if (kinds[i] != BP_ROOT_FOLDER && (i + 1) % nranks == rank)
            index_here(cfg, paths[i], &o[i]);
    for (int i = 0; i < 2; i++) {
        if (kinds[i] == BP_ROOT_FOLDER)
            continue;
        int rc = bp_wait_share_from(w, &o[i], (int)sizeof o[i],
                                    (i + 1) % nranks, comm);
        rc = rc != BP_OK ? rc : o[i].status;
        status = rc > status ? rc : status;
        memcpy(roots->index[i], o[i].index, sizeof roots->index[i]);
    }
    return bp_wait_agree(w, status, comm);
}

int bp_roots_reader(const struct bp_config *cfg, const struct bp_roots *roots,
                    struct bp_reader **out)
{
    const char *paths[2] = {cfg->root_s1, cfg->root_s2};
    struct bp_source *src[2] = {NULL, NULL};
    int status = BP_OK;
    *out = NULL;
    for (int i = 0; i < 2; i++) {
        if (!roots->index[i][0]) {
            src[i] = bp_source_folder(paths[i]);
            if (!src[i])
                status = BP_NOMEM;
        } else if (status == BP_OK) {
            status = bp_source_archive(paths[i], roots->index[i], &src[i]);
        }
    }
    if (status != BP_OK) {
        bp_source_free(src[0]);
        bp_source_free(src[1]);
        return status;
    }
    *out = bp_reader_new_sources(src[0], src[1]);
    return *out ? BP_OK : BP_NOMEM;
}
