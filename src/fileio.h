/*
 * fileio.h - internal: opening input files safely, writing a whole buffer
 * to a file descriptor, removing a file.
 */
#ifndef BENPREP_FILEIO_H
#define BENPREP_FILEIO_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benprep/log.h"

/* Write all len bytes, retrying short writes and EINTR. Returns 0, or -1
 * with errno set (ENOSPC for a write that makes no progress). */
static inline int bp_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Remove dir/name; a file already gone is fine. Returns 0, or -1 after
 * logging why it could not be removed. */
static inline int bp_remove_in(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (unlink(path) == 0 || errno == ENOENT)
        return 0;
    BP_ERROR("%s: cannot remove: %s", path, strerror(errno));
    return -1;
}

/* What a file of this mode is, for a message saying why it is not read:
 * "a folder", "a FIFO (named pipe)", "a socket", ... */
static inline const char *bp_file_kind(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a folder";
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    return "not a regular file";
}

/* Open path for reading if it is a regular file (also through symlinks),
 * without ever blocking: O_NONBLOCK makes the open of a FIFO return at
 * once (it changes nothing for a regular file), and fstat on the opened
 * descriptor tells what was opened. Returns the descriptor with *st filled
 * in; or -1 with *kind set to what the file is when it is not a regular
 * file (a FIFO, socket, device or folder, which are refused); or -1 with
 * *kind NULL and errno set when it cannot be opened. Costs open and fstat,
 * plus a stat when the open fails (a socket cannot be opened at all). */
static inline int bp_open_regular(const char *path, struct stat *st,
                                  const char **kind)
{
    *kind = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int err = errno;
        if (err != ENOENT && stat(path, st) == 0 && !S_ISREG(st->st_mode))
            *kind = bp_file_kind(st->st_mode);
        errno = err;
        return -1;
    }
    if (fstat(fd, st) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        *kind = bp_file_kind(st->st_mode);
        close(fd);
        return -1;
    }
    return fd;
}

#endif
