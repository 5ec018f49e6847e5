/* reader.c - members of an indexed archive, read into the caller's buffer
 * (see archive.h). */
#include "benprep/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "bytes.h"
#include "fingerprint.h"
#include "idxfile.h"
#include "tar.h"

/* Tar stream bytes held at once: a patch folder, or the read-ahead of a
 * plain tar read in archive order. No member may be larger. */
#define CACHE_BYTES (1u << 20)
/* One read of compressed input. */
#define GZ_READ_BYTES (256u << 10)

struct bp_archive {
    char *path;
    char *index_path;
    int fd, ifd;
    struct bpx_idx *x;
    const struct bpx_idx_header *h;
    enum bp_root_kind kind;
    /* The cache: tar stream bytes [cache_off, cache_off + cache_len). */
    unsigned char *cache;
    uint64_t cache_off;
    size_t cache_len;
    /* gzip: compressed input [in_off, in_off + in_len) of the file. */
    unsigned char *in;
    uint64_t in_off;
    size_t in_len;
    z_stream zs;       /* the archive's stream */
    z_stream wzs;      /* inflates stored windows */
    int zs_ok, wzs_ok;
    int raw;           /* zs is raw deflate (started at a window) */
    int live;          /* zs stands at tar stream offset upos */
    uint64_t upos;
    uint64_t high;     /* the furthest tar stream offset inflated so far */
    unsigned char *win; /* BPX_WINDOW */
    unsigned char *wz;  /* a stored window */
    char why[600];
    struct bp_archive_stats st;
};

const char *bp_archive_top(const struct bp_archive *a)
{
    return a->h->top;
}

enum bp_root_kind bp_archive_kind(const struct bp_archive *a)
{
    return a->kind;
}

void bp_archive_get_stats(const struct bp_archive *a,
                          struct bp_archive_stats *st)
{
    *st = a->st;
}

void bp_archive_close(struct bp_archive *a)
{
    if (!a)
        return;
    if (a->zs_ok)
        inflateEnd(&a->zs);
    if (a->wzs_ok)
        inflateEnd(&a->wzs);
    bpx_idx_close(a->x);
    if (a->fd >= 0)
        close(a->fd);
    if (a->ifd >= 0)
        close(a->ifd);
    free(a->cache);
    free(a->in);
    free(a->win);
    free(a->wz);
    free(a->path);
    free(a->index_path);
    free(a);
}

int bp_archive_open(const char *archive, const char *index_path,
                    struct bp_archive **out)
{
    *out = NULL;
    struct bp_archive *a = calloc(1, sizeof *a);
    if (!a) {
        BP_ERROR("%s: out of memory", archive);
        return BP_NOMEM;
    }
    a->fd = a->ifd = -1;
    int status = BP_NOMEM;
    a->path = strdup(archive);
    a->index_path = strdup(index_path);
    a->cache = malloc(CACHE_BYTES);
    if (!a->path || !a->index_path || !a->cache) {
        BP_ERROR("%s: out of memory for its reader", archive);
        goto fail;
    }
    status = BP_INPUT;
    a->fd = open(archive, O_RDONLY | O_CLOEXEC);
    if (a->fd < 0) {
        BP_ERROR("%s: cannot open: %s", archive, strerror(errno));
        goto fail;
    }
    a->ifd = open(index_path, O_RDONLY | O_CLOEXEC);
    if (a->ifd < 0) {
        BP_ERROR("%s: cannot open its index %s: %s", archive, index_path,
                 strerror(errno));
        goto fail;
    }
    if (bpx_idx_open(a->ifd, &a->x, a->why, sizeof a->why) != 0) {
        BP_ERROR("%s: its index %s cannot be used: %s", archive, index_path,
                 a->why);
        goto fail;
    }
    a->h = bpx_idx_header(a->x);
    struct bpx_fingerprint fp;
    if (bpx_fingerprint_stat(a->fd, &fp) != 0) {
        BP_ERROR("%s: cannot stat: %s", archive, strerror(errno));
        goto fail;
    }
    if (bpx_fingerprint_differs(&fp, a->h, 0, a->why, sizeof a->why)) {
        BP_ERROR("%s: its index %s does not match it: %s; index it again",
                 archive, index_path, a->why);
        goto fail;
    }
    a->kind = a->h->kind == BPX_IDX_GZIP ? BP_ROOT_GZIP : BP_ROOT_TAR;
    if (a->kind == BP_ROOT_GZIP) {
        status = BP_NOMEM;
        a->in = malloc(GZ_READ_BYTES);
        a->win = malloc(BPX_WINDOW);
        a->wz = malloc(BPX_WINDOW + 1024);
        if (!a->in || !a->win || !a->wz) {
            BP_ERROR("%s: out of memory for its reader", archive);
            goto fail;
        }
        if (inflateInit2(&a->zs, 15 + 16) != Z_OK) {
            BP_ERROR("%s: out of memory for zlib", archive);
            goto fail;
        }
        a->zs_ok = 1;
        if (inflateInit2(&a->wzs, -15) != Z_OK) {
            BP_ERROR("%s: out of memory for zlib", archive);
            goto fail;
        }
        a->wzs_ok = 1;
    }
    *out = a;
    return BP_OK;
fail:
    bp_archive_close(a);
    return status;
}

static int fail(struct bp_archive *a, struct bp_failure *why,
                const char *member, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct bp_archive *a, struct bp_failure *why,
                const char *member, const char *fmt, ...)
{
    snprintf(why->file, sizeof why->file, "%s:%s/%s", a->path, a->h->top,
             member);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->reason, sizeof why->reason, fmt, ap);
    va_end(ap);
    return BP_INPUT;
}

static ssize_t archive_pread(struct bp_archive *a, void *buf, size_t len,
                             uint64_t off)
{
    ssize_t n = bpx_pread_full(a->fd, buf, len, off);
    a->st.reads++;
    if (n > 0)
        a->st.bytes_read += (uint64_t)n;
    return n;
}

/* ---- gzip -------------------------------------------------------------- */

/* Point the inflater's input at file offset pos (reading if needed). 0, or
 * -1 with a->why. */
static int set_input(struct bp_archive *a, uint64_t pos)
{
    if (pos >= a->in_off && pos < a->in_off + a->in_len) {
        a->zs.next_in = a->in + (pos - a->in_off);
        a->zs.avail_in = (unsigned)(a->in_off + a->in_len - pos);
        return 0;
    }
    ssize_t n = archive_pread(a, a->in, GZ_READ_BYTES, pos);
    if (n < 0) {
        a->in_len = 0;
        snprintf(a->why, sizeof a->why, "read error at byte %" PRIu64 ": %s",
                 pos, strerror(errno));
        return -1;
    }
    a->in_off = pos;
    a->in_len = (size_t)n;
    a->zs.next_in = a->in;
    a->zs.avail_in = (unsigned)n;
    return 0;
}

/* More input after the current; 1 read, 0 at the end of the file, -1. */
static int refill(struct bp_archive *a)
{
    if (set_input(a, a->in_off + a->in_len) != 0)
        return -1;
    return a->zs.avail_in > 0;
}

/* Restart the stream at access point p. 0, or -1 with a->why. */
static int jump(struct bp_archive *a, const struct bpx_point *p)
{
    a->live = 0;
    if (p->kind == BPX_POINT_MEMBER) {
        if (inflateReset2(&a->zs, 15 + 16) != Z_OK)
            goto zlib;
        a->raw = 0;
        if (set_input(a, p->coff) != 0)
            return -1;
    } else {
        if (bpx_idx_read_window(a->x, p, a->wz, BPX_WINDOW + 1024, a->why,
                                sizeof a->why) != 0)
            return -1;
        inflateReset(&a->wzs);
        a->wzs.next_in = a->wz;
        a->wzs.avail_in = p->wlen;
        a->wzs.next_out = a->win;
        a->wzs.avail_out = BPX_WINDOW;
        if (inflate(&a->wzs, Z_FINISH) != Z_STREAM_END ||
            BPX_WINDOW - a->wzs.avail_out != p->raw_len) {
            snprintf(a->why, sizeof a->why,
                     "the index's window at byte %" PRIu64 " is damaged",
                     p->woff);
            return -1;
        }
        if (inflateReset2(&a->zs, -15) != Z_OK)
            goto zlib;
        a->raw = 1;
        if (p->bits) {
            if (set_input(a, p->coff - 1) != 0)
                return -1;
            if (!a->zs.avail_in) {
                snprintf(a->why, sizeof a->why,
                         "the archive ends before byte %" PRIu64
                         " (it changed after it was indexed?)",
                         p->coff);
                return -1;
            }
            int byte = *a->zs.next_in;
            a->zs.next_in++;
            a->zs.avail_in--;
            if (inflatePrime(&a->zs, p->bits, byte >> (8 - p->bits)) != Z_OK)
                goto zlib;
        } else if (set_input(a, p->coff) != 0) {
            return -1;
        }
        if (inflateSetDictionary(&a->zs, a->win, p->raw_len) != Z_OK)
            goto zlib;
    }
    a->upos = p->uoff;
    a->live = 1;
    a->st.jumps++;
    return 0;
zlib:
    snprintf(a->why, sizeof a->why, "zlib cannot restart at byte %" PRIu64,
             p->coff);
    return -1;
}

/* Inflate the next n bytes of the tar stream into dst, across gzip member
 * boundaries. 0, or -1 with a->why (the stream is then dead). */
static int inflate_into(struct bp_archive *a, unsigned char *dst, size_t n)
{
    a->zs.next_out = dst;
    a->zs.avail_out = (unsigned)n;
    while (a->zs.avail_out) {
        if (!a->zs.avail_in) {
            int r = refill(a);
            if (r < 0)
                goto dead;
            if (r == 0) {
                snprintf(a->why, sizeof a->why,
                         "the gzip data ends at byte %" PRIu64
                         " (the archive changed or was truncated after it "
                         "was indexed?)",
                         a->in_off + a->in_len);
                goto dead;
            }
        }
        int ret = inflate(&a->zs, Z_NO_FLUSH);
        if (ret == Z_STREAM_END) {
            /* The member's trailer (already checked when indexing, and by
             * zlib itself in gzip mode), then the next member. */
            for (unsigned skip = a->raw ? 8 : 0; skip;) {
                if (!a->zs.avail_in && refill(a) <= 0) {
                    snprintf(a->why, sizeof a->why,
                             "the gzip data ends inside a member trailer");
                    goto dead;
                }
                unsigned take = skip < a->zs.avail_in ? skip : a->zs.avail_in;
                a->zs.next_in += take;
                a->zs.avail_in -= take;
                skip -= take;
            }
            inflateReset2(&a->zs, 15 + 16);
            a->raw = 0;
            continue;
        }
        if (ret == Z_OK || (ret == Z_BUF_ERROR && !a->zs.avail_in))
            continue;
        snprintf(a->why, sizeof a->why,
                 "cannot inflate near byte %" PRIu64 " of the file: %s (the "
                 "archive changed or was damaged after it was indexed?)",
                 a->in_off + (uint64_t)(a->zs.next_in - a->in),
                 a->zs.msg ? a->zs.msg : "inflate error");
        goto dead;
    }
    if (a->upos < a->high)
        a->st.reinflated += a->high - a->upos < n ? a->high - a->upos : n;
    a->upos += n;
    a->high = a->upos > a->high ? a->upos : a->high;
    a->st.inflated += n;
    return 0;
dead:
    a->live = 0;
    return -1;
}

/* Fill the cache with the tar stream bytes [s, t) of a gzip archive. */
static int fill_gzip(struct bp_archive *a, uint64_t s, uint64_t t)
{
    struct bpx_point p;
    int rc = bpx_idx_point(a->x, s, &p, a->why, sizeof a->why);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        snprintf(a->why, sizeof a->why, "the index has no access point "
                                        "before this member (damaged)");
        return -1;
    }
    /* Go on inflating when that is no more work than starting at p. */
    if (!(a->live && a->upos <= s && a->upos >= p.uoff) && jump(a, &p) != 0)
        return -1;
    while (a->upos < s) {
        uint64_t gap = s - a->upos;
        size_t n = gap < CACHE_BYTES ? (size_t)gap : CACHE_BYTES;
        if (inflate_into(a, a->cache, n) != 0)
            return -1;
    }
    if (inflate_into(a, a->cache, (size_t)(t - s)) != 0)
        return -1;
    a->cache_off = s;
    a->cache_len = (size_t)(t - s);
    return 0;
}

/* ---- plain tar --------------------------------------------------------- */

static int fill_tar(struct bp_archive *a, uint64_t s, uint64_t t,
                    uint64_t need_end)
{
    ssize_t n = archive_pread(a, a->cache, (size_t)(t - s), s);
    if (n < 0) {
        snprintf(a->why, sizeof a->why, "read error at byte %" PRIu64 ": %s",
                 s, strerror(errno));
        return -1;
    }
    a->cache_off = s;
    a->cache_len = (size_t)n;
    if (s + (uint64_t)n < need_end) {
        snprintf(a->why, sizeof a->why,
                 "the archive ends at byte %" PRIu64 ", before the end of "
                 "this member (it changed after it was indexed?)",
                 s + (uint64_t)n);
        return -1;
    }
    return 0;
}

/* ---- members ----------------------------------------------------------- */

static const char *type_text(int type)
{
    switch (type) {
    case BPX_MEMBER_HARDLINK:
        return "a hard link in the archive, not a regular file";
    case BPX_MEMBER_SYMLINK:
        return "a symbolic link in the archive, not a regular file";
    case BPX_MEMBER_DIR:
        return "a folder in the archive, not a regular file";
    case BPX_MEMBER_DUPLICATE:
        return "in the archive more than once (which copy is meant?)";
    default:
        return "not a regular file in the archive (a device, fifo, sparse "
               "file or unknown kind)";
    }
}

/* Split "folder/name" (a name without a slash lies in folder ""). */
static void split(const char *member, const char **folder, size_t *flen,
                  const char **name, size_t *nlen)
{
    const char *slash = strchr(member, '/');
    if (slash) {
        *folder = member;
        *flen = (size_t)(slash - member);
        *name = slash + 1;
    } else {
        *folder = "";
        *flen = 0;
        *name = member;
    }
    *nlen = strlen(*name);
}

static int damaged_from(const struct bp_archive *a)
{
    return a->h->damage_offset != BPX_IDX_NO_DAMAGE;
}

/* The index entry of member, checked: a regular file that fits cap and
 * lies before any damage. BP_OK (*e set) or BP_INPUT (why). */
static int find_member(struct bp_archive *a, const char *member, size_t cap,
                       struct bpx_entry *e, struct bp_failure *why)
{
    const char *folder, *name;
    size_t flen, nlen;
    split(member, &folder, &flen, &name, &nlen);
    int rc = bpx_idx_lookup(a->x, folder, flen, name, nlen, e, a->why,
                            sizeof a->why);
    if (rc < 0)
        return fail(a, why, member,
                    "its index %s is damaged (%s): index the archive again",
                    a->index_path, a->why);
    if (rc == 0) {
        int hf = bpx_idx_has_folder(a->x, folder, flen, a->why, sizeof a->why);
        const char *what = hf == 1 ? "file not found in the archive"
                                   : "patch folder not found in the archive";
        if (damaged_from(a))
            return fail(a, why, member,
                        "%s; the archive is damaged from byte %" PRIu64
                        " of its tar stream on (%s), so no member after that "
                        "can be read",
                        what, a->h->damage_offset, a->h->damage);
        return fail(a, why, member, "%s", what);
    }
    if (e->type != BPX_MEMBER_FILE)
        return fail(a, why, member, "%s", type_text(e->type));
    if (e->size >= BP_ARCHIVE_MEMBER_LIMIT)
        return fail(a, why, member,
                    "member of %" PRIu64 " bytes: larger than %u bytes, not a "
                    "BigEarthNet patch file",
                    e->size, BP_ARCHIVE_MEMBER_LIMIT - 1);
    if (e->size > cap)
        return fail(a, why, member,
                    "member of %" PRIu64 " bytes does not fit the buffer of "
                    "%zu bytes",
                    e->size, cap);
    if (damaged_from(a) && e->off + e->size > a->h->damage_offset)
        return fail(a, why, member,
                    "cannot be read: the archive is damaged from byte %" PRIu64
                    " of its tar stream on (%s)",
                    a->h->damage_offset, a->h->damage);
    return BP_OK;
}

/* The cache filled so that it holds e's data: the folder's span at once
 * when it fits, else the member; a plain tar read ahead in archive order.
 * 0, or -1 (a->why). */
static int fetch(struct bp_archive *a, const struct bpx_entry *e)
{
    uint64_t end = e->off + e->size;
    uint64_t s = e->off, t = end;
    if (e->span_end - e->span_start <= CACHE_BYTES && e->span_start <= e->off &&
        e->span_end >= end) {
        s = e->span_start;
        t = e->span_end;
    }
    /* Nothing past the readable stream (a damaged or cut archive). */
    uint64_t limit = a->h->stream_bytes;
    if (damaged_from(a) && a->h->damage_offset < limit)
        limit = a->h->damage_offset;
    if (t > limit)
        t = limit > end ? limit : end;
    uint64_t cache_end = a->cache_off + a->cache_len;
    if (a->kind != BP_ROOT_TAR)
        return fill_gzip(a, s, t);
    /* Read in archive order: run ahead, one large read. */
    if (s >= cache_end && s - cache_end <= CACHE_BYTES && a->cache_len)
        t = s + CACHE_BYTES > t ? s + CACHE_BYTES : t;
    if (t > a->h->archive_size)
        t = a->h->archive_size > end ? a->h->archive_size : end;
    return fill_tar(a, s, t, end);
}

int bp_archive_read(struct bp_archive *a, const char *member, void *buf,
                    size_t cap, size_t *len, struct bp_failure *why)
{
    *len = 0;
    struct bpx_entry e;
    int rc = find_member(a, member, cap, &e, why);
    if (rc != BP_OK)
        return rc;
    uint64_t end = e.off + e.size;
    if (e.size && !(e.off >= a->cache_off &&
                    end <= a->cache_off + a->cache_len) &&
        fetch(a, &e) != 0) {
        a->cache_len = 0;
        return fail(a, why, member, "%s", a->why);
    }
    if (e.size)
        memcpy(buf, a->cache + (e.off - a->cache_off), (size_t)e.size);
    *len = (size_t)e.size;
    a->st.members++;
    return BP_OK;
}

int bp_archive_folder_offset(struct bp_archive *a, const char *folder,
                             uint64_t *offset, struct bp_failure *why)
{
    int rc = bpx_idx_folder_offset(a->x, folder, strlen(folder), offset,
                                   a->why, sizeof a->why);
    if (rc < 0)
        return fail(a, why, folder, "its index %s is damaged (%s)",
                    a->index_path, a->why);
    if (rc == 0)
        return fail(a, why, folder, "patch folder not found in the archive");
    return BP_OK;
}
