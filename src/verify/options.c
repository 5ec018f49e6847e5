/*
 * options.c - the command line of "ben-prep verify" and its --help, parsed
 * without MPI so that the program answers before MPI starts.
 */
#include <stdarg.h>
#include <string.h>

#include "verify/verify_int.h"

static void print_help(FILE *out)
{
    fputs(
        "Usage: [mpirun -np N] ben-prep verify OUT "
        "[--deep S1_ROOT S2_ROOT | --deep S2_ROOT] [--index-dir DIR] "
        "[-q|-v]\n"
        "\n"
        "Check the output of a ben-prep run in OUT against OUT/manifest.json:"
        " every\n"
        "shard's size and CRC-32C, the framing and both CRCs of every record,"
        " every\n"
        "record decoded and checked against the record schema (keys in "
        "order, list\n"
        "types and value counts, pixel ranges, multi-hot against the label "
        "names,\n"
        "protobuf's deterministic encoding), each record's patch names "
        "against its\n"
        "row of the split file (the rows left after the exclusion lists and "
        "the\n"
        "listed failures, in order), "
        "the record counts per shard, split and in total,\n"
        "each split's records against its split file's rows (less the rows "
        "excluded\n"
        "and the failures listed), each split's statistics against its "
        "records,\n"
        "the shard numbering (every shard of a split present unless all its "
        "rows\n"
        "failed), the index files (one per shard when the run used --index),"
        "\n"
        "and that no stray shard or temporary file sits in OUT.\n"
        "zlib and gzip shards are checked on their decompressed stream. The "
        "shards\n"
        "are spread over all ranks, rank 0 included; verifying is bound by "
        "I/O.\n"
        "The split files and exclusion lists are read where the manifest "
        "says the run\n"
        "read them (a relative path from the current folder).\n"
        "\n"
        "Options:\n"
        "  --deep S1_ROOT S2_ROOT   also read every record's source patch and"
        " compare\n"
        "                           every pixel and label with it: bands "
        "decoded by\n"
        "                           GDAL, labels read from the label JSON "
        "(the S1\n"
        "                           JSON for MM records, the S2 JSON for "
        "S2-only\n"
        "                           ones), both independently of the "
        "converter\n"
        "  --deep S2_ROOT           the same for S2-only output "
        "(bigearthnet-s2-19),\n"
        "                           which has no S1 patches\n"
        "                           A root may be a tar or gzip-compressed "
        "tar archive,\n"
        "                           read through its index (ARCHIVE.bpidx, "
        "as ben-prep\n"
        "                           index and the conversion leave it); one "
        "that is\n"
        "                           missing or stale is built: beside the "
        "archive when\n"
        "                           its folder is writable, else in OUT\n"
        "  --index-dir DIR          look for (and build) archive indexes in "
        "DIR\n"
        "  -v, --verbose            a line per shard checked\n"
        "  -q, --quiet              problems only: no summary when all is "
        "well\n"
        "  -h, --help               show this help and exit\n"
        "\n"
        "Each problem names the shard, the record (counted from 0) and its "
        "byte offset\n"
        "in the shard (in the decompressed stream for compressed shards), "
        "e.g.\n"
        "  train-00003-of-00010.tfrecord: record 17 at byte 4677562: B04 has "
        "14399\n"
        "  values, expected 14400\n"
        "At most 50 problems are shown, then their number.\n"
        "\n"
        "Exit status:\n"
        "  0  everything holds\n"
        "  1  a problem was found, or OUT or its manifest cannot be read, "
        "or an\n"
        "     archive root cannot be indexed\n"
        "  2  usage error, also --deep S2_ROOT alone for MM output\n"
        "  4  interrupted by SIGTERM, SIGINT or SIGUSR1: not every shard was "
        "checked\n"
        "\n"
        "Examples:\n"
        "  mpirun -np 8 ben-prep verify out\n"
        "  ben-prep verify out --deep BigEarthNet-S1-v1.0 BigEarthNet-v1.0\n"
        "  ben-prep verify out-s2 --deep BigEarthNet-v1.0\n",
        out);
}

void vf_usage(FILE *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("ben-prep verify: ", err);
    vfprintf(err, fmt, ap);
    fputs("\nTry 'ben-prep verify --help' for more information.\n", err);
    va_end(ap);
}

/* vf_usage, returning what the parser returns after it. */
#define USAGE_ERROR(...) (vf_usage(__VA_ARGS__), BP_VERIFY_USAGE)

/* "-v", "-vv", ...: the number of letters, or 0 when arg is not such a
 * flag. */
static int count_flag(const char *arg, char letter)
{
    if (arg[0] != '-' || arg[1] != letter)
        return 0;
    int n = 0;
    for (const char *p = arg + 1; *p; p++) {
        if (*p != letter)
            return 0;
        n++;
    }
    return n;
}

/* Whether argv[i] can be a folder of --deep: present, not an option. */
static int folder_arg(int argc, char **argv, int i)
{
    return i < argc && argv[i][0] && argv[i][0] != '-';
}

enum bp_verify_parse_result bp_verify_parse(int argc, char **argv,
                                            struct bp_verify_options *o,
                                            FILE *out, FILE *err)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int n;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            if (out)
                print_help(out);
            return BP_VERIFY_EXIT;
        } else if (strcmp(a, "--deep") == 0) {
            /* One folder (S2-only output) or two; a second is any next
             * argument that is not an option. */
            if (!folder_arg(argc, argv, i + 1))
                return USAGE_ERROR(err, "%s",
                                   "--deep needs S1_ROOT S2_ROOT, or S2_ROOT "
                                   "alone for S2-only output");
            o->deep = 1;
            o->s1_root = NULL;
            o->s2_root = argv[++i];
            if (folder_arg(argc, argv, i + 1)) {
                o->s1_root = o->s2_root;
                o->s2_root = argv[++i];
            }
        } else if (strcmp(a, "--index-dir") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0])
                return USAGE_ERROR(err, "%s", "--index-dir needs a folder");
            o->index_dir = argv[++i];
        } else if (strcmp(a, "--verbose") == 0) {
            o->verbosity++;
        } else if (strcmp(a, "--quiet") == 0) {
            o->verbosity--;
        } else if ((n = count_flag(a, 'v')) > 0) {
            o->verbosity += n;
        } else if ((n = count_flag(a, 'q')) > 0) {
            o->verbosity -= n;
        } else if (a[0] == '-' && a[1] != '\0') {
            return USAGE_ERROR(err, "unknown option '%s'", a);
        } else if (o->out) {
            return USAGE_ERROR(err, "unexpected argument '%s': one OUT "
                                    "folder only", a);
        } else {
            o->out = a;
        }
    }
    /* "verify --deep S2_ROOT OUT": the second folder taken was OUT. */
    if (!o->out && o->deep && o->s1_root) {
        o->out = o->s2_root;
        o->s2_root = o->s1_root;
        o->s1_root = NULL;
    }
    if (!o->out || !o->out[0])
        return USAGE_ERROR(err, "%s",
                           "missing OUT: the output folder of a ben-prep run");
    return BP_VERIFY_RUN;
}
