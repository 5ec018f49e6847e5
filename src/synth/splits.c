/*
 * splits.c - ben-synth's split files: for every split, splits/<name>.csv
 * ("S2name,S1name" rows) and splits-s2/<name>.csv (S2 names), CRLF, and the
 * split each pair goes to (see synth.h).
 */
#include <errno.h>
#include <string.h>

#include "synth/synth.h"

/* The Weyl step of the split sequence: 2^32 / golden ratio. */
#define GOLDEN32 0x9E3779B9U

/* The split of pair index: a golden-ratio (Weyl) sequence with a
 * seed-dependent start, cut at the cumulative weights. Its low
 * discrepancy keeps every split's share within a few pairs of its
 * weight, for any N. */
static int choose_split(const struct generator *g, long index)
{
    uint32_t start = (uint32_t)stream_key(g->seed_key, STREAM_SPLIT);
    uint32_t u = start + (uint32_t)index * GOLDEN32;
    const struct options *opt = g->opt;
    for (int i = 0; i < opt->nsplits; i++)
        if ((uint64_t)u < opt->splits[i].bound)
            return i;
    return opt->nsplits - 1; /* not reached: the last bound is 2^32 */
}

/* Create dir/name.csv for writing into *f. */
static int create_csv(struct generator *g, const char *dir, const char *name,
                      FILE **f)
{
    if (join_path(g->path, dir, name, NULL, ".csv") != 0)
        return -1;
    *f = fopen(g->path, "wb");
    if (!*f)
        return fail_path(g->path, "cannot create: %s", strerror(errno));
    return 0;
}

/* Report a write error (errno err) on dir/name.csv and return -1. */
static int csv_failed(struct generator *g, const char *dir, const char *name,
                      int err)
{
    if (join_path(g->path, dir, name, NULL, ".csv") != 0)
        return -1;
    return fail_path(g->path, "write error: %s", strerror(err));
}

/* Create the split folders and open both files of every split. */
int open_splits(struct generator *g)
{
    if (join_path(g->mm_dir, g->out, "splits", NULL, NULL) != 0 ||
        join_path(g->s2_dir, g->out, "splits-s2", NULL, NULL) != 0 ||
        make_dir(g->mm_dir) != 0 || make_dir(g->s2_dir) != 0)
        return -1;
    for (int i = 0; i < g->opt->nsplits; i++) {
        struct split *s = &g->opt->splits[i];
        if (create_csv(g, g->mm_dir, s->name, &s->mm) != 0 ||
            create_csv(g, g->s2_dir, s->name, &s->s2) != 0)
            return -1;
    }
    return 0;
}

/* The pair's row in both files of its split. */
int add_split_rows(struct generator *g, long index, const struct pair *p)
{
    struct split *s = &g->opt->splits[choose_split(g, index)];
    if (fprintf(s->mm, "%s,%s\r\n", p->s2_name, p->s1_name) < 0)
        return csv_failed(g, g->mm_dir, s->name, errno);
    if (fprintf(s->s2, "%s\r\n", p->s2_name) < 0)
        return csv_failed(g, g->s2_dir, s->name, errno);
    s->count++;
    return 0;
}

/* Close every open split file. With report set, a failed close (the
 * last buffered rows could not be written) is reported as an error. */
int close_splits(struct generator *g, int report)
{
    int rc = 0;
    for (int i = 0; i < g->opt->nsplits; i++) {
        struct split *s = &g->opt->splits[i];
        FILE *files[2] = {s->mm, s->s2};
        const char *dirs[2] = {g->mm_dir, g->s2_dir};
        for (int f = 0; f < 2; f++) {
            if (!files[f] || fclose(files[f]) == 0 || !report || rc != 0)
                continue;
            rc = -1;
            csv_failed(g, dirs[f], s->name, errno);
        }
        s->mm = s->s2 = NULL;
    }
    return rc;
}
