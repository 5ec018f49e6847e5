/* bp-gdal-floor: the plain-GDAL read floor of the benchmark.
 *
 *   bp-gdal-floor -r1 S1_ROOT -r2 S2_ROOT -n CSV... [--json]
 *
 * For every row "S2name,S1name" of the split files (CRLF or LF), open each of
 * the 14 band files of the pair the way a user of GDAL writes it:
 * GDALAllRegister() once, then per file GDALOpen(path, GA_ReadOnly), read band
 * 1 whole with GDALRasterIO into a reused buffer (UInt16 for the 12 S2 bands,
 * Float32 for VV and VH), GDALClose. No label file is read, nothing is
 * encoded or written. Prints patches, seconds and patches/s (one JSON object
 * with --json). Exit status: 0 ok, 1 a file could not be read, 2 usage.
 *
 * The converter does strictly more per pair: the same 14 band files, plus the
 * S1 JSON label file, plus encoding and writing the record.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cpl_error.h>
#include <gdal.h>

#define S2_BANDS 12
static const char *const s2_bands[S2_BANDS] = {"B01", "B02", "B03", "B04",
                                               "B05", "B06", "B07", "B08",
                                               "B09", "B11", "B12", "B8A"};
static const char *const s1_bands[2] = {"VV", "VH"};
#define MAX_SIDE 120

static uint16_t u16_buf[MAX_SIDE * MAX_SIDE];
static float f32_buf[MAX_SIDE * MAX_SIDE];

static int usage(void)
{
    fprintf(stderr,
            "usage: bp-gdal-floor -r1 S1_ROOT -r2 S2_ROOT -n CSV... [--json]\n");
    return 2;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Open, read band 1 whole into the reused buffer, close. 0 ok, -1 failure. */
static int read_band(const char *path, GDALDataType type)
{
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    if (!ds) {
        fprintf(stderr, "bp-gdal-floor: %s: cannot open\n", path);
        return -1;
    }
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
    int rc = 0;
    if (GDALGetRasterCount(ds) < 1 || w < 1 || h < 1 || w > MAX_SIDE ||
        h > MAX_SIDE) {
        fprintf(stderr, "bp-gdal-floor: %s: unexpected size %dx%d\n", path, w,
                h);
        rc = -1;
    } else {
        void *buf = type == GDT_UInt16 ? (void *)u16_buf : (void *)f32_buf;
        if (GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, w, h, buf, w,
                         h, type, 0, 0) != CE_None) {
            fprintf(stderr, "bp-gdal-floor: %s: cannot read the pixels\n",
                    path);
            rc = -1;
        }
    }
    GDALClose(ds);
    return rc;
}

/* Read the 14 band files of one pair. */
static int read_pair(const char *r1, const char *r2, const char *s2,
                     const char *s1, char *path, size_t cap)
{
    for (int b = 0; b < S2_BANDS; b++) {
        int n = snprintf(path, cap, "%s/%s/%s_%s.tif", r2, s2, s2,
                         s2_bands[b]);
        if (n < 0 || (size_t)n >= cap || read_band(path, GDT_UInt16))
            return -1;
    }
    for (int b = 0; b < 2; b++) {
        int n = snprintf(path, cap, "%s/%s/%s_%s.tif", r1, s1, s1,
                         s1_bands[b]);
        if (n < 0 || (size_t)n >= cap || read_band(path, GDT_Float32))
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *r1 = NULL, *r2 = NULL;
    const char **csvs = calloc((size_t)argc, sizeof *csvs);
    int ncsv = 0, json = 0;
    if (!csvs)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-r1") || !strcmp(a, "--root_folder_s1")) &&
            i + 1 < argc) {
            r1 = argv[++i];
        } else if ((!strcmp(a, "-r2") || !strcmp(a, "--root_folder_s2")) &&
                   i + 1 < argc) {
            r2 = argv[++i];
        } else if (!strcmp(a, "-n") || !strcmp(a, "--splits")) {
            while (i + 1 < argc && argv[i + 1][0] != '-')
                csvs[ncsv++] = argv[++i];
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else {
            free(csvs);
            return usage();
        }
    }
    if (!r1 || !r2 || ncsv == 0) {
        free(csvs);
        return usage();
    }

    GDALAllRegister();

    char line[2048], path[4096];
    long patches = 0;
    int rc = 0;
    double t0 = now();
    for (int c = 0; c < ncsv && rc == 0; c++) {
        FILE *f = fopen(csvs[c], "r");
        if (!f) {
            fprintf(stderr, "bp-gdal-floor: %s: cannot open\n", csvs[c]);
            rc = 1;
            break;
        }
        long lineno = 0;
        while (fgets(line, sizeof line, f)) {
            lineno++;
            line[strcspn(line, "\r\n")] = '\0';
            char *row = line;
            if (lineno == 1 && !strncmp(row, "\xEF\xBB\xBF", 3))
                row += 3; /* UTF-8 byte order mark */
            if (row[0] == '\0')
                continue;
            char *comma = strchr(row, ',');
            if (!comma || comma == row || comma[1] == '\0') {
                fprintf(stderr, "bp-gdal-floor: %s:%ld: expected S2,S1\n",
                        csvs[c], lineno);
                rc = 1;
                break;
            }
            *comma = '\0';
            if (read_pair(r1, r2, row, comma + 1, path, sizeof path)) {
                fprintf(stderr, "bp-gdal-floor: at %s:%ld\n", csvs[c], lineno);
                rc = 1;
                break;
            }
            patches++;
        }
        fclose(f);
    }
    double secs = now() - t0;
    GDALDestroyDriverManager();
    free(csvs);
    if (rc)
        return rc;
    double rate = secs > 0 ? (double)patches / secs : 0.0;
    if (json)
        printf("{\"patches\": %ld, \"files\": %ld, \"seconds\": %.6f, "
               "\"patches_per_s\": %.3f}\n",
               patches, patches * 14, secs, rate);
    else
        printf("bp-gdal-floor: %ld patches (%ld files) in %.3f s: %.1f "
               "patches/s\n",
               patches, patches * 14, secs, rate);
    return 0;
}
