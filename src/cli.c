/* cli.c - ben-prep's command line: the one option table behind the parser
 * and --help, the checks between options, and usage errors (see
 * benprep/config.h). */
#include "benprep/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "benprep/archive.h"
#include "benprep/plan.h"
#include "benprep/status.h"
#include "common/usage.h"

#ifndef BENPREP_VERSION
#define BENPREP_VERSION "0.0.0"
#endif

const char *bp_version(void) { return BENPREP_VERSION; }

enum opt_id {
    OPT_R1, OPT_R2, OPT_OUT, OPT_SPLITS, OPT_LIBRARY, OPT_UPDATE_JSON,
    OPT_RPS, OPT_MAX_FAILURES, OPT_RESUME, OPT_FORCE, OPT_DECODER, OPT_PROGRESS, OPT_STALL_LIMIT, OPT_EXCLUDE, OPT_COMPRESSION, OPT_LEVEL, OPT_INDEX,
    OPT_INDEX_DIR,
    OPT_DRY_RUN, OPT_VERBOSE, OPT_QUIET, OPT_HELP, OPT_VERSION
};

enum opt_arg { ARG_NONE, ARG_ONE, ARG_LIST };

struct opt {
    enum opt_id id;
    const char *short_name; /* NULL when there is none */
    const char *long_name;
    enum opt_arg arg;
    const char *metavar;
    const char *help;
};

/* The one table behind both the parser and --help. */
static const struct opt options[] = {
    {OPT_R1, "-r1", "--root_folder_s1", ARG_ONE, "ROOT",
     "folder holding the BigEarthNet-S1 patch folders (BigEarthNet-S1-v1.0), "
     "or the downloaded .tar or .tar.gz archive itself (read through its "
     "index); not needed for S2-only split files"},
    {OPT_R2, "-r2", "--root_folder_s2", ARG_ONE, "ROOT",
     "folder holding the BigEarthNet-S2 patch folders (BigEarthNet-v1.0), or "
     "its .tar or .tar.gz archive"},
    {OPT_OUT, "-o", "--out_folder", ARG_ONE, "DIR",
     "output folder for the shards and manifest.json (created if missing)"},
    {OPT_SPLITS, "-n", "--splits", ARG_LIST, "CSV...",
     "one or more split files with \"S2name,S1name\" rows (MM records), or "
     "all with one S2 name per row (S2-only records: the 12 bands, the "
     "labels from the S2 JSON and patch_name); the split is named after the "
     "file (train.csv -> train)"},
    {OPT_LIBRARY, "-l", "--library", ARG_ONE, "NAME",
     "output library; only \"tensorflow\" (the default) is supported"},
    {OPT_UPDATE_JSON, NULL, "--update_json", ARG_NONE, NULL,
     "add \"BigEarthNet_19_labels\" to the S1 JSON file of every converted "
     "pair (safely: temporary file + rename; running twice changes nothing "
     "more)"},
    {OPT_RPS, NULL, "--records-per-shard", ARG_ONE, "N",
     "patches per shard file (default 976: shards of about 256 MB)"},
    {OPT_MAX_FAILURES, NULL, "--max-failures", ARG_ONE, "N",
     "skip up to N bad patches, listing each in the manifest under "
     "\"failures\", and exit 3 if any was skipped (default 0: the first bad "
     "patch stops the run)"},
    {OPT_RESUME, NULL, "--resume", ARG_NONE, NULL,
     "continue an interrupted run in OUT: finished shards are checked (size, "
     "CRC-32C) and kept, the rest converted; refused if the inputs or options "
     "differ (archive roots are compared by their real paths). Without an "
     "earlier run, starts one"},
    {OPT_FORCE, NULL, "--force", ARG_NONE, NULL,
     "replace the output of an earlier run in OUT (the shards of the splits "
     "its journal or manifest lists, the manifest and the journal are "
     "deleted first; nothing else)"},
    {OPT_DECODER, NULL, "--decoder", ARG_ONE, "auto|gdal",
     "how band files are decoded: auto (default) reads the archive's own "
     "layout (one uncompressed striped band) directly and gives every other "
     "file to GDAL; gdal gives every file to GDAL. The records are the same"},
    {OPT_EXCLUDE, NULL, "--exclude", ARG_LIST, "LIST...",
     "leave out the patches named in these lists (one S2 name per row, like "
     "the official seasonal-snow and cloud lists); the manifest says how "
     "many rows each list removed from each split"},
    {OPT_COMPRESSION, NULL, "--compression", ARG_ONE, "none|zlib|gzip",
     "compress each shard as TensorFlow's TFRecordOptions ZLIB or GZIP "
     "(read with TFRecordDataset(..., compression_type=\"ZLIB\"/\"GZIP\")); "
     "shards are named .tfrecord.zlib / .tfrecord.gz. Default none"},
    {OPT_LEVEL, NULL, "--compression-level", ARG_ONE, "0-9",
     "deflate level (default 6, as TensorFlow's writer)"},
    {OPT_INDEX, NULL, "--index", ARG_NONE, NULL,
     "write NAME.idx beside each shard: one \"<offset> <size>\" line per "
     "record, the index DALI and the PyTorch tfrecord reader use (not with "
     "--compression: DALI cannot read compressed records)"},
    {OPT_INDEX_DIR, NULL, "--index-dir", ARG_ONE, "DIR",
     "where the index of an archive root (ARCHIVE.bpidx) is looked for and "
     "written (default: beside the archive when its folder is writable, "
     "else OUT; see ben-prep index --help)"},
    {OPT_PROGRESS, NULL, "--progress", ARG_ONE, "SECONDS",
     "rank 0 reports patches done, rate, MB/s and time left every SECONDS "
     "(default 30; 0 for none)"},
    {OPT_STALL_LIMIT, NULL, "--stall-limit", ARG_ONE, "SECONDS",
     "end the run (exit 1) when a worker rank converting a chunk has sent "
     "nothing for SECONDS: it is named with its host and chunk; the "
     "finished shards are kept and --resume continues (default 300; 0: "
     "wait for ever). It must exceed the longest single step of a worker: "
     "reading one patch, writing out one shard"},
    {OPT_DRY_RUN, NULL, "--dry-run", ARG_NONE, NULL,
     "read and check the split files, print the shard plan, convert nothing"},
    {OPT_VERBOSE, "-v", "--verbose", ARG_NONE, NULL,
     "more messages (repeat for debugging output)"},
    {OPT_QUIET, "-q", "--quiet", ARG_NONE, NULL, "errors only"},
    {OPT_HELP, "-h", "--help", ARG_NONE, NULL, "show this help and exit"},
    {OPT_VERSION, NULL, "--version", ARG_NONE, NULL,
     "show the version and exit"},
};
#define NOPTIONS (sizeof options / sizeof options[0])

static void print_help(FILE *out)
{
    fprintf(out,
            "Usage: mpirun -np N ben-prep -r1 S1_ROOT -r2 S2_ROOT -o OUT -n "
            "CSV [CSV...] [options]\n"
            "\n"
            "Convert BigEarthNet-MM (Sentinel-1 + Sentinel-2) patches into "
            "sharded TFRecord\nfiles of 19-class tf.train.Example records, "
            "the records TU Berlin's\nprep_splits_19_classes.py writes. Rank "
            "0 splits each CSV into chunks of\nconsecutive rows and hands "
            "them to ranks 1..N-1; each chunk becomes one\nshard file "
            "OUT/<split>-NNNNN-of-MMMMM.tfrecord. With one rank, rank 0 does "
            "the\nwork. OUT/manifest.json lists every shard with its record "
            "count, size and\nCRC-32C. The output is the same for any number "
            "of ranks.\n\nOptions:\n");
    for (size_t i = 0; i < NOPTIONS; i++)
        bp_usage_print_option(out, options[i].short_name, options[i].long_name,
                              options[i].metavar, options[i].help);
    fprintf(out,
            "\nExit status:\n"
            "  0  every row converted, manifest written\n"
            "  1  a run-time failure (bad split file, bad patch, output not "
            "writable);\n"
            "     the messages name the file, the CSV line and the reason\n"
            "  2  usage error (bad option or argument, an output folder "
            "holding an\n"
            "     earlier run without --resume or --force, --resume with "
            "other inputs,\n"
            "     another run writing into the output folder)\n"
            "  3  finished, but bad patches were skipped (--max-failures); "
            "they are\n"
            "     listed in the manifest under \"failures\"\n"
            "  4  interrupted (SIGTERM, SIGINT, SIGUSR1): finished shards are "
            "kept; run the same\n"
            "     command with --resume to continue (a signal sent to "
            "mpirun itself makes\n"
            "     mpirun exit 1; the ranks still stop cleanly)\n"
            "\nExample:\n"
            "  mpirun -np 65 ben-prep -r1 BigEarthNet-S1-v1.0 -r2 "
            "BigEarthNet-v1.0 -o out \\\n"
            "      -n train.csv val.csv test.csv\n");
}

static int usage(FILE *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print a usage error to err (when not NULL); returns BP_CLI_USAGE. */
static int usage(FILE *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bp_usage_verror(err, "ben-prep", fmt, ap);
    va_end(ap);
    return BP_CLI_USAGE;
}

static const struct opt *find_option(const char *arg, size_t len)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        const struct opt *o = &options[i];
        if ((o->short_name && strlen(o->short_name) == len &&
             strncmp(o->short_name, arg, len) == 0) ||
            (strlen(o->long_name) == len && strncmp(o->long_name, arg, len) == 0))
            return o;
    }
    return NULL;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < (long long)min || v > (long long)max)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

void bp_config_free(struct bp_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->splits);
    free(cfg->excludes);
    cfg->splits = NULL;
    cfg->excludes = NULL;
    cfg->nsplits = 0;
    cfg->nexcludes = 0;
}

/* Where the parser is in argv, where it prints, and what later checks need
 * to know of the options seen. */
struct cli_state {
    int argc;
    char **argv;
    int i; /* the argument being parsed */
    FILE *out, *err;
    int level_given; /* --compression-level was given */
};

/* The defaults, and room for every argument in the split and exclusion
 * lists. */
static enum bp_cli_result init_config(struct bp_config *cfg, int argc,
                                      char **argv, FILE *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->library = "tensorflow";
    cfg->records_per_shard = BP_DEFAULT_RECORDS_PER_SHARD;
    cfg->progress_seconds = 30;
    cfg->stall_limit_seconds = 300;
    cfg->compression_level = 6;
    cfg->argc = argc;
    cfg->argv = argv;
    cfg->splits = calloc((size_t)(argc > 0 ? argc : 1), sizeof *cfg->splits);
    cfg->excludes = calloc((size_t)(argc > 0 ? argc : 1), sizeof *cfg->excludes);
    if (!cfg->splits || !cfg->excludes)
        return usage(err, "%s", "out of memory");
    return BP_CLI_RUN;
}

/* -n/--splits and --exclude: the files after the option up to the next
 * option (and one given after '='). */
static enum bp_cli_result take_list(const struct opt *o, const char *eq,
                                    struct cli_state *st,
                                    struct bp_config *cfg)
{
    const char **list = o->id == OPT_SPLITS ? cfg->splits : cfg->excludes;
    size_t *n = o->id == OPT_SPLITS ? &cfg->nsplits : &cfg->nexcludes;
    size_t before = *n;
    if (eq && eq[1])
        list[(*n)++] = eq + 1;
    while (st->i + 1 < st->argc && st->argv[st->i + 1][0] != '-')
        list[(*n)++] = st->argv[++st->i];
    if (*n == before)
        return usage(st->err, "option '%s' needs one or more CSV files",
                     o->long_name);
    return BP_CLI_RUN;
}

/* The options whose value is a number. */
static enum bp_cli_result take_number(const struct opt *o, const char *value,
                                      struct cli_state *st,
                                      struct bp_config *cfg)
{
    FILE *err = st->err;
    switch (o->id) {
    case OPT_MAX_FAILURES: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (errno || end == value || *end || value[0] == '-' ||
            v > UINT32_MAX)
            return usage(err,
                         "--max-failures wants a whole number from 0 to "
                         "4294967295, not '%s'",
                         value);
        cfg->max_failures = v;
        break;
    }
    case OPT_RPS:
        if (parse_u32(value, 1, BP_MAX_RECORDS_PER_SHARD,
                      &cfg->records_per_shard) != 0)
            return usage(err,
                         "--records-per-shard wants a whole number from 1 "
                         "to 100000, not '%s'",
                         value);
        break;
    case OPT_LEVEL: {
        uint32_t level;
        if (parse_u32(value, 0, 9, &level) != 0)
            return usage(err, "--compression-level is 0 to 9, not '%s'",
                         value);
        cfg->compression_level = (int)level;
        st->level_given = 1;
        break;
    }
    case OPT_PROGRESS:
        if (parse_u32(value, 0, 86400, &cfg->progress_seconds) != 0)
            return usage(err,
                         "--progress wants seconds from 0 to 86400, not '%s'",
                         value);
        break;
    case OPT_STALL_LIMIT:
        if (parse_u32(value, 0, 86400, &cfg->stall_limit_seconds) != 0)
            return usage(err,
                         "--stall-limit wants seconds from 0 to 86400, not "
                         "'%s'",
                         value);
        break;
    default:
        break;
    }
    return BP_CLI_RUN;
}

/* The options whose value is one of a few words. */
static enum bp_cli_result take_choice(const struct opt *o, const char *value,
                                      FILE *err, struct bp_config *cfg)
{
    switch (o->id) {
    case OPT_LIBRARY:
        cfg->library = value;
        if (strcmp(value, "tensorflow") != 0)
            return usage(err,
                         "library '%s' is not supported; only 'tensorflow' "
                         "records are written",
                         value);
        break;
    case OPT_DECODER:
        if (strcmp(value, "auto") != 0 && strcmp(value, "gdal") != 0)
            return usage(err, "--decoder is auto or gdal, not '%s'", value);
        cfg->gdal_only = strcmp(value, "gdal") == 0;
        break;
    case OPT_COMPRESSION:
        if (strcmp(value, "none") == 0)
            cfg->compression = BP_COMPRESS_NONE;
        else if (strcmp(value, "zlib") == 0)
            cfg->compression = BP_COMPRESS_ZLIB;
        else if (strcmp(value, "gzip") == 0)
            cfg->compression = BP_COMPRESS_GZIP;
        else
            return usage(err, "--compression is none, zlib or gzip, not '%s'",
                         value);
        break;
    default:
        break;
    }
    return BP_CLI_RUN;
}

/* Apply option o with its value (NULL for a flag and a list; eq: the '='
 * in the argument, or NULL). BP_CLI_RUN to go on. */
static enum bp_cli_result apply_option(const struct opt *o, const char *value,
                                       const char *eq, struct cli_state *st,
                                       struct bp_config *cfg)
{
    switch (o->id) {
    case OPT_R1:
        cfg->root_s1 = value;
        break;
    case OPT_R2:
        cfg->root_s2 = value;
        break;
    case OPT_OUT:
        cfg->out_dir = value;
        break;
    case OPT_INDEX_DIR:
        cfg->index_dir = value;
        break;
    case OPT_SPLITS:
    case OPT_EXCLUDE:
        return take_list(o, eq, st, cfg);
    case OPT_LIBRARY:
    case OPT_DECODER:
    case OPT_COMPRESSION:
        return take_choice(o, value, st->err, cfg);
    case OPT_MAX_FAILURES:
    case OPT_RPS:
    case OPT_LEVEL:
    case OPT_PROGRESS:
    case OPT_STALL_LIMIT:
        return take_number(o, value, st, cfg);
    case OPT_UPDATE_JSON:
        cfg->update_json = 1;
        break;
    case OPT_RESUME:
        cfg->resume = 1;
        break;
    case OPT_FORCE:
        cfg->force = 1;
        break;
    case OPT_INDEX:
        cfg->index = 1;
        break;
    case OPT_DRY_RUN:
        cfg->dry_run = 1;
        break;
    case OPT_VERBOSE:
        cfg->verbosity++;
        break;
    case OPT_QUIET:
        cfg->verbosity--;
        break;
    case OPT_HELP:
        if (st->out)
            print_help(st->out);
        return BP_CLI_EXIT;
    case OPT_VERSION:
        if (st->out)
            fprintf(st->out, "ben-prep %s\n", bp_version());
        return BP_CLI_EXIT;
    }
    return BP_CLI_RUN;
}

/* The argument at st->i: find its option, take its value (after '=' or
 * the next argument) and apply it. BP_CLI_RUN to go on. */
static enum bp_cli_result parse_argument(struct cli_state *st,
                                         struct bp_config *cfg)
{
    const char *arg = st->argv[st->i];
    if (arg[0] != '-' || arg[1] == '\0')
        return usage(st->err, "unexpected argument '%s'", arg);
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    size_t namelen = eq ? (size_t)(eq - arg) : strlen(arg);
    const struct opt *o = find_option(arg, namelen);
    if (!o)
        return usage(st->err, "unknown option '%s'", arg);
    const char *value = NULL;
    if (o->arg == ARG_NONE && eq)
        return usage(st->err, "option '%s' takes no value", arg);
    if (o->arg == ARG_ONE) {
        if (eq)
            value = eq + 1;
        else if (st->i + 1 < st->argc)
            value = st->argv[++st->i];
        if (!value || !*value)
            return usage(st->err, "option '%.*s' needs a value", (int)namelen,
                         arg);
    }
    return apply_option(o, value, eq, st, cfg);
}

/* What each root is (bp_root_probe), into cfg: a root that does not exist
 * is taken for a folder (its patches are missing), anything else that is
 * not a folder, tar or gzip archive is a usage error. --update_json writes
 * S1 JSON files, which an S1 archive cannot have rewritten. */
static enum bp_cli_result check_roots(struct bp_config *cfg, FILE *err)
{
    const char *roots[2] = {cfg->root_s1, cfg->root_s2};
    enum bp_root_kind *kinds[2] = {&cfg->kind_s1, &cfg->kind_s2};
    for (int i = 0; i < 2; i++) {
        struct stat st;
        char msg[512];
        *kinds[i] = BP_ROOT_FOLDER;
        if (!roots[i] || stat(roots[i], &st) != 0)
            continue;
        if (bp_root_probe(roots[i], kinds[i], msg, sizeof msg) != BP_OK)
            return usage(err, "%s %s: %s", i ? "-r2" : "-r1", roots[i], msg);
    }
    if (cfg->update_json && cfg->kind_s1 != BP_ROOT_FOLDER)
        return usage(err,
                     "--update_json cannot go with the %s archive %s as -r1: "
                     "it rewrites the S1 JSON files, and the members of an "
                     "archive cannot be rewritten; extract the S1 archive "
                     "first",
                     bp_root_kind_name(cfg->kind_s1), cfg->root_s1);
    return BP_CLI_RUN;
}

/* The options that contradict each other, and the ones a run needs. */
static enum bp_cli_result check_config(struct bp_config *cfg,
                                       const struct cli_state *st)
{
    FILE *err = st->err;
    if (cfg->index && cfg->compression != BP_COMPRESS_NONE)
        return usage(err, "%s",
                     "--index cannot go with --compression: index offsets "
                     "point into uncompressed files, and DALI and the PyTorch "
                     "tfrecord reader cannot read compressed records");
    if (st->level_given && cfg->compression == BP_COMPRESS_NONE)
        return usage(err, "%s",
                     "--compression-level needs --compression zlib or gzip: "
                     "uncompressed shards have no level");
    if (cfg->resume && cfg->force)
        return usage(err, "%s",
                     "--resume and --force contradict each other: continue the "
                     "earlier run, or replace it");
    if (cfg->nsplits == 0)
        return usage(err, "%s", "no split files given: use -n/--splits CSV...");
    if (!cfg->dry_run) {
        /* -r1 is checked once the split files show MM rows. */
        const char *missing = !cfg->root_s2   ? "-r2/--root_folder_s2"
                              : !cfg->out_dir ? "-o/--out_folder"
                                              : NULL;
        if (missing)
            return usage(err, "missing %s (needed unless --dry-run)", missing);
        return check_roots(cfg, err);
    }
    return BP_CLI_RUN;
}

enum bp_cli_result bp_cli_parse(int argc, char **argv, struct bp_config *cfg,
                                FILE *out, FILE *err)
{
    struct cli_state st = {.argc = argc, .argv = argv, .out = out, .err = err};
    enum bp_cli_result rc = init_config(cfg, argc, argv, err);
    for (st.i = 1; rc == BP_CLI_RUN && st.i < argc; st.i++)
        rc = parse_argument(&st, cfg);
    if (rc == BP_CLI_RUN)
        rc = check_config(cfg, &st);
    if (rc != BP_CLI_RUN)
        bp_config_free(cfg);
    return rc;
}
