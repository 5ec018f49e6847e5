/*
 * tar.c - ben-synth's archive output (--archive tar|gz): a root written as
 * one GNU tar file, plain or gzip-compressed with zlib at level 6, in the
 * layout of the real BigEarthNet archives (see synth.h).
 *
 * Every member is a 512-byte header and its data padded to 512 bytes; a
 * name longer than the 100 bytes of the header's name field is given by a
 * GNU long-name entry ("././@LongLink", type 'L') before the header, whose
 * name field keeps the name's first 100 bytes, as GNU tar writes it. The
 * archive ends with two zero blocks, padded to GNU tar's 10240-byte record.
 * Owner, group, modes and times are fixed, so the bytes depend on the
 * members alone. The file is written under a temporary name in its folder,
 * fsynced and renamed at the end; on failure the temporary file is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "synth/synth.h"

#define BLOCK 512
/* GNU tar's default record: 20 blocks. */
#define RECORD (20 * BLOCK)
/* Bytes of tar stream gathered before they are written or deflated. */
#define STREAM_BUFFER (1u << 20)
/* Every member's modification time: 2019-01-01 00:00:00 UTC. */
#define MEMBER_MTIME 1546300800ULL
#define GZIP_LEVEL 6

/* field[0..size) = value in octal, zero-padded, NUL-terminated. */
static void octal(char *field, size_t size, unsigned long long value)
{
    snprintf(field, size, "%0*llo", (int)size - 1, value);
}

/* Write the gathered bytes out: as they are, or through deflate (flush:
 * Z_NO_FLUSH, or Z_FINISH at the end). */
static int drain(struct tar_out *t, int flush)
{
    if (!t->gzip) {
        if (t->len && bp_write_all(t->fd, t->in, t->len) != 0)
            return fail_path(t->tmp, "write error: %s", strerror(errno));
        t->len = 0;
        return 0;
    }
    t->z.next_in = t->in;
    t->z.avail_in = (uInt)t->len;
    for (;;) {
        t->z.next_out = t->out;
        t->z.avail_out = STREAM_BUFFER;
        int zrc = deflate(&t->z, flush);
        if (zrc == Z_STREAM_ERROR)
            return fail_path(t->tmp, "zlib deflate failed");
        size_t have = STREAM_BUFFER - t->z.avail_out;
        if (have && bp_write_all(t->fd, t->out, have) != 0)
            return fail_path(t->tmp, "write error: %s", strerror(errno));
        if (flush == Z_FINISH ? zrc == Z_STREAM_END
                              : t->z.avail_in == 0 && t->z.avail_out != 0)
            break;
    }
    t->len = 0;
    return 0;
}

/* Append n bytes of tar stream (data NULL: zeros). */
static int emit(struct tar_out *t, const void *data, size_t n)
{
    const unsigned char *p = data;
    while (n > 0) {
        size_t room = STREAM_BUFFER - t->len;
        size_t k = n < room ? n : room;
        if (p) {
            memcpy(t->in + t->len, p, k);
            p += k;
        } else {
            memset(t->in + t->len, 0, k);
        }
        t->len += k;
        t->stream += k;
        n -= k;
        if (t->len == STREAM_BUFFER && drain(t, Z_NO_FLUSH) != 0)
            return -1;
    }
    return 0;
}

/* One header block: name (its first 100 bytes), type, size, mode. */
static int header(struct tar_out *t, const char *name, char type,
                  unsigned long long size, unsigned mode,
                  unsigned long long mtime)
{
    char h[BLOCK];
    memset(h, 0, sizeof h);
    size_t len = strlen(name);
    memcpy(h, name, len < 100 ? len : 100);
    octal(h + 100, 8, mode);
    octal(h + 108, 8, 0); /* uid */
    octal(h + 116, 8, 0); /* gid */
    octal(h + 124, 12, size);
    octal(h + 136, 12, mtime);
    h[156] = type;
    memcpy(h + 257, "ustar  ", 8); /* GNU magic and version, NUL-ended */
    memcpy(h + 265, "root", 4);    /* uname */
    memcpy(h + 297, "root", 4);    /* gname */
    /* The checksum: the sum of the header's bytes with the field itself
     * as spaces, written "%06o\0 " as GNU tar does. */
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < sizeof h; i++)
        sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
    h[155] = ' ';
    return emit(t, h, sizeof h);
}

/* Zeros up to the next block boundary. */
static int pad(struct tar_out *t, size_t n)
{
    size_t rest = n % BLOCK;
    return rest ? emit(t, NULL, BLOCK - rest) : 0;
}

/* A member's header, preceded by a long-name entry when name does not
 * fit the header. */
static int member_header(struct tar_out *t, const char *name, char type,
                         unsigned long long size, unsigned mode)
{
    size_t len = strlen(name);
    if (len > 100) {
        if (header(t, "././@LongLink", 'L', len + 1, 0644, 0) != 0 ||
            emit(t, name, len + 1) != 0 || pad(t, len + 1) != 0)
            return -1;
    }
    return header(t, name, type, size, mode, MEMBER_MTIME);
}

int tar_open(struct tar_out *t, const char *dir, const char *name, int gzip)
{
    memset(t, 0, sizeof *t);
    t->fd = -1;
    if (join_path(t->final, dir, name, NULL, NULL) != 0 ||
        snprintf(t->tmp, sizeof t->tmp, "%s/.%s.tmp", dir, name) >=
            (int)sizeof t->tmp)
        return fail_path(dir, "path under this folder is too long");
    t->in = malloc(STREAM_BUFFER);
    if (!t->in)
        return fail_path(t->final, "out of memory");
    if (gzip && !(t->out = malloc(STREAM_BUFFER)))
        return fail_path(t->final, "out of memory");
    if (gzip) {
        /* windowBits 15 + 16: a gzip wrapper (no name, mtime 0); memLevel
         * 8 as gzip itself. */
        if (deflateInit2(&t->z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return fail_path(t->final, "zlib cannot start deflate");
        t->z_open = 1;
        t->gzip = 1;
    }
    t->fd = open(t->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (t->fd < 0)
        return fail_path(t->tmp, "cannot create: %s", strerror(errno));
    return 0;
}

int tar_add_dir(struct tar_out *t, const char *name)
{
    char member[PATH_BYTES];
    if (snprintf(member, sizeof member, "%s/", name) >= (int)sizeof member)
        return fail_path(name, "name too long");
    return member_header(t, member, '5', 0, 0755);
}

int tar_add_file(struct tar_out *t, const char *name, const void *data,
                 size_t len)
{
    if (member_header(t, name, '0', len, 0644) != 0 ||
        emit(t, data, len) != 0)
        return -1;
    return pad(t, len);
}

int tar_finish(struct tar_out *t)
{
    /* Two zero blocks end the archive; then up to a whole record. */
    size_t end = (size_t)((t->stream + 2 * BLOCK + RECORD - 1) / RECORD *
                          RECORD - t->stream);
    if (emit(t, NULL, end) != 0 || drain(t, Z_FINISH) != 0)
        return -1;
    if (fsync(t->fd) != 0)
        return fail_path(t->tmp, "cannot flush to disk: %s", strerror(errno));
    int fd = t->fd;
    t->fd = -1;
    if (close(fd) != 0)
        return fail_path(t->tmp, "write error: %s", strerror(errno));
    if (rename(t->tmp, t->final) != 0)
        return fail_path(t->final, "cannot rename %s to it: %s", t->tmp,
                         strerror(errno));
    t->tmp[0] = '\0'; /* published: nothing to remove */
    return 0;
}

void tar_close(struct tar_out *t)
{
    if (!t->in) /* never opened, or closed */
        return;
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
    }
    if (t->tmp[0])
        unlink(t->tmp);
    t->tmp[0] = '\0';
    if (t->z_open)
        deflateEnd(&t->z);
    t->z_open = 0;
    free(t->in);
    free(t->out);
    t->in = t->out = NULL;
}
