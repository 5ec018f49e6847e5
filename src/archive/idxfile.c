/* idxfile.c - the index file format: the header and the access point
 * records, both directions (see idxfile.h); the member table is written by
 * idxwrite.c and read by idxread.c. */
#include "idxfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "common/crc32c.h"

int bpx_whyf(char *why, size_t whysz, const char *fmt, ...)
{
    if (why && whysz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whysz, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- header ------------------------------------------------------------ */

void bpx_idx_header_encode(const struct bpx_idx_header *h,
                           unsigned char out[BPX_IDX_HEADER_BYTES])
{
    memset(out, 0, BPX_IDX_HEADER_BYTES);
    memcpy(out, BPX_IDX_MAGIC, 8);
    bpx_put32(out + 8, BPX_IDX_VERSION);
    bpx_put32(out + 12, BPX_IDX_HEADER_BYTES);
    bpx_put32(out + 16, h->kind);
    bpx_put32(out + 20, h->block_bytes);
    bpx_put32(out + 24, h->flags);
    bpx_put32(out + 28, h->mtime_nsec);
    bpx_put64(out + 32, h->archive_size);
    bpx_put64(out + 40, (uint64_t)h->mtime_sec);
    bpx_put32(out + 48, h->head_crc);
    bpx_put32(out + 52, h->tail_crc);
    bpx_put64(out + 56, h->stream_bytes);
    bpx_put64(out + 64, h->spacing);
    bpx_put64(out + 72, h->nmembers);
    bpx_put64(out + 80, h->nfolders);
    bpx_put64(out + 88, h->gz_members);
    bpx_put64(out + 96, h->windows_off);
    bpx_put64(out + 104, h->windows_len);
    bpx_put64(out + 112, h->points_off);
    bpx_put64(out + 120, h->npoints);
    bpx_put64(out + 128, h->sample_off);
    bpx_put32(out + 136, h->sample_crc);
    bpx_put32(out + 140, h->dir_crc);
    bpx_put64(out + 144, h->blocks_off);
    bpx_put64(out + 152, h->nblocks);
    bpx_put64(out + 160, h->dir_off);
    bpx_put64(out + 168, h->dir_len);
    bpx_put64(out + 176, h->file_bytes);
    bpx_put64(out + 184, h->damage_offset);
    memcpy(out + 192, h->top, sizeof h->top);
    out[192 + sizeof h->top - 1] = '\0';
    memcpy(out + 448, h->damage, sizeof h->damage);
    out[448 + sizeof h->damage - 1] = '\0';
    bpx_put32(out + BPX_IDX_HEADER_BYTES - 4,
              bp_crc32c(out, BPX_IDX_HEADER_BYTES - 4));
}

int bpx_idx_header_decode(const unsigned char in[BPX_IDX_HEADER_BYTES],
                          uint64_t file_size, struct bpx_idx_header *h,
                          char *why, size_t whysz)
{
    memset(h, 0, sizeof *h);
    if (memcmp(in, BPX_IDX_MAGIC, 8) != 0)
        return bpx_whyf(why, whysz, "not a ben-prep archive index");
    if (bpx_get32(in + 8) != BPX_IDX_VERSION)
        return bpx_whyf(why, whysz, "index format version %" PRIu32
                    ", this ben-prep reads version %u",
                    bpx_get32(in + 8), BPX_IDX_VERSION);
    if (bpx_get32(in + BPX_IDX_HEADER_BYTES - 4) !=
        bp_crc32c(in, BPX_IDX_HEADER_BYTES - 4))
        return bpx_whyf(why, whysz, "index header checksum mismatch");
    if (bpx_get32(in + 12) != BPX_IDX_HEADER_BYTES)
        return bpx_whyf(why, whysz, "bad index header size");
    h->kind = bpx_get32(in + 16);
    h->block_bytes = bpx_get32(in + 20);
    h->flags = bpx_get32(in + 24);
    h->mtime_nsec = bpx_get32(in + 28);
    h->archive_size = bpx_get64(in + 32);
    h->mtime_sec = (int64_t)bpx_get64(in + 40);
    h->head_crc = bpx_get32(in + 48);
    h->tail_crc = bpx_get32(in + 52);
    h->stream_bytes = bpx_get64(in + 56);
    h->spacing = bpx_get64(in + 64);
    h->nmembers = bpx_get64(in + 72);
    h->nfolders = bpx_get64(in + 80);
    h->gz_members = bpx_get64(in + 88);
    h->windows_off = bpx_get64(in + 96);
    h->windows_len = bpx_get64(in + 104);
    h->points_off = bpx_get64(in + 112);
    h->npoints = bpx_get64(in + 120);
    h->sample_off = bpx_get64(in + 128);
    h->sample_crc = bpx_get32(in + 136);
    h->dir_crc = bpx_get32(in + 140);
    h->blocks_off = bpx_get64(in + 144);
    h->nblocks = bpx_get64(in + 152);
    h->dir_off = bpx_get64(in + 160);
    h->dir_len = bpx_get64(in + 168);
    h->file_bytes = bpx_get64(in + 176);
    h->damage_offset = bpx_get64(in + 184);
    memcpy(h->top, in + 192, sizeof h->top);
    memcpy(h->damage, in + 448, sizeof h->damage);
    if (h->top[sizeof h->top - 1] || h->damage[sizeof h->damage - 1])
        return bpx_whyf(why, whysz, "bad text field in the index header");
    if (h->kind != BPX_IDX_TAR && h->kind != BPX_IDX_GZIP)
        return bpx_whyf(why, whysz, "unknown archive kind %" PRIu32, h->kind);
    if (h->block_bytes < 1024 || h->block_bytes > (1u << 20))
        return bpx_whyf(why, whysz, "bad block size %" PRIu32, h->block_bytes);
    if (h->file_bytes != file_size)
        return bpx_whyf(why, whysz,
                    "index file is %" PRIu64 " bytes, its header says %" PRIu64
                    " (truncated or damaged)",
                    file_size, h->file_bytes);
    int ok = h->npoints <= UINT64_MAX / BPX_IDX_POINT_BYTES &&
             h->nblocks <= UINT64_MAX / h->block_bytes &&
             bpx_fits(h->windows_off, h->windows_len, file_size) &&
             bpx_fits(h->points_off, h->npoints * BPX_IDX_POINT_BYTES,
                      file_size) &&
             bpx_fits(h->sample_off, bpx_sample_count(h->npoints) * 8,
                      file_size) &&
             bpx_fits(h->blocks_off, h->nblocks * h->block_bytes, file_size) &&
             bpx_fits(h->dir_off, h->dir_len, file_size) &&
             h->dir_len <= BPX_IDX_DIR_MAX &&
             (h->kind == BPX_IDX_GZIP || h->npoints == 0) &&
             (h->nblocks > 0 || h->nmembers == 0);
    if (!ok)
        return bpx_whyf(why, whysz, "index sections do not fit the file");
    return 0;
}

/* ---- access points ------------------------------------------------------ */

void bpx_point_encode(const struct bpx_point *p,
                      unsigned char out[BPX_IDX_POINT_BYTES])
{
    bpx_put64(out, p->uoff);
    bpx_put64(out + 8, p->coff);
    bpx_put64(out + 16, p->woff);
    bpx_put32(out + 24, p->wlen);
    bpx_put32(out + 28, p->wcrc);
    out[32] = (unsigned char)p->raw_len;
    out[33] = (unsigned char)(p->raw_len >> 8);
    out[34] = p->bits;
    out[35] = p->kind;
    bpx_put32(out + 36, bp_crc32c(out, 36));
}

int bpx_point_decode(const unsigned char in[BPX_IDX_POINT_BYTES],
                     struct bpx_point *p)
{
    if (bpx_get32(in + 36) != bp_crc32c(in, 36))
        return -1;
    p->uoff = bpx_get64(in);
    p->coff = bpx_get64(in + 8);
    p->woff = bpx_get64(in + 16);
    p->wlen = bpx_get32(in + 24);
    p->wcrc = bpx_get32(in + 28);
    p->raw_len = (uint16_t)(in[32] | in[33] << 8);
    p->bits = in[34];
    p->kind = in[35];
    if (p->bits > 7 || p->kind > BPX_POINT_MEMBER ||
        p->raw_len > BPX_WINDOW || p->wlen > BPX_WINDOW + 1024 ||
        (p->kind == BPX_POINT_MEMBER && (p->bits || p->raw_len)) ||
        (p->bits && p->coff == 0))
        return -1;
    return 0;
}
