/*
 * ben_synth.c - ben-synth, the synthetic BigEarthNet-MM archive generator:
 * the program's driver.
 *
 * It writes an archive in the layout of BigEarthNet v1.0 (S2) and
 * BigEarthNet-S1 v1.0: one folder per patch with striped, uncompressed,
 * single-band GeoTIFFs in UTM (UInt16 for the 12 S2 bands, Float32 for VV
 * and VH), a JSON metadata file per patch in the archive's exact format,
 * and split files (S2+S1 pairs and S2 only, CRLF). Everything it writes is
 * a pure function of the number of pairs, the seed and the split weights,
 * so two runs with the same arguments give byte-identical trees. The
 * demo, the tests and the benchmarks of ben-prep use it. synth.h lists the
 * files that do each part.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/fsutil.h"
#include "synth/synth.h"

/* The S2 patch folder of p: its 12 bands and its label JSON. */
static int write_s2_patch(struct generator *g, long index, uint64_t pkey,
                          const struct pair *p)
{
    char suffix[16];
    if (join_path(g->path, g->s2_root, p->s2_name, NULL, NULL) != 0 ||
        put_dir(g, g->path) != 0)
        return -1;
    for (int b = 0; b < S2_BANDS; b++) {
        int side = s2_bands[b].side;
        fill_s2_band(pkey, b, index, g->s2_pixels);
        snprintf(suffix, sizeof suffix, "_%s.tif", s2_bands[b].name);
        if (join_path(g->path, g->s2_root, p->s2_name, p->s2_name, suffix) !=
                0 ||
            write_tiff(g, g->path, side, GDT_UInt16, g->s2_pixels,
                       side == S2_MAX_SIDE ? S2_STRIP_ROWS : side, p) != 0)
            return -1;
    }
    return write_s2_json(g, p);
}

/* The S1 patch folder of p: VV, VH and its label JSON. */
static int write_s1_patch(struct generator *g, uint64_t pkey,
                          const struct pair *p)
{
    static const char *const pol_suffix[2] = {"_VV.tif", "_VH.tif"};
    if (join_path(g->path, g->s1_root, p->s1_name, NULL, NULL) != 0 ||
        put_dir(g, g->path) != 0)
        return -1;
    for (int pol = 0; pol < 2; pol++) {
        fill_s1_band(pkey, pol, g->s1_pixels);
        if (join_path(g->path, g->s1_root, p->s1_name, p->s1_name,
                      pol_suffix[pol]) != 0 ||
            write_tiff(g, g->path, S1_SIDE, GDT_Float32, g->s1_pixels,
                       S1_STRIP_ROWS, p) != 0)
            return -1;
    }
    return write_s1_json(g, p);
}

/* Both patch folders of pair index and their rows in the split files. */
static int write_pair(struct generator *g, long index)
{
    struct pair p;
    make_pair(g, index, &p);
    uint64_t pkey = pair_key(g, index);
    if (write_s2_patch(g, index, pkey, &p) != 0 ||
        write_s1_patch(g, pkey, &p) != 0)
        return -1;
    return add_split_rows(g, index, &p);
}

/* The file names of the roots' archives. */
static const char *const archive_names[2][2] = {
    {"BigEarthNet-v1.0.tar", "BigEarthNet-S1-v1.0.tar"},
    {"BigEarthNet-v1.0.tar.gz", "BigEarthNet-S1-v1.0.tar.gz"}};

/* With --archive, both roots' tar files, each starting with its top
 * folder's entry. */
static int open_archives(struct generator *g)
{
    int gz = g->opt->archive == ARCHIVE_GZ;
    static const char *const tops[2] = {"BigEarthNet-v1.0",
                                        "BigEarthNet-S1-v1.0"};
    for (int i = 0; i < 2; i++)
        if (tar_open(&g->tar[i], g->out, archive_names[gz][i], gz) != 0 ||
            tar_add_dir(&g->tar[i], tops[i]) != 0)
            return -1;
    return 0;
}

/* The output folder (without trailing slashes), both roots (folders, or
 * with --archive tar files) and the split files. */
static int make_folders(struct generator *g)
{
    const char *out = g->opt->out;
    size_t out_len = strlen(out);
    while (out_len > 1 && out[out_len - 1] == '/')
        out_len--;
    if (out_len >= sizeof g->out)
        return fail_path(out, "path too long");
    memcpy(g->out, out, out_len);
    g->out[out_len] = '\0';
    char failed[PATH_BYTES];
    int err = bp_mkdir_p(g->out, failed, sizeof failed);
    if (err)
        return fail_path(failed, "cannot create the folder: %s",
                         strerror(err));
    if (join_path(g->s2_root, g->out, "BigEarthNet-v1.0", NULL, NULL) != 0 ||
        join_path(g->s1_root, g->out, "BigEarthNet-S1-v1.0", NULL, NULL) != 0)
        return -1;
    if (g->opt->archive != ARCHIVE_NONE ? open_archives(g) != 0
                                        : make_dir(g->s2_root) != 0 ||
                                              make_dir(g->s1_root) != 0)
        return -1;
    return open_splits(g);
}

/* "wrote N patch pairs under DIR (train n, ...) in S s" on stdout, with
 * --archive "... under DIR as .tar.gz files (...)". */
static int report(const struct options *opt, double seconds)
{
    printf("ben-synth: wrote %ld patch pairs under %s%s (", opt->patches,
           opt->out,
           opt->archive == ARCHIVE_TAR  ? " as .tar files"
           : opt->archive == ARCHIVE_GZ ? " as .tar.gz files"
                                        : "");
    for (int i = 0; i < opt->nsplits; i++)
        printf("%s%s %ld", i ? ", " : "", opt->splits[i].name,
               opt->splits[i].count);
    printf(") in %.2f s\n", seconds);
    if (fflush(stdout) != 0)
        return fail_path("standard output", "write error: %s",
                         strerror(errno));
    return 0;
}

static int generate(struct generator *g)
{
    double start = bp_now();
    if (setup_gdal(g) != 0)
        return -1;
    g->s2_pixels = malloc(sizeof(uint16_t) * S2_MAX_SIDE * S2_MAX_SIDE);
    g->s1_pixels = malloc(sizeof(float) * S1_SIDE * S1_SIDE);
    if (!g->s2_pixels || !g->s1_pixels)
        return fail_path(g->opt->out, "out of memory");
    if (make_folders(g) != 0)
        return -1;
    for (long index = 0; index < g->opt->patches; index++)
        if (write_pair(g, index) != 0)
            return -1;
    if (g->opt->archive != ARCHIVE_NONE &&
        (tar_finish(&g->tar[0]) != 0 || tar_finish(&g->tar[1]) != 0))
        return -1;
    if (close_splits(g, 1) != 0)
        return -1;
    if (!g->opt->quiet)
        return report(g->opt, bp_now() - start);
    return 0;
}

int main(int argc, char **argv)
{
    struct options opt;
    struct generator g;
    int rc = parse_args(argc, argv, &opt);
    if (rc >= 0)
        return rc;

    memset(&g, 0, sizeof g);
    g.opt = &opt;
    g.seed_key = seed_key(opt.seed);
    rc = generate(&g) == 0 ? 0 : 1;

    close_splits(&g, 0);
    tar_close(&g.tar[0]);
    tar_close(&g.tar[1]);
    free(g.s2_pixels);
    free(g.s1_pixels);
    bp_buf_free(&g.json);
    cleanup_gdal(&g);
    return rc;
}
