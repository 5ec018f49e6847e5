#include "benprep/shard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "benprep/tfrecord.h"
#include "crc32c.h"

struct bp_shard {
    uint8_t *buf;
    size_t cap;
    size_t used;
    int fd; /* -1 when no shard is open */
    uint64_t records;
    uint64_t bytes; /* written to the file so far */
    uint32_t crc;
    char tmp_path[4096];
    char final_path[4096];
};

struct bp_shard *bp_shard_new(size_t buffer_bytes)
{
    struct bp_shard *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->buf = malloc(buffer_bytes);
    if (!s->buf) {
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
    free(s);
}

int bp_shard_open(struct bp_shard *s, const char *dir, const char *name)
{
    bp_shard_abort(s);
    int n1 = snprintf(s->tmp_path, sizeof s->tmp_path, "%s/.%s.tmp", dir, name);
    int n2 = snprintf(s->final_path, sizeof s->final_path, "%s/%s", dir, name);
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof s->tmp_path ||
        (size_t)n2 >= sizeof s->final_path) {
        BP_ERROR("%s/%s: output path too long", dir, name);
        return BP_OUTPUT;
    }
    s->fd = open(s->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0) {
        BP_ERROR("%s: cannot create: %s", s->tmp_path, strerror(errno));
        return BP_OUTPUT;
    }
    s->used = 0;
    s->records = 0;
    s->bytes = 0;
    s->crc = 0;
    return BP_OK;
}

static int flush(struct bp_shard *s)
{
    size_t off = 0;
    while (off < s->used) {
        ssize_t n = write(s->fd, s->buf + off, s->used - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            BP_ERROR("%s: write error: %s", s->tmp_path,
                     n < 0 ? strerror(errno) : "no progress");
            return BP_OUTPUT;
        }
        off += (size_t)n;
    }
    s->bytes += s->used;
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
    if (s->cap - s->used < n && flush(s) != BP_OK)
        return NULL;
    return s->buf + s->used;
}

void bp_shard_commit_record(struct bp_shard *s, size_t len)
{
    uint32_t crc;
    size_t n = bp_tfrecord_frame_in_place(s->buf + s->used, len, &crc);
    s->crc = bp_crc32c_combine(s->crc, crc, n);
    s->used += n;
    s->records++;
}

void bp_shard_abort(struct bp_shard *s)
{
    if (s->fd < 0)
        return;
    close(s->fd);
    s->fd = -1;
    if (unlink(s->tmp_path) != 0 && errno != ENOENT)
        BP_WARN("%s: cannot remove: %s", s->tmp_path, strerror(errno));
}

int bp_shard_close(struct bp_shard *s, struct bp_shard_info *info)
{
    if (flush(s) != BP_OK)
        goto fail;
    if (fsync(s->fd) != 0) {
        BP_ERROR("%s: fsync failed: %s", s->tmp_path, strerror(errno));
        goto fail;
    }
    int fd = s->fd;
    s->fd = -1;
    if (close(fd) != 0) {
        BP_ERROR("%s: close failed: %s", s->tmp_path, strerror(errno));
        unlink(s->tmp_path);
        return BP_OUTPUT;
    }
    info->records = s->records;
    info->bytes = s->bytes;
    info->crc32c = s->crc;
    return BP_OK;
fail:
    bp_shard_abort(s);
    return BP_OUTPUT;
}

int bp_shard_publish(struct bp_shard *s)
{
    if (rename(s->tmp_path, s->final_path) != 0) {
        BP_ERROR("%s: cannot rename to %s: %s", s->tmp_path, s->final_path,
                 strerror(errno));
        unlink(s->tmp_path);
        return BP_OUTPUT;
    }
    return BP_OK;
}

void bp_shard_discard(struct bp_shard *s)
{
    if (unlink(s->tmp_path) != 0 && errno != ENOENT)
        BP_WARN("%s: cannot remove: %s", s->tmp_path, strerror(errno));
}

int bp_shard_matches(struct bp_shard *s, const char *dir, const char *name,
                     uint64_t bytes, uint32_t crc32c)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        BP_DEBUG("%s: %s", path, strerror(errno));
        return 0;
    }
    struct stat st;
    int ok = fstat(fd, &st) == 0 && (uint64_t)st.st_size == bytes;
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
