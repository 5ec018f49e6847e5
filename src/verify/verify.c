/*
 * verify.c - "ben-prep verify": check a converted output against its
 * manifest, record by record, with a decoder of its own.
 *
 * The phases, on every rank:
 *   1. parse the options (every rank the same way; rank 0 prints);
 *   2. rank 0 reads OUT/manifest.json, checks its own consistency (each
 *      split's records against its split file's rows less its failures,
 *      the shard numbering, an index entry per shard under --index) and
 *      packs the list of shards; the list is broadcast;
 *   3. each rank checks the shards assigned to it (all ranks, rank 0 too,
 *      balanced by size): size and whole-file CRC-32C, the TFRecord framing
 *      and both CRCs of every record, every record decoded and checked
 *      against the schema, the index file, and with --deep the sources;
 *   4. the problems are gathered on rank 0, which adds the stray files of
 *      OUT, prints the problems in manifest order and the summary;
 *   5. rank 0's verdict is broadcast, so every rank returns the same status.
 *
 * Nothing here uses the converter's encoder (example.c, record.c, pbwire.h):
 * the protobuf decoding below is written from the wire format alone, so an
 * encoder bug cannot hide behind a decoder sharing its mistakes. Nor does
 * --deep use the converter's reader (patch.c, tiff.c) or label parser and
 * class table (labels.c): sources are decoded by plain GDAL calls and the
 * label JSON parsed and converted to 19 classes here (GDAL's library
 * settings alone come from bp_gdal_setup). A shard is
 * read through fixed buffers (compressed ones inflated through another), so
 * memory does not grow with the shard size; a record is at most
 * RECORD_MAX_BYTES. All collective waits sleep between tests (bp_mpi_wait).
 */
#include "benprep/verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cpl_error.h>
#include <gdal.h>
#include <json-c/json.h>
/* next_in of a z_stream is const: inflating never writes its input. */
#define ZLIB_CONST
#include <zlib.h>

#include "benprep/labels.h"
#include "benprep/log.h"
#include "benprep/patch.h"
#include "common/gdalutil.h"
#include "common/mpiwait.h"
#include "benprep/status.h"
#include "common/crc32c.h"

#define MANIFEST_NAME "manifest.json"
#define JOURNAL_NAME "ben-prep.journal"

/* Bytes read from a shard at a time, and inflated from it at a time. */
#define READ_BYTES (4u << 20)
#define INFLATE_BYTES (1u << 20)
/* The largest record accepted: the converter's bound for an MM record
 * (every pixel at its widest varint, the longest names and all labels). */
#define RECORD_MAX_BYTES (512u * 1024u)
/* Index files are read through a buffer of this size. */
#define INDEX_BUFFER_BYTES (64u * 1024u)
/* Source JSON files are read whole into a buffer of this size. */
#define JSON_MAX_BYTES (1u << 20)

/* Problem lines printed before only counting; problems listed per record. */
#define MAX_SHOWN 50
#define MAX_RECORD_PROBLEMS 8
#define TEXT_MAX 512

/* Feature fields of one schema at most, S2 bands, S1 polarisations. */
#define MAX_FIELDS 18
#define N_BANDS 12
#define N_SAR 2
#define SAR_PIXELS (120 * 120)

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* ---- Options ----------------------------------------------------------- */

struct vopts {
    const char *out;
    int deep;            /* --deep given */
    const char *s1_root; /* --deep: NULL in the one-folder form */
    const char *s2_root; /* --deep: always set */
    int verbosity;
};

enum parse_result { PARSE_RUN, PARSE_HELP, PARSE_USAGE };

static void print_help(FILE *out)
{
    fputs(
        "Usage: [mpirun -np N] ben-prep verify OUT "
        "[--deep S1_ROOT S2_ROOT | --deep S2_ROOT] [-q|-v]\n"
        "\n"
        "Check the output of a ben-prep run in OUT against OUT/manifest.json:"
        " every\n"
        "shard's size and CRC-32C, the framing and both CRCs of every record,"
        " every\n"
        "record decoded and checked against the record schema (keys in "
        "order, list\n"
        "types and value counts, pixel ranges, multi-hot against the label "
        "names),\n"
        "the record counts per shard, split and in total, each split's "
        "records\n"
        "against its split file's rows (less the rows excluded and the "
        "failures\n"
        "listed), the shard numbering (every shard of a split present unless "
        "all\n"
        "its rows failed), the index files (one per shard when the run used"
        " --index),\n"
        "and that no stray shard or temporary file sits in OUT.\n"
        "zlib and gzip shards are checked on their decompressed stream. The "
        "shards\n"
        "are spread over all ranks, rank 0 included; verifying is bound by "
        "I/O.\n"
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
        "  1  a problem was found, or OUT or its manifest cannot be read\n"
        "  2  usage error, also --deep S2_ROOT alone for MM output\n"
        "\n"
        "Examples:\n"
        "  mpirun -np 8 ben-prep verify out\n"
        "  ben-prep verify out --deep BigEarthNet-S1-v1.0 BigEarthNet-v1.0\n"
        "  ben-prep verify out-s2 --deep BigEarthNet-v1.0\n",
        out);
}

static enum parse_result usage(FILE *err, const char *fmt, ...)
    PRINTF_LIKE(2, 3);

static enum parse_result usage(FILE *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        fputs("ben-prep verify: ", err);
        vfprintf(err, fmt, ap);
        fputs("\nTry 'ben-prep verify --help' for more information.\n", err);
        va_end(ap);
    }
    return PARSE_USAGE;
}

/* "-v", "-vv", ...: the number of v's, or 0 when arg is not such a flag. */
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

/* Parse argv (argv[0] is "verify"). out and err may be NULL: then nothing
 * is printed. */
static enum parse_result parse_options(int argc, char **argv,
                                       struct vopts *o, FILE *out, FILE *err)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int n;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            if (out)
                print_help(out);
            return PARSE_HELP;
        } else if (strcmp(a, "--deep") == 0) {
            /* One folder (S2-only output) or two; a second is any next
             * argument that is not an option. */
            if (i + 1 >= argc || !argv[i + 1][0] || argv[i + 1][0] == '-')
                return usage(err, "%s",
                             "--deep needs S1_ROOT S2_ROOT, or S2_ROOT alone "
                             "for S2-only output");
            o->deep = 1;
            o->s1_root = NULL;
            o->s2_root = argv[++i];
            if (i + 1 < argc && argv[i + 1][0] && argv[i + 1][0] != '-') {
                o->s1_root = o->s2_root;
                o->s2_root = argv[++i];
            }
        } else if (strcmp(a, "--verbose") == 0) {
            o->verbosity++;
        } else if (strcmp(a, "--quiet") == 0) {
            o->verbosity--;
        } else if ((n = count_flag(a, 'v')) > 0) {
            o->verbosity += n;
        } else if ((n = count_flag(a, 'q')) > 0) {
            o->verbosity -= n;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage(err, "unknown option '%s'", a);
        } else if (o->out) {
            return usage(err, "unexpected argument '%s': one OUT folder only",
                         a);
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
        return usage(err, "%s",
                     "missing OUT: the output folder of a ben-prep run");
    return PARSE_RUN;
}

/* ---- Problems ---------------------------------------------------------- */

/* Where a problem belongs; problems print in this order, then by shard
 * (manifest order), then in the order they were found. */
enum phase {
    PHASE_MANIFEST = 0, /* the manifest itself */
    PHASE_SHARDS = 1,   /* a shard, its records, its index file */
    PHASE_COUNTS = 2,   /* split and total counts */
    PHASE_STRAY = 3,    /* files in OUT the manifest does not list */
    PHASE_RANK = 4      /* a rank could not do its part */
};

struct problem {
    uint32_t phase;
    uint32_t shard;
    uint32_t seq;
    uint32_t pad;
    char text[TEXT_MAX];
};

/* The first MAX_SHOWN problems a rank found, and how many it found. Each
 * rank finds its problems in print order, so the first MAX_SHOWN problems
 * over all ranks are among the ones kept. */
struct problems {
    struct problem kept[MAX_SHOWN];
    uint32_t nkept;
    uint32_t seq;
    uint64_t total;
};

static void vadd_problem(struct problems *ps, uint32_t phase, uint32_t shard,
                         const char *fmt, va_list ap) PRINTF_LIKE(4, 0);

static void vadd_problem(struct problems *ps, uint32_t phase, uint32_t shard,
                         const char *fmt, va_list ap)
{
    ps->total++;
    uint32_t seq = ps->seq++;
    if (ps->nkept == MAX_SHOWN)
        return;
    struct problem *p = &ps->kept[ps->nkept++];
    p->phase = phase;
    p->shard = shard;
    p->seq = seq;
    p->pad = 0;
    vsnprintf(p->text, sizeof p->text, fmt, ap);
}

static void add_problem(struct problems *ps, uint32_t phase, uint32_t shard,
                        const char *fmt, ...) PRINTF_LIKE(4, 5);

static void add_problem(struct problems *ps, uint32_t phase, uint32_t shard,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd_problem(ps, phase, shard, fmt, ap);
    va_end(ap);
}

static int problem_order(const void *a, const void *b)
{
    const struct problem *x = a, *y = b;
    if (x->phase != y->phase)
        return x->phase < y->phase ? -1 : 1;
    if (x->shard != y->shard)
        return x->shard < y->shard ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return 0;
}

/* Copy len bytes of s into dst as printable text: other bytes as \xNN, cut
 * with "..." when long. Always NUL-terminates. */
static void printable(char *dst, size_t size, const uint8_t *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (n + 8 >= size) {
            memcpy(dst + n, "...", 3);
            n += 3;
            break;
        }
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
            dst[n++] = (char)s[i];
        else
            n += (size_t)snprintf(dst + n, size - n, "\\x%02x", s[i]);
    }
    dst[n] = '\0';
}

/* Why a patch name cannot be a folder name, or NULL when it can. */
static const char *name_problem(const uint8_t *s, size_t len)
{
    if (len == 0)
        return "empty";
    if (len > 255)
        return "longer than 255 bytes";
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
        return "\".\" or \"..\"";
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '/')
            return "contains '/'";
        if (s[i] < 0x20 || s[i] == 0x7f)
            return "contains a control character";
    }
    return NULL;
}

/* ---- Record schemas ---------------------------------------------------- */

/* A Feature's list, by its field number in the Feature oneof. */
enum list_type { LIST_BYTES = 1, LIST_FLOAT = 2, LIST_INT64 = 3 };

enum field_kind {
    KIND_BAND,      /* S2 band: uint16 pixels as int64 */
    KIND_SAR,       /* S1 polarisation: float32 */
    KIND_LABELS,    /* 19-class names, ascending class order */
    KIND_MULTI_HOT, /* 19 values of 0 or 1 */
    KIND_NAME       /* a patch (folder) name */
};

struct field_spec {
    const char *key;
    enum list_type type;
    enum field_kind kind;
    uint32_t count; /* values; 0 for the label names (0..19) */
    int slot;       /* band / polarisation / name number */
};

enum { NAME_S1 = 0, NAME_S2 = 1 };

struct schema {
    const char *name;
    const struct field_spec *fields; /* sorted bytewise by key */
    size_t nfields;
    int s2_only; /* one patch_name instead of the S1 and S2 names */
};

#define BAND(key, side, slot)                                                 \
    {key, LIST_INT64, KIND_BAND, (side) * (side), slot}
#define S2_BANDS                                                              \
    BAND("B01", 20, 0), BAND("B02", 120, 1), BAND("B03", 120, 2),            \
        BAND("B04", 120, 3), BAND("B05", 60, 4), BAND("B06", 60, 5),         \
        BAND("B07", 60, 6), BAND("B08", 120, 7), BAND("B09", 20, 8),         \
        BAND("B11", 60, 9), BAND("B12", 60, 10), BAND("B8A", 60, 11)
#define LABEL_FIELDS                                                          \
    {"BigEarthNet-19_labels", LIST_BYTES, KIND_LABELS, 0, 0},                 \
        {"BigEarthNet-19_labels_multi_hot", LIST_INT64, KIND_MULTI_HOT,       \
         BP_LABELS19, 0}

/* FORMAT.md section 4: the 18 features of an MM record. */
static const struct field_spec mm_fields[] = {
    S2_BANDS,
    LABEL_FIELDS,
    {"VH", LIST_FLOAT, KIND_SAR, SAR_PIXELS, 1},
    {"VV", LIST_FLOAT, KIND_SAR, SAR_PIXELS, 0},
    {"patch_name_s1", LIST_BYTES, KIND_NAME, 1, NAME_S1},
    {"patch_name_s2", LIST_BYTES, KIND_NAME, 1, NAME_S2},
};

/* The S2-only records of the reference S2 tool: 15 features. */
static const struct field_spec s2_fields[] = {
    S2_BANDS,
    LABEL_FIELDS,
    {"patch_name", LIST_BYTES, KIND_NAME, 1, NAME_S2},
};

static const struct schema schemas[] = {
    {"bigearthnet-mm-19", mm_fields, sizeof mm_fields / sizeof mm_fields[0], 0},
    {"bigearthnet-s2-19", s2_fields, sizeof s2_fields / sizeof s2_fields[0], 1},
};
#define NSCHEMAS (sizeof schemas / sizeof schemas[0])

enum compression {
    COMP_NONE = 0,
    COMP_ZLIB = 1,
    COMP_GZIP = 2,
    COMP_UNKNOWN = 3 /* not checked beyond size and CRC */
};

static const char *const compression_names[] = {"none", "zlib", "gzip"};

/* ---- The shard list rank 0 sends to every rank ------------------------- */

struct task {
    uint64_t records;
    uint64_t bytes;
    uint64_t idx_bytes;
    uint32_t crc32c;
    uint32_t idx_crc32c;
    uint32_t has_index;
    uint32_t path;     /* offset of the shard path in the string blob */
    uint32_t idx_path; /* offset of the index path, when has_index */
    uint32_t pad;
};

struct plan_head {
    int32_t ok;          /* 0: the manifest cannot be used at all */
    int32_t schema;      /* index into schemas, or -1: unknown */
    int32_t compression; /* enum compression */
    uint32_t ntasks;
    uint64_t blob_len;
};

/* ---- The verifier: one per rank ---------------------------------------- */

/* A record's decoded values. Pointers into the record buffer stay valid
 * until the next record is read. */
struct decoded {
    uint8_t seen[MAX_FIELDS];
    uint32_t count[MAX_FIELDS];
    uint16_t *band[N_BANDS];     /* up to the band's pixel count */
    uint32_t *sar[N_SAR];        /* float bits */
    uint8_t multi_hot[BP_LABELS19];
    const uint8_t *label[BP_LABELS19];
    size_t label_len[BP_LABELS19];
    const uint8_t *name[2];
    size_t name_len[2];
    int bad_value[MAX_FIELDS]; /* a value out of range was reported */
};

struct index_reader {
    int fd; /* -1 when no index is being read */
    uint8_t *buf;
    size_t have, at;
    uint64_t bytes;
    uint32_t crc;
    uint64_t line;   /* lines read */
    int stopped;     /* comparisons stopped (read error, too few lines) */
    int read_failed; /* a read error: size and CRC are unknown */
    const char *path;
};

struct verifier {
    const struct vopts *opt;
    const struct schema *schema; /* NULL: records are not decoded */
    int compression;
    struct problems probs;

    uint8_t *in;   /* READ_BYTES */
    uint8_t *zout; /* INFLATE_BYTES, compressed shards only */
    uint8_t *rec;  /* RECORD_MAX_BYTES */
    z_stream z;
    int z_ready;

    /* --deep: the sources, decoded here */
    uint16_t *src_band[N_BANDS];
    float *src_sar[N_SAR];  /* MM records */
    char *json;             /* JSON_MAX_BYTES */
    json_tokener *tok;

    /* The shard being checked. */
    uint32_t shard;
    const struct task *task;
    const char *path;
    char full[4096];
    uint64_t stored;        /* bytes of the file read */
    int stream_done;        /* compressed: the stream ended */
    int stream_broken;      /* compressed: inflate failed */
    uint64_t trailing;      /* compressed: bytes after the stream */

    /* The framing walk over the (decompressed) stream. */
    enum { WALK_HEADER, WALK_DATA, WALK_FOOTER, WALK_BROKEN } state;
    uint64_t pos;       /* stream bytes walked */
    uint64_t rec_start; /* stream offset of the current record */
    uint64_t nrec;      /* records completed */
    uint8_t head[12];
    size_t head_have;
    uint64_t rec_len;
    size_t data_have;
    uint8_t foot[4];
    size_t foot_have;

    /* The record being checked. */
    struct decoded dec;
    uint32_t rec_problems;

    struct index_reader idx;
};

static void shard_problem(struct verifier *v, const char *fmt, ...)
    PRINTF_LIKE(2, 3);

/* A problem of the shard as a whole: "path: text". */
static void shard_problem(struct verifier *v, const char *fmt, ...)
{
    char text[TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    add_problem(&v->probs, PHASE_SHARDS, v->shard, "%s: %s", v->path, text);
}

static void record_problem(struct verifier *v, const char *fmt, ...)
    PRINTF_LIKE(2, 3);

/* A problem of the current record: "path: record N at byte X: text". The
 * first MAX_RECORD_PROBLEMS of a record are listed, then one line saying
 * that there are more. */
static void record_problem(struct verifier *v, const char *fmt, ...)
{
    char text[TEXT_MAX];
    if (v->rec_problems > MAX_RECORD_PROBLEMS)
        return;
    if (v->rec_problems++ == MAX_RECORD_PROBLEMS) {
        snprintf(text, sizeof text, "%s",
                 "further problems in this record are not listed");
    } else {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
    }
    add_problem(&v->probs, PHASE_SHARDS, v->shard,
                "%s: record %llu at byte %llu%s: %s", v->path,
                (unsigned long long)v->nrec,
                (unsigned long long)v->rec_start,
                v->compression != COMP_NONE ? " of the decompressed stream"
                                            : "",
                text);
}

/* ---- Protobuf decoding ------------------------------------------------- */

/* A window of the record being decoded. */
struct cursor {
    const uint8_t *p, *end;
};

/* One varint (at most 10 bytes). Returns 0, or -1 when it runs past the
 * end or is too long. */
static inline int read_varint(struct cursor *c, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (c->p >= c->end)
            return -1;
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int read_tag(struct cursor *c, uint32_t *field, uint32_t *wire)
{
    uint64_t t;
    if (read_varint(c, &t) != 0 || (t >> 3) == 0 || (t >> 3) > 0x1fffffff)
        return -1;
    *field = (uint32_t)(t >> 3);
    *wire = (uint32_t)(t & 7);
    return 0;
}

/* A length-delimited value: its bytes become *sub. */
static int read_len(struct cursor *c, struct cursor *sub)
{
    uint64_t n;
    if (read_varint(c, &n) != 0 || n > (uint64_t)(c->end - c->p))
        return -1;
    sub->p = c->p;
    sub->end = c->p + n;
    c->p += n;
    return 0;
}

/* Skip a value of the given wire type. Groups (3, 4) are not accepted. */
static int skip_value(struct cursor *c, uint32_t wire)
{
    uint64_t v;
    struct cursor sub;
    switch (wire) {
    case 0:
        return read_varint(c, &v);
    case 1:
        if (c->end - c->p < 8)
            return -1;
        c->p += 8;
        return 0;
    case 2:
        return read_len(c, &sub);
    case 5:
        if (c->end - c->p < 4)
            return -1;
        c->p += 4;
        return 0;
    default:
        return -1;
    }
}

static const char *list_name(uint32_t type)
{
    switch (type) {
    case LIST_BYTES:
        return "a bytes_list";
    case LIST_FLOAT:
        return "a float_list";
    case LIST_INT64:
        return "an int64_list";
    default:
        return "an unknown list";
    }
}

/* Offset of c's position within the record, for messages. */
static size_t rec_offset(const struct verifier *v, const struct cursor *c)
{
    return (size_t)(c->p - v->rec);
}

static void malformed(struct verifier *v, const struct cursor *c,
                      const char *what)
{
    record_problem(v, "malformed protobuf: %s at byte %zu of the record's data",
                   what, rec_offset(v, c));
}

/* Take one int64 value of field f (index i). */
static void take_int64(struct verifier *v, const struct field_spec *f,
                       size_t i, uint32_t n, uint64_t value)
{
    struct decoded *d = &v->dec;
    if (f->kind == KIND_BAND) {
        if (value > 0xffff && !d->bad_value[i]) {
            d->bad_value[i] = 1;
            record_problem(v, "%s value %llu at pixel %u is not a 16-bit value",
                           f->key, (unsigned long long)value, n);
        }
        if (n < f->count)
            d->band[f->slot][n] = (uint16_t)value;
    } else if (f->kind == KIND_MULTI_HOT) {
        if (value > 1 && !d->bad_value[i]) {
            d->bad_value[i] = 1;
            record_problem(v, "%s value %llu at class %u is not 0 or 1",
                           f->key, (unsigned long long)value, n);
        }
        if (n < BP_LABELS19)
            d->multi_hot[n] = (uint8_t)value;
    }
}

/* Packed pixels of band field f (index i) from *packed into the band's
 * array, values counted from *n on. Pixels are 16-bit, so their varints have
 * one to three bytes; those take the short way, longer ones (never valid
 * pixels, reported by take_int64) the general one. Returns 0, or -1 on a
 * bad varint (reported). */
static int decode_packed_band(struct verifier *v, const struct field_spec *f,
                              size_t i, struct cursor *packed, uint32_t *n)
{
    const uint8_t *p = packed->p, *end = packed->end;
    uint16_t *dst = v->dec.band[f->slot];
    uint32_t k = *n, cap = f->count;
    int rc = 0;
    while (p < end) {
        uint32_t x = p[0];
        if (x < 0x80) {
            p += 1;
        } else if (end - p >= 2 && p[1] < 0x80) {
            x = (x & 0x7f) | (uint32_t)p[1] << 7;
            p += 2;
        } else if (end - p >= 3 && p[1] >= 0x80 && p[2] < 0x80) {
            x = (x & 0x7f) | (uint32_t)(p[1] & 0x7f) << 7 |
                (uint32_t)p[2] << 14;
            p += 3;
        } else {
            uint64_t value;
            packed->p = p;
            if (read_varint(packed, &value) != 0) {
                malformed(v, packed, "bad varint in packed int64 values");
                rc = -1;
                break;
            }
            p = packed->p;
            take_int64(v, f, i, k++, value);
            continue;
        }
        if (x > 0xffff)
            take_int64(v, f, i, k, x); /* reports it */
        else if (k < cap)
            dst[k] = (uint16_t)x;
        k++;
    }
    packed->p = p;
    *n = k;
    return rc;
}

/* Decode an int64_list of field f; returns the value count, or -1 when the
 * list is malformed (reported). */
static int64_t decode_int64_list(struct verifier *v, const struct field_spec *f,
                                 size_t i, struct cursor l)
{
    uint32_t n = 0;
    while (l.p < l.end) {
        uint32_t field, wire;
        uint64_t value;
        if (read_tag(&l, &field, &wire) != 0) {
            malformed(v, &l, "bad tag in an int64_list");
            return -1;
        }
        if (field == 1 && wire == 2) {
            struct cursor packed;
            if (read_len(&l, &packed) != 0) {
                malformed(v, &l, "packed int64 values run past their list");
                return -1;
            }
            if (f->kind == KIND_BAND) {
                if (decode_packed_band(v, f, i, &packed, &n) != 0)
                    return -1;
                continue;
            }
            while (packed.p < packed.end) {
                /* The common case, one byte, without the general loop. */
                if (!(*packed.p & 0x80)) {
                    value = *packed.p++;
                } else if (read_varint(&packed, &value) != 0) {
                    malformed(v, &packed, "bad varint in packed int64 values");
                    return -1;
                }
                take_int64(v, f, i, n++, value);
            }
        } else if (field == 1 && wire == 0) {
            if (read_varint(&l, &value) != 0) {
                malformed(v, &l, "bad varint in an int64_list");
                return -1;
            }
            take_int64(v, f, i, n++, value);
        } else {
            record_problem(v, "%s: unexpected field %u (wire type %u) in its "
                           "int64_list", f->key, field, wire);
            if (skip_value(&l, wire) != 0) {
                malformed(v, &l, "cannot skip an unknown field");
                return -1;
            }
        }
    }
    return n;
}

static void take_float(struct verifier *v, const struct field_spec *f,
                       uint32_t n, const uint8_t *p)
{
    if (n < f->count) {
        uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                        (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        v->dec.sar[f->slot][n] = bits;
    }
}

static int64_t decode_float_list(struct verifier *v, const struct field_spec *f,
                                 struct cursor l)
{
    uint32_t n = 0;
    while (l.p < l.end) {
        uint32_t field, wire;
        if (read_tag(&l, &field, &wire) != 0) {
            malformed(v, &l, "bad tag in a float_list");
            return -1;
        }
        if (field == 1 && wire == 2) {
            struct cursor packed;
            if (read_len(&l, &packed) != 0) {
                malformed(v, &l, "packed float values run past their list");
                return -1;
            }
            size_t len = (size_t)(packed.end - packed.p);
            if (len % 4 != 0) {
                record_problem(v, "%s: packed float values of %zu bytes, not "
                               "a multiple of 4", f->key, len);
                return -1;
            }
            for (; packed.p < packed.end; packed.p += 4)
                take_float(v, f, n++, packed.p);
        } else if (field == 1 && wire == 5) {
            if (l.end - l.p < 4) {
                malformed(v, &l, "float value runs past its list");
                return -1;
            }
            take_float(v, f, n++, l.p);
            l.p += 4;
        } else {
            record_problem(v, "%s: unexpected field %u (wire type %u) in its "
                           "float_list", f->key, field, wire);
            if (skip_value(&l, wire) != 0) {
                malformed(v, &l, "cannot skip an unknown field");
                return -1;
            }
        }
    }
    return n;
}

static int64_t decode_bytes_list(struct verifier *v, const struct field_spec *f,
                                 struct cursor l)
{
    struct decoded *d = &v->dec;
    uint32_t n = 0;
    while (l.p < l.end) {
        uint32_t field, wire;
        if (read_tag(&l, &field, &wire) != 0) {
            malformed(v, &l, "bad tag in a bytes_list");
            return -1;
        }
        if (field == 1 && wire == 2) {
            struct cursor s;
            if (read_len(&l, &s) != 0) {
                malformed(v, &l, "bytes value runs past its list");
                return -1;
            }
            if (f->kind == KIND_LABELS && n < BP_LABELS19) {
                d->label[n] = s.p;
                d->label_len[n] = (size_t)(s.end - s.p);
            } else if (f->kind == KIND_NAME && n == 0) {
                d->name[f->slot] = s.p;
                d->name_len[f->slot] = (size_t)(s.end - s.p);
            }
            n++;
        } else {
            record_problem(v, "%s: unexpected field %u (wire type %u) in its "
                           "bytes_list", f->key, field, wire);
            if (skip_value(&l, wire) != 0) {
                malformed(v, &l, "cannot skip an unknown field");
                return -1;
            }
        }
    }
    return n;
}

/* Decode the Feature message of field i and check its type and count. */
static void decode_feature(struct verifier *v, size_t i, struct cursor c)
{
    const struct field_spec *f = &v->schema->fields[i];
    uint32_t lists = 0, type = 0;
    struct cursor list = {c.p, c.p};
    while (c.p < c.end) {
        uint32_t field, wire;
        if (read_tag(&c, &field, &wire) != 0) {
            malformed(v, &c, "bad tag in a Feature");
            return;
        }
        if (field >= 1 && field <= 3 && wire == 2) {
            if (read_len(&c, &list) != 0) {
                malformed(v, &c, "a value list runs past its Feature");
                return;
            }
            type = field;
            lists++;
        } else {
            record_problem(v, "%s: unexpected field %u (wire type %u) in its "
                           "Feature", f->key, field, wire);
            if (skip_value(&c, wire) != 0) {
                malformed(v, &c, "cannot skip an unknown field");
                return;
            }
        }
    }
    if (lists == 0) {
        record_problem(v, "%s has no value list, expected %s", f->key,
                       list_name(f->type));
        return;
    }
    if (lists > 1) {
        record_problem(v, "%s has %u value lists, expected only %s", f->key,
                       lists, list_name(f->type));
        return;
    }
    if (type != f->type) {
        record_problem(v, "%s is %s, expected %s", f->key, list_name(type),
                       list_name(f->type));
        return;
    }
    int64_t n = type == LIST_INT64   ? decode_int64_list(v, f, i, list)
                : type == LIST_FLOAT ? decode_float_list(v, f, list)
                                     : decode_bytes_list(v, f, list);
    if (n < 0)
        return;
    v->dec.count[i] = (uint32_t)n;
    if (f->count > 0 && (uint64_t)n != f->count)
        record_problem(v, "%s has %lld value%s, expected %u", f->key,
                       (long long)n, n == 1 ? "" : "s", f->count);
    else if (f->kind == KIND_LABELS && n > BP_LABELS19)
        record_problem(v, "%s has %lld names, at most %d exist", f->key,
                       (long long)n, BP_LABELS19);
    else
        v->dec.seen[i] = 2; /* decoded with the right type and count */
}

/* The field index of a key, or -1. */
static int find_field(const struct schema *s, const uint8_t *key, size_t len)
{
    for (size_t i = 0; i < s->nfields; i++)
        if (strlen(s->fields[i].key) == len &&
            memcmp(s->fields[i].key, key, len) == 0)
            return (int)i;
    return -1;
}

/* One map entry of Features: key (1) and value (2). *last is the field
 * index of the previous entry, for the order check. */
static void decode_entry(struct verifier *v, struct cursor c, int *last)
{
    struct cursor key = {NULL, NULL}, value = {c.p, c.p};
    int keys = 0, values = 0;
    while (c.p < c.end) {
        uint32_t field, wire;
        if (read_tag(&c, &field, &wire) != 0) {
            malformed(v, &c, "bad tag in a map entry");
            return;
        }
        if ((field == 1 || field == 2) && wire == 2) {
            if (read_len(&c, field == 1 ? &key : &value) != 0) {
                malformed(v, &c, "a map entry's key or value runs past it");
                return;
            }
            keys += field == 1;
            values += field == 2;
        } else {
            record_problem(v, "unexpected field %u (wire type %u) in a map "
                           "entry", field, wire);
            if (skip_value(&c, wire) != 0) {
                malformed(v, &c, "cannot skip an unknown field");
                return;
            }
        }
    }
    char shown[128];
    if (keys != 1) {
        record_problem(v, "a map entry has %d keys, expected 1", keys);
        return;
    }
    size_t klen = (size_t)(key.end - key.p);
    printable(shown, sizeof shown, key.p, klen);
    if (values != 1) {
        record_problem(v, "the entry of key \"%s\" has %d values, expected 1",
                       shown, values);
        return;
    }
    int i = find_field(v->schema, key.p, klen);
    if (i < 0) {
        record_problem(v, "unexpected key \"%s\" (not in %s records)", shown,
                       v->schema->name);
        return;
    }
    if (v->dec.seen[i]) {
        record_problem(v, "key %s appears twice", shown);
        return;
    }
    if (i < *last)
        record_problem(v, "key %s comes after %s: the keys are not in sorted "
                       "order", shown, v->schema->fields[*last].key);
    else
        *last = i;
    v->dec.seen[i] = 1;
    decode_feature(v, (size_t)i, value);
}

/* The classes a multi-hot sets, as "2,8,17" (at most 19 x 3 bytes). */
static void format_classes(char *buf, size_t size, const uint8_t *multi_hot)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int c = 0; c < BP_LABELS19 && n < size; c++)
        if (multi_hot[c])
            n += (size_t)snprintf(buf + n, size - n, "%s%d", n ? "," : "", c);
}

/* The labels: names of the 19-class table, ascending, the classes the
 * multi-hot sets. Both features decoded well. */
static void check_labels(struct verifier *v, const struct field_spec *names_f,
                         size_t count)
{
    const struct decoded *d = &v->dec;
    int idx[BP_LABELS19];
    char shown[128];
    for (size_t k = 0; k < count; k++) {
        idx[k] = -1;
        for (int c = 0; c < BP_LABELS19; c++)
            if (strlen(bp_labels19_names[c]) == d->label_len[k] &&
                memcmp(bp_labels19_names[c], d->label[k], d->label_len[k]) == 0)
                idx[k] = c;
        if (idx[k] < 0) {
            printable(shown, sizeof shown, d->label[k], d->label_len[k]);
            record_problem(v, "%s value %zu \"%s\" is not a 19-class label "
                           "name", names_f->key, k, shown);
            return;
        }
        if (k > 0 && idx[k] <= idx[k - 1]) {
            record_problem(v, "%s are not in ascending class order: \"%s\" "
                           "(class %d) after \"%s\" (class %d)", names_f->key,
                           bp_labels19_names[idx[k]], idx[k],
                           bp_labels19_names[idx[k - 1]], idx[k - 1]);
            return;
        }
    }
    uint8_t from_names[BP_LABELS19] = {0};
    for (size_t k = 0; k < count; k++)
        from_names[idx[k]] = 1;
    if (memcmp(from_names, d->multi_hot, BP_LABELS19) == 0)
        return;
    char a[64], b[64];
    format_classes(a, sizeof a, from_names);
    format_classes(b, sizeof b, d->multi_hot);
    record_problem(v, "%s name classes {%s}, but the multi-hot sets {%s}",
                   names_f->key, a, b);
}

/* Decode the record in v->rec[0..len) and check it against the schema.
 * Returns 1 when it holds, 0 when a problem was reported. */
static int check_record(struct verifier *v, size_t len)
{
    const struct schema *s = v->schema;
    struct decoded *d = &v->dec;
    memset(d->seen, 0, sizeof d->seen);
    memset(d->count, 0, sizeof d->count);
    memset(d->bad_value, 0, sizeof d->bad_value);
    memset(d->multi_hot, 0, sizeof d->multi_hot);
    uint32_t before = v->rec_problems;

    struct cursor c = {v->rec, v->rec + len};
    int features = 0, last = -1;
    while (c.p < c.end) {
        uint32_t field, wire;
        struct cursor sub;
        if (read_tag(&c, &field, &wire) != 0) {
            malformed(v, &c, "bad tag in the Example");
            return 0;
        }
        if (field == 1 && wire == 2) {
            if (read_len(&c, &sub) != 0) {
                malformed(v, &c, "the features run past the record");
                return 0;
            }
            if (features++ > 0) {
                record_problem(v, "%s", "the Example has more than one "
                                        "features message");
                continue;
            }
            while (sub.p < sub.end) {
                struct cursor entry;
                if (read_tag(&sub, &field, &wire) != 0) {
                    malformed(v, &sub, "bad tag in the features");
                    return 0;
                }
                if (field == 1 && wire == 2) {
                    if (read_len(&sub, &entry) != 0) {
                        malformed(v, &sub,
                                  "a map entry runs past the features");
                        return 0;
                    }
                    decode_entry(v, entry, &last);
                } else {
                    record_problem(v, "unexpected field %u (wire type %u) in "
                                   "the features", field, wire);
                    if (skip_value(&sub, wire) != 0) {
                        malformed(v, &sub, "cannot skip an unknown field");
                        return 0;
                    }
                }
            }
        } else {
            record_problem(v, "unexpected field %u (wire type %u) in the "
                           "Example", field, wire);
            if (skip_value(&c, wire) != 0) {
                malformed(v, &c, "cannot skip an unknown field");
                return 0;
            }
        }
    }
    if (features == 0) {
        record_problem(v, "%s", "the Example has no features");
        return 0;
    }

    char missing[TEXT_MAX / 2];
    size_t nm = 0;
    missing[0] = '\0';
    int nmissing = 0;
    for (size_t i = 0; i < s->nfields; i++) {
        if (d->seen[i])
            continue;
        nmissing++;
        if (nm < sizeof missing)
            nm += (size_t)snprintf(missing + nm, sizeof missing - nm, "%s%s",
                                   nm ? ", " : "", s->fields[i].key);
    }
    if (nmissing)
        record_problem(v, "missing key%s %s", nmissing == 1 ? "" : "s",
                       missing);

    /* Names usable as folder names; labels consistent with the multi-hot. */
    int names_field = -1, multi_hot_field = -1;
    for (size_t i = 0; i < s->nfields; i++) {
        const struct field_spec *f = &s->fields[i];
        if (f->kind == KIND_LABELS)
            names_field = (int)i;
        if (f->kind == KIND_MULTI_HOT)
            multi_hot_field = (int)i;
        if (f->kind != KIND_NAME || d->seen[i] != 2)
            continue;
        const char *why = name_problem(d->name[f->slot], d->name_len[f->slot]);
        if (why) {
            char shown[128];
            printable(shown, sizeof shown, d->name[f->slot],
                      d->name_len[f->slot]);
            record_problem(v, "%s \"%s\" is not a patch name: %s", f->key,
                           shown, why);
        }
    }
    if (names_field >= 0 && multi_hot_field >= 0 &&
        d->seen[names_field] == 2 && d->seen[multi_hot_field] == 2 &&
        !d->bad_value[multi_hot_field])
        check_labels(v, &s->fields[names_field], d->count[names_field]);
    return v->rec_problems == before;
}

/* ---- --deep: the record against its source patch ----------------------- */

/*
 * Nothing here uses the converter's reader (patch.c, tiff.c) or its label
 * parser and class table (labels.c): bands are decoded by plain GDAL calls,
 * the label JSON is parsed below with json-c, and the 43 -> 19 conversion is
 * this file's own table, so a bug in any of those cannot hide behind a
 * verifier sharing it. Only the 19 names (bp_labels19_names, the record
 * check's data) give a 19-class name its class number, and GDAL is
 * configured by bp_gdal_setup (drivers, no sidecar files: no decoding).
 */

/* label_indices.json written out by name: each 43-class name (in
 * original_labels order) and the 19-class name it becomes, NULL when the
 * class is dropped (FORMAT.md section 3). */
static const struct {
    const char *from;
    const char *to;
} label_map[] = {
    {"Continuous urban fabric", "Urban fabric"},
    {"Discontinuous urban fabric", "Urban fabric"},
    {"Industrial or commercial units", "Industrial or commercial units"},
    {"Road and rail networks and associated land", NULL},
    {"Port areas", NULL},
    {"Airports", NULL},
    {"Mineral extraction sites", NULL},
    {"Dump sites", NULL},
    {"Construction sites", NULL},
    {"Green urban areas", NULL},
    {"Sport and leisure facilities", NULL},
    {"Non-irrigated arable land", "Arable land"},
    {"Permanently irrigated land", "Arable land"},
    {"Rice fields", "Arable land"},
    {"Vineyards", "Permanent crops"},
    {"Fruit trees and berry plantations", "Permanent crops"},
    {"Olive groves", "Permanent crops"},
    {"Pastures", "Pastures"},
    {"Annual crops associated with permanent crops", "Permanent crops"},
    {"Complex cultivation patterns", "Complex cultivation patterns"},
    {"Land principally occupied by agriculture, with significant areas of "
     "natural vegetation",
     "Land principally occupied by agriculture, with significant areas of "
     "natural vegetation"},
    {"Agro-forestry areas", "Agro-forestry areas"},
    {"Broad-leaved forest", "Broad-leaved forest"},
    {"Coniferous forest", "Coniferous forest"},
    {"Mixed forest", "Mixed forest"},
    {"Natural grassland", "Natural grassland and sparsely vegetated areas"},
    {"Moors and heathland", "Moors, heathland and sclerophyllous vegetation"},
    {"Sclerophyllous vegetation",
     "Moors, heathland and sclerophyllous vegetation"},
    {"Transitional woodland/shrub", "Transitional woodland, shrub"},
    {"Beaches, dunes, sands", "Beaches, dunes, sands"},
    {"Bare rock", NULL},
    {"Sparsely vegetated areas",
     "Natural grassland and sparsely vegetated areas"},
    {"Burnt areas", NULL},
    {"Inland marshes", "Inland wetlands"},
    {"Peatbogs", "Inland wetlands"},
    {"Salt marshes", "Coastal wetlands"},
    {"Salines", "Coastal wetlands"},
    {"Intertidal flats", NULL},
    {"Water courses", "Inland waters"},
    {"Water bodies", "Inland waters"},
    {"Coastal lagoons", "Marine waters"},
    {"Estuaries", "Marine waters"},
    {"Sea and ocean", "Marine waters"},
};
#define NLABEL_MAP (sizeof label_map / sizeof label_map[0])
_Static_assert(NLABEL_MAP == BP_LABELS43, "one entry per 43-class name");

/* The 19-class number of 43-class name s (len bytes): 0..18, -1 when the
 * class is dropped, -2 when s is no 43-class name. */
static int label19_of(const char *s, size_t len)
{
    for (size_t i = 0; i < NLABEL_MAP; i++) {
        if (strlen(label_map[i].from) != len ||
            memcmp(label_map[i].from, s, len) != 0)
            continue;
        if (!label_map[i].to)
            return -1;
        for (int c = 0; c < BP_LABELS19; c++)
            if (strcmp(bp_labels19_names[c], label_map[i].to) == 0)
                return c;
        return -2; /* not reached: every "to" is a 19-class name */
    }
    return -2;
}

static void compare_band(struct verifier *v, const struct field_spec *f,
                         const uint16_t *src, const char *root,
                         const char *name)
{
    const uint16_t *got = v->dec.band[f->slot];
    uint32_t diff = 0, first = 0;
    for (uint32_t k = 0; k < f->count; k++)
        if (got[k] != src[k] && diff++ == 0)
            first = k;
    if (!diff)
        return;
    uint32_t side = f->count == 400 ? 20 : f->count == 3600 ? 60 : 120;
    record_problem(v, "%s: %u of %u pixels differ from %s/%s/%s_%s.tif, the "
                   "first at row %u column %u: %u in the record, %u in the "
                   "file", f->key, diff, f->count, root, name, name, f->key,
                   first / side, first % side, got[first], src[first]);
}

static void compare_sar(struct verifier *v, const struct field_spec *f,
                        const float *src, const char *root, const char *name)
{
    const uint32_t *got = v->dec.sar[f->slot];
    uint32_t diff = 0, first = 0, want_first = 0;
    for (uint32_t k = 0; k < f->count; k++) {
        uint32_t want;
        memcpy(&want, &src[k], 4);
        if (got[k] != want && diff++ == 0) {
            first = k;
            want_first = want;
        }
    }
    if (!diff)
        return;
    float a, b;
    memcpy(&a, &got[first], 4);
    memcpy(&b, &want_first, 4);
    record_problem(v, "%s: %u of %u values differ from %s/%s/%s_%s.tif, the "
                   "first at row %u column %u: %.9g (0x%08x) in the record, "
                   "%.9g (0x%08x) in the file", f->key, diff, f->count, root,
                   name, name, f->key, first / 120, first % 120, (double)a,
                   got[first], (double)b, want_first);
}

static void compare_multi_hot(struct verifier *v, const uint8_t *src,
                              const char *json_path)
{
    if (memcmp(v->dec.multi_hot, src, BP_LABELS19) == 0)
        return;
    char a[64], b[64];
    format_classes(a, sizeof a, v->dec.multi_hot);
    format_classes(b, sizeof b, src);
    record_problem(v, "labels differ from %s: classes {%s} in the record, {%s} "
                   "in the file", json_path, a, b);
}

/* Read path whole into v->json; returns its length, or -1 with reason. */
static long read_json(struct verifier *v, const char *path, char *reason,
                      size_t size)
{
    long result = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(reason, size, "cannot open: %s", strerror(errno));
        goto out;
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, v->json + len, JSON_MAX_BYTES - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(reason, size, "read error: %s", strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == JSON_MAX_BYTES) {
            snprintf(reason, size, "larger than %u bytes", JSON_MAX_BYTES);
            goto out;
        }
    }
    result = (long)len;
out:
    if (fd >= 0)
        close(fd);
    return result;
}

/* Parse the label JSON of len bytes in v->json: one object (white space
 * after it allowed) with a "labels" array of 43-class names, converted here
 * to the 19-class multi-hot. With s2 not NULL (an S1 JSON), a
 * "corresponding_s2_patch", when present, must be that name. Returns 0, or
 * -1 with reason. */
static int parse_labels(struct verifier *v, size_t len, const char *s2,
                        uint8_t *multi_hot, char *reason, size_t size)
{
    int rc = -1;
    char shown[128];
    memset(multi_hot, 0, BP_LABELS19);
    json_tokener_reset(v->tok);
    json_object *root = json_tokener_parse_ex(v->tok, v->json, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(v->tok);
    if (!root || jerr != json_tokener_success) {
        snprintf(reason, size, "not valid JSON: %s",
                 jerr == json_tokener_success || jerr == json_tokener_continue
                     ? "it ends too early"
                     : json_tokener_error_desc(jerr));
        goto out;
    }
    for (size_t i = json_tokener_get_parse_end(v->tok); i < len; i++)
        if (!strchr(" \t\r\n", v->json[i]) || !v->json[i]) {
            snprintf(reason, size, "%s", "not valid JSON: text follows the "
                                         "object");
            goto out;
        }
    json_object *labels, *partner;
    if (!json_object_is_type(root, json_type_object)) {
        snprintf(reason, size, "%s", "not a JSON object");
        goto out;
    }
    if (!json_object_object_get_ex(root, "labels", &labels) ||
        !json_object_is_type(labels, json_type_array)) {
        snprintf(reason, size, "%s", "no \"labels\" array");
        goto out;
    }
    if (s2 && json_object_object_get_ex(root, "corresponding_s2_patch",
                                        &partner)) {
        const char *p = json_object_is_type(partner, json_type_string)
                            ? json_object_get_string(partner)
                            : NULL;
        if (!p || strcmp(p, s2) != 0) {
            if (p)
                printable(shown, sizeof shown, (const uint8_t *)p,
                          (size_t)json_object_get_string_len(partner));
            snprintf(reason, size, "corresponding_s2_patch is %s%s%s, but "
                     "the record pairs it with %s", p ? "\"" : "",
                     p ? shown : "not a string", p ? "\"" : "", s2);
            goto out;
        }
    }
    size_t n = json_object_array_length(labels);
    for (size_t k = 0; k < n; k++) {
        json_object *item = json_object_array_get_idx(labels, k);
        if (!json_object_is_type(item, json_type_string)) {
            snprintf(reason, size, "labels[%zu] is not a string", k);
            goto out;
        }
        const char *name = json_object_get_string(item);
        size_t nlen = (size_t)json_object_get_string_len(item);
        int c = label19_of(name, nlen);
        if (c == -2) {
            printable(shown, sizeof shown, (const uint8_t *)name, nlen);
            snprintf(reason, size, "labels[%zu] \"%s\" is not a 43-class "
                     "label name", k, shown);
            goto out;
        }
        if (c >= 0)
            multi_hot[c] = 1;
    }
    rc = 0;
out:
    json_object_put(root);
    return rc;
}

/* GDAL's last error message, never empty. */
static const char *gdal_error(void)
{
    const char *msg = CPLGetLastErrorMsg();
    return msg && msg[0] ? msg : "unknown error";
}

/* Decode the one band of the GeoTIFF at path, side x side pixels of type
 * (UInt16 or Float32), into dst with GDAL. Returns 0, or -1 with reason. */
static int read_band_gdal(const char *path, int side, GDALDataType type,
                          void *dst, char *reason, size_t size)
{
    static const char *const gtiff_only[] = {"GTiff", NULL};
    int rc = -1;
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY,
                                 gtiff_only, NULL, NULL);
    if (!ds) {
        snprintf(reason, size, "GDAL cannot open it: %s",
                 gdal_error());
        goto out;
    }
    if (GDALGetRasterCount(ds) != 1 || GDALGetRasterXSize(ds) != side ||
        GDALGetRasterYSize(ds) != side) {
        snprintf(reason, size, "%d band(s) of %dx%d pixels, expected one of "
                 "%dx%d", GDALGetRasterCount(ds), GDALGetRasterXSize(ds),
                 GDALGetRasterYSize(ds), side, side);
        goto out;
    }
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    if (GDALGetRasterDataType(band) != type) {
        snprintf(reason, size, "pixel type %s, expected %s",
                 GDALGetDataTypeName(GDALGetRasterDataType(band)),
                 GDALGetDataTypeName(type));
        goto out;
    }
    if (GDALRasterIO(band, GF_Read, 0, 0, side, side, dst, side, side, type,
                     0, 0) != CE_None) {
        snprintf(reason, size, "cannot decode the pixels: %s",
                 gdal_error());
        goto out;
    }
    rc = 0;
out:
    if (ds)
        GDALClose(ds);
    return rc;
}

/* The record's S2 bands against S2_ROOT/<name>/<name>_<band>.tif. Returns
 * 0, or -1 when a file cannot be read (reported). */
static int deep_bands(struct verifier *v, const char *name)
{
    const struct schema *s = v->schema;
    const char *root = v->opt->s2_root;
    char path[4096], reason[512];
    for (size_t i = 0; i < s->nfields; i++) {
        const struct field_spec *f = &s->fields[i];
        if (f->kind != KIND_BAND)
            continue;
        int side = f->count == 400 ? 20 : f->count == 3600 ? 60 : 120;
        snprintf(path, sizeof path, "%s/%s/%s_%s.tif", root, name, name,
                 f->key);
        if (read_band_gdal(path, side, GDT_UInt16, v->src_band[f->slot],
                           reason, sizeof reason) != 0) {
            record_problem(v, "cannot read the source %s: %s", path, reason);
            return -1;
        }
        compare_band(v, f, v->src_band[f->slot], root, name);
    }
    return 0;
}

/* The labels of the JSON at path against the record's multi-hot; s2 as for
 * parse_labels. */
static void deep_labels(struct verifier *v, const char *path, const char *s2)
{
    char reason[512];
    uint8_t multi_hot[BP_LABELS19];
    long len = read_json(v, path, reason, sizeof reason);
    if (len < 0 || parse_labels(v, (size_t)len, s2, multi_hot, reason,
                                sizeof reason) != 0) {
        record_problem(v, "cannot read the source %s: %s", path, reason);
        return;
    }
    compare_multi_hot(v, multi_hot, path);
}

/* An S2-only record against S2_ROOT/<name>/: bands read with GDAL, labels
 * from the S2 JSON. */
static void deep_s2(struct verifier *v, const char *name)
{
    char path[4096];
    if (deep_bands(v, name) != 0)
        return;
    snprintf(path, sizeof path, "%s/%s/%s_labels_metadata.json",
             v->opt->s2_root, name, name);
    deep_labels(v, path, NULL);
}

/* An MM record against its pair: S2 bands and VV, VH read with GDAL, labels
 * from the S1 JSON, which must name s2 as its partner. */
static void deep_mm(struct verifier *v, const char *s2, const char *s1)
{
    const struct schema *s = v->schema;
    const char *root = v->opt->s1_root;
    char path[4096], reason[512];
    if (deep_bands(v, s2) != 0)
        return;
    for (size_t i = 0; i < s->nfields; i++) {
        const struct field_spec *f = &s->fields[i];
        if (f->kind != KIND_SAR)
            continue;
        snprintf(path, sizeof path, "%s/%s/%s_%s.tif", root, s1, s1, f->key);
        if (read_band_gdal(path, 120, GDT_Float32, v->src_sar[f->slot],
                           reason, sizeof reason) != 0) {
            record_problem(v, "cannot read the source %s: %s", path, reason);
            return;
        }
        compare_sar(v, f, v->src_sar[f->slot], root, s1);
    }
    snprintf(path, sizeof path, "%s/%s/%s_labels_metadata.json", root, s1, s1);
    deep_labels(v, path, s2);
}

/* The record decoded without problems: compare it with its sources. */
static void deep_check(struct verifier *v)
{
    char s2[256], s1[256];
    const struct decoded *d = &v->dec;
    memcpy(s2, d->name[NAME_S2], d->name_len[NAME_S2]);
    s2[d->name_len[NAME_S2]] = '\0';
    if (v->schema->s2_only) {
        deep_s2(v, s2);
        return;
    }
    memcpy(s1, d->name[NAME_S1], d->name_len[NAME_S1]);
    s1[d->name_len[NAME_S1]] = '\0';
    deep_mm(v, s2, s1);
}

/* ---- Index files ------------------------------------------------------- */

/* Read the next line of the index into line (without the '\n'). Returns 1
 * for a line ending in '\n', 2 for a last line without one, 0 at the end,
 * -1 on a read error (reported). Longer lines are cut to size - 1. */
static int index_next_line(struct verifier *v, char *line, size_t size)
{
    struct index_reader *ir = &v->idx;
    size_t n = 0;
    for (;;) {
        if (ir->at == ir->have) {
            ssize_t got;
            do
                got = read(ir->fd, ir->buf, INDEX_BUFFER_BYTES);
            while (got < 0 && errno == EINTR);
            if (got < 0) {
                shard_problem(v, "index %s: read error: %s", ir->path,
                              strerror(errno));
                ir->read_failed = 1;
                return -1;
            }
            if (got == 0) {
                line[n] = '\0';
                return n ? 2 : 0;
            }
            ir->crc = bp_crc32c_extend(ir->crc, ir->buf, (size_t)got);
            ir->bytes += (uint64_t)got;
            ir->have = (size_t)got;
            ir->at = 0;
        }
        uint8_t c = ir->buf[ir->at++];
        if (c == '\n') {
            line[n] = '\0';
            ir->line++;
            return 1;
        }
        if (n + 1 < size)
            line[n++] = (char)c;
    }
}

/* "<offset> <size>": two decimal numbers and one space, nothing else. */
static int parse_index_line(const char *s, uint64_t *offset, uint64_t *size)
{
    uint64_t *out[2] = {offset, size};
    for (int k = 0; k < 2; k++) {
        if (*s < '0' || *s > '9')
            return -1;
        uint64_t x = 0;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (x > (UINT64_MAX - 9) / 10)
                return -1;
            x = x * 10 + (uint64_t)(*s - '0');
        }
        *out[k] = x;
        if (k == 0 && *s++ != ' ')
            return -1;
    }
    return *s == '\0' ? 0 : -1;
}

/* The walk found record v->nrec at v->rec_start, size bytes framed: the
 * index's next line must say so. */
static void index_check_record(struct verifier *v, uint64_t size)
{
    struct index_reader *ir = &v->idx;
    if (ir->fd < 0 || ir->stopped)
        return;
    char line[96], shown[128];
    int r = index_next_line(v, line, sizeof line);
    if (r < 0) {
        ir->stopped = 1;
        return;
    }
    if (r == 0) {
        shard_problem(v, "index %s has %llu lines, but the shard has more "
                      "records: record %llu at byte %llu is not listed",
                      ir->path, (unsigned long long)ir->line,
                      (unsigned long long)v->nrec,
                      (unsigned long long)v->rec_start);
        ir->stopped = 1;
        return;
    }
    uint64_t off = 0, sz = 0;
    printable(shown, sizeof shown, (const uint8_t *)line, strlen(line));
    if (r == 2)
        shard_problem(v, "index %s line %llu: \"%s\" does not end with a "
                      "newline", ir->path, (unsigned long long)ir->line + 1,
                      shown);
    if (parse_index_line(line, &off, &sz) != 0)
        shard_problem(v, "index %s line %llu: \"%s\" is not \"<offset> "
                      "<size>\" (record %llu is at byte %llu, %llu bytes)",
                      ir->path, (unsigned long long)ir->line + (r == 2),
                      shown, (unsigned long long)v->nrec,
                      (unsigned long long)v->rec_start,
                      (unsigned long long)size);
    else if (off != v->rec_start || sz != size)
        shard_problem(v, "index %s line %llu: \"%s\", but record %llu is at "
                      "byte %llu with %llu bytes",
                      ir->path, (unsigned long long)ir->line + (r == 2),
                      shown, (unsigned long long)v->nrec,
                      (unsigned long long)v->rec_start,
                      (unsigned long long)size);
}

/* Open the shard's index file, if it has one. */
static void index_open(struct verifier *v, const char *blob)
{
    struct index_reader *ir = &v->idx;
    ir->fd = -1;
    ir->have = ir->at = 0;
    ir->bytes = ir->line = 0;
    ir->crc = 0;
    ir->stopped = ir->read_failed = 0;
    if (!v->task->has_index)
        return;
    ir->path = blob + v->task->idx_path;
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", v->opt->out, ir->path);
    ir->fd = open(full, O_RDONLY | O_CLOEXEC);
    if (ir->fd < 0)
        shard_problem(v, "index %s: cannot open: %s", ir->path,
                      errno == ENOENT ? "missing (listed in the manifest)"
                                      : strerror(errno));
}

/* After the walk: lines left over, size and CRC-32C against the manifest. */
static void index_close(struct verifier *v, int walk_complete)
{
    struct index_reader *ir = &v->idx;
    if (ir->fd < 0)
        return;
    char line[96];
    uint64_t extra = 0;
    int r;
    while (!ir->read_failed && (r = index_next_line(v, line, sizeof line)) > 0)
        extra++;
    if (walk_complete && !ir->stopped && !ir->read_failed && extra)
        shard_problem(v, "index %s has %llu more line%s than the shard has "
                      "records (%llu)", ir->path, (unsigned long long)extra,
                      extra == 1 ? "" : "s", (unsigned long long)v->nrec);
    if (!ir->read_failed && ir->bytes != v->task->idx_bytes)
        shard_problem(v, "index %s: %llu bytes, the manifest says %llu",
                      ir->path, (unsigned long long)ir->bytes,
                      (unsigned long long)v->task->idx_bytes);
    else if (!ir->read_failed && ir->crc != v->task->idx_crc32c)
        shard_problem(v, "index %s: CRC-32C %08x, the manifest says %08x",
                      ir->path, ir->crc, v->task->idx_crc32c);
    close(ir->fd);
    ir->fd = -1;
}

/* ---- The framing walk -------------------------------------------------- */

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* The 12 header bytes are in: check the length's CRC, prepare for data. */
static void walk_header(struct verifier *v)
{
    uint64_t len = get_le64(v->head);
    uint32_t stored = get_le32(v->head + 8);
    uint32_t want = bp_crc32c_mask(bp_crc32c(v->head, 8));
    v->rec_problems = 0;
    if (stored != want) {
        record_problem(v, "length CRC mismatch (stored %08x, computed %08x "
                       "over length %llu): the framing is broken, the rest of "
                       "the shard cannot be read", stored, want,
                       (unsigned long long)len);
        v->state = WALK_BROKEN;
        return;
    }
    if (len > RECORD_MAX_BYTES) {
        record_problem(v, "length %llu is larger than any BigEarthNet record "
                       "(at most %u bytes); the rest of the shard is not "
                       "checked", (unsigned long long)len, RECORD_MAX_BYTES);
        v->state = WALK_BROKEN;
        return;
    }
    index_check_record(v, len + 16);
    v->rec_len = len;
    v->data_have = 0;
    v->state = WALK_DATA;
}

/* The whole record is in: check the data CRC, decode, compare. */
static void walk_record(struct verifier *v)
{
    size_t len = (size_t)v->rec_len;
    uint32_t stored = get_le32(v->foot);
    uint32_t want = bp_crc32c_mask(bp_crc32c(v->rec, len));
    if (stored != want) {
        record_problem(v, "data CRC mismatch (stored %08x, computed %08x over "
                       "%zu bytes): the record is damaged", stored, want, len);
    } else if (v->schema && check_record(v, len) && v->opt->deep) {
        deep_check(v);
    }
    v->rec_problems = 0;
    v->nrec++;
    v->rec_start = v->pos;
    v->head_have = 0;
    v->foot_have = 0;
    v->state = WALK_HEADER;
}

/* Walk n more bytes of the (decompressed) stream. */
static void walk(struct verifier *v, const uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t take;
        switch (v->state) {
        case WALK_HEADER:
            take = 12 - v->head_have < n ? 12 - v->head_have : n;
            memcpy(v->head + v->head_have, p, take);
            v->head_have += take;
            v->pos += take;
            if (v->head_have == 12)
                walk_header(v);
            break;
        case WALK_DATA:
            take = (size_t)v->rec_len - v->data_have;
            take = take < n ? take : n;
            memcpy(v->rec + v->data_have, p, take);
            v->data_have += take;
            v->pos += take;
            if (v->data_have == v->rec_len)
                v->state = WALK_FOOTER;
            break;
        case WALK_FOOTER:
            take = 4 - v->foot_have < n ? 4 - v->foot_have : n;
            memcpy(v->foot + v->foot_have, p, take);
            v->foot_have += take;
            v->pos += take;
            if (v->foot_have == 4)
                walk_record(v);
            break;
        default: /* WALK_BROKEN: nothing more can be found */
            v->pos += n;
            return;
        }
        p += take;
        n -= take;
    }
}

/* The stream ended: a record cut short is a problem. Returns 1 when the
 * walk covered the stream exactly. */
static int walk_end(struct verifier *v)
{
    const char *where = v->compression != COMP_NONE ? "decompressed stream"
                                                    : "file";
    switch (v->state) {
    case WALK_HEADER:
        if (v->head_have == 0)
            return 1;
        record_problem(v, "the %s ends inside the record's 12-byte header "
                       "(%zu bytes of it)", where, v->head_have);
        return 0;
    case WALK_DATA:
        record_problem(v, "the %s ends inside the record's data: %zu of %llu "
                       "bytes", where, v->data_have,
                       (unsigned long long)v->rec_len);
        return 0;
    case WALK_FOOTER:
        record_problem(v, "the %s ends inside the record's 4-byte data CRC",
                       where);
        return 0;
    default:
        return 0;
    }
}

/* ---- One shard --------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Inflate n stored bytes and walk what comes out. */
static void inflate_feed(struct verifier *v, const uint8_t *p, size_t n,
                         uint64_t stored_at)
{
    if (v->stream_done) {
        v->trailing += n;
        return;
    }
    if (v->stream_broken || v->state == WALK_BROKEN)
        return;
    z_stream *z = &v->z;
    z->next_in = p;
    z->avail_in = (uInt)n;
    for (;;) {
        z->next_out = v->zout;
        z->avail_out = INFLATE_BYTES;
        int rc = inflate(z, Z_NO_FLUSH);
        walk(v, v->zout, INFLATE_BYTES - z->avail_out);
        if (rc == Z_STREAM_END) {
            v->stream_done = 1;
            v->trailing += z->avail_in;
            return;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            shard_problem(v, "the %s stream is corrupt near stored byte %llu "
                          "(decompressed byte %llu): %s",
                          compression_names[v->compression],
                          (unsigned long long)(stored_at + n - z->avail_in),
                          (unsigned long long)v->pos,
                          z->msg ? z->msg : zError(rc));
            v->stream_broken = 1;
            return;
        }
        if (z->avail_out != 0 || rc == Z_BUF_ERROR)
            return; /* all input used; what is pending needs more of it */
    }
}

/* Check one shard: task t, number index in manifest order. */
static void verify_shard(struct verifier *v, uint32_t index,
                         const struct task *t, const char *blob)
{
    double t0 = now();
    v->shard = index;
    v->task = t;
    v->path = blob + t->path;
    v->stored = 0;
    v->stream_done = v->stream_broken = 0;
    v->trailing = 0;
    v->state = WALK_HEADER;
    v->pos = v->rec_start = v->nrec = 0;
    v->head_have = v->foot_have = 0;
    v->rec_problems = 0;
    v->idx.fd = -1;
    uint32_t crc = 0;
    int read_ok = 0;
    int walking = v->compression != COMP_UNKNOWN;

    snprintf(v->full, sizeof v->full, "%s/%s", v->opt->out, v->path);
    int fd = open(v->full, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            shard_problem(v, "missing: the manifest lists it with %llu "
                          "records", (unsigned long long)t->records);
        else
            shard_problem(v, "cannot open: %s", strerror(errno));
        goto out;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    if (walking && v->compression != COMP_NONE) {
        int bits = v->compression == COMP_GZIP ? 16 + MAX_WBITS : MAX_WBITS;
        if (inflateReset2(&v->z, bits) != Z_OK) {
            shard_problem(v, "%s", "cannot reset the zlib inflater");
            goto out;
        }
    }
    index_open(v, blob);
    for (;;) {
        ssize_t n = read(fd, v->in, READ_BYTES);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            shard_problem(v, "read error at byte %llu: %s",
                          (unsigned long long)v->stored, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        crc = bp_crc32c_extend(crc, v->in, (size_t)n);
        if (walking && v->compression == COMP_NONE)
            walk(v, v->in, (size_t)n);
        else if (walking)
            inflate_feed(v, v->in, (size_t)n, v->stored);
        v->stored += (uint64_t)n;
    }
    read_ok = 1;

    int complete = 0;
    if (walking && v->compression != COMP_NONE && !v->stream_done &&
        !v->stream_broken && v->state != WALK_BROKEN) {
        shard_problem(v, "the %s stream ends early, after %llu decompressed "
                      "bytes: the file is truncated",
                      compression_names[v->compression],
                      (unsigned long long)v->pos);
    } else if (walking && !v->stream_broken) {
        complete = walk_end(v);
        if (v->trailing)
            shard_problem(v, "%llu bytes follow the end of the %s stream",
                          (unsigned long long)v->trailing,
                          compression_names[v->compression]);
    }
    if (v->stored != t->bytes)
        shard_problem(v, "%llu bytes, the manifest says %llu",
                      (unsigned long long)v->stored,
                      (unsigned long long)t->bytes);
    else if (crc != t->crc32c)
        shard_problem(v, "CRC-32C %08x, the manifest says %08x: the file "
                      "differs from the one written", crc, t->crc32c);
    if (complete && v->nrec != t->records)
        shard_problem(v, "%llu records, the manifest says %llu",
                      (unsigned long long)v->nrec,
                      (unsigned long long)t->records);
    index_close(v, complete);
out:
    if (v->idx.fd >= 0)
        close(v->idx.fd);
    v->idx.fd = -1;
    if (fd >= 0)
        close(fd);
    if (read_ok) {
        double s = now() - t0;
        BP_DEBUG("%s: %llu records, %.1f MB checked in %.2f s",
                 v->path, (unsigned long long)v->nrec,
                 (double)v->stored / 1e6, s);
    }
}

static void verifier_free(struct verifier *v)
{
    free(v->in);
    free(v->zout);
    free(v->rec);
    free(v->idx.buf);
    free(v->dec.band[0]);
    free(v->dec.sar[0]);
    if (v->z_ready)
        inflateEnd(&v->z);
    free(v->src_band[0]);
    free(v->src_sar[0]);
    free(v->json);
    if (v->tok)
        json_tokener_free(v->tok);
}

/* Allocate every buffer the rank needs. Returns 0, or -1 when out of
 * memory (then verifier_free releases what was allocated). */
static int verifier_init(struct verifier *v, const struct vopts *opt,
                         const struct plan_head *head)
{
    memset(v, 0, sizeof *v);
    v->opt = opt;
    v->idx.fd = -1;
    v->schema = head->schema >= 0 ? &schemas[head->schema] : NULL;
    v->compression = head->compression;
    v->in = malloc(READ_BYTES);
    v->rec = malloc(RECORD_MAX_BYTES);
    v->idx.buf = malloc(INDEX_BUFFER_BYTES);
    size_t pixels = 0;
    for (size_t i = 0; i < schemas[0].nfields; i++)
        if (schemas[0].fields[i].kind == KIND_BAND)
            pixels += schemas[0].fields[i].count;
    v->dec.band[0] = malloc(pixels * sizeof(uint16_t));
    v->dec.sar[0] = malloc((size_t)N_SAR * SAR_PIXELS * sizeof(uint32_t));
    if (!v->in || !v->rec || !v->idx.buf || !v->dec.band[0] || !v->dec.sar[0])
        return -1;
    /* Slot b's pixels follow those of slots 0..b-1. */
    for (int b = 1; b < N_BANDS; b++)
        v->dec.band[b] = v->dec.band[b - 1] + schemas[0].fields[b - 1].count;
    v->dec.sar[1] = v->dec.sar[0] + SAR_PIXELS;
    if (v->compression == COMP_ZLIB || v->compression == COMP_GZIP) {
        v->zout = malloc(INFLATE_BYTES);
        if (!v->zout || inflateInit2(&v->z, 16 + MAX_WBITS) != Z_OK)
            return -1;
        v->z_ready = 1;
    }
    if (opt->deep && v->schema) {
        bp_gdal_setup(); /* library settings only: decoding stays here */
        v->tok = json_tokener_new();
        v->json = malloc(JSON_MAX_BYTES);
        v->src_band[0] = malloc(pixels * sizeof(uint16_t));
        if (!v->tok || !v->json || !v->src_band[0])
            return -1;
        for (int b = 1; b < N_BANDS; b++)
            v->src_band[b] =
                v->src_band[b - 1] + schemas[0].fields[b - 1].count;
        if (!v->schema->s2_only) {
            v->src_sar[0] = malloc((size_t)N_SAR * SAR_PIXELS * sizeof(float));
            if (!v->src_sar[0])
                return -1;
            v->src_sar[1] = v->src_sar[0] + SAR_PIXELS;
        }
    }
    return 0;
}

/* ---- The manifest (rank 0) --------------------------------------------- */

/* A growing byte buffer; a failed allocation sets failed and drops data. */
struct blob {
    char *data;
    size_t len, cap;
    int failed;
};

static size_t blob_add(struct blob *b, const void *p, size_t n)
{
    size_t at = b->len;
    if (b->failed)
        return 0;
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n)
            cap *= 2;
        char *q = realloc(b->data, cap);
        if (!q) {
            b->failed = 1;
            return 0;
        }
        b->data = q;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return at;
}

/* What rank 0 knows of the manifest. */
struct manifest_info {
    struct plan_head head;
    struct blob tasks;   /* struct task array */
    struct blob strings; /* NUL-terminated paths */
    size_t nsplits;
    uint64_t records;    /* the manifest's total */
    uint64_t bytes;
    char **listed;       /* top-level file names listed (sorted), borrowed */
    size_t nlisted;
};

static void mproblem(struct problems *g, const char *fmt, ...)
    PRINTF_LIKE(2, 3);

/* A problem of the manifest: "manifest.json: text". */
static void mproblem(struct problems *g, const char *fmt, ...)
{
    char text[TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    add_problem(g, PHASE_MANIFEST, 0, "%s: %s", MANIFEST_NAME, text);
}

/* An integer member >= 0, or -1 (absent, wrong type or negative). */
static int64_t get_count(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_int))
        return -1;
    int64_t x = json_object_get_int64(v);
    return x < 0 ? -1 : x;
}

/* A "crc32c" member: 8 lowercase hex digits. Returns 0 or -1. */
static int get_crc(json_object *o, uint32_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, "crc32c", &v) ||
        !json_object_is_type(v, json_type_string))
        return -1;
    const char *s = json_object_get_string(v);
    if (strlen(s) != 8 || strspn(s, "0123456789abcdef") != 8)
        return -1;
    *out = (uint32_t)strtoul(s, NULL, 16);
    return 0;
}

/* A relative path inside OUT: not empty, not absolute, no ".." part. */
static const char *get_path(json_object *o)
{
    json_object *v;
    if (!json_object_object_get_ex(o, "path", &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    const char *s = json_object_get_string(v);
    if (!s[0] || s[0] == '/' || strlen(s) >= 1024 || strcmp(s, "..") == 0 ||
        strncmp(s, "../", 3) == 0 || strstr(s, "/../") ||
        (strlen(s) >= 3 && strcmp(s + strlen(s) - 3, "/..") == 0))
        return NULL;
    return s;
}

/* "record": the schema and compression. */
static void read_record_info(json_object *root, struct manifest_info *m,
                             struct problems *g)
{
    json_object *record = NULL, *v;
    m->head.schema = -1;
    m->head.compression = COMP_NONE;
    if (!json_object_object_get_ex(root, "record", &record) ||
        !json_object_is_type(record, json_type_object)) {
        mproblem(g, "%s", "no \"record\" object: the record schema is "
                          "unknown, records are not decoded");
        return;
    }
    const char *name = json_object_object_get_ex(record, "name", &v) &&
                               json_object_is_type(v, json_type_string)
                           ? json_object_get_string(v)
                           : NULL;
    for (size_t i = 0; name && i < NSCHEMAS; i++)
        if (strcmp(name, schemas[i].name) == 0)
            m->head.schema = (int32_t)i;
    if (m->head.schema < 0)
        mproblem(g, "record.name \"%s\" is not a record this verifier knows "
                 "(%s, %s); records are not decoded",
                 name ? name : "(none)", schemas[0].name, schemas[1].name);
    if (json_object_object_get_ex(record, "compression", &v)) {
        const char *c = json_object_is_type(v, json_type_string)
                            ? json_object_get_string(v)
                            : "";
        m->head.compression = COMP_UNKNOWN;
        for (int i = 0; i < 3; i++)
            if (strcmp(c, compression_names[i]) == 0)
                m->head.compression = i;
        if (m->head.compression == COMP_UNKNOWN)
            mproblem(g, "record.compression \"%s\" is not none, zlib or "
                     "gzip; only the shards' sizes and CRCs are checked", c);
    }
    if (json_object_object_get_ex(record, "labels_19", &v)) {
        int same = json_object_is_type(v, json_type_array) &&
                   json_object_array_length(v) == BP_LABELS19;
        for (size_t i = 0; same && i < BP_LABELS19; i++) {
            json_object *s = json_object_array_get_idx(v, i);
            same = json_object_is_type(s, json_type_string) &&
                   strcmp(json_object_get_string(s), bp_labels19_names[i]) == 0;
        }
        if (!same)
            mproblem(g, "%s", "record.labels_19 is not the list of the 19 "
                              "official class names in class order");
    }
    if (m->head.schema >= 0 &&
        json_object_object_get_ex(record, "features", &v) &&
        json_object_is_type(v, json_type_object)) {
        const struct schema *s = &schemas[m->head.schema];
        size_t n = 0;
        json_object_object_foreach(v, key, val) {
            (void)val;
            n++;
            if (find_field(s, (const uint8_t *)key, strlen(key)) < 0)
                mproblem(g, "record.features lists \"%s\", which %s records "
                         "do not have", key, s->name);
        }
        if (n < s->nfields)
            mproblem(g, "record.features lists %zu features, %s records "
                     "have %zu", n, s->name, s->nfields);
    }
}

/* What the manifest says of the run that wrote the shards: its options, its
 * split files and its failures, against which each split is checked. */
struct run_info {
    int64_t per_shard;     /* options.records_per_shard; -1: unknown */
    int index;             /* options.index: 0, 1; -1: unknown */
    const char *suffix;    /* after ".tfrecord" in shard names; NULL: any */
    json_object *inputs;   /* inputs.splits, or NULL */
    json_object *exclude;  /* inputs.exclude, or NULL */
    json_object *failures; /* failures, or NULL */
};

/* A string member, or NULL. */
static const char *get_string(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* An array member, or NULL. */
static json_object *get_array(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

/* "options", "inputs" and "failures" into ri. */
static void read_run_info(json_object *root, const struct manifest_info *m,
                          struct run_info *ri, struct problems *g)
{
    static const char *const suffixes[] = {"", ".zlib", ".gz"};
    json_object *options, *inputs, *v;
    memset(ri, 0, sizeof *ri);
    ri->per_shard = -1;
    ri->index = -1;
    ri->suffix = m->head.compression < COMP_UNKNOWN
                     ? suffixes[m->head.compression]
                     : NULL;
    if (!json_object_object_get_ex(root, "options", &options) ||
        !json_object_is_type(options, json_type_object)) {
        mproblem(g, "%s", "no \"options\" object: the shard numbering and "
                          "the index files cannot be checked against the "
                          "run's options");
    } else {
        ri->per_shard = get_count(options, "records_per_shard");
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
        !(ri->inputs = get_array(inputs, "splits")))
        mproblem(g, "%s", "no \"inputs.splits\" list: the splits' record "
                          "counts cannot be checked against their split "
                          "files");
    else
        ri->exclude = get_array(inputs, "exclude");
    ri->failures = get_array(root, "failures");
    if (!ri->failures)
        mproblem(g, "%s", "no \"failures\" list: the splits' record counts "
                          "cannot be checked against their split files");
}

/* The shard file name of number k of of in split sname, as the converter
 * names it: both numbers as wide as the count, at least 5 digits. */
static void shard_name(char *buf, size_t size, const char *sname, uint64_t k,
                       uint64_t of, const char *suffix)
{
    int width = snprintf(NULL, 0, "%llu", (unsigned long long)of);
    if (width < 5)
        width = 5;
    snprintf(buf, size, "%s-%0*llu-of-%0*llu.tfrecord%s", sname, width,
             (unsigned long long)k, width, (unsigned long long)of,
             suffix ? suffix : "");
}

/* Parse path as a shard name of split sname: "<sname>-<k>-of-<of>.tfrecord"
 * and the suffix (any when NULL). Returns 0, or -1 when it is not one. */
static int parse_shard_name(const char *path, const char *sname,
                            const char *suffix, uint64_t *k, uint64_t *of)
{
    size_t n = strlen(sname);
    if (strncmp(path, sname, n) != 0 || path[n] != '-')
        return -1;
    const char *p = path + n + 1;
    uint64_t *out[2] = {k, of};
    size_t digits[2];
    for (int i = 0; i < 2; i++) {
        uint64_t x = 0;
        size_t d = 0;
        for (; *p >= '0' && *p <= '9'; p++, d++) {
            if (d == 18)
                return -1;
            x = x * 10 + (uint64_t)(*p - '0');
        }
        *out[i] = x;
        digits[i] = d;
        if (i == 0 && strncmp(p, "-of-", 4) != 0)
            return -1;
        if (i == 0)
            p += 4;
    }
    char want[32];
    int width = snprintf(want, sizeof want, "%llu", (unsigned long long)*of);
    if (width < 5)
        width = 5;
    if (digits[0] != (size_t)width || digits[1] != (size_t)width ||
        strncmp(p, ".tfrecord", 9) != 0)
        return -1;
    return !suffix || strcmp(p + 9, suffix) == 0 ? 0 : -1;
}

/* Rows of shard k of a split of rows rows, per_shard rows a shard. */
static uint64_t chunk_rows(uint64_t k, uint64_t rows, uint64_t per_shard)
{
    uint64_t first = k * per_shard;
    if (first >= rows)
        return 0;
    return rows - first < per_shard ? rows - first : per_shard;
}

/* Report the shards from..to (numbers) of split sname missing from the
 * manifest. */
static void missing_shards(struct problems *c, const char *sname,
                           uint64_t from, uint64_t to, uint64_t of,
                           const struct run_info *ri, int64_t rows,
                           uint64_t nfail)
{
    char a[512], b[512], where[96] = "";
    shard_name(a, sizeof a, sname, from, of, ri->suffix);
    shard_name(b, sizeof b, sname, to, of, ri->suffix);
    if (ri->per_shard > 0 && rows >= 0) {
        uint64_t last = (to + 1) * (uint64_t)ri->per_shard;
        snprintf(where, sizeof where, " (rows %llu to %llu)",
                 (unsigned long long)(from * (uint64_t)ri->per_shard + 1),
                 (unsigned long long)(last < (uint64_t)rows ? last
                                                            : (uint64_t)rows));
    }
    if (from == to)
        add_problem(c, PHASE_COUNTS, 0, "split %s: shard %s%s is not in the "
                    "manifest, and the split's listed failures (%llu) do not "
                    "account for its rows", sname, a, where,
                    (unsigned long long)nfail);
    else
        add_problem(c, PHASE_COUNTS, 0, "split %s: shards %s to %s%s are not "
                    "in the manifest, and the split's listed failures (%llu) "
                    "do not account for their rows", sname, a, b, where,
                    (unsigned long long)nfail);
}

/* The shard names of split sname: numbered 0..of-1 in row order, of the
 * count its rows make, each shard starting at its row and holding no more
 * than its rows; a number missing only when all its rows failed (the
 * converter writes no shard then). rows < 0 when unknown. */
static void check_numbering(const char *sname, json_object *shards,
                            const struct run_info *ri, int64_t rows,
                            uint64_t nfail, struct problems *c)
{
    uint64_t per = ri->per_shard > 0 ? (uint64_t)ri->per_shard : 0;
    int known = per && rows >= 0;
    uint64_t want_of = known ? ((uint64_t)rows + per - 1) / per : 0;
    uint64_t of = 0, next = 0, missing = 0, shortfall = 0;
    uint64_t gap_from[8], gap_to[8];
    size_t ngaps = 0, nnamed = 0;
    int ordered = 1;
    size_t n = json_object_array_length(shards);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(shards, i);
        const char *path = json_object_is_type(e, json_type_object)
                               ? get_path(e)
                               : NULL;
        uint64_t k, o;
        if (!path)
            continue; /* reported with the entry */
        if (parse_shard_name(path, sname, ri->suffix, &k, &o) != 0) {
            char want[512];
            shard_name(want, sizeof want, sname, 0, want_of ? want_of : 1,
                       ri->suffix);
            add_problem(c, PHASE_COUNTS, 0, "split %s: shard %s is not named "
                        "like the split's shards (%s and on)", sname, path,
                        want);
            ordered = 0;
            continue;
        }
        if (nnamed++ == 0) {
            of = o;
            if (known && of != want_of)
                add_problem(c, PHASE_COUNTS, 0, "split %s: shard %s is one "
                            "of %llu, but %lld rows at %llu a shard make %llu "
                            "shards", sname, path, (unsigned long long)of,
                            (long long)rows, (unsigned long long)per,
                            (unsigned long long)want_of);
        } else if (o != of) {
            add_problem(c, PHASE_COUNTS, 0, "split %s: shard %s is one of "
                        "%llu, but the split's first shard is one of %llu",
                        sname, path, (unsigned long long)o,
                        (unsigned long long)of);
            ordered = 0;
            continue;
        }
        if (k >= o) {
            add_problem(c, PHASE_COUNTS, 0, "split %s: shard %s: number %llu "
                        "is not below %llu", sname, path,
                        (unsigned long long)k, (unsigned long long)o);
            ordered = 0;
            continue;
        }
        if (k < next) {
            add_problem(c, PHASE_COUNTS, 0, "split %s: shard %s is listed "
                        "after a shard of a higher number: not in row order",
                        sname, path);
            ordered = 0;
            continue;
        }
        if (k > next) {
            if (ngaps < 8) {
                gap_from[ngaps] = next;
                gap_to[ngaps] = k - 1;
            }
            ngaps++;
            for (uint64_t j = next; known && j < k; j++)
                missing += chunk_rows(j, (uint64_t)rows, per);
        }
        next = k + 1;
        if (!per)
            continue;
        int64_t first = get_count(e, "first_row");
        int64_t records = get_count(e, "records");
        if (first >= 0 && (uint64_t)first != k * per + 1)
            add_problem(c, PHASE_COUNTS, 0, "split %s: shard %s: first_row "
                        "%lld, but shard %llu starts at row %llu", sname,
                        path, (long long)first, (unsigned long long)k,
                        (unsigned long long)(k * per + 1));
        if (known && records >= 0) {
            uint64_t can = chunk_rows(k, (uint64_t)rows, per);
            if ((uint64_t)records > can)
                add_problem(c, PHASE_COUNTS, 0, "split %s: shard %s: %lld "
                            "records, but shard %llu has %llu rows", sname,
                            path, (long long)records, (unsigned long long)k,
                            (unsigned long long)can);
            else
                shortfall += can - (uint64_t)records;
        }
    }
    if (!ordered)
        return; /* the gaps cannot be told */
    if (nnamed == 0)
        of = want_of; /* every shard of a known count missing */
    if (next < of) {
        if (ngaps < 8) {
            gap_from[ngaps] = next;
            gap_to[ngaps] = of - 1;
        }
        ngaps++;
        for (uint64_t j = next; known && j < of; j++)
            missing += chunk_rows(j, (uint64_t)rows, per);
    }
    /* Every row of a missing shard failed, as did every row a listed shard
     * lacks: without the row counts, at least one failure must be listed. */
    int accounted = known ? missing + shortfall <= nfail : nfail > 0;
    if (accounted)
        return;
    for (size_t i = 0; i < ngaps && i < 8; i++)
        missing_shards(c, sname, gap_from[i], gap_to[i], of, ri, rows, nfail);
    if (ngaps > 8)
        add_problem(c, PHASE_COUNTS, 0, "split %s: %zu more runs of shard "
                    "numbers are not in the manifest", sname, ngaps - 8);
}

/* Split sname's records (r, held by its shards) against its split file:
 * the rows it gave after the exclusion lists (inputs.splits[].rows), less
 * the rows that failed (its entries in failures). Then its numbering. */
static void check_split_input(const char *sname, json_object *shards,
                              uint64_t r, const struct run_info *ri,
                              struct problems *c)
{
    int64_t rows = -1, excluded = -1;
    size_t found = 0;
    uint64_t nfail = 0, removed = 0;
    size_t n = ri->inputs ? json_object_array_length(ri->inputs) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *in = json_object_array_get_idx(ri->inputs, i);
        const char *name = get_string(in, "split");
        if (!name || strcmp(name, sname) != 0)
            continue;
        if (found++ == 0) {
            rows = get_count(in, "rows");
            excluded = get_count(in, "excluded");
        }
    }
    if (ri->inputs && found == 0)
        add_problem(c, PHASE_COUNTS, 0, "split %s: not in inputs.splits: no "
                    "split file of the run gave it", sname);
    else if (found > 1)
        add_problem(c, PHASE_COUNTS, 0, "split %s: in inputs.splits %zu "
                    "times", sname, found);
    else if (ri->inputs && rows < 0)
        add_problem(c, PHASE_COUNTS, 0, "split %s: inputs.splits gives no "
                    "\"rows\" count", sname);
    n = ri->failures ? json_object_array_length(ri->failures) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *name =
            get_string(json_object_array_get_idx(ri->failures, i), "split");
        nfail += name && strcmp(name, sname) == 0;
    }
    n = ri->exclude ? json_object_array_length(ri->exclude) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *list = json_object_array_get_idx(ri->exclude, i), *rm;
        if (json_object_is_type(list, json_type_object) &&
            json_object_object_get_ex(list, "removed", &rm) &&
            json_object_is_type(rm, json_type_object)) {
            int64_t x = get_count(rm, sname);
            removed += x > 0 ? (uint64_t)x : 0;
        }
    }
    if (excluded >= 0 && (uint64_t)excluded != removed)
        add_problem(c, PHASE_COUNTS, 0, "split %s: inputs.splits says %lld "
                    "rows were excluded, but the exclusion lists "
                    "(inputs.exclude) removed %llu", sname,
                    (long long)excluded, (unsigned long long)removed);
    if (rows >= 0 && ri->failures) {
        if (nfail > (uint64_t)rows)
            add_problem(c, PHASE_COUNTS, 0, "split %s: %llu failures listed, "
                        "but the split has only %lld rows", sname,
                        (unsigned long long)nfail, (long long)rows);
        else if (r != (uint64_t)rows - nfail)
            add_problem(c, PHASE_COUNTS, 0, "split %s: its shards hold %llu "
                        "records, but its split file gave %lld rows to "
                        "convert (%lld more excluded) and %llu of them "
                        "failed: %llu records expected", sname,
                        (unsigned long long)r, (long long)rows,
                        (long long)(excluded > 0 ? excluded : 0),
                        (unsigned long long)nfail,
                        (unsigned long long)((uint64_t)rows - nfail));
    }
    check_numbering(sname, shards, ri, found == 1 ? rows : -1, nfail, c);
}

/* The other way round: every split file and every failure belongs to a
 * split of the manifest; totals.failures counts the failures. */
static void check_inputs_listed(json_object *splits, json_object *totals,
                                const struct run_info *ri, struct problems *c)
{
    json_object *v;
    size_t n = ri->inputs ? json_object_array_length(ri->inputs) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *in = json_object_array_get_idx(ri->inputs, i);
        const char *name = get_string(in, "split");
        if (!name)
            add_problem(c, PHASE_COUNTS, 0, "inputs.splits[%zu]: no \"split\" "
                        "name", i);
        else if (!json_object_object_get_ex(splits, name, &v))
            add_problem(c, PHASE_COUNTS, 0, "split %s: its split file (%lld "
                        "rows) is in inputs.splits, but the split is not in "
                        "splits", name, (long long)get_count(in, "rows"));
    }
    n = ri->failures ? json_object_array_length(ri->failures) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *name =
            get_string(json_object_array_get_idx(ri->failures, i), "split");
        if (!name || !json_object_object_get_ex(splits, name, &v))
            add_problem(c, PHASE_COUNTS, 0, "failures[%zu]: %s", i,
                        name ? "names a split that is not in splits"
                             : "no \"split\" name");
    }
    int64_t total = totals ? get_count(totals, "failures") : -1;
    if (ri->failures && total >= 0 && (uint64_t)total != n)
        add_problem(c, PHASE_COUNTS, 0, "totals: %lld failures, but failures "
                    "lists %zu", (long long)total, n);
}

/* One shard entry of split sname, number k; want_index is options.index.
 * Returns 0 when it is usable. */
static int read_shard_entry(json_object *e, const char *sname, size_t k,
                            int want_index, struct manifest_info *m,
                            struct problems *g)
{
    struct task t;
    memset(&t, 0, sizeof t);
    const char *path = get_path(e);
    int64_t records = get_count(e, "records");
    int64_t bytes = get_count(e, "bytes");
    const char *bad = !json_object_is_type(e, json_type_object)
                          ? "not an object"
                      : !path      ? "no \"path\" inside the output folder"
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
    json_object *index;
    int has = json_object_object_get_ex(e, "index", &index);
    if (want_index == 1 && !has)
        mproblem(g, "splits.%s.shards[%zu] (%s): no \"index\" entry, but "
                 "options.index says the run wrote an index file beside every "
                 "shard", sname, k, path);
    else if (want_index == 0 && has)
        mproblem(g, "splits.%s.shards[%zu] (%s) lists an index file, but "
                 "options.index says the run wrote none", sname, k, path);
    if (has) {
        const char *ipath = get_path(index);
        int64_t ibytes = get_count(index, "bytes");
        bad = !json_object_is_type(index, json_type_object) ? "not an object"
              : !ipath     ? "no \"path\" inside the output folder"
              : ibytes < 0 ? "no \"bytes\" count"
              : get_crc(index, &t.idx_crc32c) != 0
                  ? "no \"crc32c\" of 8 lowercase hex digits"
                  : NULL;
        if (bad) {
            mproblem(g, "splits.%s.shards[%zu].index: %s; the index is not "
                     "checked", sname, k, bad);
        } else {
            t.has_index = 1;
            t.idx_bytes = (uint64_t)ibytes;
            t.idx_path =
                (uint32_t)blob_add(&m->strings, ipath, strlen(ipath) + 1);
            if (m->head.compression != COMP_NONE)
                mproblem(g, "splits.%s.shards[%zu] is compressed and has an "
                         "index file: DALI cannot read compressed records",
                         sname, k);
        }
    }
    t.path = (uint32_t)blob_add(&m->strings, path, strlen(path) + 1);
    blob_add(&m->tasks, &t, sizeof t);
    m->head.ntasks++;
    return 0;
}

/* Read OUT/manifest.json into m. Problems go to g. Returns 0, or -1 when it
 * cannot be used at all (reported). */
static int read_manifest(const char *out, struct manifest_info *m,
                         struct problems *g)
{
    int rc = -1;
    json_object *root = NULL;
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", out, MANIFEST_NAME);
    if (stat(out, &st) != 0) {
        add_problem(g, PHASE_MANIFEST, 0, "%s: %s", out, strerror(errno));
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        add_problem(g, PHASE_MANIFEST, 0, "%s: not a folder", out);
        goto out;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        add_problem(g, PHASE_MANIFEST, 0, "%s: cannot read it: %s (is %s the "
                    "output folder of a finished ben-prep run?)", path,
                    strerror(errno), out);
        goto out;
    }
    root = json_object_from_fd(fd);
    close(fd);
    if (!root || !json_object_is_type(root, json_type_object)) {
        const char *why =
            root ? "another JSON value" : json_util_get_last_err();
        add_problem(g, PHASE_MANIFEST, 0, "%s: not a JSON object: %s", path,
                    why ? why : "unreadable");
        goto out;
    }
    read_record_info(root, m, g);
    struct run_info ri;
    read_run_info(root, m, &ri, g);

    json_object *splits;
    if (!json_object_object_get_ex(root, "splits", &splits) ||
        !json_object_is_type(splits, json_type_object)) {
        mproblem(g, "%s", "no \"splits\" object: nothing to check");
        goto out;
    }
    /* Counts are compared after every shard entry is in: phase 2. */
    struct problems counts;
    memset(&counts, 0, sizeof counts);
    uint64_t sum_records = 0, sum_bytes = 0, sum_shards = 0;
    json_object_object_foreach(splits, sname, split) {
        json_object *shards;
        int64_t records = get_count(split, "records");
        int64_t bytes = get_count(split, "bytes");
        if (!json_object_object_get_ex(split, "shards", &shards) ||
            !json_object_is_type(shards, json_type_array)) {
            mproblem(g, "splits.%s: no \"shards\" list", sname);
            continue;
        }
        uint64_t r = 0, b = 0;
        size_t n = json_object_array_length(shards);
        for (size_t k = 0; k < n; k++) {
            json_object *e = json_object_array_get_idx(shards, k);
            if (read_shard_entry(e, sname, k, ri.index, m, g) == 0) {
                r += (uint64_t)get_count(e, "records");
                b += (uint64_t)get_count(e, "bytes");
            }
        }
        m->nsplits++;
        sum_records += r;
        sum_bytes += b;
        sum_shards += n;
        if (records < 0)
            mproblem(g, "splits.%s: no \"records\" count", sname);
        else if ((uint64_t)records != r)
            add_problem(&counts, PHASE_COUNTS, 0, "split %s: %lld records, "
                        "but its shards hold %llu", sname, (long long)records,
                        (unsigned long long)r);
        if (bytes >= 0 && (uint64_t)bytes != b)
            add_problem(&counts, PHASE_COUNTS, 0, "split %s: %lld bytes, but "
                        "its shards have %llu", sname, (long long)bytes,
                        (unsigned long long)b);
        check_split_input(sname, shards, r, &ri, &counts);
    }
    json_object *totals;
    if (!json_object_object_get_ex(root, "totals", &totals) ||
        !json_object_is_type(totals, json_type_object))
        totals = NULL;
    check_inputs_listed(splits, totals, &ri, &counts);
    if (!totals) {
        mproblem(g, "%s", "no \"totals\" object");
    } else {
        int64_t records = get_count(totals, "records");
        int64_t shards = get_count(totals, "shards");
        int64_t bytes = get_count(totals, "bytes");
        if (records < 0 || (uint64_t)records != sum_records)
            add_problem(&counts, PHASE_COUNTS, 0, "totals: %lld records, but "
                        "the splits' shards hold %llu", (long long)records,
                        (unsigned long long)sum_records);
        if (shards < 0 || (uint64_t)shards != sum_shards)
            add_problem(&counts, PHASE_COUNTS, 0, "totals: %lld shards, but "
                        "the splits list %llu", (long long)shards,
                        (unsigned long long)sum_shards);
        if (bytes >= 0 && (uint64_t)bytes != sum_bytes)
            add_problem(&counts, PHASE_COUNTS, 0, "totals: %lld bytes, but the "
                        "splits' shards have %llu", (long long)bytes,
                        (unsigned long long)sum_bytes);
    }
    m->records = sum_records;
    m->bytes = sum_bytes;
    for (uint32_t i = 0; i < counts.nkept; i++) {
        counts.kept[i].seq = g->seq++;
        if (g->nkept < MAX_SHOWN)
            g->kept[g->nkept++] = counts.kept[i];
    }
    g->total += counts.total;
    rc = m->tasks.failed || m->strings.failed ? -1 : 0;
    if (rc != 0)
        add_problem(g, PHASE_RANK, 0, "%s", "rank 0: out of memory reading "
                    "the manifest");
out:
    json_object_put(root);
    return rc;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rank 0: the same file listed twice, and the files in OUT the manifest
 * does not list (shards, index files, our temporary files). */
static void check_listing(const char *out, struct manifest_info *m,
                          struct problems *g)
{
    const struct task *tasks = (const struct task *)(void *)m->tasks.data;
    size_t n = 0;
    char **listed = malloc((2 * m->head.ntasks + 1) * sizeof *listed);
    char **stray = NULL;
    size_t nstray = 0, cap = 0;
    DIR *d = NULL;
    if (!listed) {
        add_problem(g, PHASE_RANK, 0, "%s", "rank 0: out of memory");
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
            add_problem(g, PHASE_COUNTS, 0, "%s: listed more than once in the "
                        "manifest", listed[i]);
    d = opendir(out);
    if (!d) {
        add_problem(g, PHASE_STRAY, 0, "%s: cannot list the folder: %s", out,
                    strerror(errno));
        goto out;
    }
    struct dirent *ent;
    while ((ent = readdir(d))) {
        const char *name = ent->d_name;
        size_t len = strlen(name);
        int ours = strstr(name, ".tfrecord") != NULL ||
                   (name[0] == '.' && len > 4 &&
                    strcmp(name + len - 4, ".tmp") == 0);
        if (strcmp(name, JOURNAL_NAME) == 0)
            BP_WARN("%s/%s: a conversion into this folder is running or was "
                    "interrupted", out, JOURNAL_NAME);
        if (!ours || bsearch(&name, listed, n, sizeof *listed, compare_names))
            continue;
        if (nstray == cap) {
            cap = cap ? 2 * cap : 16;
            char **p = realloc(stray, cap * sizeof *p);
            if (!p)
                break;
            stray = p;
        }
        stray[nstray] = strdup(name);
        if (stray[nstray])
            nstray++;
    }
    if (nstray)
        qsort(stray, nstray, sizeof *stray, compare_names);
    for (size_t i = 0; i < nstray; i++)
        add_problem(g, PHASE_STRAY, 0, "%s: %s, not listed in the manifest",
                    stray[i],
                    stray[i][0] == '.' ? "a temporary file"
                    : strlen(stray[i]) > 4 &&
                            strcmp(stray[i] + strlen(stray[i]) - 4, ".idx") == 0
                        ? "an index file"
                        : "a shard file");
out:
    if (d)
        closedir(d);
    for (size_t i = 0; i < nstray; i++)
        free(stray[i]);
    free(stray);
    free(listed);
}

/* ---- Collective steps -------------------------------------------------- */

static int bcast(void *buf, size_t len, MPI_Comm comm)
{
    MPI_Request req;
    if (len > (size_t)INT32_MAX)
        return -1;
    int rc = MPI_Ibcast(buf, (int)len, MPI_BYTE, 0, comm, &req);
    if (rc == MPI_SUCCESS)
        rc = bp_mpi_wait(&req, MPI_STATUS_IGNORE);
    return rc == MPI_SUCCESS ? 0 : -1;
}

/* Rank 0 sends the shard list to everyone; on the other ranks *tasks and
 * *strings are allocated here (freed by the caller). */
static int share_plan(struct plan_head *head, struct blob *tasks,
                      struct blob *strings, int rank, MPI_Comm comm)
{
    if (bcast(head, sizeof *head, comm) != 0)
        return -1;
    if (!head->ok)
        return 0;
    size_t tlen = (size_t)head->ntasks * sizeof(struct task);
    if (rank != 0) {
        tasks->data = malloc(tlen ? tlen : 1);
        strings->data = malloc(head->blob_len ? head->blob_len : 1);
        /* Without room the rank cannot take part; MPI is all that is left. */
        if (!tasks->data || !strings->data) {
            BP_ERROR("out of memory for a list of %u shards", head->ntasks);
            return -1;
        }
        tasks->len = tlen;
        strings->len = head->blob_len;
    }
    if (tlen && bcast(tasks->data, tlen, comm) != 0)
        return -1;
    if (head->blob_len && bcast(strings->data, head->blob_len, comm) != 0)
        return -1;
    return 0;
}

/* Rank 0 receives every rank's problems and merges them into *all (sorted,
 * allocated here). Returns 0, or -1 when MPI failed. */
static int gather_problems(const struct problems *mine, int rank, int nranks,
                           MPI_Comm comm, struct problem **all, size_t *nall,
                           uint64_t *total)
{
    int rc = -1;
    size_t item = sizeof(struct problem);
    int mylen = (int)(sizeof(uint64_t) + mine->nkept * item);
    int *lens = NULL, *displs = NULL;
    char *send = malloc((size_t)mylen), *recv = NULL;
    MPI_Request req;
    if (rank == 0) {
        lens = calloc((size_t)nranks, sizeof *lens);
        displs = calloc((size_t)nranks, sizeof *displs);
    }
    if (!send || (rank == 0 && (!lens || !displs))) {
        BP_ERROR("out of memory gathering the problems");
        goto out;
    }
    memcpy(send, &mine->total, sizeof(uint64_t));
    memcpy(send + sizeof(uint64_t), mine->kept, mine->nkept * item);
    if (MPI_Igather(&mylen, 1, MPI_INT, lens, 1, MPI_INT, 0, comm, &req) !=
            MPI_SUCCESS ||
        bp_mpi_wait(&req, MPI_STATUS_IGNORE) != MPI_SUCCESS)
        goto out;
    size_t sum = 0;
    if (rank == 0) {
        for (int r = 0; r < nranks; r++) {
            displs[r] = (int)sum;
            sum += (size_t)lens[r];
        }
        recv = malloc(sum ? sum : 1);
        if (!recv) {
            BP_ERROR("out of memory gathering the problems");
            goto out;
        }
    }
    if (MPI_Igatherv(send, mylen, MPI_BYTE, recv, lens, displs, MPI_BYTE, 0,
                     comm, &req) != MPI_SUCCESS ||
        bp_mpi_wait(&req, MPI_STATUS_IGNORE) != MPI_SUCCESS)
        goto out;
    if (rank == 0) {
        size_t count = (sum - (size_t)nranks * sizeof(uint64_t)) / item;
        *all = malloc((count ? count : 1) * item);
        if (!*all) {
            BP_ERROR("out of memory gathering the problems");
            goto out;
        }
        *nall = 0;
        *total = 0;
        for (int r = 0; r < nranks; r++) {
            const char *p = recv + displs[r];
            uint64_t t;
            memcpy(&t, p, sizeof t);
            *total += t;
            size_t k = ((size_t)lens[r] - sizeof t) / item;
            memcpy(*all + *nall, p + sizeof t, k * item);
            *nall += k;
        }
        qsort(*all, *nall, item, problem_order);
    }
    rc = 0;
out:
    free(send);
    free(recv);
    free(lens);
    free(displs);
    return rc;
}

/* The rank that checks each shard: the least loaded so far (by bytes, one
 * byte more per shard so empty ones spread too), lowest rank on ties. */
static void assign_shards(const struct task *tasks, uint32_t ntasks,
                          int nranks, int *owner, uint64_t *load)
{
    for (int r = 0; r < nranks; r++)
        load[r] = 0;
    for (uint32_t i = 0; i < ntasks; i++) {
        int best = 0;
        for (int r = 1; r < nranks; r++)
            if (load[r] < load[best])
                best = r;
        owner[i] = best;
        load[best] += tasks[i].bytes + 1;
    }
}

/* Rank 0: print the problems and the summary; returns the exit status. */
static int report(const struct vopts *opt, const struct manifest_info *m,
                  const struct problem *all, size_t nall, uint64_t total,
                  int nranks, double seconds)
{
    for (size_t i = 0; i < nall && i < MAX_SHOWN; i++)
        BP_ERROR("%s", all[i].text);
    if (total > MAX_SHOWN)
        BP_ERROR("... and %llu more problems not shown",
                 (unsigned long long)(total - MAX_SHOWN));
    if (m->head.ok)
        BP_INFO("checked %.1f MB in %.2f s on %d rank%s (%.1f MB/s)%s",
                (double)m->bytes / 1e6, seconds, nranks,
                nranks == 1 ? "" : "s",
                seconds > 0 ? (double)m->bytes / 1e6 / seconds : 0.0,
                opt->deep ? ", sources compared" : "");
    if (total) {
        printf("verify: FAILED: %llu problem%s\n", (unsigned long long)total,
               total == 1 ? "" : "s");
        return 1;
    }
    if (opt->verbosity >= 0)
        printf("verify: OK: %llu record%s in %u shard%s of %zu split%s%s\n",
               (unsigned long long)m->records, m->records == 1 ? "" : "s",
               m->head.ntasks, m->head.ntasks == 1 ? "" : "s", m->nsplits,
               m->nsplits == 1 ? "" : "s",
               opt->deep ? ", every pixel and label equal to the sources"
                            : "");
    return 0;
}

int bp_verify_main(int argc, char **argv, MPI_Comm comm)
{
    int rank = 0, nranks = 1;
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);

    struct vopts opt;
    enum parse_result pr = parse_options(argc, argv, &opt,
                                         rank == 0 ? stdout : NULL,
                                         rank == 0 ? stderr : NULL);
    if (pr != PARSE_RUN) {
        fflush(stdout);
        return pr == PARSE_HELP ? 0 : 2;
    }
    int level = BP_LOG_INFO + opt.verbosity;
    bp_log_setup(rank, level < BP_LOG_ERROR ? BP_LOG_ERROR : level);

    int exit_code = 1, mpi_failed = 0;
    struct manifest_info m;
    struct verifier v;
    struct problems *global = NULL; /* rank 0: manifest and listing */
    struct problem *all = NULL;
    size_t nall = 0;
    uint64_t total = 0;
    int *owner = NULL;
    uint64_t *load = NULL;
    memset(&m, 0, sizeof m);
    memset(&v, 0, sizeof v);
    v.idx.fd = -1;
    double t0 = now();

    if (rank == 0) {
        global = calloc(1, sizeof *global);
        if (!global) {
            BP_ERROR("out of memory");
        } else if (read_manifest(opt.out, &m, global) == 0) {
            m.head.ok = 1;
            m.head.blob_len = m.strings.len;
            BP_INFO("checking %u shard%s (%.1f MB) of %zu split%s in %s on "
                    "%d rank%s%s",
                    m.head.ntasks, m.head.ntasks == 1 ? "" : "s",
                    (double)m.bytes / 1e6, m.nsplits,
                    m.nsplits == 1 ? "" : "s", opt.out, nranks,
                    nranks == 1 ? "" : "s",
                    opt.deep ? ", with the sources" : "");
        }
    }
    if (share_plan(&m.head, &m.tasks, &m.strings, rank, comm) != 0) {
        mpi_failed = 1;
        goto out;
    }
    /* --deep S2_ROOT alone is for S2-only output; every rank knows the
     * schema now and stops the same way. */
    if (m.head.ok && opt.deep && !opt.s1_root && m.head.schema >= 0 &&
        !schemas[m.head.schema].s2_only) {
        if (rank == 0)
            usage(stderr, "--deep %s: %s holds %s records, which need the S1 "
                  "patches too: give --deep S1_ROOT S2_ROOT", opt.s2_root,
                  opt.out, schemas[m.head.schema].name);
        exit_code = 2;
        goto out;
    }

    if (m.head.ok) {
        owner = malloc(((size_t)m.head.ntasks + 1) * sizeof *owner);
        load = malloc((size_t)nranks * sizeof *load);
        int ready = owner && load && verifier_init(&v, &opt, &m.head) == 0;
        if (!ready) {
            add_problem(&v.probs, PHASE_RANK, (uint32_t)rank,
                        "rank %d: out of memory for its buffers; its shards "
                        "were not checked", rank);
        } else {
            const struct task *tasks =
                (const struct task *)(void *)m.tasks.data;
            assign_shards(tasks, m.head.ntasks, nranks, owner, load);
            uint32_t mine = 0;
            for (uint32_t i = 0; i < m.head.ntasks; i++) {
                if (owner[i] != rank)
                    continue;
                verify_shard(&v, i, &tasks[i], m.strings.data);
                mine++;
            }
            BP_DEBUG("checked %u shard%s", mine, mine == 1 ? "" : "s");
        }
    }

    if (gather_problems(&v.probs, rank, nranks, comm, &all, &nall,
                        &total) != 0) {
        mpi_failed = 1;
        goto out;
    }
    if (rank == 0) {
        if (global && m.head.ok)
            check_listing(opt.out, &m, global);
        if (!global) {
            total++;
        } else {
            /* Merge rank 0's own list (manifest, counts, stray files). */
            struct problem *p = realloc(all, (nall + global->nkept + 1) *
                                                 sizeof *p);
            if (p) {
                all = p;
                memcpy(all + nall, global->kept, global->nkept * sizeof *p);
                nall += global->nkept;
                qsort(all, nall, sizeof *all, problem_order);
            }
            total += global->total;
        }
        exit_code = report(&opt, &m, all, nall, total, nranks, now() - t0);
        fflush(stdout);
    }
    if (bcast(&exit_code, sizeof exit_code, comm) != 0)
        mpi_failed = 1;
out:
    verifier_free(&v);
    free(m.tasks.data);
    free(m.strings.data);
    free(global);
    free(all);
    free(owner);
    free(load);
    if (mpi_failed) {
        BP_ERROR("verify: MPI communication failed");
        return -1;
    }
    return exit_code;
}
