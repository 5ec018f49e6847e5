/*
 * resume.c - --resume: the earlier run's identity compared with this one,
 * its journal taken into the tally, and this run's journal started (see
 * benprep/resume.h).
 */
#include "benprep/resume.h"

#include <stdio.h>
#include <string.h>

#include "benprep/identity.h"
#include "benprep/log.h"
#include "benprep/names.h"
#include "benprep/status.h"

struct restore {
    const struct bp_run_inputs *in;
    struct bp_tally *t;
};

/* A journal entry of the earlier run: kept when it names the shard this
 * plan gives its chunk. */
static int restore_entry(void *ctx, const struct bp_journal_entry *e)
{
    struct restore *r = ctx;
    char name[512];
    if (e->chunk >= r->in->plan.nchunks ||
        bp_inputs_shard_name(r->in, e->chunk, name, sizeof name) != 0 ||
        strcmp(e->shard, name) != 0)
        return BP_OK;
    return bp_tally_restore(r->t, e);
}

/* The identity of the earlier run, and the journal's entry lines: from
 * its journal, or from the manifest of a finished run (*complete). */
static int read_earlier(const struct bp_config *cfg,
                        const struct bp_earlier *e, json_object **old_id,
                        json_object **lines, int *complete)
{
    if (e->journal)
        return bp_journal_load(cfg->out_dir, old_id, lines);
    if (!e->manifest)
        return BP_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", cfg->out_dir, BP_MANIFEST_NAME);
    json_object *m = json_object_from_file(path);
    *old_id = m ? bp_manifest_identity(m) : NULL;
    json_object_put(m);
    *complete = 1;
    if (!*old_id) {
        BP_ERROR("%s: cannot read it to resume; use --force to replace the "
                 "output",
                 path);
        return BP_USAGE;
    }
    return BP_OK;
}

/* The earlier run must be this run. */
static int check_identity(const struct bp_config *cfg, json_object *identity,
                          json_object *old_id)
{
    if (!old_id || bp_identity_same(identity, old_id))
        return BP_OK;
    char diff[2048];
    bp_identity_diff(identity, old_id, diff, sizeof diff);
    BP_ERROR("--resume: %s holds a run with other inputs or options (%s); "
             "rerun with those, or use --force to start over",
             cfg->out_dir, diff);
    return BP_USAGE;
}

/* The earlier run's finished shards into t. */
static int take_over(const struct bp_config *cfg,
                     const struct bp_run_inputs *in, json_object *lines,
                     struct bp_tally *t)
{
    struct restore r = {in, t};
    int status = bp_journal_each(lines, restore_entry, &r);
    if (status == BP_OK && t->skips.n > cfg->max_failures) {
        BP_ERROR("--resume: the earlier run skipped %zu bad patches, more "
                 "than --max-failures %llu allows; fix them and use --force, "
                 "or resume with a higher --max-failures",
                 t->skips.n, (unsigned long long)cfg->max_failures);
        status = BP_INPUT;
    }
    return status;
}

int bp_resume_start(const struct bp_config *cfg,
                    const struct bp_run_inputs *in,
                    const struct bp_earlier *e, struct bp_tally *t,
                    struct bp_journal **journal, int *complete)
{
    struct bp_inputs view = bp_inputs_view(in);
    json_object *identity = bp_run_identity(cfg, &view);
    json_object *old_id = NULL, *lines = NULL;
    int status = BP_OK;
    *journal = NULL;
    *complete = 0;
    if (cfg->resume)
        status = read_earlier(cfg, e, &old_id, &lines, complete);
    if (status == BP_OK)
        status = check_identity(cfg, identity, old_id);
    if (status == BP_OK && lines)
        status = take_over(cfg, in, lines, t);
    if (status == BP_OK && !*complete)
        status = bp_journal_start(cfg->out_dir, identity, lines, journal);
    if (status == BP_OK && lines)
        BP_INFO("resuming: %zu of %zu shards recorded as finished in %s/%s",
                json_object_array_length(lines), in->plan.nchunks,
                cfg->out_dir, BP_JOURNAL_NAME);
    json_object_put(identity);
    json_object_put(old_id);
    json_object_put(lines);
    return status;
}
