/* build_scan.c - the read of the indexing pass: a gzip file inflated
 * member by member with access points every spacing bytes of tar stream,
 * or a plain tar read in large pieces; the tar bytes go to the parser
 * (build_members.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/log.h"
#include "build_int.h"
#include "bytes.h"
#include "common/crc32c.h"
#include "common/stop.h"

static int add_point(struct builder *b, const struct bpx_point *pt)
{
    if (b->npoints == b->points_cap) {
        size_t cap = b->points_cap ? 2 * b->points_cap : 1024;
        struct bpx_point *np = realloc(b->points, cap * sizeof *np);
        if (!np)
            return -1;
        b->points = np;
        b->points_cap = cap;
    }
    b->points[b->npoints++] = *pt;
    return 0;
}

/* An access point inside a deflate stream: the window is the last bytes
 * of output before it, deflated and appended to the windows section. */
static int add_window_point(struct builder *b, uint64_t uoff, uint64_t coff,
                            int bits, const unsigned char *win, size_t wlen)
{
    struct bpx_point pt = {0};
    pt.uoff = uoff;
    pt.coff = coff;
    pt.bits = (uint8_t)bits;
    pt.kind = BPX_POINT_DEFLATE;
    pt.raw_len = (uint16_t)wlen;
    pt.woff = BPX_IDX_HEADER_BYTES + b->windows_len;
    deflateReset(&b->def);
    b->def.next_in = (unsigned char *)win;
    b->def.avail_in = (unsigned)wlen;
    b->def.next_out = b->wz;
    b->def.avail_out = BPX_WINDOW + 1024;
    if (deflate(&b->def, Z_FINISH) != Z_STREAM_END) {
        errno = EOVERFLOW;
        return -1;
    }
    pt.wlen = (uint32_t)(BPX_WINDOW + 1024 - b->def.avail_out);
    pt.wcrc = bp_crc32c(b->wz, pt.wlen);
    if (bpx_pwrite_full(b->ifd, b->wz, pt.wlen, pt.woff) != 0)
        return -1;
    b->windows_len += pt.wlen;
    return add_point(b, &pt);
}

/* Read the next chunk at file offset pos into b->in; bytes read (0 at the
 * end), or -1 (logged). */
static ssize_t read_in(struct builder *b, uint64_t pos)
{
    if (bp_stop_signal) { /* SIGTERM and the like: stop between reads */
        b->stopped = (int)bp_stop_signal;
        errno = EINTR;
        return -1;
    }
    ssize_t n = bpx_pread_full(b->fd, b->in, IN_BYTES, pos);
    if (n < 0)
        BP_ERROR("%s: read error at byte %" PRIu64 ": %s", b->archive, pos,
                 strerror(errno));
    return n;
}

/* The compressed input in b->in: where it lies in the file. */
struct input {
    uint64_t off;
    size_t len;
};

/* Read the chunk after the one in b->in and point the inflater at it. */
static int next_input(struct builder *b, struct input *in, int *eof)
{
    in->off += in->len;
    ssize_t n = read_in(b, in->off);
    if (n < 0)
        return -1;
    in->len = (size_t)n;
    b->inf.next_in = b->in;
    b->inf.avail_in = (unsigned)n;
    *eof = n == 0;
    bpx_build_progress(b, in->off);
    return 0;
}

/* After the last gzip member only zeros may follow (tape padding). 0 when
 * so, or 1 with the damage recorded; -1 on a read error. */
static int check_zero_tail(struct builder *b, const unsigned char *p,
                           size_t n, uint64_t pos)
{
    for (;;) {
        for (size_t i = 0; i < n; i++)
            if (p[i]) {
                bpx_build_damage(b, b->stream_bytes,
                           "byte %" PRIu64 " after gzip member %" PRIu64
                           " is not the start of another gzip member",
                           pos + i, b->gz_members);
                return 1;
            }
        pos += n;
        ssize_t r = read_in(b, pos);
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        p = b->in;
        n = (size_t)r;
    }
}

/* The state of the pass over a gzip file. */
struct gz_scan {
    struct input in;
    int eof;
    size_t opos;       /* b->out[0..opos): output, the last 32 KiB kept */
    uint64_t last_point, member_start_u, member_start_c;
    int stop;          /* the tar parser stopped the pass */
};

static int no_memory(struct builder *b)
{
    BP_ERROR("%s: out of memory for the access points", b->archive);
    errno = ENOMEM;
    return -1;
}

/* One inflate call into b->out, its output fed to the tar parser. Sets
 * *due (an access point is due: inflate stopped at a block boundary) and
 * *cpos (the file offset of the next input byte); returns inflate's
 * result. */
static int inflate_step(struct builder *b, struct gz_scan *s, int *due,
                        uint64_t *cpos)
{
    z_stream *zs = &b->inf;
    if (s->opos == OUT_BYTES + BPX_WINDOW) {
        memmove(b->out, b->out + OUT_BYTES, BPX_WINDOW);
        s->opos = BPX_WINDOW;
    }
    zs->next_out = b->out + s->opos;
    size_t room = OUT_BYTES + BPX_WINDOW - s->opos;
    *due = b->stream_bytes - s->last_point >= b->spacing;
    /* Until the next point is due, stop where it becomes due; then
     * look for the next deflate block boundary (Z_BLOCK). */
    if (!*due && s->last_point + b->spacing - b->stream_bytes < room)
        room = (size_t)(s->last_point + b->spacing - b->stream_bytes);
    zs->avail_out = (unsigned)room;
    int ret = inflate(zs, *due ? Z_BLOCK : Z_NO_FLUSH);
    size_t produced = (size_t)(zs->next_out - (b->out + s->opos));
    if (produced) {
        if (bpx_build_feed_tar(b, b->out + s->opos, produced) == 2)
            s->stop = 1;
        s->opos += produced;
        b->stream_bytes += produced;
    }
    *cpos = s->in.off + (uint64_t)(zs->next_in - b->in);
    return ret;
}

/* An access point at a deflate block boundary, when one is due and the
 * stream has one here. 0, or -1 when the window cannot be written
 * (logged). */
static int window_point(struct builder *b, struct gz_scan *s, uint64_t cpos)
{
    z_stream *zs = &b->inf;
    if (s->stop || b->tar_damaged || !(zs->data_type & 128) ||
        (zs->data_type & 64) || b->stream_bytes <= s->last_point)
        return 0;
    size_t wl = b->stream_bytes < BPX_WINDOW ? (size_t)b->stream_bytes
                                             : BPX_WINDOW;
    if (add_window_point(b, b->stream_bytes, cpos, zs->data_type & 7,
                         b->out + s->opos - wl, wl) != 0) {
        BP_ERROR("%s: cannot write %s: %s", b->archive, b->index_path,
                 strerror(errno));
        return -1;
    }
    s->last_point = b->stream_bytes;
    return 0;
}

/* No input left inside a member: the file is cut short. */
static void truncated(struct builder *b, uint64_t cpos)
{
    uint64_t toff;
    const char *tar_why = "";
    if (!b->tar_damaged && bpx_tar_finish(b->tar) != 0)
        tar_why = bpx_tar_error(b->tar, &toff);
    b->tar_damaged = 1;
    bpx_build_damage(b, b->stream_bytes,
                     "the gzip data ends inside gzip member %" PRIu64
                     " (truncated at byte %" PRIu64 ")%s%s",
                     b->gz_members + 1, cpos, *tar_why ? ": " : "", tar_why);
}

/* A gzip member ended: another one, zeros, or something else follows.
 * 0 to go on with the next member, 1 at the end of the file (damage
 * recorded when something else follows), -1 on a read error or no memory
 * (logged). */
static int member_end(struct builder *b, struct gz_scan *s)
{
    z_stream *zs = &b->inf;
    b->gz_members++;
    while (zs->avail_in == 0 && !s->eof)
        if (next_input(b, &s->in, &s->eof) != 0)
            return -1;
    if (zs->avail_in == 0)
        return 1; /* the end */
    if (zs->next_in[0] == 0) {
        int z = check_zero_tail(b, zs->next_in, zs->avail_in,
                                s->in.off + (uint64_t)(zs->next_in - b->in));
        return z < 0 ? -1 : 1;
    }
    s->member_start_u = b->stream_bytes;
    s->member_start_c = s->in.off + (uint64_t)(zs->next_in - b->in);
    inflateReset(zs);
    if (b->stream_bytes - s->last_point >= b->spacing) {
        struct bpx_point pt = {0};
        pt.uoff = s->member_start_u;
        pt.coff = s->member_start_c;
        pt.kind = BPX_POINT_MEMBER;
        if (add_point(b, &pt) != 0)
            return no_memory(b);
        s->last_point = s->member_start_u;
    }
    return 0;
}

/* Z_DATA_ERROR and friends: the data is damaged. */
static void data_error(struct builder *b, const struct gz_scan *s,
                       uint64_t cpos)
{
    const char *msg = b->inf.msg ? b->inf.msg : "inflate error";
    if (strcmp(msg, "incorrect data check") == 0 ||
        strcmp(msg, "incorrect length check") == 0)
        bpx_build_damage(b, s->member_start_u,
                         "gzip member %" PRIu64 " (from byte %" PRIu64
                         " of the file) fails its %s check: its data is "
                         "damaged",
                         b->gz_members + 1, s->member_start_c,
                         msg[10] == 'd' ? "CRC-32" : "length");
    else
        bpx_build_damage(b, s->member_start_u,
                         "damaged gzip data in member %" PRIu64
                         " near byte %" PRIu64 " of the file: %s",
                         b->gz_members + 1, cpos, msg);
}

/* A gzip file: inflate every member (zlib checks each CRC-32 and length),
 * feed the tar parser, take access points. */
int bpx_build_scan_gzip(struct builder *b)
{
    z_stream *zs = &b->inf;
    struct gz_scan s;
    memset(&s, 0, sizeof s);
    struct bpx_point first = {0};
    first.kind = BPX_POINT_MEMBER;
    if (add_point(b, &first) != 0)
        return no_memory(b);
    zs->next_in = b->in;
    zs->avail_in = 0;
    while (!s.stop) {
        if (zs->avail_in == 0 && !s.eof && next_input(b, &s.in, &s.eof) != 0)
            return -1;
        int due;
        uint64_t cpos;
        int ret = inflate_step(b, &s, &due, &cpos);
        if (ret == Z_OK || (ret == Z_BUF_ERROR && !(s.eof && !zs->avail_in))) {
            if (due && window_point(b, &s, cpos) != 0)
                return -1;
            continue;
        }
        if (ret == Z_BUF_ERROR) { /* no input left inside a member */
            truncated(b, cpos);
            break;
        }
        if (ret == Z_STREAM_END) {
            int rc = member_end(b, &s);
            if (rc < 0)
                return -1;
            if (rc > 0)
                break;
            continue;
        }
        data_error(b, &s, cpos);
        break;
    }
    return 0;
}

/* A plain tar: large reads, jumping over long member data. */
int bpx_build_scan_tar(struct builder *b)
{
    uint64_t pos = 0;
    for (;;) {
        uint64_t skip = bpx_tar_skippable(b->tar);
        if (skip > IN_BYTES) {
            uint64_t left = pos < b->fp.size ? b->fp.size - pos : 0;
            skip = skip < left ? skip : left;
            bpx_tar_skip(b->tar, skip);
            pos += skip;
        }
        ssize_t n = read_in(b, pos);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        pos += (uint64_t)n;
        bpx_build_progress(b, pos);
        if (bpx_build_feed_tar(b, b->in, (size_t)n))
            break;
    }
    b->stream_bytes = pos;
    return 0;
}
