/*
 * outcome.c - lists of skipped patches and the outcome of one chunk (see
 * benprep/outcome.h).
 */
#include "benprep/outcome.h"

#include <stdlib.h>
#include <string.h>

#include "benprep/status.h"

int bp_skips_add(struct bp_skips *s, uint32_t chunk, uint32_t row,
                 const char *file, const char *reason)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        struct bp_skip *p = realloc(s->v, cap * sizeof *p);
        if (!p)
            return BP_NOMEM;
        s->v = p;
        s->cap = cap;
    }
    struct bp_skip *k = &s->v[s->n];
    k->chunk = chunk;
    k->row = row;
    k->file = strdup(file);
    k->reason = strdup(reason);
    if (!k->file || !k->reason) {
        free(k->file);
        free(k->reason);
        return BP_NOMEM;
    }
    s->n++;
    return BP_OK;
}

void bp_skips_drop_chunk(struct bp_skips *s, uint32_t chunk)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].chunk == chunk) {
            free(s->v[i].file);
            free(s->v[i].reason);
        } else {
            s->v[k++] = s->v[i];
        }
    }
    s->n = k;
}

static int skip_order(const void *a, const void *b)
{
    const struct bp_skip *x = a, *y = b;
    if (x->chunk != y->chunk)
        return x->chunk < y->chunk ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

void bp_skips_sort(struct bp_skips *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof *s->v, skip_order);
}

void bp_skips_clear(struct bp_skips *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].file);
        free(s->v[i].reason);
    }
    s->n = 0;
}

void bp_skips_free(struct bp_skips *s)
{
    bp_skips_clear(s);
    free(s->v);
    s->v = NULL;
    s->cap = 0;
}

void bp_outcome_reset(struct bp_chunk_outcome *o, int32_t chunk)
{
    o->chunk = chunk;
    o->status = BP_OK;
    o->kept = 0;
    memset(&o->shard, 0, sizeof o->shard);
    bp_stats_init(&o->stats);
    bp_skips_clear(&o->skips);
}

void bp_outcome_free(struct bp_chunk_outcome *o)
{
    bp_skips_free(&o->skips);
}
