/*
 * run.c - one conversion, phase by phase (see benprep/run.h):
 *
 *   1. rank 0 reads the split files and exclusion lists and plans the
 *      chunks (plan/inputs.c); --dry-run prints the plan and ends here;
 *   2. rank 0 opens the output folder and takes its lock (output/outdir.c),
 *      takes over an earlier run with --resume and starts the journal
 *      (output/resume.c);
 *   3. every rank learns whether there is work; archive roots are indexed
 *      (one rank per archive) and every converting rank opens its reader
 *      over the two roots (convert/roots.c);
 *   4. the chunks are converted (convert/chunk.c): rank 0 hands them out
 *      to ranks 1..N-1 (dispatch/), or converts them itself on one rank;
 *   5. rank 0 writes the manifest and reports (output/manifest.c,
 *      output/progress.c);
 *   6. every rank agrees on one status.
 *
 * Every wait between ranks ends within seconds of a stop signal
 * (dispatch/wait.h), so a run also stops when a peer never answers.
 */
#include "benprep/run.h"

#include <string.h>

#include "benprep/chunk.h"
#include "benprep/dispatch.h"
#include "benprep/inputs.h"
#include "benprep/log.h"
#include "benprep/manifest.h"
#include "benprep/outdir.h"
#include "benprep/patch.h"
#include "benprep/progress.h"
#include "benprep/resume.h"
#include "benprep/status.h"
#include "benprep/tally.h"
#include "convert/roots.h"
#include "dispatch/wait.h"

struct run {
    const struct bp_config *cfg;
    int rank, nranks;
    struct bp_progress progress;
    struct bp_wait wait;
    struct bp_reader *reader; /* a converting rank's, until its converter */
    /* Rank 0 only: */
    struct bp_run_inputs in;
    struct bp_tally tally;
    struct bp_outdir outdir;
    struct bp_journal *journal;
    int complete; /* --resume found a finished output: nothing to do */
    int stalled;  /* a worker that stalled, or 0 */
};

/* Phases 1 and 2, on rank 0. */
static int prepare(struct run *r)
{
    const struct bp_config *cfg = r->cfg;
    int status = bp_inputs_load(cfg, &r->in);
    if (status == BP_OK)
        status = bp_tally_init(&r->tally, r->in.plan.nchunks);
    r->progress.total = r->in.plan.total_rows;
    if (status != BP_OK || cfg->dry_run) {
        if (status == BP_OK)
            bp_inputs_print_plan(&r->in, cfg);
        return status;
    }
    struct bp_earlier e;
    status = bp_outdir_open(&r->outdir, cfg, &e);
    if (status == BP_OK)
        status = bp_resume_start(cfg, &r->in, &e, &r->tally, &r->journal,
                                 &r->complete);
    if (status == BP_USAGE)
        bp_outdir_close(&r->outdir, 1); /* refused: the folder as it was */
    if (status == BP_OK && r->complete)
        BP_INFO("%s is already complete (%s); nothing to resume",
                cfg->out_dir, BP_MANIFEST_NAME);
    else if (status == BP_OK)
        BP_INFO("converting %llu rows of %zu split%s into %zu shards on %d "
                "rank%s (%s)",
                (unsigned long long)r->in.plan.total_rows, r->in.nsplits,
                r->in.nsplits == 1 ? "" : "s", r->in.plan.nchunks, r->nranks,
                r->nranks == 1 ? "" : "s",
                r->nranks == 1 ? "rank 0 converts"
                               : "rank 0 hands out the work");
    return status;
}

/* Phase 3, the roots: archives indexed, then the reader of every
 * converting rank (rank 0 converts only when alone). */
static int open_roots(struct run *r, MPI_Comm comm)
{
    struct bp_roots roots;
    int status = bp_roots_index(r->cfg, &r->wait, comm, &roots);
    if (status == BP_OK && (r->rank != 0 || r->nranks == 1))
        status = bp_roots_reader(r->cfg, &roots, &r->reader);
    return bp_wait_agree(&r->wait, status, comm);
}

/* Rank 0, when the roots could not be made ready: no patch was read. The
 * journal a new run (not --resume) started holds nothing but its identity,
 * so it is removed: OUT is left as a new run finds it, and the command
 * runs again as it is once the archive is mended. */
static void drop_new_journal(struct run *r)
{
    if (r->journal && !r->cfg->resume && bp_tally_finished(&r->tally) == 0) {
        bp_journal_close(r->journal, 1);
        r->journal = NULL;
    }
}

/* The converter over this rank's reader, which it takes over. NULL when
 * out of memory (logged). */
static struct bp_converter *converter(struct run *r)
{
    struct bp_reader *reader = r->reader;
    r->reader = NULL;
    return bp_converter_new(r->cfg, reader);
}

/* Phase 5, on rank 0: the manifest, the journal removed, the report. */
static int finish(struct run *r, int status)
{
    const struct bp_config *cfg = r->cfg;
    double seconds = bp_progress_elapsed(&r->progress);
    if (status == BP_OK) {
        bp_skips_sort(&r->tally.skips);
        struct bp_run_facts facts = {r->nranks, r->progress.started, seconds};
        struct bp_inputs view = bp_inputs_view(&r->in);
        status = bp_manifest_write(cfg, &view, &r->in.plan, r->tally.results,
                                   r->tally.stats, r->tally.skips.v,
                                   r->tally.skips.n, &facts);
    }
    if (status == BP_OK) {
        bp_journal_close(r->journal, 1);
        r->journal = NULL;
        bp_progress_done(&r->progress, &r->tally, &r->in, cfg->out_dir,
                         seconds);
        if (r->tally.skips.n) {
            BP_WARN("%zu bad patch%s skipped; listed in %s/%s under "
                    "\"failures\"",
                    r->tally.skips.n, r->tally.skips.n == 1 ? "" : "es",
                    cfg->out_dir, BP_MANIFEST_NAME);
            status = BP_SKIPPED;
        }
    } else if (status == BP_INTERRUPTED) {
        bp_progress_interrupted(&r->tally, cfg->out_dir);
    }
    return status;
}

/* Phases 4 and 5. */
static int convert(struct run *r, MPI_Comm comm)
{
    if (r->rank != 0) {
        struct bp_converter *cv = converter(r);
        int status = bp_dispatch_work(r->cfg, cv, comm, &r->wait);
        bp_converter_free(cv);
        return status;
    }
    struct bp_rank0 z = {r->cfg, &r->in, &r->tally, r->journal, &r->progress,
                         0};
    int status;
    if (r->nranks == 1) {
        struct bp_converter *cv = converter(r);
        status = bp_dispatch_alone(&z, cv);
        bp_converter_free(cv);
    } else {
        status = bp_dispatch_serve(&z, comm, &r->wait);
    }
    r->stalled = z.stalled;
    return finish(r, status);
}

/* Rank 0, after the agreement: a failure's last word. */
static void report_failure(const struct run *r, int status, int journaled)
{
    if (status == BP_OK || status == BP_SKIPPED || status == BP_USAGE ||
        status == BP_INTERRUPTED)
        return;
    if (r->cfg->dry_run)
        BP_ERROR("failed: %s", bp_strstatus(status));
    else if (r->stalled)
        BP_ERROR("failed: rank %d stalled; no manifest was written; the %zu "
                 "shards finished so far are kept and recorded in %s/%s: run "
                 "the same command with --resume to continue",
                 r->stalled, bp_tally_finished(&r->tally), r->cfg->out_dir,
                 BP_JOURNAL_NAME);
    else if (journaled)
        BP_ERROR("failed: %s; no manifest was written; the shards finished "
                 "so far are kept: once the cause is fixed, run the same "
                 "command with --resume to continue",
                 bp_strstatus(status));
    else
        BP_ERROR("failed: %s; no manifest was written", bp_strstatus(status));
}

int bp_run(const struct bp_config *cfg, MPI_Comm comm, int *alone)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.outdir.lock_fd = -1;
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm, &r.rank);
    MPI_Comm_size(comm, &r.nranks);
    bp_progress_start(&r.progress, cfg->progress_seconds);
    bp_wait_init(&r.wait, r.rank == 0 ? BP_STOP_GRACE_SECONDS
                                      : BP_STOP_GRACE_WORKER_SECONDS);

    int status = r.rank == 0 ? prepare(&r) : BP_OK;
    /* Workers learn whether to start: -1 means "nothing to do". */
    int go = status == BP_OK && (r.complete || cfg->dry_run) ? -1 : status;
    int rc = bp_wait_share(&r.wait, &go, sizeof go, comm);
    if (rc != BP_OK)
        status = rc;
    else if (r.rank != 0)
        status = go < 0 ? BP_OK : go;
    if (status == BP_OK && go >= 0) {
        status = open_roots(&r, comm);
        if (status != BP_OK && r.rank == 0)
            drop_new_journal(&r);
    }
    if (status == BP_OK && go >= 0)
        status = convert(&r, comm);

    int journaled = r.journal != NULL; /* the output folder was prepared */
    bp_journal_close(r.journal, 0);
    bp_outdir_close(&r.outdir, 0);
    status = bp_wait_agree(&r.wait, status, comm);
    if (r.rank == 0)
        report_failure(&r, status, journaled);
    else if (r.wait.gave_up)
        BP_ERROR("interrupted: rank 0 has not answered within %.0f s of the "
                 "stop signal; ending without it; the shards recorded in "
                 "%s/%s are kept: run the same command with --resume to "
                 "continue",
                 r.wait.grace, cfg->out_dir, BP_JOURNAL_NAME);
    bp_reader_free(r.reader);
    bp_tally_free(&r.tally);
    bp_inputs_free(&r.in);
    *alone = r.wait.gave_up;
    return status;
}
