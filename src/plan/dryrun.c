/*
 * dryrun.c - --dry-run: the plan printed on stdout, every split with its
 * shards, their rows and CSV lines (see benprep/inputs.h).
 */
#include <stdio.h>

#include "benprep/inputs.h"

/* The shards of split s, each with its rows and lines. */
static void print_split(const struct bp_run_inputs *in, size_t s)
{
    const struct bp_split *sp = &in->splits[s];
    size_t shards = 0;
    for (size_t c = 0; c < in->plan.nchunks; c++)
        shards += in->plan.chunks[c].split == s;
    printf("split %s: %zu rows from %s in %zu shard%s\n", sp->name, sp->nrows,
           sp->path, shards, shards == 1 ? "" : "s");
    for (size_t c = 0; c < in->plan.nchunks; c++) {
        const struct bp_chunk *ch = &in->plan.chunks[c];
        if (ch->split != s)
            continue;
        char name[512];
        bp_inputs_shard_name(in, c, name, sizeof name);
        printf("  %s rows %llu-%llu (%u), lines %u-%u\n", name,
               (unsigned long long)ch->first + 1,
               (unsigned long long)(ch->first + ch->count), ch->count,
               sp->rows[ch->first].line,
               sp->rows[ch->first + ch->count - 1].line);
    }
}

void bp_inputs_print_plan(const struct bp_run_inputs *in,
                          const struct bp_config *cfg)
{
    printf("ben-prep %s dry run: %zu split file%s, %llu rows, %zu shards of "
           "up to %u records\n",
           bp_version(), in->nsplits, in->nsplits == 1 ? "" : "s",
           (unsigned long long)in->plan.total_rows, in->plan.nchunks,
           cfg->records_per_shard);
    for (size_t s = 0; s < in->nsplits; s++)
        print_split(in, s);
    fflush(stdout);
}
