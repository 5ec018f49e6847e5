/*
 * wait.c - sleeping MPI waits with a grace time after a stop signal (see
 * wait.h).
 */
#include "dispatch/wait.h"

#include <stdlib.h>
#include <string.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "common/clock.h"
#include "common/mpiwait.h"
#include "common/stop.h"

void bp_wait_init(struct bp_wait *w, double grace)
{
    w->grace = grace;
    w->stop_seen = 0;
    w->gave_up = 0;
}

int bp_wait_expired(struct bp_wait *w)
{
    if (!bp_stop_signal)
        return 0;
    double now = bp_now();
    if (w->stop_seen == 0)
        w->stop_seen = now;
    return now - w->stop_seen >= w->grace;
}

/* After a test that found nothing: BP_WAIT_STOP, BP_WAIT_GAVE_UP or
 * BP_WAIT_WAKE when the wait ends so, else 0 after a nap. */
static int idle(struct bp_wait *w, double wake, int report_stop, long *ns)
{
    if (report_stop && bp_stop_signal) {
        bp_wait_expired(w); /* the grace starts now */
        return BP_WAIT_STOP;
    }
    if (bp_wait_expired(w)) {
        w->gave_up = 1;
        return BP_WAIT_GAVE_UP;
    }
    if (wake > 0 && bp_now() >= wake)
        return BP_WAIT_WAKE;
    bp_nap(ns);
    return 0;
}

int bp_wait_request(struct bp_wait *w, MPI_Request *req, double deadline)
{
    long ns = 0;
    int rc = 0;
    while (rc == 0) {
        int done = 0;
        rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || done)
            return rc;
        rc = idle(w, deadline, 0, &ns);
    }
    return rc;
}

/* Receive the probed message msg of count bytes into buf. */
static int take(MPI_Message *msg, int count, struct bp_buf *buf)
{
    buf->len = 0;
    if (bp_buf_reserve(buf, (size_t)count) != 0) {
        BP_ERROR("out of memory for a %d-byte message", count);
        return MPI_ERR_NO_MEM;
    }
    int rc = MPI_Mrecv(buf->data, count, MPI_BYTE, msg, MPI_STATUS_IGNORE);
    buf->len = (size_t)count;
    return rc;
}

int bp_wait_receive(struct bp_wait *w, MPI_Comm comm, int source, int tag,
                    struct bp_buf *buf, int *from, int *tag_out, double wake,
                    int report_stop)
{
    long ns = 0;
    int rc = 0;
    while (rc == 0) {
        int flag = 0, count = 0;
        MPI_Message msg;
        MPI_Status st;
        rc = MPI_Improbe(source, tag, comm, &flag, &msg, &st);
        if (rc != MPI_SUCCESS)
            return rc;
        if (flag) {
            if (from)
                *from = st.MPI_SOURCE;
            if (tag_out)
                *tag_out = st.MPI_TAG;
            MPI_Get_count(&st, MPI_BYTE, &count);
            return take(&msg, count, buf);
        }
        rc = idle(w, wake, report_stop, &ns);
    }
    return rc;
}

/* A collective request with buffers of its own: when a wait gives up, the
 * request stays pending, so its buffers are left to it (a few bytes, once,
 * on the way to MPI_Abort). */
struct collective {
    MPI_Request req;
    int in, out;
};

int bp_wait_share(struct bp_wait *w, void *buf, int len, MPI_Comm comm)
{
    return bp_wait_share_from(w, buf, len, 0, comm);
}

int bp_wait_share_from(struct bp_wait *w, void *buf, int len, int root,
                       MPI_Comm comm)
{
    void *copy = malloc(len > 0 ? (size_t)len : 1);
    if (!copy && root == 0)
        return bp_mpi_share(buf, len, comm);
    if (!copy) /* no sleeping wait without a buffer of its own */
        return MPI_Bcast(buf, len, MPI_BYTE, root, comm) == MPI_SUCCESS
                   ? BP_OK
                   : BP_MPI;
    memcpy(copy, buf, (size_t)len);
    MPI_Request req;
    int rc = MPI_Ibcast(copy, len, MPI_BYTE, root, comm, &req);
    if (rc == MPI_SUCCESS)
        rc = bp_wait_request(w, &req, 0);
    if (rc == BP_WAIT_GAVE_UP)
        return BP_INTERRUPTED; /* copy stays with the pending request */
    memcpy(buf, copy, (size_t)len);
    free(copy);
    return rc == MPI_SUCCESS ? BP_OK : BP_MPI;
}

int bp_wait_agree(struct bp_wait *w, int status, MPI_Comm comm)
{
    if (w->gave_up)
        return status;
    struct collective *c = malloc(sizeof *c);
    if (!c)
        return bp_mpi_agree(status, comm);
    c->in = status;
    c->out = status;
    int rc = MPI_Iallreduce(&c->in, &c->out, 1, MPI_INT, MPI_MAX, comm,
                            &c->req);
    if (rc == MPI_SUCCESS)
        rc = bp_wait_request(w, &c->req, 0);
    if (rc == BP_WAIT_GAVE_UP) /* c stays with the pending request */
        return status > BP_INTERRUPTED ? status : BP_INTERRUPTED;
    int worst = c->out;
    free(c);
    return rc == MPI_SUCCESS ? worst : BP_MPI;
}
