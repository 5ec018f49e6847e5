/*
 * verify_int.h - internal to the verifier (src/verify/): the types its
 * files share and what each file offers the others.
 *
 * One job per file:
 *   options.c    the command line and --help
 *   problems.c   the problem list: what was found and where, in print order
 *   classes.c    the 19 class names and the 43 -> 19 table, its own
 *   decode.c     the protobuf decoder, written from the wire format alone
 *   record.c     the record schemas; one decoded record against its schema
 *                and against its row of the split file
 *   stats.c      each split's statistics, summed from its records, against
 *                the manifest's
 *   deep.c       --deep: one record against its source patch (GDAL, json-c)
 *   index.c      an index file, line by line, against the records walked
 *   shard.c      one shard: read, inflated, its framing walked
 *   manifest.c   rank 0: the manifest read into the shard list; stray files
 *   numbering.c  rank 0: each split's counts and shard numbering against
 *                its inputs
 *   rows.c       rank 0: the rows each shard must hold, from the split files
 *   verify.c     the collective driver
 *
 * Nothing here uses the converter's encoder, band decoder, label parser or
 * split-file reader, nor their headers: the record is decoded from the wire
 * format alone, sources by plain GDAL calls, label JSON by json-c with this
 * module's own class table, split files by this module's own reader. So a
 * converter bug cannot hide behind a verifier that shares it. From the
 * common module come the CRC-32C, the growable buffer, clocks, file and
 * patch name grammar (names.h), MPI waits, GDAL settings and the log.
 */
#ifndef BENPREP_VERIFY_INT_H
#define BENPREP_VERIFY_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "benprep/log.h"
#include "benprep/verify.h"
#include "common/buf.h"

/* Bytes read from a shard at a time, and inflated from it at a time. */
#define VF_READ_BYTES (4u << 20)
#define VF_INFLATE_BYTES (1u << 20)
/* The largest record accepted: the converter's bound for an MM record
 * (every pixel at its widest varint, the longest names and all labels). */
#define VF_RECORD_MAX_BYTES (512u * 1024u)
/* Index files are read through a buffer of this size. */
#define VF_INDEX_BUFFER_BYTES (64u * 1024u)
/* Source JSON files are read whole into a buffer of this size. */
#define VF_JSON_MAX_BYTES (1u << 20)

/* Problem lines printed before only counting; problems listed per record. */
#define VF_MAX_SHOWN 50
#define VF_MAX_RECORD_PROBLEMS 8
#define VF_TEXT_MAX 512

/* Feature fields of one schema at most, S2 bands, S1 polarisations. */
#define VF_MAX_FIELDS 18
#define VF_BANDS 12
#define VF_SAR 2
#define VF_SAR_PIXELS (120 * 120)
/* Statistics bands: the S2 bands in key order, then VV, VH. */
#define VF_STAT_BANDS (VF_BANDS + VF_SAR)

#define VF_CLASSES 19
#define VF_CLASSES43 43

/* ---- options.c --------------------------------------------------------- */

/* A usage error on err (when not NULL): "ben-prep verify: <text>" and where
 * to read more. */
void vf_usage(FILE *err, const char *fmt, ...) BP_PRINTF(2, 3);

/* ---- classes.c --------------------------------------------------------- */

/* The 19 class names in class order (FORMAT.md section 3). */
extern const char *const vf_class_names[VF_CLASSES];

/* The class of a 19-class name of len bytes, or -1. */
int vf_class_of(const uint8_t *name, size_t len);

/* The 19-class number of 43-class name s (len bytes): 0..18, -1 when the
 * class is dropped, -2 when s is no 43-class name. */
int vf_class_of43(const char *s, size_t len);

/* ---- problems.c -------------------------------------------------------- */

/* Where a problem belongs; problems print in this order, then by shard
 * (manifest order), then in the order they were found. */
enum vf_phase {
    VF_PHASE_MANIFEST = 0, /* the manifest itself, the inputs it names */
    VF_PHASE_SHARDS = 1,   /* a shard, its records, its index file */
    VF_PHASE_COUNTS = 2,   /* split and total counts, statistics */
    VF_PHASE_STRAY = 3,    /* files in OUT the manifest does not list */
    VF_PHASE_RANK = 4      /* a rank could not do its part */
};

struct vf_problem {
    uint32_t phase;
    uint32_t shard;
    uint32_t seq;
    uint32_t pad;
    char text[VF_TEXT_MAX];
};

/* The first VF_MAX_SHOWN problems a rank found, and how many it found.
 * Each rank finds its problems in print order, so the first VF_MAX_SHOWN
 * problems over all ranks are among the ones kept. A zeroed struct is an
 * empty list; it owns no memory. */
struct vf_problems {
    struct vf_problem kept[VF_MAX_SHOWN];
    uint32_t nkept;
    uint32_t seq;
    uint64_t total;
};

void vf_problem_add(struct vf_problems *ps, uint32_t phase, uint32_t shard,
                    const char *fmt, ...) BP_PRINTF(4, 5);
void vf_problem_vadd(struct vf_problems *ps, uint32_t phase, uint32_t shard,
                     const char *fmt, va_list ap) BP_PRINTF(4, 0);

/* Move the problems of from behind those of into, in from's order. */
void vf_problems_append(struct vf_problems *into,
                        const struct vf_problems *from);

/* qsort order of struct vf_problem: phase, shard, sequence. */
int vf_problem_order(const void *a, const void *b);

/* Copy len bytes of s into dst as printable text: other bytes, '"' and '\'
 * as \xNN, cut with "..." when long. Always NUL-terminates. */
void vf_printable(char *dst, size_t size, const uint8_t *s, size_t len);

/* ---- record.c: the schemas --------------------------------------------- */

/* A Feature's list, by its field number in the Feature oneof. */
enum vf_list { VF_LIST_BYTES = 1, VF_LIST_FLOAT = 2, VF_LIST_INT64 = 3 };

enum vf_kind {
    VF_KIND_BAND,      /* S2 band: uint16 pixels as int64 */
    VF_KIND_SAR,       /* S1 polarisation: float32 */
    VF_KIND_LABELS,    /* 19-class names, ascending class order */
    VF_KIND_MULTI_HOT, /* 19 values of 0 or 1 */
    VF_KIND_NAME       /* a patch (folder) name */
};

struct vf_field {
    const char *key;
    enum vf_list type;
    enum vf_kind kind;
    uint32_t count; /* values; 0 for the label names (0..19) */
    int slot;       /* band (statistics order) / polarisation / name */
};

enum { VF_NAME_S1 = 0, VF_NAME_S2 = 1 };
/* SAR slots: VV, then VH, as in the statistics. */
enum { VF_SAR_VV = 0, VF_SAR_VH = 1 };

struct vf_schema {
    const char *name;
    const struct vf_field *fields; /* sorted bytewise by key */
    size_t nfields;
    int s2_only; /* one patch_name instead of the S1 and S2 names */
};

#define VF_NSCHEMAS 2
extern const struct vf_schema vf_schemas[VF_NSCHEMAS];

/* The field index of a key of len bytes, or -1. */
int vf_find_field(const struct vf_schema *s, const uint8_t *key, size_t len);

/* The classes a multi-hot sets, as "2,8,17" (at most 19 x 3 bytes). */
void vf_format_classes(char *buf, size_t size, const uint8_t *multi_hot);

/* The side in pixels of a band field of count pixels. */
uint32_t vf_band_side(uint32_t count);

enum vf_compression {
    VF_COMP_NONE = 0,
    VF_COMP_ZLIB = 1,
    VF_COMP_GZIP = 2,
    VF_COMP_UNKNOWN = 3 /* not checked beyond size and CRC */
};

extern const char *const vf_compression_names[3];

/* ---- The shard list rank 0 sends to every rank ------------------------- */

struct vf_task {
    uint64_t records;
    uint64_t bytes;
    uint64_t idx_bytes;
    uint32_t crc32c;
    uint32_t idx_crc32c;
    uint32_t has_index;
    uint32_t path;     /* offset of the shard path in the strings */
    uint32_t idx_path; /* offset of the index path, when has_index */
    uint32_t split;    /* the split's number, in manifest order */
};

struct vf_plan_head {
    int32_t ok;          /* 0: the manifest cannot be used at all */
    int32_t schema;      /* index into vf_schemas, or -1: unknown */
    int32_t compression; /* enum vf_compression */
    uint32_t ntasks;
    uint32_t nsplits;
    uint32_t pad;
    uint64_t strings_len;
};

/* The rows a shard must hold, as rank 0 packs them (rows.c) for the rank
 * that checks the shard: a uint32 count (VF_ROWS_UNKNOWN: not checked, and
 * nothing follows), the split file's path and NUL, then per row a uint32
 * line number, the S2 name and NUL, the S1 name ("" for S2-only) and NUL.
 * Numbers in host order: every rank runs the same program. */
#define VF_ROWS_UNKNOWN UINT32_MAX

/* A reader over one shard's rows. */
struct vf_rows {
    const uint8_t *p, *end;
    uint32_t left;    /* rows not taken yet */
    uint32_t count;   /* rows of the shard */
    int known;        /* 0: the names are not checked */
    const char *file; /* the split file */
};

struct vf_row {
    const char *s2, *s1;
    uint32_t line;
};

/* Start reading the block at p (end: the end of all blocks); returns the
 * byte after it, or NULL when it is malformed. */
const uint8_t *vf_rows_open(struct vf_rows *r, const uint8_t *p,
                            const uint8_t *end);

/* The next row; returns 0, or -1 when none is left (or unknown). */
int vf_rows_next(struct vf_rows *r, struct vf_row *row);

/* ---- Statistics (stats.c) ---------------------------------------------- */

struct vf_band_acc {
    uint64_t n;         /* values counted: finite ones */
    uint64_t nonfinite; /* VV, VH: NaN and infinite values, left out */
    unsigned __int128 isum, isumsq; /* S2 bands: exact */
    long double fsum, fsumsq;       /* VV, VH */
    double min, max;
};

/* One split's figures as summed from its records on one rank. */
struct vf_split_acc {
    uint64_t records;
    uint64_t broken; /* a problem in one of its shards: not comparable */
    struct vf_band_acc band[VF_STAT_BANDS];
    uint64_t labels[VF_CLASSES];
};

void vf_acc_init(struct vf_split_acc *a, size_t n);
void vf_acc_merge(struct vf_split_acc *into, const struct vf_split_acc *from);

/* ---- One rank's verifier ----------------------------------------------- */

/* A record's decoded values. Pointers into the record buffer stay valid
 * until the next record is read. */
struct vf_decoded {
    uint8_t seen[VF_MAX_FIELDS]; /* 1 present, 2 right type and count */
    uint32_t count[VF_MAX_FIELDS];
    uint16_t *band[VF_BANDS]; /* up to the band's pixel count */
    uint32_t *sar[VF_SAR];    /* float bits */
    uint8_t multi_hot[VF_CLASSES];
    const uint8_t *label[VF_CLASSES];
    size_t label_len[VF_CLASSES];
    const uint8_t *name[2];
    size_t name_len[2];
    int bad_value[VF_MAX_FIELDS]; /* a value out of range was reported */
    int noncanonical;             /* a non-canonical encoding was reported */
};

struct vf_index {
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

enum vf_walk { VF_WALK_HEADER, VF_WALK_DATA, VF_WALK_FOOTER, VF_WALK_BROKEN };

struct vf_inflate; /* shard.c */
struct vf_deep;    /* deep.c */

struct vf_verifier {
    const struct bp_verify_options *opt;
    const struct vf_schema *schema; /* NULL: records are not decoded */
    int compression;
    struct vf_problems probs;
    int interrupted; /* a stop signal ended the checking */

    uint8_t *in;  /* VF_READ_BYTES */
    uint8_t *rec; /* VF_RECORD_MAX_BYTES */
    struct vf_inflate *z;   /* compressed shards */
    struct vf_deep *deep;   /* --deep */
    struct vf_split_acc *acc; /* per split, nsplits */
    size_t nsplits;

    /* The shard being checked. */
    uint32_t shard;
    const struct vf_task *task;
    const char *path;
    char full[4096];
    uint64_t stored;   /* bytes of the file read */
    int stream_done;   /* compressed: the stream ended */
    int stream_broken; /* compressed: inflate failed */
    uint64_t trailing; /* compressed: bytes after the stream */
    struct vf_rows rows; /* the rows it must hold */

    /* The framing walk over the (decompressed) stream. */
    enum vf_walk state;
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
    struct vf_decoded dec;
    uint32_t rec_problems;
    struct vf_row want; /* its row of the split file... */
    int have_want;      /* ...when known */

    struct vf_index idx;
};

/* problems.c: a problem of the shard as a whole, "path: text"; of the
 * current record, "path: record N at byte X: text" (the first
 * VF_MAX_RECORD_PROBLEMS of a record, then one line saying there are
 * more). */
void vf_shard_problem(struct vf_verifier *v, const char *fmt, ...)
    BP_PRINTF(2, 3);
void vf_record_problem(struct vf_verifier *v, const char *fmt, ...)
    BP_PRINTF(2, 3);

/* shard.c: allocate every buffer the rank needs (0, or -1 when out of
 * memory; vf_verifier_free releases what was allocated either way). */
int vf_verifier_init(struct vf_verifier *v,
                     const struct bp_verify_options *opt,
                     const struct vf_plan_head *head);
void vf_verifier_free(struct vf_verifier *v);

/* shard.c: check one shard: task t, number index in manifest order, its
 * rows block at *rows (moved past it). */
void vf_verify_shard(struct vf_verifier *v, uint32_t index,
                     const struct vf_task *t, const char *strings,
                     const uint8_t **rows, const uint8_t *rows_end);

/* decode.c: decode the Example in v->rec[0..len) into v->dec (cleared by
 * the caller), reporting what breaks the wire format or the schema's keys,
 * types and counts. Returns 0, or -1 when the record's structure is too
 * broken to check its keys (reported). */
int vf_decode_record(struct vf_verifier *v, size_t len);

/* record.c: decode and check the record in v->rec[0..len). Returns 1 when
 * it holds, 0 when a problem was reported. */
int vf_check_record(struct vf_verifier *v, size_t len);

/* stats.c: add the record just checked to its split's figures. */
void vf_stats_add(struct vf_verifier *v);

/* index.c */
void vf_index_open(struct vf_verifier *v, const char *strings);
void vf_index_record(struct vf_verifier *v, uint64_t size);
void vf_index_close(struct vf_verifier *v, int walk_complete);

/* deep.c: the sources of a schema's records, the archive roots of o opened
 * with their indexes; NULL when out of memory or an archive cannot be
 * opened (logged). */
struct vf_deep *vf_deep_new(const struct vf_schema *s,
                            const struct bp_verify_options *o);
void vf_deep_free(struct vf_deep *d);
/* The record decoded without problems: compare it with its sources. */
void vf_deep_check(struct vf_verifier *v);
/* Rank 0: the index of each --deep root that is a tar or gzip archive,
 * found fresh or built (in --index-dir; else beside the archive when its
 * folder is writable, else in OUT, as the converter does), into index.
 * Returns BP_OK, BP_USAGE (a root that is no folder, tar or gzip archive)
 * or what bp_archive_index_ensure returns (logged). */
int vf_deep_find_indexes(const struct bp_verify_options *o,
                         char index[2][4096]);

/* ---- Rank 0: the manifest ---------------------------------------------- */

/* What the manifest says of the run that wrote the shards: its options,
 * its inputs and its failures. The JSON objects belong to the manifest. */
struct vf_run_info {
    int64_t per_shard;     /* options.records_per_shard; -1: unknown */
    int index;             /* options.index: 0, 1; -1: unknown */
    const char *suffix;    /* after ".tfrecord" in shard names; NULL: any */
    json_object *inputs;   /* inputs.splits, or NULL */
    json_object *exclude;  /* inputs.exclude, or NULL */
    json_object *failures; /* failures, or NULL */
};

struct vf_manifest {
    struct vf_plan_head head;
    struct bp_buf tasks;   /* struct vf_task array */
    struct bp_buf strings; /* NUL-terminated paths */
    json_object *root;     /* rank 0: the manifest, until freed */
    json_object *splits;   /* its "splits" object */
    struct vf_run_info ri;
    size_t nsplits_listed; /* splits with a shard list */
    uint64_t records; /* the shards' records and bytes, summed */
    uint64_t bytes;
    uint8_t *broken;  /* rank 0, per split: a shard entry not usable, or
                         its counts wrong: statistics not compared */
};

/* Read OUT/manifest.json into m (zeroed by the caller). Problems go to g.
 * Returns 0, or -1 when it cannot be used at all (reported). */
int vf_manifest_read(const char *out, struct vf_manifest *m,
                     struct vf_problems *g);
void vf_manifest_free(struct vf_manifest *m);

/* The same file listed twice, and the files in OUT the manifest does not
 * list (shards, index files, our temporary files). */
void vf_check_listing(const char *out, const struct vf_manifest *m,
                      struct vf_problems *g);

/* numbering.c: the first inputs.splits entry of split sname (NULL when
 * none) and, in *found, how many there are. */
json_object *vf_split_input(const struct vf_run_info *ri, const char *sname,
                            size_t *found);
/* numbering.c: split sname's records (r, held by its shards) against its
 * split file, then its shard numbering. */
void vf_check_split_input(const char *sname, json_object *shards, uint64_t r,
                          const struct vf_run_info *ri,
                          struct vf_problems *c);
/* Every split file and failure belongs to a split of the manifest;
 * totals.failures counts the failures. */
void vf_check_inputs_listed(json_object *splits, json_object *totals,
                            const struct vf_run_info *ri,
                            struct vf_problems *c);

/* manifest.c: JSON members. */
int64_t vf_get_count(json_object *o, const char *key);
const char *vf_get_string(json_object *o, const char *key);
json_object *vf_get_array(json_object *o, const char *key);
const char *vf_get_path(json_object *o);

/* rows.c: the rows block of every task (see VF_ROWS_UNKNOWN) into blocks,
 * task i's at off[i] .. off[i + 1], from the split files and exclusion
 * lists the manifest names, less its failures. Problems with those files go
 * to g. Returns 0, or -1 when out of memory (reported). */
int vf_rows_build(const struct vf_manifest *m, struct vf_problems *g,
                  struct bp_buf *blocks, uint64_t *off);

/* stats.c: each split's statistics in the manifest against the figures
 * summed from its records (acc, one per split in manifest order). */
void vf_stats_compare(const struct vf_manifest *m,
                      const struct vf_split_acc *acc, struct vf_problems *g);

#endif
