/* idxwrite.c - the member table of an index file written block by block,
 * each folder's members kept in one block where they fit, and the block
 * directory (see idxfile.h). */
#include "idxfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "common/crc32c.h"

/* ---- block writer ------------------------------------------------------- */

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
    w->used = BPX_IDX_BLOCK_HEAD;
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
    size_t content = w->used - BPX_IDX_BLOCK_HEAD;
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
    w->used = BPX_IDX_BLOCK_HEAD;
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
    if (w->used + total > w->bsize && w->used > BPX_IDX_BLOCK_HEAD &&
        flush_block(w) != 0)
        return -1;
    if (w->used == BPX_IDX_BLOCK_HEAD &&
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
    if (same &&
        BPX_IDX_BLOCK_HEAD + group_head(w) + w->glen + mlen <= w->bsize &&
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
    if (w->used > BPX_IDX_BLOCK_HEAD && flush_block(w) != 0)
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
