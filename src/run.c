/*
 * run.c - one conversion: plan on rank 0, convert on the workers, gather the
 * figures, write the manifest, agree on one outcome.
 *
 * Messages (MPI_BYTE buffers, the same program on every rank):
 *   worker -> rank 0, TAG_REQUEST: struct result_head + struct bp_stats +
 *            skipped patches;
 *            "here is my last chunk's outcome, give me work"
 *   rank 0 -> worker, TAG_REPLY:   struct work_head + shard name + CSV path
 *            + rows; or a head alone meaning stop, or abort the current
 *            chunk. One tag, so replies arrive in the order they were sent.
 * A worker renames its finished shard to the final name only after rank 0
 * has answered the request that reported it, i.e. after rank 0 has written
 * it to the journal: a shard under a final name is always in the journal.
 */
#include "benprep/run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "benprep/csv.h"
#include "benprep/journal.h"
#include "benprep/log.h"
#include "benprep/manifest.h"
#include "benprep/patch.h"
#include "benprep/plan.h"
#include "benprep/record.h"
#include "benprep/shard.h"
#include "benprep/stats.h"
#include "benprep/status.h"
#include "benprep/tfrecord.h"

#define TAG_REQUEST 1
#define TAG_REPLY 2

enum { MSG_WORK = 1, MSG_STOP = 2, MSG_ABORT = 3 };
/* work_head.flags: check a journaled shard instead of converting it;
 * publish the shard reported in the request this message answers. */
enum { WORK_VERIFY = 1, WORK_PUBLISH = 2 };

/* receive(): a stop signal came, or the deadline passed, before any message. */
#define RECEIVE_INTERRUPTED (-1)
#define RECEIVE_TIMEOUT (-2)

static double now(void);

/* Abort requests from rank 0 are looked for once per this many patches. */
#define ABORT_CHECK_EVERY 4

/* The shard writer's buffer: large writes, room for many records. */
#define SHARD_BUFFER_BYTES (8u << 20)

/* Set by SIGTERM, SIGINT or SIGUSR1 (SLURM's usual warning before a time
 * limit): stop handing out and converting work. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

struct result_head {
    int32_t chunk;  /* plan index of the chunk, -1 for none */
    int32_t status;
    uint64_t records;
    uint64_t bytes;
    uint32_t crc32c;
    uint32_t nskips;   /* skipped patches that follow the head */
    uint32_t verified; /* an existing shard was checked, not converted */
    uint32_t index_crc32c;
    uint64_t index_bytes;
};

struct work_head {
    int32_t type;
    int32_t chunk;
    uint32_t count;
    uint32_t name_len; /* with the NUL */
    uint32_t csv_len;  /* with the NUL */
    uint32_t flags;
    uint64_t expect_records; /* WORK_VERIFY: the journal's figures */
    uint64_t expect_bytes;
    uint32_t expect_crc32c;
    uint32_t expect_index_crc32c;
    uint64_t expect_index_bytes;
};

/* A result message starts with the head and the chunk's statistics. */
#define RESULT_FIXED (sizeof(struct result_head) + sizeof(struct bp_stats))

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

/* Append n bytes; the caller reserved room. */
static void buffer_put(struct buffer *b, const void *p, size_t n)
{
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void nap(long *ns)
{
    *ns = *ns < 1000000 ? *ns + 20000 : 1000000;
    struct timespec ts = {0, *ns};
    nanosleep(&ts, NULL);
}

int bp_mpi_wait(MPI_Request *req, MPI_Status *status)
{
    long ns = 0;
    for (;;) {
        int done = 0;
        int rc = MPI_Test(req, &done, status ? status : MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || done)
            return rc;
        nap(&ns);
    }
}

/* Receive the next message from source with tag into buf, sleeping while
 * none is there. With interruptible set, returns RECEIVE_INTERRUPTED when a
 * stop signal arrives first. */
static int receive(MPI_Comm comm, int source, int tag, struct buffer *buf,
                   int *from, int interruptible, double deadline)
{
    long ns = 0;
    for (;;) {
        int flag = 0;
        MPI_Message msg;
        MPI_Status st;
        int rc = MPI_Improbe(source, tag, comm, &flag, &msg, &st);
        if (rc != MPI_SUCCESS)
            return rc;
        if (flag) {
            int count = 0;
            MPI_Get_count(&st, MPI_BYTE, &count);
            buf->len = 0;
            if (buffer_reserve(buf, (size_t)count) != 0) {
                BP_ERROR("out of memory for a %d-byte message", count);
                return MPI_ERR_NO_MEM;
            }
            rc = MPI_Mrecv(buf->data, count, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
            buf->len = (size_t)count;
            if (from)
                *from = st.MPI_SOURCE;
            return rc;
        }
        if (interruptible && stop_signal)
            return RECEIVE_INTERRUPTED;
        if (deadline > 0 && now() >= deadline)
            return RECEIVE_TIMEOUT;
        nap(&ns);
    }
}

/* ---- The converting side: a worker, or rank 0 alone ------------------- */

struct coordinator;
static void progress_tick(struct coordinator *co, uint64_t rows_in_chunk);

struct worker {
    const struct bp_config *cfg;
    struct coordinator *alone; /* rank 0 converting alone: report progress */
    MPI_Comm comm;
    int listen;        /* look for aborts from rank 0 */
    struct bp_reader *reader;
    struct bp_shard *shard;
    struct bp_record record;
    struct buffer msg;    /* the work message being done */
    struct buffer result; /* the result of the last chunk */
    int pending;          /* a closed shard waits for publishing */
};

static int worker_init(struct worker *w, const struct bp_config *cfg,
                       MPI_Comm comm, int listen)
{
    memset(w, 0, sizeof *w);
    w->cfg = cfg;
    w->comm = comm;
    w->listen = listen;
    w->reader = bp_reader_new(cfg->root_s1, cfg->root_s2);
    w->shard = bp_shard_new(SHARD_BUFFER_BYTES, cfg->compression,
                            cfg->compression_level, cfg->index);
    if (w->reader)
        bp_reader_use_gdal_only(w->reader, cfg->gdal_only);
    if (!w->reader || !w->shard ||
        buffer_reserve(&w->result, RESULT_FIXED) != 0) {
        BP_ERROR("out of memory setting up the patch reader");
        return BP_NOMEM;
    }
    return BP_OK;
}

static void worker_free(struct worker *w)
{
    if (w->pending)
        bp_shard_discard(w->shard);
    bp_reader_free(w->reader);
    bp_shard_free(w->shard);
    free(w->msg.data);
    free(w->result.data);
}

static struct result_head *result_of(struct worker *w)
{
    return (struct result_head *)(void *)w->result.data;
}

static struct bp_stats *stats_of(struct worker *w)
{
    return (struct bp_stats *)(void *)(w->result.data +
                                       sizeof(struct result_head));
}

static int abort_requested(struct worker *w)
{
    int flag = 0;
    if (w->listen)
        MPI_Iprobe(0, TAG_REPLY, w->comm, &flag, MPI_STATUS_IGNORE);
    return flag;
}

/* Note a skipped patch in the result; returns -1 when out of memory. */
static int add_skip(struct worker *w, uint32_t row, const struct bp_failure *why)
{
    size_t need = 4 + strlen(why->file) + 1 + strlen(why->reason) + 1;
    if (buffer_reserve(&w->result, need) != 0)
        return -1;
    buffer_put(&w->result, &row, 4);
    buffer_put(&w->result, why->file, strlen(why->file) + 1);
    buffer_put(&w->result, why->reason, strlen(why->reason) + 1);
    result_of(w)->nskips++;
    return 0;
}

/* Convert the chunk in w->msg into a closed, unpublished shard; the outcome
 * goes to w->result. */
static void convert_chunk(struct worker *w)
{
    struct work_head head;
    memcpy(&head, w->msg.data, sizeof head);
    const char *name = w->msg.data + sizeof head;
    const char *csv = name + head.name_len;
    const char *p = csv + head.csv_len;
    struct bp_shard_info info;
    struct bp_pair pair;
    struct bp_failure why;

    w->result.len = RESULT_FIXED;
    struct result_head *res = result_of(w);
    memset(res, 0, sizeof *res);
    res->chunk = head.chunk;
    bp_stats_init(stats_of(w));

    struct bp_shard_info want = {head.expect_records, head.expect_bytes,
                                 head.expect_crc32c, head.expect_index_bytes,
                                 head.expect_index_crc32c};
    if ((head.flags & WORK_VERIFY) &&
        bp_shard_matches(w->shard, w->cfg->out_dir, name, &want)) {
        BP_DEBUG("%s: kept from the earlier run", name);
        res->status = BP_OK;
        res->verified = 1;
        res->records = head.expect_records;
        res->bytes = head.expect_bytes;
        res->crc32c = head.expect_crc32c;
        res->index_bytes = head.expect_index_bytes;
        res->index_crc32c = head.expect_index_crc32c;
        return;
    }
    if (head.flags & WORK_VERIFY)
        BP_INFO("%s: missing or different from the journal; converting it "
                "again",
                name);

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

        if (stop_signal) {
            res->status = BP_INTERRUPTED;
            goto fail;
        }
        if (i % ABORT_CHECK_EVERY == ABORT_CHECK_EVERY - 1 &&
            abort_requested(w)) {
            BP_DEBUG("stopping %s: the run is stopping", name);
            res->status = BP_ABORTED;
            goto fail;
        }
        int rc = bp_reader_read(w->reader, s2, s1, &pair, &why);
        if (rc == BP_OK && w->cfg->update_json)
            rc = bp_reader_update_json(w->reader, &pair, &why);
        if (rc != BP_OK && (rc == BP_INTERRUPTED || stop_signal)) {
            /* A read cut short by a stop is no bad patch: never skipped. */
            res->status = BP_INTERRUPTED;
            goto fail;
        }
        if (rc == BP_INPUT && w->cfg->max_failures > 0) {
            BP_WARN("%s line %u: %s: %s (skipped)", csv, line, why.file,
                    why.reason);
            if (add_skip(w, i, &why) != 0) {
                res = result_of(w);
                res->status = BP_NOMEM;
                goto fail;
            }
            res = result_of(w);
            if (res->nskips > w->cfg->max_failures) {
                BP_ERROR("%s: more than %llu bad patches in one shard; "
                         "stopping (--max-failures)",
                         name, (unsigned long long)w->cfg->max_failures);
                res->status = BP_INPUT;
                goto fail;
            }
            continue;
        }
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
        res->status = bp_shard_commit_record(w->shard, len);
        if (res->status != BP_OK)
            goto fail;
        bp_stats_add_pair(stats_of(w), &pair);
        if (w->alone)
            progress_tick(w->alone, i + 1);
    }
    res->status = bp_shard_close(w->shard, &info);
    if (res->status != BP_OK)
        return;
    res->records = info.records;
    res->bytes = info.bytes;
    res->crc32c = info.crc32c;
    res->index_bytes = info.index_bytes;
    res->index_crc32c = info.index_crc32c;
    if (info.records == 0) {
        /* Every patch was skipped: no empty shard file. */
        bp_shard_discard(w->shard);
        return;
    }
    w->pending = 1;
    return;
fail:
    bp_shard_abort(w->shard);
}

/* Rank 0 has answered the request that reported the closed shard: give it
 * its final name if rank 0 journaled it, else remove it. */
static int publish(struct worker *w, int journaled)
{
    if (!w->pending)
        return BP_OK;
    w->pending = 0;
    if (!journaled) {
        bp_shard_discard(w->shard);
        return BP_OK;
    }
    return bp_shard_publish(w->shard);
}

/* Ranks 1..N-1: ask for work, convert, report, until told to stop. */
static int work(const struct bp_config *cfg, MPI_Comm comm)
{
    struct worker w;
    /* A worker that cannot start reports its failure as its first request,
     * so rank 0 stops the run instead of waiting for it. */
    int status = worker_init(&w, cfg, comm, 1);
    struct result_head first = {.chunk = -1, .status = status};
    const void *report = &first;
    int report_len = sizeof first;
    for (;;) {
        if (MPI_Send(report, report_len, MPI_BYTE, 0, TAG_REQUEST, comm) !=
            MPI_SUCCESS) {
            status = BP_MPI;
            break;
        }
        struct work_head head;
        do {
            if (receive(comm, 0, TAG_REPLY, &w.msg, NULL, 0, 0) != MPI_SUCCESS) {
                status = BP_MPI;
                goto out;
            }
            memcpy(&head, w.msg.data, sizeof head);
        } while (head.type == MSG_ABORT); /* came after our last chunk: moot */
        int rc = publish(&w, head.flags & WORK_PUBLISH);
        if (rc != BP_OK && status == BP_OK)
            status = rc;
        if (head.type != MSG_WORK)
            break;
        if (status != BP_OK) {
            /* Publishing failed: say so instead of taking on more work. */
            first.status = status;
            report = &first;
            report_len = sizeof first;
            continue;
        }
        convert_chunk(&w);
        rc = result_of(&w)->status;
        if (rc != BP_OK && rc != BP_ABORTED && status == BP_OK)
            status = rc;
        report = w.result.data;
        report_len = (int)w.result.len;
    }
out:
    worker_free(&w);
    return status;
}

/* ---- Rank 0 ------------------------------------------------------------ */

struct coordinator {
    const struct bp_config *cfg;
    int nranks;
    struct bp_split *splits;
    size_t nsplits;
    struct bp_plan plan;
    struct bp_chunk_result *results;
    unsigned char *journaled; /* per chunk: figures come from the journal */
    struct bp_skip *skips;
    size_t nskips, skips_cap;
    struct bp_journal *journal;
    struct buffer work;
    int complete;  /* --resume found a finished output: nothing to do */
    int s2_only;   /* one-column split files: S2-only records */
    struct bp_split *excl; /* --exclude lists */
    size_t nexcl;
    uint64_t *removed;     /* rows list l removed from split s */
    double t0;
    time_t started;
    uint64_t done_records, done_bytes, kept_records;
    uint64_t done_rows, kept_rows; /* CSV rows handled: converted, kept */
    size_t done_chunks, kept_chunks;
    struct bp_stats *chunk_stats;  /* per chunk, merged per split at the end */
    double next_progress;          /* when the next progress line is due */
    double cpu0;                   /* rank 0's CPU time at the start */
    int lock_fd;                   /* holds the output folder's lock */
    int lock_created;              /* this run made the lock file */
};

/* CPU time (user + system) this process has used, in seconds. */
static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void hms(double seconds, char *buf, size_t size)
{
    long t = seconds < 0 ? 0 : (long)(seconds + 0.5);
    snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

/* Rank 0: a progress line when one is due. rows_in_flight counts rows of a
 * chunk rank 0 is converting itself. */
static void progress_tick(struct coordinator *co, uint64_t rows_in_flight)
{
    if (co->cfg->progress_seconds == 0)
        return;
    double t = now();
    if (t < co->next_progress)
        return;
    co->next_progress = t + co->cfg->progress_seconds;
    double elapsed = t - co->t0;
    uint64_t total = co->plan.total_rows;
    uint64_t done = co->done_rows + co->kept_rows + rows_in_flight;
    double rate = elapsed > 0 ? (double)(co->done_rows + rows_in_flight) / elapsed : 0;
    char el[32], left[32] = "?";
    hms(elapsed, el, sizeof el);
    if (rate > 0)
        hms((double)(total - done) / rate, left, sizeof left);
    BP_INFO("progress: %llu/%llu patches (%.1f%%), %.0f patches/s, %.1f MB/s "
            "written, elapsed %s, left %s",
            (unsigned long long)done, (unsigned long long)total,
            total ? 100.0 * (double)done / (double)total : 100.0, rate,
            elapsed > 0 ? (double)co->done_bytes / 1e6 / elapsed : 0.0, el,
            left);
}

static int add_coordinator_skip(struct coordinator *co, uint32_t chunk,
                                uint32_t row, const char *file,
                                const char *reason)
{
    if (co->nskips == co->skips_cap) {
        size_t cap = co->skips_cap ? 2 * co->skips_cap : 64;
        struct bp_skip *p = realloc(co->skips, cap * sizeof *p);
        if (!p)
            return BP_NOMEM;
        co->skips = p;
        co->skips_cap = cap;
    }
    struct bp_skip *s = &co->skips[co->nskips];
    s->chunk = chunk;
    s->row = row;
    s->file = strdup(file);
    s->reason = strdup(reason);
    if (!s->file || !s->reason) {
        free(s->file);
        free(s->reason);
        return BP_NOMEM;
    }
    co->nskips++;
    return BP_OK;
}

/* Forget the skips recorded for a chunk (it is being converted again). */
static void drop_skips(struct coordinator *co, uint32_t chunk)
{
    size_t k = 0;
    for (size_t i = 0; i < co->nskips; i++) {
        if (co->skips[i].chunk == chunk) {
            free(co->skips[i].file);
            free(co->skips[i].reason);
        } else {
            co->skips[k++] = co->skips[i];
        }
    }
    co->nskips = k;
}

static int skip_order(const void *a, const void *b)
{
    const struct bp_skip *x = a, *y = b;
    if (x->chunk != y->chunk)
        return x->chunk < y->chunk ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int chunk_name(const struct coordinator *co, size_t c, char *buf,
                      size_t size)
{
    const struct bp_chunk *ch = &co->plan.chunks[c];
    return bp_shard_filename_ext(buf, size, co->splits[ch->split].name,
                                 ch->index, ch->of,
                                 bp_compression_suffix(co->cfg->compression));
}

/* Pack chunk c as a work message into b. */
static int pack_work(struct coordinator *co, struct buffer *b, size_t c)
{
    const struct bp_chunk *ch = &co->plan.chunks[c];
    const struct bp_split *s = &co->splits[ch->split];
    char name[512];
    if (chunk_name(co, c, name, sizeof name) != 0)
        return BP_USAGE;
    struct work_head head;
    memset(&head, 0, sizeof head);
    head.type = MSG_WORK;
    head.chunk = (int32_t)c;
    head.count = ch->count;
    head.name_len = (uint32_t)strlen(name) + 1;
    head.csv_len = (uint32_t)strlen(s->path) + 1;
    if (co->journaled[c]) {
        head.flags = WORK_VERIFY;
        head.expect_records = co->results[c].records;
        head.expect_bytes = co->results[c].bytes;
        head.expect_crc32c = co->results[c].crc32c;
        head.expect_index_bytes = co->results[c].index_bytes;
        head.expect_index_crc32c = co->results[c].index_crc32c;
    }
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

static json_object *hex32(uint32_t v)
{
    char buf[9];
    snprintf(buf, sizeof buf, "%08x", v);
    return json_object_new_string(buf);
}

/* Take in a worker's result message: figures, skips, journal line. Returns
 * the chunk's status, or a failure of rank 0's own (journal, memory). */
static int take_result(struct coordinator *co, const char *msg, size_t len)
{
    struct result_head h;
    memcpy(&h, msg, sizeof h);
    if (h.chunk < 0 || (size_t)h.chunk >= co->plan.nchunks)
        return h.status;
    uint32_t c = (uint32_t)h.chunk;
    if (h.status != BP_OK)
        return h.status;
    struct bp_chunk_result *r = &co->results[c];
    if (h.verified) {
        co->kept_records += r->records;
        co->kept_chunks++;
        co->kept_rows += co->plan.chunks[c].count;
        return BP_OK;
    }
    drop_skips(co, c);
    co->journaled[c] = 0;
    r->status = BP_OK;
    r->records = h.records;
    r->bytes = h.bytes;
    r->crc32c = h.crc32c;
    r->index_bytes = h.index_bytes;
    r->index_crc32c = h.index_crc32c;
    co->done_records += h.records;
    co->done_bytes += h.bytes;
    co->done_chunks += h.records > 0;
    co->done_rows += co->plan.chunks[c].count;

    char name[512];
    chunk_name(co, c, name, sizeof name);
    json_object *e = json_object_new_object();
    json_object_object_add(e, "chunk", json_object_new_int64(c));
    json_object_object_add(e, "shard", json_object_new_string(name));
    json_object_object_add(e, "records", json_object_new_int64((int64_t)h.records));
    json_object_object_add(e, "bytes", json_object_new_int64((int64_t)h.bytes));
    json_object_object_add(e, "crc32c", hex32(h.crc32c));
    if (co->cfg->index) {
        json_object_object_add(e, "index_bytes", json_object_new_int64((int64_t)h.index_bytes));
        json_object_object_add(e, "index_crc32c", hex32(h.index_crc32c));
    }
    json_object *skipped = json_object_new_array();
    memcpy(&co->chunk_stats[c], msg + sizeof h, sizeof(struct bp_stats));
    json_object_object_add(e, "stats", bp_stats_to_journal(&co->chunk_stats[c]));
    const char *p = msg + RESULT_FIXED;
    int status = BP_OK;
    for (uint32_t i = 0; i < h.nskips && p < msg + len; i++) {
        uint32_t row;
        memcpy(&row, p, 4);
        const char *file = p + 4;
        const char *reason = file + strlen(file) + 1;
        p = reason + strlen(reason) + 1;
        if (add_coordinator_skip(co, c, row, file, reason) != BP_OK)
            status = BP_NOMEM;
        json_object *s = json_object_new_object();
        json_object_object_add(s, "row", json_object_new_int64(row));
        json_object_object_add(s, "file", json_object_new_string(file));
        json_object_object_add(s, "reason", json_object_new_string(reason));
        json_object_array_add(skipped, s);
    }
    json_object_object_add(e, "skipped", skipped);
    if (status == BP_OK)
        status = bp_journal_append(co->journal, e);
    json_object_put(e);
    if (status == BP_OK && co->nskips > co->cfg->max_failures) {
        BP_ERROR("%zu bad patches, more than --max-failures %llu allows; "
                 "stopping",
                 co->nskips, (unsigned long long)co->cfg->max_failures);
        status = BP_INPUT;
    }
    BP_DEBUG("shard %s done: %llu records, %llu bytes", name,
             (unsigned long long)h.records, (unsigned long long)h.bytes);
    return status;
}

/* The worst of two statuses (the higher value takes precedence). */
static int worse(int a, int b)
{
    return a > b ? a : b;
}

/* One rank: rank 0 converts every chunk itself. */
static int convert_alone(struct coordinator *co, MPI_Comm comm)
{
    struct worker w;
    int status = worker_init(&w, co->cfg, comm, 0);
    w.alone = co;
    for (size_t c = 0; status == BP_OK && c < co->plan.nchunks; c++) {
        if (stop_signal) {
            status = BP_INTERRUPTED;
            break;
        }
        if (co->journaled[c] && co->results[c].records == 0)
            continue; /* every patch skipped earlier: no file to check */
        status = pack_work(co, &w.msg, c);
        if (status != BP_OK)
            break;
        convert_chunk(&w);
        status = take_result(co, w.result.data, w.result.len);
        int rc = publish(&w, status == BP_OK);
        status = worse(status, rc);
    }
    worker_free(&w);
    return status;
}

/* Rank 0 with workers: hand out chunks on demand until all are done or the
 * run stops (a failure, a signal), then stop every worker. Only a failure
 * of MPI itself leaves the loop early. */
static int serve(struct coordinator *co, MPI_Comm comm)
{
    int nranks = co->nranks;
    int status = BP_OK, stopping = 0;
    size_t next = 0;
    int stopped = 0, nworkers = nranks - 1;
    int32_t *busy = malloc(sizeof *busy * (size_t)nranks);
    MPI_Request *aborts = malloc(sizeof *aborts * (size_t)nranks);
    struct buffer in = {0};
    if (!busy || !aborts) {
        /* Cannot even track the workers: MPI_Abort in main is all left. */
        free(busy);
        free(aborts);
        BP_ERROR("out of memory");
        return BP_MPI;
    }
    for (int r = 0; r < nranks; r++) {
        busy[r] = -1;
        aborts[r] = MPI_REQUEST_NULL;
    }
    static const struct work_head abort_msg = {.type = MSG_ABORT, .chunk = -1};

    while (stopped < nworkers) {
        int src = -1, journaled = 0;
        int rc = receive(comm, MPI_ANY_SOURCE, TAG_REQUEST, &in, &src,
                         !stopping,
                         co->cfg->progress_seconds ? co->next_progress : 0);
        progress_tick(co, 0);
        if (rc == RECEIVE_TIMEOUT)
            continue;
        if (rc != MPI_SUCCESS && rc != RECEIVE_INTERRUPTED) {
            status = BP_MPI;
            break;
        }
        if (rc == MPI_SUCCESS) {
            busy[src] = -1;
            int chunk_status = take_result(co, in.data, in.len);
            journaled = chunk_status == BP_OK;
            /* An aborted chunk is the consequence of a stop, not a cause. */
            if (chunk_status != BP_ABORTED)
                status = worse(status, chunk_status);
        }
        if (stop_signal)
            status = worse(status, BP_INTERRUPTED);
        while (status == BP_OK && next < co->plan.nchunks &&
               co->journaled[next] && co->results[next].records == 0)
            next++; /* every patch skipped earlier: no file to check */
        if (status == BP_OK && src >= 0 && next < co->plan.nchunks) {
            status = pack_work(co, &co->work, next);
            if (status == BP_OK) {
                struct work_head *h = (struct work_head *)(void *)co->work.data;
                h->flags |= journaled ? WORK_PUBLISH : 0;
                if (MPI_Send(co->work.data, (int)co->work.len, MPI_BYTE, src,
                             TAG_REPLY, comm) != MPI_SUCCESS) {
                    status = BP_MPI;
                    break;
                }
                busy[src] = (int32_t)next++;
                continue;
            }
        }
        if (status != BP_OK && !stopping) {
            stopping = 1;
            /* Stop the others promptly: their shards are discarded. */
            for (int r = 1; r < nranks; r++)
                if (busy[r] >= 0)
                    MPI_Isend(&abort_msg, sizeof abort_msg, MPI_BYTE, r,
                              TAG_REPLY, comm, &aborts[r]);
        }
        if (src < 0)
            continue;
        struct work_head stop = {.type = MSG_STOP, .chunk = -1};
        stop.flags = journaled ? WORK_PUBLISH : 0;
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
    free(in.data);
    return status;
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
        BP_ERROR("%s: cannot create the output folder: %s", dir,
                 errno ? strerror(errno) : "not a folder");
        return BP_OUTPUT;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        BP_ERROR("%s: output folder is not writable: %s", dir, strerror(errno));
        return BP_OUTPUT;
    }
    return BP_OK;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Is n the name of a shard or index file ben-prep writes:
 * "<split>-NNNNN-of-NNNNN.tfrecord" with ".zlib" or ".gz" after it for
 * compressed shards, ".idx" after it for index files? */
static int is_shard_name(const char *n)
{
    return bp_shard_name_split(n) > 0;
}

/* Is n a temporary file of ours: ".<shard or index>.tmp",
 * ".manifest.json.tmp" or ".ben-prep.journal.tmp"? */
static int is_our_tmp(const char *n)
{
    size_t len = strlen(n);
    if (n[0] != '.' || !ends_with(n, ".tmp"))
        return 0;
    char inner[256];
    if (len - 5 >= sizeof inner)
        return 0;
    memcpy(inner, n + 1, len - 5);
    inner[len - 5] = '\0';
    return is_shard_name(inner) || strcmp(inner, BP_MANIFEST_NAME) == 0 ||
           strcmp(inner, BP_JOURNAL_NAME) == 0;
}

/* What an output folder holds of earlier runs. SCAN_LOOK only looks;
 * SCAN_TMP deletes our temporary files (no run can be using them while we
 * hold the folder's lock). */
enum scan_mode { SCAN_LOOK, SCAN_TMP };
struct earlier {
    int manifest, journal;
    size_t shards;
    char example[256];
};

static int scan_output(const char *dir, enum scan_mode mode,
                       struct earlier *e)
{
    memset(e, 0, sizeof *e);
    DIR *d = opendir(dir);
    if (!d) {
        BP_ERROR("%s: cannot list the output folder: %s", dir, strerror(errno));
        return BP_OUTPUT;
    }
    struct dirent *ent;
    int status = BP_OK;
    while ((ent = readdir(d))) {
        const char *n = ent->d_name;
        int is_manifest = strcmp(n, BP_MANIFEST_NAME) == 0;
        int is_journal = strcmp(n, BP_JOURNAL_NAME) == 0;
        int is_shard = is_shard_name(n);
        int is_tmp = is_our_tmp(n);
        if (!is_manifest && !is_journal && !is_shard && !is_tmp)
            continue;
        e->manifest |= is_manifest;
        e->journal |= is_journal;
        e->shards += is_shard;
        if (!is_tmp && !e->example[0])
            snprintf(e->example, sizeof e->example, "%s", n);
        if (is_tmp && mode != SCAN_LOOK) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, n);
            if (unlink(path) != 0 && errno != ENOENT) {
                BP_ERROR("%s: cannot remove: %s", path, strerror(errno));
                status = BP_OUTPUT;
            }
        }
    }
    closedir(d);
    return status;
}

/* Take the output folder's lock (a POSIX record lock on OUT/.ben-prep.lock,
 * which works on NFS and Lustre too), so that two runs never write into one
 * folder: a second run, or a requeued job whose first attempt still runs,
 * is refused and changes nothing. The empty lock file stays in place once a
 * run has used the folder: removing it would open a window for two runs. */
static int lock_output(struct coordinator *co)
{
    const char *dir = co->cfg->out_dir;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, BP_LOCK_NAME);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int existed = fd < 0 && errno == EEXIST;
    co->lock_created = fd >= 0;
    if (existed)
        fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        BP_ERROR("%s: cannot %s: %s", path, existed ? "open" : "create",
                 strerror(errno));
        return BP_OUTPUT;
    }
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        int err = errno;
        if (err == EACCES || err == EAGAIN) {
            /* Who holds it, where the file system can say. */
            char pid[64] = "";
            if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK &&
                fl.l_pid > 0)
                snprintf(pid, sizeof pid, " (process %ld)", (long)fl.l_pid);
            close(fd);
            BP_ERROR("%s: another ben-prep run%s is writing into this folder "
                     "(it holds %s); wait for it to end, or stop it, first",
                     dir, pid, BP_LOCK_NAME);
            return BP_USAGE;
        }
        /* Some parallel file systems have no locks (Lustre mounted without
         * flock, some NFS setups): run without one rather than not at all. */
        BP_WARN("%s: cannot lock: %s; nothing stops a second run from "
                "writing into this folder at the same time",
                path, strerror(err));
    }
    co->lock_fd = fd;
    return BP_OK;
}

/* Release the lock; a lock file this run made only to refuse goes again. */
static void unlock_output(struct coordinator *co, int refused)
{
    if (co->lock_fd < 0)
        return;
    if (refused && co->lock_created) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", co->cfg->out_dir, BP_LOCK_NAME);
        unlink(path);
    }
    close(co->lock_fd);
    co->lock_fd = -1;
}

static struct bp_inputs inputs_of(const struct coordinator *co)
{
    struct bp_inputs in = {co->splits, co->nsplits, co->excl, co->nexcl,
                           co->removed};
    return in;
}

/* Take in the journal of an interrupted run: its finished chunks. */
static int apply_journal(struct coordinator *co, json_object *entries)
{
    for (size_t i = 0; i < json_object_array_length(entries); i++) {
        json_object *e = json_object_array_get_idx(entries, i), *v;
        int64_t c = json_object_object_get_ex(e, "chunk", &v) ? json_object_get_int64(v) : -1;
        char name[512];
        if (c < 0 || (size_t)c >= co->plan.nchunks ||
            chunk_name(co, (size_t)c, name, sizeof name) != 0 ||
            !json_object_object_get_ex(e, "shard", &v) ||
            strcmp(json_object_get_string(v), name) != 0)
            continue;
        json_object *records, *bytes, *crc;
        if (!json_object_object_get_ex(e, "records", &records) ||
            !json_object_object_get_ex(e, "bytes", &bytes) ||
            !json_object_object_get_ex(e, "crc32c", &crc) ||
            !json_object_is_type(crc, json_type_string))
            continue;
        struct bp_chunk_result *r = &co->results[c];
        r->records = (uint64_t)json_object_get_int64(records);
        r->bytes = (uint64_t)json_object_get_int64(bytes);
        r->crc32c = (uint32_t)strtoul(json_object_get_string(crc), NULL, 16);
        json_object *ib, *ic;
        if (json_object_object_get_ex(e, "index_bytes", &ib) &&
            json_object_object_get_ex(e, "index_crc32c", &ic)) {
            r->index_bytes = (uint64_t)json_object_get_int64(ib);
            r->index_crc32c =
                (uint32_t)strtoul(json_object_get_string(ic), NULL, 16);
        }
        r->status = BP_OK;
        co->journaled[c] = 1;
        json_object *stats = NULL;
        if (!json_object_object_get_ex(e, "stats", &stats) ||
            bp_stats_from_journal(stats, &co->chunk_stats[c]) != 0) {
            co->journaled[c] = 0; /* convert it again */
            r->status = BP_ABORTED;
            continue;
        }
        drop_skips(co, (uint32_t)c);
        json_object *skipped = NULL;
        if (json_object_object_get_ex(e, "skipped", &skipped))
            for (size_t k = 0; k < json_object_array_length(skipped); k++) {
                json_object *s = json_object_array_get_idx(skipped, k), *row, *file, *reason;
                if (!json_object_object_get_ex(s, "row", &row) ||
                    !json_object_object_get_ex(s, "file", &file) ||
                    !json_object_object_get_ex(s, "reason", &reason))
                    continue;
                if (add_coordinator_skip(co, (uint32_t)c,
                                         (uint32_t)json_object_get_int64(row),
                                         json_object_get_string(file),
                                         json_object_get_string(reason)) != BP_OK)
                    return BP_NOMEM;
            }
    }
    return BP_OK;
}

/* Rank 0: make the output folder ready: refuse or clear an earlier run's
 * output, or take in its journal for --resume; start the journal. */
static int prepare_output(struct coordinator *co)
{
    const struct bp_config *cfg = co->cfg;
    struct earlier e;
    int status = make_dirs(cfg->out_dir);
    if (status == BP_OK)
        status = lock_output(co);
    if (status == BP_OK)
        status = scan_output(cfg->out_dir, SCAN_LOOK, &e);
    if (status != BP_OK)
        return status;
    if ((e.manifest || e.journal || e.shards) && !cfg->resume && !cfg->force) {
        BP_ERROR("%s already holds the output of an earlier run (%s); use "
                 "--resume to continue it or --force to replace it",
                 cfg->out_dir, e.example);
        return BP_USAGE;
    }
    struct earlier cleared;
    status = scan_output(cfg->out_dir, SCAN_TMP, &cleared);
    if (status == BP_OK && cfg->force)
        status = bp_earlier_remove(cfg->out_dir);
    if (status != BP_OK)
        return status;

    struct bp_inputs in = inputs_of(co);
    json_object *identity = bp_run_identity(cfg, &in);
    json_object *old_id = NULL, *entries = NULL;
    if (cfg->resume && e.journal) {
        status = bp_journal_load(cfg->out_dir, &old_id, &entries);
    } else if (cfg->resume && e.manifest) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", cfg->out_dir, BP_MANIFEST_NAME);
        json_object *m = json_object_from_file(path);
        old_id = m ? bp_manifest_identity(m) : NULL;
        json_object_put(m);
        if (!old_id) {
            BP_ERROR("%s: cannot read it to resume; use --force to replace "
                     "the output",
                     path);
            status = BP_USAGE;
        }
        co->complete = 1;
    }
    if (status == BP_OK && old_id && !bp_identity_same(identity, old_id)) {
        char diff[2048];
        bp_identity_diff(identity, old_id, diff, sizeof diff);
        BP_ERROR("--resume: %s holds a run with other inputs or options "
                 "(%s); rerun with those, or use --force to start over",
                 cfg->out_dir, diff);
        status = BP_USAGE;
    }
    if (status == BP_OK && entries)
        status = apply_journal(co, entries);
    if (status == BP_OK && co->nskips > cfg->max_failures) {
        BP_ERROR("--resume: the earlier run skipped %zu bad patches, more "
                 "than --max-failures %llu allows; fix them and use --force, "
                 "or resume with a higher --max-failures",
                 co->nskips, (unsigned long long)cfg->max_failures);
        status = BP_INPUT;
    }
    if (status == BP_OK && !co->complete)
        status = bp_journal_start(cfg->out_dir, identity, entries, &co->journal);
    if (status == BP_OK && entries)
        BP_INFO("resuming: %zu of %zu shards recorded as finished in %s/%s",
                json_object_array_length(entries), co->plan.nchunks,
                cfg->out_dir, BP_JOURNAL_NAME);
    json_object_put(identity);
    json_object_put(old_id);
    json_object_put(entries);
    return status;
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
            chunk_name(co, c, name, sizeof name);
            printf("  %s rows %llu-%llu (%u), lines %u-%u\n", name,
                   (unsigned long long)ch->first + 1,
                   (unsigned long long)(ch->first + ch->count), ch->count,
                   sp->rows[ch->first].line,
                   sp->rows[ch->first + ch->count - 1].line);
        }
    }
    fflush(stdout);
}

/* Rank 0: read the --exclude lists and take their rows out of the splits. */
static int load_exclusions(struct coordinator *co)
{
    const struct bp_config *cfg = co->cfg;
    if (cfg->nexcludes == 0)
        return BP_OK;
    co->excl = calloc(cfg->nexcludes, sizeof *co->excl);
    co->removed = calloc(cfg->nexcludes * (co->nsplits ? co->nsplits : 1),
                         sizeof *co->removed);
    if (!co->excl || !co->removed)
        return BP_NOMEM;
    int status = BP_OK;
    for (size_t l = 0; l < cfg->nexcludes; l++) {
        int rc = bp_split_load(cfg->excludes[l], &co->excl[co->nexcl]);
        if (rc == BP_OK && co->excl[co->nexcl].columns == 2) {
            BP_ERROR("%s: an exclusion list has one S2 name per row, not "
                     "S2name,S1name",
                     cfg->excludes[l]);
            bp_split_free(&co->excl[co->nexcl]);
            rc = BP_CSV;
        }
        if (rc != BP_OK) {
            status = worse(status, rc);
            continue;
        }
        co->nexcl++;
    }
    if (status != BP_OK)
        return status;
    status = bp_plan_exclude(co->splits, co->nsplits, co->excl, co->nexcl,
                             co->removed);
    for (size_t l = 0; status == BP_OK && l < co->nexcl; l++) {
        uint64_t total = 0;
        for (size_t s = 0; s < co->nsplits; s++)
            total += co->removed[l * co->nsplits + s];
        BP_INFO("%s: %zu names, %llu rows left out", co->excl[l].path,
                co->excl[l].nrows, (unsigned long long)total);
    }
    return status;
}

/* Rank 0: read the split files, plan, prepare the output. */
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
            status = worse(status, rc);
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
    int columns = 0;
    for (size_t i = 0; i < co->nsplits; i++) {
        int c = co->splits[i].columns;
        if (c && columns && c != columns) {
            BP_ERROR("%s has %s rows, but other split files have %s rows; "
                     "give only MM split files (S2name,S1name) or only "
                     "S2-only ones (S2name)",
                     co->splits[i].path, c == 1 ? "one-column" : "two-column",
                     c == 1 ? "two-column" : "one-column");
            return BP_USAGE;
        }
        columns = c ? c : columns;
    }
    co->s2_only = columns == 1;
    if (!cfg->dry_run && !co->s2_only && !cfg->root_s1) {
        BP_ERROR("missing -r1/--root_folder_s1: the split files have "
                 "S2name,S1name rows");
        return BP_USAGE;
    }
    if (co->s2_only && cfg->update_json) {
        BP_ERROR("--update_json adds labels to S1 JSON files; S2-only split "
                 "files have no S1 patches");
        return BP_USAGE;
    }
    status = load_exclusions(co);
    if (status != BP_OK)
        return status;
    status = bp_plan_check_unique(co->splits, co->nsplits);
    if (status != BP_OK)
        return status;
    status = bp_plan_build(co->splits, co->nsplits, cfg->records_per_shard,
                           &co->plan);
    if (status != BP_OK)
        return status;
    size_t n = co->plan.nchunks ? co->plan.nchunks : 1;
    co->results = calloc(n, sizeof *co->results);
    co->journaled = calloc(n, 1);
    co->chunk_stats = malloc(n * sizeof *co->chunk_stats);
    if (!co->results || !co->journaled || !co->chunk_stats)
        return BP_NOMEM;
    for (size_t c = 0; c < n; c++)
        bp_stats_init(&co->chunk_stats[c]);
    for (size_t c = 0; c < co->plan.nchunks; c++)
        co->results[c].status = BP_ABORTED; /* not finished yet */
    if (cfg->dry_run) {
        print_plan(co);
        return BP_OK;
    }
    status = prepare_output(co);
    if (status == BP_USAGE)
        unlock_output(co, 1); /* refused: leave the folder as it was */
    return status;
}

static void coordinator_free(struct coordinator *co)
{
    for (size_t i = 0; i < co->nsplits; i++)
        bp_split_free(&co->splits[i]);
    free(co->splits);
    bp_plan_free(&co->plan);
    free(co->results);
    free(co->journaled);
    free(co->chunk_stats);
    for (size_t i = 0; i < co->nexcl; i++)
        bp_split_free(&co->excl[i]);
    free(co->excl);
    free(co->removed);
    for (size_t i = 0; i < co->nskips; i++) {
        free(co->skips[i].file);
        free(co->skips[i].reason);
    }
    free(co->skips);
    bp_journal_close(co->journal, 0);
    free(co->work.data);
    unlock_output(co, 0);
}

/* Rank 0, at the end: one line per split. */
static void report_splits(const struct coordinator *co)
{
    for (size_t s = 0; s < co->nsplits; s++) {
        uint64_t records = 0, bytes = 0;
        size_t shards = 0;
        for (size_t c = 0; c < co->plan.nchunks; c++) {
            if (co->plan.chunks[c].split != s || !co->results[c].records)
                continue;
            records += co->results[c].records;
            bytes += co->results[c].bytes;
            shards++;
        }
        BP_INFO("split %s: %llu records in %zu shard%s, %.1f MB",
                co->splits[s].name, (unsigned long long)records, shards,
                shards == 1 ? "" : "s", (double)bytes / 1e6);
    }
}

/* Rank 0, after the workers: manifest, journal, summary. */
static int finish(struct coordinator *co, int status)
{
    const struct bp_config *cfg = co->cfg;
    double seconds = now() - co->t0;
    if (status == BP_OK) {
        if (co->nskips)
            qsort(co->skips, co->nskips, sizeof *co->skips, skip_order);
        struct bp_run_facts facts = {co->nranks, co->started, seconds};
        struct bp_inputs in = inputs_of(co);
        status = bp_manifest_write(cfg, &in, &co->plan,
                                   co->results, co->chunk_stats, co->skips,
                                   co->nskips, &facts);
    }
    if (status == BP_OK) {
        bp_journal_close(co->journal, 1);
        co->journal = NULL;
        BP_INFO("done: %llu records in %zu shards converted, %.1f MB, %.3f s "
                "(%.0f patches/s, %.1f MB/s)%s; manifest %s/%s",
                (unsigned long long)co->done_records, co->done_chunks,
                (double)co->done_bytes / 1e6, seconds,
                seconds > 0 ? (double)co->done_records / seconds : 0.0,
                seconds > 0 ? (double)co->done_bytes / 1e6 / seconds : 0.0,
                co->kept_chunks ? "; earlier shards kept" : "", cfg->out_dir,
                BP_MANIFEST_NAME);
        if (co->kept_chunks)
            BP_INFO("kept %zu shards (%llu records) of the earlier run",
                    co->kept_chunks, (unsigned long long)co->kept_records);
        report_splits(co);
        uint64_t records = 0, bytes = 0;
        size_t shards = 0;
        for (size_t c = 0; c < co->plan.nchunks; c++) {
            records += co->results[c].records;
            bytes += co->results[c].bytes;
            shards += co->results[c].records > 0;
        }
        double cpu = cpu_seconds() - co->cpu0;
        BP_INFO("summary: %llu records, %zu shards, %llu bytes, %.1f s, %.0f "
                "patches/s, %zu skipped; rank 0 used %.2f s of CPU (%.1f%% "
                "of the run)",
                (unsigned long long)records, shards, (unsigned long long)bytes,
                seconds,
                seconds > 0 ? (double)co->done_rows / seconds : 0.0,
                co->nskips, cpu, seconds > 0 ? 100.0 * cpu / seconds : 0.0);
        if (co->nskips) {
            BP_WARN("%zu bad patch%s skipped; listed in %s/%s under "
                    "\"failures\"",
                    co->nskips, co->nskips == 1 ? "" : "es", cfg->out_dir,
                    BP_MANIFEST_NAME);
            status = BP_SKIPPED;
        }
    } else if (status == BP_INTERRUPTED) {
        size_t finished = 0;
        for (size_t c = 0; c < co->plan.nchunks; c++)
            finished += co->results[c].status == BP_OK;
        char by[64];
        if (stop_signal)
            snprintf(by, sizeof by, "signal %d (%s)", (int)stop_signal,
                     strsignal(stop_signal));
        else
            snprintf(by, sizeof by, "a signal to a worker rank");
        BP_ERROR("interrupted by %s: %zu of %zu shards finished and "
                 "recorded in %s/%s; run the same command with --resume to "
                 "continue",
                 by, finished, co->plan.nchunks, cfg->out_dir,
                 BP_JOURNAL_NAME);
    }
    return status;
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

/* Collective: the status that takes precedence over all ranks'. */
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

    struct sigaction sa, old_term, old_int, old_usr1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGUSR1, &sa, &old_usr1);

    struct coordinator co;
    memset(&co, 0, sizeof co);
    co.cfg = cfg;
    co.lock_fd = -1;
    co.nranks = nranks;
    co.t0 = now();
    co.cpu0 = cpu_seconds();
    co.next_progress = co.t0 + cfg->progress_seconds;
    co.started = time(NULL);
    int status = BP_OK;

    if (rank == 0) {
        status = prepare(&co);
        if (status == BP_OK && co.complete) {
            BP_INFO("%s is already complete (%s); nothing to resume",
                    cfg->out_dir, BP_MANIFEST_NAME);
        } else if (status == BP_OK && !cfg->dry_run) {
            BP_INFO("converting %llu rows of %zu split%s into %zu shards on "
                    "%d rank%s (%s)",
                    (unsigned long long)co.plan.total_rows, co.nsplits,
                    co.nsplits == 1 ? "" : "s", co.plan.nchunks, nranks,
                    nranks == 1 ? "" : "s",
                    nranks == 1 ? "rank 0 converts"
                                : "rank 0 hands out the work");
        }
    }
    /* Workers learn whether to start: -1 means "nothing to do". */
    int go = status == BP_OK && (co.complete || cfg->dry_run) ? -1 : status;
    if (share(&go, comm) != BP_OK)
        status = BP_MPI;
    else if (rank != 0)
        status = go < 0 ? BP_OK : go;
    if (status != BP_OK || go < 0)
        goto out;

    if (rank == 0) {
        status = nranks == 1 ? convert_alone(&co, comm) : serve(&co, comm);
        status = finish(&co, status);
    } else {
        status = work(cfg, comm);
    }
out:;
    int journaled = co.journal != NULL; /* the output folder was prepared */
    coordinator_free(&co);
    status = agree(status, comm);
    if (rank == 0 && status != BP_OK && status != BP_SKIPPED &&
        status != BP_USAGE && status != BP_INTERRUPTED) {
        if (cfg->dry_run)
            BP_ERROR("failed: %s", bp_strstatus(status));
        else if (journaled)
            BP_ERROR("failed: %s; no manifest was written; the shards "
                     "finished so far are kept: once the cause is fixed, run "
                     "the same command with --resume to continue",
                     bp_strstatus(status));
        else
            BP_ERROR("failed: %s; no manifest was written",
                     bp_strstatus(status));
    }
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGUSR1, &old_usr1, NULL);
    return status;
}
