/*
 * serve.c - rank 0 with workers: hand out chunks as workers ask, record
 * their outcomes, stop them all when the run stops, and end without a
 * worker that stalls or does not answer within the grace after a stop
 * signal (see benprep/dispatch.h).
 */
#include "benprep/dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "common/clock.h"
#include "common/stop.h"
#include "dispatch/jobs.h"
#include "dispatch/message.h"
#include "dispatch/wait.h"
#include "dispatch/watch.h"

struct serve {
    struct bp_rank0 *z;
    MPI_Comm comm;
    struct bp_wait *wait;
    int nranks;
    struct bp_watch watch;
    unsigned char *ended;  /* per rank: told to stop, or given up on */
    int nended;
    MPI_Request *aborts;   /* per rank: an abort on its way */
    struct bp_buf in;      /* the message being handled */
    struct bp_buf out;     /* the work reply being sent */
    struct bp_buf rows;    /* the rows of the job being packed */
    struct bp_chunk_outcome outcome;
    size_t next;           /* the next chunk to hand out */
    int status;
    int stopping;          /* no more work: busy workers abort, all stop */
    struct {               /* messages taken and sent, for the -v report */
        unsigned long requests, alive, work, stops, aborts;
    } count;
};

/* The worst of two statuses (the higher value takes precedence). */
static int worse(int a, int b)
{
    return a > b ? a : b;
}

/* The earlier of two times, 0 meaning never. */
static double earliest(double a, double b)
{
    return a == 0 ? b : b == 0 || a < b ? a : b;
}

static int serve_init(struct serve *s, struct bp_rank0 *z, MPI_Comm comm,
                      struct bp_wait *wait)
{
    memset(s, 0, sizeof *s);
    s->z = z;
    s->comm = comm;
    s->wait = wait;
    MPI_Comm_size(comm, &s->nranks);
    s->ended = calloc((size_t)s->nranks, 1);
    s->aborts = malloc(sizeof *s->aborts * (size_t)s->nranks);
    if (bp_watch_init(&s->watch, s->nranks, z->cfg->stall_limit_seconds) ||
        !s->ended || !s->aborts)
        return -1;
    for (int r = 0; r < s->nranks; r++)
        s->aborts[r] = MPI_REQUEST_NULL;
    return 0;
}

static void serve_free(struct serve *s)
{
    bp_watch_free(&s->watch);
    free(s->ended);
    free(s->aborts);
    bp_buf_free(&s->in);
    bp_buf_free(&s->out);
    bp_buf_free(&s->rows);
    bp_outcome_free(&s->outcome);
}

/* No more work: busy workers are told to abort their chunks (their shards
 * are discarded), and each is told to stop when it next asks. */
static void begin_stopping(struct serve *s)
{
    if (s->stopping)
        return;
    s->stopping = 1;
    int len;
    const void *abort_msg = bp_msg_control(BP_REPLY_ABORT, 0, &len);
    for (int r = 1; r < s->nranks; r++)
        if (s->watch.chunk[r] >= 0 && !s->ended[r]) {
            MPI_Isend(abort_msg, len, MPI_BYTE, r, BP_TAG_REPLY, s->comm,
                      &s->aborts[r]);
            s->count.aborts++;
        }
}

/* End the run without rank r: it will not be waited for again. */
static void lose(struct serve *s, int r)
{
    s->watch.lost[r] = 1;
    s->ended[r] = 1;
    s->nended++;
    s->wait->gave_up = 1;
}

/* What rank r was doing, for messages. */
static void doing(const struct serve *s, int r, char *buf, size_t size)
{
    const struct bp_run_inputs *in = s->z->in;
    if (s->watch.chunk[r] < 0) {
        snprintf(buf, size, "taking its next reply");
        return;
    }
    size_t c = (size_t)s->watch.chunk[r];
    const struct bp_chunk *ch = &in->plan.chunks[c];
    const struct bp_split *sp = &in->splits[ch->split];
    char name[512];
    bp_inputs_shard_name(in, c, name, sizeof name);
    snprintf(buf, size, "converting %s (%s lines %u-%u, %u of %u rows done)",
             name, sp->path, sp->rows[ch->first].line,
             sp->rows[ch->first + ch->count - 1].line, s->watch.rows[r],
             ch->count);
}

/* Rank r has stalled: name it, its host and its chunk; stop without it. */
static void stalled(struct serve *s, int r, double silent)
{
    char what[1024];
    doing(s, r, what, sizeof what);
    BP_ERROR("rank %d on host %s has sent nothing for %.0f s while %s: it "
             "has stalled (stopped, hung on a file, or its node is gone); "
             "stopping the run without it (--stall-limit %u)",
             r, s->watch.host[r], silent, what,
             s->z->cfg->stall_limit_seconds);
    if (!s->z->stalled)
        s->z->stalled = r;
    lose(s, r);
    s->status = worse(s->status, BP_MPI);
    begin_stopping(s);
}

/* The grace after a stop signal ran out: end without every worker that
 * has not stopped yet. */
static void give_up_all(struct serve *s)
{
    for (int r = 1; r < s->nranks; r++) {
        if (s->ended[r])
            continue;
        BP_WARN("rank %d on host %s has not answered within %.0f s of the "
                "stop signal; ending without it",
                r, s->watch.host[r], s->wait->grace);
        lose(s, r);
    }
}

/* Send a reply of len bytes at buf to r and wait until it is on its way.
 * A worker that does not take it within the stall limit has stalled.
 * Returns 0, or -1 when the run cannot go on (MPI failed, gave up). */
static int reply(struct serve *s, int r, const void *buf, int len)
{
    MPI_Request req;
    double limit = s->watch.limit;
    int rc = MPI_Isend(buf, len, MPI_BYTE, r, BP_TAG_REPLY, s->comm, &req);
    if (rc == MPI_SUCCESS)
        rc = bp_wait_request(s->wait, &req, limit > 0 ? bp_now() + limit : 0);
    if (rc == MPI_SUCCESS)
        return 0;
    if (rc == BP_WAIT_WAKE) {
        if (buf == s->out.data) /* still in use by the pending send */
            memset(&s->out, 0, sizeof s->out);
        stalled(s, r, limit);
        return 0;
    }
    if (rc != BP_WAIT_GAVE_UP)
        s->status = BP_MPI;
    return -1;
}

/* Tell r to stop (and whether to publish its last shard). */
static int reply_stop(struct serve *s, int r, int journaled)
{
    int len;
    const void *msg = bp_msg_control(BP_REPLY_STOP, journaled, &len);
    s->count.stops++;
    int rc = reply(s, r, msg, len);
    if (!s->ended[r]) {
        s->ended[r] = 1;
        s->nended++;
    }
    return rc;
}

/* Give r the next chunk (and say whether to publish its last shard). */
static int hand_out(struct serve *s, int r, int journaled)
{
    struct bp_chunk_job job;
    char name[512];
    int rc = bp_job_make(s->z, s->next, &job, &s->rows, name, sizeof name);
    if (rc == BP_OK)
        rc = bp_msg_pack_work(&s->out, &job, journaled);
    if (rc != BP_OK) {
        s->status = worse(s->status, rc);
        begin_stopping(s);
        return reply_stop(s, r, journaled);
    }
    bp_watch_assign(&s->watch, r, (int32_t)s->next, bp_now());
    s->next++;
    s->count.work++;
    return reply(s, r, s->out.data, (int)s->out.len);
}

/* A request from r: take in its outcome, answer with work or stop. */
static int take_request(struct serve *s, int r)
{
    char host[BP_HOST_MAX];
    bp_watch_heard(&s->watch, r, bp_now(), 0, 0);
    int rc = bp_msg_unpack_request(&s->in, &s->outcome, host, sizeof host);
    bp_watch_set_host(&s->watch, r, host);
    int chunk_status = rc == BP_OK ? bp_job_record(s->z, &s->outcome) : rc;
    int journaled = chunk_status == BP_OK;
    /* An aborted chunk is the consequence of a stop, not a cause. */
    if (chunk_status != BP_ABORTED)
        s->status = worse(s->status, chunk_status);
    if (bp_stop_signal)
        s->status = worse(s->status, BP_INTERRUPTED);
    s->next = bp_job_next(s->z, s->next);
    if (s->status == BP_OK && s->next < s->z->tally->nchunks)
        return hand_out(s, r, journaled);
    if (s->status != BP_OK)
        begin_stopping(s);
    return reply_stop(s, r, journaled);
}

/* A message from r. Returns 0, or -1 when the run cannot go on. */
static int take_message(struct serve *s, int r, int tag)
{
    if (r <= 0 || r >= s->nranks || s->watch.lost[r])
        return 0; /* given up on: its word no longer counts */
    if (tag != BP_TAG_ALIVE)
        return take_request(s, r);
    struct bp_msg_alive alive;
    if (s->in.len == sizeof alive) {
        memcpy(&alive, s->in.data, sizeof alive);
        bp_watch_heard(&s->watch, r, bp_now(), 1, alive.rows_done);
    }
    return 0;
}

/* Wait for the next message or event and act on it. Returns 0 to go on,
 * -1 when the run cannot go on. */
static int step(struct serve *s)
{
    struct bp_rank0 *z = s->z;
    int src = -1, tag = 0;
    double wake =
        earliest(bp_progress_due(z->progress), bp_watch_due(&s->watch));
    int rc = bp_wait_receive(s->wait, s->comm, MPI_ANY_SOURCE, MPI_ANY_TAG,
                             &s->in, &src, &tag, wake, !s->stopping);
    bp_progress_tick(z->progress, z->tally, 0);
    switch (rc) {
    case MPI_SUCCESS:
        if (tag == BP_TAG_ALIVE)
            s->count.alive++;
        else
            s->count.requests++;
        return take_message(s, src, tag);
    case BP_WAIT_WAKE:
        for (int r; (r = bp_watch_stalled(&s->watch, bp_now())) > 0;)
            stalled(s, r, bp_now() - s->watch.heard[r]);
        return 0;
    case BP_WAIT_STOP:
        s->status = worse(s->status, BP_INTERRUPTED);
        begin_stopping(s);
        return 0;
    case BP_WAIT_GAVE_UP:
        give_up_all(s);
        return -1;
    default:
        s->status = BP_MPI;
        return -1;
    }
}

/* The aborts sent to workers still there are on their way. */
static void finish_aborts(struct serve *s)
{
    for (int r = 1; r < s->nranks; r++)
        if (s->aborts[r] != MPI_REQUEST_NULL && !s->watch.lost[r])
            bp_wait_request(s->wait, &s->aborts[r], 0);
}

/* At -v: the messages rank 0 took and sent, per chunk handed out. */
static void report_counts(const struct serve *s)
{
    unsigned long in = s->count.requests + s->count.alive;
    unsigned long out = s->count.work + s->count.stops + s->count.aborts;
    BP_DEBUG("messages: rank 0 took %lu (%lu requests, %lu signs of life) "
             "and sent %lu (%lu work, %lu stop, %lu abort) for %lu chunks "
             "handed out to %d workers: %.2f per chunk",
             in, s->count.requests, s->count.alive, out, s->count.work,
             s->count.stops, s->count.aborts, s->count.work, s->nranks - 1,
             s->count.work ? (double)(in + out) / (double)s->count.work : 0.0);
}

int bp_dispatch_serve(struct bp_rank0 *z, MPI_Comm comm, struct bp_wait *w)
{
    struct serve s;
    if (serve_init(&s, z, comm, w) != 0) {
        /* Cannot even track the workers: MPI_Abort is all that is left. */
        BP_ERROR("out of memory");
        serve_free(&s);
        return BP_MPI;
    }
    while (s.nended < s.nranks - 1 && step(&s) == 0)
        ;
    finish_aborts(&s);
    report_counts(&s);
    serve_free(&s);
    return s.status;
}
