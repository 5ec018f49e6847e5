/*
 * bytes.h - internal to the archive reader: little-endian fields, varints
 * and whole-buffer positioned I/O.
 */
#ifndef BENPREP_ARCHIVE_BYTES_H
#define BENPREP_ARCHIVE_BYTES_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static inline void bpx_put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline void bpx_put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t bpx_get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t bpx_get64(const unsigned char *p)
{
    return (uint64_t)bpx_get32(p) | (uint64_t)bpx_get32(p + 4) << 32;
}

/* Append v as a LEB128 varint at p (at most 10 bytes); returns the bytes
 * written. */
static inline size_t bpx_put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

/* Read a varint from p[*pos..end); 0 with *pos advanced, or -1 when it runs
 * past end or over 64 bits. */
static inline int bpx_get_varint(const unsigned char *p, size_t end,
                                 size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*pos >= end)
            return -1;
        unsigned char b = p[(*pos)++];
        if (shift == 63 && b > 1)
            return -1;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* Read len bytes at off; returns the bytes read (less only at end of file),
 * or -1 with errno set. */
static inline ssize_t bpx_pread_full(int fd, void *buf, size_t len,
                                     uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got,
                          (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Write len bytes at off; 0, or -1 with errno set. */
static inline int bpx_pwrite_full(int fd, const void *buf, size_t len,
                                  uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
                           (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = ENOSPC;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

/* Bytewise order of two byte strings (shorter first on a common prefix). */
static inline int bpx_keycmp(const void *a, size_t alen, const void *b,
                             size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

#endif
