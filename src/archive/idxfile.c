/* idxfile.c - the index file format, writing and reading (see idxfile.h). */
#include "idxfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "common/crc32c.h"
#include "tar.h"

static int whyf(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int whyf(char *why, size_t whysz, const char *fmt, ...)
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

/* Whether [off, off + len) lies within size, without overflow. */
static int fits(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static uint64_t sample_count(uint64_t npoints)
{
    return (npoints + BPX_IDX_SAMPLE_EVERY - 1) / BPX_IDX_SAMPLE_EVERY;
}

int bpx_idx_header_decode(const unsigned char in[BPX_IDX_HEADER_BYTES],
                          uint64_t file_size, struct bpx_idx_header *h,
                          char *why, size_t whysz)
{
    memset(h, 0, sizeof *h);
    if (memcmp(in, BPX_IDX_MAGIC, 8) != 0)
        return whyf(why, whysz, "not a ben-prep archive index");
    if (bpx_get32(in + 8) != BPX_IDX_VERSION)
        return whyf(why, whysz, "index format version %" PRIu32
                    ", this ben-prep reads version %u",
                    bpx_get32(in + 8), BPX_IDX_VERSION);
    if (bpx_get32(in + BPX_IDX_HEADER_BYTES - 4) !=
        bp_crc32c(in, BPX_IDX_HEADER_BYTES - 4))
        return whyf(why, whysz, "index header checksum mismatch");
    if (bpx_get32(in + 12) != BPX_IDX_HEADER_BYTES)
        return whyf(why, whysz, "bad index header size");
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
        return whyf(why, whysz, "bad text field in the index header");
    if (h->kind != BPX_IDX_TAR && h->kind != BPX_IDX_GZIP)
        return whyf(why, whysz, "unknown archive kind %" PRIu32, h->kind);
    if (h->block_bytes < 1024 || h->block_bytes > (1u << 20))
        return whyf(why, whysz, "bad block size %" PRIu32, h->block_bytes);
    if (h->file_bytes != file_size)
        return whyf(why, whysz,
                    "index file is %" PRIu64 " bytes, its header says %" PRIu64
                    " (truncated or damaged)",
                    file_size, h->file_bytes);
    int ok = h->npoints <= UINT64_MAX / BPX_IDX_POINT_BYTES &&
             h->nblocks <= UINT64_MAX / h->block_bytes &&
             fits(h->windows_off, h->windows_len, file_size) &&
             fits(h->points_off, h->npoints * BPX_IDX_POINT_BYTES, file_size) &&
             fits(h->sample_off, sample_count(h->npoints) * 8, file_size) &&
             fits(h->blocks_off, h->nblocks * h->block_bytes, file_size) &&
             fits(h->dir_off, h->dir_len, file_size) &&
             h->dir_len <= BPX_IDX_DIR_MAX &&
             (h->kind == BPX_IDX_GZIP || h->npoints == 0) &&
             (h->nblocks > 0 || h->nmembers == 0);
    if (!ok)
        return whyf(why, whysz, "index sections do not fit the file");
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

/* ---- block writer ------------------------------------------------------- */

#define BLOCK_HEAD 8u

/* A folder's members are gathered first and placed whole: in the current
 * block when they fit, else at the start of the next one, so that a folder
 * lies in one block (and one read covers it) unless it is larger than a
 * block, when it is split into block-sized groups. */
struct bpx_blockw {
    int fd;
    uint64_t base;
    uint32_t bsize;
    unsigned char *blk;
    size_t used;           /* bytes used, block header included */
    unsigned ngroups;
    uint64_t nblocks, nfolders;
    /* the pending group */
    unsigned char *gbuf;   /* member records, at most bsize */
    size_t glen;
    unsigned gcount;
    char folder[BPX_FOLDER_MAX];
    size_t flen;
    char first[BPX_NAME_MAX]; /* the group's first name (directory key) */
    size_t first_len;
    int have_group;
    unsigned char *dir;
    size_t dir_len, dir_cap;
};

struct bpx_blockw *bpx_blockw_new(int fd, uint64_t off, uint32_t block_bytes)
{
    struct bpx_blockw *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->fd = fd;
    w->base = off;
    w->bsize = block_bytes;
    w->blk = calloc(1, block_bytes);
    w->gbuf = malloc(block_bytes);
    w->used = BLOCK_HEAD;
    if (!w->blk || !w->gbuf) {
        bpx_blockw_free(w);
        return NULL;
    }
    return w;
}

void bpx_blockw_free(struct bpx_blockw *w)
{
    if (!w)
        return;
    free(w->blk);
    free(w->gbuf);
    free(w->dir);
    free(w);
}

static int flush_block(struct bpx_blockw *w)
{
    size_t content = w->used - BLOCK_HEAD;
    w->blk[4] = (unsigned char)content;
    w->blk[5] = (unsigned char)(content >> 8);
    w->blk[6] = (unsigned char)w->ngroups;
    w->blk[7] = (unsigned char)(w->ngroups >> 8);
    memset(w->blk + w->used, 0, w->bsize - w->used);
    bpx_put32(w->blk, bp_crc32c(w->blk + 4, w->bsize - 4));
    if (bpx_pwrite_full(w->fd, w->blk, w->bsize,
                        w->base + w->nblocks * w->bsize) != 0)
        return -1;
    w->nblocks++;
    w->used = BLOCK_HEAD;
    w->ngroups = 0;
    return 0;
}

static int dir_add(struct bpx_blockw *w, const char *folder, size_t flen,
                   const char *name, size_t nlen)
{
    size_t need = 20 + flen + nlen;
    if (w->dir_len + need > w->dir_cap) {
        size_t cap = w->dir_cap ? w->dir_cap * 2 : 4096;
        while (cap < w->dir_len + need)
            cap *= 2;
        unsigned char *d = realloc(w->dir, cap);
        if (!d) {
            errno = ENOMEM;
            return -1;
        }
        w->dir = d;
        w->dir_cap = cap;
    }
    w->dir_len += bpx_put_varint(w->dir + w->dir_len, flen);
    memcpy(w->dir + w->dir_len, folder, flen);
    w->dir_len += flen;
    w->dir_len += bpx_put_varint(w->dir + w->dir_len, nlen);
    memcpy(w->dir + w->dir_len, name, nlen);
    w->dir_len += nlen;
    return 0;
}

/* The bytes of the pending group's header. */
static size_t group_head(const struct bpx_blockw *w)
{
    unsigned char v[10];
    return bpx_put_varint(v, w->flen) + w->flen + 4;
}

/* Write the pending group into the current block, or a new one. */
static int place_group(struct bpx_blockw *w)
{
    if (!w->have_group)
        return 0;
    size_t total = group_head(w) + w->glen;
    if (w->used + total > w->bsize && w->used > BLOCK_HEAD &&
        flush_block(w) != 0)
        return -1;
    if (w->used == BLOCK_HEAD &&
        dir_add(w, w->folder, w->flen, w->first, w->first_len) != 0)
        return -1;
    w->used += bpx_put_varint(w->blk + w->used, w->flen);
    memcpy(w->blk + w->used, w->folder, w->flen);
    w->used += w->flen;
    unsigned char *p = w->blk + w->used;
    p[0] = (unsigned char)w->gcount;
    p[1] = (unsigned char)(w->gcount >> 8);
    p[2] = (unsigned char)w->glen;
    p[3] = (unsigned char)(w->glen >> 8);
    w->used += 4;
    memcpy(w->blk + w->used, w->gbuf, w->glen);
    w->used += w->glen;
    w->ngroups++;
    w->have_group = 0;
    return 0;
}

int bpx_blockw_add(struct bpx_blockw *w, const char *folder, size_t flen,
                   const char *name, size_t nlen, int type, uint64_t off,
                   uint64_t size)
{
    unsigned char m[BPX_NAME_MAX + 32];
    if (flen > BPX_FOLDER_MAX || nlen > BPX_NAME_MAX) {
        errno = EINVAL;
        return -1;
    }
    size_t shared = 0;
    while (shared < flen && shared < nlen && shared < 255 &&
           folder[shared] == name[shared])
        shared++;
    size_t mlen = 0;
    m[mlen++] = (unsigned char)shared;
    mlen += bpx_put_varint(m + mlen, nlen - shared);
    memcpy(m + mlen, name + shared, nlen - shared);
    mlen += nlen - shared;
    m[mlen++] = (unsigned char)type;
    mlen += bpx_put_varint(m + mlen, off);
    mlen += bpx_put_varint(m + mlen, size);

    int same = w->have_group && flen == w->flen &&
               memcmp(folder, w->folder, flen) == 0;
    if (same && BLOCK_HEAD + group_head(w) + w->glen + mlen <= w->bsize &&
        w->gcount < 0xffff) {
        memcpy(w->gbuf + w->glen, m, mlen);
        w->glen += mlen;
        w->gcount++;
        return 0;
    }
    if (!same && (!w->nfolders || flen != w->flen ||
                  memcmp(folder, w->folder, flen) != 0))
        w->nfolders++;
    if (place_group(w) != 0)
        return -1;
    memcpy(w->folder, folder, flen);
    w->flen = flen;
    memcpy(w->first, name, nlen);
    w->first_len = nlen;
    memcpy(w->gbuf, m, mlen);
    w->glen = mlen;
    w->gcount = 1;
    w->have_group = 1;
    return 0;
}

int bpx_blockw_finish(struct bpx_blockw *w, struct bpx_idx_header *h)
{
    if (place_group(w) != 0)
        return -1;
    if (w->used > BLOCK_HEAD && flush_block(w) != 0)
        return -1;
    h->block_bytes = w->bsize;
    h->blocks_off = w->base;
    h->nblocks = w->nblocks;
    h->nfolders = w->nfolders;
    h->dir_off = w->base + w->nblocks * w->bsize;
    h->dir_len = w->dir_len;
    h->dir_crc = bp_crc32c(w->dir, w->dir_len);
    if (w->dir_len &&
        bpx_pwrite_full(w->fd, w->dir, w->dir_len, h->dir_off) != 0)
        return -1;
    return 0;
}

/* ---- reader ------------------------------------------------------------- */

struct dkey {
    const char *folder, *name;
    uint32_t flen, nlen;
};

struct bpx_idx {
    int fd;
    struct bpx_idx_header h;
    unsigned char *dir;
    struct dkey *keys;   /* one per block */
    uint64_t *sample;
    uint64_t nsample;
    unsigned char *block;
    uint64_t block_no;   /* the block in *block, or UINT64_MAX */
    size_t grp_pos;      /* the last group found in *block (0: none) */
    unsigned char *pts;  /* BPX_IDX_SAMPLE_EVERY points */
    uint64_t pts_span;   /* the span in *pts, or UINT64_MAX */
    size_t pts_n;
};

const struct bpx_idx_header *bpx_idx_header(const struct bpx_idx *x)
{
    return &x->h;
}

void bpx_idx_close(struct bpx_idx *x)
{
    if (!x)
        return;
    free(x->dir);
    free(x->keys);
    free(x->sample);
    free(x->block);
    free(x->pts);
    free(x);
}

static int read_exact(int fd, void *buf, size_t len, uint64_t off,
                      const char *what, char *why, size_t whysz)
{
    ssize_t n = bpx_pread_full(fd, buf, len, off);
    if (n < 0)
        return whyf(why, whysz, "cannot read the index's %s: %s", what,
                    strerror(errno));
    if ((size_t)n != len)
        return whyf(why, whysz, "the index's %s is cut short", what);
    return 0;
}

int bpx_idx_open(int fd, struct bpx_idx **out, char *why, size_t whysz)
{
    *out = NULL;
    unsigned char head[BPX_IDX_HEADER_BYTES];
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0)
        return whyf(why, whysz, "cannot size the index: %s", strerror(errno));
    if ((uint64_t)end < BPX_IDX_HEADER_BYTES)
        return whyf(why, whysz, "index file of %lld bytes: too short",
                    (long long)end);
    if (read_exact(fd, head, sizeof head, 0, "header", why, whysz) != 0)
        return -1;
    struct bpx_idx *x = calloc(1, sizeof *x);
    if (!x)
        return whyf(why, whysz, "out of memory");
    x->fd = fd;
    x->block_no = UINT64_MAX;
    x->pts_span = UINT64_MAX;
    if (bpx_idx_header_decode(head, (uint64_t)end, &x->h, why, whysz) != 0)
        goto fail;
    x->nsample = sample_count(x->h.npoints);
    x->dir = malloc(x->h.dir_len ? x->h.dir_len : 1);
    x->keys = calloc(x->h.nblocks ? x->h.nblocks : 1, sizeof *x->keys);
    x->sample = malloc(x->nsample ? x->nsample * 8 : 1);
    x->block = malloc(x->h.block_bytes);
    x->pts = malloc(BPX_IDX_SAMPLE_EVERY * BPX_IDX_POINT_BYTES);
    if (!x->dir || !x->keys || !x->sample || !x->block || !x->pts) {
        whyf(why, whysz, "out of memory for the index directory");
        goto fail;
    }
    if (read_exact(fd, x->dir, x->h.dir_len, x->h.dir_off, "directory", why,
                   whysz) != 0)
        goto fail;
    if (bp_crc32c(x->dir, x->h.dir_len) != x->h.dir_crc) {
        whyf(why, whysz, "index directory checksum mismatch");
        goto fail;
    }
    size_t pos = 0;
    for (uint64_t i = 0; i < x->h.nblocks; i++) {
        uint64_t flen, nlen;
        if (bpx_get_varint(x->dir, x->h.dir_len, &pos, &flen) != 0 ||
            flen > BPX_FOLDER_MAX || flen > x->h.dir_len - pos)
            goto bad_dir;
        x->keys[i].folder = (const char *)x->dir + pos;
        x->keys[i].flen = (uint32_t)flen;
        pos += flen;
        if (bpx_get_varint(x->dir, x->h.dir_len, &pos, &nlen) != 0 ||
            nlen > BPX_NAME_MAX || nlen > x->h.dir_len - pos)
            goto bad_dir;
        x->keys[i].name = (const char *)x->dir + pos;
        x->keys[i].nlen = (uint32_t)nlen;
        pos += nlen;
        if (i && bpx_keycmp(x->keys[i - 1].folder, x->keys[i - 1].flen,
                            x->keys[i].folder, x->keys[i].flen) > 0)
            goto bad_dir;
    }
    if (pos != x->h.dir_len)
        goto bad_dir;
    if (read_exact(fd, x->sample, x->nsample * 8, x->h.sample_off, "sample",
                   why, whysz) != 0)
        goto fail;
    if (bp_crc32c(x->sample, x->nsample * 8) != x->h.sample_crc) {
        whyf(why, whysz, "index point sample checksum mismatch");
        goto fail;
    }
    for (uint64_t i = 0; i < x->nsample; i++) {
        unsigned char *s = (unsigned char *)&x->sample[i];
        x->sample[i] = bpx_get64(s);
        if (i && x->sample[i] < x->sample[i - 1]) {
            whyf(why, whysz, "index point sample out of order");
            goto fail;
        }
    }
    *out = x;
    return 0;
bad_dir:
    whyf(why, whysz, "index directory malformed");
fail:
    bpx_idx_close(x);
    return -1;
}

static int load_block(struct bpx_idx *x, uint64_t i, char *why, size_t whysz)
{
    if (x->block_no == i)
        return 0;
    x->block_no = UINT64_MAX;
    x->grp_pos = 0;
    uint32_t bs = x->h.block_bytes;
    if (read_exact(x->fd, x->block, bs, x->h.blocks_off + i * bs, "block",
                   why, whysz) != 0)
        return -1;
    if (bpx_get32(x->block) != bp_crc32c(x->block + 4, bs - 4))
        return whyf(why, whysz, "index block %" PRIu64 " checksum mismatch",
                    i);
    size_t used = (size_t)x->block[4] | (size_t)x->block[5] << 8;
    if (used > bs - BLOCK_HEAD)
        return whyf(why, whysz, "index block %" PRIu64 " malformed", i);
    x->block_no = i;
    return 0;
}

struct group {
    const char *folder;
    size_t flen;
    unsigned nmembers;
    size_t start, end; /* member records */
};

/* Parse the group header at *pos of the loaded block; 0 or -1. */
static int next_group(const struct bpx_idx *x, size_t *pos, size_t end,
                      struct group *g)
{
    uint64_t flen;
    if (bpx_get_varint(x->block, end, pos, &flen) != 0 ||
        flen > BPX_FOLDER_MAX || flen + 4 > end - *pos)
        return -1;
    g->folder = (const char *)x->block + *pos;
    g->flen = (size_t)flen;
    *pos += flen;
    const unsigned char *p = x->block + *pos;
    g->nmembers = (unsigned)(p[0] | p[1] << 8);
    size_t bytes = (size_t)(p[2] | p[3] << 8);
    *pos += 4;
    if (bytes > end - *pos || g->nmembers == 0)
        return -1;
    g->start = *pos;
    g->end = *pos + bytes;
    *pos = g->end;
    return 0;
}

struct member {
    size_t shared;
    const char *rest;
    size_t rlen;
    int type;
    uint64_t off, size;
};

static int next_member(const struct bpx_idx *x, size_t *pos, size_t end,
                       const struct group *g, struct member *m)
{
    uint64_t rlen, off, size;
    if (*pos >= end)
        return -1;
    m->shared = x->block[(*pos)++];
    if (m->shared > g->flen ||
        bpx_get_varint(x->block, end, pos, &rlen) != 0 ||
        rlen > BPX_NAME_MAX || rlen + 1 > end - *pos)
        return -1;
    m->rest = (const char *)x->block + *pos;
    m->rlen = (size_t)rlen;
    *pos += rlen;
    m->type = x->block[(*pos)++];
    if (bpx_get_varint(x->block, end, pos, &off) != 0 ||
        bpx_get_varint(x->block, end, pos, &size) != 0 ||
        m->type > BPX_MEMBER_DUPLICATE || off > UINT64_MAX - size)
        return -1;
    m->off = off;
    m->size = size;
    return 0;
}

/* Order of folder[0..shared) + rest against name. */
static int member_cmp(const struct group *g, const struct member *m,
                      const char *name, size_t nlen)
{
    size_t a = m->shared < nlen ? m->shared : nlen;
    int c = memcmp(g->folder, name, a);
    if (c)
        return c;
    if (m->shared > nlen)
        return 1;
    return bpx_keycmp(m->rest, m->rlen, name + m->shared, nlen - m->shared);
}

/* The last block whose first key is <= (folder, name); -1 when none. */
static int64_t find_block(const struct bpx_idx *x, const char *folder,
                          size_t flen, const char *name, size_t nlen)
{
    int64_t lo = 0, hi = (int64_t)x->h.nblocks - 1, best = -1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        const struct dkey *k = &x->keys[mid];
        int c = bpx_keycmp(k->folder, k->flen, folder, flen);
        if (c == 0)
            c = bpx_keycmp(k->name, k->nlen, name, nlen);
        if (c <= 0) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
}

static int damaged_block(uint64_t i, char *why, size_t whysz)
{
    return whyf(why, whysz, "index block %" PRIu64 " malformed", i);
}

int bpx_idx_lookup(struct bpx_idx *x, const char *folder, size_t flen,
                   const char *name, size_t nlen, struct bpx_entry *e,
                   char *why, size_t whysz)
{
    int64_t b = find_block(x, folder, flen, name, nlen);
    if (b < 0)
        return 0;
    if (load_block(x, (uint64_t)b, why, whysz) != 0)
        return -1;
    size_t end = BLOCK_HEAD + ((size_t)x->block[4] | (size_t)x->block[5] << 8);
    size_t pos = BLOCK_HEAD;
    struct group g;
    /* Consecutive lookups in one folder start at its group. */
    if (x->grp_pos) {
        size_t p = x->grp_pos;
        if (next_group(x, &p, end, &g) == 0 &&
            bpx_keycmp(g.folder, g.flen, folder, flen) <= 0)
            pos = x->grp_pos;
    }
    while (pos < end) {
        size_t gpos = pos;
        if (next_group(x, &pos, end, &g) != 0)
            return damaged_block((uint64_t)b, why, whysz);
        int c = bpx_keycmp(g.folder, g.flen, folder, flen);
        if (c < 0)
            continue;
        if (c > 0)
            return 0;
        x->grp_pos = gpos;
        size_t mp = g.start;
        int found = 0;
        uint64_t span = 0, start = UINT64_MAX;
        for (unsigned i = 0; i < g.nmembers; i++) {
            struct member m;
            if (next_member(x, &mp, g.end, &g, &m) != 0)
                return damaged_block((uint64_t)b, why, whysz);
            if (m.off + m.size > span)
                span = m.off + m.size;
            if (m.off < start)
                start = m.off;
            if (!found && member_cmp(&g, &m, name, nlen) == 0) {
                found = 1;
                e->type = m.type;
                e->off = m.off;
                e->size = m.size;
            }
        }
        if (mp != g.end)
            return damaged_block((uint64_t)b, why, whysz);
        e->span_start = start;
        e->span_end = span;
        return found;
    }
    return 0;
}

/* Look for folder's group in block b: 1 (with the smallest data offset in
 * *off), 0 not there, -1 damaged. */
static int folder_in_block(struct bpx_idx *x, uint64_t b, const char *folder,
                           size_t flen, uint64_t *off, char *why,
                           size_t whysz)
{
    if (load_block(x, b, why, whysz) != 0)
        return -1;
    size_t end = BLOCK_HEAD + ((size_t)x->block[4] | (size_t)x->block[5] << 8);
    size_t pos = BLOCK_HEAD;
    while (pos < end) {
        struct group g;
        if (next_group(x, &pos, end, &g) != 0)
            return damaged_block(b, why, whysz);
        int c = bpx_keycmp(g.folder, g.flen, folder, flen);
        if (c < 0)
            continue;
        if (c > 0)
            return 0;
        size_t mp = g.start;
        uint64_t lo = UINT64_MAX;
        for (unsigned i = 0; i < g.nmembers; i++) {
            struct member m;
            if (next_member(x, &mp, g.end, &g, &m) != 0)
                return damaged_block(b, why, whysz);
            lo = m.off < lo ? m.off : lo;
        }
        *off = lo;
        return 1;
    }
    return 0;
}

int bpx_idx_folder_offset(struct bpx_idx *x, const char *folder, size_t flen,
                          uint64_t *off, char *why, size_t whysz)
{
    if (!x->h.nblocks)
        return 0;
    int64_t b = find_block(x, folder, flen, "", 0);
    uint64_t first = b < 0 ? 0 : (uint64_t)b;
    for (uint64_t i = first; i < x->h.nblocks && i <= first + 1; i++) {
        int rc = folder_in_block(x, i, folder, flen, off, why, whysz);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int bpx_idx_has_folder(struct bpx_idx *x, const char *folder, size_t flen,
                       char *why, size_t whysz)
{
    uint64_t off;
    return bpx_idx_folder_offset(x, folder, flen, &off, why, whysz);
}

int bpx_idx_point(struct bpx_idx *x, uint64_t uoff, struct bpx_point *p,
                  char *why, size_t whysz)
{
    if (!x->nsample || x->sample[0] > uoff)
        return 0;
    uint64_t lo = 0, hi = x->nsample - 1;
    while (lo < hi) { /* the last sample <= uoff */
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (x->sample[mid] <= uoff)
            lo = mid;
        else
            hi = mid - 1;
    }
    if (x->pts_span != lo) {
        uint64_t first = lo * BPX_IDX_SAMPLE_EVERY;
        uint64_t n = x->h.npoints - first;
        n = n < BPX_IDX_SAMPLE_EVERY ? n : BPX_IDX_SAMPLE_EVERY;
        x->pts_span = UINT64_MAX;
        if (read_exact(x->fd, x->pts, (size_t)n * BPX_IDX_POINT_BYTES,
                       x->h.points_off + first * BPX_IDX_POINT_BYTES,
                       "access points", why, whysz) != 0)
            return -1;
        x->pts_span = lo;
        x->pts_n = (size_t)n;
    }
    /* The last point of the span with uoff <= the target. */
    size_t a = 0, bhi = x->pts_n - 1;
    while (a < bhi) {
        size_t mid = a + (bhi - a + 1) / 2;
        if (bpx_get64(x->pts + mid * BPX_IDX_POINT_BYTES) <= uoff)
            a = mid;
        else
            bhi = mid - 1;
    }
    if (bpx_point_decode(x->pts + a * BPX_IDX_POINT_BYTES, p) != 0 ||
        (a == 0 && p->uoff != x->sample[lo]) || p->uoff > uoff ||
        !fits(p->woff, p->wlen, x->h.file_bytes)) {
        x->pts_span = UINT64_MAX;
        return whyf(why, whysz, "index access point %" PRIu64 " damaged",
                    lo * BPX_IDX_SAMPLE_EVERY + a);
    }
    return 1;
}

int bpx_idx_read_window(struct bpx_idx *x, const struct bpx_point *p,
                        unsigned char *buf, size_t cap, char *why,
                        size_t whysz)
{
    if (p->wlen > cap)
        return whyf(why, whysz, "index window too large");
    if (read_exact(x->fd, buf, p->wlen, p->woff, "window", why, whysz) != 0)
        return -1;
    if (bp_crc32c(buf, p->wlen) != p->wcrc)
        return whyf(why, whysz,
                    "index window at byte %" PRIu64 " checksum mismatch",
                    p->woff);
    return 0;
}

int bpx_idx_walk(struct bpx_idx *x, bpx_idx_visit_fn fn, void *ctx,
                 char *why, size_t whysz)
{
    char folder[BPX_FOLDER_MAX + 1], name[BPX_NAME_MAX + 1];
    char prev_f[BPX_FOLDER_MAX + 1], prev_n[BPX_NAME_MAX + 1];
    size_t prev_flen = 0, prev_nlen = 0;
    int have_prev = 0;
    uint64_t members = 0;
    for (uint64_t b = 0; b < x->h.nblocks; b++) {
        if (load_block(x, b, why, whysz) != 0)
            return -1;
        size_t end =
            BLOCK_HEAD + ((size_t)x->block[4] | (size_t)x->block[5] << 8);
        size_t pos = BLOCK_HEAD;
        while (pos < end) {
            struct group g;
            if (next_group(x, &pos, end, &g) != 0)
                return damaged_block(b, why, whysz);
            memcpy(folder, g.folder, g.flen);
            folder[g.flen] = '\0';
            size_t mp = g.start;
            for (unsigned i = 0; i < g.nmembers; i++) {
                struct member m;
                if (next_member(x, &mp, g.end, &g, &m) != 0 ||
                    m.shared + m.rlen > BPX_NAME_MAX)
                    return damaged_block(b, why, whysz);
                memcpy(name, g.folder, m.shared);
                memcpy(name + m.shared, m.rest, m.rlen);
                size_t nlen = m.shared + m.rlen;
                name[nlen] = '\0';
                /* Strictly increasing keys: no repeats, no disorder. */
                int c = have_prev ? bpx_keycmp(prev_f, prev_flen, folder,
                                               g.flen)
                                  : -1;
                if (c == 0)
                    c = bpx_keycmp(prev_n, prev_nlen, name, nlen);
                if (c >= 0)
                    return whyf(why, whysz,
                                "index block %" PRIu64 " out of order", b);
                memcpy(prev_f, folder, g.flen + 1);
                memcpy(prev_n, name, nlen + 1);
                prev_flen = g.flen;
                prev_nlen = nlen;
                have_prev = 1;
                members++;
                struct bpx_entry e = {m.type, m.off, m.size, m.off, m.off + m.size};
                if (fn) {
                    int rc = fn(ctx, folder, name, &e);
                    if (rc)
                        return rc;
                }
            }
            if (mp != g.end)
                return damaged_block(b, why, whysz);
        }
    }
    if (members != x->h.nmembers)
        return whyf(why, whysz,
                    "index holds %" PRIu64 " members, its header says %" PRIu64,
                    members, x->h.nmembers);
    return 0;
}

int bpx_idx_verify(struct bpx_idx *x, char *why, size_t whysz)
{
    if (bpx_idx_walk(x, NULL, NULL, why, whysz) != 0)
        return -1;
    unsigned char win[BPX_WINDOW + 1024];
    uint64_t prev = 0;
    x->pts_span = UINT64_MAX; /* x->pts is used as the read buffer */
    for (uint64_t i = 0; i < x->h.npoints; i++) {
        size_t k = (size_t)(i % BPX_IDX_SAMPLE_EVERY);
        if (k == 0) {
            uint64_t n = x->h.npoints - i;
            n = n < BPX_IDX_SAMPLE_EVERY ? n : BPX_IDX_SAMPLE_EVERY;
            if (read_exact(x->fd, x->pts, (size_t)n * BPX_IDX_POINT_BYTES,
                           x->h.points_off + i * BPX_IDX_POINT_BYTES,
                           "access points", why, whysz) != 0)
                return -1;
        }
        const unsigned char *rec = x->pts + k * BPX_IDX_POINT_BYTES;
        struct bpx_point p;
        if (bpx_point_decode(rec, &p) != 0 || (i && p.uoff < prev) ||
            (i % BPX_IDX_SAMPLE_EVERY == 0 &&
             x->sample[i / BPX_IDX_SAMPLE_EVERY] != p.uoff) ||
            !fits(p.woff, p.wlen, x->h.file_bytes))
            return whyf(why, whysz, "index access point %" PRIu64 " damaged",
                        i);
        prev = p.uoff;
        if (p.wlen && bpx_idx_read_window(x, &p, win, sizeof win, why,
                                          whysz) != 0)
            return -1;
    }
    return 0;
}
