#include "benprep/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benprep/log.h"
#include "benprep/manifest.h"
#include "benprep/plan.h"
#include "benprep/status.h"
#include "fileio.h"

struct bp_journal {
    int fd;
    char path[4096];
};

static json_object *hex32(uint32_t v)
{
    char buf[9];
    snprintf(buf, sizeof buf, "%08x", v);
    return json_object_new_string(buf);
}

/* A list of split or exclusion files by name, rows, size and CRC-32C. */
static json_object *files_identity(const struct bp_split *f, size_t n,
                                   const char *key)
{
    json_object *arr = json_object_new_array();
    for (size_t s = 0; s < n; s++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, key, json_object_new_string(f[s].name));
        json_object_object_add(o, "rows", json_object_new_int64((int64_t)f[s].nrows));
        json_object_object_add(o, "bytes", json_object_new_int64((int64_t)f[s].text_len));
        json_object_object_add(o, "crc32c", hex32(f[s].crc32c));
        json_object_array_add(arr, o);
    }
    return arr;
}

json_object *bp_run_identity(const struct bp_config *cfg,
                             const struct bp_inputs *in)
{
    json_object *id = json_object_new_object();
    json_object_object_add(id, "version", json_object_new_string(bp_version()));
    json_object_object_add(id, "library", json_object_new_string(cfg->library));
    json_object_object_add(id, "records_per_shard",
                           json_object_new_int64(cfg->records_per_shard));
    json_object_object_add(id, "update_json",
                           json_object_new_boolean(cfg->update_json));
    json_object_object_add(id, "compression",
                           json_object_new_string(bp_compression_name(cfg->compression)));
    json_object_object_add(id, "compression_level",
                           json_object_new_int(cfg->compression_level));
    json_object_object_add(id, "index", json_object_new_boolean(cfg->index));
    json_object_object_add(id, "root_folder_s1",
                           json_object_new_string(cfg->root_s1 ? cfg->root_s1 : ""));
    json_object_object_add(id, "root_folder_s2",
                           json_object_new_string(cfg->root_s2 ? cfg->root_s2 : ""));
    json_object_object_add(id, "splits", files_identity(in->splits, in->nsplits, "split"));
    json_object_object_add(id, "exclude",
                           files_identity(in->excludes, in->nexcludes, "list"));
    return id;
}

/* get a.b from a manifest, or NULL */
static json_object *get2(json_object *o, const char *a, const char *b)
{
    json_object *x = NULL, *y = NULL;
    if (!json_object_object_get_ex(o, a, &x) || !json_object_object_get_ex(x, b, &y))
        return NULL;
    return y;
}

static void copy_field(json_object *to, const char *key, json_object *from)
{
    if (from)
        json_object_object_add(to, key, json_object_get(from));
}

/* The identity fields of a manifest's list of input files. */
static json_object *files_from_manifest(json_object *files, const char *key)
{
    json_object *arr = json_object_new_array();
    size_t n = files && json_object_is_type(files, json_type_array)
                   ? json_object_array_length(files)
                   : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *in = json_object_array_get_idx(files, i), *v;
        json_object *o = json_object_new_object();
        const char *keys[] = {key, "rows", "bytes", "crc32c"};
        for (size_t k = 0; k < 4; k++)
            if (json_object_object_get_ex(in, keys[k], &v))
                json_object_object_add(o, keys[k], json_object_get(v));
        json_object_array_add(arr, o);
    }
    return arr;
}

json_object *bp_manifest_identity(json_object *m)
{
    json_object *splits = get2(m, "inputs", "splits");
    if (!get2(m, "tool", "version") || !splits ||
        !json_object_is_type(splits, json_type_array))
        return NULL;
    json_object *id = json_object_new_object();
    copy_field(id, "version", get2(m, "tool", "version"));
    copy_field(id, "library", get2(m, "options", "library"));
    copy_field(id, "records_per_shard", get2(m, "options", "records_per_shard"));
    copy_field(id, "update_json", get2(m, "options", "update_json"));
    copy_field(id, "compression", get2(m, "options", "compression"));
    copy_field(id, "compression_level", get2(m, "options", "compression_level"));
    copy_field(id, "index", get2(m, "options", "index"));
    copy_field(id, "root_folder_s1", get2(m, "inputs", "root_folder_s1"));
    copy_field(id, "root_folder_s2", get2(m, "inputs", "root_folder_s2"));
    json_object_object_add(id, "splits", files_from_manifest(splits, "split"));
    json_object_object_add(id, "exclude",
                           files_from_manifest(get2(m, "inputs", "exclude"), "list"));
    return id;
}

/* Whether the identity values w and h of key are the same: equal, or for
 * the archive roots two spellings of one folder ("DIR/" and "DIR", or a
 * symlink to it), compared by their resolved real paths. */
static int same_value(const char *key, json_object *w, json_object *h)
{
    if (json_object_equal(w, h))
        return 1;
    if ((strcmp(key, "root_folder_s1") != 0 &&
         strcmp(key, "root_folder_s2") != 0) ||
        !json_object_is_type(w, json_type_string) ||
        !json_object_is_type(h, json_type_string))
        return 0;
    char a[PATH_MAX], b[PATH_MAX];
    return realpath(json_object_get_string(w), a) &&
           realpath(json_object_get_string(h), b) && strcmp(a, b) == 0;
}

int bp_identity_same(json_object *want, json_object *have)
{
    if (json_object_object_length(want) != json_object_object_length(have))
        return 0;
    json_object_object_foreach(want, key, w) {
        json_object *h = NULL;
        if (!json_object_object_get_ex(have, key, &h) || !same_value(key, w, h))
            return 0;
    }
    return 1;
}

void bp_identity_diff(json_object *want, json_object *have, char *buf,
                      size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    json_object_object_foreach(want, key, w) {
        json_object *h = NULL;
        json_object_object_get_ex(have, key, &h);
        if (h && same_value(key, w, h))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s: now %s, earlier %s",
                         used ? "; " : "", key,
                         json_object_to_json_string_ext(
                             w, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                         h ? json_object_to_json_string_ext(
                                 h, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                           : "absent");
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

static int write_line(int fd, const char *path, json_object *o)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    /* One write per line: text and newline together. */
    char *line = malloc(len + 1);
    if (!line) {
        BP_ERROR("%s: out of memory", path);
        return BP_OUTPUT;
    }
    memcpy(line, text, len);
    line[len] = '\n';
    if (bp_write_all(fd, line, len + 1) != 0) {
        BP_ERROR("%s: write error: %s", path, strerror(errno));
        free(line);
        return BP_OUTPUT;
    }
    free(line);
    if (fsync(fd) != 0) {
        BP_ERROR("%s: fsync failed: %s", path, strerror(errno));
        return BP_OUTPUT;
    }
    return BP_OK;
}

int bp_journal_start(const char *dir, json_object *identity,
                     json_object *entries, struct bp_journal **out)
{
    *out = NULL;
    struct bp_journal *j = calloc(1, sizeof *j);
    char tmp[4096];
    if (!j)
        return BP_NOMEM;
    int n1 = snprintf(j->path, sizeof j->path, "%s/%s", dir, BP_JOURNAL_NAME);
    int n2 = snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, BP_JOURNAL_NAME);
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof j->path ||
        (size_t)n2 >= sizeof tmp) {
        BP_ERROR("%s: output path too long", dir);
        free(j);
        return BP_OUTPUT;
    }
    j->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (j->fd < 0) {
        BP_ERROR("%s: cannot create: %s", tmp, strerror(errno));
        free(j);
        return BP_OUTPUT;
    }
    json_object *head = json_object_new_object();
    json_object_object_add(head, "ben-prep journal", json_object_new_int(1));
    json_object_object_add(head, "identity", json_object_get(identity));
    int rc = write_line(j->fd, tmp, head);
    json_object_put(head);
    for (size_t i = 0; rc == BP_OK && entries && i < json_object_array_length(entries); i++)
        rc = write_line(j->fd, tmp, json_object_array_get_idx(entries, i));
    if (rc == BP_OK && rename(tmp, j->path) != 0) {
        BP_ERROR("%s: cannot rename to %s: %s", tmp, j->path, strerror(errno));
        rc = BP_OUTPUT;
    }
    if (rc != BP_OK) {
        close(j->fd);
        unlink(tmp);
        free(j);
        return rc;
    }
    *out = j;
    return BP_OK;
}

int bp_journal_append(struct bp_journal *j, json_object *entry)
{
    return write_line(j->fd, j->path, entry);
}

void bp_journal_close(struct bp_journal *j, int remove)
{
    if (!j)
        return;
    /* Every line was fsync'd as it was written, so a late error here loses
     * nothing; it is still worth a word. */
    if (close(j->fd) != 0)
        BP_WARN("%s: error on close: %s", j->path, strerror(errno));
    if (remove && unlink(j->path) != 0 && errno != ENOENT)
        BP_WARN("%s: cannot remove: %s", j->path, strerror(errno));
    free(j);
}

int bp_journal_load(const char *dir, json_object **identity,
                    json_object **entries)
{
    *identity = NULL;
    *entries = NULL;
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, BP_JOURNAL_NAME);
    if (n < 0 || (size_t)n >= sizeof path)
        return BP_OUTPUT;
    struct stat st;
    const char *kind;
    int fd = bp_open_regular(path, &st, &kind);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        if (fd < 0 && !kind && errno == ENOENT)
            return BP_INPUT;
        if (kind)
            BP_ERROR("%s: not a regular file but %s", path, kind);
        else
            BP_ERROR("%s: cannot read: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return BP_OUTPUT;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    json_object *arr = json_object_new_array();
    int first = 1, rc = BP_OK;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n')
            break; /* torn last line */
        json_object *o = json_tokener_parse(line);
        if (first) {
            json_object *id = NULL;
            if (!o || !json_object_object_get_ex(o, "identity", &id)) {
                BP_ERROR("%s: not a ben-prep journal", path);
                json_object_put(o);
                rc = BP_OUTPUT;
                break;
            }
            *identity = json_object_get(id);
            json_object_put(o);
            first = 0;
            continue;
        }
        if (o)
            json_object_array_add(arr, o);
    }
    free(line);
    fclose(f);
    if (rc == BP_OK && first) {
        BP_ERROR("%s: empty journal", path);
        rc = BP_OUTPUT;
    }
    if (rc != BP_OK) {
        json_object_put(arr);
        json_object_put(*identity);
        *identity = NULL;
        return rc;
    }
    *entries = arr;
    return BP_OK;
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

int bp_earlier_remove(const char *dir)
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

    int status = BP_OK;
    size_t kept = 0;
    char example[256] = "";
    DIR *d = opendir(dir);
    if (!d) {
        BP_ERROR("%s: cannot list the output folder: %s", dir, strerror(errno));
        json_object_put(names);
        return BP_OUTPUT;
    }
    struct dirent *ent;
    while ((ent = readdir(d))) {
        const char *n = ent->d_name;
        int ours = strcmp(n, BP_MANIFEST_NAME) == 0 ||
                   strcmp(n, BP_JOURNAL_NAME) == 0 || of_listed_split(n, names);
        if (!ours && bp_shard_name_split(n) && kept++ == 0)
            snprintf(example, sizeof example, "%s", n);
        if (ours && bp_remove_in(dir, n) != 0)
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
