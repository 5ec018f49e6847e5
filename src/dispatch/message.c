/*
 * message.c - packing and unpacking the dispatcher's messages (see
 * message.h).
 */
#include "dispatch/message.h"

#include <stdio.h>
#include <string.h>

#include "benprep/log.h"
#include "benprep/status.h"

/* The head of a request. */
struct result_head {
    int32_t chunk; /* plan index; -1: none (a hello) */
    int32_t status;
    uint64_t records;
    uint64_t bytes;
    uint32_t crc32c;
    uint32_t nskips; /* skipped patches that follow the statistics */
    uint32_t kept;   /* an existing shard was checked, not converted */
    uint32_t index_crc32c;
    uint64_t index_bytes;
};

/* work_head.flags */
enum {
    WORK_CHECK = 1,  /* check a journaled shard instead of converting it */
    WORK_PUBLISH = 2 /* publish the shard of the request this answers */
};

/* The head of a reply. */
struct work_head {
    int32_t type; /* enum bp_reply */
    int32_t chunk;
    uint32_t count;
    uint32_t name_len; /* with the NUL */
    uint32_t csv_len;  /* with the NUL */
    uint32_t flags;
    uint64_t expect_records; /* WORK_CHECK: the journal's figures */
    uint64_t expect_bytes;
    uint32_t expect_crc32c;
    uint32_t expect_index_crc32c;
    uint64_t expect_index_bytes;
};

/* Append a string with its NUL. */
static void add_string(struct bp_buf *b, const char *s)
{
    bp_buf_add(b, s, strlen(s) + 1);
}

/* The NUL-terminated string at *p (before end); advances *p past it.
 * NULL when there is none. */
static const char *take_string(const char **p, const char *end)
{
    const char *s = *p;
    const char *nul = s < end ? memchr(s, '\0', (size_t)(end - s)) : NULL;
    if (!nul)
        return NULL;
    *p = nul + 1;
    return s;
}

static int malformed(const char *what)
{
    BP_ERROR("malformed %s message", what);
    return BP_MPI;
}

int bp_msg_pack_work(struct bp_buf *b, const struct bp_chunk_job *job,
                     int publish)
{
    struct work_head head;
    memset(&head, 0, sizeof head);
    head.type = BP_REPLY_WORK;
    head.chunk = job->chunk;
    head.count = job->count;
    head.name_len = (uint32_t)strlen(job->shard) + 1;
    head.csv_len = (uint32_t)strlen(job->csv) + 1;
    head.flags = (job->check ? WORK_CHECK : 0) | (publish ? WORK_PUBLISH : 0);
    head.expect_records = job->want.records;
    head.expect_bytes = job->want.bytes;
    head.expect_crc32c = job->want.crc32c;
    head.expect_index_bytes = job->want.index_bytes;
    head.expect_index_crc32c = job->want.index_crc32c;
    size_t need = sizeof head + head.name_len + head.csv_len;
    for (uint32_t i = 0; i < job->count; i++)
        need += 4 + strlen(job->rows[i].s2) + strlen(job->rows[i].s1) + 2;
    bp_buf_clear(b);
    if (bp_buf_reserve(b, need) != 0) {
        BP_ERROR("out of memory packing a chunk of %u rows", job->count);
        return BP_NOMEM;
    }
    bp_buf_add(b, &head, sizeof head);
    add_string(b, job->shard);
    add_string(b, job->csv);
    for (uint32_t i = 0; i < job->count; i++) {
        bp_buf_add(b, &job->rows[i].line, 4);
        add_string(b, job->rows[i].s2);
        add_string(b, job->rows[i].s1);
    }
    return BP_OK;
}

const void *bp_msg_control(enum bp_reply type, int publish, int *len)
{
    static const struct work_head heads[] = {
        {.type = BP_REPLY_STOP, .chunk = -1},
        {.type = BP_REPLY_STOP, .chunk = -1, .flags = WORK_PUBLISH},
        {.type = BP_REPLY_ABORT, .chunk = -1},
    };
    *len = (int)sizeof heads[0];
    if (type == BP_REPLY_ABORT)
        return &heads[2];
    return &heads[publish ? 1 : 0];
}

enum bp_reply bp_msg_reply(const struct bp_buf *b, int *publish)
{
    struct work_head head;
    if (b->len < sizeof head) {
        *publish = 0;
        return BP_REPLY_STOP;
    }
    memcpy(&head, b->data, sizeof head);
    *publish = (head.flags & WORK_PUBLISH) != 0;
    return (enum bp_reply)head.type;
}

int bp_msg_unpack_work(const struct bp_buf *b, struct bp_chunk_job *job,
                       struct bp_buf *rows)
{
    struct work_head head;
    if (b->len < sizeof head)
        return malformed("work");
    memcpy(&head, b->data, sizeof head);
    const char *p = b->data + sizeof head, *end = b->data + b->len;
    memset(job, 0, sizeof *job);
    job->chunk = head.chunk;
    job->count = head.count;
    job->check = (head.flags & WORK_CHECK) != 0;
    job->want.records = head.expect_records;
    job->want.bytes = head.expect_bytes;
    job->want.crc32c = head.expect_crc32c;
    job->want.index_bytes = head.expect_index_bytes;
    job->want.index_crc32c = head.expect_index_crc32c;
    job->shard = take_string(&p, end);
    job->csv = take_string(&p, end);
    bp_buf_clear(rows);
    if (bp_buf_reserve(rows, (size_t)head.count * sizeof(struct bp_job_row)))
        return BP_NOMEM;
    struct bp_job_row *r = (struct bp_job_row *)(void *)rows->data;
    for (uint32_t i = 0; job->csv && i < head.count; i++) {
        if (end - p < 4)
            return malformed("work");
        memcpy(&r[i].line, p, 4);
        p += 4;
        r[i].s2 = take_string(&p, end);
        r[i].s1 = take_string(&p, end);
        if (!r[i].s2 || !r[i].s1)
            return malformed("work");
    }
    if (!job->shard || !job->csv)
        return malformed("work");
    job->rows = r;
    return BP_OK;
}

int bp_msg_pack_outcome(struct bp_buf *b, const struct bp_chunk_outcome *o)
{
    struct result_head head;
    memset(&head, 0, sizeof head);
    head.chunk = o->chunk;
    head.status = o->status;
    head.records = o->shard.records;
    head.bytes = o->shard.bytes;
    head.crc32c = o->shard.crc32c;
    head.index_bytes = o->shard.index_bytes;
    head.index_crc32c = o->shard.index_crc32c;
    head.kept = (uint32_t)o->kept;
    head.nskips = (uint32_t)o->skips.n;
    bp_buf_clear(b);
    bp_buf_add(b, &head, sizeof head);
    bp_buf_add(b, &o->stats, sizeof o->stats);
    for (size_t i = 0; i < o->skips.n; i++) {
        bp_buf_add(b, &o->skips.v[i].row, 4);
        add_string(b, o->skips.v[i].file);
        add_string(b, o->skips.v[i].reason);
    }
    return b->failed ? BP_NOMEM : BP_OK;
}

int bp_msg_pack_hello(struct bp_buf *b, int status, const char *host)
{
    struct result_head head;
    memset(&head, 0, sizeof head);
    head.chunk = -1;
    head.status = status;
    bp_buf_clear(b);
    bp_buf_add(b, &head, sizeof head);
    add_string(b, host);
    return b->failed ? BP_NOMEM : BP_OK;
}

/* The skipped patches after the head and statistics into o. */
static int unpack_skips(const char *p, const char *end, uint32_t n,
                        struct bp_chunk_outcome *o)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t row;
        if (end - p < 4)
            return malformed("result");
        memcpy(&row, p, 4);
        p += 4;
        const char *file = take_string(&p, end);
        const char *reason = take_string(&p, end);
        if (!file || !reason)
            return malformed("result");
        if (bp_skips_add(&o->skips, (uint32_t)o->chunk, row, file, reason) !=
            BP_OK)
            return BP_NOMEM;
    }
    return BP_OK;
}

int bp_msg_unpack_request(const struct bp_buf *b, struct bp_chunk_outcome *o,
                          char *host, size_t size)
{
    struct result_head head;
    const char *end = b->data + b->len;
    host[0] = '\0';
    if (b->len < sizeof head)
        return malformed("request");
    memcpy(&head, b->data, sizeof head);
    bp_outcome_reset(o, head.chunk);
    o->status = head.status;
    const char *p = b->data + sizeof head;
    if (head.chunk < 0) {
        const char *name = take_string(&p, end);
        snprintf(host, size, "%s", name ? name : "");
        return BP_OK;
    }
    if ((size_t)(end - p) < sizeof o->stats)
        return malformed("request");
    o->kept = head.kept != 0;
    o->shard.records = head.records;
    o->shard.bytes = head.bytes;
    o->shard.crc32c = head.crc32c;
    o->shard.index_bytes = head.index_bytes;
    o->shard.index_crc32c = head.index_crc32c;
    memcpy(&o->stats, p, sizeof o->stats);
    return unpack_skips(p + sizeof o->stats, end, head.nskips, o);
}
