/* idxread.c - an index file opened for reading: its directory and point
 * sample held in memory, members looked up one block at a time, access
 * points found, the whole file walked and checked (see idxfile.h). */
#include "idxfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "common/crc32c.h"
#include "tar.h"

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
        return bpx_whyf(why, whysz, "cannot read the index's %s: %s", what,
                    strerror(errno));
    if ((size_t)n != len)
        return bpx_whyf(why, whysz, "the index's %s is cut short", what);
    return 0;
}

/* The block directory, read, checked and parsed into x->keys. 0, or -1
 * (why). */
static int read_directory(struct bpx_idx *x, char *why, size_t whysz)
{
    if (read_exact(x->fd, x->dir, x->h.dir_len, x->h.dir_off, "directory",
                   why, whysz) != 0)
        return -1;
    if (bp_crc32c(x->dir, x->h.dir_len) != x->h.dir_crc)
        return bpx_whyf(why, whysz, "index directory checksum mismatch");
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
    if (pos == x->h.dir_len)
        return 0;
bad_dir:
    return bpx_whyf(why, whysz, "index directory malformed");
}

/* The point sample, read, checked and put in host order. 0, or -1 (why). */
static int read_sample(struct bpx_idx *x, char *why, size_t whysz)
{
    if (read_exact(x->fd, x->sample, x->nsample * 8, x->h.sample_off,
                   "sample", why, whysz) != 0)
        return -1;
    if (bp_crc32c(x->sample, x->nsample * 8) != x->h.sample_crc)
        return bpx_whyf(why, whysz, "index point sample checksum mismatch");
    for (uint64_t i = 0; i < x->nsample; i++) {
        unsigned char *s = (unsigned char *)&x->sample[i];
        x->sample[i] = bpx_get64(s);
        if (i && x->sample[i] < x->sample[i - 1])
            return bpx_whyf(why, whysz, "index point sample out of order");
    }
    return 0;
}

int bpx_idx_open(int fd, struct bpx_idx **out, char *why, size_t whysz)
{
    *out = NULL;
    unsigned char head[BPX_IDX_HEADER_BYTES];
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0)
        return bpx_whyf(why, whysz, "cannot size the index: %s",
                        strerror(errno));
    if ((uint64_t)end < BPX_IDX_HEADER_BYTES)
        return bpx_whyf(why, whysz, "index file of %lld bytes: too short",
                        (long long)end);
    if (read_exact(fd, head, sizeof head, 0, "header", why, whysz) != 0)
        return -1;
    struct bpx_idx *x = calloc(1, sizeof *x);
    if (!x)
        return bpx_whyf(why, whysz, "out of memory");
    x->fd = fd;
    x->block_no = UINT64_MAX;
    x->pts_span = UINT64_MAX;
    if (bpx_idx_header_decode(head, (uint64_t)end, &x->h, why, whysz) != 0)
        goto fail;
    x->nsample = bpx_sample_count(x->h.npoints);
    x->dir = malloc(x->h.dir_len ? x->h.dir_len : 1);
    x->keys = calloc(x->h.nblocks ? x->h.nblocks : 1, sizeof *x->keys);
    x->sample = malloc(x->nsample ? x->nsample * 8 : 1);
    x->block = malloc(x->h.block_bytes);
    x->pts = malloc(BPX_IDX_SAMPLE_EVERY * BPX_IDX_POINT_BYTES);
    if (!x->dir || !x->keys || !x->sample || !x->block || !x->pts) {
        bpx_whyf(why, whysz, "out of memory for the index directory");
        goto fail;
    }
    if (read_directory(x, why, whysz) != 0 || read_sample(x, why, whysz) != 0)
        goto fail;
    *out = x;
    return 0;
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
        return bpx_whyf(why, whysz, "index block %" PRIu64 " checksum mismatch",
                    i);
    size_t used = (size_t)x->block[4] | (size_t)x->block[5] << 8;
    if (used > bs - BPX_IDX_BLOCK_HEAD)
        return bpx_whyf(why, whysz, "index block %" PRIu64 " malformed", i);
    x->block_no = i;
    return 0;
}

/* The end of the groups in the loaded block. */
static size_t block_end(const struct bpx_idx *x)
{
    return BPX_IDX_BLOCK_HEAD +
           ((size_t)x->block[4] | (size_t)x->block[5] << 8);
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
    return bpx_whyf(why, whysz, "index block %" PRIu64 " malformed", i);
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
    size_t end = block_end(x);
    size_t pos = BPX_IDX_BLOCK_HEAD;
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
    size_t end = block_end(x);
    size_t pos = BPX_IDX_BLOCK_HEAD;
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
        !bpx_fits(p->woff, p->wlen, x->h.file_bytes)) {
        x->pts_span = UINT64_MAX;
        return bpx_whyf(why, whysz, "index access point %" PRIu64 " damaged",
                    lo * BPX_IDX_SAMPLE_EVERY + a);
    }
    return 1;
}

int bpx_idx_read_window(struct bpx_idx *x, const struct bpx_point *p,
                        unsigned char *buf, size_t cap, char *why,
                        size_t whysz)
{
    if (p->wlen > cap)
        return bpx_whyf(why, whysz, "index window too large");
    if (read_exact(x->fd, buf, p->wlen, p->woff, "window", why, whysz) != 0)
        return -1;
    if (bp_crc32c(buf, p->wlen) != p->wcrc)
        return bpx_whyf(why, whysz,
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
        size_t end = block_end(x);
        size_t pos = BPX_IDX_BLOCK_HEAD;
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
                    return bpx_whyf(why, whysz,
                                "index block %" PRIu64 " out of order", b);
                memcpy(prev_f, folder, g.flen + 1);
                memcpy(prev_n, name, nlen + 1);
                prev_flen = g.flen;
                prev_nlen = nlen;
                have_prev = 1;
                members++;
                struct bpx_entry e = {m.type, m.off, m.size, m.off,
                                      m.off + m.size};
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
        return bpx_whyf(why, whysz,
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
            !bpx_fits(p.woff, p.wlen, x->h.file_bytes))
            return bpx_whyf(why, whysz,
                            "index access point %" PRIu64 " damaged", i);
        prev = p.uoff;
        if (p.wlen && bpx_idx_read_window(x, &p, win, sizeof win, why,
                                          whysz) != 0)
            return -1;
    }
    return 0;
}
