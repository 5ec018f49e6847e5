/* build.c - the indexing pass: one sequential read of an archive that
 * writes its index file (see archive.h and idxfile.h). */
#define _GNU_SOURCE /* O_TMPFILE */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "bytes.h"
#include "common/crc32c.h"
#include "fingerprint.h"
#include "idxfile.h"
#include "paths.h"
#include "sort.h"
#include "tar.h"

#define IN_BYTES (1u << 20)
#define OUT_BYTES (1u << 20) /* plus BPX_WINDOW bytes of history */
#define SORT_MEMORY_DEFAULT (16u << 20)
#define DUP_WARNINGS 10
#define LONG_WARNINGS 10

/* Why the tar callback stopped the pass. */
enum { STOP_FATAL = 2, STOP_SORT = 3 };

struct builder {
    const char *archive;
    const char *index_path;
    enum bp_root_kind kind;
    int fd;             /* the archive */
    int ifd;            /* the index being written */
    int anon;           /* ifd is an unnamed O_TMPFILE */
    char tmp[4096];     /* the temporary name */
    struct bpx_fingerprint fp;
    uint64_t spacing;
    unsigned progress;
    double t0, next_progress;
    struct bpx_tar *tar;
    struct bpx_sorter *sorter;
    int sort_errno;
    char top[256];
    size_t top_len;
    int have_top;
    char fatal[1024];   /* why the archive cannot be indexed */
    unsigned char *in, *out, *wz;
    z_stream inf, def;
    int inf_ok, def_ok;
    struct bpx_point *points;
    size_t npoints, points_cap;
    uint64_t windows_len;
    uint64_t stream_bytes, gz_members;
    int damaged, tar_damaged;
    uint64_t damage_off;
    char damage[512];
    /* writing the sorted member table */
    struct bpx_blockw *bw;
    char pf[BPX_FOLDER_MAX], pn[BPX_NAME_MAX];
    size_t pflen, pnlen;
    int ptype, have_pend;
    uint64_t poff, psize;
    uint64_t added, members, duplicates, too_long;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(struct builder *b, uint64_t done)
{
    if (!b->progress)
        return;
    double t = now();
    if (t < b->next_progress)
        return;
    b->next_progress = t + b->progress;
    double mb = (double)done / 1e6;
    BP_INFO("indexing %s: %.0f of %.0f MB read (%.0f%%), %.0f MB/s",
            b->archive, mb, (double)b->fp.size / 1e6,
            b->fp.size ? 100.0 * (double)done / (double)b->fp.size : 100.0,
            t > b->t0 ? mb / (t - b->t0) : 0.0);
}

static void set_damage(struct builder *b, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_damage(struct builder *b, uint64_t off, const char *fmt, ...)
{
    /* The earliest damage counts: a bad gzip member also makes the tar
     * headers decoded from it untrustworthy. */
    if (b->damaged && b->damage_off <= off)
        return;
    b->damaged = 1;
    b->damage_off = off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->damage, sizeof b->damage, fmt, ap);
    va_end(ap);
}

/* A member name without leading "./" and "/" and without trailing "/". */
static const char *normalize(const char *name, size_t *len)
{
    const char *p = name;
    size_t n = *len;
    for (;;) {
        if (n >= 2 && p[0] == '.' && p[1] == '/') {
            p += 2;
            n -= 2;
        } else if (n >= 1 && p[0] == '/') {
            p++;
            n--;
        } else {
            break;
        }
    }
    if (n == 1 && p[0] == '.')
        n = 0;
    while (n && p[n - 1] == '/')
        n--;
    *len = n;
    return p;
}

static int on_member(void *ctx, const struct bpx_tar_member *m)
{
    struct builder *b = ctx;
    size_t n = m->name_len;
    const char *p = normalize(m->name, &n);
    if (!n)
        return 0; /* "./": the archive's own root */
    const char *slash = memchr(p, '/', n);
    size_t tlen = slash ? (size_t)(slash - p) : n;
    if (!slash && m->type != BPX_MEMBER_DIR) {
        snprintf(b->fatal, sizeof b->fatal,
                 "member '%.*s' lies outside any folder: the archive must "
                 "hold a single top-level folder (such as BigEarthNet-v1.0/) "
                 "with the patch folders in it",
                 (int)(n < 300 ? n : 300), p);
        return STOP_FATAL;
    }
    if (!b->have_top) {
        if (tlen >= sizeof b->top) {
            snprintf(b->fatal, sizeof b->fatal,
                     "top-level folder name of %zu bytes is too long", tlen);
            return STOP_FATAL;
        }
        memcpy(b->top, p, tlen);
        b->top[tlen] = '\0';
        b->top_len = tlen;
        b->have_top = 1;
    } else if (tlen != b->top_len || memcmp(p, b->top, tlen) != 0) {
        snprintf(b->fatal, sizeof b->fatal,
                 "member '%.*s' lies outside the top-level folder '%s': the "
                 "archive must hold a single top-level folder",
                 (int)(n < 300 ? n : 300), p, b->top);
        return STOP_FATAL;
    }
    if (!slash)
        return 0; /* the top folder's own entry */
    const char *rel = slash + 1;
    size_t rlen = n - tlen - 1;
    const char *s2 = memchr(rel, '/', rlen);
    const char *folder = "", *name = rel;
    size_t flen = 0, nlen = rlen;
    if (s2) {
        folder = rel;
        flen = (size_t)(s2 - rel);
        name = s2 + 1;
        nlen = rlen - flen - 1;
    } else if (m->type == BPX_MEMBER_DIR) {
        return 0; /* a patch folder's own entry */
    }
    if (!nlen)
        return 0;
    if (flen > BPX_FOLDER_MAX || nlen > BPX_NAME_MAX) {
        if (b->too_long++ < LONG_WARNINGS)
            BP_WARN("%s: member '%.200s...' has a name too long to index "
                    "(folder at most %u bytes, file name %u): left out",
                    b->archive, p, BPX_FOLDER_MAX, BPX_NAME_MAX);
        return 0;
    }
    if (bpx_sorter_add(b->sorter, folder, flen, name, nlen, m->type,
                       m->data_offset, m->size) != 0) {
        b->sort_errno = errno;
        return STOP_SORT;
    }
    b->added++;
    return 0;
}

/* Feed tar bytes; 0 to go on, 1 when the tar stream is damaged (recorded;
 * a gzip stream is still inflated to its end to check its CRC-32s), 2 to
 * stop (a fatal problem or sort failure in b). */
static int feed_tar(struct builder *b, const unsigned char *p, size_t len)
{
    if (b->tar_damaged)
        return 1;
    int rc = bpx_tar_feed(b->tar, p, len, on_member, b);
    if (rc == 0)
        return 0;
    if (rc < 0) {
        uint64_t off;
        const char *why = bpx_tar_error(b->tar, &off);
        set_damage(b, off, "%s", why);
        b->tar_damaged = 1;
        return 1;
    }
    return 2;
}

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
    progress(b, in->off);
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
                set_damage(b, b->stream_bytes,
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

/* The pass over a gzip file: inflate every member (zlib checks each CRC-32
 * and length), feed the tar parser, take access points. 0, or -1 on a read
 * or write error or no memory (logged). Damage is recorded, not an error. */
static int scan_gzip(struct builder *b)
{
    z_stream *zs = &b->inf;
    struct input in = {0, 0};
    int eof = 0;
    size_t opos = 0;       /* b->out[0..opos): output, the last 32 KiB kept */
    uint64_t last_point = 0, member_start_u = 0, member_start_c = 0;
    int stop = 0;
    struct bpx_point first = {0};
    first.kind = BPX_POINT_MEMBER;
    if (add_point(b, &first) != 0)
        goto nomem;
    zs->next_in = b->in;
    zs->avail_in = 0;
    while (!stop) {
        if (zs->avail_in == 0 && !eof && next_input(b, &in, &eof) != 0)
            return -1;
        if (opos == OUT_BYTES + BPX_WINDOW) {
            memmove(b->out, b->out + OUT_BYTES, BPX_WINDOW);
            opos = BPX_WINDOW;
        }
        zs->next_out = b->out + opos;
        size_t room = OUT_BYTES + BPX_WINDOW - opos;
        int due = b->stream_bytes - last_point >= b->spacing;
        /* Until the next point is due, stop where it becomes due; then
         * look for the next deflate block boundary (Z_BLOCK). */
        if (!due && last_point + b->spacing - b->stream_bytes < room)
            room = (size_t)(last_point + b->spacing - b->stream_bytes);
        zs->avail_out = (unsigned)room;
        int ret = inflate(zs, due ? Z_BLOCK : Z_NO_FLUSH);
        size_t produced = (size_t)(zs->next_out - (b->out + opos));
        if (produced) {
            if (feed_tar(b, b->out + opos, produced) == 2)
                stop = 1;
            opos += produced;
            b->stream_bytes += produced;
        }
        uint64_t cpos = in.off + (uint64_t)(zs->next_in - b->in);
        if (ret == Z_OK || (ret == Z_BUF_ERROR && !(eof && !zs->avail_in))) {
            if (due && !stop && !b->tar_damaged && (zs->data_type & 128) &&
                !(zs->data_type & 64) && b->stream_bytes > last_point) {
                size_t wl = b->stream_bytes < BPX_WINDOW ? (size_t)b->stream_bytes
                                                         : BPX_WINDOW;
                if (add_window_point(b, b->stream_bytes, cpos,
                                     zs->data_type & 7, b->out + opos - wl,
                                     wl) != 0)
                    goto write_failed;
                last_point = b->stream_bytes;
            }
            continue;
        }
        if (ret == Z_BUF_ERROR) { /* no input left inside a member */
            uint64_t toff;
            const char *tar_why = "";
            if (!b->tar_damaged && bpx_tar_finish(b->tar) != 0)
                tar_why = bpx_tar_error(b->tar, &toff);
            b->tar_damaged = 1;
            set_damage(b, b->stream_bytes,
                       "the gzip data ends inside gzip member %" PRIu64
                       " (truncated at byte %" PRIu64 ")%s%s",
                       b->gz_members + 1, cpos, *tar_why ? ": " : "",
                       tar_why);
            break;
        }
        if (ret == Z_STREAM_END) {
            b->gz_members++;
            /* Another member, zeros, or something else? */
            while (zs->avail_in == 0 && !eof)
                if (next_input(b, &in, &eof) != 0)
                    return -1;
            if (zs->avail_in == 0)
                break; /* the end */
            if (zs->next_in[0] == 0) {
                int z = check_zero_tail(b, zs->next_in, zs->avail_in,
                                        in.off + (uint64_t)(zs->next_in -
                                                            b->in));
                if (z < 0)
                    return -1;
                break;
            }
            member_start_u = b->stream_bytes;
            member_start_c = in.off + (uint64_t)(zs->next_in - b->in);
            inflateReset(zs);
            if (b->stream_bytes - last_point >= b->spacing) {
                struct bpx_point pt = {0};
                pt.uoff = member_start_u;
                pt.coff = member_start_c;
                pt.kind = BPX_POINT_MEMBER;
                if (add_point(b, &pt) != 0)
                    goto nomem;
                last_point = member_start_u;
            }
            continue;
        }
        /* Z_DATA_ERROR and friends: the data is damaged. */
        const char *msg = zs->msg ? zs->msg : "inflate error";
        if (strcmp(msg, "incorrect data check") == 0 ||
            strcmp(msg, "incorrect length check") == 0)
            set_damage(b, member_start_u,
                       "gzip member %" PRIu64 " (from byte %" PRIu64
                       " of the file) fails its %s check: its data is "
                       "damaged",
                       b->gz_members + 1, member_start_c,
                       msg[10] == 'd' ? "CRC-32" : "length");
        else
            set_damage(b, member_start_u,
                       "damaged gzip data in member %" PRIu64
                       " near byte %" PRIu64 " of the file: %s",
                       b->gz_members + 1, cpos, msg);
        break;
    }
    return 0;
nomem:
    BP_ERROR("%s: out of memory for the access points", b->archive);
    errno = ENOMEM;
    return -1;
write_failed:
    BP_ERROR("%s: cannot write %s: %s", b->archive, b->index_path,
             strerror(errno));
    return -1;
}

/* The pass over a plain tar: large reads, jumping over long member data. */
static int scan_tar(struct builder *b)
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
        progress(b, pos);
        if (feed_tar(b, b->in, (size_t)n))
            break;
    }
    b->stream_bytes = pos;
    return 0;
}

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

/* Create the index file: unnamed (O_TMPFILE) when the file system and
 * /proc allow, so a killed process leaves nothing; else under a temporary
 * name beside the final one. 0, or -1 with errno. */
static int create_index(struct builder *b)
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
static int publish(struct builder *b)
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
static int write_tables(struct builder *b, struct bpx_idx_header *h)
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

void bpx_index_info_fill(const struct bpx_idx_header *h,
                         struct bp_index_info *info)
{
    memset(info, 0, sizeof *info);
    info->kind = h->kind == BPX_IDX_GZIP ? BP_ROOT_GZIP : BP_ROOT_TAR;
    info->archive_bytes = h->archive_size;
    info->stream_bytes = h->stream_bytes;
    info->index_bytes = h->file_bytes;
    info->members = h->nmembers;
    info->folders = h->nfolders;
    info->points = h->npoints;
    info->gz_members = h->gz_members;
    info->damaged = h->damage_offset != BPX_IDX_NO_DAMAGE;
    info->damage_offset = h->damage_offset;
    _Static_assert(sizeof info->damage == sizeof h->damage, "damage field");
    memcpy(info->damage, h->damage, sizeof info->damage);
}

static int probe_kind(struct builder *b)
{
    unsigned char head[BPX_TAR_BLOCK];
    ssize_t n = bpx_pread_full(b->fd, head, sizeof head, 0);
    if (n < 0) {
        BP_ERROR("%s: cannot read: %s", b->archive, strerror(errno));
        return -1;
    }
    if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
        b->kind = BP_ROOT_GZIP;
        return 0;
    }
    if (n == (ssize_t)sizeof head && bpx_tar_header_kind(head)) {
        b->kind = BP_ROOT_TAR;
        return 0;
    }
    BP_ERROR("%s: neither a tar archive nor a gzip file: cannot index it",
             b->archive);
    return -1;
}

int bpx_index_build(const char *archive, const char *index_path,
                    const struct bp_index_options *opt,
                    struct bp_index_info *info, int quiet_create,
                    int *create_errno)
{
    struct builder bb, *b = &bb;
    struct bp_index_info scratch;
    struct bpx_idx_header h;
    int status = BP_INPUT;
    memset(b, 0, sizeof *b);
    memset(&h, 0, sizeof h);
    if (!info)
        info = &scratch;
    memset(info, 0, sizeof *info);
    if (create_errno)
        *create_errno = 0;
    b->archive = archive;
    b->index_path = index_path;
    b->fd = b->ifd = -1;
    b->spacing = opt && opt->spacing ? opt->spacing : BP_ARCHIVE_SPACING_DEFAULT;
    b->progress = opt ? opt->progress_seconds : 0;
    b->t0 = now();
    b->next_progress = b->t0 + b->progress;
    size_t sort_memory = opt && opt->sort_memory ? opt->sort_memory
                                                 : SORT_MEMORY_DEFAULT;

    b->fd = open(archive, O_RDONLY | O_CLOEXEC);
    if (b->fd < 0) {
        BP_ERROR("%s: cannot open: %s", archive, strerror(errno));
        goto out;
    }
    if (probe_kind(b) != 0)
        goto out;
    b->in = malloc(IN_BYTES);
    b->out = malloc(OUT_BYTES + BPX_WINDOW);
    b->wz = malloc(BPX_WINDOW + 1024);
    b->tar = bpx_tar_new();
    char dir[4096];
    bpx_dir_of(index_path, dir, sizeof dir);
    b->sorter = bpx_sorter_new(sort_memory, dir);
    if (!b->in || !b->out || !b->wz || !b->tar || !b->sorter) {
        BP_ERROR("%s: out of memory for indexing", archive);
        status = BP_NOMEM;
        goto out;
    }
    if (b->kind == BP_ROOT_GZIP) {
        if (inflateInit2(&b->inf, 15 + 16) != Z_OK ||
            !(b->inf_ok = 1) ||
            deflateInit2(&b->def, 1, Z_DEFLATED, -15, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            BP_ERROR("%s: out of memory for zlib", archive);
            status = BP_NOMEM;
            goto out;
        }
        b->def_ok = 1;
    }
    if (bpx_fingerprint_take(b->fd, &b->fp, b->out) != 0) {
        BP_ERROR("%s: cannot read: %s", archive, strerror(errno));
        goto out;
    }
    if (create_index(b) != 0) {
        int e = errno;
        status = BP_OUTPUT;
        if (create_errno)
            *create_errno = e;
        if (!quiet_create)
            BP_ERROR("%s: cannot create its index %s: %s", archive,
                     index_path, strerror(e));
        goto out;
    }
    BP_INFO("indexing %s (%.1f MB, %s) into %s", archive,
            (double)b->fp.size / 1e6, bp_root_kind_name(b->kind),
            index_path);

    int rc = b->kind == BP_ROOT_GZIP ? scan_gzip(b) : scan_tar(b);
    if (rc != 0) {
        status = errno == ENOMEM ? BP_NOMEM : BP_INPUT;
        goto out;
    }
    if (!b->tar_damaged && !b->fatal[0] && !b->sort_errno &&
        bpx_tar_finish(b->tar) != 0) {
        uint64_t off;
        const char *why = bpx_tar_error(b->tar, &off);
        set_damage(b, off, "%s", why);
    }
    if (b->fatal[0]) {
        BP_ERROR("%s: cannot be used: %s", archive, b->fatal);
        goto out;
    }
    if (!b->added && b->damaged && b->damage_off == 0) {
        BP_ERROR("%s: holds no tar archive%s: %s", archive,
                 b->kind == BP_ROOT_GZIP ? " inside its gzip data" : "",
                 b->damage);
        goto out;
    }
    if (b->sort_errno) {
        BP_ERROR("%s: cannot write the temporary sort file in %s: %s",
                 archive, dir, strerror(b->sort_errno));
        status = b->sort_errno == ENOMEM ? BP_NOMEM : BP_OUTPUT;
        goto out;
    }
    /* An archive that changed while it was read gives a useless index. */
    struct bpx_fingerprint after;
    if (bpx_fingerprint_take(b->fd, &after, b->out) != 0 ||
        after.size != b->fp.size || after.mtime_sec != b->fp.mtime_sec ||
        after.mtime_nsec != b->fp.mtime_nsec ||
        after.head_crc != b->fp.head_crc || after.tail_crc != b->fp.tail_crc) {
        BP_ERROR("%s: the archive changed while it was being indexed; "
                 "index it again once it is complete",
                 archive);
        goto out;
    }
    h.kind = b->kind == BP_ROOT_GZIP ? BPX_IDX_GZIP : BPX_IDX_TAR;
    h.flags = bpx_tar_ended(b->tar) ? BPX_IDX_FLAG_ENDED : 0;
    bpx_fingerprint_store(&b->fp, &h);
    h.stream_bytes = b->stream_bytes;
    h.spacing = b->spacing;
    h.gz_members = b->gz_members;
    h.windows_off = BPX_IDX_HEADER_BYTES;
    h.windows_len = b->windows_len;
    h.damage_offset = b->damaged ? b->damage_off : BPX_IDX_NO_DAMAGE;
    _Static_assert(sizeof h.top == sizeof b->top, "top folder field");
    _Static_assert(sizeof h.damage == sizeof b->damage, "damage field");
    memcpy(h.top, b->top, sizeof h.top);
    memcpy(h.damage, b->damage, sizeof h.damage);
    if (write_tables(b, &h) != 0) {
        if (errno == ENOMEM) {
            BP_ERROR("%s: out of memory while writing its index", archive);
            status = BP_NOMEM;
        } else {
            BP_ERROR("%s: cannot write its index %s: %s", archive,
                     index_path, strerror(errno));
            status = BP_OUTPUT;
        }
        goto out;
    }
    unsigned char head[BPX_IDX_HEADER_BYTES];
    bpx_idx_header_encode(&h, head);
    if (bpx_pwrite_full(b->ifd, head, sizeof head, 0) != 0 ||
        publish(b) != 0) {
        BP_ERROR("%s: cannot write its index %s: %s", archive, index_path,
                 strerror(errno));
        status = BP_OUTPUT;
        goto out;
    }
    status = BP_OK;
    bpx_index_info_fill(&h, info);
    info->duplicates = b->duplicates;
    info->sort_runs = bpx_sorter_runs(b->sorter);
    info->seconds = now() - b->t0;
    if (b->too_long > LONG_WARNINGS)
        BP_WARN("%s: %" PRIu64 " members with names too long were left out",
                archive, b->too_long);
    if (b->duplicates > DUP_WARNINGS)
        BP_WARN("%s: %" PRIu64 " member names appear more than once",
                archive, b->duplicates);
    if (b->damaged)
        BP_WARN("%s: the archive is damaged from byte %" PRIu64
                " of its tar stream on: %s; members there cannot be read",
                archive, b->damage_off, b->damage);
    BP_INFO("indexed %s: %" PRIu64 " members in %" PRIu64 " folders of '%s', "
            "%zu access points; index %.2f MB (%.2f%% of the archive); "
            "%.1f s, %.0f MB/s",
            archive, b->members, h.nfolders, b->top, b->npoints,
            (double)h.file_bytes / 1e6,
            b->fp.size ? 100.0 * (double)h.file_bytes / (double)b->fp.size : 0,
            info->seconds,
            info->seconds > 0 ? (double)b->fp.size / 1e6 / info->seconds : 0);
out:
    if (status != BP_OK && b->ifd >= 0 && !b->anon)
        unlink(b->tmp);
    if (b->ifd >= 0)
        close(b->ifd);
    if (b->fd >= 0)
        close(b->fd);
    if (b->inf_ok)
        inflateEnd(&b->inf);
    if (b->def_ok)
        deflateEnd(&b->def);
    free(b->in);
    free(b->out);
    free(b->wz);
    free(b->points);
    bpx_tar_free(b->tar);
    bpx_sorter_free(b->sorter);
    bpx_blockw_free(b->bw);
    return status;
}

int bp_archive_index_build(const char *archive, const char *index_path,
                           const struct bp_index_options *opt,
                           struct bp_index_info *info)
{
    return bpx_index_build(archive, index_path, opt, info, 0, NULL);
}
