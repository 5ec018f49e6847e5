/* plan.c - the plan: every split cut into chunks of consecutive rows (one
 * shard each), patch names checked unique across the splits, and the rows
 * of the exclusion lists taken out (see benprep/plan.h). */
#include "benprep/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/log.h"
#include "benprep/status.h"

int bp_plan_build(const struct bp_split *splits, size_t nsplits,
                  uint32_t records_per_shard, struct bp_plan *out)
{
    memset(out, 0, sizeof *out);
    size_t n = 0;
    for (size_t s = 0; s < nsplits; s++)
        n += (splits[s].nrows + records_per_shard - 1) / records_per_shard;
    out->chunks = calloc(n ? n : 1, sizeof *out->chunks);
    if (!out->chunks)
        return BP_NOMEM;
    for (size_t s = 0; s < nsplits; s++) {
        uint64_t rows = splits[s].nrows;
        uint32_t of = (uint32_t)((rows + records_per_shard - 1) / records_per_shard);
        for (uint32_t i = 0; i < of; i++) {
            struct bp_chunk *c = &out->chunks[out->nchunks++];
            c->split = (uint32_t)s;
            c->index = i;
            c->of = of;
            c->first = (uint64_t)i * records_per_shard;
            c->count = (uint32_t)(rows - c->first < records_per_shard
                                      ? rows - c->first
                                      : records_per_shard);
        }
        out->total_rows += rows;
    }
    return BP_OK;
}

void bp_plan_free(struct bp_plan *plan)
{
    if (!plan)
        return;
    free(plan->chunks);
    memset(plan, 0, sizeof *plan);
}

/* FNV-1a: names are short, so a simple hash is fast enough. */
static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

struct slot {
    uint32_t split; /* split index + 1; 0 marks an empty slot */
    uint32_t row;
};

static const char *row_name(const struct bp_split *splits, struct slot sl,
                            int column)
{
    const struct bp_split *s = &splits[sl.split - 1];
    return column == 2 ? bp_row_s2(s, sl.row) : bp_row_s1(s, sl.row);
}

/* The slot of name in an open-addressing table of rows of files (column 2:
 * S2 names, 1: S1 names): the slot holding it, or the empty slot where it
 * belongs. The table is never full. */
static size_t find_slot(const struct slot *table, size_t cap,
                        const struct bp_split *files, int column,
                        const char *name)
{
    size_t i = (size_t)hash_name(name) & (cap - 1);
    while (table[i].split && strcmp(row_name(files, table[i], column), name) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

/* An empty table for total names: a power of two, at most half full. NULL
 * when out of memory. */
static struct slot *slot_table(size_t total, size_t *cap)
{
    *cap = 16;
    while (*cap < 2 * total)
        *cap *= 2;
    return calloc(*cap, sizeof(struct slot));
}

/* One pass over all rows for one column (2: S2 names, 1: S1 names). */
static int check_column(const struct bp_split *splits, size_t nsplits,
                        size_t total, int column, size_t *repeats)
{
    size_t cap;
    struct slot *table = slot_table(total, &cap);
    if (!table)
        return BP_NOMEM;
    for (size_t s = 0; s < nsplits; s++) {
        for (size_t r = 0; r < splits[s].nrows; r++) {
            struct slot me = {(uint32_t)s + 1, (uint32_t)r};
            const char *name = row_name(splits, me, column);
            if (!*name)
                continue; /* S2-only rows have no S1 name */
            size_t i = find_slot(table, cap, splits, column, name);
            if (!table[i].split) {
                table[i] = me;
                continue;
            }
            const struct bp_split *first = &splits[table[i].split - 1];
            /* A whole row repeated was reported with its S2 name already. */
            if (column == 1 &&
                strcmp(row_name(splits, table[i], 2), row_name(splits, me, 2)) == 0)
                continue;
            if (*repeats < 20)
                BP_ERROR("%s line %u: %s patch %s repeats %s line %u",
                         splits[s].path, splits[s].rows[r].line,
                         column == 2 ? "S2" : "S1", name, first->path,
                         first->rows[table[i].row].line);
            (*repeats)++;
        }
    }
    free(table);
    return BP_OK;
}

int bp_plan_check_unique(const struct bp_split *splits, size_t nsplits)
{
    size_t total = 0, repeats = 0;
    for (size_t s = 0; s < nsplits; s++)
        total += splits[s].nrows;
    int rc = check_column(splits, nsplits, total, 2, &repeats);
    if (rc == BP_OK)
        rc = check_column(splits, nsplits, total, 1, &repeats);
    if (rc != BP_OK) {
        BP_ERROR("out of memory checking the split files for repeated rows");
        return rc;
    }
    if (repeats) {
        BP_ERROR("%zu repeated patch name%s in the split files; each patch "
                 "may appear in one row only",
                 repeats, repeats == 1 ? "" : "s");
        return BP_CSV;
    }
    return BP_OK;
}

int bp_plan_exclude(struct bp_split *splits, size_t nsplits,
                    const struct bp_split *lists, size_t nlists,
                    uint64_t *removed)
{
    size_t total = 0;
    for (size_t l = 0; l < nlists; l++)
        total += lists[l].nrows;
    memset(removed, 0, nlists * nsplits * sizeof *removed);
    size_t cap;
    struct slot *table = slot_table(total, &cap);
    if (!table)
        return BP_NOMEM;
    for (size_t l = 0; l < nlists; l++)
        for (size_t r = 0; r < lists[l].nrows; r++) {
            const char *name = bp_row_s2(&lists[l], r);
            size_t i = find_slot(table, cap, lists, 2, name);
            if (!table[i].split)
                table[i] = (struct slot){(uint32_t)l + 1, (uint32_t)r};
        }
    for (size_t s = 0; s < nsplits; s++) {
        struct bp_split *sp = &splits[s];
        size_t keep = 0;
        for (size_t r = 0; r < sp->nrows; r++) {
            const char *name = bp_row_s2(sp, r);
            size_t i = find_slot(table, cap, lists, 2, name);
            if (table[i].split) {
                removed[(table[i].split - 1) * nsplits + s]++;
                continue;
            }
            sp->rows[keep++] = sp->rows[r];
        }
        sp->nrows = keep;
    }
    free(table);
    return BP_OK;
}
