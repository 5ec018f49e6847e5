/*
 * record.h - the BigEarthNet-MM 19-class record of one patch pair.
 *
 * 18 features in sorted key order: B01..B09, B11, B12, B8A (int64 lists),
 * BigEarthNet-19_labels (bytes), BigEarthNet-19_labels_multi_hot (int64 x19),
 * VH, VV (float lists), patch_name_s1, patch_name_s2 (bytes). The encoding
 * equals protobuf's deterministic serialization of the reference's record.
 *
 * A pair without S1 (S2-only split files) gives the reference S2 tool's
 * record: the 12 bands, the two label features and patch_name (bytes):
 * 15 features.
 */
#ifndef BENPREP_RECORD_H
#define BENPREP_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "benprep/example.h"
#include "benprep/patch.h"

#define BP_RECORD_FEATURES 18

/* The largest encoded record: every pixel at its widest varint, every label,
 * names of the longest accepted length. Used to size output buffers. */
#define BP_RECORD_MAX_BYTES (512u * 1024u)

/* Describes one pair as an Example; points into the pair, copies nothing. */
struct bp_record {
    struct bp_feature features[BP_RECORD_FEATURES];
    size_t nfeatures; /* 18, or 15 for an S2-only record */
    struct bp_bytes labels[BP_LABELS19];
    struct bp_bytes name_s1, name_s2;
};

/* Describe the pair; returns the encoded Example's size in bytes. */
size_t bp_record_prepare(struct bp_record *rec, const struct bp_pair *pair);

/* Encode the prepared record at out (bp_record_prepare's size bytes). */
void bp_record_encode(const struct bp_record *rec, uint8_t *out);

#endif
