/*
 * manifest.c - rank 0 reads OUT/manifest.json: the record schema and
 * compression, the run's options, inputs and failures, every shard entry
 * (packed into the shard list the ranks share), and the counts of every
 * split and of the totals, each against the shards' entries; and finally
 * the files in OUT that the manifest does not list.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benprep/names.h"
#include "common/jsonutil.h"
#include "verify/verify_int.h"

static void mproblem(struct vf_problems *g, const char *fmt, ...)
    BP_PRINTF(2, 3);

/* A problem of the manifest: "manifest.json: text". */
static void mproblem(struct vf_problems *g, const char *fmt, ...)
{
    char text[VF_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    vf_problem_add(g, VF_PHASE_MANIFEST, 0, "%s: %s", BP_MANIFEST_NAME, text);
}

int64_t vf_get_count(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_int))
        return -1;
    int64_t x = json_object_get_int64(v);
    return x < 0 ? -1 : x;
}

const char *vf_get_string(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

json_object *vf_get_array(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

const char *vf_get_path(json_object *o)
{
    const char *s = vf_get_string(o, "path");
    if (!s)
        return NULL;
    size_t n = strlen(s);
    if (!s[0] || s[0] == '/' || n >= 1024 || strcmp(s, "..") == 0 ||
        strncmp(s, "../", 3) == 0 || strstr(s, "/../") ||
        (n >= 3 && strcmp(s + n - 3, "/..") == 0))
        return NULL;
    return s;
}

/* A "crc32c" member: 8 lowercase hex digits. Returns 0 or -1. */
static int get_crc(json_object *o, uint32_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, "crc32c", &v))
        return -1;
    return bp_json_get_hex32(v, out);
}

/* record.labels_19 and record.features against the verifier's tables. */
static void check_record_tables(json_object *record, struct vf_manifest *m,
                                struct vf_problems *g)
{
    json_object *v;
    if (json_object_object_get_ex(record, "labels_19", &v)) {
        int same = json_object_is_type(v, json_type_array) &&
                   json_object_array_length(v) == VF_CLASSES;
        for (size_t i = 0; same && i < VF_CLASSES; i++) {
            json_object *s = json_object_array_get_idx(v, i);
            same = json_object_is_type(s, json_type_string) &&
                   strcmp(json_object_get_string(s), vf_class_names[i]) == 0;
        }
        if (!same)
            mproblem(g, "%s", "record.labels_19 is not the list of the 19 "
                              "official class names in class order");
    }
    if (m->head.schema >= 0 &&
        json_object_object_get_ex(record, "features", &v) &&
        json_object_is_type(v, json_type_object)) {
        const struct vf_schema *s = &vf_schemas[m->head.schema];
        size_t n = 0;
        json_object_object_foreach(v, key, val) {
            (void)val;
            n++;
            if (vf_find_field(s, (const uint8_t *)key, strlen(key)) < 0)
                mproblem(g, "record.features lists \"%s\", which %s records "
                         "do not have", key, s->name);
        }
        if (n < s->nfields)
            mproblem(g, "record.features lists %zu features, %s records "
                     "have %zu", n, s->name, s->nfields);
    }
}

/* "record": the schema and compression. */
static void read_record_info(json_object *root, struct vf_manifest *m,
                             struct vf_problems *g)
{
    json_object *record = NULL, *v;
    m->head.schema = -1;
    m->head.compression = VF_COMP_NONE;
    if (!json_object_object_get_ex(root, "record", &record) ||
        !json_object_is_type(record, json_type_object)) {
        mproblem(g, "%s", "no \"record\" object: the record schema is "
                          "unknown, records are not decoded");
        return;
    }
    const char *name = vf_get_string(record, "name");
    for (int i = 0; name && i < VF_NSCHEMAS; i++)
        if (strcmp(name, vf_schemas[i].name) == 0)
            m->head.schema = i;
    if (m->head.schema < 0)
        mproblem(g, "record.name \"%s\" is not a record this verifier knows "
                 "(%s, %s); records are not decoded",
                 name ? name : "(none)", vf_schemas[0].name,
                 vf_schemas[1].name);
    if (json_object_object_get_ex(record, "compression", &v)) {
        const char *c = json_object_is_type(v, json_type_string)
                            ? json_object_get_string(v)
                            : "";
        m->head.compression = VF_COMP_UNKNOWN;
        for (int i = 0; i < 3; i++)
            if (strcmp(c, vf_compression_names[i]) == 0)
                m->head.compression = i;
        if (m->head.compression == VF_COMP_UNKNOWN)
            mproblem(g, "record.compression \"%s\" is not none, zlib or "
                     "gzip; only the shards' sizes and CRCs are checked", c);
    }
    check_record_tables(record, m, g);
}

/* "options", "inputs" and "failures" into m->ri. */
static void read_run_info(json_object *root, struct vf_manifest *m,
                          struct vf_problems *g)
{
    static const char *const suffixes[] = {"", ".zlib", ".gz"};
    struct vf_run_info *ri = &m->ri;
    json_object *options, *inputs, *v;
    memset(ri, 0, sizeof *ri);
    ri->per_shard = -1;
    ri->index = -1;
    ri->suffix = m->head.compression < VF_COMP_UNKNOWN
                     ? suffixes[m->head.compression]
                     : NULL;
    if (!json_object_object_get_ex(root, "options", &options) ||
        !json_object_is_type(options, json_type_object)) {
        mproblem(g, "%s", "no \"options\" object: the shard numbering and "
                          "the index files cannot be checked against the "
                          "run's options");
    } else {
        ri->per_shard = vf_get_count(options, "records_per_shard");
        if (ri->per_shard < 1) {
            ri->per_shard = -1;
            mproblem(g, "%s", "options.records_per_shard is not a count of "
                              "1 or more: the shard numbering cannot be "
                              "checked");
        }
        if (json_object_object_get_ex(options, "index", &v) &&
            json_object_is_type(v, json_type_boolean))
            ri->index = json_object_get_boolean(v) ? 1 : 0;
        else
            mproblem(g, "%s", "options.index is not true or false: whether "
                              "every shard needs an index file is unknown");
    }
    if (!json_object_object_get_ex(root, "inputs", &inputs) ||
        !json_object_is_type(inputs, json_type_object) ||
        !(ri->inputs = vf_get_array(inputs, "splits")))
        mproblem(g, "%s", "no \"inputs.splits\" list: the splits' record "
                          "counts cannot be checked against their split "
                          "files");
    else
        ri->exclude = vf_get_array(inputs, "exclude");
    ri->failures = vf_get_array(root, "failures");
    if (!ri->failures)
        mproblem(g, "%s", "no \"failures\" list: the splits' record counts "
                          "cannot be checked against their split files");
}

/* The index entry of shard entry e (the manifest says it has one) into t.
 * Problems name splits.<sname>.shards[k]. */
static void read_index_entry(json_object *index, const char *sname, size_t k,
                             struct vf_task *t, struct vf_manifest *m,
                             struct vf_problems *g)
{
    const char *ipath = vf_get_path(index);
    int64_t ibytes = vf_get_count(index, "bytes");
    const char *bad = !json_object_is_type(index, json_type_object)
                          ? "not an object"
                      : !ipath     ? "no \"path\" inside the output folder"
                      : ibytes < 0 ? "no \"bytes\" count"
                      : get_crc(index, &t->idx_crc32c) != 0
                          ? "no \"crc32c\" of 8 lowercase hex digits"
                          : NULL;
    if (bad) {
        mproblem(g, "splits.%s.shards[%zu].index: %s; the index is not "
                 "checked", sname, k, bad);
        return;
    }
    t->has_index = 1;
    t->idx_bytes = (uint64_t)ibytes;
    t->idx_path = (uint32_t)bp_buf_add(&m->strings, ipath, strlen(ipath) + 1);
    if (m->head.compression != VF_COMP_NONE)
        mproblem(g, "splits.%s.shards[%zu] is compressed and has an index "
                 "file: DALI cannot read compressed records", sname, k);
}

/* One shard entry of split number split (sname), entry k. Returns 0 when
 * it is usable (then it is in the shard list). */
static int read_shard_entry(json_object *e, const char *sname, uint32_t split,
                            size_t k, struct vf_manifest *m,
                            struct vf_problems *g)
{
    struct vf_task t;
    memset(&t, 0, sizeof t);
    const char *path = vf_get_path(e);
    int64_t records = vf_get_count(e, "records");
    int64_t bytes = vf_get_count(e, "bytes");
    const char *bad = !json_object_is_type(e, json_type_object)
                          ? "not an object"
                      : !path       ? "no \"path\" inside the output folder"
                      : records < 0 ? "no \"records\" count"
                      : bytes < 0   ? "no \"bytes\" count"
                      : get_crc(e, &t.crc32c) != 0
                          ? "no \"crc32c\" of 8 lowercase hex digits"
                          : NULL;
    if (bad) {
        mproblem(g, "splits.%s.shards[%zu]: %s; the shard is not checked",
                 sname, k, bad);
        return -1;
    }
    t.records = (uint64_t)records;
    t.bytes = (uint64_t)bytes;
    t.split = split;
    json_object *index;
    int has = json_object_object_get_ex(e, "index", &index);
    if (m->ri.index == 1 && !has)
        mproblem(g, "splits.%s.shards[%zu] (%s): no \"index\" entry, but "
                 "options.index says the run wrote an index file beside every "
                 "shard", sname, k, path);
    else if (m->ri.index == 0 && has)
        mproblem(g, "splits.%s.shards[%zu] (%s) lists an index file, but "
                 "options.index says the run wrote none", sname, k, path);
    if (has)
        read_index_entry(index, sname, k, &t, m, g);
    t.path = (uint32_t)bp_buf_add(&m->strings, path, strlen(path) + 1);
    bp_buf_add(&m->tasks, &t, sizeof t);
    m->head.ntasks++;
    return 0;
}

/* Split number s (sname): its shard entries into the list, its counts
 * (phase 2, into c) against them. Returns 1 when it has a shard list. */
static int read_split(const char *sname, json_object *split, uint32_t s,
                      struct vf_manifest *m, struct vf_problems *g,
                      struct vf_problems *c)
{
    json_object *shards;
    int64_t records = vf_get_count(split, "records");
    int64_t bytes = vf_get_count(split, "bytes");
    if (!json_object_object_get_ex(split, "shards", &shards) ||
        !json_object_is_type(shards, json_type_array)) {
        mproblem(g, "splits.%s: no \"shards\" list", sname);
        m->broken[s] = 1;
        return 0;
    }
    uint64_t r = 0, b = 0, counts_before = c->total;
    size_t n = json_object_array_length(shards);
    for (size_t k = 0; k < n; k++) {
        json_object *e = json_object_array_get_idx(shards, k);
        if (read_shard_entry(e, sname, s, k, m, g) == 0) {
            r += (uint64_t)vf_get_count(e, "records");
            b += (uint64_t)vf_get_count(e, "bytes");
        } else {
            m->broken[s] = 1;
        }
    }
    m->records += r;
    m->bytes += b;
    if (records < 0)
        mproblem(g, "splits.%s: no \"records\" count", sname);
    else if ((uint64_t)records != r)
        vf_problem_add(c, VF_PHASE_COUNTS, 0, "split %s: %lld records, but "
                       "its shards hold %llu", sname, (long long)records,
                       (unsigned long long)r);
    if (bytes >= 0 && (uint64_t)bytes != b)
        vf_problem_add(c, VF_PHASE_COUNTS, 0, "split %s: %lld bytes, but its "
                       "shards have %llu", sname, (long long)bytes,
                       (unsigned long long)b);
    vf_check_split_input(sname, shards, r, &m->ri, c);
    /* Its statistics are not compared when its counts are wrong. */
    if (c->total != counts_before)
        m->broken[s] = 1;
    return 1;
}

/* "totals" against the splits (into c). */
static void check_totals(json_object *root, const struct vf_manifest *m,
                         uint64_t shards, struct vf_problems *g,
                         struct vf_problems *c)
{
    json_object *totals;
    if (!json_object_object_get_ex(root, "totals", &totals) ||
        !json_object_is_type(totals, json_type_object))
        totals = NULL;
    vf_check_inputs_listed(m->splits, totals, &m->ri, c);
    if (!totals) {
        mproblem(g, "%s", "no \"totals\" object");
        return;
    }
    int64_t records = vf_get_count(totals, "records");
    int64_t nshards = vf_get_count(totals, "shards");
    int64_t bytes = vf_get_count(totals, "bytes");
    if (records < 0 || (uint64_t)records != m->records)
        vf_problem_add(c, VF_PHASE_COUNTS, 0, "totals: %lld records, but the "
                       "splits' shards hold %llu", (long long)records,
                       (unsigned long long)m->records);
    if (nshards < 0 || (uint64_t)nshards != shards)
        vf_problem_add(c, VF_PHASE_COUNTS, 0, "totals: %lld shards, but the "
                       "splits list %llu", (long long)nshards,
                       (unsigned long long)shards);
    if (bytes >= 0 && (uint64_t)bytes != m->bytes)
        vf_problem_add(c, VF_PHASE_COUNTS, 0, "totals: %lld bytes, but the "
                       "splits' shards have %llu", (long long)bytes,
                       (unsigned long long)m->bytes);
}

/* OUT and its manifest parsed into m->root. Returns 0, or -1 (reported). */
static int open_manifest(const char *out, struct vf_manifest *m,
                         struct vf_problems *g)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", out, BP_MANIFEST_NAME);
    if (stat(out, &st) != 0) {
        vf_problem_add(g, VF_PHASE_MANIFEST, 0, "%s: %s", out,
                       strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        vf_problem_add(g, VF_PHASE_MANIFEST, 0, "%s: not a folder", out);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vf_problem_add(g, VF_PHASE_MANIFEST, 0, "%s: cannot read it: %s (is "
                       "%s the output folder of a finished ben-prep run?)",
                       path, strerror(errno), out);
        return -1;
    }
    m->root = json_object_from_fd(fd);
    close(fd);
    if (!m->root || !json_object_is_type(m->root, json_type_object)) {
        const char *why =
            m->root ? "another JSON value" : json_util_get_last_err();
        vf_problem_add(g, VF_PHASE_MANIFEST, 0, "%s: not a JSON object: %s",
                       path, why ? why : "unreadable");
        return -1;
    }
    return 0;
}

int vf_manifest_read(const char *out, struct vf_manifest *m,
                     struct vf_problems *g)
{
    if (open_manifest(out, m, g) != 0)
        return -1;
    read_record_info(m->root, m, g);
    read_run_info(m->root, m, g);
    if (!json_object_object_get_ex(m->root, "splits", &m->splits) ||
        !json_object_is_type(m->splits, json_type_object)) {
        m->splits = NULL;
        mproblem(g, "%s", "no \"splits\" object: nothing to check");
        return -1;
    }
    m->head.nsplits = (uint32_t)json_object_object_length(m->splits);
    m->broken = calloc(m->head.nsplits ? m->head.nsplits : 1, 1);
    if (!m->broken) {
        vf_problem_add(g, VF_PHASE_RANK, 0, "%s", "rank 0: out of memory");
        return -1;
    }
    /* Counts are compared after every shard entry is in: phase 2. */
    struct vf_problems counts;
    memset(&counts, 0, sizeof counts);
    uint64_t shards = 0;
    uint32_t s = 0;
    json_object_object_foreach(m->splits, sname, split) {
        m->nsplits_listed += read_split(sname, split, s++, m, g, &counts);
        json_object *list;
        if (json_object_object_get_ex(split, "shards", &list) &&
            json_object_is_type(list, json_type_array))
            shards += json_object_array_length(list);
    }
    check_totals(m->root, m, shards, g, &counts);
    vf_problems_append(g, &counts);
    if (m->tasks.failed || m->strings.failed) {
        vf_problem_add(g, VF_PHASE_RANK, 0, "%s", "rank 0: out of memory "
                       "reading the manifest");
        return -1;
    }
    return 0;
}

void vf_manifest_free(struct vf_manifest *m)
{
    bp_buf_free(&m->tasks);
    bp_buf_free(&m->strings);
    json_object_put(m->root);
    free(m->broken);
    memset(m, 0, sizeof *m);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What kind of file a stray name is, for its message. */
static const char *stray_kind(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.')
        return "a temporary file";
    if (n > 4 && strcmp(name + n - 4, ".idx") == 0)
        return "an index file";
    return "a shard file";
}

/* Whether a file of OUT is one the manifest must list: a shard or index
 * file (names.h), one of ben-prep's temporary files, or any file a reader
 * globbing for shards would take for one (a name ending in ".tfrecord",
 * ".tfrecord.gz" or ".tfrecord.zlib"). Other files, such as a user's
 * "notes.tfrecord.bak", are left alone, as --force leaves them. */
static int listable(const char *name)
{
    static const char *const ends[] = {".tfrecord", ".tfrecord.gz",
                                       ".tfrecord.zlib"};
    size_t n = strlen(name);
    if (bp_is_shard_name(name) || bp_is_own_tmp(name))
        return 1;
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        size_t k = strlen(ends[i]);
        if (n > k && strcmp(name + n - k, ends[i]) == 0)
            return 1;
    }
    return 0;
}

/* The files of OUT that must be listed but are not in listed (sorted),
 * sorted; NULL when out of memory or none. */
static char **stray_files(DIR *d, const char *out, char **listed, size_t n,
                          size_t *nstray)
{
    char **stray = NULL;
    size_t cap = 0;
    struct dirent *ent;
    *nstray = 0;
    while ((ent = readdir(d))) {
        const char *name = ent->d_name;
        if (strcmp(name, BP_JOURNAL_NAME) == 0)
            BP_WARN("%s/%s: a conversion into this folder is running or was "
                    "interrupted", out, BP_JOURNAL_NAME);
        if (!listable(name) ||
            bsearch(&name, listed, n, sizeof *listed, compare_names))
            continue;
        if (*nstray == cap) {
            cap = cap ? 2 * cap : 16;
            char **p = realloc(stray, cap * sizeof *p);
            if (!p)
                break;
            stray = p;
        }
        stray[*nstray] = strdup(name);
        if (stray[*nstray])
            (*nstray)++;
    }
    if (*nstray)
        qsort(stray, *nstray, sizeof *stray, compare_names);
    return stray;
}

void vf_check_listing(const char *out, const struct vf_manifest *m,
                      struct vf_problems *g)
{
    const struct vf_task *tasks = (const struct vf_task *)(void *)m->tasks.data;
    size_t n = 0, nstray = 0;
    char **listed = malloc((2 * (size_t)m->head.ntasks + 1) * sizeof *listed);
    char **stray = NULL;
    DIR *d = NULL;
    if (!listed) {
        vf_problem_add(g, VF_PHASE_RANK, 0, "%s", "rank 0: out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < m->head.ntasks; i++) {
        listed[n++] = m->strings.data + tasks[i].path;
        if (tasks[i].has_index)
            listed[n++] = m->strings.data + tasks[i].idx_path;
    }
    qsort(listed, n, sizeof *listed, compare_names);
    for (size_t i = 1; i < n; i++)
        if (strcmp(listed[i], listed[i - 1]) == 0)
            vf_problem_add(g, VF_PHASE_COUNTS, 0, "%s: listed more than once "
                           "in the manifest", listed[i]);
    d = opendir(out);
    if (!d) {
        vf_problem_add(g, VF_PHASE_STRAY, 0, "%s: cannot list the folder: %s",
                       out, strerror(errno));
        goto out;
    }
    stray = stray_files(d, out, listed, n, &nstray);
    for (size_t i = 0; i < nstray; i++)
        vf_problem_add(g, VF_PHASE_STRAY, 0, "%s: %s, not listed in the "
                       "manifest", stray[i], stray_kind(stray[i]));
out:
    if (d)
        closedir(d);
    for (size_t i = 0; i < nstray; i++)
        free(stray[i]);
    free(stray);
    free(listed);
}
