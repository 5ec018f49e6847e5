/*
 * shard.c - one shard file: written under its temporary name through one
 * large buffer (zlib/gzip when asked), framed records, the index file,
 * fsync, and the final names only once rank 0 has journaled it (see
 * benprep/shard.h). Temporary files, fsync and renames go through
 * common/fsutil.h.
 */
#include "benprep/shard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "benprep/tfrecord.h"
#include "common/crc32c.h"
#include "common/fsutil.h"

/* Output buffer of the compressor. */
#define ZBUF_BYTES (1u << 20)

struct bp_shard {
    uint8_t *buf; /* the uncompressed stream waiting to be written */
    size_t cap;
    size_t used;
    int fd; /* -1 when no shard is open */
    uint64_t records;
    uint64_t offset;     /* uncompressed bytes committed so far */
    uint32_t stream_crc; /* CRC-32C of the uncompressed stream */
    uint64_t bytes;      /* file bytes written so far */
    uint32_t file_crc;   /* CRC-32C of the compressed file bytes written */

    enum bp_compression compression;
    int level;
    z_stream z;
    int z_ready;
    uint8_t *zbuf;

    int index;           /* write NAME.idx */
    char *idx;           /* its text */
    size_t idx_len, idx_cap;

    char dir[4096];       /* the output folder */
    char idx_name[520];   /* NAME.idx */
    char tmp_path[4096];
    char final_path[4096];
    char idx_tmp_path[4096];
    char idx_final_path[4096];
};

struct bp_shard *bp_shard_new(size_t buffer_bytes,
                              enum bp_compression compression, int level,
                              int index)
{
    struct bp_shard *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->buf = malloc(buffer_bytes);
    s->compression = compression;
    s->level = level;
    s->index = index;
    if (compression != BP_COMPRESS_NONE)
        s->zbuf = malloc(ZBUF_BYTES);
    if (!s->buf || (compression != BP_COMPRESS_NONE && !s->zbuf)) {
        free(s->buf);
        free(s->zbuf);
        free(s);
        return NULL;
    }
    s->cap = buffer_bytes;
    s->fd = -1;
    return s;
}

void bp_shard_free(struct bp_shard *s)
{
    if (!s)
        return;
    bp_shard_abort(s);
    free(s->buf);
    free(s->zbuf);
    free(s->idx);
    free(s);
}

const char *bp_compression_suffix(enum bp_compression c)
{
    return c == BP_COMPRESS_ZLIB ? ".zlib" : c == BP_COMPRESS_GZIP ? ".gz" : "";
}

const char *bp_compression_name(enum bp_compression c)
{
    return c == BP_COMPRESS_ZLIB ? "zlib" : c == BP_COMPRESS_GZIP ? "gzip" : "none";
}

/* dir/<prefix><name><suffix> into buf; -1 when it does not fit. */
static int path2(char *buf, size_t size, const char *dir, const char *prefix,
                 const char *name, const char *suffix)
{
    int n = snprintf(buf, size, "%s/%s%s%s", dir, prefix, name, suffix);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int bp_shard_open(struct bp_shard *s, const char *dir, const char *name)
{
    bp_shard_abort(s);
    int n1 = snprintf(s->dir, sizeof s->dir, "%s", dir);
    int n2 = snprintf(s->idx_name, sizeof s->idx_name, "%s.idx", name);
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof s->dir ||
        (size_t)n2 >= sizeof s->idx_name ||
        path2(s->idx_tmp_path, sizeof s->idx_tmp_path, dir, ".", name,
              ".idx.tmp")) {
        BP_ERROR("%s/%s: output path too long", dir, name);
        return BP_OUTPUT;
    }
    s->fd = bp_tmp_create(dir, name, 0, s->tmp_path, s->final_path,
                          sizeof s->tmp_path);
    if (s->fd < 0)
        return BP_OUTPUT;
    s->used = 0;
    s->records = 0;
    s->offset = 0;
    s->stream_crc = 0;
    s->bytes = 0;
    s->file_crc = 0;
    s->idx_len = 0;
    if (s->compression != BP_COMPRESS_NONE) {
        memset(&s->z, 0, sizeof s->z);
        /* TensorFlow's writer: deflate, window 15 bits (+16: gzip
         * wrapper), memLevel 9. */
        int bits = s->compression == BP_COMPRESS_GZIP ? 15 + 16 : 15;
        if (deflateInit2(&s->z, s->level, Z_DEFLATED, bits, 9,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            BP_ERROR("%s: cannot start the compressor", s->tmp_path);
            close(s->fd);
            s->fd = -1;
            unlink(s->tmp_path);
            return BP_NOMEM;
        }
        s->z_ready = 1;
    }
    return BP_OK;
}

static int write_all(int fd, const char *path, const uint8_t *p, size_t len)
{
    if (bp_write_all(fd, p, len) != 0) {
        BP_ERROR("%s: write error: %s", path, strerror(errno));
        return BP_OUTPUT;
    }
    return BP_OK;
}

/* Write the buffered stream; with finish set, end the compressed stream. */
static int flush(struct bp_shard *s, int finish)
{
    if (s->compression == BP_COMPRESS_NONE) {
        int rc = write_all(s->fd, s->tmp_path, s->buf, s->used);
        if (rc == BP_OK)
            s->bytes += s->used;
        s->used = 0;
        return rc;
    }
    s->z.next_in = s->buf;
    s->z.avail_in = (uInt)s->used;
    int zrc;
    do {
        s->z.next_out = s->zbuf;
        s->z.avail_out = ZBUF_BYTES;
        zrc = deflate(&s->z, finish ? Z_FINISH : Z_NO_FLUSH);
        if (zrc == Z_STREAM_ERROR) {
            BP_ERROR("%s: compression failed", s->tmp_path);
            return BP_OUTPUT;
        }
        size_t out = ZBUF_BYTES - s->z.avail_out;
        if (out) {
            s->file_crc = bp_crc32c_extend(s->file_crc, s->zbuf, out);
            if (write_all(s->fd, s->tmp_path, s->zbuf, out) != BP_OK)
                return BP_OUTPUT;
            s->bytes += out;
        }
    } while (s->z.avail_out == 0 || (finish && zrc != Z_STREAM_END));
    s->used = 0;
    return BP_OK;
}

uint8_t *bp_shard_reserve(struct bp_shard *s, size_t n)
{
    if (n > s->cap) {
        BP_ERROR("%s: a record of %zu bytes exceeds the write buffer",
                 s->tmp_path, n);
        return NULL;
    }
    if (s->cap - s->used < n && flush(s, 0) != BP_OK)
        return NULL;
    return s->buf + s->used;
}

int bp_shard_commit_record(struct bp_shard *s, size_t len)
{
    uint32_t crc;
    size_t n = bp_tfrecord_frame_in_place(s->buf + s->used, len, &crc);
    if (s->index) {
        if (s->idx_cap - s->idx_len < 48) {
            size_t cap = s->idx_cap ? 2 * s->idx_cap : 64 * 1024;
            char *p = realloc(s->idx, cap);
            if (!p) {
                BP_ERROR("%s: out of memory for the index", s->tmp_path);
                return BP_NOMEM;
            }
            s->idx = p;
            s->idx_cap = cap;
        }
        s->idx_len += (size_t)snprintf(s->idx + s->idx_len, s->idx_cap - s->idx_len,
                                       "%llu %zu\n",
                                       (unsigned long long)s->offset, n);
    }
    s->stream_crc = bp_crc32c_combine(s->stream_crc, crc, n);
    s->offset += n;
    s->used += n;
    s->records++;
    return BP_OK;
}

static void end_compressor(struct bp_shard *s)
{
    if (s->z_ready) {
        deflateEnd(&s->z);
        s->z_ready = 0;
    }
}

void bp_shard_abort(struct bp_shard *s)
{
    end_compressor(s);
    if (s->fd < 0)
        return;
    close(s->fd);
    s->fd = -1;
    if (unlink(s->tmp_path) != 0 && errno != ENOENT)
        BP_WARN("%s: cannot remove: %s", s->tmp_path, strerror(errno));
    unlink(s->idx_tmp_path);
}

/* Write the index text to its temporary file: write, fsync, close. */
static int write_index(struct bp_shard *s)
{
    int fd = bp_tmp_create(s->dir, s->idx_name, 0, s->idx_tmp_path,
                           s->idx_final_path, sizeof s->idx_tmp_path);
    if (fd < 0)
        return BP_OUTPUT;
    int rc = write_all(fd, s->idx_tmp_path, (const uint8_t *)s->idx,
                       s->idx_len);
    if (rc == BP_OK)
        rc = bp_file_finish(fd, s->idx_tmp_path);
    else
        close(fd);
    if (rc != BP_OK)
        unlink(s->idx_tmp_path);
    return rc;
}

int bp_shard_close(struct bp_shard *s, struct bp_shard_info *info)
{
    if (flush(s, 1) != BP_OK) {
        bp_shard_abort(s);
        return BP_OUTPUT;
    }
    end_compressor(s);
    int fd = s->fd;
    s->fd = -1;
    if (bp_file_finish(fd, s->tmp_path) != BP_OK) {
        unlink(s->tmp_path);
        return BP_OUTPUT;
    }
    memset(info, 0, sizeof *info);
    if (s->index && s->records) {
        if (write_index(s) != BP_OK) {
            unlink(s->tmp_path);
            return BP_OUTPUT;
        }
        info->index_bytes = s->idx_len;
        info->index_crc32c = bp_crc32c(s->idx, s->idx_len);
    }
    info->records = s->records;
    info->bytes = s->bytes;
    info->crc32c =
        s->compression == BP_COMPRESS_NONE ? s->stream_crc : s->file_crc;
    return BP_OK;
}

int bp_shard_publish(struct bp_shard *s)
{
    if (s->index && s->records &&
        bp_publish(s->idx_tmp_path, s->idx_final_path, s->dir) != BP_OK) {
        bp_shard_discard(s);
        return BP_OUTPUT;
    }
    if (bp_publish(s->tmp_path, s->final_path, s->dir) != BP_OK) {
        unlink(s->tmp_path);
        return BP_OUTPUT;
    }
    return BP_OK;
}

void bp_shard_discard(struct bp_shard *s)
{
    if (unlink(s->tmp_path) != 0 && errno != ENOENT)
        BP_WARN("%s: cannot remove: %s", s->tmp_path, strerror(errno));
    unlink(s->idx_tmp_path);
}

/* Whether the file at path has bytes and crc32c. */
static int file_matches(struct bp_shard *s, const char *path, uint64_t bytes,
                        uint32_t crc32c)
{
    struct stat st;
    const char *kind;
    int fd = bp_open_regular(path, &st, &kind);
    if (fd < 0) {
        BP_DEBUG("%s: %s", path, kind ? kind : strerror(errno));
        return 0;
    }
    int ok = (uint64_t)st.st_size == bytes;
    uint32_t crc = 0;
    uint64_t total = 0;
    while (ok) {
        ssize_t got = read(fd, s->buf, s->cap);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            ok = got == 0;
            break;
        }
        crc = bp_crc32c_extend(crc, s->buf, (size_t)got);
        total += (uint64_t)got;
    }
    close(fd);
    ok = ok && total == bytes && crc == crc32c;
    if (!ok)
        BP_DEBUG("%s: size or CRC-32C differs from the journal", path);
    return ok;
}

int bp_shard_matches(struct bp_shard *s, const char *dir, const char *name,
                     const struct bp_shard_info *want)
{
    char path[4096];
    if (path2(path, sizeof path, dir, "", name, "") != 0 ||
        !file_matches(s, path, want->bytes, want->crc32c))
        return 0;
    if (want->index_bytes == 0)
        return 1;
    return path2(path, sizeof path, dir, "", name, ".idx") == 0 &&
           file_matches(s, path, want->index_bytes, want->index_crc32c);
}
