/* update_json.c - --update_json's rewrite of the S1 JSON (see
 * convert/update_json.h). */
#include "convert/update_json.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benprep/status.h"
#include "common/fsutil.h"
#include "convert/source.h"

/* The addition to the object, as json.dumps writes it (", " and ": "
 * separators), into add; returns its length. */
static size_t compose(char *add, size_t size,
                      const uint8_t multi_hot[BP_LABELS19])
{
    size_t n = (size_t)snprintf(add, size, ", \"BigEarthNet_19_labels\": [");
    int first = 1;
    for (int i = 0; i < BP_LABELS19; i++) {
        if (!multi_hot[i])
            continue;
        n += (size_t)snprintf(add + n, size - n, "%s\"%s\"",
                              first ? "" : ", ", bp_labels19_names[i]);
        first = 0;
    }
    n += (size_t)snprintf(add + n, size - n, "]}");
    return n;
}

/* Write head[0..hlen) and add[0..alen) to dest through the temporary file
 * tmp beside it, with mode. Failing to write the archive is an output
 * error: it is never skipped as a bad patch (the patch itself is fine). The
 * temporary file is made anew (O_EXCL): whatever a crash left under its
 * name, even a FIFO or a symlink, is removed, never opened. */
static int replace(const char *path, const char *dest, const char *tmp,
                   mode_t mode, const unsigned char *head, size_t hlen,
                   const char *add, size_t alen, struct bp_failure *why)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        bp_failure_set(why, path, "cannot write a new version beside %s: %s",
                       dest, strerror(errno));
        return BP_OUTPUT;
    }
    int ok = fchmod(fd, mode & 07777) == 0 &&
             bp_write_all(fd, head, hlen) == 0 &&
             bp_write_all(fd, (const unsigned char *)add, alen) == 0 &&
             fsync(fd) == 0;
    int err = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    if (ok && rename(tmp, dest) != 0) {
        ok = 0;
        err = errno;
    }
    if (!ok) {
        unlink(tmp);
        bp_failure_set(why, path, "cannot update %s: %s", dest,
                       strerror(err));
        return BP_OUTPUT;
    }
    return BP_OK;
}

int bp_json_add_19(const char *path, const unsigned char *json, size_t len,
                   const uint8_t multi_hot[BP_LABELS19],
                   struct bp_failure *why)
{
    size_t end = len;
    while (end > 0 && (json[end - 1] == ' ' || json[end - 1] == '\n' ||
                       json[end - 1] == '\r' || json[end - 1] == '\t'))
        end--;
    if (end == 0 || json[end - 1] != '}')
        return bp_failure_set(why, path, "JSON object does not end with '}'");
    end--;
    char add[32 + BP_LABELS19 * (BP_LABEL19_NAME_MAX + 4)];
    size_t n = compose(add, sizeof add, multi_hot);

    /* A symlink stays a link: its target is updated, as the reference's
     * open of the path for writing would write it. */
    char target[PATH_MAX];
    const char *dest = path;
    struct stat st;
    if (lstat(path, &st) != 0)
        return bp_failure_set(why, path, "cannot stat: %s", strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        if (!realpath(path, target) || stat(target, &st) != 0) {
            bp_failure_set(why, path, "cannot follow the symlink to update "
                           "its target: %s", strerror(errno));
            return BP_OUTPUT;
        }
        dest = target;
    }
    char tmp[PATH_MAX + 16];
    const char *slash = strrchr(dest, '/');
    const char *base = slash ? slash + 1 : dest;
    int dirlen = slash ? (int)(slash - dest) : 1;
    snprintf(tmp, sizeof tmp, "%.*s/.%s.tmp", dirlen, slash ? dest : ".",
             base);
    return replace(path, dest, tmp, st.st_mode, json, end, add, n, why);
}
