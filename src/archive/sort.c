/* sort.c - bounded-memory sort of member records (see sort.h). */
#define _GNU_SOURCE /* O_TMPFILE */
#include "sort.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"

#define REC_HEAD 21u /* u16 flen, u16 nlen, u8 type, u64 off, u64 size */
#define RUN_BUF (64u * 1024)
#define FOLDER_LIMIT 4096u
#define NAME_LIMIT 8192u
#define REC_MAX (REC_HEAD + FOLDER_LIMIT + NAME_LIMIT)

struct run {
    uint64_t start, len;
};

struct bpx_sorter {
    unsigned char *arena;
    size_t cap, used;
    const unsigned char **recs;
    size_t nrecs, recs_cap;
    char *tmp_dir;
    int fd;                 /* the runs, or -1 */
    uint64_t fd_len;
    struct run *runs;
    size_t nruns, runs_cap;
    unsigned char *wbuf;    /* RUN_BUF: staging for run writes */
};

struct bpx_sorter *bpx_sorter_new(size_t memory, const char *tmp_dir)
{
    if (memory < 64 * 1024)
        memory = 64 * 1024;
    struct bpx_sorter *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = -1;
    s->recs_cap = memory / 8 / sizeof *s->recs;
    s->cap = memory - memory / 8;
    s->arena = malloc(s->cap);
    s->recs = malloc(s->recs_cap * sizeof *s->recs);
    s->tmp_dir = strdup(tmp_dir ? tmp_dir : ".");
    if (!s->arena || !s->recs || !s->tmp_dir) {
        bpx_sorter_free(s);
        return NULL;
    }
    return s;
}

void bpx_sorter_free(struct bpx_sorter *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s->arena);
    free(s->recs);
    free(s->tmp_dir);
    free(s->runs);
    free(s->wbuf);
    free(s);
}

size_t bpx_sorter_runs(const struct bpx_sorter *s)
{
    return s->nruns;
}

static size_t rec_len(const unsigned char *r)
{
    return REC_HEAD + (size_t)(r[0] | r[1] << 8) + (size_t)(r[2] | r[3] << 8);
}

static int rec_cmp(const unsigned char *a, const unsigned char *b)
{
    size_t af = (size_t)(a[0] | a[1] << 8), an = (size_t)(a[2] | a[3] << 8);
    size_t bf = (size_t)(b[0] | b[1] << 8), bn = (size_t)(b[2] | b[3] << 8);
    int c = bpx_keycmp(a + REC_HEAD, af, b + REC_HEAD, bf);
    if (c)
        return c;
    c = bpx_keycmp(a + REC_HEAD + af, an, b + REC_HEAD + bf, bn);
    if (c)
        return c;
    uint64_t ao = bpx_get64(a + 5), bo = bpx_get64(b + 5);
    return ao < bo ? -1 : ao > bo;
}

static int ptr_cmp(const void *a, const void *b)
{
    return rec_cmp(*(const unsigned char *const *)a,
                   *(const unsigned char *const *)b);
}

static int open_tmp(struct bpx_sorter *s)
{
#ifdef O_TMPFILE
    s->fd = open(s->tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (s->fd >= 0)
        return 0;
#endif
    size_t n = strlen(s->tmp_dir) + 32;
    char *path = malloc(n);
    if (!path) {
        errno = ENOMEM;
        return -1;
    }
    snprintf(path, n, "%s/.bpidx-sort-XXXXXX", s->tmp_dir);
    s->fd = mkstemp(path);
    if (s->fd >= 0)
        unlink(path);
    free(path);
    return s->fd >= 0 ? 0 : -1;
}

/* Sort the arena and append it to the run file as one run. */
static int spill(struct bpx_sorter *s)
{
    if (!s->nrecs)
        return 0;
    if (s->fd < 0 && open_tmp(s) != 0)
        return -1;
    if (!s->wbuf && !(s->wbuf = malloc(RUN_BUF))) {
        errno = ENOMEM;
        return -1;
    }
    if (s->nruns == s->runs_cap) {
        size_t cap = s->runs_cap ? 2 * s->runs_cap : 16;
        struct run *r = realloc(s->runs, cap * sizeof *r);
        if (!r) {
            errno = ENOMEM;
            return -1;
        }
        s->runs = r;
        s->runs_cap = cap;
    }
    qsort(s->recs, s->nrecs, sizeof *s->recs, ptr_cmp);
    struct run *run = &s->runs[s->nruns];
    run->start = s->fd_len;
    size_t staged = 0;
    for (size_t i = 0; i < s->nrecs; i++) {
        size_t len = rec_len(s->recs[i]);
        if (staged + len > RUN_BUF) {
            if (bpx_pwrite_full(s->fd, s->wbuf, staged, s->fd_len) != 0)
                return -1;
            s->fd_len += staged;
            staged = 0;
        }
        if (len > RUN_BUF) {
            if (bpx_pwrite_full(s->fd, s->recs[i], len, s->fd_len) != 0)
                return -1;
            s->fd_len += len;
            continue;
        }
        memcpy(s->wbuf + staged, s->recs[i], len);
        staged += len;
    }
    if (staged && bpx_pwrite_full(s->fd, s->wbuf, staged, s->fd_len) != 0)
        return -1;
    s->fd_len += staged;
    run->len = s->fd_len - run->start;
    s->nruns++;
    s->nrecs = 0;
    s->used = 0;
    return 0;
}

int bpx_sorter_add(struct bpx_sorter *s, const char *folder, size_t flen,
                   const char *name, size_t nlen, int type, uint64_t off,
                   uint64_t size)
{
    if (flen > FOLDER_LIMIT || nlen > NAME_LIMIT) {
        errno = EINVAL;
        return -1;
    }
    size_t len = REC_HEAD + flen + nlen;
    if (len > s->cap) {
        errno = EINVAL;
        return -1;
    }
    if (s->used + len > s->cap || s->nrecs == s->recs_cap)
        if (spill(s) != 0)
            return -1;
    unsigned char *r = s->arena + s->used;
    r[0] = (unsigned char)flen;
    r[1] = (unsigned char)(flen >> 8);
    r[2] = (unsigned char)nlen;
    r[3] = (unsigned char)(nlen >> 8);
    r[4] = (unsigned char)type;
    bpx_put64(r + 5, off);
    bpx_put64(r + 13, size);
    memcpy(r + REC_HEAD, folder, flen);
    memcpy(r + REC_HEAD + flen, name, nlen);
    s->recs[s->nrecs++] = r;
    s->used += len;
    return 0;
}

static int emit(const unsigned char *r, bpx_sorted_fn fn, void *ctx)
{
    size_t flen = (size_t)(r[0] | r[1] << 8), nlen = (size_t)(r[2] | r[3] << 8);
    return fn(ctx, (const char *)r + REC_HEAD, flen,
              (const char *)r + REC_HEAD + flen, nlen, r[4], bpx_get64(r + 5),
              bpx_get64(r + 13));
}

/* One run being merged: a window of its bytes. */
struct cursor {
    uint64_t pos, end;     /* file offsets still to read */
    unsigned char *buf;    /* REC_MAX + RUN_BUF */
    size_t have, at;       /* bytes in buf, current record */
};

/* Make the record at c->at whole in the buffer; 1 when there is one, 0 at
 * the end of the run, -1 on a read error. */
static int cursor_fill(int fd, struct cursor *c)
{
    for (;;) {
        size_t avail = c->have - c->at;
        if (avail >= REC_HEAD && avail >= rec_len(c->buf + c->at))
            return 1;
        if (c->pos >= c->end) {
            if (avail) {
                errno = EIO; /* a run cut short: cannot happen unless the
                                temporary file changed under us */
                return -1;
            }
            return 0;
        }
        memmove(c->buf, c->buf + c->at, avail);
        c->have = avail;
        c->at = 0;
        uint64_t want = c->end - c->pos;
        size_t room = REC_MAX + RUN_BUF - c->have;
        if (want > room)
            want = room;
        ssize_t n = bpx_pread_full(fd, c->buf + c->have, (size_t)want, c->pos);
        if (n < 0)
            return -1;
        if ((uint64_t)n != want) {
            errno = EIO;
            return -1;
        }
        c->have += (size_t)n;
        c->pos += want;
    }
}

static int cur_less(const struct cursor *cs, size_t a, size_t b)
{
    return rec_cmp(cs[a].buf + cs[a].at, cs[b].buf + cs[b].at) < 0;
}

static void sift_down(const struct cursor *cs, size_t *heap, size_t n,
                      size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && cur_less(cs, heap[l], heap[m]))
            m = l;
        if (r < n && cur_less(cs, heap[r], heap[m]))
            m = r;
        if (m == i)
            return;
        size_t t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
}

static int merge(struct bpx_sorter *s, bpx_sorted_fn fn, void *ctx)
{
    size_t k = s->nruns, n = 0;
    int rc = -1;
    struct cursor *cs = calloc(k, sizeof *cs);
    size_t *heap = calloc(k, sizeof *heap);
    if (!cs || !heap) {
        errno = ENOMEM;
        goto out;
    }
    /* The arena is no longer needed: give its memory back first. */
    free(s->arena);
    s->arena = NULL;
    free(s->recs);
    s->recs = NULL;
    for (size_t i = 0; i < k; i++) {
        cs[i].pos = s->runs[i].start;
        cs[i].end = s->runs[i].start + s->runs[i].len;
        cs[i].buf = malloc(REC_MAX + RUN_BUF);
        if (!cs[i].buf) {
            errno = ENOMEM;
            goto out;
        }
        int f = cursor_fill(s->fd, &cs[i]);
        if (f < 0)
            goto out;
        if (f)
            heap[n++] = i;
    }
    for (size_t i = n / 2; i-- > 0;)
        sift_down(cs, heap, n, i);
    while (n) {
        struct cursor *c = &cs[heap[0]];
        int r = emit(c->buf + c->at, fn, ctx);
        if (r) {
            rc = r;
            goto out;
        }
        c->at += rec_len(c->buf + c->at);
        int f = cursor_fill(s->fd, c);
        if (f < 0)
            goto out;
        if (!f)
            heap[0] = heap[--n];
        sift_down(cs, heap, n, 0);
    }
    rc = 0;
out:
    if (cs)
        for (size_t i = 0; i < k; i++)
            free(cs[i].buf);
    free(cs);
    free(heap);
    return rc;
}

int bpx_sorter_finish(struct bpx_sorter *s, bpx_sorted_fn fn, void *ctx)
{
    if (!s->nruns) {
        qsort(s->recs, s->nrecs, sizeof *s->recs, ptr_cmp);
        for (size_t i = 0; i < s->nrecs; i++) {
            int rc = emit(s->recs[i], fn, ctx);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (spill(s) != 0)
        return -1;
    return merge(s, fn, ctx);
}
