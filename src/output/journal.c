/*
 * journal.c - OUT/ben-prep.journal, the record of finished shards behind
 * --resume: the file (started atomically, appended and fsynced line by
 * line, read back) and the format of its entry lines (see
 * benprep/journal.h).
 */
#include "benprep/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "common/fsutil.h"
#include "common/jsonutil.h"

struct bp_journal {
    int fd;
    char path[4096];
};

/* o as one line, written with one write, then fsynced. */
static int write_line(int fd, const char *path, json_object *o)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    char *line = text ? malloc(len + 1) : NULL;
    if (!line) {
        BP_ERROR("%s: out of memory", path);
        return BP_OUTPUT;
    }
    memcpy(line, text, len);
    line[len] = '\n';
    int rc = bp_write_all(fd, line, len + 1);
    free(line);
    if (rc != 0) {
        BP_ERROR("%s: write error: %s", path, strerror(errno));
        return BP_OUTPUT;
    }
    if (fsync(fd) != 0) {
        BP_ERROR("%s: fsync failed: %s", path, strerror(errno));
        return BP_OUTPUT;
    }
    return BP_OK;
}

int bp_journal_start(const char *dir, json_object *identity,
                     json_object *lines, struct bp_journal **out)
{
    *out = NULL;
    struct bp_journal *j = calloc(1, sizeof *j);
    char tmp[4096];
    if (!j)
        return BP_NOMEM;
    j->fd = bp_tmp_create(dir, BP_JOURNAL_NAME, O_APPEND, tmp, j->path,
                          sizeof tmp);
    if (j->fd < 0) {
        free(j);
        return BP_OUTPUT;
    }
    json_object *head = json_object_new_object();
    json_object_object_add(head, "ben-prep journal", json_object_new_int(1));
    json_object_object_add(head, "identity", json_object_get(identity));
    int rc = write_line(j->fd, tmp, head);
    json_object_put(head);
    size_t n = lines ? json_object_array_length(lines) : 0;
    for (size_t i = 0; rc == BP_OK && i < n; i++)
        rc = write_line(j->fd, tmp, json_object_array_get_idx(lines, i));
    if (rc == BP_OK)
        rc = bp_publish(tmp, j->path, dir);
    if (rc != BP_OK) {
        close(j->fd);
        unlink(tmp);
        free(j);
        return rc;
    }
    *out = j;
    return BP_OK;
}

static json_object *skips_json(const struct bp_journal_entry *e)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < e->nskips; i++) {
        json_object *s = json_object_new_object();
        json_object_object_add(s, "row", json_object_new_int64(e->skips[i].row));
        json_object_object_add(s, "file",
                               json_object_new_string(e->skips[i].file));
        json_object_object_add(s, "reason",
                               json_object_new_string(e->skips[i].reason));
        json_object_array_add(arr, s);
    }
    return arr;
}

static json_object *entry_json(const struct bp_journal_entry *e)
{
    const struct bp_shard_info *f = &e->figures;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "chunk", json_object_new_int64(e->chunk));
    json_object_object_add(o, "shard", json_object_new_string(e->shard));
    json_object_object_add(o, "records",
                           json_object_new_int64((int64_t)f->records));
    json_object_object_add(o, "bytes", json_object_new_int64((int64_t)f->bytes));
    json_object_object_add(o, "crc32c", bp_json_hex32(f->crc32c));
    if (e->has_index) {
        json_object_object_add(o, "index_bytes",
                               json_object_new_int64((int64_t)f->index_bytes));
        json_object_object_add(o, "index_crc32c",
                               bp_json_hex32(f->index_crc32c));
    }
    json_object_object_add(o, "stats", bp_stats_to_journal(e->stats));
    json_object_object_add(o, "skipped", skips_json(e));
    return o;
}

int bp_journal_append(struct bp_journal *j, const struct bp_journal_entry *e)
{
    json_object *o = entry_json(e);
    int rc = write_line(j->fd, j->path, o);
    json_object_put(o);
    return rc;
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

/* The lines of f: the first one's identity into *identity, the others that
 * parse into lines. Returns BP_OK or BP_OUTPUT (logged). */
static int read_lines(FILE *f, const char *path, json_object **identity,
                      json_object *lines)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int first = 1, rc = BP_OK;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n')
            break; /* torn last line */
        json_object *o = json_tokener_parse(line), *id = NULL;
        if (!first) {
            if (o)
                json_object_array_add(lines, o);
            continue;
        }
        if (!o || !json_object_object_get_ex(o, "identity", &id)) {
            BP_ERROR("%s: not a ben-prep journal", path);
            json_object_put(o);
            rc = BP_OUTPUT;
            break;
        }
        *identity = json_object_get(id);
        json_object_put(o);
        first = 0;
    }
    free(line);
    if (rc == BP_OK && first) {
        BP_ERROR("%s: empty journal", path);
        rc = BP_OUTPUT;
    }
    return rc;
}

int bp_journal_load(const char *dir, json_object **identity,
                    json_object **lines)
{
    *identity = NULL;
    *lines = NULL;
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
    json_object *arr = json_object_new_array();
    int rc = read_lines(f, path, identity, arr);
    fclose(f);
    if (rc != BP_OK) {
        json_object_put(arr);
        json_object_put(*identity);
        *identity = NULL;
        return rc;
    }
    *lines = arr;
    return BP_OK;
}

/* o.key as a count; -1 when absent or not a number. */
static int64_t get_count(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_int))
        return -1;
    return json_object_get_int64(v);
}

/* o.key as a bp_json_hex32() value. Returns 0, or -1. */
static int get_hex32(json_object *o, const char *key, uint32_t *v)
{
    json_object *x;
    return json_object_object_get_ex(o, key, &x) ? bp_json_get_hex32(x, v)
                                                  : -1;
}

/* The skipped patches of entry line o into skips (emptied first); entries
 * missing a field are passed over. Returns BP_OK or BP_NOMEM. */
static int decode_skips(json_object *o, uint32_t chunk, struct bp_skips *skips)
{
    json_object *arr = NULL;
    bp_skips_clear(skips);
    if (!json_object_object_get_ex(o, "skipped", &arr) ||
        !json_object_is_type(arr, json_type_array))
        return BP_OK;
    for (size_t k = 0; k < json_object_array_length(arr); k++) {
        json_object *s = json_object_array_get_idx(arr, k), *file, *reason;
        int64_t row = get_count(s, "row");
        if (row < 0 || !json_object_object_get_ex(s, "file", &file) ||
            !json_object_object_get_ex(s, "reason", &reason))
            continue;
        if (bp_skips_add(skips, chunk, (uint32_t)row,
                         json_object_get_string(file),
                         json_object_get_string(reason)) != BP_OK)
            return BP_NOMEM;
    }
    return BP_OK;
}

/* Entry line o into *e (its stats into *stats). Returns 0, or -1 when a
 * field is missing. */
static int decode_entry(json_object *o, struct bp_journal_entry *e,
                        struct bp_stats *stats)
{
    json_object *shard, *st;
    int64_t chunk = get_count(o, "chunk");
    int64_t records = get_count(o, "records"), bytes = get_count(o, "bytes");
    memset(e, 0, sizeof *e);
    if (chunk < 0 || chunk > UINT32_MAX || records < 0 || bytes < 0 ||
        !json_object_object_get_ex(o, "shard", &shard) ||
        !json_object_is_type(shard, json_type_string) ||
        get_hex32(o, "crc32c", &e->figures.crc32c) != 0 ||
        !json_object_object_get_ex(o, "stats", &st) ||
        bp_stats_from_journal(st, stats) != 0)
        return -1;
    e->chunk = (uint32_t)chunk;
    e->shard = json_object_get_string(shard);
    e->figures.records = (uint64_t)records;
    e->figures.bytes = (uint64_t)bytes;
    int64_t index_bytes = get_count(o, "index_bytes");
    if (index_bytes >= 0 &&
        get_hex32(o, "index_crc32c", &e->figures.index_crc32c) == 0) {
        e->figures.index_bytes = (uint64_t)index_bytes;
        e->has_index = 1;
    }
    e->stats = stats;
    return 0;
}

int bp_journal_each(json_object *lines,
                    int (*take)(void *ctx, const struct bp_journal_entry *e),
                    void *ctx)
{
    struct bp_skips skips = {0};
    struct bp_stats stats;
    int rc = BP_OK;
    size_t n = lines ? json_object_array_length(lines) : 0;
    for (size_t i = 0; rc == BP_OK && i < n; i++) {
        json_object *o = json_object_array_get_idx(lines, i);
        struct bp_journal_entry e;
        if (decode_entry(o, &e, &stats) != 0)
            continue;
        rc = decode_skips(o, e.chunk, &skips);
        if (rc != BP_OK)
            break;
        e.skips = skips.v;
        e.nskips = skips.n;
        rc = take(ctx, &e);
    }
    bp_skips_free(&skips);
    return rc;
}
