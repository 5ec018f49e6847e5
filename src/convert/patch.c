/* patch.c - reading one patch pair: each file read whole, bands decoded
 * directly or by GDAL from memory, labels parsed, failures named with the
 * file; and --update_json's rewrite of the S1 JSON (see benprep/patch.h). */
#include "benprep/patch.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gdal_frmts.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "common/fsutil.h"
#include "common/gdalutil.h"
#include "convert/tiff.h"

const char *const bp_s2_band_names[BP_S2_BANDS] = {
    "B01", "B02", "B03", "B04", "B05", "B06",
    "B07", "B08", "B09", "B11", "B12", "B8A"};
const int bp_s2_band_sides[BP_S2_BANDS] = {20, 120, 120, 120, 60, 60,
                                           60, 120, 20,  60,  60, 60};

/* No input file of a patch is anywhere near this size; a bigger one is
 * rejected as not a BigEarthNet file rather than read. */
#define FILE_BUFFER_BYTES (1u << 20)

struct bp_reader {
    char *root_s1;
    char *root_s2;
    unsigned char *file;    /* FILE_BUFFER_BYTES: the file being decoded */
    uint16_t *s2[BP_S2_BANDS];
    float *vv, *vh;
    struct bp_label_parser *labels;
    char vsi_name[64];      /* this reader's /vsimem/ file name */
    char message[512];      /* GDAL's last error, as gdal_message() shows it */
    int gdal_only;          /* decode every band through GDAL */
    char path[4096];
    /* The S1 JSON of the last pair read (it is read last, so r->file still
     * holds it): its size, and what it says of BigEarthNet_19_labels. */
    size_t json_len;
    int json_has_19;  /* the key is present... */
    int json_19_same; /* ...with exactly the pair's 19-class names */
    const char *json_19_differs; /* ...or what it holds instead */
};

struct bp_reader *bp_reader_new(const char *root_s1, const char *root_s2)
{
    bp_gdal_setup();
    struct bp_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->root_s1 = strdup(root_s1 ? root_s1 : "");
    r->root_s2 = strdup(root_s2 ? root_s2 : "");
    r->file = malloc(FILE_BUFFER_BYTES);
    r->vv = malloc(sizeof(float) * BP_S1_SIDE * BP_S1_SIDE);
    r->vh = malloc(sizeof(float) * BP_S1_SIDE * BP_S1_SIDE);
    r->labels = bp_label_parser_new();
    int ok = r->root_s1 && r->root_s2 && r->file && r->vv && r->vh && r->labels;
    for (int b = 0; b < BP_S2_BANDS; b++) {
        size_t side = (size_t)bp_s2_band_sides[b];
        r->s2[b] = malloc(sizeof(uint16_t) * side * side);
        ok = ok && r->s2[b];
    }
    /* One name per reader object, so readers never share a /vsimem/ file. */
    snprintf(r->vsi_name, sizeof r->vsi_name, "/vsimem/ben-prep-%p.tif",
             (void *)r);
    if (!ok) {
        bp_reader_free(r);
        return NULL;
    }
    return r;
}

void bp_reader_use_gdal_only(struct bp_reader *r, int on)
{
    r->gdal_only = on;
}

void bp_reader_free(struct bp_reader *r)
{
    if (!r)
        return;
    free(r->root_s1);
    free(r->root_s2);
    free(r->file);
    free(r->vv);
    free(r->vh);
    for (int b = 0; b < BP_S2_BANDS; b++)
        free(r->s2[b]);
    bp_label_parser_free(r->labels);
    free(r);
}

static int fail(struct bp_failure *why, const char *file, const char *fmt,
                ...) __attribute__((format(printf, 3, 4)));

static int fail(struct bp_failure *why, const char *file, const char *fmt,
                ...)
{
    snprintf(why->file, sizeof why->file, "%s", file);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->reason, sizeof why->reason, fmt, ap);
    va_end(ap);
    return BP_INPUT;
}

/* GDAL's last error message, naming the file instead of the memory file. */
static const char *gdal_message(struct bp_reader *r)
{
    return bp_gdal_message(r->message, sizeof r->message, r->vsi_name,
                           r->path);
}

/* Read the file at r->path whole into r->file and its size into *len: open
 * (never blocking), fstat, read, close. Only a regular file is read: a FIFO,
 * socket, device or folder, also behind a symlink, is refused (a FIFO would
 * otherwise hold the rank until the job's time limit). fstat's size lets
 * the read that returns it end the reading, so a file costs four system
 * calls, as many as open, read, read (end of file), close. Returns BP_OK;
 * BP_INPUT with *why filled in; or BP_INTERRUPTED when a signal cut a
 * system call short (the file may be fine: it is no bad patch). */
static int read_whole(struct bp_reader *r, size_t *len,
                      struct bp_failure *why)
{
    struct stat st;
    const char *kind;
    *len = 0;
    int fd = bp_open_regular(r->path, &st, &kind);
    if (fd < 0) {
        int err = errno;
        if (kind) {
            fail(why, r->path, "not a regular file but %s", kind);
            return BP_INPUT;
        }
        if (err == EINTR) {
            fail(why, r->path, "open interrupted by a signal");
            return BP_INTERRUPTED;
        }
        if (err == ENOENT) {
            /* Off the hot path: say whether the whole folder is missing. */
            char *slash = strrchr(r->path, '/');
            if (slash) {
                *slash = '\0';
                int folder_missing = stat(r->path, &st) != 0;
                if (folder_missing) {
                    fail(why, r->path, "patch folder not found");
                    *slash = '/';
                    return BP_INPUT;
                }
                *slash = '/';
            }
            fail(why, r->path, "file not found");
            return BP_INPUT;
        }
        fail(why, r->path, "cannot open: %s", strerror(err));
        return BP_INPUT;
    }
    int rc = BP_OK;
    if (st.st_size >= (off_t)FILE_BUFFER_BYTES) {
        fail(why, r->path,
             "file of %lld bytes, larger than %u: not a BigEarthNet patch file",
             (long long)st.st_size, FILE_BUFFER_BYTES);
        rc = BP_INPUT;
        goto out;
    }
    for (;;) {
        size_t want = FILE_BUFFER_BYTES - *len;
        ssize_t n = read(fd, r->file + *len, want);
        if (n < 0) {
            int interrupted = errno == EINTR;
            fail(why, r->path, "read %s: %s",
                 interrupted ? "interrupted by a signal" : "error",
                 strerror(errno));
            rc = interrupted ? BP_INTERRUPTED : BP_INPUT;
            goto out;
        }
        *len += (size_t)n;
        if (*len == FILE_BUFFER_BYTES) {
            fail(why, r->path,
                 "file larger than %u bytes: not a BigEarthNet patch file",
                 FILE_BUFFER_BYTES);
            rc = BP_INPUT;
            goto out;
        }
        /* A short read of a regular file ends at its end: done once it
         * gave all fstat announced (a file system may return less). */
        if (n == 0 || ((size_t)n < want && *len >= (size_t)st.st_size))
            break;
    }
out:
    close(fd);
    return rc;
}

static const char *gdal_type_name(GDALDataType t)
{
    const char *s = GDALGetDataTypeName(t);
    return s ? s : "unknown";
}

/* Decode the single band of the GeoTIFF in r->file[0..len) into dst.
 * Checks: one band, side x side pixels, the expected pixel type. */
static int decode_band(struct bp_reader *r, size_t len, int side,
                       GDALDataType type, void *dst, struct bp_failure *why)
{
    static const char *const no_siblings[] = {NULL};
    static const char *const gtiff_only[] = {"GTiff", NULL};
    int rc = BP_INPUT;
    if (len < 8 || !((r->file[0] == 'I' && r->file[1] == 'I') ||
                     (r->file[0] == 'M' && r->file[1] == 'M')))
        return fail(why, r->path, "not a TIFF file (%zu bytes)", len);
    VSILFILE *mem = VSIFileFromMemBuffer(r->vsi_name, r->file, (vsi_l_offset)len,
                                         FALSE);
    if (!mem)
        return fail(why, r->path, "GDAL cannot map the file in memory");
    VSIFCloseL(mem);
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(r->vsi_name, GDAL_OF_RASTER | GDAL_OF_READONLY,
                                 gtiff_only, NULL, no_siblings);
    if (!ds) {
        fail(why, r->path, "GDAL cannot open it as a GeoTIFF: %s",
             gdal_message(r));
        goto out;
    }
    int bands = GDALGetRasterCount(ds);
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
    if (bands != 1) {
        fail(why, r->path, "%d bands, expected 1", bands);
        goto out;
    }
    if (w != side || h != side) {
        fail(why, r->path, "band is %dx%d pixels, expected %dx%d", w, h, side,
             side);
        goto out;
    }
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    GDALDataType t = GDALGetRasterDataType(band);
    if (t != type) {
        fail(why, r->path, "pixel type %s, expected %s", gdal_type_name(t),
             gdal_type_name(type));
        goto out;
    }
    if (GDALRasterIO(band, GF_Read, 0, 0, side, side, dst, side, side, type, 0,
                     0) != CE_None) {
        fail(why, r->path, "cannot decode the pixels: %s", gdal_message(r));
        goto out;
    }
    rc = BP_OK;
out:
    if (ds)
        GDALClose(ds);
    VSIUnlink(r->vsi_name);
    return rc;
}

/* Labels of the S1 JSON in r->file[0..len) into multi_hot. */
static int parse_labels(struct bp_reader *r, size_t len, const char *s2_name,
                        uint8_t multi_hot[BP_LABELS19], struct bp_failure *why)
{
    struct bp_label_json info;
    char reason[sizeof why->reason];
    if (bp_label_parse_json(r->labels, (const char *)r->file, len, s2_name,
                            &info, reason, sizeof reason) != 0)
        return fail(why, r->path, "%s", reason);
    memcpy(multi_hot, info.multi_hot, BP_LABELS19);
    r->json_has_19 = info.has_19;
    r->json_19_same = info.same_19;
    r->json_19_differs = info.differs_19;
    r->json_len = len;
    return BP_OK;
}

/* Compose r->path = root/name/name<suffix>; fails if it does not fit. */
static int make_path(struct bp_reader *r, const char *root, const char *name,
                     const char *suffix, struct bp_failure *why)
{
    int n = snprintf(r->path, sizeof r->path, "%s/%s/%s%s", root, name, name,
                     suffix);
    if (n < 0 || (size_t)n >= sizeof r->path)
        return fail(why, name, "path under %s is too long", root);
    return BP_OK;
}

static int read_band(struct bp_reader *r, const char *root, const char *name,
                     const char *suffix, int side, GDALDataType type,
                     void *dst, struct bp_failure *why)
{
    size_t len;
    int rc = make_path(r, root, name, suffix, why);
    if (rc == BP_OK)
        rc = read_whole(r, &len, why);
    if (rc != BP_OK)
        return rc;
    enum bp_tiff_sample sample =
        type == GDT_UInt16 ? BP_TIFF_UINT16 : BP_TIFF_FLOAT32;
    if (!r->gdal_only && bp_tiff_decode_simple(r->file, len, side, sample, dst))
        return BP_OK;
    return decode_band(r, len, side, type, dst, why);
}

/* Read and parse the label JSON of patch name under root; s2_name as for
 * parse_labels. */
static int read_labels(struct bp_reader *r, const char *root, const char *name,
                       const char *s2_name, uint8_t multi_hot[BP_LABELS19],
                       struct bp_failure *why)
{
    size_t len;
    int rc = make_path(r, root, name, "_labels_metadata.json", why);
    if (rc == BP_OK)
        rc = read_whole(r, &len, why);
    if (rc != BP_OK)
        return rc;
    return parse_labels(r, len, s2_name, multi_hot, why);
}

int bp_reader_read(struct bp_reader *r, const char *s2_name,
                   const char *s1_name, struct bp_pair *out,
                   struct bp_failure *why)
{
    char suffix[16];
    int rc;
    out->s2_name = s2_name;
    out->s1_name = s1_name;
    for (int b = 0; b < BP_S2_BANDS; b++) {
        snprintf(suffix, sizeof suffix, "_%s.tif", bp_s2_band_names[b]);
        rc = read_band(r, r->root_s2, s2_name, suffix, bp_s2_band_sides[b],
                       GDT_UInt16, r->s2[b], why);
        if (rc != BP_OK)
            return rc;
        out->s2[b] = r->s2[b];
    }
    if (!s1_name || !*s1_name) {
        /* S2 only: the labels come from the S2 patch's JSON. */
        out->s1_name = NULL;
        out->vv = out->vh = NULL;
        return read_labels(r, r->root_s2, s2_name, NULL, out->multi_hot, why);
    }
    rc = read_band(r, r->root_s1, s1_name, "_VV.tif", BP_S1_SIDE, GDT_Float32,
                   r->vv, why);
    if (rc == BP_OK)
        rc = read_band(r, r->root_s1, s1_name, "_VH.tif", BP_S1_SIDE,
                       GDT_Float32, r->vh, why);
    if (rc != BP_OK)
        return rc;
    out->vv = r->vv;
    out->vh = r->vh;
    return read_labels(r, r->root_s1, s1_name, s2_name, out->multi_hot, why);
}

int bp_reader_update_json(struct bp_reader *r, const struct bp_pair *pair,
                          struct bp_failure *why)
{
    /* r->path and r->file still hold the S1 JSON read last. */
    if (r->json_has_19) {
        if (r->json_19_same)
            return BP_OK;
        return fail(why, r->path,
                    "already has BigEarthNet_19_labels, and it is %s, not "
                    "the names of its labels",
                    r->json_19_differs);
    }
    size_t end = r->json_len;
    while (end > 0 && (r->file[end - 1] == ' ' || r->file[end - 1] == '\n' ||
                       r->file[end - 1] == '\r' || r->file[end - 1] == '\t'))
        end--;
    if (end == 0 || r->file[end - 1] != '}')
        return fail(why, r->path, "JSON object does not end with '}'");
    end--;
    /* The addition, as json.dumps writes it: ", " and ": " separators. */
    char add[32 + BP_LABELS19 * (BP_LABEL19_NAME_MAX + 4)];
    size_t n = (size_t)snprintf(add, sizeof add, ", \"BigEarthNet_19_labels\": [");
    int first = 1;
    for (int i = 0; i < BP_LABELS19; i++) {
        if (!pair->multi_hot[i])
            continue;
        n += (size_t)snprintf(add + n, sizeof add - n, "%s\"%s\"",
                              first ? "" : ", ", bp_labels19_names[i]);
        first = 0;
    }
    n += (size_t)snprintf(add + n, sizeof add - n, "]}");

    /* A symlink stays a link: its target is updated, as the reference's
     * open of the path for writing would write it. */
    char target[PATH_MAX];
    const char *dest = r->path;
    struct stat st;
    if (lstat(r->path, &st) != 0)
        return fail(why, r->path, "cannot stat: %s", strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        if (!realpath(r->path, target) || stat(target, &st) != 0) {
            fail(why, r->path, "cannot follow the symlink to update its "
                 "target: %s", strerror(errno));
            return BP_OUTPUT;
        }
        dest = target;
    }
    char tmp[PATH_MAX + 16];
    const char *slash = strrchr(dest, '/');
    const char *base = slash ? slash + 1 : dest;
    int dirlen = slash ? (int)(slash - dest) : 1;
    snprintf(tmp, sizeof tmp, "%.*s/.%s.tmp", dirlen, slash ? dest : ".",
             base);
    /* Failing to write the archive is an output error: it is never skipped
     * as a bad patch (the patch itself is fine). The temporary file is made
     * anew (O_EXCL): whatever a crash left under its name, even a FIFO or
     * a symlink, is removed, never opened. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        fail(why, r->path, "cannot write a new version beside %s: %s", dest,
             strerror(errno));
        return BP_OUTPUT;
    }
    int ok = fchmod(fd, st.st_mode & 07777) == 0 &&
             bp_write_all(fd, r->file, end) == 0 &&
             bp_write_all(fd, (const unsigned char *)add, n) == 0 &&
             fsync(fd) == 0;
    int err = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    if (ok && rename(tmp, dest) != 0) {
        ok = 0;
        err = errno;
    }
    if (!ok) {
        unlink(tmp);
        fail(why, r->path, "cannot update %s: %s", dest, strerror(err));
        return BP_OUTPUT;
    }
    return BP_OK;
}
