/*
 * wait.h - internal to the converter (the run and its dispatcher): MPI
 * waits that never spin and end within seconds of a stop signal, even when
 * a peer never answers.
 *
 * Open MPI's blocking calls busy-poll and never look at the stop flag, so
 * every wait of a run goes through here: test, then sleep a little
 * (bp_nap). Once a wait has seen the stop flag (common/stop.h), the rank
 * gives its peers a grace time, counted from that first sight and shared by
 * every later wait of the run: a stop reaches every rank within moments
 * (scancel signals them all; rank 0 passes its own stop on), so peers that
 * are alive answer well within it. A wait still unfinished when the grace
 * has run out gives up: the peer is gone (stopped, hung, dead). The rank
 * then ends alone (gave_up): it must leave with MPI_Abort, because
 * MPI_Finalize would wait for that peer too.
 */
#ifndef BENPREP_DISPATCH_WAIT_H
#define BENPREP_DISPATCH_WAIT_H

#include <mpi.h>

#include "common/buf.h"

/* What a wait returns besides MPI_SUCCESS and MPI error codes (>= 0). */
#define BP_WAIT_WAKE (-2)    /* the wake-up time passed first */
#define BP_WAIT_STOP (-3)    /* a stop signal came (when asked to say so) */
#define BP_WAIT_GAVE_UP (-4) /* the grace after a stop signal ran out */

/* Seconds rank 0 waits for its workers after a stop signal. A worker
 * waits a little longer for rank 0, so that when a worker is gone it is
 * rank 0, which knows the run, that gives up first and says what became
 * of it. */
#define BP_STOP_GRACE_SECONDS 5.0
#define BP_STOP_GRACE_WORKER_SECONDS (BP_STOP_GRACE_SECONDS + 3.0)

struct bp_wait {
    double grace;     /* seconds */
    double stop_seen; /* bp_now() when a wait first saw the stop flag; 0 */
    int gave_up;      /* a wait gave up on a peer: this rank ends alone */
};

void bp_wait_init(struct bp_wait *w, double grace);

/* Whether the stop flag is set and the grace after its first sight has run
 * out; the first call that sees the flag starts the grace. */
int bp_wait_expired(struct bp_wait *w);

/* Complete req. With deadline (bp_now() clock) not 0, return BP_WAIT_WAKE
 * once it passes. Returns MPI_SUCCESS, an MPI error code, BP_WAIT_WAKE or
 * BP_WAIT_GAVE_UP; req stays pending when it did not complete. */
int bp_wait_request(struct bp_wait *w, MPI_Request *req, double deadline);

/* Receive the next message from source (or MPI_ANY_SOURCE) with tag (or
 * MPI_ANY_TAG) into buf, its length in buf->len; *from and *tag_out (when
 * not NULL) say whose and which it is. Returns MPI_SUCCESS, an MPI error
 * code (MPI_ERR_NO_MEM: no room for it, logged), BP_WAIT_WAKE when bp_now()
 * passes wake (0: never) first, BP_WAIT_STOP when report_stop is set and a
 * stop signal has come, or BP_WAIT_GAVE_UP. */
int bp_wait_receive(struct bp_wait *w, MPI_Comm comm, int source, int tag,
                    struct bp_buf *buf, int *from, int *tag_out, double wake,
                    int report_stop);

/* Collective over comm: rank 0's len bytes at buf to every rank. Returns
 * BP_OK, BP_MPI, or BP_INTERRUPTED when it gave up. */
int bp_wait_share(struct bp_wait *w, void *buf, int len, MPI_Comm comm);

/* The same from rank root. */
int bp_wait_share_from(struct bp_wait *w, void *buf, int len, int root,
                       MPI_Comm comm);

/* Collective over comm: the status that takes precedence over all ranks'
 * (see status.h). A rank that gave up earlier does not try and keeps its
 * own; one that gives up here returns the worse of status and
 * BP_INTERRUPTED. BP_MPI when MPI fails. */
int bp_wait_agree(struct bp_wait *w, int status, MPI_Comm comm);

#endif
