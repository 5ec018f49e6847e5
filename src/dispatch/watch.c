/*
 * watch.c - rank 0's view of its workers: chunks held, last heard, host,
 * stalls (see watch.h).
 */
#include "dispatch/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bp_watch_init(struct bp_watch *w, int nranks, double limit)
{
    size_t n = nranks > 0 ? (size_t)nranks : 1;
    memset(w, 0, sizeof *w);
    w->nranks = nranks;
    w->limit = limit;
    w->chunk = malloc(n * sizeof *w->chunk);
    w->heard = calloc(n, sizeof *w->heard);
    w->rows = calloc(n, sizeof *w->rows);
    w->host = calloc(n, sizeof *w->host);
    w->lost = calloc(n, 1);
    if (!w->chunk || !w->heard || !w->rows || !w->host || !w->lost)
        return -1;
    for (size_t r = 0; r < n; r++) {
        w->chunk[r] = -1;
        snprintf(w->host[r], BP_HOST_MAX, "?");
    }
    return 0;
}

void bp_watch_free(struct bp_watch *w)
{
    free(w->chunk);
    free(w->heard);
    free(w->rows);
    free(w->host);
    free(w->lost);
    memset(w, 0, sizeof *w);
}

void bp_watch_heard(struct bp_watch *w, int r, double now, int alive,
                    uint32_t rows_done)
{
    w->heard[r] = now;
    if (alive)
        w->rows[r] = rows_done;
    else
        w->chunk[r] = -1;
}

void bp_watch_assign(struct bp_watch *w, int r, int32_t c, double now)
{
    w->chunk[r] = c;
    w->heard[r] = now;
    w->rows[r] = 0;
}

void bp_watch_set_host(struct bp_watch *w, int r, const char *host)
{
    if (host[0])
        snprintf(w->host[r], BP_HOST_MAX, "%s", host);
}

double bp_watch_due(const struct bp_watch *w)
{
    double due = 0;
    if (w->limit <= 0)
        return 0;
    for (int r = 1; r < w->nranks; r++)
        if (w->chunk[r] >= 0 && !w->lost[r] &&
            (due == 0 || w->heard[r] + w->limit < due))
            due = w->heard[r] + w->limit;
    return due;
}

int bp_watch_stalled(const struct bp_watch *w, double now)
{
    if (w->limit <= 0)
        return -1;
    for (int r = 1; r < w->nranks; r++)
        if (w->chunk[r] >= 0 && !w->lost[r] && now - w->heard[r] >= w->limit)
            return r;
    return -1;
}
