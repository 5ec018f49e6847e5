/*
 * synth.h - internal to ben-synth, the synthetic BigEarthNet-MM archive
 * generator: the limits, the layout of a pair and the run's state, and the
 * functions the generator's files share.
 *
 *   ben_synth.c  the driver: folders, every pair in turn, the summary
 *   options.c    the command line and --help
 *   pair.c       the random keys, and one pair's names, dates, place, labels
 *   pixels.c     the pixels of the S2 bands and of VV and VH
 *   tiff.c       GDAL and the GeoTIFF files
 *   json.c       the label JSON files, in Python json.dumps's format
 *   splits.c     the split files and which split a pair goes to
 *   files.c      paths, folders, whole files, failure messages
 *   tar.c        the roots as GNU tar files, plain or gzip (--archive)
 *
 * Everything the generator writes is a pure function of the number of
 * pairs, the seed and the split weights. Functions that can fail report
 * the failure on stderr, naming the file, and return -1 (0 on success).
 */
#ifndef BENPREP_SYNTH_H
#define BENPREP_SYNTH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <gdal.h>
#include <ogr_srs_api.h>
#include <zlib.h>

#include "benprep/log.h"
#include "common/buf.h"

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

#define PATH_BYTES 4096
#define NAME_BYTES 64

/* The most labels a pair has. */
#define MAX_LABELS 5

/* One S2 band: its name, side in pixels and the range of its ordinary
 * (surface reflectance x 10000) values. */
struct s2_band {
    const char *name;
    int side;
    int lo, hi;
};

#define S2_BANDS 12
extern const struct s2_band s2_bands[S2_BANDS];

/* The Sentinel-2 tiles pairs cycle over (pair.c); each has its own UTM
 * zone, so tiff.c builds one spatial reference per tile. */
#define TILES 5
int tile_zone(int tile);

/* The independent random streams of one pair. */
enum stream {
    STREAM_S2 = 0, /* S2_BANDS streams, one per band */
    STREAM_VV = S2_BANDS,
    STREAM_VH,
    STREAM_LABELS,
    STREAM_FORCED,
    STREAM_SPLIT
};

/* The splitmix64 step added between the values of one stream. */
#define GOLDEN64 0x9E3779B97F4A7C15ULL

struct split {
    char name[MAX_SPLIT_NAME + 1];
    long weight;
    uint64_t bound; /* a pair whose u (0 .. 2^32-1) is below this bound
                       and not below the one before goes here */
    FILE *mm;       /* splits/<name>.csv */
    FILE *s2;       /* splits-s2/<name>.csv */
    long count;
};

/* How the S2 and S1 roots are written (--archive). */
enum archive_kind {
    ARCHIVE_NONE = 0, /* folders */
    ARCHIVE_TAR,      /* DIR/<root>.tar */
    ARCHIVE_GZ        /* DIR/<root>.tar.gz */
};

/* The command line. */
struct options {
    const char *out;
    long patches;
    uint64_t seed;
    int quiet;
    enum archive_kind archive;
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

/* One root being written as a tar file (tar.c). A zeroed one holds
 * nothing to release. */
struct tar_out {
    int fd;
    int gzip;
    int z_open;
    z_stream z;
    unsigned char *in;   /* tar stream gathered, len bytes */
    unsigned char *out;  /* deflate output (gzip) */
    size_t len;
    uint64_t stream;     /* tar stream bytes so far */
    char tmp[PATH_BYTES];   /* DIR/.NAME.tmp while being written */
    char final[PATH_BYTES]; /* DIR/NAME */
};

/* The state of a run: GDAL objects, buffers, paths. A zeroed generator
 * holds nothing to release. */
struct generator {
    struct options *opt;
    GDALDriverH driver;
    OGRSpatialReferenceH srs[TILES];
    char *wkt[TILES];
    uint16_t *s2_pixels;
    float *s1_pixels;
    struct bp_buf json;       /* the text of one JSON file */
    char out[PATH_BYTES];     /* -o without trailing slashes */
    char mm_dir[PATH_BYTES];  /* out/splits */
    char s2_dir[PATH_BYTES];  /* out/splits-s2 */
    char s2_root[PATH_BYTES];
    char s1_root[PATH_BYTES];
    char path[PATH_BYTES];    /* scratch: the file being written */
    uint64_t seed_key;
    struct tar_out tar[2];    /* --archive: the S2 and the S1 root */
};

/* options.c: parse the command line into *opt. Returns -1 to run, 0 after
 * --help or --version, or 2 after a usage error (printed). */
int parse_args(int argc, char **argv, struct options *opt);

/* pair.c: the splitmix64 finaliser, the key of the run's seed, of pair
 * index and of one random stream of a pair. */
uint64_t mix64(uint64_t z);
uint64_t seed_key(uint64_t seed);
uint64_t pair_key(const struct generator *g, long index);
uint64_t stream_key(uint64_t pkey, int stream);
/* Names, dates, location and labels of pair index. */
void make_pair(const struct generator *g, long index, struct pair *p);

/* pixels.c: the pixels of S2 band number band of pair index (pkey its
 * key), and of VV (polarisation 0) or VH (1). */
void fill_s2_band(uint64_t pkey, int band, long index, uint16_t *pixels);
void fill_s1_band(uint64_t pkey, int polarisation, float *pixels);

/* tiff.c: GDAL's GeoTIFF driver and a spatial reference per tile, set up
 * once; cleanup_gdal accepts a generator whose setup failed half way. */
int setup_gdal(struct generator *g);
void cleanup_gdal(struct generator *g);
/* One single-band striped GeoTIFF of side x side pixels of type, covering
 * pair p's square, written to path. */
int write_tiff(struct generator *g, const char *path, int side,
               GDALDataType type, const void *pixels, int strip_rows,
               const struct pair *p);

/* json.c: the label JSON file of the S2 and of the S1 patch of p. */
int write_s2_json(struct generator *g, const struct pair *p);
int write_s1_json(struct generator *g, const struct pair *p);

/* splits.c: create the split folders and files; add pair index's rows to
 * its split; close them all (a failed close is reported with report set). */
int open_splits(struct generator *g);
int add_split_rows(struct generator *g, long index, const struct pair *p);
int close_splits(struct generator *g, int report);

/* files.c */
/* Report a run-time failure on path and return -1. */
int fail_path(const char *path, const char *fmt, ...) BP_PRINTF(2, 3);
/* Create one folder; an existing folder is fine. */
int make_dir(const char *path);
/* dst (PATH_BYTES) = a/b/c + d (d is a suffix, NULL pieces are left
 * out). */
int join_path(char *dst, const char *a, const char *b, const char *c,
              const char *d);
/* Write len bytes to a new file at path, replacing an old one. */
int write_file(const char *path, const char *data, size_t len);
/* A patch folder or file at path under one of the roots: created on disk,
 * or, with --archive, added to that root's tar file as its member (path
 * less "DIR/"). */
int put_dir(struct generator *g, const char *path);
int put_file(struct generator *g, const char *path, const char *data,
             size_t len);

/* tar.c: start DIR/NAME (written as DIR/.NAME.tmp until tar_finish), plain
 * or gzip; add a folder member (NAME/) or a file member; finish (end
 * blocks, fsync, rename); close, removing an unfinished file (accepts a
 * zeroed or closed one). */
int tar_open(struct tar_out *t, const char *dir, const char *name, int gzip);
int tar_add_dir(struct tar_out *t, const char *name);
int tar_add_file(struct tar_out *t, const char *name, const void *data,
                 size_t len);
int tar_finish(struct tar_out *t);
void tar_close(struct tar_out *t);

#endif
