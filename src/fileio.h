/*
 * fileio.h - internal: writing a whole buffer to a file descriptor.
 */
#ifndef BENPREP_FILEIO_H
#define BENPREP_FILEIO_H

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

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

#endif
