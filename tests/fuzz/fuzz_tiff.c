/*
 * libFuzzer target: the direct band decoder, against GDAL. Any bytes may
 * come in; the decoder must decline or decode without reading outside the
 * buffer or writing outside the destination (AddressSanitizer watches
 * both), and a file it decodes must be one GDAL reads as the same image:
 * one band of that size and type, the same pixels bit for bit (the records
 * must not depend on the decoder). The corpus in corpus/tiff/ (files whose
 * two readings once differed: a duplicated tag, strips that overlap, ...)
 * is replayed in every build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_vsi.h>
#include <gdal.h>

#include "benprep/patch.h"
#include "common/gdalutil.h"
#include "convert/tiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether GDAL reads data[0..size) as one side x side band of type whose
 * pixels are the bytes at ours. */
static int gdal_agrees(const uint8_t *data, size_t size, int side,
                       GDALDataType type, const void *ours)
{
    static const char *const gtiff_only[] = {"GTiff", NULL};
    static const char *const no_siblings[] = {NULL};
    static uint8_t theirs[120 * 120 * 4];
    const char *name = "/vsimem/fuzz_tiff.tif";
    VSILFILE *f = VSIFileFromMemBuffer(name, (GByte *)data, size, FALSE);
    if (!f)
        abort();
    VSIFCloseL(f);
    GDALDatasetH ds = GDALOpenEx(name, GDAL_OF_RASTER | GDAL_OF_READONLY,
                                 gtiff_only, NULL, no_siblings);
    int same = ds && GDALGetRasterCount(ds) == 1 &&
               GDALGetRasterXSize(ds) == side &&
               GDALGetRasterYSize(ds) == side &&
               GDALGetRasterDataType(GDALGetRasterBand(ds, 1)) == type &&
               GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, side,
                            side, theirs, side, side, type, 0, 0) == CE_None &&
               memcmp(ours, theirs,
                      (size_t)side * side * (size_t)GDALGetDataTypeSizeBytes(type)) == 0;
    if (ds)
        GDALClose(ds);
    VSIUnlink(name);
    return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static float dst[120 * 120];
    bp_gdal_setup();
    int side = size ? (data[size - 1] & 1 ? 20 : 120) : 120;
    if (bp_tiff_decode_simple(data, size, side, BP_TIFF_UINT16, dst) &&
        !gdal_agrees(data, size, side, GDT_UInt16, dst))
        abort();
    if (bp_tiff_decode_simple(data, size, side, BP_TIFF_FLOAT32, dst) &&
        !gdal_agrees(data, size, side, GDT_Float32, dst))
        abort();
    return 0;
}
