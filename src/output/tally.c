/*
 * tally.c - rank 0's record of every chunk's outcome (see benprep/tally.h).
 */
#include "benprep/tally.h"

#include <stdlib.h>
#include <string.h>

#include "benprep/status.h"

int bp_tally_init(struct bp_tally *t, size_t nchunks)
{
    memset(t, 0, sizeof *t);
    size_t n = nchunks ? nchunks : 1;
    t->results = calloc(n, sizeof *t->results);
    t->journaled = calloc(n, 1);
    t->stats = malloc(n * sizeof *t->stats);
    if (!t->results || !t->journaled || !t->stats)
        return BP_NOMEM;
    t->nchunks = nchunks;
    for (size_t c = 0; c < n; c++) {
        bp_stats_init(&t->stats[c]);
        t->results[c].status = BP_ABORTED; /* not finished yet */
    }
    return BP_OK;
}

void bp_tally_free(struct bp_tally *t)
{
    free(t->results);
    free(t->journaled);
    free(t->stats);
    bp_skips_free(&t->skips);
    memset(t, 0, sizeof *t);
}

/* Chunk c's figures, statistics and skips replace what was there. */
static int record(struct bp_tally *t, uint32_t c,
                  const struct bp_shard_info *shard,
                  const struct bp_stats *stats, const struct bp_skip *skips,
                  size_t nskips)
{
    struct bp_chunk_result *r = &t->results[c];
    r->status = BP_OK;
    r->records = shard->records;
    r->bytes = shard->bytes;
    r->crc32c = shard->crc32c;
    r->index_bytes = shard->index_bytes;
    r->index_crc32c = shard->index_crc32c;
    t->stats[c] = *stats;
    bp_skips_drop_chunk(&t->skips, c);
    for (size_t i = 0; i < nskips; i++)
        if (bp_skips_add(&t->skips, c, skips[i].row, skips[i].file,
                         skips[i].reason) != BP_OK)
            return BP_NOMEM;
    return BP_OK;
}

int bp_tally_take(struct bp_tally *t, const struct bp_chunk_outcome *o,
                  uint32_t rows)
{
    if (o->chunk < 0 || (size_t)o->chunk >= t->nchunks ||
        o->status != BP_OK)
        return o->status;
    uint32_t c = (uint32_t)o->chunk;
    if (o->kept) {
        t->kept_records += t->results[c].records;
        t->kept_chunks++;
        t->kept_rows += rows;
        return BP_OK;
    }
    t->journaled[c] = 0;
    t->done_records += o->shard.records;
    t->done_bytes += o->shard.bytes;
    t->done_chunks += o->shard.records > 0;
    t->done_rows += rows;
    return record(t, c, &o->shard, &o->stats, o->skips.v, o->skips.n);
}

int bp_tally_restore(struct bp_tally *t, const struct bp_journal_entry *e)
{
    if (e->chunk >= t->nchunks)
        return BP_OK;
    t->journaled[e->chunk] = 1;
    return record(t, e->chunk, &e->figures, e->stats, e->skips, e->nskips);
}

size_t bp_tally_finished(const struct bp_tally *t)
{
    size_t n = 0;
    for (size_t c = 0; c < t->nchunks; c++)
        n += t->results[c].status == BP_OK;
    return n;
}
