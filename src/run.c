#include "benprep/run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "benprep/csv.h"
#include "benprep/log.h"
#include "benprep/manifest.h"
#include "benprep/patch.h"
#include "benprep/plan.h"
#include "benprep/record.h"
#include "benprep/shard.h"
#include "benprep/status.h"
#include "benprep/tfrecord.h"

/* Worker -> rank 0: "here is my last result, give me work". */
#define TAG_REQUEST 1
/* Rank 0 -> worker: a work message, a stop, or an abort. One tag, so the
 * messages arrive in the order they were sent. */
#define TAG_REPLY 2

enum { MSG_WORK = 1, MSG_STOP = 2, MSG_ABORT = 3 };

/* Abort requests are looked for once per this many patches. */
#define ABORT_CHECK_EVERY 4

/* The writer's buffer: large writes, room for several records. */
#define SHARD_BUFFER_BYTES (8u << 20)

struct result_msg {
    int32_t chunk;  /* plan index of the chunk, -1 for none */
    int32_t status;
    uint64_t records;
    uint64_t bytes;
    uint32_t crc32c;
    uint32_t pad;
};

/* A work message is this head, the shard name and the CSV path (each
 * NUL-terminated), then per row: uint32 line, S2 name, NUL, S1 name, NUL. */
struct work_head {
    int32_t type;
    int32_t chunk;
    uint32_t count;
    uint32_t name_len; /* with the NUL */
    uint32_t csv_len;  /* with the NUL */
    uint32_t pad;
};

struct buffer {
    char *data;
    size_t len, cap;
};

static int buffer_reserve(struct buffer *b, size_t n)
{
    if (b->cap - b->len >= n)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < n)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

static void buffer_put(struct buffer *b, const void *p, size_t n)
{
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

int bp_mpi_wait(MPI_Request *req, MPI_Status *status)
{
    long ns = 0;
    for (;;) {
        int done = 0;
        int rc = MPI_Test(req, &done, status ? status : MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || done)
            return rc;
        ns = ns < 1000000 ? ns + 20000 : 1000000;
        struct timespec ts = {0, ns};
        nanosleep(&ts, NULL);
    }
}

/* Wait for a reply from rank 0 without spinning; receive it into buf. */
static int wait_reply(MPI_Comm comm, struct buffer *buf)
{
    long ns = 0;
    for (;;) {
        int flag = 0;
        MPI_Message msg;
        MPI_Status st;
        int rc = MPI_Improbe(0, TAG_REPLY, comm, &flag, &msg, &st);
        if (rc != MPI_SUCCESS)
            return rc;
        if (flag) {
            int count = 0;
            MPI_Get_count(&st, MPI_BYTE, &count);
            buf->len = 0;
            if (buffer_reserve(buf, (size_t)count) != 0) {
                BP_ERROR("out of memory for a %d-byte work message", count);
                return MPI_ERR_NO_MEM;
            }
            rc = MPI_Mrecv(buf->data, count, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
            buf->len = (size_t)count;
            return rc;
        }
        ns = ns < 1000000 ? ns + 20000 : 1000000;
        struct timespec ts = {0, ns};
        nanosleep(&ts, NULL);
    }
}

/* Everything a converting rank needs, allocated once. */
struct worker {
    const struct bp_config *cfg;
    MPI_Comm comm;
    int can_abort; /* listen for aborts from rank 0 */
    struct bp_reader *reader;
    struct bp_shard *shard;
    struct bp_record record;
    struct buffer msg;
};

static int worker_init(struct worker *w, const struct bp_config *cfg,
                       MPI_Comm comm, int can_abort)
{
    memset(w, 0, sizeof *w);
    w->cfg = cfg;
    w->comm = comm;
    w->can_abort = can_abort;
    w->reader = bp_reader_new(cfg->root_s1, cfg->root_s2);
    w->shard = bp_shard_new(SHARD_BUFFER_BYTES);
    if (!w->reader || !w->shard) {
        BP_ERROR("out of memory setting up the patch reader");
        return BP_NOMEM;
    }
    return BP_OK;
}

static void worker_free(struct worker *w)
{
    bp_reader_free(w->reader);
    bp_shard_free(w->shard);
    free(w->msg.data);
}

static int abort_requested(struct worker *w)
{
    int flag = 0;
    MPI_Iprobe(0, TAG_REPLY, w->comm, &flag, MPI_STATUS_IGNORE);
    return flag;
}

/* Convert the chunk in w->msg into its shard; fills *res. */
static void convert_chunk(struct worker *w, struct result_msg *res)
{
    struct work_head head;
    memcpy(&head, w->msg.data, sizeof head);
    const char *name = w->msg.data + sizeof head;
    const char *csv = name + head.name_len;
    const char *p = csv + head.csv_len;
    struct bp_shard_info info;
    struct bp_pair pair;
    struct bp_failure why;

    res->chunk = head.chunk;
    res->records = res->bytes = 0;
    res->crc32c = 0;
    res->status = bp_shard_open(w->shard, w->cfg->out_dir, name);
    if (res->status != BP_OK)
        return;
    BP_DEBUG("converting %u rows into %s", head.count, name);
    for (uint32_t i = 0; i < head.count; i++) {
        uint32_t line;
        memcpy(&line, p, sizeof line);
        const char *s2 = p + sizeof line;
        const char *s1 = s2 + strlen(s2) + 1;
        p = s1 + strlen(s1) + 1;

        if (w->can_abort && i % ABORT_CHECK_EVERY == ABORT_CHECK_EVERY - 1 &&
            abort_requested(w)) {
            BP_INFO("stopping %s: another rank failed", name);
            res->status = BP_ABORTED;
            goto fail;
        }
        int rc = bp_reader_read(w->reader, s2, s1, &pair, &why);
        if (rc != BP_OK) {
            BP_ERROR("%s line %u: %s: %s", csv, line, why.file, why.reason);
            res->status = rc;
            goto fail;
        }
        size_t len = bp_record_prepare(&w->record, &pair);
        uint8_t *out = bp_shard_reserve(w->shard, len + BP_TFRECORD_OVERHEAD);
        if (!out) {
            res->status = BP_OUTPUT;
            goto fail;
        }
        bp_record_encode(&w->record, out + BP_TFRECORD_HEADER);
        bp_shard_commit(w->shard, bp_tfrecord_frame_in_place(out, len), 1);
    }
    res->status = bp_shard_finish(w->shard, &info);
    if (res->status == BP_OK) {
        res->records = info.records;
        res->bytes = info.bytes;
        res->crc32c = info.crc32c;
    }
    return;
fail:
    bp_shard_abort(w->shard);
}

/* Rank 0: pack chunk c as a work message into b. */
static int pack_work(struct buffer *b, const struct bp_plan *plan, size_t c,
                     const struct bp_split *splits)
{
    const struct bp_chunk *ch = &plan->chunks[c];
    const struct bp_split *s = &splits[ch->split];
    char name[512];
    if (bp_shard_filename(name, sizeof name, s->name, ch->index, ch->of) != 0)
        return BP_USAGE;
    struct work_head head = {MSG_WORK, (int32_t)c, ch->count,
                             (uint32_t)strlen(name) + 1,
                             (uint32_t)strlen(s->path) + 1, 0};
    size_t need = sizeof head + head.name_len + head.csv_len;
    for (uint64_t r = ch->first; r < ch->first + ch->count; r++)
        need += 4 + strlen(bp_row_s2(s, r)) + strlen(bp_row_s1(s, r)) + 2;
    b->len = 0;
    if (buffer_reserve(b, need) != 0) {
        BP_ERROR("out of memory packing a chunk of %u rows", ch->count);
        return BP_NOMEM;
    }
    buffer_put(b, &head, sizeof head);
    buffer_put(b, name, head.name_len);
    buffer_put(b, s->path, head.csv_len);
    for (uint64_t r = ch->first; r < ch->first + ch->count; r++) {
        const char *s2 = bp_row_s2(s, r), *s1 = bp_row_s1(s, r);
        buffer_put(b, &s->rows[r].line, 4);
        buffer_put(b, s2, strlen(s2) + 1);
        buffer_put(b, s1, strlen(s1) + 1);
    }
    return BP_OK;
}

/* State of rank 0 over a run. */
struct coordinator {
    const struct bp_config *cfg;
    struct bp_split *splits;
    size_t nsplits;
    struct bp_plan plan;
    struct bp_chunk_result *results;
    struct buffer work;
    double t0;
    uint64_t done_records, done_bytes;
    size_t done_chunks;
};

static void record_result(struct coordinator *co, const struct result_msg *m)
{
    if (m->chunk < 0 || (size_t)m->chunk >= co->plan.nchunks)
        return;
    struct bp_chunk_result *r = &co->results[m->chunk];
    r->status = m->status;
    if (m->status != BP_OK)
        return;
    r->records = m->records;
    r->bytes = m->bytes;
    r->crc32c = m->crc32c;
    co->done_records += m->records;
    co->done_bytes += m->bytes;
    co->done_chunks++;
    BP_DEBUG("shard %d done: %llu records, %llu bytes", m->chunk,
             (unsigned long long)m->records, (unsigned long long)m->bytes);
}

/* One rank: rank 0 converts every chunk itself. */
static int convert_alone(struct coordinator *co, MPI_Comm comm)
{
    struct worker w;
    int status = worker_init(&w, co->cfg, comm, 0);
    for (size_t c = 0; status == BP_OK && c < co->plan.nchunks; c++) {
        status = pack_work(&w.msg, &co->plan, c, co->splits);
        if (status != BP_OK)
            break;
        struct result_msg res;
        convert_chunk(&w, &res);
        record_result(co, &res);
        status = res.status;
    }
    worker_free(&w);
    return status;
}

/* Rank 0 with workers: hand out chunks on demand until all are done or one
 * failed, then stop every worker. */
static int serve(struct coordinator *co, MPI_Comm comm, int nranks)
{
    int status = BP_OK;
    size_t next = 0;
    int stopped = 0, nworkers = nranks - 1;
    int32_t *busy = malloc(sizeof *busy * (size_t)nranks);
    MPI_Request *aborts = malloc(sizeof *aborts * (size_t)nranks);
    if (!busy || !aborts) {
        free(busy);
        free(aborts);
        BP_ERROR("out of memory");
        return BP_NOMEM;
    }
    for (int r = 0; r < nranks; r++) {
        busy[r] = -1;
        aborts[r] = MPI_REQUEST_NULL;
    }
    static const struct work_head stop = {MSG_STOP, -1, 0, 0, 0, 0};
    static const struct work_head abort_msg = {MSG_ABORT, -1, 0, 0, 0, 0};

    while (stopped < nworkers) {
        struct result_msg m;
        MPI_Request req;
        MPI_Status st;
        int rc = MPI_Irecv(&m, sizeof m, MPI_BYTE, MPI_ANY_SOURCE, TAG_REQUEST,
                           comm, &req);
        if (rc == MPI_SUCCESS)
            rc = bp_mpi_wait(&req, &st);
        if (rc != MPI_SUCCESS) {
            status = BP_MPI;
            break;
        }
        int src = st.MPI_SOURCE;
        busy[src] = -1;
        record_result(co, &m);
        if (m.status != BP_OK && status == BP_OK) {
            status = m.status;
            /* Stop the others promptly: their shards are discarded. */
            for (int r = 1; r < nranks; r++)
                if (busy[r] >= 0)
                    MPI_Isend(&abort_msg, sizeof abort_msg, MPI_BYTE, r,
                              TAG_REPLY, comm, &aborts[r]);
        }
        if (status == BP_OK && next < co->plan.nchunks) {
            status = pack_work(&co->work, &co->plan, next, co->splits);
            if (status == BP_OK) {
                rc = MPI_Send(co->work.data, (int)co->work.len, MPI_BYTE, src,
                              TAG_REPLY, comm);
                if (rc != MPI_SUCCESS) {
                    status = BP_MPI;
                    break;
                }
                busy[src] = (int32_t)next++;
                continue;
            }
        }
        if (MPI_Send(&stop, sizeof stop, MPI_BYTE, src, TAG_REPLY, comm) !=
            MPI_SUCCESS) {
            status = BP_MPI;
            break;
        }
        stopped++;
    }
    for (int r = 0; r < nranks; r++)
        if (aborts[r] != MPI_REQUEST_NULL)
            bp_mpi_wait(&aborts[r], MPI_STATUS_IGNORE);
    free(busy);
    free(aborts);
    return status;
}

/* Ranks 1..N-1: ask for work, convert, report, until told to stop. */
static int work(const struct bp_config *cfg, MPI_Comm comm)
{
    struct worker w;
    /* A worker that cannot start reports its failure as its first request,
     * so rank 0 stops the run instead of waiting for it. */
    int status = worker_init(&w, cfg, comm, 1);
    struct result_msg res = {-1, status, 0, 0, 0, 0};
    for (;;) {
        if (MPI_Send(&res, sizeof res, MPI_BYTE, 0, TAG_REQUEST, comm) !=
            MPI_SUCCESS) {
            status = BP_MPI;
            break;
        }
        struct work_head head;
        do {
            if (wait_reply(comm, &w.msg) != MPI_SUCCESS) {
                status = BP_MPI;
                goto out;
            }
            memcpy(&head, w.msg.data, sizeof head);
        } while (head.type == MSG_ABORT); /* came after our last chunk: moot */
        if (head.type != MSG_WORK)
            break;
        convert_chunk(&w, &res);
        if (res.status != BP_OK && status == BP_OK)
            status = res.status;
    }
out:
    worker_free(&w);
    return status;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* mkdir -p: create dir and any missing parents. */
static int make_dirs(const char *dir)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof path) {
        BP_ERROR("%s: output path too long", dir);
        return BP_OUTPUT;
    }
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            BP_ERROR("%s: cannot create the output folder: %s", path,
                     strerror(errno));
            return BP_OUTPUT;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        BP_ERROR("%s: not a folder", dir);
        return BP_OUTPUT;
    }
    return BP_OK;
}

static void print_plan(const struct coordinator *co)
{
    printf("ben-prep %s dry run: %zu split file%s, %llu rows, %zu shards of "
           "up to %u records\n",
           bp_version(), co->nsplits, co->nsplits == 1 ? "" : "s",
           (unsigned long long)co->plan.total_rows, co->plan.nchunks,
           co->cfg->records_per_shard);
    for (size_t s = 0; s < co->nsplits; s++) {
        const struct bp_split *sp = &co->splits[s];
        size_t shards = 0;
        for (size_t c = 0; c < co->plan.nchunks; c++)
            shards += co->plan.chunks[c].split == s;
        printf("split %s: %zu rows from %s in %zu shard%s\n", sp->name,
               sp->nrows, sp->path, shards, shards == 1 ? "" : "s");
        for (size_t c = 0; c < co->plan.nchunks; c++) {
            const struct bp_chunk *ch = &co->plan.chunks[c];
            if (ch->split != s)
                continue;
            char name[512];
            bp_shard_filename(name, sizeof name, sp->name, ch->index, ch->of);
            printf("  %s rows %llu-%llu (%u), lines %u-%u\n", name,
                   (unsigned long long)ch->first + 1,
                   (unsigned long long)(ch->first + ch->count), ch->count,
                   sp->rows[ch->first].line,
                   sp->rows[ch->first + ch->count - 1].line);
        }
    }
    fflush(stdout);
}

/* Rank 0, at the end: one line per split. */
static void report_splits(const struct coordinator *co)
{
    for (size_t s = 0; s < co->nsplits; s++) {
        uint64_t records = 0, bytes = 0;
        size_t shards = 0;
        for (size_t c = 0; c < co->plan.nchunks; c++) {
            if (co->plan.chunks[c].split != s)
                continue;
            records += co->results[c].records;
            bytes += co->results[c].bytes;
            shards++;
        }
        BP_INFO("split %s: %llu records in %zu shard%s, %.1f MB", co->splits[s].name,
                (unsigned long long)records, shards, shards == 1 ? "" : "s",
                (double)bytes / 1e6);
    }
}

/* Rank 0: read the split files and plan. Returns a status. */
static int prepare(struct coordinator *co)
{
    const struct bp_config *cfg = co->cfg;
    co->splits = calloc(cfg->nsplits, sizeof *co->splits);
    if (!co->splits)
        return BP_NOMEM;
    int status = BP_OK;
    for (size_t i = 0; i < cfg->nsplits; i++) {
        int rc = bp_split_load(cfg->splits[i], &co->splits[co->nsplits]);
        if (rc != BP_OK) {
            status = rc;
            continue;
        }
        co->nsplits++;
    }
    if (status != BP_OK)
        return status;
    for (size_t i = 0; i < co->nsplits; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(co->splits[i].name, co->splits[j].name) == 0) {
                BP_ERROR("%s and %s would both be split '%s'; give each "
                         "split file a different name",
                         co->splits[j].path, co->splits[i].path,
                         co->splits[i].name);
                return BP_USAGE;
            }
    status = bp_plan_check_unique(co->splits, co->nsplits);
    if (status != BP_OK)
        return status;
    status = bp_plan_build(co->splits, co->nsplits, cfg->records_per_shard,
                           &co->plan);
    if (status != BP_OK)
        return status;
    co->results = calloc(co->plan.nchunks ? co->plan.nchunks : 1,
                         sizeof *co->results);
    if (!co->results)
        return BP_NOMEM;
    if (cfg->dry_run) {
        print_plan(co);
        return BP_OK;
    }
    return make_dirs(cfg->out_dir);
}

static void coordinator_free(struct coordinator *co)
{
    for (size_t i = 0; i < co->nsplits; i++)
        bp_split_free(&co->splits[i]);
    free(co->splits);
    bp_plan_free(&co->plan);
    free(co->results);
    free(co->work.data);
}

/* Collective: every rank learns rank 0's value of *v. */
static int share(int *v, MPI_Comm comm)
{
    MPI_Request req;
    int rc = MPI_Ibcast(v, 1, MPI_INT, 0, comm, &req);
    if (rc == MPI_SUCCESS)
        rc = bp_mpi_wait(&req, MPI_STATUS_IGNORE);
    return rc == MPI_SUCCESS ? BP_OK : BP_MPI;
}

/* Collective: the worst status of all ranks. */
static int agree(int status, MPI_Comm comm)
{
    int worst = status;
    MPI_Request req;
    int rc = MPI_Iallreduce(&status, &worst, 1, MPI_INT, MPI_MAX, comm, &req);
    if (rc == MPI_SUCCESS)
        rc = bp_mpi_wait(&req, MPI_STATUS_IGNORE);
    return rc == MPI_SUCCESS ? worst : BP_MPI;
}

int bp_run(const struct bp_config *cfg, MPI_Comm comm)
{
    int rank, nranks;
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);

    struct coordinator co;
    memset(&co, 0, sizeof co);
    co.cfg = cfg;
    co.t0 = now();
    time_t started = time(NULL);
    int status = BP_OK;

    if (rank == 0) {
        status = prepare(&co);
        if (status == BP_OK && !cfg->dry_run)
            BP_INFO("converting %llu rows of %zu split%s into %zu shards on "
                    "%d rank%s (%s)",
                    (unsigned long long)co.plan.total_rows, co.nsplits,
                    co.nsplits == 1 ? "" : "s", co.plan.nchunks, nranks,
                    nranks == 1 ? "" : "s",
                    nranks == 1 ? "rank 0 converts"
                                : "rank 0 hands out the work");
    }
    if (share(&status, comm) != BP_OK)
        status = BP_MPI;
    if (status != BP_OK || cfg->dry_run)
        goto out;

    if (rank == 0) {
        status = nranks == 1 ? convert_alone(&co, comm)
                             : serve(&co, comm, nranks);
        double seconds = now() - co.t0;
        if (status == BP_OK) {
            struct bp_run_facts facts = {nranks, started, seconds};
            status = bp_manifest_write(cfg, co.splits, co.nsplits, &co.plan,
                                       co.results, &facts);
        }
        if (status == BP_OK)
            BP_INFO("done: %llu records in %zu shards, %.1f MB, %.2f s "
                    "(%.0f patches/s, %.1f MB/s); manifest %s/%s",
                    (unsigned long long)co.done_records, co.done_chunks,
                    (double)co.done_bytes / 1e6, seconds,
                    seconds > 0 ? (double)co.done_records / seconds : 0.0,
                    seconds > 0 ? (double)co.done_bytes / 1e6 / seconds : 0.0,
                    cfg->out_dir, BP_MANIFEST_NAME);
        if (status == BP_OK)
            report_splits(&co);
    } else {
        status = work(cfg, comm);
    }
out:
    coordinator_free(&co);
    status = agree(status, comm);
    if (rank == 0 && status != BP_OK && status != BP_USAGE)
        BP_ERROR("failed: %s; no manifest was written", bp_strstatus(status));
    return status;
}
