/* locate.c - what a root is, where its index lives, whether an index is
 * fresh, and finding or building one (see archive.h). */
#include "benprep/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "build.h"
#include "bytes.h"
#include "fingerprint.h"
#include "idxfile.h"
#include "paths.h"
#include "tar.h"

const char *bp_root_kind_name(enum bp_root_kind kind)
{
    switch (kind) {
    case BP_ROOT_FOLDER:
        return "folder";
    case BP_ROOT_TAR:
        return "tar";
    case BP_ROOT_GZIP:
        return "gzip";
    }
    return "unknown";
}

int bp_root_probe(const char *path, enum bp_root_kind *kind, char *msg,
                  size_t msgsz)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(msg, msgsz, "%s", strerror(errno));
        return BP_INPUT;
    }
    if (S_ISDIR(st.st_mode)) {
        *kind = BP_ROOT_FOLDER;
        return BP_OK;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(msg, msgsz, "neither a folder nor a regular file");
        return BP_INPUT;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(msg, msgsz, "cannot open: %s", strerror(errno));
        return BP_INPUT;
    }
    unsigned char h[BPX_TAR_BLOCK];
    ssize_t n = bpx_pread_full(fd, h, sizeof h, 0);
    int e = errno;
    close(fd);
    if (n < 0) {
        snprintf(msg, msgsz, "cannot read: %s", strerror(e));
        return BP_INPUT;
    }
    static const struct {
        const char *magic;
        size_t len;
        const char *name;
    } others[] = {
        {"BZh", 3, "bzip2"},
        {"\xfd\x37\x7a\x58\x5a\x00", 6, "xz"},
        {"\x28\xb5\x2f\xfd", 4, "zstd"},
        {"\x04\x22\x4d\x18", 4, "lz4"},
        {"\x1f\x9d", 2, "compress (.Z)"},
        {"PK\x03\x04", 4, "zip"},
    };
    if (n == 0) {
        snprintf(msg, msgsz, "an empty file, not a tar or gzip archive");
        return BP_INPUT;
    }
    if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b) {
        *kind = BP_ROOT_GZIP;
        return BP_OK;
    }
    if (n == (ssize_t)sizeof h && bpx_tar_header_kind(h)) {
        *kind = BP_ROOT_TAR;
        return BP_OK;
    }
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if ((size_t)n >= others[i].len &&
            memcmp(h, others[i].magic, others[i].len) == 0) {
            snprintf(msg, msgsz,
                     "a %s file: only folders, tar and gzip-compressed tar "
                     "archives can be read",
                     others[i].name);
            return BP_INPUT;
        }
    snprintf(msg, msgsz, "neither a folder nor a tar or gzip archive (by "
                         "its first bytes)");
    return BP_INPUT;
}

static int join(char *buf, size_t size, const char *dir, const char *base)
{
    int n = snprintf(buf, size, "%s/%s%s", dir, base, BP_ARCHIVE_INDEX_SUFFIX);
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

int bp_archive_index_path(const char *archive, const char *out_dir,
                          const char *index_dir, char *buf, size_t size)
{
    char dir[4096];
    const char *base = bpx_base_of(archive);
    int rc;
    if (index_dir) {
        rc = join(buf, size, index_dir, base);
    } else {
        bpx_dir_of(archive, dir, sizeof dir);
        if (access(dir, W_OK) == 0) {
            rc = join(buf, size, dir, base);
        } else if (out_dir) {
            rc = join(buf, size, out_dir, base);
        } else {
            BP_ERROR("%s: its folder %s is not writable: give a folder for "
                     "its index (--index-dir or -o)",
                     archive, dir);
            return BP_USAGE;
        }
    }
    if (rc != 0) {
        BP_ERROR("%s: the index path is too long", archive);
        return BP_USAGE;
    }
    return BP_OK;
}

enum bp_index_state bp_archive_index_check(const char *archive,
                                           const char *index_path, int full,
                                           char *reason, size_t size)
{
    enum bp_index_state state = BP_INDEX_DAMAGED;
    struct bpx_idx *x = NULL;
    unsigned char *buf = NULL;
    int afd = -1;
    char why[600];
    int ifd = open(index_path, O_RDONLY | O_CLOEXEC);
    if (ifd < 0) {
        int e = errno;
        snprintf(reason, size, "no index at %s (%s)", index_path,
                 strerror(e));
        return e == ENOENT ? BP_INDEX_MISSING : BP_INDEX_DAMAGED;
    }
    if (bpx_idx_open(ifd, &x, why, sizeof why) != 0) {
        snprintf(reason, size, "%s", why);
        goto out;
    }
    afd = open(archive, O_RDONLY | O_CLOEXEC);
    buf = malloc(BPX_FINGERPRINT_SPAN);
    struct bpx_fingerprint fp;
    if (afd < 0 || !buf || bpx_fingerprint_take(afd, &fp, buf) != 0) {
        snprintf(reason, size, "cannot read the archive: %s",
                 strerror(errno));
        goto out;
    }
    if (bpx_fingerprint_differs(&fp, bpx_idx_header(x), 1, reason, size)) {
        state = BP_INDEX_STALE;
        goto out;
    }
    if (full && bpx_idx_verify(x, why, sizeof why) != 0) {
        snprintf(reason, size, "%s", why);
        goto out;
    }
    state = BP_INDEX_FRESH;
    if (size)
        reason[0] = '\0';
out:
    bpx_idx_close(x);
    free(buf);
    if (afd >= 0)
        close(afd);
    close(ifd);
    return state;
}

/* The info of an index found fresh. */
static void info_from_index(const char *index_path, struct bp_index_info *info)
{
    char why[600];
    struct bpx_idx *x = NULL;
    int fd = open(index_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (bpx_idx_open(fd, &x, why, sizeof why) == 0)
        bpx_index_info_fill(bpx_idx_header(x), info);
    bpx_idx_close(x);
    close(fd);
}

static const char *state_word(enum bp_index_state s)
{
    return s == BP_INDEX_STALE ? "stale" : "damaged";
}

int bp_archive_index_ensure(const char *archive, const char *out_dir,
                            const char *index_dir,
                            const struct bp_index_options *opt,
                            char *index_path, size_t size,
                            struct bp_index_info *info)
{
    struct bp_index_info scratch;
    if (!info)
        info = &scratch;
    memset(info, 0, sizeof *info);
    char cand[2][4096], dir[4096], reason[600];
    int ncand = 0;
    const char *base = bpx_base_of(archive);
    if (index_dir) {
        ncand += join(cand[ncand], sizeof cand[0], index_dir, base) == 0;
    } else {
        bpx_dir_of(archive, dir, sizeof dir);
        ncand += join(cand[ncand], sizeof cand[0], dir, base) == 0;
        if (out_dir)
            ncand += join(cand[ncand], sizeof cand[0], out_dir, base) == 0;
    }
    for (int i = 0; i < ncand; i++) {
        enum bp_index_state s =
            bp_archive_index_check(archive, cand[i], 1, reason, sizeof reason);
        if (s == BP_INDEX_FRESH) {
            if (snprintf(index_path, size, "%s", cand[i]) >= (int)size)
                break;
            info_from_index(cand[i], info);
            BP_DEBUG("%s: using its index %s", archive, cand[i]);
            if (info->damaged)
                BP_WARN("%s: the archive is damaged from byte %" PRIu64
                        " of its tar stream on: %s; members there cannot be "
                        "read",
                        archive, info->damage_offset, info->damage);
            return BP_OK;
        }
        if (s != BP_INDEX_MISSING)
            BP_WARN("%s: its index %s is %s (%s): building it again",
                    archive, cand[i], state_word(s), reason);
    }
    char target[4096];
    int rc = bp_archive_index_path(archive, out_dir, index_dir, target,
                                   sizeof target);
    if (rc != BP_OK)
        return rc;
    char alt[4096] = "";
    if (!index_dir && out_dir && join(alt, sizeof alt, out_dir, base) == 0 &&
        strcmp(alt, target) == 0)
        alt[0] = '\0';
    int create_errno = 0;
    rc = bpx_index_build(archive, target, opt, info, alt[0] != '\0',
                         &create_errno);
    if (rc == BP_OUTPUT && create_errno && alt[0]) {
        BP_INFO("%s: cannot write its index beside it (%s): writing %s",
                archive, strerror(create_errno), alt);
        snprintf(target, sizeof target, "%s", alt);
        rc = bpx_index_build(archive, target, opt, info, 0, NULL);
    }
    if (rc == BP_OK && snprintf(index_path, size, "%s", target) >= (int)size) {
        BP_ERROR("%s: the index path is too long", archive);
        return BP_USAGE;
    }
    return rc;
}
