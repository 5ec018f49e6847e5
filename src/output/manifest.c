/* manifest.c - OUT/manifest.json composed with json-c from the plan, the
 * shard figures, the statistics and the failures, and written atomically
 * (see benprep/manifest.h). */
#include "benprep/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benprep/identity.h"
#include "benprep/log.h"
#include "benprep/patch.h"
#include "benprep/status.h"
#include "common/fsutil.h"
#include "common/jsonutil.h"

static json_object *feature_spec(const char *type, int n)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string(type));
    json_object *shape = json_object_new_array();
    if (n >= 0)
        json_object_array_add(shape, json_object_new_int(n));
    json_object_object_add(o, "shape", shape);
    return o;
}

/* The record layout, for readers building their parse spec. */
static json_object *schema(int s2_only, const char *compression)
{
    json_object *f = json_object_new_object();
    for (int b = 0; b < BP_S2_BANDS; b++)
        json_object_object_add(
            f, bp_s2_band_names[b],
            feature_spec("int64", bp_s2_band_sides[b] * bp_s2_band_sides[b]));
    json_object_object_add(f, "BigEarthNet-19_labels",
                           feature_spec("string", -1));
    json_object_object_add(f, "BigEarthNet-19_labels_multi_hot",
                           feature_spec("int64", BP_LABELS19));
    if (s2_only) {
        json_object_object_add(f, "patch_name", feature_spec("string", 1));
    } else {
        json_object_object_add(f, "VH", feature_spec("float32", BP_S1_SIDE * BP_S1_SIDE));
        json_object_object_add(f, "VV", feature_spec("float32", BP_S1_SIDE * BP_S1_SIDE));
        json_object_object_add(f, "patch_name_s1", feature_spec("string", 1));
        json_object_object_add(f, "patch_name_s2", feature_spec("string", 1));
    }

    json_object *s = json_object_new_object();
    json_object_object_add(s, "name",
                           json_object_new_string(s2_only ? "bigearthnet-s2-19"
                                                          : "bigearthnet-mm-19"));
    json_object_object_add(
        s, "description",
        json_object_new_string(
            s2_only ? "one tf.train.Example per CSV row: Sentinel-2 bands "
                      "B01-B12 and B8A as int64 (uint16 reflectance, "
                      "row-major), 19-class labels (from the S2 JSON) as "
                      "names and multi-hot, patch_name"
                    : "one tf.train.Example per CSV row: Sentinel-2 bands "
                      "B01-B12 and B8A as int64 (uint16 reflectance, "
                      "row-major), Sentinel-1 VV and VH as float32 (dB), "
                      "19-class labels as names and multi-hot"));
    json_object_object_add(s, "compression", json_object_new_string(compression));
    json_object *names = json_object_new_array();
    for (int i = 0; i < BP_LABELS19; i++)
        json_object_array_add(names, json_object_new_string(bp_labels19_names[i]));
    json_object_object_add(s, "labels_19", names);
    json_object_object_add(s, "features", f);
    return s;
}

static void iso_time(time_t t, char *buf, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "tool" and "manifest_version", then "options": the options the output
 * depends on. */
static void add_options(json_object *root, const struct bp_config *cfg)
{
    json_object *tool = json_object_new_object();
    json_object_object_add(tool, "name", json_object_new_string("ben-prep"));
    json_object_object_add(tool, "version", json_object_new_string(bp_version()));
    json_object_object_add(root, "tool", tool);
    json_object_object_add(root, "manifest_version", json_object_new_int(1));

    json_object_object_add(root, "options", bp_manifest_options(cfg));
}

/* inputs.splits: each split file, its rows and what the lists excluded. */
static json_object *split_inputs(const struct bp_inputs *in)
{
    const struct bp_split *splits = in->splits;
    size_t nsplits = in->nsplits;
    json_object *csvs = json_object_new_array();
    for (size_t s = 0; s < nsplits; s++) {
        json_object *c = json_object_new_object();
        json_object_object_add(c, "split", json_object_new_string(splits[s].name));
        json_object_object_add(c, "path", json_object_new_string(splits[s].path));
        json_object_object_add(c, "rows", json_object_new_int64((int64_t)splits[s].nrows));
        uint64_t excluded = 0;
        for (size_t l = 0; l < in->nexcludes; l++)
            excluded += in->removed[l * nsplits + s];
        json_object_object_add(c, "excluded", json_object_new_int64((int64_t)excluded));
        json_object_object_add(c, "bytes", json_object_new_int64((int64_t)splits[s].text_len));
        json_object_object_add(c, "crc32c", bp_json_hex32(splits[s].crc32c));
        json_object_array_add(csvs, c);
    }
    return csvs;
}

/* inputs.exclude: each exclusion list and the rows it removed per split. */
static json_object *exclude_inputs(const struct bp_inputs *in)
{
    const struct bp_split *splits = in->splits;
    size_t nsplits = in->nsplits;
    json_object *excl = json_object_new_array();
    for (size_t l = 0; l < in->nexcludes; l++) {
        const struct bp_split *x = &in->excludes[l];
        json_object *c = json_object_new_object();
        json_object_object_add(c, "list", json_object_new_string(x->name));
        json_object_object_add(c, "path", json_object_new_string(x->path));
        json_object_object_add(c, "rows", json_object_new_int64((int64_t)x->nrows));
        json_object_object_add(c, "bytes", json_object_new_int64((int64_t)x->text_len));
        json_object_object_add(c, "crc32c", bp_json_hex32(x->crc32c));
        json_object *removed = json_object_new_object();
        for (size_t s = 0; s < nsplits; s++)
            json_object_object_add(
                removed, splits[s].name,
                json_object_new_int64((int64_t)in->removed[l * nsplits + s]));
        json_object_object_add(c, "removed", removed);
        json_object_array_add(excl, c);
    }
    return excl;
}

/* "inputs", then "record": the schema of the records. */
static void add_inputs(json_object *root, const struct bp_config *cfg,
                       const struct bp_inputs *in)
{
    json_object *inputs = json_object_new_object();
    bp_manifest_roots(inputs, cfg, in);
    json_object_object_add(inputs, "splits", split_inputs(in));
    json_object_object_add(inputs, "exclude", exclude_inputs(in));
    json_object_object_add(root, "inputs", inputs);
    int s2_only = 0;
    for (size_t s = 0; s < in->nsplits; s++)
        s2_only |= in->splits[s].columns == 1;
    json_object_object_add(root, "record",
                           schema(s2_only, bp_compression_name(cfg->compression)));
}

/* One shard of the splits object: chunk ch of split name, result r. */
static json_object *shard_entry(const struct bp_config *cfg, const char *name,
                                const struct bp_chunk *ch,
                                const struct bp_chunk_result *r)
{
    char path[512];
    bp_shard_filename_ext(path, sizeof path, name, ch->index, ch->of,
                          bp_compression_suffix(cfg->compression));
    json_object *sh = json_object_new_object();
    json_object_object_add(sh, "path", json_object_new_string(path));
    json_object_object_add(sh, "records", json_object_new_int64((int64_t)r->records));
    json_object_object_add(sh, "bytes", json_object_new_int64((int64_t)r->bytes));
    json_object_object_add(sh, "crc32c", bp_json_hex32(r->crc32c));
    json_object_object_add(sh, "first_row", json_object_new_int64((int64_t)ch->first + 1));
    if (cfg->index) {
        char idx[520];
        snprintf(idx, sizeof idx, "%s.idx", path);
        json_object *ix = json_object_new_object();
        json_object_object_add(ix, "path", json_object_new_string(idx));
        json_object_object_add(ix, "bytes", json_object_new_int64((int64_t)r->index_bytes));
        json_object_object_add(ix, "crc32c", bp_json_hex32(r->index_crc32c));
        json_object_object_add(sh, "index", ix);
    }
    return sh;
}

/* What the splits add up to, for "totals". */
struct totals {
    uint64_t records, bytes, shards;
};

/* Split s of the splits object: its records, bytes, shards (chunks with
 * records) and statistics (every chunk's, in row order). */
static json_object *split_entry(const struct bp_config *cfg,
                                const struct bp_inputs *in,
                                const struct bp_plan *plan,
                                const struct bp_chunk_result *results,
                                const struct bp_stats *chunk_stats, size_t s,
                                struct totals *t)
{
    json_object *split = json_object_new_object();
    json_object *shards = json_object_new_array();
    uint64_t records = 0, bytes = 0;
    struct bp_stats stats;
    bp_stats_init(&stats);
    for (size_t c = 0; c < plan->nchunks; c++) {
        const struct bp_chunk *ch = &plan->chunks[c];
        if (ch->split == s)
            bp_stats_merge(&stats, &chunk_stats[c]);
        if (ch->split != s || results[c].records == 0)
            continue;
        json_object_array_add(shards, shard_entry(cfg, in->splits[s].name, ch,
                                                  &results[c]));
        records += results[c].records;
        bytes += results[c].bytes;
        t->shards++;
    }
    json_object_object_add(split, "records", json_object_new_int64((int64_t)records));
    json_object_object_add(split, "bytes", json_object_new_int64((int64_t)bytes));
    json_object_object_add(split, "shards", shards);
    json_object_object_add(split, "statistics", bp_stats_to_json(&stats));
    t->records += records;
    t->bytes += bytes;
    return split;
}

/* "failures": every skipped patch with its CSV row, file and reason. */
static json_object *failures_array(const struct bp_inputs *in,
                                   const struct bp_plan *plan,
                                   const struct bp_skip *skips, size_t nskips)
{
    json_object *failures = json_object_new_array();
    for (size_t i = 0; i < nskips; i++) {
        const struct bp_chunk *ch = &plan->chunks[skips[i].chunk];
        const struct bp_split *sp = &in->splits[ch->split];
        uint64_t row = ch->first + skips[i].row;
        json_object *f = json_object_new_object();
        json_object_object_add(f, "split", json_object_new_string(sp->name));
        json_object_object_add(f, "csv", json_object_new_string(sp->path));
        json_object_object_add(f, "line", json_object_new_int64(sp->rows[row].line));
        json_object_object_add(f, "s2", json_object_new_string(bp_row_s2(sp, row)));
        json_object_object_add(f, "s1", json_object_new_string(bp_row_s1(sp, row)));
        json_object_object_add(f, "file", json_object_new_string(skips[i].file));
        json_object_object_add(f, "reason", json_object_new_string(skips[i].reason));
        json_object_array_add(failures, f);
    }
    return failures;
}

/* "run": facts of this run only; they differ between equal runs. */
static json_object *run_facts(const struct bp_config *cfg,
                              const struct bp_run_facts *facts)
{
    json_object *run = json_object_new_object();
    json_object *argv = json_object_new_array();
    for (int i = 0; i < cfg->argc; i++)
        json_object_array_add(argv, json_object_new_string(cfg->argv[i]));
    json_object_object_add(run, "command_line", argv);
    json_object_object_add(run, "ranks", json_object_new_int(facts->ranks));
    char when[32];
    iso_time(facts->started, when, sizeof when);
    json_object_object_add(run, "started", json_object_new_string(when));
    iso_time(facts->started + (time_t)facts->seconds, when, sizeof when);
    json_object_object_add(run, "finished", json_object_new_string(when));
    json_object_object_add(run, "seconds",
                           json_object_new_double(isfinite(facts->seconds)
                                                      ? facts->seconds
                                                      : 0));
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    json_object_object_add(run, "host", json_object_new_string(host));
    return run;
}

/* The manifest's text, with a final newline like any text file, written
 * to OUT/manifest.json. */
static int write_manifest(const struct bp_config *cfg, json_object *root)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                  JSON_C_TO_STRING_NOSLASHESCAPE,
        &len);
    int rc = BP_NOMEM;
    if (text) {
        char *withnl = malloc(len + 2);
        if (withnl) {
            memcpy(withnl, text, len);
            withnl[len] = '\n';
            rc = bp_write_file_atomic(cfg->out_dir, BP_MANIFEST_NAME, withnl, len + 1);
            free(withnl);
        }
    }
    if (rc == BP_NOMEM)
        BP_ERROR("out of memory writing %s/%s", cfg->out_dir, BP_MANIFEST_NAME);
    return rc;
}

int bp_manifest_write(const struct bp_config *cfg,
                      const struct bp_inputs *in,
                      const struct bp_plan *plan,
                      const struct bp_chunk_result *results,
                      const struct bp_stats *chunk_stats,
                      const struct bp_skip *skips, size_t nskips,
                      const struct bp_run_facts *facts)
{
    json_object *root = json_object_new_object();
    add_options(root, cfg);
    add_inputs(root, cfg, in);

    json_object *out = json_object_new_object();
    struct totals t = {0, 0, 0};
    for (size_t s = 0; s < in->nsplits; s++)
        json_object_object_add(out, in->splits[s].name,
                               split_entry(cfg, in, plan, results, chunk_stats,
                                           s, &t));
    json_object_object_add(root, "splits", out);
    json_object *totals = json_object_new_object();
    json_object_object_add(totals, "records", json_object_new_int64((int64_t)t.records));
    json_object_object_add(totals, "shards", json_object_new_int64((int64_t)t.shards));
    json_object_object_add(totals, "bytes", json_object_new_int64((int64_t)t.bytes));
    json_object_object_add(totals, "failures", json_object_new_int64((int64_t)nskips));
    json_object_object_add(root, "totals", totals);

    json_object_object_add(root, "failures",
                           failures_array(in, plan, skips, nskips));
    json_object_object_add(root, "run", run_facts(cfg, facts));

    int rc = write_manifest(cfg, root);
    json_object_put(root);
    return rc;
}
