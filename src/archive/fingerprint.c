/* fingerprint.c - the identity of an indexed archive (see fingerprint.h). */
#include "fingerprint.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "bytes.h"
#include "common/crc32c.h"

int bpx_fingerprint_stat(int fd, struct bpx_fingerprint *fp)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    fp->size = (uint64_t)st.st_size;
    fp->mtime_sec = (int64_t)st.st_mtim.tv_sec;
    fp->mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
    fp->head_crc = fp->tail_crc = 0;
    return 0;
}

static int crc_span(int fd, uint64_t off, uint64_t len, unsigned char *buf,
                    uint32_t *crc)
{
    ssize_t n = bpx_pread_full(fd, buf, (size_t)len, off);
    if (n < 0)
        return -1;
    if ((uint64_t)n != len) {
        errno = EIO; /* the file shrank under us */
        return -1;
    }
    *crc = bp_crc32c(buf, (size_t)len);
    return 0;
}

int bpx_fingerprint_take(int fd, struct bpx_fingerprint *fp,
                         unsigned char *buf)
{
    if (bpx_fingerprint_stat(fd, fp) != 0)
        return -1;
    uint64_t span = fp->size < BPX_FINGERPRINT_SPAN ? fp->size
                                                    : BPX_FINGERPRINT_SPAN;
    if (crc_span(fd, 0, span, buf, &fp->head_crc) != 0 ||
        crc_span(fd, fp->size - span, span, buf, &fp->tail_crc) != 0)
        return -1;
    return 0;
}

void bpx_fingerprint_store(const struct bpx_fingerprint *fp,
                           struct bpx_idx_header *h)
{
    h->archive_size = fp->size;
    h->mtime_sec = fp->mtime_sec;
    h->mtime_nsec = fp->mtime_nsec;
    h->head_crc = fp->head_crc;
    h->tail_crc = fp->tail_crc;
}

int bpx_fingerprint_differs(const struct bpx_fingerprint *fp,
                            const struct bpx_idx_header *h, int with_crc,
                            char *why, size_t whysz)
{
    if (fp->size != h->archive_size) {
        snprintf(why, whysz,
                 "the archive is %" PRIu64 " bytes, it was %" PRIu64
                 " when indexed",
                 fp->size, h->archive_size);
        return 1;
    }
    if (fp->mtime_sec != h->mtime_sec || fp->mtime_nsec != h->mtime_nsec) {
        snprintf(why, whysz,
                 "the archive was modified after it was indexed (mtime "
                 "%" PRId64 ".%09" PRIu32 ", indexed at %" PRId64 ".%09" PRIu32
                 ")",
                 fp->mtime_sec, fp->mtime_nsec, h->mtime_sec, h->mtime_nsec);
        return 1;
    }
    if (with_crc && fp->head_crc != h->head_crc) {
        snprintf(why, whysz, "the archive's first MiB changed after it was "
                             "indexed (CRC-32C differs)");
        return 1;
    }
    if (with_crc && fp->tail_crc != h->tail_crc) {
        snprintf(why, whysz, "the archive's last MiB changed after it was "
                             "indexed (CRC-32C differs)");
        return 1;
    }
    return 0;
}
