/* source.c - a root's file bytes, from a folder or an archive (see
 * convert/source.h). */
#include "convert/source.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benprep/archive.h"
#include "benprep/log.h"
#include "benprep/status.h"
#include "common/fsutil.h"

struct bp_source {
    char *root;                 /* the folder or the archive */
    struct bp_archive *archive; /* NULL for a folder */
    char member[1024];          /* the member being read */
};

int bp_failure_set(struct bp_failure *why, const char *file, const char *fmt,
                   ...)
{
    snprintf(why->file, sizeof why->file, "%s", file);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->reason, sizeof why->reason, fmt, ap);
    va_end(ap);
    return BP_INPUT;
}

struct bp_source *bp_source_folder(const char *root)
{
    struct bp_source *s = calloc(1, sizeof *s);
    if (s)
        s->root = strdup(root ? root : "");
    if (s && !s->root) {
        free(s);
        return NULL;
    }
    return s;
}

int bp_source_archive(const char *archive, const char *index_path,
                      struct bp_source **out)
{
    *out = NULL;
    struct bp_source *s = bp_source_folder(archive);
    if (!s)
        return BP_NOMEM;
    int rc = bp_archive_open(archive, index_path, &s->archive);
    if (rc != BP_OK) {
        bp_source_free(s);
        return rc;
    }
    *out = s;
    return BP_OK;
}

int bp_source_is_archive(const struct bp_source *s)
{
    return s->archive != NULL;
}

void bp_source_free(struct bp_source *s)
{
    if (!s)
        return;
    if (s->archive) {
        struct bp_archive_stats st;
        bp_archive_get_stats(s->archive, &st);
        BP_DEBUG("archive %s: members %" PRIu64 ", reads %" PRIu64
                 ", bytes read %" PRIu64 ", inflated %" PRIu64
                 ", reinflated %" PRIu64 ", jumps %" PRIu64,
                 s->root, st.members, st.reads, st.bytes_read, st.inflated,
                 st.reinflated, st.jumps);
    }
    bp_archive_close(s->archive);
    free(s->root);
    free(s);
}

/* A missing file at path: say whether its whole folder is missing. */
static int missing(char *path, struct bp_failure *why)
{
    struct stat st;
    char *slash = strrchr(path, '/');
    if (slash) {
        *slash = '\0';
        int folder_missing = stat(path, &st) != 0;
        if (folder_missing)
            bp_failure_set(why, path, "patch folder not found");
        *slash = '/';
        if (folder_missing)
            return BP_INPUT;
    }
    return bp_failure_set(why, path, "file not found");
}

/* Open path if it is a regular file; -1 with *rc and *why when not. */
static int open_file(char *path, struct stat *st, int *rc,
                     struct bp_failure *why)
{
    const char *kind;
    int fd = bp_open_regular(path, st, &kind);
    if (fd >= 0)
        return fd;
    int err = errno;
    if (kind) {
        *rc = bp_failure_set(why, path, "not a regular file but %s", kind);
    } else if (err == EINTR) {
        bp_failure_set(why, path, "open interrupted by a signal");
        *rc = BP_INTERRUPTED;
    } else if (err == ENOENT) {
        *rc = missing(path, why);
    } else {
        *rc = bp_failure_set(why, path, "cannot open: %s", strerror(err));
    }
    return -1;
}

/* Read the file at path whole into buf: open (never blocking), fstat,
 * read, close. fstat's size lets the read that returns it end the reading,
 * so a file costs four system calls, as many as open, read, read (end of
 * file), close. */
static int read_file(char *path, unsigned char *buf, size_t cap, size_t *len,
                     struct bp_failure *why)
{
    struct stat st;
    int rc = BP_OK;
    *len = 0;
    int fd = open_file(path, &st, &rc, why);
    if (fd < 0)
        return rc;
    if (st.st_size >= (off_t)cap) {
        rc = bp_failure_set(why, path,
                            "file of %lld bytes, larger than %zu: not a "
                            "BigEarthNet patch file",
                            (long long)st.st_size, cap);
        goto out;
    }
    for (;;) {
        size_t want = cap - *len;
        ssize_t n = read(fd, buf + *len, want);
        if (n < 0) {
            int interrupted = errno == EINTR;
            bp_failure_set(why, path, "read %s: %s",
                           interrupted ? "interrupted by a signal" : "error",
                           strerror(errno));
            rc = interrupted ? BP_INTERRUPTED : BP_INPUT;
            goto out;
        }
        *len += (size_t)n;
        if (*len == cap) {
            rc = bp_failure_set(why, path,
                                "file larger than %zu bytes: not a "
                                "BigEarthNet patch file",
                                cap);
            goto out;
        }
        /* A short read of a regular file ends at its end: done once it
         * gave all fstat announced (a file system may return less). */
        if (n == 0 || ((size_t)n < want && *len >= (size_t)st.st_size))
            break;
    }
out:
    close(fd);
    return rc;
}

int bp_source_read(struct bp_source *s, const char *name, const char *suffix,
                   unsigned char *buf, size_t cap, size_t *len, char *path,
                   size_t pathsz, struct bp_failure *why)
{
    *len = 0;
    if (!s->archive) {
        int n = snprintf(path, pathsz, "%s/%s/%s%s", s->root, name, name,
                         suffix);
        if (n < 0 || (size_t)n >= pathsz)
            return bp_failure_set(why, name, "path under %s is too long",
                                  s->root);
        return read_file(path, buf, cap, len, why);
    }
    int n = snprintf(s->member, sizeof s->member, "%s/%s%s", name, name,
                     suffix);
    snprintf(path, pathsz, "%s:%s/%s", s->root, bp_archive_top(s->archive),
             s->member);
    if (n < 0 || (size_t)n >= sizeof s->member)
        return bp_failure_set(why, path, "member name is too long");
    return bp_archive_read(s->archive, s->member, buf, cap, len, why);
}
