/*
 * outdir.c - the output folder: mkdir -p, the writability check, the lock,
 * and the scan for an earlier run's files (see benprep/outdir.h).
 */
#include "benprep/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benprep/identity.h"
#include "benprep/log.h"
#include "benprep/names.h"
#include "benprep/status.h"
#include "common/fsutil.h"

/* What scan() does besides looking: SCAN_TMP deletes our temporary files
 * (no run can be using them while we hold the lock). */
enum scan_mode { SCAN_LOOK, SCAN_TMP };

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
        if (is_tmp && mode != SCAN_LOOK && remove_file(dir, n) != BP_OK)
            status = BP_OUTPUT;
    }
    closedir(d);
    return status;
}

/* The JSON in the regular file dir/name (never blocking on anything else),
 * or NULL; nothing is logged. For a journal, its first line. */
static json_object *read_quietly(const char *dir, const char *name,
                                 int first_line)
{
    char path[4096];
    struct stat st;
    const char *kind;
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return NULL;
    int fd = bp_open_regular(path, &st, &kind);
    if (fd < 0)
        return NULL;
    if (!first_line) {
        json_object *o = json_object_from_fd(fd);
        close(fd);
        return o;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return NULL;
    }
    char *line = NULL;
    size_t cap = 0;
    json_object *o = getline(&line, &cap, f) > 0 ? json_tokener_parse(line) : NULL;
    free(line);
    fclose(f);
    return o;
}

/* Add the "split" names of the files of an identity's "splits" list. */
static void add_split_names(json_object *names, json_object *identity)
{
    json_object *splits = NULL;
    if (!json_object_object_get_ex(identity, "splits", &splits) ||
        !json_object_is_type(splits, json_type_array))
        return;
    for (size_t i = 0; i < json_object_array_length(splits); i++) {
        json_object *name = NULL;
        if (json_object_object_get_ex(json_object_array_get_idx(splits, i),
                                      "split", &name) &&
            json_object_is_type(name, json_type_string))
            json_object_array_add(names, json_object_get(name));
    }
}

/* Whether name is a shard or index file of one of the splits in names. */
static int of_listed_split(const char *name, json_object *names)
{
    size_t len = bp_shard_name_split(name);
    for (size_t i = 0; len && i < json_object_array_length(names); i++) {
        json_object *s = json_object_array_get_idx(names, i);
        if ((size_t)json_object_get_string_len(s) == len &&
            memcmp(json_object_get_string(s), name, len) == 0)
            return 1;
    }
    return 0;
}

/* The splits the earlier run in dir names in its journal or manifest. */
static json_object *earlier_splits(const char *dir)
{
    json_object *names = json_object_new_array();
    json_object *journal = read_quietly(dir, BP_JOURNAL_NAME, 1), *id = NULL;
    if (journal && json_object_object_get_ex(journal, "identity", &id))
        add_split_names(names, id);
    json_object_put(journal);
    json_object *manifest = read_quietly(dir, BP_MANIFEST_NAME, 0);
    id = manifest ? bp_manifest_identity(manifest) : NULL;
    if (id)
        add_split_names(names, id);
    json_object_put(id);
    json_object_put(manifest);
    return names;
}

/* --force: delete what an earlier run wrote into dir: its manifest, its
 * journal, and the shard and index files of the splits they name. Nothing
 * else is deleted, a file named like a shard of another split (the user's
 * own data) included; such files are mentioned in a warning. */
static int remove_earlier(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        BP_ERROR("%s: cannot list the output folder: %s", dir, strerror(errno));
        return BP_OUTPUT;
    }
    json_object *names = earlier_splits(dir);
    int status = BP_OK;
    size_t kept = 0;
    char example[256] = "";
    struct dirent *ent;
    while ((ent = readdir(d))) {
        const char *n = ent->d_name;
        int ours = strcmp(n, BP_MANIFEST_NAME) == 0 ||
                   strcmp(n, BP_JOURNAL_NAME) == 0 || of_listed_split(n, names);
        if (!ours && bp_shard_name_split(n) && kept++ == 0)
            snprintf(example, sizeof example, "%s", n);
        if (ours && remove_file(dir, n) != BP_OK)
            status = BP_OUTPUT;
    }
    closedir(d);
    if (kept)
        BP_WARN("%s: --force leaves %zu file%s named like shards (%s) in "
                "place: no split of that name is in the earlier run's journal "
                "or manifest",
                dir, kept, kept == 1 ? "" : "s", example);
    json_object_put(names);
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
    status = scan(od->dir, SCAN_TMP, &cleared);
    if (status == BP_OK && cfg->force)
        status = remove_earlier(od->dir);
    return status;
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
