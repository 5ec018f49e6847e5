/*
 * bp-check: an independent checker for the output of ben-prep.
 *
 *   bp-check OUT [--golden FILE] [--sources S1_ROOT S2_ROOT]
 *                [--labels LABEL_INDICES_JSON] [--split NAME=FILE ...]
 *
 * It decodes OUT/manifest.json and every shard it lists with its own
 * CRC-32C, TFRecord framing walker and protobuf decoder, and shares no code
 * with the converter (no benprep headers, nothing from src/): it is the
 * second implementation that catches encoder bugs. Optionally it compares
 * the concatenated shards with a golden file, and every pixel and label
 * with the source GeoTIFFs and JSON files (read with GDAL and json-c).
 *
 * Each problem is one line on stdout; at most MAX_SHOWN are shown, then a
 * count. Exit status: 0 all checks passed, 1 problems found, 2 usage error.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
/* Some GDAL versions declare a few drivers without a prototype. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <gdal_frmts.h>
#pragma GCC diagnostic pop
#include <json-c/json.h>

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

#define MAX_SHOWN 50   /* problem lines printed before only counting */
#define N_CLASSES 19   /* BigEarthNet 19-class nomenclature */
#define N_ORIGINAL 43  /* CORINE level-3 classes of the archive */
#define MAX_FEATS 64   /* features kept per record (18 expected) */
#define MAX_NAMES 64   /* bytes_list values kept per feature */
#define PIXELS_MAX 14400

/* ------------------------------------------------------------------ */
/* Problem reporting                                                   */

static unsigned long n_problems;

static void problem(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void problem(const char *fmt, ...)
{
    n_problems++;
    if (n_problems > MAX_SHOWN)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("bp-check: ", stdout);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

/* Where in the output a record sits, for messages. */
struct rec_ctx {
    const char *shard; /* shard path as opened */
    size_t index;      /* record index within the shard */
    uint64_t offset;   /* byte offset of the record's framing header */
};

static void rec_problem(const struct rec_ctx *rc, const char *fmt, ...)
    PRINTF_LIKE(2, 3);
static void rec_problem(const struct rec_ctx *rc, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    problem("%s: record %zu at byte %" PRIu64 ": %s", rc->shard, rc->index,
            rc->offset, msg);
}

static void die_nomem(void)
{
    fputs("bp-check: out of memory\n", stderr);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die_nomem();
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die_nomem();
    return p;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        die_nomem();
    return d;
}

static char *join_path(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = xmalloc(la + 1 + lb + 1);
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

/* A printable, bounded rendering of arbitrary bytes for messages. */
static const char *show(const uint8_t *s, size_t n, char *buf, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 8 >= size) {
            memcpy(buf + o, "...", 4);
            return buf;
        }
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
    }
    buf[o] = '\0';
    return buf;
}

/* json-c's last error without its trailing newline. */
static const char *json_err(void)
{
    static char buf[512];
    const char *m = json_util_get_last_err();
    snprintf(buf, sizeof buf, "%s", m ? m : "unknown error");
    size_t n = strlen(buf);
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    return buf;
}

/* ------------------------------------------------------------------ */
/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), byte-wise table */

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc_update(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

static uint32_t crc_of(const void *data, size_t n)
{
    return crc_update(0, data, n);
}

static uint32_t crc_masked(const void *data, size_t n)
{
    uint32_t c = crc_of(data, n);
    return ((c >> 15) | (c << 17)) + 0xA282EAD8u;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The checker checks itself against FORMAT.md's vectors before use. */
static int self_test(void)
{
    static const uint8_t payload[] = {0x0a, 0x0c, 0x0a, 0x0a, 0x0a, 0x01, 0x6b,
                                      0x12, 0x05, 0x1a, 0x03, 0x0a, 0x01, 0x05};
    static const uint8_t len8[] = {0x0e, 0, 0, 0, 0, 0, 0, 0};
    if (crc_of("123456789", 9) != 0xE3069283u)
        return -1;
    if (crc_masked(len8, 8) != 0x3f69e5c5u)
        return -1;
    if (crc_masked(payload, sizeof payload) != 0x2166bdabu)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

/* Reads a whole file; on failure returns -1 with errno set. */
static int read_whole(const char *path, uint8_t **data, size_t *size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    size_t cap = (size_t)st.st_size, len = 0;
    uint8_t *buf = xmalloc(cap + 1);
    for (;;) {
        if (len == cap) {
            cap = cap * 2 + 65536;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    *data = buf;
    *size = len;
    return 0;
}

/* ------------------------------------------------------------------ */
/* The record schema                                                   */

enum list_type { T_BYTES = 1, T_FLOAT = 2, T_INT64 = 3 };

static const char *type_name(int t)
{
    switch (t) {
    case T_BYTES: return "bytes_list";
    case T_FLOAT: return "float_list";
    case T_INT64: return "int64_list";
    default: return "no list";
    }
}

struct fspec {
    const char *key;
    int type;
    size_t count; /* values; for the label names the maximum */
    int side;     /* raster edge for bands, else 0 */
};

enum {
    F_BAND0 = 0, /* 0..11: B01 .. B8A */
    N_BANDS = 12,
    F_LABELS = 12,
    F_MULTIHOT = 13,
    F_VH = 14,
    F_VV = 15,
    F_S1 = 16,
    F_S2 = 17,
    N_FEATS = 18
};

/* In strictly ascending bytewise key order, as records must be. */
static const struct fspec SPECS[N_FEATS] = {
    {"B01", T_INT64, 400, 20},
    {"B02", T_INT64, 14400, 120},
    {"B03", T_INT64, 14400, 120},
    {"B04", T_INT64, 14400, 120},
    {"B05", T_INT64, 3600, 60},
    {"B06", T_INT64, 3600, 60},
    {"B07", T_INT64, 3600, 60},
    {"B08", T_INT64, 14400, 120},
    {"B09", T_INT64, 400, 20},
    {"B11", T_INT64, 3600, 60},
    {"B12", T_INT64, 3600, 60},
    {"B8A", T_INT64, 3600, 60},
    {"BigEarthNet-19_labels", T_BYTES, N_CLASSES, 0},
    {"BigEarthNet-19_labels_multi_hot", T_INT64, N_CLASSES, 0},
    {"VH", T_FLOAT, 14400, 120},
    {"VV", T_FLOAT, 14400, 120},
    {"patch_name_s1", T_BYTES, 1, 0},
    {"patch_name_s2", T_BYTES, 1, 0},
};

/* FORMAT.md section 3, used unless --labels gives the table. */
static const char *const DEFAULT_NAMES[N_CLASSES] = {
    "Urban fabric",
    "Industrial or commercial units",
    "Arable land",
    "Permanent crops",
    "Pastures",
    "Complex cultivation patterns",
    ("Land principally occupied by agriculture, with significant areas of "
     "natural vegetation"),
    "Agro-forestry areas",
    "Broad-leaved forest",
    "Coniferous forest",
    "Mixed forest",
    "Natural grassland and sparsely vegetated areas",
    "Moors, heathland and sclerophyllous vegetation",
    "Transitional woodland, shrub",
    "Beaches, dunes, sands",
    "Inland wetlands",
    "Coastal wetlands",
    "Inland waters",
    "Marine waters",
};

/* The label table in use. */
static const char *class_names[N_CLASSES];
static struct json_object *labels_json;          /* --labels, parsed */
static struct json_object *original_labels;      /* name -> 43-index */
static int conversion[N_CLASSES][N_ORIGINAL + 1]; /* 43-indices, -1 ends */

static int class_of(const uint8_t *name, size_t len)
{
    for (int i = 0; i < N_CLASSES; i++)
        if (strlen(class_names[i]) == len &&
            memcmp(class_names[i], name, len) == 0)
            return i;
    return -1;
}

static int json_int_in(struct json_object *o, int lo, int hi, int *out)
{
    if (!o || !json_object_is_type(o, json_type_int))
        return -1;
    int64_t v = json_object_get_int64(o);
    if (v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* Loads label_indices.json; on a bad file prints why and returns -1. */
static int load_labels(const char *path)
{
    labels_json = json_object_from_file(path);
    if (!labels_json) {
        fprintf(stderr, "bp-check: %s: cannot read the label table: %s\n",
                path, json_err());
        return -1;
    }
    struct json_object *names, *conv;
    if (!json_object_is_type(labels_json, json_type_object) ||
        !json_object_object_get_ex(labels_json, "original_labels",
                                   &original_labels) ||
        !json_object_is_type(original_labels, json_type_object) ||
        !json_object_object_get_ex(labels_json, "label_conversion", &conv) ||
        !json_object_is_type(conv, json_type_array) ||
        !json_object_object_get_ex(labels_json, "BigEarthNet-19_labels",
                                   &names) ||
        !json_object_is_type(names, json_type_object)) {
        fprintf(stderr,
                "bp-check: %s: not a label table (needs the objects "
                "original_labels and BigEarthNet-19_labels and the array "
                "label_conversion)\n",
                path);
        return -1;
    }
    for (int i = 0; i < N_CLASSES; i++)
        class_names[i] = NULL;
    int n = 0;
    json_object_object_foreach(names, key, val)
    {
        int idx;
        if (json_int_in(val, 0, N_CLASSES - 1, &idx) != 0 ||
            class_names[idx]) {
            fprintf(stderr,
                    "bp-check: %s: BigEarthNet-19_labels: \"%s\" has a bad "
                    "or repeated index\n",
                    path, key);
            return -1;
        }
        class_names[idx] = key; /* lives as long as labels_json */
        n++;
    }
    if (n != N_CLASSES) {
        fprintf(stderr,
                "bp-check: %s: BigEarthNet-19_labels has %d names, expected "
                "%d\n",
                path, n, N_CLASSES);
        return -1;
    }
    if (json_object_array_length(conv) != N_CLASSES) {
        fprintf(stderr,
                "bp-check: %s: label_conversion has %zu lists, expected %d\n",
                path, json_object_array_length(conv), N_CLASSES);
        return -1;
    }
    for (int i = 0; i < N_CLASSES; i++) {
        struct json_object *list = json_object_array_get_idx(conv, (size_t)i);
        size_t len = json_object_is_type(list, json_type_array)
                         ? json_object_array_length(list)
                         : (size_t)-1;
        if (len > N_ORIGINAL) {
            fprintf(stderr, "bp-check: %s: label_conversion[%d] is not a "
                            "list of 43-class indices\n",
                    path, i);
            return -1;
        }
        for (size_t k = 0; k < len; k++)
            if (json_int_in(json_object_array_get_idx(list, k), 0,
                            N_ORIGINAL - 1, &conversion[i][k]) != 0) {
                fprintf(stderr,
                        "bp-check: %s: label_conversion[%d][%zu] is not a "
                        "43-class index\n",
                        path, i, k);
                return -1;
            }
        conversion[i][len] = -1;
    }
    json_object_object_foreach(original_labels, okey, oval)
    {
        int idx;
        if (json_int_in(oval, 0, N_ORIGINAL - 1, &idx) != 0) {
            fprintf(stderr,
                    "bp-check: %s: original_labels: \"%s\" has a bad index\n",
                    path, okey);
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Protobuf wire decoding                                              */

/* One varint at *pp; NULL on success, else what is wrong. Non-minimal
 * encodings are rejected: the converter must write deterministic
 * (canonical) protobuf. */
static const char *get_varint(const uint8_t **pp, const uint8_t *end,
                              uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (p >= end)
            return "truncated varint";
        uint8_t b = *p++;
        if (i == 9 && b > 1)
            return "varint longer than 64 bits";
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            if (b == 0 && i > 0)
                return "non-minimal varint encoding";
            *pp = p;
            *out = v;
            return NULL;
        }
    }
    return "varint longer than 10 bytes";
}

/* A length-delimited field at *pp: its tag, its body. NULL on success. */
static const char *get_len_field(const uint8_t **pp, const uint8_t *end,
                                 uint64_t *tag, const uint8_t **body,
                                 size_t *len)
{
    const char *e = get_varint(pp, end, tag);
    if (e)
        return e;
    if ((*tag & 7) != 2)
        return "field is not length-delimited";
    uint64_t n;
    if ((e = get_varint(pp, end, &n)))
        return e;
    if (n > (uint64_t)(end - *pp))
        return "field length runs past its message";
    *body = *pp;
    *len = (size_t)n;
    *pp += n;
    return NULL;
}

struct rfeat {
    const uint8_t *key;
    size_t keylen;
    int type;           /* list kind: T_BYTES, T_FLOAT, T_INT64 */
    const uint8_t *list; /* the list message body */
    size_t listlen;
};

/* Example -> features; on a structural error writes it to err. */
static int parse_example(const uint8_t *d, size_t n, struct rfeat *f,
                         size_t *nf, char *err, size_t errsz)
{
    const uint8_t *p = d, *end = d + n;
    uint64_t tag;
    const uint8_t *fb;
    size_t flen;
    const char *e;
    *nf = 0;
    if (n == 0) {
        snprintf(err, errsz, "empty record: no Example.features");
        return -1;
    }
    if ((e = get_len_field(&p, end, &tag, &fb, &flen))) {
        snprintf(err, errsz, "Example: %s", e);
        return -1;
    }
    if (tag != 0x0a) {
        snprintf(err, errsz,
                 "Example: field tag 0x%" PRIx64 ", expected 0x0a (features)",
                 tag);
        return -1;
    }
    if (p != end) {
        snprintf(err, errsz,
                 "%zu bytes after Example.features (expected exactly one "
                 "field)",
                 (size_t)(end - p));
        return -1;
    }
    const uint8_t *q = fb, *fend = fb + flen;
    while (q < fend) {
        size_t at = (size_t)(q - d);
        const uint8_t *eb;
        size_t elen;
        if ((e = get_len_field(&q, fend, &tag, &eb, &elen))) {
            snprintf(err, errsz, "Features, data byte %zu: %s", at, e);
            return -1;
        }
        if (tag != 0x0a) {
            snprintf(err, errsz,
                     "Features, data byte %zu: field tag 0x%" PRIx64
                     ", expected 0x0a (map entry)",
                     at, tag);
            return -1;
        }
        if (*nf == MAX_FEATS) {
            snprintf(err, errsz, "more than %d features", MAX_FEATS);
            return -1;
        }
        struct rfeat *r = &f[*nf];
        /* Map entry: key = 1, then value = 2, nothing else. */
        const uint8_t *r0 = eb, *rend = eb + elen;
        const uint8_t *vb;
        size_t vlen;
        if ((e = get_len_field(&r0, rend, &tag, &r->key, &r->keylen)) ||
            tag != 0x0a) {
            snprintf(err, errsz,
                     "feature map entry %zu (data byte %zu): %s", *nf, at,
                     e ? e : "first field is not the key (tag 0x0a)");
            return -1;
        }
        char kb[128];
        show(r->key, r->keylen, kb, sizeof kb);
        if ((e = get_len_field(&r0, rend, &tag, &vb, &vlen)) || tag != 0x12) {
            snprintf(err, errsz, "feature '%s': %s", kb,
                     e ? e : "second field of the map entry is not the value "
                             "(tag 0x12)");
            return -1;
        }
        if (r0 != rend) {
            snprintf(err, errsz,
                     "feature '%s': extra data after the map entry's value",
                     kb);
            return -1;
        }
        /* Feature: exactly one of bytes_list=1, float_list=2, int64_list=3. */
        const uint8_t *v0 = vb, *vend = vb + vlen;
        if (vlen == 0) {
            snprintf(err, errsz, "feature '%s': Feature has no list", kb);
            return -1;
        }
        if ((e = get_len_field(&v0, vend, &tag, &r->list, &r->listlen))) {
            snprintf(err, errsz, "feature '%s': Feature: %s", kb, e);
            return -1;
        }
        if (tag != 0x0a && tag != 0x12 && tag != 0x1a) {
            snprintf(err, errsz,
                     "feature '%s': Feature field tag 0x%" PRIx64
                     " is not a list",
                     kb, tag);
            return -1;
        }
        if (v0 != vend) {
            snprintf(err, errsz,
                     "feature '%s': Feature has more than one field", kb);
            return -1;
        }
        r->type = (int)(tag >> 3);
        (*nf)++;
    }
    return 0;
}

/* The packed value field of an int64_list or float_list body: exactly one
 * field 1, length-delimited, or nothing for an empty list. */
static const char *packed_body(const uint8_t *list, size_t len,
                               const uint8_t **body, size_t *blen)
{
    if (len == 0) {
        *body = list;
        *blen = 0;
        return NULL;
    }
    const uint8_t *p = list;
    uint64_t tag;
    const char *e = get_varint(&p, list + len, &tag);
    if (e)
        return e;
    if (tag == 0x08)
        return "values are not packed (tag 0x08)";
    if (tag != 0x0a)
        return "unexpected field in the list";
    p = list;
    if ((e = get_len_field(&p, list + len, &tag, body, blen)))
        return e;
    if (p != list + len)
        return "more than one packed value field";
    return NULL;
}

/* Decodes an int64_list; stores up to cap values, *n = how many there are. */
static const char *decode_int64s(const uint8_t *list, size_t len,
                                 int64_t *out, size_t cap, size_t *n)
{
    const uint8_t *b;
    size_t blen;
    const char *e = packed_body(list, len, &b, &blen);
    *n = 0;
    if (e)
        return e;
    const uint8_t *p = b, *end = b + blen;
    while (p < end) {
        uint64_t v;
        if ((e = get_varint(&p, end, &v)))
            return e;
        if (*n < cap)
            out[*n] = (int64_t)v;
        (*n)++;
    }
    return NULL;
}

/* A float_list: a pointer to its little-endian float bytes and the count. */
static const char *decode_floats(const uint8_t *list, size_t len,
                                 const uint8_t **vals, size_t *n)
{
    size_t blen;
    const char *e = packed_body(list, len, vals, &blen);
    *n = 0;
    if (e)
        return e;
    if (blen % 4)
        return "packed float length is not a multiple of 4";
    *n = blen / 4;
    return NULL;
}

struct bytes_val {
    const uint8_t *s;
    size_t len;
};

/* A bytes_list: repeated field 1, length-delimited. */
static const char *decode_bytes(const uint8_t *list, size_t len,
                                struct bytes_val *out, size_t cap, size_t *n)
{
    const uint8_t *p = list, *end = list + len;
    *n = 0;
    while (p < end) {
        uint64_t tag;
        const uint8_t *b;
        size_t blen;
        const char *e = get_len_field(&p, end, &tag, &b, &blen);
        if (e)
            return e;
        if (tag != 0x0a)
            return "unexpected field in the bytes list";
        if (*n < cap) {
            out[*n].s = b;
            out[*n].len = blen;
        }
        (*n)++;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Split CSVs                                                          */

struct csv_row {
    const char *s2, *s1;
    size_t line;
};

struct csv {
    char *text;
    size_t bytes;
    uint32_t crc;
    struct csv_row *rows;
    size_t nrows;
    bool ok; /* read and well formed */
};

/* Rows "S2name,S1name", CRLF or LF, no header; blank lines are skipped.
 * Problems are reported against the file. */
static void load_csv(const char *path, struct csv *c)
{
    memset(c, 0, sizeof *c);
    uint8_t *data;
    if (read_whole(path, &data, &c->bytes) != 0) {
        problem("%s: cannot read the split CSV: %s%s", path, strerror(errno),
                path[0] == '/' ? ""
                               : " (a relative path is taken from the current "
                                 "folder; --split NAME=FILE overrides it)");
        return;
    }
    c->text = (char *)data;
    c->crc = crc_of(data, c->bytes);
    size_t lines = 1;
    for (size_t i = 0; i < c->bytes; i++)
        lines += data[i] == '\n';
    c->rows = xmalloc(lines * sizeof *c->rows);
    size_t pos = 0, bad = 0;
    if (c->bytes >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    for (size_t line = 1; pos < c->bytes; line++) {
        char *start = c->text + pos;
        char *nl = memchr(start, '\n', c->bytes - pos);
        size_t len = nl ? (size_t)(nl - start) : c->bytes - pos;
        pos += len + (nl ? 1 : 0);
        if (len > 0 && start[len - 1] == '\r')
            len--;
        start[len] = '\0';
        if (len == 0)
            continue;
        char *comma = strchr(start, ',');
        if (!comma || strchr(comma + 1, ',') || comma == start ||
            comma[1] == '\0' || strlen(start) != len) {
            if (bad++ < 5)
                problem("%s line %zu: not an \"S2name,S1name\" row", path,
                        line);
            continue;
        }
        *comma = '\0';
        c->rows[c->nrows].s2 = start;
        c->rows[c->nrows].s1 = comma + 1;
        c->rows[c->nrows].line = line;
        c->nrows++;
    }
    c->ok = bad == 0;
}

static void free_csv(struct csv *c)
{
    free(c->text);
    free(c->rows);
    memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------------ */
/* Golden comparison                                                   */

struct golden {
    const char *path;
    FILE *f;
    uint64_t off; /* bytes compared so far */
    bool ok;      /* identical so far */
};

static void golden_feed(struct golden *g, const uint8_t *data, size_t n,
                        const char *shard)
{
    if (!g->f || !g->ok)
        return;
    static uint8_t chunk[1 << 20];
    size_t done = 0;
    while (done < n) {
        size_t want = n - done < sizeof chunk ? n - done : sizeof chunk;
        size_t got = fread(chunk, 1, want, g->f);
        size_t k = 0;
        while (k < got && chunk[k] == data[done + k])
            k++;
        if (k < got) {
            problem("golden %s: first difference at byte %" PRIu64
                    " (%s byte %zu)",
                    g->path, g->off + k, shard, done + k);
            g->ok = false;
            return;
        }
        g->off += got;
        done += got;
        if (got < want) {
            problem("golden %s: ends at byte %" PRIu64
                    ", the output goes on (%s byte %zu)",
                    g->path, g->off, shard, done);
            g->ok = false;
            return;
        }
    }
}

static void golden_finish(struct golden *g)
{
    if (!g->f)
        return;
    if (g->ok && fgetc(g->f) != EOF) {
        problem("golden %s: the output ends at byte %" PRIu64
                ", the golden file goes on",
                g->path, g->off);
        g->ok = false;
    }
    if (ferror(g->f)) {
        problem("golden %s: read error", g->path);
        g->ok = false;
    }
    fclose(g->f);
    g->f = NULL;
}

/* ------------------------------------------------------------------ */
/* Deep check against the sources                                      */

static const char *s1_root, *s2_root;

static const char *gdal_msg(void)
{
    const char *m = CPLGetLastErrorMsg();
    return m && *m ? m : "no GDAL message";
}

/* Reads the single band of a GeoTIFF; on failure writes why to err. */
static int read_raster(const char *path, GDALDataType want, int side,
                       void *buf, char *err, size_t errsz)
{
    CPLErrorReset();
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    if (!ds) {
        snprintf(err, errsz, "%s: cannot open: %s", path, gdal_msg());
        return -1;
    }
    int rc = -1;
    int nb = GDALGetRasterCount(ds);
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
    GDALRasterBandH band = nb >= 1 ? GDALGetRasterBand(ds, 1) : NULL;
    if (nb != 1 || !band)
        snprintf(err, errsz, "%s: %d bands, expected 1", path, nb);
    else if (w != side || h != side)
        snprintf(err, errsz, "%s: %dx%d pixels, expected %dx%d", path, w, h,
                 side, side);
    else if (GDALGetRasterDataType(band) != want)
        snprintf(err, errsz, "%s: data type %s, expected %s", path,
                 GDALGetDataTypeName(GDALGetRasterDataType(band)),
                 GDALGetDataTypeName(want));
    else if (GDALRasterIO(band, GF_Read, 0, 0, side, side, buf, side, side,
                          want, 0, 0) != CE_None)
        snprintf(err, errsz, "%s: cannot read the pixels: %s", path,
                 gdal_msg());
    else
        rc = 0;
    GDALClose(ds);
    return rc;
}

static char *source_path(const char *root, const char *name,
                         const char *suffix)
{
    size_t n = strlen(root) + 2 * strlen(name) + strlen(suffix) + 3;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s/%s%s", root, name, name, suffix);
    return p;
}

static void format_classes(const bool *set, char *buf, size_t size)
{
    size_t o = 0;
    buf[o++] = '{';
    buf[o] = '\0';
    for (int i = 0; i < N_CLASSES; i++)
        if (set[i] && o + 8 < size)
            o += (size_t)snprintf(buf + o, size - o, "%s%d",
                                  buf[o - 1] == '{' ? "" : ",", i);
    snprintf(buf + o, size - o, "}");
}

/* The 19-class set of a patch from its S1 JSON; -1 on failure (reported). */
static int source_classes(const struct rec_ctx *rc, const char *s1,
                          bool *set)
{
    char *path = source_path(s1_root, s1, "_labels_metadata.json");
    int ret = -1;
    struct json_object *j = json_object_from_file(path), *labels;
    if (!j) {
        rec_problem(rc, "%s: cannot read: %s", path, json_err());
        goto out;
    }
    if (!json_object_object_get_ex(j, "labels", &labels) ||
        !json_object_is_type(labels, json_type_array)) {
        rec_problem(rc, "%s: no \"labels\" array", path);
        goto out;
    }
    bool orig[N_ORIGINAL] = {false};
    for (size_t i = 0; i < json_object_array_length(labels); i++) {
        struct json_object *o = json_object_array_get_idx(labels, i), *ix;
        const char *name = json_object_get_string(o);
        int k;
        if (!json_object_is_type(o, json_type_string) ||
            !json_object_object_get_ex(original_labels, name, &ix) ||
            json_int_in(ix, 0, N_ORIGINAL - 1, &k) != 0) {
            rec_problem(rc, "%s: label \"%s\" is not a 43-class name", path,
                        name ? name : "");
            goto out;
        }
        orig[k] = true;
    }
    for (int c = 0; c < N_CLASSES; c++) {
        set[c] = false;
        for (int k = 0; conversion[c][k] >= 0; k++)
            if (orig[conversion[c][k]])
                set[c] = true;
    }
    ret = 0;
out:
    json_object_put(j);
    free(path);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Record check                                                        */

static int64_t ints[N_FEATS][PIXELS_MAX]; /* decoded int64 lists */
static uint16_t pix16[PIXELS_MAX];
static float pix32[PIXELS_MAX];

struct decoded {
    bool have[N_FEATS]; /* present, right type, right count, decoded */
    const uint8_t *floats[N_FEATS];
    struct bytes_val names[N_FEATS][MAX_NAMES];
    size_t nnames[N_FEATS];
    bool label_set[N_CLASSES]; /* from the label names, when valid */
    bool labels_valid;
};

static int spec_of(const uint8_t *key, size_t len)
{
    for (int i = 0; i < N_FEATS; i++)
        if (strlen(SPECS[i].key) == len && memcmp(SPECS[i].key, key, len) == 0)
            return i;
    return -1;
}

static int keycmp(const struct rfeat *a, const struct rfeat *b)
{
    size_t n = a->keylen < b->keylen ? a->keylen : b->keylen;
    int c = memcmp(a->key, b->key, n);
    if (c)
        return c;
    return a->keylen < b->keylen ? -1 : a->keylen > b->keylen;
}

static bool bytes_eq(const struct bytes_val *v, const char *s)
{
    return v->len == strlen(s) && memcmp(v->s, s, v->len) == 0;
}

/* Decodes one feature of a known key into dec; reports what is wrong. */
static void check_feature(const struct rec_ctx *rc, int fi,
                          const struct rfeat *rf, struct decoded *dec)
{
    const struct fspec *sp = &SPECS[fi];
    if (rf->type != sp->type) {
        rec_problem(rc, "feature %s is a %s, expected %s", sp->key,
                    type_name(rf->type), type_name(sp->type));
        return;
    }
    size_t n = 0;
    const char *e = NULL;
    switch (sp->type) {
    case T_INT64:
        e = decode_int64s(rf->list, rf->listlen, ints[fi], PIXELS_MAX, &n);
        break;
    case T_FLOAT:
        e = decode_floats(rf->list, rf->listlen, &dec->floats[fi], &n);
        break;
    case T_BYTES:
        e = decode_bytes(rf->list, rf->listlen, dec->names[fi], MAX_NAMES, &n);
        dec->nnames[fi] = n;
        break;
    }
    if (e) {
        rec_problem(rc, "feature %s: %s", sp->key, e);
        return;
    }
    if (fi == F_LABELS ? n > sp->count : n != sp->count) {
        rec_problem(rc, "feature %s has %zu values, expected %s%zu", sp->key,
                    n, fi == F_LABELS ? "at most " : "", sp->count);
        return;
    }
    if (fi < N_BANDS) {
        for (size_t i = 0; i < n; i++)
            if (ints[fi][i] < 0 || ints[fi][i] > 65535) {
                rec_problem(rc,
                            "feature %s value %zu is %" PRId64
                            ", not a uint16",
                            sp->key, i, ints[fi][i]);
                return;
            }
    } else if (fi == F_MULTIHOT) {
        for (size_t i = 0; i < n; i++)
            if (ints[fi][i] != 0 && ints[fi][i] != 1) {
                rec_problem(rc,
                            "feature %s value %zu is %" PRId64
                            ", expected 0 or 1",
                            sp->key, i, ints[fi][i]);
                return;
            }
    } else if (fi == F_LABELS) {
        int prev = -1;
        memset(dec->label_set, 0, sizeof dec->label_set);
        for (size_t i = 0; i < n; i++) {
            char b[256];
            int c = class_of(dec->names[fi][i].s, dec->names[fi][i].len);
            if (c < 0) {
                rec_problem(rc, "feature %s value %zu '%s' is not a 19-class "
                                "name",
                            sp->key, i,
                            show(dec->names[fi][i].s, dec->names[fi][i].len, b,
                                 sizeof b));
                return;
            }
            if (c == prev) {
                rec_problem(rc, "feature %s repeats '%s'", sp->key,
                            class_names[c]);
                return;
            }
            if (c < prev) {
                rec_problem(rc,
                            "feature %s: '%s' (class %d) after class %d: not "
                            "in ascending class order",
                            sp->key, class_names[c], c, prev);
                return;
            }
            dec->label_set[c] = true;
            prev = c;
        }
        dec->labels_valid = true;
    } else if (fi == F_S1 || fi == F_S2) {
        if (dec->names[fi][0].len == 0) {
            rec_problem(rc, "feature %s is empty", sp->key);
            return;
        }
    }
    dec->have[fi] = true;
}

/* Compares the decoded record with the source rasters and labels. */
static bool get_int(struct json_object *o, const char *key, int64_t *v);

/* --stats: the split's statistics computed from the source pixels, exactly
 * for the integer bands and in long double for the float ones. */
struct band_acc {
    uint64_t n, nonfinite; /* finite values; NaN and infinities apart */
    unsigned __int128 isum, isumsq;
    long double fsum, fsumsq;
    double min, max;
};
static bool stats_enabled;
static struct band_acc acc[14];
static uint64_t acc_labels[N_CLASSES];

static void acc_reset(void)
{
    memset(acc, 0, sizeof acc);
    memset(acc_labels, 0, sizeof acc_labels);
    for (int b = 0; b < 14; b++) {
        acc[b].min = 1e300;
        acc[b].max = -1e300;
    }
}

/* Band index in the manifest's statistics order: B01..B8A, VV, VH. */
static const char *const STAT_BANDS[14] = {"B01", "B02", "B03", "B04", "B05",
                                           "B06", "B07", "B08", "B09", "B11",
                                           "B12", "B8A", "VV",  "VH"};

static void acc_add(const char *key, bool is_s2, size_t count)
{
    int b = 0;
    while (b < 14 && strcmp(STAT_BANDS[b], key) != 0)
        b++;
    if (b == 14)
        return;
    struct band_acc *a = &acc[b];
    for (size_t i = 0; i < count; i++) {
        double v = is_s2 ? (double)pix16[i] : (double)pix32[i];
        if (!isfinite(v)) {
            a->nonfinite++;
            continue;
        }
        a->n++;
        if (is_s2) {
            a->isum += pix16[i];
            a->isumsq += (uint64_t)pix16[i] * pix16[i];
        } else {
            a->fsum += pix32[i];
            a->fsumsq += (long double)pix32[i] * pix32[i];
        }
        a->min = v < a->min ? v : a->min;
        a->max = v > a->max ? v : a->max;
    }
}

static bool close_enough(double got, long double want)
{
    long double d = (long double)got - want;
    if (d < 0)
        d = -d;
    long double scale = want < 0 ? -want : want;
    return d <= 1e-9L * (scale > 1e-300L ? scale : 1.0L);
}

/* Compare the accumulated figures with the manifest's split statistics. */
static void acc_compare(const char *split, struct json_object *st)
{
    struct json_object *bands = NULL, *labels = NULL;
    if (!st || !json_object_object_get_ex(st, "bands", &bands) ||
        !json_object_object_get_ex(st, "labels", &labels)) {
        problem("manifest: splits.%s has no statistics", split);
        return;
    }
    for (int b = 0; b < 14; b++) {
        struct band_acc *a = &acc[b];
        struct json_object *j = NULL, *v;
        if (!json_object_object_get_ex(bands, STAT_BANDS[b], &j)) {
            problem("manifest: splits.%s.statistics: no band %s", split,
                    STAT_BANDS[b]);
            continue;
        }
        long double n = (long double)a->n, mean, var;
        if (b < 12) {
            mean = (long double)a->isum / n;
            unsigned __int128 num = (unsigned __int128)a->n * a->isumsq -
                                    a->isum * a->isum;
            var = (long double)num / (n * n);
        } else {
            mean = a->fsum / n;
            var = a->fsumsq / n - mean * mean;
        }
        long double sd = sqrtl(var);
        int64_t count;
        if (!get_int(j, "count", &count) || (uint64_t)count != a->n)
            problem("manifest: splits.%s.statistics %s: count differs from "
                    "%" PRIu64 " finite source pixels",
                    split, STAT_BANDS[b], a->n);
        if (!get_int(j, "nonfinite", &count) ||
            (uint64_t)count != a->nonfinite)
            problem("manifest: splits.%s.statistics %s: nonfinite differs "
                    "from %" PRIu64 " NaN or infinite source pixels",
                    split, STAT_BANDS[b], a->nonfinite);
        const char *names[4] = {"mean", "std", "min", "max"};
        long double want[4] = {mean, sd, a->min, a->max};
        for (int k = 0; k < 4 && a->n == 0; k++)
            if (json_object_object_get_ex(j, names[k], &v))
                problem("manifest: splits.%s.statistics %s: %s of no finite "
                        "value",
                        split, STAT_BANDS[b], names[k]);
        for (int k = 0; k < 4 && a->n > 0; k++) {
            if (!json_object_object_get_ex(j, names[k], &v)) {
                problem("manifest: splits.%s.statistics %s: no %s", split,
                        STAT_BANDS[b], names[k]);
                continue;
            }
            double got = json_object_get_double(v);
            bool ok = k < 2 ? close_enough(got, want[k])
                            : got == (double)want[k];
            if (!ok)
                problem("manifest: splits.%s.statistics %s: %s %.17g, the "
                        "sources give %.17Lg",
                        split, STAT_BANDS[b], names[k], got, want[k]);
        }
    }
    for (int i = 0; i < N_CLASSES; i++) {
        struct json_object *v;
        if (!json_object_object_get_ex(labels, class_names[i], &v) ||
            (uint64_t)json_object_get_int64(v) != acc_labels[i])
            problem("manifest: splits.%s.statistics labels \"%s\": the "
                    "sources give %" PRIu64,
                    split, class_names[i], acc_labels[i]);
    }
}

static void deep_check(struct rec_ctx *rc, const struct decoded *dec,
                       const char *s2, const char *s1)
{
    char err[1024];
    bool pixels_done = false;
    for (int fi = 0; fi < N_FEATS && !pixels_done; fi++) {
        const struct fspec *sp = &SPECS[fi];
        if (sp->side == 0 || !dec->have[fi])
            continue;
        bool is_s2 = sp->type == T_INT64;
        char suffix[16];
        snprintf(suffix, sizeof suffix, "_%s.tif", sp->key);
        char *path = source_path(is_s2 ? s2_root : s1_root, is_s2 ? s2 : s1,
                                 suffix);
        if (read_raster(path, is_s2 ? GDT_UInt16 : GDT_Float32, sp->side,
                        is_s2 ? (void *)pix16 : (void *)pix32, err,
                        sizeof err) != 0) {
            rec_problem(rc, "%s", err);
            free(path);
            continue;
        }
        if (stats_enabled)
            acc_add(sp->key, is_s2, sp->count);
        for (size_t i = 0; i < sp->count; i++) {
            int x = (int)(i % (size_t)sp->side), y = (int)(i / (size_t)sp->side);
            if (is_s2 && ints[fi][i] != (int64_t)pix16[i]) {
                rec_problem(rc,
                            "%s pixel %zu (row %d, column %d): record has %" PRId64
                            ", %s has %u",
                            sp->key, i, y, x, ints[fi][i], path,
                            (unsigned)pix16[i]);
                pixels_done = true;
                break;
            }
            if (!is_s2) {
                uint32_t src;
                memcpy(&src, &pix32[i], 4);
                uint32_t rec = le32(dec->floats[fi] + 4 * i);
                if (src != rec) {
                    float rf;
                    memcpy(&rf, &rec, 4);
                    rec_problem(rc,
                                "%s pixel %zu (row %d, column %d): record "
                                "has %.9g (0x%08" PRIx32 "), %s has %.9g "
                                "(0x%08" PRIx32 ")",
                                sp->key, i, y, x, (double)rf, rec, path,
                                (double)pix32[i], src);
                    pixels_done = true;
                    break;
                }
            }
        }
        free(path);
    }

    bool want[N_CLASSES];
    if (source_classes(rc, s1, want) != 0)
        return;
    for (int i = 0; stats_enabled && i < N_CLASSES; i++)
        acc_labels[i] += want[i];
    char a[128], b[128];
    if (dec->labels_valid &&
        memcmp(want, dec->label_set, sizeof want) != 0) {
        format_classes(dec->label_set, a, sizeof a);
        format_classes(want, b, sizeof b);
        rec_problem(rc,
                    "BigEarthNet-19_labels name classes %s, the source "
                    "labels give %s",
                    a, b);
    }
    if (dec->have[F_MULTIHOT]) {
        bool mh[N_CLASSES];
        for (int i = 0; i < N_CLASSES; i++)
            mh[i] = ints[F_MULTIHOT][i] == 1;
        if (memcmp(want, mh, sizeof want) != 0) {
            format_classes(mh, a, sizeof a);
            format_classes(want, b, sizeof b);
            rec_problem(rc,
                        "BigEarthNet-19_labels_multi_hot sets classes %s, "
                        "the source labels give %s",
                        a, b);
        }
    }
}

static bool deep_enabled;

/* Checks one record's Example; row is its CSV row or NULL. */
static void check_record(struct rec_ctx *rc, const uint8_t *data, size_t len,
                         const struct csv_row *row)
{
    static struct rfeat feats[MAX_FEATS];
    static struct decoded dec;
    size_t nf;
    char err[512];
    if (parse_example(data, len, feats, &nf, err, sizeof err) != 0) {
        rec_problem(rc, "not a valid Example: %s", err);
        return;
    }
    memset(&dec, 0, sizeof dec);
    if (nf != N_FEATS)
        rec_problem(rc, "%zu features, expected %d", nf, N_FEATS);
    bool seen[N_FEATS] = {false};
    bool order_reported = false;
    for (size_t i = 0; i < nf; i++) {
        char kb[128];
        if (i > 0 && keycmp(&feats[i - 1], &feats[i]) >= 0 &&
            !order_reported) {
            char pb[128];
            rec_problem(rc,
                        "feature keys not in strictly ascending order: '%s' "
                        "after '%s'",
                        show(feats[i].key, feats[i].keylen, kb, sizeof kb),
                        show(feats[i - 1].key, feats[i - 1].keylen, pb,
                             sizeof pb));
            order_reported = true;
        }
        int fi = spec_of(feats[i].key, feats[i].keylen);
        if (fi < 0) {
            rec_problem(rc, "unexpected feature '%s'",
                        show(feats[i].key, feats[i].keylen, kb, sizeof kb));
            continue;
        }
        if (seen[fi]) {
            rec_problem(rc, "feature %s appears twice", SPECS[fi].key);
            continue;
        }
        seen[fi] = true;
        check_feature(rc, fi, &feats[i], &dec);
    }
    for (int fi = 0; fi < N_FEATS; fi++)
        if (!seen[fi])
            rec_problem(rc, "feature %s is missing", SPECS[fi].key);

    /* The multi-hot has a 1 exactly at the named classes. */
    if (dec.labels_valid && dec.have[F_MULTIHOT])
        for (int c = 0; c < N_CLASSES; c++)
            if ((ints[F_MULTIHOT][c] == 1) != dec.label_set[c]) {
                rec_problem(rc,
                            "BigEarthNet-19_labels_multi_hot[%d] is %" PRId64
                            " but '%s' is %sin BigEarthNet-19_labels",
                            c, ints[F_MULTIHOT][c], class_names[c],
                            dec.label_set[c] ? "" : "not ");
                break;
            }

    /* Patch names equal the CSV row. */
    static const int name_feats[2] = {F_S2, F_S1};
    for (int k = 0; k < 2 && row; k++) {
        int fi = name_feats[k];
        const char *want = fi == F_S2 ? row->s2 : row->s1;
        if (dec.have[fi] && !bytes_eq(&dec.names[fi][0], want)) {
            char b[256];
            rec_problem(rc, "%s is '%s', the CSV row has '%s'", SPECS[fi].key,
                        show(dec.names[fi][0].s, dec.names[fi][0].len, b,
                             sizeof b),
                        want);
        }
    }

    if (deep_enabled) {
        /* The CSV row names the sources; without it, the record does. */
        char s2buf[512], s1buf[512];
        const char *s2 = row ? row->s2 : NULL, *s1 = row ? row->s1 : NULL;
        if (!row && dec.have[F_S2] && dec.have[F_S1] &&
            dec.names[F_S2][0].len < sizeof s2buf &&
            dec.names[F_S1][0].len < sizeof s1buf) {
            memcpy(s2buf, dec.names[F_S2][0].s, dec.names[F_S2][0].len);
            s2buf[dec.names[F_S2][0].len] = '\0';
            memcpy(s1buf, dec.names[F_S1][0].s, dec.names[F_S1][0].len);
            s1buf[dec.names[F_S1][0].len] = '\0';
            if (!memchr(s2buf, '/', strlen(s2buf)) && !memchr(s1buf, '/', strlen(s1buf)) &&
                strlen(s2buf) == dec.names[F_S2][0].len &&
                strlen(s1buf) == dec.names[F_S1][0].len) {
                s2 = s2buf;
                s1 = s1buf;
            }
        }
        if (s2 && s1)
            deep_check(rc, &dec, s2, s1);
        else
            rec_problem(rc, "no patch names to compare with the sources");
    }
}

/* ------------------------------------------------------------------ */
/* Manifest and shards                                                 */

struct shard {
    char *rel;  /* path relative to OUT, as in the manifest */
    char *path; /* OUT/rel */
    int64_t records, bytes, first_row;
    bool has_first_row;
    char crc[9];
    bool valid; /* its manifest entry is well formed */
};

struct split {
    const char *name;
    int64_t records, bytes;
    struct shard *shards;
    size_t nshards;
    const char *csv_path; /* from --split or inputs.splits */
    bool csv_overridden;
    struct json_object *input; /* its inputs.splits entry, or NULL */
    struct json_object *json;  /* its splits entry */
    bool valid;
};

struct override {
    char *name;
    const char *file;
    bool used;
};

static bool get_int(struct json_object *o, const char *key, int64_t *v)
{
    struct json_object *x;
    if (!json_object_object_get_ex(o, key, &x) ||
        !json_object_is_type(x, json_type_int))
        return false;
    *v = json_object_get_int64(x);
    return *v >= 0;
}

static const char *get_str(struct json_object *o, const char *key)
{
    struct json_object *x;
    if (!o || !json_object_object_get_ex(o, key, &x) ||
        !json_object_is_type(x, json_type_string))
        return NULL;
    return json_object_get_string(x);
}

static bool is_crc_hex(const char *s)
{
    if (!s || strlen(s) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return false;
    return true;
}

/* Reads the manifest's splits; returns how many, or -1 (reported). */
static long read_manifest(const char *mpath, struct json_object *m,
                          const char *out, struct split **splits_out)
{
    struct json_object *splits, *inputs = NULL, *in_splits = NULL;
    if (!json_object_is_type(m, json_type_object) ||
        !json_object_object_get_ex(m, "splits", &splits) ||
        !json_object_is_type(splits, json_type_object)) {
        problem("%s: no \"splits\" object", mpath);
        return -1;
    }
    if (!json_object_object_get_ex(m, "inputs", &inputs) ||
        !json_object_object_get_ex(inputs, "splits", &in_splits) ||
        !json_object_is_type(in_splits, json_type_array)) {
        problem("%s: no \"inputs.splits\" array", mpath);
        in_splits = NULL;
    }
    size_t n = (size_t)json_object_object_length(splits), i = 0;
    struct split *sp = xmalloc(n * sizeof *sp);
    memset(sp, 0, n * sizeof *sp);
    json_object_object_foreach(splits, name, so)
    {
        struct split *s = &sp[i++];
        s->name = name;
        s->json = so;
        s->valid = true;
        struct json_object *shards;
        if (!json_object_is_type(so, json_type_object) ||
            !get_int(so, "records", &s->records) ||
            !get_int(so, "bytes", &s->bytes) ||
            !json_object_object_get_ex(so, "shards", &shards) ||
            !json_object_is_type(shards, json_type_array)) {
            problem("%s: splits.%s: needs non-negative integers \"records\" "
                    "and \"bytes\" and a \"shards\" array",
                    mpath, name);
            s->valid = false;
            continue;
        }
        s->nshards = json_object_array_length(shards);
        s->shards = xmalloc(s->nshards * sizeof *s->shards);
        memset(s->shards, 0, s->nshards * sizeof *s->shards);
        for (size_t k = 0; k < s->nshards; k++) {
            struct json_object *so2 = json_object_array_get_idx(shards, k);
            struct shard *sh = &s->shards[k];
            const char *rel = json_object_is_type(so2, json_type_object)
                                  ? get_str(so2, "path")
                                  : NULL;
            const char *crc = rel ? get_str(so2, "crc32c") : NULL;
            sh->valid = rel && *rel && rel[0] != '/' &&
                        get_int(so2, "records", &sh->records) &&
                        get_int(so2, "bytes", &sh->bytes) && is_crc_hex(crc);
            if (!sh->valid) {
                problem("%s: splits.%s.shards[%zu]: needs a relative "
                        "\"path\", non-negative integers \"records\" and "
                        "\"bytes\" and an 8-digit lowercase hex \"crc32c\"",
                        mpath, name, k);
                s->valid = false;
                continue;
            }
            sh->rel = xstrdup(rel);
            sh->path = join_path(out, rel);
            memcpy(sh->crc, crc, 9);
            sh->has_first_row = get_int(so2, "first_row", &sh->first_row);
        }
        for (size_t k = 0; in_splits && k < json_object_array_length(in_splits);
             k++) {
            struct json_object *e = json_object_array_get_idx(in_splits, k);
            const char *sn = get_str(e, "split");
            if (sn && strcmp(sn, name) == 0) {
                s->input = e;
                s->csv_path = get_str(e, "path");
                break;
            }
        }
    }
    /* Every input split has its output split. */
    for (size_t k = 0; in_splits && k < json_object_array_length(in_splits);
         k++) {
        const char *sn = get_str(json_object_array_get_idx(in_splits, k),
                                 "split");
        struct json_object *x;
        if (!sn || !json_object_object_get_ex(splits, sn, &x))
            problem("%s: inputs.splits[%zu] (%s) has no entry in \"splits\"",
                    mpath, k, sn ? sn : "no \"split\" name");
    }
    *splits_out = sp;
    return (long)n;
}

/* Walks one shard's framing and checks each record. rows/nrows: the
 * split's CSV rows (NULL if unavailable), base: this shard's first row.
 * Returns the number of records found, or -1 if the framing broke. */
static long walk_shard(const struct shard *sh, const uint8_t *d, size_t size,
                       const struct csv *csv, size_t base, bool *csv_reported)
{
    size_t pos = 0, k = 0;
    while (pos < size) {
        struct rec_ctx rc = {sh->path, k, pos};
        if (size - pos < 16) {
            rec_problem(&rc,
                        "truncated: %zu bytes left, a record needs at "
                        "least 16",
                        size - pos);
            return -1;
        }
        uint64_t len = le64(d + pos);
        if (crc_masked(d + pos, 8) != le32(d + pos + 8)) {
            rec_problem(&rc,
                        "length CRC mismatch (length field %" PRIu64
                        ", CRC 0x%08" PRIx32 ", expected 0x%08" PRIx32 ")",
                        len, le32(d + pos + 8), crc_masked(d + pos, 8));
            return -1;
        }
        if (len > size - pos - 16) {
            rec_problem(&rc,
                        "truncated: length %" PRIu64
                        " but only %zu bytes follow the header",
                        len, size - pos - 12);
            return -1;
        }
        const uint8_t *data = d + pos + 12;
        uint32_t want = le32(data + len), got = crc_masked(data, (size_t)len);
        if (want != got)
            rec_problem(&rc,
                        "data CRC mismatch (stored 0x%08" PRIx32
                        ", computed 0x%08" PRIx32 " over %" PRIu64 " bytes)",
                        want, got, len);
        const struct csv_row *row = NULL;
        if (csv && csv->ok) {
            if (base + k < csv->nrows)
                row = &csv->rows[base + k];
            else if (!*csv_reported) {
                rec_problem(&rc, "split row %zu: the CSV has only %zu rows",
                            base + k + 1, csv->nrows);
                *csv_reported = true;
            }
        }
        check_record(&rc, data, (size_t)len, row);
        pos += 16 + (size_t)len;
        k++;
    }
    return (long)k;
}

/* Checks one split: its CSV, its shards, its sums. */
/* The manifest's "failures" (patches skipped under --max-failures). */
static struct json_object *manifest_failures;

/* Drop the rows the manifest lists as skipped for this split from csv;
 * returns how many it lists. */
static size_t drop_failed_rows(const char *split, struct csv *csv)
{
    size_t n = manifest_failures ? json_object_array_length(manifest_failures) : 0;
    size_t listed = 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *f = json_object_array_get_idx(manifest_failures, i);
        const char *name = get_str(f, "split");
        int64_t line;
        if (!name || strcmp(name, split) != 0 || !get_int(f, "line", &line)) {
            if (!name || !get_int(f, "line", &line))
                problem("manifest: failures[%zu] lacks split or line", i);
            continue;
        }
        listed++;
        if (!csv)
            continue;
        size_t k = 0;
        while (k < csv->nrows && csv->rows[k].line != (size_t)line)
            k++;
        if (k == csv->nrows) {
            problem("manifest: failures[%zu]: no row at line %" PRId64
                    " of split %s",
                    i, line, split);
            continue;
        }
        memmove(&csv->rows[k], &csv->rows[k + 1],
                (csv->nrows - k - 1) * sizeof csv->rows[0]);
        csv->nrows--;
    }
    return listed;
}

static void check_split(struct split *s, struct golden *g,
                        uint64_t *records_total)
{
    struct csv csv;
    bool have_csv = false;
    if (s->csv_path) {
        load_csv(s->csv_path, &csv);
        have_csv = csv.ok;
        if (csv.ok && s->input && !s->csv_overridden) {
            /* The manifest's fingerprint of the CSV it read. */
            int64_t v;
            const char *c = get_str(s->input, "crc32c");
            if (get_int(s->input, "bytes", &v) && (uint64_t)v != csv.bytes)
                problem("%s: %zu bytes, the manifest's inputs say %" PRId64,
                        s->csv_path, csv.bytes, v);
            char hex[9];
            snprintf(hex, sizeof hex, "%08" PRIx32, csv.crc);
            if (c && strcmp(c, hex) != 0)
                problem("%s: CRC-32C %s, the manifest's inputs say %s",
                        s->csv_path, hex, c);
        }
        if (!csv.ok)
            free_csv(&csv);
    } else {
        problem("split %s: no CSV to compare with (not in the manifest's "
                "inputs; give --split %s=FILE)",
                s->name, s->name);
    }
    size_t nfailed = drop_failed_rows(s->name, have_csv ? &csv : NULL);
    if (s->input) {
        int64_t rows;
        if (get_int(s->input, "rows", &rows) &&
            rows != s->records + (int64_t)nfailed)
            problem("manifest: inputs.splits %s has %" PRId64
                    " rows, splits.%s has %" PRId64 " records and %zu "
                    "failures",
                    s->name, rows, s->name, s->records, nfailed);
    }
    if (have_csv && (uint64_t)s->records != csv.nrows)
        problem("split %s: %" PRId64 " records in the manifest, %zu rows in %s",
                s->name, s->records, csv.nrows, s->csv_path);

    if (stats_enabled)
        acc_reset();
    int64_t sum_records = 0, sum_bytes = 0;
    size_t base = 0;  /* CSV row of the next shard's first record */
    uint64_t found = 0;
    bool counted = true;
    bool csv_reported = have_csv && (uint64_t)s->records != csv.nrows;
    for (size_t k = 0; k < s->nshards; k++) {
        struct shard *sh = &s->shards[k];
        if (!sh->valid) {
            counted = false;
            if (g->f && g->ok) {
                problem("golden %s: not compared past byte %" PRIu64
                        " (bad manifest entry)",
                        g->path, g->off);
                g->ok = false;
            }
            continue;
        }
        /* With skipped rows, records and rows differ: then only the order
         * of first_row is checked. */
        if (sh->has_first_row && nfailed == 0 &&
            sh->first_row != sum_records + 1)
            problem("%s: manifest first_row %" PRId64 ", expected %" PRId64,
                    sh->path, sh->first_row, sum_records + 1);
        sum_records += sh->records;
        sum_bytes += sh->bytes;
        uint8_t *d;
        size_t size;
        if (read_whole(sh->path, &d, &size) != 0) {
            problem("%s: cannot read the shard: %s", sh->path,
                    strerror(errno));
            base += (size_t)sh->records;
            counted = false;
            if (g->f && g->ok) {
                problem("golden %s: not compared past byte %" PRIu64
                        " (shard %s unreadable)",
                        g->path, g->off, sh->path);
                g->ok = false;
            }
            continue;
        }
        if ((uint64_t)sh->bytes != size)
            problem("%s: %zu bytes, the manifest says %" PRId64, sh->path,
                    size, sh->bytes);
        char hex[9];
        snprintf(hex, sizeof hex, "%08" PRIx32, crc_of(d, size));
        if (strcmp(hex, sh->crc) != 0)
            problem("%s: file CRC-32C %s, the manifest says %s", sh->path, hex,
                    sh->crc);
        golden_feed(g, d, size, sh->path);
        long n = walk_shard(sh, d, size, have_csv ? &csv : NULL, base,
                            &csv_reported);
        if (n < 0) {
            problem("%s: framing broken; record count not verified",
                    sh->path);
            base += (size_t)sh->records;
            counted = false;
        } else {
            if ((int64_t)n != sh->records)
                problem("%s: %ld records, the manifest says %" PRId64,
                        sh->path, n, sh->records);
            base += (size_t)n;
            found += (uint64_t)n;
        }
        free(d);
    }
    if (sum_records != s->records)
        problem("manifest: splits.%s: records %" PRId64
                ", its shards sum to %" PRId64,
                s->name, s->records, sum_records);
    if (sum_bytes != s->bytes)
        problem("manifest: splits.%s: bytes %" PRId64
                ", its shards sum to %" PRId64,
                s->name, s->bytes, sum_bytes);
    if (counted && have_csv && found != csv.nrows &&
        (uint64_t)s->records == csv.nrows)
        problem("split %s: %" PRIu64 " records in its shards, %zu rows in %s",
                s->name, found, csv.nrows, s->csv_path);
    *records_total += found;
    if (stats_enabled) {
        struct json_object *st = NULL;
        json_object_object_get_ex(s->json, "statistics", &st);
        acc_compare(s->name, st);
    }
    if (have_csv)
        free_csv(&csv);
}

/* ------------------------------------------------------------------ */
/* Stray files                                                         */

static int strp_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static void scan_dir(const char *out, const char *rel, char **listed,
                     size_t nlisted)
{
    char *dir = rel ? join_path(out, rel) : xstrdup(out);
    DIR *dp = opendir(dir);
    if (!dp) {
        problem("%s: cannot list the folder: %s", dir, strerror(errno));
        free(dir);
        return;
    }
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *r = rel ? join_path(rel, de->d_name) : xstrdup(de->d_name);
        char *full = join_path(out, r);
        struct stat st;
        bool is_dir = lstat(full, &st) == 0 && S_ISDIR(st.st_mode);
        if (ends_with(de->d_name, ".tmp"))
            problem("%s: temporary file left in the output", full);
        else if (ends_with(de->d_name, ".tfrecord") &&
                 !bsearch(&r, listed, nlisted, sizeof *listed, strp_cmp))
            problem("%s: stray shard file, not in the manifest", full);
        if (is_dir)
            scan_dir(out, r, listed, nlisted);
        free(full);
        free(r);
    }
    closedir(dp);
    free(dir);
}

/* ------------------------------------------------------------------ */
/* Main                                                                */

static void usage(FILE *f)
{
    fputs("Usage: bp-check OUT [--golden FILE] [--sources S1_ROOT S2_ROOT]\n"
          "                    [--labels LABEL_INDICES_JSON] "
          "[--split NAME=FILE ...]\n"
          "\n"
          "Independently decodes and checks ben-prep output in OUT: the\n"
          "manifest, every shard's size, CRC-32C and TFRecord framing, every\n"
          "record's tf.train.Example (18 features, types, counts, labels), the\n"
          "patch names against each split's CSV, and stray files.\n"
          "\n"
          "  --golden FILE        the shards concatenated in manifest order\n"
          "                       must equal FILE byte for byte\n"
          "  --sources S1 S2      compare every pixel and the 19-class labels\n"
          "                       with the source archive (needs --labels)\n"
          "  --labels FILE        label_indices.json (class names and the\n"
          "                       43 -> 19 conversion)\n"
          "  --stats              with --sources: each split's statistics in\n"
          "                       the manifest (band count, mean, std, min,\n"
          "                       max; label counts) match the sources\n"
          "  --split NAME=FILE    use FILE as split NAME's CSV instead of the\n"
          "                       path in the manifest (repeatable)\n"
          "\n"
          "Exit status: 0 all checks pass, 1 problems found, 2 usage error.\n",
          f);
}

static int usage_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bp-check: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    va_end(ap);
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *out = NULL, *golden_path = NULL, *labels_path = NULL;
    struct override *ovr = xmalloc((size_t)argc * sizeof *ovr);
    size_t novr = 0;
    int rc = 2;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            free(ovr);
            return 0;
        } else if (strcmp(a, "--golden") == 0) {
            if (i + 1 >= argc) {
                rc = usage_error("--golden needs a FILE");
                goto done_args;
            }
            golden_path = argv[++i];
        } else if (strcmp(a, "--labels") == 0) {
            if (i + 1 >= argc) {
                rc = usage_error("--labels needs a FILE");
                goto done_args;
            }
            labels_path = argv[++i];
        } else if (strcmp(a, "--stats") == 0) {
            stats_enabled = true;
        } else if (strcmp(a, "--sources") == 0) {
            if (i + 2 >= argc) {
                rc = usage_error("--sources needs S1_ROOT and S2_ROOT");
                goto done_args;
            }
            s1_root = argv[++i];
            s2_root = argv[++i];
        } else if (strcmp(a, "--split") == 0) {
            const char *eq = i + 1 < argc ? strchr(argv[i + 1], '=') : NULL;
            if (!eq || eq == argv[i + 1] || eq[1] == '\0') {
                rc = usage_error("--split needs NAME=FILE");
                goto done_args;
            }
            i++;
            size_t nl = (size_t)(eq - argv[i]);
            ovr[novr].name = xmalloc(nl + 1);
            memcpy(ovr[novr].name, argv[i], nl);
            ovr[novr].name[nl] = '\0';
            ovr[novr].file = eq + 1;
            ovr[novr].used = false;
            novr++;
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = usage_error("unknown option %s", a);
            goto done_args;
        } else if (out) {
            rc = usage_error("more than one output folder (%s, %s)", out, a);
            goto done_args;
        } else {
            out = a;
        }
    }
    if (!out) {
        rc = usage_error("no output folder given");
        goto done_args;
    }
    if (stats_enabled && !s1_root) {
        rc = usage_error("--stats needs --sources S1_ROOT S2_ROOT");
        goto done_args;
    }
    if (s1_root && !labels_path) {
        rc = usage_error("--sources needs --labels LABEL_INDICES_JSON");
        goto done_args;
    }
    rc = 0;
done_args:
    if (rc != 0) {
        for (size_t k = 0; k < novr; k++)
            free(ovr[k].name);
        free(ovr);
        return rc;
    }

    crc_init();
    if (self_test() != 0) {
        fputs("bp-check: internal error: CRC-32C self-test failed\n", stderr);
        return 1;
    }
    for (int i = 0; i < N_CLASSES; i++)
        class_names[i] = DEFAULT_NAMES[i];
    if (labels_path && load_labels(labels_path) != 0) {
        json_object_put(labels_json);
        for (size_t k = 0; k < novr; k++)
            free(ovr[k].name);
        free(ovr);
        return 2;
    }
    if (s1_root) {
        deep_enabled = true;
        GDALRegister_GTiff();
        CPLSetErrorHandler(CPLQuietErrorHandler);
    }

    struct golden g = {golden_path, NULL, 0, true};
    if (golden_path) {
        g.f = fopen(golden_path, "rb");
        if (!g.f) {
            problem("golden %s: cannot open: %s", golden_path,
                    strerror(errno));
            g.ok = false;
        }
    }

    char *mpath = join_path(out, "manifest.json");
    struct json_object *m = json_object_from_file(mpath);
    struct split *splits = NULL;
    long nsplits = -1;
    uint64_t records = 0;
    size_t nshards = 0;
    if (!m)
        problem("%s: cannot read the manifest: %s", mpath,
                json_err());
    else {
        nsplits = read_manifest(mpath, m, out, &splits);
        json_object_object_get_ex(m, "failures", &manifest_failures);
    }

    if (nsplits >= 0) {
        for (size_t k = 0; k < novr; k++) {
            for (long i = 0; i < nsplits; i++)
                if (strcmp(splits[i].name, ovr[k].name) == 0) {
                    splits[i].csv_path = ovr[k].file;
                    splits[i].csv_overridden = true;
                    ovr[k].used = true;
                }
            if (!ovr[k].used)
                problem("--split %s=%s: the manifest has no split %s",
                        ovr[k].name, ovr[k].file, ovr[k].name);
        }
        int64_t sum_records = 0, sum_bytes = 0;
        for (long i = 0; i < nsplits; i++) {
            if (splits[i].valid || splits[i].nshards)
                check_split(&splits[i], &g, &records);
            else if (g.f && g.ok) {
                problem("golden %s: not compared past byte %" PRIu64
                        " (bad manifest entry)",
                        g.path, g.off);
                g.ok = false;
            }
            sum_records += splits[i].records;
            sum_bytes += splits[i].bytes;
            nshards += splits[i].nshards;
        }
        golden_finish(&g);

        struct json_object *totals;
        int64_t tr, ts, tb;
        if (!json_object_object_get_ex(m, "totals", &totals) ||
            !get_int(totals, "records", &tr) ||
            !get_int(totals, "shards", &ts) || !get_int(totals, "bytes", &tb))
            problem("%s: no \"totals\" with records, shards and bytes", mpath);
        else {
            if (tr != sum_records)
                problem("manifest: totals.records %" PRId64
                        ", the splits sum to %" PRId64,
                        tr, sum_records);
            if ((uint64_t)ts != nshards)
                problem("manifest: totals.shards %" PRId64
                        ", the splits list %zu",
                        ts, nshards);
            if (tb != sum_bytes)
                problem("manifest: totals.bytes %" PRId64
                        ", the splits sum to %" PRId64,
                        tb, sum_bytes);
        }

        /* Stray files: every *.tfrecord listed, no *.tmp anywhere. */
        char **listed = xmalloc((nshards ? nshards : 1) * sizeof *listed);
        size_t nl = 0;
        for (long i = 0; i < nsplits; i++)
            for (size_t k = 0; k < splits[i].nshards; k++)
                if (splits[i].shards[k].rel)
                    listed[nl++] = splits[i].shards[k].rel;
        qsort(listed, nl, sizeof *listed, strp_cmp);
        for (size_t k = 1; k < nl; k++)
            if (strcmp(listed[k - 1], listed[k]) == 0)
                problem("manifest: shard %s is listed more than once",
                        listed[k]);
        scan_dir(out, NULL, listed, nl);
        free(listed);
    } else {
        golden_finish(&g);
    }

    if (n_problems == 0) {
        printf("bp-check: OK: %" PRIu64 " records in %zu shards of %ld "
               "splits checked%s%s\n",
               records, nshards, nsplits,
               golden_path ? ", golden identical" : "",
               deep_enabled
                   ? ", deep: every pixel and label matches the sources"
                   : "");
        rc = 0;
    } else {
        if (n_problems > MAX_SHOWN)
            printf("bp-check: ... %lu more problems not shown\n",
                   n_problems - MAX_SHOWN);
        printf("bp-check: FAILED: %lu problem%s\n", n_problems,
               n_problems == 1 ? "" : "s");
        rc = 1;
    }

    for (long i = 0; splits && i < nsplits; i++) {
        for (size_t k = 0; k < splits[i].nshards; k++) {
            free(splits[i].shards[k].rel);
            free(splits[i].shards[k].path);
        }
        free(splits[i].shards);
    }
    free(splits);
    json_object_put(m);
    free(mpath);
    json_object_put(labels_json);
    for (size_t k = 0; k < novr; k++)
        free(ovr[k].name);
    free(ovr);
    if (deep_enabled)
        GDALDestroyDriverManager();
    return rc;
}
