/*
 * identity.c - the run identity behind --resume, and the options and roots
 * a manifest records, from one table of fields (see benprep/identity.h).
 */
#include "benprep/identity.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/archive.h"
#include "benprep/shard.h"
#include "common/jsonutil.h"

/* A field of the command line: where the manifest keeps it, whether it is
 * part of the identity, and its value for a configuration. */
struct field {
    const char *key;
    const char *section; /* the manifest object that holds it */
    int identity;        /* must be equal for --resume */
    json_object *(*value)(const struct bp_config *cfg);
};

static json_object *version(const struct bp_config *cfg)
{
    (void)cfg;
    return json_object_new_string(bp_version());
}

static json_object *library(const struct bp_config *cfg)
{
    return json_object_new_string(cfg->library);
}

static json_object *records_per_shard(const struct bp_config *cfg)
{
    return json_object_new_int64(cfg->records_per_shard);
}

static json_object *update_json(const struct bp_config *cfg)
{
    return json_object_new_boolean(cfg->update_json);
}

static json_object *max_failures(const struct bp_config *cfg)
{
    return json_object_new_int64((int64_t)cfg->max_failures);
}

static json_object *compression(const struct bp_config *cfg)
{
    return json_object_new_string(bp_compression_name(cfg->compression));
}

static json_object *compression_level(const struct bp_config *cfg)
{
    return json_object_new_int(cfg->compression_level);
}

static json_object *index_files(const struct bp_config *cfg)
{
    return json_object_new_boolean(cfg->index);
}

static json_object *stall_limit(const struct bp_config *cfg)
{
    return json_object_new_int64(cfg->stall_limit_seconds);
}

/* Where archive indexes go: not part of the identity (a resume may look
 * for them elsewhere). JSON null when not given. */
static json_object *index_dir(const struct bp_config *cfg)
{
    return cfg->index_dir ? json_object_new_string(cfg->index_dir) : NULL;
}

static json_object *root_s1(const struct bp_config *cfg)
{
    return json_object_new_string(cfg->root_s1 ? cfg->root_s1 : "");
}

static json_object *root_s2(const struct bp_config *cfg)
{
    return json_object_new_string(cfg->root_s2 ? cfg->root_s2 : "");
}

/* In the order the manifest and the journal show them. */
static const struct field fields[] = {
    {"version", "tool", 1, version},
    {"library", "options", 1, library},
    {"records_per_shard", "options", 1, records_per_shard},
    {"update_json", "options", 1, update_json},
    {"max_failures", "options", 0, max_failures},
    {"compression", "options", 1, compression},
    {"compression_level", "options", 1, compression_level},
    {"index", "options", 1, index_files},
    {"stall_limit", "options", 0, stall_limit},
    {"index_dir", "options", 0, index_dir},
    {"root_folder_s1", "inputs", 1, root_s1},
    {"root_folder_s2", "inputs", 1, root_s2},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

/* What identifies a split file or exclusion list besides its name. */
static const char *const file_keys[] = {"rows", "bytes", "crc32c"};
#define NFILE_KEYS (sizeof file_keys / sizeof file_keys[0])

static json_object *file_value(const struct bp_split *f, size_t k)
{
    switch (k) {
    case 0:
        return json_object_new_int64((int64_t)f->nrows);
    case 1:
        return json_object_new_int64((int64_t)f->text_len);
    default:
        return bp_json_hex32(f->crc32c);
    }
}

/* The identity of a list of files: name (under name_key) and file_keys. */
static json_object *files_identity(const struct bp_split *f, size_t n,
                                   const char *name_key)
{
    json_object *arr = json_object_new_array();
    for (size_t s = 0; s < n; s++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, name_key, json_object_new_string(f[s].name));
        for (size_t k = 0; k < NFILE_KEYS; k++)
            json_object_object_add(o, file_keys[k], file_value(&f[s], k));
        json_object_array_add(arr, o);
    }
    return arr;
}

/* What identifies an archive root: its kind, size and the CRC-32C of its
 * first and last MiB (not its mtime: a copy or a touch is the same data). */
static const char *const archive_keys[] = {"archive_s1", "archive_s2"};

static json_object *archive_value(const struct bp_root_id *id)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "kind",
                           json_object_new_string(bp_root_kind_name(id->kind)));
    json_object_object_add(o, "bytes",
                           json_object_new_int64((int64_t)id->bytes));
    json_object_object_add(o, "crc32c_first_mib", bp_json_hex32(id->head_crc));
    json_object_object_add(o, "crc32c_last_mib", bp_json_hex32(id->tail_crc));
    return o;
}

/* archive_s1 and archive_s2 into o, for the roots that are archives. */
static void add_archives(json_object *o, const struct bp_inputs *in)
{
    const struct bp_root_id *ids[2] = {in->root_s1, in->root_s2};
    for (int i = 0; i < 2; i++)
        if (ids[i])
            json_object_object_add(o, archive_keys[i], archive_value(ids[i]));
}

json_object *bp_run_identity(const struct bp_config *cfg,
                             const struct bp_inputs *in)
{
    json_object *id = json_object_new_object();
    for (size_t i = 0; i < NFIELDS; i++)
        if (fields[i].identity)
            json_object_object_add(id, fields[i].key, fields[i].value(cfg));
    json_object_object_add(id, "splits",
                           files_identity(in->splits, in->nsplits, "split"));
    json_object_object_add(id, "exclude",
                           files_identity(in->excludes, in->nexcludes, "list"));
    add_archives(id, in);
    return id;
}

/* manifest.section.key, or NULL. */
static json_object *get2(json_object *o, const char *section, const char *key)
{
    json_object *x = NULL, *y = NULL;
    if (!json_object_object_get_ex(o, section, &x) ||
        !json_object_object_get_ex(x, key, &y))
        return NULL;
    return y;
}

/* The identity of a manifest's list of input files. */
static json_object *files_from_manifest(json_object *files,
                                        const char *name_key)
{
    json_object *arr = json_object_new_array();
    size_t n = files && json_object_is_type(files, json_type_array)
                   ? json_object_array_length(files)
                   : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *in = json_object_array_get_idx(files, i), *v;
        json_object *o = json_object_new_object();
        for (size_t k = 0; k <= NFILE_KEYS; k++) {
            const char *key = k == 0 ? name_key : file_keys[k - 1];
            if (json_object_object_get_ex(in, key, &v))
                json_object_object_add(o, key, json_object_get(v));
        }
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
    for (size_t i = 0; i < NFIELDS; i++) {
        json_object *v = get2(m, fields[i].section, fields[i].key);
        if (fields[i].identity && v)
            json_object_object_add(id, fields[i].key, json_object_get(v));
    }
    json_object_object_add(id, "splits", files_from_manifest(splits, "split"));
    json_object_object_add(
        id, "exclude",
        files_from_manifest(get2(m, "inputs", "exclude"), "list"));
    for (int i = 0; i < 2; i++) {
        json_object *v = get2(m, "inputs", archive_keys[i]);
        if (v)
            json_object_object_add(id, archive_keys[i], json_object_get(v));
    }
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
    const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
    size_t used = 0;
    buf[0] = '\0';
    json_object_object_foreach(want, key, w) {
        json_object *h = NULL;
        json_object_object_get_ex(have, key, &h);
        if (h && same_value(key, w, h))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s: now %s, earlier %s",
                         used ? "; " : "", key,
                         json_object_to_json_string_ext(w, flags),
                         h ? json_object_to_json_string_ext(h, flags)
                           : "absent");
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

/* Every field of section into o, in table order. */
static void add_section(json_object *o, const struct bp_config *cfg,
                        const char *section)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(fields[i].section, section) == 0)
            json_object_object_add(o, fields[i].key, fields[i].value(cfg));
}

json_object *bp_manifest_options(const struct bp_config *cfg)
{
    json_object *o = json_object_new_object();
    add_section(o, cfg, "options");
    return o;
}

void bp_manifest_roots(json_object *inputs, const struct bp_config *cfg,
                       const struct bp_inputs *in)
{
    add_section(inputs, cfg, "inputs");
    add_archives(inputs, in);
}
