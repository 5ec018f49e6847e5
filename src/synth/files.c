/*
 * files.c - ben-synth's paths, folders and whole files, and its one form
 * of run-time failure message: "ben-synth: PATH: reason" (see synth.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "synth/synth.h"

int fail_path(const char *path, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ben-synth: %s: ", path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

int make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0)
        return 0;
    int err = errno;
    struct stat st;
    if (err == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    if (err == EEXIST)
        return fail_path(path, "exists and is not a folder");
    return fail_path(path, "cannot create the folder: %s", strerror(err));
}

int join_path(char *dst, const char *a, const char *b, const char *c,
              const char *d)
{
    int n = snprintf(dst, PATH_BYTES, "%s%s%s%s%s%s", a, b ? "/" : "",
                     b ? b : "", c ? "/" : "", c ? c : "", d ? d : "");
    if (n < 0 || n >= PATH_BYTES)
        return fail_path(a, "path under this folder is too long");
    return 0;
}

int write_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return fail_path(path, "cannot create: %s", strerror(errno));
    int rc = 0;
    if (bp_write_all(fd, data, len) != 0)
        rc = fail_path(path, "write error: %s", strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc = fail_path(path, "write error: %s", strerror(errno));
    return rc;
}

/* The tar file of the root that path lies under, and the member name
 * (path less "DIR/"); NULL when path is under neither root. */
static struct tar_out *tar_of(struct generator *g, const char *path,
                              const char **member)
{
    const char *roots[2] = {g->s2_root, g->s1_root};
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(roots[i]);
        if (strncmp(path, roots[i], n) == 0 && path[n] == '/') {
            *member = path + strlen(g->out) + 1;
            return &g->tar[i];
        }
    }
    return NULL;
}

int put_dir(struct generator *g, const char *path)
{
    if (g->opt->archive == ARCHIVE_NONE)
        return make_dir(path);
    const char *member;
    struct tar_out *t = tar_of(g, path, &member);
    if (!t)
        return fail_path(path, "not under an archive root");
    return tar_add_dir(t, member);
}

int put_file(struct generator *g, const char *path, const char *data,
             size_t len)
{
    if (g->opt->archive == ARCHIVE_NONE)
        return write_file(path, data, len);
    const char *member;
    struct tar_out *t = tar_of(g, path, &member);
    if (!t)
        return fail_path(path, "not under an archive root");
    return tar_add_file(t, member, data, len);
}
