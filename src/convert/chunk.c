/*
 * chunk.c - one chunk job converted into one closed shard (see
 * benprep/chunk.h): each row's pair read, encoded and framed into the
 * shard, its pixels and labels added to the chunk's statistics, bad patches
 * skipped or fatal as --max-failures says.
 */
#include "benprep/chunk.h"

#include <stdlib.h>
#include <string.h>

#include "benprep/log.h"
#include "benprep/record.h"
#include "benprep/status.h"
#include "benprep/tfrecord.h"
#include "common/stop.h"

/* The shard writer's buffer: large writes, room for many records. */
#define SHARD_BUFFER_BYTES (8u << 20)

struct bp_converter {
    const struct bp_config *cfg;
    struct bp_reader *reader;
    struct bp_shard *shard;
    struct bp_record record;
    int pending; /* a closed shard waits for bp_converter_publish() */
};

struct bp_converter *bp_converter_new(const struct bp_config *cfg,
                                      struct bp_reader *reader)
{
    struct bp_converter *cv = calloc(1, sizeof *cv);
    if (!cv) {
        bp_reader_free(reader);
        BP_ERROR("out of memory setting up the patch reader");
        return NULL;
    }
    cv->cfg = cfg;
    cv->reader = reader;
    cv->shard = bp_shard_new(SHARD_BUFFER_BYTES, cfg->compression,
                             cfg->compression_level, cfg->index);
    if (!reader || !cv->shard) {
        BP_ERROR("out of memory setting up the patch reader");
        bp_converter_free(cv);
        return NULL;
    }
    bp_reader_use_gdal_only(reader, cfg->gdal_only);
    return cv;
}

void bp_converter_free(struct bp_converter *cv)
{
    if (!cv)
        return;
    if (cv->pending)
        bp_shard_discard(cv->shard);
    bp_reader_free(cv->reader);
    bp_shard_free(cv->shard);
    free(cv);
}

int bp_converter_publish(struct bp_converter *cv, int journaled)
{
    if (!cv->pending)
        return BP_OK;
    cv->pending = 0;
    if (!journaled) {
        bp_shard_discard(cv->shard);
        return BP_OK;
    }
    return bp_shard_publish(cv->shard);
}

/* A journaled shard: keep it when the file still has the journal's
 * figures. Returns 1 when kept (out says so). */
static int keep_existing(struct bp_converter *cv,
                         const struct bp_chunk_job *job,
                         struct bp_chunk_outcome *out)
{
    if (!bp_shard_matches(cv->shard, cv->cfg->out_dir, job->shard,
                          &job->want)) {
        BP_INFO("%s: missing or different from the journal; converting it "
                "again",
                job->shard);
        return 0;
    }
    BP_DEBUG("%s: kept from the earlier run", job->shard);
    out->kept = 1;
    out->shard = job->want;
    return 1;
}

/* A bad patch under --max-failures: noted, or the end of the chunk when
 * there are too many. Returns BP_OK to go on, or the chunk's status. */
static int skip_patch(struct bp_converter *cv, const struct bp_chunk_job *job,
                      uint32_t i, const struct bp_failure *why,
                      struct bp_chunk_outcome *out)
{
    BP_WARN("%s line %u: %s: %s (skipped)", job->csv, job->rows[i].line,
            why->file, why->reason);
    if (bp_skips_add(&out->skips, (uint32_t)job->chunk, i, why->file,
                     why->reason) != BP_OK)
        return BP_NOMEM;
    if (out->skips.n > cv->cfg->max_failures) {
        BP_ERROR("%s: more than %llu bad patches in one shard; stopping "
                 "(--max-failures)",
                 job->shard, (unsigned long long)cv->cfg->max_failures);
        return BP_INPUT;
    }
    return BP_OK;
}

/* Row i of job into the open shard. Returns BP_OK (converted or skipped) or
 * the status that ends the chunk (logged). */
static int convert_row(struct bp_converter *cv, const struct bp_chunk_job *job,
                       uint32_t i, struct bp_chunk_outcome *out)
{
    const struct bp_job_row *row = &job->rows[i];
    struct bp_pair pair;
    struct bp_failure why;
    int rc = bp_reader_read(cv->reader, row->s2, row->s1, &pair, &why);
    if (rc == BP_OK && cv->cfg->update_json)
        rc = bp_reader_update_json(cv->reader, &pair, &why);
    if (rc != BP_OK && (rc == BP_INTERRUPTED || bp_stop_signal))
        return BP_INTERRUPTED; /* a read cut short by a stop: no bad patch */
    if (rc == BP_INPUT && cv->cfg->max_failures > 0)
        return skip_patch(cv, job, i, &why, out);
    if (rc != BP_OK) {
        BP_ERROR("%s line %u: %s: %s", job->csv, row->line, why.file,
                 why.reason);
        return rc;
    }
    size_t len = bp_record_prepare(&cv->record, &pair);
    uint8_t *buf = bp_shard_reserve(cv->shard, len + BP_TFRECORD_OVERHEAD);
    if (!buf)
        return BP_OUTPUT;
    bp_record_encode(&cv->record, buf + BP_TFRECORD_HEADER);
    rc = bp_shard_commit_record(cv->shard, len);
    if (rc == BP_OK)
        bp_stats_add_pair(&out->stats, &pair);
    return rc;
}

/* Every row of job into the open shard; stops at a stop signal, at poll's
 * word or at a failure. Returns BP_OK or the chunk's status. */
static int convert_rows(struct bp_converter *cv,
                        const struct bp_chunk_job *job, bp_chunk_poll poll,
                        void *ctx, struct bp_chunk_outcome *out)
{
    for (uint32_t i = 0; i < job->count; i++) {
        if (bp_stop_signal)
            return BP_INTERRUPTED;
        int rc = poll ? poll(ctx, i) : BP_OK;
        if (rc != BP_OK) {
            BP_DEBUG("stopping %s: the run is stopping", job->shard);
            return rc;
        }
        rc = convert_row(cv, job, i, out);
        if (rc != BP_OK)
            return rc;
    }
    return BP_OK;
}

int bp_converter_run(struct bp_converter *cv, const struct bp_chunk_job *job,
                     bp_chunk_poll poll, void *ctx,
                     struct bp_chunk_outcome *out)
{
    bp_outcome_reset(out, job->chunk);
    if (job->check && keep_existing(cv, job, out))
        return out->status;
    out->status = bp_shard_open(cv->shard, cv->cfg->out_dir, job->shard);
    if (out->status != BP_OK)
        return out->status;
    BP_DEBUG("converting %u rows into %s", job->count, job->shard);
    out->status = convert_rows(cv, job, poll, ctx, out);
    if (out->status != BP_OK) {
        bp_shard_abort(cv->shard);
        return out->status;
    }
    out->status = bp_shard_close(cv->shard, &out->shard);
    if (out->status != BP_OK)
        return out->status;
    if (out->shard.records == 0)
        bp_shard_discard(cv->shard); /* every patch skipped: no empty file */
    else
        cv->pending = 1;
    return out->status;
}
