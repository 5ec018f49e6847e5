/* build_members.c - the tar members found by the indexing pass, into the
 * sorter: names made relative to the archive's single top folder, split
 * into patch folder and file name. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "benprep/log.h"
#include "build_int.h"

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

/* The first member's top folder is the archive's; every other member must
 * lie in it. 0, or -1 with b->fatal set. p, n: the member's name; tlen: the
 * length of its first component. */
static int take_top(struct builder *b, const char *p, size_t n, size_t tlen)
{
    if (!b->have_top) {
        if (tlen >= sizeof b->top) {
            snprintf(b->fatal, sizeof b->fatal,
                     "top-level folder name of %zu bytes is too long", tlen);
            return -1;
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
        return -1;
    }
    return 0;
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
    if (take_top(b, p, n, tlen) != 0)
        return STOP_FATAL;
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

int bpx_build_feed_tar(struct builder *b, const unsigned char *p,
                       size_t len)
{
    if (b->tar_damaged)
        return 1;
    int rc = bpx_tar_feed(b->tar, p, len, on_member, b);
    if (rc == 0)
        return 0;
    if (rc < 0) {
        uint64_t off;
        const char *why = bpx_tar_error(b->tar, &off);
        bpx_build_damage(b, off, "%s", why);
        b->tar_damaged = 1;
        return 1;
    }
    return 2;
}

