/*
 * watch.h - internal to the dispatcher: rank 0's view of its workers: the
 * chunk each converts, when rank 0 last heard from it, its host, and
 * whether it stalled.
 *
 * A worker that holds a chunk sends a request when it is done and a small
 * sign of life (BP_TAG_ALIVE) now and then while it converts. One that
 * holds a chunk and has sent nothing for longer than the stall limit has
 * stalled: stopped, hung on a file, or its node is gone.
 */
#ifndef BENPREP_DISPATCH_WATCH_H
#define BENPREP_DISPATCH_WATCH_H

#include <stdint.h>

#include <mpi.h>

#define BP_HOST_MAX 256

struct bp_watch {
    int nranks;
    double limit;       /* seconds; 0: never stalled */
    int32_t *chunk;     /* per rank: the chunk it converts, or -1 */
    double *heard;      /* per rank: when rank 0 last heard from it */
    uint32_t *rows;     /* per rank: rows done, as it last said */
    char (*host)[BP_HOST_MAX];
    unsigned char *lost; /* per rank: given up on */
};

/* Returns 0, or -1 when out of memory. */
int bp_watch_init(struct bp_watch *w, int nranks, double limit);

void bp_watch_free(struct bp_watch *w);

/* Rank r was heard from at now: a request (it holds no chunk any more) or,
 * with alive set, a sign of life at rows_done rows. */
void bp_watch_heard(struct bp_watch *w, int r, double now, int alive,
                    uint32_t rows_done);

/* Rank r was given chunk c at now. */
void bp_watch_assign(struct bp_watch *w, int r, int32_t c, double now);

void bp_watch_set_host(struct bp_watch *w, int r, const char *host);

/* When the next worker would be overdue (bp_now() clock); 0: none can
 * be. */
double bp_watch_due(const struct bp_watch *w);

/* A worker that holds a chunk and has been silent for longer than the
 * limit at now, or -1. */
int bp_watch_stalled(const struct bp_watch *w, double now);

#endif
