/*
 * verify.c - "ben-prep verify": the collective driver.
 *
 * The phases, on every rank:
 *   1. rank 0 reads OUT/manifest.json (manifest.c, numbering.c), packs the
 *      list of shards and the rows each shard must hold (rows.c); the list
 *      is shared with every rank;
 *   2. the shards are assigned to all ranks, rank 0 included, balanced by
 *      size; each rank receives the rows of its shards (a scatter);
 *   3. each rank checks its shards (shard.c and on);
 *   4. the problems and each split's figures are gathered on rank 0, which
 *      adds the stray files of OUT and the statistics, prints the problems
 *      in manifest order and the summary;
 *   5. rank 0's verdict is shared, so every rank returns the same status.
 *
 * No wait burns a core (the waits sleep between tests, common/mpiwait.h),
 * and every wait watches the stop flag: after SIGTERM, SIGINT or SIGUSR1
 * each rank stops at its next record, and the ranks still finish the
 * collective steps together within moments; a peer that does not come
 * (lost, stopped, or not signalled) is given up on after STOP_GRACE_SECONDS,
 * and the caller must then abort MPI.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "common/clock.h"
#include "common/mpiwait.h"
#include "common/stop.h"
#include "verify/verify_int.h"

/* How long peers get, after a stop signal, to reach the same collective
 * step: each of them stops at its next record. */
#define STOP_GRACE_SECONDS 3.0

/* One rank's run. */
struct run {
    const struct bp_verify_options *opt;
    struct bp_verify_options deep_opt; /* opt with the --deep indexes */
    MPI_Comm comm;
    int rank, nranks;
    double t0;
    double stop_deadline; /* after a stop, the end of the grace period */
    int abandoned;        /* a wait was given up after a stop signal */
    int mpi_failed;
    struct vf_manifest m;
    struct vf_problems *global; /* rank 0: manifest, counts, stray files */
    struct bp_buf blocks;       /* rank 0: every shard's rows... */
    uint64_t *block_off;        /* ...task i's at [i] .. [i + 1] */
    uint8_t *rows;              /* this rank's shards' rows */
    size_t rows_len;
    int *owner;
    struct vf_verifier v;
    uint32_t checked; /* shards this rank checked */
    /* rank 0, gathered: */
    struct vf_problem *all;
    size_t nall;
    uint64_t total;
    uint32_t checked_all;
    int interrupted;
    struct vf_split_acc *acc; /* per split, every rank's figures */
};

/* ---- Collective steps -------------------------------------------------- */

/* Complete req. Sleeps between tests and watches the stop flag; after a
 * stop the peers get until r->stop_deadline to come. Returns 0, or -1 (MPI
 * failed, or the wait was given up: r says which). */
static int wait_req(struct run *r, MPI_Request *req)
{
    int rc = bp_mpi_wait_stoppable(req, MPI_STATUS_IGNORE);
    if (rc == BP_MPI_STOPPED) {
        long ns = 0;
        if (r->stop_deadline == 0)
            r->stop_deadline = bp_now() + STOP_GRACE_SECONDS;
        for (;;) {
            int done = 0;
            rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
            if (rc != MPI_SUCCESS || done)
                break;
            if (bp_now() >= r->stop_deadline) {
                r->abandoned = 1;
                return -1;
            }
            bp_nap(&ns);
        }
    }
    if (rc != MPI_SUCCESS)
        r->mpi_failed = 1;
    return rc == MPI_SUCCESS ? 0 : -1;
}

/* Every rank learns rank 0's len bytes at buf. */
static int share(struct run *r, void *buf, size_t len)
{
    MPI_Request req;
    if (len > INT_MAX) {
        r->mpi_failed = 1;
        return -1;
    }
    if (MPI_Ibcast(buf, (int)len, MPI_BYTE, 0, r->comm, &req) != MPI_SUCCESS) {
        r->mpi_failed = 1;
        return -1;
    }
    return wait_req(r, &req);
}

/* Rank 0 sends the shard list to everyone; the other ranks allocate it. */
static int share_plan(struct run *r)
{
    struct vf_manifest *m = &r->m;
    if (share(r, &m->head, sizeof m->head) != 0)
        return -1;
    if (!m->head.ok)
        return 0;
    size_t tlen = (size_t)m->head.ntasks * sizeof(struct vf_task);
    if (r->rank != 0 &&
        (bp_buf_reserve(&m->tasks, tlen + 1) != 0 ||
         bp_buf_reserve(&m->strings, m->head.strings_len + 1) != 0)) {
        /* Without room the rank cannot take part; MPI is all that is left. */
        BP_ERROR("out of memory for a list of %u shards", m->head.ntasks);
        r->mpi_failed = 1;
        return -1;
    }
    m->tasks.len = tlen;
    m->strings.len = m->head.strings_len;
    if (tlen && share(r, m->tasks.data, tlen) != 0)
        return -1;
    if (m->strings.len && share(r, m->strings.data, m->strings.len) != 0)
        return -1;
    return 0;
}

/* The rank that checks each shard: the least loaded so far (by bytes, one
 * byte more per shard so empty ones spread too), lowest rank on ties. */
static int assign_shards(struct run *r)
{
    const struct vf_task *tasks = (const void *)r->m.tasks.data;
    uint32_t n = r->m.head.ntasks;
    uint64_t *load = calloc((size_t)r->nranks, sizeof *load);
    r->owner = malloc(((size_t)n + 1) * sizeof *r->owner);
    if (!load || !r->owner) {
        free(load);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        int best = 0;
        for (int k = 1; k < r->nranks; k++)
            if (load[k] < load[best])
                best = k;
        r->owner[i] = best;
        load[best] += tasks[i].bytes + 1;
    }
    free(load);
    return 0;
}

/* Rank 0: every rank's blocks, in rank order, into send (counts, displs).
 * Returns 0, or -1 when out of memory or too large for one message. */
static int pack_rows(struct run *r, struct bp_buf *send, int *counts,
                     int *displs)
{
    for (int k = 0; k < r->nranks; k++) {
        size_t start = send->len;
        for (uint32_t i = 0; i < r->m.head.ntasks; i++)
            if (r->owner[i] == k)
                bp_buf_add(send, r->blocks.data + r->block_off[i],
                           r->block_off[i + 1] - r->block_off[i]);
        if (send->failed || send->len > INT_MAX)
            return -1;
        counts[k] = (int)(send->len - start);
        displs[k] = (int)start;
    }
    return 0;
}

/* Each rank receives the rows of its shards from rank 0. When rank 0
 * cannot pack them, every rank receives none and the names are not
 * checked (reported). A rank without memory for its list cannot take part:
 * MPI is all that is left then. */
static int scatter_rows(struct run *r)
{
    struct bp_buf send = {0};
    int *counts = NULL, *displs = NULL, mine = 0, rc = -1;
    size_t n = (size_t)r->nranks;
    MPI_Request req;
    if (r->rank == 0) {
        counts = calloc(n, sizeof *counts);
        displs = calloc(n, sizeof *displs);
        if (!counts || !displs) {
            BP_ERROR("out of memory sharing the split files' rows");
            r->mpi_failed = 1;
            goto out;
        }
        if (pack_rows(r, &send, counts, displs) != 0) {
            memset(counts, 0, n * sizeof *counts);
            memset(displs, 0, n * sizeof *displs);
            vf_problem_add(r->global, VF_PHASE_RANK, 0, "%s", "rank 0: out of "
                           "memory for the rows of the split files (or more "
                           "than 2 GB for one rank): the records' names are "
                           "not checked");
        }
    }
    if (MPI_Iscatter(counts, 1, MPI_INT, &mine, 1, MPI_INT, 0, r->comm,
                     &req) != MPI_SUCCESS) {
        r->mpi_failed = 1;
        goto out;
    }
    if (wait_req(r, &req) != 0)
        goto out;
    if (!(r->rows = malloc(mine > 0 ? (size_t)mine : 1))) {
        BP_ERROR("out of memory for the rows of %d bytes", mine);
        r->mpi_failed = 1;
        goto out;
    }
    r->rows_len = (size_t)mine;
    if (MPI_Iscatterv(send.data, counts, displs, MPI_BYTE, r->rows, mine,
                      MPI_BYTE, 0, r->comm, &req) != MPI_SUCCESS) {
        r->mpi_failed = 1;
        goto out;
    }
    rc = wait_req(r, &req);
out:
    bp_buf_free(&send);
    free(counts);
    free(displs);
    return rc;
}

/* What each rank sends rank 0 at the end, followed by its kept problems
 * and its figures per split (none when it has none). */
struct gather_head {
    uint64_t total;       /* problems found */
    uint32_t nkept;       /* problems that follow */
    uint32_t nacc;        /* split figures that follow: 0 or nsplits */
    uint32_t interrupted; /* a stop signal ended its checking */
    uint32_t checked;     /* shards it checked */
};

/* This rank's message for rank 0 into out. Returns 0 or -1 (no memory). */
static int pack_result(const struct run *r, struct bp_buf *out)
{
    const struct vf_problems *p = &r->v.probs;
    struct gather_head h = {p->total, p->nkept, 0,
                            (uint32_t)r->v.interrupted, r->checked};
    if (r->v.acc && r->m.head.ok)
        h.nacc = r->m.head.nsplits;
    bp_buf_add(out, &h, sizeof h);
    bp_buf_add(out, p->kept, p->nkept * sizeof *p->kept);
    bp_buf_add(out, r->v.acc, h.nacc * sizeof *r->v.acc);
    return out->failed || out->len > INT_MAX ? -1 : 0;
}

/* Rank 0: one rank's message at p (len bytes) merged into the totals. */
static void take_result(struct run *r, const char *p, size_t len)
{
    struct gather_head h;
    if (len < sizeof h)
        return;
    memcpy(&h, p, sizeof h);
    p += sizeof h;
    r->total += h.total;
    r->interrupted |= h.interrupted != 0;
    r->checked_all += h.checked;
    memcpy(r->all + r->nall, p, h.nkept * sizeof *r->all);
    r->nall += h.nkept;
    p += h.nkept * sizeof *r->all;
    for (uint32_t s = 0; s < r->m.head.nsplits; s++) {
        struct vf_split_acc a;
        if (h.nacc != r->m.head.nsplits) {
            r->acc[s].broken = 1; /* the rank's figures are missing */
            continue;
        }
        memcpy(&a, p + s * sizeof a, sizeof a);
        vf_acc_merge(&r->acc[s], &a);
    }
}

/* Rank 0 receives every rank's problems and figures: *all (sorted) and
 * acc, allocated here. */
static int gather_results(struct run *r)
{
    struct bp_buf mine = {0};
    int *lens = NULL, *displs = NULL, mylen, rc = -1;
    char *recv = NULL;
    MPI_Request req;
    size_t n = (size_t)r->nranks, sum = 0;
    if (pack_result(r, &mine) != 0 ||
        (r->rank == 0 && (!(lens = calloc(n, sizeof *lens)) ||
                          !(displs = calloc(n, sizeof *displs))))) {
        BP_ERROR("out of memory gathering the problems");
        r->mpi_failed = 1;
        goto out;
    }
    mylen = (int)mine.len;
    if (MPI_Igather(&mylen, 1, MPI_INT, lens, 1, MPI_INT, 0, r->comm, &req) !=
        MPI_SUCCESS) {
        r->mpi_failed = 1;
        goto out;
    }
    if (wait_req(r, &req) != 0)
        goto out;
    for (size_t k = 0; r->rank == 0 && k < n; k++) {
        displs[k] = (int)sum;
        sum += (size_t)lens[k];
    }
    size_t nsplits = r->m.head.nsplits ? r->m.head.nsplits : 1;
    if (r->rank == 0 &&
        (sum > INT_MAX || !(recv = malloc(sum ? sum : 1)) ||
         !(r->all = malloc((sum / sizeof *r->all + 1) * sizeof *r->all)) ||
         !(r->acc = malloc(nsplits * sizeof *r->acc)))) {
        BP_ERROR("out of memory gathering the problems");
        r->mpi_failed = 1;
        goto out;
    }
    if (MPI_Igatherv(mine.data, mylen, MPI_BYTE, recv, lens, displs, MPI_BYTE,
                     0, r->comm, &req) != MPI_SUCCESS) {
        r->mpi_failed = 1;
        goto out;
    }
    if (wait_req(r, &req) != 0)
        goto out;
    if (r->rank == 0) {
        vf_acc_init(r->acc, r->m.head.nsplits);
        for (size_t k = 0; k < n; k++)
            take_result(r, recv + displs[k], (size_t)lens[k]);
    }
    rc = 0;
out:
    bp_buf_free(&mine);
    free(recv);
    free(lens);
    free(displs);
    return rc;
}

/* ---- Rank 0's parts ---------------------------------------------------- */

/* Read the manifest and the split files; log what is to be checked. */
static void prepare(struct run *r)
{
    struct vf_manifest *m = &r->m;
    r->global = calloc(1, sizeof *r->global);
    if (!r->global) {
        BP_ERROR("out of memory");
        return;
    }
    if (vf_manifest_read(r->opt->out, m, r->global) != 0)
        return;
    r->block_off = malloc(((size_t)m->head.ntasks + 1) * sizeof *r->block_off);
    if (!r->block_off) {
        vf_problem_add(r->global, VF_PHASE_RANK, 0, "%s", "rank 0: out of "
                       "memory");
        return;
    }
    if (vf_rows_build(m, r->global, &r->blocks, r->block_off) != 0)
        return;
    m->head.ok = 1;
    m->head.strings_len = m->strings.len;
    BP_INFO("checking %u shard%s (%.1f MB) of %zu split%s in %s on %d rank%s%s",
            m->head.ntasks, m->head.ntasks == 1 ? "" : "s",
            (double)m->bytes / 1e6, m->nsplits_listed,
            m->nsplits_listed == 1 ? "" : "s", r->opt->out, r->nranks,
            r->nranks == 1 ? "" : "s",
            r->opt->deep ? ", with the sources" : "");
}

/* Print the problems and the summary; returns the verdict. */
static int report(struct run *r)
{
    const struct vf_manifest *m = &r->m;
    double seconds = bp_now() - r->t0;
    for (size_t i = 0; i < r->nall && i < VF_MAX_SHOWN; i++)
        BP_ERROR("%s", r->all[i].text);
    if (r->total > VF_MAX_SHOWN)
        BP_ERROR("... and %llu more problems not shown",
                 (unsigned long long)(r->total - VF_MAX_SHOWN));
    if (r->interrupted) {
        BP_ERROR("interrupted by a signal: %u of %u shards checked; run "
                 "verify again for a verdict", r->checked_all,
                 m->head.ntasks);
        printf("verify: INTERRUPTED: not every shard was checked (%llu "
               "problem%s found)\n", (unsigned long long)r->total,
               r->total == 1 ? "" : "s");
        return BP_INTERRUPTED;
    }
    if (m->head.ok)
        BP_INFO("checked %.1f MB in %.2f s on %d rank%s (%.1f MB/s)%s",
                (double)m->bytes / 1e6, seconds, r->nranks,
                r->nranks == 1 ? "" : "s",
                seconds > 0 ? (double)m->bytes / 1e6 / seconds : 0.0,
                r->opt->deep ? ", sources compared" : "");
    if (r->total) {
        printf("verify: FAILED: %llu problem%s\n",
               (unsigned long long)r->total, r->total == 1 ? "" : "s");
        return BP_INVALID;
    }
    if (r->opt->verbosity >= 0)
        printf("verify: OK: %llu record%s in %u shard%s of %zu split%s%s\n",
               (unsigned long long)m->records, m->records == 1 ? "" : "s",
               m->head.ntasks, m->head.ntasks == 1 ? "" : "s",
               m->nsplits_listed, m->nsplits_listed == 1 ? "" : "s",
               r->opt->deep ? ", every pixel and label equal to the sources"
                            : "");
    return BP_OK;
}

/* Rank 0, every rank's results in: the stray files, the statistics, all
 * problems in order, the summary. Returns the verdict. */
static int conclude(struct run *r)
{
    struct vf_problems *g = r->global;
    if (!g) {
        r->total++; /* rank 0 could not even start */
    } else {
        if (r->m.head.ok) {
            vf_check_listing(r->opt->out, &r->m, g);
            if (!r->interrupted)
                vf_stats_compare(&r->m, r->acc, g);
        }
        /* Rank 0's own problems join the ranks'. */
        struct vf_problem *p =
            realloc(r->all, (r->nall + g->nkept + 1) * sizeof *p);
        if (p) {
            r->all = p;
            memcpy(r->all + r->nall, g->kept, g->nkept * sizeof *p);
            r->nall += g->nkept;
        }
        r->total += g->total;
    }
    qsort(r->all, r->nall, sizeof *r->all, vf_problem_order);
    int verdict = report(r);
    fflush(stdout);
    return verdict;
}

/* ---- The run ----------------------------------------------------------- */

/* Check the shards assigned to this rank, until a stop signal. */
static void check_shards(struct run *r)
{
    const struct vf_task *tasks = (const void *)r->m.tasks.data;
    const uint8_t *rows = r->rows, *end = r->rows + r->rows_len;
    for (uint32_t i = 0; i < r->m.head.ntasks; i++) {
        if (r->owner[i] != r->rank)
            continue;
        if (bp_stop_signal) {
            r->v.interrupted = 1;
            break;
        }
        vf_verify_shard(&r->v, i, &tasks[i], r->m.strings.data, &rows, end);
        r->checked += !r->v.interrupted;
        if (r->v.interrupted)
            break;
    }
    BP_DEBUG("checked %u shard%s", r->checked, r->checked == 1 ? "" : "s");
}

/* --deep S2_ROOT alone is for S2-only output; every rank knows the schema
 * now and stops the same way. */
static int wrong_deep_form(const struct run *r)
{
    const struct vf_manifest *m = &r->m;
    if (!m->head.ok || !r->opt->deep || r->opt->s1_root ||
        m->head.schema < 0 || vf_schemas[m->head.schema].s2_only)
        return 0;
    if (r->rank == 0)
        vf_usage(stderr, "--deep %s: %s holds %s records, which need the S1 "
                 "patches too: give --deep S1_ROOT S2_ROOT", r->opt->s2_root,
                 r->opt->out, vf_schemas[m->head.schema].name);
    return 1;
}

/* --deep: every rank learns the archive roots' indexes (rank 0 finds them)
 * into r->deep_opt, which r->opt then points at. Returns 0, or -1 with
 * *status the same on every rank (or MPI failed). */
static int deep_indexes(struct run *r, int *status)
{
    static struct {
        int32_t status;
        char index[2][4096];
    } x;
    memset(&x, 0, sizeof x);
    if (r->rank == 0)
        x.status = vf_deep_find_indexes(r->opt, x.index);
    if (share(r, &x, sizeof x) != 0)
        return -1;
    if (x.status != BP_OK) {
        *status = x.status;
        return -1;
    }
    r->deep_opt = *r->opt;
    r->deep_opt.s1_index = x.index[0][0] ? strdup(x.index[0]) : NULL;
    r->deep_opt.s2_index = x.index[1][0] ? strdup(x.index[1]) : NULL;
    r->opt = &r->deep_opt;
    return 0;
}

/* Assign the shards, share their rows, check this rank's. */
static int check_mine(struct run *r)
{
    if (assign_shards(r) != 0) {
        BP_ERROR("out of memory assigning %u shards", r->m.head.ntasks);
        r->mpi_failed = 1; /* the ranks would not agree on the owners */
        return -1;
    }
    if (scatter_rows(r) != 0)
        return -1;
    if (vf_verifier_init(&r->v, r->opt, &r->m.head) != 0) {
        struct vf_problems keep = r->v.probs;
        vf_verifier_free(&r->v);
        r->v.probs = keep;
        vf_problem_add(&r->v.probs, VF_PHASE_RANK, (uint32_t)r->rank,
                       "rank %d: out of memory for its buffers; its shards "
                       "were not checked", r->rank);
        return 0;
    }
    check_shards(r);
    return 0;
}

static void run_free(struct run *r)
{
    free((char *)r->deep_opt.s1_index);
    free((char *)r->deep_opt.s2_index);
    vf_verifier_free(&r->v);
    vf_manifest_free(&r->m);
    bp_buf_free(&r->blocks);
    free(r->block_off);
    free(r->rows);
    free(r->owner);
    free(r->global);
    free(r->all);
    free(r->acc);
}

int bp_verify_run(const struct bp_verify_options *opt, MPI_Comm comm,
                  int *must_abort)
{
    struct run r;
    int status = BP_INVALID;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    r.comm = comm;
    r.t0 = bp_now();
    r.v.idx.fd = -1;
    *must_abort = 0;
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm, &r.rank);
    MPI_Comm_size(comm, &r.nranks);

    if (r.rank == 0)
        prepare(&r);
    if (share_plan(&r) != 0)
        goto out;
    if (wrong_deep_form(&r)) {
        status = BP_USAGE;
        goto out;
    }
    if (r.m.head.ok && opt->deep && deep_indexes(&r, &status) != 0)
        goto out;
    if (r.m.head.ok && check_mine(&r) != 0)
        goto out;
    if (gather_results(&r) != 0)
        goto out;
    if (r.rank == 0)
        status = conclude(&r);
    if (share(&r, &status, sizeof status) != 0)
        goto out;
out:
    if (r.mpi_failed) {
        BP_ERROR("verify: MPI communication failed");
        status = BP_MPI;
        *must_abort = 1;
    } else if (r.abandoned) {
        BP_ERROR("verify: interrupted by a signal, and another rank did not "
                 "come within %.0f s: giving up on it", STOP_GRACE_SECONDS);
        status = BP_INTERRUPTED;
        *must_abort = 1;
    }
    run_free(&r);
    return status;
}

int bp_verify_main(int argc, char **argv, MPI_Comm comm)
{
    int rank = 0, must_abort = 0;
    struct bp_verify_options opt;
    MPI_Comm_rank(comm, &rank);
    enum bp_verify_parse_result pr = bp_verify_parse(
        argc, argv, &opt, rank == 0 ? stdout : NULL, rank == 0 ? stderr : NULL);
    if (pr != BP_VERIFY_RUN) {
        fflush(stdout);
        return pr == BP_VERIFY_EXIT ? BP_OK : BP_USAGE;
    }
    int level = BP_LOG_INFO + opt.verbosity;
    bp_log_setup(rank, level < BP_LOG_ERROR ? BP_LOG_ERROR : level);
    int status = bp_verify_run(&opt, comm, &must_abort);
    return must_abort ? BP_MPI : status;
}
