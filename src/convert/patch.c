/* patch.c - reading one patch pair: each file read whole from its root's
 * source (convert/source.c), bands decoded directly or by GDAL from memory,
 * labels parsed, failures named with the file (see benprep/patch.h). */
#include "benprep/patch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gdal_frmts.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "common/gdalutil.h"
#include "convert/source.h"
#include "convert/tiff.h"
#include "convert/update_json.h"

const char *const bp_s2_band_names[BP_S2_BANDS] = {
    "B01", "B02", "B03", "B04", "B05", "B06",
    "B07", "B08", "B09", "B11", "B12", "B8A"};
const int bp_s2_band_sides[BP_S2_BANDS] = {20, 120, 120, 120, 60, 60,
                                           60, 120, 20,  60,  60, 60};

/* No input file of a patch is anywhere near this size; a bigger one is
 * rejected as not a BigEarthNet file rather than read. */
#define FILE_BUFFER_BYTES (1u << 20)

struct bp_reader {
    struct bp_source *src_s1, *src_s2; /* the roots' file bytes */
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

struct bp_reader *bp_reader_new_sources(struct bp_source *s1,
                                         struct bp_source *s2)
{
    bp_gdal_setup();
    struct bp_reader *r = calloc(1, sizeof *r);
    if (!r) {
        bp_source_free(s1);
        bp_source_free(s2);
        return NULL;
    }
    r->src_s1 = s1;
    r->src_s2 = s2;
    r->file = malloc(FILE_BUFFER_BYTES);
    r->vv = malloc(sizeof(float) * BP_S1_SIDE * BP_S1_SIDE);
    r->vh = malloc(sizeof(float) * BP_S1_SIDE * BP_S1_SIDE);
    r->labels = bp_label_parser_new();
    int ok = r->src_s1 && r->src_s2 && r->file && r->vv && r->vh && r->labels;
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

struct bp_reader *bp_reader_new(const char *root_s1, const char *root_s2)
{
    return bp_reader_new_sources(bp_source_folder(root_s1),
                                 bp_source_folder(root_s2));
}

void bp_reader_use_gdal_only(struct bp_reader *r, int on)
{
    r->gdal_only = on;
}

void bp_reader_free(struct bp_reader *r)
{
    if (!r)
        return;
    bp_source_free(r->src_s1);
    bp_source_free(r->src_s2);
    free(r->file);
    free(r->vv);
    free(r->vh);
    for (int b = 0; b < BP_S2_BANDS; b++)
        free(r->s2[b]);
    bp_label_parser_free(r->labels);
    free(r);
}

/* GDAL's last error message, naming the file instead of the memory file. */
static const char *gdal_message(struct bp_reader *r)
{
    return bp_gdal_message(r->message, sizeof r->message, r->vsi_name,
                           r->path);
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
        return bp_failure_set(why, r->path, "not a TIFF file (%zu bytes)",
                              len);
    VSILFILE *mem = VSIFileFromMemBuffer(r->vsi_name, r->file, (vsi_l_offset)len,
                                         FALSE);
    if (!mem)
        return bp_failure_set(why, r->path,
                              "GDAL cannot map the file in memory");
    VSIFCloseL(mem);
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(r->vsi_name, GDAL_OF_RASTER | GDAL_OF_READONLY,
                                 gtiff_only, NULL, no_siblings);
    if (!ds) {
        bp_failure_set(why, r->path, "GDAL cannot open it as a GeoTIFF: %s",
                       gdal_message(r));
        goto out;
    }
    int bands = GDALGetRasterCount(ds);
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
    if (bands != 1) {
        bp_failure_set(why, r->path, "%d bands, expected 1", bands);
        goto out;
    }
    if (w != side || h != side) {
        bp_failure_set(why, r->path, "band is %dx%d pixels, expected %dx%d",
                       w, h, side, side);
        goto out;
    }
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    GDALDataType t = GDALGetRasterDataType(band);
    if (t != type) {
        bp_failure_set(why, r->path, "pixel type %s, expected %s",
                       gdal_type_name(t), gdal_type_name(type));
        goto out;
    }
    if (GDALRasterIO(band, GF_Read, 0, 0, side, side, dst, side, side, type, 0,
                     0) != CE_None) {
        bp_failure_set(why, r->path, "cannot decode the pixels: %s",
                       gdal_message(r));
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
        return bp_failure_set(why, r->path, "%s", reason);
    memcpy(multi_hot, info.multi_hot, BP_LABELS19);
    r->json_has_19 = info.has_19;
    r->json_19_same = info.same_19;
    r->json_19_differs = info.differs_19;
    r->json_len = len;
    return BP_OK;
}

/* Read the file <name>/<name><suffix> of src whole into r->file. */
static int read_file(struct bp_reader *r, struct bp_source *src,
                     const char *name, const char *suffix, size_t *len,
                     struct bp_failure *why)
{
    return bp_source_read(src, name, suffix, r->file, FILE_BUFFER_BYTES, len,
                          r->path, sizeof r->path, why);
}

static int read_band(struct bp_reader *r, struct bp_source *src,
                     const char *name, const char *suffix, int side,
                     GDALDataType type, void *dst, struct bp_failure *why)
{
    size_t len;
    int rc = read_file(r, src, name, suffix, &len, why);
    if (rc != BP_OK)
        return rc;
    enum bp_tiff_sample sample =
        type == GDT_UInt16 ? BP_TIFF_UINT16 : BP_TIFF_FLOAT32;
    if (!r->gdal_only && bp_tiff_decode_simple(r->file, len, side, sample, dst))
        return BP_OK;
    return decode_band(r, len, side, type, dst, why);
}

/* Read and parse the label JSON of patch name in src; s2_name as for
 * parse_labels. */
static int read_labels(struct bp_reader *r, struct bp_source *src,
                       const char *name, const char *s2_name,
                       uint8_t multi_hot[BP_LABELS19], struct bp_failure *why)
{
    size_t len;
    int rc = read_file(r, src, name, "_labels_metadata.json", &len, why);
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
        rc = read_band(r, r->src_s2, s2_name, suffix, bp_s2_band_sides[b],
                       GDT_UInt16, r->s2[b], why);
        if (rc != BP_OK)
            return rc;
        out->s2[b] = r->s2[b];
    }
    if (!s1_name || !*s1_name) {
        /* S2 only: the labels come from the S2 patch's JSON. */
        out->s1_name = NULL;
        out->vv = out->vh = NULL;
        return read_labels(r, r->src_s2, s2_name, NULL, out->multi_hot, why);
    }
    rc = read_band(r, r->src_s1, s1_name, "_VV.tif", BP_S1_SIDE, GDT_Float32,
                   r->vv, why);
    if (rc == BP_OK)
        rc = read_band(r, r->src_s1, s1_name, "_VH.tif", BP_S1_SIDE,
                       GDT_Float32, r->vh, why);
    if (rc != BP_OK)
        return rc;
    out->vv = r->vv;
    out->vh = r->vh;
    return read_labels(r, r->src_s1, s1_name, s2_name, out->multi_hot, why);
}

int bp_reader_update_json(struct bp_reader *r, const struct bp_pair *pair,
                          struct bp_failure *why)
{
    /* r->path and r->file still hold the S1 JSON read last. */
    if (bp_source_is_archive(r->src_s1)) {
        bp_failure_set(why, r->path, "a member of an archive cannot be "
                       "updated");
        return BP_OUTPUT;
    }
    if (r->json_has_19) {
        if (r->json_19_same)
            return BP_OK;
        return bp_failure_set(why, r->path,
                              "already has BigEarthNet_19_labels, and it is "
                              "%s, not the names of its labels",
                              r->json_19_differs);
    }
    return bp_json_add_19(r->path, r->file, r->json_len, pair->multi_hot,
                          why);
}
