/*
 * worker.c - a worker rank: ask rank 0 for a chunk, convert it, report its
 * outcome with the next request, publish or discard the shard as the reply
 * says, until told to stop (see benprep/dispatch.h). While it converts it
 * looks for an abort from rank 0 every few patches and sends a sign of
 * life now and then, so that rank 0 can tell it from a stalled rank.
 */
#include "benprep/dispatch.h"

#include <string.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "common/clock.h"
#include "dispatch/message.h"
#include "dispatch/wait.h"

/* Aborts from rank 0 are looked for once per this many patches, and a sign
 * of life goes out then when one is due. */
#define POLL_EVERY 4

/* Signs of life go out at most this often, and several times per stall
 * limit. */
#define ALIVE_SECONDS 1.0

struct worker {
    MPI_Comm comm;
    struct bp_wait *wait;
    struct bp_converter *cv;
    struct bp_buf reply;   /* rank 0's last reply */
    struct bp_buf request; /* the next request: the last chunk's outcome */
    struct bp_buf rows;    /* the rows of the job being done */
    struct bp_chunk_outcome outcome;
    struct bp_msg_alive alive; /* the sign of life in flight */
    MPI_Request alive_req;
    double alive_every; /* seconds; 0: none */
    double alive_next;
    char host[MPI_MAX_PROCESSOR_NAME];
};

/* Send a sign of life unless the last one is still on its way. */
static void send_alive(struct worker *w, uint32_t rows_done)
{
    int done = 1;
    if (w->alive_req != MPI_REQUEST_NULL)
        MPI_Test(&w->alive_req, &done, MPI_STATUS_IGNORE);
    if (!done)
        return;
    w->alive.chunk = w->outcome.chunk;
    w->alive.rows_done = rows_done;
    MPI_Isend(&w->alive, sizeof w->alive, MPI_BYTE, 0, BP_TAG_ALIVE, w->comm,
              &w->alive_req);
}

/* Between patches: a sign of life when due, and rank 0's abort. */
static int poll(void *ctx, uint32_t rows_done)
{
    struct worker *w = ctx;
    if (rows_done % POLL_EVERY != POLL_EVERY - 1)
        return BP_OK;
    if (w->alive_every > 0) {
        double now = bp_now();
        if (now >= w->alive_next) {
            send_alive(w, rows_done);
            w->alive_next = now + w->alive_every;
        }
    }
    int flag = 0;
    MPI_Iprobe(0, BP_TAG_REPLY, w->comm, &flag, MPI_STATUS_IGNORE);
    return flag ? BP_ABORTED : BP_OK;
}

/* Send the request in w->request and receive the reply that is not an
 * abort (one that came after the chunk was done is moot). Returns BP_OK,
 * BP_MPI, or BP_INTERRUPTED when rank 0 did not answer within the grace
 * after a stop signal. */
static int ask(struct worker *w, enum bp_reply *type, int *publish)
{
    MPI_Request req;
    int rc = MPI_Isend(w->request.data, (int)w->request.len, MPI_BYTE, 0,
                       BP_TAG_REQUEST, w->comm, &req);
    if (rc == MPI_SUCCESS)
        rc = bp_wait_request(w->wait, &req, 0);
    while (rc == MPI_SUCCESS) {
        rc = bp_wait_receive(w->wait, w->comm, 0, BP_TAG_REPLY, &w->reply,
                             NULL, NULL, 0, 0);
        if (rc != MPI_SUCCESS)
            break;
        *type = bp_msg_reply(&w->reply, publish);
        if (*type != BP_REPLY_ABORT)
            return BP_OK;
    }
    return rc == BP_WAIT_GAVE_UP ? BP_INTERRUPTED : BP_MPI;
}

/* Convert the job of the work reply; its outcome becomes the next
 * request. Returns the chunk's status. */
static int convert(struct worker *w)
{
    struct bp_chunk_job job;
    int rc = bp_msg_unpack_work(&w->reply, &job, &w->rows);
    if (rc != BP_OK) {
        bp_msg_pack_hello(&w->request, rc, w->host);
        return rc;
    }
    w->alive_next = bp_now() + w->alive_every;
    rc = bp_converter_run(w->cv, &job, poll, w, &w->outcome);
    if (bp_msg_pack_outcome(&w->request, &w->outcome) != BP_OK) {
        BP_ERROR("out of memory for the outcome of %s", job.shard);
        rc = BP_NOMEM;
        bp_msg_pack_hello(&w->request, rc, w->host);
    }
    return rc;
}

static void worker_init(struct worker *w, const struct bp_config *cfg,
                        struct bp_converter *cv, MPI_Comm comm,
                        struct bp_wait *wait)
{
    int len = 0;
    memset(w, 0, sizeof *w);
    w->comm = comm;
    w->wait = wait;
    w->cv = cv;
    w->alive_req = MPI_REQUEST_NULL;
    w->alive_every = cfg->stall_limit_seconds / 4.0;
    if (w->alive_every > ALIVE_SECONDS)
        w->alive_every = ALIVE_SECONDS;
    if (MPI_Get_processor_name(w->host, &len) != MPI_SUCCESS)
        w->host[0] = '\0';
}

/* Release what the worker holds. A request rank 0 never took (the wait
 * for it gave up) keeps its buffer: MPI may still read it until the rank
 * ends. The sign of life is small enough to be sent at once. */
static void worker_finish(struct worker *w)
{
    if (w->alive_req != MPI_REQUEST_NULL &&
        bp_wait_request(w->wait, &w->alive_req, 0) != MPI_SUCCESS)
        MPI_Request_free(&w->alive_req);
    if (w->wait->gave_up)
        w->request.data = NULL;
    bp_buf_free(&w->reply);
    bp_buf_free(&w->request);
    bp_buf_free(&w->rows);
    bp_outcome_free(&w->outcome);
}

int bp_dispatch_work(const struct bp_config *cfg, struct bp_converter *cv,
                     MPI_Comm comm, struct bp_wait *wait)
{
    struct worker w;
    worker_init(&w, cfg, cv, comm, wait);
    /* A worker that cannot start reports its failure as its first request,
     * so rank 0 stops the run instead of waiting for it. */
    int status = cv ? BP_OK : BP_NOMEM;
    bp_msg_pack_hello(&w.request, status, w.host);
    for (;;) {
        enum bp_reply type;
        int publish, rc = ask(&w, &type, &publish);
        if (rc != BP_OK) {
            status = rc == BP_MPI || status == BP_OK ? rc : status;
            break;
        }
        rc = cv ? bp_converter_publish(cv, publish) : BP_OK;
        if (rc != BP_OK && status == BP_OK)
            status = rc;
        if (type != BP_REPLY_WORK)
            break;
        if (status != BP_OK) {
            /* Publishing failed: say so instead of taking on more work. */
            bp_msg_pack_hello(&w.request, status, w.host);
            continue;
        }
        rc = convert(&w);
        if (rc != BP_OK && rc != BP_ABORTED && status == BP_OK)
            status = rc;
    }
    worker_finish(&w);
    return status;
}
