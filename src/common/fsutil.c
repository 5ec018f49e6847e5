/* fsutil.c - whole writes, temporary files, durable renames, mkdir -p (see
 * fsutil.h). */
#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benprep/log.h"
#include "benprep/status.h"

int bp_write_all(int fd, const void *data, size_t len)
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

const char *bp_file_kind(mode_t mode)
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

int bp_open_regular(const char *path, struct stat *st, const char **kind)
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

int bp_tmp_create(const char *dir, const char *name, int extra_flags,
                  char *tmp, char *final, size_t size)
{
    int n1 = snprintf(tmp, size, "%s/.%s.tmp", dir, name);
    int n2 = final ? snprintf(final, size, "%s/%s", dir, name) : 0;
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= size || (size_t)n2 >= size) {
        BP_ERROR("%s/%s: path too long", dir, name);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | extra_flags,
                  0644);
    if (fd < 0)
        BP_ERROR("%s: cannot create: %s", tmp, strerror(errno));
    return fd;
}

int bp_file_finish(int fd, const char *path)
{
    if (fsync(fd) != 0) {
        BP_ERROR("%s: fsync failed: %s", path, strerror(errno));
        close(fd);
        return BP_OUTPUT;
    }
    if (close(fd) != 0) {
        BP_ERROR("%s: close failed: %s", path, strerror(errno));
        return BP_OUTPUT;
    }
    return BP_OK;
}

int bp_publish(const char *tmp, const char *final, const char *dir)
{
    if (rename(tmp, final) != 0) {
        BP_ERROR("%s: cannot rename to %s: %s", tmp, final, strerror(errno));
        return BP_OUTPUT;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0 && errno != EINVAL)
            BP_WARN("%s: fsync of the folder failed: %s", dir, strerror(errno));
        close(dfd);
    }
    return BP_OK;
}

int bp_write_file_atomic(const char *dir, const char *name, const char *text,
                         size_t len)
{
    char tmp[4096], final[4096];
    int fd = bp_tmp_create(dir, name, 0, tmp, final, sizeof tmp);
    if (fd < 0)
        return BP_OUTPUT;
    int rc = BP_OK;
    if (bp_write_all(fd, text, len) != 0 || fsync(fd) != 0) {
        BP_ERROR("%s: write failed: %s", tmp, strerror(errno));
        close(fd);
        rc = BP_OUTPUT;
    } else if (close(fd) != 0) {
        BP_ERROR("%s: close failed: %s", tmp, strerror(errno));
        rc = BP_OUTPUT;
    }
    if (rc == BP_OK)
        rc = bp_publish(tmp, final, dir);
    if (rc != BP_OK)
        unlink(tmp);
    return rc;
}

int bp_mkdir_p(const char *dir, char *failed, size_t size)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(failed, size, "%s", dir);
        return ENAMETOOLONG;
    }
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (p[-1] != '/' && mkdir(path, 0777) != 0 && errno != EEXIST) {
            int err = errno;
            snprintf(failed, size, "%s", path);
            return err;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    int err = stat(dir, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (err)
        snprintf(failed, size, "%s", dir);
    return err;
}
