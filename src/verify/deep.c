/*
 * deep.c - "verify --deep": a record that decoded without problems against
 * its source patch, every pixel and every label.
 *
 * Nothing here uses the converter's reader (patch.c, tiff.c) or its label
 * parser and class table (labels.c): bands are decoded by plain GDAL calls,
 * the label JSON is parsed below with json-c, and the 43 -> 19 conversion
 * is the verifier's own table (classes.c), so a bug in any of those cannot
 * hide behind a verifier sharing it. GDAL's library settings (drivers, no
 * sidecar files) come from bp_gdal_setup, its error text from
 * bp_gdal_message. A root that is a tar or gzip archive is read through
 * its index (benprep_archive, the same reader the converter uses for the
 * bytes, not for decoding): a member's bytes are decoded by GDAL from
 * memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>

#include "benprep/archive.h"
#include "benprep/status.h"
#include "common/gdalutil.h"
#include "common/stop.h"
#include "verify/verify_int.h"

/* The sources of one record, decoded here. */
struct vf_deep {
    uint16_t *band[VF_BANDS];
    float *sar[VF_SAR]; /* MM records */
    char *json;         /* VF_JSON_MAX_BYTES */
    json_tokener *tok;
    struct bp_archive *archive[2]; /* the S1 and S2 roots, when archives */
    unsigned char *file;           /* a band member, when an archive */
    char vsi[64];                  /* its /vsimem/ name */
};

/* Open the archive roots of opt with their indexes (found by the run).
 * 0, or -1 (logged by the reader). */
static int open_archives(struct vf_deep *d, const struct bp_verify_options *o)
{
    const char *roots[2] = {o->s1_root, o->s2_root};
    const char *index[2] = {o->s1_index, o->s2_index};
    for (int i = 0; i < 2; i++) {
        if (!roots[i] || !index[i] || !index[i][0])
            continue;
        if (bp_archive_open(roots[i], index[i], &d->archive[i]) != BP_OK)
            return -1;
        if (!d->file && !(d->file = malloc(BP_ARCHIVE_MEMBER_LIMIT)))
            return -1;
    }
    snprintf(d->vsi, sizeof d->vsi, "/vsimem/ben-prep-verify-%p.tif",
             (void *)d);
    return 0;
}

struct vf_deep *vf_deep_new(const struct vf_schema *s,
                            const struct bp_verify_options *o)
{
    struct vf_deep *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    bp_gdal_setup(); /* library settings only: decoding stays here */
    size_t pixels = 0;
    for (size_t i = 0; i < s->nfields; i++)
        if (s->fields[i].kind == VF_KIND_BAND)
            pixels += s->fields[i].count;
    d->tok = json_tokener_new();
    d->json = malloc(VF_JSON_MAX_BYTES);
    d->band[0] = malloc(pixels * sizeof(uint16_t));
    if (!s->s2_only)
        d->sar[0] = malloc((size_t)VF_SAR * VF_SAR_PIXELS * sizeof(float));
    if (!d->tok || !d->json || !d->band[0] || (!s->s2_only && !d->sar[0]) ||
        open_archives(d, o) != 0) {
        vf_deep_free(d);
        return NULL;
    }
    /* Slot b's pixels follow those of slots 0..b-1 (fields in slot order). */
    for (int b = 1; b < VF_BANDS; b++)
        d->band[b] = d->band[b - 1] + s->fields[b - 1].count;
    if (d->sar[0])
        d->sar[1] = d->sar[0] + VF_SAR_PIXELS;
    return d;
}

void vf_deep_free(struct vf_deep *d)
{
    if (!d)
        return;
    free(d->band[0]);
    free(d->sar[0]);
    free(d->json);
    free(d->file);
    bp_archive_close(d->archive[0]);
    bp_archive_close(d->archive[1]);
    if (d->tok)
        json_tokener_free(d->tok);
    free(d);
}

/* The member <name>/<name><suffix> of the archive root into buf[0..cap),
 * its name as "ARCHIVE:TOP/MEMBER" into shown. Returns its length, or -1
 * with reason. */
static long read_member(struct bp_archive *a, const char *root,
                        const char *name, const char *suffix, void *buf,
                        size_t cap, char *shown, size_t shownsz,
                        char *reason, size_t size)
{
    char member[1024];
    struct bp_failure why;
    size_t len;
    snprintf(member, sizeof member, "%s/%s%s", name, name, suffix);
    snprintf(shown, shownsz, "%s:%s/%s", root, bp_archive_top(a), member);
    if (bp_archive_read(a, member, buf, cap, &len, &why) != BP_OK) {
        snprintf(reason, size, "%s", why.reason);
        return -1;
    }
    return (long)len;
}

static void compare_band(struct vf_verifier *v, const struct vf_field *f,
                         const uint16_t *src, const char *file)
{
    const uint16_t *got = v->dec.band[f->slot];
    uint32_t diff = 0, first = 0;
    for (uint32_t k = 0; k < f->count; k++)
        if (got[k] != src[k] && diff++ == 0)
            first = k;
    if (!diff)
        return;
    uint32_t side = vf_band_side(f->count);
    vf_record_problem(v, "%s: %u of %u pixels differ from %s, "
                         "the first at row %u column %u: %u in the record, %u "
                         "in the file",
                      f->key, diff, f->count, file,
                      first / side, first % side, got[first], src[first]);
}

static void compare_sar(struct vf_verifier *v, const struct vf_field *f,
                        const float *src, const char *file)
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
    vf_record_problem(v, "%s: %u of %u values differ from %s, "
                         "the first at row %u column %u: %.9g (0x%08x) in the "
                         "record, %.9g (0x%08x) in the file",
                      f->key, diff, f->count, file,
                      first / 120, first % 120, (double)a, got[first],
                      (double)b, want_first);
}

/* Read path whole into d->json; returns its length, or -1 with reason. */
static long read_json(struct vf_deep *d, const char *path, char *reason,
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
        ssize_t n = read(fd, d->json + len, VF_JSON_MAX_BYTES - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(reason, size, "read error: %s", strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == VF_JSON_MAX_BYTES) {
            snprintf(reason, size, "larger than %u bytes", VF_JSON_MAX_BYTES);
            goto out;
        }
    }
    result = (long)len;
out:
    if (fd >= 0)
        close(fd);
    return result;
}

/* json[0..len) parsed as one JSON value with white space after it only.
 * Returns it (the caller puts it), or NULL with reason. */
static json_object *parse_whole(struct vf_deep *d, size_t len, char *reason,
                                size_t size)
{
    json_tokener_reset(d->tok);
    json_object *root = json_tokener_parse_ex(d->tok, d->json, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(d->tok);
    if (!root || jerr != json_tokener_success) {
        snprintf(reason, size, "not valid JSON: %s",
                 jerr == json_tokener_success || jerr == json_tokener_continue
                     ? "it ends too early"
                     : json_tokener_error_desc(jerr));
        json_object_put(root);
        return NULL;
    }
    for (size_t i = json_tokener_get_parse_end(d->tok); i < len; i++)
        if (!strchr(" \t\r\n", d->json[i]) || !d->json[i]) {
            snprintf(reason, size, "%s",
                     "not valid JSON: text follows the object");
            json_object_put(root);
            return NULL;
        }
    return root;
}

/* A "corresponding_s2_patch", when present, must be s2. Returns 0, or -1
 * with reason. */
static int check_partner(json_object *root, const char *s2, char *reason,
                         size_t size)
{
    json_object *partner;
    char shown[128];
    if (!json_object_object_get_ex(root, "corresponding_s2_patch", &partner))
        return 0;
    const char *p = json_object_is_type(partner, json_type_string)
                        ? json_object_get_string(partner)
                        : NULL;
    if (p && strcmp(p, s2) == 0)
        return 0;
    if (p)
        vf_printable(shown, sizeof shown, (const uint8_t *)p,
                     (size_t)json_object_get_string_len(partner));
    snprintf(reason, size, "corresponding_s2_patch is %s%s%s, but the record "
             "pairs it with %s", p ? "\"" : "", p ? shown : "not a string",
             p ? "\"" : "", s2);
    return -1;
}

/* The "labels" array of 43-class names converted to the 19-class
 * multi-hot. Returns 0, or -1 with reason. */
static int convert_labels(json_object *labels, uint8_t *multi_hot,
                          char *reason, size_t size)
{
    char shown[128];
    size_t n = json_object_array_length(labels);
    for (size_t k = 0; k < n; k++) {
        json_object *item = json_object_array_get_idx(labels, k);
        if (!json_object_is_type(item, json_type_string)) {
            snprintf(reason, size, "labels[%zu] is not a string", k);
            return -1;
        }
        const char *name = json_object_get_string(item);
        size_t nlen = (size_t)json_object_get_string_len(item);
        int c = vf_class_of43(name, nlen);
        if (c == -2) {
            vf_printable(shown, sizeof shown, (const uint8_t *)name, nlen);
            snprintf(reason, size, "labels[%zu] \"%s\" is not a 43-class "
                     "label name", k, shown);
            return -1;
        }
        if (c >= 0)
            multi_hot[c] = 1;
    }
    return 0;
}

/* Parse the label JSON of len bytes in d->json: one object (white space
 * after it allowed) with a "labels" array of 43-class names, converted here
 * to the 19-class multi-hot. With s2 not NULL (an S1 JSON), a
 * "corresponding_s2_patch", when present, must be that name. Returns 0, or
 * -1 with reason. */
static int parse_labels(struct vf_deep *d, size_t len, const char *s2,
                        uint8_t *multi_hot, char *reason, size_t size)
{
    int rc = -1;
    json_object *labels;
    memset(multi_hot, 0, VF_CLASSES);
    json_object *root = parse_whole(d, len, reason, size);
    if (!root)
        return -1;
    if (!json_object_is_type(root, json_type_object)) {
        snprintf(reason, size, "%s", "not a JSON object");
        goto out;
    }
    if (!json_object_object_get_ex(root, "labels", &labels) ||
        !json_object_is_type(labels, json_type_array)) {
        snprintf(reason, size, "%s", "no \"labels\" array");
        goto out;
    }
    if (s2 && check_partner(root, s2, reason, size) != 0)
        goto out;
    rc = convert_labels(labels, multi_hot, reason, size);
out:
    json_object_put(root);
    return rc;
}

/* Decode the one band of the GeoTIFF at path (or at vsi, the /vsimem/
 * copy of the archive member path names, when not NULL), side x side
 * pixels of type (UInt16 or Float32), into dst with GDAL. Returns 0, or -1
 * with reason. */
static int read_band_gdal(const char *path, const char *vsi, int side,
                          GDALDataType type, void *dst, char *reason,
                          size_t size)
{
    static const char *const gtiff_only[] = {"GTiff", NULL};
    char msg[512];
    int rc = -1;
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(vsi ? vsi : path,
                                 GDAL_OF_RASTER | GDAL_OF_READONLY,
                                 gtiff_only, NULL, NULL);
    if (!ds) {
        snprintf(reason, size, "GDAL cannot open it: %s",
                 bp_gdal_message(msg, sizeof msg, vsi, path));
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
                 bp_gdal_message(msg, sizeof msg, vsi, path));
        goto out;
    }
    rc = 0;
out:
    if (ds)
        GDALClose(ds);
    return rc;
}

/* Decode the band <name>/<name>_<key>.tif of root (side: 0 for S1, 1 for
 * S2) into dst, its name as messages give it into path. Returns 0, or -1
 * with reason. */
static int source_band(struct vf_deep *d, int side, const char *root,
                       const char *name, const char *key, int pixels,
                       GDALDataType type, void *dst, char *path,
                       size_t pathsz, char *reason, size_t size)
{
    char suffix[64];
    snprintf(suffix, sizeof suffix, "_%s.tif", key);
    if (!d->archive[side]) {
        snprintf(path, pathsz, "%s/%s/%s%s", root, name, name, suffix);
        return read_band_gdal(path, NULL, pixels, type, dst, reason, size);
    }
    long len = read_member(d->archive[side], root, name, suffix, d->file,
                           BP_ARCHIVE_MEMBER_LIMIT, path, pathsz, reason,
                           size);
    if (len < 0)
        return -1;
    VSILFILE *mem = VSIFileFromMemBuffer(d->vsi, d->file, (vsi_l_offset)len,
                                         FALSE);
    if (!mem) {
        snprintf(reason, size, "GDAL cannot map it in memory");
        return -1;
    }
    VSIFCloseL(mem);
    int rc = read_band_gdal(path, d->vsi, pixels, type, dst, reason, size);
    VSIUnlink(d->vsi);
    return rc;
}

/* The record's fields of kind (S2 bands, or VV and VH) against
 * ROOT/<name>/<name>_<key>.tif. Returns 0, or -1 when a file cannot be
 * read (reported). */
static int deep_rasters(struct vf_verifier *v, enum vf_kind kind,
                        const char *root, const char *name)
{
    const struct vf_schema *s = v->schema;
    struct vf_deep *d = v->deep;
    char path[4096], reason[512];
    for (size_t i = 0; i < s->nfields; i++) {
        const struct vf_field *f = &s->fields[i];
        if (f->kind != kind)
            continue;
        int side = (int)vf_band_side(f->count);
        int band = kind == VF_KIND_BAND;
        void *dst = band ? (void *)d->band[f->slot] : (void *)d->sar[f->slot];
        if (source_band(d, band, root, name, f->key, side,
                        band ? GDT_UInt16 : GDT_Float32, dst, path,
                        sizeof path, reason, sizeof reason) != 0) {
            vf_record_problem(v, "cannot read the source %s: %s", path,
                              reason);
            return -1;
        }
        if (band)
            compare_band(v, f, d->band[f->slot], path);
        else
            compare_sar(v, f, d->sar[f->slot], path);
    }
    return 0;
}

/* The labels of the JSON <name>/<name>_labels_metadata.json of root (side:
 * 0 for S1, 1 for S2) against the record's multi-hot; s2 as for
 * parse_labels. */
static void deep_labels(struct vf_verifier *v, int side, const char *root,
                        const char *name, const char *s2)
{
    static const char suffix[] = "_labels_metadata.json";
    struct vf_deep *d = v->deep;
    char reason[512], path[4096];
    uint8_t multi_hot[VF_CLASSES];
    long len;
    if (d->archive[side]) {
        len = read_member(d->archive[side], root, name, suffix, d->json,
                          VF_JSON_MAX_BYTES, path, sizeof path, reason,
                          sizeof reason);
    } else {
        snprintf(path, sizeof path, "%s/%s/%s%s", root, name, name, suffix);
        len = read_json(d, path, reason, sizeof reason);
    }
    if (len < 0 || parse_labels(d, (size_t)len, s2, multi_hot, reason,
                                sizeof reason) != 0) {
        vf_record_problem(v, "cannot read the source %s: %s", path, reason);
        return;
    }
    if (memcmp(v->dec.multi_hot, multi_hot, VF_CLASSES) == 0)
        return;
    char a[64], b[64];
    vf_format_classes(a, sizeof a, v->dec.multi_hot);
    vf_format_classes(b, sizeof b, multi_hot);
    vf_record_problem(v, "labels differ from %s: classes {%s} in the record, "
                         "{%s} in the file",
                      path, a, b);
}

void vf_deep_check(struct vf_verifier *v)
{
    char s2[256], s1[256];
    const struct vf_decoded *d = &v->dec;
    const char *s1_root = v->opt->s1_root, *s2_root = v->opt->s2_root;
    if (bp_stop_signal)
        return; /* the shard's read loop stops at its next read */
    memcpy(s2, d->name[VF_NAME_S2], d->name_len[VF_NAME_S2]);
    s2[d->name_len[VF_NAME_S2]] = '\0';
    if (deep_rasters(v, VF_KIND_BAND, s2_root, s2) != 0)
        return;
    if (v->schema->s2_only) {
        /* S2-only: labels from the S2 JSON. */
        deep_labels(v, 1, s2_root, s2, NULL);
        return;
    }
    /* MM: VV and VH, labels from the S1 JSON, which must name s2. */
    memcpy(s1, d->name[VF_NAME_S1], d->name_len[VF_NAME_S1]);
    s1[d->name_len[VF_NAME_S1]] = '\0';
    if (deep_rasters(v, VF_KIND_SAR, s1_root, s1) != 0)
        return;
    deep_labels(v, 0, s1_root, s1, s2);
}

/* Rank 0: the index of each --deep root that is a tar or gzip archive,
 * found fresh or built (in --index-dir; else beside the archive when its
 * folder is writable, else in OUT, as the converter does), into index.
 * A root that does not exist is left to the record checks (its files are
 * missing). Returns BP_OK, BP_USAGE (a root that is no folder, tar or gzip
 * archive) or what bp_archive_index_ensure returns (logged). */
int vf_deep_find_indexes(const struct bp_verify_options *o,
                         char index[2][4096])
{
    const char *roots[2] = {o->s1_root, o->s2_root};
    for (int i = 0; i < 2; i++) {
        enum bp_root_kind kind;
        char msg[512];
        struct stat st;
        if (!roots[i] || stat(roots[i], &st) != 0)
            continue;
        if (bp_root_probe(roots[i], &kind, msg, sizeof msg) != BP_OK) {
            BP_ERROR("--deep %s: %s", roots[i], msg);
            return BP_USAGE;
        }
        if (kind == BP_ROOT_FOLDER)
            continue;
        int rc = bp_archive_index_ensure(roots[i], o->out, o->index_dir, NULL,
                                         index[i], 4096, NULL);
        if (rc != BP_OK) {
            BP_ERROR("--deep %s: no usable index (see above)", roots[i]);
            return rc;
        }
    }
    return BP_OK;
}
