#include "benprep/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/plan.h"

#ifndef BENPREP_VERSION
#define BENPREP_VERSION "0.0.0"
#endif

const char *bp_version(void) { return BENPREP_VERSION; }

enum opt_id {
    OPT_R1, OPT_R2, OPT_OUT, OPT_SPLITS, OPT_LIBRARY, OPT_UPDATE_JSON,
    OPT_RPS, OPT_MAX_FAILURES, OPT_RESUME, OPT_FORCE, OPT_DECODER, OPT_PROGRESS, OPT_EXCLUDE, OPT_COMPRESSION, OPT_LEVEL, OPT_INDEX,
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
    {OPT_R1, "-r1", "--root_folder_s1", ARG_ONE, "DIR",
     "folder holding the BigEarthNet-S1 patch folders (BigEarthNet-S1-v1.0); "
     "not needed for S2-only split files"},
    {OPT_R2, "-r2", "--root_folder_s2", ARG_ONE, "DIR",
     "folder holding the BigEarthNet-S2 patch folders (BigEarthNet-v1.0)"},
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
    {OPT_PROGRESS, NULL, "--progress", ARG_ONE, "SECONDS",
     "rank 0 reports patches done, rate, MB/s and time left every SECONDS "
     "(default 30; 0 for none)"},
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

/* One option of --help: names in a column, the text wrapped at 79. */
static void print_wrapped(FILE *out, const char *names, const char *text)
{
    enum { INDENT = 29, WIDTH = 79 };
    int col = fprintf(out, "  %s", names);
    if (col >= INDENT - 1) {
        fputc('\n', out);
        col = 0;
    }
    fprintf(out, "%*s", INDENT - col, "");
    col = INDENT;
    while (*text) {
        size_t word = strcspn(text, " ");
        if (col > INDENT && col + 1 + (int)word > WIDTH) {
            fprintf(out, "\n%*s", INDENT, "");
            col = INDENT;
        } else if (col > INDENT) {
            fputc(' ', out);
            col++;
        }
        fwrite(text, 1, word, out);
        col += (int)word;
        text += word;
        while (*text == ' ')
            text++;
    }
    fputc('\n', out);
}

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
    for (size_t i = 0; i < NOPTIONS; i++) {
        const struct opt *o = &options[i];
        char names[64];
        snprintf(names, sizeof names, "%s%s%s%s%s", o->short_name ? o->short_name : "",
                 o->short_name ? ", " : "    ", o->long_name,
                 o->metavar ? " " : "", o->metavar ? o->metavar : "");
        print_wrapped(out, names, o->help);
    }
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

static int usage(FILE *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(err, "ben-prep: ");
        vfprintf(err, fmt, ap);
        fprintf(err, "\nTry 'ben-prep --help' for more information.\n");
        va_end(ap);
    }
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

enum bp_cli_result bp_cli_parse(int argc, char **argv, struct bp_config *cfg,
                                FILE *out, FILE *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->library = "tensorflow";
    cfg->records_per_shard = BP_DEFAULT_RECORDS_PER_SHARD;
    cfg->progress_seconds = 30;
    cfg->compression_level = 6;
    cfg->argc = argc;
    cfg->argv = argv;
    cfg->splits = calloc((size_t)(argc > 0 ? argc : 1), sizeof *cfg->splits);
    cfg->excludes = calloc((size_t)(argc > 0 ? argc : 1), sizeof *cfg->excludes);
    if (!cfg->splits || !cfg->excludes)
        return usage(err, "%s", "out of memory");
    enum bp_cli_result rc = BP_CLI_USAGE;
    int level_given = 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0') {
            rc = usage(err, "unexpected argument '%s'", arg);
            goto fail;
        }
        const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        size_t namelen = eq ? (size_t)(eq - arg) : strlen(arg);
        const struct opt *o = find_option(arg, namelen);
        if (!o) {
            rc = usage(err, "unknown option '%s'", arg);
            goto fail;
        }
        const char *value = NULL;
        if (o->arg == ARG_NONE && eq) {
            rc = usage(err, "option '%s' takes no value", arg);
            goto fail;
        }
        if (o->arg == ARG_ONE) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            if (!value || !*value) {
                rc = usage(err, "option '%.*s' needs a value", (int)namelen,
                           arg);
                goto fail;
            }
        }
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
        case OPT_SPLITS:
        case OPT_EXCLUDE: {
            const char **list = o->id == OPT_SPLITS ? cfg->splits : cfg->excludes;
            size_t *n = o->id == OPT_SPLITS ? &cfg->nsplits : &cfg->nexcludes;
            size_t before = *n;
            if (eq && eq[1])
                list[(*n)++] = eq + 1;
            while (i + 1 < argc && argv[i + 1][0] != '-')
                list[(*n)++] = argv[++i];
            if (*n == before) {
                rc = usage(err, "option '%s' needs one or more CSV files",
                           o->long_name);
                goto fail;
            }
            break;
        }
        case OPT_LIBRARY:
            cfg->library = value;
            if (strcmp(value, "tensorflow") != 0) {
                rc = usage(err,
                           "library '%s' is not supported; only 'tensorflow' "
                           "records are written",
                           value);
                goto fail;
            }
            break;
        case OPT_UPDATE_JSON:
            cfg->update_json = 1;
            break;
        case OPT_MAX_FAILURES: {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(value, &end, 10);
            if (errno || end == value || *end || value[0] == '-' ||
                v > UINT32_MAX) {
                rc = usage(err,
                           "--max-failures wants a whole number from 0 to "
                           "4294967295, not '%s'",
                           value);
                goto fail;
            }
            cfg->max_failures = v;
            break;
        }
        case OPT_RESUME:
            cfg->resume = 1;
            break;
        case OPT_FORCE:
            cfg->force = 1;
            break;
        case OPT_RPS:
            if (parse_u32(value, 1, BP_MAX_RECORDS_PER_SHARD,
                          &cfg->records_per_shard) != 0) {
                rc = usage(err,
                           "--records-per-shard wants a whole number from 1 "
                           "to 100000, not '%s'",
                           value);
                goto fail;
            }
            break;
        case OPT_DECODER:
            if (strcmp(value, "auto") != 0 && strcmp(value, "gdal") != 0) {
                rc = usage(err, "--decoder is auto or gdal, not '%s'", value);
                goto fail;
            }
            cfg->gdal_only = strcmp(value, "gdal") == 0;
            break;
        case OPT_COMPRESSION:
            if (strcmp(value, "none") == 0)
                cfg->compression = BP_COMPRESS_NONE;
            else if (strcmp(value, "zlib") == 0)
                cfg->compression = BP_COMPRESS_ZLIB;
            else if (strcmp(value, "gzip") == 0)
                cfg->compression = BP_COMPRESS_GZIP;
            else {
                rc = usage(err, "--compression is none, zlib or gzip, not '%s'",
                           value);
                goto fail;
            }
            break;
        case OPT_LEVEL: {
            uint32_t level;
            if (parse_u32(value, 0, 9, &level) != 0) {
                rc = usage(err, "--compression-level is 0 to 9, not '%s'",
                           value);
                goto fail;
            }
            cfg->compression_level = (int)level;
            level_given = 1;
            break;
        }
        case OPT_INDEX:
            cfg->index = 1;
            break;
        case OPT_PROGRESS:
            if (parse_u32(value, 0, 86400, &cfg->progress_seconds) != 0) {
                rc = usage(err,
                           "--progress wants seconds from 0 to 86400, not '%s'",
                           value);
                goto fail;
            }
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
            if (out)
                print_help(out);
            rc = BP_CLI_EXIT;
            goto fail;
        case OPT_VERSION:
            if (out)
                fprintf(out, "ben-prep %s\n", bp_version());
            rc = BP_CLI_EXIT;
            goto fail;
        }
    }

    if (cfg->index && cfg->compression != BP_COMPRESS_NONE) {
        rc = usage(err, "%s",
                   "--index cannot go with --compression: index offsets "
                   "point into uncompressed files, and DALI and the PyTorch "
                   "tfrecord reader cannot read compressed records");
        goto fail;
    }
    if (level_given && cfg->compression == BP_COMPRESS_NONE) {
        rc = usage(err, "%s",
                   "--compression-level needs --compression zlib or gzip: "
                   "uncompressed shards have no level");
        goto fail;
    }
    if (cfg->resume && cfg->force) {
        rc = usage(err, "%s",
                   "--resume and --force contradict each other: continue the "
                   "earlier run, or replace it");
        goto fail;
    }
    if (cfg->nsplits == 0) {
        rc = usage(err, "%s", "no split files given: use -n/--splits CSV...");
        goto fail;
    }
    if (!cfg->dry_run) {
        /* -r1 is checked once the split files show MM rows. */
        const char *missing = !cfg->root_s2   ? "-r2/--root_folder_s2"
                              : !cfg->out_dir ? "-o/--out_folder"
                                              : NULL;
        if (missing) {
            rc = usage(err, "missing %s (needed unless --dry-run)", missing);
            goto fail;
        }
    }
    return BP_CLI_RUN;

fail:
    bp_config_free(cfg);
    return rc;
}
