/*
 * ben_synth.c - ben-synth, the synthetic BigEarthNet-MM archive generator.
 *
 * It writes an archive in the layout of BigEarthNet v1.0 (S2) and
 * BigEarthNet-S1 v1.0: one folder per patch with striped, uncompressed,
 * single-band GeoTIFFs in UTM (UInt16 for the 12 S2 bands, Float32 for VV
 * and VH), a JSON metadata file per patch in the archive's exact format,
 * and split files (S2+S1 pairs and S2 only, CRLF). Everything it writes is
 * a pure function of the number of pairs, the seed and the split weights,
 * so two runs with the same arguments give byte-identical trees. The
 * demo, the tests and the benchmarks of ben-prep use it.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include "benprep/labels.h"
#include <gdal.h>
#include <gdal_frmts.h>
#include <ogr_srs_api.h>

#define SYNTH_VERSION "0.1.0"

/* These are the limits of the command line. */
#define MAX_PATCHES 10000000L
#define MAX_SPLITS 64
#define MAX_SPLIT_NAME 64
#define MAX_WEIGHT 1000000L

/* Every patch covers 1200 m x 1200 m; these are its pixel grids. */
#define PATCH_METRES 1200
#define S1_SIDE 120
#define S2_MAX_SIDE 120
/* Rows per strip of the 120x120 bands; smaller bands have one strip. */
#define S2_STRIP_ROWS 34
#define S1_STRIP_ROWS 17

/* Patches per (tile, date) group: i and j run over 0..99. */
#define GROUP_PATCHES 10000L
/* Groups of one tile are laid out this many 100x100 blocks wide. */
#define GROUP_COLUMNS 5

#define PATH_BYTES 4096
/* GDAL composes each GeoTIFF in memory under this name; the bytes are
 * then written to the real file with one open, write and close. */
#define MEM_TIFF "/vsimem/ben-synth.tif"

#define NAME_BYTES 64

/* The 43 BigEarthNet (CORINE) class names come from ben-prep's built-in
 * table (benprep/labels.h), which its unit tests hold equal to
 * label_indices.json. */
#define LABELS43 BP_LABELS43

/* The 43-class indices that have no 19-class label (3-10, 30, 32, 37),
 * and the 32 that have one. */
#define DROPPED_LABELS 11
static const int dropped_labels[DROPPED_LABELS] = {3,  4,  5,  6,  7, 8,
                                                   9, 10, 30, 32, 37};
#define KEPT_LABELS 32
static const int kept_labels[KEPT_LABELS] = {
    0,  1,  2,  11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
    24, 25, 26, 27, 28, 29, 31, 33, 34, 35, 36, 38, 39, 40, 41, 42};

/* Number of labels of a pair: 1 to 5, with these weights out of 100. */
static const int label_count_weights[5] = {25, 30, 25, 12, 8};
/* Percent chance that a further label is one of the dropped classes. */
#define DROPPED_LABEL_PERCENT 8
#define MAX_LABELS 5

/* One S2 band: its name, side in pixels and the range of its ordinary
 * (surface reflectance x 10000) values. */
struct s2_band {
    const char *name;
    int side;
    int lo, hi;
};

#define S2_BANDS 12
static const struct s2_band s2_bands[S2_BANDS] = {
    {"B01", 20, 200, 2000},   {"B02", 120, 300, 2500},
    {"B03", 120, 300, 3000},  {"B04", 120, 200, 4000},
    {"B05", 60, 500, 4500},   {"B06", 60, 800, 6000},
    {"B07", 60, 800, 7000},   {"B08", 120, 800, 8000},
    {"B09", 20, 800, 8000},   {"B11", 60, 500, 6000},
    {"B12", 60, 300, 5000},   {"B8A", 60, 800, 8000},
};
/* The band that carries a saturated 65535 pixel in every fifth pair. */
#define SATURATED_BAND 7
#define SATURATED_EVERY 5

/* A Sentinel-2 tile and the acquisitions of its first date group. Later
 * groups of the same tile are one day later each, with the same times. */
struct tile {
    const char *id;       /* MGRS tile, e.g. "33UUP" */
    int zone;             /* UTM zone, north: EPSG 326<zone> */
    int year, month, day; /* S2 date of the first group */
    int hh, mm, ss;       /* S2 sensing time; hh < 10 prints 5 digits */
    int short_time;       /* 1: the name's time field has 5 digits */
    const char *baseline; /* processing baseline, e.g. "N0205" */
    int rel_orbit;        /* S2 relative orbit, "R022" */
    int proc_hh, proc_mm, proc_ss; /* time of the L1C product */
    int s1_day_offset;    /* S1 date = S2 date + this many days */
    int s1_hh, s1_mm, s1_ss;       /* S1 start time, before 23:59 */
    long s1_orbit;        /* absolute orbit of the first group */
    long s1_datatake;     /* mission data take of the first group */
    long ulx0, uly0;      /* upper-left corner of the first patch */
};

#define TILES 5
static const struct tile tiles[TILES] = {
    {"33UUP", 33, 2017, 6, 13, 10, 10, 31, 0, "N0205", 22, 10, 16, 8, 0, 16,
     50, 43, 17018, 0x01C579, 204000, 5342400},
    {"29UPU", 29, 2017, 6, 17, 11, 33, 21, 0, "N0205", 80, 11, 33, 19, 0, 6,
     47, 24, 17070, 0x01C718, 243600, 5834400},
    {"35VPK", 35, 2017, 9, 24, 9, 30, 20, 1, "N0205", 136, 9, 31, 32, 1, 4,
     32, 56, 18527, 0x01F38C, 222000, 6970800},
    {"31UFS", 31, 2017, 10, 16, 10, 50, 31, 0, "N0206", 51, 10, 52, 4, 1, 5,
     42, 11, 18821, 0x01FC3A, 256800, 5652000},
    {"34VER", 34, 2018, 2, 4, 9, 40, 31, 1, "N0206", 36, 11, 58, 9, 1, 4,
     39, 21, 20467, 0x022FF0, 230400, 6624000},
};

/* Seconds between the start and the stop of an S1 scene. */
#define S1_SCENE_SECONDS 25

/* Constants of the splitmix64 generator and the stream separation. */
#define GOLDEN64 0x9E3779B97F4A7C15ULL
#define GOLDEN32 0x9E3779B9U
#define SEED_SALT 0x5EED0BE4C4A5E7ULL
#define STREAM_MUL 0xD6E8FEB86659FD93ULL

/* The independent random streams of one pair. */
enum stream {
    STREAM_S2 = 0,              /* S2_BANDS streams, one per band */
    STREAM_VV = S2_BANDS,
    STREAM_VH,
    STREAM_LABELS,
    STREAM_FORCED,
    STREAM_SPLIT
};

struct split {
    char name[MAX_SPLIT_NAME + 1];
    long weight;
    uint64_t bound;     /* a pair whose u (0 .. 2^32-1) is below this bound
                           and not below the one before goes here */
    FILE *mm;           /* splits/<name>.csv */
    FILE *s2;           /* splits-s2/<name>.csv */
    long count;
};

struct options {
    const char *out;
    long patches;
    uint64_t seed;
    int quiet;
    int nsplits;
    struct split splits[MAX_SPLITS];
};

/* What the generator needs of one pair besides its pixels. */
struct pair {
    char s2_name[NAME_BYTES];
    char s1_name[NAME_BYTES];
    char tile_source[128];
    char scene_source[128];
    char s2_date[32]; /* "YYYY-MM-DD HH:MM:SS" */
    char s1_time[32]; /* "YYYY-MM-DDTHH:MM:SS" */
    int tile;
    long ulx, uly;
    int labels[MAX_LABELS];
    int nlabels;
};

/* A growable string for the JSON text. */
struct strbuf {
    char *data;
    size_t len, cap;
    int failed; /* an allocation failed: the content is incomplete */
};

/* The GeoTIFF creation options of a band with strips of some rows. */
struct tiff_options {
    char block[32];
    const char *list[8];
};

/* The state of a run: GDAL objects, buffers, paths. */
struct generator {
    struct options *opt;
    GDALDriverH driver;
    OGRSpatialReferenceH srs[TILES];
    char *wkt[TILES];
    uint16_t *s2_pixels;
    float *s1_pixels;
    struct strbuf json;
    char out[PATH_BYTES];     /* -o without trailing slashes */
    char mm_dir[PATH_BYTES];  /* out/splits */
    char s2_dir[PATH_BYTES];  /* out/splits-s2 */
    char s2_root[PATH_BYTES];
    char s1_root[PATH_BYTES];
    char path[PATH_BYTES];
    uint64_t seed_key;
};

static uint64_t mix64(uint64_t z);
static uint64_t pair_key(const struct generator *g, long index);
static uint64_t stream_key(uint64_t pkey, int stream);
static void print_usage(FILE *out);
static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int parse_long(const char *text, long lo, long hi, long *value);
static int parse_seed(const char *text, uint64_t *value);
static int parse_split(const char *text, struct options *opt);
static int parse_args(int argc, char **argv, struct options *opt);
static int fail_path(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *gdal_reason(void);
static int make_dirs(const char *path);
static int make_dir(const char *path);
static int join_path(char *dst, const char *a, const char *b, const char *c,
                     const char *d);
static int days_in_month(int y, int m);
static void add_days(int *y, int *m, int *d, long n);
static void sb_reserve(struct strbuf *sb, size_t extra);
static void sb_putn(struct strbuf *sb, const char *s, size_t n);
static void sb_puts(struct strbuf *sb, const char *s);
static void sb_printf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_json_string(struct strbuf *sb, const char *s);
static void make_pair(const struct generator *g, long index, struct pair *p);
static void pick_labels(uint64_t key, struct pair *p);
static void fill_s2_band(uint64_t pkey, int band, long index,
                         uint16_t *pixels);
static void fill_s1_band(uint64_t pkey, int polarisation, float *pixels);
static void tiff_options_init(struct tiff_options *t, int strip_rows);
static int write_tiff(struct generator *g, const char *path, int side,
                      GDALDataType type, const void *pixels, int strip_rows,
                      const struct pair *p);
static int write_file(const char *path, const char *data, size_t len);
static void json_labels(struct strbuf *sb, const struct pair *p);
static int write_s2_json(struct generator *g, const struct pair *p);
static int write_s1_json(struct generator *g, const struct pair *p);
static int write_pair(struct generator *g, long index);
static int open_splits(struct generator *g);
static int close_splits(struct generator *g, int report);
static int choose_split(const struct generator *g, long index);
static int setup_gdal(struct generator *g);
static void cleanup_gdal(struct generator *g);
static double now_seconds(void);

/* ---------------------------------------------------------------------
 * Randomness: splitmix64, keyed by (seed, pair, stream).
 */

/* The splitmix64 finaliser: a bijective 64-bit mix with good avalanche. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The key of pair index under the run's seed. */
static uint64_t pair_key(const struct generator *g, long index)
{
    return mix64(g->seed_key + GOLDEN64 * ((uint64_t)index + 1));
}

/* The key of one random stream of a pair. */
static uint64_t stream_key(uint64_t pkey, int stream)
{
    return mix64(pkey ^ (STREAM_MUL * ((uint64_t)stream + 1)));
}

/* ---------------------------------------------------------------------
 * Command line.
 */

static void print_usage(FILE *out)
{
    fputs(
        "Usage: ben-synth -o DIR [-n N] [--seed S] [--split NAME=WEIGHT ...] "
        "[-q]\n"
        "\n"
        "Write a synthetic BigEarthNet-MM archive: N pairs of S2 and S1 patch\n"
        "folders with GeoTIFF bands and JSON metadata in the real archive's\n"
        "format, and split files in the layout ben-prep reads.\n"
        "\n"
        "  -o, --out DIR           output folder (created if missing); writes\n"
        "                          DIR/BigEarthNet-v1.0/, "
        "DIR/BigEarthNet-S1-v1.0/,\n"
        "                          DIR/splits/NAME.csv (S2name,S1name rows) "
        "and\n"
        "                          DIR/splits-s2/NAME.csv (S2 names), CRLF\n"
        "  -n, --patches N         number of patch pairs, 1 to 10000000 "
        "(default 100)\n"
        "      --seed S            seed, 0 to 18446744073709551615 "
        "(default 1)\n"
        "      --split NAME=WEIGHT a split and its integer weight (0 to "
        "1000000);\n"
        "                          repeat for several; default train=60 "
        "val=20\n"
        "                          test=20. NAME: letters, digits, '_' and "
        "'-'\n"
        "  -q, --quiet             print nothing on success\n"
        "  -h, --help              show this help and exit\n"
        "      --version           show the version and exit\n"
        "\n"
        "The output is a pure function of N, the seed and the splits: the "
        "same\n"
        "arguments give byte-identical files. Files of an earlier run in DIR "
        "are\n"
        "overwritten, but files it wrote for pairs beyond N are left in "
        "place.\n"
        "Exit status: 0 done, 1 a file could not be written, 2 usage "
        "error.\n",
        out);
}

/* Print a usage error and return 2, the usage exit status. */
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("ben-synth: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'ben-synth --help' for more information.\n", stderr);
    return 2;
}

/* Parse a whole decimal integer in [lo, hi]. Returns 0 on success. */
static int parse_long(const char *text, long lo, long hi, long *value)
{
    char *end = NULL;
    /* strtol would skip leading white space: a value starts with a sign
     * or a digit. */
    if (text[0] != '-' && text[0] != '+' && (text[0] < '0' || text[0] > '9'))
        return -1;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || v < lo || v > hi)
        return -1;
    *value = v;
    return 0;
}

/* Parse a whole unsigned decimal 64-bit integer (no sign). */
static int parse_seed(const char *text, uint64_t *value)
{
    char *end = NULL;
    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *value = (uint64_t)v;
    return 0;
}

/* Parse one NAME=WEIGHT and append it to opt->splits. Returns 0, or the
 * usage exit status after printing the error. */
static int parse_split(const char *text, struct options *opt)
{
    const char *eq = strchr(text, '=');
    if (!eq)
        return usage_error("invalid split '%s' (expected NAME=WEIGHT)", text);
    size_t len = (size_t)(eq - text);
    if (len == 0 || len > MAX_SPLIT_NAME)
        return usage_error("invalid split name in '%s' (1 to %d characters)",
                           text, MAX_SPLIT_NAME);
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok)
            return usage_error("invalid split name in '%s' (letters, digits, "
                               "'_' and '-' only)",
                               text);
    }
    long weight;
    if (parse_long(eq + 1, 0, MAX_WEIGHT, &weight) != 0)
        return usage_error("invalid split weight in '%s' (expected an "
                           "integer from 0 to %ld)",
                           text, MAX_WEIGHT);
    for (int i = 0; i < opt->nsplits; i++) {
        if (strlen(opt->splits[i].name) == len &&
            memcmp(opt->splits[i].name, text, len) == 0)
            return usage_error("split '%.*s' given twice ('%s')", (int)len,
                               text, text);
    }
    if (opt->nsplits == MAX_SPLITS)
        return usage_error("too many splits at '%s' (at most %d)", text,
                           MAX_SPLITS);
    struct split *s = &opt->splits[opt->nsplits++];
    memcpy(s->name, text, len);
    s->name[len] = '\0';
    s->weight = weight;
    return 0;
}

/* Parse the command line into *opt. Returns -1 to run, 0 after --help or
 * --version, or 2 after a usage error. */
static int parse_args(int argc, char **argv, struct options *opt)
{
    static const struct {
        const char *name;
        long weight;
    } default_splits[] = {{"train", 60}, {"val", 20}, {"test", 20}};
    memset(opt, 0, sizeof *opt);
    opt->patches = 100;
    opt->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        const char *eq = NULL;
        char name[32];
        /* Long options may carry their value after '='. */
        if (strncmp(arg, "--", 2) == 0 && (eq = strchr(arg, '=')) != NULL &&
            (size_t)(eq - arg) < sizeof name) {
            memcpy(name, arg, (size_t)(eq - arg));
            name[eq - arg] = '\0';
            value = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg);
            if (strlen(arg) >= sizeof name)
                return usage_error("unknown option '%s'", arg);
        }
        int takes_value = !strcmp(name, "-o") || !strcmp(name, "--out") ||
                          !strcmp(name, "-n") || !strcmp(name, "--patches") ||
                          !strcmp(name, "--seed") || !strcmp(name, "--split");
        if (takes_value && !value) {
            if (i + 1 >= argc)
                return usage_error("option '%s' needs a value", arg);
            value = argv[++i];
        } else if (!takes_value && value) {
            return usage_error("option '%s' takes no value", arg);
        }
        if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
            print_usage(stdout);
            return 0;
        } else if (!strcmp(name, "--version")) {
            puts("ben-synth " SYNTH_VERSION);
            return 0;
        } else if (!strcmp(name, "-q") || !strcmp(name, "--quiet")) {
            opt->quiet = 1;
        } else if (!strcmp(name, "-o") || !strcmp(name, "--out")) {
            if (value[0] == '\0')
                return usage_error("empty output folder for '%s'", name);
            opt->out = value;
        } else if (!strcmp(name, "-n") || !strcmp(name, "--patches")) {
            if (parse_long(value, 1, MAX_PATCHES, &opt->patches) != 0)
                return usage_error("invalid number of patches '%s' (expected "
                                   "an integer from 1 to %ld)",
                                   value, MAX_PATCHES);
        } else if (!strcmp(name, "--seed")) {
            if (parse_seed(value, &opt->seed) != 0)
                return usage_error("invalid seed '%s' (expected an integer "
                                   "from 0 to 18446744073709551615)",
                                   value);
        } else if (!strcmp(name, "--split")) {
            int rc = parse_split(value, opt);
            if (rc != 0)
                return rc;
        } else if (arg[0] == '-') {
            return usage_error("unknown option '%s'", arg);
        } else {
            return usage_error("unexpected argument '%s'", arg);
        }
    }
    if (!opt->out)
        return usage_error("missing the output folder (-o DIR)");
    if (opt->nsplits == 0) {
        for (size_t i = 0; i < sizeof default_splits / sizeof default_splits[0];
             i++) {
            struct split *s = &opt->splits[opt->nsplits++];
            snprintf(s->name, sizeof s->name, "%s", default_splits[i].name);
            s->weight = default_splits[i].weight;
        }
    }
    long total = 0;
    for (int i = 0; i < opt->nsplits; i++)
        total += opt->splits[i].weight;
    if (total == 0)
        return usage_error("the split weights add up to 0");
    /* Bounds on a 32-bit scale: split i takes the fraction
     * weight_i / total of the unit interval, in command-line order; the
     * last bound is 2^32, so every pair finds a split. */
    long cumulative = 0;
    for (int i = 0; i < opt->nsplits; i++) {
        cumulative += opt->splits[i].weight;
        opt->splits[i].bound =
            ((uint64_t)cumulative << 32) / (uint64_t)total;
    }
    return -1;
}

/* ---------------------------------------------------------------------
 * Files and folders.
 */

/* Report a run-time failure on path and return -1. */
static int fail_path(const char *path, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ben-synth: %s: ", path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

/* GDAL's last error message, or a stand-in when it left none. */
static const char *gdal_reason(void)
{
    const char *msg = CPLGetLastErrorMsg();
    return msg && msg[0] ? msg : "GDAL reported no reason";
}

/* Create one folder; an existing folder is fine. */
static int make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0)
        return 0;
    int err = errno;
    struct stat st;
    if (err == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    if (err == EEXIST)
        return fail_path(path, "exists and is not a folder");
    return fail_path(path, "cannot create the folder: %s", strerror(err));
}

/* Create a folder and its missing parents, like mkdir -p. */
static int make_dirs(const char *path)
{
    char buf[PATH_BYTES];
    size_t len = strlen(path);
    if (len >= sizeof buf)
        return fail_path(path, "path too long");
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i < len; i++) {
        if (buf[i] != '/' || buf[i - 1] == '/')
            continue;
        buf[i] = '\0';
        if (make_dir(buf) != 0)
            return -1;
        buf[i] = '/';
    }
    return make_dir(buf);
}

/* dst = a/b/c + d (d is a suffix, NULL pieces are left out). */
static int join_path(char *dst, const char *a, const char *b, const char *c,
                     const char *d)
{
    int n = snprintf(dst, PATH_BYTES, "%s%s%s%s%s%s", a, b ? "/" : "",
                     b ? b : "", c ? "/" : "", c ? c : "", d ? d : "");
    if (n < 0 || n >= PATH_BYTES)
        return fail_path(a, "path under this folder is too long");
    return 0;
}

/* Write len bytes to a new file at path, replacing an old one. */
static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return fail_path(path, "cannot create: %s", strerror(errno));
    int rc = 0;
    if (fwrite(data, 1, len, f) != len)
        rc = fail_path(path, "write error: %s", strerror(errno));
    if (fclose(f) != 0 && rc == 0)
        rc = fail_path(path, "write error: %s", strerror(errno));
    return rc;
}

/* ---------------------------------------------------------------------
 * Dates.
 */

/* The number of days of a month of the Gregorian calendar. */
static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

/* Move the date *y-*m-*d forward by n >= 0 days, a month at a time. */
static void add_days(int *y, int *m, int *d, long n)
{
    while (n > 0) {
        long left = days_in_month(*y, *m) - *d; /* days after *d this month */
        if (n <= left) {
            *d += (int)n;
            return;
        }
        n -= left + 1;
        *d = 1;
        if (++*m > 12) {
            *m = 1;
            ++*y;
        }
    }
}

/* ---------------------------------------------------------------------
 * JSON text. json-c cannot write Python json.dumps's default spacing
 * (", " and ": "), so the files are composed here.
 */

static void sb_reserve(struct strbuf *sb, size_t extra)
{
    if (sb->failed || sb->len + extra + 1 <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 4096;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *p = realloc(sb->data, cap);
    if (!p) {
        sb->failed = 1;
        return;
    }
    sb->data = p;
    sb->cap = cap;
}

static void sb_putn(struct strbuf *sb, const char *s, size_t n)
{
    sb_reserve(sb, n);
    if (sb->failed)
        return;
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

static void sb_puts(struct strbuf *sb, const char *s)
{
    sb_putn(sb, s, strlen(s));
}

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        /* Only short numbers and names are formatted this way. */
        sb->failed = 1;
        return;
    }
    sb_putn(sb, tmp, (size_t)n);
}

/* Append s as a JSON string the way Python's json.dumps does by default
 * (ensure_ascii): '"' and '\' escaped, \n \r \t \b \f short, every other
 * byte outside ' '..'~' as \uXXXX (lower-case hex, UTF-16 surrogate pairs
 * above U+FFFF). A byte that is not valid UTF-8 is taken as Latin-1. */
static void sb_json_string(struct strbuf *sb, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    sb_putn(sb, "\"", 1);
    while (*p) {
        unsigned c = *p;
        if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
            const unsigned char *run = p;
            while (*p >= 0x20 && *p <= 0x7e && *p != '"' && *p != '\\')
                p++;
            sb_putn(sb, (const char *)run, (size_t)(p - run));
            continue;
        }
        switch (c) {
        case '"': sb_puts(sb, "\\\""); p++; continue;
        case '\\': sb_puts(sb, "\\\\"); p++; continue;
        case '\n': sb_puts(sb, "\\n"); p++; continue;
        case '\r': sb_puts(sb, "\\r"); p++; continue;
        case '\t': sb_puts(sb, "\\t"); p++; continue;
        case '\b': sb_puts(sb, "\\b"); p++; continue;
        case '\f': sb_puts(sb, "\\f"); p++; continue;
        default: break;
        }
        /* Decode one UTF-8 sequence, or take the byte alone. */
        unsigned long cp = c;
        size_t n = 1;
        if (c >= 0xc2 && c <= 0xdf && (p[1] & 0xc0) == 0x80) {
            cp = ((c & 0x1fUL) << 6) | (p[1] & 0x3fUL);
            n = 2;
        } else if (c >= 0xe0 && c <= 0xef && (p[1] & 0xc0) == 0x80 &&
                   (p[2] & 0xc0) == 0x80) {
            cp = ((c & 0x0fUL) << 12) | ((p[1] & 0x3fUL) << 6) |
                 (p[2] & 0x3fUL);
            n = cp >= 0x800 ? 3 : 1;
            if (n == 1)
                cp = c;
        } else if (c >= 0xf0 && c <= 0xf4 && (p[1] & 0xc0) == 0x80 &&
                   (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80) {
            cp = ((c & 0x07UL) << 18) | ((p[1] & 0x3fUL) << 12) |
                 ((p[2] & 0x3fUL) << 6) | (p[3] & 0x3fUL);
            n = cp >= 0x10000 && cp <= 0x10ffff ? 4 : 1;
            if (n == 1)
                cp = c;
        }
        if (cp >= 0x10000) {
            unsigned long v = cp - 0x10000;
            sb_printf(sb, "\\u%04lx\\u%04lx", 0xd800 + (v >> 10),
                      0xdc00 + (v & 0x3ff));
        } else {
            sb_printf(sb, "\\u%04lx", cp);
        }
        p += n;
    }
    sb_putn(sb, "\"", 1);
}

/* ---------------------------------------------------------------------
 * One pair: names, metadata, labels, pixels.
 */

/* Names, dates, location and labels of pair index. Pairs cycle over the
 * tiles; within a tile, each run of 10000 pairs is one date group with
 * patch numbers i_j = 0_0 .. 99_99, and each later group is one day later
 * and one 100x100-patch block further on, so every name and every
 * location within a UTM zone is unique. */
static void make_pair(const struct generator *g, long index, struct pair *p)
{
    memset(p, 0, sizeof *p);
    p->tile = (int)(index % TILES);
    const struct tile *t = &tiles[p->tile];
    long k = index / TILES;
    long group = k / GROUP_PATCHES;
    long within = k % GROUP_PATCHES;
    long i = within / 100, j = within % 100;

    int y = t->year, m = t->month, d = t->day;
    add_days(&y, &m, &d, group);
    int s1y = y, s1m = m, s1d = d;
    add_days(&s1y, &s1m, &s1d, t->s1_day_offset);

    char time_field[8];
    if (t->short_time)
        snprintf(time_field, sizeof time_field, "%d%02d%02d", t->hh, t->mm,
                 t->ss);
    else
        snprintf(time_field, sizeof time_field, "%02d%02d%02d", t->hh, t->mm,
                 t->ss);
    snprintf(p->s2_name, sizeof p->s2_name,
             "S2A_MSIL2A_%04d%02d%02dT%s_%ld_%ld", y, m, d, time_field, i, j);
    snprintf(p->s1_name, sizeof p->s1_name,
             "S1A_IW_GRDH_1SDV_%04d%02d%02dT%02d%02d%02d_%s_%ld_%ld", s1y, s1m,
             s1d, t->s1_hh, t->s1_mm, t->s1_ss, t->id, i, j);
    snprintf(p->tile_source, sizeof p->tile_source,
             "S2A_MSIL1C_%04d%02d%02dT%s_%s_R%03d_T%s_%04d%02d%02dT%02d%02d%02d"
             ".SAFE",
             y, m, d, time_field, t->baseline, t->rel_orbit, t->id, y, m, d,
             t->proc_hh, t->proc_mm, t->proc_ss);
    snprintf(p->s2_date, sizeof p->s2_date, "%04d-%02d-%02d %02d:%02d:%02d", y,
             m, d, t->hh, t->mm, t->ss);
    snprintf(p->s1_time, sizeof p->s1_time, "%04d-%02d-%02dT%02d:%02d:%02d",
             s1y, s1m, s1d, t->s1_hh, t->s1_mm, t->s1_ss);

    /* The scene: start and stop time, absolute orbit (about 15 a day),
     * data take and a product id, all from the tile and the group. */
    int stop = t->s1_hh * 3600 + t->s1_mm * 60 + t->s1_ss + S1_SCENE_SECONDS;
    long orbit = (t->s1_orbit + group * 15) % 1000000;
    long datatake = (t->s1_datatake + group * 0x3F1) % 0x1000000;
    unsigned product = (unsigned)(mix64(((uint64_t)p->tile << 32 |
                                         (uint64_t)group) + GOLDEN64) &
                                  0xFFFF);
    snprintf(p->scene_source, sizeof p->scene_source,
             "S1A_IW_GRDH_1SDV_%04d%02d%02dT%02d%02d%02d_%04d%02d%02dT%02d%02d"
             "%02d_%06ld_%06lX_%04X",
             s1y, s1m, s1d, t->s1_hh, t->s1_mm, t->s1_ss, s1y, s1m, s1d,
             stop / 3600, stop / 60 % 60, stop % 60, orbit, datatake, product);

    long col = j + 100 * (group % GROUP_COLUMNS);
    long row = i + 100 * (group / GROUP_COLUMNS);
    p->ulx = t->ulx0 + col * PATCH_METRES;
    p->uly = t->uly0 - row * PATCH_METRES;

    pick_labels(stream_key(pair_key(g, index), STREAM_LABELS), p);
}

/* 1 to 5 distinct labels in increasing index order; the first is always
 * one with a 19-class label, a further one is now and then a class that
 * has none. */
static void pick_labels(uint64_t key, struct pair *p)
{
    int used[LABELS43] = {0};
    uint64_t state = key;
    uint64_t h = mix64(state += GOLDEN64);
    int count = 1, roll = (int)(h % 100), acc = 0;
    for (int c = 0; c < MAX_LABELS; c++) {
        acc += label_count_weights[c];
        if (roll < acc) {
            count = c + 1;
            break;
        }
    }
    for (int n = 0; n < count; n++) {
        h = mix64(state += GOLDEN64);
        int dropped = n > 0 && (int)((h >> 32) % 100) < DROPPED_LABEL_PERCENT;
        const int *list = dropped ? dropped_labels : kept_labels;
        int len = dropped ? DROPPED_LABELS : KEPT_LABELS;
        /* Probe forward from a random start: both lists are longer than
         * the labels of a pair, so a free class is always found. */
        int at = (int)((uint32_t)h % (uint32_t)len);
        while (used[list[at]])
            at = (at + 1) % len;
        used[list[at]] = 1;
    }
    p->nlabels = 0;
    for (int c = 0; c < LABELS43; c++)
        if (used[c])
            p->labels[p->nlabels++] = c;
}

/* The pixels of S2 band number band of a pair: mostly ordinary values of
 * the band's range (128..16383: two-byte varints), about 5% below 128
 * (one byte) and 3% from 16384 to 20000 (three bytes). Every band has a 0
 * and a value >= 16384 at random places, and B08 of every fifth pair one
 * saturated 65535. */
static void fill_s2_band(uint64_t pkey, int band, long index,
                         uint16_t *pixels)
{
    const struct s2_band *b = &s2_bands[band];
    size_t npix = (size_t)b->side * (size_t)b->side;
    uint64_t base = stream_key(pkey, STREAM_S2 + band);
    uint32_t span = (uint32_t)(b->hi - b->lo);
    for (size_t x = 0; x < npix; x++) {
        uint64_t h = mix64(base + GOLDEN64 * (x + 1));
        uint32_t sel = (uint32_t)(h >> 54); /* 0..1023 */
        uint32_t v = (uint32_t)h;
        if (sel < 51)
            pixels[x] = (uint16_t)(v % 128);
        else if (sel < 82)
            pixels[x] = (uint16_t)(16384 + v % 3617);
        else
            pixels[x] = (uint16_t)((uint32_t)b->lo + v % span);
    }
    /* Three distinct forced places, a third of the band apart. */
    uint64_t f = mix64(stream_key(pkey, STREAM_FORCED) + (uint64_t)band);
    size_t at = (size_t)(f % npix);
    pixels[at] = 0;
    pixels[(at + npix / 3) % npix] = (uint16_t)(16384 + (f >> 32) % 3617);
    if (band == SATURATED_BAND && index % SATURATED_EVERY == 0)
        pixels[(at + 2 * (npix / 3)) % npix] = 65535;
}

/* The pixels of VV (polarisation 0) or VH (1): backscatter in dB, about
 * 1% exactly 0.0, 3% from 0 to +10, the rest negative, VV from -35 and VH
 * from -40 dB, peaked in the middle of the range. One random pixel of each
 * band is 0.0. */
static void fill_s1_band(uint64_t pkey, int polarisation, float *pixels)
{
    size_t npix = (size_t)S1_SIDE * S1_SIDE;
    uint64_t base = stream_key(pkey, STREAM_VV + polarisation);
    double lo = polarisation == 0 ? -35.0 : -40.0;
    double hi = polarisation == 0 ? 0.0 : -5.0;
    for (size_t x = 0; x < npix; x++) {
        uint64_t h = mix64(base + GOLDEN64 * (x + 1));
        uint32_t sel = (uint32_t)(h >> 54);
        double a = (double)((h >> 24) & 0xFFFFFF);
        double b = (double)(h & 0xFFFFFF);
        if (sel < 10) {
            pixels[x] = 0.0f;
        } else if (sel < 41) {
            pixels[x] = (float)(10.0 * a / 16777216.0);
        } else {
            /* The mean of two uniforms: a triangular distribution. */
            double t = (a + b) / 33554432.0;
            pixels[x] = (float)(lo + (hi - lo) * t);
        }
    }
    uint64_t f = mix64(stream_key(pkey, STREAM_FORCED) + 100u +
                       (uint64_t)polarisation);
    pixels[f % npix] = 0.0f;
}

/* Uncompressed little-endian classic TIFF, one band, strips of
 * strip_rows rows, and no world file. */
static void tiff_options_init(struct tiff_options *t, int strip_rows)
{
    static const char *const fixed[] = {
        "TILED=NO", "INTERLEAVE=BAND", "COMPRESS=NONE", "TFW=NO",
        "BIGTIFF=NO", "ENDIANNESS=LITTLE"};
    size_t n = 0;
    snprintf(t->block, sizeof t->block, "BLOCKYSIZE=%d", strip_rows);
    t->list[n++] = t->block;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        t->list[n++] = fixed[i];
    t->list[n] = NULL;
}

/* Write one single-band striped GeoTIFF covering the pair's 1200 m
 * square to path. GDAL composes the file in memory (MEM_TIFF), which
 * spares the target file system GDAL's probing, seeking and rewriting;
 * the finished bytes then go to path in one write. */
static int write_tiff(struct generator *g, const char *path, int side,
                      GDALDataType type, const void *pixels, int strip_rows,
                      const struct pair *p)
{
    struct tiff_options options;
    tiff_options_init(&options, strip_rows);
    double pixel = (double)PATCH_METRES / side;
    double gt[6] = {(double)p->ulx, pixel, 0.0, (double)p->uly, 0.0, -pixel};
    int rc = -1;

    CPLErrorReset();
    GDALDatasetH ds = GDALCreate(g->driver, MEM_TIFF, side, side, 1, type,
                                 (CSLConstList)options.list);
    if (!ds) {
        fail_path(path, "cannot create the GeoTIFF: %s", gdal_reason());
        goto out;
    }
    if (GDALSetGeoTransform(ds, gt) != CE_None) {
        fail_path(path, "cannot set the geotransform: %s", gdal_reason());
        goto out;
    }
    if (GDALSetSpatialRef(ds, g->srs[p->tile]) != CE_None) {
        fail_path(path, "cannot set the projection: %s", gdal_reason());
        goto out;
    }
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    if (!band || GDALRasterIO(band, GF_Write, 0, 0, side, side, (void *)pixels,
                              side, side, type, 0, 0) != CE_None) {
        fail_path(path, "cannot write the pixels: %s", gdal_reason());
        goto out;
    }
    rc = 0;
out:
    if (ds) {
        /* Closing writes the strips and the directory: check it too. */
        CPLErrorReset();
        GDALClose(ds);
        if (CPLGetLastErrorType() >= CE_Failure && rc == 0)
            rc = fail_path(path, "cannot finish the GeoTIFF: %s",
                           gdal_reason());
    }
    if (rc == 0) {
        vsi_l_offset len = 0;
        GByte *bytes = VSIGetMemFileBuffer(MEM_TIFF, &len, FALSE);
        if (!bytes)
            rc = fail_path(path, "GDAL lost the GeoTIFF in memory");
        else
            rc = write_file(path, (const char *)bytes, (size_t)len);
    }
    VSIUnlink(MEM_TIFF);
    return rc;
}

/* The "labels" array of a pair. */
static void json_labels(struct strbuf *sb, const struct pair *p)
{
    sb_puts(sb, "{\"labels\": [");
    for (int n = 0; n < p->nlabels; n++) {
        if (n)
            sb_puts(sb, ", ");
        sb_json_string(sb, bp_labels43_names[p->labels[n]]);
    }
    sb_puts(sb, "], ");
}

static int write_s2_json(struct generator *g, const struct pair *p)
{
    struct strbuf *sb = &g->json;
    sb->len = 0;
    json_labels(sb, p);
    sb_printf(sb,
              "\"coordinates\": {\"ulx\": %ld, \"uly\": %ld, \"lrx\": %ld, "
              "\"lry\": %ld}, \"projection\": ",
              p->ulx, p->uly, p->ulx + PATCH_METRES, p->uly - PATCH_METRES);
    sb_json_string(sb, g->wkt[p->tile]);
    sb_puts(sb, ", \"tile_source\": ");
    sb_json_string(sb, p->tile_source);
    sb_puts(sb, ", \"acquisition_date\": ");
    sb_json_string(sb, p->s2_date);
    sb_puts(sb, "}");
    if (join_path(g->path, g->s2_root, p->s2_name, p->s2_name,
                  "_labels_metadata.json") != 0)
        return -1;
    if (sb->failed)
        return fail_path(g->path, "out of memory");
    return write_file(g->path, sb->data, sb->len);
}

static int write_s1_json(struct generator *g, const struct pair *p)
{
    struct strbuf *sb = &g->json;
    sb->len = 0;
    json_labels(sb, p);
    /* The S1 files of the archive really name the last corner "lly". */
    sb_printf(sb,
              "\"coordinates\": {\"ulx\": %ld, \"uly\": %ld, \"lrx\": %ld, "
              "\"lly\": %ld}, \"projection\": ",
              p->ulx, p->uly, p->ulx + PATCH_METRES, p->uly - PATCH_METRES);
    sb_json_string(sb, g->wkt[p->tile]);
    sb_puts(sb, ", \"corresponding_s2_patch\": ");
    sb_json_string(sb, p->s2_name);
    sb_puts(sb, ", \"scene_source\": ");
    sb_json_string(sb, p->scene_source);
    sb_puts(sb, ", \"acquisition_time\": ");
    sb_json_string(sb, p->s1_time);
    sb_puts(sb, "}");
    if (join_path(g->path, g->s1_root, p->s1_name, p->s1_name,
                  "_labels_metadata.json") != 0)
        return -1;
    if (sb->failed)
        return fail_path(g->path, "out of memory");
    return write_file(g->path, sb->data, sb->len);
}

/* Both patch folders of pair index and their rows in the split files. */
static int write_pair(struct generator *g, long index)
{
    struct pair p;
    make_pair(g, index, &p);
    uint64_t pkey = pair_key(g, index);
    char suffix[16];

    if (join_path(g->path, g->s2_root, p.s2_name, NULL, NULL) != 0 ||
        make_dir(g->path) != 0)
        return -1;
    for (int b = 0; b < S2_BANDS; b++) {
        int side = s2_bands[b].side;
        fill_s2_band(pkey, b, index, g->s2_pixels);
        snprintf(suffix, sizeof suffix, "_%s.tif", s2_bands[b].name);
        if (join_path(g->path, g->s2_root, p.s2_name, p.s2_name, suffix) != 0 ||
            write_tiff(g, g->path, side, GDT_UInt16, g->s2_pixels,
                       side == S2_MAX_SIDE ? S2_STRIP_ROWS : side, &p) != 0)
            return -1;
    }
    if (write_s2_json(g, &p) != 0)
        return -1;

    if (join_path(g->path, g->s1_root, p.s1_name, NULL, NULL) != 0 ||
        make_dir(g->path) != 0)
        return -1;
    static const char *const pol_suffix[2] = {"_VV.tif", "_VH.tif"};
    for (int pol = 0; pol < 2; pol++) {
        fill_s1_band(pkey, pol, g->s1_pixels);
        if (join_path(g->path, g->s1_root, p.s1_name, p.s1_name,
                      pol_suffix[pol]) != 0 ||
            write_tiff(g, g->path, S1_SIDE, GDT_Float32, g->s1_pixels,
                       S1_STRIP_ROWS, &p) != 0)
            return -1;
    }
    if (write_s1_json(g, &p) != 0)
        return -1;

    struct split *s = &g->opt->splits[choose_split(g, index)];
    const char *failed = NULL;
    if (fprintf(s->mm, "%s,%s\r\n", p.s2_name, p.s1_name) < 0)
        failed = g->mm_dir;
    else if (fprintf(s->s2, "%s\r\n", p.s2_name) < 0)
        failed = g->s2_dir;
    if (failed) {
        int err = errno;
        if (join_path(g->path, failed, s->name, NULL, ".csv") != 0)
            return -1;
        return fail_path(g->path, "write error: %s", strerror(err));
    }
    s->count++;
    return 0;
}

/* ---------------------------------------------------------------------
 * Splits.
 */

/* The split of pair index: a golden-ratio (Weyl) sequence with a
 * seed-dependent start, cut at the cumulative weights. Its low
 * discrepancy keeps every split's share within a few pairs of its
 * weight, for any N. */
static int choose_split(const struct generator *g, long index)
{
    uint32_t start = (uint32_t)stream_key(g->seed_key, STREAM_SPLIT);
    uint32_t u = start + (uint32_t)index * GOLDEN32;
    const struct options *opt = g->opt;
    for (int i = 0; i < opt->nsplits; i++)
        if ((uint64_t)u < opt->splits[i].bound)
            return i;
    return opt->nsplits - 1; /* not reached: the last bound is 2^32 */
}

/* Create the split folders and open both files of every split. */
static int open_splits(struct generator *g)
{
    if (join_path(g->mm_dir, g->out, "splits", NULL, NULL) != 0 ||
        join_path(g->s2_dir, g->out, "splits-s2", NULL, NULL) != 0 ||
        make_dir(g->mm_dir) != 0 || make_dir(g->s2_dir) != 0)
        return -1;
    for (int i = 0; i < g->opt->nsplits; i++) {
        struct split *s = &g->opt->splits[i];
        if (join_path(g->path, g->mm_dir, s->name, NULL, ".csv") != 0)
            return -1;
        s->mm = fopen(g->path, "wb");
        if (!s->mm)
            return fail_path(g->path, "cannot create: %s", strerror(errno));
        if (join_path(g->path, g->s2_dir, s->name, NULL, ".csv") != 0)
            return -1;
        s->s2 = fopen(g->path, "wb");
        if (!s->s2)
            return fail_path(g->path, "cannot create: %s", strerror(errno));
    }
    return 0;
}

/* Close every open split file. With report set, a failed close (the
 * last buffered rows could not be written) is reported as an error. */
static int close_splits(struct generator *g, int report)
{
    int rc = 0;
    for (int i = 0; i < g->opt->nsplits; i++) {
        struct split *s = &g->opt->splits[i];
        FILE *files[2] = {s->mm, s->s2};
        const char *dirs[2] = {g->mm_dir, g->s2_dir};
        for (int f = 0; f < 2; f++) {
            if (!files[f] || fclose(files[f]) == 0 || !report || rc != 0)
                continue;
            int err = errno;
            rc = -1;
            if (join_path(g->path, dirs[f], s->name, NULL, ".csv") == 0)
                fail_path(g->path, "write error: %s", strerror(err));
        }
        s->mm = s->s2 = NULL;
    }
    return rc;
}

/* ---------------------------------------------------------------------
 * GDAL.
 */

/* Register the GeoTIFF driver only, turn off side files and build the
 * spatial reference and its WKT once per tile (each tile has its own
 * zone). GDAL's messages are kept quiet: failures are reported here with
 * their file. */
static int setup_gdal(struct generator *g)
{
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
    GDALRegister_GTiff();
    g->driver = GDALGetDriverByName("GTiff");
    if (!g->driver)
        return fail_path("GTiff", "GDAL has no GeoTIFF driver");
    /* Check the creation options of every strip size once here, instead
     * of GDAL parsing the driver's option list again for every file. */
    static const int strip_rows[] = {S2_STRIP_ROWS, 60, 20, S1_STRIP_ROWS};
    for (size_t i = 0; i < sizeof strip_rows / sizeof strip_rows[0]; i++) {
        struct tiff_options t;
        tiff_options_init(&t, strip_rows[i]);
        CPLErrorReset();
        if (!GDALValidateCreationOptions(g->driver, (CSLConstList)t.list))
            return fail_path("GTiff", "GDAL rejects the creation options: %s",
                             gdal_reason());
    }
    CPLSetConfigOption("GDAL_VALIDATE_CREATION_OPTIONS", "NO");
    for (int t = 0; t < TILES; t++) {
        int epsg = 32600 + tiles[t].zone;
        char what[32];
        snprintf(what, sizeof what, "EPSG:%d", epsg);
        CPLErrorReset();
        g->srs[t] = OSRNewSpatialReference(NULL);
        if (!g->srs[t] || OSRImportFromEPSG(g->srs[t], epsg) != OGRERR_NONE)
            return fail_path(what, "GDAL cannot build the projection: %s",
                             gdal_reason());
        if (OSRExportToWkt(g->srs[t], &g->wkt[t]) != OGRERR_NONE ||
            !g->wkt[t])
            return fail_path(what, "GDAL cannot export the projection: %s",
                             gdal_reason());
    }
    return 0;
}

static void cleanup_gdal(struct generator *g)
{
    for (int t = 0; t < TILES; t++) {
        CPLFree(g->wkt[t]);
        if (g->srs[t])
            OSRDestroySpatialReference(g->srs[t]);
    }
    /* Pop the handler first: tearing GDAL down frees its error state. */
    CPLPopErrorHandler();
    GDALDestroyDriverManager();
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct options opt;
    struct generator g;
    int rc = parse_args(argc, argv, &opt);
    if (rc >= 0)
        return rc;

    rc = 1;
    double start = now_seconds();
    memset(&g, 0, sizeof g);
    g.opt = &opt;
    g.seed_key = mix64(opt.seed ^ SEED_SALT);

    if (setup_gdal(&g) != 0)
        goto out;
    g.s2_pixels = malloc(sizeof(uint16_t) * S2_MAX_SIDE * S2_MAX_SIDE);
    g.s1_pixels = malloc(sizeof(float) * S1_SIDE * S1_SIDE);
    if (!g.s2_pixels || !g.s1_pixels) {
        fail_path(opt.out, "out of memory");
        goto out;
    }
    /* Paths are joined to the folder without its trailing slashes. */
    size_t out_len = strlen(opt.out);
    while (out_len > 1 && opt.out[out_len - 1] == '/')
        out_len--;
    if (out_len >= sizeof g.out) {
        fail_path(opt.out, "path too long");
        goto out;
    }
    memcpy(g.out, opt.out, out_len);
    g.out[out_len] = '\0';
    if (make_dirs(g.out) != 0 ||
        join_path(g.s2_root, g.out, "BigEarthNet-v1.0", NULL, NULL) != 0 ||
        join_path(g.s1_root, g.out, "BigEarthNet-S1-v1.0", NULL, NULL) != 0 ||
        make_dir(g.s2_root) != 0 || make_dir(g.s1_root) != 0 ||
        open_splits(&g) != 0)
        goto out;
    for (long index = 0; index < opt.patches; index++)
        if (write_pair(&g, index) != 0)
            goto out;
    if (close_splits(&g, 1) != 0)
        goto out;

    if (!opt.quiet) {
        printf("ben-synth: wrote %ld patch pairs under %s (", opt.patches,
               opt.out);
        for (int i = 0; i < opt.nsplits; i++)
            printf("%s%s %ld", i ? ", " : "", opt.splits[i].name,
                   opt.splits[i].count);
        printf(") in %.2f s\n", now_seconds() - start);
        if (fflush(stdout) != 0) {
            fail_path("standard output", "write error: %s", strerror(errno));
            goto out;
        }
    }
    rc = 0;
out:
    close_splits(&g, 0);
    free(g.s2_pixels);
    free(g.s1_pixels);
    free(g.json.data);
    cleanup_gdal(&g);
    return rc;
}
