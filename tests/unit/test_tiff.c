/*
 * The direct band decoder against GDAL: every real sample band decodes to
 * GDAL's pixels, and files in any other layout are declined (left to GDAL),
 * never decoded wrongly.
 */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>

#include "benprep/patch.h"
#include "convert/tiff.h"
#include "unit_util.h"

#define SAMPLE BENPREP_SHARED_DATA "/bigearthnet-v1-sample"

/* GDAL's reading of a TIFF held in memory, for comparison. */
static int gdal_decode(const uint8_t *buf, size_t len, int side,
                       GDALDataType type, void *dst)
{
    VSILFILE *f = VSIFileFromMemBuffer("/vsimem/unit_tiff.tif", (GByte *)buf,
                                       len, FALSE);
    VSIFCloseL(f);
    GDALDatasetH ds = GDALOpen("/vsimem/unit_tiff.tif", GA_ReadOnly);
    int ok = ds && GDALGetRasterXSize(ds) == side &&
             GDALGetRasterYSize(ds) == side &&
             GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, side, side,
                          dst, side, side, type, 0, 0) == CE_None;
    if (ds)
        GDALClose(ds);
    VSIUnlink("/vsimem/unit_tiff.tif");
    return ok;
}

static void check_file(const char *path, int side, enum bp_tiff_sample sample)
{
    size_t len = 0;
    uint8_t *buf = unit_read_file(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    size_t bytes = (size_t)side * side * (sample == BP_TIFF_UINT16 ? 2 : 4);
    uint8_t *ours = malloc(bytes), *theirs = malloc(bytes);
    CU_ASSERT_EQUAL(bp_tiff_decode_simple(buf, len, side, sample, ours), 1);
    CU_ASSERT(gdal_decode(buf, len, side,
                          sample == BP_TIFF_UINT16 ? GDT_UInt16 : GDT_Float32,
                          theirs));
    CU_ASSERT(memcmp(ours, theirs, bytes) == 0);
    /* The wrong expectations are declined. */
    CU_ASSERT_EQUAL(bp_tiff_decode_simple(buf, len, side + 1, sample, ours), 0);
    CU_ASSERT_EQUAL(bp_tiff_decode_simple(buf, len, side,
                                          sample == BP_TIFF_UINT16
                                              ? BP_TIFF_FLOAT32
                                              : BP_TIFF_UINT16,
                                          ours),
                    0);
    /* Every truncation is declined (GDAL then reports it). */
    for (size_t cut = 0; cut < len; cut += 97)
        CU_ASSERT_EQUAL(bp_tiff_decode_simple(buf, cut, side, sample, ours), 0);
    free(ours);
    free(theirs);
    free(buf);
}

static void test_sample_bands(void)
{
    static const char *const pairs[][2] = {
        {"S2A_MSIL2A_20170613T101031_87_48",
         "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_87_48"},
        {"S2B_MSIL2A_20170924T93020_69_24",
         "S1A_IW_GRDH_1SDV_20170925T043256_35VPK_69_24"}};
    char path[1024];
    for (size_t p = 0; p < 2; p++) {
        for (int b = 0; b < BP_S2_BANDS; b++) {
            snprintf(path, sizeof path, SAMPLE "/BigEarthNet-v1.0/%s/%s_%s.tif",
                     pairs[p][0], pairs[p][0], bp_s2_band_names[b]);
            check_file(path, bp_s2_band_sides[b], BP_TIFF_UINT16);
        }
        snprintf(path, sizeof path, SAMPLE "/BigEarthNet-S1-v1.0/%s/%s_VV.tif",
                 pairs[p][1], pairs[p][1]);
        check_file(path, 120, BP_TIFF_FLOAT32);
        snprintf(path, sizeof path, SAMPLE "/BigEarthNet-S1-v1.0/%s/%s_VH.tif",
                 pairs[p][1], pairs[p][1]);
        check_file(path, 120, BP_TIFF_FLOAT32);
    }
}

/* A copy of a real band rewritten by GDAL with creation options; returns
 * the bytes (malloc'd) or NULL. */
static uint8_t *rewrite(const char *src, const char *const *options,
                        size_t *len)
{
    GDALDatasetH in = GDALOpen(src, GA_ReadOnly);
    if (!in)
        return NULL;
    GDALDatasetH out = GDALCreateCopy(GDALGetDriverByName("GTiff"),
                                      "/vsimem/unit_rewrite.tif", in, FALSE,
                                      (char **)options, NULL, NULL);
    GDALClose(in);
    if (!out)
        return NULL;
    GDALClose(out);
    vsi_l_offset n = 0;
    GByte *mem = VSIGetMemFileBuffer("/vsimem/unit_rewrite.tif", &n, FALSE);
    uint8_t *copy = malloc(n);
    memcpy(copy, mem, n);
    VSIUnlink("/vsimem/unit_rewrite.tif");
    *len = n;
    return copy;
}

static void test_other_layouts_declined(void)
{
    const char *src = SAMPLE "/BigEarthNet-v1.0/S2A_MSIL2A_20170613T101031_87_48/"
                             "S2A_MSIL2A_20170613T101031_87_48_B02.tif";
    static const char *const deflate[] = {"COMPRESS=DEFLATE", NULL};
    static const char *const tiled[] = {"TILED=YES", "BLOCKXSIZE=16",
                                        "BLOCKYSIZE=16", NULL};
    static const char *const big_endian[] = {"ENDIANNESS=BIG", NULL};
    static const char *const bigtiff[] = {"BIGTIFF=YES", NULL};
    static const char *const predictor[] = {"COMPRESS=LZW", "PREDICTOR=2", NULL};
    static const char *const plain[] = {"BLOCKYSIZE=7", NULL};
    const char *const *declined[] = {deflate, tiled, big_endian, bigtiff,
                                     predictor};
    uint16_t ours[14400], theirs[14400];
    for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++) {
        size_t len = 0;
        uint8_t *buf = rewrite(src, declined[i], &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
        CU_ASSERT_EQUAL(bp_tiff_decode_simple(buf, len, 120, BP_TIFF_UINT16, ours), 0);
        free(buf);
    }
    /* Another strip height is still the simple layout: decoded, equal. */
    size_t len = 0;
    uint8_t *buf = rewrite(src, plain, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    CU_ASSERT_EQUAL(bp_tiff_decode_simple(buf, len, 120, BP_TIFF_UINT16, ours), 1);
    CU_ASSERT(gdal_decode(buf, len, 120, GDT_UInt16, theirs));
    CU_ASSERT(memcmp(ours, theirs, sizeof ours) == 0);
    free(buf);
}

/* Files whose meaning readers may take differently (a tag listed twice,
 * strips that overlap, ...: the fuzz corpus in tests/fuzz/corpus/tiff, made
 * by tests/tools/tiff_variant.py) are declined, so GDAL decodes them
 * whichever decoder is asked; the "plain" ones (the same image with its
 * IFD moved) are decoded, to GDAL's pixels. */
static void test_ambiguous_declined(void)
{
    struct dirent **names = NULL;
    int n = scandir(BENPREP_FUZZ_CORPUS "/tiff", &names, NULL, alphasort);
    CU_ASSERT_FATAL(n > 0);
    int plain = 0, declined = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char path[1024];
        snprintf(path, sizeof path, BENPREP_FUZZ_CORPUS "/tiff/%s", name);
        size_t len = 0;
        uint8_t *buf = name[0] != '.' ? unit_read_file(path, &len) : NULL;
        if (buf) {
            int f32 = strstr(name, "-f32") != NULL;
            enum bp_tiff_sample sample = f32 ? BP_TIFF_FLOAT32 : BP_TIFF_UINT16;
            float ours[400], theirs[400];
            int decoded = bp_tiff_decode_simple(buf, len, 20, sample, ours);
            if (strncmp(name, "plain-", 6) == 0) {
                CU_ASSERT_EQUAL(decoded, 1);
                CU_ASSERT(gdal_decode(buf, len, 20, f32 ? GDT_Float32 : GDT_UInt16,
                                      theirs));
                CU_ASSERT(memcmp(ours, theirs, f32 ? 1600 : 800) == 0);
                plain++;
            } else {
                if (decoded)
                    printf("\n    %s: decoded, not left to GDAL", name);
                CU_ASSERT_EQUAL(decoded, 0);
                declined++;
            }
            free(buf);
        }
        free(names[i]);
    }
    free(names);
    CU_ASSERT_EQUAL(plain, 2);
    CU_ASSERT(declined >= 20);
}

int main(void)
{
    GDALAllRegister();
    CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
    static const struct unit_test tests[] = {
        {"sample bands decode to GDAL's pixels", test_sample_bands},
        {"other layouts are left to GDAL", test_other_layouts_declined},
        {"ambiguous files are left to GDAL", test_ambiguous_declined},
        {NULL, NULL}};
    int rc = unit_main("tiff", tests);
    GDALDestroyDriverManager();
    return rc;
}
