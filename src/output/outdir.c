/*
 * outdir.c - the output folder: mkdir -p, the writability check, the lock,
 * and the scan for an earlier run's files (see benprep/outdir.h).
 */
#include "benprep/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "benprep/log.h"
#include "benprep/names.h"
#include "benprep/status.h"
#include "common/fsutil.h"

/* What scan() does besides looking: SCAN_TMP deletes our temporary files
 * (no run can be using them while we hold the lock); SCAN_ALL deletes
 * everything of ours (--force). */
enum scan_mode { SCAN_LOOK, SCAN_TMP, SCAN_ALL };

static int remove_file(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (unlink(path) != 0 && errno != ENOENT) {
        BP_ERROR("%s: cannot remove: %s", path, strerror(errno));
        return BP_OUTPUT;
    }
    return BP_OK;
}

static int scan(const char *dir, enum scan_mode mode, struct bp_earlier *e)
{
    memset(e, 0, sizeof *e);
    DIR *d = opendir(dir);
    if (!d) {
        BP_ERROR("%s: cannot list the output folder: %s", dir, strerror(errno));
        return BP_OUTPUT;
    }
    struct dirent *ent;
    int status = BP_OK;
    while ((ent = readdir(d))) {
        const char *n = ent->d_name;
        int is_manifest = strcmp(n, BP_MANIFEST_NAME) == 0;
        int is_journal = strcmp(n, BP_JOURNAL_NAME) == 0;
        int is_shard = bp_is_shard_name(n);
        int is_tmp = bp_is_own_tmp(n);
        if (!is_manifest && !is_journal && !is_shard && !is_tmp)
            continue;
        e->manifest |= is_manifest;
        e->journal |= is_journal;
        e->shards += is_shard;
        if (!is_tmp && !e->example[0])
            snprintf(e->example, sizeof e->example, "%s", n);
        if (((is_tmp && mode != SCAN_LOOK) || mode == SCAN_ALL) &&
            remove_file(dir, n) != BP_OK)
            status = BP_OUTPUT;
    }
    closedir(d);
    return status;
}

/* Refused: who holds the lock, where the file system can say. */
static int refuse_locked(const char *dir, int fd, struct flock *fl)
{
    char pid[64] = "";
    if (fcntl(fd, F_GETLK, fl) == 0 && fl->l_type != F_UNLCK && fl->l_pid > 0)
        snprintf(pid, sizeof pid, " (process %ld)", (long)fl->l_pid);
    close(fd);
    BP_ERROR("%s: another ben-prep run%s is writing into this folder (it "
             "holds %s); wait for it to end, or stop it, first",
             dir, pid, BP_LOCK_NAME);
    return BP_USAGE;
}

static int lock(struct bp_outdir *od)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", od->dir, BP_LOCK_NAME);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int existed = fd < 0 && errno == EEXIST;
    od->lock_created = fd >= 0;
    if (existed)
        fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        BP_ERROR("%s: cannot %s: %s", path, existed ? "open" : "create",
                 strerror(errno));
        return BP_OUTPUT;
    }
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        int err = errno;
        if (err == EACCES || err == EAGAIN)
            return refuse_locked(od->dir, fd, &fl);
        /* Some parallel file systems have no locks (Lustre mounted without
         * flock, some NFS setups): run without one rather than not at all. */
        BP_WARN("%s: cannot lock: %s; nothing stops a second run from "
                "writing into this folder at the same time",
                path, strerror(err));
    }
    od->lock_fd = fd;
    return BP_OK;
}

/* Create the folder and check it is writable. */
static int make_folder(const char *dir)
{
    char failed[4096];
    int err = bp_mkdir_p(dir, failed, sizeof failed);
    if (err) {
        BP_ERROR("%s: cannot create the output folder: %s", failed,
                 strerror(err));
        return BP_OUTPUT;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        BP_ERROR("%s: output folder is not writable: %s", dir,
                 strerror(errno));
        return BP_OUTPUT;
    }
    return BP_OK;
}

int bp_outdir_open(struct bp_outdir *od, const struct bp_config *cfg,
                   struct bp_earlier *e)
{
    od->dir = cfg->out_dir;
    od->lock_fd = -1;
    od->lock_created = 0;
    memset(e, 0, sizeof *e);
    int status = make_folder(od->dir);
    if (status == BP_OK)
        status = lock(od);
    if (status == BP_OK)
        status = scan(od->dir, SCAN_LOOK, e);
    if (status != BP_OK)
        return status;
    if ((e->manifest || e->journal || e->shards) && !cfg->resume &&
        !cfg->force) {
        BP_ERROR("%s already holds the output of an earlier run (%s); use "
                 "--resume to continue it or --force to replace it",
                 od->dir, e->example);
        return BP_USAGE;
    }
    struct bp_earlier cleared;
    return scan(od->dir, cfg->force ? SCAN_ALL : SCAN_TMP, &cleared);
}

void bp_outdir_close(struct bp_outdir *od, int refused)
{
    if (od->lock_fd < 0)
        return;
    if (refused && od->lock_created) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", od->dir, BP_LOCK_NAME);
        unlink(path);
    }
    close(od->lock_fd);
    od->lock_fd = -1;
}
