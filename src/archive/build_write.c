/* build_write.c - the index file of the indexing pass: created unnamed or
 * under a temporary name, the access points, their sample and the sorted
 * member table written after the windows, then published under its final
 * name. */
#define _GNU_SOURCE /* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "benprep/log.h"
#include "build_int.h"
#include "bytes.h"
#include "common/crc32c.h"
#include "paths.h"

static int write_pending(struct builder *b)
{
    if (!b->have_pend)
        return 0;
    b->have_pend = 0;
    b->members++;
    return bpx_blockw_add(b->bw, b->pf, b->pflen, b->pn, b->pnlen, b->ptype,
                          b->poff, b->psize);
}

/* Sorted members in; a name seen twice becomes one DUPLICATE entry. */
static int on_sorted(void *ctx, const char *folder, size_t flen,
                     const char *name, size_t nlen, int type, uint64_t off,
                     uint64_t size)
{
    struct builder *b = ctx;
    if (b->have_pend && flen == b->pflen && nlen == b->pnlen &&
        memcmp(folder, b->pf, flen) == 0 && memcmp(name, b->pn, nlen) == 0) {
        if (b->ptype != BPX_MEMBER_DUPLICATE) {
            b->duplicates++;
            if (b->duplicates <= DUP_WARNINGS)
                BP_WARN("%s: member '%s/%.*s/%.*s' appears more than once "
                        "(data at bytes %" PRIu64 " and %" PRIu64
                        " of the tar stream): reading it will fail",
                        b->archive, b->top, (int)flen, folder, (int)nlen,
                        name, b->poff, off);
        }
        b->ptype = BPX_MEMBER_DUPLICATE;
        return 0;
    }
    if (write_pending(b) != 0)
        return -1;
    memcpy(b->pf, folder, flen);
    memcpy(b->pn, name, nlen);
    b->pflen = flen;
    b->pnlen = nlen;
    b->ptype = type;
    b->poff = off;
    b->psize = size;
    b->have_pend = 1;
    return 0;
}

/* The index file: unnamed (O_TMPFILE) when the file system and
 * /proc allow, so a killed process leaves nothing; else under a temporary
 * name beside the final one. 0, or -1 with errno. */
int bpx_build_create_index(struct builder *b)
{
    char dir[4096];
    bpx_dir_of(b->index_path, dir, sizeof dir);
    const char *base = bpx_base_of(b->index_path);
    int n = snprintf(b->tmp, sizeof b->tmp, "%s/.%s.tmp%ld", dir, base,
                     (long)getpid());
    if (n < 0 || (size_t)n >= sizeof b->tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
#ifdef O_TMPFILE
    if (access("/proc/self/fd", X_OK) == 0) {
        b->ifd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
        if (b->ifd >= 0) {
            b->anon = 1;
            return 0;
        }
        if (errno == EACCES || errno == EROFS || errno == EPERM ||
            errno == ENOENT || errno == ENOTDIR)
            return -1;
    }
#endif
    b->ifd = open(b->tmp, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
    return b->ifd >= 0 ? 0 : -1;
}

/* fsync, give the file its final name, fsync the folder. 0 or -1 (errno). */
int bpx_build_publish(struct builder *b)
{
    if (fsync(b->ifd) != 0)
        return -1;
    if (b->anon) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", b->ifd);
        unlink(b->tmp);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, b->tmp, AT_SYMLINK_FOLLOW) != 0)
            return -1;
    }
    if (rename(b->tmp, b->index_path) != 0) {
        int e = errno;
        unlink(b->tmp);
        errno = e;
        return -1;
    }
    char dir[4096];
    bpx_dir_of(b->index_path, dir, sizeof dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* Points, sample, member table, directory and header after the windows. */
int bpx_build_write_tables(struct builder *b, struct bpx_idx_header *h)
{
    h->points_off = BPX_IDX_HEADER_BYTES + b->windows_len;
    h->npoints = b->npoints;
    size_t staged = 0;
    uint64_t pos = h->points_off;
    for (size_t i = 0; i < b->npoints; i++) {
        if (staged + BPX_IDX_POINT_BYTES > OUT_BYTES) {
            if (bpx_pwrite_full(b->ifd, b->out, staged, pos) != 0)
                return -1;
            pos += staged;
            staged = 0;
        }
        bpx_point_encode(&b->points[i], b->out + staged);
        staged += BPX_IDX_POINT_BYTES;
    }
    if (staged && bpx_pwrite_full(b->ifd, b->out, staged, pos) != 0)
        return -1;
    h->sample_off = h->points_off + (uint64_t)b->npoints * BPX_IDX_POINT_BYTES;
    size_t nsample = (b->npoints + BPX_IDX_SAMPLE_EVERY - 1) /
                     BPX_IDX_SAMPLE_EVERY;
    uint32_t crc = 0;
    staged = 0;
    pos = h->sample_off;
    for (size_t i = 0; i < nsample; i++) {
        if (staged + 8 > OUT_BYTES) {
            crc = bp_crc32c_extend(crc, b->out, staged);
            if (bpx_pwrite_full(b->ifd, b->out, staged, pos) != 0)
                return -1;
            pos += staged;
            staged = 0;
        }
        bpx_put64(b->out + staged, b->points[i * BPX_IDX_SAMPLE_EVERY].uoff);
        staged += 8;
    }
    crc = bp_crc32c_extend(crc, b->out, staged);
    if (staged && bpx_pwrite_full(b->ifd, b->out, staged, pos) != 0)
        return -1;
    h->sample_crc = crc;
    uint64_t blocks_off = h->sample_off + (uint64_t)nsample * 8;
    b->bw = bpx_blockw_new(b->ifd, blocks_off, BPX_IDX_BLOCK_BYTES);
    if (!b->bw) {
        errno = ENOMEM;
        return -1;
    }
    int rc = bpx_sorter_finish(b->sorter, on_sorted, b);
    if (rc == 0)
        rc = write_pending(b);
    if (rc != 0 || bpx_blockw_finish(b->bw, h) != 0)
        return -1;
    h->nmembers = b->members;
    h->file_bytes = h->dir_off + h->dir_len;
    return 0;
}
