/*
 * tiff.c - ben-synth's GeoTIFF files: GDAL's GeoTIFF driver and one
 * spatial reference per tile set up once, and each band written as the
 * archive has it: uncompressed, little-endian, one band in strips, in UTM
 * (see synth.h).
 */
#include <stdio.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal_frmts.h>

#include "common/gdalutil.h"
#include "synth/synth.h"

/* GDAL composes each GeoTIFF in memory under this name; the bytes are
 * then written to the real file with one open, write and close. */
#define MEM_TIFF "/vsimem/ben-synth.tif"

/* The GeoTIFF creation options of a band with strips of some rows. */
struct tiff_options {
    char block[32];
    const char *list[8];
};

/* GDAL's last error message, naming path instead of the in-memory file;
 * valid until the next call (the generator has one thread). */
static const char *gdal_reason(const char *path)
{
    static char text[512];
    return bp_gdal_message(text, sizeof text, MEM_TIFF, path);
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

/* The spatial reference and its WKT of every tile's UTM zone. */
static int setup_projections(struct generator *g)
{
    for (int t = 0; t < TILES; t++) {
        int epsg = 32600 + tile_zone(t);
        char what[32];
        snprintf(what, sizeof what, "EPSG:%d", epsg);
        CPLErrorReset();
        g->srs[t] = OSRNewSpatialReference(NULL);
        if (!g->srs[t] || OSRImportFromEPSG(g->srs[t], epsg) != OGRERR_NONE)
            return fail_path(what, "GDAL cannot build the projection: %s",
                             gdal_reason(what));
        if (OSRExportToWkt(g->srs[t], &g->wkt[t]) != OGRERR_NONE ||
            !g->wkt[t])
            return fail_path(what, "GDAL cannot export the projection: %s",
                             gdal_reason(what));
    }
    return 0;
}

/* Register the GeoTIFF driver only, turn off side files and build the
 * spatial reference and its WKT once per tile (each tile has its own
 * zone). GDAL's messages are kept quiet: failures are reported here with
 * their file. */
int setup_gdal(struct generator *g)
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
                             gdal_reason("GTiff"));
    }
    CPLSetConfigOption("GDAL_VALIDATE_CREATION_OPTIONS", "NO");
    return setup_projections(g);
}

void cleanup_gdal(struct generator *g)
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

/* The in-memory GeoTIFF composed: GDAL composes the file in memory
 * (MEM_TIFF), which spares the target file system GDAL's probing, seeking
 * and rewriting. path is only named in messages. */
static int compose_tiff(struct generator *g, const char *path, int side,
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
        fail_path(path, "cannot create the GeoTIFF: %s", gdal_reason(path));
        goto out;
    }
    if (GDALSetGeoTransform(ds, gt) != CE_None) {
        fail_path(path, "cannot set the geotransform: %s",
                  gdal_reason(path));
        goto out;
    }
    if (GDALSetSpatialRef(ds, g->srs[p->tile]) != CE_None) {
        fail_path(path, "cannot set the projection: %s",
                  gdal_reason(path));
        goto out;
    }
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    if (!band || GDALRasterIO(band, GF_Write, 0, 0, side, side, (void *)pixels,
                              side, side, type, 0, 0) != CE_None) {
        fail_path(path, "cannot write the pixels: %s", gdal_reason(path));
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
                           gdal_reason(path));
    }
    return rc;
}

/* The finished bytes go to path in one write. */
int write_tiff(struct generator *g, const char *path, int side,
               GDALDataType type, const void *pixels, int strip_rows,
               const struct pair *p)
{
    int rc = compose_tiff(g, path, side, type, pixels, strip_rows, p);
    if (rc == 0) {
        vsi_l_offset len = 0;
        GByte *bytes = VSIGetMemFileBuffer(MEM_TIFF, &len, FALSE);
        if (!bytes)
            rc = fail_path(path, "GDAL lost the GeoTIFF in memory");
        else
            rc = put_file(g, path, (const char *)bytes, (size_t)len);
    }
    VSIUnlink(MEM_TIFF);
    return rc;
}
