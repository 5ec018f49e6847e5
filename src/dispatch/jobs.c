/*
 * jobs.c - rank 0: chunks of the plan as jobs, their outcomes recorded and
 * journaled; and with one rank, rank 0 converting every job itself (see
 * jobs.h, benprep/dispatch.h).
 */
#include "dispatch/jobs.h"

#include "benprep/log.h"
#include "benprep/status.h"
#include "common/stop.h"

size_t bp_job_next(const struct bp_rank0 *z, size_t next)
{
    const struct bp_tally *t = z->tally;
    while (next < t->nchunks && t->journaled[next] &&
           t->results[next].records == 0)
        next++;
    return next;
}

int bp_job_make(const struct bp_rank0 *z, size_t c, struct bp_chunk_job *job,
                struct bp_buf *rows, char *name, size_t size)
{
    const struct bp_chunk *ch = &z->in->plan.chunks[c];
    const struct bp_split *s = &z->in->splits[ch->split];
    if (bp_inputs_shard_name(z->in, c, name, size) != 0) {
        BP_ERROR("split %s: shard name too long", s->name);
        return BP_USAGE;
    }
    bp_buf_clear(rows);
    if (bp_buf_reserve(rows, ch->count * sizeof(struct bp_job_row)) != 0) {
        BP_ERROR("out of memory for a chunk of %u rows", ch->count);
        return BP_NOMEM;
    }
    struct bp_job_row *r = (struct bp_job_row *)(void *)rows->data;
    for (uint32_t i = 0; i < ch->count; i++) {
        r[i].line = s->rows[ch->first + i].line;
        r[i].s2 = bp_row_s2(s, ch->first + i);
        r[i].s1 = bp_row_s1(s, ch->first + i);
    }
    const struct bp_chunk_result *res = &z->tally->results[c];
    struct bp_chunk_job j = {
        .chunk = (int32_t)c, .shard = name, .csv = s->path,
        .count = ch->count, .rows = r, .check = z->tally->journaled[c],
        .want = {res->records, res->bytes, res->crc32c, res->index_bytes,
                 res->index_crc32c}};
    *job = j;
    return BP_OK;
}

int bp_job_record(struct bp_rank0 *z, const struct bp_chunk_outcome *o)
{
    struct bp_tally *t = z->tally;
    if (o->chunk < 0 || (size_t)o->chunk >= t->nchunks)
        return o->status;
    size_t c = (size_t)o->chunk;
    int status = bp_tally_take(t, o, z->in->plan.chunks[c].count);
    if (status != BP_OK || o->kept)
        return status;
    char name[512];
    bp_inputs_shard_name(z->in, c, name, sizeof name);
    struct bp_journal_entry e = {
        .chunk = (uint32_t)c, .shard = name, .figures = o->shard,
        .has_index = z->cfg->index, .stats = &o->stats, .skips = o->skips.v,
        .nskips = o->skips.n};
    status = bp_journal_append(z->journal, &e);
    if (status == BP_OK && t->skips.n > z->cfg->max_failures) {
        BP_ERROR("%zu bad patches, more than --max-failures %llu allows; "
                 "stopping",
                 t->skips.n, (unsigned long long)z->cfg->max_failures);
        status = BP_INPUT;
    }
    BP_DEBUG("shard %s done: %llu records, %llu bytes", name,
             (unsigned long long)o->shard.records,
             (unsigned long long)o->shard.bytes);
    return status;
}

/* Rank 0 alone: a progress line between patches when one is due. */
static int alone_poll(void *ctx, uint32_t rows_done)
{
    struct bp_rank0 *z = ctx;
    bp_progress_tick(z->progress, z->tally, rows_done);
    return BP_OK;
}

/* The worst of two statuses (the higher value takes precedence). */
static int worse(int a, int b)
{
    return a > b ? a : b;
}

int bp_dispatch_alone(struct bp_rank0 *z, struct bp_converter *cv)
{
    struct bp_chunk_outcome o = {0};
    struct bp_buf rows = {0};
    char name[512];
    int status = cv ? BP_OK : BP_NOMEM;
    for (size_t c = bp_job_next(z, 0); status == BP_OK &&
                                       c < z->tally->nchunks;
         c = bp_job_next(z, c + 1)) {
        struct bp_chunk_job job;
        if (bp_stop_signal) {
            status = BP_INTERRUPTED;
            break;
        }
        status = bp_job_make(z, c, &job, &rows, name, sizeof name);
        if (status != BP_OK)
            break;
        bp_converter_run(cv, &job, alone_poll, z, &o);
        status = bp_job_record(z, &o);
        status = worse(status, bp_converter_publish(cv, status == BP_OK));
    }
    bp_outcome_free(&o);
    bp_buf_free(&rows);
    return status;
}
