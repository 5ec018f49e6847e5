/*
 * patch.h - reading one BigEarthNet-MM patch pair.
 *
 * A reader belongs to one rank and holds every buffer a pair needs, so
 * reading a pair allocates nothing of ours. Each input file is read whole:
 * from a folder root with open, fstat, one read and close, which keeps the
 * parallel file system's metadata traffic to the minimum (only regular
 * files are read: a FIFO, socket, device or folder, also behind a symlink,
 * is a bad patch, refused without blocking); from a tar or gzip root
 * through the archive's index (archive.h), a bad member being a bad patch
 * too. A band in the archive's own layout
 * (classic little-endian TIFF, one uncompressed striped band) is decoded
 * straight from those bytes; any other TIFF is decoded by GDAL from memory
 * (/vsimem/, no sidecar probing), and GDAL's verdict names what is wrong
 * with a file that cannot be used.
 * Labels come from the S1 JSON (json-c) and are converted to 19 classes.
 */
#ifndef BENPREP_PATCH_H
#define BENPREP_PATCH_H

#include <stddef.h>
#include <stdint.h>

#include "benprep/labels.h"

#define BP_S2_BANDS 12
#define BP_S1_SIDE 120

/* The S2 bands in record key order, and their side lengths in pixels. */
extern const char *const bp_s2_band_names[BP_S2_BANDS];
extern const int bp_s2_band_sides[BP_S2_BANDS];

/* One decoded pair. The arrays belong to the reader and stay valid until
 * its next read; the names point at the caller's strings. */
struct bp_pair {
    const char *s2_name;
    const char *s1_name; /* NULL for an S2-only record */
    const uint16_t *s2[BP_S2_BANDS]; /* row-major, top row first */
    const float *vv; /* NULL for an S2-only record */
    const float *vh;
    uint8_t multi_hot[BP_LABELS19];
};

/* Why a pair could not be read: the file at fault and the reason. */
struct bp_failure {
    char file[4096];
    char reason[512];
};

struct bp_reader;

/* A reader for the archive roots (copied), both folders. NULL when out of
 * memory. Registers GDAL's GTiff driver on first use. */
struct bp_reader *bp_reader_new(const char *root_s1, const char *root_s2);

/* A reader whose roots' bytes come from s1 and s2 (folders or archives,
 * see src/convert/source.h), which it takes over, also when it fails
 * (NULL when out of memory, also when s1 or s2 is NULL). */
struct bp_source;
struct bp_reader *bp_reader_new_sources(struct bp_source *s1,
                                        struct bp_source *s2);

/* Read the pair; returns BP_OK, or BP_INPUT with *why filled in, or
 * BP_INTERRUPTED (*why filled in) when a signal cut a system call short:
 * the pair was not read, but it is no bad patch. With s1_name NULL or ""
 * only the S2 patch is read (S2-only records): its labels come from the S2
 * JSON, and out->vv, out->vh and out->s1_name are NULL. */
int bp_reader_read(struct bp_reader *r, const char *s2_name,
                   const char *s1_name, struct bp_pair *out,
                   struct bp_failure *why);

/* Add "BigEarthNet_19_labels" (the pair's 19-class names in index order) at
 * the end of the S1 JSON file of the pair just read, in the file's own
 * json.dumps format. The new file is written beside the old one under a
 * temporary name with the old file's mode, fsynced and renamed over it; on
 * any failure the original bytes stay untouched. A symlink stays a link:
 * its target is what is updated, beside the target. A file that already holds
 * the key with these names is left as it is. Returns BP_OK, BP_INPUT (the
 * file holds other BigEarthNet_19_labels) or BP_OUTPUT (it cannot be
 * written; also when the S1 root is an archive), with *why filled in. Call
 * right after a successful bp_reader_read(). */
int bp_reader_update_json(struct bp_reader *r, const struct bp_pair *pair,
                          struct bp_failure *why);

/* Decode every band through GDAL, also those in the archive's own layout
 * (for comparisons and benchmarks; the pixels are the same). */
void bp_reader_use_gdal_only(struct bp_reader *r, int on);

/* Destroy a reader; accepts NULL. */
void bp_reader_free(struct bp_reader *r);

#endif
