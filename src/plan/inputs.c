/*
 * inputs.c - rank 0 reads what a run converts: the split files and the
 * exclusion lists, checked against each other, and the plan of chunks (see
 * benprep/inputs.h).
 */
#include "benprep/inputs.h"

#include <stdlib.h>
#include <string.h>

#include "benprep/log.h"
#include "benprep/names.h"
#include "benprep/status.h"

/* The worst of two statuses (the higher value takes precedence). */
static int worse(int a, int b)
{
    return a > b ? a : b;
}

/* Load every file of paths into files (*n of them load). Every failure is
 * reported; returns the worst status. */
static int load_files(const char *const *paths, size_t count,
                      struct bp_split *files, size_t *n)
{
    int status = BP_OK;
    for (size_t i = 0; i < count; i++) {
        int rc = bp_split_load(paths[i], &files[*n]);
        if (rc != BP_OK) {
            status = worse(status, rc);
            continue;
        }
        (*n)++;
    }
    return status;
}

/* The split files must have distinct names and be of one kind; the kind
 * decides what else the command line needs. */
static int check_splits(const struct bp_config *cfg, struct bp_run_inputs *in)
{
    for (size_t i = 0; i < in->nsplits; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(in->splits[i].name, in->splits[j].name) == 0) {
                BP_ERROR("%s and %s would both be split '%s'; give each "
                         "split file a different name",
                         in->splits[j].path, in->splits[i].path,
                         in->splits[i].name);
                return BP_USAGE;
            }
    int columns = 0;
    for (size_t i = 0; i < in->nsplits; i++) {
        int c = in->splits[i].columns;
        if (c && columns && c != columns) {
            BP_ERROR("%s has %s rows, but other split files have %s rows; "
                     "give only MM split files (S2name,S1name) or only "
                     "S2-only ones (S2name)",
                     in->splits[i].path, c == 1 ? "one-column" : "two-column",
                     c == 1 ? "two-column" : "one-column");
            return BP_USAGE;
        }
        columns = c ? c : columns;
    }
    in->s2_only = columns == 1;
    if (!cfg->dry_run && !in->s2_only && !cfg->root_s1) {
        BP_ERROR("missing -r1/--root_folder_s1: the split files have "
                 "S2name,S1name rows");
        return BP_USAGE;
    }
    if (in->s2_only && cfg->update_json) {
        BP_ERROR("--update_json adds labels to S1 JSON files; S2-only split "
                 "files have no S1 patches");
        return BP_USAGE;
    }
    return BP_OK;
}

/* Read the --exclude lists and take their rows out of the splits. */
static int load_exclusions(const struct bp_config *cfg,
                           struct bp_run_inputs *in)
{
    if (cfg->nexcludes == 0)
        return BP_OK;
    in->excl = calloc(cfg->nexcludes, sizeof *in->excl);
    in->removed = calloc(cfg->nexcludes * (in->nsplits ? in->nsplits : 1),
                         sizeof *in->removed);
    if (!in->excl || !in->removed)
        return BP_NOMEM;
    int status = load_files(cfg->excludes, cfg->nexcludes, in->excl,
                            &in->nexcl);
    for (size_t l = 0; l < in->nexcl; l++)
        if (in->excl[l].columns == 2) {
            BP_ERROR("%s: an exclusion list has one S2 name per row, not "
                     "S2name,S1name",
                     in->excl[l].path);
            status = worse(status, BP_CSV);
        }
    if (status != BP_OK)
        return status;
    status = bp_plan_exclude(in->splits, in->nsplits, in->excl, in->nexcl,
                             in->removed);
    for (size_t l = 0; status == BP_OK && l < in->nexcl; l++) {
        uint64_t total = 0;
        for (size_t s = 0; s < in->nsplits; s++)
            total += in->removed[l * in->nsplits + s];
        BP_INFO("%s: %zu names, %llu rows left out", in->excl[l].path,
                in->excl[l].nrows, (unsigned long long)total);
    }
    return status;
}

/* The fingerprint of each archive root, for the manifest and the run
 * identity. */
static int identify_roots(const struct bp_config *cfg,
                          struct bp_run_inputs *in)
{
    const char *roots[2] = {cfg->root_s1, cfg->root_s2};
    const enum bp_root_kind kinds[2] = {cfg->kind_s1, cfg->kind_s2};
    for (int i = 0; i < 2; i++) {
        char msg[512];
        if (kinds[i] == BP_ROOT_FOLDER)
            continue;
        int rc = bp_root_identify(roots[i], &in->root_id[i], msg, sizeof msg);
        if (rc != BP_OK) {
            BP_ERROR("%s: %s", roots[i], msg);
            return rc;
        }
        in->has_root_id[i] = 1;
    }
    return BP_OK;
}

int bp_inputs_load(const struct bp_config *cfg, struct bp_run_inputs *in)
{
    memset(in, 0, sizeof *in);
    in->suffix = bp_compression_suffix(cfg->compression);
    in->splits = calloc(cfg->nsplits ? cfg->nsplits : 1, sizeof *in->splits);
    if (!in->splits)
        return BP_NOMEM;
    int status = load_files(cfg->splits, cfg->nsplits, in->splits,
                            &in->nsplits);
    if (status == BP_OK)
        status = check_splits(cfg, in);
    if (status == BP_OK)
        status = load_exclusions(cfg, in);
    if (status == BP_OK)
        status = bp_plan_check_unique(in->splits, in->nsplits);
    if (status == BP_OK)
        status = bp_plan_build(in->splits, in->nsplits,
                               cfg->records_per_shard, &in->plan);
    if (status == BP_OK && !cfg->dry_run)
        status = identify_roots(cfg, in);
    return status;
}

void bp_inputs_free(struct bp_run_inputs *in)
{
    for (size_t i = 0; i < in->nsplits; i++)
        bp_split_free(&in->splits[i]);
    free(in->splits);
    for (size_t i = 0; i < in->nexcl; i++)
        bp_split_free(&in->excl[i]);
    free(in->excl);
    free(in->removed);
    bp_plan_free(&in->plan);
    memset(in, 0, sizeof *in);
}

struct bp_inputs bp_inputs_view(const struct bp_run_inputs *in)
{
    struct bp_inputs v = {in->splits, in->nsplits, in->excl, in->nexcl,
                          in->removed,
                          in->has_root_id[0] ? &in->root_id[0] : NULL,
                          in->has_root_id[1] ? &in->root_id[1] : NULL};
    return v;
}

int bp_inputs_shard_name(const struct bp_run_inputs *in, size_t c, char *buf,
                         size_t size)
{
    const struct bp_chunk *ch = &in->plan.chunks[c];
    return bp_shard_filename_ext(buf, size, in->splits[ch->split].name,
                                 ch->index, ch->of, in->suffix);
}
