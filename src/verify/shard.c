/*
 * shard.c - one shard checked: read through a fixed buffer (whole-file
 * size and CRC-32C against the manifest), inflated through another when
 * compressed, and its TFRecord framing walked (FORMAT.md section 5): both
 * CRCs of every record, each record handed to the record check, --deep and
 * the statistics, each record's frame to the index file check. Memory does
 * not grow with the shard size; a record is at most VF_RECORD_MAX_BYTES.
 * Also the rank's verifier: every buffer it needs, allocated once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* next_in of a z_stream is const: inflating never writes its input. */
#define ZLIB_CONST
#include <zlib.h>

#include "common/clock.h"
#include "common/crc32c.h"
#include "common/stop.h"
#include "verify/verify_int.h"

struct vf_inflate {
    z_stream z;
    uint8_t *out; /* VF_INFLATE_BYTES */
};

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* The 12 header bytes are in: check the length's CRC, prepare for data. */
static void walk_header(struct vf_verifier *v)
{
    uint64_t len = get_le64(v->head);
    uint32_t stored = get_le32(v->head + 8);
    uint32_t want = bp_crc32c_mask(bp_crc32c(v->head, 8));
    v->rec_problems = 0;
    if (stored != want) {
        vf_record_problem(v, "length CRC mismatch (stored %08x, computed "
                             "%08x over length %llu): the framing is broken, "
                             "the rest of the shard cannot be read",
                          stored, want, (unsigned long long)len);
        v->state = VF_WALK_BROKEN;
        return;
    }
    if (len > VF_RECORD_MAX_BYTES) {
        vf_record_problem(v, "length %llu is larger than any BigEarthNet "
                             "record (at most %u bytes); the rest of the "
                             "shard is not checked",
                          (unsigned long long)len, VF_RECORD_MAX_BYTES);
        v->state = VF_WALK_BROKEN;
        return;
    }
    vf_index_record(v, len + 16);
    v->rec_len = len;
    v->data_have = 0;
    v->state = VF_WALK_DATA;
}

/* The whole record is in: check the data CRC, decode, compare. Each record
 * takes its row of the split file, damaged or not. */
static void walk_record(struct vf_verifier *v)
{
    size_t len = (size_t)v->rec_len;
    uint32_t stored = get_le32(v->foot);
    uint32_t want = bp_crc32c_mask(bp_crc32c(v->rec, len));
    v->have_want = vf_rows_next(&v->rows, &v->want) == 0;
    if (stored != want) {
        vf_record_problem(v, "data CRC mismatch (stored %08x, computed %08x "
                             "over %zu bytes): the record is damaged",
                          stored, want, len);
    } else if (v->schema && vf_check_record(v, len)) {
        vf_stats_add(v);
        if (v->opt->deep)
            vf_deep_check(v);
    }
    v->rec_problems = 0;
    v->nrec++;
    v->rec_start = v->pos;
    v->head_have = 0;
    v->foot_have = 0;
    v->state = VF_WALK_HEADER;
}

/* Take up to n bytes of p into dst, which holds *have of want bytes. */
static size_t take(uint8_t *dst, size_t *have, size_t want, const uint8_t *p,
                   size_t n)
{
    size_t k = want - *have < n ? want - *have : n;
    memcpy(dst + *have, p, k);
    *have += k;
    return k;
}

/* Walk n more bytes of the (decompressed) stream. */
static void walk(struct vf_verifier *v, const uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t k;
        switch (v->state) {
        case VF_WALK_HEADER:
            k = take(v->head, &v->head_have, 12, p, n);
            v->pos += k;
            if (v->head_have == 12)
                walk_header(v);
            break;
        case VF_WALK_DATA:
            k = take(v->rec, &v->data_have, (size_t)v->rec_len, p, n);
            v->pos += k;
            if (v->data_have == v->rec_len)
                v->state = VF_WALK_FOOTER;
            break;
        case VF_WALK_FOOTER:
            k = take(v->foot, &v->foot_have, 4, p, n);
            v->pos += k;
            if (v->foot_have == 4)
                walk_record(v);
            break;
        default: /* VF_WALK_BROKEN: nothing more can be found */
            v->pos += n;
            return;
        }
        p += k;
        n -= k;
    }
}

/* The stream ended: a record cut short is a problem. Returns 1 when the
 * walk covered the stream exactly. */
static int walk_end(struct vf_verifier *v)
{
    const char *where = v->compression != VF_COMP_NONE ? "decompressed stream"
                                                       : "file";
    switch (v->state) {
    case VF_WALK_HEADER:
        if (v->head_have == 0)
            return 1;
        vf_record_problem(v, "the %s ends inside the record's 12-byte header "
                             "(%zu bytes of it)",
                          where, v->head_have);
        return 0;
    case VF_WALK_DATA:
        vf_record_problem(v, "the %s ends inside the record's data: %zu of "
                             "%llu bytes",
                          where, v->data_have, (unsigned long long)v->rec_len);
        return 0;
    case VF_WALK_FOOTER:
        vf_record_problem(v, "the %s ends inside the record's 4-byte data CRC",
                          where);
        return 0;
    default:
        return 0;
    }
}

/* Inflate n stored bytes and walk what comes out. */
static void inflate_feed(struct vf_verifier *v, const uint8_t *p, size_t n,
                         uint64_t stored_at)
{
    if (v->stream_done) {
        v->trailing += n;
        return;
    }
    if (v->stream_broken || v->state == VF_WALK_BROKEN)
        return;
    z_stream *z = &v->z->z;
    z->next_in = p;
    z->avail_in = (uInt)n;
    for (;;) {
        z->next_out = v->z->out;
        z->avail_out = VF_INFLATE_BYTES;
        int rc = inflate(z, Z_NO_FLUSH);
        walk(v, v->z->out, VF_INFLATE_BYTES - z->avail_out);
        if (rc == Z_STREAM_END) {
            v->stream_done = 1;
            v->trailing += z->avail_in;
            return;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            vf_shard_problem(v, "the %s stream is corrupt near stored byte "
                             "%llu (decompressed byte %llu): %s",
                             vf_compression_names[v->compression],
                             (unsigned long long)(stored_at + n - z->avail_in),
                             (unsigned long long)v->pos,
                             z->msg ? z->msg : zError(rc));
            v->stream_broken = 1;
            return;
        }
        if (z->avail_out != 0 || rc == Z_BUF_ERROR)
            return; /* all input used; what is pending needs more of it */
    }
}

/* Read the open shard fd to its end, through the CRC and the walk. Returns
 * 1 when read whole, 0 after a read error (reported) or a stop signal. */
static int read_shard(struct vf_verifier *v, int fd, uint32_t *crc)
{
    int walking = v->compression != VF_COMP_UNKNOWN;
    for (;;) {
        if (bp_stop_signal) {
            v->interrupted = 1;
            return 0;
        }
        ssize_t n = read(fd, v->in, VF_READ_BYTES);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            vf_shard_problem(v, "read error at byte %llu: %s",
                             (unsigned long long)v->stored, strerror(errno));
            return 0;
        }
        if (n == 0)
            break;
        *crc = bp_crc32c_extend(*crc, v->in, (size_t)n);
        if (walking && v->compression == VF_COMP_NONE)
            walk(v, v->in, (size_t)n);
        else if (walking)
            inflate_feed(v, v->in, (size_t)n, v->stored);
        v->stored += (uint64_t)n;
    }
    /* --deep skips its comparisons once a stop signal came. */
    if (bp_stop_signal) {
        v->interrupted = 1;
        return 0;
    }
    return 1;
}

/* The shard read whole: how its stream ended, its size, CRC and records
 * against the manifest, its index file. */
static void shard_end(struct vf_verifier *v, uint32_t crc)
{
    const struct vf_task *t = v->task;
    int walking = v->compression != VF_COMP_UNKNOWN;
    int complete = 0;
    if (walking && v->compression != VF_COMP_NONE && !v->stream_done &&
        !v->stream_broken && v->state != VF_WALK_BROKEN) {
        vf_shard_problem(v, "the %s stream ends early, after %llu "
                         "decompressed bytes: the file is truncated",
                         vf_compression_names[v->compression],
                         (unsigned long long)v->pos);
    } else if (walking && !v->stream_broken) {
        complete = walk_end(v);
        if (v->trailing)
            vf_shard_problem(v, "%llu bytes follow the end of the %s stream",
                             (unsigned long long)v->trailing,
                             vf_compression_names[v->compression]);
    }
    if (v->stored != t->bytes)
        vf_shard_problem(v, "%llu bytes, the manifest says %llu",
                         (unsigned long long)v->stored,
                         (unsigned long long)t->bytes);
    else if (crc != t->crc32c)
        vf_shard_problem(v, "CRC-32C %08x, the manifest says %08x: the file "
                         "differs from the one written",
                         crc, t->crc32c);
    if (complete && v->nrec != t->records)
        vf_shard_problem(v, "%llu records, the manifest says %llu",
                         (unsigned long long)v->nrec,
                         (unsigned long long)t->records);
    vf_index_close(v, complete);
}

/* Open the shard and prepare the inflater. Returns the descriptor, or -1
 * (reported). */
static int open_shard(struct vf_verifier *v)
{
    snprintf(v->full, sizeof v->full, "%s/%s", v->opt->out, v->path);
    int fd = open(v->full, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            vf_shard_problem(v, "missing: the manifest lists it with %llu "
                             "records",
                             (unsigned long long)v->task->records);
        else
            vf_shard_problem(v, "cannot open: %s", strerror(errno));
        return -1;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    if (v->compression == VF_COMP_ZLIB || v->compression == VF_COMP_GZIP) {
        int bits = v->compression == VF_COMP_GZIP ? 16 + MAX_WBITS : MAX_WBITS;
        if (inflateReset2(&v->z->z, bits) != Z_OK) {
            vf_shard_problem(v, "%s", "cannot reset the zlib inflater");
            close(fd);
            return -1;
        }
    }
    return fd;
}

void vf_verify_shard(struct vf_verifier *v, uint32_t index,
                     const struct vf_task *t, const char *strings,
                     const uint8_t **rows, const uint8_t *rows_end)
{
    double t0 = bp_now();
    uint64_t problems_before = v->probs.total;
    memset(&v->rows, 0, sizeof v->rows);
    if (*rows)
        *rows = vf_rows_open(&v->rows, *rows, rows_end);
    v->shard = index;
    v->task = t;
    v->path = strings + t->path;
    v->stored = 0;
    v->stream_done = v->stream_broken = 0;
    v->trailing = 0;
    v->state = VF_WALK_HEADER;
    v->pos = v->rec_start = v->nrec = 0;
    v->head_have = v->foot_have = 0;
    v->rec_problems = 0;
    v->idx.fd = -1;
    uint32_t crc = 0;
    int read_whole = 0;
    int fd = open_shard(v);
    if (fd >= 0) {
        vf_index_open(v, strings);
        read_whole = read_shard(v, fd, &crc);
        if (read_whole)
            shard_end(v, crc);
        close(fd);
    }
    if (v->idx.fd >= 0)
        close(v->idx.fd);
    v->idx.fd = -1;
    /* Incomplete figures are not compared. */
    if (!read_whole || v->probs.total != problems_before)
        v->acc[t->split].broken = 1;
    if (read_whole)
        BP_DEBUG("%s: %llu records, %.1f MB checked in %.2f s", v->path,
                 (unsigned long long)v->nrec, (double)v->stored / 1e6,
                 bp_now() - t0);
}

void vf_verifier_free(struct vf_verifier *v)
{
    free(v->in);
    free(v->rec);
    free(v->idx.buf);
    free(v->dec.band[0]);
    free(v->dec.sar[0]);
    if (v->z) {
        inflateEnd(&v->z->z);
        free(v->z->out);
        free(v->z);
    }
    vf_deep_free(v->deep);
    free(v->acc);
    memset(v, 0, sizeof *v);
    v->idx.fd = -1;
}

/* The inflater for compressed shards; NULL when out of memory. */
static struct vf_inflate *inflater_new(void)
{
    struct vf_inflate *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    z->out = malloc(VF_INFLATE_BYTES);
    if (!z->out || inflateInit2(&z->z, 16 + MAX_WBITS) != Z_OK) {
        free(z->out);
        free(z);
        return NULL;
    }
    return z;
}

int vf_verifier_init(struct vf_verifier *v,
                     const struct bp_verify_options *opt,
                     const struct vf_plan_head *head)
{
    const struct vf_schema *mm = &vf_schemas[0];
    memset(v, 0, sizeof *v);
    v->opt = opt;
    v->idx.fd = -1;
    v->schema = head->schema >= 0 ? &vf_schemas[head->schema] : NULL;
    v->compression = head->compression;
    v->nsplits = head->nsplits;
    v->in = malloc(VF_READ_BYTES);
    v->rec = malloc(VF_RECORD_MAX_BYTES);
    v->idx.buf = malloc(VF_INDEX_BUFFER_BYTES);
    v->acc = malloc((v->nsplits ? v->nsplits : 1) * sizeof *v->acc);
    size_t pixels = 0;
    for (size_t i = 0; i < VF_BANDS; i++)
        pixels += mm->fields[i].count;
    v->dec.band[0] = malloc(pixels * sizeof(uint16_t));
    v->dec.sar[0] = malloc((size_t)VF_SAR * VF_SAR_PIXELS * sizeof(uint32_t));
    if (!v->in || !v->rec || !v->idx.buf || !v->acc || !v->dec.band[0] ||
        !v->dec.sar[0])
        return -1;
    vf_acc_init(v->acc, v->nsplits);
    /* Slot b's pixels follow those of slots 0..b-1. */
    for (int b = 1; b < VF_BANDS; b++)
        v->dec.band[b] = v->dec.band[b - 1] + mm->fields[b - 1].count;
    v->dec.sar[1] = v->dec.sar[0] + VF_SAR_PIXELS;
    if (v->compression == VF_COMP_ZLIB || v->compression == VF_COMP_GZIP) {
        if (!(v->z = inflater_new()))
            return -1;
    }
    if (opt->deep && v->schema && !(v->deep = vf_deep_new(v->schema, opt)))
        return -1;
    return 0;
}
